#!/usr/bin/env bash
# deb_package.sh - the Debian package (debian/, make deb), end to end:
#   1. scripts/deb.sh builds it in a temp copy of the tree
#      (DEB_BUILD_OPTIONS=nocheck): sign-s3_VERSION_ARCH.deb, the version
#      VERSION's, Depends from dh_shlibdeps (libc6, libssl3, ...) plus the
#      dlopen'ed libcurl4 and libmagic1; the work tree is left as it was;
#   2. lintian: no error, no warning (the one intended, the conffile's mode,
#      is overridden: debian/README.source);
#   3. the files: /usr/bin/sign_s3, sign_s3(8), the conffile, both units;
#      sign-s3.service carries every hardening line of
#      contrib/sign_s3.service and gets its socket from sign-s3.socket;
#   as root (dpkg -i installs into this machine; CI runs on a fresh one):
#   4. dpkg -i: the sign_s3 system user and group exist, /etc/sign_s3 is
#      root:sign_s3 0750, its sign_s3.conf root:sign_s3 0640, a conffile;
#      nothing enabled or started;
#   5. the installed /usr/bin/sign_s3 answers a CGI request as the user
#      sign_s3 with the installed configuration (edited for the test): 200,
#      a URL botocore signs alike; as nobody the configuration cannot be read;
#   6. systemd-analyze verify on the installed units (skipped with the
#      reason where it cannot run);
#   7. dpkg --purge: the files, /etc/sign_s3, the user and the group are gone.
# The package is purged on any exit. Skipped only where dpkg-buildpackage
# or debhelper is missing, or (4-7) without root or with sign-s3 already
# installed on the machine.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$here/tests/lib/tap.sh"

for t in dpkg-buildpackage dh dpkg-parsechangelog; do
	if ! command -v "$t" >/dev/null; then
		echo "1..0 # SKIP $t missing (scripts/deps.sh installs debhelper and dpkg-dev)"
		exit 0
	fi
done

