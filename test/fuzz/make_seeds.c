/*
 * make_seeds.c: writes the seed corpus for fuzz_decode into a directory.
 *
 *   sh test/fuzz/make_seeds.sh       (compiles this file with the core and writes test/fuzz/seeds)
 *
 * Valid encoded models of every algorithm (with and without the optional sections), valid
 * least-squares states (folded rows and a partial buffer), SGD pass states (plain, mini-batch
 * Adam, multinomial), and inputs that once slipped through the decoder (regressions).
 */
#include "mm_linreg.h"
#include "mm_model.h"
#include "mm_prep.h"
#include "mm_sgd.h"

#include <math.h>
#include "mm_metrics.h"
#include "mm_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *outdir;

static void
write_file(const char *name, const uint8_t *p, size_t n)
{
	char		path[1024];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
	{
		fprintf(stderr, "make_seeds: cannot write %s\n", path);
		exit(1);
	}
}

static uint8_t *
encode(const mm_model *m, size_t *n)
{
	mm_err		err = {0};
	uint8_t    *buf;

	*n = mm_model_encoded_size(m, &err);
	buf = *n ? calloc(1, *n) : NULL;
	if (!buf || mm_model_encode(m, buf, *n, &err) != MM_OK)
	{
		fprintf(stderr, "make_seeds: encode failed: %s\n", err.msg);
		exit(1);
	}
	return buf;
}

static void
write_model(const char *name, const mm_model *m)
{
	size_t		n;
	uint8_t    *buf = encode(m, &n);

	write_file(name, buf, n);
}

static void
reseal(uint8_t *buf, size_t len)
{
	uint32_t	crc;

	crc = mm_crc32c(0, buf, MM_MODEL_CRC_OFFSET);
	crc = mm_crc32c(crc, buf + MM_MODEL_HDRSZ, len - MM_MODEL_HDRSZ);
	for (int i = 0; i < 4; i++)
		buf[MM_MODEL_CRC_OFFSET + i] = (uint8_t) (crc >> (8 * i));
}

