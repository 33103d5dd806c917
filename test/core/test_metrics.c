/*
 * test_metrics.c: unit tests of the metric states (src/core/mm_metrics.c), without a server.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_metrics.h"
#include "unit.h"

typedef struct state
{
	uint8_t    *b;
	size_t		size;
} state;

static state
new_state(int kind, uint32_t flags, double pos, const char *tpos)
{
	mm_mt_caps	caps;
	state		s;

	mm_mt_initial_caps(kind, &caps);
	s.size = mm_mt_state_size(kind, flags, tpos ? (uint32_t) strlen(tpos) : 0, &caps);
	s.b = unit_alloc.alloc(NULL, s.size);
	mm_mt_init(s.b, s.size, kind, flags, pos, tpos, tpos ? (uint32_t) strlen(tpos) : 0, &caps);
	return s;
}

static void
resize(state *s, const mm_mt_caps *caps)
{
	size_t		size = mm_mt_size_for(s->b, caps);
	uint8_t    *b = unit_alloc.alloc(NULL, size);

	mm_mt_relayout(s->b, b, size, caps);
	s->b = b;
	s->size = size;
}

static int
grow(state *s, uint32_t need)
{
	mm_mt_caps	caps;
	mm_err		err = {0};

	if (mm_mt_grow_caps(s->b, need, &caps, &err) != MM_OK)
		return 0;
	resize(s, &caps);
	return 1;
}

static int
add_f64(state *s, double p, double a)
{
	while (!mm_cm_add_f64(s->b, p, a))
		if (!grow(s, 0))
			return 0;
	return 1;
}

static void
add_text(state *s, const char *p, const char *a)
{
	while (!mm_cm_add_text(s->b, p, (uint32_t) strlen(p), a, (uint32_t) strlen(a)))
		if (!grow(s, (uint32_t) (strlen(p) + strlen(a))))
			abort();
}

static void
add_pair(state *s, double score, int y)
{
	while (!mm_pairs_add(s->b, score, y))
		if (!grow(s, 0))
			abort();
}

static double
scalar(const state *s, int *isnull)
{
	double		v = NAN;
	mm_err		err = {0};

	if (mm_mt_scalar(s->b, &unit_alloc, &v, isnull, &err) != MM_OK)
		return NAN;
	return v;
}

static int
merge(state *dst, const state *src, mm_err *err)
{
	mm_mt_caps	caps;
	int			g;
	mm_status	st;

	if ((st = mm_mt_validate(src->b, src->size, err)) != MM_OK)
		return st;
	if ((st = mm_mt_merge_caps(dst->b, src->b, &caps, &g, err)) != MM_OK)
		return st;
	if (g)
		resize(dst, &caps);
	mm_mt_merge(dst->b, src->b);
	return MM_OK;
}

static void
test_binary(void)
{
	/* y_true = [0, 1, 1, 0, 1, 1], y_pred = [0, 1, 0, 0, 1, 1] plus one mistake each way */
	double		yt[] = {0, 1, 1, 0, 1, 1, 0, 1},
				yp[] = {0, 1, 0, 0, 1, 1, 1, 0};
	int			kinds[] = {MM_MK_ACCURACY, MM_MK_PRECISION, MM_MK_RECALL, MM_MK_F1};
	double		want[] = {5.0 / 8, 3.0 / 4, 3.0 / 5, 2 * 0.75 * 0.6 / 1.35};
	mm_err		err = {0};
	int			isnull;

	for (int k = 0; k < 4; k++)
	{
		state		s = new_state(kinds[k], k ? MM_MT_HAS_POSITIVE : 0, 1.0, NULL);

		for (int i = 0; i < 8; i++)
			add_f64(&s, yp[i], yt[i]);
		CHECK_STATUS(mm_mt_validate(s.b, s.size, &err), MM_OK, &err, "binary state validates");
		CHECK_NEAR(scalar(&s, &isnull), want[k], 1e-15, mm_metric_name(kinds[k]));
	}
	{
		state		s = new_state(MM_MK_PRECISION, MM_MT_HAS_POSITIVE, 1.0, NULL);

		add_f64(&s, 0, 1);
		add_f64(&s, 0, 0);
		CHECK_NEAR(scalar(&s, &isnull), 0.0, 0, "precision without predicted positives is 0");
	}
	{
		state		s = new_state(MM_MK_ACCURACY, 0, 0, NULL);

		CHECK(scalar(&s, &isnull) == 0 && isnull, "zero rows: undefined");
		mm_mt_skip(s.b);
		CHECK(scalar(&s, &isnull) == 0 && isnull, "only skipped rows: undefined");
	}
}

