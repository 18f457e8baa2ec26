#!/usr/bin/env python3
"""Trains a `learned` highlight model: logistic regression over windowed features.

Pipeline: generate labelled media (apps/ai/experiments/make_planted.py, training seeds 101 and
up, never the evaluation's), extract each one's feature track with
`clipforge detect --features-out`, build per-hop inputs (the centred mean of a feature over
+-half_hops, exactly as the engine computes it), label a hop 1 inside a planted span, fit
class-balanced L2-regularised logistic regression by full-batch gradient descent, choose the
threshold that maximises hop-level F1, and publish apps/ai/models/highlight-<version>.json.

Usage: train_highlight.py --bin build/release/clipforge [--version v1] [--seeds 101,102,...]
                          [--duration 600] [--work DIR] [--out-dir apps/ai/models]
Standard library only.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FEATURES = ["crowd", "excited_speech", "loudness_rel_local", "loudness_rel_global", "speech",
            "flatness", "onset_rate", "spectral_flux", "silence", "cut_rate", "motion_rel"]
HALVES = [5, 30]  # +-0.5 s and +-3 s
KINDS = ["crowd,excited,action", "crowd,action", "excited,crowd", "action,excited"]


def smooth(x, half):
    """Centred mean over [i-half, i+half], truncated at the ends (as hl_curve_smooth in C)."""
    n, out, s, lo, hi = len(x), [0.0] * len(x), 0.0, 0, 0
    for i in range(n):
        want_lo, want_hi = max(0, i - half), min(n, i + half + 1)
        while hi < want_hi:
            s += x[hi]
            hi += 1
        while lo < want_lo:
            s -= x[lo]
            lo += 1
        out[i] = s / (hi - lo)
    return out


def dataset(binary, work, seeds, duration, size, stride):
    X, y = [], []
    env = dict(os.environ, CLIPFORGE_FEATURE_CACHE_DIR=os.path.join(work, "features"),
               CLIPFORGE_LOG_LEVEL="error")
    for i, seed in enumerate(seeds):
        path = os.path.join(work, "train-s%d-%ds.mp4" % (seed, duration))
        if not os.path.exists(path + ".labels.json"):
            subprocess.run([sys.executable, os.path.join(ROOT, "apps/ai/experiments/make_planted.py"),
                            "--out", path, "--duration", str(duration), "--seed", str(seed),
                            "--size", size, "--kinds", KINDS[i % len(KINDS)]], check=True)
        feat = path + ".features.json"
        if not os.path.exists(feat):
            subprocess.run([binary, "detect", "--input", path, "--features-out", feat, "--json"],
                           check=True, stdout=subprocess.DEVNULL, env=env)
        with open(feat) as f:
            track = json.load(f)
        with open(path + ".labels.json") as f:
            spans = json.load(f)["spans"]
        col = {name: [r[track["features"].index(name)] for r in track["rows"]] for name in FEATURES}
        inputs = [smooth(col[name], h) for name in FEATURES for h in HALVES]
        hop = track["hop_ms"]
        for k in range(0, len(track["rows"]), stride):
            t = k * hop + hop // 2
            X.append([v[k] for v in inputs])
            y.append(1 if any(s["start_ms"] <= t < s["end_ms"] for s in spans) else 0)
    return X, y


def standardise(X):
    n, d = len(X), len(X[0])
    mean = [sum(r[j] for r in X) / n for j in range(d)]
    std = [max(1e-3, math.sqrt(sum((r[j] - mean[j]) ** 2 for r in X) / n)) for j in range(d)]
    return [[(r[j] - mean[j]) / std[j] for j in range(d)] for r in X], mean, std


def fit(Z, y, epochs, lr, l2):
    n, d = len(Z), len(Z[0])
    pos = sum(y)
    wpos, wneg = n / (2.0 * pos), n / (2.0 * (n - pos))  # class balance
    w, b = [0.0] * d, 0.0
    for epoch in range(epochs):
        gw, gb = [0.0] * d, 0.0
        for zi, yi in zip(Z, y):
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, b + sum(a * c for a, c in zip(w, zi))))))
            g = (p - yi) * (wpos if yi else wneg)
            gb += g
            for j in range(d):
                gw[j] += g * zi[j]
        b -= lr * gb / n
        w = [wj - lr * (gj / n + l2 * wj) for wj, gj in zip(w, gw)]
    return w, b


def best_threshold(Z, y, w, b):
    probs = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, b + sum(a * c for a, c in zip(w, z))))))
             for z in Z]
    best = (0.0, 0.5)
    for k in range(30, 91, 5):
        thr = k / 100
        tp = sum(1 for p, t in zip(probs, y) if p >= thr and t)
        fp = sum(1 for p, t in zip(probs, y) if p >= thr and not t)
        fn = sum(1 for p, t in zip(probs, y) if p < thr and t)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        best = max(best, (f1, thr))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--version", default="v1")
    ap.add_argument("--seeds", default="101,102,103,104,105,106,107,108")
    ap.add_argument("--duration", type=int, default=600)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--stride", type=int, default=4, help="use every Nth hop")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--work", default="/tmp/cf-train")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "apps/ai/models"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    t0 = time.time()
    seeds = [int(s) for s in a.seeds.split(",")]
    X, y = dataset(a.bin, a.work, seeds, a.duration, a.size, a.stride)
    Z, mean, std = standardise(X)
    w, b = fit(Z, y, a.epochs, 0.5, 1e-3)
    f1, thr = best_threshold(Z, y, w, b)
    names = [(f, h) for f in FEATURES for h in HALVES]
    model = {
        "model_version": a.version,
        "kind": "logistic_regression",
        "profiles": ["generic", "sports", "podcast", "gaming"],
        "inputs": [{"feature": f, "half_hops": h, "mean": round(m, 6), "std": round(s, 6)}
                   for (f, h), m, s in zip(names, mean, std)],
        "weights": [round(v, 6) for v in w],
        "bias": round(b, 6),
        "threshold": thr,
        "training": {"seeds": seeds, "duration_s": a.duration, "size": a.size, "hops": len(y),
                     "positive_hops": sum(y), "hop_f1": round(f1, 4), "epochs": a.epochs,
                     "generator": "apps/ai/experiments/make_planted.py",
                     "seconds": round(time.time() - t0, 1)},
    }
    os.makedirs(a.out_dir, exist_ok=True)
    out = os.path.join(a.out_dir, "highlight-%s.json" % a.version)
    with open(out, "w") as f:
        json.dump(model, f, indent=1)
    print("%s: %d hops (%d positive), hop F1 %.3f at threshold %.2f, %.0f s" % (
        out, len(y), sum(y), f1, thr, time.time() - t0))
    for (f, h), v in sorted(zip(names, w), key=lambda p: -abs(p[1]))[:8]:
        print("  %-22s +-%-3d %+.3f" % (f, h, v))


if __name__ == "__main__":
    main()
