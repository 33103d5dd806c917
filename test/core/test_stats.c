/*
 * test_stats.c: unit tests for mm_stats.c: describe's moments, nulls and quartiles (exact type 7
 * up to the distinct-value limit and with the exact option; the sketch's rank error at 1M rows of
 * lognormal, bimodal and tie-heavy data, serial and merged in two orders), corr_matrix's
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
new_ds_flags(uint32_t d, const uint8_t *names, size_t names_len, uint32_t flags)
{
	ds			s;
	mm_ds_caps	c;

	mm_ds_initial_caps(d, flags, &c);
	s.size = mm_ds_state_size(d, names_len, &c);
	s.st = alloc_state(s.size);
	mm_ds_init(s.st, s.size, d, &c, names, names_len, 0, flags);
	mm_ds_map(s.st, &s.v);
	return s;
}

static ds
new_ds(uint32_t d, const uint8_t *names, size_t names_len)
{
	return new_ds_flags(d, names, names_len, 0);
}

/* Grows s (as the binding does) before one more row (src NULL) or before combining src. */
static void
ds_reserve(ds *s, const uint8_t *src)
{
	mm_ds_caps	c;

	if (mm_ds_need(&s->v, src, &c))
	{
		size_t		size = mm_ds_state_size(s->v.d, s->v.names_len, &c);
		uint8_t    *st = alloc_state(size);

		mm_ds_resize(s->st, &s->v, st, size, &c, &s->v);
		s->st = st;
		s->size = size;
	}
}

static void
ds_add(ds *s, const double *vals, const uint8_t *present)
{
	ds_reserve(s, NULL);
	mm_ds_add(s->st, &s->v, vals, present);
}

static mm_status
ds_combine(ds *a, const ds *b, mm_err *err)
{
	if (mm_ds_dims(b->st) == a->v.d && a->v.d > 0)
		ds_reserve(a, b->st);
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
		/* exact quartiles are identical; sketch quartiles are checked against their bound elsewhere */
		ok &= a.features[j].exact == b.features[j].exact;
		if (a.features[j].exact)
			ok &= a.features[j].p25 == b.features[j].p25 && a.features[j].p50 == b.features[j].p50 &&
				a.features[j].p75 == b.features[j].p75;
	}
	CHECK(ok && !a.features[0].exact && a.features[2].exact,
		  "describe: combine of four states equals one pass (exact quartiles identical)");
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

/* Standard normal, deterministic (Box-Muller on urand). */
static double
nrand(void)
{
	double		u = urand(),
				v = urand();

	return sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v);
}

/*
 * Rank error of v against sorted s[0..n): 0 when q lies in [F_n(v-), F_n(v)], else the
 * distance to that interval (ties handled as the interval).
 */
