#!/usr/bin/env bash
# settings_names.sh - every name sign_s3 reads from its environment can be
# written in the configuration file, or is one of the few left out on
# purpose (common/settings.h). The names are collected from the sources
# (getenv("..."), the sandbox's and the FastCGI loop's lookups, the
# credential chain's ENV_* names and its HOME, the broker's list of names
# passed to credential_process), so a new one cannot be added without this
# test seeing it; each is then written alone into a SIGN_S3_CONFIG file
# and `sign_s3 presign` must not refuse it as an unknown name (a name that
# is not a setting is refused so, as the control shows).
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${SIGN_S3:-$repo/build/sign_s3}
# shellcheck source=tests/lib/tap.sh
. "$here/lib/tap.sh"
[ -x "$bin" ] || bail "no sign_s3 binary at $bin"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_s3-names.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# left out of the file, and why
declare -A excluded=(
	[SIGN_S3_CONFIG]="it names the file"
	[HOME]="the environment's, else the password entry's home"
	[GATEWAY_INTERFACE]="CGI, per request: chooses the mode"
	[REQUEST_METHOD]="CGI, per request"
	[CONTENT_TYPE]="CGI, per request"
	[CONTENT_LENGTH]="CGI, per request"
	[QUERY_STRING]="CGI, per request"
	[PATH_INFO]="CGI, per request"
	[REMOTE_ADDR]="CGI, per request"
	[REMOTE_USER]="CGI, per request"
	[LISTEN_PID]="systemd socket activation, set for this process only"
	[LISTEN_FDS]="systemd socket activation, set for this process only"
	[LISTEN_FDNAMES]="systemd socket activation, set for this process only"
)

cd "$repo" || bail "no $repo"
names=$( {
	grep -ohE 'getenv\("[A-Z0-9_]+"\)' common/*.c cgi/*.c
	grep -ohE 'look\(get, ctx, "[A-Z0-9_]+"\)' common/*.c
	grep -ohE 'get\([a-z_>.-]*ctx, "[A-Z0-9_]+"\)' common/*.c cgi/*.c
	grep -ohE 'creds_lookup\(ch, "[A-Z0-9_]+"\)' common/*.c
	grep -hE '^#define ENV_[A-Z_]+ +"[A-Z0-9_]+"' common/creds_int.h
	sed -n '/env_names\[\] = {/,/};/p' common/broker.c
} | grep -oE '"[A-Z][A-Z0-9_]+"' | tr -d '"' | sort -u)
count=$(printf '%s\n' "$names" | grep -c .)
if [ "$count" -ge 20 ]; then ok "$count names read from the environment found in the sources"
else nok "only $count names found in the sources: the patterns no longer match"; diag "$names"; fi

known() {   # known NAME: the file may set NAME
	printf '%s=x\n' "$1" > "$tmp/one.conf"
	chmod 600 "$tmp/one.conf"
	out=$(env -i PATH=/usr/bin:/bin SIGN_S3_CONFIG="$tmp/one.conf" "$bin" presign k 2>&1)
	case $out in
	*"line 1: unknown name"*) return 1 ;;
	esac
	return 0
}

for name in $names; do
	if [ -n "${excluded[$name]:-}" ]; then
		if known "$name"; then nok "$name is left out (${excluded[$name]}) but a file may set it"
		else ok "$name: not in the file (${excluded[$name]})"; fi
	elif known "$name"; then
		ok "$name: may be written in the configuration file"
	else
		nok "$name is read from the environment but refused in the file"; diag "$out"
	fi
done
if known S3_NO_SUCH_SETTING; then nok "control: an unknown name is not refused"
else ok "control: an unknown name is refused (line 1: unknown name)"; fi
echo "1..$n"
[ "$failed" -eq 0 ]
