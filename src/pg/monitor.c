/*
 * monitor.c: drift baselines and PSI aggregates, and the SQL helpers behind evaluate(), drift()
 * and monitor() (sql/install/80_monitoring.sql).
 *
 * model_with_baseline(model, x): collects a bounded sample of the rows (bottom-k by a row hash,
 * so partial states merge exactly) and returns the model with its BASELINE section set.
 * drift_psi(model, x): counts the rows per baseline bin of each feature and returns per-feature
 * PSI. Both keep a bytea state, little-endian, with a magic/version header, read with memcpy.
 * A state that grows is rebuilt in the per-call context and returned (the executor copies it
 * into the aggregate context and frees the old one).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

#include "mm_drift.h"
#include "mm_pg.h"
#include "mm_prep.h"

/* ---- model_with_baseline: a bounded, mergeable sample of rows ---- */

#define SAMPLE_MAGIC	0x53424D4Du	/* "MMBS" */
#define SAMPLE_VERSION	1
#define SAMPLE_HDRSZ	40
#define SAMPLE_MAX_ROWS 20000
#define SAMPLE_MAX_BYTES (64 * 1024 * 1024)

/*
 * Sample state: u32 magic, u16 version, u16 reserved, u32 d, u32 cap, u32 count, u32 reserved,
 * u64 n_seen, u32 model_len, u32 model_crc (the model's stored checksum), then the model bytes,
 * then room record slots of (u64 priority, f64 x[d]); the first count are a max-heap on
 * priority, the rest zero. Room grows by doubling up to cap and is part of the bytea's length,
 * because the executor copies a returned state at exactly its length.
 */
typedef struct sample_hdr
{
	uint32		d;
	uint32		cap;
	uint32		count;
	uint32		room;
	uint64		n_seen;
	uint32		model_len;
	uint32		model_crc;
} sample_hdr;

static void
corrupt_state(const char *what, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid %s state: %s", what, why)));
}

static size_t
sample_recsz(uint32 d)
{
	return 8 + (size_t) d * 8;
}

static uint32
sample_cap(uint32 d)
{
	size_t		c = SAMPLE_MAX_BYTES / sample_recsz(d);

	return (uint32) Max(Min(c, SAMPLE_MAX_ROWS), 100);
}

/* Reads and validates a sample state's header against its length. */
static sample_hdr
sample_read(bytea *st)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(st);
	Size		len = VARSIZE_ANY_EXHDR(st);
	sample_hdr	h;
	Size		recs;

	if (len < SAMPLE_HDRSZ || mm_load_u32(p) != SAMPLE_MAGIC || mm_load_u32(p + 4) != SAMPLE_VERSION || mm_load_u32(p + 20) != 0)
		corrupt_state("model_with_baseline", "bad header");
	h.d = mm_load_u32(p + 8);
	h.cap = mm_load_u32(p + 12);
	h.count = mm_load_u32(p + 16);
	h.n_seen = mm_load_u64(p + 24);
	h.model_len = mm_load_u32(p + 32);
	h.model_crc = mm_load_u32(p + 36);
	if (h.d < 1 || h.d > MM_MAX_FEATURES || h.cap != sample_cap(h.d) || h.n_seen < h.count ||
		h.model_len < MM_MODEL_HDRSZ || h.model_len > len - SAMPLE_HDRSZ)
		corrupt_state("model_with_baseline", "inconsistent sizes");
	recs = len - SAMPLE_HDRSZ - h.model_len;
	if (recs % sample_recsz(h.d) != 0 || recs / sample_recsz(h.d) > h.cap ||
		h.count > recs / sample_recsz(h.d))
		corrupt_state("model_with_baseline", "inconsistent sizes");
	h.room = (uint32) (recs / sample_recsz(h.d));
	if (mm_load_u32(p + SAMPLE_HDRSZ + MM_MODEL_CRC_OFFSET) != h.model_crc)
		corrupt_state("model_with_baseline", "model checksum mismatch");
	return h;
}

/*
 * The complete check of a sample state that passed sample_read: every sampled row finite, the
 * unused slots zero, the records a max-heap on priority, and (model != NULL) the model bytes
 * those of `model`.
 */