version=$(cat "$here/VERSION")
arch=$(dpkg --print-architecture)
tmp=$(mktemp -d /tmp/deb-package.XXXXXX)
chmod 755 "$tmp"
installed_by_us=0
# any state but not-installed: installed, unpacked, half-configured, config-files...
on_machine() {
	local st
	st=$(dpkg-query -W -f='${Status}' sign-s3 2>/dev/null) && [ -n "$st" ] && [[ "$st" != *not-installed* ]]
}
cleanup() {
	if [ "$installed_by_us" = 1 ] && on_machine; then
		dpkg --purge sign-s3 >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- 1. build
before=$(cd "$here" && git status --porcelain --ignored 2>/dev/null | grep -v -e '^!! build/' -e '^!! build-san/' | sort)
if DEB_BUILD_OPTIONS=nocheck JOBS=2 "$here/scripts/deb.sh" "$tmp/out" >"$tmp/build.log" 2>&1; then
	ok "scripts/deb.sh builds the package ($(elapsed) s)"
else
	nok "scripts/deb.sh builds the package"
	diag "$(tail -40 "$tmp/build.log")"
	echo "1..$n"
	exit 1
fi
deb=$tmp/out/sign-s3_${version}_${arch}.deb
check "it is sign-s3_${version}_${arch}.deb (VERSION's)" test -s "$deb"
check "debian/changelog carries VERSION ($version)" \
	test "$(cd "$here" && dpkg-parsechangelog -S Version)" = "$version"
after=$(cd "$here" && git status --porcelain --ignored 2>/dev/null | grep -v -e '^!! build/' -e '^!! build-san/' | sort)
if [ "$before" = "$after" ]; then ok "the work tree is left as it was"; else nok "the work tree is left as it was"; diag "$(diff <(echo "$before") <(echo "$after"))"; fi
deps=$(dpkg-deb -f "$deb" Depends)
miss=""
for d in libc6 libssl3 libcjson1 libfcgi0ldbl libexpat1 libcurl4 libmagic1 adduser media-types; do
	echo "$deps" | grep -qE "(^|, )$d( |,|$)" || miss="$miss $d"
done
if [ -z "$miss" ]; then ok "Depends: the shared libraries (dh_shlibdeps), libcurl4, libmagic1 (dlopen), adduser"; else nok "Depends has every library"; diag "Depends: $deps" "missing:$miss"; fi

# ---- 2. lintian
if command -v lintian >/dev/null; then
	lintian --pedantic -I "$tmp/out/sign-s3_${version}_${arch}.changes" >"$tmp/lintian.log" 2>&1
	errors=$(grep -E '^E: ' "$tmp/lintian.log")
	warnings=$(grep -E '^W: ' "$tmp/lintian.log")
	if [ -z "$errors" ]; then ok "lintian: no error"; else nok "lintian: no error"; diag "$errors"; fi
	if [ -z "$warnings" ]; then ok "lintian: no warning"; else nok "lintian: no warning"; diag "$warnings"; fi
	diag "lintian, the rest (debian/README.source says why):" "$(grep -E '^[IPX]: ' "$tmp/lintian.log")"
else
	ok "# SKIP lintian missing (scripts/deps.sh installs it)"
fi

# ---- 3. the files in the package
mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
dpkg-deb -c "$deb" >"$tmp/contents"
check "the package holds /usr/bin/sign_s3, sign_s3(8), both units and the configuration" \
	test -x "$tmp/x/usr/bin/sign_s3" -a -s "$tmp/x/usr/share/man/man8/sign_s3.8.gz" \
	-a -s "$tmp/x/lib/systemd/system/sign-s3.service" -a -s "$tmp/x/lib/systemd/system/sign-s3.socket" \
	-a -s "$tmp/x/etc/sign_s3/sign_s3.conf"
check "the configuration is a conffile, mode 0640 in the package" \
	bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./conffiles | grep -qx /etc/sign_s3/sign_s3.conf &&
	         grep -q '^-rw-r----- root/root .* ./etc/sign_s3/sign_s3.conf\$' '$tmp/contents'"
svc=$tmp/x/lib/systemd/system/sign-s3.service
sock=$tmp/x/lib/systemd/system/sign-s3.socket
hard=$(sed -n '/^# ---- hardening/,$p' "$here/contrib/sign_s3.service" | grep -vE '^(#|$|\[|WantedBy=)')
miss=$(while IFS= read -r l; do grep -qxF -- "$l" "$svc" || echo "$l"; done <<<"$hard")
if [ -n "$hard" ] && [ -z "$miss" ]; then ok "sign-s3.service has every hardening line of contrib/sign_s3.service ($(echo "$hard" | wc -l))"; else nok "sign-s3.service has every hardening line of contrib/sign_s3.service"; diag "missing: $miss"; fi
check "sign-s3.service: User=sign_s3, ExecStart=/usr/bin/sign_s3 (the socket passed in), Requires=sign-s3.socket, SIGN_S3_CONFIG" \
	bash -c "grep -qx User=sign_s3 '$svc' && grep -qx ExecStart=/usr/bin/sign_s3 '$svc' &&
	         grep -qx Requires=sign-s3.socket '$svc' &&
	         grep -qx Environment=SIGN_S3_CONFIG=/etc/sign_s3/sign_s3.conf '$svc' &&
	         ! grep -Eq '^(RuntimeDirectory|ExecStartPre)' '$svc'"
check "sign-s3.socket: ListenStream=/run/sign_s3/sign_s3.sock, SocketMode=0660, SocketGroup=www-data" \
	bash -c "grep -qx ListenStream=/run/sign_s3/sign_s3.sock '$sock' && grep -qx SocketMode=0660 '$sock' &&
	         grep -qx SocketGroup=www-data '$sock'"

# ---- 4.-7. installed into this machine
if [ "$(id -u)" != 0 ]; then
	diag "SKIP dpkg -i / --purge: needs root (CI runs as root)"
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
fi
if on_machine || getent passwd sign_s3 >/dev/null; then
	diag "SKIP dpkg -i / --purge: sign-s3 (or a sign_s3 user) is on this machine already: not touching it"
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
fi

installed_by_us=1
# dpkg -i resolves nothing: what Depends names must be here already
# (scripts/deps.sh installs it: the -dev packages pull the libraries in)
missing=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g' |
	while read -r p; do [ -n "$p" ] && ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && echo "$p"; done)
