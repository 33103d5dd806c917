-- Prediction by name: follows deploy/rollback, row form == array form, classifiers, parallel plans.
BEGIN;
SELECT plan(31);

SELECT modelmgr.register_model('diab', modelmgr.linreg_fit(x, target), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'])
FROM diabetes;
SELECT modelmgr.register_model('diab', modelmgr.linreg_fit(x, target, '{"l2": 0.1}'), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'])
FROM diabetes;
CREATE TEMP TABLE v AS SELECT version, model FROM modelmgr.models WHERE name = 'diab';
SELECT modelmgr.deploy('diab', 1);

SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('diab', d.x) IS DISTINCT FROM modelmgr.predict((SELECT model FROM v WHERE version = 1), d.x)),
          0::bigint, 'predict(name, x) = predict(deployed bytes, x) on every row');
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('diab', d) IS DISTINCT FROM modelmgr.predict('diab', d.x)),
          0::bigint, 'row form == array form exactly, on every row');
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict_label('diab', d) IS DISTINCT FROM modelmgr.predict_label('diab', d.x)),
          0::bigint, 'predict_label row form == array form');

-- follows deploy and rollback
SELECT modelmgr.deploy('diab', 2);
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('diab', d) IS DISTINCT FROM modelmgr.predict((SELECT model FROM v WHERE version = 2), d.x)),
          0::bigint, 'after deploy(2): version 2''s predictions');
SELECT isnt(modelmgr.predict('diab', ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]),
            modelmgr.predict((SELECT model FROM v WHERE version = 1), ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]),
            'the two versions differ (so the test can tell them apart)');
SELECT modelmgr.rollback('diab');
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('diab', d) IS DISTINCT FROM modelmgr.predict((SELECT model FROM v WHERE version = 1), d.x)),
          0::bigint, 'after rollback: version 1''s predictions again');

-- a deploy inside one function between two calls of the same call site is seen (command id in the cache key)
CREATE FUNCTION pg_temp.flip() RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    out float8[] := '{}';
BEGIN
    FOR i IN 1 .. 4 LOOP
        PERFORM modelmgr.deploy('diab', 1 + i % 2);
        out := out || modelmgr.predict('diab', ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]);
    END LOOP;
    RETURN out;
END $$;
SET LOCAL client_min_messages = warning;
SELECT is(pg_temp.flip(),
          ARRAY[modelmgr.predict((SELECT model FROM v WHERE version = 2), ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]),
                modelmgr.predict((SELECT model FROM v WHERE version = 1), ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]),
                modelmgr.predict((SELECT model FROM v WHERE version = 2), ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[]),
                modelmgr.predict((SELECT model FROM v WHERE version = 1), ARRAY[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1]::float8[])],
          'a loop alternating deploy and predict sees every deploy');
RESET client_min_messages;
SELECT modelmgr.deploy('diab', 1) WHERE modelmgr.deployed_version('diab') <> 1;

-- row form: columns found by name, in any order, with extra columns and other numeric types
SELECT is((SELECT modelmgr.predict('diab', t) FROM (SELECT 'x'::text AS note, s6, s5, s4, s3, s2, s1, bp, bmi, sex, age FROM diabetes WHERE id = 7) t),
          (SELECT modelmgr.predict('diab', d.x) FROM diabetes d WHERE id = 7), 'columns picked by name in any order, extra columns ignored');
SELECT is((SELECT modelmgr.predict('diab', t) FROM (SELECT 1::int2 AS age, 2::int4 AS sex, 3::int8 AS bmi, 4::float4 AS bp, 5.5::numeric AS s1,
                                                          true AS s2, false AS s3, 0::float8 AS s4, 1::float8 AS s5, 2::float8 AS s6) t),
          modelmgr.predict('diab', ARRAY[1, 2, 3, 4, 5.5, 1, 0, 0, 1, 2]::float8[]), 'int2/int4/int8/float4/numeric/bool converted to float8');
CREATE DOMAIN pg_temp.money8 AS float8;
SELECT is((SELECT modelmgr.predict('diab', t) FROM (SELECT 1::pg_temp.money8 AS age, 2 sex, 3 bmi, 4 bp, 5 s1, 6 s2, 7 s3, 8 s4, 9 s5, 10 s6) t),
          modelmgr.predict('diab', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[]), 'a domain over a numeric type is numeric');
CREATE TEMP TABLE diab_copy AS SELECT * FROM diabetes;
ALTER TABLE diab_copy DROP COLUMN sex;
ALTER TABLE diab_copy ADD COLUMN sex float8 NOT NULL DEFAULT 0.05;
SELECT is((SELECT count(*) FROM diab_copy d WHERE modelmgr.predict('diab', d)
                  IS DISTINCT FROM modelmgr.predict('diab', ARRAY[age, 0.05, bmi, bp, s1, s2, s3, s4, s5, s6])),
          0::bigint, 'dropped columns skipped and a column added with a default (missing attribute) read');
SELECT throws_ok($$SELECT modelmgr.predict('diab', ROW(1, 2))$$, '42703', 'row has no column "age"', 'an anonymous ROW() has no feature columns');
SELECT ok(modelmgr.predict('diab', NULL::float8[]) IS NULL, 'NULL features: NULL');
SELECT ok(modelmgr.predict(NULL::text, ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[]) IS NULL, 'NULL name: NULL');

