/*
 * mm_drift.c: build, validate and decode drift baselines; PSI (see mm_drift.h).
 */
#include "mm_drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* numpy.quantile(method='linear') on sorted s[0..n-1], including numpy's lerp. */
static double
quantile_sorted(const double *s, size_t n, double q)
{
	double		vi = (double) (n - 1) * q;
	double		lo = floor(vi);
	size_t		i = (size_t) lo;
	double		t = vi - lo;
	double		a,
				b,
				diff;

	if (i >= n - 1)
		return s[n - 1];
	a = s[i];
	b = s[i + 1];
	diff = b - a;
	return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

uint32_t
mm_baseline_bin(const mm_baseline_feature *f, double v)
{
	/* first edge >= v among the nbins - 1 edges: searchsorted(edges, v, side='left') */
	return mm_lower_bound(f->edges, f->nbins - 1, v);
}

/*
 * Sorts finite doubles ascending by LSD radix sort on their bit patterns, mapped so that the
 * unsigned order is the numeric order (4 passes of 16 bits; tmp holds 2n entries).
 */
static void
sort_doubles(double *v, size_t n, uint64_t *tmp)
{
	static size_t count[1 << 16];
	uint64_t   *u = tmp,
			   *w = tmp + n;

	for (size_t i = 0; i < n; i++)
	{
		uint64_t	b;

		memcpy(&b, &v[i], 8);
		u[i] = (b & 0x8000000000000000ULL) ? ~b : (b | 0x8000000000000000ULL);
	}
	for (int pass = 0; pass < 4; pass++)
	{
		int			shift = pass * 16;
		size_t		sum = 0;
		uint64_t   *src = pass % 2 == 0 ? u : w,
				   *dst = pass % 2 == 0 ? w : u;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xffff]++;
		for (size_t b = 0; b < (1 << 16); b++)
		{
			size_t		c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
	}
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	b = u[i];

		b = (b & 0x8000000000000000ULL) ? (b & 0x7fffffffffffffffULL) : ~b;
		memcpy(&v[i], &b, 8);
	}
}

