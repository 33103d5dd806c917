-- Models made by modelmgr 0.1.0 (test/data/fixtures_0.1.0, made by test/scripts/fixtures_010.sql
-- against a build of commit b9df736) decode and predict bit-identically: least squares, ridge,
-- SGD and L-BFGS logistic regression, multinomial with text classes, one-hot with imputation
-- (by row, through the registry), SGD with adam's optimizer state, SVM, a bare linreg_fit model.
BEGIN;
SELECT plan(14);
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE fx (name text, source text, by_row boolean, hex text);
\copy fx FROM 'test/data/fixtures_0.1.0/models.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE fx_expected (name text, id int, kind text, result text);
\copy fx_expected FROM 'test/data/fixtures_0.1.0/predictions.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE fx_models AS SELECT name, source, decode(hex, 'hex') AS model FROM fx;

-- the same rows the fixtures were predicted on
CREATE TEMP TABLE fx_visits AS
SELECT g AS id, 18 + (g * 7) % 50 AS age,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['basic', 'pro', 'team'])[1 + g % 3] END AS plan,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END AS mobile,
       CASE WHEN g % 7 = 0 THEN NULL ELSE round((10 + (g * 37) % 90)::numeric, 1) END AS spend,
       CASE WHEN (g * 37) % 90 + (g * 7) % 50 > 70 THEN 'yes' ELSE 'no' END AS churned
FROM generate_series(1, 120) g;
SELECT is((SELECT (modelmgr.register_model('fx_onehot_impute', model, label => 'churned')).version
           FROM fx_models WHERE name = 'fx_onehot_impute'), 1, 'the one-hot model registers');
SELECT is(modelmgr.deploy('fx_onehot_impute'), 1, 'and deploys');

CREATE TEMP TABLE fx_now (name text, id int, kind text, result text);
INSERT INTO fx_now
SELECT f.name, d.id, 'value', modelmgr.predict(f.model, ARRAY[d.age, d.sex, d.bmi, d.bp, d.s1, d.s2, d.s3, d.s4, d.s5, d.s6]::float8[])::text
FROM fx_models f, diabetes d WHERE f.source = 'diabetes' AND d.id <= 40;
INSERT INTO fx_now
SELECT f.name, b.id, k.kind,
       CASE k.kind WHEN 'value' THEN modelmgr.predict(f.model, x)::text
                   WHEN 'label' THEN modelmgr.predict_label(f.model, x)
                   ELSE modelmgr.predict_proba(f.model, x)::text END
FROM fx_models f, (SELECT id, ARRAY[mean_radius, mean_texture, mean_smoothness, worst_area, worst_concavity]::float8[] AS x
                   FROM breast_cancer WHERE id <= 40) b,
     (VALUES ('value'), ('label'), ('proba')) k(kind)
WHERE f.source = 'breast_cancer' AND NOT (f.name = 'fx_svm' AND k.kind = 'proba');
INSERT INTO fx_now
SELECT f.name, i.id, k.kind,
       CASE k.kind WHEN 'label' THEN modelmgr.predict_label(f.model, x) ELSE modelmgr.predict_proba(f.model, x)::text END
FROM fx_models f, (SELECT id, ARRAY[sepal_length, sepal_width, petal_length, petal_width]::float8[] AS x
                   FROM iris WHERE id <= 40 OR id > 110) i,
     (VALUES ('label'), ('proba')) k(kind)
WHERE f.source = 'iris_named';
INSERT INTO fx_now
SELECT 'fx_onehot_impute', v.id, k.kind,
       CASE k.kind WHEN 'label' THEN modelmgr.predict_label('fx_onehot_impute', v)
                   ELSE modelmgr.predict_proba('fx_onehot_impute', v)::text END
FROM fx_visits v, (VALUES ('label'), ('proba')) k(kind) WHERE v.id <= 60;
INSERT INTO fx_now
SELECT 'fx_onehot_impute', -1, 'proba', modelmgr.predict_proba('fx_onehot_impute', r)::text
FROM (SELECT 30 AS age, 'enterprise'::text AS plan, NULL::boolean AS mobile, NULL::numeric AS spend) r;

SELECT is((SELECT count(*) FROM fx_models WHERE modelmgr.model_info(model) IS NOT NULL), 9::bigint,
          'the nine 0.1.0 models decode');
-- float8 and float8[] print as the shortest text that reads back exactly: equal text is equal bits
SELECT is((SELECT count(*) FROM fx_expected e JOIN fx_now n USING (name, id, kind)
           WHERE n.result IS DISTINCT FROM e.result AND e.name = m), 0::bigint,
          m || ': every prediction is bit-identical')
FROM unnest(ARRAY['fx_linreg', 'fx_ridge', 'fx_linreg_fit', 'fx_sgd_adam', 'fx_logreg_sgd', 'fx_logreg_lbfgs',
                  'fx_svm', 'fx_multinomial_text', 'fx_onehot_impute']) m;
SELECT is((SELECT count(*) FROM fx_now), (SELECT count(*) FROM fx_expected), 'as many predictions as in the fixtures');
SELECT is((SELECT count(*) FROM fx_expected e LEFT JOIN fx_now n USING (name, id, kind) WHERE n.name IS NULL), 0::bigint,
          'every fixture prediction was made again');

SELECT * FROM finish();
ROLLBACK;
