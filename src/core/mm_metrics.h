/*
 * mm_metrics.h: evaluation metrics (scikit-learn's definitions) as mergeable aggregate states.
 *
 * Three state families share one header; every metric aggregate stores the metric kind it
 * was made for, so a state can only be combined with, or finished by, the same metric.
 *
 * Common header, MM_MT_HDRSZ = 64 bytes, little-endian:
 *   0 u32 magic "MMMT"   4 u16 version   6 u8 family   7 u8 kind   8 u32 flags   12 u32 reserved (0)
 *   16 u64 rows counted (non-NULL)   24 u64 rows skipped (a NULL input)
 *   32..63 family fields:
 *
 * MM_MF_CLASS (confusion counts by class; accuracy, precision, recall, f1, averages, matrix):
 *   32 f64 positive (float labels, MM_MT_HAS_POSITIVE)   40 u32 k   44 u32 kcap
 *   48 u32 pool bytes used   52 u32 pool capacity   56 u32 positive length (text)   60 u32 reserved (0)
 *   then u8 positive[poslen], u64 counts[kcap * kcap] (row = actual, column = predicted,
 *   classes in first-seen order), then either f64 labels[kcap] (float labels) or
 *   u32 offset[kcap], u32 length[kcap], u8 pool[pool capacity] (text labels, packed in order).
 *
 * MM_MF_PAIRS ((score, label) pairs; roc_auc, roc_curve, pr_curve, average_precision):
 *   32 u64 positives   40 u64 negatives   48 u64 capacity   56 u64 reserved (0)
 *   then f64 scores[capacity]: positives' scores from the front, negatives' from the back.
 *
 * MM_MF_MOMENTS (mse, rmse, mae, r2, log_loss):
 *   32 f64 sum of squared errors (log_loss: sum of -log p)   40 f64 sum of absolute errors
 *   48 f64 mean of actual   56 f64 centred second moment of actual (Welford / Chan)
 *   The multiclass log_loss (kind log_loss_multiclass) uses the same 64 bytes as
 *   32 f64 sum of -log p(true class)   40 u64 K, the length of the probability arrays
 *   (1..MM_MT_MAX_CLASSES; 1 = P(positive) of two classes)   48 u64 fingerprint of the class
 *   labels (mm_mll_fingerprint; 0 when the true class is given as an index)   56 u64 reserved (0);
 *   K and the fingerprint are set by the first row counted: with no row, bytes 32..63 are 0.
 *
 * Capacities may exceed what is used (states grow by doubling); unused bytes must be zero.
 * Nothing is ever read through a cast pointer, so a state may sit at any alignment.
 */
#ifndef MM_METRICS_H
#define MM_METRICS_H

#include <string.h>

#include "mm_core.h"

#define MM_MT_MAGIC			0x544D4D4Du	/* "MMMT" */
#define MM_MT_VERSION		1
#define MM_MT_HDRSZ			64

/* flags */
#define MM_MT_TEXT			0x1		/* class labels are text */
#define MM_MT_HAS_POSITIVE	0x2		/* a positive class is stored */
#define MM_MT_FLAGS_ALL		0x3

/* Most distinct labels a class state holds (its count matrix is k x k). */
#define MM_MT_MAX_CLASSES	1000
/* Most bytes of text labels a class state holds. */
#define MM_MT_MAX_POOL		(16u * 1024 * 1024)
/* Most pairs a pairs state holds. */
#define MM_MT_MAX_PAIRS		((uint64_t) (MM_MAX_ALLOC - MM_MT_HDRSZ) / 8)
/* log_loss clips probabilities to [eps, 1 - eps]. */
#define MM_MT_LOGLOSS_EPS	1e-15

typedef enum mm_metric_family
{
	MM_MF_CLASS = 1,
	MM_MF_PAIRS = 2,
	MM_MF_MOMENTS = 3
} mm_metric_family;

typedef enum mm_metric_kind
{
	MM_MK_ACCURACY = 1,
	MM_MK_PRECISION = 2,
	MM_MK_RECALL = 3,
	MM_MK_F1 = 4,
	MM_MK_PRECISION_MACRO = 5,
	MM_MK_RECALL_MACRO = 6,
	MM_MK_F1_MACRO = 7,
	MM_MK_PRECISION_WEIGHTED = 8,
	MM_MK_RECALL_WEIGHTED = 9,
	MM_MK_F1_WEIGHTED = 10,
	MM_MK_CONFUSION = 11,
	MM_MK_ROC_AUC = 20,
	MM_MK_ROC_CURVE = 21,
	MM_MK_PR_CURVE = 22,
	MM_MK_AVG_PRECISION = 23,
	MM_MK_MSE = 30,
	MM_MK_RMSE = 31,
	MM_MK_MAE = 32,
	MM_MK_R2 = 33,
	MM_MK_LOG_LOSS = 34,
	MM_MK_LOG_LOSS_MULTI = 35
} mm_metric_kind;

