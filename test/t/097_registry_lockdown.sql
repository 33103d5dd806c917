-- The registry is written only through the extension's functions: the roles cannot change the
-- tables by DML, the invariants hold for the owner too, and the audit records every register,
-- deploy, rollback, drop, import and export in a hash chain that verify_audit() checks.
BEGIN;
SELECT plan(41);

CREATE ROLE mmtest_lk_reader NOLOGIN IN ROLE modelmgr_reader;
CREATE ROLE mmtest_lk_trainer NOLOGIN IN ROLE modelmgr_trainer;
GRANT SELECT ON diabetes TO mmtest_lk_trainer;

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
-- runs sql as the owner (this superuser) and returns its SQLSTATE, or 'ok'; the change stays
CREATE FUNCTION pg_temp.state(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE;
END $$;

SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.register_model('lk', modelmgr.linreg_fit(x, target)) FROM diabetes$$), 'ok', 'trainer registers');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.register_model('lk', modelmgr.linreg_fit(x, target, '{"l2": 1}')) FROM diabetes$$), 'ok', 'trainer registers v2');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.deploy('lk', 1)$$), 'ok', 'trainer deploys');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.deploy('lk', 2)$$), 'ok', 'trainer deploys v2');
SELECT is((SELECT deployed_by FROM modelmgr.deployments WHERE name = 'lk' ORDER BY id DESC LIMIT 1), 'mmtest_lk_trainer'::name,
          'deployed_by is the acting role (not the functions'' owner)');

-- direct DML is refused to both roles (the findings: forged deployed_by, a 4-byte model, last_version = INT_MAX, the live row deleted)
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$UPDATE modelmgr.deployments SET deployed_by = 'someone', deployed_at = '2000-01-01' WHERE name = 'lk'$$),
          '42501', 'trainer: cannot forge deployed_by / deployed_at');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$INSERT INTO modelmgr.models (name, version, algorithm, model) VALUES ('lk', 3, 'linear_regression', '\x00000000')$$),
          '42501', 'trainer: cannot insert a version');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$UPDATE modelmgr.model_names SET last_version = 2147483647 WHERE name = 'lk'$$),
          '42501', 'trainer: cannot set last_version');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$DELETE FROM modelmgr.deployments WHERE id = (SELECT max(id) FROM modelmgr.deployments WHERE name = 'lk')$$),
          '42501', 'trainer: cannot delete the live deployment row');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$INSERT INTO modelmgr.deployments (name, version, action, strategy) VALUES ('lk', 1, 'deploy', 'version')$$),
          '42501', 'trainer: cannot append to the history');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$INSERT INTO modelmgr.evaluations (name, version, rows, metrics) VALUES ('lk', 1, 1, '{}')$$),
          '42501', 'trainer: cannot write evaluations');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$DELETE FROM modelmgr.alerts$$), '42501', 'trainer: cannot delete alerts');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$DELETE FROM modelmgr.drift_history$$), '42501', 'trainer: cannot delete drift history');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr._push('lk', 1, 'deploy', 'version', NULL)$$), '42501', 'trainer: cannot call the internal _push');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr._audit('deploy', 'lk', 1, NULL, '{}')$$), '42501', 'trainer: cannot append to the audit');
SELECT is(pg_temp.as_role('mmtest_lk_reader', $$UPDATE modelmgr.models SET metrics = '{}'$$), '42501', 'reader: cannot update models');
SELECT is(pg_temp.as_role('mmtest_lk_reader', $$SELECT count(*) FROM modelmgr.audit$$), 'ok', 'reader: reads the audit');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$INSERT INTO modelmgr.monitor_settings (name, psi_alert) VALUES ('lk', 0.3)$$), 'ok', 'trainer: sets monitor thresholds');
SELECT is(modelmgr.deployed_version('lk'), 2, 'nothing changed the deployment');

-- the invariants hold for the owner too
SELECT ok(pg_temp.state($$INSERT INTO modelmgr.model_names (name, last_version) VALUES ('lk_bad', 1);
                          INSERT INTO modelmgr.models (name, version, algorithm, model) VALUES ('lk_bad', 1, 'linear_regression', '\xdeadbeef')$$)
          IN ('XX001', '22P03'), 'owner: a 4-byte non-model cannot be inserted as a version');
SELECT is(pg_temp.state($$INSERT INTO modelmgr.models (name, version, algorithm, model) VALUES ('lk', 9, 'linear_regression', modelmgr.model('lk', 1))$$),
          '23514', 'owner: a version above last_version cannot be inserted');
SELECT is(pg_temp.state($$UPDATE modelmgr.model_names SET last_version = 2147483647 WHERE name = 'lk'$$), '23514', 'owner: last_version cannot jump');
SELECT is(pg_temp.state($$UPDATE modelmgr.model_names SET last_version = 1 WHERE name = 'lk'$$), '23514', 'owner: last_version cannot decrease');
SELECT is((SELECT last_version FROM modelmgr.model_names WHERE name = 'lk'), 2, 'last_version unchanged');

