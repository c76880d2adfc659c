# tap.sh - TAP lines for the shell tests (sourced):
#   ok DESC, nok DESC       one test line; n and failed count them
#   check DESC CMD...       ok when CMD succeeds, else nok
#   diag LINE...            TAP comments
#   bail MSG                Bail out!, exit 1
#   elapsed                 seconds since this file was sourced, "12.3"
#   s3_local_or_skip        skip the whole test (TAP "1..0 # SKIP") when the
#                           local S3's packages are missing and
#                           scripts/s3-local.sh cannot install them (not
#                           root and no sudo, or S3_LOCAL_NO_INSTALL=1)
# shellcheck shell=bash
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
bail() { echo "Bail out! $*"; exit 1; }
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
s3_local_or_skip() {
  local p missing=0
  for p in python3-swift memcached curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1
  done
  [ "$missing" = 0 ] && return 0
  if [ "${S3_LOCAL_NO_INSTALL:-0}" = 1 ]; then
    echo "1..0 # SKIP Swift packages not installed and S3_LOCAL_NO_INSTALL=1"; exit 0
  fi
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    echo "1..0 # SKIP Swift packages (python3-swift memcached curl) not installed; not root and no sudo"; exit 0
  fi
}
