/*
 * mm_rank.c: Spearman's rank correlation and the pairwise-complete correlation matrix
 * (state formats in mm_rank.h).
 */
#include "mm_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------- shared ---------- */

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int
header_ok(const uint8_t *st, size_t size, size_t hdrsz, uint32_t magic, int version, int kind)
{
	return size >= hdrsz && mm_load_u32(st) == magic &&
		(st[4] | (st[5] << 8)) == version && (st[6] | (st[7] << 8)) == kind;
}

static void
header_init(uint8_t *st, uint32_t magic, int version, int kind)
{
	mm_store_u32(st, magic);
	st[4] = (uint8_t) version;
	st[5] = 0;
	st[6] = (uint8_t) kind;
	st[7] = 0;
}

/* ---------- spearman ---------- */

#define SP_N	8
#define SP_CAP	16
#define SP_SKIP 24

size_t
mm_sp_state_size(uint64_t cap)
{
	if (cap > MM_SP_MAX_PAIRS)
		return 0;
	return MM_SP_HDRSZ + (size_t) cap * 16;
}

void
mm_sp_init(uint8_t *st, size_t size, uint64_t cap)
{
	memset(st, 0, size);
	header_init(st, MM_SP_MAGIC, MM_SP_VERSION, MM_SP_KIND);
	mm_store_u64(st + SP_CAP, cap);
}

mm_status
mm_sp_check(const uint8_t *st, size_t size, mm_err *err)
{
	uint64_t	n,
				cap;

	if (!header_ok(st, size, MM_SP_HDRSZ, MM_SP_MAGIC, MM_SP_VERSION, MM_SP_KIND))
		return mm_fail(err, MM_ECORRUPT, "not a spearman state");
	n = mm_load_u64(st + SP_N);
	cap = mm_load_u64(st + SP_CAP);
	if (mm_load_u32(st + 32) != 0 || cap > MM_SP_MAX_PAIRS || n > cap || size != MM_SP_HDRSZ + 16 * cap)
		return mm_fail(err, MM_ECORRUPT, "spearman state size does not match its header");
	return MM_OK;
}

mm_status
mm_sp_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_status	rc;
	uint64_t	n,
				cap;

	if ((rc = mm_sp_check(st, size, err)) != MM_OK)
		return rc;
	n = mm_load_u64(st + SP_N);
	cap = mm_load_u64(st + SP_CAP);
	for (uint64_t i = 0; i < 2 * n; i++)
		if (!mm_isfinite(mm_load_f64(st + MM_SP_HDRSZ + 8 * i)))
			return mm_fail(err, MM_ECORRUPT, "spearman state has a non-finite value");
	if (!all_zero(st + MM_SP_HDRSZ + 16 * n, 16 * (cap - n)))
		return mm_fail(err, MM_ECORRUPT, "spearman state has nonzero unused bytes");
	return MM_OK;
}

uint64_t
mm_sp_rows(const uint8_t *st)
{
	return mm_load_u64(st + SP_N);
}

void
mm_sp_skip(uint8_t *st)
{
	mm_store_u64(st + SP_SKIP, mm_load_u64(st + SP_SKIP) + 1);
}

int
mm_sp_add(uint8_t *st, double x, double y)
{
	uint64_t	n = mm_load_u64(st + SP_N);

	if (n >= mm_load_u64(st + SP_CAP))
		return 0;
	mm_store_f64(st + MM_SP_HDRSZ + 16 * n, x + 0.0);
	mm_store_f64(st + MM_SP_HDRSZ + 16 * n + 8, y + 0.0);
	mm_store_u64(st + SP_N, n + 1);
	return 1;
}

uint64_t
mm_sp_grow_capacity(const uint8_t *st, uint64_t need)
{
	uint64_t	cap = mm_load_u64(st + SP_CAP);

	if (need > MM_SP_MAX_PAIRS)
		return 0;
	if (cap < MM_SP_CAP0)
		cap = MM_SP_CAP0;
	while (cap < need)
		cap *= 2;
	return cap > MM_SP_MAX_PAIRS ? MM_SP_MAX_PAIRS : cap;
}

