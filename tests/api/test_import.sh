#!/usr/bin/env bash
# Media imported by URL (POST /v1/media/import): refused while CLIPFORGE_SOURCE_ALLOW is empty;
# with it, only https:// URLs of listed hosts, and every hop is checked again: a redirect to
# 127.0.0.1 or localhost (even when listed) is refused before any connection, as is one to an
# unlisted host or to file://. Too large, too slow, missing and non-media sources are refused
# and leave nothing stored; imports beyond half the HTTP threads wait their turn (503); a listed host works end to end (a clip job runs on the import).
# The source is a local https server (python3, a certificate made here) on 127.0.0.2, reached
# through the test builds' CLIPFORGE_TEST_SOURCE_CA and CLIPFORGE_TEST_SOURCE_PINS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if ! "$CLIPFORGE" --help | grep -q CLIPFORGE_TEST_SOURCE_PINS; then
  echo "SKIP: this build has no test hooks (CF_TEST_HOOKS)"
  exit 77
fi

make_media "$WORK/talk.mp4" 2
head -c 3000000 /dev/urandom >"$WORK/big.bin"
printf 'not media at all\n' >"$WORK/text.txt"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=clipforge-test -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -addext \
  "subjectAltName=DNS:files.example.test,DNS:other.example.test,DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" \
  2>/dev/null

SPORT=$(free_port)
# Answers by path; logs every request line to hits.log (so a refused hop shows as absent).
python3 - "$WORK" "$SPORT" >"$WORK/https.log" 2>&1 <<'PY' &
import http.server, os, ssl, sys, time
work, port = sys.argv[1], int(sys.argv[2])
def host(name): return f"https://{name}:{port}"
routes = {
    "/to-loopback": host("127.0.0.1") + "/talk.mp4",
    "/to-localhost": host("localhost") + "/talk.mp4",
    "/to-other": host("other.example.test") + "/talk.mp4",
    "/to-file": "file:///etc/passwd",
    "/to-ok": host("files.example.test") + "/talk.mp4",
    "/relative": "/talk.mp4",
}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        with open(os.path.join(work, "hits.log"), "a") as f:
            f.write(f"{self.headers.get('Host')} {self.path}\n")
        if self.path in routes:
            self.send_response(302); self.send_header("Location", routes[self.path])
            self.send_header("Content-Length", "0"); self.end_headers(); return
        if self.path == "/slow":
            time.sleep(5)
        name = {"/talk.mp4": "talk.mp4", "/big.bin": "big.bin", "/text.txt": "text.txt", "/slow": "talk.mp4"}.get(self.path)
        if not name:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        data = open(os.path.join(work, name), "rb").read()
        self.send_response(200); self.send_header("Content-Type", "video/mp4")
        chunked = self.path == "/big.bin"   # no Content-Length: the limit is found while reading
        if chunked: self.send_header("Connection", "close")
        else: self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try: self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError): pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(work, "cert.pem"), os.path.join(work, "key.pem"))
srv = http.server.ThreadingHTTPServer(("0.0.0.0", port), H)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
HTTPS_PID=$!
trap 'kill $HTTPS_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do
  curl -s --cacert "$WORK/cert.pem" --resolve "files.example.test:$SPORT:127.0.0.2" \
    "https://files.example.test:$SPORT/none" -o /dev/null && break
  sleep 0.1
done
: >"$WORK/hits.log"

files() { find "$WORK/data/storage" -type f 2>/dev/null | wc -l; }
import() { req POST /v1/media/import -H 'Content-Type: application/json' -d "{\"url\":\"$1\"}"; }
OK="https://files.example.test:$SPORT"

echo "# CLIPFORGE_SOURCE_ALLOW empty: no remote source"
start_server "$WORK/data" --workers 1
import "$OK/talk.mp4"; expect_problem 403 source-not-allowed
check "the detail says remote sources are off ($(jget 'j["detail"]'))" grep -q "CLIPFORGE_SOURCE_ALLOW is empty" "$WORK/body"
stop_server

export CLIPFORGE_SOURCE_ALLOW="files.example.test, other.test, 127.0.0.1, localhost" CLIPFORGE_SOURCE_TIMEOUT_S=2
export CLIPFORGE_TEST_SOURCE_CA="$WORK/cert.pem"
export CLIPFORGE_TEST_SOURCE_PINS="files.example.test:$SPORT:127.0.0.2,other.example.test:$SPORT:127.0.0.2"
export CLIPFORGE_QUOTA_UPLOAD_BYTES=2000000 CLIPFORGE_HTTP_THREADS=2
start_server "$WORK/data" --workers 1

