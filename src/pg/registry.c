/*
 * registry.c: prediction by model name, from the deployed version in the registry.
 *
 * Each call site keeps a cache in fn_extra: the deployed version is looked up (SPI) once per
 * statement, the model is decoded once and kept while the deployed bytes stay the same, and
 * for the row forms the positions of the model's feature columns in the row type are resolved
 * once per row type.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "miscadmin.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/snapmgr.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "mm_pg.h"
#include "mm_prep.h"

#define MM_MAX_OUTPUTS_STACK 64

/* The feature columns of one row type, resolved for one model. */
typedef struct row_map
{
	Oid			type_id;		/* InvalidOid: not resolved */
	int32		typmod;
	TupleDesc	tupdesc;		/* copy with defaults for missing attributes */
	AttrNumber *attnums;		/* per model feature, or per input with preprocessing */
	Oid		   *basetypes;		/* per model feature, or per input */
	Oid		   *elemtypes;		/* per input: element type of an array input */
	Datum	   *values;			/* one deformed row */
	bool	   *isnull;
} row_map;

typedef struct name_cache
{
	MemoryContext cxt;			/* holds the model, its bytes, feature names and row map */
	/* the statement the lookup is valid for */
	bool		valid;
	TimestampTz stmt_start;
	LocalTransactionId lxid;
	CommandId	cid;
	char	   *name;			/* in fn_mcxt's child cxt_name */
	Size		name_len;
	MemoryContext cxt_name;
	/* the deployed version */
	int32		version;
	Size		len;
	uint32		checksum;
	mm_model   *model;
	bytea	   *bytes;			/* the model's bytes (model points into them) */
	bool		sig_checked;	/* passed modelmgr.require_signed_models since it was loaded */
	char	  **features;		/* n_features names or NULL */
	mm_prep    *prep;			/* raw-row preprocessing, or NULL */
	row_map		map;
	double	   *x;				/* n_features scratch */
	/* the column form (_predict_columns): argument number and type of each model feature */
	int		   *colargs;		/* NULL: not resolved for this model */
	Oid		   *coltypes;
	double	   *colfills;		/* imputation fill, NaN for none */
	const char **colnames;
	bool		colfloat8;		/* every feature column is float8 */
	bool		colident;		/* feature j is argument 3 + j */
} name_cache;

static Oid	registry_nsp_cached = InvalidOid;
static SPIPlanPtr lookup_plan = NULL;

static SPIPlanPtr
get_lookup_plan(Oid nsp)
{
	if (lookup_plan == NULL || registry_nsp_cached != nsp)
	{
		const char *schema = quote_identifier(get_namespace_name(nsp));
		char	   *sql;
		Oid			argtypes[1] = {TEXTOID};
		SPIPlanPtr	p;

		sql = psprintf("SELECT d.version, m.model, m.features, "
					   "EXISTS (SELECT 1 FROM %s.models x WHERE x.name OPERATOR(pg_catalog.=) $1) "
					   "FROM (SELECT 1) one "
					   "LEFT JOIN LATERAL (SELECT y.version FROM %s.deployments y "
					   "  WHERE y.name OPERATOR(pg_catalog.=) $1 ORDER BY y.id DESC LIMIT 1) d ON true "
					   "LEFT JOIN %s.models m ON m.name OPERATOR(pg_catalog.=) $1 "
					   "AND m.version OPERATOR(pg_catalog.=) d.version",
					   schema, schema, schema);
		p = SPI_prepare(sql, 1, argtypes);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (lookup_plan)
			SPI_freeplan(lookup_plan);
		lookup_plan = p;
		registry_nsp_cached = nsp;
	}
	return lookup_plan;
}

static void
copy_features(name_cache *c, Datum arr)
{
	ArrayType  *a = DatumGetArrayTypeP(arr);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != (int) c->model->n_features)
		return;					/* register_model prevents this; fall back to no names */
	c->features = MemoryContextAlloc(c->cxt, sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
		{
			c->features = NULL;
			return;
		}
		c->features[i] = MemoryContextStrdup(c->cxt, TextDatumGetCString(elems[i]));
	}
}

