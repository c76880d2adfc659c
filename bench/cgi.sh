#!/usr/bin/env bash
# Plain-CGI cost of sign_s3: one whole request, exec to exit, as a web
# server's CGI gateway pays it (spawn with the request on stdin and the CGI
# environment, read the answer to EOF, reap). A small C driver (built here
# into a temp dir) times N runs of each case, interleaved in rounds:
#
#   true         /bin/true, the floor: spawning a dynamically linked program
#   version      sign_s3 --version: exec + dynamic linking of sign_s3's libs
#   cgi          sign_s3 as a CGI, POST {"file_name":"photo.jpg",
#                "file_type":"image/jpeg"} (the goal: median < 3 ms)
#   cgi_mime     the same with "file_type":"" (reads /etc/mime.types)
#
# Every cgi answer must start "Status: 200". Prints "name value" lines
# (cgi_<case>_median_ms, _p90_ms, ...; ratio_cgi_vs_true; goal_cgi_median
# 1|0) and a table. Environment: N (500 runs per case), BUILD (build),
# SIGN_S3 (binary), SKIP_BUILD, BENCH_STRICT (1: a missed goal exits 1).
# About 6 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
N=${N:-500}
BUILD=${BUILD:-build}
SIGN_S3=${SIGN_S3:-$root/$BUILD/sign_s3}
BENCH_STRICT=${BENCH_STRICT:-0}
ROUNDS=10                       # N runs per case, in ROUNDS interleaved slices

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-cgi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -z "${SKIP_BUILD:-}" ] && make -C "$root" -s "$BUILD/sign_s3" >&2
[ -x "$SIGN_S3" ] || { echo "bench-cgi: $SIGN_S3 missing" >&2; exit 1; }

