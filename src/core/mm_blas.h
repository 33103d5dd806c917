/*
 * mm_blas.h: the BLAS and LAPACK routines the core uses (OpenBLAS, serial build).
 * LAPACK is called through its Fortran interface; LAPACKE is not a dependency.
 */
#ifndef MM_BLAS_H
#define MM_BLAS_H

#include <stddef.h>
#include <cblas.h>

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
					double *b, const int *ldb, int *info, size_t uplo_len);
extern void dpocon_(const char *uplo, const int *n, const double *a, const int *lda, const double *anorm,
					double *rcond, double *work, int *iwork, int *info, size_t uplo_len);
extern double dlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *lda,
					  double *work, size_t norm_len, size_t uplo_len);

#endif
