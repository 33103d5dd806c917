#!/usr/bin/env bash
# hostile_search_path.sh: an attacker who can create objects in a schema on the caller's search
# path shadows the pg_catalog functions and operators, and a superuser calls every modelmgr
# function. No hostile object may run.
#
# The shadows are generated from the catalog, not from a hand list:
#   - in schema "evil" (first on the search path, pg_catalog explicitly last): a copy of every
#     pg_catalog function and operator with the same name and argument types (such a copy wins
#     over pg_catalog whenever a name is used unqualified);
#   - in "evil" and in "public": exact-type variants of every polymorphic pg_catalog function and
#     operator (anyelement/anyarray/... replaced by text, float8, int4, int8, numeric, boolean,
#     bytea, jsonb): an exact-type match wins over pg_catalog's polymorphic one even with
#     pg_catalog implicitly first (public.array_ndims(text[]) over pg_catalog.array_ndims(anyarray)).
# Each hostile object raises WARNING 'HOSTILE ran: <signature>' and returns NULL.
# The superuser then runs a scenario of the public API (train, register, deploy, predict, export,
# import, evaluate, drift, monitor, rollback, signing, drop, audit) and one call of every function
# and aggregate of the extension (generated from pg_proc) under two search paths:
# "evil, public, pg_catalog" and "public". A positive control (an unqualified array_ndims call of
# the harness itself) must run a hostile object, so the detector is shown to work.
# Starts (and stops) its own cluster.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/scripts/cluster.sh
trap cluster_stop_all EXIT
cluster_start hostile >/dev/null 2>&1 || { echo "FAIL: cluster" >&2; exit 1; }
WORK=$(mktemp -d /tmp/modelmgr-hostile.XXXXXX)
trap 'cluster_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
export PGDATABASE=hostile

fail=0
createdb hostile || exit 1
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION modelmgr" -f test/scripts/load_data.sql >/dev/null || exit 1

# Fixtures, made before any shadow exists.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || exit 1
CREATE TABLE public.hs_fix AS
SELECT modelmgr.linreg_fit(ARRAY[age, bmi, bp], target) AS m FROM public.diabetes;
CREATE TABLE public.hs_key AS SELECT modelmgr.generate_signing_key('hs_key') AS k;
SQL

# The shadows.
psql -X -q -v ON_ERROR_STOP=1 -At >"$WORK/made.txt" <<'SQL' || exit 1
SET search_path = pg_catalog;
SET client_min_messages = error;
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TEMP TABLE made (kind text, ok boolean);
CREATE FUNCTION pg_temp.mk(kind text, sch text, fname text, args text, ident text, ret text)
RETURNS boolean LANGUAGE plpgsql AS $f$
DECLARE
    sig text := format('%I.%I(%s)', sch, fname, ident);
    body text;
BEGIN
    FOREACH body IN ARRAY ARRAY['RETURN NULL;', 'RETURN;'] LOOP
        BEGIN
            EXECUTE format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L', sch, fname, args, ret,
                           format('BEGIN RAISE WARNING ''HOSTILE ran: %%'', %L; %s END', sig, body));
            RETURN true;
        EXCEPTION WHEN others THEN
            NULL;
        END;
    END LOOP;
    RETURN false;
END $f$;
-- polymorphic -> concrete
CREATE FUNCTION pg_temp.conc(s text, t text) RETURNS text LANGUAGE sql AS $f$
    SELECT regexp_replace(regexp_replace(s, '\m(anycompatiblearray|anyarray)\M', t || '[]', 'g'),
                          '\m(anycompatiblenonarray|anycompatible|anynonarray|anyelement)\M', t, 'g')
$f$;
DO $d$
DECLARE
    p record;
    t text;
    n int := 0;
    ok boolean;
    poly text := '\m(anycompatiblearray|anyarray|anycompatiblenonarray|anycompatible|anynonarray|anyelement)\M';