static double
cdf_error(const double *s, size_t n, double v, double q)
{
	size_t		lo = 0,
				hi = n,
				lt,
				le;
	double		flo,
				fhi;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (s[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	lt = lo;
	hi = n;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (s[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	le = lo;
	flo = (double) lt / (double) n;
	fhi = (double) le / (double) n;
	if (q >= flo && q <= fhi)
		return 0;
	return q < flo ? flo - q : q - fhi;
}

#define SK_N 1000000
#define SK_D 3
#define SK_EPS 0.005

static double SK[(size_t) SK_N * SK_D];
static double SKCOL[SK_N];

/* 1M rows: lognormal, bimodal (two normals, 30/70), tie-heavy (60% on 5 values, the rest exponential). */
static void
make_sketch_data(void)
{
	for (size_t i = 0; i < SK_N; i++)
	{
		double		u = urand();

		SK[i * SK_D + 0] = exp(1.5 * nrand());
		SK[i * SK_D + 1] = u < 0.3 ? -4 + 0.5 * nrand() : 3 + 2 * nrand();
		u = urand();
		SK[i * SK_D + 2] = u < 0.6 ? (double) (int) (u * 8.3) : -log(1 - urand()) * 10;
	}
}

/* Checks the sketch quartiles of sum against the data: rank error <= 0.005 and <= the reported bound. */
static void
check_sketch(const mm_ds_summary *sum, const char *what)
{
	for (int j = 0; j < SK_D; j++)
	{
		const mm_ds_feature *f = &sum->features[j];
		double		qs[3] = {0.25, 0.5, 0.75},
					ps[3] = {f->p25, f->p50, f->p75},
					worst = 0;
		char		name[160];

		for (size_t i = 0; i < SK_N; i++)
			SKCOL[i] = SK[i * SK_D + j];
		qsort(SKCOL, SK_N, sizeof(double), dcmp);
		for (int k = 0; k < 3; k++)
		{
			double		e = cdf_error(SKCOL, SK_N, ps[k], qs[k]);

			if (e > worst)
				worst = e;
		}
		snprintf(name, sizeof(name), "describe sketch (%s): feature %d quartiles within rank error 0.005 and the reported bound",
				 what, j + 1);
		if (!CHECK(!f->exact && f->count == SK_N && worst <= SK_EPS && worst <= f->rank_error + 1e-12 &&
				   f->rank_error <= SK_EPS, name))
			NOTE("worst rank error %.6g, reported bound %.6g, exact %d", worst, f->rank_error, f->exact);
		else
			NOTE("%s feature %d: worst rank error %.6f, reported bound %.6f", what, j + 1, worst, f->rank_error);
	}
}

/* The sketch at 1M rows of three distributions: serial, merged from partial states in two orders. */
static void
test_describe_sketch(void)
{
	ds			one = new_ds(SK_D, NULL, 0),
				again = new_ds(SK_D, NULL, 0),
				p[5],
				q[5];
	size_t		cut[6] = {0, 1, 123457, 400000, 400017, SK_N};
	mm_ds_summary a,
				b,
				c,
				r;
	mm_err		err = {0};
	int			same = 1;

	make_sketch_data();
	for (size_t i = 0; i < SK_N; i++)
	{
		ds_add(&one, SK + i * SK_D, NULL);
		ds_add(&again, SK + i * SK_D, NULL);
	}
	CHECK_STATUS(mm_ds_validate(one.st, one.size, &err), MM_OK, &err, "describe sketch: the 1M-row state validates");
	NOTE("1M rows x 3: state of %zu bytes", one.size);
	a = summarise(&one);
	r = summarise(&again);
	for (int j = 0; j < SK_D; j++)
		same &= a.features[j].p25 == r.features[j].p25 && a.features[j].p50 == r.features[j].p50 &&
			a.features[j].p75 == r.features[j].p75;
	CHECK(same, "describe sketch: the same input in the same order gives the same quartiles");
	check_sketch(&a, "serial");
	for (int k = 0; k < 5; k++)
	{
		p[k] = new_ds(SK_D, NULL, 0);
		q[k] = new_ds(SK_D, NULL, 0);
		for (size_t i = cut[k]; i < cut[k + 1]; i++)
		{
			ds_add(&p[k], SK + i * SK_D, NULL);
			ds_add(&q[k], SK + i * SK_D, NULL);
		}
	}
	/* left to right */
	for (int k = 1; k < 5; k++)
		CHECK_STATUS(ds_combine(&p[0], &p[k], &err), MM_OK, &err, "describe sketch: combine in order");
	CHECK_STATUS(mm_ds_validate(p[0].st, p[0].size, &err), MM_OK, &err, "describe sketch: merged state validates");
	b = summarise(&p[0]);
	check_sketch(&b, "merged 0+1+2+3+4");
	/* a tree in another order: (4 + 3) + (2 + (1 + 0)) */
	CHECK_STATUS(ds_combine(&q[4], &q[3], &err), MM_OK, &err, "describe sketch: combine 4+3");
	CHECK_STATUS(ds_combine(&q[1], &q[0], &err), MM_OK, &err, "describe sketch: combine 1+0");
	CHECK_STATUS(ds_combine(&q[2], &q[1], &err), MM_OK, &err, "describe sketch: combine 2+(1+0)");
	CHECK_STATUS(ds_combine(&q[4], &q[2], &err), MM_OK, &err, "describe sketch: combine the two halves");
	CHECK_STATUS(mm_ds_validate(q[4].st, q[4].size, &err), MM_OK, &err, "describe sketch: tree-merged state validates");
	c = summarise(&q[4]);
	check_sketch(&c, "merged (4+3)+(2+(1+0))");
	CHECK(b.features[0].count == SK_N && c.features[2].count == SK_N && c.rows == SK_N, "describe sketch: merged counts");
}

/* Exact type 7 quartiles up to the distinct-value limit (and past it with the exact option). */
static void
test_describe_exact_limit(void)
{
	enum
	{
		M = 200000
	};
	uint32_t	lim = mm_ds_exact_limit(2);
	ds			s = new_ds(2, NULL, 0),
				e = new_ds_flags(1, NULL, 0, MM_DS_FLAG_EXACT),
				e2 = new_ds_flags(1, NULL, 0, MM_DS_FLAG_EXACT),
				plain = new_ds(1, NULL, 0);
	static double c0[M],
				c1[M],
				c2[M];
	mm_ds_summary sum;
	mm_err		err = {0};
	int			ok = 1;

	CHECK(lim == MM_DS_EXACT_MAX && lim == 16384 && mm_ds_exact_limit(64) == 16384 && mm_ds_level_k(64) == 4096 &&
		  mm_ds_level_k(65) == 2048 && mm_ds_level_k(10000) == MM_DS_MIN_K, "describe: exact limit and level capacity rules");
	for (size_t i = 0; i < M; i++)
	{
		double		row[2];

		/* exactly lim distinct values in feature 1, lim + 1 in feature 2, in a scrambled order */
		row[0] = (double) ((i * 7919) % lim) * 0.37 - 1000;
		row[1] = (double) ((i * 7919) % (lim + 1)) * 1.5;
		c0[i] = row[0];
		c1[i] = row[1];
		ds_add(&s, row, NULL);
	}
	sum = summarise(&s);
	qsort(c0, M, sizeof(double), dcmp);
	qsort(c1, M, sizeof(double), dcmp);
	ok &= sum.features[0].exact && sum.features[0].rank_error == 0;
	ok &= sum.features[0].p25 == lin_quantile(c0, M, 0.25) && sum.features[0].p50 == lin_quantile(c0, M, 0.5) &&
		sum.features[0].p75 == lin_quantile(c0, M, 0.75);
	if (!CHECK(ok, "describe: 16384 distinct values over 200000 rows: exact type 7 quartiles"))
		NOTE("p25 %.17g vs %.17g, exact %d", sum.features[0].p25, lin_quantile(c0, M, 0.25), sum.features[0].exact);
	CHECK(!sum.features[1].exact && cdf_error(c1, M, sum.features[1].p50, 0.5) <= sum.features[1].rank_error + 1e-12,
		  "describe: 16385 distinct values: the sketch, within its bound");
	/* the exact option: every value, sorted at the end; also merged */
	for (size_t i = 0; i < M; i++)
	{
		double		x = exp(2 * nrand());

		c2[i] = x;
		ds_add(i < M / 3 ? &e : &e2, &x, NULL);
		ds_add(&plain, &x, NULL);
	}
	CHECK_STATUS(ds_combine(&e, &e2, &err), MM_OK, &err, "describe exact: combine");
	CHECK_STATUS(mm_ds_validate(e.st, e.size, &err), MM_OK, &err, "describe exact: the state validates");
	CHECK_STATUS(ds_combine(&e, &plain, &err), MM_EMISMATCH, &err, "describe exact: an exact and a sketch state do not combine");
	sum = summarise(&e);
	qsort(c2, M, sizeof(double), dcmp);
	CHECK(sum.features[0].exact && sum.features[0].p25 == lin_quantile(c2, M, 0.25) &&
		  sum.features[0].p50 == lin_quantile(c2, M, 0.5) && sum.features[0].p75 == lin_quantile(c2, M, 0.75),
		  "describe exact: 200000 distinct values give numpy's linear quartiles exactly");
	sum = summarise(&plain);
	CHECK(!sum.features[0].exact, "describe: the same data without the option uses the sketch");
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
	for (size_t pos = 0; pos < s.size; pos += 1 + (pos >= 400) * 61)
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
	test_describe_sketch();
	test_describe_exact_limit();
	test_describe_names();
	test_describe_corruption();
	test_corr();
	test_split();
	return unit_summary();
}
