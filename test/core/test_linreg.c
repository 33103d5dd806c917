/*
 * test_linreg.c: unit tests for the least-squares aggregate state (mm_linreg.c).
 *
 * Exact solutions of noiseless systems, ridge against closed forms, combine == one pass,
 * rank deficiency, state validation, and features on wildly different scales.
 */
#include "mm_blas.h"
#include "mm_linreg.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>

/* ---------- helpers ---------- */

static uint64_t rng_state = 88172645463325252ull;

/* Uniform in [-1, 1), deterministic. */
static double
urand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double) (rng_state >> 11) / 4503599627370496.0 - 1.0;
}

typedef struct state
{
	uint8_t    *st;				/* 4 bytes past an 8-byte boundary, as behind a varlena header */
	size_t		size;
	mm_ls_view	v;
} state;

static state
new_state(uint32_t d, uint32_t cap, double l2, uint32_t flags)
{
	state		s;
	uint8_t    *base;

	s.size = mm_ls_state_size(d, cap);
	base = unit_alloc.alloc(unit_alloc.ctx, s.size + 8);
	s.st = base + 4;
	mm_ls_init(s.st, s.size, d, cap, l2, flags);
	mm_ls_map(s.st, &s.v);
	return s;
}

static void
add_rows(state *s, const double *X, const double *y, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		mm_ls_add(s->st, &s->v, X + i * s->v.d, y[i]);
}

/* Solves; returns the model or NULL with *stp set. */
static mm_model *
solve(const state *s, mm_status *stp, mm_err *err)
{
	mm_model   *m = NULL;

	*err = (mm_err) {0};
	*stp = mm_ls_solve(s->st, s->size, &unit_alloc, &m, err);
	return *stp == MM_OK ? m : NULL;
}

static int
coef_close(const mm_model *m, const double *want, size_t p, double rtol, double *worst)
{
	double		w = 0;

	for (size_t j = 0; j < p; j++)
	{
		double		scale = fabs(want[j]) > 1 ? fabs(want[j]) : 1;
		double		e = fabs(m->coef[j] - want[j]) / scale;

		if (!(e <= w))
			w = isnan(e) ? INFINITY : e;
	}
	if (worst)
		*worst = w;
	return w <= rtol;
}

static double
meta_number(const mm_model *m, const char *key)
{
	const char *p = m->meta ? strstr(m->meta, key) : NULL;

	if (!p)
		return NAN;
	p = strchr(p, ':');
	return p ? strtod(p + 1, NULL) : NAN;
}

/* ---------- tests ---------- */

static void
test_sizes(void)
{
	CHECK_EQ(mm_ls_state_size(0, 8), 0, "state size: d = 0 refused");
	CHECK_EQ(mm_ls_state_size(10001, 8), 0, "state size: d over the limit refused");
	CHECK_EQ(mm_ls_state_size(3, 0), 0, "state size: capacity 0 refused");
	CHECK_EQ(mm_ls_state_size(3, 4097), 0, "state size: capacity over the limit refused");
	CHECK_EQ(mm_ls_state_size(2, 5), MM_LS_HDRSZ + 8 * (2 * 3 + 9 + 5 * 3), "state size formula");
	CHECK(mm_ls_capacity(1) >= 8 && mm_ls_capacity(1) <= 256, "capacity in range for d = 1");
	CHECK(mm_ls_capacity(10000) >= 8 && mm_ls_capacity(10000) <= 256, "capacity in range for d = 10000");
	CHECK(mm_ls_state_size(10000, mm_ls_capacity(10000)) > 0, "largest state has a size");
}

