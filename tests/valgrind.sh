#!/usr/bin/env bash
# valgrind.sh - sign_s3 under valgrind memcheck: no invalid read or write,
# no use of uninitialised memory, no definite or indirect leak, in
#  (a) plain CGI mode, one process per request: 200 (JSON, form, GET, and
#      with REMOTE_USER, {user}, S3_ALLOWED_TYPES and a sniffed file_head),
#      400, 401, 405, 413, 415, 503 and a configuration error (500);
#  (b) the command-line presigner (success and a usage error);
#  (c) a FastCGI worker serving $VALGRIND_FCGI_REQUESTS (default 10000)
#      requests: `sign_s3 --listen unix:SOCK --workers 1` under valgrind
#      (the worker is a fork, so valgrind follows it; a log per process),
#      driven by tests/lib/fcgi_client.py (one connection per request, a mix
#      of 200 and refusals, every answer checked), then SIGTERM: the parent
#      and the worker must exit cleanly with clean valgrind logs.
# Every run: valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
# --error-exitcode=1; the log must say "ERROR SUMMARY: 0 errors" and no
# block "definitely" or "indirectly lost".
# Binary: $SIGN_S3, else build/sign_s3 (the -O2 -g build). TAP output.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${SIGN_S3:-$repo/build/sign_s3}
nreq=${VALGRIND_FCGI_REQUESTS:-10000}
py=/usr/bin/python3

if ! command -v valgrind >/dev/null; then echo "1..0 # SKIP valgrind not installed"; exit 0; fi
if [ ! -x "$bin" ]; then echo "1..0 # SKIP no binary at $bin"; exit 0; fi
if grep -qa __asan_init "$bin"; then
	echo "1..0 # SKIP $bin is a sanitizer build (valgrind and ASan do not mix)"; exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_s3_vg.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 fail=0
ok() { # ok STATUS NAME [diag...]
	local st=$1 name=$2; shift 2
	n=$((n + 1))
	if [ "$st" = 0 ]; then echo "ok $n - $name"; else
		echo "not ok $n - $name"; fail=$((fail + 1))
		local d; for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
	fi
}

VG=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=1 --track-origins=yes
    --num-callers=30 --quiet)

# log_clean LOG: 0 when the valgrind log reports no error and no definite or
# indirect leak; else prints the interesting part to stdout (as diag).
log_clean() {
	local log=$1
	if [ ! -s "$log" ] && [ -e "$log" ]; then return 0; fi    # --quiet: nothing to say
	if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write|free)|uninitialised|Mismatched free|overlap|blocks are definitely|blocks are indirectly' "$log"; then
		head -60 "$log"
		return 1
	fi
	return 0
}

SECRET='VALGRINDsecret/Key+0123456789abcdefghijk'
cfg_env=(PATH=/usr/bin:/bin AWS_EC2_METADATA_DISABLED=true "HOME=$tmp"
         "AWS_SHARED_CREDENTIALS_FILE=$tmp/none" "AWS_CONFIG_FILE=$tmp/none"
         S3_BUCKET=vg-bucket S3_REGION=eu-west-1
         AWS_ACCESS_KEY_ID=AKIAVALGRIND0TEST000 "AWS_SECRET_ACCESS_KEY=$SECRET")
cgi_env=(GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 SCRIPT_NAME=/api/sign_s3
         REMOTE_ADDR=127.0.0.1)

# ---- (a) CGI ------------------------------------------------------------------

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# cgi NAME WANT_STATUS METHOD CONTENT_TYPE BODY [VAR=value | -VAR ...]
# (BODY through printf %b; -VAR leaves VAR out of the configuration)
cgi() {
	local name=$1 want=$2 method=$3 ctype=$4 body=$5; shift 5
	local log="$tmp/cgi.$n.log" out="$tmp/cgi.out" rc got t0 t1 e a
	local envv=() extra=()
	for a in "$@"; do [ "${a#-}" != "$a" ] || extra+=("$a"); done
	for e in "${cfg_env[@]}"; do
		for a in "$@"; do [ "$a" = "-${e%%=*}" ] && continue 2; done
		envv+=("$e")
	done
	printf '%b' "$body" >"$tmp/body"
	t0=$(now_ms)
	env -i "${envv[@]}" "${cgi_env[@]}" REQUEST_METHOD="$method" CONTENT_TYPE="$ctype" \
		CONTENT_LENGTH="$(wc -c <"$tmp/body")" "${extra[@]}" \
		timeout 120 "${VG[@]}" --log-file="$log" "$bin" <"$tmp/body" >"$out" 2>"$tmp/cgi.err"
	rc=$?
	t1=$(now_ms)
	got=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$out" | tr -d '\r')
	local diag; diag=$(log_clean "$log")
	local st=0
	[ "$got" = "$want" ] || st=1
	[ -z "$diag" ] || st=1
	case $want in 500) [ "$rc" = 1 ] || [ "$rc" = 0 ] || st=1;; *) [ "$rc" = 0 ] || st=1;; esac
	# a configuration error exits 1 by design: the log decides there
	grep -qF "$SECRET" "$out" "$tmp/cgi.err" && st=1
	ok $st "CGI $name: status $want, clean valgrind log ($((t1 - t0)) ms)" \
		"exit $rc, status '$got'" "$diag"
}

