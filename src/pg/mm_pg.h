/*
 * mm_pg.h: helpers shared by the PostgreSQL binding: allocation for the core, error mapping,
 * array checks, option parsing and the per-call-site model cache.
 */
#ifndef MM_PG_H
#define MM_PG_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "mm_core.h"
#include "mm_model.h"

/*
 * An allocator for the core that pallocs (zeroed) in the given context; allocations of
 * MM_PG_MEM_COUNTED bytes or more are counted against the memory budget (mm_pg_mem_charge).
 */
extern mm_alloc mm_pg_allocator(MemoryContext cxt);

/*
 * Counted memory. Every large allocation of the extension (training rows, samples, aggregate
 * states that grow with the data, the core's solver state) is counted against one per-backend
 * limit, modelmgr.train_memory_budget, before it is made: over it is ERROR 53200 naming the
 * setting and the size. A charge lives in a memory context and is released when that context
 * is reset or deleted (so also on error), or earlier by mm_pg_mem_resize(ch, 0). Only growth is
 * counted, never a row: the per-row paths do no accounting.
 */
#define MM_PG_MEM_COUNTED ((Size) 64 * 1024)
extern int	mm_memory_budget_kb;
typedef struct mm_mem_charge
{
	MemoryContextCallback cb;
	Size		bytes;			/* counted now */
} mm_mem_charge;
/* Whether `more` bytes more stay within the budget. */
extern bool mm_pg_mem_fits(Size more);
/* ERROR 53200: `what` needs `more` bytes more than the budget has left; hint may be NULL. */
extern void mm_pg_mem_error(Size more, const char *what, const char *hint) pg_attribute_noreturn();
/* Counts `bytes` (ERROR when over the budget) until cxt is reset or deleted. */
extern mm_mem_charge *mm_pg_mem_charge(MemoryContext cxt, Size bytes, const char *what);
/* Changes a charge to `bytes`, checking the budget first when it grows. */
extern void mm_pg_mem_resize(mm_mem_charge *ch, Size bytes, const char *what);
/*
 * Allocates `size` bytes (huge allowed) in cxt, counted first when it is MM_PG_MEM_COUNTED or
 * more; flags as for MemoryContextAllocExtended.
 */
extern void *mm_pg_mem_alloc(MemoryContext cxt, Size size, int flags, const char *what);

/* Turns a core error into an ERROR with a SQLSTATE chosen by its cause. */
extern void mm_pg_raise(const mm_err *err) pg_attribute_noreturn();

/*
 * Checks a float8[] feature vector (one dimension, no NULLs, all finite) and returns a
 * pointer to its values; *n gets the length. `what` names the argument in messages.
 */
extern double *mm_pg_features(ArrayType *a, int *n, const char *what);

/* Checks a finite float8 label. */
extern void mm_pg_check_finite(double v, const char *what);
/* ERROR (22000, naming the first culprit) unless every v[i] is finite. */
extern void mm_pg_check_all_finite(const double *v, int len, const char *what);

/* Builds a bytea holding an encoded model (palloc'd in the current context). */
extern bytea *mm_pg_encode_model(const mm_model *m);

/* Decodes and validates a model bytea (no cache), ERROR if invalid. */
extern mm_model *mm_pg_decode_model(bytea *b, MemoryContext cxt);

/*
 * Returns the decoded model passed as argument argno, decoding it once per call site:
 * the cache lives in fn_extra and is checked per row in O(1) (length and stored checksum,
 * or the TOAST pointer for an out-of-line value).
 */
extern mm_model *mm_pg_cached_model(FunctionCallInfo fcinfo, int argno);

/* Model signatures (signing.c). */
extern bool mm_require_signed_models;
extern void mm_signing_define_gucs(void);
/* ERROR (42501) under modelmgr.require_signed_models unless m is signed by a trusted key. */
extern void mm_pg_require_signed(const mm_model *m, const void *p, size_t len, Oid nsp, const char *what);
extern void mm_pg_append_signature_json(StringInfo s, const mm_model *m, const void *p, size_t len);

/* Option parsing: jsonb objects with snake_case keys. */
typedef enum mm_opt_type
{
	MM_OPT_NUMBER,
	MM_OPT_BOOL,
	MM_OPT_STRING
} mm_opt_type;

/* Iterate a jsonb object; calls cb(key, value) for each top-level pair, ERROR if not an object. */
typedef void (*mm_opt_cb) (void *arg, const char *key, JsonbValue *val);
extern void mm_pg_each_option(Jsonb *opts, mm_opt_cb cb, void *arg);
extern double mm_pg_opt_number(const char *key, JsonbValue *v, double lo, double hi);
extern bool mm_pg_opt_bool(const char *key, JsonbValue *v);
extern char *mm_pg_opt_string(const char *key, JsonbValue *v);
extern void mm_pg_unknown_option(const char *key, const char *context) pg_attribute_noreturn();

/* Copies a (possibly short-header or unaligned) bytea state into a fresh 4-byte-header varlena in cxt. */
extern bytea *mm_pg_copy_state(bytea *src, MemoryContext cxt);

/*
 * Sealed states: what the *_partial aggregates return, for other nodes to merge. A seal is the
 * magic "MMPS" and a CRC-32C of the state, in front of it. Unsealing checks the checksum (XX001
 * when it does not match) and returns the state; a state without a seal (what PostgreSQL and
 * Citus pass between workers) is returned as it is, to be validated as before.
 */
extern bytea *mm_pg_seal_state(bytea *state);
extern bytea *mm_pg_unseal_state(bytea *b, const char *what);

/* st itself when it can be updated in place (4-byte header, payload aligned after hdrsz), else a copy in cxt. */
extern bytea *mm_pg_own_state(bytea *st, size_t hdrsz, MemoryContext cxt);

