/*
 * test_stats.c: unit tests for mm_stats.c: describe's moments, nulls and quartiles (the row
 * sample: exactness, its k-th key threshold, merge == one pass in any order), corr_matrix's
 * co-moments, combine == one pass, state validation (including every single-byte corruption of
 * small states), and the pinned split hash.
 */
#include "mm_stats.h"
#include "unit.h"

#include <stdint.h>

/* ---------- helpers ---------- */

static uint64_t rng_state = 88172645463325252ull;

/* Uniform in [0, 1), deterministic. */
static double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double) (rng_state >> 11) / 9007199254740992.0;
}

/* 4 bytes past an 8-byte boundary, as behind a varlena header. */
static uint8_t *
alloc_state(size_t size)
{
	uint8_t    *base = unit_alloc.alloc(unit_alloc.ctx, size + 8);

	return base + 4;
}

typedef struct ds
{
	uint8_t    *st;
	size_t		size;
	mm_ds_view	v;
} ds;

static ds
new_ds(uint32_t d, const uint8_t *names, size_t names_len)
{
	ds			s;
	uint32_t	cap = mm_ds_initial_capacity(d);

	s.size = mm_ds_state_size(d, names_len, cap);
	s.st = alloc_state(s.size);
	mm_ds_init(s.st, s.size, d, cap, names, names_len, 0);
	mm_ds_map(s.st, &s.v);
	return s;
}

/* Grows s (as the binding does) so that `incoming` more sample entries fit. */
static void
ds_reserve(ds *s, uint64_t incoming)
{
	uint32_t	cap = mm_ds_grow_capacity(&s->v, incoming);

	if (cap != 0)
	{
		size_t		size = mm_ds_state_size(s->v.d, s->v.names_len, cap);
		uint8_t    *st = alloc_state(size);

		mm_ds_resize(s->st, &s->v, st, size, cap, &s->v);
		s->st = st;
		s->size = size;
	}
}

static void
ds_add(ds *s, const double *vals, const uint8_t *present)
{
	ds_reserve(s, 1);
	mm_ds_add(s->st, &s->v, vals, present);
}

static mm_status
ds_combine(ds *a, const ds *b, mm_err *err)
{
	if (mm_ds_dims(b->st) == a->v.d)
		ds_reserve(a, mm_ds_entries(b->st));
	return mm_ds_combine(a->st, &a->v, b->st, b->size, err);
}

typedef struct cr
{
	uint8_t    *st;
	size_t		size;
	mm_cr_view	v;
} cr;

