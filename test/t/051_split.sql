-- split(): realised test share, pinned key -> assignment pairs (from an independent Python
-- implementation of the hash in test/scripts/reference_stats.py), and its properties.
BEGIN;
SELECT plan(18);

CREATE TEMP TABLE keys AS SELECT k FROM generate_series(1, 100000) k;

SELECT cmp_ok((SELECT abs(avg((modelmgr.split(k, f) = 'test')::int) - f::numeric) FROM keys), '<=', 0.005::numeric,
    format('test share over 100000 keys within 0.005 of %s', f))
FROM unnest(ARRAY[0.05, 0.2, 0.3, 0.5, 0.8]::float8[]) f;
SELECT cmp_ok((SELECT abs(avg(modelmgr.split_is_test(k, 0.25, 12345)::int) - 0.25) FROM keys), '<=', 0.005::numeric,
    'test share within 0.005 of 0.25 with seed 12345');
SELECT cmp_ok((SELECT abs(avg(modelmgr.split_is_test('user-' || k, 0.1)::int) - 0.1) FROM keys), '<=', 0.005::numeric,
    'test share within 0.005 of 0.1 for text keys');
SELECT is((SELECT count(*) FROM keys WHERE modelmgr.split_is_test(k, 0)), 0::bigint, 'test_fraction 0: no test rows');
SELECT is((SELECT count(*) FROM keys WHERE modelmgr.split(k, 1) = 'train'), 0::bigint, 'test_fraction 1: no train rows');

-- pinned: a change of hash, seed handling or key encoding breaks these
CREATE TEMP TABLE pinned (key text, seed int, want text);
INSERT INTO pinned
VALUES ('1', 0, 'test'),
       ('2', 0, 'train'),
       ('3', 0, 'train'),
       ('4', 0, 'train'),
       ('5', 0, 'train'),
       ('6', 0, 'train'),
       ('7', 0, 'train'),
       ('8', 0, 'test'),
       ('9', 0, 'test'),
       ('10', 0, 'test'),
       ('12345', 0, 'train'),
       ('-7', 0, 'test'),
       ('1000000', 0, 'train'),
       ('alice', 0, 'train'),
       ('bob', 0, 'test'),
       ('', 0, 'train'),
       ('1', 42, 'train'),
       ('1', -1, 'test'),
       ('2', 42, 'train'),
       ('héllo', 7, 'test');
SELECT is((SELECT array_agg(key || '/' || seed ORDER BY key, seed) FROM pinned WHERE modelmgr.split(key, 0.3, seed) <> want),
    NULL, 'text keys: pinned assignments at test_fraction 0.3');
SELECT is((SELECT array_agg(key || '/' || seed ORDER BY key, seed) FROM pinned
        WHERE key ~ '^-?[0-9]+$' AND modelmgr.split(key::int, 0.3, seed) <> want),
    NULL, 'int keys hash their text form: same pinned assignments');
SELECT is((SELECT array_agg(key ORDER BY key) FROM pinned
        WHERE key ~ '^-?[0-9]+$' AND seed = 0 AND modelmgr.split(key::bigint, 0.3) <> want),
    NULL, 'bigint keys and the default seed 0: same pinned assignments');
SELECT is(modelmgr.split(1, 0.04402499460212762), 'test', 'boundary: key 1 (unit value 0.04402499460212761) is test just above it');
SELECT is(modelmgr.split(1, 0.04402499460212761), 'train', 'boundary: and train at exactly its unit value');

-- properties
SELECT is((SELECT count(*) FROM keys WHERE modelmgr.split_is_test(k, 0.2) AND NOT modelmgr.split_is_test(k, 0.3)), 0::bigint,
    'test sets are nested: test at 0.2 implies test at 0.3');
SELECT cmp_ok((SELECT avg((modelmgr.split_is_test(k, 0.5, 1) = modelmgr.split_is_test(k, 0.5, 2))::int) FROM keys),
    '<', 0.52::numeric, 'different seeds give (nearly) independent splits');
SELECT is((SELECT count(*) FROM keys WHERE modelmgr.split_is_test(k, 0.37, 9) <> (modelmgr.split(k, 0.37, 9) = 'test')),
    0::bigint, 'split_is_test agrees with split');
SELECT is((SELECT array_agg(DISTINCT provolatile::text || proparallel::text || proisstrict::text) FROM pg_proc
        WHERE pronamespace = 'modelmgr'::regnamespace AND proname IN ('split', 'split_is_test')),
    ARRAY['istrue'], 'split and split_is_test are IMMUTABLE, PARALLEL SAFE and STRICT');

SELECT * FROM finish();
ROLLBACK;
