-- Monitoring: baselines, drift, evaluate, monitor, alerts, Prometheus. Examples and edge cases.
SET extra_float_digits = 0;
SET client_min_messages = warning;

CREATE TABLE mon_pts AS
SELECT i AS id, (i % 10)::float8 AS a, (i % 3)::float8 AS b, 2.0 * (i % 10) - (i % 3) + 0.5 AS y
FROM generate_series(1, 200) i;
CREATE TABLE mon_live AS SELECT id, a + 5 AS a, b, y FROM mon_pts;

-- a model from the low-level aggregate, then the same model with a drift baseline
SELECT (modelmgr.register_model('mon_lin', (SELECT modelmgr.linreg_fit(ARRAY[a, b], y) FROM mon_pts),
                               label => 'y', features => ARRAY['a', 'b'])).version;
SELECT modelmgr.model_info(modelmgr.model('mon_lin', 1))->'has_baseline' AS has_baseline;
SELECT modelmgr.baseline_info(modelmgr.model('mon_lin', 1)) AS no_baseline;
SELECT (modelmgr.register_model('mon_lin', (SELECT modelmgr.model_with_baseline(modelmgr.model('mon_lin', 1), ARRAY[a, b]) FROM mon_pts),
                               label => 'y', features => ARRAY['a', 'b'])).version;
SELECT modelmgr.deploy('mon_lin', 2);
-- a: ten values 0..9, b: three values (deduplicated edges); names x1, x2 when the bytes carry none
SELECT jsonb_pretty(modelmgr.baseline_info(modelmgr.model('mon_lin')));

-- the drift_psi aggregate: per feature, in model order
SELECT modelmgr.drift_psi(modelmgr.model('mon_lin'), ARRAY[a, b]) FROM mon_pts;
SELECT round(psi::numeric, 4) AS psi FROM unnest((SELECT modelmgr.drift_psi(modelmgr.model('mon_lin'), ARRAY[a, b]) FROM mon_live)) psi;
-- zero rows: NULL; a NULL feature value is skipped for that feature only
SELECT modelmgr.drift_psi(modelmgr.model('mon_lin'), ARRAY[a, b]) FROM mon_pts WHERE false;
SELECT modelmgr.drift_psi(modelmgr.model('mon_lin'), ARRAY[NULL, b]) FROM mon_pts;

-- drift(): by name, on a table or a query
SELECT feature, round(psi::numeric, 4) AS psi, status FROM modelmgr.drift('mon_lin', 'mon_pts');
SELECT feature, round(psi::numeric, 4) AS psi, status FROM modelmgr.drift('mon_lin', 'mon_live');
SELECT feature, status FROM modelmgr.drift('mon_lin', 'SELECT * FROM mon_pts WHERE a < 5');
SELECT name, version, feature, status FROM modelmgr.latest_drift WHERE name = 'mon_lin' ORDER BY feature;

-- evaluate(): regression metrics, recorded
SELECT e->'rows' AS rows, e->'rows_skipped' AS skipped, round((e->'metrics'->>'r2')::numeric, 6) AS r2
FROM modelmgr.evaluate('mon_lin', 'mon_pts') e;
SELECT name, version, rows, round(r2::numeric, 6) AS r2, accuracy FROM modelmgr.evaluation_history WHERE name = 'mon_lin';
-- zero rows: null metrics (documented), still recorded
SELECT e->'rows' AS rows, e->'metrics' AS metrics FROM modelmgr.evaluate('mon_lin', 'SELECT * FROM mon_pts WHERE false') e;
-- NULL labels and features are skipped and counted
SELECT e->'rows' AS rows, e->'rows_skipped' AS skipped
FROM modelmgr.evaluate('mon_lin', 'SELECT id, CASE WHEN id % 10 = 0 THEN NULL ELSE a END AS a, b, CASE WHEN id % 20 = 1 THEN NULL ELSE y END AS y FROM mon_pts') e;

-- monitor(): drift alert for a, recorded and listed
SELECT m->>'status' AS status, m->>'metric' AS metric, jsonb_array_length(m->'alerts') AS alerts
FROM modelmgr.monitor('mon_lin', 'mon_live') m;
SELECT name, version, kind, subject FROM modelmgr.open_alerts WHERE name = 'mon_lin';
SELECT modelmgr.resolve_alerts('mon_lin');
SELECT count(*) FROM modelmgr.open_alerts WHERE name = 'mon_lin';

-- Prometheus: the drift and alert lines (timestamps left out)
SELECT line FROM regexp_split_to_table(modelmgr.prometheus_metrics(), E'\n') line
WHERE line ~ 'mon_lin' AND line !~ 'timestamp|evaluation_metric' OR line ~ '^# TYPE';

-- errors
SELECT * FROM modelmgr.drift('mon_lin', 'SELECT id, b FROM mon_pts');
SELECT * FROM modelmgr.drift('mon_lin', 'SELECT id, a::text AS a, b FROM mon_pts');
SELECT * FROM modelmgr.drift('no_such_model', 'mon_pts');
SELECT * FROM modelmgr.drift('mon_lin', 'no_such_table');
SELECT * FROM modelmgr.drift('mon_lin', 'SELECT 1; SELECT 2');
SELECT * FROM modelmgr.drift('mon_lin', NULL);
SELECT modelmgr.evaluate('mon_lin', 'SELECT id, a, b FROM mon_pts');
SELECT modelmgr.deploy('mon_lin', 1);
SELECT * FROM modelmgr.drift('mon_lin', 'mon_pts');
SELECT modelmgr.drift_psi(modelmgr.model('mon_lin', 1), ARRAY[a, b]) FROM mon_pts;
SELECT modelmgr.drift_psi(modelmgr.model('mon_lin', 2), ARRAY[a]) FROM mon_pts;
SELECT modelmgr.model_with_baseline(modelmgr.model('mon_lin', 1), ARRAY[a]) FROM mon_pts;
SELECT modelmgr.model_with_baseline('\x00'::bytea, ARRAY[a, b]) FROM mon_pts;
SELECT modelmgr.baseline_info('\x4d4d444c'::bytea);
SELECT modelmgr.drift_psi_final('\x4d4d4453'::bytea);
SELECT modelmgr.model_with_baseline_final('\x4d4d4253'::bytea);

-- drop_model takes the monitoring rows with it
SELECT modelmgr.drop_model('mon_lin', NULL, true);
SELECT (SELECT count(*) FROM modelmgr.evaluations WHERE name = 'mon_lin') AS evaluations,
       (SELECT count(*) FROM modelmgr.drift_history WHERE name = 'mon_lin') AS drift_rows,
       (SELECT count(*) FROM modelmgr.alerts WHERE name = 'mon_lin') AS alerts;
DROP TABLE mon_pts, mon_live;
