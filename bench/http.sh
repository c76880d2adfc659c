#!/usr/bin/env bash
# make bench-http: sign_s3 as a FastCGI responder behind nginx under wrk,
# beside its baselines, all in the same run, through the same nginx:
#
#   static     nginx's own `return 200` with the same JSON body (reference)
#   fcgi_null  the FastCGI transport ceiling: a do-nothing responder on
#              sign_s3's own FastCGI loop (bench/fcgi_null.c) answering the
#              bytes of a real sign_s3 200, with as many prefork workers
#   sign_s3_keep  (KEEPCONN=1 only) sign_s3 through an nginx upstream with
#              `keepalive 8` and `fastcgi_keep_conn on` (what README advises
#              against, measured)
#   libfcgi_null  the same on libfcgi's FCGX_Accept_r loop (informative: what
#              sign_s3 used before issue 15, and a libfcgi responder's best)
#   sign_s3    build/sign_s3 --listen unix:... --workers $WORKERS
#   sign_s3_sized  the same workers, the request with file_size and file_md5
#              (Content-Length and Content-MD5 signed too; goal >= 0.95 of sign_s3)
#   sign_s3_base  (BASE_SIGN_S3=BINARY only) another build of sign_s3, say
#              the commit before a change, with the same workers and request:
#              ratio_sign_s3_vs_sign_s3_base is the change's cost, same run
#   node1      the reference design on Node (bench/peers/node), 1 process,
#              proxied by nginx (proxy_pass, upstream keepalive)
#   node2      the same with 2 processes (node:cluster): the fair peer on 2 cores
#   node2_direct  node2 hit by wrk without nginx (informative: the peer's best)
#
# One nginx (worker_processes $NGINX_WORKERS, default 2: on 2 cores it gave
# every backend its best figures; 1 is ~25 % lower for static) fronts all of
# them, one port each, FastCGI over unix sockets without keep-alive (libfcgi
# prefork workers serve one connection at a time), the Node peer over
# proxy_pass with upstream keep-alive (its best case).
#
# Each backend: a warm-up (longer for Node's JIT), then wrk -t$THREADS
# -d$DURATION --latency at each of $CONNS connections, POSTing
# {"file_name":"photo.jpg","file_type":"image/jpeg"} as application/json.
# Any non-2xx answer, socket error or timeout fails the run. With ROUNDS > 1
# the whole sweep repeats and every figure is the median over the rounds
# (ratios: the median of the per-round ratios), which resists background
# load on a shared machine better. Each run also records what it cost in CPU
# per request (backend processes, nginx, wrk, irq; from /proc), hence
# cpu_ratio_sign_s3_vs_fcgi_null (the req/s ratio an otherwise idle machine
# would show), and other_cpu_pct, the rest of the machine's CPU use
# meanwhile: when that is not ~0, the req/s figures are skewed. Then VmRSS
# (and PSS) of every sign_s3 worker.
#
# Output: machine-readable lines "name value" (http_<backend>_c<N>_rps,
# _p50_ms, _p99_ms, _backend_cpu_us_per_req, _other_cpu_pct, ...; ratio_*;
# sign_s3_worker_rss_kb_max; goal_* 1|0), then a table. BENCH_OUT=FILE also
# writes the "name value" lines there.
#
# Environment: DURATION (10 s), WARMUP (2 s; NODE_WARMUP 6 s), ROUNDS (1),
# CONNS ("32 128"), THREADS (2), WORKERS (2: sign_s3 and fcgi_null
# workers), NGINX_WORKERS (2), NODE (1; 0 skips the Node peer), NODE_DIRECT
# (1), WAIT_QUIET (30: seconds to wait for an idle machine first), SIGN_S3
# (binary to measure), BASE_SIGN_S3 (a second binary measured beside it), SKIP_BUILD, BENCH_STRICT (0; 1: a missed goal exits
# 1). About 2.5-3 min with the defaults. Nothing leaves 127.0.0.1; nothing
# talks to AWS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
NODE_WARMUP=${NODE_WARMUP:-6}
CONNS=${CONNS:-"32 128"}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
NODE=${NODE:-1}
NODE_DIRECT=${NODE_DIRECT:-1}
KEEPCONN=${KEEPCONN:-0}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILD=${BUILD:-build}
SIGN_S3=${SIGN_S3:-$root/$BUILD/sign_s3}
BASE_SIGN_S3=${BASE_SIGN_S3:-}
NULL_BIN=$root/$BUILD/bench/fcgi_null
BODY='{"file_name":"photo.jpg","file_type":"image/jpeg"}'
# the same request with its exact size and MD5 (issue 12: Content-Length
# and Content-MD5 signed too): backend sign_s3_sized, the same workers
BODY_SIZED='{"file_name":"photo.jpg","file_type":"image/jpeg","file_size":2097152,"file_md5":"rL0Y20zC+Fzt72VPzMSk2A=="}'

