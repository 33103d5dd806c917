/*
 * test_shuffle.c: unit tests for mm_shuffle.c: the row hash, seeded keys and the radix sort
 * that orders training rows.
 */
#include "mm_shuffle.h"
#include "unit.h"

#include <stdlib.h>

/* Inverse of mm_fmix64 (to build row hashes with chosen keys). */
static uint64_t
inv_odd(uint64_t a)
{
	uint64_t	x = a;

	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static uint64_t
unfmix(uint64_t k)
{
	k ^= k >> 33;
	k *= inv_odd(MM_FMIX64_M2);
	k ^= k >> 33;
	k *= inv_odd(MM_FMIX64_M1);
	k ^= k >> 33;
	return k;
}

/* A row hash whose key under seed is mixed >> 11. */
static uint64_t
hash_with_mix(uint64_t mixed, uint64_t seed)
{
	return unfmix(mixed) ^ mm_fmix64(seed + MM_KEY_SEED_SALT);
}

/* mm_epoch_order against keys sorted with mm_sort_by_key. */
static int
epoch_order_matches(const uint64_t *hash, const uint8_t *skip, size_t n, uint64_t seed)
{
	uint64_t   *keys = malloc(n * sizeof(uint64_t) + 8),
			   *tk = malloc(n * sizeof(uint64_t) + 8),
			   *t1 = malloc(n * sizeof(uint64_t) + 8),
			   *t2 = malloc(n * sizeof(uint64_t) + 8);
	uint32_t   *idx = malloc(n * sizeof(uint32_t) + 4),
			   *ti = malloc(n * sizeof(uint32_t) + 4),
			   *ord = malloc(n * sizeof(uint32_t) + 4);
	size_t		c = 0,
				count = 0;
	int			ok = 1;

	for (size_t i = 0; i < n; i++)
		if (!skip || !skip[i])
		{
			keys[c] = mm_row_key(hash[i], seed);
			idx[c++] = (uint32_t) i;
		}
	mm_sort_by_key(keys, idx, c, tk, ti);
	mm_epoch_order(hash, skip, n, seed, ord, &count, t1, t2);
	if (count != c)
		ok = 0;
	for (size_t i = 0; ok && i < c; i++)
		if (ord[i] != idx[i])
			ok = 0;
	free(keys);
	free(tk);
	free(t1);
	free(t2);
	free(idx);
	free(ti);
	free(ord);
	return ok;
}

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
	/* the epoch order: the same as sorting the keys, with rows skipped */
	{
		uint64_t   *h = malloc(n * sizeof(uint64_t));
		uint8_t    *skip = malloc(n);
		uint64_t	s = 99;
		uint64_t	t[6];

		for (size_t i = 0; i < n; i++)
		{
			h[i] = (uint64_t) i * 0x9E3779B97F4A7C15ULL;
			skip[i] = i % 5 == 2;
		}
		for (size_t i = 1000; i < n; i += 997)
			h[i] = h[i - 3];	/* identical rows: equal keys, kept in index order */
		CHECK(epoch_order_matches(h, skip, n, 1), "epoch order equals the sorted keys (rows skipped, equal keys)");
		CHECK(epoch_order_matches(h, NULL, n, 2), "epoch order equals the sorted keys (no rows skipped)");
		CHECK(epoch_order_matches(h, skip, 1, 3) && epoch_order_matches(h, NULL, 1, 3) &&
			  epoch_order_matches(h, skip, 0, 3), "epoch order of zero or one row");
		/* keys equal in their top 33 bits, in every order of the low bits, and equal keys among them */
		t[0] = UINT64_C(0xABCDEF0123456789) | (UINT64_C(5) << 11);
		t[1] = (t[0] & ~(UINT64_C(0xFFFFF) << 11)) | (UINT64_C(3) << 11);
		t[2] = (t[0] & ~(UINT64_C(0xFFFFF) << 11)) | (UINT64_C(0xFFFFF) << 11);
		t[3] = t[1];
		t[4] = (t[0] & ~(UINT64_C(0xFFFFF) << 11));
		t[5] = t[0] ^ (UINT64_C(1) << 40);	/* another top-bits group */
		for (int k = 0; k < 6; k++)
			h[100 + 7 * k] = hash_with_mix(t[k], s);
		CHECK(mm_row_key(h[100], s) >> 20 == mm_row_key(h[107], s) >> 20 &&
			  mm_row_key(h[100], s) != mm_row_key(h[107], s) &&
			  mm_row_key(h[107], s) == mm_row_key(h[121], s), "test hashes tie in their top key bits");
		for (size_t i = 0; i < n; i++)
			skip[i] = 0;
		CHECK(epoch_order_matches(h, skip, n, s), "epoch order sorts rows whose top key bits tie by the whole key");
		CHECK(epoch_order_matches(h + 100, NULL, 36, s), "... also when they are most of the rows");
		free(h);
		free(skip);
	}

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
