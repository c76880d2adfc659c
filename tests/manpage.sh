#!/usr/bin/env bash
# manpage.sh - man/sign_s3.8 (mdoc) is clean and complete:
#   1. mandoc -Tlint reports nothing at the warning level and above;
#   2. nor at the style level, but for the lookups of .Xr references in the
#      machine's manual database ("referenced manual not found", "outdated
#      mandoc.db"), which depend on the packages installed, not on the page;
#   3. every setting in common/config.c's table (vars[]) is in the page;
#   4. so is every variable name the code reads ("S3_*", "AWS_*",
#      "SIGN_S3_*", "FCGI_*" string literals in common/ and cgi/);
#   5. every route of cgi/route.c's table, every option of the usage
#      (sign_s3 --help) and every HTTP status the code answers;
#   6. make install puts it in PREFIX/share/man/man8 (into a temp DESTDIR).
# Skipped only where mandoc is missing (scripts/deps.sh installs it).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$here/tests/lib/tap.sh"
page=$here/man/sign_s3.8

if ! command -v mandoc >/dev/null; then
	echo "1..0 # SKIP mandoc missing (apt-get install mandoc)"
	exit 0
fi

out=$(mandoc -Tlint -W warning "$page" 2>&1)
if [ -z "$out" ]; then ok "mandoc -Tlint -W warning: nothing"; else nok "mandoc -Tlint -W warning: nothing"; diag "$out"; fi
out=$(mandoc -Tlint "$page" 2>&1 | grep -v -e 'STYLE: referenced manual not found' -e 'outdated mandoc.db')
if [ -z "$out" ]; then ok "mandoc -Tlint (style too): nothing"; else nok "mandoc -Tlint (style too): nothing"; diag "$out"; fi

# names in the page: .Ev lines and the rest of the text, as words
has() { grep -qw -- "$1" "$page"; }

names=$(sed -n '/^const struct cfg_var cfg_vars\[\] = {/,/^};/p' "$here/common/config.c" |
	grep -oE '"[A-Z][A-Z0-9_]+"' | tr -d '"' | sort -u)
if [ "$(echo "$names" | wc -w)" -lt 30 ]; then
	nok "common/config.c's table read ($(echo "$names" | wc -w) names: its layout changed?)"
else
	ok "common/config.c's table read ($(echo "$names" | wc -w) names)"
fi
missing=$(for v in $names; do has "$v" || echo "$v"; done)
if [ -z "$missing" ]; then ok "every setting of common/config.c's table is in sign_s3(8)"; else nok "every setting of common/config.c's table is in sign_s3(8)"; diag "missing: $missing"; fi

names=$(cat "$here"/common/*.c "$here"/cgi/*.c |
	grep -oE '"(S3|AWS|SIGN_S3|FCGI)_[A-Z0-9_]+"' | tr -d '"' | sort -u)
missing=$(for v in $names; do has "$v" || echo "$v"; done)
if [ -z "$missing" ]; then ok "every variable the code names ($(echo "$names" | wc -w)) is in sign_s3(8)"; else nok "every variable the code names is in sign_s3(8)"; diag "missing: $missing"; fi

routes=$(grep -oE '^[[:space:]]*\{ "/[^"]*"' "$here/cgi/route.c" | grep -oE '"/[^"]*"' | tr -d '"' | sort -u)
missing=$(for r in $routes; do
	# :id and :n are written as the arguments "id" and "n" in the page
	pat=$(printf '%s' "$r" | sed -e 's|/:id|/ Ns Ar id Ns Li |g' -e 's|/:n$|/ Ns Ar n|' -e 's|Li $||')
	grep -qF -- "${pat%% Ns Li }" "$page" || grep -qF -- "$r" "$page" || echo "$r"
done)
if [ -n "$routes" ] && [ -z "$missing" ]; then ok "every route of cgi/route.c ($(echo "$routes" | wc -w)) is in sign_s3(8)"; else nok "every route of cgi/route.c is in sign_s3(8)"; diag "missing: $missing"; fi

bin=${SIGN_S3:-$here/build/sign_s3}
if [ -x "$bin" ]; then
	opts=$("$bin" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
	missing=$(for o in $opts; do grep -qE -- "^\.(It|Op) Fl -${o#--}( |$)" "$page" || echo "$o"; done)
	if [ -z "$missing" ]; then ok "every option of sign_s3 --help ($(echo "$opts" | wc -w)) has its entry"; else nok "every option of sign_s3 --help has its entry"; diag "missing: $missing"; fi
else
	ok "# SKIP options: no $bin (make first)"
fi

statuses=$(cat "$here"/cgi/*.c "$here"/common/*.c | grep -oE 's3_response_error\([a-z>-]+, [0-9]{3}' | grep -oE '[0-9]{3}$' | sort -u)
missing=$(for s in $statuses 200 503; do grep -qx "\.It $s" "$page" || echo "$s"; done)
if [ -z "$missing" ]; then ok "every HTTP status the code answers has its entry ($(echo $statuses 200 503))"; else nok "every HTTP status the code answers has its entry"; diag "missing: $missing"; fi

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if make -C "$here" -s install PREFIX=/usr DESTDIR="$dest" >/dev/null 2>&1 &&
   cmp -s "$page" "$dest/usr/share/man/man8/sign_s3.8" && [ -x "$dest/usr/bin/sign_s3" ] &&
   [ "$(stat -c %a "$dest/usr/share/man/man8/sign_s3.8")" = 644 ]; then
	ok "make install: PREFIX/bin/sign_s3 and PREFIX/share/man/man8/sign_s3.8 (0644)"
else
	nok "make install: PREFIX/bin/sign_s3 and PREFIX/share/man/man8/sign_s3.8 (0644)"
	diag "$(cd "$dest" && find . -ls)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
