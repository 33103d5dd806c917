-- train_r2 follows R's summary(lm())$r.squared: centred (1 - RSS / sum((y - mean y)^2)) with an
-- intercept, uncentred (1 - RSS / sum(y^2)) without one. References: test/scripts/reference_r2.R
-- (R 4.2) on test/data/longley.csv.
BEGIN;
SELECT plan(4);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

CREATE TEMP TABLE r2 AS
SELECT (modelmgr.model_info(modelmgr.linreg_fit(ARRAY[gnp, unemployed, armed_forces, population]::float8[], employed::float8,
            '{"fit_intercept": false}'))->'training'->>'train_r2')::float8 AS no_intercept,
       (modelmgr.model_info(modelmgr.linreg_fit(ARRAY[gnp, unemployed, armed_forces, population]::float8[], employed::float8))
            ->'training'->>'train_r2')::float8 AS with_intercept
FROM longley;

SELECT ok(abs(no_intercept / 0.9999201789739286 - 1) < 1e-9,
          format('linreg_fit without intercept: uncentred R² %s (R 0.9999201789739286)', no_intercept)) FROM r2;
SELECT ok(abs(with_intercept / 0.98720819290574802 - 1) < 1e-9,
          format('linreg_fit with intercept: centred R² %s (R 0.98720819290574802)', with_intercept)) FROM r2;
CREATE TEMP TABLE r2_train AS
SELECT * FROM modelmgr.train('r2_noint', 'longley', 'employed', ARRAY['gnp', 'unemployed', 'armed_forces', 'population'],
                             'linear_regression', '{"fit_intercept": false}');
SELECT ok(abs((modelmgr.model_info(model)->'training'->'fit'->>'train_r2')::float8 / 0.9999201789739286 - 1) < 1e-9,
          format('train() without intercept: uncentred R² %s', modelmgr.model_info(model)->'training'->'fit'->>'train_r2'))
FROM r2_train;
SELECT ok(abs((modelmgr.model_info(modelmgr.model('r2_noint', 1))->'training'->'fit'->>'train_r2')::float8
              / 0.9999201789739286 - 1) < 1e-9, 'the registered version says the same');
SELECT * FROM finish();
ROLLBACK;
