#!/usr/bin/env bash
# split_two_databases.sh: split() gives the same assignments in two fresh databases.
# Run by test/scripts/run_tests.sh with PGHOST/PGPORT/PGUSER set for a running cluster that
# has modelmgr installed. Creates two databases, creates the extension in each, computes
# split() for 10,000 keys (integers, text and the seeds 0 and 7) in each, compares, and drops
# the databases. Exits non-zero when the assignments differ or anything fails.
set -uo pipefail

A="modelmgr_split_a_$$"
B="modelmgr_split_b_$$"
OUT=$(mktemp -d)
cleanup() {
    dropdb --if-exists "$A" 2>/dev/null
    dropdb --if-exists "$B" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT

QUERY="SELECT k, modelmgr.split(k, 0.3), modelmgr.split('key-' || k, 0.25, 7), modelmgr.split_is_test(k::bigint, 0.5, -3)
       FROM generate_series(1, 10000) k ORDER BY k"

for db in "$A" "$B"; do
    createdb "$db" || { echo "cannot create database $db"; exit 1; }
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION modelmgr;" || exit 1
    psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" -c "$QUERY" >"$OUT/$db.txt" || exit 1
done

rows=$(wc -l <"$OUT/$A.txt")
if [ "$rows" -ne 10000 ]; then
    echo "expected 10000 rows, got $rows"
    exit 1
fi
if ! cmp -s "$OUT/$A.txt" "$OUT/$B.txt"; then
    echo "split() assignments differ between databases:"
    diff "$OUT/$A.txt" "$OUT/$B.txt" | head -20
    exit 1
fi
# the split is not degenerate: both classes occur in every column
for col in 2 3 4; do
    n=$(cut -d'|' -f$col "$OUT/$A.txt" | sort -u | wc -l)
    if [ "$n" -ne 2 ]; then
        echo "column $col has $n distinct values, expected 2"
        exit 1
    fi
done
# a fixed point, computed independently in test/scripts/reference_stats.py: key 1 is test at 0.3
if [ "$(head -1 "$OUT/$A.txt" | cut -d'|' -f2)" != test ]; then
    echo "split(1, 0.3) is not 'test'"
    exit 1
fi
echo "split() identical in two databases for 10000 keys"