static cr
new_cr(uint32_t d)
{
	cr			s;
	uint32_t	cap = mm_cr_capacity(d);

	s.size = mm_cr_state_size(d, cap);
	s.st = alloc_state(s.size);
	mm_cr_init(s.st, s.size, d, cap);
	mm_cr_map(s.st, &s.v);
	return s;
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a,
				y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static int
dcmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* numpy's default ('linear') quantile of sorted values, with numpy 1.22+'s lerp. */
static double
lin_quantile(const double *s, size_t n, double q)
{
	double		h = q * (double) (n - 1),
				t;
	size_t		i = (size_t) h;

	if (i + 1 >= n)
		return s[n - 1];
	t = h - (double) i;
	return t >= 0.5 ? s[i + 1] - (s[i + 1] - s[i]) * (1 - t) : s[i] + (s[i + 1] - s[i]) * t;
}

/* Rank error of estimate e against sorted values: 0 when some rank of e in [lo, hi] hits q. */
static double
rank_error(const double *s, size_t n, double e, double q)
{
	size_t		lo = 0,
				hi;
	double		rlo,
				rhi;

	while (lo < n && s[lo] < e)
		lo++;
	hi = lo;
	while (hi < n && s[hi] <= e)
		hi++;
	rlo = (double) lo / (double) (n - 1);
	rhi = hi > 0 ? (double) (hi - 1) / (double) (n - 1) : 0;
	if (rlo > rhi)				/* e falls between two values */
	{
		double		t = rlo;

		rlo = rhi;
		rhi = t;
	}
	if (q >= rlo && q <= rhi)
		return 0;
	return q < rlo ? rlo - q : q - rhi;
}

static mm_ds_summary
summarise(const ds *s)
{
	mm_ds_summary sum = {0};
	mm_err		err = {0};

	CHECK_STATUS(mm_ds_summarise(s->st, s->size, &unit_alloc, &sum, &err), MM_OK, &err, "summarise");
	return sum;
}

/* ---------- describe ---------- */

#define N 20000
#define D 3

static double X[N * D];

static void
make_data(void)
{
	for (size_t i = 0; i < N; i++)
	{
		double		u = urand();

		X[i * D + 0] = 1e6 + u;				/* large offset, tiny spread */
		X[i * D + 1] = urand() * urand();	/* skewed */
		X[i * D + 2] = (double) (i % 11);	/* heavy ties */
	}
}

static void
test_describe_moments(void)
{
	ds			s = new_ds(D, NULL, 0);
	mm_ds_summary sum;
	double		col[N];

	for (size_t i = 0; i < N; i++)
		ds_add(&s, X + i * D, NULL);
	sum = summarise(&s);
	CHECK_EQ(sum.rows, N, "describe: rows");
	for (int j = 0; j < D; j++)
	{
		long double mean = 0,
					m2 = 0;
		char		name[64];

		for (size_t i = 0; i < N; i++)
			mean += X[i * D + j];
		mean /= N;
		for (size_t i = 0; i < N; i++)
			m2 += (X[i * D + j] - mean) * (X[i * D + j] - mean);
		for (size_t i = 0; i < N; i++)
			col[i] = X[i * D + j];
		qsort(col, N, sizeof(double), dcmp);
		snprintf(name, sizeof(name), "describe: feature %d mean (two-pass reference)", j + 1);
		CHECK_REL(sum.features[j].mean, (double) mean, 1e-14, name);
		snprintf(name, sizeof(name), "describe: feature %d std ddof=0", j + 1);
		CHECK_NEAR(sum.features[j].std / (double) sqrtl(m2 / N), 1.0, 1e-12, name);
		snprintf(name, sizeof(name), "describe: feature %d std ddof=1", j + 1);
		CHECK_NEAR(sum.features[j].std_sample / (double) sqrtl(m2 / (N - 1)), 1.0, 1e-12, name);
		snprintf(name, sizeof(name), "describe: feature %d min and max exact", j + 1);
		CHECK(sum.features[j].min == col[0] && sum.features[j].max == col[N - 1], name);
		snprintf(name, sizeof(name), "describe: feature %d quartiles within 1.5%% rank", j + 1);
		{
			double		e1 = rank_error(col, N, sum.features[j].p25, 0.25),
						e2 = rank_error(col, N, sum.features[j].p50, 0.50),
						e3 = rank_error(col, N, sum.features[j].p75, 0.75);

			if (!CHECK(e1 <= 0.015 && e2 <= 0.015 && e3 <= 0.015, name))
				NOTE("rank errors %g %g %g", e1, e2, e3);
		}
		snprintf(name, sizeof(name), "describe: feature %d counts", j + 1);
		CHECK(sum.features[j].count == N && sum.features[j].nulls == 0, name);
	}
}

static void
test_describe_combine(void)
{
	ds			one = new_ds(D, NULL, 0),
				parts[4];
	size_t		cut[5] = {0, 7, 5000, 5001, N};
	mm_ds_summary a,
				b;
	mm_err		err = {0};
	int			ok = 1;

	for (size_t i = 0; i < N; i++)
		ds_add(&one, X + i * D, NULL);
	for (int p = 0; p < 4; p++)
	{
		parts[p] = new_ds(D, NULL, 0);
		for (size_t i = cut[p]; i < cut[p + 1]; i++)
			ds_add(&parts[p], X + i * D, NULL);
	}
	for (int p = 1; p < 4; p++)
		CHECK_STATUS(ds_combine(&parts[0], &parts[p], &err), MM_OK, &err,
					 "describe: combine partial states");
	CHECK_STATUS(mm_ds_validate(parts[0].st, parts[0].size, &err), MM_OK, &err, "describe: combined state validates");
	a = summarise(&one);
	b = summarise(&parts[0]);
	CHECK_EQ(b.rows, N, "describe: combined rows");
	for (int j = 0; j < D; j++)
	{
		ok &= fabs(a.features[j].mean - b.features[j].mean) <= 1e-13 * fabs(a.features[j].mean);
		ok &= fabs(a.features[j].std - b.features[j].std) <= 1e-11 * a.features[j].std;
		ok &= a.features[j].min == b.features[j].min && a.features[j].max == b.features[j].max;
		ok &= a.features[j].count == b.features[j].count;
		ok &= a.features[j].p25 == b.features[j].p25 && a.features[j].p50 == b.features[j].p50 &&
			a.features[j].p75 == b.features[j].p75;
	}
	CHECK(ok, "describe: combine of four states equals one pass (quartiles identical)");
}

static void
test_describe_exact_and_nulls(void)
{
	ds			s = new_ds(2, NULL, 0),
				nul = new_ds(0, NULL, 0),
				other = new_ds(3, NULL, 0);
	double		vals[256],
				sorted[256];
	mm_ds_summary sum;
	mm_err		err = {0};
	uint8_t		present = 0x1;	/* second element NULL */
	int			ok = 1;

	for (int i = 0; i < 256; i++)
	{
		double		row[2];

		vals[i] = urand() * 100;
		row[0] = vals[i];
		row[1] = -vals[i];
		if (i % 4 == 0)
			ds_add(&s, row, &present);
		else
			ds_add(&s, row, NULL);
	}
	memcpy(sorted, vals, sizeof(vals));
	qsort(sorted, 256, sizeof(double), dcmp);
	mm_ds_add_null_rows(nul.st, &nul.v, 5);
	CHECK_STATUS(ds_combine(&s, &nul, &err), MM_OK, &err, "describe: combine a NULL-rows state");
	sum = summarise(&s);
	CHECK_EQ(sum.rows, 261, "describe: rows include NULL arrays");
	CHECK(sum.features[0].count == 256 && sum.features[0].nulls == 5, "describe: feature 1 counts");
	CHECK(sum.features[1].count == 192 && sum.features[1].nulls == 69, "describe: NULL elements counted per feature");
	ok &= sum.features[0].p25 == lin_quantile(sorted, 256, 0.25);
	ok &= sum.features[0].p50 == lin_quantile(sorted, 256, 0.50);
	ok &= sum.features[0].p75 == lin_quantile(sorted, 256, 0.75);
	if (!CHECK(ok, "describe: quartiles of 256 values are exact (numpy linear)"))
		NOTE("p50 %.17g vs %.17g", sum.features[0].p50, lin_quantile(sorted, 256, 0.5));
	CHECK_STATUS(ds_combine(&s, &other, &err), MM_EMISMATCH, &err,
				 "describe: combining 2 and 3 features is a mismatch");
}

/* Sample size, threshold and exactness of the row sample; any order and any merge give the same. */
static void
test_describe_sample(void)
{
	enum
	{
		M = 60000
	};
	static double col[M],
				rows[M * 2];
	static uint64_t keys[M];
	ds			one = new_ds(2, NULL, 0),
				rev = new_ds(2, NULL, 0),
				parts[3],
				ties = new_ds(1, NULL, 0),
				exact = new_ds(1, NULL, 0);
	mm_ds_summary a,
				b,
				c;
	mm_err		err = {0};
	uint64_t	kth,
				below = 0,
				sampled = 0;
	uint32_t	k = mm_ds_sample_k(2);
	int			ok = 1;

	CHECK(k == 16384 && mm_ds_sample_k(62) == 16384 && mm_ds_sample_k(63) == 8192 &&
		  mm_ds_sample_k(10000) == 256 && mm_ds_sample_k(0) == 0, "describe: sample size rule");
	CHECK(mm_ds_capacity_max(2) == 16384 + 8192, "describe: capacity is 1.5 k");
	for (size_t i = 0; i < M; i++)
	{
		rows[2 * i] = urand() * urand();
		rows[2 * i + 1] = (double) (i % 5) - 2;
		col[i] = rows[2 * i];
		keys[i] = mm_ds_row_key(rows + 2 * i, 2);
	}
	for (int p = 0; p < 3; p++)
		parts[p] = new_ds(2, NULL, 0);
	for (size_t i = 0; i < M; i++)
	{
		ds_add(&one, rows + 2 * i, NULL);
		ds_add(&rev, rows + 2 * (M - 1 - i), NULL);
		ds_add(&parts[(i * 7) % 3], rows + 2 * i, NULL);
	}
	CHECK(one.v.tau != MM_DS_NO_THRESHOLD && one.v.nent <= mm_ds_capacity_max(2) && one.v.nent >= k,
		  "describe: a large input gets a threshold and a bounded sample");
	/* the threshold is at or above the k-th smallest key of the data, and every row under it is sampled */
	qsort(keys, M, sizeof(uint64_t), u64cmp);
	kth = keys[k - 1];
	for (size_t i = 0; i < M; i++)
		below += keys[i] <= kth;
	for (uint32_t i = 0; i < one.v.nent; i++)
	{
		const double *e = one.v.ent + (size_t) i * 4;
		uint64_t	key,
					cnt;

		memcpy(&key, e, 8);
		memcpy(&cnt, e + 1, 8);
		ok &= key <= one.v.tau;
		if (key <= kth)
			sampled += cnt;
	}
	CHECK(ok && one.v.tau >= kth && sampled == below, "describe: every row up to the k-th key is in the sample");
	CHECK_STATUS(ds_combine(&parts[1], &parts[2], &err), MM_OK, &err, "describe: combine parts 2 and 3");
	CHECK_STATUS(ds_combine(&parts[1], &parts[0], &err), MM_OK, &err, "describe: combine part 1");
	CHECK_STATUS(mm_ds_validate(one.st, one.size, &err), MM_OK, &err, "describe: a sampled state validates");
	a = summarise(&one);
	b = summarise(&rev);
	c = summarise(&parts[1]);
	ok = 1;
	for (int j = 0; j < 2; j++)
	{
		ok &= a.features[j].p25 == b.features[j].p25 && a.features[j].p50 == b.features[j].p50 &&
			a.features[j].p75 == b.features[j].p75;
		ok &= a.features[j].p25 == c.features[j].p25 && a.features[j].p50 == c.features[j].p50 &&
			a.features[j].p75 == c.features[j].p75;
	}
	CHECK(ok, "describe: reversed order and merged parts give identical quartiles");
	qsort(col, M, sizeof(double), dcmp);
	{
		double		e1 = rank_error(col, M, a.features[0].p25, 0.25),
					e2 = rank_error(col, M, a.features[0].p50, 0.50),
					e3 = rank_error(col, M, a.features[0].p75, 0.75);

		if (!CHECK(e1 <= 0.015 && e2 <= 0.015 && e3 <= 0.015, "describe: sampled quartiles within 1.5% rank"))
			NOTE("rank errors %g %g %g", e1, e2, e3);
	}
	/* the second feature has 5 values, ties everywhere: -2 -1 0 1 2 in equal shares */
	CHECK(a.features[1].p25 == -1 && a.features[1].p50 == 0 && a.features[1].p75 == 1,
		  "describe: quartiles of a tied feature");
	/* few distinct rows, many copies: counted with their multiplicity, exact */
	for (size_t i = 0; i < M; i++)
	{
		double		x = (double) ((i * i) % 7);

		col[i] = x;
		ds_add(&ties, &x, NULL);
	}
	qsort(col, M, sizeof(double), dcmp);
	a = summarise(&ties);
	CHECK(ties.v.nent <= 7 + mm_ds_capacity_max(1) && a.features[0].p25 == lin_quantile(col, M, 0.25) &&
		  a.features[0].p50 == lin_quantile(col, M, 0.5) && a.features[0].p75 == lin_quantile(col, M, 0.75),
		  "describe: repeated rows are exact at any count");
	/* k distinct rows: exact */
	for (size_t i = 0; i < k; i++)
	{
		double		x = urand() * 1000 - 500;

		col[i] = x;
		ds_add(&exact, &x, NULL);
	}
	qsort(col, k, sizeof(double), dcmp);
	a = summarise(&exact);
	CHECK(a.features[0].p25 == lin_quantile(col, k, 0.25) && a.features[0].p50 == lin_quantile(col, k, 0.5) &&
		  a.features[0].p75 == lin_quantile(col, k, 0.75), "describe: quartiles of k distinct rows are exact");
}

static void
test_describe_names(void)
{
	const uint8_t names[] = {1, 0, 0, 0, 'a', 2, 0, 0, 0, 'b', 'c'};
	const uint8_t other[] = {1, 0, 0, 0, 'a', 2, 0, 0, 0, 'b', 'd'};
	const uint8_t bad[] = {1, 0, 0, 0, 'a', 9, 0, 0, 0, 'b', 'c'};
	ds			a = new_ds(2, names, sizeof(names)),
				b = new_ds(2, other, sizeof(other)),
				c = new_ds(2, NULL, 0);
	mm_ds_summary sum;
	mm_err		err = {0};
	double		row[2] = {1, 2};

	ds_add(&a, row, NULL);
	CHECK_STATUS(mm_ds_validate(a.st, a.size, &err), MM_OK, &err, "describe: named state validates");
	sum = summarise(&a);
	CHECK(sum.features[1].name_len == 2 && memcmp(sum.features[1].name, "bc", 2) == 0, "describe: names come back");
	CHECK_STATUS(ds_combine(&a, &b, &err), MM_EMISMATCH, &err, "describe: different names do not combine");
	CHECK_STATUS(ds_combine(&a, &c, &err), MM_EMISMATCH, &err, "describe: named and unnamed do not combine");
	memcpy(b.st + MM_DS_HDRSZ, bad, sizeof(bad));
	CHECK_STATUS(mm_ds_validate(b.st, b.size, &err), MM_ECORRUPT, &err, "describe: a name length past the end is corrupt");
}

/* Every single-byte change of a small state either validates or is reported; none crashes. */
static void
test_describe_corruption(void)
{
	ds			s = new_ds(2, NULL, 0);
	uint8_t    *copy;
	mm_err		err = {0};
	int			caught = 0,
				total = 0;
	double		row[2] = {1.5, -2};

	for (int i = 0; i < 300; i++)
	{
		row[0] = urand();
		ds_add(&s, row, NULL);
	}
	copy = alloc_state(s.size);
	for (size_t pos = 0; pos < s.size; pos += 1 + (pos >= 200) * 7)
	{
		mm_ds_summary sum;

		memcpy(copy, s.st, s.size);
		copy[pos] ^= 0x5a;
		total++;
		if (mm_ds_validate(copy, s.size, &err) != MM_OK)
			caught++;
		else
			(void) mm_ds_summarise(copy, s.size, &unit_alloc, &sum, &err);
	}
	NOTE("%d of %d corrupted describe states rejected (flipped value or scratch bytes that stay finite look like data)", caught, total);
	CHECK(caught > 0, "describe: corrupted states are rejected, the rest summarise without crashing");
	CHECK_STATUS(mm_ds_validate(s.st, 10, &err), MM_ECORRUPT, &err, "describe: truncated header");
	CHECK_STATUS(mm_ds_validate(s.st, s.size - 1, &err), MM_ECORRUPT, &err, "describe: one byte short");
	memcpy(copy, s.st, s.size);
	copy[0] = 'X';
	CHECK_STATUS(mm_ds_validate(copy, s.size, &err), MM_ECORRUPT, &err, "describe: bad magic");
	CHECK(!mm_ds_header_ok(copy, s.size), "describe: header check rejects a bad magic");
	CHECK(mm_ds_header_ok(s.st, s.size), "describe: header check accepts a good state");
	unit_alloc_fail_after(0);
	{
		mm_ds_summary sum;

		CHECK_STATUS(mm_ds_summarise(s.st, s.size, &unit_alloc, &sum, &err), MM_ENOMEM, &err, "describe: out of memory is reported");
	}
	unit_alloc_fail_after(-1);
}

/* ---------- corr_matrix ---------- */

static void
test_corr(void)
{
	cr			one = new_cr(4),
				a = new_cr(4),
				b = new_cr(4),
				c3 = new_cr(3);
	double	   *r1,
			   *r2;
	uint64_t	rows;
	mm_err		err = {0};
	long double mean[4] = {0},
				cov[4][4] = {{0}};
	double		maxdiff = 0;
	static double Y[N * 4];
	int			ok = 1;

	for (size_t i = 0; i < N; i++)
	{
		double		u = urand(),
					w = urand();

		Y[i * 4 + 0] = 1e5 + u;
		Y[i * 4 + 1] = 3 * u + w;
		Y[i * 4 + 2] = 7.0;		/* constant */
		Y[i * 4 + 3] = -2 * u + 1;	/* perfectly anti-correlated with feature 1 */
	}
	for (size_t i = 0; i < N; i++)
	{
		mm_cr_add(one.st, &one.v, Y + i * 4);
		if (i < 777)
			mm_cr_add(a.st, &a.v, Y + i * 4);
		else
			mm_cr_add(b.st, &b.v, Y + i * 4);
	}
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < 4; j++)
			mean[j] += Y[i * 4 + j];
	for (int j = 0; j < 4; j++)
		mean[j] /= N;
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < 4; j++)
			for (int k = 0; k < 4; k++)
				cov[j][k] += (Y[i * 4 + j] - mean[j]) * (Y[i * 4 + k] - mean[k]);
	CHECK_STATUS(mm_cr_matrix(one.st, one.size, &unit_alloc, &r1, &rows, &err), MM_OK, &err, "corr: matrix");
	CHECK_EQ(rows, N, "corr: rows");
	for (int j = 0; j < 4; j++)
		for (int k = 0; k < 4; k++)
		{
			if (j == 2 || k == 2)
				ok &= isnan(r1[j * 4 + k]);
			else
			{
				double		ref = (double) (cov[j][k] / sqrtl(cov[j][j] * cov[k][k]));

				if (fabs(r1[j * 4 + k] - ref) > maxdiff)
					maxdiff = fabs(r1[j * 4 + k] - ref);
			}
		}
	CHECK(ok, "corr: a constant feature's row and column are NaN");
	CHECK_NEAR(maxdiff, 0, 1e-12, "corr: matches a two-pass long double reference");
	CHECK(r1[0] == 1.0 && r1[3] >= -1.0 && r1[3] < -1 + 1e-9 && r1[3] == r1[12],
		  "corr: unit diagonal, -1 for an affine pair, symmetric");
	CHECK_STATUS(mm_cr_combine(a.st, &a.v, b.st, b.size, &err), MM_OK, &err, "corr: combine");
	CHECK_STATUS(mm_cr_matrix(a.st, a.size, &unit_alloc, &r2, &rows, &err), MM_OK, &err, "corr: combined matrix");
	maxdiff = 0;
	for (int i = 0; i < 16; i++)
		if (!isnan(r1[i]) && fabs(r1[i] - r2[i]) > maxdiff)
			maxdiff = fabs(r1[i] - r2[i]);
	CHECK_NEAR(maxdiff, 0, 1e-12, "corr: combine equals one pass");
	CHECK_STATUS(mm_cr_combine(a.st, &a.v, c3.st, c3.size, &err), MM_EMISMATCH, &err, "corr: 4 and 3 features do not combine");
	CHECK_STATUS(mm_cr_validate(a.st, a.size - 8, &err), MM_ECORRUPT, &err, "corr: short state");
	a.st[17] = 0x7f;
	CHECK_STATUS(mm_cr_validate(a.st, a.size, &err), MM_ECORRUPT, &err, "corr: buffer count over capacity");
	CHECK(!mm_cr_header_ok(a.st, a.size), "corr: header check rejects it too");
}