/* Looks up the deployed version of name and (re)loads the model when it changed. */
static void
load_deployed(FunctionCallInfo fcinfo, name_cache *c, const char *name)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Datum		arg = CStringGetTextDatum(name);
	bool		isnull;
	int			ret;
	int32		version;
	bytea	   *b;
	Size		len;
	uint32		crc = 0;
	bool		exists;
	HeapTuple	tup;
	TupleDesc	desc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_plan(get_lookup_plan(nsp), &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "registry lookup failed: %s", SPI_result_code_string(ret));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	exists = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
	version = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	if (isnull)
	{
		if (!exists)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name),
					 errhint("See modelmgr.model_overview for the registered models.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no deployed version", name),
				 errhint("Deploy one with modelmgr.deploy('%s').", name)));
	}
	b = DatumGetByteaPP(SPI_getbinval(tup, desc, 2, &isnull));
	if (isnull)
		elog(ERROR, "deployed version %d of model \"%s\" has no row", version, name);
	len = VARSIZE_ANY_EXHDR(b);
	if (len >= MM_MODEL_HDRSZ)
		crc = mm_load_u32((const uint8 *) VARDATA_ANY(b) + MM_MODEL_CRC_OFFSET);

	if (!(c->model && c->version == version && c->len == len && c->checksum == crc))
	{
		bytea	   *copy;
		Datum		feats;

		c->model = NULL;
		c->features = NULL;
		c->prep = NULL;
		c->x = NULL;
		c->map.type_id = InvalidOid;
		c->colargs = NULL;
		c->coltypes = NULL;
		MemoryContextReset(c->cxt);
		/* the decoded model points into its bytes, so the cache keeps its own copy */
		copy = (bytea *) MemoryContextAlloc(c->cxt, VARHDRSZ + len);
		SET_VARSIZE(copy, VARHDRSZ + len);
		memcpy(VARDATA(copy), VARDATA_ANY(b), len);
		c->model = mm_pg_decode_model(copy, c->cxt);
		c->bytes = copy;
		c->sig_checked = false;
		c->version = version;
		c->len = len;
		c->checksum = crc;
		c->x = MemoryContextAlloc(c->cxt, sizeof(double) * Max(c->model->n_features, 1));
		if (c->model->inputs_len)
		{
			mm_err		err = {0};
			mm_alloc	a = mm_pg_allocator(c->cxt);

			if (mm_prep_decode(c->model->inputs, c->model->inputs_len, c->model->n_features, &a, &c->prep, &err) != MM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid model: %s", err.msg)));
		}
		if (c->model->feature_names)
			c->features = c->model->feature_names;
		else
		{
			feats = SPI_getbinval(tup, desc, 3, &isnull);
			if (!isnull)
				copy_features(c, feats);
		}
	}
	SPI_finish();

	/* verified once per loaded model, not per row; the cache is unusable until it passes */
	if (mm_require_signed_models && !c->sig_checked)
	{
		mm_model   *m = c->model;

		c->model = NULL;
		mm_pg_require_signed(m, VARDATA(c->bytes), VARSIZE(c->bytes) - VARHDRSZ, nsp, "predict by name");
		c->model = m;
		c->sig_checked = true;
	}
}

/*
 * The cache of this call site with the deployed model of name loaded. The lookup is redone
 * when the statement, the transaction or the command id changes, so the next statement (and
 * a later command of the same function) sees a deploy or rollback committed meanwhile.
 */
static name_cache *
resolve(FunctionCallInfo fcinfo, text *name_t)
{
	name_cache *c = (name_cache *) fcinfo->flinfo->fn_extra;
	char	   *name;
	TimestampTz ts = GetCurrentStatementStartTimestamp();
	LocalTransactionId lxid = MyProc->lxid;
	CommandId	cid = GetCurrentCommandId(false);

	/* the per-row path: same statement, same name, compared in place without a copy */
	if (c && c->valid && c->stmt_start == ts && c->lxid == lxid && c->cid == cid &&
		VARSIZE_ANY_EXHDR(name_t) == c->name_len && memcmp(VARDATA_ANY(name_t), c->name, c->name_len) == 0)
		return c;
	name = text_to_cstring(name_t);

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(name_cache));
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "modelmgr deployed model", ALLOCSET_SMALL_SIZES);
		c->cxt_name = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "modelmgr model name", ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	if (c->valid && c->stmt_start == ts && c->lxid == lxid && c->cid == cid && strcmp(c->name, name) == 0)
	{
		pfree(name);
		return c;
	}
	c->valid = false;
	if (c->name == NULL || strcmp(c->name, name) != 0)
	{
		c->model = NULL;		/* another model: never reuse the decoded one */
		MemoryContextReset(c->cxt_name);
		c->name = MemoryContextStrdup(c->cxt_name, name);
		c->name_len = strlen(name);
	}
	load_deployed(fcinfo, c, name);
	c->stmt_start = ts;
	c->lxid = lxid;
	c->cid = cid;
	c->valid = true;
	pfree(name);
	return c;
}

static bool
is_numeric_type(Oid t)
{
	switch (t)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case BOOLOID:
			return true;
		default:
			return false;
	}
}

