/*
 * mm_prep.c: encode and validate the raw-row preprocessing section of a model.
 */
#include "mm_prep.h"

#include <math.h>
#include <string.h>

#define MM_PREP_MAX_NAME 4096

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int			c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

size_t
mm_prep_encoded_size(const mm_prep *p)
{
	size_t		s = 8;

	for (uint32_t i = 0; i < p->ninputs; i++)
	{
		const mm_input *in = &p->in[i];

		s += 4 + strlen(in->name) + 4 + 4 + 8 + 4;
		for (uint32_t k = 0; k < in->ncats; k++)
			s += 4 + strlen(in->cats[k]);
		if (in->kind == MM_IN_CATEGORY && in->ref >= 0)
			s += 4;
	}
	return s;
}

mm_status
mm_prep_encode(const mm_prep *p, uint8_t *buf, size_t size, mm_err *err)
{
	mm_writer	w = {buf, 0, size};
	uint32_t	version = MM_PREP_VERSION;

	for (uint32_t i = 0; i < p->ninputs; i++)
		if (p->in[i].kind == MM_IN_CATEGORY && p->in[i].ref >= 0)
		{
			if ((uint32_t) p->in[i].ref >= p->in[i].ncats || p->in[i].ncats < 2 || p->in[i].width != p->in[i].ncats - 1)
				return mm_fail(err, MM_EINVAL, "internal error: input %u has a bad reference category", i);
			version = MM_PREP_VERSION_REF;
		}
	mm_put_u32(&w, version);
	mm_put_u32(&w, p->ninputs);
	for (uint32_t i = 0; i < p->ninputs; i++)
	{
		const mm_input *in = &p->in[i];
		size_t		l = strlen(in->name);
		int			has_ref = in->kind == MM_IN_CATEGORY && in->ref >= 0;

		mm_put_u32(&w, (uint32_t) l);
		mm_put_bytes(&w, in->name, l);
		/* kind byte, flags byte, two zero bytes */
		mm_put_u32(&w, (uint32_t) in->kind | (has_ref ? (uint32_t) MM_PREP_FLAG_REFERENCE << 8 : 0));
		mm_put_u32(&w, in->width);
		mm_put_f64(&w, in->fill);
		mm_put_u32(&w, in->ncats);
		for (uint32_t k = 0; k < in->ncats; k++)
		{
			size_t		cl = strlen(in->cats[k]);

			mm_put_u32(&w, (uint32_t) cl);
			mm_put_bytes(&w, in->cats[k], cl);
		}
		if (has_ref)
			mm_put_u32(&w, (uint32_t) in->ref);
	}
	if (w.len != size)
		return mm_fail(err, MM_EINVAL, "internal error: preprocessing encoded to %zu of %zu bytes", w.len, size);
	return MM_OK;
}

static mm_status
get_str(mm_reader *r, const mm_alloc *a, char **out, mm_err *err)
{
	uint32_t	l = mm_get_u32(r);
	const uint8_t *b;

	if (!r->ok || l > MM_PREP_MAX_NAME)
		return mm_fail(err, MM_ECORRUPT, "preprocessing section: bad string length");
	b = mm_get_bytes(r, l);
	if (!b || memchr(b, 0, l))
		return mm_fail(err, MM_ECORRUPT, "preprocessing section: bad string");
	*out = a->alloc(a->ctx, (size_t) l + 1);
	if (!*out)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	memcpy(*out, b, l);
	(*out)[l] = '\0';
	return MM_OK;
}

