/*
 * test_noblas.c: the core without OpenBLAS (built with MM_BLAS_LIBRARY pointing nowhere).
 * Folding co-moments falls back to plain loops with the same results; a least-squares solve
 * reports that the library could not be opened instead of failing in any other way.
 */
#include "mm_blas.h"
#include "mm_linreg.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	const uint32_t d = 3,
				cap = 16;
	const size_t p = d + 1;
	size_t		size = mm_ls_state_size(d, cap);
	uint8_t    *raw = calloc(1, size + 16),
			   *st = raw + 4;
	mm_ls_view	v;
	mm_err		err = {0};
	mm_model   *m = NULL;
	double		x[3],
				sum[4] = {0},
				rows[100][4],
				mean[4],
				worst = 0;
	uint64_t	r = 99;

	CHECK(mm_blas() == NULL, "the library at the bogus path does not open");
	CHECK(strstr(mm_blas_error(), "nonexistent") != NULL, "the error names the path");

	mm_ls_init(st, size, d, cap, 0.0, 0);
	mm_ls_map(st, &v);
	for (int i = 0; i < 100; i++)
	{
		for (uint32_t j = 0; j < d; j++)
		{
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			x[j] = 1000.0 + (double) (r >> 11) / 9007199254740992.0;
		}
		mm_ls_add(st, &v, x, x[0] - 2 * x[2]);
		memcpy(rows[i], x, sizeof(x));
		rows[i][3] = x[0] - 2 * x[2];
		for (size_t j = 0; j < p; j++)
			sum[j] += rows[i][j];
	}
	/* 96 rows folded in six blocks, 4 still buffered: compare the folded moments with two passes */
	for (size_t j = 0; j < p; j++)
	{
		double		s = 0;

		for (int i = 0; i < 96; i++)
			s += rows[i][j];
		mean[j] = s / 96;
	}
	for (size_t j = 0; j < p; j++)
	{
		CHECK_NEAR(v.mean[j], mean[j], 1e-9, "folded mean without BLAS");
		for (size_t i = 0; i <= j; i++)
		{
			double		c = 0;

			for (int k = 0; k < 96; k++)
				c += (rows[k][i] - mean[i]) * (rows[k][j] - mean[j]);
			if (fabs(v.com[i + j * p] - c) > worst)
				worst = fabs(v.com[i + j * p] - c);
		}
	}
	CHECK(worst < 1e-9, "folded co-moments without BLAS match two passes to 1e-9");
	CHECK_STATUS(mm_ls_solve(st, size, &unit_alloc, &m, &err), MM_ESYSTEM, &err, "a solve without BLAS fails cleanly");
	CHECK(strstr(err.msg, "BLAS library could not be opened") != NULL, "... saying the library could not be opened");
	free(raw);
	return unit_summary();
}
