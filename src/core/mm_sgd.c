/*
 * mm_sgd.c: SGD passes for squared, log, softmax and hinge losses with L1/L2 penalties and
 * scikit-learn's learning-rate schedules (plus AdaGrad and Adam), mini-batches and class weights.
 */
#include "mm_sgd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* pending log-loss factors are folded into the loss sum once their product passes this */
#define LOSS_PROD_MAX 0x1p500

#define OPT_NSCALARS 12
#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8
#define ADAGRAD_EPS 1e-8

static const char *const sched_names[] = {NULL, "optimal", "constant", "invscaling", "adaptive", "adagrad", "adam"};

int
mm_schedule_from_name(const char *name)
{
	for (int i = 1; i <= MM_LR_MAX; i++)
		if (strcmp(name, sched_names[i]) == 0)
			return i;
	return 0;
}

const char *
mm_schedule_name(int s)
{
	return (s >= 1 && s <= MM_LR_MAX) ? sched_names[s] : "unknown";
}

/* ---- the optimizer section ---- */

/* scalar order inside the section */
enum
{
	OS_T = 0, OS_U, OS_ETA, OS_OPT_INIT, OS_L1, OS_L2, OS_ETA0, OS_POWER_T, OS_LOSS, OS_ROWS, OS_EPOCHS, OS_STEPS
};

typedef struct optim_sec
{
	int			schedule;
	int			fit_intercept;
	uint32_t	batch;
	double		s[OPT_NSCALARS];
	const uint8_t *cw;
	const uint8_t *q;
	const uint8_t *g1;
	const uint8_t *g2;
} optim_sec;

static size_t
optim_size(uint32_t ncls, size_t P)
{
	return 16 + 8 * (OPT_NSCALARS + (size_t) ncls + 3 * P);
}

static mm_status
parse_optim(const mm_model *m, optim_sec *o, mm_err *err)
{
	mm_reader	r;
	size_t		P = (size_t) m->n_outputs * (m->n_features + 1);

	if (!m->optim)
		return mm_fail(err, MM_EINVAL, "model has no optimizer state to continue training from");
	if (m->optim_len != optim_size(m->n_classes, P))
		return mm_fail(err, MM_ECORRUPT, "optimizer section has the wrong size");
	mm_reader_init(&r, m->optim, m->optim_len);
	if (mm_get_u32(&r) != MM_SEC_OPTIM_PAYLOAD_VERSION)
		return mm_fail(err, MM_ECORRUPT, "unsupported optimizer section version");
	o->schedule = m->optim[4];
	o->fit_intercept = m->optim[5];
	r.pos = 8;
	o->batch = mm_get_u32(&r);
	if (mm_get_u32(&r) != 0 || m->optim[6] != 0 || m->optim[7] != 0)
		return mm_fail(err, MM_ECORRUPT, "optimizer section has nonzero reserved fields");
	if (o->schedule < 1 || o->schedule > MM_LR_MAX || o->fit_intercept > 1 || o->batch < 1 || o->batch > 1000000)
		return mm_fail(err, MM_ECORRUPT, "optimizer section has invalid settings");
	for (int i = 0; i < OPT_NSCALARS; i++)
	{
		o->s[i] = mm_get_f64(&r);
		if (!mm_isfinite(o->s[i]) || o->s[i] < 0)
			return mm_fail(err, MM_ECORRUPT, "optimizer scalar %d is invalid", i);
	}
	o->cw = mm_get_bytes(&r, 8 * (size_t) m->n_classes);
	o->q = mm_get_bytes(&r, 8 * P);
	o->g1 = mm_get_bytes(&r, 8 * P);
	o->g2 = mm_get_bytes(&r, 8 * P);
	if (!r.ok || r.pos != m->optim_len)
		return mm_fail(err, MM_ECORRUPT, "optimizer section is truncated");
	return MM_OK;
}

static uint8_t *
build_optim(const mm_alloc *a, uint32_t ncls, size_t P, int schedule, int fit_intercept, uint32_t batch,
			const double *s, const double *cw, const double *q, const double *g1, const double *g2, size_t *len)
{
	size_t		n = optim_size(ncls, P);
	uint8_t    *buf = a->alloc(a->ctx, n);
	mm_writer	w = {buf, 0, n};

	if (!buf)
		return NULL;
	mm_put_u32(&w, MM_SEC_OPTIM_PAYLOAD_VERSION);
	buf[4] = (uint8_t) schedule;
	buf[5] = (uint8_t) fit_intercept;
	w.len = 8;
	mm_put_u32(&w, batch);
	mm_put_u32(&w, 0);
	mm_put_f64s(&w, s, OPT_NSCALARS);
	for (uint32_t k = 0; k < ncls; k++)
		mm_put_f64(&w, cw ? cw[k] : 1.0);
	if (q)
		mm_put_f64s(&w, q, P);
	else
		w.len += 8 * P;
	if (g1)
		mm_put_f64s(&w, g1, P);
	else
		w.len += 8 * P;
	if (g2)
		mm_put_f64s(&w, g2, P);
	else
		w.len += 8 * P;
	*len = n;
	return buf;
}

mm_status
mm_sgd_init_model(const mm_sgd_params *p, const mm_alloc *a, mm_model **out, mm_err *err)
{
	mm_model   *m = a->alloc(a->ctx, sizeof(mm_model));
	uint32_t	K;
	size_t		P;
	double		s[OPT_NSCALARS] = {0};
	double		alpha = p->l1 + p->l2;

	if (!m)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	if (p->n_features < 1 || p->n_features > MM_MAX_FEATURES)
		return mm_fail(err, MM_EINVAL, "n_features must be between 1 and %d", MM_MAX_FEATURES);
	if (p->schedule < 1 || p->schedule > MM_LR_MAX)
		return mm_fail(err, MM_EINVAL, "unknown learning rate schedule");
	if (p->batch_size < 1 || p->batch_size > 1000000)
		return mm_fail(err, MM_EINVAL, "batch_size must be between 1 and 1000000");
	if (p->schedule == MM_LR_OPTIMAL && !(alpha > 0))
		return mm_fail(err, MM_EINVAL, "the \"optimal\" learning rate needs l1 or l2 above zero");
	if (p->schedule != MM_LR_OPTIMAL && !(p->eta0 > 0))
		return mm_fail(err, MM_EINVAL, "eta0 must be above zero for the \"%s\" learning rate", mm_schedule_name(p->schedule));
	m->algorithm = (uint16_t) p->algorithm;
	m->n_features = p->n_features;
	switch (p->algorithm)
	{
		case MM_ALG_LINREG:
			if (p->n_classes != 0)
				return mm_fail(err, MM_EINVAL, "linear regression has no classes");
			K = 1;
			break;
		case MM_ALG_LOGREG:
		case MM_ALG_SVM:
			if (p->n_classes != 2)
				return mm_fail(err, MM_EINVAL, "%s needs exactly two classes, got %u", mm_algorithm_name(p->algorithm), p->n_classes);
			K = 1;
			break;
		case MM_ALG_MULTINOMIAL:
			if (p->n_classes < 2 || p->n_classes > MM_MAX_CLASSES)
				return mm_fail(err, MM_EINVAL, "multinomial logistic regression needs 2 to %d classes", MM_MAX_CLASSES);
			K = p->n_classes;
			break;
		default:
			return mm_fail(err, MM_EINVAL, "unknown algorithm");
	}
	m->n_outputs = K;
	m->n_classes = p->n_classes;
	P = (size_t) K * (p->n_features + 1);
	m->coef = mm_alloc_array(a, P, sizeof(double));
	m->eff = mm_alloc_array(a, P, sizeof(double));
	if (!m->coef || !m->eff)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	if (p->mean)
	{
		m->mean = mm_alloc_array(a, 2 * (size_t) p->n_features, sizeof(double));
		if (!m->mean)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		m->scale = m->mean + p->n_features;
		for (uint32_t j = 0; j < p->n_features; j++)
		{
			m->mean[j] = p->mean[j];
			m->scale[j] = p->scale[j] > 0 && mm_isfinite(p->scale[j]) ? p->scale[j] : 1.0;
		}
	}
	if (p->n_classes)
	{
		m->class_values = mm_alloc_array(a, p->n_classes, sizeof(double));
		m->class_names = mm_alloc_array(a, p->n_classes, sizeof(char *));
		if (!m->class_values || !m->class_names)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		for (uint32_t k = 0; k < p->n_classes; k++)
		{
			char		buf[64];
			const char *name;

			m->class_values[k] = p->class_values ? p->class_values[k] : (double) k;
			if (p->class_names)
				name = p->class_names[k];
			else
			{
				snprintf(buf, sizeof(buf), "%.17g", m->class_values[k]);
				name = buf;
			}
			m->class_names[k] = a->alloc(a->ctx, strlen(name) + 1);
			if (!m->class_names[k])
				return mm_fail(err, MM_ENOMEM, "out of memory");
			strcpy(m->class_names[k], name);
		}
		if (p->text_labels)
			m->flags |= MM_FLAG_TEXT_LABELS;
	}
	m->feature_names = p->feature_names;

	s[OS_ETA] = p->eta0;
	s[OS_L1] = p->l1;
	s[OS_L2] = p->l2;
	s[OS_ETA0] = p->eta0;
	s[OS_POWER_T] = p->power_t;
	if (p->schedule == MM_LR_OPTIMAL)
	{
		/*
		 * Bottou's heuristic as in scikit-learn: eta_init = typw / max(1, dloss(-typw, 1)); every
		 * loss here has a negative derivative there, so the max is 1.
		 */
		double		typw = sqrt(1.0 / sqrt(alpha));
		double		eta_init = typw;

		s[OS_OPT_INIT] = 1.0 / (eta_init * alpha);
	}
	m->optim = build_optim(a, p->n_classes, P, p->schedule, p->fit_intercept ? 1 : 0, p->batch_size, s,
						   p->class_weight, NULL, NULL, NULL, &m->optim_len);
	if (!m->optim)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	mm_model_fold(m);
	*out = m;
	return MM_OK;
}

