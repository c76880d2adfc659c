#!/usr/bin/env bash
# Install every Debian package sign_s3 needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing. Uses sudo when not root.
set -euo pipefail

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

PKGS=(
  # build; libFuzzer's runtime; valgrind for the leak tests
  build-essential pkg-config clang libclang-rt-14-dev valgrind
  # libraries
  libfcgi-dev libssl-dev libcjson-dev libcurl4-openssl-dev libmagic-dev libexpat1-dev media-types
  # tests: reference signer (Debian's botocore, for /usr/bin/python3), prove, curl;
  # CPython embedded in the fuzz_json_strict target (tests/fuzz/fuzz.mk)
  python3 python3-botocore perl curl strace python3-dev
  # responder tests and benchmarks
  nginx-light spawn-fcgi wrk
  # Apache examples (mod_cgid, mod_proxy_fcgi, mod_fcgid) and the CGI bundle;
  # suEXEC for the shared-hosting test (tests/suexec.py)
  apache2 libapache2-mod-fcgid patchelf apache2-suexec-custom
  # the local S3 server (OpenStack Swift with s3api) for end-to-end uploads
  python3-swift memcached
  # sign_s3 doctor's clock check under a shifted clock (tests/doctor.sh)
  faketime
  # browser test of the demo page (tests/browser.sh): Debian's chromium + playwright-core from npm
  chromium
  # the Debian package (make deb, tests/deb_package.sh) and the man page (tests/manpage.sh)
  debhelper fakeroot lintian mandoc adduser
)
# node and npm for the browser tests and www/'s npm packages: Debian's, unless a
# node is already on PATH (NodeSource's nodejs carries its own npm and conflicts
# with Debian's). playwright-core wants node >= 20 (Debian 12 has 18); the
# browser tests say so in their skip line when the node they find is older.
if ! command -v node >/dev/null 2>&1; then
  PKGS+=(nodejs npm)
fi

# npm packages, pinned by their lock files, when missing: playwright-core for the
# browser tests (tests/browser/), Uppy's prebuilt bundles for www/uppy.html and
# spark-md5 for www/index.html (www/)
npm_dir() {  # npm_dir DIR MARKER WHAT
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/$1"
  [ -f "$dir/node_modules/$2" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "deps: no npm: $3" >&2; return 0; }
  echo "deps: npm ci in $1"
  (cd "$dir" && npm ci --no-audit --no-fund)
}
browser_npm() {
  npm_dir tests/browser playwright-core/package.json "tests/browser.sh will skip"
  npm_dir www uppy6/dist/uppy.min.js "www/uppy.html will not find Uppy"
  npm_dir www spark-md5/spark-md5.min.js "www/index.html will send no file_md5"
}

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  browser_npm
  exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages such as nginx start their own service on install; keep them from doing so
# (we run every server ourselves, on loopback only).
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e "$prc" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$prc" >/dev/null
  $SUDO chmod 755 "$prc"
  made_prc=1
fi
cleanup() { if [ "$made_prc" = 1 ]; then $SUDO rm -f "$prc"; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
browser_npm
