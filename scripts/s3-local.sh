#!/usr/bin/env bash
# A real, local S3-compatible server for trying sign_s3's presigned URLs:
# OpenStack Swift (Debian 12's python3-swift) with its s3api middleware, every
# process bound to 127.0.0.1 and run by this script (no system services).
#
#   scripts/s3-local.sh start    start (or find running) and print the env lines
#   scripts/s3-local.sh env      print the env lines of a running server
#   scripts/s3-local.sh status   exit 0 if every process is up and healthy
#   scripts/s3-local.sh stop     stop every process (by PID file) and wait
#
#   eval "$(scripts/s3-local.sh start)"
#   build/sign_s3 presign --method PUT --content-type text/plain 'a b.txt'
#
# stdout of start/env is exactly these lines (progress goes to stderr):
#   S3_ENDPOINT=http://127.0.0.1:PORT   S3_BUCKET=...   S3_REGION=us-east-1
#   S3_PATH_STYLE=1   AWS_ACCESS_KEY_ID=test:tester   AWS_SECRET_ACCESS_KEY=testing
#   S3_PUBLIC_URL=http://127.0.0.1:PORT/v1/AUTH_test/BUCKET
#
# Environment (read by start; the others use what start recorded):
#   S3_LOCAL_DIR     state dir (configs, rings, data, logs, PID files);
#                    default ${XDG_RUNTIME_DIR:-/tmp}/sign_s3-s3local.
#                    Its filesystem must support user xattrs (ext4, xfs, tmpfs do).
#   S3_LOCAL_PORT    S3 / Swift proxy port, default 8333
#   S3_LOCAL_ACCOUNT_PORT, S3_LOCAL_CONTAINER_PORT, S3_LOCAL_OBJECT_PORT,
#   S3_LOCAL_MEMCACHED_PORT   backends, default S3_LOCAL_PORT+1 .. +4
#   S3_LOCAL_BUCKET  bucket, created publicly readable; default sign-s3-demo
#   S3_LOCAL_CORS_ORIGINS  comma list of the origins whose preflight (OPTIONS) of a
#                    presigned URL is allowed (s3api's cors_preflight_allow_origin);
#                    default * (any); another origin's preflight is refused (401)
#   S3_LOCAL_TIMEOUT seconds to wait for health, default 60
#   S3_LOCAL_NO_INSTALL=1  never run apt; fail if packages are missing
#
# Missing Debian packages (python3-swift memcached curl) are installed with apt
# (sudo when not root), with a temporary policy-rc.d so no packaged service starts.
#
# What the server does and does not do, as S3: SigV4 (header and presigned
# query) is verified; path-style addressing, region us-east-1 only; presigned
# POST is not supported; object ACLs (x-amz-acl) are accepted but have no
# effect. The bucket is public through the Swift API only, so anonymous reads
# work at S3_PUBLIC_URL/KEY, not at the S3 path. Logs: $S3_LOCAL_DIR/log/*.log.
set -euo pipefail

PKGS=(python3-swift memcached curl)
PY=/usr/bin/python3

die() { echo "s3-local: $*" >&2; exit 1; }
say() { echo "s3-local: $*" >&2; }

STATE=${S3_LOCAL_DIR:-${XDG_RUNTIME_DIR:-/tmp}/sign_s3-s3local}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
ETC=$STATE/etc
RUN=$STATE/run
LOG=$STATE/log
SRV=$STATE/srv
SERVERS=(memcached account container object proxy)

# ---------------------------------------------------------------- packages
pkgs_missing() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

