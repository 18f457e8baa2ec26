#!/usr/bin/env python3
"""The real-footage tool's composition rules, without media: a cut segment has no piece shorter
than a frame (a 10 ms piece of a looped clip kept ffmpeg running forever) and its pieces fill it;
a music piece shorter than its segment fills it; a composition's digest changes with its entry,
the levels and its pools' files, not with its draw number; --draws gives each composition other
seeds and ids; real_footage_events lists every segment kind of a manifest once.

    real_footage_tools.py SOURCE_DIR
"""
import os
import random
import sys

import numpy as np

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "experiments"))
import real_footage as R  # noqa: E402
import real_footage_events as E  # noqa: E402

# cut segments: pieces of at least a frame that add up to the segment
calls = []
R.ffmpeg = lambda *args: calls.append(args)
short, checked = 0, 0
for n in range(3000):
    rng = random.Random(n)
    secs = round(rng.uniform(2.0, 30.0), 3)
    calls.clear()
    R.video_chunk(["a.mp4", "b.mp4"], {"start_s": 0.0, "end_s": secs, "kind": "crowd"}, rng, "/dev/null")
    args = calls[0]
    pieces = [float(args[i + 1]) for i, a in enumerate(args) if a == "-t"]
    short += sum(1 for p in pieces if p < 0.04)
    assert abs(sum(pieces) - secs) < 0.01, (secs, pieces)
    checked += len(pieces)
assert short == 0, "%d pieces shorter than a frame" % short


class FakePools(R.Pools):
    def clip(self, path):
        return np.ones(R.RATE * 2, np.float32) * 0.1  # a 2 s piece


pools = FakePools({"music": ["m.ogg"]}, "/tmp")
x = pools.music(5.0, -20, random.Random(1))
assert len(x) == 5 * R.RATE, len(x)

comp = {"id": "c1", "seed": 3, "segments": [{"kind": "calm", "start_s": 0, "end_s": 10}]}
files = {"speech:a": ["/c/pkg/root/usr/share/a/1.wav", "/c/pkg/root/usr/share/a/2.wav"]}
base = R.recipe_digest(comp, R.Pools(files, "/tmp"), {"calm": -23})
moved = {"speech:a": ["/elsewhere/pkg/root/usr/share/a/1.wav", "/elsewhere/pkg/root/usr/share/a/2.wav"]}
assert R.recipe_digest(comp, R.Pools(moved, "/tmp"), {"calm": -23}) == base, "the cache's place is not the recipe"
assert R.recipe_digest(dict(comp, draw=0), R.Pools(files, "/tmp"), {"calm": -23}) == base
fewer = {"speech:a": files["speech:a"][:1]}
assert R.recipe_digest(comp, R.Pools(fewer, "/tmp"), {"calm": -23}) != base
assert R.recipe_digest(dict(comp, seed=4), R.Pools(files, "/tmp"), {"calm": -23}) != base
assert R.recipe_digest(comp, R.Pools(files, "/tmp"), {"calm": -20}) != base

drawn = R.redrawn([comp, dict(comp, id="c2", seed=5)], 3)
assert [(c["id"], c["seed"], c["draw"]) for c in drawn] == [
    ("c1", 3, 0), ("c2", 5, 0), ("c1-d1", 1003, 1), ("c2-d1", 1005, 1), ("c1-d2", 2003, 2), ("c2-d2", 2005, 2)]

manifest = {"compositions": [{"segments": [{"kind": "calm"}, {"kind": "crowd"}, {"kind": "calm"}]},
                             {"segments": [{"kind": "exclaim"}, {"kind": "crowd"}]}]}
assert E.kinds(manifest) == ["calm", "crowd", "exclaim"]
print("ok - %d cut pieces, none under a frame; music, digests, draws and kinds as expected" % checked)
