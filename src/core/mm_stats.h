/*
 * mm_stats.h: data-management statistics: describe (per-feature moments, extremes and
 * sample quartiles), corr_matrix (Pearson correlation from streaming co-moments) and the
 * stable hash behind split().
 *
 * describe state (little-endian), MM_DS_HDRSZ = 52 bytes so that, behind PostgreSQL's 4-byte
 * varlena header, the doubles that follow are 8-byte aligned:
 *   0 u32 magic "MMDS"   4 u16 version (2)   6 u16 kind (2)   8 u32 d   12 u32 sample size k
 *   16 u32 entry capacity   20 u32 names length in bytes   24 u64 rows (NULL arrays included)
 *   32 u32 total size   36 u32 entries used   40 u64 key threshold (all ones: none yet)
 *   48 u32 mixed (0 while no NULL element has been seen: every feature then has count[0]
 *   values and count[1..d) is not kept up to date; else 1)
 *   then the names, d x (u32 length, bytes), zero-padded to a multiple of 8 bytes;
 *   then, when d > 0, 7 moment arrays of d 8-byte slots each (field f of feature j at f d + j):
 *     u64 count[d], u64 nulls[d], f64 mean of x - shift[d], f64 M2 (sum of squared
 *     deviations)[d], f64 min[d], f64 max[d], f64 shift (the first value seen)[d];
 *   then the row sample: capacity entries of (d + 2) slots: u64 key, u64 multiplicity,
 *     f64 values[d] (a NULL element is the NaN bit pattern MM_DS_NULL_BITS, -0 is stored as 0);
 *   then scratch: 3 x capacity + d slots (compaction keys and indexes, one expanded row).
 *   A state with d = 0 has seen only NULL arrays: the header alone (k = capacity = 0).
 *
 * Quartiles come from a deterministic sample of distinct rows: a row's key is the 53-bit
 * mm_ds_row_key of its values (NULL elements hashed as MM_DS_NULL_BITS),
 * identical rows share a key and are kept once with their multiplicity, and the sample is the
 * k distinct rows with the smallest (key, value bytes). Every copy of a sampled row is counted
 * (a row whose key is at or below the threshold is never turned away), so the sample of a
 * union is the bottom k of the union of the samples: serial, parallel and merged states give
 * the same quartiles whatever the order. Each feature's quartiles are numpy's 'linear'
 * quantiles of the sampled values weighted by their multiplicity: exact while the input has at
 * most k distinct rows, otherwise those of a uniform sample of k distinct rows (rank error about
 * 0.5/sqrt(k) at the median; larger when a few heavily repeated rows hold much of the input,
 * since such a row is in or out of the sample with all its copies).
 * k = 16384 while a sampled row takes at most 512 bytes (d <= 62), halved as d grows so the
 * sample stays within 8 MiB, and never below 256. The sample holds up to 1.5 k entries between
 * compactions and starts at 16 entries, doubling as needed (the binding reallocates).
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
#define MM_DS_VERSION	2
#define MM_DS_KIND		2
#define MM_DS_HDRSZ		52
#define MM_DS_SAMPLE_MAX 16384		/* k for d <= 62 */
#define MM_DS_SAMPLE_MIN 256
#define MM_DS_SAMPLE_BYTES ((size_t) 8 * 1024 * 1024)
#define MM_DS_CAP0		16			/* first entry capacity */
#define MM_DS_SEED		0x6d6d64657363ULL
#define MM_DS_NULL_BITS	0x7ff8000000000000ULL	/* a quiet NaN: a NULL element in the sample */
#define MM_DS_NO_THRESHOLD UINT64_MAX
#define MM_DS_MAX_FEATURES 10000
#define MM_DS_MAX_NAMES	((size_t) 64 * 1024 * 1024)

typedef struct mm_ds_view
{
	uint32_t	d;
	uint32_t	k;				/* sample size */
	uint32_t	cap;			/* entry capacity */
	uint32_t	nent;			/* entries used */
	uint32_t	names_len;
	uint64_t	rows;
	uint64_t	tau;			/* rows with a larger key are not sampled */
	uint32_t	mixed;			/* a NULL element has been seen */
	double	   *feat;			/* d moment blocks of 7 slots */
	double	   *ent;			/* cap entries of d + 2 slots */
	uint64_t   *scratch;		/* 3 cap slots */
	double	   *row;			/* d slots */
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
	const char *name;			/* not NUL-terminated; NULL when unnamed */
	uint32_t	name_len;
} mm_ds_feature;

