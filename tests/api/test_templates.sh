#!/usr/bin/env bash
# GET /v1/templates lists the rendering templates of the template directory: name, layout,
# canvas sizes, title and captions positions, variables with the request member that fills each
# and the template's default. A broken file is left out, not fatal; a missing directory is an
# empty list. The answer is what the OpenAPI document says (TemplateList).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

repo="$(cd "$(dirname "$0")/../.." && pwd)"
tdir="$WORK/templates"
mkdir -p "$tdir"
cp "$repo"/packages/pipelines/rendering/templates/*.json "$tdir/"
echo '{"id": "broken", "canvas": ' >"$tdir/broken.json"
echo '{}' >"$tdir/Not-A-Name.json"
echo 'not json' >"$tdir/notes.txt"

CLIPFORGE_TEMPLATE_DIR="$tdir" start_server "$WORK/data" --no-workers
req GET /v1/templates
check "200 application/json" test "$STATUS $CTYPE" = "200 application/json"
want=$(cd "$repo/packages/pipelines/rendering/templates" && ls *.json | sed 's/\.json$//' | sort | tr '\n' ' ' | sed 's/ $//')
check "every shipped template, by id, and nothing else ($want)" test "$(jget '" ".join(t["id"] for t in j["items"])')" = "$want"
t='next(t for t in j["items"] if t["id"] == "shorts-blur")'
check "shorts-blur: blurred fill, vertical" test "$(jget "$t[\"layout\"] + \" \" + $t[\"format\"]")" = "blur_fill vertical"
check "shorts-blur: canvas sizes" test "$(jget "'%(width)dx%(height)d' % $t[\"vertical\"] + ' ' + '%(width)dx%(height)d@%(fps)g' % $t[\"horizontal\"]")" = "1080x1920 1920x1080@30"
check "shorts-blur: title on top, captions in the lower third" test "$(jget "$t[\"title_position\"] + \" \" + $t[\"captions_position\"]")" = "top lower_third"
check "shorts-blur: variables with request members and defaults" \
  test "$(jget "\" \".join(v[\"name\"] + \"=\" + v[\"request_field\"] + \":\" + v.get(\"default_value\", \"-\") for v in $t[\"variables\"])")" \
  = "title=title:- font=font:DejaVu Sans Bold brand_color=brand_color:#FFCC00 logo=logo_uri:-"
l='next(t for t in j["items"] if t["id"] == "landscape-clean")'
check "landscape-clean: designed for the horizontal format" test "$(jget "$l[\"format\"] + \" \" + $l[\"layout\"] + \" \" + $l[\"title_position\"]")" = "horizontal fit bottom_left"
check "server logs the broken template" grep -q 'broken.json left out' "$WORK/server.log"
stop_server

echo "# the template directory from a config file, as render jobs read it"
mkdir -p "$WORK/only-one"
cp "$tdir/shorts-blur.json" "$WORK/only-one/"
echo "CLIPFORGE_TEMPLATE_DIR=$WORK/only-one" >"$WORK/clipforge.conf"
CLIPFORGE_CONFIG_FILE="$WORK/clipforge.conf" start_server "$WORK/data" --no-workers
req GET /v1/templates
check "only the config file's directory is listed" test "$(jget '" ".join(t["id"] for t in j["items"])')" = "shorts-blur"
stop_server

echo "# no template directory"
CLIPFORGE_TEMPLATE_DIR="$WORK/none" start_server "$WORK/data" --no-workers
req GET /v1/templates
check "an empty list" test "$STATUS $(jget 'len(j["items"])')" = "200 0"
req POST /v1/templates
check "POST: 405" test "$STATUS" = 405
req GET /openapi.json
check "OpenAPI: GET /v1/templates answers TemplateList" test "$(jget 'j["paths"]["/v1/templates"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]')" = "#/components/schemas/TemplateList"
stop_server
finish