static void
test_multiclass_text(void)
{
	/* sklearn: f1_score(["a","b","c","a","b","c"], ["a","c","b","a","a","c"], average=...) */
	const char *yt[] = {"a", "b", "c", "a", "b", "c"},
			   *yp[] = {"a", "c", "b", "a", "a", "c"};
	state		ma = new_state(MM_MK_F1_MACRO, MM_MT_TEXT, 0, NULL),
				wa = new_state(MM_MK_F1_WEIGHTED, MM_MT_TEXT, 0, NULL),
				cm = new_state(MM_MK_CONFUSION, MM_MT_TEXT, 0, NULL),
				tp = new_state(MM_MK_F1, MM_MT_TEXT, 0, NULL);
	mm_cm_matrix m;
	mm_err		err = {0};
	int			isnull;
	double		f_a = 0.8,
				f_b = 0,
				f_c = 0.5;

	for (int i = 0; i < 6; i++)
	{
		add_text(&ma, yp[i], yt[i]);
		add_text(&wa, yp[i], yt[i]);
		add_text(&cm, yp[i], yt[i]);
		add_text(&tp, yp[i], yt[i]);
	}
	CHECK_NEAR(scalar(&ma, &isnull), (f_a + f_b + f_c) / 3, 1e-15, "f1_macro text");
	CHECK_NEAR(scalar(&wa, &isnull), (2 * f_a + 2 * f_b + 2 * f_c) / 6, 1e-15, "f1_weighted text");
	CHECK_STATUS(mm_mt_scalar(tp.b, &unit_alloc, &f_a, &isnull, &err), MM_EDATA, &err,
				 "text f1 without positive and 3 labels is an error");
	CHECK_STATUS(mm_cm_matrix_get(cm.b, &unit_alloc, &m, &err), MM_OK, &err, "confusion matrix");
	CHECK(m.k == 3 && m.text && memcmp(m.names[0], "a", 1) == 0 && memcmp(m.names[2], "c", 1) == 0, "labels sorted");
	CHECK(m.counts[0] == 2 && m.counts[1 * 3 + 2] == 1 && m.counts[2 * 3 + 1] == 1 && m.counts[1 * 3 + 0] == 1,
		  "counts by (actual, predicted)");
}

