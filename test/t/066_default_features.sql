-- features => NULL takes every usable column except the label and a table's keys: primary-key,
-- identity and serial columns are identifiers, not features (a NOTICE names them).
BEGIN;
SELECT plan(5);
SET LOCAL client_min_messages = warning;

CREATE TABLE public.df_keys (
    id serial PRIMARY KEY,
    ident bigint GENERATED ALWAYS AS IDENTITY,
    seq_no bigserial,
    x1 float8,
    x2 float8,
    y float8
);
INSERT INTO public.df_keys (x1, x2, y)
SELECT g, (g * 37) % 11, 2 * g + 3 * ((g * 37) % 11) + ((g * 7) % 5) * 0.1 FROM generate_series(1, 50) g;
CREATE TABLE public.df_compound (a int, b int, x1 float8, y float8, PRIMARY KEY (a, b));
INSERT INTO public.df_compound SELECT g, g % 3, g, 3 * g + (g % 4) FROM generate_series(1, 40) g;

SELECT is((SELECT features FROM modelmgr.train('df_k', 'df_keys', 'y', NULL, 'linear_regression')),
          ARRAY['x1', 'x2'], 'serial primary key, identity and bigserial columns are left out');
SELECT is((SELECT features FROM modelmgr.train('df_c', 'df_compound', 'y', NULL, 'linear_regression')),
          ARRAY['x1'], 'every column of a compound primary key is left out');
-- named explicitly, a key column is a feature like any other
SELECT is((SELECT features FROM modelmgr.train('df_e', 'df_keys', 'y', ARRAY['id', 'x2'], 'linear_regression')),
          ARRAY['id', 'x2'], 'a key column named in features is used');
-- a query source has no keys: its columns are all candidates
SELECT is((SELECT features FROM modelmgr.train('df_q', 'SELECT id, x2, y FROM public.df_keys', 'y', NULL, 'linear_regression')),
          ARRAY['id', 'x2'], 'a query''s columns are all used');

SELECT is((SELECT count(*) FROM modelmgr.models WHERE name IN ('df_k', 'df_c', 'df_e', 'df_q')), 4::bigint,
          'four versions registered');
SELECT * FROM finish();
ROLLBACK;
