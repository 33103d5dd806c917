#!/usr/bin/env bash
# debian_package.sh: builds the Debian package (dpkg-buildpackage -us -uc -b, from a copy of the
# tracked files), installs it into a clean copy of the PostgreSQL tree (the copy's own modelmgr
# files, if any, removed first), and runs CREATE EXTENSION, a fit and a prediction on a cluster of
# that tree, from a directory with no source tree in sight.
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$(pwd)
command -v dpkg-buildpackage >/dev/null && [ -x /usr/bin/pg_buildext ] || {
    echo "FAIL: dpkg-buildpackage or pg_buildext missing (test/scripts/deps.sh installs them)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/modelmgr-deb.XXXXXX)
. test/scripts/cluster.sh
trap 'cluster_stop_all; rm -rf "$tmp"' EXIT
fail=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1 (expected $2, got $3)" >&2; fail=1; fi
}

mkdir -p "$tmp/src"
git ls-files -z | xargs -0 cp --parents -t "$tmp/src" || exit 1
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) || { tail -40 "$tmp/build.log"; exit 1; }
deb=$tmp/postgresql-15-modelmgr_${version}_$(dpkg --print-architecture).deb
check "dpkg-buildpackage built postgresql-15-modelmgr $version" yes "$([ -f "$deb" ] && echo yes || echo no)"
check "the package depends on the serial OpenBLAS it opens" yes \
    "$(dpkg-deb -f "$deb" Depends | grep -q libopenblas0-serial && echo yes || echo no)"

# a clean PostgreSQL tree: the system one copied, without any modelmgr files in it
root=$tmp/root
mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$root/usr/lib/postgresql/" && cp -a /usr/share/postgresql/15 "$root/usr/share/postgresql/" || exit 1
rm -rf "$root"/usr/lib/postgresql/15/lib/modelmgr.so "$root"/usr/lib/postgresql/15/lib/bitcode/modelmgr* \
       "$root"/usr/share/postgresql/15/extension/modelmgr*
dpkg-deb -x "$deb" "$root" || exit 1
check "the package put the library and the control file in the tree" yes \
    "$([ -f "$root/usr/lib/postgresql/15/lib/modelmgr.so" ] && [ -f "$root/usr/share/postgresql/15/extension/modelmgr.control" ] && echo yes || echo no)"
chmod -R a+rX "$tmp"

PGBIN=$root/usr/lib/postgresql/15/bin
cd / || exit 1
cluster_start debpkg >/dev/null 2>&1 || { echo "FAIL: cluster on the package's tree" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check "CREATE EXTENSION modelmgr from the package" ok \
    "$(q -c "SET client_min_messages = warning" -c "CREATE EXTENSION modelmgr" -c "SELECT 'ok'" 2>&1)"
mapped=$(psql -X -q -At -v ON_ERROR_STOP=1 2>&1 <<'SQL' | tail -n 1
SELECT modelmgr.predict(modelmgr.linreg_fit(ARRAY[g::float8], g::float8), ARRAY[1.0::float8]) IS NOT NULL FROM generate_series(1, 5) g;
SELECT pg_backend_pid() AS pid \gset
\setenv MM_PID :pid
\! grep -o '/[^ ]*modelmgr[.]so' /proc/$MM_PID/maps | sort -u
SQL
)
check "the backend maps modelmgr.so from the package's tree" "$root/usr/lib/postgresql/15/lib/modelmgr.so" "$mapped"
check "a fit and a prediction work" 7 \
    "$(q -c "SELECT round(modelmgr.predict(modelmgr.linreg_fit(ARRAY[g::float8], 2 * g + 1), ARRAY[3.0::float8]))
             FROM generate_series(1, 20) g" 2>&1)"
check "train, deploy and predict by name" 21 \
    "$(q -c "SET client_min_messages = warning" -c "CREATE TABLE t AS SELECT g::float8 AS x, (2 * g + 1)::float8 AS y FROM generate_series(1, 30) g" \
         -c "SELECT 1 FROM modelmgr.train('m', 't', 'y', ARRAY['x'], 'linear_regression')" -c "SELECT 1 FROM modelmgr.deploy('m')" \
         -c "SELECT round(modelmgr.predict('m', ARRAY[10.0::float8]))" 2>&1 | tail -n 1)"
exit $fail
