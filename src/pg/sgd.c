/*
 * sgd.c: sgd_init and the sgd_epoch aggregate (one SGD pass from a start model).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "mm_pg.h"
#include "mm_sgd.h"

typedef struct init_opts
{
	mm_sgd_params p;
	int			nclasses_given;
	double	   *classes;
	char	  **class_names;
	double	   *mean;
	double	   *scale;
	int			nmean;
	int			nscale;
	bool		has_schedule;
	bool		has_l2;
} init_opts;

static double *
numbers_of(const char *key, JsonbValue *v, int *n)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	double	   *out;
	int			cnt = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be an array of numbers", key)));
	out = palloc(sizeof(double) * (JsonContainerSize(v->val.binary.data) + 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		out[cnt++] = mm_pg_opt_number(key, &e, -1e300, 1e300);
	}
	*n = cnt;
	return out;
}

static void
init_opt(void *arg, const char *key, JsonbValue *v)
{
	init_opts  *o = (init_opts *) arg;

	if (strcmp(key, "learning_rate") == 0)
	{
		char	   *s = mm_pg_opt_string(key, v);

		o->p.schedule = mm_schedule_from_name(s);
		if (o->p.schedule == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown learning_rate \"%s\"", s),
					 errhint("Use optimal, constant, invscaling, adaptive, adagrad or adam.")));
		o->has_schedule = true;
	}
	else if (strcmp(key, "eta0") == 0)
		o->p.eta0 = mm_pg_opt_number(key, v, 1e-300, 1e6);
	else if (strcmp(key, "power_t") == 0)
		o->p.power_t = mm_pg_opt_number(key, v, 0, 10);
	else if (strcmp(key, "batch_size") == 0)
	{
		double		bs = mm_pg_opt_number(key, v, 1, 1000000);

		if (bs != floor(bs))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an integer", key)));
		o->p.batch_size = (uint32) bs;
	}
	else if (strcmp(key, "l1") == 0)
		o->p.l1 = mm_pg_opt_number(key, v, 0, 1e6);
	else if (strcmp(key, "l2") == 0)
	{
		o->p.l2 = mm_pg_opt_number(key, v, 0, 1e6);
		o->has_l2 = true;
	}
	else if (strcmp(key, "fit_intercept") == 0)
		o->p.fit_intercept = mm_pg_opt_bool(key, v);
	else if (strcmp(key, "classes") == 0)
		o->classes = numbers_of(key, v, &o->nclasses_given);
	else if (strcmp(key, "mean") == 0)
		o->mean = numbers_of(key, v, &o->nmean);
	else if (strcmp(key, "scale") == 0)
		o->scale = numbers_of(key, v, &o->nscale);
	else
		mm_pg_unknown_option(key, "sgd_init");
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* A starting model for sgd_epoch: zero weights and a fresh optimizer. */
PG_FUNCTION_INFO_V1(mm_sgd_init);
Datum
mm_sgd_init(PG_FUNCTION_ARGS)
{
	char	   *alg;
	int32		d;
	init_opts	o;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *m;
	int			algorithm;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sgd_init: algorithm and n_features must not be NULL")));
	alg = text_to_cstring(PG_GETARG_TEXT_PP(0));
	d = PG_GETARG_INT32(1);
	algorithm = mm_algorithm_from_name(alg);
	if (strcmp(alg, "logistic_regression") == 0)
		algorithm = MM_ALG_LOGREG;
	if (algorithm == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", alg),
				 errhint("Use linear_regression, logistic_regression, multinomial_logistic_regression or svm.")));
	if (d < 1 || d > MM_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_features must be between 1 and %d", MM_MAX_FEATURES)));
	memset(&o, 0, sizeof(o));
	o.p.algorithm = algorithm;
	o.p.n_features = (uint32) d;
	o.p.batch_size = 1;
	o.p.fit_intercept = 1;
	o.p.power_t = 0.25;
	o.p.eta0 = 0.01;
	o.p.l2 = 1e-4;
	if (!PG_ARGISNULL(2))
		mm_pg_each_option(PG_GETARG_JSONB_P(2), init_opt, &o);
	if (!o.has_schedule)
		o.p.schedule = algorithm == MM_ALG_LINREG ? MM_LR_INVSCALING : MM_LR_OPTIMAL;
	if (algorithm != MM_ALG_LINREG)
	{
		if (o.classes == NULL)
		{
			if (algorithm == MM_ALG_MULTINOMIAL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("multinomial models need the \"classes\" option")));
			o.classes = palloc(2 * sizeof(double));
			o.classes[0] = 0;
			o.classes[1] = 1;
			o.nclasses_given = 2;
		}
		qsort(o.classes, o.nclasses_given, sizeof(double), cmp_double);
		for (int k = 1; k < o.nclasses_given; k++)
			if (o.classes[k] == o.classes[k - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"classes\" lists %g twice", o.classes[k])));
		if (algorithm == MM_ALG_LOGREG && o.nclasses_given > 2)
			o.p.algorithm = algorithm = MM_ALG_MULTINOMIAL;
		o.p.n_classes = (uint32) o.nclasses_given;
		o.p.class_values = o.classes;
	}
	else if (o.classes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"classes\" is for classifiers")));
	if ((o.mean != NULL) != (o.scale != NULL) || (o.mean && (o.nmean != d || o.nscale != d)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"mean\" and \"scale\" must be given together, with %d values each", d)));
	if (o.scale)
		for (int j = 0; j < d; j++)
			if (!(o.scale[j] > 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"scale\" must hold positive values")));
	o.p.mean = o.mean;
	o.p.scale = o.scale;
	if (mm_sgd_init_model(&o.p, &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}

/*
 * The mapped view of the state, kept per call site: valid while the state is at the same address
 * with the same header (the layout depends only on the header), so a row does not re-derive it.
 */
typedef struct view_cache
{
	mm_pg_memo	memo;			/* the states this call site returned (mm_pg_trans_state) */
	Size		size;			/* VARSIZE of the state at st */
	const uint8 *st;
	uint8		hdr[MM_SGD_HDRSZ];
	mm_sgd_view v;
} view_cache;

static inline void
map_cached(FunctionCallInfo fcinfo, uint8 *st, mm_sgd_view *v)
{
	view_cache *vc = (view_cache *) fcinfo->flinfo->fn_extra;

	if (vc->st == st && memcmp(vc->hdr, st, MM_SGD_HDRSZ) == 0)
	{
		*v = vc->v;
		return;
	}
	mm_sgd_map(st, v);
	vc->st = st;
	memcpy(vc->hdr, st, MM_SGD_HDRSZ);
	vc->v = *v;
}

/* Transition: one SGD step on row (x, y), starting from model `start` on the first row. */
PG_FUNCTION_INFO_V1(mm_sgd_epoch_sfunc);
Datum
mm_sgd_epoch_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "sgd_epoch");
	bytea	   *st;
	ArrayType  *xa;
	double	   *x;
	double		y;
	int			n;
	int32		cls;
	mm_sgd_view v;
	view_cache *vc = (view_cache *) fcinfo->flinfo->fn_extra;

	if (unlikely(vc == NULL))
	{
		vc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(view_cache));
		fcinfo->flinfo->fn_extra = vc;
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sgd_epoch: feature array must not be NULL")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sgd_epoch: label must not be NULL")));
	if (PG_ARGISNULL(0))
	{
		bytea	   *start;
		mm_model   *m;
		mm_err		err = {0};
		Size		size;
		MemoryContext old;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("sgd_epoch: start model must not be NULL"),
					 errhint("Start from modelmgr.sgd_init(...).")));
		start = PG_GETARG_BYTEA_PP(1);
		m = mm_pg_decode_model(start, CurrentMemoryContext);
		size = mm_sgd_state_size(m, VARSIZE_ANY_EXHDR(start), &err);
		if (size == 0)
			mm_pg_raise(&err);
		old = MemoryContextSwitchTo(aggcxt);
		st = (bytea *) mm_pg_mem_alloc(aggcxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "the sgd_epoch state");
		MemoryContextSwitchTo(old);
		SET_VARSIZE(st, VARHDRSZ + size);
		if (mm_sgd_state_init((uint8 *) VARDATA(st), size, m, (const uint8 *) VARDATA_ANY(start),
							  VARSIZE_ANY_EXHDR(start), &err) != MM_OK)
			mm_pg_raise(&err);
	}
	else
	{
		st = mm_pg_own_state((bytea *) PG_GETARG_POINTER(0), MM_SGD_HDRSZ, aggcxt);
		/* the row check, unless st has the address, size and header of a state checked here */
		if (!(vc->st == (const uint8 *) VARDATA(st) && vc->size == VARSIZE(st) &&
			  memcmp(vc->hdr, VARDATA(st), MM_SGD_HDRSZ) == 0))
			st = mm_pg_trans_state(st, MM_SGD_HDRSZ, aggcxt, &vc->memo, mm_sgd_check, mm_sgd_validate);
		else if (unlikely(!mm_pg_memo_known(&vc->memo, st)))
			st = mm_pg_trans_state(st, MM_SGD_HDRSZ, aggcxt, &vc->memo, mm_sgd_check, mm_sgd_validate);
	}
	mm_pg_memo_note(fcinfo, &vc->memo, st);

	map_cached(fcinfo, (uint8 *) VARDATA(st), &v);
	vc->size = VARSIZE(st);
	xa = PG_GETARG_ARRAYTYPE_P(2);
	x = mm_pg_features(xa, &n, "sgd_epoch feature array");
	if ((uint32) n != v.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sgd_epoch: feature array has %d elements, but the model expects %u", n, v.d)));
	y = PG_GETARG_FLOAT8(3);
	mm_pg_check_finite(y, "sgd_epoch label");
	cls = mm_sgd_class_of(&v, y);
	if (cls < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sgd_epoch: label %g is not one of the model's classes", y)));
	mm_sgd_step(&v, x, cls, y);
	if ((Pointer) xa != DatumGetPointer(PG_GETARG_DATUM(2)))
		pfree(xa);
	PG_RETURN_BYTEA_P(st);
}

/* Combine: averages two partial passes weighted by the rows each has seen. */
PG_FUNCTION_INFO_V1(mm_sgd_epoch_combine);
Datum
mm_sgd_epoch_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	Datum		result;
	mm_sgd_view v;
	mm_err		err = {0};

	if (!mm_pg_combine_begin(fcinfo, "sgd_epoch", mm_sgd_validate, MM_SGD_HDRSZ, &a, &b, &result))
	{
		if (result == (Datum) 0)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	mm_sgd_map((uint8 *) VARDATA(a), &v);
	if (mm_sgd_combine(&v, (const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(a);
}

/* Final: the model after this pass, with the optimizer position for the next one. */
PG_FUNCTION_INFO_V1(mm_sgd_epoch_final);
Datum
mm_sgd_epoch_final(PG_FUNCTION_ARGS)
{
	bytea	   *st;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = mm_pg_unseal_state(PG_GETARG_BYTEA_PP(0), "sgd_epoch");
	if (mm_sgd_finish((const uint8 *) VARDATA_ANY(st), VARSIZE_ANY_EXHDR(st), &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}
