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
