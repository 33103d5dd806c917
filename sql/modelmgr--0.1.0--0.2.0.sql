-- modelmgr upgrade script 0.1.0 -> 0.2.0, run by ALTER EXTENSION modelmgr UPDATE (TO '0.2.0').
\echo Use "ALTER EXTENSION modelmgr UPDATE TO '0.2.0'" to load this file. \quit

-- It turns a 0.1.0 schema into exactly what CREATE EXTENSION modelmgr makes in 0.2.0
-- (test/sh/upgrade.sh compares pg_dump of both). Its statements follow the install script's
-- order (sql/install/NN_topic.sql), so that privileges are granted before ownership moves to
-- modelmgr_owner as they are there (pg_init_privs then records the same initial privileges).
-- What it does:
--   * checks that every registered version decodes as a model of its algorithm and that its
--     number was issued by model_names (the invariants the new triggers enforce on new rows);
--     a registry that fails this is left at 0.1.0 with an ERROR (23514) naming the versions;
--   * adds the audit (audit, audit_head: empty after the upgrade, see "Audit" below), the
--     registry invariant triggers, model signing (signing_keys, modelmgr_signer) and the role
--     modelmgr_owner (created NOLOGIN when missing, refused when it exists with LOGIN,
--     attributes or members);
--   * pins search_path on every function that did not have it (ALTER FUNCTION ... SET where
--     only that changed, CREATE OR REPLACE where the body changed too);
--   * takes INSERT, UPDATE and DELETE on the registry and history tables away from
--     modelmgr_trainer; the tables, the views and the functions that write them move to
--     modelmgr_owner (SECURITY DEFINER); the last block (as in 95_owner.sql) gives the role that
--     owns the extension, when it is not a superuser, the object grants modelmgr_reader and
--     modelmgr_trainer have (0.1.0 was not trusted, so its owner is a superuser and gets none).
-- Registered models, deployments, evaluations, drift history, alerts and monitor settings are
-- kept as they are: a model's bytes never change, so it predicts bit-identically.
--
-- Extending it (while 0.2.0 is not released): an object added to sql/install/ is appended here
-- with the same CREATE statement, its COMMENT and GRANTs, in the install script's order; a
-- changed function gets CREATE OR REPLACE FUNCTION with its new text (DROP FUNCTION first when
-- its arguments or result type change; ALTER FUNCTION when only an attribute does); a changed
-- aggregate CREATE OR REPLACE AGGREGATE. test/sh/upgrade.sh fails and prints the difference
-- while anything is missing. A later release adds sql/modelmgr--0.2.0--0.3.0.sql the same way.

-- Registry: new invariants ------------------------------------------------------------------

-- Versions registered under 0.1.0 (whose tables modelmgr_trainer could write directly) must
-- satisfy what models_check() demands of new ones: their bytes decode as a model of their
-- algorithm and their number was issued by model_names. Otherwise the upgrade stops here.
DO $$
DECLARE
    r record;
    bad text[] := '{}';
    alg text;
BEGIN
    FOR r IN SELECT m.name, m.version, m.algorithm, m.model, n.last_version
             FROM modelmgr.models m LEFT JOIN modelmgr.model_names n ON n.name OPERATOR(pg_catalog.=) m.name
             ORDER BY m.name, m.version LOOP
        BEGIN
            alg := modelmgr.model_info(r.model) OPERATOR(pg_catalog.->>) 'algorithm';
        EXCEPTION WHEN data_corrupted OR invalid_binary_representation THEN   -- XX001, 22P03: not a model
            alg := NULL;
        END;
        IF alg IS NULL THEN
            bad := bad OPERATOR(pg_catalog.||) pg_catalog.format('"%s" version %s: its bytes are not a model', r.name, r.version);
        ELSIF alg IS DISTINCT FROM r.algorithm THEN
            bad := bad OPERATOR(pg_catalog.||) pg_catalog.format('"%s" version %s: algorithm "%s" is not the model''s ("%s")',
                                                                 r.name, r.version, r.algorithm, alg);
        END IF;
        IF r.last_version IS NULL OR r.version OPERATOR(pg_catalog.>) r.last_version THEN
            bad := bad OPERATOR(pg_catalog.||) pg_catalog.format('"%s" version %s: above model_names.last_version (%s)',
                                                                 r.name, r.version, coalesce(r.last_version::text, 'no row'));
        END IF;
    END LOOP;
    IF pg_catalog.cardinality(bad) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'the registry has % version(s) that modelmgr 0.2.0 would refuse', pg_catalog.cardinality(bad)
            USING ERRCODE = 'check_violation', DETAIL = pg_catalog.array_to_string(bad, '; '),
                  HINT = 'Drop or re-register those versions with modelmgr 0.1.0 (modelmgr.drop_model), then run ALTER EXTENSION modelmgr UPDATE again.';
    END IF;
END $$;

-- Invariants the table owner cannot break by accident either (the roles cannot write these
-- tables at all; see "Registry roles and privileges" below) ---------------------------------

-- A version's bytes must decode as a model: model_info() ERRORs (XX001/22P03) on anything else,
-- so no deployment can point at non-model bytes (versions are immutable, models_guard).
-- A version number is never above its name's last_version.
CREATE FUNCTION models_check() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF (modelmgr.model_info(NEW.model)->>'algorithm') IS DISTINCT FROM NEW.algorithm THEN
        RAISE EXCEPTION 'model "%" version %: algorithm "%" is not the model''s', NEW.name, NEW.version, NEW.algorithm
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM modelmgr.model_names n WHERE n.name = NEW.name AND n.last_version >= NEW.version) THEN
        RAISE EXCEPTION 'model "%" version % was never issued (above model_names.last_version)', NEW.name, NEW.version
            USING ERRCODE = 'check_violation', HINT = 'Register versions with modelmgr.register_model().';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION models_check() IS 'trigger: a new version''s bytes are a valid model of its algorithm and its number was issued by model_names';
CREATE TRIGGER models_valid BEFORE INSERT ON models FOR EACH ROW EXECUTE FUNCTION models_check();

-- last_version only grows, one version at a time: a number once issued is never issued again.
CREATE FUNCTION model_names_guard() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name OR NEW.last_version < OLD.last_version OR NEW.last_version > OLD.last_version + 1 THEN
        RAISE EXCEPTION 'model_names.last_version of "%" may only grow by one (% -> %)', OLD.name, OLD.last_version, NEW.last_version
            USING ERRCODE = 'check_violation', HINT = 'Register versions with modelmgr.register_model().';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION model_names_guard() IS 'trigger: model_names.last_version is monotone (grows by one per registration), the name is fixed';
CREATE TRIGGER model_names_monotone BEFORE UPDATE ON model_names FOR EACH ROW EXECUTE FUNCTION model_names_guard();

-- Audit (new) ---------------------------------------------------------------------------------
-- An upgraded registry's audit starts empty: the first register, deploy, rollback, drop, import or
-- export after the upgrade is its first row (prev_hash empty), and verify_audit() finds the chain
-- intact. What happened before the upgrade stays in models (created_at, created_by) and
-- deployments (deployed_at, deployed_by), which the upgrade keeps as they are.
-- One row per register, deploy (also auto_deploy), rollback, drop, import and export, appended by
-- the registry functions. Each row carries the SHA-256 of the previous row (prev_hash) and its
-- own (row_hash, over prev_hash and every other column); audit_head holds the last row's id and
-- hash, so verify_audit() also finds rows deleted at the end. Nobody but the owner (and
-- superusers) may change or delete a row.

CREATE TABLE audit (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    session_role name NOT NULL,
    acting_role  name NOT NULL,
    action       text NOT NULL CHECK (action IN ('register', 'deploy', 'rollback', 'drop', 'import', 'export')),
    model_name   text NOT NULL,
    version      int,
    from_version int,
    details      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    prev_hash    bytea NOT NULL,
    row_hash     bytea NOT NULL
);
COMMENT ON TABLE audit IS 'append-only, hash-chained record of every register, deploy, rollback, drop, import and export (check it with verify_audit())';
COMMENT ON COLUMN audit.id IS 'increasing, in commit order (appends are serialised); the chain follows it';
COMMENT ON COLUMN audit.at IS 'when (transaction time)';
COMMENT ON COLUMN audit.session_role IS 'session_user: who logged in';
COMMENT ON COLUMN audit.acting_role IS 'the role acting: the SET ROLE role, else the session user';
COMMENT ON COLUMN audit.action IS 'register, deploy, rollback, drop, import or export';
COMMENT ON COLUMN audit.model_name IS 'model name';
COMMENT ON COLUMN audit.version IS 'the version registered, deployed, rolled back to, dropped (NULL: all), imported or exported';
COMMENT ON COLUMN audit.from_version IS 'deploy, rollback, drop: the version live before';
COMMENT ON COLUMN audit.details IS 'what else: strategy and reason, model_sha256, versions dropped, imported_from, ...';
COMMENT ON COLUMN audit.prev_hash IS 'row_hash of the previous row (empty for the first)';
COMMENT ON COLUMN audit.row_hash IS 'sha256(prev_hash || the row''s other columns as canonical JSON)';

CREATE TABLE audit_head (
    k         boolean PRIMARY KEY DEFAULT true CHECK (k),
    last_id   bigint NOT NULL,
    last_hash bytea NOT NULL
);
COMMENT ON TABLE audit_head IS 'the id and row_hash of the last audit row (one row, once anything was audited)';

