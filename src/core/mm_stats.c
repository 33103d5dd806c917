/*
 * mm_stats.c: describe (Welford/Chan moments, extremes, quartiles of a deterministic row sample),
 * corr_matrix (blocked co-moments folded with BLAS dsyrk, merged by Chan's formula) and the
 * stable split hash.
 */
#include "mm_stats.h"
#include "mm_linreg.h"
#include "mm_blas.h"
#include "mm_shuffle.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DS_HAVE_AVX 1
#endif
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static inline uint64_t
slot_u64(const double *blk, size_t i)
{
	uint64_t	u;

	memcpy(&u, blk + i, 8);
	return u;
}

static inline void
set_u64(double *blk, size_t i, uint64_t u)
{
	memcpy(blk + i, &u, 8);
}

static void
put_u32_at(uint8_t *st, size_t off, uint32_t v)
{
	mm_writer	w = {st + off, 0, 4};

	mm_put_u32(&w, v);
}

static void
put_u64_at(uint8_t *st, size_t off, uint64_t v)
{
	mm_writer	w = {st + off, 0, 8};

	mm_put_u64(&w, v);
}

static int
reserved_zero(const uint8_t *st, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (st[i] != 0)
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- describe */

/* moment arrays: field f of feature j is slot f * d + j */
#define FB_COUNT	0
#define FB_NULLS	1
#define FB_MEAN		2
#define FB_M2		3
#define FB_MIN		4
#define FB_MAX		5
#define FB_SHIFT	6			/* the first value: moments are kept of x - shift */
#define FB_SLOTS	7

/* sample entry slots: key, multiplicity, then d values */
#define EN_KEY		0
#define EN_COUNT	1
#define EN_VALS		2

static inline size_t
pad8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

uint32_t
mm_ds_sample_k(uint32_t d)
{
	uint32_t	k = MM_DS_SAMPLE_MAX;

	if (d == 0)
		return 0;
	if (d <= 62)
		return k;
	while (k > MM_DS_SAMPLE_MIN && (size_t) k * (d + 2) * 8 > MM_DS_SAMPLE_BYTES)
		k /= 2;
	return k;
}

uint32_t
mm_ds_capacity_max(uint32_t d)
{
	uint32_t	k = mm_ds_sample_k(d);

	return k + k / 2;
}

uint32_t
mm_ds_initial_capacity(uint32_t d)
{
	return d == 0 ? 0 : MM_DS_CAP0;
}

size_t
mm_ds_state_size(uint32_t d, size_t names_len, uint32_t cap)
{
	if (d > MM_DS_MAX_FEATURES || names_len > MM_DS_MAX_NAMES || (d == 0 && (names_len != 0 || cap != 0)) ||
		(d > 0 && (cap < 1 || cap > mm_ds_capacity_max(d))))
		return 0;
	if (d == 0)
		return MM_DS_HDRSZ;
	return MM_DS_HDRSZ + pad8(names_len) +
		8 * ((size_t) d * FB_SLOTS + (size_t) cap * (d + 2) + 3 * (size_t) cap + d);
}

static void
ds_write_header(uint8_t *st, uint32_t d, uint32_t cap, size_t names_len, uint64_t rows, size_t size,
				uint32_t nent, uint64_t tau)
{
	mm_writer	w = {st, 0, MM_DS_HDRSZ};

	mm_put_u32(&w, MM_DS_MAGIC);
	mm_put_u16(&w, MM_DS_VERSION);
	mm_put_u16(&w, MM_DS_KIND);
	mm_put_u32(&w, d);
	mm_put_u32(&w, mm_ds_sample_k(d));
	mm_put_u32(&w, cap);
	mm_put_u32(&w, (uint32_t) names_len);
	mm_put_u64(&w, rows);
	mm_put_u32(&w, (uint32_t) size);
	mm_put_u32(&w, nent);
	mm_put_u64(&w, tau);
	mm_put_u32(&w, 0);			/* mixed: set once a NULL element has been seen */
}

void
mm_ds_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap, const uint8_t *names, size_t names_len,
		   uint64_t null_rows)
{
	memset(st, 0, size);
	ds_write_header(st, d, cap, names_len, null_rows, size, 0, MM_DS_NO_THRESHOLD);
	if (d > 0)
	{
		double	   *feat = (double *) (void *) (st + MM_DS_HDRSZ + pad8(names_len));

		for (uint32_t j = 0; j < d; j++)
			set_u64(feat, (size_t) FB_NULLS * d + j, null_rows);
		if (names_len > 0)
			memcpy(st + MM_DS_HDRSZ, names, names_len);
	}
}

typedef struct ds_hdr
{
	uint32_t	d,
				k,
				cap,
				names_len,
				size,
				nent;
	uint64_t	rows,
				tau;
	uint32_t	mixed;
} ds_hdr;

static void
ds_read_header(const uint8_t *st, ds_hdr *h)
{
	h->d = mm_load_u32(st + 8);
	h->k = mm_load_u32(st + 12);
	h->cap = mm_load_u32(st + 16);
	h->names_len = mm_load_u32(st + 20);
	h->rows = mm_load_u64(st + 24);
	h->size = mm_load_u32(st + 32);
	h->nent = mm_load_u32(st + 36);
	h->tau = mm_load_u64(st + 40);
	h->mixed = mm_load_u32(st + 48);
}

uint32_t
mm_ds_dims(const uint8_t *st)
{
	return mm_load_u32(st + 8);
}

uint64_t
mm_ds_rows(const uint8_t *st)
{
	return mm_load_u64(st + 24);
}

uint32_t
mm_ds_entries(const uint8_t *st)
{
	return mm_load_u32(st + 36);
}

/* Byte offsets of the moment blocks and the sample entries. */
static inline size_t
ds_feat_off(const ds_hdr *h)
{
	return MM_DS_HDRSZ + pad8(h->names_len);
}

static inline size_t
ds_ent_off(const ds_hdr *h)
{
	return ds_feat_off(h) + 8 * (size_t) h->d * FB_SLOTS;
}

static mm_status
ds_check_names(const uint8_t *p, size_t len, uint32_t d, mm_err *err)
{
	size_t		pos = 0;

	for (uint32_t j = 0; j < d; j++)
	{
		uint32_t	l;

		if (len - pos < 4)
			return mm_fail(err, MM_ECORRUPT, "describe state: feature names are truncated");
		l = mm_load_u32(p + pos);
		pos += 4;
		if (l > len - pos)
			return mm_fail(err, MM_ECORRUPT, "describe state: feature names are truncated");
		if (memchr(p + pos, 0, l) != NULL)
			return mm_fail(err, MM_ECORRUPT, "describe state: a feature name contains a zero byte");
		pos += l;
	}
	if (pos != len)
		return mm_fail(err, MM_ECORRUPT, "describe state: feature names have trailing bytes");
	return MM_OK;
}

