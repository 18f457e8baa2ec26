#!/usr/bin/env bash
# GET /v1/media lists uploads newest first in pages (cursor and limit checked, no row repeated or
# skipped); ?filename= on POST /v1/media is kept as the media's name, sanitised (path parts,
# control characters and invalid UTF-8 dropped, at most 255 characters); the names survive a
# restart; deleted media leave the list; the OpenAPI document describes both.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server "$WORK/data" --no-workers
make_media "$WORK/src.mp4" 1

# up NAME_QUERY — uploads src.mp4 with ?filename=NAME_QUERY (already URL-encoded; empty = none).
up() {
  req POST "/v1/media${1:+?filename=$1}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
  [ "$STATUS" = 201 ] || { echo "upload failed: $STATUS $BODY" >&2; return 1; }
  jget 'j["id"]'
}

echo "# file names"
id_plain=$(up "match%20day.mp4")
check "the name is kept as sent" test "$(jget 'j["filename"]')" = "match day.mp4"
id_utf8=$(up "%C3%A9t%C3%A9%20%F0%9F%8E%AC.mov")
check "UTF-8 names are kept" test "$(jget 'j["filename"]')" = "été 🎬.mov"
id_path=$(up "..%2F..%2Fetc%2Fpasswd")
check "path parts are dropped" test "$(jget 'j["filename"]')" = "passwd"
id_win=$(up "C%3A%5CUsers%5Cme%5Cclip.mp4")
check "Windows path parts are dropped" test "$(jget 'j["filename"]')" = "clip.mp4"
id_ctrl=$(up "%1B%5B31mred%07%0A.mp4%20%20")
check "control characters and trailing spaces are dropped" test "$(jget 'j["filename"]')" = "[31mred.mp4"
id_bad=$(up "a%FFb%C0%AFc.mp4")
check "invalid UTF-8 bytes are dropped" test "$(jget 'j["filename"]')" = "abc.mp4"
long=$(python3 -c 'print("%C3%A9" * 300)')
id_long=$(up "$long")
check "names are cut at 255 characters" test "$(jget 'len(j["filename"])')" = 255
id_none=$(up "")
check "no filename: none stored" test "$(jget '"filename" in j')" = False
id_dots=$(up "..")
check "a name of dots only: none stored" test "$(jget '"filename" in j')" = False
req GET "/v1/media/$id_plain"
check "GET /v1/media/{id} has the name" test "$(jget 'j["filename"]')" = "match day.mp4"

echo "# the list, newest first, in pages"
all="$id_dots $id_none $id_long $id_bad $id_ctrl $id_win $id_path $id_utf8 $id_plain"
req GET /v1/media
check "list: 200" test "$STATUS" = 200
check "list: all nine, newest first" test "$(jget '" ".join(m["id"] for m in j["items"])')" = "$all"
check "list: a short page has no next_cursor" test "$(jget '"next_cursor" in j')" = False
check "list items are full media (signed url, probe)" test "$(jget 'all("sig=" in m["url"] and m["probe"]["duration_ms"] == 1000 for m in j["items"])')" = True
seen=""
cursor=""
pages=0
while :; do
  req GET "/v1/media?limit=4${cursor:+&cursor=$cursor}"
  [ "$STATUS" = 200 ] || break
  seen="$seen $(jget '" ".join(m["id"] for m in j["items"])')"
  pages=$((pages + 1))
  cursor=$(jget 'j.get("next_cursor", "")')
  [ -n "$cursor" ] && [ $pages -lt 10 ] || break
done
check "pages of 4: every media once, in order ($pages pages)" test "$(echo $seen)" = "$all"
check "three pages (4 + 4 + 1)" test "$pages" = 3

echo "# bad paging parameters"
req GET "/v1/media?limit=0";        expect_problem 400 validation
req GET "/v1/media?limit=201";      expect_problem 400 validation
req GET "/v1/media?limit=x";        expect_problem 400 validation
req GET "/v1/media?cursor=nope";    expect_problem 400 validation
req GET "/v1/media?cursor=12.";     expect_problem 400 validation
req GET "/v1/media?cursor=-5.m_1";  expect_problem 400 validation
req PUT /v1/media
check "PUT /v1/media: 405" test "$STATUS" = 405

echo "# delete leaves the list; names survive a restart"
req DELETE "/v1/media/$id_none"
req GET /v1/media
check "deleted media is not listed" test "$(jget 'len(j["items"])')" = 8
stop_server
start_server "$WORK/data" --no-workers
req GET "/v1/media?limit=200"
check "after a restart: still 8, names kept" test "$(jget 'len(j["items"]) == 8 and j["items"][-1]["filename"] == "match day.mp4"')" = True

echo "# the OpenAPI document"
req GET /openapi.json
check "GET /v1/media answers MediaList" test "$(jget 'j["paths"]["/v1/media"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]')" = "#/components/schemas/MediaList"
check "GET /v1/media takes cursor and limit" test "$(jget '",".join(p["name"] for p in j["paths"]["/v1/media"]["get"]["parameters"])')" = "cursor,limit"
check "POST /v1/media takes filename" test "$(jget '",".join(p["name"] for p in j["paths"]["/v1/media"]["post"]["parameters"])')" = "filename"
check "MediaList lists Media" test "$(jget 'j["components"]["schemas"]["MediaList"]["properties"]["items"]["items"]["$ref"]')" = "#/components/schemas/Media"
stop_server
finish
