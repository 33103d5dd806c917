#!/usr/bin/python3
"""Full-precision scikit-learn references for the least-squares tests (test/t/010_linreg_reference.sql).

Run with Debian's python3 (scikit-learn 1.2.1, numpy 1.24): /usr/bin/python3 test/scripts/reference_linreg.py
Prints SQL arrays: intercept followed by coefficients, with 17 significant digits.
"""
import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

data = np.loadtxt("test/data/diabetes.csv", delimiter=",", skiprows=1)
X, y = data[:, 1:-1], data[:, -1]
for name, est in [("linear_regression", LinearRegression()), ("ridge_alpha_1", Ridge(alpha=1.0))]:
    est.fit(X, y)
    vals = [est.intercept_] + list(est.coef_)
    print(f"-- {name}: l2 = alpha / n = {1.0 / len(y)!r}")
    print("ARRAY[" + ", ".join(repr(float(v)) for v in vals) + "]::float8[]")