static void
sample_validate(bytea *st, const sample_hdr *h, const uint8 *model)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(st);
	const uint8 *base = p + SAMPLE_HDRSZ + h->model_len;
	size_t		recsz = sample_recsz(h->d);

	if (model != NULL && memcmp(p + SAMPLE_HDRSZ, model, h->model_len) != 0)
		corrupt_state("model_with_baseline", "the model differs");
	for (uint32 i = 0; i < h->room; i++)
	{
		const uint8 *r = base + (size_t) i * recsz;

		if (i >= h->count)
		{
			for (size_t k = 0; k < recsz; k++)
				if (r[k] != 0)
					corrupt_state("model_with_baseline", "an unused record is not zero");
			continue;
		}
		if (i > 0 && mm_load_u64(base + (size_t) ((i - 1) / 2) * recsz) < mm_load_u64(r))
			corrupt_state("model_with_baseline", "the records are not a heap");
		for (uint32 j = 0; j < h->d; j++)
			if (!isfinite(mm_load_f64(r + 8 + 8 * (size_t) j)))
				corrupt_state("model_with_baseline", "a sampled value is not finite");
	}
}

/* A fresh state in cxt holding the model's bytes and `room` empty record slots. */
static bytea *
sample_new(MemoryContext cxt, const uint8 *model, uint32 mlen, uint32 d, uint32 room)
{
	Size		size = SAMPLE_HDRSZ + mlen + (Size) room * sample_recsz(d);
	bytea	   *st;
	uint8	   *p;

	st = (bytea *) mm_pg_mem_alloc(cxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "the model_with_baseline sample");
	SET_VARSIZE(st, VARHDRSZ + size);
	p = (uint8 *) VARDATA(st);
	mm_store_u32(p, SAMPLE_MAGIC);
	mm_store_u32(p + 4, SAMPLE_VERSION);
	mm_store_u32(p + 8, d);
	mm_store_u32(p + 12, sample_cap(d));
	mm_store_u32(p + 32, mlen);
	mm_store_u32(p + 36, mm_load_u32(model + MM_MODEL_CRC_OFFSET));
	memcpy(p + SAMPLE_HDRSZ, model, mlen);
	return st;
}

static inline uint8 *
rec_at(uint8 *base, size_t recsz, uint32 i)
{
	return base + (size_t) i * recsz;
}

