/*
 * stats.c: data management: the describe and corr_matrix aggregates (and their _partial /
 * _merge forms for exporting states), split() and split_is_test().
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "mm_pg.h"
#include "mm_stats.h"

/* Returns st when it can be updated in place (4-byte header, aligned payload), else a copy. */
static bytea *
alloc_state(MemoryContext aggcxt, Size size, size_t hdrsz)
{
	bytea	   *st = (bytea *) mm_pg_mem_alloc(aggcxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "a statistics state");

	SET_VARSIZE(st, VARHDRSZ + size);
	Assert(((uintptr_t) VARDATA(st) + hdrsz) % sizeof(double) == 0);
	return st;
}

static void
state_corrupt(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s: invalid aggregate state", what)));
}

/*
 * Checks a float8[] row of describe: one dimension, finite present values; NULL elements
 * allowed. Returns the number of elements.
 */
static int
check_describe_row(ArrayType *a)
{
	int			d;
	const double *v;
	bits8	   *bm;
	int			k = 0;

	mm_pg_prefetch_next_tuple(a);
	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "describe: feature array must be float8[]");
	if (ARR_NDIM(a) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("describe: feature array must not be empty")));
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("describe: feature array must be one-dimensional")));
	d = ARR_DIMS(a)[0];
	v = (const double *) ARR_DATA_PTR(a);
	bm = ARR_NULLBITMAP(a);
	/* without NULL elements: one branch-free pass, then find the culprit */
	if (bm == NULL && likely(mm_all_finite(v, (size_t) d)))
		return d;
	for (int j = 0; j < d; j++)
	{
		if (bm && !(bm[j >> 3] & (1 << (j & 7))))
			continue;
		if (unlikely(isinf(v[k]) || isnan(v[k])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("describe: feature array must contain only finite values"),
					 errdetail("Element %d is %s.", j + 1, isnan(v[k]) ? "NaN" : "infinite")));
		k++;
	}
	return d;
}

/* Encodes names (a text[] of d non-NULL elements) as d x (u32 length, bytes). */
static uint8 *
encode_names(ArrayType *na, int d, Size *len)
{
	Datum	   *el;
	bool	   *nulls;
	int			n;
	Size		total = 0;
	uint8	   *out,
			   *p;

	if (ARR_NDIM(na) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("describe: names must be a one-dimensional text array")));
	deconstruct_array(na, TEXTOID, -1, false, TYPALIGN_INT, &el, &nulls, &n);
	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("describe: names has %d elements but the feature array has %d", n, d)));
	for (int j = 0; j < n; j++)
	{
		if (nulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("describe: names must not contain NULL elements")));
		total += 4 + VARSIZE_ANY_EXHDR(DatumGetPointer(el[j]));
	}
	if (total > MM_DS_MAX_NAMES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("describe: feature names are too long")));
	out = p = palloc(total > 0 ? total : 1);
	for (int j = 0; j < n; j++)
	{
		text	   *t = DatumGetTextPP(el[j]);
		uint32		l = VARSIZE_ANY_EXHDR(t);

		if (memchr(VARDATA_ANY(t), 0, l) != NULL)
			elog(ERROR, "describe: a feature name contains a zero byte");
		p[0] = (uint8) l;
		p[1] = (uint8) (l >> 8);
		p[2] = (uint8) (l >> 16);
		p[3] = (uint8) (l >> 24);
		memcpy(p + 4, VARDATA_ANY(t), l);
		p += 4 + l;
	}
	*len = total;
	return out;
}

static bytea *
new_describe_state(MemoryContext aggcxt, uint32 d, const uint8 *names, Size names_len, uint64 null_rows, uint32 flags)
{
	mm_ds_caps	caps;
	Size		size;
	bytea	   *st;

	mm_ds_initial_caps(d, flags, &caps);
	size = mm_ds_state_size(d, names_len, &caps);
	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("describe supports at most %d features, got %u", MM_DS_MAX_FEATURES, d)));
	st = alloc_state(aggcxt, size, MM_DS_HDRSZ);
	mm_ds_init((uint8 *) VARDATA(st), size, d, &caps, names, names_len, null_rows, flags);
	return st;
}

