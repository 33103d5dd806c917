/*
 * mm_prep.h: the preprocessing a model replays on raw rows (the model's INPUTS section).
 *
 * A model trained from named columns records, in encoded-feature order, each raw input column:
 * its name, how it becomes features (a number, a one-hot block of categories, or a numeric array
 * expanded element by element), how many features it yields, and the value a NULL number gets.
 *
 * Payload (little-endian): u32 version (1), u32 number of inputs, then per input:
 *   u32 name length, name bytes, u8 kind, u8[3] reserved (0), u32 width, f64 fill (NaN: a NULL is an
 *   error), u32 category count, per category: u32 length, bytes (strictly increasing byte order).
 */
#ifndef MM_PREP_H
#define MM_PREP_H

#include "mm_core.h"

#define MM_PREP_VERSION 1
#define MM_PREP_MAX_CATEGORIES 10000

typedef enum mm_input_kind
{
	MM_IN_NUMBER = 1,			/* one feature; NULL gets fill (or is an error) */
	MM_IN_CATEGORY = 2,			/* one feature per category: 1 for the row's category, else 0 */
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

#endif
