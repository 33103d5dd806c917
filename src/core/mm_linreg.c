/*
 * mm_linreg.c: least squares and ridge by Cholesky on centred normal equations.
 */
#include "mm_linreg.h"
#include "mm_blas.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define MM_SYRK_WIDE 1
#include <immintrin.h>
#endif

/* Reciprocal condition number below which the system is reported as rank deficient. */
#define MM_LS_RCOND_MIN 1e-12

uint32_t
mm_ls_capacity(uint32_t d)
{
	size_t		row = (size_t) (d + 1) * sizeof(double);
	size_t		cap = ((size_t) 256 * 1024) / row;

	if (cap > 256)
		cap = 256;
	if (cap < 8)
		cap = 8;
	return (uint32_t) cap;
}

size_t
mm_ls_state_size(uint32_t d, uint32_t cap)
{
	size_t		p = (size_t) d + 1;

	if (d < 1 || d > 10000 || cap < 1 || cap > 4096)
		return 0;
	return MM_LS_HDRSZ + sizeof(double) * (2 * p + p * p + (size_t) cap * p);
}

void
mm_ls_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap, double l2, uint32_t flags)
{
	mm_writer	w = {st, 0, MM_LS_HDRSZ};

	memset(st, 0, size);
	mm_put_u32(&w, MM_LS_MAGIC);
	mm_put_u16(&w, MM_LS_VERSION);
	mm_put_u16(&w, 1);
	mm_put_u32(&w, d);
	mm_put_u32(&w, cap);
	mm_put_u32(&w, 0);
	mm_put_u32(&w, flags);
	mm_put_f64(&w, l2);
	mm_put_u64(&w, 0);
	mm_put_u32(&w, (uint32_t) size);
}

/* Header fields by direct little-endian loads (the host is little-endian, see mm_core.h). */
static void
read_header(const uint8_t *st, mm_ls_view *v)
{
	v->d = mm_load_u32(st + 8);
	v->cap = mm_load_u32(st + 12);
	v->nbuf = mm_load_u32(st + 16);
	v->flags = mm_load_u32(st + 20);
	memcpy(&v->l2, st + 24, 8);
	memcpy(&v->n, st + 32, 8);
}

mm_status
mm_ls_check(const uint8_t *st, size_t size, mm_err *err)
{
	mm_reader	r;
	mm_ls_view	v;
	uint32_t	total;

	if (size < MM_LS_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "least-squares state is truncated (%zu bytes)", size);
	mm_reader_init(&r, st, size);
	if (mm_get_u32(&r) != MM_LS_MAGIC || mm_get_u16(&r) != MM_LS_VERSION || mm_get_u16(&r) != 1)
		return mm_fail(err, MM_ECORRUPT, "not a linreg_fit state");
	read_header(st, &v);
	r.pos = 40;
	total = mm_get_u32(&r);
	for (int i = 44; i < MM_LS_HDRSZ; i++)
		if (st[i] != 0)
			return mm_fail(err, MM_ECORRUPT, "least-squares state has nonzero reserved bytes");
	if (mm_ls_state_size(v.d, v.cap) == 0 || mm_ls_state_size(v.d, v.cap) != size || total != size)
		return mm_fail(err, MM_ECORRUPT, "least-squares state size does not match its header");
	if (v.nbuf >= v.cap || (v.flags & ~MM_LS_NO_INTERCEPT) || !mm_isfinite(v.l2) || v.l2 < 0)
		return mm_fail(err, MM_ECORRUPT, "least-squares state header is invalid");
	return MM_OK;
}

