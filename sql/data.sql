-- Data management: describe, corr_matrix, their partial/merge forms, and split().
SET extra_float_digits = 0;
SET search_path = modelmgr, public;

CREATE TABLE pts (id int, x float8[]);
INSERT INTO pts VALUES
    (1, '{1, 10, 5}'),
    (2, '{2, 20, 5}'),
    (3, '{3, 30, 5}'),
    (4, '{4, NULL, 5}'),
    (5, NULL);

-- describe: per-feature statistics as jsonb; NULL elements and NULL arrays are counted as nulls
SELECT jsonb_pretty(describe(x, ARRAY['a', 'b', 'c'])) FROM pts;

-- the same, one row per feature
SELECT f->>'name' AS name, f->>'count' AS count, f->>'nulls' AS nulls, f->>'mean' AS mean,
       f->>'std' AS std, f->>'std_sample' AS std_sample, f->>'min' AS min, f->>'p50' AS median, f->>'max' AS max
FROM (SELECT describe(x, ARRAY['a', 'b', 'c']) AS d FROM pts) s, jsonb_array_elements(d->'features') f;

-- quartiles are exact (numpy's 'linear') while the input has at most 16384 distinct rows
SELECT d->'features'->0->>'p25' AS p25, d->'features'->0->>'p50' AS p50, d->'features'->0->>'p75' AS p75
FROM (SELECT describe(ARRAY[i]::float8[]) AS d FROM generate_series(1, 100) i) s;

-- over zero rows: NULL; over NULL arrays only: rows but no features
SELECT describe(x) FROM pts WHERE false;
SELECT describe(x) FROM pts WHERE x IS NULL;

-- corr_matrix: a d x d array; the constant third feature's row and column are NULL
SELECT corr_matrix(x) FROM pts WHERE id <= 3;
SELECT corr_matrix(ARRAY[i, i * i, -i]::float8[]) FROM generate_series(1, 5) i;
-- NULL arrays are skipped, NULL elements are an error
SELECT corr_matrix(x) FROM pts WHERE id <> 4;
SELECT corr_matrix(x) FROM pts;

-- partial states (bytea) merge into the same result, e.g. one per node or partition
SELECT describe_merge(p) = (SELECT describe(x) FROM pts) AS same
FROM (SELECT describe_partial(x) AS p FROM pts GROUP BY id % 2) s;
SELECT corr_matrix_merge(p) FROM (SELECT corr_matrix_partial(x) AS p FROM pts WHERE id <= 3 GROUP BY id % 2) s;
SELECT corr_matrix_merge(p) FROM (SELECT describe_partial(x) AS p FROM pts) s;
SELECT describe_merge('\x0102'::bytea);

-- split: a stable train/test assignment from the key's text form and a seed
SELECT id, split(id, 0.3) AS split, split_is_test(id, 0.3) AS is_test, split('user-' || id, 0.5, 7) AS seeded
FROM generate_series(1, 8) id;
SELECT split('alice'::text, 0.3), split('alice'::text, 0.3, 1);
SELECT count(*) FILTER (WHERE split(k, 0.2) = 'test') AS test_rows FROM generate_series(1, 10000) k;

-- errors
SELECT describe(x) FROM (VALUES ('{1, NaN}'::float8[])) t(x);
SELECT describe(x) FROM (VALUES ('{1, 2}'::float8[]), ('{1, 2, 3}')) t(x);
SELECT split(1, 1.5);

DROP TABLE pts;