static void
models(void)
{
	static double c_lin[] = {1.5, -2.0, 0.25};
	static double c_lin3[] = {0.5, 3.0, -1.0, 7.125};
	static double mean3[] = {10.0, -1.0, 0.5};
	static double scale3[] = {2.0, 1e-3, 1e6};
	static char *feat3[] = {"age", "", "income"};
	static char *feat2[] = {"x1", "x2"};
	static double c_log[] = {0.5, 1.0, -1.0};
	static char *cls_text[] = {"no", "yes"};
	static double vals01[] = {0, 1};
	static char *cls01[] = {"0", "1"};
	static double c_mn[] = {0.1, 1.0, -1.0, 0.2, -0.5, 0.5, -0.3, 0.0, 2.0};
	static char *cls_iris[] = {"setosa", "versicolor", "virginica"};
	static double c_svm[] = {0.75, -2.5, 1.0};
	static double valspm[] = {-1, 1};
	static char *clspm[] = {"-1", "1"};
	static const uint8_t blob[] = {1, 2, 3, 4, 5, 6, 7, 8};
	mm_model	m;

	m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 2, .n_outputs = 1, .coef = c_lin};
	write_model("linreg_bare.mmdl", &m);
	m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 3, .n_outputs = 1, .coef = c_lin3,
		.mean = mean3, .scale = scale3, .feature_names = feat3, .inputs = blob, .inputs_len = 8,
		.baseline = blob, .baseline_len = 5, .meta = "{\"solver\": \"normal_equations\"}"};
	write_model("linreg_full.mmdl", &m);
	m = (mm_model) {.algorithm = MM_ALG_LOGREG, .flags = MM_FLAG_TEXT_LABELS, .n_features = 2,
		.n_outputs = 1, .n_classes = 2, .coef = c_log, .class_names = cls_text, .feature_names = feat2};
	write_model("logreg_text.mmdl", &m);
	m = (mm_model) {.algorithm = MM_ALG_LOGREG, .n_features = 2, .n_outputs = 1, .n_classes = 2,
		.coef = c_log, .class_values = vals01, .class_names = cls01, .mean = mean3, .scale = scale3,
	.meta = ""};
	write_model("logreg_numeric_scaled.mmdl", &m);
	m = (mm_model) {.algorithm = MM_ALG_MULTINOMIAL, .flags = MM_FLAG_TEXT_LABELS, .n_features = 2,
		.n_outputs = 3, .n_classes = 3, .coef = c_mn, .class_names = cls_iris, .feature_names = feat2,
	.meta = "{\"classes\": 3}", .baseline = blob, .baseline_len = 8};
	write_model("multinomial_k3.mmdl", &m);
	m = (mm_model) {.algorithm = MM_ALG_SVM, .n_features = 2, .n_outputs = 1, .n_classes = 2,
	.coef = c_svm, .class_values = valspm, .class_names = clspm};
	write_model("svm.mmdl", &m);
	/* inference sections: t with an aliased (NaN) term, and z conditional on a penalty */
	{
		static double se3[] = {0.5, 0.25, NAN, 0.125};
		static double se_log[] = {1.5, 0.75, 0.0};

		m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 3, .n_outputs = 1, .coef = c_lin3,
			.feature_names = feat3, .meta = "{\"statistics\": {\"n\": 20}}", .std_error = se3,
		.infer_kind = MM_INFER_T, .infer_df = 16};
		write_model("linreg_inference_t.mmdl", &m);
		m = (mm_model) {.algorithm = MM_ALG_LOGREG, .n_features = 2, .n_outputs = 1, .n_classes = 2,
			.coef = c_log, .class_values = vals01, .class_names = cls01, .mean = mean3, .scale = scale3,
		.std_error = se_log, .infer_kind = MM_INFER_Z, .infer_flags = MM_INFER_PENALISED};
		write_model("logreg_inference_z.mmdl", &m);
	}

	/* preprocessing sections: full one-hot (version 1) and reference levels (version 2) */
	{
		static char *cats_g[] = {"east", "north", "south", "west"};
		static char *cats_b[] = {"false", "true"};
		static double c6[] = {4.75, 0.75, -1.5, -4.0, -0.75, -0.9};
		static double c8[] = {4.75, 0.75, 0.5, -1.5, -4.0, -0.75, 0.2, -0.9};
		static char *feat6[] = {"x", "g=north", "g=south", "g=west", "b=true"};
		static char *feat8[] = {"x", "g=east", "g=north", "g=south", "g=west", "b=false", "b=true"};
		mm_input	in[3] = {
			{.name = "x", .kind = MM_IN_NUMBER, .width = 1, .fill = NAN, .ref = -1},
			{.name = "g", .kind = MM_IN_CATEGORY, .width = 4, .ncats = 4, .cats = cats_g, .ref = -1},
			{.name = "b", .kind = MM_IN_CATEGORY, .width = 2, .ncats = 2, .cats = cats_b, .ref = -1}};
		mm_prep		p = {3, in};
		mm_err		err = {0};
		uint8_t		pv1[256],
					pv2[256];
		size_t		n1 = mm_prep_encoded_size(&p),
					n2;

		if (n1 > sizeof(pv1) || mm_prep_encode(&p, pv1, n1, &err) != MM_OK)
		{
			fprintf(stderr, "make_seeds: preprocessing encode failed: %s\n", err.msg);
			exit(1);
		}
		m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 7, .n_outputs = 1, .coef = c8,
		.feature_names = feat8, .inputs = pv1, .inputs_len = n1};
		write_model("linreg_onehot_v1.mmdl", &m);
		in[1].ref = 0;
		in[1].width = 3;
		in[2].ref = 0;
		in[2].width = 1;
		n2 = mm_prep_encoded_size(&p);
		if (n2 > sizeof(pv2) || mm_prep_encode(&p, pv2, n2, &err) != MM_OK)
		{
			fprintf(stderr, "make_seeds: preprocessing encode failed: %s\n", err.msg);
			exit(1);
		}
		m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 5, .n_outputs = 1, .coef = c6,
		.feature_names = feat6, .inputs = pv2, .inputs_len = n2};
		write_model("linreg_reference_v2.mmdl", &m);
	}

	/* regression: a section relabelled out of order with the checksum fixed up (decoded before, re-encoded differently) */
	m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 2, .n_outputs = 1, .coef = c_lin,
	.baseline = blob, .baseline_len = 8, .meta = "{}"};
	{
		size_t		n;
		uint8_t    *buf = encode(&m, &n);

		buf[n - 2 - 8] = MM_SEC_INPUTS;	/* meta (last, 2 bytes) becomes inputs, after the baseline */
		reseal(buf, n);
		write_file("regress_section_order.mmdl", buf, n);
	}
	/* a signed model: the signature section (key and signature bytes; the decoder does not verify) */
	m = (mm_model) {.algorithm = MM_ALG_LOGREG, .flags = MM_FLAG_TEXT_LABELS, .n_features = 2,
		.n_outputs = 1, .n_classes = 2, .coef = c_log, .class_names = cls_text, .feature_names = feat2,
	.meta = "{}"};
	{
		size_t		n;
		uint8_t    *buf = encode(&m, &n);
		uint8_t    *sbuf = calloc(1, n + 8 + MM_SIG_SECTION_LEN);
		uint8_t		key[MM_SIG_PUBKEY_LEN],
					sig[MM_SIG_LEN];

		if (!sbuf)
			exit(1);
		for (int i = 0; i < MM_SIG_PUBKEY_LEN; i++)
			key[i] = (uint8_t) (3 * i + 1);
		for (int i = 0; i < MM_SIG_LEN; i++)
			sig[i] = (uint8_t) (200 - i);
		mm_model_attach_signature(buf, n, key, sig, sbuf);
		write_file("logreg_signed.mmdl", sbuf, n + 8 + MM_SIG_SECTION_LEN);
	}
	/* regression: a denormal scale makes the folded coefficients overflow */
	{
		static double mean1[] = {0.0, 0.0};
		static double scale1[] = {1.0, 4.9e-324};
		size_t		n;
		uint8_t    *buf;

		m = (mm_model) {.algorithm = MM_ALG_LINREG, .n_features = 2, .n_outputs = 1, .coef = c_lin,
		.mean = mean1, .scale = scale1};
		scale1[1] = 1.0;
		buf = encode(&m, &n);
		/* the scale's last f64 sits right at the end of the scaler section, the model's end */
		memcpy(buf + n - 8, &(double) {4.9e-324}, 8);
		reseal(buf, n);
		write_file("regress_denormal_scale.mmdl", buf, n);
	}
}

