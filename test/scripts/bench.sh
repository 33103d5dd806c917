#!/usr/bin/env bash
# bench.sh: the modelmgr benchmark (`make bench`).
#   Starts a private cluster (shared_buffers 2GB), creates the extension, generates a deterministic
#   synthetic data set (test/scripts/bench.sql), VACUUM ANALYZE, warms the cache, and times every
#   operation serially (max_parallel_workers_per_gather = 0), serially in one warm session and
#   with 2 parallel workers, best of REPS runs taken in interleaved rounds (see run_group). Then
#   measures the peak backend memory of streaming training at two table sizes, and trains the
#   same logistic model outside the database
#   (psql \copy + numpy + scikit-learn, test/scripts/bench.py). Prints a table and writes
#   bench-results/latest.json. See docs/benchmark.md.
# Environment:
#   ROWS (1000000), FEATURES (32)      size of the data set
#   REPS (5)                           runs per operation (best is reported)
#   SLOW (20)                          a run longer than this many seconds is not repeated
#   MEM_ROWS ("100000 2000000")        table sizes for the streaming-training memory measurement
#   MEM_EPOCHS (3)                     epochs of streaming training in the memory measurement
#   MARGINAL_EPOCHS ("2 22")           epoch counts timed for the marginal cost of an epoch
#   SKLEARN (1)                        0 skips the scikit-learn comparison
#   OUT_JSON (bench-results/latest.json)
#   BENCH_CLUSTER (own)                own: private cluster, build + install first;
#                                      env: use the running cluster in PGHOST/PGPORT/PGUSER, in a
#                                      new database that is dropped at the end (the smoke test)
# Exits non-zero when an operation that exists fails; a missing SQL object is reported as
# "missing" and is not a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

ROWS=${ROWS:-1000000}
FEATURES=${FEATURES:-32}
REPS=${REPS:-5}
SLOW=${SLOW:-20}
MEM_ROWS=${MEM_ROWS:-"100000 2000000"}
MEM_EPOCHS=${MEM_EPOCHS:-3}
MARGINAL_EPOCHS=${MARGINAL_EPOCHS:-"2 22"}
SKLEARN=${SKLEARN:-1}
OUT_JSON=${OUT_JSON:-bench-results/latest.json}
BENCH_CLUSTER=${BENCH_CLUSTER:-own}
PY=/usr/bin/python3

WORK=$(mktemp -d /tmp/modelmgr-bench-work.XXXXXX)
chmod 755 "$WORK"
RES=$WORK/results.tsv      # op, mode, status, best seconds, all seconds, rows, floor op, note
MEM=$WORK/memory.tsv       # rows, VmHWM, RssShmem, peak RssAnon (kB), what
: >"$RES"; : >"$MEM"

. test/scripts/cluster.sh
DB=
cleanup() {
    if [ "$BENCH_CLUSTER" = env ] && [ -n "$DB" ]; then dropdb --if-exists "$DB" 2>/dev/null; fi
    [ "$BENCH_CLUSTER" = own ] && cluster_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "bench: $*" >&2; }

if [ "$BENCH_CLUSTER" = own ]; then
    make -s -j2 >"$WORK/build.log" 2>&1 && make -s install >>"$WORK/build.log" 2>&1 \
        || { cat "$WORK/build.log" >&2; log "build failed"; exit 1; }
    cluster_start bench "shared_buffers = 2GB" "max_parallel_workers_per_gather = 2" \
        "max_wal_size = 8GB" "checkpoint_timeout = 1h" "synchronous_commit = off" || exit 1
    DB=postgres
else
    DB="modelmgr_bench_$$"
    createdb "$DB" || { log "cannot create database $DB"; exit 1; }
fi
export PGDATABASE=$DB

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -c "CREATE EXTENSION IF NOT EXISTS modelmgr" || exit 1

