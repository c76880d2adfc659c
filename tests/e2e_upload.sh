#!/usr/bin/env bash
# TAP: the whole upload path end to end, the way the browser does it, with curl.
#
# Starts its own demo stack with scripts/demo.sh (a temp DEMO_DIR and
# S3_LOCAL_DIR, free ports): the local S3 (Swift + s3api), sign_s3 --listen
# unix:SOCK --workers 2, nginx serving www/ and /api/sign_s3. Then for file
# names with unicode and reserved characters: POST /api/sign_s3 through nginx
# -> PUT ~1 MB of random bytes to signed_request with exactly `headers` ->
# read them back through the public `url` and through a presigned GET
# (`sign_s3 presign`), compare; the stored Content-Type (presigned HEAD and
# the public URL) is file_type, an empty file_type is resolved from the
# extension. An HTML file, signed through the default configuration
# (S3_ACTIVE_TYPES=attachment), is stored with Content-Disposition: attachment
# and a GET of the object answers with it. Then S3's refusals, each a 403
# with an S3 error code: tampered signature, another Content-Type (or no
# Content-Disposition), an expired URL (a CGI run of sign_s3 with
# S3_EXPIRES=1), a URL used for another key. Last, demo.sh stop: every
# process of the stack gone, ports closed.
#
# Binary: $SIGN_S3 (make test sets it), else build/sign_s3. Skips only when
# nginx is not installed (scripts/deps.sh installs it).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIGN_S3=${SIGN_S3:-$ROOT/build/sign_s3}
DEMO=$ROOT/scripts/demo.sh
PY=/usr/bin/python3

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
  { echo "1..0 # SKIP nginx not installed (scripts/deps.sh)"; exit 0; }
