/*
 * mm_model.c: encode, validate and decode models; score rows with a decoded model.
 */
#include "mm_model.h"

#include <math.h>
#include <string.h>

#define MM_MAX_NAME_LEN 4096

static const char *const alg_names[] = {
	NULL, "linear_regression", "logistic_regression", "multinomial_logistic_regression", "svm"
};

int
mm_algorithm_is_classifier(int alg)
{
	return alg == MM_ALG_LOGREG || alg == MM_ALG_MULTINOMIAL || alg == MM_ALG_SVM;
}

const char *
mm_algorithm_name(int alg)
{
	return (alg >= 1 && alg <= MM_ALG_MAX) ? alg_names[alg] : "unknown";
}

int
mm_algorithm_from_name(const char *name)
{
	for (int i = 1; i <= MM_ALG_MAX; i++)
		if (strcmp(name, alg_names[i]) == 0)
			return i;
	return 0;
}

static size_t
names_size(char *const *names, uint32_t n)
{
	size_t		s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += 4 + strlen(names[i]);
	return s;
}

static int
names_ok(char *const *names, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (strlen(names[i]) > MM_MAX_NAME_LEN)
			return 0;
	return 1;
}

/* Coefficients folded with the scaler stay finite (a tiny scale could overflow them). */
static int
folds_finitely(const mm_model *m)
{
	uint32_t	d = m->n_features;

	for (uint32_t k = 0; m->mean && k < m->n_outputs; k++)
	{
		const double *c = m->coef + (size_t) k * (d + 1);
		double		b = c[0];

		for (uint32_t j = 0; j < d; j++)
		{
			double		e = c[j + 1] / m->scale[j];

			if (!mm_isfinite(e))
				return 0;
			b -= e * m->mean[j];
		}
		if (!mm_isfinite(b))
			return 0;
	}
	return 1;
}

/* The inference section's rules (see mm_model.h), shared by encode and decode. */
static mm_status
check_inference(uint32_t kind, uint32_t flags, double df, const double *se, size_t ncoef, mm_err *err)
{
	if (kind != MM_INFER_T && kind != MM_INFER_Z)
		return mm_fail(err, MM_EDATA, "inference kind %u is unknown", kind);
	if (flags & ~MM_INFER_PENALISED)
		return mm_fail(err, MM_EDATA, "unknown inference flags 0x%x", flags);
	if (kind == MM_INFER_T ? !(mm_isfinite(df) && df > 0) : df != 0)
		return mm_fail(err, MM_EDATA, "inference degrees of freedom %g do not fit its kind", df);
	for (size_t i = 0; i < ncoef; i++)
		if (!isnan(se[i]) && !(mm_isfinite(se[i]) && se[i] >= 0))
			return mm_fail(err, MM_EDATA, "standard error %zu is negative or infinite", i);
	return MM_OK;
}

/* Checks the values the decoder would reject, so encode never writes an unreadable model. */
static mm_status
check_values(const mm_model *m, mm_err *err)
{
	size_t		ncoef = (size_t) m->n_outputs * (m->n_features + 1);

	for (size_t i = 0; i < ncoef; i++)
		if (!mm_isfinite(m->coef[i]))
			return mm_fail(err, MM_EDATA, "model coefficient %zu is not finite", i);
	if (m->mean)
		for (uint32_t i = 0; i < m->n_features; i++)
			if (!mm_isfinite(m->mean[i]) || !mm_isfinite(m->scale[i]) || !(m->scale[i] > 0))
				return mm_fail(err, MM_EDATA, "scaler entry %u is not finite or its scale is not positive", i);
	if (!folds_finitely(m))
		return mm_fail(err, MM_EDATA, "model coefficients overflow when folded with the scaler");
	if (m->n_classes && !(m->flags & MM_FLAG_TEXT_LABELS))
		for (uint32_t i = 0; i < m->n_classes; i++)
			if (!m->class_values || !mm_isfinite(m->class_values[i]))
				return mm_fail(err, MM_EDATA, "numeric class %u has no finite value", i);
	if (m->std_error && check_inference(m->infer_kind, m->infer_flags, m->infer_df, m->std_error, ncoef, err) != MM_OK)
		return MM_EDATA;
	if (!names_ok(m->class_names, m->n_classes) ||
		(m->feature_names && !names_ok(m->feature_names, m->n_features)))
		return mm_fail(err, MM_EDATA, "a class or feature name is longer than %d bytes", MM_MAX_NAME_LEN);
	return MM_OK;
}

