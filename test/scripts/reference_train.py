#!/usr/bin/python3
"""The optimum that test/t/030_train_reference.sql compares train() with.

breast_cancer, train = id < 455, StandardScaler on the training rows, LogisticRegression(C=1) solved tightly;
prints the objective mean log loss + ||w||^2 / (2 C n_train) at the optimum.
Run with Debian's python3 (scikit-learn 1.2.1): /usr/bin/python3 test/scripts/reference_train.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

d = np.loadtxt("test/data/breast_cancer.csv", delimiter=",", skiprows=1)
X, y = d[:455, 1:-1], d[:455, -1]
Z = StandardScaler().fit(X).transform(X)
m = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(Z, y)
p = m.predict_proba(Z)[:, 1]
obj = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + np.sum(m.coef_ ** 2) / (2 * 1.0 * len(y))
print(repr(obj))
