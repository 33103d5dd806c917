/*
 * metrics.c: metric aggregates (accuracy ... r2, roc_auc, curves), their exported partial
 * states (<metric>_partial / <metric>_merge) and helpers over those states.
 *
 * Every aggregate has a bytea state (see mm_metrics.h) and the generic metric_combine as
 * COMBINEFUNC. A state that must grow is rebuilt in the current (per-call) memory context
 * and returned: the executor copies a returned state that is not its input into the
 * aggregate context and frees the old one, so repalloc'ing the old state in place would
 * free it twice.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "mm_metrics.h"
#include "mm_pg.h"

#define STATE(b) ((uint8 *) VARDATA(b))

static void
raise_state_error(const mm_err *err)
{
	if (err->status == MM_EMISMATCH)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s", err->msg),
				 errhint("Merge only states made by the same metric aggregate with the same arguments.")));
	if (err->status == MM_ECORRUPT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid metric state: %s", err->msg),
				 errhint("The bytea is not a state written by a modelmgr *_partial aggregate of this version, or it was damaged.")));
	mm_pg_raise(err);
}

static bytea *
alloc_state(MemoryContext cxt, Size size)
{
	bytea	   *st;

	if (size == 0 || size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("metric state would exceed the maximum allocation size")));
	st = (bytea *) mm_pg_mem_alloc(cxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "a metric state");
	SET_VARSIZE(st, VARHDRSZ + size);
	return st;
}

static bytea *
new_state(MemoryContext aggcxt, int kind, uint32 flags, double positive, const void *pb, uint32 plen)
{
	mm_mt_caps	caps;
	bytea	   *st;

	mm_mt_initial_caps(kind, &caps);
	st = alloc_state(aggcxt, mm_mt_state_size(kind, flags, plen, &caps));
	mm_mt_init(STATE(st), VARSIZE(st) - VARHDRSZ, kind, flags, positive, pb, plen, &caps);
	return st;
}

/* A copy of st with other capacities, in the current memory context (the executor adopts it). */
static bytea *
resize_state(bytea *st, const mm_mt_caps *caps)
{
	bytea	   *dst = alloc_state(CurrentMemoryContext, mm_mt_size_for(STATE(st), caps));

	mm_mt_relayout(STATE(st), STATE(dst), VARSIZE(dst) - VARHDRSZ, caps);
	return dst;
}

/* Grows a state that a row did not fit in. */
static bytea *
grow_state(bytea *st, uint32 need)
{
	mm_mt_caps	caps;
	mm_err		err = {0};

	if (mm_mt_grow_caps(STATE(st), need, &caps, &err) != MM_OK)
		mm_pg_raise(&err);
	return resize_state(st, &caps);
}

/*
 * The transition state in argument 0, writable in place: our own states always have a
 * 4-byte header; anything else is copied. The O(1) shape check keeps a foreign state (a
 * user aggregate reusing our functions with an INITCOND) from causing out-of-bounds access.
 */
static bytea *
own_state(FunctionCallInfo fcinfo, int kind, int text, const mm_pg_memo *last)
{
	bytea	   *st = (bytea *) PG_GETARG_POINTER(0);
	mm_err		err;			/* set by the check when it fails (not zeroed: rows are hot) */

	if (!VARATT_IS_4B_U(st))
		st = (bytea *) pg_detoast_datum_copy((struct varlena *) st);
	if (mm_mt_check_shape(STATE(st), VARSIZE(st) - VARHDRSZ, kind, text, &err) != MM_OK)
		raise_state_error(&err);
	/* a state this call site did not return last: validated completely */
	if (last && unlikely(!mm_pg_memo_known(last, st)) &&
		mm_mt_validate(STATE(st), VARSIZE(st) - VARHDRSZ, &err) != MM_OK)
		raise_state_error(&err);
	return st;
}

/* fn_extra of the class transitions: the shape memo and the state the call site returned last. */
typedef struct class_memo
{
	mm_cm_memo	m;
	mm_pg_memo	seen;			/* the states this call site returned */
} class_memo;

/*
 * Where a new state is allocated: the calling context, as mm_pg_state_context explains (the
 * metric's name is looked up only to report a call outside an aggregate).
 */
static inline MemoryContext
agg_context(FunctionCallInfo fcinfo, int kind)
{
	if (unlikely(!AggCheckCallContext(fcinfo, NULL)))
		(void) mm_pg_agg_context(fcinfo, mm_metric_name(kind));
	return CurrentMemoryContext;
}

static inline double
finite_arg(FunctionCallInfo fcinfo, int argno, int kind, const char *what)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (unlikely(isnan(v) || isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: %s must be finite, not %s", mm_metric_name(kind), what,
						isnan(v) ? "NaN" : "infinity")));
	return v;
}

