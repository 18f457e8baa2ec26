#!/usr/bin/env python3
"""Writes manifest.json: real recorded speech from Debian packages with the words spoken.

Run once, before any tuning; the manifest it wrote is what every later evaluation reads, so the
references are fixed before the recogniser is tuned. The text comes from each package's own
files (subtitle strings, transcripts, descriptions), copied as written; the scorer normalises
case, punctuation and numbers the same way on both sides.

Usage: make_manifest.py [--cache DIR] > manifest.json   (cache: tests/media/debmedia.py's)
       make_manifest.py --add ID [--cache DIR]        adds source ID to manifest.json, leaving
                                                      the sources already there as they were
"""
import argparse
import gzip
import json
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../tests/media"))
import debmedia  # noqa: E402

WZ = "usr/share/games/warzone2100/base.wz"
PS = "usr/share/pocketsphinx/test/data"


def wz_tutorial(root):
    """Tutorial narration: tutorial.js pairs each tutN.ogg with the line it shows."""
    with zipfile.ZipFile(os.path.join(root, WZ)) as z:
        js = z.read("script/tutorial.js").decode()
    pat = re.compile(r'"audio": "(tut\d+\.ogg)", "clear": \w+, "message": _\("([^"]+)"\)')
    return [{"path": WZ + "!audio/tutorial/" + a, "text": t} for a, t in pat.findall(js)]


def wz_prompts(root):
    """Spoken status messages: audio.cfg names each pcvN.ogg's words in a comment."""
    with zipfile.ZipFile(os.path.join(root, WZ)) as z:
        cfg = z.read("audio/audio.cfg").decode("latin-1")
        names = {os.path.basename(n): n for n in z.namelist() if n.endswith(".ogg")}
    pat = re.compile(r'"(pcv\d+\.ogg)"[^/\n]*/\*\s*([^*]+?)\s*\*/')
    out = []
    for f, t in pat.findall(cfg):
        if f in names:
            out.append({"path": WZ + "!" + names[f], "text": t})
    return out[::3]  # every third, to keep the reel short


def librivox(root):
    d = os.path.join(PS, "librivox")
    out = []
    for line in open(os.path.join(root, d, "transcription")):
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        if m:
            out.append({"path": d + "/" + m.group(2) + ".wav", "text": m.group(1)})
    return out


def cards(root):
    d = os.path.join(PS, "cards")
    out = []
    for line in open(os.path.join(root, d, "cards.transcription")):
        m = re.match(r"<s> (.*?)\s*</s> \((.*)\)", line.strip())
        if m:
            out.append({"path": d + "/" + m.group(2) + ".wav", "text": m.group(1)})
    return out


def know(root):
    """A telephone conversation (8 kHz, one speaker per channel) transcribed in Transcriber's
    .trs: noises in braces and the markup are not words; ((x)) is an uncertain x; a cut-off
    word ends in '-'."""
    trs = open(os.path.join(root, "usr/share/doc/transcriber/examples/know.trs"),
               encoding="latin-1").read()
    body = trs[trs.index("<Episode>"):]
    text = re.sub(r"<[^>]+>", " ", body)
    text = re.sub(r"\{[^}]*\}", " ", text).replace("((", "").replace("))", "")
    words = [w for w in text.split() if not w.endswith("-")]
    return [{"path": "usr/share/doc/transcriber/examples/know.sph.gz", "text": " ".join(words)}]


