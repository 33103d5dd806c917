-- Metric aggregates against scikit-learn 1.2.1 (values from test/scripts/reference_metrics.py,
-- which computes the same prediction formulas as the SQL expressions below).
BEGIN;
SELECT plan(47);
SET LOCAL search_path = modelmgr, public;

CREATE FUNCTION pg_temp.close(got float8, want float8) RETURNS boolean LANGUAGE sql AS $$
    SELECT got IS NOT NULL AND abs(got - want) <= 1e-12 * greatest(1.0, abs(want))
$$;
CREATE FUNCTION pg_temp.arr_close(got float8[], want float8[]) RETURNS boolean LANGUAGE sql AS $$
    SELECT cardinality(got) = cardinality(want)
       AND (SELECT bool_and(pg_temp.close(g, w)) FROM unnest(got, want) AS t(g, w))
$$;
CREATE FUNCTION pg_temp.field(j jsonb, f text) RETURNS float8[] LANGUAGE sql AS $$
    SELECT array_agg((e->>f)::float8 ORDER BY o) FROM jsonb_array_elements(j) WITH ORDINALITY AS t(e, o)
$$;

-- breast_cancer: target 1 = benign; a fixed score, a tied score, a clipped probability
CREATE TEMP VIEW bc AS
SELECT target::float8 AS y,
       (30.0 - worst_radius) - 0.1 * worst_texture AS score,
       ((30.0 - worst_radius) - 0.1 * worst_texture > 10.5)::int::float8 AS pred,
       -floor(worst_radius) AS tied,
       least(greatest((25.0 - worst_radius) / 12.0, 0.0), 1.0) AS prob,
       (ARRAY['malignant', 'benign'])[target + 1] AS ytxt,
       (ARRAY['malignant', 'benign'])[((30.0 - worst_radius) - 0.1 * worst_texture > 10.5)::int + 1] AS ptxt
FROM breast_cancer;

CREATE TEMP TABLE bcm AS
SELECT accuracy(pred, y) AS acc, modelmgr.precision(pred, y) AS prec, recall(pred, y) AS rec, f1(pred, y) AS f1,
       modelmgr.precision(pred, y, 0) AS prec0, recall(pred, y, 0) AS rec0, f1(pred, y, 0) AS f10,
       accuracy(ptxt, ytxt) AS tacc, modelmgr.precision(ptxt, ytxt) AS tprec, recall(ptxt, ytxt) AS trec,
       f1(ptxt, ytxt) AS tf1, f1(ptxt, ytxt, 'benign') AS tf1b,
       roc_auc(score, y) AS auc, roc_auc(tied, y) AS auc_tied, roc_auc(prob, y = 1) AS auc_prob,
       log_loss(prob, y) AS ll, log_loss(prob, y = 1) AS ll_bool,
       confusion_matrix(pred, y) AS cm, confusion_matrix(ptxt, ytxt) AS tcm,
       roc_curve(tied, y) AS roc_tied, pr_curve(tied, y) AS pr_tied,
       roc_curve(score, y) AS roc_score, pr_curve(score, y = 1) AS pr_score
FROM bc;

SELECT ok(pg_temp.close(acc, 0.9332161687170475), 'accuracy (float8 labels)') FROM bcm;
SELECT ok(pg_temp.close(prec, 0.9186351706036745), 'precision, default positive 1') FROM bcm;
SELECT ok(pg_temp.close(rec, 0.9803921568627451), 'recall, default positive 1') FROM bcm;
SELECT ok(pg_temp.close(f1, 0.9485094850948509), 'f1, default positive 1') FROM bcm;
SELECT ok(pg_temp.close(prec0, 0.9627659574468085), 'precision, positive 0') FROM bcm;
SELECT ok(pg_temp.close(rec0, 0.8537735849056604), 'recall, positive 0') FROM bcm;
SELECT ok(pg_temp.close(f10, 0.905), 'f1, positive 0') FROM bcm;
SELECT ok(pg_temp.close(tacc, 0.9332161687170475), 'accuracy (text labels)') FROM bcm;
SELECT ok(pg_temp.close(tprec, 0.9627659574468085), 'text precision: default positive is the second label in sorted order') FROM bcm;
SELECT ok(pg_temp.close(trec, 0.8537735849056604), 'text recall, default positive') FROM bcm;
SELECT ok(pg_temp.close(tf1, 0.905), 'text f1, default positive') FROM bcm;
SELECT ok(pg_temp.close(tf1b, 0.9485094850948509), 'text f1, positive ''benign''') FROM bcm;
SELECT ok(pg_temp.close(auc, 0.9804185825273506), 'roc_auc on a continuous score') FROM bcm;
SELECT ok(pg_temp.close(auc_tied, 0.9676880186036679), 'roc_auc on a score with many ties') FROM bcm;
SELECT ok(pg_temp.close(auc_prob, 0.9696236985360183), 'roc_auc with boolean actual') FROM bcm;
SELECT ok(pg_temp.close(ll, 0.3371806005903119), 'log_loss with probabilities 0 and 1 clipped') FROM bcm;
SELECT ok(pg_temp.close(ll_bool, 0.3371806005903119), 'log_loss with boolean actual') FROM bcm;
SELECT is(cm, '{"labels": [0, 1], "matrix": [[181, 31], [7, 350]], "rows": 569, "skipped_nulls": 0}'::jsonb,
          'confusion_matrix equals sklearn''s (rows = actual)') FROM bcm;