/*
 * A copy of a mapped describe state with capacities caps; v maps the copy. The old state is
 * left alone (it may be the executor's transition value, which it frees itself).
 */
static bytea *
grow_describe_state(MemoryContext aggcxt, bytea *st, mm_ds_view *v, const mm_ds_caps *caps)
{
	Size		size = mm_ds_state_size(v->d, v->names_len, caps);
	bytea	   *n;

	if (size == 0 || size > MaxAllocHugeSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("describe: the aggregate state would exceed 4 GB"),
				 errdetail("%u features with room for %u values each.", v->d, caps->table),
				 errhint("Use the default quantiles (a sketch) or fewer rows.")));
	n = alloc_state(aggcxt, size, MM_DS_HDRSZ);
	mm_ds_resize((const uint8 *) VARDATA(st), v, (uint8 *) VARDATA(n), size, caps, v);
	return n;
}

/*
 * describe's options (a jsonb object): "quantiles": "auto" (exact up to the distinct-value
 * limit, then the sketch; the default) or "exact" (every value kept and sorted). Returns the
 * state flags. Unknown keys and bad values are ERROR 22023.
 */
static uint32
describe_options(Jsonb *opts)
{
	JsonbIterator *it;
	JsonbValue	k,
				val;
	JsonbIteratorToken tok;
	uint32		flags = 0;

	if (opts == NULL)
		return 0;
	if (!JB_ROOT_IS_OBJECT(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("describe: options must be a jsonb object")));
	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &val, true);
		if (strcmp(key, "quantiles") == 0)
		{
			if (val.type == jbvString && val.val.string.len == 5 && memcmp(val.val.string.val, "exact", 5) == 0)
				flags |= MM_DS_FLAG_EXACT;
			else if (!(val.type == jbvString && val.val.string.len == 4 && memcmp(val.val.string.val, "auto", 4) == 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("describe: option \"quantiles\" must be \"auto\" or \"exact\"")));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("describe: unknown option \"%s\"", key),
					 errhint("The only option is \"quantiles\": \"auto\" or \"exact\".")));
	}
	return flags;
}

/*
 * The state this call site returned last and its view: the next row's state is that same value
 * (nobody else writes it), so the view is reused instead of validating and mapping the header
 * again. A state it did not return (another group's, one from elsewhere) is opened as before.
 */
typedef struct ds_call_cache
{
	bytea	   *st;
	Size		size;
	mm_ds_view	v;
	mm_pg_memo	memo;			/* the states this call site returned (mm_pg_trans_state) */
} ds_call_cache;

/*
 * Transition: adds one row (float8[], NULL elements and NULL arrays counted as nulls) to
 * describe's state. Optional arguments: names text[] and/or options jsonb, read when the
 * state is made (the first non-NULL row).
 */
