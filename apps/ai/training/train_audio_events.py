#!/usr/bin/env python3
"""Trains the audio-event classifier (speech, music, crowd, applause, laughter, silence, noise)
on real recordings from Debian packages and evaluates it held out by source.

    train_audio_events.py --bin build/release/clipforge [--manifest FILE] [--cache DIR]
                          [--work DIR] [--out apps/ai/models/audio-events-v1.json]
                          [--report apps/ai/experiments/reports/audio-events.md] [--version v3]
                          [--baseline] [--mix] [--mix-music CLASSES] [--inputs all|window|v3|v4|v6|v6v]
                          [--copies telephone,...] [--synth crowd,laughter,applause]
                          [--hidden N] [--hidden2 N] [--dropout P] [--noise S] [--candidates]
                          [--seed S] [--ensemble N]

1. Every source of the manifest (audio-events-data.json beside this script; those marked
   "candidate" only with --candidates) is fetched with tests/media/debmedia.py (a source with
   "archive" takes its files from that zip inside the package), its files (in sorted order, up
   to max_s / file_max_s seconds) are joined into one 16 kHz mono FLAC with 0.3 s of silence
   between files, and
   `clipforge detect --features-out F --event-inputs` gives the classifier's inputs per 100 ms
   (the C extractor itself, so training and inference cannot disagree on a feature; the inputs
   are extracted again whenever the binary or its pipelines module is newer than them, the join
   whenever the source's file list changes). No recording may be shipped by two of the packages (it would be on both
   sides of a split), nor be a crowd, applause or laughter the real-footage sets use: files are
   compared by their bytes and, decoded, by cross-correlation (check_distinct), so a copy that
   another package re-encoded is found too. No package of an evaluation set (the manifest's
   evaluation_manifests: the real-footage sets, the tones set) may be a training source.
2. Labels: the source's class for every hop, except hops whose momentary loudness is under the
   manifest's silence_below_lufs: silence.
3. Training-side copies (never evaluated on): every source through each filter of --copies
   (COPIES: a telephone band, two semitones up or down, a room, a bright or dark microphone,
   an exciter's made-up high band, pink noise under it); with --mix also the crowd, applause, laughter and noise sources over a
   speech recording of another package (mix_backgrounds of the manifest) at MIX_SNR_DB, and 20 dB
   quieter (off by default: measured no gain held out, and speech under a laugh labelled
   laughter teaches the model to hear laughter in plain speech); with --mix-music CLASSES those
   classes' sources over the music of another package (mix_music_backgrounds) at MUSIC_MIX_SNR_DB
   (a crowd over a soundtrack is still a crowd). A copy goes with its package:
   when the package is held out, so are its copies. With --synth CLASSES, sources the recordings
   lack are synthesised for each fold from that fold's training packages only (SYNTH_RECIPES:
   laughter of several people, a crowd of many voices over a crowd recording, a larger audience's
   applause) and used in that fold's training only; the final model's from every package.
4. Evaluation, held out by source: packages are split into --folds groups (the manifest pins each
   package to a fold, so adding one moves no other; fold_packages); for each, a model
   trained on the other groups classifies that group's hops; decisions are made per 500 ms (the
   mean probabilities of its five hops, as the C code does), and precision, recall and F1 per
   class and the macro-F1 are computed over all held-out decisions. No file is ever in both the
   training and the test side of a fold, and a mixed copy is left out of a fold's training when
   its background's package is held out. The same held-out sources are also scored over beds
   (unless --no-beds; BED_DB, bed_of): each over another source held out in its fold, looped
   15 dB under it, so a short clip is heard between and over talk (and speech over noise), not in
   digital silence; both figures are reported and kept in the model file. --baseline evaluates the v2 recipe (window inputs,
   telephone copies only, class balance 0.5) on the same data and folds, side by side.
5. The published model is trained on every source. It is a multilayer perceptron (inputs
   standardised, one hidden ReLU layer, or two with --hidden2, softmax; --dropout and --noise
   regularise training only; with --ensemble N, N networks of seeds S .. S + N - 1 packed into
   one whose hidden units are theirs side by side and whose logits are their mean), written as
   JSON with the names of the inputs it uses, the normalisation, the weights and the training
   metadata (sources, licences, counts, training copies, the held-out figures, and what makes the
   run repeatable: the seed, the extractor's version and the inputs it analysed louder, the input
   set, the SHA-256 of the manifest and of each source's files, the trainer's options:
   recipe_record, files_digest). tests/ai/audio_events_agree.py checks that
   the C inference and predict() here agree on it.

Training weights each class equally and, within a class, each source equally, so a long
source (an hour of speech) cannot drown a short one (two seconds of a laugh).
Needs numpy (Debian: python3-numpy), ffmpeg and the clipforge binary.
"""
import argparse
import fnmatch
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "media"))
import debmedia  # noqa: E402

CLASSES = ["speech", "music", "crowd", "applause", "laughter", "silence", "noise"]
DECISION_HOPS = 5
MAX_UNITS = 128  # the C classifier's largest layer (audio_events.c)
# With --mix, training-side copies of the short event classes (never evaluated on): each recording over a
# speech recording of another package at these levels above it (a cheer over commentary), and
# the recording 20 dB quieter. A copy belongs to both packages: it is left out of a fold's
# training when either is held out.
MIX_CLASSES = ("crowd", "applause", "laughter", "noise")
MIX_SNR_DB = (10, 3)
# With --mix-music CLASSES, copies of those classes' sources over the music of another package, at
# these levels above it.
MUSIC_MIX_SNR_DB = (10, 4)
MUSIC_MIX_SPEECH_S = 40
QUIET_DB = -20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- data -------------------------------------------------------------------------------------

def licence_of(root, pkg, rel):
    """The License: of the DEP-5 stanza of the package's copyright file that covers rel (the
    last matching Files: pattern wins, as DEP-5 says); '' when the file is not machine-readable."""
    text = debmedia.licence(root, pkg)
    found = ""
    for stanza in re.split(r"\n\s*\n", text):
        m = re.search(r"^Files:(.*(?:\n[ \t].*)*)", stanza, re.M)
        lic = re.search(r"^License:\s*(.+)$", stanza, re.M)
        if not m or not lic:
            continue
        for pat in m.group(1).split():
            # stanzas name paths of the source tree; the installed file keeps its name
            base = os.path.basename(pat)
            if pat == "*" or fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, "*/" + pat) or (
                    base != "*" and fnmatch.fnmatch(os.path.basename(rel), base)):
                found = lic.group(1).strip()
    return found


def archive_members(root, archive, patterns):
    """The directory where the members of the zip archive (a path inside the unpacked package, as
    0ad-data ships its data in one zip) that match patterns are unpacked, beside root; a member
    is unpacked once, through a temporary name, so a run stopped halfway leaves no partial file."""
    import zipfile
    dest = os.path.join(os.path.dirname(root), "archive", archive.replace("/", "_"))
    with zipfile.ZipFile(os.path.join(root, archive)) as z:
        for info in z.infolist():
            out = os.path.join(dest, info.filename)
            if info.is_dir() or os.path.exists(out) or not any(fnmatch.fnmatch(info.filename, p) for p in patterns):
                continue
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(info) as a, open(out + ".part", "wb") as b:
                shutil.copyfileobj(a, b)
            os.replace(out + ".part", out)
    return dest


def source_files(root, src):
    """The files of source src in the unpacked package root, sorted per pattern, less those its
    "exclude" patterns name (debmedia.matching); with "archive", the patterns name members of
    that zip inside the package (archive_members)."""
    base = archive_members(root, src["archive"], src["files"]) if src.get("archive") else root
    return debmedia.matching(base, src["files"], src.get("exclude", ()))


