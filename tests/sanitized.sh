#!/usr/bin/env bash
# The black-box CLI tests again, against the ASan+UBSan build (make test
# builds it in build-san/): any memory error, leak or undefined behaviour
# aborts the binary and fails the run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
san=${SIGN_S3_SAN:-$here/../build-san/sign_s3}
if [ ! -x "$san" ]; then echo "1..0 # SKIP no sanitizer build ($san)"; exit 0; fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
for t in cli.sh botocore_parity.py; do
	n=$((n+1))
	if SIGN_S3=$san "$here/$t" >"$tmp/log" 2>&1 && ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/log"; then
		echo "ok $n - $t against the sanitizer build"
	else
		echo "not ok $n - $t against the sanitizer build"
		grep -E 'not ok|Sanitizer|runtime error' "$tmp/log" | head -20 | sed 's/^/# /'
		fail=$((fail+1))
	fi
done
echo "1..$n"
[ "$fail" = 0 ]
