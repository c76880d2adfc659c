# tap.sh - TAP lines for the shell tests (sourced):
#   ok DESC, nok DESC       one test line; n and failed count them
#   check DESC CMD...       ok when CMD succeeds, else nok
#   diag LINE...            TAP comments
#   bail MSG                Bail out!, exit 1
#   elapsed                 seconds since this file was sourced, "12.3"
# shellcheck shell=bash
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
bail() { echo "Bail out! $*"; exit 1; }
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