mm_status
mm_ls_validate(const uint8_t *st, size_t size, mm_err *err)
{
	mm_status	rc;
	mm_ls_view	v;
	size_t		p;
	double		x;

	if ((rc = mm_ls_check(st, size, err)) != MM_OK)
		return rc;
	read_header(st, &v);
	p = (size_t) v.d + 1;
	/* the means, the co-moments' upper triangle (column-major), then the buffered rows */
	for (size_t i = 0; i < p; i++)
	{
		memcpy(&x, st + MM_LS_HDRSZ + 8 * i, 8);
		if (!mm_isfinite(x))
			return mm_fail(err, MM_ECORRUPT, "least-squares state has a non-finite mean");
	}
	/* co-moments may overflow to an infinity (values near 1e160: the solve copes), never NaN */
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i <= j; i++)
		{
			memcpy(&x, st + MM_LS_HDRSZ + 8 * (p + j * p + i), 8);
			if (isnan(x))
				return mm_fail(err, MM_ECORRUPT, "least-squares state has a NaN co-moment");
		}
	for (size_t i = 0; i < (size_t) v.nbuf * p; i++)
	{
		memcpy(&x, st + MM_LS_HDRSZ + 8 * (2 * p + p * p + i), 8);
		if (!mm_isfinite(x))
			return mm_fail(err, MM_ECORRUPT, "least-squares state has a non-finite buffered row");
	}
	return MM_OK;
}

void
mm_ls_map(uint8_t *st, mm_ls_view *v)
{
	size_t		p;

	read_header(st, v);
	p = (size_t) v->d + 1;
	v->mean = (double *) (void *) (st + MM_LS_HDRSZ);
	v->com = v->mean + p;
	v->scratch = v->com + p * p;
	v->buf = v->scratch + p;
}

uint64_t
mm_ls_rows(const uint8_t *st)
{
	mm_ls_view	v;

	read_header(st, &v);
	return v.n + v.nbuf;
}

static inline void
write_counts(uint8_t *st, uint32_t nbuf, uint64_t n)
{
	memcpy(st + 16, &nbuf, 4);
	memcpy(st + 32, &n, 8);
}

int			mm_syrk_wide = -1;

#ifdef MM_SYRK_WIDE
/*
 * com (column-major, upper triangle) += B'B for the m rows of B (row-major, p wide), which is what
 * dsyrk(Upper, NoTrans) does with B as a p x m column-major matrix: the same sums of products,
 * each entry's in row order, the lower triangle untouched. OpenBLAS computes whole diagonal
 * blocks for this shape (~35 ns a row at p = 33); tiles of 8 x 4 entries in registers, fed by
 * two four-lane loads and four broadcasts of each row, do the upper triangle only.
 */
