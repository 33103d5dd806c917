#!/usr/bin/python3
"""Reference values for the drift baseline (test/core/test_drift.c, test/t/081_drift.sql).

Baseline rule: per feature, numpy.quantile(col, k/nbins) for k = 1..nbins-1 (linear), unique,
bins by searchsorted(edges, v, side='left'), fractions = counts / n. PSI floors at 1e-4.
"""
import numpy as np

def baseline(col, nbins=10):
    edges = np.unique(np.quantile(col, np.arange(1, nbins) / nbins))
    counts = np.bincount(np.searchsorted(edges, col, side='left'), minlength=len(edges) + 1)
    return edges, counts / len(col)

def psi(e, a):
    e = np.maximum(e, 1e-4); a = np.maximum(a, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))

def frac(edges, col):
    counts = np.bincount(np.searchsorted(edges, col, side='left'), minlength=len(edges) + 1)
    return counts / len(col)

if __name__ == '__main__':
    # the core unit test's data: 100 rows, 3 features
    i = np.arange(100)
    X = np.column_stack([(i * 0.37) % 5.0, (i % 3).astype(float), np.full(100, 2.5)])
    for j in range(3):
        e, f = baseline(X[:, j])
        print('feature', j + 1, 'edges', repr(list(e)), 'frac', repr(list(f)))
    # PSI of the shifted first feature (+1.0) against the baseline
    e, f = baseline(X[:, 0])
    print('psi shift', repr(psi(f, frac(e, X[:, 0] + 1.0))))
    print('psi self', repr(psi(f, frac(e, X[:, 0]))))
    # breast_cancer: the 30 named features; PSI of each against itself, and of a one-std shift
    import csv
    with open('test/data/breast_cancer.csv') as fh:
        rows = list(csv.reader(fh))
    hdr = rows[0]
    print('breast_cancer columns', hdr[:3], '...')

def breast_cancer_reference():
    """test/t/081_drift.sql: PSI of breast_cancer against its own baseline, and of the data
    with mean_texture shifted by one (population) standard deviation."""
    import csv
    with open('test/data/breast_cancer.csv') as fh:
        rows = list(csv.reader(fh))
    hdr = rows[0]
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    feats = hdr[1:31]
    out = {}
    for j, f in enumerate(feats):
        col = data[:, 1 + j]
        e, fr = baseline(col)
        out[f] = (psi(fr, frac(e, col)), psi(fr, frac(e, col + col.std())))
    return feats, out

if __name__ == '__main__':
    feats, out = breast_cancer_reference()
    print('self max', max(v[0] for v in out.values()))
    print('mean_texture shifted', repr(out['mean_texture'][1]))
    print('min shifted psi over features', min(v[1] for v in out.values()))
