-- Sources named like SQL keywords' prefixes (withdrawals, selected, tablet, values_2024) are
-- tables, not queries: a query is recognised by its syntax, never by its first letters.
BEGIN;
SELECT plan(22);
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE src_rows AS
SELECT g::float8 AS x1, ((g * 37) % 11)::float8 AS x2, (2 * g + 3 * ((g * 37) % 11) + 1 + ((g * 7) % 5) * 0.1)::float8 AS y
FROM generate_series(1, 60) g;
CREATE TABLE public.withdrawals AS SELECT * FROM src_rows;
CREATE TABLE public.selected AS SELECT * FROM src_rows;
CREATE TABLE public.tablet AS SELECT * FROM src_rows;
CREATE TABLE public.values_2024 AS SELECT * FROM src_rows;
CREATE TABLE public."with" AS SELECT * FROM src_rows;

SELECT lives_ok(format($$SELECT modelmgr.train(%L, %L, 'y', ARRAY['x1', 'x2'], 'linear_regression')$$, 'src_' || t, t),
                'train from table ' || t)
FROM unnest(ARRAY['withdrawals', 'selected', 'tablet', 'values_2024']) t;
SELECT lives_ok($$SELECT modelmgr.train('src_with', '"with"', 'y', ARRAY['x1', 'x2'], 'linear_regression')$$,
                'train from a quoted table named "with"');

SELECT is(count(modelmgr.deploy('src_' || t)), 4::bigint, 'the four models deploy')
FROM unnest(ARRAY['withdrawals', 'selected', 'tablet', 'values_2024']) t;

SELECT is((modelmgr.evaluate('src_' || t, t)->>'rows')::int, 60, 'evaluate on table ' || t)
FROM unnest(ARRAY['withdrawals', 'selected', 'tablet', 'values_2024']) t;
SELECT is((SELECT count(*) FROM modelmgr.drift('src_' || t, t)), 2::bigint, 'drift on table ' || t)
FROM unnest(ARRAY['withdrawals', 'selected', 'tablet', 'values_2024']) t;
SELECT ok(modelmgr.monitor('src_' || t, t) ? 'drift', 'monitor on table ' || t)
FROM unnest(ARRAY['withdrawals', 'selected', 'tablet', 'values_2024']) t;

-- queries are still queries, whatever their case, spacing or parentheses
SELECT is((modelmgr.evaluate('src_selected', E'\n  select * from public.selected where x1 <= 30')->>'rows')::int, 30,
          'a lower-case query after white space');
SELECT is((modelmgr.evaluate('src_selected', '(SELECT * FROM public.tablet)')->>'rows')::int, 60,
          'a parenthesised query');
SELECT is((modelmgr.evaluate('src_selected', 'TABLE public.withdrawals')->>'rows')::int, 60,
          'a TABLE command');
-- a name that is no table says so
SELECT throws_ok($$SELECT modelmgr.evaluate('src_selected', 'selections')$$, '42P01', NULL,
                 'an unknown name is an unknown table');

SELECT * FROM finish();
ROLLBACK;
