/*
 * mm_prep.h: the preprocessing a model replays on raw rows (the model's INPUTS section).
 *
 * A model trained from named columns records, in encoded-feature order, each raw input column:
 * its name, how it becomes features (a number, a one-hot block of categories, or a numeric array
 * expanded element by element), how many features it yields, and the value a NULL number gets.
 *
 * A category input is coded either as full one-hot (one feature per category) or with a
 * reference level (treatment contrasts): the reference category is dropped, so its rows read as
 * all zeros in the block, and the block has one feature per other category, in category order.
 *
 * Payload (little-endian): u32 version (1 or 2), u32 number of inputs, then per input:
 *   u32 name length, name bytes, u8 kind, u8 flags, u8[2] reserved (0), u32 width, f64 fill (NaN:
 *   a NULL is an error), u32 category count, per category: u32 length, bytes (strictly increasing
 *   byte order), and when flags has MM_PREP_FLAG_REFERENCE: u32 index of the reference category.
 * Flags: MM_PREP_FLAG_REFERENCE (category inputs only; width = category count - 1, at least 2
 * categories). Version 1 payloads have flags 0 (full one-hot everywhere); a payload with any
 * reference level is version 2, and version 2 needs one, so every payload has one encoding.
 */
#ifndef MM_PREP_H
#define MM_PREP_H

#include "mm_core.h"

#define MM_PREP_VERSION 1		/* full one-hot only */
#define MM_PREP_VERSION_REF 2	/* some category input drops a reference level */
#define MM_PREP_FLAG_REFERENCE 0x01
#define MM_PREP_MAX_CATEGORIES 10000

typedef enum mm_input_kind
{
	MM_IN_NUMBER = 1,			/* one feature; NULL gets fill (or is an error) */
	MM_IN_CATEGORY = 2,			/* one feature per category (but the reference): 1 for the row's, else 0 */
	MM_IN_ARRAY = 3				/* `width` features from a numeric array */
} mm_input_kind;

typedef struct mm_input
{
	char	   *name;
	int			kind;
	uint32_t	width;
	double		fill;
	uint32_t	ncats;
	char	  **cats;			/* NUL-terminated, sorted by bytes */
	int32_t		ref;			/* category input: index of the dropped reference category, -1: none */
} mm_input;

typedef struct mm_prep
{
	uint32_t	ninputs;
	mm_input   *in;
} mm_prep;

size_t		mm_prep_encoded_size(const mm_prep *p);
/* Encodes into buf of exactly mm_prep_encoded_size() bytes. */
mm_status	mm_prep_encode(const mm_prep *p, uint8_t *buf, size_t size, mm_err *err);
/* Validates and decodes; the inputs' widths must add up to n_features. */
mm_status	mm_prep_decode(const uint8_t *buf, size_t len, uint32_t n_features, const mm_alloc *a,
						   mm_prep **out, mm_err *err);
/* Index of a category (bytes s, length n) in an input, or -1 when unseen. */
int32_t		mm_prep_category(const mm_input *in, const char *s, size_t n);
/* Position of category k in its input's feature block, or -1 (k < 0, or the reference). */
int32_t		mm_prep_category_slot(const mm_input *in, int32_t k);

#endif