/* ---- pass state ---- */

typedef struct layout
{
	size_t		P;
	size_t		off_sc,
				off_W,
				off_gb,
				off_q,
				off_g1,
				off_g2,
				off_mean,
				off_scale,
				off_cw,
				off_cv,
				off_z,
				off_pk,
				off_start,
				total;
} layout;

static int
compute_layout(uint32_t d, uint32_t K, uint32_t ncls, uint32_t start_len, layout *L)
{
	size_t		P = (size_t) K * (d + 1);
	size_t		o = MM_SGD_HDRSZ;

	if (d < 1 || d > MM_MAX_FEATURES || K < 1 || K > MM_MAX_CLASSES || ncls > MM_MAX_CLASSES ||
		P > MM_MAX_ALLOC / 64)
		return 0;
	L->P = P;
	L->off_sc = o;
	o += 8 * MM_SGD_NSCALARS;
	L->off_W = o;
	o += 8 * P;
	L->off_gb = o;
	o += 8 * P;
	L->off_q = o;
	o += 8 * P;
	L->off_g1 = o;
	o += 8 * P;
	L->off_g2 = o;
	o += 8 * P;
	L->off_mean = o;
	o += 8 * (size_t) d;
	L->off_scale = o;
	o += 8 * (size_t) d;
	L->off_cw = o;
	o += 8 * (size_t) ncls;
	L->off_cv = o;
	o += 8 * (size_t) ncls;
	L->off_z = o;
	o += 16 * (size_t) d;
	L->off_pk = o;
	o += 8 * (size_t) K;
	L->off_start = o;
	o += ((size_t) start_len + 7) & ~(size_t) 7;
	L->total = o;
	return o <= MM_MAX_ALLOC;
}

size_t
mm_sgd_state_size(const mm_model *start, size_t start_len, mm_err *err)
{
	layout		L;
	optim_sec	o;

	if (parse_optim(start, &o, err) != MM_OK)
		return 0;
	if (start_len > MM_MAX_ALLOC / 2 ||
		!compute_layout(start->n_features, start->n_outputs, start->n_classes, (uint32_t) start_len, &L))
	{
		mm_fail(err, MM_ENOMEM, "model too large to train");
		return 0;
	}
	return L.total;
}

static void
read_hdr(const uint8_t *st, uint32_t *f)
{
	/* f: 0 alg, 1 d, 2 K, 3 ncls, 4 flags, 5 start_len, 6 start_crc, 7 total, 8 schedule, 9 fit_intercept, 10 batch */
	f[0] = (uint32_t) st[6] | ((uint32_t) st[7] << 8);
	f[1] = mm_load_u32(st + 8);
	f[2] = mm_load_u32(st + 12);
	f[3] = mm_load_u32(st + 16);
	f[4] = mm_load_u32(st + 20);
	f[5] = mm_load_u32(st + 24);
	f[6] = mm_load_u32(st + 28);
	f[7] = mm_load_u32(st + 32);
	f[8] = st[36];
	f[9] = st[37];
	f[10] = mm_load_u32(st + 40);
}

mm_status
mm_sgd_state_init(uint8_t *st, size_t size, const mm_model *start, const uint8_t *start_bytes,
				  size_t start_len, mm_err *err)
{
	optim_sec	o;
	layout		L;
	mm_writer	w = {st, 0, MM_SGD_HDRSZ};
	double	   *sc,
			   *W;
	uint32_t	d = start->n_features,
				K = start->n_outputs,
				ncls = start->n_classes;
	mm_status	rc;

	if ((rc = parse_optim(start, &o, err)) != MM_OK)
		return rc;
	if (!compute_layout(d, K, ncls, (uint32_t) start_len, &L) || L.total != size)
		return mm_fail(err, MM_EINVAL, "internal error: state size mismatch");
	memset(st, 0, size);
	mm_put_u32(&w, MM_SGD_MAGIC);
	mm_put_u16(&w, MM_SGD_VERSION);
	mm_put_u16(&w, start->algorithm);
	mm_put_u32(&w, d);
	mm_put_u32(&w, K);
	mm_put_u32(&w, ncls);
	mm_put_u32(&w, start->flags);
	mm_put_u32(&w, (uint32_t) start_len);
	mm_put_u32(&w, start->checksum);
	mm_put_u32(&w, (uint32_t) size);
	st[36] = (uint8_t) o.schedule;
	st[37] = (uint8_t) o.fit_intercept;
	w.len = 40;
	mm_put_u32(&w, o.batch);

	sc = (double *) (void *) (st + L.off_sc);
	W = (double *) (void *) (st + L.off_W);
	sc[SC_WSCALE] = 1.0;
	sc[SC_T] = o.s[OS_T];
	sc[SC_U] = o.s[OS_U];
	sc[SC_ETA] = o.s[OS_ETA];
	sc[SC_OPT_INIT] = o.s[OS_OPT_INIT];
	sc[SC_L1] = o.s[OS_L1];
	sc[SC_L2] = o.s[OS_L2];
	sc[SC_ETA0] = o.s[OS_ETA0];
	sc[SC_POWER_T] = o.s[OS_POWER_T];
	sc[SC_STEPS] = o.s[OS_STEPS];
	sc[SC_T_START] = o.s[OS_T];
	sc[SC_STEPS_START] = o.s[OS_STEPS];
	sc[SC_EPOCHS] = o.s[OS_EPOCHS];
	sc[SC_LOSS_PROD] = 1.0;
	memcpy(W, start->coef, 8 * L.P);
	memcpy(st + L.off_q, o.q, 8 * L.P);
	memcpy(st + L.off_g1, o.g1, 8 * L.P);
	memcpy(st + L.off_g2, o.g2, 8 * L.P);
	for (uint32_t j = 0; j < d; j++)
	{
		((double *) (void *) (st + L.off_mean))[j] = start->mean ? start->mean[j] : 0.0;
		((double *) (void *) (st + L.off_scale))[j] = start->mean ? 1.0 / start->scale[j] : 1.0;
	}
	memcpy(st + L.off_cw, o.cw, 8 * (size_t) ncls);
	for (uint32_t k = 0; k < ncls; k++)
		((double *) (void *) (st + L.off_cv))[k] =
			(start->flags & MM_FLAG_TEXT_LABELS) ? (double) k : start->class_values[k];
	memcpy(st + L.off_start, start_bytes, start_len);
	return MM_OK;
}

