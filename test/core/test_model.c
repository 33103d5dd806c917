/*
 * test_model.c: unit tests for the model format (mm_model.c) and scoring.
 *
 * Round trips for every algorithm shape, byte-identical re-encoding, and corruption of every
 * kind rejected with MM_ECORRUPT (never a crash).
 */
#include "mm_model.h"
#include "unit.h"

#include <float.h>
#include <stdint.h>

/* ---------- building models in memory ---------- */

static char *feat3[] = {"age", "", "caf\xc3\xa9 \"quoted\""};
static char *feat2[] = {"x1", "x2"};
static char *cls_text[] = {"no", "yes"};
static char *cls_num[] = {"0", "1"};
static char *cls_pm[] = {"-1", "1"};
static char *cls_iris[] = {"setosa", "versicolor", "virginica", ""};
static const uint8_t inputs_blob[] = {1, 2, 3, 0, 255, 'x'};
static const uint8_t baseline_blob[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0};

static mm_model
model_linreg(void)
{
	static double coef[] = {1.5, -2.0, 0.25, 1e-300};
	mm_model	m = {0};

	m.algorithm = MM_ALG_LINREG;
	m.n_features = 3;
	m.n_outputs = 1;
	m.coef = coef;
	return m;
}

static mm_model
model_linreg_full(void)
{
	static double coef[] = {-0.0, 3.0, -1e10, 7.125};
	static double mean[] = {10.0, -1.0, 0.5};
	static double scale[] = {2.0, 1e-3, 1e6};
	mm_model	m = model_linreg();

	m.coef = coef;
	m.mean = mean;
	m.scale = scale;
	m.feature_names = feat3;
	m.inputs = inputs_blob;
	m.inputs_len = sizeof(inputs_blob);
	m.baseline = baseline_blob;
	m.baseline_len = sizeof(baseline_blob);
	m.meta = "{\"solver\": \"normal_equations\", \"n_rows\": 42}";
	return m;
}

static mm_model
model_logreg_text(void)
{
	static double coef[] = {0.5, 1.0, -1.0};
	static double mean[] = {1.0, 2.0};
	static double scale[] = {0.5, 4.0};
	mm_model	m = {0};

	m.algorithm = MM_ALG_LOGREG;
	m.flags = MM_FLAG_TEXT_LABELS;
	m.n_features = 2;
	m.n_outputs = 1;
	m.n_classes = 2;
	m.coef = coef;
	m.mean = mean;
	m.scale = scale;
	m.class_names = cls_text;
	m.feature_names = feat2;
	return m;
}

static mm_model
model_logreg_num(void)
{
	static double coef[] = {-3.0, 0.125};
	static double vals[] = {0.0, 1.0};
	mm_model	m = {0};

	m.algorithm = MM_ALG_LOGREG;
	m.n_features = 1;
	m.n_outputs = 1;
	m.n_classes = 2;
	m.coef = coef;
	m.class_values = vals;
	m.class_names = cls_num;
	m.meta = "";
	return m;
}

static mm_model
model_multinomial(void)
{
	static double coef[] = {
		0.1, 1.0, -1.0,
		0.2, -0.5, 0.5,
		-0.3, 0.0, 2.0,
		0.0, 0.0, 0.0,
	};
	mm_model	m = {0};

	m.algorithm = MM_ALG_MULTINOMIAL;
	m.flags = MM_FLAG_TEXT_LABELS;
	m.n_features = 2;
	m.n_outputs = 4;
	m.n_classes = 4;
	m.coef = coef;
	m.class_names = cls_iris;
	m.feature_names = feat2;
	m.meta = "{\"classes\": 4}";
	m.baseline = baseline_blob;
	m.baseline_len = sizeof(baseline_blob);
	return m;
}

static mm_model
model_svm(void)
{
	static double coef[] = {0.75, -2.5, 1.0, 0.0, 4.0, -1e-5};
	static double vals[] = {-1.0, 1.0};
	static double mean[] = {0, 0, 0, 0, 0};
	static double scale[] = {1, 1, 1, 1, 1};
	mm_model	m = {0};

	m.algorithm = MM_ALG_SVM;
	m.n_features = 5;
	m.n_outputs = 1;
	m.n_classes = 2;
	m.coef = coef;
	m.mean = mean;
	m.scale = scale;
	m.class_values = vals;
	m.class_names = cls_pm;
	m.inputs = inputs_blob;
	m.inputs_len = sizeof(inputs_blob);
	return m;
}

/* Encodes m into a fresh arena buffer; returns NULL (and fails a check) on error. */
static uint8_t *
encode(const mm_model *m, size_t *len, const char *what)
{
	mm_err		err = {0};
	size_t		n = mm_model_encoded_size(m, &err);
	uint8_t    *buf;
	char		name[200];

	snprintf(name, sizeof(name), "%s: encoded size computed", what);
	if (!CHECK(n >= MM_MODEL_HDRSZ, name))
	{
		NOTE("%s", err.msg);
		return NULL;
	}
	buf = unit_alloc.alloc(unit_alloc.ctx, n);
	snprintf(name, sizeof(name), "%s: encodes", what);
	CHECK_STATUS(mm_model_encode(m, buf, n, &err), MM_OK, &err, name);
	*len = n;
	return buf;
}

