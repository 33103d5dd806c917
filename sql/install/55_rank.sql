-- Rank and pairwise statistics: spearman (Spearman's rank correlation) and corr_matrix(x, options)
-- (NULL elements handled pairwise or listwise). Bytea states (src/core/mm_rank.h).

CREATE FUNCTION spearman_sfunc(state bytea, x float8, y float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_spearman_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION spearman_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_spearman_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION spearman_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'mm_spearman_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spearman_sfunc(bytea, float8, float8) IS 'spearman transition: keeps one (x, y) pair (counted against modelmgr.train_memory_budget as the state grows); rows with a NULL are skipped and counted';
COMMENT ON FUNCTION spearman_combine(bytea, bytea) IS 'spearman combine: appends the pairs of one state to another; validates the incoming state';
COMMENT ON FUNCTION spearman_final(bytea) IS 'spearman final: Spearman''s rho, the Pearson correlation of average ranks (ties share the mean rank); NULL under 2 pairs or for a constant variable';

CREATE AGGREGATE spearman(x float8, y float8) (
    SFUNC = spearman_sfunc, STYPE = bytea, FINALFUNC = spearman_final,
    COMBINEFUNC = spearman_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE spearman(float8, float8) IS 'Spearman''s rank correlation of x and y (average ranks for ties, as scipy.stats.spearmanr and R cor(method = "spearman")); rows with a NULL are left out; NULL under 2 rows or for a constant variable';

CREATE FUNCTION corr_matrix_sfunc(state bytea, x float8[], options jsonb)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_pairwise_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION corr_matrix_pairwise_final(state bytea)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mm_corr_matrix_opts_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION corr_matrix_sfunc(bytea, float8[], jsonb) IS 'corr_matrix(x, options) transition: adds one row to the per-pair co-moments; options are read on the first non-NULL row; NULL arrays are skipped';
COMMENT ON FUNCTION corr_matrix_pairwise_combine(bytea, bytea) IS 'corr_matrix(x, options) combine: merges two per-pair co-moment states (Chan et al.); validates the incoming state';
COMMENT ON FUNCTION corr_matrix_pairwise_final(bytea) IS 'corr_matrix(x, options) final: the Pearson correlation matrix (d x d float8[][]), each entry over the rows where both features are present; NULL where undefined';

CREATE AGGREGATE corr_matrix(x float8[], options jsonb) (
    SFUNC = corr_matrix_sfunc, STYPE = bytea, FINALFUNC = corr_matrix_pairwise_final,
    COMBINEFUNC = corr_matrix_pairwise_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE corr_matrix(float8[], jsonb) IS 'Pearson correlation matrix (d x d float8[][], d <= 1000) with options {"nulls": "error" (default: a NULL element is an ERROR) | "pairwise" (each pair over the rows where both are present, R cor(use = "pairwise.complete.obs")) | "complete" (rows with a NULL element left out)}; NULL entries where fewer than 2 rows or a constant variable; NULL over zero rows';
