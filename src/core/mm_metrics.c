/*
 * mm_metrics.c: metric states (classification counts, scored pairs, regression moments),
 * their validation, merging and scikit-learn-compatible final values.
 */
#include "mm_metrics.h"

#include <math.h>
#include <string.h>

/* Field offsets of the common header and the family fields. */
#define OFF_MAGIC	0
#define OFF_VERSION 4
#define OFF_FAMILY	6
#define OFF_KIND	7
#define OFF_FLAGS	8
#define OFF_RSV0	12
#define OFF_N		16
#define OFF_SKIP	24
/* class */
#define OFF_POS		32
#define OFF_K		40
#define OFF_KCAP	44
#define OFF_PUSED	48
#define OFF_PCAP	52
#define OFF_POSLEN	56
#define OFF_RSV1	60
/* pairs */
#define OFF_NPOS	32
#define OFF_NNEG	40
#define OFF_CAP		48
#define OFF_RSV2	56
/* moments */
#define OFF_S1		32
#define OFF_S2		40
#define OFF_MEAN	48
#define OFF_M2		56

int
mm_metric_family_of(int kind)
{
	if (kind >= MM_MK_ACCURACY && kind <= MM_MK_CONFUSION)
		return MM_MF_CLASS;
	if (kind >= MM_MK_ROC_AUC && kind <= MM_MK_AVG_PRECISION)
		return MM_MF_PAIRS;
	if (kind >= MM_MK_MSE && kind <= MM_MK_LOG_LOSS_MULTI)
		return MM_MF_MOMENTS;
	return 0;
}

const char *
mm_metric_name(int kind)
{
	switch (kind)
	{
		case MM_MK_ACCURACY:
			return "accuracy";
		case MM_MK_PRECISION:
			return "precision";
		case MM_MK_RECALL:
			return "recall";
		case MM_MK_F1:
			return "f1";
		case MM_MK_PRECISION_MACRO:
			return "precision_macro";
		case MM_MK_RECALL_MACRO:
			return "recall_macro";
		case MM_MK_F1_MACRO:
			return "f1_macro";
		case MM_MK_PRECISION_WEIGHTED:
			return "precision_weighted";
		case MM_MK_RECALL_WEIGHTED:
			return "recall_weighted";
		case MM_MK_F1_WEIGHTED:
			return "f1_weighted";
		case MM_MK_CONFUSION:
			return "confusion_matrix";
		case MM_MK_ROC_AUC:
			return "roc_auc";
		case MM_MK_ROC_CURVE:
			return "roc_curve";
		case MM_MK_PR_CURVE:
			return "pr_curve";
		case MM_MK_MSE:
			return "mse";
		case MM_MK_RMSE:
			return "rmse";
		case MM_MK_MAE:
			return "mae";
		case MM_MK_R2:
			return "r2";
		case MM_MK_LOG_LOSS:
			return "log_loss";
		case MM_MK_AVG_PRECISION:
			return "average_precision";
		case MM_MK_LOG_LOSS_MULTI:
			return "log_loss_multiclass";
	}
	return "unknown";
}

int
mm_metric_binary(int kind)
{
	return kind == MM_MK_PRECISION || kind == MM_MK_RECALL || kind == MM_MK_F1;
}

/* ---------- class-state layout ---------- */

typedef struct cm_view
{
	uint8_t    *st;
	uint32_t	flags;
	uint32_t	k,
				kcap,
				pused,
				pcap,
				poslen;
	uint8_t    *pos;
	uint8_t    *counts;
	uint8_t    *labels;			/* f64[kcap] (float) */
	uint8_t    *off;			/* u32[kcap] (text) */
	uint8_t    *len;			/* u32[kcap] (text) */
	uint8_t    *pool;
} cm_view;

static size_t
cm_size(uint32_t flags, uint32_t poslen, uint32_t kcap, uint32_t pcap)
{
	size_t		s = MM_MT_HDRSZ + (size_t) poslen + (size_t) 8 * kcap * kcap;

	if (flags & MM_MT_TEXT)
		s += (size_t) 8 * kcap + pcap;
	else
		s += (size_t) 8 * kcap;
	return s;
}

static void
cm_map(const uint8_t *cst, cm_view *v)
{
	uint8_t    *st = (uint8_t *) cst;

	v->st = st;
	v->flags = mm_load_u32(st + OFF_FLAGS);
	v->k = mm_load_u32(st + OFF_K);
	v->kcap = mm_load_u32(st + OFF_KCAP);
	v->pused = mm_load_u32(st + OFF_PUSED);
	v->pcap = mm_load_u32(st + OFF_PCAP);
	v->poslen = mm_load_u32(st + OFF_POSLEN);
	v->pos = st + MM_MT_HDRSZ;
	v->counts = v->pos + v->poslen;
	v->labels = v->counts + (size_t) 8 * v->kcap * v->kcap;
	v->off = v->labels;
	v->len = v->off + (size_t) 4 * v->kcap;
	v->pool = v->len + (size_t) 4 * v->kcap;
}

static inline uint8_t *
cm_cell(const cm_view *v, uint32_t a, uint32_t p)
{
	return v->counts + 8 * ((size_t) a * v->kcap + p);
}

/* Index of a float label, adding it if there is room; -1 when full. */
static inline int64_t
cm_find_f64(cm_view *v, double x)
{
	uint32_t	i = 0;

	if (v->k >= 2)
	{
		/* two classes, the common case: found without a branch on which one it is */
		i = mm_load_f64(v->labels + 8) == x;
		if (mm_load_f64(v->labels + 8 * (size_t) i) == x)
			return i;
		i = 2;
	}
	for (; i < v->k; i++)
		if (mm_load_f64(v->labels + 8 * (size_t) i) == x)
			return i;
	if (v->k == v->kcap)
		return -1;
	mm_store_f64(v->labels + 8 * (size_t) v->k, x);
	v->k++;
	mm_store_u32(v->st + OFF_K, v->k);
	return v->k - 1;
}

static inline int64_t
cm_lookup_text(const cm_view *v, const void *b, uint32_t len)
{
	for (uint32_t i = 0; i < v->k; i++)
	{
		uint32_t	o = mm_load_u32(v->off + 4 * (size_t) i);

		/* the bounds test keeps a damaged state from reading outside its pool */
		if (mm_load_u32(v->len + 4 * (size_t) i) == len && len <= v->pused && o <= v->pused - len &&
			memcmp(v->pool + o, b, len) == 0)
			return i;
	}
	return -1;
}

static inline int64_t
cm_find_text(cm_view *v, const void *b, uint32_t len)
{
	int64_t		i = cm_lookup_text(v, b, len);

	if (i >= 0)
		return i;
	if (v->k == v->kcap || len > v->pcap - v->pused)
		return -1;
	memcpy(v->pool + v->pused, b, len);
	mm_store_u32(v->off + 4 * (size_t) v->k, v->pused);
	mm_store_u32(v->len + 4 * (size_t) v->k, len);
	v->pused += len;
	v->k++;
	mm_store_u32(v->st + OFF_K, v->k);
	mm_store_u32(v->st + OFF_PUSED, v->pused);
	return v->k - 1;
}

static inline void
cm_count(cm_view *v, uint32_t a, uint32_t p, uint64_t c)
{
	uint8_t    *cell = cm_cell(v, a, p);

	mm_store_u64(cell, mm_load_u64(cell) + c);
	mm_store_u64(v->st + OFF_N, mm_load_u64(v->st + OFF_N) + c);
}

