#!/usr/bin/python3
"""make_test_models.py: hand-built classifier model bytea (hex) for the registry tests.

Encodes models in the documented format (src/core/mm_model.h: 40-byte little-endian header,
ascending sections, CRC-32C over everything but the checksum field), so the registry's
classifier paths (predict_label/predict_proba by name, weights per class) can be tested
before a classifier trainer exists. Prints one `name<TAB>\\x<hex>` line per model.
"""
import struct

def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def names(ns):
    return b"".join(struct.pack("<I", len(n.encode())) + n.encode() for n in ns)

def model(alg, flags, coef, n_features, n_outputs, classes, class_values, features):
    secs = [(1, struct.pack("<%dd" % len(coef), *coef))]
    if classes:
        secs.append((3, b"".join(struct.pack("<d", v) + struct.pack("<I", len(c.encode())) + c.encode()
                                 for c, v in zip(classes, class_values))))
    if features:
        secs.append((4, names(features)))
    body = b"".join(struct.pack("<HHI", i, 0, len(p)) + p for i, p in secs)
    total = 40 + len(body)
    hdr = struct.pack("<IHHIIIIIII", 0x4C444D4D, 1, alg, flags, n_features, n_outputs,
                      len(classes), len(secs), 0, total)
    crc = crc32c(body, crc32c(hdr))
    return hdr + struct.pack("<I", crc) + body

nan = float("nan")
# binary logistic regression, text labels no/yes, features a, b: score = 0.5 + 1.0 a - 2.0 b
print("logreg_text\t\\x" + model(2, 1, [0.5, 1.0, -2.0], 2, 1, ["no", "yes"], [nan, nan], ["a", "b"]).hex())
# multinomial, numeric labels 0/1/2, features a, b (three outputs)
print("multinomial\t\\x" + model(3, 0, [0.1, 1.0, 0.0, 0.2, 0.0, 1.0, -0.3, -1.0, -1.0], 2, 3,
                                    ["0", "1", "2"], [0.0, 1.0, 2.0], ["a", "b"]).hex())
