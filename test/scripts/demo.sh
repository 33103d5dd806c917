#!/usr/bin/env bash
# demo.sh: the main job end to end on a private, throwaway cluster: load real data, train,
# register and deploy, predict, evaluate. Run as `make demo` (installs missing packages as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${SKIP_DEPS:-0}" = 1 ] || bash test/scripts/deps.sh
echo "installing modelmgr into the PostgreSQL that $(command -v "${PG_CONFIG:-pg_config}") names ($("${PG_CONFIG:-pg_config}" --pkglibdir)); set PG_CONFIG to choose another"
make -s -j2 >/dev/null && make -s install >/dev/null
chmod -R a+rX . 2>/dev/null || true
. test/scripts/cluster.sh
trap cluster_stop_all EXIT
cluster_start demo >/dev/null 2>&1
createdb demo
export PGDATABASE=demo
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION modelmgr" -f test/scripts/load_data.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -P pager=off -f test/scripts/demo.sql
echo
echo "demo finished: the cluster is removed on exit"