static void
test_growth_and_merge(void)
{
	state		a = new_state(MM_MK_ACCURACY, MM_MT_TEXT, 0, NULL),
				b = new_state(MM_MK_ACCURACY, MM_MT_TEXT, 0, NULL),
				all = new_state(MM_MK_ACCURACY, MM_MT_TEXT, 0, NULL),
				f = new_state(MM_MK_ACCURACY, 0, 0, NULL),
				ff = new_state(MM_MK_F1, MM_MT_HAS_POSITIVE, 1.0, NULL),
				ff0 = new_state(MM_MK_F1, MM_MT_HAS_POSITIVE, 0.0, NULL);
	char		lab[200],
				lab2[200];
	mm_err		err = {0};
	int			isnull,
				ok = 1;
	double		va,
				vall;

	for (int i = 0; i < 300; i++)
	{
		/* long labels force the pool to grow, many labels the class table */
		snprintf(lab, sizeof(lab), "label-%03d-%0100d", i % 40, i % 40);
		snprintf(lab2, sizeof(lab2), "label-%03d-%0100d", (i * 7) % 40, (i * 7) % 40);
		add_text(i % 3 ? &a : &b, lab, lab2);
		add_text(&all, lab, lab2);
	}
	CHECK_STATUS(mm_mt_validate(a.b, a.size, &err), MM_OK, &err, "grown text state validates");
	CHECK_STATUS(merge(&a, &b, &err), MM_OK, &err, "merge text states");
	va = scalar(&a, &isnull);
	vall = scalar(&all, &isnull);
	CHECK_NEAR(va, vall, 0, "merged accuracy equals single-pass accuracy");
	CHECK_STATUS(mm_mt_validate(a.b, a.size, &err), MM_OK, &err, "merged state validates");
	CHECK_STATUS(merge(&a, &f, &err), MM_EMISMATCH, &err, "text and float8 states do not merge");
	CHECK_STATUS(merge(&ff, &ff0, &err), MM_EMISMATCH, &err, "states with different positives do not merge");
	CHECK_STATUS(merge(&f, &ff, &err), MM_EMISMATCH, &err, "accuracy and f1 states do not merge");
	for (int i = 0; i < MM_MT_MAX_CLASSES && ok; i++)
		ok = add_f64(&f, i, i);
	CHECK(ok, "1000 labels fit");
	CHECK(!add_f64(&f, -1, -1), "label 1001 is refused");
}

/* Adds a row the way the SQL transition does: the memo is checked first and refreshed after growth. */
static void
add_f64_memo(state *s, mm_cm_memo *memo, int kind, double p, double a)
{
	mm_err		err;

	if (!mm_cm_memo_match(memo, s->b, s->size) &&
		mm_cm_memo_check(memo, s->b, s->size, kind, 0, &err) != MM_OK)
		abort();
	while (!mm_cm_add_f64_memo(s->b, memo, p, a))
	{
		if (!grow(s, 0) || mm_cm_memo_check(memo, s->b, s->size, kind, 0, &err) != MM_OK)
			abort();
	}
}

static void
add_text_memo(state *s, mm_cm_memo *memo, int kind, const char *p, const char *a)
{
	mm_err		err;
	uint32_t	pl = (uint32_t) strlen(p),
				al = (uint32_t) strlen(a);

	if (!mm_cm_memo_match(memo, s->b, s->size) &&
		mm_cm_memo_check(memo, s->b, s->size, kind, 1, &err) != MM_OK)
		abort();
	while (!mm_cm_add_text_memo(s->b, memo, p, pl, a, al))
	{
		if (!grow(s, pl + al) || mm_cm_memo_check(memo, s->b, s->size, kind, 1, &err) != MM_OK)
			abort();
	}
}

