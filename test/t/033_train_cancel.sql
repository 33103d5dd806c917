-- Cancelling a long train() run (statement_timeout): the cancel arrives within seconds in both
-- the in-memory and the streaming epoch loops, nothing is registered, the backend stays usable.
--
-- pgTAP's throws_ok catches WHEN OTHERS, which in PL/pgSQL never includes query_canceled
-- (57014), so a cancel would abort the whole test. run_cancelled() below catches it by name and
-- records the SQLSTATE and the elapsed time; the assertions then check those.
BEGIN;
SELECT plan(18);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

-- 200k rows x 8 features: with tol 0 and n_iter_no_change 100000, 100000 epochs would take
-- hours (about 0.06 s an epoch in memory, 0.4 s streaming; checked at the end)
CREATE TABLE te_long AS
SELECT i AS id, sin(i) AS f1, cos(i) AS f2, sin(2 * i) AS f3, cos(3 * i) AS f4, (i % 97) / 97.0 AS f5,
       (i % 13) / 13.0 AS f6, sin(i * 0.5) AS f7, cos(i * 0.25) AS f8, (sin(i) + cos(3 * i) > 0)::int AS y
FROM generate_series(1, 200000) i;

CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM modelmgr.models) AS models, (SELECT count(*) FROM modelmgr.model_names) AS names,
       current_setting('max_parallel_workers_per_gather') AS workers, pg_backend_pid() AS pid;
CREATE TEMP TABLE runs (mode text PRIMARY KEY, state text, message text, seconds float8);

CREATE FUNCTION pg_temp.run_cancelled(run_mode text, sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    BEGIN
        EXECUTE sql;
        INSERT INTO runs VALUES (run_mode, 'none', 'finished', extract(epoch FROM clock_timestamp() - t0));
    EXCEPTION WHEN query_canceled OR others THEN
        INSERT INTO runs VALUES (run_mode, SQLSTATE, SQLERRM, extract(epoch FROM clock_timestamp() - t0));
    END;
END $$;

SET LOCAL statement_timeout = '2s';
SELECT pg_temp.run_cancelled('memory', $$SELECT modelmgr.train('te_long', 'te_long', 'y',
    ARRAY['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'], 'logistic_regression',
    '{"epochs": 100000, "tol": 0, "n_iter_no_change": 100000, "mode": "memory"}')$$);
SELECT pg_temp.run_cancelled('streaming', $$SELECT modelmgr.train('te_long', 'te_long', 'y',
    ARRAY['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'], 'logistic_regression',
    '{"epochs": 100000, "tol": 0, "n_iter_no_change": 100000, "mode": "streaming"}')$$);
SET LOCAL statement_timeout = 0;

SELECT is((SELECT state FROM runs WHERE mode = 'memory'), '57014', 'mode memory: the run is cancelled (57014)');
SELECT is((SELECT message FROM runs WHERE mode = 'memory'), 'canceling statement due to statement timeout',
    'mode memory: by the statement timeout');
-- generous bounds: the timeout is 2 s; the lower bound shows the run was under way, not refused
SELECT ok((SELECT seconds BETWEEN 1.0 AND 10.0 FROM runs WHERE mode = 'memory'),
    'mode memory: the cancel arrives within seconds of the timeout');
SELECT is((SELECT state FROM runs WHERE mode = 'streaming'), '57014', 'mode streaming: the run is cancelled (57014)');
SELECT is((SELECT message FROM runs WHERE mode = 'streaming'), 'canceling statement due to statement timeout',
    'mode streaming: by the statement timeout');
SELECT ok((SELECT seconds BETWEEN 1.0 AND 10.0 FROM runs WHERE mode = 'streaming'),
    'mode streaming: the cancel arrives within seconds of the timeout');

SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT models FROM before), 'no version was registered');
SELECT is((SELECT count(*) FROM modelmgr.model_names), (SELECT names FROM before), 'no model name was registered');
SELECT is((SELECT count(*) FROM modelmgr.models WHERE name = 'te_long'), 0::bigint, 'the registry has no te_long row');
SELECT is(pg_backend_pid(), (SELECT pid FROM before), 'the same backend is alive');
SELECT is(current_setting('max_parallel_workers_per_gather'), (SELECT workers FROM before),
    'max_parallel_workers_per_gather is restored after the cancel');
SELECT is((SELECT count(*) FROM pg_backend_memory_contexts WHERE name IN ('train rows', 'train epoch', 'SPI Proc')),
    0::bigint, 'the training memory contexts and SPI connection are gone');
SELECT is((SELECT count(*) FROM pg_cursors), 0::bigint, 'no cursor is left open');

-- the backend trains normally afterwards, in both modes; and the cancelled runs were long ones
CREATE TEMP TABLE after AS
SELECT 'memory' AS mode, modelmgr.train('te_long', 'te_long', 'y', ARRAY['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'],
    'logistic_regression', '{"epochs": 3, "tol": 0, "n_iter_no_change": 100000, "mode": "memory"}') AS r
UNION ALL
SELECT 'streaming', modelmgr.train('te_long', 'te_long', 'y', ARRAY['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'],
    'logistic_regression', '{"epochs": 2, "tol": 0, "n_iter_no_change": 100000, "mode": "streaming"}');
SELECT is((SELECT (r).training->'rows'->>'train' FROM after WHERE mode = 'memory'), '200000',
    'after the cancel, train() runs to the end in memory');
SELECT is((SELECT (r).training->'rows'->>'train' FROM after WHERE mode = 'streaming'), '200000',
    'after the cancel, train() runs to the end streaming');
SELECT is((SELECT array_agg((r).version ORDER BY (r).version) FROM after), ARRAY[1, 2],
    'and registers versions 1 and 2 (the cancelled runs used no version number)');
SELECT ok((SELECT ((r).training->>'seconds')::float8 / ((r).training->>'epochs')::float8 * 100000 > 60 FROM after WHERE mode = 'memory'),
    'mode memory: the cancelled run would have taken well over 60 s');
SELECT ok((SELECT ((r).training->>'seconds')::float8 / ((r).training->>'epochs')::float8 * 100000 > 60 FROM after WHERE mode = 'streaming'),
    'mode streaming: the cancelled run would have taken well over 60 s');

SELECT * FROM finish();
ROLLBACK;