[ -x "$SIGN_S3" ] || bail "no $SIGN_S3 (run make)"
case $SIGN_S3 in /*) ;; *) SIGN_S3=$PWD/$SIGN_S3 ;; esac

# ------------------------------------------------------------------ the stack
TMP=$(mktemp -d "${TMPDIR:-/tmp}/e2e_upload.XXXXXX") || bail "mktemp"
export DEMO_DIR=$TMP/demo S3_LOCAL_DIR=$TMP/s3 DEMO_BIN=$SIGN_S3 DEMO_DEPS=0 DEMO_S3=local
stopped=0
cleanup() {
  [ "$stopped" = 1 ] || "$DEMO" stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# six distinct free loopback ports, chosen by the kernel
read -r P_WEB P_S3 P_ACC P_CON P_OBJ P_MC < <($PY -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || bail "no free ports"
export DEMO_PORT=$P_WEB S3_LOCAL_PORT=$P_S3 S3_LOCAL_ACCOUNT_PORT=$P_ACC \
  S3_LOCAL_CONTAINER_PORT=$P_CON S3_LOCAL_OBJECT_PORT=$P_OBJ S3_LOCAL_MEMCACHED_PORT=$P_MC \
  S3_LOCAL_BUCKET=sign-s3-e2e
# nothing of the caller's S3 configuration leaks in
unset S3_KEY_PREFIX S3_EXPIRES S3_ACL S3_MAX_BODY SIGN_S3_CONFIG AWS_SESSION_TOKEN S3_LOG_REQUESTS

WEB=http://127.0.0.1:$P_WEB
if ! out=$("$DEMO" start 2>"$TMP/start.err"); then
  nok "demo.sh start"
  diag "$(cat "$TMP/start.err")"
  for f in "$TMP"/s3/log/*.log "$TMP"/demo/sign_s3.log "$TMP"/demo/nginx/error.log; do
    [ -f "$f" ] && diag "== $f" "$(tail -n 15 "$f")"
  done
  echo "1..$n"; exit 1
fi
ok "demo.sh start ($(elapsed) s)"
check "it prints the page's address and how to stop" \
  grep -q "http://127.0.0.1:$P_WEB/" <<<"$out"
grep -q 'make demo-stop' <<<"$out" || diag "no stop hint in: $out"

# the processes, from the PID files (stop removes the files)
pidfiles=("$TMP/demo/nginx/nginx.pid" "$TMP/demo/sign_s3.pid" "$TMP"/s3/run/*.pid)
pids=()
for f in "${pidfiles[@]}"; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
check "seven PID files (nginx, sign_s3, 5 of the local S3)" [ ${#pids[@]} -eq 7 ]
kids() { local d; for d in /proc/[0-9]*; do [ "$(awk '{print $4}' "$d/stat" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"; done; return 0; }
workers=()
for p in "${pids[@]:0:2}"; do mapfile -t -O ${#workers[@]} workers < <(kids "$p"); done
check "nginx has its worker and sign_s3 its 2 workers" [ ${#workers[@]} -eq 3 ]
check "status exits 0 while running" "$DEMO" status 2>/dev/null

again=$("$DEMO" start 2>"$TMP/again.err")
pids2=()
for f in "${pidfiles[@]}"; do [ -f "$f" ] && pids2+=("$(cat "$f")"); done
check "start again: exit 0, same address, same processes (idempotent)" \
  [ "$again|${pids2[*]}" = "$out|${pids[*]}" ]
grep -q 'already running' "$TMP/again.err" || diag "second start said: $(cat "$TMP/again.err")"

# the S3 settings, to sign GET/HEAD URLs and for the public URL
envout=$("$DEMO" env 2>/dev/null) || bail "demo.sh env failed"
while IFS= read -r line; do
  case $line in S3_*=*|AWS_*=*) export "${line?}" ;; esac
done <<<"$envout"
check "demo.sh env: the page's address and the local S3's lines" \
  [ "$(head -n 1 <<<"$envout")|$S3_ENDPOINT" = "DEMO_URL=$WEB/|http://127.0.0.1:$P_S3" ]

# ------------------------------------------------------------------ helpers
code_of() { curl -s -o "$TMP/body" -w '%{http_code}' "$@" 2>/dev/null; }

sign() {  # sign NAME TYPE: POST JSON through nginx; $TMP/answer.json, sets F_* on 200
  local body
  body=$($PY -c 'import json,sys; print(json.dumps({"file_name": sys.argv[1], "file_type": sys.argv[2]}, ensure_ascii=False))' "$1" "$2")
  SIGN_CODE=$(curl -s -o "$TMP/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$body" "$WEB/api/sign_s3")
  [ "$SIGN_CODE" = 200 ] || return 1
  # one field a line; then the headers as "Name: value" lines
  local fields
  fields=$($PY -c '
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
want = {"file_type", "signed_request", "url", "key", "method", "headers", "expires_at"}
assert set(a) == want, sorted(a)
for k in ("file_type", "signed_request", "url", "key", "method", "expires_at"):
    assert "\n" not in a[k]; print(a[k])
for h, v in a["headers"].items(): print("%s: %s" % (h, v))' "$TMP/answer.json") || return 1
  { read -r F_TYPE; read -r F_SR; read -r F_URL; read -r F_KEY; read -r F_METHOD; read -r F_EXPIRES_AT
    mapfile -t F_HDRS; } <<<"$fields"
  F_HARGS=()
  local h; for h in "${F_HDRS[@]}"; do F_HARGS+=(-H "$h"); done
}

UUID_RE='^uploads/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/'
key_ok() {  # key_ok NAME URL: F_KEY is uploads/<uuid v4>/NAME and F_URL is URL
  if [[ $F_KEY =~ $UUID_RE ]] && [ "${F_KEY#uploads/*/}" = "$1" ] && [ "$F_URL" = "$2" ]; then return 0; fi
  diag "key $F_KEY" "url $F_URL" "want $2"; return 1
}
expires_ok() {  # expires_at is S3_EXPIRES (60) s from now, give or take 5
  local t now
  t=$(date -u -d "$F_EXPIRES_AT" +%s 2>/dev/null) || { diag "expires_at '$F_EXPIRES_AT'"; return 1; }
  now=$(date +%s)
  if [[ $F_EXPIRES_AT =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
     [ $((t - now)) -ge 55 ] && [ $((t - now)) -le 65 ]; then return 0; fi
  diag "expires_at $F_EXPIRES_AT, now $(date -u +%FT%TZ)"; return 1
}

presign() { env -u S3_PUBLIC_URL "$SIGN_S3" presign "$@" 2>"$TMP/presign.err"; }

fetch_same() {  # fetch_same URL FILE: 200 and the same bytes
  local code
  rm -f "$TMP/got"
  code=$(curl -s -o "$TMP/got" -w '%{http_code}' "$1")
  if [ "$code" = 200 ] && cmp -s "$TMP/got" "$2"; then return 0; fi
  diag "GET $1: $code"; return 1
}

expect403() {  # expect403 DESC CURL-ARGS...: 403 with an S3 <Error><Code>
  local d=$1 code s3code; shift
  code=$(code_of "$@")
  s3code=$(grep -o '<Code>[A-Za-z]*</Code>' "$TMP/body" | head -n 1 | sed 's/<[^>]*>//g')
  if [ "$code" = 403 ] && [ -n "$s3code" ]; then ok "$d: 403 $s3code"
  else nok "$d: 403 with an S3 error"; diag "got $code" "$(head -c 400 "$TMP/body")"; fi
}

# ------------------------------------------------------------------ the page
check "GET / through nginx: the upload page" \
  bash -c "curl -s '$WEB/' | grep -q 'id=\"files\"'"
check "GET /upload.js: 200" [ "$(code_of "$WEB/upload.js")" = 200 ]

# ------------------------------------------------------------------ round trips
head -c 1048576 /dev/urandom >"$TMP/data.bin"
printf 'not the original\n' >"$TMP/small.txt"
# name | file_type asked | file_type expected | the sanitized name in the key
cases=(
  'Résumé final (v2).pdf|application/pdf|application/pdf|résumé_final_(v2).pdf'
  '日本語 ファイル.txt||text/plain|日本語_ファイル.txt'
  'a+b=c&d.bin|application/octet-stream|application/octet-stream|a+b=c&d.bin'
  '100% done#1.txt|text/plain;charset=utf-8|text/plain;charset=utf-8|100__done_1.txt'
  'photo.JPG||image/jpeg|photo.jpg'
)
for c in "${cases[@]}"; do
  IFS='|' read -r name asked want kname <<<"$c"
  if ! sign "$name" "$asked"; then
    nok "sign '$name': 200 with the JSON shape"; diag "got $SIGN_CODE" "$(head -c 300 "$TMP/answer.json")"; continue
  fi
  check "sign '$name' (file_type '${asked}'): file_type '$F_TYPE', headers {Content-Type: $want}, PUT" \
    [ "$F_TYPE|${F_HDRS[*]}|$F_METHOD" = "$want|Content-Type: $want|PUT" ]
  want_url=$S3_PUBLIC_URL/$($PY -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe="/~"))' "$F_KEY")
  check "  expires_at is 60 s from now" expires_ok
  check "  key uploads/<uuid v4>/$kname, url = S3_PUBLIC_URL/<encoded key>" key_ok "$kname" "$want_url"
  code=$(code_of -X PUT "${F_HARGS[@]}" --data-binary @"$TMP/data.bin" "$F_SR")
  check "  PUT 1 MiB to signed_request with exactly its headers: 200" [ "$code" = 200 ]
  [ "$code" = 200 ] || { diag "got $code" "$(head -c 400 "$TMP/body")"; continue; }
  check "  GET the public url: the same bytes" fetch_same "$F_URL" "$TMP/data.bin"
  get=$(presign --method GET -- "$F_KEY")
  check "  GET through a presigned GET (sign_s3 presign): the same bytes" fetch_same "$get" "$TMP/data.bin"
  head_url=$(presign --method HEAD -- "$F_KEY")
  ct_head=$(curl -s -I -o /dev/null -w '%{http_code} %{content_type}' "$head_url")
  ct_pub=$(curl -s -o /dev/null -w '%{content_type}' "$F_URL")
  check "  stored Content-Type = file_type (presigned HEAD and public URL)" \
    [ "$ct_head|$ct_pub" = "200 $F_TYPE|$F_TYPE" ]
  [ "$ct_head|$ct_pub" = "200 $F_TYPE|$F_TYPE" ] || diag "HEAD: $ct_head, public: $ct_pub"
done

check "sign_s3.log has one line per signed upload (S3_LOG_REQUESTS=1)" \
  [ "$(grep -c ' 200 POST 127\.0\.0\.1 "signed uploads/' "$TMP/demo/sign_s3.log")" -ge ${#cases[@]} ]

# ------------------------------------------------------------------ active content
# The default configuration (S3_ACTIVE_TYPES unset: attachment): an HTML file
# is signed with Content-Disposition: attachment, the PUT with the answer's
# headers stores it, and S3 then serves the object as a download.
printf '<!DOCTYPE html>\n<html><script>alert(document.domain)</script></html>\n' >"$TMP/page.html"
if sign 'page.html' text/html; then
  check "sign 'page.html' (text/html): headers {Content-Type: text/html, Content-Disposition: attachment}" \
    [ "$F_TYPE|${F_HDRS[*]}" = "text/html|Content-Type: text/html Content-Disposition: attachment" ]
  check "  both signed: X-Amz-SignedHeaders=content-disposition;content-type;host" \
    grep -q 'X-Amz-SignedHeaders=content-disposition%3Bcontent-type%3Bhost&' <<<"$F_SR"
  code=$(code_of -X PUT "${F_HARGS[@]}" --data-binary @"$TMP/page.html" "$F_SR")
  check "  PUT the HTML file with exactly its headers: 200" [ "$code" = 200 ]
  [ "$code" = 200 ] || diag "got $code" "$(head -c 400 "$TMP/body")"
  expect403 "  the same PUT without Content-Disposition" -X PUT -H 'Content-Type: text/html' \
    --data-binary @"$TMP/small.txt" "$F_SR"
  get=$(presign --method GET -- "$F_KEY")
  for how in "presigned GET|$get" "public url|$F_URL"; do
    rm -f "$TMP/got"
    hdrs=$(curl -s -D - -o "$TMP/got" "${how#*|}" | tr -d '\r')
    if grep -q '^HTTP/[0-9.]* 200' <<<"$hdrs" && grep -qi '^content-disposition: attachment$' <<<"$hdrs" &&
       grep -qi '^content-type: text/html$' <<<"$hdrs" && cmp -s "$TMP/got" "$TMP/page.html"; then
      ok "  GET the object (${how%%|*}): 200, Content-Disposition: attachment, the same bytes"
    else
      nok "  GET the object (${how%%|*}): 200, Content-Disposition: attachment, the same bytes"
      diag "$hdrs"
    fi
  done
else
  nok "sign 'page.html' text/html: 200"; diag "got $SIGN_CODE" "$(head -c 300 "$TMP/answer.json")"
fi

# ------------------------------------------------------------------ refusals
if sign 'victim (1).bin' application/octet-stream; then
  code=$(code_of -X PUT "${F_HARGS[@]}" --data-binary @"$TMP/data.bin" "$F_SR")
  check "victim object uploaded: 200" [ "$code" = 200 ]
  victim_sr=$F_SR victim_url=$F_URL victim_hargs=("${F_HARGS[@]}")
  last=${victim_sr: -1}
  case $last in 0) flip=1 ;; *) flip=0 ;; esac
  expect403 "tampered signature (last hex digit changed)" -X PUT "${victim_hargs[@]}" \
    --data-binary @"$TMP/small.txt" "${victim_sr%?}$flip"
  expect403 "another Content-Type than signed (text/html)" -X PUT -H 'Content-Type: text/html' \
    --data-binary @"$TMP/small.txt" "$victim_sr"
  # as AWS S3 with a bucket CORS rule, the refusal carries CORS headers, so
  # a page can read it (s3-local.sh's cors_errors filter)
  hdrs=$(curl -s -D - -o /dev/null -X PUT -H 'Origin: http://127.0.0.1:8080' "${victim_hargs[@]}" \
    --data-binary @"$TMP/small.txt" "${victim_sr%?}$flip" | tr -d '\r')
  check "a refused PUT from a page (Origin) carries Access-Control-Allow-Origin" \
    grep -qi '^access-control-allow-origin: \*$' <<<"$hdrs"
  if sign 'other key.bin' application/octet-stream; then
    # the path of the other key with the query (signature) of the victim's URL
    expect403 "URL signed for one key used for another" -X PUT "${victim_hargs[@]}" \
      --data-binary @"$TMP/small.txt" "${F_SR%%\?*}?${victim_sr#*\?}"
  else nok "sign 'other key.bin'"; fi
  check "after the refusals the object is unchanged" fetch_same "$victim_url" "$TMP/data.bin"
