#!/usr/bin/env bash
# drop_extension.sh: DROP EXTENSION modelmgr removes every object its install created in the
# database (functions, tables and their rows, views, types, triggers, large objects of exports);
# what stays is what the README says: the empty schema PostgreSQL made for the extension, and the
# cluster-wide roles. A second CREATE EXTENSION works with the roles already there.
# Starts (and stops) its own cluster.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/scripts/cluster.sh
trap cluster_stop_all EXIT
cluster_start dropext >/dev/null 2>&1 || { echo "FAIL: cluster" >&2; exit 1; }

fail=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1 (expected $2, got $3)" >&2; fail=1; fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d dx "$@"; }
# objects in the database that are not PostgreSQL's own (a fresh database's baseline subtracted)
census() {
    q -c "SELECT (SELECT count(*) FROM pg_class WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_proc WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_type WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_trigger WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_event_trigger)
               + (SELECT count(*) FROM pg_largeobject_metadata)
               + (SELECT count(*) FROM pg_default_acl)
               + (SELECT count(*) FROM pg_namespace WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_operator WHERE oid >= 16384)
               + (SELECT count(*) FROM pg_cast WHERE oid >= 16384)"
}
psql -X -q -c "CREATE DATABASE dx" || exit 1
before=$(census)
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION modelmgr" \
  -c "CREATE TABLE public.pts AS SELECT g::float8 AS x, (2 * g + g % 3)::float8 AS y FROM generate_series(1, 50) g" \
  -c "SET modelmgr.progress_every = 0" \
  -c "SELECT 1 FROM modelmgr.train('m', 'pts', 'y', ARRAY['x'], 'linear_regression')" \
  -c "SELECT modelmgr.deploy('m')" -c "SELECT modelmgr.export_model('m') IS NOT NULL" >/dev/null || exit 1
check "the extension made objects" yes "$( [ "$(census)" -gt "$before" ] && echo yes || echo no)"
q -c "DROP TABLE public.pts" -c "DROP EXTENSION modelmgr" || exit 1
check "after DROP EXTENSION only the schema is left" "$((before + 1))" "$(census)"
check "the schema left is the empty modelmgr schema" "modelmgr|0" \
    "$(q -c "SELECT n.nspname, (SELECT count(*) FROM pg_depend d WHERE d.refobjid = n.oid) FROM pg_namespace n WHERE n.oid >= 16384")"
check "DROP SCHEMA modelmgr (no CASCADE) removes it" "$before" "$(q -c "DROP SCHEMA modelmgr" >/dev/null && census)"
check "the roles are cluster-wide and stay" 4 \
    "$(q -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('modelmgr_owner', 'modelmgr_reader', 'modelmgr_trainer', 'modelmgr_signer')")"
check "CREATE EXTENSION again, with the roles already there" ok \
    "$(q -c "SET client_min_messages = warning" -c "CREATE EXTENSION modelmgr" -c "SELECT 'ok'" 2>&1)"
check "and it works" 1 "$(q -c "SELECT modelmgr.predict(modelmgr.linreg_fit(ARRAY[g::float8], g::float8), ARRAY[1.0::float8]) FROM generate_series(1, 10) g" 2>&1 | awk '{printf "%.0f", $1}')"
exit $fail