-- several names in one statement, one call site
SELECT modelmgr.register_model('diab_b', (SELECT model FROM v WHERE version = 2), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'], auto_deploy => true);
SELECT is((SELECT count(*) FROM (SELECT n, d.x FROM diabetes d, (VALUES ('diab'), ('diab_b')) names(n)) s
           WHERE modelmgr.predict(n, x) IS DISTINCT FROM modelmgr.predict((SELECT model FROM v WHERE version = CASE n WHEN 'diab' THEN 1 ELSE 2 END), x)),
          0::bigint, 'alternating names at one call site');

-- classifiers (hand-built models, see test/scripts/make_test_models.py): text labels, probabilities, multinomial
SELECT modelmgr.register_model('clf', '\x4d4d444c010002000100000002000000010000000200000003000000000000007f00000057e8ce940100000018000000000000000000e03f000000000000f03f00000000000000c0030000001d000000000000000000f87f020000006e6f000000000000f87f03000000796573040000000a00000001000000610100000062'::bytea, auto_deploy => true);
SELECT modelmgr.register_model('multi', '\x4d4d444c01000300000000000200000003000000030000000300000000000000b9000000405962ec01000000480000009a9999999999b93f000000000000f03f00000000000000009a9999999999c93f0000000000000000000000000000f03f333333333333d3bf000000000000f0bf000000000000f0bf030000002700000000000000000000000100000030000000000000f03f010000003100000000000000400100000032040000000a00000001000000610100000062'::bytea, auto_deploy => true);
SELECT is((SELECT features FROM modelmgr.models WHERE name = 'clf'), ARRAY['a', 'b'], 'feature names taken from the model bytes');
SELECT is((SELECT classes FROM modelmgr.models WHERE name = 'clf'), ARRAY['no', 'yes'], 'classes taken from the model bytes');
SELECT is(modelmgr.predict_label('clf', ARRAY[1, 0.2]::float8[]), 'yes', 'predict_label by name');
SELECT is(modelmgr.predict_label('clf', ARRAY[0, 1]::float8[]), 'no', 'predict_label by name, other class');
SELECT is(modelmgr.predict_proba('clf', ARRAY[1, 0.2]::float8[]), modelmgr.predict_proba('\x4d4d444c010002000100000002000000010000000200000003000000000000007f00000057e8ce940100000018000000000000000000e03f000000000000f03f00000000000000c0030000001d000000000000000000f87f020000006e6f000000000000f87f03000000796573040000000a00000001000000610100000062'::bytea, ARRAY[1, 0.2]::float8[]), 'predict_proba by name');
SELECT is((SELECT modelmgr.predict_label('clf', t) FROM (SELECT 0.2 AS b, 1 AS a) t), 'yes', 'predict_label row form');
SELECT is((SELECT modelmgr.predict_proba('clf', t) FROM (SELECT 0.2 AS b, 1 AS a) t), modelmgr.predict_proba('clf', ARRAY[1, 0.2]::float8[]), 'predict_proba row form');
SELECT throws_ok($$SELECT modelmgr.predict('clf', ARRAY[1, 0.2]::float8[])$$, '42804', NULL, 'predict() of a text-label classifier: use predict_label');
SELECT is(modelmgr.predict('multi', ARRAY[0, 3]::float8[]), 1::float8, 'multinomial predict: numeric class');
SELECT is((SELECT modelmgr.predict('multi', t) FROM (SELECT 3 AS b, 0 AS a) t), 1::float8, 'multinomial row form');
SELECT results_eq($$SELECT class, feature, weight FROM modelmgr.weights('multi') WHERE class = '2'$$,
                  $$VALUES ('2', '(intercept)', -0.3::float8), ('2', 'a', -1), ('2', 'b', -1)$$, 'weights per class (multinomial)');
SELECT results_eq($$SELECT class, feature, weight FROM modelmgr.weights('clf')$$,
                  $$VALUES ('yes', '(intercept)', 0.5::float8), ('yes', 'a', 1), ('yes', 'b', -2)$$, 'weights of a binary classifier: the positive class');
SELECT throws_ok($$SELECT modelmgr.predict_proba('diab', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[])$$, '42809', NULL, 'predict_proba of a regression');

-- forced parallel plan: workers resolve the name too, same answers
CREATE FUNCTION pg_temp.plan_has(q text, what text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN ' || q LOOP
        IF l LIKE '%' || what || '%' THEN RETURN true; END IF;
    END LOOP;
    RETURN false;
END $$;
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_leader_participation = off;
SELECT ok(pg_temp.plan_has($$SELECT sum(modelmgr.predict('diab', d)) FROM diabetes d$$, 'Partial Aggregate'), 'parallel plan');
SELECT is((SELECT sum(modelmgr.predict('diab', d)) FROM diabetes d)::numeric(20, 6),
          (SELECT sum(modelmgr.predict((SELECT model FROM v WHERE version = 1), d.x)) FROM diabetes d)::numeric(20, 6),
          'parallel: same predictions');
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('diab', d) IS DISTINCT FROM modelmgr.predict('diab', d.x)),
          0::bigint, 'parallel: row form == array form');

SELECT * FROM finish();
ROLLBACK;