static void
test_memo(void)
{
	state		f = new_state(MM_MK_CONFUSION, 0, 0, NULL),
				fm = new_state(MM_MK_CONFUSION, 0, 0, NULL),
				t = new_state(MM_MK_CONFUSION, MM_MT_TEXT, 0, NULL),
				tm = new_state(MM_MK_CONFUSION, MM_MT_TEXT, 0, NULL),
				pr = new_state(MM_MK_ROC_AUC, 0, 0, NULL);
	mm_cm_memo	memo = {0},
				tmemo = {0};
	mm_err		err = {0};
	char		lab[64],
				lab2[64];
	uint32_t	v;

	/* the memo path counts exactly what the plain path counts, through growth (9 labels, -0.0) */
	for (int i = 0; i < 500; i++)
	{
		double		a = (i * 7) % 9 - 4,
					p = (i % 5 == 0) ? a : (i * 3) % 9 - 4;

		if (a == 0 && i % 2)
			a = -0.0;
		add_f64(&f, p, a);
		add_f64_memo(&fm, &memo, MM_MK_CONFUSION, p, a);
		snprintf(lab, sizeof(lab), "class-%d", (i * 7) % 13);
		snprintf(lab2, sizeof(lab2), "class-%d", (i % 4 == 0) ? (i * 7) % 13 : (i * 5) % 13);
		add_text(&t, lab2, lab);
		add_text_memo(&tm, &tmemo, MM_MK_CONFUSION, lab2, lab);
	}
	CHECK(f.size == fm.size && memcmp(f.b, fm.b, f.size) == 0, "memo path: float8 state identical to the plain path");
	CHECK(t.size == tm.size && memcmp(t.b, tm.b, t.size) == 0, "memo path: text state identical to the plain path");
	CHECK_STATUS(mm_mt_validate(fm.b, fm.size, &err), MM_OK, &err, "memo-path state validates");

	/* what the memo recognises: the same shape, whatever the counts */
	CHECK_STATUS(mm_cm_memo_check(&memo, fm.b, fm.size, MM_MK_CONFUSION, 0, &err), MM_OK, &err, "memo of a state");
	CHECK(mm_cm_memo_match(&memo, fm.b, fm.size), "memo matches its state");
	CHECK(!mm_cm_memo_match(&memo, fm.b, fm.size - 8), "memo: other size does not match");
	fm.b[16] ^= 1;				/* row count */
	CHECK(mm_cm_memo_match(&memo, fm.b, fm.size), "memo: row count is not part of the shape");
	fm.b[16] ^= 1;
	fm.b[7] = MM_MK_ACCURACY;	/* kind */
	CHECK(!mm_cm_memo_match(&memo, fm.b, fm.size), "memo: other kind does not match");
	fm.b[7] = MM_MK_CONFUSION;
	memcpy(&v, fm.b + 44, 4);	/* kcap */
	v++;
	memcpy(fm.b + 44, &v, 4);
	CHECK(!mm_cm_memo_match(&memo, fm.b, fm.size), "memo: other class capacity does not match");
	v--;
	memcpy(fm.b + 44, &v, 4);
	v++;
	memcpy(fm.b + 40, &v, 4);	/* k > kcap */
	CHECK(!mm_cm_memo_match(&memo, fm.b, fm.size), "memo: more classes than capacity does not match");
	CHECK_STATUS(mm_cm_memo_check(&memo, fm.b, fm.size, MM_MK_CONFUSION, 0, &err), MM_ECORRUPT, &err,
				 "memo check refuses k > kcap");
	CHECK(memo.size == 0 && !mm_cm_memo_match(&memo, fm.b, fm.size), "a failed check leaves the memo empty");
	v = 9;
	memcpy(fm.b + 40, &v, 4);
	CHECK_STATUS(mm_cm_memo_check(&memo, fm.b, fm.size, MM_MK_ACCURACY, 0, &err), MM_EMISMATCH, &err,
				 "memo check: other kind is a mismatch");
	CHECK_STATUS(mm_cm_memo_check(&memo, fm.b, fm.size, MM_MK_CONFUSION, 1, &err), MM_EMISMATCH, &err,
				 "memo check: other label type is a mismatch");
	CHECK_STATUS(mm_cm_memo_check(&memo, pr.b, pr.size, 0, -1, &err), MM_EMISMATCH, &err,
				 "memo check: a pairs state has no class counts");
	{
		mm_cm_memo	empty = {0};

		CHECK(!mm_cm_memo_match(&empty, pr.b, 0), "an empty memo matches nothing");
	}
	CHECK_STATUS(mm_cm_memo_check(&tmemo, tm.b, tm.size, MM_MK_CONFUSION, 1, &err), MM_OK, &err, "memo of a text state");
	memcpy(&v, tm.b + 52, 4);	/* pool capacity */
	memcpy(tm.b + 48, &v, 4);
	CHECK(tmemo.pcap == v && mm_cm_memo_match(&tmemo, tm.b, tm.size), "memo: pool used up to capacity matches");
	v++;
	memcpy(tm.b + 48, &v, 4);
	CHECK(!mm_cm_memo_match(&tmemo, tm.b, tm.size), "memo: pool used over capacity does not match");
}

