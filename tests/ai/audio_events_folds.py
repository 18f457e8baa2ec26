#!/usr/bin/env python3
"""The audio-event trainer's held-out folds: every package of the data manifest is pinned to a
fold, a pinned package stays in its fold whatever packages are added, and every package is in
exactly one fold. Without pins (another fold count) packages are dealt out in sorted order. The
bed a held-out source is scored over is held out in its fold, from another package.

    audio_events_folds.py SOURCE_DIR
"""
import json
import os
import sys

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402

with open(os.path.join(src, "apps", "ai", "training", "audio-events-data.json")) as f:
    manifest = json.load(f)
n, pins = manifest["fold_count"], manifest["folds"]
packages = sorted({s["package"] for s in manifest["sources"]})
unpinned = [p for p in packages if p not in pins]
assert not unpinned, "packages without a fold in the manifest: %s" % unpinned
assert all(0 <= k < n for k in pins.values()), "a fold number out of range"

def fold_of(folds):
    where = {}
    for k, fold in enumerate(folds):
        for p in fold:
            assert p not in where, "%s in two folds" % p
            where[p] = k
    return where

before = fold_of(T.fold_packages(packages, n, pins))
assert sorted(before) == packages
assert before == {p: pins[p] for p in packages}, "a package left its pinned fold"
# a package added later (sorting before every other) moves no pinned package
added = fold_of(T.fold_packages(["0-new-package"] + packages, n, pins))
assert all(added[p] == before[p] for p in packages), "adding a package moved another"
assert "0-new-package" in added
# without pins: packages[k::n], as before the pins
plain = T.fold_packages(packages, n, {})
assert plain == [sorted(packages[k::n]) for k in range(n)]
sizes = [sum(1 for p in packages if before[p] == k) for k in range(n)]
print("%d packages in %d folds of %s; an added package moves none" % (len(packages), n, sizes))

# the bedded evaluation: a held-out source lies over a source of another package held out in the
# same fold (speech over noise, anything else over speech), the first in package order; never
# over its own package, nor over a package the fold's model was trained on
def part(cls, pkg):
    return {"class": cls, "package": pkg}

held = ["b-speech-pkg", "c-game", "d-speech-pkg"]
parts = [part("speech", "d-speech-pkg"), part("speech", "b-speech-pkg"), part("laughter", "c-game"),
         part("noise", "c-game"), part("speech", "a-trained"), part("noise", "a-trained")]
assert T.bed_of(parts[2], parts, held)["package"] == "b-speech-pkg", "not the first held-out speech"
assert T.bed_of(parts[1], parts, held)["package"] == "c-game", "speech is laid over the fold's noise"
assert T.bed_of(part("speech", "c-game"), parts, held) is None, "a source over its own package's noise"
assert T.bed_of(parts[2], parts, ["c-game"]) is None, "a bed the fold's model was trained on"
assert T.BED_CLASS.get("music", "speech") == "speech"
print("beds: another package of the fold, speech under the events, noise under the speech")

# --score-without: the pooled figures of the held-out decisions of every source but the named
# packages' (a run that adds sources is compared with one without them on the same decisions)
import argparse  # noqa: E402
import numpy as np  # noqa: E402

sp, mu = T.CLASSES.index("speech"), T.CLASSES.index("music")
right = (part("speech", "old"), np.full(8, sp), np.full(8, sp))
wrong = (part("music", "new"), np.full(8, sp), np.full(8, mu))
assert T.scored_without(argparse.Namespace(score_without=""), [right, wrong], None) is None
both = T.pooled([right, wrong])[1]
alone = T.scored_without(argparse.Namespace(score_without="new"), [right, wrong], [right, wrong])
assert set(alone) == {"as they are", "over beds"}
assert alone["as they are"][1] > both, "the named package's decisions were not left out"
assert alone["as they are"][1] == T.pooled([right])[1] == alone["over beds"][1]
print("--score-without: macro-F1 %.3f with the new package's decisions, %.3f without" % (both, alone["as they are"][1]))

# the evaluation sets stay apart: every set the manifest names exists and none of their packages
# trains; a training source from one of them is refused
names = manifest["evaluation_manifests"]
assert {"apps/ai/experiments/real-footage-3.json", "apps/ai/experiments/tones.json"} <= set(names), names
held = T.evaluation_sources(manifest)
assert {"sound-theme-freedesktop", "transcriber"} <= {s["package"] for s in held}, "an evaluation set was not read"
try:
    T.evaluation_sources(dict(manifest, sources=manifest["sources"] + [{"package": "sound-theme-freedesktop"}]))
    raise AssertionError("a package of the tones set was accepted for training")
except SystemExit as e:
    assert "sound-theme-freedesktop" in str(e), e
print("evaluation sets: %d of their sources, none trained on" % len(held))
