#!/usr/bin/env bash
# cgi-bundle.sh - a self-contained sign_s3 CGI bundle for shared hosting.
#
#   scripts/cgi-bundle.sh OUT_DIR [BINARY]     (BINARY: build/sign_s3)
#
# makes OUT_DIR/sign_s3-cgi/:
#   sign_s3.cgi            the binary, with RUNPATH $ORIGIN/lib
#   lib/                   every shared library it loads beyond glibc (from
#                          ldd), and libmagic, which it dlopens, with its
#                          own; each with RUNPATH $ORIGIN; lib/.htaccess
#                          denies web access to them
#   magic.mgc              libmagic's database (Debian's libmagic-mgc), for
#                          file_head sniffing on hosts without one: sign_s3
#                          loads it from beside itself when the host's
#                          default cannot be loaded (common/sniff.h)
#   htaccess.example       contrib/htaccess.example (edit, rename .htaccess)
#   sign_s3.conf.example   contrib/sign_s3.conf.example (copy to
#                          ~/.config/sign_s3/sign_s3.conf, OUTSIDE the web
#                          root, chmod 600, edit)
#   README.txt             how to install it
# Upload the directory as public_html/api/ (see htaccess.example).
#
# glibc itself (libc, libm, libpthread, libdl, librt, the loader, ...) is
# not bundled: it must come from the host, which needs a glibc at least as
# new as the one the binary was linked against (printed at the end).
# Needs: ldd, patchelf (Debian package patchelf), objdump (binutils).
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR [BINARY]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$1
bin=${2:-$repo/build/sign_s3}

die() { echo "cgi-bundle: $*" >&2; exit 1; }
[ -f "$bin" ] && [ -x "$bin" ] || die "no executable $bin (run make first)"
command -v patchelf >/dev/null || die "patchelf not found (apt-get install patchelf)"
command -v ldd >/dev/null || die "ldd not found"
for f in contrib/htaccess.example contrib/sign_s3.conf.example; do
	[ -f "$repo/$f" ] || die "missing $repo/$f"
done

# glibc's own libraries: the host provides them (and they must match its
# loader), so they are never bundled
is_glibc() {
	case "$1" in
	linux-vdso.so.* | linux-gate.so.* | ld-linux*.so.* | ld64.so.* | \
	libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | libdl.so.* | \
	librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | \
	libnsl.so.* | libBrokenLocale.so.* | libnss_*.so.* | libthread_db.so.*)
		return 0 ;;
	esac
	return 1
}

dest=$out/sign_s3-cgi
rm -rf "$dest"
mkdir -p "$dest/lib"
dest=$(cd "$dest" && pwd)

install -m 0755 "$bin" "$dest/sign_s3.cgi"

