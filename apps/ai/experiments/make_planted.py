#!/usr/bin/env python3
"""Generates long test media with planted, known highlight spans among calm stretches.

Calm stretches: one steady scene (a coloured background with a slowly drifting subject) and
calm speech (espeak-ng, normal pitch and rate) with its natural pauses. Planted spans, each
15-30 s and starting on a scene cut (as a broadcast cuts to a reaction or replay):
  crowd    crowd cheering: broadband noise (pink or white, flat spectrum) with a swelling
           envelope, 10-14 dB over the calm level; the calm speech goes on underneath
  excited  loud excited speech: espeak-ng at high pitch, fast rate and high gain instead of
           the calm voice (+8-12 dB)
  action   a burst of fast cuts (every 0.25-0.6 s) and fast motion; the calm speech goes on

Writes OUT (H.264/AAC MP4) and OUT.labels.json:
  {"duration_ms", "seed", "spans": [{"start_ms", "end_ms", "kind"}]}
Usage: make_planted.py --out FILE.mp4 [--duration S] [--seed N] [--size WxH]
                       [--kinds crowd,excited,action] [--spans K] [--min-gap S]
Needs ffmpeg and espeak-ng. Deterministic for a seed.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

CALM_TEXT = [
    "Welcome back. Today we look at how the season went and what the numbers tell us.",
    "The first half was steady, with few surprises and a lot of careful play.",
    "Our next guest has followed the league for many years and knows every team well.",
    "Let us take a moment to look at the standings before we move on.",
    "There were some changes in the line up, but nothing that changed the picture.",
    "We will be back after a short look at the statistics from last week.",
    "Training has focused on patience and on keeping the shape of the team.",
    "Most observers expected a quiet evening, and for a long time that is what we had.",
]
EXCITED_TEXT = [
    "Oh wow! Did you see that? That is absolutely incredible!",
    "Unbelievable! What a moment! Nobody saw that coming!",
    "Yes! Yes! That is the best thing I have seen all year!",
    "Look at that! Amazing! Absolutely amazing! I cannot believe it!",
]
CALM_COLORS = ["0x203040", "0x707888", "0x302028", "0x808060", "0x283020", "0x887070"]  # dark/light


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")[-2000:]))


def ffmpeg(*args):
    run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args])


def plan(duration, n_spans, kinds, rng, gap):
    """Non-overlapping spans of 15-30 s, at least `gap` s apart and 15 s from the ends."""
    grid = lambda x: round(x * 5) / 5  # whole frames at 25 fps
    lengths = [grid(rng.uniform(15, 30)) for _ in range(n_spans)]
    free = duration - 30 - sum(lengths) - (n_spans - 1) * gap
    if free < 0:
        sys.exit("cannot fit %d spans of 15-30 s, %d s apart, in %d s" % (n_spans, gap, duration))
    cuts = sorted(rng.uniform(0, free) for _ in range(n_spans))
    offset, spans, t = rng.randrange(len(kinds)), [], 15.0
    for i, length in enumerate(lengths):
        start = grid(t + cuts[i] - (cuts[i - 1] if i else 0))
        spans.append((start, grid(start + length), kinds[(i + offset) % len(kinds)]))
        t = start + length + gap
    return spans


def speech(work, name, texts, voice_args, rng, seconds):
    """A wav of sentences (with espeak's pauses) at least `seconds` long, 48 kHz mono."""
    parts, total, i = [], 0.0, 0
    while total < seconds:
        text = texts[rng.randrange(len(texts))]
        path = os.path.join(work, "%s%d.wav" % (name, i))
        run(["espeak-ng", *voice_args, "-w", path, text])
        parts.append(path)
        total += os.path.getsize(path) / (22050 * 2) + 0.4
        i += 1
    lst = os.path.join(work, name + ".txt")
    with open(lst, "w") as f:
        for p in parts:
            f.write("file '%s'\n" % p)
    out = os.path.join(work, name + ".wav")
    ffmpeg("-f", "concat", "-safe", "0", "-i", lst, "-af", "apad=pad_dur=0.4,aresample=48000",
           "-ac", "1", out)
    return out


def segment(work, idx, start, end, kind, calm_wav, excited_wav, size, rng, fps):
    d = round(end - start, 3)
    out = os.path.join(work, "seg%03d.mp4" % idx)
    w, h = size
    calm_in = ["-ss", "%.3f" % start, "-i", calm_wav]
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps * 2),
           "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "1", "-t", str(d), out]
    color = CALM_COLORS[idx % len(CALM_COLORS)]
    calm_video = ("color=c=%s:s=%dx%d:r=%d:d=%s[bg];color=c=0xd0a070:s=%dx%d:r=%d:d=%s[fg];"
                  "[bg][fg]overlay=x='(W-w)/2+W/5*sin(t/4)':y='(H-h)/2'[v]"
                  % (color, w, h, fps, d, w // 8, h // 2, fps, d))
    if kind == "calm":
        ffmpeg(*calm_in, "-filter_complex", calm_video + ";[0]volume=0.5[a]",
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "crowd":
        noise = rng.choice(["pink", "white"])
        # anoisesrc at a=1 reads -14.6 LUFS (pink) / -1.6 LUFS (white); the calm voice ~-31 LUFS
        gain = 10 ** ((-31 + rng.uniform(10, 14) - (-14.6 if noise == "pink" else -1.6)) / 20)
        ffmpeg(*calm_in, "-f", "lavfi", "-i", "anoisesrc=c=%s:a=1:d=%s:r=48000:s=%d" % (noise, d, rng.randrange(1 << 30)),
               "-filter_complex",
               calm_video + ";[1]volume='%.4f*min(1,t/1.5)*min(1,(%s-t)/1.5)*(0.8+0.2*sin(t*9))':eval=frame[n];"
               "[0]volume=0.5[s];[s][n]amix=inputs=2:normalize=0[a]" % (gain, d),
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "excited":
        gain = 10 ** (rng.uniform(-2, 2) / 20) * 0.5  # -a 200 vs -a 60: about +10 dB
        ffmpeg("-ss", "%.3f" % rng.uniform(0, 20), "-i", excited_wav, "-filter_complex",
               calm_video.replace("0xd0a070", "0xe0b080") + ";[0]volume=%.3f[a]" % gain,
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "action":
        rate = rng.uniform(1.7, 4.0)
        seed = rng.randrange(1000)
        ffmpeg(*calm_in, "-f", "lavfi", "-i",
               "nullsrc=s=%dx%d:r=%d:d=%s,geq=lum='clip(30+mod((floor(T*%.3f)+%d)*97\\,170)+50*sin((X+Y*0.3+T*%d)/9)\\,0\\,255)':cb='128+60*sin(floor(T*%.3f)*2.1)':cr='128+60*cos(floor(T*%.3f)*1.7)'"
               % (w, h, fps, d, rate, seed, 4 * w, rate, rate),
               "-filter_complex", "[0]volume=0.5[a]", "-map", "1:v", "-map", "[a]", *enc)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--kinds", default="crowd,excited,action")
    ap.add_argument("--spans", type=int, default=0, help="0 = one per 100 s")
    ap.add_argument("--min-gap", type=float, default=30, help="calm seconds between spans")
    a = ap.parse_args()
    for tool in ("ffmpeg", "espeak-ng"):
        if not shutil.which(tool):
            sys.exit("make_planted.py: %s is required" % tool)
    rng = random.Random(a.seed)
    size = tuple(int(x) for x in a.size.split("x"))
    kinds = [k for k in a.kinds.split(",") if k]
    n = a.spans or max(1, int(a.duration // 100))
    spans = plan(a.duration, n, kinds, rng, a.min_gap)
    work = tempfile.mkdtemp(prefix="cf-planted-")
    try:
        calm = speech(work, "calm", CALM_TEXT, ["-s", "150", "-p", "45", "-a", "60"], rng, a.duration + 5)
        excited = speech(work, "excited", EXCITED_TEXT, ["-s", "230", "-p", "95", "-a", "200"], rng,
                         80) if "excited" in kinds else None
        cuts, t = [], 0.0
        for s, e, k in spans:
            cuts += [(t, s, "calm"), (s, e, k)]
            t = e
        cuts.append((t, a.duration, "calm"))
        lst = os.path.join(work, "list.txt")
        with open(lst, "w") as f:
            for i, (s, e, k) in enumerate(cuts):
                f.write("file '%s'\n" % segment(work, i, s, e, k, calm, excited, size, rng, a.fps))
        ffmpeg("-f", "concat", "-safe", "0", "-i", lst, "-c", "copy", "-movflags", "+faststart", a.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    labels = {"duration_ms": int(a.duration * 1000), "seed": a.seed,
              "spans": [{"start_ms": int(s * 1000), "end_ms": int(e * 1000), "kind": k} for s, e, k in spans]}
    with open(a.out + ".labels.json", "w") as f:
        json.dump(labels, f, indent=1)
    print("%s: %d s, %d planted spans (%s)" % (a.out, a.duration, len(spans), ", ".join(
        "%s %.1f-%.1f" % (k, s, e) for s, e, k in spans)))


if __name__ == "__main__":
    main()