static void
test_noiseless(void)
{
	enum
	{
		N = 50, D = 3
	};
	static double X[N * D],
				y[N];
	const double truth[D + 1] = {1.5, 2.0, -3.0, 0.5};
	uint32_t	caps[] = {1, 7, 8, 49, 50, 51, 256};
	mm_err		err;
	mm_status	st;

	for (int i = 0; i < N; i++)
	{
		y[i] = truth[0];
		for (int j = 0; j < D; j++)
		{
			X[i * D + j] = urand() * (j + 1);
			y[i] += truth[j + 1] * X[i * D + j];
		}
	}
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
	{
		state		s = new_state(D, caps[c], 0.0, 0);
		uint8_t    *before = unit_alloc.alloc(unit_alloc.ctx, s.size);
		mm_model   *m;
		double		worst;
		char		name[160];

		add_rows(&s, X, y, 0, N);
		snprintf(name, sizeof(name), "noiseless cap %u: %u rows counted", caps[c], N);
		CHECK_EQ(mm_ls_rows(s.st), N, name);
		snprintf(name, sizeof(name), "noiseless cap %u: state validates", caps[c]);
		CHECK_STATUS(mm_ls_validate(s.st, s.size, &err), MM_OK, &err, name);
		memcpy(before, s.st, s.size);
		m = solve(&s, &st, &err);
		snprintf(name, sizeof(name), "noiseless cap %u: solves", caps[c]);
		CHECK_STATUS(st, MM_OK, &err, name);
		if (!m)
			continue;
		snprintf(name, sizeof(name), "noiseless cap %u: exact coefficients to 1e-12", caps[c]);
		if (!CHECK(coef_close(m, truth, D + 1, 1e-12, &worst), name))
			NOTE("worst relative error %.3g", worst);
		snprintf(name, sizeof(name), "noiseless cap %u: solve leaves the state unchanged", caps[c]);
		CHECK(memcmp(before, s.st, s.size) == 0, name);
		snprintf(name, sizeof(name), "noiseless cap %u: model shape", caps[c]);
		CHECK(m->algorithm == MM_ALG_LINREG && m->n_features == D && m->n_outputs == 1 && m->n_classes == 0, name);
		snprintf(name, sizeof(name), "noiseless cap %u: train r2 = 1", caps[c]);
		CHECK_NEAR(meta_number(m, "\"train_r2\""), 1.0, 1e-12, name);
		snprintf(name, sizeof(name), "noiseless cap %u: train mse = 0", caps[c]);
		CHECK_NEAR(meta_number(m, "\"train_mse\""), 0.0, 1e-12, name);
		snprintf(name, sizeof(name), "noiseless cap %u: meta n_rows", caps[c]);
		CHECK_NEAR(meta_number(m, "\"n_rows\""), N, 0, name);
		{
			double		out;

			mm_model_scores(m, X + 7 * D, &out);
			snprintf(name, sizeof(name), "noiseless cap %u: model predicts a training row", caps[c]);
			CHECK_NEAR(out, y[7], 1e-12, name);
		}
	}

	/* the solver reads states at any alignment */
	{
		state		s = new_state(D, 8, 0.0, 0);
		uint8_t    *odd = unit_alloc.alloc(unit_alloc.ctx, s.size + 3);
		mm_model   *m = NULL;

		add_rows(&s, X, y, 0, N);
		memcpy(odd + 3, s.st, s.size);
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_validate(odd + 3, s.size, &err), MM_OK, &err, "unaligned state validates");
		CHECK_STATUS(mm_ls_solve(odd + 3, s.size, &unit_alloc, &m, &err), MM_OK, &err, "unaligned state solves");
		CHECK(m && coef_close(m, truth, D + 1, 1e-12, NULL), "unaligned state: exact coefficients");
	}

	/* without intercept: y = 2 x1 - x2 exactly */
	{
		const double t0[] = {0.0, 2.0, -1.0, 0.0};
		state		s = new_state(D, 8, 0.0, MM_LS_NO_INTERCEPT);
		mm_model   *m;

		for (int i = 0; i < N; i++)
			y[i] = 2 * X[i * D] - X[i * D + 1];
		add_rows(&s, X, y, 0, N);
		m = solve(&s, &st, &err);
		CHECK_STATUS(st, MM_OK, &err, "no intercept: solves");
		CHECK(m && coef_close(m, t0, D + 1, 1e-12, NULL), "no intercept: exact coefficients, intercept 0");
		CHECK(m && m->coef[0] == 0.0, "no intercept: intercept exactly 0");
		CHECK(m && strstr(m->meta, "\"fit_intercept\": false") != NULL, "no intercept: meta says so");
	}
}

