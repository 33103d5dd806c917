/*
 * mm_sgd.h: stochastic gradient descent for linear models, one epoch per pass.
 *
 * A training run is a sequence of models. Each model carries an "optimizer" section (id
 * MM_SEC_OPTIM) with the hyperparameters and the optimizer's position (samples seen, L1
 * cumulative penalty, AdaGrad/Adam accumulators), so a pass can start from any model and a
 * later pass continues the same schedule.
 *
 * A pass keeps its state in one flat buffer (the aggregate's bytea state):
 *   header (MM_SGD_HDRSZ bytes): u32 magic "MMSG", u16 version, u16 algorithm, u32 d, u32 outputs,
 *     u32 classes, u32 flags, u32 start model length, u32 start model checksum, u32 total size,
 *     u8 schedule, u8 fit_intercept, u16 reserved, u32 batch size, 20 reserved bytes
 *   f64 scalars[MM_SGD_NSCALARS]
 *   f64 arrays: W (outputs x (d+1), intercept first), batch gradient, q (L1), G/m (AdaGrad/Adam),
 *     v (Adam), mean[d], 1/scale[d], class weights[classes], class values[classes]
 *   the start model's bytes (so the final function can rebuild a full model, and so combine can
 *     check both states started from the same model)
 * Weights are kept as wscale * W (plain SGD) so L2 shrinkage costs O(1) a step.
 *
 * Plain SGD of one output without L1 (logistic, linear, hinge) applies a row's update of W
 * during the next step, after taking that step's score as W.z + c (z_prev.z): the dot products
 * then no longer wait for the previous update, which shortens the chain of dependent work from
 * one row to the next. The pending row is kept in the state (z holds two rows: SC_ZSEL says
 * which half the next row goes to, the other is the pending one) and applied by combine and
 * finish.
 */
#ifndef MM_SGD_H
#define MM_SGD_H

#include "mm_model.h"

#define MM_SEC_OPTIM_PAYLOAD_VERSION 1
#define MM_SGD_MAGIC	0x47534D4Du	/* "MMSG" */
#define MM_SGD_VERSION	3
#define MM_SGD_HDRSZ	60

typedef enum mm_schedule
{
	MM_LR_OPTIMAL = 1,
	MM_LR_CONSTANT,
	MM_LR_INVSCALING,
	MM_LR_ADAPTIVE,
	MM_LR_ADAGRAD,
	MM_LR_ADAM
} mm_schedule;

#define MM_LR_MAX 6

/* Scalars of a pass (indices into the scalar block). */
enum
{
	SC_WSCALE = 0,
	SC_T,						/* samples seen, over all passes */
	SC_U,						/* L1 cumulative penalty */
	SC_ETA,						/* current eta (adaptive) */
	SC_OPT_INIT,				/* t0 of the optimal schedule */
	SC_L1,
	SC_L2,
	SC_ETA0,
	SC_POWER_T,
	SC_LOSS,					/* sum of per-row losses in this pass (before each update) */
	SC_ROWS,					/* rows seen in this pass */
	SC_BATCH_FILL,
	SC_STEPS,					/* optimizer steps, over all passes (Adam bias correction) */
	SC_T_START,					/* t of the start model */
	SC_EPOCHS,					/* passes completed before this one */
	SC_STEPS_START,
	SC_LOSS_PROD,				/* product of pending log-loss factors: loss = SC_LOSS + log(this) */
	SC_PEND_C,					/* pending update: W[1..d] += this * (the pending half of z) */
	SC_ZSEL,					/* 0/1: the half of z the next row goes to (the other is pending) */
	MM_SGD_NSCALARS
};

typedef struct mm_sgd_params
{
	int			algorithm;
	uint32_t	n_features;
	uint32_t	n_classes;		/* 0 for regression */
	int			schedule;
	int			fit_intercept;
	uint32_t	batch_size;
	double		l1;
	double		l2;
	double		eta0;
	double		power_t;
	const double *class_weight; /* n_classes or NULL (all 1) */
	const double *class_values; /* n_classes numeric labels or NULL (0..K-1) */
	char	  **class_names;	/* n_classes or NULL ("0".."K-1") */
	int			text_labels;
	const double *mean;			/* standardisation, or NULL */
	const double *scale;
	char	  **feature_names;	/* or NULL */
} mm_sgd_params;

/* Builds a starting model (zero weights, fresh optimizer) from parameters. */
mm_status	mm_sgd_init_model(const mm_sgd_params *p, const mm_alloc *a, mm_model **out, mm_err *err);

/* Size of a pass state starting from the encoded model (0 + err if the model cannot train). */
size_t		mm_sgd_state_size(const mm_model *start, size_t start_len, mm_err *err);
/* Initialises a pass state from a decoded start model and its bytes; st must be 8-byte aligned + 4. */
mm_status	mm_sgd_state_init(uint8_t *st, size_t size, const mm_model *start, const uint8_t *start_bytes,
							  size_t start_len, mm_err *err);