static bool
is_text_like(Oid t)
{
	return t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID;
}

static int
find_attr(TupleDesc td, const char *name)
{
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i;
	}
	return -1;
}

/* The model's raw input columns in a row type (models trained from named columns). */
static void
build_input_map(name_cache *c, Oid type_id, int32 typmod)
{
	row_map    *map = &c->map;
	const mm_prep *p = c->prep;
	TupleDesc	td;
	MemoryContext old;

	map->type_id = InvalidOid;
	old = MemoryContextSwitchTo(c->cxt);
	td = lookup_rowtype_tupdesc_copy(type_id, typmod);
	map->attnums = palloc(sizeof(AttrNumber) * p->ninputs);
	map->basetypes = palloc(sizeof(Oid) * p->ninputs);
	map->elemtypes = palloc0(sizeof(Oid) * p->ninputs);
	MemoryContextSwitchTo(old);
	for (uint32 j = 0; j < p->ninputs; j++)
	{
		const mm_input *in = &p->in[j];
		int			i = find_attr(td, in->name);
		Oid			t;
		bool		ok;

		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\"", in->name),
					 errdetail("Model \"%s\" version %d reads column \"%s\" from the row.", c->name, c->version, in->name)));
		t = getBaseType(TupleDescAttr(td, i)->atttypid);
		switch (in->kind)
		{
			case MM_IN_NUMBER:
				ok = is_numeric_type(t);
				break;
			case MM_IN_CATEGORY:
				ok = is_text_like(t) || t == BOOLOID;
				break;
			default:
				map->elemtypes[j] = get_element_type(t);
				ok = OidIsValid(map->elemtypes[j]) && is_numeric_type(map->elemtypes[j]) && map->elemtypes[j] != BOOLOID;
				break;
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, but model \"%s\" reads it as %s", in->name,
							format_type_be(TupleDescAttr(td, i)->atttypid), c->name,
							in->kind == MM_IN_NUMBER ? "a number" : in->kind == MM_IN_CATEGORY ? "a category (text or boolean)" : "a numeric array")));
		map->basetypes[j] = t;
		map->attnums[j] = (AttrNumber) (i + 1);
	}
	map->tupdesc = td;
	map->values = MemoryContextAlloc(c->cxt, sizeof(Datum) * (td->natts + 1));
	map->isnull = MemoryContextAlloc(c->cxt, sizeof(bool) * (td->natts + 1));
	map->type_id = type_id;
	map->typmod = typmod;
}

/* Finds the model's feature columns in a row type: once per call site and row type. */
static void
build_row_map(name_cache *c, Oid type_id, int32 typmod)
{
	row_map    *map = &c->map;
	const mm_model *m = c->model;
	TupleDesc	td;
	MemoryContext old;

	if (c->features == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model \"%s\" version %d has no feature names, so it cannot read a row", c->name, c->version),
				 errhint("Pass a float8[] feature vector, or register the model with features => ARRAY[...].")));
	map->type_id = InvalidOid;
	old = MemoryContextSwitchTo(c->cxt);
	td = lookup_rowtype_tupdesc_copy(type_id, typmod);
	map->attnums = palloc(sizeof(AttrNumber) * m->n_features);
	map->basetypes = palloc(sizeof(Oid) * m->n_features);
	MemoryContextSwitchTo(old);
	for (uint32 j = 0; j < m->n_features; j++)
	{
		const char *f = c->features[j];
		int			i = find_attr(td, f);

		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\"", f),
					 errdetail("Model \"%s\" version %d reads feature \"%s\" from the row.", c->name, c->version, f)));
		map->basetypes[j] = getBaseType(TupleDescAttr(td, i)->atttypid);
		if (!is_numeric_type(map->basetypes[j]))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, but a feature must be numeric", f,
							format_type_be(TupleDescAttr(td, i)->atttypid)),
					 errhint("Features are int2, int4, int8, float4, float8, numeric or boolean columns; cast the column in a subquery.")));
		map->attnums[j] = (AttrNumber) (i + 1);
	}
	map->tupdesc = td;
	map->values = MemoryContextAlloc(c->cxt, sizeof(Datum) * (td->natts + 1));
	map->isnull = MemoryContextAlloc(c->cxt, sizeof(bool) * (td->natts + 1));
	map->type_id = type_id;
	map->typmod = typmod;
}

static inline double
datum_to_double(Datum d, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return (double) DatumGetInt16(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
		default:
			elog(ERROR, "unexpected feature type %u", type);
	}
	return 0;
}

/*
 * A numeric feature from its column's value (row and column forms). A NULL takes the model's
 * imputation fill, where it has one (NaN: none).
 */
