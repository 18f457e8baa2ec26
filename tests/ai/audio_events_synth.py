#!/usr/bin/env python3
"""The audio-event trainer's synthesised sources (--synth) stay held out by package: a fold's
crowd, laughter and applause mixes are made only from packages that fold trains on, are used in
that fold's training only (the final model's from every package), and are the class they are
labelled: several voices at once, audible, as long as asked for.

    audio_events_synth.py SOURCE_DIR
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402

# (package, class, tone in Hz): each package's sound is told apart by its pitch
SOURCES = [("speech-a", "speech", 150), ("speech-b", "speech", 210), ("speech-c", "speech", 330),
           ("laugh-a", "laughter", 400), ("laugh-b", "laughter", 520), ("laugh-c", "laughter", 610),
           ("crowd-a", "crowd", 90), ("crowd-b", "crowd", 120), ("clap-a", "applause", 700),
           ("clap-b", "applause", 820)]
FOLDS = [["speech-a", "laugh-a", "crowd-a", "clap-a"], ["speech-b", "laugh-b", "crowd-b", "clap-b"],
         ["speech-c", "laugh-c"]]


def fake_extract(binary, path, out_json, env):
    """The C extractor's place: one row per 100 ms, the row's RMS level as loudness."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-"], capture_output=True,
                       check=True)
    x = np.frombuffer(r.stdout, dtype=np.float32)
    hops = x[:len(x) // 1600 * 1600].reshape(-1, 1600)
    loud = 10 * np.log10(np.mean(hops.astype(np.float64) ** 2, 1) + 1e-12)
    return ["level"], loud[:, None].astype(np.float32), loud.astype(np.float32)


with tempfile.TemporaryDirectory() as tmp:
    data = []
    for k, (pkg, cls, hz) in enumerate(SOURCES):
        flac = os.path.join(tmp, pkg + ".flac")  # a tone in bursts: audible and silent hops
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "aevalsrc='0.3*sin(2*PI*%d*t)*gt(sin(2*PI*0.5*t),-0.3)':s=16000:d=8" % hz, flac], check=True)
        _, x, loud = fake_extract(None, flac, None, None)
        data.append({"package": pkg, "class": cls, "x": x, "y": T.labels(cls, loud, -50), "flac": flac})
    T.extract = fake_extract
    T.SYNTH_S = 20  # seconds per class and fold (60 in training): enough scenes to check
    args = argparse.Namespace(synth=["crowd", "laughter", "applause"], synth_seed=3, work=tmp, bin=None)
    synth = T.synth_sources(args, data, FOLDS, {}, -50)

    for d in synth:
        held = FOLDS[d["fold"]] if d["fold"] >= 0 else []
        assert d["packages"] and not d["packages"] & set(held), "fold %d's %s uses %s" % (
            d["fold"], d["class"], d["packages"] & set(held))
        assert all(p.startswith({"crowd": ("speech", "crowd"), "laughter": ("laugh",),
                                 "applause": ("clap",)}[d["class"]]) for p in d["packages"]), d["packages"]
        # the fold it was made for trains on it, no other fold does; the final model has its own
        for k, h in list(enumerate(FOLDS)) + [(-1, [])]:
            assert T.in_training(d, h, k) == (k == d["fold"]), (d["class"], d["fold"], k)
        audible = (d["y"] == T.CLASSES.index(d["class"])).mean()
        assert len(d["y"]) >= T.SYNTH_S * 10 and audible > 0.6, (d["class"], len(d["y"]), audible)
        print("fold %2d %-8s from %s: %d hops, %.2f audible" % (d["fold"], d["class"], ",".join(sorted(d["packages"])),
                                                              len(d["y"]), audible))
    made = {(d["fold"], d["class"]) for d in synth}
    # fold 2 holds out no applause, crowd or bed: every fold and the final model have all three
    assert made == {(k, c) for k in (-1, 0, 1, 2) for c in args.synth}, sorted(made)
    # the final model's crowd draws on every speech package and a crowd bed
    final = next(d for d in synth if d["fold"] == -1 and d["class"] == "crowd")
    assert {"speech-a", "speech-b", "speech-c"} <= final["packages"], final["packages"]

    # several voices at once: a laughter mix holds the pitches of more than one laugh at a time
    rng = np.random.default_rng(5)
    sources = [{"package": d["package"], "class": d["class"], "samples": T.decoded_source(d, {}),
                "audible": np.flatnonzero(d["y"] != T.CLASSES.index("silence"))} for d in data]
    used, x = T.synth_audio(rng, "laughter", sources, 20)
    spectrum = np.abs(np.fft.rfft(x[:16000 * 4]))
    hz = np.fft.rfftfreq(16000 * 4, 1 / 16000)
    peaks = {f for f in (400, 520, 610) if spectrum[np.abs(hz - f) < 60].max() > 0.05 * spectrum.max()}
    assert len(peaks) >= 2, "one voice at a time: %s" % peaks
    # the originals' pitches are moved (speed), not only copied
    assert spectrum[(np.abs(hz - 400) > 5) & (np.abs(hz - 400) < 60)].max() > 0.05 * spectrum.max()
    print("laughter mix of %s: pitches near %s Hz in its first 4 s" % (",".join(sorted(used)), sorted(peaks)))
print("ok")