static int
ds_header_fields_ok(const uint8_t *st, size_t size, ds_hdr *h)
{
	if (size < MM_DS_HDRSZ || mm_load_u32(st) != MM_DS_MAGIC || mm_load_u32(st + 4) != (MM_DS_VERSION | (MM_DS_KIND << 16)))
		return 0;
	ds_read_header(st, h);
	if (h->d > MM_DS_MAX_FEATURES || h->k != mm_ds_sample_k(h->d) || h->nent > h->cap || h->size != size ||
		h->cap > h->k + h->k / 2 || h->names_len > MM_DS_MAX_NAMES)
		return 0;
	if (h->d == 0)
		return h->cap == 0 && h->names_len == 0 && size == MM_DS_HDRSZ;
	return h->cap >= 1 && size == MM_DS_HDRSZ + pad8(h->names_len) +
		8 * ((size_t) h->d * FB_SLOTS + (size_t) h->cap * (h->d + 2) + 3 * (size_t) h->cap + h->d);
}

mm_status
mm_ds_validate(const uint8_t *st, size_t size, mm_err *err)
{
	ds_hdr		h;
	size_t		want,
				slots;
	const uint8_t *feat,
			   *ent;
	uint64_t	total = 0;

	if (size < MM_DS_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "describe state is truncated (%zu bytes)", size);
	if (mm_load_u32(st) != MM_DS_MAGIC || (st[4] | (st[5] << 8)) != MM_DS_VERSION || (st[6] | (st[7] << 8)) != MM_DS_KIND)
		return mm_fail(err, MM_ECORRUPT, "not a describe state");
	ds_read_header(st, &h);
	if (h.k != mm_ds_sample_k(h.d) || h.nent > h.cap || h.mixed > 1 ||
		(h.d == 0 && (h.tau != MM_DS_NO_THRESHOLD || h.mixed != 0)))
		return mm_fail(err, MM_ECORRUPT, "describe state header is invalid");
	want = mm_ds_state_size(h.d, h.names_len, h.cap);
	if (want == 0 || want != size || h.size != size)
		return mm_fail(err, MM_ECORRUPT, "describe state size does not match its header");
	if (h.names_len > 0)
	{
		mm_status	rc = ds_check_names(st + MM_DS_HDRSZ, h.names_len, h.d, err);

		if (rc != MM_OK)
			return rc;
	}
	if (!reserved_zero(st, MM_DS_HDRSZ + h.names_len, ds_feat_off(&h)))
		return mm_fail(err, MM_ECORRUPT, "describe state header is invalid");
	feat = st + ds_feat_off(&h);
	ent = st + ds_ent_off(&h);
	slots = (size_t) h.d + 2;
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint8_t *b = feat + (size_t) j * 8;
		uint64_t	count = mm_load_u64(h.mixed ? b : feat),	/* unmixed: count[0] holds for all */
					nulls = mm_load_u64(b + 8 * FB_NULLS * (size_t) h.d);
		double		mean = mm_load_f64(b + 8 * FB_MEAN * (size_t) h.d),
					m2 = mm_load_f64(b + 8 * FB_M2 * (size_t) h.d),
					mn = mm_load_f64(b + 8 * FB_MIN * (size_t) h.d),
					mx = mm_load_f64(b + 8 * FB_MAX * (size_t) h.d),
					shift = mm_load_f64(b + 8 * FB_SHIFT * (size_t) h.d);

		if (count > h.rows || nulls != h.rows - count)
			return mm_fail(err, MM_ECORRUPT, "describe state: counts of feature %u are inconsistent", j + 1);
		if (count > 0 && (!mm_isfinite(mean) || !mm_isfinite(m2) || m2 < 0 || !mm_isfinite(mn) ||
						  !mm_isfinite(mx) || mn > mx || !mm_isfinite(shift)))
			return mm_fail(err, MM_ECORRUPT, "describe state: moments of feature %u are invalid", j + 1);
	}
	/* sample entries: keys below 2^53 and the threshold, multiplicities that add up */
	for (uint32_t i = 0; i < h.nent; i++)
	{
		const uint8_t *e = ent + 8 * slots * i;
		uint64_t	key = mm_load_u64(e + 8 * EN_KEY),
					c = mm_load_u64(e + 8 * EN_COUNT);

		if (key >> 53 || key > h.tau || c < 1 || c > h.rows - total)
			return mm_fail(err, MM_ECORRUPT, "describe state: sample entry %u is invalid", i + 1);
		total += c;
		for (uint32_t j = 0; j < h.d; j++)
		{
			uint64_t	bits = mm_load_u64(e + 8 * (EN_VALS + j));
			double		x = mm_load_f64(e + 8 * (EN_VALS + j));

			if (bits != MM_DS_NULL_BITS && (!mm_isfinite(x) || bits == 0x8000000000000000ULL))
				return mm_fail(err, MM_ECORRUPT, "describe state: sample entry %u is invalid", i + 1);
		}
	}
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint8_t *b = feat + (size_t) j * 8;
		uint64_t	count = mm_load_u64(h.mixed ? b : feat),	/* unmixed: count[0] holds for all */
					nulls = mm_load_u64(b + 8 * FB_NULLS * (size_t) h.d),
					cv = 0,
					cn = 0;

		for (uint32_t i = 0; i < h.nent; i++)
		{
			const uint8_t *e = ent + 8 * slots * i;
			uint64_t	c = mm_load_u64(e + 8 * EN_COUNT);

			if (mm_load_u64(e + 8 * (EN_VALS + j)) == MM_DS_NULL_BITS)
				cn += c;
			else
				cv += c;
		}
		/* without a threshold every row is in the sample */
		if (cv > count || cn > nulls || (h.tau == MM_DS_NO_THRESHOLD && cv != count))
			return mm_fail(err, MM_ECORRUPT, "describe state: the sample of feature %u does not add up", j + 1);
	}
	return MM_OK;
}

int
mm_ds_header_ok(const uint8_t *st, size_t size)
{
	ds_hdr		h;

	return ds_header_fields_ok(st, size, &h);
}

