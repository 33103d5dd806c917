/*
 * mm_stats.c: describe (Welford/Chan moments, extremes, merging-digest quartiles),
 * corr_matrix (blocked co-moments folded with BLAS dsyrk, merged by Chan's formula) and the
 * stable split hash.
 */
#include "mm_stats.h"
#include "mm_blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static inline double
ld_f64(const uint8_t *p)
{
	double		v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t
ld_u64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t
ld_u32(const uint8_t *p)
{
	return mm_load_u32(p);
}

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

/* feature block slots */
#define FB_COUNT	0
#define FB_NULLS	1
#define FB_NCENT	2
#define FB_NBUF		3
#define FB_MEAN		4
#define FB_M2		5
#define FB_MIN		6
#define FB_MAX		7
#define FB_SHIFT	8			/* the first value: moments are kept of x - shift */
#define FB_FIXED	9

#define DS_C		((size_t) MM_DS_CENTROIDS)
#define DS_B		((size_t) MM_DS_BUFFER)
#define DS_BLOCK	(FB_FIXED + 2 * DS_C + DS_B)
#define DS_ITEMS	(DS_C + (DS_B > DS_C ? DS_B : DS_C))	/* scratch capacity, in (mean, weight) pairs */

typedef struct ds_item
{
	double		m;
	double		w;
} ds_item;

size_t
mm_ds_state_size(uint32_t d, size_t names_len)
{
	if (d > MM_DS_MAX_FEATURES || names_len > MM_DS_MAX_NAMES || (d == 0 && names_len != 0))
		return 0;
	if (d == 0)
		return MM_DS_HDRSZ;
	return MM_DS_HDRSZ + 8 * ((size_t) d * DS_BLOCK + 2 * DS_ITEMS) + names_len;
}

void
mm_ds_init(uint8_t *st, size_t size, uint32_t d, const uint8_t *names, size_t names_len, uint64_t null_rows)
{
	mm_writer	w = {st, 0, MM_DS_HDRSZ};

	memset(st, 0, size);
	mm_put_u32(&w, MM_DS_MAGIC);
	mm_put_u16(&w, MM_DS_VERSION);
	mm_put_u16(&w, MM_DS_KIND);
	mm_put_u32(&w, d);
	mm_put_u32(&w, MM_DS_CENTROIDS);
	mm_put_u32(&w, MM_DS_BUFFER);
	mm_put_u32(&w, (uint32_t) names_len);
	mm_put_u64(&w, null_rows);
	mm_put_u32(&w, (uint32_t) size);
	if (d > 0)
	{
		double	   *feat = (double *) (void *) (st + MM_DS_HDRSZ);

		for (uint32_t j = 0; j < d; j++)
			set_u64(feat + (size_t) j * DS_BLOCK, FB_NULLS, null_rows);
		if (names_len > 0)
			memcpy(st + size - names_len, names, names_len);
	}
}

static void
ds_read_header(const uint8_t *st, mm_ds_view *v)
{
	v->d = ld_u32(st + 8);
	v->ccap = ld_u32(st + 12);
	v->bcap = ld_u32(st + 16);
	v->names_len = ld_u32(st + 20);
	v->rows = ld_u64(st + 24);
}

uint32_t
mm_ds_dims(const uint8_t *st)
{
	return ld_u32(st + 8);
}

uint64_t
mm_ds_rows(const uint8_t *st)
{
	return ld_u64(st + 24);
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
		l = ld_u32(p + pos);
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

mm_status
mm_ds_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_ds_view	v;
	size_t		want;

	if (size < MM_DS_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "describe state is truncated (%zu bytes)", size);
	if (ld_u32(st) != MM_DS_MAGIC || (st[4] | (st[5] << 8)) != MM_DS_VERSION || (st[6] | (st[7] << 8)) != MM_DS_KIND)
		return mm_fail(err, MM_ECORRUPT, "not a describe state");
	ds_read_header(st, &v);
	if (v.ccap != MM_DS_CENTROIDS || v.bcap != MM_DS_BUFFER || !reserved_zero(st, 36, MM_DS_HDRSZ))
		return mm_fail(err, MM_ECORRUPT, "describe state header is invalid");
	want = mm_ds_state_size(v.d, v.names_len);
	if (want == 0 || want != size || ld_u32(st + 32) != size)
		return mm_fail(err, MM_ECORRUPT, "describe state size does not match its header");
	for (uint32_t j = 0; j < v.d; j++)
	{
		const uint8_t *b = st + MM_DS_HDRSZ + (size_t) j * DS_BLOCK * 8;
		uint64_t	count = ld_u64(b + 8 * FB_COUNT),
					nulls = ld_u64(b + 8 * FB_NULLS),
					ncent = ld_u64(b + 8 * FB_NCENT),
					nbuf = ld_u64(b + 8 * FB_NBUF);
		double		mean = ld_f64(b + 8 * FB_MEAN),
					m2 = ld_f64(b + 8 * FB_M2),
					mn = ld_f64(b + 8 * FB_MIN),
					mx = ld_f64(b + 8 * FB_MAX),
					shift = ld_f64(b + 8 * FB_SHIFT),
					wsum = (double) nbuf;

		if (count > v.rows || nulls != v.rows - count || ncent > DS_C || nbuf > DS_B ||
			(count == 0 && (ncent != 0 || nbuf != 0)))
			return mm_fail(err, MM_ECORRUPT, "describe state: counts of feature %u are inconsistent", j + 1);
		if (count > 0 && (!mm_isfinite(mean) || !mm_isfinite(m2) || m2 < 0 || !mm_isfinite(mn) ||
						  !mm_isfinite(mx) || mn > mx || !mm_isfinite(shift)))
			return mm_fail(err, MM_ECORRUPT, "describe state: moments of feature %u are invalid", j + 1);
		for (uint64_t i = 0; i < ncent; i++)
		{
			double		cm = ld_f64(b + 8 * (FB_FIXED + i)),
						cw = ld_f64(b + 8 * (FB_FIXED + DS_C + i));

			if (!mm_isfinite(cm) || !(cw >= 1) || cw != floor(cw) || cw > 9007199254740992.0 ||
				(i > 0 && cm < ld_f64(b + 8 * (FB_FIXED + i - 1))))
				return mm_fail(err, MM_ECORRUPT, "describe state: quantile sketch of feature %u is invalid", j + 1);
			wsum += cw;
		}
		for (uint64_t i = 0; i < nbuf; i++)
			if (!mm_isfinite(ld_f64(b + 8 * (FB_FIXED + 2 * DS_C + i))))
				return mm_fail(err, MM_ECORRUPT, "describe state: quantile sketch of feature %u is invalid", j + 1);
		if (wsum != (double) count)
			return mm_fail(err, MM_ECORRUPT, "describe state: quantile sketch of feature %u does not add up", j + 1);
	}
	if (v.names_len > 0)
		return ds_check_names(st + size - v.names_len, v.names_len, v.d, err);
	return MM_OK;
}

int
mm_ds_header_ok(const uint8_t *st, size_t size)
{
	mm_ds_view	v;

	if (size < MM_DS_HDRSZ || ld_u32(st) != MM_DS_MAGIC || ld_u32(st + 4) != (MM_DS_VERSION | (MM_DS_KIND << 16)))
		return 0;
	ds_read_header(st, &v);
	return v.ccap == MM_DS_CENTROIDS && v.bcap == MM_DS_BUFFER && ld_u32(st + 32) == size &&
		mm_ds_state_size(v.d, v.names_len) == size;
}

void
mm_ds_map(uint8_t *st, mm_ds_view *v)
{
	size_t		size;

	ds_read_header(st, v);
	size = mm_ds_state_size(v->d, v->names_len);
	v->feat = v->d > 0 ? (double *) (void *) (st + MM_DS_HDRSZ) : NULL;
	v->scratch = v->d > 0 ? v->feat + (size_t) v->d * DS_BLOCK : NULL;
	v->names = v->names_len > 0 ? st + size - v->names_len : NULL;
}

/* Sorts n finite doubles in place: quicksort (median of three) with insertion sort below 16. */
static void
sort_doubles(double *a, size_t n)
{
	while (n > 16)
	{
		size_t		i = 0,
					j = n - 1,
					mid = n / 2;
		double		p,
					t;

		if (a[mid] < a[0])
		{
			t = a[mid]; a[mid] = a[0]; a[0] = t;
		}
		if (a[n - 1] < a[0])
		{
			t = a[n - 1]; a[n - 1] = a[0]; a[0] = t;
		}
		if (a[n - 1] < a[mid])
		{
			t = a[n - 1]; a[n - 1] = a[mid]; a[mid] = t;
		}
		p = a[mid];
		for (;;)
		{
			while (a[i] < p)
				i++;
			while (p < a[j])
				j--;
			if (i >= j)
				break;
			t = a[i]; a[i] = a[j]; a[j] = t;
			i++;
			j--;
		}
		/* a[0..j] <= p <= a[j+1..n-1]: recurse into the smaller part, loop on the larger */
		if (j + 1 < n - j - 1)
		{
			sort_doubles(a, j + 1);
			a += j + 1;
			n -= j + 1;
		}
		else
		{
			sort_doubles(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++)
	{
		double		x = a[i];
		size_t		k = i;

		while (k > 0 && a[k - 1] > x)
		{
			a[k] = a[k - 1];
			k--;
		}
		a[k] = x;
	}
}

static int
item_cmp(const void *a, const void *b)
{
	const ds_item *x = (const ds_item *) a,
			   *y = (const ds_item *) b;

	if (x->m != y->m)
		return x->m < y->m ? -1 : 1;
	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return 0;
}

/*
 * Writes m items, sorted by value, as at most C centroids into blk: all of them when they fit,
 * otherwise merged left to right while a centroid stays within total/delta values.
 */
static void
digest_store(double *blk, ds_item *items, size_t m)
{
	double	   *cm = blk + FB_FIXED,
			   *cw = cm + DS_C;
	double		total = 0,
				delta = MM_DS_DELTA;
	size_t		k = 0;

	if (m <= DS_C)
	{
		for (size_t i = 0; i < m; i++)
		{
			cm[i] = items[i].m;
			cw[i] = items[i].w;
		}
		set_u64(blk, FB_NCENT, m);
		return;
	}
	for (size_t i = 0; i < m; i++)
		total += items[i].w;
	for (;;)
	{
		double		limit = total / delta,
					curm = items[0].m,
					curw = items[0].w;

		k = 0;
		for (size_t i = 1; i < m && k < DS_C; i++)
		{
			if (curw + items[i].w <= limit)
			{
				curw += items[i].w;
				curm += (items[i].m - curm) * (items[i].w / curw);
				if (curm > items[i].m)	/* rounding: keep the centroids sorted */
					curm = items[i].m;
			}
			else
			{
				cm[k] = curm;
				cw[k] = curw;
				k++;
				curm = items[i].m;
				curw = items[i].w;
			}
		}
		if (k < DS_C)
		{
			cm[k] = curm;
			cw[k] = curw;
			k++;
			break;
		}
		delta *= 0.8;			/* cannot happen with delta <= (C - 1) / 2, kept as a guard */
	}
	set_u64(blk, FB_NCENT, k);
}

/* Merges the buffered values of one feature into its centroids. */
static void
ds_flush(double *blk, ds_item *items)
{
	size_t		nc = slot_u64(blk, FB_NCENT),
				nb = slot_u64(blk, FB_NBUF),
				m = 0;
	const double *cm = blk + FB_FIXED,
			   *cw = cm + DS_C;
	double	   *buf = blk + FB_FIXED + 2 * DS_C;

	size_t		i = 0,
				k = 0;

	if (nc > DS_C)				/* only a forged state gets here: keep memory safe */
		nc = DS_C;
	if (nb > DS_B)
		nb = DS_B;
	/* the centroids are kept sorted: sort the buffer and merge the two runs */
	sort_doubles(buf, nb);
	while (i < nc || k < nb)
	{
		if (k == nb || (i < nc && cm[i] <= buf[k]))
		{
			items[m].m = cm[i];
			items[m++].w = cw[i++];
		}
		else
		{
			items[m].m = buf[k++];
			items[m++].w = 1;
		}
	}
	digest_store(blk, items, m);
	set_u64(blk, FB_NBUF, 0);
}

/* Appends x to the feature's buffer, merging a full buffer into the centroids first. */
static inline void
ds_buffer_value(double *blk, double x, ds_item *scratch)
{
	uint64_t	nb = slot_u64(blk, FB_NBUF);

	if (nb >= DS_B)				/* > only in a forged state: ds_flush stays in bounds */
	{
		ds_flush(blk, scratch);
		nb = 0;
	}
	blk[FB_FIXED + 2 * DS_C + nb] = x;
	set_u64(blk, FB_NBUF, nb + 1);
}

/* Welford's update on x - shift (the feature's first value), which keeps large offsets exact. */
static inline void
ds_add_value(double *blk, double x, ds_item *scratch)
{
	uint64_t	n = slot_u64(blk, FB_COUNT) + 1;
	double		y,
				mean,
				delta;

	if (n == 1)
	{
		blk[FB_SHIFT] = x;
		blk[FB_MEAN] = 0;
		blk[FB_M2] = 0;
		blk[FB_MIN] = x;
		blk[FB_MAX] = x;
	}
	else
	{
		y = x - blk[FB_SHIFT];
		mean = blk[FB_MEAN];
		delta = y - mean;
		mean += delta / (double) n;
		blk[FB_M2] += delta * (y - mean);
		blk[FB_MEAN] = mean;
		if (x < blk[FB_MIN])
			blk[FB_MIN] = x;
		if (x > blk[FB_MAX])
			blk[FB_MAX] = x;
	}
	set_u64(blk, FB_COUNT, n);
	ds_buffer_value(blk, x, scratch);
}

void
mm_ds_add(uint8_t *st, mm_ds_view *v, const double *vals, const uint8_t *present)
{
	ds_item    *scratch = (ds_item *) (void *) v->scratch;
	size_t		k = 0;

	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + (size_t) j * DS_BLOCK;

		if (present && !(present[j >> 3] & (1 << (j & 7))))
			set_u64(blk, FB_NULLS, slot_u64(blk, FB_NULLS) + 1);
		else
			ds_add_value(blk, vals[k++], scratch);
	}
	v->rows++;
	put_u64_at(st, 24, v->rows);
}

void
mm_ds_add_null_rows(uint8_t *st, mm_ds_view *v, uint64_t k)
{
	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + (size_t) j * DS_BLOCK;

		set_u64(blk, FB_NULLS, slot_u64(blk, FB_NULLS) + k);
	}
	v->rows += k;
	put_u64_at(st, 24, v->rows);
}

mm_status
mm_ds_combine(uint8_t *dst, mm_ds_view *v, const uint8_t *src, size_t srcsize, mm_err *err)
{
	mm_ds_view	s;
	mm_status	rc;
	ds_item    *items;

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
		(s.names_len > 0 && memcmp(src + srcsize - s.names_len, v->names, s.names_len) != 0))
		return mm_fail(err, MM_EMISMATCH, "cannot combine describe states with different feature names");
	items = (ds_item *) (void *) v->scratch;
	for (uint32_t j = 0; j < v->d; j++)
	{
		double	   *blk = v->feat + (size_t) j * DS_BLOCK;
		const uint8_t *b = src + MM_DS_HDRSZ + (size_t) j * DS_BLOCK * 8;
		uint64_t	na = slot_u64(blk, FB_COUNT),
					nb = ld_u64(b + 8 * FB_COUNT),
					snc = ld_u64(b + 8 * FB_NCENT),
					snb = ld_u64(b + 8 * FB_NBUF);
		size_t		nc,
					m = 0;

		set_u64(blk, FB_NULLS, slot_u64(blk, FB_NULLS) + ld_u64(b + 8 * FB_NULLS));
		if (nb == 0)
			continue;
		if (na == 0)
		{
			blk[FB_SHIFT] = ld_f64(b + 8 * FB_SHIFT);
			blk[FB_MEAN] = ld_f64(b + 8 * FB_MEAN);
			blk[FB_M2] = ld_f64(b + 8 * FB_M2);
			blk[FB_MIN] = ld_f64(b + 8 * FB_MIN);
			blk[FB_MAX] = ld_f64(b + 8 * FB_MAX);
		}
		else
		{
			double		fa = (double) na,
						fb = (double) nb,
						fn = fa + fb,
						delta = (ld_f64(b + 8 * FB_SHIFT) - blk[FB_SHIFT]) + (ld_f64(b + 8 * FB_MEAN) - blk[FB_MEAN]);

			blk[FB_M2] += ld_f64(b + 8 * FB_M2) + delta * delta * (fa * fb / fn);
			blk[FB_MEAN] += delta * (fb / fn);
			if (ld_f64(b + 8 * FB_MIN) < blk[FB_MIN])
				blk[FB_MIN] = ld_f64(b + 8 * FB_MIN);
			if (ld_f64(b + 8 * FB_MAX) > blk[FB_MAX])
				blk[FB_MAX] = ld_f64(b + 8 * FB_MAX);
		}
		set_u64(blk, FB_COUNT, na + nb);
		/* src's buffered values join dst's buffer */
		for (uint64_t i = 0; i < snb; i++)
			ds_buffer_value(blk, ld_f64(b + 8 * (FB_FIXED + 2 * DS_C + i)), items);
		/* then the two sets of centroids are merged */
		if (snc == 0)
			continue;
		nc = slot_u64(blk, FB_NCENT);
		for (size_t i = 0; i < nc; i++, m++)
		{
			items[m].m = blk[FB_FIXED + i];
			items[m].w = blk[FB_FIXED + DS_C + i];
		}
		for (size_t i = 0; i < snc; i++, m++)
		{
			items[m].m = ld_f64(b + 8 * (FB_FIXED + i));
			items[m].w = ld_f64(b + 8 * (FB_FIXED + DS_C + i));
		}
		qsort(items, m, sizeof(ds_item), item_cmp);
		digest_store(blk, items, m);
	}
	v->rows += s.rows;
	put_u64_at(dst, 24, v->rows);
	return MM_OK;
}

