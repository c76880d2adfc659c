#!/usr/bin/env bash
# TAP: the server-side S3 client (common/s3client.c) against a real local
# S3 (scripts/s3-local.sh: Swift + s3api, every process on 127.0.0.1).
#
# Starts its own instance (its own state dir, kernel-chosen free ports, so
# it never meets the default instance other tests use), runs
# build/tests/test_s3client_live with S3_CLIENT_LIVE=1 and the instance's
# env lines (its TAP lines are this script's), stops the instance.
#
# Skips when the Swift packages are missing and cannot be installed, or the
# driver is not built (make unit).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DRIVER=$ROOT/$BUILD/tests/test_s3client_live
S3LOCAL=$ROOT/scripts/s3-local.sh

# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"   # s3_local_or_skip (the TAP lines are the driver's)
s3_local_or_skip
if [ ! -x "$DRIVER" ]; then
  echo "1..0 # SKIP no $DRIVER (make unit)"; exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/s3c-$$.XXXXXX") || { echo "Bail out! mktemp"; exit 1; }
export S3_LOCAL_DIR=$TMP/state
cleanup() {
  "$S3LOCAL" stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

read -r P_PROXY P_ACC P_CON P_OBJ P_MC < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])') || { echo "Bail out! no free ports"; exit 1; }
export S3_LOCAL_PORT=$P_PROXY S3_LOCAL_ACCOUNT_PORT=$P_ACC S3_LOCAL_CONTAINER_PORT=$P_CON \
  S3_LOCAL_OBJECT_PORT=$P_OBJ S3_LOCAL_MEMCACHED_PORT=$P_MC S3_LOCAL_BUCKET=sign-s3-client

if ! envout=$("$S3LOCAL" start 2>"$TMP/start.err"); then
  echo "Bail out! s3-local.sh start failed"
  sed 's/^/# /' "$TMP/start.err"
  exit 1
fi
# the env lines, exported for the driver (values never printed: a secret)
while IFS= read -r line; do
  case $line in
    S3_ENDPOINT=*|S3_BUCKET=*|S3_REGION=*|AWS_ACCESS_KEY_ID=*|AWS_SECRET_ACCESS_KEY=*)
      export "${line?}" ;;
  esac
done <<<"$envout"
case ${S3_ENDPOINT:-} in
  http://127.0.0.1:*) ;;
  *) echo "Bail out! the local S3 is not on 127.0.0.1"; exit 1 ;;
esac

S3_CLIENT_LIVE=1 "$DRIVER"
rc=$?
exit $rc
