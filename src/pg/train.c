/*
 * train.c: the train() driver. Checks the source and columns, learns classes, imputation and
 * standardisation, runs SGD epochs (in backend memory when the rows fit the budget, otherwise
 * streamed through the sgd_epoch aggregate) or the exact least-squares pass, scores the held-out
 * rows and registers the model as a new version.
 */
#include "postgres.h"

#include <math.h>
#include <sys/mman.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

#include "mm_drift.h"
#include "mm_lbfgs.h"
#include "mm_linreg.h"
#include "mm_pg.h"
#include "mm_prep.h"
#include "mm_sgd.h"
#include "mm_shuffle.h"

/* GUCs */
static int	train_progress_every = 1;

#define SALT_TEST 0x7465737400000000ULL
#define SALT_VALID 0x76616c6900000000ULL
#define SALT_SHUFFLE 0x7368756600000000ULL
#define SALT_BASELINE 0x6261736500000000ULL
#define BASELINE_SAMPLE 10000

typedef enum
{
	IMPUTE_ERROR, IMPUTE_SKIP, IMPUTE_MEAN, IMPUTE_MEDIAN, IMPUTE_ZERO
} impute_kind;

typedef enum
{
	SHUFFLE_NONE, SHUFFLE_ONCE, SHUFFLE_ALWAYS
} shuffle_kind;

typedef enum
{
	MODE_AUTO, MODE_MEMORY, MODE_STREAMING
} mode_kind;

typedef struct train_opts
{
	char	   *solver;
	int			epochs;
	double		tol;
	int			n_iter_no_change;
	int			schedule;
	double		eta0;
	double		power_t;
	int			batch_size;
	double		l1;
	double		l2;
	bool		has_l2;
	shuffle_kind shuffle;
	int64		seed;
	bool		early_stopping;
	double		validation_fraction;
	JsonbValue *class_weight;	/* string "balanced" or object, or NULL */
	bool		fit_intercept;
	bool		standardize;
	impute_kind impute;
	double		test_fraction;
	bool		auto_deploy;
	mode_kind	mode;
	int			max_categories;
	int			n_refs;			/* reference_levels: column -> level */
	char	  **ref_cols;
	char	  **ref_levels;
	bool		has_tol;
	bool		has_epochs;
} train_opts;

static const char *const train_keys[] = {
	"solver", "epochs", "tol", "n_iter_no_change", "learning_rate", "eta0", "power_t", "batch_size", "l1", "l2",
	"shuffle", "seed", "early_stopping", "validation_fraction", "class_weight", "fit_intercept", "standardize",
	"impute", "test_fraction", "auto_deploy", "mode", "max_categories", "reference_levels", NULL
};

static int
pick(const char *key, const char *val, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(val, names[i]) == 0)
			return i;
	{
		StringInfoData s;

		initStringInfo(&s);
		for (int i = 0; names[i]; i++)
			appendStringInfo(&s, "%s%s", i ? ", " : "", names[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" has an unknown value \"%s\"", key, val),
				 errhint("Use one of: %s.", s.data)));
	}
	return -1;
}

/* An integer option: a JSON number in range with no fractional part. */
static double
opt_integer(const char *key, JsonbValue *v, double lo, double hi)
{
	double		d = mm_pg_opt_number(key, v, lo, hi);

	if (d != floor(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be an integer", key)));
	return d;
}

/* "reference_levels": {"column": "level", ...}; a boolean column's level may be a JSON boolean. */
static void
reference_levels_opt(train_opts *o, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	char	   *col = NULL;
	int			cap;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"reference_levels\" must be an object of column: level")));
	cap = JsonContainerSize(v->val.binary.data);
	o->ref_cols = palloc(sizeof(char *) * (cap + 1));
	o->ref_levels = palloc(sizeof(char *) * (cap + 1));
	o->n_refs = 0;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			col = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (e.type == jbvString)
				o->ref_levels[o->n_refs] = pnstrdup(e.val.string.val, e.val.string.len);
			else if (e.type == jbvBool)
				o->ref_levels[o->n_refs] = pstrdup(e.val.boolean ? "true" : "false");
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"reference_levels\": the level of column \"%s\" must be a string", col)));
			o->ref_cols[o->n_refs++] = col;
		}
	}
}

static void
train_opt(void *arg, const char *key, JsonbValue *v)
{
	train_opts *o = (train_opts *) arg;
	static const char *const solvers[] = {"sgd", "normal_equations", "lbfgs", "gd", NULL};
	static const char *const shuffles[] = {"none", "once", "always", NULL};
	static const char *const imputes[] = {"error", "skip", "mean", "median", "zero", NULL};
	static const char *const modes[] = {"auto", "memory", "streaming", NULL};

	if (strcmp(key, "solver") == 0)
		o->solver = pstrdup(solvers[pick(key, mm_pg_opt_string(key, v), solvers)]);
	else if (strcmp(key, "epochs") == 0)
	{
		o->epochs = (int) opt_integer(key, v, 1, 1000000);
		o->has_epochs = true;
	}
	else if (strcmp(key, "tol") == 0)
	{
		o->tol = mm_pg_opt_number(key, v, 0, 1e6);
		o->has_tol = true;
	}
	else if (strcmp(key, "n_iter_no_change") == 0)
		o->n_iter_no_change = (int) opt_integer(key, v, 1, 100000);
	else if (strcmp(key, "learning_rate") == 0)
	{
		char	   *s = mm_pg_opt_string(key, v);
		static const char *const sch[] = {"optimal", "constant", "invscaling", "adaptive", "adagrad", "adam", NULL};

		o->schedule = pick(key, s, sch) + 1;
	}
	else if (strcmp(key, "eta0") == 0)
		o->eta0 = mm_pg_opt_number(key, v, 1e-300, 1e6);
	else if (strcmp(key, "power_t") == 0)
		o->power_t = mm_pg_opt_number(key, v, 0, 10);
	else if (strcmp(key, "batch_size") == 0)
		o->batch_size = (int) opt_integer(key, v, 1, 1000000);
	else if (strcmp(key, "l1") == 0)
		o->l1 = mm_pg_opt_number(key, v, 0, 1e6);
	else if (strcmp(key, "l2") == 0)
	{
		o->l2 = mm_pg_opt_number(key, v, 0, 1e6);
		o->has_l2 = true;
	}
	else if (strcmp(key, "shuffle") == 0)
		o->shuffle = (shuffle_kind) pick(key, mm_pg_opt_string(key, v), shuffles);
	else if (strcmp(key, "seed") == 0)
		o->seed = (int64) opt_integer(key, v, -9007199254740992.0, 9007199254740992.0);
	else if (strcmp(key, "early_stopping") == 0)
		o->early_stopping = mm_pg_opt_bool(key, v);
	else if (strcmp(key, "validation_fraction") == 0)
		o->validation_fraction = mm_pg_opt_number(key, v, 0.001, 0.999);
	else if (strcmp(key, "class_weight") == 0)
	{
		if (!(v->type == jbvString && v->val.string.len == 8 && strncmp(v->val.string.val, "balanced", 8) == 0) &&
			!(v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"class_weight\" must be \"balanced\" or an object of label: weight")));
		o->class_weight = palloc(sizeof(JsonbValue));
		*o->class_weight = *v;
	}
	else if (strcmp(key, "fit_intercept") == 0)
		o->fit_intercept = mm_pg_opt_bool(key, v);
	else if (strcmp(key, "standardize") == 0)
		o->standardize = mm_pg_opt_bool(key, v);
	else if (strcmp(key, "impute") == 0)
		o->impute = (impute_kind) pick(key, mm_pg_opt_string(key, v), imputes);
	else if (strcmp(key, "test_fraction") == 0)
		o->test_fraction = mm_pg_opt_number(key, v, 0, 0.99);
	else if (strcmp(key, "auto_deploy") == 0)
		o->auto_deploy = mm_pg_opt_bool(key, v);
	else if (strcmp(key, "mode") == 0)
		o->mode = (mode_kind) pick(key, mm_pg_opt_string(key, v), modes);
	else if (strcmp(key, "max_categories") == 0)
		o->max_categories = (int) mm_pg_opt_number(key, v, 1, MM_PREP_MAX_CATEGORIES);
	else if (strcmp(key, "reference_levels") == 0)
		reference_levels_opt(o, v);
	else
	{
		StringInfoData s;

		initStringInfo(&s);
		for (int i = 0; train_keys[i]; i++)
			appendStringInfo(&s, "%s%s", i ? ", " : "", train_keys[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown option \"%s\" for train", key),
				 errhint("Known options: %s.", s.data)));
	}
}

static char *exact_float(double v);

/* ---- the source ---- */

typedef enum
{
	COL_SCALAR, COL_CAT, COL_ARRAY
} col_kind;

typedef struct feat_col
{
	char	   *name;
	col_kind	kind;
	int			width;			/* features: 1, the array length, or the categories less a reference */
	double		fill;			/* imputed value */
	char	  **cats;			/* COL_CAT: categories in byte order */
	int			ncats;
	int			ref;			/* COL_CAT: index of the dropped reference category, -1: full one-hot */
} feat_col;

static bool
is_numeric_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

static bool
is_numeric_array_type(Oid t)
{
	return t == FLOAT8ARRAYOID || t == FLOAT4ARRAYOID || t == INT4ARRAYOID || t == INT8ARRAYOID ||
		t == INT2ARRAYOID || t == NUMERICARRAYOID;
}

static bool
is_text_type(Oid t)
{
	return t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID;
}

static int
find_column(TupleDesc td, const char *name)
{
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	return -1;
}

static char *
feature_sql(const feat_col *f, int n, impute_kind imp)
{
	StringInfoData s;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoString(&s, "ARRAY[");
	for (int i = 0; i < n; i++)
	{
		const char *q = quote_identifier(f[i].name);

		if (f[i].kind == COL_ARRAY)
			continue;
		if (f[i].kind == COL_CAT)
		{
			/* one-hot: NULL and unseen categories (and the reference level) give all zeros */
			for (int k = 0; k < f[i].ncats; k++)
			{
				if (k == f[i].ref)
					continue;
				appendStringInfo(&s, "%scoalesce(s.%s::text = %s, false)::int::float8", first ? "" : ", ",
								 q, quote_literal_cstr(f[i].cats[k]));
				first = false;
			}
			continue;
		}
		if (!first)
			appendStringInfoString(&s, ", ");
		first = false;
		if (imp == IMPUTE_ERROR || imp == IMPUTE_SKIP)
			appendStringInfo(&s, "s.%s::float8", q);
		else
			appendStringInfo(&s, "coalesce(s.%s::float8, %s)", q, exact_float(f[i].fill));
	}
	appendStringInfoString(&s, "]::float8[]");
	if (first)
	{
		/* only arrays: no empty ARRAY[] to concatenate with on every row */
		resetStringInfo(&s);
		for (int i = 0; i < n; i++)
			if (f[i].kind == COL_ARRAY)
				appendStringInfo(&s, "%ss.%s::float8[]", s.len ? " || " : "", quote_identifier(f[i].name));
		return s.data;
	}
	for (int i = 0; i < n; i++)
		if (f[i].kind == COL_ARRAY)
			appendStringInfo(&s, " || s.%s::float8[]", quote_identifier(f[i].name));
	return s.data;
}

/* Exact shortest text for a double, independent of extra_float_digits. */
static char *
exact_float(double v)
{
	char	   *buf = palloc(DOUBLE_SHORTEST_DECIMAL_LEN);

	double_to_shortest_decimal_buf(v, buf);
	return buf;
}

/* ---- held-out evaluation ---- */

typedef struct evaluator
{
	int			algorithm;
	uint32		K;				/* classes (0: regression) */
	double		n;
	double	   *cm;				/* K x K confusion counts: [actual][predicted] */
	double		logloss;
	double	   *auc_s;			/* binary: scores */
	bool	   *auc_p;			/* binary: is positive */
	size_t		auc_n,
				auc_cap;
	mm_mem_charge *auc_charge;	/* the AUC arrays (and their sort copy) are counted */
	double		mean_y,
				m2_y,
				sse,
				sae;
} evaluator;

static void
eval_init(evaluator *e, int algorithm, uint32 K)
{
	memset(e, 0, sizeof(*e));
	e->algorithm = algorithm;
	e->K = K;
	if (K)
		e->cm = palloc0(sizeof(double) * K * K);
}

static void
eval_add(evaluator *e, const mm_model *m, const double *x, int32 cls, double y, double *scores, double *proba)
{
	mm_model_scores(m, x, scores);
	e->n += 1;
	if (e->K == 0)
	{
		double		r = y - scores[0],
					dm = y - e->mean_y;

		e->sse += r * r;
		e->sae += fabs(r);
		e->mean_y += dm / e->n;
		e->m2_y += dm * (y - e->mean_y);
		return;
	}
	e->cm[(size_t) cls * e->K + mm_model_class_index(m, scores)] += 1;
	if (e->algorithm != MM_ALG_SVM)
	{
		double		p;

		mm_model_proba(m, scores, proba);
		p = proba[cls];
		p = p < 1e-15 ? 1e-15 : (p > 1 - 1e-15 ? 1 - 1e-15 : p);
		e->logloss -= log(p);
	}
	if (e->K == 2)
	{
		if (e->auc_n == e->auc_cap)
		{
			e->auc_cap = e->auc_cap ? e->auc_cap * 2 : 1024;
			if (e->auc_charge == NULL)
				e->auc_charge = mm_pg_mem_charge(CurrentMemoryContext, 0, "the AUC scores of an evaluation");
			mm_pg_mem_resize(e->auc_charge, (sizeof(double) + sizeof(bool) + 2 * sizeof(double)) * e->auc_cap,
							 "the AUC scores of an evaluation");
			e->auc_s = e->auc_s ? repalloc_huge(e->auc_s, sizeof(double) * e->auc_cap) : palloc(sizeof(double) * e->auc_cap);
			e->auc_p = e->auc_p ? repalloc_huge(e->auc_p, sizeof(bool) * e->auc_cap) : palloc(sizeof(bool) * e->auc_cap);
		}
		e->auc_s[e->auc_n] = scores[0];
		e->auc_p[e->auc_n++] = cls == 1;
	}
}

