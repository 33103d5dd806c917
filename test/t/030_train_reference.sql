-- train() against scikit-learn references (test/data/reference_results.json; optimum objective from
-- test/scripts/reference_train.py).
BEGIN;
SELECT plan(25);
SET LOCAL modelmgr.progress_every = 0;
SET LOCAL client_min_messages = warning;

-- mean log loss over the training rows + l2/2 |w|^2 (standardised weights, intercept not penalised)
CREATE FUNCTION pg_temp.objective(m bytea, l2 float8) RETURNS float8 LANGUAGE sql AS $$
    SELECT avg(-ln(CASE WHEN target = 1 THEN p[2] ELSE p[1] END))
         + l2 / 2 * (SELECT sum(c::float8 ^ 2) FROM jsonb_array_elements_text(modelmgr.model_info(m)->'coefficients') c)
    FROM (SELECT modelmgr.predict_proba(m, x) AS p, target FROM breast_cancer WHERE id < 455) s
$$;

-- 1. binary logistic regression, l2 = 1/(C n_train) with C = 1, in memory and streaming
CREATE TEMP TABLE lr AS
SELECT o->>'mode' AS mode, r.*
FROM (VALUES ('{"mode": "memory"}'::jsonb), ('{"mode": "streaming"}')) v(o),
     LATERAL modelmgr.train('bc_logistic', 'SELECT * FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'],
                            'logistic_regression',
                            jsonb_build_object('l2', 1.0 / 455, 'epochs', 200, 'n_iter_no_change', 1000, 'seed', 7) || o) r;

SELECT cmp_ok(abs(pg_temp.objective(model, 1.0 / 455) / 0.06772838293405054 - 1), '<', 1e-3::float8,
    'logistic regression (' || mode || ') reaches the LogisticRegression(C=1) objective within 1e-3')
FROM lr ORDER BY mode;

CREATE TEMP TABLE lr_test AS
SELECT modelmgr.predict(model, x) AS p, (modelmgr.predict_proba(model, x))[2] AS prob, target::float8 AS y
FROM lr, breast_cancer b WHERE lr.mode = 'memory' AND b.id >= 455;
SELECT cmp_ok(abs(avg((p = y)::int::float8) - 0.9824561404), '<=', 0.01::float8, 'test accuracy within 0.01 of scikit-learn') FROM lr_test;
SELECT cmp_ok(abs(sum((p = 1 AND y = 1)::int::float8)::float8 / nullif(sum((p = 1)::int::float8), 0) - 1.0), '<=', 0.01::float8,
    'test precision within 0.01 of scikit-learn') FROM lr_test;
SELECT cmp_ok(abs(sum((p = 1 AND y = 1)::int::float8)::float8 / nullif(sum((y = 1)::int::float8), 0) - 0.9772727273), '<=', 0.01::float8,
    'test recall within 0.01 of scikit-learn') FROM lr_test;
SELECT cmp_ok(abs(modelmgr.roc_auc(prob, y) - 0.9991258741), '<=', 0.01::float8, 'test ROC AUC within 0.01 of scikit-learn') FROM lr_test;

-- 4. same data, options and seed: byte-identical models, and memory == streaming
SELECT is((SELECT model FROM modelmgr.train('bc_logistic', 'SELECT * FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'],
                   'logistic_regression', jsonb_build_object('l2', 1.0 / 455, 'epochs', 200, 'n_iter_no_change', 1000, 'seed', 7, 'mode', 'memory'))),
          (SELECT model FROM lr WHERE mode = 'memory'), 'retraining with the same seed gives the same bytes (memory)');
SELECT is((SELECT model FROM lr WHERE mode = 'memory'), (SELECT model FROM lr WHERE mode = 'streaming'),
    'memory and streaming modes give the same bytes');
