-- linreg_fit under a forced parallel plan gives the serial coefficients.
BEGIN;
SELECT plan(4);

CREATE TABLE par_data AS
SELECT i, ARRAY[sin(i), cos(i * 0.7) * 100, (i % 13)::float8, ln(i + 1)]::float8[] AS x,
       1.5 + 2 * sin(i) - 0.03 * cos(i * 0.7) * 100 + 0.25 * (i % 13) + sin(i * 3.1) AS y
FROM generate_series(1, 50000) i;
ANALYZE par_data;

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
CREATE FUNCTION pg_temp.coefs(m bytea) RETURNS float8[] LANGUAGE sql AS $$
    SELECT ARRAY[(modelmgr.model_info(m)->>'intercept')::float8]
        || ARRAY(SELECT jsonb_array_elements_text(modelmgr.model_info(m)->'coefficients')::float8)
$$;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT modelmgr.linreg_fit(x, y) AS m, modelmgr.linreg_fit(x, y, '{"l2": 0.01}') AS r FROM par_data;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL force_parallel_mode = on;

SELECT matches(pg_temp.plan_text('SELECT modelmgr.linreg_fit(x, y) FROM par_data'), 'Partial Aggregate',
    'the plan aggregates in parallel workers');
SELECT matches(pg_temp.plan_text('SELECT modelmgr.linreg_fit(x, y) FROM par_data'), 'Workers Planned: 2',
    'two workers planned');

SELECT cmp_ok((SELECT max(abs(a - b) / greatest(abs(b), 1e-300))
               FROM unnest(pg_temp.coefs(p.m), pg_temp.coefs(s.m)) t(a, b)), '<', 1e-10::float8,
    'parallel least squares equals serial to 1e-10')
FROM (SELECT modelmgr.linreg_fit(x, y) AS m FROM par_data) p, serial s;

SELECT cmp_ok((SELECT max(abs(a - b) / greatest(abs(b), 1e-300))
               FROM unnest(pg_temp.coefs(p.r), pg_temp.coefs(s.r)) t(a, b)), '<', 1e-10::float8,
    'parallel ridge equals serial to 1e-10')
FROM (SELECT modelmgr.linreg_fit(x, y, '{"l2": 0.01}') AS r FROM par_data) p, serial s;

SELECT * FROM finish();
ROLLBACK;
