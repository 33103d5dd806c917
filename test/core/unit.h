/*
 * unit.h: a tiny header-only TAP-style harness for the core's unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" (with the values on failure);
 * unit_summary() prints "N passed, N failed", frees the test arena and returns the
 * exit status (non-zero on any failure), so a test's main ends with
 *     return unit_summary();
 *
 * unit_alloc is an mm_alloc backed by calloc: every block is tracked and freed by
 * unit_arena_reset() (called by unit_summary()). unit_alloc_fail_after(k) makes the
 * (k+1)-th allocation from now fail, to exercise out-of-memory paths; -1 disables it.
 */
#ifndef MM_UNIT_H
#define MM_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_core.h"

#define UNIT_UNUSED __attribute__((unused))

static int	unit_n_pass UNIT_UNUSED = 0;
static int	unit_n_fail UNIT_UNUSED = 0;

typedef struct unit_block
{
	struct unit_block *next;
	/* payload follows, max-aligned */
	union
	{
		long double ld;
		void	   *p;
		long long	ll;
	}			data[];
} unit_block;

static unit_block *unit_blocks UNIT_UNUSED = NULL;
static long unit_fail_countdown UNIT_UNUSED = -1;
static size_t unit_n_allocs UNIT_UNUSED = 0;

static inline void *
unit_calloc(void *ctx, size_t size)
{
	unit_block *b;

	(void) ctx;
	if (unit_fail_countdown == 0)
		return NULL;
	if (unit_fail_countdown > 0)
		unit_fail_countdown--;
	if (size > MM_MAX_ALLOC)
		return NULL;
	b = calloc(1, sizeof(unit_block) + size);
	if (!b)
		return NULL;
	b->next = unit_blocks;
	unit_blocks = b;
	unit_n_allocs++;
	return b->data;
}

static const mm_alloc unit_alloc UNIT_UNUSED = {unit_calloc, NULL};

static inline void
unit_alloc_fail_after(long k)
{
	unit_fail_countdown = k;
}

/* Frees every block handed out by unit_alloc so far. */
static inline void
unit_arena_reset(void)
{
	while (unit_blocks)
	{
		unit_block *n = unit_blocks->next;

		free(unit_blocks);
		unit_blocks = n;
	}
	unit_fail_countdown = -1;
}

static inline int
unit_report(int ok, const char *name, const char *file, int line)
{
	if (ok)
	{
		unit_n_pass++;
		printf("ok %d - %s\n", unit_n_pass + unit_n_fail, name);
	}
	else
	{
		unit_n_fail++;
		printf("not ok %d - %s\n#   at %s:%d\n", unit_n_pass + unit_n_fail, name, file, line);
	}
	fflush(stdout);
	return ok;
}

static inline int
unit_near(double a, double b, double tol, const char *name, const char *file, int line)
{
	int			ok = fabs(a - b) <= tol;	/* false for NaN */

	if (!unit_report(ok, name, file, line))
		printf("#   got %.17g, expected %.17g (diff %.3g, tol %.3g)\n", a, b, fabs(a - b), tol);
	return ok;
}

static inline int
unit_rel(double a, double b, double rtol, const char *name, const char *file, int line)
{
	double		scale = fabs(b) > 1.0 ? fabs(b) : 1.0;
	int			ok = fabs(a - b) <= rtol * scale;

	if (!unit_report(ok, name, file, line))
		printf("#   got %.17g, expected %.17g (rel diff %.3g, rtol %.3g)\n", a, b, fabs(a - b) / scale, rtol);
	return ok;
}

static inline int
unit_eq_long(long long a, long long b, const char *name, const char *file, int line)
{
	int			ok = a == b;

	if (!unit_report(ok, name, file, line))
		printf("#   got %lld, expected %lld\n", a, b);
	return ok;
}

/* Plain condition. */
#define CHECK(cond, name) unit_report(!!(cond), (name), __FILE__, __LINE__)
/* |a - b| <= tol (fails on NaN). */
#define CHECK_NEAR(a, b, tol, name) unit_near((double) (a), (double) (b), (double) (tol), (name), __FILE__, __LINE__)
/* |a - b| <= rtol * max(1, |b|). */
#define CHECK_REL(a, b, rtol, name) unit_rel((double) (a), (double) (b), (double) (rtol), (name), __FILE__, __LINE__)
/* Integer equality, printing both values on failure. */
#define CHECK_EQ(a, b, name) unit_eq_long((long long) (a), (long long) (b), (name), __FILE__, __LINE__)
/* An mm_status equals the expected one; prints the error message on failure. */
#define CHECK_STATUS(st, want, errp, name) \
	do { \
		int unit_st_ = (int) (st); \
		if (!unit_eq_long(unit_st_, (long long) (want), (name), __FILE__, __LINE__) && (errp) != NULL) \
			printf("#   message: %s\n", ((mm_err *) (errp))->msg); \
	} while (0)

/* A diagnostic line ("# ...") that TAP consumers ignore. */
#define NOTE(...) \
	do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* Prints the totals, frees the arena and returns the exit status. */
static inline int
unit_summary(void)
{
	unit_arena_reset();
	printf("1..%d\n", unit_n_pass + unit_n_fail);
	printf("%d passed, %d failed\n", unit_n_pass, unit_n_fail);
	return unit_n_fail != 0;
}

#endif