typedef struct mm_sgd_view
{
	int			algorithm;
	uint32_t	d;
	uint32_t	K;				/* outputs */
	uint32_t	ncls;
	int			schedule;
	int			fit_intercept;
	uint32_t	batch;
	int			plain;			/* plain SGD path (batch 1, non-adaptive-gradient schedule) */
	int			fast;			/* plain, one output, no L1: pending updates (see above) */
	double	   *sc;
	double	   *W;
	double	   *gb;
	double	   *q;
	double	   *g1;
	double	   *g2;
	double	   *mean;
	double	   *inv_scale;		/* 1 / scale: a multiply per feature on the hot path */
	double	   *cw;
	double	   *cv;
	double	   *z;				/* two standardised rows (one output: the next and the pending one) */
	double	   *pk;				/* scratch: per-output scores/probabilities */
	const uint8_t *start;
	uint32_t	start_len;
	uint32_t	start_crc;
} mm_sgd_view;

/* Validates arbitrary bytes as a pass state. */
mm_status	mm_sgd_validate(const uint8_t *st, size_t size, mm_err *err);
/* The O(1) part of mm_sgd_validate (header, layout, scalars): every write of a step stays in bounds. */
mm_status	mm_sgd_check(const uint8_t *st, size_t size, mm_err *err);
/* Maps an aligned validated state. */
void		mm_sgd_map(uint8_t *st, mm_sgd_view *v);
/* Maps the label y to a class index (classifiers) or checks it (regression); -1 if unknown. */
int32_t		mm_sgd_class_of(const mm_sgd_view *v, double y);
/* One training row: x has d raw values; cls is the class index (classifiers) and y the target (regression). */
void		mm_sgd_step(mm_sgd_view *v, const double *x, int32_t cls, double y);

/*
 * Steps through rows idx[0..n) of a matrix of raw rows (row r at X + r * d; class cls[r] for
 * classifiers, target y[r] for regression, the other array is not read), mm_sgd_step by
 * mm_sgd_step. When avail > n, idx[n..avail) are the rows that follow and rows are fetched ahead
 * (for shuffled orders); avail = 0 fetches nothing.
 */
void		mm_sgd_steps(mm_sgd_view *v, const double *X, const double *y, const int32_t *cls,
						 const uint32_t *idx, uint32_t n, uint32_t avail);

/*
 * For rows held in memory across passes: whether mm_sgd_steps_std can run this pass (plain SGD
 * of one output without L1), and the standardisation it expects the rows to have had, once:
 * z[j] = (x[j] - mean[j]) * inv_scale[j] (the view's arrays), exactly as a step computes it.
 */
int			mm_sgd_std_ok(const mm_sgd_view *v);
void		mm_sgd_standardise(const mm_sgd_view *v, double *x);
/*
 * Steps through rows idx[0..n) of a matrix of standardised rows (row r at Z + r * d; class
 * cls[r] for classifiers, target y[r] for regression, the other array is not read) with the
 * per-row scalars in registers: the same state, bit for bit, as mm_sgd_step over the raw rows.
 * When avail > n, idx[n..avail) are the rows that follow and rows are fetched ahead (for
 * shuffled orders); avail = 0 fetches nothing.
 */
void		mm_sgd_steps_std(mm_sgd_view *v, const double *Z, const double *y, const int32_t *cls,
							 const uint32_t *idx, uint32_t n, uint32_t avail);
/* The choice of the four-lane (AVX2) forms of the steps: -1 by the CPU (default), 0 no, 1 yes (tests). */
extern int	mm_sgd_wide;
/* Folds src (validated, any alignment) into dst: rows-weighted average of models. */
mm_status	mm_sgd_combine(mm_sgd_view *dst, const uint8_t *src, size_t srcsize, mm_err *err);
/* Produces the model after this pass (state left unchanged). */
mm_status	mm_sgd_finish(const uint8_t *st, size_t size, const mm_alloc *a, mm_model **out, mm_err *err);

/* Optimizer section helpers for the driver. */
typedef struct mm_sgd_progress
{
	double		epoch_loss;		/* mean loss of the last pass */
	double		rows;			/* rows of the last pass */
	double		epochs;			/* passes completed */
	double		eta;			/* current eta (adaptive) */
	double		t;
} mm_sgd_progress;

mm_status	mm_sgd_progress_of(const mm_model *m, mm_sgd_progress *p, mm_err *err);
/* Sets the current eta (adaptive schedule) in a decoded model's optimizer section, in place. */
mm_status	mm_sgd_set_eta(mm_model *m, double eta, const mm_alloc *a, mm_err *err);
/* Drops the optimizer section (for the final, published model). */
void		mm_sgd_strip(mm_model *m);

int			mm_schedule_from_name(const char *name);
const char *mm_schedule_name(int s);

/* Loss of one row for a score vector (used for validation and metrics). */
double		mm_sgd_row_loss(int algorithm, const double *scores, uint32_t K, int32_t cls, double y);

#endif