SELECT pg_catalog.pg_extension_config_dump('audit', '');
SELECT pg_catalog.pg_extension_config_dump('audit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('audit_head', '');

-- The role acting for the caller of a SECURITY DEFINER function (current_user there is the
-- owner): the role set with SET ROLE, else the session user.
CREATE FUNCTION _actor() RETURNS name LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::name END
$$;
COMMENT ON FUNCTION _actor() IS 'internal: the acting role (SET ROLE''s role, else session_user), recorded as created_by, deployed_by, evaluated_by and in the audit';

-- The hash of an audit row: independent of DateStyle, TimeZone and extra_float_digits.
CREATE FUNCTION _audit_hash(a audit) RETURNS bytea LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.sha256(a.prev_hash || pg_catalog.convert_to(pg_catalog.jsonb_build_array(
        a.id, EXTRACT(epoch FROM a.at), a.session_role, a.acting_role, a.action, a.model_name, a.version,
        a.from_version, a.details)::text, 'UTF8'))
$$;
COMMENT ON FUNCTION _audit_hash(audit) IS 'internal: sha256 of an audit row chained to prev_hash';

-- Appends an audit row. Appends are serialised by the audit_head row lock; under REPEATABLE READ
-- or SERIALIZABLE a snapshot that missed a committed append fails with 40001.
CREATE FUNCTION _audit(action text, model_name text, version int, from_version int, details jsonb)
RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    a modelmgr.audit;
BEGIN
    INSERT INTO modelmgr.audit_head AS h (k, last_id, last_hash) VALUES (true, 0, '\x')
    ON CONFLICT (k) DO UPDATE SET last_id = h.last_id
    RETURNING h.last_hash INTO a.prev_hash;
    a.id := pg_catalog.nextval('modelmgr.audit_id_seq'::regclass);
    a.at := pg_catalog.now();
    a.session_role := session_user;
    a.acting_role := modelmgr._actor();
    a.action := _audit.action;
    a.model_name := _audit.model_name;
    a.version := _audit.version;
    a.from_version := _audit.from_version;
    a.details := coalesce(jsonb_strip_nulls(_audit.details), '{}');
    a.row_hash := modelmgr._audit_hash(a);
    INSERT INTO modelmgr.audit SELECT (a).*;
    UPDATE modelmgr.audit_head h SET last_id = a.id, last_hash = a.row_hash;
    RETURN a.id;
END $$;
COMMENT ON FUNCTION _audit(text, text, int, int, jsonb) IS 'internal: appends a hash-chained audit row (owner only)';

CREATE FUNCTION verify_audit() RETURNS TABLE (id bigint, problem text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    a modelmgr.audit;
    prev_hash bytea := '\x';
    prev_id bigint;
    head modelmgr.audit_head;
BEGIN
    FOR a IN SELECT * FROM modelmgr.audit x ORDER BY x.id LOOP
        IF a.row_hash IS DISTINCT FROM modelmgr._audit_hash(a) THEN
            id := a.id;
            problem := 'row edited: its row_hash does not match its contents';
            RETURN NEXT;
        END IF;
        IF a.prev_hash IS DISTINCT FROM prev_hash THEN
            id := a.id;
            problem := CASE WHEN prev_id IS NULL THEN 'chain does not start here: earlier rows were deleted'
                            ELSE format('prev_hash is not row %s''s row_hash: rows between were deleted, or row %s was edited and re-hashed', prev_id, prev_id) END;
            RETURN NEXT;
        END IF;
        prev_hash := a.row_hash;
        prev_id := a.id;
    END LOOP;
    SELECT * INTO head FROM modelmgr.audit_head;
    IF head.k IS NULL AND prev_id IS NOT NULL THEN
        id := prev_id;
        problem := 'audit_head is missing';
        RETURN NEXT;
    ELSIF head.k IS NOT NULL AND (head.last_id IS DISTINCT FROM coalesce(prev_id, 0) OR head.last_hash IS DISTINCT FROM prev_hash) THEN
        id := head.last_id;
        problem := format('the chain ends at row %s but audit_head says row %s: rows at the end were deleted, or the last row was edited',
                          coalesce(prev_id::text, 'none'), head.last_id);
        RETURN NEXT;
    END IF;
END $$;
COMMENT ON FUNCTION verify_audit() IS 'checks the audit hash chain: one row per edited, deleted or reordered audit row (no rows: intact)';

-- Append-only for everyone but the owner (and superusers), whatever privileges are granted.
CREATE FUNCTION audit_guard() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'modelmgr.% is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege', HINT = 'Only its owner may change, delete or truncate audit rows.';
    END IF;
    IF TG_LEVEL = 'STATEMENT' THEN
        RETURN NULL;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION audit_guard() IS 'trigger: refuses UPDATE, DELETE and TRUNCATE of the audit to anyone but its owner';
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_head_append_only BEFORE UPDATE OR DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_guard();

-- Registry functions: search_path pinned, audited, acting role recorded -------------------------

ALTER FUNCTION models_guard() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION deployments_guard() SET search_path = pg_catalog, pg_temp;

-- Serialises registration and deployment per model name (transaction-scoped). Every write to a
-- name's history takes this lock and then rewrites the name's model_names row in place. Under
-- READ COMMITTED the lock alone is enough (each later statement sees the committed history).
-- Under REPEATABLE READ and SERIALIZABLE the transaction's snapshot may predate a write to the
-- name that committed while this one waited for the lock; the row rewrite then fails with
-- 40001 (could not serialize access due to concurrent update) instead of building on a stale
-- history. A name without a row yet (its first registration) is covered by the INSERT ... ON
-- CONFLICT of register_model, which fails the same way.
CREATE OR REPLACE FUNCTION _lock_name(model_name text) RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(1835886450, pg_catalog.hashtext(model_name));
    UPDATE modelmgr.model_names n SET last_version = n.last_version WHERE n.name = _lock_name.model_name;
END $$;
COMMENT ON FUNCTION _lock_name(text) IS 'internal: transaction-scoped lock serialising writes to one model name; 40001 when a snapshot older than the lock missed a committed write to the name';

ALTER FUNCTION _check_name(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION _live(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION deployed_version(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION _resolve(text, int) SET search_path = pg_catalog, pg_temp;

-- Appends a deployment row making version live; the caller holds the name lock.
CREATE OR REPLACE FUNCTION _push(model_name text, version int, action text, strategy text, reason text)
RETURNS int LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    live modelmgr.deployments;
BEGIN
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.id IS NOT NULL AND live.version = _push.version THEN
        RAISE NOTICE 'model "%" version % is already deployed', model_name, _push.version;
        RETURN _push.version;
    END IF;
    IF _push.version IS NOT NULL THEN
        -- modelmgr.require_signed_models (a no-op when off)
        PERFORM modelmgr._require_signed(m.model, 'deploy') FROM modelmgr.models m
        WHERE m.name = _push.model_name AND m.version = _push.version;
    END IF;
    INSERT INTO modelmgr.deployments (name, version, action, strategy, previous_id, previous_version, reason, deployed_by)
    VALUES (model_name, _push.version, _push.action, _push.strategy,
            -- an undeploy row is never a rollback target: stack on what it stacked on
            CASE WHEN live.action = 'undeploy' THEN live.previous_id ELSE live.id END,
            live.version, _push.reason, modelmgr._actor());
    PERFORM modelmgr._audit('deploy', model_name, _push.version, live.version,
                            jsonb_build_object('strategy', _push.strategy, 'reason', _push.reason));
    RETURN _push.version;
END $$;
COMMENT ON FUNCTION _push(text, int, text, text, text) IS 'internal: appends a deployment row on top of the live one (no-op when already live)';

CREATE OR REPLACE FUNCTION register_model(model_name text, model bytea, source text DEFAULT NULL, label text DEFAULT NULL,
                               features text[] DEFAULT NULL, options jsonb DEFAULT '{}', metrics jsonb DEFAULT '{}',
                               training jsonb DEFAULT '{}', auto_deploy boolean DEFAULT false,
                               lineage jsonb DEFAULT '{}')
RETURNS models LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    info jsonb;
    feats text[] := register_model.features;
    model_feats text[];
    cls text[];
    nf int;
    v int;
    r modelmgr.models;
    live modelmgr.models;
    new_score float8;
    old_score float8;
BEGIN
    IF model_name IS NULL OR register_model.model IS NULL THEN
        RAISE EXCEPTION 'model name and model must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model_name = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH info IN ARRAY ARRAY[register_model.options, register_model.metrics, register_model.training, register_model.lineage] LOOP
        IF info IS NOT NULL AND jsonb_typeof(info) <> 'object' THEN
            RAISE EXCEPTION 'options, metrics, training and lineage must be JSON objects' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF register_model.metrics ? 'score' AND jsonb_typeof(register_model.metrics->'score') <> 'number' THEN
        RAISE EXCEPTION 'metrics "score" must be a number' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    info := modelmgr.model_info(register_model.model);      -- ERROR on a bad bytea
    nf := (info->>'n_features')::int;
    IF info ? 'classes' THEN
        cls := ARRAY(SELECT jsonb_array_elements_text(info->'classes'));
    END IF;
    IF info ? 'features' THEN
        model_feats := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    END IF;
    IF feats IS NULL THEN
        feats := model_feats;
    ELSIF model_feats IS NOT NULL AND feats IS DISTINCT FROM model_feats THEN
        RAISE EXCEPTION 'features do not match the feature names stored in the model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Given %s, the model has %s.', feats, model_feats);
    END IF;
    IF feats IS NOT NULL THEN
        IF array_ndims(feats) IS DISTINCT FROM 1 OR array_length(feats, 1) <> nf THEN
            RAISE EXCEPTION 'features has % names, but the model has % features', coalesce(cardinality(feats), 0), nf
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF array_position(feats, NULL) IS NOT NULL OR array_position(feats, '') IS NOT NULL
           OR (SELECT count(DISTINCT f) FROM unnest(feats) f) <> nf THEN
            RAISE EXCEPTION 'feature names must be distinct, non-empty and not NULL' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    PERFORM modelmgr._lock_name(model_name);
    INSERT INTO modelmgr.model_names AS n (name, last_version) VALUES (model_name, 1)
    ON CONFLICT (name) DO UPDATE SET last_version = n.last_version + 1
    RETURNING n.last_version INTO v;
    INSERT INTO modelmgr.models AS m (name, version, algorithm, label, features, classes, options, metrics, training,
                                      lineage, source, model, created_by)
    VALUES (model_name, v, info->>'algorithm', register_model.label, feats, cls,
            coalesce(register_model.options, '{}'), coalesce(register_model.metrics, '{}'),
            coalesce(register_model.training, '{}'), coalesce(register_model.lineage, '{}'),
            register_model.source, register_model.model, modelmgr._actor())
    RETURNING m.* INTO r;
    PERFORM modelmgr._audit('register', model_name, v, NULL,
                            jsonb_build_object('algorithm', r.algorithm, 'size', octet_length(r.model),
                                               'model_sha256', encode(sha256(r.model), 'hex')));

    IF auto_deploy THEN
        SELECT m.* INTO live FROM modelmgr.models m
        WHERE m.name = register_model.model_name AND m.version = modelmgr.deployed_version(register_model.model_name);
        IF live.id IS NULL THEN
            PERFORM modelmgr._push(model_name, v, 'deploy', 'auto_deploy', 'nothing was deployed');
        ELSE
            IF jsonb_typeof(r.metrics->'score') = 'number' THEN
                new_score := (r.metrics->>'score')::float8;
            END IF;
            IF jsonb_typeof(live.metrics->'score') = 'number' THEN
                old_score := (live.metrics->>'score')::float8;
            END IF;
            IF new_score IS NOT NULL AND (old_score IS NULL OR new_score > old_score) THEN
                PERFORM modelmgr._push(model_name, v, 'deploy', 'auto_deploy',
                    format('score %s beats version %s''s %s', new_score, live.version, coalesce(old_score::text, 'none')));
            ELSE
                RAISE NOTICE 'model "%" version % not deployed: score % does not beat deployed version %''s %',
                    model_name, v, coalesce(new_score::text, 'none'), live.version, coalesce(old_score::text, 'none');
            END IF;
        END IF;
    END IF;
    RETURN r;
END $$;
COMMENT ON FUNCTION register_model(text, bytea, text, text, text[], jsonb, jsonb, jsonb, boolean, jsonb) IS
'validates a model bytea and stores it as the next version of model_name; auto_deploy deploys it when nothing is deployed or its metrics score beats the deployed one';

ALTER FUNCTION deploy(text, int) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION deploy(text, text) SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION rollback(model_name text) RETURNS int
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    live modelmgr.deployments;
    prev modelmgr.deployments;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.id IS NULL THEN
        RAISE EXCEPTION 'model "%" has never been deployed', model_name
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = format('Deploy it with modelmgr.deploy(%L).', model_name);
    END IF;
    SELECT * INTO prev FROM modelmgr.deployments d WHERE d.id = live.previous_id;
    IF prev.id IS NULL THEN
        RAISE EXCEPTION 'model "%" has no earlier deployment to roll back to', model_name
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO modelmgr.deployments (name, version, action, previous_id, previous_version, reason, deployed_by)
    VALUES (model_name, prev.version, 'rollback', prev.previous_id, live.version,
            format('rolled back to deployment %s', prev.id), modelmgr._actor());
    PERFORM modelmgr._audit('rollback', model_name, prev.version, live.version,
                            jsonb_build_object('to_deployment', prev.id));
    RETURN prev.version;
END $$;
COMMENT ON FUNCTION rollback(text) IS 'makes the previously deployed version live again; repeated rollbacks walk back through the history; returns the version';

CREATE OR REPLACE FUNCTION drop_model(model_name text, version int DEFAULT NULL, force boolean DEFAULT false) RETURNS int
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    live modelmgr.deployments;
    targets int[];
    d bigint;
    p bigint;
    n int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    IF drop_model.version IS NULL THEN
        targets := ARRAY(SELECT m.version FROM modelmgr.models m WHERE m.name = drop_model.model_name);
    ELSE
        PERFORM modelmgr._resolve(model_name, drop_model.version);
        targets := ARRAY[drop_model.version];
    END IF;
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.version = ANY (targets) THEN
        IF NOT coalesce(force, false) THEN
            RAISE EXCEPTION 'model "%" version % is deployed', model_name, live.version
                USING ERRCODE = 'object_in_use',
                      HINT = 'Deploy another version or roll back first, or pass force => true.';
        END IF;
        IF drop_model.version IS NOT NULL THEN
            INSERT INTO modelmgr.deployments (name, version, action, previous_id, previous_version, reason, deployed_by)
            VALUES (model_name, NULL, 'undeploy', live.previous_id, live.version,
                    format('version %s dropped with force', live.version), modelmgr._actor());
        END IF;
    END IF;
    IF drop_model.version IS NULL THEN
        DELETE FROM modelmgr.deployments x WHERE x.name = drop_model.model_name;
    ELSE
        -- unlink the dropped version's history rows: whatever stacked on one now stacks on its predecessor
        FOR d IN SELECT x.id FROM modelmgr.deployments x
                 WHERE x.name = drop_model.model_name AND x.version = drop_model.version ORDER BY x.id LOOP
            SELECT x.previous_id INTO p FROM modelmgr.deployments x WHERE x.id = d;
            UPDATE modelmgr.deployments x SET previous_id = p WHERE x.previous_id = d;
        END LOOP;
        DELETE FROM modelmgr.deployments x WHERE x.name = drop_model.model_name AND x.version = drop_model.version;
    END IF;
    DELETE FROM modelmgr.models m WHERE m.name = drop_model.model_name AND m.version = ANY (targets);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF drop_model.version IS NULL THEN
        DELETE FROM modelmgr.model_names x WHERE x.name = drop_model.model_name;
    END IF;
    PERFORM modelmgr._audit('drop', model_name, drop_model.version, live.version,
                            jsonb_build_object('versions', to_jsonb(targets), 'force', coalesce(force, false)));
    RETURN n;
END $$;
COMMENT ON FUNCTION drop_model(text, int, boolean) IS 'deletes one version (or all: NULL) of a model and its deployment rows; refuses the deployed version unless force; returns the number of versions dropped';

ALTER FUNCTION model(text, int) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION weights(text, int) SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION export_model(model_name text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int := modelmgr._resolve(model_name, export_model.version);
    r modelmgr.models;
BEGIN
    SELECT m.* INTO r FROM modelmgr.models m WHERE m.name = export_model.model_name AND m.version = v;
    PERFORM modelmgr._audit('export', model_name, v, NULL, jsonb_build_object('model_sha256', encode(sha256(r.model), 'hex')));
    RETURN jsonb_build_object(
        'format', 'modelmgr.model',
        'format_version', 1,
        'name', r.name,
        'version', r.version,
        'algorithm', r.algorithm,
        'label', r.label,
        'features', to_jsonb(r.features),
        'classes', to_jsonb(r.classes),
        'options', r.options,
        'metrics', r.metrics,
        'training', r.training,
        'lineage', r.lineage,
        'source', r.source,
        'created_at', r.created_at,
        'created_by', r.created_by::text,
        'model_size', octet_length(r.model),
        'model_sha256', encode(sha256(r.model), 'hex'),
        'model_base64', translate(encode(r.model, 'base64'), E'\n', ''));
END $$;
COMMENT ON FUNCTION export_model(text, int) IS 'a version (NULL: deployed) as a self-describing JSON document (format modelmgr.model version 1, see docs/registry.md)';

CREATE OR REPLACE FUNCTION import_model(model_name text, doc jsonb) RETURNS int
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bytes bytea;
    feats text[];
    key text;
    r modelmgr.models;
BEGIN
    IF doc IS NULL THEN
        RAISE EXCEPTION 'export document must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(doc) <> 'object' OR doc->>'format' IS DISTINCT FROM 'modelmgr.model' THEN
        RAISE EXCEPTION 'not a modelmgr export document'
            USING ERRCODE = 'data_exception', HINT = 'Expected a JSON object with "format": "modelmgr.model", as written by modelmgr.export_model().';
    END IF;
    IF jsonb_typeof(doc->'format_version') IS DISTINCT FROM 'number' OR (doc->>'format_version')::numeric <> 1 THEN
        RAISE EXCEPTION 'unsupported export format version %', coalesce(doc->>'format_version', 'NULL')
            USING ERRCODE = 'feature_not_supported', HINT = 'This modelmgr reads format_version 1.';
    END IF;
    FOREACH key IN ARRAY ARRAY['model_base64', 'model_sha256'] LOOP
        IF jsonb_typeof(doc->key) IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'export document field "%" must be a string', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    FOREACH key IN ARRAY ARRAY['options', 'metrics', 'training', 'lineage'] LOOP
        IF doc ? key AND jsonb_typeof(doc->key) NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'export document field "%" must be an object', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    FOREACH key IN ARRAY ARRAY['label', 'source', 'name'] LOOP
        IF doc ? key AND jsonb_typeof(doc->key) NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'export document field "%" must be a string', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    IF doc ? 'features' AND jsonb_typeof(doc->'features') <> 'null' THEN
        IF jsonb_typeof(doc->'features') <> 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(doc->'features') e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'export document field "features" must be an array of strings' USING ERRCODE = 'data_exception';
        END IF;
        feats := ARRAY(SELECT jsonb_array_elements_text(doc->'features'));
    END IF;
    BEGIN
        bytes := decode(doc->>'model_base64', 'base64');
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'export document has invalid model_base64: %', SQLERRM USING ERRCODE = 'data_corrupted';
    END;
    IF doc ? 'model_size' AND (doc->>'model_size') IS DISTINCT FROM octet_length(bytes)::text THEN
        RAISE EXCEPTION 'export document model is % bytes, but model_size says %', octet_length(bytes), doc->>'model_size'
            USING ERRCODE = 'data_corrupted', HINT = 'The document was truncated or modified.';
    END IF;
    IF lower(doc->>'model_sha256') IS DISTINCT FROM encode(sha256(bytes), 'hex') THEN
        RAISE EXCEPTION 'export document model fails its sha256 check'
            USING ERRCODE = 'data_corrupted', HINT = 'The document was truncated or modified.';
    END IF;
    PERFORM modelmgr._require_signed(bytes, 'import');
    r := modelmgr.register_model(
        coalesce(import_model.model_name, doc->>'name'), bytes,
        source => doc->>'source', label => doc->>'label', features => feats,
        options => coalesce(nullif(doc->'options', 'null'), '{}'),
        metrics => coalesce(nullif(doc->'metrics', 'null'), '{}'),
        training => coalesce(nullif(doc->'training', 'null'), '{}'),
        lineage => coalesce(nullif(doc->'lineage', 'null'), '{}') || jsonb_build_object('imported_from',
            jsonb_build_object('name', doc->'name', 'version', doc->'version', 'created_at', doc->'created_at',
                               'created_by', doc->'created_by', 'model_sha256', doc->'model_sha256')));
    PERFORM modelmgr._audit('import', r.name, r.version, NULL,
                            jsonb_build_object('imported_from', r.lineage->'imported_from'));
    RETURN r.version;
END $$;
COMMENT ON FUNCTION import_model(text, jsonb) IS 'registers the model of an export_model() document as the next version of model_name (NULL: the document''s name), after checking format, sha256 and the bytes; returns the new version';

-- Registry roles and privileges ----------------------------------------------------------------
-- The install script's block: modelmgr_reader and modelmgr_trainer exist since 0.1.0 and are
-- left as they are (with their members); modelmgr_owner is new.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_reader') THEN
        CREATE ROLE modelmgr_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_trainer') THEN
        CREATE ROLE modelmgr_trainer NOLOGIN;
    END IF;
    IF NOT pg_catalog.pg_has_role('modelmgr_trainer', 'modelmgr_reader', 'MEMBER') THEN
        GRANT modelmgr_reader TO modelmgr_trainer;
    END IF;
    -- modelmgr_owner owns the registry tables and the SECURITY DEFINER functions that write them:
    -- no login, no superuser, no members, so those functions run with no rights but these.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_owner') THEN
        CREATE ROLE modelmgr_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = 'modelmgr_owner'
                  AND (r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls OR r.rolreplication))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = 'modelmgr_owner'::regrole) THEN
        RAISE EXCEPTION 'role modelmgr_owner exists with LOGIN, an attribute or members'
            USING ERRCODE = 'invalid_object_definition',
                  HINT = 'modelmgr_owner must be a NOLOGIN role without attributes or members; drop or fix it, then install again.';
    END IF;
END $$;

-- The roles may no longer write the tables: only the SECURITY DEFINER functions below do.
REVOKE INSERT, UPDATE, DELETE ON model_names, models, deployments FROM modelmgr_trainer;
REVOKE EXECUTE ON FUNCTION _push(text, int, text, text, text), _lock_name(text) FROM modelmgr_trainer;
GRANT SELECT ON audit, audit_head TO modelmgr_reader;
REVOKE EXECUTE ON FUNCTION _audit(text, text, int, int, jsonb) FROM PUBLIC;

-- The registry is written only through the functions below: SECURITY DEFINER, owned by
-- modelmgr_owner, search_path pinned, every name inside qualified. Neither role may INSERT,
-- UPDATE or DELETE the tables. They read no user source (train() and evaluate() read it with
-- the caller's rights and then call these). The acting role is recorded with _actor().
-- export_model writes the audit, so it is VOLATILE and not parallel safe.
ALTER FUNCTION export_model(text, int) VOLATILE PARALLEL UNSAFE;
GRANT USAGE ON SCHEMA modelmgr TO modelmgr_owner;
GRANT EXECUTE ON FUNCTION _push(text, int, text, text, text), _lock_name(text), _audit(text, text, int, int, jsonb)
TO modelmgr_owner;
ALTER TABLE model_names OWNER TO modelmgr_owner;
ALTER TABLE models OWNER TO modelmgr_owner;
ALTER TABLE deployments OWNER TO modelmgr_owner;
ALTER TABLE audit OWNER TO modelmgr_owner;
ALTER TABLE audit_head OWNER TO modelmgr_owner;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'modelmgr.register_model(text, bytea, text, text, text[], jsonb, jsonb, jsonb, boolean, jsonb)',
        'modelmgr.deploy(text, int)', 'modelmgr.deploy(text, text)', 'modelmgr.rollback(text)',
        'modelmgr.drop_model(text, int, boolean)', 'modelmgr.import_model(text, jsonb)',
        'modelmgr.export_model(text, int)']::regprocedure[] LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO modelmgr_owner', f);
    END LOOP;
END $$;

-- Signing (new) -------------------------------------------------------------------------------

-- Model signing: Ed25519 signatures in the model's signature section (see mm_model.h for what
-- is signed), the public keys a database trusts, and modelmgr.require_signed_models.
-- Private keys are never stored: generate_signing_key() returns one once; sign_model() takes
-- one as an argument. Managing keys and signing need superuser or the role modelmgr_signer.

CREATE TABLE signing_keys (
    key_id     text PRIMARY KEY CHECK (key_id <> ''),
    public_key bytea NOT NULL UNIQUE CHECK (octet_length(public_key) = 32),
    trusted    boolean NOT NULL DEFAULT true,
    comment    text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by name NOT NULL DEFAULT CURRENT_USER,
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE signing_keys IS 'Ed25519 public keys that may sign models; under modelmgr.require_signed_models only models signed by a trusted key are deployed, predicted with by name or imported';
COMMENT ON COLUMN signing_keys.key_id IS 'the key''s name';
COMMENT ON COLUMN signing_keys.public_key IS 'raw 32-byte Ed25519 public key, as stored in a signed model''s signature section';
COMMENT ON COLUMN signing_keys.trusted IS 'false: revoked (models it signed are refused under require_signed_models)';
SELECT pg_catalog.pg_extension_config_dump('signing_keys', '');

CREATE FUNCTION _generate_private_key() RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_generate_private_key' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _generate_private_key() IS 'internal: 32 fresh random raw Ed25519 private key bytes';

CREATE FUNCTION signing_public_key(key bytea, is_private boolean DEFAULT true) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_signing_public_key' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION signing_public_key(bytea, boolean) IS 'the raw 32-byte Ed25519 public key of a private key (is_private) or of a public key given raw, as DER or PEM';

CREATE FUNCTION sign_model(model bytea, private_key bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sign_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sign_model(bytea, bytea) IS 'the model with an Ed25519 signature section by private_key (raw 32 bytes, PKCS#8 DER or PEM), replacing any earlier signature';

CREATE FUNCTION _model_signature(model bytea, OUT public_key bytea, OUT valid boolean)
AS 'MODULE_PATHNAME', 'mm_model_signature' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _model_signature(bytea) IS 'internal: the signature section''s public key and whether the signature verifies (NULL: unsigned)';

CREATE FUNCTION _require_signed(model bytea, what text) RETURNS void
AS 'MODULE_PATHNAME', 'mm_require_signed' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _require_signed(bytea, text) IS 'internal: under modelmgr.require_signed_models, ERROR 42501 unless model is signed by a trusted key';

CREATE FUNCTION model_signature(model bytea)
RETURNS TABLE (signed boolean, key_id text, public_key bytea, valid boolean, trusted boolean)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.public_key IS NOT NULL, k.key_id, s.public_key, s.valid, coalesce(k.trusted, false)
    FROM modelmgr._model_signature(model) s
    LEFT JOIN modelmgr.signing_keys k ON k.public_key OPERATOR(pg_catalog.=) s.public_key
$$;
COMMENT ON FUNCTION model_signature(bytea) IS 'who signed a model: signed, key_id (NULL: unknown key), public_key, valid (the signature verifies), trusted (valid is not implied)';

CREATE FUNCTION add_signing_key(key_id text, public_key bytea, trusted boolean DEFAULT true, comment text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO modelmgr.signing_keys (key_id, public_key, trusted, comment, created_by, changed_by)
    VALUES (add_signing_key.key_id, modelmgr.signing_public_key(add_signing_key.public_key, false),
            coalesce(add_signing_key.trusted, true), add_signing_key.comment, session_user, session_user);
    RETURN add_signing_key.key_id;
END $$;
COMMENT ON FUNCTION add_signing_key(text, bytea, boolean, text) IS 'registers an Ed25519 public key (raw 32 bytes, DER or PEM, e.g. from openssl pkey -pubout) under key_id, trusted unless told otherwise';

CREATE FUNCTION generate_signing_key(key_id text, trusted boolean DEFAULT true, comment text DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    priv bytea := modelmgr._generate_private_key();
BEGIN
    PERFORM modelmgr.add_signing_key(generate_signing_key.key_id, modelmgr.signing_public_key(priv, true),
                                     generate_signing_key.trusted, generate_signing_key.comment);
    RETURN priv;
END $$;
COMMENT ON FUNCTION generate_signing_key(text, boolean, text) IS 'makes an Ed25519 key pair, registers its public key under key_id and returns the raw 32-byte private key (shown once, never stored)';

CREATE FUNCTION _set_signing_key_trust(key_id text, trusted boolean) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE modelmgr.signing_keys k SET trusted = _set_signing_key_trust.trusted,
           changed_at = now(), changed_by = session_user
    WHERE k.key_id = _set_signing_key_trust.key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'signing key "%" does not exist', key_id
            USING ERRCODE = 'undefined_object', HINT = 'See modelmgr.signing_keys; add keys with modelmgr.add_signing_key().';
    END IF;
    RETURN _set_signing_key_trust.trusted;
END $$;
COMMENT ON FUNCTION _set_signing_key_trust(text, boolean) IS 'internal: sets a signing key''s trusted flag';

CREATE FUNCTION trust_signing_key(key_id text) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp AS $$ SELECT modelmgr._set_signing_key_trust(key_id, true) $$;
COMMENT ON FUNCTION trust_signing_key(text) IS 'trusts a registered signing key';

CREATE FUNCTION revoke_signing_key(key_id text) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp AS $$ SELECT modelmgr._set_signing_key_trust(key_id, false) $$;
COMMENT ON FUNCTION revoke_signing_key(text) IS 'stops trusting a signing key (it stays listed; models it signed are refused under require_signed_models)';

-- modelmgr_signer: may sign models and add, trust and revoke keys. NOLOGIN, created only when
-- missing; a superuser grants it to the people who vouch for models.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_signer') THEN
        CREATE ROLE modelmgr_signer NOLOGIN;
    END IF;
END $$;

GRANT SELECT ON signing_keys TO modelmgr_reader;
GRANT EXECUTE ON FUNCTION model_signature(bytea), _model_signature(bytea), _require_signed(bytea, text),
    signing_public_key(bytea, boolean)
TO modelmgr_reader;
REVOKE EXECUTE ON FUNCTION
    sign_model(bytea, bytea), _generate_private_key(), add_signing_key(text, bytea, boolean, text),
    generate_signing_key(text, boolean, text), _set_signing_key_trust(text, boolean),
    trust_signing_key(text), revoke_signing_key(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    sign_model(bytea, bytea), _generate_private_key(), add_signing_key(text, bytea, boolean, text),
    generate_signing_key(text, boolean, text), _set_signing_key_trust(text, boolean),
    trust_signing_key(text), revoke_signing_key(text)
TO modelmgr_signer;

-- Like the registry, the key table and the SECURITY DEFINER functions that write it belong to
-- modelmgr_owner (NOLOGIN, no attributes): they never run with the installing role's rights.
ALTER TABLE signing_keys OWNER TO modelmgr_owner;
GRANT EXECUTE ON FUNCTION signing_public_key(bytea, boolean), _generate_private_key(), add_signing_key(text, bytea, boolean, text)
TO modelmgr_owner;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'modelmgr.add_signing_key(text, bytea, boolean, text)',
        'modelmgr.generate_signing_key(text, boolean, text)',
        'modelmgr._set_signing_key_trust(text, boolean)']::regprocedure[] LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO modelmgr_owner', f);
    END LOOP;
END $$;

-- Monitoring: the writes go through SECURITY DEFINER functions; search_path pinned -------------

ALTER FUNCTION _settings(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION _lower_is_better(text) SET search_path = pg_catalog, pg_temp;

-- The writes of evaluate(), drift() and monitor(): those read the caller's source with the
-- caller's rights; only these SECURITY DEFINER functions (owner modelmgr_owner, see the end of
-- this section) write the monitoring tables.
CREATE FUNCTION _record_evaluation(model_name text, version int, rows bigint, metrics jsonb, source text)
RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    eid bigint;
BEGIN
    INSERT INTO modelmgr.evaluations AS e (name, version, rows, metrics, source, evaluated_by)
    VALUES (model_name, _record_evaluation.version, _record_evaluation.rows, _record_evaluation.metrics,
            _record_evaluation.source, modelmgr._actor())
    RETURNING e.id INTO eid;
    RETURN eid;
END $$;
COMMENT ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text) IS 'internal: records an evaluate() snapshot (evaluated_by: the acting role)';

CREATE FUNCTION _record_drift(model_name text, version int, feature text, psi float8, status text, rows bigint, source text)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO modelmgr.drift_history (name, version, feature, psi, status, rows, source)
    VALUES (model_name, version, feature, psi, status, rows, source)
$$;
COMMENT ON FUNCTION _record_drift(text, int, text, float8, text, bigint, text) IS 'internal: records one drift() measurement';

-- evaluate ----------------------------------------------------------------------------------

-- The source is read with the caller's rights and names: the SQL wrappers evaluate(), drift() and
-- monitor() resolve it (modelmgr._source_sql, under the caller's search_path) before the pinned
-- functions that do the work run; they name nothing but schema-qualified functions, so they need
-- no pinned search_path themselves (test/sh/hostile_search_path.sh shows it).
-- The source runs read-only: through these helpers, which raise transaction_read_only for the
-- one query that reads it (a source whose functions write fails with 25006).
CREATE FUNCTION _read_only_type(q text) RETURNS regtype
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
DECLARE t regtype;
BEGIN
    EXECUTE q INTO t;
    RETURN t;
END $$;
COMMENT ON FUNCTION _read_only_type(text) IS 'internal: runs a query over a user source read-only, returning its one regtype';
CREATE FUNCTION _read_only_metrics(q text, model bytea, flag boolean, OUT n bigint, OUT skipped bigint, OUT m jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
BEGIN
    EXECUTE q INTO n, skipped, m USING model, flag;
END $$;
COMMENT ON FUNCTION _read_only_metrics(text, bytea, boolean) IS 'internal: runs evaluate()''s metric query over a user source read-only';
CREATE FUNCTION _read_only_psi(q text, model bytea, OUT psis float8[], OUT n bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
BEGIN
    EXECUTE q INTO psis, n USING model;
END $$;
COMMENT ON FUNCTION _read_only_psi(text, bytea) IS 'internal: runs drift()''s PSI query over a user source read-only';

CREATE OR REPLACE FUNCTION evaluate(model_name text, source text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT modelmgr._evaluate(model_name, source, modelmgr._source_sql(source), version)
$$;

CREATE FUNCTION _evaluate(model_name text, source text, src text, version int) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    fx text;
    ltype regtype;
    ncls int;
    pexpr text;
    aexpr text;
    pos text;
    m jsonb;
    n bigint;
    skipped bigint;
    eid bigint;
    q text;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, _evaluate.version);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _evaluate.model_name AND mo.version = v;
    IF r.label IS NULL THEN
        RAISE EXCEPTION 'model "%" version % has no registered label column', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Register the model with label => ''column'' to evaluate it on a table.';
    END IF;
    fx := modelmgr._feature_sql(r.model, r.features, src);
    BEGIN
        ltype := modelmgr._read_only_type(format('SELECT pg_typeof(s.%I) FROM (SELECT * FROM %s AS s LIMIT 0) s RIGHT JOIN (SELECT 1) one ON true',
                       r.label, src));
    EXCEPTION WHEN undefined_column THEN
        RAISE EXCEPTION 'source has no label column "%"', r.label
            USING ERRCODE = 'undefined_column',
                  DETAIL = format('Model "%s" version %s was trained on label "%s".', model_name, v, r.label);
    END;
    ncls := coalesce(cardinality(r.classes), 0);
    -- rows with a NULL label or feature are skipped; predictions come from the version's own bytes
    q := format('SELECT %s AS x, s.%I AS y FROM %s AS s', fx, r.label, src);
    IF r.algorithm = 'linear_regression' THEN
        SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                jsonb_build_object('r2', modelmgr.r2(p, a) FILTER (WHERE ok), 'mse', modelmgr.mse(p, a) FILTER (WHERE ok),
                                   'rmse', modelmgr.rmse(p, a) FILTER (WHERE ok), 'mae', modelmgr.mae(p, a) FILTER (WHERE ok))
            FROM (SELECT CASE WHEN ok THEN modelmgr.predict($1, x) END AS p, y::float8 AS a, ok
                  FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%s) q0) q1) q2$q$, q), r.model, NULL);
    ELSE
        -- text labels compare class names; numeric and boolean labels compare class values
        IF ltype IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype, 'name'::regtype) THEN
            pexpr := 'modelmgr.predict_label($1, x)';
            aexpr := 'y::text';
            pos := quote_literal(r.classes[ncls]) || '::text';
        ELSIF ltype = 'boolean'::regtype THEN
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::int::float8';
            pos := '1::float8';
        ELSE
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::float8';
            pos := quote_literal(r.classes[ncls]) || '::float8';
        END IF;
        IF ncls = 2 THEN
            SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'precision', modelmgr.precision(p, a, %2$s) FILTER (WHERE ok),
                        'recall', modelmgr.recall(p, a, %2$s) FILTER (WHERE ok),
                        'f1', modelmgr.f1(p, a, %2$s) FILTER (WHERE ok),
                        'roc_auc', CASE WHEN count(DISTINCT a) FILTER (WHERE ok) = 2
                                        THEN modelmgr.roc_auc(pr, a = %2$s) FILTER (WHERE ok) END,
                        'log_loss', CASE WHEN $2 THEN modelmgr.log_loss(pr, a = %2$s) FILTER (WHERE ok) END)
                FROM (SELECT CASE WHEN ok THEN %3$s END AS p,
                             CASE WHEN ok THEN (modelmgr.predict_proba($1, x))[2] END AS pr, %4$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pos, pexpr, aexpr), r.model, r.algorithm <> 'svm');
        ELSE
            SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'f1_macro', modelmgr.f1_macro(p, a) FILTER (WHERE ok),
                        'f1_weighted', modelmgr.f1_weighted(p, a) FILTER (WHERE ok))
                FROM (SELECT CASE WHEN ok THEN %2$s END AS p, %3$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pexpr, aexpr), r.model, NULL);
        END IF;
    END IF;
    eid := modelmgr._record_evaluation(model_name, v, n, m, _evaluate.source);
    RETURN jsonb_build_object('name', model_name, 'version', v, 'evaluation_id', eid, 'rows', n,
                              'rows_skipped', skipped, 'metrics', m);
