#!/usr/bin/env python3
"""What the detector hears in real rings, beeps, alarms and chimes (tones.json beside this
script): none of them is speech, a crowd, applause or laughter, so none should be heard as one,
nor become a highlight for being one.

    tones.py --bin CLIPFORGE [--manifest tones.json] [--cache DIR] [--work DIR] [--report FILE.md]
             [--check]

Each item's file (packages fetched with tests/media/debmedia.py) is played with 1 s of silence
after every play, repeated to at least the manifest's repeat_s seconds (a phone that rings), and
the items are joined in manifest order into one 16 kHz mono file; `clipforge detect --json` runs
once on it, with the models detection finds (CLIPFORGE_HIGHLIGHT_MODELS_DIR to choose them).
Printed per item: the seconds heard as each audio-event class, and the highlights over it whose
reasons name a crowd, applause or laughter. --check: exit 1 when an item of kind "ring" is heard
as speech, a crowd, applause or laughter for any 500 ms decision, or lies under such a
highlight. Exit 77 when a package cannot be fetched.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "media"))
import debmedia  # noqa: E402
import real_footage  # noqa: E402

RATE = 16000
NOT_HEARD = ("speech", "crowd", "applause", "laughter")
EVENT_WORDS = ("crowd", "applause", "laughter", "cheer", "laugh", "clap")
SKIP = 77


def decode(path):
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar",
                        str(RATE), "-"], capture_output=True, check=True)
    return np.frombuffer(r.stdout, dtype=np.float32)


def repeated(x, seconds):
    """x followed by 1 s of silence, as many times as it takes to last `seconds`."""
    play = np.concatenate([x, np.zeros(RATE, dtype=np.float32)])
    return np.tile(play, max(1, int(np.ceil(seconds * RATE / len(play)))))


def compose(manifest, cache, work):
    """The joined file and each item's (start, end) in seconds; None when a package is missing."""
    parts, spans, at = [], [], 0
    for item in manifest["items"]:
        root = debmedia.fetch(cache, item["package"])
        if root is None:
            return None, None
        x = repeated(decode(os.path.join(root, item["file"])), manifest["repeat_s"])
        parts.append(x)
        spans.append((at / RATE, (at + len(x)) / RATE))
        at += len(x)
    wav = os.path.join(work, "tones.f32")
    np.concatenate(parts).tofile(wav)
    out = os.path.join(work, "tones.flac")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1",
                    "-i", wav, out], check=True)
    os.remove(wav)
    return out, spans


def heard(result, spans):
    """Per item: seconds of each class (real_footage.heard: the same count of a segment), and the
    event highlights (their reasons) over it."""
    rows = []
    for s0, s1 in spans:
        secs = real_footage.heard(result, {"start_s": s0, "end_s": s1})
        spans_over = [h for h in result.get("highlights", [])
                      if min(s1, h["end_ms"] / 1000) > max(s0, h["start_ms"] / 1000)
                      and any(w in r for r in h.get("reasons", []) for w in EVENT_WORDS)]
        rows.append((secs, spans_over))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--manifest", default=os.path.join(HERE, "tones.json"))
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--work", default="/tmp/cf-tones")
    ap.add_argument("--report", help="also write the table as Markdown here")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    os.makedirs(args.work, exist_ok=True)
    media, spans = compose(manifest, args.cache, args.work)
    if media is None:
        print("SKIP: a Debian package of the tones set cannot be fetched here")
        return SKIP
    env = dict(os.environ, CLIPFORGE_LOG_LEVEL="error", CLIPFORGE_FEATURE_CACHE_DIR=os.path.join(args.work, "features"),
               CLIPFORGE_DATA_DIR=os.path.join(args.work, "data"))
    r = subprocess.run([os.path.abspath(args.bin), "detect", "--input", media, "--no-cache", "--top", "10", "--json"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("detect failed: %s" % r.stderr[-800:])
    result = json.loads(r.stdout)
    lines = ["| item | kind | seconds | heard as (s) | event highlights over it |", "|---|---|---|---|---|"]
    failed = []
    for item, (s0, s1), (secs, over) in zip(manifest["items"], spans, heard(result, spans)):
        said = ", ".join("%s %.1f" % kv for kv in sorted(secs.items(), key=lambda kv: -kv[1]))
        reasons = "; ".join("%s (%.2f)" % (", ".join(h["reasons"]), h["score"]) for h in over) or "none"
        lines.append("| %s | %s | %.1f | %s | %s |" % (item["id"], item["kind"], s1 - s0, said, reasons))
        wrong = sum(secs.get(c, 0) for c in NOT_HEARD)
        if item["kind"] == "ring" and (wrong >= 0.5 or over):
            failed.append("%s: heard as %s for %.1f s, %d event highlights" % (
                item["id"], "/".join(NOT_HEARD), wrong, len(over)))
    text = "\n".join(lines)
    print("model %s\n%s" % (result.get("model_version"), text))
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    for msg in failed:
        print("FAIL - %s" % msg)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