/* 0/1 label: a boolean, or a float8 that must be 0 or 1. */
static inline int
binary_label(FunctionCallInfo fcinfo, int argno, bool is_bool, int kind)
{
	double		v;

	if (is_bool)
		return PG_GETARG_BOOL(argno) ? 1 : 0;
	v = PG_GETARG_FLOAT8(argno);
	if (v == 1.0)
		return 1;
	if (v == 0.0)
		return 0;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: actual must be 0 or 1, got %g", mm_metric_name(kind), v),
			 errhint("Map the labels to 0 (negative) and 1 (positive), or pass a boolean.")));
	pg_unreachable();
}

/*
 * The class state in argument 0, writable in place, checked against the call site's memo:
 * O(1) per row while the state keeps the shape last checked here (our own states do until
 * they grow), mm_mt_check_shape otherwise (a foreign state: a user aggregate reusing our
 * functions with an INITCOND, or another group's state).
 */
static pg_attribute_always_inline bytea *
class_state(FunctionCallInfo fcinfo, class_memo *cmemo, int kind, bool is_text)
{
	bytea	   *st = (bytea *) PG_GETARG_POINTER(0);
	mm_cm_memo *memo = &cmemo->m;

	if (unlikely(!VARATT_IS_4B_U(st)))
		st = (bytea *) pg_detoast_datum_copy((struct varlena *) st);
	if (unlikely(!mm_cm_memo_match(memo, STATE(st), VARSIZE(st) - VARHDRSZ)))
	{
		mm_err		err;

		if (mm_cm_memo_check(memo, STATE(st), VARSIZE(st) - VARHDRSZ, kind, is_text, &err) != MM_OK)
			raise_state_error(&err);
	}
	/* a state this call site did not return last: validated completely */
	if (unlikely(!mm_pg_memo_known(&cmemo->seen, st)))
	{
		mm_err		err;

		if (mm_mt_validate(STATE(st), VARSIZE(st) - VARHDRSZ, &err) != MM_OK)
			raise_state_error(&err);
	}
	return st;
}

/* Records the shape of a state this function made (new or grown) in the memo. */
static void
class_remember(bytea *st, mm_cm_memo *memo, int kind, bool is_text)
{
	mm_err		err;

	if (mm_cm_memo_check(memo, STATE(st), VARSIZE(st) - VARHDRSZ, kind, is_text, &err) != MM_OK)
		raise_state_error(&err);
}

static Datum
class_sfunc(FunctionCallInfo fcinfo, int kind, bool is_text)
{
	MemoryContext aggcxt = agg_context(fcinfo, kind);
	class_memo *cmemo = (class_memo *) fcinfo->flinfo->fn_extra;
	mm_cm_memo *memo;
	bytea	   *st;

	if (unlikely(cmemo == NULL))
	{
		cmemo = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(class_memo));
		fcinfo->flinfo->fn_extra = cmemo;
	}
	memo = &cmemo->m;
	if (PG_ARGISNULL(0))
	{
		uint32		flags = is_text ? MM_MT_TEXT : 0;
		double		pos = 0;
		const void *pb = NULL;
		uint32		plen = 0;

		if (mm_metric_binary(kind) && !is_text)
		{
			flags |= MM_MT_HAS_POSITIVE;
			pos = 1.0;
		}
		if (mm_metric_binary(kind) && PG_NARGS() > 3)
		{
			if (PG_ARGISNULL(3))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s: positive must not be NULL", mm_metric_name(kind))));
			flags |= MM_MT_HAS_POSITIVE;
			if (is_text)
			{
				text	   *t = PG_GETARG_TEXT_PP(3);

				pb = VARDATA_ANY(t);
				plen = VARSIZE_ANY_EXHDR(t);
			}
			else
				pos = finite_arg(fcinfo, 3, kind, "positive");
		}
		st = new_state(aggcxt, kind, flags, pos, pb, plen);
		class_remember(st, memo, kind, is_text);
	}
	else
		st = class_state(fcinfo, cmemo, kind, is_text);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		mm_mt_skip(STATE(st));
	else if (!is_text)
	{
		double		p = finite_arg(fcinfo, 1, kind, "predicted"),
					a = finite_arg(fcinfo, 2, kind, "actual");

		while (unlikely(!mm_cm_add_f64_memo(STATE(st), memo, p, a)))
		{
			st = grow_state(st, 0);
			class_remember(st, memo, kind, is_text);
		}
	}
	else
	{
		text	   *p = PG_GETARG_TEXT_PP(1),
				   *a = PG_GETARG_TEXT_PP(2);
		uint32		plen = VARSIZE_ANY_EXHDR(p),
					alen = VARSIZE_ANY_EXHDR(a);

		while (unlikely(!mm_cm_add_text_memo(STATE(st), memo, VARDATA_ANY(p), plen, VARDATA_ANY(a), alen)))
		{
			st = grow_state(st, plen + alen);
			class_remember(st, memo, kind, is_text);
		}
	}
	mm_pg_memo_note(fcinfo, &cmemo->seen, st);
	PG_RETURN_BYTEA_P(st);
}