BEGIN
    FOR p IN SELECT f.oid, f.proname, pg_get_function_arguments(f.oid) AS args,
                    pg_get_function_identity_arguments(f.oid) AS ident, pg_get_function_result(f.oid) AS ret
             FROM pg_proc f WHERE f.pronamespace = 'pg_catalog'::regnamespace AND f.prokind = 'f' LOOP
        ok := pg_temp.mk('function', 'evil', p.proname, p.args, p.ident, p.ret);
        INSERT INTO made VALUES ('function', ok);
        IF p.ident ~ poly THEN
            FOREACH t IN ARRAY ARRAY['text', 'double precision', 'integer', 'bigint', 'numeric', 'boolean', 'bytea', 'jsonb'] LOOP
                INSERT INTO made VALUES ('function', pg_temp.mk('function', 'evil', p.proname, pg_temp.conc(p.args, t), pg_temp.conc(p.ident, t), pg_temp.conc(p.ret, t)));
                INSERT INTO made VALUES ('function', pg_temp.mk('function', 'public', p.proname, pg_temp.conc(p.args, t), pg_temp.conc(p.ident, t), pg_temp.conc(p.ret, t)));
            END LOOP;
        END IF;
    END LOOP;
    -- operators: one hostile function per operator and operand types
    FOR p IN SELECT o.oid, o.oprname, o.oprleft::regtype::text AS l, o.oprright::regtype::text AS r, o.oprresult::regtype::text AS res
             FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprcode <> 0 LOOP
        FOREACH t IN ARRAY ARRAY[NULL, 'text', 'double precision', 'integer', 'bigint', 'numeric', 'boolean', 'bytea', 'jsonb'] LOOP
            CONTINUE WHEN t IS NOT NULL AND NOT (p.l || ' ' || p.r) ~ poly;
            DECLARE
                l text := CASE WHEN p.l = '-' THEN NULL WHEN t IS NULL THEN p.l ELSE pg_temp.conc(p.l, t) END;
                r text := CASE WHEN t IS NULL THEN p.r ELSE pg_temp.conc(p.r, t) END;
                res text := CASE WHEN t IS NULL THEN p.res ELSE pg_temp.conc(p.res, t) END;
                sch text;
                fn text;
            BEGIN
                FOREACH sch IN ARRAY CASE WHEN t IS NULL THEN ARRAY['evil'] ELSE ARRAY['evil', 'public'] END LOOP
                    n := n + 1;
                    fn := 'hostile_op_' || n;
                    ok := pg_temp.mk('operator', sch, fn, concat_ws(', ', l, r), concat_ws(', ', l, r), res);
                    IF ok THEN
                        BEGIN
                            EXECUTE format('CREATE OPERATOR %I.%s (%s rightarg = %s, function = %I.%I)', sch, p.oprname,
                                           CASE WHEN l IS NULL THEN '' ELSE format('leftarg = %s,', l) END, r, sch, fn);
                        EXCEPTION WHEN others THEN
                            ok := false;
                        END;
                    END IF;
                    INSERT INTO made VALUES ('operator', ok);
                END LOOP;
            END;
        END LOOP;
    END LOOP;
END $d$;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
SELECT kind, count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok) FROM made GROUP BY kind ORDER BY kind;
SQL
funcs=$(awk -F'|' '$1 == "function" {print $2}' "$WORK/made.txt")
ops=$(awk -F'|' '$1 == "operator" {print $2}' "$WORK/made.txt")
skipped=$(awk -F'|' '{s += $3} END {print s + 0}' "$WORK/made.txt")
echo "hostile shadows created: $funcs functions, $ops operators ($skipped signatures plpgsql cannot take: internal, cstring, \"any\", ... skipped)"
[ "${funcs:-0}" -gt 2000 ] && [ "${ops:-0}" -gt 500 ] || { echo "FAIL: too few shadows" >&2; fail=1; }

