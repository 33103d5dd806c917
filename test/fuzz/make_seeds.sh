#!/bin/sh
# Regenerates the fuzz seed corpus: valid models of every algorithm, least-squares states,
# and regression inputs (see make_seeds.c). Run from the repository root.
set -e
CC=${CC:-cc}
BLAS_DIR=${OPENBLAS_DIR:-/usr/lib/$($CC -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-serial}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Wall -Wextra -Werror -Isrc/core -o "$tmp/make_seeds" \
    test/fuzz/make_seeds.c src/core/*.c -L"$BLAS_DIR" -l:libopenblas.so.0 -Wl,-rpath,"$BLAS_DIR" -lm
mkdir -p test/fuzz/seeds
"$tmp/make_seeds" test/fuzz/seeds
ls -l test/fuzz/seeds
