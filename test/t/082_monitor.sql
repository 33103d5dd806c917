-- monitor(): evaluate + drift + anomaly check against the evaluation history; alerts recorded
-- (deduplicated while open), per-model settings, views and the Prometheus exposition.
-- NOTIFY delivery is checked by test/sh/monitor_notify.sh (notifications arrive at commit).
BEGIN;
SELECT plan(26);
SET LOCAL client_min_messages = warning;

SELECT modelmgr.train('mon_bc', 'breast_cancer', 'target', features => ARRAY['mean_radius','mean_texture','mean_perimeter','mean_area','mean_smoothness','mean_compactness','mean_concavity','mean_concave_points','mean_symmetry','mean_fractal_dimension','radius_error','texture_error','perimeter_error','area_error','smoothness_error','compactness_error','concavity_error','concave_points_error','symmetry_error','fractal_dimension_error','worst_radius','worst_texture','worst_perimeter','worst_area','worst_smoothness','worst_compactness','worst_concavity','worst_concave_points','worst_symmetry','worst_fractal_dimension'],
                      algorithm => 'logistic_regression', options => '{"seed": 3, "epochs": 20}');
SELECT modelmgr.register_model('mon_bc', (SELECT modelmgr.model_with_baseline(m.model, b.x) FROM breast_cancer b), label => 'target')
FROM modelmgr.models m WHERE m.name = 'mon_bc' AND m.version = 1;
SELECT modelmgr.deploy('mon_bc', 2);

-- a healthy history: three runs on the training data
CREATE TEMP TABLE runs AS SELECT 0 AS i, modelmgr.monitor('mon_bc', 'breast_cancer') AS r;
INSERT INTO runs SELECT 1, modelmgr.monitor('mon_bc', 'breast_cancer');
INSERT INTO runs SELECT 2, modelmgr.monitor('mon_bc', 'breast_cancer');
SELECT is((SELECT array_agg(DISTINCT r->>'status') FROM runs), ARRAY['ok'], 'healthy runs: status ok');
SELECT is((SELECT count(*) FROM modelmgr.alerts WHERE name = 'mon_bc'), 0::bigint, 'no alerts on healthy data');
SELECT is((SELECT r->>'metric' FROM runs WHERE i = 0), 'accuracy', 'a classifier is monitored on accuracy');
SELECT is((SELECT jsonb_array_length(r->'drift') FROM runs WHERE i = 0), 30, 'drift of every feature');
SELECT is((SELECT count(*) FROM modelmgr.evaluations WHERE name = 'mon_bc'), 3::bigint, 'each run recorded an evaluation');
SELECT is((SELECT (r->'history'->>'evaluations')::int FROM runs WHERE i = 2), 2, 'the third run compares with two earlier ones');

-- degraded data: a third of the labels flipped, mean_texture shifted by one standard deviation
CREATE TEMP TABLE degraded AS SELECT * FROM breast_cancer;
UPDATE degraded SET target = 1 - target WHERE id % 3 = 0;
UPDATE degraded SET mean_texture = mean_texture + (SELECT stddev_pop(mean_texture) FROM breast_cancer);
CREATE TEMP TABLE bad AS SELECT modelmgr.monitor('mon_bc', 'degraded') AS r;
SELECT is((SELECT r->>'status' FROM bad), 'alert', 'degraded data: status alert');
SELECT ok((SELECT (r->>'value')::float8 < (r->'history'->>'mean')::float8 - 0.2 FROM bad), 'accuracy dropped by more than 0.2');
SELECT is((SELECT count(*) FROM modelmgr.alerts WHERE name = 'mon_bc' AND kind = 'metric_drop'), 1::bigint, 'a metric_drop alert row');
SELECT is((SELECT detail->>'metric' FROM modelmgr.alerts WHERE name = 'mon_bc' AND kind = 'metric_drop'), 'accuracy', 'naming the metric');
SELECT is((SELECT array_agg(detail->>'feature') FROM modelmgr.alerts WHERE name = 'mon_bc' AND kind = 'drift'), ARRAY['mean_texture'],
          'a drift alert for the shifted feature only');
SELECT is((SELECT version FROM modelmgr.alerts WHERE name = 'mon_bc' AND kind = 'drift'), 2, 'alerts name the deployed version');
SELECT is((SELECT count(*) FROM modelmgr.open_alerts WHERE name = 'mon_bc'), 2::bigint, 'open_alerts lists them');
SELECT is((SELECT count(*) FROM jsonb_array_elements((SELECT r->'alerts' FROM bad)) a WHERE (a->>'new')::boolean), 2::bigint,
          'monitor() returns the new alerts');

-- the same problem again: no duplicate while the alerts are open
CREATE TEMP TABLE again AS SELECT modelmgr.monitor('mon_bc', 'degraded') AS r;
SELECT is((SELECT count(*) FROM modelmgr.alerts WHERE name = 'mon_bc'), 2::bigint, 'open alerts are not raised twice');
SELECT is((SELECT array_agg(a->>'kind') FROM jsonb_array_elements((SELECT r->'alerts' FROM again)) a WHERE NOT (a->>'new')::boolean),
          ARRAY['drift'], 'the drift alert is reported as still open (the drop is now part of the history)');

-- Prometheus exposition
CREATE TEMP TABLE prom AS SELECT modelmgr.prometheus_metrics() AS t;
SELECT ok((SELECT t ~ '# TYPE modelmgr_evaluation_metric gauge' FROM prom), 'TYPE line');
SELECT ok((SELECT t ~ 'modelmgr_evaluation_metric\{model="mon_bc",version="2",metric="accuracy"\} 0\.[0-9]+' FROM prom),
          'latest accuracy with model, version and metric labels');
SELECT ok((SELECT t ~ 'modelmgr_drift_psi\{model="mon_bc",version="2",feature="mean_texture"\} 1\.2529' FROM prom),
          'latest PSI with model, version and feature labels');
SELECT ok((SELECT t ~ 'modelmgr_alerts_open\{model="mon_bc"\} 2' FROM prom), 'open alerts per model');
SELECT ok((SELECT t ~ 'modelmgr_model_deployed_version\{model="mon_bc"\} 2' FROM prom), 'deployed version');
SELECT is(modelmgr._prom_label(E'a"b\\c\nd'), E'a\\"b\\\\c\\nd', 'label values are escaped');

-- resolve, floor, settings errors
SELECT is(modelmgr.resolve_alerts('mon_bc'), 2, 'resolve_alerts closes both');
INSERT INTO modelmgr.monitor_settings (name, metric, metric_floor) VALUES ('mon_bc', 'roc_auc', 0.9999);
SELECT is((SELECT a->>'kind' FROM jsonb_array_elements(modelmgr.monitor('mon_bc', 'breast_cancer')->'alerts') a
           WHERE a->>'kind' <> 'drift'), 'metric_floor', 'a per-model floor on roc_auc');
UPDATE modelmgr.monitor_settings SET metric = 'r2' WHERE name = 'mon_bc';
SELECT throws_ok($$SELECT modelmgr.monitor('mon_bc', 'breast_cancer')$$, '22023', NULL, 'a monitored metric the model does not have');
SELECT throws_ok($$SELECT modelmgr.monitor('no_such_model', 'breast_cancer')$$, '42704', NULL, 'unknown model');

SELECT * FROM finish();
ROLLBACK;