static int
names_equal(char *const *a, char *const *b, uint32_t n)
{
	if ((a == NULL) != (b == NULL))
		return 0;
	for (uint32_t i = 0; a && i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static int
doubles_equal(const double *a, const double *b, size_t n)
{
	if ((a == NULL) != (b == NULL))
		return 0;
	return a == NULL || memcmp(a, b, n * sizeof(double)) == 0;
}

static int
blob_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Full round trip: encode, decode, compare every field, re-encode byte for byte. */
static void
round_trip(const mm_model *m, const char *what)
{
	size_t		len = 0,
				len2 = 0;
	uint8_t    *buf = encode(m, &len, what);
	uint8_t    *buf2;
	mm_model   *d = NULL;
	mm_err		err = {0};
	char		name[200];
	size_t		ncoef;

	if (!buf)
		return;
	ncoef = (size_t) m->n_outputs * (m->n_features + 1);
	snprintf(name, sizeof(name), "%s: decodes", what);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, name);
	if (!d)
		return;
	snprintf(name, sizeof(name), "%s: header fields survive", what);
	CHECK(d->algorithm == m->algorithm && d->flags == m->flags && d->n_features == m->n_features &&
		  d->n_outputs == m->n_outputs && d->n_classes == m->n_classes, name);
	snprintf(name, sizeof(name), "%s: coefficients bit-identical", what);
	CHECK(doubles_equal(d->coef, m->coef, ncoef), name);
	snprintf(name, sizeof(name), "%s: scaler survives", what);
	CHECK(doubles_equal(d->mean, m->mean, m->n_features) && doubles_equal(d->scale, m->scale, m->n_features), name);
	snprintf(name, sizeof(name), "%s: class names survive", what);
	CHECK(names_equal(d->class_names, m->class_names, m->n_classes), name);
	if (m->class_values)
	{
		snprintf(name, sizeof(name), "%s: class values survive", what);
		CHECK(doubles_equal(d->class_values, m->class_values, m->n_classes), name);
	}
	else if (m->n_classes)
	{
		int			allnan = d->class_values != NULL;

		for (uint32_t i = 0; allnan && i < m->n_classes; i++)
			allnan = isnan(d->class_values[i]);
		snprintf(name, sizeof(name), "%s: text classes decode with NaN values", what);
		CHECK(allnan, name);
	}
	snprintf(name, sizeof(name), "%s: feature names survive", what);
	CHECK(names_equal(d->feature_names, m->feature_names, m->n_features), name);
	snprintf(name, sizeof(name), "%s: opaque sections survive", what);
	CHECK(blob_equal(d->inputs, d->inputs_len, m->inputs, m->inputs_len) &&
		  blob_equal(d->baseline, d->baseline_len, m->baseline, m->baseline_len), name);
	snprintf(name, sizeof(name), "%s: meta survives", what);
	CHECK((d->meta == NULL) == (m->meta == NULL) && (!m->meta || strcmp(d->meta, m->meta) == 0), name);
	snprintf(name, sizeof(name), "%s: inference survives", what);
	CHECK(doubles_equal(d->std_error, m->std_error, ncoef) &&
		  (!m->std_error || (d->infer_kind == m->infer_kind && d->infer_flags == m->infer_flags &&
							 d->infer_df == m->infer_df)), name);
	snprintf(name, sizeof(name), "%s: checksum recorded", what);
	CHECK(d->checksum == mm_load_u32(buf + MM_MODEL_CRC_OFFSET), name);

	buf2 = encode(d, &len2, what);
	snprintf(name, sizeof(name), "%s: re-encode is byte-identical", what);
	CHECK(buf2 && len2 == len && memcmp(buf, buf2, len) == 0, name);
}

/* ---------- raw byte surgery ---------- */

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

/* Recomputes total length and checksum so that only the deliberate damage is left. */
static void
reseal(uint8_t *buf, size_t len)
{
	uint32_t	crc;

	put32(buf + 32, (uint32_t) len);
	crc = mm_crc32c(0, buf, MM_MODEL_CRC_OFFSET);
	crc = mm_crc32c(crc, buf + MM_MODEL_HDRSZ, len - MM_MODEL_HDRSZ);
	put32(buf + MM_MODEL_CRC_OFFSET, crc);
}

static uint8_t *
copy_of(const uint8_t *buf, size_t len, size_t cap)
{
	uint8_t    *c = unit_alloc.alloc(unit_alloc.ctx, cap > len ? cap : len);

	memcpy(c, buf, len);
	return c;
}

/* Offset of section id's header in an encoded model, or 0. */
static size_t
section_offset(const uint8_t *buf, size_t len, uint16_t id)
{
	size_t		pos = MM_MODEL_HDRSZ;

	while (pos + 8 <= len)
	{
		uint16_t	sid = (uint16_t) (buf[pos] | (buf[pos + 1] << 8));
		uint32_t	slen = mm_load_u32(buf + pos + 4);

		if (sid == id)
			return pos;
		pos += 8 + (size_t) slen;
	}
	return 0;
}

static mm_status
decode_status(const uint8_t *buf, size_t len, mm_err *err)
{
	mm_model   *d = (mm_model *) 1;
	mm_status	st = mm_model_decode(buf, len, &unit_alloc, &d, err);

	if (st != MM_OK && d != NULL)
		return (mm_status) 99;	/* out must be NULL on failure */
	return st;
}

static void
expect_corrupt(const uint8_t *buf, size_t len, const char *name)
{
	mm_err		err = {0};
	mm_status	st = decode_status(buf, len, &err);

	CHECK_STATUS(st, MM_ECORRUPT, &err, name);
	if (st == MM_ECORRUPT && err.msg[0] == '\0')
		CHECK(0, "corruption message is not empty");
}

/* A hand-made model: header fields and raw section list, sealed. */
typedef struct rawsec
{
	uint16_t	id;
	uint16_t	flags;
	const void *payload;
	uint32_t	len;
} rawsec;

static uint8_t *
raw_model(uint16_t alg, uint32_t flags, uint32_t d, uint32_t nout, uint32_t ncls,
		  const rawsec *secs, int nsec, size_t *lenp)
{
	size_t		len = MM_MODEL_HDRSZ;
	uint8_t    *buf;
	mm_writer	w;

	for (int i = 0; i < nsec; i++)
		len += 8 + secs[i].len;
	buf = unit_alloc.alloc(unit_alloc.ctx, len);
	w.buf = buf;
	w.len = 0;
	w.cap = len;
	mm_put_u32(&w, MM_MODEL_MAGIC);
	mm_put_u16(&w, MM_MODEL_VERSION);
	mm_put_u16(&w, alg);
	mm_put_u32(&w, flags);
	mm_put_u32(&w, d);
	mm_put_u32(&w, nout);
	mm_put_u32(&w, ncls);
	mm_put_u32(&w, (uint32_t) nsec);
	mm_put_u32(&w, 0);
	mm_put_u32(&w, 0);
	mm_put_u32(&w, 0);
	for (int i = 0; i < nsec; i++)
	{
		mm_put_u16(&w, secs[i].id);
		mm_put_u16(&w, secs[i].flags);
		mm_put_u32(&w, secs[i].len);
		mm_put_bytes(&w, secs[i].payload, secs[i].len);
	}
	reseal(buf, len);
	*lenp = len;
	return buf;
}

/* ---------- tests ---------- */

static void
test_round_trips(void)
{
	mm_model	m;

	m = model_linreg();
	round_trip(&m, "linreg bare");
	m = model_linreg_full();
	round_trip(&m, "linreg with scaler, names, meta, inputs, baseline");
	m = model_logreg_text();
	round_trip(&m, "logreg text classes");
	m = model_logreg_num();
	round_trip(&m, "logreg numeric classes, empty meta");
	m = model_multinomial();
	round_trip(&m, "multinomial K=4");
	m = model_svm();
	round_trip(&m, "svm");

	{
		/* multinomial with K = 2 (smallest) and many features */
		static double coef[2 * 101];
		static char *two[] = {"a", "b"};

		for (int i = 0; i < 2 * 101; i++)
			coef[i] = (i % 7) * 0.1 - 0.3;
		m = (mm_model) {0};
		m.algorithm = MM_ALG_MULTINOMIAL;
		m.n_features = 100;
		m.n_outputs = 2;
		m.n_classes = 2;
		m.coef = coef;
		m.class_names = two;
		m.flags = MM_FLAG_TEXT_LABELS;
		round_trip(&m, "multinomial K=2, d=100");
	}
	{
		/* names of the maximum length */
		static char longname[4097];
		static char *names[] = {longname};
		static double coef[] = {1, 2};

		memset(longname, 'n', 4096);
		m = (mm_model) {0};
		m.algorithm = MM_ALG_LINREG;
		m.n_features = 1;
		m.n_outputs = 1;
		m.coef = coef;
		m.feature_names = names;
		round_trip(&m, "feature name of 4096 bytes");
	}
}

static void
test_encode_errors(void)
{
	mm_err		err = {0};
	mm_model	m;
	size_t		len;
	uint8_t		buf[512];

	m = model_linreg();
	m.n_features = 0;
	CHECK(mm_model_encoded_size(&m, &err) == 0 && err.status != MM_OK, "encode: zero features refused");
	m = model_linreg();
	m.algorithm = 9;
	err = (mm_err) {0};
	CHECK(mm_model_encoded_size(&m, &err) == 0 && err.status != MM_OK, "encode: unknown algorithm refused");
	m = model_logreg_text();
	m.class_names = NULL;
	err = (mm_err) {0};
	CHECK(mm_model_encoded_size(&m, &err) == 0 && err.status == MM_EINVAL, "encode: classifier without class names refused");
	m = model_linreg();
	m.class_names = cls_text;
	err = (mm_err) {0};
	CHECK(mm_model_encoded_size(&m, &err) == 0 && err.status == MM_EINVAL, "encode: regression with class names refused");
	m = model_multinomial();
	m.n_outputs = 3;
	err = (mm_err) {0};
	CHECK(mm_model_encoded_size(&m, &err) == 0 && err.status != MM_OK, "encode: multinomial outputs != classes refused");

	m = model_linreg();
	err = (mm_err) {0};
	len = mm_model_encoded_size(&m, &err);
	CHECK_STATUS(mm_model_encode(&m, buf, len + 1, &err), MM_EINVAL, &err, "encode: wrong buffer size refused");
	err = (mm_err) {0};
	CHECK_STATUS(mm_model_encode(&m, buf, len - 1, &err), MM_EINVAL, &err, "encode: short buffer refused");
	{
		double		coef[] = {1, 2, NAN, 4};

		m.coef = coef;
		err = (mm_err) {0};
		CHECK_STATUS(mm_model_encode(&m, buf, len, &err), MM_EDATA, &err, "encode: NaN coefficient refused");
		coef[2] = INFINITY;
		err = (mm_err) {0};
		CHECK_STATUS(mm_model_encode(&m, buf, len, &err), MM_EDATA, &err, "encode: infinite coefficient refused");
	}

	/* the encoder must never produce bytes the decoder rejects */
	{
		double		scale[] = {1.0, 0.0, 1.0};
		double		mean[] = {0, 0, 0};

		m = model_linreg();
		m.mean = mean;
		m.scale = scale;
		err = (mm_err) {0};
		len = mm_model_encoded_size(&m, &err);
		CHECK(len == 0 || mm_model_encode(&m, buf, len, &err) != MM_OK, "encode: zero scale refused");
		mean[0] = NAN;
		scale[1] = 1.0;
		err = (mm_err) {0};
		len = mm_model_encoded_size(&m, &err);
		CHECK(len == 0 || mm_model_encode(&m, buf, len, &err) != MM_OK, "encode: NaN mean refused");
	}
	{
		double		vals[] = {0.0, NAN};

		m = model_logreg_num();
		m.class_values = vals;
		err = (mm_err) {0};
		len = mm_model_encoded_size(&m, &err);
		CHECK(len == 0 || mm_model_encode(&m, buf, len, &err) != MM_OK, "encode: numeric class without a value refused");
		m.class_values = NULL;
		err = (mm_err) {0};
		len = mm_model_encoded_size(&m, &err);
		CHECK(len == 0 || mm_model_encode(&m, buf, len, &err) != MM_OK, "encode: numeric classes with no values refused");
	}
	{
		static char longname[4098];
		static char *names[] = {longname, "b", "c"};

		memset(longname, 'n', 4097);
		m = model_linreg();
		m.feature_names = names;
		err = (mm_err) {0};
		len = mm_model_encoded_size(&m, &err);
		CHECK(len == 0, "encode: feature name over 4096 bytes refused");
	}
}

static void
test_truncation_and_flips(void)
{
	mm_model	m = model_linreg_full();
	size_t		len = 0;
	uint8_t    *buf = encode(&m, &len, "full linreg");
	uint8_t    *c;
	int			bad_plain = 0,
				bad_sealed = 0,
				bad_flip = 0,
				bad_sealed_flip = 0,
				ok_sealed_flip = 0;
	mm_err		err;

	if (!buf)
		return;
	expect_corrupt(buf, 0, "empty input");
	expect_corrupt(NULL, 0, "NULL empty input");
	for (size_t l = 0; l < len; l++)
	{
		c = copy_of(buf, l, len);
		err = (mm_err) {0};
		if (decode_status(c, l, &err) != MM_ECORRUPT)
		{
			bad_plain++;
			NOTE("truncation to %zu: status %d", l, (int) err.status);
		}
		if (l >= MM_MODEL_HDRSZ)
		{
			/* the same truncation with length and checksum fixed up: section checks must catch it */
			reseal(c, l);
			err = (mm_err) {0};
			if (decode_status(c, l, &err) != MM_ECORRUPT)
			{
				bad_sealed++;
				NOTE("sealed truncation to %zu: status %d", l, (int) err.status);
			}
		}
	}
	CHECK(bad_plain == 0, "every truncation rejected with MM_ECORRUPT");
	CHECK(bad_sealed == 0, "every truncation with a resealed header rejected with MM_ECORRUPT");

	/* every single-bit flip of a small model is caught (checksum or an earlier check) */
	m = model_logreg_num();
	buf = encode(&m, &len, "small logreg");
	if (!buf)
		return;
	c = copy_of(buf, len, len);
	for (size_t i = 0; i < len * 8; i++)
	{
		c[i / 8] ^= (uint8_t) (1u << (i % 8));
		err = (mm_err) {0};
		if (decode_status(c, len, &err) != MM_ECORRUPT)
		{
			bad_flip++;
			NOTE("bit %zu flip: status %d", i, (int) err.status);
		}
		c[i / 8] ^= (uint8_t) (1u << (i % 8));
	}
	CHECK(bad_flip == 0, "every single-bit flip of a small model rejected with MM_ECORRUPT");
	CHECK(memcmp(c, buf, len) == 0, "flips restored");

	/*
	 * Every bit flip of the full model with the checksum recomputed: each result either is
	 * rejected as corrupt or decodes to a model that re-encodes to the very same bytes.
	 */
	m = model_linreg_full();
	buf = encode(&m, &len, "full linreg");
	m = model_multinomial();
	for (int which = 0; which < 2 && buf; which++)
	{
		for (size_t i = 0; i < len * 8; i++)
		{
			mm_model   *d = NULL;
			mm_status	st;

			c = copy_of(buf, len, len);
			c[i / 8] ^= (uint8_t) (1u << (i % 8));
			if (i / 8 >= 32 && i / 8 < 40)
				;				/* flips of length or checksum stay as they are */
			else
				reseal(c, len);
			err = (mm_err) {0};
			st = mm_model_decode(c, len, &unit_alloc, &d, &err);
			if (st == MM_OK)
			{
				size_t		l2 = mm_model_encoded_size(d, &err);
				uint8_t    *e = l2 ? unit_alloc.alloc(unit_alloc.ctx, l2) : NULL;

				if (!e || mm_model_encode(d, e, l2, &err) != MM_OK || l2 != len || memcmp(e, c, len) != 0)
				{
					bad_sealed_flip++;
					NOTE("model %d bit %zu: decodes but does not re-encode identically", which, i);
				}
				else
					ok_sealed_flip++;
			}
			else if (st != MM_ECORRUPT)
			{
				bad_sealed_flip++;
				NOTE("model %d bit %zu: status %d (%s)", which, i, (int) st, err.msg);
			}
		}
		unit_arena_reset();
		buf = encode(&m, &len, "multinomial");
	}
	CHECK(bad_sealed_flip == 0, "resealed bit flips: rejected as corrupt or re-encode identically");
	NOTE("%d resealed flips decoded to valid models", ok_sealed_flip);
}

static void
test_header_corruptions(void)
{
	mm_model	m = model_multinomial();
	size_t		len = 0;
	uint8_t    *buf = encode(&m, &len, "multinomial");
	uint8_t    *c;
	size_t		off;

	if (!buf)
		return;
#define DAMAGE(stmt, sealed, name) \
	do { \
		c = copy_of(buf, len, len + 64); \
		stmt; \
		if (sealed) \
			reseal(c, len); \
		expect_corrupt(c, len, name); \
	} while (0)

	DAMAGE(c[0] = 'X', 0, "wrong magic");
	DAMAGE(c[0] = 'X', 1, "wrong magic, resealed");
	DAMAGE(put32(c, 0x4C444D4Eu), 1, "magic off by one, resealed");
	DAMAGE(put16(c + 4, 2), 1, "format version 2");
	DAMAGE(put16(c + 4, 0), 1, "format version 0");
	DAMAGE(put16(c + 4, 0xffff), 1, "format version 65535");
	DAMAGE(put32(c + 28, 1), 1, "nonzero reserved header field");
	DAMAGE(put32(c + 28, 0x80000000u), 1, "reserved high bit");
	DAMAGE(put32(c + 32, (uint32_t) len + 1), 0, "total length too large");
	DAMAGE(put32(c + 32, (uint32_t) len - 1), 0, "total length too small");
	DAMAGE(put32(c + 32, 0), 0, "total length zero");
	DAMAGE(put32(c + 36, mm_load_u32(c + 36) ^ 1), 0, "checksum off by one bit");
	DAMAGE(put32(c + 36, 0), 0, "checksum zero");
	DAMAGE(put32(c + 8, 2), 1, "unknown flag");
	DAMAGE(put32(c + 8, 0x80000001u), 1, "unknown high flag");
	DAMAGE(put16(c + 6, 0), 1, "algorithm 0");
	DAMAGE(put16(c + 6, MM_ALG_MAX + 1), 1, "algorithm past the last");
	DAMAGE(put16(c + 6, MM_ALG_LOGREG), 1, "multinomial header relabelled binary logreg");
	DAMAGE(put16(c + 6, MM_ALG_SVM), 1, "multinomial header relabelled svm");
	DAMAGE(put16(c + 6, MM_ALG_LINREG), 1, "multinomial header relabelled linreg");
	DAMAGE(put32(c + 12, 0), 1, "zero features");
	DAMAGE(put32(c + 12, 3), 1, "feature count disagrees with sections");
	DAMAGE(put32(c + 12, MM_MAX_FEATURES + 1), 1, "feature count over the limit");
	DAMAGE(put32(c + 12, 0xffffffffu), 1, "feature count 2^32-1");
	DAMAGE(put32(c + 16, 3), 1, "outputs != classes");
	DAMAGE(put32(c + 20, 3), 1, "classes != outputs");
	DAMAGE((put32(c + 16, 5), put32(c + 20, 5)), 1, "class count disagrees with sections");
	DAMAGE((put32(c + 16, 1), put32(c + 20, 1)), 1, "one class");
	DAMAGE((put32(c + 16, MM_MAX_CLASSES + 1), put32(c + 20, MM_MAX_CLASSES + 1)), 1, "classes over the limit");
	DAMAGE((put32(c + 16, 0xffffffffu), put32(c + 20, 0xffffffffu)), 1, "classes 2^32-1");
	/* shape passes the count limits but is too large to allocate */
	DAMAGE((put32(c + 12, MM_MAX_FEATURES), put32(c + 16, MM_MAX_CLASSES), put32(c + 20, MM_MAX_CLASSES)), 1,
		   "huge multinomial shape");
	DAMAGE(put32(c + 24, 0), 1, "zero sections");
	DAMAGE(put32(c + 24, mm_load_u32(c + 24) - 1), 1, "one section fewer than present (trailing bytes)");
	DAMAGE(put32(c + 24, mm_load_u32(c + 24) + 1), 1, "one section more than present");
	DAMAGE(put32(c + 24, MM_SEC_MAX + 1), 1, "section count over the limit");
	DAMAGE(put32(c + 24, 0xffffffffu), 1, "section count 2^32-1");

	off = section_offset(buf, len, MM_SEC_COEF);
	CHECK(off == MM_MODEL_HDRSZ, "coefficients come first");
	DAMAGE(put16(c + off + 2, 1), 1, "nonzero section reserved field");
	DAMAGE(put16(c + off, 0), 1, "section id 0");
	DAMAGE(put16(c + off, MM_SEC_MAX + 1), 1, "unknown section id");
	DAMAGE(put16(c + off, 0xffff), 1, "section id 65535");
	DAMAGE(put32(c + off + 4, mm_load_u32(c + off + 4) - 8), 1, "coefficient section one double short");
	DAMAGE(put32(c + off + 4, mm_load_u32(c + off + 4) + 8), 1, "coefficient section one double long");
	DAMAGE(put32(c + off + 4, 0xffffffffu), 1, "section length 2^32-1");
	DAMAGE(put16(c + off, MM_SEC_META), 1, "coefficients relabelled meta (no coefficient section)");
	off = section_offset(buf, len, MM_SEC_CLASSES);
	DAMAGE(put16(c + off, MM_SEC_INPUTS), 1, "class section relabelled inputs (classes missing)");
	DAMAGE(put32(c + off + 8 + 8, 5000), 1, "class name length over the limit");
	DAMAGE(put32(c + off + 8 + 8, 7), 1, "class name length too long for the section");
	DAMAGE(c[off + 8 + 12] = 0, 1, "class name containing NUL");
	DAMAGE(put32(c + off + 4, mm_load_u32(c + off + 4) - 1), 1, "class section one byte short");
	off = section_offset(buf, len, MM_SEC_FEATURES);
	DAMAGE(c[off + 8 + 4] = 0, 1, "feature name containing NUL");
	DAMAGE(put32(c + off + 8, 0xffffffffu), 1, "feature name length 2^32-1");
	off = section_offset(buf, len, MM_SEC_META);
	DAMAGE(c[off + 8 + 3] = 0, 1, "meta containing NUL");
	/* the last section is the baseline: claim more than there is */
	off = section_offset(buf, len, MM_SEC_BASELINE);
	DAMAGE(put32(c + off + 4, mm_load_u32(c + off + 4) + 1), 1, "last section longer than the model");
	/* trailing garbage after the last section, length fixed up */
	c = copy_of(buf, len, len + 1);
	c[len] = 0;
	reseal(c, len + 1);
	expect_corrupt(c, len + 1, "one trailing byte");
#undef DAMAGE
}

static void
test_value_corruptions(void)
{
	static const double coef2[] = {1.0, 2.0, 3.0};
	double		coefbad[] = {1.0, NAN, 3.0};
	double		scaler[] = {0.0, 0.0, 1.0, 1.0};
	uint8_t		cls[2 * (8 + 4 + 1)];
	uint8_t		names[2 * (4 + 2)];
	uint8_t    *buf;
	size_t		len;
	mm_err		err = {0};
	mm_model   *d = NULL;
	rawsec		s[8];

	/* the raw builder itself makes valid models */
	s[0] = (rawsec) {MM_SEC_COEF, 0, coef2, sizeof(coef2)};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 1, &len);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "raw builder: valid linreg decodes");

	s[0].payload = coefbad;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 1, &len);
	expect_corrupt(buf, len, "NaN coefficient with a valid checksum");
	coefbad[1] = INFINITY;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 1, &len);
	expect_corrupt(buf, len, "+inf coefficient with a valid checksum");
	coefbad[1] = 2.0;
	coefbad[0] = -INFINITY;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 1, &len);
	expect_corrupt(buf, len, "-inf intercept with a valid checksum");

	s[0].payload = coef2;
	s[1] = (rawsec) {MM_SEC_SCALER, 0, scaler, sizeof(scaler)};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "raw builder: valid scaler decodes");
	scaler[3] = 0.0;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler with zero scale");
	scaler[3] = -1.0;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler with negative scale");
	scaler[3] = NAN;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler with NaN scale");
	scaler[3] = INFINITY;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler with infinite scale");
	scaler[3] = 1.0;
	scaler[1] = NAN;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler with NaN mean");
	scaler[1] = 0.0;
	s[1].len = 3 * 8;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "scaler section of the wrong size");
	s[1].len = sizeof(scaler);

	/* denormal scale: the folded coefficients would overflow */
	scaler[3] = 4.9e-324;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	err = (mm_err) {0};
	d = NULL;
	{
		mm_status	st = mm_model_decode(buf, len, &unit_alloc, &d, &err);

		if (st == MM_OK)
		{
			double		x[2] = {0, 0},
						out[1];

			mm_model_scores(d, x, out);
			CHECK(isfinite(out[0]), "denormal scale: decoded model scores finitely");
		}
		else
			CHECK_STATUS(st, MM_ECORRUPT, &err, "denormal scale: rejected as corrupt");
	}
	scaler[3] = 1.0;

	/* duplicate and unknown sections */
	s[1] = s[0];
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "duplicate coefficient section");
	s[1] = (rawsec) {MM_SEC_META, 0, "{}", 2};
	s[2] = (rawsec) {MM_SEC_META, 0, "{}", 2};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 3, &len);
	expect_corrupt(buf, len, "duplicate meta section");
	s[1] = (rawsec) {MM_SEC_MAX + 1, 0, "{}", 2};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "unknown section id past the last");
	s[1] = (rawsec) {MM_SEC_META, 1, "{}", 2};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "section with flags");
	/* sections out of canonical order would not re-encode to the same bytes */
	s[0] = (rawsec) {MM_SEC_META, 0, "{}", 2};
	s[1] = (rawsec) {MM_SEC_COEF, 0, coef2, sizeof(coef2)};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "sections out of order");
	/* empty opaque sections would not re-encode (the encoder omits them) */
	s[0] = (rawsec) {MM_SEC_COEF, 0, coef2, sizeof(coef2)};
	s[1] = (rawsec) {MM_SEC_INPUTS, 0, "", 0};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "empty inputs section");
	s[1] = (rawsec) {MM_SEC_BASELINE, 0, "", 0};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "empty baseline section");
	s[1] = (rawsec) {MM_SEC_META, 0, "", 0};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "empty meta is valid (encodes as empty)");

	/* class sections: inconsistent counts and values */
	{
		mm_writer	w = {cls, 0, sizeof(cls)};

		mm_put_f64(&w, 0.0);
		mm_put_u32(&w, 1);
		mm_put_bytes(&w, "a", 1);
		mm_put_f64(&w, 1.0);
		mm_put_u32(&w, 1);
		mm_put_bytes(&w, "b", 1);
	}
	s[0] = (rawsec) {MM_SEC_COEF, 0, coef2, sizeof(coef2)};
	s[1] = (rawsec) {MM_SEC_CLASSES, 0, cls, sizeof(cls)};
	buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 2, s, 2, &len);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "raw builder: valid logreg decodes");
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "regression model with a class section");
	buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 2, s, 1, &len);
	expect_corrupt(buf, len, "classifier without a class section");
	buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 3, s, 2, &len);
	expect_corrupt(buf, len, "binary model claiming 3 classes");
	buf = raw_model(MM_ALG_SVM, 0, 2, 2, 2, s, 2, &len);
	expect_corrupt(buf, len, "svm with 2 outputs");
	buf = raw_model(MM_ALG_MULTINOMIAL, 0, 2, 1, 1, s, 2, &len);
	expect_corrupt(buf, len, "multinomial with 1 class");
	buf = raw_model(MM_ALG_MULTINOMIAL, 0, 2, 3, 3, s, 2, &len);
	expect_corrupt(buf, len, "multinomial header for 3 classes, sections for 1 output and 2 classes");
	s[1].len = sizeof(cls) - 1;
	buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 2, s, 2, &len);
	expect_corrupt(buf, len, "class section cut short");
	s[1].len = sizeof(cls);
	{
		uint8_t		cls3[sizeof(cls) + 1];

		memcpy(cls3, cls, sizeof(cls));
		cls3[sizeof(cls)] = 'z';
		s[1] = (rawsec) {MM_SEC_CLASSES, 0, cls3, sizeof(cls3)};
		buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 2, s, 2, &len);
		expect_corrupt(buf, len, "class section with a trailing byte");
		s[1] = (rawsec) {MM_SEC_CLASSES, 0, cls, sizeof(cls)};
	}
	{
		double		nanv = NAN;

		memcpy(cls + 13, &nanv, 8);
		buf = raw_model(MM_ALG_LOGREG, 0, 2, 1, 2, s, 2, &len);
		expect_corrupt(buf, len, "numeric class with a NaN value");
		buf = raw_model(MM_ALG_LOGREG, MM_FLAG_TEXT_LABELS, 2, 1, 2, s, 2, &len);
		CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "text class with a NaN value is valid");
	}

	/* feature names: count must match exactly */
	{
		mm_writer	w = {names, 0, sizeof(names)};

		mm_put_u32(&w, 2);
		mm_put_bytes(&w, "ab", 2);
		mm_put_u32(&w, 2);
		mm_put_bytes(&w, "cd", 2);
	}
	s[0] = (rawsec) {MM_SEC_COEF, 0, coef2, sizeof(coef2)};
	s[1] = (rawsec) {MM_SEC_FEATURES, 0, names, sizeof(names)};
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "raw builder: feature names decode");
	s[1].len = 6;
	buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
	expect_corrupt(buf, len, "one feature name for two features");
	{
		uint8_t		three[sizeof(names) + 4] = {0};

		memcpy(three, names, sizeof(names));
		s[1] = (rawsec) {MM_SEC_FEATURES, 0, three, sizeof(three)};
		buf = raw_model(MM_ALG_LINREG, 0, 2, 1, 0, s, 2, &len);
		expect_corrupt(buf, len, "three feature names for two features");
	}
}