static void
test_ridge(void)
{
	/* x = 1..4, y = 2, 3, 5, 7: xbar 2.5, ybar 4.25, Sxx 5, Sxy 8.5 */
	const double X[] = {1, 2, 3, 4};
	const double y[] = {2, 3, 5, 7};
	mm_err		err;
	mm_status	st;
	mm_model   *m;
	state		s;

	s = new_state(1, 8, 0.0, 0);
	add_rows(&s, X, y, 0, 4);
	m = solve(&s, &st, &err);
	CHECK(m && fabs(m->coef[1] - 1.7) < 1e-14 && fabs(m->coef[0]) < 1e-14, "ols d=1: w = Sxy/Sxx = 1.7, b = 0");

	/* l2 = 0.25 and n = 4: n*l2 = 1, w = 8.5 / 6, b = ybar - w xbar (intercept not penalised) */
	s = new_state(1, 8, 0.25, 0);
	add_rows(&s, X, y, 0, 4);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "ridge d=1 solves");
	if (m)
	{
		CHECK_NEAR(m->coef[1], 8.5 / 6, 1e-14, "ridge d=1 weight = Sxy / (Sxx + n l2)");
		CHECK_NEAR(m->coef[0], 4.25 - 2.5 * 8.5 / 6, 1e-14, "ridge d=1 intercept = ybar - w xbar");
		CHECK_NEAR(meta_number(m, "\"l2\""), 0.25, 0, "ridge meta l2");
	}

	/* no intercept: w = Sum xy / (Sum x^2 + n l2) = 51 / (30 + 1) */
	s = new_state(1, 2, 0.25, MM_LS_NO_INTERCEPT);
	add_rows(&s, X, y, 0, 4);
	m = solve(&s, &st, &err);
	CHECK(m && fabs(m->coef[1] - 51.0 / 31.0) < 1e-14 && m->coef[0] == 0.0, "ridge without intercept: w = 51/31");

	/*
	 * d = 2, closed form by Cramer's rule on the centred system (Sxx + n l2 I) w = Sxy.
	 * Rows chosen by hand.
	 */
	{
		const double X2[] = {1, 0, 2, 1, 0, 3, 4, 1, 3, 2, 1, 1};
		const double y2[] = {1, 4, 2, 5, 6, 0};
		const int	n = 6;
		const double l2 = 0.5;
		double		xm[2] = {0},
					ym = 0,
					S11 = 0,
					S12 = 0,
					S22 = 0,
					S1y = 0,
					S2y = 0,
					a11,
					a22,
					det,
					w1,
					w2;

		for (int i = 0; i < n; i++)
		{
			xm[0] += X2[2 * i] / n;
			xm[1] += X2[2 * i + 1] / n;
			ym += y2[i] / n;
		}
		for (int i = 0; i < n; i++)
		{
			double		a = X2[2 * i] - xm[0],
						b = X2[2 * i + 1] - xm[1],
						c = y2[i] - ym;

			S11 += a * a;
			S12 += a * b;
			S22 += b * b;
			S1y += a * c;
			S2y += b * c;
		}
		a11 = S11 + n * l2;
		a22 = S22 + n * l2;
		det = a11 * a22 - S12 * S12;
		w1 = (S1y * a22 - S12 * S2y) / det;
		w2 = (a11 * S2y - S12 * S1y) / det;

		s = new_state(2, 4, l2, 0);
		add_rows(&s, X2, y2, 0, n);
		m = solve(&s, &st, &err);
		CHECK_STATUS(st, MM_OK, &err, "ridge d=2 solves");
		if (m)
		{
			CHECK_NEAR(m->coef[1], w1, 1e-13, "ridge d=2 w1 (Cramer)");
			CHECK_NEAR(m->coef[2], w2, 1e-13, "ridge d=2 w2 (Cramer)");
			CHECK_NEAR(m->coef[0], ym - w1 * xm[0] - w2 * xm[1], 1e-13, "ridge d=2 intercept");
		}
	}
}

