#!/usr/bin/env bash
# forged_states.sh: no aggregate support function trusts a state it did not build.
# Run with PGHOST/PGPORT/PGUSER (a superuser) of a running cluster where modelmgr can be installed.
#
# 1. The two reproducers of issue 16, as a member of modelmgr_reader: CREATE AGGREGATE
#    pg_temp.a(...) (sfunc = modelmgr.linreg_fit_sfunc / sgd_epoch_sfunc, stype = bytea,
#    initcond = a state with a forged header word: linreg's buffered-row count, SGD's number of
#    outputs), then calling it: must be ERROR XX001/22P03 (today's main: signal 11).
# 2. A campaign: for every transition function of every modelmgr aggregate (each distinct
#    sfunc and argument types, the *_merge ones too), TRIALS (default 1,000) forged initial
#    states derived from a valid state of that function: truncations to 0-64 bytes and others,
#    bit flips, forged header words, NaN/Inf payload words, random bytes, extensions. One
#    aggregate per function is created (with the final function of one of its aggregates) and
#    pg_aggregate.agginitval is set for each trial. Every trial must be refused (XX001 or
#    22P03), a clean ERROR of another class (counted; not XX000), or accepted (then the final
#    function validated the result completely).
# 3. The server log gained no crash line, the backend PID and postmaster start time are unchanged.
# Prints the totals: tried / refused / other-error / accepted-valid / crashed.
set -uo pipefail