/* Decoding must tolerate err == NULL and report failures through the status alone. */
static void
test_null_err(void)
{
	mm_model	m = model_multinomial();
	size_t		len = 0;
	uint8_t    *buf = encode(&m, &len, "multinomial");
	uint8_t    *c;
	mm_model   *d;

	if (!buf)
		return;
	c = copy_of(buf, len, len);
	put32(c + 12, MM_MAX_FEATURES);
	put32(c + 16, MM_MAX_CLASSES);
	put32(c + 20, MM_MAX_CLASSES);
	reseal(c, len);
	CHECK(mm_model_decode(c, len, &unit_alloc, &d, NULL) == MM_ECORRUPT, "err NULL: huge shape rejected");
	c[0] ^= 1;
	CHECK(mm_model_decode(c, len, &unit_alloc, &d, NULL) == MM_ECORRUPT, "err NULL: bad magic rejected");
	CHECK(mm_model_decode(buf, len, &unit_alloc, &d, NULL) == MM_OK, "err NULL: valid model decodes");
}

static void
test_out_of_memory(void)
{
	mm_model	m = model_multinomial();
	size_t		len = 0;
	uint8_t    *buf = encode(&m, &len, "multinomial");
	int			bad = 0,
				k;

	if (!buf)
		return;
	for (k = 0; k < 64; k++)
	{
		mm_model   *d = NULL;
		mm_err		err = {0};
		mm_status	st;

		unit_alloc_fail_after(k);
		st = mm_model_decode(buf, len, &unit_alloc, &d, &err);
		unit_alloc_fail_after(-1);
		if (st == MM_OK)
			break;
		if (st != MM_ENOMEM || d != NULL)
			bad++;
	}
	CHECK(bad == 0, "decode reports MM_ENOMEM whenever an allocation fails");
	CHECK(k < 64, "decode succeeds once allocations succeed");
}