T=bench_t       # id, x float8[], y, label, score, pred
W=bench_w       # id, f1..fF, label: the same rows with named feature columns (predict by row)
log "generating $ROWS rows x $FEATURES features"
q -o /dev/null -v tab=$T -v rows="$ROWS" -v features="$FEATURES" -f test/scripts/bench.sql || exit 1
FCOLS=$(seq -s, 1 "$FEATURES" | sed 's/\([0-9]\+\)/x[\1] AS f\1/g')
FNAMES=$(seq -s, 1 "$FEATURES" | sed "s/\([0-9]\+\)/'f\1'/g")
q -c "SET client_min_messages = warning; DROP TABLE IF EXISTS $W; CREATE TABLE $W AS SELECT id, $FCOLS, label FROM $T ORDER BY id" || exit 1
q -c "VACUUM ANALYZE $T" -c "VACUUM ANALYZE $W" || exit 1
for i in 1 2; do q -o /dev/null -c "SELECT count(*), sum(x[1]) FROM $T" -c "SELECT count(*), sum(f1) FROM $W" || exit 1; done
NTRAIN=$(q -c "SELECT count(*) FROM $T WHERE id % 5 <> 0")
NTEST=$(q -c "SELECT count(*) FROM $T WHERE id % 5 = 0")

# the models used by the prediction benchmarks: least squares on x, registered with feature names
MODEL=$(q -c "SELECT modelmgr.linreg_fit(x, y) FROM $T") || exit 1
q -o /dev/null -c "SELECT modelmgr.register_model('bench_lin', '$MODEL'::bytea, features => ARRAY[$FNAMES])" \
    -c "SELECT modelmgr.deploy('bench_lin')" || exit 1

SERIAL_SET="SET max_parallel_workers_per_gather = 0;"
PARALLEL_SET="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"

# exists NAME: the modelmgr function or aggregate exists
exists() {
    [ "$(q -c "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'modelmgr' AND p.proname = '$1'")" != 0 ]
}

FAILED=0
# Operations are queued per group (serial, warm, parallel), then timed in REPS rounds: each round
# runs every operation of its group once, in queue order, so a slow spell of the shared machine
# falls on the floor and the operations alike instead of on whichever ran then. The best run of
# each operation is reported. serial and parallel: each run on a new connection (a run longer than
# SLOW seconds is not repeated); warm: the whole group on one connection, one untimed round, then
# REPS timed rounds (a new backend first maps the shared buffers it reads, ~45 ms at 1M rows,
# which a long-lived connection does not pay again).
Q_OP=(); Q_ROWS=(); Q_FLOOR=(); Q_SQL=(); Q_NOTE=(); Q_ALL=(); Q_DONE=()
# queue OP MODE ROWS FLOOR_OP REQUIRES SQL
queue() {
    local op=$1 mode=$2 rows=$3 floor=$4 req=$5 sql=$6 note=""
    if [ -n "$req" ] && ! exists "$req"; then
        printf '%s\t%s\tmissing\t\t\t%s\t%s\t%s\n' "$op" "$mode" "$rows" "$floor" "modelmgr.$req does not exist" >>"$RES"
        log "$op ($mode): missing"
        return 0
    fi
    if [ "$mode" = parallel ]; then
        if printf '%s\n' "$PARALLEL_SET" "EXPLAIN (COSTS OFF) $sql" | q 2>/dev/null | grep -q Gather; then
            note="parallel plan"
        else
            note="no parallel plan"
        fi
    elif [ "$mode" = warm ]; then
        note="one session"
    fi
    Q_OP+=("$op"); Q_ROWS+=("$rows"); Q_FLOOR+=("$floor"); Q_SQL+=("$sql"); Q_NOTE+=("$note")
    Q_ALL+=(""); Q_DONE+=(0)
}

# record I MODE: the queued operation I's line in $RES (best of its runs, or its error)
record() {
    local i=$1 mode=$2 op=${Q_OP[$1]} all=${Q_ALL[$1]} times best
    if [ "${Q_DONE[$i]}" = error ] || [ -z "$all" ]; then
        printf '%s\t%s\terror\t\t\t%s\t%s\t%s\n' "$op" "$mode" "${Q_ROWS[$i]}" "${Q_FLOOR[$i]}" "${Q_NOTE[$i]}" >>"$RES"
        log "$op ($mode): ERROR ${Q_NOTE[$i]}"
        FAILED=1
        return 0
    fi
    times=$(echo "$all" | awk '{ printf "%s%.6f", (NR > 1 ? " " : ""), $1 / 1000 }')
    best=$(echo "$all" | awk 'NR == 1 || $1 < m { m = $1 } END { printf "%.6f", m / 1000 }')
    printf '%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\n' "$op" "$mode" "$best" "$times" "${Q_ROWS[$i]}" "${Q_FLOOR[$i]}" "${Q_NOTE[$i]}" >>"$RES"
    log "$op ($mode): $best s  [$times]"
}