mm_status
mm_sgd_check(const uint8_t *st, size_t size, mm_err *err)
{
	uint32_t	f[11];
	layout		L;

	if (size < MM_SGD_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "sgd_epoch state is truncated");
	if (mm_load_u32(st) != MM_SGD_MAGIC || (st[4] | (st[5] << 8)) != MM_SGD_VERSION)
		return mm_fail(err, MM_ECORRUPT, "not an sgd_epoch state");
	read_hdr(st, f);
	if (f[0] < 1 || f[0] > MM_ALG_MAX || f[7] != size || f[8] < 1 || f[8] > MM_LR_MAX || f[9] > 1 ||
		f[10] < 1 || f[10] > 1000000 || st[38] != 0 || st[39] != 0)
		return mm_fail(err, MM_ECORRUPT, "sgd_epoch state header is invalid");
	for (int i = 44; i < MM_SGD_HDRSZ; i++)
		if (st[i] != 0)
			return mm_fail(err, MM_ECORRUPT, "sgd_epoch state has nonzero reserved bytes");
	if (!compute_layout(f[1], f[2], f[3], f[5], &L) || L.total != size)
		return mm_fail(err, MM_ECORRUPT, "sgd_epoch state size does not match its header");
	if (f[5] < MM_MODEL_HDRSZ || mm_load_u32(st + L.off_start + MM_MODEL_CRC_OFFSET) != f[6])
		return mm_fail(err, MM_ECORRUPT, "sgd_epoch state does not hold its start model");
	for (int i = 0; i < MM_SGD_NSCALARS; i++)
	{
		double		v;

		memcpy(&v, st + L.off_sc + 8 * i, 8);
		if (!mm_isfinite(v) || (i == SC_LOSS_PROD && !(v >= 1.0 && v <= LOSS_PROD_MAX)) ||
			(i == SC_ZSEL && v != 0 && v != 1))
			return mm_fail(err, MM_ECORRUPT, "sgd_epoch state has an invalid scalar");
	}
	{
		double		pend,
					l1;

		memcpy(&pend, st + L.off_sc + 8 * SC_PEND_C, 8);
		memcpy(&l1, st + L.off_sc + 8 * SC_L1, 8);
		if (pend != 0 && !(f[2] == 1 && f[10] == 1 && f[8] != MM_LR_ADAGRAD && f[8] != MM_LR_ADAM && l1 == 0))
			return mm_fail(err, MM_ECORRUPT, "sgd_epoch state has a pending update it cannot have");
	}
	return MM_OK;
}

mm_status
mm_sgd_validate(const uint8_t *st, size_t size, mm_err *err)
{
	uint32_t	f[11];
	layout		L;
	mm_status	rc;

	if ((rc = mm_sgd_check(st, size, err)) != MM_OK)
		return rc;
	read_hdr(st, f);
	compute_layout(f[1], f[2], f[3], f[5], &L);
	for (size_t i = 0; i < 2 * (size_t) f[1]; i++)
	{
		double		v;

		memcpy(&v, st + L.off_z + 8 * i, 8);
		if (!mm_isfinite(v))
			return mm_fail(err, MM_ECORRUPT, "sgd_epoch state has a non-finite row");
	}

	/*
	 * The sections fixed at the start (standardisation, class weights and values); the weights
	 * and the optimizer's sums may turn non-finite when training diverges, which the final
	 * function reports (22000).
	 */
	for (size_t o = L.off_mean; o < L.off_z; o += 8)
	{
		double		v;

		memcpy(&v, st + o, 8);
		if (!mm_isfinite(v))
			return mm_fail(err, MM_ECORRUPT, "sgd_epoch state has an invalid standardisation or class section");
	}
	return MM_OK;
}

void
mm_sgd_map(uint8_t *st, mm_sgd_view *v)
{
	uint32_t	f[11];
	layout		L;

	read_hdr(st, f);
	compute_layout(f[1], f[2], f[3], f[5], &L);
	v->algorithm = (int) f[0];
	v->d = f[1];
	v->K = f[2];
	v->ncls = f[3];
	v->schedule = (int) f[8];
	v->fit_intercept = (int) f[9];
	v->batch = f[10];
	v->plain = v->batch == 1 && v->schedule != MM_LR_ADAGRAD && v->schedule != MM_LR_ADAM;
	v->sc = (double *) (void *) (st + L.off_sc);
	v->fast = v->plain && v->K == 1 && v->sc[SC_L1] == 0;
	v->W = (double *) (void *) (st + L.off_W);
	v->gb = (double *) (void *) (st + L.off_gb);
	v->q = (double *) (void *) (st + L.off_q);
	v->g1 = (double *) (void *) (st + L.off_g1);
	v->g2 = (double *) (void *) (st + L.off_g2);
	v->mean = (double *) (void *) (st + L.off_mean);
	v->inv_scale = (double *) (void *) (st + L.off_scale);
	v->cw = (double *) (void *) (st + L.off_cw);
	v->cv = (double *) (void *) (st + L.off_cv);
	v->z = (double *) (void *) (st + L.off_z);
	v->pk = (double *) (void *) (st + L.off_pk);
	v->start = st + L.off_start;
	v->start_len = f[5];
	v->start_crc = f[6];
}

int32_t
mm_sgd_class_of(const mm_sgd_view *v, double y)
{
	if (v->ncls == 0)
		return 0;
	if (v->ncls <= 8)
	{
		/*
		 * A few distinct values: compare with each without a branch (a search's branches follow
		 * the labels, which a training set mixes at random)
		 */
		int32_t		hit = 0;

		for (uint32_t k = 0; k < v->ncls; k++)
			hit |= (int32_t) (v->cv[k] == y) * (int32_t) (k + 1);
		return hit - 1;
	}
	/* class values are sorted ascending (numeric labels) or 0..K-1 (text labels) */
	{
		uint32_t	lo = mm_lower_bound(v->cv, v->ncls, y);

		if (lo < v->ncls && v->cv[lo] == y)
			return (int32_t) lo;
	}
	return -1;
}

static inline double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double
mm_sgd_row_loss(int algorithm, const double *p, uint32_t K, int32_t cls, double y)
{
	switch (algorithm)
	{
		case MM_ALG_LINREG:
			return 0.5 * (y - p[0]) * (y - p[0]);
		case MM_ALG_LOGREG:
			return softplus(-(cls == 1 ? 1.0 : -1.0) * p[0]);
		case MM_ALG_SVM:
			{
				double		m = 1.0 - (cls == 1 ? 1.0 : -1.0) * p[0];

				return m > 0 ? m : 0.0;
			}
		case MM_ALG_MULTINOMIAL:
			{
				double		mx = p[0],
							s = 0;

				for (uint32_t k = 1; k < K; k++)
					if (p[k] > mx)
						mx = p[k];
				for (uint32_t k = 0; k < K; k++)
					s += exp(p[k] - mx);
				return mx + log(s) - p[cls];
			}
	}
	return 0;
}