/* ---------- scoring ---------- */

static mm_model *
decoded(const mm_model *m)
{
	size_t		len = 0;
	uint8_t    *buf = encode(m, &len, "scoring model");
	mm_model   *d = NULL;
	mm_err		err = {0};

	if (buf)
		CHECK_STATUS(mm_model_decode(buf, len, &unit_alloc, &d, &err), MM_OK, &err, "scoring model decodes");
	return d;
}

static void
test_scoring(void)
{
	double		out[4],
				proba[4];
	mm_model	m;
	mm_model   *d;

	/* linreg without scaler: 1 + 2*0.5 - 3*2 = -4 */
	{
		double		coef[] = {1, 2, -3};
		double		x[] = {0.5, 2};

		m = (mm_model) {0};
		m.algorithm = MM_ALG_LINREG;
		m.n_features = 2;
		m.n_outputs = 1;
		m.coef = coef;
		d = decoded(&m);
		if (d)
		{
			mm_model_scores(d, x, out);
			CHECK_NEAR(out[0], -4.0, 1e-15, "linreg score, no scaler");
		}
	}
	/* with a scaler the weights act on (x - mean) / scale: (3-1)/2 = 1, (10-2)/4 = 2: 1 + 2 - 6 */
	{
		double		coef[] = {1, 2, -3};
		double		mean[] = {1, 2};
		double		scale[] = {2, 4};
		double		x[] = {3, 10};
		double		x0[] = {1, 2};

		m = (mm_model) {0};
		m.algorithm = MM_ALG_LINREG;
		m.n_features = 2;
		m.n_outputs = 1;
		m.coef = coef;
		m.mean = mean;
		m.scale = scale;
		d = decoded(&m);
		if (d)
		{
			mm_model_scores(d, x, out);
			CHECK_NEAR(out[0], -3.0, 1e-14, "linreg score through the scaler");
			mm_model_scores(d, x0, out);
			CHECK_NEAR(out[0], 1.0, 1e-15, "linreg score at the mean is the intercept");
			CHECK_NEAR(d->eff[1], 1.0, 0, "folded weight 1 = 2/2");
			CHECK_NEAR(d->eff[2], -0.75, 0, "folded weight 2 = -3/4");
			CHECK_NEAR(d->eff[0], 1.0 - 1.0 * 1 + 0.75 * 2, 1e-15, "folded intercept");
		}
	}
	/* five features: the unrolled loop plus its remainder */
	{
		double		coef[] = {0.5, 1, 2, 3, 4, 5};
		double		ones[] = {1, 1, 1, 1, 1};
		double		x[] = {1, -1, 2, -2, 0.5};
		double		zero[5] = {0};

		m = (mm_model) {0};
		m.algorithm = MM_ALG_LINREG;
		m.n_features = 5;
		m.n_outputs = 1;
		m.coef = coef;
		d = decoded(&m);
		if (d)
		{
			mm_model_scores(d, ones, out);
			CHECK_NEAR(out[0], 15.5, 1e-14, "d=5 score on ones");
			mm_model_scores(d, x, out);
			CHECK_NEAR(out[0], 0.5 + 1 - 2 + 6 - 8 + 2.5, 1e-14, "d=5 score on mixed row");
			mm_model_scores(d, zero, out);
			CHECK_NEAR(out[0], 0.5, 0, "d=5 score on zeros is the intercept");
		}
	}
	/* binary logistic regression */
	{
		double		coef[] = {0, 1};
		double		vals[] = {0, 1};
		double		x[1];

		m = (mm_model) {0};
		m.algorithm = MM_ALG_LOGREG;
		m.n_features = 1;
		m.n_outputs = 1;
		m.n_classes = 2;
		m.coef = coef;
		m.class_values = vals;
		m.class_names = cls_num;
		d = decoded(&m);
		if (d)
		{
			x[0] = 0;
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[0], 0.5, 0, "logreg p0 at score 0");
			CHECK_NEAR(proba[1], 0.5, 0, "logreg p1 at score 0");
			CHECK_EQ(mm_model_class_index(d, out), 0, "logreg score 0 predicts class 0 (strict >)");
			x[0] = log(3.0);
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[1], 0.75, 1e-15, "logreg p1 at score ln 3 is 3/4");
			CHECK_NEAR(proba[0], 0.25, 1e-15, "logreg p0 at score ln 3 is 1/4");
			CHECK_EQ(mm_model_class_index(d, out), 1, "logreg positive score predicts class 1");
			x[0] = -log(3.0);
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[1], 0.25, 1e-15, "logreg p1 at score -ln 3 is 1/4");
			CHECK_EQ(mm_model_class_index(d, out), 0, "logreg negative score predicts class 0");
			x[0] = -1000;
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK(proba[1] == 0.0 && proba[0] == 1.0, "logreg p at score -1000 is (1, 0), no NaN");
			x[0] = 1000;
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK(proba[1] == 1.0 && proba[0] == 0.0, "logreg p at score 1000 is (0, 1), no NaN");
			x[0] = -40;
			mm_model_scores(d, x, out);
			mm_model_proba(d, out, proba);
			CHECK(fabs(proba[1] - exp(-40.0)) <= 1e-14 * exp(-40.0), "logreg tiny p1 keeps relative precision");
		}
	}
	/* svm: hard 0/1 probabilities */
	{
		double		coef[] = {-0.5, 1, 1};
		double		vals[] = {-1, 1};
		double		xp[] = {0.5, 0.3},
					xn[] = {0.1, 0.1};

		m = (mm_model) {0};
		m.algorithm = MM_ALG_SVM;
		m.n_features = 2;
		m.n_outputs = 1;
		m.n_classes = 2;
		m.coef = coef;
		m.class_values = vals;
		m.class_names = cls_pm;
		d = decoded(&m);
		if (d)
		{
			mm_model_scores(d, xp, out);
			CHECK_NEAR(out[0], 0.3, 1e-15, "svm score");
			mm_model_proba(d, out, proba);
			CHECK(proba[0] == 0.0 && proba[1] == 1.0, "svm positive score: proba (0, 1)");
			CHECK_EQ(mm_model_class_index(d, out), 1, "svm positive score: class 1");
			CHECK_NEAR(d->class_values[mm_model_class_index(d, out)], 1.0, 0, "svm positive label +1");
			mm_model_scores(d, xn, out);
			mm_model_proba(d, out, proba);
			CHECK(proba[0] == 1.0 && proba[1] == 0.0, "svm negative score: proba (1, 0)");
			CHECK_EQ(mm_model_class_index(d, out), 0, "svm negative score: class 0");
		}
	}
	/* multinomial, K = 3 */
	{
		double		coef[] = {1, 0, 2, 0, 3, 0};	/* scores = intercepts when x = 0 */
		double		coef2[] = {0, 1, 0, 1, 0, -1};	/* scores = (x, x, -x) */
		char	   *names[] = {"a", "b", "c"};
		double		x[1] = {0};
		double		e1 = exp(-2.0),
					e2 = exp(-1.0),
					sum = e1 + e2 + 1.0;

		m = (mm_model) {0};
		m.algorithm = MM_ALG_MULTINOMIAL;
		m.flags = MM_FLAG_TEXT_LABELS;
		m.n_features = 1;
		m.n_outputs = 3;
		m.n_classes = 3;
		m.coef = coef;
		m.class_names = names;
		d = decoded(&m);
		if (d)
		{
			mm_model_scores(d, x, out);
			CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3, "multinomial scores are per-class dot products");
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[0], e1 / sum, 1e-15, "softmax p0");
			CHECK_NEAR(proba[1], e2 / sum, 1e-15, "softmax p1");
			CHECK_NEAR(proba[2], 1.0 / sum, 1e-15, "softmax p2");
			CHECK_NEAR(proba[0] + proba[1] + proba[2], 1.0, 1e-15, "softmax sums to 1");
			CHECK_EQ(mm_model_class_index(d, out), 2, "multinomial argmax");
			out[0] = 1000;
			out[1] = 1001;
			out[2] = 999;
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[1], 1.0 / (1.0 + exp(-1.0) + exp(-2.0)), 1e-15, "softmax stable for large scores");
			CHECK_EQ(mm_model_class_index(d, out), 1, "argmax of large scores");
			out[0] = 5;
			out[1] = 5;
			out[2] = 5;
			CHECK_EQ(mm_model_class_index(d, out), 0, "tie goes to the first class");
			mm_model_proba(d, out, proba);
			CHECK_NEAR(proba[2], 1.0 / 3.0, 1e-15, "ties: uniform probabilities");
		}
		m.coef = coef2;
		d = decoded(&m);
		if (d)
		{
			x[0] = 2;
			mm_model_scores(d, x, out);
			CHECK(out[0] == 2 && out[1] == 2 && out[2] == -2, "multinomial scores with x");
			CHECK_EQ(mm_model_class_index(d, out), 0, "multinomial tie at the top: first class");
			x[0] = -2;
			mm_model_scores(d, x, out);
			CHECK_EQ(mm_model_class_index(d, out), 2, "multinomial negative x picks the third class");
		}
	}
}

