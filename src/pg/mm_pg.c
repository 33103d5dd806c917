/*
 * mm_pg.c: shared binding helpers (see mm_pg.h) and the module's entry point.
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/detoast.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_largeobject_metadata.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/varlena.h"
#include "utils/memutils.h"
#include "common/hashfn.h"

#include "mm_pg.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Sources are read with transaction_read_only on, which refuses INSERT, UPDATE, DELETE, DDL,
 * nextval and setval, but not large object creation or removal (lo_import, lo_create,
 * lo_from_bytea, lo_unlink): while modelmgr.reading_source is on as well (set by train() and by
 * the helpers evaluate() and drift() run the source through), this hook refuses those too.
 */
bool		mm_reading_source = false;
static object_access_hook_type prev_object_access_hook = NULL;

static void
mm_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (mm_reading_source && XactReadOnly && (access == OAT_POST_CREATE || access == OAT_DROP) &&
		(classId == LargeObjectRelationId || classId == LargeObjectMetadataRelationId))
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot %s a large object while modelmgr reads a source",
						access == OAT_DROP ? "remove" : "create"),
				 errdetail("modelmgr reads training and evaluation sources read-only.")));
}

void
_PG_init(void)
{
	mm_train_define_gucs();
	DefineCustomBoolVariable("modelmgr.reading_source",
							 "Internal: on while modelmgr reads a source (large objects are refused then).",
							 NULL, &mm_reading_source, false, PGC_USERSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, NULL, NULL, NULL);
	mm_signing_define_gucs();
	MarkGUCPrefixReserved("modelmgr");
	prev_object_access_hook = object_access_hook;
	object_access_hook = mm_object_access;
}

int			mm_memory_budget_kb = 512 * 1024;

/* bytes counted in this backend (the sum of every live charge) */
static Size mem_used = 0;

static void
mem_charge_release(void *arg)
{
	mm_mem_charge *ch = (mm_mem_charge *) arg;

	Assert(mem_used >= ch->bytes);
	mem_used -= ch->bytes;
	ch->bytes = 0;
}

static inline Size
mem_limit(void)
{
	return (Size) mm_memory_budget_kb * 1024;
}

bool
mm_pg_mem_fits(Size more)
{
	Size		lim = mem_limit();

	return mem_used <= lim && more <= lim - mem_used;
}

void
mm_pg_mem_error(Size more, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("%s would exceed modelmgr.train_memory_budget", what),
			 errdetail("The request is for %zu kB; %zu kB of the budget of %d kB are in use.",
					   (more + 1023) / 1024, (mem_used + 1023) / 1024, mm_memory_budget_kb),
			 errhint("%s", hint ? hint : "Use fewer rows or features, or ask a superuser to raise modelmgr.train_memory_budget (ALTER ROLE ... SET sets it for one role).")));
	pg_unreachable();
}

mm_mem_charge *
mm_pg_mem_charge(MemoryContext cxt, Size bytes, const char *what)
{
	mm_mem_charge *ch;

	if (!mm_pg_mem_fits(bytes))
		mm_pg_mem_error(bytes, what, NULL);
	ch = MemoryContextAllocZero(cxt, sizeof(mm_mem_charge));
	ch->cb.func = mem_charge_release;
	ch->cb.arg = ch;
	MemoryContextRegisterResetCallback(cxt, &ch->cb);
	ch->bytes = bytes;
	mem_used += bytes;
	return ch;
}

void
mm_pg_mem_resize(mm_mem_charge *ch, Size bytes, const char *what)
{
	if (bytes > ch->bytes && !mm_pg_mem_fits(bytes - ch->bytes))
		mm_pg_mem_error(bytes - ch->bytes, what, NULL);
	mem_used = mem_used - ch->bytes + bytes;
	ch->bytes = bytes;
}

