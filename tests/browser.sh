#!/usr/bin/env bash
# TAP: the demo page in a real browser. Debian's chromium (/usr/bin/chromium)
# driven by playwright-core (tests/browser/, pinned in package-lock.json) runs
# tests/browser/upload.spec.js against three real stacks started here with
# scripts/demo.sh, each in a temp dir on free 127.0.0.1 ports:
#
#   main    the local S3 (Swift + s3api) + sign_s3 + nginx: uploads work
#   broken  sign_s3 without credentials (DEMO_S3=aws, nothing set): it answers 503
#   badkey  sign_s3 with the local S3's key id but a wrong secret: S3 answers 403
#
# Cases: one 3 MB file through the file input (states, progress 100, link =
# url, PUT with exactly the signed headers, bytes read back from S3 by
# sha256, screenshot), two files at once (one with an empty type), a dropped
# file, an HTML file (sent with the answer's Content-Disposition: attachment,
# served as a download), the signer's refusal shown in words, S3's refusal
# shown as failed, and a 20 MB file as one PUT with its MD5 computed in the
# browser (file_md5 = the bytes' MD5, signed as Content-MD5).
# Nothing is mocked. Then every stack is stopped and checked gone.
#
# Missing pieces are installed when possible (chromium with apt as root or
# with sudo; tests/browser/node_modules with `npm ci`), unless
# BROWSER_NO_INSTALL=1; when they cannot be, the test is skipped (1..0 # SKIP).
# BROWSER_SCREENSHOT=FILE keeps a copy of the screenshot after the upload;
# BROWSER_KEEP=1 keeps the whole temp dir (logs, screenshots) for a look.
# Binary: $SIGN_S3 (make test sets it), else build/sign_s3.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIGN_S3=${SIGN_S3:-$ROOT/build/sign_s3}
DEMO=$ROOT/scripts/demo.sh
SPECDIR=$ROOT/tests/browser
CHROMIUM=/usr/bin/chromium
PY=/usr/bin/python3

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
skip() { echo "1..0 # SKIP $*"; exit 0; }

# ------------------------------------------------------------------ what it needs
can_install() { [ "${BROWSER_NO_INSTALL:-0}" != 1 ]; }
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/deps.sh)"
command -v node >/dev/null 2>&1 || skip "node not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || node_major=0
[ "${node_major:-0}" -ge 20 ] 2>/dev/null ||
  skip "node $(node --version 2>/dev/null) is older than the 20 playwright-core needs (tests/browser/package.json)"
if [ ! -x "$CHROMIUM" ]; then
  can_install || skip "$CHROMIUM missing (apt package chromium) and BROWSER_NO_INSTALL=1"
  { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; } || skip "$CHROMIUM missing (apt package chromium); not root, no sudo"
  echo "# installing Debian's chromium" >&2
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >&2 ||
    skip "apt-get install chromium failed"
  [ -x "$CHROMIUM" ] || skip "no $CHROMIUM after installing chromium"
fi
if [ ! -f "$SPECDIR/node_modules/playwright-core/package.json" ]; then
  can_install || skip "playwright-core not installed (cd tests/browser && npm ci) and BROWSER_NO_INSTALL=1"
  command -v npm >/dev/null 2>&1 || skip "playwright-core not installed and no npm"
  echo "# npm ci in tests/browser" >&2
  (cd "$SPECDIR" && npm ci --no-audit --no-fund >&2) || skip "npm ci (playwright-core) failed"
fi
SPARK=$ROOT/www/node_modules/spark-md5/spark-md5.min.js   # the page's MD5 (file_md5)
if [ ! -f "$SPARK" ] && can_install && command -v npm >/dev/null 2>&1; then
  echo "# npm ci in www (spark-md5)" >&2
  (cd "$ROOT/www" && npm ci --no-audit --no-fund >&2) || true
