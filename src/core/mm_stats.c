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

/* quantile block slots */
#define QI_LEV		0			/* u32 levels | u32 table live << 32 */
#define QI_M		1
#define QI_ITEMS	2
#define QI_EPOS		3
#define QI_ENEG		4
#define QI_RES		5
#define QI_SIZES	6			/* u32 sizes[64] */

#define DS_CNT_SLOTS 2048		/* radix counters: 8 x 256 */

static inline size_t
pad8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

uint32_t
mm_ds_level_k(uint32_t d)
{
	uint32_t	k = MM_DS_LEVEL_K;

	if (d == 0)
		return 0;
	while (k > MM_DS_MIN_K && (uint64_t) d * k > ((uint64_t) 1 << 18))
		k /= 2;
	return k;
}

uint32_t
mm_ds_exact_limit(uint32_t d)
{
	uint32_t	k = mm_ds_level_k(d);

	return k == 0 ? 0 : k * (MM_DS_EXACT_MAX / MM_DS_LEVEL_K);
}

static inline size_t
ds_scratch_slots(uint32_t k, const mm_ds_caps *c)
{
	size_t		big = (size_t) c->stage + ((size_t) 3 * k < 2 * (size_t) c->sketch ? (size_t) 3 * k : 2 * (size_t) c->sketch);

	return DS_CNT_SLOTS + 2 * (size_t) c->stage + 2 * big + c->sketch;
}

static int
ds_caps_ok(uint32_t d, uint32_t flags, const mm_ds_caps *c)
{
	uint32_t	k = mm_ds_level_k(d);

	if (d == 0)
		return c->stage == 0 && c->table == 0 && c->sketch == 0;
	if (c->stage < 1 || c->stage > k || c->sketch > (uint32_t) MM_DS_MAX_LEVELS * k)
		return 0;
	if (flags & MM_DS_FLAG_EXACT)
		return c->sketch == 0 && c->table <= 0x7fffffffu;
	return c->table <= 2 * mm_ds_exact_limit(d);
}

static size_t
ds_size(uint32_t d, size_t names_len, const mm_ds_caps *c, uint32_t k)
{
	if (d == 0)
		return MM_DS_HDRSZ;
	return MM_DS_HDRSZ + pad8(names_len) +
		8 * ((size_t) d * (FB_SLOTS + MM_DS_QI) + (size_t) d * c->table + (size_t) d * c->sketch +
			 (size_t) c->stage * d + ds_scratch_slots(k, c));
}

void
mm_ds_initial_caps(uint32_t d, uint32_t flags, mm_ds_caps *c)
{
	(void) flags;
	c->stage = d == 0 ? 0 : MM_DS_STAGE0;
	c->table = 0;
	c->sketch = 0;
}

size_t
mm_ds_state_size(uint32_t d, size_t names_len, const mm_ds_caps *c)
{
	size_t		s;

	if (d > MM_DS_MAX_FEATURES || names_len > MM_DS_MAX_NAMES || (d == 0 && names_len != 0) ||
		(!ds_caps_ok(d, 0, c) && !ds_caps_ok(d, MM_DS_FLAG_EXACT, c)))
		return 0;
	s = ds_size(d, names_len, c, mm_ds_level_k(d));
	return s > 0xffffffffu ? 0 : s;
}

typedef struct ds_hdr
{
	uint32_t	d,
				k,
				names_len,
				size,
				staged,
				flags,
				dlim,
				res;
	mm_ds_caps	c;
	uint64_t	rows;
} ds_hdr;

static void
ds_read_header(const uint8_t *st, ds_hdr *h)
{
	h->d = mm_load_u32(st + 8);
	h->k = mm_load_u32(st + 12);
	h->c.stage = mm_load_u32(st + 16);
	h->names_len = mm_load_u32(st + 20);
	h->rows = mm_load_u64(st + 24);
	h->size = mm_load_u32(st + 32);
	h->staged = mm_load_u32(st + 36);
	h->c.table = mm_load_u32(st + 40);
	h->c.sketch = mm_load_u32(st + 44);
	h->flags = mm_load_u32(st + 48);
	h->dlim = mm_load_u32(st + 52);
	h->res = mm_load_u32(st + 56);
}

static void
ds_write_header(uint8_t *st, const ds_hdr *h)
{
	mm_writer	w = {st, 0, MM_DS_HDRSZ};

	mm_put_u32(&w, MM_DS_MAGIC);
	mm_put_u16(&w, MM_DS_VERSION);
	mm_put_u16(&w, MM_DS_KIND);
	mm_put_u32(&w, h->d);
	mm_put_u32(&w, h->k);
	mm_put_u32(&w, h->c.stage);
	mm_put_u32(&w, h->names_len);
	mm_put_u64(&w, h->rows);
	mm_put_u32(&w, h->size);
	mm_put_u32(&w, h->staged);
	mm_put_u32(&w, h->c.table);
	mm_put_u32(&w, h->c.sketch);
	mm_put_u32(&w, h->flags);
	mm_put_u32(&w, h->dlim);
	mm_put_u32(&w, 0);
}

