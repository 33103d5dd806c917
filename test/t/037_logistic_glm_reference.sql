-- Unpenalised logistic regression (solver lbfgs, l2 = 0, tol 1e-10) against R's glm(family = binomial)
-- on MASS::Pima.tr: coefficients (1e-7 relative), the Wald standard errors stored at training time in
-- the model's inference section and the "statistics" of its training facts (1e-6 relative).
-- Reference values: test/data/reference_glm.json, written by test/scripts/reference_glm.R (R 4.2).
BEGIN;
SELECT plan(13);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

-- the raw-unit coefficients from model_info: eff_j = c_j / s_j, eff_0 = c_0 - sum_j c_j m_j / s_j
CREATE FUNCTION pg_temp.raw_coef(m bytea) RETURNS float8[] LANGUAGE sql AS $$
    WITH i AS (SELECT modelmgr.model_info(m) AS j),
         c AS (SELECT k, (i.j->'coefficients'->>(k - 1))::float8 / (i.j->'scaler'->'scale'->>(k - 1))::float8 AS e,
                      (i.j->'scaler'->'mean'->>(k - 1))::float8 AS mu
               FROM i, generate_series(1, (i.j->>'n_features')::int) k)
    SELECT ARRAY[(SELECT (j->>'intercept')::float8 FROM i) - (SELECT sum(e * mu) FROM c)] || ARRAY(SELECT e FROM c ORDER BY k)
$$;
-- a little-endian float8 / u32 at byte offset o of a bytea
CREATE FUNCTION pg_temp.u32(b bytea, o int) RETURNS bigint LANGUAGE sql AS $$
    SELECT get_byte(b, o)::bigint + get_byte(b, o + 1) * 256::bigint + get_byte(b, o + 2) * 65536::bigint + get_byte(b, o + 3) * 16777216::bigint
$$;
CREATE FUNCTION pg_temp.f64(b bytea, o int) RETURNS float8 LANGUAGE sql AS $$
    WITH w AS (SELECT pg_temp.u32(b, o) AS lo, pg_temp.u32(b, o + 4) AS hi)
    SELECT CASE WHEN (hi >> 20) & 2047 = 2047 THEN 'NaN'::float8
                ELSE (CASE WHEN hi >> 31 = 1 THEN -1 ELSE 1 END)
                     * ((CASE WHEN (hi >> 20) & 2047 = 0 THEN 0 ELSE 1 END) + ((hi & 1048575)::float8 * 4294967296.0 + lo) / 4503599627370496.0)
                     * power(2::float8, greatest((hi >> 20) & 2047, 1) - 1023) END
    FROM w
$$;
-- the inference section (id 10) of a model bytea: kind, flags, df, then the standard errors
CREATE FUNCTION pg_temp.inference(b bytea) RETURNS TABLE(kind bigint, flags bigint, df float8, se float8[]) LANGUAGE plpgsql AS $$
DECLARE
    o int := 40;
    len bigint;
