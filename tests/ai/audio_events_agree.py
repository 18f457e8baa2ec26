#!/usr/bin/env python3
"""The audio-event classifier in C and its trainer in Python agree: on generated sound (a chord,
noise, silence, a tremolo tone), the class probabilities `clipforge detect` writes per hop equal
those the trainer's own forward pass (train_audio_events.predict) gives from the inputs the C
extractor wrote, with the model file detection used; and the 500 ms decisions of both match
the events in the detection result. The same for a model of two hidden layers trained here
(train_audio_events.train with hidden2 and dropout) on the inputs of that sound, and that network
leaving silence to the level (silence_below_lufs): silence exactly where level_now is under it,
and for three networks packed into one (train_audio_events.packed, --ensemble): that one is their
ensemble (the normalised geometric mean of their probabilities).

    audio_events_agree.py CLIPFORGE SOURCE_DIR
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

binary, src = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402


def check(models, version=None):
    """Runs detection on the generated sound with the model of models (version, else the newest)
    and compares it with predict(); returns the inputs the C extractor wrote (names, rows)."""
    env = dict(os.environ, CLIPFORGE_HIGHLIGHT_MODELS_DIR=models, CLIPFORGE_LOG_LEVEL="error")
    if version:
        env["CLIPFORGE_AUDIO_EVENTS_MODEL_VERSION"] = version
    with tempfile.TemporaryDirectory() as tmp:
        media, feats = os.path.join(tmp, "sound.wav"), os.path.join(tmp, "features.json")
        expr = ("if(lt(t,3), 0.2*sin(2*PI*220*t)+0.15*sin(2*PI*277*t)+0.1*sin(2*PI*330*t),"
                " if(lt(t,6), 0.3*(random(0)-0.5), if(lt(t,7), 0,"
                " 0.3*sin(2*PI*180*t)*(0.5+0.5*sin(2*PI*4*t)))))")
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "aevalsrc='%s':s=16000:d=10" % expr, media], check=True)
        out = subprocess.run([binary, "detect", "--input", media, "--no-cache", "--json", "--features-out", feats,
                              "--event-inputs"], check=True, capture_output=True, text=True, env=env)
        result = json.loads(out.stdout)
        with open(feats) as f:
            track = json.load(f)
        T.extract_cached(feats)  # as the trainer reads an input: the model file records its extractor

    version = track["events_model"]
    assert version.startswith("audio-events-"), "detection used no audio-events model: %r" % version
    with open(os.path.join(models, version + ".json")) as f:
        used, model = T.model_from_json(json.load(f))
    names = track["event_inputs"]["names"]
    x = np.array(track["event_inputs"]["rows"], dtype=np.float32)[:, [names.index(n) for n in used]]
    p_py = T.predict(model, x)
    cols = [track["features"].index("event_" + c) for c in T.CLASSES]
    p_c = np.array(track["rows"], dtype=np.float64)[:, cols]
    worst = float(np.abs(p_py - p_c).max())
    print("%s: %d layers, %d hops, %d inputs, largest probability difference %.4f" % (
        version, len(model["layers"]), len(x), len(used), worst))
    # inputs and probabilities are written rounded to 1e-4; a wrong weight, order or activation
    # moves them by far more
    assert worst < 0.02, "C and Python disagree by %.4f" % worst
    if model.get("silence_below") is not None:  # silence is the level: exactly the quiet hops
        quiet = x[:, used.index("level_now")] < model["silence_below"]
        silence = p_c[:, T.CLASSES.index("silence")]
        assert quiet.any() and (~quiet).any(), "the sound should have hops on both sides of the level"
        assert np.all(silence[quiet] > 0.999) and np.all(silence[~quiet] < 0.001), "silence is not the level"
        print("silence by level (under %.1f LUFS): %d of %d hops" % (model["silence_below"], quiet.sum(), len(x)))

    decided, _ = T.decisions(p_py, np.zeros(len(x), dtype=np.int64))
    events = result.get("audio_events") or result.get("result", {}).get("audio_events")
    assert events, "no audio_events in the detection result"
    agree = total = 0
    for e in events:
        for b in range(e["start_ms"] // 500, (e["end_ms"] + 499) // 500):
            block = p_c[b * 5:(b + 1) * 5].mean(0)
            margin = np.sort(block)[-1] - np.sort(block)[-2]
            if margin < 0.02:
                continue  # a near tie may fall either way after rounding
            total += 1
            agree += T.CLASSES[decided[b]] == e["class"]
    print("500 ms decisions: %d of %d agree" % (agree, total))
    assert total >= 10 and agree == total, "decisions differ"
    return names, np.array(track["event_inputs"]["rows"], dtype=np.float32)


names, rows = check(os.path.join(src, "apps", "ai", "models"))
# two hidden layers (dropout in training only): labels by the sound's parts (chord, noise,
# silence, tremolo), every input the extractor has
y = np.array([1] * 30 + [6] * 30 + [5] * 10 + [0] * (len(rows) - 70), dtype=np.int64)[:len(rows)]
model = T.train(rows, y, np.ones(len(y)), hidden=12, hidden2=8, dropout=0.2, noise=0.1, epochs=80, stride=1)
opts = argparse.Namespace(hidden=12, hidden2=8, dropout=0.2, noise=0.1, epochs=80, l2=1e-3, balance=1.0, folds=0,
                          copies=[], mix=False, mix_backgrounds=[], mix_music=[], seed=5, inputs="v6",
                          drop_inputs="long_level_std", manifest_sha256="0" * 64,
                          argv=["--bin", "/x/clipforge", "--seed", "5", "--work=/tmp/w", "--inputs", "v6"])
# the same network leaving silence to the level, set at the median level of the sound's audible
# hops, so that the rule moves probabilities both ways
level = rows[:, names.index("level_now")]
ruled = dict(model, silence_below=float(np.median(level[level > -50])), level_now=names.index("level_now"))
# an ensemble of three one-layer networks packed into one (--ensemble): its probabilities are the
# normalised geometric mean of the members', in Python and in C
members = [T.train(rows, y, np.ones(len(y)), hidden=10, epochs=60, stride=1, seed=s) for s in (1, 2, 3)]
packed = T.packed(members)
assert packed["layers"][0][0].shape[1] == 30, "the packed network has every member's hidden units"
geo = np.exp(np.mean([np.log(T.predict(m, rows)) for m in members], axis=0))
geo /= geo.sum(1, keepdims=True)
worst = float(np.abs(T.predict(packed, rows) - geo).max())
print("packed ensemble of 3: largest difference from the geometric mean %.2g" % worst)
assert worst < 1e-4, "the packed network is not the members' ensemble"
with tempfile.TemporaryDirectory() as models:
    for version, m in (("t2", model), ("t3", ruled), ("t4", packed)):
        with open(os.path.join(models, "audio-events-%s.json" % version), "w") as f:
            json.dump(T.model_json(m, names, version, [], [], 0.0, opts), f)
        check(models, version)
    # the file says how it was made: the seed, the input set, the manifest, the options that matter
    with open(os.path.join(models, "audio-events-t2.json")) as f:
        made = json.load(f)["training"]
    assert made["seed"] == 5 and made["manifest_sha256"] == "0" * 64, made
    assert made["input_set"] == {"recipe": "v6", "dropped": ["long_level_std"], "candidates": False}, made
    assert made["options"] == ["--seed", "5", "--inputs", "v6"], made["options"]
    # ... and which extractor made its inputs (the version detection's features JSON states)
    assert made["extractor"]["versions"] and all(isinstance(v, int) and v > 0 for v in made["extractor"]["versions"]), \
        made["extractor"]
    assert made["extractor"]["analysed_louder"] == [], made["extractor"]  # the test sound is loud
print("ok")
