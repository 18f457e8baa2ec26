#!/usr/bin/env python3
"""Word error rate of `clipforge transcribe` against pocketsphinx_continuous (the same model,
the same audio) on the real speech of manifest.json, and how well its word confidences are
calibrated.

Ours (one thread unless --threads) and the peer (one thread) run side by side on each source.
Each source becomes one recording (a "reel"): its items decoded to 16 kHz mono by the ffmpeg CLI
and joined with 0.7 s of faint noise between them, as speech comes in a long video. Both
recognisers decode the same reel; both outputs are scored after the same normalisation (case,
punctuation, numbers as words, a few spellings).

Usage: speech_eval.py --bin build/release/clipforge [--role dev|eval|all] [--sources a,b]
                      [--work DIR] [--cache DIR] [--json OUT] [--report OUT.md] [--no-peer]
                      [--first N] [--narrowband] [--speed]
Extra environment for clipforge (e.g. CLIPFORGE_POCKETSPHINX_ARGS) passes through, which is how
decoder settings are tried on the dev sources.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../tests/media"))
import debmedia  # noqa: E402

RATE = 16000
word_rows = {}  # role -> [confidence, duration ms, letters, correct] per recognised word
GAP_S = 0.7

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
       "fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SPELLING = {"mr": "mister", "mrs": "missus", "dr": "doctor", "ok": "okay", "artefact": "artifact",
            "artefacts": "artifacts", "whilst": "whilst", "moustache": "mustache"}


def number_words(n):
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (number_words(n % 100) if n % 100 else [])
    if n < 10000 and n % 1000 == 0:
        return [ONES[n // 1000], "thousand"]
    return [w for d in str(n) for w in ONES[int(d)].split()]


def normalise(text):
    """Lower-case words: punctuation dropped (apostrophes inside words kept), hyphens split,
    numbers spelt out, a few spellings unified."""
    text = text.lower().replace("(s)", "")
    out = []
    for tok in re.split(r"[\s\-/]+", text):
        tok = re.sub(r"\(\d+\)$", "", tok)  # recogniser's alternate pronunciation mark
        tok = re.sub(r"[^a-z0-9']", "", tok).strip("'")
        if not tok:
            continue
        if tok.isdigit():
            out.extend(number_words(int(tok)))
            continue
        out.append(SPELLING.get(tok, tok))
    return out


def distances(ref, hyp):
    """The Levenshtein table: d[i][j] = edits between ref[:i] and hyp[:j]."""
    n, m = len(ref), len(hyp)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]), d[i - 1][j] + 1,
                          d[i][j - 1] + 1)
    return d


def align(ref, hyp):
    """Levenshtein alignment: (errors, list of bools, one per hyp word: matched a ref word)."""
    n, m = len(ref), len(hyp)
    d = distances(ref, hyp)
    ok = [False] * m
    i, j = n, m
    while i > 0 and j > 0:
        if d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            ok[j - 1] = ref[i - 1] == hyp[j - 1]
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return d[n][m], ok


# ---- reels -------------------------------------------------------------------------------------

def item_file(root, path, tmp):
    """A path ffmpeg can read for a manifest item (out of a zip or a .gz when needed)."""
    if "!" in path:
        archive, member = path.split("!", 1)
        out = os.path.join(tmp, os.path.basename(member))
        with zipfile.ZipFile(os.path.join(root, archive)) as z, open(out, "wb") as f:
            f.write(z.read(member))
        return out
    full = os.path.join(root, path)
    if full.endswith(".gz"):
        out = os.path.join(tmp, os.path.basename(full)[:-3])
        with gzip.open(full) as g, open(out, "wb") as f:
            shutil.copyfileobj(g, f)
        return out
    return full


def decode16k(path, narrowband=False):
    """16 kHz mono s16; narrowband: through 8 kHz first, as a telephone would pass it."""
    band = ["-af", "aresample=8000,aresample=%d" % RATE] if narrowband else []
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1"] + band +
                       ["-ar", str(RATE), "-f", "s16le", "-"], capture_output=True, check=True)
    return r.stdout


def gap_noise(n, seed):
    """n samples of faint noise (about -70 dBFS): a room, not digital silence."""
    import random
    rnd = random.Random(seed)
    return b"".join(int(rnd.gauss(0, 10)).to_bytes(2, "little", signed=True) for _ in range(n))


def build_reel(src, root, work, narrowband=False):
    """Writes WORK/<id>.wav and WORK/<id>.ref ("start_ms end_ms text" per item); cached."""
    wav, ref = os.path.join(work, src["id"] + ".wav"), os.path.join(work, src["id"] + ".ref")
    if os.path.exists(wav) and os.path.exists(ref):
        return wav, ref
    gap = gap_noise(int(GAP_S * RATE), 1)
    pcm, lines = bytearray(gap), []
    with tempfile.TemporaryDirectory() as tmp:
        for it in src["items"]:
            data = decode16k(item_file(root, it["path"], tmp), narrowband)
            start = len(pcm) // 2 * 1000 // RATE
            pcm += data
            lines.append("%d %d %s" % (start, len(pcm) // 2 * 1000 // RATE, it["text"]))
            pcm += gap
    with wave.open(wav + ".part", "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE), w.writeframes(bytes(pcm))
    os.replace(wav + ".part", wav)
    open(ref, "w").write("\n".join(lines) + "\n")
    return wav, ref


# ---- recognisers -------------------------------------------------------------------------------

def start_peer(wav):
    """Starts the peer on its own thread, which notes when it ends (ours runs meanwhile)."""
    import threading
    job = {"t0": time.monotonic()}

    def run():
        p = subprocess.run(["pocketsphinx_continuous", "-infile", wav, "-logfn", "/dev/null"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        job.update(rc=p.returncode, out=p.stdout, s=time.monotonic() - job["t0"])

    job["thread"] = threading.Thread(target=run)
    job["thread"].start()
    return job


def finish_peer(job):
    job["thread"].join()
    if job["rc"]:
        raise subprocess.CalledProcessError(job["rc"], "pocketsphinx_continuous")
    return job["out"].split(), job["s"]


def run_ours(binary, wav, out_json, threads):
    t0 = time.monotonic()
    subprocess.run([binary, "transcribe", "--input", wav, "--output", out_json, "--threads",
                    str(threads)], check=True, stdout=subprocess.DEVNULL)
    dt = time.monotonic() - t0
    t = json.load(open(out_json))
    words = [w for s in t["segments"] for w in s["words"]]
    return words, dt


def reliability(pairs, bins=10):
    """Rows (lo, hi, n, mean confidence, accuracy) and the expected calibration error."""
    rows, ece, total = [], 0.0, len(pairs)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, k) for c, k in pairs if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if not sel:
            continue
        conf = sum(c for c, _ in sel) / len(sel)
        acc = sum(k for _, k in sel) / len(sel)
        rows.append((lo, hi, len(sel), conf, acc))
        ece += len(sel) / total * abs(conf - acc)
    return rows, ece


def reel_args(ap, role="dev"):
    """The options that pick the clipforge binary and the reels (--role, --sources, --first)."""
    ap.add_argument("--bin", required=True)
    ap.add_argument("--role", default=role, choices=["dev", "eval", "all"])
    ap.add_argument("--sources", default="")
    ap.add_argument("--first", type=int, default=0,
                    help="only the first N items of each source (short tuning runs)")


def selected(a, manifest):
    """The manifest's sources that --role, --sources and --first pick (--first: its first items)."""
    for src in manifest["sources"]:
        if a.role != "all" and src["role"] != a.role:
            continue
        if a.sources and src["id"] not in a.sources.split(","):
            continue
        if a.first:
            src = dict(src, id="%s-first%d" % (src["id"], a.first), items=src["items"][:a.first])
        yield src