static void
rec_swap(uint8 *a, uint8 *b, size_t n)
{
	while (n--)
	{
		uint8		t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void
heap_up(uint8 *base, size_t recsz, uint32 i)
{
	while (i > 0)
	{
		uint32		parent = (i - 1) / 2;

		if (mm_load_u64(rec_at(base, recsz, parent)) >= mm_load_u64(rec_at(base, recsz, i)))
			break;
		rec_swap(rec_at(base, recsz, parent), rec_at(base, recsz, i), recsz);
		i = parent;
	}
}

static void
heap_down(uint8 *base, size_t recsz, uint32 n)
{
	uint32		i = 0;

	for (;;)
	{
		uint32		l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < n && mm_load_u64(rec_at(base, recsz, l)) > mm_load_u64(rec_at(base, recsz, m)))
			m = l;
		if (r < n && mm_load_u64(rec_at(base, recsz, r)) > mm_load_u64(rec_at(base, recsz, m)))
			m = r;
		if (m == i)
			break;
		rec_swap(rec_at(base, recsz, m), rec_at(base, recsz, i), recsz);
		i = m;
	}
}

static inline uint64
mix64(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A row's sampling priority: a hash of its values and its ordinal in the state's stream. */
static uint64
row_priority(const double *x, uint32 d, uint64 ordinal)
{
	uint64		h = UINT64CONST(0x9e3779b97f4a7c15) * (ordinal + 1);

	for (uint32 j = 0; j < d; j++)
	{
		uint64		b;

		memcpy(&b, &x[j], 8);
		h = mix64(h ^ b);
	}
	return mix64(h);
}

/*
 * Offers one record (priority, d values at x) to the state and returns the state to keep: st
 * itself, or a copy with twice the room in the current context.
 */
static bytea *
sample_offer(bytea *st, sample_hdr *h, uint64 prio, const void *x)
{
	size_t		recsz = sample_recsz(h->d);
	uint8	   *p = (uint8 *) VARDATA(st);
	uint8	   *base = p + SAMPLE_HDRSZ + h->model_len;

	if (h->count < h->cap)
	{
		if (h->count == h->room)
		{
			uint32		newroom = Min(Max(h->room * 2, 16), h->cap);
			Size		used = VARSIZE(st);
			Size		size = used + (Size) (newroom - h->room) * recsz;
			bytea	   *n = (bytea *) mm_pg_mem_alloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO, "the model_with_baseline sample");

			memcpy(n, st, used);
			SET_VARSIZE(n, size);
			st = n;
			h->room = newroom;
			p = (uint8 *) VARDATA(st);
			base = p + SAMPLE_HDRSZ + h->model_len;
		}
		mm_store_u64(rec_at(base, recsz, h->count), prio);
		memcpy(rec_at(base, recsz, h->count) + 8, x, (size_t) h->d * 8);
		heap_up(base, recsz, h->count);
		h->count++;
		mm_store_u32(p + 16, h->count);
	}
	else if (prio < mm_load_u64(base))
	{
		mm_store_u64(base, prio);
		memcpy(base + 8, x, (size_t) h->d * 8);
		heap_down(base, recsz, h->count);
	}
	return st;
}

/* Transition of model_with_baseline: adds a row to the bounded sample. */
PG_FUNCTION_INFO_V1(mm_baseline_sfunc);
Datum
mm_baseline_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "model_with_baseline");
	bytea	   *st;
	bytea	   *mb;
	const uint8 *mp;
	uint32		mlen;
	int			n;
	const double *x;
	sample_hdr	h;
	mm_pg_memo *memo = mm_pg_memo_get(fcinfo);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	mb = PG_GETARG_BYTEA_PP(1);
	mp = (const uint8 *) VARDATA_ANY(mb);
	mlen = VARSIZE_ANY_EXHDR(mb);
	x = mm_pg_features(PG_GETARG_ARRAYTYPE_P(2), &n, "feature array");
	if (PG_ARGISNULL(0))
	{
		mm_model   *m = mm_pg_decode_model(mb, CurrentMemoryContext);

		if ((uint32) n != m->n_features)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature array has %d elements, but the model expects %u", n, m->n_features)));
		st = sample_new(aggcxt, mp, mlen, (uint32) n, 16);
	}
	else
		st = PG_GETARG_BYTEA_P(0);
	h = sample_read(st);
	if (mlen != h.model_len || mm_load_u32(mp + MM_MODEL_CRC_OFFSET) != h.model_crc)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model_with_baseline needs the same model on every row")));
	/* a state this call site did not return: validated completely */
	if (unlikely(!mm_pg_memo_known(memo, st)))
		sample_validate(st, &h, mp);
	if ((uint32) n != h.d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature array has %d elements, but the model expects %u", n, h.d)));
	st = sample_offer(st, &h, row_priority(x, h.d, h.n_seen), x);
	mm_store_u64((uint8 *) VARDATA(st) + 24, h.n_seen + 1);
	mm_pg_memo_note(fcinfo, memo, st);
	PG_RETURN_BYTEA_P(st);
}