/* The learning rate after t samples. */
static inline double
eta_at(const mm_sgd_view *v, double t)
{
	double	   *sc = v->sc;

	switch (v->schedule)
	{
		case MM_LR_OPTIMAL:
			return 1.0 / ((sc[SC_L1] + sc[SC_L2]) * (sc[SC_OPT_INIT] + t));
		case MM_LR_INVSCALING:
			return sc[SC_ETA0] / pow(t + 1.0, sc[SC_POWER_T]);
		case MM_LR_CONSTANT:
		case MM_LR_ADAPTIVE:
			return sc[SC_ETA];
		default:
			return sc[SC_ETA0];
	}
}

static inline double
current_eta(const mm_sgd_view *v)
{
	return eta_at(v, v->sc[SC_T]);
}

/*
 * The dot products of a step: returns w . z and, with two, zp . z in *b (zp: the pending row; the
 * term that corrects w . z for an update not yet applied to w). With std, z is computed from the
 * raw row x and stored (z = (x - mean) * inv_scale); without, x is a row standardised beforehand
 * and is z. Eight independent partial sums keep a dot product from being one chain of dependent
 * additions (a step's latency bounds an epoch). One body for every step, so the sums are the same
 * bits wherever the row comes from.
 */
static inline __attribute__((always_inline)) double
dots2(uint32_t d, const double *restrict x, const double *restrict mean, const double *restrict inv_scale,
	  const double *restrict w, const double *restrict zp, double *restrict zout, double *b, const int std,
	  const int two)
{
	mm_v2d		a0 = {0, 0},
				a1 = {0, 0},
				a2 = {0, 0},
				a3 = {0, 0},
				b0 = {0, 0},
				b1 = {0, 0},
				t,
				z0,
				z1,
				z2,
				z3;
	double		tail = 0,
				btail = 0;
	uint32_t	j = 0;

	for (; j + 8 <= d; j += 8)
	{
		z0 = *(const mm_v2d *) (x + j);
		z1 = *(const mm_v2d *) (x + j + 2);
		z2 = *(const mm_v2d *) (x + j + 4);
		z3 = *(const mm_v2d *) (x + j + 6);
		if (std)
		{
			z0 = (z0 - *(const mm_v2d *) (mean + j)) * *(const mm_v2d *) (inv_scale + j);
			z1 = (z1 - *(const mm_v2d *) (mean + j + 2)) * *(const mm_v2d *) (inv_scale + j + 2);
			z2 = (z2 - *(const mm_v2d *) (mean + j + 4)) * *(const mm_v2d *) (inv_scale + j + 4);
			z3 = (z3 - *(const mm_v2d *) (mean + j + 6)) * *(const mm_v2d *) (inv_scale + j + 6);
			*(mm_v2d *) (zout + j) = z0;
			*(mm_v2d *) (zout + j + 2) = z1;
			*(mm_v2d *) (zout + j + 4) = z2;
			*(mm_v2d *) (zout + j + 6) = z3;
		}
		a0 += *(const mm_v2d *) (w + j) * z0;
		a1 += *(const mm_v2d *) (w + j + 2) * z1;
		a2 += *(const mm_v2d *) (w + j + 4) * z2;
		a3 += *(const mm_v2d *) (w + j + 6) * z3;
		if (two)
		{
			b0 += *(const mm_v2d *) (zp + j) * z0 + *(const mm_v2d *) (zp + j + 4) * z2;
			b1 += *(const mm_v2d *) (zp + j + 2) * z1 + *(const mm_v2d *) (zp + j + 6) * z3;
		}
	}
	for (; j < d; j++)
	{
		double		zj = std ? (x[j] - mean[j]) * inv_scale[j] : x[j];

		if (std)
			zout[j] = zj;
		tail += w[j] * zj;
		if (two)
			btail += zp[j] * zj;
	}
	if (two)
	{
		t = b0 + b1;
		*b = (t[0] + t[1]) + btail;
	}
	t = (a0 + a1) + (a2 + a3);
	return (t[0] + t[1]) + tail;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define MM_SGD_WIDE 1
typedef double mm_v4d __attribute__((vector_size(32), aligned(8)));

/*
 * dots2 and axpy four lanes at a time (AVX2). The lanes are the two-lane version's pairs side by
 * side and the halves are added in its order, and there is no fused multiply-add: the results are
 * the same bits.
 */
static inline __attribute__((always_inline)) double
dots2_wide(uint32_t d, const double *restrict x, const double *restrict mean, const double *restrict inv_scale,
		   const double *restrict w, const double *restrict zp, double *restrict zout, double *b, const int std)
{
	mm_v4d		a01 = {0, 0, 0, 0},
				a23 = {0, 0, 0, 0},
				b01 = {0, 0, 0, 0},
				z01,
				z23;
	mm_v2d		t,
				u;
	double		tail = 0,
				btail = 0;
	uint32_t	j = 0;

	for (; j + 8 <= d; j += 8)
	{
		z01 = *(const mm_v4d *) (x + j);
		z23 = *(const mm_v4d *) (x + j + 4);
		if (std)
		{
			z01 = (z01 - *(const mm_v4d *) (mean + j)) * *(const mm_v4d *) (inv_scale + j);
			z23 = (z23 - *(const mm_v4d *) (mean + j + 4)) * *(const mm_v4d *) (inv_scale + j + 4);
			*(mm_v4d *) (zout + j) = z01;
			*(mm_v4d *) (zout + j + 4) = z23;
		}
		a01 += *(const mm_v4d *) (w + j) * z01;
		a23 += *(const mm_v4d *) (w + j + 4) * z23;
		b01 += *(const mm_v4d *) (zp + j) * z01 + *(const mm_v4d *) (zp + j + 4) * z23;
	}
	for (; j < d; j++)
	{
		double		zj = std ? (x[j] - mean[j]) * inv_scale[j] : x[j];

		if (std)
			zout[j] = zj;
		tail += w[j] * zj;
		btail += zp[j] * zj;
	}
	t = (mm_v2d) {b01[0], b01[1]} + (mm_v2d) {b01[2], b01[3]};
	*b = (t[0] + t[1]) + btail;
	t = (mm_v2d) {a01[0], a01[1]} + (mm_v2d) {a01[2], a01[3]};
	u = (mm_v2d) {a23[0], a23[1]} + (mm_v2d) {a23[2], a23[3]};
	t = t + u;
	return (t[0] + t[1]) + tail;
}

static inline __attribute__((always_inline)) void
axpy_wide(uint32_t d, double c, const double *restrict z, double *restrict w)
{
	mm_v4d		cc = {c, c, c, c};
	uint32_t	j = 0;

	for (; j + 4 <= d; j += 4)
		*(mm_v4d *) (w + j) += cc * *(const mm_v4d *) (z + j);
	for (; j < d; j++)
		w[j] += c * z[j];
}

#endif

/* w += c z over d elements. */
static inline void
axpy(uint32_t d, double c, const double *restrict z, double *restrict w)
{
	mm_v2d			cc = {c, c};
	uint32_t	j = 0;

	for (; j + 2 <= d; j += 2)
		*(mm_v2d *) (w + j) += cc * *(const mm_v2d *) (z + j);
	if (j < d)
		w[j] += c * z[j];
}

/* Scores of the standardised row v->z into v->pk; returns nothing. */
static inline void
scores(mm_sgd_view *v)
{
	uint32_t	d = v->d;
	double		ws = v->sc[SC_WSCALE];

	for (uint32_t k = 0; k < v->K; k++)
	{
		const double *w = v->W + (size_t) k * (d + 1);
		double		s0 = 0,
					s1 = 0;
		uint32_t	j = 0;

		for (; j + 2 <= d; j += 2)
		{
			s0 += w[j + 1] * v->z[j];
			s1 += w[j + 2] * v->z[j + 1];
		}
		if (j < d)
			s0 += w[j + 1] * v->z[j];
		v->pk[k] = ws * (s0 + s1) + w[0];
	}
}

/*
 * The log-losses have a log(f) term per row with 1 <= f <= classes. Rather than a log per row
 * (as costly as the rest of a step), the factors are multiplied into a scalar of the state and
 * its log is added to the loss sum whenever the product passes 2^500; readers of the loss add
 * the log of what is pending. Each product rounds once per factor, so the loss sum's absolute
 * error stays below 1e-13 per 1,000 rows.
 */
static inline void
defer_log(double *loss, double *prod, double f)
{
	double		p = *prod * f;

	if (p > LOSS_PROD_MAX)
	{
		*loss += log(p);
		p = 1.0;
	}
	*prod = p;
}

/* The loss sum of a pass including the pending factors. */
static inline double
loss_sum(const double *sc)
{
	return sc[SC_LOSS] + log(sc[SC_LOSS_PROD]);
}

/* Derivatives of the loss with respect to each output's score, into v->pk; returns the loss. */
static inline double
dloss(mm_sgd_view *v, int32_t cls, double y)
{
	double		p = v->pk[0],
				loss;

	switch (v->algorithm)
	{
		case MM_ALG_LINREG:
			loss = 0.5 * (y - p) * (y - p);
			v->pk[0] = p - y;
			return loss;
		case MM_ALG_LOGREG:
			{
				/* loss softplus(z) and its derivative sigmoid(z), z = -y p, from one exp */
				double		yy = cls == 1 ? 1.0 : -1.0;
				double		z = -yy * p;
				double		e = exp(-fabs(z));
				double		sig = z > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

				defer_log(&v->sc[SC_LOSS], &v->sc[SC_LOSS_PROD], 1.0 + e);
				v->pk[0] = -yy * sig;
				return z > 0 ? z : 0.0;
			}
		case MM_ALG_SVM:
			{
				double		yy = cls == 1 ? 1.0 : -1.0;

				loss = 1.0 - yy * p > 0 ? 1.0 - yy * p : 0.0;
				v->pk[0] = yy * p <= 1.0 ? -yy : 0.0;
				return loss;
			}
		default:
			{
				double		mx = v->pk[0],
							s = 0;

				for (uint32_t k = 1; k < v->K; k++)
					if (v->pk[k] > mx)
						mx = v->pk[k];
				for (uint32_t k = 0; k < v->K; k++)
					s += exp(v->pk[k] - mx);
				defer_log(&v->sc[SC_LOSS], &v->sc[SC_LOSS_PROD], s);
				loss = mx - v->pk[cls];
				for (uint32_t k = 0; k < v->K; k++)
					v->pk[k] = exp(v->pk[k] - mx) / s - (k == (uint32_t) cls ? 1.0 : 0.0);
				return loss;
			}
	}
}

/* Tsuruoka et al.'s cumulative L1 penalty on wscale * W (intercepts untouched). */
static void
apply_l1(mm_sgd_view *v)
{
	double		ws = v->sc[SC_WSCALE],
				u = v->sc[SC_U];
	uint32_t	d = v->d;

	for (uint32_t k = 0; k < v->K; k++)
	{
		double	   *w = v->W + (size_t) k * (d + 1);
		double	   *q = v->q + (size_t) k * (d + 1);

		for (uint32_t j = 1; j <= d; j++)
		{
			double		z = w[j];

			if (ws * w[j] > 0)
			{
				w[j] -= (u + q[j]) / ws;
				if (w[j] < 0)
					w[j] = 0;
			}
			else if (ws * w[j] < 0)
			{
				w[j] += (u - q[j]) / ws;
				if (w[j] > 0)
					w[j] = 0;
			}
			q[j] += ws * (w[j] - z);
		}
	}
}

static void
rescale(mm_sgd_view *v)
{
	double		ws = v->sc[SC_WSCALE];
	uint32_t	d = v->d;

	for (uint32_t k = 0; k < v->K; k++)
		for (uint32_t j = 1; j <= d; j++)
			v->W[(size_t) k * (d + 1) + j] *= ws;
	v->sc[SC_WSCALE] = 1.0;
}

/* Applies the accumulated mini-batch gradient of m rows. */
static void
apply_batch(mm_sgd_view *v, double m)
{
	double	   *sc = v->sc;
	uint32_t	d = v->d;
	size_t		P = (size_t) v->K * (d + 1);
	double		eta = current_eta(v);
	double		l2 = sc[SC_L2];
	double		bc1 = 0,
				bc2 = 0;

	if (v->sc[SC_WSCALE] != 1.0)
		rescale(v);
	sc[SC_STEPS] += 1;
	if (v->schedule == MM_LR_ADAM)
	{
		bc1 = 1.0 - pow(ADAM_B1, sc[SC_STEPS]);
		bc2 = 1.0 - pow(ADAM_B2, sc[SC_STEPS]);
	}
	for (size_t i = 0; i < P; i++)
	{
		int			is_b = (i % (d + 1)) == 0;
		double		g = v->gb[i] / m + (is_b ? 0.0 : l2 * v->W[i]);

		v->gb[i] = 0;
		if (is_b && !v->fit_intercept)
			continue;
		switch (v->schedule)
		{
			case MM_LR_ADAGRAD:
				v->g1[i] += g * g;
				v->W[i] -= sc[SC_ETA0] * g / (sqrt(v->g1[i]) + ADAGRAD_EPS);
				break;
			case MM_LR_ADAM:
				v->g1[i] = ADAM_B1 * v->g1[i] + (1 - ADAM_B1) * g;
				v->g2[i] = ADAM_B2 * v->g2[i] + (1 - ADAM_B2) * g * g;
				v->W[i] -= sc[SC_ETA0] * (v->g1[i] / bc1) / (sqrt(v->g2[i] / bc2) + ADAM_EPS);
				break;
			default:
				v->W[i] -= eta * g;
				break;
		}
	}
	sc[SC_T] += m;
	if (sc[SC_L1] > 0)
	{
		sc[SC_U] += eta * sc[SC_L1];
		apply_l1(v);
	}
	sc[SC_BATCH_FILL] = 0;
}

/* Applies a state's pending update to W (the pending row is the half of z the next row does not use). */
static void
flush_pending(mm_sgd_view *v)
{
	double		c = v->sc[SC_PEND_C];

	if (c != 0)
	{
		axpy(v->d, c, v->z + (v->sc[SC_ZSEL] != 0 ? 0 : v->d), v->W + 1);
		v->sc[SC_PEND_C] = 0;
	}
}

static void pend_step_row(mm_sgd_view *v, const double *x, int32_t cls, double y);

void
mm_sgd_step(mm_sgd_view *v, const double *x, int32_t cls, double y)
{
	double	   *sc = v->sc;
	uint32_t	d = v->d;
	double		cw = v->ncls ? v->cw[cls] : 1.0;

	if (v->fast)
	{
		pend_step_row(v, x, cls, y);
		return;
	}
	if (v->K == 1)
	{
		double		unused;

		v->pk[0] = sc[SC_WSCALE] * dots2(d, x, v->mean, v->inv_scale, v->W + 1, NULL, v->z, &unused, 1, 0) + v->W[0];
	}
	else
	{
		for (uint32_t j = 0; j < d; j++)
			v->z[j] = (x[j] - v->mean[j]) * v->inv_scale[j];
		scores(v);
	}
	{
		/* dloss may fold pending log factors into SC_LOSS: add its result after it returns */
		double		l = dloss(v, cls, y);

		sc[SC_LOSS] += l;
	}
	sc[SC_ROWS] += 1;

	if (v->plain)
	{
		double		eta = current_eta(v),
					inv_ws;

		if (sc[SC_L2] > 0)
		{
			double		f = 1.0 - eta * sc[SC_L2];

			sc[SC_WSCALE] *= f > 0 ? f : 0.0;
			if (sc[SC_WSCALE] < 1e-9)
			{
				if (sc[SC_WSCALE] == 0)
				{
					for (uint32_t k = 0; k < v->K; k++)
						memset(v->W + (size_t) k * (d + 1) + 1, 0, 8 * (size_t) d);
					sc[SC_WSCALE] = 1.0;
				}
				else
					rescale(v);
			}
		}
		/* a multiply by 1 / wscale in the update: its division is off the chain of dependent steps */
		inv_ws = 1.0 / sc[SC_WSCALE];
		for (uint32_t k = 0; k < v->K; k++)
		{
			double		g = v->pk[k] * cw;

			if (g != 0)
			{
				double	   *w = v->W + (size_t) k * (d + 1);
				double		upd = -eta * g;

				axpy(d, upd * inv_ws, v->z, w + 1);
				if (v->fit_intercept)
					w[0] += upd;
			}
		}
		if (sc[SC_L1] > 0)
		{
			sc[SC_U] += eta * sc[SC_L1];
			apply_l1(v);
		}
		sc[SC_T] += 1;
		sc[SC_STEPS] += 1;
		return;
	}
	for (uint32_t k = 0; k < v->K; k++)
	{
		double		g = v->pk[k] * cw;
		double	   *gb = v->gb + (size_t) k * (d + 1);

		gb[0] += g;
		for (uint32_t j = 0; j < d; j++)
			gb[j + 1] += g * v->z[j];
	}
	if (++sc[SC_BATCH_FILL] >= v->batch)
		apply_batch(v, sc[SC_BATCH_FILL]);
}

int
mm_sgd_std_ok(const mm_sgd_view *v)
{
	return v->fast;
}

void
mm_sgd_standardise(const mm_sgd_view *v, double *x)
{
	for (uint32_t j = 0; j < v->d; j++)
		x[j] = (x[j] - v->mean[j]) * v->inv_scale[j];
}

/*
 * Pending updates (plain SGD of one output without L1; see mm_sgd.h). A step takes its score as
 * wscale (w . z + c (zp . z)) + b, where c zp is the previous row's update not yet in w, then
 * applies that update, then computes its own: the dot products no longer wait for the previous
 * row's update, and the chain from one row's score to the next is a few scalar operations. The
 * same arithmetic runs row by row from the state (mm_sgd_step) and over rows standardised in
 * memory with the scalars in registers (mm_sgd_steps_std).
 */
typedef struct pend_consts
{
	int			algorithm;
	int			schedule;
	int			fit_intercept;
	int			classes;
	double		l2;
	double		l1l2;
	double		opt_init;
	double		eta0;
	double		power_t;
	double		eta_fixed;
	double		cw0;
	double		cw1;
} pend_consts;

typedef struct pend_regs
{
	double		ws;				/* SC_WSCALE */
	double		t;				/* SC_T */
	double		steps;			/* SC_STEPS */
	double		rows;			/* SC_ROWS */
	double		loss;			/* SC_LOSS */
	double		prod;			/* SC_LOSS_PROD */
	double		pend;			/* SC_PEND_C */
	double		b;				/* the intercept, W[0] */
} pend_regs;

static inline __attribute__((always_inline)) void
pend_load(const mm_sgd_view *v, pend_consts *k, pend_regs *r)
{
	const double *sc = v->sc;

	k->algorithm = v->algorithm;
	k->schedule = v->schedule;
	k->fit_intercept = v->fit_intercept;
	k->classes = v->ncls != 0;
	k->l2 = sc[SC_L2];
	k->l1l2 = sc[SC_L1] + sc[SC_L2];
	k->opt_init = sc[SC_OPT_INIT];
	k->eta0 = sc[SC_ETA0];
	k->power_t = sc[SC_POWER_T];
	k->eta_fixed = sc[SC_ETA];
	k->cw0 = v->ncls > 0 ? v->cw[0] : 1.0;
	k->cw1 = v->ncls > 1 ? v->cw[1] : 1.0;
	r->ws = sc[SC_WSCALE];
	r->t = sc[SC_T];
	r->steps = sc[SC_STEPS];
	r->rows = sc[SC_ROWS];
	r->loss = sc[SC_LOSS];
	r->prod = sc[SC_LOSS_PROD];
	r->pend = sc[SC_PEND_C];
	r->b = v->W[0];
}

static inline __attribute__((always_inline)) void
pend_store(mm_sgd_view *v, const pend_regs *r)
{
	double	   *sc = v->sc;

	sc[SC_WSCALE] = r->ws;
	sc[SC_T] = r->t;
	sc[SC_STEPS] = r->steps;
	sc[SC_ROWS] = r->rows;
	sc[SC_LOSS] = r->loss;
	sc[SC_LOSS_PROD] = r->prod;
	sc[SC_PEND_C] = r->pend;
	v->W[0] = r->b;
}

/*
 * A step after its score p (the pending update already applied to w): the loss, the
 * derivative, the learning rate, L2 shrinkage and the intercept. Returns this row's update
 * coefficient, to be applied to w with this row by the next step (0: none).
 */
static inline __attribute__((always_inline)) double
pend_finish_step(const pend_consts *k, pend_regs *r, double *w, uint32_t d, double p, int32_t c, double y)
{
	double		pk,
				eta,
				g,
				pend = 0;

	switch (k->algorithm)
	{
		case MM_ALG_LINREG:
			{
				double		l = 0.5 * (y - p) * (y - p);

				pk = p - y;
				r->loss += l;
				break;
			}
		case MM_ALG_LOGREG:
			{
				/* loss softplus(zz) and its derivative sigmoid(zz), zz = -y p, from one exp */
				double		yy = c == 1 ? 1.0 : -1.0;
				double		zz = -yy * p;
				double		e = exp(-fabs(zz));
				double		sig = zz > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
				double		l;

				defer_log(&r->loss, &r->prod, 1.0 + e);
				pk = -yy * sig;
				l = zz > 0 ? zz : 0.0;
				r->loss += l;
				break;
			}
		default:				/* MM_ALG_SVM */
			{
				double		yy = c == 1 ? 1.0 : -1.0;
				double		l = 1.0 - yy * p > 0 ? 1.0 - yy * p : 0.0;

				pk = yy * p <= 1.0 ? -yy : 0.0;
				r->loss += l;
				break;
			}
	}
	r->rows += 1;
	switch (k->schedule)		/* eta_at, term for term */
	{
		case MM_LR_OPTIMAL:
			eta = 1.0 / (k->l1l2 * (k->opt_init + r->t));
			break;
		case MM_LR_INVSCALING:
			eta = k->eta0 / pow(r->t + 1.0, k->power_t);
			break;
		default:				/* constant, adaptive */
			eta = k->eta_fixed;
			break;
	}
	if (k->l2 > 0)
	{
		double		f = 1.0 - eta * k->l2;

		r->ws *= f > 0 ? f : 0.0;
		if (r->ws < 1e-9)
		{
			/* fold the scale into w (no update is pending at this point) */
			if (r->ws == 0)
				memset(w, 0, 8 * (size_t) d);
			else
				for (uint32_t j = 0; j < d; j++)
					w[j] *= r->ws;
			r->ws = 1.0;
		}
	}
	/* one output: two classes at most */
	g = pk * (k->classes ? (c == 0 ? k->cw0 : k->cw1) : 1.0);
	if (g != 0)
	{
		double		upd = -eta * g;

		pend = upd * (1.0 / r->ws);
		if (k->fit_intercept)
			r->b += upd;
	}
	r->t += 1;
	r->steps += 1;
	return pend;
}

/*
 * One step with a pending update, the same arithmetic wherever the rows come from: the score from
 * the two dot products (dots2, on a raw row x standardised into zout with std, or on a
 * standardised row x), the pending update applied to w, then the rest (pend_finish_step).
 * Returns the row's own update coefficient.
 */
static inline __attribute__((always_inline)) double
pend_step(const pend_consts *k, pend_regs *r, const double *x, const double *mean, const double *inv_scale,
		  double *w, const double *zp, double *zout, uint32_t d, int32_t c, double y, const int std, const int wide)
{
	double		a,
				b,
				p;

#ifdef MM_SGD_WIDE
	if (wide)
		a = dots2_wide(d, x, mean, inv_scale, w, zp, zout, &b, std);
	else
#endif
		a = dots2(d, x, mean, inv_scale, w, zp, zout, &b, std, 1);
	p = r->ws * (a + r->pend * b) + r->b;
	if (r->pend != 0)
	{
#ifdef MM_SGD_WIDE
		if (wide)
			axpy_wide(d, r->pend, zp, w);
		else
#endif
			axpy(d, r->pend, zp, w);
	}
	return pend_finish_step(k, r, w, d, p, c, y);
}

/* mm_sgd_step for a pass with pending updates: the row goes to the half of z that is not pending. */
static inline __attribute__((always_inline)) void
pend_step_row_impl(mm_sgd_view *v, const double *x, int32_t cls, double y, int wide)
{
	pend_consts k;
	pend_regs	r;
	uint32_t	d = v->d;
	double	   *w = v->W + 1;
	int			sel = v->sc[SC_ZSEL] != 0;
	double	   *z = v->z + (sel ? d : 0);
	const double *zp = v->z + (sel ? 0 : d);

	pend_load(v, &k, &r);
	r.pend = pend_step(&k, &r, x, v->mean, v->inv_scale, w, zp, z, d, cls, y, 1, wide);
	if (r.pend != 0)
		v->sc[SC_ZSEL] = !sel;
	pend_store(v, &r);
}

static void
pend_step_row_narrow(mm_sgd_view *v, const double *x, int32_t cls, double y)
{
	pend_step_row_impl(v, x, cls, y, 0);
}

#ifdef MM_SGD_WIDE
__attribute__((target("avx2")))
static void
pend_step_row_wide(mm_sgd_view *v, const double *x, int32_t cls, double y)
{
	pend_step_row_impl(v, x, cls, y, 1);
}
#endif

#ifdef MM_SGD_WIDE
static int	use_wide(void);
#endif

static void
pend_step_row(mm_sgd_view *v, const double *x, int32_t cls, double y)
{
#ifdef MM_SGD_WIDE
	if (use_wide())
	{
		pend_step_row_wide(v, x, cls, y);
		return;
	}
#endif
	pend_step_row_narrow(v, x, cls, y);
}

/*
 * Shuffled rows are random accesses: the loops over rows in memory fetch a row FETCH_AHEAD rows
 * before its step, the cache lines it spans and the one label the step reads (the class for
 * classifiers, the target for regression), non-temporally (each is used once a pass).
 */
#define FETCH_AHEAD 32

static inline void
fetch_row(const double *X, uint32_t d, const double *y, const int32_t *cls, int classes, uint32_t row)
{
	uintptr_t	first = (uintptr_t) (X + (size_t) row * d) & ~(uintptr_t) 63,
				last = (uintptr_t) (X + (size_t) row * d + d - 1);

	for (uintptr_t line = first; line <= last; line += 64)
		__builtin_prefetch((const void *) line, 0, 0);
	if (classes)
		__builtin_prefetch(&cls[row], 0, 0);
	else
		__builtin_prefetch(&y[row], 0, 0);
}

void
mm_sgd_steps(mm_sgd_view *v, const double *X, const double *y, const int32_t *cls,
			 const uint32_t *idx, uint32_t n, uint32_t avail)
{
	uint32_t	d = v->d;
	int			classes = v->ncls != 0;

	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	row = idx[i];

		if (i + FETCH_AHEAD < avail)
			fetch_row(X, d, y, cls, classes, idx[i + FETCH_AHEAD]);
		/* a step reads the class or the target, not both: the other is not loaded */
		mm_sgd_step(v, X + (size_t) row * d, classes ? cls[row] : 0, classes ? 0.0 : y[row]);
	}
}

