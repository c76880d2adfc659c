#!/usr/bin/env bash
# TAP: sign_s3's presigned URLs against a real S3-compatible server
# (scripts/s3-local.sh: OpenStack Swift + s3api on 127.0.0.1), with curl.
#
# Starts its own instance in a temporary state dir on free ports, uploads
# through presigned PUT URLs from `sign_s3 presign` and from the CGI responder,
# reads back through presigned GET URLs and the public URL, checks that the
# server refuses tampered, mismatched and expired URLs with 403, then stops
# the instance and checks that none of its processes remains.
#
# Skips only when the Swift packages are missing and cannot be installed
# (not root and no sudo); with S3_LOCAL_NO_INSTALL=1 it never runs apt.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIGN_S3=${SIGN_S3:-$ROOT/build/sign_s3}
S3LOCAL=$ROOT/scripts/s3-local.sh

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

# ------------------------------------------------------------------ skip?
s3_local_or_skip
[ -x "$SIGN_S3" ] || bail "no $SIGN_S3 (run make)"

# ------------------------------------------------------------------ start
TMP=$(mktemp -d "${TMPDIR:-/tmp}/s3_local_test.XXXXXX") || bail "mktemp"
export S3_LOCAL_DIR=$TMP/state
stopped=0
cleanup() {
  [ "$stopped" = 1 ] || "$S3LOCAL" stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

# Five distinct free loopback ports, chosen by the kernel.
read -r P_PROXY P_ACC P_CON P_OBJ P_MC < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || bail "no free ports"
export S3_LOCAL_PORT=$P_PROXY S3_LOCAL_ACCOUNT_PORT=$P_ACC S3_LOCAL_CONTAINER_PORT=$P_CON \
  S3_LOCAL_OBJECT_PORT=$P_OBJ S3_LOCAL_MEMCACHED_PORT=$P_MC S3_LOCAL_BUCKET=sign-s3-test

t0=$(date +%s.%N)
if ! envout=$("$S3LOCAL" start 2>"$TMP/start.err"); then
  nok "s3-local.sh start"
  diag "$(cat "$TMP/start.err")"
  for f in "$S3_LOCAL_DIR"/log/*.log; do [ -f "$f" ] && diag "== $f" "$(tail -n 20 "$f")"; done
  echo "1..$n"; exit 1
fi
t1=$(date +%s.%N)
ok "s3-local.sh start ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s)"

want="S3_ENDPOINT=http://127.0.0.1:$P_PROXY
S3_BUCKET=sign-s3-test
S3_REGION=us-east-1
S3_PATH_STYLE=1
AWS_ACCESS_KEY_ID=test:tester
AWS_SECRET_ACCESS_KEY=testing
S3_PUBLIC_URL=http://127.0.0.1:$P_PROXY/v1/AUTH_test/sign-s3-test"
check "start prints exactly the env lines on stdout" [ "$envout" = "$want" ]
check "env prints the same lines" [ "$("$S3LOCAL" env 2>/dev/null)" = "$want" ]
check "status exits 0 while running" "$S3LOCAL" status 2>/dev/null

# The processes, from the PID files (read now: stop removes them).
pids=()
for f in "$S3_LOCAL_DIR"/run/*.pid; do pids+=("$(cat "$f")"); done
check "five PID files (memcached, account, container, object, proxy)" [ ${#pids[@]} -eq 5 ]
check "every server listens on 127.0.0.1 only" bash -c "
  ! ss -Hltn 2>/dev/null | awk '{print \$4}' | grep -E ':($P_PROXY|$P_ACC|$P_CON|$P_OBJ|$P_MC)\$' | grep -vq '^127\.0\.0\.1:'"

again=$("$S3LOCAL" start 2>/dev/null)
pids2=()
for f in "$S3_LOCAL_DIR"/run/*.pid; do pids2+=("$(cat "$f")"); done
check "start again: same env lines, same processes" [ "$again|${pids2[*]}" = "$want|${pids[*]}" ]

while IFS= read -r line; do export "${line?}"; done <<<"$envout"
unset S3_ACL S3_EXPIRES SIGN_S3_CONFIG AWS_SESSION_TOKEN

# ------------------------------------------------------------------ helpers
BASE="http://127.0.0.1:$P_PROXY/$S3_BUCKET/"
status() { curl -s -o "$TMP/body" -w '%{http_code}' "$@" 2>/dev/null; }
presign() { "$SIGN_S3" presign "$@" 2>"$TMP/presign.err"; }
# The encoded key of a presigned URL, for building the public URL.
same() { [ "$1" = 200 ] && cmp -s "$2" "$TMP/got"; }  # same CODE FILE: 200 and $TMP/got = FILE
enckey() { local u=${1#"$BASE"}; printf '%s' "${u%%\?*}"; }
expect403() {  # expect403 DESC CURL-ARGS...: 403 with an S3 <Error><Code>
  local d=$1 code s3code; shift
  code=$(status "$@")
  s3code=$(grep -o '<Code>[A-Za-z]*</Code>' "$TMP/body" | head -n 1 | sed 's/<[^>]*>//g')
  if [ "$code" = 403 ] && [ -n "$s3code" ]; then ok "$d: 403 $s3code"
  else nok "$d: 403 with an S3 error"; diag "got $code" "$(head -c 400 "$TMP/body")"; fi
}

refused() {  # refused DESC CURL-ARGS...: any 4xx (not S3 answers: Swift's 400/401)
  local d=$1 code; shift
  code=$(status "$@")
  case $code in 4??) ok "$d: refused ($code)" ;; *) nok "$d: refused"; diag "got $code" ;; esac
}

head -c 70000 /dev/urandom >"$TMP/data.bin"
printf 'hello, world\n' >"$TMP/small.txt"

# An expired URL is checked at the end; sign it now to overlap the wait.
exp_url=$(presign --method PUT --content-type text/plain --expires 1 'expired.txt')
exp_signed_at=$(date +%s.%N)

# ------------------------------------------------------------------ round trips
keys=('plain.bin' 'dir/with space.bin' 'a+b+c.bin' 'café 日本.bin' '100% done.bin'
      'mixed ~ + %20 é/日本 x.bin')
for key in "${keys[@]}"; do
  put=$(presign --method PUT --content-type application/octet-stream -- "$key") ||
    { nok "presign PUT '$key'"; diag "$(cat "$TMP/presign.err")"; continue; }
  code=$(status -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/data.bin" "$put")
  check "PUT '$key' through its presigned URL: 200" [ "$code" = 200 ]
  [ "$code" = 200 ] || diag "got $code" "$(head -c 400 "$TMP/body")" "$put"
  get=$(presign -- "$key")
  rm -f "$TMP/got"
  code=$(curl -s -o "$TMP/got" -w '%{http_code}' "$get")
  check "GET '$key' through a presigned GET URL: same bytes" same "$code" "$TMP/data.bin"
  rm -f "$TMP/got"
  code=$(curl -s -o "$TMP/got" -w '%{http_code}' "$S3_PUBLIC_URL/$(enckey "$put")")
  check "GET '$key' through the public URL: same bytes" same "$code" "$TMP/data.bin"
done

# Content-Type is stored as signed.
put=$(presign --method PUT --content-type 'text/plain; charset=utf-8' 'notes/hello.txt')
check "PUT text with a Content-Type parameter: 200" \
  [ "$(status -X PUT -H 'Content-Type: text/plain; charset=utf-8' --data-binary @"$TMP/small.txt" "$put")" = 200 ]
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$S3_PUBLIC_URL/notes/hello.txt")
check "the public URL serves it with that Content-Type" [ "$ctype" = 'text/plain; charset=utf-8' ]

# ------------------------------------------------------------------ browser (CORS)
preflight_ok() { grep -q '^HTTP/1.1 200' <<<"$1" && grep -qi '^access-control-allow-origin: ' <<<"$1"; }
cors_put_ok() {
  grep -qi '^access-control-allow-origin: ' <<<"$1" && grep -qi '^access-control-expose-headers:.*etag' <<<"$1"
}
hdrs=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://127.0.0.1:8000' \
  -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type' "$put" | tr -d '\r')
check "preflight of a presigned PUT is allowed" \
  preflight_ok "$hdrs"
hdrs=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://127.0.0.1:8000' -H 'Access-Control-Request-Method: PUT' \
  -H 'Access-Control-Request-Headers: content-type,content-md5,content-disposition' "$put" | tr -d '\r')
check "preflight with README's AllowedHeaders (Content-Type, Content-MD5, Content-Disposition) is allowed" \
  preflight_ok "$hdrs"
hdrs=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://127.0.0.1:8000' -H 'Access-Control-Request-Method: PUT' \
  -H 'Access-Control-Request-Headers: content-type,x-not-in-the-rule' "$put" | tr -d '\r')
check "preflight asking for a header outside README's rule is refused (403), as by AWS" \
  grep -q '^HTTP/1.1 403' <<<"$hdrs"
hdrs=$(curl -s -o /dev/null -D - -X PUT -H 'Origin: http://127.0.0.1:8000' -H 'Content-Type: text/plain; charset=utf-8' \
  --data-binary @"$TMP/small.txt" "$put" | tr -d '\r')
check "the PUT answers with Access-Control-Allow-Origin and exposes ETag" \
  cors_put_ok "$hdrs"

# ------------------------------------------------------------------ the responder
body='{"file_name":"Résumé final (2).txt","file_type":"text/plain"}'
resp=$(printf '%s' "$body" | env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST CONTENT_TYPE=application/json \
  CONTENT_LENGTH="$(printf '%s' "$body" | wc -c)" "$SIGN_S3" 2>/dev/null | sed '1,/^\r\{0,1\}$/d')
if fields=$(/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["signed_request"]); print(r["url"]); print(r["headers"]["Content-Type"])' "$resp" 2>/dev/null); then
  { read -r sr; read -r url; read -r ct; } <<<"$fields"
  check "responder: PUT to signed_request with its Content-Type: 200" \
    [ "$(status -X PUT -H "Content-Type: $ct" --data-binary @"$TMP/small.txt" "$sr")" = 200 ]
  rm -f "$TMP/got"
  code=$(curl -s -o "$TMP/got" -w '%{http_code}' "$url")
  check "responder: its url opens the uploaded file" same "$code" "$TMP/small.txt"
else
  nok "responder answers JSON with signed_request, url, headers"; diag "$resp"
fi

# ------------------------------------------------------------------ refusals
key='victim/a b+é.bin'
put=$(presign --method PUT --content-type application/octet-stream -- "$key")
status -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/data.bin" "$put" >/dev/null

# flip the last hex digit of the signature
last=${put: -1}
case $last in 0) flip=1 ;; *) flip=0 ;; esac
expect403 "tampered signature" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/small.txt" "${put%?}$flip"
expect403 "other Content-Type than signed" -X PUT -H 'Content-Type: text/html' \
  --data-binary @"$TMP/small.txt" "$put"
expect403 "no Content-Type on a URL signed with one" -X PUT -H 'Content-Type:' \
  --data-binary @"$TMP/small.txt" "$put"
other=$(presign --method PUT --content-type application/octet-stream -- 'victim/other.bin')
expect403 "URL of key A used for key B" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/small.txt" "$BASE$(enckey "$other")?${put#*\?}"
get=$(presign -- "$key")
expect403 "GET URL used for PUT" -X PUT --data-binary @"$TMP/small.txt" "$get"
expect403 "PUT URL used for DELETE" -X DELETE -H 'Content-Type: application/octet-stream' "$put"
refused "unsigned PUT to the S3 path" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/small.txt" "$BASE$(enckey "$put")"
refused "anonymous PUT to the public URL" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/small.txt" "$S3_PUBLIC_URL/$(enckey "$put")"
rm -f "$TMP/got"
curl -s -o "$TMP/got" "$get"
check "after the refusals the object is unchanged" cmp -s "$TMP/data.bin" "$TMP/got"

# ------------------------------------------------------------------ exact size and MD5 (issue 12)
# file_size and file_md5 signed as Content-Length and Content-MD5: S3 itself
# refuses other bytes. (The local S3 checks both; S3 answers BadDigest for
# an MD5 the body does not have.)
head -c 4096 /dev/urandom >"$TMP/sized.bin"
size=$(stat -c %s "$TMP/sized.bin")
md5=$(openssl dgst -md5 -binary "$TMP/sized.bin" | base64)
sized=$(presign --method PUT --content-type application/octet-stream \
  --content-length "$size" --content-md5 "$md5" -- 'sized/exact.bin')
case $sized in *X-Amz-SignedHeaders=content-length%3Bcontent-md5%3Bcontent-type%3Bhost*)
  ok "file_size and file_md5: Content-Length and Content-MD5 are signed headers" ;;
*) nok "file_size and file_md5: Content-Length and Content-MD5 are signed headers"; diag "$sized" ;; esac
head -c $((size + 1)) /dev/urandom >"$TMP/longer.bin"
head -c $((size - 1)) "$TMP/sized.bin" >"$TMP/shorter.bin"
expect403 "a body one byte longer than the signed file_size" -X PUT \
  -H 'Content-Type: application/octet-stream' -H "Content-MD5: $md5" \
  --data-binary @"$TMP/longer.bin" "$sized"
expect403 "a body one byte shorter than the signed file_size" -X PUT \
  -H 'Content-Type: application/octet-stream' -H "Content-MD5: $md5" \
  --data-binary @"$TMP/shorter.bin" "$sized"
head -c "$size" /dev/urandom >"$TMP/other.bin"
code=$(status -X PUT -H 'Content-Type: application/octet-stream' -H "Content-MD5: $md5" \
  --data-binary @"$TMP/other.bin" "$sized")
if [ "$code" = 400 ] && grep -q 'BadDigest' "$TMP/body"; then
  ok "other bytes of the right length: 400 BadDigest"
else
  nok "other bytes of the right length: 400 BadDigest"; diag "HTTP $code: $(head -c 300 "$TMP/body")"
fi
expect403 "the right bytes without the signed Content-MD5" -X PUT \
  -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/sized.bin" "$sized"
check "the right bytes with their Content-MD5: 200" [ "$(status -X PUT \
  -H 'Content-Type: application/octet-stream' -H "Content-MD5: $md5" \
  --data-binary @"$TMP/sized.bin" "$sized")" = 200 ]
rm -f "$TMP/got"
curl -s -o "$TMP/got" "$(presign -- 'sized/exact.bin')"
check "the stored object is those bytes" cmp -s "$TMP/sized.bin" "$TMP/got"

# the expired URL: valid until X-Amz-Date + 1 s (whole seconds)
wait_s=$(awk -v a="$exp_signed_at" -v b="$(date +%s.%N)" 'BEGIN{w = 2.2 - (b - a); if (w > 0) printf "%.2f", w; else print 0}')
sleep "$wait_s"
expect403 "expired URL (--expires 1)" -X PUT -H 'Content-Type: text/plain' --data-binary @"$TMP/small.txt" "$exp_url"
ok_url=$(presign --method PUT --content-type text/plain --expires 60 'expired.txt')
check "the same PUT with a fresh URL: 200" \
  [ "$(status -X PUT -H 'Content-Type: text/plain' --data-binary @"$TMP/small.txt" "$ok_url")" = 200 ]

# ------------------------------------------------------------------ stop
"$S3LOCAL" stop 2>/dev/null
check "stop exits 0" [ $? -eq 0 ]
stopped=1
alive=()
for p in "${pids[@]}"; do
  if [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then alive+=("$p"); fi
done
check "no process from the PID files remains" [ ${#alive[@]} -eq 0 ]
[ ${#alive[@]} -eq 0 ] || diag "alive: ${alive[*]}"
if "$S3LOCAL" status 2>/dev/null; then nok "status exits non-zero after stop"; else ok "status exits non-zero after stop"; fi
check "the S3 port is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P_PROXY) 2>/dev/null"

echo "1..$n"
[ "$failed" -eq 0 ]
