-- The loss an SGD pass reports (training.epoch_loss: the mean loss of the rows, each taken before
-- its update) is exact, including the deferred logarithms of the log losses (their factors are
-- multiplied in the state and folded in every 2^500) and across parallel workers' states.
-- With a learning rate of 1e-15 the weights stay ~0, so every row's loss is known in closed form:
-- log 2 (binary), log 3 (three classes), y^2 / 2 (least squares).
BEGIN;
SELECT plan(5);
SET LOCAL client_min_messages = warning;

CREATE TABLE el_rows AS
SELECT i, ARRAY[(i % 7) - 3, (i % 5) - 2, sin(i)]::float8[] AS x, (i % 2)::float8 AS y2, (i % 3)::float8 AS y3,
       (i % 11) / 10.0 AS yr
FROM generate_series(1, 20000) i;
ANALYZE el_rows;

CREATE FUNCTION pg_temp.epoch_loss(m bytea) RETURNS float8 LANGUAGE sql AS
$$ SELECT (modelmgr.model_info(m)->'training'->>'epoch_loss')::float8 $$;

SELECT cmp_ok(abs(pg_temp.epoch_loss(modelmgr.sgd_epoch(
           modelmgr.sgd_init('logistic_regression', 3, '{"learning_rate": "constant", "eta0": 1e-15}'), x, y2)) - ln(2)),
       '<', 1e-12::float8, 'binary log loss of 20,000 rows (40 deferred folds) is log 2')
FROM el_rows;

SELECT cmp_ok(abs(pg_temp.epoch_loss(modelmgr.sgd_epoch(
           modelmgr.sgd_init('multinomial_logistic_regression', 3, '{"learning_rate": "constant", "eta0": 1e-15, "classes": [0, 1, 2]}'), x, y3)) - ln(3)),
       '<', 1e-12::float8, 'softmax loss of 20,000 rows is log 3')
FROM el_rows;

SELECT cmp_ok(abs(pg_temp.epoch_loss(modelmgr.sgd_epoch(
           modelmgr.sgd_init('linear_regression', 3, '{"learning_rate": "constant", "eta0": 1e-15}'), x, yr))
           - (SELECT avg(yr * yr / 2) FROM el_rows)),
       '<', 1e-9::float8, 'squared loss is the mean of y^2 / 2 (the weights move ~1e-11 here)')
FROM el_rows;

-- the same passes split over parallel workers: each worker's pending product is folded on combine
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL force_parallel_mode = on;
SELECT cmp_ok(abs(pg_temp.epoch_loss(modelmgr.sgd_epoch(
           modelmgr.sgd_init('logistic_regression', 3, '{"learning_rate": "constant", "eta0": 1e-15}'), x, y2)) - ln(2)),
       '<', 1e-12::float8, 'parallel binary pass: log 2')
FROM el_rows;
SELECT cmp_ok(abs(pg_temp.epoch_loss(modelmgr.sgd_epoch(
           modelmgr.sgd_init('multinomial_logistic_regression', 3, '{"learning_rate": "constant", "eta0": 1e-15, "classes": [0, 1, 2]}'), x, y3)) - ln(3)),
       '<', 1e-12::float8, 'parallel softmax pass: log 3')
FROM el_rows;

SELECT * FROM finish();
ROLLBACK;