static void
test_names(void)
{
	CHECK(strcmp(mm_algorithm_name(MM_ALG_LINREG), "linear_regression") == 0, "algorithm name linreg");
	CHECK(strcmp(mm_algorithm_name(0), "unknown") == 0, "algorithm name 0 is unknown");
	CHECK(strcmp(mm_algorithm_name(MM_ALG_MAX + 1), "unknown") == 0, "algorithm name past the end is unknown");
	for (int a = 1; a <= MM_ALG_MAX; a++)
		CHECK_EQ(mm_algorithm_from_name(mm_algorithm_name(a)), a, "algorithm name round trip");
	CHECK_EQ(mm_algorithm_from_name("nope"), 0, "unknown algorithm name");
	CHECK(!mm_algorithm_is_classifier(MM_ALG_LINREG) && mm_algorithm_is_classifier(MM_ALG_LOGREG) &&
		  mm_algorithm_is_classifier(MM_ALG_MULTINOMIAL) && mm_algorithm_is_classifier(MM_ALG_SVM),
		  "classifier predicate");
	/* CRC-32C check value */
	CHECK_EQ(mm_crc32c(0, "123456789", 9), 0xE3069283u, "crc32c check value");
}

/*
 * CRC-32C: the table (one byte a step) and, where the CPU has SSE 4.2, its crc32 instruction
 * (eight bytes a step after the first aligned address) give the same value for every length,
 * alignment and split of a buffer into chained calls, and the standard check value.
 */
