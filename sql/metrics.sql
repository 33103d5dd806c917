-- Metric aggregates on small examples (the scikit-learn documentation's examples where there is one).
SET extra_float_digits = 0;
SET search_path = modelmgr, public;
CREATE TABLE cls (id int, predicted float8, actual float8, p_name text, a_name text);
INSERT INTO cls VALUES
    (1, 0, 0, 'cat', 'cat'), (2, 2, 1, 'bird', 'dog'), (3, 1, 2, 'dog', 'bird'),
    (4, 0, 0, 'cat', 'cat'), (5, 0, 1, 'cat', 'dog'), (6, 1, 2, 'dog', 'bird'),
    (7, NULL, 1, NULL, 'dog'), (8, 2, 2, 'bird', 'bird');

-- classification: NULL rows are skipped (and counted in confusion_matrix)
SELECT accuracy(predicted, actual), f1_macro(predicted, actual), f1_weighted(predicted, actual),
       precision_macro(predicted, actual), recall_macro(predicted, actual)
FROM cls;
SELECT confusion_matrix(predicted, actual) FROM cls;
SELECT confusion_matrix(p_name, a_name) FROM cls;
-- binary metrics on multiclass labels: one class against the rest
SELECT f1(predicted, actual, 2) AS f1_of_class_2, f1(p_name, a_name, 'bird') AS f1_bird FROM cls;
-- text labels without positive: the second of exactly two labels in byte order is positive
SELECT modelmgr.precision(p, a), recall(p, a) FROM (VALUES ('no', 'no'), ('yes', 'no'), ('yes', 'yes'), ('no', 'yes')) v(p, a);
SELECT f1(p_name, a_name) FROM cls;

-- ranking: roc_auc with tied scores counted 1/2, the curves as jsonb, points as rows
CREATE TABLE scores (score float8, actual float8);
INSERT INTO scores VALUES (0.1, 0), (0.4, 0), (0.35, 1), (0.8, 1), (0.4, 1);
SELECT roc_auc(score, actual), roc_auc(score, actual = 1) AS with_boolean, log_loss(score, actual) FROM scores;
-- binary metrics: (the precision keyword needs its schema or quotes) positive defaults to 1
SELECT modelmgr.precision((score > 0.3)::int, actual), recall((score > 0.3)::int, actual),
       f1((score > 0.3)::int, actual), f1((score > 0.3)::int, actual, 0) AS f1_of_0,
       accuracy((score > 0.3)::int, actual)
FROM scores;
SELECT roc_curve(score, actual) FROM scores;
SELECT pr_curve(score, actual) FROM scores;
SELECT * FROM roc_curve_points((SELECT roc_auc_partial(score, actual) FROM scores));
SELECT * FROM pr_curve_points((SELECT roc_auc_partial(score, actual) FROM scores));
SELECT roc_auc(score, actual) FROM scores WHERE actual = 1;

-- regression
SELECT mse(p, a), rmse(p, a), mae(p, a), r2(p, a) FROM (VALUES (2.5, 3.0), (0.0, -0.5), (2, 2), (8, 7)) v(p, a);
-- constant actual: 1 for a perfect fit, else 0 (as scikit-learn)
SELECT r2(a, a) AS perfect, r2(p, a) AS imperfect FROM (VALUES (4.0, 4.0), (3.0, 4.0)) v(p, a);

-- exported states: *_partial per group, *_merge to finish
SELECT id % 2 AS part, metric_state_info(accuracy_partial(predicted, actual)) FROM cls GROUP BY 1 ORDER BY 1;
SELECT accuracy_merge(s) FROM (SELECT accuracy_partial(predicted, actual) AS s FROM cls GROUP BY id % 2) g;
SELECT roc_auc_merge(s) FROM (SELECT roc_auc_partial(score, actual) AS s FROM scores GROUP BY score > 0.3) g;

-- zero rows, bad input, mismatched or damaged states
SELECT accuracy(predicted, actual), roc_auc(predicted, actual), mse(predicted, actual) FROM cls WHERE false;
SELECT accuracy(p, a) FROM (VALUES (1.0, 'NaN'::float8)) v(p, a);
SELECT roc_auc(s, a) FROM (VALUES (0.5, 2.0)) v(s, a);
SELECT f1(p, a) FROM (VALUES ('a', 'b'), ('c', 'a')) v(p, a);
SELECT accuracy_merge(s) FROM (SELECT f1_partial(predicted, actual) AS s FROM cls) g;
SELECT accuracy_merge('\x4d4d4d5401000101'::bytea);
SELECT accuracy_final('\x00'::bytea);
DROP TABLE cls, scores;
