#!/usr/bin/python3
"""reference_rankstats.py: reference values for test/t/057_stat_aggregates.sql (scikit-learn 1.2.1,
scipy 1.10.1, numpy 1.24). Run from the repository root after reference_rankstats.R:
    /usr/bin/python3 test/scripts/reference_rankstats.py > test/data/reference_rankstats.json
Writes test/data/iris_proba.csv (class probabilities of a fixed multinomial model on iris, plus
edge rows: exact zeros, rows that do not sum to 1) and prints the reference values as JSON.
"""
import json
import numpy as np
import scipy, sklearn
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, average_precision_score

names = ["setosa", "versicolor", "virginica"]
iris = np.genfromtxt("test/data/iris.csv", delimiter=",", skip_header=1)
X, y = iris[:, 1:5], iris[:, 5].astype(int)
# a deliberately weak model (strong L2), so that probabilities are not all near 0 or 1
m = LogisticRegression(C=0.05, max_iter=1000, tol=1e-12).fit(X, y)
P = m.predict_proba(X)
# edge rows: zeros (clipped to 1e-15), a one, and rows not summing to 1 (renormalised)
edge_p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.2, 0.2], [0.9, 0.9, 0.3], [1.0, 0.0, 0.0]])
edge_y = np.array([0, 2, 1, 2, 0])
rows = [(i, names[y[i]], y[i], *P[i], 0) for i in range(len(y))]
rows += [(150 + i, names[edge_y[i]], edge_y[i], *edge_p[i], 1) for i in range(len(edge_y))]
with open("test/data/iris_proba.csv", "w") as f:
    f.write("id,species,target,p_setosa,p_versicolor,p_virginica,edge\n")
    for r in rows:
        f.write("%d,%s,%d,%s,%s,%s,%d\n" % (r[0], r[1], r[2], repr(float(r[3])), repr(float(r[4])), repr(float(r[5])), r[6]))
Pall = np.vstack([P, edge_p])
yall = np.concatenate([y, edge_y])
out = {"versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}}
# modelmgr clips at 1e-15 (eps is passed explicitly: 1.2's default "auto" is float64's eps)
out["log_loss_iris"] = log_loss(y, P, eps=1e-15, labels=[0, 1, 2])
out["log_loss_all"] = log_loss(yall, Pall, eps=1e-15, labels=[0, 1, 2])
out["log_loss_edge"] = log_loss(edge_y, edge_p, eps=1e-15, labels=[0, 1, 2])
# binary: one-column probabilities P(class 1) for versicolor vs virginica
b = y > 0
pb = P[b][:, 2] / (P[b][:, 1] + P[b][:, 2])
out["log_loss_binary_column"] = log_loss((y[b] == 2).astype(int), pb, eps=1e-15, labels=[0, 1])

# average precision on breast_cancer: a tied score (mean radius rounded to integers) and the raw one
bc = np.genfromtxt("test/data/breast_cancer.csv", delimiter=",", skip_header=1)
target = bc[:, -1].astype(int)
radius = bc[:, 1]
out["ap_radius_rounded_malignant"] = average_precision_score(target == 0, np.round(radius))
out["ap_radius_malignant"] = average_precision_score(target == 0, radius)
out["ap_texture_rounded_benign"] = average_precision_score(target == 1, -np.round(bc[:, 2]))
out["ap_distinct_scores"] = int(len(np.unique(np.round(radius))))

# Spearman on mtcars (scipy; R's values are in reference_rankstats_R.txt)
import csv
with open("test/data/mtcars.csv") as f:
    mt = list(csv.DictReader(f))
col = lambda k: np.array([float(r[k]) for r in mt])
for a, c in [("mpg", "hp"), ("mpg", "cyl"), ("cyl", "gear"), ("disp", "wt"), ("qsec", "carb")]:
    out["spearman_%s_%s" % (a, c)] = spearmanr(col(a), col(c)).correlation
r_vals = {}
for line in open("test/data/reference_rankstats_R.txt"):
    p = line.split()
    if p and p[0] == "spearman":
        r_vals["%s_%s" % (p[1], p[2])] = float(p[3])
    elif p and p[0] in ("pairwise", "complete"):
        out["R_cor_" + p[0]] = [float(v) if v != "NA" else None for v in p[1].split(",")]
    elif p and p[0] == "spearman_na":
        out["R_spearman_ozone_solar"] = float(p[3])
out["R_spearman"] = r_vals
for k, v in r_vals.items():
    assert abs(v - out["spearman_" + k]) <= 1e-12 * abs(v), (k, v, out["spearman_" + k])
print(json.dumps(out, indent=1))