void *
mm_pg_mem_alloc(MemoryContext cxt, Size size, int flags, const char *what)
{
	void	   *p;

	if (size >= MM_PG_MEM_COUNTED)
		(void) mm_pg_mem_charge(cxt, size, what);
	p = MemoryContextAllocExtended(cxt, size, flags | MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu for %s.", size, what)));
	return p;
}

static void *
pg_alloc_cb(void *ctx, size_t size)
{
	if (size > MaxAllocSize)
		return NULL;
	if (size >= MM_PG_MEM_COUNTED)
		(void) mm_pg_mem_charge((MemoryContext) ctx, size, "modelmgr working memory");
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_NO_OOM | MCXT_ALLOC_ZERO);
}

mm_alloc
mm_pg_allocator(MemoryContext cxt)
{
	mm_alloc	a = {pg_alloc_cb, cxt};

	return a;
}

void
mm_pg_raise(const mm_err *err)
{
	int			code;

	switch (err->status)
	{
		case MM_EINVAL:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case MM_ECORRUPT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		case MM_ENOMEM:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case MM_ESYSTEM:
			code = ERRCODE_SYSTEM_ERROR;
			break;
		case MM_ERANK:
		case MM_EDATA:
		case MM_EMISMATCH:
		default:
			code = ERRCODE_DATA_EXCEPTION;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", err->msg),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->status == MM_ERANK ? errhint("Remove collinear or constant features, or add ridge regularisation with the \"l2\" option.") : 0));
	pg_unreachable();
}

double *
mm_pg_features(ArrayType *a, int *n, const char *what)
{
	double	   *v;
	int			len;

	mm_pg_prefetch_next_tuple(a);
	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "%s must be float8[]", what);
	if (ARR_NDIM(a) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must not be empty", what)));
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be a one-dimensional array", what)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what),
				 errhint("Impute missing values first, or train with the \"impute\" option.")));
	len = ARR_DIMS(a)[0];
	v = (double *) ARR_DATA_PTR(a);
	mm_pg_check_all_finite(v, len, what);
	*n = len;
	return v;
}

void
mm_pg_check_all_finite(const double *v, int len, const char *what)
{
	/* one branch-free pass, then find the culprit */
	if (unlikely(!mm_all_finite(v, (size_t) len)))
		for (int i = 0; i < len; i++)
			if (isinf(v[i]) || isnan(v[i]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s must contain only finite values", what),
						 errdetail("Element %d is %s.", i + 1, isnan(v[i]) ? "NaN" : "infinite")));
}

void
mm_pg_check_finite(double v, const char *what)
{
	if (unlikely(isinf(v) || isnan(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be finite", what),
				 errdetail("The value is %s.", isnan(v) ? "NaN" : "infinite")));
}

bytea *
mm_pg_encode_model(const mm_model *m)
{
	mm_err		err = {0};
	size_t		size = mm_model_encoded_size(m, &err);
	bytea	   *b;

	if (size == 0)
		mm_pg_raise(&err);
	b = (bytea *) palloc(VARHDRSZ + size);
	SET_VARSIZE(b, VARHDRSZ + size);
	if (mm_model_encode(m, (uint8_t *) VARDATA(b), size, &err) != MM_OK)
		mm_pg_raise(&err);
	return b;
}

mm_model *
mm_pg_decode_model(bytea *b, MemoryContext cxt)
{
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(cxt);
	mm_model   *m;

	if (mm_model_decode(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &a, &m, &err) != MM_OK)
	{
		if (err.status == MM_ENOMEM)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory decoding a model")));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model: %s", err.msg),
				 errhint("The bytea is not a model written by this version of modelmgr, or it was damaged.")));
	}
	return m;
}

typedef struct model_cache
{
	MemoryContext cxt;
	mm_model   *model;
	Size		len;
	uint32		checksum;
	bool		have_toast;
	struct varatt_external toast;
} model_cache;

