# modelmgr: in-database machine learning for PostgreSQL (PGXS build)

EXTENSION    = modelmgr
EXTVERSION   = 0.2.0
MODULE_big   = modelmgr

CORE_SRCS    = $(sort $(wildcard src/core/*.c))
PG_SRCS      = $(sort $(wildcard src/pg/*.c))
OBJS         = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

# The install script is assembled from one file per SQL surface (sql/install/NN_topic.sql).
INSTALL_PARTS  = $(sort $(wildcard sql/install/*.sql))
MM_SQL_SCRIPT = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA_built     = $(MM_SQL_SCRIPT)
# Earlier releases' install scripts (sql/modelmgr--0.1.0.sql, as that release built it) and the
# upgrade scripts (sql/modelmgr--A--B.sql) are committed files, installed as they are.
DATA           = $(filter-out $(MM_SQL_SCRIPT),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress: every sql/<topic>.sql except the install scripts.
REGRESS      = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# OpenBLAS: always the serial build, so a backend never starts BLAS threads (see README,
# "Threads"). The core opens it by this path on first use (src/core/mm_blas.c) instead of
# linking it: loading it cost every backend and parallel worker ~5 ms.
MULTIARCH    ?= $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
OPENBLAS_DIR ?= /usr/lib/$(MULTIARCH)/openblas-serial
BLAS_DEFS     = -DMM_BLAS_LIBRARY='"$(OPENBLAS_DIR)/libopenblas.so.0"'
BLAS_LIBS     = -ldl -lm

PG_CPPFLAGS  = -Isrc/core -Isrc/pg $(BLAS_DEFS)
PG_CFLAGS    = -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
# libcrypto (OpenSSL, which PostgreSQL itself links): Ed25519 model signatures (src/pg/signing.c)
SHLIB_LINK   = $(BLAS_LIBS) -lcrypto

EXTRA_CLEAN  = $(MM_SQL_SCRIPT) results/ regression.diffs regression.out test/core/*.bin \
               test/fuzz/*.bin test/fuzz/corpus.tmp

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: every object depends on every header of ours.
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

$(MM_SQL_SCRIPT): $(INSTALL_PARTS)
	cat $^ > $@

# Core unit tests: compiled with only -Isrc/core, so no PostgreSQL header is reachable.
CORE_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -Wall -Wextra -Werror -Isrc/core $(BLAS_DEFS)
CORE_TESTS   = $(patsubst %.c,%.bin,$(wildcard test/core/test_*.c))

test/core/%.bin: test/core/%.c $(CORE_SRCS) $(wildcard src/core/*.h) test/core/unit.h
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) $(BLAS_LIBS)

# the core without OpenBLAS: the library path points nowhere
test/core/test_noblas.bin: test/core/test_noblas.c $(CORE_SRCS) $(wildcard src/core/*.h) test/core/unit.h
	$(CC) $(filter-out $(BLAS_DEFS),$(CORE_CFLAGS)) -DMM_BLAS_LIBRARY='"/nonexistent/libopenblas.so.0"' \
	    -o $@ $< $(CORE_SRCS) $(BLAS_LIBS)

.PHONY: unittest fuzz test demo bench prove_installcheck container-test
unittest: $(CORE_TESTS)
	@set -e; for t in $(CORE_TESTS); do echo "== $$t"; ./$$t; done

# libFuzzer target for the model and state decoders (clang + libclang-rt-14-dev).
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 20
test/fuzz/fuzz_decode.bin: test/fuzz/fuzz_decode.c $(CORE_SRCS) $(wildcard src/core/*.h)
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -Isrc/core $(BLAS_DEFS) -o $@ $< $(CORE_SRCS) $(BLAS_LIBS)

fuzz: test/fuzz/fuzz_decode.bin
	rm -rf test/fuzz/corpus.tmp && mkdir -p test/fuzz/corpus.tmp
	./test/fuzz/fuzz_decode.bin -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    test/fuzz/corpus.tmp test/fuzz/seeds

test:
	bash test/scripts/run_tests.sh

# pgTAP suites against the running server the libpq environment names (as `make installcheck`
# runs pg_regress): needs pgTAP and modelmgr installed there and a superuser connection.
prove_installcheck:
	bash test/scripts/prove_installcheck.sh $(PROVE_FILES)

# Builds ./Containerfile on a local Debian 12 base (mmdebstrap, podman import, buildah) and runs
# the demo inside it. Needs root and a Debian mirror; not part of `make test`.
container-test:
	bash test/scripts/container_test.sh

demo:
	bash test/scripts/demo.sh

bench:
	bash test/scripts/bench.sh