/* Combine of model_with_baseline: merges two samples (bottom-k of the union). */
PG_FUNCTION_INFO_V1(mm_baseline_combine);
Datum
mm_baseline_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "model_with_baseline");
	bytea	   *a,
			   *b;
	sample_hdr	ha,
				hb;
	const uint8 *pb;
	size_t		recsz;
	bytea	   *st;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_BYTEA_PP(1);
	hb = sample_read(b);
	sample_validate(b, &hb, NULL);
	if (PG_ARGISNULL(0))
		PG_RETURN_BYTEA_P(mm_pg_copy_state(b, aggcxt));
	a = PG_GETARG_BYTEA_P(0);
	ha = sample_read(a);
	sample_validate(a, &ha, NULL);
	if (ha.d != hb.d || ha.model_len != hb.model_len || ha.model_crc != hb.model_crc ||
		memcmp((const uint8 *) VARDATA(a) + SAMPLE_HDRSZ, (const uint8 *) VARDATA_ANY(b) + SAMPLE_HDRSZ, ha.model_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge model_with_baseline states of different models")));
	pb = (const uint8 *) VARDATA_ANY(b) + SAMPLE_HDRSZ + hb.model_len;
	recsz = sample_recsz(ha.d);
	st = a;
	for (uint32 i = 0; i < hb.count; i++)
		st = sample_offer(st, &ha, mm_load_u64(pb + i * recsz), pb + i * recsz + 8);
	mm_store_u64((uint8 *) VARDATA(st) + 24, ha.n_seen + hb.n_seen);
	PG_RETURN_BYTEA_P(st);
}

/* Final of model_with_baseline: the model with a baseline built from the sample. */
PG_FUNCTION_INFO_V1(mm_baseline_final);
Datum
mm_baseline_final(PG_FUNCTION_ARGS)
{
	bytea	   *st = PG_GETARG_BYTEA_PP(0);
	sample_hdr	h = sample_read(st);
	const uint8 *p = (const uint8 *) VARDATA_ANY(st);
	bytea	   *mcopy;
	mm_model   *m;
	double	   *X;
	size_t		recsz = sample_recsz(h.d);
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_err		err = {0};
	uint8	   *payload;
	size_t		plen;

	sample_validate(st, &h, NULL);
	if (h.count == 0)
		PG_RETURN_NULL();
	mcopy = (bytea *) palloc(VARHDRSZ + h.model_len);
	SET_VARSIZE(mcopy, VARHDRSZ + h.model_len);
	memcpy(VARDATA(mcopy), p + SAMPLE_HDRSZ, h.model_len);
	m = mm_pg_decode_model(mcopy, CurrentMemoryContext);
	X = mm_pg_mem_alloc(CurrentMemoryContext, sizeof(double) * (size_t) h.count * h.d, 0, "the model_with_baseline sample");
	for (uint32 i = 0; i < h.count; i++)
		memcpy(X + (size_t) i * h.d, p + SAMPLE_HDRSZ + h.model_len + i * recsz + 8, (size_t) h.d * 8);
	if (mm_baseline_build(X, h.count, h.d, MM_BASELINE_DEFAULT_BINS, &a, &payload, &plen, &err) != MM_OK)
		mm_pg_raise(&err);
	m->baseline = payload;
	m->baseline_len = plen;
	PG_RETURN_BYTEA_P(mm_pg_encode_model(m));
}

/* ---- drift_psi: per-bin counts against the model's baseline ---- */

#define PSI_MAGIC	0x53444D4Du	/* "MMDS" */
#define PSI_VERSION 1
#define PSI_HDRSZ	32

/*
 * State: u32 magic, u16 version, u16 reserved, u32 d, u32 total_bins T, u32 baseline crc,
 * u32 reserved, u64 rows, then u32 nbins[d], f64 expected[T], u64 counts[T].
 */
typedef struct psi_hdr
{
	uint32		d;
	uint32		T;
	uint32		crc;
	uint64		rows;
	const uint8 *nb;
	const uint8 *frac;
	uint8	   *counts;
} psi_hdr;

static psi_hdr
psi_read(bytea *st, bool check_fracs)
{
	uint8	   *p = (uint8 *) VARDATA_ANY(st);
	Size		len = VARSIZE_ANY_EXHDR(st);
	psi_hdr		h;
	uint64		sum = 0;

	if (len < PSI_HDRSZ || mm_load_u32(p) != PSI_MAGIC || mm_load_u32(p + 4) != PSI_VERSION || mm_load_u32(p + 20) != 0)
		corrupt_state("drift_psi", "bad header");
	h.d = mm_load_u32(p + 8);
	h.T = mm_load_u32(p + 12);
	h.crc = mm_load_u32(p + 16);
	h.rows = mm_load_u64(p + 24);
	if (h.d < 1 || h.d > MM_MAX_FEATURES || h.T < h.d || h.T > (uint32) h.d * MM_BASELINE_MAX_BINS ||
		len != PSI_HDRSZ + (Size) h.d * 4 + (Size) h.T * 16)
		corrupt_state("drift_psi", "inconsistent sizes");
	h.nb = p + PSI_HDRSZ;
	h.frac = h.nb + (Size) h.d * 4;
	h.counts = (uint8 *) h.frac + (Size) h.T * 8;
	for (uint32 j = 0; j < h.d; j++)
	{
		uint32		nb = mm_load_u32(h.nb + j * 4);

		if (nb < 1 || nb > MM_BASELINE_MAX_BINS)
			corrupt_state("drift_psi", "bad bin count");
		sum += nb;
	}
	if (sum != h.T)
		corrupt_state("drift_psi", "bin counts do not add up");
	if (check_fracs)
		for (uint32 i = 0; i < h.T; i++)
		{
			double		f;

			memcpy(&f, h.frac + i * 8, 8);
			if (!(f >= 0 && f <= 1))
				corrupt_state("drift_psi", "expected fraction out of range");
		}
	return h;
}

/* fn_extra of the drift_psi transition: the decoded baseline of the model seen last. */
typedef struct psi_extra
{
	mm_pg_memo	memo;			/* the states this call site returned */
	MemoryContext cxt;
	Size		len;
	uint32		model_crc;
	mm_baseline *b;
	uint32		crc;			/* of the baseline payload */
	uint32	   *off;			/* first bin of each feature */
} psi_extra;

static psi_extra *
psi_baseline(FunctionCallInfo fcinfo, bytea *mb)
{
	psi_extra  *ex = (psi_extra *) fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE_ANY_EXHDR(mb);
	uint32		crc = len >= MM_MODEL_HDRSZ ? mm_load_u32((const uint8 *) VARDATA_ANY(mb) + MM_MODEL_CRC_OFFSET) : 0;
	mm_model   *m;
	mm_err		err = {0};
	mm_alloc	a;
	uint32		t = 0;

	if (ex && ex->b && ex->len == len && ex->model_crc == crc)
		return ex;
	if (ex == NULL)
	{
		ex = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(psi_extra));
		ex->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "modelmgr drift baseline", ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = ex;
	}
	ex->b = NULL;
	MemoryContextReset(ex->cxt);
	m = mm_pg_decode_model(mb, ex->cxt);
	if (m->baseline_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model has no drift baseline"),
				 errhint("Train it with modelmgr.train(), or add one with the aggregate modelmgr.model_with_baseline(model, x).")));
	a = mm_pg_allocator(ex->cxt);
	if (mm_baseline_decode(m->baseline, m->baseline_len, &a, &ex->b, &err) != MM_OK)
	{
		if (err.status == MM_ENOMEM)
			mm_pg_raise(&err);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model: %s", err.msg)));
	}
	if (ex->b->n_features != m->n_features)
	{
		ex->b = NULL;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model: drift baseline has %u features, the model %u", ex->b ? ex->b->n_features : 0, m->n_features)));
	}
	ex->crc = mm_crc32c(0, m->baseline, m->baseline_len);
	ex->off = MemoryContextAlloc(ex->cxt, sizeof(uint32) * ex->b->n_features);
	for (uint32 j = 0; j < ex->b->n_features; j++)
	{
		ex->off[j] = t;
		t += ex->b->f[j].nbins;
	}
	ex->len = len;
	ex->model_crc = crc;
	return ex;
}