/* Counts a float label pair; 0 when a new label does not fit. */
static inline int
cm_add_f64(cm_view *v, double predicted, double actual)
{
	int64_t		ia,
				ip;

	predicted += 0.0;			/* -0.0 -> 0.0 */
	actual += 0.0;
	if ((ia = cm_find_f64(v, actual)) < 0 || (ip = cm_find_f64(v, predicted)) < 0)
		return 0;
	cm_count(v, (uint32_t) ia, (uint32_t) ip, 1);
	return 1;
}

/* Counts a text label pair; 0 when a new label does not fit. */
static inline int
cm_add_text(cm_view *v, const void *pb, uint32_t plen, const void *ab, uint32_t alen)
{
	int64_t		ia,
				ip;

	if ((ia = cm_find_text(v, ab, alen)) < 0)
		return 0;
	if (plen == alen && memcmp(pb, ab, alen) == 0)
		ip = ia;
	else if ((ip = cm_find_text(v, pb, plen)) < 0)
		return 0;
	cm_count(v, (uint32_t) ia, (uint32_t) ip, 1);
	return 1;
}

int
mm_cm_add_f64(uint8_t *st, double predicted, double actual)
{
	cm_view		v;

	cm_map(st, &v);
	return cm_add_f64(&v, predicted, actual);
}

int
mm_cm_add_text(uint8_t *st, const void *pb, uint32_t plen, const void *ab, uint32_t alen)
{
	cm_view		v;

	cm_map(st, &v);
	return cm_add_text(&v, pb, plen, ab, alen);
}

/* The view of a state that matched memo: the layout comes from the memo, k and pool use from the state. */
static inline void
cm_map_memo(uint8_t *st, const mm_cm_memo *memo, cm_view *v)
{
	v->st = st;
	v->flags = memo->flags;
	v->k = mm_load_u32(st + OFF_K);
	v->kcap = memo->kcap;
	v->pused = mm_load_u32(st + OFF_PUSED);
	v->pcap = memo->pcap;
	v->poslen = memo->poslen;
	v->pos = st + MM_MT_HDRSZ;
	v->counts = v->pos + v->poslen;
	v->labels = st + memo->labels;
	v->off = v->labels;
	v->len = v->off + (size_t) 4 * v->kcap;
	v->pool = v->len + (size_t) 4 * v->kcap;
}

int
mm_cm_add_f64_memo(uint8_t *st, const mm_cm_memo *memo, double predicted, double actual)
{
	cm_view		v;

	cm_map_memo(st, memo, &v);
	return cm_add_f64(&v, predicted, actual);
}

int
mm_cm_add_text_memo(uint8_t *st, const mm_cm_memo *memo, const void *pb, uint32_t plen,
					const void *ab, uint32_t alen)
{
	cm_view		v;

	cm_map_memo(st, memo, &v);
	return cm_add_text(&v, pb, plen, ab, alen);
}

/* ---------- pairs ---------- */

int
mm_pairs_add(uint8_t *st, double score, int positive)
{
	uint64_t	np = mm_load_u64(st + OFF_NPOS),
				nn = mm_load_u64(st + OFF_NNEG),
				cap = mm_load_u64(st + OFF_CAP);

	if (np + nn >= cap)
		return 0;
	if (positive)
	{
		mm_store_f64(st + MM_MT_HDRSZ + 8 * np, score + 0.0);
		mm_store_u64(st + OFF_NPOS, np + 1);
	}
	else
	{
		mm_store_f64(st + MM_MT_HDRSZ + 8 * (cap - nn - 1), score + 0.0);
		mm_store_u64(st + OFF_NNEG, nn + 1);
	}
	mm_store_u64(st + OFF_N, np + nn + 1);
	return 1;
}

/* ---------- moments ---------- */

void
mm_moments_add(uint8_t *st, double predicted, double actual)
{
	uint64_t	n = mm_load_u64(st + OFF_N) + 1;
	double		e = actual - predicted,
				mean = mm_load_f64(st + OFF_MEAN),
				d = actual - mean;

	mm_store_f64(st + OFF_S1, mm_load_f64(st + OFF_S1) + e * e);
	mm_store_f64(st + OFF_S2, mm_load_f64(st + OFF_S2) + fabs(e));
	mean += d / (double) n;
	mm_store_f64(st + OFF_MEAN, mean);
	mm_store_f64(st + OFF_M2, mm_load_f64(st + OFF_M2) + d * (actual - mean));
	mm_store_u64(st + OFF_N, n);
}

void
mm_logloss_add(uint8_t *st, double prob, int positive)
{
	double		p = prob;

	if (p < MM_MT_LOGLOSS_EPS)
		p = MM_MT_LOGLOSS_EPS;
	else if (p > 1 - MM_MT_LOGLOSS_EPS)
		p = 1 - MM_MT_LOGLOSS_EPS;
	mm_store_f64(st + OFF_S1, mm_load_f64(st + OFF_S1) - log(positive ? p : 1 - p));
	mm_store_u64(st + OFF_N, mm_load_u64(st + OFF_N) + 1);
}

/* ---------- multiclass log loss ---------- */

static inline double
ll_clip(double p)
{
	return p < MM_MT_LOGLOSS_EPS ? MM_MT_LOGLOSS_EPS : p > 1 - MM_MT_LOGLOSS_EPS ? 1 - MM_MT_LOGLOSS_EPS : p;
}

double
mm_mll_row_loss(const double *p, uint32_t k, uint32_t truth)
{
	double		sum = 0,
				pt;

	if (k == 1)
	{
		double		q1 = ll_clip(p[0]),
					q0 = ll_clip(1 - p[0]);

		sum = q0 + q1;
		pt = truth ? q1 : q0;
	}
	else
	{
		for (uint32_t i = 0; i < k; i++)
			sum += ll_clip(p[i]);
		pt = ll_clip(p[truth]);
	}
	return -log(pt / sum);
}

void
mm_mll_add(uint8_t *st, uint32_t k, uint64_t fingerprint, double loss)
{
	if (mm_load_u64(st + OFF_N) == 0)
	{
		mm_store_u64(st + OFF_S2, k);
		mm_store_u64(st + OFF_MEAN, fingerprint);
	}
	mm_store_f64(st + OFF_S1, mm_load_f64(st + OFF_S1) + loss);
	mm_store_u64(st + OFF_N, mm_load_u64(st + OFF_N) + 1);
}

int
mm_mll_matches(const uint8_t *st, uint32_t k, uint64_t fingerprint)
{
	return mm_load_u64(st + OFF_N) == 0 ||
		(mm_load_u64(st + OFF_S2) == k && mm_load_u64(st + OFF_MEAN) == fingerprint);
}

uint32_t
mm_mll_classes(const uint8_t *st)
{
	return (uint32_t) mm_load_u64(st + OFF_S2);
}

uint64_t
mm_mll_fingerprint(int tag, uint32_t nlabels, const void *const *labels, const uint32_t *lens)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	uint8_t		b[4];

#define FNV_BYTE(x) (h = (h ^ (uint8_t) (x)) * 0x100000001b3ULL)
	FNV_BYTE(tag);
	for (uint32_t i = 0; i < nlabels; i++)
	{
		mm_store_u32(b, lens[i]);
		for (int t = 0; t < 4; t++)
			FNV_BYTE(b[t]);
		for (uint32_t t = 0; t < lens[i]; t++)
			FNV_BYTE(((const uint8_t *) labels[i])[t]);
	}
#undef FNV_BYTE
	h = mm_fmix64(h);
	return h ? h : 1;
}

/* ---------- header, sizes, init ---------- */

