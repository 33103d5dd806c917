-- evaluate(): metrics of a version on a table or query equal the metric aggregates over its
-- predictions; each call is recorded in evaluations; zero rows give NULL metrics.
BEGIN;
SELECT plan(24);
SET LOCAL client_min_messages = warning;

SELECT modelmgr.train('ev_bc', 'breast_cancer', 'target', features => ARRAY['mean_radius','mean_texture','mean_perimeter','mean_area','mean_smoothness','mean_compactness','mean_concavity','mean_concave_points','mean_symmetry','mean_fractal_dimension','radius_error','texture_error','perimeter_error','area_error','smoothness_error','compactness_error','concavity_error','concave_points_error','symmetry_error','fractal_dimension_error','worst_radius','worst_texture','worst_perimeter','worst_area','worst_smoothness','worst_compactness','worst_concavity','worst_concave_points','worst_symmetry','worst_fractal_dimension'],
                      algorithm => 'logistic_regression', options => '{"seed": 3, "epochs": 20}');
SELECT modelmgr.deploy('ev_bc');
CREATE TEMP TABLE m AS SELECT modelmgr.model('ev_bc') AS b;

CREATE TEMP TABLE e1 AS SELECT modelmgr.evaluate('ev_bc', 'breast_cancer') AS r;
SELECT is((SELECT (r->>'rows')::int FROM e1), 569, 'rows scored');
SELECT is((SELECT (r->>'version')::int FROM e1), 1, 'the deployed version');
SELECT is((SELECT (r->'metrics'->>'accuracy')::float8 FROM e1),
          (SELECT modelmgr.accuracy(modelmgr.predict(m.b, x), target::float8) FROM breast_cancer, m), 'accuracy = accuracy aggregate');
SELECT is((SELECT (r->'metrics'->>'precision')::float8 FROM e1),
          (SELECT modelmgr.precision(modelmgr.predict(m.b, x), target::float8, 1) FROM breast_cancer, m), 'precision (positive = second class)');
SELECT is((SELECT (r->'metrics'->>'recall')::float8 FROM e1),
          (SELECT modelmgr.recall(modelmgr.predict(m.b, x), target::float8, 1) FROM breast_cancer, m), 'recall');
SELECT is((SELECT (r->'metrics'->>'f1')::float8 FROM e1),
          (SELECT modelmgr.f1(modelmgr.predict(m.b, x), target::float8, 1) FROM breast_cancer, m), 'f1');
SELECT is((SELECT (r->'metrics'->>'roc_auc')::float8 FROM e1),
          (SELECT modelmgr.roc_auc((modelmgr.predict_proba(m.b, x))[2], target = 1) FROM breast_cancer, m), 'roc_auc on P(positive)');
SELECT is((SELECT (r->'metrics'->>'log_loss')::float8 FROM e1),
          (SELECT modelmgr.log_loss((modelmgr.predict_proba(m.b, x))[2], target = 1) FROM breast_cancer, m), 'log_loss');
SELECT ok((SELECT (r->'metrics'->>'accuracy')::float8 > 0.9 FROM e1), 'a sensible model (accuracy > 0.9)');

-- recorded
SELECT is((SELECT count(*) FROM modelmgr.evaluations WHERE name = 'ev_bc'), 1::bigint, 'one snapshot recorded');
SELECT is((SELECT rows FROM modelmgr.evaluations WHERE id = (SELECT (r->>'evaluation_id')::bigint FROM e1)), 569::bigint, 'with its rows');
SELECT is((SELECT metrics FROM modelmgr.evaluations WHERE id = (SELECT (r->>'evaluation_id')::bigint FROM e1)),
          (SELECT r->'metrics' FROM e1), 'and its metrics');
SELECT is((SELECT accuracy FROM modelmgr.evaluation_history WHERE name = 'ev_bc'), (SELECT (r->'metrics'->>'accuracy')::float8 FROM e1),
          'evaluation_history has the accuracy column');

-- a query as the source, a named version
SELECT is((modelmgr.evaluate('ev_bc', 'SELECT * FROM breast_cancer WHERE id < 100', 1)->>'rows')::int, 100, 'query source, explicit version');

-- zero rows: metrics are JSON null, rows 0, still recorded
CREATE TEMP TABLE e0 AS SELECT modelmgr.evaluate('ev_bc', 'SELECT * FROM breast_cancer WHERE false') AS r;
SELECT is((SELECT (r->>'rows')::int FROM e0), 0, 'zero rows');
SELECT is((SELECT r->'metrics'->'accuracy' FROM e0), 'null'::jsonb, 'metrics over zero rows are null');

-- regression and multiclass
SELECT modelmgr.register_model('ev_diab', modelmgr.linreg_fit(x, target), label => 'target',
                               features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6']) FROM diabetes;
SELECT modelmgr.deploy('ev_diab');
SELECT is((modelmgr.evaluate('ev_diab', 'diabetes')->'metrics'->>'r2')::float8,
          (SELECT modelmgr.r2(modelmgr.predict(modelmgr.model('ev_diab'), x), target) FROM diabetes), 'regression: r2');
SELECT is((modelmgr.evaluate('ev_diab', 'diabetes')->'metrics'->>'rmse')::float8,
          (SELECT modelmgr.rmse(modelmgr.predict(modelmgr.model('ev_diab'), x), target) FROM diabetes), 'regression: rmse');
SELECT modelmgr.train('ev_iris', 'iris', 'target', features => ARRAY['sepal_length','sepal_width','petal_length','petal_width'],
                      options => '{"seed": 1, "epochs": 30}');
SELECT modelmgr.deploy('ev_iris');
SELECT is((modelmgr.evaluate('ev_iris', 'iris')->'metrics'->>'f1_macro')::float8,
          (SELECT modelmgr.f1_macro(modelmgr.predict(modelmgr.model('ev_iris'), x), target::float8) FROM iris), 'multiclass: f1_macro');

-- errors
SELECT throws_ok($$SELECT modelmgr.evaluate('no_such_model', 'breast_cancer')$$, '42704', NULL, 'unknown model');
SELECT throws_ok($$SELECT modelmgr.evaluate('ev_bc', 'SELECT mean_radius FROM breast_cancer')$$, '42703', NULL, 'source missing a feature column');
SELECT throws_ok($$SELECT modelmgr.evaluate('ev_bc', 'SELECT mean_radius,mean_texture,mean_perimeter,mean_area,mean_smoothness,mean_compactness,mean_concavity,mean_concave_points,mean_symmetry,mean_fractal_dimension,radius_error,texture_error,perimeter_error,area_error,smoothness_error,compactness_error,concavity_error,concave_points_error,symmetry_error,fractal_dimension_error,worst_radius,worst_texture,worst_perimeter,worst_area,worst_smoothness,worst_compactness,worst_concavity,worst_concave_points,worst_symmetry,worst_fractal_dimension FROM breast_cancer')$$, '42703',
                 'source has no label column "target"', 'source missing the label column');

-- drop_model still works and takes the evaluations with it
SELECT is(modelmgr.drop_model('ev_bc', NULL, true), 1, 'drop_model of an evaluated model');
SELECT is((SELECT count(*) FROM modelmgr.evaluations WHERE name = 'ev_bc'), 0::bigint, 'its evaluations are gone (ON DELETE CASCADE)');

SELECT * FROM finish();
ROLLBACK;