static void
ds_map_header(uint8_t *st, const ds_hdr *hp, mm_ds_view *v)
{
	ds_hdr		h = *hp;

	v->d = h.d;
	v->k = h.k;
	v->cap = h.cap;
	v->nent = h.nent;
	v->names_len = h.names_len;
	v->rows = h.rows;
	v->tau = h.tau;
	v->mixed = h.mixed;
	v->names = h.names_len > 0 ? st + MM_DS_HDRSZ : NULL;
	if (h.d == 0)
	{
		v->feat = v->ent = v->row = NULL;
		v->scratch = NULL;
		return;
	}
	v->feat = (double *) (void *) (st + ds_feat_off(&h));
	v->ent = v->feat + (size_t) h.d * FB_SLOTS;
	v->scratch = (uint64_t *) (void *) (v->ent + (size_t) h.cap * (h.d + 2));
	v->row = (double *) (void *) (v->scratch + 3 * (size_t) h.cap);
}

void
mm_ds_map(uint8_t *st, mm_ds_view *v)
{
	ds_hdr		h;

	ds_read_header(st, &h);
	ds_map_header(st, &h, v);
}

int
mm_ds_open(uint8_t *st, size_t size, mm_ds_view *v)
{
	ds_hdr		h;

	if (!ds_header_fields_ok(st, size, &h))
		return 0;
	ds_map_header(st, &h, v);
	return 1;
}

static inline void
ds_put_counts(uint8_t *st, const mm_ds_view *v)
{
	mm_store_u64(st + 24, v->rows);
	mm_store_u32(st + 36, v->nent);
	mm_store_u64(st + 40, v->tau);
	mm_store_u32(st + 48, v->mixed);
}

uint32_t
mm_ds_grow_capacity(const mm_ds_view *v, uint64_t incoming)
{
	uint32_t	max = mm_ds_capacity_max(v->d);
	uint64_t	need = (uint64_t) v->nent + incoming,
				cap;

	if (v->d == 0 || need <= v->cap || v->cap >= max)
		return 0;
	cap = (uint64_t) v->cap * 2;
	if (cap < need)
		cap = need;
	if (cap > max)
		cap = max;
	return (uint32_t) cap;
}

void
mm_ds_resize(const uint8_t *src, const mm_ds_view *sv, uint8_t *dst, size_t dstsize, uint32_t cap, mm_ds_view *dv)
{
	size_t		keep = MM_DS_HDRSZ + pad8(sv->names_len) +
		8 * ((size_t) sv->d * FB_SLOTS + (size_t) sv->nent * (sv->d + 2));

	memcpy(dst, src, keep);
	memset(dst + keep, 0, dstsize - keep);
	put_u32_at(dst, 16, cap);
	put_u32_at(dst, 32, (uint32_t) dstsize);
	mm_ds_map(dst, dv);
}

/* Orders two entries' values by their bytes (the tie-break between rows that share a key). */
static inline int
ent_vals_cmp(const double *ent, size_t slots, uint32_t a, uint32_t b)
{
	return memcmp(ent + a * slots + EN_VALS, ent + b * slots + EN_VALS, (slots - EN_VALS) * 8);
}

/*
 * Finds the first `keep` distinct rows of ent[0..n) by (key, value bytes): each kept row's
 * first entry gets the multiplicity of all its copies, every other entry multiplicity 0.
 * Returns the number of rows kept; *last gets the key of the keep-th row when there are at
 * least keep distinct rows. scratch: 3 n slots.
 */
static uint32_t
ds_select(double *ent, uint32_t n, uint32_t d, uint32_t keep, uint64_t *scratch, uint64_t *last)
{
	size_t		slots = (size_t) d + 2;
	uint64_t   *keys = scratch,
			   *tmpk = scratch + n;
	uint32_t   *idx = (uint32_t *) (void *) (scratch + 2 * (size_t) n),
			   *tmpi = idx + n;
	uint32_t	kept = 0;

	for (uint32_t i = 0; i < n; i++)
	{
		keys[i] = slot_u64(ent + i * slots, EN_KEY) & ((1ULL << 56) - 1);
		idx[i] = i;
	}
	mm_sort_by_key(keys, idx, n, tmpk, tmpi);
	for (uint32_t a = 0; a < n;)
	{
		uint32_t	b = a + 1;

		while (b < n && keys[b] == keys[a])
			b++;
		/* a run of entries with one key: order by value bytes (insertion sort; copies compare equal) */
		for (uint32_t i = a + 1; i < b; i++)
		{
			uint32_t	x = idx[i],
						m = i;

			while (m > a && ent_vals_cmp(ent, slots, idx[m - 1], x) > 0)
			{
				idx[m] = idx[m - 1];
				m--;
			}
			idx[m] = x;
		}
		for (uint32_t i = a; i < b;)
		{
			uint32_t	r = idx[i],
						g = i + 1;
			uint64_t	c = slot_u64(ent + r * slots, EN_COUNT);

			while (g < b && ent_vals_cmp(ent, slots, r, idx[g]) == 0)
			{
				c += slot_u64(ent + idx[g] * slots, EN_COUNT);
				set_u64(ent + idx[g] * slots, EN_COUNT, 0);
				g++;
			}
			if (kept < keep)
			{
				set_u64(ent + r * slots, EN_COUNT, c);
				if (++kept == keep)
					*last = slot_u64(ent + r * slots, EN_KEY);
			}
			else
				set_u64(ent + r * slots, EN_COUNT, 0);
			i = g;
		}
		a = b;
	}
	return kept;
}

/*
 * Keeps the first min(k, cap - 1) distinct rows of a full sample, with their multiplicities,
 * and lowers the threshold to the last one's key when rows were dropped.
 */
static void
ds_compact(mm_ds_view *v)
{
	size_t		slots = (size_t) v->d + 2;
	uint32_t	keep = v->k < v->cap ? v->k : v->cap - 1,
				kept,
				j = 0;
	uint64_t	last = v->tau;

	kept = ds_select(v->ent, v->nent, v->d, keep, v->scratch, &last);
	if (kept == keep)
		v->tau = last;
	for (uint32_t i = 0; i < v->nent; i++)
	{
		double	   *e = v->ent + i * slots;

		if (slot_u64(e, EN_COUNT) == 0)
			continue;
		if (i != j)
			memcpy(v->ent + j * slots, e, slots * 8);
		j++;
	}
	v->nent = j;
}