void
mm_ds_init(uint8_t *st, size_t size, uint32_t d, const mm_ds_caps *c, const uint8_t *names, size_t names_len,
		   uint64_t null_rows, uint32_t flags)
{
	ds_hdr		h = {0};

	memset(st, 0, size);
	h.d = d;
	h.k = mm_ds_level_k(d);
	h.c = *c;
	h.names_len = (uint32_t) names_len;
	h.rows = null_rows;
	h.size = (uint32_t) size;
	h.flags = d == 0 ? 0 : (flags & MM_DS_FLAG_EXACT);
	h.dlim = mm_ds_exact_limit(d);
	ds_write_header(st, &h);
	if (d > 0)
	{
		double	   *feat = (double *) (void *) (st + MM_DS_HDRSZ + pad8(names_len));
		uint64_t   *qi = (uint64_t *) (void *) (feat + (size_t) FB_SLOTS * d);

		for (uint32_t j = 0; j < d; j++)
		{
			uint64_t	u = null_rows;

			memcpy(feat + (size_t) FB_NULLS * d + j, &u, 8);
			qi[(size_t) j * MM_DS_QI + QI_LEV] = (uint64_t) 1 << 32;	/* the table is live */
		}
		if (names_len > 0)
			memcpy(st + MM_DS_HDRSZ, names, names_len);
	}
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
mm_ds_flags(const uint8_t *st)
{
	return mm_load_u32(st + 48);
}

static inline size_t
ds_feat_off(const ds_hdr *h)
{
	return MM_DS_HDRSZ + pad8(h->names_len);
}

/* byte offsets of the quantile blocks, tables, sketches and staging area */
static inline size_t
ds_qi_off(const ds_hdr *h)
{
	return ds_feat_off(h) + 8 * (size_t) h->d * FB_SLOTS;
}

static inline size_t
ds_table_off(const ds_hdr *h)
{
	return ds_qi_off(h) + 8 * (size_t) h->d * MM_DS_QI;
}

static inline size_t
ds_sketch_off(const ds_hdr *h)
{
	return ds_table_off(h) + 8 * (size_t) h->d * h->c.table;
}

static inline size_t
ds_stage_off(const ds_hdr *h)
{
	return ds_sketch_off(h) + 8 * (size_t) h->d * h->c.sketch;
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
	if (h->d > MM_DS_MAX_FEATURES || h->k != mm_ds_level_k(h->d) || h->dlim != mm_ds_exact_limit(h->d) ||
		h->size != size || h->names_len > MM_DS_MAX_NAMES || h->flags > 3 || h->res != 0 ||
		!ds_caps_ok(h->d, h->flags, &h->c) || h->staged > h->c.stage)
		return 0;
	if (h->d == 0)
		return h->names_len == 0 && h->flags == 0 && h->staged == 0 && size == MM_DS_HDRSZ;
	return size == ds_size(h->d, h->names_len, &h->c, h->k);
}

/* Order-preserving map of a finite double's bits to an unsigned integer (-0 as 0). */
static inline uint64_t
f64_ord(double x)
{
	uint64_t	u;

	if (x == 0)
		x = 0;
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

/* A key that f64_ord can give: a finite double that is not -0. */
static inline int
key_ok(uint64_t u)
{
	return mm_isfinite(ord_f64(u)) && u != 0x7fffffffffffffffULL;
}

static inline uint32_t
qi_levels(const uint64_t *q)
{
	return (uint32_t) q[QI_LEV];
}

static inline int
qi_live(const uint64_t *q)
{
	return (int) (q[QI_LEV] >> 32);
}

static inline uint32_t
qi_size(const uint64_t *q, uint32_t h)
{
	return (uint32_t) (q[QI_SIZES + h / 2] >> (32 * (h & 1)));
}

static inline void
qi_set_size(uint64_t *q, uint32_t h, uint32_t s)
{
	uint64_t	m = 0xffffffffULL << (32 * (h & 1));

	q[QI_SIZES + h / 2] = (q[QI_SIZES + h / 2] & ~m) | ((uint64_t) s << (32 * (h & 1)));
}

static inline void
qi_set_lev(uint64_t *q, uint32_t levels, int live)
{
	q[QI_LEV] = (uint64_t) levels | ((uint64_t) (live ? 1 : 0) << 32);
}

mm_status
mm_ds_validate(const uint8_t *st, size_t size, mm_err *err)
{
	ds_hdr		h;
	const uint8_t *feat,
			   *qi,
			   *tab,
			   *sk,
			   *stg;
	int			exact;

	if (size < MM_DS_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "describe state is truncated (%zu bytes)", size);
	if (mm_load_u32(st) != MM_DS_MAGIC || (st[6] | (st[7] << 8)) != MM_DS_KIND)
		return mm_fail(err, MM_ECORRUPT, "not a describe state");
	if ((st[4] | (st[5] << 8)) != MM_DS_VERSION)
		return mm_fail(err, MM_ECORRUPT, "describe state has format version %d; this version reads only version %d",
						st[4] | (st[5] << 8), MM_DS_VERSION);
	ds_read_header(st, &h);
	if (h.size != size)
		return mm_fail(err, MM_ECORRUPT, "describe state size does not match its header");
	if (!ds_header_fields_ok(st, size, &h))
		return mm_fail(err, MM_ECORRUPT, "describe state header is invalid");
	if (h.names_len > 0)
	{
		mm_status	rc = ds_check_names(st + MM_DS_HDRSZ, h.names_len, h.d, err);

		if (rc != MM_OK)
			return rc;
	}
	if (!reserved_zero(st, MM_DS_HDRSZ + h.names_len, ds_feat_off(&h)))
		return mm_fail(err, MM_ECORRUPT, "describe state header is invalid");
	if (h.d == 0)
		return MM_OK;
	exact = (h.flags & MM_DS_FLAG_EXACT) != 0;
	feat = st + ds_feat_off(&h);
	qi = st + ds_qi_off(&h);
	tab = st + ds_table_off(&h);
	sk = st + ds_sketch_off(&h);
	stg = st + ds_stage_off(&h);
	/* staged rows: finite values or NULL marks (only once a NULL element was seen) */
	for (size_t i = 0; i < (size_t) h.staged * h.d; i++)
	{
		uint64_t	bits = mm_load_u64(stg + 8 * i);

		if (bits == MM_DS_NULL_BITS ? !(h.flags & MM_DS_FLAG_MIXED) : !mm_isfinite(mm_load_f64(stg + 8 * i)))
			return mm_fail(err, MM_ECORRUPT, "describe state: staged row %zu is invalid", i / h.d + 1);
	}
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint8_t *b = feat + (size_t) j * 8,
				   *q = qi + 8 * (size_t) j * MM_DS_QI,
				   *tj = tab + 8 * (size_t) j * h.c.table,
				   *sj = sk + 8 * (size_t) j * h.c.sketch;
		uint64_t	count = mm_load_u64((h.flags & MM_DS_FLAG_MIXED) ? b : feat),	/* unmixed: count[0] holds for all */
					nulls = mm_load_u64(b + 8 * FB_NULLS * (size_t) h.d),
					lev = mm_load_u64(q + 8 * QI_LEV),
					m = mm_load_u64(q + 8 * QI_M),
					items = mm_load_u64(q + 8 * QI_ITEMS),
					epos = mm_load_u64(q + 8 * QI_EPOS),
					eneg = mm_load_u64(q + 8 * QI_ENEG),
					staged_vals = 0,
					flushed,
					wsum = 0,
					sumsz = 0;
		uint32_t	levels = (uint32_t) lev,
					live = (uint32_t) (lev >> 32);
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
		for (uint32_t i = 0; i < h.staged; i++)
			if (mm_load_u64(stg + 8 * ((size_t) i * h.d + j)) != MM_DS_NULL_BITS)
				staged_vals++;
		if (staged_vals > count)
			return mm_fail(err, MM_ECORRUPT, "describe state: counts of feature %u are inconsistent", j + 1);
		flushed = count - staged_vals;
		if (levels > MM_DS_MAX_LEVELS || live > 1 || mm_load_u64(q + 8 * QI_RES) != 0)
			return mm_fail(err, MM_ECORRUPT, "describe state: the quantile block of feature %u is invalid", j + 1);
		if (exact)
		{
			if (!live || levels != 0 || items != 0 || epos != 0 || eneg != 0 || m != flushed || m > h.c.table)
				return mm_fail(err, MM_ECORRUPT, "describe state: the values of feature %u do not add up", j + 1);
			for (uint64_t i = 0; i < m; i++)
				if (!key_ok(mm_load_u64(tj + 8 * i)))
					return mm_fail(err, MM_ECORRUPT, "describe state: a value of feature %u is invalid", j + 1);
		}
		else
		{
			/* the table: strictly ascending keys with counts adding up to the flushed values */
			if (live)
			{
				if (m > h.dlim || 2 * m > h.c.table)
					return mm_fail(err, MM_ECORRUPT, "describe state: the table of feature %u is invalid", j + 1);
				for (uint64_t i = 0; i < m; i++)
				{
					uint64_t	key = mm_load_u64(tj + 16 * i),
								c = mm_load_u64(tj + 16 * i + 8);

					if (!key_ok(key) || c < 1 || c > flushed - wsum || (i > 0 && key <= mm_load_u64(tj + 16 * i - 16)))
						return mm_fail(err, MM_ECORRUPT, "describe state: the table of feature %u is invalid", j + 1);
					wsum += c;
				}
				if (wsum != flushed)
					return mm_fail(err, MM_ECORRUPT, "describe state: the table of feature %u does not add up", j + 1);
			}
			else if (m != 0)
				return mm_fail(err, MM_ECORRUPT, "describe state: the table of feature %u is invalid", j + 1);
			/* the sketch: level sizes below K, ascending keys, weights adding up */
			for (uint32_t lv = 0; lv < MM_DS_MAX_LEVELS; lv++)
			{
				uint32_t	s = (uint32_t) (mm_load_u64(q + 8 * (QI_SIZES + lv / 2)) >> (32 * (lv & 1)));

				if ((lv >= levels && s != 0) || s >= h.k)
					return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u is invalid", j + 1);
				sumsz += s;
			}
			if (sumsz != items || items > h.c.sketch)
				return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u is invalid", j + 1);
			wsum = 0;
			{
				uint64_t	pos = items;

				for (uint32_t lv = 0; lv < levels; lv++)
				{
					uint32_t	s = (uint32_t) (mm_load_u64(q + 8 * (QI_SIZES + lv / 2)) >> (32 * (lv & 1)));

					pos -= s;
					if (s > 0 && (flushed >> lv) < s)
						return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u does not add up", j + 1);
					if (s > 0 && (wsum += (uint64_t) s << lv) > flushed)
						return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u does not add up", j + 1);
					for (uint32_t i = 0; i < s; i++)
					{
						uint64_t	key = mm_load_u64(sj + 8 * (pos + i));

						if (!key_ok(key) || (i > 0 && key < mm_load_u64(sj + 8 * (pos + i - 1))))
							return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u is invalid", j + 1);
					}
				}
			}
			if (wsum != flushed || epos > flushed || eneg > flushed - epos)
				return mm_fail(err, MM_ECORRUPT, "describe state: the sketch of feature %u does not add up", j + 1);
		}
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
ds_map_header(uint8_t *st, const ds_hdr *h, mm_ds_view *v)
{
	v->d = h->d;
	v->k = h->k;
	v->dlim = h->dlim;
	v->caps = h->c;
	v->staged = h->staged;
	v->names_len = h->names_len;
	v->flags = h->flags;
	v->rows = h->rows;
	v->names = h->names_len > 0 ? st + MM_DS_HDRSZ : NULL;
	if (h->d == 0)
	{
		v->feat = v->stage = NULL;
		v->qi = v->table = v->sketch = v->scratch = NULL;
		return;
	}
	v->feat = (double *) (void *) (st + ds_feat_off(h));
	v->qi = (uint64_t *) (void *) (st + ds_qi_off(h));
	v->table = (uint64_t *) (void *) (st + ds_table_off(h));
	v->sketch = (uint64_t *) (void *) (st + ds_sketch_off(h));
	v->stage = (double *) (void *) (st + ds_stage_off(h));
	v->scratch = (uint64_t *) (void *) (v->stage + (size_t) h->c.stage * h->d);
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
	mm_store_u32(st + 36, v->staged);
	mm_store_u32(st + 48, v->flags);
}

static uint32_t
grow_to(uint32_t cur, uint64_t need, uint32_t max)
{
	uint64_t	c = (uint64_t) cur + cur / 2;

	if (c < need)
		c = need;
	if (c > max)
		c = max;
	return (uint32_t) c;
}

/*
 * Table and sketch slots a feature may need before a flush (src NULL) or a combine with src:
 * *tneed, *sneed (maxima over the features); *any_live: some table stays live.
 */
static void
ds_needs(const mm_ds_view *v, const uint8_t *src, uint64_t *tneed, uint64_t *sneed, int *any_live)
{
	uint64_t	incoming = v->staged;
	int			exact = (v->flags & MM_DS_FLAG_EXACT) != 0;
	const uint8_t *sqi = NULL;
	ds_hdr		s = {0};

	*tneed = *sneed = 0;
	*any_live = 0;
	if (src != NULL)
	{
		ds_read_header(src, &s);
		if (s.d != v->d)
			return;
		sqi = src + ds_qi_off(&s);
		incoming += s.staged;
	}
	for (uint32_t j = 0; j < v->d; j++)
	{
		const uint64_t *q = v->qi + (size_t) j * MM_DS_QI;
		uint64_t	m = q[QI_M],
					items = q[QI_ITEMS],
					sm = 0,
					sitems = 0;
		int			slive = 1;

		if (sqi)
		{
			sm = mm_load_u64(sqi + 8 * ((size_t) j * MM_DS_QI + QI_M));
			sitems = mm_load_u64(sqi + 8 * ((size_t) j * MM_DS_QI + QI_ITEMS));
			slive = (int) (mm_load_u64(sqi + 8 * ((size_t) j * MM_DS_QI + QI_LEV)) >> 32);
		}
		if (exact)
		{
			if (m + sm + incoming > *tneed)
				*tneed = m + sm + incoming;
			continue;
		}
		if (qi_live(q) && slive)
		{
			uint64_t	t = m + sm + incoming;

			if (t > v->dlim)
				t = v->dlim;
			if (2 * t > *tneed)
				*tneed = 2 * t;
			*any_live = 1;
		}
		if (items + sitems + incoming > *sneed)
			*sneed = items + sitems + incoming;
	}
}

int
mm_ds_need(const mm_ds_view *v, const uint8_t *src, mm_ds_caps *c)
{
	uint64_t	tneed,
				sneed;
	int			any_live;

	if (v->d == 0)
		return 0;
	*c = v->caps;
	if (src == NULL)
	{
		/* one more row: grow the staging area first, then make room for a flush */
		if (v->staged < v->caps.stage)
			return 0;
		if (v->caps.stage < v->k)
		{
			c->stage = grow_to(v->caps.stage, (uint64_t) v->caps.stage * 2, v->k);
			return 1;
		}
	}
	ds_needs(v, src, &tneed, &sneed, &any_live);
	if (v->flags & MM_DS_FLAG_EXACT)
	{
		if (tneed <= v->caps.table)
			return 0;
		c->table = grow_to(v->caps.table, tneed, 0x7fffffffu);
		return 1;
	}
	if (tneed > v->caps.table)
		c->table = grow_to(v->caps.table, tneed, 2 * v->dlim);
	else if (!any_live && v->caps.table > 0)
		c->table = 0;			/* every table is dropped: give the room back */
	if (sneed > v->caps.sketch)
		c->sketch = grow_to(v->caps.sketch, sneed, (uint32_t) MM_DS_MAX_LEVELS * v->k);
	return c->table != v->caps.table || c->sketch != v->caps.sketch;
}

void
mm_ds_resize(const uint8_t *src, const mm_ds_view *svp, uint8_t *dst, size_t dstsize, const mm_ds_caps *c, mm_ds_view *dv)
{
	mm_ds_view	svc = *svp;		/* dv may be svp */
	const mm_ds_view *sv = &svc;
	ds_hdr		h;
	size_t		keep;
	uint32_t	d = sv->d;

	ds_read_header(src, &h);
	keep = ds_table_off(&h);
	memset(dst, 0, dstsize);
	memcpy(dst, src, keep);
	h.c = *c;
	h.size = (uint32_t) dstsize;
	h.rows = sv->rows;
	h.staged = sv->staged;
	h.flags = sv->flags;
	ds_write_header(dst, &h);
	mm_ds_map(dst, dv);
	for (uint32_t j = 0; j < d; j++)
	{
		const uint64_t *q = sv->qi + (size_t) j * MM_DS_QI;
		uint64_t	tn = (sv->flags & MM_DS_FLAG_EXACT) ? q[QI_M] : (qi_live(q) ? 2 * q[QI_M] : 0);

		if (tn > c->table)
			tn = 0;				/* only when every table is dropped */
		memcpy(dv->table + (size_t) j * c->table, sv->table + (size_t) j * sv->caps.table, tn * 8);
		memcpy(dv->sketch + (size_t) j * c->sketch, sv->sketch + (size_t) j * sv->caps.sketch, q[QI_ITEMS] * 8);
	}
	memcpy(dv->stage, sv->stage, (size_t) sv->staged * d * 8);
}
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


/* Sorts n keys ascending: LSD radix on bytes, skipping bytes that are all equal. */
static void
radix_keys(uint64_t *a, uint64_t *t, size_t n, uint32_t (*cnt)[256])
{
	uint64_t   *a0 = a;

	if (n < 2)
		return;
	memset(cnt, 0, 8 * 256 * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	x = a[i];

		cnt[0][x & 0xff]++;
		cnt[1][(x >> 8) & 0xff]++;
		cnt[2][(x >> 16) & 0xff]++;
		cnt[3][(x >> 24) & 0xff]++;
		cnt[4][(x >> 32) & 0xff]++;
		cnt[5][(x >> 40) & 0xff]++;
		cnt[6][(x >> 48) & 0xff]++;
		cnt[7][x >> 56]++;
	}
	for (int b = 0; b < 8; b++)
	{
		uint32_t	sum = 0,
				   *c = cnt[b];
		uint64_t   *tmp;
		int			sh = 8 * b;

		if (c[(a[0] >> sh) & 0xff] == n)
			continue;
		for (int k = 0; k < 256; k++)
		{
			uint32_t	x = c[k];

			c[k] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
		{
			uint64_t	x = a[i];

			t[c[(x >> sh) & 0xff]++] = x;
		}
		tmp = a; a = t; t = tmp;
	}
	if (a != a0)
		memcpy(a0, a, n * 8);
}

/* Merges ascending x[0..nx) and y[0..ny) (y read with unaligned loads when ys is set) into out. */
static size_t
merge_keys(const uint64_t *x, size_t nx, const uint8_t *ys, const uint64_t *y, size_t ny, uint64_t *out)
{
	size_t		i = 0,
				j = 0,
				o = 0;

#define YV(k) (ys ? mm_load_u64(ys + 8 * (k)) : y[k])
	if (ys == NULL)
	{
		/* branch-free: the comparison picks the source */
		while (i < nx && j < ny)
		{
			uint64_t	a = x[i],
						b = y[j];
			int			t = b < a;

			out[o++] = t ? b : a;
			j += t;
			i += !t;
		}
	}
	while (i < nx && j < ny)
	{
		uint64_t	b = YV(j);

		if (x[i] <= b)
			out[o++] = x[i++];
		else
		{
			out[o++] = b;
			j++;
		}
	}
	while (i < nx)
		out[o++] = x[i++];
	while (j < ny)
	{
		out[o++] = YV(j);
		j++;
	}
#undef YV
	return o;
}

/* Compacts cur[0..n) (n >= 2) of level h: the odd item out stays in *left, half goes to out. */
static size_t
ds_compact_level(const uint64_t *cur, size_t n, uint32_t h, uint64_t *q, uint64_t *out, uint64_t *left, int *hasleft)
{
	uint64_t	w = (uint64_t) 1 << h;
	size_t		o;

	*hasleft = (int) (n & 1);
	if (n & 1)
		*left = cur[--n];
	/* offset 0 overestimates ranks by at most w, offset 1 underestimates: balance the totals */
	if (q[QI_EPOS] <= q[QI_ENEG])
	{
		o = 0;
		q[QI_EPOS] += w;
	}
	else
	{
		o = 1;
		q[QI_ENEG] += w;
	}
	for (size_t i = 0; i < n / 2; i++)
		out[i] = cur[o + 2 * i];
	return n / 2;
}

/* Scratch areas of a mapped state. */
typedef struct ds_scr
{
	uint32_t	(*cnt)[256];
	uint64_t   *col,
			   *tmp,
			   *a,
			   *b,
			   *out;
} ds_scr;

static void
ds_scratch(const mm_ds_view *v, ds_scr *s)
{
	uint64_t   *p = v->scratch;
	size_t		big = (size_t) v->caps.stage +
		((size_t) 3 * v->k < 2 * (size_t) v->caps.sketch ? (size_t) 3 * v->k : 2 * (size_t) v->caps.sketch);

	s->cnt = (uint32_t (*)[256]) (void *) p;
	s->col = p + DS_CNT_SLOTS;
	s->tmp = s->col + v->caps.stage;
	s->a = s->tmp + v->caps.stage;
	s->b = s->a + big;
	s->out = s->b + big;
}

/* A feature's sketch is out of shape (only a corrupt state that passed the header check): empty it. */
static int
ds_sketch_sane(const mm_ds_view *v, uint64_t *q, uint64_t more)
{
	uint32_t	lv = qi_levels(q);
	uint64_t	sum = 0;

	if (lv <= MM_DS_MAX_LEVELS)
		for (uint32_t h = 0; h < lv; h++)
			sum += qi_size(q, h) < v->k ? qi_size(q, h) : (uint64_t) 1 << 40;
	if (lv <= MM_DS_MAX_LEVELS && sum == q[QI_ITEMS] && sum + more <= v->caps.sketch)
		return 1;
	qi_set_lev(q, 0, qi_live(q));
	q[QI_ITEMS] = 0;
	for (int i = 0; i < 32; i++)
		q[QI_SIZES + i] = 0;
	return 0;
}

/* Folds the sorted keys col[0..c) (weight 1) into feature j's sketch. */
static void
ds_sketch_push(const mm_ds_view *v, uint32_t j, const uint64_t *col, size_t c, const ds_scr *s)
{
	uint64_t   *q = v->qi + (size_t) j * MM_DS_QI,
			   *base = v->sketch + (size_t) j * v->caps.sketch,
				left[MM_DS_MAX_LEVELS];
	int			hasleft[MM_DS_MAX_LEVELS];
	uint32_t	levels,
				h = 0;
	uint64_t	items,
				below,
				sz,
				pos;
	size_t		n;

	if (c == 0)
		return;
	ds_sketch_sane(v, q, c);
	levels = qi_levels(q);
	items = q[QI_ITEMS];
	sz = levels > 0 ? qi_size(q, 0) : 0;
	n = merge_keys(base + items - sz, sz, NULL, col, c, s->a);
	below = sz;
	while (n >= v->k && h + 1 < MM_DS_MAX_LEVELS)
	{
		size_t		half = ds_compact_level(s->a, n, h, q, s->b, &left[h], &hasleft[h]);

		h++;
		sz = h < levels ? qi_size(q, h) : 0;
		n = merge_keys(base + items - below - sz, sz, NULL, s->b, half, s->a);
		below += sz;
	}
	pos = items - below;
	memcpy(base + pos, s->a, n * 8);
	qi_set_size(q, h, (uint32_t) n);
	pos += n;
	for (uint32_t g = h; g-- > 0;)
	{
		if (hasleft[g])
			base[pos++] = left[g];
		qi_set_size(q, g, (uint32_t) hasleft[g]);
	}
	if (h + 1 > levels)
		levels = h + 1;
	qi_set_lev(q, levels, qi_live(q));
	q[QI_ITEMS] = pos;
}

/*
 * Folds the sorted keys col[0..c) into feature j's table of distinct values; drops the table
 * when the union has more than D distinct values. tmp: 2 c slots.
 */
static void
ds_table_push(const mm_ds_view *v, uint32_t j, const uint64_t *col, size_t c, uint64_t *tmp)
{
	uint64_t   *q = v->qi + (size_t) j * MM_DS_QI,
			   *t = v->table + (size_t) j * v->caps.table;
	uint64_t	m = q[QI_M],
				r = 0,
				u = 0,
				i,
				k;

	if (!qi_live(q) || c == 0)
		return;
	if (2 * m > v->caps.table)
		m = 0;					/* only a corrupt state */
	/* run lengths of the batch */
	for (size_t a = 0; a < c;)
	{
		size_t		b = a + 1;

		while (b < c && col[b] == col[a])
			b++;
		tmp[2 * r] = col[a];
		tmp[2 * r + 1] = b - a;
		r++;
		a = b;
	}
	/* distinct values of the union */
	for (i = 0, k = 0; i < m || k < r; u++)
	{
		if (k >= r || (i < m && t[2 * i] < tmp[2 * k]))
			i++;
		else if (i >= m || tmp[2 * k] < t[2 * i])
			k++;
		else
		{
			i++;
			k++;
		}
	}
	if (u > v->dlim || 2 * u > v->caps.table)
	{
		qi_set_lev(q, qi_levels(q), 0);
		q[QI_M] = 0;
		return;
	}
	/* merge from the back, in place */
	{
		uint64_t	o = u;

		i = m;
		k = r;
		while (k > 0)
		{
			o--;
			if (i > 0 && t[2 * (i - 1)] > tmp[2 * (k - 1)])
			{
				t[2 * o] = t[2 * (i - 1)];
				t[2 * o + 1] = t[2 * (i - 1) + 1];
				i--;
			}
			else if (i > 0 && t[2 * (i - 1)] == tmp[2 * (k - 1)])
			{
				t[2 * o] = tmp[2 * (k - 1)];
				t[2 * o + 1] = t[2 * (i - 1) + 1] + tmp[2 * (k - 1) + 1];
				i--;
				k--;
			}
			else
			{
				t[2 * o] = tmp[2 * (k - 1)];
				t[2 * o + 1] = tmp[2 * (k - 1) + 1];
				k--;
			}
		}
	}
	q[QI_M] = u;
}

/* Folds the staged rows into every feature's table and sketch (or value list) and empties the staging area. */
static void
ds_flush(uint8_t *st, mm_ds_view *v)
{
	ds_scr		s;
	uint32_t	d = v->d,
				n = v->staged;
	int			exact = (v->flags & MM_DS_FLAG_EXACT) != 0;

	if (n == 0)
		return;
	ds_scratch(v, &s);
	for (uint32_t j = 0; j < d; j++)
	{
		uint64_t   *q = v->qi + (size_t) j * MM_DS_QI;
		const double *x = v->stage + j;
		size_t		c = 0;

		for (uint32_t i = 0; i < n; i++)
		{
			uint64_t	bits;

			memcpy(&bits, x + (size_t) i * d, 8);
			if (bits != MM_DS_NULL_BITS)
				s.col[c++] = f64_ord(x[(size_t) i * d]);
		}
		if (exact)
		{
			uint64_t	m = q[QI_M];

			if (m <= v->caps.table && c <= v->caps.table - m)
			{
				memcpy(v->table + (size_t) j * v->caps.table + m, s.col, c * 8);
				q[QI_M] = m + c;
			}
			continue;
		}
		radix_keys(s.col, s.tmp, c, s.cnt);
		ds_table_push(v, j, s.col, c, s.b);
		ds_sketch_push(v, j, s.col, c, &s);
	}
	v->staged = 0;
	ds_put_counts(st, v);
}

void
mm_ds_add(uint8_t *st, mm_ds_view *v, const double *vals, const uint8_t *present)
{
	uint32_t	d = v->d;
	double	   *row;

	if (v->staged >= v->caps.stage)
		ds_flush(st, v);
	row = v->stage + (size_t) v->staged * d;
	if (present == NULL)
	{
		uint64_t	c = slot_u64(v->feat, 0);

		if (!(v->flags & MM_DS_FLAG_MIXED) && c > 0)
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
		memcpy(row, vals, (size_t) d * 8);
	}
	else
	{
		size_t		k = 0;

		if (!(v->flags & MM_DS_FLAG_MIXED))
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
				v->flags |= MM_DS_FLAG_MIXED;
			}
			else
			{
				double		x = vals[k++];

				ds_add_value(blk, d, x);
				row[j] = x;
			}
		}
	}
	v->staged++;
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

/* Merges src's sketch of feature j (validated, any alignment) into dst's. */
static void
ds_sketch_merge(const mm_ds_view *v, uint32_t j, const uint8_t *sq, const uint8_t *sbase, const ds_scr *s)
{
	uint64_t   *q = v->qi + (size_t) j * MM_DS_QI,
			   *base = v->sketch + (size_t) j * v->caps.sketch;
	uint32_t	la = qi_levels(q),
				lb = (uint32_t) mm_load_u64(sq + 8 * QI_LEV),
				h,
				newsz[MM_DS_MAX_LEVELS] = {0};
	uint64_t	ia = q[QI_ITEMS],
				ib = mm_load_u64(sq + 8 * QI_ITEMS),
				pa = ia,
				pb = ib,
				opos = 0,
				pos = 0;
	size_t		cb = 0;

	if (ib == 0)
		return;
	if (!ds_sketch_sane(v, q, ib))
	{
		la = 0;
		ia = pa = 0;
	}
	q[QI_EPOS] += mm_load_u64(sq + 8 * QI_EPOS);
	q[QI_ENEG] += mm_load_u64(sq + 8 * QI_ENEG);
	for (h = 0; h < MM_DS_MAX_LEVELS && (h < la || h < lb || cb > 0); h++)
	{
		uint32_t	sa = h < la ? qi_size(q, h) : 0,
					sb = h < lb ? (uint32_t) (mm_load_u64(sq + 8 * (QI_SIZES + h / 2)) >> (32 * (h & 1))) : 0;
		size_t		n;
		uint64_t   *cur = s->out + opos;

		pa -= sa;
		pb -= sb;
		n = merge_keys(base + pa, sa, sbase + 8 * pb, NULL, sb, s->a);
		n = merge_keys(s->a, n, NULL, s->b, cb, cur);
		cb = 0;
		if (n >= v->k && h + 1 < MM_DS_MAX_LEVELS)
		{
			uint64_t	left;
			int			hasleft;

			cb = ds_compact_level(cur, n, h, q, s->b, &left, &hasleft);
			cur[0] = left;
			n = (size_t) hasleft;
		}
		newsz[h] = (uint32_t) n;
		opos += n;
	}
	/* write the levels back, the highest first */
	for (uint32_t g = h; g-- > 0;)
	{
		uint64_t	start = 0;

		for (uint32_t e = 0; e < g; e++)
			start += newsz[e];
		memcpy(base + pos, s->out + start, (size_t) newsz[g] * 8);
		pos += newsz[g];
	}
	for (uint32_t g = 0; g < MM_DS_MAX_LEVELS; g++)
		qi_set_size(q, g, g < h ? newsz[g] : 0);
	qi_set_lev(q, h, qi_live(q));
	q[QI_ITEMS] = pos;
}

/* Merges src's table of feature j (validated, any alignment) into dst's, or drops dst's. */
static void
ds_table_merge(const mm_ds_view *v, uint32_t j, const uint8_t *sq, const uint8_t *st)
{
	uint64_t   *q = v->qi + (size_t) j * MM_DS_QI,
			   *t = v->table + (size_t) j * v->caps.table;
	uint64_t	m = q[QI_M],
				r = mm_load_u64(sq + 8 * QI_M),
				u = 0,
				i,
				k;

	if (!qi_live(q))
		return;
	if (!(mm_load_u64(sq + 8 * QI_LEV) >> 32))
	{
		qi_set_lev(q, qi_levels(q), 0);
		q[QI_M] = 0;
		return;
	}
#define SK(x) mm_load_u64(st + 16 * (x))
#define SC(x) mm_load_u64(st + 16 * (x) + 8)
	for (i = 0, k = 0; i < m || k < r; u++)
	{
		if (k >= r || (i < m && t[2 * i] < SK(k)))
			i++;
		else if (i >= m || SK(k) < t[2 * i])
			k++;
		else
		{
			i++;
			k++;
		}
	}
	if (u > v->dlim || 2 * u > v->caps.table)
	{
		qi_set_lev(q, qi_levels(q), 0);
		q[QI_M] = 0;
		return;
	}
	{
		uint64_t	o = u;

		i = m;
		k = r;
		while (k > 0)
		{
			o--;
			if (i > 0 && t[2 * (i - 1)] > SK(k - 1))
			{
				t[2 * o] = t[2 * (i - 1)];
				t[2 * o + 1] = t[2 * (i - 1) + 1];
				i--;
			}
			else if (i > 0 && t[2 * (i - 1)] == SK(k - 1))
			{
				t[2 * o + 1] = t[2 * (i - 1) + 1] + SC(k - 1);
				t[2 * o] = SK(k - 1);
				i--;
				k--;
			}
			else
			{
				t[2 * o] = SK(k - 1);
				t[2 * o + 1] = SC(k - 1);
				k--;
			}
		}
	}
#undef SK
#undef SC
	q[QI_M] = u;
}

mm_status
mm_ds_combine(uint8_t *dst, mm_ds_view *v, const uint8_t *src, size_t srcsize, mm_err *err)
{
	ds_hdr		s;
	mm_status	rc;
	const uint8_t *sfeat,
			   *sqi,
			   *stab,
			   *ssk,
			   *sstg;
	size_t		dd = v->d;
	uint64_t	na0,
				nb0;
	int			smixed;
	ds_scr		scr;

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
	if ((s.flags & MM_DS_FLAG_EXACT) != (v->flags & MM_DS_FLAG_EXACT))
		return mm_fail(err, MM_EMISMATCH, "cannot combine describe states with different quantile modes");
	{
		uint64_t	tneed,
					sneed;
		int			any_live;

		ds_needs(v, src, &tneed, &sneed, &any_live);
		if (tneed > v->caps.table || ((v->flags & MM_DS_FLAG_EXACT) == 0 && sneed > v->caps.sketch))
			return mm_fail(err, MM_EINVAL, "describe: the state has no room for the combine");
	}
	sfeat = src + ds_feat_off(&s);
	sqi = src + ds_qi_off(&s);
	stab = src + ds_table_off(&s);
	ssk = src + ds_sketch_off(&s);
	sstg = src + ds_stage_off(&s);
	smixed = (s.flags & MM_DS_FLAG_MIXED) != 0;
	/* an unmixed state's count[0] holds for every feature; every count is written below */
	na0 = slot_u64(v->feat, 0);
	nb0 = mm_load_u64(sfeat);
	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + j;
		const uint8_t *b = sfeat + (size_t) j * 8;
		uint64_t	na = (v->flags & MM_DS_FLAG_MIXED) ? slot_u64(blk, FB_COUNT * dd) : na0,
					nb = smixed ? mm_load_u64(b + 8 * FB_COUNT * (size_t) s.d) : nb0;

		set_u64(blk, FB_NULLS * dd, slot_u64(blk, FB_NULLS * dd) + mm_load_u64(b + 8 * FB_NULLS * (size_t) s.d));
		if (nb == 0)
		{
			set_u64(blk, FB_COUNT * dd, na);
			continue;
		}
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
	v->flags |= s.flags & MM_DS_FLAG_MIXED;
	/* the flushed values: tables (or value lists) and sketches */
	ds_scratch(v, &scr);
	for (uint32_t j = 0; j < v->d; j++)
	{
		const uint8_t *sq = sqi + 8 * (size_t) j * MM_DS_QI;

		if (v->flags & MM_DS_FLAG_EXACT)
		{
			uint64_t   *q = v->qi + (size_t) j * MM_DS_QI,
						m = q[QI_M],
						r = mm_load_u64(sq + 8 * QI_M);

			if (m <= v->caps.table && r <= v->caps.table - m)
			{
				memcpy(v->table + (size_t) j * v->caps.table + m, stab + 8 * (size_t) j * s.c.table, r * 8);
				q[QI_M] = m + r;
			}
			continue;
		}
		ds_table_merge(v, j, sq, stab + 8 * (size_t) j * s.c.table);
		ds_sketch_merge(v, j, sq, ssk + 8 * (size_t) j * s.c.sketch, &scr);
	}
	/* src's staged rows join dst's staging area (their moments are merged above) */
	for (uint32_t i = 0; i < s.staged; i++)
	{
		if (v->staged >= v->caps.stage)
			ds_flush(dst, v);
		memcpy(v->stage + (size_t) v->staged * dd, sstg + 8 * (size_t) i * dd, dd * 8);
		v->staged++;
	}
	v->rows += s.rows;
	ds_put_counts(dst, v);
	return MM_OK;
}

/* Sorts (a[i], w[i]) by a, LSD radix on bytes, skipping bytes that are all equal. */
static void
radix_pairs(uint64_t *a, uint64_t *w, size_t n, uint64_t *ta, uint64_t *tw, size_t (*cnt)[256])
{
	uint64_t   *a0 = a,
			   *w0 = w;

	if (n < 2)
		return;
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
 * numpy's 'linear' quantile q of the multiset where sorted key v[i] occurs w[i] times (w NULL:
 * once each; total W): virtual index q (W - 1), and numpy's lerp (b - (b - a)(1 - t) when t >= 0.5).
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

	if (w == NULL)
	{
		i = r < m ? (size_t) r : m - 1;
		a = ord_f64(v[i]);
		b = i + 1 < m ? ord_f64(v[i + 1]) : a;
	}
	else
	{
		while (i < m && cum + w[i] <= r)
			cum += w[i++];
		if (i >= m)
			i = m - 1;
		a = ord_f64(v[i]);
		if (r + 1 < cum + w[i] || i + 1 >= m)
			b = a;
		else
			b = ord_f64(v[i + 1]);
	}
	diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* The sketch quantile: the first key whose cumulative weight reaches q W (keys sorted). */
static double
sketch_quantile(const uint64_t *v, const uint64_t *w, size_t m, uint64_t total, double q)
{
	double		target = q * (double) total;
	uint64_t	cum = 0;

	for (size_t i = 0; i < m; i++)
	{
		cum += w[i];
		if ((double) cum >= target)
			return ord_f64(v[i]);
	}
	return ord_f64(v[m - 1]);
}

/* Room a flush of the staged rows needs (the final works on a flushed copy). */
static void
ds_flush_caps(const mm_ds_view *v, mm_ds_caps *c)
{
	*c = v->caps;
	for (uint32_t j = 0; j < v->d; j++)
	{
		const uint64_t *q = v->qi + (size_t) j * MM_DS_QI;
		uint64_t	t;

		if (v->flags & MM_DS_FLAG_EXACT)
			t = q[QI_M] + v->staged;
		else
		{
			t = qi_live(q) ? 2 * (q[QI_M] + v->staged) : 0;
			if (t > 2 * (uint64_t) v->dlim)
				t = 2 * (uint64_t) v->dlim;
			if (q[QI_ITEMS] + v->staged > c->sketch)
				c->sketch = (uint32_t) (q[QI_ITEMS] + v->staged);
		}
		if (t > c->table)
			c->table = (uint32_t) t;
	}
}

mm_status
mm_ds_summarise(const uint8_t *st, size_t size, const mm_alloc *a, mm_ds_summary *out, mm_err *err)
{
	ds_hdr		h;
	mm_status	rc;
	uint8_t    *cp = NULL,
			   *fl = NULL;
	mm_ds_view	v,
				fv;
	mm_ds_caps	caps;
	size_t		flsize;
	const uint8_t *np,
			   *feat;
	uint64_t   *vals = NULL,
			   *wts = NULL;
	size_t		(*cnt)[256] = NULL;
	size_t		nmax = 0;

	if ((rc = mm_ds_validate(st, size, err)) != MM_OK)
		return rc;
	ds_read_header(st, &h);
	out->rows = h.rows;
	out->d = h.d;
	out->features = mm_alloc_array(a, h.d, sizeof(mm_ds_feature));
	if (!out->features)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	if (h.d == 0)
		return MM_OK;
	/* an aligned copy with the staged rows flushed */
	cp = mm_alloc_array(a, size + 8, 1);
	if (!cp)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	{
		uint8_t    *al = cp + ((8 - ((uintptr_t) (cp + MM_DS_HDRSZ) & 7)) & 7);

		memcpy(al, st, size);
		mm_ds_map(al, &v);
		ds_flush_caps(&v, &caps);
		flsize = ds_size(h.d, h.names_len, &caps, h.k);
		fl = mm_alloc_array(a, flsize + 8, 1);
		if (!fl)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		fl += (8 - ((uintptr_t) (fl + MM_DS_HDRSZ) & 7)) & 7;
		mm_ds_resize(al, &v, fl, flsize, &caps, &fv);
		ds_flush(fl, &fv);
	}
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint64_t *q = fv.qi + (size_t) j * MM_DS_QI;
		size_t		n = (h.flags & MM_DS_FLAG_EXACT) ? q[QI_M] : (qi_live(q) ? q[QI_M] : q[QI_ITEMS]);

		if (n > nmax)
			nmax = n;
	}
	if (nmax > 0)
	{
		vals = mm_alloc_array(a, 2 * nmax, 8);
		wts = mm_alloc_array(a, 2 * nmax, 8);
		cnt = mm_alloc_array(a, 8 * 256, sizeof(size_t));
		if (!vals || !wts || !cnt)
			return mm_fail(err, MM_ENOMEM, "out of memory");
	}
	feat = st + ds_feat_off(&h);
	np = h.names_len > 0 ? st + MM_DS_HDRSZ : NULL;
	for (uint32_t j = 0; j < h.d; j++)
	{
		const uint8_t *b = feat + (size_t) j * 8;
		const uint64_t *q = fv.qi + (size_t) j * MM_DS_QI;
		mm_ds_feature *f = &out->features[j];
		double		n,
					m2;
		double		qs[3] = {0.25, 0.5, 0.75},
					res[3];

		f->count = mm_load_u64((h.flags & MM_DS_FLAG_MIXED) ? b : feat);
		f->nulls = mm_load_u64(b + 8 * FB_NULLS * (size_t) h.d);
		f->name = NULL;
		f->name_len = 0;
		f->exact = 1;
		f->rank_error = 0;
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
		if (h.flags & MM_DS_FLAG_EXACT)
		{
			size_t		m = q[QI_M];

			memcpy(vals, fv.table + (size_t) j * fv.caps.table, m * 8);
			radix_pairs(vals, wts, m, vals + nmax, wts + nmax, cnt);
			for (int i = 0; i < 3; i++)
				res[i] = weighted_quantile(vals, NULL, m, m, qs[i]);
		}
		else if (qi_live(q))
		{
			size_t		m = q[QI_M];
			const uint64_t *t = fv.table + (size_t) j * fv.caps.table;

			for (size_t i = 0; i < m; i++)
			{
				vals[i] = t[2 * i];
				wts[i] = t[2 * i + 1];
			}
			for (int i = 0; i < 3; i++)
				res[i] = weighted_quantile(vals, wts, m, f->count, qs[i]);
		}
		else
		{
			const uint64_t *base = fv.sketch + (size_t) j * fv.caps.sketch;
			uint64_t	pos = q[QI_ITEMS],
						e = q[QI_EPOS] > q[QI_ENEG] ? q[QI_EPOS] : q[QI_ENEG];
			size_t		m = 0;

			for (uint32_t lv = 0; lv < qi_levels(q); lv++)
			{
				uint32_t	s = qi_size(q, lv);

				pos -= s;
				for (uint32_t i = 0; i < s; i++)
				{
					vals[m] = base[pos + i];
					wts[m++] = (uint64_t) 1 << lv;
				}
			}
			radix_pairs(vals, wts, m, vals + nmax, wts + nmax, cnt);
			for (int i = 0; i < 3; i++)
				res[i] = sketch_quantile(vals, wts, m, f->count, qs[i]);
			f->exact = 0;
			f->rank_error = (double) e / n;
		}
		f->p25 = clampd(res[0], f->min, f->max);
		f->p50 = clampd(res[1], f->min, f->max);
		f->p75 = clampd(res[2], f->min, f->max);
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
