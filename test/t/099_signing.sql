-- Model signing: Ed25519 keys, sign_model, model_info/model_signature, and
-- modelmgr.require_signed_models at deploy, predict by name and import; who may sign.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(61);

-- CRC-32C (Castagnoli, reflected), to forge a model whose checksum is right again after a
-- byte was flipped: what an attacker who edits a model does, so that only the signature can
-- tell.
CREATE FUNCTION pg_temp.crc32c(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    crc bigint := 4294967295;
BEGIN
    FOR i IN 0 .. length(b) - 1 LOOP
        crc := crc # get_byte(b, i);
        FOR k IN 1 .. 8 LOOP
            IF crc & 1 = 1 THEN crc := (crc >> 1) # 2197175160; ELSE crc := crc >> 1; END IF;
        END LOOP;
    END LOOP;
    RETURN crc # 4294967295;
END $$;
-- flips byte pos (0-based) and rewrites the header CRC (bytes 36..39, little-endian)
CREATE FUNCTION pg_temp.tamper(m bytea, pos int) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t bytea := set_byte(m, pos, get_byte(m, pos) # 1);
    c bigint;
BEGIN
    c := pg_temp.crc32c(substr(t, 1, 36) || substr(t, 41));
    FOR i IN 0 .. 3 LOOP
        t := set_byte(t, 36 + i, ((c >> (8 * i)) & 255)::int);
    END LOOP;
    RETURN t;
END $$;

CREATE TEMP TABLE m AS SELECT modelmgr.linreg_fit(x, target) AS unsigned FROM diabetes;
CREATE TEMP TABLE k AS SELECT modelmgr.generate_signing_key('k1', comment => 'test key') AS priv;
CREATE TEMP TABLE x1 AS SELECT x FROM diabetes LIMIT 1;

SELECT is(octet_length((SELECT priv FROM k)), 32, 'generate_signing_key returns a 32-byte private key');
SELECT is((SELECT trusted FROM modelmgr.signing_keys WHERE key_id = 'k1'), true, 'its public key is registered, trusted');
SELECT is((SELECT public_key FROM modelmgr.signing_keys WHERE key_id = 'k1'),
          modelmgr.signing_public_key((SELECT priv FROM k)), 'the registered key is the private key''s public key');

ALTER TABLE m ADD COLUMN signed bytea;
UPDATE m SET signed = modelmgr.sign_model(unsigned, (SELECT priv FROM k));
SELECT is(octet_length(signed), octet_length(unsigned) + 104, 'signing appends a 104-byte signature section') FROM m;
SELECT is(modelmgr.model_info(signed)->'signature'->>'valid', 'true', 'model_info reports a valid signature') FROM m;
SELECT is(modelmgr.model_info(signed)->'signature'->>'public_key',
          encode((SELECT public_key FROM modelmgr.signing_keys WHERE key_id = 'k1'), 'hex'),
          'model_info names the signing key') FROM m;
SELECT is(modelmgr.model_info(unsigned) ? 'signature', false, 'an unsigned model has no signature in model_info') FROM m;
SELECT results_eq($$SELECT s.signed, s.key_id, s.valid, s.trusted FROM m, modelmgr.model_signature(m.signed) s$$,
                  $$VALUES (true, 'k1'::text, true, true)$$, 'model_signature: signed by trusted k1, valid');
SELECT results_eq($$SELECT s.signed, s.key_id, s.valid, s.trusted FROM m, modelmgr.model_signature(m.unsigned) s$$,
                  $$VALUES (false, NULL::text, NULL::boolean, false)$$, 'model_signature of an unsigned model');
SELECT is(modelmgr.predict(signed, x), modelmgr.predict(unsigned, x), 'a signed model predicts as before') FROM m, x1;
SELECT is(modelmgr.sign_model(modelmgr.sign_model(unsigned, (SELECT priv FROM k)), (SELECT priv FROM k)), signed,
          're-signing replaces the signature (Ed25519 is deterministic: same bytes)') FROM m;
SELECT is(modelmgr.model_info(pg_temp.tamper(signed, 60))->'signature'->>'valid', 'false',
          'model_info: a model changed after signing has an invalid signature') FROM m;
SELECT throws_ok($$SELECT modelmgr.sign_model(unsigned, '\x0102'::bytea) FROM m$$, '22023',
                 'private key is not an Ed25519 private key', 'a malformed private key is refused');
SELECT throws_ok($$SELECT modelmgr.sign_model('\x00'::bytea, (SELECT priv FROM k))$$, 'XX001', NULL,
                 'signing a non-model is refused');

-- a second key, registered but not trusted; a third key nobody registered
CREATE TEMP TABLE k2 AS SELECT modelmgr._generate_private_key() AS priv, modelmgr._generate_private_key() AS priv3;
SELECT is(modelmgr.add_signing_key('k2', modelmgr.signing_public_key((SELECT priv FROM k2)), trusted => false),
          'k2', 'add_signing_key registers an untrusted key');
CREATE TEMP TABLE v AS
SELECT 'signed'::text AS what, modelmgr.sign_model(unsigned, (SELECT priv FROM k)) AS model FROM m
UNION ALL SELECT 'unsigned', unsigned FROM m
UNION ALL SELECT 'tampered body', pg_temp.tamper(signed, 60) FROM m
UNION ALL SELECT 'tampered signature', pg_temp.tamper(signed, octet_length(signed) - 1) FROM m
UNION ALL SELECT 'tampered key', pg_temp.tamper(signed, octet_length(signed) - 70) FROM m
UNION ALL SELECT 'k2', modelmgr.sign_model(signed, (SELECT priv FROM k2)) FROM m
UNION ALL SELECT 'k3', modelmgr.sign_model(unsigned, (SELECT priv3 FROM k2)) FROM m;
SELECT throws_ok($$SELECT modelmgr.register_model('bad', set_byte(signed, 60, get_byte(signed, 60) # 1)) FROM m$$,
                 'XX001', NULL, 'a flipped byte without a fixed checksum is refused by the decoder anyway');

-- everything registers; with the setting off everything deploys
SELECT is((modelmgr.register_model('sg_' || replace(what, ' ', '_'), model)).version, 1, 'registered ' || what)
FROM v ORDER BY what;
SELECT is(modelmgr.deploy('sg_unsigned'), 1, 'with require_signed_models off an unsigned model deploys');

SET LOCAL modelmgr.require_signed_models = on;
SELECT is(modelmgr.deploy('sg_signed'), 1, 'on: a model signed by a trusted key deploys');
SELECT is(modelmgr.predict('sg_signed', x), modelmgr.predict(unsigned, x), 'on: predict by name of it works') FROM m, x1;
SELECT is((modelmgr.register_model('sg_unsigned', unsigned)).version, 2, 'on: an unsigned model still registers') FROM m;
SELECT throws_ok($$SELECT modelmgr.deploy('sg_unsigned', 2)$$, '42501', NULL, 'on: an unsigned model is refused at deploy');
SELECT throws_ok($$SELECT modelmgr.deploy('sg_unsigned')$$, '42501', 'deploy refused: the model is not signed',
                 'on: the refusal says why');
SELECT throws_ok($$SELECT modelmgr.predict('sg_unsigned', x) FROM x1$$, '42501',
                 'predict by name refused: the model is not signed',
                 'on: predict by name of an unsigned model deployed earlier is refused');
SELECT throws_ok(format($$SELECT modelmgr.deploy('sg_%s')$$, replace(what, ' ', '_')), '42501',
                 'deploy refused: the model''s signature does not verify', 'on: ' || what || ': refused')
FROM v WHERE what LIKE 'tampered%' ORDER BY what;
SELECT throws_ok($$SELECT modelmgr.deploy('sg_k2')$$, '42501',
                 'deploy refused: the model is signed by key "k2", which is not trusted',
                 'on: re-signed with a key that is not trusted: refused');
SELECT throws_ok($$SELECT modelmgr.deploy('sg_k3')$$, '42501',
                 'deploy refused: the model is signed by an unknown key', 'on: signed by an unknown key: refused');
SELECT is(modelmgr.trust_signing_key('k2'), true, 'trust_signing_key');
SELECT is(modelmgr.deploy('sg_k2'), 1, 'on: re-signed with the now trusted key: deploys');
SELECT is(modelmgr.predict('sg_k2', x), modelmgr.predict(unsigned, x), 'on: and predicts by name') FROM m, x1;

-- import: the signature travels in the export document
CREATE TEMP TABLE docs AS
SELECT modelmgr.export_model('sg_signed') AS signed, modelmgr.export_model('sg_unsigned', 1) AS unsigned,
       modelmgr.export_model('sg_tampered_body', 1) AS tampered;
SELECT is(modelmgr.import_model('sg_imported', signed), 1, 'on: a signed model imports') FROM docs;
SELECT is(modelmgr.model('sg_imported', 1), (SELECT model FROM v WHERE what = 'signed'),
          'import keeps the signed bytes, signature included');
SELECT results_eq($$SELECT key_id, valid FROM modelmgr.model_signature(modelmgr.model('sg_imported', 1))$$,
                  $$VALUES ('k1'::text, true)$$, 'the imported model''s signature verifies');
SELECT throws_ok($$SELECT modelmgr.import_model('sg_imported', unsigned) FROM docs$$, '42501',
                 'import refused: the model is not signed', 'on: an unsigned model does not import');
SELECT throws_ok($$SELECT modelmgr.import_model('sg_imported', tampered) FROM docs$$, '42501',
                 'import refused: the model''s signature does not verify', 'on: a tampered (re-hashed) model does not import');

-- revoking a key
SELECT is(modelmgr.revoke_signing_key('k1'), false, 'revoke_signing_key');
SELECT throws_ok($$SELECT modelmgr.predict('sg_signed', x) FROM x1$$, '42501',
                 'predict by name refused: the model is signed by key "k1", which is not trusted',
                 'on: predict by name of a model signed by a revoked key is refused');
SELECT throws_ok($$SELECT modelmgr.import_model('sg_imported', signed) FROM docs$$, '42501',
                 'import refused: the model is signed by key "k1", which is not trusted', 'on: nor does it import');
SELECT throws_ok($$SELECT modelmgr.trust_signing_key('nope')$$, '42704', NULL, 'trusting an unknown key id is an error');

-- who may sign: superuser or modelmgr_signer
RESET modelmgr.require_signed_models;
CREATE ROLE mmtest_sign_trainer NOLOGIN IN ROLE modelmgr_trainer;
CREATE ROLE mmtest_sign_signer NOLOGIN IN ROLE modelmgr_signer, modelmgr_reader;
GRANT SELECT ON m, k, v TO mmtest_sign_trainer, mmtest_sign_signer;
SET LOCAL ROLE mmtest_sign_trainer;
SELECT throws_ok($$SELECT modelmgr.sign_model(unsigned, (SELECT priv FROM k)) FROM m$$, '42501', NULL,
                 'a trainer cannot sign');
SELECT throws_ok($$SELECT modelmgr.trust_signing_key('k1')$$, '42501', NULL, 'a trainer cannot trust keys');
SELECT throws_ok($$SELECT modelmgr.generate_signing_key('mine')$$, '42501', NULL, 'a trainer cannot add keys');
SELECT throws_ok($$UPDATE modelmgr.signing_keys SET trusted = true$$, '42501', NULL, 'a trainer cannot write the key table');
SELECT throws_ok($$SET modelmgr.require_signed_models = off$$, '42501', NULL, 'a trainer cannot turn the setting off');
RESET ROLE;
SET LOCAL ROLE mmtest_sign_signer;
SELECT is(modelmgr.sign_model(unsigned, (SELECT priv FROM k)), (SELECT model FROM v WHERE what = 'signed'),
          'modelmgr_signer can sign') FROM m;
SELECT is(modelmgr.trust_signing_key('k1'), true, 'modelmgr_signer can trust keys');
RESET ROLE;

-- Keys as openssl writes them (a test key pair made with openssl genpkey -algorithm ed25519):
-- PEM and DER forms give the same raw keys as the raw bytes.
CREATE TEMP TABLE ossl AS SELECT
    '\xbca84974a75701aed31df1f8b6b619cdcd3a854023089c0a45f9ea8e542a78b3'::bytea AS priv_raw,
    '\x302e020100300506032b657004220420bca84974a75701aed31df1f8b6b619cdcd3a854023089c0a45f9ea8e542a78b3'::bytea AS priv_der,
    convert_to(E'-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILyoSXSnVwGu0x3x+La2Gc3NOoVAIwicCkX56o5UKniz\n-----END PRIVATE KEY-----\n', 'UTF8') AS priv_pem,
    '\xeb9b83d132d92697034d3d4388ad95df2f3a1f7e6cd2537ed8e7300e1b7299f7'::bytea AS pub_raw,
    '\x302a300506032b6570032100eb9b83d132d92697034d3d4388ad95df2f3a1f7e6cd2537ed8e7300e1b7299f7'::bytea AS pub_der,
    convert_to(E'-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA65uD0TLZJpcDTT1DiK2V3y86H35s0lN+2OcwDhtymfc=\n-----END PUBLIC KEY-----\n', 'UTF8') AS pub_pem;
SELECT is(modelmgr.signing_public_key(priv_raw), pub_raw, 'the public key of a raw private key is openssl''s') FROM ossl;
SELECT is(modelmgr.signing_public_key(priv_der), pub_raw, 'a PKCS#8 DER private key is read') FROM ossl;
SELECT is(modelmgr.signing_public_key(priv_pem), pub_raw, 'a PEM private key is read') FROM ossl;
SELECT is(modelmgr.signing_public_key(pub_der, false), pub_raw, 'a DER public key is read') FROM ossl;
SELECT is(modelmgr.signing_public_key(pub_pem, false), pub_raw, 'a PEM public key is read') FROM ossl;
SELECT throws_ok($$SELECT modelmgr.signing_public_key(pub_pem, true) FROM ossl$$, '22023', 'private key is not an Ed25519 private key',
    'a public key given as a private key is refused');
SELECT throws_ok($$SELECT modelmgr.signing_public_key(priv_der, false) FROM ossl$$, '22023', 'public key is not an Ed25519 public key',
    'a private key given as a public key is refused');

SELECT * FROM finish();
ROLLBACK;
