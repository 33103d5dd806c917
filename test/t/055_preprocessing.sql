-- Preprocessing learned by train() and replayed from raw rows: one-hot categories, imputation,
-- standardisation.
BEGIN;
SELECT plan(17);
SET LOCAL modelmgr.progress_every = 0;
SET LOCAL client_min_messages = warning;

-- 3. text, boolean and NULL-bearing numeric features, text label, no manual preparation
CREATE TABLE mixed AS
SELECT id,
       CASE WHEN id % 17 = 0 THEN NULL ELSE mean_radius END AS radius,
       CASE WHEN id % 13 = 0 THEN NULL ELSE mean_texture END AS texture,
       CASE WHEN worst_area < 500 THEN 'small' WHEN worst_area < 1000 THEN 'medium' ELSE 'large' END AS area_bucket,
       worst_concave_points > 0.1 AS concave,
       CASE target WHEN 1 THEN 'benign' ELSE 'malignant' END AS diagnosis
FROM breast_cancer;
UPDATE mixed SET area_bucket = NULL WHERE id % 29 = 0;
UPDATE mixed SET area_bucket = 'huge' WHERE id = 560;      -- unseen at prediction time (training is id < 455)

CREATE TEMP TABLE mx AS SELECT * FROM modelmgr.train('mixed', 'SELECT * FROM mixed WHERE id < 455', 'diagnosis',
    ARRAY['radius', 'texture', 'area_bucket', 'concave'], 'auto', '{"impute": "mean", "seed": 5}');
SELECT is(features, ARRAY['radius', 'texture', 'area_bucket=large', 'area_bucket=medium', 'area_bucket=small',
                          'concave=false', 'concave=true'], 'categories become named one-hot features') FROM mx;
SELECT is(classes, ARRAY['benign', 'malignant'], 'text classes in byte order') FROM mx;
SELECT is(modelmgr.deploy('mixed'), (SELECT version FROM mx), 'deployed');

CREATE TEMP TABLE fills AS SELECT avg(radius) AS r, avg(texture) AS t FROM mixed WHERE id < 455;
CREATE TEMP TABLE both_ways AS
SELECT m.id,
       modelmgr.predict_label('mixed', m) AS from_row,
       modelmgr.predict_label(mx.model, ARRAY[coalesce(m.radius, f.r), coalesce(m.texture, f.t),
            coalesce(m.area_bucket = 'large', false)::int, coalesce(m.area_bucket = 'medium', false)::int,
            coalesce(m.area_bucket = 'small', false)::int,
            (NOT m.concave)::int, m.concave::int]::float8[]) AS from_array
FROM mixed m, mx, fills f;
SELECT is((SELECT count(*) FROM both_ways WHERE from_row IS DISTINCT FROM coalesce(from_array, '?')
           AND from_array IS NOT NULL), 0::bigint, 'raw rows and manually prepared arrays give the same labels');
SELECT is((SELECT count(*) FROM both_ways), 569::bigint, 'every row predicted, NULL and unseen categories included');
SELECT is((SELECT from_row FROM both_ways WHERE id = 29), (SELECT modelmgr.predict_label(mx.model,
            ARRAY[coalesce(m.radius, f.r), coalesce(m.texture, f.t), 0, 0, 0, (NOT m.concave)::int, m.concave::int]::float8[])
           FROM mixed m, mx, fills f WHERE m.id = 29), 'a NULL category is all zeros');
SELECT is((SELECT from_row FROM both_ways WHERE id = 560), (SELECT modelmgr.predict_label(mx.model,
            ARRAY[coalesce(m.radius, f.r), coalesce(m.texture, f.t), 0, 0, 0, (NOT m.concave)::int, m.concave::int]::float8[])
           FROM mixed m, mx, fills f WHERE m.id = 560), 'an unseen category is all zeros');