__attribute__((target("avx2,fma")))
static void
syrk_upper_wide(double *com, const double *buf, uint32_t m, size_t p)
{
	size_t		q = p & ~(size_t) 3;	/* columns in whole blocks of four */
	double		t[8];

	for (size_t b0 = 0; b0 < q; b0 += 4)
		for (size_t a0 = 0; a0 < b0 + 4; a0 += 8)
		{
			/* rows a0 .. a0 + 7 of the tile, or a0 .. a0 + 3 on the diagonal's last step */
			int			two = a0 + 8 <= b0 + 4;
			__m256d		c00 = _mm256_setzero_pd(),
						c01 = c00,
						c02 = c00,
						c03 = c00,
						c10 = c00,
						c11 = c00,
						c12 = c00,
						c13 = c00;

			if (two)
				for (uint32_t r = 0; r < m; r++)
				{
					const double *row = buf + (size_t) r * p;
					__m256d		x0 = _mm256_loadu_pd(row + a0),
								x1 = _mm256_loadu_pd(row + a0 + 4),
								y;

					y = _mm256_broadcast_sd(row + b0);
					c00 = _mm256_fmadd_pd(x0, y, c00);
					c10 = _mm256_fmadd_pd(x1, y, c10);
					y = _mm256_broadcast_sd(row + b0 + 1);
					c01 = _mm256_fmadd_pd(x0, y, c01);
					c11 = _mm256_fmadd_pd(x1, y, c11);
					y = _mm256_broadcast_sd(row + b0 + 2);
					c02 = _mm256_fmadd_pd(x0, y, c02);
					c12 = _mm256_fmadd_pd(x1, y, c12);
					y = _mm256_broadcast_sd(row + b0 + 3);
					c03 = _mm256_fmadd_pd(x0, y, c03);
					c13 = _mm256_fmadd_pd(x1, y, c13);
				}
			else
				for (uint32_t r = 0; r < m; r++)
				{
					const double *row = buf + (size_t) r * p;
					__m256d		x0 = _mm256_loadu_pd(row + a0);

					c00 = _mm256_fmadd_pd(x0, _mm256_broadcast_sd(row + b0), c00);
					c01 = _mm256_fmadd_pd(x0, _mm256_broadcast_sd(row + b0 + 1), c01);
					c02 = _mm256_fmadd_pd(x0, _mm256_broadcast_sd(row + b0 + 2), c02);
					c03 = _mm256_fmadd_pd(x0, _mm256_broadcast_sd(row + b0 + 3), c03);
				}
			/* add the tile's upper-triangle entries (a <= b) to com */
			for (int j = 0; j < 4; j++)
			{
				size_t		b = b0 + j;
				__m256d		lo = j == 0 ? c00 : j == 1 ? c01 : j == 2 ? c02 : c03,
							hi = j == 0 ? c10 : j == 1 ? c11 : j == 2 ? c12 : c13;

				_mm256_storeu_pd(t, lo);
				_mm256_storeu_pd(t + 4, hi);
				for (size_t a = a0; a < a0 + (two ? 8 : 4) && a <= b; a++)
					com[a + b * p] += t[a - a0];
			}
		}
	/* the last p - q columns: four rows of com at a time above q, then the few rows from q on */
	for (size_t b = q; b < p; b++)
	{
		size_t		a0 = 0;

		for (; a0 + 4 <= q; a0 += 4)
		{
			__m256d		c = _mm256_setzero_pd();

			for (uint32_t r = 0; r < m; r++)
			{
				const double *row = buf + (size_t) r * p;

				c = _mm256_fmadd_pd(_mm256_loadu_pd(row + a0), _mm256_broadcast_sd(row + b), c);
			}
			_mm256_storeu_pd(t, c);
			for (int k = 0; k < 4; k++)
				com[a0 + k + b * p] += t[k];
		}
		for (size_t a = q; a <= b; a++)
		{
			double		c = 0;

			for (uint32_t r = 0; r < m; r++)
				c = fma(buf[(size_t) r * p + a], buf[(size_t) r * p + b], c);
			com[a + b * p] += c;
		}
	}
}

/* com (column-major, upper triangle) += alpha x x', as dsyr(Upper) does, with fused multiply-adds. */
__attribute__((target("avx2,fma")))
static void
syr_upper_wide(double *com, const double *x, double alpha, size_t p)
{
	for (size_t b = 0; b < p; b++)
	{
		double		t = alpha * x[b];
		double	   *col = com + b * p;

		for (size_t a = 0; a <= b; a++)
			col[a] = __builtin_fma(x[a], t, col[a]);
	}
}

/* Whether to fold with the tiles: where the CPU has AVX2 and FMA, unless a test chose dsyrk. */
static int
use_syrk_wide(void)
{
	static int	cpu = -1;

	if (cpu < 0)
		cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
	return mm_syrk_wide != 0 && cpu;
}
#endif

/*
 * Folds m buffered rows (row-major, p wide; shifted in place) into (n, mean, com). The rows are
 * shifted by the running mean (by the first row when there is none yet) in the same pass that
 * sums them, their scatter about that shift comes from one dsyrk, and one rank-1 update turns it
 * into the centred update: with d = block mean - shift,
 *     com += S - (m^2 / (n + m)) d d',   mean += d m / (n + m)
 * (Chan et al.'s merge written for a block centred on the old mean). One pass over the block
 * instead of three.
 */