# One call of every function and aggregate of the extension, generated from pg_proc (with the
# default search path, before the hostile one is set). Arguments by name, then by type.
psql -X -q -v ON_ERROR_STOP=1 -At >"$WORK/calls.sql" <<'SQL' || exit 1
SET search_path = pg_catalog;
WITH fn AS (
    SELECT p.oid, p.proname, p.prokind, p.pronargs, p.proargtypes::oid[] AS types,
           coalesce(p.proargnames, '{}') AS names
    FROM pg_proc p
    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'modelmgr'
    WHERE p.prorettype <> 'trigger'::regtype
), arg AS (
    SELECT fn.oid, i, CASE
        WHEN fn.names[i] IN ('model_name', 'name') THEN '''hs_lin'''
        WHEN fn.names[i] = 'source' THEN '''public.diabetes'''
        WHEN fn.names[i] IN ('target', 'label') THEN '''target'''
        WHEN fn.names[i] = 'algorithm' THEN '''linear_regression'''
        WHEN fn.names[i] = 'key_id' THEN '''hs_key'''
        WHEN fn.names[i] = 'private_key' THEN '(SELECT k FROM public.hs_key)'
        WHEN fn.names[i] = 'features' THEN '''{age,bmi,bp}''::text[]'
        WHEN t = 'text'::regtype THEN '''x'''
        WHEN t = 'text[]'::regtype THEN '''{x}''::text[]'
        WHEN t = 'bytea'::regtype THEN '(SELECT m FROM public.hs_fix)'
        WHEN t = 'double precision'::regtype THEN '0.5::float8'
        WHEN t = 'double precision[]'::regtype THEN '''{1,2,3}''::float8[]'
        WHEN t IN ('integer'::regtype, 'bigint'::regtype) THEN '1'
        WHEN t = 'boolean'::regtype THEN 'false'
        WHEN t = 'jsonb'::regtype THEN '''{}''::jsonb'
        WHEN t = 'record'::regtype THEN 'd'
        WHEN t = 'anyelement'::regtype THEN '7'
        ELSE format('NULL::%s', t::regtype) END AS v
    FROM fn, generate_subscripts(fn.types, 1) AS i, LATERAL (SELECT fn.types[i] AS t) x
)
SELECT format('SELECT %s modelmgr.%I(%s) %s;', CASE WHEN fn.prokind = 'a' THEN '' ELSE '' END, fn.proname,
              coalesce((SELECT string_agg(arg.v, ', ' ORDER BY arg.i) FROM arg WHERE arg.oid = fn.oid), ''),
              CASE WHEN 'record'::regtype = ANY (fn.types::regtype[]) OR fn.prokind = 'a'
                   THEN 'FROM public.diabetes d LIMIT 3' ELSE '' END)
FROM fn ORDER BY fn.proname, fn.oid;
SQL
ncalls=$(wc -l <"$WORK/calls.sql")

# The scenario, as the superuser.
cat >"$WORK/scenario.sql" <<'SQL'
SELECT name, version FROM modelmgr.train('hs_lin', 'public.diabetes', 'target', '{age,bmi,bp}'::text[], 'linear_regression', '{"seed": 1}'::jsonb);
SELECT name, version FROM modelmgr.train('hs_lin', 'public.diabetes', 'target', NULL::text[], 'linear_regression', '{"seed": 2, "solver": "lbfgs"}'::jsonb);
SELECT name, version FROM modelmgr.train('hs_log', 'public.breast_cancer', 'target', NULL::text[], 'logistic_regression', '{"seed": 1, "test_fraction": 0.2}'::jsonb);
SELECT name, version FROM modelmgr.train('hs_iris', 'public.iris', 'target', NULL::text[], 'logistic_regression', '{"seed": 1}'::jsonb);
SELECT name, version FROM modelmgr.train('hs_svm', 'public.breast_cancer', 'target', NULL::text[], 'svm', '{"seed": 1, "mode": "streaming"}'::jsonb);
SELECT modelmgr.register_model('hs_reg', (SELECT m FROM public.hs_fix), 'public.diabetes', 'target', '{age,bmi,bp}'::text[]);
SELECT modelmgr.register_model('hs_reg', modelmgr.sign_model((SELECT m FROM public.hs_fix), (SELECT k FROM public.hs_key)));
SELECT modelmgr.deploy('hs_lin');
SELECT modelmgr.deploy('hs_lin', 1);
SELECT modelmgr.deploy('hs_reg', 'most_recent');
SELECT modelmgr.deploy('hs_log');
SELECT modelmgr.deploy('hs_iris');
SELECT modelmgr.predict('hs_lin', d) FROM public.diabetes d LIMIT 3;
SELECT modelmgr.predict('hs_log', b), modelmgr.predict_proba('hs_log', b), modelmgr.predict_label('hs_log', b) FROM public.breast_cancer b LIMIT 3;
SELECT modelmgr.predict_label('hs_iris', i) FROM public.iris i LIMIT 3;
SELECT modelmgr.predict('hs_reg', ARRAY[1, 2, 3]::float8[]);
SELECT modelmgr.model_info(modelmgr.model('hs_lin'));
SELECT * FROM modelmgr.weights('hs_log');
SELECT modelmgr.import_model('hs_imp', modelmgr.export_model('hs_lin'));
SELECT modelmgr.import_model('hs_imp2', modelmgr.export_model('hs_reg', 2));
SELECT modelmgr.evaluate('hs_lin', 'public.diabetes');
SELECT modelmgr.evaluate('hs_log', 'public.breast_cancer');
SELECT modelmgr.evaluate('hs_iris', 'public.iris');
SELECT * FROM modelmgr.drift('hs_lin', 'public.diabetes');
SELECT modelmgr.monitor('hs_lin', 'public.diabetes');
SELECT modelmgr.monitor('hs_log', 'public.breast_cancer');
SELECT modelmgr.resolve_alerts('hs_lin', 'done');
SELECT modelmgr.rollback('hs_lin');
SELECT * FROM modelmgr.model_signature(modelmgr.model('hs_reg'));
SELECT modelmgr.revoke_signing_key('hs_key');
SELECT modelmgr.trust_signing_key('hs_key');
SELECT modelmgr.prometheus_metrics();
SELECT modelmgr.describe(ARRAY[age, bmi]) FROM public.diabetes;
SELECT modelmgr.corr_matrix(ARRAY[age, bmi, bp]) FROM public.diabetes;
SELECT count(*) FROM public.diabetes d WHERE modelmgr.split_is_test(d.id, 0.2::float8, 1);
SELECT modelmgr.r2(modelmgr.predict('hs_lin', d), target) FROM public.diabetes d;
SELECT modelmgr.roc_auc((modelmgr.predict_proba('hs_log', b))[2], target::float8) FROM public.breast_cancer b;
SELECT modelmgr.drop_model('hs_imp2');
SELECT modelmgr.drop_model('hs_imp', 1, true);
SELECT * FROM modelmgr.verify_audit();
SELECT count(*) FROM modelmgr.audit;
SQL

