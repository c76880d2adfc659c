#!/usr/bin/env bash
# replay.sh - the fuzz targets' regression inputs and seed corpora, replayed
# (run by make test; TAP). Builds the targets with clang, libFuzzer, ASan and
# UBSan into build/fuzz/ (tests/fuzz/fuzz.mk) and runs each on the files of
# tests/fuzz/regressions/<target>/ (one test per file) and
# tests/fuzz/corpus/<target>/ (one test per target): given files, a libFuzzer
# binary runs each once and exits, non-zero on any crash, sanitizer report,
# leak or broken invariant. No fuzzing here: that is tests/fuzz/run.sh.
# The opt-in fuzz_handler and fuzz_route targets are replayed too when they build.
# fuzz_json_strict embeds Debian's CPython: without /usr/bin/python3-config
# (python3-dev) it is one skipped test, saying so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
unset MAKEFLAGS MFLAGS MAKELEVEL   # our own make, not a sub-make of make test
out=build/fuzz
core="fuzz_form fuzz_json fuzz_filename fuzz_mime fuzz_config fuzz_uri fuzz_s3xml fuzz_json_strict"
if [ ! -x /usr/bin/python3-config ] && [ ! -x /usr/bin/python3.11-config ]; then
	core=${core% fuzz_json_strict}
	skip_strict=1
fi

if ! command -v clang >/dev/null; then echo "1..0 # SKIP clang not installed"; exit 0; fi
mkdir -p "$out"
if ! make --no-print-directory -s -f tests/fuzz/fuzz.mk -j"$(nproc)" $core >"$out/replay-build.log" 2>&1; then
	if grep -qiE 'libclang_rt\.fuzzer|fsanitize=fuzzer|cannot find -l?clang_rt' "$out/replay-build.log"; then
		echo "1..0 # SKIP clang cannot link libFuzzer (Debian: libclang-rt-14-dev)"; exit 0
	fi
	echo "not ok 1 - build the fuzz targets (tests/fuzz/fuzz.mk)"
	sed 's/^/#   /' "$out/replay-build.log" | tail -30
	echo "1..1"; exit 1
fi
targets=$core
if make --no-print-directory -s -f tests/fuzz/fuzz.mk fuzz_handler >>"$out/replay-build.log" 2>&1; then
	targets="$targets fuzz_handler"
else
	skip_handler=1
fi
if make --no-print-directory -s -f tests/fuzz/fuzz.mk fuzz_route >>"$out/replay-build.log" 2>&1; then
	targets="$targets fuzz_route"
else
	skip_route=1
fi
[ -f /etc/mime.types ] || export FUZZ_MIME_TYPES="$repo/tests/unit/mime.types.sample"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
log=$(mktemp); trap 'rm -f "$log"' EXIT

n=0 fail=0
report() { # report STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; fail=$((fail + 1))
		grep -a 'Running: ' "$log" | tail -1 | sed 's/^/#   input: /'
		grep -E -m1 -A12 'INVARIANT BROKEN|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|==[0-9]+==' "$log" | sed 's/^/#   /'
	fi
}

for t in $targets; do
	for f in tests/fuzz/regressions/"$t"/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in README*) continue;; esac
		timeout 60 "$out/$t" -timeout=5 -rss_limit_mb=2048 "$f" >"$log" 2>&1
		report $? "$t: regression ${f#tests/fuzz/}"
	done
	set -- tests/fuzz/corpus/"$t"/*
	if [ -f "$1" ]; then
		timeout 300 "$out/$t" -timeout=5 -rss_limit_mb=2048 "$@" >"$log" 2>&1
		report $? "$t: $# seed inputs of tests/fuzz/corpus/$t"
	fi
done
if [ "${skip_strict:-0}" = 1 ]; then
	n=$((n + 1))
	echo "ok $n - fuzz_json_strict # SKIP no /usr/bin/python3-config (Debian: python3-dev, scripts/deps.sh)"
fi
[ "${skip_handler:-0}" = 1 ] && echo "# fuzz_handler does not build (see $out/replay-build.log): not replayed"
[ "${skip_route:-0}" = 1 ] && echo "# fuzz_route does not build (see $out/replay-build.log): not replayed"
echo "1..$n"
[ "$fail" = 0 ]
