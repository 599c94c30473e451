#!/usr/bin/env python3
"""png_ink.py FILE: how much of a screenshot is drawn on.

Prints "WIDTHxHEIGHT ink=P.PP% dark=P.PP%": the share of pixels that differ
from the most common colour (the page's background), and the share that
are dark (text). A blank page prints ink=0.00%. Reads the 8-bit RGB/RGBA,
non-interlaced PNGs that Chromium writes; anything else is an error (exit 2).
"""
import struct
import sys
import zlib
from collections import Counter


def rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = hdr
    if depth != 8 or colour not in (2, 6) or interlace:
        print("unsupported PNG: depth %d colour %d interlace %d" % (depth, colour, interlace))
        sys.exit(2)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    out = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        out.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, out


def main():
    width, height, pixels = rows(sys.argv[1])
    counts = Counter(p for row in pixels for p in row)
    total = width * height
    background, n_bg = counts.most_common(1)[0]
    dark = sum(n for p, n in counts.items() if sum(p) < 3 * 100)
    print("%dx%d ink=%.2f%% dark=%.2f%%" % (width, height, 100.0 * (total - n_bg) / total,
                                            100.0 * dark / total))


main()