static inline double
column_feature(const char *name, double fill, Datum d, bool isnull, Oid type)
{
	double		v;

	if (isnull)
	{
		if (isnan(fill))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature column \"%s\" is NULL", name),
					 errhint("Impute missing values first, or train with the \"impute\" option.")));
		return fill;
	}
	v = type == FLOAT8OID ? DatumGetFloat8(d) : datum_to_double(d, type);
	if (unlikely(isinf(v) || isnan(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature column \"%s\" must be finite", name),
				 errdetail("The value is %s.", isnan(v) ? "NaN" : "infinite")));
	return v;
}

/*
 * One category column: a one-hot block (without the reference level's feature when the model
 * codes one), all zeros for NULL, an unseen category or the reference level.
 */
static void
category_features(const mm_input *in, Datum d, bool isnull, Oid type, double *x)
{
	const char *s;
	size_t		n;
	int32		k;

	memset(x, 0, sizeof(double) * in->width);
	if (isnull)
		return;
	if (type == BOOLOID)
	{
		s = DatumGetBool(d) ? "true" : "false";
		n = strlen(s);
	}
	else if (type == NAMEOID)
	{
		s = NameStr(*DatumGetName(d));
		n = strlen(s);
	}
	else
	{
		text	   *t = DatumGetTextPP(d);

		s = VARDATA_ANY(t);
		n = VARSIZE_ANY_EXHDR(t);
		if (type == BPCHAROID)
			while (n > 0 && s[n - 1] == ' ')
				n--;			/* as bpchar::text does */
	}
	k = mm_prep_category_slot(in, mm_prep_category(in, s, n));
	if (k >= 0)
		x[k] = 1.0;
}

/* Replays the model's preprocessing on a row: numbers (with imputation), one-hot blocks, arrays. */
static const double *
input_features(name_cache *c)
{
	const mm_prep *p = c->prep;
	row_map    *map = &c->map;
	double	   *x = c->x;

	for (uint32 j = 0; j < p->ninputs; j++)
	{
		const mm_input *in = &p->in[j];
		bool		isnull = map->isnull[map->attnums[j] - 1];
		Datum		d = map->values[map->attnums[j] - 1];

		if (in->kind == MM_IN_CATEGORY)
			category_features(in, d, isnull, map->basetypes[j], x);
		else if (in->kind == MM_IN_NUMBER)
			x[0] = column_feature(in->name, in->fill, d, isnull, map->basetypes[j]);
		else
		{
			ArrayType  *a;
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int16		elmlen;
			bool		elmbyval;
			char		elmalign;

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("feature column \"%s\" is NULL", in->name)));
			a = DatumGetArrayTypeP(d);
			get_typlenbyvalalign(map->elemtypes[j], &elmlen, &elmbyval, &elmalign);
			deconstruct_array(a, map->elemtypes[j], elmlen, elmbyval, elmalign, &elems, &nulls, &n);
			if ((uint32) n != in->width || ARR_NDIM(a) != 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("array column \"%s\" has %d elements, but the model expects %u", in->name, n, in->width)));
			for (int i = 0; i < n; i++)
			{
				if (nulls[i])
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("array column \"%s\" has a NULL element", in->name)));
				x[i] = datum_to_double(elems[i], map->elemtypes[j]);
				if (unlikely(isinf(x[i]) || isnan(x[i])))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("array column \"%s\" must contain only finite values", in->name)));
			}
			pfree(elems);
			pfree(nulls);
			if ((Pointer) a != DatumGetPointer(d))
				pfree(a);
		}
		x += in->width;
	}
	return c->x;
}

/*
 * The one place a row becomes a feature vector: picks the model's feature columns from the
 * row by name and converts them to float8 (preprocessing such as one-hot encoding or
 * imputation belongs here). Returns c->x.
 */
