-- Registry errors: unknown names and versions, bad registrations, bad imports (nothing written), bad rows.
BEGIN;
SELECT plan(45);

SELECT modelmgr.register_model('m', modelmgr.linreg_fit(x, target), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'])
FROM diabetes;
SELECT modelmgr.register_model('m', modelmgr.linreg_fit(x, target, '{"l2": 1}')) FROM diabetes;

-- unknown model / version / nothing deployed
SELECT throws_ok($$SELECT modelmgr.predict('nope', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[])$$, '42704', 'model "nope" does not exist', 'predict: unknown model');
SELECT throws_ok($$SELECT modelmgr.predict('m', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[])$$, '42704', 'model "m" has no deployed version', 'predict: nothing deployed');
SELECT throws_ok($$SELECT modelmgr.predict_label('nope', ARRAY[1]::float8[])$$, '42704', NULL, 'predict_label: unknown model');
SELECT throws_ok($$SELECT modelmgr.predict_proba('nope', ARRAY[1]::float8[])$$, '42704', NULL, 'predict_proba: unknown model');
SELECT throws_ok($$SELECT modelmgr.predict('nope', d) FROM diabetes d$$, '42704', NULL, 'predict row form: unknown model');
SELECT throws_ok($$SELECT modelmgr.deploy('nope')$$, '42704', 'model "nope" does not exist', 'deploy: unknown model');
SELECT throws_ok($$SELECT modelmgr.deploy('m', 9)$$, '42704', 'model "m" has no version 9', 'deploy: unknown version');
SELECT throws_ok($$SELECT modelmgr.deploy('m', 'fastest')$$, '22023', 'unknown deployment strategy "fastest"', 'deploy: unknown strategy');
SELECT throws_ok($$SELECT modelmgr.deploy('m', 'best_score')$$, '55000', 'no version of model "m" has a score', 'best_score without scores');
SELECT throws_ok($$SELECT modelmgr.rollback('m')$$, '55000', 'model "m" has never been deployed', 'rollback: never deployed');
SELECT throws_ok($$SELECT modelmgr.rollback('nope')$$, '42704', NULL, 'rollback: unknown model');
SELECT throws_ok($$SELECT modelmgr.drop_model('m', 9)$$, '42704', 'model "m" has no version 9', 'drop: unknown version');
SELECT throws_ok($$SELECT modelmgr.drop_model('nope')$$, '42704', NULL, 'drop: unknown model');
SELECT throws_ok($$SELECT modelmgr.model('m')$$, '42704', 'model "m" has no deployed version', 'model(): nothing deployed');
SELECT throws_ok($$SELECT modelmgr.model('m', 3)$$, '42704', NULL, 'model(): unknown version');
SELECT throws_ok($$SELECT * FROM modelmgr.weights('nope')$$, '42704', NULL, 'weights: unknown model');
SELECT throws_ok($$SELECT modelmgr.export_model('m', 7)$$, '42704', NULL, 'export: unknown version');

-- a dropped version cannot be deployed
SELECT modelmgr.drop_model('m', 2);
SELECT throws_ok($$SELECT modelmgr.deploy('m', 2)$$, '42704', 'model "m" has no version 2', 'deploy of a dropped version');
SELECT modelmgr.deploy('m');

-- bad registrations write nothing
CREATE TEMP TABLE n0 AS SELECT count(*) AS n FROM modelmgr.models;
SELECT throws_ok($$SELECT modelmgr.register_model('m', '\x00010203'::bytea)$$, 'XX001', NULL, 'register: not a model');
SELECT throws_ok($$SELECT modelmgr.register_model('m', substring(modelmgr.model('m') from 1 for 60))$$, 'XX001', NULL, 'register: truncated model');
SELECT throws_ok($$SELECT modelmgr.register_model(NULL, modelmgr.model('m'))$$, '22004', NULL, 'register: NULL name');
SELECT throws_ok($$SELECT modelmgr.register_model('m', NULL)$$, '22004', NULL, 'register: NULL model');
SELECT throws_ok($$SELECT modelmgr.register_model('', modelmgr.model('m'))$$, '22023', NULL, 'register: empty name');
SELECT throws_ok($$SELECT modelmgr.register_model('m', modelmgr.model('m'), features => ARRAY['a', 'b'])$$, '22023',
                 'features has 2 names, but the model has 10 features', 'register: wrong number of feature names');
SELECT throws_ok($$SELECT modelmgr.register_model('m', modelmgr.model('m'), features => ARRAY['a','a','b','c','d','e','f','g','h','i'])$$,
                 '22023', NULL, 'register: duplicate feature names');
SELECT throws_ok($$SELECT modelmgr.register_model('m', modelmgr.model('m'), metrics => '{"score": "high"}')$$, '22023', NULL, 'register: non-numeric score');
SELECT throws_ok($$SELECT modelmgr.register_model('m', modelmgr.model('m'), options => '[1]')$$, '22023', NULL, 'register: options not an object');
SELECT throws_ok($$SELECT modelmgr.register_model('c', '\x4d4d444c010002000100000002000000010000000200000003000000000000007f00000057e8ce940100000018000000000000000000e03f000000000000f03f00000000000000c0030000001d000000000000000000f87f020000006e6f000000000000f87f03000000796573040000000a00000001000000610100000062'::bytea, features => ARRAY['b', 'a'])$$, '22023', NULL,
                 'register: features contradicting the model''s own names');
SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT n FROM n0), 'no row written by failed registrations');