/*
 * The loop of mm_sgd_steps_std. The pending row is a row of Z (it stays where it is), or the
 * state's at the start; at the end the state gets a copy of it, so it stands on its own.
 */
static inline __attribute__((always_inline)) void
pend_steps_std(mm_sgd_view *v, const double *Z, const double *y, const int32_t *cls,
			   const uint32_t *idx, uint32_t n, uint32_t avail, int wide)
{
	pend_consts k;
	pend_regs	r;
	uint32_t	d = v->d;
	double	   *w = v->W + 1;
	int			sel = v->sc[SC_ZSEL] != 0;
	double	   *zstate = v->z + (sel ? 0 : d);
	const double *zp = zstate;

	pend_load(v, &k, &r);
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	row = idx[i];
		const double *z = Z + (size_t) row * d;

		if (i + FETCH_AHEAD < avail)
			fetch_row(Z, d, y, cls, k.classes, idx[i + FETCH_AHEAD]);
		r.pend = pend_step(&k, &r, z, NULL, NULL, w, zp, NULL, d, k.classes ? cls[row] : 0,
						   k.classes ? 0.0 : y[row], 0, wide);
		if (r.pend != 0)
			zp = z;
	}
	if (r.pend != 0 && zp != zstate)
		memcpy(zstate, zp, sizeof(double) * d);
	pend_store(v, &r);
}

