#!/usr/bin/env bash
# plproxy_shards.sh: scale-out across three PostgreSQL clusters with PL/Proxy.
# Run by test/scripts/run_tests.sh with PGHOST/PGPORT/PGUSER set for a running cluster that
# has modelmgr installed (the coordinator). Starts three throwaway shard clusters
# (test/scripts/cluster.sh), loads breast_cancer split by id % 3 into them, sets up a PL/Proxy
# cluster (SQL/MED) on a coordinator database that also holds the whole table, and checks:
#   - least squares merged from the shards' linreg_fit_partial states equals linreg_fit on the
#     union (predictions to 1e-10 relative); metrics, describe and corr_matrix merged from the
#     shards equal the single-node values to 1e-12;
#   - train_sharded (epochs across the shards) reaches a held-out accuracy within 0.01 of the
#     single-node model (train() and train_sharded over the union);
#   - merging states of different shapes or hyperparameters across nodes is an ERROR.
# Bounded in time, tears everything down, exits non-zero on failure.
set -uo pipefail
# bounded in time: the script re-runs itself under timeout(1); on TERM it exits through cleanup
if [ -z "${MM_PLPROXY_BOUNDED:-}" ]; then
    MM_PLPROXY_BOUNDED=1 exec timeout -k 20 85 bash "$0" "$@"
fi
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

: "${PGHOST:?}" "${PGPORT:?}"
COORD_HOST=$PGHOST COORD_PORT=$PGPORT COORD_USER=${PGUSER:-postgres}
DB="modelmgr_proxy_$$"
OUT=$(mktemp -d)
chmod a+rx "$OUT"