static void
write_state(const char *name, uint32_t d, uint32_t cap, double l2, uint32_t flags, int rows, int offset_rows)
{
	size_t		size = mm_ls_state_size(d, cap);
	uint8_t    *base = calloc(1, size + 8);
	uint8_t    *st = base + 4;
	mm_ls_view	v;
	double		x[16];
	uint64_t	r = 12345;

	mm_ls_init(st, size, d, cap, l2, flags);
	mm_ls_map(st, &v);
	for (int i = 0; i < rows; i++)
	{
		double		y = 1.0 + offset_rows;

		for (uint32_t j = 0; j < d; j++)
		{
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			x[j] = (double) (r >> 11) / 9007199254740992.0 * (j + 1);
			y += (j % 2 ? -1.0 : 2.0) * x[j];
		}
		mm_ls_add(st, &v, x, y);
	}
	write_file(name, st, size);
}

static void *
seed_alloc(void *ctx, size_t n)
{
	(void) ctx;
	return calloc(1, n);
}

/* An SGD pass state after a few rows, as the sgd_epoch aggregate keeps it (4 bytes past 8). */
static void
write_sgd_state(const char *name, int algorithm, uint32_t d, uint32_t ncls, int schedule, uint32_t batch,
				double l1, int rows)
{
	mm_alloc	a = {seed_alloc, NULL};
	mm_err		err = {0};
	mm_sgd_params p = {0};
	double		cv[3] = {0, 1, 2},
				mean[8],
				scale[8],
				x[8];
	char	   *cn[3] = {"a", "b", "c"};
	mm_model   *m,
			   *dm;
	uint8_t    *mb,
			   *raw,
			   *st;
	size_t		len,
				size;
	mm_sgd_view v;
	uint64_t	r = 777;

	for (uint32_t j = 0; j < d; j++)
	{
		mean[j] = 0.1 * j;
		scale[j] = 1.0 + j;
	}
	p.algorithm = algorithm;
	p.n_features = d;
	p.n_classes = ncls;
	p.schedule = schedule;
	p.fit_intercept = 1;
	p.batch_size = batch;
	p.l1 = l1;
	p.l2 = 1e-4;
	p.eta0 = 0.01;
	p.power_t = 0.5;
	p.class_values = ncls ? cv : NULL;
	p.class_names = ncls ? cn : NULL;
	p.mean = mean;
	p.scale = scale;
	if (mm_sgd_init_model(&p, &a, &m, &err) != MM_OK)
	{
		fprintf(stderr, "make_seeds: sgd init failed: %s\n", err.msg);
		exit(1);
	}
	mb = encode(m, &len);
	if (mm_model_decode(mb, len, &a, &dm, &err) != MM_OK || (size = mm_sgd_state_size(dm, len, &err)) == 0)
	{
		fprintf(stderr, "make_seeds: sgd state size failed: %s\n", err.msg);
		exit(1);
	}
	raw = calloc(1, size + 16);
	st = raw + ((8 - ((uintptr_t) raw + MM_SGD_HDRSZ) % 8) % 8);
	if (mm_sgd_state_init(st, size, dm, mb, len, &err) != MM_OK)
	{
		fprintf(stderr, "make_seeds: sgd state init failed: %s\n", err.msg);
		exit(1);
	}
	mm_sgd_map(st, &v);
	for (int i = 0; i < rows; i++)
	{
		for (uint32_t j = 0; j < d; j++)
		{
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			x[j] = (double) (r >> 11) / 9007199254740992.0 * 4 - 2;
		}
		mm_sgd_step(&v, x, ncls ? (int32_t) (i % ncls) : 0, x[0] - x[d - 1]);
	}
	write_file(name, st, size);
}

