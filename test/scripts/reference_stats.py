#!/usr/bin/python3
"""Full-precision numpy references for the data-management tests (test/t/050_describe_corr.sql,
test/t/051_split.sql).

Run with Debian's python3 (numpy 1.24) from the repository root:
    /usr/bin/python3 test/scripts/reference_stats.py
Prints SQL float8[] literals (17 significant digits, repr) for breast_cancer's 30 features:
mean, std (ddof=0), std_sample (ddof=1), min, max, the quartile acceptance bands and the
30 x 30 correlation matrix (np.corrcoef, row-major), then split()'s pinned key -> assignment
pairs from an independent implementation of its hash (FNV-1a 64 over the seed's 8
little-endian bytes and the key's text, MurmurHash3 fmix64, top 53 bits / 2^53).
"""
import numpy as np

M64 = (1 << 64) - 1


def arr(vals):
    return "ARRAY[" + ", ".join(repr(float(v)) for v in vals) + "]::float8[]"


def mm_hash64(data: bytes, seed: int) -> int:
    h = 0xCBF29CE484222325
    for b in (seed & M64).to_bytes(8, "little") + data:
        h ^= b
        h = (h * 0x100000001B3) & M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    h ^= h >> 33
    return h


def split_unit(key: str, seed: int) -> float:
    return (mm_hash64(key.encode("utf-8"), seed) >> 11) / float(1 << 53)


data = np.loadtxt("test/data/breast_cancer.csv", delimiter=",", skiprows=1)
X = data[:, 1:-1]
assert X.shape == (569, 30)

print("-- breast_cancer describe references (numpy", np.__version__ + ")")
print("-- mean");       print(arr(X.mean(axis=0)))
print("-- std ddof=0"); print(arr(X.std(axis=0, ddof=0)))
print("-- std ddof=1"); print(arr(X.std(axis=0, ddof=1)))
print("-- min");        print(arr(X.min(axis=0)))
print("-- max");        print(arr(X.max(axis=0)))
# describe's quartiles are approximate beyond 256 values per feature: accept an estimate
# between the exact quantiles at q - 0.015 and q + 0.015 (a rank error of at most 1.5%;
# measured at most 0.7% on these data).
for q in (0.25, 0.5, 0.75):
    print(f"-- p{int(q * 100)} band: quantile at q - 0.015 and q + 0.015")
    print(arr(np.quantile(X, q - 0.015, axis=0)))
    print(arr(np.quantile(X, q + 0.015, axis=0)))
print("-- exact quartiles (for information)")
for q in (0.25, 0.5, 0.75):
    print(f"-- p{int(q * 100)}: " + arr(np.quantile(X, q, axis=0)))
print("-- corrcoef, row-major")
print(arr(np.corrcoef(X, rowvar=False).ravel()))

# iris has 150 rows (at most 256 values per feature): describe's quartiles are exact there.
iris = np.loadtxt("test/data/iris.csv", delimiter=",", skiprows=1)[:, 1:-1]
print("-- iris exact quartiles p25, p50, p75 (numpy 'linear')")
for q in (0.25, 0.5, 0.75):
    print(arr(np.quantile(iris, q, axis=0)))

print()
print("-- split pinned pairs: (key text, seed, unit value, assignment at test_fraction 0.3)")
pairs = [(str(k), 0) for k in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12345, -7, 1000000)]
pairs += [("alice", 0), ("bob", 0), ("", 0), ("1", 42), ("1", -1), ("2", 42), ("héllo", 7)]
for key, seed in pairs:
    u = split_unit(key, seed)
    print(f"-- ({key!r}, {seed}) u = {u!r} -> {'test' if u < 0.3 else 'train'}")
print("VALUES " + ",\n       ".join(
    "('" + key.replace("'", "''") + f"', {seed}, '" + ("test" if split_unit(key, seed) < 0.3 else "train") + "')"
    for key, seed in pairs))
