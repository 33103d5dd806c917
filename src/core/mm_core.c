/*
 * mm_core.c: errors, allocation, CRC-32C and little-endian encoding helpers.
 */
#include "mm_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

mm_status
mm_fail(mm_err *err, mm_status st, const char *fmt,...)
{
	va_list		ap;

	if (err)
	{
		err->status = st;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->detail[0] = '\0';
	}
	return st;
}

void
mm_fail_detail(mm_err *err, const char *fmt,...)
{
	va_list		ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void *
mm_alloc_array(const mm_alloc *a, size_t n, size_t elsize)
{
	if (elsize != 0 && n > MM_MAX_ALLOC / elsize)
		return NULL;
	return a->alloc(a->ctx, n * elsize == 0 ? 1 : n * elsize);
}

static uint32_t crc_table[256];
static int	crc_ready = 0;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

int			mm_crc32c_hw = -1;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define MM_HAVE_CRC32_INSN 1

/*
 * The crc32 instruction computes this CRC (reflected polynomial 0x82F63B78) on the register: a
 * byte at a time up to an 8-byte boundary, then 8 bytes a step (little-endian loads keep the
 * byte order the table's loop uses), then the tail. c is the running (inverted) value.
 */
__attribute__((target("sse4.2")))
static uint32_t
crc32c_insn(uint32_t c, const uint8_t *p, size_t len)
{
	uint64_t	c64;

	while (len > 0 && ((uintptr_t) p & 7) != 0)
	{
		c = _mm_crc32_u8(c, *p++);
		len--;
	}
	c64 = c;
	while (len >= 8)
	{
		uint64_t	v;

		memcpy(&v, p, 8);
		c64 = _mm_crc32_u64(c64, v);
		p += 8;
		len -= 8;
	}
	c = (uint32_t) c64;
	while (len > 0)
	{
		c = _mm_crc32_u8(c, *p++);
		len--;
	}
	return c;
}
#endif

int
mm_crc32c_hw_available(void)
{
#ifdef MM_HAVE_CRC32_INSN
	static int	avail = -1;

	if (avail < 0)
		avail = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return avail;
#else
	return 0;
#endif
}

uint32_t
mm_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *) data;

	crc = ~crc;
#ifdef MM_HAVE_CRC32_INSN
	if (mm_crc32c_hw != 0 && mm_crc32c_hw_available())
		return ~crc32c_insn(crc, p, len);
#endif
	if (!crc_ready)
		crc_init();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put_raw(mm_writer *w, const uint8_t *b, size_t n)
{
	if (w->len + n <= w->cap)
		memcpy(w->buf + w->len, b, n);
	w->len += n;				/* overrun is detected by the caller: len > cap */
}

void
mm_put_u16(mm_writer *w, uint16_t v)
{
	uint8_t		b[2] = {(uint8_t) v, (uint8_t) (v >> 8)};

	put_raw(w, b, 2);
}

void
mm_put_u32(mm_writer *w, uint32_t v)
{
	uint8_t		b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) (v >> (8 * i));
	put_raw(w, b, 4);
}

void
mm_put_u64(mm_writer *w, uint64_t v)
{
	uint8_t		b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (v >> (8 * i));
	put_raw(w, b, 8);
}

void
mm_put_f64(mm_writer *w, double v)
{
	uint64_t	u;

	memcpy(&u, &v, 8);
	mm_put_u64(w, u);
}

void
mm_put_f64s(mm_writer *w, const double *v, size_t n)
{
	/* little-endian host (checked in mm_core.h): the bytes are already in order */
	put_raw(w, (const uint8_t *) v, n * sizeof(double));
}

void
mm_put_bytes(mm_writer *w, const void *p, size_t n)
{
	put_raw(w, (const uint8_t *) p, n);
}

void
mm_reader_init(mm_reader *r, const void *p, size_t len)
{
	r->p = (const uint8_t *) p;
	r->len = len;
	r->pos = 0;
	r->ok = 1;
}

const uint8_t *
mm_get_bytes(mm_reader *r, size_t n)
{
	const uint8_t *b;

	if (!r->ok || n > r->len - r->pos)
	{
		r->ok = 0;
		return NULL;
	}
	b = r->p + r->pos;
	r->pos += n;
	return b;
}

uint16_t
mm_get_u16(mm_reader *r)
{
	const uint8_t *b = mm_get_bytes(r, 2);

	return b ? (uint16_t) (b[0] | (b[1] << 8)) : 0;
}

uint32_t
mm_get_u32(mm_reader *r)
{
	const uint8_t *b = mm_get_bytes(r, 4);

	return b ? mm_load_u32(b) : 0;
}

uint64_t
mm_get_u64(mm_reader *r)
{
	const uint8_t *b = mm_get_bytes(r, 8);
	uint64_t	v = 0;

	if (b)
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | b[i];
	return v;
}

double
mm_get_f64(mm_reader *r)
{
	uint64_t	u = mm_get_u64(r);
	double		d;

	memcpy(&d, &u, 8);
	return d;
}

void
mm_get_f64s(mm_reader *r, double *out, size_t n)
{
	const uint8_t *b;

	if (n > (r->len - r->pos) / sizeof(double))
	{
		r->ok = 0;
		memset(out, 0, n * sizeof(double));
		return;
	}
	b = mm_get_bytes(r, n * sizeof(double));
	memcpy(out, b, n * sizeof(double));
}