typedef struct scored
{
	double		s;
	bool		p;
} scored;

static int
cmp_scored(const void *a, const void *b)
{
	double		x = ((const scored *) a)->s,
				y = ((const scored *) b)->s;

	return x < y ? -1 : x > y;
}

/* Mann-Whitney AUC with ties counted one half (scikit-learn's roc_auc_score). */
static double
eval_auc(evaluator *e)
{
	scored	   *v = palloc(sizeof(scored) * (e->auc_n + 1));
	double		npos = 0,
				nneg = 0,
				rank_sum = 0;
	size_t		i = 0;

	for (size_t k = 0; k < e->auc_n; k++)
	{
		v[k].s = e->auc_s[k];
		v[k].p = e->auc_p[k];
		if (v[k].p)
			npos++;
		else
			nneg++;
	}
	if (npos == 0 || nneg == 0)
		return NAN;
	qsort(v, e->auc_n, sizeof(scored), cmp_scored);
	while (i < e->auc_n)
	{
		size_t		j = i;
		double		pos = 0;

		while (j < e->auc_n && v[j].s == v[i].s)
			pos += v[j++].p;
		rank_sum += pos * ((double) i + 1 + (double) j) / 2.0;
		i = j;
	}
	return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

static void
json_num(StringInfo s, const char *key, double v, bool *first)
{
	appendStringInfo(s, "%s\"%s\": ", *first ? "" : ", ", key);
	*first = false;
	if (isnan(v) || isinf(v))
		appendStringInfoString(s, "null");
	else
		appendStringInfoString(s, exact_float(v));
}

/* Metrics of the held-out rows as a JSON object; "score" is accuracy or R2 (higher is better). */
static char *
eval_json(evaluator *e, double *score)
{
	StringInfoData s;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	json_num(&s, "n_test", e->n, &first);
	if (e->K == 0)
	{
		double		r2 = e->m2_y > 0 ? 1.0 - e->sse / e->m2_y : (e->sse == 0 ? 1.0 : 0.0);

		json_num(&s, "r2", r2, &first);
		json_num(&s, "mse", e->sse / e->n, &first);
		json_num(&s, "rmse", sqrt(e->sse / e->n), &first);
		json_num(&s, "mae", e->sae / e->n, &first);
		*score = r2;
	}
	else
	{
		double		correct = 0,
					f1sum = 0;

		for (uint32 k = 0; k < e->K; k++)
		{
			double		tp = e->cm[(size_t) k * e->K + k],
						pp = 0,
						ap = 0;

			correct += tp;
			for (uint32 j = 0; j < e->K; j++)
			{
				pp += e->cm[(size_t) j * e->K + k];
				ap += e->cm[(size_t) k * e->K + j];
			}
			f1sum += (pp + ap) > 0 ? 2 * tp / (pp + ap) : 0;
			if (e->K == 2 && k == 1)
			{
				double		prec = pp > 0 ? tp / pp : 0,
							rec = ap > 0 ? tp / ap : 0;

				json_num(&s, "precision", prec, &first);
				json_num(&s, "recall", rec, &first);
				json_num(&s, "f1", (pp + ap) > 0 ? 2 * tp / (pp + ap) : 0, &first);
			}
		}
		*score = correct / e->n;
		json_num(&s, "accuracy", *score, &first);
		if (e->K > 2)
			json_num(&s, "f1_macro", f1sum / e->K, &first);
		if (e->algorithm != MM_ALG_SVM)
			json_num(&s, "log_loss", e->logloss / e->n, &first);
		if (e->K == 2)
			json_num(&s, "roc_auc", eval_auc(e), &first);
	}
	json_num(&s, "score", *score, &first);
	appendStringInfoChar(&s, '}');
	return s.data;
}

/* ---- rows ---- */

typedef enum
{
	ROLE_TRAIN = 0, ROLE_VALID = 1, ROLE_TEST = 2
} row_role;

/* rows of the packed set are indexed by 31 bits (see mm_epoch_order) */
#define MAX_MEMORY_ROWS 2147483647

typedef struct rowset
{
	int			d;
	bool		packed;			/* all rows are here (memory mode) */
	size_t		n,
				cap;
	double	   *X;				/* n x d */
	double	   *y;
	int32	   *cls;
	uint8	   *role;
	uint64	   *hash;			/* mm_row_hash of each row */
	bool		soft;			/* rows_push returns false when the budget cannot take more */
	struct row_map *map;		/* packed rows: X lives in this reservation (see rows_reserve) */
	mm_mem_charge *charge;		/* what the arrays are counted as (see mm_pg_mem_charge) */
} rowset;

/*
 * What a row costs in memory: its features and label (8 bytes each), class, role and hash (13),
 * and its share of an epoch's order arrays (20, see order_buf).
 */
#define ROW_BYTES(d) (sizeof(double) * ((Size) (d) + 1) + 13 + 20)

/*
 * How many source rows a streaming loop holds at once (a batch context reset, a cursor fetch):
 * up to 1024, fewer for wide rows so a batch stays near 1 MB and is never worth counting.
 */
static inline int
rows_per_batch(int d)
{
	Size		n = ((Size) 1 << 20) / (sizeof(double) * ((Size) d + 1));

	return (int) Max(1, Min(n, 1024));
}

/*
 * Large arrays read in a random order (the packed rows of every shuffled epoch, the arrays of a
 * sort pass) are advised for transparent huge pages where the system offers them: with 4 kB
 * pages nearly each row is a TLB miss, with 2 MB pages an epoch at 1M x 32 is about a third
 * faster. Only advice on the whole 2 MB pages inside the allocation (EINVAL where THP is off).
 */
static void
advise_huge(void *p, Size len)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t hp = 2 * 1024 * 1024;
	uintptr_t	lo = ((uintptr_t) p + hp - 1) & ~(hp - 1);
	uintptr_t	hi = ((uintptr_t) p + len) & ~(hp - 1);

	if (hi > lo)
		(void) madvise((void *) lo, hi - lo, MADV_HUGEPAGE);
#endif
}

/*
 * An anonymous mapping advised for huge pages: for the arrays of a sort pass (committed, their
 * size already counted in ROW_BYTES), and for the packed rows, which get one reservation of
 * address space as large as the budget could ever let them grow (PROT_NONE, so neither memory
 * nor the kernel's commit charge) whose prefix is made writable, and so committed, as counted
 * rows arrive: the rows never move, and moving would split their huge pages. No MAP_NORESERVE:
 * the kernel accounts for every writable page. A callback on the owning memory context unmaps
 * it on error; row_map_release otherwise.
 */
typedef struct row_map
{
	MemoryContextCallback cb;
	void	   *base;
	size_t		len;
	size_t		committed;		/* bytes at base made writable */
} row_map;

static void
row_map_release(void *arg)
{
	row_map    *m = (row_map *) arg;

	if (m->base)
		munmap(m->base, m->len);
	m->base = NULL;
}

/*
 * Maps len bytes advised for huge pages, unmapped when the current memory context goes (or by
 * row_map_release); NULL where that is not possible.
 */
static row_map *
row_map_new(size_t len, bool reserve_only)
{
#if defined(MAP_ANONYMOUS)
	void	   *p = mmap(NULL, len, reserve_only ? PROT_NONE : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	row_map    *m;

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void) madvise(p, len, MADV_HUGEPAGE);	/* only advice: EINVAL where THP is off */
#endif
	m = palloc0(sizeof(row_map));
	m->base = p;
	m->len = len;
	m->committed = reserve_only ? 0 : len;
	m->cb.func = row_map_release;
	m->cb.arg = m;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &m->cb);
	return m;
#else
	return NULL;
#endif
}

/*
 * Makes room for ncap rows, counted first: false (nothing changed) when r->soft and the budget
 * cannot take them, ERROR 53200 when not soft.
 */
static bool
rows_reserve(rowset *r, size_t ncap)
{
	Size		bytes = ROW_BYTES(r->d) * ncap;

	if (r->charge == NULL)
		r->charge = mm_pg_mem_charge(CurrentMemoryContext, 0, "training rows in memory");
	if (bytes > r->charge->bytes && !mm_pg_mem_fits(bytes - r->charge->bytes))
	{
		if (r->soft)
			return false;
		mm_pg_mem_error(bytes - r->charge->bytes, r->packed ? "training rows in memory" : "validation rows",
						r->packed ? "Train with {\"mode\": \"streaming\"}, or ask a superuser to raise modelmgr.train_memory_budget."
						: "Use a smaller \"validation_fraction\", or ask a superuser to raise modelmgr.train_memory_budget.");
	}
	mm_pg_mem_resize(r->charge, bytes, "training rows in memory");
	if (r->packed && r->cap == 0 && r->map == NULL)
	{
		/* room for all the rows the budget can take, address space only */
		r->map = row_map_new(TYPEALIGN(8192, (Size) mm_memory_budget_kb * 1024 / ROW_BYTES(r->d) * sizeof(double) * r->d + sizeof(double) * r->d), true);
		if (r->map)
			r->X = (double *) r->map->base;
	}
	if (r->map && sizeof(double) * ncap * r->d > r->map->len)
	{
		/* past the reservation (only with a budget raised mid-call): move to palloc */
		double	   *X = palloc_extended(sizeof(double) * ncap * r->d, MCXT_ALLOC_HUGE);

		memcpy(X, r->X, sizeof(double) * r->n * r->d);
		row_map_release(r->map);
		r->map = NULL;
		r->X = X;
	}
	else if (r->map)
	{
		Size		want = TYPEALIGN(8192, sizeof(double) * ncap * r->d);

		want = Min(want, r->map->len);
		if (want > r->map->committed &&
			mprotect((char *) r->map->base + r->map->committed, want - r->map->committed, PROT_READ | PROT_WRITE) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Failed on request of size %zu for training rows in memory.", want - r->map->committed)));
		r->map->committed = Max(want, r->map->committed);
	}
	if (r->cap)
	{
		if (r->map == NULL)
			r->X = repalloc_huge(r->X, sizeof(double) * ncap * r->d);
		r->y = repalloc_huge(r->y, sizeof(double) * ncap);
		r->cls = repalloc_huge(r->cls, sizeof(int32) * ncap);
		r->role = repalloc_huge(r->role, ncap);
		r->hash = repalloc_huge(r->hash, sizeof(uint64) * ncap);
	}
	else
	{
		if (r->map == NULL)
			r->X = palloc_extended(sizeof(double) * ncap * r->d, MCXT_ALLOC_HUGE);
		r->y = palloc_extended(sizeof(double) * ncap, MCXT_ALLOC_HUGE);
		r->cls = palloc_extended(sizeof(int32) * ncap, MCXT_ALLOC_HUGE);
		r->role = palloc_extended(ncap, MCXT_ALLOC_HUGE);
		r->hash = palloc_extended(sizeof(uint64) * ncap, MCXT_ALLOC_HUGE);
	}
	if (r->map == NULL)
		advise_huge(r->X, sizeof(double) * ncap * r->d);
	r->cap = ncap;
	return true;
}

/* Appends a row; false when the rows are soft and the budget cannot take more (see rows_reserve). */
static bool
rows_push(rowset *r, const double *x, double y, int32 cls, uint8 role, uint64 hash)
{
	if (r->n >= MAX_MEMORY_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training in memory holds at most %d rows", MAX_MEMORY_ROWS),
				 errhint("Use the option {\"mode\": \"streaming\"}.")));
	if (r->n == r->cap && !rows_reserve(r, r->cap ? r->cap * 2 : 1024))
		return false;
	memcpy(r->X + r->n * r->d, x, sizeof(double) * r->d);
	r->y[r->n] = y;
	r->cls[r->n] = cls;
	r->role[r->n] = role;
	r->hash[r->n] = hash;
	r->n++;
	return true;
}

/*
 * Keeps only the validation rows (moved to the front) and gives the rest of the memory back:
 * what is left when the packed rows outgrow the budget and the epochs stream.
 */
static void
rows_keep_validation(rowset *r)
{
	size_t		k = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->role[i] == ROLE_VALID)
		{
			if (k != i)
			{
				memcpy(r->X + k * r->d, r->X + i * r->d, sizeof(double) * r->d);
				r->y[k] = r->y[i];
				r->cls[k] = r->cls[i];
				r->role[k] = r->role[i];
				r->hash[k] = r->hash[i];
			}
			k++;
		}
	r->n = k;
	r->packed = false;
	r->soft = false;
	if (r->cap)
	{
		size_t		ncap = Max(k, 1024);

		if (r->map)
		{
			double	   *X = palloc_extended(sizeof(double) * ncap * r->d, MCXT_ALLOC_HUGE);

			memcpy(X, r->X, sizeof(double) * k * r->d);
			row_map_release(r->map);
			r->map = NULL;
			r->X = X;
		}
		else
			r->X = repalloc_huge(r->X, sizeof(double) * ncap * r->d);
		r->y = repalloc_huge(r->y, sizeof(double) * ncap);
		r->cls = repalloc_huge(r->cls, sizeof(int32) * ncap);
		r->role = repalloc_huge(r->role, ncap);
		r->hash = repalloc_huge(r->hash, sizeof(uint64) * ncap);
		r->cap = ncap;
		mm_pg_mem_resize(r->charge, ROW_BYTES(r->d) * ncap, "validation rows");
	}
}