PG_FUNCTION_INFO_V1(mm_describe_sfunc);
Datum
mm_describe_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "describe");
	ds_call_cache *cc = (ds_call_cache *) fcinfo->flinfo->fn_extra;
	bytea	   *st = NULL;
	ArrayType  *xa;
	mm_ds_view	v;
	mm_ds_caps	caps;
	int			d;

	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ds_call_cache));
		fcinfo->flinfo->fn_extra = cc;
	}
	if (!PG_ARGISNULL(0))
	{
		bytea	   *in = (bytea *) PG_GETARG_POINTER(0);

		if (in == cc->st && VARSIZE(in) == cc->size && mm_ds_rows((const uint8 *) VARDATA(in)) == cc->v.rows &&
			likely(mm_ds_header_ok((const uint8 *) VARDATA(in), VARSIZE(in) - VARHDRSZ)))
		{
			st = in;
			v = cc->v;
		}
		else
		{
			mm_err		err;

			st = mm_pg_own_state(in, MM_DS_HDRSZ, aggcxt);
			if (!mm_ds_open((uint8 *) VARDATA(st), VARSIZE(st) - VARHDRSZ, &v))
				state_corrupt("describe");
			/* a state this call site did not return: validated completely */
			if (!mm_pg_memo_known(&cc->memo, st) &&
				mm_ds_validate((const uint8 *) VARDATA(st), VARSIZE(st) - VARHDRSZ, &err) != MM_OK)
				mm_pg_raise(&err);
		}
	}
	cc->st = NULL;				/* until this call returns a state */
	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
		{
			st = new_describe_state(aggcxt, 0, NULL, 0, 0, 0);
			mm_ds_map((uint8 *) VARDATA(st), &v);
		}
		mm_ds_add_null_rows((uint8 *) VARDATA(st), &v, 1);
		mm_pg_memo_note(fcinfo, &cc->memo, st);
		cc->st = st;
		cc->size = VARSIZE(st);
		cc->v = v;
		PG_RETURN_BYTEA_P(st);
	}
	xa = PG_GETARG_ARRAYTYPE_P(1);
	d = check_describe_row(xa);
	if (st == NULL || v.d == 0)
	{
		uint64		prior = st ? v.rows : 0;
		uint8	   *names = NULL;
		Size		names_len = 0;
		uint32		flags = 0;

		for (int i = 2; i < PG_NARGS(); i++)
		{
			Oid			t = get_fn_expr_argtype(fcinfo->flinfo, i);

			if (PG_ARGISNULL(i))
				continue;
			if (t == JSONBOID)
				flags = describe_options(PG_GETARG_JSONB_P(i));
			else
				names = encode_names(PG_GETARG_ARRAYTYPE_P(i), d, &names_len);
		}
		st = new_describe_state(aggcxt, (uint32) d, names, names_len, prior, flags);
		mm_ds_map((uint8 *) VARDATA(st), &v);
	}
	if ((uint32) d != v.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("describe: feature arrays have different lengths"),
				 errdetail("Expected %u features, got %d.", v.d, d)));
	if (unlikely(v.staged >= v.caps.stage) && mm_ds_need(&v, NULL, &caps))
		st = grow_describe_state(aggcxt, st, &v, &caps);
	mm_ds_add((uint8 *) VARDATA(st), &v, (const double *) ARR_DATA_PTR(xa), ARR_NULLBITMAP(xa));
	if ((Pointer) xa != DatumGetPointer(PG_GETARG_DATUM(1)))
		pfree(xa);
	mm_pg_memo_note(fcinfo, &cc->memo, st);
	cc->st = st;
	cc->size = VARSIZE(st);
	cc->v = v;
	PG_RETURN_BYTEA_P(st);
}

