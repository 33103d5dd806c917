-- Reference coding (treatment contrasts) of text and boolean features against R
-- (test/data/factors.csv and reference_factors.json, from test/scripts/reference_factors.R):
-- lm(y ~ x + factor(g) + b), with another reference level, without an intercept, and
-- glm(high ~ x + factor(g) + b, binomial); predictions by row; full one-hot where it is kept;
-- the option's errors; and a model with full one-hot coding from before reference levels.
BEGIN;
SELECT plan(47);
SET LOCAL modelmgr.progress_every = 0;
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8 LANGUAGE sql AS $$ SELECT abs(a / b - 1) $$;
-- coefficient of a named feature ('(intercept)' for the intercept) of a single-output model
CREATE FUNCTION pg_temp.coef(m bytea, f text) RETURNS float8 LANGUAGE sql AS $$
    SELECT CASE WHEN f = '(intercept)' THEN (modelmgr.model_info(m)->>'intercept')::float8
           ELSE (SELECT (modelmgr.model_info(m)->'coefficients'->>(o - 1)::int)::float8
                 FROM jsonb_array_elements_text(modelmgr.model_info(m)->'features') WITH ORDINALITY e(n, o) WHERE n = f) END
$$;

-- 1. lm(y ~ x + factor(g) + b): the first level of g (east) and b = false are the references
CREATE TEMP TABLE lm AS SELECT * FROM modelmgr.train('rc_lm', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression');
SELECT is(features, ARRAY['x', 'g=north', 'g=south', 'g=west', 'b=true'],
    'the features are the kept levels (R: x, factor(g)north, factor(g)south, factor(g)west, bTRUE)') FROM lm;
SELECT is(modelmgr.model_info(model)->'features', '["x", "g=north", "g=south", "g=west", "b=true"]'::jsonb,
    'the model''s own feature names list the kept levels') FROM lm;
SELECT cmp_ok(pg_temp.rel(pg_temp.coef(model, r.f), r.v), '<', 1e-9::float8, 'lm: ' || r.f || ' matches R to 1e-9')
FROM lm, (VALUES ('(intercept)', 4.7713238894458954::float8), ('x', 0.78640120871905383), ('g=north', -1.7589834107953504),
                 ('g=south', -3.9324293996626958), ('g=west', -0.77018811249639563), ('b=true', -0.93021006336904355)) r(f, v);
SELECT is(modelmgr.deploy('rc_lm'), (SELECT version FROM lm), 'deployed');

-- 2. predictions by row: R's fitted values for every row, the reference rows included
SELECT is((SELECT count(*) FROM factors f WHERE pg_temp.rel(modelmgr.predict('rc_lm', f), f.r_fitted) >= 1e-9), 0::bigint,
    'predict(name, row) equals R''s fitted values to 1e-9 on all 60 rows');
SELECT cmp_ok((SELECT count(*) FROM factors WHERE g = 'east' AND NOT b), '>', 0::bigint, 'some rows are at both reference levels');
SELECT is((SELECT count(*) FROM factors f, lm WHERE f.g = 'east' AND NOT f.b
           AND modelmgr.predict('rc_lm', f) IS DISTINCT FROM modelmgr.predict(lm.model, ARRAY[f.x, 0, 0, 0, 0]::float8[])), 0::bigint,
    'a row at the reference levels reads as all zeros in both blocks');
SELECT is((SELECT count(*) FROM factors f, lm
           WHERE modelmgr.predict('rc_lm', f) IS DISTINCT FROM modelmgr.predict(lm.model,
                 ARRAY[f.x, (f.g = 'north')::int, (f.g = 'south')::int, (f.g = 'west')::int, f.b::int]::float8[])), 0::bigint,
    'every row reads as its dummy-coded vector');
-- NULL and unseen categories: all zeros in the block, as for the reference level
SELECT is((SELECT modelmgr.predict('rc_lm', r) FROM (SELECT 8.5::float8 AS x, NULL::text AS g, NULL::boolean AS b) r),
    (SELECT modelmgr.predict(model, ARRAY[8.5, 0, 0, 0, 0]::float8[]) FROM lm), 'NULL categories read as all zeros');
SELECT is((SELECT modelmgr.predict('rc_lm', r) FROM (SELECT 8.5::float8 AS x, 'central'::text AS g, true AS b) r),
    (SELECT modelmgr.predict(model, ARRAY[8.5, 0, 0, 0, 1]::float8[]) FROM lm), 'an unseen category reads as all zeros');
SELECT is((SELECT array_agg(feature ORDER BY feature) FROM modelmgr.weights('rc_lm')),
    ARRAY['(intercept)', 'b=true', 'g=north', 'g=south', 'g=west', 'x'], 'weights() lists the intercept and the kept levels');
-- drift reads the source with the same coding (one PSI per kept feature)
SELECT is((SELECT array_agg(feature ORDER BY feature) FROM modelmgr.drift('rc_lm', 'factors')),
    ARRAY['b=true', 'g=north', 'g=south', 'g=west', 'x'], 'drift() computes the features of the model''s coding');

-- 3. another reference level: R's relevel(factor(g), ref = "south")
CREATE TEMP TABLE lm_south AS SELECT * FROM modelmgr.train('rc_south', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": {"g": "south"}}');
SELECT is(features, ARRAY['x', 'g=east', 'g=north', 'g=west', 'b=true'], 'reference_levels: south is dropped') FROM lm_south;
SELECT cmp_ok(pg_temp.rel(pg_temp.coef(model, r.f), r.v), '<', 1e-9::float8, 'reference south: ' || r.f || ' matches R to 1e-9')
FROM lm_south, (VALUES ('(intercept)', 0.83889448978320347::float8), ('g=east', 3.9324293996626949), ('g=north', 2.1734459888673445),
                       ('g=west', 3.1622412871662999), ('b=true', -0.93021006336904333)) r(f, v);
SELECT is((SELECT features FROM modelmgr.train('rc_btrue', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
           '{"reference_levels": {"b": true}}')), ARRAY['x', 'g=north', 'g=south', 'g=west', 'b=false'],
    'a boolean''s reference may be given as a JSON boolean');

-- 4. no intercept: R's lm(y ~ 0 + x + factor(g) + b) keeps every level of the first factor only
CREATE TEMP TABLE lm0 AS SELECT * FROM modelmgr.train('rc_noint', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"fit_intercept": false}');
SELECT is(features, ARRAY['x', 'g=east', 'g=north', 'g=south', 'g=west', 'b=true'],
    'no intercept: the first category column keeps every level, the next drops its reference') FROM lm0;
SELECT cmp_ok(pg_temp.rel(pg_temp.coef(model, 'g=east'), 4.7713238894458989) + pg_temp.rel(pg_temp.coef(model, 'g=west'), 4.0011357769495044)
              + pg_temp.rel(pg_temp.coef(model, 'b=true'), -0.93021006336904355), '<', 1e-9::float8,
    'no intercept: g=east, g=west and b=true match R to 1e-9') FROM lm0;

-- 5. penalised fits keep full one-hot
SELECT is((SELECT features FROM modelmgr.train('rc_ridge', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression', '{"l2": 0.5}')),
    ARRAY['x', 'g=east', 'g=north', 'g=south', 'g=west', 'b=false', 'b=true'], 'ridge (l2 > 0) keeps every level');
SELECT is((SELECT features FROM modelmgr.train('rc_sgd', 'factors', 'high', ARRAY['x', 'g', 'b'], 'logistic_regression', '{"epochs": 5}')),
    ARRAY['x', 'g=east', 'g=north', 'g=south', 'g=west', 'b=false', 'b=true'], 'logistic sgd (default l2 1e-4) keeps every level');

-- 6. an unpenalised logistic fit with an intercept: glm(high ~ x + factor(g) + b, binomial)
CREATE TEMP TABLE glm AS SELECT * FROM modelmgr.train('rc_glm', 'factors', 'high', ARRAY['x', 'g', 'b'], 'logistic_regression',
    '{"solver": "lbfgs", "l2": 0, "standardize": false, "tol": 1e-10, "epochs": 2000}');
SELECT is(features, ARRAY['x', 'g=north', 'g=south', 'g=west', 'b=true'], 'unpenalised logistic regression drops the references') FROM glm;
SELECT cmp_ok(pg_temp.rel(pg_temp.coef(model, r.f), r.v), '<', 1e-3::float8, 'glm: ' || r.f || ' matches R to 1e-3 (L-BFGS stops at its tolerances)')
FROM glm, (VALUES ('(intercept)', -4.1926876005704834::float8), ('x', 0.61755812067266769), ('g=north', -0.40939162478990965),
                  ('g=south', -3.4797666235534672), ('g=west', -0.79590729529435145), ('b=true', -1.0931022554778342)) r(f, v);

-- 7. the option's errors
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": {"h": "a"}}')$$, '22023', 'option "reference_levels" names column "h", which is not a text or boolean feature',
    'an unknown column is an error naming it');
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": {"x": "1"}}')$$, '22023', 'option "reference_levels" names column "x", which is not a text or boolean feature',
    'a numeric column has no levels');
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": {"g": "central"}}')$$, '22023', 'option "reference_levels": column "g" has no level "central"',
    'an unknown level is an error naming it');
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": {"g": "south"}, "l2": 1}')$$, '22023', 'option "reference_levels" needs an unpenalised fit',
    'a penalised fit has no reference level to name');
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'factors', 'y', ARRAY['x', 'g', 'b'], 'linear_regression',
    '{"reference_levels": ["g"]}')$$, '22023', 'option "reference_levels" must be an object of column: level',
    'the option is an object');
