#!/usr/bin/env bash
# trusted_install.sh: a database owner who is not a superuser installs modelmgr (trusted = true)
# in a fresh cluster, then trains, registers, deploys and predicts; and what the install does not
# give them is shown: no write to the registry tables, no SET ROLE to the functions' owner, no file
# access through a source, no rights in another database, no role membership.
# Starts (and stops) its own cluster.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/scripts/cluster.sh
trap cluster_stop_all EXIT
cluster_start trusted >/dev/null 2>&1 || { echo "FAIL: cluster" >&2; exit 1; }

fail=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1 (expected $2, got $3)" >&2; fail=1; fi
}
su_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# as ROLE in DB: prints the SQLSTATE of the last statement of SQL, or the output
as() {
    local role=$1 db=$2 sql=$3
    { psql -X -q -At -U "$role" -d "$db" -v VERBOSITY=sqlstate 2>&1 <<SQL | tail -n 1
SET client_min_messages = warning;
$sql
SQL
} | sed 's/^ERROR:  //'
}

su_q -c "CREATE ROLE dbo LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB" -c "CREATE ROLE dbo2 LOGIN NOSUPERUSER" \
     -c "CREATE DATABASE d1 OWNER dbo" -c "CREATE DATABASE d2 OWNER dbo2" || exit 1

check "the installing role is not a superuser" f "$(su_q -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'dbo'")"
check "the database owner runs CREATE EXTENSION modelmgr" ok "$(as dbo d1 "CREATE EXTENSION modelmgr; SELECT 'ok';")"
check "the extension is owned by the database owner" dbo "$(su_q -d d1 -c "SELECT extowner::regrole FROM pg_extension WHERE extname = 'modelmgr'")"
check "the registry tables are owned by modelmgr_owner" modelmgr_owner \
    "$(su_q -d d1 -c "SELECT string_agg(DISTINCT relowner::regrole::text, ',') FROM pg_class WHERE relnamespace = 'modelmgr'::regnamespace AND relkind IN ('r', 'v')")"
check "modelmgr_owner: NOLOGIN, no attributes, no members" "f|f|f|0" \
    "$(su_q -c "SELECT rolcanlogin, rolsuper, rolcreaterole, (SELECT count(*) FROM pg_auth_members WHERE roleid = r.oid) FROM pg_roles r WHERE rolname = 'modelmgr_owner'")"
check "no SECURITY DEFINER function is owned by a superuser" 0 \
    "$(su_q -d d1 -c "SELECT count(*) FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.pronamespace = 'modelmgr'::regnamespace AND p.prosecdef AND r.rolsuper")"
check "the install grants no role membership" 1 \
    "$(su_q -c "SELECT count(*) FROM pg_auth_members m WHERE m.roleid IN ('modelmgr_reader'::regrole, 'modelmgr_trainer'::regrole, 'modelmgr_owner'::regrole)")"

# what the database owner can do in its database
check "train, register, deploy, predict" "t" "$(as dbo d1 "
CREATE TABLE pts (a float8, b float8, y float8);
INSERT INTO pts SELECT i, i % 5, 3 + 2 * i - (i % 5) FROM generate_series(1, 50) i;
SELECT (modelmgr.train('m', 'pts', 'y')).version;
SELECT modelmgr.register_model('m', modelmgr.linreg_fit(ARRAY[a, b], y), features => ARRAY['a', 'b']) FROM pts;
SELECT modelmgr.deploy('m', 1); SELECT modelmgr.deploy('m', 2);
SELECT abs(modelmgr.predict('m', ARRAY[10, 2]::float8[]) - 21) < 1e-6 AND modelmgr.deployed_version('m') = 2;")"
check "rollback and export; the audit is intact" "register,register,deploy,deploy,rollback,export|true" "$(as dbo d1 "
SELECT modelmgr.rollback('m'); SELECT modelmgr.export_model('m', 2) IS NOT NULL;
SELECT (SELECT string_agg(action, ',' ORDER BY id) FROM modelmgr.audit) || '|' || NOT EXISTS (SELECT 1 FROM modelmgr.verify_audit());")"
# ... and cannot
check "no direct write to the registry" 42501 "$(as dbo d1 "UPDATE modelmgr.model_names SET last_version = 2147483647;")"
check "no edit of the audit" 42501 "$(as dbo d1 "DELETE FROM modelmgr.audit;")"
check "no SET ROLE to the functions' owner" 42501 "$(as dbo d1 "SET ROLE modelmgr_owner;")"
check "no file access through a source" 42501 "$(as dbo d1 "SELECT modelmgr.train('f', '(SELECT 1.0::float8 AS x, length(pg_read_file(''/etc/passwd''))::float8 AS y)', 'y');")"
check "no superuser-only setting" 42501 "$(as dbo d1 "SET log_statement = 'all';")"
check "not a trainer or reader anywhere" "f|f" "$(as dbo d1 "SELECT pg_has_role('dbo', 'modelmgr_trainer', 'MEMBER'), pg_has_role('dbo', 'modelmgr_reader', 'MEMBER');")"

# another database owner installs it in its own database: nothing of d1 is reachable
check "a second database owner installs it too (roles reused)" ok "$(as dbo2 d2 "CREATE EXTENSION modelmgr; SELECT 'ok';")"
check "... and cannot read d1's registry" 42501 "$(as dbo2 d1 "SELECT count(*) FROM modelmgr.models;")"
check "... nor deploy in d1" 42501 "$(as dbo2 d1 "SELECT modelmgr.deploy('m', 1);")"
check "... nor predict by name in d1" 42501 "$(as dbo2 d1 "SELECT modelmgr.predict('m', ARRAY[1, 2]::float8[]);")"
check "the database owner can drop its extension" ok "$(as dbo2 d2 "DROP EXTENSION modelmgr; SELECT 'ok';")"

[ $fail = 0 ] && echo "ok: trusted install by a database owner"
exit $fail