/* The family of a kind, 0 if the kind is unknown. */
int			mm_metric_family_of(int kind);
/* The SQL name of a kind ("accuracy", ...), "unknown" otherwise. */
const char *mm_metric_name(int kind);
/* 1 when the kind takes a positive class (binary precision, recall, f1). */
int			mm_metric_binary(int kind);

/* Capacities of a state (class: kcap and pool; pairs: cap). */
typedef struct mm_mt_caps
{
	uint32_t	kcap;
	uint32_t	poolcap;
	uint64_t	cap;
} mm_mt_caps;

/* Header fields every state has. */
typedef struct mm_mt_info
{
	int			family;
	int			kind;
	uint32_t	flags;
	uint64_t	n;
	uint64_t	skipped;
} mm_mt_info;

/* Validates any bytes as a metric state (every field, counts add up, labels distinct). */
mm_status	mm_mt_validate(const uint8_t *st, size_t size, mm_err *err);
/*
 * O(1) check that a state's header is consistent with its size (enough for memory safety of
 * the row transitions and merges). kind 0 = any kind, text -1 = either label type.
 * MM_EMISMATCH when the kind or label type differ from those asked for.
 */
mm_status	mm_mt_check_shape(const uint8_t *st, size_t size, int kind, int text, mm_err *err);
/* Header of a validated (or self-made) state. */
void		mm_mt_info_read(const uint8_t *st, mm_mt_info *info);
/* Counts one skipped row (a NULL input). */
void		mm_mt_skip(uint8_t *st);

/* Size of a state of this shape; 0 when over a limit. */
size_t		mm_mt_state_size(int kind, uint32_t flags, uint32_t poslen, const mm_mt_caps *caps);
/* Capacities a new state starts with. */
void		mm_mt_initial_caps(int kind, mm_mt_caps *caps);
/*
 * Initialises a zeroed state of mm_mt_state_size() bytes. positive/posbytes/poslen are used
 * by binary class kinds with MM_MT_HAS_POSITIVE (float and text labels respectively).
 */
void		mm_mt_init(uint8_t *st, size_t size, int kind, uint32_t flags, double positive,
					   const void *posbytes, uint32_t poslen, const mm_mt_caps *caps);
/* Size of st's shape with other capacities. */
size_t		mm_mt_size_for(const uint8_t *st, const mm_mt_caps *caps);
/* Capacities of a state, and the smallest capacities that hold its contents. */
void		mm_mt_caps_read(const uint8_t *st, mm_mt_caps *caps);
void		mm_mt_caps_tight(const uint8_t *st, mm_mt_caps *caps);
/* Copies a state into dst (zeroed, mm_mt_state_size() bytes for caps), which must hold its contents. */
void		mm_mt_relayout(const uint8_t *src, uint8_t *dst, size_t dstsize, const mm_mt_caps *caps);

/*
 * Row transitions. They return 1 when the row was counted, 0 when the state is full: grow
 * it (mm_mt_grow_caps, mm_mt_relayout) and call again with the same row.
 */
int			mm_cm_add_f64(uint8_t *st, double predicted, double actual);
int			mm_cm_add_text(uint8_t *st, const void *pb, uint32_t plen, const void *ab, uint32_t alen);

/*
 * The memo of a class state that passed mm_mt_check_shape: its size and the header fields its
 * layout depends on (bytes 0..15, kcap, pool capacity, bytes 56..63), i.e. everything but the
 * row counts, k, pool bytes used and the positive value. A state of the same size with the
 * same fields and k <= kcap, pool used <= capacity passes the same check wherever it lies
 * (the check reads nothing else), so a caller may keep one memo per call site and check each
 * row's state in O(1) with mm_cm_memo_match instead of re-checking it. size 0 = empty.
 */
typedef struct mm_cm_memo
{
	size_t		size;
	uint64_t	w0,
				w1,
				w7;
	uint32_t	kcap,
				pcap,
				flags,
				poslen;
	size_t		labels;			/* offset of the labels (f64) or label offsets (text) */
} mm_cm_memo;

/* mm_mt_check_shape of a class state of this kind and label type; on success, memo := its memo. */
mm_status	mm_cm_memo_check(mm_cm_memo *memo, const uint8_t *st, size_t size, int kind, int text, mm_err *err);

/* 1 when st (size bytes) is shaped as the memo recorded (an empty memo matches nothing). */
static inline int
mm_cm_memo_match(const mm_cm_memo *memo, const uint8_t *st, size_t size)
{
	uint64_t	w0,
				w1,
				w5,
				w6,
				w7;

	if (size != memo->size)
		return 0;
	memcpy(&w0, st, 8);
	memcpy(&w1, st + 8, 8);
	memcpy(&w5, st + 40, 8);	/* u32 k, u32 kcap */
	memcpy(&w6, st + 48, 8);	/* u32 pool used, u32 pool capacity */
	memcpy(&w7, st + 56, 8);
	return w0 == memo->w0 && w1 == memo->w1 && w7 == memo->w7 &&
		(uint32_t) (w5 >> 32) == memo->kcap && (uint32_t) (w6 >> 32) == memo->pcap &&
		(uint32_t) w5 <= memo->kcap && (uint32_t) w6 <= memo->pcap;
}