def join_source(files, out, max_s, file_max_s, work):
    """Joins files into one 16 kHz mono FLAC (0.3 s of silence between), at most max_s seconds."""
    parts, total = [], 0.0
    for i, f in enumerate(files):
        if total >= max_s:
            break
        if f.endswith(".gz"):
            plain = os.path.join(work, "gz-%d-%s" % (i, os.path.basename(f)[:-3]))
            with gzip.open(f, "rb") as a, open(plain, "wb") as b:
                shutil.copyfileobj(a, b)
            f = plain
        d = debmedia.seconds(f)
        if d <= 0.05:
            continue
        take = min(d, file_max_s, max_s - total)
        parts.append((f, take))
        total += take + 0.3
    if not parts:
        return 0.0
    inputs, chains = [], []
    for i, (f, take) in enumerate(parts):
        inputs += ["-t", "%.3f" % take, "-i", f]
        chains.append("[%d:a]aformat=sample_rates=16000:channel_layouts=mono,apad=pad_dur=0.3[a%d]" % (i, i))
    graph = ";".join(chains) + ";" + "".join("[a%d]" % i for i in range(len(parts))) + \
        "concat=n=%d:v=0:a=1[out]" % len(parts)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[out]", "-ar", "16000", "-ac", "1", out], check=True)
    return total


PIPELINES_MODULE = "clipforge-pipelines.so"


def extractor_files(binary):
    """The files the extractor is made of: the binary and the pipelines module it opens (the
    extractor lives there), found where the binary looks for it: beside its real path, else in
    ../lib/clipforge."""
    exe = os.path.realpath(binary)
    here = os.path.dirname(exe)
    for module in (os.path.join(here, PIPELINES_MODULE), os.path.join(here, "..", "lib", "clipforge", PIPELINES_MODULE)):
        if os.path.exists(module):
            return [exe, os.path.realpath(module)]
    return [exe]


def extracted_is_current(binary, out_json):
    """Whether the inputs cached in out_json were extracted after every file of the extractor
    last changed (a module rebuilt without the binary is a new extractor)."""
    return os.path.exists(out_json) and all(os.path.getmtime(out_json) > os.path.getmtime(f)
                                            for f in extractor_files(binary))


def extract(binary, path, out_json, env):
    """Inputs of the classifier per hop from the C extractor (cached in out_json until the
    extractor changes)."""
    if not extracted_is_current(binary, out_json):
        subprocess.run([binary, "detect", "--input", path, "--no-cache", "--json", "--features-out", out_json,
                        "--event-inputs"], check=True, stdout=subprocess.DEVNULL, env=env)
    return extract_cached(out_json)


def labels(cls, loud, silence_below):
    y = np.full(len(loud), CLASSES.index(cls), dtype=np.int64)
    y[loud < silence_below] = CLASSES.index("silence")
    return y


# Training-side copies of every source (never evaluated on), as ffmpeg filters on the joined
# 16 kHz source: a telephone channel (three speech sources are 8 kHz prompts: bandwidth alone must
# not decide a class), two semitones up and down (with the tempo: 12 % faster / slower), a room,
# a bright and a dark microphone, harmonics made over 3 kHz and lifted (exciter: most speech
# sources are 4 kHz wide, the dubbed game speech and all music 8 kHz, so a wide voice is heard as
# music; measured: no gain), a hall (echoes to 0.26 s: a voice that holds its spectrum for a second,
# as the dubbed game voices do), pink noise 18 LU under the source, and the source 15 dB quieter
# (a quietly recorded voice is still a voice: only under the silence level is it silence).
COPIES = {
    "telephone": "highpass=f=300,lowpass=f=3400,highpass=f=300,lowpass=f=3400",
    "band-11k": "lowpass=f=5000,lowpass=f=5000",
    "pitch-up": "asetrate=17920,aresample=16000",
    "pitch-down": "asetrate=14240,aresample=16000",
    "reverb": "aecho=0.8:0.7:29|47|73|101:0.4|0.3|0.2|0.12",
    "hall": "aecho=0.8:0.85:37|61|89|127|163|211|263:0.55|0.45|0.38|0.3|0.24|0.18|0.13",
    "bright": "highpass=f=250,treble=g=8",
    "exciter": "aexciter=amount=6:freq=3000,treble=g=6:f=5000",
    "dark": "bass=g=8,treble=g=-10",
    "noisy": None,
    "soft": "volume=-15dB",
}
NOISE_UNDER_LU = 18
PINK_LUFS = -35.9  # integrated loudness of anoisesrc=color=pink:amplitude=0.1 at 16 kHz (ebur128)


def training_copy(args, d, kind, env, below):
    """The copy `kind` of source d, with its inputs and labels (silence by the copy's own level;
    in the noisy copy, the hops where the source itself is silent are left out: only the added
    noise is heard there, which is neither the source's class nor silence)."""
    path = "%s.%s.flac" % (d["flac"], kind)
    if not os.path.exists(path):
        if kind == "noisy":
            gain = d["lufs"] - NOISE_UNDER_LU - PINK_LUFS
            af = ["-i", d["flac"], "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.1:seed=7:sample_rate=16000",
                  "-filter_complex", "[1:a]volume=%.2fdB[b];[0:a][b]amix=inputs=2:duration=first:normalize=0" % gain]
        else:
            af = ["-i", d["flac"], "-af", COPIES[kind]]
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *af, "-ar", "16000", "-ac", "1", path],
                       check=True)
    _, x, loud = extract(args.bin, path, path + ".json", env)
    y = labels(d["class"], loud, below)
    if kind == "noisy":
        n = min(len(y), len(d["y"]))
        keep = d["y"][:n] != CLASSES.index("silence")
        x, y = x[:n][keep], y[:n][keep]
    return {"package": d["package"], "class": d["class"], "x": x, "y": y, "augmented": kind}


SAME_RECORDING = 0.8  # normalised cross-correlation over which two files are one recording
SAME_MAX_FILES = 40  # sources with more files (the speech prompt sets) are compared by bytes only
SAME_RATE = 4000


def decoded(path, work):
    """The first 30 s of path as mono 4 kHz samples (for comparing recordings)."""
    if path.endswith(".gz"):
        plain = os.path.join(work, "same-" + hashlib.md5(path.encode()).hexdigest() + os.path.basename(path)[:-3])
        with gzip.open(path, "rb") as a, open(plain, "wb") as b:
            shutil.copyfileobj(a, b)
        path = plain
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-t", "30", "-ac", "1", "-ar", str(SAME_RATE),
                        "-f", "f32le", "-"], capture_output=True)
    return np.frombuffer(r.stdout, dtype=np.float32)


def same_recording(x, y):
    """The highest normalised cross-correlation of two recordings at any offset (1: one is the
    other, re-encoded, resampled or trimmed)."""
    if len(x) < SAME_RATE // 10 or len(y) < SAME_RATE // 10:
        return 0.0
    n = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    cc = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(y, n)), n)
    return float(np.abs(cc).max() / np.sqrt(float((x * x).sum()) * float((y * y).sum()) + 1e-12))


def check_distinct(sources_files, work, reserved=()):
    """The same recording shipped by two packages would be on both sides of a split: byte-equal
    files, and (in sources of up to SAME_MAX_FILES files, and the event sources of the evaluation
    set in reserved) the same recording re-encoded by another package (SAME_RECORDING). Measured:
    four pairs of game sound effects are one recording in two packages."""
    seen = {}
    for pkg, files in sources_files:
        for f in files:
            with open(f, "rb") as fh:
                h = hashlib.md5(fh.read()).hexdigest()
            if seen.get(h, pkg) != pkg:
                sys.exit("%s and %s ship the same recording (%s): keep one" % (seen[h], pkg, os.path.basename(f)))
            seen[h] = pkg
    audio = [(pkg, f, decoded(f, work)) for pkg, files in list(sources_files) + list(reserved)
             if len(files) <= SAME_MAX_FILES for f in files]
    for i, (pa, fa, xa) in enumerate(audio):
        for pb, fb, xb in audio[i + 1:]:
            if pa == pb or max(len(xa), len(xb)) > 3 * min(len(xa), len(xb)):
                continue  # one package's own files, or lengths no trimming explains
            if same_recording(xa, xb) > SAME_RECORDING:
                sys.exit("%s (%s) and %s (%s) are the same recording: keep one" % (
                    pa, os.path.basename(fa), pb, os.path.basename(fb)))


