#!/usr/bin/env python3
"""The audio-event trainer extracts a source's inputs again when the extractor changed, and the
extractor is the binary and the pipelines module it opens (clipforge-pipelines.so, beside the
binary or in ../lib/clipforge): inputs newer than the binary but older than a rebuilt module are
stale. Inputs newer than both are reused.

    audio_events_extractor_cache.py SOURCE_DIR
"""
import os
import sys
import tempfile

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402


def touch(path, t):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        open(path, "w").close()
    os.utime(path, (t, t))


def check(binary, module):
    cached = os.path.join(os.path.dirname(binary), "..", "work", "source.flac.json")
    touch(binary, 1000)
    touch(module, 1000)
    assert os.path.realpath(module) in T.extractor_files(binary), T.extractor_files(binary)
    touch(cached, 2000)
    assert T.extracted_is_current(binary, cached), "inputs newer than the binary and its module are reused"
    touch(module, 3000)  # the module rebuilt, the binary not relinked
    assert not T.extracted_is_current(binary, cached), "inputs older than the pipelines module were reused"
    touch(module, 1000)
    touch(binary, 3000)
    assert not T.extracted_is_current(binary, cached), "inputs older than the binary were reused"
    os.remove(cached)
    assert not T.extracted_is_current(binary, cached)


with tempfile.TemporaryDirectory(prefix="cf-ev-extractor-") as tmp:
    # a build tree: the module beside the binary
    check(os.path.join(tmp, "build", "clipforge"), os.path.join(tmp, "build", T.PIPELINES_MODULE))
    # an installed tree, the binary called through a symbolic link
    binary = os.path.join(tmp, "prefix", "bin", "clipforge")
    check(binary, os.path.join(tmp, "prefix", "lib", "clipforge", T.PIPELINES_MODULE))
    os.symlink(binary, os.path.join(tmp, "clipforge-link"))
    assert T.extractor_files(os.path.join(tmp, "clipforge-link"))[0] == os.path.realpath(binary)
    assert len(T.extractor_files(os.path.join(tmp, "clipforge-link"))) == 2
print("audio_events_extractor_cache: ok")