/* Checks the dimension rules shared by encode and decode. */
static mm_status
check_shape(uint16_t alg, uint32_t d, uint32_t nout, uint32_t ncls, mm_err *err)
{
	if (alg < 1 || alg > MM_ALG_MAX)
		return mm_fail(err, MM_ECORRUPT, "unknown algorithm code %u", alg);
	if (d < 1 || d > MM_MAX_FEATURES)
		return mm_fail(err, MM_ECORRUPT, "feature count %u out of range", d);
	if (ncls > MM_MAX_CLASSES)
		return mm_fail(err, MM_ECORRUPT, "class count %u out of range", ncls);
	switch (alg)
	{
		case MM_ALG_LINREG:
			if (nout != 1 || ncls != 0)
				return mm_fail(err, MM_ECORRUPT, "regression model with %u outputs and %u classes", nout, ncls);
			break;
		case MM_ALG_LOGREG:
		case MM_ALG_SVM:
			if (nout != 1 || ncls != 2)
				return mm_fail(err, MM_ECORRUPT, "binary model with %u outputs and %u classes", nout, ncls);
			break;
		case MM_ALG_MULTINOMIAL:
			if (ncls < 2 || nout != ncls)
				return mm_fail(err, MM_ECORRUPT, "multinomial model with %u outputs and %u classes", nout, ncls);
			break;
	}
	if ((size_t) nout * (d + 1) > MM_MAX_ALLOC / sizeof(double) / 4)
		return mm_fail(err, MM_ENOMEM, "model with %u outputs of %u features is too large", nout, d);
	return MM_OK;
}

size_t
mm_model_encoded_size(const mm_model *m, mm_err *err)
{
	size_t		s = MM_MODEL_HDRSZ;

	if (check_shape(m->algorithm, m->n_features, m->n_outputs, m->n_classes, err) != MM_OK)
		return 0;
	if ((m->n_classes > 0) != (m->class_names != NULL))
	{
		mm_fail(err, MM_EINVAL, "class names must be given exactly for classifiers");
		return 0;
	}
	if (check_values(m, err) != MM_OK)
		return 0;
	s += 8 + (size_t) m->n_outputs * (m->n_features + 1) * 8;
	if (m->mean)
		s += 8 + (size_t) 2 * m->n_features * 8;
	if (m->n_classes)
		s += 8 + (size_t) m->n_classes * 8 + names_size(m->class_names, m->n_classes);
	if (m->feature_names)
		s += 8 + names_size(m->feature_names, m->n_features);
	if (m->inputs_len)
		s += 8 + m->inputs_len;
	if (m->baseline_len)
		s += 8 + m->baseline_len;
	if (m->meta)
		s += 8 + strlen(m->meta);
	if (m->optim_len)
		s += 8 + m->optim_len;
	if (m->std_error)
		s += 8 + 16 + (size_t) m->n_outputs * (m->n_features + 1) * 8;
	if (s > MM_MAX_ALLOC)
	{
		mm_fail(err, MM_ENOMEM, "encoded model would take %zu bytes", s);
		return 0;
	}
	return s;
}

static void
put_section(mm_writer *w, uint16_t id, size_t len)
{
	mm_put_u16(w, id);
	mm_put_u16(w, 0);
	mm_put_u32(w, (uint32_t) len);
}

static void
put_names(mm_writer *w, char *const *names, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
	{
		size_t		l = strlen(names[i]);

		mm_put_u32(w, (uint32_t) l);
		mm_put_bytes(w, names[i], l);
	}
}