SELECT isnt((SELECT model FROM modelmgr.train('bc_logistic', 'SELECT * FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'],
                   'logistic_regression', jsonb_build_object('l2', 1.0 / 455, 'epochs', 200, 'n_iter_no_change', 1000, 'seed', 8, 'mode', 'streaming'))),
          (SELECT model FROM lr WHERE mode = 'streaming'), 'another seed shuffles differently');
SELECT is((SELECT array_agg(version ORDER BY version) FROM modelmgr.models WHERE name = 'bc_logistic'), ARRAY[1, 2, 3, 4],
    'every train() call registered a new version');
SELECT is((SELECT training->>'mode' FROM modelmgr.models WHERE name = 'bc_logistic' AND version = 2), 'streaming',
    'the registry records the mode');

-- lbfgs: the exact optimum (default l2 = 1/n_train, i.e. LogisticRegression's C = 1)
CREATE TEMP TABLE lb AS SELECT * FROM modelmgr.train('bc_lbfgs', 'SELECT * FROM breast_cancer WHERE id < 455', 'target',
    ARRAY['x'], 'logistic_regression', '{"solver": "lbfgs"}');
SELECT cmp_ok(abs(pg_temp.objective(model, 1.0 / 455) / 0.06772838293405054 - 1), '<', 1e-8::float8,
    'lbfgs reaches the LogisticRegression(C=1) optimum to 1e-8') FROM lb;
SELECT cmp_ok(abs((modelmgr.model_info(model)->>'intercept')::float8 - (-0.2981374702)), '<', 1e-3::float8,
    'lbfgs intercept matches scikit-learn') FROM lb;
SELECT cmp_ok(abs(pg_temp.objective(g.model, 1.0 / 455) / 0.06772838293405054 - 1), '<', 1e-4::float8,
    'full-batch gradient descent (solver gd) reaches the optimum too, more slowly')
FROM modelmgr.train('bc_gd', 'SELECT * FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'], 'logistic_regression',
                    '{"solver": "gd", "epochs": 3000}') g;
CREATE TEMP TABLE lbi AS SELECT * FROM modelmgr.train('iris_lbfgs', 'iris', 'target', ARRAY['x'], 'logistic_regression',
    '{"solver": "lbfgs", "standardize": false}');
SELECT cmp_ok((SELECT max(abs(a::float8 - b)) FROM unnest(ARRAY(SELECT jsonb_array_elements_text(modelmgr.model_info(model)->'intercept')),
                                                       ARRAY[9.8489564864, 2.2376286249, -12.0865851113]) t(a, b)), '<', 2e-3::float8,
    'multinomial lbfgs intercepts match scikit-learn (iris, C = 1)') FROM lbi;
SELECT cmp_ok(abs(avg((modelmgr.predict(lbi.model, i.x) = i.target)::int::float8) - 0.9733333333), '<', 1e-9::float8,
    'multinomial lbfgs training accuracy equals scikit-learn''s') FROM lbi, iris i;

-- 2. multinomial logistic regression on iris (test = id % 5 = 4)
-- the reference is LogisticRegression(C=1): l2 = 1/(C n_train) = 1/120, with a fixed epoch budget (the
-- result is the same for seeds 1, 2 and 3; scikit-learn's stopping rule alone stops after a few noisy epochs)
CREATE TEMP TABLE ir AS SELECT * FROM modelmgr.train('iris', 'SELECT * FROM iris WHERE id % 5 <> 4', 'target',
    ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], 'logistic_regression',
    jsonb_build_object('l2', 1.0 / 120, 'epochs', 300, 'n_iter_no_change', 1000, 'seed', 1));
SELECT is(algorithm, 'multinomial_logistic_regression', 'three classes give a multinomial model') FROM ir;
SELECT is(classes, ARRAY['0', '1', '2'], 'classes are discovered and stored in order') FROM ir;
SELECT cmp_ok(avg((modelmgr.predict(ir.model, ARRAY[sepal_length, sepal_width, petal_length, petal_width]) = target)::int::float8), '>=', 0.93::float8,
    'iris test accuracy >= 0.93') FROM ir, iris i WHERE i.id % 5 = 4;
