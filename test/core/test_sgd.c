/*
 * test_sgd.c: unit tests for mm_sgd.c's loop over standardised rows in memory
 * (mm_sgd_steps_std): it must give the same model, bit for bit, as mm_sgd_step over the raw
 * rows, which is what streaming training and the sgd_epoch aggregate run, in its two-lane and
 * its four-lane (AVX2) form, with the pending update carried across chunks.
 */
#include "mm_sgd.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void *
test_alloc(void *ctx, size_t n)
{
	(void) ctx;
	return calloc(1, n ? n : 1);
}

static uint64_t rng = 88172645463325252ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double) (rng >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct case_def
{
	const char *name;
	int			algorithm;
	uint32_t	d;
	int			schedule;
	double		l1;
	double		l2;
	double		eta0;
	int			standardise;
	int			class_weight;
} case_def;

/* A pass state over a fresh start model; returns the state and its size (8-aligned + 4). */
static uint8_t *
make_state(const case_def *c, size_t *size, uint8_t **raw)
{
	mm_alloc	a = {test_alloc, NULL};
	mm_err		err = {0};
	mm_sgd_params p;
	double		mean[40],
				scale[40],
				cv[2] = {0, 1},
				cw[2] = {0.7, 1.9};
	char	   *cn[2] = {"0", "1"};
	mm_model   *m,
			   *dm;
	size_t		len;
	uint8_t    *mb,
			   *st;

	for (uint32_t j = 0; j < c->d; j++)
	{
		mean[j] = 0.1 * j - 0.3;
		scale[j] = 0.5 + 0.05 * j;
	}
	memset(&p, 0, sizeof(p));
	p.algorithm = c->algorithm;
	p.n_features = c->d;
	p.n_classes = c->algorithm == MM_ALG_LINREG ? 0 : 2;
	p.schedule = c->schedule;
	p.fit_intercept = 1;
	p.batch_size = 1;
	p.l1 = c->l1;
	p.l2 = c->l2;
	p.eta0 = c->eta0;
	p.power_t = 0.25;
	p.class_values = p.n_classes ? cv : NULL;
	p.class_names = p.n_classes ? cn : NULL;
	p.class_weight = p.n_classes && c->class_weight ? cw : NULL;
	p.mean = c->standardise ? mean : NULL;
	p.scale = c->standardise ? scale : NULL;
	if (mm_sgd_init_model(&p, &a, &m, &err) != MM_OK)
		return NULL;
	len = mm_model_encoded_size(m, &err);
	mb = malloc(len);
	mm_model_encode(m, mb, len, &err);
	mm_model_decode(mb, len, &a, &dm, &err);
	*size = mm_sgd_state_size(dm, len, &err);
	*raw = calloc(1, *size + 16);
	st = *raw + ((8 - ((uintptr_t) *raw + MM_SGD_HDRSZ) % 8) % 8);
	if (mm_sgd_state_init(st, *size, dm, mb, len, &err) != MM_OK)
		return NULL;
	return st;
}

/* Encoded model after a pass. */
static uint8_t *
finish_bytes(const uint8_t *st, size_t size, size_t *len)
{
	mm_alloc	a = {test_alloc, NULL};
	mm_err		err = {0};
	mm_model   *m;
	uint8_t    *b;

	if (mm_sgd_finish(st, size, &a, &m, &err) != MM_OK)
		return NULL;
	*len = mm_model_encoded_size(m, &err);
	b = malloc(*len);
	mm_model_encode(m, b, *len, &err);
	return b;
}

/*
 * Runs one case over n rows in a shuffled order: mm_sgd_step on the raw rows against
 * mm_sgd_steps_std on standardised copies (in chunks, fetching ahead); 1 if the models are equal.
 */
static int
same_models(const case_def *c, uint32_t n, uint32_t chunk, int wide_rows, int wide_loop)
{
	uint32_t	d = c->d;
	double	   *X = malloc(sizeof(double) * n * d),
			   *Z = malloc(sizeof(double) * n * d),
			   *y = malloc(sizeof(double) * n);
	int32_t    *cls = malloc(sizeof(int32_t) * n);
	uint32_t   *idx = malloc(sizeof(uint32_t) * n);
	size_t		size,
				la,
				lb;
	uint8_t    *rawa,
			   *rawb,
			   *sa = make_state(c, &size, &rawa),
			   *sb = make_state(c, &size, &rawb),
			   *ma,
			   *mb;
	mm_sgd_view va,
				vb;
	int			ok;

	if (!sa || !sb)
		return 0;
	mm_sgd_map(sa, &va);
	mm_sgd_map(sb, &vb);
	if (!mm_sgd_std_ok(&vb))
		return 0;
	for (uint32_t i = 0; i < n; i++)
	{
		double		s = 0;

		for (uint32_t j = 0; j < d; j++)
		{
			X[(size_t) i * d + j] = uniform() * 4 - 2 + 0.1 * j;
			s += X[(size_t) i * d + j] * ((j % 3) - 1.0);
		}
		cls[i] = uniform() < 1 / (1 + exp(-s)) ? 1 : 0;
		y[i] = c->algorithm == MM_ALG_LINREG ? s + uniform() - 0.5 : (double) cls[i];
		memcpy(Z + (size_t) i * d, X + (size_t) i * d, sizeof(double) * d);
		mm_sgd_standardise(&vb, Z + (size_t) i * d);
		idx[i] = i;
	}
	for (uint32_t i = n - 1; i > 0; i--)
	{
		uint32_t	j = (uint32_t) (uniform() * (i + 1)),
					t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	mm_sgd_wide = wide_rows;
	for (uint32_t i = 0; i < n; i++)
		mm_sgd_step(&va, X + (size_t) idx[i] * d, cls[idx[i]], y[idx[i]]);
	mm_sgd_wide = wide_loop;
	for (uint32_t i = 0; i < n; i += chunk)
		mm_sgd_steps_std(&vb, Z, y, cls, idx + i, n - i < chunk ? n - i : chunk, n - i);
	mm_sgd_wide = -1;
	ma = finish_bytes(sa, size, &la);
	mb = finish_bytes(sb, size, &lb);
	ok = ma && mb && la == lb && memcmp(ma, mb, la) == 0;
	free(X);
	free(Z);
	free(y);
	free(cls);
	free(idx);
	free(rawa);
	free(rawb);
	free(ma);
	free(mb);
	return ok;
}

int
main(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	int			have_wide = __builtin_cpu_supports("avx2");
#else
	int			have_wide = 0;
#endif
	static const case_def cases[] = {
		{"logistic, optimal schedule, l2, standardised, 32 features", MM_ALG_LOGREG, 32, MM_LR_OPTIMAL, 0, 1e-4, 0, 1, 0},
		{"logistic, 13 features (a tail after the 8-wide blocks)", MM_ALG_LOGREG, 13, MM_LR_OPTIMAL, 0, 1e-3, 0, 1, 0},
		{"logistic with class weights", MM_ALG_LOGREG, 8, MM_LR_OPTIMAL, 0, 1e-4, 0, 1, 1},
		{"logistic, not standardised, invscaling schedule", MM_ALG_LOGREG, 5, MM_LR_INVSCALING, 0, 1e-4, 0.05, 0, 0},
		{"linear regression, constant schedule, no l2", MM_ALG_LINREG, 7, MM_LR_CONSTANT, 0, 0, 0.001, 1, 0},
		{"hinge loss (SVM), optimal schedule", MM_ALG_SVM, 16, MM_LR_OPTIMAL, 0, 1e-3, 0, 1, 0},
		{"logistic, l2 large enough to rescale the weights", MM_ALG_LOGREG, 9, MM_LR_CONSTANT, 0, 0.5, 0.5, 1, 0},
		{"logistic, eta * l2 >= 1 (weights zeroed every step)", MM_ALG_LOGREG, 6, MM_LR_CONSTANT, 0, 0.5, 2.0, 1, 0},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		CHECK(same_models(&cases[k], 3000, 1000, 0, 0), cases[k].name);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		CHECK(!have_wide || (same_models(&cases[k], 3000, 1000, 1, 1) && same_models(&cases[k], 3000, 1000, 0, 1)),
			  have_wide ? "... four lanes at a time (AVX2), row by row and in the loop, = two lanes"
			  : "... four lanes at a time: no AVX2 here, not run");
	CHECK(same_models(&cases[0], 5000, 7, 0, 0) && (!have_wide || same_models(&cases[0], 5000, 7, 1, 1)),
		  "chunks of 7 rows give the same model");
	CHECK(same_models(&cases[0], 1, 4096, 0, 0), "a single row");
	{
		case_def	l1 = {"l1", MM_ALG_LOGREG, 4, MM_LR_OPTIMAL, 1e-3, 1e-4, 0, 1, 0};
		size_t		size;
		uint8_t    *raw,
				   *st = make_state(&l1, &size, &raw);
		mm_sgd_view v;

		mm_sgd_map(st, &v);
		CHECK(!mm_sgd_std_ok(&v), "a pass with l1 is not one for the standardised-row loop");
		CHECK(mm_sgd_class_of(&v, 0.0) == 0 && mm_sgd_class_of(&v, 1.0) == 1 && mm_sgd_class_of(&v, -0.0) == 0,
			  "class of a label: its index");
		CHECK(mm_sgd_class_of(&v, 0.5) == -1 && mm_sgd_class_of(&v, 2.0) == -1 && mm_sgd_class_of(&v, NAN) == -1,
			  "class of a value that is no class: -1");
		free(raw);
	}
	{
		/* more classes than the branch-free scan takes: a binary search over the sorted values */
		double		cv[12];
		mm_sgd_view v;
		int			ok = 1;

		memset(&v, 0, sizeof(v));
		for (int k = 0; k < 12; k++)
			cv[k] = k * 1.5 - 3;
		v.ncls = 12;
		v.cv = cv;
		for (int k = 0; k < 12; k++)
			ok &= mm_sgd_class_of(&v, cv[k]) == k;
		CHECK(ok && mm_sgd_class_of(&v, -3.1) == -1 && mm_sgd_class_of(&v, 0.1) == -1 &&
			  mm_sgd_class_of(&v, 100) == -1, "class of a label among 12 classes");
	}
	return unit_summary();
}
