#!/usr/bin/env bash
# container_test.sh (`make container-test`): builds the image of ./Containerfile for real, without
# a registry, and runs the demo's SQL inside it:
#   1. the Debian package, from a copy of the tracked files (dpkg-buildpackage -us -uc -b);
#   2. a local Debian 12 base image: mmdebstrap, imported with podman (kept as
#      localhost/modelmgr-debian12:base for later runs; BASE_IMAGE names another);
#   3. buildah bud --isolation chroot with BASE set to that image;
#   4. buildah run --isolation chroot: the entrypoint starts the server, psql runs
#      CREATE EXTENSION, test/scripts/load_data.sql and test/scripts/demo.sql.
# Needs root, network access to a Debian mirror, and the packages mmdebstrap, buildah, podman
# (installed here when missing). Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE_IMAGE=${BASE_IMAGE:-localhost/modelmgr-debian12:base}
IMAGE=localhost/modelmgr:test
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

need=()
for p in mmdebstrap buildah podman debhelper postgresql-server-dev-all libopenblas-dev libssl-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK=$(mktemp -d /var/tmp/modelmgr-container.XXXXXX)
ctr=
cleanup() { [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== 1. the Debian package"
mkdir -p "$WORK/src" "$WORK/ctx/container"
git ls-files -z | xargs -0 cp --parents -t "$WORK/src"
(cd "$WORK/src" && dpkg-buildpackage -us -uc -b >"$WORK/deb.log" 2>&1) || { tail -40 "$WORK/deb.log"; exit 1; }
cp "$WORK"/postgresql-15-modelmgr_*.deb "$WORK/ctx/container/"
cp Containerfile "$WORK/ctx/"
cp container/entrypoint.sh "$WORK/ctx/container/"
ls "$WORK/ctx/container"

echo "== 2. the base image $BASE_IMAGE"
if ! podman image exists "$BASE_IMAGE"; then
    mmdebstrap --variant=apt --include=ca-certificates bookworm "$WORK/base.tar" \
        "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY bookworm-security main" \
        >"$WORK/mmdebstrap.log" 2>&1 || { tail -40 "$WORK/mmdebstrap.log"; exit 1; }
    podman import "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
fi
podman image exists "$BASE_IMAGE"

echo "== 3. buildah bud --isolation chroot"
buildah bud --isolation chroot --build-arg BASE="$BASE_IMAGE" -f "$WORK/ctx/Containerfile" -t "$IMAGE" "$WORK/ctx" \
    >"$WORK/bud.log" 2>&1 || { tail -60 "$WORK/bud.log"; exit 1; }
echo "built $IMAGE"

echo "== 4. the demo inside the image"
ctr=$(buildah from "$IMAGE")
buildah copy "$ctr" test/scripts/load_data.sql test/scripts/demo.sql /demo/test/scripts/ >/dev/null
buildah copy "$ctr" test/data /demo/test/data >/dev/null
buildah run --isolation chroot "$ctr" -- sh -c '
    set -e
    /usr/local/bin/modelmgr-entrypoint.sh postgres >/tmp/server.log 2>&1 &
    for i in $(seq 1 60); do /usr/lib/postgresql/15/bin/pg_isready -q -h /var/run/postgresql && break; sleep 1; done
    cd /demo
    rc=0
    psql -X -q -h /var/run/postgresql -U postgres -v ON_ERROR_STOP=1 -c "CREATE EXTENSION modelmgr" \
        -f test/scripts/load_data.sql >/dev/null || rc=$?
    [ $rc = 0 ] && { psql -X -q -h /var/run/postgresql -U postgres -v ON_ERROR_STOP=1 -P pager=off -f test/scripts/demo.sql || rc=$?; }
    su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/pg_ctl -D /var/lib/postgresql/data -m fast -w stop" >/dev/null
    [ $rc = 0 ] || cat /tmp/server.log
    exit $rc
' | tee "$WORK/demo.out"
grep -q "== 7. The registry" "$WORK/demo.out" && grep -q "cancer" "$WORK/demo.out"
echo "container test passed: $IMAGE (base $BASE_IMAGE) ran the demo"