mm_model *
mm_pg_cached_model(FunctionCallInfo fcinfo, int argno)
{
	model_cache *c = (model_cache *) fcinfo->flinfo->fn_extra;
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	bool		is_toast = VARATT_IS_EXTERNAL_ONDISK(raw);
	bytea	   *b;
	Size		len;
	uint32		crc = 0;
	bytea	   *copy;

	if (is_toast)
	{
		VARATT_EXTERNAL_GET_POINTER(toast, raw);
		if (c && c->model && c->have_toast &&
			toast.va_valueid == c->toast.va_valueid &&
			toast.va_toastrelid == c->toast.va_toastrelid &&
			toast.va_rawsize == c->toast.va_rawsize)
			return c->model;
	}
	b = PG_GETARG_BYTEA_PP(argno);
	len = VARSIZE_ANY_EXHDR(b);
	if (len >= MM_MODEL_HDRSZ)
		crc = mm_load_u32((const uint8 *) VARDATA_ANY(b) + MM_MODEL_CRC_OFFSET);
	if (c && c->model && c->len == len && c->checksum == crc)
	{
		if (is_toast)
		{
			c->toast = toast;
			c->have_toast = true;
		}
		return c->model;
	}
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(model_cache));
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "modelmgr model cache", ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	c->model = NULL;
	MemoryContextReset(c->cxt);
	/* the decoded model points into its bytes, so the cache keeps its own copy */
	copy = (bytea *) MemoryContextAlloc(c->cxt, VARHDRSZ + len);
	SET_VARSIZE(copy, VARHDRSZ + len);
	memcpy(VARDATA(copy), VARDATA_ANY(b), len);
	c->model = mm_pg_decode_model(copy, c->cxt);
	c->len = len;
	c->checksum = crc;
	c->have_toast = is_toast;
	if (is_toast)
		c->toast = toast;
	return c->model;
}

void
mm_pg_each_option(Jsonb *opts, mm_opt_cb cb, void *arg)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (opts == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object")));
	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			cb(arg, key, &v);
	}
}

static const char *
jsonb_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		default:
			return "an object or array";
	}
}

double
mm_pg_opt_number(const char *key, JsonbValue *v, double lo, double hi)
{
	double		d;

	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number, not %s", key, jsonb_type_name(v))));
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!(d >= lo && d <= hi))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is out of range", key),
				 errdetail("The value must be between %g and %g.", lo, hi)));
	return d;
}

bool
mm_pg_opt_bool(const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a boolean, not %s", key, jsonb_type_name(v))));
	return v->val.boolean;
}

char *
mm_pg_opt_string(const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string, not %s", key, jsonb_type_name(v))));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

void
mm_pg_unknown_option(const char *key, const char *context)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown option \"%s\" for %s", key, context)));
}

bytea *
mm_pg_copy_state(bytea *src, MemoryContext cxt)
{
	Size		len = VARSIZE_ANY_EXHDR(src);
	bytea	   *dst = (bytea *) MemoryContextAlloc(cxt, VARHDRSZ + len);

	SET_VARSIZE(dst, VARHDRSZ + len);
	memcpy(VARDATA(dst), VARDATA_ANY(src), len);
	return dst;
}

#define MM_SEAL_MAGIC	0x53504D4Du	/* "MMPS" */
#define MM_SEAL_HDRSZ	8

bytea *
mm_pg_seal_state(bytea *state)
{
	Size		len = VARSIZE_ANY_EXHDR(state);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + MM_SEAL_HDRSZ + len);
	uint8	   *p = (uint8 *) VARDATA(out);

	SET_VARSIZE(out, VARHDRSZ + MM_SEAL_HDRSZ + len);
	mm_store_u32(p, MM_SEAL_MAGIC);
	mm_store_u32(p + 4, mm_crc32c(0, VARDATA_ANY(state), len));
	memcpy(p + MM_SEAL_HDRSZ, VARDATA_ANY(state), len);
	return out;
}