nscen=$(wc -l <"$WORK/scenario.sql")
# run DATABASE PATH: the scenario, then the generated calls, as the superuser, with PATH
run() {
    local db=$1 path=$2 out ran nran escen ecalls
    out=$WORK/out-$db
    { echo "SET search_path = $path;"; cat "$WORK/scenario.sql"; } \
        | psql -X -q -At -v VERBOSITY=terse -d "$db" >"$out.scenario" 2>&1
    { echo "SET search_path = $path;"; cat "$WORK/calls.sql"; } \
        | psql -X -q -At -v VERBOSITY=terse -d "$db" >"$out.calls" 2>&1
    ran=$(cat "$out.scenario" "$out.calls" | grep -o 'HOSTILE ran: .*' | sort -u)
    nran=$(printf '%s' "$ran" | grep -c . || true)
    escen=$(grep -c '^ERROR' "$out.scenario" || true)
    ecalls=$(grep -c '^ERROR' "$out.calls" || true)
    echo "search_path = $path: $nscen scenario statements ($escen errors), $ncalls generated calls ($ecalls ended in an error, e.g. NULL or unfitting arguments); hostile objects ran: $nran"
    if [ "$nran" != 0 ]; then
        echo "FAIL: hostile objects ran under search_path = $path:" >&2
        printf '%s\n' "$ran" | head -20 >&2
        fail=1
    fi
    if [ "$escen" != 0 ]; then
        echo "FAIL: scenario statements failed under search_path = $path:" >&2
        grep '^ERROR' "$out.scenario" | head -5 >&2
        fail=1
    fi
}
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE hostile2 TEMPLATE hostile" || exit 1
run hostile 'evil, public, pg_catalog'
run hostile2 'public'

# Positive control: the harness's own unqualified call runs a shadow.
ctl=$(psql -X -q -At -c "SET search_path = public" -c "SELECT array_ndims(ARRAY['a'])" 2>&1 | grep -c 'HOSTILE ran' || true)
if [ "$ctl" -ge 1 ]; then echo "ok: positive control (an unqualified array_ndims of the harness ran public.array_ndims(text[]))"
else echo "FAIL: positive control: the shadows do not run" >&2; fail=1; fi

if grep -q 'terminated by signal\|server process .* was terminated' "$PGHOST/server.log" 2>/dev/null; then
    echo "FAIL: a backend crashed" >&2; fail=1
fi
[ $fail = 0 ] && echo "ok: no hostile object ran"
exit $fail