-- 4. breast_cancer with one column bucketised to text and 5% of values blanked (fixed seed)
DO $$
DECLARE cols text;
BEGIN
    SELECT string_agg(format('CASE WHEN modelmgr.split_is_test(id * 100 + %s, 0.05, 11) THEN NULL ELSE %I END AS %I', ord, c, c), ', ')
    INTO cols
    FROM unnest(ARRAY['mean_texture', 'mean_perimeter', 'mean_area', 'mean_smoothness', 'mean_compactness', 'mean_concavity',
                      'mean_concave_points', 'mean_symmetry', 'mean_fractal_dimension', 'radius_error', 'texture_error',
                      'perimeter_error', 'area_error', 'smoothness_error', 'compactness_error', 'concavity_error',
                      'concave_points_error', 'symmetry_error', 'fractal_dimension_error', 'worst_radius', 'worst_texture',
                      'worst_perimeter', 'worst_area', 'worst_smoothness', 'worst_compactness', 'worst_concavity',
                      'worst_concave_points', 'worst_symmetry', 'worst_fractal_dimension']) WITH ORDINALITY AS u(c, ord);
    EXECUTE format('CREATE TABLE bc_dirty AS SELECT id, target, CASE WHEN mean_radius < 12 THEN ''small'' WHEN mean_radius < 16 '
                   'THEN ''medium'' ELSE ''large'' END AS radius_bucket, %s FROM breast_cancer', cols);
END $$;
SELECT cmp_ok((SELECT count(*) FILTER (WHERE worst_area IS NULL)::float8 / count(*) FROM bc_dirty), '>', 0.02::float8,
    'values were blanked');
CREATE TEMP TABLE dirty AS SELECT * FROM modelmgr.train('dirty', 'SELECT * FROM bc_dirty WHERE id < 455', 'target', NULL,
    'logistic_regression', '{"impute": "median", "seed": 2}');
SELECT ok(features @> ARRAY['radius_bucket=large', 'radius_bucket=medium', 'radius_bucket=small', 'worst_area']
          AND NOT 'target' = ANY (features), 'features chosen automatically: text column one-hot, label left out') FROM dirty;
SELECT is(cardinality(features), 1 + 3 + 29, 'id, three buckets and 29 numeric columns') FROM dirty;
SELECT is(modelmgr.deploy('dirty'), (SELECT version FROM dirty), 'deployed the dirty-data model');
SELECT cmp_ok((SELECT avg((modelmgr.predict('dirty', b) = b.target)::int::float8) FROM bc_dirty b WHERE b.id >= 455), '>=', 0.93::float8,
    'trained on text buckets and 5% NULLs as they are: test accuracy >= 0.93');

-- 5. bad input
CREATE TABLE bad AS SELECT i AS id, (i % 2 = 0) AS y, now()::date AS day, i::float8 AS v, 7.0::float8 AS constant,
    NULL::float8 AS empty, (ARRAY['a', 'b', 'c'])[1 + i % 3] AS three
FROM generate_series(1, 40) i;
SELECT throws_ok($$SELECT modelmgr.train('bad', 'bad', 'y', ARRAY['v', 'day'])$$, '42804', NULL, 'a date column is not a feature');
SELECT throws_ok($$SELECT modelmgr.train('bad', 'bad', 'y', ARRAY['v', 'three'], 'auto', '{"max_categories": 2}')$$, '54000',
    'feature column "three" has more than 2 categories', 'too many categories');
SELECT throws_ok($$SELECT modelmgr.train('bad', 'bad', 'y', ARRAY['v', 'empty'], 'auto', '{"impute": "mean"}')$$, '22000',
    'feature column "empty" has only NULL values', 'an all-NULL column');
SELECT is((SELECT (modelmgr.model_info(model)->'scaler'->'scale'->>1)::float8 FROM modelmgr.train('bad', 'bad', 'y', ARRAY['v', 'constant'])),
    1::float8, 'a constant column gets scale 1 (no division by zero)');
SELECT throws_ok($$SELECT modelmgr.train('bad', 'SELECT *, CASE WHEN id = 3 THEN NULL ELSE v END AS w FROM bad', 'y', ARRAY['w'])$$,
    '22004', 'feature "w" is NULL in a training row', 'impute error on a NULL names the feature');

SELECT * FROM finish();
ROLLBACK;
