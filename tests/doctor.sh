#!/usr/bin/env bash
# TAP: `sign_s3 doctor` against a real S3-compatible server (scripts/s3-local.sh:
# Swift + s3api on 127.0.0.1, its own instance on free ports, preflights allowed
# for two origins only): every check passes with a good configuration (the test
# object uploaded through the responder's route, read back, served at the public
# URL, deleted); a wrong secret names SignatureDoesNotMatch; a missing bucket is
# named; a wrong region names the right one; an origin the server does not allow
# is named (--origin and S3_CORS_ORIGINS); a clock 20 minutes off (faketime, on
# the normal build: libfaketime is an LD_PRELOAD) fails the clock check; a closed
# port fails fast naming the address; --json is valid JSON with the same
# verdicts; no output ever holds the secret key or a signature.
#
# Skips only when the Swift packages are missing and cannot be installed, and
# the clock case alone when faketime is missing.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIGN_S3=${SIGN_S3:-$ROOT/build/sign_s3}
PLAIN=$ROOT/build/sign_s3          # the normal build, for faketime
S3LOCAL=$ROOT/scripts/s3-local.sh

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

s3_local_or_skip
[ -x "$SIGN_S3" ] || bail "no $SIGN_S3 (run make)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/doctor_test.XXXXXX") || bail "mktemp"
export S3_LOCAL_DIR=$TMP/state
cleanup() {
  "$S3LOCAL" stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

# Six free loopback ports: five for the server, one left closed.
read -r P_PROXY P_ACC P_CON P_OBJ P_MC P_CLOSED < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || bail "no free ports"
ALLOWED=http://127.0.0.1:8000
export S3_LOCAL_PORT=$P_PROXY S3_LOCAL_ACCOUNT_PORT=$P_ACC S3_LOCAL_CONTAINER_PORT=$P_CON \
  S3_LOCAL_OBJECT_PORT=$P_OBJ S3_LOCAL_MEMCACHED_PORT=$P_MC S3_LOCAL_BUCKET=sign-s3-doctor \
  S3_LOCAL_CORS_ORIGINS="$ALLOWED,http://app.example"

if ! envout=$("$S3LOCAL" start 2>"$TMP/start.err"); then
  nok "s3-local.sh start"
  diag "$(cat "$TMP/start.err")"
  echo "1..$n"; exit 1
fi
ok "s3-local.sh start (preflights allowed for $ALLOWED and http://app.example)"
SECRET=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' <<<"$envout")
mapfile -t ENVL <<<"$envout"
ENVL+=(AWS_EC2_METADATA_DISABLED=true PATH=/usr/bin:/bin)

# doctor NAME [VAR=value ...] -- ARGS...: runs it under env -i with the local
# S3's lines, output in $TMP/NAME.out, exit status in $TMP/NAME.rc; the
# binary is $BIN (default: the one under test).
doctor() {
  local name=$1 vars=(); shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  env -i "${ENVL[@]}" "${vars[@]}" ${PRE:-} "${BIN:-$SIGN_S3}" doctor "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
has() { grep -qE -- "$2" "$TMP/$1.out"; }               # has NAME REGEX
line() { grep -E -- "^[A-Z]{4}  $2( |$)" "$TMP/$1.out" | head -n 1; }   # line NAME CHECK
mark() { line "$1" "$2" | cut -c1-4; }
show() { diag "exit $(rc "$1")" "$(cat "$TMP/$1.out" "$TMP/$1.err")"; }
expect() {  # expect DESC NAME CHECK MARK
  if [ "$(mark "$2" "$3")" = "$4" ]; then ok "$1"; else nok "$1"; show "$2"; fi
}

# ------------------------------------------------------------------ all good
doctor good S3_ACL=public-read -- --origin "$ALLOWED"
check "good configuration: exit 0" [ "$(rc good)" = 0 ]
for c in config credentials endpoint clock bucket upload read-back public-url acl "cors $ALLOWED" delete; do
  expect "good configuration: $c passes" good "$c" PASS
done
expect "good configuration: GetBucketCors NotImplemented said, skipped" good cors-rules SKIP
check "... naming NotImplemented" has good 'cors-rules +GetBucketCors: NotImplemented'
check "good configuration: no FAIL or WARN line" bash -c "! grep -qE '^(FAIL|WARN) ' '$TMP/good.out'"
check "good configuration: the summary says OK" has good '^[0-9]+ pass, 0 warn, 0 fail, [0-9]+ skip: OK$'
KEY=$(sed -n 's/^PASS  delete  *DeleteObject removed //p' "$TMP/good.out")
check "the test object's key is under S3_KEY_PREFIX (uploads/UUID/sign_s3-doctor.txt)" \
  grep -qE '^uploads/[0-9a-f-]{36}/sign_s3-doctor\.txt$' <<<"$KEY"
check "the upload went through the route: POST /api/sign_s3, Content-MD5 and x-amz-acl signed" \
  has good '^PASS  upload .*POST /api/sign_s3, then PUT .*Content-MD5 signed, x-amz-acl=public-read'
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_PROXY/v1/AUTH_test/sign-s3-doctor/$KEY")
check "the test object is gone afterwards (public URL: $code)" [ "$code" = 404 ]

# ------------------------------------------------------------------ --json
doctor json S3_ACL=public-read -- --json --origin "$ALLOWED"
check "--json: exit 0" [ "$(rc json)" = 0 ]
if /usr/bin/python3 - "$TMP/json.out" "$TMP/good.out" >"$TMP/json.cmp" 2>&1 <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
assert doc["ok"] is True and doc["bucket"] == "sign-s3-doctor", doc
text = [(m.group(2), m.group(1).lower()) for m in
        (re.match(r'^([A-Z]{4})  (\S+(?: http\S+)?)', l) for l in open(sys.argv[2])) if m]
js = [(c["check"], c["status"]) for c in doc["checks"]]
assert js == text, (js, text)
assert doc["counts"]["fail"] == 0 and doc["counts"]["pass"] == sum(1 for _, s in js if s == "pass")
EOF
then ok "--json: one valid JSON document, the same checks and verdicts as the text"
else nok "--json: one valid JSON document, the same checks and verdicts as the text"; diag "$(cat "$TMP/json.cmp")"; fi

# ------------------------------------------------------------------ refusals
doctor secret AWS_SECRET_ACCESS_KEY=wrong-Secret-1234567890 -- --origin "$ALLOWED"
check "wrong secret: exit 1" [ "$(rc secret)" = 1 ]
expect "wrong secret: the bucket check fails" secret bucket FAIL
check "wrong secret: names SignatureDoesNotMatch, and the fix names the secret" \
  bash -c "grep -q 'SignatureDoesNotMatch' '$TMP/secret.out' && grep -q 'fix: .*AWS_SECRET_ACCESS_KEY' '$TMP/secret.out'"
expect "wrong secret: the upload is skipped" secret upload SKIP

doctor nobucket S3_BUCKET=no-such-bucket-here --
check "missing bucket: exit 1" [ "$(rc nobucket)" = 1 ]
check "missing bucket: named, NoSuchBucket" has nobucket '^FAIL  bucket +bucket no-such-bucket-here not found: .*NoSuchBucket'

doctor region S3_REGION=eu-west-2 --
check "wrong region: exit 1" [ "$(rc region)" = 1 ]
check "wrong region: names the bucket's region us-east-1 and the fix" \
  bash -c "grep -q '^FAIL  bucket .*in region us-east-1' '$TMP/region.out' && grep -q 'fix: *set S3_REGION=us-east-1' '$TMP/region.out'"

doctor origin -- --origin "$ALLOWED" --origin http://evil.example:9999
check "an origin the server does not allow: exit 1" [ "$(rc origin)" = 1 ]
expect "... the allowed origin passes" origin "cors $ALLOWED" PASS
expect "... the other is named and fails" origin "cors http://evil.example:9999" FAIL
check "... its line says the preflight was refused" \
  has origin '^FAIL  cors http://evil.example:9999 preflight PUT from http://evil.example:9999 refused'
check "... and the fix names the origin" has origin 'fix: +add a CORS rule: AllowedOrigin http://evil.example:9999'

doctor corsenv "S3_CORS_ORIGINS=http://app.example, HTTP://Evil.Example" --
check "S3_CORS_ORIGINS: exit 1" [ "$(rc corsenv)" = 1 ]
expect "S3_CORS_ORIGINS: http://app.example passes" corsenv "cors http://app.example" PASS
expect "S3_CORS_ORIGINS: http://evil.example (normalized) fails" corsenv "cors http://evil.example" FAIL

t0=$(date +%s%N)
doctor closed S3_ENDPOINT="http://127.0.0.1:$P_CLOSED" --
ms=$((($(date +%s%N) - t0) / 1000000))
check "S3 unreachable: exit 1" [ "$(rc closed)" = 1 ]
check "S3 unreachable: fails fast (${ms} ms, under 3000)" [ "$ms" -lt 3000 ]
check "S3 unreachable: names the address it tried" \
  has closed "^FAIL  endpoint +cannot reach S3 at http://127.0.0.1:$P_CLOSED: "
expect "S3 unreachable: the bucket check is skipped" closed bucket SKIP

doctor badconf S3_EXPIRES=0 --
check "bad configuration: exit 1, the variable named" \
  bash -c "[ \"\$(cat '$TMP/badconf.rc')\" = 1 ] && grep -q '^FAIL  config .*S3_EXPIRES' '$TMP/badconf.out'"

doctor usage -- --bogus
check "unknown argument: exit 2" [ "$(rc usage)" = 2 ]
doctor usage2 -- --origin https://app.example.com/page
check "--origin with a path: exit 2" [ "$(rc usage2)" = 2 ]

if command -v faketime >/dev/null 2>&1 && [ -x "$PLAIN" ]; then
  BIN=$PLAIN PRE="faketime -f -20m" doctor clock --
  check "clock 20 minutes behind (faketime): exit 1" [ "$(rc clock)" = 1 ]
  check "... the clock check fails, about 1200 s behind" \
    has clock '^FAIL  clock +this host is 1(19[0-9]|20[0-9]) s behind S3'"'"'s Date'
  check "... and names NTP" has clock 'fix: +run NTP'
  BIN=$PLAIN PRE="faketime -f +6m" doctor clockwarn S3_EXPIRES=3600 --
  expect "clock 6 minutes ahead: a warning, not a failure" clockwarn clock WARN
  check "... exit 0" [ "$(rc clockwarn)" = 0 ]
else
  for i in 1 2 3 4 5; do ok "# SKIP faketime or $PLAIN missing"; done
fi

# ------------------------------------------------------------------ secrets
leaks=$(grep -l -e "$SECRET" -e 'wrong-Secret-1234567890' -ie 'x-amz-signature' -e 'X-Amz-Credential' \
  "$TMP"/*.out "$TMP"/*.err 2>/dev/null)
check "no output holds the secret key, a signature or a presigned URL" [ -z "$leaks" ]
[ -z "$leaks" ] || diag "$leaks"

echo "1..$n"
[ "$failed" = 0 ]
