-- Mean and median fills come from the training rows only when train() holds out a test set, and
-- rows are assigned to the test set by their raw values, NULLs included (not by the imputed
-- values, which depend on the assignment). Both modes agree.
BEGIN;
SELECT plan(15);
SET LOCAL modelmgr.progress_every = 0;
SET LOCAL client_min_messages = warning;

CREATE TABLE imp AS
SELECT i AS id,
       CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 37) % 101)::float8 / 10 + CASE WHEN i % 5 = 0 THEN 20 ELSE 0 END END AS a,
       ((i * 11) % 23)::float8 AS b
FROM generate_series(1, 600) i;
ALTER TABLE imp ADD COLUMN y float8;
UPDATE imp SET y = 2 * coalesce(a, 3) - b + ((id * 13) % 7)::float8 / 10;
ALTER TABLE imp ADD COLUMN hi boolean;
UPDATE imp SET hi = y > (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY y) FROM imp);

-- the test set, as train() defines it for seed 7 and test_fraction 0.25 (salt "test" in the high bytes)
CREATE TEMP VIEW imp_role AS
SELECT i.*, modelmgr._row_unit(ARRAY[i.a, i.b]::float8[], i.y, x'7465737400000000'::bigint # 7) < 0.25 AS is_test
FROM imp i;
CREATE TEMP TABLE fills AS
SELECT (SELECT avg(a) FROM imp_role WHERE NOT is_test) AS train_mean,
       (SELECT avg(a) FROM imp) AS all_mean,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM imp_role WHERE NOT is_test) AS train_median,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM imp) AS all_median;
SELECT ok(abs(train_mean - all_mean) > 1e-3 AND abs(train_median - all_median) > 1e-3,
          'the test rows move the mean and the median of a (so the checks below can tell)') FROM fills;

CREATE TEMP TABLE lin AS SELECT * FROM modelmgr.train('imp_lin', 'imp', 'y', ARRAY['a', 'b'], 'linear_regression',
    '{"impute": "mean", "test_fraction": 0.25, "seed": 7}');
SELECT is((training -> 'rows' ->> 'test')::int, (SELECT count(*)::int FROM imp_role WHERE is_test),
          'test rows are the rows whose raw values, NULLs included, hash below the fraction') FROM lin;
SELECT isnt(modelmgr._row_unit(ARRAY[NULL, 1]::float8[], 1, 0), modelmgr._row_unit(ARRAY[0, 1]::float8[], 1, 0),
            'a NULL element hashes unlike any value (no tie between a NULL and a zero)');
-- pinned: the units of rows with NULLs (a split or a shuffle changing would change every model)
SELECT is((SELECT string_agg(modelmgr._row_unit(a, y, s)::text, ' ' ORDER BY k)
           FROM (VALUES (1, ARRAY[NULL, 1]::float8[], 1::float8, 0::int8),
                        (2, ARRAY[2.5, NULL, NULL, -1, 1e300, NULL, 0, 7, 8, NULL]::float8[], -3, 99),
                        (3, ARRAY[NULL]::float8[], 0, 5), (4, ARRAY[1, 2, 3]::float8[], 0.5, 1)) v(k, a, y, s)),
          '0.44200231731304007 0.28184689424606757 0.17681998957089218 0.5573148954851831',
          'the hash units of rows with NULL elements are unchanged');
SELECT throws_ok($$SELECT modelmgr._row_unit(ARRAY[NULL, 'NaN']::float8[], 1, 0)$$, '22000',
                 'feature array must contain only finite values', 'a NaN beside a NULL element is still an error');
SELECT is(modelmgr.deploy('imp_lin'), (SELECT version FROM lin), 'deployed');
-- a NULL a is replaced by the fill: the prediction of the raw row against prepared arrays
SELECT cmp_ok((SELECT max(abs(modelmgr.predict('imp_lin', i) - modelmgr.predict(l.model, ARRAY[f.train_mean, i.b])))
               FROM imp i, lin l, fills f WHERE i.a IS NULL), '<', 1e-9::float8,
              'the mean fill is the mean over the training rows');
SELECT cmp_ok((SELECT min(abs(modelmgr.predict('imp_lin', i) - modelmgr.predict(l.model, ARRAY[f.all_mean, i.b])))
               FROM imp i, lin l, fills f WHERE i.a IS NULL), '>', 1e-6::float8,
              '... not the mean over every row');

CREATE TEMP TABLE med AS SELECT * FROM modelmgr.train('imp_med', 'imp', 'y', ARRAY['a', 'b'], 'linear_regression',
    '{"impute": "median", "test_fraction": 0.25, "seed": 7}');
SELECT is(modelmgr.deploy('imp_med'), (SELECT version FROM med), 'deployed the median model');
SELECT cmp_ok((SELECT max(abs(modelmgr.predict('imp_med', i) - modelmgr.predict(m.model, ARRAY[f.train_median, i.b])))
               FROM imp i, med m, fills f WHERE i.a IS NULL), '<', 1e-9::float8,
              'the median fill is the median over the training rows');

-- the same split, fills and shuffles in both modes: identical models
CREATE TEMP TABLE lm AS SELECT * FROM modelmgr.train('imp_log', 'imp', 'hi', ARRAY['a', 'b'], 'logistic_regression',
    '{"impute": "mean", "test_fraction": 0.25, "seed": 7, "epochs": 5, "mode": "memory"}');
CREATE TEMP TABLE ls AS SELECT * FROM modelmgr.train('imp_log', 'imp', 'hi', ARRAY['a', 'b'], 'logistic_regression',
    '{"impute": "mean", "test_fraction": 0.25, "seed": 7, "epochs": 5, "mode": "streaming"}');
SELECT is((SELECT training ->> 'mode' FROM lm) || '/' || (SELECT training ->> 'mode' FROM ls), 'memory/streaming',
          'one model from each mode');
SELECT ok((SELECT model FROM lm) = (SELECT model FROM ls), 'memory and streaming modes give byte-identical models');
SELECT is((SELECT training -> 'rows' FROM lm), (SELECT training -> 'rows' FROM ls), 'and the same split');

-- without a test set every row is a training row: fills over all rows, as before
CREATE TEMP TABLE nt AS SELECT * FROM modelmgr.train('imp_all', 'imp', 'y', ARRAY['a', 'b'], 'linear_regression',
    '{"impute": "mean", "seed": 7}');
SELECT is(modelmgr.deploy('imp_all'), (SELECT version FROM nt), 'deployed the model without a test set');
SELECT cmp_ok((SELECT max(abs(modelmgr.predict('imp_all', i) - modelmgr.predict(n.model, ARRAY[f.all_mean, i.b])))
               FROM imp i, nt n, fills f WHERE i.a IS NULL), '<', 1e-9::float8,
              'without a test set the mean fill is over every row');

SELECT * FROM finish();
ROLLBACK;
