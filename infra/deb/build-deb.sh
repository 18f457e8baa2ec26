#!/usr/bin/env bash
# Builds the Debian package of clipforge from a CMake build tree.
# Usage: infra/deb/build-deb.sh BUILD_DIR OUT_DIR  -> OUT_DIR/clipforge_<version>_<arch>.deb
#
# The tree is installed with DESTDIR under /usr (binary in /usr/bin, data files in
# /usr/share/clipforge, found relative to the binary), the systemd units of infra/systemd go to
# /lib/systemd/system, and Depends is computed by dpkg-shlibdeps from the libraries the binary
# links, plus the Debian packages whose data files it reads at run time.
set -euo pipefail
build=$(cd "${1:?usage: build-deb.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: build-deb.sh BUILD_DIR OUT_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Read or run at run time from other packages: the speech model, the face cascades, the caption
# font, and the tools of the transcription's adaptation to each recording (sphinxtrain's bw and
# mllr_solve, sphinxbase-utils' sphinx_fe, pocketsphinx's pocketsphinx_mdef_convert).
DATA_DEPENDS="pocketsphinx-en-us, opencv-data, fonts-dejavu-core, sphinxtrain, sphinxbase-utils, pocketsphinx"

stage=$(mktemp -d "${TMPDIR:-/tmp}/cfdeb-XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
DESTDIR=$root cmake --install "$build" --prefix /usr >/dev/null
bin=$root/usr/bin/clipforge
[ -x "$bin" ] || { echo "build-deb: no clipforge binary installed from $build" >&2; exit 1; }
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)

if [ -d "$src/infra/systemd" ]; then
  mkdir -p "$root/lib/systemd/system"
  install -m 0644 "$src"/infra/systemd/*.service "$root/lib/systemd/system/"
fi
mkdir -p "$root/usr/share/doc/clipforge"
install -m 0644 "$src/README.md" "$root/usr/share/doc/clipforge/README.md"
install -m 0644 "$src/docs/operations.md" "$root/usr/share/doc/clipforge/operations.md"
cat >"$root/usr/share/doc/clipforge/copyright" <<'TXT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: clipforge

Files: *
Copyright: the clipforge authors
License: see the project's source repository
TXT

# dpkg-shlibdeps wants a debian/control beside it; the libraries of the binary and of its
# pipelines module (loaded on first use, application/pipelines.h) only.
module=usr/lib/clipforge/clipforge-pipelines.so
[ -f "$root/$module" ] || { echo "build-deb: no pipelines module installed from $build" >&2; exit 1; }
mkdir -p "$stage/debian"
printf 'Source: clipforge\n\nPackage: clipforge\nArchitecture: any\n' >"$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O --ignore-missing-info "root/usr/bin/clipforge" "root/$module" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<TXT
Package: clipforge
Version: $version
Architecture: $arch
Maintainer: clipforge maintainers <maintainers@clipforge.invalid>
Installed-Size: $size
Depends: $shlibs, $DATA_DEPENDS
Section: video
Priority: optional
Homepage: https://clipforge.dev
Description: turns long videos into short highlight clips
 A self-hosted platform on the FFmpeg libraries: highlight detection,
 transcription, templated 9:16 and 16:9 renders with captions and smart
 reframing, an HTTP API with job orchestration and a web UI.
TXT
deb=$out/clipforge_${version}_${arch}.deb
# CF_DEB_COMPRESS=gzip builds faster (the tests use it); xz is Debian's default.
dpkg-deb --build --root-owner-group -Z"${CF_DEB_COMPRESS:-xz}" "$root" "$deb" >/dev/null
echo "$deb"