SELECT cmp_ok(abs(avg((modelmgr.predict(ir.model, i.x) = target)::int::float8) - 0.9733333333), '<=', 0.02::float8,
    'iris training accuracy within 0.02 of scikit-learn') FROM ir, iris i WHERE i.id % 5 <> 4;

-- 3. linear SVM on breast_cancer; SGD linear regression on diabetes
SELECT cmp_ok(avg((modelmgr.predict(s.model, x) = target)::int::float8), '>=', 0.95::float8, 'linear SVM test accuracy >= 0.95')
FROM modelmgr.train('bc_svm', 'SELECT * FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'], 'svm', '{"l2": 0.001, "epochs": 100, "n_iter_no_change": 1000, "seed": 3}') s,
     breast_cancer b WHERE b.id >= 455;
SELECT cmp_ok(abs((1 - sum((modelmgr.predict(s.model, x) - target) ^ 2) / sum((target - 152.13348416289594) ^ 2)) - 0.5177484222), '<', 0.005::float8,
    'SGD linear regression R2 within 0.005 of the exact least-squares R2')
FROM modelmgr.train('diab_sgd', 'diabetes', 'target', ARRAY['x'], 'linear_regression', '{"solver": "sgd"}') s, diabetes;
SELECT cmp_ok(abs(((modelmgr.model_info(model)->'training'->'fit'->>'train_r2')::float8) - 0.5177484222), '<', 1e-9::float8,
    'the default linear regression solver is exact')
FROM modelmgr.train('diab_exact', 'diabetes', 'target', ARRAY['x']);

-- 5. a forced-parallel sgd_epoch pass: Partial Aggregate, accuracy close to serial
CREATE TEMP TABLE sc AS
SELECT array_agg(m ORDER BY j) AS mean, array_agg(s ORDER BY j) AS scale
FROM (SELECT j, avg(x[j]) m, stddev_pop(x[j]) s FROM breast_cancer, generate_series(1, 30) j WHERE id < 455 GROUP BY j) q;
CREATE TEMP TABLE start AS
SELECT modelmgr.sgd_init('logistic_regression', 30, jsonb_build_object('l2', 0.001, 'mean', to_jsonb(mean), 'scale', to_jsonb(scale))) AS m FROM sc;
CREATE FUNCTION pg_temp.epochs(parallel boolean, n int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE m bytea := (SELECT start.m FROM start);
BEGIN
    IF parallel THEN
        SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
        SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_leader_participation = off;
    ELSE
        SET LOCAL max_parallel_workers_per_gather = 0;
    END IF;
    FOR i IN 1..n LOOP
        m := (SELECT modelmgr.sgd_epoch(m, x, target) FROM breast_cancer WHERE id < 455);
    END LOOP;
    RETURN m;
END $$;
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
    SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_leader_participation = off;
    FOR r IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
SELECT matches(pg_temp.plan_text('SELECT modelmgr.sgd_epoch((SELECT m FROM start), x, target) FROM breast_cancer WHERE id < 455'),
    'Partial Aggregate.*\n.*Workers Launched: 2|Workers Launched: 2(.|\n)*Partial Aggregate', 'sgd_epoch runs as a partial aggregate in two workers');
CREATE TEMP TABLE runs AS SELECT pg_temp.epochs(false, 10) AS serial, pg_temp.epochs(true, 10) AS par;
SELECT cmp_ok(abs(avg((modelmgr.predict(serial, x) = target)::int::float8) - avg((modelmgr.predict(par, x) = target)::int::float8)), '<=', 0.02::float8,
    'parallel sgd_epoch accuracy within 0.02 of serial') FROM runs, breast_cancer WHERE id >= 455;

SELECT * FROM finish();
ROLLBACK;