void
mm_sp_copy(const uint8_t *src, uint8_t *dst, uint64_t cap)
{
	uint64_t	n = mm_load_u64(src + SP_N);

	memset(dst, 0, MM_SP_HDRSZ + 16 * cap);
	memcpy(dst, src, MM_SP_HDRSZ + 16 * n);
	mm_store_u64(dst + SP_CAP, cap);
}

void
mm_sp_merge(uint8_t *dst, const uint8_t *src)
{
	uint64_t	n = mm_load_u64(dst + SP_N),
				sn = mm_load_u64(src + SP_N);

	memcpy(dst + MM_SP_HDRSZ + 16 * n, src + MM_SP_HDRSZ, 16 * sn);
	mm_store_u64(dst + SP_N, n + sn);
	mm_store_u64(dst + SP_SKIP, mm_load_u64(dst + SP_SKIP) + mm_load_u64(src + SP_SKIP));
}

typedef struct rank_item
{
	double		v;
	size_t		i;
} rank_item;

static int
rank_cmp(const void *a, const void *b)
{
	double		x = ((const rank_item *) a)->v,
				y = ((const rank_item *) b)->v;

	return (x > y) - (x < y);
}

mm_status
mm_average_ranks(const uint8_t *v, size_t n, size_t stride, double *r, const mm_alloc *a, mm_err *err)
{
	rank_item  *it = mm_alloc_array(a, n ? n : 1, sizeof(rank_item));

	if (!it)
		return mm_fail(err, MM_ENOMEM, "out of memory ranking %zu values", n);
	for (size_t i = 0; i < n; i++)
	{
		it[i].v = mm_load_f64(v + i * stride) + 0.0;	/* -0.0 ties with 0.0 */
		it[i].i = i;
	}
	qsort(it, n, sizeof(rank_item), rank_cmp);
	for (size_t s = 0; s < n;)
	{
		size_t		e = s + 1;
		double		avg;

		while (e < n && it[e].v == it[s].v)
			e++;
		/* ranks s+1 .. e: their mean */
		avg = ((double) (s + 1) + (double) e) / 2.0;
		for (size_t k = s; k < e; k++)
			r[it[k].i] = avg;
		s = e;
	}
	return MM_OK;
}

mm_status
mm_sp_rho(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err)
{
	uint64_t	n = mm_load_u64(st + SP_N);
	const uint8_t *p = st + MM_SP_HDRSZ;
	double	   *rx,
			   *ry,
				m,
				sxx = 0,
				syy = 0,
				sxy = 0,
				r;
	mm_status	rc;

	*isnull = 0;
	*out = 0;
	if (n < 2)
	{
		*isnull = 1;
		return MM_OK;
	}
	rx = mm_alloc_array(a, 2 * n, sizeof(double));
	if (!rx)
		return mm_fail(err, MM_ENOMEM, "out of memory ranking %llu pairs", (unsigned long long) n);
	ry = rx + n;
	if ((rc = mm_average_ranks(p, n, 16, rx, a, err)) != MM_OK ||
		(rc = mm_average_ranks(p + 8, n, 16, ry, a, err)) != MM_OK)
		return rc;
	m = ((double) n + 1.0) / 2.0;	/* the mean of average ranks, exactly */
	for (uint64_t i = 0; i < n; i++)
	{
		double		dx = rx[i] - m,
					dy = ry[i] - m;

		sxx += dx * dx;
		syy += dy * dy;
		sxy += dx * dy;
	}
	if (sxx == 0 || syy == 0)
	{
		*isnull = 1;
		return MM_OK;
	}
	r = sxy / sqrt(sxx * syy);
	*out = r > 1 ? 1 : r < -1 ? -1 : r;
	return MM_OK;
}

/* ---------- pairwise-complete correlation ---------- */

#define PW_D	8
#define PW_MODE 12
#define PW_ROWS 16
#define PW_SKIP 24

static inline size_t
pw_npairs(uint32_t d)
{
	return (size_t) d * (d + 1) / 2;
}

size_t
mm_pw_state_size(uint32_t d)
{
	if (d < 1 || d > MM_PW_MAX_FEATURES)
		return 0;
	return MM_PW_HDRSZ + 48 * pw_npairs(d);
}