/* Combine: merges two partial describe states (either may be NULL); also describe_merge's transition. */
PG_FUNCTION_INFO_V1(mm_describe_combine);
Datum
mm_describe_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = CurrentMemoryContext;
	bytea	   *a,
			   *b;
	Datum		result;
	mm_ds_view	v;
	mm_err		err = {0};

	if (!mm_pg_combine_begin(fcinfo, "describe", mm_ds_validate, MM_DS_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	if (mm_ds_dims((const uint8 *) VARDATA(a)) == 0 && mm_ds_dims((const uint8 *) VARDATA_ANY(b)) > 0)
	{
		/* a has seen only NULL arrays: start from b and count a's rows as nulls */
		uint64		rows = mm_ds_rows((const uint8 *) VARDATA(a));
		bytea	   *c = mm_pg_copy_state(b, aggcxt);

		mm_ds_map((uint8 *) VARDATA(c), &v);
		mm_ds_add_null_rows((uint8 *) VARDATA(c), &v, rows);
		PG_RETURN_BYTEA_P(c);
	}
	mm_ds_map((uint8 *) VARDATA(a), &v);
	if (mm_ds_dims((const uint8 *) VARDATA_ANY(b)) == v.d && v.d > 0)
	{
		mm_ds_caps	caps;

		if ((mm_ds_flags((const uint8 *) VARDATA_ANY(b)) ^ v.flags) & MM_DS_FLAG_EXACT)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("cannot combine describe states with different quantile modes"),
					 errhint("Compute every partial state with the same options.")));
		if (mm_ds_need(&v, (const uint8 *) VARDATA_ANY(b), &caps))
			a = grow_describe_state(aggcxt, a, &v, &caps);
	}
	if (mm_ds_combine((uint8 *) VARDATA(a), &v, (const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(a);
}

static void
append_num(StringInfo s, const char *key, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	appendStringInfo(s, ", \"%s\": ", key);
	if (isnan(v))
		appendStringInfoString(s, "null");
	else
	{
		double_to_shortest_decimal_buf(v, buf);
		appendStringInfoString(s, buf);
	}
}

/* Final: the per-feature summary as jsonb. */
PG_FUNCTION_INFO_V1(mm_describe_final);
Datum
mm_describe_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_ds_summary sum;
	StringInfoData s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "describe");
	if (mm_ds_summarise((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &a, &sum, &err) != MM_OK)
		mm_pg_raise(&err);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"rows\": " UINT64_FORMAT ", \"features\": [", sum.rows);
	for (uint32 j = 0; j < sum.d; j++)
	{
		const mm_ds_feature *f = &sum.features[j];

		if (j > 0)
			appendStringInfoString(&s, ", ");
		appendStringInfo(&s, "{\"index\": %u", j + 1);
		if (f->name)
		{
			appendStringInfoString(&s, ", \"name\": ");
			escape_json(&s, pnstrdup(f->name, f->name_len));
		}
		appendStringInfo(&s, ", \"count\": " UINT64_FORMAT ", \"nulls\": " UINT64_FORMAT, f->count, f->nulls);
		append_num(&s, "mean", f->mean);
		append_num(&s, "std", f->std);
		append_num(&s, "std_sample", f->std_sample);
		append_num(&s, "min", f->min);
		append_num(&s, "max", f->max);
		append_num(&s, "p25", f->p25);
		append_num(&s, "p50", f->p50);
		append_num(&s, "p75", f->p75);
		if (f->count > 0)
		{
			appendStringInfo(&s, ", \"quantiles\": \"%s\"", f->exact ? "exact" : "sketch");
			append_num(&s, "rank_error", f->rank_error);
		}
		appendStringInfoChar(&s, '}');
	}
	appendStringInfoString(&s, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* corr_matrix's O(1) check of a transition state: header and size (mm_cr_header_ok). */
static mm_status
cr_check(const uint8 *st, size_t size, mm_err *err)
{
	if (unlikely(!mm_cr_header_ok(st, size)))
		return mm_fail(err, MM_ECORRUPT, "corr_matrix: invalid aggregate state");
	return MM_OK;
}

/* Transition: adds one row to corr_matrix's co-moment state (NULL arrays are skipped). */
PG_FUNCTION_INFO_V1(mm_corr_matrix_sfunc);
Datum
mm_corr_matrix_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "corr_matrix");
	bytea	   *st;
	ArrayType  *xa;
	double	   *x;
	int			d;
	mm_cr_view	v;
	mm_pg_memo *memo = mm_pg_memo_get(fcinfo);

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	xa = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_HASNULL(xa) && array_contains_nulls(xa))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("corr_matrix: feature array must not contain NULL elements"),
				 errhint("Leave out or impute rows with missing values (describe() counts them per feature).")));
	x = mm_pg_features(xa, &d, "corr_matrix feature array");
	if (PG_ARGISNULL(0))
	{
		uint32		cap = mm_cr_capacity((uint32) d);
		Size		size = mm_cr_state_size((uint32) d, cap);

		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("corr_matrix supports at most %d features, got %d", MM_CR_MAX_FEATURES, d)));
		st = alloc_state(aggcxt, size, MM_CR_HDRSZ);
		mm_cr_init((uint8 *) VARDATA(st), size, (uint32) d, cap);
	}
	else
	{
		st = mm_pg_trans_state((bytea *) PG_GETARG_POINTER(0), MM_CR_HDRSZ, aggcxt, memo,
							   cr_check, mm_cr_validate);
	}
	mm_pg_memo_note(fcinfo, memo, st);
	mm_cr_map((uint8 *) VARDATA(st), &v);
	if ((uint32) d != v.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("corr_matrix: feature arrays have different lengths"),
				 errdetail("Expected %u features, got %d.", v.d, d)));
	mm_cr_add((uint8 *) VARDATA(st), &v, x);
	if ((Pointer) xa != DatumGetPointer(PG_GETARG_DATUM(1)))
		pfree(xa);
	PG_RETURN_BYTEA_P(st);
}

