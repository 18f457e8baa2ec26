#!/usr/bin/env python3
"""Real media from Debian packages, fetched once and cached (the one place tests get them).

    debmedia.py [--cache DIR] PKG [PKG...]   prints each package's unpacked root, one per line;
                                              exit 77 (ctest's skip code) when one cannot be fetched

The cache is DIR, else default_cache(): $CF_REAL_MEDIA (ctest sets it to the build dir's
real-media/), else build/asan/real-media of this checkout (the one `make test` fills).

From Python: `sys.path.insert(0, <this dir>); import debmedia; root = debmedia.fetch(cache, pkg)`
(None when it cannot be fetched) and `debmedia.licence(root, pkg)` (the package's copyright file).

Each package is downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into
CACHE_DIR/PKG/root; a `complete` marker is written last, so a run stopped halfway is redone, and
a lock file serialises tests that run in parallel (ctest -j) and want the same package.
"""
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def _download(cache, pkg, root):
    debs = tempfile.mkdtemp(dir=cache, prefix=".dl-")
    try:
        r = subprocess.run(["apt-get", "download", pkg], cwd=debs, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            print("# cannot download %s: %s" % (pkg, r.stderr.strip()[-300:]), file=sys.stderr)
            return False
        shutil.rmtree(root, ignore_errors=True)
        for deb in os.listdir(debs):
            subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), root], check=True)
        return True
    except (OSError, subprocess.SubprocessError) as e:
        print("# cannot fetch %s: %s" % (pkg, e), file=sys.stderr)
        return False
    finally:
        shutil.rmtree(debs, ignore_errors=True)


def fetch(cache, pkg):
    """The unpacked root of Debian package pkg under cache, or None when it cannot be fetched."""
    cache = os.path.abspath(cache)
    base = os.path.join(cache, pkg)
    root, done = os.path.join(base, "root"), os.path.join(base, "complete")
    if os.path.exists(done):
        return root
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return None
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(done):
            return root
        if not _download(cache, pkg, root):
            return None
        open(done, "w").close()
    return root


def licence(root, pkg):
    """The text of the package's copyright file ('' when it has none)."""
    path = os.path.join(root, "usr/share/doc", pkg, "copyright")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def matching(base, patterns, exclude=()):
    """The files under base matching the glob patterns (relative to base), sorted per pattern,
    less those matching any of the exclude patterns (fnmatch, relative to base): a package's
    directory of one kind of recording can hold a few of another (a set of spoken prompts with
    its beep tones), which a manifest names to leave them out."""
    import fnmatch
    import glob
    files = []
    for pattern in patterns:
        files += sorted(glob.glob(os.path.join(base, pattern)))
    return [f for f in files if os.path.isfile(f)
            and not any(fnmatch.fnmatch(os.path.relpath(f, base), x) for x in exclude)]


def seconds(path):
    """A media file's length as ffprobe reads it (0 when it says none)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    try:
        return float(r.stdout.strip())
    except ValueError:
        return 0.0


def default_cache():
    """$CF_REAL_MEDIA (ctest sets it for every test), else the cache `make test` fills in this
    checkout (build/asan/real-media): the one default of every script that fetches packages."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get("CF_REAL_MEDIA") or os.path.join(root, "build", "asan", "real-media")


def main(argv):
    args = argv[1:]
    cache = default_cache()
    if args[:1] == ["--cache"] and len(args) > 1:
        cache, args = args[1], args[2:]
    if not args:
        print("usage: debmedia.py [--cache DIR] PKG [PKG...]", file=sys.stderr)
        return 2
    roots = []
    for pkg in args:
        root = fetch(cache, pkg)
        if root is None:
            print("SKIP: cannot fetch Debian package %s (offline?)" % pkg, file=sys.stderr)
            return SKIP
        roots.append(root)
    print("\n".join(roots))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