/*
 * The complete check of a drift_psi state: psi_read with the fractions, and the counts of each
 * feature at most the rows; with a baseline (ex), its bins and fractions those of the baseline.
 */
static void
psi_validate(bytea *st, const psi_extra *ex)
{
	psi_hdr		h = psi_read(st, true);
	uint32		off = 0;

	for (uint32 j = 0; j < h.d; j++)
	{
		uint32		nb = mm_load_u32(h.nb + j * 4);
		uint64		total = 0;

		if (ex != NULL && (nb != ex->b->f[j].nbins || memcmp(h.frac + (Size) off * 8, ex->b->f[j].frac, (Size) nb * 8) != 0))
			corrupt_state("drift_psi", "bins differ from the model's baseline");
		for (uint32 i = 0; i < nb; i++)
		{
			uint64		c = mm_load_u64(h.counts + (Size) (off + i) * 8);

			if (c > h.rows - total)
				corrupt_state("drift_psi", "counts exceed the rows");
			total += c;
		}
		off += nb;
	}
}

/* Transition of drift_psi: counts one row's features into the baseline's bins. */
PG_FUNCTION_INFO_V1(mm_drift_psi_sfunc);
Datum
mm_drift_psi_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "drift_psi");
	psi_extra  *ex;
	bytea	   *st;
	psi_hdr		h;
	ArrayType  *xa;
	int			n;
	const double *x;
	bool	   *nulls = NULL;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ex = psi_baseline(fcinfo, PG_GETARG_BYTEA_PP(1));
	xa = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_ELEMTYPE(xa) != FLOAT8OID)
		elog(ERROR, "feature array must be float8[]");
	if (ARR_NDIM(xa) != 1 || ARR_DIMS(xa)[0] != (int) ex->b->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature array has %d elements, but the model expects %u",
						ARR_NDIM(xa) == 1 ? ARR_DIMS(xa)[0] : 0, ex->b->n_features)));
	n = ARR_DIMS(xa)[0];
	x = (const double *) ARR_DATA_PTR(xa);
	if (ARR_HASNULL(xa))
	{
		Datum	   *elems;

		deconstruct_array(xa, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
		x = NULL;
		/* rare: rebuild a dense copy with NULLs marked */
		{
			double	   *v = palloc(sizeof(double) * n);

			for (int j = 0; j < n; j++)
				v[j] = nulls[j] ? 0 : DatumGetFloat8(elems[j]);
			x = v;
		}
	}
	if (PG_ARGISNULL(0))
	{
		Size		size = PSI_HDRSZ + (Size) ex->b->n_features * 4 + (Size) ex->b->total_bins * 16;
		uint8	   *p;
		uint8	   *frac;

		st = (bytea *) mm_pg_mem_alloc(aggcxt, VARHDRSZ + size, MCXT_ALLOC_ZERO, "a drift state");
		SET_VARSIZE(st, VARHDRSZ + size);
		p = (uint8 *) VARDATA(st);
		mm_store_u32(p, PSI_MAGIC);
		mm_store_u32(p + 4, PSI_VERSION);
		mm_store_u32(p + 8, ex->b->n_features);
		mm_store_u32(p + 12, ex->b->total_bins);
		mm_store_u32(p + 16, ex->crc);
		frac = p + PSI_HDRSZ + (Size) ex->b->n_features * 4;
		for (uint32 j = 0; j < ex->b->n_features; j++)
		{
			mm_store_u32(p + PSI_HDRSZ + j * 4, ex->b->f[j].nbins);
			memcpy(frac + (Size) ex->off[j] * 8, ex->b->f[j].frac, (Size) ex->b->f[j].nbins * 8);
		}
	}
	else
		st = PG_GETARG_BYTEA_P(0);
	h = psi_read(st, false);
	if (h.crc != ex->crc || h.d != ex->b->n_features || h.T != ex->b->total_bins)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("drift_psi needs the same model on every row")));
	/* a state this call site did not return: validated completely, against the baseline */
	if (unlikely(!mm_pg_memo_known(&ex->memo, st)))
		psi_validate(st, ex);
	for (int j = 0; j < n; j++)
	{
		uint8	   *c;

		if ((nulls && nulls[j]) || isnan(x[j]))
			continue;
		c = h.counts + ((Size) ex->off[j] + mm_baseline_bin(&ex->b->f[j], x[j])) * 8;
		mm_store_u64(c, mm_load_u64(c) + 1);
	}
	mm_store_u64((uint8 *) VARDATA(st) + 24, h.rows + 1);
	mm_pg_memo_note(fcinfo, &ex->memo, st);
	PG_RETURN_BYTEA_P(st);
}

