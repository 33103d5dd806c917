-- linreg_fit, predict and model_info on a small exact data set: y = 1 + 2 x1 - 3 x2
SET extra_float_digits = 0;
CREATE TABLE lr (x float8[], y float8);
INSERT INTO lr SELECT ARRAY[i, (i * i) % 7], 1 + 2 * i - 3 * ((i * i) % 7) FROM generate_series(1, 30) i;

-- model_info: digits past the 9th depend on the BLAS kernel of the machine, so round them
SELECT i->>'algorithm' AS algorithm, i->>'n_features' AS n_features, i->>'size_bytes' AS size_bytes,
       round((i->>'intercept')::numeric, 9) AS intercept,
       ARRAY(SELECT round(c::numeric, 9) FROM jsonb_array_elements_text(i->'coefficients') c) AS coefficients,
       i->'training'->>'solver' AS solver, i->'training'->>'n_rows' AS n_rows,
       round((i->'training'->>'train_r2')::numeric, 9) AS train_r2
FROM (SELECT modelmgr.model_info(modelmgr.linreg_fit(x, y)) AS i FROM lr) s;
SELECT round(modelmgr.predict(m, ARRAY[10.0, 2.0])::numeric, 9) AS prediction
FROM (SELECT modelmgr.linreg_fit(x, y) AS m FROM lr) s;
SELECT round(modelmgr.predict_label(m, ARRAY[1.0, 0.0])::numeric, 6) AS as_text FROM (SELECT modelmgr.linreg_fit(x, y) AS m FROM lr) s;

-- ridge shrinks the weights
SELECT round((modelmgr.model_info(modelmgr.linreg_fit(x, y, '{"l2": 1}'))->'coefficients'->>0)::numeric, 6) AS ridge_w1 FROM lr;

-- zero rows: NULL
SELECT modelmgr.linreg_fit(x, y) IS NULL AS is_null FROM lr WHERE false;

-- per group
SELECT g, round((modelmgr.model_info(modelmgr.linreg_fit(x, y))->>'intercept')::numeric, 9) AS intercept
FROM (SELECT x, y, (x[1]::int % 2) AS g FROM lr) s GROUP BY g ORDER BY g;

-- errors
SELECT modelmgr.linreg_fit(x, y) FROM (VALUES (ARRAY[1.0, 2.0]::float8[], 1.0::float8), (ARRAY[1.0], 2.0)) v(x, y);
SELECT modelmgr.predict('\x1234'::bytea, ARRAY[1.0]);
SELECT modelmgr.predict_proba(modelmgr.linreg_fit(x, y), ARRAY[1.0, 2.0]) FROM lr;
DROP TABLE lr;