mm_status
mm_model_encode(const mm_model *m, uint8_t *buf, size_t size, mm_err *err)
{
	mm_writer	w = {buf, 0, size};
	uint32_t	nsec = 1;
	size_t		ncoef;
	uint32_t	crc;
	size_t		need = mm_model_encoded_size(m, err);

	if (need == 0)
		return err ? err->status : MM_EINVAL;
	if (need != size)
		return mm_fail(err, MM_EINVAL, "encode buffer has the wrong size");
	ncoef = (size_t) m->n_outputs * (m->n_features + 1);
	for (size_t i = 0; i < ncoef; i++)
		if (!mm_isfinite(m->coef[i]))
			return mm_fail(err, MM_EDATA, "model coefficient %zu is not finite", i);
	nsec += (m->mean != NULL) + (m->n_classes > 0) + (m->feature_names != NULL) +
		(m->inputs_len > 0) + (m->baseline_len > 0) + (m->meta != NULL) + (m->optim_len > 0) + (m->std_error != NULL);

	mm_put_u32(&w, MM_MODEL_MAGIC);
	mm_put_u16(&w, MM_MODEL_VERSION);
	mm_put_u16(&w, m->algorithm);
	mm_put_u32(&w, m->flags & MM_FLAG_ALL);
	mm_put_u32(&w, m->n_features);
	mm_put_u32(&w, m->n_outputs);
	mm_put_u32(&w, m->n_classes);
	mm_put_u32(&w, nsec);
	mm_put_u32(&w, 0);
	mm_put_u32(&w, (uint32_t) size);
	mm_put_u32(&w, 0);			/* checksum, filled below */

	put_section(&w, MM_SEC_COEF, ncoef * 8);
	mm_put_f64s(&w, m->coef, ncoef);
	if (m->mean)
	{
		put_section(&w, MM_SEC_SCALER, (size_t) 2 * m->n_features * 8);
		mm_put_f64s(&w, m->mean, m->n_features);
		mm_put_f64s(&w, m->scale, m->n_features);
	}
	if (m->n_classes)
	{
		put_section(&w, MM_SEC_CLASSES, (size_t) m->n_classes * 8 + names_size(m->class_names, m->n_classes));
		for (uint32_t i = 0; i < m->n_classes; i++)
		{
			size_t		l = strlen(m->class_names[i]);

			mm_put_f64(&w, m->class_values ? m->class_values[i] : NAN);
			mm_put_u32(&w, (uint32_t) l);
			mm_put_bytes(&w, m->class_names[i], l);
		}
	}
	if (m->feature_names)
	{
		put_section(&w, MM_SEC_FEATURES, names_size(m->feature_names, m->n_features));
		put_names(&w, m->feature_names, m->n_features);
	}
	if (m->inputs_len)
	{
		put_section(&w, MM_SEC_INPUTS, m->inputs_len);
		mm_put_bytes(&w, m->inputs, m->inputs_len);
	}
	if (m->baseline_len)
	{
		put_section(&w, MM_SEC_BASELINE, m->baseline_len);
		mm_put_bytes(&w, m->baseline, m->baseline_len);
	}
	if (m->meta)
	{
		size_t		l = strlen(m->meta);

		put_section(&w, MM_SEC_META, l);
		mm_put_bytes(&w, m->meta, l);
	}
	if (m->optim_len)
	{
		put_section(&w, MM_SEC_OPTIM, m->optim_len);
		mm_put_bytes(&w, m->optim, m->optim_len);
	}
	if (m->std_error)
	{
		put_section(&w, MM_SEC_INFERENCE, 16 + ncoef * 8);
		mm_put_u32(&w, m->infer_kind);
		mm_put_u32(&w, m->infer_flags);
		mm_put_f64(&w, m->infer_df);
		mm_put_f64s(&w, m->std_error, ncoef);
	}
	if (w.len != size)
		return mm_fail(err, MM_EINVAL, "internal error: encoded %zu of %zu bytes", w.len, size);
	crc = mm_crc32c(0, buf, MM_MODEL_CRC_OFFSET);
	crc = mm_crc32c(crc, buf + MM_MODEL_HDRSZ, size - MM_MODEL_HDRSZ);
	w.len = MM_MODEL_CRC_OFFSET;
	mm_put_u32(&w, crc);
	return MM_OK;
}