SELECT throws_ok($$SELECT modelmgr.train('rc_err', 'SELECT x, y, ''one''::text AS k FROM factors', 'y', ARRAY['x', 'k'],
    'linear_regression')$$, '22000', 'feature column "k" has a single level, ''one''', 'a single-level column under reference coding');

-- 8. a collinear design names the generated columns, not columns the user never wrote
SELECT throws_matching($$SELECT modelmgr.train('rc_err', 'SELECT x, y, g, g AS g2 FROM factors', 'y', ARRAY['x', 'g', 'g2'],
    'linear_regression')$$, 'rank deficient', 'two copies of a category column are collinear');
CREATE FUNCTION pg_temp.hint_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN data_exception THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SELECT matches(pg_temp.hint_of($$SELECT modelmgr.train('rc_err', 'SELECT x, y, g, g AS g2 FROM factors', 'y', ARRAY['x', 'g', 'g2'],
    'linear_regression')$$), 'one-hot.*"g".*"g2"|"g", "g2"', 'the hint names the category columns whose levels are collinear');
SELECT matches(pg_temp.hint_of($$SELECT modelmgr.train('rc_err', 'SELECT x, y, g, g AS g2 FROM factors', 'y', ARRAY['x', 'g', 'g2'],
    'linear_regression', '{"mode": "streaming"}')$$), '"g", "g2"', 'streaming: the same hint');

-- 9. a model with full one-hot coding from before reference levels decodes and predicts as it did
SELECT lives_ok($$SELECT modelmgr.register_model('rc_v1', decode(hex, 'hex'), 'factors', 'y', NULL, '{}', '{}', '{}', true)
                  FROM factors_v1_model$$, 'the old model registers');
SELECT is(modelmgr.model_info((SELECT decode(hex, 'hex') FROM factors_v1_model))->'features',
    '["x", "g=east", "g=north", "g=south", "g=west", "b=false", "b=true"]'::jsonb, 'the old model keeps every level');
SELECT is((SELECT count(*) FROM factors_v1 v
           WHERE modelmgr.predict('rc_v1', (SELECT r FROM (SELECT v.x, v.g, v.b) r)) IS DISTINCT FROM v.prediction), 0::bigint,
    'its predictions by row are bit-identical to the old build''s (63 rows, NULL and unseen categories included)');

SELECT * FROM finish();
ROLLBACK;