def evaluate(a, manifest):
    results, pairs = [], {"dev": [], "eval": []}
    global word_rows
    word_rows = {"dev": [], "eval": []}
    for src in selected(a, manifest):
        if a.narrowband:
            src = dict(src, id=src["id"] + "-8k")
        root = debmedia.fetch(a.cache, src["package"])
        if root is None:
            print("# skip %s: cannot fetch %s" % (src["id"], src["package"]), file=sys.stderr)
            continue
        wav, ref_path = build_reel(src, root, a.work, a.narrowband)
        ref = normalise(" ".join(line.split(" ", 2)[2] for line in open(ref_path)))
        with wave.open(wav) as w:
            audio_s = w.getnframes() / RATE
        # the two recognisers run side by side, so both see the same machine load
        peer_job = None if a.no_peer else start_peer(wav)
        words, ours_s = run_ours(a.bin, wav, os.path.join(a.work, src["id"] + ".json"), a.threads)
        hyp, feats = [], []
        for w in words:
            for tok in normalise(w["word"]):
                hyp.append(tok)
                feats.append((w["confidence"], w["end_ms"] - w["start_ms"], len(tok)))
        errs, ok = align(ref, hyp)
        pairs[src["role"]].extend((c, k) for (c, _, _), k in zip(feats, ok))
        word_rows[src["role"]].extend([c, d, n, k] for (c, d, n), k in zip(feats, ok))
        row = {"source": src["id"], "role": src["role"], "kind": src["kind"],
               "package": src["package"], "licence": src["licence"], "audio_s": round(audio_s, 1),
               "ref_words": len(ref), "ours_errors": errs, "ours_wer": errs / len(ref),
               "ours_s": ours_s}
        if peer_job:
            peer, peer_s = finish_peer(peer_job)
            perrs, _ = align(ref, [t for w in peer for t in normalise(w)])
            row.update(peer_errors=perrs, peer_wer=perrs / len(ref), peer_s=peer_s,
                       ratio=(errs / perrs) if perrs else None)
        results.append(row)
        print(json.dumps(row), file=sys.stderr)
    return results, pairs


