#!/usr/bin/env bash
# cgi_bundle.sh - the shared-hosting bundle of scripts/cgi-bundle.sh.
#
# Builds the bundle into a temp dir, moves it elsewhere (it must not depend
# on where it was made), checks with ldd (clean environment) that every
# library beyond glibc resolves inside its lib/, then runs the bundled
# sign_s3.cgi as a CGI program: POST JSON and GET -> 200 with a signature
# botocore agrees with (tests/lib/verify_sig.py), 400 with one log line,
# the bundle's sign_s3.conf.example accepted as a configuration file (503:
# no credentials in it), a missing configuration file -> 500 JSON; a
# file_head sniffed with the bundled magic.mgc when the host's libmagic
# database cannot be loaded (MAGIC pointing nowhere), and a 500 naming
# libmagic without it. Where mount namespaces are available (root), the
# requests are also served with the system's copies of the bundled
# libraries and of magic.mgc hidden.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP. Exit 0 only when every test passes.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${SIGN_S3:-$repo/build/sign_s3}
verify=$here/lib/verify_sig.py

n=0
failed=0
ok() {   # ok COND_STATUS DESCRIPTION [DIAG...]
	local st=$1 desc=$2
	shift 2
	n=$((n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
		local l
		for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
	fi
}
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ] || echo "# $failed of $n failed"
	[ "$failed" -eq 0 ]
	exit
}

if [ ! -x "$bin" ]; then echo "Bail out! no sign_s3 binary at $bin"; exit 1; fi
for t in patchelf ldd readelf; do
	command -v "$t" >/dev/null ||
		{ echo "Bail out! $t not found (scripts/deps.sh: patchelf, binutils)"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_s3-bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

AK=AKIAIOSFODNN7EXAMPLE
SK=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
REGION=eu-west-2
cat > "$tmp/sign_s3.conf" <<EOF
S3_BUCKET=bundle-bucket
S3_REGION=$REGION
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
S3_EXPIRES=120
EOF

# ---- the bundle -------------------------------------------------------------
out=$("$repo/scripts/cgi-bundle.sh" "$tmp/dist" "$bin" 2>&1)
st=$?
ok $st "scripts/cgi-bundle.sh builds the bundle" "$out"
[ $st -eq 0 ] || finish

# it must work from wherever it is put
mkdir -p "$tmp/site/public_html"
mv "$tmp/dist/sign_s3-cgi" "$tmp/site/public_html/api"
rm -rf "$tmp/dist"
b=$tmp/site/public_html/api

missing=
for f in sign_s3.cgi lib/.htaccess magic.mgc htaccess.example sign_s3.conf.example README.txt; do
	[ -e "$b/$f" ] || missing="$missing $f"
done
[ -x "$b/sign_s3.cgi" ] || missing="$missing (sign_s3.cgi not executable)"
nlibs=$(find "$b/lib" -name '*.so*' -type f | wc -l)
[ "$nlibs" -gt 0 ] || missing="$missing (no library in lib/)"
ok "$([ -z "$missing" ]; echo $?)" "layout: sign_s3.cgi, lib/ ($nlibs libraries), lib/.htaccess, magic.mgc, examples, README" \
	"missing:$missing" "$(ls -laR "$b")"

rp=$(readelf -d "$b/sign_s3.cgi" | grep -E 'RUNPATH|RPATH')
# shellcheck disable=SC2016
case "$rp" in *'[$ORIGIN/lib]'*) st=0 ;; *) st=1 ;; esac
ok $st "sign_s3.cgi has RUNPATH \$ORIGIN/lib" "readelf: $rp"

glibc=$(find "$b/lib" -regextype posix-extended -regex \
	'.*/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so.*')
ok "$([ -z "$glibc" ]; echo $?)" "no glibc library is bundled" "$glibc"

lddout=$(env -i PATH=/usr/bin:/bin ldd "$b/sign_s3.cgi" 2>&1)
bad=$(printf '%s\n' "$lddout" | awk -v lib="$b/lib/" '
	$2 == "=>" {
		name = $1
		if (name ~ /^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so)/)
			next
		if (index($3, lib) != 1) print
	}
	/not found/ { print }')
ok "$([ -z "$bad" ] && [ -n "$lddout" ]; echo $?)" \
	"ldd (clean environment): every library beyond glibc resolves inside the moved bundle's lib/" \
	"outside the bundle: $bad" "$lddout"

# ---- the bundled binary as CGI -------------------------------------------------
# cgi METHOD QUERY CONTENT_TYPE BODY_FILE CONFIG -> $tmp/out (head+body), $tmp/err
cgi() {
	local method=$1 query=$2 ctype=$3 body=$4 config=$5 len=0
	[ -n "$body" ] && len=$(stat -c %s "$body")
	local san=()
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && san+=("$v=${!v}")
	done
	(cd "$b" && env -i PATH=/usr/bin:/bin AWS_EC2_METADATA_DISABLED=true "${san[@]}" "${CGI_ENV[@]}" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		SERVER_SOFTWARE=test SERVER_NAME=127.0.0.1 SERVER_PORT=80 \
		REQUEST_METHOD="$method" QUERY_STRING="$query" \
		CONTENT_TYPE="$ctype" CONTENT_LENGTH="$len" \
		SCRIPT_NAME=/api/sign_s3 REQUEST_URI=/api/sign_s3 \
		REMOTE_ADDR=127.0.0.1 SIGN_S3_CONFIG="$config" \
		timeout 20 "${CGI_PREFIX[@]}" ./sign_s3.cgi < "${body:-/dev/null}" \
		> "$tmp/out" 2> "$tmp/err")
}
CGI_PREFIX=()
CGI_ENV=()
head_of() { sed -n '1,/^\r$/p' "$tmp/out" | tr -d '\r'; }
body_of() { sed '1,/^\r$/d' "$tmp/out"; }
check_ok() {   # check_ok DESC FILE_TYPE
	local h st=0
	h=$(head_of)
	case "$h" in "Status: 200 OK"*) ;; *) st=1 ;; esac
	grep -qx 'Content-Type: application/json' <<<"$h" || st=1
	grep -qx 'Cache-Control: no-store' <<<"$h" || st=1
	local v
	v=$(body_of | /usr/bin/python3 "$verify" --access-key "$AK" --secret-key "$SK" \
		--region "$REGION" --expires 120 --bucket bundle-bucket --file-type "$2" 2>&1) || st=1
	ok $st "$1" "head: $h" "verify: $v" "body: $(body_of | head -c 600)" \
		"stderr: $(head -c 600 "$tmp/err")"
}

