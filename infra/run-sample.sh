#!/usr/bin/env bash
# `make run`: makes a talk-show sample (or uses INPUT), starts `clipforge serve` on a free
# loopback port with its data under out/data, uploads the video, runs an autoclip job through the
# HTTP API while printing its progress, copies the finished shorts to out/clips, prints where
# they are and the web UI's address, and keeps the server up until Ctrl-C (then stops it).
# Usage: infra/run-sample.sh PATH/TO/clipforge [INPUT]
# RUN_COUNT (default 3) sets the number of shorts; RUN_KEEP=0 stops the server at the end.
set -euo pipefail
bin=${1:?usage: run-sample.sh CLIPFORGE [INPUT]}
input=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
out="$root/out"
count=${RUN_COUNT:-3}
mkdir -p "$out"
"$root/infra/deps.sh" test >/dev/null

if [ -z "$input" ]; then
  input="$out/sample.mp4"
  if [ ! -s "$input" ]; then
    echo "== making a sample talk-show video (about 2.5 minutes)"
    "$root/infra/make-sample.sh" "$input" 20 1280x720
  fi
fi
[ -r "$input" ] || { echo "run: cannot read $input" >&2; exit 2; }

echo "== probe $input"
"$bin" probe "$input"

py() { python3 -c "$@"; }
port=$(py 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
server=""
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    echo "== stopping clipforge serve"
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

echo "== starting clipforge serve on $base (data in $out/data, log in $out/serve.log)"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$out/data" >>"$out/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 200); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { tail -20 "$out/serve.log" >&2; echo "run: the server died" >&2; exit 1; }
  sleep 0.1
done

echo "== uploading $(basename "$input")"
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$input" "$base/v1/media" |
  py 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "media://$media"

echo "== autoclip job: the best $count shorts (shorts-blur, 9:16, captions)"
job=$(curl -sf -X POST -H 'Content-Type: application/json' "$base/v1/jobs" \
  -d "{\"kind\":\"autoclip\",\"request\":{\"clip_id\":\"sample\",\"media_uri\":\"media://$media\",\"count\":$count}}" |
  py 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "job $job"
last=""
while :; do
  curl -sf "$base/v1/jobs/$job" >"$out/job.json"
  line=$(py 'import json,sys; j=json.load(open(sys.argv[1])); print("%s %s %5.1f%%" % (j["status"], (j.get("stage") or "-") if j["status"] == "running" else "", 100*j.get("progress",0)))' "$out/job.json")
  status=${line%% *}
  if [ -t 1 ]; then printf '\r  %-60s' "$line"; elif [ "${line% *}" != "${last% *}" ]; then echo "  $line"; fi
  last=$line
  case "$status" in succeeded | failed | cancelled) break ;; esac
  sleep 0.5
done
[ -t 1 ] && echo
if [ "$status" != succeeded ]; then
  py 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("error"), indent=2))' "$out/job.json" >&2
  exit 1
fi

echo "== downloading the shorts (signed URLs) into $out/clips"
rm -rf "$out/clips"
mkdir -p "$out/clips"
py 'import json,sys; json.dump(json.load(open(sys.argv[1]))["result"], open(sys.argv[2], "w"), indent=2)' \
  "$out/job.json" "$out/clips/manifest.json"
py '
import json, sys
m = json.load(open(sys.argv[1]))
for c in m["clips"]:
    for a in c.get("outputs", []):
        # each render is a child job whose files share one base name: name them by clip
        ext = a["uri"].rsplit("/", 1)[-1].partition(".")[2]
        if a.get("url"): print(a["url"], "clip-%02d.%s" % (c["index"], ext))
' "$out/clips/manifest.json" | while read -r url name; do
  case "$url" in http*) ;; *) url="$base$url" ;; esac
  curl -sf -o "$out/clips/$name" "$url"
done
py '
import json, sys
m = json.load(open(sys.argv[1]))
print("%d of %d shorts, %s captions (%s)" % (m["succeeded"], len(m["clips"]), "with" if m["captions"] else "without", "; ".join(m["notes"]) or "transcribed"))
for c in m["clips"]:
    print("  %d  %6.1f-%6.1f s  score %.2f  %-32s %s" % (c["index"], c["start_ms"]/1e3, c["end_ms"]/1e3, c["score"], c["title"][:32], c["status"]))
print("stages: " + ", ".join("%s %.1f s" % (s["name"], s["elapsed_ms"]/1e3) for s in m["stages"]))
' "$out/clips/manifest.json"
echo
echo "Shorts, thumbnails, captions and manifest.json: $out/clips"
echo
echo "Web UI: $base/"
cat <<TRY
What to try there:
  Clips    $base/clips
           the $count shorts: play them in place, download one or all as a zip, copy a share link
  Library  $base/
           hover the sample's poster to run through its filmstrip; Autoclip... makes more shorts
           with other settings (count, length, template, profile, captions)
  Jobs     $base/jobs/$job
           this autoclip run: its stages, its render children, the manifest
  Review   Library > Find highlights, then Review: the waveform, the detector's score curve,
           accept or reject spans with the mouse or the keys (Space, J/K/L, A/R, [ ])
API: $base/openapi.json   Server log: $out/serve.log
TRY
if [ "${RUN_KEEP:-1}" = 0 ]; then exit 0; fi
echo "The server keeps running; press Ctrl-C to stop it."
wait "$server" || true
