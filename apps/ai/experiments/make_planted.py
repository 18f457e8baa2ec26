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
  emphatic a lecturer's emphatic passage: the same voice slower, lower and louder (+7-10 dB),
           stressing the point ("This is the key idea. Remember it.")
  applause an audience applauding: dense random claps (broadband impulses), +8-12 dB, the
           speaker pausing underneath
  chorus   a song's loud chorus: the calm music (--calm music) 7-10 dB louder with drums (kick
           and hi-hat, 4-8 onsets per second) and a brighter chord
With --calm music the calm stretches are a quiet song section (soft chords, a slow bass, no
speech) instead of speech; with --calm lecture the speaker talks slowly over a slide that
changes (one scene cut) every 40-80 s, a distractor the lecture profile must not take for a
highlight.

Writes OUT (H.264/AAC MP4) and OUT.labels.json:
  {"duration_ms", "seed", "spans": [{"start_ms", "end_ms", "kind"}]}
Usage: make_planted.py --out FILE.mp4 [--duration S] [--seed N] [--size WxH]
                       [--kinds crowd,excited,action] [--spans K] [--min-gap S]
                       [--calm speech|lecture|music] [--srt]
--srt also writes OUT.srt: what is said, one cue per sentence at its measured time (the
transcript a perfect recogniser would give), for detection with --transcript.
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
LECTURE_TEXT = [
    "In the last session we looked at how the data was collected and cleaned.",
    "Let us now turn to the second part of the method, which builds on the first.",
    "The table on this slide lists the measurements for each of the groups.",
    "You can see that the values change slowly from one week to the next.",
    "We will come back to this figure later, so keep it in mind for now.",
    "The notation here follows the textbook, chapter four, page twelve.",
]
EMPHATIC_TEXT = [
    "This is the key idea of the whole course. Remember it.",
    "Listen carefully, this is really important: the effect is not random.",
    "If you remember one thing from today, remember this. It changes everything.",
    "This is the crucial point, and it will be on the exam.",
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


def speech(work, name, texts, voice_args, rng, seconds, said=None):
    """A wav of sentences (with espeak's pauses) at least `seconds` long, 48 kHz mono. When said
    is a list, (start s, end s, text) of each sentence in the wav is appended to it."""
    gap = os.path.join(work, "gap.wav")  # 0.4 s between sentences, as a speaker breathes
    if not os.path.exists(gap):
        ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "0.4", "-c:a", "pcm_s16le", gap)
    parts, total, i = [], 0.0, 0
    while total < seconds:
        text = texts[rng.randrange(len(texts))]
        path = os.path.join(work, "%s%d.wav" % (name, i))
        run(["espeak-ng", *voice_args, "-w", path, text])
        parts += [path, gap]
        length = (os.path.getsize(path) - 44) / (22050 * 2)  # espeak-ng: 22050 Hz s16 mono
        if said is not None:
            said.append((total, total + length, text))
        total += length + 0.4
        i += 1
    lst = os.path.join(work, name + ".txt")
    with open(lst, "w") as f:
        for p in parts:
            f.write("file '%s'\n" % p)
    out = os.path.join(work, name + ".wav")
    ffmpeg("-f", "concat", "-safe", "0", "-i", lst, "-af", "aresample=48000", "-ac", "1", out)
    return out


def music_expr(offset, gain):
    """A quiet song section as an aevalsrc expression: four chords of 4 s (root, third, fifth)
    over a plucked bass, t shifted by offset so that segments continue the same song."""
    t = "(t+%.3f)" % offset
    root = ("st(0,mod(floor(%s/4),4));st(1,110*pow(2,(eq(ld(0),1)*5+eq(ld(0),2)*7-eq(ld(0),3)*3)/12));" % t)
    pad = "(sin(2*PI*ld(1)*2*%s)+sin(2*PI*ld(1)*2.52*%s)+sin(2*PI*ld(1)*3*%s))*(0.7+0.3*sin(2*PI*%s/4))" % (t, t, t, t)
    bass = "2*sin(2*PI*ld(1)*%s)*exp(-3*mod(%s,1))" % (t, t)
    return root + "%.5f*(%s+%s)" % (0.012 * gain, pad, bass)


