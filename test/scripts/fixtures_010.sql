-- fixtures_010.sql: models made by modelmgr 0.1.0 (commit b9df736) and their predictions, so that
-- later versions can show that they decode and predict them bit-identically
-- (test/t/067_fixtures_010.sql). Run by test/scripts/make_fixtures_010.sh against a 0.1.0 build,
-- after test/scripts/load_data.sql; writes test/data/fixtures_0.1.0/{models,predictions}.csv.
SET client_min_messages = warning;
SET modelmgr.progress_every = 0;
SET extra_float_digits = 3;

CREATE TEMP VIEW iris_named AS
SELECT id, sepal_length, sepal_width, petal_length, petal_width,
       (ARRAY['setosa', 'versicolor', 'virginica'])[target + 1] AS species
FROM iris;
-- text and boolean categories, NULLs for the imputation
CREATE TABLE fx_visits AS
SELECT g AS id, 18 + (g * 7) % 50 AS age,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['basic', 'pro', 'team'])[1 + g % 3] END AS plan,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END AS mobile,
       CASE WHEN g % 7 = 0 THEN NULL ELSE round((10 + (g * 37) % 90)::numeric, 1) END AS spend,
       CASE WHEN (g * 37) % 90 + (g * 7) % 50 > 70 THEN 'yes' ELSE 'no' END AS churned
FROM generate_series(1, 120) g;

CREATE TEMP TABLE fx (name text, source text, model bytea, by_row boolean);
INSERT INTO fx SELECT 'fx_linreg', 'diabetes', model, false FROM modelmgr.train('fx_linreg', 'diabetes', 'target',
    ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'], 'linear_regression');
INSERT INTO fx SELECT 'fx_ridge', 'diabetes', model, false FROM modelmgr.train('fx_ridge', 'diabetes', 'target',
    ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'], 'linear_regression', '{"l2": 0.1}');
INSERT INTO fx SELECT 'fx_logreg_sgd', 'breast_cancer', model, false FROM modelmgr.train('fx_logreg_sgd', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'logistic_regression',
    '{"seed": 42, "epochs": 20}');
INSERT INTO fx SELECT 'fx_logreg_lbfgs', 'breast_cancer', model, false FROM modelmgr.train('fx_logreg_lbfgs', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'logistic_regression',
    '{"solver": "lbfgs", "l2": 0.001}');
INSERT INTO fx SELECT 'fx_multinomial_text', 'iris_named', model, false FROM modelmgr.train('fx_multinomial_text', 'iris_named', 'species',
    ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], 'logistic_regression', '{"solver": "lbfgs"}');
INSERT INTO fx SELECT 'fx_onehot_impute', 'fx_visits', model, true FROM modelmgr.train('fx_onehot_impute', 'fx_visits', 'churned',
    ARRAY['age', 'plan', 'mobile', 'spend'], 'logistic_regression', '{"impute": "median", "seed": 7, "epochs": 10}');
INSERT INTO fx SELECT 'fx_sgd_adam', 'diabetes', model, false FROM modelmgr.train('fx_sgd_adam', 'diabetes', 'target',
    ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'], 'linear_regression',
    '{"solver": "sgd", "learning_rate": "adam", "eta0": 0.05, "seed": 3, "epochs": 5}');
INSERT INTO fx SELECT 'fx_svm', 'breast_cancer', model, false FROM modelmgr.train('fx_svm', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'svm', '{"seed": 5, "epochs": 8}');
INSERT INTO fx SELECT 'fx_linreg_fit', 'diabetes',
    modelmgr.linreg_fit(ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]::float8[], target::float8), false FROM diabetes;

\copy (SELECT name, source, by_row, encode(model, 'hex') FROM fx ORDER BY name) TO 'test/data/fixtures_0.1.0/models.csv' WITH (FORMAT csv, HEADER true)

-- predictions: the first 40 rows of each model's source, by feature array and (for models with
-- raw-row preprocessing) by row through the registry
CREATE TEMP TABLE preds (name text, id int, kind text, result text);
INSERT INTO preds
SELECT f.name, d.id, 'value', modelmgr.predict(f.model, ARRAY[d.age, d.sex, d.bmi, d.bp, d.s1, d.s2, d.s3, d.s4, d.s5, d.s6]::float8[])::text
FROM fx f, diabetes d WHERE f.source = 'diabetes' AND d.id <= 40;
INSERT INTO preds
SELECT f.name, b.id, k.kind,
       CASE k.kind WHEN 'value' THEN modelmgr.predict(f.model, x)::text
                   WHEN 'label' THEN modelmgr.predict_label(f.model, x)
                   ELSE modelmgr.predict_proba(f.model, x)::text END
FROM fx f, (SELECT id, ARRAY[mean_radius, mean_texture, mean_smoothness, worst_area, worst_concavity]::float8[] AS x
            FROM breast_cancer WHERE id <= 40) b,
     (VALUES ('value'), ('label'), ('proba')) k(kind)
WHERE f.source = 'breast_cancer' AND NOT (f.name = 'fx_svm' AND k.kind = 'proba');
INSERT INTO preds
SELECT f.name, i.id, k.kind,
       CASE k.kind WHEN 'label' THEN modelmgr.predict_label(f.model, x) ELSE modelmgr.predict_proba(f.model, x)::text END
FROM fx f, (SELECT id, ARRAY[sepal_length, sepal_width, petal_length, petal_width]::float8[] AS x FROM iris WHERE id <= 40 OR id > 110) i,
     (VALUES ('label'), ('proba')) k(kind)
WHERE f.source = 'iris_named';
SELECT modelmgr.deploy('fx_onehot_impute');
INSERT INTO preds
SELECT 'fx_onehot_impute', v.id, k.kind,
       CASE k.kind WHEN 'label' THEN modelmgr.predict_label('fx_onehot_impute', v)
                   ELSE modelmgr.predict_proba('fx_onehot_impute', v)::text END
FROM fx_visits v, (VALUES ('label'), ('proba')) k(kind) WHERE v.id <= 60;
-- an unseen category and all-NULL inputs
INSERT INTO preds
SELECT 'fx_onehot_impute', -1, 'proba', modelmgr.predict_proba('fx_onehot_impute', r)::text
FROM (SELECT 30 AS age, 'enterprise'::text AS plan, NULL::boolean AS mobile, NULL::numeric AS spend) r;
\copy (SELECT name, id, kind, result FROM preds ORDER BY name, id, kind) TO 'test/data/fixtures_0.1.0/predictions.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE fx_visits;