END $$;
COMMENT ON FUNCTION _evaluate(text, text, text, int) IS 'internal: evaluate() of a resolved source';
COMMENT ON FUNCTION evaluate(text, text, int) IS
'scores a version (NULL: the deployed one) on a table, view or SELECT with the metric aggregates, against the model''s registered label column; records the snapshot in evaluations and returns {name, version, evaluation_id, rows, rows_skipped, metrics}';

-- drift -------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION drift(model_name text, source text) RETURNS TABLE (feature text, psi float8, status text)
LANGUAGE sql VOLATILE AS $$
    SELECT * FROM modelmgr._drift(model_name, source, modelmgr._source_sql(source))
$$;

CREATE FUNCTION _drift(model_name text, source text, src text) RETURNS TABLE (feature text, psi float8, status text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    info jsonb;
    fx text;
    psis float8[];
    names text[];
    n bigint;
    st modelmgr.monitor_settings;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _drift.model_name AND mo.version = v;
    info := modelmgr.model_info(r.model);
    IF NOT coalesce((info->>'has_baseline')::boolean, false) THEN
        RAISE EXCEPTION 'model "%" version % has no drift baseline', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Models trained by modelmgr.train() carry one; add one to another model with the aggregate modelmgr.model_with_baseline(model, x) and register the result.';
    END IF;
    fx := modelmgr._feature_sql(r.model, r.features, src);
    SELECT * INTO psis, n FROM modelmgr._read_only_psi(format('SELECT modelmgr.drift_psi($1, %s), pg_catalog.count(*) FROM %s AS s', fx, src), r.model);
    IF info ? 'features' THEN
        names := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    ELSE
        names := coalesce(r.features, ARRAY(SELECT 'x' || i FROM generate_series(1, (info->>'n_features')::int) i));
    END IF;
    st := modelmgr._settings(model_name);
    FOR i IN 1 .. cardinality(names) LOOP
        feature := names[i];
        psi := psis[i];
        status := CASE WHEN psi IS NULL THEN 'no_data' WHEN psi >= st.psi_alert THEN 'alert'
                       WHEN psi >= st.psi_warn THEN 'warn' ELSE 'ok' END;
        PERFORM modelmgr._record_drift(model_name, v, names[i], psis[i], status, n, _drift.source);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION _drift(text, text, text) IS 'internal: drift() of a resolved source';
COMMENT ON FUNCTION drift(text, text) IS
'per-feature PSI of a table, view or SELECT against the drift baseline of the deployed version of model_name, with status ok / warn / alert (thresholds from monitor_settings, default 0.1 / 0.25); recorded in drift_history';

-- alerts and monitor ------------------------------------------------------------------------

ALTER FUNCTION _raise_alert(text, int, text, jsonb) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION resolve_alerts(text, text) SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION monitor(model_name text, source text) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT modelmgr._monitor(model_name, source, modelmgr._source_sql(source))
$$;

CREATE FUNCTION _monitor(model_name text, source text, src text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    ev jsonb;
    st modelmgr.monitor_settings;
    met text;
    val float8;
    hmean float8;
    hsd float8;
    hcount int;
    low boolean;
    raised jsonb := '[]';
    dr jsonb;
    d record;
BEGIN
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _monitor.model_name AND mo.version = v;
    ev := modelmgr._evaluate(model_name, source, src, v);
    st := modelmgr._settings(model_name);
    met := coalesce(st.metric, CASE WHEN r.algorithm = 'linear_regression' THEN 'r2' ELSE 'accuracy' END);
    IF NOT (ev->'metrics') ? met THEN
        RAISE EXCEPTION 'monitor_settings.metric "%" is not a metric of model "%"', met, model_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('evaluate() reports: %s.', (SELECT string_agg(k, ', ') FROM jsonb_object_keys(ev->'metrics') k));
    END IF;
    IF jsonb_typeof(ev->'metrics'->met) = 'number' THEN
        val := (ev->'metrics'->>met)::float8;
    END IF;
    low := modelmgr._lower_is_better(met);
    SELECT count(*), avg(h.x), stddev_samp(h.x) INTO hcount, hmean, hsd
    FROM (SELECT (e.metrics->>met)::float8 AS x FROM modelmgr.evaluations e
          WHERE e.name = _monitor.model_name AND e.version = v AND e.id < (ev->>'evaluation_id')::bigint
            AND jsonb_typeof(e.metrics->met) = 'number') h;
    IF val IS NOT NULL THEN
        IF hcount >= st.min_history
           AND (CASE WHEN low THEN val - hmean ELSE hmean - val END) > st.k_sigma * coalesce(hsd, 0)
           AND abs(val - hmean) > 1e-12 * greatest(1, abs(hmean)) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_drop', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'mean', hmean, 'stddev', hsd,
                'k_sigma', st.k_sigma, 'history', hcount, 'evaluation_id', ev->'evaluation_id'));
        END IF;
        IF st.metric_floor IS NOT NULL AND (CASE WHEN low THEN val > st.metric_floor ELSE val < st.metric_floor END) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_floor', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'floor', st.metric_floor,
                'evaluation_id', ev->'evaluation_id'));
        END IF;
    END IF;
    IF coalesce((modelmgr.model_info(r.model)->>'has_baseline')::boolean, false) THEN
        dr := '[]';
        FOR d IN SELECT * FROM modelmgr._drift(model_name, source, src) LOOP
            dr := dr || jsonb_build_object('feature', d.feature, 'psi', d.psi, 'status', d.status);
            IF d.status = 'alert' THEN
                raised := raised || modelmgr._raise_alert(model_name, v, 'drift', jsonb_build_object(
                    'subject', d.feature, 'feature', d.feature, 'psi', d.psi, 'psi_alert', st.psi_alert));
            END IF;
        END LOOP;
    END IF;
    RETURN jsonb_build_object(
        'name', model_name, 'version', v,
        'status', CASE WHEN jsonb_array_length(raised) > 0 THEN 'alert' ELSE 'ok' END,
        'metric', met, 'value', val,
        'history', jsonb_build_object('evaluations', hcount, 'mean', hmean, 'stddev', hsd),
        'evaluation', ev, 'drift', dr, 'alerts', raised);
