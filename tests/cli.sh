#!/usr/bin/env bash
# The command-line presigner's contract: output, exit codes, messages, and
# that no secret ever reaches stdout or stderr on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${SIGN_S3:-$here/../build/sign_s3}
n=0 fail=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

SECRET='SECRETsecret/123+abcdefghijklmnopqrstuv'
base=(env -i PATH=/usr/bin:/bin AWS_EC2_METADATA_DISABLED=true S3_BUCKET=examplebucket
      AWS_ACCESS_KEY_ID=AKIDEXAMPLE "AWS_SECRET_ACCESS_KEY=$SECRET")
T=20130524T000000Z

# run NAME WANT_STATUS STDERR_PATTERN -- command...
run() {
	local name=$1 want=$2 pat=$3; shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"; local st=$?
	ok $([ "$st" = "$want" ] && echo 0 || echo 1) "$name: exit $want (got $st)"
	if [ -n "$pat" ]; then
		grep -qE -- "$pat" "$tmp/err"; ok $? "$name: stderr matches /$pat/"
	fi
	! grep -qF -- "$SECRET" "$tmp/out" "$tmp/err"; ok $? "$name: no secret in the output"
}

run "help" 0 "" -- "$bin" --help
grep -q "presign" "$tmp/out"; ok $? "help: mentions presign"
run "version" 0 "" -- "$bin" --version
grep -qE '^sign_s3 [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"; ok $? "version: one line"

run "presign GET" 0 "" -- "${base[@]}" "$bin" presign --time $T --expires 86400 test.txt
grep -qx 'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]\{64\}' "$tmp/out"
ok $? "presign GET: one URL line"
[ "$(wc -l <"$tmp/out")" = 1 ]; ok $? "presign GET: exactly one line"
run "options after KEY" 0 "" -- "${base[@]}" "$bin" presign test.txt --method put --content-type image/png --time $T
grep -q 'X-Amz-SignedHeaders=content-type%3Bhost' "$tmp/out"; ok $? "content-type signed"
run "key after --" 0 "" -- "${base[@]}" "$bin" presign --time $T -- -dash.txt
grep -q 'amazonaws.com/-dash.txt?' "$tmp/out"; ok $? "key starting with '-' after --"
run "S3_ACL applies to PUT" 0 "" -- "${base[@]}" S3_ACL=public-read "$bin" presign --method PUT --time $T k
grep -q 'x-amz-acl=public-read' "$tmp/out"; ok $? "x-amz-acl in the PUT URL"
run "S3_ACL not on GET" 0 "" -- "${base[@]}" S3_ACL=public-read "$bin" presign --time $T k
! grep -q 'x-amz-acl' "$tmp/out"; ok $? "no x-amz-acl in a GET URL"

# usage errors: exit 2
run "no KEY" 2 "missing KEY" -- "${base[@]}" "$bin" presign
run "two KEYs" 2 "more than one KEY" -- "${base[@]}" "$bin" presign a b
run "unknown option" 2 "unknown option" -- "${base[@]}" "$bin" presign --bogus k
run "option without value" 2 "needs a value" -- "${base[@]}" "$bin" presign k --expires
run "expires 0" 2 "expires" -- "${base[@]}" "$bin" presign --expires 0 k
run "expires 604801" 2 "expires" -- "${base[@]}" "$bin" presign --expires 604801 k
run "expires junk" 2 "expires" -- "${base[@]}" "$bin" presign --expires 60s k
run "method POST" 2 "method" -- "${base[@]}" "$bin" presign --method POST k
run "bad time" 2 "time" -- "${base[@]}" "$bin" presign --time 20130230T000000Z k
run "bad acl" 2 "acl" -- "${base[@]}" "$bin" presign --method PUT --acl everyone k
run "acl on GET" 2 "PUT only" -- "${base[@]}" "$bin" presign --acl private k
run "key too long" 2 "1024" -- "${base[@]}" "$bin" presign "$(printf 'k%.0s' $(seq 1025))"
run "no mode" 2 "usage" -- env -i "$bin"

# configuration and credential failures: exit 1, naming the variable
run "no bucket" 1 "S3_BUCKET" -- env -i "AWS_SECRET_ACCESS_KEY=$SECRET" AWS_ACCESS_KEY_ID=AK "$bin" presign k
run "bad expires config" 1 "S3_EXPIRES" -- "${base[@]}" S3_EXPIRES=0 "$bin" presign k
run "bad secret" 1 "AWS_SECRET_ACCESS_KEY" -- "${base[@]}" "AWS_SECRET_ACCESS_KEY=$SECRET with space" "$bin" presign k
run "no credentials" 1 "no credentials" -- env -i AWS_EC2_METADATA_DISABLED=true S3_BUCKET=b1b "$bin" presign k
printf 'S3_BUCKET=frombucket\nAWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=%s\n' "$SECRET" >"$tmp/conf"
run "config file" 0 "" -- env -i SIGN_S3_CONFIG="$tmp/conf" "$bin" presign --time $T k
grep -q '^https://frombucket\.' "$tmp/out"; ok $? "config file: bucket from the file"
run "env wins over file" 0 "" -- env -i SIGN_S3_CONFIG="$tmp/conf" S3_BUCKET=envbucket "$bin" presign --time $T k
grep -q '^https://envbucket\.' "$tmp/out"; ok $? "env wins: bucket from the environment"
printf 'S3_BUKET=typo\n' >"$tmp/bad"
run "config file typo" 1 "line 1" -- env -i SIGN_S3_CONFIG="$tmp/bad" "$bin" presign k
run "config file missing" 1 "SIGN_S3_CONFIG" -- env -i SIGN_S3_CONFIG="$tmp/nope" "$bin" presign k

echo "1..$n"
[ "$fail" = 0 ]
