-- describe / corr_matrix / split: errors with their SQLSTATEs, zero rows, NULLs, constant features,
-- corrupted or mismatched states.
BEGIN;
SELECT plan(46);

-- bad data
SELECT throws_ok($$SELECT modelmgr.describe(x) FROM (VALUES (ARRAY[1, 'NaN']::float8[])) t(x)$$,
    '22000', 'describe: feature array must contain only finite values', 'describe: NaN is an error');
SELECT throws_ok($$SELECT modelmgr.describe(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY['-Infinity', 2]::float8[])) t(x)$$,
    '22000', NULL, 'describe: infinity is an error');
SELECT throws_ok($$SELECT modelmgr.describe(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3]::float8[])) t(x)$$,
    '22000', 'describe: feature arrays have different lengths', 'describe: arrays of different lengths');
SELECT throws_ok($$SELECT modelmgr.describe(x) FROM (VALUES ('{}'::float8[])) t(x)$$,
    '22000', 'describe: feature array must not be empty', 'describe: empty array');
SELECT throws_ok($$SELECT modelmgr.describe(x) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) t(x)$$,
    '22000', NULL, 'describe: two-dimensional array');
SELECT throws_ok($$SELECT modelmgr.describe(x, ARRAY['a']) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)$$,
    '22000', 'describe: names has 1 elements but the feature array has 2', 'describe: names of the wrong length');
SELECT throws_ok($$SELECT modelmgr.describe(x, ARRAY['a', NULL]) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)$$,
    '22004', NULL, 'describe: NULL name');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(x) FROM (VALUES (ARRAY[1, NULL]::float8[])) t(x)$$,
    '22004', 'corr_matrix: feature array must not contain NULL elements', 'corr_matrix: NULL element');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(x) FROM (VALUES (ARRAY[1, 'NaN']::float8[])) t(x)$$,
    '22000', NULL, 'corr_matrix: NaN');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1]::float8[])) t(x)$$,
    '22000', 'corr_matrix: feature arrays have different lengths', 'corr_matrix: arrays of different lengths');
SELECT throws_ok($$SELECT modelmgr.split(1, -0.1)$$, '22023', 'split: test_fraction must be between 0 and 1', 'split: negative fraction');
SELECT throws_ok($$SELECT modelmgr.split('a'::text, 1.5)$$, '22023', NULL, 'split: fraction above 1');
SELECT throws_ok($$SELECT modelmgr.split_is_test(1, 'NaN')$$, '22023', NULL, 'split_is_test: NaN fraction');

-- zero rows and NULL inputs
SELECT is((SELECT modelmgr.describe(x) FROM (SELECT ARRAY[1]::float8[] WHERE false) t(x)), NULL, 'describe over zero rows is NULL');
SELECT is((SELECT modelmgr.corr_matrix(x) FROM (SELECT ARRAY[1]::float8[] WHERE false) t(x)), NULL, 'corr_matrix over zero rows is NULL');
SELECT is((SELECT modelmgr.describe_merge(s) FROM (SELECT NULL::bytea WHERE false) t(s)), NULL, 'describe_merge over zero rows is NULL');
SELECT is((SELECT modelmgr.corr_matrix_merge(s) FROM (VALUES (NULL::bytea)) t(s)), NULL, 'corr_matrix_merge of NULL states is NULL');
SELECT is((SELECT modelmgr.corr_matrix(x) FROM (VALUES (NULL::float8[]), (NULL)) t(x)), NULL, 'corr_matrix skips NULL arrays');
SELECT is((SELECT modelmgr.describe(x) FROM (VALUES (NULL::float8[]), (NULL)) t(x)), '{"rows": 2, "features": []}'::jsonb,
    'describe of NULL arrays only: rows counted, no features');
SELECT is((SELECT modelmgr.describe(x)->'features'->1 FROM (VALUES (NULL::float8[]), (ARRAY[1, NULL]), (ARRAY[3, 4]), (NULL)) t(x)),
    '{"index": 2, "count": 1, "nulls": 3, "mean": 4, "std": 0, "std_sample": null, "min": 4, "max": 4, "p25": 4, "p50": 4, "p75": 4, "quantiles": "exact", "rank_error": 0}'::jsonb,
    'describe: NULL elements and NULL arrays count as nulls; one value has no sample std');
