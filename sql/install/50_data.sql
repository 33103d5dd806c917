-- Data management: describe and corr_matrix aggregates (plus _partial/_merge state export), split().

CREATE FUNCTION describe_sfunc(state bytea, x float8[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_sfunc(state bytea, x float8[], names text[])
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_sfunc(state bytea, x float8[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_sfunc(state bytea, x float8[], names text[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_describe_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION describe_final(state bytea)
RETURNS jsonb AS 'MODULE_PATHNAME', 'mm_describe_final' LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION describe_sfunc(bytea, float8[]) IS 'describe transition: adds one row (NULL elements and NULL arrays count as nulls)';
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], text[]) IS 'describe transition: adds one row; feature names are read on the first non-NULL row';
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], jsonb) IS 'describe transition: adds one row; the options ({"quantiles": "auto" | "exact"}) are read on the first non-NULL row';
COMMENT ON FUNCTION describe_sfunc(bytea, float8[], text[], jsonb) IS 'describe transition: adds one row; names and options are read on the first non-NULL row';
COMMENT ON FUNCTION describe_combine(bytea, bytea) IS 'describe combine: merges two partial describe states (Chan et al. for the moments; distinct-value tables and quantile sketches merged level by level)';
COMMENT ON FUNCTION describe_final(bytea) IS 'describe final: per-feature summary as jsonb';

CREATE AGGREGATE describe(x float8[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe(x float8[], names text[]) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe(x float8[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe(x float8[], names text[], options jsonb) (
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
CREATE AGGREGATE describe_partial(x float8[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_partial(x float8[], names text[], options jsonb) (
    SFUNC = describe_sfunc, STYPE = bytea, SSPACE = 1048576, FINALFUNC = _seal_state,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
CREATE AGGREGATE describe_merge(state bytea) (
    SFUNC = describe_combine, STYPE = bytea, SSPACE = 1048576, FINALFUNC = describe_final,
    COMBINEFUNC = describe_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE describe(float8[]) IS 'per-feature count, nulls, mean, std (ddof=0), std_sample (ddof=1), min, max and p25/p50/p75 (exact type 7 up to 16384 distinct values, else from a quantile sketch with the rank error bound it reports) as jsonb; NULL over zero rows';
COMMENT ON AGGREGATE describe(float8[], jsonb) IS 'describe with options: {"quantiles": "exact"} keeps and sorts every value (exact type 7 quartiles; memory counted against modelmgr.train_memory_budget), "auto" is the default';
COMMENT ON AGGREGATE describe(float8[], text[], jsonb) IS 'describe with feature names and options';
COMMENT ON AGGREGATE describe(float8[], text[]) IS 'describe with feature names (read on the first non-NULL row) added to each feature';
COMMENT ON AGGREGATE describe_partial(float8[]) IS 'describe''s partial state as bytea, to merge later with describe_merge (e.g. one per node or partition)';
COMMENT ON AGGREGATE describe_partial(float8[], text[]) IS 'describe''s partial state (with feature names) as bytea, to merge later with describe_merge';
COMMENT ON AGGREGATE describe_partial(float8[], jsonb) IS 'describe''s partial state with options (every partial state of one merge needs the same "quantiles" option)';
COMMENT ON AGGREGATE describe_partial(float8[], text[], jsonb) IS 'describe''s partial state with feature names and options';
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