/* A buffer whose byte `lead` bytes in is 8-byte aligned after a header of hdrsz bytes. */
static uint8_t *
aligned_state(size_t size, size_t hdrsz, uint8_t **base)
{
	size_t		pad = (8 - hdrsz % 8) % 8;

	*base = calloc(1, size + pad);
	if (!*base)
		exit(1);
	return *base + pad;
}

/* describe and corr_matrix states of d features over `rows` rows (some NULL elements for describe). */
static void
write_stats_states(const char *dsname, const char *crname, uint32_t d, uint32_t rows)
{
	mm_ds_caps	caps;
	size_t		size;
	uint8_t    *base,
			   *st;
	mm_ds_view	v;
	double		x[16];
	uint8_t		present[2];
	uint32_t	cap;

	mm_ds_initial_caps(d, 0, &caps);
	size = mm_ds_state_size(d, 0, &caps);
	st = aligned_state(size, MM_DS_HDRSZ, &base);
	mm_ds_init(st, size, d, &caps, NULL, 0, 1, 0);
	mm_ds_map(st, &v);
	for (uint32_t i = 0; i < rows; i++)
	{
		if (mm_ds_need(&v, NULL, &caps))
		{
			size_t		nsize = mm_ds_state_size(d, 0, &caps);
			uint8_t    *nbase,
					   *nst = aligned_state(nsize, MM_DS_HDRSZ, &nbase);

			mm_ds_resize(st, &v, nst, nsize, &caps, &v);
			free(base);
			base = nbase;
			st = nst;
			size = nsize;
		}
		for (uint32_t j = 0; j < d; j++)
			x[j] = (double) ((i * 7 + j * 3) % 11) - 5.0;
		present[0] = (uint8_t) (i % 3 == 1 ? 0xfe : 0xff);
		present[1] = 0xff;
		mm_ds_add(st, &v, x, present);
	}
	write_file(dsname, st, size);
	free(base);

	cap = mm_cr_capacity(d);
	size = mm_cr_state_size(d, cap);
	st = aligned_state(size, MM_CR_HDRSZ, &base);
	{
		mm_cr_view	c;

		mm_cr_init(st, size, d, cap);
		mm_cr_map(st, &c);
		for (uint32_t i = 0; i < rows; i++)
		{
			for (uint32_t j = 0; j < d; j++)
				x[j] = (double) ((i * 5 + j * j) % 13) - 6.0;
			mm_cr_add(st, &c, x);
		}
	}
	write_file(crname, st, size);
	free(base);
}