void
mm_mt_info_read(const uint8_t *st, mm_mt_info *info)
{
	info->family = st[OFF_FAMILY];
	info->kind = st[OFF_KIND];
	info->flags = mm_load_u32(st + OFF_FLAGS);
	info->n = mm_load_u64(st + OFF_N);
	info->skipped = mm_load_u64(st + OFF_SKIP);
}

void
mm_mt_skip(uint8_t *st)
{
	mm_store_u64(st + OFF_SKIP, mm_load_u64(st + OFF_SKIP) + 1);
}

size_t
mm_mt_state_size(int kind, uint32_t flags, uint32_t poslen, const mm_mt_caps *caps)
{
	switch (mm_metric_family_of(kind))
	{
		case MM_MF_CLASS:
			if (caps->kcap > MM_MT_MAX_CLASSES || caps->poolcap > MM_MT_MAX_POOL || poslen > MM_MT_MAX_POOL)
				return 0;
			return cm_size(flags, poslen, caps->kcap, (flags & MM_MT_TEXT) ? caps->poolcap : 0);
		case MM_MF_PAIRS:
			if (caps->cap > MM_MT_MAX_PAIRS)
				return 0;
			return MM_MT_HDRSZ + (size_t) caps->cap * 8;
		case MM_MF_MOMENTS:
			return MM_MT_HDRSZ;
	}
	return 0;
}

void
mm_mt_initial_caps(int kind, mm_mt_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	switch (mm_metric_family_of(kind))
	{
		case MM_MF_CLASS:
			caps->kcap = 4;
			caps->poolcap = 64;
			break;
		case MM_MF_PAIRS:
			caps->cap = 64;
			break;
	}
}

void
mm_mt_init(uint8_t *st, size_t size, int kind, uint32_t flags, double positive,
		   const void *posbytes, uint32_t poslen, const mm_mt_caps *caps)
{
	int			fam = mm_metric_family_of(kind);

	memset(st, 0, size);
	mm_store_u32(st + OFF_MAGIC, MM_MT_MAGIC);
	st[OFF_VERSION] = MM_MT_VERSION & 0xff;
	st[OFF_VERSION + 1] = MM_MT_VERSION >> 8;
	st[OFF_FAMILY] = (uint8_t) fam;
	st[OFF_KIND] = (uint8_t) kind;
	mm_store_u32(st + OFF_FLAGS, flags);
	if (fam == MM_MF_CLASS)
	{
		mm_store_u32(st + OFF_KCAP, caps->kcap);
		if (flags & MM_MT_TEXT)
			mm_store_u32(st + OFF_PCAP, caps->poolcap);
		if (flags & MM_MT_HAS_POSITIVE)
		{
			if (flags & MM_MT_TEXT)
			{
				mm_store_u32(st + OFF_POSLEN, poslen);
				if (poslen)
					memcpy(st + MM_MT_HDRSZ, posbytes, poslen);
			}
			else
				mm_store_f64(st + OFF_POS, positive + 0.0);
		}
	}
	else if (fam == MM_MF_PAIRS)
		mm_store_u64(st + OFF_CAP, caps->cap);
}

void
mm_mt_caps_read(const uint8_t *st, mm_mt_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	if (st[OFF_FAMILY] == MM_MF_CLASS)
	{
		caps->kcap = mm_load_u32(st + OFF_KCAP);
		caps->poolcap = mm_load_u32(st + OFF_PCAP);
	}
	else if (st[OFF_FAMILY] == MM_MF_PAIRS)
		caps->cap = mm_load_u64(st + OFF_CAP);
}

void
mm_mt_caps_tight(const uint8_t *st, mm_mt_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	if (st[OFF_FAMILY] == MM_MF_CLASS)
	{
		caps->kcap = mm_load_u32(st + OFF_K);
		caps->poolcap = mm_load_u32(st + OFF_PUSED);
	}
	else if (st[OFF_FAMILY] == MM_MF_PAIRS)
		caps->cap = mm_load_u64(st + OFF_N);
}

void
mm_mt_relayout(const uint8_t *src, uint8_t *dst, size_t dstsize, const mm_mt_caps *caps)
{
	int			fam = src[OFF_FAMILY];

	memset(dst, 0, dstsize);
	memcpy(dst, src, MM_MT_HDRSZ);
	if (fam == MM_MF_CLASS)
	{
		cm_view		s,
					d;

		cm_map(src, &s);
		mm_store_u32(dst + OFF_KCAP, caps->kcap);
		if (s.flags & MM_MT_TEXT)
			mm_store_u32(dst + OFF_PCAP, caps->poolcap);
		cm_map(dst, &d);
		memcpy(d.pos, s.pos, s.poslen);
		for (uint32_t a = 0; a < s.k; a++)
			memcpy(cm_cell(&d, a, 0), cm_cell(&s, a, 0), (size_t) 8 * s.k);
		if (s.flags & MM_MT_TEXT)
		{
			memcpy(d.off, s.off, (size_t) 4 * s.k);
			memcpy(d.len, s.len, (size_t) 4 * s.k);
			memcpy(d.pool, s.pool, s.pused);
		}
		else
			memcpy(d.labels, s.labels, (size_t) 8 * s.k);
	}
	else if (fam == MM_MF_PAIRS)
	{
		uint64_t	np = mm_load_u64(src + OFF_NPOS),
					nn = mm_load_u64(src + OFF_NNEG),
					scap = mm_load_u64(src + OFF_CAP);

		mm_store_u64(dst + OFF_CAP, caps->cap);
		memcpy(dst + MM_MT_HDRSZ, src + MM_MT_HDRSZ, 8 * np);
		memcpy(dst + MM_MT_HDRSZ + 8 * (caps->cap - nn), src + MM_MT_HDRSZ + 8 * (scap - nn), 8 * nn);
	}
}

mm_status
mm_mt_grow_caps(const uint8_t *st, uint32_t need, mm_mt_caps *caps, mm_err *err)
{
	mm_mt_caps_read(st, caps);
	if (st[OFF_FAMILY] == MM_MF_CLASS)
	{
		uint32_t	k = mm_load_u32(st + OFF_K),
					pused = mm_load_u32(st + OFF_PUSED);

		if (k >= caps->kcap)
		{
			if (caps->kcap >= MM_MT_MAX_CLASSES)
				return mm_fail(err, MM_ENOMEM, "more than %d distinct labels", MM_MT_MAX_CLASSES);
			caps->kcap = caps->kcap < 2 ? 4 : caps->kcap * 2;
			if (caps->kcap > MM_MT_MAX_CLASSES)
				caps->kcap = MM_MT_MAX_CLASSES;
		}
		if (mm_load_u32(st + OFF_FLAGS) & MM_MT_TEXT)
		{
			uint64_t	want = (uint64_t) pused + need;

			if (want > MM_MT_MAX_POOL)
				return mm_fail(err, MM_ENOMEM, "labels longer than %u bytes in total", MM_MT_MAX_POOL);
			while (caps->poolcap < want)
				caps->poolcap = caps->poolcap < 32 ? 64 : caps->poolcap * 2;
			if (caps->poolcap > MM_MT_MAX_POOL)
				caps->poolcap = MM_MT_MAX_POOL;
		}
	}
	else if (st[OFF_FAMILY] == MM_MF_PAIRS)
	{
		if (caps->cap >= MM_MT_MAX_PAIRS)
			return mm_fail(err, MM_ENOMEM, "too many rows for a ranking metric state");
		caps->cap = caps->cap < 32 ? 64 : caps->cap * 2;
		if (caps->cap > MM_MT_MAX_PAIRS)
			caps->cap = MM_MT_MAX_PAIRS;
	}
	return MM_OK;
}

