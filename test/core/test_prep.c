/*
 * test_prep.c: unit tests for mm_prep.c: a version 1 payload written byte by byte (full one-hot,
 * as every model without a reference level has) decodes with no reference and re-encodes to the
 * same bytes; reference levels round-trip as version 2; category slots skip the reference; and
 * malformed flags, references and versions are refused as corrupt.
 */
#include "mm_prep.h"
#include "unit.h"

#include <stdint.h>

static size_t
put_str(uint8_t *b, size_t o, const char *s)
{
	mm_writer	w = {b + o, 0, 4 + strlen(s)};

	mm_put_u32(&w, (uint32_t) strlen(s));
	mm_put_bytes(&w, s, strlen(s));
	return o + w.len;
}

static size_t
put_u32(uint8_t *b, size_t o, uint32_t v)
{
	mm_writer	w = {b + o, 0, 4};

	mm_put_u32(&w, v);
	return o + 4;
}

static size_t
put_f64(uint8_t *b, size_t o, double v)
{
	mm_writer	w = {b + o, 0, 8};

	mm_put_f64(&w, v);
	return o + 8;
}

/*
 * x (number, fill 2.5), g (categories a, b, c), in the given version, with kind word gkind for g,
 * g's width gwidth, and (ref >= 0) a reference index after g's categories.
 */
static size_t
payload(uint8_t *b, uint32_t version, uint32_t gkind, uint32_t gwidth, int64_t ref)
{
	size_t		o = 0;

	o = put_u32(b, o, version);
	o = put_u32(b, o, 2);
	o = put_str(b, o, "x");
	o = put_u32(b, o, MM_IN_NUMBER);
	o = put_u32(b, o, 1);
	o = put_f64(b, o, 2.5);
	o = put_u32(b, o, 0);
	o = put_str(b, o, "g");
	o = put_u32(b, o, gkind);
	o = put_u32(b, o, gwidth);
	o = put_f64(b, o, 0);
	o = put_u32(b, o, 3);
	o = put_str(b, o, "a");
	o = put_str(b, o, "b");
	o = put_str(b, o, "c");
	if (ref >= 0)
		o = put_u32(b, o, (uint32_t) ref);
	return o;
}

static int
decodes(const uint8_t *b, size_t n, uint32_t nf, mm_prep **p)
{
	mm_err		err = {0};
	mm_status	st = mm_prep_decode(b, n, nf, &unit_alloc, p, &err);

	if (st != MM_OK && st != MM_ECORRUPT)
		printf("# unexpected status %d: %s\n", st, err.msg);
	return st == MM_OK;
}

static int
reencodes(const mm_prep *p, const uint8_t *b, size_t n)
{
	mm_err		err = {0};
	uint8_t		out[256];
	size_t		size = mm_prep_encoded_size(p);

	if (size != n || size > sizeof(out) || mm_prep_encode(p, out, size, &err) != MM_OK)
		return 0;
	return memcmp(out, b, n) == 0;
}

int
main(void)
{
	uint8_t		b[256];
	size_t		n;
	mm_prep    *p = NULL;
	const uint32_t ref_kind = MM_IN_CATEGORY | (MM_PREP_FLAG_REFERENCE << 8);

	/* version 1: full one-hot */
	n = payload(b, 1, MM_IN_CATEGORY, 3, -1);
	CHECK(decodes(b, n, 4, &p), "a version 1 payload decodes");
	CHECK(p->in[0].ref == -1 && p->in[1].ref == -1, "version 1: no reference level");
	CHECK(p->in[1].width == 3 && p->in[1].ncats == 3, "version 1: one feature per category");
	CHECK(mm_prep_category_slot(&p->in[1], 0) == 0 && mm_prep_category_slot(&p->in[1], 2) == 2 &&
		  mm_prep_category_slot(&p->in[1], -1) == -1, "version 1: category k is feature k, unseen none");
	CHECK(reencodes(p, b, n), "version 1 re-encodes to the same bytes");

	/* version 2: reference level b (index 1) */
	n = payload(b, 2, ref_kind, 2, 1);
	CHECK(decodes(b, n, 3, &p), "a version 2 payload with a reference decodes");
	CHECK(p->in[1].ref == 1 && p->in[1].width == 2 && p->in[1].ncats == 3, "version 2: reference b, two features");
	CHECK(mm_prep_category_slot(&p->in[1], 0) == 0 && mm_prep_category_slot(&p->in[1], 1) == -1 &&
		  mm_prep_category_slot(&p->in[1], 2) == 1, "version 2: a -> 0, b (reference) -> none, c -> 1");
	CHECK(p->in[0].ref == -1, "version 2: the number has no reference");
	CHECK(reencodes(p, b, n), "version 2 re-encodes to the same bytes");

	/* the encoder picks the version */
	n = payload(b, 1, MM_IN_CATEGORY, 3, -1);
	CHECK(decodes(b, n, 4, &p), "decoded again");
	p->in[1].ref = 0;
	p->in[1].width = 2;
	n = payload(b, 2, ref_kind, 2, 0);
	CHECK(reencodes(p, b, n), "a reference level makes the encoder write version 2");
	{
		mm_err		err = {0};
		uint8_t		out[256];

		p->in[1].width = 3;
		CHECK(mm_prep_encode(p, out, mm_prep_encoded_size(p), &err) == MM_EINVAL,
			  "the encoder refuses a reference with the full width");
	}

	/* corrupt payloads */
	n = payload(b, 1, ref_kind, 2, 1);
	CHECK(!decodes(b, n, 3, &p), "version 1 with the reference flag is corrupt");
	n = payload(b, 2, MM_IN_CATEGORY, 3, -1);
	CHECK(!decodes(b, n, 4, &p), "version 2 without any reference is corrupt");
	n = payload(b, 2, ref_kind, 2, 3);
	CHECK(!decodes(b, n, 3, &p), "a reference index past the categories is corrupt");
	n = payload(b, 2, ref_kind, 3, 1);
	CHECK(!decodes(b, n, 4, &p), "a reference with the full width is corrupt");
	n = payload(b, 2, MM_IN_CATEGORY | (0x02 << 8), 3, -1);
	CHECK(!decodes(b, n, 4, &p), "an unknown flag is corrupt");
	n = payload(b, 1, MM_IN_CATEGORY | (1u << 16), 3, -1);
	CHECK(!decodes(b, n, 4, &p), "a nonzero reserved byte is corrupt");
	n = payload(b, 3, ref_kind, 2, 1);
	CHECK(!decodes(b, n, 3, &p), "version 3 is not supported");
	n = payload(b, 2, ref_kind, 2, 1);
	CHECK(!decodes(b, n - 1, 3, &p), "a truncated reference is corrupt");
	/* the number input carrying the flag */
	n = payload(b, 2, ref_kind, 2, 1);
	b[4 + 4 + 4 + 1 + 1] = MM_PREP_FLAG_REFERENCE;	/* x's flags byte */
	CHECK(!decodes(b, n, 3, &p), "a reference flag on a number is corrupt");
	/* every truncation of a valid version 2 payload */
	{
		int			all = 1;

		n = payload(b, 2, ref_kind, 2, 1);
		for (size_t k = 0; k < n; k++)
			all &= !decodes(b, k, 3, &p);
		CHECK(all, "every truncation of a version 2 payload is refused");
	}
	return unit_summary();
}