static inline double
unit_of(uint64 hash, uint64 seed)
{
	return mm_key_unit(mm_row_key(hash, seed));
}

static uint64
shuffle_seed(const train_opts *o, int epoch)
{
	uint64		s = (uint64) o->seed ^ SALT_SHUFFLE;

	return o->shuffle == SHUFFLE_ALWAYS ? s + (uint64) epoch * UINT64CONST(0x9E3779B97F4A7C15) : s;
}

/* What a NULL element of a row hashes as: a NaN (never a feature's value) with "NULL" in its payload. */
#define NULL_ELEMENT_WORD UINT64CONST(0x7FF84E554C4C0000)

/* Room for one row's values, kept across rows (row_hash_nulls). */
typedef struct row_buf
{
	double	   *v;
	int			cap;
	MemoryContext cxt;			/* where v lives */
} row_buf;

/*
 * The hash of a row given as a float8[] that may hold NULLs (the raw row of a model with
 * imputed columns; see build_sql), which hash as NULL_ELEMENT_WORD. Other elements must be
 * finite. Runs once per row: the values are read straight from the array (its NULL bitmap and
 * packed elements) into buf, which grows only when a longer row comes.
 */
static uint64
row_hash_nulls(ArrayType *a, double y, const char *what, row_buf *buf)
{
	const bits8 *bm;
	const double *src;
	int			n;
	double	   *v;

	if (!(ARR_HASNULL(a) && array_contains_nulls(a)))
	{
		v = mm_pg_features(a, &n, what);
		return mm_row_hash(v, (uint32) n, y);
	}
	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be a one-dimensional float8 array", what)));
	n = ARR_DIMS(a)[0];
	if (n > buf->cap)
	{
		if (buf->v)
			pfree(buf->v);
		buf->v = MemoryContextAllocHuge(buf->cxt, sizeof(double) * n);
		buf->cap = n;
	}
	v = buf->v;
	bm = ARR_NULLBITMAP(a);
	src = (const double *) ARR_DATA_PTR(a);
	for (int i = 0; i < n; i++)
		v[i] = (bm[i >> 3] & (1 << (i & 7))) ? *src++ : 0.0;
	mm_pg_check_all_finite(v, n, what);
	for (int i = 0; i < n; i++)
		if (!(bm[i >> 3] & (1 << (i & 7))))
		{
			uint64		w = NULL_ELEMENT_WORD;

			memcpy(&v[i], &w, sizeof(double));
		}
	return mm_row_hash(v, (uint32) n, y);
}

/* The shared hash of a training row, so streaming and memory modes agree on splits and order. */
PG_FUNCTION_INFO_V1(mm_row_unit);
Datum
mm_row_unit(PG_FUNCTION_ARGS)
{
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(0);
	row_buf    *buf = (row_buf *) fcinfo->flinfo->fn_extra;

	if (buf == NULL)
	{
		buf = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(row_buf));
		buf->cxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = buf;
	}
	PG_RETURN_FLOAT8(unit_of(row_hash_nulls(xa, PG_GETARG_FLOAT8(1), "feature array", buf),
							 (uint64) PG_GETARG_INT64(2)));
}

/* The arrays an epoch's order is built in: allocated once per run (in the run's context). */
typedef struct order_buf
{
	size_t		n;				/* capacity in rows, 0: not allocated */
	struct row_map *map;		/* the arrays' mapping (huge pages: a sort pass scatters), or NULL */
	uint32	   *ord;
	uint64	   *tmp1;
	uint64	   *tmp2;
} order_buf;

/*
 * Training-row order for an epoch: scan order, or sorted by the row hash under the epoch's seed.
 * Returns b->ord (valid until the next call).
 */
static uint32 *
epoch_order(const rowset *r, const train_opts *o, int epoch, uint32 *count, order_buf *b)
{
	uint32		c = 0;

	if (b->n < r->n + 1)
	{
		size_t		n = r->n + 1;

		if (b->map)
			row_map_release(b->map);
		else if (b->n)
		{
			pfree(b->ord);
			pfree(b->tmp1);
			pfree(b->tmp2);
		}
		b->map = row_map_new(sizeof(uint64) * 2 * n + sizeof(uint32) * n, false);
		if (b->map)
		{
			b->tmp1 = (uint64 *) b->map->base;
			b->tmp2 = b->tmp1 + n;
			b->ord = (uint32 *) (b->tmp2 + n);
		}
		else
		{
			b->ord = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
			b->tmp1 = palloc_extended(sizeof(uint64) * n, MCXT_ALLOC_HUGE);
			b->tmp2 = palloc_extended(sizeof(uint64) * n, MCXT_ALLOC_HUGE);
		}
		b->n = n;
	}
	if (o->shuffle == SHUFFLE_NONE)
	{
		for (size_t i = 0; i < r->n; i++)
			if (r->role[i] == ROLE_TRAIN)
				b->ord[c++] = (uint32) i;
	}
	else
	{
		size_t		n;

		/* sorted by key, stably: rows with equal keys (identical rows) keep scan order */
		mm_epoch_order(r->hash, r->role, r->n, shuffle_seed(o, epoch), b->ord, &n, b->tmp1, b->tmp2);
		c = (uint32) n;
	}
	*count = c;
	return b->ord;
}

/*
 * The drift baseline's sample: the BASELINE_SAMPLE training rows with the smallest keys under a
 * fixed seed. Chosen by content, so it is the same whatever the scan order or the mode.
 */
typedef struct sampler
{
	uint32		d;
	size_t		n,
				cap;
	uint64	   *keys;
	double	   *X;
	uint64		limit;			/* rows with a larger key can no longer be in the sample */
	/* scratch for compaction, allocated once with the buffers (no big alloc/free per compaction) */
	double	   *X2;
	uint64	   *tk;
	uint32	   *idx,
			   *ti;
	mm_mem_charge *charge;
} sampler;

/* The sample's buffers grow (counted) up to this many rows, then compact to BASELINE_SAMPLE. */
#define SAMPLER_FULL (BASELINE_SAMPLE + BASELINE_SAMPLE / 2)

static void
sampler_grow(sampler *s)
{
	size_t		ncap = s->cap ? Min(s->cap * 2, SAMPLER_FULL) : 64;
	Size		bytes = ncap * (2 * sizeof(double) * (Size) s->d + 2 * sizeof(uint64) + 2 * sizeof(uint32));

	if (s->charge == NULL)
		s->charge = mm_pg_mem_charge(CurrentMemoryContext, 0, "the drift baseline sample");
	if (!mm_pg_mem_fits(bytes - s->charge->bytes))
		mm_pg_mem_error(bytes - s->charge->bytes, "the drift baseline sample",
						psprintf("The sample keeps up to %d training rows of %u features. Use fewer features, or ask a superuser to raise modelmgr.train_memory_budget.",
								 BASELINE_SAMPLE, s->d));
	mm_pg_mem_resize(s->charge, bytes, "the drift baseline sample");
	if (s->cap == 0)
	{
		s->keys = palloc_extended(sizeof(uint64) * ncap, MCXT_ALLOC_HUGE);
		s->tk = palloc_extended(sizeof(uint64) * ncap, MCXT_ALLOC_HUGE);
		s->idx = palloc_extended(sizeof(uint32) * ncap, MCXT_ALLOC_HUGE);
		s->ti = palloc_extended(sizeof(uint32) * ncap, MCXT_ALLOC_HUGE);
		s->X = palloc_extended(sizeof(double) * ncap * s->d, MCXT_ALLOC_HUGE);
		s->X2 = palloc_extended(sizeof(double) * ncap * s->d, MCXT_ALLOC_HUGE);
		s->limit = UINT64_MAX;
	}
	else
	{
		s->keys = repalloc_huge(s->keys, sizeof(uint64) * ncap);
		s->tk = repalloc_huge(s->tk, sizeof(uint64) * ncap);
		s->idx = repalloc_huge(s->idx, sizeof(uint32) * ncap);
		s->ti = repalloc_huge(s->ti, sizeof(uint32) * ncap);
		s->X = repalloc_huge(s->X, sizeof(double) * ncap * s->d);
		pfree(s->X2);			/* scratch: no need to copy */
		s->X2 = palloc_extended(sizeof(double) * ncap * s->d, MCXT_ALLOC_HUGE);
	}
	s->cap = ncap;
}

static void
sampler_compact(sampler *s, size_t keep)
{
	double	   *t;

	if (s->n == 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		s->idx[i] = (uint32) i;
	mm_sort_by_key(s->keys, s->idx, s->n, s->tk, s->ti);
	if (keep > s->n)
		keep = s->n;
	for (size_t i = 0; i < keep; i++)
		memcpy(s->X2 + i * s->d, s->X + (size_t) s->idx[i] * s->d, sizeof(double) * s->d);
	t = s->X;
	s->X = s->X2;
	s->X2 = t;
	s->n = keep;
	if (keep == BASELINE_SAMPLE)
		s->limit = s->keys[keep - 1];
}

static void
sampler_add(sampler *s, uint64 hash, const double *x)
{
	uint64		key = mm_row_key(hash, SALT_BASELINE);

	if (s->cap == 0)
		sampler_grow(s);
	if (key > s->limit)
		return;
	if (s->n == s->cap)
		sampler_grow(s);
	s->keys[s->n] = key;
	memcpy(s->X + s->n * s->d, x, sizeof(double) * s->d);
	if (++s->n == SAMPLER_FULL)
		sampler_compact(s, BASELINE_SAMPLE);
}

/* ---- the driver ---- */

typedef struct train_ctx
{
	train_opts	o;
	char	   *name;
	char	   *source;
	char	   *src;			/* quoted relation or (query) */
	char	   *label;
	feat_col   *f;
	int			nf;
	int			d;
	char	  **fnames;
	int			algorithm;
	bool		text_labels;
	uint32		ncls;
	double	   *cvals;
	char	  **cnames;
	/* numeric and boolean labels: classes collected by the first pass (no separate scan) */
	bool		defer_classes;
	bool		bool_label;
	uint32		ndist;
	double	   *dvals;			/* distinct label values seen, ascending */
	double	   *dcount;			/* training rows per value */
	Datum		classes_param;	/* text[] of class names, for the label mapping in SQL */
	char	   *base;			/* SELECT x, y FROM ... */
	char	   *train_where;	/* filter that keeps training rows of base */
	double	   *std_mean;		/* memory mode: the packed training rows are standardised with */
	double	   *std_inv;		/* these (see rows_standardise), NULL: raw */
	const char *hcol;			/* the array a row's hash is taken over: q.x, or q.h (see build_sql) */
	row_buf		hbuf;			/* the first pass's room for a raw row (row_hash_nulls) */
	char	   *test_where;
	rowset		rows;
	sampler		sample;
	double		n_train,
				n_valid,
				n_test;
	double	   *mean,
			   *scale,
			   *cw;
	bool		streaming;
	char	   *once_table;		/* streaming, shuffle once: the shuffled copy */
	uint32	   *once_order;		/* memory, shuffle once: the order of every epoch */
	uint32		once_count;
	order_buf	order;			/* memory: the arrays of an epoch's order (in cxt) */
	bool		shuffled;
	bool		converged;
	int			epochs_run;
	double		gradient;		/* lbfgs, gd: max |gradient| at the end (NaN otherwise) */
	double		gtol;			/* lbfgs, gd: the tolerance it was held to */
	char	   *statistics;		/* lbfgs, gd logistic: the "statistics" JSON object, or NULL */
	StringInfoData losses;
	MemoryContext cxt;
} train_ctx;

static Oid	param_types[3] = {TEXTARRAYOID, BYTEAOID, INT8OID};

static void
spi_run(const char *sql, train_ctx *c, Datum model, int64 seed, long tcount)
{
	Datum		vals[3] = {c->classes_param, model, Int64GetDatum(seed)};
	char		nulls[3] = {c->classes_param ? ' ' : 'n', model ? ' ' : 'n', ' '};
	/* read-only unless this run made its own temporary table, which needs a fresh snapshot */
	int			rc = SPI_execute_with_args(sql, 3, param_types, vals, nulls, c->once_table == NULL, tcount);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "train: query failed (%d): %s", rc, sql);
}

static double
spi_double(int row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? 0 : DatumGetFloat8(d);
}

/*
 * The names of a table source's key columns: its primary key's, identity and serial columns
 * (a sequence owned by the column). A query source has none.
 */
static List *
key_columns(const char *src)
{
	List	   *keys = NIL;
	Oid			relid;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];

	if (src[0] == '(')
		return NIL;
	relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(src)), NoLock, false);
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a "
							  "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND ("
							  "a.attidentity OPERATOR(pg_catalog.<>) '' "
							  "OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid "
							  "AND i.indisprimary AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey)) "
							  "OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class q "
							  "ON q.oid OPERATOR(pg_catalog.=) d.objid AND q.relkind OPERATOR(pg_catalog.=) 'S' "
							  "WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "AND d.refobjid OPERATOR(pg_catalog.=) a.attrelid "
							  "AND d.refobjsubid OPERATOR(pg_catalog.=) a.attnum AND (d.deptype OPERATOR(pg_catalog.=) 'a' OR d.deptype OPERATOR(pg_catalog.=) 'i')))",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "train: key column lookup failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		keys = lappend(keys, makeString(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1)));
	return keys;
}