/* mm_cm_add_f64 / mm_cm_add_text of a state that mm_cm_memo_match'ed memo. */
int			mm_cm_add_f64_memo(uint8_t *st, const mm_cm_memo *memo, double predicted, double actual);
int			mm_cm_add_text_memo(uint8_t *st, const mm_cm_memo *memo, const void *pb, uint32_t plen,
								const void *ab, uint32_t alen);
int			mm_pairs_add(uint8_t *st, double score, int positive);
void		mm_moments_add(uint8_t *st, double predicted, double actual);
void		mm_logloss_add(uint8_t *st, double prob, int positive);

/*
 * Multiclass log_loss (scikit-learn's log_loss): each probability clipped to
 * [MM_MT_LOGLOSS_EPS, 1 - MM_MT_LOGLOSS_EPS], the row renormalised by its clipped sum, and
 * -log of the true class's share. k = 1: p[0] is P(class 1) of two classes (p = [1 - p0, p0]).
 * truth < max(k, 2). The row's loss; p must hold k values in [0, 1].
 */
double		mm_mll_row_loss(const double *p, uint32_t k, uint32_t truth);
/*
 * Counts a row's loss. The first row counted sets the state's K and fingerprint; later rows
 * must match them (mm_mll_matches; the binding reports a mismatch).
 */
void		mm_mll_add(uint8_t *st, uint32_t k, uint64_t fingerprint, double loss);
/* 1 when a row of k classes with this fingerprint may be counted into st. */
int			mm_mll_matches(const uint8_t *st, uint32_t k, uint64_t fingerprint);
/* K of a state (0 before its first row). */
uint32_t	mm_mll_classes(const uint8_t *st);
/*
 * The fingerprint of a class order: FNV-1a 64 (finished by fmix64) over a type tag (1 text,
 * 2 float8) and, per label, its length (u32) and bytes; never 0.
 */
uint64_t	mm_mll_fingerprint(int tag, uint32_t nlabels, const void *const *labels, const uint32_t *lens);

/*
 * Capacities to grow a full state to: double what is short, with room for a text label of
 * `need` more bytes. MM_ENOMEM (limit exceeded) when over the limits.
 */
mm_status	mm_mt_grow_caps(const uint8_t *st, uint32_t need, mm_mt_caps *caps, mm_err *err);

/*
 * Combining. mm_mt_merge_caps checks that the validated src can be merged into dst (same
 * family, kind, flags, positive; MM_EMISMATCH otherwise) and gives the capacities dst needs
 * (*grow = 1 if more than it has). mm_mt_merge then merges; dst must have the room.
 */
mm_status	mm_mt_merge_caps(const uint8_t *dst, const uint8_t *src, mm_mt_caps *caps, int *grow, mm_err *err);
void		mm_mt_merge(uint8_t *dst, const uint8_t *src);

/*
 * The scalar metric of a validated state (any kind but confusion/curves). *isnull = 1 when
 * the metric is undefined: zero rows, one class only (roc_auc), fewer than 2 rows (r2).
 * The state is not modified. MM_EDATA for text labels without a positive and != 2 classes.
 */
mm_status	mm_mt_scalar(const uint8_t *st, const mm_alloc *a, double *out, int *isnull, mm_err *err);

/* Confusion matrix of a validated class state: labels in sorted order (float: numeric; text: bytes). */
typedef struct mm_cm_matrix
{
	uint32_t	k;
	int			text;
	double	   *values;			/* k float labels (float states) */
	const uint8_t **names;		/* k pointers into the state (text states) */
	uint32_t   *lens;
	uint64_t   *counts;			/* k x k, row = actual, column = predicted */
} mm_cm_matrix;

mm_status	mm_cm_matrix_get(const uint8_t *st, const mm_alloc *a, mm_cm_matrix *m, mm_err *err);

/* A curve: npoints rows of (threshold, x, y); for pr curves x = precision, y = recall. */
typedef struct mm_curve
{
	size_t		npoints;
	double	   *threshold;
	double	   *x;
	double	   *y;
	int			last_threshold_null;	/* pr curve: the final (1, 0) point has no threshold */
} mm_curve;

/*
 * scikit-learn 1.2's roc_curve (drop_intermediate=True; first threshold = max score + 1)
 * and precision_recall_curve (thresholds ascending, then (precision 1, recall 0)).
 * *isnull = 1 when undefined (roc: one class only; pr: no positives).
 */
mm_status	mm_pairs_roc_curve(const uint8_t *st, const mm_alloc *a, mm_curve *c, int *isnull, mm_err *err);
mm_status	mm_pairs_pr_curve(const uint8_t *st, const mm_alloc *a, mm_curve *c, int *isnull, mm_err *err);

/* Sorts n doubles ascending (LSD radix sort; -0.0 must have been normalised to 0.0). */
mm_status	mm_sort_f64(double *v, size_t n, const mm_alloc *a, mm_err *err);

#endif