ensure_packages() {
  local missing=()
  mapfile -t missing < <(pkgs_missing)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "${S3_LOCAL_NO_INSTALL:-0}" = 1 ] && die "missing Debian packages: ${missing[*]} (S3_LOCAL_NO_INSTALL=1)"
  local SUDO=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]} (not root, no sudo)"
    SUDO=sudo
  fi
  say "installing ${missing[*]}"
  local prc=/usr/sbin/policy-rc.d made_prc=0 rc=0
  # Keep the packages from starting their own services (e.g. memcached on install).
  if [ ! -e "$prc" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$prc" >/dev/null && $SUDO chmod 755 "$prc" && made_prc=1
  fi
  {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >&2 || rc=$?
  if [ "$made_prc" = 1 ]; then $SUDO rm -f "$prc"; fi
  [ "$rc" = 0 ] || die "apt-get failed ($rc)"
}

# ---------------------------------------------------------------- state
load_ports() {  # from the running instance's record, else from the environment
  if [ -f "$RUN/ports" ]; then
    # shellcheck disable=SC1091
    . "$RUN/ports"
  else
    PORT=${S3_LOCAL_PORT:-8333}
    ACCOUNT_PORT=${S3_LOCAL_ACCOUNT_PORT:-$((PORT + 1))}
    CONTAINER_PORT=${S3_LOCAL_CONTAINER_PORT:-$((PORT + 2))}
    OBJECT_PORT=${S3_LOCAL_OBJECT_PORT:-$((PORT + 3))}
    MEMCACHED_PORT=${S3_LOCAL_MEMCACHED_PORT:-$((PORT + 4))}
    BUCKET=${S3_LOCAL_BUCKET:-sign-s3-demo}
    CORS_ORIGINS=${S3_LOCAL_CORS_ORIGINS:-*}
  fi
  CORS_ORIGINS=${CORS_ORIGINS:-*}
}

env_lines() {
  cat <<EOF
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_BUCKET=$BUCKET
S3_REGION=us-east-1
S3_PATH_STYLE=1
AWS_ACCESS_KEY_ID=test:tester
AWS_SECRET_ACCESS_KEY=testing
S3_PUBLIC_URL=http://127.0.0.1:$PORT/v1/AUTH_test/$BUCKET
EOF
}

# PID of server $1 if its PID file names a live process that is really ours
# (its command line names our config / port), else nothing.
live_pid() {
  local f=$RUN/$1.pid pid cmd
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  case $pid in ''|*[!0-9]*) return 1 ;; esac
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  case $1 in
    memcached) case $cmd in *memcached*" -p $MEMCACHED_PORT "*) ;; *) return 1 ;; esac ;;
    *) case $cmd in *"$ETC/$1-server.conf"*) ;; *) return 1 ;; esac ;;
  esac
  # a zombie is not running
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

http_ok() {  # GET http://127.0.0.1:$1/healthcheck answers 200 OK
  [ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthcheck" 2>/dev/null)" = 200 ]
}

healthy() {
  local s
  [ -f "$RUN/ports" ] || return 1
  for s in "${SERVERS[@]}"; do live_pid "$s" >/dev/null || return 1; done
  http_ok "$PORT" && http_ok "$ACCOUNT_PORT" && http_ok "$CONTAINER_PORT" && http_ok "$OBJECT_PORT"
}