# run_group MODE: times the queued operations, records them, empties the queue
run_group() {
    local mode=$1 set=$SERIAL_SET r i t n=${#Q_OP[@]} out
    [ "$mode" = parallel ] && set=$PARALLEL_SET
    if [ "$mode" = warm ]; then
        # one session; each statement is preceded by a marker line "@@ round index"
        out=$({ printf '%s\n' "SET client_min_messages = warning;" "$set" '\timing on'
                for ((r = 0; r <= REPS; r++)); do
                    for ((i = 0; i < n; i++)); do printf '%s\n' "\\echo @@ $r $i" "${Q_SQL[$i]};"; done
                done; } | psql -X -q -At -v ON_ERROR_STOP=1 2>"$WORK/err")
        if [ -s "$WORK/err" ]; then
            for ((i = 0; i < n; i++)); do Q_DONE[$i]=error; Q_NOTE[$i]=$(tr '\n\t' '  ' <"$WORK/err" | cut -c1-300); done
        else
            for ((i = 0; i < n; i++)); do
                # the times of rounds 1..REPS (round 0 is the untimed warm-up)
                Q_ALL[$i]=$(echo "$out" | awk -v i="$i" '
                    /^@@ / { r = $2; k = $3; next }
                    /^Time: / && k == i && r > 0 { print $2 }')
            done
        fi
    else
        for ((r = 1; r <= REPS; r++)); do
            for ((i = 0; i < n; i++)); do
                [ "${Q_DONE[$i]}" = 0 ] || continue
                t=$(printf '%s\n' "SET client_min_messages = warning;" "$set" '\timing on' "${Q_SQL[$i]}" \
                    | psql -X -q -At -v ON_ERROR_STOP=1 2>"$WORK/err" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
                if [ -s "$WORK/err" ] || [ -z "$t" ]; then
                    Q_DONE[$i]=error
                    Q_NOTE[$i]=$(tr '\n\t' '  ' <"$WORK/err" | cut -c1-300)
                    continue
                fi
                Q_ALL[$i]="${Q_ALL[$i]}${Q_ALL[$i]:+$'\n'}$t"
                awk -v ms="$t" -v s="$SLOW" 'BEGIN { exit !(ms / 1000 > s) }' && Q_DONE[$i]=1
            done
            log "$mode: round $r of $REPS done"
        done
    fi
    for ((i = 0; i < n; i++)); do record "$i" "$mode"; done
    Q_OP=(); Q_ROWS=(); Q_FLOOR=(); Q_SQL=(); Q_NOTE=(); Q_ALL=(); Q_DONE=()
}

PROBA_M="'$MODEL'::bytea"
SGD_START="modelmgr.sgd_init('logistic_regression', $FEATURES, '{}')"
TRAIN_SRC="SELECT x, label FROM $T WHERE id % 5 <> 0"
# train(): always serial inside (it pins max_parallel_workers_per_gather = 0 for a deterministic row order)
train_sql() { # name options
    echo "SELECT (modelmgr.train('$1', \$q\$$TRAIN_SRC\$q\$, 'label', ARRAY['x'], 'logistic_regression', '$2')).version"
}
set -- $MARGINAL_EPOCHS
E1=$1; E2=$2
for mode in serial warm parallel; do
    queue floor "$mode" "$ROWS" "" "" "SELECT sum(x[1]) FROM $T"
    queue "count(*)" "$mode" "$ROWS" floor "" "SELECT count(*) FROM $T"
    queue "floor (wide table)" "$mode" "$ROWS" floor "" "SELECT sum(f1) FROM $W"
    queue "predict(bytea, x)" "$mode" "$ROWS" floor predict "SELECT sum(modelmgr.predict($PROBA_M, x)) FROM $T"
    queue "predict(name, x)" "$mode" "$ROWS" floor predict "SELECT sum(modelmgr.predict('bench_lin'::text, x)) FROM $T"
    # reading every feature column of the wide table: what any use of the columns costs PostgreSQL
    queue "wide table, sum(f$FEATURES)" "$mode" "$ROWS" floor "" "SELECT sum(f$FEATURES) FROM $W"
    queue "predict(name, row)" "$mode" "$ROWS" floor predict \
        "SELECT sum(modelmgr.predict('bench_lin'::text, w)) FROM $W AS w"
    queue "linreg_fit" "$mode" "$ROWS" floor linreg_fit "SELECT length(modelmgr.linreg_fit(x, y)) FROM $T"
    queue "sgd_epoch (streaming, 1 pass)" "$mode" "$ROWS" floor sgd_epoch \
        "SELECT length(modelmgr.sgd_epoch($SGD_START, x, label)) FROM $T"
    queue "roc_auc" "$mode" "$ROWS" floor roc_auc "SELECT modelmgr.roc_auc(score, label) FROM $T"
    # reading the two columns the metrics read: what any use of them costs PostgreSQL
    queue "metric columns, sum(pred + label)" "$mode" "$ROWS" floor "" "SELECT sum(pred + label) FROM $T"
    queue "accuracy" "$mode" "$ROWS" floor accuracy "SELECT modelmgr.accuracy(pred, label) FROM $T"
    queue "confusion_matrix" "$mode" "$ROWS" floor confusion_matrix \
        "SELECT length(modelmgr.confusion_matrix(pred, label)::text) FROM $T"
    queue "describe" "$mode" "$ROWS" floor describe "SELECT length(modelmgr.describe(x)::text) FROM $T"
    queue "corr_matrix" "$mode" "$ROWS" floor corr_matrix "SELECT cardinality(modelmgr.corr_matrix(x)) FROM $T"
    if [ "$mode" = serial ]; then
        queue "train() logreg, memory, to convergence" serial "$NTRAIN" floor train "$(train_sql bench_lr '{"mode": "memory"}')"
        queue "train() logreg, streaming, to convergence" serial "$NTRAIN" floor train "$(train_sql bench_lr_stream '{"mode": "streaming"}')"
        # the exact optimum of the objective scikit-learn's LogisticRegression solves (l2 = 1/(C n) = 1e-4)
        queue "train() logreg, memory, lbfgs" serial "$NTRAIN" floor train "$(train_sql bench_lr_lbfgs '{"mode": "memory", "solver": "lbfgs", "l2": 1e-4}')"
        for e in "$E1" "$E2"; do
            queue "train() logreg, memory, $e epochs" serial "$NTRAIN" floor train \
                "$(train_sql bench_lr_e$e "{\"mode\": \"memory\", \"epochs\": $e, \"tol\": 0, \"n_iter_no_change\": 100000}")"
        done
    fi
    run_group "$mode"
done
TRAIN_FACTS=$WORK/train.json
if exists train; then
    q -c "SELECT json_object_agg(name, json_build_object('versions', n, 'last', training)) FROM (
            SELECT name, count(*) OVER (PARTITION BY name) AS n, training,
                   row_number() OVER (PARTITION BY name ORDER BY version DESC) AS rn
            FROM modelmgr.models WHERE name LIKE 'bench_lr%') s WHERE rn = 1" >"$TRAIN_FACTS" || FAILED=1
    # held-out log loss of the in-database models (the test rows are id % 5 = 0, never trained on)
    for name in bench_lr bench_lr_stream bench_lr_lbfgs; do
        q -c "SELECT -avg(label * ln(greatest(least(p, 1 - 1e-15), 1e-15))
                      + (1 - label) * ln(greatest(least(1 - p, 1 - 1e-15), 1e-15))) FROM (
                SELECT label, (modelmgr.predict_proba((SELECT model FROM modelmgr.models WHERE name = '$name'
                                                       ORDER BY version DESC LIMIT 1), x))[2] AS p
                FROM $T WHERE id % 5 = 0) s" >"$WORK/logloss_$name" || FAILED=1
    done
else
    echo '{}' >"$TRAIN_FACTS"
fi

# peak backend memory of streaming training, a fresh session per measurement. VmHWM (read by the
# backend itself through pg_read_file('/proc/self/status') after the run) also counts the shared
# buffers and files the backend mapped, which grow with the table, so the backend-private peak is
# measured too: RssAnon of the backend, sampled from outside every 10 ms while the statement runs.
# A plain scan of the same table ("scan") is the baseline.
status_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "$2"; }
measure() { # SQL -> "VmHWM RssShmem peak-RssAnon" in kB
    local bpid="" peak=0 a ppid k v
    rm -f "$WORK/pid"
    printf '%s\n' "SET client_min_messages = warning;" "$SERIAL_SET" "SELECT pg_backend_pid() \\g $WORK/pid" \
        "\\o /dev/null" "$1;" "\\o" "SELECT pg_read_file('/proc/self/status');" | q >"$WORK/status" 2>"$WORK/err" &
    ppid=$!
    while kill -0 "$ppid" 2>/dev/null; do
        [ -z "$bpid" ] && [ -s "$WORK/pid" ] && bpid=$(tr -dc 0-9 <"$WORK/pid")
        if [ -n "$bpid" ]; then
            a=""
            { while read -r k v _; do [ "$k" = RssAnon: ] && { a=$v; break; }; done <"/proc/$bpid/status"; } 2>/dev/null
            [ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
        fi
        sleep 0.01
    done
    wait "$ppid" || return 1
    [ -s "$WORK/err" ] && return 1
    a=$(status_kb RssAnon "$WORK/status"); [ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
    echo "$(status_kb VmHWM "$WORK/status") $(status_kb RssShmem "$WORK/status") $peak"
}
if exists train; then
    for n in $MEM_ROWS; do
        log "memory: streaming training on $n rows ($MEM_EPOCHS epochs)"
        q -o /dev/null -v tab=bench_m -v rows="$n" -v features="$FEATURES" -f test/scripts/bench.sql || { FAILED=1; continue; }
        q -c "VACUUM ANALYZE bench_m" || FAILED=1
        for what in scan train; do
            if [ $what = scan ]; then
                sql="SELECT sum(x[1]) FROM bench_m"
            else
                sql="SELECT (modelmgr.train('bench_mem', 'SELECT x, label FROM bench_m', 'label', ARRAY['x'], 'logistic_regression',
                     '{\"mode\": \"streaming\", \"epochs\": $MEM_EPOCHS, \"tol\": 0, \"n_iter_no_change\": 100000}')).version"
            fi
            if ! m=$(measure "$sql"); then log "memory $n $what: $(cat "$WORK/err")"; FAILED=1; continue; fi
            set -- $m
            printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$1" "$2" "$3" "$what" >>"$MEM"
            log "memory $n rows, $what: VmHWM $1 kB, RssShmem $2 kB, peak RssAnon $3 kB"
        done
        q -c "DROP TABLE bench_m" || FAILED=1
    done
