/*
 * distributed.c: model helpers for the training driver that runs epochs across shards
 * (train_sharded in sql/install/90_distributed.sql): the adaptive learning-rate step and the
 * published form of a trained model.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "mm_pg.h"
#include "mm_sgd.h"

/* The model with its adaptive learning rate divided by 5, or NULL once it is at most 1e-6. */
PG_FUNCTION_INFO_V1(mm_sgd_reduce_eta);
Datum
mm_sgd_reduce_eta(PG_FUNCTION_ARGS)
{
	mm_model   *m = mm_pg_decode_model(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_sgd_progress pr;
	mm_err		err = {0};

	if (mm_sgd_progress_of(m, &pr, &err) != MM_OK)
		mm_pg_raise(&err);
	if (!(pr.eta > 1e-6))
		PG_RETURN_NULL();
	if (mm_sgd_set_eta(m, pr.eta / 5.0, &a, &err) != MM_OK)
		mm_pg_raise(&err);
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}

static char **
feature_names(ArrayType *arr, uint32 n_features)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **names;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if ((uint32) n != n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d names, but the model has %u features", n, n_features)));
	names = palloc(sizeof(char *) * n);
	for (int j = 0; j < n; j++)
	{
		if (nulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature names must not be NULL")));
		names[j] = TextDatumGetCString(elems[j]);
	}
	return names;
}

/* The published model: no optimizer state, the given training facts and feature names. */
PG_FUNCTION_INFO_V1(mm_sgd_publish);
Datum
mm_sgd_publish(PG_FUNCTION_ARGS)
{
	mm_model   *m;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL")));
	m = mm_pg_decode_model(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
	mm_sgd_strip(m);
	if (!PG_ARGISNULL(1))
	{
		Jsonb	   *meta = PG_GETARG_JSONB_P(1);

		if (!JB_ROOT_IS_OBJECT(meta))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training facts must be a JSON object")));
		m->meta = JsonbToCString(NULL, &meta->root, VARSIZE(meta));
	}
	if (!PG_ARGISNULL(2))
		m->feature_names = feature_names(PG_GETARG_ARRAYTYPE_P(2), m->n_features);
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}
