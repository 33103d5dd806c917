-- Every aggregate of the extension can be split across processes and nodes: a concrete
-- (non-internal) state, a combine function, PARALLEL SAFE support functions. Citus pushes an
-- aggregate down to its workers only under these conditions; PostgreSQL plans it in parallel.
BEGIN;
SELECT plan(9);

CREATE TEMP VIEW mm_aggs AS
SELECT a.*, p.oid::regprocedure AS agg, p.proparallel
FROM pg_aggregate a
JOIN pg_proc p ON p.oid = a.aggfnoid
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'modelmgr';

SELECT cmp_ok((SELECT count(*) FROM mm_aggs), '>=', 100::bigint,
    'the catalog query finds the extension''s aggregates');
SELECT ok((SELECT count(*) FROM mm_aggs WHERE agg::text ~ '_merge\(bytea\)$') >= 20
          AND (SELECT count(*) FROM mm_aggs WHERE agg::text ~ '_partial\(') >= 40,
    'the _partial and _merge forms are among them');

SELECT is_empty($$SELECT agg::text FROM mm_aggs WHERE aggtranstype = 'internal'::regtype$$,
    'no aggregate has an internal state');
SELECT is_empty($$SELECT agg::text FROM mm_aggs WHERE aggtranstype <> 'bytea'::regtype$$,
    'every state is bytea');
SELECT is_empty($$SELECT agg::text FROM mm_aggs WHERE aggcombinefn = 0$$,
    'every aggregate has a combine function');
SELECT is_empty($$SELECT agg::text FROM mm_aggs WHERE proparallel <> 's'$$,
    'every aggregate is PARALLEL SAFE');
SELECT is_empty($$
    SELECT agg::text || ': ' || f::regproc::text FROM mm_aggs,
           unnest(ARRAY[aggtransfn, aggcombinefn, aggfinalfn]) f
    JOIN pg_proc p ON p.oid = f
    WHERE f <> 0 AND p.proparallel <> 's'$$,
    'every transition, combine and final function is PARALLEL SAFE');
SELECT is_empty($$
    SELECT agg::text FROM mm_aggs JOIN pg_proc c ON c.oid = aggcombinefn
    WHERE c.proisstrict OR c.pronargs <> 2 OR c.proargtypes[0] <> 'bytea'::regtype
       OR c.proargtypes[1] <> 'bytea'::regtype OR c.prorettype <> 'bytea'::regtype$$,
    'every combine function takes (bytea, bytea), returns bytea and accepts NULL on either side');
SELECT is_empty($$SELECT agg::text FROM mm_aggs WHERE aggserialfn <> 0 OR aggdeserialfn <> 0 OR aggkind <> 'n'$$,
    'plain aggregates, no serialize/deserialize functions needed');

SELECT * FROM finish();
ROLLBACK;
