#!/usr/bin/env python3
"""Writes a copy of a JPEG with an EXIF orientation tag, as a phone stores a photo taken sideways
(6: turn 90 degrees clockwise to view). Usage: exif_orientation.py IN.jpg OUT.jpg [ORIENTATION]"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    orientation = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    data = open(src, "rb").read()
    if data[:2] != b"\xff\xd8":
        sys.exit("%s is not a JPEG" % src)
    # one IFD entry: tag 0x0112 (Orientation), type SHORT, count 1, the value left-aligned
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    exif = b"Exif\0\0" + b"MM\0\x2a" + struct.pack(">I", 8) + ifd
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    open(dst, "wb").write(data[:2] + app1 + data[2:])


if __name__ == "__main__":
    main()
