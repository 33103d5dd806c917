/*
 * mm_model.h: the model format, a versioned, checksummed, little-endian binary encoding.
 *
 * Layout (all integers little-endian):
 *   header, 40 bytes:
 *     0  u32 magic "MMDL"        4  u16 format version     6  u16 algorithm
 *     8  u32 flags               12 u32 n_features         16 u32 n_outputs
 *     20 u32 n_classes           24 u32 n_sections         28 u32 reserved (0)
 *     32 u32 total length        36 u32 CRC-32C of everything but these 4 bytes
 *   then n_sections sections: u16 id, u16 reserved (0), u32 length, payload.
 * Sections appear in ascending id order, each at most once, except the signature section,
 * which is always last; an unknown id is a foreign model.
 *
 * Inference section (id 10, optional): what coefficient inference needs, computed at training
 * time so that no second pass over the data is needed:
 *     u32 kind (1: t statistics with df_residual degrees of freedom, linear models;
 *               2: z statistics, Wald, from the Hessian at the optimum)
 *     u32 flags (0x1: the standard errors are conditional on a penalty)
 *     f64 df_residual (kind 1: finite and > 0; kind 2: 0)
 *     n_outputs x (1 + n_features) f64: the standard error of each folded coefficient (eff,
 *     the raw-unit coefficients: intercept first), finite and >= 0, or NaN where a term has
 *     none (an aliased term).
 *
 * Signature section (id 9, always last, 96 bytes): the signer's Ed25519 public key (32 bytes)
 * and the Ed25519 signature (64 bytes) of the signed message
 *     "MMSIG1" || public key || the model's canonical unsigned encoding,
 * where the unsigned encoding is these bytes without the signature section, with the header's
 * section count, total length and CRC recomputed for that shorter model (exactly what the
 * model was before it was signed). So a signature binds every byte of the model, the header
 * included, and the key that made it; re-signing replaces the section.
 */
#ifndef MM_MODEL_H
#define MM_MODEL_H

#include "mm_core.h"

#define MM_MODEL_MAGIC		0x4C444D4Du	/* "MMDL" */
#define MM_MODEL_VERSION	1
#define MM_MODEL_HDRSZ		40
#define MM_MODEL_CRC_OFFSET 36

typedef enum mm_algorithm
{
	MM_ALG_LINREG = 1,			/* linear regression, squared loss */
	MM_ALG_LOGREG = 2,			/* binary logistic regression */
	MM_ALG_MULTINOMIAL = 3,		/* multinomial (softmax) logistic regression */
	MM_ALG_SVM = 4				/* linear SVM, hinge loss */
} mm_algorithm;

#define MM_ALG_MAX 4

/* flags */
#define MM_FLAG_TEXT_LABELS	0x1	/* class labels are text (not numbers) */
#define MM_FLAG_ALL			0x1

typedef enum mm_section_id
{
	MM_SEC_COEF = 1,			/* n_outputs x (1 + n_features) f64: intercept, weights */
	MM_SEC_SCALER = 2,			/* 2 x n_features f64: mean, scale (weights act on (x-mean)/scale) */
	MM_SEC_CLASSES = 3,			/* n_classes x (f64 value, u32 len, bytes) */
	MM_SEC_FEATURES = 4,		/* n_features x (u32 len, bytes): feature names */
	MM_SEC_INPUTS = 5,			/* raw-row preprocessing (opaque here, see mm_prep) */
	MM_SEC_BASELINE = 6,		/* drift baseline (opaque here, see mm_drift) */
	MM_SEC_META = 7,			/* UTF-8 JSON object: options and training facts */
	MM_SEC_OPTIM = 8,			/* SGD optimizer position (opaque here, see mm_sgd) */
	MM_SEC_SIGNATURE = 9,		/* Ed25519 public key + signature, see above; always last */
	MM_SEC_INFERENCE = 10		/* standard errors for coefficient inference, see above */
} mm_section_id;

#define MM_SEC_MAX 10