# ldd lists the whole closure (the libraries' own dependencies too), as
# "soname => /path (0x...)"; a missing one as "soname => not found".
# LD_LIBRARY_PATH is cleared so the system's resolution is what is copied.
libs=()
bundle_closure() {   # bundle_closure FILE: copy every non-glibc library FILE loads
	local name arrow path _
	while read -r name arrow path _; do
		[ "$arrow" = "=>" ] || continue
		is_glibc "$name" && continue
		[ "$path" != "not" ] || die "$1: $name not found by ldd"
		[ -f "$path" ] || die "$1: $name -> $path is not a file"
		[ -e "$dest/lib/$name" ] && continue
		cp -L "$path" "$dest/lib/$name"
		chmod 0644 "$dest/lib/$name"
		libs+=("$name")
	done < <(env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$1")
}
bundle_closure "$bin"

# libmagic is dlopen'ed on first need (common/sniff.h), so ldd of the
# binary does not list it: it and its own libraries are added by name.
# (libcurl, dlopen'ed too, is not bundled: only container and IMDS
# credentials need it, which a shared host does not have.)
for so in libmagic.so.1; do
	# awk reads to the end (no early exit): under pipefail, ldconfig killed
	# by SIGPIPE would end this script without a word
	path=$(env -u LD_LIBRARY_PATH ldconfig -p 2>/dev/null |
		awk -v so="$so" '!found && $1 == so && /x86-64|x86_64|AArch64|aarch64/ { print $NF; found = 1 }')
	[ -n "$path" ] || path=$(find /lib /usr/lib -name "$so" -print -quit 2>/dev/null)
	[ -n "$path" ] && [ -f "$path" ] || die "$so not found (apt-get install libmagic1)"
	cp -L "$path" "$dest/lib/$so"
	chmod 0644 "$dest/lib/$so"
	libs+=("$so")
	bundle_closure "$path"
done

# the binary finds lib/ next to itself, and the libraries find each other
# (RUNPATH is not inherited by a library's own dependencies)
# shellcheck disable=SC2016  # $ORIGIN is for the loader, not the shell
patchelf --set-rpath '$ORIGIN/lib' "$dest/sign_s3.cgi"
for l in "${libs[@]}"; do
	# shellcheck disable=SC2016
	patchelf --set-rpath '$ORIGIN' "$dest/lib/$l"
done

cat > "$dest/lib/.htaccess" <<'EOF'
# Libraries of sign_s3.cgi: never served.
<IfModule mod_authz_core.c>
    Require all denied
</IfModule>
<IfModule !mod_authz_core.c>
    Order allow,deny
    Deny from all
</IfModule>
EOF
# libmagic's compiled database: magic_getpath() names the default; a host
# without libmagic-mgc gets this copy (sniff.h), never served (.htaccess)
mgc=${MAGIC_MGC:-/usr/lib/file/magic.mgc}
[ -f "$mgc" ] || die "no libmagic database at $mgc (apt-get install libmagic-mgc, or MAGIC_MGC=...)"
install -m 0644 "$mgc" "$dest/magic.mgc"
install -m 0644 "$repo/contrib/htaccess.example" "$dest/htaccess.example"
install -m 0644 "$repo/contrib/sign_s3.conf.example" "$dest/sign_s3.conf.example"

# the newest GLIBC_x.y symbol version the binary and its libraries need
glibc_min=
if command -v objdump >/dev/null; then
	glibc_min=$(objdump -T "$dest/sign_s3.cgi" "${libs[@]/#/$dest/lib/}" 2>/dev/null |
		grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -u -V | tail -n 1)
fi
version=$("$dest/sign_s3.cgi" --version 2>/dev/null || echo "sign_s3 ?")

cat > "$dest/README.txt" <<EOF
$version - CGI bundle for shared hosting ($(uname -m), Linux)

Needs: Apache (or any web server) running CGI programs, glibc ${glibc_min:-?} or
newer on the host (\`ldd --version\` there). Bundled libraries: ${libs[*]:-none}.
magic.mgc is libmagic's database, used (for file_head) when the host has none.

1. Upload this directory as public_html/api/ (keep lib/ next to sign_s3.cgi;
   chmod 755 sign_s3.cgi).
2. Copy sign_s3.conf.example OUTSIDE public_html, to
   ~/.config/sign_s3/sign_s3.conf (sign_s3 finds it there by itself, under
   suEXEC too), fill in S3_BUCKET, S3_REGION and the credentials, and delete
   the example from public_html:
     mkdir -p ~/.config/sign_s3 && chmod 700 ~/.config/sign_s3
     chmod 600 ~/.config/sign_s3/sign_s3.conf
   It must be yours (or root's) and writable by nobody else, or it is
   refused (500; the error log says why).
3. Rename htaccess.example to .htaccess (its SetEnv SIGN_S3_CONFIG matters
   only on hosts that run CGI without suEXEC: then set your path there).
4. Check: curl -s -X POST -H 'Content-Type: application/json' \\
        -d '{"file_name":"test.txt"}' https://YOUR.SITE/api/sign_s3
   answers {"file_type":"text/plain","signed_request":...}.
   An answer {"statusCode":500,...} means the configuration could not be
   read: the reason is in the host's error log.
EOF

echo "cgi-bundle: $dest"
echo "cgi-bundle: libraries: ${libs[*]:-none}"
echo "cgi-bundle: host needs glibc >= ${glibc_min:-unknown}"

# every non-glibc library must now resolve inside the bundle, for the
# binary and for what it dlopens
bad=$(for f in "$dest/sign_s3.cgi" "$dest/lib/libmagic.so.1"; do
	env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$f"; done |
	awk -v lib="$dest/lib/" '$2 == "=>" && index($3, lib) != 1 { print $1 " => " $3 }' |
	while read -r name rest; do is_glibc "$name" || echo "$name $rest"; done)
[ -z "$bad" ] || die "not resolved inside the bundle: $bad"
