#!/usr/bin/env python3
"""Loudness normalization on real sounds of Debian packages: how close each tool's output comes
to -14 LUFS under a -1 dBTP ceiling, and what it costs.

    loudness_bench.py BUILD_DIR [--base OTHER_CLIPFORGE] [--seconds 30] [--runs 2] [--render]

Each file's first SECONDS are normalized into mp4 (AAC) and webm (Opus) by `clipforge clip
--normalize-audio` and by the ffmpeg CLI's two-pass loudnorm (pass 1 measures, pass 2 applies
the measured values with linear=true, falling back to its dynamic mode where linear cannot hold
the ceiling) encoding with the same codec and bitrate; the outputs are measured with ffmpeg's
ebur128 (integrated loudness, true peak). Per tool: the mean and largest distance to the target,
how many miss it by more than 0.5 LU, the largest true peak, how many pass the ceiling (by more
than 0.05 dB) and 0 dBTP, and the time: the least of RUNS per file, rounds alternating the tools,
summed, as a ratio to the ffmpeg CLI's. --base adds another clipforge binary's row (before/after).
--render measures renders instead (`clipforge render --template shorts-blur`, vertical 360x640
mp4, the same spans), whose sound is the mix a render makes: no ffmpeg CLI peer does that work,
so the rows are clipforge and the --base binary, the time as a ratio to the base's.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "media"))
import benchlib  # noqa: E402
import debmedia  # noqa: E402

TARGET, CEILING = -14.0, -1.0
# (package, file under its root): speech, calls, music, games' effects, crowds, videos
FILES = [
    ("forensics-samples-files", "usr/share/forensics-samples/original-files/movie2/movie-hello.mp4"),
    ("forensics-samples-files", "usr/share/forensics-samples/original-files/audio1/debian.wav"),
    ("forensics-samples-files", "usr/share/forensics-samples/original-files/audio2/deleted.wav"),
    ("linphone-common", "usr/share/sounds/linphone/dont_wait_too_long.mkv"),
    ("linphone-common", "usr/share/sounds/linphone/hello16000.wav"),
    ("codec2-examples", "usr/share/codec2/wav/all.wav"),
    ("codec2-examples", "usr/share/codec2/raw/speech_orig_16k.wav"),
    ("frozen-bubble-data", "usr/share/games/frozen-bubble/snd/frozen-mainzik-1p.ogg"),
    ("frozen-bubble-data", "usr/share/games/frozen-bubble/snd/frozen-mainzik-2p.ogg"),
    ("fillets-ng-data", "usr/share/games/fillets-ng/music/menu.ogg"),
    ("fillets-ng-data", "usr/share/games/fillets-ng/music/rybky01.ogg"),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/Art.ogg"),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/Beach.ogg"),
    ("foobillardplus-data", "usr/share/games/foobillardplus/data/applause.wav"),
    ("etw-data", "usr/share/games/etw/crowd/crowd01.wav"),
    ("btanks-data", "usr/share/games/btanks/data/sounds/ambient/country.ogg"),
    ("ktuberling-data", "usr/share/ktuberling/sounds/fr/noel_branche-de-gui.wav"),
    ("asterisk-moh-opsound-wav", "usr/share/asterisk/moh/macroform-cold_day.wav"),
]
# the encoders and bitrates clipforge uses (per channel)
CODECS = {"mp4": ("aac", 64000), "webm": ("libopus", 48000)}


def measure(path, extra=()):
    """(integrated LUFS, true peak dBTP) of path's first audio stream, by ffmpeg's ebur128."""
    p = subprocess.run(["ffmpeg", "-nostdin", "-nostats", "-hide_banner", *extra, "-i", path, "-map", "0:a:0",
                        "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = p.stderr[p.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    tp = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return (float(i.group(1)) if i else float("nan"), float(tp.group(1)) if tp else float("nan"))


def stream_value(path, key):
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=" + key,
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    return int((p.stdout.strip().split(",")[0] or "0"))


def ffmpeg_two_pass(src, out, seconds, fmt):
    """loudnorm's documented two-pass use: measure, then apply the measured values, linear."""
    w1, c1, p = benchlib.run(["ffmpeg", "-nostdin", "-hide_banner", "-t", "%g" % seconds, "-i", src, "-vn",
                              "-af", "loudnorm=I=%g:TP=%g:LRA=11:print_format=json" % (TARGET, CEILING),
                              "-f", "null", "-"])
    m = dict(re.findall(r'"(input_i|input_tp|input_lra|input_thresh|target_offset)"\s*:\s*"([^"]+)"', p.stderr))
    af = ("loudnorm=I=%g:TP=%g:LRA=11:measured_I=%s:measured_TP=%s:measured_LRA=%s:measured_thresh=%s:"
          "offset=%s:linear=true" % (TARGET, CEILING, m["input_i"], m["input_tp"], m["input_lra"],
                                     m["input_thresh"], m["target_offset"]))
    # loudnorm resamples to 192 kHz; the output keeps the source's rate as clipforge does (Opus: 48k)
    sr = 48000 if fmt == "webm" else stream_value(src, "sample_rate") or 48000
    codec, per_channel = CODECS[fmt]
    channels = min(max(stream_value(src, "channels"), 1), 6)
    w2, c2, _ = benchlib.run(["ffmpeg", "-nostdin", "-hide_banner", "-y", "-t", "%g" % seconds, "-i", src, "-vn",
                              "-af", af + ",aresample=%d" % sr, "-ac", str(channels), "-c:a", codec,
                              "-b:a", str(per_channel * channels), out])
    return w1 + w2, c1 + c2, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--base", help="another clipforge binary, for a before/after row")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--render", action="store_true", help="renders instead of clips")
    a = ap.parse_args()
    tools = [("clipforge", os.path.join(a.build, "clipforge"))]
    if a.base:
        tools.append(("clipforge (base)", a.base))
    if not a.render:
        tools.append(("ffmpeg loudnorm 2-pass", None))
    formats = ["mp4"] if a.render else list(CODECS)
    cache = os.environ.get("CF_REAL_MEDIA") or os.path.join(a.build, "real-media")
    srcs = []
    for pkg, rel in FILES:
        root = debmedia.fetch(cache, pkg)
        if root and os.path.isfile(os.path.join(root, rel)):
            srcs.append(os.path.join(root, rel))
        else:
            print("# %s: %s not available, left out" % (pkg, rel), file=sys.stderr)
    if not srcs:
        sys.exit("loudness_bench: no file could be fetched")
    rows = {name: {"dev": [], "tp": [], "wall": 0.0, "cpu": 0.0} for name, _ in tools}
    with tempfile.TemporaryDirectory(prefix="cf-loudness-bench-") as tmp:
        for src in srcs:
            p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", src],
                               capture_output=True, text=True)
            seconds = min(a.seconds, float(p.stdout.strip() or a.seconds))
            for fmt in formats:
                best = {name: None for name, _ in tools}
                for _ in range(a.runs):
                    for name, binary in tools:
                        out = os.path.join(tmp, "out.%s" % fmt)
                        if binary and a.render:
                            w, c, _ = benchlib.run([binary, "render", "--template", "shorts-blur", "--input", src,
                                                    "--span", "0:%g" % seconds, "--format", "vertical", "--size",
                                                    "360x640", "--output", out])
                        elif binary:
                            w, c, _ = benchlib.run([binary, "clip", "--input", src, "--output", out, "--trim",
                                                    "0:%g" % seconds, "--normalize-audio"])
                        else:
                            w, c, _ = ffmpeg_two_pass(src, out, seconds, fmt)
                        if best[name] is None or w < best[name][0]:
                            best[name] = (w, c, measure(out))
                for name, _ in tools:
                    w, c, (i, tp) = best[name]
                    r = rows[name]
                    r["dev"].append(abs(i - TARGET))
                    r["tp"].append(tp)
                    r["wall"] += w
                    r["cpu"] += c
                print("%-28s %-4s " % (os.path.basename(src)[:28], fmt) +
                      "  ".join("%s %6.1f LUFS %5.1f dBTP" % (n.split()[0][:9], *best[n][2]) for n, _ in tools),
                      file=sys.stderr)
    peer = rows[tools[-1][0]] if len(tools) > 1 else None
    what = ("renders (shorts-blur, vertical 360x640 mp4, AAC)" if a.render else
            "mp4 (AAC 64 kb/s a channel) and webm (Opus 48 kb/s a channel)")
    print("\nloudness normalization to %g LUFS / %g dBTP: %d real sounds x %s, first %g s; best of %d" % (
        TARGET, CEILING, len(srcs), what, a.seconds, a.runs))
    print("%-24s %9s %9s %7s %9s %8s %6s %9s %9s %7s" % ("tool", "mean |dI|", "max |dI|", ">0.5LU", "max TP",
                                                        ">ceiling", ">0dB", "wall s", "CPU s",
                                                        "x base" if a.render else "x peer"))
    for name, _ in tools:
        r = rows[name]
        print("%-24s %9.2f %9.2f %7d %9.1f %8d %6d %9.1f %9.1f %7.2f" % (
            name, sum(r["dev"]) / len(r["dev"]), max(r["dev"]), sum(d > 0.5 for d in r["dev"]), max(r["tp"]),
            sum(t > CEILING + 0.05 for t in r["tp"]), sum(t > 0 for t in r["tp"]), r["wall"], r["cpu"],
            r["wall"] / peer["wall"] if peer else float("nan")))


if __name__ == "__main__":
    main()
