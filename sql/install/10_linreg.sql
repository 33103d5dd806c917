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
