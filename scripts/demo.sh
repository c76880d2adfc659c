#!/usr/bin/env bash
# demo.sh - the sign_s3 demo on this machine: the upload page (www/) and
# /api/sign_s3 served by nginx on 127.0.0.1, sign_s3 as its FastCGI responder,
# and a real local S3 server (scripts/s3-local.sh: Swift + s3api) to upload to.
#
#   scripts/demo.sh start    (make demo)       install what is missing, build,
#                                               start everything, print the address
#   scripts/demo.sh stop     (make demo-stop)  stop everything it started (PID files)
#   scripts/demo.sh status   exit 0 when every part is up
#   scripts/demo.sh env      DEMO_URL=... and, with the local S3, its NAME=value lines
#
# `start` is idempotent: when everything is up it only prints the address
# again; a part that died is started again (the local S3 keeps its data).
# Then open http://127.0.0.1:8000/ and choose or drop files.
#
# Against real AWS (or any S3-compatible store) instead of the local S3: one
# change of environment. DEMO_S3=aws skips the local S3 and hands sign_s3's
# variables through from the environment as they are:
#
#   DEMO_S3=aws S3_BUCKET=my-bucket S3_REGION=eu-west-1 \
#     AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=... make demo
#
# (also AWS_SESSION_TOKEN, S3_ENDPOINT, S3_PATH_STYLE, S3_PUBLIC_URL,
# S3_KEY_PREFIX, S3_EXPIRES, S3_ACL, S3_MAX_BODY, or SIGN_S3_CONFIG=FILE;
# and, with either store, S3_MULTIPART, S3_MAX_PARTS, S3_PART_EXPIRES, S3_MAX_FILE_SIZE,
# S3_METADATA_FIELDS, S3_SIMPLE_UPLOAD, S3_REQUIRE_USER, S3_ALLOWED_TYPES,
# S3_ACTIVE_TYPES).
# The browser PUTs straight to the bucket, so the bucket needs a CORS rule for
# the page's origin, e.g. with the AWS CLI:
#   aws s3api put-bucket-cors --bucket my-bucket --cors-configuration '{"CORSRules":[
#     {"AllowedOrigins":["http://127.0.0.1:8000"],"AllowedMethods":["PUT","GET"],
#      "AllowedHeaders":["content-type","content-disposition","content-md5"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}'
# and the page's "Open the uploaded file" link only opens for a public object
# (a bucket policy allowing s3:GetObject on uploads/*, or S3_PUBLIC_URL=a CDN).
# Stop the local demo first (make demo-stop) to switch between the two.
#
# Environment:
#   DEMO_DIR      state dir (configs, logs, PID files, the socket);
#                 default /tmp/sign_s3-demo
#   DEMO_PORT     nginx port on 127.0.0.1, default 8000
#   DEMO_S3       local (default) or aws (see above)
#   DEMO_WORKERS  sign_s3 --workers, default 2
#   S3_LOCAL_DIR  the local S3's state dir, default $DEMO_DIR/s3; S3_LOCAL_PORT
#                 (default 8333), S3_LOCAL_*_PORT and S3_LOCAL_BUCKET as
#                 scripts/s3-local.sh reads them
#   DEMO_BIN      the sign_s3 binary; when set, nothing is built
#                 (default: `make` builds build/sign_s3)
#   DEMO_DEPS=0   do not look for missing Debian packages (scripts/deps.sh)
#   S3_LOG_REQUESTS  default 1 here: one line per signed request in the log
#
# Logs: $DEMO_DIR/sign_s3.log (one line per request), $DEMO_DIR/nginx/*.log,
# $S3_LOCAL_DIR/log/*.log. Only 127.0.0.1 is listened on.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
EXAMPLE=$ROOT/nginx.conf.example
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

die() { echo "demo: $*" >&2; exit 1; }
say() { echo "demo: $*" >&2; }

STATE=${DEMO_DIR:-/tmp/sign_s3-demo}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
NGX=$STATE/nginx
SOCK=$STATE/sign_s3.sock

