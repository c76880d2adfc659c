#!/usr/bin/env bash
# deb.sh OUTDIR - builds the Debian package sign-s3 (debian/) into OUTDIR:
# sign-s3_VERSION_ARCH.deb, .changes, .buildinfo. `make deb` is
# `scripts/deb.sh dist`; tests/deb_package.sh uses it too.
#
# The tree's files (git's tracked and untracked-but-not-ignored ones, so
# uncommitted edits count; everything but build output without git) are
# copied to a temp dir, where `dpkg-buildpackage -us -uc -b` runs: it
# writes its artefacts into the parent of the source dir and debhelper its
# state into debian/, neither of which may be the work tree's. The
# version is VERSION's, which debian/changelog must carry (add an entry
# with `dch -v VERSION` when it changes). DEB_BUILD_OPTIONS passes through
# (the package build runs no tests in any case). JOBS (default 2): -j.
set -euo pipefail

out=${1:?usage: scripts/deb.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$here/VERSION")
for t in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$t" >/dev/null || { echo "deb.sh: $t missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
clv=$(cd "$here" && dpkg-parsechangelog -S Version)
if [ "$clv" != "$version" ]; then
	echo "deb.sh: debian/changelog is at $clv, VERSION says $version: add an entry (dch -v $version, from devscripts, or by hand)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign-s3-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src="$tmp/sign-s3-$version"
mkdir "$src"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$here" && git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	tar -C "$here" --exclude=./build --exclude=./build-san --exclude=./build-deb \
		--exclude=./dist --exclude=node_modules --exclude=./tests/state -cf - . |
		tar -xf - -C "$src"
fi

(cd "$src" && dpkg-buildpackage -us -uc -b "-j${JOBS:-2}")

mkdir -p "$out"
arch=$(dpkg --print-architecture)
for f in "$tmp"/sign-s3_"$version"_"$arch".deb "$tmp"/sign-s3_"$version"_"$arch".changes \
         "$tmp"/sign-s3_"$version"_"$arch".buildinfo "$tmp"/sign-s3-dbgsym_"$version"_"$arch".deb; do
	[ -e "$f" ] && mv -f "$f" "$out/"
done
echo "deb.sh: $out/sign-s3_${version}_${arch}.deb"