/* Reads n length-prefixed strings; each must be non-empty? no: may be empty, never contain NUL. */
static mm_status
get_name(mm_reader *r, const mm_alloc *a, char **out, mm_err *err)
{
	uint32_t	l = mm_get_u32(r);
	const uint8_t *b;

	if (!r->ok || l > MM_MAX_NAME_LEN)
		return mm_fail(err, MM_ECORRUPT, "bad name length");
	b = mm_get_bytes(r, l);
	if (!b || memchr(b, 0, l) != NULL)
		return mm_fail(err, MM_ECORRUPT, "bad name");
	*out = a->alloc(a->ctx, (size_t) l + 1);
	if (!*out)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	memcpy(*out, b, l);
	(*out)[l] = '\0';
	return MM_OK;
}

mm_status
mm_model_decode(const void *p, size_t len, const mm_alloc *a, mm_model **out, mm_err *err)
{
	mm_reader	r;
	mm_model   *m;
	uint32_t	magic,
				flags,
				nsec,
				reserved,
				total,
				crc,
				seen = 0,
				rank;
	uint16_t	version,
				alg;
	size_t		ncoef;
	mm_status	st;

	*out = NULL;
	if (len < MM_MODEL_HDRSZ)
		return mm_fail(err, MM_ECORRUPT, "model is %zu bytes, shorter than its %d-byte header", len, MM_MODEL_HDRSZ);
	mm_reader_init(&r, p, len);
	magic = mm_get_u32(&r);
	if (magic != MM_MODEL_MAGIC)
		return mm_fail(err, MM_ECORRUPT, "not a modelmgr model (bad magic number)");
	version = mm_get_u16(&r);
	if (version != MM_MODEL_VERSION)
		return mm_fail(err, MM_ECORRUPT, "unsupported model format version %u (this build reads version %d)",
					   version, MM_MODEL_VERSION);
	alg = mm_get_u16(&r);
	flags = mm_get_u32(&r);
	m = a->alloc(a->ctx, sizeof(mm_model));
	if (!m)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	m->algorithm = alg;
	m->flags = flags;
	m->n_features = mm_get_u32(&r);
	m->n_outputs = mm_get_u32(&r);
	m->n_classes = mm_get_u32(&r);
	nsec = mm_get_u32(&r);
	reserved = mm_get_u32(&r);
	total = mm_get_u32(&r);
	m->checksum = mm_get_u32(&r);
	if (total != len)
		return mm_fail(err, MM_ECORRUPT, "model length %zu does not match its header (%u)", len, total);
	crc = mm_crc32c(0, p, MM_MODEL_CRC_OFFSET);
	crc = mm_crc32c(crc, (const uint8_t *) p + MM_MODEL_HDRSZ, len - MM_MODEL_HDRSZ);
	if (crc != m->checksum)
		return mm_fail(err, MM_ECORRUPT, "model checksum mismatch");
	if (flags & ~MM_FLAG_ALL)
		return mm_fail(err, MM_ECORRUPT, "unknown model flags 0x%x", flags);
	if (reserved != 0)
		return mm_fail(err, MM_ECORRUPT, "reserved header field is not zero");
	if (check_shape(alg, m->n_features, m->n_outputs, m->n_classes, err) != MM_OK)
	{
		/* a shape too large to allocate is a corrupt model too; keep the message */
		if (err)
			err->status = MM_ECORRUPT;
		return MM_ECORRUPT;
	}
	if (nsec < 1 || nsec > MM_SEC_MAX)
		return mm_fail(err, MM_ECORRUPT, "section count %u out of range", nsec);

	ncoef = (size_t) m->n_outputs * (m->n_features + 1);
	for (uint32_t s = 0; s < nsec; s++)
	{
		uint16_t	id = mm_get_u16(&r);
		uint16_t	sflags = mm_get_u16(&r);
		uint32_t	slen = mm_get_u32(&r);
		mm_reader	sr;
		const uint8_t *payload;

		if (!r.ok)
			return mm_fail(err, MM_ECORRUPT, "model truncated in section header %u", s);
		if (id < 1 || id > MM_SEC_MAX || sflags != 0)
			return mm_fail(err, MM_ECORRUPT, "unknown section %u", id);
		/*
		 * ascending ids, each at most once, the signature last, as the encoder writes them: one
		 * encoding per model
		 */
		rank = id == MM_SEC_SIGNATURE ? MM_SEC_MAX + 1 : id;
		if (seen >> rank)
			return mm_fail(err, MM_ECORRUPT, "section %u is repeated or out of order", id);
		if (slen == 0 && id != MM_SEC_META)
			return mm_fail(err, MM_ECORRUPT, "section %u is empty", id);
		seen |= 1u << rank;
		payload = mm_get_bytes(&r, slen);
		if (!payload)
			return mm_fail(err, MM_ECORRUPT, "model truncated in section %u", id);
		mm_reader_init(&sr, payload, slen);

		switch (id)
		{
			case MM_SEC_COEF:
				if (slen != ncoef * 8)
					return mm_fail(err, MM_ECORRUPT, "coefficient section has %u bytes, expected %zu", slen, ncoef * 8);
				m->coef = mm_alloc_array(a, ncoef, sizeof(double));
				if (!m->coef)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				mm_get_f64s(&sr, m->coef, ncoef);
				for (size_t i = 0; i < ncoef; i++)
					if (!mm_isfinite(m->coef[i]))
						return mm_fail(err, MM_ECORRUPT, "coefficient %zu is not finite", i);
				break;
			case MM_SEC_SCALER:
				if (slen != (size_t) 2 * m->n_features * 8)
					return mm_fail(err, MM_ECORRUPT, "scaler section has the wrong size");
				m->mean = mm_alloc_array(a, (size_t) 2 * m->n_features, sizeof(double));
				if (!m->mean)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				m->scale = m->mean + m->n_features;
				mm_get_f64s(&sr, m->mean, (size_t) 2 * m->n_features);
				for (uint32_t i = 0; i < m->n_features; i++)
					if (!mm_isfinite(m->mean[i]) || !mm_isfinite(m->scale[i]) || !(m->scale[i] > 0))
						return mm_fail(err, MM_ECORRUPT, "scaler entry %u is invalid", i);
				break;
			case MM_SEC_CLASSES:
				m->class_values = mm_alloc_array(a, m->n_classes, sizeof(double));
				m->class_names = mm_alloc_array(a, m->n_classes, sizeof(char *));
				if (!m->class_values || !m->class_names)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				for (uint32_t i = 0; i < m->n_classes; i++)
				{
					m->class_values[i] = mm_get_f64(&sr);
					if ((st = get_name(&sr, a, &m->class_names[i], err)) != MM_OK)
						return st;
					if (!(flags & MM_FLAG_TEXT_LABELS) && !mm_isfinite(m->class_values[i]))
						return mm_fail(err, MM_ECORRUPT, "numeric class %u has no value", i);
				}
				if (sr.pos != slen)
					return mm_fail(err, MM_ECORRUPT, "class section has trailing bytes");
				break;
			case MM_SEC_FEATURES:
				m->feature_names = mm_alloc_array(a, m->n_features, sizeof(char *));
				if (!m->feature_names)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				for (uint32_t i = 0; i < m->n_features; i++)
					if ((st = get_name(&sr, a, &m->feature_names[i], err)) != MM_OK)
						return st;
				if (sr.pos != slen)
					return mm_fail(err, MM_ECORRUPT, "feature section has trailing bytes");
				break;
			case MM_SEC_INPUTS:
				m->inputs = payload;
				m->inputs_len = slen;
				break;
			case MM_SEC_BASELINE:
				m->baseline = payload;
				m->baseline_len = slen;
				break;
			case MM_SEC_OPTIM:
				m->optim = payload;
				m->optim_len = slen;
				break;
			case MM_SEC_INFERENCE:
				if (slen != 16 + ncoef * 8)
					return mm_fail(err, MM_ECORRUPT, "inference section has %u bytes, expected %zu", slen, 16 + ncoef * 8);
				m->infer_kind = mm_get_u32(&sr);
				m->infer_flags = mm_get_u32(&sr);
				m->infer_df = mm_get_f64(&sr);
				m->std_error = mm_alloc_array(a, ncoef, sizeof(double));
				if (!m->std_error)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				mm_get_f64s(&sr, m->std_error, ncoef);
				if (check_inference(m->infer_kind, m->infer_flags, m->infer_df, m->std_error, ncoef, err) != MM_OK)
				{
					if (err)
						err->status = MM_ECORRUPT;
					return MM_ECORRUPT;
				}
				break;
			case MM_SEC_SIGNATURE:
				/* ranked above every id, so the ordering rule above keeps it last */
				if (slen != MM_SIG_SECTION_LEN)
					return mm_fail(err, MM_ECORRUPT, "signature section has %u bytes, expected %d",
								   slen, MM_SIG_SECTION_LEN);
				m->signature = payload;
				break;
			case MM_SEC_META:
				if (memchr(payload, 0, slen) != NULL)
					return mm_fail(err, MM_ECORRUPT, "metadata contains a NUL byte");
				m->meta = a->alloc(a->ctx, (size_t) slen + 1);
				if (!m->meta)
					return mm_fail(err, MM_ENOMEM, "out of memory");
				memcpy(m->meta, payload, slen);
				m->meta[slen] = '\0';
				break;
		}
	}
	if (r.pos != len)
		return mm_fail(err, MM_ECORRUPT, "model has %zu trailing bytes", len - r.pos);
	if (!m->coef)
		return mm_fail(err, MM_ECORRUPT, "model has no coefficient section");
	if ((m->n_classes > 0) != (m->class_names != NULL))
		return mm_fail(err, MM_ECORRUPT, "class section missing or unexpected");
	m->eff = mm_alloc_array(a, ncoef, sizeof(double));
	if (!m->eff)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	mm_model_fold(m);
	for (size_t i = 0; i < ncoef; i++)
		if (!mm_isfinite(m->eff[i]))
			return mm_fail(err, MM_ECORRUPT, "model coefficients overflow when folded with the scaler");
	*out = m;
	return MM_OK;
}