#define MM_INFER_T			1
#define MM_INFER_Z			2
#define MM_INFER_PENALISED	0x1

#define MM_SIG_PUBKEY_LEN	32
#define MM_SIG_LEN			64
#define MM_SIG_SECTION_LEN	(MM_SIG_PUBKEY_LEN + MM_SIG_LEN)
#define MM_SIG_DOMAIN		"MMSIG1"
#define MM_SIG_DOMAIN_LEN	6

typedef struct mm_model
{
	uint16_t	algorithm;
	uint32_t	flags;
	uint32_t	n_features;
	uint32_t	n_outputs;
	uint32_t	n_classes;
	double	   *coef;			/* n_outputs * (n_features + 1) */
	double	   *mean;			/* n_features or NULL */
	double	   *scale;			/* n_features or NULL */
	double	   *class_values;	/* n_classes or NULL */
	char	  **class_names;	/* n_classes NUL-terminated or NULL */
	char	  **feature_names;	/* n_features NUL-terminated or NULL */
	const uint8_t *inputs;		/* raw section payloads (point into the encoded bytes) */
	size_t		inputs_len;
	const uint8_t *baseline;
	size_t		baseline_len;
	char	   *meta;			/* NUL-terminated JSON or NULL */
	const uint8_t *optim;
	size_t		optim_len;
	/* derived on decode: coefficients folded with the scaler, for one dot product a row */
	double	   *eff;			/* n_outputs * (n_features + 1) */
	uint32_t	checksum;		/* as stored */
	/* inference: standard errors of eff (n_outputs * (n_features + 1)) or NULL, see above */
	double	   *std_error;
	uint32_t	infer_kind;
	uint32_t	infer_flags;
	double		infer_df;
	/* the signature section (points into the encoded bytes), or NULL; never encoded */
	const uint8_t *signature;	/* MM_SIG_PUBKEY_LEN public key, then MM_SIG_LEN signature */
} mm_model;

int			mm_algorithm_is_classifier(int alg);
const char *mm_algorithm_name(int alg);
int			mm_algorithm_from_name(const char *name);

/* Validates the in-memory model and returns the encoded size (0 on error). */
size_t		mm_model_encoded_size(const mm_model *m, mm_err *err);
/* Encodes into buf, which must hold exactly mm_model_encoded_size() bytes. */
mm_status	mm_model_encode(const mm_model *m, uint8_t *buf, size_t size, mm_err *err);
/* Validates every field; the result's section pointers refer into p, which must outlive it. */
mm_status	mm_model_decode(const void *p, size_t len, const mm_alloc *a, mm_model **out, mm_err *err);
/*
 * The message an Ed25519 signature of the decoded model p (len bytes, m its decode) by
 * pubkey covers: writes it to out (which must hold mm_model_signed_size(m, len) bytes).
 * For an unsigned model the message is the model as it is; for a signed one the model
 * without its signature section.
 */
size_t		mm_model_signed_size(const mm_model *m, size_t len);
void		mm_model_signed_message(const mm_model *m, const void *p, size_t len,
									const uint8_t *pubkey, uint8_t *out);
/*
 * Appends a signature section (pubkey, sig) to the unsigned model u (ulen bytes, as returned
 * in a signed message after its prefix) into out, which must hold ulen + 8 + 96 bytes.
 */
void		mm_model_attach_signature(const uint8_t *u, size_t ulen, const uint8_t *pubkey,
									  const uint8_t *sig, uint8_t *out);

/* Fill eff from coef/mean/scale (decode does this). */
void		mm_model_fold(mm_model *m);

/* out[k] = eff_k . [1, x] for each output k. */
void		mm_model_scores(const mm_model *m, const double *x, double *out);
/* Classifier probabilities (n_classes entries) from scores; hinge models get 0/1. */
void		mm_model_proba(const mm_model *m, const double *scores, double *proba);
/* Index of the predicted class from scores. */
uint32_t	mm_model_class_index(const mm_model *m, const double *scores);

#endif