def checked_distinct(sources_files, work, reserved=()):
    """check_distinct, skipped when these very files (paths, sizes, times) passed it before in
    work (it decodes and cross-correlates every pair of the small sources' files: minutes)."""
    key = hashlib.md5(json.dumps([SAME_RECORDING, SAME_MAX_FILES, SAME_RATE] + [
        [pkg, [(f, os.path.getsize(f), os.path.getmtime(f)) for f in files]]
        for pkg, files in list(sources_files) + list(reserved)]).encode()).hexdigest()
    passed = os.path.join(work, "distinct-%s" % key)
    if not os.path.exists(passed):
        check_distinct(sources_files, work, reserved)
        open(passed, "w").close()


def mixed_copy(args, d, bg, db, env, below, max_s=None):
    """Source d with bg (None: alone) under it, bg's loudness db under d's (None and db: d alone,
    db louder or quieter), at most max_s seconds of d. Labels: d's class where d itself is
    audible, else the background's class (or silence) by the copy's level. The copy belongs to
    both packages: it is left out of a fold's training when either is held out."""
    tag = ("gain%+d" % db if db != QUIET_DB else "quiet") if bg is None else "over-%s-%d" % (bg["package"], db)
    path = "%s.%s.flac" % (d["flac"], tag)
    head = ["-t", "%d" % max_s] if max_s else []
    if bg is None:
        af = [*head, "-i", d["flac"], "-af", "volume=%ddB" % db]
    else:  # the background looped under the source, its loudness db under the source's
        gain = d["lufs"] - db - bg["lufs"]
        af = [*head, "-i", d["flac"], "-stream_loop", "-1", "-i", bg["flac"], "-filter_complex",
              "[1:a]volume=%.2fdB[b];[0:a][b]amix=inputs=2:duration=first:normalize=0" % gain]
    if not extracted_is_current(args.bin, path + ".json"):
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *af, "-ar", "16000", "-ac", "1",
                        path], check=True)
    _, x, loud = extract(args.bin, path, path + ".json", env)
    n = min(len(x), len(d["y"]))
    y = labels(bg["class"] if bg else d["class"], loud[:n], below)
    y[d["y"][:n] != CLASSES.index("silence")] = CLASSES.index(d["class"])
    pkgs = {d["package"]} | ({bg["package"]} if bg else set())
    return {"package": d["package"], "packages": pkgs, "class": d["class"], "x": x[:n], "y": y, "augmented": tag}


def mixed_copies(args, data, manifest, env):
    """The training-side copies of MIX_CLASSES sources: over speech of another package at
    MIX_SNR_DB, and QUIET_DB quieter."""
    backgrounds = [d for d in data if d["class"] == "speech" and not d.get("augmented")
                   and d["package"] in manifest.get("mix_backgrounds", [])]
    out = []
    for d in data:
        if d["class"] not in MIX_CLASSES or d.get("augmented"):
            continue
        variants = [(bg, snr) for bg, snr in zip(backgrounds, MIX_SNR_DB) if bg["package"] != d["package"]]
        for bg, db in variants + [(None, QUIET_DB)]:
            out.append(mixed_copy(args, d, bg, db, env, manifest["silence_below_lufs"]))
    return out


def music_mixed_copies(args, data, manifest, env):
    """With --mix-music, training-side copies of the sources of the classes it names over the music of
    another package (mix_music_backgrounds of the manifest) at MUSIC_MIX_SNR_DB: a voice or a
    crowd over a soundtrack is still that voice or crowd (speech at most MUSIC_MIX_SPEECH_S
    seconds of each source, so the long speech sources do not outweigh the events)."""
    backgrounds = [d for d in data if d["class"] == "music" and not d.get("augmented")
                   and d["package"] in manifest.get("mix_music_backgrounds", [])]
    out = []
    for d in data:
        if d["class"] not in args.mix_music or d.get("augmented"):
            continue
        for bg, db in zip(backgrounds, MUSIC_MIX_SNR_DB):
            if bg["package"] != d["package"]:
                out.append(mixed_copy(args, d, bg, db, env, manifest["silence_below_lufs"],
                                      MUSIC_MIX_SPEECH_S if d["class"] == "speech" else None))
    return out


# ---- synthesised training sources (--synth) -----------------------------------------------------
# What the recordings lack, built for each fold from that fold's training packages only (a held-out
# package is never heard in them): laughter of several people (laughs of the training sources
# overlapped at random offsets, each faster or slower and at its own level), a crowd (many voices
# talking at once, or one line said by many voices out of step, over a crowd recording), applause
# of a larger audience (applause recordings overlapped and stretched). A fold's synthesised
# sources are used in that fold's training only; the final model's are made from every package.
SYNTH_RATE = 16000
SYNTH_S = 60  # seconds of each synthesised class per fold
SYNTH_SCENE_S = (3.0, 6.0)  # one scene: one mix of voices, at one level
SYNTH_LEVEL_DBFS = (-34.0, -14.0)  # RMS of a scene
SYNTH_RECIPES = {
    "laughter": {"from": "laughter", "voices": (3, 6), "speed": (0.85, 1.2), "gain_db": (-8.0, 0.0)},
    "applause": {"from": "applause", "voices": (3, 6), "speed": (0.8, 1.25), "gain_db": (-6.0, 0.0)},
    # unison: the share of scenes in which every voice says the same line out of step (a chant)
    "crowd": {"from": "speech", "voices": (8, 16), "speed": (0.9, 1.12), "gain_db": (-10.0, 0.0),
              "unison": 0.5, "bed": "crowd", "bed_db": (-6.0, 3.0)},
}


def decoded_source(d, cache):
    """The joined 16 kHz source of d as float samples (cached in cache by its path)."""
    if d["flac"] not in cache:
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", d["flac"], "-ac", "1", "-ar",
                            str(SYNTH_RATE), "-f", "f32le", "-"], capture_output=True, check=True)
        cache[d["flac"]] = np.frombuffer(r.stdout, dtype=np.float32)
    return cache[d["flac"]]


def synth_segment(rng, pool, n):
    """Up to n samples of one source of pool (a source drawn first, so each weighs the same),
    starting at an audible hop of it: (package, samples)."""
    pkg, audio, audible = pool[rng.integers(len(pool))]
    hop = SYNTH_RATE // 10
    start = int(audible[rng.integers(len(audible))]) * hop if len(audible) else 0
    return pkg, audio[start:start + n]