static void
test_crc32c(void)
{
	static uint8_t buf[4096 + 16];
	uint64_t	s = 0x9E3779B97F4A7C15ULL;
	int			bad_len = 0,
				bad_chain = 0,
				modes = 0;
	int			saved = mm_crc32c_hw;

	for (size_t i = 0; i < sizeof(buf); i++)
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (uint8_t) s;
	}
	for (int hw = 0; hw <= 1; hw++)
	{
		mm_crc32c_hw = hw;
		if (hw && mm_crc32c_hw_available())
			modes++;
		CHECK_EQ(mm_crc32c(0, "123456789", 9), 0xE3069283u, hw ? "crc32c check value, crc32 instruction" : "crc32c check value, table");
		CHECK_EQ(mm_crc32c(0, "", 0), 0u, "crc32c of nothing is 0");
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 4096; len += (len < 80 ? 1 : 61))
		{
			uint32_t	t,
						h,
						hc;
			size_t		cut = len / 3;

			mm_crc32c_hw = 0;
			t = mm_crc32c(0, buf + off, len);
			mm_crc32c_hw = 1;
			h = mm_crc32c(0, buf + off, len);
			hc = mm_crc32c(mm_crc32c(0, buf + off, cut), buf + off + cut, len - cut);
			bad_len += t != h;
			bad_chain += hc != t;
		}
	mm_crc32c_hw = saved;
	CHECK_EQ(bad_len, 0, "crc32c: the crc32 instruction equals the table for lengths 0-4096 at 8 alignments");
	CHECK_EQ(bad_chain, 0, "crc32c: chained calls equal one call");
	printf("# crc32 instruction %s\n", modes ? "available and compared" : "not available: the table ran twice");
}