/* ---------- validation ---------- */

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

mm_status
mm_mt_check_shape(const uint8_t *st, size_t size, int kind, int text, mm_err *err)
{
	int			fam,
				k;
	uint32_t	flags;

	if (size < MM_MT_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "metric state is truncated (%zu bytes)", size);
	if (mm_load_u32(st + OFF_MAGIC) != MM_MT_MAGIC)
		return mm_fail(err, MM_ECORRUPT, "not a metric state");
	if ((st[OFF_VERSION] | (st[OFF_VERSION + 1] << 8)) != MM_MT_VERSION)
		return mm_fail(err, MM_ECORRUPT, "unsupported metric state version %u", st[OFF_VERSION] | (st[OFF_VERSION + 1] << 8));
	fam = st[OFF_FAMILY];
	k = st[OFF_KIND];
	flags = mm_load_u32(st + OFF_FLAGS);
	if (mm_metric_family_of(k) == 0 || mm_metric_family_of(k) != fam)
		return mm_fail(err, MM_ECORRUPT, "metric state has an unknown metric kind %d", k);
	if ((flags & ~MM_MT_FLAGS_ALL) || (fam != MM_MF_CLASS && flags != 0) || mm_load_u32(st + OFF_RSV0) != 0)
		return mm_fail(err, MM_ECORRUPT, "metric state header is invalid");
	if (kind != 0 && k != kind)
		return mm_fail(err, MM_EMISMATCH, "a state of metric %s cannot be used by %s", mm_metric_name(k), mm_metric_name(kind));
	if (text >= 0 && ((flags & MM_MT_TEXT) != 0) != (text != 0))
		return mm_fail(err, MM_EMISMATCH, "%s state has %s labels", mm_metric_name(k), (flags & MM_MT_TEXT) ? "text" : "float8");
	if (fam == MM_MF_CLASS)
	{
		uint32_t	kk = mm_load_u32(st + OFF_K),
					kcap = mm_load_u32(st + OFF_KCAP),
					pused = mm_load_u32(st + OFF_PUSED),
					pcap = mm_load_u32(st + OFF_PCAP),
					poslen = mm_load_u32(st + OFF_POSLEN);

		if (kk > kcap || kcap > MM_MT_MAX_CLASSES || poslen > MM_MT_MAX_POOL || pcap > MM_MT_MAX_POOL ||
			pused > pcap || (!(flags & MM_MT_TEXT) && pcap != 0) ||
			(poslen != 0 && (flags & (MM_MT_TEXT | MM_MT_HAS_POSITIVE)) != (MM_MT_TEXT | MM_MT_HAS_POSITIVE)))
			return mm_fail(err, MM_ECORRUPT, "metric state header is invalid");
		if (size != cm_size(flags, poslen, kcap, pcap))
			return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
	}
	else if (fam == MM_MF_PAIRS)
	{
		uint64_t	np = mm_load_u64(st + OFF_NPOS),
					nn = mm_load_u64(st + OFF_NNEG),
					cap = mm_load_u64(st + OFF_CAP);

		if (cap > MM_MT_MAX_PAIRS || size != MM_MT_HDRSZ + 8 * cap)
			return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
		if (np > cap || nn > cap - np || np + nn != mm_load_u64(st + OFF_N))
			return mm_fail(err, MM_ECORRUPT, "metric state counts do not add up to its row count");
	}
	else if (size != MM_MT_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
	return MM_OK;
}

mm_status
mm_cm_memo_check(mm_cm_memo *memo, const uint8_t *st, size_t size, int kind, int text, mm_err *err)
{
	mm_status	rc;

	memo->size = 0;
	if ((rc = mm_mt_check_shape(st, size, kind, text, err)) != MM_OK)
		return rc;
	if (st[OFF_FAMILY] != MM_MF_CLASS)
		return mm_fail(err, MM_EMISMATCH, "a state of metric %s has no class counts", mm_metric_name(st[OFF_KIND]));
	memo->w0 = mm_load_u64(st + OFF_MAGIC);
	memo->w1 = mm_load_u64(st + OFF_FLAGS);
	memo->w7 = mm_load_u64(st + OFF_POSLEN);
	memo->kcap = mm_load_u32(st + OFF_KCAP);
	memo->pcap = mm_load_u32(st + OFF_PCAP);
	memo->flags = mm_load_u32(st + OFF_FLAGS);
	memo->poslen = mm_load_u32(st + OFF_POSLEN);
	memo->labels = MM_MT_HDRSZ + (size_t) memo->poslen + (size_t) 8 * memo->kcap * memo->kcap;
	memo->size = size;
	return MM_OK;
}

size_t
mm_mt_size_for(const uint8_t *st, const mm_mt_caps *caps)
{
	return mm_mt_state_size(st[OFF_KIND], mm_load_u32(st + OFF_FLAGS), st[OFF_FAMILY] == MM_MF_CLASS ? mm_load_u32(st + OFF_POSLEN) : 0, caps);
}


static mm_status
validate_class(const uint8_t *st, size_t size, int kind, uint32_t flags, mm_err *err)
{
	cm_view		v;
	uint64_t	n = mm_load_u64(st + OFF_N),
				sum = 0;
	int			text = (flags & MM_MT_TEXT) != 0;
	double		pos = mm_load_f64(st + OFF_POS);

	cm_map(st, &v);
	if (mm_load_u32(st + OFF_RSV1) != 0)
		return mm_fail(err, MM_ECORRUPT, "metric state has nonzero reserved bytes");
	if ((flags & MM_MT_HAS_POSITIVE) && !mm_metric_binary(kind))
		return mm_fail(err, MM_ECORRUPT, "metric state has a positive class for a metric without one");
	if (mm_metric_binary(kind) && !text && !(flags & MM_MT_HAS_POSITIVE))
		return mm_fail(err, MM_ECORRUPT, "metric state lacks its positive class");
	if (((flags & MM_MT_HAS_POSITIVE) && !text) ? !mm_isfinite(pos) : mm_load_u64(st + OFF_POS) != 0)
		return mm_fail(err, MM_ECORRUPT, "metric state has an invalid positive class");
	if (!((flags & MM_MT_HAS_POSITIVE) && text) && v.poslen != 0)
		return mm_fail(err, MM_ECORRUPT, "metric state has an invalid positive class");
	if (v.k > v.kcap || v.kcap > MM_MT_MAX_CLASSES || v.poslen > MM_MT_MAX_POOL ||
		v.pcap > MM_MT_MAX_POOL || v.pused > v.pcap || (!text && v.pcap != 0))
		return mm_fail(err, MM_ECORRUPT, "metric state header is invalid");
	if (size != cm_size(flags, v.poslen, v.kcap, v.pcap))
		return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
	for (uint32_t a = 0; a < v.kcap; a++)
		for (uint32_t p = 0; p < v.kcap; p++)
		{
			uint64_t	c = mm_load_u64(cm_cell(&v, a, p));

			if (a >= v.k || p >= v.k)
			{
				if (c != 0)
					return mm_fail(err, MM_ECORRUPT, "metric state has counts for unused classes");
			}
			else if (c > UINT64_MAX - sum)
				return mm_fail(err, MM_ECORRUPT, "metric state counts overflow");
			else
				sum += c;
		}
	if (sum != n)
		return mm_fail(err, MM_ECORRUPT, "metric state counts do not add up to its row count");
	if (!text)
	{
		for (uint32_t i = 0; i < v.kcap; i++)
		{
			double		x = mm_load_f64(v.labels + 8 * (size_t) i);

			if (i >= v.k ? mm_load_u64(v.labels + 8 * (size_t) i) != 0 : !mm_isfinite(x))
				return mm_fail(err, MM_ECORRUPT, "metric state has an invalid label");
			for (uint32_t j = 0; j < i && i < v.k; j++)
				if (mm_load_f64(v.labels + 8 * (size_t) j) == x)
					return mm_fail(err, MM_ECORRUPT, "metric state has duplicate labels");
		}
	}
	else
	{
		uint64_t	off = 0;

		for (uint32_t i = 0; i < v.kcap; i++)
		{
			uint32_t	o = mm_load_u32(v.off + 4 * (size_t) i),
						l = mm_load_u32(v.len + 4 * (size_t) i);

			if (i >= v.k)
			{
				if (o != 0 || l != 0)
					return mm_fail(err, MM_ECORRUPT, "metric state has an invalid label");
				continue;
			}
			if (o != off || l > v.pused - off)
				return mm_fail(err, MM_ECORRUPT, "metric state has an invalid label");
			off += l;
		}
		if (off != v.pused || !all_zero(v.pool + v.pused, v.pcap - v.pused))
			return mm_fail(err, MM_ECORRUPT, "metric state has an invalid label pool");
		for (uint32_t i = 1; i < v.k; i++)
		{
			cm_view		w = v;

			w.k = i;
			if (cm_lookup_text(&w, v.pool + mm_load_u32(v.off + 4 * (size_t) i), mm_load_u32(v.len + 4 * (size_t) i)) >= 0)
				return mm_fail(err, MM_ECORRUPT, "metric state has duplicate labels");
		}
	}
	return MM_OK;
}

static mm_status
validate_pairs(const uint8_t *st, size_t size, uint32_t flags, mm_err *err)
{
	uint64_t	n = mm_load_u64(st + OFF_N),
				np = mm_load_u64(st + OFF_NPOS),
				nn = mm_load_u64(st + OFF_NNEG),
				cap = mm_load_u64(st + OFF_CAP);

	if (flags != 0 || mm_load_u64(st + OFF_RSV2) != 0)
		return mm_fail(err, MM_ECORRUPT, "metric state header is invalid");
	if (cap > MM_MT_MAX_PAIRS || size != MM_MT_HDRSZ + 8 * cap)
		return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
	if (np > cap || nn > cap - np || np + nn != n)
		return mm_fail(err, MM_ECORRUPT, "metric state counts do not add up to its row count");
	for (uint64_t i = 0; i < cap; i++)
	{
		const uint8_t *p = st + MM_MT_HDRSZ + 8 * i;

		if (i < np || i >= cap - nn)
		{
			if (!mm_isfinite(mm_load_f64(p)))
				return mm_fail(err, MM_ECORRUPT, "metric state has a non-finite score");
		}
		else if (mm_load_u64(p) != 0)
			return mm_fail(err, MM_ECORRUPT, "metric state has nonzero unused bytes");
	}
	return MM_OK;
}

static mm_status
validate_moments(const uint8_t *st, size_t size, int kind, uint32_t flags, mm_err *err)
{
	double		s1 = mm_load_f64(st + OFF_S1),
				s2 = mm_load_f64(st + OFF_S2),
				mean = mm_load_f64(st + OFF_MEAN),
				m2 = mm_load_f64(st + OFF_M2);

	if (size != MM_MT_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "metric state size does not match its header");
	if (kind == MM_MK_LOG_LOSS_MULTI)
	{
		uint64_t	n = mm_load_u64(st + OFF_N),
					k = mm_load_u64(st + OFF_S2),
					fp = mm_load_u64(st + OFF_MEAN);

		if (flags != 0 || !mm_isfinite(s1) || s1 < 0 || mm_load_u64(st + OFF_M2) != 0 ||
			(n == 0 && (s1 != 0 || k != 0 || fp != 0)) || (n > 0 && (k < 1 || k > MM_MT_MAX_CLASSES)))
			return mm_fail(err, MM_ECORRUPT, "metric state has invalid moments");
		return MM_OK;
	}
	if (flags != 0 || !mm_isfinite(s1) || !mm_isfinite(s2) || !mm_isfinite(mean) || !mm_isfinite(m2) ||
		s1 < 0 || s2 < 0 || m2 < 0)
		return mm_fail(err, MM_ECORRUPT, "metric state has invalid moments");
	if ((mm_load_u64(st + OFF_N) == 0 && !all_zero(st + OFF_S1, 32)) ||
		(kind == MM_MK_LOG_LOSS && !all_zero(st + OFF_S2, 24)))
		return mm_fail(err, MM_ECORRUPT, "metric state has invalid moments");
	return MM_OK;
}

mm_status
mm_mt_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_status	rc;

	if ((rc = mm_mt_check_shape(st, size, 0, -1, err)) != MM_OK)
		return rc;
	switch (st[OFF_FAMILY])
	{
		case MM_MF_CLASS:
			return validate_class(st, size, st[OFF_KIND], mm_load_u32(st + OFF_FLAGS), err);
		case MM_MF_PAIRS:
			return validate_pairs(st, size, mm_load_u32(st + OFF_FLAGS), err);
		default:
			return validate_moments(st, size, st[OFF_KIND], mm_load_u32(st + OFF_FLAGS), err);
	}
}