DRUMS = ("0.5*sin(2*PI*55*t)*exp(-25*mod(t,0.5))"                 # kick, 2 per second
         "+0.2*(random(0)*2-1)*exp(-80*mod(t+0.125,0.25))"        # hi-hat, 4 per second
         "+0.3*(random(1)*2-1)*exp(-30*mod(t+0.5,1))")            # snare on 2 and 4
# applause: white noise through a dozen clappers' pulse trains (6-8 claps per second each)
CLAPS = "(random(0)*2-1)*(%s)" % "+".join(
    "pow(abs(sin(PI*(t*%.2f+%.2f))),40)" % (6 + 0.17 * k, 0.37 * k) for k in range(12))


def segment(ctx, idx, start, end, kind):
    work, size, rng, fps = ctx["work"], ctx["size"], ctx["rng"], ctx["fps"]
    d = round(end - start, 3)
    out = os.path.join(work, "seg%03d.mp4" % idx)
    w, h = size
    music = ctx["calm"] == "music"
    calm_in = (["-f", "lavfi", "-i", "aevalsrc='%s':s=24000:d=%s" % (music_expr(start, 1), d)] if music
               else ["-ss", "%.3f" % start, "-i", ctx["calm_wav"]])
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps * 2),
           "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "1", "-t", str(d), out]
    color = CALM_COLORS[idx % len(CALM_COLORS)]
    calm_video = ("color=c=%s:s=%dx%d:r=%d:d=%s[bg];color=c=0xd0a070:s=%dx%d:r=%d:d=%s[fg];"
                  "[bg][fg]overlay=x='(W-w)/2+W/5*sin(t/4)':y='(H-h)/2'[v]"
                  % (color, w, h, fps, d, w // 8, h // 2, fps, d))
    calm_level = "1" if music else "0.5"
    if kind == "calm":
        ffmpeg(*calm_in, "-filter_complex", calm_video + ";[0]volume=%s[a]" % calm_level,
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "crowd":
        noise = rng.choice(["pink", "white"])
        # anoisesrc at a=1 reads -14.6 LUFS (pink) / -1.6 LUFS (white); the calm voice ~-31 LUFS
        gain = 10 ** ((-31 + rng.uniform(10, 14) - (-14.6 if noise == "pink" else -1.6)) / 20)
        ffmpeg(*calm_in, "-f", "lavfi", "-i", "anoisesrc=c=%s:a=1:d=%s:r=48000:s=%d" % (noise, d, rng.randrange(1 << 30)),
               "-filter_complex",
               calm_video + ";[1]volume='%.4f*min(1,t/1.5)*min(1,(%s-t)/1.5)*(0.8+0.2*sin(t*9))':eval=frame[n];"
               "[0]volume=%s[s];[s][n]amix=inputs=2:normalize=0[a]" % (gain, d, calm_level),
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind in ("excited", "emphatic"):
        # -a 200 vs -a 60: about +10 dB (excited); emphatic -a 150 with a random -3..0 dB
        gain = 10 ** (rng.uniform(-2, 2) / 20) * 0.5 if kind == "excited" else 10 ** (rng.uniform(-3, 0) / 20) * 0.5
        offset = rng.uniform(0, 20)
        ctx["said"] += [(start + a - offset, start + b - offset, text) for a, b, text in ctx[kind + "_said"]
                        if a >= offset and b <= offset + d]
        ffmpeg("-ss", "%.3f" % offset, "-i", ctx[kind + "_wav"], "-filter_complex",
               calm_video.replace("0xd0a070", "0xe0b080") + ";[0]volume=%.3f[a]" % gain,
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "applause":
        # the calm voice reads ~-31 LUFS at volume 0.5; the claps at 0.1 about -24 LUFS
        gain = 0.1 * 10 ** (rng.uniform(1, 5) / 20)
        ffmpeg("-f", "lavfi", "-i", "aevalsrc='%s':s=48000:d=%s" % (CLAPS, d), "-filter_complex",
               calm_video + ";[0]volume='%.4f*min(1,t/1)*min(1,(%s-t)/1.5)':eval=frame[a]" % (gain, d),
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "chorus":
        gain = 10 ** (rng.uniform(7, 10) / 20)
        ffmpeg("-f", "lavfi", "-i", "aevalsrc='%s+%.4f*(%s)':s=24000:d=%s" % (
                   music_expr(start, gain), 0.05 * gain, DRUMS, d),
               "-filter_complex", calm_video + ";[0]volume=1[a]",
               "-map", "[v]", "-map", "[a]", *enc)
    elif kind == "action":
        rate = rng.uniform(1.7, 4.0)
        seed = rng.randrange(1000)
        ffmpeg(*calm_in, "-f", "lavfi", "-i",
               "nullsrc=s=%dx%d:r=%d:d=%s,geq=lum='clip(30+mod((floor(T*%.3f)+%d)*97\\,170)+50*sin((X+Y*0.3+T*%d)/9)\\,0\\,255)':cb='128+60*sin(floor(T*%.3f)*2.1)':cr='128+60*cos(floor(T*%.3f)*1.7)'"
               % (w, h, fps, d, rate, seed, 4 * w, rate, rate),
               "-filter_complex", "[0]volume=%s[a]" % calm_level, "-map", "1:v", "-map", "[a]", *enc)
    else:
        sys.exit("make_planted.py: unknown kind '%s'" % kind)
    if kind in ("calm", "crowd", "action") and not music:
        ctx["said"] += [(a, b, text) for a, b, text in ctx["calm_said"] if a >= start and b <= end]
    return out


def slides(start, end, rng):
    """A calm lecture stretch cut into slides of 40-80 s (each change is one scene cut)."""
    pieces, t = [], start
    while end - t > 100:
        step = rng.uniform(40, 80)
        pieces.append((t, t + step))
        t += step
    return pieces + [(t, end)]


def srt_time(s):
    ms = int(round(s * 1000))
    return "%02d:%02d:%02d,%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


def write_srt(path, said):
    with open(path, "w") as f:
        for i, (a, b, text) in enumerate(sorted(said), 1):
            f.write("%d\n%s --> %s\n%s\n\n" % (i, srt_time(a), srt_time(b), text))


VOICES = {  # espeak-ng arguments
    "speech": ["-s", "150", "-p", "45", "-a", "60"],
    "lecture": ["-s", "135", "-p", "40", "-a", "60"],
    "excited": ["-s", "230", "-p", "95", "-a", "200"],
    "emphatic": ["-s", "120", "-p", "30", "-a", "150"],
}


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
    ap.add_argument("--calm", default="speech", choices=["speech", "lecture", "music"])
    ap.add_argument("--srt", action="store_true", help="also write OUT.srt (what is said)")
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
        ctx = {"work": work, "size": size, "rng": rng, "fps": a.fps, "calm": a.calm, "said": [],
               "calm_said": []}
        if a.calm != "music":
            text = LECTURE_TEXT if a.calm == "lecture" else CALM_TEXT
            ctx["calm_wav"] = speech(work, "calm", text, VOICES[a.calm], rng, a.duration + 5, ctx["calm_said"])
        for kind, text in (("excited", EXCITED_TEXT), ("emphatic", EMPHATIC_TEXT)):
            if kind in kinds:
                ctx[kind + "_said"] = []
                ctx[kind + "_wav"] = speech(work, kind, text, VOICES[kind], rng, 80, ctx[kind + "_said"])
        cuts, t = [], 0.0
        calm = (lambda s, e: slides(s, e, rng)) if a.calm == "lecture" else (lambda s, e: [(s, e)])
        for s, e, k in spans:
            cuts += [(x, y, "calm") for x, y in calm(t, s)] + [(s, e, k)]
            t = e
        cuts += [(x, y, "calm") for x, y in calm(t, a.duration)]
        lst = os.path.join(work, "list.txt")
        with open(lst, "w") as f:
            for i, (s, e, k) in enumerate(cuts):
                f.write("file '%s'\n" % segment(ctx, i, s, e, k))
        ffmpeg("-f", "concat", "-safe", "0", "-i", lst, "-c", "copy", "-movflags", "+faststart", a.out)
        if a.srt:
            write_srt(a.out + ".srt", ctx["said"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    labels = {"duration_ms": int(a.duration * 1000), "seed": a.seed, "calm": a.calm,
              "spans": [{"start_ms": int(s * 1000), "end_ms": int(e * 1000), "kind": k} for s, e, k in spans]}
    with open(a.out + ".labels.json", "w") as f:
        json.dump(labels, f, indent=1)
    print("%s: %d s, %d planted spans (%s)" % (a.out, a.duration, len(spans), ", ".join(
        "%s %.1f-%.1f" % (k, s, e) for s, e, k in spans)))


if __name__ == "__main__":
    main()