static void
describe_columns(train_ctx *c, ArrayType *features)
{
	TupleDesc	td;
	int			li;
	Oid			lt;

	spi_run(psprintf("SELECT * FROM %s AS s LIMIT 0", c->src), c, (Datum) 0, 0, 0);
	td = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	li = find_column(td, c->label);
	if (li < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("label column \"%s\" does not exist in the source", c->label)));
	lt = getBaseType(TupleDescAttr(td, li)->atttypid);
	c->text_labels = is_text_type(lt);
	c->bool_label = lt == BOOLOID;
	if (!c->text_labels && !is_numeric_type(lt) && lt != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label column \"%s\" has type %s", c->label, format_type_be(lt)),
				 errhint("Labels must be numeric, boolean or text.")));

	c->f = palloc0(sizeof(feat_col) * (td->natts + 1));
	if (features)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must list at least one column")));
		c->f = palloc0(sizeof(feat_col) * n);
		for (int i = 0; i < n; i++)
		{
			char	   *nm;
			int			k;
			Oid			t;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL")));
			nm = TextDatumGetCString(elems[i]);
			k = find_column(td, nm);
			if (k < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("feature column \"%s\" does not exist in the source", nm)));
			if (k == li)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is the label, so it cannot be a feature", nm)));
			for (int j = 0; j < c->nf; j++)
				if (strcmp(c->f[j].name, nm) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("feature column \"%s\" is listed twice", nm)));
			t = TupleDescAttr(td, k)->atttypid;
			c->f[c->nf].name = nm;
			c->f[c->nf].width = 1;
			t = getBaseType(t);
			if (is_numeric_type(t))
				c->f[c->nf].kind = COL_SCALAR;
			else if (t == BOOLOID || is_text_type(t))
				c->f[c->nf].kind = COL_CAT;
			else if (is_numeric_array_type(t))
				c->f[c->nf].kind = COL_ARRAY;
			else
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("feature column \"%s\" has type %s, which train() cannot use", nm, format_type_be(t)),
						 errhint("Features must be numeric, boolean, text or numeric arrays; cast other columns in a query source.")));
			c->nf++;
		}
	}
	else
	{
		List	   *keys = key_columns(c->src);
		StringInfoData skipped;

		initStringInfo(&skipped);
		for (int k = 0; k < td->natts; k++)
		{
			Form_pg_attribute a = TupleDescAttr(td, k);
			Oid			bt;

			if (a->attisdropped || k == li)
				continue;
			if (list_member(keys, makeString(NameStr(a->attname))))
			{
				appendStringInfo(&skipped, "%s%s", skipped.len ? ", " : "", NameStr(a->attname));
				continue;
			}
			bt = getBaseType(a->atttypid);
			if (is_numeric_type(bt) || bt == BOOLOID || is_text_type(bt))
			{
				c->f[c->nf].name = pstrdup(NameStr(a->attname));
				c->f[c->nf].kind = is_numeric_type(bt) ? COL_SCALAR : COL_CAT;
				c->f[c->nf].width = 1;
				c->nf++;
			}
		}
		if (c->nf == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the source has no numeric, boolean or text column besides the label")));
		{
			StringInfoData s;

			initStringInfo(&s);
			for (int i = 0; i < c->nf; i++)
				appendStringInfo(&s, "%s%s", i ? ", " : "", c->f[i].name);
			ereport(NOTICE, (errmsg("train: using features %s", s.data),
							 skipped.len ? errdetail("Key columns left out: %s (primary key, identity or serial); name them in features to use them.", skipped.data) : 0));
		}
	}
	/* label type decides the algorithm for auto */
	if (lt == BOOLOID || c->text_labels)
	{
		if (c->algorithm == MM_ALG_LINREG)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("linear regression needs a numeric label, and \"%s\" is %s", c->label, format_type_be(lt))));
		if (c->algorithm == 0)
		{
			c->algorithm = MM_ALG_LOGREG;
			ereport(NOTICE, (errmsg("train: algorithm auto chose logistic_regression for a %s label", format_type_be(lt))));
		}
	}
	else if (c->algorithm == 0)
	{
		bool		integer = lt == INT2OID || lt == INT4OID || lt == INT8OID;
		int64		ndist = 0;

		if (integer)
		{
			bool		isnull;

			spi_run(psprintf("SELECT count(*)::float8 FROM (SELECT DISTINCT s.%s FROM %s AS s LIMIT 21) q",
							 quote_identifier(c->label), c->src), c, (Datum) 0, 0, 0);
			ndist = (int64) spi_double(0, 1, &isnull);
		}
		c->algorithm = integer && ndist <= 20 ? MM_ALG_LOGREG : MM_ALG_LINREG;
		ereport(NOTICE, (errmsg("train: algorithm auto chose %s for a %s label",
								c->algorithm == MM_ALG_LINREG ? "linear_regression" : "logistic_regression", format_type_be(lt))));
	}
	c->base = NULL;
	/* the label expression */
	{
		const char *q = quote_identifier(c->label);
		char	   *yexpr;

		if (c->text_labels)
			yexpr = psprintf("(array_position($1, s.%s::text) - 1)::float8", q);
		else if (lt == BOOLOID)
			yexpr = psprintf("s.%s::int::float8", q);
		else
			yexpr = psprintf("s.%s::float8", q);
		c->base = yexpr;		/* completed in build_sql */
	}
}

static int32 class_index(const train_ctx *c, double y);

static void
check_class_count(const train_ctx *c)
{
	if (c->ncls > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label \"%s\" has more than 1000 distinct values", c->label),
				 errhint("Use linear_regression for a continuous label.")));
	if (c->ncls < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("label \"%s\" has only %u class%s, and a classifier needs two", c->label, c->ncls,
						c->ncls == 1 ? "" : "es")));
}

static void
check_algorithm_classes(train_ctx *c)
{
	if (c->algorithm == MM_ALG_SVM && c->ncls != 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("svm needs exactly two classes, and label \"%s\" has %u", c->label, c->ncls)));
	if (c->algorithm == MM_ALG_LOGREG && c->ncls > 2)
		c->algorithm = MM_ALG_MULTINOMIAL;
}

/* A label value seen by the first pass (deferred classes); counts training rows per value. */
static void
observe_label(train_ctx *c, double y, bool train)
{
	uint32		lo = mm_lower_bound(c->dvals, c->ndist, y);

	if (lo == c->ndist || c->dvals[lo] != y)
	{
		if (c->ndist == 1000)
		{
			c->ncls = 1001;
			check_class_count(c);
		}
		if (c->dvals == NULL)
		{
			c->dvals = MemoryContextAlloc(c->cxt, sizeof(double) * 1000);
			c->dcount = MemoryContextAlloc(c->cxt, sizeof(double) * 1000);
		}
		memmove(c->dvals + lo + 1, c->dvals + lo, sizeof(double) * (c->ndist - lo));
		memmove(c->dcount + lo + 1, c->dcount + lo, sizeof(double) * (c->ndist - lo));
		c->dvals[lo] = y;
		c->dcount[lo] = 0;
		c->ndist++;
	}
	if (train)
		c->dcount[lo]++;
}

/* After the first pass: the classes it saw, and each kept row's class index. */
static void
finish_classes(train_ctx *c)
{
	c->ncls = c->ndist;
	check_class_count(c);
	c->cvals = c->dvals;
	c->cnames = palloc(sizeof(char *) * c->ncls);
	for (uint32 k = 0; k < c->ncls; k++)
		c->cnames[k] = c->bool_label ? pstrdup(c->cvals[k] != 0 ? "true" : "false") : exact_float(c->cvals[k]);
	check_algorithm_classes(c);
	for (size_t i = 0; i < c->rows.n; i++)
		c->rows.cls[i] = class_index(c, c->rows.y[i]);
	c->defer_classes = false;
}

static void
learn_classes(train_ctx *c)
{
	const char *q = quote_identifier(c->label);
	bool		isnull;
	Oid			lt;

	if (c->algorithm == MM_ALG_LINREG)
		return;
	if (!c->text_labels)
	{
		/* numbers and booleans: the first pass sees every label anyway (see finish_classes) */
		c->defer_classes = true;
		return;
	}
	spi_run(psprintf("SELECT DISTINCT s.%s::text COLLATE \"C\" AS v FROM %s AS s WHERE s.%s IS NOT NULL ORDER BY 1 LIMIT %d",
					 q, c->src, q, MM_MAX_CLASSES + 1), c, (Datum) 0, 0, 0);
	c->ncls = (uint32) SPI_processed;
	check_class_count(c);
	lt = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
	c->cvals = palloc(sizeof(double) * c->ncls);
	c->cnames = palloc(sizeof(char *) * c->ncls);
	for (uint32 k = 0; k < c->ncls; k++)
	{
		Datum		v = SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull);

		if (c->text_labels)
		{
			c->cnames[k] = TextDatumGetCString(v);
			c->cvals[k] = (double) k;
		}
		else if (lt == BOOLOID)
		{
			c->cvals[k] = DatumGetBool(v) ? 1.0 : 0.0;
			c->cnames[k] = pstrdup(DatumGetBool(v) ? "true" : "false");
		}
		else
		{
			c->cvals[k] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															 DirectFunctionCall1(numeric_in, CStringGetDatum(SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1)))));
			c->cnames[k] = exact_float(c->cvals[k]);
		}
	}
	check_algorithm_classes(c);
	if (c->text_labels)
	{
		Datum	   *e = palloc(sizeof(Datum) * c->ncls);

		for (uint32 k = 0; k < c->ncls; k++)
			e[k] = CStringGetTextDatum(c->cnames[k]);
		c->classes_param = PointerGetDatum(construct_array(e, (int) c->ncls, TEXTOID, -1, false, TYPALIGN_INT));
	}
}

/*
 * Whether the fit is penalised, with the solvers' default l2 when the option is not given
 * (run_sgd: 1e-4; run_lbfgs: 0 for linear regression, 1/n for the classifiers; normal_equations: 0).
 */
static bool
fit_is_penalised(const train_ctx *c)
{
	if (c->o.l1 > 0)
		return true;
	if (c->o.has_l2)
		return c->o.l2 > 0;
	if (strcmp(c->o.solver, "sgd") == 0)
		return true;
	if (strcmp(c->o.solver, "normal_equations") == 0)
		return false;
	return c->algorithm != MM_ALG_LINREG;	/* lbfgs, gd */
}

/*
 * The coding of the category columns (treatment contrasts, as R's contr.treatment). An
 * unpenalised fit with an intercept drops each column's reference level, the first category in
 * byte order or the one "reference_levels" names: with every level kept, a block sums to the
 * intercept's column and the coefficients are not identified. Without an intercept the first
 * category column keeps every level (they take the intercept's place) and the others drop their
 * reference, as R's model.matrix does. A penalised fit (l1 or l2 > 0) keeps full one-hot: the
 * penalty identifies the coefficients without singling out a level.
 */
static void
choose_references(train_ctx *c)
{
	bool		coded = !fit_is_penalised(c);
	int			full = -1;

	if (coded && !c->o.fit_intercept)
		for (int i = 0; i < c->nf && full < 0; i++)
			if (c->f[i].kind == COL_CAT)
				full = i;
	if (c->o.n_refs > 0 && !coded)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"reference_levels\" needs an unpenalised fit"),
				 c->o.has_l2 || c->o.l1 > 0
				 ? errdetail("A penalised fit (l1 or l2 > 0) keeps every level of a category column.")
				 : errdetail("A penalised fit keeps every level of a category column, and solver %s penalises (l2 > 0) unless \"l2\" is 0.",
							 c->o.solver),
				 errhint("Set \"l2\" to 0 (and leave out \"l1\"), or leave out \"reference_levels\".")));
	for (int i = 0; i < c->nf; i++)
		if (c->f[i].kind == COL_CAT && coded && i != full)
			c->f[i].ref = 0;
	for (int r = 0; r < c->o.n_refs; r++)
	{
		const char *col = c->o.ref_cols[r];
		int			i;
		int			k;

		for (i = 0; i < c->nf; i++)
			if (strcmp(c->f[i].name, col) == 0)
				break;
		if (i == c->nf || c->f[i].kind != COL_CAT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"reference_levels\" names column \"%s\", which is not a text or boolean feature", col)));
		if (i == full)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"reference_levels\": column \"%s\" keeps every level in a fit without an intercept", col),
					 errdetail("Without an intercept the first category column has no reference level.")));
		for (k = 0; k < c->f[i].ncats; k++)
			if (strcmp(c->f[i].cats[k], c->o.ref_levels[r]) == 0)
				break;
		if (k == c->f[i].ncats)
		{
			StringInfoData s;

			initStringInfo(&s);
			for (int j = 0; j < c->f[i].ncats && j < 10; j++)
				appendStringInfo(&s, "%s%s", j ? ", " : "", quote_literal_cstr(c->f[i].cats[j]));
			if (c->f[i].ncats > 10)
				appendStringInfo(&s, ", ... (%d in all)", c->f[i].ncats);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"reference_levels\": column \"%s\" has no level \"%s\"", col, c->o.ref_levels[r]),
					 errdetail("Its levels are %s.", s.data)));
		}
		c->f[i].ref = k;
	}
	for (int i = 0; i < c->nf; i++)
		if (c->f[i].kind == COL_CAT && c->f[i].ref >= 0)
		{
			if (c->f[i].ncats < 2)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature column \"%s\" has a single level, %s", c->f[i].name, quote_literal_cstr(c->f[i].cats[0])),
						 errdetail("Its only level is the reference level, so it yields no feature in a fit with an intercept."),
						 errhint("Leave the column out of the features.")));
			c->f[i].width = c->f[i].ncats - 1;
		}
}

