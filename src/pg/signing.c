/*
 * signing.c: Ed25519 model signatures (OpenSSL libcrypto) and the
 * modelmgr.require_signed_models policy.
 *
 * What is signed is defined in mm_model.h (signature section): the canonical unsigned model
 * bytes, prefixed by a domain tag and the signer's public key. The section carries the public
 * key; modelmgr.signing_keys says whether that key is trusted. Private keys are never stored:
 * generate_signing_key returns one once, sign_model takes one as an argument.
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "mm_pg.h"

bool		mm_require_signed_models = false;

void
mm_signing_define_gucs(void)
{
	DefineCustomBoolVariable("modelmgr.require_signed_models",
							 "Deploy, predict by name and import_model accept only models signed by a trusted key.",
							 "Keys are trusted in modelmgr.signing_keys; see modelmgr.sign_model().",
							 &mm_require_signed_models, false, PGC_SUSET, 0, NULL, NULL, NULL);
}

/* ERROR with OpenSSL's reason; the caller has freed its OpenSSL objects. */
static void
crypto_error(const char *what, unsigned long e)
{
	char		buf[256];

	if (e == 0)
		strlcpy(buf, "unknown error", sizeof(buf));
	else
		ERR_error_string_n(e, buf, sizeof(buf));
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("%s failed: %s", what, buf)));
}

/*
 * The raw 32-byte Ed25519 key in b, a private key (is_private) or a public one: 32 raw bytes,
 * DER (PKCS#8 for a private key, SubjectPublicKeyInfo for a public one) or PEM, as
 * `openssl genpkey -algorithm ed25519` (PEM; `-outform DER`) and `openssl pkey -pubout` write them.
 */
static void
key_raw(bytea *b, bool is_private, uint8 *out)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(b);
	size_t		len = VARSIZE_ANY_EXHDR(b);
	EVP_PKEY   *k = NULL;
	size_t		n = 32;
	bool		ok;

	StaticAssertStmt(MM_SIG_PUBKEY_LEN == 32, "Ed25519 keys are 32 bytes");
	if (len == 32)
	{
		memcpy(out, p, 32);
		return;
	}
	ERR_clear_error();
	if (len > 10 && memcmp(p, "-----BEGIN", 10) == 0)
	{
		BIO		   *bio = BIO_new_mem_buf(p, (int) Min(len, (size_t) INT_MAX));

		if (bio)
		{
			k = is_private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
				: PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
	}
	else
	{
		const unsigned char *q = p;
		long		l = (long) Min(len, (size_t) LONG_MAX);

		k = is_private ? d2i_AutoPrivateKey(NULL, &q, l) : d2i_PUBKEY(NULL, &q, l);
		if (k && q != p + len)
		{
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	ok = k && EVP_PKEY_id(k) == EVP_PKEY_ED25519 &&
		(is_private ? EVP_PKEY_get_raw_private_key(k, out, &n) : EVP_PKEY_get_raw_public_key(k, out, &n)) == 1 &&
		n == 32;
	EVP_PKEY_free(k);
	ERR_clear_error();
	if (!ok && is_private)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("private key is not an Ed25519 private key"),
				 errhint("Pass the 32 raw bytes from modelmgr.generate_signing_key(), or the PEM or DER "
						 "file written by openssl genpkey -algorithm ed25519.")));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("public key is not an Ed25519 public key"),
				 errhint("Pass 32 raw bytes, or the PEM or DER file written by openssl pkey -pubout.")));
}

/* The raw public key of a raw private key. */
static void
public_of_private(const uint8 *priv, uint8 *pub)
{
	EVP_PKEY   *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	size_t		n = MM_SIG_PUBKEY_LEN;
	bool		ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == MM_SIG_PUBKEY_LEN;

	EVP_PKEY_free(k);
	if (!ok)
		crypto_error("Ed25519 key derivation", ERR_get_error());
}

static bytea *
make_bytea(const void *p, size_t n)
{
	bytea	   *b = (bytea *) palloc(VARHDRSZ + n);

	SET_VARSIZE(b, VARHDRSZ + n);
	memcpy(VARDATA(b), p, n);
	return b;
}