/* Puts a row (d normalised values) with multiplicity c into the sample, compacting a full one first. */
static inline void
ds_sample_row(mm_ds_view *v, uint64_t key, uint64_t c, const double *row)
{
	double	   *e;

	if (v->nent >= v->cap)
	{
		ds_compact(v);
		if (key > v->tau)
			return;
	}
	e = v->ent + (size_t) v->nent++ * (v->d + 2);
	set_u64(e, EN_KEY, key);
	set_u64(e, EN_COUNT, c);
	memcpy(e + EN_VALS, row, (size_t) v->d * 8);
}

/* Welford's update on x - shift (the feature's first value), which keeps large offsets exact. */
static inline void
ds_add_value(double *blk, size_t dd, double x)
{
	uint64_t	n = slot_u64(blk, FB_COUNT * dd) + 1;
	double		y,
				mean,
				delta;

	if (n == 1)
	{
		blk[FB_SHIFT * dd] = x;
		blk[FB_MEAN * dd] = 0;
		blk[FB_M2 * dd] = 0;
		blk[FB_MIN * dd] = x;
		blk[FB_MAX * dd] = x;
	}
	else
	{
		y = x - blk[FB_SHIFT * dd];
		mean = blk[FB_MEAN * dd];
		delta = y - mean;
		mean += delta * (1.0 / (double) n);
		blk[FB_M2 * dd] += delta * (y - mean);
		blk[FB_MEAN * dd] = mean;
		if (x < blk[FB_MIN * dd])
			blk[FB_MIN * dd] = x;
		if (x > blk[FB_MAX * dd])
			blk[FB_MAX * dd] = x;
	}
	set_u64(blk, FB_COUNT * dd, n);
}

/*
 * Welford's update of features j0..d-1 by one row, all features having n - 1 values (inv = 1/n):
 * two at a time (SSE2), then one at a time.
 */
static inline void
ds_moments_from(double *feat, size_t d, const double *x, double inv, size_t j0)
{
	double	   *mean = feat + FB_MEAN * d,
			   *m2 = feat + FB_M2 * d,
			   *mn = feat + FB_MIN * d,
			   *mx = feat + FB_MAX * d;
	const double *sh = feat + FB_SHIFT * d;
	size_t		j = j0;

#ifdef __SSE2__
	__m128d		vinv = _mm_set1_pd(inv);

	for (; j + 2 <= d; j += 2)
	{
		__m128d		xv = _mm_loadu_pd(x + j),
					y = _mm_sub_pd(xv, _mm_loadu_pd(sh + j)),
					me = _mm_loadu_pd(mean + j),
					delta = _mm_sub_pd(y, me);

		me = _mm_add_pd(me, _mm_mul_pd(delta, vinv));
		_mm_storeu_pd(m2 + j, _mm_add_pd(_mm_loadu_pd(m2 + j), _mm_mul_pd(delta, _mm_sub_pd(y, me))));
		_mm_storeu_pd(mean + j, me);
		_mm_storeu_pd(mn + j, _mm_min_pd(xv, _mm_loadu_pd(mn + j)));	/* x < min ? x : min */
		_mm_storeu_pd(mx + j, _mm_max_pd(xv, _mm_loadu_pd(mx + j)));	/* x > max ? x : max */
	}
#endif
	for (; j < d; j++)
	{
		double		y = x[j] - sh[j],
					delta = y - mean[j],
					me = mean[j] + delta * inv;

		m2[j] += delta * (y - me);
		mean[j] = me;
		if (x[j] < mn[j])
			mn[j] = x[j];
		if (x[j] > mx[j])
			mx[j] = x[j];
	}
}

/* Welford's update of every feature by one row. */
static inline void
ds_moments_row(double *feat, size_t d, const double *x, double inv)
{
	ds_moments_from(feat, d, x, inv, 0);
}

#ifdef DS_HAVE_AVX
/*
 * ds_moments_row four features at a time on CPUs with AVX (the same operations per feature),
 * the rest by ds_moments_from.
 */
__attribute__((target("avx")))
static void
ds_moments_row_avx(double *feat, size_t d, const double *x, double inv)
{
	double	   *mean = feat + FB_MEAN * d,
			   *m2 = feat + FB_M2 * d,
			   *mn = feat + FB_MIN * d,
			   *mx = feat + FB_MAX * d;
	const double *sh = feat + FB_SHIFT * d;
	size_t		j = 0;
	__m256d		vinv = _mm256_set1_pd(inv);

	for (; j + 4 <= d; j += 4)
	{
		__m256d		xv = _mm256_loadu_pd(x + j),
					y = _mm256_sub_pd(xv, _mm256_loadu_pd(sh + j)),
					me = _mm256_loadu_pd(mean + j),
					delta = _mm256_sub_pd(y, me);

		me = _mm256_add_pd(me, _mm256_mul_pd(delta, vinv));
		_mm256_storeu_pd(m2 + j, _mm256_add_pd(_mm256_loadu_pd(m2 + j), _mm256_mul_pd(delta, _mm256_sub_pd(y, me))));
		_mm256_storeu_pd(mean + j, me);
		_mm256_storeu_pd(mn + j, _mm256_min_pd(xv, _mm256_loadu_pd(mn + j)));	/* x < min ? x : min */
		_mm256_storeu_pd(mx + j, _mm256_max_pd(xv, _mm256_loadu_pd(mx + j)));	/* x > max ? x : max */
	}
	ds_moments_from(feat, d, x, inv, j);
}
#endif

#define DS_MIX(h, w) ((h) = ((h) ^ (w)) * 0x9E3779B97F4A7C15ULL, (h) ^= (h) >> 29)

static inline uint64_t
ds_bits(const double *x)
{
	uint64_t	w;

	memcpy(&w, x, 8);
	return w;
}

uint64_t
mm_ds_row_key(const double *x, uint32_t d)
{
	uint64_t	h0 = 0x6d6d64735f6b6579ULL ^ ((uint64_t) d * 0x9E3779B97F4A7C15ULL),
				h1 = h0 ^ 0x1111111111111111ULL,
				h2 = h0 ^ 0x2222222222222222ULL,
				h3 = h0 ^ 0x3333333333333333ULL,
				h4 = h0 ^ 0x4444444444444444ULL,
				h5 = h0 ^ 0x5555555555555555ULL,
				h6 = h0 ^ 0x6666666666666666ULL,
				h7 = h0 ^ 0x7777777777777777ULL,
				h;
	uint32_t	j = 0;

	/* eight independent lanes, so the multiplications overlap */
	for (; j + 8 <= d; j += 8)
	{
		DS_MIX(h0, ds_bits(x + j));
		DS_MIX(h1, ds_bits(x + j + 1));
		DS_MIX(h2, ds_bits(x + j + 2));
		DS_MIX(h3, ds_bits(x + j + 3));
		DS_MIX(h4, ds_bits(x + j + 4));
		DS_MIX(h5, ds_bits(x + j + 5));
		DS_MIX(h6, ds_bits(x + j + 6));
		DS_MIX(h7, ds_bits(x + j + 7));
	}
	for (; j < d; j++)
		DS_MIX(h0, ds_bits(x + j));
	h0 ^= h4 * 0xC2B2AE3D27D4EB4FULL;
	h1 ^= h5 * 0xC2B2AE3D27D4EB4FULL;
	h2 ^= h6 * 0xC2B2AE3D27D4EB4FULL;
	h3 ^= h7 * 0xC2B2AE3D27D4EB4FULL;
	h = h0;
	DS_MIX(h, h1);
	DS_MIX(h, h2);
	DS_MIX(h, h3);
	return mm_fmix64(h ^ mm_fmix64(MM_DS_SEED)) >> 11;
}