. test/scripts/cluster.sh
cleanup() {
    cluster_stop_all
    PGHOST=$COORD_HOST PGPORT=$COORD_PORT PGUSER=$COORD_USER dropdb --if-exists "$DB" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'echo "plproxy_shards.sh: timed out" >&2; exit 124' TERM
# every statement is bounded too (the whole script runs under timeout, see the top)
export PGOPTIONS="-c statement_timeout=60s"

fail=0
check() {   # check NAME SQL-returning-boolean (run on the coordinator)
    local name=$1 sql=$2 got
    got=$(coord -At -c "$sql" 2>&1)
    if [ "$got" = t ]; then echo "ok - $name"; else echo "not ok - $name: $got"; fail=1; fi
}
coord() { PGHOST=$COORD_HOST PGPORT=$COORD_PORT PGUSER=$COORD_USER psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# the breast_cancer table exactly as test/scripts/load_data.sql defines and loads it
sed -n '/^DROP TABLE IF EXISTS breast_cancer;/,/^ANALYZE breast_cancer;/p' test/scripts/load_data.sql >"$OUT/bc.sql"
grep -q '^\\copy breast_cancer' "$OUT/bc.sql" || { echo "cannot find breast_cancer in load_data.sql"; exit 1; }

# three shards: shard k (0, 1, 2) holds the rows with id % 3 = k
declare -a SHARD_PORT SHARD_HOST
for k in 0 1 2; do
    cluster_start "shard$((k + 1))" >/dev/null 2>&1 || { echo "cannot start shard $k"; exit 1; }
    SHARD_PORT[$k]=$PGPORT SHARD_HOST[$k]=$PGHOST
    psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL || { echo "cannot set up shard $k"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
\i $OUT/bc.sql
DELETE FROM breast_cancer WHERE id % 3 <> $k;
VACUUM ANALYZE breast_cancer;
CREATE TABLE shard_info (n int);
INSERT INTO shard_info VALUES ($k);
-- what every shard computes next to its data: partial states, as bytea
CREATE FUNCTION mm_linreg_state() RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT modelmgr.linreg_fit_partial(x[1:10], mean_area) FROM breast_cancer \$\$;
CREATE FUNCTION mm_describe_state() RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT modelmgr.describe_partial(x) FROM breast_cancer WHERE id < 455 \$\$;
CREATE FUNCTION mm_epoch_state(model bytea) RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT modelmgr.sgd_epoch_partial(model, x, target) FROM breast_cancer WHERE id < 455 \$\$;
-- metric states of a model sent by the coordinator, over the held-out rows
CREATE FUNCTION mm_metric_states(model bytea, OUT acc bytea, OUT auc bytea, OUT mse bytea, OUT cm bytea,
                                 OUT corr bytea, OUT descr bytea) RETURNS SETOF record LANGUAGE sql AS
    \$\$ SELECT modelmgr.accuracy_partial(modelmgr.predict(model, x), target),
               modelmgr.roc_auc_partial((modelmgr.predict_proba(model, x))[2], target),
               modelmgr.mse_partial((modelmgr.predict_proba(model, x))[2], target),
               modelmgr.confusion_matrix_partial(modelmgr.predict(model, x), target),
               modelmgr.corr_matrix_partial(x), modelmgr.describe_partial(x)
        FROM breast_cancer WHERE id >= 455 \$\$;
-- states that do not fit together: shard 2 uses another l2 / another feature count
CREATE FUNCTION mm_bad_state(kind text) RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT CASE kind
            WHEN 'linreg_l2' THEN modelmgr.linreg_fit_partial(x[1:10], mean_area,
                                  jsonb_build_object('l2', CASE WHEN s.n = 2 THEN 0.1 ELSE 0 END))
            WHEN 'linreg_features' THEN modelmgr.linreg_fit_partial(x[1:10 - (s.n = 2)::int], mean_area)
            WHEN 'describe_features' THEN modelmgr.describe_partial(x[1:30 - (s.n = 2)::int])
            WHEN 'sgd_l2' THEN modelmgr.sgd_epoch_partial(
                                  modelmgr.sgd_init('logistic_regression', 30,
                                                    jsonb_build_object('l2', CASE WHEN s.n = 2 THEN 0.01 ELSE 0.001 END)),
                                  x, target)
            WHEN 'sgd_features' THEN modelmgr.sgd_epoch_partial(
                                  modelmgr.sgd_init('logistic_regression', 30 - (s.n = 2)::int), x[1:30 - (s.n = 2)::int], target)
            WHEN 'accuracy_kind' THEN CASE WHEN s.n = 2 THEN modelmgr.mse_partial(target, target)
                                           ELSE modelmgr.accuracy_partial(target, target) END
            END
        FROM breast_cancer, shard_info s GROUP BY s.n \$\$;
SQL
done
export PGHOST=$COORD_HOST PGPORT=$COORD_PORT PGUSER=$COORD_USER
echo "shards on ports ${SHARD_PORT[*]}"

# the coordinator: the whole table (for the single-node references), PL/Proxy and the cluster
createdb "$DB" || exit 1
coord >/dev/null <<SQL || { echo "cannot set up the coordinator"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION modelmgr;
CREATE EXTENSION plproxy;
\i $OUT/bc.sql
-- PL/Proxy cluster by SQL/MED. PL/Proxy wants a power-of-2 partition count unless
-- modular_mapping is on; RUN ON ALL runs every function once per partition, so the three
-- shards are exactly the partitions p0..p2.
CREATE SERVER mm_shards FOREIGN DATA WRAPPER plproxy OPTIONS (
    modular_mapping '1',
    p0 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[0]}',
    p1 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[1]}',
    p2 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[2]}');
CREATE USER MAPPING FOR PUBLIC SERVER mm_shards OPTIONS (user '$COORD_USER');
-- the power-of-2 alternative: four partitions, p3 repeating p0's connection string (equal
-- connection strings share one connection, and RUN ON ALL runs once per connection)
CREATE SERVER mm_shards4 FOREIGN DATA WRAPPER plproxy OPTIONS (
    p0 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[0]}',
    p1 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[1]}',
    p2 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[2]}',
    p3 'dbname=postgres host=127.0.0.1 port=${SHARD_PORT[0]}');
CREATE USER MAPPING FOR PUBLIC SERVER mm_shards4 OPTIONS (user '$COORD_USER');
CREATE FUNCTION mm_linreg_state4() RETURNS SETOF bytea AS \$\$ CLUSTER 'mm_shards4'; RUN ON ALL; TARGET mm_linreg_state; \$\$ LANGUAGE plproxy;
-- one PL/Proxy function per shard function: same name and signature, RUN ON ALL
CREATE FUNCTION mm_linreg_state() RETURNS SETOF bytea AS \$\$ CLUSTER 'mm_shards'; RUN ON ALL; \$\$ LANGUAGE plproxy;
CREATE FUNCTION mm_describe_state() RETURNS SETOF bytea AS \$\$ CLUSTER 'mm_shards'; RUN ON ALL; \$\$ LANGUAGE plproxy;
CREATE FUNCTION mm_epoch_state(model bytea) RETURNS SETOF bytea AS \$\$ CLUSTER 'mm_shards'; RUN ON ALL; \$\$ LANGUAGE plproxy;
CREATE FUNCTION mm_metric_states(model bytea, OUT acc bytea, OUT auc bytea, OUT mse bytea, OUT cm bytea,
                                 OUT corr bytea, OUT descr bytea) RETURNS SETOF record
    AS \$\$ CLUSTER 'mm_shards'; RUN ON ALL; \$\$ LANGUAGE plproxy;
