-- Sources are read in a read-only context: train(), evaluate(), monitor() and drift() refuse
-- (25006) a source whose functions write, whatever way they write, and nothing is written:
-- neither the source's writes nor the registry rows the call would have added.
BEGIN;
SET client_min_messages = warning;
SELECT plan(46);

CREATE TABLE ro_pts (a float8, b float8, y float8);
INSERT INTO ro_pts SELECT i, (i * 7) % 5, CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END FROM generate_series(1, 60) i;
CREATE TABLE ro_log (note text);
CREATE SEQUENCE ro_seq;
-- a volatile function with a side effect, as a hostile or careless source would call
CREATE FUNCTION ro_write() RETURNS float8 LANGUAGE plpgsql VOLATILE AS $$
BEGIN INSERT INTO public.ro_log VALUES ('written'); RETURN 0; END $$;
CREATE FUNCTION ro_lo() RETURNS float8 LANGUAGE sql VOLATILE AS $$
    SELECT 0 * pg_catalog.lo_import(pg_catalog.current_setting('data_directory') || '/PG_VERSION')::int::float8 $$;
CREATE VIEW ro_view AS SELECT a, b, y + ro_write() AS y FROM ro_pts;
CREATE FUNCTION ro_unlink() RETURNS float8 LANGUAGE sql VOLATILE AS $$
    SELECT 0 * pg_catalog.lo_unlink((SELECT pg_catalog.min(oid) FROM pg_catalog.pg_largeobject_metadata))::float8 $$;
SELECT lo_create(0) IS NOT NULL AS made_one_lo \gset

-- a model to evaluate, monitor and measure drift against (trained from a clean source)
SELECT lives_ok($$SELECT modelmgr.train('ro_m', 'ro_pts', 'y', ARRAY['a', 'b'], 'logistic_regression', '{"epochs": 5}')$$,
    'a clean source trains');
SELECT lives_ok($$SELECT modelmgr.deploy('ro_m', 1)$$, 'and deploys');
SELECT lives_ok($$SELECT modelmgr.evaluate('ro_m', 'SELECT a, b, y FROM ro_pts')$$, 'a clean query source evaluates');

CREATE TEMP TABLE ro_before AS
SELECT (SELECT count(*) FROM modelmgr.models) AS models, (SELECT count(*) FROM modelmgr.evaluations) AS evals,
       (SELECT count(*) FROM modelmgr.drift_history) AS drifts, (SELECT count(*) FROM modelmgr.alerts) AS alerts,
       (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata) AS los;

CREATE TEMP TABLE ro_sources (what text, src text);
INSERT INTO ro_sources VALUES
    ('an INSERT inside a function', 'SELECT a, b, y + ro_write() AS y FROM ro_pts'),
    ('nextval', 'SELECT a, b, y + 0 * nextval(''ro_seq'') AS y FROM ro_pts'),
    ('lo_import', 'SELECT a, b, y + ro_lo() AS y FROM ro_pts'),
    ('a view whose column writes', 'ro_view'),
    ('lo_unlink', 'SELECT a, b, y + ro_unlink() AS y FROM ro_pts'),
    ('setval', 'SELECT a, b, y + 0 * setval(''ro_seq'', 5) AS y FROM ro_pts');

CREATE FUNCTION pg_temp.ro_call(fn text, src text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    CASE fn
    WHEN 'train' THEN PERFORM modelmgr.train('ro_m', src, 'y', ARRAY['a', 'b'], 'logistic_regression', '{"epochs": 5}');
    WHEN 'train_streaming' THEN PERFORM modelmgr.train('ro_m', src, 'y', ARRAY['a', 'b'], 'logistic_regression',
                                                     '{"epochs": 5, "mode": "streaming", "shuffle": "once"}');
    WHEN 'evaluate' THEN PERFORM modelmgr.evaluate('ro_m', src);
    WHEN 'monitor' THEN PERFORM modelmgr.monitor('ro_m', src);
    WHEN 'drift' THEN PERFORM * FROM modelmgr.drift('ro_m', src);
    END CASE;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

SELECT is(pg_temp.ro_call(f.fn, s.src), '25006', f.fn || '(): a source with ' || s.what || ' is refused (25006)')
FROM (VALUES (1, 'train'), (2, 'train_streaming'), (3, 'evaluate'), (4, 'monitor'), (5, 'drift')) f(k, fn)
CROSS JOIN (SELECT * FROM ro_sources) s ORDER BY f.k, s.what;

SELECT isnt(pg_temp.ro_call('evaluate', 'WITH w AS (INSERT INTO ro_log VALUES (''cte'') RETURNING 0 AS z) SELECT a, b, y FROM ro_pts, w'),
    'no error', 'a data-modifying WITH in a source is refused');
SELECT is((SELECT count(*) FROM ro_log), 0::bigint, 'no source wrote a row');
SELECT is((SELECT last_value FROM ro_seq), 1::bigint, 'nextval never advanced the sequence');
SELECT is((SELECT is_called FROM ro_seq), false, 'and the sequence was never called');
SELECT is((SELECT count(*) FROM pg_catalog.pg_largeobject_metadata), (SELECT los FROM ro_before), 'no large object was imported');
SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT models FROM ro_before), 'no model version was registered');
SELECT is((SELECT count(*) FROM modelmgr.evaluations) + (SELECT count(*) FROM modelmgr.drift_history)
          + (SELECT count(*) FROM modelmgr.alerts),
          (SELECT evals + drifts + alerts FROM ro_before), 'no evaluation, drift or alert row was recorded');

-- the registry writes after the read still work, and the caller's settings come back
SELECT lives_ok($$SELECT modelmgr.train('ro_m', 'SELECT a, b, y FROM ro_pts', 'y', ARRAY['a', 'b'], 'logistic_regression',
                                        '{"epochs": 5, "mode": "streaming", "shuffle": "once"}')$$,
    'a clean query source still trains (streaming, shuffle once: its temporary table is allowed)');
SELECT is(current_setting('transaction_read_only'), 'off', 'transaction_read_only is off again after train()');
SELECT lives_ok($$SELECT modelmgr.monitor('ro_m', 'ro_pts')$$, 'monitor() of a clean source records its rows');
SELECT is(current_setting('transaction_read_only'), 'off', 'and off again after monitor()');
SELECT is(current_setting('search_path'), (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'search_path'),
    'the caller''s search_path is unchanged');
SELECT ok(pg_temp.ro_call('train', 'SELECT a, b, y + ro_write() AS y FROM ro_pts') = '25006'
          AND current_setting('transaction_read_only') = 'off', 'the flag is restored after a refused train()');

SELECT * FROM finish();
ROLLBACK;