typedef struct mm_ds_summary
{
	uint64_t	rows;
	uint32_t	d;
	mm_ds_feature *features;
} mm_ds_summary;

/*
 * The sample key of a row of d values (NULL elements as MM_DS_NULL_BITS): an 8-lane
 * multiply-xorshift hash of the value bits, finished with fmix64 and seeded with MM_DS_SEED;
 * the top 53 bits. (-0 and 0 hash apart; the sample stores both as 0.)
 */
uint64_t	mm_ds_row_key(const double *row, uint32_t d);
/* Sample size k for d features (0 for d = 0) and the largest entry capacity, 1.5 k. */
uint32_t	mm_ds_sample_k(uint32_t d);
uint32_t	mm_ds_capacity_max(uint32_t d);
/*
 * Size of a state with d features, a names blob of names_len bytes and room for cap sample
 * entries (0 when d = 0); 0 when out of range.
 */
size_t		mm_ds_state_size(uint32_t d, size_t names_len, uint32_t cap);
/* The entry capacity a new state starts with. */
uint32_t	mm_ds_initial_capacity(uint32_t d);
/*
 * Initialises a state of mm_ds_state_size(d, names_len, cap) bytes (8-byte aligned after the
 * header) that has already seen null_rows NULL arrays. names: d x (u32 length, bytes), or NULL
 * with names_len 0.
 */
void		mm_ds_init(uint8_t *st, size_t size, uint32_t d, uint32_t cap, const uint8_t *names, size_t names_len,
					   uint64_t null_rows);
/* Validates any incoming bytes as a describe state. */
mm_status	mm_ds_validate(const uint8_t *st, size_t size, mm_err *err);
/* O(1) check of the header alone: enough for mm_ds_map/mm_ds_add to stay in bounds. */
int			mm_ds_header_ok(const uint8_t *st, size_t size);
/* mm_ds_header_ok and mm_ds_map in one: 0 (nothing mapped) when the header is not sound. */
int			mm_ds_open(uint8_t *st, size_t size, mm_ds_view *v);
/* Maps an aligned state that passed mm_ds_header_ok or mm_ds_validate (no copy). */
void		mm_ds_map(uint8_t *st, mm_ds_view *v);
/* Features, total rows, sample entries of a validated state (any alignment). */
uint32_t	mm_ds_dims(const uint8_t *st);
uint64_t	mm_ds_rows(const uint8_t *st);
uint32_t	mm_ds_entries(const uint8_t *st);
/*
 * The capacity a mapped state needs before `incoming` more sample entries arrive (1 for a row,
 * the other state's entries for a combine), or 0 when it has room (or is at its largest: it
 * then compacts). Grow by allocating mm_ds_state_size(d, names_len, cap) bytes and calling
 * mm_ds_resize.
 */
uint32_t	mm_ds_grow_capacity(const mm_ds_view *v, uint64_t incoming);
/* Copies a mapped state into dst (aligned, dstsize bytes) with entry capacity cap and maps dst. */
void		mm_ds_resize(const uint8_t *src, const mm_ds_view *sv, uint8_t *dst, size_t dstsize, uint32_t cap,
						 mm_ds_view *dv);
/*
 * Adds one row. vals holds the present values in order; present is a bitmap (bit j, least
 * significant bit first, set when element j is present) or NULL when all d are present.
 * Values must be finite. Call mm_ds_grow_capacity(v, 1) first.
 */
void		mm_ds_add(uint8_t *st, mm_ds_view *v, const double *vals, const uint8_t *present);
/* Counts k NULL arrays: rows and every feature's nulls grow by k. */
void		mm_ds_add_null_rows(uint8_t *st, mm_ds_view *v, uint64_t k);
/*
 * Folds src (any alignment) into dst (aligned, mapped). src must have dst's features and
 * names, or d = 0 (NULL arrays only). A dst with d = 0 cannot take a src with d > 0: start
 * from a copy of src and add dst's rows with mm_ds_add_null_rows instead. Grow dst to
 * mm_ds_grow_capacity(v, mm_ds_entries(src)) first.
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
