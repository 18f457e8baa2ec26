#!/usr/bin/env python3
"""The audio-event trainer's data manifest: a source with "archive" takes the members of a zip
inside the package that its patterns name (in sorted order, unpacked once beside the package,
never half-written), a source's "exclude" patterns leave files out, and a source marked "candidate" is left out of training and evaluation
unless asked for.

    audio_events_archive.py SOURCE_DIR
"""
import json
import os
import sys
import tempfile
import zipfile

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402

with tempfile.TemporaryDirectory(prefix="cf-ev-archive-") as tmp:
    root = os.path.join(tmp, "pkg", "root")
    os.makedirs(os.path.join(root, "usr/share/game"))
    archive = "usr/share/game/data.zip"
    with zipfile.ZipFile(os.path.join(root, archive), "w") as z:
        z.writestr("audio/voice/b/line_2.ogg", b"second")
        z.writestr("audio/voice/a/line_1.ogg", b"first")
        z.writestr("audio/voice/a/notes.txt", b"not audio")
        z.writestr("audio/music/song.ogg", b"music")
    source = {"package": "pkg", "class": "speech", "archive": archive, "files": ["audio/voice/*/line_*.ogg"]}
    files = T.source_files(root, source)
    assert [os.path.basename(f) for f in files] == ["line_1.ogg", "line_2.ogg"], files
    assert [open(f, "rb").read() for f in files] == [b"first", b"second"]
    assert all(not os.path.relpath(f, os.path.dirname(root)).startswith("root") for f in files), \
        "members are unpacked beside the package's files, not among them"
    unpacked = [os.path.join(d, f) for d, _, fs in os.walk(os.path.dirname(files[0]) + "/../..") for f in fs]
    assert not [f for f in unpacked if f.endswith(".part")], "a member left half-written"
    assert not [f for f in unpacked if f.endswith((".txt", "song.ogg"))], "a member no pattern names was unpacked"
    # unpacked once: a second call keeps the files as they are
    mtimes = [os.path.getmtime(f) for f in files]
    os.utime(files[0], (1, 1))
    again = T.source_files(root, source)
    assert again == files and os.path.getmtime(files[0]) == 1 and os.path.getmtime(files[1]) == mtimes[1]
    # without "archive", the patterns are paths of the package
    plain = T.source_files(root, {"files": ["usr/share/game/*.zip"]})
    assert plain == [os.path.join(root, archive)]
    # "exclude" leaves out the files its patterns name (a beep among spoken prompts), in an
    # archive's members as in the package's own files
    kept = T.source_files(root, dict(source, exclude=["*/a/line_1.ogg"]))
    assert [os.path.basename(f) for f in kept] == ["line_2.ogg"], kept
    prompts = os.path.join(root, "usr/share/sounds")
    os.makedirs(prompts)
    for name in ("beep.wav", "goodbye.wav", "hello.wav"):
        open(os.path.join(prompts, name), "wb").close()
    said = T.source_files(root, {"files": ["usr/share/sounds/*.wav"], "exclude": ["*/beep.wav"]})
    assert [os.path.basename(f) for f in said] == ["goodbye.wav", "hello.wav"], said

manifest = {"sources": [{"package": "a", "class": "speech"},
                        {"package": "b", "class": "laughter", "candidate": "measured: no gain"}]}
assert [s["package"] for s in T.manifest_sources(manifest)] == ["a"]
assert [s["package"] for s in T.manifest_sources(manifest, candidates=True)] == ["a", "b"]
with open(os.path.join(src, "apps", "ai", "training", "audio-events-data.json")) as f:
    shipped = json.load(f)
for s in shipped["sources"]:
    assert s.get("candidate", "x"), "%s %s: a candidate mark must say why" % (s["class"], s["package"])
print("archive members unpacked once and in order; %d candidate sources left out of %d" % (
    len(shipped["sources"]) - len(T.manifest_sources(shipped)), len(shipped["sources"])))