def totals(results, role):
    rs = [r for r in results if r["role"] == role]
    if not rs:
        return None
    ref = sum(r["ref_words"] for r in rs)
    t = {"role": role, "ref_words": ref, "ours_wer": sum(r["ours_errors"] for r in rs) / ref,
         "audio_s": sum(r["audio_s"] for r in rs), "ours_s": sum(r["ours_s"] for r in rs)}
    if all("peer_errors" in r for r in rs):
        pe = sum(r["peer_errors"] for r in rs)
        t.update(peer_wer=pe / ref, peer_s=sum(r["peer_s"] for r in rs),
                 ratio=sum(r["ours_errors"] for r in rs) / pe if pe else None)
    return t


def fmt(x, p=3):
    return "" if x is None else ("%.*f" % (p, x))


def speed(r):
    return fmt(r["peer_s"] / r["ours_s"], 2) + "x" if r.get("peer_s") and r["ours_s"] else ""


def report_md(results, pairs, a):
    head = "| source | role | kind | audio s | ref words | WER ours | WER pocketsphinx_continuous | WER ratio |"
    out = [head + (" s ours | s peer | speed vs peer |" if a.speed else ""),
           "|---" * (8 + (3 if a.speed else 0)) + "|"]
    for r in results:
        row = "| %s | %s | %s | %.0f | %d | %s | %s | %s |" % (
            r["source"], r["role"], r["kind"], r["audio_s"], r["ref_words"], fmt(r["ours_wer"]),
            fmt(r.get("peer_wer")), fmt(r.get("ratio"), 2))
        if a.speed:
            row += " %.1f | %s | %s |" % (r["ours_s"], fmt(r.get("peer_s"), 1), speed(r))
        out.append(row)
    for role in ("dev", "eval"):
        t = totals(results, role)
        if t:
            row = "| **all %s** | | | %.0f | %d | %s | %s | %s |" % (
                role, t["audio_s"], t["ref_words"], fmt(t["ours_wer"]), fmt(t.get("peer_wer")),
                fmt(t.get("ratio"), 2))
            if a.speed:
                row += " %.1f | %s | %s |" % (t["ours_s"], fmt(t.get("peer_s"), 1), speed(t))
            out.append(row)
    for role in ("dev", "eval"):
        if not pairs[role]:
            continue
        rows, ece = reliability(pairs[role])
        out += ["", "Word confidence reliability, %s sources (%d words): ECE %.3f" % (
            role, len(pairs[role]), ece), "",
            "| confidence | words | mean confidence | share correct |", "|---|---|---|---|"]
        out += ["| %.1f-%.1f | %d | %.2f | %.2f |" % r for r in rows]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    reel_args(ap, "all")
    ap.add_argument("--work", default="/tmp/cf-speech-eval")
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--narrowband", action="store_true",
                    help="pass each source through 8 kHz first (telephone bandwidth)")
    ap.add_argument("--json")
    ap.add_argument("--report")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--speed", action="store_true", help="add wall times and the speed ratio")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    results, pairs = evaluate(a, manifest)
    md = report_md(results, pairs, a)
    print(md)
    if a.report:
        open(a.report, "w").write(md)
    if a.json:
        json.dump({"results": results, "totals": [totals(results, r) for r in ("dev", "eval")],
                   "words": word_rows}, open(a.json, "w"))


if __name__ == "__main__":
    main()