static void
test_combine(void)
{
	enum
	{
		N = 123, D = 4
	};
	static double X[N * D],
				y[N];
	uint32_t	capsA[] = {5, 8, 64};
	uint32_t	capsB[] = {3, 8, 200};
	size_t		splits[] = {0, 1, 4, 5, 17, 61, 100, 122, 123};
	int			bad = 0,
				total = 0;
	double		worst_all = 0;
	mm_err		err;
	mm_status	st;

	for (int i = 0; i < N; i++)
	{
		y[i] = 0.3 * urand() + 10;
		for (int j = 0; j < D; j++)
		{
			X[i * D + j] = urand() * pow(10.0, j) + j;
			y[i] += (j - 1.5) * X[i * D + j];
		}
	}
	for (int l2i = 0; l2i < 2; l2i++)
	{
		double		l2 = l2i ? 0.01 : 0.0;
		state		one = new_state(D, 8, l2, 0);
		mm_model   *ref;

		add_rows(&one, X, y, 0, N);
		ref = solve(&one, &st, &err);
		CHECK_STATUS(st, MM_OK, &err, "combine: one-pass reference solves");
		if (!ref)
			return;
		for (size_t a = 0; a < 3; a++)
			for (size_t b = 0; b < 3; b++)
				for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++)
				{
					state		A = new_state(D, capsA[a], l2, 0);
					state		B = new_state(D, capsB[b], l2, 0);
					uint8_t    *bcopy = unit_alloc.alloc(unit_alloc.ctx, B.size);
					mm_model   *m;
					double		worst;

					add_rows(&A, X, y, 0, splits[k]);
					add_rows(&B, X, y, splits[k], N);
					memcpy(bcopy, B.st, B.size);
					err = (mm_err) {0};
					total++;
					st = mm_ls_combine(A.st, &A.v, B.st, B.size, &err);
					if (st != MM_OK || mm_ls_rows(A.st) != N || memcmp(bcopy, B.st, B.size) != 0 ||
						mm_ls_validate(A.st, A.size, &err) != MM_OK)
					{
						bad++;
						NOTE("combine caps %u/%u split %zu: status %d rows %llu", capsA[a], capsB[b], splits[k],
							 (int) st, (unsigned long long) mm_ls_rows(A.st));
						continue;
					}
					m = solve(&A, &st, &err);
					if (!m || !coef_close(m, ref->coef, D + 1, 1e-12, &worst))
					{
						bad++;
						NOTE("combine caps %u/%u split %zu l2 %g: worst relative error %.3g", capsA[a], capsB[b],
							 splits[k], l2, m ? worst : INFINITY);
					}
					else if (worst > worst_all)
						worst_all = worst;
				}
		unit_arena_reset();
	}
	CHECK(bad == 0, "combine(A, B) solves like one pass over A and B to 1e-12 (all caps and splits)");
	NOTE("%d combinations, worst relative coefficient difference %.3g", total, worst_all);

	/* three-way, in a tree: (A + B) + (C + D) */
	{
		state		one = new_state(D, 8, 0, 0);
		state		p[4];
		size_t		cut[5] = {0, 30, 31, 90, N};
		mm_model   *ref,
				   *m;

		add_rows(&one, X, y, 0, N);
		ref = solve(&one, &st, &err);
		for (int i = 0; i < 4; i++)
		{
			p[i] = new_state(D, 6 + i, 0, 0);
			add_rows(&p[i], X, y, cut[i], cut[i + 1]);
		}
		mm_ls_combine(p[0].st, &p[0].v, p[1].st, p[1].size, &err);
		mm_ls_combine(p[2].st, &p[2].v, p[3].st, p[3].size, &err);
		mm_ls_combine(p[0].st, &p[0].v, p[2].st, p[2].size, &err);
		m = solve(&p[0], &st, &err);
		CHECK(ref && m && coef_close(m, ref->coef, D + 1, 1e-12, NULL), "tree of combines matches one pass");
	}

	/* combining empty states */
	{
		state		E = new_state(D, 8, 0, 0);
		state		F = new_state(D, 8, 0, 0);
		state		one = new_state(D, 8, 0, 0);
		mm_model   *ref,
				   *m;

		add_rows(&one, X, y, 0, N);
		ref = solve(&one, &st, &err);
		CHECK_STATUS(mm_ls_combine(E.st, &E.v, F.st, F.size, &err), MM_OK, &err, "empty + empty combines");
		CHECK_EQ(mm_ls_rows(E.st), 0, "empty + empty has no rows");
		m = solve(&E, &st, &err);
		CHECK_STATUS(st, MM_EDATA, &err, "solving an empty state: MM_EDATA");
		CHECK(m == NULL, "no model from an empty state");
		CHECK_STATUS(mm_ls_combine(E.st, &E.v, one.st, one.size, &err), MM_OK, &err, "empty + full combines");
		m = solve(&E, &st, &err);
		CHECK(ref && m && coef_close(m, ref->coef, D + 1, 1e-12, NULL), "empty + full == full");
		CHECK_STATUS(mm_ls_combine(one.st, &one.v, F.st, F.size, &err), MM_OK, &err, "full + empty combines");
		m = solve(&one, &st, &err);
		CHECK(ref && m && memcmp(m->coef, ref->coef, sizeof(double) * (D + 1)) == 0, "full + empty leaves full exactly");
	}

	/* mismatches */
	{
		state		A = new_state(D, 8, 0, 0);
		state		B3 = new_state(D - 1, 8, 0, 0);
		state		Bl2 = new_state(D, 8, 0.5, 0);
		state		Bni = new_state(D, 8, 0, MM_LS_NO_INTERCEPT);
		state		Bc = new_state(D, 8, 0, 0);

		add_rows(&A, X, y, 0, 10);
		add_rows(&Bc, X, y, 0, 10);
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_combine(A.st, &A.v, B3.st, B3.size, &err), MM_EMISMATCH, &err, "combine with a different d: MM_EMISMATCH");
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_combine(A.st, &A.v, Bl2.st, Bl2.size, &err), MM_EMISMATCH, &err, "combine with a different l2: MM_EMISMATCH");
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_combine(A.st, &A.v, Bni.st, Bni.size, &err), MM_EMISMATCH, &err, "combine with a different intercept flag: MM_EMISMATCH");
		CHECK_EQ(mm_ls_rows(A.st), 10, "failed combines leave the rows alone");
		Bc.st[0] ^= 1;
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_combine(A.st, &A.v, Bc.st, Bc.size, &err), MM_ECORRUPT, &err, "combine with a corrupt state: MM_ECORRUPT");
		Bc.st[0] ^= 1;
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_combine(A.st, &A.v, Bc.st, Bc.size - 1, &err), MM_ECORRUPT, &err, "combine with a truncated state: MM_ECORRUPT");
		CHECK_EQ(mm_ls_rows(A.st), 10, "failed combines leave the rows alone");
	}
}