/* Combine: merges two partial corr_matrix states (either may be NULL); also corr_matrix_merge's transition. */
PG_FUNCTION_INFO_V1(mm_corr_matrix_combine);
Datum
mm_corr_matrix_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	Datum		result;
	mm_cr_view	v;
	mm_err		err = {0};

	if (!mm_pg_combine_begin(fcinfo, "corr_matrix", mm_cr_validate, MM_CR_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	mm_cr_map((uint8 *) VARDATA(a), &v);
	if (mm_cr_combine((uint8 *) VARDATA(a), &v, (const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(a);
}

/* Final: the d x d Pearson correlation matrix; rows/columns of constant features are NULL. */
PG_FUNCTION_INFO_V1(mm_corr_matrix_final);
Datum
mm_corr_matrix_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	double	   *r;
	uint64		rows;
	uint32		d;
	Datum	   *el;
	bool	   *nulls;
	int			dims[2],
				lbs[2] = {1, 1};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "corr_matrix");
	if (mm_cr_matrix((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &a, &r, &rows, &err) != MM_OK)
		mm_pg_raise(&err);
	d = mm_cr_dims((const uint8 *) VARDATA_ANY(st));
	el = mm_pg_mem_alloc(CurrentMemoryContext, sizeof(Datum) * d * d, 0, "the correlation matrix");
	nulls = mm_pg_mem_alloc(CurrentMemoryContext, sizeof(bool) * d * d, 0, "the correlation matrix");
	for (Size i = 0; i < (Size) d * d; i++)
	{
		nulls[i] = isnan(r[i]);
		el[i] = Float8GetDatum(nulls[i] ? 0.0 : r[i]);
	}
	dims[0] = dims[1] = (int) d;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(el, nulls, 2, dims, lbs, FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

typedef struct split_cache
{
	Oid			type;
	FmgrInfo	out;
} split_cache;

/* Whether the key is in the test set: mm_split_unit(its text output, seed) < test_fraction. */
static bool
key_is_test(FunctionCallInfo fcinfo)
{
	split_cache *c = (split_cache *) fcinfo->flinfo->fn_extra;
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	double		f = PG_GETARG_FLOAT8(1);
	int32		seed = PG_NARGS() > 2 ? PG_GETARG_INT32(2) : 0;
	char	   *s;
	double		u;

	if (!(f >= 0.0 && f <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("split: test_fraction must be between 0 and 1"),
				 errdetail("The value is %g.", f)));
	if (!OidIsValid(type))
		elog(ERROR, "split: could not determine the key's type");
	if (c == NULL || c->type != type)
	{
		Oid			outfn;
		bool		varlena;

		if (c == NULL)
		{
			c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(split_cache));
			fcinfo->flinfo->fn_extra = c;
		}
		getTypeOutputInfo(type, &outfn, &varlena);
		fmgr_info_cxt(outfn, &c->out, fcinfo->flinfo->fn_mcxt);
		c->type = type;
	}
	s = OutputFunctionCall(&c->out, PG_GETARG_DATUM(0));
	u = mm_split_unit(s, strlen(s), (uint64) (int64) seed);
	pfree(s);
	return u < f;
}

/* 'test' for a deterministic test_fraction share of keys, 'train' for the rest. */
PG_FUNCTION_INFO_V1(mm_split);
Datum
mm_split(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(key_is_test(fcinfo) ? "test" : "train"));
}

/* true when split() puts the key in the test set. */
PG_FUNCTION_INFO_V1(mm_split_is_test);
Datum
mm_split_is_test(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(key_is_test(fcinfo));
}