else
  nok "sign 'victim (1).bin'"; diag "$(head -c 300 "$TMP/answer.json")"
fi

# expired: a CGI run of the same binary with S3_EXPIRES=1, the PUT 2.2 s later
body='{"file_name":"late.txt","file_type":"text/plain"}'
resp=$(printf '%s' "$body" | env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST CONTENT_TYPE=application/json \
  CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 S3_EXPIRES=1 "$SIGN_S3" 2>/dev/null | sed '1,/^\r\{0,1\}$/d')
signed_at=$(date +%s.%N)
if exp_sr=$($PY -c 'import json,sys; a=json.loads(sys.argv[1]); assert a["signed_request"].count("X-Amz-Expires=1&") == 1; print(a["signed_request"])' "$resp" 2>/dev/null); then
  sleep "$(awk -v a="$signed_at" -v b="$(date +%s.%N)" 'BEGIN{w = 2.2 - (b - a); if (w > 0) printf "%.2f", w; else print 0}')"
  expect403 "expired URL (S3_EXPIRES=1, PUT 2 s later)" -X PUT -H 'Content-Type: text/plain' \
    --data-binary @"$TMP/small.txt" "$exp_sr"
else
  nok "CGI sign with S3_EXPIRES=1"; diag "$resp"
fi