BEGIN
    FOR s IN 1 .. pg_temp.u32(b, 24) LOOP
        len := pg_temp.u32(b, o + 4);
        IF get_byte(b, o) + 256 * get_byte(b, o + 1) = 10 THEN
            kind := pg_temp.u32(b, o + 8);
            flags := pg_temp.u32(b, o + 12);
            df := pg_temp.f64(b, o + 16);
            se := ARRAY(SELECT pg_temp.f64(b, o + 24 + 8 * i) FROM generate_series(0, (len::int - 16) / 8 - 1) i);
            RETURN NEXT;
            RETURN;
        END IF;
        o := o + 8 + len::int;
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.max_rel(a float8[], b float8[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT max(abs(x / y - 1)) FROM unnest(a, b) t(x, y)
$$;

CREATE TEMP TABLE g AS SELECT * FROM modelmgr.train('pima_glm', 'pima_tr', 'type',
    ARRAY['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'], 'logistic_regression',
    '{"solver": "lbfgs", "l2": 0, "tol": 1e-10}');
CREATE TEMP TABLE ref AS SELECT
    ARRAY[-9.7730615329123314, 0.10318342731910998, 0.0321168228931571, -0.0047675419749906613,
          -0.0019166317469258658, 0.083623912054649779, 1.82041036745234, 0.041183528816391458]::float8[] AS coef,
    ARRAY[1.7703867378727205, 0.06469416646915134, 0.0067873017184594516, 0.018540745626729999,
          0.022499546657441118, 0.042826899078392551, 0.66551400546452721, 0.022090982532479476]::float8[] AS se,
    -89.19533323303456::float8 AS loglik, 194.39066646606912::float8 AS aic, 220.77720539845342::float8 AS bic,
    178.39066646606912::float8 AS deviance, 256.41419115246225::float8 AS null_deviance;

SELECT is(g.training->>'converged', 'true', 'the unpenalised fit converges to tol 1e-10') FROM g;
SELECT cmp_ok(pg_temp.max_rel(pg_temp.raw_coef(g.model), ref.coef), '<', 1e-7::float8,
    'coefficients match R glm(binomial) to 1e-7 relative') FROM g, ref;
SELECT is(i.kind, 2::bigint, 'the inference section holds Wald z statistics (kind 2)') FROM g, pg_temp.inference(g.model) i;
SELECT is(i.flags, 0::bigint, 'l2 = 0: not flagged penalised') FROM g, pg_temp.inference(g.model) i;
SELECT cmp_ok(pg_temp.max_rel(i.se, ref.se), '<', 1e-6::float8,
    'standard errors (raw units, intercept first) match summary(glm) to 1e-6 relative') FROM g, ref, pg_temp.inference(g.model) i;
SELECT cmp_ok(abs((modelmgr.model_info(g.model)->'training'->'statistics'->>'log_likelihood')::float8 / ref.loglik - 1), '<', 1e-6::float8,
    'log_likelihood matches logLik(glm)') FROM g, ref;
SELECT cmp_ok(abs((modelmgr.model_info(g.model)->'training'->'statistics'->>'aic')::float8 / ref.aic - 1), '<', 1e-6::float8,
    'aic matches AIC(glm)') FROM g, ref;
SELECT cmp_ok(abs((modelmgr.model_info(g.model)->'training'->'statistics'->>'bic')::float8 / ref.bic - 1), '<', 1e-6::float8,
    'bic matches BIC(glm)') FROM g, ref;
SELECT cmp_ok(abs((modelmgr.model_info(g.model)->'training'->'statistics'->>'deviance')::float8 / ref.deviance - 1), '<', 1e-6::float8,
    'deviance matches deviance(glm)') FROM g, ref;
SELECT cmp_ok(abs((modelmgr.model_info(g.model)->'training'->'statistics'->>'null_deviance')::float8 / ref.null_deviance - 1), '<', 1e-6::float8,
    'null_deviance matches glm''s null.deviance') FROM g, ref;
SELECT is((SELECT jsonb_build_object('n', s->'n', 'df_model', s->'df_model', 'df_residual', s->'df_residual', 'penalised', s->'penalised',
                                     'sigma', s->'sigma', 'r2', s->'r2')
           FROM (SELECT modelmgr.model_info(g.model)->'training'->'statistics' AS s FROM g) t),
          '{"n": 200, "df_model": 7, "df_residual": 192, "penalised": false, "sigma": null, "r2": null}'::jsonb,
    'n, df_model, df_residual as glm; no sigma or r2 for a logistic model');

-- the default penalty (l2 = 1/n, LogisticRegression(C = 1)): standard errors of the penalised Hessian, flagged
SELECT is(i.flags, 1::bigint, 'a penalised fit flags its standard errors as conditional on the penalty')
FROM modelmgr.train('pima_pen', 'pima_tr', 'type', ARRAY['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'],
                    'logistic_regression', '{"solver": "lbfgs"}') t, pg_temp.inference(t.model) i;
-- standardisation changes the solver's coordinates, not the raw-unit answer
SELECT cmp_ok(pg_temp.max_rel(i.se, ref.se), '<', 1e-6::float8, 'without standardisation the standard errors are the same')
FROM modelmgr.train('pima_raw', 'pima_tr', 'type', ARRAY['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'],
                    'logistic_regression', '{"solver": "lbfgs", "l2": 0, "tol": 1e-10, "standardize": false, "epochs": 5000}') t,
     pg_temp.inference(t.model) i, ref;

SELECT * FROM finish();
ROLLBACK;