size_t
mm_model_signed_size(const mm_model *m, size_t len)
{
	size_t		ulen = m->signature ? len - 8 - MM_SIG_SECTION_LEN : len;

	return MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN + ulen;
}

/* Rewrites the header of the n-byte model at u for n bytes and nsec sections, with its CRC. */
static void
reheader(uint8_t *u, size_t n, uint32_t nsec)
{
	uint32_t	crc;

	mm_store_u32(u + 24, nsec);
	mm_store_u32(u + 32, (uint32_t) n);
	crc = mm_crc32c(0, u, MM_MODEL_CRC_OFFSET);
	crc = mm_crc32c(crc, u + MM_MODEL_HDRSZ, n - MM_MODEL_HDRSZ);
	mm_store_u32(u + MM_MODEL_CRC_OFFSET, crc);
}

void
mm_model_signed_message(const mm_model *m, const void *p, size_t len,
						const uint8_t *pubkey, uint8_t *out)
{
	size_t		ulen = m->signature ? len - 8 - MM_SIG_SECTION_LEN : len;
	uint8_t    *u = out + MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN;

	memcpy(out, MM_SIG_DOMAIN, MM_SIG_DOMAIN_LEN);
	memcpy(out + MM_SIG_DOMAIN_LEN, pubkey, MM_SIG_PUBKEY_LEN);
	memcpy(u, p, ulen);
	if (m->signature)
		reheader(u, ulen, mm_load_u32(u + 24) - 1);
}

