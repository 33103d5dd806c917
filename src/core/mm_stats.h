/*
 * mm_stats.h: data-management statistics: describe (per-feature moments, extremes and
 * quartiles, exact or from a quantile sketch), corr_matrix (Pearson correlation from streaming co-moments) and the
 * stable hash behind split().
 *
 * describe state (little-endian), version 3, MM_DS_HDRSZ = 60 bytes so that, behind
 * PostgreSQL's 4-byte varlena header, the 8-byte slots that follow are 8-byte aligned:
 *   0 u32 magic "MMDS"   4 u16 version (3)   6 u16 kind (2)   8 u32 d   12 u32 K (sketch level
 *   capacity, mm_ds_level_k(d))   16 u32 S (staging capacity in rows, 1..K)   20 u32 names length
 *   in bytes   24 u64 rows (NULL arrays included)   32 u32 total size   36 u32 staged rows (0..S)
 *   40 u32 T (table slots per feature)   44 u32 R (sketch slots per feature)
 *   48 u32 flags (bit 0 "mixed": a NULL element has been seen, so count[1..d) is kept up to date;
 *   while 0 every feature has count[0] values; bit 1 "exact": the {"quantiles": "exact"} mode)
 *   52 u32 D (exact limit, mm_ds_exact_limit(d))   56 u32 reserved (0)
 *   then the names, d x (u32 length, bytes), zero-padded to a multiple of 8 bytes;
 *   then, when d > 0, 8-byte slots:
 *     7 moment arrays of d slots (field f of feature j at f d + j): u64 count, u64 nulls,
 *       f64 mean of x - shift, f64 M2, f64 min, f64 max, f64 shift (the first value seen);
 *     d quantile blocks of MM_DS_QI slots: u32 levels L (0..64) | u32 table live (0/1) << 32,
 *       u64 table entries m, u64 sketch items, u64 err_pos, u64 err_neg, u64 reserved (0),
 *       u32 level sizes[64] (two to a slot, level h in the low half of slot 6 + h / 2 when h even);
 *     d tables of T slots: (key, count) pairs, strictly ascending keys (m pairs, m <= D), or in
 *       the exact mode m keys in arrival order (every flushed value);
 *     d sketches of R slots: the levels packed from the highest down to level 0 (which ends at
 *       slot "sketch items"), each level's keys ascending; an item of level h weighs 2^h;
 *     the staging area: S rows of d f64 (a NULL element is MM_DS_NULL_BITS);
 *     scratch: 2048 + 2 S + 2 (S + min(3 K, 2 R)) + R slots (sorting and merging; no meaning
 *       between calls).
 *   A key is the order-preserving u64 image of a finite double (f64_ord; -0 is stored as 0).
 *   A state with d = 0 has seen only NULL arrays: the header alone (K = S = T = R = D = 0).
 *
 * Quantiles. Rows are staged; every S rows (and before a combine or the final) each feature's
 * staged values are sorted (LSD radix on the keys) and folded into its table and its sketch:
 *  - the table holds the distinct values with their counts while there are at most D of them
 *    (D = MM_DS_EXACT_MAX = 16384 for d <= 64): quantiles are then exact, numpy's 'linear'
 *    (R type 7) quantiles. Past D distinct values the table is dropped for good.
 *  - the sketch is a compactor hierarchy (Munro-Paterson / KLL with equal capacities): level 0
 *    takes the sorted batch; a level that reaches K items is compacted: with an odd count its
 *    largest item stays, the rest is halved by keeping every other item, from the first
 *    (offset 0: ranks are then overestimated by at most 2^h) or the second (offset 1:
 *    underestimated by at most 2^h), and merged into level h + 1. The offset is chosen
 *    deterministically to balance the two error totals err_pos and err_neg the state keeps, so
 *    for every x the estimated rank lies in [R(x) - err_neg, R(x) + err_pos]. A combine merges
 *    the levels pairwise, adds the error totals and compacts as above, so the bound holds for
 *    merged states, whatever the order. A sketch quantile is the first item whose cumulative
 *    weight reaches q n: its rank error |F_n(v) - q| (ties: the interval [F_n(v-), F_n(v)]) is at
 *    most max(err_pos, err_neg) / n, reported as rank_error; a priori at most (H / 2 + 2) / K
 *    with H = floor(log2(n / K)) + 1 levels that compacted (0.0022 at 1M rows, K = 4096;
 *    under 0.005 up to 2^47 rows).
 *  - the exact mode keeps every value (8 bytes each) and sorts at the end: type 7 quantiles.
 * Sizes: K = 4096, S <= K, T <= 2 D (0 once every table is dropped), R grows with the sketch
 * (about K / 2 per level, H levels); for d > 64, K and D are halved until d K <= 2^18
 * (K, D >= 256). States of version 2 (a row sample) are refused as invalid.
 *
 * corr_matrix state, MM_CR_HDRSZ = 44 bytes:
 *   0 u32 magic "MMCR"   4 u16 version   6 u16 kind (3)   8 u32 d   12 u32 block capacity
 *   16 u32 rows in buffer   20 u32 reserved (0)   24 u64 rows merged   32 u32 total size
 *   36..43 reserved (0)
 *   then f64 mean[d], f64 comoment[d * d] (column-major, upper triangle used), f64 min[d],
 *   f64 max[d], f64 scratch[d], f64 buffer[capacity * d] (row-major rows).
 */
