/*
 * mm_shuffle.c: row hashes, seeded keys and a radix sort for training order.
 */
#include "mm_shuffle.h"

#include <string.h>

static inline uint64_t
word_of(double v)
{
	uint64_t	w;

	if (v == 0)
		v = 0;					/* -0 and +0 are the same value */
	memcpy(&w, &v, 8);
	return w;
}

static inline uint64_t
mix_lane(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

uint64_t
mm_row_hash(const double *x, uint32_t d, double y)
{
	/* four independent lanes (no serial multiply chain over the row), folded at the end */
	uint64_t	h[4] = {0x6d6d726f77686173ULL ^ ((uint64_t) d * 0x9E3779B97F4A7C15ULL),
		0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL};
	uint32_t	j = 0;

	for (; j + 4 <= d; j += 4)
	{
		h[0] = mix_lane(h[0], word_of(x[j]));
		h[1] = mix_lane(h[1], word_of(x[j + 1]));
		h[2] = mix_lane(h[2], word_of(x[j + 2]));
		h[3] = mix_lane(h[3], word_of(x[j + 3]));
	}
	for (; j < d; j++)
		h[j & 3] = mix_lane(h[j & 3], word_of(x[j]));
	h[0] = mix_lane(h[0], word_of(y));
	return mm_fmix64(mm_fmix64(h[0] ^ mm_fmix64(h[1])) ^ mm_fmix64(h[2] ^ mm_fmix64(h[3])));
}

uint64_t
mm_row_key(uint64_t row_hash, uint64_t seed)
{
	return mm_fmix64(row_hash ^ mm_fmix64(seed + MM_KEY_SEED_SALT)) >> 11;
}

void
mm_sort_by_key(uint64_t *keys, uint32_t *idx, size_t n, uint64_t *tmpk, uint32_t *tmpi)
{
	/* 53-bit keys: four passes of 14 bits, all four histograms counted in one read */
	static size_t count[4][1 << 14];

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	k = keys[i];

		count[0][k & 0x3fff]++;
		count[1][(k >> 14) & 0x3fff]++;
		count[2][(k >> 28) & 0x3fff]++;
		count[3][(k >> 42) & 0x3fff]++;
	}
	for (int pass = 0; pass < 4; pass++)
	{
		int			shift = pass * 14;
		size_t		sum = 0;
		size_t	   *c = count[pass];
		/* ping-pong between the arrays: after the fourth pass the result is back in keys/idx */
		uint64_t   *sk = pass % 2 == 0 ? keys : tmpk,
				   *dk = pass % 2 == 0 ? tmpk : keys;
		uint32_t   *si = pass % 2 == 0 ? idx : tmpi,
				   *di = pass % 2 == 0 ? tmpi : idx;

		for (size_t b = 0; b < (1 << 14); b++)
		{
			size_t		t = c[b];

			c[b] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
		{
			size_t		pos = c[(sk[i] >> shift) & 0x3fff]++;

			dk[pos] = sk[i];
			di[pos] = si[i];
		}
	}
}

/*
 * Each row becomes one 64-bit word: the top 33 of its key's 53 bits above its 31-bit index, so
 * that a pass moves 8 bytes, not a 12-byte key and index. Three passes of 11 bits (2048 buckets,
 * cache-friendly) sort the words by those 33 bits, rows with equal bits staying in index order;
 * rows whose top bits tie (rare: ~n^2 / 2^34 pairs) are then put in full-key order in place.
 */
#define EO_BITS 11
#define EO_BUCKETS (1 << EO_BITS)
#define EO_IDX_BITS 31

void
mm_epoch_order(const uint64_t *hash, const uint8_t *skip, size_t nrows, uint64_t seed,
			   uint32_t *ord, size_t *count, uint64_t *tmp1, uint64_t *tmp2)
{
	static uint32_t hist[3][EO_BUCKETS];
	uint64_t	smix = mm_fmix64(seed + MM_KEY_SEED_SALT);
	size_t		n = 0;
	uint64_t   *src = tmp1,
			   *dst = tmp2;

	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < nrows; i++)
	{
		uint64_t	w;

		if (skip && skip[i])
			continue;
		/* mm_row_key(hash[i], seed) >> 20, with the seed's mix computed once */
		w = ((mm_fmix64(hash[i] ^ smix) >> 31) << EO_IDX_BITS) | (uint64_t) i;
		src[n++] = w;
		hist[0][(w >> EO_IDX_BITS) & (EO_BUCKETS - 1)]++;
		hist[1][(w >> (EO_IDX_BITS + EO_BITS)) & (EO_BUCKETS - 1)]++;
		hist[2][w >> (EO_IDX_BITS + 2 * EO_BITS)]++;
	}
	for (int pass = 0; pass < 3; pass++)
	{
		int			shift = EO_IDX_BITS + pass * EO_BITS;
		uint32_t   *h = hist[pass];
		uint32_t	sum = 0;
		uint64_t   *t;

		for (size_t b = 0; b < EO_BUCKETS; b++)
		{
			uint32_t	c = h[b];

			h[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[h[(src[i] >> shift) & (EO_BUCKETS - 1)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	/* src is in order of the top 33 key bits; order runs of equal top bits by the whole key */
	for (size_t i = 1; i < n; i++)
	{
		if ((src[i] >> EO_IDX_BITS) != (src[i - 1] >> EO_IDX_BITS))
			continue;
		{
			size_t		start = i - 1,
						end = i + 1;

			while (end < n && (src[end] >> EO_IDX_BITS) == (src[start] >> EO_IDX_BITS))
				end++;
			/* stable insertion sort of the run by the full key (index order among equal keys) */
			for (size_t j = start + 1; j < end; j++)
			{
				uint64_t	w = src[j];
				uint64_t	k = mm_row_key(hash[w & ((1ULL << EO_IDX_BITS) - 1)], seed);
				size_t		m = j;

				while (m > start &&
					   mm_row_key(hash[src[m - 1] & ((1ULL << EO_IDX_BITS) - 1)], seed) > k)
				{
					src[m] = src[m - 1];
					m--;
				}
				src[m] = w;
			}
			i = end - 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (uint32_t) (src[i] & ((1ULL << EO_IDX_BITS) - 1));
	*count = n;
}
