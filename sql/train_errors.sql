-- train() with bad input: the errors a user sees, and the registry untouched by every one of them.
SET extra_float_digits = 0;
SET client_min_messages = notice;
SET modelmgr.progress_every = 0;
\set SHOW_CONTEXT never
CREATE TABLE fruit (id int, weight float8, sugar float8, color text, kind text, ripe int, grade float8);
INSERT INTO fruit
SELECT i, 100 + (i * 37) % 60, 5 + (i * 11) % 9, CASE WHEN i % 2 = 0 THEN 'red' ELSE 'yellow' END,
       CASE i % 3 WHEN 0 THEN 'apple' WHEN 1 THEN 'banana' ELSE 'cherry' END, (i * 7) % 5 / 3, 1.0
FROM generate_series(1, 30) i;
CREATE TABLE fruit_gaps (weight float8, sugar float8, ripe int);
INSERT INTO fruit_gaps VALUES (120, 7, 0), (130, NULL, 1), (110, 6, 0), (150, 9, 1), (140, 8, NULL), (105, 5, 0);
CREATE TABLE fruit_none (weight float8, sugar float8, ripe int);
CREATE SEQUENCE fruit_seq;
CREATE TEMP TABLE registry_before AS SELECT count(*) AS n FROM modelmgr.models;

-- a call that works: auto picks logistic regression for the text label and says so
SELECT name, version, algorithm, features, classes
FROM modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"epochs": 3}');

-- algorithm and options: unknown names and keys are named in the error
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'random_forest');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"epoch": 10}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"epochs": "ten"}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"epochs": 2.5}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"epochs": 0}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"test_fraction": 1.5}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"learning_rate": "fast"}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '{"early_stopping": "yes"}');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'auto', '"fast"');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'logistic_regression', '{"solver": "normal_equations"}');

-- the source: a table or view name, or one SELECT
SELECT modelmgr.train('train_errors_demo', 'fruits', 'kind');
SELECT modelmgr.train('train_errors_demo', 'fruit_seq', 'kind');
SELECT modelmgr.train('train_errors_demo', 'fruit; DROP TABLE fruit_none', 'kind');
SELECT modelmgr.train('train_errors_demo', 'SELECT * FROM fruit; DROP TABLE fruit_none', 'kind');
SELECT modelmgr.train('train_errors_demo', 'SELECT * INTO fruit_copy FROM fruit', 'kind');
SELECT modelmgr.train('train_errors_demo', 'fruit_none', 'ripe', NULL, 'linear_regression');
SELECT modelmgr.train('train_errors_demo', 'SELECT * FROM fruit WHERE weight < 0', 'grade', ARRAY['weight'], 'linear_regression');

-- label and feature columns (identifiers are matched exactly, never spliced into SQL)
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kinds');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind"; DROP TABLE fruit_none; --');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'size']);
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight) FROM fruit; DROP TABLE fruit_none; --']);
SELECT modelmgr.train('train_errors_demo', $$SELECT *, DATE '2026-01-01' + id AS picked FROM fruit$$, 'kind', ARRAY['weight', 'picked']);
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'kind']);
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'weight']);
SELECT count(*) AS tables_still_there FROM pg_tables WHERE tablename IN ('fruit', 'fruit_gaps', 'fruit_none');

-- the label and the algorithm
SELECT modelmgr.train('train_errors_demo', 'fruit', 'grade', ARRAY['weight', 'sugar'], 'logistic_regression');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'svm');
SELECT modelmgr.train('train_errors_demo', 'fruit', 'kind', ARRAY['weight', 'sugar'], 'linear_regression');

-- NULLs: an error naming the column, unless impute says what to do
SELECT modelmgr.train('train_errors_demo', 'SELECT * FROM fruit_gaps WHERE sugar IS NOT NULL', 'ripe', ARRAY['weight', 'sugar'], 'logistic_regression');
SELECT modelmgr.train('train_errors_demo', 'SELECT * FROM fruit_gaps WHERE ripe IS NOT NULL', 'ripe', ARRAY['weight', 'sugar'], 'logistic_regression');
SELECT modelmgr.train('train_errors_demo', 'SELECT * FROM fruit_gaps WHERE ripe IS NOT NULL', 'ripe', ARRAY['weight', 'sugar'],
                      'logistic_regression', '{"mode": "streaming"}');
SELECT modelmgr.train('train_errors_demo', 'fruit_gaps', 'ripe', ARRAY['weight', 'sugar'], 'logistic_regression', '{"impute": "mean"}');
SELECT version, training->'rows' AS rows_used
FROM modelmgr.train('train_errors_demo', 'fruit_gaps', 'ripe', ARRAY['weight', 'sugar'], 'logistic_regression',
                    '{"impute": "skip", "epochs": 3}');
SELECT version, training->'rows' AS rows_used
FROM modelmgr.train('train_errors_demo', 'SELECT * FROM fruit_gaps WHERE ripe IS NOT NULL', 'ripe', ARRAY['weight', 'sugar'],
                    'logistic_regression', '{"impute": "mean", "epochs": 3}');

-- the low-level SGD functions
SELECT modelmgr.sgd_init('tree', 2);
SELECT modelmgr.sgd_init('svm', 2, '{"classes": [0, 1, 2]}');
SELECT modelmgr.sgd_init('svm', 2, '{"eta": 0.1}');
SELECT modelmgr.sgd_init(NULL, 2);
SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('svm', 2), ARRAY[weight, sugar], ripe + 1) FROM fruit;
SELECT modelmgr.sgd_epoch_merge(p) FROM (
    SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2), ARRAY[weight, sugar], grade) FROM fruit UNION ALL
    SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 1), ARRAY[weight], grade) FROM fruit) t(p);
SELECT modelmgr.sgd_epoch(set_byte(s, 30, get_byte(s, 30) # 1), ARRAY[1.0, 2.0]::float8[], 1.0)
FROM (SELECT modelmgr.sgd_init('svm', 2) AS s) i;

-- every failure above left the registry as it was: only the three successful calls added versions
SELECT count(*) - (SELECT n FROM registry_before) AS new_versions FROM modelmgr.models;

-- clean up
SELECT modelmgr.drop_model('train_errors_demo', force => true);
DROP TABLE fruit, fruit_gaps, fruit_none;
DROP SEQUENCE fruit_seq;
