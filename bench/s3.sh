#!/usr/bin/env bash
# make bench, second part: the S3 client against boto3's botocore on a real
# local S3 (scripts/s3-local.sh: Swift + s3api, 127.0.0.1 only), in the
# same run. Starts its own instance (its own state dir, free ports chosen
# by the kernel), runs bench/bench_s3client and bench/boto3_s3_bench.py
# alternately, twice each (BENCH_SECONDS/2 a turn), then stops it. One call
# = CreateMultipartUpload + one 1 KiB UploadPart + CompleteMultipartUpload
# on a fresh key. Prints every figure, the ratio, and the new connections
# of the first and second call of each (0 on the second: kept alive).
# Without the Swift packages it prints "# skipped: ..." and succeeds.
#   bench/s3.sh [BENCH_S3CLIENT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/bench/bench_s3client}
secs=${BENCH_SECONDS:-3}
s3local=$here/../scripts/s3-local.sh

echo "# S3 client vs botocore, create + complete against local Swift s3api, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
missing=
for p in python3-swift memcached curl python3-botocore; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# skipped: S3 client bench needs Debian packages:$missing (scripts/deps.sh)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_s3_bench_s3.XXXXXX")
export S3_LOCAL_DIR=$tmp/state S3_LOCAL_NO_INSTALL=1 S3_LOCAL_BUCKET=sign-s3-bench
cleanup() {
	"$s3local" stop >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
read -r p1 p2 p3 p4 p5 < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
export S3_LOCAL_PORT=$p1 S3_LOCAL_ACCOUNT_PORT=$p2 S3_LOCAL_CONTAINER_PORT=$p3 \
	S3_LOCAL_OBJECT_PORT=$p4 S3_LOCAL_MEMCACHED_PORT=$p5
if ! "$s3local" start >"$tmp/env" 2>"$tmp/start.err"; then
	echo "# skipped: local S3 did not start:" "$(tail -n 3 "$tmp/start.err")"
	exit 0
fi
# The env lines (credentials included) stay in the environment, never printed.
set -a
# shellcheck disable=SC1091
. "$tmp/env"
set +a
case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) echo "s3.sh: not a loopback endpoint" >&2; exit 1 ;; esac

turn=$(awk -v s="$secs" 'BEGIN { printf "%g", s / 2 }')
out=
for round in 1 2; do
	c=$("$bin" "$turn" | sed "s/^/r$round:/")
	b=$(AWS_EC2_METADATA_DISABLED=true /usr/bin/python3 "$here/boto3_s3_bench.py" \
		--seconds "$turn" 2>/dev/null | sed "s/^/r$round:/")
	out=$(printf '%s\n%s\n%s' "$out" "$c" "$b")
done
printf '%s\n' "$out" | grep -v '^$'
printf '%s\n' "$out" | awk '
	{ split($1, a, ":"); v[a[2]] += $2; if (a[1] == "r1") first[a[2]] = $2 }
	END {
		c = v["s3client_create_complete_per_sec"] / 2
		b = v["botocore_create_complete_per_sec"] / 2
		printf "s3client_create_complete_per_sec_mean %.1f\n", c
		printf "botocore_create_complete_per_sec_mean %.1f\n", b
		printf "ratio_s3client_vs_botocore_create_complete %.2f\n", c / b
		cc = v["s3client_cpu_ms_per_call"] / 2
		bc = v["botocore_cpu_ms_per_call"] / 2
		printf "s3client_cpu_ms_per_call_mean %.3f\n", cc
		printf "botocore_cpu_ms_per_call_mean %.3f\n", bc
		printf "ratio_botocore_vs_s3client_cpu_per_call %.1f\n", bc / cc
		printf "s3client_new_connections_1st_2nd %d %d\n",
			first["s3client_new_connections_call1"], first["s3client_new_connections_call2"]
		printf "botocore_new_connections_1st_2nd %d %d\n",
			first["botocore_new_connections_call1"], first["botocore_new_connections_call2"]
	}'
