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