SELECT is(tcm, '{"labels": ["benign", "malignant"], "matrix": [[350, 7], [31, 181]], "rows": 569, "skipped_nulls": 0}'::jsonb,
          'confusion_matrix of text labels, labels sorted') FROM bcm;

SELECT ok(pg_temp.arr_close(pg_temp.field(roc_tied, 'threshold'),
    ARRAY[-6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0, -13.0, -14.0, -15.0, -16.0, -17.0, -18.0, -19.0, -20.0, -21.0, -22.0, -23.0, -24.0, -25.0, -26.0, -27.0, -28.0, -29.0, -30.0, -32.0, -33.0, -36.0]),
    'roc_curve thresholds (drop_intermediate, first = max + 1)') FROM bcm;
SELECT ok(pg_temp.arr_close(pg_temp.field(roc_tied, 'fpr'),
    ARRAY[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0047169811320754715, 0.018867924528301886, 0.0330188679245283, 0.09905660377358491, 0.1792452830188679, 0.2830188679245283, 0.3443396226415094, 0.42924528301886794, 0.5377358490566038, 0.5943396226415094, 0.6792452830188679, 0.7594339622641509, 0.8254716981132075, 0.8867924528301887, 0.9150943396226415, 0.9292452830188679, 0.9481132075471698, 0.9575471698113207, 0.9764150943396226, 0.9858490566037735, 0.9952830188679245, 1.0]),
    'roc_curve fpr') FROM bcm;