void
mm_ds_add(uint8_t *st, mm_ds_view *v, const double *vals, const uint8_t *present)
{
	double	   *row = v->row;
	uint32_t	d = v->d;
	uint64_t	key;

	if (present == NULL)
	{
		uint64_t	c = slot_u64(v->feat, 0);

		if (!v->mixed && c > 0)
		{
			/* every feature has c values: one reciprocal for all */
#ifdef DS_HAVE_AVX
			if (__builtin_cpu_supports("avx"))
				ds_moments_row_avx(v->feat, d, vals, 1.0 / (double) (c + 1));
			else
#endif
				ds_moments_row(v->feat, d, vals, 1.0 / (double) (c + 1));
			set_u64(v->feat, 0, c + 1);	/* count[0] holds for all while unmixed */
		}
		else
			for (uint32_t j = 0; j < d; j++)
				ds_add_value(v->feat + j, d, vals[j]);
		key = mm_ds_row_key(vals, d);
		if (key <= v->tau)
		{
			for (uint32_t j = 0; j < d; j++)
				row[j] = vals[j] == 0 ? 0 : vals[j];	/* -0 and 0 are one value */
			ds_sample_row(v, key, 1, row);
		}
	}
	else
	{
		size_t		k = 0;

		if (!v->mixed)
			for (uint32_t j = 1; j < d; j++)
				set_u64(v->feat, j, slot_u64(v->feat, 0));
		for (uint32_t j = 0; j < d; j++)
		{
			double	   *blk = v->feat + j;

			if (!(present[j >> 3] & (1 << (j & 7))))
			{
				uint64_t	nb = MM_DS_NULL_BITS;

				set_u64(blk, FB_NULLS * (size_t) d, slot_u64(blk, FB_NULLS * (size_t) d) + 1);
				memcpy(row + j, &nb, 8);
				v->mixed = 1;
			}
			else
			{
				double		x = vals[k++];

				ds_add_value(blk, d, x);
				row[j] = x == 0 ? 0 : x;
			}
		}
		key = mm_ds_row_key(row, d);
		if (key <= v->tau)
			ds_sample_row(v, key, 1, row);
	}
	v->rows++;
	ds_put_counts(st, v);
}

void
mm_ds_add_null_rows(uint8_t *st, mm_ds_view *v, uint64_t k)
{
	size_t		dd = v->d;

	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + j;

		set_u64(blk, FB_NULLS * dd, slot_u64(blk, FB_NULLS * dd) + k);
	}
	v->rows += k;
	ds_put_counts(st, v);
}

mm_status
mm_ds_combine(uint8_t *dst, mm_ds_view *v, const uint8_t *src, size_t srcsize, mm_err *err)
{
	ds_hdr		s;
	mm_status	rc;
	const uint8_t *sfeat,
			   *sent;
	size_t		slots,
				dd = v->d;
	uint64_t	na0,
				nb0;

	if ((rc = mm_ds_validate(src, srcsize, err)) != MM_OK)
		return rc;
	ds_read_header(src, &s);
	if (s.d == 0)
	{
		mm_ds_add_null_rows(dst, v, s.rows);
		return MM_OK;
	}
	if (s.d != v->d)
		return mm_fail(err, MM_EMISMATCH, "cannot combine describe states of %u and %u features", v->d, s.d);
	if (s.names_len != v->names_len ||
		(s.names_len > 0 && memcmp(src + MM_DS_HDRSZ, v->names, s.names_len) != 0))
		return mm_fail(err, MM_EMISMATCH, "cannot combine describe states with different feature names");
	sfeat = src + ds_feat_off(&s);
	sent = src + ds_ent_off(&s);
	slots = (size_t) s.d + 2;
	/* an unmixed state's count[0] holds for every feature; every count is written below */
	na0 = slot_u64(v->feat, 0);
	nb0 = mm_load_u64(sfeat);
	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + j;
		const uint8_t *b = sfeat + (size_t) j * 8;
		uint64_t	na = v->mixed ? slot_u64(blk, FB_COUNT * dd) : na0,
					nb = s.mixed ? mm_load_u64(b + 8 * FB_COUNT * (size_t) s.d) : nb0;

		set_u64(blk, FB_NULLS * dd, slot_u64(blk, FB_NULLS * dd) + mm_load_u64(b + 8 * FB_NULLS * (size_t) s.d));
		if (nb == 0)
			continue;
		if (na == 0)
		{
			blk[FB_SHIFT * dd] = mm_load_f64(b + 8 * FB_SHIFT * (size_t) s.d);
			blk[FB_MEAN * dd] = mm_load_f64(b + 8 * FB_MEAN * (size_t) s.d);
			blk[FB_M2 * dd] = mm_load_f64(b + 8 * FB_M2 * (size_t) s.d);
			blk[FB_MIN * dd] = mm_load_f64(b + 8 * FB_MIN * (size_t) s.d);
			blk[FB_MAX * dd] = mm_load_f64(b + 8 * FB_MAX * (size_t) s.d);
		}
		else
		{
			double		fa = (double) na,
						fb = (double) nb,
						fn = fa + fb,
						delta = (mm_load_f64(b + 8 * FB_SHIFT * (size_t) s.d) - blk[FB_SHIFT * dd]) + (mm_load_f64(b + 8 * FB_MEAN * (size_t) s.d) - blk[FB_MEAN * dd]);

			blk[FB_M2 * dd] += mm_load_f64(b + 8 * FB_M2 * (size_t) s.d) + delta * delta * (fa * fb / fn);
			blk[FB_MEAN * dd] += delta * (fb / fn);
			if (mm_load_f64(b + 8 * FB_MIN * (size_t) s.d) < blk[FB_MIN * dd])
				blk[FB_MIN * dd] = mm_load_f64(b + 8 * FB_MIN * (size_t) s.d);
			if (mm_load_f64(b + 8 * FB_MAX * (size_t) s.d) > blk[FB_MAX * dd])
				blk[FB_MAX * dd] = mm_load_f64(b + 8 * FB_MAX * (size_t) s.d);
		}
		set_u64(blk, FB_COUNT * dd, na + nb);
	}
	v->mixed |= s.mixed;
	/* the sample of the union: src's entries under dst's threshold join dst's */
	for (uint32_t i = 0; i < s.nent; i++)
	{
		const uint8_t *e = sent + 8 * slots * i;
		uint64_t	key = mm_load_u64(e + 8 * EN_KEY);

		if (key > v->tau)
			continue;
		memcpy(v->row, e + 8 * EN_VALS, (size_t) s.d * 8);
		ds_sample_row(v, key, mm_load_u64(e + 8 * EN_COUNT), v->row);
	}
	/* a threshold only ever falls: the smaller one holds for the union */
	if (s.tau < v->tau)
	{
		uint32_t	j = 0;

		v->tau = s.tau;
		for (uint32_t i = 0; i < v->nent; i++)
		{
			double	   *e = v->ent + i * slots;

			if (slot_u64(e, EN_KEY) > v->tau)
				continue;
			if (i != j)
				memcpy(v->ent + j * slots, e, slots * 8);
			j++;
		}
		v->nent = j;
	}
	v->rows += s.rows;
	ds_put_counts(dst, v);
	return MM_OK;
}

