-- modelmgr install script, assembled by the Makefile from sql/install/*.sql (one file per SQL surface).
\echo Use "CREATE EXTENSION modelmgr" to load this file. \quit

-- The final function of the *_partial aggregates: their state with a CRC-32C in front, checked
-- by the *_merge aggregates (a state changed on its way from one node to another is an ERROR).
CREATE FUNCTION _seal_state(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_seal_state' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _seal_state(bytea) IS 'internal: final function of the *_partial aggregates (the state, sealed with a checksum)';
-- Exact least squares and ridge regression: the linreg_fit aggregate.

CREATE FUNCTION linreg_fit_sfunc(state bytea, x float8[], y float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_linreg_fit_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION linreg_fit_sfunc(state bytea, x float8[], y float8, options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_linreg_fit_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION linreg_fit_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_linreg_fit_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION linreg_fit_final(state bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_linreg_fit_final' LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION linreg_fit_sfunc(bytea, float8[], float8) IS 'linreg_fit transition: adds one row to the least-squares state';
COMMENT ON FUNCTION linreg_fit_sfunc(bytea, float8[], float8, jsonb) IS 'linreg_fit transition: adds one row to the least-squares state (options read on the first row)';
COMMENT ON FUNCTION linreg_fit_combine(bytea, bytea) IS 'linreg_fit combine: merges two partial least-squares states (Chan et al.)';
COMMENT ON FUNCTION linreg_fit_final(bytea) IS 'linreg_fit final: solves the centred normal equations by Cholesky and returns the model';

CREATE AGGREGATE linreg_fit(x float8[], y float8) (
    SFUNC = linreg_fit_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = linreg_fit_final,
    COMBINEFUNC = linreg_fit_combine, PARALLEL = SAFE
);
CREATE AGGREGATE linreg_fit(x float8[], y float8, options jsonb) (
    SFUNC = linreg_fit_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = linreg_fit_final,
    COMBINEFUNC = linreg_fit_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE linreg_fit(float8[], float8) IS 'exact least-squares linear regression over rows (x, y); returns a model bytea, NULL over zero rows';
COMMENT ON AGGREGATE linreg_fit(float8[], float8, jsonb) IS 'exact least squares or ridge: options {"l2": ..., "fit_intercept": ...}; returns a model bytea';

-- Exported partial states, for combining work done on several nodes (see README, Scaling).
CREATE AGGREGATE linreg_fit_partial(x float8[], y float8) (
    SFUNC = linreg_fit_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = _seal_state,
    COMBINEFUNC = linreg_fit_combine, PARALLEL = SAFE
);
CREATE AGGREGATE linreg_fit_partial(x float8[], y float8, options jsonb) (
    SFUNC = linreg_fit_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = _seal_state,
    COMBINEFUNC = linreg_fit_combine, PARALLEL = SAFE
);
CREATE AGGREGATE linreg_fit_merge(state bytea) (
    SFUNC = linreg_fit_combine, STYPE = bytea, SSPACE = 65536, FINALFUNC = linreg_fit_final,
    COMBINEFUNC = linreg_fit_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE linreg_fit_partial(float8[], float8) IS 'the linreg_fit state over these rows, as bytea, to be merged with linreg_fit_merge';
COMMENT ON AGGREGATE linreg_fit_partial(float8[], float8, jsonb) IS 'the linreg_fit state (with options) over these rows, as bytea, to be merged with linreg_fit_merge';
COMMENT ON AGGREGATE linreg_fit_merge(bytea) IS 'merges linreg_fit_partial states (e.g. one per shard) and solves: the model bytea';
-- Prediction from a model bytea, and model_info.

CREATE FUNCTION predict(model bytea, x float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION predict_label(model bytea, x float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mm_predict_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION predict_proba(model bytea, x float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION model_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_model_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION predict(bytea, float8[]) IS 'predicted value (regression) or numeric class label (classification) for feature vector x';
COMMENT ON FUNCTION predict_label(bytea, float8[]) IS 'predicted class name (classification) or value as text (regression)';
COMMENT ON FUNCTION predict_proba(bytea, float8[]) IS 'class probabilities, in the model''s class order';
COMMENT ON FUNCTION model_info(bytea) IS 'validates a model bytea and describes it as jsonb: algorithm, sizes, classes, coefficients, training facts';
-- SGD: a starting model, and one pass (epoch) per aggregate call.

CREATE FUNCTION sgd_init(algorithm text, n_features int, options jsonb DEFAULT '{}') RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sgd_init' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sgd_init(text, int, jsonb) IS 'a starting model for sgd_epoch: zero weights, the optimizer settings from options';

CREATE FUNCTION sgd_epoch_sfunc(state bytea, start bytea, x float8[], y float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_sgd_epoch_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION sgd_epoch_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_sgd_epoch_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION sgd_epoch_final(state bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_sgd_epoch_final' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sgd_epoch_sfunc(bytea, bytea, float8[], float8) IS 'sgd_epoch transition: one SGD step (the start model is read on the first row)';
COMMENT ON FUNCTION sgd_epoch_combine(bytea, bytea) IS 'sgd_epoch combine: averages two partial passes weighted by rows seen';
COMMENT ON FUNCTION sgd_epoch_final(bytea) IS 'sgd_epoch final: the model after this pass';

CREATE AGGREGATE sgd_epoch(start bytea, x float8[], y float8) (
    SFUNC = sgd_epoch_sfunc, STYPE = bytea, FINALFUNC = sgd_epoch_final,
    COMBINEFUNC = sgd_epoch_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE sgd_epoch(bytea, float8[], float8) IS 'one SGD pass over the rows from model start; returns the next model (y: target, or a class value of the model)';

CREATE AGGREGATE sgd_epoch_partial(start bytea, x float8[], y float8) (
    SFUNC = sgd_epoch_sfunc, STYPE = bytea, FINALFUNC = _seal_state, COMBINEFUNC = sgd_epoch_combine, PARALLEL = SAFE
);
CREATE AGGREGATE sgd_epoch_merge(state bytea) (
    SFUNC = sgd_epoch_combine, STYPE = bytea, FINALFUNC = sgd_epoch_final,
    COMBINEFUNC = sgd_epoch_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE sgd_epoch_partial(bytea, float8[], float8) IS 'the sgd_epoch state over these rows, as bytea, to be merged with sgd_epoch_merge';
COMMENT ON AGGREGATE sgd_epoch_merge(bytea) IS 'merges sgd_epoch_partial states (one per shard): the rows-weighted average model';
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
COMMENT ON FUNCTION log_loss_final(bytea) IS 'log_loss final: mean binary log loss -log p(true class), prob = P(positive) clipped to [1e-15, 1 - 1e-15] from a log_loss state';
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
COMMENT ON AGGREGATE log_loss_merge(bytea) IS 'combines log_loss_partial states (NULLs ignored) and returns mean binary log loss -log p(true class), prob = P(positive) clipped to [1e-15, 1 - 1e-15]';

-- curve points from a ranking state, for BI tools
CREATE FUNCTION roc_curve_points(state bytea) RETURNS TABLE(threshold float8, fpr float8, tpr float8)
AS 'MODULE_PATHNAME', 'mm_roc_curve_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_points(bytea) IS 'ROC curve points (as roc_curve) of a roc_auc_partial, roc_curve_partial or pr_curve_partial state; no rows with one class only';
CREATE FUNCTION pr_curve_points(state bytea) RETURNS TABLE(threshold float8, "precision" float8, recall float8)
AS 'MODULE_PATHNAME', 'mm_pr_curve_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pr_curve_points(bytea) IS 'precision-recall curve points (as pr_curve; the last point has a NULL threshold) of a roc_auc_partial, roc_curve_partial or pr_curve_partial state';
-- Data management: describe and corr_matrix aggregates (plus _partial/_merge state export), split().

CREATE FUNCTION describe_sfunc(state bytea, x float8[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_sfunc(state bytea, x float8[], names text[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_final(state bytea)
RETURNS jsonb AS 'MODULE_PATHNAME', 'mm_describe_final' LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION describe_sfunc(bytea, float8[]) IS 'describe transition: adds one row (NULL elements and NULL arrays count as nulls)';
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], text[]) IS 'describe transition: adds one row; feature names are read on the first non-NULL row';
COMMENT ON FUNCTION describe_combine(bytea, bytea) IS 'describe combine: merges two partial describe states (Chan et al. for the moments, digest merge for the quartiles)';
COMMENT ON FUNCTION describe_final(bytea) IS 'describe final: per-feature summary as jsonb';

CREATE AGGREGATE describe(x float8[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe(x float8[], names text[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_partial(x float8[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_partial(x float8[], names text[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_merge(state bytea) (
    SFUNC = describe_combine, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE describe(float8[]) IS 'per-feature count, nulls, mean, std (ddof=0), std_sample (ddof=1), min, max and approximate p25/p50/p75 as jsonb; NULL over zero rows';
COMMENT ON AGGREGATE describe(float8[], text[]) IS 'describe with feature names (read on the first non-NULL row) added to each feature';
COMMENT ON AGGREGATE describe_partial(float8[]) IS 'describe''s partial state as bytea, to merge later with describe_merge (e.g. one per node or partition)';
COMMENT ON AGGREGATE describe_partial(float8[], text[]) IS 'describe''s partial state (with feature names) as bytea, to merge later with describe_merge';
COMMENT ON AGGREGATE describe_merge(bytea) IS 'merges describe_partial states and returns describe''s jsonb';

CREATE FUNCTION corr_matrix_sfunc(state bytea, x float8[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_final(state bytea)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mm_corr_matrix_final' LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION corr_matrix_sfunc(bytea, float8[]) IS 'corr_matrix transition: adds one row to the co-moment state (NULL arrays are skipped)';
COMMENT ON FUNCTION corr_matrix_combine(bytea, bytea) IS 'corr_matrix combine: merges two partial co-moment states (Chan et al.)';
COMMENT ON FUNCTION corr_matrix_final(bytea) IS 'corr_matrix final: the Pearson correlation matrix as a 2-D float8 array';

CREATE AGGREGATE corr_matrix(x float8[]) (
    SFUNC = corr_matrix_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = corr_matrix_final,
    COMBINEFUNC = corr_matrix_combine, PARALLEL = SAFE
);
CREATE AGGREGATE corr_matrix_partial(x float8[]) (
    SFUNC = corr_matrix_sfunc, STYPE = bytea, SSPACE = 65536, FINALFUNC = _seal_state,
    COMBINEFUNC = corr_matrix_combine, PARALLEL = SAFE
);
CREATE AGGREGATE corr_matrix_merge(state bytea) (
    SFUNC = corr_matrix_combine, STYPE = bytea, SSPACE = 65536, FINALFUNC = corr_matrix_final,
    COMBINEFUNC = corr_matrix_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE corr_matrix(float8[]) IS 'Pearson correlation matrix (d x d float8[][]); rows/columns of constant features are NULL; NULL over zero rows';
COMMENT ON AGGREGATE corr_matrix_partial(float8[]) IS 'corr_matrix''s partial state as bytea, to merge later with corr_matrix_merge';
COMMENT ON AGGREGATE corr_matrix_merge(bytea) IS 'merges corr_matrix_partial states and returns the correlation matrix';

CREATE FUNCTION split(key anyelement, test_fraction float8, seed int DEFAULT 0)
RETURNS text AS 'MODULE_PATHNAME', 'mm_split' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION split_is_test(key anyelement, test_fraction float8, seed int DEFAULT 0)
RETURNS boolean AS 'MODULE_PATHNAME', 'mm_split_is_test' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION split(anyelement, float8, int) IS '''test'' or ''train'': a stable hash (FNV-1a 64 + fmix64) of the key''s text form and the seed, the same on every machine and database';
COMMENT ON FUNCTION split_is_test(anyelement, float8, int) IS 'true when split(key, test_fraction, seed) = ''test''';
-- The model registry: versioned models, deployment history, prediction by name, export/import,
-- views and roles. See docs/registry.md for the deployment-history rules and the export format.

CREATE TABLE model_names (
    name         text PRIMARY KEY CHECK (name <> ''),
    last_version int NOT NULL CHECK (last_version > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE model_names IS 'one row per model name: the last version number issued, so a dropped version''s number is never reused';
COMMENT ON COLUMN model_names.name IS 'model name';
COMMENT ON COLUMN model_names.last_version IS 'the highest version number ever issued for the name';
COMMENT ON COLUMN model_names.created_at IS 'when the first version was registered';

CREATE TABLE models (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (name <> '') REFERENCES model_names (name),
    version     int NOT NULL CHECK (version > 0),
    algorithm   text NOT NULL,
    label       text,
    features    text[] CHECK (features IS NULL OR (array_ndims(features) = 1 AND array_position(features, NULL) IS NULL)),
    classes     text[],
    options     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    metrics     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metrics) = 'object'),
    training    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(training) = 'object'),
    lineage     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(lineage) = 'object'),
    source      text,
    model       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  name NOT NULL DEFAULT current_user,
    UNIQUE (name, version)
);

COMMENT ON TABLE models IS 'the model registry: one row per version of a named model (write through register_model, train or import_model)';
COMMENT ON COLUMN models.id IS 'surrogate key';
COMMENT ON COLUMN models.name IS 'model name, as used by deploy() and predict(name, ...)';
COMMENT ON COLUMN models.version IS 'version number, 1, 2, 3, ... per name, assigned by register_model';
COMMENT ON COLUMN models.algorithm IS 'algorithm, from model_info(model)';
COMMENT ON COLUMN models.label IS 'the label column or expression it was trained on';
COMMENT ON COLUMN models.features IS 'feature names in model order; predict(name, row) picks these columns from the row';
COMMENT ON COLUMN models.classes IS 'class names in model order (classifiers), from model_info(model)';
COMMENT ON COLUMN models.options IS 'training options';
COMMENT ON COLUMN models.metrics IS 'held-out metrics; the number under "score" (higher is better) is what best_score and auto_deploy compare';
COMMENT ON COLUMN models.training IS 'training facts: epoch losses, rows, seconds, seed, ...';
COMMENT ON COLUMN models.lineage IS 'where the version came from, e.g. {"imported_from": {...}} for import_model';
COMMENT ON COLUMN models.source IS 'the training data: table, view or query';
COMMENT ON COLUMN models.model IS 'the model bytea (self-contained: predict(model, x) needs nothing else)';
COMMENT ON COLUMN models.created_at IS 'when the version was registered';
COMMENT ON COLUMN models.created_by IS 'who registered the version';

-- A version is immutable once registered: only its metrics, training facts, options and source
-- may be amended. Predictions by name must never change under a deployed (name, version).
CREATE FUNCTION models_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name
       OR NEW.version IS DISTINCT FROM OLD.version OR NEW.algorithm IS DISTINCT FROM OLD.algorithm
       OR NEW.model IS DISTINCT FROM OLD.model OR NEW.features IS DISTINCT FROM OLD.features
       OR NEW.classes IS DISTINCT FROM OLD.classes OR NEW.label IS DISTINCT FROM OLD.label
       OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.created_by IS DISTINCT FROM OLD.created_by
    THEN
        RAISE EXCEPTION 'model versions are immutable'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Only metrics, training, options, lineage and source of model "%s" version %s may be updated.', OLD.name, OLD.version),
                  HINT = 'Register a new version with modelmgr.register_model() instead.';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION models_guard() IS 'trigger: keeps a registered version''s identity, bytes and features immutable';
CREATE TRIGGER models_immutable BEFORE UPDATE ON models FOR EACH ROW EXECUTE FUNCTION models_guard();

CREATE TABLE deployments (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name             text NOT NULL,
    version          int,
    action           text NOT NULL CHECK (action IN ('deploy', 'rollback', 'undeploy')),
    strategy         text CHECK (strategy IN ('version', 'latest', 'best_score', 'most_recent', 'auto_deploy')),
    previous_id      bigint,
    previous_version int,
    reason           text,
    deployed_at      timestamptz NOT NULL DEFAULT now(),
    deployed_by      name NOT NULL DEFAULT current_user,
    FOREIGN KEY (name, version) REFERENCES models (name, version),
    CHECK (previous_id < id),
    CHECK ((action = 'undeploy') = (version IS NULL)),
    CHECK ((action = 'deploy') = (strategy IS NOT NULL))
);
CREATE INDEX deployments_name_id ON deployments (name, id DESC);
CREATE INDEX deployments_previous ON deployments (previous_id);

-- previous_id must name an earlier deploy/rollback row of the same name. This is a trigger, not a
-- self-referencing foreign key, because pg_dump warns about circular foreign keys on every dump
-- of an extension configuration table that has one.
CREATE FUNCTION deployments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM modelmgr.deployments d WHERE d.previous_id = OLD.id) THEN
            RAISE EXCEPTION 'deployment % is still the previous deployment of another', OLD.id
                USING ERRCODE = 'foreign_key_violation', HINT = 'Use modelmgr.drop_model(), which relinks the history.';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.previous_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM modelmgr.deployments d
        WHERE d.id = NEW.previous_id AND d.name = NEW.name AND d.version IS NOT NULL) THEN
        RAISE EXCEPTION 'previous deployment % is not an earlier deployment of model "%"', NEW.previous_id, NEW.name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION deployments_guard() IS 'trigger: keeps deployments.previous_id pointing at an earlier deploy or rollback row of the same name';
CREATE CONSTRAINT TRIGGER deployments_previous AFTER INSERT OR UPDATE OR DELETE ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_guard();

COMMENT ON TABLE deployments IS 'deployment history (append-only): the live version of a name is its latest row (highest id); rollback pops previous_id';
COMMENT ON COLUMN deployments.id IS 'increasing: the highest id of a name is its live state';
COMMENT ON COLUMN deployments.name IS 'model name';
COMMENT ON COLUMN deployments.version IS 'the version live from this row on; NULL for an undeploy row (nothing live)';
COMMENT ON COLUMN deployments.action IS 'deploy, rollback or undeploy (a forced drop of the live version)';
COMMENT ON COLUMN deployments.strategy IS 'for deploy rows: version, latest, best_score, most_recent or auto_deploy';
COMMENT ON COLUMN deployments.previous_id IS 'the deployment this one stacks on: rollback makes that row''s version live again and continues from its previous_id';
COMMENT ON COLUMN deployments.previous_version IS 'the version that was live just before this row (informational)';
COMMENT ON COLUMN deployments.reason IS 'why: e.g. the scores compared by auto_deploy or best_score';
COMMENT ON COLUMN deployments.deployed_at IS 'when (transaction time)';
COMMENT ON COLUMN deployments.deployed_by IS 'who';

SELECT pg_catalog.pg_extension_config_dump('model_names', '');
SELECT pg_catalog.pg_extension_config_dump('models', '');
SELECT pg_catalog.pg_extension_config_dump('models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('deployments', '');
SELECT pg_catalog.pg_extension_config_dump('deployments_id_seq', '');

-- Internal helpers -------------------------------------------------------------------------

-- Serialises registration and deployment per model name (transaction-scoped).
CREATE FUNCTION _lock_name(model_name text) RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(1835886450, pg_catalog.hashtext(model_name))
$$;
COMMENT ON FUNCTION _lock_name(text) IS 'internal: transaction-scoped advisory lock serialising writes to one model name';

-- Errors with a hint when the name is unknown.
CREATE FUNCTION _check_name(model_name text) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF model_name IS NULL THEN
        RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM modelmgr.models m WHERE m.name = _check_name.model_name) THEN
        RAISE EXCEPTION 'model "%" does not exist', model_name
            USING ERRCODE = 'undefined_object',
                  HINT = 'See modelmgr.model_overview for the registered models.';
    END IF;
END $$;
COMMENT ON FUNCTION _check_name(text) IS 'internal: ERROR (undefined_object) when no version of the model exists';

-- The live deployment row of a name (its latest row), or no row.
CREATE FUNCTION _live(model_name text) RETURNS SETOF deployments LANGUAGE sql STABLE AS $$
    SELECT * FROM modelmgr.deployments d WHERE d.name = _live.model_name ORDER BY d.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION _live(text) IS 'internal: the latest deployment row of a model name (its live state)';

-- The deployed version of a name, or NULL.
CREATE FUNCTION deployed_version(model_name text) RETURNS int LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.version FROM modelmgr.deployments d WHERE d.name = deployed_version.model_name ORDER BY d.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION deployed_version(text) IS 'the deployed version of a model name, NULL when nothing is deployed';

-- Resolves (name, version): NULL version means the deployed one.
CREATE FUNCTION _resolve(model_name text, version int) RETURNS int LANGUAGE plpgsql STABLE AS $$
DECLARE
    v int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    IF _resolve.version IS NULL THEN
        v := modelmgr.deployed_version(model_name);
        IF v IS NULL THEN
            RAISE EXCEPTION 'model "%" has no deployed version', model_name
                USING ERRCODE = 'undefined_object',
                      HINT = format('Deploy one with modelmgr.deploy(%L), or name a version.', model_name);
        END IF;
        RETURN v;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM modelmgr.models m WHERE m.name = _resolve.model_name AND m.version = _resolve.version) THEN
        RAISE EXCEPTION 'model "%" has no version %', model_name, _resolve.version
            USING ERRCODE = 'undefined_object',
                  HINT = 'See modelmgr.model_versions for the registered versions.';
    END IF;
    RETURN _resolve.version;
END $$;
COMMENT ON FUNCTION _resolve(text, int) IS 'internal: checks (name, version) exists; a NULL version resolves to the deployed one';

-- Appends a deployment row making version live; the caller holds the name lock.
CREATE FUNCTION _push(model_name text, version int, action text, strategy text, reason text)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    live modelmgr.deployments;
BEGIN
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.id IS NOT NULL AND live.version = _push.version THEN
        RAISE NOTICE 'model "%" version % is already deployed', model_name, _push.version;
        RETURN _push.version;
    END IF;
    INSERT INTO modelmgr.deployments (name, version, action, strategy, previous_id, previous_version, reason)
    VALUES (model_name, _push.version, _push.action, _push.strategy,
            -- an undeploy row is never a rollback target: stack on what it stacked on
            CASE WHEN live.action = 'undeploy' THEN live.previous_id ELSE live.id END,
            live.version, _push.reason);
    RETURN _push.version;
END $$;
COMMENT ON FUNCTION _push(text, int, text, text, text) IS 'internal: appends a deployment row on top of the live one (no-op when already live)';

-- Registration ------------------------------------------------------------------------------

CREATE FUNCTION register_model(model_name text, model bytea, source text DEFAULT NULL, label text DEFAULT NULL,
                               features text[] DEFAULT NULL, options jsonb DEFAULT '{}', metrics jsonb DEFAULT '{}',
                               training jsonb DEFAULT '{}', auto_deploy boolean DEFAULT false,
                               lineage jsonb DEFAULT '{}')
RETURNS models LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    info jsonb;
    feats text[] := register_model.features;
    model_feats text[];
    cls text[];
    nf int;
    v int;
    r modelmgr.models;
    live modelmgr.models;
    new_score float8;
    old_score float8;
BEGIN
    IF model_name IS NULL OR register_model.model IS NULL THEN
        RAISE EXCEPTION 'model name and model must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model_name = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH info IN ARRAY ARRAY[register_model.options, register_model.metrics, register_model.training, register_model.lineage] LOOP
        IF info IS NOT NULL AND jsonb_typeof(info) <> 'object' THEN
            RAISE EXCEPTION 'options, metrics, training and lineage must be JSON objects' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF register_model.metrics ? 'score' AND jsonb_typeof(register_model.metrics->'score') <> 'number' THEN
        RAISE EXCEPTION 'metrics "score" must be a number' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    info := modelmgr.model_info(register_model.model);      -- ERROR on a bad bytea
    nf := (info->>'n_features')::int;
    IF info ? 'classes' THEN
        cls := ARRAY(SELECT jsonb_array_elements_text(info->'classes'));
    END IF;
    IF info ? 'features' THEN
        model_feats := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    END IF;
    IF feats IS NULL THEN
        feats := model_feats;
    ELSIF model_feats IS NOT NULL AND feats IS DISTINCT FROM model_feats THEN
        RAISE EXCEPTION 'features do not match the feature names stored in the model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Given %s, the model has %s.', feats, model_feats);
    END IF;
    IF feats IS NOT NULL THEN
        IF array_ndims(feats) IS DISTINCT FROM 1 OR array_length(feats, 1) <> nf THEN
            RAISE EXCEPTION 'features has % names, but the model has % features', coalesce(cardinality(feats), 0), nf
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF array_position(feats, NULL) IS NOT NULL OR array_position(feats, '') IS NOT NULL
           OR (SELECT count(DISTINCT f) FROM unnest(feats) f) <> nf THEN
            RAISE EXCEPTION 'feature names must be distinct, non-empty and not NULL' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    PERFORM modelmgr._lock_name(model_name);
    INSERT INTO modelmgr.model_names AS n (name, last_version) VALUES (model_name, 1)
    ON CONFLICT (name) DO UPDATE SET last_version = n.last_version + 1
    RETURNING n.last_version INTO v;
    INSERT INTO modelmgr.models AS m (name, version, algorithm, label, features, classes, options, metrics, training,
                                      lineage, source, model)
    VALUES (model_name, v, info->>'algorithm', register_model.label, feats, cls,
            coalesce(register_model.options, '{}'), coalesce(register_model.metrics, '{}'),
            coalesce(register_model.training, '{}'), coalesce(register_model.lineage, '{}'),
            register_model.source, register_model.model)
    RETURNING m.* INTO r;

    IF auto_deploy THEN
        SELECT m.* INTO live FROM modelmgr.models m
        WHERE m.name = register_model.model_name AND m.version = modelmgr.deployed_version(register_model.model_name);
        IF live.id IS NULL THEN
            PERFORM modelmgr._push(model_name, v, 'deploy', 'auto_deploy', 'nothing was deployed');
        ELSE
            IF jsonb_typeof(r.metrics->'score') = 'number' THEN
                new_score := (r.metrics->>'score')::float8;
            END IF;
            IF jsonb_typeof(live.metrics->'score') = 'number' THEN
                old_score := (live.metrics->>'score')::float8;
            END IF;
            IF new_score IS NOT NULL AND (old_score IS NULL OR new_score > old_score) THEN
                PERFORM modelmgr._push(model_name, v, 'deploy', 'auto_deploy',
                    format('score %s beats version %s''s %s', new_score, live.version, coalesce(old_score::text, 'none')));
            ELSE
                RAISE NOTICE 'model "%" version % not deployed: score % does not beat deployed version %''s %',
                    model_name, v, coalesce(new_score::text, 'none'), live.version, coalesce(old_score::text, 'none');
            END IF;
        END IF;
    END IF;
    RETURN r;
END $$;
COMMENT ON FUNCTION register_model(text, bytea, text, text, text[], jsonb, jsonb, jsonb, boolean, jsonb) IS
'validates a model bytea and stores it as the next version of model_name; auto_deploy deploys it when nothing is deployed or its metrics score beats the deployed one';

-- Deployment --------------------------------------------------------------------------------

CREATE FUNCTION deploy(model_name text, version int DEFAULT NULL) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    IF deploy.version IS NULL THEN
        SELECT max(m.version) INTO v FROM modelmgr.models m WHERE m.name = deploy.model_name;
        RETURN modelmgr._push(model_name, v, 'deploy', 'latest', NULL);
    END IF;
    v := modelmgr._resolve(model_name, deploy.version);
    RETURN modelmgr._push(model_name, v, 'deploy', 'version', NULL);
END $$;
COMMENT ON FUNCTION deploy(text, int) IS 'makes a version of model_name live (NULL: the latest version); returns it';

CREATE FUNCTION deploy(model_name text, strategy text) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v int;
    s float8;
BEGIN
    IF strategy IS NULL THEN
        RETURN modelmgr.deploy(model_name, NULL::int);
    END IF;
    IF strategy ~ '^\s*[0-9]+\s*$' THEN
        RETURN modelmgr.deploy(model_name, strategy::int);
    END IF;
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    IF strategy = 'most_recent' THEN
        SELECT max(m.version) INTO v FROM modelmgr.models m WHERE m.name = deploy.model_name;
        RETURN modelmgr._push(model_name, v, 'deploy', 'most_recent', NULL);
    ELSIF strategy = 'best_score' THEN
        SELECT m.version, (m.metrics->>'score')::float8 INTO v, s FROM modelmgr.models m
        WHERE m.name = deploy.model_name AND jsonb_typeof(m.metrics->'score') = 'number'
        ORDER BY (m.metrics->>'score')::float8 DESC, m.version DESC LIMIT 1;
        IF v IS NULL THEN
            RAISE EXCEPTION 'no version of model "%" has a score', model_name
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Register versions with metrics => ''{"score": ...}'', or deploy a version by number.';
        END IF;
        RETURN modelmgr._push(model_name, v, 'deploy', 'best_score', format('best score %s', s));
    END IF;
    RAISE EXCEPTION 'unknown deployment strategy "%"', strategy
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Use best_score or most_recent, or a version number.';
END $$;
COMMENT ON FUNCTION deploy(text, text) IS 'makes a version of model_name live chosen by strategy: best_score (highest metrics score) or most_recent; returns it';

CREATE FUNCTION rollback(model_name text) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    live modelmgr.deployments;
    prev modelmgr.deployments;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.id IS NULL THEN
        RAISE EXCEPTION 'model "%" has never been deployed', model_name
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = format('Deploy it with modelmgr.deploy(%L).', model_name);
    END IF;
    SELECT * INTO prev FROM modelmgr.deployments d WHERE d.id = live.previous_id;
    IF prev.id IS NULL THEN
        RAISE EXCEPTION 'model "%" has no earlier deployment to roll back to', model_name
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO modelmgr.deployments (name, version, action, previous_id, previous_version, reason)
    VALUES (model_name, prev.version, 'rollback', prev.previous_id, live.version,
            format('rolled back to deployment %s', prev.id));
    RETURN prev.version;
END $$;
COMMENT ON FUNCTION rollback(text) IS 'makes the previously deployed version live again; repeated rollbacks walk back through the history; returns the version';

CREATE FUNCTION drop_model(model_name text, version int DEFAULT NULL, force boolean DEFAULT false) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    live modelmgr.deployments;
    targets int[];
    d bigint;
    p bigint;
    n int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    PERFORM modelmgr._lock_name(model_name);
    IF drop_model.version IS NULL THEN
        targets := ARRAY(SELECT m.version FROM modelmgr.models m WHERE m.name = drop_model.model_name);
    ELSE
        PERFORM modelmgr._resolve(model_name, drop_model.version);
        targets := ARRAY[drop_model.version];
    END IF;
    SELECT * INTO live FROM modelmgr._live(model_name);
    IF live.version = ANY (targets) THEN
        IF NOT coalesce(force, false) THEN
            RAISE EXCEPTION 'model "%" version % is deployed', model_name, live.version
                USING ERRCODE = 'object_in_use',
                      HINT = 'Deploy another version or roll back first, or pass force => true.';
        END IF;
        IF drop_model.version IS NOT NULL THEN
            INSERT INTO modelmgr.deployments (name, version, action, previous_id, previous_version, reason)
            VALUES (model_name, NULL, 'undeploy', live.previous_id, live.version,
                    format('version %s dropped with force', live.version));
        END IF;
    END IF;
    IF drop_model.version IS NULL THEN
        DELETE FROM modelmgr.deployments x WHERE x.name = drop_model.model_name;
    ELSE
        -- unlink the dropped version's history rows: whatever stacked on one now stacks on its predecessor
        FOR d IN SELECT x.id FROM modelmgr.deployments x
                 WHERE x.name = drop_model.model_name AND x.version = drop_model.version ORDER BY x.id LOOP
            SELECT x.previous_id INTO p FROM modelmgr.deployments x WHERE x.id = d;
            UPDATE modelmgr.deployments x SET previous_id = p WHERE x.previous_id = d;
        END LOOP;
        DELETE FROM modelmgr.deployments x WHERE x.name = drop_model.model_name AND x.version = drop_model.version;
    END IF;
    DELETE FROM modelmgr.models m WHERE m.name = drop_model.model_name AND m.version = ANY (targets);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF drop_model.version IS NULL THEN
        DELETE FROM modelmgr.model_names x WHERE x.name = drop_model.model_name;
    END IF;
    RETURN n;
END $$;
COMMENT ON FUNCTION drop_model(text, int, boolean) IS 'deletes one version (or all: NULL) of a model and its deployment rows; refuses the deployed version unless force; returns the number of versions dropped';

-- Reading models ----------------------------------------------------------------------------

CREATE FUNCTION model(model_name text, version int DEFAULT NULL) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v int := modelmgr._resolve(model_name, model.version);
    b bytea;
BEGIN
    SELECT m.model INTO b FROM modelmgr.models m WHERE m.name = model.model_name AND m.version = v;
    RETURN b;
END $$;
COMMENT ON FUNCTION model(text, int) IS 'the model bytea of a version (NULL: the deployed version)';

CREATE FUNCTION weights(model_name text, version int DEFAULT NULL)
RETURNS TABLE (class text, feature text, weight float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v int;
    r modelmgr.models;
    info jsonb;
    names text[];
    nf int;
    nout int;
    coef jsonb;
    icpt jsonb;
BEGIN
    v := modelmgr._resolve(model_name, weights.version);
    SELECT m.* INTO r FROM modelmgr.models m WHERE m.name = weights.model_name AND m.version = v;
    info := modelmgr.model_info(r.model);
    nf := (info->>'n_features')::int;
    nout := (info->>'n_outputs')::int;
    IF info ? 'features' THEN
        names := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    ELSIF r.features IS NOT NULL THEN
        names := r.features;
    ELSE
        names := ARRAY(SELECT 'x' || i FROM generate_series(1, nf) i);
    END IF;
    FOR k IN 0 .. nout - 1 LOOP
        IF nout = 1 THEN
            coef := info->'coefficients';
            icpt := info->'intercept';
            -- binary classifiers score the second (positive) class; regression has no class
            class := r.classes[2];
        ELSE
            coef := info->'coefficients'->k;
            icpt := info->'intercept'->k;
            class := r.classes[k + 1];
        END IF;
        feature := '(intercept)';
        weight := icpt::text::float8;
        RETURN NEXT;
        FOR j IN 1 .. nf LOOP
            feature := names[j];
            weight := (coef->(j - 1))::text::float8;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END $$;
COMMENT ON FUNCTION weights(text, int) IS 'coefficients of a version (NULL: deployed) as rows: class (NULL for regression, the positive class for binary), feature ((intercept) first), weight; on standardised inputs when the model standardises';

-- Export and import -------------------------------------------------------------------------

CREATE FUNCTION export_model(model_name text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v int := modelmgr._resolve(model_name, export_model.version);
    r modelmgr.models;
BEGIN
    SELECT m.* INTO r FROM modelmgr.models m WHERE m.name = export_model.model_name AND m.version = v;
    RETURN jsonb_build_object(
        'format', 'modelmgr.model',
        'format_version', 1,
        'name', r.name,
        'version', r.version,
        'algorithm', r.algorithm,
        'label', r.label,
        'features', to_jsonb(r.features),
        'classes', to_jsonb(r.classes),
        'options', r.options,
        'metrics', r.metrics,
        'training', r.training,
        'lineage', r.lineage,
        'source', r.source,
        'created_at', r.created_at,
        'created_by', r.created_by::text,
        'model_size', octet_length(r.model),
        'model_sha256', encode(sha256(r.model), 'hex'),
        'model_base64', translate(encode(r.model, 'base64'), E'\n', ''));
END $$;
COMMENT ON FUNCTION export_model(text, int) IS 'a version (NULL: deployed) as a self-describing JSON document (format modelmgr.model version 1, see docs/registry.md)';

CREATE FUNCTION import_model(model_name text, doc jsonb) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    bytes bytea;
    feats text[];
    key text;
    r modelmgr.models;
BEGIN
    IF doc IS NULL THEN
        RAISE EXCEPTION 'export document must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(doc) <> 'object' OR doc->>'format' IS DISTINCT FROM 'modelmgr.model' THEN
        RAISE EXCEPTION 'not a modelmgr export document'
            USING ERRCODE = 'data_exception', HINT = 'Expected a JSON object with "format": "modelmgr.model", as written by modelmgr.export_model().';
    END IF;
    IF jsonb_typeof(doc->'format_version') IS DISTINCT FROM 'number' OR (doc->>'format_version')::numeric <> 1 THEN
        RAISE EXCEPTION 'unsupported export format version %', coalesce(doc->>'format_version', 'NULL')
            USING ERRCODE = 'feature_not_supported', HINT = 'This modelmgr reads format_version 1.';
    END IF;
    FOREACH key IN ARRAY ARRAY['model_base64', 'model_sha256'] LOOP
        IF jsonb_typeof(doc->key) IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'export document field "%" must be a string', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    FOREACH key IN ARRAY ARRAY['options', 'metrics', 'training', 'lineage'] LOOP
        IF doc ? key AND jsonb_typeof(doc->key) NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'export document field "%" must be an object', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    FOREACH key IN ARRAY ARRAY['label', 'source', 'name'] LOOP
        IF doc ? key AND jsonb_typeof(doc->key) NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'export document field "%" must be a string', key USING ERRCODE = 'data_exception';
        END IF;
    END LOOP;
    IF doc ? 'features' AND jsonb_typeof(doc->'features') <> 'null' THEN
        IF jsonb_typeof(doc->'features') <> 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(doc->'features') e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'export document field "features" must be an array of strings' USING ERRCODE = 'data_exception';
        END IF;
        feats := ARRAY(SELECT jsonb_array_elements_text(doc->'features'));
    END IF;
    BEGIN
        bytes := decode(doc->>'model_base64', 'base64');
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'export document has invalid model_base64: %', SQLERRM USING ERRCODE = 'data_corrupted';
    END;
    IF doc ? 'model_size' AND (doc->>'model_size') IS DISTINCT FROM octet_length(bytes)::text THEN
        RAISE EXCEPTION 'export document model is % bytes, but model_size says %', octet_length(bytes), doc->>'model_size'
            USING ERRCODE = 'data_corrupted', HINT = 'The document was truncated or modified.';
    END IF;
    IF lower(doc->>'model_sha256') IS DISTINCT FROM encode(sha256(bytes), 'hex') THEN
        RAISE EXCEPTION 'export document model fails its sha256 check'
            USING ERRCODE = 'data_corrupted', HINT = 'The document was truncated or modified.';
    END IF;
    r := modelmgr.register_model(
        coalesce(import_model.model_name, doc->>'name'), bytes,
        source => doc->>'source', label => doc->>'label', features => feats,
        options => coalesce(nullif(doc->'options', 'null'), '{}'),
        metrics => coalesce(nullif(doc->'metrics', 'null'), '{}'),
        training => coalesce(nullif(doc->'training', 'null'), '{}'),
        lineage => coalesce(nullif(doc->'lineage', 'null'), '{}') || jsonb_build_object('imported_from',
            jsonb_build_object('name', doc->'name', 'version', doc->'version', 'created_at', doc->'created_at',
                               'created_by', doc->'created_by', 'model_sha256', doc->'model_sha256')));
    RETURN r.version;
END $$;
COMMENT ON FUNCTION import_model(text, jsonb) IS 'registers the model of an export_model() document as the next version of model_name (NULL: the document''s name), after checking format, sha256 and the bytes; returns the new version';

-- Prediction by name (C: the deployed version is resolved once per statement) -----------------

CREATE FUNCTION predict(model_name text, x float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_predict_by_name' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION predict_label(model_name text, x float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mm_predict_label_by_name' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION predict_proba(model_name text, x float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_predict_proba_by_name' LANGUAGE C STABLE STRICT PARALLEL SAFE;
-- The row forms have a planner support function: with a constant model name and a table's row,
-- the planner passes just the model's feature columns (_predict_columns) instead of building a
-- composite value per row. Same results and errors, about 3x faster.
CREATE FUNCTION _predict_row_support(internal) RETURNS internal
AS 'MODULE_PATHNAME', 'mm_predict_row_support' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _predict_columns_support(internal) RETURNS internal
AS 'MODULE_PATHNAME', 'mm_predict_columns_support' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _predict_columns(model_name text, features text[], VARIADIC "any") RETURNS float8
AS 'MODULE_PATHNAME', 'mm_predict_columns' LANGUAGE C STABLE PARALLEL SAFE SUPPORT _predict_columns_support;
CREATE FUNCTION _predict_label_columns(model_name text, features text[], VARIADIC "any") RETURNS text
AS 'MODULE_PATHNAME', 'mm_predict_label_columns' LANGUAGE C STABLE PARALLEL SAFE SUPPORT _predict_columns_support;
CREATE FUNCTION _predict_proba_columns(model_name text, features text[], VARIADIC "any") RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_predict_proba_columns' LANGUAGE C STABLE PARALLEL SAFE SUPPORT _predict_columns_support;
COMMENT ON FUNCTION _predict_columns_support(internal) IS 'internal: planner cost of the _predict_*_columns functions (two operators per feature column)';
COMMENT ON FUNCTION _predict_row_support(internal) IS 'internal: planner support of predict(text, record): passes the feature columns instead of the row';
COMMENT ON FUNCTION _predict_columns(text, text[], "any") IS 'internal: predict(text, record) with the feature columns as arguments (the first: NULL for a NULL row)';
COMMENT ON FUNCTION _predict_label_columns(text, text[], "any") IS 'internal: predict_label(text, record) with the feature columns as arguments';
COMMENT ON FUNCTION _predict_proba_columns(text, text[], "any") IS 'internal: predict_proba(text, record) with the feature columns as arguments';

CREATE FUNCTION predict(model_name text, r record) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_predict_row' LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT _predict_row_support;
CREATE FUNCTION predict_label(model_name text, r record) RETURNS text
AS 'MODULE_PATHNAME', 'mm_predict_label_row' LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT _predict_row_support;
CREATE FUNCTION predict_proba(model_name text, r record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_predict_proba_row' LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT _predict_row_support;

COMMENT ON FUNCTION predict(text, float8[]) IS 'prediction of the deployed version of model_name (resolved once per statement) for feature vector x';
COMMENT ON FUNCTION predict_label(text, float8[]) IS 'class name (or value as text) from the deployed version of model_name';
COMMENT ON FUNCTION predict_proba(text, float8[]) IS 'class probabilities from the deployed version of model_name';
COMMENT ON FUNCTION predict(text, record) IS 'prediction of the deployed version of model_name, taking the model''s feature columns from row r by name';
COMMENT ON FUNCTION predict_label(text, record) IS 'class name from the deployed version of model_name, features taken from row r by name';
COMMENT ON FUNCTION predict_proba(text, record) IS 'class probabilities from the deployed version of model_name, features taken from row r by name';

-- Views -------------------------------------------------------------------------------------

CREATE VIEW model_versions AS
SELECT m.id, m.name, m.version, m.algorithm, m.label,
       cardinality(m.features) AS n_features, m.features, m.classes,
       CASE WHEN jsonb_typeof(m.metrics->'score') = 'number' THEN (m.metrics->>'score')::float8 END AS score,
       m.metrics, m.options, m.training, m.lineage, m.source,
       octet_length(m.model) AS size_bytes,
       coalesce(m.version = l.version, false) AS is_deployed,
       m.created_at, m.created_by
FROM models m
LEFT JOIN LATERAL (SELECT d.version FROM deployments d WHERE d.name = m.name ORDER BY d.id DESC LIMIT 1) l ON true;

COMMENT ON VIEW model_versions IS 'one row per registered model version, with is_deployed';
COMMENT ON COLUMN model_versions.n_features IS 'number of named features (NULL when the version has no feature names)';
COMMENT ON COLUMN model_versions.score IS 'metrics->>''score'' as a number (what best_score compares)';
COMMENT ON COLUMN model_versions.size_bytes IS 'size of the model bytea';
COMMENT ON COLUMN model_versions.is_deployed IS 'true for the live version of its name';

CREATE VIEW model_overview AS
SELECT n.name,
       l.version AS deployed_version,
       coalesce(dm.algorithm, lm.algorithm) AS algorithm,
       n.versions,
       lm.version AS latest_version,
       lm.metrics AS latest_metrics,
       dm.metrics AS deployed_metrics,
       lm.created_at AS trained_at,
       CASE WHEN l.version IS NOT NULL THEN l.deployed_at END AS deployed_at,
       CASE WHEN l.version IS NOT NULL THEN l.deployed_by END AS deployed_by
FROM (SELECT m.name, count(*) AS versions, max(m.version) AS latest FROM models m GROUP BY m.name) n
JOIN models lm ON lm.name = n.name AND lm.version = n.latest
LEFT JOIN LATERAL (SELECT d.version, d.deployed_at, d.deployed_by FROM deployments d
                   WHERE d.name = n.name ORDER BY d.id DESC LIMIT 1) l ON true
LEFT JOIN models dm ON dm.name = n.name AND dm.version = l.version;

COMMENT ON VIEW model_overview IS 'one row per model name: deployed version, algorithm, number of versions, latest metrics, when trained and deployed';
COMMENT ON COLUMN model_overview.deployed_version IS 'the live version (NULL: nothing deployed)';
COMMENT ON COLUMN model_overview.algorithm IS 'algorithm of the deployed version, else of the latest';
COMMENT ON COLUMN model_overview.versions IS 'number of registered versions';
COMMENT ON COLUMN model_overview.latest_version IS 'highest registered version';
COMMENT ON COLUMN model_overview.latest_metrics IS 'metrics of the latest version';
COMMENT ON COLUMN model_overview.deployed_metrics IS 'metrics of the deployed version';
COMMENT ON COLUMN model_overview.trained_at IS 'when the latest version was registered';
COMMENT ON COLUMN model_overview.deployed_at IS 'when the live version was made live';
COMMENT ON COLUMN model_overview.deployed_by IS 'who made the live version live';

-- Roles and privileges ----------------------------------------------------------------------
-- modelmgr_reader: read the registry and predict. modelmgr_trainer: reader + register, deploy,
-- roll back, drop, import. Both NOLOGIN, created only when missing; grant them to login roles.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_reader') THEN
        CREATE ROLE modelmgr_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'modelmgr_trainer') THEN
        CREATE ROLE modelmgr_trainer NOLOGIN;
    END IF;
    IF NOT pg_catalog.pg_has_role('modelmgr_trainer', 'modelmgr_reader', 'MEMBER') THEN
        GRANT modelmgr_reader TO modelmgr_trainer;
    END IF;
END $$;

GRANT USAGE ON SCHEMA modelmgr TO modelmgr_reader;
GRANT SELECT ON model_names, models, deployments, model_versions, model_overview TO modelmgr_reader;
GRANT INSERT, UPDATE, DELETE ON model_names, models, deployments TO modelmgr_trainer;
-- PUBLIC can run these too by default; the explicit grant keeps readers working where an
-- administrator revokes the PUBLIC default.
GRANT EXECUTE ON FUNCTION
    predict(text, float8[]), predict_label(text, float8[]), predict_proba(text, float8[]),
    predict(text, record), predict_label(text, record), predict_proba(text, record),
    _predict_columns(text, text[], "any"), _predict_label_columns(text, text[], "any"),
    _predict_proba_columns(text, text[], "any"),
    predict(bytea, float8[]), predict_label(bytea, float8[]), predict_proba(bytea, float8[]), model_info(bytea),
    model(text, int), weights(text, int), export_model(text, int), deployed_version(text),
    _check_name(text), _resolve(text, int), _live(text)
TO modelmgr_reader;

REVOKE EXECUTE ON FUNCTION
    register_model(text, bytea, text, text, text[], jsonb, jsonb, jsonb, boolean, jsonb),
    deploy(text, int), deploy(text, text), rollback(text), drop_model(text, int, boolean),
    import_model(text, jsonb), _push(text, int, text, text, text), _lock_name(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    register_model(text, bytea, text, text, text[], jsonb, jsonb, jsonb, boolean, jsonb),
    deploy(text, int), deploy(text, text), rollback(text), drop_model(text, int, boolean),
    import_model(text, jsonb), _push(text, int, text, text, text), _lock_name(text)
TO modelmgr_trainer;
-- train(): one call from a table, view or query to a registered model version.

CREATE FUNCTION _row_unit(x float8[], y float8, seed int8) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_row_unit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _row_unit(float8[], float8, int8) IS 'internal: the stable hash of a training row in [0, 1), used by train() for splits and shuffling';

CREATE FUNCTION train(model_name text, source text, label text, features text[] DEFAULT NULL,
                      algorithm text DEFAULT 'auto', options jsonb DEFAULT '{}')
RETURNS models AS 'MODULE_PATHNAME', 'mm_train' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION train(text, text, text, text[], text, jsonb) IS
    'trains a model on a table, view or SELECT query and registers it as a new version of model_name (see README, Training)';
-- Monitoring: drift baselines and PSI, evaluation snapshots, drift history, anomaly checks and
-- alerts (NOTIFY modelmgr_alerts), Prometheus exposition and BI views. See docs/monitoring.md.

-- Baselines and PSI (C aggregates) ----------------------------------------------------------

CREATE FUNCTION model_with_baseline_sfunc(state bytea, model bytea, x float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION model_with_baseline_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION model_with_baseline_final(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE model_with_baseline(model bytea, x float8[]) (
    SFUNC = model_with_baseline_sfunc, STYPE = bytea, FINALFUNC = model_with_baseline_final,
    COMBINEFUNC = model_with_baseline_combine, PARALLEL = SAFE
);
COMMENT ON FUNCTION model_with_baseline_sfunc(bytea, bytea, float8[]) IS 'internal: transition of model_with_baseline (bounded row sample)';
COMMENT ON FUNCTION model_with_baseline_combine(bytea, bytea) IS 'internal: combine of model_with_baseline (merges two samples)';
COMMENT ON FUNCTION model_with_baseline_final(bytea) IS 'internal: final of model_with_baseline (builds the baseline, returns the model)';
COMMENT ON AGGREGATE model_with_baseline(bytea, float8[]) IS
'the model with a drift baseline (10 quantile bins per feature) built from the rows x (a deterministic sample of at most 20000 rows); NULL rows are skipped, zero rows give NULL';

CREATE FUNCTION drift_psi_sfunc(state bytea, model bytea, x float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_drift_psi_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION drift_psi_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_drift_psi_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION drift_psi_final(state bytea) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_drift_psi_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE drift_psi(model bytea, x float8[]) (
    SFUNC = drift_psi_sfunc, STYPE = bytea, FINALFUNC = drift_psi_final,
    COMBINEFUNC = drift_psi_combine, PARALLEL = SAFE
);
COMMENT ON FUNCTION drift_psi_sfunc(bytea, bytea, float8[]) IS 'internal: transition of drift_psi (counts per baseline bin)';
COMMENT ON FUNCTION drift_psi_combine(bytea, bytea) IS 'internal: combine of drift_psi (adds counts)';
COMMENT ON FUNCTION drift_psi_final(bytea) IS 'internal: final of drift_psi (PSI per feature)';
COMMENT ON AGGREGATE drift_psi(bytea, float8[]) IS
'per-feature population stability index of the rows x against the model''s drift baseline, in model feature order; NULL elements are skipped (a feature with no value gets NULL); zero rows give NULL';

CREATE FUNCTION baseline_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_baseline_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION baseline_info(bytea) IS 'the drift baseline stored in a model: rows summarised, bins asked for, per feature its bin edges and fractions; NULL when the model has none';

CREATE FUNCTION _source_sql(source text) RETURNS text
AS 'MODULE_PATHNAME', 'mm_source_sql' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION _source_sql(text) IS 'internal: a table or view name (resolved and quoted) or a single SELECT in parentheses, usable as FROM <source> AS s';
CREATE FUNCTION _feature_sql(model bytea, features text[], source_sql text) RETURNS text
AS 'MODULE_PATHNAME', 'mm_feature_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION _feature_sql(bytea, text[], text) IS 'internal: the model''s feature vector over source row s as a float8[] SQL expression; ERROR naming a missing column';

-- Tables ------------------------------------------------------------------------------------

CREATE TABLE monitor_settings (
    name         text PRIMARY KEY REFERENCES model_names (name) ON DELETE CASCADE,
    psi_warn     float8 NOT NULL DEFAULT 0.1 CHECK (psi_warn >= 0),
    psi_alert    float8 NOT NULL DEFAULT 0.25,
    metric       text,
    metric_floor float8,
    k_sigma      float8 NOT NULL DEFAULT 3 CHECK (k_sigma > 0),
    min_history  int NOT NULL DEFAULT 3 CHECK (min_history >= 2),
    CHECK (psi_alert >= psi_warn)
);
COMMENT ON TABLE monitor_settings IS 'per-model monitoring thresholds (optional: a model without a row gets the defaults)';
COMMENT ON COLUMN monitor_settings.name IS 'model name';
COMMENT ON COLUMN monitor_settings.psi_warn IS 'PSI at or above which drift() says warn (default 0.1)';
COMMENT ON COLUMN monitor_settings.psi_alert IS 'PSI at or above which drift() says alert and monitor() raises a drift alert (default 0.25)';
COMMENT ON COLUMN monitor_settings.metric IS 'the metric monitor() checks (NULL: accuracy for classifiers, r2 for regression)';
COMMENT ON COLUMN monitor_settings.metric_floor IS 'monitor() alerts when the metric is worse than this (below it; above it for log_loss, mse, rmse, mae); NULL: no floor';
COMMENT ON COLUMN monitor_settings.k_sigma IS 'monitor() alerts when the metric is worse than the mean of the earlier evaluations of the version by more than k_sigma standard deviations (default 3)';
COMMENT ON COLUMN monitor_settings.min_history IS 'earlier evaluations needed before the k_sigma check applies (default 3)';

CREATE TABLE evaluations (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    version      int NOT NULL,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    rows         bigint NOT NULL CHECK (rows >= 0),
    metrics      jsonb NOT NULL CHECK (jsonb_typeof(metrics) = 'object'),
    source       text,
    evaluated_by name NOT NULL DEFAULT current_user,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX evaluations_name_version ON evaluations (name, version, id);
COMMENT ON TABLE evaluations IS 'metric snapshots: one row per evaluate() (and monitor()) call';
COMMENT ON COLUMN evaluations.id IS 'increasing: the latest evaluation of a version has the highest id';
COMMENT ON COLUMN evaluations.name IS 'model name';
COMMENT ON COLUMN evaluations.version IS 'the version evaluated';
COMMENT ON COLUMN evaluations.evaluated_at IS 'when (transaction time)';
COMMENT ON COLUMN evaluations.rows IS 'rows scored (rows with a NULL label or feature are skipped)';
COMMENT ON COLUMN evaluations.metrics IS 'metric name -> value (JSON null when undefined, e.g. over zero rows)';
COMMENT ON COLUMN evaluations.source IS 'the table, view or query evaluated on, as given';
COMMENT ON COLUMN evaluations.evaluated_by IS 'who';

CREATE TABLE drift_history (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    version     int NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    feature     text NOT NULL,
    psi         float8,
    status      text NOT NULL CHECK (status IN ('ok', 'warn', 'alert', 'no_data')),
    rows        bigint NOT NULL,
    source      text,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX drift_history_name_feature ON drift_history (name, feature, id);
COMMENT ON TABLE drift_history IS 'per-feature PSI, one row per feature per drift() (and monitor()) call';
COMMENT ON COLUMN drift_history.name IS 'model name';
COMMENT ON COLUMN drift_history.version IS 'the deployed version whose baseline was compared against';
COMMENT ON COLUMN drift_history.measured_at IS 'when (transaction time)';
COMMENT ON COLUMN drift_history.feature IS 'feature name (model order)';
COMMENT ON COLUMN drift_history.psi IS 'population stability index (NULL: the feature had no non-NULL value)';
COMMENT ON COLUMN drift_history.status IS 'ok, warn (psi >= psi_warn), alert (psi >= psi_alert) or no_data';
COMMENT ON COLUMN drift_history.rows IS 'rows of the source';
COMMENT ON COLUMN drift_history.source IS 'the table, view or query measured, as given';

CREATE TABLE alerts (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    version     int NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind IN ('drift', 'metric_drop', 'metric_floor')),
    detail      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    resolved_at timestamptz,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX alerts_open ON alerts (name) WHERE resolved_at IS NULL;
COMMENT ON TABLE alerts IS 'alerts raised by monitor(); open while resolved_at is NULL (see resolve_alerts)';
COMMENT ON COLUMN alerts.name IS 'model name';
COMMENT ON COLUMN alerts.version IS 'the version monitored';
COMMENT ON COLUMN alerts.raised_at IS 'when (transaction time)';
COMMENT ON COLUMN alerts.kind IS 'drift (a feature''s PSI reached psi_alert), metric_drop (k_sigma below the history) or metric_floor';
COMMENT ON COLUMN alerts.detail IS 'facts: feature and psi, or metric, value, mean, stddev, floor; subject names the feature or metric';
COMMENT ON COLUMN alerts.resolved_at IS 'when resolved; NULL while open';

SELECT pg_catalog.pg_extension_config_dump('monitor_settings', '');
SELECT pg_catalog.pg_extension_config_dump('evaluations', '');
SELECT pg_catalog.pg_extension_config_dump('evaluations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('drift_history', '');
SELECT pg_catalog.pg_extension_config_dump('drift_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alerts', '');
SELECT pg_catalog.pg_extension_config_dump('alerts_id_seq', '');

-- Helpers -----------------------------------------------------------------------------------

CREATE FUNCTION _settings(model_name text) RETURNS monitor_settings LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT s FROM modelmgr.monitor_settings s WHERE s.name = _settings.model_name),
                    ROW(_settings.model_name, 0.1, 0.25, NULL, NULL, 3, 3)::modelmgr.monitor_settings)
$$;
COMMENT ON FUNCTION _settings(text) IS 'internal: the monitor_settings row of a model, or the defaults';

CREATE FUNCTION _lower_is_better(metric text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT metric IN ('log_loss', 'mse', 'rmse', 'mae')
$$;
COMMENT ON FUNCTION _lower_is_better(text) IS 'internal: true for error metrics (log_loss, mse, rmse, mae)';

-- evaluate ----------------------------------------------------------------------------------

CREATE FUNCTION evaluate(model_name text, source text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v int;
    r modelmgr.models;
    src text;
    fx text;
    ltype regtype;
    ncls int;
    pexpr text;
    aexpr text;
    pos text;
    m jsonb;
    n bigint;
    skipped bigint;
    eid bigint;
    q text;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, evaluate.version);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = evaluate.model_name AND mo.version = v;
    IF r.label IS NULL THEN
        RAISE EXCEPTION 'model "%" version % has no registered label column', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Register the model with label => ''column'' to evaluate it on a table.';
    END IF;
    src := modelmgr._source_sql(source);
    fx := modelmgr._feature_sql(r.model, r.features, src);
    BEGIN
        EXECUTE format('SELECT pg_typeof(s.%I) FROM (SELECT * FROM %s AS s LIMIT 0) s RIGHT JOIN (SELECT 1) one ON true',
                       r.label, src) INTO ltype;
    EXCEPTION WHEN undefined_column THEN
        RAISE EXCEPTION 'source has no label column "%"', r.label
            USING ERRCODE = 'undefined_column',
                  DETAIL = format('Model "%s" version %s was trained on label "%s".', model_name, v, r.label);
    END;
    ncls := coalesce(cardinality(r.classes), 0);
    -- rows with a NULL label or feature are skipped; predictions come from the version's own bytes
    q := format('SELECT %s AS x, s.%I AS y FROM %s AS s', fx, r.label, src);
    IF r.algorithm = 'linear_regression' THEN
        EXECUTE format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                jsonb_build_object('r2', modelmgr.r2(p, a) FILTER (WHERE ok), 'mse', modelmgr.mse(p, a) FILTER (WHERE ok),
                                   'rmse', modelmgr.rmse(p, a) FILTER (WHERE ok), 'mae', modelmgr.mae(p, a) FILTER (WHERE ok))
            FROM (SELECT CASE WHEN ok THEN modelmgr.predict($1, x) END AS p, y::float8 AS a, ok
                  FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%s) q0) q1) q2$q$, q)
            INTO n, skipped, m USING r.model;
    ELSE
        -- text labels compare class names; numeric and boolean labels compare class values
        IF ltype IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype, 'name'::regtype) THEN
            pexpr := 'modelmgr.predict_label($1, x)';
            aexpr := 'y::text';
            pos := quote_literal(r.classes[ncls]) || '::text';
        ELSIF ltype = 'boolean'::regtype THEN
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::int::float8';
            pos := '1::float8';
        ELSE
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::float8';
            pos := quote_literal(r.classes[ncls]) || '::float8';
        END IF;
        IF ncls = 2 THEN
            EXECUTE format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'precision', modelmgr.precision(p, a, %2$s) FILTER (WHERE ok),
                        'recall', modelmgr.recall(p, a, %2$s) FILTER (WHERE ok),
                        'f1', modelmgr.f1(p, a, %2$s) FILTER (WHERE ok),
                        'roc_auc', CASE WHEN count(DISTINCT a) FILTER (WHERE ok) = 2
                                        THEN modelmgr.roc_auc(pr, a = %2$s) FILTER (WHERE ok) END,
                        'log_loss', CASE WHEN $2 THEN modelmgr.log_loss(pr, a = %2$s) FILTER (WHERE ok) END)
                FROM (SELECT CASE WHEN ok THEN %3$s END AS p,
                             CASE WHEN ok THEN (modelmgr.predict_proba($1, x))[2] END AS pr, %4$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pos, pexpr, aexpr)
                INTO n, skipped, m USING r.model, r.algorithm <> 'svm';
        ELSE
            EXECUTE format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'f1_macro', modelmgr.f1_macro(p, a) FILTER (WHERE ok),
                        'f1_weighted', modelmgr.f1_weighted(p, a) FILTER (WHERE ok))
                FROM (SELECT CASE WHEN ok THEN %2$s END AS p, %3$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pexpr, aexpr)
                INTO n, skipped, m USING r.model;
        END IF;
    END IF;
    INSERT INTO modelmgr.evaluations AS e (name, version, rows, metrics, source)
    VALUES (model_name, v, n, m, evaluate.source) RETURNING e.id INTO eid;
    RETURN jsonb_build_object('name', model_name, 'version', v, 'evaluation_id', eid, 'rows', n,
                              'rows_skipped', skipped, 'metrics', m);
END $$;
COMMENT ON FUNCTION evaluate(text, text, int) IS
'scores a version (NULL: the deployed one) on a table, view or SELECT with the metric aggregates, against the model''s registered label column; records the snapshot in evaluations and returns {name, version, evaluation_id, rows, rows_skipped, metrics}';

-- drift -------------------------------------------------------------------------------------

CREATE FUNCTION drift(model_name text, source text) RETURNS TABLE (feature text, psi float8, status text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v int;
    r modelmgr.models;
    info jsonb;
    src text;
    fx text;
    psis float8[];
    names text[];
    n bigint;
    st modelmgr.monitor_settings;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = drift.model_name AND mo.version = v;
    info := modelmgr.model_info(r.model);
    IF NOT coalesce((info->>'has_baseline')::boolean, false) THEN
        RAISE EXCEPTION 'model "%" version % has no drift baseline', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Models trained by modelmgr.train() carry one; add one to another model with the aggregate modelmgr.model_with_baseline(model, x) and register the result.';
    END IF;
    src := modelmgr._source_sql(source);
    fx := modelmgr._feature_sql(r.model, r.features, src);
    EXECUTE format('SELECT modelmgr.drift_psi($1, %s), count(*) FROM %s AS s', fx, src) INTO psis, n USING r.model;
    IF info ? 'features' THEN
        names := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    ELSE
        names := coalesce(r.features, ARRAY(SELECT 'x' || i FROM generate_series(1, (info->>'n_features')::int) i));
    END IF;
    st := modelmgr._settings(model_name);
    FOR i IN 1 .. cardinality(names) LOOP
        feature := names[i];
        psi := psis[i];
        status := CASE WHEN psi IS NULL THEN 'no_data' WHEN psi >= st.psi_alert THEN 'alert'
                       WHEN psi >= st.psi_warn THEN 'warn' ELSE 'ok' END;
        INSERT INTO modelmgr.drift_history (name, version, feature, psi, status, rows, source)
        VALUES (model_name, v, names[i], psis[i], status, n, drift.source);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION drift(text, text) IS
'per-feature PSI of a table, view or SELECT against the drift baseline of the deployed version of model_name, with status ok / warn / alert (thresholds from monitor_settings, default 0.1 / 0.25); recorded in drift_history';

-- alerts and monitor ------------------------------------------------------------------------

-- Records an alert unless the same one (name, version, kind, subject) is open; NOTIFYs new ones.
CREATE FUNCTION _raise_alert(model_name text, version int, kind text, detail jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    aid bigint;
    payload jsonb;
BEGIN
    SELECT a.id INTO aid FROM modelmgr.alerts a
    WHERE a.name = _raise_alert.model_name AND a.version = _raise_alert.version AND a.kind = _raise_alert.kind
      AND a.resolved_at IS NULL AND a.detail->>'subject' IS NOT DISTINCT FROM _raise_alert.detail->>'subject'
    ORDER BY a.id LIMIT 1;
    IF aid IS NOT NULL THEN
        RETURN jsonb_build_object('id', aid, 'kind', kind, 'new', false, 'detail', detail);
    END IF;
    INSERT INTO modelmgr.alerts AS a (name, version, kind, detail)
    VALUES (model_name, _raise_alert.version, _raise_alert.kind, _raise_alert.detail) RETURNING a.id INTO aid;
    payload := jsonb_build_object('id', aid, 'name', model_name, 'version', _raise_alert.version,
                                  'kind', _raise_alert.kind, 'detail', _raise_alert.detail);
    PERFORM pg_catalog.pg_notify('modelmgr_alerts', payload::text);
    RETURN jsonb_build_object('id', aid, 'kind', kind, 'new', true, 'detail', detail);
END $$;
COMMENT ON FUNCTION _raise_alert(text, int, text, jsonb) IS 'internal: records an alert (unless the same one is open) and sends it with NOTIFY modelmgr_alerts';

CREATE FUNCTION resolve_alerts(model_name text, kind text DEFAULT NULL) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    UPDATE modelmgr.alerts a SET resolved_at = now()
    WHERE a.name = resolve_alerts.model_name AND a.resolved_at IS NULL
      AND (resolve_alerts.kind IS NULL OR a.kind = resolve_alerts.kind);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION resolve_alerts(text, text) IS 'marks the open alerts of a model (of one kind, or all: NULL) resolved; returns how many';

CREATE FUNCTION monitor(model_name text, source text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v int;
    r modelmgr.models;
    ev jsonb;
    st modelmgr.monitor_settings;
    met text;
    val float8;
    hmean float8;
    hsd float8;
    hcount int;
    low boolean;
    raised jsonb := '[]';
    dr jsonb;
    d record;
BEGIN
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = monitor.model_name AND mo.version = v;
    ev := modelmgr.evaluate(model_name, source, v);
    st := modelmgr._settings(model_name);
    met := coalesce(st.metric, CASE WHEN r.algorithm = 'linear_regression' THEN 'r2' ELSE 'accuracy' END);
    IF NOT (ev->'metrics') ? met THEN
        RAISE EXCEPTION 'monitor_settings.metric "%" is not a metric of model "%"', met, model_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('evaluate() reports: %s.', (SELECT string_agg(k, ', ') FROM jsonb_object_keys(ev->'metrics') k));
    END IF;
    IF jsonb_typeof(ev->'metrics'->met) = 'number' THEN
        val := (ev->'metrics'->>met)::float8;
    END IF;
    low := modelmgr._lower_is_better(met);
    SELECT count(*), avg(h.x), stddev_samp(h.x) INTO hcount, hmean, hsd
    FROM (SELECT (e.metrics->>met)::float8 AS x FROM modelmgr.evaluations e
          WHERE e.name = monitor.model_name AND e.version = v AND e.id < (ev->>'evaluation_id')::bigint
            AND jsonb_typeof(e.metrics->met) = 'number') h;
    IF val IS NOT NULL THEN
        IF hcount >= st.min_history
           AND (CASE WHEN low THEN val - hmean ELSE hmean - val END) > st.k_sigma * coalesce(hsd, 0)
           AND abs(val - hmean) > 1e-12 * greatest(1, abs(hmean)) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_drop', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'mean', hmean, 'stddev', hsd,
                'k_sigma', st.k_sigma, 'history', hcount, 'evaluation_id', ev->'evaluation_id'));
        END IF;
        IF st.metric_floor IS NOT NULL AND (CASE WHEN low THEN val > st.metric_floor ELSE val < st.metric_floor END) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_floor', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'floor', st.metric_floor,
                'evaluation_id', ev->'evaluation_id'));
        END IF;
    END IF;
    IF coalesce((modelmgr.model_info(r.model)->>'has_baseline')::boolean, false) THEN
        dr := '[]';
        FOR d IN SELECT * FROM modelmgr.drift(model_name, source) LOOP
            dr := dr || jsonb_build_object('feature', d.feature, 'psi', d.psi, 'status', d.status);
            IF d.status = 'alert' THEN
                raised := raised || modelmgr._raise_alert(model_name, v, 'drift', jsonb_build_object(
                    'subject', d.feature, 'feature', d.feature, 'psi', d.psi, 'psi_alert', st.psi_alert));
            END IF;
        END LOOP;
    END IF;
    RETURN jsonb_build_object(
        'name', model_name, 'version', v,
        'status', CASE WHEN jsonb_array_length(raised) > 0 THEN 'alert' ELSE 'ok' END,
        'metric', met, 'value', val,
        'history', jsonb_build_object('evaluations', hcount, 'mean', hmean, 'stddev', hsd),
        'evaluation', ev, 'drift', dr, 'alerts', raised);
END $$;
COMMENT ON FUNCTION monitor(text, text) IS
'evaluate() + drift() of the deployed version of model_name on a table, view or SELECT, and an anomaly check of the monitored metric against the version''s evaluation history (k_sigma) and floor; alerts are recorded in alerts and sent with NOTIFY modelmgr_alerts (JSON payload); returns a summary';

-- Views -------------------------------------------------------------------------------------

CREATE VIEW evaluation_history AS
SELECT e.id, e.name, e.version, e.evaluated_at, e.rows,
       CASE WHEN jsonb_typeof(e.metrics->'accuracy') = 'number' THEN (e.metrics->>'accuracy')::float8 END AS accuracy,
       CASE WHEN jsonb_typeof(e.metrics->'precision') = 'number' THEN (e.metrics->>'precision')::float8 END AS "precision",
       CASE WHEN jsonb_typeof(e.metrics->'recall') = 'number' THEN (e.metrics->>'recall')::float8 END AS recall,
       CASE WHEN jsonb_typeof(e.metrics->'f1') = 'number' THEN (e.metrics->>'f1')::float8 END AS f1,
       CASE WHEN jsonb_typeof(e.metrics->'roc_auc') = 'number' THEN (e.metrics->>'roc_auc')::float8 END AS roc_auc,
       CASE WHEN jsonb_typeof(e.metrics->'log_loss') = 'number' THEN (e.metrics->>'log_loss')::float8 END AS log_loss,
       CASE WHEN jsonb_typeof(e.metrics->'f1_macro') = 'number' THEN (e.metrics->>'f1_macro')::float8 END AS f1_macro,
       CASE WHEN jsonb_typeof(e.metrics->'f1_weighted') = 'number' THEN (e.metrics->>'f1_weighted')::float8 END AS f1_weighted,
       CASE WHEN jsonb_typeof(e.metrics->'r2') = 'number' THEN (e.metrics->>'r2')::float8 END AS r2,
       CASE WHEN jsonb_typeof(e.metrics->'mse') = 'number' THEN (e.metrics->>'mse')::float8 END AS mse,
       CASE WHEN jsonb_typeof(e.metrics->'rmse') = 'number' THEN (e.metrics->>'rmse')::float8 END AS rmse,
       CASE WHEN jsonb_typeof(e.metrics->'mae') = 'number' THEN (e.metrics->>'mae')::float8 END AS mae,
       e.metrics, e.source, e.evaluated_by
FROM evaluations e;
COMMENT ON VIEW evaluation_history IS 'one row per evaluation with the common metrics as columns (NULL where the model type has no such metric), for BI dashboards';
COMMENT ON COLUMN evaluation_history.rows IS 'rows scored';
COMMENT ON COLUMN evaluation_history.metrics IS 'all metrics as JSON';

CREATE VIEW latest_evaluation_metrics AS
SELECT e.name, e.version, k.metric, (e.metrics->>k.metric)::float8 AS value, e.rows, e.evaluated_at, e.id AS evaluation_id
FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM evaluations x ORDER BY x.name, x.version, x.id DESC) e
CROSS JOIN LATERAL jsonb_object_keys(e.metrics) AS k(metric)
WHERE jsonb_typeof(e.metrics->k.metric) = 'number';
COMMENT ON VIEW latest_evaluation_metrics IS 'the latest evaluation of each model version in long form: one row per metric (what Prometheus exports as modelmgr_evaluation_metric)';
COMMENT ON COLUMN latest_evaluation_metrics.metric IS 'metric name, e.g. accuracy, roc_auc, r2';
COMMENT ON COLUMN latest_evaluation_metrics.value IS 'metric value';

CREATE VIEW latest_drift AS
SELECT DISTINCT ON (h.name, h.feature) h.name, h.version, h.feature, h.psi, h.status, h.rows, h.measured_at, h.source
FROM drift_history h
ORDER BY h.name, h.feature, h.id DESC;
COMMENT ON VIEW latest_drift IS 'the latest drift measurement of each (model, feature)';
COMMENT ON COLUMN latest_drift.version IS 'the deployed version measured';
COMMENT ON COLUMN latest_drift.psi IS 'population stability index (NULL: no data)';
COMMENT ON COLUMN latest_drift.status IS 'ok, warn, alert or no_data';

CREATE VIEW open_alerts AS
SELECT a.id, a.name, a.version, a.raised_at, a.kind, a.detail->>'subject' AS subject, a.detail,
       extract(epoch FROM now() - a.raised_at)::float8 AS age_seconds
FROM alerts a
WHERE a.resolved_at IS NULL;
COMMENT ON VIEW open_alerts IS 'alerts not yet resolved';
COMMENT ON COLUMN open_alerts.subject IS 'the feature (drift) or metric (metric_drop, metric_floor) alerted on';
COMMENT ON COLUMN open_alerts.age_seconds IS 'seconds since raised';

-- Prometheus --------------------------------------------------------------------------------

CREATE FUNCTION _prom_label(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(replace(replace(v, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n')
$$;
COMMENT ON FUNCTION _prom_label(text) IS 'internal: escapes a Prometheus label value';

CREATE FUNCTION _prom_value(v float8) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v = 'Infinity'::float8 THEN '+Inf' WHEN v = '-Infinity'::float8 THEN '-Inf'
                WHEN v = 'NaN'::float8 THEN 'NaN' ELSE v::text END
$$;
COMMENT ON FUNCTION _prom_value(float8) IS 'internal: a sample value in the Prometheus text format';

CREATE FUNCTION prometheus_metrics() RETURNS text LANGUAGE sql STABLE AS $$
SELECT concat_ws(E'\n',
    '# HELP modelmgr_model_versions Number of registered versions of a model.',
    '# TYPE modelmgr_model_versions gauge',
    (SELECT string_agg(format('modelmgr_model_versions{model="%s"} %s', modelmgr._prom_label(c.name), c.n), E'\n' ORDER BY c.name)
     FROM (SELECT x.name, count(*) AS n FROM modelmgr.models x GROUP BY x.name) c),
    '# HELP modelmgr_model_deployed_version The deployed version of a model (absent when none is).',
    '# TYPE modelmgr_model_deployed_version gauge',
    (SELECT string_agg(format('modelmgr_model_deployed_version{model="%s"} %s', modelmgr._prom_label(o.name), o.deployed_version), E'\n' ORDER BY o.name)
     FROM modelmgr.model_overview o WHERE o.deployed_version IS NOT NULL),
    '# HELP modelmgr_evaluation_metric Metric of the latest evaluation of a model version.',
    '# TYPE modelmgr_evaluation_metric gauge',
    (SELECT string_agg(format('modelmgr_evaluation_metric{model="%s",version="%s",metric="%s"} %s',
                              modelmgr._prom_label(l.name), l.version, modelmgr._prom_label(l.metric), modelmgr._prom_value(l.value)),
                       E'\n' ORDER BY l.name, l.version, l.metric)
     FROM modelmgr.latest_evaluation_metrics l),
    '# HELP modelmgr_evaluation_rows Rows scored by the latest evaluation of a model version.',
    '# TYPE modelmgr_evaluation_rows gauge',
    (SELECT string_agg(format('modelmgr_evaluation_rows{model="%s",version="%s"} %s', modelmgr._prom_label(e.name), e.version, e.rows),
                       E'\n' ORDER BY e.name, e.version)
     FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM modelmgr.evaluations x ORDER BY x.name, x.version, x.id DESC) e),
    '# HELP modelmgr_evaluation_timestamp_seconds When the latest evaluation of a model version ran (Unix time).',
    '# TYPE modelmgr_evaluation_timestamp_seconds gauge',
    (SELECT string_agg(format('modelmgr_evaluation_timestamp_seconds{model="%s",version="%s"} %s', modelmgr._prom_label(e.name), e.version,
                              extract(epoch FROM e.evaluated_at)::float8),
                       E'\n' ORDER BY e.name, e.version)
     FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM modelmgr.evaluations x ORDER BY x.name, x.version, x.id DESC) e),
    '# HELP modelmgr_drift_psi Latest population stability index of a feature against the deployed version''s baseline.',
    '# TYPE modelmgr_drift_psi gauge',
    (SELECT string_agg(format('modelmgr_drift_psi{model="%s",version="%s",feature="%s"} %s', modelmgr._prom_label(d.name), d.version,
                              modelmgr._prom_label(d.feature), modelmgr._prom_value(d.psi)),
                       E'\n' ORDER BY d.name, d.feature)
     FROM modelmgr.latest_drift d WHERE d.psi IS NOT NULL),
    '# HELP modelmgr_alerts_open Number of open (unresolved) alerts of a model.',
    '# TYPE modelmgr_alerts_open gauge',
    (SELECT string_agg(format('modelmgr_alerts_open{model="%s"} %s', modelmgr._prom_label(n.name),
                              (SELECT count(*) FROM modelmgr.alerts a WHERE a.name = n.name AND a.resolved_at IS NULL)),
                       E'\n' ORDER BY n.name)
     FROM modelmgr.model_names n)
) || E'\n'
$$;
COMMENT ON FUNCTION prometheus_metrics() IS 'the registry and monitoring state in the Prometheus text exposition format (modelmgr_* gauges, labels model, version, metric, feature)';

-- Privileges --------------------------------------------------------------------------------

GRANT SELECT ON monitor_settings, evaluations, drift_history, alerts,
    evaluation_history, latest_evaluation_metrics, latest_drift, open_alerts TO modelmgr_reader;
GRANT INSERT, UPDATE, DELETE ON monitor_settings, evaluations, drift_history, alerts TO modelmgr_trainer;
-- Scale-out: training across shards. The shards run the *_partial aggregates next to their
-- data; the coordinator merges the states (see README, Scaling, and docs/scaling.md).

CREATE FUNCTION _sgd_reduce_eta(model bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sgd_reduce_eta' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _sgd_reduce_eta(bytea) IS
    'internal: the model with its adaptive learning rate divided by 5, or NULL once it is at most 1e-6 (scikit-learn''s adaptive rule)';

CREATE FUNCTION _sgd_publish(model bytea, training jsonb, features text[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sgd_publish' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _sgd_publish(bytea, jsonb, text[]) IS
    'internal: the published form of a trained SGD model: optimizer state dropped, training facts and feature names stored';

CREATE FUNCTION _shard_fn(fn regprocedure, what text, nargs int) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE p pg_catalog.pg_proc;
BEGIN
    SELECT * INTO p FROM pg_catalog.pg_proc WHERE oid = fn;
    IF p.pronargs <> nargs OR (nargs = 1 AND p.proargtypes[0] <> 'bytea'::regtype)
       OR p.prorettype <> 'bytea'::regtype OR NOT p.proretset THEN
        RAISE EXCEPTION '% % must return SETOF bytea and take %', what, fn,
                        CASE nargs WHEN 1 THEN 'one bytea argument (the current model)' ELSE 'no arguments' END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'See README, Scaling: on the coordinator it is usually a PL/Proxy function RUN ON ALL.';
    END IF;
    RETURN format('%I.%I', (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = p.pronamespace), p.proname);
END $$;
COMMENT ON FUNCTION _shard_fn(regprocedure, text, int) IS
    'internal: checks a shard function''s signature for train_sharded and returns its qualified name';

CREATE FUNCTION train_sharded(model_name text, epoch_fn regprocedure, describe_fn regprocedure DEFAULT NULL,
                              algorithm text DEFAULT 'logistic_regression', options jsonb DEFAULT '{}',
                              label text DEFAULT NULL, features text[] DEFAULT NULL, source text DEFAULT NULL)
RETURNS models LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    opts jsonb := coalesce(train_sharded.options, '{}');
    init_opts jsonb := '{}';
    k text;
    v jsonb;
    max_epochs int := 1000;
    tol float8 := 1e-3;
    n_iter_no_change int := 5;
    standardize boolean := true;
    do_deploy boolean := false;
    n_features int;
    epoch_call text;
    stats jsonb;
    model bytea;
    next bytea;
    shards bigint;
    info jsonb;
    loss float8;
    best_loss float8 := 'Infinity';
    no_improve int := 0;
    n_epoch int := 0;
    converged boolean := false;
    losses float8[] := '{}';
    n_rows float8;
    progress int := coalesce(nullif(current_setting('modelmgr.progress_every', true), ''), '1')::int;
    t0 timestamptz := clock_timestamp();
    facts jsonb;
BEGIN
    IF model_name IS NULL OR epoch_fn IS NULL OR algorithm IS NULL THEN
        RAISE EXCEPTION 'train_sharded: model_name, epoch_fn and algorithm must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(opts) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF algorithm NOT IN ('logistic_regression', 'multinomial_logistic_regression', 'linear_regression', 'svm') THEN
        RAISE EXCEPTION 'unknown algorithm "%"', algorithm USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use logistic_regression, linear_regression or svm; for exact least squares merge linreg_fit_partial states (README, Scaling).';
    END IF;

    -- the driver's options; the rest (learning_rate, eta0, power_t, batch_size, l1, l2,
    -- fit_intercept, classes, mean, scale) go to sgd_init, which checks them
    FOR k, v IN SELECT * FROM jsonb_each(opts) LOOP
        CASE k
        WHEN 'epochs', 'n_iter_no_change', 'n_features' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
               OR v::text::numeric < 1 OR v::text::numeric > 1000000 THEN
                RAISE EXCEPTION 'option "%" must be a positive integer', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            CASE k
            WHEN 'epochs' THEN max_epochs := v::text::int;
            WHEN 'n_iter_no_change' THEN n_iter_no_change := v::text::int;
            ELSE n_features := v::text::int;
            END CASE;
        WHEN 'tol' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::float8 < 0 THEN
                RAISE EXCEPTION 'option "tol" must be a number >= 0' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            tol := v::text::float8;
        WHEN 'standardize', 'auto_deploy' THEN
            IF jsonb_typeof(v) <> 'boolean' THEN
                RAISE EXCEPTION 'option "%" must be a boolean', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF k = 'standardize' THEN standardize := v::text::boolean; ELSE do_deploy := v::text::boolean; END IF;
        WHEN 'solver', 'shuffle', 'seed', 'early_stopping', 'validation_fraction', 'test_fraction',
             'class_weight', 'impute', 'mode' THEN
            RAISE EXCEPTION 'option "%" is not supported by train_sharded', k USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Each shard decides its rows, their order and their split in its epoch function.';
        ELSE
            init_opts := init_opts || jsonb_build_object(k, v);
        END CASE;
    END LOOP;

    epoch_call := format('SELECT modelmgr.sgd_epoch_merge(s), count(s) FROM %s($1) s',
                         modelmgr._shard_fn(epoch_fn, 'epoch_fn', 1));

    -- standardisation from the shards' describe_partial states, merged exactly
    IF describe_fn IS NOT NULL THEN
        EXECUTE format('SELECT modelmgr.describe_merge(s) FROM %s() s', modelmgr._shard_fn(describe_fn, 'describe_fn', 0))
            INTO stats;
        IF stats IS NULL THEN
            RAISE EXCEPTION 'describe_fn returned no rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        IF n_features IS NOT NULL AND n_features <> jsonb_array_length(stats->'features') THEN
            RAISE EXCEPTION 'option "n_features" is %, but the shards have % features', n_features,
                            jsonb_array_length(stats->'features') USING ERRCODE = 'invalid_parameter_value';
        END IF;
        n_features := jsonb_array_length(stats->'features');
        IF standardize AND NOT init_opts ? 'mean' THEN
            IF EXISTS (SELECT 1 FROM jsonb_array_elements(stats->'features') f WHERE jsonb_typeof(f->'mean') <> 'number') THEN
                RAISE EXCEPTION 'a feature has no values on any shard' USING ERRCODE = 'data_exception';
            END IF;
            init_opts := init_opts || jsonb_build_object(
                'mean', (SELECT jsonb_agg(f->'mean' ORDER BY i) FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)),
                'scale', (SELECT jsonb_agg(CASE WHEN (f->>'std')::float8 > 0 THEN f->'std' ELSE '1' END ORDER BY i)
                          FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)));
        END IF;
    ELSIF n_features IS NULL THEN
        RAISE EXCEPTION 'train_sharded needs describe_fn or the "n_features" option' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'describe_fn returns describe_partial(x) from every shard; it also gives the standardisation.';
    ELSIF standardize AND NOT init_opts ? 'mean' THEN
        RAISE EXCEPTION 'standardisation needs describe_fn' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass describe_fn, "mean" and "scale", or {"standardize": false}.';
    END IF;

    model := modelmgr.sgd_init(algorithm, n_features, init_opts);

    -- epochs: every shard runs one sgd_epoch pass from the same model; the states are merged
    -- (rows-weighted average); scikit-learn's stopping rule on the mean training loss
    WHILE n_epoch < max_epochs LOOP
        n_epoch := n_epoch + 1;
        EXECUTE epoch_call INTO next, shards USING model;
        IF next IS NULL THEN
            RAISE EXCEPTION 'epoch_fn returned no training rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        model := next;
        info := modelmgr.model_info(model)->'training';
        loss := (info->>'epoch_loss')::float8;
        n_rows := (info->>'epoch_rows')::float8;
        losses := losses || loss;
        IF progress > 0 AND n_epoch % progress = 0 THEN
            RAISE NOTICE 'train_sharded "%": epoch %, loss %, % shards, % s', model_name, n_epoch, round(loss::numeric, 6),
                shards, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 3);
        END IF;
        IF loss > best_loss - tol THEN
            no_improve := no_improve + 1;
        ELSE
            no_improve := 0;
        END IF;
        best_loss := least(best_loss, loss);
        IF no_improve >= n_iter_no_change THEN
            next := CASE WHEN init_opts->>'learning_rate' = 'adaptive' THEN modelmgr._sgd_reduce_eta(model) END;
            IF next IS NULL THEN
                converged := true;
                EXIT;
            END IF;
            model := next;
            no_improve := 0;
        END IF;
    END LOOP;
    IF NOT converged THEN
        RAISE NOTICE 'train_sharded "%": stopped after % epochs without converging', model_name, n_epoch
            USING HINT = 'Raise "epochs" or "tol", or check the learning rate.';
    END IF;

    facts := jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch, 'converged', converged,
                                'seconds', extract(epoch FROM clock_timestamp() - t0),
                                'rows', jsonb_build_object('train', n_rows), 'shards', shards,
                                'standardized', init_opts ? 'mean', 'features', n_features,
                                'epoch_loss', to_jsonb(losses));
    model := modelmgr._sgd_publish(model, jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch,
                                                             'converged', converged, 'n_rows', n_rows,
                                                             'standardized', init_opts ? 'mean'),
                                   train_sharded.features);
    RETURN modelmgr.register_model(model_name, model, source, label, train_sharded.features, opts, '{}', facts, do_deploy,
                                   jsonb_build_object('sharded', jsonb_build_object('epoch_fn', epoch_fn::text,
                                                                                    'describe_fn', describe_fn::text)));
END $$;
COMMENT ON FUNCTION train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text) IS
    'trains an SGD model on data spread over shards: epoch_fn(model bytea) returns one sgd_epoch_partial state per shard (e.g. a PL/Proxy function RUN ON ALL), describe_fn() their describe_partial states; registers the result (see README, Scaling)';

GRANT EXECUTE ON FUNCTION train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text) TO modelmgr_trainer;
