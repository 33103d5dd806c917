#!/usr/bin/env bash
# prometheus_exporter.sh: Debian's prometheus-postgres-exporter, run with
# test/scripts/prometheus_queries.yaml against a fresh database, exposes modelmgr's evaluation,
# drift and alert metrics with the right labels, and agrees with modelmgr.prometheus_metrics().
# Run with PGHOST/PGPORT/PGUSER of a running cluster where modelmgr is installed. Creates its own
# database and models (small generated tables), drops it at the end; bounded to about 60 s.
set -uo pipefail
cd "$(dirname "$0")/../.."

EXPORTER=/usr/bin/prometheus-postgres-exporter
[ -x "$EXPORTER" ] || { echo "FAIL: $EXPORTER is missing (apt-get install prometheus-postgres-exporter)" >&2; exit 1; }
DB=mm_prom_$$
LOG=$(mktemp /tmp/mm_prom_log.XXXXXX)
OUT=$(mktemp /tmp/mm_prom_out.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    dropdb --if-exists "$DB" 2>/dev/null
    rm -f "$LOG" "$OUT"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; echo "--- exporter log:" >&2; tail -20 "$LOG" >&2; exit 1; }
q() { timeout 30 psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

createdb "$DB" || die "createdb"
q >/dev/null <<'SQL' || die "setup"
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE TABLE pts AS
SELECT i AS id, (i % 17) / 17.0 + (i % 5) * 0.1 AS a, ((i * 7) % 13) / 13.0 AS b,
       (((i % 17) / 17.0 + (i % 5) * 0.1) > 0.45)::int AS y, 2 * ((i * 7) % 13) / 13.0 + (i % 3) * 0.05 AS z
FROM generate_series(1, 400) i;
CREATE TABLE shifted AS SELECT id, a + 1 AS a, b, y, z FROM pts;
SELECT modelmgr.train('prom_clf', 'pts', 'y', features => ARRAY['a', 'b'], algorithm => 'logistic_regression',
                      options => '{"seed": 1, "epochs": 30}');
SELECT modelmgr.register_model('prom_clf', (SELECT modelmgr.model_with_baseline(m.model, ARRAY[p.a, p.b]) FROM pts p),
                               label => 'y')
FROM modelmgr.models m WHERE m.name = 'prom_clf' AND m.version = 1;
SELECT modelmgr.deploy('prom_clf', 2);
SELECT modelmgr.train('prom "reg"', 'pts', 'z', features => ARRAY['b'], options => '{"seed": 1}');
SELECT modelmgr.deploy('prom "reg"');
SELECT modelmgr.monitor('prom_clf', 'pts');
SELECT modelmgr.monitor('prom_clf', 'shifted');
SELECT modelmgr.evaluate('prom "reg"', 'pts');
SQL

port=
for p in $(seq 19187 19287); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port"

DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=postgres dbname=$DB sslmode=disable" \
    "$EXPORTER" --web.listen-address="127.0.0.1:$port" --extend.query-path=test/scripts/prometheus_queries.yaml \
    --disable-default-metrics --disable-settings-metrics --log.level=warn >"$LOG" 2>&1 &
PID=$!

ok=0
for _ in $(seq 1 40); do
    if curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$OUT" 2>/dev/null && grep -q '^modelmgr_' "$OUT"; then ok=1; break; fi
    kill -0 "$PID" 2>/dev/null || die "the exporter exited"
    sleep 0.5
done
[ $ok = 1 ] || die "no modelmgr_ metrics scraped from 127.0.0.1:$port"

fail=0
check() {   # check DESCRIPTION REGEX...: one line of the scrape matches every regex
    local desc=$1; shift
    local lines
    lines=$(grep -v '^#' "$OUT")
    for re in "$@"; do lines=$(printf '%s\n' "$lines" | grep -E -- "$re"); done
    if [ -n "$lines" ]; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi
}
check "accuracy of the deployed version" '^modelmgr_evaluation_metric\{' 'model="prom_clf"' 'version="2"' 'metric="accuracy"' '\} 0\.[0-9]+'
check "roc_auc of the deployed version" '^modelmgr_evaluation_metric\{' 'model="prom_clf"' 'metric="roc_auc"'
check "r2 of a model whose name needs escaping" '^modelmgr_evaluation_metric\{' 'model="prom \\"reg\\""' 'metric="r2"'
check "drift of the shifted feature" '^modelmgr_drift_psi\{' 'model="prom_clf"' 'version="2"' 'feature="a"' '\} [1-9]'
check "drift of the unshifted feature" '^modelmgr_drift_psi\{' 'model="prom_clf"' 'feature="b"' '\} 0$'
check "open alerts" '^modelmgr_alerts_open\{' 'model="prom_clf"' '\} [1-9]'
check "deployed version" '^modelmgr_model_deployed_version\{' 'model="prom_clf"' '\} 2$'
check "rows of the latest evaluation" '^modelmgr_evaluation_rows\{' 'model="prom_clf"' '\} 400$'
grep -q '^# TYPE modelmgr_drift_psi gauge' "$OUT" && echo "ok - TYPE gauge" || { echo "not ok - TYPE gauge"; fail=1; }

# the same accuracy as prometheus_metrics()
want=$(q -c "SELECT modelmgr.prometheus_metrics()" | grep -E '^modelmgr_evaluation_metric\{model="prom_clf",version="2",metric="accuracy"\}' | awk '{print $2}')
have=$(grep -E '^modelmgr_evaluation_metric\{' "$OUT" | grep 'model="prom_clf"' | grep 'metric="accuracy"' | awk '{print $2}')
if [ -n "$want" ] && awk -v a="$want" -v b="$have" 'BEGIN { exit !(a - b < 1e-12 && b - a < 1e-12) }'; then
    echo "ok - exporter and prometheus_metrics() agree ($have)"
else
    echo "not ok - exporter ($have) and prometheus_metrics() ($want) disagree"; fail=1
fi
[ $fail = 0 ] || { echo "--- scrape:"; grep '^modelmgr_' "$OUT"; exit 1; }
