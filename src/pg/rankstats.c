/*
 * rankstats.c: the spearman aggregate and corr_matrix(x, options) (pairwise-complete or
 * listwise NULL handling), over the states of mm_rank.h.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/jsonb.h"

#include "mm_pg.h"
#include "mm_rank.h"

static bytea *
alloc_state(MemoryContext cxt, Size size, const char *what)
{
	bytea	   *st;

	if (size == 0 || size > MaxAllocHugeSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would exceed the maximum allocation size", what)));
	st = (bytea *) mm_pg_mem_alloc(cxt, VARHDRSZ + size, MCXT_ALLOC_ZERO | MCXT_ALLOC_HUGE, what);
	SET_VARSIZE(st, VARHDRSZ + size);
	return st;
}

static inline double
finite_arg(FunctionCallInfo fcinfo, int argno, const char *fname, const char *what)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (unlikely(isnan(v) || isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: %s must be finite, not %s", fname, what, isnan(v) ? "NaN" : "infinity")));
	return v;
}

/* ---------- spearman ---------- */

/* A spearman state with room for `cap` pairs holding st's pairs (counted against the budget). */
static bytea *
sp_regrow(bytea *st, uint64 need)
{
	uint64		cap = mm_sp_grow_capacity((const uint8 *) VARDATA(st), need);
	bytea	   *dst;

	if (cap == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("spearman: too many rows for one state"),
				 errdetail("A state holds at most %llu pairs.", (unsigned long long) MM_SP_MAX_PAIRS)));
	dst = alloc_state(CurrentMemoryContext, mm_sp_state_size(cap), "a spearman state");
	mm_sp_copy((const uint8 *) VARDATA(st), (uint8 *) VARDATA(dst), cap);
	return dst;
}

/* Transition: keeps one (x, y) pair; rows with a NULL are skipped and counted. */
PG_FUNCTION_INFO_V1(mm_spearman_sfunc);
Datum
mm_spearman_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = mm_pg_state_context(fcinfo, "spearman");
	mm_pg_memo *memo = mm_pg_memo_get(fcinfo);
	bytea	   *st;

	if (PG_ARGISNULL(0))
	{
		st = alloc_state(cxt, mm_sp_state_size(MM_SP_CAP0), "a spearman state");
		mm_sp_init((uint8 *) VARDATA(st), VARSIZE(st) - VARHDRSZ, MM_SP_CAP0);
	}
	else
		st = mm_pg_trans_state((bytea *) PG_GETARG_POINTER(0), MM_SP_HDRSZ, cxt, memo,
							   mm_sp_check, mm_sp_validate);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		mm_sp_skip((uint8 *) VARDATA(st));
	else
	{
		double		x = finite_arg(fcinfo, 1, "spearman", "x"),
					y = finite_arg(fcinfo, 2, "spearman", "y");

		while (unlikely(!mm_sp_add((uint8 *) VARDATA(st), x, y)))
			st = sp_regrow(st, mm_sp_rows((const uint8 *) VARDATA(st)) + 1);
	}
	mm_pg_memo_note(fcinfo, memo, st);
	PG_RETURN_BYTEA_P(st);
}

/* Combine: appends the pairs of one spearman state to another (either may be NULL). */
PG_FUNCTION_INFO_V1(mm_spearman_combine);
Datum
mm_spearman_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	Datum		result;
	const uint8 *src;
	mm_err		err = {0};
	uint64		need;

	if (!mm_pg_combine_begin(fcinfo, "spearman", mm_sp_validate, MM_SP_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	if (mm_sp_check((const uint8 *) VARDATA(a), VARSIZE(a) - VARHDRSZ, &err) != MM_OK)
		mm_pg_raise(&err);
	src = (const uint8 *) VARDATA_ANY(b);
	need = mm_sp_rows((const uint8 *) VARDATA(a)) + mm_sp_rows(src);
	if (need > (VARSIZE(a) - VARHDRSZ - MM_SP_HDRSZ) / 16)
		a = sp_regrow(a, need);
	mm_sp_merge((uint8 *) VARDATA(a), src);
	PG_RETURN_BYTEA_P(a);
}

/* Final: Spearman's rho (Pearson correlation of average ranks); NULL under 2 pairs or for a constant. */
PG_FUNCTION_INFO_V1(mm_spearman_final);
Datum
mm_spearman_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	double		rho;
	int			isnull;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "spearman");
	if (mm_sp_validate((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &err) != MM_OK)
		mm_pg_raise(&err);
	if (mm_sp_rho((const uint8 *) VARDATA_ANY(st), &a, &rho, &isnull, &err) != MM_OK)
		mm_pg_raise(&err);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(rho);
}

/* ---------- corr_matrix(x, options) ---------- */

/* fn_extra: the states returned and a row buffer of d values and presence flags. */
typedef struct pw_cache
{
	mm_pg_memo	seen;
	int			cap;
	double	   *x;
	uint8	   *present;
} pw_cache;

static void
pw_option(void *arg, const char *key, JsonbValue *v)
{
	uint32	   *mode = (uint32 *) arg;

	if (strcmp(key, "nulls") == 0)
	{
		char	   *s = mm_pg_opt_string(key, v);

		if (strcmp(s, "error") == 0)
			*mode = MM_PW_NULLS_ERROR;
		else if (strcmp(s, "pairwise") == 0)
			*mode = MM_PW_NULLS_PAIRWISE;
		else if (strcmp(s, "complete") == 0)
			*mode = MM_PW_NULLS_COMPLETE;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"nulls\" of corr_matrix must be \"error\", \"pairwise\" or \"complete\", not \"%s\"", s)));
	}
	else
		mm_pg_unknown_option(key, "corr_matrix");
}

