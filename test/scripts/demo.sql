-- demo.sql: the demo's queries (test/scripts/demo.sh runs them after load_data.sql; the container
-- test runs them inside the image). Needs the tables of test/scripts/load_data.sql.
\set ECHO queries
SET client_min_messages = warning;
SET modelmgr.progress_every = 0;
\echo
\echo '== 1. Exact least squares on the diabetes data (442 patients, 10 features)'
SELECT name, version, algorithm, round((model_info->'training'->'fit'->>'train_r2')::numeric, 4) AS train_r2,
       round((metrics->>'r2')::numeric, 4) AS test_r2, round((metrics->>'rmse')::numeric, 1) AS test_rmse
FROM modelmgr.train('diabetes', 'diabetes', 'target',
                    ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                    'linear_regression', '{"test_fraction": 0.2}') t,
     LATERAL modelmgr.model_info(t.model) AS model_info;
SELECT * FROM modelmgr.weights('diabetes', 1) ORDER BY abs(weight) DESC LIMIT 4;

\echo
\echo '== 2. Logistic regression by SGD on breast cancer biopsies (569 x 30), 20% held out'
SELECT name, version, algorithm, training->'epochs' AS epochs, training->>'mode' AS mode,
       round((metrics->>'accuracy')::numeric, 4) AS accuracy, round((metrics->>'roc_auc')::numeric, 4) AS roc_auc,
       round((metrics->>'log_loss')::numeric, 4) AS log_loss
FROM modelmgr.train('cancer', 'breast_cancer', 'target',
                    ARRAY['mean_radius', 'mean_texture', 'mean_perimeter', 'mean_area', 'mean_smoothness',
                          'mean_compactness', 'mean_concavity', 'mean_concave_points', 'mean_symmetry',
                          'worst_radius', 'worst_texture', 'worst_perimeter', 'worst_area', 'worst_smoothness'],
                    'logistic_regression', '{"test_fraction": 0.2, "l2": 0.001, "seed": 42}');

\echo
\echo '== 3. Multinomial logistic regression on iris, with text class names (full-batch L-BFGS)'
CREATE TEMP VIEW iris_named AS
SELECT sepal_length, sepal_width, petal_length, petal_width,
       (ARRAY['setosa', 'versicolor', 'virginica'])[target + 1] AS species
FROM iris;
SELECT name, algorithm, classes, round((metrics->>'accuracy')::numeric, 4) AS accuracy
FROM modelmgr.train('iris', 'iris_named', 'species', NULL, 'auto', '{"test_fraction": 0.2, "solver": "lbfgs"}');

\echo
\echo '== 4. Deploy, then predict by name in an ordinary query (features picked from the row by column name)'
SELECT modelmgr.deploy('cancer') AS cancer_live, modelmgr.deploy('iris') AS iris_live;
SELECT b.id, b.target AS actual, modelmgr.predict('cancer', b) AS predicted,
       round((modelmgr.predict_proba('cancer', b))[2]::numeric, 3) AS p_benign
FROM breast_cancer b ORDER BY id LIMIT 5;
SELECT modelmgr.predict_label('iris', i) AS species, count(*) FROM iris i GROUP BY 1 ORDER BY 1;

\echo
\echo '== 5. Evaluate with metric aggregates over the whole table'
SELECT round(modelmgr.accuracy(modelmgr.predict('cancer', b), b.target)::numeric, 4) AS accuracy,
       round(modelmgr.roc_auc((modelmgr.predict_proba('cancer', b))[2], b.target)::numeric, 4) AS roc_auc,
       modelmgr.confusion_matrix(modelmgr.predict('cancer', b), b.target)->'matrix' AS confusion
FROM breast_cancer b;

\echo
\echo '== 6. Monitoring: evaluate (recorded), drift against the training baseline, Prometheus'
SELECT modelmgr.evaluate('cancer', 'breast_cancer')->'metrics' AS metrics;
SELECT feature, round(psi::numeric, 4) AS psi, status FROM modelmgr.drift('cancer', 'breast_cancer') ORDER BY psi DESC LIMIT 3;
CREATE TEMP VIEW shifted AS SELECT id, mean_radius * 1.3 AS mean_radius, mean_texture, mean_perimeter, mean_area,
       mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, worst_radius,
       worst_texture, worst_perimeter, worst_area, worst_smoothness, target
FROM breast_cancer;
SELECT feature, round(psi::numeric, 4) AS psi, status FROM modelmgr.drift('cancer', 'shifted') ORDER BY psi DESC LIMIT 3;
SELECT line FROM regexp_split_to_table(modelmgr.prometheus_metrics(), E'\n') AS line
WHERE line LIKE 'modelmgr_evaluation_metric{model="cancer"%' LIMIT 4;

\echo
\echo '== 7. The registry'
SELECT name, deployed_version, algorithm, versions FROM modelmgr.model_overview ORDER BY name;