DB=mm_forged_$$
TRIALS=${TRIALS:-1000}
cleanup() { dropdb --if-exists "$DB" 2>/dev/null; psql -X -q -d postgres -c "DROP ROLE IF EXISTS mm_forger_$$" 2>/dev/null; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

createdb "$DB" || die "createdb"
q >/dev/null <<SQL || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE ROLE mm_forger_$$ LOGIN IN ROLE modelmgr_reader;
SQL

LOG=$(q -c "SELECT setting FROM pg_settings WHERE name = 'data_directory'")/../server.log
LOGSIZE=$(q -c "SELECT (pg_stat_file('$LOG')).size" 2>/dev/null || echo -1)
START=$(q -c "SELECT pg_postmaster_start_time()")

# --- 1. the reproducers, as a modelmgr_reader member --------------------------------------
repro() {   # $1: SQL making a valid raw state into :st; $2 sfunc; $3 arg types; $4 call; $5 offset of the forged word
    local out
    out=$(psql -X -q -At -d "$DB" -U "mm_forger_$$" -v VERBOSITY=verbose 2>&1 <<SQL
$1
SELECT '\x' || encode(overlay(:'st'::bytea placing '\xffffff7f'::bytea from $5 + 1 for 4), 'hex') AS forged \gset
CREATE AGGREGATE pg_temp.a($3) (sfunc = modelmgr.$2, stype = bytea, initcond = :'forged');
$4
SQL
)
    echo "$out" | grep -Eq "ERROR: +(XX001|22P03)" || die "reproducer $2: expected ERROR XX001/22P03, got: $out"
    echo "reproducer $2 (as a modelmgr_reader member): $(echo "$out" | grep -E 'ERROR' | head -1)"
}
repro "SELECT substring(modelmgr.linreg_fit_partial(x, y) from 9) AS st FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8), (ARRAY[2, 1], 4), (ARRAY[3, 5], 1)) v(x, y) \gset" \
      linreg_fit_sfunc "float8[], float8" \
      "SELECT pg_temp.a(x, y) FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8), (ARRAY[2, 1], 4)) v(x, y);" 16
repro "SELECT substring(modelmgr.sgd_epoch_partial(modelmgr.sgd_init('logistic_regression', 2, '{}'), x, y) from 9) AS st FROM (VALUES (ARRAY[1, 2]::float8[], 1::float8), (ARRAY[2, 1], 0)) v(x, y) \gset" \
      sgd_epoch_sfunc "bytea, float8[], float8" \
      "SELECT pg_temp.a(modelmgr.sgd_init('logistic_regression', 2, '{}'), x, y) FROM (VALUES (ARRAY[1, 2]::float8[], 1::float8), (ARRAY[2, 1], 0)) v(x, y);" 12

# --- 2. the campaign ----------------------------------------------------------------------
q >/dev/null <<'SQL' || die "campaign setup"
SET client_min_messages = warning;
CREATE SCHEMA forge;
-- input rows for each argument type list
CREATE TABLE forge.rows_in (sig text, sql text);
INSERT INTO forge.rows_in VALUES
 ('double precision,double precision', 'SELECT * FROM (VALUES (0::float8, 0::float8), (1, 1), (1, 0), (0, 1)) v(a, b)'),
 ('double precision,double precision,double precision', 'SELECT * FROM (VALUES (0::float8, 0::float8, 1::float8), (1, 1, 1), (1, 0, 1), (0, 1, 1)) v(a, b, c)'),
 ('text,text', $$SELECT * FROM (VALUES ('a'::text, 'a'::text), ('b', 'b'), ('a', 'b')) v(a, b)$$),
 ('text,text,text', $$SELECT * FROM (VALUES ('a'::text, 'a'::text, 'b'::text), ('b', 'b', 'b'), ('a', 'b', 'b')) v(a, b, c)$$),
 ('double precision,boolean', 'SELECT * FROM (VALUES (0.2::float8, false), (0.8, true), (0.6, false), (0.4, true)) v(a, b)'),
 ('double precision[]', 'SELECT * FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[2, 1]), (ARRAY[3, 5])) v(a)'),
 ('double precision[],text[]', $$SELECT * FROM (VALUES (ARRAY[1, 2]::float8[], ARRAY['u', 'v']), (ARRAY[2, 1], ARRAY['u', 'v']), (ARRAY[3, 5], ARRAY['u', 'v'])) v(a, b)$$),
 ('describe_sfunc:double precision[],jsonb', $$SELECT * FROM (VALUES (ARRAY[1, 2]::float8[], '{"quantiles": "exact"}'::jsonb), (ARRAY[2, 1], '{"quantiles": "exact"}'), (ARRAY[3, 5], '{"quantiles": "exact"}')) v(a, b)$$),
 ('double precision[],text[],jsonb', $$SELECT * FROM (VALUES (ARRAY[1, 2]::float8[], ARRAY['u', 'v'], '{}'::jsonb), (ARRAY[2, 1], ARRAY['u', 'v'], '{}'), (ARRAY[3, 5], ARRAY['u', 'v'], '{}')) v(a, b, c)$$),
 ('double precision[],double precision', 'SELECT * FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8), (ARRAY[2, 1], 4), (ARRAY[3, 5], 1), (ARRAY[0, 1], 2)) v(a, b)'),
 ('double precision[],integer', 'SELECT * FROM (VALUES (ARRAY[0.2, 0.8]::float8[], 1), (ARRAY[0.7, 0.3], 0), (ARRAY[0.4, 0.6], 1)) v(a, b)'),
 ('double precision[],text,text[]', $$SELECT * FROM (VALUES (ARRAY[0.2, 0.8]::float8[], 'v'::text, ARRAY['u', 'v']), (ARRAY[0.7, 0.3], 'u', ARRAY['u', 'v']), (ARRAY[0.4, 0.6], 'v', ARRAY['u', 'v'])) v(a, b, c)$$),
 ('double precision[],double precision,double precision[]', 'SELECT * FROM (VALUES (ARRAY[0.2, 0.8]::float8[], 1::float8, ARRAY[0, 1]::float8[]), (ARRAY[0.7, 0.3], 0, ARRAY[0, 1]::float8[]), (ARRAY[0.4, 0.6], 1, ARRAY[0, 1]::float8[])) v(a, b, c)'),
 ('corr_matrix_sfunc:double precision[],jsonb', $$SELECT * FROM (VALUES (ARRAY[1, 2, NULL]::float8[], '{"nulls": "pairwise"}'::jsonb), (ARRAY[2, 1, 3], '{"nulls": "pairwise"}'), (ARRAY[3, 5, 1], '{"nulls": "pairwise"}'), (ARRAY[0, NULL, 2], '{"nulls": "pairwise"}')) v(a, b)$$),
 ('double precision[],double precision,jsonb', $$SELECT * FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8, '{}'::jsonb), (ARRAY[2, 1], 4, '{}'), (ARRAY[3, 5], 1, '{}'), (ARRAY[0, 1], 2, '{}')) v(a, b, c)$$),
 ('bytea,double precision[],double precision', $$SELECT modelmgr.sgd_init('logistic_regression', 2, '{}') AS a, b, c FROM (VALUES (ARRAY[1, 2]::float8[], 1::float8), (ARRAY[2, 1], 0), (ARRAY[3, 5], 1)) v(b, c)$$),
 ('model_with_baseline_sfunc', $$SELECT m.m AS a, v.b FROM (SELECT modelmgr.linreg_fit(x, y) AS m FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8), (ARRAY[2, 1], 4), (ARRAY[3, 5], 1), (ARRAY[0, 1], 2)) w(x, y)) m, (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[2, 1]), (ARRAY[3, 5]), (ARRAY[0, 1])) v(b)$$),
 ('drift_psi_sfunc', $$SELECT m.m AS a, v.b FROM (SELECT modelmgr.model_with_baseline(m, b) AS m FROM (SELECT modelmgr.linreg_fit(x, y) AS m FROM (VALUES (ARRAY[1, 2]::float8[], 3::float8), (ARRAY[2, 1], 4), (ARRAY[3, 5], 1), (ARRAY[0, 1], 2)) w(x, y)) m, (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[2, 1]), (ARRAY[3, 5]), (ARRAY[0, 1])) v(b)) m, (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[2, 1]), (ARRAY[3, 4]), (ARRAY[0, 1])) v(b)$$),
 ('linreg_fit_combine', $$SELECT modelmgr.linreg_fit_partial(x, y) AS a FROM (VALUES (1, ARRAY[1, 2]::float8[], 3::float8), (1, ARRAY[2, 1], 4), (2, ARRAY[3, 5], 1), (2, ARRAY[0, 1], 2)) w(g, x, y) GROUP BY g$$),
 ('sgd_epoch_combine', $$SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('logistic_regression', 2, '{}'), x, y) AS a FROM (VALUES (1, ARRAY[1, 2]::float8[], 1::float8), (1, ARRAY[2, 1], 0), (2, ARRAY[3, 5], 1), (2, ARRAY[0, 1], 0)) w(g, x, y) GROUP BY g$$),
 ('metric_combine', $$SELECT modelmgr.accuracy_partial(p, y) AS a FROM (VALUES (1, 0::float8, 0::float8), (1, 1, 1), (2, 1, 0), (2, 0, 1)) w(g, p, y) GROUP BY g$$),
 ('describe_combine', $$SELECT modelmgr.describe_partial(x) AS a FROM (VALUES (1, ARRAY[1, 2]::float8[]), (1, ARRAY[2, 1]), (2, ARRAY[3, 5]), (2, ARRAY[0, 1])) w(g, x) GROUP BY g$$),
 ('corr_matrix_combine', $$SELECT modelmgr.corr_matrix_partial(x) AS a FROM (VALUES (1, ARRAY[1, 2]::float8[]), (1, ARRAY[2, 1]), (2, ARRAY[3, 5]), (2, ARRAY[0, 1])) w(g, x) GROUP BY g$$);