void
mm_pw_init(uint8_t *st, size_t size, uint32_t d, uint32_t mode)
{
	memset(st, 0, size);
	header_init(st, MM_PW_MAGIC, MM_PW_VERSION, MM_PW_KIND);
	mm_store_u32(st + PW_D, d);
	mm_store_u32(st + PW_MODE, mode);
}

mm_status
mm_pw_check(const uint8_t *st, size_t size, mm_err *err)
{
	uint32_t	d,
				mode;

	if (!header_ok(st, size, MM_PW_HDRSZ, MM_PW_MAGIC, MM_PW_VERSION, MM_PW_KIND))
		return mm_fail(err, MM_ECORRUPT, "not a pairwise corr_matrix state");
	d = mm_load_u32(st + PW_D);
	mode = mm_load_u32(st + PW_MODE);
	if (mm_load_u32(st + 32) != 0 || mode < MM_PW_NULLS_ERROR || mode > MM_PW_NULLS_COMPLETE || d < 1 || d > MM_PW_MAX_FEATURES ||
		size != mm_pw_state_size(d))
		return mm_fail(err, MM_ECORRUPT, "pairwise corr_matrix state size does not match its header");
	return MM_OK;
}

mm_status
mm_pw_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_status	rc;
	uint32_t	d;
	double		rows;
	size_t		k = 0;

	if ((rc = mm_pw_check(st, size, err)) != MM_OK)
		return rc;
	d = mm_load_u32(st + PW_D);
	rows = (double) mm_load_u64(st + PW_ROWS);
	for (uint32_t i = 0; i < d; i++)
		for (uint32_t j = i; j < d; j++, k++)
		{
			const uint8_t *e = st + MM_PW_HDRSZ + 48 * k;
			double		f[6];

			for (int t = 0; t < 6; t++)
			{
				f[t] = mm_load_f64(e + 8 * t);
				if (!mm_isfinite(f[t]))
					return mm_fail(err, MM_ECORRUPT, "pairwise corr_matrix state has a non-finite value");
			}
			if (f[0] < 0 || f[0] != floor(f[0]) || f[0] > rows || f[3] < 0 || f[4] < 0)
				return mm_fail(err, MM_ECORRUPT, "pairwise corr_matrix state has invalid moments");
			if (f[0] == 0 && !all_zero(e, 48))
				return mm_fail(err, MM_ECORRUPT, "pairwise corr_matrix state has invalid moments");
			if (i == j && (memcmp(e + 8, e + 16, 8) != 0 || memcmp(e + 24, e + 32, 8) != 0 ||
						   memcmp(e + 24, e + 40, 8) != 0))
				return mm_fail(err, MM_ECORRUPT, "pairwise corr_matrix state has invalid moments");
		}
	return MM_OK;
}

uint32_t
mm_pw_dims(const uint8_t *st)
{
	return mm_load_u32(st + PW_D);
}

uint32_t
mm_pw_mode(const uint8_t *st)
{
	return mm_load_u32(st + PW_MODE);
}

uint64_t
mm_pw_rows(const uint8_t *st)
{
	return mm_load_u64(st + PW_ROWS);
}

void
mm_pw_skip(uint8_t *st)
{
	mm_store_u64(st + PW_SKIP, mm_load_u64(st + PW_SKIP) + 1);
}

void
mm_pw_add(uint8_t *st, const double *x, const uint8_t *present)
{
	uint32_t	d = mm_load_u32(st + PW_D);
	uint8_t    *e = st + MM_PW_HDRSZ;

	for (uint32_t i = 0; i < d; i++)
	{
		double		xi = x[i];

		if (!present[i])
		{
			e += 48 * (size_t) (d - i);
			continue;
		}
		for (uint32_t j = i; j < d; j++, e += 48)
		{
			double		xj,
						n,
						mi,
						mj,
						dx,
						dy;

			if (!present[j])
				continue;
			xj = x[j];
			n = mm_load_f64(e) + 1;
			mi = mm_load_f64(e + 8);
			mj = mm_load_f64(e + 16);
			dx = xi - mi;
			dy = xj - mj;
			mi += dx / n;
			mj += dy / n;
			mm_store_f64(e, n);
			mm_store_f64(e + 8, mi);
			mm_store_f64(e + 16, mj);
			mm_store_f64(e + 24, mm_load_f64(e + 24) + dx * (xi - mi));
			mm_store_f64(e + 32, mm_load_f64(e + 32) + dy * (xj - mj));
			mm_store_f64(e + 40, mm_load_f64(e + 40) + dx * (xj - mj));
		}
	}
	mm_store_u64(st + PW_ROWS, mm_load_u64(st + PW_ROWS) + 1);
}

