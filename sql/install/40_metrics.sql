-- Metric aggregates (scikit-learn's definitions): classification counts, ranking, regression.
-- Every metric <m> is an aggregate with a bytea state and metric_combine as COMBINEFUNC, plus
-- <m>_partial (same inputs, returns the state) and <m>_merge(state bytea) (combines states, applies
-- the final), for engines that aggregate on several nodes. NULL inputs are skipped and counted.

CREATE FUNCTION metric_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_metric_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION metric_combine(bytea, bytea) IS 'metric aggregates combine (and *_merge transition): merges two states of the same metric; validates the incoming state';
CREATE FUNCTION metric_partial_final(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_metric_partial_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION metric_partial_final(bytea) IS 'final of the *_partial metric aggregates: validates the state and trims its spare capacity';
CREATE FUNCTION metric_state_info(state bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_metric_state_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION metric_state_info(bytea) IS 'validates a metric state (from a *_partial aggregate) and describes it: metric, rows, skipped_nulls, bytes, label type and classes';


-- accuracy
CREATE FUNCTION accuracy_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_accuracy_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION accuracy_sfunc(bytea, float8, float8) IS 'accuracy transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION accuracy_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_accuracy_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION accuracy_sfunc(bytea, text, text) IS 'accuracy transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION accuracy_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_accuracy_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION accuracy_final(bytea) IS 'accuracy final: fraction of rows with predicted = actual from a accuracy state';
CREATE AGGREGATE accuracy(predicted float8, actual float8) (
    SFUNC = accuracy_sfunc, STYPE = bytea, FINALFUNC = accuracy_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE accuracy(float8, float8) IS 'fraction of rows with predicted = actual; NULL over zero non-NULL rows';
CREATE AGGREGATE accuracy_partial(predicted float8, actual float8) (
    SFUNC = accuracy_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE accuracy_partial(float8, float8) IS 'the exported state of accuracy(float8, float8) as bytea, for accuracy_merge';
CREATE AGGREGATE accuracy(predicted text, actual text) (
    SFUNC = accuracy_sfunc, STYPE = bytea, FINALFUNC = accuracy_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE accuracy(text, text) IS 'fraction of rows with predicted = actual; NULL over zero non-NULL rows';
CREATE AGGREGATE accuracy_partial(predicted text, actual text) (
    SFUNC = accuracy_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE accuracy_partial(text, text) IS 'the exported state of accuracy(text, text) as bytea, for accuracy_merge';
CREATE AGGREGATE accuracy_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = accuracy_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE accuracy_merge(bytea) IS 'combines accuracy_partial states (NULLs ignored) and returns fraction of rows with predicted = actual';

-- precision
CREATE FUNCTION precision_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_sfunc(bytea, float8, float8) IS 'precision transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_sfunc(state bytea, predicted float8, actual float8, positive float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_sfunc(bytea, float8, float8, float8) IS 'precision transition: counts one (float8) label pair; positive is read on the first row';
CREATE FUNCTION precision_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_sfunc(bytea, text, text) IS 'precision transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_sfunc(state bytea, predicted text, actual text, positive text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_sfunc(bytea, text, text, text) IS 'precision transition: counts one (text) label pair; positive is read on the first row';
CREATE FUNCTION precision_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_precision_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION precision_final(bytea) IS 'precision final: binary precision tp / (tp + fp) of the positive class (0 without predicted positives) from a precision state';
CREATE AGGREGATE "precision"(predicted float8, actual float8) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE "precision"(float8, float8) IS 'binary precision tp / (tp + fp) of the positive class (0 without predicted positives); positive class 1; NULL over zero non-NULL rows';
CREATE AGGREGATE precision_partial(predicted float8, actual float8) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_partial(float8, float8) IS 'the exported state of precision(float8, float8) as bytea, for precision_merge';
CREATE AGGREGATE "precision"(predicted float8, actual float8, positive float8) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE "precision"(float8, float8, float8) IS 'binary precision tp / (tp + fp) of the positive class (0 without predicted positives); NULL over zero non-NULL rows';
CREATE AGGREGATE precision_partial(predicted float8, actual float8, positive float8) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_partial(float8, float8, float8) IS 'the exported state of precision(float8, float8, float8) as bytea, for precision_merge';
CREATE AGGREGATE "precision"(predicted text, actual text) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE "precision"(text, text) IS 'binary precision tp / (tp + fp) of the positive class (0 without predicted positives); positive class = the second of exactly two labels in byte order; NULL over zero non-NULL rows';
CREATE AGGREGATE precision_partial(predicted text, actual text) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_partial(text, text) IS 'the exported state of precision(text, text) as bytea, for precision_merge';
CREATE AGGREGATE "precision"(predicted text, actual text, positive text) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE "precision"(text, text, text) IS 'binary precision tp / (tp + fp) of the positive class (0 without predicted positives); NULL over zero non-NULL rows';
CREATE AGGREGATE precision_partial(predicted text, actual text, positive text) (
    SFUNC = precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_partial(text, text, text) IS 'the exported state of precision(text, text, text) as bytea, for precision_merge';
CREATE AGGREGATE precision_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_merge(bytea) IS 'combines precision_partial states (NULLs ignored) and returns binary precision tp / (tp + fp) of the positive class (0 without predicted positives)';

-- recall
CREATE FUNCTION recall_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_sfunc(bytea, float8, float8) IS 'recall transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_sfunc(state bytea, predicted float8, actual float8, positive float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_sfunc(bytea, float8, float8, float8) IS 'recall transition: counts one (float8) label pair; positive is read on the first row';
CREATE FUNCTION recall_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_sfunc(bytea, text, text) IS 'recall transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_sfunc(state bytea, predicted text, actual text, positive text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_sfunc(bytea, text, text, text) IS 'recall transition: counts one (text) label pair; positive is read on the first row';
CREATE FUNCTION recall_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_recall_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recall_final(bytea) IS 'recall final: binary recall tp / (tp + fn) of the positive class (0 without actual positives) from a recall state';
CREATE AGGREGATE recall(predicted float8, actual float8) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = recall_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall(float8, float8) IS 'binary recall tp / (tp + fn) of the positive class (0 without actual positives); positive class 1; NULL over zero non-NULL rows';
CREATE AGGREGATE recall_partial(predicted float8, actual float8) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_partial(float8, float8) IS 'the exported state of recall(float8, float8) as bytea, for recall_merge';
CREATE AGGREGATE recall(predicted float8, actual float8, positive float8) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = recall_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall(float8, float8, float8) IS 'binary recall tp / (tp + fn) of the positive class (0 without actual positives); NULL over zero non-NULL rows';
CREATE AGGREGATE recall_partial(predicted float8, actual float8, positive float8) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_partial(float8, float8, float8) IS 'the exported state of recall(float8, float8, float8) as bytea, for recall_merge';
CREATE AGGREGATE recall(predicted text, actual text) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = recall_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall(text, text) IS 'binary recall tp / (tp + fn) of the positive class (0 without actual positives); positive class = the second of exactly two labels in byte order; NULL over zero non-NULL rows';
CREATE AGGREGATE recall_partial(predicted text, actual text) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_partial(text, text) IS 'the exported state of recall(text, text) as bytea, for recall_merge';
CREATE AGGREGATE recall(predicted text, actual text, positive text) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = recall_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall(text, text, text) IS 'binary recall tp / (tp + fn) of the positive class (0 without actual positives); NULL over zero non-NULL rows';
CREATE AGGREGATE recall_partial(predicted text, actual text, positive text) (
    SFUNC = recall_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_partial(text, text, text) IS 'the exported state of recall(text, text, text) as bytea, for recall_merge';
CREATE AGGREGATE recall_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = recall_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_merge(bytea) IS 'combines recall_partial states (NULLs ignored) and returns binary recall tp / (tp + fn) of the positive class (0 without actual positives)';

-- f1
CREATE FUNCTION f1_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_sfunc(bytea, float8, float8) IS 'f1 transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_sfunc(state bytea, predicted float8, actual float8, positive float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_sfunc(bytea, float8, float8, float8) IS 'f1 transition: counts one (float8) label pair; positive is read on the first row';
CREATE FUNCTION f1_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_sfunc(bytea, text, text) IS 'f1 transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_sfunc(state bytea, predicted text, actual text, positive text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_sfunc(bytea, text, text, text) IS 'f1 transition: counts one (text) label pair; positive is read on the first row';
CREATE FUNCTION f1_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_f1_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION f1_final(bytea) IS 'f1 final: binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0) from a f1 state';
CREATE AGGREGATE f1(predicted float8, actual float8) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = f1_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1(float8, float8) IS 'binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0); positive class 1; NULL over zero non-NULL rows';
CREATE AGGREGATE f1_partial(predicted float8, actual float8) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_partial(float8, float8) IS 'the exported state of f1(float8, float8) as bytea, for f1_merge';
CREATE AGGREGATE f1(predicted float8, actual float8, positive float8) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = f1_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1(float8, float8, float8) IS 'binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0); NULL over zero non-NULL rows';
CREATE AGGREGATE f1_partial(predicted float8, actual float8, positive float8) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_partial(float8, float8, float8) IS 'the exported state of f1(float8, float8, float8) as bytea, for f1_merge';
CREATE AGGREGATE f1(predicted text, actual text) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = f1_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1(text, text) IS 'binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0); positive class = the second of exactly two labels in byte order; NULL over zero non-NULL rows';
CREATE AGGREGATE f1_partial(predicted text, actual text) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_partial(text, text) IS 'the exported state of f1(text, text) as bytea, for f1_merge';
CREATE AGGREGATE f1(predicted text, actual text, positive text) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = f1_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1(text, text, text) IS 'binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0); NULL over zero non-NULL rows';
CREATE AGGREGATE f1_partial(predicted text, actual text, positive text) (
    SFUNC = f1_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_partial(text, text, text) IS 'the exported state of f1(text, text, text) as bytea, for f1_merge';
CREATE AGGREGATE f1_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = f1_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_merge(bytea) IS 'combines f1_partial states (NULLs ignored) and returns binary f1 = 2 P R / (P + R) of the positive class (0 when P + R = 0)';

-- precision_macro
CREATE FUNCTION precision_macro_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_macro_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_macro_sfunc(bytea, float8, float8) IS 'precision_macro transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_macro_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_macro_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_macro_sfunc(bytea, text, text) IS 'precision_macro transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_macro_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_precision_macro_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION precision_macro_final(bytea) IS 'precision_macro final: unweighted mean of per-class precision over all labels seen from a precision_macro state';
CREATE AGGREGATE precision_macro(predicted float8, actual float8) (
    SFUNC = precision_macro_sfunc, STYPE = bytea, FINALFUNC = precision_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_macro(float8, float8) IS 'unweighted mean of per-class precision over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE precision_macro_partial(predicted float8, actual float8) (
    SFUNC = precision_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_macro_partial(float8, float8) IS 'the exported state of precision_macro(float8, float8) as bytea, for precision_macro_merge';
CREATE AGGREGATE precision_macro(predicted text, actual text) (
    SFUNC = precision_macro_sfunc, STYPE = bytea, FINALFUNC = precision_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_macro(text, text) IS 'unweighted mean of per-class precision over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE precision_macro_partial(predicted text, actual text) (
    SFUNC = precision_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_macro_partial(text, text) IS 'the exported state of precision_macro(text, text) as bytea, for precision_macro_merge';
CREATE AGGREGATE precision_macro_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = precision_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_macro_merge(bytea) IS 'combines precision_macro_partial states (NULLs ignored) and returns unweighted mean of per-class precision over all labels seen';

-- recall_macro
CREATE FUNCTION recall_macro_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_macro_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_macro_sfunc(bytea, float8, float8) IS 'recall_macro transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_macro_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_macro_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_macro_sfunc(bytea, text, text) IS 'recall_macro transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_macro_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_recall_macro_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recall_macro_final(bytea) IS 'recall_macro final: unweighted mean of per-class recall over all labels seen from a recall_macro state';
CREATE AGGREGATE recall_macro(predicted float8, actual float8) (
    SFUNC = recall_macro_sfunc, STYPE = bytea, FINALFUNC = recall_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_macro(float8, float8) IS 'unweighted mean of per-class recall over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE recall_macro_partial(predicted float8, actual float8) (
    SFUNC = recall_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_macro_partial(float8, float8) IS 'the exported state of recall_macro(float8, float8) as bytea, for recall_macro_merge';
CREATE AGGREGATE recall_macro(predicted text, actual text) (
    SFUNC = recall_macro_sfunc, STYPE = bytea, FINALFUNC = recall_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_macro(text, text) IS 'unweighted mean of per-class recall over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE recall_macro_partial(predicted text, actual text) (
    SFUNC = recall_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_macro_partial(text, text) IS 'the exported state of recall_macro(text, text) as bytea, for recall_macro_merge';
CREATE AGGREGATE recall_macro_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = recall_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_macro_merge(bytea) IS 'combines recall_macro_partial states (NULLs ignored) and returns unweighted mean of per-class recall over all labels seen';

-- f1_macro
CREATE FUNCTION f1_macro_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_macro_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_macro_sfunc(bytea, float8, float8) IS 'f1_macro transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_macro_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_macro_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_macro_sfunc(bytea, text, text) IS 'f1_macro transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_macro_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_f1_macro_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION f1_macro_final(bytea) IS 'f1_macro final: unweighted mean of per-class f1 over all labels seen from a f1_macro state';
CREATE AGGREGATE f1_macro(predicted float8, actual float8) (
    SFUNC = f1_macro_sfunc, STYPE = bytea, FINALFUNC = f1_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_macro(float8, float8) IS 'unweighted mean of per-class f1 over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE f1_macro_partial(predicted float8, actual float8) (
    SFUNC = f1_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_macro_partial(float8, float8) IS 'the exported state of f1_macro(float8, float8) as bytea, for f1_macro_merge';
CREATE AGGREGATE f1_macro(predicted text, actual text) (
    SFUNC = f1_macro_sfunc, STYPE = bytea, FINALFUNC = f1_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_macro(text, text) IS 'unweighted mean of per-class f1 over all labels seen; NULL over zero non-NULL rows';
CREATE AGGREGATE f1_macro_partial(predicted text, actual text) (
    SFUNC = f1_macro_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_macro_partial(text, text) IS 'the exported state of f1_macro(text, text) as bytea, for f1_macro_merge';
CREATE AGGREGATE f1_macro_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = f1_macro_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_macro_merge(bytea) IS 'combines f1_macro_partial states (NULLs ignored) and returns unweighted mean of per-class f1 over all labels seen';

-- precision_weighted
CREATE FUNCTION precision_weighted_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_weighted_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_weighted_sfunc(bytea, float8, float8) IS 'precision_weighted transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_weighted_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_precision_weighted_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION precision_weighted_sfunc(bytea, text, text) IS 'precision_weighted transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION precision_weighted_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_precision_weighted_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION precision_weighted_final(bytea) IS 'precision_weighted final: mean of per-class precision weighted by support (actual count) from a precision_weighted state';
CREATE AGGREGATE precision_weighted(predicted float8, actual float8) (
    SFUNC = precision_weighted_sfunc, STYPE = bytea, FINALFUNC = precision_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_weighted(float8, float8) IS 'mean of per-class precision weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE precision_weighted_partial(predicted float8, actual float8) (
    SFUNC = precision_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_weighted_partial(float8, float8) IS 'the exported state of precision_weighted(float8, float8) as bytea, for precision_weighted_merge';
CREATE AGGREGATE precision_weighted(predicted text, actual text) (
    SFUNC = precision_weighted_sfunc, STYPE = bytea, FINALFUNC = precision_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_weighted(text, text) IS 'mean of per-class precision weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE precision_weighted_partial(predicted text, actual text) (
    SFUNC = precision_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_weighted_partial(text, text) IS 'the exported state of precision_weighted(text, text) as bytea, for precision_weighted_merge';
CREATE AGGREGATE precision_weighted_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = precision_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE precision_weighted_merge(bytea) IS 'combines precision_weighted_partial states (NULLs ignored) and returns mean of per-class precision weighted by support (actual count)';

-- recall_weighted
CREATE FUNCTION recall_weighted_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_weighted_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_weighted_sfunc(bytea, float8, float8) IS 'recall_weighted transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_weighted_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_recall_weighted_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION recall_weighted_sfunc(bytea, text, text) IS 'recall_weighted transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION recall_weighted_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_recall_weighted_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recall_weighted_final(bytea) IS 'recall_weighted final: mean of per-class recall weighted by support (actual count) from a recall_weighted state';
CREATE AGGREGATE recall_weighted(predicted float8, actual float8) (
    SFUNC = recall_weighted_sfunc, STYPE = bytea, FINALFUNC = recall_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_weighted(float8, float8) IS 'mean of per-class recall weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE recall_weighted_partial(predicted float8, actual float8) (
    SFUNC = recall_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_weighted_partial(float8, float8) IS 'the exported state of recall_weighted(float8, float8) as bytea, for recall_weighted_merge';
CREATE AGGREGATE recall_weighted(predicted text, actual text) (
    SFUNC = recall_weighted_sfunc, STYPE = bytea, FINALFUNC = recall_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_weighted(text, text) IS 'mean of per-class recall weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE recall_weighted_partial(predicted text, actual text) (
    SFUNC = recall_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_weighted_partial(text, text) IS 'the exported state of recall_weighted(text, text) as bytea, for recall_weighted_merge';
CREATE AGGREGATE recall_weighted_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = recall_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE recall_weighted_merge(bytea) IS 'combines recall_weighted_partial states (NULLs ignored) and returns mean of per-class recall weighted by support (actual count)';

-- f1_weighted
CREATE FUNCTION f1_weighted_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_weighted_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_weighted_sfunc(bytea, float8, float8) IS 'f1_weighted transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_weighted_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_f1_weighted_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION f1_weighted_sfunc(bytea, text, text) IS 'f1_weighted transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION f1_weighted_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_f1_weighted_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION f1_weighted_final(bytea) IS 'f1_weighted final: mean of per-class f1 weighted by support (actual count) from a f1_weighted state';
CREATE AGGREGATE f1_weighted(predicted float8, actual float8) (
    SFUNC = f1_weighted_sfunc, STYPE = bytea, FINALFUNC = f1_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_weighted(float8, float8) IS 'mean of per-class f1 weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE f1_weighted_partial(predicted float8, actual float8) (
    SFUNC = f1_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_weighted_partial(float8, float8) IS 'the exported state of f1_weighted(float8, float8) as bytea, for f1_weighted_merge';
CREATE AGGREGATE f1_weighted(predicted text, actual text) (
    SFUNC = f1_weighted_sfunc, STYPE = bytea, FINALFUNC = f1_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_weighted(text, text) IS 'mean of per-class f1 weighted by support (actual count); NULL over zero non-NULL rows';
CREATE AGGREGATE f1_weighted_partial(predicted text, actual text) (
    SFUNC = f1_weighted_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_weighted_partial(text, text) IS 'the exported state of f1_weighted(text, text) as bytea, for f1_weighted_merge';
CREATE AGGREGATE f1_weighted_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = f1_weighted_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE f1_weighted_merge(bytea) IS 'combines f1_weighted_partial states (NULLs ignored) and returns mean of per-class f1 weighted by support (actual count)';

-- confusion_matrix
CREATE FUNCTION confusion_matrix_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_confusion_matrix_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION confusion_matrix_sfunc(bytea, float8, float8) IS 'confusion_matrix transition: counts one (float8) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION confusion_matrix_sfunc(state bytea, predicted text, actual text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_confusion_matrix_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION confusion_matrix_sfunc(bytea, text, text) IS 'confusion_matrix transition: counts one (text) label pair; rows with a NULL are skipped and counted';
CREATE FUNCTION confusion_matrix_final(state bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_confusion_matrix_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION confusion_matrix_final(bytea) IS 'confusion_matrix final: {labels (sorted), matrix (rows = actual, columns = predicted), rows, skipped_nulls} from a confusion_matrix state';
CREATE AGGREGATE confusion_matrix(predicted float8, actual float8) (
    SFUNC = confusion_matrix_sfunc, STYPE = bytea, FINALFUNC = confusion_matrix_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion_matrix(float8, float8) IS '{labels (sorted), matrix (rows = actual, columns = predicted), rows, skipped_nulls}; NULL over zero non-NULL rows';
CREATE AGGREGATE confusion_matrix_partial(predicted float8, actual float8) (
    SFUNC = confusion_matrix_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion_matrix_partial(float8, float8) IS 'the exported state of confusion_matrix(float8, float8) as bytea, for confusion_matrix_merge';
CREATE AGGREGATE confusion_matrix(predicted text, actual text) (
    SFUNC = confusion_matrix_sfunc, STYPE = bytea, FINALFUNC = confusion_matrix_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion_matrix(text, text) IS '{labels (sorted), matrix (rows = actual, columns = predicted), rows, skipped_nulls}; NULL over zero non-NULL rows';
CREATE AGGREGATE confusion_matrix_partial(predicted text, actual text) (
    SFUNC = confusion_matrix_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion_matrix_partial(text, text) IS 'the exported state of confusion_matrix(text, text) as bytea, for confusion_matrix_merge';
CREATE AGGREGATE confusion_matrix_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = confusion_matrix_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion_matrix_merge(bytea) IS 'combines confusion_matrix_partial states (NULLs ignored) and returns {labels (sorted), matrix (rows = actual, columns = predicted), rows, skipped_nulls}';

-- roc_auc
CREATE FUNCTION roc_auc_sfunc(state bytea, score float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_roc_auc_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION roc_auc_sfunc(bytea, float8, float8) IS 'roc_auc transition: keeps one (score, 0/1 label) pair; actual must be 0 or 1';
CREATE FUNCTION roc_auc_sfunc(state bytea, score float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_roc_auc_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION roc_auc_sfunc(bytea, float8, boolean) IS 'roc_auc transition: keeps one (score, boolean label) pair';
CREATE FUNCTION roc_auc_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_roc_auc_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION roc_auc_final(bytea) IS 'roc_auc final: area under the ROC curve (Mann-Whitney U, ties count 1/2); NULL with one class only from a roc_auc state';
CREATE AGGREGATE roc_auc(score float8, actual float8) (
    SFUNC = roc_auc_sfunc, STYPE = bytea, FINALFUNC = roc_auc_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc(float8, float8) IS 'area under the ROC curve (Mann-Whitney U, ties count 1/2); NULL with one class only (actual 0/1)';
CREATE AGGREGATE roc_auc_partial(score float8, actual float8) (
    SFUNC = roc_auc_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc_partial(float8, float8) IS 'the exported state of roc_auc(float8, float8) as bytea, for roc_auc_merge';
CREATE AGGREGATE roc_auc(score float8, actual boolean) (
    SFUNC = roc_auc_sfunc, STYPE = bytea, FINALFUNC = roc_auc_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc(float8, boolean) IS 'area under the ROC curve (Mann-Whitney U, ties count 1/2); NULL with one class only';
CREATE AGGREGATE roc_auc_partial(score float8, actual boolean) (
    SFUNC = roc_auc_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc_partial(float8, boolean) IS 'the exported state of roc_auc(float8, boolean) as bytea, for roc_auc_merge';
CREATE AGGREGATE roc_auc_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = roc_auc_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc_merge(bytea) IS 'combines roc_auc_partial states (NULLs ignored) and returns area under the ROC curve (Mann-Whitney U, ties count 1/2); NULL with one class only';

-- roc_curve
CREATE FUNCTION roc_curve_sfunc(state bytea, score float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_roc_curve_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_sfunc(bytea, float8, float8) IS 'roc_curve transition: keeps one (score, 0/1 label) pair; actual must be 0 or 1';
CREATE FUNCTION roc_curve_sfunc(state bytea, score float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_roc_curve_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_sfunc(bytea, float8, boolean) IS 'roc_curve transition: keeps one (score, boolean label) pair';
CREATE FUNCTION roc_curve_final(state bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_roc_curve_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_final(bytea) IS 'roc_curve final: the ROC curve as a jsonb array of {threshold, fpr, tpr} (sklearn roc_curve, drop_intermediate; first threshold = max score + 1); NULL with one class only from a roc_curve state';
CREATE AGGREGATE roc_curve(score float8, actual float8) (
    SFUNC = roc_curve_sfunc, STYPE = bytea, FINALFUNC = roc_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve(float8, float8) IS 'the ROC curve as a jsonb array of {threshold, fpr, tpr} (sklearn roc_curve, drop_intermediate; first threshold = max score + 1); NULL with one class only (actual 0/1)';
CREATE AGGREGATE roc_curve_partial(score float8, actual float8) (
    SFUNC = roc_curve_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve_partial(float8, float8) IS 'the exported state of roc_curve(float8, float8) as bytea, for roc_curve_merge';
CREATE AGGREGATE roc_curve(score float8, actual boolean) (
    SFUNC = roc_curve_sfunc, STYPE = bytea, FINALFUNC = roc_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve(float8, boolean) IS 'the ROC curve as a jsonb array of {threshold, fpr, tpr} (sklearn roc_curve, drop_intermediate; first threshold = max score + 1); NULL with one class only';
CREATE AGGREGATE roc_curve_partial(score float8, actual boolean) (
    SFUNC = roc_curve_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve_partial(float8, boolean) IS 'the exported state of roc_curve(float8, boolean) as bytea, for roc_curve_merge';
CREATE AGGREGATE roc_curve_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = roc_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve_merge(bytea) IS 'combines roc_curve_partial states (NULLs ignored) and returns the ROC curve as a jsonb array of {threshold, fpr, tpr} (sklearn roc_curve, drop_intermediate; first threshold = max score + 1); NULL with one class only';

-- pr_curve
CREATE FUNCTION pr_curve_sfunc(state bytea, score float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_pr_curve_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION pr_curve_sfunc(bytea, float8, float8) IS 'pr_curve transition: keeps one (score, 0/1 label) pair; actual must be 0 or 1';
CREATE FUNCTION pr_curve_sfunc(state bytea, score float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_pr_curve_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION pr_curve_sfunc(bytea, float8, boolean) IS 'pr_curve transition: keeps one (score, boolean label) pair';
CREATE FUNCTION pr_curve_final(state bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_pr_curve_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pr_curve_final(bytea) IS 'pr_curve final: the precision-recall curve as a jsonb array of {threshold, precision, recall}, thresholds ascending, ending with {null, 1, 0} (sklearn precision_recall_curve); NULL without positives from a pr_curve state';
CREATE AGGREGATE pr_curve(score float8, actual float8) (
    SFUNC = pr_curve_sfunc, STYPE = bytea, FINALFUNC = pr_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pr_curve(float8, float8) IS 'the precision-recall curve as a jsonb array of {threshold, precision, recall}, thresholds ascending, ending with {null, 1, 0} (sklearn precision_recall_curve); NULL without positives (actual 0/1)';
CREATE AGGREGATE pr_curve_partial(score float8, actual float8) (
    SFUNC = pr_curve_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pr_curve_partial(float8, float8) IS 'the exported state of pr_curve(float8, float8) as bytea, for pr_curve_merge';
CREATE AGGREGATE pr_curve(score float8, actual boolean) (
    SFUNC = pr_curve_sfunc, STYPE = bytea, FINALFUNC = pr_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pr_curve(float8, boolean) IS 'the precision-recall curve as a jsonb array of {threshold, precision, recall}, thresholds ascending, ending with {null, 1, 0} (sklearn precision_recall_curve); NULL without positives';
CREATE AGGREGATE pr_curve_partial(score float8, actual boolean) (
    SFUNC = pr_curve_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pr_curve_partial(float8, boolean) IS 'the exported state of pr_curve(float8, boolean) as bytea, for pr_curve_merge';
CREATE AGGREGATE pr_curve_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = pr_curve_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pr_curve_merge(bytea) IS 'combines pr_curve_partial states (NULLs ignored) and returns the precision-recall curve as a jsonb array of {threshold, precision, recall}, thresholds ascending, ending with {null, 1, 0} (sklearn precision_recall_curve); NULL without positives';

-- mse
CREATE FUNCTION mse_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_mse_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION mse_sfunc(bytea, float8, float8) IS 'mse transition: accumulates one (predicted, actual) pair';
CREATE FUNCTION mse_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_mse_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mse_final(bytea) IS 'mse final: mean squared error from a mse state';
CREATE AGGREGATE mse(predicted float8, actual float8) (
    SFUNC = mse_sfunc, STYPE = bytea, FINALFUNC = mse_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mse(float8, float8) IS 'mean squared error; NULL over zero non-NULL rows';
CREATE AGGREGATE mse_partial(predicted float8, actual float8) (
    SFUNC = mse_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mse_partial(float8, float8) IS 'the exported state of mse(float8, float8) as bytea, for mse_merge';
CREATE AGGREGATE mse_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = mse_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mse_merge(bytea) IS 'combines mse_partial states (NULLs ignored) and returns mean squared error';

-- rmse
CREATE FUNCTION rmse_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_rmse_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rmse_sfunc(bytea, float8, float8) IS 'rmse transition: accumulates one (predicted, actual) pair';
CREATE FUNCTION rmse_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_rmse_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rmse_final(bytea) IS 'rmse final: root mean squared error from a rmse state';
CREATE AGGREGATE rmse(predicted float8, actual float8) (
    SFUNC = rmse_sfunc, STYPE = bytea, FINALFUNC = rmse_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE rmse(float8, float8) IS 'root mean squared error; NULL over zero non-NULL rows';
CREATE AGGREGATE rmse_partial(predicted float8, actual float8) (
    SFUNC = rmse_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE rmse_partial(float8, float8) IS 'the exported state of rmse(float8, float8) as bytea, for rmse_merge';
CREATE AGGREGATE rmse_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = rmse_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE rmse_merge(bytea) IS 'combines rmse_partial states (NULLs ignored) and returns root mean squared error';

-- mae
CREATE FUNCTION mae_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_mae_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION mae_sfunc(bytea, float8, float8) IS 'mae transition: accumulates one (predicted, actual) pair';
CREATE FUNCTION mae_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_mae_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mae_final(bytea) IS 'mae final: mean absolute error from a mae state';
CREATE AGGREGATE mae(predicted float8, actual float8) (
    SFUNC = mae_sfunc, STYPE = bytea, FINALFUNC = mae_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mae(float8, float8) IS 'mean absolute error; NULL over zero non-NULL rows';
CREATE AGGREGATE mae_partial(predicted float8, actual float8) (
    SFUNC = mae_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mae_partial(float8, float8) IS 'the exported state of mae(float8, float8) as bytea, for mae_merge';
CREATE AGGREGATE mae_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = mae_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE mae_merge(bytea) IS 'combines mae_partial states (NULLs ignored) and returns mean absolute error';

-- r2
CREATE FUNCTION r2_sfunc(state bytea, predicted float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_r2_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION r2_sfunc(bytea, float8, float8) IS 'r2 transition: accumulates one (predicted, actual) pair';
CREATE FUNCTION r2_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_r2_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION r2_final(bytea) IS 'r2 final: coefficient of determination 1 - SS_res/SS_tot (SS_tot by Welford/Chan; SS_tot = 0: 1 for a perfect fit, else 0); NULL under 2 rows from a r2 state';
CREATE AGGREGATE r2(predicted float8, actual float8) (
    SFUNC = r2_sfunc, STYPE = bytea, FINALFUNC = r2_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE r2(float8, float8) IS 'coefficient of determination 1 - SS_res/SS_tot (SS_tot by Welford/Chan; SS_tot = 0: 1 for a perfect fit, else 0); NULL under 2 rows; NULL over zero non-NULL rows';
CREATE AGGREGATE r2_partial(predicted float8, actual float8) (
    SFUNC = r2_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE r2_partial(float8, float8) IS 'the exported state of r2(float8, float8) as bytea, for r2_merge';
CREATE AGGREGATE r2_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = r2_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE r2_merge(bytea) IS 'combines r2_partial states (NULLs ignored) and returns coefficient of determination 1 - SS_res/SS_tot (SS_tot by Welford/Chan; SS_tot = 0: 1 for a perfect fit, else 0); NULL under 2 rows';

-- log_loss
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8, float8) IS 'log_loss transition: accumulates one (probability, 0/1 label) pair';
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8, boolean) IS 'log_loss transition: accumulates one (probability, boolean label) pair';
CREATE FUNCTION log_loss_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_log_loss_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_final(bytea) IS 'log_loss final: mean log loss -log p(true class) from a binary (prob = P(positive)) or multiclass (rows renormalised) log_loss state, probabilities clipped to [1e-15, 1 - 1e-15]';
CREATE AGGREGATE log_loss(prob float8, actual float8) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8, float8) IS 'mean binary log loss -log p(true class), prob = P(positive) clipped to [1e-15, 1 - 1e-15] (actual 0/1)';
CREATE AGGREGATE log_loss_partial(prob float8, actual float8) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8, float8) IS 'the exported state of log_loss(float8, float8) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss(prob float8, actual boolean) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8, boolean) IS 'mean binary log loss -log p(true class), prob = P(positive) clipped to [1e-15, 1 - 1e-15]';
CREATE AGGREGATE log_loss_partial(prob float8, actual boolean) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8, boolean) IS 'the exported state of log_loss(float8, boolean) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_merge(bytea) IS 'combines log_loss_partial states (binary or multiclass, not mixed; NULLs ignored) and returns the mean log loss -log p(true class), probabilities clipped to [1e-15, 1 - 1e-15]';

-- average_precision
CREATE FUNCTION average_precision_sfunc(state bytea, score float8, actual float8) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_average_precision_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_sfunc(bytea, float8, float8) IS 'average_precision transition: keeps one (score, 0/1 label) pair; actual must be 0 or 1';
CREATE FUNCTION average_precision_sfunc(state bytea, score float8, actual boolean) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_average_precision_sfunc_bool' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_sfunc(bytea, float8, boolean) IS 'average_precision transition: keeps one (score, boolean label) pair';
CREATE FUNCTION average_precision_final(state bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_average_precision_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_final(bytea) IS 'average_precision final: sum over distinct thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, no interpolation); NULL without positives from an average_precision state';
CREATE AGGREGATE average_precision(score float8, actual float8) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision(float8, float8) IS 'average precision: sum over distinct score thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, step-wise); NULL without positives (actual 0/1)';
CREATE AGGREGATE average_precision_partial(score float8, actual float8) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_partial(float8, float8) IS 'the exported state of average_precision(float8, float8) as bytea, for average_precision_merge';
CREATE AGGREGATE average_precision(score float8, actual boolean) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision(float8, boolean) IS 'average precision: sum over distinct score thresholds of (R_k - R_k-1) P_k (sklearn average_precision_score, step-wise); NULL without positives';
CREATE AGGREGATE average_precision_partial(score float8, actual boolean) (
    SFUNC = average_precision_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_partial(float8, boolean) IS 'the exported state of average_precision(float8, boolean) as bytea, for average_precision_merge';
CREATE AGGREGATE average_precision_merge(state bytea) (
    SFUNC = metric_combine, STYPE = bytea, FINALFUNC = average_precision_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE average_precision_merge(bytea) IS 'combines average_precision_partial states (NULLs ignored) and returns the average precision; NULL without positives';

-- multiclass log_loss: probabilities in the model's class order
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual integer) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_index' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], integer) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of class index actual (0-based); rows with a NULL are skipped and counted';
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual text, labels text[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_text' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], text, text[]) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of label actual, prob in the order of labels; rows with a NULL prob or actual are skipped and counted';
CREATE FUNCTION log_loss_sfunc(state bytea, prob float8[], actual float8, labels float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_log_loss_multi_sfunc_float' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_sfunc(bytea, float8[], float8, float8[]) IS 'multiclass log_loss transition: -log of the clipped, renormalised probability of label actual, prob in the order of labels; rows with a NULL prob or actual are skipped and counted';
CREATE AGGREGATE log_loss(prob float8[], actual integer) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], integer) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; actual = the 0-based index of the true class in prob (a one-element prob is P(class 1) of two); NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual integer) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], integer) IS 'the exported state of log_loss(float8[], integer) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss(prob float8[], actual text, labels text[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], text, text[]) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; prob in the order of labels (the model''s classes), actual one of labels; NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual text, labels text[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], text, text[]) IS 'the exported state of log_loss(float8[], text, text[]) as bytea, for log_loss_merge';
CREATE AGGREGATE log_loss(prob float8[], actual float8, labels float8[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = log_loss_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8[], float8, float8[]) IS 'mean multiclass log loss -log p(true class) (sklearn log_loss): probabilities clipped to [1e-15, 1 - 1e-15], each row renormalised to sum 1; prob in the order of labels (the model''s classes), actual one of labels; NULL over zero non-NULL rows';
CREATE AGGREGATE log_loss_partial(prob float8[], actual float8, labels float8[]) (
    SFUNC = log_loss_sfunc, STYPE = bytea, FINALFUNC = metric_partial_final,
    COMBINEFUNC = metric_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss_partial(float8[], float8, float8[]) IS 'the exported state of log_loss(float8[], float8, float8[]) as bytea, for log_loss_merge';
-- curve points from a ranking state, for BI tools
CREATE FUNCTION roc_curve_points(state bytea) RETURNS TABLE(threshold float8, fpr float8, tpr float8)
AS 'MODULE_PATHNAME', 'mm_roc_curve_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_points(bytea) IS 'ROC curve points (as roc_curve) of a roc_auc_partial, roc_curve_partial or pr_curve_partial state; no rows with one class only';
CREATE FUNCTION pr_curve_points(state bytea) RETURNS TABLE(threshold float8, "precision" float8, recall float8)
AS 'MODULE_PATHNAME', 'mm_pr_curve_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pr_curve_points(bytea) IS 'precision-recall curve points (as pr_curve; the last point has a NULL threshold) of a roc_auc_partial, roc_curve_partial or pr_curve_partial state';