printf '%s' '{"file_name":"holiday photo.jpg","file_type":"image/jpeg"}' > "$tmp/post.json"
cgi POST "" application/json "$tmp/post.json" "$tmp/sign_s3.conf"
check_ok "bundled CGI: POST JSON -> 200, JSON shape, signature = botocore" image/jpeg

cgi GET "file_name=notes.txt" "" "" "$tmp/sign_s3.conf"
check_ok "bundled CGI: GET ?file_name=notes.txt -> 200 (type from the name)" text/plain

printf '%s' '{"file_type":"image/png"}' > "$tmp/noname.json"
cgi POST "" application/json "$tmp/noname.json" "$tmp/sign_s3.conf"
h=$(head_of)
lines=$(grep -c '' "$tmp/err")
st=0
case "$h" in "Status: 400 Bad Request"*) ;; *) st=1 ;; esac
body_of | grep -q '"statusCode":400' || st=1
[ "$lines" -eq 1 ] || st=1
grep -Eq '^sign_s3\[[0-9]+\]: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z 400 POST 127\.0\.0\.1 "file_name is required"$' \
	"$tmp/err" || st=1
ok $st "bundled CGI: no file_name -> 400 JSON and one log line on stderr" \
	"head: $h" "body: $(body_of)" "stderr ($lines lines): $(cat "$tmp/err")"

cgi POST "" application/json "$tmp/post.json" "$b/sign_s3.conf.example"
st=0
case "$(head_of)" in "Status: 503 Service Unavailable"*) ;; *) st=1 ;; esac
body_of | grep -q '"statusCode":503' || st=1
ok $st "the bundle's sign_s3.conf.example is a valid configuration (503: no credentials in it)" \
	"$(head_of)" "$(body_of)" "$(cat "$tmp/err")"

cgi POST "" application/json "$tmp/post.json" "$tmp/no-such.conf"
st=0
case "$(head_of)" in "Status: 500 Internal Server Error"*) ;; *) st=1 ;; esac
body_of | grep -q '"statusCode":500' || st=1
grep -q 'configuration error' "$tmp/err" || st=1
ok $st "bundled CGI: unreadable SIGN_S3_CONFIG -> 500 JSON, the reason on stderr" \
	"$(head_of)" "$(body_of)" "$(cat "$tmp/err")"

# ---- file_head: libmagic's database from the bundle ------------------------------
# a 1x1 PNG, file_type empty: the type comes from the content
printf '%s' '{"file_name":"pixel","file_type":"","file_head":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}' \
	> "$tmp/head.json"
CGI_ENV=(MAGIC=/nonexistent/magic.mgc)
cgi POST "" application/json "$tmp/head.json" "$tmp/sign_s3.conf"
check_ok "bundled CGI, host's libmagic database not loadable: file_head sniffed with the bundled magic.mgc -> image/png" image/png
mv "$b/magic.mgc" "$tmp/magic.mgc.away"
cgi POST "" application/json "$tmp/head.json" "$tmp/sign_s3.conf"
st=0
case "$(head_of)" in "Status: 500 Internal Server Error"*) ;; *) st=1 ;; esac
grep -q 'libmagic: cannot load its database' "$tmp/err" || st=1
ok $st "without magic.mgc in the bundle either: 500 JSON, the log names libmagic" \
	"$(head_of)" "$(body_of)" "$(cat "$tmp/err")"
mv "$tmp/magic.mgc.away" "$b/magic.mgc"
CGI_ENV=()

# ---- with the system's copies of the bundled libraries hidden -------------------
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
	unshare -m --propagation private true 2>/dev/null; then
	# bind /dev/null over every system copy (a private mount namespace: the
	# host does not see it), then run the request inside it
	hide=
	for l in "$b"/lib/*.so*; do
		name=$(basename "$l")
		for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
			[ -e "$d/$name" ] && hide="$hide mount --bind /dev/null '$d/$name' &&"
		done
	done
	for m in /usr/lib/file/magic.mgc /etc/magic; do
		[ -e "$m" ] && hide="$hide mount --bind /dev/null '$m' &&"
	done
	CGI_PREFIX=(unshare -m --propagation private sh -c "$hide exec \"\$0\"")
	cgi POST "" application/json "$tmp/post.json" "$tmp/sign_s3.conf"
	check_ok "bundled CGI with the system's libraries hidden -> 200" image/jpeg
	cgi POST "" application/json "$tmp/head.json" "$tmp/sign_s3.conf"
	check_ok "... and with the system's magic.mgc hidden too: file_head -> image/png" image/png
	CGI_PREFIX=()
else
	n=$((n + 1))
	echo "ok $n - # SKIP needs root and mount namespaces (unshare -m)"
fi

finish