static void
expect_rank(state *s, const char *name)
{
	mm_err		err;
	mm_status	st;
	mm_model   *m = solve(s, &st, &err);

	CHECK_STATUS(st, MM_ERANK, &err, name);
	if (m)
		NOTE("got coefficients %g %g %g", m->coef[0], m->coef[1], m->n_features > 1 ? m->coef[2] : 0.0);
}

static void
test_rank(void)
{
	enum
	{
		N = 40
	};
	double		X[N * 3],
				y[N];
	state		s;
	mm_err		err;
	mm_status	st;
	mm_model   *m;
	const double consts[] = {0.0, 1.0, 0.1, 3.7, -2.3e5, 1e-300, 0.3};

	for (int i = 0; i < N; i++)
	{
		X[i * 3] = urand();
		X[i * 3 + 1] = X[i * 3];	/* duplicate column */
		X[i * 3 + 2] = urand();
		y[i] = urand();
	}
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, N);
	expect_rank(&s, "duplicate column: MM_ERANK");

	for (int i = 0; i < N; i++)
		X[i * 3 + 1] = 2 * X[i * 3] - 0.5 * X[i * 3 + 2];	/* exact linear combination */
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, N);
	expect_rank(&s, "column a linear combination of two others: MM_ERANK");

	for (size_t c = 0; c < sizeof(consts) / sizeof(consts[0]); c++)
	{
		char		name[120];

		for (uint32_t cap = 7; cap <= 64; cap += 57)
		{
			for (int i = 0; i < N; i++)
			{
				X[i * 3] = urand();
				X[i * 3 + 1] = consts[c];
				X[i * 3 + 2] = urand();
			}
			s = new_state(3, cap, 0, 0);
			add_rows(&s, X, y, 0, N - 3);	/* a partial buffer too */
			snprintf(name, sizeof(name), "constant column %.17g (cap %u): MM_ERANK", consts[c], cap);
			expect_rank(&s, name);
		}
	}

	/* with ridge a constant column is harmless: its weight is 0 */
	for (int i = 0; i < N; i++)
		X[i * 3 + 1] = 3.7;
	s = new_state(3, 8, 0.1, 0);
	add_rows(&s, X, y, 0, N);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "ridge with a constant column solves");
	CHECK(m && fabs(m->coef[2]) < 1e-12, "ridge: constant column gets weight 0");

	/* without intercept a constant column is the intercept: y = 4 + 2 x */
	{
		double		X1[N * 2],
					y1[N];
		const double want[] = {0, 2, 4};

		for (int i = 0; i < N; i++)
		{
			X1[i * 2] = urand();
			X1[i * 2 + 1] = 1.0;
			y1[i] = 4 + 2 * X1[i * 2];
		}
		s = new_state(2, 8, 0, MM_LS_NO_INTERCEPT);
		add_rows(&s, X1, y1, 0, N);
		m = solve(&s, &st, &err);
		CHECK_STATUS(st, MM_OK, &err, "no intercept with a column of ones solves");
		CHECK(m && coef_close(m, want, 3, 1e-12, NULL), "no intercept: the ones column carries the intercept");
	}

	/* fewer rows than features */
	for (int i = 0; i < N; i++)
		X[i * 3 + 1] = urand();
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, 3);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_ERANK, &err, "3 rows, 3 features and an intercept: MM_ERANK");
	CHECK(err.detail[0] != '\0', "fewer rows than coefficients: a detail explains it");
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, 2);
	expect_rank(&s, "2 rows, 3 features: MM_ERANK");
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, 1);
	expect_rank(&s, "1 row: MM_ERANK");
	s = new_state(3, 8, 0, 0);
	add_rows(&s, X, y, 0, 4);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "4 rows, 3 features and an intercept: solvable");
	if (m)
	{
		double		out;
		int			okfit = 1;

		for (int i = 0; i < 4; i++)
		{
			mm_model_scores(m, X + i * 3, &out);
			okfit &= fabs(out - y[i]) < 1e-9;
		}
		CHECK(okfit, "4 rows, 3 features: interpolates exactly");
	}
	s = new_state(3, 8, 0.1, 0);
	add_rows(&s, X, y, 0, 2);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "ridge makes 2 rows and 3 features solvable");
}