-- every action is audited
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.rollback('lk')$$), 'ok', 'trainer rolls back');
SELECT is(pg_temp.as_role('mmtest_lk_reader', $$SELECT modelmgr.export_model('lk', 2)$$), 'ok', 'reader exports');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.import_model('lk_copy', modelmgr.export_model('lk', 2))$$), 'ok', 'trainer imports');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$SELECT modelmgr.drop_model('lk_copy')$$), 'ok', 'trainer drops');
SELECT is(ARRAY(SELECT action || ':' || model_name || ':' || coalesce(version::text, '-') || ':' || coalesce(from_version::text, '-')
                FROM modelmgr.audit WHERE model_name LIKE 'lk%' ORDER BY id),
          ARRAY['register:lk:1:-', 'register:lk:2:-', 'deploy:lk:1:-', 'deploy:lk:2:1', 'rollback:lk:1:2', 'export:lk:2:-',
                'export:lk:2:-', 'register:lk_copy:1:-', 'import:lk_copy:1:-', 'drop:lk_copy:-:-'],
          'the audit has every register, deploy, rollback, export, import and drop, with the version and the one before');
SELECT is((SELECT array_agg(DISTINCT acting_role::text) FROM modelmgr.audit WHERE model_name LIKE 'lk%'),
          ARRAY['mmtest_lk_reader', 'mmtest_lk_trainer'], 'acting_role is the SET ROLE role');
SELECT is((SELECT count(*) FROM modelmgr.audit WHERE session_role <> session_user), 0::bigint, 'session_role is the session user');
SELECT is((SELECT details->>'model_sha256' FROM modelmgr.audit WHERE action = 'register' AND model_name = 'lk' AND version = 2),
          encode(sha256(modelmgr.model('lk', 2)), 'hex'), 'register records the model''s sha256');
SELECT is((SELECT count(*) FROM modelmgr.verify_audit()), 0::bigint, 'verify_audit: the chain is intact');

-- append-only for everyone but the owner, even with privileges granted
GRANT UPDATE, DELETE, TRUNCATE ON modelmgr.audit TO mmtest_lk_trainer;
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$UPDATE modelmgr.audit SET actor = 'x'$$), '42703', 'no such column (sanity of the helper)');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$UPDATE modelmgr.audit SET acting_role = 'someone'$$), '42501', 'trainer granted UPDATE: the trigger refuses');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$DELETE FROM modelmgr.audit$$), '42501', 'trainer granted DELETE: the trigger refuses');
SELECT is(pg_temp.as_role('mmtest_lk_trainer', $$TRUNCATE modelmgr.audit$$), '42501', 'trainer granted TRUNCATE: the trigger refuses');

-- the owner can tamper, and verify_audit finds each case (each undone afterwards)
CREATE TEMP TABLE tamper (kind text, found bigint);
-- runs sql, counts what verify_audit() reports, undoes sql; returns the count
CREATE FUNCTION pg_temp.tamper(kind text, sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    BEGIN
        EXECUTE sql;
        n := (SELECT count(*) FROM modelmgr.verify_audit());
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    INSERT INTO tamper VALUES (kind, n);
END $$;
CREATE TEMP TABLE mid AS SELECT (SELECT min(id) FROM modelmgr.audit WHERE model_name = 'lk' AND action = 'deploy') AS id;
SELECT pg_temp.tamper('edit a field', $$UPDATE modelmgr.audit SET version = 7 WHERE id = (SELECT id FROM mid)$$);
SELECT pg_temp.tamper('edit and re-hash', $$UPDATE modelmgr.audit a SET details = '{"strategy": "forged"}' WHERE id = (SELECT id FROM mid);
                                            UPDATE modelmgr.audit a SET row_hash = modelmgr._audit_hash(a) WHERE id = (SELECT id FROM mid)$$);
SELECT pg_temp.tamper('delete a middle row', $$DELETE FROM modelmgr.audit WHERE id = (SELECT id FROM mid)$$);
SELECT pg_temp.tamper('delete the first row', $$DELETE FROM modelmgr.audit WHERE id = (SELECT min(id) FROM modelmgr.audit)$$);
SELECT pg_temp.tamper('delete the last row', $$DELETE FROM modelmgr.audit WHERE id = (SELECT max(id) FROM modelmgr.audit)$$);
SELECT pg_temp.tamper('swap two rows', $$UPDATE modelmgr.audit SET id = id + 1000000000 WHERE id = (SELECT id FROM mid);
                                         UPDATE modelmgr.audit SET id = id - 1 WHERE id = (SELECT id FROM mid) + 1;
                                         UPDATE modelmgr.audit SET id = id - 1000000000 + 1 WHERE id = (SELECT id FROM mid) + 1000000000$$);
SELECT pg_temp.tamper('forge the actor', $$UPDATE modelmgr.audit SET acting_role = 'nobody' WHERE model_name = 'lk'$$);
SELECT pg_temp.tamper('empty the audit', $$DELETE FROM modelmgr.audit$$);
SELECT diag(kind || ': ' || found || ' problem(s) reported') FROM tamper;
SELECT is((SELECT count(*) FROM tamper), 8::bigint, 'eight tamper cases tried');
SELECT is((SELECT array_agg(kind ORDER BY kind) FROM tamper WHERE found = 0), NULL, 'verify_audit finds every one');
SELECT is((SELECT count(*) FROM modelmgr.verify_audit()), 0::bigint, 'intact again after the undo');
SELECT ok((SELECT problem FROM modelmgr.verify_audit() LIMIT 1) IS NULL, 'no problem reported');

SELECT * FROM finish();
ROLLBACK;