#ifndef MM_STATS_H
#define MM_STATS_H

#include "mm_core.h"

/* ---- describe ---- */

#define MM_DS_MAGIC		0x53444D4Du	/* "MMDS" */
#define MM_DS_VERSION	3
#define MM_DS_KIND		2
#define MM_DS_HDRSZ		60
#define MM_DS_LEVEL_K	4096		/* K for d <= 64 */
#define MM_DS_EXACT_MAX	16384		/* D for d <= 64 */
#define MM_DS_MIN_K		256
#define MM_DS_QI		38			/* slots of a feature's quantile block */
#define MM_DS_MAX_LEVELS 64
#define MM_DS_STAGE0	16			/* first staging capacity */
#define MM_DS_NULL_BITS	0x7ff8000000000000ULL	/* a quiet NaN: a NULL element in the staging area */
#define MM_DS_MAX_FEATURES 10000
#define MM_DS_MAX_NAMES	((size_t) 64 * 1024 * 1024)
#define MM_DS_FLAG_MIXED 1u
#define MM_DS_FLAG_EXACT 2u

/* Capacities of a state: staging rows, table slots and sketch slots per feature. */
typedef struct mm_ds_caps
{
	uint32_t	stage;
	uint32_t	table;
	uint32_t	sketch;
} mm_ds_caps;

typedef struct mm_ds_view
{
	uint32_t	d;
	uint32_t	k;				/* level capacity K */
	uint32_t	dlim;			/* exact limit D */
	mm_ds_caps	caps;
	uint32_t	staged;
	uint32_t	names_len;
	uint32_t	flags;
	uint64_t	rows;
	double	   *feat;			/* 7 d moment slots */
	uint64_t   *qi;				/* d quantile blocks */
	uint64_t   *table;			/* d x T */
	uint64_t   *sketch;			/* d x R */
	double	   *stage;			/* S x d */
	uint64_t   *scratch;
	const uint8_t *names;		/* names_len bytes or NULL */
} mm_ds_view;

typedef struct mm_ds_feature
{
	uint64_t	count;			/* non-NULL values */
	uint64_t	nulls;			/* NULL elements plus NULL arrays */
	double		mean;
	double		std;			/* population, ddof = 0 */
	double		std_sample;		/* ddof = 1; NaN when count < 2 */
	double		min;
	double		max;
	double		p25;
	double		p50;
	double		p75;			/* all NaN when count = 0 */
	int			exact;			/* the quantiles are exact (type 7) */
	double		rank_error;		/* bound on |F_n(p) - q| of a sketch quantile; 0 when exact */
	const char *name;			/* not NUL-terminated; NULL when unnamed */
	uint32_t	name_len;
} mm_ds_feature;

typedef struct mm_ds_summary
{
	uint64_t	rows;
	uint32_t	d;
	mm_ds_feature *features;
} mm_ds_summary;

/* Level capacity K and exact limit D for d features (0 for d = 0). */
uint32_t	mm_ds_level_k(uint32_t d);
uint32_t	mm_ds_exact_limit(uint32_t d);
/* The capacities a new state starts with. */
void		mm_ds_initial_caps(uint32_t d, uint32_t flags, mm_ds_caps *c);
/* Size of a state with d features, a names blob of names_len bytes and capacities c; 0 when out of range. */
size_t		mm_ds_state_size(uint32_t d, size_t names_len, const mm_ds_caps *c);
/*
 * Initialises a state of mm_ds_state_size bytes (8-byte aligned after the header) that has
 * already seen null_rows NULL arrays. names: d x (u32 length, bytes), or NULL with names_len 0.
 * flags: 0 or MM_DS_FLAG_EXACT.
 */
void		mm_ds_init(uint8_t *st, size_t size, uint32_t d, const mm_ds_caps *c, const uint8_t *names,
					   size_t names_len, uint64_t null_rows, uint32_t flags);
