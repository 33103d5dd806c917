/*
 * mm_shuffle.h: deterministic, content-based row order for training.
 *
 * A row's hash covers its feature values and label; a seed turns it into a uniform number in
 * [0, 1) that decides the row's split (train / validation / test) and its place in a shuffled
 * epoch. Streaming mode computes the same numbers in SQL (modelmgr._row_unit), so both modes
 * see the rows in the same order.
 */
#ifndef MM_SHUFFLE_H
#define MM_SHUFFLE_H

#include "mm_core.h"

/* 64-bit hash of a row's d feature values and its label (bit patterns, little-endian). */
uint64_t	mm_row_hash(const double *x, uint32_t d, double y);
/* What a seed is offset by before it is mixed into a key (part of every stored split and order). */
#define MM_KEY_SEED_SALT 0x632BE59BD9B4E019ULL

/* The row's 53-bit key under a seed; key * 2^-53 is its uniform number in [0, 1). */
uint64_t	mm_row_key(uint64_t row_hash, uint64_t seed);

static inline double
mm_key_unit(uint64_t key)
{
	return (double) key * (1.0 / 9007199254740992.0);
}

/*
 * Sorts idx[0..n) by keys[0..n) (53-bit), stably, by LSD radix sort; keys and idx are permuted
 * together. tmpk and tmpi are scratch arrays of n entries.
 */
void		mm_sort_by_key(uint64_t *keys, uint32_t *idx, size_t n, uint64_t *tmpk, uint32_t *tmpi);

/*
 * An epoch's row order: the indices i < nrows with skip[i] == 0 (skip may be NULL), sorted by
 * mm_row_key(hash[i], seed), rows with equal keys in index order; the same order as
 * mm_sort_by_key over those keys. Writes the count of rows to *count and the order to ord;
 * tmp1 and tmp2 are scratch arrays of nrows entries. nrows must be below 2^31.
 */
void		mm_epoch_order(const uint64_t *hash, const uint8_t *skip, size_t nrows, uint64_t seed,
						   uint32_t *ord, size_t *count, uint64_t *tmp1, uint64_t *tmp2);

#endif
