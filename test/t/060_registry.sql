-- Registry: versions, deploy strategies, rollback history, drop, export/import, views, weights.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(63);

CREATE TEMP TABLE feats AS SELECT ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'] AS f;

-- three versions of "diab" (different ridge strengths), scores 0.5, 0.4, 0.6
CREATE TEMP TABLE reg AS
SELECT 1 AS k, modelmgr.register_model('diab', modelmgr.linreg_fit(x, target), source => 'diabetes', label => 'target',
         features => (SELECT f FROM feats), metrics => '{"score": 0.5}', training => '{"rows": 442}') AS r FROM diabetes;
INSERT INTO reg SELECT 2, modelmgr.register_model('diab', modelmgr.linreg_fit(x, target, '{"l2": 0.1}'),
         features => (SELECT f FROM feats), metrics => '{"score": 0.4}') FROM diabetes;
INSERT INTO reg SELECT 3, modelmgr.register_model('diab', modelmgr.linreg_fit(x, target, '{"l2": 0.01}'),
         features => (SELECT f FROM feats), metrics => '{"score": 0.6}') FROM diabetes;

SELECT results_eq('SELECT (r).version FROM reg ORDER BY k', ARRAY[1, 2, 3], 'versions increase per name: 1, 2, 3');
SELECT is((SELECT (r).algorithm FROM reg WHERE k = 1), 'linear_regression', 'algorithm taken from model_info');
SELECT is((SELECT (r).features FROM reg WHERE k = 1), (SELECT f FROM feats), 'features stored');
SELECT is((SELECT (r).classes FROM reg WHERE k = 1), NULL, 'a regression has no classes');
SELECT is((SELECT (r).source || '/' || (r).label FROM reg WHERE k = 1), 'diabetes/target', 'source and label stored');
SELECT is((SELECT (r).training->>'rows' FROM reg WHERE k = 1), '442', 'training facts stored');
SELECT is((SELECT (r).created_by FROM reg WHERE k = 1), current_user::name, 'created_by is the caller');
SELECT is((modelmgr.register_model('other', (SELECT (r).model FROM reg WHERE k = 1))).version, 1, 'another name starts at version 1');
SELECT is(modelmgr.deployed_version('diab'), NULL, 'nothing deployed without auto_deploy');

-- deploy by version / latest / strategy, and the overload resolution of untyped literals
SELECT is(modelmgr.deploy('diab'), 3, 'deploy(name): the latest version');
SELECT is(modelmgr.deployed_version('diab'), 3, 'deployed_version follows');
SELECT is(modelmgr.deploy('diab', 2), 2, 'deploy(name, 2): a given version');
SELECT is(modelmgr.deploy('diab', 'best_score'), 3, 'deploy(name, ''best_score''): highest score');
SELECT is(modelmgr.deploy('diab', 1), 1, 'deploy(name, 1)');
SELECT is(modelmgr.deploy('diab', 'most_recent'), 3, 'deploy(name, ''most_recent'')');
SELECT is(modelmgr.deploy('diab', 2::int), 2, 'deploy(name, int)');
SELECT is(modelmgr.deploy('diab', NULL), 3, 'deploy(name, NULL): the latest version');
SELECT is(modelmgr.deploy('diab', '1'), 1, 'deploy(name, ''1''): a version number as text');
SELECT is(modelmgr.deploy('diab', version => 2), 2, 'deploy(name, version => 2)');
SELECT is(modelmgr.deploy('diab', strategy => 'best_score'), 3, 'deploy(name, strategy => ...)');
SELECT is((SELECT count(*) FROM modelmgr.deployments WHERE name = 'diab'), 10::bigint, 'one history row per deploy');
SELECT is(modelmgr.deploy('diab', 3), 3, 'deploying the live version again is a no-op');
SELECT is((SELECT count(*) FROM modelmgr.deployments WHERE name = 'diab'), 10::bigint, '... that writes no row');
SELECT is((SELECT strategy FROM modelmgr.deployments WHERE name = 'diab' ORDER BY id DESC LIMIT 1), 'best_score', 'strategy recorded');
SELECT is((SELECT deployed_by FROM modelmgr.deployments WHERE name = 'diab' ORDER BY id DESC LIMIT 1), current_user::name, 'deployed_by recorded');

-- rollback walks back through history: v1 -> v2 -> v3, rollback -> v2, rollback -> v1
SELECT modelmgr.register_model('rb', (SELECT (r).model FROM reg WHERE k = v)) FROM generate_series(1, 3) v;
SELECT modelmgr.deploy('rb', 1); SELECT modelmgr.deploy('rb', 2); SELECT modelmgr.deploy('rb', 3);
SELECT is(modelmgr.rollback('rb'), 2, 'first rollback: v3 -> v2');
SELECT is(modelmgr.deployed_version('rb'), 2, '... v2 is live');
SELECT is(modelmgr.rollback('rb'), 1, 'second rollback: v2 -> v1, not back to v3');
SELECT throws_ok($$SELECT modelmgr.rollback('rb')$$, '55000', 'model "rb" has no earlier deployment to roll back to',
                 'nothing left to roll back to');
SELECT is(modelmgr.deploy('rb', 3), 3, 'deploy v3 after the rollbacks');
SELECT is(modelmgr.rollback('rb'), 1, 'rollback returns to the version live before it (v1)');
SELECT is((SELECT action FROM modelmgr.deployments WHERE name = 'rb' ORDER BY id DESC LIMIT 1), 'rollback', 'rollback appends a row');