void
mm_model_attach_signature(const uint8_t *u, size_t ulen, const uint8_t *pubkey,
						  const uint8_t *sig, uint8_t *out)
{
	uint8_t    *q = out + ulen;

	memcpy(out, u, ulen);
	q[0] = MM_SEC_SIGNATURE;
	q[1] = q[2] = q[3] = 0;
	mm_store_u32(q + 4, MM_SIG_SECTION_LEN);
	memcpy(q + 8, pubkey, MM_SIG_PUBKEY_LEN);
	memcpy(q + 8 + MM_SIG_PUBKEY_LEN, sig, MM_SIG_LEN);
	reheader(out, ulen + 8 + MM_SIG_SECTION_LEN, mm_load_u32(out + 24) + 1);
}

void
mm_model_fold(mm_model *m)
{
	uint32_t	d = m->n_features;

	for (uint32_t k = 0; k < m->n_outputs; k++)
	{
		const double *c = m->coef + (size_t) k * (d + 1);
		double	   *e = m->eff + (size_t) k * (d + 1);
		double		b = c[0];

		for (uint32_t j = 0; j < d; j++)
		{
			if (m->mean)
			{
				e[j + 1] = c[j + 1] / m->scale[j];
				b -= e[j + 1] * m->mean[j];
			}
			else
				e[j + 1] = c[j + 1];
		}
		e[0] = b;
	}
}

