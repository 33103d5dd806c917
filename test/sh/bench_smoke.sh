#!/usr/bin/env bash
# bench_smoke.sh: the benchmark (test/scripts/bench.sh) end to end on a tiny data set.
# Run by test/scripts/run_tests.sh with PGHOST/PGPORT/PGUSER set for a running cluster that has
# modelmgr installed. bench.sh runs in BENCH_CLUSTER=env mode (a new database on that cluster,
# dropped at the end) with 3000 rows x 8 features, two runs per operation, the memory measurement
# at 1000 and 3000 rows and the scikit-learn comparison. Fails when bench.sh fails (an existing
# operation errors), or when the JSON lacks an operation or a timing. Finishes in well under 60 s.
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

BENCH_CLUSTER=env ROWS=3000 FEATURES=8 REPS=2 MEM_ROWS="1000 3000" MEM_EPOCHS=2 MARGINAL_EPOCHS="2 3" \
    OUT_JSON="$OUT/smoke.json" timeout 55 bash test/scripts/bench.sh >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
if [ $rc != 0 ]; then
    echo "bench.sh exited with $rc"
    tail -40 "$OUT/stderr"
    tail -60 "$OUT/stdout"
    exit 1
fi

/usr/bin/python3 - "$OUT/smoke.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
ops = {(o["op"], o["mode"]): o for o in doc["operations"]}
bad = []
need = ["floor", "predict(bytea, x)", "predict(name, x)", "predict(name, row)", "linreg_fit",
        "sgd_epoch (streaming, 1 pass)", "roc_auc", "accuracy", "confusion_matrix", "describe", "corr_matrix"]
for op in need:
    for mode in ("serial", "warm", "parallel"):
        o = ops.get((op, mode))
        if o is None:
            bad.append("%s (%s) not in the results" % (op, mode))
        elif o["status"] == "ok" and not (o["seconds"] and o["seconds"] > 0):
            bad.append("%s (%s) has no timing" % (op, mode))
        elif o["status"] not in ("ok", "missing"):
            bad.append("%s (%s): %s %s" % (op, mode, o["status"], o["note"]))
for op in ("train() logreg, memory, to convergence", "train() logreg, streaming, to convergence"):
    o = ops.get((op, "serial"))
    if o is None or o["status"] != "ok":
        bad.append("%s did not run" % op)
# every run is recorded, on new connections and on the warm one
if len(ops[("floor", "warm")]["times"]) != doc["params"].get("reps", 1):
    bad.append("the warm runs' timings are not all recorded: %r" % ops[("floor", "warm")]["times"])
if ops[("floor", "parallel")]["note"] != "parallel plan":
    bad.append("the parallel runs do not get a parallel plan")
if len([m for m in doc["memory"] if m["what"] == "train"]) != 2:
    bad.append("the memory measurement is incomplete")
sk = doc["sklearn"]
if not sk or not sk.get("total_seconds") or sk.get("n_train") != doc["params"]["n_train"]:
    bad.append("the scikit-learn comparison did not run on the same training rows")
ll = doc["in_database"]["test_log_loss"]
if ll is None or not (0 < ll < 0.69):
    bad.append("held-out log loss of train() is %r (not better than chance)" % ll)
if not doc["targets"]:
    bad.append("no targets evaluated")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("benchmark smoke run: %d operations timed, %d targets evaluated" % (len(ops), len(doc["targets"])))
EOF
