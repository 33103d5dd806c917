#!/usr/bin/env bash
# isolation_deploy.sh: deploy and rollback keep the deployment history a stack at every
# isolation level. Run with PGHOST/PGPORT/PGUSER of a running cluster where modelmgr is
# installed.
#  1. Two sessions at REPEATABLE READ (then SERIALIZABLE): the first takes its snapshot, the
#     second deploys and commits, then the first deploys the same name: it must fail with
#     40001 and leave one new history row, not two built on the same previous row.
#  2. For each of READ COMMITTED, REPEATABLE READ and SERIALIZABLE, pgbench runs 8 clients for
#     DURATION seconds (default 30) deploying a random version of one name and rolling back
#     (transactions failing with 40001 are retried, --max-tries). Then the history is replayed.
#
# The stack rule, over the name's deployment rows in id order (ids are issued under the
# per-name lock, so id order is commit order): a deploy row pushes its version; a rollback row
# pops the top and its version must be the new top (the version deployed before the one it
# undid). Any row breaking that, a deploy row whose previous_version is not the version live
# before it, or a row whose previous_id is not the row the replayed stack says it stacks on,
# is a violation. Passes with 0 violations at every level and some transactions, rollbacks and
# retried serialization failures at the snapshot levels. Drops its database at the end.
set -uo pipefail