mm_status
mm_pw_merge(uint8_t *dst, size_t dstsize, const uint8_t *src, size_t srcsize, mm_err *err)
{
	uint32_t	d = mm_load_u32(dst + PW_D);
	size_t		np;

	if (mm_load_u32(src + PW_D) != d)
		return mm_fail(err, MM_EMISMATCH, "cannot combine corr_matrix states of %u and %u features",
					   d, mm_load_u32(src + PW_D));
	if (mm_load_u32(src + PW_MODE) != mm_load_u32(dst + PW_MODE))
		return mm_fail(err, MM_EMISMATCH, "cannot combine corr_matrix states with different \"nulls\" options");
	np = pw_npairs(d);
	for (size_t k = 0; k < np; k++)
	{
		uint8_t    *e = dst + MM_PW_HDRSZ + 48 * k;
		const uint8_t *s = src + MM_PW_HDRSZ + 48 * k;
		double		na = mm_load_f64(e),
					nb = mm_load_f64(s),
					nt,
					dx,
					dy,
					w;

		if (nb == 0)
			continue;
		if (na == 0)
		{
			memcpy(e, s, 48);
			continue;
		}
		nt = na + nb;
		dx = mm_load_f64(s + 8) - mm_load_f64(e + 8);
		dy = mm_load_f64(s + 16) - mm_load_f64(e + 16);
		w = na * nb / nt;
		mm_store_f64(e, nt);
		mm_store_f64(e + 8, mm_load_f64(e + 8) + dx * (nb / nt));
		mm_store_f64(e + 16, mm_load_f64(e + 16) + dy * (nb / nt));
		mm_store_f64(e + 24, mm_load_f64(e + 24) + mm_load_f64(s + 24) + dx * dx * w);
		mm_store_f64(e + 32, mm_load_f64(e + 32) + mm_load_f64(s + 32) + dy * dy * w);
		mm_store_f64(e + 40, mm_load_f64(e + 40) + mm_load_f64(s + 40) + dx * dy * w);
	}
	mm_store_u64(dst + PW_ROWS, mm_load_u64(dst + PW_ROWS) + mm_load_u64(src + PW_ROWS));
	mm_store_u64(dst + PW_SKIP, mm_load_u64(dst + PW_SKIP) + mm_load_u64(src + PW_SKIP));
	(void) dstsize;
	(void) srcsize;
	return MM_OK;
}

mm_status
mm_pw_matrix(const uint8_t *st, const mm_alloc *a, double **out, mm_err *err)
{
	uint32_t	d = mm_load_u32(st + PW_D);
	double	   *r = mm_alloc_array(a, (size_t) d * d, sizeof(double));
	size_t		k = 0;

	if (!r)
		return mm_fail(err, MM_ENOMEM, "out of memory for a %u x %u correlation matrix", d, d);
	for (uint32_t i = 0; i < d; i++)
		for (uint32_t j = i; j < d; j++, k++)
		{
			const uint8_t *e = st + MM_PW_HDRSZ + 48 * k;
			double		n = mm_load_f64(e),
						sxx = mm_load_f64(e + 24),
						syy = mm_load_f64(e + 32),
						sxy = mm_load_f64(e + 40),
						v;

			if (n < 2 || sxx <= 0 || syy <= 0)
				v = NAN;
			else if (i == j)
				v = 1.0;
			else
			{
				v = sxy / sqrt(sxx * syy);
				v = v > 1 ? 1 : v < -1 ? -1 : v;
			}
			r[(size_t) i * d + j] = v;
			r[(size_t) j * d + i] = v;
		}
	*out = r;
	return MM_OK;
}