static void
build_sql(train_ctx *c)
{
	StringInfoData w;
	const char *yexpr = c->base;
	bool		isnull;
	bool		split_on_h;
	char	   *hsql;

	/* impute values and array widths */
	for (int i = 0; i < c->nf; i++)
	{
		const char *q = quote_identifier(c->f[i].name);

		if (c->f[i].kind == COL_ARRAY)
		{
			/* the width of one row; the first pass checks every other row against it */
			spi_run(psprintf("SELECT cardinality(s.%s)::float8 FROM %s AS s WHERE s.%s IS NOT NULL LIMIT 1",
							 q, c->src, q), c, (Datum) 0, 0, 0);
			c->f[i].width = SPI_processed == 1 ? (int) spi_double(0, 1, &isnull) : 0;
			if (c->f[i].width < 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("array feature \"%s\" must have the same, nonzero length in every row", c->f[i].name)));
			continue;
		}
		if (c->f[i].kind == COL_CAT)
		{
			spi_run(psprintf("SELECT DISTINCT s.%s::text COLLATE \"C\" FROM %s AS s WHERE s.%s IS NOT NULL ORDER BY 1 LIMIT %d",
							 q, c->src, q, c->o.max_categories + 1), c, (Datum) 0, 0, 0);
			if (SPI_processed > (uint64) c->o.max_categories)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("feature column \"%s\" has more than %d categories", c->f[i].name, c->o.max_categories),
						 errhint("Raise the \"max_categories\" option, or leave the column out of the features.")));
			if (SPI_processed == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature column \"%s\" has only NULL values", c->f[i].name)));
			c->f[i].ncats = c->f[i].width = (int) SPI_processed;
			c->f[i].ref = -1;
			c->f[i].cats = palloc(sizeof(char *) * SPI_processed);
			for (uint64 k = 0; k < SPI_processed; k++)
				c->f[i].cats[k] = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1);
			continue;
		}
	}

	choose_references(c);

	/*
	 * Mean and median fills are learned from the training rows only, as a test set must not
	 * shape the preprocessing its metrics judge. Rows are then assigned to the test set (and
	 * hashed for every other purpose) by their values with the NULLs left in (see
	 * row_hash_nulls), not by the imputed values, which would depend on the assignment.
	 */
	split_on_h = (c->o.impute == IMPUTE_MEAN || c->o.impute == IMPUTE_MEDIAN) && c->o.test_fraction > 0;
	hsql = split_on_h ? feature_sql(c->f, c->nf, IMPUTE_ERROR) : NULL;
	c->hcol = split_on_h ? "q.h" : "q.x";
	for (int i = 0; i < c->nf; i++)
	{
		const char *q = quote_identifier(c->f[i].name);
		const char *fill_where = split_on_h
			? psprintf(" WHERE modelmgr._row_unit(%s, %s, %lld) >= %s", hsql, yexpr,
					   (long long) (c->o.seed ^ SALT_TEST), exact_float(c->o.test_fraction))
			: "";

		if (c->f[i].kind != COL_SCALAR)
			continue;
		if (c->o.impute == IMPUTE_MEAN || c->o.impute == IMPUTE_MEDIAN)
		{
			spi_run(psprintf(c->o.impute == IMPUTE_MEDIAN
							 ? "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s.%s::float8) FROM %s AS s%s"
							 : "SELECT avg(s.%s::float8)::float8 FROM %s AS s%s", q, c->src, fill_where),
					c, (Datum) 0, 0, 0);
			c->f[i].fill = spi_double(0, 1, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature column \"%s\" has only NULL values%s", c->f[i].name,
								split_on_h ? " in the training rows" : "")));
		}
		else if (c->o.impute == IMPUTE_ZERO)
			c->f[i].fill = 0;
	}
	c->d = 0;
	for (int i = 0; i < c->nf; i++)
		c->d += c->f[i].width;
	if (c->d > MM_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d features is more than the limit of %d", c->d, MM_MAX_FEATURES)));
	c->fnames = palloc(sizeof(char *) * c->d);
	{
		int			j = 0;

		for (int i = 0; i < c->nf; i++)
			if (c->f[i].kind == COL_SCALAR)
				c->fnames[j++] = c->f[i].name;
			else if (c->f[i].kind == COL_CAT)
			{
				for (int k = 0; k < c->f[i].ncats; k++)
					if (k != c->f[i].ref)
						c->fnames[j++] = psprintf("%s=%s", c->f[i].name, c->f[i].cats[k]);
			}
		for (int i = 0; i < c->nf; i++)
			if (c->f[i].kind == COL_ARRAY)
				for (int k = 0; k < c->f[i].width; k++)
					c->fnames[j++] = psprintf("%s[%d]", c->f[i].name, k + 1);
	}
	initStringInfo(&w);
	/* a NULL label is an error in first_pass unless impute is skip */
	if (c->o.impute == IMPUTE_SKIP)
		appendStringInfo(&w, "s.%s IS NOT NULL", quote_identifier(c->label));
	else
		appendStringInfoString(&w, "true");
	if (c->o.impute == IMPUTE_SKIP)
		for (int i = 0; i < c->nf; i++)
			appendStringInfo(&w, c->f[i].kind == COL_ARRAY ? " AND s.%1$s IS NOT NULL AND array_position(s.%1$s, NULL) IS NULL"
							 : " AND s.%s IS NOT NULL", quote_identifier(c->f[i].name));
	/* the element cast of an all-scalar ARRAY[] is float8[] already; arrays are concatenated */
	c->base = psprintf("SELECT %s AS x, %s AS y%s%s FROM %s AS s WHERE %s",
					   feature_sql(c->f, c->nf, c->o.impute), yexpr,
					   split_on_h ? ", " : "", split_on_h ? psprintf("%s AS h", hsql) : "", c->src, w.data);
	{
		StringInfoData t;

		initStringInfo(&t);
		appendStringInfoString(&t, "true");
		if (c->o.test_fraction > 0)
			appendStringInfo(&t, " AND modelmgr._row_unit(%s, q.y, %lld) >= %s", c->hcol,
							 (long long) (c->o.seed ^ SALT_TEST), exact_float(c->o.test_fraction));
		if (c->o.early_stopping)
			appendStringInfo(&t, " AND modelmgr._row_unit(%s, q.y, %lld) >= %s", c->hcol,
							 (long long) (c->o.seed ^ SALT_VALID), exact_float(c->o.validation_fraction));
		c->train_where = t.data;
		c->test_where = psprintf("modelmgr._row_unit(%s, q.y, %lld) < %s", c->hcol, (long long) (c->o.seed ^ SALT_TEST),
								 exact_float(c->o.test_fraction));
	}
}

static uint8
role_of(const train_ctx *c, uint64 hash)
{
	if (c->o.test_fraction > 0 && unit_of(hash, (uint64) (c->o.seed ^ SALT_TEST)) < c->o.test_fraction)
		return ROLE_TEST;
	if (c->o.early_stopping && unit_of(hash, (uint64) (c->o.seed ^ SALT_VALID)) < c->o.validation_fraction)
		return ROLE_VALID;
	return ROLE_TRAIN;
}

static int32
class_index(const train_ctx *c, double y)
{
	uint32		lo;

	if (c->ncls == 0)
		return 0;
	lo = mm_lower_bound(c->cvals, c->ncls, y);
	if (lo < c->ncls && c->cvals[lo] == y)
		return (int32) lo;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("label value %g changed while training", y)));
	return -1;
}

static void
null_feature_error(const train_ctx *c, ArrayType *a)
{
	bits8	   *bm = ARR_NULLBITMAP(a);
	int			n = ARR_DIMS(a)[0];

	for (int i = 0; i < n && i < c->d; i++)
		if (!(bm[i / 8] & (1 << (i % 8))))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature \"%s\" is NULL in a training row", c->fnames[i]),
					 errhint("Set the \"impute\" option to skip, mean, median or zero.")));
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("a feature is NULL in a training row")));
}

struct pass_receiver;
static void first_pass_finish(train_ctx *c, struct pass_receiver *pr);

/* State of the first pass, fed row by row by a DestReceiver (no tuple copies). */
typedef struct pass_receiver
{
	DestReceiver pub;
	train_ctx  *c;
	MemoryContext batch;
	double	   *m2;
	double	   *ccount;
	double		nstat;
	uint64		rows;
	int			batch_left;		/* rows until pr->batch is reset (see rows_per_batch) */
	bool		hashed_h;		/* the query's third column is the array rows are hashed over */
} pass_receiver;

static void
pass_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
pass_shutdown(DestReceiver *self)
{
}

static void
pass_destroy(DestReceiver *self)
{
}

static void
first_pass_row(pass_receiver *pr, ArrayType *xa, double y, ArrayType *ha)
{
	train_ctx  *c = pr->c;
	double	   *x;
	int			n;
	uint8		role;
	int32		cls;
	uint64		hash;

	if (ARR_HASNULL(xa) && array_contains_nulls(xa))
		null_feature_error(c, xa);
	x = mm_pg_features(xa, &n, "training row");
	if (n != c->d)
	{
		const char *arr = NULL;

		for (int i = 0; i < c->nf; i++)
			if (c->f[i].kind == COL_ARRAY)
				arr = arr ? "" : c->f[i].name;
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 arr && arr[0] ? errmsg("array feature \"%s\" must have the same, nonzero length in every row", arr)
				 : errmsg("array features must have the same, nonzero length in every row"),
				 errdetail("A training row has %d features in all, expected %d.", n, c->d)));
	}
	mm_pg_check_finite(y, "label");
	if (ha)
		hash = row_hash_nulls(ha, y, "training row", &c->hbuf);	/* the raw row (see build_sql) */
	else
		hash = mm_row_hash(x, (uint32) c->d, y);
	role = role_of(c, hash);
	if (c->defer_classes)
	{
		observe_label(c, y, role == ROLE_TRAIN);
		cls = 0;				/* set by finish_classes */
	}
	else
		cls = class_index(c, y);
	if (role == ROLE_TEST)
		c->n_test++;
	else
	{
		double		inv;

		pr->nstat++;
		inv = 1.0 / pr->nstat;
		for (int j = 0; j < c->d; j++)
		{
			double		dm = x[j] - c->mean[j];

			c->mean[j] += dm * inv;
			pr->m2[j] += dm * (x[j] - c->mean[j]);
		}
		if (role == ROLE_VALID)
			c->n_valid++;
		else
		{
			MemoryContext old = MemoryContextSwitchTo(c->cxt);

			c->n_train++;
			if (c->ncls)
				pr->ccount[cls]++;
			sampler_add(&c->sample, hash, x);
			MemoryContextSwitchTo(old);
		}
	}
	if (c->rows.packed || role == ROLE_VALID)
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		if (!rows_push(&c->rows, x, y, cls, role, hash))
		{
			/* the packed rows outgrow the budget: keep only the validation rows, stream the epochs */
			rows_keep_validation(&c->rows);
			if (role == ROLE_VALID)
				rows_push(&c->rows, x, y, cls, role, hash);
		}
		MemoryContextSwitchTo(old);
	}
}

static bool
pass_receive(TupleTableSlot *slot, DestReceiver *self)
{
	pass_receiver *pr = (pass_receiver *) self;
	MemoryContext old = MemoryContextSwitchTo(pr->batch);
	bool		isnull;
	Datum		xd = slot_getattr(slot, 1, &isnull);
	double		y;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("an array feature is NULL in a training row"),
				 errhint("Set the \"impute\" option to skip.")));
	y = DatumGetFloat8(slot_getattr(slot, 2, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("label \"%s\" is NULL in a training row", pr->c->label),
				 errhint("Filter those rows out of the source, or set the \"impute\" option to skip.")));
	first_pass_row(pr, DatumGetArrayTypeP(xd), y,
				   pr->hashed_h ? DatumGetArrayTypeP(slot_getattr(slot, 3, &isnull)) : NULL);
	MemoryContextSwitchTo(old);
	pr->rows++;
	if (--pr->batch_left == 0)
	{
		pr->batch_left = rows_per_batch(pr->c->d);
		MemoryContextReset(pr->batch);
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/*
 * First pass: checks every row, assigns train/validation/test roles, accumulates the
 * standardisation moments and class counts, and packs the rows when they fit the budget.
 */
static void
first_pass(train_ctx *c)
{
	SPIPlanPtr	plan = SPI_prepare(c->base, 3, param_types);
	ParamListInfo params = makeParamList(3);
	pass_receiver pr;
	int			rc;

	if (plan == NULL)
		elog(ERROR, "train: could not prepare the data query");
	for (int i = 0; i < 3; i++)
	{
		params->params[i].ptype = param_types[i];
		params->params[i].pflags = PARAM_FLAG_CONST;
	}
	params->params[0].value = c->classes_param;
	params->params[0].isnull = c->classes_param == (Datum) 0;
	params->params[1].isnull = true;
	params->params[2].value = Int64GetDatum(0);
	memset(&pr, 0, sizeof(pr));
	pr.pub.receiveSlot = pass_receive;
	pr.pub.rStartup = pass_startup;
	pr.pub.rShutdown = pass_shutdown;
	pr.pub.rDestroy = pass_destroy;
	pr.pub.mydest = DestNone;
	pr.c = c;
	pr.hashed_h = strcmp(c->hcol, "q.h") == 0;
	pr.batch_left = rows_per_batch(c->d);
	pr.batch = AllocSetContextCreate(CurrentMemoryContext, "train rows", ALLOCSET_DEFAULT_SIZES);
	pr.m2 = palloc0(sizeof(double) * c->d);
	pr.ccount = palloc0(sizeof(double) * (c->ncls + 1));
	c->mean = palloc0(sizeof(double) * c->d);
	c->scale = palloc0(sizeof(double) * c->d);
	c->rows.d = c->d;
	c->rows.packed = c->o.mode != MODE_STREAMING;
	/* in auto mode, rows the budget cannot take switch training to streaming */
	c->rows.soft = c->o.mode == MODE_AUTO;
	c->sample.d = (uint32) c->d;
	{
		SPIExecuteOptions opts;

		memset(&opts, 0, sizeof(opts));
		opts.params = params;
		opts.read_only = true;
		opts.dest = (DestReceiver *) &pr;
		rc = SPI_execute_plan_extended(plan, &opts);
	}
	/* rows sent to a DestReceiver count as a utility result */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "train: data query failed (%d)", rc);
	MemoryContextDelete(pr.batch);
	first_pass_finish(c, &pr);
}

