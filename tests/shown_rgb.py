#!/usr/bin/env python3
"""shown_rgb.py FILE X Y [T] — the R G B a player shows at (X, Y) of FILE's picture at T s
(default 1): YUV read with the matrix and range the stream states, else as players guess
(BT.709 from 1280 wide or 577 high, BT.601 below; JPEG pictures BT.601 full range); GIF
and other RGB pictures as stored. Prints "R G B"."""
import json
import subprocess
import sys

MATRICES = {"bt709": "bt709", "smpte170m": "bt601", "bt470bg": "bt601", "fcc": "fcc",
            "smpte240m": "smpte240m", "bt2020nc": "bt2020"}


def main():
    path, x, y = sys.argv[1:4]
    t = sys.argv[4] if len(sys.argv) > 4 else "1"
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,width,height,pix_fmt,color_space,color_range", "-of", "json",
                            path], capture_output=True, text=True, check=True)
    s = json.loads(probe.stdout)["streams"][0]
    jpeg = s["codec_name"] == "mjpeg" or s.get("pix_fmt", "").startswith("yuvj")
    if jpeg:
        matrix, rng = "bt601", "pc"
    else:
        guess = "bt709" if s["width"] >= 1280 or s["height"] > 576 else "bt601"
        matrix = MATRICES.get(s.get("color_space", ""), guess)
        rng = "pc" if s.get("color_range") == "pc" else "tv"
    seek = [] if s["codec_name"] == "mjpeg" else ["-ss", t]
    vf = (f"scale=in_color_matrix={matrix}:in_range={rng}:flags=neighbor+accurate_rnd+full_chroma_int,"
          f"format=rgb24,crop=1:1:{x}:{y}")
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *seek, "-i", path, "-frames:v", "1", "-vf", vf,
                          "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    if len(out) < 3:
        sys.exit(f"shown_rgb: no pixel at ({x}, {y}) of {path}")
    print(out[0], out[1], out[2])


if __name__ == "__main__":
    main()