cgi "POST JSON 200" 200 POST application/json '{"file_name":"Photo 1.JPG","file_type":"image/jpeg"}'
cgi "POST JSON 200, type from /etc/mime.types" 200 POST application/json '{"file_name":"report.pdf"}'
cgi "POST form 200" 200 POST application/x-www-form-urlencoded 'file_name=C%3A%5Cfakepath%5CR%C3%A9sum%C3%A9.docx'
cgi "GET 200" 200 GET '' '' QUERY_STRING='file_name=%F0%9F%98%80.png'
cgi "POST 200 with REMOTE_USER, {user} prefix, allowed types, file_head sniffed" 200 POST application/json \
	'{"file_name":"p.png","file_type":"image/png","file_head":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA="}' \
	REMOTE_USER='a_b é' S3_REQUIRE_USER=1 'S3_KEY_PREFIX=users/{user}/' 'S3_ALLOWED_TYPES=image/*' S3_REQUIRE_FILE_HEAD=1
cgi "401 no REMOTE_USER" 401 POST application/json '{"file_name":"a.png"}' S3_REQUIRE_USER=1
cgi "415 ELF declared image/png" 415 POST application/json \
	'{"file_name":"p.png","file_type":"image/png","file_head":"f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA"}'
cgi "400 invalid JSON" 400 POST application/json '{"file_name":"a.txt"'
cgi "400 deep JSON" 400 POST application/json "{\"x\":$(printf '[%.0s' $(seq 100))}"
cgi "400 duplicate field" 400 POST application/json '{"file_name":"a","file_name":"b"}'
cgi "400 overlong UTF-8" 400 POST application/json '{"file_name":"\xc0\xaf"}'
cgi "400 bad file_type" 400 POST application/json '{"file_name":"a.png","file_type":"image/png\\r\\nX: 1"}'
cgi "405 PUT" 405 PUT application/json '{"file_name":"a.txt"}'
cgi "413 body over the limit" 413 POST application/json "{\"file_name\":\"$(printf 'a%.0s' $(seq 200))\"}" S3_MAX_BODY=100
cgi "415 text/plain" 415 POST text/plain '{"file_name":"a.txt"}'
cgi "503 no credentials" 503 POST application/json '{"file_name":"a.txt"}' \
	-AWS_ACCESS_KEY_ID -AWS_SECRET_ACCESS_KEY
cgi "500 configuration error" 500 POST application/json '{"file_name":"a.txt"}' S3_EXPIRES=0

# ---- (b) CLI ------------------------------------------------------------------

cli() { # cli NAME WANT_EXIT args...
	local name=$1 want=$2; shift 2
	local log="$tmp/cli.$n.log" rc
	env -i "${cfg_env[@]}" timeout 120 "${VG[@]}" --log-file="$log" "$bin" "$@" \
		>"$tmp/cli.out" 2>"$tmp/cli.err"
	rc=$?
	local diag; diag=$(log_clean "$log")
	local st=0
	[ "$rc" = "$want" ] && [ -z "$diag" ] || st=1
	[ "$want" != 0 ] || grep -qE '^https://vg-bucket\.s3\.eu-west-1\.amazonaws\.com/.*X-Amz-Signature=[0-9a-f]{64}$' "$tmp/cli.out" || st=1
	grep -qF "$SECRET" "$tmp/cli.out" "$tmp/cli.err" && st=1
	ok $st "CLI $name: exit $want, clean valgrind log" "exit $rc" "$diag" "$(head -3 "$tmp/cli.err")"
}
cli "presign GET" 0 presign --time 20130524T000000Z --expires 86400 test.txt
cli "presign PUT with type and ACL" 0 presign --method PUT --content-type 'text/plain;charset=utf-8' --acl public-read --time 20130524T000000Z -- 'dir/a b+c é.txt'
cli "usage error" 2 presign --expires 0 k

# ---- (c) a FastCGI worker, $nreq requests -----------------------------------------