stop_all() {
  local s pid pids=() i
  for s in "${SERVERS[@]}"; do
    if pid=$(live_pid "$s"); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for ((i = 0; i < 100; i++)); do  # up to 10 s, then SIGKILL
    local left=()
    for pid in "${pids[@]}"; do
      if [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then left+=("$pid"); fi
    done
    pids=("${left[@]}")
    [ ${#pids[@]} -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for s in "${SERVERS[@]}"; do rm -f "$RUN/$s.pid"; done
  rm -f "$RUN/ports" "$RUN/env"
}

# ---------------------------------------------------------------- setup
check_xattr() {
  mkdir -p "$SRV/d1"
  "$PY" - "$SRV/d1" <<'EOF' || die "the filesystem of $SRV does not support user extended attributes (Swift stores object metadata in them); set S3_LOCAL_DIR to a directory on ext4, xfs or tmpfs"
import os, sys, tempfile
with tempfile.NamedTemporaryFile(dir=sys.argv[1]) as f:
    os.setxattr(f.name, 'user.sign_s3.test', b'1')
    assert os.getxattr(f.name, 'user.sign_s3.test') == b'1'
EOF
}

port_free() {  # nothing listening on 127.0.0.1:$1
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_configs() {
  local user s
  user=$(id -un)
  mkdir -p "$ETC" "$RUN" "$LOG" "$SRV/d1"

  # Swift reads swift.conf from /etc/swift unless told otherwise; the launcher
  # points it here with swift.common.utils.set_swift_dir. The hash prefix and
  # suffix decide where data lies on disk: made once, kept across restarts.
  if [ ! -s "$ETC/swift.conf" ]; then
    cat >"$ETC/swift.conf.tmp" <<EOF
[swift-hash]
swift_hash_path_prefix = $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
swift_hash_path_suffix = $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

[storage-policy:0]
name = Policy-0
default = yes
EOF
    mv "$ETC/swift.conf.tmp" "$ETC/swift.conf"
  fi

  # Runs one Swift WSGI server in the foreground (workers = 0), as
  # /usr/bin/swift-*-server would, but with swift.conf from our dir and its
  # log lines on stderr (redirected to log/NAME.log) instead of syslog.
  cat >"$ETC/launch.py" <<'EOF'
import logging, sys
swift_dir, app_section, conf = sys.argv[1:4]
from swift.common import utils

class NoSyslog(logging.NullHandler):
    def __init__(self, *args, **kwargs):
        logging.NullHandler.__init__(self)

utils.ThreadSafeSysLogHandler = NoSyslog   # never /dev/log nor UDP 514
utils.set_swift_dir(swift_dir)
from swift.common import storage_policy
storage_policy.reload_storage_policies()
sys.path.insert(0, swift_dir)              # s3_local_cors.py, beside this file
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(conf, app_section, verbose=True))
EOF

  # AWS S3 sends the bucket's CORS headers with its refusals too (a 403
  # SignatureDoesNotMatch, an expired URL), so a page can read them and
  # say why. Swift's s3api answers those itself, without CORS headers, and
  # the browser then hides the answer from the page. This filter, first in
  # the proxy's pipeline, adds them to any answer to a request with an
  # Origin that has none. And as a bucket CORS rule on AWS does, it refuses
  # a preflight asking for a request header outside allow_headers (s3api
  # would allow any): the list is README's rule, so a header the page or
  # Uppy starts sending without README saying so fails the browser tests.
  cat >"$ETC/s3_local_cors.py" <<'EOF'
"""CORS headers on every answer to a cross-origin request (s3-local.sh)."""


def filter_factory(global_conf, **local_conf):
    expose = local_conf.get('expose_headers', 'etag')
    allow = {h.strip().lower() for h in local_conf.get('allow_headers', '').split(',')
             if h.strip()}

    def make(app):
        def cors_errors(environ, start_response):
            if not environ.get('HTTP_ORIGIN'):
                return app(environ, start_response)
            asked = {h.strip().lower() for h in
                     environ.get('HTTP_ACCESS_CONTROL_REQUEST_HEADERS', '').split(',')
                     if h.strip()}
            if allow and environ.get('REQUEST_METHOD') == 'OPTIONS' and asked - allow:
                body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessForbidden'
                        b'</Code><Message>CORSResponse: This CORS request is not allowed. '
                        b'This is usually because the evalution of Origin, request method / '
                        b'Access-Control-Request-Method or Access-Control-Request-Headers are '
                        b'not whitelisted by the resource\'s CORS spec.</Message></Error>')
                start_response('403 Forbidden', [('Content-Type', 'application/xml'),
                                                 ('Content-Length', str(len(body)))])
                return [body]

            def start(status, headers, exc_info=None):
                if not any(k.lower() == 'access-control-allow-origin' for k, _ in headers):
                    headers = list(headers) + [
                        ('Access-Control-Allow-Origin', '*'),
                        ('Access-Control-Expose-Headers', expose)]
                if exc_info is None:
                    return start_response(status, headers)
                return start_response(status, headers, exc_info)
            return app(environ, start)
        return cors_errors
    return make
EOF

  for s in account container object; do
    local port_var=${s^^}_PORT
    cat >"$ETC/$s-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${!port_var}
workers = 0
user = $user
swift_dir = $ETC
devices = $SRV
mount_check = false
log_name = $s-server
log_level = INFO

[pipeline:main]
pipeline = healthcheck $s-server

[app:$s-server]
use = egg:swift#$s

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
  done

  cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
workers = 0
user = $user
swift_dir = $ETC
log_name = proxy-server
log_level = INFO

[pipeline:main]
pipeline = cors_errors catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[filter:cors_errors]
paste.filter_factory = s3_local_cors:filter_factory
expose_headers = etag
# README's bucket CORS rule (AllowedHeaders), lower case
allow_headers = content-type, content-disposition, content-md5

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# CORS for the browser's PUT to a presigned URL and GET of the public URL
cors_allow_origin = *
cors_expose_headers = etag

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
# s3api answers the browser's preflight (OPTIONS) for presigned URLs
cors_preflight_allow_origin = $CORS_ORIGINS

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key test:tester, secret testing; Swift account AUTH_test
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF

  # One-replica rings, one device (srv/d1) per ring on this start's ports.
  "$PY" - "$ETC" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" <<'EOF'
import os, sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in zip(('account', 'container', 'object'), sys.argv[2:5]):
    b = RingBuilder(6, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
               'port': int(port), 'device': 'd1', 'weight': 1.0, 'meta': ''})
    b.rebalance()
    tmp = os.path.join(etc, name + '.ring.gz.tmp')
    b.get_ring().save(tmp)
    os.rename(tmp, os.path.join(etc, name + '.ring.gz'))
EOF
}

launch() {  # launch NAME CMD...: in the background, stdio to log/NAME.log, PID file
  local name=$1; shift
  # fd 9 (the lock) must not stay open in the servers
  "$@" </dev/null >>"$LOG/$name.log" 2>&1 9>&- &
  echo $! >"$RUN/$name.pid"
}

create_bucket() {
  local token i code hdrs
  for ((i = 0; i < 20; i++)); do
    hdrs=$(curl -s -m 10 -D - -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' \
      "http://127.0.0.1:$PORT/auth/v1.0" 2>/dev/null || true)
    token=$(printf '%s\n' "$hdrs" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-auth-token" {print $2}')
    if [ -n "$token" ]; then
      code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X PUT -H "X-Auth-Token: $token" \
        -H 'X-Container-Read: .r:*,.rlistings' \
        "http://127.0.0.1:$PORT/v1/AUTH_test/$BUCKET" 2>/dev/null || true)
      case $code in 201|202|204) return 0 ;; esac
    fi
    sleep 0.25
  done
  die "could not create bucket $BUCKET (last status ${code:-none}); see $LOG/proxy.log"
}

start() {
  if healthy; then
    say "already running in $STATE"
    if [ "${S3_LOCAL_PORT:-$PORT}" != "$PORT" ] || [ "${S3_LOCAL_BUCKET:-$BUCKET}" != "$BUCKET" ]; then
      say "warning: it uses port $PORT and bucket $BUCKET, not those asked for (stop it first to change)"
    fi
    cat "$RUN/env"; return 0
  fi
  ensure_packages
  stop_all   # whatever is left of an earlier, broken start
  load_ports
  case $BUCKET in *[!a-z0-9.-]*|'') die "bad bucket name '$BUCKET' (lowercase letters, digits, . and -)" ;; esac
  local p
  for p in "$PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" "$MEMCACHED_PORT"; do
    port_free "$p" || die "port 127.0.0.1:$p is already in use (set S3_LOCAL_PORT or S3_LOCAL_*_PORT)"
  done
  say "starting Swift + s3api on 127.0.0.1:$PORT (state $STATE)"
  check_xattr
  write_configs
  cat >"$RUN/ports.tmp" <<EOF
PORT=$PORT
ACCOUNT_PORT=$ACCOUNT_PORT
CONTAINER_PORT=$CONTAINER_PORT
OBJECT_PORT=$OBJECT_PORT
MEMCACHED_PORT=$MEMCACHED_PORT
BUCKET=$BUCKET
CORS_ORIGINS='$CORS_ORIGINS'
EOF
  mv "$RUN/ports.tmp" "$RUN/ports"

  local mc_user=()
  [ "$(id -u)" -eq 0 ] && mc_user=(-u root)
  launch memcached setsid /usr/bin/memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 "${mc_user[@]}"
  local s
  for s in account container object proxy; do
    launch "$s" "$PY" "$ETC/launch.py" "$ETC" "$s-server" "$ETC/$s-server.conf"
  done

  local deadline=$((SECONDS + ${S3_LOCAL_TIMEOUT:-60}))
  until healthy; do
    for s in "${SERVERS[@]}"; do
      if ! live_pid "$s" >/dev/null; then
        say "$s exited during start; last lines of $LOG/$s.log:"
        tail -n 20 "$LOG/$s.log" >&2 || true
        stop_all
        exit 1
      fi
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not healthy after ${S3_LOCAL_TIMEOUT:-60} s; logs in $LOG"
      stop_all
      exit 1
    fi
    sleep 0.1
  done
  create_bucket
  env_lines >"$RUN/env"
  say "ready: http://127.0.0.1:$PORT bucket $BUCKET (stop: $0 stop)"
  cat "$RUN/env"
}

cmd=${1:-}
case $cmd in
  start|stop|env|status) ;;
  *) echo "usage: $0 start|stop|env|status   (state: ${STATE})" >&2; exit 2 ;;
esac

mkdir -p "$STATE"
# One command at a time per state dir.
exec 9>>"$STATE/.lock"
flock -w 120 9 || die "$STATE is locked by another s3-local.sh"
load_ports

case $cmd in
  start) start ;;
  stop) stop_all; say "stopped ($STATE)" ;;
  env) healthy || die "not running (state $STATE); run: $0 start"; cat "$RUN/env" ;;
  status)
    if healthy; then say "running: http://127.0.0.1:$PORT bucket $BUCKET (state $STATE)"
    else say "not running (state $STATE)"; exit 1; fi ;;
esac