bytea *
mm_pg_unseal_state(bytea *b, const char *what)
{
	Size		len = VARSIZE_ANY_EXHDR(b);
	const uint8 *p = (const uint8 *) VARDATA_ANY(b);
	bytea	   *out;

	if (len < MM_SEAL_HDRSZ || mm_load_u32(p) != MM_SEAL_MAGIC)
		return b;
	if (mm_crc32c(0, p + MM_SEAL_HDRSZ, len - MM_SEAL_HDRSZ) != mm_load_u32(p + 4))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s state is corrupted: its checksum does not match", what),
				 errhint("The state changed after its *_partial aggregate returned it; produce it again.")));
	out = (bytea *) palloc(VARHDRSZ + len - MM_SEAL_HDRSZ);
	SET_VARSIZE(out, VARHDRSZ + len - MM_SEAL_HDRSZ);
	memcpy(VARDATA(out), p + MM_SEAL_HDRSZ, len - MM_SEAL_HDRSZ);
	return out;
}

/* The final function of the *_partial aggregates (but the metrics'): the state, sealed. */
PG_FUNCTION_INFO_V1(mm_seal_state);
Datum
mm_seal_state(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(mm_pg_seal_state(PG_GETARG_BYTEA_PP(0)));
}

bytea *
mm_pg_own_state(bytea *st, size_t hdrsz, MemoryContext cxt)
{
	if (VARATT_IS_4B_U(st) && ((uintptr_t) VARDATA(st) + hdrsz) % sizeof(double) == 0)
		return st;
	return mm_pg_copy_state(st, cxt);
}

/* The set of state addresses a call site returned (simplehash, keyed by the address). */
typedef struct mm_seen_entry
{
	uintptr_t	key;
	char		status;
} mm_seen_entry;

#define SH_PREFIX		mm_seen
#define SH_ELEMENT_TYPE mm_seen_entry
#define SH_KEY_TYPE		uintptr_t
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) murmurhash32((uint32) ((uint64) (k) >> 3) ^ (uint32) ((uint64) (k) >> 35))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

bool
mm_pg_memo_known_slow(const mm_pg_memo *m, const void *st)
{
	return m->seen != NULL && mm_seen_lookup((mm_seen_hash *) m->seen, (uintptr_t) st) != NULL;
}

void
mm_pg_memo_note_slow(FunctionCallInfo fcinfo, mm_pg_memo *m, const void *st)
{
	bool		found;

	if (m->seen == NULL)
		m->seen = mm_seen_create(fcinfo->flinfo->fn_mcxt, 16, NULL);
	(void) mm_seen_insert((mm_seen_hash *) m->seen, (uintptr_t) st, &found);
	m->last = st;
}

mm_pg_memo *
mm_pg_memo_get(FunctionCallInfo fcinfo)
{
	if (unlikely(fcinfo->flinfo->fn_extra == NULL))
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(mm_pg_memo));
	return (mm_pg_memo *) fcinfo->flinfo->fn_extra;
}

bytea *
mm_pg_trans_state(bytea *in, size_t hdrsz, MemoryContext cxt, const mm_pg_memo *memo,
				  mm_state_validate_fn check, mm_state_validate_fn validate)
{
	bytea	   *st = mm_pg_own_state(in, hdrsz, cxt);
	const uint8 *p = (const uint8 *) VARDATA(st);
	size_t		size = VARSIZE(st) - VARHDRSZ;
	mm_err		err;			/* set by a check when it fails (not zeroed: rows are hot) */

	if (unlikely(check(p, size, &err) != MM_OK))
		mm_pg_raise(&err);
	if (unlikely(!mm_pg_memo_known(memo, st)) && validate(p, size, &err) != MM_OK)
		mm_pg_raise(&err);
	return st;
}