static void
test_scales(void)
{
	enum
	{
		N = 200
	};
	static double X[N * 3],
				y[N];
	/* features near 1e-6, 1e6 (with a large offset) and 1 */
	const double truth[] = {3.0, 2.5e6, -4e-6, 0.75};
	mm_err		err;
	mm_status	st;
	mm_model   *m;
	state		s;
	double		worst;

	for (int i = 0; i < N; i++)
	{
		X[i * 3] = 1e-6 * urand();
		X[i * 3 + 1] = 1e6 * (1000.0 + urand());
		X[i * 3 + 2] = urand();
		y[i] = truth[0] + truth[1] * X[i * 3] + truth[2] * X[i * 3 + 1] + truth[3] * X[i * 3 + 2];
	}
	s = new_state(3, 16, 0, 0);
	add_rows(&s, X, y, 0, N);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "scales 1e-6 .. 1e9: solves");
	if (m)
	{
		double		e1 = fabs(m->coef[1] - truth[1]) / fabs(truth[1]),
					e2 = fabs(m->coef[2] - truth[2]) / fabs(truth[2]),
					e3 = fabs(m->coef[3] - truth[3]) / fabs(truth[3]);

		CHECK(e1 < 1e-8, "scales: weight on the 1e-6 feature to 1e-8 relative");
		CHECK(e2 < 1e-8, "scales: weight on the 1e9 feature to 1e-8 relative");
		CHECK(e3 < 1e-8, "scales: weight on the unit feature to 1e-8 relative");
		NOTE("relative errors %.3g %.3g %.3g", e1, e2, e3);
		CHECK_NEAR(m->coef[0], truth[0], 1e-3, "scales: intercept (behind a 4e3 offset) to 1e-3");
		{
			double		out;

			mm_model_scores(m, X + 5 * 3, &out);
			CHECK_NEAR(out, y[5], 1e-8 * fabs(y[5]), "scales: predicts a training row");
		}
	}

	/* the same split across combine */
	{
		state		A = new_state(3, 16, 0, 0);
		state		B = new_state(3, 5, 0, 0);

		add_rows(&A, X, y, 0, 77);
		add_rows(&B, X, y, 77, N);
		mm_ls_combine(A.st, &A.v, B.st, B.size, &err);
		m = solve(&A, &st, &err);
		CHECK(m && coef_close(m, truth, 4, 1e-6, &worst), "scales: combined states solve accurately too");
	}

	/* pure tiny and pure huge scales, noiseless */
	{
		const double t2[] = {-1.0, 1e12, 1e-12};

		for (int i = 0; i < N; i++)
		{
			X[i * 2] = 1e-9 * urand();
			X[i * 2 + 1] = 1e9 * urand();
			y[i] = t2[0] + t2[1] * X[i * 2] + t2[2] * X[i * 2 + 1];
		}
		s = new_state(2, 8, 0, 0);
		add_rows(&s, X, y, 0, N);
		m = solve(&s, &st, &err);
		CHECK_STATUS(st, MM_OK, &err, "scales 1e-9 and 1e9: solves");
		CHECK(m && coef_close(m, t2, 3, 1e-10, &worst), "scales 1e-9 and 1e9: coefficients to 1e-10");
		if (m)
			NOTE("worst %.3g", worst);
	}
}

/* Values near the edge of double range: never a model with non-finite numbers in it. */
static void
test_overflow(void)
{
	enum
	{
		N = 30
	};
	double		X[N],
				y[N];
	mm_err		err;
	mm_status	st;
	mm_model   *m;
	state		s;

	/* y around 1e160: the sums of squares overflow, the coefficients do not */
	for (int i = 0; i < N; i++)
	{
		X[i] = urand();
		y[i] = 1e160 * (2 * X[i] + 0.01 * urand());
	}
	s = new_state(1, 8, 0, 0);
	add_rows(&s, X, y, 0, N);
	m = solve(&s, &st, &err);
	CHECK_STATUS(st, MM_OK, &err, "target near 1e160: solves");
	if (m)
	{
		CHECK(isfinite(m->coef[0]) && fabs(m->coef[1] / 2e160 - 1) < 1e-2, "target near 1e160: weight near 2e160");
		CHECK(strstr(m->meta, "nan") == NULL && strstr(m->meta, "inf") == NULL,
			  "target near 1e160: meta stays valid JSON (no nan/inf)");
		NOTE("meta: %s", m->meta);
	}

	/* a weight that itself overflows */
	for (int i = 0; i < N; i++)
	{
		X[i] = 1e-160 * urand();
		y[i] = 1e150 * urand();
	}
	s = new_state(1, 8, 0, 0);
	add_rows(&s, X, y, 0, N);
	m = solve(&s, &st, &err);
	CHECK(st != MM_OK && m == NULL, "weight beyond double range: an error, not a model");
	CHECK(st == MM_EDATA || st == MM_ERANK, "weight beyond double range: MM_EDATA or MM_ERANK");
	NOTE("status %d: %s", (int) st, err.msg);
}