static void
pend_steps_std_narrow(mm_sgd_view *v, const double *Z, const double *y, const int32_t *cls,
					  const uint32_t *idx, uint32_t n, uint32_t avail)
{
	pend_steps_std(v, Z, y, cls, idx, n, avail, 0);
}

#ifdef MM_SGD_WIDE
__attribute__((target("avx2")))
static void
pend_steps_std_wide(mm_sgd_view *v, const double *Z, const double *y, const int32_t *cls,
					const uint32_t *idx, uint32_t n, uint32_t avail)
{
	pend_steps_std(v, Z, y, cls, idx, n, avail, 1);
}
#endif

int			mm_sgd_wide = -1;

#ifdef MM_SGD_WIDE
/* Whether to run the four-lane forms: by the CPU unless a test chose. */
static int
use_wide(void)
{
	if (mm_sgd_wide < 0)
		mm_sgd_wide = __builtin_cpu_supports("avx2") ? 1 : 0;
	return mm_sgd_wide;
}
#endif

void
mm_sgd_steps_std(mm_sgd_view *v, const double *Z, const double *y, const int32_t *cls,
				 const uint32_t *idx, uint32_t n, uint32_t avail)
{
#ifdef MM_SGD_WIDE
	if (use_wide())
	{
		pend_steps_std_wide(v, Z, y, cls, idx, n, avail);
		return;
	}
#endif
	pend_steps_std_narrow(v, Z, y, cls, idx, n, avail);
}