static const double *
row_features(name_cache *c, HeapTupleHeader rec)
{
	Oid			type_id = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	HeapTupleData tuple;
	row_map    *map = &c->map;

	if (map->type_id != type_id || map->typmod != typmod)
	{
		if (c->prep)
			build_input_map(c, type_id, typmod);
		else
			build_row_map(c, type_id, typmod);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	/* one pass over the row; per-column heap_getattr would walk it again for every feature */
	heap_deform_tuple(&tuple, map->tupdesc, map->values, map->isnull);
	if (c->prep)
		return input_features(c);
	for (uint32 j = 0; j < c->model->n_features; j++)
		c->x[j] = column_feature(c->features[j], NAN, map->values[map->attnums[j] - 1], map->isnull[map->attnums[j] - 1],
								 map->basetypes[j]);
	return c->x;
}

static Datum
predict_array(FunctionCallInfo fcinfo, mm_pred_kind kind)
{
	name_cache *c = resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(1);

	return mm_pg_predict(c->model, mm_pg_model_input(c->model, xa), kind, xa);
}

static Datum
predict_row(FunctionCallInfo fcinfo, mm_pred_kind kind)
{
	name_cache *c = resolve(fcinfo, PG_GETARG_TEXT_PP(0));

	return mm_pg_predict(c->model, row_features(c, PG_GETARG_HEAPTUPLEHEADER(1)), kind, NULL);
}

/*
 * predict(name, row) without the row.
 *
 * A whole-row reference costs PostgreSQL a new composite value per row (every column copied
 * into a fresh tuple), which the function then takes apart again: about 7x a plain scan. Where
 * the model name is a constant and the row is a table's row, the planner support function below
 * replaces predict(name, t) by _predict_columns(name, features, present, t.f1, t.f2, ...): the
 * model's feature columns, looked up in the deployed version at plan time, passed as arguments.
 * "present" says whether the row is there: true where no outer join can null it, else t.ctid,
 * which is NULL exactly when t is; so predict's STRICT result is kept. Queries with grouping
 * sets are left alone (they null the row, not the columns, in rolled-up rows). At run time the
 * deployed version is looked up as always; if its features are no longer among the planned
 * columns (a redeploy under a cached plan), the call fails and asks for a new plan.
 */

/* Whether a model's raw inputs are numeric columns only (no one-hot blocks, no arrays). */
static bool
numbers_only(const mm_prep *p)
{
	for (uint32 j = 0; j < p->ninputs; j++)
		if (p->in[j].kind != MM_IN_NUMBER)
			return false;
	return true;
}

/*
 * The columns the deployed model reads, at plan time: its feature names, or its input columns
 * when they are all numbers; NULL otherwise (and where anything is unavailable).
 */
static ArrayType *
planned_features(Oid nsp, Const *name)
{
	Oid			models = get_relname_relid("models", nsp);
	Oid			deployments = get_relname_relid("deployments", nsp);
	ArrayType  *result = NULL;
	MemoryContext outer = CurrentMemoryContext;
	bool		isnull;
	Datum		mdat;
	mm_model   *m = NULL;
	mm_prep    *prep = NULL;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);

	/* anything that could fail here leaves predict() as it is, to raise its own error at run time */
	if (!OidIsValid(models) || !OidIsValid(deployments) || !ActiveSnapshotSet() ||
		pg_class_aclcheck(models, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		pg_class_aclcheck(deployments, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		return NULL;
	if (SPI_execute_plan(get_lookup_plan(nsp), &name->constvalue, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		mdat = SPI_getbinval(tup, desc, 2, &isnull);
		if (!isnull)
		{
			bytea	   *b = DatumGetByteaPP(mdat);

			if (mm_model_decode(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &a, &m, &err) != MM_OK ||
				(m->inputs_len && (mm_prep_decode(m->inputs, m->inputs_len, m->n_features, &a, &prep, &err) != MM_OK ||
								   !numbers_only(prep))))
				m = NULL;
		}
		if (m && m->n_features <= FUNC_MAX_ARGS - 3)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			if (prep)
			{
				Datum	   *d = palloc(sizeof(Datum) * prep->ninputs);

				for (uint32 j = 0; j < prep->ninputs; j++)
					d[j] = CStringGetTextDatum(prep->in[j].name);
				result = construct_array(d, (int) prep->ninputs, TEXTOID, -1, false, TYPALIGN_INT);
			}
			else if (m->feature_names)
			{
				Datum	   *d = palloc(sizeof(Datum) * m->n_features);

				for (uint32 j = 0; j < m->n_features; j++)
					d[j] = CStringGetTextDatum(m->feature_names[j]);
				result = construct_array(d, (int) m->n_features, TEXTOID, -1, false, TYPALIGN_INT);
			}
			else
			{
				Datum		f = SPI_getbinval(tup, desc, 3, &isnull);

				if (!isnull)
				{
					result = DatumGetArrayTypePCopy(f);
					if (ARR_NDIM(result) != 1 || ARR_DIMS(result)[0] != (int) m->n_features ||
						array_contains_nulls(result))
						result = NULL;
				}
			}
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	return result;
}

/* Whether a join tree has an outer join anywhere (so a relation's row may be NULL-extended). */
static bool
has_outer_join(Node *jt)
{
	if (jt == NULL || IsA(jt, RangeTblRef))
		return false;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			if (has_outer_join(lfirst(lc)))
				return true;
		return false;
	}
	if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;

		return j->jointype != JOIN_INNER || has_outer_join(j->larg) || has_outer_join(j->rarg);
	}
	return true;				/* anything else: assume it may */
}

PG_FUNCTION_INFO_V1(mm_predict_row_support);
Datum
mm_predict_row_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *fe;
	Const	   *name;
	Var		   *row;
	PlannerInfo *root;
	RangeTblEntry *rte;
	char		relkind;
	Oid			nsp,
				target;
	const char *target_name;
	char	   *fname;
	ArrayType  *features;
	Datum	   *fdat;
	int			nf;
	TupleDesc	td;
	List	   *args;
	FuncExpr   *result;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	fe = req->fcall;
	if (list_length(fe->args) != 2 || !IsA(linitial(fe->args), Const) || !IsA(lsecond(fe->args), Var))
		PG_RETURN_POINTER(NULL);
	name = (Const *) linitial(fe->args);
	row = (Var *) lsecond(fe->args);
	if (name->constisnull || name->consttype != TEXTOID || row->varattno != 0 || req->root == NULL)
		PG_RETURN_POINTER(NULL);
	/* a row of a table (whose ctid tells a row from the NULL of an outer join) */
	root = req->root;
	for (Index up = 0; up < row->varlevelsup && root; up++)
		root = root->parent_root;
	if (root == NULL || row->varno < 1 || row->varno > (int) list_length(root->parse->rtable))
		PG_RETURN_POINTER(NULL);
	rte = rt_fetch(row->varno, root->parse->rtable);
	if (rte->rtekind != RTE_RELATION)
		PG_RETURN_POINTER(NULL);
	/* grouping sets null the row in their rolled-up rows, but not columns the query does not group by */
	if (root->parse->groupingSets != NIL)
		PG_RETURN_POINTER(NULL);
	/* the RTE's own relkind: ON CONFLICT's EXCLUDED row is marked a composite type, without ctid */
	relkind = rte->relkind;
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW && relkind != RELKIND_PARTITIONED_TABLE)
		PG_RETURN_POINTER(NULL);

	fname = get_func_name(fe->funcid);
	if (fname == NULL)
		PG_RETURN_POINTER(NULL);
	target_name = strcmp(fname, "predict") == 0 ? "_predict_columns" :
		strcmp(fname, "predict_label") == 0 ? "_predict_label_columns" :
		strcmp(fname, "predict_proba") == 0 ? "_predict_proba_columns" : NULL;
	if (target_name == NULL)
		PG_RETURN_POINTER(NULL);
	nsp = get_func_namespace(fe->funcid);
	{
		Oid			argtypes[3] = {TEXTOID, TEXTARRAYOID, ANYOID};

		target = LookupFuncName(list_make2(makeString(get_namespace_name(nsp)), makeString((char *) target_name)),
								3, argtypes, true);
	}
	if (!OidIsValid(target) || (features = planned_features(nsp, name)) == NULL)
		PG_RETURN_POINTER(NULL);

	deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT, &fdat, NULL, &nf);
	/*
	 * Whether the row is there: a constant where no outer join can null it, else its ctid (which
	 * costs the scan a projection, as a system column is not in the table's physical row).
	 */
	args = list_make3(name,
					  makeConst(TEXTARRAYOID, -1, InvalidOid, -1, PointerGetDatum(features), false, false),
					  has_outer_join((Node *) root->parse->jointree)
					  ? (Node *) makeVar(row->varno, SelfItemPointerAttributeNumber, TIDOID, -1, InvalidOid, row->varlevelsup)
					  : (Node *) makeBoolConst(true, false));
	td = lookup_rowtype_tupdesc(row->vartype, row->vartypmod);
	for (int j = 0; j < nf; j++)
	{
		int			i = find_attr(td, TextDatumGetCString(fdat[j]));
		Form_pg_attribute att;

		/* a missing or non-numeric column: predict() raises the error at run time */
		if (i < 0 || !is_numeric_type(getBaseType((att = TupleDescAttr(td, i))->atttypid)))
		{
			ReleaseTupleDesc(td);
			PG_RETURN_POINTER(NULL);
		}
		args = lappend(args, makeVar(row->varno, (AttrNumber) (i + 1), att->atttypid, att->atttypmod,
									 att->attcollation, row->varlevelsup));
	}
	ReleaseTupleDesc(td);
	result = makeFuncExpr(target, fe->funcresulttype, args, fe->funccollid, fe->inputcollid, COERCE_EXPLICIT_CALL);
	result->location = fe->location;
	PG_RETURN_POINTER(result);
}

