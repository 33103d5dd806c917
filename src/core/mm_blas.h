/*
 * mm_blas.h: the BLAS and LAPACK routines the core uses, from OpenBLAS (serial build).
 *
 * The library is opened on first use (dlopen, lazy binding, local symbols) rather than linked:
 * loading OpenBLAS with the rest of modelmgr cost every new backend and every parallel worker
 * about 5 ms, although only least squares, correlation and logistic inference need it. LAPACK is
 * called through its Fortran interface; LAPACKE is not a dependency.
 */
#ifndef MM_BLAS_H
#define MM_BLAS_H

#include <stddef.h>
#include <cblas.h>

typedef struct mm_blas_api
{
	void		(*dsyrk) (const enum CBLAS_ORDER, const enum CBLAS_UPLO, const enum CBLAS_TRANSPOSE,
						  const blasint n, const blasint k, const double alpha, const double *a,
						  const blasint lda, const double beta, double *c, const blasint ldc);
	void		(*dsyr) (const enum CBLAS_ORDER, const enum CBLAS_UPLO, const blasint n, const double alpha,
						 const double *x, const blasint incx, double *a, const blasint lda);
	void		(*dpotrf) (const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
	void		(*dpotrs) (const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
						   double *b, const int *ldb, int *info, size_t uplo_len);
	void		(*dpocon) (const char *uplo, const int *n, const double *a, const int *lda, const double *anorm,
						   double *rcond, double *work, int *iwork, int *info, size_t uplo_len);
	double		(*dlansy) (const char *norm, const char *uplo, const int *n, const double *a, const int *lda,
						   double *work, size_t norm_len, size_t uplo_len);
	/* eigenvalues (ascending) and, with jobz "V", eigenvectors of a symmetric matrix */
	void		(*dsyevd) (const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
						   double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
						   size_t jobz_len, size_t uplo_len);
} mm_blas_api;

/*
 * The routines, opening the library on the first call; NULL if it cannot be opened (then
 * mm_blas_error() says why).
 */
const mm_blas_api *mm_blas(void);
const char *mm_blas_error(void);
/* 0 while nothing has tried to open the library, 1 once opened, -1 if it could not be. */
int			mm_blas_state(void);

#endif
