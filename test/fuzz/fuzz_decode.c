/*
 * fuzz_decode.c: libFuzzer target for the model decoder and the least-squares state reader.
 *
 * Every input goes to both:
 *   - mm_model_decode, as it is and with its length and checksum fixed up (so mutations
 *     reach the section parsers behind the checksum); a model that decodes must re-encode to exactly the input bytes (without its
 *     signature section, which is never encoded),
 *     scoring a zero row (plus probabilities and the class index) must not fault, and its
 *     preprocessing section (mm_prep_decode), if it decodes, must re-encode to the same bytes
 *     and map every category into its block (the reference level to no feature);
 *   - mm_ls_validate; a valid state with a small d is solved (at the input's alignment),
 *     combined with itself into an aligned copy and solved again, and a solved model must
 *     survive an encode/decode round trip;
 *   - mm_sgd_validate; a valid SGD pass state with a small d takes a step on an aligned copy,
 *     is combined with the input, and finishes into a model that must encode;
 *   - the transition functions' entry checks, for every state format (least squares, SGD,
 *     describe, corr_matrix, spearman, pairwise corr_matrix, metrics): the O(1) check a transition runs on every row
 *     (mm_ls_check, mm_sgd_check, mm_ds_header_ok, mm_cr_header_ok, mm_sp_check, mm_pw_check, mm_mt_check_shape /
 *     mm_cm_memo_check) must pass every state the complete validation passes, and a state
 *     that passes it takes one row, as the transition would, on a copy of exactly its size at
 *     the binding's alignment (AddressSanitizer reports any access out of bounds); the
 *     complete validation (mm_ds_validate, mm_cr_validate, mm_mt_validate) runs on each.
 * Allocations come from a calloc arena freed after each input, so LeakSanitizer sees no leak.
 *
 * Build and run: make fuzz FUZZ_TIME=60 (see README.md here).
 */
#include "mm_linreg.h"
#include "mm_metrics.h"
#include "mm_stats.h"
#include "mm_rank.h"
#include "mm_model.h"
#include "mm_prep.h"
#include "mm_sgd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest d the target solves (O(d^3) plus a buffer of rows): keeps each input fast. */
#define FUZZ_MAX_SOLVE_D 64
/* Total bytes one input may allocate; beyond it the allocator fails (tests MM_ENOMEM paths). */
#define FUZZ_ARENA_LIMIT ((size_t) 64 << 20)

typedef struct arena_block
{
	struct arena_block *next;
	union
	{
		long double ld;
		void	   *p;
		long long	ll;
	}			data[];
} arena_block;

typedef struct arena
{
	arena_block *head;
	size_t		used;
} arena;

static void *
arena_alloc(void *ctx, size_t size)
{
	arena	   *a = (arena *) ctx;
	arena_block *b;

	if (size > FUZZ_ARENA_LIMIT - a->used)
		return NULL;
	b = calloc(1, sizeof(arena_block) + size);
	if (!b)
		return NULL;
	b->next = a->head;
	a->head = b;
	a->used += size;
	return b->data;
}

static void
arena_free(arena *a)
{
	while (a->head)
	{
		arena_block *n = a->head->next;

		free(a->head);
		a->head = n;
	}
	a->used = 0;
}