def stretched(x, speed):
    """x played speed times faster (pitch and tempo together, as a tape)."""
    if len(x) < 2 or speed == 1.0:
        return x
    t = np.arange(0, len(x) - 1, speed)
    return np.interp(t, np.arange(len(x)), x).astype(np.float32)


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def synth_scene(rng, recipe, pool, beds, n):
    """One scene of n samples after recipe (SYNTH_RECIPES) from the (package, samples, audible
    hops) of pool and beds: the packages it used and the samples."""
    out, used = np.zeros(n, dtype=np.float32), set()
    unison = rng.random() < recipe.get("unison", 0.0)
    line = synth_segment(rng, pool, n) if unison else None
    for _ in range(int(rng.integers(recipe["voices"][0], recipe["voices"][1] + 1))):
        pkg, seg = line if unison else synth_segment(rng, pool, n)
        speed = rng.uniform(0.97, 1.03) if unison else rng.uniform(*recipe["speed"])
        seg = stretched(seg, speed)[:n]
        if rms(seg) < 1e-5:
            continue
        seg = seg / rms(seg) * 10 ** (rng.uniform(*recipe["gain_db"]) / 20)
        at = int(rng.integers(0, int(0.15 * SYNTH_RATE))) if unison else int(rng.integers(0, max(1, n - len(seg) // 2)))
        seg = seg[:n - at]
        out[at:at + len(seg)] += seg
        used.add(pkg)
    if recipe.get("bed") and beds and rms(out) > 0:
        pkg, bed = synth_segment(rng, beds, n)
        if rms(bed) > 1e-5:
            bed = np.resize(bed, n)  # looped when shorter than the scene
            out += bed / rms(bed) * rms(out) * 10 ** (rng.uniform(*recipe["bed_db"]) / 20)
            used.add(pkg)
    level = rms(out)
    if level > 0:
        out *= 10 ** (rng.uniform(*SYNTH_LEVEL_DBFS) / 20) / level
    return used, np.clip(out, -1.0, 1.0)


def synth_audio(rng, cls, sources, seconds):
    """seconds of class cls made after SYNTH_RECIPES[cls] from sources (dicts with package, class,
    samples, audible: the hops over the silence level): the packages used and the samples."""
    recipe = SYNTH_RECIPES[cls]
    pick = lambda c: [(s["package"], s["samples"], s["audible"]) for s in sources if s["class"] == c]
    pool, beds = pick(recipe["from"]), pick(recipe["bed"]) if recipe.get("bed") else []
    if not pool:
        return set(), np.zeros(0, dtype=np.float32)
    scenes, used, total = [], set(), 0
    while total < seconds * SYNTH_RATE:
        n = int(rng.uniform(*SYNTH_SCENE_S) * SYNTH_RATE)
        pkgs, x = synth_scene(rng, recipe, pool, beds, n)
        scenes.append(x)
        used |= pkgs
        total += n
    return used, np.concatenate(scenes)


def write_wav(path, x):
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SYNTH_RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def synth_sources(args, data, folds, env, below):
    """The synthesised training sources of every fold (folds: the held-out packages of each) and
    of the final model (fold -1, from every package): for each class of args.synth, SYNTH_S
    seconds made from the fold's training packages only. Each is marked with its fold and the
    packages it used (never one held out in that fold)."""
    cache, out = {}, []
    plain = [d for d in data if not d.get("augmented")]
    hop = SYNTH_RATE // 10
    for k, held in list(enumerate(folds)) + [(-1, [])]:
        sources = [{"package": d["package"], "class": d["class"], "samples": decoded_source(d, cache),
                    "audible": np.flatnonzero(d["y"] != CLASSES.index("silence"))}
                   for d in plain if d["package"] not in held]
        for s in sources:  # an audible hop must start a segment inside the samples
            s["audible"] = s["audible"][s["audible"] * hop < len(s["samples"])]
        for cls in args.synth:
            tag = hashlib.md5(json.dumps([cls, sorted(held), SYNTH_RECIPES[cls], SYNTH_S, SYNTH_SCENE_S,
                                          SYNTH_LEVEL_DBFS, args.synth_seed,
                                          sorted(s["package"] for s in sources)]).encode()).hexdigest()[:10]
            path = os.path.join(args.work, "synth-%s-fold%d-%s.wav" % (cls, k, tag))
            rng = np.random.default_rng([args.synth_seed, k + 1, CLASSES.index(cls)])
            used, x = synth_audio(rng, cls, sources, SYNTH_S)
            if not len(x):
                continue
            assert not used & set(held), "a held-out package in a fold's synthesised source"
            if not os.path.exists(path):
                write_wav(path, x)
            _, feats, loud = extract(args.bin, path, path + ".json", env)
            out.append({"package": "synth-" + cls, "packages": used, "class": cls, "x": feats,
                        "y": labels(cls, loud, below), "augmented": "synth", "fold": k})
            log("  synthesised %-8s fold %2d: %d packages, %.0f s" % (cls, k, len(used), len(x) / SYNTH_RATE))
    return out


def in_training(d, held, k):
    """Whether part d trains fold k's model (k -1: the final model, held empty): no package of it
    held out, and a synthesised source only in the fold it was made for."""
    return not (d.get("packages", {d["package"]}) & set(held)) and d.get("fold", k) == k


def files_digest(root, files):
    """SHA-256 over the files a source was made of (each one's path inside the package and the
    SHA-256 of its bytes, in the order joined): two models whose sources have one digest heard the
    same recordings."""
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            h.update(("%s %s\n" % (os.path.relpath(f, root), hashlib.sha256(fh.read()).hexdigest())).encode())
    return h.hexdigest()


def manifest_sources(manifest, candidates=False):
    """The manifest's sources that train and are evaluated: those marked "candidate" (recordings
    labelled and measured, not kept in training; the mark says why) only with candidates."""
    return [s for s in manifest["sources"] if candidates or not s.get("candidate")]


def evaluation_sources(manifest):
    """The sources (package, role, files) of the evaluation sets the manifest names
    (evaluation_manifests: the real-footage sets, the tones set); exits when one of their packages
    is also a training source's: evaluation sets stay apart from training sets."""
    out = []
    for rel in manifest.get("evaluation_manifests", []):
        with open(os.path.join(ROOT, rel)) as f:
            m = json.load(f)
        out += m.get("sources", []) + m.get("items", [])
    clash = sorted({s["package"] for s in out} & {s["package"] for s in manifest["sources"]})
    if clash:
        sys.exit("packages of an evaluation set cannot be trained on: %s" % ", ".join(clash))
    return out


def load_data(args):
    with open(args.manifest, "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)
    args.manifest_sha256 = hashlib.sha256(raw).hexdigest()
    eval_sources = evaluation_sources(manifest)
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, CLIPFORGE_LOG_LEVEL="error")
    data, names, meta, all_files = [], None, [], []
    below = manifest["silence_below_lufs"]
    for k, src in enumerate(manifest_sources(manifest, args.candidates)):
        root = debmedia.fetch(args.cache, src["package"])
        if root is None:
            sys.exit("cannot fetch %s" % src["package"])
        files = source_files(root, src)
        if not files:
            sys.exit("%s: no file matches %s" % (src["package"], src["files"]))
        all_files.append((src["package"], files))
        lics = sorted({licence_of(root, src["package"], os.path.relpath(f, root)) or "?" for f in files})
        flac = os.path.join(args.work, "%s-%s.flac" % (src["class"], src["package"]))
        listing = "\n".join(files) + "\n%s %s\n" % (src.get("max_s", 120), src.get("file_max_s", 30))
        if not os.path.exists(flac) or not os.path.exists(flac + ".files") or open(flac + ".files").read() != listing:
            for stale in glob.glob(flac + "*"):  # the join, its copies and their inputs
                os.remove(stale)
            join_source(files, flac, src.get("max_s", 120), src.get("file_max_s", 30), args.work)
            with open(flac + ".files", "w") as f:
                f.write(listing)
        names, x, loud = extract(args.bin, flac, flac + ".json", env)
        with open(flac + ".json") as f:
            lufs = json.load(f)["integrated_lufs"]
        y = labels(src["class"], loud, below)
        data.append({"package": src["package"], "class": src["class"], "x": x, "y": y, "flac": flac, "lufs": lufs})
        source = data[-1]
        for kind in args.copies:
            if args.copy_classes.get(kind) is None or src["class"] in args.copy_classes[kind]:
                data.append(training_copy(args, source, kind, env, below))
        meta.append({"package": src["package"], "class": src["class"], "files": len(files),
                     "seconds": round(float(len(x)) / 10, 1), "licence_manifest": src["licence"],
                     "licence_copyright_file": "; ".join(lics), "what": src.get("what", ""),
                     "files_sha256": files_digest(root, files)})
        log("  %-9s %-28s %3d files %6.1f s (%d silence hops) licence: %s" % (
            src["class"], src["package"], len(files), len(x) / 10, int((y == 5).sum()), "; ".join(lics)))
    reserved_files = []  # the evaluation set's crowd, applause and laughter: no training copy of them
    for src in eval_sources:
        if src.get("role") in MIX_CLASSES and src.get("role") != "noise":
            root = debmedia.fetch(args.cache, src["package"])
            if root is None:
                sys.exit("cannot fetch %s" % src["package"])
            reserved_files.append((src["package"], source_files(root, src)))
    checked_distinct(all_files, args.work, reserved_files)
    if args.mix:
        data += mixed_copies(args, data, manifest, env)
    if args.mix_music:
        data += music_mixed_copies(args, data, manifest, env)
    return names, data, meta, manifest


# What the extractor said of every input file this run read (path -> its extractor version and the
# gain a quiet recording was analysed with): the model file records it (extractor_record).
EXTRACTED = {}


def extract_cached(path):
    with open(path) as f:
        t = json.load(f)
    EXTRACTED[path] = (t.get("extractor_version"), float(t.get("gain_db") or 0.0))
    names = t["features"]
    loud = np.array([r[names.index("loudness_momentary")] for r in t["rows"]], dtype=np.float32)
    return t["event_inputs"]["names"], np.array(t["event_inputs"]["rows"], dtype=np.float32), loud


# ---- model ------------------------------------------------------------------------------------

def sample_weights(parts, balance=1.0):
    """Within a class, equal weight per source (package); classes weighted by their share of the
    hops to the power 1 - balance (balance 1: every class equal; 0: as often as they occur)."""
    w = []
    per_class = {}
    for p in parts:
        for c in np.unique(p["y"]):
            per_class.setdefault(int(c), set()).add(p["package"])
    for p in parts:
        pw = np.zeros(len(p["y"]), dtype=np.float64)
        for c in np.unique(p["y"]):
            m = p["y"] == c
            pw[m] = p.get("weight", 1.0) / (m.sum() * len(per_class[int(c)]))
        w.append(pw)
    w = np.concatenate(w)
    y = np.concatenate([p["y"] for p in parts])
    share = np.bincount(y, minlength=len(CLASSES)) / len(y)
    w *= np.power(np.maximum(share[y], 1e-9), 1.0 - balance)
    return w / w.sum()


def train(x, y, w, hidden=32, epochs=300, lr=0.02, l2=1e-3, seed=1, stride=4, hidden2=0, dropout=0.0,
          noise=0.0):
    """Full-batch Adam on every stride-th hop (neighbouring hops share most of their window).
    One hidden ReLU layer of `hidden` units, or two with hidden2 > 0; dropout (the share of hidden
    units silenced in each step) and noise (Gaussian, in standard deviations of each input, added
    anew in each step) are used in training only."""
    x, y, w = x[::stride].astype(np.float32), y[::stride], w[::stride].astype(np.float32)
    w = w / w.sum()
    rng = np.random.default_rng(seed)
    mean, std = x.mean(0), x.std(0)
    std[std < 1e-6] = 1.0
    z = (x - mean) / std
    n_out = len(CLASSES)
    sizes = [z.shape[1], hidden] + ([hidden2] if hidden2 else []) + [n_out]
    params = []
    for k in range(len(sizes) - 1):
        scale = np.sqrt((1.0 if k == len(sizes) - 2 else 2.0) / sizes[k])
        params += [rng.normal(0, scale, (sizes[k], sizes[k + 1])).astype(np.float32),
                   np.zeros(sizes[k + 1], dtype=np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(n_out, dtype=np.float32)[y]
    n_layers = len(params) // 2
    for t in range(1, epochs + 1):
        a = z + rng.normal(0, noise, z.shape).astype(np.float32) if noise else z
        acts, masks = [a], []
        for k in range(n_layers - 1):
            h = np.maximum(acts[-1] @ params[2 * k] + params[2 * k + 1], 0)
            if dropout:
                mask = (rng.random(h.shape) >= dropout).astype(np.float32) / (1.0 - dropout)
                h = h * mask
                masks.append(mask)
            acts.append(h)
        logits = acts[-1] @ params[-2] + params[-1]
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) * w[:, None]  # weighted cross-entropy gradient
        grads = [None] * len(params)
        for k in range(n_layers - 1, -1, -1):
            grads[2 * k] = acts[k].T @ g + l2 * params[2 * k]
            grads[2 * k + 1] = g.sum(0)
            if k:
                g = (g @ params[2 * k].T) * (acts[k] > 0)
                if dropout:
                    g = g * masks[k - 1]
        for i, gr in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            params[i] -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return {"mean": mean, "std": std, "layers": [(params[2 * k], params[2 * k + 1]) for k in range(n_layers)]}


def predict(model, x):
    h = (x - model["mean"]) / model["std"]
    for k, (w, b) in enumerate(model["layers"]):
        h = h @ w + b
        if k < len(model["layers"]) - 1:
            h = np.maximum(h, 0)
    h -= h.max(1, keepdims=True)
    p = np.exp(h)
    p /= p.sum(1, keepdims=True)
    if model.get("silence_below") is not None:
        p = silence_by_level(p, x[:, model["level_now"]], model["silence_below"])
    return p


def silence_by_level(p, level, below):
    """Silence is a level, as the labels say: a hop under `below` (momentary loudness, the input
    level_now) is silence; over it, the other classes share the probability (the C classifier
    does the same for a model whose file names silence_below_lufs)."""
    p = p.copy()
    quiet = level < below
    p[:, CLASSES.index("silence")] = 0.0
    p /= np.maximum(p.sum(1, keepdims=True), 1e-12)
    p[quiet] = np.eye(len(CLASSES), dtype=p.dtype)[CLASSES.index("silence")]
    return p


def fit(parts, args):
    """A model trained on parts (dicts with x, y, package): with --silence-by-level the silent hops
    are left out (the level decides them) and the model carries that rule."""
    if args.silence_by_level:
        silent = CLASSES.index("silence")
        parts = [dict(p, x=p["x"][p["y"] != silent], y=p["y"][p["y"] != silent]) for p in parts]
    x, y, w = (np.concatenate([d["x"] for d in parts]), np.concatenate([d["y"] for d in parts]),
               sample_weights(parts, args.balance))
    opts = fit_options(args)
    members = [train(x, y, w, **dict(opts, seed=args.seed + k)) for k in range(getattr(args, "ensemble", 1))]
    model = members[0] if len(members) == 1 else packed(members)
    if args.silence_by_level:
        model.update(silence_below=args.silence_below, level_now=args.names.index("level_now"))
    return model


def packed(members):
    """One network that is the ensemble of members (same inputs and standardisation, one hidden
    layer each): their hidden units side by side and their output logits averaged, so its softmax
    is the normalised geometric mean of theirs. The C classifier reads it as any one-layer model."""
    assert all(len(m["layers"]) == 2 for m in members), "an ensemble packs networks of one hidden layer"
    for m in members[1:]:
        assert np.array_equal(m["mean"], members[0]["mean"]) and np.array_equal(m["std"], members[0]["std"])
    k = float(len(members))
    w1 = np.concatenate([m["layers"][0][0] for m in members], axis=1)
    b1 = np.concatenate([m["layers"][0][1] for m in members])
    w2 = np.concatenate([m["layers"][1][0] for m in members], axis=0) / k
    b2 = np.sum([m["layers"][1][1] for m in members], axis=0) / k
    return {"mean": members[0]["mean"], "std": members[0]["std"], "layers": [(w1, b1), (w2.astype(np.float32),
                                                                                     b2.astype(np.float32))]}


def model_from_json(j):
    """A model file (as model_json writes it) back into arrays: (input names, model)."""
    a = lambda v: np.array(v, dtype=np.float32)
    model = {"mean": a(j["mean"]), "std": a(j["std"]), "layers": [(a(l["weights"]), a(l["bias"])) for l in j["layers"]]}
    if j.get("silence_below_lufs") is not None:
        model.update(silence_below=j["silence_below_lufs"], level_now=j["inputs"].index("level_now"))
    return j["inputs"], model


def decisions(p, y):
    """Per 500 ms: the likeliest class of the mean probabilities; the truth is the majority label."""
    out_p, out_y = [], []
    for i in range(0, len(y), DECISION_HOPS):
        out_p.append(int(np.argmax(p[i:i + DECISION_HOPS].mean(0))))
        out_y.append(int(np.bincount(y[i:i + DECISION_HOPS], minlength=len(CLASSES)).argmax()))
    return np.array(out_p), np.array(out_y)


def scores(pred, truth):
    rows, f1s = [], []
    for c in range(len(CLASSES)):
        tp = int(((pred == c) & (truth == c)).sum())
        fp = int(((pred == c) & (truth != c)).sum())
        fn = int(((pred != c) & (truth == c)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"class": CLASSES[c], "precision": p, "recall": r, "f1": f, "support": tp + fn})
        f1s.append(f)
    return rows, float(np.mean(f1s))


def fit_options(args):
    return {"hidden": args.hidden, "hidden2": args.hidden2, "dropout": args.dropout, "noise": args.noise,
            "epochs": args.epochs, "l2": args.l2, "seed": args.seed}


def fold_packages(packages, n, pinned):
    """The packages of each of n folds: a package the manifest pins (its "folds": package -> fold
    number from 0, used when n is the manifest's "fold_count") stays in its fold, so a package
    added later moves no other package to another fold and figures before and after it compare
    on the same split; the rest are dealt out in sorted order (packages[k::n])."""
    folds = [[] for _ in range(n)]
    rest = [p for p in packages if p not in pinned]
    for p in packages:
        if p in pinned:
            folds[pinned[p]].append(p)
    for k in range(n):
        folds[k] += rest[k::n]
    return [sorted(f) for f in folds]


# The bedded evaluation (held_out, beside the plain one): every held-out source is also classified
# laid over a bed, as a sound is heard in real footage, not as a short clip in digital silence:
# BED_DB under the source's loudness (integrated, over its audible parts), looped, a source of
# another package held out in the same fold (so no model has heard the bed): a speech source
# over that fold's noise (BED_CLASS), every other source over that fold's speech, the first such
# package in name order. Labels as in mixed_copy: the source's class where the source alone is
# audible, elsewhere the bed's class, or silence by the mix's own level.
BED_DB = 15
BED_CLASS = {"speech": "noise"}


def bed_of(d, sources, held):
    """The bed of held-out source d among sources (unaugmented parts), or None when its fold has
    no source of the bed's class from another package."""
    want = BED_CLASS.get(d["class"], "speech")
    beds = sorted((b for b in sources if b["class"] == want and b["package"] in held and b["package"] != d["package"]),
                  key=lambda b: b["package"])
    return beds[0] if beds else None


def bedded(args, d, sources, held):
    """Held-out source d over its bed (bed_of), as a part with x and y; None without a bed."""
    bed = bed_of(d, sources, held)
    if bed is None:
        return None
    part = mixed_copy(args, d, bed, BED_DB, dict(os.environ, CLIPFORGE_LOG_LEVEL="error"), args.silence_below)
    return dict(part, x=part["x"][:, args.columns])


def pooled(parts):
    """Scores of pooled held-out decisions [(part, pred, truth)]: rows, macro-F1, confusion,
    per source (class, package, non-silent decisions, share right, counts decided)."""
    pred = np.concatenate([pp for _, pp, _ in parts])
    truth = np.concatenate([tt for _, _, tt in parts])
    rows, macro = scores(pred, truth)
    conf = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for a, b in zip(truth, pred):
        conf[a, b] += 1
    per_source = []
    for d, pp, tt in parts:
        keep = tt != CLASSES.index("silence")
        acc = float((pp[keep] == tt[keep]).mean()) if keep.any() else float("nan")
        per_source.append((d["class"], d["package"], int(keep.sum()), acc,
                           np.bincount(pp[keep], minlength=len(CLASSES)) if keep.any() else None))
    return rows, macro, conf, per_source


def held_out(data, args, beds=False):
    """Grouped k-fold by package: each package is in the test side of exactly one fold and never
    in that fold's training side (its telephone copies go with it). The scores of the held-out
    sources as they are (rows, macro-F1, confusion, per source) and, with beds, of the same
    sources over their beds (bedded; None without beds)."""
    folds = fold_packages(sorted({d["package"] for d in data if not d.get("augmented")}), args.folds, args.fold_of)
    sources = [d for d in data if not d.get("augmented")]
    plain, over = [], []
    for k, held in enumerate(folds):
        tr = [d for d in data if in_training(d, held, k)]
        te = [d for d in sources if d["package"] in held]
        model = fit(tr, args)
        for d in te:
            plain.append((d, *decisions(predict(model, d["x"]), d["y"])))
            b = bedded(args, d, sources, held) if beds else None
            if beds and b is None:
                sys.exit("%s (%s): its fold has no bed" % (d["package"], d["class"]))
            if b is not None:
                over.append((d, *decisions(predict(model, b["x"]), b["y"])))
        log("  fold %d/%d: %s held out" % (k + 1, args.folds, ", ".join(held)))
    args.without = scored_without(args, plain, over if beds else None)
    return pooled(plain), (pooled(over) if beds else None)


def scored_without(args, plain, over):
    """--score-without: the pooled figures of every held-out source but those packages' (as they
    are, over beds), so a run that adds sources is compared with one without them on the same
    decisions; None without the option."""
    skip = {p for p in getattr(args, "score_without", "").split(",") if p}
    if not skip:
        return None
    out = {}
    for name, parts in [("as they are", plain), ("over beds", over)]:
        if parts:
            rows, macro, _, _ = pooled([q for q in parts if q[0]["package"] not in skip])
            out[name] = (rows, macro)
            log("  without %s, %s: macro-F1 %.3f (%s)" % (", ".join(sorted(skip)), name, macro,
                                                        ", ".join("%s %.2f" % (r["class"], r["f1"]) for r in rows)))
    return out


def figures(rows, macro):
    """Held-out figures as a model file keeps them."""
    return {"macro_f1": round(macro, 3),
            "per_class": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()} for row in rows]}


def model_json(model, names, version, meta, rows, macro, args, on_beds=None):
    r = lambda a: [round(float(v), 6) for v in a]
    return {
        "kind": "audio-events",
        "version": version,
        "classes": CLASSES,
        "inputs": names,
        "mean": r(model["mean"]),
        "std": r(model["std"]),
        "layers": [
            {"activation": "softmax" if k == len(model["layers"]) - 1 else "relu",
             "weights": [r(row) for row in w], "bias": r(b)} for k, (w, b) in enumerate(model["layers"])
        ],
        **({"silence_below_lufs": model["silence_below"]} if model.get("silence_below") is not None else {}),
        "training": {
            "script": "apps/ai/training/train_audio_events.py",
            "manifest": "apps/ai/training/audio-events-data.json",
            "trained": time.strftime("%Y-%m-%d"),
            **recipe_record(args),
            "hidden_units": [args.hidden, args.hidden2] if args.hidden2 else args.hidden,
            **({"ensemble": {"networks": args.ensemble, "seeds": [args.seed + k for k in range(args.ensemble)],
                             "packed": "hidden units side by side, logits averaged"}}
               if getattr(args, "ensemble", 1) > 1 else {}),
            "dropout": args.dropout, "input_noise": args.noise, "epochs": args.epochs, "l2": args.l2, "class_balance": args.balance,
            "decision_ms": DECISION_HOPS * 100, "held_out_folds": args.folds,
            "training_copies": {
                "every_source": {k: ("pink noise %d LU under the source" % NOISE_UNDER_LU if k == "noisy" else COPIES[k])
                                 for k in args.copies},
                **({"only_classes": {k: sorted(c) for k, c in args.copy_classes.items() if c is not None}}
                   if any(c is not None for c in getattr(args, "copy_classes", {}).values()) else {}),
                "over_speech": None if not args.mix else {"classes": list(MIX_CLASSES), "snr_db": list(MIX_SNR_DB),
                                                         "backgrounds": args.mix_backgrounds},
                "quiet_db": None if not args.mix else QUIET_DB,
                "synthesised": None if not getattr(args, "synth", None) else {
                    "seconds": SYNTH_S, "scene_s": list(SYNTH_SCENE_S), "level_dbfs": list(SYNTH_LEVEL_DBFS),
                    "recipes": {c: SYNTH_RECIPES[c] for c in args.synth}, "seed": args.synth_seed,
                    "weight": args.synth_weight},
                "over_music": None if not args.mix_music else {
                    "classes": args.mix_music, "snr_db": list(MUSIC_MIX_SNR_DB),
                    "speech_s": MUSIC_MIX_SPEECH_S, "backgrounds": args.mix_music_backgrounds},
            },
            "held_out_by_source": figures(rows, macro),
            **({"held_out_over_beds": dict(figures(*on_beds[:2]), bed_db=BED_DB,
                                           bed="speech of another package of the fold; under speech, its noise")}
               if on_beds else {}),
            "sources": meta,
        },
    }


# Options that change nothing a model learns (where files are, what is written where).
UNRECORDED_OPTIONS = ("--bin", "--cache", "--work", "--out", "--report", "--score-without")


def extractor_record():
    """The extractor versions of the inputs this run read, and those analysed louder (detection
    analyses a quiet recording again, made louder, and so does extraction): a run whose inputs
    came from another extractor, or were analysed otherwise, says so."""
    return {"versions": sorted({v for v, _ in EXTRACTED.values() if v is not None}),
            "analysed_louder": [{"input": os.path.basename(p), "gain_db": round(g, 1)}
                                for p, (_, g) in sorted(EXTRACTED.items()) if g > 0]}


def recipe_record(args):
    """What a model file records of how it was made, beside the sources: the seed, the extractor
    (extractor_record), the input set (the recipe, the inputs dropped, whether the candidate
    sources were in), the SHA-256 of the manifest's bytes, and the trainer's options (those of
    UNRECORDED_OPTIONS left out)."""
    argv, options = list(getattr(args, "argv", [])), []
    while argv:
        a = argv.pop(0)
        if a.split("=", 1)[0] in UNRECORDED_OPTIONS:
            if "=" not in a and argv:
                argv.pop(0)
            continue
        options.append(a)
    return {"seed": args.seed,
            "extractor": extractor_record(),
            "input_set": {"recipe": getattr(args, "inputs", "all"),
                          "dropped": [n for n in getattr(args, "drop_inputs", "").split(",") if n],
                          "candidates": bool(getattr(args, "candidates", False))},
            "manifest_sha256": getattr(args, "manifest_sha256", None),
            "options": options}


def report(path, rows, macro, conf, per_source, meta, version, folds, base=None, on_beds=None, without=None,
           without_pkgs=()):
    lines = ["# Audio events: held out by source", "",
             "Model `audio-events-%s` (`apps/ai/models/audio-events-%s.json`), trained by "
             "`apps/ai/training/train_audio_events.py` on the real recordings of "
             "`apps/ai/training/audio-events-data.json` (%d sources from %d Debian packages, %.0f s)." % (
                 version, version, len(meta), len({m["package"] for m in meta}), sum(m["seconds"] for m in meta)),
             "",
             "",
             "Evaluation: grouped %d-fold by package. Each package's recordings are classified by a model trained "
             "on the packages of the other folds, so no recording (and no package) is on both sides; the figures "
             "pool every held-out 500 ms decision (the telephone-band copies, and with --mix the mixed and quiet copies, are used in training only; a mixed copy is left out of a fold's training when its background's package is held out). Silence is labelled by level (momentary loudness under -50 LUFS) in every "
             "source. Goal: macro-F1 >= 0.85." % folds, "",
             "| class | precision | recall | F1 | decisions |" + (" F1 of the v2 recipe, same run |" if base else ""),
             "|---|---|---|---|---|" + ("---|" if base else "")]
    for i, row in enumerate(rows):
        lines.append("| %s | %.2f | %.2f | %.2f | %d |" % (row["class"], row["precision"], row["recall"], row["f1"],
                                                           row["support"]) + (" %.2f |" % base[0][i]["f1"] if base else ""))
    lines += ["", "**macro-F1 %.3f**" % macro + (" (the v2 recipe, window inputs, telephone copies only and class balance 0.5, on the same data and folds: %.3f)" % base[1] if base else ""),
              "", "Confusion (rows: truth, columns: decided):", "",
              "| | " + " | ".join(CLASSES) + " |", "|---" * (len(CLASSES) + 1) + "|"]
    for i, c in enumerate(CLASSES):
        lines.append("| %s | %s |" % (c, " | ".join(str(v) for v in conf[i])))
    lines += ["", "Per source (non-silent decisions; what the held-out model decided):", "",
              "| class | package | decisions | right | decided as |", "|---|---|---|---|---|"]
    for cls, pkg, n, acc, counts in per_source:
        if counts is None:
            continue
        top = ", ".join("%s %d" % (CLASSES[i], counts[i]) for i in np.argsort(-counts) if counts[i])
        lines.append("| %s | %s | %d | %.2f | %s |" % (cls, pkg, n, acc, top))
    if on_beds:
        b_rows, b_macro, b_conf, b_per = on_beds
        lines += ["", "Over beds (BED_DB = %d dB under each held-out source, looped: a speech source over the noise, "
                  "any other over the speech, of another package held out in its fold; labels: the source's class "
                  "where it alone is audible, else the bed's, or silence by level):" % BED_DB, "",
                  "| class | precision | recall | F1 | decisions | F1 as they are |", "|---|---|---|---|---|---|"]
        for row, plain in zip(b_rows, rows):
            lines.append("| %s | %.2f | %.2f | %.2f | %d | %.2f |" % (row["class"], row["precision"], row["recall"],
                                                                    row["f1"], row["support"], plain["f1"]))
        lines += ["", "**macro-F1 over beds %.3f** (as they are: %.3f)" % (b_macro, macro), "",
                  "| class | package | decisions over its bed | right | decided as |", "|---|---|---|---|---|"]
        for cls, pkg, n, acc, counts in b_per:
            if counts is not None:
                top = ", ".join("%s %d" % (CLASSES[i], counts[i]) for i in np.argsort(-counts) if counts[i])
                lines.append("| %s | %s | %d | %.2f | %s |" % (cls, pkg, n, acc, top))
    for name, (w_rows, w_macro) in (without or {}).items():
        lines += ["", "Without %s (`--score-without`), %s: **macro-F1 %.3f**; F1 %s" % (
            ", ".join(sorted(p for p in without_pkgs)), name, w_macro,
            ", ".join("%s %.2f" % (r["class"], r["f1"]) for r in w_rows))]
    lines += ["", "Sources and licences (from each package's copyright file):", "",
              "| class | package | files | seconds | licence | what |", "|---|---|---|---|---|---|"]
    for m in meta:
        lines.append("| %s | %s | %d | %.1f | %s | %s |" % (m["class"], m["package"], m["files"], m["seconds"],
                                                           m["licence_copyright_file"] or m["licence_manifest"],
                                                           m["what"]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# The inputs each model version added (by name part): an older version's recipe leaves out those
# of the versions after it.
ADDED_INPUTS = [(4, ("pitch_",)), (5, ("persistence", "rhythm_")), (7, ("long_",)), (8, ("voice_",))]
# Recipes that take an older version's inputs and one later group: v6v is v6 with the voice inputs.
RECIPE_EXTRA = {"v6v": (6, ("voice_",))}


def recipe_inputs(names, recipe):
    """Indices of names that the recipe (window, v3, v4, v6, v6v) uses."""
    if recipe in RECIPE_EXTRA:
        version, extra = RECIPE_EXTRA[recipe]
    else:
        version, extra = 3 if recipe == "window" else int(recipe[1:]), ()
    later = [part for v, parts in ADDED_INPUTS if v > version for part in parts if part not in extra]
    keep = [i for i, n in enumerate(names) if not any(part in n for part in later)]
    if recipe == "window":
        keep = [i for i in keep if not names[i].startswith("ctx_") and names[i] != "level_now"]
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--manifest", default=os.path.join(HERE, "audio-events-data.json"))
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--work", default="/tmp/cf-audio-events")
    ap.add_argument("--version", default="v3")
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", default=None)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--hidden2", type=int, default=0, help="units of a second hidden layer (0: one layer)")
    ap.add_argument("--dropout", type=float, default=0.0, help="share of hidden units dropped in training")
    ap.add_argument("--noise", type=float, default=0.0,
                    help="Gaussian noise added to the standardised inputs in training (standard deviations)")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1, help="of the initial weights, dropout and input noise")
    ap.add_argument("--ensemble", type=int, default=1,
                    help="networks trained with seeds seed .. seed + N - 1 and packed into one (packed): their "
                         "hidden units side by side, their logits averaged (one hidden layer only)")
    ap.add_argument("--balance", type=float, default=0.75,
                    help="1: every class weighs the same in training; 0: as often as it occurs")
    ap.add_argument("--folds", type=int, default=4, help="grouped by package")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--score-without", default="",
                    help="also score the held-out decisions of every source but these packages' (comma-separated)")
    ap.add_argument("--no-beds", action="store_true",
                    help="held out as the sources are only, not also over beds (BED_DB, bed_of)")
    ap.add_argument("--mix", action="store_true",
                    help="add the mixed and quiet training copies (measured: no gain held out, and the laughter "
                         "copies over speech teach the model to hear laughter in plain speech)")
    ap.add_argument("--mix-music", default="",
                    help="classes (comma-separated) whose sources are also used over music of another package "
                         "(mix_music_backgrounds of the manifest), in training only")
    ap.add_argument("--silence-by-level", action="store_true",
                    help="silence is decided by the level (momentary loudness under the manifest's "
                         "silence_below_lufs, as the labels are), the model the other classes; written "
                         "into the model file as silence_below_lufs")
    ap.add_argument("--synth", default="",
                    help="classes (comma-separated: %s) for which each fold's training gets sources synthesised "
                         "from its own training packages (SYNTH_RECIPES)" % ", ".join(SYNTH_RECIPES))
    ap.add_argument("--synth-seed", type=int, default=1, help="of the synthesised sources")
    ap.add_argument("--synth-weight", type=float, default=1.0,
                    help="a synthesised source weighs as this many recorded sources of its class")
    ap.add_argument("--candidates", action="store_true",
                    help="also the manifest's candidate sources (labelled, measured and not kept in training)")
    ap.add_argument("--copies", default="telephone",
                    help="training-side copies of every source (kind:class+class: of those classes' sources "
                         "only), comma-separated: " + ", ".join(COPIES))
    ap.add_argument("--baseline", action="store_true",
                    help="also evaluate the v2 recipe on the same data and folds, side by side in the report")
    ap.add_argument("--inputs", default="all", choices=["all", "window", "v3", "v4", "v6", "v6v"],
                    help="window: the 1.1 s window's inputs of v3 alone (as v1/v2), v3 / v4 / v6: the inputs those "
                         "versions had (ADDED_INPUTS), v6v: v6's and the voice inputs, all: every input the "
                         "extractor has")
    ap.add_argument("--drop-inputs", default="",
                    help="inputs (comma-separated names) left out after --inputs, to measure what they bring")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    args.bin = os.path.abspath(args.bin)
    copies = [c.split(":", 1) + [None] for c in args.copies.split(",") if c]
    args.copies = [c[0] for c in copies]
    args.copy_classes = {c[0]: (set(c[1].split("+")) if c[1] else None) for c in copies}
    if any(cl is not None and cl - set(CLASSES) for cl in args.copy_classes.values()):
        ap.error("--copies: a copy's classes (kind:class+class) are among %s" % ", ".join(CLASSES))
    args.mix_music = [c for c in args.mix_music.split(",") if c]
    args.synth = [c for c in args.synth.split(",") if c]
    if set(args.synth) - set(SYNTH_RECIPES):
        ap.error("--synth: classes are %s" % ", ".join(SYNTH_RECIPES))
    if set(args.mix_music) - set(CLASSES):
        ap.error("unknown classes in --mix-music: %s" % args.mix_music)
    if args.ensemble < 1 or (args.ensemble > 1 and args.hidden2):
        ap.error("--ensemble: 1 or more networks, of one hidden layer when more than one")
    if args.ensemble * args.hidden > MAX_UNITS:
        ap.error("--ensemble x --hidden: at most %d hidden units in all (the C classifier's limit)" % MAX_UNITS)
    unknown = [c for c in args.copies if c not in COPIES]
    if unknown:
        ap.error("unknown copies: %s (known: %s)" % (", ".join(unknown), ", ".join(COPIES)))
    out = args.out or os.path.join(ROOT, "apps", "ai", "models", "audio-events-%s.json" % args.version)
    log("== data")
    names, data, meta, manifest = load_data(args)
    args.mix_backgrounds = manifest.get("mix_backgrounds", [])
    args.mix_music_backgrounds = manifest.get("mix_music_backgrounds", [])
    args.silence_below = manifest["silence_below_lufs"]
    args.fold_of = manifest.get("folds", {}) if args.folds == manifest.get("fold_count") else {}
    if args.synth:
        packages = sorted({d["package"] for d in data if not d.get("augmented")})
        synth = synth_sources(args, data, [] if args.no_eval else fold_packages(packages, args.folds, args.fold_of),
                              dict(os.environ, CLIPFORGE_LOG_LEVEL="error"), args.silence_below)
        for d in synth:
            d["weight"] = args.synth_weight
        data += synth
    base = None
    if args.baseline and not args.no_eval:
        log("== baseline (the v2 recipe: window inputs, telephone copies only, class balance 0.5) held out by source")
        window = recipe_inputs(names, "window")
        plain = [dict(d, x=d["x"][:, window]) for d in data if d.get("augmented") in (None, "telephone")]
        base, _ = held_out(plain, argparse.Namespace(**dict(vars(args), balance=0.5, silence_by_level=False)))
        log("  baseline macro-F1 %.3f" % base[1])
    extracted = names
    if args.inputs != "all":
        keep = recipe_inputs(names, args.inputs)
        names = [names[i] for i in keep]
        for d in data:
            d["x"] = d["x"][:, keep]
    drop = [n for n in args.drop_inputs.split(",") if n]
    if drop:
        if set(drop) - set(names):
            ap.error("--drop-inputs: not among the inputs: %s" % ", ".join(sorted(set(drop) - set(names))))
        keep = [i for i, n in enumerate(names) if n not in drop]
        names = [names[i] for i in keep]
        for d in data:
            d["x"] = d["x"][:, keep]
    log("  %d inputs, %d training copies" % (len(names), sum(1 for d in data if d.get("augmented"))))
    args.names, args.columns = names, [extracted.index(n) for n in names]
    if args.silence_by_level and "level_now" not in names:
        ap.error("--silence-by-level needs the input level_now")
    rows, macro, conf, per_source, on_beds = [], 0.0, None, [], None
    if not args.no_eval:
        log("== held out by source")
        (rows, macro, conf, per_source), on_beds = held_out(data, args, beds=not args.no_beds)
        for name, (rr, mm) in [("as they are", (rows, macro))] + (
                [("over beds", on_beds[:2])] if on_beds else []):
            log("  %s:" % name)
            for row in rr:
                log("  %-9s P %.2f R %.2f F1 %.2f (%d)" % (row["class"], row["precision"], row["recall"], row["f1"],
                                                           row["support"]))
            log("  macro-F1 %.3f" % mm)
    log("== final model on every source")
    model = fit([d for d in data if in_training(d, [], -1)], args)
    with open(out, "w") as f:
        json.dump(model_json(model, names, args.version, meta, rows, macro, args, on_beds), f, separators=(",", ":"))
        f.write("\n")
    log("wrote %s" % out)
    if args.report and conf is not None:
        report(args.report, rows, macro, conf, per_source, meta, args.version, args.folds, base, on_beds,
               getattr(args, "without", None), [p for p in args.score_without.split(",") if p])
        log("wrote %s" % args.report)


if __name__ == "__main__":
    main()