/*
 * Quantile q of sorted items (weighted centroids; weight-1 items are single values). Centroid
 * i sits at rank (values before it) + (w_i - 1) / 2 in 0 .. n - 1, min at rank 0 and max at
 * n - 1; the quantile's rank q (n - 1) is interpolated linearly between neighbours. With
 * all weights 1 this is numpy's default ('linear') quantile.
 */
static double
digest_quantile(const ds_item *it, size_t m, double n, double mn, double mx, double q)
{
	double		h = q * (n - 1),
				before = 0,
				pc = 0,
				pm = mn,
				r;

	for (size_t i = 0; i < m; i++)
	{
		double		c = before + (it[i].w - 1) / 2;

		if (h <= c)
		{
			if (c <= pc)
				r = it[i].m;
			else
				r = pm + (it[i].m - pm) * ((h - pc) / (c - pc));
			goto done;
		}
		pc = c;
		pm = it[i].m;
		before += it[i].w;
	}
	if (n - 1 <= pc)
		r = pm;
	else
		r = pm + (mx - pm) * ((h - pc) / (n - 1 - pc));
done:
	if (r < mn)
		r = mn;
	if (r > mx)
		r = mx;
	return r;
}

mm_status
mm_ds_summarise(const uint8_t *st, size_t size, const mm_alloc *a, mm_ds_summary *out, mm_err *err)
{
	mm_ds_view	v;
	mm_status	rc;
	ds_item    *items;
	const uint8_t *names,
			   *np;

	if ((rc = mm_ds_validate(st, size, err)) != MM_OK)
		return rc;
	ds_read_header(st, &v);
	out->rows = v.rows;
	out->d = v.d;
	out->features = mm_alloc_array(a, v.d, sizeof(mm_ds_feature));
	items = mm_alloc_array(a, DS_C + DS_B, sizeof(ds_item));
	if (!out->features || !items)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	names = v.names_len > 0 ? st + size - v.names_len : NULL;
	np = names;
	for (uint32_t j = 0; j < v.d; j++)
	{
		const uint8_t *b = st + MM_DS_HDRSZ + (size_t) j * DS_BLOCK * 8;
		mm_ds_feature *f = &out->features[j];
		size_t		nc = ld_u64(b + 8 * FB_NCENT),
					nb = ld_u64(b + 8 * FB_NBUF),
					m = 0;
		double		n,
					m2;

		f->count = ld_u64(b + 8 * FB_COUNT);
		f->nulls = ld_u64(b + 8 * FB_NULLS);
		if (np)
		{
			f->name_len = ld_u32(np);
			f->name = (const char *) np + 4;
			np += 4 + f->name_len;
		}
		if (f->count == 0)
		{
			f->mean = f->std = f->std_sample = f->min = f->max = f->p25 = f->p50 = f->p75 = NAN;
			continue;
		}
		n = (double) f->count;
		m2 = ld_f64(b + 8 * FB_M2);
		f->mean = ld_f64(b + 8 * FB_SHIFT) + ld_f64(b + 8 * FB_MEAN);
		f->std = sqrt(m2 / n);
		f->std_sample = f->count > 1 ? sqrt(m2 / (n - 1)) : NAN;
		f->min = ld_f64(b + 8 * FB_MIN);
		f->max = ld_f64(b + 8 * FB_MAX);
		for (size_t i = 0; i < nc; i++, m++)
		{
			items[m].m = ld_f64(b + 8 * (FB_FIXED + i));
			items[m].w = ld_f64(b + 8 * (FB_FIXED + DS_C + i));
		}
		for (size_t i = 0; i < nb; i++, m++)
		{
			items[m].m = ld_f64(b + 8 * (FB_FIXED + 2 * DS_C + i));
			items[m].w = 1;
		}
		qsort(items, m, sizeof(ds_item), item_cmp);
		f->p25 = digest_quantile(items, m, n, f->min, f->max, 0.25);
		f->p50 = digest_quantile(items, m, n, f->min, f->max, 0.50);
		f->p75 = digest_quantile(items, m, n, f->min, f->max, 0.75);
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
	v->d = ld_u32(st + 8);
	v->cap = ld_u32(st + 12);
	v->nbuf = ld_u32(st + 16);
	v->n = ld_u64(st + 24);
}

uint32_t
mm_cr_dims(const uint8_t *st)
{
	return ld_u32(st + 8);
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
	if (ld_u32(st) != MM_CR_MAGIC || (st[4] | (st[5] << 8)) != MM_CR_VERSION || (st[6] | (st[7] << 8)) != MM_CR_KIND)
		return mm_fail(err, MM_ECORRUPT, "not a corr_matrix state");
	cr_read_header(st, &v);
	want = mm_cr_state_size(v.d, v.cap);
	if (want == 0 || want != size || ld_u32(st + 32) != size)
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
		if (!mm_isfinite(ld_f64(mean + 8 * j)) || !mm_isfinite(ld_f64(mn + 8 * j)) || !mm_isfinite(ld_f64(mx + 8 * j)) ||
			(v.n + v.nbuf > 0 && ld_f64(mn + 8 * j) > ld_f64(mx + 8 * j)))
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: feature %zu is invalid", j + 1);
		for (size_t i = 0; i <= j; i++)
			if (!mm_isfinite(ld_f64(com + 8 * (i + j * p))))
				return mm_fail(err, MM_ECORRUPT, "corr_matrix state: co-moments are not finite");
		if (ld_f64(com + 8 * (j + j * p)) < 0)
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: a variance is negative");
	}
	for (size_t i = 0; i < (size_t) v.nbuf * p; i++)
		if (!mm_isfinite(ld_f64(buf + 8 * i)))
			return mm_fail(err, MM_ECORRUPT, "corr_matrix state: buffered rows are not finite");
	return MM_OK;
}

