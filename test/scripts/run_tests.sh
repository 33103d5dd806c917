#!/usr/bin/env bash
# run_tests.sh: the whole test suite, from a fresh Debian 12 machine (run as root) to a verdict.
#   installs missing packages, builds with -Wall -Wextra -Werror, installs the extension,
#   runs the core unit tests, starts a throwaway cluster, runs pg_regress, pgTAP (pg_prove)
#   and the shell tests in test/sh/, runs the decoder fuzz target for a bounded time, and
#   tears everything down. Exits non-zero on any failure.
# Environment: FUZZ_TIME (seconds, default 20), SKIP_DEPS=1 to skip the package check.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

[ "${SKIP_DEPS:-0}" = 1 ] || bash test/scripts/deps.sh || exit 1

. test/scripts/cluster.sh
trap 'cluster_stop_all; rm -rf "${LOGS:-/nonexistent}"' EXIT

passed=0; failed=0; failures=()
step() {
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed + 1)); echo "--- ok: $name"
    else failed=$((failed + 1)); failures+=("$name"); echo "--- FAILED: $name"; fi
}

make -j2 >/tmp/modelmgr-build.log 2>&1 || { cat /tmp/modelmgr-build.log; echo "build failed"; exit 1; }
echo "installing modelmgr into the PostgreSQL that $(command -v "${PG_CONFIG:-pg_config}") names ($("${PG_CONFIG:-pg_config}" --pkglibdir)); set PG_CONFIG to choose another"
make install >/tmp/modelmgr-install.log 2>&1 || { cat /tmp/modelmgr-install.log; echo "install failed"; exit 1; }
# the source tree is read by the postgres OS user too (COPY of test data, pg_regress)
chmod -R a+rX "$ROOT" 2>/dev/null || true

# A suite's full output goes to a log; the run prints a short summary of a suite that passed and
# the whole log of one that failed, so the test log stays small and failures print in full.
LOGS=$(mktemp -d /tmp/modelmgr-logs.XXXXXX)
logged() {
    local name=$1 filter=$2; shift 2
    local log="$LOGS/$name.log"
    if "$@" >"$log" 2>&1; then grep -E "$filter" "$log" | tail -n 40; return 0; fi
    cat "$log"; return 1
}
step "core unit tests" logged unit '^== |passed|not ok|^#' make -s unittest

cluster_start test || exit 1

regress() {
    make -s installcheck || { [ -f regression.diffs ] && head -200 regression.diffs; return 1; }
}
step "pg_regress" regress

prove_suite() {
    PROVE_DB=modelmgr_test bash test/scripts/prove_installcheck.sh
}
# pg_prove -v: every file's plan, failures with their diagnostics, the summary (not the ok lines)
prove_quiet() {
    local log="$LOGS/pgtap.log" rc
    prove_suite >"$log" 2>&1; rc=$?
    # psql also prints the rows of set-up statements (registry rows with model bytes): TAP lines,
    # psql's own messages and the summary are what a reader needs; long lines are cut
    grep -v -E '^ok [0-9]+|^\(|^[0-9]+$|^ *$' "$log" | cut -c1-400
    return $rc
}
step "pgTAP (pg_prove)" prove_quiet

for t in test/sh/*.sh; do
    [ -e "$t" ] || continue
    step "shell test $(basename "$t")" bash "$t"
done

step "fuzz (decoders, ${FUZZ_TIME:-20}s)" logged fuzz '^(stat::|Done|INFO: +[0-9]+ files found)' \
    make -s fuzz FUZZ_TIME="${FUZZ_TIME:-20}"

echo
echo "suites: $passed passed, $failed failed"
for f in "${failures[@]}"; do echo "  failed: $f"; done
[ "$failed" = 0 ]