SELECT ok(pg_temp.arr_close(pg_temp.field(roc_tied, 'tpr'),
    ARRAY[0.0, 0.0028011204481792717, 0.011204481792717087, 0.05322128851540616, 0.12885154061624648, 0.24089635854341737, 0.39215686274509803, 0.6246498599439776, 0.7899159663865546, 0.896358543417367, 0.9719887955182073, 0.9915966386554622, 0.9971988795518207, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'roc_curve tpr') FROM bcm;
SELECT ok(pg_temp.arr_close((pg_temp.field(pr_tied, 'threshold'))[1:28],
    ARRAY[-36.0, -33.0, -32.0, -31.0, -30.0, -29.0, -28.0, -27.0, -26.0, -25.0, -24.0, -23.0, -22.0, -21.0, -20.0, -19.0, -18.0, -17.0, -16.0, -15.0, -14.0, -13.0, -12.0, -11.0, -10.0, -9.0, -8.0, -7.0]) AND (pr_tied->-1->'threshold') = 'null'::jsonb AND jsonb_array_length(pr_tied) = 29,
    'pr_curve thresholds ascending, last point has a null threshold') FROM bcm;
SELECT ok(pg_temp.arr_close(pg_temp.field(pr_tied, 'precision'),
    ARRAY[0.6274165202108963, 0.6285211267605634, 0.6307420494699647, 0.631858407079646, 0.6329787234042553, 0.6375, 0.6397849462365591, 0.644404332129964, 0.647912885662432, 0.655045871559633, 0.6710526315789473, 0.6891891891891891, 0.7125748502994012, 0.7391304347826086, 0.7579617834394905, 0.796875, 0.8298368298368298, 0.855072463768116, 0.9012987012987013, 0.9384164222873901, 0.9757785467128027, 0.9823788546255506, 0.9929078014184397, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    'pr_curve precision') FROM bcm;
SELECT ok(pg_temp.arr_close(pg_temp.field(pr_tied, 'recall'),
    ARRAY[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9971988795518207, 0.9915966386554622, 0.9719887955182073, 0.896358543417367, 0.7899159663865546, 0.6246498599439776, 0.39215686274509803, 0.24089635854341737, 0.12885154061624648, 0.05322128851540616, 0.011204481792717087, 0.0028011204481792717, 0.0]),
    'pr_curve recall') FROM bcm;
SELECT ok(jsonb_array_length(roc_score) = 76
          AND pg_temp.close((SELECT sum(v) FROM unnest(pg_temp.field(roc_score, 'fpr')) v), 7.481132075471698)
          AND pg_temp.close((SELECT sum(v) FROM unnest(pg_temp.field(roc_score, 'tpr')) v), 63.408963585434165)
          AND pg_temp.close((SELECT sum(v) FROM unnest(pg_temp.field(roc_score, 'threshold')) v), 880.1789999999997),
          'roc_curve on a continuous score: 76 points, same sums of fpr, tpr, thresholds') FROM bcm;
SELECT ok(jsonb_array_length(pr_score) = 564
          AND pg_temp.close((SELECT sum(v) FROM unnest(pg_temp.field(pr_score, 'precision')) v), 513.6216447921656)
          AND pg_temp.close((SELECT sum(v) FROM unnest(pg_temp.field(pr_score, 'recall')) v), 382.9607843137255),
          'pr_curve on a continuous score: 564 points, same sums') FROM bcm;
SELECT ok((SELECT count(*) FROM roc_curve_points((SELECT roc_auc_partial(tied, y) FROM bc))) = 28
          AND (SELECT pg_temp.arr_close(array_agg(fpr), pg_temp.field(roc_tied, 'fpr'))
               FROM roc_curve_points((SELECT roc_auc_partial(tied, y) FROM bc))),
          'roc_curve_points of a roc_auc_partial state gives the roc_curve points') FROM bcm;

-- iris: a rule with deliberate mistakes (every 17th row shifted by one class)
CREATE TEMP VIEW ir AS
SELECT target::float8 AS y,
       (CASE WHEN id % 17 = 0 THEN (target + 1) % 3 WHEN petal_length < 2.5 THEN 0
             WHEN petal_width < 1.65 THEN 1 ELSE 2 END)::float8 AS pred
FROM iris;
CREATE TEMP TABLE irm AS
SELECT accuracy(pred, y) AS acc,
       precision_macro(pred, y) AS pma, recall_macro(pred, y) AS rma, f1_macro(pred, y) AS fma,
       precision_weighted(pred, y) AS pwe, recall_weighted(pred, y) AS rwe, f1_weighted(pred, y) AS fwe,
       f1(pred, y, 2) AS f1c2,
       f1_macro(n[pred::int + 1], n[y::int + 1]) AS tfma, f1_weighted(n[pred::int + 1], n[y::int + 1]) AS tfwe,
       confusion_matrix(pred, y) AS cm, confusion_matrix(n[pred::int + 1], n[y::int + 1]) AS tcm
FROM ir, (SELECT ARRAY['setosa', 'versicolor', 'virginica'] AS n) names;

SELECT ok(pg_temp.close(acc, 0.9066666666666666), 'iris accuracy') FROM irm;
SELECT ok(pg_temp.close(pma, 0.9067707082833133), 'precision_macro') FROM irm;
SELECT ok(pg_temp.close(rma, 0.9066666666666666), 'recall_macro') FROM irm;
SELECT ok(pg_temp.close(fma, 0.9066593325999266), 'f1_macro') FROM irm;
SELECT ok(pg_temp.close(pwe, 0.9067707082833133), 'precision_weighted') FROM irm;
SELECT ok(pg_temp.close(rwe, 0.9066666666666666), 'recall_weighted') FROM irm;
SELECT ok(pg_temp.close(fwe, 0.9066593325999268), 'f1_weighted') FROM irm;
SELECT ok(pg_temp.close(f1c2, 0.888888888888889), 'multiclass f1 with positive 2 is the one-vs-rest f1 of class 2') FROM irm;
SELECT ok(pg_temp.close(tfma, 0.9066593325999266), 'f1_macro on text labels') FROM irm;
SELECT ok(pg_temp.close(tfwe, 0.9066593325999268), 'f1_weighted on text labels') FROM irm;
SELECT is(cm, '{"labels": [0, 1, 2], "matrix": [[47, 3, 0], [0, 45, 5], [3, 3, 44]], "rows": 150, "skipped_nulls": 0}'::jsonb,
          'iris confusion_matrix') FROM irm;
SELECT is(tcm->'labels', '["setosa", "versicolor", "virginica"]'::jsonb, 'text confusion_matrix labels sorted') FROM irm;

-- diabetes: a fixed linear predictor
CREATE TEMP TABLE dm AS
SELECT mse(p, target) AS mse, rmse(p, target) AS rmse, mae(p, target) AS mae, r2(p, target) AS r2
FROM (SELECT 152.0 + 900.0 * bmi + 500.0 * s5 + 300.0 * bp AS p, target FROM diabetes) d;
SELECT ok(pg_temp.close(mse, 3280.9049859663683), 'mse') FROM dm;
SELECT ok(pg_temp.close(rmse, 57.27918457839958), 'rmse') FROM dm;
SELECT ok(pg_temp.close(mae, 47.14459197943362), 'mae') FROM dm;
SELECT ok(pg_temp.close(r2, 0.44671691896147914), 'r2') FROM dm;

-- exported partial states merged across groups give the same values
SELECT ok(pg_temp.close((SELECT r2_merge(s) FROM (SELECT r2_partial(152.0 + 900.0 * bmi + 500.0 * s5 + 300.0 * bp, target) AS s
                                                  FROM diabetes GROUP BY id % 7) g), 0.44671691896147914),
          'r2_merge over 7 r2_partial states (Chan merge of the moments)');
SELECT ok(pg_temp.close((SELECT roc_auc_merge(s) FROM (SELECT roc_auc_partial(tied, y) AS s FROM bc
                                                       GROUP BY score > 12) g), 0.9676880186036679),
          'roc_auc_merge over partial states');
SELECT ok(pg_temp.close((SELECT f1_macro_merge(s) FROM (SELECT f1_macro_partial(pred, y) AS s FROM ir
                                                        GROUP BY y) g), 0.9066593325999266),
          'f1_macro_merge over states with different label sets');

SELECT * FROM finish();
ROLLBACK;