/* Combine of drift_psi: adds the counts of two states of the same baseline. */
PG_FUNCTION_INFO_V1(mm_drift_psi_combine);
Datum
mm_drift_psi_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = mm_pg_state_context(fcinfo, "drift_psi");
	bytea	   *a,
			   *b;
	psi_hdr		ha,
				hb;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_BYTEA_PP(1);
	psi_validate(b, NULL);
	hb = psi_read(b, true);
	if (PG_ARGISNULL(0))
		PG_RETURN_BYTEA_P(mm_pg_copy_state(b, aggcxt));
	a = PG_GETARG_BYTEA_P(0);
	psi_validate(a, NULL);
	ha = psi_read(a, false);
	if (ha.crc != hb.crc || ha.d != hb.d || ha.T != hb.T || memcmp(ha.nb, hb.nb, (Size) ha.d * 4) != 0 ||
		memcmp(ha.frac, hb.frac, (Size) ha.T * 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge drift_psi states of different baselines")));
	for (uint32 i = 0; i < ha.T; i++)
		mm_store_u64(ha.counts + i * 8, mm_load_u64(ha.counts + i * 8) + mm_load_u64(hb.counts + i * 8));
	mm_store_u64((uint8 *) VARDATA(a) + 24, ha.rows + hb.rows);
	PG_RETURN_BYTEA_P(a);
}

/* Final of drift_psi: PSI per feature (NULL for a feature with no non-NULL value). */
PG_FUNCTION_INFO_V1(mm_drift_psi_final);
Datum
mm_drift_psi_final(PG_FUNCTION_ARGS)
{
	bytea	   *st = PG_GETARG_BYTEA_PP(0);
	psi_hdr		h = psi_read(st, true);
	Datum	   *out = palloc(sizeof(Datum) * h.d);
	bool	   *onull = palloc0(sizeof(bool) * h.d);
	uint32		off = 0;
	int			dims[1];
	int			lbs[1] = {1};

	psi_validate(st, NULL);
	for (uint32 j = 0; j < h.d; j++)
	{
		uint32		nb = mm_load_u32(h.nb + j * 4);
		double	   *e = palloc(sizeof(double) * nb);
		double	   *a = palloc(sizeof(double) * nb);
		uint64		total = 0;

		for (uint32 i = 0; i < nb; i++)
		{
			memcpy(&e[i], h.frac + (Size) (off + i) * 8, 8);
			total += mm_load_u64(h.counts + (Size) (off + i) * 8);
		}
		if (total == 0)
			onull[j] = true;
		else
		{
			for (uint32 i = 0; i < nb; i++)
				a[i] = (double) mm_load_u64(h.counts + (Size) (off + i) * 8) / (double) total;
			out[j] = Float8GetDatum(mm_psi(e, a, nb));
		}
		off += nb;
	}
	dims[0] = (int) h.d;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, onull, 1, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* The baseline stored in a model as JSON: rows, and per feature its edges and fractions. */
PG_FUNCTION_INFO_V1(mm_baseline_info);
Datum
mm_baseline_info(PG_FUNCTION_ARGS)
{
	mm_model   *m = mm_pg_decode_model(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
	mm_baseline *b;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	StringInfoData s;

	if (m->baseline_len == 0)
		PG_RETURN_NULL();
	if (mm_baseline_decode(m->baseline, m->baseline_len, &a, &b, &err) != MM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model: %s", err.msg)));
	initStringInfo(&s);
	appendStringInfo(&s, "{\"rows\": " UINT64_FORMAT ", \"bins\": %u, \"features\": [", b->n_rows, b->max_bins);
	for (uint32 j = 0; j < b->n_features; j++)
	{
		appendStringInfo(&s, "%s{\"feature\": ", j ? ", " : "");
		if (m->feature_names)
			escape_json(&s, m->feature_names[j]);
		else
			appendStringInfo(&s, "\"x%u\"", j + 1);
		appendStringInfoString(&s, ", \"edges\": [");
		for (uint32 i = 0; i + 1 < b->f[j].nbins; i++)
			appendStringInfo(&s, "%s%s", i ? ", " : "", float8out_internal(b->f[j].edges[i]));
		appendStringInfoString(&s, "], \"fractions\": [");
		for (uint32 i = 0; i < b->f[j].nbins; i++)
			appendStringInfo(&s, "%s%s", i ? ", " : "", float8out_internal(b->f[j].frac[i]));
		appendStringInfoString(&s, "]}");
	}
	appendStringInfoString(&s, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* ---- sources and feature expressions for evaluate() and drift() ---- */

/* SQL for a source usable as "FROM <src> AS s": a relation quoted again, or one SELECT in parentheses. */
PG_FUNCTION_INFO_V1(mm_source_sql);
Datum
mm_source_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(mm_pg_resolve_source(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}

static bool
numeric_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

static int
find_col(TupleDesc td, const char *name)
{
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i;
	}
	return -1;
}

static void missing_column(const char *col) pg_attribute_noreturn();
static void wrong_type(const char *col, Oid t, const char *want) pg_attribute_noreturn();

static void
missing_column(const char *col)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("source has no column \"%s\"", col),
			 errdetail("The model reads feature column \"%s\".", col)));
}

static void
wrong_type(const char *col, Oid t, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" has type %s, but the model reads it as %s", col, format_type_be(t), want)));
}

