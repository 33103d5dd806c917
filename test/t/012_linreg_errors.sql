-- Bad input to linreg_fit, predict and model_info: a clear ERROR with a fitting SQLSTATE, backend alive.
BEGIN;
SELECT plan(32);

CREATE TEMP TABLE good AS
SELECT modelmgr.linreg_fit(x, y) AS m
FROM (VALUES (ARRAY[1.0, 0.0]::float8[], 1.0::float8), (ARRAY[0.0, 1.0], 2.0), (ARRAY[1.0, 1.0], 3.5), (ARRAY[2.0, 1.0], 4.0)) v(x, y);

-- training input
SELECT throws_ok($$SELECT modelmgr.linreg_fit(NULL::float8[], 1.0)$$, '22004', NULL, 'NULL feature array');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0, 2.0]::float8[], NULL)$$, '22004', NULL, 'NULL target');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0, NULL]::float8[], 1.0)$$, '22004', NULL, 'NULL element');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0, 'NaN']::float8[], 1.0)$$, '22000', NULL, 'NaN feature');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0, 'Infinity']::float8[], 1.0)$$, '22000', NULL, 'infinite feature');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0]::float8[], 'NaN')$$, '22000', NULL, 'NaN target');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(x, 1.0) FROM (VALUES (ARRAY[1.0, 2.0]::float8[]), (ARRAY[1.0, 2.0, 3.0])) v(x)$$,
    '22000', 'linreg_fit: feature arrays have different lengths', 'mismatched lengths between rows');
SELECT throws_ok($$SELECT modelmgr.linreg_fit('{}'::float8[], 1.0)$$, '22000', NULL, 'zero-length array');
SELECT throws_ok($$SELECT modelmgr.linreg_fit('{{1,2},{3,4}}'::float8[], 1.0)$$, '22000', NULL, 'two-dimensional array');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[i, 2 * i]::float8[], i * 3.0) FROM generate_series(1, 20) i$$,
    '22000', 'the least-squares problem is rank deficient', 'collinear features are rank deficient');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[i, 5]::float8[], i * 3.0) FROM generate_series(1, 20) i$$,
    '22000', NULL, 'a constant feature is rank deficient');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[i, i * i, sin(i)]::float8[], i) FROM generate_series(1, 2) i$$,
    '22000', NULL, 'fewer rows than coefficients');
SELECT lives_ok($$SELECT modelmgr.linreg_fit(ARRAY[i, 2 * i]::float8[], i * 3.0, '{"l2": 0.1}') FROM generate_series(1, 20) i$$,
    'ridge solves collinear data');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0]::float8[], 1.0, '{"l3": 1}')$$, '22023',
    'unknown option "l3" for linreg_fit', 'unknown option');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0]::float8[], 1.0, '{"l2": "big"}')$$, '22023', NULL, 'option of the wrong type');
SELECT throws_ok($$SELECT modelmgr.linreg_fit(ARRAY[1.0]::float8[], 1.0, '{"l2": -1}')$$, '22023', NULL, 'option out of range');

-- states
SELECT throws_ok($$SELECT modelmgr.linreg_fit_final('\x00010203'::bytea)$$, 'XX001', NULL, 'garbage state');
SELECT throws_ok($$SELECT modelmgr.linreg_fit_merge(s) FROM (
        SELECT modelmgr.linreg_fit_partial(ARRAY[1.0]::float8[], 1.0) UNION ALL
        SELECT modelmgr.linreg_fit_partial(ARRAY[1.0, 2.0]::float8[], 1.0)) t(s)$$, '22000', NULL, 'combining states of different shapes');
SELECT throws_ok($$SELECT modelmgr.linreg_fit_merge(s) FROM (
        SELECT modelmgr.linreg_fit_partial(ARRAY[1.0]::float8[], 1.0) UNION ALL
        SELECT modelmgr.linreg_fit_partial(ARRAY[1.0]::float8[], 1.0, '{"l2": 1}')) t(s)$$, '22000', NULL, 'combining states with different options');
SELECT throws_ok($$SELECT modelmgr.linreg_fit_sfunc(NULL, ARRAY[1.0]::float8[], 1.0)$$, '0A000', NULL,
    'support functions refuse to run outside an aggregate');

-- models
SELECT throws_ok($$SELECT modelmgr.predict(''::bytea, ARRAY[1.0, 2.0])$$, 'XX001', NULL, 'empty model');
SELECT throws_ok($$SELECT modelmgr.predict(substring(m FROM 1 FOR length(m) - 3), ARRAY[1.0, 2.0]) FROM good$$,
    'XX001', NULL, 'truncated model');
SELECT throws_ok($$SELECT modelmgr.predict(set_bit(m, 8 * 50 + 3, 1 - get_bit(m, 8 * 50 + 3)), ARRAY[1.0, 2.0]) FROM good$$,
    'XX001', 'invalid model: model checksum mismatch', 'bit-flipped model');
SELECT throws_ok($$SELECT modelmgr.model_info(set_byte(m, 4, 2)) FROM good$$,
    'XX001', NULL, 'model from another format version');
SELECT throws_ok($$SELECT modelmgr.model_info(modelmgr.linreg_fit_partial(ARRAY[1.0]::float8[], 1.0))$$,
    'XX001', NULL, 'a state is not a model');
SELECT throws_ok($$SELECT modelmgr.predict(m, ARRAY[1.0, 2.0, 3.0]) FROM good$$, '22000',
    'feature array has 3 elements, but the model expects 2', 'predict with the wrong number of features');
SELECT throws_ok($$SELECT modelmgr.predict(m, ARRAY[1.0, NULL]) FROM good$$, '22004', NULL, 'predict with a NULL element');

SELECT throws_ok($$SELECT modelmgr.predict(m, ARRAY[1.0, 'NaN']) FROM good$$, '22000',
    'feature array must contain only finite values', 'predict with a NaN feature');
SELECT throws_ok($$SELECT modelmgr.predict_label(m, ARRAY['-Infinity', 1.0]) FROM good$$, '22000',
    'feature array must contain only finite values', 'predict_label with an infinite feature');

-- a checksummed model whose metadata is not JSON (test/scripts/make_bad_meta_model.py)
SELECT is(modelmgr.predict('\x4d4d444c010001000000000002000000010000000000000002000000000000005a000000584ff9420100000018000000000000000000f03f000000000000004000000000000008c0070000000a0000007b226e6f74206a736f6e'::bytea, ARRAY[1.0, 1.0]), 0::float8, 'predict needs only the coefficients');
SELECT throws_ok($$SELECT modelmgr.model_info('\x4d4d444c010001000000000002000000010000000000000002000000000000005a000000584ff9420100000018000000000000000000f03f000000000000004000000000000008c0070000000a0000007b226e6f74206a736f6e'::bytea)$$, 'XX001',
    'invalid model: its metadata is not valid JSON', 'model_info on metadata that is not JSON');

SELECT is((SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()), 1::bigint, 'the backend is still alive');

SELECT * FROM finish();
ROLLBACK;
