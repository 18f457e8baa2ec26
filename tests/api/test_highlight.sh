#!/usr/bin/env bash
# highlight_detection jobs against a real `clipforge serve`: a generated media with a planted
# crowd eruption is uploaded, detected through the API, and the planted span comes back with
# the score curve drawn over it; bad requests are problem+json, a missing media fails the job as
# invalid-media, a transcript that is not stored fails it naming transcript_uri, a running
# detection is cancelled within a second; a media without a content hash (stored before hashes
# were taken at upload) gets one recorded by its detection.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
J=(-H 'Content-Type: application/json')

python3 "$SRC/apps/ai/experiments/make_planted.py" --out "$WORK/planted.mp4" --duration 75 \
  --seed 5 --size 160x90 --spans 1 --kinds crowd >/dev/null
# Long enough that the decode pass is still running when the cancel arrives.
ffmpeg -loglevel error -y -f lavfi -i "anoisesrc=c=pink:r=16000:d=1500" -ac 1 -c:a pcm_s16le \
  "$WORK/long.wav"
start_server "$WORK/data" --workers 1

# submit_detect MEDIA_URI PROFILE — submits a detection, prints its id.
submit_detect() {
  curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"$1\",\"detection_profile\":\"$2\",\"top_n\":3}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

echo "# the kind is advertised"
req GET /openapi.json
check "x-cf-job-kinds has highlight_detection" test "$(jget '"highlight_detection" in j["paths"]["/v1/jobs"]["post"]["x-cf-job-kinds"]')" = True
check "the result schema has score_curve" test "$(jget '"score_curve" in j["components"]["schemas"]["HighlightDetectionResult"]["properties"]')" = True
check "spans have boundary_reasons" test "$(jget '"boundary_reasons" in j["components"]["schemas"]["HighlightSpan"]["properties"]')" = True
check "requests take target_length_ms" test "$(jget '"target_length_ms" in j["components"]["schemas"]["HighlightDetectionRequest"]["properties"]')" = True

echo "# the planted span is found"
media=$(upload "$WORK/planted.mp4")
job=$(submit_detect "media://$media" sports)
check "detection succeeds" wait_status "$job" succeeded 240
req GET "/v1/jobs/$job"
check "progress reached 1 ($(jget 'j["progress"]'))" test "$(jget 'j["progress"] == 1')" = True
cp "$WORK/body" "$WORK/job.json"
check "planted span found, score curve follows it" python3 - "$WORK/job.json" "$WORK/planted.mp4.labels.json" <<'PY'
import json, sys
job = json.load(open(sys.argv[1])); labels = json.load(open(sys.argv[2]))
r, t = job["result"], labels["spans"][0]
def iou(a, b):
    inter = max(0, min(a["end_ms"], b["end_ms"]) - max(a["start_ms"], b["start_ms"]))
    return inter / (max(a["end_ms"], b["end_ms"]) - min(a["start_ms"], b["start_ms"]))
assert job["request"]["media_uri"].startswith("media://"), job["request"]
assert r["clip_id"] == "c" and r["engine"] == "heuristic", r
best = max(r["highlights"], key=lambda h: iou(h, t))
print("  planted %.1f-%.1f s, found %.1f-%.1f s (IoU %.2f, score %.2f: %s)" % (
    t["start_ms"] / 1e3, t["end_ms"] / 1e3, best["start_ms"] / 1e3, best["end_ms"] / 1e3,
    iou(best, t), best["score"], "; ".join(best["reasons"])))
assert iou(best, t) >= 0.5, r["highlights"]
reasons = [h.get("boundary_reasons") for h in r["highlights"]]
print("  boundary reasons: %s" % reasons)
assert all(b and b["start"] and b["end"] for b in reasons), reasons
c = r["score_curve"]
assert c["step_ms"] == 1000 and c["threshold"] == 0.5, c
# one value per started second of the media (the generated file runs a few frames long)
assert abs(len(c["values"]) - (labels["duration_ms"] + 999) // 1000) <= 1, len(c["values"])
assert all(0 <= v <= 1 and v * 256 == int(v * 256) for v in c["values"])
inside = [v for i, v in enumerate(c["values"]) if t["start_ms"] <= i * 1000 < t["end_ms"]]
outside = [v for i, v in enumerate(c["values"]) if not t["start_ms"] - 5000 <= i * 1000 < t["end_ms"] + 5000]
print("  curve: mean %.2f inside the planted span, %.2f away from it" % (
    sum(inside) / len(inside), sum(outside) / len(outside)))
assert min(inside[3:-3]) > c["threshold"] > max(outside), (inside, outside)
PY

echo "# media stored before hashes were taken at upload get one from their first detection"
python3 - "$WORK/data/clipforge.db" "$media" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE media SET sha256=NULL WHERE id=?", (sys.argv[2],))
db.commit()
PY
req GET "/v1/media/$media"
check "the media has no hash (as before they were kept)" test "$(jget '"sha256" in j')" = False
job=$(submit_detect "media://$media" generic)
check "its detection succeeds" wait_status "$job" succeeded 240
req GET "/v1/media/$media"
check "and records the hash of its bytes" test "$(jget 'j.get("sha256")')" = "$(sha256sum "$WORK/planted.mp4" | cut -d' ' -f1)"

echo "# another audio stream is analysed when asked for, and the one left out is named"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=s=160x90:r=25:d=20" -f lavfi -i "sine=f=440:d=20,volume=0.05" \
  -f lavfi -i "anoisesrc=c=pink:d=20,volume='if(between(mod(t\,5)\,2\,3)\,1\,0.01)':eval=frame" \
  -map 0 -map 1 -map 2 -c:v libx264 -preset ultrafast -c:a libopus -metadata:s:a:1 title=Commentary "$WORK/tracks.mkv"
tracks=$(upload "$WORK/tracks.mkv")
job=$(submit_detect "media://$tracks" generic)
check "detection of the default audio stream succeeds" wait_status "$job" succeeded 120
req GET "/v1/jobs/$job"
cp "$WORK/body" "$WORK/default.json"
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$tracks\",\"audio_stream\":2}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "detection of audio stream 2 succeeds" wait_status "$job" succeeded 120
req GET "/v1/jobs/$job"
check "each names the other audio stream as left out, and stream 2's curve is its bursts" python3 - "$WORK/default.json" "$WORK/body" <<'PY'
import json, sys
default, asked = (json.load(open(p))["result"] for p in sys.argv[1:])
print("  notes: %s / %s" % (default.get("notes"), asked.get("notes")))
assert [n for n in default["notes"] if 'audio stream 2 (opus, "Commentary")' in n and "carries audio stream 1" in n], default
assert [n for n in asked["notes"] if "audio stream 1 (opus)" in n and "carries audio stream 2" in n], asked
a, b = default["score_curve"]["values"], asked["score_curve"]["values"]
print("  score curves: default %s, stream 2 %s" % (a, b))
assert a != b, "stream 2 was scored with the default stream's features"
PY

echo "# a media's own subtitles weigh in as a transcript, unless the request says not to"
printf '1\n00:00:02,000 --> 00:00:04,000\nwhat a goal\n' >"$WORK/said.srt"
ffmpeg -loglevel error -y -i "$WORK/tracks.mkv" -i "$WORK/said.srt" -map 0:v -map 0:a:0 -map 1 -c copy -c:s srt "$WORK/said.mkv"
said=$(upload "$WORK/said.mkv")
for subs in true false; do
  job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$said\",\"subtitles\":$subs}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  check "detection with subtitles: $subs succeeds" wait_status "$job" succeeded 120
  req GET "/v1/jobs/$job"
  check "subtitles: $subs: the notes $([ $subs = true ] && echo name || echo do not name) the stream ($(jget 'j["result"]["notes"]'))" \
    test "$(jget 'str(any(n.startswith("speech from the media'"'"'s subtitle stream 2 (subrip") for n in j["result"]["notes"]))')" = "$([ $subs = true ] && echo True || echo False)"