mm_status
mm_sgd_combine(mm_sgd_view *a, const uint8_t *src, size_t srcsize, mm_err *err)
{
	mm_status	rc;
	uint32_t	f[11];
	layout		L;
	double		sb[MM_SGD_NSCALARS];
	double		na,
				nb,
				fa,
				fb,
				wsb;
	size_t		P;

	if ((rc = mm_sgd_validate(src, srcsize, err)) != MM_OK)
		return rc;
	read_hdr(src, f);
	if ((int) f[0] != a->algorithm || f[1] != a->d || f[2] != a->K || f[3] != a->ncls ||
		f[5] != a->start_len || f[6] != a->start_crc || (int) f[8] != a->schedule || f[10] != a->batch)
		return mm_fail(err, MM_EMISMATCH, "cannot combine sgd_epoch states that started from different models");
	compute_layout(f[1], f[2], f[3], f[5], &L);
	P = L.P;
	memcpy(sb, src + L.off_sc, sizeof(sb));
	na = a->sc[SC_ROWS];
	nb = sb[SC_ROWS];
	if (nb == 0)
		return MM_OK;
	fa = na / (na + nb);
	fb = nb / (na + nb);
	flush_pending(a);
	if (a->sc[SC_WSCALE] != 1.0)
		rescale(a);
	wsb = sb[SC_WSCALE];
	for (size_t i = 0; i < P; i++)
	{
		double		w,
					gb,
					q,
					g1,
					g2;
		int			is_b = (i % (a->d + 1)) == 0;

		memcpy(&w, src + L.off_W + 8 * i, 8);
		memcpy(&gb, src + L.off_gb + 8 * i, 8);
		memcpy(&q, src + L.off_q + 8 * i, 8);
		memcpy(&g1, src + L.off_g1 + 8 * i, 8);
		memcpy(&g2, src + L.off_g2 + 8 * i, 8);
		if (sb[SC_PEND_C] != 0 && !is_b)
		{
			/* src's pending update (one output: i is the feature index + 1) */
			double		zp;

			memcpy(&zp, src + L.off_z + 8 * ((sb[SC_ZSEL] != 0 ? 0 : a->d) + i - 1), 8);
			w += sb[SC_PEND_C] * zp;
		}
		a->W[i] = fa * a->W[i] + fb * (is_b ? w : wsb * w);
		a->gb[i] += gb;
		a->q[i] = fa * a->q[i] + fb * q;
		a->g1[i] = fa * a->g1[i] + fb * g1;
		a->g2[i] = fa * a->g2[i] + fb * g2;
	}
	a->sc[SC_U] = fa * a->sc[SC_U] + fb * sb[SC_U];
	a->sc[SC_ETA] = fa * a->sc[SC_ETA] + fb * sb[SC_ETA];
	a->sc[SC_T] += sb[SC_T] - sb[SC_T_START];
	a->sc[SC_STEPS] += sb[SC_STEPS] - sb[SC_STEPS_START];
	a->sc[SC_LOSS] += loss_sum(sb);
	a->sc[SC_ROWS] += nb;
	a->sc[SC_BATCH_FILL] += sb[SC_BATCH_FILL];
	if (a->sc[SC_BATCH_FILL] >= a->batch)
		apply_batch(a, a->sc[SC_BATCH_FILL]);
	return MM_OK;
}

