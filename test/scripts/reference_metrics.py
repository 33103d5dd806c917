#!/usr/bin/python3
"""Full-precision scikit-learn references for the metric tests (test/t/040_metrics_reference.sql).

Run from the repository root with Debian's python3 (scikit-learn 1.2.1, numpy 1.24):
    /usr/bin/python3 test/scripts/reference_metrics.py
The predictions are fixed formulas of the reference data; each one is written below twice, as
the SQL expression the test uses (SQL_*) and as the same IEEE operations in numpy, in the same
order, so both sides see bit-identical inputs.

log_loss is computed with eps=1e-15 (modelmgr clips to [1e-15, 1 - 1e-15]; scikit-learn 1.2's
default eps="auto" would clip at the float64 machine epsilon instead).
"""
import json

import numpy as np
from sklearn import metrics as M

SQL_BC_SCORE = "(30.0 - worst_radius) - 0.1 * worst_texture"
SQL_BC_PRED = "((30.0 - worst_radius) - 0.1 * worst_texture > 10.5)::int::float8"
SQL_BC_TIED = "-floor(worst_radius)"
SQL_BC_PROB = "least(greatest((25.0 - worst_radius) / 12.0, 0.0), 1.0)"
SQL_IRIS_PRED = ("(CASE WHEN id % 17 = 0 THEN (target + 1) % 3 WHEN petal_length < 2.5 THEN 0 "
                 "WHEN petal_width < 1.65 THEN 1 ELSE 2 END)::float8")
SQL_DIAB_PRED = "152.0 + 900.0 * bmi + 500.0 * s5 + 300.0 * bp"


def load(name):
    with open(f"test/data/{name}.csv") as f:
        cols = f.readline().strip().split(",")
    data = np.loadtxt(f"test/data/{name}.csv", delimiter=",", skiprows=1)
    return {c: data[:, i] for i, c in enumerate(cols)}


def r(v):
    return repr(float(v))


bc = load("breast_cancer")
y = bc["target"]
score = (30.0 - bc["worst_radius"]) - 0.1 * bc["worst_texture"]
pred = (score > 10.5).astype(float)
tied = -np.floor(bc["worst_radius"])
prob = np.minimum(np.maximum((25.0 - bc["worst_radius"]) / 12.0, 0.0), 1.0)
names = np.array(["malignant", "benign"])
ytxt, ptxt = names[y.astype(int)], names[pred.astype(int)]

out = {}
out["bc_accuracy"] = M.accuracy_score(y, pred)
out["bc_precision"] = M.precision_score(y, pred)
out["bc_recall"] = M.recall_score(y, pred)
out["bc_f1"] = M.f1_score(y, pred)
out["bc_precision_pos0"] = M.precision_score(y, pred, pos_label=0)
out["bc_recall_pos0"] = M.recall_score(y, pred, pos_label=0)
out["bc_f1_pos0"] = M.f1_score(y, pred, pos_label=0)
# text labels: the default positive is the second label in sorted order, 'malignant'
out["bc_text_precision"] = M.precision_score(ytxt, ptxt, pos_label="malignant")
out["bc_text_recall"] = M.recall_score(ytxt, ptxt, pos_label="malignant")
out["bc_text_f1"] = M.f1_score(ytxt, ptxt, pos_label="malignant")
out["bc_text_f1_benign"] = M.f1_score(ytxt, ptxt, pos_label="benign")
out["bc_roc_auc"] = M.roc_auc_score(y, score)
out["bc_roc_auc_tied"] = M.roc_auc_score(y, tied)
out["bc_roc_auc_prob"] = M.roc_auc_score(y, prob)
out["bc_log_loss"] = M.log_loss(y, prob, eps=1e-15)
out["bc_n_tied_levels"] = len(np.unique(tied))

iris = load("iris")
yi = iris["target"]
tgt = yi.astype(int)
pi = np.where(iris["id"].astype(int) % 17 == 0, (tgt + 1) % 3,
              np.where(iris["petal_length"] < 2.5, 0, np.where(iris["petal_width"] < 1.65, 1, 2))).astype(float)
inames = np.array(["setosa", "versicolor", "virginica"])
yit, pit = inames[yi.astype(int)], inames[pi.astype(int)]
out["iris_accuracy"] = M.accuracy_score(yi, pi)
for avg in ("macro", "weighted"):
    out[f"iris_precision_{avg}"] = M.precision_score(yi, pi, average=avg)
    out[f"iris_recall_{avg}"] = M.recall_score(yi, pi, average=avg)
    out[f"iris_f1_{avg}"] = M.f1_score(yi, pi, average=avg)
    assert M.f1_score(yit, pit, average=avg) == out[f"iris_f1_{avg}"]
out["iris_f1_class2"] = M.f1_score(yi, pi, labels=[2], average="macro")

db = load("diabetes")
yd = db["target"]
pd_ = 152.0 + 900.0 * db["bmi"] + 500.0 * db["s5"] + 300.0 * db["bp"]
out["diab_mse"] = M.mean_squared_error(yd, pd_)
out["diab_rmse"] = M.mean_squared_error(yd, pd_, squared=False)
out["diab_mae"] = M.mean_absolute_error(yd, pd_)
out["diab_r2"] = M.r2_score(yd, pd_)

print("-- scalar references")
for k, v in out.items():
    print(f"{k} = {r(v)}")

print("\n-- confusion matrices (rows = actual, columns = predicted)")
print("bc_confusion =", json.dumps(M.confusion_matrix(y, pred).tolist()))
print("iris_confusion =", json.dumps(M.confusion_matrix(yi, pi).tolist()))
print("iris_text_confusion =", json.dumps(M.confusion_matrix(yit, pit).tolist()), "labels", sorted(set(yit) | set(pit)))

print("\n-- curves on the tied score (SQL arrays)")
fpr, tpr, thr = M.roc_curve(y, tied)
print("roc_tied_threshold = ARRAY[" + ", ".join(r(v) for v in thr) + "]")
print("roc_tied_fpr = ARRAY[" + ", ".join(r(v) for v in fpr) + "]")
print("roc_tied_tpr = ARRAY[" + ", ".join(r(v) for v in tpr) + "]")
prec, rec, pthr = M.precision_recall_curve(y, tied)
print("pr_tied_threshold = ARRAY[" + ", ".join(r(v) for v in pthr) + "]")
print("pr_tied_precision = ARRAY[" + ", ".join(r(v) for v in prec) + "]")
print("pr_tied_recall = ARRAY[" + ", ".join(r(v) for v in rec) + "]")
fpr, tpr, thr = M.roc_curve(y, score)
print("roc_score_points =", len(thr), " roc_score_fpr_sum =", r(fpr.sum()), " roc_score_tpr_sum =", r(tpr.sum()),
      " roc_score_thr_sum =", r(thr.sum()))
prec, rec, pthr = M.precision_recall_curve(y, score)
print("pr_score_points =", len(prec), " pr_score_precision_sum =", r(prec.sum()), " pr_score_recall_sum =", r(rec.sum()))