/* ---------- merging ---------- */

mm_status
mm_mt_merge_caps(const uint8_t *dst, const uint8_t *src, mm_mt_caps *caps, int *grow, mm_err *err)
{
	int			kind = dst[OFF_KIND],
				skind = src[OFF_KIND];
	uint32_t	flags = mm_load_u32(dst + OFF_FLAGS),
				sflags = mm_load_u32(src + OFF_FLAGS);

	*grow = 0;
	mm_mt_caps_read(dst, caps);
	if (kind != skind)
	{
		mm_fail(err, MM_EMISMATCH, "cannot combine states of metrics %s and %s", mm_metric_name(kind), mm_metric_name(skind));
		return MM_EMISMATCH;
	}
	if ((flags ^ sflags) & MM_MT_TEXT)
		return mm_fail(err, MM_EMISMATCH, "cannot combine %s states of text and float8 labels", mm_metric_name(kind));
	if (mm_metric_family_of(kind) == MM_MF_CLASS)
	{
		cm_view		d,
					s;
		uint32_t	missing = 0;
		uint64_t	bytes = 0;

		cm_map(dst, &d);
		cm_map(src, &s);
		if (flags != sflags || d.poslen != s.poslen || memcmp(d.pos, s.pos, d.poslen) != 0 ||
			mm_load_u64(dst + OFF_POS) != mm_load_u64(src + OFF_POS))
			return mm_fail(err, MM_EMISMATCH, "cannot combine %s states with different positive classes", mm_metric_name(kind));
		for (uint32_t i = 0; i < s.k; i++)
		{
			int			found;

			if (s.flags & MM_MT_TEXT)
			{
				uint32_t	l = mm_load_u32(s.len + 4 * (size_t) i);

				found = cm_lookup_text(&d, s.pool + mm_load_u32(s.off + 4 * (size_t) i), l) >= 0;
				if (!found)
					bytes += l;
			}
			else
			{
				double		x = mm_load_f64(s.labels + 8 * (size_t) i);

				found = 0;
				for (uint32_t j = 0; j < d.k && !found; j++)
					found = mm_load_f64(d.labels + 8 * (size_t) j) == x;
			}
			missing += !found;
		}
		if (d.k + missing > MM_MT_MAX_CLASSES)
			return mm_fail(err, MM_ENOMEM, "more than %d distinct labels", MM_MT_MAX_CLASSES);
		if (d.pused + bytes > MM_MT_MAX_POOL)
			return mm_fail(err, MM_ENOMEM, "labels longer than %u bytes in total", MM_MT_MAX_POOL);
		if (d.k + missing > d.kcap)
		{
			caps->kcap = d.k + missing;
			*grow = 1;
		}
		if (d.pused + bytes > d.pcap)
		{
			caps->poolcap = (uint32_t) (d.pused + bytes);
			*grow = 1;
		}
	}
	else if (kind == MM_MK_LOG_LOSS_MULTI)
	{
		if (mm_load_u64(src + OFF_N) > 0 &&
			!mm_mll_matches(dst, (uint32_t) mm_load_u64(src + OFF_S2), mm_load_u64(src + OFF_MEAN)))
			return mm_fail(err, MM_EMISMATCH, "cannot combine log_loss states of different classes (%llu and %llu probabilities, or other labels)",
						   (unsigned long long) mm_load_u64(dst + OFF_S2), (unsigned long long) mm_load_u64(src + OFF_S2));
	}
	else if (mm_metric_family_of(kind) == MM_MF_PAIRS)
	{
		uint64_t	need = mm_load_u64(dst + OFF_N) + mm_load_u64(src + OFF_N);

		if (need > MM_MT_MAX_PAIRS)
			return mm_fail(err, MM_ENOMEM, "too many rows for a ranking metric state");
		if (need > caps->cap)
		{
			caps->cap = need > caps->cap * 2 ? need : caps->cap * 2;
			if (caps->cap > MM_MT_MAX_PAIRS)
				caps->cap = MM_MT_MAX_PAIRS;
			*grow = 1;
		}
	}
	return MM_OK;
}

