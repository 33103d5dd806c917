/*
 * test_drift.c: unit tests for mm_drift.c: quantile edges and fractions against numpy
 * (test/scripts/reference_drift.py), discrete and constant features, order independence,
 * PSI values, argument errors, and decoding of every truncation and single-byte corruption.
 */
#include "mm_drift.h"
#include "unit.h"

#include <stdint.h>

#define N 100
#define D 3

static double X[N * D];

static void
fill(void)
{
	for (int i = 0; i < N; i++)
	{
		X[i * D + 0] = fmod(i * 0.37, 5.0);
		X[i * D + 1] = (double) (i % 3);
		X[i * D + 2] = 2.5;
	}
}

static mm_baseline *
build_decode(const double *x, size_t n, uint32_t d, uint32_t nbins, uint8_t **buf, size_t *len)
{
	mm_err		err = {0};
	mm_baseline *b = NULL;

	CHECK_STATUS(mm_baseline_build(x, n, d, nbins, &unit_alloc, buf, len, &err), MM_OK, &err, "build");
	CHECK_STATUS(mm_baseline_decode(*buf, *len, &unit_alloc, &b, &err), MM_OK, &err, "decode");
	return b;
}

int
main(void)
{
	static const double e1[9] = {0.5290000000000006, 0.9179999999999999, 1.4570000000000003, 1.846,
		2.3950000000000005, 2.9440000000000004, 3.492999999999999, 4.042, 4.456000000000001};
	uint8_t    *buf;
	size_t		len;
	mm_baseline *b;
	mm_err		err = {0};

	fill();
	b = build_decode(X, N, D, 10, &buf, &len);
	CHECK_EQ(b->n_features, 3, "n_features");
	CHECK_EQ(b->n_rows, 100, "n_rows");
	CHECK_EQ(b->max_bins, 10, "max_bins");
	CHECK_EQ(b->f[0].nbins, 10, "continuous feature: 10 bins");
	for (int i = 0; i < 9; i++)
		CHECK_NEAR(b->f[0].edges[i], e1[i], 1e-12, "edge matches numpy.quantile");
	for (int i = 0; i < 10; i++)
		CHECK_NEAR(b->f[0].frac[i], 0.1, 1e-15, "fraction 0.1");
	CHECK_EQ(b->f[1].nbins, 4, "discrete 0/1/2 feature: deduplicated to 3 edges");
	CHECK_NEAR(b->f[1].edges[0], 0.0, 0, "edge 0");
	CHECK_NEAR(b->f[1].edges[2], 2.0, 0, "edge 2");
	CHECK_NEAR(b->f[1].frac[0], 0.34, 1e-15, "frac 0.34");
	CHECK_NEAR(b->f[1].frac[1], 0.33, 1e-15, "frac 0.33");
	CHECK_NEAR(b->f[1].frac[3], 0.0, 0, "frac above the max is 0");
	CHECK_EQ(b->f[2].nbins, 2, "constant feature: 2 bins");
	CHECK_NEAR(b->f[2].frac[0], 1.0, 0, "constant feature all in bin 0");
	CHECK_EQ(b->total_bins, 16, "total bins");

	/* bins: searchsorted side='left' */
	CHECK_EQ(mm_baseline_bin(&b->f[1], -1.0), 0, "below all edges");
	CHECK_EQ(mm_baseline_bin(&b->f[1], 0.0), 0, "on an edge: the lower bin");
	CHECK_EQ(mm_baseline_bin(&b->f[1], 0.5), 1, "between edges");
	CHECK_EQ(mm_baseline_bin(&b->f[1], 2.0), 2, "on the last edge");
	CHECK_EQ(mm_baseline_bin(&b->f[1], 7.0), 3, "above all edges");
	CHECK_EQ(mm_baseline_bin(&b->f[2], 1e300), 1, "constant feature, above");

	/* PSI */
	{
		uint64_t	counts[10] = {0};
		double		ps;

		for (int i = 0; i < N; i++)
			counts[mm_baseline_bin(&b->f[0], X[i * D] + 1.0)]++;
		ps = mm_psi_counts(&b->f[0], counts, N);
		CHECK_NEAR(ps, 1.6422266367245881, 1e-12, "psi of a +1 shift matches numpy");
		memset(counts, 0, sizeof(counts));
		for (int i = 0; i < N; i++)
			counts[mm_baseline_bin(&b->f[0], X[i * D])]++;
		CHECK_NEAR(mm_psi_counts(&b->f[0], counts, N), 0.0, 1e-15, "psi of the training data is 0");
	}
	{
		double		e[2] = {0.5, 0.5},
					a[2] = {0.0, 1.0};
		double		want = (1e-4 - 0.5) * log(1e-4 / 0.5) + 0.5 * log(2.0);

		CHECK_NEAR(mm_psi(e, a, 2), want, 1e-15, "psi floors empty bins at 1e-4");
		CHECK(mm_psi(a, e, 2) > 0, "psi positive");
		CHECK_NEAR(mm_psi(e, e, 2), 0.0, 0, "psi of identical fractions");
	}

	/* order independence: reversed rows give the same bytes */
	{
		double		R[N * D];
		uint8_t    *buf2;
		size_t		len2;

		for (int i = 0; i < N; i++)
			for (int j = 0; j < D; j++)
				R[(N - 1 - i) * D + j] = X[i * D + j];
		CHECK_STATUS(mm_baseline_build(R, N, D, 10, &unit_alloc, &buf2, &len2, &err), MM_OK, &err, "build reversed");
		CHECK(len2 == len && memcmp(buf, buf2, len) == 0, "same bytes for any row order");
	}

	/* one row, one bin */
	{
		uint8_t    *b1;
		size_t		l1;
		mm_baseline *o = build_decode(X, 1, D, 1, &b1, &l1);

		CHECK_EQ(o->f[0].nbins, 1, "nbins 1: one bin");
		CHECK_NEAR(o->f[0].frac[0], 1.0, 0, "one bin holds everything");
		CHECK_EQ(mm_baseline_bin(&o->f[0], 123.0), 0, "bin of a one-bin feature");
	}

	/* argument errors */
	{
		double		bad[3] = {1, NAN, 2};

		CHECK_STATUS(mm_baseline_build(X, 0, D, 10, &unit_alloc, &buf, &len, &err), MM_EDATA, &err, "zero rows");
		CHECK_STATUS(mm_baseline_build(X, N, 0, 10, &unit_alloc, &buf, &len, &err), MM_EINVAL, &err, "zero features");
		CHECK_STATUS(mm_baseline_build(X, N, D, 0, &unit_alloc, &buf, &len, &err), MM_EINVAL, &err, "zero bins");
		CHECK_STATUS(mm_baseline_build(X, N, D, MM_BASELINE_MAX_BINS + 1, &unit_alloc, &buf, &len, &err), MM_EINVAL, &err, "too many bins");
		CHECK_STATUS(mm_baseline_build(bad, 1, 3, 10, &unit_alloc, &buf, &len, &err), MM_EDATA, &err, "NaN value");
		unit_alloc_fail_after(2);
		CHECK_STATUS(mm_baseline_build(X, N, D, 10, &unit_alloc, &buf, &len, &err), MM_ENOMEM, &err, "allocation failure");
		unit_alloc_fail_after(-1);
	}

	/* decoding: every truncation fails, every single-byte change fails or decodes to something valid */
	{
		uint8_t    *good;
		size_t		glen;
		uint8_t    *copy;
		int			trunc_ok = 1,
					flip_ok = 1,
					flips_rejected = 0;

		fill();
		(void) build_decode(X, 20, D, 4, &good, &glen);
		copy = unit_alloc.alloc(unit_alloc.ctx, glen + 8);
		for (size_t l = 0; l < glen; l++)
		{
			mm_baseline *o;

			memcpy(copy + 1, good, l);	/* unaligned on purpose */
			if (mm_baseline_decode(copy + 1, l, &unit_alloc, &o, &err) != MM_ECORRUPT)
				trunc_ok = 0;
		}
		CHECK(trunc_ok, "every truncation is MM_ECORRUPT");
		for (size_t i = 0; i < glen; i++)
			for (int bit = 0; bit < 8; bit++)
			{
				mm_baseline *o = NULL;
				mm_status	st;

				memcpy(copy + 1, good, glen);
				copy[1 + i] ^= (uint8_t) (1u << bit);
				st = mm_baseline_decode(copy + 1, glen, &unit_alloc, &o, &err);
				if (st == MM_ECORRUPT)
					flips_rejected++;
				else if (st != MM_OK || o == NULL)
					flip_ok = 0;
				else
				{
					/* accepted: must still be a consistent baseline */
					for (uint32_t j = 0; j < o->n_features; j++)
						if (o->f[j].nbins < 1 || o->f[j].nbins > o->max_bins)
							flip_ok = 0;
				}
			}
		CHECK(flip_ok, "single-bit flips: MM_ECORRUPT or a consistent baseline");
		CHECK(flips_rejected > (int) glen, "most bit flips are rejected");
		memcpy(copy + 1, good, glen);
		copy[1 + glen] = 0;
		CHECK_STATUS(mm_baseline_decode(copy + 1, glen + 1, &unit_alloc, &b, &err), MM_ECORRUPT, &err, "trailing byte");
		CHECK_STATUS(mm_baseline_decode("MMDL", 4, &unit_alloc, &b, &err), MM_ECORRUPT, &err, "short header");
	}
	return unit_summary();
}