static void
first_pass_finish(train_ctx *c, pass_receiver *pr)
{
	double	   *m2 = pr->m2;
	double	   *ccount = pr->ccount;
	double		nstat = pr->nstat;

	c->streaming = !c->rows.packed;
	if (c->defer_classes && c->n_train + c->n_valid + c->n_test > 0)
	{
		finish_classes(c);
		ccount = c->dcount;
	}
	if (c->n_train + c->n_valid + c->n_test == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the source has no rows to train on")));
	if (c->n_train == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no training rows are left after the test and validation splits")));
	if (c->o.early_stopping && c->n_valid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("early stopping has no validation rows"),
				 errhint("Raise \"validation_fraction\", or train without \"early_stopping\".")));
	for (int j = 0; j < c->d; j++)
	{
		double		sd = sqrt(m2[j] / nstat);

		c->scale[j] = sd > 0 && isfinite(sd) ? sd : 1.0;
	}
	/* class weights */
	if (c->ncls)
	{
		c->cw = palloc(sizeof(double) * c->ncls);
		for (uint32 k = 0; k < c->ncls; k++)
			c->cw[k] = 1.0;
		if (c->o.class_weight && c->o.class_weight->type == jbvString)
		{
			for (uint32 k = 0; k < c->ncls; k++)
				c->cw[k] = ccount[k] > 0 ? c->n_train / (c->ncls * ccount[k]) : 1.0;
		}
		else if (c->o.class_weight)
		{
			JsonbIterator *it = JsonbIteratorInit(c->o.class_weight->val.binary.data);
			JsonbValue	v;
			JsonbIteratorToken tok;
			char	   *key = NULL;

			while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			{
				if (tok == WJB_KEY)
					key = pnstrdup(v.val.string.val, v.val.string.len);
				else if (tok == WJB_VALUE)
				{
					uint32		k;

					for (k = 0; k < c->ncls; k++)
						if (strcmp(c->cnames[k], key) == 0)
							break;
					if (k == c->ncls)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("class_weight names \"%s\", which is not a class of the label", key)));
					c->cw[k] = mm_pg_opt_number("class_weight", &v, 1e-12, 1e12);
				}
			}
		}
	}
}

static bytea *
copy_bytea_to(MemoryContext cxt, bytea *b)
{
	return mm_pg_copy_state(b, cxt);
}

/*
 * Standardises the packed training rows in place, once a run, as every step would (for
 * mm_sgd_steps_std); later epochs check they standardise with the same numbers. Only training
 * rows change: validation and test rows are read raw by the evaluations.
 */
static void
rows_standardise(train_ctx *c, const mm_sgd_view *v)
{
	if (c->std_mean == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		c->std_mean = palloc(sizeof(double) * c->d);
		c->std_inv = palloc(sizeof(double) * c->d);
		memcpy(c->std_mean, v->mean, sizeof(double) * c->d);
		memcpy(c->std_inv, v->inv_scale, sizeof(double) * c->d);
		MemoryContextSwitchTo(old);
		for (size_t i = 0; i < c->rows.n; i++)
		{
			if ((i & 65535) == 0)
				CHECK_FOR_INTERRUPTS();
			if (c->rows.role[i] == ROLE_TRAIN)
				mm_sgd_standardise(v, c->rows.X + i * c->d);
		}
	}
	else if (memcmp(c->std_mean, v->mean, sizeof(double) * c->d) != 0 ||
			 memcmp(c->std_inv, v->inv_scale, sizeof(double) * c->d) != 0)
		elog(ERROR, "train: the standardisation changed between epochs");
}

/* One epoch over the packed rows, through exactly the arithmetic sgd_epoch runs. */
static bytea *
epoch_memory(train_ctx *c, bytea *model, int epoch)
{
	mm_model   *m = mm_pg_decode_model(model, CurrentMemoryContext);
	mm_err		err = {0};
	Size		size = mm_sgd_state_size(m, VARSIZE_ANY_EXHDR(model), &err);
	uint8	   *raw,
			   *st;
	mm_sgd_view v;
	uint32		count;
	uint32	   *ord;
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *out;
	bool		std;

	if (size == 0)
		mm_pg_raise(&err);
	raw = palloc_extended(size + 16, MCXT_ALLOC_HUGE);
	st = raw + ((8 - ((uintptr_t) raw + MM_SGD_HDRSZ) % 8) % 8);
	if (mm_sgd_state_init(st, size, m, (const uint8 *) VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model), &err) != MM_OK)
		mm_pg_raise(&err);
	mm_sgd_map(st, &v);
	if (c->o.shuffle == SHUFFLE_ONCE)
	{
		/* one order for every epoch, kept for the whole run */
		if (c->once_order == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(c->cxt);

			c->once_order = epoch_order(&c->rows, &c->o, epoch, &c->once_count, &c->order);
			MemoryContextSwitchTo(old);
		}
		ord = c->once_order;
		count = c->once_count;
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		ord = epoch_order(&c->rows, &c->o, epoch, &count, &c->order);
		MemoryContextSwitchTo(old);
	}
	c->shuffled = c->o.shuffle != SHUFFLE_NONE;
	/*
	 * Plain SGD of one output steps through the rows standardised once, with its scalars in
	 * registers; the other passes (L1, mini-batches, several outputs) row by row on the raw rows.
	 * Both are the arithmetic of sgd_epoch, bit for bit.
	 */
	std = mm_sgd_std_ok(&v);
	if (std)
		rows_standardise(c, &v);
	for (uint32 i = 0; i < count; i += 4096)
	{
		CHECK_FOR_INTERRUPTS();
		(std ? mm_sgd_steps_std : mm_sgd_steps) (&v, c->rows.X, c->rows.y, c->rows.cls, ord + i,
												 Min(4096, count - i), c->shuffled ? count - i : 0);
	}
	if (mm_sgd_finish(st, size, &a, &out, &err) != MM_OK)
		mm_pg_raise(&err);
	return mm_pg_encode_model(out);
}

/*
 * For shuffle "once" in streaming mode: one shuffled copy of the training rows in a temporary
 * table (dropped at commit), scanned in insertion order by every epoch, instead of a sort per epoch.
 */
static void
materialize_once(train_ctx *c)
{
	Datum		vals[3] = {c->classes_param, (Datum) 0, Int64GetDatum((int64) shuffle_seed(&c->o, 1))};
	char		nulls[3] = {c->classes_param ? ' ' : 'n', 'n', ' '};
	int			rc;

	/* the name outlives the epoch's memory context */
	c->once_table = MemoryContextStrdup(c->cxt, psprintf("modelmgr_train_%d_%u", MyProcPid, (unsigned) GetCurrentCommandId(false)));
	/*
	 * The source is read in a read-only context: the (empty) temporary table is created with the
	 * flag lowered for this one statement, which runs nothing of the source (WITH NO DATA), and
	 * filled by an INSERT, which a read-only transaction allows into a temporary table. An error
	 * in between is undone by the abort, which restores transaction_read_only from the GUC stack.
	 */
	XactReadOnly = false;
	rc = SPI_execute_with_args(psprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT q.x, q.y FROM (%s) AS q "
										"WITH NO DATA",
										quote_identifier(c->once_table), c->base),
							   3, param_types, vals, nulls, false, 0);
	XactReadOnly = true;
	if (rc != SPI_OK_UTILITY && rc != SPI_OK_SELINTO)
		elog(ERROR, "train: could not materialize the shuffled rows (%d)", rc);
	rc = SPI_execute_with_args(psprintf("INSERT INTO pg_temp.%s SELECT q.x, q.y FROM (%s) AS q WHERE %s "
										"ORDER BY modelmgr._row_unit(%s, q.y, $3)",
										quote_identifier(c->once_table), c->base, c->train_where, c->hcol),
							   3, param_types, vals, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "train: could not materialize the shuffled rows (%d)", rc);
}

/*
 * One streaming epoch: sgd_epoch over the source query, its rows in the epoch's order. A shuffled
 * epoch sorts the rows in a subquery, whose order a plain aggregate over it keeps (train() plans
 * without parallel workers), not with ORDER BY inside the aggregate call: that sort would carry
 * every argument in every row, the model too (1.4 kB at 32 features, five times the row), and
 * write it all to temporary files once the rows outgrow work_mem (test/sh/streaming_sort_width.sh).
 */
