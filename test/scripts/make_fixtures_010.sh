#!/usr/bin/env bash
# make_fixtures_010.sh: regenerates test/data/fixtures_0.1.0/ with a modelmgr 0.1.0 build.
# Usage (from the repository root): PG_CONFIG=<pg_config of a tree with 0.1.0 installed> bash $0
# (build 0.1.0 with `git worktree add /tmp/v010 b9df736 && make -C /tmp/v010 install`).
# The CSVs are committed; nothing runs this in the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGBIN=$("${PG_CONFIG:-pg_config}" --bindir)
. test/scripts/cluster.sh
trap cluster_stop_all EXIT
cluster_start fixtures010 >/dev/null 2>&1
createdb fx
psql -X -q -v ON_ERROR_STOP=1 -d fx -c "CREATE EXTENSION modelmgr VERSION '0.1.0'" \
    -c "SELECT extversion FROM pg_extension WHERE extname = 'modelmgr'" -f test/scripts/load_data.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d fx -f test/scripts/fixtures_010.sql >/dev/null
wc -l test/data/fixtures_0.1.0/*.csv