echo "# not an https URL of a listed host: refused without a request"
for u in "file:///etc/passwd" "/etc/passwd" "talk.mp4" "http://files.example.test:$SPORT/talk.mp4" \
  "$OK/a/../talk.mp4" "$OK/a/%2E%2e/talk.mp4" "https://user:pw@files.example.test:$SPORT/talk.mp4"; do
  import "$u"; expect_problem 400 validation
done
import "https://other.example.test:$SPORT/talk.mp4"; expect_problem 403 source-not-allowed
check "an unlisted host is named ($(jget 'j["detail"]'))" grep -q "other.example.test is not on the allow-list" "$WORK/body"
req POST /v1/media/import -H 'Content-Type: application/json' -d '{"url": 5}'; expect_problem 400 validation
check "the source saw no request ($(cat "$WORK/hits.log"))" test ! -s "$WORK/hits.log"

echo "# redirects: each hop checked"
import "$OK/to-loopback"; expect_problem 403 source-not-allowed
check "a redirect to 127.0.0.1 (listed) is refused on its address ($(jget 'j["detail"]'))" grep -q \
  "a redirect of the source was refused: the source's address 127.0.0.1 is not a public address" "$WORK/body"
import "$OK/to-localhost"; expect_problem 403 source-not-allowed
check "a redirect to localhost (listed) is refused on its address ($(jget 'j["detail"]'))" grep -Eq \
  "address (127.0.0.1|::1) is not a public address" "$WORK/body"
import "$OK/to-other"; expect_problem 403 source-not-allowed
check "a redirect to an unlisted host is refused" grep -q "other.example.test is not on the allow-list" "$WORK/body"
import "$OK/to-file"; expect_problem 400 validation
check "the refused hops never reached the source ($(tr '\n' ';' <"$WORK/hits.log"))" \
  test "$(grep -c 'talk.mp4' "$WORK/hits.log")" = 0
import "https://127.0.0.1:$SPORT/talk.mp4"; expect_problem 403 source-not-allowed
check "nothing stored by the refusals" test "$(files)" = 0

echo "# failures leave nothing stored"
import "$OK/big.bin"; expect_problem 413 payload-too-large
check "too large names the limit ($(jget 'j["detail"]'))" grep -q "larger than 2000000 bytes" "$WORK/body"
# the slow import holds the one import slot of 2 HTTP threads: another one meanwhile gets 503
curl -s -o "$WORK/slow.json" -X POST -H 'Content-Type: application/json' -d "{\"url\":\"$OK/slow\"}" \
  "$BASE/v1/media/import" &
SLOW=$!
for _ in $(seq 1 100); do grep -q ' /slow$' "$WORK/hits.log" && break; sleep 0.05; done
import "$OK/talk.mp4"; expect_problem 503 unavailable
req GET /healthz
check "the API answers meanwhile ($STATUS)" test "$STATUS" = 200
wait $SLOW
cp "$WORK/slow.json" "$WORK/body"
check "too slow: source-unreachable, saying so ($(cat "$WORK/body"))" test \
  "$(jget 'j["type"] + " " + j["detail"]')" = "https://clipforge.dev/problems/source-unreachable the source took longer than 2000 ms"
import "$OK/missing"; expect_problem 502 source-unreachable
check "a 404 is named ($(jget 'j["detail"]'))" grep -q "answered HTTP 404" "$WORK/body"
import "$OK/text.txt"; expect_problem 415 unsupported-media-type
check "nothing stored by the failures" test "$(files)" = 0
req GET /v1/media
check "no media listed" test "$(jget 'len(j["items"])')" = 0

echo "# a listed host, directly and through a redirect: end to end"
import "$OK/to-ok"
check "import through a redirect: 201 ($STATUS $BODY)" test "$STATUS" = 201
check "named after the last segment of the URL given" test "$(jget 'j["filename"]')" = "to-ok"
check "its bytes are the source's" test "$(jget 'j["bytes"]')" = "$(stat -c %s "$WORK/talk.mp4")"
check "hashed as they were fetched" test "$(jget 'j["sha256"]')" = "$(sha256sum "$WORK/talk.mp4" | cut -d' ' -f1)"
check "probed as media" test "$(jget 'j["probe"]["duration_ms"]')" = 2000
media=$(jget 'j["id"]')
req POST /v1/media/import -H 'Content-Type: application/json' -d "{\"url\":\"$OK/talk.mp4\",\"filename\":\"../My talk.mp4\"}"
check "direct import: 201" test "$STATUS" = 201
check "a given filename is sanitised ($(jget 'j["filename"]'))" test "$(jget 'j["filename"]')" = "My talk.mp4"
check "two objects stored" test "$(files)" = 2
job=$(submit_clip "$media")
check "a clip job on the imported media succeeds" wait_status "$job" succeeded 120
stop_server
finish