/* Validates any incoming bytes as a describe state. */
mm_status	mm_ds_validate(const uint8_t *st, size_t size, mm_err *err);
/* O(1) check of the header alone: enough for mm_ds_map/mm_ds_add to stay in bounds. */
int			mm_ds_header_ok(const uint8_t *st, size_t size);
/* mm_ds_header_ok and mm_ds_map in one: 0 (nothing mapped) when the header is not sound. */
int			mm_ds_open(uint8_t *st, size_t size, mm_ds_view *v);
/* Maps an aligned state that passed mm_ds_header_ok or mm_ds_validate (no copy). */
void		mm_ds_map(uint8_t *st, mm_ds_view *v);
/* Features, total rows, flags of a validated state (any alignment). */
uint32_t	mm_ds_dims(const uint8_t *st);
uint64_t	mm_ds_rows(const uint8_t *st);
uint32_t	mm_ds_flags(const uint8_t *st);
/*
 * The capacities a mapped state needs before one more row (src NULL) or before combining the
 * validated state src: returns 1 and fills *c when it must grow first (allocate
 * mm_ds_state_size(d, names_len, c) bytes and call mm_ds_resize), 0 when it has room.
 */
int			mm_ds_need(const mm_ds_view *v, const uint8_t *src, mm_ds_caps *c);
/* Copies a mapped state into dst (aligned, dstsize bytes) with capacities c and maps dst. */
void		mm_ds_resize(const uint8_t *src, const mm_ds_view *sv, uint8_t *dst, size_t dstsize,
						 const mm_ds_caps *c, mm_ds_view *dv);
/*
 * Adds one row. vals holds the present values in order; present is a bitmap (bit j, least
 * significant bit first, set when element j is present) or NULL when all d are present.
 * Values must be finite. Call mm_ds_need(v, NULL, ...) first.
 */
void		mm_ds_add(uint8_t *st, mm_ds_view *v, const double *vals, const uint8_t *present);
/* Counts k NULL arrays: rows and every feature's nulls grow by k. */
void		mm_ds_add_null_rows(uint8_t *st, mm_ds_view *v, uint64_t k);
/*
 * Folds src (any alignment) into dst (aligned, mapped). src must have dst's features, names
 * and mode, or d = 0 (NULL arrays only). A dst with d = 0 cannot take a src with d > 0: start
 * from a copy of src and add dst's rows with mm_ds_add_null_rows instead. Call
 * mm_ds_need(v, src, ...) first.
 */
mm_status	mm_ds_combine(uint8_t *dst, mm_ds_view *v, const uint8_t *src, size_t srcsize, mm_err *err);
/* Summarises a state (any alignment, left unchanged). Names point into st. */
mm_status	mm_ds_summarise(const uint8_t *st, size_t size, const mm_alloc *a, mm_ds_summary *out, mm_err *err);

/* ---- corr_matrix ---- */

#define MM_CR_MAGIC		0x52434D4Du	/* "MMCR" */
#define MM_CR_VERSION	1
#define MM_CR_KIND		3
#define MM_CR_HDRSZ		44
#define MM_CR_MAX_FEATURES 5000

typedef struct mm_cr_view
{
	uint32_t	d;
	uint32_t	cap;
	uint32_t	nbuf;
	uint64_t	n;
	double	   *mean;
	double	   *com;
	double	   *min;
	double	   *max;
	double	   *scratch;
	double	   *buf;
} mm_cr_view;

uint32_t	mm_cr_capacity(uint32_t d);
/* Size of a state, 0 if d or cap is out of range. */
size_t		mm_cr_state_size(uint32_t d, uint32_t cap);
void		mm_cr_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap);
mm_status	mm_cr_validate(const uint8_t *st, size_t size, mm_err *err);
/* O(1) check of the header alone: enough for mm_cr_map/mm_cr_add to stay in bounds. */
int			mm_cr_header_ok(const uint8_t *st, size_t size);
void		mm_cr_map(uint8_t *st, mm_cr_view *v);
uint32_t	mm_cr_dims(const uint8_t *st);
/* Adds one row of d finite values. */
void		mm_cr_add(uint8_t *st, mm_cr_view *v, const double *x);
/* Folds src (any alignment) into dst (aligned, mapped); same d required. */
mm_status	mm_cr_combine(uint8_t *dst, mm_cr_view *v, const uint8_t *src, size_t srcsize, mm_err *err);
/*
 * The d x d correlation matrix (row-major, symmetric) of a state (any alignment, unchanged).
 * Rows and columns of constant features (min = max, including a single row) are NaN.
 * *rows gets the number of rows.
 */
mm_status	mm_cr_matrix(const uint8_t *st, size_t size, const mm_alloc *a, double **out, uint64_t *rows,
						 mm_err *err);

/* ---- split ---- */

/*
 * The stable 64-bit hash behind split(): FNV-1a 64 over the seed's 8 little-endian bytes and
 * then the key's bytes, finished with the MurmurHash3 fmix64 avalanche. Independent of
 * platform, compiler and PostgreSQL version.
 */
uint64_t	mm_hash64(const void *bytes, size_t len, uint64_t seed);
/* A uniform value in [0, 1): the top 53 bits of mm_hash64, times 2^-53. */
double		mm_split_unit(const void *bytes, size_t len, uint64_t seed);

#endif
