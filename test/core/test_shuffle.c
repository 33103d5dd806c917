/*
 * test_shuffle.c: unit tests for mm_shuffle.c: the row hash, seeded keys and the radix sort
 * that orders training rows.
 */
#include "mm_shuffle.h"
#include "unit.h"

#include <stdlib.h>

static int
sorted_and_stable(const uint64_t *keys, const uint32_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (keys[i - 1] > keys[i] || (keys[i - 1] == keys[i] && idx[i - 1] > idx[i]))
			return 0;
	return 1;
}

int
main(void)
{
	double		a[3] = {1.0, -2.5, 0.0};
	double		b[3] = {1.0, -2.5, -0.0};
	double		c[3] = {1.0, -2.5, 1e-300};
	size_t		n = 100000;
	uint64_t   *keys = malloc(n * sizeof(uint64_t)),
			   *tk = malloc(n * sizeof(uint64_t)),
			   *copy = malloc(n * sizeof(uint64_t));
	uint32_t   *idx = malloc(n * sizeof(uint32_t)),
			   *ti = malloc(n * sizeof(uint32_t));
	int			perm_ok = 1;
	double		below = 0;

	CHECK_EQ(mm_row_hash(a, 3, 1.0), mm_row_hash(b, 3, 1.0), "-0 and +0 hash alike");
	CHECK(mm_row_hash(a, 3, 1.0) != mm_row_hash(c, 3, 1.0), "a tiny difference changes the hash");
	CHECK(mm_row_hash(a, 3, 1.0) != mm_row_hash(a, 3, 2.0), "the label is hashed");
	CHECK(mm_row_hash(a, 2, 1.0) != mm_row_hash(a, 3, 1.0), "the width is hashed");
	/* pinned: splits and shuffles of existing data change if these do */
	CHECK(mm_row_hash(a, 3, 1.0) == UINT64_C(0xf0ea388b7b4c34fb), "the row hash is pinned");
	CHECK(mm_row_key(mm_row_hash(a, 3, 1.0), 7) == UINT64_C(0x0008a963be1c4f15), "the seeded key is pinned");
	CHECK(mm_row_key(42, 1) < (UINT64_C(1) << 53), "keys have 53 bits");
	CHECK(mm_row_key(42, 1) != mm_row_key(42, 2), "the seed changes the key");

	for (size_t i = 0; i < n; i++)
	{
		/* many duplicates to exercise stability, and keys spread over all 53 bits */
		keys[i] = (i % 7 == 0) ? (uint64_t) 12345 : mm_row_key((uint64_t) i, 9);
		copy[i] = keys[i];
		idx[i] = (uint32_t) i;
		below += mm_key_unit(mm_row_key((uint64_t) i * 7919, 3)) < 0.25;
	}
	mm_sort_by_key(keys, idx, n, tk, ti);
	CHECK(sorted_and_stable(keys, idx, n), "radix sort orders by key, ties by original position");
	for (size_t i = 0; i < n; i++)
		if (copy[idx[i]] != keys[i])
			perm_ok = 0;
	CHECK(perm_ok, "keys and indices move together");
	CHECK_NEAR(below / n, 0.25, 0.01, "units are uniform (share below 0.25)");
	keys[0] = 5;
	idx[0] = 77;
	mm_sort_by_key(keys, idx, 1, tk, ti);
	CHECK(keys[0] == 5 && idx[0] == 77, "sorting one row leaves it");

	free(keys);
	free(tk);
	free(copy);
	free(idx);
	free(ti);
	return unit_summary();
}