# What a running demo was started with, else what the environment asks for.
load_state() {
  PORT=${DEMO_PORT:-8000}
  MODE=${DEMO_S3:-local}
  S3DIR=${S3_LOCAL_DIR:-$STATE/s3}
  if [ -f "$STATE/demo.state" ]; then
    # shellcheck disable=SC1091
    . "$STATE/demo.state"
  fi
  case $S3DIR in /*) ;; *) S3DIR=$PWD/$S3DIR ;; esac
}

# ------------------------------------------------------------------ processes
# PID in file $1 if it names a live, non-zombie process whose command line
# contains $2 (so a recycled PID is never taken for ours).
live_pid() {
  local f=$1 want=$2 pid cmd
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  case $pid in ''|*[!0-9]*) return 1 ;; esac
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  case $cmd in *"$want"*) ;; *) return 1 ;; esac
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}
nginx_pid() { live_pid "$NGX/nginx.pid" "$NGX/nginx.conf"; }
signer_pid() { live_pid "$STATE/sign_s3.pid" "unix:$SOCK"; }

alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

children() {  # live children of PID $1
  local d
  for d in /proc/[0-9]*; do
    [ "$(awk '{print $4}' "$d/stat" 2>/dev/null)" = "$1" ] && alive "${d#/proc/}" && echo "${d#/proc/}"
  done
  return 0
}

stop_pid() {  # stop_pid NAME PID: SIGTERM, wait up to 5 s, then SIGKILL it and its children
  local name=$1 pid=$2 kids i
  kids=$(children "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    say "$name ($pid) did not stop within 5 s of SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for pid in $kids; do
    for ((i = 0; i < 30; i++)); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  done
  return 0
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

s3local() { S3_LOCAL_DIR=$S3DIR "$ROOT/scripts/s3-local.sh" "$@" 8>&-; }

healthy() {
  nginx_pid >/dev/null && signer_pid >/dev/null && [ -S "$SOCK" ] || return 1
  if [ "$MODE" = local ]; then s3local status 2>/dev/null || return 1; fi
  return 0
}

# ------------------------------------------------------------------ start
ensure_deps() {
  [ "${DEMO_DEPS:-1}" = 0 ] && return 0
  local p missing=0
  for p in build-essential pkg-config libfcgi-dev libssl-dev libcjson-dev nginx-light \
           curl python3-swift memcached media-types; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || { missing=1; break; }
  done
  if [ "$missing" = 1 ]; then
    say "installing missing Debian packages (scripts/deps.sh)"
    "$ROOT/scripts/deps.sh" 8>&- >&2 || die "scripts/deps.sh failed"
  fi
}

build() {
  if [ -n "${DEMO_BIN:-}" ]; then
    BIN=$DEMO_BIN
  else
    say "building (make)"
    make -C "$ROOT" --no-print-directory all 8>&- >&2 || die "make failed"
    BIN=$ROOT/build/sign_s3
  fi
  case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
  [ -x "$BIN" ] || die "no sign_s3 binary at $BIN"
}

# sign_s3's environment as NAME=value words in SIGNER_ENV: the local S3's
# lines, or (DEMO_S3=aws) sign_s3's variables from the environment. Kept in
# memory only (secrets); $STATE/s3.info keeps the bucket and endpoint to show.
SIGN_VARS=(S3_BUCKET S3_REGION AWS_REGION AWS_DEFAULT_REGION AWS_ACCESS_KEY_ID
  AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN S3_ENDPOINT S3_PATH_STYLE S3_PUBLIC_URL
  S3_KEY_PREFIX S3_EXPIRES S3_ACL S3_MAX_BODY SIGN_S3_CONFIG
  S3_MULTIPART S3_MAX_PARTS S3_PART_EXPIRES S3_MAX_FILE_SIZE S3_METADATA_FIELDS S3_SIMPLE_UPLOAD
  S3_REQUIRE_USER S3_ALLOWED_TYPES S3_ACTIVE_TYPES
  S3_DELETE_REJECTED S3_NOTIFY_URL S3_NOTIFY_SECRET S3_NOTIFY_TIMEOUT
  S3_CREDENTIALS AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE HOME
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
  AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
  AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT)
KEEP_LOCAL=(S3_KEY_PREFIX S3_EXPIRES S3_ACL S3_MAX_BODY S3_MULTIPART S3_MAX_PARTS S3_PART_EXPIRES
  S3_MAX_FILE_SIZE S3_METADATA_FIELDS S3_SIMPLE_UPLOAD S3_REQUIRE_USER S3_ALLOWED_TYPES
  S3_ACTIVE_TYPES S3_DELETE_REJECTED S3_NOTIFY_URL S3_NOTIFY_SECRET S3_NOTIFY_TIMEOUT)
  # the rest comes from s3-local.sh

signer_env() {
  local v lines=()
  if [ "$MODE" = local ]; then
    local out
    out=$(s3local start) || die "the local S3 did not start (logs: $S3DIR/log/)"
    mapfile -t lines <<<"$out"
    for v in "${KEEP_LOCAL[@]}"; do [ -n "${!v+x}" ] && lines+=("$v=${!v}"); done
  else
    for v in "${SIGN_VARS[@]}"; do [ -n "${!v+x}" ] && lines+=("$v=${!v}"); done
    if [ -z "${AWS_ACCESS_KEY_ID:-}" ] && [ -z "${SIGN_S3_CONFIG:-}" ]; then
      say "warning: no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: sign_s3 will answer 503"
    fi
  fi
  lines+=("S3_LOG_REQUESTS=${S3_LOG_REQUESTS:-1}")
  for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do [ -n "${!v+x}" ] && lines+=("$v=${!v}"); done
  SIGNER_ENV=("${lines[@]}")
  printf '%s\n' "${lines[@]}" | grep -E '^(S3_BUCKET|S3_ENDPOINT)=' >"$STATE/s3.info" || true
}

start_signer() {
  local pid i
  rm -f "$SOCK"
  say "starting sign_s3 --listen unix:$SOCK --workers ${DEMO_WORKERS:-2}"
  # shellcheck disable=SC2016  # $$ and $@ are for the inner sh
  # In its own session (make's Ctrl-C does not reach it), no inherited fds but
  # its log; a clean environment: only sign_s3's variables.
  env -i PATH="/usr/sbin:/usr/bin:/sbin:/bin" LC_ALL=C.UTF-8 "${SIGNER_ENV[@]}" \
    setsid sh -c 'echo $$ >"$0"; exec "$@"' "$STATE/sign_s3.pid" \
    "$BIN" --listen "unix:$SOCK" --workers "${DEMO_WORKERS:-2}" \
    </dev/null >/dev/null 2>>"$STATE/sign_s3.log" 8>&- &
  for ((i = 0; i < 100; i++)); do  # 10 s
    if pid=$(signer_pid) && [ -S "$SOCK" ]; then return 0; fi
    if [ -f "$STATE/sign_s3.pid" ] && ! alive "$(cat "$STATE/sign_s3.pid")"; then break; fi
    sleep 0.1
  done
  say "sign_s3 did not start; last lines of $STATE/sign_s3.log:"
  tail -n 10 "$STATE/sign_s3.log" >&2 || true
  return 1
}

# nginx.conf.example with this demo's port, socket and web root (each marker
# must occur exactly once, fastcgi_pass once per location, as
# tests/nginx_integration.py requires), inside a
# main config whose pid, logs and temp paths are all under $NGX.
write_nginx_conf() {
  local text old new i want
  text=$(<"$EXAMPLE")
  local subs=(
    'listen 80;' "listen 127.0.0.1:$PORT;"
    'listen [::]:80;' ''
    'fastcgi_pass unix:/run/sign_s3/sign_s3.sock;' "fastcgi_pass unix:$SOCK;"
    'root /var/www/sign_s3;' "root $ROOT/www;"
  )
  for ((i = 0; i < ${#subs[@]}; i += 2)); do
    old=${subs[i]} new=${subs[i + 1]}
    want=1
    case $old in fastcgi_pass*) want=3 ;; esac   # /api/sign_s3, /api/sign_s3/status, /api/s3/
    [ "$(grep -cF -- "$old" "$EXAMPLE")" = "$want" ] ||
      die "nginx.conf.example: want exactly $want x '$old'"
    text=${text//"$old"/"$new"}
  done
  mkdir -p "$NGX"
  printf '%s\n' "$text" >"$NGX/site.conf"
  cp /etc/nginx/fastcgi_params "$NGX/fastcgi_params"
  {
    [ "$(id -u)" -eq 0 ] && echo 'user root;'   # reads www/ and the socket as we do
    cat <<EOF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    charset utf-8;
    access_log $NGX/access.log;
    client_body_temp_path $NGX/client_body_temp;
    fastcgi_temp_path $NGX/fastcgi_temp;
    proxy_temp_path $NGX/proxy_temp;
    uwsgi_temp_path $NGX/uwsgi_temp;
    scgi_temp_path $NGX/scgi_temp;
    include $NGX/site.conf;
}
EOF
  } >"$NGX/nginx.conf"
}

start_nginx() {
  local i out
  [ -x "$NGINX" ] || die "no nginx (apt-get install nginx-light, or scripts/deps.sh)"
  port_free "$PORT" || die "port 127.0.0.1:$PORT is in use (set DEMO_PORT)"
  write_nginx_conf
  out=$("$NGINX" -t -q -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" 2>&1 8>&-) ||
    die "nginx -t refused $NGX/nginx.conf: $out"
  say "starting nginx on 127.0.0.1:$PORT"
  rm -f "$NGX/nginx.pid"
  # daemon on: the master detaches and writes its PID file
  setsid "$NGINX" -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" \
    </dev/null >>"$NGX/stderr.log" 2>&1 8>&- || { tail -n 5 "$NGX/error.log" >&2; return 1; }
  for ((i = 0; i < 100; i++)); do
    nginx_pid >/dev/null && ! port_free "$PORT" && return 0
    sleep 0.1
  done
  say "nginx did not start; last lines of $NGX/error.log:"
  tail -n 10 "$NGX/error.log" >&2 || true
  return 1
}

smoke_check() {  # one signature through nginx; warn (do not fail) on a refusal
  local i code body
  for ((i = 0; i < 50; i++)); do
    code=$(curl -s -m 5 -o "$STATE/check.json" -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary '{"file_name":"demo-check.txt","file_type":"text/plain"}' \
      "http://127.0.0.1:$PORT/api/sign_s3" 2>/dev/null) || code=000
    case $code in 200) rm -f "$STATE/check.json"; return 0 ;; 000|502|504) sleep 0.1 ;; *) break ;; esac
  done
  body=$(head -c 300 "$STATE/check.json" 2>/dev/null || true)
  rm -f "$STATE/check.json"
  say "warning: POST /api/sign_s3 answers $code: $body (see $STATE/sign_s3.log)"
}

print_info() {
  local bucket=
  bucket=$(sed -n 's/^S3_BUCKET=//p' "$STATE/s3.info" 2>/dev/null || true)
  echo "sign_s3 demo: http://127.0.0.1:$PORT/"
  if [ "$MODE" = local ]; then
    echo "  uploads go to the local S3 (bucket ${bucket:-?}, $(sed -n 's/^S3_ENDPOINT=//p' "$STATE/s3.info"))"
  else
    echo "  uploads go to ${bucket:+bucket $bucket on }$(sed -n 's/^S3_ENDPOINT=//p' "$STATE/s3.info" | grep . || echo AWS S3)"
  fi
  echo "  logs: $STATE/sign_s3.log, $NGX/error.log"
  echo "  stop: make demo-stop   (or: ${DEMO_DIR:+DEMO_DIR=$DEMO_DIR }scripts/demo.sh stop)"
}

start() {
  if healthy; then
    local want=${DEMO_S3:-$MODE}
    say "already running in $STATE"
    if [ "$want" != "$MODE" ] || [ "${DEMO_PORT:-$PORT}" != "$PORT" ]; then
      say "warning: it runs with DEMO_S3=$MODE on port $PORT, not as asked (make demo-stop first)"
    fi
    print_info
    return 0
  fi
  # A part is missing: stop what is left of the web side and start it again
  # with the environment's settings; a local S3 that is still wanted stays up
  # (s3-local.sh start finds it) and keeps its data.
  stop_web
  local old_mode=$MODE old_s3dir=$S3DIR
  rm -f "$STATE/demo.state"
  PORT=${DEMO_PORT:-8000} MODE=${DEMO_S3:-local} S3DIR=${S3_LOCAL_DIR:-$STATE/s3}
  case $S3DIR in /*) ;; *) S3DIR=$PWD/$S3DIR ;; esac
  if [ "$old_mode" = local ] && { [ "$MODE" != local ] || [ "$old_s3dir" != "$S3DIR" ]; } &&
     [ -d "$old_s3dir" ]; then
    S3_LOCAL_DIR=$old_s3dir "$ROOT/scripts/s3-local.sh" stop 8>&- 2>/dev/null || true
  fi
  case $MODE in local|aws) ;; *) die "DEMO_S3 must be local or aws" ;; esac
  case $PORT in ''|*[!0-9]*) die "DEMO_PORT must be a port number" ;; esac
  if [ "$MODE" = aws ] && [ -z "${S3_BUCKET:-}" ] && [ -z "${SIGN_S3_CONFIG:-}" ]; then
    die "DEMO_S3=aws needs S3_BUCKET (and S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or SIGN_S3_CONFIG"
  fi
  ensure_deps
  build
  cat >"$STATE/demo.state" <<EOF
PORT=$PORT
MODE=$MODE
S3DIR='$S3DIR'
EOF
  signer_env
  start_signer || { stop_web; exit 1; }
  start_nginx || { stop_web; exit 1; }
  smoke_check
  print_info
}

# ------------------------------------------------------------------ stop
stop_web() {
  local pid
  if pid=$(nginx_pid); then stop_pid nginx "$pid"; fi
  if pid=$(signer_pid); then stop_pid sign_s3 "$pid"; fi
  rm -f "$NGX/nginx.pid" "$STATE/sign_s3.pid" "$SOCK"
}

stop() {
  stop_web
  if [ "$MODE" = local ] && [ -d "$S3DIR" ]; then s3local stop 2>/dev/null || true; fi
  rm -f "$STATE/demo.state" "$STATE/s3.info"
  say "stopped ($STATE)"
}

status() {
  local ok=0 pid
  if pid=$(nginx_pid); then say "nginx: running ($pid), http://127.0.0.1:$PORT/"; else say "nginx: not running"; ok=1; fi
  if pid=$(signer_pid); then say "sign_s3: running ($pid), unix:$SOCK"; else say "sign_s3: not running"; ok=1; fi
  if [ "$MODE" = local ]; then
    s3local status || ok=1
  else
    say "S3: from the environment (DEMO_S3=aws)"
  fi
  return $ok
}

env_lines() {
  healthy || die "not running (state $STATE); run: $0 start"
  echo "DEMO_URL=http://127.0.0.1:$PORT/"
  if [ "$MODE" = local ]; then s3local env; fi
}

cmd=${1:-}
case $cmd in
  start|stop|status|env) ;;
  *) echo "usage: $0 start|stop|status|env   (state: $STATE)" >&2; exit 2 ;;
esac

mkdir -p "$STATE"
exec 8>>"$STATE/.lock"
flock -w 180 8 || die "$STATE is locked by another demo.sh"
load_state

case $cmd in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
esac