DB=mm_isolation_$$
DURATION=${DURATION:-30}
PGBENCH=${PGBIN:+$PGBIN/}pgbench
WORK=$(mktemp -d /tmp/mm_isolation.XXXXXX)
chmod 777 "$WORK"
cleanup() { dropdb --if-exists "$DB" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

createdb "$DB" || die "createdb"
q >/dev/null <<'SQL' || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE pts (a float8, y float8);
INSERT INTO pts SELECT i, 1 + 2 * i FROM generate_series(1, 20) i;
-- four versions of 'iso', version 1 deployed, no other history
CREATE FUNCTION reset_iso() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM modelmgr.drop_model('iso', NULL::int, true) FROM modelmgr.model_names WHERE name = 'iso';
    PERFORM modelmgr.register_model('iso', f.m) FROM (
        SELECT l, modelmgr.linreg_fit(ARRAY[a], y, format('{"l2": %s}', l)::jsonb) AS m FROM pts, generate_series(0, 3) l GROUP BY l ORDER BY l) f;
    PERFORM modelmgr.deploy('iso', 1);
END $$;
SELECT reset_iso();
-- a rollback with nothing left to roll back to is skipped (NULL), any other error propagates
CREATE FUNCTION try_rollback() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    RETURN modelmgr.rollback('iso');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RETURN NULL;
END $$;
-- replays the history of a name (see the header); returns one row per violation
CREATE FUNCTION stack_violations(model_name text) RETURNS TABLE (id bigint, problem text) LANGUAGE plpgsql AS $$
DECLARE
    d modelmgr.deployments;
    vs int[] := '{}';
    ids bigint[] := '{}';
    n int;
BEGIN
    FOR d IN SELECT * FROM modelmgr.deployments x WHERE x.name = model_name ORDER BY x.id LOOP
        n := cardinality(vs);
        IF d.previous_id IS DISTINCT FROM ids[n] AND d.action = 'deploy' THEN
            id := d.id; problem := format('deploy stacks on %s, the live row is %s', d.previous_id, ids[n]); RETURN NEXT;
        END IF;
        IF n > 0 AND d.previous_version IS DISTINCT FROM vs[n] THEN
            id := d.id; problem := format('previous_version %s, but version %s was live', d.previous_version, vs[n]); RETURN NEXT;
        END IF;
        IF d.action = 'deploy' THEN
            vs := vs || d.version; ids := ids || d.id;
        ELSIF d.action = 'rollback' THEN
            IF n < 2 THEN
                id := d.id; problem := 'rollback with nothing to roll back to'; RETURN NEXT;
                CONTINUE;
            END IF;
            IF d.version IS DISTINCT FROM vs[n - 1] THEN
                id := d.id; problem := format('rollback returned version %s, the previously deployed version is %s', d.version, vs[n - 1]); RETURN NEXT;
            END IF;
            IF d.previous_id IS DISTINCT FROM ids[n - 2] THEN
                id := d.id; problem := format('rollback continues from %s, the stack says %s', d.previous_id, ids[n - 2]); RETURN NEXT;
            END IF;
            -- the row made live again is the one below the top; the rollback row stands for it
            vs := vs[1:n - 1]; ids := ids[1:n - 2] || d.id;
        ELSE
            id := d.id; problem := 'unexpected ' || d.action; RETURN NEXT;
        END IF;
    END LOOP;
END $$;
SQL

fail=0

# 1. the two-session reproducer
for level in "repeatable read" "serializable"; do
    before=$(q -c "SELECT count(*) FROM modelmgr.deployments")
    out=$(psql -X -q -At -d "$DB" 2>&1 <<SQL
SET client_min_messages = warning;
BEGIN ISOLATION LEVEL $level;
SELECT 'snapshot', modelmgr.deployed_version('iso');
\\! psql -X -q -At -d $DB -c "SET client_min_messages = warning" -c "SELECT 'other', modelmgr.deploy('iso', 2)"
SELECT 'mine', modelmgr.deploy('iso', 3);
\\echo 'sqlstate' :SQLSTATE
COMMIT;
SELECT 'after', modelmgr.deployed_version('iso');
SQL
)
    after=$(q -c "SELECT count(*) FROM modelmgr.deployments")
    state=$(sed -n 's/^sqlstate //p' <<<"$out")
    live=$(sed -n 's/^after|//p' <<<"$out")
    echo "$level, two sessions: the second deploy got SQLSTATE $state; history rows $before -> $after; live version $live"
    if [ "$state" != 40001 ] || [ "$live" != 2 ] || [ $((after - before)) != 1 ]; then
        echo "FAIL: $level: a deploy on a snapshot older than a committed deploy must fail with 40001" >&2
        echo "$out" >&2
        fail=1
    fi
    q -c "SET client_min_messages = warning" -c "SELECT reset_iso()" >/dev/null || die "reset"
done

# 2. pgbench at each level
cat >"$WORK/deploy.sql" <<'SQL'
\set v random(1, 4)
\set r random(1, 100)
BEGIN;
SELECT modelmgr.deploy('iso', :v);
SELECT try_rollback() WHERE :r <= 45;
COMMIT;
SQL
chmod a+r "$WORK"/*.sql

for level in "read committed" "repeatable read" "serializable"; do
    q -c "SET client_min_messages = warning" -c "SELECT reset_iso()" >/dev/null || die "reset"
    log="$WORK/pgbench.log"
    PGOPTIONS="-c client_min_messages=warning -c default_transaction_isolation=${level/ /\\ }" \
        "$PGBENCH" -n -T "$DURATION" -c 8 -j 2 --max-tries=1000 -f "$WORK/deploy.sql" "$DB" >"$log" 2>&1
    rc=$?
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
    retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$log")
    res=$(q -c "SELECT (SELECT count(*) FROM modelmgr.deployments WHERE name = 'iso' ),
                       (SELECT count(*) FROM modelmgr.deployments WHERE name = 'iso'  AND action = 'rollback'),
                       (SELECT count(DISTINCT id) FROM stack_violations('iso'))") || die "check query"
    IFS='|' read -r rows rollbacks violations <<<"$res"
    echo "$level: pgbench transactions ${tx:-?} (failed ${failed:-0}, retried ${retried:-0}); history rows $rows (rollbacks $rollbacks); rows breaking the stack rule $violations"
    if [ $rc != 0 ] || [ -z "$tx" ] || [ "${failed:-0}" != 0 ] || grep -q "ERROR" "$log"; then
        echo "FAIL: $level: pgbench did not run cleanly" >&2; tail -30 "$log" >&2; fail=1
    fi
    if [ "$violations" != 0 ]; then
        echo "FAIL: $level: the history breaks the stack rule $violations times, e.g.:" >&2
        q -c "SELECT * FROM stack_violations('iso') LIMIT 5" >&2
        fail=1
    fi
    [ "${tx:-0}" -gt 100 ] && [ "$rollbacks" -gt 10 ] || { echo "FAIL: $level: too little happened" >&2; fail=1; }
    if [ "$level" != "read committed" ] && [ "${retried:-0}" = 0 ]; then
        echo "FAIL: $level: no serialization failure was retried (the clients never overlapped?)" >&2; fail=1
    fi
done

[ $fail = 0 ] && echo "ok: deploy and rollback keep the history a stack at every isolation level"
exit $fail
