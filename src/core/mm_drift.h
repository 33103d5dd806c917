/*
 * mm_drift.h: the drift baseline stored in a model (section MM_SEC_BASELINE) and the
 * population stability index (PSI) of new data against it.
 *
 * Baseline payload, little-endian, version 1:
 *   u32 magic "MMBL"   u16 version (1)   u16 reserved (0)
 *   u32 n_features     u32 max_bins (the nbins asked for)   u64 n_rows (rows summarised)
 *   per feature:  u32 nbins (1..max_bins), f64 edges[nbins - 1] (finite, strictly increasing),
 *                 f64 frac[nbins] (each in [0, 1], summing to 1 within 1e-9)
 * Bin i of a feature holds the values v with edges[i-1] < v <= edges[i] (bin 0 is everything up
 * to edges[0], the last bin everything above the last edge): numpy's searchsorted(side='left').
 * Edges are the sample's quantiles at k/max_bins (k = 1 .. max_bins-1, linear interpolation as
 * numpy.quantile), deduplicated, so a discrete feature gets fewer bins.
 */
#ifndef MM_DRIFT_H
#define MM_DRIFT_H

#include "mm_core.h"

#define MM_BASELINE_MAGIC	0x4C424D4Du	/* "MMBL" */
#define MM_BASELINE_VERSION 1
#define MM_BASELINE_HDRSZ	24
#define MM_BASELINE_DEFAULT_BINS 10
#define MM_BASELINE_MAX_BINS 1000
/* empty bins are floored at this fraction so the logarithm stays finite */
#define MM_PSI_FLOOR 1e-4

typedef struct mm_baseline_feature
{
	uint32_t	nbins;
	double	   *edges;			/* nbins - 1 */
	double	   *frac;			/* nbins */
} mm_baseline_feature;

typedef struct mm_baseline
{
	uint32_t	n_features;
	uint32_t	max_bins;
	uint64_t	n_rows;
	uint32_t	total_bins;		/* sum of nbins over the features */
	mm_baseline_feature *f;		/* n_features */
} mm_baseline;

/*
 * Summarises X (row-major, n rows of d finite values) into a baseline payload allocated from a:
 * per feature up to nbins quantile bins and the fraction of rows in each. n >= 1,
 * 1 <= d <= MM_MAX_FEATURES, 1 <= nbins <= MM_BASELINE_MAX_BINS (10 is the usual choice).
 * Deterministic: the same rows in any order give the same bytes.
 */
mm_status	mm_baseline_build(const double *X, size_t n, uint32_t d, uint32_t nbins,
							  const mm_alloc *a, uint8_t **out, size_t *outlen, mm_err *err);

/* Validates every field of a payload (MM_ECORRUPT when anything is off) and decodes it. */
mm_status	mm_baseline_decode(const void *p, size_t len, const mm_alloc *a, mm_baseline **out, mm_err *err);

/* The bin of value v (v must not be NaN). */
uint32_t	mm_baseline_bin(const mm_baseline_feature *f, double v);

/*
 * PSI = sum_i (a_i - e_i) ln(a_i / e_i) over nbins bins, e the baseline fractions, a the new
 * data's fractions; both floored at MM_PSI_FLOOR. Never negative.
 */
double		mm_psi(const double *expected, const double *actual, uint32_t nbins);

/* PSI of bin counts (total > 0) against a baseline feature. */
double		mm_psi_counts(const mm_baseline_feature *f, const uint64_t *counts, uint64_t total);

#endif