/* Order-preserving map of a finite double's bits to an unsigned integer. */
static inline uint64_t
f64_ord(double x)
{
	uint64_t	u;

	memcpy(&u, &x, 8);
	return (u >> 63) ? ~u : u | 0x8000000000000000ULL;
}

static inline double
ord_f64(uint64_t u)
{
	double		x;

	u = (u >> 63) ? u & 0x7fffffffffffffffULL : ~u;
	memcpy(&x, &u, 8);
	return x;
}

/* Sorts (a[i], w[i]) by a, LSD radix on bytes, skipping bytes that are all equal. */
static void
radix_pairs(uint64_t *a, uint64_t *w, size_t n, uint64_t *ta, uint64_t *tw, size_t (*cnt)[256])
{
	uint64_t   *a0 = a,
			   *w0 = w;

	memset(cnt, 0, 8 * 256 * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			cnt[b][(a[i] >> (8 * b)) & 0xff]++;
	for (int b = 0; b < 8; b++)
	{
		size_t		sum = 0;
		uint64_t   *t;

		if (cnt[b][(a[0] >> (8 * b)) & 0xff] == n)
			continue;
		for (int c = 0; c < 256; c++)
		{
			size_t		x = cnt[b][c];

			cnt[b][c] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
		{
			size_t		p = cnt[b][(a[i] >> (8 * b)) & 0xff]++;

			ta[p] = a[i];
			tw[p] = w[i];
		}
		t = a; a = ta; ta = t;
		t = w; w = tw; tw = t;
	}
	if (a != a0)
	{
		memcpy(a0, a, n * 8);
		memcpy(w0, w, n * 8);
	}
}

static inline double
clampd(double x, double lo, double hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/*
 * numpy's 'linear' quantile q of the multiset where sorted value v[i] occurs w[i] times
 * (total W): virtual index q (W - 1), and numpy's lerp (b - (b - a)(1 - t) when t >= 0.5).
 */
static double
weighted_quantile(const uint64_t *v, const uint64_t *w, size_t m, uint64_t total, double q)
{
	double		h = q * (double) (total - 1),
				lo = floor(h),
				t = h - lo,
				a = 0,
				b = 0,
				diff;
	uint64_t	r = (uint64_t) lo,
				cum = 0;
	size_t		i = 0;

	while (i < m && cum + w[i] <= r)
		cum += w[i++];
	a = ord_f64(v[i]);
	if (r + 1 < cum + w[i] || i + 1 >= m)
		b = a;
	else
		b = ord_f64(v[i + 1]);
	diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

mm_status
mm_ds_summarise(const uint8_t *st, size_t size, const mm_alloc *a, mm_ds_summary *out, mm_err *err)
{
	ds_hdr		h;
	mm_status	rc;
	double	   *ent = NULL;
	uint64_t   *scratch = NULL,
			   *vals = NULL;
	size_t		(*cnt)[256] = NULL;
	const uint8_t *np,
			   *feat;
	size_t		slots;
	uint32_t	kept = 0,
				m;
	uint64_t	last = 0;

	if ((rc = mm_ds_validate(st, size, err)) != MM_OK)
		return rc;
	ds_read_header(st, &h);
	out->rows = h.rows;
	out->d = h.d;
	out->features = mm_alloc_array(a, h.d, sizeof(mm_ds_feature));
	if (!out->features)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	slots = (size_t) h.d + 2;
	if (h.nent > 0)
	{
		ent = mm_alloc_array(a, (size_t) h.nent * slots, 8);
		scratch = mm_alloc_array(a, 3 * (size_t) h.nent, 8);
		vals = mm_alloc_array(a, 4 * (size_t) h.nent, 8);
		cnt = mm_alloc_array(a, 8 * 256, sizeof(size_t));
		if (!ent || !scratch || !vals || !cnt)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		memcpy(ent, st + ds_ent_off(&h), (size_t) h.nent * slots * 8);
		kept = ds_select(ent, h.nent, h.d, h.k, scratch, &last);
	}
	(void) kept;
	feat = st + ds_feat_off(&h);
	np = h.names_len > 0 ? st + MM_DS_HDRSZ : NULL;
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint8_t *b = feat + (size_t) j * 8;
		mm_ds_feature *f = &out->features[j];
		double		n,
					m2;
		uint64_t	total = 0,
				   *w;

		f->count = mm_load_u64(h.mixed ? b : feat);
		f->nulls = mm_load_u64(b + 8 * FB_NULLS * (size_t) h.d);
		f->name = NULL;
		f->name_len = 0;
		if (np)
		{
			f->name_len = mm_load_u32(np);
			f->name = (const char *) np + 4;
			np += 4 + f->name_len;
		}
		if (f->count == 0)
		{
			f->mean = f->std = f->std_sample = f->min = f->max = f->p25 = f->p50 = f->p75 = NAN;
			continue;
		}
		n = (double) f->count;
		m2 = mm_load_f64(b + 8 * FB_M2 * (size_t) h.d);
		f->mean = mm_load_f64(b + 8 * FB_SHIFT * (size_t) h.d) + mm_load_f64(b + 8 * FB_MEAN * (size_t) h.d);
		f->std = sqrt(m2 / n);
		f->std_sample = f->count > 1 ? sqrt(m2 / (n - 1)) : NAN;
		f->min = mm_load_f64(b + 8 * FB_MIN * (size_t) h.d);
		f->max = mm_load_f64(b + 8 * FB_MAX * (size_t) h.d);
		/* the sampled values of this feature with their multiplicities, sorted */
		w = vals + h.nent;
		m = 0;
		for (uint32_t i = 0; i < h.nent; i++)
		{
			const double *e = ent + i * slots;
			uint64_t	c = slot_u64(e, EN_COUNT),
						bits = slot_u64(e, EN_VALS + j);

			if (c == 0 || bits == MM_DS_NULL_BITS)
				continue;
			vals[m] = f64_ord(e[EN_VALS + j]);
			w[m++] = c;
			total += c;
		}
		if (m == 0)				/* every sampled row has this feature NULL */
		{
			f->p25 = f->p50 = f->p75 = NAN;
			continue;
		}
		radix_pairs(vals, w, m, vals + 2 * (size_t) h.nent, vals + 3 * (size_t) h.nent, cnt);
		f->p25 = weighted_quantile(vals, w, m, total, 0.25);
		f->p50 = weighted_quantile(vals, w, m, total, 0.50);
		f->p75 = weighted_quantile(vals, w, m, total, 0.75);
		f->p25 = clampd(f->p25, f->min, f->max);
		f->p50 = clampd(f->p50, f->min, f->max);
		f->p75 = clampd(f->p75, f->min, f->max);
	}
	return MM_OK;
}

/* ---------------------------------------------------------------- corr_matrix */

uint32_t
mm_cr_capacity(uint32_t d)
{
	size_t		row = (size_t) d * sizeof(double);
	size_t		cap = ((size_t) 256 * 1024) / (row ? row : 1);

	if (cap > 256)
		cap = 256;
	if (cap < 8)
		cap = 8;
	return (uint32_t) cap;
}

size_t
mm_cr_state_size(uint32_t d, uint32_t cap)
{
	size_t		p = d;

	if (d < 1 || d > MM_CR_MAX_FEATURES || cap < 1 || cap > 4096)
		return 0;
	return MM_CR_HDRSZ + sizeof(double) * (4 * p + p * p + (size_t) cap * p);
}

void
mm_cr_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap)
{
	mm_writer	w = {st, 0, MM_CR_HDRSZ};

	memset(st, 0, size);
	mm_put_u32(&w, MM_CR_MAGIC);
	mm_put_u16(&w, MM_CR_VERSION);
	mm_put_u16(&w, MM_CR_KIND);
	mm_put_u32(&w, d);
	mm_put_u32(&w, cap);
	mm_put_u32(&w, 0);
	mm_put_u32(&w, 0);
	mm_put_u64(&w, 0);
	mm_put_u32(&w, (uint32_t) size);
}

static void
cr_read_header(const uint8_t *st, mm_cr_view *v)
{
	v->d = mm_load_u32(st + 8);
	v->cap = mm_load_u32(st + 12);
	v->nbuf = mm_load_u32(st + 16);
	v->n = mm_load_u64(st + 24);
}

uint32_t
mm_cr_dims(const uint8_t *st)
{
	return mm_load_u32(st + 8);
}

mm_status
mm_cr_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_cr_view	v;
	size_t		want,
				p;
	const uint8_t *mean,
			   *com,
			   *mn,
			   *mx,
			   *buf;

	if (size < MM_CR_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "corr_matrix state is truncated (%zu bytes)", size);
	if (mm_load_u32(st) != MM_CR_MAGIC || (st[4] | (st[5] << 8)) != MM_CR_VERSION || (st[6] | (st[7] << 8)) != MM_CR_KIND)
		return mm_fail(err, MM_ECORRUPT, "not a corr_matrix state");
	cr_read_header(st, &v);
	want = mm_cr_state_size(v.d, v.cap);
	if (want == 0 || want != size || mm_load_u32(st + 32) != size)
		return mm_fail(err, MM_ECORRUPT, "corr_matrix state size does not match its header");
	if (v.nbuf > v.cap || !reserved_zero(st, 20, 24) || !reserved_zero(st, 36, MM_CR_HDRSZ))
		return mm_fail(err, MM_ECORRUPT, "corr_matrix state header is invalid");
	p = v.d;
	mean = st + MM_CR_HDRSZ;
	com = mean + 8 * p;
	mn = com + 8 * p * p;
	mx = mn + 8 * p;
	buf = mx + 16 * p;
	for (size_t j = 0; j < p; j++)
	{
		if (!mm_isfinite(mm_load_f64(mean + 8 * j)) || !mm_isfinite(mm_load_f64(mn + 8 * j)) || !mm_isfinite(mm_load_f64(mx + 8 * j)) ||
			(v.n + v.nbuf > 0 && mm_load_f64(mn + 8 * j) > mm_load_f64(mx + 8 * j)))
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: feature %zu is invalid", j + 1);
		for (size_t i = 0; i <= j; i++)
			if (!mm_isfinite(mm_load_f64(com + 8 * (i + j * p))))
				return mm_fail(err, MM_ECORRUPT, "corr_matrix state: co-moments are not finite");
		if (mm_load_f64(com + 8 * (j + j * p)) < 0)
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: a variance is negative");
	}
	for (size_t i = 0; i < (size_t) v.nbuf * p; i++)
		if (!mm_isfinite(mm_load_f64(buf + 8 * i)))
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: buffered rows are not finite");
	return MM_OK;
}

int
mm_cr_header_ok(const uint8_t *st, size_t size)
{
	mm_cr_view	v;

	if (size < MM_CR_HDRSZ || mm_load_u32(st) != MM_CR_MAGIC || mm_load_u32(st + 4) != (MM_CR_VERSION | (MM_CR_KIND << 16)))
		return 0;
	cr_read_header(st, &v);
	return mm_load_u32(st + 32) == size && mm_cr_state_size(v.d, v.cap) == size && v.nbuf < v.cap;
}

void
mm_cr_map(uint8_t *st, mm_cr_view *v)
{
	size_t		p;

	cr_read_header(st, v);
	p = v->d;
	v->mean = (double *) (void *) (st + MM_CR_HDRSZ);
	v->com = v->mean + p;
	v->min = v->com + p * p;
	v->max = v->min + p;
	v->scratch = v->max + p;
	v->buf = v->scratch + p;
}

static void
cr_write_counts(uint8_t *st, uint32_t nbuf, uint64_t n)
{
	put_u32_at(st, 16, nbuf);
	put_u64_at(st, 24, n);
}

static inline void
cr_push_row(mm_cr_view *v, const double *x)
{
	size_t		p = v->d;
	uint64_t	seen = v->n + v->nbuf;
	double	   *row;

	if (v->nbuf >= v->cap)		/* only a forged state gets here: keep memory safe */
		v->nbuf = v->cap - 1;
	row = v->buf + (size_t) v->nbuf * p;
	memcpy(row, x, p * sizeof(double));
	for (size_t j = 0; j < p; j++)
	{
		if (seen == 0 || x[j] < v->min[j])
			v->min[j] = x[j];
		if (seen == 0 || x[j] > v->max[j])
			v->max[j] = x[j];
	}
	if (++v->nbuf == v->cap)
	{
		mm_comoments_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
		v->nbuf = 0;
	}
}

void
mm_cr_add(uint8_t *st, mm_cr_view *v, const double *x)
{
	cr_push_row(v, x);
	cr_write_counts(st, v->nbuf, v->n);
}

mm_status
mm_cr_combine(uint8_t *dst, mm_cr_view *v, const uint8_t *src, size_t srcsize, mm_err *err)
{
	mm_cr_view	s;
	mm_status	rc;
	size_t		p = v->d;
	const uint8_t *smean,
			   *scom,
			   *smin,
			   *smax,
			   *sbuf;
	double	   *row;
	uint64_t	seen;

	if ((rc = mm_cr_validate(src, srcsize, err)) != MM_OK)
		return rc;
	cr_read_header(src, &s);
	if (s.d != v->d)
		return mm_fail(err, MM_EMISMATCH, "cannot combine corr_matrix states of %u and %u features", v->d, s.d);
	smean = src + MM_CR_HDRSZ;
	scom = smean + 8 * p;
	smin = scom + 8 * p * p;
	smax = smin + 8 * p;
	sbuf = smax + 16 * p;
	seen = v->n + v->nbuf;
	if (s.n + s.nbuf > 0)
		for (size_t j = 0; j < p; j++)
		{
			double		a = mm_load_f64(smin + 8 * j),
						b = mm_load_f64(smax + 8 * j);

			if (seen == 0 || a < v->min[j])
				v->min[j] = a;
			if (seen == 0 || b > v->max[j])
				v->max[j] = b;
		}
	if (s.n > 0)
	{
		double		fa = (double) v->n,
					fb = (double) s.n,
					fn = fa + fb;
		double	   *delta = v->scratch;

		for (size_t j = 0; j < p; j++)
			delta[j] = mm_load_f64(smean + 8 * j) - v->mean[j];
		for (size_t j = 0; j < p; j++)
			for (size_t i = 0; i <= j; i++)
				v->com[i + j * p] += mm_load_f64(scom + 8 * (i + j * p)) + delta[i] * delta[j] * (fa * fb / fn);
		for (size_t j = 0; j < p; j++)
			v->mean[j] += delta[j] * (fb / fn);
		v->n += s.n;
	}
	for (uint32_t i = 0; i < s.nbuf; i++)
	{
		row = v->buf + (size_t) v->nbuf * p;
		memcpy(row, sbuf + (size_t) i * p * 8, p * 8);
		if (++v->nbuf == v->cap)
		{
			mm_comoments_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
			v->nbuf = 0;
		}
	}
	cr_write_counts(dst, v->nbuf, v->n);
	return MM_OK;
}

mm_status
mm_cr_matrix(const uint8_t *st, size_t size, const mm_alloc *a, double **out, uint64_t *rows, mm_err *err)
{
	mm_cr_view	s;
	mm_status	rc;
	size_t		p;
	double	   *mean,
			   *com,
			   *tmp,
			   *buf,
			   *r,
			   *sd;
	const uint8_t *mn,
			   *mx;
	uint64_t	n;

	if ((rc = mm_cr_validate(st, size, err)) != MM_OK)
		return rc;
	cr_read_header(st, &s);
	p = s.d;
	mean = mm_alloc_array(a, 3 * p + p * p + (size_t) s.nbuf * p, sizeof(double));
	r = mm_alloc_array(a, p * p, sizeof(double));
	if (!mean || !r)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	com = mean + p;
	tmp = com + p * p;
	sd = tmp + p;
	buf = sd + p;
	memcpy(mean, st + MM_CR_HDRSZ, p * 8);
	memcpy(com, st + MM_CR_HDRSZ + p * 8, p * p * 8);
	memcpy(buf, st + MM_CR_HDRSZ + (4 * p + p * p) * 8, (size_t) s.nbuf * p * 8);
	mn = st + MM_CR_HDRSZ + (p + p * p) * 8;
	mx = mn + p * 8;
	n = s.n;
	mm_comoments_fold(&n, mean, com, buf, s.nbuf, p, tmp);
	for (size_t j = 0; j < p; j++)
	{
		double		c = com[j + j * p];

		sd[j] = (n > 1 && mm_load_f64(mn + 8 * j) < mm_load_f64(mx + 8 * j) && c > 0) ? sqrt(c) : NAN;
	}
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i <= j; i++)
		{
			double		v;

			if (isnan(sd[i]) || isnan(sd[j]))
				v = NAN;
			else if (i == j)
				v = 1.0;
			else
			{
				v = com[i + j * p] / sd[i] / sd[j];
				if (v > 1.0)
					v = 1.0;
				if (v < -1.0)
					v = -1.0;
			}
			r[i * p + j] = v;
			r[j * p + i] = v;
		}
	*out = r;
	*rows = n;
	return MM_OK;
}

/* ---------------------------------------------------------------- split hash */

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME  0x100000001b3ULL

uint64_t
mm_hash64(const void *bytes, size_t len, uint64_t seed)
{
	const uint8_t *p = (const uint8_t *) bytes;
	uint64_t	h = FNV64_OFFSET;

	for (int i = 0; i < 8; i++)
	{
		h ^= (uint8_t) (seed >> (8 * i));
		h *= FNV64_PRIME;
	}
	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return mm_fmix64(h);
}

double
mm_split_unit(const void *bytes, size_t len, uint64_t seed)
{
	return (double) (mm_hash64(bytes, len, seed) >> 11) * (1.0 / 9007199254740992.0);
}
