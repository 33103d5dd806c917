#!/usr/bin/env bash
# prove_installcheck.sh: the pgTAP suites (test/t/*.sql) against the running server that the
# libpq environment names (PGHOST, PGPORT, PGUSER: a superuser), with modelmgr installed there.
# Makes a scratch database (PROVE_DB, default modelmgr_prove), loads the test data into it, runs
# pg_prove and drops the database. Extra arguments go to pg_prove (e.g. test/t/010_*.sql).
set -uo pipefail
cd "$(dirname "$0")/../.."
DB=${PROVE_DB:-modelmgr_prove}
dropdb --if-exists "$DB" >/dev/null 2>&1
createdb "$DB" || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION pgtap; CREATE EXTENSION modelmgr;" \
    -f test/scripts/load_data.sql >/dev/null || { dropdb "$DB"; exit 1; }
if [ $# -gt 0 ]; then files=("$@"); else files=(test/t/); fi
PGDATABASE=$DB pg_prove -v --ext .sql "${files[@]}"
rc=$?
dropdb "$DB" >/dev/null 2>&1
exit $rc
