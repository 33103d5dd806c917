#!/usr/bin/env bash
# monitor_notify.sh: monitor() sends its alerts with NOTIFY modelmgr_alerts, delivered at commit
# to a LISTENing session as a JSON payload. Run with PGHOST/PGPORT/PGUSER of a running cluster
# where modelmgr is installed. Creates its own database (dropped at the end).
set -uo pipefail

DB=mm_notify_$$
OUT=$(mktemp /tmp/mm_notify.XXXXXX)
cleanup() { dropdb --if-exists "$DB" 2>/dev/null; rm -f "$OUT"; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }

createdb "$DB" || die "createdb"
timeout 30 psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE pts AS SELECT i AS id, (i % 17) / 17.0 AS a, ((i * 7) % 13) / 13.0 AS b, ((i % 17) > 8)::int AS y
FROM generate_series(1, 300) i;
CREATE TABLE shifted AS SELECT id, a + 1 AS a, b, y FROM pts;
SELECT modelmgr.train('n_clf', 'pts', 'y', features => ARRAY['a', 'b'], algorithm => 'logistic_regression', options => '{"seed": 1}');
SELECT modelmgr.register_model('n_clf', (SELECT modelmgr.model_with_baseline(m.model, ARRAY[p.a, p.b]) FROM pts p), label => 'y')
FROM modelmgr.models m WHERE m.name = 'n_clf' AND m.version = 1;
SELECT modelmgr.deploy('n_clf', 2);
SQL

# one session: LISTEN, monitor() in its own transaction, COMMIT; psql prints the notification
timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >"$OUT" 2>&1 <<'SQL' || { cat "$OUT"; die "monitor session"; }
SET client_min_messages = warning;
LISTEN modelmgr_alerts;
BEGIN;
SELECT modelmgr.monitor('n_clf', 'shifted')->>'status';
COMMIT;
SELECT 1;
SQL
fail=0
if grep -q 'Asynchronous notification "modelmgr_alerts" with payload ".*"kind": "drift".*' "$OUT"; then
    echo "ok - NOTIFY modelmgr_alerts delivered at commit with a drift alert payload"
else
    echo "not ok - no drift notification"; fail=1
fi
if grep 'Asynchronous notification' "$OUT" | grep -q '"feature": "a"' && ! grep 'Asynchronous notification' "$OUT" | grep -q '"feature": "b"'; then
    echo "ok - the payload names the shifted feature only"
else
    echo "not ok - payload features"; fail=1
fi
n=$(timeout 30 psql -X -q -At -d "$DB" -c "SELECT count(*) FROM modelmgr.alerts WHERE kind = 'drift'")
[ "$n" = 1 ] && echo "ok - the alert row is recorded" || { echo "not ok - $n drift alert rows"; fail=1; }

# a rolled-back monitor() notifies nobody
timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >"$OUT" 2>&1 <<'SQL'
SET client_min_messages = warning;
SELECT modelmgr.resolve_alerts('n_clf');
LISTEN modelmgr_alerts;
BEGIN;
SELECT modelmgr.monitor('n_clf', 'shifted')->>'status';
ROLLBACK;
SELECT 1;
SQL
if grep -q 'Asynchronous notification' "$OUT"; then echo "not ok - notification after ROLLBACK"; fail=1
else echo "ok - no notification after ROLLBACK"; fi
[ $fail = 0 ] || { cat "$OUT"; exit 1; }