static void
test_validate(void)
{
	enum
	{
		D = 2
	};
	state		s = new_state(D, 4, 0.5, 0);
	double		X[] = {1, 2, 3, 5, 4, 1, 0, 1, 2, 2, 7, 1};
	double		y[] = {1, 2, 3, 4, 5, 6};
	mm_err		err = {0};
	uint8_t    *c;
	int			bad = 0;

	add_rows(&s, X, y, 0, 6);	/* one block folded, two rows buffered */
	CHECK_STATUS(mm_ls_validate(s.st, s.size, &err), MM_OK, &err, "valid state validates");
	CHECK_EQ(s.v.nbuf, 2, "two rows buffered");
	CHECK_EQ(s.v.n, 4, "four rows folded");

	for (size_t l = 0; l < s.size; l++)
	{
		err = (mm_err) {0};
		if (mm_ls_validate(s.st, l, &err) != MM_ECORRUPT)
			bad++;
	}
	CHECK(bad == 0, "every truncation rejected with MM_ECORRUPT");
	CHECK_STATUS(mm_ls_validate(s.st, 0, &err), MM_ECORRUPT, &err, "empty state rejected");

	c = unit_alloc.alloc(unit_alloc.ctx, s.size + 16);
#define BREAK(stmt, len, name) \
	do { \
		memcpy(c, s.st, s.size); \
		stmt; \
		err = (mm_err) {0}; \
		CHECK_STATUS(mm_ls_validate(c, (len), &err), MM_ECORRUPT, &err, name); \
		CHECK(err.msg[0] != '\0', name); \
	} while (0)
#define PUT32(off, v) do { uint32_t v_ = (v); memcpy(c + (off), &v_, 4); } while (0)
#define PUTF64(off, v) do { double v_ = (v); memcpy(c + (off), &v_, 8); } while (0)

	BREAK(c[0] ^= 1, s.size, "wrong magic");
	BREAK(c[4] = 2, s.size, "wrong version");
	BREAK(c[6] = 2, s.size, "wrong kind");
	BREAK(PUT32(8, 3), s.size, "d disagrees with the size");
	BREAK(PUT32(8, 0), s.size, "d = 0");
	BREAK(PUT32(8, 0xffffffffu), s.size, "d = 2^32-1");
	BREAK(PUT32(12, 5), s.size, "capacity disagrees with the size");
	BREAK(PUT32(12, 0), s.size, "capacity 0");
	BREAK(PUT32(16, 5), s.size, "more rows buffered than capacity");
	/* a full buffer is never left behind (it is folded at once); combining into one overflowed it */
	BREAK(PUT32(16, 4), s.size, "buffer full to capacity");
	BREAK(PUT32(16, 0xffffffffu), s.size, "buffered rows 2^32-1");
	BREAK(PUT32(20, 2), s.size, "unknown flag");
	BREAK(PUTF64(24, NAN), s.size, "l2 NaN");
	BREAK(PUTF64(24, INFINITY), s.size, "l2 infinite");
	BREAK(PUTF64(24, -1.0), s.size, "l2 negative");
	BREAK(PUT32(40, (uint32_t) s.size + 8), s.size, "total size disagrees");
	BREAK(PUT32(40, (uint32_t) s.size + 8), s.size + 8, "one row longer with total fixed");
	BREAK(c[44] = 1, s.size, "reserved byte 44 nonzero");
	BREAK(c[59] = 0x80, s.size, "reserved byte 59 nonzero");
	BREAK((void) 0, s.size + 1, "one trailing byte");
#undef BREAK
#undef PUT32
#undef PUTF64

	/* solve validates too */
	{
		mm_model   *m = NULL;

		memcpy(c, s.st, s.size);
		c[1] ^= 0x10;
		err = (mm_err) {0};
		CHECK_STATUS(mm_ls_solve(c, s.size, &unit_alloc, &m, &err), MM_ECORRUPT, &err, "solve rejects a corrupt state");
		CHECK_STATUS(mm_ls_solve(s.st, s.size - 8, &unit_alloc, &m, &err), MM_ECORRUPT, &err, "solve rejects a truncated state");
	}

	/* non-finite moments in a well-formed state: solve fails cleanly */
	{
		mm_model   *m = NULL;
		double		nanv = NAN;
		mm_status	st;

		memcpy(c, s.st, s.size);
		memcpy(c + MM_LS_HDRSZ + 8 * (D + 1), &nanv, 8);	/* com[0][0] */
		err = (mm_err) {0};
		st = mm_ls_solve(c, s.size, &unit_alloc, &m, &err);
		CHECK(st != MM_OK && m == NULL, "NaN co-moment: no model");
	}

	/* out of memory during solve */
	{
		int			badmem = 0,
					k;

		for (k = 0; k < 32; k++)
		{
			mm_model   *m = NULL;
			mm_status	st;

			err = (mm_err) {0};
			unit_alloc_fail_after(k);
			st = mm_ls_solve(s.st, s.size, &unit_alloc, &m, &err);
			unit_alloc_fail_after(-1);
			if (st == MM_OK)
				break;
			if (st != MM_ENOMEM)
				badmem++;
		}
		CHECK(badmem == 0 && k < 32, "solve reports MM_ENOMEM on every failed allocation, then succeeds");
	}
}