BENCH_NAME=bench-http
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
for t in nginx wrk curl cc pkg-config; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
if [ "$NODE" = 1 ]; then
	command -v node >/dev/null && command -v npm >/dev/null || die "node/npm not installed (NODE=0 skips the peer)"
	[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] ||
		die "the Node peer needs node >= 20 (joi 18, AWS SDK v3); NODE=0 skips it"
fi


# ---- a quiet machine ---------------------------------------------------------
# Every figure here is a share of 2 cores: anything else running skews it.
# Wait (at most WAIT_QUIET s) for the machine to be idle (< 10 % busy over
# a second); go on regardless after that, with a warning (and the per-run
# other_cpu_pct says how busy it was).
wait_quiet() {
	local i a b
	for ((i = 0; i < ${WAIT_QUIET:-30}; i++)); do
		a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat)
		sleep 1
		b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat)
		awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
			exit !((y[1] - x[1]) < 0.10 * (y[2] - x[2])) }' && return 0
		[ "$i" = 0 ] && echo "bench-http: the machine is busy; waiting up to ${WAIT_QUIET:-30} s for it to calm down" >&2
	done
	[ "${WAIT_QUIET:-30}" -gt 0 ] && echo "bench-http: warning: the machine is still busy; figures will be low and noisy (see other_cpu_pct)" >&2
	return 0
}

# ---- build -----------------------------------------------------------------
if [ -z "${SKIP_BUILD:-}" ]; then
	make -C "$root" -s "$BUILD/sign_s3" >&2
	mkdir -p "$root/$BUILD/bench"
	make -C "$root" -s "$BUILD/bench/fcgi_null" >&2
