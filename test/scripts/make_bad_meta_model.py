#!/usr/bin/env python3
"""Prints (hex) a model whose checksum is right but whose metadata is not JSON, for 012_linreg_errors.sql.
Layout: see src/core/mm_model.h. Pure Python; no numpy needed."""
import struct

def crc32c(data, crc=0):
    crc = ~crc & 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return ~crc & 0xffffffff

coef = struct.pack('<3d', 1.0, 2.0, -3.0)          # intercept, w1, w2
meta = b'{"not json'
body = struct.pack('<HHI', 1, 0, len(coef)) + coef + struct.pack('<HHI', 7, 0, len(meta)) + meta
total = 40 + len(body)
hdr = struct.pack('<IHHIIIIIII', 0x4C444D4D, 1, 1, 0, 2, 1, 0, 2, 0, total)
crc = crc32c(body, crc32c(hdr))
print((hdr + struct.pack('<I', crc) + body).hex())