/*
 * The signature section: attach keeps every byte of the unsigned model, the signed message
 * gives them back exactly (with the key in front), and a malformed section is corrupt.
 */
static void
test_signature_section(void)
{
	mm_model	m = model_linreg_full();
	uint8_t		pub[MM_SIG_PUBKEY_LEN],
				sig[MM_SIG_LEN];
	size_t		ulen = 0,
				slen,
				mlen;
	uint8_t    *u = encode(&m, &ulen, "signature: unsigned model");
	uint8_t    *s,
			   *msg,
			   *bad;
	mm_model   *d = NULL,
			   *du = NULL;
	mm_err		err = {0};
	int			refused = 0;

	if (!u)
		return;
	for (int i = 0; i < MM_SIG_PUBKEY_LEN; i++)
		pub[i] = (uint8_t) (i * 7 + 1);
	for (int i = 0; i < MM_SIG_LEN; i++)
		sig[i] = (uint8_t) (255 - i);
	slen = ulen + 8 + MM_SIG_SECTION_LEN;
	s = unit_alloc.alloc(unit_alloc.ctx, slen + 8 + MM_SIG_SECTION_LEN);
	mm_model_attach_signature(u, ulen, pub, sig, s);
	CHECK_STATUS(mm_model_decode(s, slen, &unit_alloc, &d, &err), MM_OK, &err, "signature: a signed model decodes");
	if (!d)
		return;
	CHECK(d->signature == s + ulen + 8, "signature: the section is found, last");
	CHECK(memcmp(d->signature, pub, MM_SIG_PUBKEY_LEN) == 0 &&
		  memcmp(d->signature + MM_SIG_PUBKEY_LEN, sig, MM_SIG_LEN) == 0, "signature: key and signature kept");
	CHECK_EQ(mm_load_u32(s + 24), mm_load_u32(u + 24) + 1, "signature: one more section in the header");
	CHECK(memcmp(s + MM_MODEL_HDRSZ, u + MM_MODEL_HDRSZ, ulen - MM_MODEL_HDRSZ) == 0,
		  "signature: the other sections are unchanged");

	mlen = mm_model_signed_size(d, slen);
	CHECK_EQ(mlen, MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN + ulen, "signature: signed message size");
	msg = unit_alloc.alloc(unit_alloc.ctx, mlen);
	mm_model_signed_message(d, s, slen, pub, msg);
	CHECK(memcmp(msg, MM_SIG_DOMAIN, MM_SIG_DOMAIN_LEN) == 0 &&
		  memcmp(msg + MM_SIG_DOMAIN_LEN, pub, MM_SIG_PUBKEY_LEN) == 0, "signature: message starts with domain and key");
	CHECK(memcmp(msg + MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN, u, ulen) == 0,
		  "signature: the message holds the unsigned model byte for byte");
	CHECK_STATUS(mm_model_decode(u, ulen, &unit_alloc, &du, &err), MM_OK, &err, "signature: unsigned decodes");
	if (du)
	{
		CHECK(du->signature == NULL, "signature: an unsigned model has none");
		CHECK_EQ(mm_model_signed_size(du, ulen), MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN + ulen,
				 "signature: an unsigned model's message is the model itself");
	}

	/* a second signature section: repeated */
	bad = unit_alloc.alloc(unit_alloc.ctx, slen + 8 + MM_SIG_SECTION_LEN);
	mm_model_attach_signature(s, slen, pub, sig, bad);
	CHECK_STATUS(mm_model_decode(bad, slen + 8 + MM_SIG_SECTION_LEN, &unit_alloc, &d, &err), MM_ECORRUPT, &err,
				 "signature: two signature sections are corrupt");
	/* a short section */
	bad = copy_of(s, slen, slen);
	put32(bad + ulen + 4, MM_SIG_SECTION_LEN - 1);
	reseal(bad, slen - 1);
	CHECK_STATUS(mm_model_decode(bad, slen - 1, &unit_alloc, &d, &err), MM_ECORRUPT, &err,
				 "signature: a 95-byte signature section is corrupt");
	/* a section after it */
	bad = copy_of(s, slen, slen + 8);
	memset(bad + slen, 0, 8);
	put16(bad + slen, MM_SEC_META);
	put32(bad + 24, mm_load_u32(bad + 24) + 1);
	reseal(bad, slen + 8);
	CHECK_STATUS(mm_model_decode(bad, slen + 8, &unit_alloc, &d, &err), MM_ECORRUPT, &err,
				 "signature: a section after the signature is corrupt");
	/* every truncation of a signed model is refused */
	for (size_t n = 0; n < slen; n++)
	{
		bad = copy_of(s, n, slen);
		if (n >= MM_MODEL_HDRSZ)
			reseal(bad, n);
		refused += mm_model_decode(bad, n, &unit_alloc, &d, &err) == MM_ECORRUPT;
	}
	CHECK_EQ(refused, slen, "signature: every truncation of a signed model is corrupt");
}

