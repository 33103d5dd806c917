#!/usr/bin/env bash
# concurrent_deploy.sh: predictions by name stay consistent while another session keeps
# deploying and rolling back. Run with PGHOST/PGPORT/PGUSER of a running cluster where modelmgr
# is installed. For DURATION seconds (default 10) two pgbench clients predict by name in a loop
# (both forms) while one deploys and rolls back between two versions. Passes when no session
# errors and every recorded prediction equals version 1's or version 2's prediction (and both
# versions were seen). Drops its database at the end.
set -uo pipefail

DB=mm_concurrent_$$
DURATION=${DURATION:-10}
WORK=$(mktemp -d /tmp/mm_concurrent.XXXXXX)
chmod 777 "$WORK"
cleanup() { dropdb --if-exists "$DB" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

createdb "$DB" || die "createdb"
q >/dev/null <<'SQL' || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE pts (a float8, b float8, y float8);
INSERT INTO pts SELECT i, (i * i) % 7, 1 + 2 * i - 3 * ((i * i) % 7) FROM generate_series(1, 40) i;
SELECT modelmgr.register_model('cm', modelmgr.linreg_fit(ARRAY[a, b], y), features => ARRAY['a', 'b']) FROM pts;
SELECT modelmgr.register_model('cm', modelmgr.linreg_fit(ARRAY[a, b], y, '{"l2": 50}'), features => ARRAY['a', 'b']) FROM pts;
SELECT modelmgr.deploy('cm', 1);
CREATE UNLOGGED TABLE seen (v float8, w float8);
SQL

cat >"$WORK/predict.sql" <<'SQL'
INSERT INTO seen SELECT modelmgr.predict('cm', ARRAY[3.0, 2.0]), modelmgr.predict('cm', t) FROM (SELECT 3.0 AS a, 2.0 AS b) t;
SQL
cat >"$WORK/deploy.sql" <<'SQL'
\set v random(1, 2)
BEGIN;
SELECT modelmgr.deploy('cm', :v);
SELECT modelmgr.rollback('cm') WHERE random() < 0.4
    AND (SELECT previous_id FROM modelmgr.deployments WHERE name = 'cm' ORDER BY id DESC LIMIT 1) IS NOT NULL;
COMMIT;
SQL
chmod a+r "$WORK"/*.sql

PGOPTIONS='-c client_min_messages=warning' pgbench -n -T "$DURATION" -c 2 -j 2 -f "$WORK/predict.sql" "$DB" >"$WORK/predict.log" 2>&1 &
p1=$!
PGOPTIONS='-c client_min_messages=warning' pgbench -n -T "$DURATION" -c 1 -j 1 -f "$WORK/deploy.sql" "$DB" >"$WORK/deploy.log" 2>&1 &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
fail=0
if [ $rc1 != 0 ] || grep -qi "error" "$WORK/predict.log"; then echo "FAIL: predicting session" >&2; cat "$WORK/predict.log" >&2; fail=1; fi
if [ $rc2 != 0 ] || grep -qi "error" "$WORK/deploy.log"; then echo "FAIL: deploying session" >&2; cat "$WORK/deploy.log" >&2; fail=1; fi

res=$(q <<'SQL'
WITH ref AS (SELECT modelmgr.predict(modelmgr.model('cm', 1), ARRAY[3.0, 2.0]) AS p1,
                    modelmgr.predict(modelmgr.model('cm', 2), ARRAY[3.0, 2.0]) AS p2)
SELECT count(*), count(*) FILTER (WHERE v = p1), count(*) FILTER (WHERE v = p2),
       count(*) FILTER (WHERE v IS DISTINCT FROM w OR v NOT IN (p1, p2)),
       (SELECT count(*) FROM modelmgr.deployments), (SELECT count(*) FROM modelmgr.deployments WHERE action = 'rollback'),
       (SELECT p1 <> p2 FROM ref)
FROM seen, ref
SQL
) || die "check query"
IFS='|' read -r total n1 n2 bad deploys rollbacks differ <<<"$res"
echo "predictions: $total (version 1: $n1, version 2: $n2, inconsistent: $bad); deployment rows: $deploys, rollbacks: $rollbacks"
[ "$differ" = t ] || { echo "FAIL: the two versions predict the same value" >&2; fail=1; }
[ "$bad" = 0 ] || { echo "FAIL: $bad predictions match neither version (or row and array forms disagree)" >&2; fail=1; }
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || { echo "FAIL: predictions did not see both versions" >&2; fail=1; }
[ "$rollbacks" -gt 0 ] || { echo "FAIL: no rollback happened" >&2; fail=1; }
[ "$deploys" -gt 10 ] || { echo "FAIL: too few deployments happened ($deploys)" >&2; fail=1; }
[ $fail = 0 ] && echo "ok: concurrent deploy/rollback and predict by name"
exit $fail