int
mm_cr_header_ok(const uint8_t *st, size_t size)
{
	mm_cr_view	v;

	if (size < MM_CR_HDRSZ || ld_u32(st) != MM_CR_MAGIC || ld_u32(st + 4) != (MM_CR_VERSION | (MM_CR_KIND << 16)))
		return 0;
	cr_read_header(st, &v);
	return ld_u32(st + 32) == size && mm_cr_state_size(v.d, v.cap) == size && v.nbuf < v.cap;
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

/*
 * Folds m buffered rows (row-major, p wide; centred in place) into (n, mean, com): the block's
 * own scatter by dsyrk, then Chan's correction for the two means (as mm_linreg.c does).
 */
static void
cr_fold(uint64_t *n, double *mean, double *com, double *buf, uint32_t m, size_t p, double *bmean)
{
	double		na = (double) *n,
				nb = (double) m,
				nn = na + nb;

	if (m == 0)
		return;
	memset(bmean, 0, p * sizeof(double));
	for (uint32_t i = 0; i < m; i++)
	{
		const double *row = buf + i * p;

		for (size_t j = 0; j < p; j++)
			bmean[j] += row[j];
	}
	for (size_t j = 0; j < p; j++)
		bmean[j] /= nb;
	for (uint32_t i = 0; i < m; i++)
	{
		double	   *row = buf + i * p;

		for (size_t j = 0; j < p; j++)
			row[j] -= bmean[j];
	}
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int) p, (int) m, 1.0, buf, (int) p, 1.0, com, (int) p);
	for (size_t j = 0; j < p; j++)
		bmean[j] -= mean[j];
	if (na > 0)
		cblas_dsyr(CblasColMajor, CblasUpper, (int) p, na * nb / nn, bmean, 1, com, (int) p);
	for (size_t j = 0; j < p; j++)
		mean[j] += bmean[j] * (nb / nn);
	*n += m;
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
		cr_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
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
			double		a = ld_f64(smin + 8 * j),
						b = ld_f64(smax + 8 * j);

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
			delta[j] = ld_f64(smean + 8 * j) - v->mean[j];
		for (size_t j = 0; j < p; j++)
			for (size_t i = 0; i <= j; i++)
				v->com[i + j * p] += ld_f64(scom + 8 * (i + j * p)) + delta[i] * delta[j] * (fa * fb / fn);
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
			cr_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
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
	cr_fold(&n, mean, com, buf, s.nbuf, p, tmp);
	for (size_t j = 0; j < p; j++)
	{
		double		c = com[j + j * p];

		sd[j] = (n > 1 && ld_f64(mn + 8 * j) < ld_f64(mx + 8 * j) && c > 0) ? sqrt(c) : NAN;
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
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

double
mm_split_unit(const void *bytes, size_t len, uint64_t seed)
{
	return (double) (mm_hash64(bytes, len, seed) >> 11) * (1.0 / 9007199254740992.0);
}
