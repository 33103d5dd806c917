-- A backend that has run BLAS work stays single-threaded, on the serial OpenBLAS build, which
-- modelmgr opens only when least squares first needs it.
BEGIN;
SELECT plan(7);

-- modelmgr is loaded (a prediction and an SGD pass), OpenBLAS is not yet
SELECT is(modelmgr.predict(modelmgr.sgd_epoch(modelmgr.sgd_init('linear_regression', 2), ARRAY[1, 2]::float8[], 3),
                           ARRAY[1, 2]::float8[]) IS NOT NULL, true, 'modelmgr work without BLAS');
SELECT ok(pg_read_file('/proc/self/maps') ~ 'modelmgr' AND pg_read_file('/proc/self/maps') !~ 'libopenblas',
    'OpenBLAS is not loaded before least squares needs it');

-- corr_matrix folds co-moments like linreg_fit; where the CPU has AVX2 and FMA its tiles do it
-- without OpenBLAS (so parallel workers never load it)
SELECT isnt(modelmgr.corr_matrix(ARRAY[sin(i), cos(i), sin(2 * i), cos(3 * i)]::float8[]), NULL, 'corr_matrix done')
FROM generate_series(1, 20000) i;
SELECT CASE WHEN pg_read_file('/proc/cpuinfo') ~ '\mavx2\M' AND pg_read_file('/proc/cpuinfo') ~ '\mfma\M'
    THEN ok(pg_read_file('/proc/self/maps') !~ 'libopenblas', 'corr_matrix does not load OpenBLAS where the CPU has AVX2 and FMA')
    ELSE skip('no AVX2 and FMA: co-moments are folded by dsyrk here') END;

-- BLAS work in this backend: co-moment folds, dpotrf/dpocon/dpotrs solve
SELECT isnt(modelmgr.linreg_fit(ARRAY[sin(i), cos(i), sin(2 * i), cos(3 * i)]::float8[], sin(i) + i % 3), NULL, 'BLAS work done')
FROM generate_series(1, 20000) i;

SELECT is((regexp_match(pg_read_file('/proc/self/status'), 'Threads:\s+(\d+)'))[1]::int, 1,
    'the backend has exactly one thread after BLAS work');
SELECT ok(pg_read_file('/proc/self/maps') ~ 'openblas-serial/libopenblas' AND pg_read_file('/proc/self/maps') !~ 'openblas-pthread',
    'the serial OpenBLAS build is the one loaded');

SELECT * FROM finish();
ROLLBACK;
