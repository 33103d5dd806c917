-- bench.sql: the benchmark's deterministic synthetic data set (used by test/scripts/bench.sh).
-- psql variables: tab (table name), rows, features.
-- Columns: id int, x float8[features] (uniform in [-1, 1)), y float8 (regression target:
-- x . w + uniform noise), label float8 (0/1, drawn from the logistic model with logit x . w, so
-- it is noisy), score float8 (the true logit x . w, a ranking score for roc_auc) and pred float8
-- (score > 0, a hard prediction for accuracy / confusion_matrix). w_j = ((37 j) mod 11 - 5) / 5.
-- setseed() makes random() reproducible; the plan is serial (random() is parallel restricted),
-- so the same rows come out on every run.
SET client_min_messages = warning;
DROP TABLE IF EXISTS :tab;
SELECT setseed(0.42);
CREATE TABLE :tab AS
SELECT i AS id, x,
       d + 0.5 * (random() * 2 - 1) AS y,
       (random() < 1 / (1 + exp(-d)))::int::float8 AS label,
       d AS score,
       (d > 0)::int::float8 AS pred
FROM (SELECT i, x,
             (SELECT sum(v * (((37 * j) % 11) - 5)::float8 / 5) FROM unnest(x) WITH ORDINALITY AS u(v, j)) AS d
      FROM (SELECT i, ARRAY(SELECT random() * 2 - 1 FROM generate_series(1, :features) WHERE i > 0) AS x
            FROM generate_series(1, :rows) AS i) AS a) AS b;
ALTER TABLE :tab ADD PRIMARY KEY (id);