/* ---------- split hash ---------- */

static void
test_split(void)
{
	size_t		in = 0;
	char		key[32];

	/* pinned: the values test/scripts/reference_stats.py computes independently */
	CHECK(mm_split_unit("1", 1, 0) == 0.04402499460212761, "split: pinned unit value of '1', seed 0");
	CHECK(mm_split_unit("alice", 5, 0) == 0.8453021980044083, "split: pinned unit value of 'alice'");
	CHECK(mm_split_unit("", 0, 0) == 0.48368956501667804, "split: pinned unit value of ''");
	CHECK(mm_split_unit("1", 1, 42) == 0.8420394732322547, "split: pinned unit value of '1', seed 42");
	CHECK(mm_split_unit("1", 1, (uint64_t) (int64_t) -1) == 0.24704657638578453, "split: pinned unit value of '1', seed -1");
	for (int i = 1; i <= 100000; i++)
	{
		int			n = snprintf(key, sizeof(key), "%d", i);
		double		u = mm_split_unit(key, (size_t) n, 0);

		if (u < 0 || u >= 1)
		{
			CHECK(0, "split: unit value in [0, 1)");
			return;
		}
		in += u < 0.3;
	}
	CHECK_NEAR((double) in / 100000, 0.3, 0.005, "split: share of 100000 keys below 0.3");
}

int
main(void)
{
	make_data();
	test_describe_moments();
	test_describe_combine();
	test_describe_exact_and_nulls();
	test_describe_sample();
	test_describe_names();
	test_describe_corruption();
	test_corr();
	test_split();
	return unit_summary();
}
