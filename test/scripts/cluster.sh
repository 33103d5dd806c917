# cluster.sh: throwaway PostgreSQL clusters for tests, the demo and the benchmark.
# Source it, then: cluster_start NAME  (exports PGHOST/PGPORT/PGUSER for it), cluster_stop_all.
# Each cluster runs as the postgres OS user in its own temp dir, socket inside that dir,
# on a free loopback port. Never touches a system cluster.

PGBIN=${PGBIN:-$(pg_config --bindir)}
MM_CLUSTERS=()

free_port() {
    local p
    for p in $(seq 54320 54420); do
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
            local used=0
            for c in "${MM_CLUSTERS[@]}"; do [ "${c##*:}" = "$p" ] && used=1; done
            [ $used = 0 ] && { echo $p; return 0; }
        fi
    done
    return 1
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start NAME [extra postgresql.conf lines...]
cluster_start() {
    local name=$1; shift
    local dir port
    dir=$(mktemp -d "/tmp/modelmgr-$name.XXXXXX")
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(free_port) || { echo "no free port" >&2; return 1; }
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "max_worker_processes = 8"
        echo "max_parallel_workers = 4"
        echo "fsync = off"
        echo "log_min_messages = warning"
        for line in "$@"; do echo "$line"; done
    } | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    MM_CLUSTERS+=("$dir:$port")
    export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
    echo "cluster $name: port $port, dir $dir" >&2
}

cluster_stop_all() {
    local c dir
    for c in "${MM_CLUSTERS[@]}"; do
        dir=${c%:*}
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    done
    MM_CLUSTERS=()
}
