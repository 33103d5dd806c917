/*
 * mm_lbfgs.h: full-batch training by L-BFGS for the smooth linear models (squared loss,
 * binary and multinomial log loss): the exact optimum of mean loss + l2/2 ||w||^2 when the
 * training rows are in memory.
 */
#ifndef MM_LBFGS_H
#define MM_LBFGS_H

#include "mm_model.h"

/* The training rows: X is row-major n x d; rows with skip[i] != 0 are left out. */
typedef struct mm_glm_problem
{
	int			algorithm;		/* MM_ALG_LINREG, MM_ALG_LOGREG or MM_ALG_MULTINOMIAL */
	const double *X;
	size_t		n;
	uint32_t	d;
	const uint8_t *skip;
	const int32_t *cls;			/* class index per row (classifiers) */
	const double *y;			/* target per row (regression) */
	uint32_t	K;				/* outputs: 1, or the number of classes */
	const double *cw;			/* class weights or NULL */
	const double *mean;			/* standardisation (NULL: none) */
	const double *scale;
	double		l2;
	int			fit_intercept;
} mm_glm_problem;

typedef struct mm_lbfgs_opts
{
	int			memory;			/* history pairs, e.g. 10; 0: plain gradient descent */
	int			max_iter;		/* at most this many iterations (line searches) */
	double		gtol;			/* converged when max_j |df/dw_j| <= gtol */
} mm_lbfgs_opts;

/* Why a run stopped. Only MM_LBFGS_CONVERGED means the gradient criterion held. */
typedef enum mm_lbfgs_stop
{
	MM_LBFGS_CONVERGED = 1,		/* max |gradient| <= gtol */
	MM_LBFGS_MAX_ITER,			/* max_iter iterations without meeting it */
	MM_LBFGS_LINE_SEARCH,		/* no step along steepest descent lowered the objective */
	MM_LBFGS_STOPPED			/* the callback asked to stop */
} mm_lbfgs_stop;

typedef struct mm_lbfgs_result
{
	int			iters;			/* iterations done */
	double		f;				/* objective at the returned w */
	double		gmax;			/* max_j |df/dw_j| at the returned w */
	mm_lbfgs_stop stop;
} mm_lbfgs_result;

/*
 * What coefficient inference needs from a logistic fit (binary or multinomial), from one pass
 * over the in-memory rows at the optimum. Sums over the training rows (not means), unweighted.
 */
typedef struct mm_glm_stats
{
	double		n;				/* training rows */
	double		n_params;		/* identifiable parameters: d + intercept, times K - 1 classes */
	double		log_likelihood; /* sum of log p(observed class) at w */
	double		null_log_likelihood;	/* the intercept-only model's (p = 1/2 each without one) */
	double		condition_number;	/* of the Hessian in the solver's coordinates, 2-norm */
	int			penalised;		/* l2 > 0: the Hessian and covariance include the penalty */
	int			has_se;			/* se was filled */
} mm_glm_stats;

/* Objective and gradient at w (K x (d+1), intercept first). */
double		mm_glm_objective(const mm_glm_problem *p, const double *w, double *grad, double *scratch);

/*
 * Minimises the problem from w (updated in place) until max_j |df/dw_j| <= o->gtol, where f is
 * the objective above (mean loss + penalty) in the solver's coordinates (standardised features
 * when p->mean is set), or until o->max_iter iterations. iter_cb, when not NULL, is called after
 * each iteration with the iteration number, the objective and max |gradient|, and may stop the
 * run by returning 0. r says how the run ended.
 */
typedef int (*mm_lbfgs_cb) (void *arg, int iter, double f, double gmax);
mm_status	mm_lbfgs_fit(const mm_glm_problem *p, double *w, const mm_lbfgs_opts *o, const mm_alloc *a,
						 mm_lbfgs_cb cb, void *cbarg, mm_lbfgs_result *r, mm_err *err);

/*
 * Wald inference for a logistic fit (MM_ALG_LOGREG or MM_ALG_MULTINOMIAL) at w: the Hessian of
 * the summed negative log-likelihood (plus n l2/2 ||w||^2 when l2 > 0) on the design [1, z] in
 * the solver's coordinates, its inverse (binary) or Moore-Penrose pseudo-inverse (multinomial,
 * whose softmax parameters are identified only up to a common shift), mapped to the raw-unit
 * coefficients (eff_j = c_j / s_j, eff_0 = c_0 - sum_j c_j m_j / s_j): se receives K * (d + 1)
 * standard errors, intercept first (NaN for the intercept when it is not fitted). Leaves se
 * alone and st->has_se = 0 when the Hessian is singular (binary), class weights are set, or
 * LAPACK cannot be opened; the likelihoods are filled in any case.
 */
mm_status	mm_glm_inference(const mm_glm_problem *p, const double *w, const mm_alloc *a, double *se,
							 mm_glm_stats *st, mm_err *err);

#endif