-- one row per transition function and argument types, with a final function of one of its aggregates
CREATE TABLE forge.fn AS
SELECT row_number() OVER (ORDER BY sfunc, args) AS k, sfunc, args, final
FROM (SELECT a.aggtransfn::regproc::text AS sfunc, pg_get_function_identity_arguments(a.aggfnoid) AS args0,
             oidvectortypes(p.proargtypes) AS args,
             (array_agg(a.aggfinalfn::regproc::text ORDER BY a.aggfinalfn::regproc::text ~ '(_seal_state|metric_partial_final)$', a.aggfinalfn::regproc::text))[1] AS final
      FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
      WHERE p.pronamespace = 'modelmgr'::regnamespace
      GROUP BY 1, 2, 3) s;

CREATE FUNCTION forge.rows_sql(f forge.fn) RETURNS text LANGUAGE sql AS $$
    -- rows keyed by "sfunc:argument types" where one argument list serves aggregates with different options
    SELECT sql FROM forge.rows_in
    WHERE sig IN (CASE WHEN f.sfunc ~ '(combine|model_with_baseline_sfunc|drift_psi_sfunc)$' THEN regexp_replace(f.sfunc, '^modelmgr\.', '') ELSE replace(f.args, ', ', ',') END,
                  regexp_replace(f.sfunc, '^modelmgr\.', '') || ':' || replace(f.args, ', ', ','))
    ORDER BY sig LIKE '%:%' DESC LIMIT 1