done

echo "# bad requests are problem+json"
req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\",\"detection_profile\":\"opera\"}}"
expect_problem 400 validation
check "the detail names detection_profile" grep -q 'detection_profile' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d '{"kind":"highlight_detection","request":{"clip_id":"c","media_uri":"file:///etc/passwd"}}'
expect_problem 400 validation
check "the detail names media_uri" grep -q 'media_uri' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\",\"top_n\":0}}"
expect_problem 400 validation

req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\",\"transcript_uri\":\"file:///etc/passwd\"}}"
expect_problem 400 validation
check "the detail names transcript_uri" grep -q 'transcript_uri' <<<"$(jget 'j["detail"]')"

echo "# a transcript that is not stored fails the job, naming it"
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\",\"transcript_uri\":\"storage://jobs/j_nope/1/transcript.json\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "the job fails" wait_status "$job" failed 60
req GET "/v1/jobs/$job"
check "error names transcript_uri ($(jget 'j["error"]["detail"]'))" grep -q 'transcript_uri' <<<"$(jget 'j["error"]["detail"]')"

echo "# a media that does not exist fails the job"
job=$(submit_detect media://m_nope generic)
check "the job fails" wait_status "$job" failed 60
req GET "/v1/jobs/$job"
check "error is invalid-media" test "$(jget 'j["error"]["type"]')" = "https://clipforge.dev/problems/invalid-media"

echo "# a running detection is cancelled within a second"
long=$(upload "$WORK/long.wav")
job=$(submit_detect "media://$long" music)
check "job runs" wait_status "$job" running 30
for _ in $(seq 1 100); do
  p=$(curl -s "$BASE/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["progress"])')
  python3 -c "import sys; sys.exit(0 if $p > 0 else 1)" && break
  sleep 0.1
done
check "progress was reported before the cancel ($p)" python3 -c "import sys; sys.exit(0 if 0 < $p < 1 else 1)"
ms=$(python3 - "$BASE" "$job" <<'PY'
import json, sys, time, urllib.request
base, job = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
urllib.request.urlopen(urllib.request.Request(f"{base}/v1/jobs/{job}/cancel", method="POST"))
while time.monotonic() - t0 < 10:
    if json.load(urllib.request.urlopen(f"{base}/v1/jobs/{job}"))["status"] == "cancelled":
        break
    time.sleep(0.01)
print(int((time.monotonic() - t0) * 1000))
PY
)
check "cancelled within 1 s ($ms ms)" test "$ms" -le 1000

stop_server
finish