cat >"$tmp/cgi_time.c" <<'EOF'
/* cgi_time EXPECT BODYFILE COUNT PROG ARGS... : spawn PROG COUNT times with
 * BODYFILE on stdin (through a pipe) and this environment, read its stdout
 * to EOF, reap it; print each run's wall time in microseconds. EXPECT is
 * the prefix every answer must start with ("-": no check). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	static char body[65536], out[65536];
	const char *expect = argv[1];
	size_t blen = 0;
	long count;
	FILE *f;

	if (argc < 5)
		return 2;
	if (!(f = fopen(argv[2], "rb")))
		return 2;
	blen = fread(body, 1, sizeof body - 1, f);
	fclose(f);
	count = atol(argv[3]);
	for (long i = 0; i < count; i++) {
		int in[2], op[2], st;
		size_t got = 0;
		ssize_t k;
		struct timespec t0, t1;
		posix_spawn_file_actions_t fa;
		pid_t pid;

		if (pipe(in) || pipe(op))
			return 3;
		if (blen && write(in[1], body, blen) != (ssize_t)blen)
			return 3;
		close(in[1]);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
		posix_spawn_file_actions_adddup2(&fa, op[1], 1);
		posix_spawn_file_actions_addclose(&fa, in[0]);
		posix_spawn_file_actions_addclose(&fa, op[0]);
		posix_spawn_file_actions_addclose(&fa, op[1]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (posix_spawn(&pid, argv[4], &fa, NULL, argv + 4, environ) != 0)
			return 4;
		close(in[0]);
		close(op[1]);
		while ((k = read(op[0], out + got, sizeof out - 1 - got)) > 0)
			got += (size_t)k;
		while (waitpid(pid, &st, 0) < 0)
			;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		close(op[0]);
		posix_spawn_file_actions_destroy(&fa);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
		    (strcmp(expect, "-") && (got < strlen(expect) || memcmp(out, expect, strlen(expect))))) {
			out[got] = 0;
			fprintf(stderr, "cgi_time: run %ld of %s: status %d, answer: %.200s\n",
			        i, argv[4], st, out);
			return 5;
		}
		printf("%.1f\n", (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3);
	}
	return 0;
}
EOF
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -o "$tmp/cgi_time" "$tmp/cgi_time.c"

body='{"file_name":"photo.jpg","file_type":"image/jpeg"}'
body_mime='{"file_name":"photo.jpg","file_type":""}'
printf '%s' "$body" >"$tmp/body"
printf '%s' "$body_mime" >"$tmp/body_mime"
: >"$tmp/empty"
cgi_env=(env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST
	CONTENT_TYPE=application/json SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1
	SCRIPT_NAME=/api/sign_s3 REQUEST_URI=/api/sign_s3 QUERY_STRING=
	S3_BUCKET=examplebucket S3_REGION=us-east-1
	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
	AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)

run_case() {   # run_case NAME COUNT
	case $1 in
	true)     env -i "$tmp/cgi_time" - "$tmp/empty" "$2" /bin/true ;;
	version)  env -i "$tmp/cgi_time" "sign_s3 " "$tmp/empty" "$2" "$SIGN_S3" --version ;;
	cgi)      "${cgi_env[@]}" CONTENT_LENGTH=${#body} \
	              "$tmp/cgi_time" "Status: 200" "$tmp/body" "$2" "$SIGN_S3" ;;
	cgi_mime) "${cgi_env[@]}" CONTENT_LENGTH=${#body_mime} \
	              "$tmp/cgi_time" "Status: 200" "$tmp/body_mime" "$2" "$SIGN_S3" ;;
	esac >>"$tmp/$1.us" 2>>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
}

cases=(true version cgi cgi_mime)
for c in "${cases[@]}"; do run_case "$c" 20; : >"$tmp/$c.us"; done   # warm the page cache
per=$(( (N + ROUNDS - 1) / ROUNDS ))
for ((r = 0; r < ROUNDS; r++)); do
	for c in "${cases[@]}"; do run_case "$c" "$per"; done
done

stats() {   # stats FILE -> "n median p90 p99 mean min" in ms
	sort -g "$1" | awk '{ v[NR] = $1; s += $1 } END {
		printf "%d %.3f %.3f %.3f %.3f %.3f\n", NR, v[int((NR + 1) / 2)] / 1000,
			v[int(NR * 0.9 + 0.5)] / 1000, v[int(NR * 0.99 + 0.5)] / 1000,
			s / NR / 1000, v[1] / 1000 }'
}
echo "# bench-cgi, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# whole CGI requests (spawn, answer read to EOF, reap), $(( per * ROUNDS )) per case in $ROUNDS interleaved rounds"
declare -A med
for c in "${cases[@]}"; do
	read -r n m p90 p99 mean min <<<"$(stats "$tmp/$c.us")"
	med[$c]=$m
	echo "cgi_${c}_runs $n"
	echo "cgi_${c}_median_ms $m"
	echo "cgi_${c}_p90_ms $p90"
	echo "cgi_${c}_p99_ms $p99"
	echo "cgi_${c}_mean_ms $mean"
	echo "cgi_${c}_min_ms $min"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratio_cgi_vs_true $(ratio "${med[cgi]}" "${med[true]}")"
echo "ratio_version_vs_true $(ratio "${med[version]}" "${med[true]}")"
ok=$(awk -v m="${med[cgi]}" 'BEGIN { print (m < 3 ? 1 : 0) }')
echo "goal_cgi_median $ok"
echo
printf '%-10s %9s %9s %9s %9s\n' case median_ms p90_ms p99_ms min_ms
for c in "${cases[@]}"; do
	read -r n m p90 p99 mean min <<<"$(stats "$tmp/$c.us")"
	printf '%-10s %9s %9s %9s %9s\n' "$c" "$m" "$p90" "$p99" "$min"
done
echo
echo "sign_s3 CGI request median ${med[cgi]} ms (goal < 3 ms), ${med[cgi]}/${med[true]} = $(ratio "${med[cgi]}" "${med[true]}")x /bin/true"
if [ "$ok" != 1 ]; then
	echo "goal missed: CGI median ${med[cgi]} ms >= 3 ms"
	[ "$BENCH_STRICT" = 1 ] && exit 1
fi
exit 0