void
mm_comoments_fold(uint64_t *n, double *mean, double *com, double *buf, uint32_t m, size_t p, double *bsum)
{
	double		nn = (double) *n + (double) m;

	if (m == 0)
		return;
	if (*n == 0)
		memcpy(mean, buf, p * sizeof(double));
	memset(bsum, 0, p * sizeof(double));
	for (uint32_t i = 0; i < m; i++)
	{
		double	   *row = buf + i * p;
		size_t		j = 0;

		for (; j + 2 <= p; j += 2)
		{
			mm_v2d		r = *(mm_v2d *) (row + j) - *(const mm_v2d *) (mean + j);

			*(mm_v2d *) (row + j) = r;
			*(mm_v2d *) (bsum + j) += r;
		}
		for (; j < p; j++)
		{
			row[j] -= mean[j];
			bsum[j] += row[j];
		}
	}
	for (size_t j = 0; j < p; j++)
		bsum[j] /= (double) m;	/* d */
#ifdef MM_SYRK_WIDE
	if (use_syrk_wide())
	{
		syrk_upper_wide(com, buf, m, p);
		syr_upper_wide(com, bsum, -((double) m * (double) m) / nn, p);
	}
	else
#endif
	{
		/*
		 * OpenBLAS is opened here only when the tiles do not run: a parallel worker, a new
		 * process each time, would otherwise spend ~2.5 ms loading it for nothing.
		 */
		const mm_blas_api *blas = mm_blas();

		if (blas)
		{
			blas->dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int) p, (int) m, 1.0, buf, (int) p, 1.0, com, (int) p);
			blas->dsyr(CblasColMajor, CblasUpper, (int) p, -((double) m * (double) m) / nn, bsum, 1, com, (int) p);
		}
		else
		{
			/* without OpenBLAS (the fit itself then reports it): the same updates, plainly */
			for (uint32_t i = 0; i < m; i++)
			{
				const double *row = buf + i * p;

				for (size_t b = 0; b < p; b++)
					for (size_t a2 = 0; a2 <= b; a2++)
						com[a2 + b * p] += row[a2] * row[b];
			}
			for (size_t b = 0; b < p; b++)
				for (size_t a2 = 0; a2 <= b; a2++)
					com[a2 + b * p] -= ((double) m * (double) m) / nn * bsum[a2] * bsum[b];
		}
	}
	for (size_t j = 0; j < p; j++)
		mean[j] += bsum[j] * ((double) m / nn);
	*n += m;
}

void
mm_ls_add(uint8_t *st, mm_ls_view *v, const double *x, double y)
{
	size_t		p = (size_t) v->d + 1;
	double	   *row = v->buf + (size_t) v->nbuf * p;

	memcpy(row, x, v->d * sizeof(double));
	row[v->d] = y;
	if (++v->nbuf == v->cap)
	{
		mm_comoments_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
		v->nbuf = 0;
	}
	write_counts(st, v->nbuf, v->n);
}

/* Chan's merge of (nb, mb, cb) into (na, ma, ca); cb is read through memcpy (any alignment). */
static void
merge_moments(uint64_t *na, double *ma, double *ca, uint64_t nb, const uint8_t *mb, const uint8_t *cb,
			  size_t p, double *delta)
{
	double		fa = (double) *na,
				fb = (double) nb,
				fn = fa + fb;

	if (nb == 0)
		return;
	for (size_t j = 0; j < p; j++)
	{
		double		m;

		memcpy(&m, mb + j * 8, 8);
		delta[j] = m - ma[j];
	}
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i <= j; i++)
		{
			double		c;

			memcpy(&c, cb + (i + j * p) * 8, 8);
			ca[i + j * p] += c + delta[i] * delta[j] * (fa * fb / fn);
		}
	for (size_t j = 0; j < p; j++)
		ma[j] += delta[j] * (fb / fn);
	*na += nb;
}

static int
same_shape(const mm_ls_view *a, const mm_ls_view *b)
{
	return a->d == b->d && a->flags == b->flags && a->l2 == b->l2;
}

mm_status
mm_ls_combine(uint8_t *dst, mm_ls_view *v, const uint8_t *src, size_t srcsize, mm_err *err)
{
	mm_ls_view	s;
	size_t		p = (size_t) v->d + 1;
	const uint8_t *smean,
			   *scom,
			   *sbuf;
	mm_status	st;

	if ((st = mm_ls_validate(src, srcsize, err)) != MM_OK)
		return st;
	read_header(src, &s);
	if (!same_shape(v, &s))
		return mm_fail(err, MM_EMISMATCH, "cannot combine least-squares states of %u and %u features (or different options)",
					   v->d, s.d);
	smean = src + MM_LS_HDRSZ;
	scom = smean + p * 8;
	sbuf = scom + (p * p + p) * 8;
	merge_moments(&v->n, v->mean, v->com, s.n, smean, scom, p, v->scratch);
	for (uint32_t i = 0; i < s.nbuf; i++)
	{
		double	   *row = v->buf + (size_t) v->nbuf * p;

		memcpy(row, sbuf + (size_t) i * p * 8, p * 8);
		if (++v->nbuf == v->cap)
		{
			mm_comoments_fold(&v->n, v->mean, v->com, v->buf, v->nbuf, p, v->scratch);
			v->nbuf = 0;
		}
	}
	write_counts(dst, v->nbuf, v->n);
	return MM_OK;
}