static Datum
pairs_sfunc(FunctionCallInfo fcinfo, int kind, bool is_bool)
{
	MemoryContext aggcxt = agg_context(fcinfo, kind);
	bytea	   *st;
	mm_pg_memo *last = mm_pg_memo_get(fcinfo);

	if (PG_ARGISNULL(0))
		st = new_state(aggcxt, kind, 0, 0, NULL, 0);
	else
		st = own_state(fcinfo, kind, 0, last);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		mm_mt_skip(STATE(st));
	else
	{
		double		s = finite_arg(fcinfo, 1, kind, "score");
		int			y = binary_label(fcinfo, 2, is_bool, kind);

		while (!mm_pairs_add(STATE(st), s, y))
			st = grow_state(st, 0);
	}
	mm_pg_memo_note(fcinfo, last, st);
	PG_RETURN_BYTEA_P(st);
}

static Datum
moments_sfunc(FunctionCallInfo fcinfo, int kind, bool is_bool)
{
	MemoryContext aggcxt = agg_context(fcinfo, kind);
	bytea	   *st;
	mm_pg_memo *last = mm_pg_memo_get(fcinfo);

	if (PG_ARGISNULL(0))
		st = new_state(aggcxt, kind, 0, 0, NULL, 0);
	else
		st = own_state(fcinfo, kind, 0, last);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		mm_mt_skip(STATE(st));
	else if (kind == MM_MK_LOG_LOSS)
	{
		double		p = finite_arg(fcinfo, 1, kind, "probability");
		int			y = binary_label(fcinfo, 2, is_bool, kind);

		if (p < 0 || p > 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("log_loss: probability must be between 0 and 1, got %g", p)));
		mm_logloss_add(STATE(st), p, y);
	}
	else
	{
		double		p = finite_arg(fcinfo, 1, kind, "predicted"),
					a = finite_arg(fcinfo, 2, kind, "actual");

		mm_moments_add(STATE(st), p, a);
	}
	mm_pg_memo_note(fcinfo, last, st);
	PG_RETURN_BYTEA_P(st);
}

