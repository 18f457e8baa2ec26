#!/usr/bin/env bash
# Installs every Debian package clipforge needs to build, run, test and benchmark, idempotently:
# only what is missing, with one `apt-get update` when something is. Usage: infra/deps.sh [build|test|lint|bench|all]
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config python3
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libjansson-dev libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev
  libpocketsphinx-dev pocketsphinx-en-us fonts-dejavu-core libxml2-dev opencv-data
  libpq-dev libhiredis-dev libnats-dev libzip-dev librdkafka-dev)
TEST_PKGS=(ffmpeg libcmocka-dev espeak-ng sox curl clang python3-jsonschema python3-numpy postgresql redis-server nats-server chromium)
# operations: Prometheus and promtool, the OTLP collector of the tests (protoc + python3-protobuf),
# systemd-analyze for the units, PyYAML for the deployables, dpkg-dev for `make deb`,
# python3-websockets for the WebSocket event stream test; libde265's decoder, a second opinion on
# the HEVC streams smart cuts make
TEST_PKGS+=(prometheus protobuf-compiler python3-protobuf python3-yaml systemd dpkg-dev python3-websockets
  libde265-examples)
# Run by clipforge at run time: sphinxtrain (bw, mllr_solve), sphinxbase-utils (sphinx_fe) and
# pocketsphinx (pocketsphinx_mdef_convert, and the peer of the transcription benchmark): the
# adapted second pass of CLIPFORGE_POCKETSPHINX_MLLR (on by default; without them, one pass)
RUN_PKGS=(sphinxtrain sphinxbase-utils pocketsphinx)
BENCH_PKGS=(wrk hyperfine valgrind python3-celery python3-redis auto-editor python3-fastapi python3-uvicorn)

LINT_PKGS=(clang-format clang-tidy cppcheck)
want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
case "${1:-test}" in
  build) ;;
  test) want+=("${TEST_PKGS[@]}") ;;
  lint) want+=("${LINT_PKGS[@]}") ;;
  bench|all) want+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}" "${LINT_PKGS[@]}") ;;
  *) echo "usage: $0 [build|test|lint|bench|all]" >&2; exit 2 ;;
esac
# s3rver (the S3-protocol server of the tests) installs with npm, which some nodejs builds carry.
[ "${1:-test}" = build ] || command -v npm >/dev/null 2>&1 || want+=(npm)

# The web UI needs Node.js and npm: the machine's own (e.g. a newer Node from elsewhere) wins;
# Debian's are installed only when there are none (Vite 7 needs Node 20.19+: with an older one
# the build skips the UI and says so).
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "infra/deps.sh: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
