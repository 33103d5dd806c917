/*
 * predict.c: prediction from a model bytea, and model_info.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "mm_pg.h"

static inline Datum
predict_bytea(FunctionCallInfo fcinfo, mm_pred_kind kind)
{
	mm_model   *m = mm_pg_cached_model(fcinfo, 0);
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(1);

	return mm_pg_predict(m, mm_pg_model_input(m, xa), kind, xa);
}

/* Predicts a value (regression) or the numeric class label (classification). */
PG_FUNCTION_INFO_V1(mm_predict);
Datum
mm_predict(PG_FUNCTION_ARGS)
{
	return predict_bytea(fcinfo, MM_PRED_VALUE);
}

/* Predicts the class name (classifiers) or the value as text (regression). */
PG_FUNCTION_INFO_V1(mm_predict_label);
Datum
mm_predict_label(PG_FUNCTION_ARGS)
{
	return predict_bytea(fcinfo, MM_PRED_LABEL);
}

/* Class probabilities in the model's class order. */
PG_FUNCTION_INFO_V1(mm_predict_proba);
Datum
mm_predict_proba(PG_FUNCTION_ARGS)
{
	return predict_bytea(fcinfo, MM_PRED_PROBA);
}

static void
append_double(StringInfo s, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, buf);
	appendStringInfoString(s, buf);
}

static void
append_doubles(StringInfo s, const double *v, uint32 n)
{
	appendStringInfoChar(s, '[');
	for (uint32 i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoString(s, ", ");
		append_double(s, v[i]);
	}
	appendStringInfoChar(s, ']');
}

/* Describes a model: algorithm, sizes, classes, coefficients, training facts. */
PG_FUNCTION_INFO_V1(mm_model_info);
Datum
mm_model_info(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	mm_model   *m = mm_pg_decode_model(b, CurrentMemoryContext);
	StringInfoData s;
	uint32		d = m->n_features;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"format_version\": %d, \"algorithm\": ", MM_MODEL_VERSION);
	escape_json(&s, mm_algorithm_name(m->algorithm));
	appendStringInfo(&s, ", \"n_features\": %u, \"n_outputs\": %u, \"n_classes\": %u, \"size_bytes\": %zu, \"checksum\": %u",
					 d, m->n_outputs, m->n_classes, (size_t) VARSIZE_ANY_EXHDR(b), m->checksum);
	if (m->n_classes)
	{
		appendStringInfoString(&s, ", \"classes\": [");
		for (uint32 k = 0; k < m->n_classes; k++)
		{
			if (k)
				appendStringInfoString(&s, ", ");
			escape_json(&s, m->class_names[k]);
		}
		appendStringInfoChar(&s, ']');
	}
	if (m->feature_names)
	{
		appendStringInfoString(&s, ", \"features\": [");
		for (uint32 j = 0; j < d; j++)
		{
			if (j)
				appendStringInfoString(&s, ", ");
			escape_json(&s, m->feature_names[j]);
		}
		appendStringInfoChar(&s, ']');
	}
	appendStringInfoString(&s, ", \"intercept\": ");
	if (m->n_outputs == 1)
		append_double(&s, m->coef[0]);
	else
	{
		appendStringInfoChar(&s, '[');
		for (uint32 k = 0; k < m->n_outputs; k++)
		{
			if (k)
				appendStringInfoString(&s, ", ");
			append_double(&s, m->coef[(size_t) k * (d + 1)]);
		}
		appendStringInfoChar(&s, ']');
	}
	appendStringInfoString(&s, ", \"coefficients\": ");
	if (m->n_outputs == 1)
		append_doubles(&s, m->coef + 1, d);
	else
	{
		appendStringInfoChar(&s, '[');
		for (uint32 k = 0; k < m->n_outputs; k++)
		{
			if (k)
				appendStringInfoString(&s, ", ");
			append_doubles(&s, m->coef + (size_t) k * (d + 1) + 1, d);
		}
		appendStringInfoChar(&s, ']');
	}
	if (m->mean)
	{
		appendStringInfoString(&s, ", \"scaler\": {\"mean\": ");
		append_doubles(&s, m->mean, d);
		appendStringInfoString(&s, ", \"scale\": ");
		append_doubles(&s, m->scale, d);
		appendStringInfoChar(&s, '}');
	}
	mm_pg_append_signature_json(&s, m, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	appendStringInfo(&s, ", \"has_preprocessing\": %s, \"has_baseline\": %s",
					 m->inputs_len ? "true" : "false", m->baseline_len ? "true" : "false");
	if (m->meta && m->meta[0])
	{
		/* the checksum only says the bytes are intact, not that a foreign writer wrote JSON */
		JsonLexContext *lex = makeJsonLexContextCstringLen(m->meta, strlen(m->meta), GetDatabaseEncoding(), true);

		if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid model: its metadata is not valid JSON")));
		appendStringInfo(&s, ", \"training\": %s", m->meta);
	}
	appendStringInfoChar(&s, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}
