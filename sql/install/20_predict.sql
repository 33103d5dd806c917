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