sock="$tmp/sign_s3.sock"
t0=$(date +%s)
# without --quiet: the heap summaries tell whether the worker's memory grew
# with the requests (a leak that stays reachable, e.g. an unbounded cache)
VGV=(); for a in "${VG[@]}"; do [ "$a" = --quiet ] || VGV+=("$a"); done
env -i "${cfg_env[@]}" "${VGV[@]}" --log-file="$tmp/fcgi.%p.log" \
	"$bin" --listen "unix:$sock" --workers 1 >"$tmp/fcgi.out" 2>"$tmp/fcgi.err" &
vgpid=$!
pids+=("$vgpid")
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done
if [ ! -S "$sock" ]; then
	ok 1 "FastCGI: listener up under valgrind" "$(head -20 "$tmp/fcgi.err")" "$(cat "$tmp"/fcgi.*.log 2>/dev/null | head -20)"
else
	# the worker may still be starting under valgrind: wait for a first answer
	for _ in $(seq 300); do
		$py "$here/lib/fcgi_client.py" "unix:$sock" --count 1 --timeout 60 >/dev/null 2>&1 && break
		sleep 0.2
	done
	t1=$(date +%s)
	summary=$($py "$here/lib/fcgi_client.py" "unix:$sock" --count "$nreq" --threads 2 --timeout 60 2>&1)
	drc=$?
	t2=$(date +%s)
	ok $drc "FastCGI: $nreq requests through one worker under valgrind, every answer as expected" "$summary"
	echo "# $summary"
	echo "# valgrind start $((t1 - t0)) s, $nreq requests $((t2 - t1)) s"
	kill -TERM "$vgpid"
	st=0
	for _ in $(seq 600); do kill -0 "$vgpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$vgpid" 2>/dev/null; then st=1; kill -KILL "$vgpid"; fi
	wait "$vgpid"; rc=$?
	t3=$(date +%s)
	[ "$rc" = 0 ] || st=1
	ok $st "FastCGI: SIGTERM, the listener exits 0 within 60 s (exit $rc, $((t3 - t2)) s)" \
		"$(grep -v '" *$' "$tmp/fcgi.err" | grep -vE '^sign_s3\[[0-9]+\]: [0-9T:Z-]+ [0-9]{3} ' | head -10)"
	[ ! -e "$sock" ]; ok $? "FastCGI: the socket is removed"
	logs=("$tmp"/fcgi.*.log)
	nlogs=0 bad=0 diag=""
	for l in "${logs[@]}"; do
		[ -e "$l" ] || continue
		nlogs=$((nlogs + 1))
		d=$(log_clean "$l") || { bad=1; diag+="== $(basename "$l")"$'\n'"$d"$'\n'; }
	done
	[ "$nlogs" -ge 2 ] || { bad=1; diag+="only $nlogs valgrind logs (want the parent's and the worker's)"; }
	ok $bad "FastCGI: clean valgrind logs for the parent and the worker ($nlogs processes)" "$diag"
	# blocks the worker still holds at exit, against all the parent ever
	# allocated: a per-request leak of even one block shows as ~$nreq more
	palloc=$(sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$tmp/fcgi.$vgpid.log" | tr -d ,)
	wblocks=""
	for l in "${logs[@]}"; do
		[ "$l" = "$tmp/fcgi.$vgpid.log" ] && continue
		wblocks=$(sed -n 's/.*in use at exit: [0-9,]* bytes in \([0-9,]*\) blocks.*/\1/p' "$l" | tr -d ,)
		wbytes=$(sed -n 's/.*in use at exit: \([0-9,]*\) bytes.*/\1/p' "$l" | tr -d ,)
	done
	st=1
	[ -n "$palloc" ] && [ -n "$wblocks" ] && [ "$wblocks" -lt $((palloc + nreq / 10)) ] && st=0
	ok $st "FastCGI: the worker's heap did not grow with the requests (${wblocks:-?} blocks, ${wbytes:-?} bytes in use at exit; the parent allocated ${palloc:-?} blocks in all)"
	nlines=$(grep -cE '^sign_s3\[[0-9]+\]: [0-9T:Z-]+ (400|405|413|415) ' "$tmp/fcgi.err")
	crash=$(grep -E 'worker [0-9]+ exited|Segmentation|Aborted|Traceback' "$tmp/fcgi.err" | head -5)
	[ -z "$crash" ]; ok $? "FastCGI: no worker died or was restarted ($nlines refusals logged)" "$crash"
	! grep -qF "$SECRET" "$tmp/fcgi.err" "$tmp/fcgi.out"; ok $? "FastCGI: no secret in the process's output"
fi

echo "1..$n"
[ "$fail" = 0 ]
