/*
 * mm_lbfgs.c: L-BFGS (two-loop recursion, backtracking Armijo line search) on the mean loss of
 * a linear model plus an L2 penalty on the weights (intercepts not penalised).
 */
#include "mm_lbfgs.h"

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
			 mm_lbfgs_cb cb, void *cbarg, int *iters, double *fval, int *converged, mm_err *err)
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
				fn;
	int			hist = 0,
				head = 0,
				it;

	*converged = 0;
	if (!S || !Y || !rho || !alpha || !g || !gn || !dir || !wn || !scratch)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	f = mm_glm_objective(p, w, g, scratch);
	for (it = 1; it <= o->max_iter; it++)
	{
		double		gd,
					t,
					gmax = absmax(g, P);
		int			ls;

		if (gmax <= o->gtol)
		{
			*converged = 1;
			it--;
			break;
		}
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
			if (isfinite(fn) && fn <= f + 1e-4 * t * gd)
				break;
			t *= 0.5;
		}
		if (ls == 60)
		{
			/* no decrease along a descent direction: at the optimum to machine precision */
			*converged = 1;
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
		{
			double		df = fabs(f - fn);

			f = fn;
			if (cb && !cb(cbarg, it, f, absmax(g, P)))
				break;
			if (df <= o->ftol * fmax(1.0, fabs(f)))
			{
				*converged = 1;
				break;
			}
		}
	}
	if (it > o->max_iter)
		it = o->max_iter;
	for (size_t i = 0; i < P; i++)
		if (!isfinite(w[i]))
			return mm_fail(err, MM_EDATA, "training diverged: a weight is no longer finite");
	*iters = it;
	*fval = f;
	return MM_OK;
}
