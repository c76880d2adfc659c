#!/usr/bin/env bash
# run.sh - build the libFuzzer targets and fuzz each for a while.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      (make fuzz: FUZZ_SECONDS)
#
# SECONDS per target (default $FUZZ_SECONDS, else 60); TARGETs default to
# the seven of CI (fuzz_form fuzz_json fuzz_filename fuzz_mime fuzz_config
# fuzz_uri fuzz_s3xml fuzz_json_strict); fuzz_handler (the whole handler)
# and fuzz_route (the router and every route, S3 faked), opt-in, may be
# named too. fuzz_json_strict embeds Debian's CPython: without
# /usr/bin/python3-config (python3-dev) it is skipped, saying so.
# Each target is built into build/fuzz/ with clang (tests/fuzz/fuzz.mk) and
# run with -max_total_time=SECONDS -timeout=5 -rss_limit_mb=2048, its
# dictionary, and a copy of tests/fuzz/corpus/<target>/ plus
# tests/fuzz/regressions/<target>/ in a temporary directory (the committed
# corpus never grows; FUZZ_KEEP_CORPUS=DIR keeps the grown corpora there).
# FUZZ_PARALLEL=N runs N targets at once (default 1; each still gets
# SECONDS). Prints one line per target with its exec/s; exits 1 when any
# target crashed, leaked, timed out or ran out of memory, after printing
# the reproducer, saved under build/fuzz/crashes/<target>/. Replay one with
#   build/fuzz/<target> build/fuzz/crashes/<target>/crash-...
# and add it to tests/fuzz/regressions/<target>/ once understood
# (tests/fuzz/replay.sh replays those in make test).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2
unset MAKEFLAGS MFLAGS MAKELEVEL   # our own make, not a sub-make of make fuzz

secs=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
case $secs in ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2;; esac
all="fuzz_form fuzz_json fuzz_filename fuzz_mime fuzz_config fuzz_uri fuzz_s3xml fuzz_json_strict"
targets=${*:-$all}
if [[ " $targets " == *" fuzz_json_strict "* ]] &&
   [ ! -x /usr/bin/python3-config ] && [ ! -x /usr/bin/python3.11-config ]; then
	echo "# fuzz_json_strict skipped: no /usr/bin/python3-config (Debian: python3-dev, scripts/deps.sh)"
	targets=$(echo " $targets " | sed 's/ fuzz_json_strict / /')
fi
par=${FUZZ_PARALLEL:-1}
out=build/fuzz

# per-target input size limits (bytes): enough for every limit they test
declare -A maxlen=([fuzz_form]=20000 [fuzz_json]=20000 [fuzz_filename]=5000
                   [fuzz_mime]=8192 [fuzz_config]=8192 [fuzz_uri]=4096
                   [fuzz_handler]=20000 [fuzz_route]=20000 [fuzz_json_strict]=16384 [fuzz_s3xml]=65536)

t0=$(date +%s)
mkdir -p "$out"
echo "# building the fuzz targets (clang, ASan+UBSan+libFuzzer) into $out/"
if ! make --no-print-directory -s -f tests/fuzz/fuzz.mk -j"$(nproc)" $targets >"$out.build.log" 2>&1; then
	mkdir -p "$out"; cat "$out.build.log" >&2
	echo "run.sh: build failed (is libclang-rt-14-dev installed? clang -fsanitize=fuzzer must link)" >&2
	exit 2
fi
rm -f "$out.build.log"
[ -f /etc/mime.types ] || export FUZZ_MIME_TYPES="$repo/tests/unit/mime.types.sample"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
work=$(mktemp -d "${TMPDIR:-/tmp}/sign_s3_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

fuzz_one() {
	local t=$1 w="$work/$1" dict=() rc
	mkdir -p "$w/corpus" "$w/artifacts"
	cp -- tests/fuzz/corpus/"$t"/* "$w/corpus/" 2>/dev/null
	cp -- tests/fuzz/regressions/"$t"/* "$w/corpus/" 2>/dev/null
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	"$out/$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
		-max_len="${maxlen[$t]:-4096}" "${dict[@]}" -print_final_stats=1 \
		-artifact_prefix="$w/artifacts/" "$w/corpus" >"$w/log" 2>&1
	rc=$?
	echo $rc >"$w/rc"
}

# run, at most $par at once
running=0
for t in $targets; do
	[ -x "$out/$t" ] || { echo "run.sh: unknown target $t" >&2; exit 2; }
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
done
wait

fail=0
printf '%-16s %8s %12s %10s %6s %7s  %s\n' target seconds runs exec/s cov corpus result
for t in $targets; do
	w="$work/$t"; rc=$(cat "$w/rc" 2>/dev/null || echo 99)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$w/log" | tail -1 | cut -d' ' -f2)
	corp=$(grep -oE 'corp: [0-9]+' "$w/log" | tail -1 | cut -d' ' -f2)
	arts=$(ls "$w/artifacts" 2>/dev/null)
	if [ "$rc" = 0 ] && [ -z "$arts" ]; then res=ok; else res="FAILED (exit $rc)"; fail=1; fi
	printf '%-16s %8s %12s %10s %6s %7s  %s\n' "$t" "$secs" "${runs:-?}" "${eps:-?}" \
		"${cov:-?}" "${corp:-?}" "$res"
	if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
		mkdir -p "$FUZZ_KEEP_CORPUS/$t" && cp -- "$w/corpus/"* "$FUZZ_KEEP_CORPUS/$t/" 2>/dev/null
	fi
	if [ "$res" != ok ]; then
		mkdir -p "$out/crashes/$t"
		cp -- "$w/log" "$out/crashes/$t/log.$(date +%Y%m%dT%H%M%S)"
		grep -E -m1 -A3 'INVARIANT BROKEN|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$w/log" | sed 's/^/#   /'
		for a in $arts; do
			cp -- "$w/artifacts/$a" "$out/crashes/$t/$a"
			echo "#   reproducer: $out/crashes/$t/$a   (replay: $out/$t $out/crashes/$t/$a)"
		done
		[ -z "$arts" ] && echo "#   no artifact; log: $out/crashes/$t/"
	fi
done
echo "# total $(( $(date +%s) - t0 )) s"
exit $fail
