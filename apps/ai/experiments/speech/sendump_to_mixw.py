#!/usr/bin/env python3
"""Converts a pocketsphinx `sendump` (8-bit quantised mixture weights of a semi-continuous or
phonetically tied model) into sphinxtrain's `mixture_weights` (s3 binary, float32), which `bw`
needs to accumulate adaptation statistics. Debian's en-us model ships only the sendump.

sendump, as pocketsphinx reads it: int32-length-prefixed NUL-terminated header strings (the
"feature_count N" one among them) ended by a zero length; with no "cluster_count" above 0, two
int32s (rows = densities per codebook, columns = senones); then for each feature stream the
rows x columns bytes. A byte q is the weight's negative log in the decoder's log base (1.0001)
shifted right by 10 bits: w = 1.0001 ** -(q << 10). Byte order: the first length is 1-999.

mixture_weights: "s3" text header ("version 1.0", "chksum0 yes", "endhdr", padded to four
bytes), the int32 0x11223344 in the writer's byte order, then int32 senones, streams, densities,
int32 value count, the float32 weights as [senone][stream][density], and a uint32 checksum
(each 32-bit word w of the data after the magic: sum = rotl(sum, 20) + w).

Usage: sendump_to_mixw.py SENDUMP OUT [--floor 1e-7]
"""
import argparse
import math
import struct
import sys

import numpy as np

LOG_BASE = 1.0001
SHIFT = 10


def read_sendump(path):
    """(streams, densities, senones) float64 weights, each senone's weights summing to 1."""
    data = open(path, "rb").read()
    (first,) = struct.unpack_from("<i", data, 0)
    end = "<" if 1 <= first <= 999 else ">"
    off, n_feat, clusters = 0, None, 0
    while True:
        (n,) = struct.unpack_from(end + "i", data, off)
        off += 4
        if n == 0:
            break
        text = data[off:off + n].rstrip(b"\0").decode("ascii", "replace")
        off += n
        key, _, value = text.partition(" ")
        if key == "feature_count":
            n_feat = int(value)
        elif key == "cluster_count":
            clusters = int(value)
    if clusters:
        raise ValueError("%s: clustered (cluster_count %d) sendumps are not handled" % (path, clusters))
    if n_feat is None:
        raise ValueError("%s: no feature_count in the header" % path)
    rows, cols = struct.unpack_from(end + "ii", data, off)
    off += 8
    need = n_feat * rows * cols
    if len(data) - off != need:
        raise ValueError("%s: %d bytes of weights, expected %d x %d x %d" %
                         (path, len(data) - off, n_feat, rows, cols))
    q = np.frombuffer(data, dtype=np.uint8, count=need, offset=off).reshape(n_feat, rows, cols)
    w = np.exp(-(q.astype(np.float64) * (1 << SHIFT)) * math.log(LOG_BASE))
    return w / w.sum(axis=1, keepdims=True)


def checksum(words):
    s = 0
    for w in words.tolist():
        s = (((s << 20) | (s >> 12)) + w) & 0xFFFFFFFF
    return s


def write_mixw(path, w, floor):
    """w: (streams, densities, senones) -> s3 mixture_weights, little-endian."""
    n_feat, n_dens, n_sen = w.shape
    w = np.maximum(w, floor)
    w = w / w.sum(axis=1, keepdims=True)
    body = np.ascontiguousarray(w.transpose(2, 0, 1)).astype("<f4")  # [senone][stream][density]
    dims = np.array([n_sen, n_feat, n_dens, body.size], dtype="<u4")
    words = np.concatenate([dims, body.view("<u4").ravel()])
    head = "s3\nversion 1.0\nchksum0 yes\n"
    pad = (-(len(head) + len("endhdr\n"))) % 4
    with open(path, "wb") as f:
        f.write((head + " " * pad + "endhdr\n").encode("ascii"))
        f.write(struct.pack("<I", 0x11223344))
        f.write(words.astype("<u4").tobytes())
        f.write(struct.pack("<I", checksum(words)))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sendump")
    ap.add_argument("out")
    ap.add_argument("--floor", type=float, default=1e-7,
                    help="smallest weight written (bw and the decoders floor them too)")
    a = ap.parse_args(argv)
    w = read_sendump(a.sendump)
    write_mixw(a.out, w, a.floor)
    print("%s: %d senones x %d streams x %d densities" % (a.out, w.shape[2], w.shape[0], w.shape[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
