#!/usr/bin/env python3
"""Fits the word-confidence model of the pocketsphinx backend on the development sources.

Input: the JSON of `CLIPFORGE_POCKETSPHINX_CONFIDENCE=posterior speech_eval.py --role dev
--json OUT` (each recognised word: lattice posterior, duration, letters, right or wrong).
Model: P(right) = sigmoid(b0 + b1 * logit(posterior) + b2 * log(frames) + b3 * [letters <= 3]),
posterior clipped to [1e-4, 1 - 1e-4], frames of 10 ms; fitted by Newton's method on the log
loss with a small ridge. Prints the coefficients for pocketsphinx_backend.c and the reliability
of the fit (ECE, 10 bins) on the words it was fitted on.

Usage: fit_confidence.py DEV.json
       fit_confidence.py --invert B0,B1,B2,B3 OUT.json:REF ...   the same fit from calibrated
                       transcripts (`clipforge transcribe` output and its reel's .ref, e.g. those
                       grid_eval.py leaves in its --work directory) made with the model B0..B3:
                       the calibration is invertible, so each word's posterior is recovered
                       exactly (to the clip at 1e-4) without a posterior-mode run
       fit_confidence.py --apply B0,B1,B2,B3 RUN.json   reliability of that model on the eval
                                                       words of a posterior-mode run
"""
import json
import math
import sys


def features(post, dur_ms, letters):
    p = min(max(post, 1e-4), 1 - 1e-4)
    return [1.0, math.log(p / (1 - p)), math.log(max(dur_ms / 10.0, 1.0)), 1.0 if letters <= 3 else 0.0]


def solve(a, b):
    """Gaussian elimination for a small dense system."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[piv] = m[piv], m[c]
        for r in range(n):
            if r != c and m[c][c]:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(xs, ys, ridge=1e-2, iters=50):
    k = len(xs[0])
    w = [0.0] * k
    for _ in range(iters):
        g = [ridge * wi for wi in w]
        h = [[ridge if i == j else 0.0 for j in range(k)] for i in range(k)]
        for x, y in zip(xs, ys):
            z = sum(wi * xi for wi, xi in zip(w, x))
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            for i in range(k):
                g[i] += (p - y) * x[i]
                for j in range(k):
                    h[i][j] += p * (1 - p) * x[i] * x[j]
        step = solve(h, g)
        w = [wi - si for wi, si in zip(w, step)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return w


def apply(coef, path):
    from speech_eval import reliability
    w = [float(x) for x in coef.split(",")]
    rows = json.load(open(path))["words"]["eval"]
    pred = [(1 / (1 + math.exp(-sum(a * b for a, b in zip(w, features(c, d, n))))), k)
            for c, d, n, k in rows]
    for name, pairs in (("raw posterior", [(c, k) for c, _, _, k in rows]), ("calibrated", pred)):
        table, ece = reliability(pairs)
        print("%s: %d words, ECE %.3f" % (name, len(pairs), ece))
        print("| confidence | words | mean confidence | share correct |\n|---|---|---|---|")
        for r in table:
            print("| %.1f-%.1f | %d | %.2f | %.2f |" % r)


def inverted_rows(coef, args):
    """[posterior, duration ms, letters, right] per word of calibrated transcripts: logit(c) =
    b0 + b1 logit(p) + b2 log(frames) + b3 [short], solved for p (the backend's short = at most 3
    letters of the word as written, duration = frames x 10 ms)."""
    from speech_eval import align, normalise
    b = [float(x) for x in coef.split(",")]
    rows = []
    for arg in args:
        out, ref_path = arg.rsplit(":", 1)
        ref = normalise(" ".join(line.split(" ", 2)[2] for line in open(ref_path)))
        hyp, feats = [], []
        for seg in json.load(open(out))["segments"]:
            for w in seg["words"]:
                c = min(max(w["confidence"], 1e-12), 1 - 1e-12)
                dur = w["end_ms"] - w["start_ms"]
                letters = sum(ch.isalpha() for ch in w["word"])
                x = features(0.5, dur, letters)
                lp = (math.log(c / (1 - c)) - b[0] - b[2] * x[2] - b[3] * x[3]) / b[1]
                post = 1 / (1 + math.exp(-lp))
                for tok in normalise(w["word"]):
                    hyp.append(tok)
                    feats.append([post, dur, letters])
        _, ok = align(ref, hyp)
        rows += [f + [k] for f, k in zip(feats, ok)]
    return rows


def main():
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    if sys.argv[1] == "--apply":
        return apply(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "--invert":
        rows = inverted_rows(sys.argv[2], sys.argv[3:])
    else:
        rows = json.load(open(sys.argv[1]))["words"]["dev"]
    xs = [features(c, dur, n) for c, dur, n, _ in rows]
    ys = [1.0 if k else 0.0 for *_, k in rows]
    w = fit(xs, ys)
    from speech_eval import reliability
    pred = [1 / (1 + math.exp(-sum(wi * xi for wi, xi in zip(w, x)))) for x in xs]
    _, ece_raw = reliability([(c, k) for c, _, _, k in rows])
    _, ece = reliability(list(zip(pred, [bool(y) for y in ys])))
    print("words %d, right %.3f; ECE raw posterior %.3f, fitted %.3f" % (
        len(rows), sum(ys) / len(ys), ece_raw, ece))
    print("conf_bias = %.4f, conf_logit = %.4f, conf_log_frames = %.4f, conf_short = %.4f" % tuple(w))


if __name__ == "__main__":
    main()