static mm_status
pw_check(const uint8 *st, size_t size, mm_err *err)
{
	return mm_pw_check(st, size, err);
}

/* Transition: adds one row (NULL elements by the "nulls" option, read on the first non-NULL row). */
PG_FUNCTION_INFO_V1(mm_corr_matrix_opts_sfunc);
Datum
mm_corr_matrix_opts_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = mm_pg_state_context(fcinfo, "corr_matrix");
	pw_cache   *c = (pw_cache *) fcinfo->flinfo->fn_extra;
	bytea	   *st;
	ArrayType  *xa;
	int			d;
	bool		anynull = false;
	uint8	   *stp;

	if (unlikely(c == NULL))
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(pw_cache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	xa = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_ELEMTYPE(xa) != FLOAT8OID)
		elog(ERROR, "corr_matrix: feature array must be float8[]");
	if (ARR_NDIM(xa) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("corr_matrix feature array must be one-dimensional and not empty")));
	d = ARR_DIMS(xa)[0];
	if (PG_ARGISNULL(0))
	{
		uint32		mode = MM_PW_NULLS_ERROR;
		Size		size;

		if (!PG_ARGISNULL(2))
			mm_pg_each_option(PG_GETARG_JSONB_P(2), pw_option, &mode);
		size = mm_pw_state_size((uint32) d);
		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("corr_matrix with options supports at most %d features, got %d", MM_PW_MAX_FEATURES, d)));
		st = alloc_state(cxt, size, "a corr_matrix state");
		mm_pw_init((uint8 *) VARDATA(st), size, (uint32) d, mode);
	}
	else
		st = mm_pg_trans_state((bytea *) PG_GETARG_POINTER(0), MM_PW_HDRSZ, cxt, &c->seen,
							   pw_check, mm_pw_validate);
	stp = (uint8 *) VARDATA(st);
	if ((uint32) d != mm_pw_dims(stp))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("corr_matrix: feature arrays have different lengths"),
				 errdetail("Expected %u features, got %d.", mm_pw_dims(stp), d)));
	if (unlikely(c->cap < d))
	{
		if (c->x)
			pfree(c->x);
		if (c->present)
			pfree(c->present);
		c->x = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * d);
		c->present = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, d);
		c->cap = d;
	}
	{
		const char *p = ARR_DATA_PTR(xa);
		bits8	   *bm = ARR_NULLBITMAP(xa);

		for (int i = 0; i < d; i++)
		{
			if (bm && !(bm[i / 8] & (1 << (i % 8))))
			{
				c->present[i] = 0;
				c->x[i] = 0;
				anynull = true;
				continue;
			}
			memcpy(&c->x[i], p, sizeof(double));
			p += sizeof(double);
			c->present[i] = 1;
			if (unlikely(isnan(c->x[i]) || isinf(c->x[i])))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("corr_matrix feature array must contain only finite values"),
						 errdetail("Element %d is %s.", i + 1, isnan(c->x[i]) ? "NaN" : "infinite")));
		}
	}
	if (anynull && mm_pw_mode(stp) == MM_PW_NULLS_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("corr_matrix: feature array must not contain NULL elements"),
				 errhint("Pass '{\"nulls\": \"pairwise\"}' (pairwise-complete rows) or '{\"nulls\": \"complete\"}' (rows without NULLs) as options.")));
	if (anynull && mm_pw_mode(stp) == MM_PW_NULLS_COMPLETE)
		mm_pw_skip(stp);
	else
		mm_pw_add(stp, c->x, c->present);
	if ((Pointer) xa != DatumGetPointer(PG_GETARG_DATUM(1)))
		pfree(xa);
	mm_pg_memo_note(fcinfo, &c->seen, st);
	PG_RETURN_BYTEA_P(st);
}

/* Combine: merges two pairwise corr_matrix states (Chan et al. per pair; either may be NULL). */
PG_FUNCTION_INFO_V1(mm_corr_matrix_opts_combine);
Datum
mm_corr_matrix_opts_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	Datum		result;
	mm_err		err = {0};

	if (!mm_pg_combine_begin(fcinfo, "corr_matrix", mm_pw_validate, MM_PW_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	if (mm_pw_check((const uint8 *) VARDATA(a), VARSIZE(a) - VARHDRSZ, &err) != MM_OK ||
		mm_pw_merge((uint8 *) VARDATA(a), VARSIZE(a) - VARHDRSZ, (const uint8 *) VARDATA_ANY(b),
					VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(a);
}

/* Final: the d x d correlation matrix; NULL entries where undefined. */
PG_FUNCTION_INFO_V1(mm_corr_matrix_opts_final);
Datum
mm_corr_matrix_opts_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	double	   *r;
	uint32		d;
	Datum	   *el;
	bool	   *nulls;
	int			dims[2],
				lbs[2] = {1, 1};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "corr_matrix");
	if (mm_pw_validate((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &err) != MM_OK ||
		mm_pw_matrix((const uint8 *) VARDATA_ANY(st), &a, &r, &err) != MM_OK)
		mm_pg_raise(&err);
	d = mm_pw_dims((const uint8 *) VARDATA_ANY(st));
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
