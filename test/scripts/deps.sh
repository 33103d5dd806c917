#!/usr/bin/env bash
# deps.sh: installs the Debian packages the build, the tests, the demo and the benchmark need
# (only the missing ones). Needs root when anything is missing.
set -euo pipefail
PKGS=(
    make gcc clang libclang-rt-14-dev
    postgresql-15 postgresql-server-dev-15
    libopenblas-dev libopenblas0-serial libssl-dev
    postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
    postgresql-15-plproxy prometheus-postgres-exporter
    python3-numpy python3-sklearn curl
    debhelper postgresql-server-dev-all dpkg-dev
)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: missing packages and not root; install them: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # another apt or dpkg (unattended upgrades, a second checkout's test run) may hold the locks:
    # wait for them up to 10 minutes instead of failing at once
    wait_opts=(-o DPkg::Lock::Timeout=600)
    for try in $(seq 1 60); do
        apt-get "${wait_opts[@]}" update -qq && break
        [ "$try" = 60 ] && { echo "deps.sh: apt-get update kept failing (lock held?)" >&2; exit 1; }
        echo "deps.sh: apt-get update failed (another apt may hold its lock); retrying in 10 s" >&2
        sleep 10
    done
    apt-get "${wait_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
