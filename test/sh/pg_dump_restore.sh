#!/usr/bin/env bash
# pg_dump_restore.sh: the registry survives pg_dump + restore into a fresh database.
# Run with PGHOST/PGPORT/PGUSER of a running cluster where modelmgr is installed (make install).
# Creates a database with the extension, registers and deploys a few models (with a rollback
# in the history), dumps it (custom format), restores into a new database, and checks that
# predictions by name are identical, the deployment history is kept, versions continue from
# where they were and the model bytes are byte-identical. Drops both databases at the end.
set -uo pipefail

SRC=mm_dump_src_$$
DST=mm_dump_dst_$$
DUMP=$(mktemp /tmp/mm_dump.XXXXXX)
fail=0
cleanup() {
    dropdb --if-exists "$SRC" 2>/dev/null
    dropdb --if-exists "$DST" 2>/dev/null
    rm -f "$DUMP"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

createdb "$SRC" || die "createdb $SRC"
q -d "$SRC" >/dev/null <<'SQL' || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE pts (a float8, b float8, y float8);
INSERT INTO pts SELECT i, (i * i) % 7, 1 + 2 * i - 3 * ((i * i) % 7) + (i % 3) * 0.01 FROM generate_series(1, 50) i;
SELECT modelmgr.register_model('lin', modelmgr.linreg_fit(ARRAY[a, b], y), source => 'pts', label => 'y',
                               features => ARRAY['a', 'b'], metrics => '{"score": 0.9}', auto_deploy => true) FROM pts;
SELECT modelmgr.register_model('lin', modelmgr.linreg_fit(ARRAY[a, b], y, '{"l2": 5}'), features => ARRAY['a', 'b'],
                               metrics => '{"score": 0.8}') FROM pts;
SELECT modelmgr.register_model('lin', modelmgr.linreg_fit(ARRAY[a, b], y, '{"l2": 0.5}'), features => ARRAY['a', 'b'],
                               metrics => '{"score": 0.85}') FROM pts;
SELECT modelmgr.deploy('lin', 2);
SELECT modelmgr.deploy('lin', 3);
SELECT modelmgr.rollback('lin');                        -- live: 2, one more rollback -> 1
SELECT modelmgr.register_model('other', modelmgr.linreg_fit(ARRAY[b], y), features => ARRAY['b']) FROM pts;
SELECT modelmgr.deploy('other');
SELECT modelmgr.register_model('other', modelmgr.linreg_fit(ARRAY[b], y, '{"l2": 1}'), features => ARRAY['b']) FROM pts;
SELECT modelmgr.drop_model('other', 2);                 -- a dropped version: next is 3, not 2
SQL

snapshot() {
    q -d "$1" <<'SQL'
SELECT 'pred', string_agg(modelmgr.predict('lin', p)::text || '/' || modelmgr.predict('lin', ARRAY[a, b])::text
                          || '/' || modelmgr.predict('other', p)::text, ',' ORDER BY a) FROM pts p;
SELECT 'hist', string_agg(concat_ws(':', name, version, action, strategy, previous_version, deployed_by), ',' ORDER BY id)
FROM modelmgr.deployments;
SELECT 'models', string_agg(concat_ws(':', name, version, encode(sha256(model), 'hex'), metrics::text, features::text), ',' ORDER BY name, version)
FROM modelmgr.models;
SELECT 'overview', string_agg(concat_ws(':', name, deployed_version, versions, latest_version), ',' ORDER BY name)
FROM modelmgr.model_overview;
SQL
}
before=$(snapshot "$SRC") || die "snapshot of $SRC"

pg_dump -Fc -f "$DUMP" "$SRC" 2>"$DUMP.err" || { cat "$DUMP.err" >&2; die "pg_dump"; }
if [ -s "$DUMP.err" ]; then echo "FAIL: pg_dump warned:" >&2; cat "$DUMP.err" >&2; fail=1; fi
rm -f "$DUMP.err"
createdb "$DST" || die "createdb $DST"
pg_restore --exit-on-error -d "$DST" "$DUMP" || die "pg_restore"
after=$(snapshot "$DST") || die "snapshot of $DST"

if [ "$before" != "$after" ]; then
    echo "FAIL: registry differs after restore" >&2
    diff <(echo "$before" | tr ',' '\n') <(echo "$after" | tr ',' '\n') >&2
    fail=1
else
    echo "ok: predictions, history, model bytes and overview identical after restore"
fi

# the restored registry keeps working: the rollback history walks on, versions continue
check() {
    local what=$1 sql=$2 want=$3 got
    got=$(q -d "$DST" -c "$sql" 2>&1)
    if [ "$got" = "$want" ]; then echo "ok: $what"; else echo "FAIL: $what: got '$got', want '$want'" >&2; fail=1; fi
}
check "rollback continues through the restored history" "SELECT modelmgr.rollback('lin')" 1
check "next version of lin is 4" "SELECT (modelmgr.register_model('lin', modelmgr.model('lin', 1))).version" 4
check "dropped version numbers are not reused" "SELECT (modelmgr.register_model('other', modelmgr.model('other', 1))).version" 3
check "new deployments get fresh ids" "SELECT modelmgr.deploy('lin', 4)" 4
check "history ids increase" "SELECT count(DISTINCT id) = count(*) FROM modelmgr.deployments" t

exit $fail
