-- drift(): PSI per feature against the deployed version's baseline; references from
-- test/scripts/reference_drift.py (numpy quantile bins, PSI floored at 1e-4).
BEGIN;
SELECT plan(23);
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE feats AS SELECT ARRAY['mean_radius','mean_texture','mean_perimeter','mean_area','mean_smoothness','mean_compactness','mean_concavity','mean_concave_points','mean_symmetry','mean_fractal_dimension','radius_error','texture_error','perimeter_error','area_error','smoothness_error','compactness_error','concavity_error','concave_points_error','symmetry_error','fractal_dimension_error','worst_radius','worst_texture','worst_perimeter','worst_area','worst_smoothness','worst_compactness','worst_concavity','worst_concave_points','worst_symmetry','worst_fractal_dimension']::text[] AS f;
SELECT modelmgr.train('drift_bc', 'breast_cancer', 'target', features => (SELECT f FROM feats),
                      algorithm => 'logistic_regression', options => '{"seed": 7, "epochs": 5}');
-- version 2: the same model with a baseline of all the training rows (model_with_baseline
-- replaces any baseline train() stored)
SELECT modelmgr.register_model('drift_bc', (SELECT modelmgr.model_with_baseline(m.model, b.x) FROM breast_cancer b),
                               label => 'target')
FROM modelmgr.models m WHERE m.name = 'drift_bc' AND m.version = 1;
SELECT modelmgr.deploy('drift_bc', 2);

SELECT is((modelmgr.baseline_info(modelmgr.model('drift_bc'))->>'rows')::int, 569, 'baseline summarises the 569 training rows');
SELECT is(jsonb_array_length(modelmgr.baseline_info(modelmgr.model('drift_bc'))->'features'), 30, 'one histogram per feature');
SELECT is((modelmgr.baseline_info(modelmgr.model('drift_bc'))->'features'->1->>'feature'), 'mean_texture', 'histograms carry the feature names');
SELECT is(jsonb_array_length(modelmgr.baseline_info(modelmgr.model('drift_bc'))->'features'->1->'fractions'), 10, '10 quantile bins for a continuous feature');
SELECT ok(CASE WHEN coalesce((modelmgr.model_info(m.model)->>'has_baseline')::boolean, false)
               THEN modelmgr.baseline_info(m.model)->'features' = modelmgr.baseline_info(modelmgr.model('drift_bc'))->'features'
               ELSE true END,
          'a baseline stored by train() (if any) equals the one of the training rows')
FROM modelmgr.models m WHERE m.name = 'drift_bc' AND m.version = 1;

-- the training data itself: no drift
CREATE TEMP TABLE d0 AS SELECT * FROM modelmgr.drift('drift_bc', 'breast_cancer');
SELECT is((SELECT count(*) FROM d0), 30::bigint, 'one row per feature');
SELECT is((SELECT array_agg(feature ORDER BY feature) FROM d0), (SELECT array_agg(x ORDER BY x) FROM feats, unnest(f) x), 'every feature by name');
SELECT ok((SELECT bool_and(psi < 0.01) FROM d0), 'PSI < 0.01 for every feature on the training data');
SELECT is((SELECT max(psi) FROM d0), 0::float8, 'PSI is exactly 0 on the training data (reference 0.0)');
SELECT is((SELECT array_agg(DISTINCT status) FROM d0), ARRAY['ok'], 'status ok everywhere');

-- mean_texture shifted by one (population) standard deviation
CREATE TEMP TABLE bc_shift AS SELECT * FROM breast_cancer;
UPDATE bc_shift SET mean_texture = mean_texture + (SELECT stddev_pop(mean_texture) FROM breast_cancer);
CREATE TEMP TABLE d1 AS SELECT * FROM modelmgr.drift('drift_bc', 'bc_shift');
SELECT is((SELECT array_agg(feature) FROM d1 WHERE status = 'alert'), ARRAY['mean_texture'], 'alert for the shifted feature only');
SELECT is((SELECT count(*) FROM d1 WHERE status = 'ok'), 29::bigint, 'the other 29 features are ok');
SELECT ok(abs((SELECT psi FROM d1 WHERE feature = 'mean_texture') - 1.252989076469199) < 1e-9,
          'PSI of the shifted feature matches numpy (1.252989076469199)');

-- a query as the source, and thresholds per model
SELECT is((SELECT status FROM modelmgr.drift('drift_bc', 'SELECT * FROM bc_shift WHERE id % 2 = 0') WHERE feature = 'mean_texture'),
          'alert', 'source can be a SELECT');
INSERT INTO modelmgr.monitor_settings (name, psi_warn, psi_alert) VALUES ('drift_bc', 1.0, 2.0);
SELECT is((SELECT status FROM modelmgr.drift('drift_bc', 'bc_shift') WHERE feature = 'mean_texture'), 'warn',
          'monitor_settings thresholds: 1.25 is warn with psi_warn 1, psi_alert 2');
DELETE FROM modelmgr.monitor_settings WHERE name = 'drift_bc';

-- history and the latest_drift view
SELECT is((SELECT count(*) FROM modelmgr.drift_history WHERE name = 'drift_bc'), 120::bigint, 'every drift() call recorded per feature');
SELECT is((SELECT psi FROM modelmgr.latest_drift WHERE name = 'drift_bc' AND feature = 'mean_texture'),
          (SELECT psi FROM d1 WHERE feature = 'mean_texture'), 'latest_drift shows the latest PSI');

-- drift_psi aggregate in a forced parallel plan equals the serial result
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_leader_participation = off;
SELECT is((SELECT modelmgr.drift_psi(modelmgr.model('drift_bc'), b.x) FROM breast_cancer b),
          (SELECT array_agg(psi ORDER BY ord) FROM d0 JOIN (SELECT x, ord FROM feats, unnest(f) WITH ORDINALITY u(x, ord)) o ON o.x = d0.feature),
          'drift_psi over breast_cancer.x (parallel plan allowed) = drift()');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;

-- errors
CREATE TEMP TABLE bc_missing AS SELECT * FROM breast_cancer;
ALTER TABLE bc_missing DROP COLUMN worst_area;
SELECT throws_ok($$SELECT * FROM modelmgr.drift('drift_bc', 'bc_missing')$$, '42703', 'source has no column "worst_area"',
                 'a source missing a feature column: ERROR naming it');
SELECT throws_ok($$SELECT * FROM modelmgr.drift('no_such_model', 'breast_cancer')$$, '42704', NULL, 'unknown model');
SELECT throws_ok($$SELECT * FROM modelmgr.drift('drift_bc', 'no_such_table')$$, '42P01', NULL, 'unknown source');
SELECT modelmgr.deploy('drift_bc', 1);
SELECT throws_ok($$SELECT * FROM modelmgr.drift('drift_bc', 'breast_cancer')$$, '55000', NULL,
                 'a deployed version without a baseline')
FROM modelmgr.models m WHERE m.name = 'drift_bc' AND m.version = 1 AND NOT coalesce((modelmgr.model_info(m.model)->>'has_baseline')::boolean, false)
UNION ALL SELECT pass('train() stored a baseline, so version 1 can be measured too')
FROM modelmgr.models m WHERE m.name = 'drift_bc' AND m.version = 1 AND coalesce((modelmgr.model_info(m.model)->>'has_baseline')::boolean, false);
SELECT throws_ok($$SELECT modelmgr.drift_psi(modelmgr.model('drift_bc', 2), ARRAY[1,2]::float8[])$$, '22000', NULL,
                 'drift_psi: wrong number of features');

SELECT * FROM finish();
ROLLBACK;
