/*
 * mm_core.h: the PostgreSQL-free core of modelmgr.
 *
 * Pure C11 plus libm and OpenBLAS. Nothing here includes postgres.h: errors come back as
 * status codes with a message, memory comes from an allocator the caller passes in.
 */
#ifndef MM_CORE_H
#define MM_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "modelmgr aggregate states assume a little-endian host"
#endif

typedef enum mm_status
{
	MM_OK = 0,
	MM_EINVAL,			/* bad argument or option value */
	MM_EDATA,			/* bad data: dimension mismatch, NaN, ... */
	MM_ECORRUPT,		/* encoded model or state failed validation */
	MM_ENOMEM,			/* allocation failed or size over a limit */
	MM_ERANK,			/* singular / rank-deficient system */
	MM_EMISMATCH,		/* two states that cannot be combined */
	MM_ESYSTEM			/* the system refused something: a library could not be opened */
} mm_status;

#define MM_ERRMSG_LEN 256

typedef struct mm_err
{
	mm_status	status;
	char		msg[MM_ERRMSG_LEN];
	char		detail[MM_ERRMSG_LEN];
} mm_err;

/* Allocator callback: returns zeroed memory or NULL. */
typedef void *(*mm_alloc_fn) (void *ctx, size_t size);

typedef struct mm_alloc
{
	mm_alloc_fn alloc;
	void	   *ctx;
} mm_alloc;

/* Largest single allocation the core will ask for (matches PostgreSQL's MaxAllocSize). */
#define MM_MAX_ALLOC ((size_t) 0x3fffffff)

/* Hard limits that keep every size computation far from overflow. */
#define MM_MAX_FEATURES 100000
#define MM_MAX_CLASSES 10000

mm_status	mm_fail(mm_err *err, mm_status st, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
void		mm_fail_detail(mm_err *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void	   *mm_alloc_array(const mm_alloc *a, size_t n, size_t elsize);

/*
 * CRC-32C (Castagnoli): the crc32 instruction where the CPU has SSE 4.2 (x86-64), else a table.
 * mm_crc32c_hw: -1 (default) decides by the CPU, 0 always uses the table, 1 the instruction when
 * the CPU has it (tests compare the two).
 */
uint32_t	mm_crc32c(uint32_t crc, const void *data, size_t len);
extern int	mm_crc32c_hw;
int			mm_crc32c_hw_available(void);

/* Little-endian writer into a caller-provided buffer. */
typedef struct mm_writer
{
	uint8_t    *buf;
	size_t		len;
	size_t		cap;
} mm_writer;

void		mm_put_u16(mm_writer *w, uint16_t v);
void		mm_put_u32(mm_writer *w, uint32_t v);
void		mm_put_u64(mm_writer *w, uint64_t v);
void		mm_put_f64(mm_writer *w, double v);
void		mm_put_f64s(mm_writer *w, const double *v, size_t n);
void		mm_put_bytes(mm_writer *w, const void *p, size_t n);

/* Little-endian bounds-checked reader: any overrun sets ok = 0 and reads zeros. */
typedef struct mm_reader
{
	const uint8_t *p;
	size_t		len;
	size_t		pos;
	int			ok;
} mm_reader;

void		mm_reader_init(mm_reader *r, const void *p, size_t len);
uint16_t	mm_get_u16(mm_reader *r);
uint32_t	mm_get_u32(mm_reader *r);
uint64_t	mm_get_u64(mm_reader *r);
double		mm_get_f64(mm_reader *r);
void		mm_get_f64s(mm_reader *r, double *out, size_t n);
const uint8_t *mm_get_bytes(mm_reader *r, size_t n);

static inline uint32_t
mm_load_u32(const void *p)
{
	const uint8_t *b = (const uint8_t *) p;

	return (uint32_t) b[0] | ((uint32_t) b[1] << 8) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 24);
}

/* Unaligned little-endian loads and stores (the host is little-endian, checked above). */
static inline uint64_t
mm_load_u64(const void *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

static inline double
mm_load_f64(const void *p)
{
	double		v;

	memcpy(&v, p, 8);
	return v;
}

static inline void
mm_store_u32(void *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void
mm_store_u64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline void
mm_store_f64(void *p, double v)
{
	memcpy(p, &v, 8);
}

/*
 * Two-lane double vectors (GCC/Clang vector extensions: SSE2 on x86-64, NEON on arm64) that may
 * sit on any 8-byte boundary, as array data and state fields do.
 */
typedef double mm_v2d __attribute__((vector_size(16), aligned(8)));

/*
 * True when every v[i] is finite: x - x is 0 for finite x and NaN otherwise, summed in eight
 * independent lanes so the check is not one long chain of dependent additions.
 */
static inline int
mm_all_finite(const double *v, size_t n)
{
	mm_v2d		a0 = {0, 0},
				a1 = {0, 0},
				a2 = {0, 0},
				a3 = {0, 0},
				s;
	double		t = 0;
	size_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		mm_v2d		x0 = *(const mm_v2d *) (v + i),
					x1 = *(const mm_v2d *) (v + i + 2),
					x2 = *(const mm_v2d *) (v + i + 4),
					x3 = *(const mm_v2d *) (v + i + 6);

		a0 += x0 - x0;
		a1 += x1 - x1;
		a2 += x2 - x2;
		a3 += x3 - x3;
	}
	for (; i < n; i++)
		t += v[i] - v[i];
	s = (a0 + a1) + (a2 + a3);
	return s[0] + s[1] + t == 0;
}

/*
 * MurmurHash3's 64-bit finaliser (a bijection with full avalanche): the last step of every
 * content hash of the core (row hashes, split keys, describe's sample keys). Its constants are
 * part of stored results (splits, shuffles, samples): never change them.
 */
#define MM_FMIX64_M1 0xff51afd7ed558ccdULL
#define MM_FMIX64_M2 0xc4ceb9fe1a85ec53ULL

static inline uint64_t
mm_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= MM_FMIX64_M1;
	k ^= k >> 33;
	k *= MM_FMIX64_M2;
	k ^= k >> 33;
	return k;
}

/* The first index i < n with v[i] >= y in ascending v (n when there is none). */
static inline uint32_t
mm_lower_bound(const double *v, uint32_t n, double y)
{
	uint32_t	lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (v[mid] < y)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline int
mm_isfinite(double v)
{
	return v - v == 0.0;
}

#endif
