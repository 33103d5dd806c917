-- Every metric aggregate under a forced parallel plan equals its serial value.
BEGIN;
SELECT plan(28);
SET LOCAL search_path = modelmgr, public;

CREATE TABLE par_m AS
SELECT i,
       CASE WHEN i % 101 = 0 THEN NULL ELSE ((i * 37) % 1000 / 1000.0 + 0.2 * (i % 10 < 4)::int > 0.5)::int::float8 END AS pred,
       (i % 10 < 4)::int::float8 AS y,
       (i * 37) % 1000 / 1000.0 + 0.2 * (i % 10 < 4)::int AS score,
       ((i * 3) % 7 % 5)::float8 AS cp,
       CASE WHEN i % 97 = 0 THEN NULL ELSE (i % 5)::float8 END AS cy,
       sin(i) AS rp, sin(i) + 0.3 * cos(i * 0.3) AS ry
FROM generate_series(1, 200000) i;
ANALYZE par_m;

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
CREATE FUNCTION pg_temp.close(got float8, want float8) RETURNS boolean LANGUAGE sql AS $$
    SELECT got IS NOT NULL AND abs(got - want) <= 1e-12 * greatest(1.0, abs(want))
$$;

CREATE TEMP VIEW q_scalar AS
SELECT ARRAY[
    accuracy(pred, y), modelmgr.precision(pred, y), recall(pred, y), f1(pred, y), modelmgr.precision(pred, y, 0),
    precision_macro(cp, cy), recall_macro(cp, cy), f1_macro(cp, cy),
    precision_weighted(cp, cy), recall_weighted(cp, cy), f1_weighted(cp, cy),
    accuracy('c' || cp, 'c' || cy), f1('c' || cp, 'c' || cy, 'c1'), f1_macro('c' || cp, 'c' || cy),
    roc_auc(score, y), roc_auc(score, y = 1), log_loss(least(score, 1.0), y),
    mse(rp, ry), rmse(rp, ry), mae(rp, ry), r2(rp, ry)] AS v,
    jsonb_build_array(confusion_matrix(cp, cy), confusion_matrix('c' || cp, 'c' || cy),
                      roc_curve(score, y), pr_curve(score, y)) AS j
FROM par_m;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT * FROM q_scalar;
CREATE TEMP TABLE serial_states AS
SELECT i % 50 AS g, accuracy_partial(cp, cy) AS acc, roc_auc_partial(score, y) AS auc, r2_partial(rp, ry) AS r2
FROM par_m GROUP BY 1;
CREATE TEMP TABLE serial_merged AS
SELECT accuracy_merge(acc) AS acc, roc_auc_merge(auc) AS auc, r2_merge(r2) AS r2 FROM serial_states;
CREATE TABLE par_states AS SELECT * FROM serial_states;
ANALYZE par_states;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL force_parallel_mode = on;

SELECT matches(pg_temp.plan_text('SELECT * FROM q_scalar'), 'Partial Aggregate',
    'the metric aggregates run as partial aggregates in parallel workers');
SELECT matches(pg_temp.plan_text('SELECT accuracy_merge(acc), roc_auc_merge(auc), r2_merge(r2) FROM par_states'),
    'Partial Aggregate', 'the *_merge aggregates run in parallel too');

CREATE TEMP TABLE par AS SELECT * FROM q_scalar;

SELECT ok(pg_temp.close(p.v[k], s.v[k]), 'parallel ' || name || ' equals serial')
FROM par p, serial s,
     unnest(ARRAY['accuracy', 'precision', 'recall', 'f1', 'precision positive 0',
                  'precision_macro', 'recall_macro', 'f1_macro',
                  'precision_weighted', 'recall_weighted', 'f1_weighted',
                  'accuracy text', 'f1 text', 'f1_macro text',
                  'roc_auc', 'roc_auc boolean', 'log_loss', 'mse', 'rmse', 'mae', 'r2']) WITH ORDINALITY AS t(name, k)
ORDER BY k;

SELECT is(p.j->0, s.j->0, 'parallel confusion_matrix equals serial') FROM par p, serial s;
SELECT is(p.j->1, s.j->1, 'parallel text confusion_matrix equals serial') FROM par p, serial s;
SELECT is(p.j->2, s.j->2, 'parallel roc_curve equals serial') FROM par p, serial s;
SELECT is(p.j->3, s.j->3, 'parallel pr_curve equals serial') FROM par p, serial s;
SELECT ok(p.acc = s.acc AND p.auc = s.auc AND pg_temp.close(p.r2, s.r2),
          'parallel *_merge over exported states equals serial')
FROM (SELECT accuracy_merge(acc) AS acc, roc_auc_merge(auc) AS auc, r2_merge(r2) AS r2 FROM par_states) p, serial_merged s;

SELECT * FROM finish();
ROLLBACK;