/*
 * The planner's cost of _predict_columns: two operators per feature column (a multiply and an
 * add, what the same prediction written in SQL would cost) plus a few for the call. With the
 * default cost of one operator a prediction over a large table looked as cheap as a plain scan,
 * so PostgreSQL never compiled it with JIT, which pays here: deforming the row and passing every
 * column is most of the work.
 */
PG_FUNCTION_INFO_V1(mm_predict_columns_support);
Datum
mm_predict_columns_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestCost *req;
	int			ncols = 1;

	if (!IsA(rawreq, SupportRequestCost))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestCost *) rawreq;
	if (req->node && IsA(req->node, FuncExpr))
		ncols = Max(list_length(((FuncExpr *) req->node)->args) - 3, 1);
	req->startup = 0;
	req->per_tuple = (2.0 * ncols + 10) * cpu_operator_cost;
	PG_RETURN_POINTER(req);
}

/* Which argument holds each model feature, once per call site and deployed model. */
static void
build_column_map(FunctionCallInfo fcinfo, name_cache *c)
{
	ArrayType  *planned = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *names;
	bool	   *nulls;
	int			n;
	uint32		d = c->model->n_features;
	int		   *argnos;
	Oid		   *types;
	double	   *fills;
	const char **colnames;

	if (c->prep ? !numbers_only(c->prep) : c->features == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the deployed version %d of model \"%s\" reads the row differently from when this query was planned", c->version, c->name),
				 errhint("Plan the query again (run it again, or DISCARD PLANS for prepared statements).")));
	deconstruct_array(planned, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
	if (n != PG_NARGS() - 3)
		elog(ERROR, "_predict_columns: %d feature names for %d columns", n, PG_NARGS() - 3);
	argnos = MemoryContextAlloc(c->cxt, sizeof(int) * d);
	types = MemoryContextAlloc(c->cxt, sizeof(Oid) * d);
	fills = MemoryContextAlloc(c->cxt, sizeof(double) * d);
	colnames = MemoryContextAlloc(c->cxt, sizeof(char *) * d);
	for (uint32 j = 0; j < d; j++)
	{
		int			k;

		/* with preprocessing, every input is one number column (checked above) */
		colnames[j] = c->prep ? c->prep->in[j].name : c->features[j];
		fills[j] = c->prep ? c->prep->in[j].fill : NAN;
		for (k = 0; k < n; k++)
			if (!nulls[k] && strcmp(TextDatumGetCString(names[k]), colnames[j]) == 0)
				break;
		if (k == n)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the deployed version %d of model \"%s\" reads column \"%s\", which this query's plan does not pass", c->version, c->name, colnames[j]),
					 errhint("Plan the query again (run it again, or DISCARD PLANS for prepared statements).")));
		argnos[j] = 3 + k;
		types[j] = getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 3 + k));
		if (!is_numeric_type(types[j]))
			elog(ERROR, "_predict_columns: argument %d is not numeric", 3 + k + 1);
	}
	c->colfloat8 = true;
	c->colident = true;
	for (uint32 j = 0; j < d; j++)
	{
		c->colfloat8 &= types[j] == FLOAT8OID;
		c->colident &= argnos[j] == 3 + (int) j;
	}
	c->coltypes = types;
	c->colfills = fills;
	c->colnames = colnames;
	c->colargs = argnos;
}