END $$;
COMMENT ON FUNCTION _monitor(text, text, text) IS 'internal: monitor() of a resolved source';
COMMENT ON FUNCTION monitor(text, text) IS
'evaluate() + drift() of the deployed version of model_name on a table, view or SELECT, and an anomaly check of the monitored metric against the version''s evaluation history (k_sigma) and floor; alerts are recorded in alerts and sent with NOTIFY modelmgr_alerts (JSON payload); returns a summary';

ALTER FUNCTION _prom_label(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION _prom_value(float8) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION prometheus_metrics() SET search_path = pg_catalog, pg_temp;

REVOKE INSERT, UPDATE, DELETE ON evaluations, drift_history, alerts FROM modelmgr_trainer;
ALTER TABLE monitor_settings OWNER TO modelmgr_owner;
ALTER TABLE evaluations OWNER TO modelmgr_owner;
ALTER TABLE drift_history OWNER TO modelmgr_owner;
ALTER TABLE alerts OWNER TO modelmgr_owner;
REVOKE EXECUTE ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text),
    _record_drift(text, int, text, float8, text, bigint, text), _raise_alert(text, int, text, jsonb),
    resolve_alerts(text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text),
    _record_drift(text, int, text, float8, text, bigint, text), _raise_alert(text, int, text, jsonb),
    resolve_alerts(text, text)
