-- Bad input to train(), sgd_init and sgd_epoch: an ERROR with a fitting SQLSTATE (and, where the
-- message is what a user acts on, that message), the registry unchanged, the backend alive; no
-- identifier or source can run SQL of its own. Then the happy paths of the impute option.
BEGIN;
SELECT plan(131);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

CREATE TABLE te_small (id int, a float8, b float8, s text, tags text[], arr float8[], y int, one int, lab text, yf float8);
INSERT INTO te_small
SELECT i, i, (i * 7) % 11, 'v' || i, ARRAY['t'], ARRAY[i, i % 3], i % 2, 1,
       CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END, 0.5 * i + (i % 4)
FROM generate_series(1, 40) i;
CREATE TABLE te_empty (a float8, b float8, y float8);
CREATE TABLE te_nulls (a float8, b float8, y float8);
INSERT INTO te_nulls VALUES (1, 3, 0), (2, 1, 1), (3, 4, 0), (4, NULL, 1), (5, 5, 0), (6, 9, 1);
CREATE TABLE te_null_label (a float8, b float8, y float8);
INSERT INTO te_null_label VALUES (1, 3, 0), (2, 1, 1), (3, 4, NULL), (4, 2, 1), (5, 5, 0), (6, 9, 1);
CREATE TABLE te_ragged (a float8, arr float8[], y float8);
INSERT INTO te_ragged VALUES (1, ARRAY[1.0, 2.0], 0), (2, ARRAY[1.0], 1), (3, ARRAY[3.0, 1.0], 1);
CREATE TABLE te_textonly (s text, y float8);
INSERT INTO te_textonly VALUES ('a', 1), ('b', 2);
CREATE SEQUENCE te_seq;
-- the tables the injection attempts below try to drop
CREATE TABLE inj_x (i int);
CREATE TABLE inj_y (i int);
CREATE TABLE inj_z (i int);

CREATE TEMP TABLE reg_before AS
SELECT (SELECT count(*) FROM modelmgr.models) AS models, (SELECT count(*) FROM modelmgr.model_names) AS names,
       (SELECT count(*) FROM modelmgr.deployments) AS deployments,
       current_setting('max_parallel_workers_per_gather') AS workers, current_setting('jit') AS jit,
       pg_backend_pid() AS pid;

-- ---- algorithm and options ----
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'random_forest')$$,
    '22023', 'unknown algorithm "random_forest"', 'unknown algorithm');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"epochz": 3}')$$,
    '22023', 'unknown option "epochz" for train', 'unknown option: the error names the key');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"epochs": "many"}')$$,
    '22023', 'option "epochs" must be a number, not a string', 'option of the wrong type: string for a number');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"epochs": 2.5}')$$,
    '22023', 'option "epochs" must be an integer', 'option of the wrong type: fraction for an integer');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"seed": 1.5}')$$,
    '22023', 'option "seed" must be an integer', 'seed must be an integer');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"early_stopping": "yes"}')$$,
    '22023', 'option "early_stopping" must be a boolean, not a string', 'option of the wrong type: string for a boolean');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"learning_rate": 3}')$$,
    '22023', 'option "learning_rate" must be a string, not a number', 'option of the wrong type: number for a string');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"seed": null}')$$,
    '22023', 'option "seed" must be a number, not null', 'option of the wrong type: null');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"epochs": 0}')$$,
    '22023', 'option "epochs" is out of range', 'epochs 0 is out of range');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"epochs": 10000001}')$$,
    '22023', 'option "epochs" is out of range', 'epochs above the limit is out of range');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"test_fraction": 1.5}')$$,
    '22023', 'option "test_fraction" is out of range', 'test_fraction 1.5 is out of range');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"validation_fraction": 1}')$$,
    '22023', 'option "validation_fraction" is out of range', 'validation_fraction 1 is out of range');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"l2": -0.1}')$$,
    '22023', 'option "l2" is out of range', 'negative l2 is out of range');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"learning_rate": "fast"}')$$,
    '22023', 'option "learning_rate" has an unknown value "fast"', 'learning_rate "fast" is not a schedule');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"impute": "drop"}')$$,
    '22023', 'option "impute" has an unknown value "drop"', 'unknown impute policy');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"mode": "gpu"}')$$,
    '22023', 'option "mode" has an unknown value "gpu"', 'unknown mode');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"shuffle": true}')$$,
    '22023', 'option "shuffle" must be a string, not a boolean', 'shuffle must be a string');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '[1, 2]')$$,
    '22023', 'options must be a JSON object', 'options that are not an object');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"class_weight": 3}')$$,
    '22023', NULL, 'class_weight that is neither "balanced" nor an object');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"class_weight": {"7": 2}}')$$,
    '22023', 'class_weight names "7", which is not a class of the label', 'class_weight for a class that does not exist');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'logistic_regression', '{"solver": "normal_equations"}')$$,
    '22023', 'solver normal_equations is for linear_regression', 'normal_equations with logistic_regression');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'svm', '{"solver": "normal_equations"}')$$,
    '22023', 'solver normal_equations is for linear_regression', 'normal_equations with svm');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'lab', ARRAY['a', 'b'], 'auto', '{"solver": "normal_equations"}')$$,
    '22023', 'solver normal_equations is for linear_regression', 'normal_equations when auto picks a classifier');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'yf', ARRAY['a', 'b'], 'linear_regression', '{"solver": "normal_equations", "l1": 0.1}')$$,
    '22023', 'solver normal_equations does not support l1', 'normal_equations with l1');