/*
 * For a model with one output and float8 columns: its score straight from the arguments, in
 * mm_model_scores' order (the same bits). argnos: the argument of each feature, or NULL when
 * feature j is argument 3 + j (the planner passes them in the model's order), which saves a
 * load per column. False when a column is NULL, NaN or infinite, or the score is not finite:
 * then the column-by-column path says which column it was.
 */
static inline __attribute__((always_inline)) bool
column_score(FunctionCallInfo fcinfo, const int *argnos, const mm_model *m, double *score)
{
	uint32		d = m->n_features;
	const double *e = m->eff;
	const NullableDatum *args = fcinfo->args;
	bool		anynull = false;
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0,
				s;
	uint32		j = 0;

#define COLUMN_ARG(j) (argnos ? &args[argnos[j]] : &args[3 + (j)])
	for (; j + 4 <= d; j += 4)
	{
		const NullableDatum *a0 = COLUMN_ARG(j),
				   *a1 = COLUMN_ARG(j + 1),
				   *a2 = COLUMN_ARG(j + 2),
				   *a3 = COLUMN_ARG(j + 3);

		anynull |= a0->isnull | a1->isnull | a2->isnull | a3->isnull;
		s0 += e[j + 1] * DatumGetFloat8(a0->value);
		s1 += e[j + 2] * DatumGetFloat8(a1->value);
		s2 += e[j + 3] * DatumGetFloat8(a2->value);
		s3 += e[j + 4] * DatumGetFloat8(a3->value);
	}
	for (; j < d; j++)
	{
		anynull |= COLUMN_ARG(j)->isnull;
		s0 += e[j + 1] * DatumGetFloat8(COLUMN_ARG(j)->value);
	}
#undef COLUMN_ARG
	s = e[0] + ((s0 + s1) + (s2 + s3));
	*score = s;
	return !anynull && !isinf(s) && !isnan(s);
}