/* Transition functions: one C entry point per metric and input type (the kind goes into the state). */
#define CLASS_SFUNCS(name, kind) \
	PG_FUNCTION_INFO_V1(mm_##name##_sfunc); \
	Datum mm_##name##_sfunc(PG_FUNCTION_ARGS) { return class_sfunc(fcinfo, kind, false); } \
	PG_FUNCTION_INFO_V1(mm_##name##_sfunc_text); \
	Datum mm_##name##_sfunc_text(PG_FUNCTION_ARGS) { return class_sfunc(fcinfo, kind, true); }
#define PAIRS_SFUNCS(name, kind) \
	PG_FUNCTION_INFO_V1(mm_##name##_sfunc); \
	Datum mm_##name##_sfunc(PG_FUNCTION_ARGS) { return pairs_sfunc(fcinfo, kind, false); } \
	PG_FUNCTION_INFO_V1(mm_##name##_sfunc_bool); \
	Datum mm_##name##_sfunc_bool(PG_FUNCTION_ARGS) { return pairs_sfunc(fcinfo, kind, true); }
#define MOMENTS_SFUNC(name, kind) \
	PG_FUNCTION_INFO_V1(mm_##name##_sfunc); \
	Datum mm_##name##_sfunc(PG_FUNCTION_ARGS) { return moments_sfunc(fcinfo, kind, false); }

/* Transition: counts a (predicted, actual) label pair for accuracy (float8 / text labels). */
CLASS_SFUNCS(accuracy, MM_MK_ACCURACY)
/* Transition: counts a label pair for binary precision. */
CLASS_SFUNCS(precision, MM_MK_PRECISION)
/* Transition: counts a label pair for binary recall. */
CLASS_SFUNCS(recall, MM_MK_RECALL)
/* Transition: counts a label pair for binary f1. */
CLASS_SFUNCS(f1, MM_MK_F1)
/* Transition: counts a label pair for macro-averaged precision. */
CLASS_SFUNCS(precision_macro, MM_MK_PRECISION_MACRO)
/* Transition: counts a label pair for macro-averaged recall. */
CLASS_SFUNCS(recall_macro, MM_MK_RECALL_MACRO)
/* Transition: counts a label pair for macro-averaged f1. */
CLASS_SFUNCS(f1_macro, MM_MK_F1_MACRO)
/* Transition: counts a label pair for support-weighted precision. */
CLASS_SFUNCS(precision_weighted, MM_MK_PRECISION_WEIGHTED)
/* Transition: counts a label pair for support-weighted recall. */
CLASS_SFUNCS(recall_weighted, MM_MK_RECALL_WEIGHTED)
/* Transition: counts a label pair for support-weighted f1. */
CLASS_SFUNCS(f1_weighted, MM_MK_F1_WEIGHTED)
/* Transition: counts a label pair for the confusion matrix. */
CLASS_SFUNCS(confusion_matrix, MM_MK_CONFUSION)
/* Transition: keeps a (score, 0/1 label) pair for roc_auc (float8 / boolean labels). */
PAIRS_SFUNCS(roc_auc, MM_MK_ROC_AUC)
/* Transition: keeps a (score, label) pair for roc_curve. */
PAIRS_SFUNCS(roc_curve, MM_MK_ROC_CURVE)
/* Transition: keeps a (score, label) pair for pr_curve. */
PAIRS_SFUNCS(pr_curve, MM_MK_PR_CURVE)
/* Transition: keeps a (score, label) pair for average_precision. */
PAIRS_SFUNCS(average_precision, MM_MK_AVG_PRECISION)
/* Transition: accumulates (predicted, actual) for mse. */
MOMENTS_SFUNC(mse, MM_MK_MSE)
/* Transition: accumulates (predicted, actual) for rmse. */
MOMENTS_SFUNC(rmse, MM_MK_RMSE)
/* Transition: accumulates (predicted, actual) for mae. */
MOMENTS_SFUNC(mae, MM_MK_MAE)
/* Transition: accumulates (predicted, actual) for r2 (Welford moments of actual). */
MOMENTS_SFUNC(r2, MM_MK_R2)

/* Transition: accumulates -log p(true class) for log_loss (actual float8 0/1). */
PG_FUNCTION_INFO_V1(mm_log_loss_sfunc);
Datum
mm_log_loss_sfunc(PG_FUNCTION_ARGS)
{
	return moments_sfunc(fcinfo, MM_MK_LOG_LOSS, false);
}

/* Transition: accumulates -log p(true class) for log_loss (actual boolean). */
PG_FUNCTION_INFO_V1(mm_log_loss_sfunc_bool);
Datum
mm_log_loss_sfunc_bool(PG_FUNCTION_ARGS)
{
	return moments_sfunc(fcinfo, MM_MK_LOG_LOSS, true);
}

/*
 * Multiclass log_loss. fn_extra: the states this call site returned and the class labels
 * (argument 3) as last parsed, with the raw bytes of the datum they came from: a row whose
 * labels datum has the same bytes (a constant: every row) reuses them in O(size).
 */
typedef struct mll_cache
{
	mm_pg_memo	seen;
	char	   *raw;			/* raw bytes of the labels datum (a TOAST pointer stays one) */
	Size		rawlen;
	int			nlabels;
	char	  **names;			/* text labels */
	uint32	   *lens;
	double	   *values;			/* float8 labels */
	uint64		fp;
} mll_cache;

static void
mll_parse_labels(FunctionCallInfo fcinfo, mll_cache *c, bool is_text)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	Datum		raw = PG_GETARG_DATUM(3);
	ArrayType  *a = DatumGetArrayTypeP(raw);
	Datum	   *el;
	bool	   *nulls;
	int			n;
	const void **ptrs;

	if (ARR_NDIM(a) != 1 || ARR_ELEMTYPE(a) != (is_text ? TEXTOID : FLOAT8OID))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("log_loss: labels must be a one-dimensional array")));
	deconstruct_array(a, is_text ? TEXTOID : FLOAT8OID, is_text ? -1 : 8, is_text ? false : FLOAT8PASSBYVAL,
					  is_text ? TYPALIGN_INT : TYPALIGN_DOUBLE, &el, &nulls, &n);
	if (n < 2 || n > MM_MT_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_loss: labels must name 2 to %d classes, got %d", MM_MT_MAX_CLASSES, n),
				 errhint("Pass the model's classes in its probability order, e.g. the classes column of modelmgr.models.")));
	if (c->names)
		pfree(c->names);
	if (c->lens)
		pfree(c->lens);
	if (c->values)
		pfree(c->values);
	if (c->raw)
		pfree(c->raw);
	c->names = NULL;
	c->values = NULL;
	c->lens = palloc(sizeof(uint32) * n);
	ptrs = palloc(sizeof(void *) * n);
	if (is_text)
		c->names = palloc(sizeof(char *) * n);
	else
		c->values = palloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("log_loss: labels must not contain NULL")));
		if (is_text)
		{
			text	   *t = DatumGetTextPP(el[i]);

			c->lens[i] = VARSIZE_ANY_EXHDR(t);
			c->names[i] = palloc(c->lens[i] + 1);
			memcpy(c->names[i], VARDATA_ANY(t), c->lens[i]);
			c->names[i][c->lens[i]] = '\0';
			ptrs[i] = c->names[i];
		}
		else
		{
			c->values[i] = DatumGetFloat8(el[i]) + 0.0;
			if (isnan(c->values[i]) || isinf(c->values[i]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log_loss: labels must be finite")));
			c->lens[i] = 8;
			ptrs[i] = &c->values[i];
		}
		for (int j = 0; j < i; j++)
			if (is_text ? (c->lens[j] == c->lens[i] && memcmp(c->names[j], c->names[i], c->lens[i]) == 0)
				: c->values[j] == c->values[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("log_loss: labels must be distinct"),
						 errdetail("Labels %d and %d are equal.", j + 1, i + 1)));
	}
	c->nlabels = n;
	c->fp = mm_mll_fingerprint(is_text ? 1 : 2, (uint32) n, ptrs, c->lens);
	pfree(ptrs);
	c->rawlen = VARSIZE_ANY(DatumGetPointer(raw));
	c->raw = palloc(c->rawlen);
	memcpy(c->raw, DatumGetPointer(raw), c->rawlen);
	MemoryContextSwitchTo(old);
}