TO modelmgr_trainer;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'modelmgr._record_evaluation(text, int, bigint, jsonb, text)',
        'modelmgr._record_drift(text, int, text, float8, text, bigint, text)',
        'modelmgr._raise_alert(text, int, text, jsonb)', 'modelmgr.resolve_alerts(text, text)']::regprocedure[] LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO modelmgr_owner', f);
    END LOOP;
END $$;

-- Distributed training ------------------------------------------------------------------------

ALTER FUNCTION _shard_fn(regprocedure, text, int) SET search_path = pg_catalog, pg_temp;

-- The shard functions are the caller's code: they run with the caller's search_path (passed in
-- by the wrapper train_sharded below); everything else runs under the pinned one.
CREATE FUNCTION _train_sharded(model_name text, epoch_fn regprocedure, describe_fn regprocedure,
                               algorithm text, options jsonb, label text, features text[], source text,
                               caller_search_path text)
RETURNS models LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    opts jsonb := coalesce(_train_sharded.options, '{}');
    init_opts jsonb := '{}';
    k text;
    v jsonb;
    max_epochs int := 1000;
    tol float8 := 1e-3;
    n_iter_no_change int := 5;
    standardize boolean := true;
    do_deploy boolean := false;
    n_features int;
    epoch_call text;
    stats jsonb;
    model bytea;
    next bytea;
    shards bigint;
    info jsonb;
    loss float8;
    best_loss float8 := 'Infinity';
    no_improve int := 0;
    n_epoch int := 0;
    converged boolean := false;
    losses float8[] := '{}';
    n_rows float8;
    progress int := coalesce(nullif(current_setting('modelmgr.progress_every', true), ''), '1')::int;
    t0 timestamptz := clock_timestamp();
    facts jsonb;