-- a version is immutable
SELECT throws_ok($$UPDATE modelmgr.models SET model = '\x00' WHERE name = 'm'$$, '55000', 'model versions are immutable', 'model bytes cannot be updated');
SELECT lives_ok($$UPDATE modelmgr.models SET metrics = '{"score": 1}' WHERE name = 'm'$$, 'metrics can be amended');
SELECT throws_ok($$INSERT INTO modelmgr.deployments (name, version, action, strategy) VALUES ('m', 2, 'deploy', 'version')$$, '23503', NULL,
                 'the history cannot name a version that does not exist');

-- import: malformed, truncated or tampered documents write nothing
CREATE TEMP TABLE doc AS SELECT modelmgr.export_model('m') AS d;
SELECT throws_ok($$SELECT modelmgr.import_model('imp', '[1, 2]')$$, '22000', 'not a modelmgr export document', 'import: not an object');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', d - 'format') FROM doc$$, '22000', NULL, 'import: no format');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(d, '{format_version}', '2')) FROM doc$$, '0A000', 'unsupported export format version 2', 'import: future format version');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', d - 'model_sha256') FROM doc$$, '22000', NULL, 'import: no checksum');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(d, '{model_base64}', to_jsonb(left(d->>'model_base64', 101)))) FROM doc$$,
                 'XX001', NULL, 'import: truncated base64 (not a multiple of 4)');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(d, '{model_base64}', to_jsonb(left(d->>'model_base64', 100)))) FROM doc$$,
                 'XX001', NULL, 'import: truncated model');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(d, '{model_base64}',
                   to_jsonb(translate(d->>'model_base64', 'AB', 'BA')))) FROM doc$$, 'XX001', 'export document model fails its sha256 check', 'import: tampered bytes');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(jsonb_set(d, '{model_base64}', to_jsonb(encode('\x0102'::bytea, 'base64'))),
                   '{model_sha256}', to_jsonb(encode(sha256('\x0102'::bytea), 'hex'))) - 'model_size') FROM doc$$, 'XX001', NULL,
                 'import: consistent checksum over bytes that are not a model');
SELECT throws_ok($$SELECT modelmgr.import_model('imp', jsonb_set(d, '{features}', '"age"')) FROM doc$$, '22000', NULL, 'import: features not an array');
SELECT is((SELECT count(*) FROM modelmgr.models), (SELECT n FROM n0), 'no row written by failed imports');

-- rows that do not fit the model
SELECT throws_ok($$SELECT modelmgr.predict('m', t) FROM (SELECT age, sex, bmi, bp, s1, s2, s3, s4, s5 FROM diabetes) t$$, '42703',
                 'row has no column "s6"', 'row missing a feature column');
SELECT throws_ok($$SELECT modelmgr.predict('m', t) FROM (SELECT age, sex, bmi::text AS bmi, bp, s1, s2, s3, s4, s5, s6 FROM diabetes) t$$, '42804',
                 'column "bmi" has type text, but a feature must be numeric', 'row with a text feature column');
SELECT throws_ok($$SELECT modelmgr.predict('m', t) FROM (SELECT age, sex, NULL::float8 AS bmi, bp, s1, s2, s3, s4, s5, s6 FROM diabetes) t$$, '22004',
                 'feature column "bmi" is NULL', 'row with a NULL feature');

SELECT * FROM finish();
ROLLBACK;