fi

# the same model trained outside the database: \copy to CSV, numpy, scikit-learn
SK=$WORK/sklearn.json
echo '{}' >"$SK"
if [ "$SKLEARN" = 1 ]; then
    log "scikit-learn: export + load + fit"
    cols=$(seq -s, 1 "$FEATURES" | sed 's/\([0-9]\+\)/x[\1]/g')
    "$PY" test/scripts/bench.py sklearn --query "SELECT id, label, $cols FROM $T" --csv "$WORK/export.csv" \
        --l2 1e-4 --out "$SK" || FAILED=1
    rm -f "$WORK/export.csv"
fi

mkdir -p "$(dirname "$OUT_JSON")"
machine_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
"$PY" test/scripts/bench.py report --results "$RES" --memory "$MEM" --sklearn "$SK" --train "$TRAIN_FACTS" \
    --logloss-memory "$(cat "$WORK/logloss_bench_lr" 2>/dev/null)" \
    --logloss-streaming "$(cat "$WORK/logloss_bench_lr_stream" 2>/dev/null)" \
    --logloss-lbfgs "$(cat "$WORK/logloss_bench_lr_lbfgs" 2>/dev/null)" \
    --rows "$ROWS" --features "$FEATURES" --ntrain "$NTRAIN" --ntest "$NTEST" --reps "$REPS" \
    --marginal "$E1" "$E2" --nproc "$(nproc)" --cpu "$machine_cpu" \
    --pg "$(q -c 'SHOW server_version')" --out "$OUT_JSON" || FAILED=1
[ "$FAILED" = 0 ] || { log "some operations failed"; exit 1; }