void
mm_mt_merge(uint8_t *dst, const uint8_t *src)
{
	int			fam = dst[OFF_FAMILY];
	uint64_t	n = mm_load_u64(dst + OFF_N),
				sn = mm_load_u64(src + OFF_N);

	mm_store_u64(dst + OFF_SKIP, mm_load_u64(dst + OFF_SKIP) + mm_load_u64(src + OFF_SKIP));
	if (fam == MM_MF_CLASS)
	{
		cm_view		d,
					s;
		uint32_t	map[MM_MT_MAX_CLASSES];

		cm_map(dst, &d);
		cm_map(src, &s);
		for (uint32_t i = 0; i < s.k; i++)
		{
			int64_t		j;

			if (s.flags & MM_MT_TEXT)
				j = cm_find_text(&d, s.pool + mm_load_u32(s.off + 4 * (size_t) i), mm_load_u32(s.len + 4 * (size_t) i));
			else
				j = cm_find_f64(&d, mm_load_f64(s.labels + 8 * (size_t) i));
			map[i] = (uint32_t) j;	/* room was checked by mm_mt_merge_caps */
		}
		for (uint32_t a = 0; a < s.k; a++)
			for (uint32_t p = 0; p < s.k; p++)
			{
				uint64_t	c = mm_load_u64(cm_cell(&s, a, p));

				if (c)
					cm_count(&d, map[a], map[p], c);
			}
	}
	else if (fam == MM_MF_PAIRS)
	{
		uint64_t	np = mm_load_u64(dst + OFF_NPOS),
					nn = mm_load_u64(dst + OFF_NNEG),
					cap = mm_load_u64(dst + OFF_CAP),
					snp = mm_load_u64(src + OFF_NPOS),
					snn = mm_load_u64(src + OFF_NNEG),
					scap = mm_load_u64(src + OFF_CAP);

		memcpy(dst + MM_MT_HDRSZ + 8 * np, src + MM_MT_HDRSZ, 8 * snp);
		memcpy(dst + MM_MT_HDRSZ + 8 * (cap - nn - snn), src + MM_MT_HDRSZ + 8 * (scap - snn), 8 * snn);
		mm_store_u64(dst + OFF_NPOS, np + snp);
		mm_store_u64(dst + OFF_NNEG, nn + snn);
		mm_store_u64(dst + OFF_N, n + sn);
	}
	else if (sn > 0)
	{
		double		na = (double) n,
					nb = (double) sn,
					nt = na + nb,
					ma = mm_load_f64(dst + OFF_MEAN),
					delta = mm_load_f64(src + OFF_MEAN) - ma;

		mm_store_f64(dst + OFF_S1, mm_load_f64(dst + OFF_S1) + mm_load_f64(src + OFF_S1));
		if (dst[OFF_KIND] == MM_MK_LOG_LOSS_MULTI)
		{
			/* classes and labels: checked equal by mm_mt_merge_caps, or dst had no row */
			memcpy(dst + OFF_S2, src + OFF_S2, 16);
		}
		else
			mm_store_f64(dst + OFF_S2, mm_load_f64(dst + OFF_S2) + mm_load_f64(src + OFF_S2));
		if (dst[OFF_KIND] != MM_MK_LOG_LOSS && dst[OFF_KIND] != MM_MK_LOG_LOSS_MULTI)
		{
			mm_store_f64(dst + OFF_MEAN, ma + delta * (nb / nt));
			mm_store_f64(dst + OFF_M2, mm_load_f64(dst + OFF_M2) + mm_load_f64(src + OFF_M2) + delta * delta * (na * nb / nt));
		}
		mm_store_u64(dst + OFF_N, n + sn);
	}
}

/* ---------- sorting ---------- */

static inline uint64_t
f64_key(double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	return (u >> 63) ? ~u : u ^ 0x8000000000000000ull;
}

static inline double
key_f64(uint64_t k)
{
	uint64_t	u = (k >> 63) ? k ^ 0x8000000000000000ull : ~k;
	double		d;

	memcpy(&d, &u, 8);
	return d;
}