void
mm_model_scores(const mm_model *m, const double *x, double *out)
{
	uint32_t	d = m->n_features;

	for (uint32_t k = 0; k < m->n_outputs; k++)
	{
		const double *e = m->eff + (size_t) k * (d + 1);
		double		s0 = 0,
					s1 = 0,
					s2 = 0,
					s3 = 0;
		uint32_t	j = 0;

		for (; j + 4 <= d; j += 4)
		{
			s0 += e[j + 1] * x[j];
			s1 += e[j + 2] * x[j + 1];
			s2 += e[j + 3] * x[j + 2];
			s3 += e[j + 4] * x[j + 3];
		}
		for (; j < d; j++)
			s0 += e[j + 1] * x[j];
		out[k] = e[0] + ((s0 + s1) + (s2 + s3));
	}
}

static double
sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double		ez = exp(z);

		return ez / (1.0 + ez);
	}
}

void
mm_model_proba(const mm_model *m, const double *scores, double *proba)
{
	switch (m->algorithm)
	{
		case MM_ALG_LOGREG:
			proba[1] = sigmoid(scores[0]);
			proba[0] = 1.0 - proba[1];
			break;
		case MM_ALG_SVM:
			proba[1] = scores[0] > 0 ? 1.0 : 0.0;
			proba[0] = 1.0 - proba[1];
			break;
		case MM_ALG_MULTINOMIAL:
			{
				double		mx = scores[0],
							sum = 0;

				for (uint32_t k = 1; k < m->n_classes; k++)
					if (scores[k] > mx)
						mx = scores[k];
				for (uint32_t k = 0; k < m->n_classes; k++)
				{
					proba[k] = exp(scores[k] - mx);
					sum += proba[k];
				}
				for (uint32_t k = 0; k < m->n_classes; k++)
					proba[k] /= sum;
			}
			break;
		default:
			break;
	}
}

uint32_t
mm_model_class_index(const mm_model *m, const double *scores)
{
	uint32_t	best = 0;

	if (m->algorithm != MM_ALG_MULTINOMIAL)
		return scores[0] > 0 ? 1 : 0;
	for (uint32_t k = 1; k < m->n_classes; k++)
		if (scores[k] > scores[best])
			best = k;
	return best;
}