fi
[ -x "$SIGN_S3" ] || die "$SIGN_S3 missing"
[ -x "$NULL_BIN" ] || die "$NULL_BIN missing"
if [ "$NODE" = 1 ]; then
	peer=$here/peers/node
	if [ ! -d "$peer/node_modules" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; then
		echo "bench-http: npm ci in bench/peers/node" >&2
		(cd "$peer" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) ||
			die "npm ci failed (NODE=0 skips the Node peer)"
	fi
fi

# ---- ports -----------------------------------------------------------------
pick_ports P_STATIC P_NULL P_LNULL P_SIGN P_SIZED P_KEEP P_BASE P_NODE1 P_NODE2 N1 N2

export AWS_EC2_METADATA_DISABLED=true
app_env=(env -i PATH="$PATH" S3_BUCKET=examplebucket S3_REGION=us-east-1
	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
	AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	AWS_EC2_METADATA_DISABLED=true)

# ---- one real sign_s3 answer, for fcgi_null and nginx's static return ------
printf '%s' "$BODY" | "${app_env[@]}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
	CONTENT_TYPE=application/json CONTENT_LENGTH=${#BODY} "$SIGN_S3" >"$tmp/response"
head -c 15 "$tmp/response" | grep -q '^Status: 200' || die "sign_s3 (CGI) did not answer 200: $(head -c 300 "$tmp/response")"
json=$(sed -n '/^\r$/,$p' "$tmp/response" | tail -n +2)
case $json in *"'"*|*'\'*) die "unexpected quote in the captured body";; esac
resp_bytes=$(wc -c <"$tmp/response")

# ---- backends --------------------------------------------------------------
start sign_s3 "${app_env[@]}" "$SIGN_S3" --listen "unix:$tmp/sign_s3.sock" --workers "$WORKERS"
start fcgi_null "$NULL_BIN" "$tmp/response" "unix:$tmp/null.sock" "$WORKERS"
start libfcgi_null env FCGI_NULL_LOOP=libfcgi "$NULL_BIN" "$tmp/response" "unix:$tmp/lnull.sock" "$WORKERS"
wait_for sign_s3 test -S "$tmp/sign_s3.sock"
wait_for fcgi_null test -S "$tmp/null.sock"
wait_for libfcgi_null test -S "$tmp/lnull.sock"
if [ -n "$BASE_SIGN_S3" ]; then
	[ -x "$BASE_SIGN_S3" ] || die "BASE_SIGN_S3: no binary at $BASE_SIGN_S3"
	start sign_s3_base "${app_env[@]}" "$BASE_SIGN_S3" --listen "unix:$tmp/base.sock" --workers "$WORKERS"
	wait_for sign_s3_base test -S "$tmp/base.sock"
fi
if [ "$NODE" = 1 ]; then
	start node1 "${app_env[@]}" PORT="$N1" WORKERS=1 NODE_NO_WARNINGS=1 node "$peer/server.js"
	start node2 "${app_env[@]}" PORT="$N2" WORKERS=2 NODE_NO_WARNINGS=1 node "$peer/server.js"
fi

conf=$(nginx_conf_head; cat <<'EOF'
	upstream sign_s3_keep { server unix:@TMP@/sign_s3.sock; keepalive 8; keepalive_timeout 4s; }
	server {
		listen 127.0.0.1:@P_KEEP@;
		location = /api/sign_s3 { fastcgi_pass sign_s3_keep; fastcgi_keep_conn on; }
	}
	upstream node1 { server 127.0.0.1:@N1@; keepalive 64; keepalive_timeout 4s; }
	upstream node2 { server 127.0.0.1:@N2@; keepalive 64; keepalive_timeout 4s; }
	server {
		listen 127.0.0.1:@P_STATIC@;
		location = /api/sign_s3 {
			default_type application/json;
			add_header Cache-Control no-store;
			add_header X-Content-Type-Options nosniff;
			return 200 '@JSON@';
		}
	}
	server {
		listen 127.0.0.1:@P_NULL@;
		location = /api/sign_s3 { fastcgi_pass unix:@TMP@/null.sock; }
	}
	server {
		listen 127.0.0.1:@P_LNULL@;
		location = /api/sign_s3 { fastcgi_pass unix:@TMP@/lnull.sock; }
	}
	server {
		listen 127.0.0.1:@P_SIGN@;
		location = /api/sign_s3 { fastcgi_pass unix:@TMP@/sign_s3.sock; }
	}
	server {
		listen 127.0.0.1:@P_SIZED@;
		location = /api/sign_s3 { fastcgi_pass unix:@TMP@/sign_s3.sock; }
	}
	server {
		listen 127.0.0.1:@P_BASE@;
		location = /api/sign_s3 { fastcgi_pass unix:@TMP@/base.sock; }
	}
	server {
		listen 127.0.0.1:@P_NODE1@;
		location = /api/sign_s3 {
			proxy_pass http://node1;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
	server {
		listen 127.0.0.1:@P_NODE2@;
		location = /api/sign_s3 {
			proxy_pass http://node2;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
EOF
)
conf=${conf//@TMP@/"$tmp"}
conf=${conf//@JSON@/"$json"}
for v in P_STATIC P_NULL P_LNULL P_SIGN P_SIZED P_KEEP P_BASE P_NODE1 P_NODE2 N1 N2; do
	conf=${conf//@$v@/"${!v}"}
done
nginx_start "$conf"

check() {   # check NAME PORT: one request must answer 200 with that backend's JSON
	local code f=$tmp/check.$1 body=$BODY
	[ "$1" = sign_s3_sized ] && body=$BODY_SIZED
	code=$(curl -s -m 5 -o "$f" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$body" "http://127.0.0.1:$2/api/sign_s3") || return 1
	[ "$code" = 200 ] || return 1
	case $1 in
	static|fcgi_null|libfcgi_null) [ "$(cat "$f")" = "$json" ] ;;
	sign_s3|sign_s3_keep|sign_s3_base) [ "$(cat "$f")" != "$json" ] && grep -q 'X-Amz-SignedHeaders=content-type' "$f" &&
		grep -q '"key":"uploads/' "$f" ;;
	sign_s3_sized) grep -q 'X-Amz-SignedHeaders=content-length%3Bcontent-md5%3Bcontent-type' "$f" &&
		grep -q '"Content-MD5":"rL0Y20zC+Fzt72VPzMSk2A=="' "$f" ;;
	node*) grep -q '"signed_request":"https://examplebucket.*x-id=PutObject' "$f" ;;
	esac
}
backends=(static fcgi_null libfcgi_null sign_s3 sign_s3_sized)
[ "$KEEPCONN" = 1 ] && backends+=(sign_s3_keep)
[ -n "$BASE_SIGN_S3" ] && backends+=(sign_s3_base)
declare -A PORT=([static]=$P_STATIC [fcgi_null]=$P_NULL [libfcgi_null]=$P_LNULL [sign_s3]=$P_SIGN
	[sign_s3_sized]=$P_SIZED
	[sign_s3_keep]=$P_KEEP [sign_s3_base]=$P_BASE
	[node1]=$P_NODE1 [node2]=$P_NODE2 [node2_direct]=$N2)
if [ "$NODE" = 1 ]; then
	backends+=(node1 node2)
	[ "$NODE_DIRECT" = 1 ] && backends+=(node2_direct)
fi
for b in "${backends[@]}"; do
	wait_for "$b" check "$b" "${PORT[$b]}"
done

# ---- wrk -------------------------------------------------------------------
write_post_lua "$tmp/post.lua"
BODY=$BODY_SIZED write_post_lua "$tmp/post.sign_s3_sized.lua"


wait_quiet
echo "# bench-http, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m), nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
echo "# wrk -t$THREADS -d${DURATION}s at $CONNS connections; nginx workers $NGINX_WORKERS; sign_s3/fcgi_null workers $WORKERS; answer $resp_bytes bytes (CGI head + body)"
[ "$NODE" = 1 ] && echo "# node $(node --version); node1/node2 through nginx (proxy_pass, upstream keepalive), node2_direct without nginx"
emit http_duration_s "$DURATION"
emit http_workers "$WORKERS"
emit http_nginx_workers "$NGINX_WORKERS"

# CPU accounting (clock ticks), so each figure comes with what it cost and
# with how busy the rest of the machine was meanwhile (other users of a
# shared machine skew every req/s figure; see other_cpu_pct).
group_ticks() {   # group_ticks PGID: utime+stime of every process in the group
	local f l t=0 x
	for f in /proc/[0-9]*/stat; do
		{ read -r l <"$f"; } 2>/dev/null || continue   # gone meanwhile
		read -ra x <<<"${l##*) }"    # x[0] = state, x[2] = pgrp, x[11] utime, x[12] stime
		[ "${x[2]}" = "$1" ] && t=$((t + x[11] + x[12]))
	done
	echo "$t"
}
# user + nice + system + steal. Left out: irq/softirq time (mostly our own
# loopback traffic, charged to no process). Niced jobs count: even at nice
# 19 a CPU-bound job delays every wake-up of the servers (measured: the
# Node peer at half its figure beside one niced fuzzer)
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $9; exit }' /proc/stat; }
irq_ticks() { awk '$1 == "cpu" { print $7 + $8; exit }' /proc/stat; }
child_ticks() {   # sets _ct: CPU of this shell's waited-for children, in ticks
	local f=$tmp/times.$BASHPID
	times >"$f"   # a builtin: runs in this shell, no fork
	_ct=$(awk -v hz="$HZ" 'END { t = 0
		for (i = 1; i <= NF; i++) { split($i, m, "m"); sub(/s$/, "", m[2]); t += m[1] * 60 + m[2] }
		printf "%.0f", t * hz }' "$f")
}
HZ=$(getconf CLK_TCK)
declare -A GROUP=([static]="" [fcgi_null]=$fcgi_null_pid [libfcgi_null]=$libfcgi_null_pid [sign_s3]=$sign_s3_pid [sign_s3_keep]=$sign_s3_pid
	[sign_s3_sized]=$sign_s3_pid [sign_s3_base]=${sign_s3_base_pid:-}
	[node1]=${node1_pid:-} [node2]=${node2_pid:-} [node2_direct]=${node2_pid:-})

run_wrk() {   # run_wrk BACKEND CONNS SECONDS -> RESULT line with CPU figures
	local url="http://127.0.0.1:${PORT[$1]}/api/sign_s3" t=$THREADS g=${GROUP[$1]}
	local b0 n0 c0 w0 i0 b1 n1 c1 w1 i1 _ct out=$tmp/wrk.$1.$2 lua=$tmp/post.lua
	[ -f "$tmp/post.$1.lua" ] && lua=$tmp/post.$1.lua
	[ "$2" -lt "$t" ] && t=$2
	c0=0; [ -n "$g" ] && c0=$(group_ticks "$g")
	n0=$(group_ticks "$nginx_pid"); child_ticks; w0=$_ct; b0=$(busy_ticks); i0=$(irq_ticks)
	timeout $(( $3 + 30 )) wrk -t"$t" -c"$2" -d"$3"s --timeout 10s --latency -s "$lua" "$url" \
		>"$out" 2>&1 || die "wrk failed for $1 at $2: $(tail -3 "$out")"
	b1=$(busy_ticks); i1=$(irq_ticks); child_ticks; w1=$_ct; n1=$(group_ticks "$nginx_pid")
	c1=0; [ -n "$g" ] && c1=$(group_ticks "$g")
	grep '^RESULT ' "$out" >/dev/null || die "no result from wrk for $1 at $2"
	printf '%s busy=%s nginx=%s backend=%s wrk=%s irq=%s\n' "$(grep '^RESULT ' "$out")" \
		$((b1 - b0)) $((n1 - n0)) $((c1 - c0)) $((w1 - w0)) $((i1 - i0))
}

median() {   # median PRINTF-FORMAT < values
	tr ' ' '\n' | grep . | sort -g | awk -v f="$1" '{ v[NR] = $1 } END {
		printf f "\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ROUNDS=${ROUNDS:-1}
emit http_rounds "$ROUNDS"
declare -A acc=()   # "backend c metric" -> space-separated values, one per round
# Node's JIT needs a few thousand requests to settle (its presign rate still
# rises after 4 s), so the peer gets a longer warm-up: its best figure
for b in "${backends[@]}"; do
	wu=$WARMUP
	case $b in node*) wu=$NODE_WARMUP ;; esac
	[ "$wu" -gt 0 ] && run_wrk "$b" 32 "$wu" >/dev/null
done
for ((round = 1; round <= ROUNDS; round++)); do
	for c in $CONNS; do
		for b in "${backends[@]}"; do
			line=$(run_wrk "$b" "$c" "$DURATION")
			declare -A r=()
			for kv in ${line#RESULT }; do r[${kv%%=*}]=${kv#*=}; done
			errs=$(( r[err_connect] + r[err_read] + r[err_write] + r[err_status] + r[err_timeout] ))
			if [ "$errs" != 0 ] || [ "${r[requests]}" = 0 ]; then
				cat "$tmp/wrk.$b.$c" >&2
				die "$b at $c connections: ${r[err_status]} non-2xx answers, $(( errs - r[err_status] )) socket errors"
			fi
			# per request, in microseconds of CPU; other = the machine's busy
			# time not spent in nginx, this backend or wrk, in % of all cores
			m=$(awk -v n="${r[requests]}" -v d="${r[duration_us]}" -v hz="$HZ" \
				-v bz="${r[busy]}" -v ng="${r[nginx]}" -v be="${r[backend]}" -v wk="${r[wrk]}" -v iq="${r[irq]}" \
				-v cores="$(nproc)" -v secs="$DURATION" 'BEGIN {
				tk = 1e6 / hz
				printf "%.0f %.1f %.1f %.1f %.1f", n / (d / 1e6), be * tk / n, ng * tk / n, wk * tk / n, iq * tk / n
				o = 100 * (bz - ng - be - wk) / (hz * secs * cores); if (o < 0.5) o = 0
				printf " %.0f", o }')
			read -r rps be_us ng_us wk_us iq_us other <<<"$m"
			acc[$b $c rps]+=" $rps"
			acc[$b $c p50]+=" $(awk -v v="${r[p50_us]}" 'BEGIN { printf "%.3f", v / 1000 }')"
			acc[$b $c p99]+=" $(awk -v v="${r[p99_us]}" 'BEGIN { printf "%.3f", v / 1000 }')"
			acc[$b $c be]+=" $be_us"
			acc[$b $c ng]+=" $ng_us"
			acc[$b $c wk]+=" $wk_us"
			acc[$b $c iq]+=" $iq_us"
			acc[$b $c other]+=" $other"
			acc[$b $c requests]+=" ${r[requests]}"
			unset r
		done
	done
done
for c in $CONNS; do
	for b in "${backends[@]}"; do
		pre=http_${b}_c${c}
		emit "${pre}_requests" "$(echo ${acc[$b $c requests]} | tr ' ' '\n' | awk '{ s += $1 } END { print s }')"
		emit "${pre}_rps" "$(median %.0f <<<"${acc[$b $c rps]}")"
		[ "$ROUNDS" -gt 1 ] && emit "${pre}_rps_rounds" "$(echo ${acc[$b $c rps]} | tr ' ' ',')"
		emit "${pre}_p50_ms" "$(median %.3f <<<"${acc[$b $c p50]}")"
		emit "${pre}_p99_ms" "$(median %.3f <<<"${acc[$b $c p99]}")"
		emit "${pre}_errors" 0
		[ -n "${GROUP[$b]}" ] && emit "${pre}_backend_cpu_us_per_req" "$(median %.1f <<<"${acc[$b $c be]}")"
		emit "${pre}_nginx_cpu_us_per_req" "$(median %.1f <<<"${acc[$b $c ng]}")"
		emit "${pre}_wrk_cpu_us_per_req" "$(median %.1f <<<"${acc[$b $c wk]}")"
		emit "${pre}_irq_cpu_us_per_req" "$(median %.1f <<<"${acc[$b $c iq]}")"
		emit "${pre}_other_cpu_pct" "$(median %.0f <<<"${acc[$b $c other]}")"
	done
done

# ---- memory ----------------------------------------------------------------
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
max_rss=0; i=0
for w in $(children "$sign_s3_pid"); do
	rss=$(kb "$w" VmRSS); hwm=$(kb "$w" VmHWM)
	emit "sign_s3_worker${i}_rss_kb" "$rss"
	emit "sign_s3_worker${i}_hwm_kb" "$hwm"
	emit "sign_s3_worker${i}_pss_kb" "$(pss "$w")"
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	i=$((i + 1))
done
[ "$i" -gt 0 ] || die "no sign_s3 workers found under pid $sign_s3_pid"
emit sign_s3_worker_rss_kb_max "$max_rss"
emit sign_s3_parent_rss_kb "$(kb "$sign_s3_pid" VmRSS)"
for w in $(children "$fcgi_null_pid"); do emit fcgi_null_worker_rss_kb "$(kb "$w" VmRSS)"; break; done
if [ "$NODE" = 1 ]; then
	emit node1_rss_kb "$(kb "$node1_pid" VmRSS)"
	for w in $(children "$node2_pid"); do emit node2_worker_rss_kb "$(kb "$w" VmRSS)"; break; done
fi

# ---- ratios and goals ------------------------------------------------------
# A ratio is the median of the per-round ratios (backends measured back to
# back in the same round see the same background load), which with one
# round is simply the ratio of the two figures.
ratio() {   # ratio A B C: A's req/s over B's at C connections
	paste -d' ' <(tr ' ' '\n' <<<"${acc[$1 $3 rps]}" | grep .) \
		<(tr ' ' '\n' <<<"${acc[$2 $3 rps]}" | grep .) |
		awk '{ print ($2 > 0 ? $1 / $2 : 0) }' | median %.2f
}
# The same comparison from CPU cost instead of req/s (backend + nginx + wrk
# + irq/softirq CPU per request, fcgi_null's over sign_s3's): what the req/s ratio would
# be on a machine doing nothing else, as long as the run saturates the CPUs.
# It varies far less with background load than the req/s ratio does.
cpu_per_req() {
	awk -v a="$(val "http_$1_c$2_backend_cpu_us_per_req")" -v b="$(val "http_$1_c$2_nginx_cpu_us_per_req")" \
		-v c="$(val "http_$1_c$2_wrk_cpu_us_per_req")" -v d="$(val "http_$1_c$2_irq_cpu_us_per_req")" \
		'BEGIN { print a + b + c + d }'
}
for c in $CONNS; do
	emit "cpu_ratio_sign_s3_vs_fcgi_null_c$c" "$(awk -v a="$(cpu_per_req fcgi_null "$c")" \
		-v b="$(cpu_per_req sign_s3 "$c")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
for c in $CONNS; do
	emit "ratio_sign_s3_vs_fcgi_null_c$c" "$(ratio sign_s3 fcgi_null "$c")"
	emit "ratio_fcgi_null_vs_static_c$c" "$(ratio fcgi_null static "$c")"
	emit "ratio_sign_s3_vs_libfcgi_null_c$c" "$(ratio sign_s3 libfcgi_null "$c")"
	emit "ratio_sign_s3_sized_vs_sign_s3_c$c" "$(ratio sign_s3_sized sign_s3 "$c")"
	emit "ratio_fcgi_null_vs_libfcgi_null_c$c" "$(ratio fcgi_null libfcgi_null "$c")"
	if [ -n "$BASE_SIGN_S3" ]; then
		emit "ratio_sign_s3_vs_sign_s3_base_c$c" "$(ratio sign_s3 sign_s3_base "$c")"
		emit "ratio_sign_s3_base_vs_fcgi_null_c$c" "$(ratio sign_s3_base fcgi_null "$c")"
	fi
	if [ "$NODE" = 1 ]; then
		emit "ratio_sign_s3_vs_node1_c$c" "$(ratio sign_s3 node1 "$c")"
		emit "ratio_sign_s3_vs_node2_c$c" "$(ratio sign_s3 node2 "$c")"
		emit "ratio_fcgi_null_vs_node2_c$c" "$(ratio fcgi_null node2 "$c")"
		best=$(val "http_node2_c${c}_rps")
		if [ "$NODE_DIRECT" = 1 ]; then
			d=$(val "http_node2_direct_c${c}_rps")
			best=$(awk -v a="$best" -v b="$d" 'BEGIN { print (a > b ? a : b) }')
		fi
		emit "ratio_sign_s3_vs_node_best_c$c" "$(awk -v a="$(val "http_sign_s3_c${c}_rps")" -v b="$best" \
			'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
	fi
done
for c in $CONNS; do
	r=$(val "ratio_sign_s3_vs_fcgi_null_c$c")
	goal "transport_c$c" "$(ge "$r" 0.85)" "sign_s3 at $c connections is $r of the transport ceiling (goal >= 0.85)"
	if [ "$NODE" = 1 ]; then
		r=$(val "ratio_sign_s3_vs_node2_c$c")
		goal "node_c$c" "$(ge "$r" 10)" "sign_s3 at $c connections is ${r}x the 2-process Node peer (goal >= 10)"
	fi
done
for c in $CONNS; do
	r=$(val "ratio_sign_s3_sized_vs_sign_s3_c$c")
	goal "sized_c$c" "$(ge "$r" 0.95)" "signing with file_size and file_md5 at $c connections is $r of signing without (goal >= 0.95)"
done
c0=${CONNS%% *}
p99=$(val "http_sign_s3_c${c0}_p99_ms")
goal "p99_c$c0" "$(lt "$p99" 5)" "sign_s3 p99 at $c0 connections is $p99 ms (goal < 5)"
goal rss "$(lt "$max_rss" 8192)" "sign_s3 worker RSS is $max_rss kB (goal < 8192)"

# ---- table -----------------------------------------------------------------
echo
printf '%-14s %6s %9s %8s %8s %11s %11s %8s\n' backend conns req/s p50_ms p99_ms \
	app_us/req nginx_us/req other%
for c in $CONNS; do
	for b in "${backends[@]}"; do
		printf '%-14s %6s %9s %8s %8s %11s %11s %8s\n' "$b" "$c" "$(val "http_${b}_c${c}_rps")" \
			"$(val "http_${b}_c${c}_p50_ms")" "$(val "http_${b}_c${c}_p99_ms")" \
			"$(val "http_${b}_c${c}_backend_cpu_us_per_req")" \
			"$(val "http_${b}_c${c}_nginx_cpu_us_per_req")" "$(val "http_${b}_c${c}_other_cpu_pct")"
	done
done
echo "(app_us/req, nginx_us/req: CPU per request of the backend's processes and of nginx;"
echo " other%: CPU used by the rest of the machine during the run, % of all cores)"
echo
for c in $CONNS; do
	printf 'c=%-4s sign_s3/fcgi_null %s (goal >= 0.85; by CPU cost %s)   sign_s3/libfcgi_null %s' "$c" \
		"$(val "ratio_sign_s3_vs_fcgi_null_c$c")" "$(val "cpu_ratio_sign_s3_vs_fcgi_null_c$c")" \
		"$(val "ratio_sign_s3_vs_libfcgi_null_c$c")"
	[ "$NODE" = 1 ] && printf '   sign_s3/node1 %s   sign_s3/node2 %s (goal >= 10)   sign_s3/best-node %s' \
		"$(val "ratio_sign_s3_vs_node1_c$c")" "$(val "ratio_sign_s3_vs_node2_c$c")" \
		"$(val "ratio_sign_s3_vs_node_best_c$c")"
	echo
done
for c in $CONNS; do
	echo "c=$c  sign_s3 with file_size + file_md5 / without: $(val "ratio_sign_s3_sized_vs_sign_s3_c$c") (goal >= 0.95)"
done
echo "sign_s3 p99 at $c0 connections: $p99 ms (goal < 5); worker VmRSS max: $max_rss kB (goal < 8192)"
finish_goals