static Datum
predict_columns(FunctionCallInfo fcinfo, mm_pred_kind kind)
{
	name_cache *c;

	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();		/* the row is NULL: predict() is STRICT */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "_predict_columns: NULL model name or feature list");
	c = resolve(fcinfo, PG_GETARG_TEXT_PP(0));
	if (c->colargs == NULL)
		build_column_map(fcinfo, c);
	if (c->colfloat8 && c->model->n_outputs == 1)
	{
		double		score;

		if (likely(c->colident ? column_score(fcinfo, NULL, c->model, &score)
				   : column_score(fcinfo, c->colargs, c->model, &score)))
			return mm_pg_predict_scored(c->model, &score, kind);
	}
	else if (c->colfloat8)
	{
		/* float8 columns: copy, then one branch-free check for NULLs and non-finite values */
		bool		anynull = false;
		uint32		d = c->model->n_features;
		const int  *argnos = c->colargs;
		double	   *x = c->x;

		for (uint32 j = 0; j < d; j++)
		{
			NullableDatum *a = &fcinfo->args[argnos[j]];

			anynull |= a->isnull;
			x[j] = DatumGetFloat8(a->value);
		}
		if (likely(!anynull && mm_all_finite(x, d)))
			return mm_pg_predict(c->model, x, kind, NULL);
	}
	for (uint32 j = 0; j < c->model->n_features; j++)
	{
		int			k = c->colargs[j];

		c->x[j] = column_feature(c->colnames[j], c->colfills[j], PG_GETARG_DATUM(k), PG_ARGISNULL(k), c->coltypes[j]);
	}
	return mm_pg_predict(c->model, c->x, kind, NULL);
}

PG_FUNCTION_INFO_V1(mm_predict_columns);
Datum
mm_predict_columns(PG_FUNCTION_ARGS)
{
	return predict_columns(fcinfo, MM_PRED_VALUE);
}

PG_FUNCTION_INFO_V1(mm_predict_label_columns);
Datum
mm_predict_label_columns(PG_FUNCTION_ARGS)
{
	return predict_columns(fcinfo, MM_PRED_LABEL);
}

PG_FUNCTION_INFO_V1(mm_predict_proba_columns);
Datum
mm_predict_proba_columns(PG_FUNCTION_ARGS)
{
	return predict_columns(fcinfo, MM_PRED_PROBA);
}

/* Predicts with the deployed version of a named model from a feature array. */
PG_FUNCTION_INFO_V1(mm_predict_by_name);
Datum
mm_predict_by_name(PG_FUNCTION_ARGS)
{
	return predict_array(fcinfo, MM_PRED_VALUE);
}

/* Class name (or value as text) from the deployed version of a named model. */
PG_FUNCTION_INFO_V1(mm_predict_label_by_name);
Datum
mm_predict_label_by_name(PG_FUNCTION_ARGS)
{
	return predict_array(fcinfo, MM_PRED_LABEL);
}

/* Class probabilities from the deployed version of a named model. */
PG_FUNCTION_INFO_V1(mm_predict_proba_by_name);
Datum
mm_predict_proba_by_name(PG_FUNCTION_ARGS)
{
	return predict_array(fcinfo, MM_PRED_PROBA);
}

/* Predicts with the deployed version of a named model, features taken from a row by name. */
PG_FUNCTION_INFO_V1(mm_predict_row);
Datum
mm_predict_row(PG_FUNCTION_ARGS)
{
	return predict_row(fcinfo, MM_PRED_VALUE);
}

/* Class name from the deployed version of a named model, features taken from a row. */
PG_FUNCTION_INFO_V1(mm_predict_label_row);
Datum
mm_predict_label_row(PG_FUNCTION_ARGS)
{
	return predict_row(fcinfo, MM_PRED_LABEL);
}

/* Class probabilities from the deployed version of a named model, features taken from a row. */
PG_FUNCTION_INFO_V1(mm_predict_proba_row);
Datum
mm_predict_proba_row(PG_FUNCTION_ARGS)
{
	return predict_row(fcinfo, MM_PRED_PROBA);
}