def asterisk(root, cache):
    """Telephone prompts (8 kHz, one studio voice). Their words are in core-sounds-en.txt of the
    GSM package; every sixth prompt of four words or more, by name, keeps the reel short."""
    doc = debmedia.fetch(cache, "asterisk-core-sounds-en")
    if doc is None:
        sys.exit("cannot fetch asterisk-core-sounds-en")
    d = "usr/share/asterisk/sounds/en_US_f_Allison"
    lines = gzip.open(os.path.join(doc, "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"),
                      "rt", encoding="utf-8", errors="replace").read().splitlines()
    texts = {}
    for line in lines:
        m = re.match(r"([\w-]+): (.+)$", line)
        if m and "[" not in m.group(2) and len(m.group(2).split()) >= 4:
            texts[m.group(1)] = m.group(2).strip()
    names = [n for n in sorted(texts) if os.path.exists(os.path.join(root, d, n + ".wav"))]
    # a note of the transcript's writer in parentheses ("(simple tone sound plays)") is not said
    return [{"path": "%s/%s.wav" % (d, n), "text": re.sub(r"\s*\([^)]*\s[^)]*\)", "", texts[n]).strip()}
            for n in names[::6]]


def tuxpaint(root):
    """Stamp descriptions read aloud: x_desc.ogg says the first line of x.txt."""
    base = "usr/share/tuxpaint/stamps"
    out = []
    for d, _, files in sorted(os.walk(os.path.join(root, base))):
        for f in sorted(files):
            if not f.endswith("_desc.ogg"):
                continue
            txt = os.path.join(d, f[:-len("_desc.ogg")] + ".txt")
            if not os.path.exists(txt):
                continue
            line = open(txt, encoding="utf-8", errors="replace").readline().strip()
            if line:
                out.append({"path": os.path.relpath(os.path.join(d, f), root), "text": line})
    return out


def alsa(root):
    """The speaker test's voice prompts: each file says its name ("Front Left")."""
    d = "usr/share/sounds/alsa"
    return [{"path": d + "/" + f, "text": f[:-4].replace("_", " ")}
            for f in sorted(os.listdir(os.path.join(root, d))) if f.endswith(".wav") and f != "Noise.wav"]


# A sound's name is the object it names, prefixed by its scene; these few are written as one
# word or misspelt in the names.
KT_WORDS = {"palmtree": "palm tree", "fallingstar": "falling star", "moonwalker": "moon walker",
            "sphynx": "sphinx", "broccolli": "broccoli"}


def ktuberling(root):
    """Object names read aloud (one or two words, wideband): en.soundtheme lists each sound's name;
    the text is the name without its scene ("egypt_camel" says "camel"). Not listened to."""
    d = "usr/share/ktuberling/sounds"
    theme = open(os.path.join(root, d, "en.soundtheme"), encoding="utf-8").read()
    out = []
    for name, f in re.findall(r'<sound name="([^"]+)" file="([^"]+)"', theme):
        word = re.sub(r"^(egypt|moon|pizzeria|tv)_", "", name)
        out.append({"path": d + "/" + f, "text": KT_WORDS.get(word, word.replace("_", " "))})
    return out


# A voice line's file name runs its words together; these are the lines that are words (not
# grunts, jumps or laughs), written apart. "Drat" is left out: the dictionary lacks it.
HW_LINES = {"Amazing": "amazing", "Boring": "boring", "Brilliant": "brilliant", "Bugger": "bugger",
            "Byebye": "bye bye", "Comeonthen": "come on then", "Coward": "coward",
            "Cutitout": "cut it out", "Enemydown": "enemy down", "Excellent": "excellent",
            "Fire": "fire", "Firstblood": "first blood", "Flawless": "flawless",
            "Flyaway": "fly away", "Gonnagetyou": "gonna get you", "Grenade": "grenade",
            "Hello": "hello", "Hurry": "hurry", "Illgetyou": "I'll get you", "Incoming": "incoming",
            "Justyouwait": "just you wait", "Kamikaze": "kamikaze", "Leavemealone": "leave me alone",
            "Melon": "melon", "Missed": "missed", "Nooo": "no", "Nutter": "nutter",
            "Ohdear": "oh dear", "Oops": "oops", "Ouch": "ouch", "Reinforcements": "reinforcements",
            "Revenge": "revenge", "Runaway": "run away", "Sameteam": "same team",
            "Solong": "so long", "Stupid": "stupid", "Takecover": "take cover",
            "Thisoneismine": "this one is mine", "Traitor": "traitor", "Victory": "victory",
            "Watchit": "watch it", "Watchthis": "watch this", "Whatthe": "what the",
            "Yessir": "yes sir", "Youllregretthat": "you'll regret that"}