static void
test_pairs(void)
{
	double		s[] = {0.1, 0.4, 0.35, 0.8};
	int			y[] = {0, 0, 1, 1};
	state		a = new_state(MM_MK_ROC_AUC, 0, 0, NULL),
				big = new_state(MM_MK_ROC_AUC, 0, 0, NULL),
				h1 = new_state(MM_MK_ROC_AUC, 0, 0, NULL),
				h2 = new_state(MM_MK_ROC_AUC, 0, 0, NULL);
	mm_curve	c;
	mm_err		err = {0};
	int			isnull;
	uint64_t	less = 0,
				eq = 0,
				np = 0,
				nn = 0;

	for (int i = 0; i < 4; i++)
		add_pair(&a, s[i], y[i]);
	CHECK_NEAR(scalar(&a, &isnull), 0.75, 1e-15, "roc_auc of sklearn's example");
	CHECK_STATUS(mm_pairs_roc_curve(a.b, &unit_alloc, &c, &isnull, &err), MM_OK, &err, "roc curve");
	CHECK(c.npoints == 5 && c.threshold[0] == 1.8 && c.x[2] == 0.5 && c.y[3] == 1, "roc curve points");
	CHECK_STATUS(mm_pairs_pr_curve(a.b, &unit_alloc, &c, &isnull, &err), MM_OK, &err, "pr curve");
	CHECK(c.npoints == 5 && c.threshold[0] == 0.1 && fabs(c.x[1] - 2.0 / 3) < 1e-15 && c.last_threshold_null,
		  "pr curve points");

	/* many tied scores: compare with a direct O(n^2) Mann-Whitney count */
	srand(7);
	for (int i = 0; i < 3000; i++)
	{
		double		sc = (double) (rand() % 50) - 25;
		int			lab = rand() % 3 == 0;

		add_pair(&big, sc, lab);
		add_pair(i % 2 ? &h1 : &h2, sc, lab);
	}
	{
		uint64_t	cap;
		double	   *pos,
				   *neg;
		mm_mt_caps	caps;

		mm_mt_caps_read(big.b, &caps);
		cap = caps.cap;
		memcpy(&np, big.b + 32, 8);
		memcpy(&nn, big.b + 40, 8);
		pos = (double *) unit_alloc.alloc(NULL, np * 8);
		neg = (double *) unit_alloc.alloc(NULL, nn * 8);
		memcpy(pos, big.b + MM_MT_HDRSZ, np * 8);
		memcpy(neg, big.b + MM_MT_HDRSZ + (cap - nn) * 8, nn * 8);
		for (uint64_t i = 0; i < np; i++)
			for (uint64_t j = 0; j < nn; j++)
			{
				less += neg[j] < pos[i];
				eq += neg[j] == pos[i];
			}
	}
	CHECK_NEAR(scalar(&big, &isnull), (less + 0.5 * eq) / ((double) np * nn), 1e-14, "roc_auc with ties = Mann-Whitney");
	CHECK_STATUS(merge(&h1, &h2, &err), MM_OK, &err, "merge pairs states");
	CHECK_NEAR(scalar(&h1, &isnull), scalar(&big, &isnull), 0, "merged roc_auc equals single pass");
	CHECK_STATUS(mm_mt_validate(h1.b, h1.size, &err), MM_OK, &err, "merged pairs state validates");

	{
		state		one = new_state(MM_MK_ROC_AUC, 0, 0, NULL);

		add_pair(&one, 0.3, 1);
		add_pair(&one, 0.4, 1);
		scalar(&one, &isnull);
		CHECK(isnull, "roc_auc with one class is undefined");
	}
}