/* A metric state of this kind over a few rows (class kinds: float8 or text labels). */
static void
write_metric_state(const char *name, int kind, int text)
{
	mm_mt_caps	caps;
	uint32_t	flags = text ? MM_MT_TEXT : 0;
	size_t		size;
	uint8_t    *st;
	static const char *labels[] = {"cat", "dog", "emu"};

	if (mm_metric_binary(kind) && !text)
		flags |= MM_MT_HAS_POSITIVE;
	mm_mt_initial_caps(kind, &caps);
	size = mm_mt_state_size(kind, flags, 0, &caps);
	st = calloc(1, size);
	if (!st)
		exit(1);
	mm_mt_init(st, size, kind, flags, 1.0, NULL, 0, &caps);
	for (int i = 0; i < 9; i++)
	{
		int			ok = 1;

		switch (mm_metric_family_of(kind))
		{
			case MM_MF_CLASS:
				ok = text ? mm_cm_add_text(st, labels[i % 3], 3, labels[(i * 2) % 3], 3)
					: mm_cm_add_f64(st, (double) (i % 2), (double) ((i / 2) % 2));
				break;
			case MM_MF_PAIRS:
				ok = mm_pairs_add(st, 0.1 * i, i % 3 == 0);
				break;
			default:
				if (kind == MM_MK_LOG_LOSS)
					mm_logloss_add(st, 0.05 + 0.1 * i, i % 2);
				else
					mm_moments_add(st, 0.5 * i, 0.4 * i + 1);
		}
		if (!ok)
			break;				/* full: the seed stays as it is */
	}
	mm_mt_skip(st);
	write_file(name, st, size);
	free(st);
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	models();
	write_state("ls_d3_partial.mmls", 3, 8, 0.0, 0, 21, 0);
	write_state("ls_d2_ridge_noint.mmls", 2, 4, 0.5, MM_LS_NO_INTERCEPT, 6, 3);
	write_state("ls_d1_empty.mmls", 1, 8, 0.0, 0, 0, 0);
	write_state("ls_d5_folded.mmls", 5, 8, 0.01, 0, 16, 0);
	write_sgd_state("sgd_logreg_optimal.mmsg", MM_ALG_LOGREG, 3, 2, MM_LR_OPTIMAL, 1, 0.0, 700);
	write_sgd_state("sgd_linreg_l1_invscaling.mmsg", MM_ALG_LINREG, 4, 0, MM_LR_INVSCALING, 1, 1e-3, 9);
	write_sgd_state("sgd_multinomial_adam_batch.mmsg", MM_ALG_MULTINOMIAL, 2, 3, MM_LR_ADAM, 4, 0.0, 10);
	write_sgd_state("sgd_svm_fresh.mmsg", MM_ALG_SVM, 5, 2, MM_LR_CONSTANT, 1, 0.0, 0);
	write_stats_states("ds_d3_rows.mmds", "cr_d3_rows.mmcr", 3, 40);
	write_stats_states("ds_d1_rows.mmds", "cr_d1_rows.mmcr", 1, 5);
	write_stats_states("ds_d1_flushed.mmds", "cr_d1_flushed.mmcr" /* same as cr_d1_rows apart from its rows */, 1, 4100);
	write_metric_state("mt_accuracy.mmmt", MM_MK_ACCURACY, 0);
	write_metric_state("mt_f1_text.mmmt", MM_MK_F1_MACRO, 1);
	write_metric_state("mt_precision.mmmt", MM_MK_PRECISION, 0);
	write_metric_state("mt_roc_auc.mmmt", MM_MK_ROC_AUC, 0);
	write_metric_state("mt_r2.mmmt", MM_MK_R2, 0);
	write_metric_state("mt_log_loss.mmmt", MM_MK_LOG_LOSS, 0);
	return 0;
}