bool
mm_pg_combine_begin(FunctionCallInfo fcinfo, const char *fname, mm_state_validate_fn validate,
					size_t hdrsz, bytea **a, bytea **b, Datum *result)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, fname);
	mm_err		err = {0};

	if (PG_ARGISNULL(1))
	{
		*result = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
		return false;
	}
	*b = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(1), fname);
	if (validate((const uint8 *) VARDATA_ANY(*b), VARSIZE_ANY_EXHDR(*b), &err) != MM_OK)
		mm_pg_raise(&err);
	if (PG_ARGISNULL(0))
	{
		*result = PointerGetDatum(mm_pg_copy_state(*b, aggcxt));
		return false;
	}
	*a = PG_GETARG_BYTEA_PP(0);
	if (validate((const uint8 *) VARDATA_ANY(*a), VARSIZE_ANY_EXHDR(*a), &err) != MM_OK)
		mm_pg_raise(&err);
	*a = mm_pg_own_state(*a, hdrsz, aggcxt);
	return true;
}

MemoryContext
mm_pg_state_context(FunctionCallInfo fcinfo, const char *fname)
{
	(void) mm_pg_agg_context(fcinfo, fname);
	return CurrentMemoryContext;
}

MemoryContext
mm_pg_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s support functions can only be called by an aggregate", fname)));
	return aggcxt;
}

#define MM_MAX_OUTPUTS_STACK 64

const double *
mm_pg_model_input(const mm_model *m, ArrayType *xa)
{
	int			n;

	if (unlikely(ARR_NDIM(xa) != 1 || ARR_ELEMTYPE(xa) != FLOAT8OID ||
				 (ARR_HASNULL(xa) && array_contains_nulls(xa))))
		(void) mm_pg_features(xa, &n, "feature array");		/* raises the right error */
	n = ARR_DIMS(xa)[0];
	if (unlikely((uint32) n != m->n_features))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature array has %d elements, but the model expects %u", n, m->n_features)));
	mm_pg_prefetch_next_tuple(xa);
	return (const double *) ARR_DATA_PTR(xa);
}

Datum
mm_pg_predict(const mm_model *m, const double *x, mm_pred_kind kind, ArrayType *xa)
{
	double		scores[MM_MAX_OUTPUTS_STACK];

	if (unlikely(m->n_outputs > MM_MAX_OUTPUTS_STACK))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("models with more than %d classes are not supported for prediction", MM_MAX_OUTPUTS_STACK)));
	mm_model_scores(m, x, scores);
	for (uint32 k = 0; k < m->n_outputs; k++)
		if (unlikely(isinf(scores[k]) || isnan(scores[k])))
		{
			int			n;

			if (xa)
				(void) mm_pg_features(xa, &n, "feature array");	/* names the non-finite element */
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("prediction is not finite"),
					 errdetail("The features are too large for this model's weights.")));
		}
	return mm_pg_predict_scored(m, scores, kind);
}