/* form: 0 = the true class as a 0-based index (int), 1 = text label, 2 = float8 label; both with labels. */
static Datum
mll_sfunc(FunctionCallInfo fcinfo, int form)
{
	MemoryContext aggcxt = agg_context(fcinfo, MM_MK_LOG_LOSS_MULTI);
	mll_cache  *c = (mll_cache *) fcinfo->flinfo->fn_extra;
	bytea	   *st;
	uint64		fp = 0;
	int			k;
	const double *p;
	int64		truth = -1;

	if (unlikely(c == NULL))
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(mll_cache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (PG_ARGISNULL(0))
		st = new_state(aggcxt, MM_MK_LOG_LOSS_MULTI, 0, 0, NULL, 0);
	else
		st = own_state(fcinfo, MM_MK_LOG_LOSS_MULTI, 0, &c->seen);
	if (form != 0)
	{
		Pointer		raw;

		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("log_loss: labels must not be NULL"),
					 errhint("Pass the model's classes in its probability order.")));
		raw = DatumGetPointer(PG_GETARG_DATUM(3));
		if (c->raw == NULL || VARSIZE_ANY(raw) != c->rawlen || memcmp(raw, c->raw, c->rawlen) != 0)
			mll_parse_labels(fcinfo, c, form == 1);
		fp = c->fp;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		mm_mt_skip(STATE(st));
	else
	{
		ArrayType  *pa = PG_GETARG_ARRAYTYPE_P(1);

		p = mm_pg_features(pa, &k, "log_loss probability array");
		if (k > MM_MT_MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("log_loss supports at most %d classes, got %d probabilities", MM_MT_MAX_CLASSES, k)));
		for (int i = 0; i < k; i++)
			if (p[i] < 0 || p[i] > 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log_loss: probability must be between 0 and 1, got %g", p[i]),
						 errdetail("Element %d of the probability array.", i + 1)));
		if (form != 0 && !(k == c->nlabels || (k == 1 && c->nlabels == 2)))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("log_loss: %d probabilities for %d labels", k, c->nlabels),
					 errhint("The probability array needs one entry per label, in the labels' order (or one entry, P(second label), for two).")));
		if (form == 0)
		{
			int32		t = PG_GETARG_INT32(2);

			if (t < 0 || t >= (k < 2 ? 2 : k))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log_loss: class index %d is out of range for %d probabilities", t, k),
						 errhint("actual is the 0-based index of the true class in the probability array.")));
			truth = t;
		}
		else if (form == 1)
		{
			text	   *a = PG_GETARG_TEXT_PP(2);
			uint32		len = VARSIZE_ANY_EXHDR(a);

			for (int i = 0; i < c->nlabels && truth < 0; i++)
				if (c->lens[i] == len && memcmp(c->names[i], VARDATA_ANY(a), len) == 0)
					truth = i;
			if (truth < 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log_loss: actual \"%s\" is not among the labels", text_to_cstring(a)),
						 errhint("labels must list every class, in the order of the probability array.")));
		}
		else
		{
			double		a = finite_arg(fcinfo, 2, MM_MK_LOG_LOSS_MULTI, "actual");

			for (int i = 0; i < c->nlabels && truth < 0; i++)
				if (c->values[i] == a)
					truth = i;
			if (truth < 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log_loss: actual %g is not among the labels", a),
						 errhint("labels must list every class, in the order of the probability array.")));
		}
		if (!mm_mll_matches(STATE(st), (uint32) k, fp))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("log_loss: every row needs the same classes"),
					 errdetail("The state has %u probabilities per row%s; this row has %d.",
							   mm_mll_classes(STATE(st)), form ? " and other labels" : "", k)));
		mm_mll_add(STATE(st), (uint32) k, fp, mm_mll_row_loss(p, (uint32) k, (uint32) truth));
		if ((Pointer) pa != DatumGetPointer(PG_GETARG_DATUM(1)))
			pfree(pa);
	}
	mm_pg_memo_note(fcinfo, &c->seen, st);
	PG_RETURN_BYTEA_P(st);
}

