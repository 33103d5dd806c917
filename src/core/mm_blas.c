/*
 * mm_blas.c: opens OpenBLAS on first use (see mm_blas.h).
 */
#include "mm_blas.h"

#include <dlfcn.h>
#include <stdio.h>

#ifndef MM_BLAS_LIBRARY
#define MM_BLAS_LIBRARY "libopenblas.so.0"
#endif

static mm_blas_api api;
static int	state;				/* 0: not tried, 1: loaded, -1: failed */
static char errbuf[512];

static void *
sym(void *h, const char *name, int *ok)
{
	void	   *p = dlsym(h, name);

	if (p == NULL && *ok)
	{
		snprintf(errbuf, sizeof(errbuf), "%s has no symbol %s", MM_BLAS_LIBRARY, name);
		*ok = 0;
	}
	return p;
}

const mm_blas_api *
mm_blas(void)
{
	void	   *h;
	int			ok = 1;

	if (state == 1)
		return &api;
	if (state == -1)
		return NULL;
	/* local symbols, bound when first called: only what modelmgr uses is resolved */
	h = dlopen(MM_BLAS_LIBRARY, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL)
	{
		const char *e = dlerror();

		snprintf(errbuf, sizeof(errbuf), "%s", e ? e : "cannot open " MM_BLAS_LIBRARY);
		state = -1;
		return NULL;
	}
	/* dlsym returns void *; a function pointer is assigned through memcpy-free POSIX semantics */
	*(void **) (&api.dsyrk) = sym(h, "cblas_dsyrk", &ok);
	*(void **) (&api.dsyr) = sym(h, "cblas_dsyr", &ok);
	*(void **) (&api.dpotrf) = sym(h, "dpotrf_", &ok);
	*(void **) (&api.dpotrs) = sym(h, "dpotrs_", &ok);
	*(void **) (&api.dpocon) = sym(h, "dpocon_", &ok);
	*(void **) (&api.dlansy) = sym(h, "dlansy_", &ok);
	*(void **) (&api.dsyevd) = sym(h, "dsyevd_", &ok);
	if (!ok)
	{
		dlclose(h);
		state = -1;
		return NULL;
	}
	state = 1;
	return &api;
}

const char *
mm_blas_error(void)
{
	return errbuf[0] ? errbuf : "BLAS library not loaded";
}

int
mm_blas_state(void)
{
	return state;
}
