/*
 * linreg.c: the linreg_fit aggregate (exact least squares and ridge).
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "mm_linreg.h"
#include "mm_pg.h"

typedef struct ls_opts
{
	double		l2;
	bool		fit_intercept;
} ls_opts;

static void
ls_opt(void *arg, const char *key, JsonbValue *v)
{
	ls_opts    *o = (ls_opts *) arg;

	if (strcmp(key, "l2") == 0)
		o->l2 = mm_pg_opt_number(key, v, 0, 1e300);
	else if (strcmp(key, "fit_intercept") == 0)
		o->fit_intercept = mm_pg_opt_bool(key, v);
	else
		mm_pg_unknown_option(key, "linreg_fit");
}

/* Returns st when it can be updated in place (4-byte header, aligned payload), else a copy. */
static bytea *
new_state(MemoryContext aggcxt, uint32 d, const ls_opts *o)
{
	uint32		cap = mm_ls_capacity(d);
	Size		size = mm_ls_state_size(d, cap);
	bytea	   *st;

	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("linreg_fit supports at most 10000 features, got %u", d)));
	st = (bytea *) mm_pg_mem_alloc(aggcxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "the linreg_fit state");
	SET_VARSIZE(st, VARHDRSZ + size);
	Assert(((uintptr_t) VARDATA(st) + MM_LS_HDRSZ) % sizeof(double) == 0);
	mm_ls_init((uint8 *) VARDATA(st), size, d, cap, o->l2, o->fit_intercept ? 0 : MM_LS_NO_INTERCEPT);
	return st;
}

/*
 * fn_extra of the transition: the states it returned, and the shape of the last one (its
 * VARSIZE, d and capacity), so that a row on that state is checked with three comparisons
 * and the buffered-row count against the capacity (what keeps mm_ls_add in bounds).
 */
typedef struct ls_memo
{
	mm_pg_memo	memo;
	Size		size;
	uint32		d;
	uint32		cap;
} ls_memo;

/* Transition: adds one row (x, y) to the least-squares state. */
PG_FUNCTION_INFO_V1(mm_linreg_fit_sfunc);
Datum
mm_linreg_fit_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "linreg_fit");
	bytea	   *st;
	ArrayType  *xa;
	double	   *x;
	double		y;
	int			n;
	mm_ls_view	v;
	ls_memo    *lm = (ls_memo *) fcinfo->flinfo->fn_extra;

	if (unlikely(lm == NULL))
	{
		lm = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ls_memo));
		fcinfo->flinfo->fn_extra = lm;
	}
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("linreg_fit: feature array must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("linreg_fit: target must not be NULL")));
	xa = PG_GETARG_ARRAYTYPE_P(1);
	x = mm_pg_features(xa, &n, "linreg_fit feature array");
	y = PG_GETARG_FLOAT8(2);
	mm_pg_check_finite(y, "linreg_fit target");

	if (PG_ARGISNULL(0))
	{
		ls_opts		o = {0.0, true};

		if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
			mm_pg_each_option(PG_GETARG_JSONB_P(3), ls_opt, &o);
		st = new_state(aggcxt, (uint32) n, &o);
	}
	else
	{
		st = (bytea *) PG_GETARG_POINTER(0);
		if (!(st == lm->memo.last && VARSIZE(st) == lm->size &&
			  mm_load_u32((const uint8 *) VARDATA(st) + 8) == lm->d &&
			  mm_load_u32((const uint8 *) VARDATA(st) + 12) == lm->cap &&
			  mm_load_u32((const uint8 *) VARDATA(st) + 16) < lm->cap))
			st = mm_pg_trans_state(st, MM_LS_HDRSZ, aggcxt, &lm->memo, mm_ls_check, mm_ls_validate);
	}
	mm_pg_memo_note(fcinfo, &lm->memo, st);

	mm_ls_map((uint8 *) VARDATA(st), &v);
	if ((uint32) n != v.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("linreg_fit: feature arrays have different lengths"),
				 errdetail("Expected %u features, got %d.", v.d, n)));
	mm_ls_add((uint8 *) VARDATA(st), &v, x, y);
	lm->size = VARSIZE(st);
	lm->d = v.d;
	lm->cap = v.cap;
	if ((Pointer) xa != DatumGetPointer(PG_GETARG_DATUM(1)))
		pfree(xa);
	PG_RETURN_BYTEA_P(st);
}

/* Combine: merges two partial least-squares states (either may be NULL). */
PG_FUNCTION_INFO_V1(mm_linreg_fit_combine);
Datum
mm_linreg_fit_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	Datum		result;
	mm_ls_view	v;
	mm_err		err = {0};

	if (!mm_pg_combine_begin(fcinfo, "linreg_fit", mm_ls_validate, MM_LS_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	mm_ls_map((uint8 *) VARDATA(a), &v);
	if (mm_ls_combine((uint8 *) VARDATA(a), &v, (const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(a);
}

/* Final: solves the normal equations and returns the model bytea. */
PG_FUNCTION_INFO_V1(mm_linreg_fit_final);
Datum
mm_linreg_fit_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "linreg_fit");
	if (mm_ls_solve((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}
