#!/usr/bin/env python3
"""Decoder settings side by side on the speech reels of manifest.json: errors (substitutions,
deletions, insertions) and CPU seconds of `clipforge transcribe` for each setting, on the same
reels speech_eval.py builds (tune on --role dev; the held-out reels are for the one run after
choosing).

A setting is a line of environment assignments and `clipforge transcribe` options, for example
  CLIPFORGE_POCKETSPHINX_MLLR=on CLIPFORGE_POCKETSPHINX_ARGS="-lw 8 -bestpathlw 11" --adapt-from 60
("base" alone: nothing extra). Settings come from --settings FILE (one a line, '#'
comments) or --set (repeatable). --jobs runs that many decodes at once (each one thread); CPU
seconds are the decode's own (its children included), so they compare across load.

Usage: grid_eval.py --bin build/release/clipforge [--role dev] [--sources a,b] [--first N]
                    (--set LINE ... | --settings FILE) [--jobs 2] [--peer [--peer-cache DIR]]
                    [--work DIR] [--json OUT]
"""
import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import speech_eval as se  # noqa: E402


def breakdown(ref, hyp):
    """(substitutions, deletions, insertions) of the Levenshtein alignment."""
    d = se.distances(ref, hyp)
    i, j, s, dl, ins = len(ref), len(hyp), 0, 0, 0
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            s += ref[i - 1] != hyp[j - 1]
            i, j = i - 1, j - 1
        elif i > 0 and d[i][j] == d[i - 1][j] + 1:
            dl, i = dl + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return s, dl, ins


def setting(line):
    """(environment, extra options) of a settings line ("base": none)."""
    env, opts = {}, []
    toks = shlex.split(line)
    while toks:
        tok = toks.pop(0)
        if tok == "base":
            continue
        if tok.startswith("--"):
            opts += [tok, toks.pop(0)]
            continue
        k, _, v = tok.partition("=")
        if not k.startswith("CLIPFORGE_"):
            raise SystemExit("grid_eval: %r is not a CLIPFORGE_ assignment" % tok)
        env[k] = v
    return env, opts


def decode(binary, wav, out, extra):
    """Runs one transcription; returns its transcript."""
    env = dict(os.environ, **extra[0])
    p = subprocess.Popen(["nice", binary, "transcribe", "--input", wav, "--output", out,
                          "--threads", "1"] + extra[1], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    _, err = p.communicate()
    if p.returncode:
        raise RuntimeError("clipforge failed (%s): %s" % (extra, err.decode()[-500:]))
    return json.load(open(out))


def run_one(binary, wav, out, extra):
    """(transcript, CPU seconds): nice execs clipforge, whose helpers (bw, sphinx_fe, ...) are
    its children, so the worker's RUSAGE_CHILDREN counts them all."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = decode(binary, wav, out, extra)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peer_words(wav, cache=None):
    """pocketsphinx_continuous's words on wav. With cache (a directory), they are kept there under
    the reel's SHA-1 with the UTC time they were taken, and taken from there when the same reel
    comes again: the peer's decoding does not depend on ours."""
    import datetime
    import hashlib
    path = None
    if cache:
        digest = hashlib.sha1(open(wav, "rb").read()).hexdigest()
        path = os.path.join(cache, "peer-%s.json" % digest)
        if os.path.exists(path):
            return json.load(open(path))["words"]
    p = subprocess.run(["nice", "pocketsphinx_continuous", "-infile", wav, "-logfn", "/dev/null"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    words = p.stdout.split()
    if path:
        os.makedirs(cache, exist_ok=True)
        taken = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        json.dump({"reel": os.path.basename(wav), "taken": taken, "words": words}, open(path, "w"))
    return words


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    se.reel_args(ap)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--settings")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--peer", action="store_true", help="also pocketsphinx_continuous on each reel")
    ap.add_argument("--peer-cache", help="keep the peer's words here and reuse them (see peer_words)")
    ap.add_argument("--work", default="/tmp/cf-grid-eval")
    ap.add_argument("--cache", default=se.debmedia.default_cache())
    ap.add_argument("--json")
    a = ap.parse_args()
    settings = list(a.set)
    if a.settings:
        settings += [ln.strip() for ln in open(a.settings) if ln.strip() and not ln.startswith("#")]
    if not settings:
        ap.error("no settings (--set or --settings)")
    os.makedirs(a.work, exist_ok=True)
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    reels = []
    for src in se.selected(a, manifest):
        wav, ref_path = se.build_reel(src, se.debmedia.fetch(a.cache, src["package"]), a.work)
        ref = se.normalise(" ".join(line.split(" ", 2)[2] for line in open(ref_path)))
        reels.append((src["id"], wav, ref))
    # RUSAGE_CHILDREN is per process, so parallel jobs run in worker processes
    jobs = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for k, line in enumerate(settings):
            for rid, wav, _ in reels:
                out = os.path.join(a.work, "%s-s%02d.json" % (rid, k))
                jobs[(k, rid)] = pool.submit(run_one, a.bin, wav, out, setting(line))
        peers = {rid: pool.submit(peer_words, wav, a.peer_cache) for rid, wav, _ in reels} if a.peer else {}
        rows = []
        for k, line in enumerate(settings):
            row = {"setting": line, "reels": {}}
            for rid, _, ref in reels:
                t, cpu = jobs[(k, rid)].result()
                hyp = [x for g in t["segments"] for w in g["words"] for x in se.normalise(w["word"])]
                s, dl, ins = breakdown(ref, hyp)
                row["reels"][rid] = {"errors": s + dl + ins, "sub": s, "del": dl, "ins": ins,
                                     "cpu_s": round(cpu, 1), "ref_words": len(ref)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
        peer = {}
        for rid, _, ref in reels:
            if rid in peers:
                peer[rid] = breakdown(ref, [x for w in peers[rid].result() for x in se.normalise(w)])
    ids = [r[0] for r in reels]
    print("| setting | " + " | ".join("%s errors (S/D/I)" % i for i in ids) + " | all | CPU s |")
    print("|---" * (len(ids) + 3) + "|")
    if peer:
        print("| pocketsphinx_continuous | " + " | ".join("%d (%d/%d/%d)" % ((sum(peer[i]),) + peer[i])
                                                          for i in ids) +
              " | %d | |" % sum(sum(v) for v in peer.values()))
    for r in rows:
        cells = ["%d (%d/%d/%d)" % (v["errors"], v["sub"], v["del"], v["ins"])
                 for v in (r["reels"][i] for i in ids)]
        print("| %s | %s | %d | %.0f |" % (r["setting"], " | ".join(cells),
                                            sum(v["errors"] for v in r["reels"].values()),
                                            sum(v["cpu_s"] for v in r["reels"].values())))
    if a.json:
        json.dump({"peer": peer, "rows": rows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
