-- A backend that has run BLAS work stays single-threaded, on the serial OpenBLAS build, which
-- modelmgr opens only when least squares first needs it.
BEGIN;
SELECT plan(5);

-- modelmgr is loaded (a prediction and an SGD pass), OpenBLAS is not yet
SELECT is(modelmgr.predict(modelmgr.sgd_epoch(modelmgr.sgd_init('linear_regression', 2), ARRAY[1, 2]::float8[], 3),
                           ARRAY[1, 2]::float8[]) IS NOT NULL, true, 'modelmgr work without BLAS');
SELECT ok(pg_read_file('/proc/self/maps') ~ 'modelmgr' AND pg_read_file('/proc/self/maps') !~ 'libopenblas',
    'OpenBLAS is not loaded before least squares needs it');

-- BLAS work in this backend: dsyrk folds, dpotrf/dpocon/dpotrs solve
SELECT isnt(modelmgr.linreg_fit(ARRAY[sin(i), cos(i), sin(2 * i), cos(3 * i)]::float8[], sin(i) + i % 3), NULL, 'BLAS work done')
FROM generate_series(1, 20000) i;

SELECT is((regexp_match(pg_read_file('/proc/self/status'), 'Threads:\s+(\d+)'))[1]::int, 1,
    'the backend has exactly one thread after BLAS work');
SELECT ok(pg_read_file('/proc/self/maps') ~ 'openblas-serial/libopenblas' AND pg_read_file('/proc/self/maps') !~ 'openblas-pthread',
    'the serial OpenBLAS build is the one loaded');

SELECT * FROM finish();
ROLLBACK;