def hedgewars(root):
    """Hedgewars' hedgehog voices (two English speakers, Default and British: shouted one- to
    four-word lines, recorded hot): the text is the file's name written apart (HW_LINES). Not
    listened to."""
    d = "usr/share/games/hedgewars/Data/Sounds/voices"
    out = []
    for voice in ("Default", "British"):
        for name in sorted(HW_LINES):
            f = "%s/%s/%s.ogg" % (d, voice, name)
            if os.path.exists(os.path.join(root, f)):
                out.append({"path": f, "text": HW_LINES[name]})
    return out


def klettres(root):
    """KLettres' British English spoken syllables: each file says the word it is named after
    ("dog.ogg"; all 23 are words of the recogniser's dictionary). Not listened to."""
    d = "usr/share/klettres/en_GB/syllab"
    return [{"path": d + "/" + f, "text": f[:-4]}
            for f in sorted(os.listdir(os.path.join(root, d))) if f.endswith(".ogg")]


SOURCES = [  # id, package, role, kind, reader
    ("wz-tutorial", "warzone2100-data", "dev", "game tutorial narration (studio)", wz_tutorial),
    ("asterisk", "asterisk-core-sounds-en-wav", "dev", "telephone prompts (8 kHz, studio)", asterisk),
    ("wz-prompts", "warzone2100-data", "eval", "game status announcements (studio, short)", wz_prompts),
    ("librivox", "pocketsphinx-testdata", "eval", "audiobook (LibriVox, read speech)", librivox),
    ("know", "transcriber", "eval", "telephone conversation (8 kHz, spontaneous)", know),
    ("tuxpaint", "tuxpaint-stamps-default", "eval", "short descriptions read aloud", tuxpaint),
    ("cards", "pocketsphinx-testdata", "eval", "spoken playing cards (close talk)", cards),
    ("alsa", "alsa-utils", "eval", "speaker-test voice prompts", alsa),
    # added on 2026-12-03, after the held-out figures of that morning: development speech like
    # the held-out one-word items, from a package no held-out source uses
    ("ktuberling", "ktuberling-data", "dev", "object names read aloud (one or two words)", ktuberling),
    # added on 2026-12-04, before any tuning on them: development speech like the held-out
    # stamp descriptions (short items recorded hot), from packages no held-out source uses
    ("hedgewars", "hedgewars-data", "dev", "shouted game voice lines (one to four words, hot)", hedgewars),
    ("klettres", "klettres-data", "dev", "single words read aloud for children (hot)", klettres),
]


def licence_line(root, pkg):
    text = debmedia.licence(root, pkg)
    m = re.search(r"^Files: \*\s*\n(?:.*\n)*?License: (.+)$", text, re.M)
    return m.group(1).strip() if m else "see /usr/share/doc/%s/copyright" % pkg


def source(cache, sid, pkg, role, kind, reader):
    """One manifest source: its package's licence and its items."""
    root = debmedia.fetch(cache, pkg)
    if root is None:
        sys.exit("cannot fetch %s" % pkg)
    return {"id": sid, "package": pkg, "licence": licence_line(root, pkg), "role": role,
            "kind": kind, "items": reader(root, cache) if reader is asterisk else reader(root)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--add", help="add this source to manifest.json, the others unchanged")
    a = ap.parse_args()
    if a.add:
        path = os.path.join(HERE, "manifest.json")
        out = json.load(open(path))
        if any(src["id"] == a.add for src in out["sources"]):
            sys.exit("%s is already in the manifest" % a.add)
        out["sources"].append(source(a.cache, *[s for s in SOURCES if s[0] == a.add][0]))
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        return
    out = {"note": "References written before tuning; 'dev' sources tune, 'eval' sources report.",
           "sources": []}
    for s in SOURCES:
        out["sources"].append(source(a.cache, *s))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