BEGIN
    IF model_name IS NULL OR epoch_fn IS NULL OR algorithm IS NULL THEN
        RAISE EXCEPTION 'train_sharded: model_name, epoch_fn and algorithm must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(opts) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF algorithm NOT IN ('logistic_regression', 'multinomial_logistic_regression', 'linear_regression', 'svm') THEN
        RAISE EXCEPTION 'unknown algorithm "%"', algorithm USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use logistic_regression, linear_regression or svm; for exact least squares merge linreg_fit_partial states (README, Scaling).';
    END IF;

    -- the driver's options; the rest (learning_rate, eta0, power_t, batch_size, l1, l2,
    -- fit_intercept, classes, mean, scale) go to sgd_init, which checks them
    FOR k, v IN SELECT * FROM jsonb_each(opts) LOOP
        CASE k
        WHEN 'epochs', 'n_iter_no_change', 'n_features' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
               OR v::text::numeric < 1 OR v::text::numeric > 1000000 THEN
                RAISE EXCEPTION 'option "%" must be a positive integer', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            CASE k
            WHEN 'epochs' THEN max_epochs := v::text::int;
            WHEN 'n_iter_no_change' THEN n_iter_no_change := v::text::int;
            ELSE n_features := v::text::int;
            END CASE;
        WHEN 'tol' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::float8 < 0 THEN
                RAISE EXCEPTION 'option "tol" must be a number >= 0' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            tol := v::text::float8;
        WHEN 'standardize', 'auto_deploy' THEN
            IF jsonb_typeof(v) <> 'boolean' THEN
                RAISE EXCEPTION 'option "%" must be a boolean', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF k = 'standardize' THEN standardize := v::text::boolean; ELSE do_deploy := v::text::boolean; END IF;
        WHEN 'solver', 'shuffle', 'seed', 'early_stopping', 'validation_fraction', 'test_fraction',
             'class_weight', 'impute', 'mode' THEN
            RAISE EXCEPTION 'option "%" is not supported by train_sharded', k USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Each shard decides its rows, their order and their split in its epoch function.';
        ELSE
            init_opts := init_opts || jsonb_build_object(k, v);
        END CASE;
    END LOOP;

    epoch_call := format('SELECT modelmgr.sgd_epoch_merge(s), pg_catalog.count(s) FROM %s($1) s',
                         modelmgr._shard_fn(epoch_fn, 'epoch_fn', 1));

    -- standardisation from the shards' describe_partial states, merged exactly
    IF describe_fn IS NOT NULL THEN
        PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
        EXECUTE format('SELECT modelmgr.describe_merge(s) FROM %s() s', modelmgr._shard_fn(describe_fn, 'describe_fn', 0))
            INTO stats;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF stats IS NULL THEN
            RAISE EXCEPTION 'describe_fn returned no rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        IF n_features IS NOT NULL AND n_features <> jsonb_array_length(stats->'features') THEN
            RAISE EXCEPTION 'option "n_features" is %, but the shards have % features', n_features,
                            jsonb_array_length(stats->'features') USING ERRCODE = 'invalid_parameter_value';
        END IF;
        n_features := jsonb_array_length(stats->'features');
        IF standardize AND NOT init_opts ? 'mean' THEN
            IF EXISTS (SELECT 1 FROM jsonb_array_elements(stats->'features') f WHERE jsonb_typeof(f->'mean') <> 'number') THEN
                RAISE EXCEPTION 'a feature has no values on any shard' USING ERRCODE = 'data_exception';
            END IF;
            init_opts := init_opts || jsonb_build_object(
                'mean', (SELECT jsonb_agg(f->'mean' ORDER BY i) FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)),
                'scale', (SELECT jsonb_agg(CASE WHEN (f->>'std')::float8 > 0 THEN f->'std' ELSE '1' END ORDER BY i)
                          FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)));
        END IF;
    ELSIF n_features IS NULL THEN
        RAISE EXCEPTION 'train_sharded needs describe_fn or the "n_features" option' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'describe_fn returns describe_partial(x) from every shard; it also gives the standardisation.';
    ELSIF standardize AND NOT init_opts ? 'mean' THEN
        RAISE EXCEPTION 'standardisation needs describe_fn' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass describe_fn, "mean" and "scale", or {"standardize": false}.';
    END IF;

    model := modelmgr.sgd_init(algorithm, n_features, init_opts);

    -- epochs: every shard runs one sgd_epoch pass from the same model; the states are merged
    -- (rows-weighted average); scikit-learn's stopping rule on the mean training loss
    WHILE n_epoch < max_epochs LOOP
        n_epoch := n_epoch + 1;
        PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
        EXECUTE epoch_call INTO next, shards USING model;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF next IS NULL THEN
            RAISE EXCEPTION 'epoch_fn returned no training rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        model := next;
        info := modelmgr.model_info(model)->'training';
        loss := (info->>'epoch_loss')::float8;
        n_rows := (info->>'epoch_rows')::float8;
        losses := losses || loss;
        IF progress > 0 AND n_epoch % progress = 0 THEN
            RAISE NOTICE 'train_sharded "%": epoch %, loss %, % shards, % s', model_name, n_epoch, round(loss::numeric, 6),
                shards, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 3);
        END IF;
        IF loss > best_loss - tol THEN
            no_improve := no_improve + 1;
        ELSE
            no_improve := 0;
        END IF;
        best_loss := least(best_loss, loss);
        IF no_improve >= n_iter_no_change THEN
            next := CASE WHEN init_opts->>'learning_rate' = 'adaptive' THEN modelmgr._sgd_reduce_eta(model) END;
            IF next IS NULL THEN
                converged := true;
                EXIT;
            END IF;
            model := next;
            no_improve := 0;
        END IF;
    END LOOP;
    IF NOT converged THEN
        RAISE NOTICE 'train_sharded "%": stopped after % epochs without converging', model_name, n_epoch
            USING HINT = 'Raise "epochs" or "tol", or check the learning rate.';
    END IF;

    facts := jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch, 'converged', converged,
                                'seconds', extract(epoch FROM clock_timestamp() - t0),
                                'rows', jsonb_build_object('train', n_rows), 'shards', shards,
                                'standardized', init_opts ? 'mean', 'features', n_features,
                                'epoch_loss', to_jsonb(losses));
    model := modelmgr._sgd_publish(model, jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch,
                                                             'converged', converged, 'n_rows', n_rows,
                                                             'standardized', init_opts ? 'mean'),
                                   _train_sharded.features);
    RETURN modelmgr.register_model(model_name, model, source, label, _train_sharded.features, opts, '{}', facts, do_deploy,
                                   jsonb_build_object('sharded', jsonb_build_object('epoch_fn', epoch_fn::text,
                                                                                    'describe_fn', describe_fn::text)));