SELECT throws_ok($$SELECT modelmgr.train(NULL, 'te_small', 'y')$$, '22004', NULL, 'NULL model_name');
SELECT throws_ok($$SELECT modelmgr.train('te', NULL, 'y')$$, '22004', NULL, 'NULL source');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', NULL)$$, '22004', NULL, 'NULL label');
SELECT throws_ok($$SELECT modelmgr.train('', 'te_small', 'y')$$, '22023', 'model_name must not be empty', 'empty model_name');

-- ---- the source ----
SELECT throws_ok($$SELECT modelmgr.train('te', 'no_such_table', 'y')$$,
    '42P01', 'source "no_such_table" is not a table, view or query', 'a source that does not exist');
SELECT throws_ok($$SELECT modelmgr.train('te', 'public.no_such_table', 'y')$$,
    '42P01', NULL, 'a schema-qualified source that does not exist');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_seq', 'y')$$,
    '42809', 'source "te_seq" is not a table or view', 'a sequence is not a source');
SELECT throws_ok($$SELECT modelmgr.train('te', 'now', 'y')$$, '42P01', NULL, 'a function name is not a source');
SELECT throws_ok($$SELECT modelmgr.train('te', 'generate_series(1, 10)', 'y')$$, '42602', NULL, 'a function call is not a source');
SELECT throws_ok($$SELECT modelmgr.train('te', '', 'y')$$, '42602', NULL, 'an empty source string');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT * INTO inj_new FROM te_small', 'y')$$,
    '22023', 'source query must be a plain SELECT', 'SELECT INTO is not a source');
SELECT throws_ok($$SELECT modelmgr.train('te', 'WITH d AS (DELETE FROM inj_z RETURNING *) SELECT * FROM d', 'i')$$,
    '0A000', NULL, 'a data-modifying WITH is not a source');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT * FROM te_small FOR UPDATE', 'y')$$,
    '0A000', NULL, 'SELECT FOR UPDATE is not a source (the driver reads read-only)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT a, b, y FROM te_small WHERE a IS NULL', 'y', NULL, 'linear_regression')$$,
    '22000', 'the source has no rows to train on', 'a query with no rows');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_empty', 'y', NULL, 'linear_regression')$$,
    '22000', 'the source has no rows to train on', 'an empty table');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_empty', 'y', NULL, 'logistic_regression')$$,
    '22000', NULL, 'an empty table for a classifier');

-- ---- SQL injection through identifiers and the source ----
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'target"; DROP TABLE inj_x; --')$$,
    '42703', 'label column "target"; DROP TABLE inj_x; --" does not exist in the source', 'label built to inject SQL');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a) FROM te_small; DROP TABLE inj_y; --'])$$,
    '42703', NULL, 'feature built to inject SQL');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b", (SELECT 1 FROM pg_sleep(0)) AS "c'])$$,
    '42703', NULL, 'feature built to close the quotes');