/* Transition: -log p(true class) of a probability array, the true class a 0-based index. */
PG_FUNCTION_INFO_V1(mm_log_loss_multi_sfunc_index);
Datum
mm_log_loss_multi_sfunc_index(PG_FUNCTION_ARGS)
{
	return mll_sfunc(fcinfo, 0);
}

/* Transition: -log p(true class) of a probability array in the order of text labels. */
PG_FUNCTION_INFO_V1(mm_log_loss_multi_sfunc_text);
Datum
mm_log_loss_multi_sfunc_text(PG_FUNCTION_ARGS)
{
	return mll_sfunc(fcinfo, 1);
}

/* Transition: -log p(true class) of a probability array in the order of float8 labels. */
PG_FUNCTION_INFO_V1(mm_log_loss_multi_sfunc_float);
Datum
mm_log_loss_multi_sfunc_float(PG_FUNCTION_ARGS)
{
	return mll_sfunc(fcinfo, 2);
}

/* Combine (and the *_merge transition) *_merge transition): merges a metric state into another (either may be NULL). */
PG_FUNCTION_INFO_V1(mm_metric_combine);
Datum
mm_metric_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "metric_combine");
	bytea	   *a,
			   *b;
	mm_err		err = {0};
	mm_mt_caps	caps;
	int			grow;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(1), "metric");
	if (mm_mt_validate((const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		raise_state_error(&err);
	if (PG_ARGISNULL(0))
		PG_RETURN_BYTEA_P(mm_pg_copy_state(b, aggcxt));
	a = own_state(fcinfo, 0, -1, NULL);
	if (mm_mt_merge_caps(STATE(a), (const uint8 *) VARDATA_ANY(b), &caps, &grow, &err) != MM_OK)
		raise_state_error(&err);
	if (grow)
		a = resize_state(a, &caps);
	mm_mt_merge(STATE(a), (const uint8 *) VARDATA_ANY(b));
	PG_RETURN_BYTEA_P(a);
}

/* A validated state argument (any alignment) of the given kind (0 = any). */
static const uint8 *
state_arg(FunctionCallInfo fcinfo, int argno, int kind, Size *size)
{
	bytea	   *b = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(argno), "metric");
	mm_err		err = {0};
	const uint8 *st = (const uint8 *) VARDATA_ANY(b);

	*size = VARSIZE_ANY_EXHDR(b);
	if (mm_mt_validate(st, *size, &err) != MM_OK ||
		mm_mt_check_shape(st, *size, kind, -1, &err) != MM_OK)
		raise_state_error(&err);
	return st;
}

static Datum
scalar_final(FunctionCallInfo fcinfo, int kind)
{
	Size		size;
	const uint8 *st;
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_err		err = {0};
	double		v;
	int			isnull;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = state_arg(fcinfo, 0, kind, &size);
	if (mm_mt_scalar(st, &a, &v, &isnull, &err) != MM_OK)
		mm_pg_raise(&err);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

#define SCALAR_FINAL(name, kind) \
	PG_FUNCTION_INFO_V1(mm_##name##_final); \
	Datum mm_##name##_final(PG_FUNCTION_ARGS) { return scalar_final(fcinfo, kind); }

/* Final: accuracy from a state (NULL over zero rows). */
SCALAR_FINAL(accuracy, MM_MK_ACCURACY)
/* Final: binary precision from a state. */
SCALAR_FINAL(precision, MM_MK_PRECISION)
/* Final: binary recall from a state. */
SCALAR_FINAL(recall, MM_MK_RECALL)
/* Final: binary f1 from a state. */
SCALAR_FINAL(f1, MM_MK_F1)
/* Final: macro-averaged precision from a state. */
SCALAR_FINAL(precision_macro, MM_MK_PRECISION_MACRO)
/* Final: macro-averaged recall from a state. */
SCALAR_FINAL(recall_macro, MM_MK_RECALL_MACRO)
/* Final: macro-averaged f1 from a state. */
SCALAR_FINAL(f1_macro, MM_MK_F1_MACRO)
/* Final: support-weighted precision from a state. */
SCALAR_FINAL(precision_weighted, MM_MK_PRECISION_WEIGHTED)
/* Final: support-weighted recall from a state. */
SCALAR_FINAL(recall_weighted, MM_MK_RECALL_WEIGHTED)
/* Final: support-weighted f1 from a state. */
SCALAR_FINAL(f1_weighted, MM_MK_F1_WEIGHTED)
/* Final: ROC AUC from a state (NULL with one class only). */
SCALAR_FINAL(roc_auc, MM_MK_ROC_AUC)
/* Final: mean squared error from a state. */
SCALAR_FINAL(mse, MM_MK_MSE)
/* Final: root mean squared error from a state. */
SCALAR_FINAL(rmse, MM_MK_RMSE)
/* Final: mean absolute error from a state. */
SCALAR_FINAL(mae, MM_MK_MAE)
/* Final: coefficient of determination from a state (NULL under two rows). */
SCALAR_FINAL(r2, MM_MK_R2)
/* Final: mean log loss from a state. */
/* Final: binary or multiclass log loss (mean -log of the true class's clipped, renormalised probability). */
PG_FUNCTION_INFO_V1(mm_log_loss_final);
Datum
mm_log_loss_final(PG_FUNCTION_ARGS)
{
	Size		size;
	const uint8 *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = state_arg(fcinfo, 0, 0, &size);
	if (st[7] == MM_MK_LOG_LOSS_MULTI)
		return scalar_final(fcinfo, MM_MK_LOG_LOSS_MULTI);
	return scalar_final(fcinfo, MM_MK_LOG_LOSS);
}
/* Final: average precision (step-wise area under the precision-recall curve). */
SCALAR_FINAL(average_precision, MM_MK_AVG_PRECISION)

static void
append_f64(StringInfo buf, double v)
{
	char		s[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, s);
	appendStringInfoString(buf, s);
}

static void
append_label(StringInfo buf, const mm_cm_matrix *m, uint32 i)
{
	if (m->text)
	{
		const char *s = (const char *) m->names[i];

		pg_verifymbstr(s, (int) m->lens[i], false);
		escape_json(buf, pnstrdup(s, m->lens[i]));
	}
	else
		append_f64(buf, m->values[i]);
}

static Datum
text_to_jsonb(StringInfo buf)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

/* Final: the confusion matrix as jsonb {labels, matrix (rows = actual), rows, skipped_nulls}. */
PG_FUNCTION_INFO_V1(mm_confusion_matrix_final);
Datum
mm_confusion_matrix_final(PG_FUNCTION_ARGS)
{
	Size		size;
	const uint8 *st;
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_err		err = {0};
	mm_cm_matrix m;
	mm_mt_info	info;
	StringInfoData buf;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = state_arg(fcinfo, 0, MM_MK_CONFUSION, &size);
	mm_mt_info_read(st, &info);
	if (info.n == 0)
		PG_RETURN_NULL();
	if (mm_cm_matrix_get(st, &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"labels\": [");
	for (uint32 i = 0; i < m.k; i++)
	{
		if (i)
			appendStringInfoString(&buf, ", ");
		append_label(&buf, &m, i);
	}
	appendStringInfoString(&buf, "], \"matrix\": [");
	for (uint32 i = 0; i < m.k; i++)
	{
		appendStringInfoString(&buf, i ? ", [" : "[");
		for (uint32 j = 0; j < m.k; j++)
			appendStringInfo(&buf, j ? ", " UINT64_FORMAT : UINT64_FORMAT, m.counts[(Size) i * m.k + j]);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfo(&buf, "], \"rows\": " UINT64_FORMAT ", \"skipped_nulls\": " UINT64_FORMAT "}", info.n, info.skipped);
	PG_RETURN_DATUM(text_to_jsonb(&buf));
}

static bool
get_curve(FunctionCallInfo fcinfo, int kind, bool roc, mm_curve *c)
{
	Size		size;
	const uint8 *st;
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_err		err = {0};
	mm_mt_info	info;
	int			isnull;

	st = state_arg(fcinfo, 0, kind, &size);
	mm_mt_info_read(st, &info);
	if (info.family != MM_MF_PAIRS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a state of metric %s has no curve", mm_metric_name(info.kind)),
				 errhint("Use a state from roc_auc_partial, roc_curve_partial or pr_curve_partial.")));
	if (info.n == 0)
		return false;
	if ((roc ? mm_pairs_roc_curve(st, &a, c, &isnull, &err) : mm_pairs_pr_curve(st, &a, c, &isnull, &err)) != MM_OK)
		mm_pg_raise(&err);
	return !isnull;
}

static Datum
curve_jsonb(const mm_curve *c, bool roc)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (Size i = 0; i < c->npoints; i++)
	{
		appendStringInfoString(&buf, i ? ", {\"threshold\": " : "{\"threshold\": ");
		if (c->last_threshold_null && i + 1 == c->npoints)
			appendStringInfoString(&buf, "null");
		else
			append_f64(&buf, c->threshold[i]);
		appendStringInfoString(&buf, roc ? ", \"fpr\": " : ", \"precision\": ");
		append_f64(&buf, c->x[i]);
		appendStringInfoString(&buf, roc ? ", \"tpr\": " : ", \"recall\": ");
		append_f64(&buf, c->y[i]);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return text_to_jsonb(&buf);
}

/* Final: the ROC curve as a jsonb array of {threshold, fpr, tpr} (sklearn's roc_curve). */
PG_FUNCTION_INFO_V1(mm_roc_curve_final);
Datum
mm_roc_curve_final(PG_FUNCTION_ARGS)
{
	mm_curve	c;

	if (PG_ARGISNULL(0) || !get_curve(fcinfo, MM_MK_ROC_CURVE, true, &c))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(curve_jsonb(&c, true));
}

/* Final: the precision-recall curve as a jsonb array of {threshold, precision, recall}. */
PG_FUNCTION_INFO_V1(mm_pr_curve_final);
Datum
mm_pr_curve_final(PG_FUNCTION_ARGS)
{
	mm_curve	c;

	if (PG_ARGISNULL(0) || !get_curve(fcinfo, MM_MK_PR_CURVE, false, &c))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(curve_jsonb(&c, false));
}

static Datum
curve_points(FunctionCallInfo fcinfo, bool roc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	mm_curve	c;

	InitMaterializedSRF(fcinfo, 0);
	if (!get_curve(fcinfo, 0, roc, &c))
		return (Datum) 0;
	for (Size i = 0; i < c.npoints; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Float8GetDatum(c.threshold[i]);
		nulls[0] = c.last_threshold_null && i + 1 == c.npoints;
		values[1] = Float8GetDatum(c.x[i]);
		values[2] = Float8GetDatum(c.y[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Set-returning: ROC curve points (threshold, fpr, tpr) of any roc_auc/roc_curve/pr_curve state. */
PG_FUNCTION_INFO_V1(mm_roc_curve_points);
Datum
mm_roc_curve_points(PG_FUNCTION_ARGS)
{
	return curve_points(fcinfo, true);
}

/* Set-returning: precision-recall curve points (threshold, precision, recall) of any ranking state. */
PG_FUNCTION_INFO_V1(mm_pr_curve_points);
Datum
mm_pr_curve_points(PG_FUNCTION_ARGS)
{
	return curve_points(fcinfo, false);
}

/* Final of the *_partial aggregates: the state with its spare capacity trimmed. */
PG_FUNCTION_INFO_V1(mm_metric_partial_final);
Datum
mm_metric_partial_final(PG_FUNCTION_ARGS)
{
	Size		size;
	const uint8 *st = state_arg(fcinfo, 0, 0, &size);
	mm_mt_caps	caps;
	bytea	   *out;

	mm_mt_caps_tight(st, &caps);
	out = alloc_state(CurrentMemoryContext, mm_mt_size_for(st, &caps));
	mm_mt_relayout(st, STATE(out), VARSIZE(out) - VARHDRSZ, &caps);
	PG_RETURN_BYTEA_P(mm_pg_seal_state(out));
}

/* Describes a metric state as jsonb: metric, label type, rows, skipped NULLs, classes or pairs. */
PG_FUNCTION_INFO_V1(mm_metric_state_info);
Datum
mm_metric_state_info(PG_FUNCTION_ARGS)
{
	Size		size;
	const uint8 *st = state_arg(fcinfo, 0, 0, &size);
	mm_mt_info	info;
	mm_mt_caps	caps;
	StringInfoData buf;

	mm_mt_info_read(st, &info);
	mm_mt_caps_tight(st, &caps);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"metric\": \"%s\", \"rows\": " UINT64_FORMAT ", \"skipped_nulls\": " UINT64_FORMAT
					 ", \"bytes\": %zu", mm_metric_name(info.kind), info.n, info.skipped, (size_t) size);
	if (info.family == MM_MF_CLASS)
		appendStringInfo(&buf, ", \"labels\": \"%s\", \"classes\": %u, \"positive_given\": %s",
						 (info.flags & MM_MT_TEXT) ? "text" : "float8", caps.kcap,
						 (info.flags & MM_MT_HAS_POSITIVE) ? "true" : "false");
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(text_to_jsonb(&buf));
}
