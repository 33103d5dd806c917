#!/bin/sh
# modelmgr image entrypoint: on the official postgres image, hand over to its entrypoint (all of
# its POSTGRES_* variables work); on plain Debian, initialise $PGDATA once (trust on the local
# socket, password auth over TCP when POSTGRES_PASSWORD is set) and run the server as postgres.
set -e
if [ -x /usr/local/bin/docker-entrypoint.sh ]; then
    exec /usr/local/bin/docker-entrypoint.sh "$@"
fi
PGBIN=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "$1" = postgres ]; then
    shift
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        su postgres -s /bin/sh -c "$PGBIN/initdb -D '$PGDATA' -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256" >/dev/null
        if [ -n "${POSTGRES_PASSWORD:-}" ]; then
            echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
            echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
            su postgres -s /bin/sh -c "$PGBIN/postgres --single -D '$PGDATA' postgres" >/dev/null <<SQL
ALTER ROLE postgres PASSWORD '$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")';
SQL
        fi
    fi
    exec su postgres -s /bin/sh -c "exec $PGBIN/postgres -D '$PGDATA' $*"
fi
exec "$@"