static char *
hex_key(const uint8 *k)
{
	char	   *h = palloc(2 * MM_SIG_PUBKEY_LEN + 1);

	for (int i = 0; i < MM_SIG_PUBKEY_LEN; i++)
		snprintf(h + 2 * i, 3, "%02x", k[i]);
	return h;
}

/* Whether the signature section of the decoded model p verifies (false when unsigned). */
static bool
signature_verifies(const mm_model *m, const void *p, size_t len)
{
	size_t		mlen;
	uint8	   *msg;
	EVP_PKEY   *k;
	EVP_MD_CTX *ctx;
	bool		ok = false;

	if (!m->signature)
		return false;
	mlen = mm_model_signed_size(m, len);
	msg = palloc(mlen);
	mm_model_signed_message(m, p, len, m->signature, msg);
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, m->signature, MM_SIG_PUBKEY_LEN);
	ctx = EVP_MD_CTX_new();
	if (k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(ctx, m->signature + MM_SIG_PUBKEY_LEN, MM_SIG_LEN, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	ERR_clear_error();
	pfree(msg);
	return ok;
}

/*
 * Under modelmgr.require_signed_models, ERROR unless the decoded model p is signed, its
 * signature verifies and its key is trusted in nsp.signing_keys. The three refusals are
 * 42501 (insufficient_privilege): the policy withholds the right to deploy, predict with or
 * import a model whose origin a trusted key does not vouch for; a damaged model is already
 * refused by the decoder (XX001) before this runs. SPI must not be connected by the caller.
 */
void
mm_pg_require_signed(const mm_model *m, const void *p, size_t len, Oid nsp, const char *what)
{
	char	   *sql;
	Datum		arg;
	Oid			argtypes[1] = {BYTEAOID};
	int			ret;
	bool		trusted = false,
				known = false;
	char	   *key_id = NULL;

	if (!mm_require_signed_models)
		return;
	if (!m->signature)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refused: the model is not signed", what),
				 errdetail("modelmgr.require_signed_models is on."),
				 errhint("Sign it with modelmgr.sign_model(model, private_key) using a key trusted in modelmgr.signing_keys.")));
	if (!signature_verifies(m, p, len))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refused: the model's signature does not verify", what),
				 errdetail("The model was modified after it was signed, or the signature is forged."),
				 errhint("Re-sign the intended model with modelmgr.sign_model().")));

	arg = PointerGetDatum(make_bytea(m->signature, MM_SIG_PUBKEY_LEN));
	sql = psprintf("SELECT key_id, trusted FROM %s.signing_keys WHERE public_key OPERATOR(pg_catalog.=) $1",
				   quote_identifier(get_namespace_name(nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(sql, 1, argtypes, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "signing key lookup failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		t = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		known = true;
		trusted = !isnull && DatumGetBool(t);
		key_id = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	}
	SPI_finish();
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refused: the model is signed by an unknown key", what),
				 errdetail("Its public key is %s.", hex_key(m->signature)),
				 errhint("A superuser or modelmgr_signer can add the key with modelmgr.add_signing_key().")));
	if (!trusted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s refused: the model is signed by key \"%s\", which is not trusted", what, key_id),
				 errhint("A superuser or modelmgr_signer can trust it with modelmgr.trust_signing_key('%s').", key_id)));
}