CREATE FUNCTION mm_bad_state(kind text) RETURNS SETOF bytea AS \$\$ CLUSTER 'mm_shards'; RUN ON ALL; \$\$ LANGUAGE plproxy;
-- the single-node counterparts over the whole table
CREATE FUNCTION local_epoch_state(model bytea) RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT modelmgr.sgd_epoch_partial(model, x, target) FROM breast_cancer WHERE id < 455 \$\$;
CREATE FUNCTION local_describe_state() RETURNS SETOF bytea LANGUAGE sql AS
    \$\$ SELECT modelmgr.describe_partial(x) FROM breast_cancer WHERE id < 455 \$\$;
SQL

check "every shard answers with its own part of the training rows (3 states, 455 rows in all)" \
    "SELECT count(*) = 3 AND sum(r) = 455 AND min(r) > 100
     FROM (SELECT (SELECT (modelmgr.describe_merge(t.s)->>'rows')::int FROM (VALUES (s0)) t(s)) AS r
           FROM mm_describe_state() s0) q"

# least squares: shards' states merged on the coordinator = the fit on the union
coord -c "CREATE TABLE fits AS SELECT (SELECT modelmgr.linreg_fit_merge(s) FROM mm_linreg_state() s) AS sharded,
                                      (SELECT modelmgr.linreg_fit(x[1:10], mean_area) FROM breast_cancer) AS single" || fail=1
check "least squares across 3 shards = least squares on the union (predictions to 1e-10 relative)" \
    "SELECT max(abs(modelmgr.predict(sharded, x[1:10]) - modelmgr.predict(single, x[1:10]))
                / greatest(abs(modelmgr.predict(single, x[1:10])), 1e-300)) < 1e-10
     FROM fits, breast_cancer"
check "the merged least-squares model saw every row" \
    "SELECT (modelmgr.model_info(sharded)->'training'->>'n_rows')::int = 569 FROM fits"
check "four partitions with p3 = p0: each shard still answers once (the same model bytes)" \
    "SELECT count(*) = 3 AND (SELECT modelmgr.linreg_fit_merge(s) FROM mm_linreg_state4() s) = (SELECT sharded FROM fits)
     FROM mm_linreg_state4()"

# SGD across the shards: train_sharded with PL/Proxy functions; single-node references
OPTS='{"l2": 0.001, "learning_rate": "adaptive", "eta0": 0.1}'
export PGOPTIONS="$PGOPTIONS -c modelmgr.progress_every=0"
coord -c "SELECT modelmgr.train_sharded('bc_sharded', 'mm_epoch_state(bytea)', 'mm_describe_state()',
                                        'logistic_regression', '$OPTS', 'target', NULL, 'breast_cancer (3 shards)')" >/dev/null || fail=1
coord -c "SELECT modelmgr.train_sharded('bc_union', 'local_epoch_state(bytea)', 'local_describe_state()',
                                        'logistic_regression', '$OPTS', 'target')" >/dev/null || fail=1
coord -c "SELECT modelmgr.train('bc_train', 'SELECT x, target FROM breast_cancer WHERE id < 455', 'target', ARRAY['x'],
                                'logistic_regression', '$OPTS'::jsonb || '{\"shuffle\": \"none\"}')" >/dev/null || fail=1
coord -At -c "SELECT m.name, m.training->>'epochs', m.training->>'shards',
                     round(avg((modelmgr.predict(m.model, b.x) = b.target)::int), 4)
              FROM modelmgr.models m, breast_cancer b WHERE b.id >= 455 GROUP BY 1, 2, 3 ORDER BY 1"
check "the sharded model was trained on 3 shards and 455 rows" \
    "SELECT training->>'shards' = '3' AND training->'rows'->>'train' = '455' AND (training->>'converged')::boolean
     FROM modelmgr.models WHERE name = 'bc_sharded'"
for ref in bc_union bc_train; do
    check "held-out accuracy across shards within 0.01 of the single-node model ($ref)" \
        "SELECT abs(avg((modelmgr.predict(s.model, b.x) = b.target)::int) - avg((modelmgr.predict(r.model, b.x) = b.target)::int)) <= 0.01
                AND avg((modelmgr.predict(s.model, b.x) = b.target)::int) > 0.9
         FROM modelmgr.models s, modelmgr.models r, breast_cancer b
         WHERE s.name = 'bc_sharded' AND r.name = '$ref' AND b.id >= 455"
done

