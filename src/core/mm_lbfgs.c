/*
 * mm_lbfgs.c: L-BFGS (two-loop recursion, backtracking Armijo line search) on the mean loss of
 * a linear model plus an L2 penalty on the weights (intercepts not penalised).
 */
#include "mm_lbfgs.h"
#include "mm_blas.h"

#include <float.h>
#include <math.h>
#include <string.h>

static inline double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static inline double
sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double		e = exp(z);

		return e / (1.0 + e);
	}
}

/* scratch: d (standardised row) + K (scores) + d (inverse scales) doubles */
double
mm_glm_objective(const mm_glm_problem *p, const double *w, double *grad, double *scratch)
{
	uint32_t	d = p->d,
				K = p->K;
	size_t		P = (size_t) K * (d + 1);
	double	   *z = scratch,
			   *s = scratch + d,
			   *inv = scratch + d + K;
	double		loss = 0,
				wsum = 0,
				reg = 0;

	memset(grad, 0, sizeof(double) * P);
	for (uint32_t j = 0; j < d; j++)
		inv[j] = p->mean ? 1.0 / p->scale[j] : 1.0;
	for (size_t i = 0; i < p->n; i++)
	{
		const double *x = p->X + i * d;
		double		cw = 1.0;

		if (p->skip && p->skip[i])
			continue;
		if (p->cw && p->algorithm != MM_ALG_LINREG)
			cw = p->cw[p->cls[i]];
		wsum += 1;
		for (uint32_t j = 0; j < d; j++)
			z[j] = p->mean ? (x[j] - p->mean[j]) * inv[j] : x[j];
		for (uint32_t k = 0; k < K; k++)
		{
			const double *wk = w + (size_t) k * (d + 1);
			double		acc = wk[0];

			for (uint32_t j = 0; j < d; j++)
				acc += wk[j + 1] * z[j];
			s[k] = acc;
		}
		switch (p->algorithm)
		{
			case MM_ALG_LINREG:
				{
					double		r = s[0] - p->y[i];

					loss += 0.5 * r * r;
					s[0] = r;
				}
				break;
			case MM_ALG_LOGREG:
				{
					double		yy = p->cls[i] == 1 ? 1.0 : -1.0;

					loss += cw * softplus(-yy * s[0]);
					s[0] = cw * -yy * sigmoid(-yy * s[0]);
				}
				break;
			default:
				{
					double		mx = s[0],
								sum = 0;

					for (uint32_t k = 1; k < K; k++)
						if (s[k] > mx)
							mx = s[k];
					for (uint32_t k = 0; k < K; k++)
						sum += exp(s[k] - mx);
					loss += cw * (mx + log(sum) - s[p->cls[i]]);
					for (uint32_t k = 0; k < K; k++)
						s[k] = cw * (exp(s[k] - mx) / sum - (k == (uint32_t) p->cls[i] ? 1.0 : 0.0));
				}
				break;
		}
		for (uint32_t k = 0; k < K; k++)
		{
			double	   *gk = grad + (size_t) k * (d + 1);
			double		r = s[k];

			if (r == 0)
				continue;
			gk[0] += r;
			for (uint32_t j = 0; j < d; j++)
				gk[j + 1] += r * z[j];
		}
	}
	if (wsum == 0)
		wsum = 1;
	for (size_t i = 0; i < P; i++)
	{
		grad[i] /= wsum;
		if (i % (d + 1) == 0)
		{
			if (!p->fit_intercept)
				grad[i] = 0;
		}
		else
		{
			reg += w[i] * w[i];
			grad[i] += p->l2 * w[i];
		}
	}
	return loss / wsum + 0.5 * p->l2 * reg;
}