/* _require_signed(model bytea, what text): the policy check for SQL entry points. */
PG_FUNCTION_INFO_V1(mm_require_signed);
Datum
mm_require_signed(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	mm_model   *m;

	if (!mm_require_signed_models || PG_ARGISNULL(0))
		PG_RETURN_VOID();
	b = PG_GETARG_BYTEA_PP(0);
	m = mm_pg_decode_model(b, CurrentMemoryContext);
	mm_pg_require_signed(m, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
						 get_func_namespace(fcinfo->flinfo->fn_oid),
						 PG_ARGISNULL(1) ? "model" : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/* sign_model(model bytea, private_key bytea) -> bytea: the model with a (new) signature section. */
PG_FUNCTION_INFO_V1(mm_sign_model);
Datum
mm_sign_model(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const uint8 *p = (const uint8 *) VARDATA_ANY(b);
	size_t		len = VARSIZE_ANY_EXHDR(b);
	mm_model   *m = mm_pg_decode_model(b, CurrentMemoryContext);
	uint8		priv[32],
				pub[MM_SIG_PUBKEY_LEN],
				sig[MM_SIG_LEN];
	size_t		mlen,
				ulen,
				siglen = MM_SIG_LEN;
	uint8	   *msg;
	EVP_PKEY   *k;
	EVP_MD_CTX *ctx;
	bool		ok;
	bytea	   *out;

	key_raw(PG_GETARG_BYTEA_PP(1), true, priv);
	public_of_private(priv, pub);
	mlen = mm_model_signed_size(m, len);
	ulen = mlen - MM_SIG_DOMAIN_LEN - MM_SIG_PUBKEY_LEN;
	if (ulen + 8 + MM_SIG_SECTION_LEN > UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model is too large to sign")));
	msg = palloc(mlen);
	mm_model_signed_message(m, p, len, pub, msg);

	ERR_clear_error();
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, sizeof(priv));
	explicit_bzero(priv, sizeof(priv));
	ctx = EVP_MD_CTX_new();
	ok = k && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
		EVP_DigestSign(ctx, sig, &siglen, msg, mlen) == 1 && siglen == MM_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	if (!ok)
		crypto_error("Ed25519 signing", ERR_get_error());

	out = (bytea *) palloc(VARHDRSZ + ulen + 8 + MM_SIG_SECTION_LEN);
	SET_VARSIZE(out, VARHDRSZ + ulen + 8 + MM_SIG_SECTION_LEN);
	mm_model_attach_signature(msg + MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN, ulen, pub, sig,
							  (uint8 *) VARDATA(out));
	pfree(msg);
	PG_RETURN_BYTEA_P(out);
}

/* _generate_private_key() -> bytea: 32 fresh raw Ed25519 private key bytes. */
PG_FUNCTION_INFO_V1(mm_generate_private_key);
Datum
mm_generate_private_key(PG_FUNCTION_ARGS)
{
	EVP_PKEY   *k = NULL;
	EVP_PKEY_CTX *ctx;
	uint8		priv[32];
	size_t		n = sizeof(priv);
	bool		ok;
	bytea	   *out;

	ERR_clear_error();
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1 &&
		EVP_PKEY_get_raw_private_key(k, priv, &n) == 1 && n == sizeof(priv);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		crypto_error("Ed25519 key generation", ERR_get_error());
	out = make_bytea(priv, sizeof(priv));
	explicit_bzero(priv, sizeof(priv));
	PG_RETURN_BYTEA_P(out);
}

/* signing_public_key(key bytea, is_private boolean) -> bytea: the raw public key of a private or public key. */
PG_FUNCTION_INFO_V1(mm_signing_public_key);
Datum
mm_signing_public_key(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	uint8		pub[MM_SIG_PUBKEY_LEN];
	bool		is_private = PG_GETARG_BOOL(1);

	if (is_private)
	{
		uint8		priv[32];

		key_raw(b, true, priv);
		public_of_private(priv, pub);
		explicit_bzero(priv, sizeof(priv));
	}
	else
		key_raw(b, false, pub);
	PG_RETURN_BYTEA_P(make_bytea(pub, sizeof(pub)));
}

/*
 * _model_signature(model bytea) -> (public_key bytea, valid boolean): the signature section's
 * key and whether the signature verifies; no row for an unsigned model.
 */
PG_FUNCTION_INFO_V1(mm_model_signature);
Datum
mm_model_signature(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	mm_model   *m = mm_pg_decode_model(b, CurrentMemoryContext);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (!m->signature)
		PG_RETURN_NULL();
	values[0] = PointerGetDatum(make_bytea(m->signature, MM_SIG_PUBKEY_LEN));
	values[1] = BoolGetDatum(signature_verifies(m, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* For model_info: {"public_key": hex, "valid": bool}, or nothing for an unsigned model. */
void
mm_pg_append_signature_json(StringInfo s, const mm_model *m, const void *p, size_t len)
{
	if (!m->signature)
		return;
	appendStringInfo(s, ", \"signature\": {\"public_key\": \"%s\", \"valid\": %s}", hex_key(m->signature),
					 signature_verifies(m, p, len) ? "true" : "false");
}