mm_status
mm_prep_decode(const uint8_t *buf, size_t len, uint32_t n_features, const mm_alloc *a,
			   mm_prep **out, mm_err *err)
{
	mm_reader	r;
	mm_prep    *p;
	uint64_t	total = 0;
	mm_status	st;
	uint32_t	version;
	uint32_t	nref = 0;

	*out = NULL;
	mm_reader_init(&r, buf, len);
	version = mm_get_u32(&r);
	if (version != MM_PREP_VERSION && version != MM_PREP_VERSION_REF)
		return mm_fail(err, MM_ECORRUPT, "unsupported preprocessing section version");
	p = a->alloc(a->ctx, sizeof(mm_prep));
	if (!p)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	p->ninputs = mm_get_u32(&r);
	if (!r.ok || p->ninputs < 1 || p->ninputs > n_features)
		return mm_fail(err, MM_ECORRUPT, "preprocessing section: bad input count");
	p->in = mm_alloc_array(a, p->ninputs, sizeof(mm_input));
	if (!p->in)
		return mm_fail(err, MM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->ninputs; i++)
	{
		mm_input   *in = &p->in[i];
		uint32_t	kindw,
					kind,
					flags;
		int			has_ref;

		if ((st = get_str(&r, a, &in->name, err)) != MM_OK)
			return st;
		kindw = mm_get_u32(&r);
		kind = kindw & 0xff;
		flags = (kindw >> 8) & 0xff;
		has_ref = (flags & MM_PREP_FLAG_REFERENCE) != 0;
		in->kind = (int) kind;
		in->ref = -1;
		in->width = mm_get_u32(&r);
		in->fill = mm_get_f64(&r);
		in->ncats = mm_get_u32(&r);
		if (!r.ok || kind < MM_IN_NUMBER || kind > MM_IN_ARRAY || (kindw >> 16) != 0 ||
			(flags & ~(uint32_t) MM_PREP_FLAG_REFERENCE) != 0 || (has_ref && (version == MM_PREP_VERSION || kind != MM_IN_CATEGORY)) ||
			in->width < 1 || in->width > n_features)
			return mm_fail(err, MM_ECORRUPT, "preprocessing section: bad input %u", i);
		if ((in->kind == MM_IN_NUMBER && (in->width != 1 || in->ncats != 0)) ||
			(in->kind == MM_IN_CATEGORY && (in->ncats != in->width + (has_ref ? 1 : 0) || in->ncats > MM_PREP_MAX_CATEGORIES || in->fill != 0)) ||
			(in->kind == MM_IN_ARRAY && (in->ncats != 0 || in->fill != 0)) ||
			(!isnan(in->fill) && !mm_isfinite(in->fill)))
			return mm_fail(err, MM_ECORRUPT, "preprocessing section: inconsistent input %u", i);
		total += in->width;
		if (total > n_features)
			return mm_fail(err, MM_ECORRUPT, "preprocessing section: inputs yield more features than the model has");
		in->cats = in->ncats ? mm_alloc_array(a, in->ncats, sizeof(char *)) : NULL;
		if (in->ncats && !in->cats)
			return mm_fail(err, MM_ENOMEM, "out of memory");
		for (uint32_t k = 0; k < in->ncats; k++)
		{
			if ((st = get_str(&r, a, &in->cats[k], err)) != MM_OK)
				return st;
			if (k > 0 && cmp_bytes(in->cats[k - 1], strlen(in->cats[k - 1]), in->cats[k], strlen(in->cats[k])) >= 0)
				return mm_fail(err, MM_ECORRUPT, "preprocessing section: categories out of order");
		}
		if (has_ref)
		{
			uint32_t	ref = mm_get_u32(&r);

			if (!r.ok || ref >= in->ncats)
				return mm_fail(err, MM_ECORRUPT, "preprocessing section: bad reference category of input %u", i);
			in->ref = (int32_t) ref;
			nref++;
		}
	}
	if (version == MM_PREP_VERSION_REF && nref == 0)
		return mm_fail(err, MM_ECORRUPT, "preprocessing section: version 2 without a reference category");
	if (total != n_features)
		return mm_fail(err, MM_ECORRUPT, "preprocessing section yields %llu features, the model has %u",
					   (unsigned long long) total, n_features);
	if (r.pos != len)
		return mm_fail(err, MM_ECORRUPT, "preprocessing section has trailing bytes");
	*out = p;
	return MM_OK;
}

int32_t
mm_prep_category(const mm_input *in, const char *s, size_t n)
{
	uint32_t	lo = 0,
				hi = in->ncats;

	while (lo < hi)
	{
		uint32_t	mid = (lo + hi) / 2;
		int			c = cmp_bytes(in->cats[mid], strlen(in->cats[mid]), s, n);

		if (c == 0)
			return (int32_t) mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int32_t
mm_prep_category_slot(const mm_input *in, int32_t k)
{
	if (k < 0 || k == in->ref)
		return -1;
	return in->ref >= 0 && k > in->ref ? k - 1 : k;
}
