-- train(): one call from a table, view or query to a registered model version.

CREATE FUNCTION _row_unit(x float8[], y float8, seed int8) RETURNS float8
AS 'MODULE_PATHNAME', 'mm_row_unit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _row_unit(float8[], float8, int8) IS 'internal: the stable hash of a training row in [0, 1), used by train() for splits and shuffling';

CREATE FUNCTION train(model_name text, source text, label text, features text[] DEFAULT NULL,
                      algorithm text DEFAULT 'auto', options jsonb DEFAULT '{}')
RETURNS models AS 'MODULE_PATHNAME', 'mm_train' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION train(text, text, text, text[], text, jsonb) IS
    'trains a model on a table, view or SELECT query and registers it as a new version of model_name (see README, Training)';