SELECT throws_ok($$SELECT modelmgr.train('te', 'breast_cancer; DROP TABLE inj_z', 'target')$$,
    '42602', NULL, 'table name followed by a second statement');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT 1; DROP TABLE inj_z', 'target')$$,
    '22023', 'source must be a single query', 'query followed by a second statement');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT * FROM te_small) AS s; DROP TABLE inj_z; --', 'y')$$,
    '42601', NULL, 'query that closes the driver''s parenthesis');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT * FROM te_small --', 'y')$$,
    '42601', NULL, 'query ending in a comment that would swallow the driver''s SQL');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT * FROM te_small /*', 'y')$$,
    '42601', NULL, 'query with an unterminated comment');
SELECT is((SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('inj_x', 'inj_y', 'inj_z')),
    3::bigint, 'the tables the injections try to drop still exist');
SELECT is((SELECT count(*) FROM pg_tables WHERE tablename = 'inj_new'), 0::bigint, 'no table was created by SELECT INTO');

-- ---- columns ----
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'nope')$$,
    '42703', 'label column "nope" does not exist in the source', 'a label column that does not exist');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'arr', ARRAY['a'])$$,
    '42804', 'label column "arr" has type double precision[]', 'a label of an unsupported type');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'nope'])$$,
    '42703', 'feature column "nope" does not exist in the source', 'a feature column that does not exist');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT *, now() AS ts FROM te_small', 'y', ARRAY['a', 'ts'])$$,
    '42804', 'feature column "ts" has type timestamp with time zone, which train() cannot use', 'a timestamp feature column');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['tags'])$$,
    '42804', 'feature column "tags" has type text[], which train() cannot use', 'a text[] feature column');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY[]::text[])$$,
    '22023', 'features must list at least one column', 'an empty feature list');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', NULL])$$,
    '22004', 'features must not contain NULL', 'a NULL feature name');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'a'])$$,
    '22023', 'feature column "a" is listed twice', 'a feature listed twice');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'y'])$$,
    '22023', 'column "y" is the label, so it cannot be a feature', 'the label as a feature');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT now() AS ts, y FROM te_textonly', 'y')$$,
    '42804', 'the source has no numeric, boolean or text column besides the label', 'no usable feature column');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_ragged', 'y', ARRAY['a', 'arr'], 'linear_regression')$$,
    '22000', 'array feature "arr" must have the same, nonzero length in every row', 'array feature of varying length');

-- ---- data ----
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'one', ARRAY['a', 'b'], 'logistic_regression')$$,
    '22000', 'label "one" has only 1 class, and a classifier needs two', 'a label with one class');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'lab', ARRAY['a', 'b'], 'svm')$$,
    '22000', 'svm needs exactly two classes, and label "lab" has 3', 'svm with three classes');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'lab', ARRAY['a', 'b'], 'linear_regression')$$,
    '42804', 'linear regression needs a numeric label, and "lab" is text', 'linear regression on a text label');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_null_label', 'y', ARRAY['a', 'b'], 'linear_regression')$$,
    '22004', 'label "y" is NULL in a training row', 'a NULL label (linear regression)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_null_label', 'y', ARRAY['a', 'b'], 'logistic_regression', '{"mode": "streaming"}')$$,
    '22004', 'label "y" is NULL in a training row', 'a NULL label (classifier, streaming)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_null_label', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "mean"}')$$,
    '22004', 'label "y" is NULL in a training row', 'a NULL label is not imputed');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT a, b, NULL::float8 AS y FROM te_small', 'y', NULL, 'linear_regression')$$,
    '22004', NULL, 'all labels NULL');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_nulls', 'y', ARRAY['a', 'b'], 'logistic_regression')$$,
    '22004', 'feature "b" is NULL in a training row', 'NULL feature under impute error names the feature (memory)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_nulls', 'y', ARRAY['a', 'b'], 'logistic_regression', '{"mode": "streaming", "impute": "error"}')$$,
    '22004', 'feature "b" is NULL in a training row', 'NULL feature under impute error names the feature (streaming)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_nulls', 'y', ARRAY['a', 'b'], 'linear_regression')$$,
    '22004', 'feature "b" is NULL in a training row', 'NULL feature under impute error (normal equations)');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT a, b, ''NaN''::float8 AS y FROM te_small', 'y', NULL, 'linear_regression')$$,
    '22000', 'label must be finite', 'a NaN label');
SELECT throws_ok($$SELECT modelmgr.train('te', 'SELECT a, ''Infinity''::float8 AS b, y FROM te_small', 'y', NULL, 'logistic_regression')$$,
    '22000', NULL, 'an infinite feature');
SELECT throws_ok($$SELECT modelmgr.train('te', 'te_small', 'y', ARRAY['a', 'b'], 'auto', '{"test_fraction": 0.99}')$$,
    '22000', 'no training rows are left after the test and validation splits', 'no rows left for training');
SET LOCAL modelmgr.train_memory_budget = 64;
SELECT throws_ok($$SELECT modelmgr.train('te', 'breast_cancer', 'target', NULL, 'auto', '{"mode": "memory", "epochs": 1}')$$,
    '53200', 'training rows in memory would exceed modelmgr.train_memory_budget', 'mode memory over the memory budget');
RESET modelmgr.train_memory_budget;

-- ---- sgd_init ----
SELECT throws_ok($$SELECT modelmgr.sgd_init('tree', 2)$$, '22023', 'unknown algorithm "tree"', 'sgd_init: unknown algorithm');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 0)$$, '22023', NULL, 'sgd_init: zero features');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"foo": 1}')$$, '22023', 'unknown option "foo" for sgd_init', 'sgd_init: unknown option');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"eta0": 0}')$$, '22023', 'option "eta0" is out of range', 'sgd_init: eta0 0');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"eta0": "big"}')$$, '22023', NULL, 'sgd_init: eta0 of the wrong type');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"learning_rate": "fast"}')$$, '22023', NULL, 'sgd_init: unknown learning_rate');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"batch_size": 2.5}')$$, '22023', 'option "batch_size" must be an integer', 'sgd_init: fractional batch_size');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"classes": [0, 1, 2]}')$$, '22023', NULL, 'sgd_init: svm with three classes');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"classes": [1, 1]}')$$, '22023', NULL, 'sgd_init: a class listed twice');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', 2, '{"classes": "ab"}')$$, '22023', NULL, 'sgd_init: classes not an array');
SELECT throws_ok($$SELECT modelmgr.sgd_init('linear_regression', 2, '{"classes": [0, 1]}')$$, '22023', NULL, 'sgd_init: classes for a regression');
SELECT throws_ok($$SELECT modelmgr.sgd_init('linear_regression', 2, '{"mean": [0, 1]}')$$, '22023', NULL, 'sgd_init: mean without scale');
SELECT throws_ok($$SELECT modelmgr.sgd_init('linear_regression', 2, '{"mean": [0, 1], "scale": [1, 0]}')$$, '22023', NULL, 'sgd_init: zero scale');
SELECT throws_ok($$SELECT modelmgr.sgd_init(NULL, 2)$$, '22004', NULL, 'sgd_init: NULL algorithm');
SELECT throws_ok($$SELECT modelmgr.sgd_init('svm', NULL)$$, '22004', NULL, 'sgd_init: NULL n_features');

-- ---- sgd_epoch ----
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(p) FROM (
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2), ARRAY[1.0, 2.0]::float8[], 3.0) UNION ALL
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 3), ARRAY[1.0, 2.0, 3.0]::float8[], 3.0)) t(p)$$,
    '22000', 'cannot combine sgd_epoch states that started from different models', 'sgd_epoch: combining states of different shapes');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(p) FROM (
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2), ARRAY[1.0, 2.0]::float8[], 3.0) UNION ALL
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2, '{"eta0": 0.5}'), ARRAY[1.0, 2.0]::float8[], 3.0)) t(p)$$,
    '22000', 'cannot combine sgd_epoch states that started from different models', 'sgd_epoch: combining states from different start models');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(p) FROM (
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('logistic_regression', 2), ARRAY[1.0, 2.0]::float8[], 1.0) UNION ALL
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('svm', 2), ARRAY[1.0, 2.0]::float8[], 1.0)) t(p)$$,
    '22000', NULL, 'sgd_epoch: combining states of different algorithms');
SELECT ok((SELECT octet_length(modelmgr.sgd_epoch_merge(p)) > 0 FROM (
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2), ARRAY[1.0, 2.0]::float8[], 3.0) UNION ALL
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('linear_regression', 2), ARRAY[2.0, 1.0]::float8[], 1.0)) t(p)),
    'sgd_epoch: states from the same start model combine');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('svm', 2), x, y) FROM (VALUES (ARRAY[1.0, 2.0]::float8[], 1.0::float8), (ARRAY[2.0, 1.0], 3.0)) v(x, y)$$,
    '22000', 'sgd_epoch: label 3 is not one of the model''s classes', 'sgd_epoch: a label that is not a class of the model');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('logistic_regression', 2, '{"classes": [-1, 1]}'), ARRAY[1.0, 2.0]::float8[], 0.0)$$,
    '22000', 'sgd_epoch: label 0 is not one of the model''s classes', 'sgd_epoch: label 0 when the classes are -1 and 1');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('svm', 2), ARRAY[1.0, 2.0, 3.0]::float8[], 1.0)$$,
    '22000', 'sgd_epoch: feature array has 3 elements, but the model expects 2', 'sgd_epoch: wrong number of features');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('svm', 2), ARRAY[1.0, NULL]::float8[], 1.0)$$,
    '22004', NULL, 'sgd_epoch: a NULL feature');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('linear_regression', 2), ARRAY[1.0, 2.0]::float8[], NULL)$$,
    '22004', 'sgd_epoch: label must not be NULL', 'sgd_epoch: a NULL label');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(NULL, ARRAY[1.0, 2.0]::float8[], 1.0)$$,
    '22004', NULL, 'sgd_epoch: a NULL start model');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(set_byte(s, 30, get_byte(s, 30) # 1), ARRAY[1.0, 2.0]::float8[], 1.0)
        FROM (SELECT modelmgr.sgd_init('svm', 2) AS s) i$$,
    'XX001', 'invalid model: model checksum mismatch', 'sgd_epoch: a start model with a flipped bit');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(substring(s FROM 1 FOR octet_length(s) - 5), ARRAY[1.0, 2.0]::float8[], 1.0)
        FROM (SELECT modelmgr.sgd_init('svm', 2) AS s) i$$,
    'XX001', NULL, 'sgd_epoch: a truncated start model');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch('\xdeadbeef'::bytea, ARRAY[1.0, 2.0]::float8[], 1.0)$$,
    'XX001', NULL, 'sgd_epoch: start bytes that are not a model');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge('\xdeadbeef'::bytea)$$, 'XX001', NULL, 'sgd_epoch_merge: a state that is garbage');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(substring(p FROM 1 FOR 100)) FROM (
        SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('svm', 2), ARRAY[1.0, 2.0]::float8[], 1.0)) t(p)$$,
    'XX001', NULL, 'sgd_epoch_merge: a truncated state');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_final('\x00'::bytea)$$, 'XX001', NULL, 'sgd_epoch_final: a state that is garbage');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch(m, ARRAY[1.0, 2.0]::float8[], 1.0)
        FROM (SELECT modelmgr.linreg_fit(ARRAY[i, i * i]::float8[], i) AS m FROM generate_series(1, 5) i) f$$,
    '22023', 'model has no optimizer state to continue training from', 'sgd_epoch: an exact least-squares model has no optimizer');

-- ---- after every failure: the registry is unchanged, settings restored, backend alive ----
SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT models FROM reg_before), 'no failure added a row to modelmgr.models');
SELECT is((SELECT count(*) FROM modelmgr.model_names), (SELECT names FROM reg_before), 'no failure added a model name');
SELECT is((SELECT count(*) FROM modelmgr.deployments), (SELECT deployments FROM reg_before), 'no failure added a deployment');
SELECT is(current_setting('max_parallel_workers_per_gather'), (SELECT workers FROM reg_before),
    'max_parallel_workers_per_gather is restored after failures inside train()');
SELECT is(current_setting('jit'), (SELECT jit FROM reg_before), 'jit (off inside train()) is restored after failures');
-- inside train() its queries run without JIT: a source that keeps its rows only then has rows
SELECT lives_ok($$SELECT modelmgr.train('te_jit', 'SELECT a, b, y FROM te_small WHERE current_setting(''jit'') = ''off''',
                                        'y', ARRAY['a', 'b'], 'logistic_regression')$$,
                'train()''s own queries run with jit = off');
SELECT is(pg_backend_pid(), (SELECT pid FROM reg_before), 'the same backend is still alive');

-- ---- identifiers that look like SQL are just names ----
CREATE TABLE te_odd ("target""; DROP TABLE inj_x; --" int, "x) FROM t; DROP TABLE inj_y; --" float8, b float8);
INSERT INTO te_odd SELECT i % 2, i, (i * 7) % 11 FROM generate_series(1, 30) i;
SELECT is((SELECT (t).features FROM (SELECT modelmgr.train('te_odd', 'te_odd', 'target"; DROP TABLE inj_x; --',
                                                           ARRAY['x) FROM t; DROP TABLE inj_y; --', 'b'], 'logistic_regression',
                                                           '{"epochs": 3}') AS t) q),
    ARRAY['x) FROM t; DROP TABLE inj_y; --', 'b'], 'columns named like SQL train as ordinary, quoted identifiers');
SELECT is((SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('inj_x', 'inj_y', 'inj_z')),
    3::bigint, 'and the tables they name still exist');

-- ---- impute: skip, mean, median, zero on a small table with NULLs ----
CREATE TABLE te_imp (a float8, b float8, y float8, c int);
INSERT INTO te_imp VALUES (1, 3, 2.5, 0), (2, NULL, 4.0, 1), (3, 4, 6.5, 0), (NULL, 1, 6.0, 1), (5, 5, 11.0, 0),
    (6, 9, 15.5, 1), (7, 2, 12.0, 0), (8, NULL, 17.0, 1), (9, 6, 19.5, 0), (10, 7, 22.0, 1), (11, 8, NULL, 1);
CREATE TEMP TABLE imp AS
SELECT 'skip' AS policy, modelmgr.train('te_imp', 'te_imp', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "skip"}') AS r
UNION ALL SELECT 'mean', modelmgr.train('te_imp', 'SELECT * FROM te_imp WHERE y IS NOT NULL', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "mean"}')
UNION ALL SELECT 'median', modelmgr.train('te_imp', 'SELECT * FROM te_imp WHERE y IS NOT NULL', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "median"}')
UNION ALL SELECT 'zero', modelmgr.train('te_imp', 'SELECT * FROM te_imp WHERE y IS NOT NULL', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "zero"}')
UNION ALL SELECT 'skip streaming', modelmgr.train('te_imp', 'te_imp', 'y', ARRAY['a', 'b'], 'linear_regression', '{"impute": "skip", "mode": "streaming"}');
-- the same fits on data imputed by hand (fill values over the source's non-NULL values)
CREATE TEMP TABLE imp_ref AS
WITH s AS (SELECT * FROM te_imp WHERE y IS NOT NULL),
     f AS (SELECT avg(a) AS ma, avg(b) AS mb,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY a) AS da, percentile_cont(0.5) WITHIN GROUP (ORDER BY b) AS db FROM s)
SELECT 'skip' AS policy, modelmgr.linreg_fit(ARRAY[a, b], y) AS m FROM s WHERE a IS NOT NULL AND b IS NOT NULL
UNION ALL SELECT 'mean', modelmgr.linreg_fit(ARRAY[coalesce(a, ma), coalesce(b, mb)], y) FROM s, f
UNION ALL SELECT 'median', modelmgr.linreg_fit(ARRAY[coalesce(a, da), coalesce(b, db)], y) FROM s, f
UNION ALL SELECT 'zero', modelmgr.linreg_fit(ARRAY[coalesce(a, 0), coalesce(b, 0)], y) FROM s;

SELECT is(((SELECT r FROM imp WHERE policy = 'skip')).training->'rows'->>'train', '7',
    'impute skip: rows_used counts only the complete rows (7 of 11)');
SELECT is(((SELECT r FROM imp WHERE policy = 'skip streaming')).training->'rows'->>'train', '7',
    'impute skip, streaming: the same 7 rows');
SELECT is(((SELECT r FROM imp WHERE policy = 'mean')).training->'rows'->>'train', '10', 'impute mean: every labelled row is used');
SELECT is(((SELECT r FROM imp WHERE policy = 'median')).training->'rows'->>'train', '10', 'impute median: every labelled row is used');
SELECT is(((SELECT r FROM imp WHERE policy = 'zero')).training->'rows'->>'train', '10', 'impute zero: every labelled row is used');
SELECT ok((SELECT bool_and(abs(modelmgr.predict((i.r).model, p.x) - modelmgr.predict(f.m, p.x)) < 1e-9)
           FROM imp i JOIN imp_ref f USING (policy), (VALUES (ARRAY[0.0, 0.0]::float8[]), (ARRAY[4.0, 2.0]), (ARRAY[-3.0, 10.0])) p(x)
           WHERE policy = 'skip'), 'impute skip: the model of the complete rows');
SELECT ok((SELECT bool_and(abs(modelmgr.predict((i.r).model, p.x) - modelmgr.predict(f.m, p.x)) < 1e-9)
           FROM imp i JOIN imp_ref f USING (policy), (VALUES (ARRAY[0.0, 0.0]::float8[]), (ARRAY[4.0, 2.0]), (ARRAY[-3.0, 10.0])) p(x)
           WHERE policy = 'mean'), 'impute mean: the model of the mean-filled rows');
SELECT ok((SELECT bool_and(abs(modelmgr.predict((i.r).model, p.x) - modelmgr.predict(f.m, p.x)) < 1e-9)
           FROM imp i JOIN imp_ref f USING (policy), (VALUES (ARRAY[0.0, 0.0]::float8[]), (ARRAY[4.0, 2.0]), (ARRAY[-3.0, 10.0])) p(x)
           WHERE policy = 'median'), 'impute median: the model of the median-filled rows');
SELECT ok((SELECT bool_and(abs(modelmgr.predict((i.r).model, p.x) - modelmgr.predict(f.m, p.x)) < 1e-9)
           FROM imp i JOIN imp_ref f USING (policy), (VALUES (ARRAY[0.0, 0.0]::float8[]), (ARRAY[4.0, 2.0]), (ARRAY[-3.0, 10.0])) p(x)
           WHERE policy = 'zero'), 'impute zero: the model of the zero-filled rows');
SELECT ok((SELECT count(DISTINCT modelmgr.predict((r).model, ARRAY[4.0, 2.0])) FROM imp WHERE policy <> 'skip streaming') = 4,
    'the four policies give four different models');
SELECT is((SELECT (modelmgr.train('te_imp_c', 'te_imp', 'c', ARRAY['a', 'b'], 'logistic_regression',
                                  '{"impute": "mean", "epochs": 5, "seed": 7}')).model),
          (SELECT (modelmgr.train('te_imp_c', 'te_imp', 'c', ARRAY['a', 'b'], 'logistic_regression',
                                  '{"impute": "mean", "epochs": 5, "seed": 7, "mode": "streaming"}')).model),
    'impute mean, classifier: memory and streaming modes give the same model bytes');
SELECT is((SELECT (modelmgr.train('te_imp_c', 'te_imp', 'c', ARRAY['a', 'b'], 'logistic_regression',
                                  '{"impute": "median", "epochs": 3}')).training->'rows'->>'train'),
    '11', 'impute median, classifier: a row with a NULL feature and a label is used');
SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT models FROM reg_before) + 10,
    'each successful train() added exactly one version');

-- early stopping that would have no validation rows; a label of a domain type
CREATE TABLE tiny_es AS SELECT i AS id, ARRAY[i::float8, (i % 7)::float8] AS x, (i % 2) AS y FROM generate_series(1, 50) i;
SELECT throws_ok($$SELECT modelmgr.train('es', 'tiny_es', 'y', ARRAY['x'], 'logistic_regression',
        '{"early_stopping": true, "validation_fraction": 0.001}')$$, '22000', 'early stopping has no validation rows',
    'early stopping without validation rows says so');
CREATE DOMAIN pg_temp.label_int AS int;
SELECT lives_ok($$SELECT modelmgr.train('dom', 'SELECT id, x, y::pg_temp.label_int AS y FROM tiny_es', 'y', ARRAY['x'])$$,
    'a label of a domain over int trains');

SELECT * FROM finish();
ROLLBACK;