END $$;
COMMENT ON FUNCTION _train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text, text) IS
    'internal: train_sharded''s work, the shard functions called with the caller''s search_path';

CREATE OR REPLACE FUNCTION train_sharded(model_name text, epoch_fn regprocedure, describe_fn regprocedure DEFAULT NULL,
                              algorithm text DEFAULT 'logistic_regression', options jsonb DEFAULT '{}',
                              label text DEFAULT NULL, features text[] DEFAULT NULL, source text DEFAULT NULL)
RETURNS models LANGUAGE sql VOLATILE AS $$
    SELECT * FROM modelmgr._train_sharded(model_name, epoch_fn, describe_fn, algorithm, options, label, features,
                                          source, pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text) IS
    'trains an SGD model on data spread over shards: epoch_fn(model bytea) returns one sgd_epoch_partial state per shard (e.g. a PL/Proxy function RUN ON ALL), describe_fn() their describe_partial states; registers the result (see README, Scaling)';

GRANT EXECUTE ON FUNCTION _train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text, text) TO modelmgr_trainer;

-- Statistics (new in 0.2.0): multiclass log_loss, average_precision, describe's options,
-- spearman, corr_matrix(x, options); changed comments of log_loss and describe -------------

COMMENT ON FUNCTION log_loss_final(bytea) IS 'log_loss final: mean log loss -log p(true class) from a binary (prob = P(positive)) or multiclass (rows renormalised) log_loss state, probabilities clipped to [1e-15, 1 - 1e-15]';
COMMENT ON AGGREGATE log_loss_merge(bytea) IS 'combines log_loss_partial states (binary or multiclass, not mixed; NULLs ignored) and returns the mean log loss -log p(true class), probabilities clipped to [1e-15, 1 - 1e-15]';
-- average_precision
CREATE FUNCTION average_precision_sfunc(state bytea, score float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_average_precision_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_sfunc(bytea, float8, float8) IS 'average_precision transition: keeps one (score, 0/1 label) pair; actual must be 0 or 1';
CREATE FUNCTION average_precision_sfunc(state bytea, score float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_average_precision_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_sfunc(bytea, float8, boolean) IS 'average_precision transition: keeps one (score, boolean label) pair';
CREATE FUNCTION average_precision_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_average_precision_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_final(bytea) IS 'average_precision final: sum over distinct thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, no interpolation); NULL without positives from an average_precision state';
CREATE AGGREGATE average_precision(score float8, actual float8) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision(float8, float8) IS 'average precision: sum over distinct score thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, step-wise); NULL without positives (actual 0/1)';
CREATE AGGREGATE average_precision_partial(score float8, actual float8) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_partial(float8, float8) IS 'the exported state of average_precision(float8, float8) as bytea, for average_precision_merge';
CREATE AGGREGATE average_precision(score float8, actual boolean) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision(float8, boolean) IS 'average precision: sum over distinct score thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, step-wise); NULL without positives';
CREATE AGGREGATE average_precision_partial(score float8, actual boolean) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_partial(float8, boolean) IS 'the exported state of average_precision(float8, boolean) as bytea, for average_precision_merge';
CREATE AGGREGATE average_precision_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_merge(bytea) IS 'combines average_precision_partial states (NULLs ignored) and returns the average precision; NULL without positives';

-- multiclass log_loss: probabilities in the model's class order
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual integer) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_index' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], integer) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of class index actual (0-based); rows with a NULL are skipped and counted';
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual text, labels text[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], text, text[]) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of label actual, prob in the order of labels; rows with a NULL prob or actual are skipped and counted';
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual float8, labels float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_float' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], float8, float8[]) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of label actual, prob in the order of labels; rows with a NULL prob or actual are skipped and counted';
CREATE AGGREGATE log_loss(prob float8[], actual integer) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], integer) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; actual = the 0-based index of the true class in prob (a one-element prob is P(class 1) of two); NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual integer) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], integer) IS 'the exported state of log_loss(float8[], integer) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss(prob float8[], actual text, labels text[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], text, text[]) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; prob in the order of labels (the model''s classes), actual one of labels; NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual text, labels text[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], text, text[]) IS 'the exported state of log_loss(float8[], text, text[]) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss(prob float8[], actual float8, labels float8[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], float8, float8[]) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; prob in the order of labels (the model''s classes), actual one of labels; NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual float8, labels float8[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], float8, float8[]) IS 'the exported state of log_loss(float8[], float8, float8[]) as bytea, for log_loss_merge';
CREATE FUNCTION describe_sfunc(state bytea, x float8[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_sfunc(state bytea, x float8[], names text[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], jsonb) IS 'describe transition: adds one row; the options ({"quantiles": "auto" | "exact"}) are read on the first non-NULL row';
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], text[], jsonb) IS 'describe transition: adds one row; names and options are read on the first non-NULL row';
COMMENT ON FUNCTION describe_combine(bytea, bytea) IS 'describe combine: merges two partial describe states (Chan et al. for the moments; distinct-value tables and quantile sketches merged level by level)';
CREATE AGGREGATE describe(x float8[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe(x float8[], names text[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_partial(x float8[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_partial(x float8[], names text[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE describe(float8[]) IS 'per-feature count, nulls, mean, std (ddof=0), std_sample (ddof=1), min, max and p25/p50/p75 (exact type 7 up to 16384 distinct values, else from a quantile sketch with the rank error bound it reports) as jsonb; NULL over zero rows';
COMMENT ON AGGREGATE describe(float8[], jsonb) IS 'describe with options: {"quantiles": "exact"} keeps and sorts every value (exact type 7 quartiles; memory counted against modelmgr.train_memory_budget), "auto" is the default';
COMMENT ON AGGREGATE describe(float8[], text[], jsonb) IS 'describe with feature names and options';
COMMENT ON AGGREGATE describe_partial(float8[], jsonb) IS 'describe''s partial state with options (every partial state of one merge needs the same "quantiles" option)';
COMMENT ON AGGREGATE describe_partial(float8[], text[], jsonb) IS 'describe''s partial state with feature names and options';

CREATE FUNCTION spearman_sfunc(state bytea, x float8, y float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_spearman_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION spearman_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_spearman_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION spearman_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'mm_spearman_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spearman_sfunc(bytea, float8, float8) IS 'spearman transition: keeps one (x, y) pair (counted against modelmgr.train_memory_budget as the state grows); rows with a NULL are skipped and counted';
COMMENT ON FUNCTION spearman_combine(bytea, bytea) IS 'spearman combine: appends the pairs of one state to another; validates the incoming state';
COMMENT ON FUNCTION spearman_final(bytea) IS 'spearman final: Spearman''s rho, the Pearson correlation of average ranks (ties share the mean rank); NULL under 2 pairs or for a constant variable';

CREATE AGGREGATE spearman(x float8, y float8) (
    SFUNC = spearman_sfunc, STYPE = bytea, FINALFUNC = spearman_final,
    COMBINEFUNC = spearman_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE spearman(float8, float8) IS 'Spearman''s rank correlation of x and y (average ranks for ties, as scipy.stats.spearmanr and R cor(method = "spearman")); rows with a NULL are left out; NULL under 2 rows or for a constant variable';

CREATE FUNCTION corr_matrix_sfunc(state bytea, x float8[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_pairwise_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_pairwise_final(state bytea)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION corr_matrix_sfunc(bytea, float8[], jsonb) IS 'corr_matrix(x, options) transition: adds one row to the per-pair co-moments; options are read on the first non-NULL row; NULL arrays are skipped';
COMMENT ON FUNCTION corr_matrix_pairwise_combine(bytea, bytea) IS 'corr_matrix(x, options) combine: merges two per-pair co-moment states (Chan et al.); validates the incoming state';
COMMENT ON FUNCTION corr_matrix_pairwise_final(bytea) IS 'corr_matrix(x, options) final: the Pearson correlation matrix (d x d float8[][]), each entry over the rows where both features are present; NULL where undefined';

CREATE AGGREGATE corr_matrix(x float8[], options jsonb) (
    SFUNC = corr_matrix_sfunc, STYPE = bytea, FINALFUNC = corr_matrix_pairwise_final,
    COMBINEFUNC = corr_matrix_pairwise_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE corr_matrix(float8[], jsonb) IS 'Pearson correlation matrix (d x d float8[][], d <= 1000) with options {"nulls": "error" (default: a NULL element is an ERROR) | "pairwise" (each pair over the rows where both are present, R cor(use = "pairwise.complete.obs")) | "complete" (rows with a NULL element left out)}; NULL entries where fewer than 2 rows or a constant variable; NULL over zero rows';

-- Ownership and the installing role (runs last).
--
-- Views are owned by modelmgr_owner like the tables they read, so no view runs with the rights
-- of whoever ran CREATE EXTENSION (for a trusted install the bootstrap superuser owns every
-- object the script does not hand over).
--
-- The role that ran CREATE EXTENSION (pg_extension.extowner: for a trusted install, the
-- database owner) gets the privileges modelmgr_trainer and modelmgr_reader have on this
-- database's modelmgr objects, as object grants: they apply in this database only. Role
-- membership would apply in every database of the cluster where modelmgr is installed, so the
-- install never grants a role; an administrator does (see README, Security). The role name is
-- looked up in the catalog, never substituted into the script text.
DO $$
DECLARE
    owner_oid oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'modelmgr');
    grantees oid[] := ARRAY['modelmgr_trainer'::pg_catalog.regrole, 'modelmgr_reader'::pg_catalog.regrole]::oid[];
    r record;
BEGIN
    FOR r IN SELECT c.oid::pg_catalog.regclass AS v FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'modelmgr'::pg_catalog.regnamespace AND c.relkind = 'v' LOOP
        EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO modelmgr_owner', r.v);
    END LOOP;
    IF (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.oid = owner_oid) THEN
        RETURN;
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA modelmgr TO %I', pg_catalog.pg_get_userbyid(owner_oid));
    FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass AS obj, x.privilege_type AS priv
             FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) x
             WHERE c.relnamespace = 'modelmgr'::pg_catalog.regnamespace AND x.grantee = ANY (grantees) LOOP
        EXECUTE pg_catalog.format('GRANT %s ON TABLE %s TO %I', r.priv, r.obj, pg_catalog.pg_get_userbyid(owner_oid));
    END LOOP;
    FOR r IN SELECT DISTINCT p.oid::pg_catalog.regprocedure AS fn
             FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) x
             WHERE p.pronamespace = 'modelmgr'::pg_catalog.regnamespace AND x.grantee = ANY (grantees) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', r.fn, pg_catalog.pg_get_userbyid(owner_oid));
    END LOOP;
END $$;