-- drop
SELECT throws_ok($$SELECT modelmgr.drop_model('rb', 1)$$, '55006', 'model "rb" version 1 is deployed', 'drop refuses the deployed version');
SELECT throws_ok($$SELECT modelmgr.drop_model('rb')$$, '55006', 'model "rb" version 1 is deployed', 'drop of all versions refuses too');
SELECT is(modelmgr.drop_model('rb', 2), 1, 'drop a version that is not deployed');
SELECT is(ARRAY(SELECT version FROM modelmgr.models WHERE name = 'rb' ORDER BY version), ARRAY[1, 3], 'v2 gone');
SELECT is((SELECT count(*) FROM modelmgr.deployments WHERE name = 'rb' AND version = 2), 0::bigint, 'its history rows gone');
SELECT is(modelmgr.deploy('rb', 3), 3, 'deploy v3 (stack: v1, v3)');
SELECT is(modelmgr.drop_model('rb', 3, force => true), 1, 'force drops the deployed version');
SELECT is(modelmgr.deployed_version('rb'), NULL, '... leaving nothing deployed');
SELECT is(modelmgr.rollback('rb'), 1, 'rollback after a forced drop brings back the version before it');
SELECT is((modelmgr.register_model('rb', (SELECT (r).model FROM reg WHERE k = 1))).version, 4, 'versions are never reused after a drop');
SELECT is(modelmgr.drop_model('rb', force => true), 2, 'drop all versions with force');
SELECT is((SELECT count(*) FROM modelmgr.deployments WHERE name = 'rb'), 0::bigint, 'all history of the name gone');

-- auto_deploy
SELECT is((modelmgr.register_model('ad', (SELECT (r).model FROM reg WHERE k = 1), metrics => '{"score": 0.5}', auto_deploy => true)).version,
          1, 'auto_deploy: first version');
SELECT is(modelmgr.deployed_version('ad'), 1, 'first version deployed');
SELECT modelmgr.register_model('ad', (SELECT (r).model FROM reg WHERE k = 2), metrics => '{"score": 0.4}', auto_deploy => true);
SELECT is(modelmgr.deployed_version('ad'), 1, 'a lower score is not deployed');
SELECT modelmgr.register_model('ad', (SELECT (r).model FROM reg WHERE k = 3), metrics => '{"score": 0.7}', auto_deploy => true);
SELECT is(modelmgr.deployed_version('ad'), 3, 'a higher score is deployed');
SELECT is((SELECT strategy FROM modelmgr.deployments WHERE name = 'ad' ORDER BY id DESC LIMIT 1), 'auto_deploy', 'strategy auto_deploy');

-- model(), weights()
SELECT is(modelmgr.model('diab'), (SELECT (r).model FROM reg WHERE k = 3), 'model(name): the deployed bytes');
SELECT is(modelmgr.model('diab', 1), (SELECT (r).model FROM reg WHERE k = 1), 'model(name, version)');
SELECT is((SELECT count(*) FROM modelmgr.weights('diab', 1)), 11::bigint, 'weights: intercept + 10 features');
SELECT is((SELECT weight FROM modelmgr.weights('diab', 1) WHERE feature = '(intercept)'),
          (modelmgr.model_info((SELECT (r).model FROM reg WHERE k = 1))->>'intercept')::float8, 'weights: intercept');
SELECT is((SELECT weight FROM modelmgr.weights('diab', 1) WHERE feature = 'bmi'),
          (modelmgr.model_info((SELECT (r).model FROM reg WHERE k = 1))->'coefficients'->>2)::float8, 'weights: by feature name');
SELECT throws_ok($$SELECT * FROM modelmgr.weights('other')$$, '42704', 'model "other" has no deployed version', 'weights(name) needs a deployed version');

-- export / import
SELECT is((SELECT modelmgr.import_model('diab_copy', modelmgr.export_model('diab', 1))), 1, 'import: the first version of a new name');
SELECT is((SELECT model FROM modelmgr.models WHERE name = 'diab_copy'), (SELECT (r).model FROM reg WHERE k = 1), 'import: byte-identical model');
SELECT is((SELECT ROW(features, metrics, training, source, label, algorithm)::text FROM modelmgr.models WHERE name = 'diab_copy'),
          (SELECT ROW(features, metrics, training, source, label, algorithm)::text FROM modelmgr.models WHERE name = 'diab' AND version = 1),
          'import: metadata kept');
SELECT is((SELECT lineage->'imported_from'->>'version' FROM modelmgr.models WHERE name = 'diab_copy'), '1', 'import: lineage records the origin');
SELECT is(modelmgr.export_model('diab', 1)->>'model_sha256', encode(sha256((SELECT (r).model FROM reg WHERE k = 1)), 'hex'), 'export: sha256 of the bytes');
SELECT is(modelmgr.import_model('diab', modelmgr.export_model('diab', 2)), 4, 'import into an existing name: next version');

-- views
SELECT results_eq($$SELECT version, is_deployed, score FROM modelmgr.model_versions WHERE name = 'diab' ORDER BY version$$,
                  $$VALUES (1, false, 0.5::float8), (2, false, 0.4), (3, true, 0.6), (4, false, 0.4)$$, 'model_versions');
SELECT results_eq($$SELECT deployed_version, versions, latest_version, algorithm FROM modelmgr.model_overview WHERE name = 'diab'$$,
                  $$VALUES (3, 4::bigint, 4, 'linear_regression')$$, 'model_overview');

SELECT * FROM finish();
ROLLBACK;