mm_status
mm_baseline_build(const double *X, size_t n, uint32_t d, uint32_t nbins,
				  const mm_alloc *a, uint8_t **out, size_t *outlen, mm_err *err)
{
	double	   *col,
			   *edges;
	uint64_t   *counts,
			   *tmp;
	uint32_t   *nb;
	double	  **fe;
	size_t		size = MM_BASELINE_HDRSZ;
	uint8_t    *buf;
	mm_writer	w;

	*out = NULL;
	*outlen = 0;
	if (n == 0)
		return mm_fail(err, MM_EDATA, "a drift baseline needs at least one row");
	if (d < 1 || d > MM_MAX_FEATURES)
		return mm_fail(err, MM_EINVAL, "feature count %u out of range", d);
	if (nbins < 1 || nbins > MM_BASELINE_MAX_BINS)
		return mm_fail(err, MM_EINVAL, "number of bins %u is out of range (1 to %d)", nbins, MM_BASELINE_MAX_BINS);
	if (n > MM_MAX_ALLOC / sizeof(double) || n > MM_MAX_ALLOC / d)
		return mm_fail(err, MM_ENOMEM, "%zu rows are too many for a drift baseline", n);
	for (size_t i = 0; i < n * d; i++)
		if (!mm_isfinite(X[i]))
			return mm_fail(err, MM_EDATA, "baseline value of feature %zu in row %zu is not finite", i % d + 1, i / d + 1);

	col = mm_alloc_array(a, n, sizeof(double));
	tmp = mm_alloc_array(a, 2 * n, sizeof(uint64_t));
	counts = mm_alloc_array(a, nbins, sizeof(uint64_t));
	nb = mm_alloc_array(a, d, sizeof(uint32_t));
	fe = mm_alloc_array(a, d, sizeof(double *));
	if (!col || !tmp || !counts || !nb || !fe)
		return mm_fail(err, MM_ENOMEM, "out of memory building a drift baseline");

	/* edges per feature */
	for (uint32_t j = 0; j < d; j++)
	{
		uint32_t	k = 0;

		edges = mm_alloc_array(a, nbins, sizeof(double));
		if (!edges)
			return mm_fail(err, MM_ENOMEM, "out of memory building a drift baseline");
		for (size_t i = 0; i < n; i++)
			col[i] = X[i * d + j];
		sort_doubles(col, n, tmp);
		for (uint32_t q = 1; q < nbins; q++)
		{
			double		e = quantile_sorted(col, n, (double) q / (double) nbins);

			if (k == 0 || e > edges[k - 1])
				edges[k++] = e;
		}
		nb[j] = k + 1;
		fe[j] = edges;
		size += 4 + (size_t) k * 8 + (size_t) (k + 1) * 8;
	}
	if (size > MM_MAX_ALLOC)
		return mm_fail(err, MM_ENOMEM, "drift baseline would take %zu bytes", size);
	buf = a->alloc(a->ctx, size);
	if (!buf)
		return mm_fail(err, MM_ENOMEM, "out of memory building a drift baseline");
	w.buf = buf;
	w.len = 0;
	w.cap = size;
	mm_put_u32(&w, MM_BASELINE_MAGIC);
	mm_put_u16(&w, MM_BASELINE_VERSION);
	mm_put_u16(&w, 0);
	mm_put_u32(&w, d);
	mm_put_u32(&w, nbins);
	mm_put_u64(&w, (uint64_t) n);
	for (uint32_t j = 0; j < d; j++)
	{
		mm_baseline_feature f = {nb[j], fe[j], NULL};

		memset(counts, 0, sizeof(uint64_t) * nbins);
		for (size_t i = 0; i < n; i++)
			counts[mm_baseline_bin(&f, X[i * d + j])]++;
		mm_put_u32(&w, nb[j]);
		mm_put_f64s(&w, fe[j], nb[j] - 1);
		for (uint32_t b = 0; b < nb[j]; b++)
			mm_put_f64(&w, (double) counts[b] / (double) n);
	}
	if (w.len != size)
		return mm_fail(err, MM_EINVAL, "internal error: wrote %zu of %zu baseline bytes", w.len, size);
	*out = buf;
	*outlen = size;
	return MM_OK;
}

