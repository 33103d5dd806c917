-- linreg_fit against scikit-learn on diabetes (values from test/scripts/reference_linreg.py).
BEGIN;
SELECT plan(9);

CREATE FUNCTION pg_temp.coefs(m bytea) RETURNS float8[] LANGUAGE sql AS $$
    SELECT ARRAY[(modelmgr.model_info(m)->>'intercept')::float8]
        || ARRAY(SELECT jsonb_array_elements_text(modelmgr.model_info(m)->'coefficients')::float8)
$$;
CREATE FUNCTION pg_temp.max_rel_err(a float8[], b float8[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT CASE WHEN cardinality(a) = cardinality(b)
                THEN (SELECT max(abs(x - y) / abs(y)) FROM unnest(a, b) AS t(x, y)) END
$$;

CREATE TEMP TABLE fits AS
SELECT modelmgr.linreg_fit(x, target) AS ols,
       modelmgr.linreg_fit(x, target, jsonb_build_object('l2', 1.0 / 442)) AS ridge
FROM diabetes;

SELECT cmp_ok(pg_temp.max_rel_err(pg_temp.coefs(ols),
    ARRAY[152.13348416289597, -10.009866299810684, -239.81564367242237, 519.84592005446, 324.38464550232356,
          -792.1756385522286, 476.7390210052569, 101.04326793803338, 177.06323767134643, 751.2736995571034,
          67.62669218370515]), '<', 1e-9::float8,
    'linreg_fit matches LinearRegression intercept and coefficients to 1e-9 relative') FROM fits;

SELECT cmp_ok(pg_temp.max_rel_err(pg_temp.coefs(ridge),
    ARRAY[152.133484162896, 29.466111893476867, -83.15427636187542, 306.35268015068607, 201.62773437326962,
          5.909614367497142, -29.515495079689575, -152.04028006186405, 117.31173160030154, 262.944290014313,
          111.87895643952395]), '<', 1e-9::float8,
    'linreg_fit with l2 = alpha/n matches Ridge(alpha=1) to 1e-9 relative') FROM fits;

SELECT cmp_ok(abs((modelmgr.model_info(ols)->'training'->>'train_r2')::float8 - 0.5177484222), '<', 1e-9::float8,
    'training R2 recorded in the model matches scikit-learn') FROM fits;

SELECT cmp_ok((SELECT max(abs(modelmgr.predict(f.ols, d.x) - (
            (modelmgr.model_info(f.ols)->>'intercept')::float8 +
            (SELECT sum(c::float8 * v) FROM unnest(ARRAY(SELECT jsonb_array_elements_text(modelmgr.model_info(f.ols)->'coefficients')), d.x) AS t(c, v)))))
        FROM diabetes d), '<', 1e-9::float8,
    'predict() equals intercept + w.x') FROM fits f;

SELECT is(modelmgr.linreg_fit(x, target), NULL, 'zero rows give NULL') FROM diabetes WHERE false;

-- the same fit from the named columns, and without an intercept
SELECT cmp_ok(pg_temp.max_rel_err(
    pg_temp.coefs((SELECT modelmgr.linreg_fit(ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6], target) FROM diabetes)),
    pg_temp.coefs(ols)), '<', 1e-12::float8, 'array built from columns gives the same model') FROM fits;

SELECT is((modelmgr.model_info(modelmgr.linreg_fit(x, y, '{"fit_intercept": false}'))->>'intercept')::float8, 0::float8,
    'fit_intercept false gives a zero intercept')
FROM (VALUES (ARRAY[1.0, 2.0]::float8[], 5.0::float8), (ARRAY[2.0, 1.0], 4.0), (ARRAY[3.0, 3.0], 9.0)) v(x, y);

-- features on wildly different scales: centring + scaling keep the exact answer
SELECT cmp_ok(pg_temp.max_rel_err(pg_temp.coefs(modelmgr.linreg_fit(x, y)), ARRAY[3.0, 2e-6, 5e6, -7.0]), '<', 1e-8::float8,
    'exact recovery with features scaled 1e6 and 1e-6')
FROM (SELECT ARRAY[i * 1e6 + (i % 7), sin(i) * 1e-6, (i % 5) + cos(i)]::float8[] AS x,
             3.0 + 2e-6 * (i * 1e6 + (i % 7)) + 5e6 * sin(i) * 1e-6 - 7.0 * ((i % 5) + cos(i)) AS y
      FROM generate_series(1, 200) i) s;

-- real[] and integer[] features are coerced to float8[]
SELECT is(modelmgr.predict(ols, ARRAY[0.5, -0.25, 1, 0, 2, 0, 0, 0, 0, 0]::real[]),
          modelmgr.predict(ols, ARRAY[0.5, -0.25, 1, 0, 2, 0, 0, 0, 0, 0]::float8[]), 'real[] features work like float8[]')
FROM fits;

SELECT * FROM finish();
ROLLBACK;