fi
[ -x "$SIGN_S3" ] || bail "no $SIGN_S3 (run make)"
case $SIGN_S3 in /*) ;; *) SIGN_S3=$PWD/$SIGN_S3 ;; esac
check "spark-md5 in www/node_modules (npm ci in www, scripts/deps.sh): the page sends file_md5" test -f "$SPARK"

# ------------------------------------------------------------------ the stacks
TMP=$(mktemp -d "${TMPDIR:-/tmp}/browser_test.XXXXXX") || bail "mktemp"
STACKS=(main broken badkey)
cleanup() {
  local s
  for s in "${STACKS[@]}"; do
    [ -f "$TMP/$s/demo.state" ] && DEMO_DIR=$TMP/$s "$DEMO" stop >/dev/null 2>&1
  done
  if [ "${BROWSER_KEEP:-0}" = 1 ]; then echo "# kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

read -r P_MAIN P_BROKEN P_BADKEY P_S3 P_ACC P_CON P_OBJ P_MC < <($PY -c '
import socket
ss = [socket.socket() for _ in range(8)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || bail "no free ports"
unset S3_KEY_PREFIX S3_EXPIRES S3_ACL S3_MAX_BODY SIGN_S3_CONFIG AWS_SESSION_TOKEN S3_LOG_REQUESTS \
  S3_BUCKET S3_REGION AWS_REGION AWS_DEFAULT_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
  S3_ENDPOINT S3_PATH_STYLE S3_PUBLIC_URL
export DEMO_BIN=$SIGN_S3 DEMO_DEPS=0 S3_LOCAL_DIR=$TMP/s3 S3_LOCAL_PORT=$P_S3 \
  S3_LOCAL_ACCOUNT_PORT=$P_ACC S3_LOCAL_CONTAINER_PORT=$P_CON S3_LOCAL_OBJECT_PORT=$P_OBJ \
  S3_LOCAL_MEMCACHED_PORT=$P_MC S3_LOCAL_BUCKET=sign-s3-browser

start_stack() {  # start_stack NAME PORT [VAR=value...]: demo.sh start with that environment
  local name=$1 port=$2; shift 2
  if env DEMO_DIR="$TMP/$name" DEMO_PORT="$port" "$@" "$DEMO" start >"$TMP/$name.out" 2>"$TMP/$name.err"; then
    ok "stack '$name' up: http://127.0.0.1:$port/ ($(elapsed) s)"
    return 0
  fi
  nok "stack '$name' up"
  diag "$(cat "$TMP/$name.err")"
  local f
  for f in "$TMP/$name/sign_s3.log" "$TMP/$name/nginx/error.log" "$TMP"/s3/log/proxy.log; do
    [ -f "$f" ] && diag "== $f" "$(tail -n 10 "$f")"
  done
  echo "1..$n"; exit 1
}

start_stack main "$P_MAIN" DEMO_S3=local
# the local S3's settings, for the other two stacks
s3env=()
while IFS= read -r line; do
  case $line in S3_*=*|AWS_*=*) s3env+=("$line") ;; esac
done < <(DEMO_DIR=$TMP/main "$DEMO" env 2>/dev/null)
check "the local S3's settings (demo.sh env)" [ ${#s3env[@]} -eq 7 ]
# no credentials at all; the endpoint stays on loopback all the same
start_stack broken "$P_BROKEN" DEMO_S3=aws AWS_EC2_METADATA_DISABLED=true S3_BUCKET=sign-s3-browser S3_ENDPOINT="http://127.0.0.1:$P_S3"
# everything right but the secret
start_stack badkey "$P_BADKEY" DEMO_S3=aws "${s3env[@]}" AWS_SECRET_ACCESS_KEY=not-the-secret

pids=()
for s in "${STACKS[@]}"; do
  for f in "$TMP/$s/nginx/nginx.pid" "$TMP/$s/sign_s3.pid"; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
done
for f in "$TMP"/s3/run/*.pid; do pids+=("$(cat "$f")"); done
check "11 PID files (3 x nginx + sign_s3, 5 of the local S3)" [ ${#pids[@]} -eq 11 ]

# ------------------------------------------------------------------ the browser
t1=$(date +%s.%N)
node_rc=none
while IFS= read -r line; do
  case $line in
    __rc=*) node_rc=${line#__rc=}; continue ;;
  esac
  echo "$line"
  case $line in
    'ok '*) n=$((n + 1)) ;;
    'not ok '*) n=$((n + 1)); failed=$((failed + 1)) ;;
  esac
done < <(cd "$SPECDIR" && PAGE_URL="http://127.0.0.1:$P_MAIN/" BROKEN_URL="http://127.0.0.1:$P_BROKEN/" \
  BADKEY_URL="http://127.0.0.1:$P_BADKEY/" OUT_DIR="$TMP" TAP_START=$n CHROMIUM=$CHROMIUM \
  timeout -k 5 180 node upload.spec.js 2>"$TMP/node.err"; echo "__rc=$?")
diag "browser part: $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
if [ "$node_rc" != 0 ]; then
  [ -s "$TMP/node.err" ] && diag "$(tail -n 20 "$TMP/node.err")"
  [ "$failed" -gt 0 ] || nok "upload.spec.js exited $node_rc"
fi
if [ -n "${BROWSER_SCREENSHOT:-}" ] && [ -f "$TMP/after-upload.png" ]; then
  cp "$TMP/after-upload.png" "$BROWSER_SCREENSHOT" && diag "screenshot: $BROWSER_SCREENSHOT"
fi

# The refusals really came from sign_s3 and from S3, not from nginx or the page.
check "broken: sign_s3 itself logged the 503 (no credentials)" \
  grep -q ' 503 POST 127\.0\.0\.1 "no credentials' "$TMP/broken/sign_s3.log"
check "badkey: the local S3 logged a refused PUT (403)" \
  grep -qE '"?PUT /sign-s3-browser/uploads/[^ ]*refused\.txt[^ ]* [^ ]* 403 ' "$TMP"/s3/log/proxy.log

# ------------------------------------------------------------------ stop
kids() { local d; for d in /proc/[0-9]*; do [ "$(awk '{print $4}' "$d/stat" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"; done; return 0; }
all=("${pids[@]}")
for p in "${pids[@]}"; do mapfile -t -O ${#all[@]} all < <(kids "$p"); done
stop_ok=1 spids=()
for s in "${STACKS[@]}"; do  # in parallel: each has its own state dir
  DEMO_DIR=$TMP/$s "$DEMO" stop 2>"$TMP/$s.stop.err" & spids+=($!)
done
for p in "${spids[@]}"; do wait "$p" || stop_ok=0; done
check "demo.sh stop of the three stacks exits 0" [ "$stop_ok" = 1 ]
alive=()
for p in "${all[@]}"; do
  if [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then alive+=("$p"); fi
done
check "no process of the stacks remains (${#all[@]} with the workers)" [ ${#alive[@]} -eq 0 ]
[ ${#alive[@]} -eq 0 ] || diag "alive: ${alive[*]}"
for s in "${STACKS[@]}"; do
  grep -q 'SIGKILL' "$TMP/$s.stop.err" && diag "$s: $(grep SIGKILL "$TMP/$s.stop.err")"
done
diag "total $(elapsed) s"

echo "1..$n"
[ "$failed" -eq 0 ]
