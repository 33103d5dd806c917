-- Aggregate states are not duplicated per group: the executor copies every new transition value
-- into the aggregate context, so a state allocated there as well would be a dead copy per group.
-- A HashAggregate over many groups must use about one live state per group.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE grp AS
SELECT i, i % 300 AS g, ARRAY(SELECT sin(i * j) FROM generate_series(1, 16) j)::float8[] AS x, (i % 2)::float8 AS y
FROM generate_series(1, 30000) i;
ANALYZE grp;

-- kB a HashAggregate reports for "SELECT g, <agg> FROM grp GROUP BY g"
CREATE FUNCTION pg_temp.hash_kb(agg text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE r record; kb float8;
BEGIN
    SET LOCAL enable_sort = off; SET LOCAL work_mem = '1GB'; SET LOCAL max_parallel_workers_per_gather = 0;
    FOR r IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT g, ' || agg || ' FROM grp GROUP BY g' LOOP
        IF r."QUERY PLAN" ~ 'Memory Usage: \d+kB' THEN
            kb := (regexp_match(r."QUERY PLAN", 'Memory Usage: (\d+)kB'))[1]::float8;
        END IF;
    END LOOP;
    RETURN kb;
END $$;

-- the live state of one group, from the _partial form
SELECT cmp_ok(pg_temp.hash_kb('modelmgr.linreg_fit(x, y)') * 1024,
              '<', (1.4 * 300 * (SELECT length(modelmgr.linreg_fit_partial(x, y)) FROM grp WHERE g = 0))::float8,
    'linreg_fit: about one state per group');
SELECT cmp_ok(pg_temp.hash_kb('modelmgr.describe(x)') * 1024,
              '<', (1.4 * 300 * (SELECT length(modelmgr.describe_partial(x)) FROM grp WHERE g = 0) + 300 * 8192)::float8,
    'describe: about one state per group');
SELECT cmp_ok(pg_temp.hash_kb('modelmgr.sgd_epoch(modelmgr.sgd_init(''logistic_regression'', 16), x, y)') * 1024,
              '<', (1.4 * 300 * (SELECT length(modelmgr.sgd_epoch_partial(modelmgr.sgd_init('logistic_regression', 16), x, y)) FROM grp WHERE g = 0) + 300 * 8192)::float8,
    'sgd_epoch: about one state per group');

SELECT * FROM finish();
ROLLBACK;
