/*
 * mm_rank.h: Spearman's rank correlation (a state that keeps the pairs) and the correlation
 * matrix over pairwise-complete observations (per-pair co-moments), as mergeable states.
 *
 * Spearman state, MM_SP_HDRSZ = 36 bytes, little-endian (36, so that the payload is 8-aligned
 * behind a 4-byte varlena header):
 *   0 u32 magic "MMSP"   4 u16 version (1)   6 u16 kind (5)   8 u64 pairs kept (n)
 *   16 u64 capacity (pairs)   24 u64 rows skipped (x or y NULL)   32 u32 reserved (0)
 *   then f64 pair[capacity][2] (x, y of each kept pair, in arrival order); pairs n..capacity-1
 *   are zero. Every kept value is finite. Size = 36 + 16 * capacity.
 *   O(1) check (mm_sp_check): magic, version, kind, reserved, n <= capacity <= MM_SP_MAX_PAIRS,
 *   size.
 *   Full validation (mm_sp_validate): also every kept value finite and the unused pairs zero.
 *
 * Pairwise correlation state, MM_PW_HDRSZ = 36 bytes, little-endian:
 *   0 u32 magic "MMPW"   4 u16 version (1)   6 u16 kind (6)   8 u32 d (1 ..
 *   MM_PW_MAX_FEATURES)   12 u32 NULL-element mode (MM_PW_NULLS_*)   16 u64 rows added
 *   24 u64 rows skipped (mode complete: rows with a NULL element)   32 u32 reserved (0)
 *   then, for every pair i <= j of features in row-major upper-triangle order (index
 *   i * d - i * (i - 1) / 2 + (j - i)), six f64: the number of rows where both are present,
 *   the mean of feature i and of feature j over those rows, their centred second moments,
 *   and the centred co-moment (Welford per pair; Chan et al. to merge). For i = j the two
 *   means are equal and the three moments are equal. Size = 36 + 48 * d (d + 1) / 2.
 *   O(1) check (mm_pw_check): magic, version, kind, mode, reserved, d <= MM_PW_MAX_FEATURES,
 *   size.
 *   Full validation (mm_pw_validate): also every field finite, counts integral and at most
 *   the rows added, moments >= 0, zero-count pairs all zero, diagonal entries consistent.
 *
 * Nothing is ever read through a cast pointer, so a state may sit at any alignment.
 */
#ifndef MM_RANK_H
#define MM_RANK_H

#include "mm_core.h"

/* ---- spearman ---- */

#define MM_SP_MAGIC		0x50534D4Du	/* "MMSP" */
#define MM_SP_VERSION	1
#define MM_SP_KIND		5
#define MM_SP_HDRSZ		36
#define MM_SP_CAP0		64
#define MM_SP_MAX_PAIRS ((uint64_t) (MM_MAX_ALLOC - MM_SP_HDRSZ) / 16)

size_t		mm_sp_state_size(uint64_t cap);		/* 0 over the limit */
void		mm_sp_init(uint8_t *st, size_t size, uint64_t cap);
mm_status	mm_sp_check(const uint8_t *st, size_t size, mm_err *err);
mm_status	mm_sp_validate(const uint8_t *st, size_t size, mm_err *err);
uint64_t	mm_sp_rows(const uint8_t *st);
void		mm_sp_skip(uint8_t *st);
/* Keeps one finite pair; 0 when the state is full (grow it with mm_sp_copy and call again). */
int			mm_sp_add(uint8_t *st, double x, double y);
/* Capacity to grow to (doubling), 0 at the limit. */
uint64_t	mm_sp_grow_capacity(const uint8_t *st, uint64_t need);
/* Copies a checked state into dst (zeroed, mm_sp_state_size(cap) bytes, cap >= its n). */
void		mm_sp_copy(const uint8_t *src, uint8_t *dst, uint64_t cap);
/* Appends validated src's pairs to dst, which must have room (capacity >= n + src n). */
void		mm_sp_merge(uint8_t *dst, const uint8_t *src);
/*
 * Spearman's rho of a validated state: the Pearson correlation of the average ranks (ties
 * get the mean of the ranks they span). *isnull when undefined: fewer than 2 pairs or a
 * constant variable.
 */
mm_status	mm_sp_rho(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err);

/*
 * Average ranks (1-based; ties get the mean of the ranks they span) of the n f64 values at
 * v, v + stride, ... (bytes; any alignment), into r.
 */
mm_status	mm_average_ranks(const uint8_t *v, size_t n, size_t stride, double *r, const mm_alloc *a, mm_err *err);

/* ---- pairwise-complete correlation matrix ---- */

#define MM_PW_MAGIC		0x57504D4Du	/* "MMPW" */
#define MM_PW_VERSION	1
#define MM_PW_KIND		6
#define MM_PW_HDRSZ		36
#define MM_PW_MAX_FEATURES 1000

/* What a NULL element does. */
#define MM_PW_NULLS_ERROR		1	/* an ERROR (the binding's job): every row complete */
#define MM_PW_NULLS_PAIRWISE	2	/* each pair uses the rows where both are present */
#define MM_PW_NULLS_COMPLETE	3	/* a row with a NULL element is skipped */

size_t		mm_pw_state_size(uint32_t d);	/* 0 over the limit */
void		mm_pw_init(uint8_t *st, size_t size, uint32_t d, uint32_t mode);
mm_status	mm_pw_check(const uint8_t *st, size_t size, mm_err *err);
mm_status	mm_pw_validate(const uint8_t *st, size_t size, mm_err *err);
uint32_t	mm_pw_dims(const uint8_t *st);
uint32_t	mm_pw_mode(const uint8_t *st);
uint64_t	mm_pw_rows(const uint8_t *st);
void		mm_pw_skip(uint8_t *st);
/*
 * Adds one row of d values; present[i] = 0 marks a NULL element (x[i] then ignored).
 * Present values must be finite; the state must have this d.
 */
void		mm_pw_add(uint8_t *st, const double *x, const uint8_t *present);
/* Merges validated src into checked dst: same mode and d (MM_EMISMATCH otherwise). */
mm_status	mm_pw_merge(uint8_t *dst, size_t dstsize, const uint8_t *src, size_t srcsize, mm_err *err);
/*
 * The d x d correlation matrix (row-major) of a validated state: entry (i, j) over the rows
 * where both are present; NaN where fewer than 2 such rows or a constant variable among them
 * (the diagonal: 1, or NaN for a feature with fewer than 2 distinct present values).
 */
mm_status	mm_pw_matrix(const uint8_t *st, const mm_alloc *a, double **out, mm_err *err);

#endif