/* A JSON number, or null for a value that is not finite (JSON has no NaN or infinity). */
static const char *
json_num(char *buf, size_t len, double v, int digits)
{
	if (!mm_isfinite(v))
		return "null";
	snprintf(buf, len, "%.*g", digits, v);
	return buf;
}

static void
fmt_meta(char *buf, size_t len, uint64_t n, double l2, int intercept, double r2, double mse, double rcond)
{
	char		b1[32],
				b2[32],
				b3[32];

	snprintf(buf, len,
			 "{\"solver\": \"normal_equations\", \"n_rows\": %llu, \"l2\": %.17g, \"fit_intercept\": %s, "
			 "\"train_r2\": %s, \"train_mse\": %s, \"rcond\": %s}",
			 (unsigned long long) n, l2, intercept ? "true" : "false", json_num(b1, sizeof(b1), r2, 17),
			 json_num(b2, sizeof(b2), mse, 17), json_num(b3, sizeof(b3), rcond, 6));
}

mm_status
mm_ls_solve(const uint8_t *st, size_t size, const mm_alloc *a, mm_model **out, mm_err *err)
{
	mm_ls_view	s;
	size_t		p,
				d;
	double	   *mean,
			   *com,
			   *tmp,
			   *buf,
			   *A,
			   *rhs,
			   *sc,
			   *work;
	int		   *iwork;
	int			dn,
				info = 0,
				one = 1;
	uint64_t	n;
	int			intercept;
	double		nl2,
				anorm,
				rcond = 0,
				syy,
				ssres,
				r2;
	mm_model   *m;
	char		meta[512];
	mm_status	vst;
	const mm_blas_api *blas;

	if ((vst = mm_ls_validate(st, size, err)) != MM_OK)
		return vst;
	read_header(st, &s);
	d = s.d;
	p = d + 1;
	intercept = !(s.flags & MM_LS_NO_INTERCEPT);
	mean = mm_alloc_array(a, 4 * p + 2 * p * p + (size_t) s.nbuf * p, sizeof(double));
	iwork = mm_alloc_array(a, p, sizeof(int));
	m = a->alloc(a->ctx, sizeof(mm_model));
	if (!mean || !iwork || !m)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	com = mean + p;
	tmp = com + p * p;
	A = tmp + p;
	rhs = A + p * p;
	sc = rhs + p;
	buf = sc + p;
	work = buf;					/* dpocon needs 3d doubles; reuse after folding, see below */
	memcpy(mean, st + MM_LS_HDRSZ, p * 8);
	memcpy(com, st + MM_LS_HDRSZ + p * 8, p * p * 8);
	memcpy(buf, st + MM_LS_HDRSZ + (2 * p + p * p) * 8, (size_t) s.nbuf * p * 8);
	n = s.n;
	mm_comoments_fold(&n, mean, com, buf, s.nbuf, p, tmp);
	if (n == 0)
		return mm_fail(err, MM_EDATA, "no rows to fit");

	if (!intercept)
	{
		/* raw second moments: C + n * mean mean' */
		for (size_t j = 0; j < p; j++)
			for (size_t i = 0; i <= j; i++)
				com[i + j * p] += (double) n * mean[i] * mean[j];
	}
	nl2 = (double) n * s.l2;
	/* Jacobi scaling to unit diagonal keeps the Cholesky well conditioned across feature scales. */
	for (size_t j = 0; j < d; j++)
	{
		double		djj = com[j + j * p] + nl2;

		/*
		 * Round-off leaves a constant column (of a value like 0.1) a tiny positive centred
		 * variance, which the scaling below would blow up into a feature: count a spread
		 * below 1e-12 of the column's magnitude as none.
		 */
		double		spread_floor = intercept ? (double) n * (1e-12 * mean[j]) * (1e-12 * mean[j]) : 0.0;

		if (!(djj > spread_floor))
			return mm_fail(err, MM_ERANK, "feature %zu is constant, so the least-squares problem is rank deficient", j + 1);
		sc[j] = 1.0 / sqrt(djj);
	}
	for (size_t j = 0; j < d; j++)
	{
		for (size_t i = 0; i <= j; i++)
			A[i + j * d] = com[i + j * p] * sc[i] * sc[j];
		A[j + j * d] = 1.0;
		rhs[j] = com[j + d * p] * sc[j];
	}
	if ((blas = mm_blas()) == NULL)
		return mm_fail(err, MM_ESYSTEM, "the BLAS library could not be opened: %s", mm_blas_error());
	dn = (int) d;
	anorm = blas->dlansy("1", "U", &dn, A, &dn, tmp, 1, 1);
	blas->dpotrf("U", &dn, A, &dn, &info, 1);
	if (info == 0)
	{
		double	   *w3 = mm_alloc_array(a, 3 * p, sizeof(double));

		if (!w3)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		work = w3;
		blas->dpocon("U", &dn, A, &dn, &anorm, &rcond, work, iwork, &info, 1);
	}
	if (info != 0 || !(rcond >= MM_LS_RCOND_MIN))
	{
		mm_fail(err, MM_ERANK, "the least-squares problem is rank deficient");
		if (n < p && intercept)
			mm_fail_detail(err, "%llu rows cannot determine %zu coefficients and an intercept.",
						   (unsigned long long) n, d);
		else
			mm_fail_detail(err, "Some features are (nearly) linear combinations of others (reciprocal condition number %.3g).", rcond);
		return MM_ERANK;
	}
	blas->dpotrs("U", &dn, &one, A, &dn, rhs, &dn, &info, 1);
	if (info != 0)
		return mm_fail(err, MM_ERANK, "the least-squares solve failed (LAPACK info %d)", info);

	m->algorithm = MM_ALG_LINREG;
	m->n_features = (uint32_t) d;
	m->n_outputs = 1;
	m->coef = mm_alloc_array(a, p, sizeof(double));
	m->eff = mm_alloc_array(a, p, sizeof(double));
	if (!m->coef || !m->eff)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	m->coef[0] = intercept ? mean[d] : 0.0;
	for (size_t j = 0; j < d; j++)
	{
		m->coef[j + 1] = rhs[j] * sc[j];
		if (intercept)
			m->coef[0] -= m->coef[j + 1] * mean[j];
	}
	for (size_t j = 0; j < p; j++)
		if (!mm_isfinite(m->coef[j]))
			return mm_fail(err, MM_EDATA, "the least-squares solution overflows: feature or target values are too large");
	/* training fit: SSres = Syy - 2 w'Sxy + w'Sxx w on the (centred or raw) moments */
	syy = com[d + d * p];
	ssres = syy;
	for (size_t j = 0; j < d; j++)
	{
		double		wj = m->coef[j + 1],
					q = 0;

		ssres -= 2 * wj * com[j + d * p];
		for (size_t i = 0; i < d; i++)
			q += m->coef[i + 1] * (i <= j ? com[i + j * p] : com[j + i * p]);
		ssres += wj * q;
	}
	if (ssres < 0)
		ssres = 0;
	/*
	 * R's definition: with an intercept, R² against the centred total sum of squares; without
	 * one, syy is already the raw sum of y², so R² is the uncentred 1 - RSS / sum(y²).
	 */
	r2 = syy > 0 ? 1.0 - ssres / syy : (ssres == 0 ? 1.0 : 0.0);
	fmt_meta(meta, sizeof(meta), n, s.l2, intercept, r2, ssres / (double) n, rcond);
	m->meta = a->alloc(a->ctx, strlen(meta) + 1);
	if (!m->meta)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	strcpy(m->meta, meta);
	mm_model_fold(m);
	*out = m;
	return MM_OK;
}