static bytea *
epoch_streaming(train_ctx *c, bytea *model, int epoch)
{
	bool		isnull;
	Datum		d;
	char	   *sql;

	if (c->o.shuffle == SHUFFLE_ONCE)
	{
		if (c->once_table == NULL)
			materialize_once(c);
		sql = psprintf("SELECT modelmgr.sgd_epoch($2, t.x, t.y) FROM pg_temp.%s AS t", quote_identifier(c->once_table));
	}
	else if (c->o.shuffle == SHUFFLE_NONE)
		sql = psprintf("SELECT modelmgr.sgd_epoch($2, q.x, q.y) FROM (%s) AS q WHERE %s",
					   c->base, c->train_where);
	else
		/* shuffled: sorted in a subquery (see the comment above this function) */
		sql = psprintf("SELECT modelmgr.sgd_epoch($2, s.x, s.y) FROM "
					   "(SELECT q.x, q.y FROM (%s) AS q WHERE %s ORDER BY modelmgr._row_unit(%s, q.y, $3)) AS s",
					   c->base, c->train_where, c->hcol);

	spi_run(sql, c, PointerGetDatum(model), (int64) shuffle_seed(&c->o, epoch), 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no training rows")));
	return (bytea *) PG_DETOAST_DATUM_COPY(d);
}

static double
validation_score(train_ctx *c, bytea *model)
{
	mm_model   *m = mm_pg_decode_model(model, CurrentMemoryContext);
	evaluator	e;
	double	   *sc = palloc(sizeof(double) * (m->n_outputs + m->n_classes + 2));
	double	   *pr = sc + m->n_outputs;
	double		score;

	eval_init(&e, c->algorithm, c->ncls);
	for (size_t i = 0; i < c->rows.n; i++)
		if (c->rows.role[i] == ROLE_VALID)
			eval_add(&e, m, c->rows.X + i * c->d, c->rows.cls[i], c->rows.y[i], sc, pr);
	if (e.n == 0)
		return 0;
	(void) eval_json(&e, &score);
	return score;
}

static bytea *
run_sgd(train_ctx *c)
{
	mm_sgd_params p;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *m;
	bytea	   *model,
			   *best = NULL;
	double		best_loss = INFINITY,
				best_score = -INFINITY;
	int			no_improve = 0;
	MemoryContext epoch_cxt = AllocSetContextCreate(CurrentMemoryContext, "train epoch", ALLOCSET_DEFAULT_SIZES);
	MemoryContext keep = CurrentMemoryContext;
	instr_time	start,
				now;

	memset(&p, 0, sizeof(p));
	p.algorithm = c->algorithm;
	p.n_features = (uint32) c->d;
	p.n_classes = c->ncls;
	p.schedule = c->o.schedule ? c->o.schedule : (c->algorithm == MM_ALG_LINREG ? MM_LR_INVSCALING : MM_LR_OPTIMAL);
	p.fit_intercept = c->o.fit_intercept;
	p.batch_size = (uint32) c->o.batch_size;
	p.l1 = c->o.l1;
	p.l2 = c->o.has_l2 ? c->o.l2 : 1e-4;
	p.eta0 = c->o.eta0;
	p.power_t = c->o.power_t;
	p.class_weight = c->cw;
	p.class_values = c->cvals;
	p.class_names = c->cnames;
	p.text_labels = c->text_labels;
	if (c->o.standardize)
	{
		p.mean = c->mean;
		p.scale = c->scale;
	}
	if (mm_sgd_init_model(&p, &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	model = mm_pg_encode_model(m);
	INSTR_TIME_SET_CURRENT(start);
	initStringInfo(&c->losses);
	for (int epoch = 1; epoch <= c->o.epochs; epoch++)
	{
		MemoryContext old;
		bytea	   *next;
		mm_model   *nm;
		mm_sgd_progress pr;
		bool		improved;
		double		score = 0;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(epoch_cxt);
		next = c->streaming ? epoch_streaming(c, model, epoch) : epoch_memory(c, model, epoch);
		nm = mm_pg_decode_model(next, CurrentMemoryContext);
		if (mm_sgd_progress_of(nm, &pr, &err) != MM_OK)
			mm_pg_raise(&err);
		if (c->o.early_stopping)
			score = validation_score(c, next);
		MemoryContextSwitchTo(old);
		model = copy_bytea_to(keep, next);
		appendStringInfo(&c->losses, "%s%s", epoch > 1 ? ", " : "", exact_float(pr.epoch_loss));
		c->epochs_run = epoch;

		if (c->o.early_stopping)
		{
			improved = !(score < best_score + c->o.tol);
			if (score > best_score)
			{
				best_score = score;
				best = model;
			}
		}
		else
		{
			improved = !(pr.epoch_loss > best_loss - c->o.tol);
			if (pr.epoch_loss < best_loss)
				best_loss = pr.epoch_loss;
		}
		no_improve = improved ? 0 : no_improve + 1;
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		if (train_progress_every > 0 && epoch % train_progress_every == 0)
			ereport(NOTICE,
					(errmsg("train \"%s\": epoch %d, loss %.6g%s, %.3f s", c->name, epoch, pr.epoch_loss,
							c->o.early_stopping ? psprintf(", validation score %.6g", score) : "",
							INSTR_TIME_GET_DOUBLE(now))));
		if (no_improve >= c->o.n_iter_no_change)
		{
			if (p.schedule == MM_LR_ADAPTIVE && pr.eta > 1e-6)
			{
				mm_model   *mm = mm_pg_decode_model(model, keep);
				mm_alloc	ka = mm_pg_allocator(keep);

				if (mm_sgd_set_eta(mm, pr.eta / 5.0, &ka, &err) != MM_OK)
					mm_pg_raise(&err);
				model = mm_pg_encode_model(mm);
				no_improve = 0;
			}
			else
			{
				c->converged = true;
				break;
			}
		}
		MemoryContextReset(epoch_cxt);
	}
	MemoryContextDelete(epoch_cxt);
	if (c->once_table)
	{
		/* DROP is refused in a read-only context, even of a temporary table (see materialize_once) */
		XactReadOnly = false;
		(void) SPI_execute(psprintf("DROP TABLE pg_temp.%s", quote_identifier(c->once_table)), false, 0);
		XactReadOnly = true;
	}
	if (!c->converged)
		ereport(NOTICE,
				(errmsg("train \"%s\": stopped after %d epochs without converging", c->name, c->epochs_run),
				 errhint("Raise \"epochs\" or \"tol\", or check the learning rate.")));
	return c->o.early_stopping && best ? best : model;
}

/*
 * A rank-deficient least-squares fit of a design with one-hot blocks: the hint names the
 * category columns the blocks come from (and, with the rows in memory, a level no training row
 * has), as the generic hint would ask to remove features the user never wrote.
 */
static void
rank_hint(train_ctx *c, StringInfo h)
{
	StringInfoData cols;
	int			ncat = 0,
				j = 0;
	const char *empty_level = NULL,
			   *empty_col = NULL;

	initStringInfo(&cols);
	for (int i = 0; i < c->nf; i++)
	{
		if (c->f[i].kind == COL_ARRAY)
			continue;
		if (c->f[i].kind == COL_CAT)
		{
			appendStringInfo(&cols, "%s\"%s\"", ncat++ ? ", " : "", c->f[i].name);
			for (int k = 0; k < c->f[i].ncats; k++)
			{
				bool		seen = false;

				if (k == c->f[i].ref)
					continue;
				for (size_t r = 0; !c->streaming && empty_level == NULL && !seen && r < c->rows.n; r++)
					seen = c->rows.role[r] == ROLE_TRAIN && c->rows.X[r * c->d + j] != 0;
				if (!c->streaming && empty_level == NULL && !seen)
				{
					empty_level = c->f[i].cats[k];
					empty_col = c->f[i].name;
				}
				j++;
			}
		}
		else
			j++;
	}
	if (empty_level)
		appendStringInfo(h, "Level \"%s\" of column \"%s\" occurs in no training row; leave the column out or filter those rows. ",
						 empty_level, empty_col);
	appendStringInfo(h, "The one-hot features come from the category column%s %s (one feature per level%s): "
					 "a category column that repeats another, or levels that determine another feature, are collinear. "
					 "Leave such a column out, or add ridge regularisation with the \"l2\" option.",
					 ncat > 1 ? "s" : "", cols.data,
					 c->o.fit_intercept ? " but the reference level" : "");
}

static void
rank_error(train_ctx *c, const mm_err *err)
{
	StringInfoData h;

	initStringInfo(&h);
	rank_hint(c, &h);
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s", err->msg),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 errhint("%s", h.data)));
}

static bool
has_categories(const train_ctx *c)
{
	for (int i = 0; i < c->nf; i++)
		if (c->f[i].kind == COL_CAT)
			return true;
	return false;
}

static bytea *
run_normal_equations(train_ctx *c)
{
	bool		isnull;
	Datum		d;

	if (c->o.l1 > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver normal_equations does not support l1"),
				 errhint("Use {\"solver\": \"sgd\"} for L1 regularisation.")));
	if (!c->streaming)
	{
		uint32		cap = mm_ls_capacity((uint32) c->d);
		Size		size = mm_ls_state_size((uint32) c->d, cap);
		uint8	   *raw,
				   *st;
		mm_ls_view	v;
		mm_err		err = {0};
		mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
		mm_model   *m;

		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("normal_equations supports at most 10000 features")));
		raw = palloc_extended(size + 16, MCXT_ALLOC_HUGE);
		st = raw + ((8 - ((uintptr_t) raw + MM_LS_HDRSZ) % 8) % 8);
		mm_ls_init(st, size, (uint32) c->d, cap, c->o.l2, c->o.fit_intercept ? 0 : MM_LS_NO_INTERCEPT);
		mm_ls_map(st, &v);
		for (size_t i = 0; i < c->rows.n; i++)
		{
			if ((i & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			if (c->rows.role[i] == ROLE_TRAIN)
				mm_ls_add(st, &v, c->rows.X + i * c->d, c->rows.y[i]);
		}
		if (mm_ls_solve(st, size, &a, &m, &err) != MM_OK)
		{
			if (err.status == MM_ERANK && has_categories(c))
				rank_error(c, &err);
			mm_pg_raise(&err);
		}
		c->epochs_run = 1;
		c->converged = true;
		return mm_pg_encode_model(m);
	}
	PG_TRY();
	{
		spi_run(psprintf("SELECT modelmgr.linreg_fit(q.x, q.y, '{\"l2\": %s, \"fit_intercept\": %s}'::jsonb) FROM (%s) AS q WHERE %s",
						 exact_float(c->o.l2), c->o.fit_intercept ? "true" : "false", c->base, c->train_where),
				c, (Datum) 0, 0, 1);
	}
	PG_CATCH();
	{
		MemoryContext ecxt = MemoryContextSwitchTo(c->cxt);
		ErrorData  *ed = CopyErrorData();

		/* linreg_fit's rank-deficiency error (mm_pg_raise of MM_ERANK) gets the one-hot hint */
		MemoryContextSwitchTo(ecxt);
		if (ed->sqlerrcode == ERRCODE_DATA_EXCEPTION && ed->message && strstr(ed->message, "rank deficient") &&
			has_categories(c))
		{
			StringInfoData h;

			FlushErrorState();
			MemoryContextSwitchTo(c->cxt);
			initStringInfo(&h);
			rank_hint(c, &h);
			ed->hint = h.data;
			ReThrowError(ed);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no training rows")));
	c->epochs_run = 1;
	c->converged = true;
	return (bytea *) PG_DETOAST_DATUM_COPY(d);
}

typedef struct lbfgs_progress
{
	train_ctx  *c;
	instr_time	start;
} lbfgs_progress;

static int
lbfgs_iteration(void *arg, int iter, double f, double gmax)
{
	lbfgs_progress *lp = (lbfgs_progress *) arg;
	instr_time	now;

	CHECK_FOR_INTERRUPTS();
	appendStringInfo(&lp->c->losses, "%s%s", iter > 1 ? ", " : "", exact_float(f));
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, lp->start);
	if (train_progress_every > 0 && iter % train_progress_every == 0)
		ereport(NOTICE,
				(errmsg("train \"%s\": iteration %d, objective %.10g, gradient %.3g, %.3f s", lp->c->name, iter, f, gmax,
						INSTR_TIME_GET_DOUBLE(now))));
	return 1;
}

static void append_json_number(StringInfo s, double v);

/*
 * Logistic models: Wald standard errors of the raw-unit coefficients (the inference section) and
 * the "statistics" object of the training facts, from one more pass over the in-memory rows.
 */
static void
lbfgs_inference(train_ctx *c, const mm_glm_problem *p, mm_model *m, const mm_alloc *a)
{
	mm_glm_stats st;
	mm_err		err = {0};
	size_t		ncoef = (size_t) m->n_outputs * (m->n_features + 1);
	double	   *se = palloc(sizeof(double) * ncoef);
	double		ll2;
	StringInfoData b;

	mm_glm_problem pu = *p;

	/* unit class weights are no weights; with class_weight no standard errors are stored */
	if (c->o.class_weight == NULL)
		pu.cw = NULL;
	if (mm_glm_inference(&pu, m->coef, a, se, &st, &err) != MM_OK)
		mm_pg_raise(&err);
	if (st.has_se)
	{
		m->std_error = se;
		m->infer_kind = MM_INFER_Z;
		m->infer_flags = st.penalised ? MM_INFER_PENALISED : 0;
		m->infer_df = 0;
	}
	ll2 = -2 * st.log_likelihood;
	initStringInfo(&b);
	appendStringInfo(&b, "{\"n\": %.0f, \"df_model\": %.0f, \"df_residual\": %.0f, \"sigma\": null, \"r2\": null, "
					 "\"adj_r2\": null, \"f_statistic\": null, \"log_likelihood\": ",
					 st.n, st.n_params - (c->o.fit_intercept ? (double) (p->K == 1 ? 1 : p->K - 1) : 0), st.n - st.n_params);
	append_json_number(&b, st.log_likelihood);
	appendStringInfoString(&b, ", \"aic\": ");
	append_json_number(&b, ll2 + 2 * st.n_params);
	appendStringInfoString(&b, ", \"bic\": ");
	append_json_number(&b, ll2 + log(st.n) * st.n_params);
	appendStringInfoString(&b, ", \"deviance\": ");
	append_json_number(&b, ll2);
	appendStringInfoString(&b, ", \"null_deviance\": ");
	append_json_number(&b, -2 * st.null_log_likelihood);
	appendStringInfoString(&b, ", \"condition_number\": ");
	append_json_number(&b, st.condition_number);
	appendStringInfo(&b, ", \"penalised\": %s}", st.penalised ? "true" : "false");
	c->statistics = b.data;
}

/* A JSON number that reads back as the same double, or null when not finite. */
static void
append_json_number(StringInfo s, double v)
{
	if (isfinite(v))
		appendStringInfoString(s, exact_float(v));
	else
		appendStringInfoString(s, "null");
}

/* Full-batch L-BFGS on the packed rows: the exact optimum of the smooth objective. */
static bytea *
run_lbfgs(train_ctx *c)
{
	mm_glm_problem p;
	mm_lbfgs_opts lo;
	mm_sgd_params sp;
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	mm_model   *m;
	lbfgs_progress lp;
	mm_lbfgs_result res;

	if (c->algorithm == MM_ALG_SVM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver %s needs a smooth loss, and svm's hinge loss is not", c->o.solver),
				 errhint("Use {\"solver\": \"sgd\"} for svm.")));
	if (c->o.l1 > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver %s does not support l1", c->o.solver),
				 errhint("Use {\"solver\": \"sgd\"} for L1 regularisation.")));
	if (c->streaming)
		ereport(ERROR,
				(errcode(c->o.mode == MODE_STREAMING ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solver %s needs the training rows in memory", c->o.solver),
				 errhint("Use {\"solver\": \"sgd\"} to stream, or ask a superuser to raise modelmgr.train_memory_budget.")));
	memset(&p, 0, sizeof(p));
	p.algorithm = c->algorithm;
	p.X = c->rows.X;
	p.n = c->rows.n;
	p.d = (uint32) c->d;
	p.skip = c->rows.role;		/* ROLE_TRAIN is 0 */
	p.cls = c->rows.cls;
	p.y = c->rows.y;
	p.K = c->algorithm == MM_ALG_MULTINOMIAL ? c->ncls : 1;
	p.cw = c->cw;
	p.l2 = c->o.has_l2 ? c->o.l2 : (c->algorithm == MM_ALG_LINREG ? 0.0 : 1.0 / c->n_train);
	p.fit_intercept = c->o.fit_intercept;
	if (c->o.standardize)
	{
		p.mean = c->mean;
		p.scale = c->scale;
	}
	/* gd: the same full-batch objective, steepest descent with a backtracking line search */
	lo.memory = strcmp(c->o.solver, "gd") == 0 ? 0 : 10;
	lo.max_iter = c->o.has_epochs ? c->o.epochs : (lo.memory ? 500 : 1000);
	lo.gtol = c->o.has_tol ? c->o.tol : (lo.memory ? 1e-7 : 1e-5);
	c->gtol = lo.gtol;

	/* a zero model with the classes and scaler, then the solved weights */
	memset(&sp, 0, sizeof(sp));
	sp.algorithm = c->algorithm;
	sp.n_features = (uint32) c->d;
	sp.n_classes = c->ncls;
	sp.schedule = MM_LR_CONSTANT;
	sp.eta0 = 1;
	sp.batch_size = 1;
	sp.fit_intercept = c->o.fit_intercept;
	sp.class_values = c->cvals;
	sp.class_names = c->cnames;
	sp.text_labels = c->text_labels;
	sp.mean = p.mean;
	sp.scale = p.scale;
	if (mm_sgd_init_model(&sp, &a, &m, &err) != MM_OK)
		mm_pg_raise(&err);
	initStringInfo(&c->losses);
	lp.c = c;
	INSTR_TIME_SET_CURRENT(lp.start);
	if (mm_lbfgs_fit(&p, m->coef, &lo, &a, lbfgs_iteration, &lp, &res, &err) != MM_OK)
		mm_pg_raise(&err);
	c->epochs_run = res.iters;
	c->gradient = res.gmax;
	c->converged = res.stop == MM_LBFGS_CONVERGED;
	if (res.stop == MM_LBFGS_MAX_ITER)
		ereport(NOTICE,
				(errmsg("train \"%s\": %s stopped after %d iterations without converging", c->name, c->o.solver, res.iters),
				 errdetail("The largest gradient component is %.3g; the tolerance is %.3g.", res.gmax, lo.gtol),
				 errhint("Raise \"epochs\", loosen \"tol\", or keep \"standardize\" on%s.",
						 lo.memory ? "" : "; solver lbfgs converges faster than gd")));
	else if (res.stop == MM_LBFGS_LINE_SEARCH)
		ereport(NOTICE,
				(errmsg("train \"%s\": %s stopped after %d iterations: the line search found no lower objective", c->name, c->o.solver, res.iters),
				 errdetail("The largest gradient component is %.3g, above the tolerance %.3g: the objective's rounding hides any further decrease.", res.gmax, lo.gtol),
				 errhint("Loosen \"tol\", keep \"standardize\" on, or add an \"l2\" penalty.")));
	if (c->algorithm != MM_ALG_LINREG)
		lbfgs_inference(c, &p, m, &a);
	mm_sgd_strip(m);
	mm_model_fold(m);
	return mm_pg_encode_model(m);
}

static char *
test_metrics(train_ctx *c, const mm_model *m, double *score)
{
	evaluator	e;
	double	   *sc = palloc(sizeof(double) * (m->n_outputs + m->n_classes + 2));
	double	   *pr = sc + m->n_outputs;

	eval_init(&e, c->algorithm, c->ncls);
	if (!c->streaming)
	{
		for (size_t i = 0; i < c->rows.n; i++)
			if (c->rows.role[i] == ROLE_TEST)
				eval_add(&e, m, c->rows.X + i * c->d, c->rows.cls[i], c->rows.y[i], sc, pr);
	}
	else
	{
		SPIPlanPtr	plan = SPI_prepare(psprintf("SELECT q.x, q.y FROM (%s) AS q WHERE %s", c->base, c->test_where), 3, param_types);
		Datum		vals[3] = {c->classes_param, (Datum) 0, Int64GetDatum(0)};
		char		nulls[3] = {c->classes_param ? ' ' : 'n', 'n', ' '};
		Portal		portal = SPI_cursor_open(NULL, plan, vals, nulls, true);

		for (;;)
		{
			SPI_cursor_fetch(portal, true, rows_per_batch(c->d));
			if (SPI_processed == 0)
				break;
			for (uint64 r = 0; r < SPI_processed; r++)
			{
				bool		isnull;
				ArrayType  *xa = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
				double		y = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
				int			n;
				double	   *x = mm_pg_features(xa, &n, "test row");

				eval_add(&e, m, x, class_index(c, y), y, sc, pr);
			}
			SPI_freetuptable(SPI_tuptable);
			CHECK_FOR_INTERRUPTS();
		}
		SPI_cursor_close(portal);
	}
	if (e.n == 0)
	{
		*score = NAN;
		return pstrdup("{}");
	}
	return eval_json(&e, score);
}

/* The raw-row preprocessing, in encoded-feature order (numbers and categories as listed, then arrays). */
static void
attach_inputs(train_ctx *c, mm_model *m)
{
	mm_prep		p;
	mm_err		err = {0};
	int			j = 0;
	size_t		size;
	uint8	   *buf;

	p.ninputs = (uint32) c->nf;
	p.in = palloc0(sizeof(mm_input) * c->nf);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < c->nf; i++)
		{
			mm_input   *in;

			if ((pass == 0) == (c->f[i].kind == COL_ARRAY))
				continue;
			in = &p.in[j++];
			in->name = c->f[i].name;
			in->ref = -1;
			in->width = (uint32) c->f[i].width;
			switch (c->f[i].kind)
			{
				case COL_SCALAR:
					in->kind = MM_IN_NUMBER;
					in->fill = (c->o.impute == IMPUTE_MEAN || c->o.impute == IMPUTE_MEDIAN || c->o.impute == IMPUTE_ZERO)
						? c->f[i].fill : NAN;
					break;
				case COL_CAT:
					in->kind = MM_IN_CATEGORY;
					in->ncats = (uint32) c->f[i].ncats;
					in->cats = c->f[i].cats;
					in->ref = c->f[i].ref;
					break;
				case COL_ARRAY:
					in->kind = MM_IN_ARRAY;
					break;
			}
		}
	size = mm_prep_encoded_size(&p);
	buf = palloc(size);
	if (mm_prep_encode(&p, buf, size, &err) != MM_OK)
		mm_pg_raise(&err);
	m->inputs = buf;
	m->inputs_len = size;
}

/* The drift baseline of the training rows (their deterministic sample), for drift(). */
static void
attach_baseline(train_ctx *c, mm_model *m)
{
	mm_err		err = {0};
	mm_alloc	a = mm_pg_allocator(CurrentMemoryContext);
	uint8	   *bl;
	size_t		bllen;

	sampler_compact(&c->sample, BASELINE_SAMPLE);
	if (c->sample.n == 0)
		return;
	if (mm_baseline_build(c->sample.X, c->sample.n, (uint32) c->d, MM_BASELINE_DEFAULT_BINS, &a, &bl, &bllen, &err) != MM_OK)
		mm_pg_raise(&err);
	m->baseline = bl;
	m->baseline_len = bllen;
}

static char *
json_str(const char *s)
{
	StringInfoData b;

	initStringInfo(&b);
	escape_json(&b, s);
	return b.data;
}

/* Trains a model on a table, view or query and registers it as a new version. */
PG_FUNCTION_INFO_V1(mm_train);
Datum
mm_train(PG_FUNCTION_ARGS)
{
	train_ctx	c;
	char	   *alg;
	int			save_nestlevel;
	bytea	   *model;
	mm_model   *m;
	double		score = NAN;
	char	   *metrics;
	StringInfoData training,
				meta;
	instr_time	start,
				end;
	Datum		result;
	HeapTuple	tuple;
	Jsonb	   *opts = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("train: model_name, source and label must not be NULL")));
	INSTR_TIME_SET_CURRENT(start);
	memset(&c, 0, sizeof(c));
	c.gradient = NAN;
	c.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c.source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	c.label = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (c.name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model_name must not be empty")));
	alg = PG_ARGISNULL(4) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (strcmp(alg, "auto") == 0)
		c.algorithm = 0;
	else if (strcmp(alg, "logistic_regression") == 0)
		c.algorithm = MM_ALG_LOGREG;
	else if ((c.algorithm = mm_algorithm_from_name(alg)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", alg),
				 errhint("Use linear_regression, logistic_regression, svm or auto.")));

	c.o.epochs = 1000;
	c.o.tol = 1e-3;
	c.o.n_iter_no_change = 5;
	c.o.eta0 = 0.01;
	c.o.power_t = 0.25;
	c.o.batch_size = 1;
	c.o.shuffle = SHUFFLE_ALWAYS;
	c.o.validation_fraction = 0.1;
	c.o.fit_intercept = true;
	c.o.standardize = true;
	c.o.max_categories = 100;
	mm_pg_each_option(opts, train_opt, &c.o);
	if (c.o.solver && strcmp(c.o.solver, "normal_equations") == 0 && c.algorithm != MM_ALG_LINREG && c.algorithm != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver normal_equations is for linear_regression")));
	c.src = mm_pg_resolve_source(c.source);

	SPI_connect();
	c.cxt = CurrentMemoryContext;
	c.hbuf.cxt = c.cxt;
	/* deterministic row order: no parallel plans, no synchronized scans (restored on exit or error) */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("max_parallel_workers_per_gather", "0", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* a synchronized scan could start mid-table, joining another backend's scan */
	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * No JIT: every epoch is a new query that would be compiled anew, while its work is in
	 * modelmgr's C functions, which JIT cannot speed up. On a large table JIT also maps ~9 MB of
	 * LLVM into the backend (measured at 2M rows, streaming: peak private memory 26 -> 17 MB).
	 */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * Every query below names modelmgr's and pg_catalog's objects under a pinned search_path (the
	 * source was resolved with the caller's above), and reads the source in a read-only context:
	 * a source whose functions write (INSERT, nextval, lo_import, ...) fails with 25006. Both are
	 * undone by AtEOXact_GUC before the model is registered, or by the (sub)transaction's abort.
	 */
	(void) set_config_option("search_path", MM_PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("modelmgr.reading_source", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	describe_columns(&c, PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3));
	if (c.o.solver == NULL)
		c.o.solver = (c.algorithm == MM_ALG_LINREG) ? "normal_equations" : "sgd";
	if (c.algorithm != MM_ALG_LINREG && strcmp(c.o.solver, "normal_equations") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver normal_equations is for linear_regression")));
	learn_classes(&c);
	build_sql(&c);
	first_pass(&c);

	if (strcmp(c.o.solver, "normal_equations") == 0)
		model = run_normal_equations(&c);
	else if (strcmp(c.o.solver, "lbfgs") == 0 || strcmp(c.o.solver, "gd") == 0)
		model = run_lbfgs(&c);
	else
		model = run_sgd(&c);

	/* the published model: no optimizer state, with feature names and training facts */
	m = mm_pg_decode_model(model, CurrentMemoryContext);
	mm_sgd_strip(m);
	m->feature_names = c.fnames;
	attach_inputs(&c, m);
	attach_baseline(&c, m);
	metrics = c.o.test_fraction > 0 ? test_metrics(&c, m, &score) : pstrdup("{}");
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, start);
	initStringInfo(&meta);
	appendStringInfo(&meta, "{\"solver\": %s, \"epochs\": %d, \"converged\": %s, \"n_rows\": %.0f, \"standardized\": %s",
					 json_str(c.o.solver), c.epochs_run,
					 c.converged ? "true" : "false", c.n_train, m->mean ? "true" : "false");
	if (m->meta && strcmp(c.o.solver, "normal_equations") == 0)
		appendStringInfo(&meta, ", \"fit\": %s", m->meta);
	if (isfinite(c.gradient))
	{
		appendStringInfoString(&meta, ", \"gradient\": ");
		append_json_number(&meta, c.gradient);
		appendStringInfoString(&meta, ", \"tol\": ");
		append_json_number(&meta, c.gtol);
	}
	if (c.statistics)
		appendStringInfo(&meta, ", \"statistics\": %s", c.statistics);
	appendStringInfoChar(&meta, '}');
	m->meta = meta.data;
	model = mm_pg_encode_model(m);

	initStringInfo(&training);
	appendStringInfo(&training,
					 "{\"solver\": %s, \"mode\": \"%s\", \"epochs\": %d, \"converged\": %s, \"seconds\": %s, "
					 "\"rows\": {\"train\": %.0f, \"validation\": %.0f, \"test\": %.0f}, \"seed\": %lld, "
					 "\"shuffle\": \"%s\", \"standardized\": %s, \"features\": %d, \"epoch_loss\": [%s]}",
					 json_str(c.o.solver), c.streaming ? "streaming" : "memory", c.epochs_run,
					 c.converged ? "true" : "false", exact_float(INSTR_TIME_GET_DOUBLE(end)),
					 c.n_train, c.n_valid, c.n_test, (long long) c.o.seed,
					 c.o.shuffle == SHUFFLE_NONE ? "none" : c.o.shuffle == SHUFFLE_ONCE ? "once" : "always",
					 m->mean ? "true" : "false", c.d, c.losses.data ? c.losses.data : "");
	if (isfinite(c.gradient))
	{
		/* lbfgs, gd: the final max |gradient| and the tolerance it was held to */
		training.len--;
		training.data[training.len] = '\0';
		appendStringInfoString(&training, ", \"gradient\": ");
		append_json_number(&training, c.gradient);
		appendStringInfoString(&training, ", \"tol\": ");
		append_json_number(&training, c.gtol);
		appendStringInfoChar(&training, '}');
	}

	{
		Oid			types[9] = {TEXTOID, BYTEAOID, TEXTOID, TEXTOID, TEXTARRAYOID, JSONBOID, JSONBOID, JSONBOID, BOOLOID};
		Datum		vals[9];
		char		nulls[9] = "         ";
		Datum	   *fe = palloc(sizeof(Datum) * c.d);
		int			rc;

		for (int j = 0; j < c.d; j++)
			fe[j] = CStringGetTextDatum(c.fnames[j]);
		vals[0] = CStringGetTextDatum(c.name);
		vals[1] = PointerGetDatum(model);
		vals[2] = CStringGetTextDatum(c.source);
		vals[3] = CStringGetTextDatum(c.label);
		vals[4] = PointerGetDatum(construct_array(fe, c.d, TEXTOID, -1, false, TYPALIGN_INT));
		vals[5] = opts ? JsonbPGetDatum(opts) : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
		vals[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics));
		vals[7] = DirectFunctionCall1(jsonb_in, CStringGetDatum(training.data));
		vals[8] = BoolGetDatum(c.o.auto_deploy);
		/* the source has been read: read-write again, and the caller's settings back */
		AtEOXact_GUC(true, save_nestlevel);
		rc = SPI_execute_with_args("SELECT * FROM modelmgr.register_model($1, $2, $3, $4, $5, $6, $7, $8, $9)",
								   9, types, vals, nulls, false, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "train: registering the model failed (%d)", rc);
	}
	tuple = SPI_tuptable->vals[0];
	result = PointerGetDatum(SPI_returntuple(tuple, SPI_tuptable->tupdesc));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

void
mm_train_define_gucs(void)
{
	DefineCustomIntVariable("modelmgr.train_memory_budget",
							"Memory limit of a backend for modelmgr's large allocations; only superusers can change it.",
							"Counts training rows, samples, growing aggregate states and solver state. A larger training set than fits streams its epochs through sgd_epoch.",
							&mm_memory_budget_kb, 512 * 1024, 64, INT_MAX / 2, PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("modelmgr.progress_every",
							"train() reports progress (a NOTICE) every this many epochs; 0 turns it off.",
							NULL, &train_progress_every, 1, 0, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
}