/*
 * The common start of a bytea-state combine function. Handles a NULL on either side (an empty
 * partial aggregate), validates every incoming state (it may come from another process or node)
 * and returns false with *result set when there is nothing to merge. Otherwise *a is a state the
 * caller may update in place and *b the validated second state, and it returns true. A NULL
 * result is returned as (Datum) 0 (no state is ever at address 0).
 */
typedef mm_status (*mm_state_validate_fn) (const uint8_t *st, size_t size, mm_err *err);
extern bool mm_pg_combine_begin(FunctionCallInfo fcinfo, const char *fname, mm_state_validate_fn validate,
								size_t hdrsz, bytea **a, bytea **b, Datum *result);

/*
 * What a transition function's call site remembers of the states it returned (in fn_extra, or
 * in a struct there): the last one, and the set of all of them (a hash set of addresses, made
 * when a second address is returned: one per group, and per growth of a state). A state
 * passed in that is not among them was not built here (a user aggregate's INITCOND, a copy
 * the executor made): it is validated completely, once. mm_pg_memo_note after the call's
 * last change of the state; the common case (the state returned last) costs one comparison.
 */
typedef struct mm_pg_memo
{
	const void *last;
	void	   *seen;			/* mm_seen_hash *, NULL until a second address */
} mm_pg_memo;

extern bool mm_pg_memo_known_slow(const mm_pg_memo *m, const void *st);
extern void mm_pg_memo_note_slow(FunctionCallInfo fcinfo, mm_pg_memo *m, const void *st);
/* The mm_pg_memo in fn_extra (a transition function that keeps nothing else there). */
extern mm_pg_memo *mm_pg_memo_get(FunctionCallInfo fcinfo);

static inline bool
mm_pg_memo_known(const mm_pg_memo *m, const void *st)
{
	return likely(st == m->last) || mm_pg_memo_known_slow(m, st);
}

static inline void
mm_pg_memo_note(FunctionCallInfo fcinfo, mm_pg_memo *m, const void *st)
{
	if (unlikely(st != m->last))
		mm_pg_memo_note_slow(fcinfo, m, st);
}

/*
 * The transition state in argument 0 of a transition function, writable in place (see
 * mm_pg_own_state). check, O(1), runs on every row: header fields in range and the size they
 * imply, so every write stays in bounds. validate, complete (every section, finiteness), runs
 * when the state is not one this call site returned (memo): a state it did not build, such as
 * a user aggregate's INITCOND. A freed state's address can be reused by a forged one, which is
 * why check still runs every row (and the final functions validate completely). Either failing
 * is an ERROR (XX001). The caller then notes the state it returns in memo.
 */
extern bytea *mm_pg_trans_state(bytea *in, size_t hdrsz, MemoryContext cxt, const mm_pg_memo *memo,
								mm_state_validate_fn check, mm_state_validate_fn validate);

/* The aggregate memory context, or ERROR when not called as an aggregate. */
extern MemoryContext mm_pg_agg_context(FunctionCallInfo fcinfo, const char *fname);

/*
 * Where a transition or combine function allocates a new state (ERROR when not called as an
 * aggregate): the calling, per-tuple context. The executor (and Citus' wrappers) copy every new
 * transition value into the aggregate context themselves, so a state allocated there would leave
 * a dead copy behind per group; states updated in place are returned as the same pointer and
 * never copied.
 */
extern MemoryContext mm_pg_state_context(FunctionCallInfo fcinfo, const char *fname);

/* What a prediction returns. */
typedef enum mm_pred_kind
{
	MM_PRED_VALUE,				/* float8: value or numeric class label */
	MM_PRED_LABEL,				/* text: class name or value */
	MM_PRED_PROBA				/* float8[]: class probabilities */
} mm_pred_kind;

/*
 * The feature vector of a float8[] argument for model m: one dimension, no NULLs, the model's
 * length. Finiteness is not checked here: mm_pg_predict checks the scores instead (a NaN or
 * infinite input always makes a score non-finite) and only then names the bad element.
 */
extern const double *mm_pg_model_input(const mm_model *m, ArrayType *xa);

/*
 * A sequential scan hands over the tuples of a heap page in line-pointer order, and the page
 * stores them from its end downwards, so the next row usually sits just below the current
 * one. Prefetching the bytes below an argument's datum hides the memory latency of reading
 * the next row's whole feature array. Prefetches never fault, so a guess that is wrong costs
 * a few cycles and nothing else.
 */
#define MM_PG_PREFETCH_BYTES 1024
static inline void
mm_pg_prefetch_next_tuple(const void *datum)
{
	const char *p = (const char *) datum;

	for (int off = 64; off <= MM_PG_PREFETCH_BYTES; off += 64)
		__builtin_prefetch(p - off);
}

/* Scores x with m and returns the prediction; xa (or NULL) is the array x came from. */
extern Datum mm_pg_predict(const mm_model *m, const double *x, mm_pred_kind kind, ArrayType *xa);

/* The prediction from scores already computed (mm_model_scores) and checked to be finite. */
extern Datum mm_pg_predict_scored(const mm_model *m, const double *scores, mm_pred_kind kind);

/*
 * The search_path every query the extension builds runs with; a user's source is resolved with
 * the caller's search_path first (mm_pg_resolve_source), so it keeps its meaning under this one.
 */
#define MM_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

extern bool mm_reading_source;

/*
 * SQL for a training or scoring source usable as "FROM <src> AS s": a table or view name resolved
 * to its relation and quoted again, or a single plain SELECT (parsed first) in parentheses.
 */
extern char *mm_pg_resolve_source(const char *source);

/* GUCs of train(), defined from _PG_init. */
extern void mm_train_define_gucs(void);

#endif