Datum
mm_pg_predict_scored(const mm_model *m, const double *scores, mm_pred_kind kind)
{
	double		proba[MM_MAX_OUTPUTS_STACK];
	Datum		elems[MM_MAX_OUTPUTS_STACK];

	switch (kind)
	{
		case MM_PRED_VALUE:
			if (m->algorithm == MM_ALG_LINREG)
				return Float8GetDatum(scores[0]);
			if (m->flags & MM_FLAG_TEXT_LABELS)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("model has text class labels, so predict() cannot return a number"),
						 errhint("Use predict_label() for the class name.")));
			return Float8GetDatum(m->class_values[mm_model_class_index(m, scores)]);
		case MM_PRED_LABEL:
			if (m->algorithm == MM_ALG_LINREG)
				return PointerGetDatum(cstring_to_text(float8out_internal(scores[0])));
			return PointerGetDatum(cstring_to_text(m->class_names[mm_model_class_index(m, scores)]));
		case MM_PRED_PROBA:
			if (m->algorithm == MM_ALG_LINREG)
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("predict_proba() needs a classifier, but this is a regression model")));
			mm_model_proba(m, scores, proba);
			for (uint32 k = 0; k < m->n_classes; k++)
				elems[k] = Float8GetDatum(proba[k]);
			return PointerGetDatum(construct_array(elems, (int) m->n_classes, FLOAT8OID, sizeof(float8),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	pg_unreachable();
}

/*
 * Whether the source is a (possibly qualified, possibly quoted) name, by the same grammar
 * stringToQualifiedNameList uses.
 */
static bool
is_relation_name(const char *s)
{
	char	   *copy = pstrdup(s);
	List	   *names = NIL;
	bool		ok = SplitIdentifierString(copy, '.', &names) && names != NIL && list_length(names) <= 3;

	list_free(names);
	pfree(copy);
	return ok;
}

/*
 * Whether the text's first token (after white space and opening parentheses) is the keyword
 * SELECT, WITH, VALUES or TABLE: a whole word, as the SQL scanner reads it, so that names such
 * as withdrawals, selected, tablet or values_2024 never start a query.
 */
static bool
starts_with_query_keyword(const char *s)
{
	static const char *const kw[] = {"select", "with", "values", "table"};

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '(')
		s++;
	for (int i = 0; i < lengthof(kw); i++)
	{
		size_t		n = strlen(kw[i]);
		unsigned char next = (unsigned char) s[n];

		if (pg_strncasecmp(s, kw[i], n) == 0 &&
			!(isalnum(next) || next == '_' || next == '$' || next >= 0x80))
			return true;
	}
	return false;
}

/*
 * Returns SQL for the source usable as "FROM <src> AS s": a relation name resolved to its OID
 * and quoted again, or a single SELECT statement in parentheses.
 */
char *
mm_pg_resolve_source(const char *source)
{
	if (!is_relation_name(source) && !starts_with_query_keyword(source))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("source \"%s\" is neither a table or view name nor a query", source),
				 errhint("Pass a table or view name (optionally schema-qualified) or a single SELECT, WITH, VALUES or TABLE query.")));
	if (!is_relation_name(source))
	{
		List	   *stmts = raw_parser(source, RAW_PARSE_DEFAULT);
		RawStmt    *rs;

		if (list_length(stmts) != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("source must be a single query")));
		rs = linitial_node(RawStmt, stmts);
		if (!IsA(rs->stmt, SelectStmt) || ((SelectStmt *) rs->stmt)->intoClause != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("source query must be a plain SELECT")));

		/*
		 * The query's names are resolved here, with the caller's search_path, and the query is
		 * printed back with every name that is not in pg_catalog schema-qualified (printed under
		 * the search_path the extension's SQL runs with). The text that runs later therefore
		 * means what the caller wrote, whatever search_path is in effect by then.
		 */
		{
			Query	   *q;
			int			nest;
			char	   *sql;

			/* still an ERROR (42601) when the text would not stand inside parentheses */
			(void) raw_parser(psprintf("SELECT 1 FROM (%s) AS s", source), RAW_PARSE_DEFAULT);
			q = parse_analyze_fixedparams(rs, source, NULL, 0, NULL);

			nest = NewGUCNestLevel();
			(void) set_config_option("search_path", MM_PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			sql = pg_get_querydef(q, false);
			AtEOXact_GUC(true, nest);
			return psprintf("(%s)", sql);
		}
	}
	else
	{
		List	   *names = stringToQualifiedNameList(source);
		RangeVar   *rv = makeRangeVarFromNameList(names);
		Oid			relid = RangeVarGetRelid(rv, AccessShareLock, true);
		char		kind;

		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("source \"%s\" is not a table, view or query", source),
					 errhint("Pass a table or view name (optionally schema-qualified) or a SELECT query.")));
		kind = get_rel_relkind(relid);
		if (kind != RELKIND_RELATION && kind != RELKIND_VIEW && kind != RELKIND_MATVIEW &&
			kind != RELKIND_FOREIGN_TABLE && kind != RELKIND_PARTITIONED_TABLE)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("source \"%s\" is not a table or view", source)));
		return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
	}
}
