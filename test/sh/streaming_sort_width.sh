#!/usr/bin/env bash
# streaming_sort_width.sh: a shuffled streaming epoch sorts the training rows only, not the model.
# Run with PGHOST/PGPORT/PGUSER of a running cluster where modelmgr is installed.
# train() in streaming mode with shuffle "always" sorts the rows of every epoch; with a tiny
# work_mem that sort spills, and the bytes it writes (pg_stat_database.temp_bytes) show what each
# sorted row carries. 20,000 rows of 32 features: a row is ~330 bytes in the sort (the float8[32]
# array, the label, the sort key), the model ~1.4 kB; were the model in each sorted row (as when it
# is an argument of an aggregate with ORDER BY), an epoch would write ~35 MB instead of ~7 MB.
# Passes when 3 shuffled epochs write less than 600 bytes a row an epoch more than 3 unshuffled
# ones, and both runs give models (the shuffled one differs from the unshuffled one).
# Drops its database at the end.
set -uo pipefail

DB=mm_sortwidth_$$
cleanup() { dropdb --if-exists "$DB" 2>/dev/null; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

ROWS=20000
createdb "$DB" || die "createdb"
q >/dev/null <<SQL || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE t AS
SELECT i AS id, x, (x[1] + x[2] - x[3] > 0)::int::float8 AS label
FROM (SELECT i, ARRAY(SELECT sin(i * 7.0 + j * 3.0) FROM generate_series(1, 32) j WHERE i > 0) AS x
      FROM generate_series(1, $ROWS) i) s;
SQL

# temp bytes written by one streaming train() run with the given shuffle
run() {
    local shuffle=$1 before after
    before=$(q -c "SELECT pg_stat_clear_snapshot()" \
               -c "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()" | tail -1) || return 1
    q -c "SET work_mem = '64kB'" \
      -c "SET client_min_messages = warning" \
      -c "SELECT (modelmgr.train('w_$shuffle', 't', 'label', ARRAY['x'], 'logistic_regression',
                 '{\"mode\": \"streaming\", \"epochs\": 3, \"tol\": 0, \"shuffle\": \"$shuffle\", \"seed\": 5}')).version" \
      -c "SELECT pg_stat_force_next_flush()" >/dev/null || return 1
    after=$(q -c "SELECT pg_stat_clear_snapshot()" \
              -c "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()" | tail -1) || return 1
    echo $((after - before))
}

none=$(run none) || die "train() with shuffle none"
always=$(run always) || die "train() with shuffle always"
echo "temp bytes: shuffle none $none, shuffle always $always ($ROWS rows, 3 epochs, work_mem 64kB)"
[ "$always" -gt 0 ] || die "the shuffled epochs wrote no temporary file: the test does not measure the sort"
per_row=$(( (always - none) / (3 * ROWS) ))
echo "bytes written per sorted row: $per_row"
[ "$per_row" -lt 600 ] || die "each sorted row carries $per_row bytes: the model rides in the sort"

same=$(q -c "SELECT (SELECT model FROM modelmgr.models WHERE name = 'w_none') = (SELECT model FROM modelmgr.models WHERE name = 'w_always')") \
    || die "models"
[ "$same" = f ] || die "the shuffled and unshuffled models are equal: the shuffle did not happen"
echo "ok"