# metrics, describe and corr_matrix merged from the shards = single-node values (1e-12)
coord -c "CREATE TABLE m AS SELECT model FROM modelmgr.models WHERE name = 'bc_sharded';
          CREATE TABLE merged AS
          SELECT modelmgr.accuracy_merge(acc) AS acc, modelmgr.roc_auc_merge(auc) AS auc, modelmgr.mse_merge(mse) AS mse,
                 modelmgr.confusion_matrix_merge(cm) AS cm, modelmgr.corr_matrix_merge(corr) AS corr,
                 modelmgr.describe_merge(descr) AS descr
          FROM m, mm_metric_states(m.model);
          CREATE TABLE single AS
          SELECT modelmgr.accuracy(modelmgr.predict(model, x), target) AS acc,
                 modelmgr.roc_auc((modelmgr.predict_proba(model, x))[2], target) AS auc,
                 modelmgr.mse((modelmgr.predict_proba(model, x))[2], target) AS mse,
                 modelmgr.confusion_matrix(modelmgr.predict(model, x), target) AS cm,
                 modelmgr.corr_matrix(x) AS corr, modelmgr.describe(x) AS descr
          FROM m, breast_cancer WHERE id >= 455;" >/dev/null || fail=1
close() { echo "abs(($1) - ($2)) <= 1e-12 * greatest(1, abs($2))"; }
check "accuracy, roc_auc and mse across shards = single node (1e-12)" \
    "SELECT $(close m.acc s.acc) AND $(close m.auc s.auc) AND $(close m.mse s.mse) FROM merged m, single s"
check "confusion_matrix across shards = single node" "SELECT m.cm = s.cm FROM merged m, single s"
check "corr_matrix across shards = single node (1e-12)" \
    "SELECT bool_and($(close a b)) AND array_dims(m.corr) = array_dims(s.corr)
     FROM merged m, single s, unnest(m.corr, s.corr) u(a, b) GROUP BY m.corr, s.corr"
check "describe across shards = single node (1e-12; quartiles exact under 256 values a feature)" \
    "SELECT (m.descr->>'rows') = (s.descr->>'rows') AND bool_and(fm->>'count' = fs->>'count' AND fm->>'nulls' = fs->>'nulls'
                AND $(close "(fm->>'mean')::float8" "(fs->>'mean')::float8")
                AND $(close "(fm->>'std')::float8" "(fs->>'std')::float8")
                AND fm->>'min' = fs->>'min' AND fm->>'max' = fs->>'max'
                AND $(close "(fm->>'p25')::float8" "(fs->>'p25')::float8")
                AND $(close "(fm->>'p50')::float8" "(fs->>'p50')::float8")
                AND $(close "(fm->>'p75')::float8" "(fs->>'p75')::float8"))
     FROM merged m, single s,
          jsonb_array_elements(m.descr->'features') WITH ORDINALITY a(fm, i)
          JOIN jsonb_array_elements(s.descr->'features') WITH ORDINALITY b(fs, j) ON i = j
     GROUP BY m.descr, s.descr"

# states that do not fit together are an ERROR (SQLSTATE 22000), never a silent merge
expect_error() {   # expect_error NAME SQL
    local name=$1 sql=$2 got
    got=$(coord -At -c "\\set VERBOSITY verbose" -c "$sql" 2>&1)
    if echo "$got" | grep -q "ERROR:  22000"; then echo "ok - $name ($(echo "$got" | grep -m1 -o 'ERROR:  22000: .*' | cut -c16-))"
    else echo "not ok - $name: $(echo "$got" | head -3)"; fail=1; fi
}
expect_error "least squares: one shard with another l2" "SELECT modelmgr.linreg_fit_merge(s) FROM mm_bad_state('linreg_l2') s"
expect_error "least squares: one shard with another feature count" "SELECT modelmgr.linreg_fit_merge(s) FROM mm_bad_state('linreg_features') s"
expect_error "describe: one shard with another feature count" "SELECT modelmgr.describe_merge(s) FROM mm_bad_state('describe_features') s"
expect_error "sgd: one shard started from a model with another l2" "SELECT modelmgr.sgd_epoch_merge(s) FROM mm_bad_state('sgd_l2') s"
expect_error "sgd: one shard with another feature count" "SELECT modelmgr.sgd_epoch_merge(s) FROM mm_bad_state('sgd_features') s"
expect_error "metrics: an mse state among accuracy states" "SELECT modelmgr.accuracy_merge(s) FROM mm_bad_state('accuracy_kind') s"

if [ $fail = 0 ]; then echo "PL/Proxy across 3 shards: all checks passed"; else echo "PL/Proxy across 3 shards: FAILED"; fi
exit $fail
