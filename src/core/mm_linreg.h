/*
 * mm_linreg.h: exact least squares / ridge through centred normal equations.
 *
 * The aggregate state keeps the row count, the mean and the centred co-moment matrix of
 * z = [x, y] (Welford/Chan-style merging, so no catastrophic cancellation), plus a buffer of
 * rows that is folded in one BLAS dsyrk call per block.
 *
 * State layout (little-endian), STATE_HDRSZ = 60 bytes so that, behind PostgreSQL's 4-byte
 * varlena header, the doubles that follow are 8-byte aligned:
 *   0 u32 magic "MMLS"   4 u16 version   6 u16 kind (1)   8 u32 d   12 u32 block capacity
 *   16 u32 rows in buffer   20 u32 flags   24 f64 l2   32 u64 rows merged   40 u32 total size
 *   44..59 reserved (0)
 *   then f64 mean[d+1], f64 comoment[(d+1)^2] (column-major, upper triangle used),
 *   f64 scratch[d+1], f64 buffer[capacity * (d+1)] (row-major rows of z).
 */
#ifndef MM_LINREG_H
#define MM_LINREG_H

#include "mm_model.h"

#define MM_LS_MAGIC		0x534C4D4Du	/* "MMLS" */
#define MM_LS_VERSION	1
#define MM_LS_HDRSZ		60
#define MM_LS_NO_INTERCEPT 0x1

typedef struct mm_ls_view
{
	uint32_t	d;
	uint32_t	cap;
	uint32_t	nbuf;
	uint32_t	flags;
	double		l2;
	uint64_t	n;
	double	   *mean;
	double	   *com;
	double	   *scratch;
	double	   *buf;
} mm_ls_view;

/*
 * Folds m buffered rows (row-major, p wide; shifted in place) into the running (n, mean, centred
 * co-moment matrix com, column-major upper triangle): the rows' scatter about the running mean by
 * one BLAS dsyrk, then one rank-1 correction. bsum is scratch of p doubles. Shared by linreg_fit
 * and corr_matrix.
 */
void		mm_comoments_fold(uint64_t *n, double *mean, double *com, double *buf, uint32_t m, size_t p,
							  double *bsum);

/*
 * The fold's scatter update on x86-64 CPUs with AVX2 and FMA: the upper triangle only, in tiles
 * of fused multiply-adds, and its rank-one correction, instead of dsyrk and dsyr (OpenBLAS is then
 * not opened by a fold). -1 (the default): by the CPU; 0: dsyrk; 1: the tiles where the CPU has
 * them (a test's choice).
 */
extern int	mm_syrk_wide;

/* Block capacity used for d features. */
uint32_t	mm_ls_capacity(uint32_t d);
/* Size of a state, 0 if d is out of range. */
size_t		mm_ls_state_size(uint32_t d, uint32_t cap);
/* Initialises a zeroed, 8-byte-aligned-after-header state of mm_ls_state_size() bytes. */
void		mm_ls_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap, double l2, uint32_t flags);
/* Validates any incoming bytes as a state. */
mm_status	mm_ls_validate(const uint8_t *st, size_t size, mm_err *err);
/*
 * The O(1) part of mm_ls_validate: magic, header fields in range and the size the header implies,
 * so every write of mm_ls_add stays in bounds (the transition's check on every row).
 */
mm_status	mm_ls_check(const uint8_t *st, size_t size, mm_err *err);
/* Maps an aligned, validated state (no copy). */
void		mm_ls_map(uint8_t *st, mm_ls_view *v);
/* Adds one row; x has d finite values. */
void		mm_ls_add(uint8_t *st, mm_ls_view *v, const double *x, double y);
/* Folds src (any alignment, validated) into dst (aligned, mapped). */
mm_status	mm_ls_combine(uint8_t *dst, mm_ls_view *v, const uint8_t *src, size_t srcsize, mm_err *err);
/* Solves a validated state (any alignment, left unchanged) into a linear regression model. */
mm_status	mm_ls_solve(const uint8_t *st, size_t size, const mm_alloc *a, mm_model **out, mm_err *err);
/* Total rows in a validated state. */
uint64_t	mm_ls_rows(const uint8_t *st);

#endif