SELECT is((SELECT modelmgr.describe(x)->'features'->1 FROM (VALUES (ARRAY[1, NULL]::float8[]), (ARRAY[2, NULL])) t(x)),
    '{"index": 2, "count": 0, "nulls": 2, "mean": null, "std": null, "std_sample": null, "min": null, "max": null, "p25": null, "p50": null, "p75": null}'::jsonb,
    'describe: a feature with no values has NULL statistics');

-- constant features
SELECT is((SELECT modelmgr.describe(x)->'features'->0 FROM (SELECT ARRAY[0.1, i]::float8[] FROM generate_series(1, 1000) i) t(x)),
    '{"index": 1, "count": 1000, "nulls": 0, "mean": 0.1, "std": 0, "std_sample": 0, "min": 0.1, "max": 0.1, "p25": 0.1, "p50": 0.1, "p75": 0.1, "quantiles": "exact", "rank_error": 0}'::jsonb,
    'describe: a constant feature has std 0 and every quantile equal to it');
SELECT is((SELECT modelmgr.corr_matrix(x) FROM (SELECT ARRAY[i, 0.1, -2 * i]::float8[] FROM generate_series(1, 1000) i) t(x)),
    '{{1,NULL,-1},{NULL,NULL,NULL},{-1,NULL,1}}'::float8[], 'corr_matrix: a constant feature''s row and column are NULL');
SELECT is((SELECT modelmgr.corr_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)),
    '{{NULL,NULL},{NULL,NULL}}'::float8[], 'corr_matrix of one row is all NULL');

-- states: partial + merge, corrupted, mismatched
CREATE TEMP TABLE st AS
SELECT (SELECT modelmgr.describe_partial(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 5])) t(x)) AS d2,
       (SELECT modelmgr.describe_partial(x) FROM (VALUES (ARRAY[1, 2, 3]::float8[])) t(x)) AS d3,
       (SELECT modelmgr.describe_partial(x, ARRAY['a', 'b']) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)) AS d2n,
       (SELECT modelmgr.describe_partial(x) FROM (VALUES (NULL::float8[])) t(x)) AS dnull,
       (SELECT modelmgr.corr_matrix_partial(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 5])) t(x)) AS c2,
       (SELECT modelmgr.corr_matrix_partial(x) FROM (VALUES (ARRAY[1, 2, 3]::float8[])) t(x)) AS c3;
-- the states without their seal (8 bytes: magic and checksum): what the validators see
ALTER TABLE st ADD COLUMN d2r bytea, ADD COLUMN c2r bytea;
UPDATE st SET d2r = substring(d2 FROM 9), c2r = substring(c2 FROM 9);

SELECT is((SELECT modelmgr.describe_merge(s) FROM st, LATERAL (VALUES (d2), (dnull), (NULL), (d2)) t(s)),
    (SELECT modelmgr.describe(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 5]), (NULL), (ARRAY[1, 2]), (ARRAY[3, 5])) t(x)),
    'describe_merge: NULL-array and NULL states merge like the rows they stand for');
SELECT is((SELECT modelmgr.describe_merge(s) FROM st, LATERAL (VALUES (dnull), (d2)) t(s)),
    (SELECT modelmgr.describe(x) FROM (VALUES (NULL::float8[]), (ARRAY[1, 2]::float8[]), (ARRAY[3, 5])) t(x)),
    'describe_merge: a NULL-array state first, then a real one');
SELECT is((SELECT modelmgr.corr_matrix_merge(s) FROM st, LATERAL (VALUES (c2), (NULL), (c2)) t(s)),
    '{{1,1},{1,1}}'::float8[], 'corr_matrix_merge of two partial states');
SELECT throws_ok($$SELECT modelmgr.describe_merge(s) FROM st, LATERAL (VALUES (d2), (d3)) t(s)$$,
    '22000', 'cannot combine describe states of 2 and 3 features', 'describe_merge: states of different dimensions');
