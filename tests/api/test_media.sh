#!/usr/bin/env bash
# POST /v1/media streams uploads to storage: a 1 GiB upload keeps the server's RSS bounded; a
# client that stops halfway leaves no file behind; read and delete.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server "$WORK/data" --workers 1
files() { find "$WORK/data/storage" -type f | wc -l; }

echo "# upload, read, delete"
make_media "$WORK/src.mp4" 2
req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
check "upload: 201" test "$STATUS" = 201
id=$(jget 'j["id"]')
check "upload: uri is media://id" test "$(jget 'j["uri"]')" = "media://$id"
check "upload: bytes" test "$(jget 'j["bytes"]')" = "$(stat -c %s "$WORK/src.mp4")"
check "upload: sha256 of the bytes" test "$(jget 'j["sha256"]')" = "$(sha256sum "$WORK/src.mp4" | cut -d' ' -f1)"
check "upload: probe has the duration" test "$(jget 'j["probe"]["duration_ms"]')" = 2000
check "upload: probe names no server path" test "$(jget '"path" in j["probe"]')" = False
check "upload: a signed url that downloads the same bytes" cmp -s "$WORK/src.mp4" <(curl -sf "$BASE$(jget 'j["url"]')")
req GET "/v1/media/$id"
check "get: 200 same id" test "$STATUS/$(jget 'j["id"]')" = "200/$id"
check "get: the same sha256" test "$(jget 'j["sha256"]')" = "$(sha256sum "$WORK/src.mp4" | cut -d' ' -f1)"
check "one object stored" test "$(files)" = 1
req DELETE "/v1/media/$id"
check "delete: 204" test "$STATUS" = 204
req GET "/v1/media/$id";           expect_problem 404 not-found
check "the object is gone" test "$(files)" = 0

echo "# a client that aborts halfway leaves no file"
python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/media HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
          b"Content-Length: 20000000\r\n\r\n")
chunk = b"\0" * 65536
for _ in range(150):            # about 10 MB of the promised 20 MB
    s.sendall(chunk)
time.sleep(0.3)
s.close()
PY
sleep 0.5
check "no temp or object file after the abort" test "$(files)" = 0
check "server still healthy" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200

echo "# 1 GiB upload with bounded memory"
python3 - >"$WORK/wav.hdr" <<'PY'
import struct, sys
n = 1 << 30
sys.stdout.buffer.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " +
                        struct.pack("<IHHIIHH", 16, 1, 1, 48000, 96000, 2, 16) +
                        b"data" + struct.pack("<I", n))
PY
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
before=$(rss)
( while kill -0 "$SERVER_PID" 2>/dev/null; do rss; sleep 0.1; done ) >"$WORK/rss" &
monitor=$!
start=$(date +%s.%N)
(cat "$WORK/wav.hdr"; head -c $((1 << 30)) /dev/zero) |
  curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: audio/wav' -T - "$BASE/v1/media" >"$WORK/code"
secs=$(python3 -c "import time; print(round(time.time() - $start, 1))")
kill "$monitor" 2>/dev/null || true
peak=$(sort -n "$WORK/rss" | tail -1)
echo "# RSS before ${before} KiB, peak ${peak} KiB during the upload; ${secs} s"
check "1 GiB upload: 201" test "$(cat "$WORK/code")" = 201
check "1 GiB upload: all bytes stored" test "$(python3 -c 'import json; print(json.load(open("'"$WORK/body"'"))["bytes"])')" = $(((1 << 30) + 44))
check "1 GiB upload: hashed as it streamed" test "$(python3 -c 'import json; print(json.load(open("'"$WORK/body"'"))["sha256"])')" = \
  "$( (cat "$WORK/wav.hdr"; head -c $((1 << 30)) /dev/zero) | sha256sum | cut -d' ' -f1)"
check "RSS grew by less than 64 MiB (peak $peak KiB, before $before KiB)" test $((peak - before)) -lt 65536
check "RSS stayed under 200 MiB even under ASan" test "$peak" -lt 204800

stop_server
finish
