#!/usr/bin/env python3
"""repeated_pictures.py FILE — how many of FILE's pictures repeat the one before (a mean grey step
under 0.2 of 255 at 90x160), of how many: prints "REPEATS FRAMES". A video made at a higher rate
than its source had moments shows some pictures twice; one whose every picture is a moment of its
own shows none (while its subject moves)."""
import subprocess
import sys

W, H = 90, 160


def main():
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", sys.argv[1], "-map", "0:v:0", "-vf",
                          "scale=%d:%d,format=gray" % (W, H), "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    n = W * H
    frames = [raw[i:i + n] for i in range(0, len(raw) - n + 1, n)]
    repeats = sum(1 for a, b in zip(frames, frames[1:]) if sum(abs(x - y) for x, y in zip(a, b)) / n < 0.2)
    print(repeats, len(frames))


if __name__ == "__main__":
    main()