mm_status
mm_baseline_decode(const void *p, size_t len, const mm_alloc *a, mm_baseline **out, mm_err *err)
{
	mm_reader	r;
	mm_baseline *b;
	uint32_t	magic,
				d,
				maxb;
	uint16_t	version,
				reserved;
	uint64_t	nrows;

	*out = NULL;
	if (len < MM_BASELINE_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "drift baseline is %zu bytes, shorter than its header", len);
	mm_reader_init(&r, p, len);
	magic = mm_get_u32(&r);
	version = mm_get_u16(&r);
	reserved = mm_get_u16(&r);
	d = mm_get_u32(&r);
	maxb = mm_get_u32(&r);
	nrows = mm_get_u64(&r);
	if (magic != MM_BASELINE_MAGIC)
		return mm_fail(err, MM_ECORRUPT, "drift baseline has a bad magic number");
	if (version != MM_BASELINE_VERSION)
		return mm_fail(err, MM_ECORRUPT, "unsupported drift baseline version %u", version);
	if (reserved != 0)
		return mm_fail(err, MM_ECORRUPT, "drift baseline reserved field is not zero");
	if (d < 1 || d > MM_MAX_FEATURES)
		return mm_fail(err, MM_ECORRUPT, "drift baseline feature count %u out of range", d);
	if (maxb < 1 || maxb > MM_BASELINE_MAX_BINS)
		return mm_fail(err, MM_ECORRUPT, "drift baseline bin count %u out of range", maxb);
	if (nrows < 1)
		return mm_fail(err, MM_ECORRUPT, "drift baseline summarises no rows");
	/* every feature takes at least 12 bytes: bound d by the length before allocating */
	if ((size_t) d > (len - MM_BASELINE_HDRSZ) / 12)
		return mm_fail(err, MM_ECORRUPT, "drift baseline is too short for %u features", d);

	b = a->alloc(a->ctx, sizeof(mm_baseline));
	if (!b)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	b->n_features = d;
	b->max_bins = maxb;
	b->n_rows = nrows;
	b->f = mm_alloc_array(a, d, sizeof(mm_baseline_feature));
	if (!b->f)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	for (uint32_t j = 0; j < d; j++)
	{
		mm_baseline_feature *f = &b->f[j];
		uint32_t	nb = mm_get_u32(&r);
		double		sum = 0;

		if (!r.ok)
			return mm_fail(err, MM_ECORRUPT, "drift baseline truncated at feature %u", j + 1);
		if (nb < 1 || nb > maxb)
			return mm_fail(err, MM_ECORRUPT, "drift baseline feature %u has %u bins (at most %u)", j + 1, nb, maxb);
		if ((size_t) (2 * nb - 1) * 8 > len - r.pos)
			return mm_fail(err, MM_ECORRUPT, "drift baseline truncated at feature %u", j + 1);
		f->nbins = nb;
		f->edges = mm_alloc_array(a, nb, sizeof(double));
		f->frac = mm_alloc_array(a, nb, sizeof(double));
		if (!f->edges || !f->frac)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		mm_get_f64s(&r, f->edges, nb - 1);
		mm_get_f64s(&r, f->frac, nb);
		if (!r.ok)
			return mm_fail(err, MM_ECORRUPT, "drift baseline truncated at feature %u", j + 1);
		for (uint32_t i = 0; i + 1 < nb; i++)
			if (!mm_isfinite(f->edges[i]) || (i > 0 && !(f->edges[i] > f->edges[i - 1])))
				return mm_fail(err, MM_ECORRUPT, "drift baseline edges of feature %u are not finite and increasing", j + 1);
		for (uint32_t i = 0; i < nb; i++)
		{
			if (!(f->frac[i] >= 0.0 && f->frac[i] <= 1.0))
				return mm_fail(err, MM_ECORRUPT, "drift baseline fraction of feature %u is out of range", j + 1);
			sum += f->frac[i];
		}
		if (fabs(sum - 1.0) > 1e-9)
			return mm_fail(err, MM_ECORRUPT, "drift baseline fractions of feature %u do not sum to 1", j + 1);
		b->total_bins += nb;
	}
	if (r.pos != len)
		return mm_fail(err, MM_ECORRUPT, "drift baseline has %zu trailing bytes", len - r.pos);
	*out = b;
	return MM_OK;
}

double
mm_psi(const double *expected, const double *actual, uint32_t nbins)
{
	double		psi = 0;

	for (uint32_t i = 0; i < nbins; i++)
	{
		double		e = expected[i] > MM_PSI_FLOOR ? expected[i] : MM_PSI_FLOOR;
		double		x = actual[i] > MM_PSI_FLOOR ? actual[i] : MM_PSI_FLOOR;

		psi += (x - e) * log(x / e);
	}
	return psi;
}

double
mm_psi_counts(const mm_baseline_feature *f, const uint64_t *counts, uint64_t total)
{
	double		psi = 0;

	for (uint32_t i = 0; i < f->nbins; i++)
	{
		double		e = f->frac[i] > MM_PSI_FLOOR ? f->frac[i] : MM_PSI_FLOOR;
		double		x = total ? (double) counts[i] / (double) total : 0.0;

		if (x < MM_PSI_FLOOR)
			x = MM_PSI_FLOOR;
		psi += (x - e) * log(x / e);
	}
	return psi;
}