/* The inference section: round trip, its value rules, and a signed model keeps it before the signature. */
static void
test_inference_section(void)
{
	mm_model	m = model_linreg_full();
	size_t		ncoef = (size_t) m.n_outputs * (m.n_features + 1),
				len = 0,
				slen,
				off;
	double	   *se = unit_alloc.alloc(unit_alloc.ctx, ncoef * sizeof(double));
	uint8_t    *u,
			   *s,
			   *bad;
	mm_model   *d = NULL;
	mm_err		err = {0};
	uint8_t		pub[MM_SIG_PUBKEY_LEN] = {1},
				sig[MM_SIG_LEN] = {2};

	for (size_t i = 0; i < ncoef; i++)
		se[i] = 0.25 * (double) (i + 1);
	se[ncoef - 1] = NAN;		/* an aliased term */
	m.std_error = se;
	m.infer_kind = MM_INFER_T;
	m.infer_df = 17;
	round_trip(&m, "inference t");
	m.infer_kind = MM_INFER_Z;
	m.infer_flags = MM_INFER_PENALISED;
	m.infer_df = 0;
	round_trip(&m, "inference z, penalised");

	/* values the encoder refuses (and so never writes) */
	m.infer_df = 3;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: z with degrees of freedom is refused");
	m.infer_kind = MM_INFER_T;
	m.infer_df = 0;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: t without degrees of freedom is refused");
	m.infer_df = 5;
	se[0] = -1;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: a negative standard error is refused");
	se[0] = INFINITY;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: an infinite standard error is refused");
	se[0] = 0.5;
	m.infer_kind = 3;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: an unknown kind is refused");
	m.infer_kind = MM_INFER_T;
	m.infer_flags = 2;
	CHECK_EQ(mm_model_encoded_size(&m, &err), 0, "inference: unknown flags are refused");
	m.infer_flags = 0;

	/* the same rules at decode, on sealed bytes */
	u = encode(&m, &len, "inference: model");
	if (!u)
		return;
	off = section_offset(u, len, MM_SEC_INFERENCE);
	CHECK(off > 0, "inference: the section is written");
	bad = copy_of(u, len, len);
	memcpy(bad + off + 16, &(double) {-2.0}, 8);
	reseal(bad, len);
	expect_corrupt(bad, len, "inference: a negative standard error is corrupt");
	bad = copy_of(u, len, len);
	put32(bad + off + 8, 2);
	reseal(bad, len);
	expect_corrupt(bad, len, "inference: kind z with degrees of freedom is corrupt");
	bad = copy_of(u, len, len);
	put32(bad + off + 4, 16 + 8 * (uint32_t) ncoef - 8);
	put32(bad + 24, mm_load_u32(bad + 24));
	reseal(bad, len - 8);
	expect_corrupt(bad, len - 8, "inference: a short section is corrupt");

	/* signed: the signature stays last, after the inference section */
	slen = len + 8 + MM_SIG_SECTION_LEN;
	s = unit_alloc.alloc(unit_alloc.ctx, slen);
	mm_model_attach_signature(u, len, pub, sig, s);
	CHECK_STATUS(mm_model_decode(s, slen, &unit_alloc, &d, &err), MM_OK, &err,
				 "inference: a signed model with inference decodes");
	CHECK(d && d->std_error && d->signature == s + len + 8, "inference: kept, and the signature is last");
	/* the signature before the inference section is out of order */
	bad = copy_of(s, slen, slen);
	memcpy(bad + off, s + len, 8 + MM_SIG_SECTION_LEN);
	memcpy(bad + off + 8 + MM_SIG_SECTION_LEN, s + off, len - off);
	reseal(bad, slen);
	expect_corrupt(bad, slen, "inference: an inference section after the signature is corrupt");
}

int
main(void)
{
	test_names();
	test_round_trips();
	unit_arena_reset();
	test_encode_errors();
	test_truncation_and_flips();
	unit_arena_reset();
	test_header_corruptions();
	test_value_corruptions();
	test_null_err();
	test_out_of_memory();
	unit_arena_reset();
	test_scoring();
	test_crc32c();
	unit_arena_reset();
	test_signature_section();
	unit_arena_reset();
	test_inference_section();
	return unit_summary();
}