mm_status
mm_sort_f64(double *v, size_t n, const mm_alloc *a, mm_err *err)
{
	uint64_t   *k,
			   *t,
			   *cnt;

	if (n < 2)
		return MM_OK;
	k = mm_alloc_array(a, 2 * n, sizeof(uint64_t));
	cnt = mm_alloc_array(a, 8 * 256, sizeof(uint64_t));
	if (!k || !cnt)
		return mm_fail(err, MM_ENOMEM, "out of memory sorting %zu scores", n);
	t = k + n;
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	key = f64_key(v[i]);

		k[i] = key;
		for (int b = 0; b < 8; b++)
			cnt[b * 256 + ((key >> (8 * b)) & 0xff)]++;
	}
	for (int b = 0; b < 8; b++)
	{
		uint64_t   *c = cnt + b * 256,
					sum = 0;
		uint64_t   *tmp;

		if (c[(k[0] >> (8 * b)) & 0xff] == n)
			continue;			/* every key has the same digit */
		for (int d = 0; d < 256; d++)
		{
			uint64_t	x = c[d];

			c[d] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
			t[c[(k[i] >> (8 * b)) & 0xff]++] = k[i];
		tmp = k;
		k = t;
		t = tmp;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = key_f64(k[i]);
	return MM_OK;
}

/* ---------- final values ---------- */

/* Sorted copies of a pairs state's positive and negative scores. */
static mm_status
pairs_sorted(const uint8_t *st, const mm_alloc *a, double **pos, uint64_t *np, double **neg, uint64_t *nn, mm_err *err)
{
	uint64_t	cap = mm_load_u64(st + OFF_CAP);
	double	   *p,
			   *q;
	mm_status	s;

	*np = mm_load_u64(st + OFF_NPOS);
	*nn = mm_load_u64(st + OFF_NNEG);
	p = mm_alloc_array(a, *np + *nn, sizeof(double));
	if (!p)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	q = p + *np;
	memcpy(p, st + MM_MT_HDRSZ, 8 * *np);
	memcpy(q, st + MM_MT_HDRSZ + 8 * (cap - *nn), 8 * *nn);
	for (uint64_t i = 0; i < *np + *nn; i++)
		p[i] += 0.0;			/* -0.0 ties with 0.0 */
	if ((s = mm_sort_f64(p, *np, a, err)) != MM_OK || (s = mm_sort_f64(q, *nn, a, err)) != MM_OK)
		return s;
	*pos = p;
	*neg = q;
	return MM_OK;
}

static mm_status
roc_auc(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err)
{
	double	   *p,
			   *q;
	uint64_t	np,
				nn,
				i = 0,
				j = 0,
				u2 = 0;
	mm_status	s;

	if (mm_load_u64(st + OFF_NPOS) == 0 || mm_load_u64(st + OFF_NNEG) == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	if ((s = pairs_sorted(st, a, &p, &np, &q, &nn, err)) != MM_OK)
		return s;
	for (uint64_t k = 0; k < np; k++)
	{
		double		x = p[k];

		while (i < nn && q[i] < x)
			i++;
		if (j < i)
			j = i;
		while (j < nn && q[j] <= x)
			j++;
		u2 += 2 * i + (j - i);
	}
	*out = (double) u2 / (2.0 * (double) np * (double) nn);
	return MM_OK;
}

/* Distinct thresholds, descending, with cumulative false and true positives (sklearn's _binary_clf_curve). */
static mm_status
clf_curve(const uint8_t *st, const mm_alloc *a, double **thr, double **fps, double **tps, size_t *m, mm_err *err)
{
	double	   *p,
			   *q,
			   *t,
			   *f,
			   *tp;
	uint64_t	np,
				nn,
				ip,
				in,
				cf = 0,
				ct = 0;
	size_t		k = 0;
	mm_status	s;

	if ((s = pairs_sorted(st, a, &p, &np, &q, &nn, err)) != MM_OK)
		return s;
	t = mm_alloc_array(a, 3 * (np + nn) + 1, sizeof(double));
	if (!t)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	f = t + np + nn;
	tp = f + np + nn;
	ip = np;
	in = nn;
	while (ip > 0 || in > 0)
	{
		double		x;

		if (ip == 0)
			x = q[in - 1];
		else if (in == 0)
			x = p[ip - 1];
		else
			x = p[ip - 1] > q[in - 1] ? p[ip - 1] : q[in - 1];
		while (ip > 0 && p[ip - 1] == x)
		{
			ip--;
			ct++;
		}
		while (in > 0 && q[in - 1] == x)
		{
			in--;
			cf++;
		}
		t[k] = x;
		f[k] = (double) cf;
		tp[k] = (double) ct;
		k++;
	}
	*thr = t;
	*fps = f;
	*tps = tp;
	*m = k;
	return MM_OK;
}

/*
 * scikit-learn's average_precision_score: sum over the distinct thresholds, descending, of
 * (R_k - R_{k-1}) P_k, the step-wise area under the precision-recall curve.
 */
static mm_status
average_precision(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err)
{
	double	   *t,
			   *f,
			   *tp,
				sum = 0,
				prev = 0,
				np;
	size_t		m;
	mm_status	s;

	if (mm_load_u64(st + OFF_NPOS) == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	if ((s = clf_curve(st, a, &t, &f, &tp, &m, err)) != MM_OK)
		return s;
	np = tp[m - 1];
	for (size_t i = 0; i < m; i++)
	{
		double		r = tp[i] / np;

		sum += (r - prev) * (tp[i] / (tp[i] + f[i]));
		prev = r;
	}
	*out = sum;
	return MM_OK;
}

static int
curve_alloc(const mm_alloc *a, mm_curve *c, size_t n)
{
	c->threshold = mm_alloc_array(a, 3 * n + 1, sizeof(double));
	if (!c->threshold)
		return 0;
	c->x = c->threshold + n;
	c->y = c->x + n;
	c->npoints = n;
	c->last_threshold_null = 0;
	return 1;
}

mm_status
mm_pairs_roc_curve(const uint8_t *st, const mm_alloc *a, mm_curve *c, int *isnull, mm_err *err)
{
	double	   *t,
			   *f,
			   *tp,
				fl,
				tl;
	size_t		m,
				k = 1;
	mm_status	s;

	*isnull = 0;
	if (mm_load_u64(st + OFF_NPOS) == 0 || mm_load_u64(st + OFF_NNEG) == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	if ((s = clf_curve(st, a, &t, &f, &tp, &m, err)) != MM_OK)
		return s;
	if (!curve_alloc(a, c, m + 1))
		return mm_fail(err, MM_ENOMEM, "out of memory");
	fl = f[m - 1];
	tl = tp[m - 1];
	c->threshold[0] = t[0] + 1;
	c->x[0] = 0;
	c->y[0] = 0;
	for (size_t i = 0; i < m; i++)
	{
		/* drop_intermediate: keep the ends and the corners of the step curve */
		if (m > 2 && i > 0 && i + 1 < m &&
			f[i + 1] - 2 * f[i] + f[i - 1] == 0 && tp[i + 1] - 2 * tp[i] + tp[i - 1] == 0)
			continue;
		c->threshold[k] = t[i];
		c->x[k] = f[i] / fl;
		c->y[k] = tp[i] / tl;
		k++;
	}
	c->npoints = k;
	return MM_OK;
}

mm_status
mm_pairs_pr_curve(const uint8_t *st, const mm_alloc *a, mm_curve *c, int *isnull, mm_err *err)
{
	double	   *t,
			   *f,
			   *tp,
				tl;
	size_t		m;
	mm_status	s;

	*isnull = 0;
	if (mm_load_u64(st + OFF_NPOS) == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	if ((s = clf_curve(st, a, &t, &f, &tp, &m, err)) != MM_OK)
		return s;
	if (!curve_alloc(a, c, m + 1))
		return mm_fail(err, MM_ENOMEM, "out of memory");
	tl = tp[m - 1];
	for (size_t i = 0; i < m; i++)
	{
		size_t		j = m - 1 - i;

		c->threshold[i] = t[j];
		c->x[i] = tp[j] / (tp[j] + f[j]);
		c->y[i] = tp[j] / tl;
	}
	c->threshold[m] = 0;
	c->x[m] = 1;
	c->y[m] = 0;
	c->last_threshold_null = 1;
	return MM_OK;
}

/* Label order: numeric for float labels, bytewise (then shorter first) for text. */
static int
cm_less(const cm_view *v, uint32_t i, uint32_t j)
{
	if (!(v->flags & MM_MT_TEXT))
		return mm_load_f64(v->labels + 8 * (size_t) i) < mm_load_f64(v->labels + 8 * (size_t) j);
	else
	{
		uint32_t	li = mm_load_u32(v->len + 4 * (size_t) i),
					lj = mm_load_u32(v->len + 4 * (size_t) j);
		int			c = memcmp(v->pool + mm_load_u32(v->off + 4 * (size_t) i), v->pool + mm_load_u32(v->off + 4 * (size_t) j),
							   li < lj ? li : lj);

		return c < 0 || (c == 0 && li < lj);
	}
}

static uint32_t *
cm_order(const cm_view *v, const mm_alloc *a)
{
	uint32_t   *perm = mm_alloc_array(a, v->k, sizeof(uint32_t));

	if (!perm)
		return NULL;
	for (uint32_t i = 0; i < v->k; i++)
	{
		uint32_t	j = i;

		while (j > 0 && cm_less(v, i, perm[j - 1]))
		{
			perm[j] = perm[j - 1];
			j--;
		}
		perm[j] = i;
	}
	return perm;
}

/* Index of the positive class, -1 if it never occurs; MM_EDATA if text labels need one. */
static mm_status
cm_positive(const cm_view *v, const uint32_t *perm, int64_t *q, mm_err *err)
{
	*q = -1;
	if (!(v->flags & MM_MT_TEXT))
	{
		double		pos = mm_load_f64(v->st + OFF_POS);

		for (uint32_t i = 0; i < v->k; i++)
			if (mm_load_f64(v->labels + 8 * (size_t) i) == pos)
				*q = i;
	}
	else if (v->flags & MM_MT_HAS_POSITIVE)
		*q = cm_lookup_text(v, v->pos, v->poslen);
	else if (v->k == 2)
		*q = perm[1];
	else
	{
		mm_fail(err, MM_EDATA, "%s needs a positive class: the text labels have %u distinct values, not 2",
				mm_metric_name(v->st[OFF_KIND]), v->k);
		mm_fail_detail(err, "Without a positive argument the positive class is the second of exactly two labels in sorted order.");
		return MM_EDATA;
	}
	return MM_OK;
}

static inline double
prf_div(double num, double den)
{
	return den == 0 ? 0.0 : num / den;
}

static inline double
fscore(double p, double r)
{
	double		den = p + r;

	return den == 0.0 ? 0.0 : 2 * p * r / den;
}

static mm_status
class_scalar(const uint8_t *st, const mm_alloc *a, double *out, mm_err *err)
{
	cm_view		v;
	int			kind = st[OFF_KIND];
	uint64_t	n = mm_load_u64(st + OFF_N);
	uint32_t   *perm;

	cm_map(st, &v);
	perm = cm_order(&v, a);
	if (!perm && v.k > 0)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	if (kind == MM_MK_ACCURACY)
	{
		uint64_t	tr = 0;

		for (uint32_t i = 0; i < v.k; i++)
			tr += mm_load_u64(cm_cell(&v, i, i));
		*out = (double) tr / (double) n;
		return MM_OK;
	}
	if (mm_metric_binary(kind))
	{
		int64_t		q;
		uint64_t	tp = 0,
					ps = 0,
					ts = 0;
		double		p,
					r;
		mm_status	s;

		if ((s = cm_positive(&v, perm, &q, err)) != MM_OK)
			return s;
		if (q >= 0)
		{
			tp = mm_load_u64(cm_cell(&v, (uint32_t) q, (uint32_t) q));
			for (uint32_t i = 0; i < v.k; i++)
			{
				ps += mm_load_u64(cm_cell(&v, i, (uint32_t) q));
				ts += mm_load_u64(cm_cell(&v, (uint32_t) q, i));
			}
		}
		p = prf_div((double) tp, (double) ps);
		r = prf_div((double) tp, (double) ts);
		*out = kind == MM_MK_PRECISION ? p : kind == MM_MK_RECALL ? r : fscore(p, r);
		return MM_OK;
	}
	else
	{
		int			weighted = kind >= MM_MK_PRECISION_WEIGHTED;
		int			which = weighted ? kind - MM_MK_PRECISION_WEIGHTED : kind - MM_MK_PRECISION_MACRO;
		double		sum = 0,
					wsum = 0;

		for (uint32_t ii = 0; ii < v.k; ii++)
		{
			uint32_t	c = perm[ii];
			uint64_t	tp = mm_load_u64(cm_cell(&v, c, c)),
						ps = 0,
						ts = 0;
			double		p,
						r,
						m;

			for (uint32_t i = 0; i < v.k; i++)
			{
				ps += mm_load_u64(cm_cell(&v, i, c));
				ts += mm_load_u64(cm_cell(&v, c, i));
			}
			p = prf_div((double) tp, (double) ps);
			r = prf_div((double) tp, (double) ts);
			m = which == 0 ? p : which == 1 ? r : fscore(p, r);
			if (weighted)
			{
				sum += m * (double) ts;
				wsum += (double) ts;
			}
			else
				sum += m;
		}
		*out = weighted ? prf_div(sum, wsum) : sum / (double) v.k;
		return MM_OK;
	}
}

mm_status
mm_mt_scalar(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err)
{
	int			kind = st[OFF_KIND];
	uint64_t	n = mm_load_u64(st + OFF_N);

	*isnull = 0;
	*out = 0;
	if (n == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	switch (kind)
	{
		case MM_MK_CONFUSION:
		case MM_MK_ROC_CURVE:
		case MM_MK_PR_CURVE:
			return mm_fail(err, MM_EINVAL, "%s has no scalar value", mm_metric_name(kind));
		case MM_MK_ROC_AUC:
			return roc_auc(st, a, out, isnull, err);
		case MM_MK_AVG_PRECISION:
			return average_precision(st, a, out, isnull, err);
		case MM_MK_MSE:
		case MM_MK_LOG_LOSS:
		case MM_MK_LOG_LOSS_MULTI:
			*out = mm_load_f64(st + OFF_S1) / (double) n;
			return MM_OK;
		case MM_MK_RMSE:
			*out = sqrt(mm_load_f64(st + OFF_S1) / (double) n);
			return MM_OK;
		case MM_MK_MAE:
			*out = mm_load_f64(st + OFF_S2) / (double) n;
			return MM_OK;
		case MM_MK_R2:
			{
				double		ssr = mm_load_f64(st + OFF_S1),
							sst = mm_load_f64(st + OFF_M2);

				if (n < 2)
					*isnull = 1;
				else if (sst == 0)
					*out = ssr == 0 ? 1.0 : 0.0;
				else
					*out = 1.0 - ssr / sst;
				return MM_OK;
			}
		default:
			return class_scalar(st, a, out, err);
	}
}

mm_status
mm_cm_matrix_get(const uint8_t *st, const mm_alloc *a, mm_cm_matrix *m, mm_err *err)
{
	cm_view		v;
	uint32_t   *perm;

	cm_map(st, &v);
	memset(m, 0, sizeof(*m));
	m->k = v.k;
	m->text = (v.flags & MM_MT_TEXT) != 0;
	perm = cm_order(&v, a);
	m->values = mm_alloc_array(a, v.k, sizeof(double));
	m->names = mm_alloc_array(a, v.k, sizeof(uint8_t *));
	m->lens = mm_alloc_array(a, v.k, sizeof(uint32_t));
	m->counts = mm_alloc_array(a, (size_t) v.k * v.k, sizeof(uint64_t));
	if (!perm || !m->values || !m->names || !m->lens || !m->counts)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < v.k; i++)
	{
		uint32_t	c = perm[i];

		if (m->text)
		{
			m->names[i] = v.pool + mm_load_u32(v.off + 4 * (size_t) c);
			m->lens[i] = mm_load_u32(v.len + 4 * (size_t) c);
		}
		else
			m->values[i] = mm_load_f64(v.labels + 8 * (size_t) c);
		for (uint32_t j = 0; j < v.k; j++)
			m->counts[(size_t) i * v.k + j] = mm_load_u64(cm_cell(&v, c, perm[j]));
	}
	return MM_OK;
}