SELECT throws_ok($$SELECT modelmgr.describe_merge(s) FROM st, LATERAL (VALUES (d2), (d2n)) t(s)$$,
    '22000', 'cannot combine describe states with different feature names', 'describe_merge: states with different names');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(s) FROM st, LATERAL (VALUES (c2), (c3)) t(s)$$,
    '22000', 'cannot combine corr_matrix states of 2 and 3 features', 'corr_matrix_merge: states of different dimensions');
SELECT throws_ok($$SELECT modelmgr.describe_merge('\x00'::bytea)$$, 'XX001', 'describe state is truncated (1 bytes)',
    'describe_merge: a one-byte state');
SELECT throws_ok($$SELECT modelmgr.describe_merge(c2) FROM st$$, 'XX001', 'not a describe state',
    'describe_merge: a corr_matrix state');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(d2) FROM st$$, 'XX001', 'not a corr_matrix state',
    'corr_matrix_merge: a describe state');
SELECT throws_ok($$SELECT modelmgr.describe_merge(substr(d2r, 1, length(d2r) - 1)) FROM st$$, 'XX001',
    'describe state size does not match its header', 'describe_merge: a truncated state');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(c2r || '\x00'::bytea) FROM st$$, 'XX001',
    'corr_matrix state size does not match its header', 'corr_matrix_merge: a state with a trailing byte');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 60, 7)) FROM st$$, 'XX001',
    'describe state: counts of feature 1 are inconsistent', 'describe_merge: a count that does not add up');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 36, 200)) FROM st$$, 'XX001', NULL,
    'describe_merge: staged rows over the staging capacity');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 49, 1)) FROM st$$, 'XX001', 'describe state header is invalid',
    'describe_merge: an invalid flag');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 4, 2)) FROM st$$, 'XX001',
    'describe state has format version 2; this version reads only version 3',
    'describe_merge: a state of the old format (version 2, the row sample) is rejected');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 172, 65)) FROM st$$, 'XX001',
    'describe state: the quantile block of feature 1 is invalid', 'describe_merge: more than 64 sketch levels');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(d2r, 176, 2)) FROM st$$, 'XX001',
    'describe state: the quantile block of feature 1 is invalid', 'describe_merge: an invalid table flag');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(set_byte(c2r, 17, 255)) FROM st$$, 'XX001', NULL,
    'corr_matrix_merge: buffered rows over capacity');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(set_byte(set_byte(c2r, 51, 127), 50, 248)) FROM st$$, 'XX001', NULL,
    'corr_matrix_merge: a NaN mean');

-- a forged state given as INITCOND to a user-defined aggregate: an error, not a crash
CREATE AGGREGATE pg_temp.forged_describe(float8[]) (SFUNC = modelmgr.describe_sfunc, STYPE = bytea, INITCOND = '\x0102');
SELECT throws_ok($$SELECT pg_temp.forged_describe(x) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)$$, 'XX001',
    'describe: invalid aggregate state', 'describe: a forged initial state is rejected');
DO $$ BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.forged_describe2(float8[]) (SFUNC = modelmgr.describe_sfunc, STYPE = bytea, '
                   'FINALFUNC = modelmgr.describe_final, INITCOND = %L)', (SELECT set_byte(d2r, 36, 200) FROM st)::text);
    EXECUTE format('CREATE AGGREGATE pg_temp.forged_corr(float8[]) (SFUNC = modelmgr.corr_matrix_sfunc, STYPE = bytea, '
                   'FINALFUNC = modelmgr.corr_matrix_final, INITCOND = %L)', (SELECT set_byte(c2r, 17, 255) FROM st)::text);
END $$;
SELECT throws_ok($$SELECT pg_temp.forged_describe2(x) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)$$, 'XX001', NULL,
    'describe: a forged state with a bad buffer count stays in bounds and fails validation');
SELECT throws_ok($$SELECT pg_temp.forged_corr(x) FROM (VALUES (ARRAY[1, 2]::float8[])) t(x)$$, 'XX001', NULL,
    'corr_matrix: a forged state with a bad buffer count is rejected');

SELECT * FROM finish();
ROLLBACK;