static void
fail(const char *what, const mm_err *err)
{
	fprintf(stderr, "fuzz_decode: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	abort();
}

/*
 * The raw-row preprocessing section (mm_prep): a payload that decodes re-encodes to the same
 * bytes, and every category maps into its block (the reference level, if any, to no feature).
 */
static void
check_inputs(const mm_model *m, const mm_alloc *al)
{
	mm_err		err = {0};
	mm_prep    *p = NULL;
	uint8_t    *buf;
	size_t		n;

	if (mm_prep_decode(m->inputs, m->inputs_len, m->n_features, al, &p, &err) != MM_OK)
	{
		if (err.status != MM_ECORRUPT && err.status != MM_ENOMEM)
			fail("preprocessing decode failed with an unexpected status", &err);
		return;
	}
	n = mm_prep_encoded_size(p);
	if (n != m->inputs_len || (buf = al->alloc(al->ctx, n)) == NULL)
	{
		if (n != m->inputs_len)
			fail("decoded preprocessing has a different encoded size", NULL);
		return;
	}
	if (mm_prep_encode(p, buf, n, &err) != MM_OK)
		fail("decoded preprocessing does not re-encode", &err);
	if (memcmp(buf, m->inputs, n) != 0)
		fail("re-encoded preprocessing differs from its input", NULL);
	for (uint32_t i = 0; i < p->ninputs; i++)
	{
		const mm_input *in = &p->in[i];
		uint32_t	none = 0;

		if (in->kind != MM_IN_CATEGORY)
			continue;
		for (uint32_t k = 0; k < in->ncats; k++)
		{
			int32_t		slot = mm_prep_category_slot(in, (int32_t) k);

			if (slot < 0)
				none++;
			else if ((uint32_t) slot >= in->width)
				fail("a category maps past its block", NULL);
		}
		if (none != (in->ref >= 0 ? 1u : 0u))
			fail("a category block maps the wrong number of levels to no feature", NULL);
		if (mm_prep_category(in, in->cats[0], strlen(in->cats[0])) != 0)
			fail("the first category is not found", NULL);
	}
}

/* A model that decodes must re-encode to the same bytes and score without faulting. */
static void
check_model(const uint8_t *data, size_t size, const mm_alloc *al, mm_model *m)
{
	mm_err		err = {0};
	size_t		n = mm_model_encoded_size(m, &err);
	uint8_t    *buf;
	double	   *x,
			   *scores,
			   *proba;
	uint32_t	k;

	if (m->signature)
	{
		/* the signature is never encoded: the model re-encodes to its signed message's body */
		size_t		mlen = mm_model_signed_size(m, size);
		uint8_t    *msg = al->alloc(al->ctx, mlen);

		if (!msg)
			return;
		mm_model_signed_message(m, data, size, m->signature, msg);
		data = msg + MM_SIG_DOMAIN_LEN + MM_SIG_PUBKEY_LEN;
		size = mlen - MM_SIG_DOMAIN_LEN - MM_SIG_PUBKEY_LEN;
	}
	if (n != size)
		fail("decoded model has a different encoded size", &err);
	buf = al->alloc(al->ctx, n);
	if (!buf)
		return;
	if (mm_model_encode(m, buf, n, &err) != MM_OK)
		fail("decoded model does not re-encode", &err);
	if (memcmp(buf, data, size) != 0)
		fail("re-encoded model differs from its input", NULL);

	if (m->inputs_len)
		check_inputs(m, al);

	x = mm_alloc_array(al, m->n_features, sizeof(double));
	scores = mm_alloc_array(al, m->n_outputs, sizeof(double));
	proba = mm_alloc_array(al, m->n_classes + 1, sizeof(double));
	if (!x || !scores || !proba)
		return;
	mm_model_scores(m, x, scores);
	for (uint32_t i = 0; i < m->n_outputs; i++)
		if (!mm_isfinite(scores[i]))
			fail("a valid model scores a zero row as non-finite", NULL);
	if (mm_algorithm_is_classifier(m->algorithm))
	{
		mm_model_proba(m, scores, proba);
		k = mm_model_class_index(m, scores);
		if (k >= m->n_classes)
			fail("class index out of range", NULL);
		(void) m->class_names[k][0];
	}
}

/* Solves a state and round-trips the model it yields. */
static void
solve_state(const uint8_t *st, size_t size, const mm_alloc *al)
{
	mm_err		err = {0};
	mm_model   *m = NULL,
			   *back = NULL;
	size_t		n;
	uint8_t    *buf;

	if (mm_ls_solve(st, size, al, &m, &err) != MM_OK)
	{
		if (m != NULL)
			fail("failed solve returned a model", &err);
		return;
	}
	n = mm_model_encoded_size(m, &err);
	if (n == 0)
		fail("solved model does not encode", &err);
	buf = al->alloc(al->ctx, n);
	if (!buf)
		return;
	if (mm_model_encode(m, buf, n, &err) != MM_OK)
		fail("solved model does not encode", &err);
	if (mm_model_decode(buf, n, al, &back, &err) != MM_OK)
		fail("solved model does not decode", &err);
}

static void
check_state(const uint8_t *data, size_t size, const mm_alloc *al)
{
	mm_err		err = {0};
	uint8_t    *base,
			   *copy;
	mm_ls_view	v;
	uint64_t	rows;

	if (mm_ls_validate(data, size, &err) != MM_OK)
		return;
	/* the header's d (offset 8); the validated size already bounds it */
	if (mm_load_u32(data + 8) > FUZZ_MAX_SOLVE_D)
		return;
	solve_state(data, size, al);

	/* combine the state with itself into an aligned copy (4 bytes past 8, as behind a varlena) */
	base = al->alloc(al->ctx, size + 8);
	if (!base)
		return;
	copy = base + 4;
	memcpy(copy, data, size);
	mm_ls_map(copy, &v);
	rows = mm_ls_rows(copy);
	if (mm_ls_combine(copy, &v, data, size, &err) != MM_OK)
		fail("a state does not combine with itself", &err);
	if (mm_ls_check(copy, size, &err) != MM_OK)
		fail("combine produced an invalid state", &err);
	/* sums of huge finite values may overflow: the complete validation then refuses the state */
	if (mm_ls_validate(copy, size, &err) != MM_OK)
		return;
	if (mm_ls_rows(copy) != 2 * rows)
		fail("combine lost rows", NULL);
	solve_state(copy, size, al);
}

static void
check_sgd_state(const uint8_t *data, size_t size, const mm_alloc *al)
{
	mm_err		err = {0};
	uint8_t    *base,
			   *st;
	mm_sgd_view v;
	mm_model   *m = NULL;
	double		x[FUZZ_MAX_SOLVE_D] = {0};
	mm_status	rc;

	if (mm_sgd_validate(data, size, &err) != MM_OK)
		return;
	/* bound the work: d at offset 8, outputs at 12 (the validated size already bounds both) */
	if (mm_load_u32(data + 8) > FUZZ_MAX_SOLVE_D || mm_load_u32(data + 12) > 64)
		return;
	/* an aligned copy, as the aggregate and train() keep a state */
	base = al->alloc(al->ctx, size + 16);
	if (!base)
		return;
	st = base + ((8 - ((uintptr_t) base + MM_SGD_HDRSZ) % 8) % 8);
	memcpy(st, data, size);
	mm_sgd_map(st, &v);
	for (uint32_t j = 0; j < v.d; j++)
		x[j] = (double) (j % 5) - 2.0;
	mm_sgd_step(&v, x, 0, 0.5);
	if (mm_sgd_validate(st, size, &err) != MM_OK && err.status != MM_ECORRUPT)
		fail("a step left a state that fails validation oddly", &err);
	if (mm_sgd_validate(st, size, &err) == MM_OK &&
		mm_sgd_combine(&v, data, size, &err) != MM_OK && err.status != MM_EMISMATCH)
		fail("a state does not combine with its own input", &err);
	rc = mm_sgd_finish(st, size, al, &m, &err);
	if (rc == MM_OK)
	{
		if (!m || mm_model_encoded_size(m, &err) == 0)
			fail("a finished pass gives a model that does not encode", &err);
	}
	else if (rc != MM_ECORRUPT && rc != MM_EDATA && rc != MM_ENOMEM)
		fail("finish failed with an unexpected status", &err);
}

/*
 * A copy of exactly size bytes placed as the binding keeps a state behind a 4-byte varlena
 * header: the payload after hdrsz header bytes 8-byte aligned (the arena's blocks are 16-byte
 * aligned and the copy ends where its block does, so ASan sees one byte past it).
 */
static uint8_t *
binding_copy(const uint8_t *data, size_t size, size_t hdrsz, const mm_alloc *al)
{
	size_t		pad = (8 - hdrsz % 8) % 8;
	uint8_t    *base = al->alloc(al->ctx, size + pad);

	if (!base)
		return NULL;
	memcpy(base + pad, data, size);
	return base + pad;
}

static double *
fuzz_row(uint32_t d, const mm_alloc *al)
{
	double	   *x = mm_alloc_array(al, d ? d : 1, sizeof(double));

	if (x)
		for (uint32_t j = 0; j < d; j++)
			x[j] = (double) (j % 7) - 3.0;
	return x;
}

/* The transitions' entry checks, every state format (see the header comment). */
static void
check_entry_points(const uint8_t *data, size_t size, const mm_alloc *al)
{
	mm_err		err = {0};
	uint8_t    *st;
	double	   *x;
	int			full;

	/* linreg_fit_sfunc */
	full = mm_ls_validate(data, size, &err) == MM_OK;
	if (mm_ls_check(data, size, &err) != MM_OK)
	{
		if (full)
			fail("a valid least-squares state fails the row check", &err);
	}
	else if ((st = binding_copy(data, size, MM_LS_HDRSZ, al)) != NULL)
	{
		mm_ls_view	v;

		mm_ls_map(st, &v);
		if ((x = fuzz_row(v.d, al)) != NULL)
			mm_ls_add(st, &v, x, 1.0);
	}

	/* sgd_epoch_sfunc (a step of a state that passes only the row check, too) */
	full = mm_sgd_validate(data, size, &err) == MM_OK;
	if (mm_sgd_check(data, size, &err) != MM_OK)
	{
		if (full)
			fail("a valid sgd_epoch state fails the row check", &err);
	}
	else if (mm_load_u32(data + 8) <= FUZZ_MAX_SOLVE_D && mm_load_u32(data + 12) <= 64 &&
			 (st = binding_copy(data, size, MM_SGD_HDRSZ, al)) != NULL)
	{
		mm_sgd_view v;

		mm_sgd_map(st, &v);
		if ((x = fuzz_row(v.d, al)) != NULL)
		{
			int32_t		cls = mm_sgd_class_of(&v, v.ncls ? v.cv[0] : 0.5);

			mm_sgd_step(&v, x, cls < 0 ? 0 : cls, v.ncls ? v.cv[0] : 0.5);
		}
	}

	/* describe_sfunc */
	full = mm_ds_validate(data, size, &err) == MM_OK;
	if (!mm_ds_header_ok(data, size))
	{
		if (full)
			fail("a valid describe state fails the row check", NULL);
	}
	else if ((st = binding_copy(data, size, MM_DS_HDRSZ, al)) != NULL)
	{
		mm_ds_view	v;

		if (!mm_ds_open(st, size, &v))
			fail("a describe state passes the row check but does not open", NULL);
		mm_ds_add_null_rows(st, &v, 1);
		/* the transition grows the state first when it has to (here: adds only when it has room) */
		if (v.d > 0)
		{
			mm_ds_caps	caps;

			if (!mm_ds_need(&v, NULL, &caps) && (x = fuzz_row(v.d, al)) != NULL)
				mm_ds_add(st, &v, x, NULL);
		}
	}

	/* corr_matrix_sfunc */
	full = mm_cr_validate(data, size, &err) == MM_OK;
	if (!mm_cr_header_ok(data, size))
	{
		if (full)
			fail("a valid corr_matrix state fails the row check", NULL);
	}
	else if ((st = binding_copy(data, size, MM_CR_HDRSZ, al)) != NULL)
	{
		mm_cr_view	v;

		mm_cr_map(st, &v);
		if ((x = fuzz_row(v.d, al)) != NULL)
			mm_cr_add(st, &v, x);
	}

	/* spearman_sfunc / spearman_final */
	full = mm_sp_validate(data, size, &err) == MM_OK;
	if (mm_sp_check(data, size, &err) != MM_OK)
	{
		if (full)
			fail("a valid spearman state fails the row check", NULL);
	}
	else if ((st = binding_copy(data, size, MM_SP_HDRSZ, al)) != NULL)
	{
		double		rho;
		int			isnull;

		mm_sp_skip(st);
		(void) mm_sp_add(st, 0.5, -1.0);
		if (full && mm_sp_rows(data) <= 4096)
			(void) mm_sp_rho(data, al, &rho, &isnull, &err);
	}

	/* corr_matrix(x, options): the pairwise state */
	full = mm_pw_validate(data, size, &err) == MM_OK;
	if (mm_pw_check(data, size, &err) != MM_OK)
	{
		if (full)
			fail("a valid pairwise corr_matrix state fails the row check", NULL);
	}
	else if ((st = binding_copy(data, size, MM_PW_HDRSZ, al)) != NULL)
	{
		uint32_t	d = mm_pw_dims(st);
		uint8_t    *present = mm_alloc_array(al, d, 1);
		double	   *r;

		if ((x = fuzz_row(d, al)) != NULL && present)
		{
			for (uint32_t i = 0; i < d; i++)
				present[i] = (uint8_t) (i % 3 != 1);
			mm_pw_add(st, x, present);
		}
		if (full && d <= 64)
		{
			(void) mm_pw_matrix(data, al, &r, &err);
			if (mm_pw_merge(st, size, data, size, &err) != MM_OK)
				fail("a pairwise state does not merge with itself", NULL);
		}
	}

	/* the metrics' transitions (class, pairs and moments families) */
	full = mm_mt_validate(data, size, &err) == MM_OK;
	if (mm_mt_check_shape(data, size, 0, -1, &err) != MM_OK)
	{
		if (full)
			fail("a valid metric state fails the row check", &err);
	}
	else if ((st = binding_copy(data, size, 4, al)) != NULL)
	{
		mm_mt_info info;

		mm_mt_info_read(st, &info);
		mm_mt_skip(st);
		if (info.family == MM_MF_CLASS)
		{
			mm_cm_memo memo;
			int			text = (info.flags & MM_MT_TEXT) != 0;

			memset(&memo, 0, sizeof(memo));
			if (mm_cm_memo_check(&memo, st, size, info.kind, text, &err) != MM_OK)
				fail("a metric state passes the shape check of any kind but not its own", &err);
			if (!mm_cm_memo_match(&memo, st, size))
				fail("a class state does not match its own memo", NULL);
			if (text)
				(void) mm_cm_add_text_memo(st, &memo, "a", 1, "b", 1);
			else
				(void) mm_cm_add_f64_memo(st, &memo, 1.0, 0.0);
		}
		else if (info.family == MM_MF_PAIRS)
			(void) mm_pairs_add(st, 0.5, 1);
		else if (info.kind == MM_MK_LOG_LOSS)
			mm_logloss_add(st, 0.5, 1);
		else
			mm_moments_add(st, 1.0, 2.0);
	}
}

static void
decode_model(const uint8_t *data, size_t size, const mm_alloc *al)
{
	mm_err		err = {0};
	mm_model   *m = NULL;

	if (mm_model_decode(data, size, al, &m, &err) == MM_OK)
	{
		if (!m)
			fail("decode succeeded without a model", NULL);
		check_model(data, size, al, m);
	}
	else if (m != NULL)
		fail("failed decode returned a model", &err);
	else if (err.status != MM_ECORRUPT && err.status != MM_ENOMEM)
		fail("decode failed with an unexpected status", &err);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena		ar = {NULL, 0};
	mm_alloc	al = {arena_alloc, &ar};
	uint8_t    *sealed;

	decode_model(data, size, &al);

	/*
	 * The checksum stops almost every mutation at the door. Decode a copy with the length
	 * and checksum fixed up as well, so the fuzzer reaches the section parsers behind it.
	 */
	if (size >= MM_MODEL_HDRSZ && size <= UINT32_MAX && (sealed = al.alloc(al.ctx, size)) != NULL)
	{
		mm_writer	w = {sealed, 32, MM_MODEL_HDRSZ};
		uint32_t	crc;

		memcpy(sealed, data, size);
		mm_put_u32(&w, (uint32_t) size);
		crc = mm_crc32c(0, sealed, MM_MODEL_CRC_OFFSET);
		crc = mm_crc32c(crc, sealed + MM_MODEL_HDRSZ, size - MM_MODEL_HDRSZ);
		mm_put_u32(&w, crc);
		decode_model(sealed, size, &al);
	}
	check_state(data, size, &al);
	check_sgd_state(data, size, &al);
	check_entry_points(data, size, &al);
	arena_free(&ar);
	return 0;
}
