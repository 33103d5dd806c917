-- Privileges: data access is enforced when training, a reader can predict but not change the
-- registry, a trainer can, functions run with the caller's rights. Roles made here roll back.
BEGIN;
SELECT plan(27);

CREATE ROLE mmtest_nobody NOLOGIN;
CREATE ROLE mmtest_reader NOLOGIN IN ROLE modelmgr_reader;
CREATE ROLE mmtest_trainer NOLOGIN IN ROLE modelmgr_trainer;

SELECT modelmgr.register_model('p', modelmgr.linreg_fit(x, target), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'])
FROM diabetes;
SELECT modelmgr.register_model('p', modelmgr.linreg_fit(x, target, '{"l2": 1}')) FROM diabetes;
SELECT modelmgr.deploy('p', 1);

-- Runs sql as role (SET LOCAL ROLE inside this transaction) and returns the SQLSTATE, or 'ok'.
CREATE FUNCTION pg_temp.as_role(r name, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text := 'ok';
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE sql;
    EXCEPTION WHEN others THEN
        state := SQLSTATE;
    END;
    RESET ROLE;
    RETURN state;
END $$;

-- the roles exist, with the documented scheme
SELECT ok(EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'modelmgr_reader' AND NOT rolcanlogin), 'modelmgr_reader exists, NOLOGIN');
SELECT ok(pg_has_role('modelmgr_trainer', 'modelmgr_reader', 'MEMBER'), 'a trainer is a reader');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'modelmgr'::regnamespace AND prosecdef
                     AND (proowner <> 'modelmgr_owner'::regrole OR NOT ('search_path=pg_catalog, pg_temp' = ANY (proconfig))
                          OR has_function_privilege('public', oid, 'EXECUTE') AND proname NOT IN ('export_model'))),
          'every SECURITY DEFINER function (the registry writers) is owned by modelmgr_owner, pins search_path and is not for PUBLIC (but export_model)');
SELECT ok(NOT has_function_privilege('mmtest_nobody', 'modelmgr.deploy(text, int)', 'EXECUTE'), 'PUBLIC cannot execute deploy');

-- training needs SELECT on the data: the caller's rights apply
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.linreg_fit(x, target) FROM diabetes$$), '42501', 'no SELECT on the table: cannot train on it');
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.train('p_t', 'diabetes', 'target')$$), '42501',
    'no SELECT on the table: train() refuses');
GRANT SELECT ON diabetes TO mmtest_trainer;
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.register_model('p', modelmgr.linreg_fit(x, target, '{"l2": 2}')) FROM diabetes$$),
          'ok', 'with SELECT granted: a trainer trains and registers');
SELECT is((SELECT created_by FROM modelmgr.models WHERE name = 'p' AND version = 3), 'mmtest_trainer'::name, 'created_by is the trainer');

-- a reader predicts and reads the registry
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.predict('p', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[])$$), 'ok', 'reader: predict by name');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.predict('p', t) FROM (SELECT 1 age, 2 sex, 3 bmi, 4 bp, 5 s1, 6 s2, 7 s3, 8 s4, 9 s5, 10 s6) t$$),
          'ok', 'reader: predict by name, row form');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT * FROM modelmgr.model_overview$$), 'ok', 'reader: model_overview');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT * FROM modelmgr.model_versions$$), 'ok', 'reader: model_versions');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.export_model('p')$$), 'ok', 'reader: export_model');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT * FROM modelmgr.weights('p')$$), 'ok', 'reader: weights');
-- ... but cannot change it
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.deploy('p', 2)$$), '42501', 'reader: cannot deploy');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.deploy('p', 'most_recent')$$), '42501', 'reader: cannot deploy by strategy');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.rollback('p')$$), '42501', 'reader: cannot roll back');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.drop_model('p', 2)$$), '42501', 'reader: cannot drop');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.register_model('p', modelmgr.model('p'))$$), '42501', 'reader: cannot register');
SELECT is(pg_temp.as_role('mmtest_reader', $$SELECT modelmgr.import_model('q', modelmgr.export_model('p'))$$), '42501', 'reader: cannot import');
SELECT is(pg_temp.as_role('mmtest_reader', $$INSERT INTO modelmgr.deployments (name, version, action, strategy) VALUES ('p', 2, 'deploy', 'version')$$),
          '42501', 'reader: cannot write the history directly');
SELECT is(pg_temp.as_role('mmtest_reader', $$DELETE FROM modelmgr.models$$), '42501', 'reader: cannot delete models directly');
SELECT is(modelmgr.deployed_version('p'), 1, 'nothing changed');
-- someone outside both roles cannot even read the registry
SELECT is(pg_temp.as_role('mmtest_nobody', $$SELECT modelmgr.predict('p', ARRAY[1,2,3,4,5,6,7,8,9,10]::float8[])$$), '42501', 'no role: cannot predict by name');

-- a trainer deploys, rolls back and drops
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.deploy('p', 3)$$), 'ok', 'trainer: deploy');
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.rollback('p')$$), 'ok', 'trainer: rollback');
SELECT is(pg_temp.as_role('mmtest_trainer', $$SELECT modelmgr.drop_model('p', 3)$$), 'ok', 'trainer: drop');

SELECT * FROM finish();
ROLLBACK;
