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
	int			max_iter;
	double		gtol;			/* stop when max |gradient| <= gtol */
	double		ftol;			/* or when the objective changes by less than ftol (relative) */
} mm_lbfgs_opts;

/* Objective and gradient at w (K x (d+1), intercept first). */
double		mm_glm_objective(const mm_glm_problem *p, const double *w, double *grad, double *scratch);

/*
 * Minimises the problem from w (updated in place). iter_cb, when not NULL, is called after each
 * iteration with the iteration number and the objective, and may stop the run by returning 0.
 */
typedef int (*mm_lbfgs_cb) (void *arg, int iter, double f, double gmax);
mm_status	mm_lbfgs_fit(const mm_glm_problem *p, double *w, const mm_lbfgs_opts *o, const mm_alloc *a,
						 mm_lbfgs_cb cb, void *cbarg, int *iters, double *fval, int *converged, mm_err *err);

#endif