# ------------------------------------------------------------------ stop
for p in "${pids[@]:0:2}"; do mapfile -t -O ${#workers[@]} workers < <(kids "$p"); done
mapfile -t workers < <(printf '%s\n' "${workers[@]}" | sort -u)
"$DEMO" stop 2>"$TMP/stop.err"
check "demo.sh stop exits 0" [ $? -eq 0 ]
stopped=1
# sign_s3 drains and exits on SIGTERM by itself (demo.sh would SIGKILL it after 5 s)
check "sign_s3 stopped on SIGTERM by itself (no SIGKILL needed)" \
  bash -c "grep -q 'sign_s3\[${pids[1]}\]: stopped' '$TMP/demo/sign_s3.log' && ! grep -q SIGKILL '$TMP/stop.err'"
grep -q SIGKILL "$TMP/stop.err" && diag "$(cat "$TMP/stop.err")"
alive=()
for p in "${pids[@]}" "${workers[@]}"; do
  if [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then alive+=("$p"); fi
done
check "no process of the stack remains (${#pids[@]} + ${#workers[@]} workers)" [ ${#alive[@]} -eq 0 ]
[ ${#alive[@]} -eq 0 ] || diag "alive: ${alive[*]}"
if "$DEMO" status 2>/dev/null; then nok "status exits non-zero after stop"; else ok "status exits non-zero after stop"; fi
check "the web and S3 ports are closed, the socket is gone" bash -c "
  ! (exec 3<>/dev/tcp/127.0.0.1/$P_WEB) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$P_S3) 2>/dev/null &&
  [ ! -e '$TMP/demo/sign_s3.sock' ]"
diag "total $(elapsed) s"

echo "1..$n"
[ "$failed" -eq 0 ]