/*
 * The fold's scatter update: the four-lane upper-triangle tiles (where the CPU has AVX2 and FMA)
 * and dsyrk give the same co-moments up to rounding, for every width around the tiles' edges
 * (p = 1 .. 41: whole blocks of four, the diagonal's half tiles, the last 1-3 columns) and block
 * lengths 1 .. 256, against sums in long double; neither writes the lower triangle.
 */
static void
test_fold_wide(void)
{
	static const uint32_t ms[] = {1, 3, 64, 256};
	int			worst_ok = 1,
				lower_ok = 1,
				cases = 0;
	double		worst = 0;

	for (size_t p = 1; p <= 41; p++)
		for (int mi = 0; mi < 4; mi++)
			for (int wide = 0; wide <= 1; wide++)
			{
				uint32_t	m = ms[mi];
				double	   *buf = unit_alloc.alloc(unit_alloc.ctx, sizeof(double) * m * p),
						   *orig = unit_alloc.alloc(unit_alloc.ctx, sizeof(double) * m * p),
						   *com = unit_alloc.alloc(unit_alloc.ctx, sizeof(double) * p * p),
						   *mean = unit_alloc.alloc(unit_alloc.ctx, sizeof(double) * p),
						   *bsum = unit_alloc.alloc(unit_alloc.ctx, sizeof(double) * p);
				uint64_t	n = 0;

				for (size_t i = 0; i < m * p; i++)
					orig[i] = buf[i] = urand() * 3 + (double) (i % p);
				for (size_t i = 0; i < p * p; i++)
					com[i] = 12345.0;	/* lower triangle: must stay as it is */
				for (size_t b = 0; b < p; b++)
					for (size_t a = 0; a <= b; a++)
						com[a + b * p] = 0;
				mm_syrk_wide = wide;
				mm_comoments_fold(&n, mean, com, buf, m, p, bsum);
				mm_syrk_wide = -1;
				cases++;
				for (size_t b = 0; b < p; b++)
					for (size_t a = 0; a < p; a++)
					{
						if (a > b)
						{
							lower_ok &= com[a + b * p] == 12345.0;
							continue;
						}
						{
							/* the scatter of the block about its first row (n was 0), as the fold does */
							long double sa = 0,
										sb = 0,
										sab = 0,
										want,
										scale = 0;

							for (uint32_t r = 0; r < m; r++)
							{
								long double xa = (long double) orig[r * p + a] - orig[a],
											xb = (long double) orig[r * p + b] - orig[b];

								sa += xa;
								sb += xb;
								sab += xa * xb;
								scale += fabsl(xa * xb);
							}
							want = sab - sa * sb / m;
							if (scale > 0)
							{
								double		rel = (double) (fabsl((long double) com[a + b * p] - want) / scale);

								if (rel > worst)
									worst = rel;
								worst_ok &= rel < 1e-13;
							}
						}
					}
			}
	CHECK(cases == 41 * 4 * 2, "fold: every width and block length ran, tiles and dsyrk");
	CHECK(worst_ok, "fold: tiles and dsyrk give the block's co-moments within 1e-13 of their scale");
	CHECK(lower_ok, "fold: the lower triangle is never written");
}

/*
 * Run first, before anything opens OpenBLAS: a fold by the tiles (CPUs with AVX2 and FMA) leaves
 * the library unopened (a parallel worker would pay ~2.5 ms to load it for nothing); a fold by
 * dsyrk opens it.
 */
static void
test_fold_lazy_blas(void)
{
	const size_t p = 5;
	const uint32_t m = 8;
	double		buf[8 * 5],
				com[5 * 5] = {0},
				mean[5],
				bsum[5];
	uint64_t	n = 0;

	for (size_t i = 0; i < m * p; i++)
		buf[i] = urand();
	CHECK_EQ(mm_blas_state(), 0, "OpenBLAS is not opened before a fold needs it");
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
	{
		mm_comoments_fold(&n, mean, com, buf, m, p, bsum);
		CHECK_EQ(mm_blas_state(), 0, "a fold by the tiles does not open OpenBLAS");
	}
	else
		printf("# no AVX2 and FMA: the tiles do not run here\n");
	for (size_t i = 0; i < m * p; i++)
		buf[i] = urand();
	mm_syrk_wide = 0;
	mm_comoments_fold(&n, mean, com, buf, m, p, bsum);
	mm_syrk_wide = -1;
	CHECK_EQ(mm_blas_state(), 1, "a fold by dsyrk opens OpenBLAS");
}

int
main(void)
{
	test_fold_lazy_blas();
	test_sizes();
	test_noiseless();
	unit_arena_reset();
	test_ridge();
	test_combine();
	unit_arena_reset();
	test_rank();
	unit_arena_reset();
	test_scales();
	test_overflow();
	test_validate();
	unit_arena_reset();
	test_fold_wide();
	return unit_summary();
}