static double
dot(const double *a, const double *b, size_t n)
{
	double		s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
absmax(const double *a, size_t n)
{
	double		m = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

mm_status
mm_lbfgs_fit(const mm_glm_problem *p, double *w, const mm_lbfgs_opts *o, const mm_alloc *a,
			 mm_lbfgs_cb cb, void *cbarg, mm_lbfgs_result *r, mm_err *err)
{
	size_t		P = (size_t) p->K * (p->d + 1);
	int			M = o->memory > 0 ? o->memory : 1;
	int			steepest = o->memory <= 0;
	double	   *S = mm_alloc_array(a, (size_t) M * P, sizeof(double));
	double	   *Y = mm_alloc_array(a, (size_t) M * P, sizeof(double));
	double	   *rho = mm_alloc_array(a, (size_t) M, sizeof(double));
	double	   *alpha = mm_alloc_array(a, (size_t) M, sizeof(double));
	double	   *g = mm_alloc_array(a, P, sizeof(double));
	double	   *gn = mm_alloc_array(a, P, sizeof(double));
	double	   *dir = mm_alloc_array(a, P, sizeof(double));
	double	   *wn = mm_alloc_array(a, P, sizeof(double));
	double	   *scratch = mm_alloc_array(a, 2 * (size_t) p->d + p->K + 1, sizeof(double));
	double		f,
				fn = 0,
				gmax;
	int			hist = 0,
				head = 0,
				it = 0;

	memset(r, 0, sizeof(*r));
	if (!S || !Y || !rho || !alpha || !g || !gn || !dir || !wn || !scratch)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	f = mm_glm_objective(p, w, g, scratch);
	gmax = absmax(g, P);
	r->stop = MM_LBFGS_MAX_ITER;
	for (;;)
	{
		double		gd,
					t,
					gnmax = 0;
		int			ls;

		if (gmax <= o->gtol)
		{
			r->stop = MM_LBFGS_CONVERGED;
			break;
		}
		if (it >= o->max_iter)
			break;
		it++;
		/* two-loop recursion: dir = -H g */
		for (size_t i = 0; i < P; i++)
			dir[i] = -g[i];
		for (int k = 0; k < hist; k++)
		{
			int			j = (head - 1 - k + M) % M;

			alpha[j] = rho[j] * dot(S + (size_t) j * P, dir, P);
			for (size_t i = 0; i < P; i++)
				dir[i] -= alpha[j] * Y[(size_t) j * P + i];
		}
		if (hist > 0)
		{
			int			j = (head - 1 + M) % M;
			double		gamma = dot(S + (size_t) j * P, Y + (size_t) j * P, P) / dot(Y + (size_t) j * P, Y + (size_t) j * P, P);

			for (size_t i = 0; i < P; i++)
				dir[i] *= gamma;
		}
		for (int k = hist - 1; k >= 0; k--)
		{
			int			j = (head - 1 - k + M) % M;
			double		beta = rho[j] * dot(Y + (size_t) j * P, dir, P);

			for (size_t i = 0; i < P; i++)
				dir[i] += S[(size_t) j * P + i] * (alpha[j] - beta);
		}
		gd = dot(g, dir, P);
		if (!(gd < 0))
		{
			for (size_t i = 0; i < P; i++)
				dir[i] = -g[i];
			gd = -dot(g, g, P);
			hist = 0;
		}
		t = hist == 0 ? fmin(1.0, 1.0 / fmax(gmax, 1e-300)) : 1.0;
		for (ls = 0; ls < 60; ls++)
		{
			for (size_t i = 0; i < P; i++)
				wn[i] = w[i] + t * dir[i];
			fn = mm_glm_objective(p, wn, gn, scratch);
			if (isfinite(fn))
			{
				/* Armijo; near the optimum the decrease drowns in the objective's rounding, and
				 * a step that keeps the objective within it while shrinking the gradient is taken */
				if (fn <= f + 1e-4 * t * gd)
					break;
				gnmax = absmax(gn, P);
				if (fn - f <= 4 * DBL_EPSILON * fabs(f) && gnmax < gmax)
					break;
			}
			t *= 0.5;
		}
		if (ls == 60)
		{
			if (hist > 0)
			{
				/* the quasi-Newton direction failed: forget the history, try steepest descent */
				hist = 0;
				continue;
			}
			r->stop = MM_LBFGS_LINE_SEARCH;
			break;
		}
		{
			int			j = head;
			double		sy;

			for (size_t i = 0; i < P; i++)
			{
				S[(size_t) j * P + i] = wn[i] - w[i];
				Y[(size_t) j * P + i] = gn[i] - g[i];
			}
			sy = dot(S + (size_t) j * P, Y + (size_t) j * P, P);
			if (!steepest && sy > 1e-12 * sqrt(dot(S + (size_t) j * P, S + (size_t) j * P, P) * dot(Y + (size_t) j * P, Y + (size_t) j * P, P)))
			{
				rho[j] = 1.0 / sy;
				head = (head + 1) % M;
				if (hist < M)
					hist++;
			}
		}
		memcpy(w, wn, sizeof(double) * P);
		memcpy(g, gn, sizeof(double) * P);
		f = fn;
		gmax = absmax(g, P);
		if (cb && !cb(cbarg, it, f, gmax))
		{
			r->stop = gmax <= o->gtol ? MM_LBFGS_CONVERGED : MM_LBFGS_STOPPED;
			break;
		}
	}
	for (size_t i = 0; i < P; i++)
		if (!isfinite(w[i]))
			return mm_fail(err, MM_EDATA, "training diverged: a weight is no longer finite");
	r->iters = it;
	r->f = f;
	r->gmax = gmax;
	return MM_OK;
}

/* Largest number of free parameters mm_glm_inference forms a Hessian for (8 MB a matrix). */
#define MM_GLM_INFER_MAX_PARAMS 1024

mm_status
mm_glm_inference(const mm_glm_problem *p, const double *w, const mm_alloc *a, double *se,
				 mm_glm_stats *st, mm_err *err)
{
	uint32_t	d = p->d,
				q = d + 1,
				K = p->K;
	size_t		P = (size_t) K * q;
	int			multi = p->algorithm == MM_ALG_MULTINOMIAL;
	uint32_t	ncls = multi ? K : 2;
	double	   *z,
			   *s,
			   *pr,
			   *cnt,
			   *H = NULL,
			   *ev,
			   *cov,
			   *work;
	int		   *iwork;
	size_t	   *free_idx,
				Pf = 0;
	const mm_blas_api *blas;
	int			nf,
				lwork,
				liwork,
				info = 0;
	double		lmax,
				lmin_kept = 0,
				thr;
	size_t		kept = 0;

	memset(st, 0, sizeof(*st));
	st->penalised = p->l2 > 0;
	if (p->algorithm != MM_ALG_LOGREG && !multi)
		return mm_fail(err, MM_EINVAL, "inference: not a logistic model");
	z = mm_alloc_array(a, q, sizeof(double));
	s = mm_alloc_array(a, K, sizeof(double));
	pr = mm_alloc_array(a, ncls, sizeof(double));
	cnt = mm_alloc_array(a, ncls, sizeof(double));
	free_idx = mm_alloc_array(a, P, sizeof(size_t));
	if (!z || !s || !pr || !cnt || !free_idx)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	memset(cnt, 0, sizeof(double) * ncls);
	for (size_t i = 0; i < P; i++)
		if (p->fit_intercept || i % q != 0)
			free_idx[Pf++] = i;
	blas = (p->cw == NULL && Pf <= MM_GLM_INFER_MAX_PARAMS) ? mm_blas() : NULL;
	if (blas)
	{
		H = mm_alloc_array(a, P * P, sizeof(double));
		if (!H)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		memset(H, 0, sizeof(double) * P * P);
	}

	/* one pass: the log-likelihood and the upper triangle of the Hessian (column-major) */
	z[0] = 1.0;
	for (size_t i = 0; i < p->n; i++)
	{
		const double *x = p->X + (size_t) i * d;
		int32_t		y = p->cls[i];

		if (p->skip && p->skip[i])
			continue;
		st->n += 1;
		cnt[multi ? y : (y == 1)] += 1;
		for (uint32_t j = 0; j < d; j++)
			z[j + 1] = p->mean ? (x[j] - p->mean[j]) / p->scale[j] : x[j];
		for (uint32_t k = 0; k < K; k++)
		{
			const double *wk = w + (size_t) k * q;
			double		acc = 0;

			for (uint32_t j = 0; j < q; j++)
				acc += wk[j] * z[j];
			s[k] = acc;
		}
		if (!multi)
		{
			double		yy = y == 1 ? 1.0 : -1.0;

			st->log_likelihood -= softplus(-yy * s[0]);
			pr[0] = sigmoid(s[0]);
			if (H)
			{
				double		wt = pr[0] * (1.0 - pr[0]);

				for (uint32_t c = 0; c < q; c++)
				{
					double		zc = wt * z[c];

					for (uint32_t b = 0; b <= c; b++)
						H[(size_t) c * P + b] += zc * z[b];
				}
			}
		}
		else
		{
			double		mx = s[0],
						sum = 0;

			for (uint32_t k = 1; k < K; k++)
				if (s[k] > mx)
					mx = s[k];
			for (uint32_t k = 0; k < K; k++)
				sum += (pr[k] = exp(s[k] - mx));
			for (uint32_t k = 0; k < K; k++)
				pr[k] /= sum;
			st->log_likelihood += s[y] - mx - log(sum);
			if (H)
			{
				/* block (k, l) += (delta_kl p_k - p_k p_l) z z', blocks on and above the diagonal */
				for (uint32_t l = 0; l < K; l++)
					for (uint32_t k = 0; k <= l; k++)
					{
						double		cf = (k == l ? pr[k] : 0.0) - pr[k] * pr[l];

						for (uint32_t c = 0; c < q; c++)
						{
							double		zc = cf * z[c];
							double	   *col = H + ((size_t) l * q + c) * P + (size_t) k * q;

							for (uint32_t b = 0; b < (k == l ? c + 1 : q); b++)
								col[b] += zc * z[b];
						}
					}
			}
		}
	}
	if (p->fit_intercept)
	{
		for (uint32_t k = 0; k < ncls; k++)
			if (cnt[k] > 0)
				st->null_log_likelihood += cnt[k] * log(cnt[k] / st->n);
	}
	else
		st->null_log_likelihood = st->n * log(1.0 / ncls);
	st->n_params = multi ? (double) Pf - (p->fit_intercept ? (st->penalised ? 1 : q) : (st->penalised ? 0 : d)) : (double) Pf;
	st->condition_number = NAN;
	if (!H)
		return MM_OK;

	/* the free parameters' Hessian, penalty added, into ev's room; eigen-decomposed in place */
	nf = (int) Pf;
	ev = mm_alloc_array(a, Pf, sizeof(double));
	cov = mm_alloc_array(a, Pf * Pf, sizeof(double));
	lwork = 1 + 6 * nf + 2 * nf * nf;
	liwork = 3 + 5 * nf;
	work = mm_alloc_array(a, (size_t) lwork, sizeof(double));
	iwork = mm_alloc_array(a, (size_t) liwork, sizeof(int));
	if (!ev || !cov || !work || !iwork)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	for (size_t c = 0; c < Pf; c++)
		for (size_t b = 0; b <= c; b++)
		{
			size_t		ic = free_idx[c],
						ib = free_idx[b];

			cov[c * Pf + b] = H[ic * P + ib];
		}
	if (st->penalised)
		for (size_t c = 0; c < Pf; c++)
			if (free_idx[c] % q != 0)
				cov[c * Pf + c] += st->n * p->l2;
	blas->dsyevd("V", "U", &nf, cov, &nf, ev, work, &lwork, iwork, &liwork, &info, 1, 1);
	if (info != 0)
		return mm_fail(err, MM_ERANK, "inference: the eigen-decomposition of the Hessian failed (info %d)", info);
	lmax = ev[Pf - 1];
	if (!(lmax > 0))
		return MM_OK;
	/* eigenvalues at rounding level are the softmax's null directions (or aliased terms) */
	thr = 1e-10 * lmax;
	for (size_t j = 0; j < Pf; j++)
		if (ev[j] > thr)
		{
			if (kept == 0)
				lmin_kept = ev[j];
			kept++;
		}
	if (!multi && kept < Pf)
	{
		st->condition_number = ev[0] > 0 ? lmax / ev[0] : INFINITY;
		return MM_OK;			/* singular: an aliased term, no standard errors */
	}
	if (multi && (double) kept != st->n_params)
	{
		st->condition_number = INFINITY;
		return MM_OK;			/* aliased beyond the softmax's own shift */
	}
	st->condition_number = lmax / lmin_kept;

	/* covariance (pseudo-inverse) of the free parameters, scattered into H's room (full) */
	memset(H, 0, sizeof(double) * P * P);
	for (size_t e = 0; e < Pf; e++)
	{
		const double *v = cov + e * Pf;

		if (ev[e] <= thr)
			continue;
		for (size_t c = 0; c < Pf; c++)
		{
			double		vc = v[c] / ev[e];

			for (size_t b = 0; b < Pf; b++)
				H[free_idx[c] * P + free_idx[b]] += vc * v[b];
		}
	}
	/* raw units: eff_j = c_j / s_j, eff_0 = c_0 - sum_j c_j m_j / s_j, Cov_raw = T Cov T' */
	for (uint32_t k = 0; k < K; k++)
	{
		const double *C = H + (size_t) k * q * P + (size_t) k * q; /* the class's block */
		double		v0 = 0;

		for (uint32_t j = 1; j < q; j++)
		{
			double		sj = p->mean ? p->scale[j - 1] : 1.0;

			se[(size_t) k * q + j] = sqrt(fmax(C[(size_t) j * P + j], 0)) / sj;
		}
		if (!p->fit_intercept)
		{
			se[(size_t) k * q] = NAN;
			continue;
		}
		/* a = (1, -m_1/s_1, ..., -m_d/s_d); var(eff_0) = a' C a */
		for (uint32_t c = 0; c < q; c++)
		{
			double		ac = c == 0 ? 1.0 : (p->mean ? -p->mean[c - 1] / p->scale[c - 1] : 0.0);

			if (ac == 0)
				continue;
			for (uint32_t b = 0; b < q; b++)
			{
				double		ab = b == 0 ? 1.0 : (p->mean ? -p->mean[b - 1] / p->scale[b - 1] : 0.0);

				v0 += ac * C[(size_t) c * P + b] * ab;
			}
		}
		se[(size_t) k * q] = sqrt(fmax(v0, 0));
	}
	st->has_se = 1;
	return MM_OK;
}