$$;

-- a forged variant of the valid state v, trial i (deterministic given the seed)
CREATE FUNCTION forge.mutate(v bytea, i int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    L int := length(v);
    b bytea := v;
    n int;
    off int;
    w bytea;
    words bytea[] := ARRAY['\x00000000', '\x01000000', '\xffffffff', '\xffffff7f', '\x00000080', '\x00001000', '\x02000000', '\xfeffffff']::bytea[];
BEGIN
    CASE i % 8
    WHEN 0 THEN  -- truncation: 0-64 bytes, then anywhere
        IF i / 8 <= 64 THEN n := i / 8; ELSE n := floor(random() * L)::int; END IF;
        RETURN substring(v from 1 for least(n, L - 1));
    WHEN 1 THEN  -- 1 to 3 bit flips, half of the time in the first 64 bytes
        FOR j IN 1 .. 1 + (i / 8) % 3 LOOP
            off := CASE WHEN random() < 0.5 THEN floor(random() * least(L, 64)) ELSE floor(random() * L) END;
            b := set_byte(b, off, get_byte(b, off) # (1 << floor(random() * 8)::int));
        END LOOP;
        RETURN b;
    WHEN 2, 3 THEN  -- a forged 4-byte header word (an aligned one, or any offset)
        off := CASE WHEN i % 8 = 2 THEN 4 * floor(random() * least(L, 64) / 4) ELSE floor(random() * least(L, 64)) END;
        off := least(off, L - 4);
        w := CASE WHEN random() < 0.75 THEN words[1 + floor(random() * array_length(words, 1))::int]
                  ELSE int4send((random() * 4294967295 - 2147483648)::bigint::int) END;
        IF random() < 0.25 THEN w := int4send(L + (floor(random() * 5) * 8 - 16)::int); END IF;
        RETURN overlay(b placing w from off + 1 for 4);
    WHEN 4 THEN  -- a NaN or infinite payload word at an aligned offset
        off := 8 * floor(random() * (L / 8));
        w := (ARRAY['\x000000000000f87f', '\x000000000000f07f', '\x000000000000f0ff', '\x010000000000f07f'])[1 + (i / 8) % 4]::bytea;
        RETURN overlay(b placing w from least(off, L - 8) + 1 for 8);
    WHEN 5 THEN  -- random bytes, of a random length, or after the valid first 8 or 64 bytes
        n := floor(random() * 2 * L)::int;
        w := decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') FROM generate_series(1, n);
        w := coalesce(w, '\x'::bytea);
        RETURN CASE (i / 8) % 3 WHEN 0 THEN w WHEN 1 THEN substring(v from 1 for 8) || w ELSE substring(v from 1 for 64) || w END;
    WHEN 6 THEN  -- extension or shortening by a few words, header kept
        n := (floor(random() * 9) - 4)::int * 8 + (i / 8) % 2;
        IF n >= 0 THEN RETURN v || decode(repeat('00', n), 'hex'); END IF;
        RETURN substring(v from 1 for L + n);
    ELSE  -- several bytes of the whole state randomised
        FOR j IN 1 .. 1 + (i / 8) % 8 LOOP
            off := floor(random() * L);
            b := set_byte(b, off, floor(random() * 256)::int);
        END LOOP;
        RETURN b;
    END CASE;
END $$;

CREATE TABLE forge.result (k int, sfunc text, args text, trials int, refused int, other int, accepted int, other_codes text);

CREATE FUNCTION forge.run(f forge.fn, trials int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    rows text := forge.rows_sql(f);
    cols text;
    raw bytea;
    st bytea;
    code text;
    agg regprocedure;
    r_ref int := 0; r_oth int := 0; r_acc int := 0;
    codes text[] := '{}';
    out text;
    q text;
BEGIN
    IF rows IS NULL THEN RAISE EXCEPTION 'no input rows for % (%)', f.sfunc, f.args; END IF;
    cols := CASE array_length(string_to_array(f.args, ','), 1) WHEN 1 THEN 'a' WHEN 2 THEN 'a, b' ELSE 'a, b, c' END;
    EXECUTE format('CREATE AGGREGATE forge.raw%s(%s) (sfunc = %s, stype = bytea)', f.k, f.args, f.sfunc);
    EXECUTE format('SELECT forge.raw%s(%s) FROM (%s) r', f.k, cols, rows) INTO raw;
    IF raw IS NULL THEN RAISE EXCEPTION 'no valid state for %', f.sfunc; END IF;
    IF substring(raw from 1 for 4) = '\x4d4d5053'::bytea THEN raw := substring(raw from 9); END IF;
    EXECUTE format('CREATE AGGREGATE forge.agg%s(%s) (sfunc = %s, stype = bytea, finalfunc = %s, initcond = %L)',
                   f.k, f.args, f.sfunc, f.final, '\x' || encode(raw, 'hex'));
    agg := format('forge.agg%s(%s)', f.k, f.args)::regprocedure;
    q := format('SELECT forge.agg%s(%s)::text FROM (%s) r', f.k, cols, rows);
    EXECUTE q INTO out;   -- the valid state itself is accepted
    FOR i IN 1 .. trials LOOP
        st := forge.mutate(raw, i);
        UPDATE pg_catalog.pg_aggregate SET agginitval = '\x' || encode(st, 'hex') WHERE aggfnoid = agg;
        BEGIN
            EXECUTE q INTO out;
            r_acc := r_acc + 1;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE;
            IF code IN ('XX001', '22P03') THEN
                r_ref := r_ref + 1;
            ELSE
                r_oth := r_oth + 1;
                IF NOT code = ANY (codes) THEN codes := codes || code; END IF;
            END IF;
        END;
    END LOOP;
    INSERT INTO forge.result VALUES (f.k, f.sfunc, f.args, trials, r_ref, r_oth, r_acc, array_to_string(codes, ' '));
END $$;
SQL

PID=$(q -c "SELECT pg_backend_pid()")
N=$(q -c "SELECT count(*) FROM forge.fn")
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" 2>&1 <<SQL
SET client_min_messages = warning;
SELECT setseed(0.16);
SELECT pg_backend_pid() AS pid0 \gset
SELECT forge.run(f, $TRIALS) FROM forge.fn f ORDER BY k;
SELECT 'pid ' || (pg_backend_pid() = :pid0);
SQL
)
rc=$?
echo "$out" | grep -v '^$' | grep -v '^pid true$' | head -20
[ $rc = 0 ] || die "campaign did not complete (rc $rc)"
echo "$out" | grep -q '^pid true$' || die "the backend changed during the campaign"
q -c "SELECT format('%-34s %-48s tried %s refused %s other %s accepted %s %s', sfunc, args, trials, refused, other, accepted, other_codes) FROM forge.result ORDER BY k"

bad=$(q -c "SELECT string_agg(sfunc || '(' || args || '): ' || other_codes, '; ') FROM forge.result WHERE other_codes ~ 'XX000'")
[ -z "$bad" ] || die "internal errors (XX000) on forged states: $bad"
missing=$(q -c "SELECT $N - count(*) FROM forge.result")
[ "$missing" = 0 ] || die "$missing transition functions not tried"

# --- 3. the server log and the postmaster ------------------------------------------------
[ "$(q -c "SELECT pg_postmaster_start_time()")" = "$START" ] || die "the postmaster restarted"
crashed=0
if [ "$LOGSIZE" != -1 ]; then
    crashed=$(q -c "SELECT count(*) FROM regexp_split_to_table(pg_read_file('$LOG', $LOGSIZE, greatest((pg_stat_file('$LOG')).size - $LOGSIZE, 0)), E'\n') l
                    WHERE l ~ '(terminated by signal|server process .* was terminated|was terminated by exception|all server processes terminated)'")
else
    echo "note: server log not readable; relying on the backend PID and postmaster start time"
fi
q -c "SELECT format('forged states: %s transition functions, tried %s, refused (XX001/22P03) %s, other errors %s, accepted-valid %s, crashed %s',
                    count(*), sum(trials), sum(refused), sum(other), sum(accepted), $crashed) FROM forge.result"
[ "$crashed" = 0 ] || die "the server log shows $crashed crash lines"
echo "ok"
