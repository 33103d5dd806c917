-- describe's quartiles on 1M generated rows under a forced parallel plan, against PostgreSQL's
-- own percentile_disc / percentile_cont: the sketch (lognormal, bimodal, tie-heavy features)
-- within rank error 0.005 (ties: the interval [F_n(v-), F_n(v)]), exact type 7 below the
-- distinct-value limit and with {"quantiles": "exact"}; option errors and the memory budget.
BEGIN;
SELECT plan(14);
SET LOCAL search_path = modelmgr, public;

-- u1, u2: deterministic pseudo-random uniforms in (0, 1) from PostgreSQL's integer hash
CREATE TABLE dq AS
SELECT i,
       ARRAY[exp(1.5 * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)),
             CASE WHEN u1 < 0.3 THEN -4 + u2 ELSE 3 + 2 * u2 * u2 END,
             CASE WHEN u2 < 0.6 THEN floor(u2 * 8.3) ELSE -10 * ln(u1) END,
             ((i::bigint * 7919) % 16384) * 0.37]::float8[] AS x
FROM (SELECT i, (hashint8(i)::float8 + 2147483648.5) / 4294967297.0 AS u1,
             (hashint8(i::bigint + 1000003)::float8 + 2147483648.5) / 4294967297.0 AS u2
      FROM generate_series(1, 1000000) i) s;
ANALYZE dq;

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL force_parallel_mode = on;

SELECT matches(pg_temp.plan_text('SELECT modelmgr.describe(x) FROM dq'), 'Partial Aggregate',
    'describe runs as a partial aggregate');
CREATE TEMP TABLE dres AS SELECT modelmgr.describe(x) AS d, modelmgr.describe(x, '{"quantiles": "exact"}'::jsonb) AS e FROM dq;
CREATE TEMP TABLE fq AS
SELECT j, (f->>'p25')::float8 AS p25, (f->>'p50')::float8 AS p50, (f->>'p75')::float8 AS p75,
       f->>'quantiles' AS mode, (f->>'rank_error')::float8 AS bound
FROM dres, jsonb_array_elements(d->'features') WITH ORDINALITY AS t(f, j);
RESET force_parallel_mode;

-- the empirical CDF at each reported quartile: F(v-) and F(v) over the 1M values
CREATE TEMP TABLE rk AS
SELECT fq.j, q.q, q.v,
       (SELECT count(*) FILTER (WHERE x[fq.j] < q.v) FROM dq)::float8 / 1000000 AS flo,
       (SELECT count(*) FILTER (WHERE x[fq.j] <= q.v) FROM dq)::float8 / 1000000 AS fhi
FROM fq, LATERAL (VALUES (0.25::float8, fq.p25), (0.5, fq.p50), (0.75, fq.p75)) AS q(q, v)
WHERE fq.j <= 3;
CREATE TEMP TABLE rkerr AS
SELECT j, max(CASE WHEN q BETWEEN flo AND fhi THEN 0 WHEN q < flo THEN flo - q ELSE q - fhi END) AS err FROM rk GROUP BY j;

SELECT is((SELECT array_agg(mode ORDER BY j) FROM fq), ARRAY['sketch', 'sketch', 'sketch', 'exact'],
    'features 1-3 (more than 16384 distinct values) use the sketch, feature 4 (16384) is exact');
SELECT cmp_ok((SELECT err FROM rkerr WHERE j = 1), '<=', 0.005::float8, 'lognormal: rank error of the quartiles <= 0.005');
SELECT cmp_ok((SELECT err FROM rkerr WHERE j = 2), '<=', 0.005::float8, 'bimodal: rank error of the quartiles <= 0.005');
SELECT cmp_ok((SELECT err FROM rkerr WHERE j = 3), '<=', 0.005::float8, 'tie-heavy: rank error of the quartiles <= 0.005');
SELECT ok((SELECT bool_and(e.err <= fq.bound + 1e-12 AND fq.bound <= 0.005) FROM rkerr e JOIN fq USING (j)),
    'each sketch quartile is within the rank error bound describe reports, and the bound is <= 0.005');
-- percentile_disc agrees with the sketch quartile to within the same rank error
SELECT cmp_ok((SELECT max(abs(r.fhi - r2.fhi)) FROM rk r JOIN
        (SELECT 1 AS j, 0.5::float8 AS q, percentile_disc(0.5) WITHIN GROUP (ORDER BY x[1]) AS v FROM dq) p USING (j, q),
        LATERAL (SELECT (SELECT count(*) FROM dq WHERE x[1] <= p.v)::float8 / 1000000 AS fhi) r2), '<=', 0.005::float8,
    'lognormal median: the CDF at describe''s p50 and at percentile_disc(0.5) differ by <= 0.005');
SELECT ok((SELECT abs(p25 - pc[1]) <= 1e-12 * abs(pc[1]) AND abs(p50 - pc[2]) <= 1e-12 * abs(pc[2]) AND abs(p75 - pc[3]) <= 1e-12 * abs(pc[3])
           FROM fq, (SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY x[4]) AS pc FROM dq) p WHERE j = 4),
    'feature 4 (16384 distinct values): quartiles equal percentile_cont (type 7)');
-- the exact option: every value sorted, type 7 = percentile_cont
SELECT ok((SELECT bool_and(f->>'quantiles' = 'exact') FROM dres, jsonb_array_elements(e->'features') f),
    'with {"quantiles": "exact"} every feature is exact');
SELECT ok((SELECT bool_and(abs((f->>'p25')::float8 - pc[1]) <= 1e-12 * abs(pc[1]) AND abs((f->>'p50')::float8 - pc[2]) <= 1e-12 * abs(pc[2])
                  AND abs((f->>'p75')::float8 - pc[3]) <= 1e-12 * abs(pc[3]))
           FROM dres, jsonb_array_elements(e->'features') WITH ORDINALITY AS t(f, j),
                LATERAL (SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY x[t.j]) AS pc FROM dq) p),
    'exact option (parallel plan): every feature''s quartiles equal percentile_cont');
-- options
SELECT throws_ok($$SELECT modelmgr.describe(x, '{"quantile": "exact"}'::jsonb) FROM dq WHERE i < 3$$, '22023',
    'describe: unknown option "quantile"', 'an unknown option is an error naming the key');
SELECT throws_ok($$SELECT modelmgr.describe(x, '{"quantiles": "fast"}'::jsonb) FROM dq WHERE i < 3$$, '22023',
    NULL, 'a bad value of "quantiles" is an error');
SELECT is((SELECT modelmgr.describe(x, ARRAY['a', 'b', 'c', 'd'], '{"quantiles": "auto"}'::jsonb)->'features'->3->>'name' FROM dq WHERE i < 10),
    'd', 'names and options together');
-- the exact option's memory is counted against the budget
SET LOCAL modelmgr.train_memory_budget = 4096;
SELECT throws_ok($$SELECT modelmgr.describe(x, '{"quantiles": "exact"}'::jsonb) FROM dq$$, '53200',
    NULL, 'the exact option beyond modelmgr.train_memory_budget is ERROR 53200');

SELECT * FROM finish();
ROLLBACK;