mm_status
mm_sgd_finish(const uint8_t *st, size_t size, const mm_alloc *a, mm_model **out, mm_err *err)
{
	mm_status	rc;
	uint8_t    *copy;
	uint8_t    *raw;
	mm_sgd_view v;
	mm_model   *m;
	double		s[OPT_NSCALARS];
	char		meta[256];
	double		mean_loss;

	if ((rc = mm_sgd_validate(st, size, err)) != MM_OK)
		return rc;
	/* work on an aligned copy so the state stays unchanged (final functions may run twice) */
	raw = a->alloc(a->ctx, size + 16);
	if (!raw)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	copy = raw + ((8 - ((uintptr_t) raw + MM_SGD_HDRSZ) % 8) % 8);
	memcpy(copy, st, size);
	mm_sgd_map(copy, &v);
	flush_pending(&v);
	if (v.sc[SC_BATCH_FILL] > 0)
		apply_batch(&v, v.sc[SC_BATCH_FILL]);
	if (v.sc[SC_WSCALE] != 1.0)
		rescale(&v);
	if ((rc = mm_model_decode(v.start, v.start_len, a, &m, err)) != MM_OK)
		return rc == MM_ENOMEM ? rc : mm_fail(err, MM_ECORRUPT, "sgd_epoch state holds an invalid start model: %s", err->msg);
	for (size_t i = 0; i < (size_t) v.K * (v.d + 1); i++)
		if (!mm_isfinite(v.W[i]))
			return mm_fail(err, MM_EDATA, "training diverged: a weight is no longer finite");
	memcpy(m->coef, v.W, 8 * (size_t) v.K * (v.d + 1));
	mean_loss = v.sc[SC_ROWS] > 0 ? loss_sum(v.sc) / v.sc[SC_ROWS] : 0.0;
	memset(s, 0, sizeof(s));
	s[OS_T] = v.sc[SC_T];
	s[OS_U] = v.sc[SC_U];
	s[OS_ETA] = v.sc[SC_ETA];
	s[OS_OPT_INIT] = v.sc[SC_OPT_INIT];
	s[OS_L1] = v.sc[SC_L1];
	s[OS_L2] = v.sc[SC_L2];
	s[OS_ETA0] = v.sc[SC_ETA0];
	s[OS_POWER_T] = v.sc[SC_POWER_T];
	s[OS_LOSS] = mean_loss;
	s[OS_ROWS] = v.sc[SC_ROWS];
	s[OS_EPOCHS] = v.sc[SC_EPOCHS] + 1;
	s[OS_STEPS] = v.sc[SC_STEPS];
	m->optim = build_optim(a, v.ncls, (size_t) v.K * (v.d + 1), v.schedule, v.fit_intercept, v.batch, s,
						   v.cw, v.q, v.g1, v.g2, &m->optim_len);
	if (!m->optim)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	snprintf(meta, sizeof(meta), "{\"solver\": \"sgd\", \"epochs\": %.0f, \"epoch_loss\": %.17g, \"epoch_rows\": %.0f, \"samples_seen\": %.0f}",
			 s[OS_EPOCHS], mean_loss, s[OS_ROWS], s[OS_T]);
	m->meta = a->alloc(a->ctx, strlen(meta) + 1);
	if (!m->meta)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	strcpy(m->meta, meta);
	mm_model_fold(m);
	*out = m;
	return MM_OK;
}

mm_status
mm_sgd_progress_of(const mm_model *m, mm_sgd_progress *p, mm_err *err)
{
	optim_sec	o;
	mm_status	rc;

	if ((rc = parse_optim(m, &o, err)) != MM_OK)
		return rc;
	p->epoch_loss = o.s[OS_LOSS];
	p->rows = o.s[OS_ROWS];
	p->epochs = o.s[OS_EPOCHS];
	p->eta = o.s[OS_ETA];
	p->t = o.s[OS_T];
	return MM_OK;
}

mm_status
mm_sgd_set_eta(mm_model *m, double eta, const mm_alloc *a, mm_err *err)
{
	optim_sec	o;
	mm_status	rc;
	uint8_t    *copy;
	mm_writer	w;

	if ((rc = parse_optim(m, &o, err)) != MM_OK)
		return rc;
	copy = a->alloc(a->ctx, m->optim_len);
	if (!copy)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	memcpy(copy, m->optim, m->optim_len);
	w.buf = copy;
	w.cap = m->optim_len;
	w.len = 16 + 8 * OS_ETA;
	mm_put_f64(&w, eta);
	m->optim = copy;
	return MM_OK;
}

void
mm_sgd_strip(mm_model *m)
{
	m->optim = NULL;
	m->optim_len = 0;
}