static void
test_sort(void)
{
	double		v[2000];
	int			ok = 1;
	mm_err		err = {0};

	srand(3);
	for (int i = 0; i < 2000; i++)
		v[i] = ((double) rand() / RAND_MAX - 0.5) * pow(10, rand() % 20 - 10);
	v[5] = 0.0;
	v[6] = -1e300;
	v[7] = 1e300;
	CHECK_STATUS(mm_sort_f64(v, 2000, &unit_alloc, &err), MM_OK, &err, "radix sort");
	for (int i = 1; i < 2000; i++)
		ok &= v[i - 1] <= v[i];
	CHECK(ok && v[0] == -1e300 && v[1999] == 1e300, "sorted ascending across signs and magnitudes");
}

static void
test_moments(void)
{
	double		yt[] = {3, -0.5, 2, 7},
				yp[] = {2.5, 0.0, 2, 8};
	int			kinds[] = {MM_MK_MSE, MM_MK_RMSE, MM_MK_MAE, MM_MK_R2};
	double		want[] = {0.375, sqrt(0.375), 0.5, 0.9486081370449679};
	int			isnull;
	mm_err		err = {0};

	for (int k = 0; k < 4; k++)
	{
		state		s = new_state(kinds[k], 0, 0, NULL),
					h = new_state(kinds[k], 0, 0, NULL);

		for (int i = 0; i < 4; i++)
			mm_moments_add(i < 2 ? s.b : h.b, yp[i], yt[i]);
		CHECK_STATUS(merge(&s, &h, &err), MM_OK, &err, "merge moments");
		CHECK_NEAR(scalar(&s, &isnull), want[k], 1e-15, mm_metric_name(kinds[k]));
	}
	{
		state		s = new_state(MM_MK_LOG_LOSS, 0, 0, NULL);

		mm_logloss_add(s.b, 0.9, 1);
		mm_logloss_add(s.b, 0.0, 0);
		mm_logloss_add(s.b, 1.0, 0);
		CHECK_NEAR(scalar(&s, &isnull), (-log(0.9) - log(1 - 1e-15) - log(1 - (1 - 1e-15))) / 3, 1e-15,
				   "log_loss clips to [1e-15, 1 - 1e-15]");
	}
}

static void
test_corruption(void)
{
	state		s = new_state(MM_MK_CONFUSION, MM_MT_TEXT, 0, NULL);
	mm_err		err = {0};
	int			bad = 0;

	add_text(&s, "x", "yy");
	add_text(&s, "zzz", "x");
	CHECK_STATUS(mm_mt_validate(s.b, s.size, &err), MM_OK, &err, "valid state");
	CHECK_STATUS(mm_mt_validate(s.b, s.size - 1, &err), MM_ECORRUPT, &err, "truncated state");
	CHECK_STATUS(mm_mt_validate(s.b, 10, &err), MM_ECORRUPT, &err, "short state");
	/* every single-bit flip: either rejected or still a state whose final value can be computed */
	for (size_t i = 0; i < s.size; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			mm_cm_matrix m;

			s.b[i] ^= (uint8_t) (1 << bit);
			if (mm_mt_validate(s.b, s.size, &err) == MM_OK &&
				mm_cm_matrix_get(s.b, &unit_alloc, &m, &err) != MM_OK)
				bad++;
			s.b[i] ^= (uint8_t) (1 << bit);
		}
	CHECK_EQ(bad, 0, "bit flips are rejected or harmless");
	s.b[16] ^= 1;
	CHECK_STATUS(mm_mt_validate(s.b, s.size, &err), MM_ECORRUPT, &err, "row count not matching the counts");
}

int
main(void)
{
	test_binary();
	test_multiclass_text();
	test_growth_and_merge();
	test_memo();
	test_pairs();
	test_sort();
	test_moments();
	test_corruption();
	return unit_summary();
}