if [ -n "$missing" ]; then
	diag "Depends not installed (scripts/deps.sh): $missing"
fi
if DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
	ok "dpkg -i installs it"
else
	nok "dpkg -i installs it"
	diag "$(cat "$tmp/install.log")"
	echo "1..$n"
	exit 1
fi
pw=$(getent passwd sign_s3)
uid=$(echo "$pw" | cut -d: -f3)
check "the sign_s3 user: a system user (uid $uid), its own group, no login, no home" \
	bash -c "[ -n '$pw' ] && [ '$uid' -lt 1000 ] && getent group sign_s3 >/dev/null &&
	         [ \"\$(id -gn sign_s3)\" = sign_s3 ] && [ \"\$(echo '$pw' | cut -d: -f7)\" = /usr/sbin/nologin ] &&
	         [ ! -e \"\$(echo '$pw' | cut -d: -f6)\" ]"
st_conf=$(stat -c '%a %U:%G' /etc/sign_s3/sign_s3.conf 2>&1)
st_dir=$(stat -c '%a %U:%G' /etc/sign_s3 2>&1)
if [ "$st_conf" = "640 root:sign_s3" ]; then ok "/etc/sign_s3/sign_s3.conf is root:sign_s3 0640"; else nok "/etc/sign_s3/sign_s3.conf is root:sign_s3 0640"; diag "it is $st_conf"; fi
if [ "$st_dir" = "750 root:sign_s3" ]; then ok "/etc/sign_s3 is root:sign_s3 0750"; else nok "/etc/sign_s3 is root:sign_s3 0750"; diag "it is $st_dir"; fi
if grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
	ok "# SKIP sign_s3(8) installed: dpkg excludes /usr/share/man on this machine (a container image)"
else
	check "sign_s3(8) installed as /usr/share/man/man8/sign_s3.8.gz" test -s /usr/share/man/man8/sign_s3.8.gz
fi
if [ -d /run/systemd/system ]; then
	en=$(systemctl is-enabled sign-s3.socket 2>&1)
	act=$(systemctl is-active sign-s3.socket 2>&1)
	check "nothing enabled or started at install (sign-s3.socket: $en, $act)" test "$en" = disabled -a "$act" != active
else
	check "nothing enabled at install (no enablement symlink)" \
		bash -c "! ls /etc/systemd/system/sockets.target.wants/sign-s3.socket /etc/systemd/system/multi-user.target.wants/sign-s3.service 2>/dev/null"
fi

# ---- 5. a CGI request with the installed binary and configuration
cat >/etc/sign_s3/sign_s3.conf <<'EOF'
# edited by tests/deb_package.sh
S3_BUCKET=upload-bucket
S3_REGION=eu-west-1
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
S3_EXPIRES=300
EOF
cgi() {  # cgi USER -> the CGI answer on stdout, stderr in $tmp/cgi.err
	local body='{"file_name":"photo.jpg","file_type":"image/jpeg"}'
	printf '%s' "$body" | setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups \
		env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 \
		SCRIPT_NAME=/api/sign_s3 SERVER_PROTOCOL=HTTP/1.1 AWS_EC2_METADATA_DISABLED=true \
		SIGN_S3_CONFIG=/etc/sign_s3/sign_s3.conf /usr/bin/sign_s3 2>"$tmp/cgi.err"
}
cgi sign_s3 >"$tmp/cgi.out"
head=$(sed -n '1,/^\r$/p' "$tmp/cgi.out" | tr -d '\r')
sed '1,/^\r$/d' "$tmp/cgi.out" >"$tmp/cgi.json"
if echo "$head" | grep -q '^Content-Type: application/json' && echo "$head" | grep -qx 'Status: 200 OK' &&
   "$here/tests/lib/verify_sig.py" --access-key AKIAIOSFODNN7EXAMPLE \
	--secret-key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY --region eu-west-1 \
	--expires 300 --bucket upload-bucket <"$tmp/cgi.json" >"$tmp/verify.log" 2>&1; then
	ok "/usr/bin/sign_s3 as CGI, user sign_s3, the installed configuration: 200, signed as botocore signs"
else
	nok "/usr/bin/sign_s3 as CGI, user sign_s3, the installed configuration: 200, signed as botocore signs"
	diag "$(cat "$tmp/cgi.out" "$tmp/cgi.err" "$tmp/verify.log")"
fi
cgi nobody >"$tmp/cgi2.out"
if grep -q '^Status: 500' "$tmp/cgi2.out" && grep -q 'configuration error' "$tmp/cgi.err" &&
   ! grep -q wJalrXUtnFEMI "$tmp/cgi2.out" "$tmp/cgi.err"; then
	ok "as nobody the configuration cannot be read: 500, the log says configuration error"
else
	nok "as nobody the configuration cannot be read: 500, the log says configuration error"
	diag "$(cat "$tmp/cgi2.out" "$tmp/cgi.err")"
fi

# ---- 6. systemd-analyze verify
if ! command -v systemd-analyze >/dev/null; then
	ok "# SKIP systemd-analyze verify: systemd-analyze missing"
else
	systemd-analyze verify /lib/systemd/system/sign-s3.socket /lib/systemd/system/sign-s3.service \
		>"$tmp/verify-units.log" 2>&1
	rc=$?
	# only lines about our units count: the host's own may be broken
	ours=$(grep -i 'sign-s3\|sign_s3' "$tmp/verify-units.log")
	if [ "$rc" = 0 ] && [ -z "$ours" ]; then
		ok "systemd-analyze verify sign-s3.socket sign-s3.service: clean"
	elif grep -qiE 'Failed to (initialize|setup|allocate) manager|Cannot determine cgroup|No such file or directory.*cgroup|System has not been booted with systemd' "$tmp/verify-units.log" && [ -z "$ours" ]; then
		ok "# SKIP systemd-analyze verify cannot run here: $(head -1 "$tmp/verify-units.log")"
	else
		nok "systemd-analyze verify sign-s3.socket sign-s3.service: clean"
		diag "$(cat "$tmp/verify-units.log")"
	fi
fi

# ---- 7. purge
if dpkg --purge sign-s3 >"$tmp/purge.log" 2>&1; then ok "dpkg --purge removes it"; else nok "dpkg --purge removes it"; diag "$(cat "$tmp/purge.log")"; fi
left=$(ls -d /usr/bin/sign_s3 /etc/sign_s3 /lib/systemd/system/sign-s3.service /lib/systemd/system/sign-s3.socket \
	/usr/share/man/man8/sign_s3.8.gz 2>/dev/null)
if [ -z "$left" ]; then ok "purged: the binary, the units, the man page and /etc/sign_s3 (edited configuration too) are gone"; else nok "purged: every file is gone"; diag "left: $left"; fi
if ! getent passwd sign_s3 >/dev/null && ! getent group sign_s3 >/dev/null; then ok "purged: the sign_s3 user and group are gone"; else nok "purged: the sign_s3 user and group are gone"; diag "$(getent passwd sign_s3; getent group sign_s3)"; fi
diag "$(elapsed) s"
echo "1..$n"
[ "$failed" -eq 0 ]
