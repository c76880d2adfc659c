#!/usr/bin/env bash
# make bench: the signing core against botocore (the AWS SDK's own signer),
# one thread each, in the same run; then a whole request inside the
# responder (bench/bench_handler.c: decode, sanitize, UUID, presign, JSON),
# hot and with the caches flushed before each request; then a batch of 100
# part URLs through the multipart route (bench/bench_parts.c), per part;
# verify's own work per call, S3 faked in-process (bench/bench_verify.c)
# against the single presign above. Prints every figure and the ratios.
#   bench/presign.sh [BENCH_PRESIGN [BENCH_HANDLER [BENCH_PARTS]]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/bench/bench_presign}
handler_bin=${2:-$(dirname "$bin")/bench_handler}
parts_bin=${3:-$(dirname "$bin")/bench_parts}
secs=${BENCH_SECONDS:-3}

echo "# presign benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m)"
core=$("$bin" "$secs")
echo "$core"
boto=$(AWS_EC2_METADATA_DISABLED=true /usr/bin/python3 "$here/botocore_bench.py" --seconds "$secs")
echo "$boto"

get() { printf '%s\n' "$core" "$boto" | awk -v k="$1" '$1 == k { print $2 }'; }
cached=$(get sign_s3_cached_presigns_per_sec)
uncached=$(get sign_s3_uncached_presigns_per_sec)
client=$(get botocore_client_presigns_per_sec)
signer=$(get botocore_signer_presigns_per_sec)
awk -v a="$cached" -v u="$uncached" -v c="$client" -v s="$signer" 'BEGIN {
	printf "ratio_cached_vs_botocore_client %.1f\n", a / c
	printf "ratio_cached_vs_botocore_signer %.1f\n", a / s
	printf "ratio_uncached_vs_botocore_signer %.1f\n", u / s
}'
if [ -x "$handler_bin" ]; then
	handler=$("$handler_bin" "$secs")
	echo "$handler"
	h=$(printf '%s\n' "$handler" | awk '$1 == "handler_json_per_sec" { print $2 }')
	awk -v h="$h" -v a="$cached" 'BEGIN {
		printf "ratio_handler_vs_presign_alone %.2f\n", h / a
	}'
fi
if [ -x "$parts_bin" ]; then
	parts=$("$parts_bin" "$secs")
	echo "$parts"
	p=$(printf '%s\n' "$parts" | awk '$1 == "parts_per_sec" { print $2 }')
	awk -v p="$p" -v a="$cached" 'BEGIN {
		printf "ratio_per_part_vs_presign_alone %.2f\n", p / a
	}'
fi
verify_bin=$(dirname "$bin")/bench_verify
if [ -x "$verify_bin" ]; then
	# POST /api/sign_s3/verify's own work (S3 faked in-process: no round trip)
	verify=$("$verify_bin" "$secs")
	echo "$verify"
	v=$(printf '%s\n' "$verify" | awk '$1 == "verify_per_sec" { print $2 }')
	awk -v v="$v" -v a="$cached" 'BEGIN {
		printf "ratio_verify_vs_presign_alone %.3f\n", v / a
	}'
fi
