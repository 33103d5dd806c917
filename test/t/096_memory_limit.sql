-- The memory budget: modelmgr.train_memory_budget is superuser-only (a per-role default set by
-- ALTER ROLE that the role cannot raise or change), and every large allocation is counted against
-- it before it is made: over it is ERROR 53200 naming the setting, with the backend's peak
-- resident memory (VmHWM, read from /proc) far below what the request would have taken.
BEGIN;
SELECT plan(12);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

CREATE FUNCTION pg_temp.vmhwm_kb() RETURNS bigint LANGUAGE sql AS $$
    SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint
$$;

-- streaming at d = 25,000 under a 64 MB budget: the baseline sample (and every other buffer) is
-- counted as it grows, so the call fails long before the data would be held
SET LOCAL modelmgr.train_memory_budget = '64MB';
SELECT throws_like($$SELECT modelmgr.train('mem_stream',
        'SELECT array_fill((g % 7)::float8, ARRAY[25000]) AS x, (g % 3)::float8 AS y FROM generate_series(1, 300) g',
        'y', ARRAY['x'], 'linear_regression', '{"mode": "streaming", "solver": "sgd", "epochs": 1}')$$,
    '%would exceed modelmgr.train_memory_budget', 'd = 25,000 streaming under a 64 MB budget fails naming the setting');
SELECT throws_ok($$SELECT modelmgr.train('mem_stream',
        'SELECT array_fill((g % 7)::float8, ARRAY[25000]) AS x, (g % 3)::float8 AS y FROM generate_series(1, 300) g',
        'y', ARRAY['x'], 'linear_regression', '{"mode": "streaming", "solver": "sgd", "epochs": 1}')$$,
    '53200', NULL, 'the SQLSTATE is 53200 (out of memory)');
SELECT diag('d = 25,000 streaming, budget 65536 kB: backend VmHWM ' || pg_temp.vmhwm_kb() || ' kB');
SELECT cmp_ok(pg_temp.vmhwm_kb(), '<', 3 * 65536 / 2::bigint, 'peak resident memory stays under 1.5x the budget');

-- a 2 GB in-memory training set under a 1 GB budget: 2,700 rows of 100,000 features (2.2 GB
-- as a matrix, and its baseline sample besides); refused on a growth step long before the data
-- is read, and the refused memory is never touched
SET LOCAL modelmgr.train_memory_budget = '1GB';
SELECT throws_ok($$SELECT modelmgr.train('mem_wide',
        'SELECT array_fill((g % 5)::float8, ARRAY[100000]) AS x, (g % 5)::float8 AS y FROM generate_series(1, 2700) g',
        'y', ARRAY['x'], 'linear_regression', '{"mode": "memory", "solver": "sgd", "epochs": 1}')$$,
    '53200', NULL, 'a 2 GB in-memory request under a 1 GB budget fails with 53200');
SELECT diag('2.2 GB in-memory request, budget 1048576 kB: backend VmHWM ' || pg_temp.vmhwm_kb() || ' kB');
SELECT cmp_ok(pg_temp.vmhwm_kb(), '<', 1048576::bigint, 'peak resident memory stays under the budget');
-- the matrix itself: its first block of 1,024 rows (819 MB) does not fit 512 MB
SET LOCAL modelmgr.train_memory_budget = '512MB';
SELECT throws_ok($$SELECT modelmgr.train('mem_wide',
        'SELECT array_fill(0.5::float8, ARRAY[100000]) AS x, (g % 5)::float8 AS y FROM generate_series(1, 3) g',
        'y', ARRAY['x'], 'linear_regression', '{"mode": "memory", "solver": "sgd", "epochs": 1}')$$,
    '53200', 'training rows in memory would exceed modelmgr.train_memory_budget', 'the in-memory matrix is counted before it is allocated');
SELECT diag('819 MB in-memory block, budget 524288 kB: backend VmHWM ' || pg_temp.vmhwm_kb() || ' kB');
RESET modelmgr.train_memory_budget;

-- the budget is the superuser's: a role can neither raise nor change it, not even for itself
CREATE ROLE mm_mem_user;
GRANT USAGE ON SCHEMA modelmgr TO mm_mem_user;
SELECT lives_ok($$ALTER ROLE mm_mem_user SET modelmgr.train_memory_budget = '32MB'$$, 'a superuser sets a per-role default');
SET LOCAL ROLE mm_mem_user;
SELECT throws_ok($$SET modelmgr.train_memory_budget = '4GB'$$, '42501', NULL, 'a non-superuser cannot raise the budget');
SELECT throws_ok($$SET LOCAL modelmgr.train_memory_budget = '4GB'$$, '42501', NULL, 'nor for a transaction');
SELECT throws_ok($$SELECT set_config('modelmgr.train_memory_budget', '4GB', true)$$, '42501', NULL, 'nor through set_config');
SELECT throws_ok($$ALTER ROLE mm_mem_user SET modelmgr.train_memory_budget = '4GB'$$, '42501', NULL, 'nor as its own per-role default');
RESET ROLE;
SELECT is((SELECT context FROM pg_settings WHERE name = 'modelmgr.train_memory_budget'), 'superuser', 'the setting is PGC_SUSET');

SELECT * FROM finish();
ROLLBACK;