static char *
float_literal(double v)
{
	return psprintf("'%s'::float8", float8out_internal(v));
}

/* A number column as float8 (booleans as 0/1), with the model's fill for NULL when it has one. */
static void
append_number(StringInfo s, const char *col, Oid t, double fill)
{
	const char *q = quote_identifier(col);
	const char *cast = t == BOOLOID ? "::int::float8" : "::float8";

	if (isnan(fill))
		appendStringInfo(&s[0], "s.%s%s", q, cast);
	else
		appendStringInfo(&s[0], "coalesce(s.%s%s, %s)", q, cast, float_literal(fill));
}

/*
 * The model's feature vector over a source row "s" as a SQL expression (float8[], NULL
 * elements where a value is missing): replays the model's INPUTS section (numbers with their
 * imputation fill, one-hot categories, arrays) or, without one, picks the named feature columns
 * (a name "col[k]" with no such column is element k of array column col).
 */
PG_FUNCTION_INFO_V1(mm_feature_sql);
Datum
mm_feature_sql(PG_FUNCTION_ARGS)
{
	mm_model   *m = mm_pg_decode_model(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
	char	  **names = m->feature_names;
	char	   *src = text_to_cstring(PG_GETARG_TEXT_PP(2));
	TupleDesc	td;
	StringInfoData s;
	bool		first = true;
	int			nest;

	if (names == NULL && !PG_ARGISNULL(1))
	{
		ArrayType  *fa = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(fa, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if ((uint32) n == m->n_features)
		{
			names = palloc(sizeof(char *) * n);
			for (int i = 0; i < n; i++)
				names[i] = nulls[i] ? "" : TextDatumGetCString(elems[i]);
		}
	}
	if (names == NULL && m->inputs_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model has no feature names, so its features cannot be read from a source"),
				 errhint("Register the model with features => ARRAY[...].")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the source is only described (LIMIT 0), and read-only like every read of it */
	nest = NewGUCNestLevel();
	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("modelmgr.reading_source", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute(psprintf("SELECT * FROM %s AS s LIMIT 0", src), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read the source's columns");
	td = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	AtEOXact_GUC(true, nest);
	SPI_finish();

	initStringInfo(&s);
	appendStringInfoString(&s, "ARRAY[");
	if (m->inputs_len)
	{
		mm_prep    *p;
		mm_err		err = {0};
		mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);

		if (mm_prep_decode(m->inputs, m->inputs_len, m->n_features, &a, &p, &err) != MM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid model: %s", err.msg)));
		for (uint32 j = 0; j < p->ninputs; j++)
		{
			const mm_input *in = &p->in[j];
			int			i = find_col(td, in->name);
			Oid			t;
			const char *q = quote_identifier(in->name);

			if (i < 0)
				missing_column(in->name);
			t = getBaseType(TupleDescAttr(td, i)->atttypid);
			if (in->kind == MM_IN_NUMBER)
			{
				if (!numeric_type(t) && t != BOOLOID)
					wrong_type(in->name, t, "a number");
				appendStringInfoString(&s, first ? "" : ", ");
				append_number(&s, in->name, t, in->fill);
				first = false;
			}
			else if (in->kind == MM_IN_CATEGORY)
			{
				if (t != TEXTOID && t != VARCHAROID && t != BPCHAROID && t != NAMEOID && t != BOOLOID)
					wrong_type(in->name, t, "a category (text or boolean)");
				/* the model's coding: no feature for a reference level */
				for (uint32 k = 0; k < in->ncats; k++)
				{
					if (mm_prep_category_slot(in, (int32) k) < 0)
						continue;
					appendStringInfo(&s, "%scoalesce(s.%s::text COLLATE \"C\" = %s, false)::int::float8",
									 first ? "" : ", ", q, quote_literal_cstr(in->cats[k]));
					first = false;
				}
			}
			else
			{
				Oid			et = get_element_type(t);

				if (!OidIsValid(et) || !numeric_type(et))
					wrong_type(in->name, t, "a numeric array");
				for (uint32 k = 0; k < in->width; k++)
				{
					appendStringInfo(&s, "%s(s.%s)[array_lower(s.%s, 1) + %u]::float8", first ? "" : ", ", q, q, k);
					first = false;
				}
			}
		}
	}
	else
	{
		for (uint32 j = 0; j < m->n_features; j++)
		{
			const char *f = names[j];
			int			i = find_col(td, f);

			appendStringInfoString(&s, first ? "" : ", ");
			first = false;
			if (i >= 0)
			{
				Oid			t = getBaseType(TupleDescAttr(td, i)->atttypid);

				if (!numeric_type(t) && t != BOOLOID)
					wrong_type(f, t, "a number");
				append_number(&s, f, t, NAN);
			}
			else
			{
				/* "col[k]": element k of an array column */
				const char *br = strrchr(f, '[');
				char	   *end;
				long		k;

				if (br == NULL || br == f || f[strlen(f) - 1] != ']')
					missing_column(f);
				k = strtol(br + 1, &end, 10);
				if (end != f + strlen(f) - 1 || k < 1)
					missing_column(f);
				{
					char	   *col = pnstrdup(f, br - f);
					int			ci = find_col(td, col);
					Oid			et;

					if (ci < 0)
						missing_column(f);
					et = get_element_type(getBaseType(TupleDescAttr(td, ci)->atttypid));
					if (!OidIsValid(et) || !numeric_type(et))
						wrong_type(col, TupleDescAttr(td, ci)->atttypid, "a numeric array");
					appendStringInfo(&s, "(s.%s)[%ld]::float8", quote_identifier(col), k);
				}
			}
		}
	}
	appendStringInfoString(&s, "]::float8[]");
	PG_RETURN_TEXT_P(cstring_to_text(s.data));
}
