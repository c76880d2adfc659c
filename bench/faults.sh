#!/usr/bin/env bash
# bench/faults.sh: sign_s3 as a FastCGI server behind nginx, under load and
# under faults (the same setup as bench/http.sh: nginx in a temp dir, wrk
# POSTing {"file_name":"photo.jpg","file_type":"image/jpeg"}).
#
#   phase 1  load: wrk -c128 for DURATION s; every answer must be 200 (no
#            non-2xx, no socket error), and each worker's VmRSS, sampled
#            after a 2 s warm-up and at the end, grows by < 1024 kB
#   phase 2  kills: wrk -c128 for DURATION s while a loop SIGKILLs a random
#            worker every KILL_EVERY (3) s; failed requests (non-2xx +
#            socket errors) / total must be < 0.1 %. Run twice: "plain"
#            (fastcgi_pass unix:sock, as in nginx.conf.example) and "retry"
#            (an upstream listing the socket twice with
#            `fastcgi_next_upstream error timeout invalid_header
#            non_idempotent`, so nginx resends a request whose worker died;
#            non_idempotent because nginx never resends a POST otherwise).
#            The goal applies to "plain"; "retry" is informative.
#   phase 3  slow clients: (a) a POST through nginx whose body trickles 1
#            byte every 100 ms (~5 s) while curl requests run: every curl
#            must finish in < 100 ms (nginx buffers the body; no worker is
#            held). (b) the same trickle sent straight to the FastCGI socket
#            (a raw FastCGI client, no nginx), with a body padded to take
#            ~9 s: it holds one worker until S3_REQUEST_TIMEOUT (5 s) drops
#            it (unanswered, within 6.5 s), while the other (--workers 2)
#            keeps serving curl through nginx.
#   phase 5  pinning peers: wrk -c128 through nginx for DURATION s while
#            PINS (100) raw connections straight to the FastCGI socket each
#            try to hold a worker the ways issue 15 found (4 bytes of a record header; a
#            PARAMS record declaring 100 bytes and sending 1; PARAMS and no
#            STDIN; a bare connect), each reopened, the next kind, as soon as
#            the worker drops it at S3_REQUEST_TIMEOUT (5 s): the share of
#            wrk's requests that fail must stay under 0.1 % (run before 4).
#            A worker holds 64 connections at once, so 100 pins take 100 of
#            the 128 slots of --workers 2.
#   phase 4  SIGTERM drain: wrk -c4 through nginx, SIGTERM to the listener
#            after 2 s: it must exit within 5 s, no worker left, socket
#            removed, no request dropped in flight (nginx's error log tells
#            "connect() failed" (the socket was closed or gone: expected
#            after the SIGTERM) from answers lost mid-request).
#
# Output: "name value" lines (faults_*; goal_* 1|0), then a summary table.
# Environment: DURATION (60), KILL_EVERY (3), WORKERS (2), NGINX_WORKERS (2), PINS (100),
# THREADS (2), SIGN_S3 (binary), SKIP_BUILD, BENCH_OUT (copy of the lines),
# BENCH_STRICT (0; 1: a missed goal exits 1). Nothing leaves 127.0.0.1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${DURATION:-60}
KILL_EVERY=${KILL_EVERY:-3}
WORKERS=${WORKERS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
THREADS=${THREADS:-2}
PINS=${PINS:-100}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILD=${BUILD:-build}
SIGN_S3=${SIGN_S3:-$root/$BUILD/sign_s3}
PY=/usr/bin/python3
BODY='{"file_name":"photo.jpg","file_type":"image/jpeg"}'

BENCH_NAME=bench-faults
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
for t in nginx wrk curl "$PY"; do
	command -v "$t" >/dev/null || die "$t is not installed"
done

if [ -z "${SKIP_BUILD:-}" ]; then
	make -C "$root" -s "$BUILD/sign_s3" >&2
fi
[ -x "$SIGN_S3" ] || die "$SIGN_S3 missing"

pick_ports P_PLAIN P_RETRY

export AWS_EC2_METADATA_DISABLED=true
app_env=(env -i PATH="$PATH" S3_BUCKET=bkt1 AWS_ACCESS_KEY_ID=AKID
	AWS_SECRET_ACCESS_KEY=secret AWS_EC2_METADATA_DISABLED=true)
sock=$tmp/sign_s3.sock

start sign_s3 "${app_env[@]}" "$SIGN_S3" --listen "unix:$sock" --workers "$WORKERS"
wait_for sign_s3 test -S "$sock"

conf=$(nginx_conf_head; cat <<'EOF'
	# the same socket twice, so that nginx can resend a request whose worker
	# died (max_fails=0: a failure never takes an entry out of rotation)
	upstream sign_s3_retry {
		server unix:@SOCK@ max_fails=0;
		server unix:@SOCK@ max_fails=0;
	}
	server {
		listen 127.0.0.1:@P_PLAIN@;
		location = /api/sign_s3 { fastcgi_pass unix:@SOCK@; }
	}
	server {
		listen 127.0.0.1:@P_RETRY@;
		location = /api/sign_s3 {
			fastcgi_pass sign_s3_retry;
			fastcgi_next_upstream error timeout invalid_header non_idempotent;
			fastcgi_next_upstream_tries 2;
		}
	}
}
EOF
)
conf=${conf//@TMP@/"$tmp"}
conf=${conf//@SOCK@/"$sock"}
conf=${conf//@P_PLAIN@/"$P_PLAIN"}
conf=${conf//@P_RETRY@/"$P_RETRY"}
nginx_start "$conf"

url=http://127.0.0.1:$P_PLAIN/api/sign_s3
url_retry=http://127.0.0.1:$P_RETRY/api/sign_s3
check() {   # check URL: one request answers 200 with a presigned PUT URL
	local code
	code=$(curl -s -m 5 -o "$tmp/check" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$BODY" "$1") || return 1
	[ "$code" = 200 ] && grep -q 'X-Amz-SignedHeaders=content-type' "$tmp/check"
}
wait_for "sign_s3 through nginx" check "$url"
wait_for "sign_s3 through nginx (retry upstream)" check "$url_retry"

write_post_lua "$tmp/post.lua"


# shellcheck disable=SC2154 # set by start()
workers() { children "$sign_s3_pid" | tr ' ' '\n' | grep . | sort -n; }
nginx_log_mark() { wc -l <"$tmp/nginx_error.log" 2>/dev/null || echo 0; }
nginx_log_since() { tail -n +"$(( $1 + 1 ))" "$tmp/nginx_error.log" 2>/dev/null; }

declare -A R=()
run_wrk() {   # run_wrk TAG CONNS SECONDS URL: parses wrk's RESULT line into R[]
	local t=$THREADS out=$tmp/wrk.$1 kv errs
	[ "$2" -lt "$t" ] && t=$2
	timeout $(( $3 + 30 )) wrk -t"$t" -c"$2" -d"$3"s --timeout 10s --latency -s "$tmp/post.lua" "$4" \
		>"$out" 2>&1 || die "wrk failed ($1): $(tail -3 "$out")"
	grep -q '^RESULT ' "$out" || die "no result from wrk ($1)"
	R=()
	for kv in $(sed -n 's/^RESULT //p' "$out"); do R[${kv%%=*}]=${kv#*=}; done
	errs=$(( R[err_connect] + R[err_read] + R[err_write] + R[err_timeout] ))
	R[socket_errors]=$errs
	R[failed]=$(( errs + R[err_status] ))
	R[rps]=$(awk -v n="${R[requests]}" -v d="${R[duration_us]}" 'BEGIN { printf "%.0f", n / (d / 1e6) }')
}

echo "# bench-faults, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, nginx $(nginx -v 2>&1 | sed 's/.*\///'), sign_s3 --workers $WORKERS, DURATION ${DURATION}s"
emit faults_duration_s "$DURATION"
emit faults_workers "$WORKERS"

# ---- phase 1: load, RSS ----------------------------------------------------
run_wrk warmup 32 2 "$url"
mapfile -t w0 < <(workers)
[ "${#w0[@]}" = "$WORKERS" ] || die "expected $WORKERS workers, found ${#w0[@]}"
declare -A rss0=()
for w in "${w0[@]}"; do rss0[$w]=$(kb "$w" VmRSS); done
run_wrk load 128 "$DURATION" "$url"
mapfile -t w1 < <(workers)
emit faults_load_requests "${R[requests]}"
emit faults_load_rps "${R[rps]}"
emit faults_load_p99_ms "$(awk -v v="${R[p99_us]}" 'BEGIN { printf "%.2f", v / 1000 }')"
emit faults_load_non2xx "${R[err_status]}"
emit faults_load_socket_errors "${R[socket_errors]}"
same=1; [ "${w0[*]}" = "${w1[*]}" ] || same=0
emit faults_load_workers_unchanged "$same"
growth_max=0; rss_end_max=0; i=0
for w in "${w0[@]}"; do
	r1=$(kb "$w" VmRSS); r1=${r1:-0}
	g=$(( r1 - rss0[$w] ))
	emit "faults_load_worker${i}_rss_start_kb" "${rss0[$w]}"
	emit "faults_load_worker${i}_rss_end_kb" "$r1"
	[ "$g" -gt "$growth_max" ] && growth_max=$g
	[ "$r1" -gt "$rss_end_max" ] && rss_end_max=$r1
	i=$((i + 1))
done
emit faults_load_rss_growth_kb_max "$growth_max"
goal load_no_errors "$([ "${R[failed]}" = 0 ] && echo 1 || echo 0)" \
	"phase 1: ${R[err_status]} non-2xx answers, ${R[socket_errors]} socket errors (goal 0)"
goal load_rss_growth "$([ "$same" = 1 ] && lt "$growth_max" 1024 || echo 0)" \
	"phase 1: worker VmRSS grew by $growth_max kB (goal < 1024; workers unchanged: $same)"

# ---- phase 2: SIGKILL a worker every KILL_EVERY s --------------------------
killer() {   # killer LOG: every KILL_EVERY s, SIGKILL one worker at random
	local log=$1 ws n v
	sleep "$KILL_EVERY"
	while :; do
		mapfile -t ws < <(workers)
		n=${#ws[@]}
		echo "seen ${ws[*]}" >>"$log"
		if [ "$n" -gt 0 ]; then
			v=${ws[RANDOM % n]}
			kill -KILL "$v" 2>/dev/null && echo "killed $v" >>"$log"
		fi
		sleep "$KILL_EVERY"
	done
}
kill_phase() {   # kill_phase TAG URL
	local tag=$1 log=$tmp/killer.$1 mark kp killed distinct respawns now fr
	: >"$log"
	mark=$(nginx_log_mark)
	killer "$log" &
	kp=$!
	bg_pids+=("$kp")
	run_wrk "kill_$tag" 128 "$DURATION" "$2"
	kill "$kp" 2>/dev/null; wait "$kp" 2>/dev/null || true
	sleep 0.5
	echo "seen $(workers | tr '\n' ' ')" >>"$log"
	killed=$(grep -c '^killed ' "$log" || true)
	# every pid ever seen minus the first WORKERS: the respawned workers
	distinct=$(sed -n 's/^seen //p' "$log" | tr ' ' '\n' | grep . | sort -u | wc -l)
	respawns=$(( distinct - WORKERS ))
	now=$(workers | wc -l)
	fr=$(awk -v f="${R[failed]}" -v n="${R[requests]}" 'BEGIN { printf "%.4f", (n > 0 ? 100 * f / n : 100) }')
	emit "faults_kill_${tag}_requests" "${R[requests]}"
	emit "faults_kill_${tag}_rps" "${R[rps]}"
	emit "faults_kill_${tag}_non2xx" "${R[err_status]}"
	emit "faults_kill_${tag}_socket_errors" "${R[socket_errors]}"
	emit "faults_kill_${tag}_failed" "${R[failed]}"
	emit "faults_kill_${tag}_failed_pct" "$fr"
	emit "faults_kill_${tag}_kills" "$killed"
	emit "faults_kill_${tag}_respawns_seen" "$respawns"
	emit "faults_kill_${tag}_workers_after" "$now"
	emit "faults_kill_${tag}_nginx_upstream_errors" \
		"$(nginx_log_since "$mark" | grep -c 'upstream' || true)"
	[ "$now" = "$WORKERS" ] || echo "# phase 2 ($tag): $now workers after the run (expected $WORKERS)" >&2
}
kill_phase plain "$url"
goal kill_failed "$(lt "$(val faults_kill_plain_failed_pct)" 0.1)" \
	"phase 2: $(val faults_kill_plain_failed) of $(val faults_kill_plain_requests) requests failed under SIGKILLs (goal < 0.1 %)"
goal kill_respawn "$([ "$(val faults_kill_plain_respawns_seen)" -ge "$(val faults_kill_plain_kills)" ] &&
	[ "$(val faults_kill_plain_workers_after)" = "$WORKERS" ] && echo 1 || echo 0)" \
	"phase 2: $(val faults_kill_plain_kills) kills, $(val faults_kill_plain_respawns_seen) respawns seen"
kill_phase retry "$url_retry"
sleep 1

# ---- phase 3: slow clients -------------------------------------------------
cat >"$tmp/slow.py" <<'EOF'
# slow.py http HOST PORT BODY | slow.py fcgi SOCKET BODY: send BODY one byte
# every 0.1 s; print "status <code> seconds <s>" once answered
import socket, struct, sys, time
mode = sys.argv[1]
t0 = time.monotonic()
def trickle(send, data):
    for b in data:
        send(bytes([b])); time.sleep(0.1)
if mode == "http":
    host, port, body = sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
    s = socket.create_connection((host, port))
    s.sendall(("POST /api/sign_s3 HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n" % (host, len(body))).encode())
    trickle(s.sendall, body)
    resp = b""
    while True:
        d = s.recv(65536)
        if not d: break
        resp += d
    code = resp.split(b" ", 2)[1].decode() if resp.startswith(b"HTTP/") else "none"
else:
    path, body = sys.argv[2], sys.argv[3].encode()
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    def rec(t, c): return struct.pack(">BBHHBx", 1, t, 1, len(c), 0) + c
    def nv(k, v):
        k, v = k.encode(), v.encode()
        return bytes([len(k), len(v)]) + k + v
    params = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json",
              "CONTENT_LENGTH": str(len(body)), "REQUEST_URI": "/api/sign_s3",
              "SCRIPT_NAME": "/api/sign_s3", "SERVER_PROTOCOL": "HTTP/1.1",
              "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"}
    p = b"".join(nv(k, v) for k, v in params.items())
    s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, p) + rec(4, b""))
    try:   # the worker drops a peer this slow at S3_REQUEST_TIMEOUT
        trickle(lambda c: s.sendall(rec(5, c)), body)
        s.sendall(rec(5, b""))
    except OSError:
        pass
    out, buf, ended = b"", b"", False
    while not ended:
        try: d = s.recv(65536)
        except OSError: d = b""
        if not d: break
        buf += d
        while len(buf) >= 8:
            _, t, _, cl, pl = struct.unpack(">BBHHB", buf[:7])
            if len(buf) < 8 + cl + pl: break
            if t == 6: out += buf[8:8 + cl]
            buf = buf[8 + cl + pl:]
            if t == 3: ended = True
    code = "none"
    for line in out.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            code = line.split()[1].decode(); break
print("status %s seconds %.2f" % (code, time.monotonic() - t0))
EOF
slow_phase() {   # slow_phase TAG SLOW-ARGS...: curls meanwhile; sets S_* figures
	local tag=$1 sp n=0 bad=0 maxms=0 code ms
	shift
	"$PY" "$tmp/slow.py" "$@" >"$tmp/slow.$tag" 2>&1 &
	sp=$!
	bg_pids+=("$sp")
	sleep 0.5
	while kill -0 "$sp" 2>/dev/null && [ "$n" -lt 200 ]; do
		read -r code ms < <(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}\n' \
			-H 'Content-Type: application/json' --data-binary "$BODY" "$url" || echo "000 5")
		ms=$(awk -v s="$ms" 'BEGIN { printf "%.0f", s * 1000 }')
		n=$((n + 1))
		[ "$code" = 200 ] || bad=$((bad + 1))
		[ "$ms" -gt "$maxms" ] && maxms=$ms
		sleep 0.05
	done
	wait "$sp" || true
	read -r _ scode _ ssec <"$tmp/slow.$tag" || { scode=none; ssec=0; }
	emit "faults_slow_${tag}_client_status" "$scode"
	emit "faults_slow_${tag}_client_seconds" "$ssec"
	emit "faults_slow_${tag}_curls" "$n"
	emit "faults_slow_${tag}_curls_non200" "$bad"
	emit "faults_slow_${tag}_curl_max_ms" "$maxms"
}
slow_phase nginx http 127.0.0.1 "$P_PLAIN" "$BODY"
goal slow_nginx "$([ "$(val faults_slow_nginx_curls_non200)" = 0 ] && [ "$(val faults_slow_nginx_curls)" -gt 0 ] &&
	[ "$(val faults_slow_nginx_client_status)" = 200 ] && lt "$(val faults_slow_nginx_curl_max_ms)" 100 || echo 0)" \
	"phase 3: with a slow client on nginx, curl max $(val faults_slow_nginx_curl_max_ms) ms, $(val faults_slow_nginx_curls_non200) non-200 (goal < 100 ms, 0)"
# a body that takes ~9 s to trickle: the worker must drop it at 5 s
slow_phase fcgi fcgi "$sock" '{"file_name":"photo.jpg","file_type":"image/jpeg","pad":"0123456789012345678901234567890123456789"}'
goal slow_fcgi_direct "$([ "$(val faults_slow_fcgi_curls_non200)" = 0 ] && [ "$(val faults_slow_fcgi_curls)" -gt 0 ] &&
	[ "$(val faults_slow_fcgi_client_status)" = none ] && [ "$(lt "$(val faults_slow_fcgi_client_seconds)" 6.5)" = 1 ] &&
	lt "$(val faults_slow_fcgi_curl_max_ms)" 100 || echo 0)" \
	"phase 3: with a slow FastCGI client holding a worker (dropped at the deadline: status $(val faults_slow_fcgi_client_status) after $(val faults_slow_fcgi_client_seconds) s), curl max $(val faults_slow_fcgi_curl_max_ms) ms, $(val faults_slow_fcgi_curls_non200) non-200"

# ---- phase 5: pinning peers under load -------------------------------------
cat >"$tmp/pin.py" <<'EOF'
# pin.py SOCKET N SECONDS: keep N connections pinning a worker each, reopened
# as soon as dropped; prints "pins <opened> dropped <closed by the server>"
import socket, struct, sys, time, selectors
path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def rec(t, c, pad=0): return struct.pack(">BBHHBx", 1, t, 1, len(c), pad) + c
begin = rec(1, struct.pack(">HB5x", 1, 0))
nv = lambda k, v: bytes([len(k), len(v)]) + k + v
params = b"".join(nv(k, v) for k, v in [(b"REQUEST_METHOD", b"POST"), (b"CONTENT_LENGTH", b"10"),
                                        (b"CONTENT_TYPE", b"application/json")])
kinds = [begin[:4], begin + struct.pack(">BBHHBx", 1, 4, 1, 100, 0) + b"x",
         begin + rec(4, params) + rec(4, b""), b""]
sel, opened, dropped, k = selectors.DefaultSelector(), 0, 0, 0
def pin():
    global opened, k
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    if kinds[k % 4]: s.sendall(kinds[k % 4])
    k += 1; opened += 1
    sel.register(s, selectors.EVENT_READ)
for _ in range(n): pin()
end = time.monotonic() + secs
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.1):
        try: d = key.fileobj.recv(4096)
        except OSError: d = b""
        if not d:
            sel.unregister(key.fileobj); key.fileobj.close(); dropped += 1; pin()
print("pins %d dropped %d" % (opened, dropped))
EOF
"$PY" "$tmp/pin.py" "$sock" "$PINS" "$(( DURATION + 2 ))" >"$tmp/pin.out" 2>&1 &
pp=$!
bg_pids+=("$pp")
sleep 1
run_wrk pin 128 "$DURATION" "$url"
wait "$pp" || true
read -r _ popened _ pdropped <"$tmp/pin.out" || { popened=0; pdropped=0; }
emit faults_pin_requests "${R[requests]}"
emit faults_pin_rps "${R[rps]}"
emit faults_pin_non2xx "${R[err_status]}"
emit faults_pin_socket_errors "${R[socket_errors]}"
emit faults_pin_failed "${R[failed]}"
emit faults_pin_pins_opened "$popened"
emit faults_pin_pins_dropped "$pdropped"
pin_pct=$(awk -v f="${R[failed]}" -v n="${R[requests]}" 'BEGIN { printf "%.4f", n ? 100 * f / n : 100 }')
emit faults_pin_failed_pct "$pin_pct"
pin_ok=$(lt "$pin_pct" 0.1)
[ "${R[requests]}" -gt 0 ] && [ "$pdropped" -gt 0 ] || pin_ok=0
goal pin "$pin_ok" \
	"phase 5: with $PINS pinning peers, $(val faults_pin_failed) of $(val faults_pin_requests) requests failed ($pin_pct %; goal < 0.1 %), $pdropped pins dropped at the deadline"

# ---- phase 4: SIGTERM drain under load -------------------------------------
mark=$(nginx_log_mark)
mapfile -t wd < <(workers)
( run_wrk drain 4 4 "$url"; echo "${R[requests]} ${R[err_status]} ${R[socket_errors]}" >"$tmp/drain.wrk" ) &
dp=$!
bg_pids+=("$dp")
sleep 2
t0=$(date +%s%N)
kill -TERM "$sign_s3_pid"
exit_ms=-1
for _ in $(seq 200); do   # up to 20 s; a zombie (not yet reaped) counts as exited
	st=$(awk '{ print $3 }' "/proc/$sign_s3_pid/stat" 2>/dev/null || echo gone)
	if [ "$st" = gone ] || [ "$st" = Z ]; then
		exit_ms=$(( ($(date +%s%N) - t0) / 1000000 )); break
	fi
	sleep 0.05
done
wait "$sign_s3_pid" 2>/dev/null && drain_rc=0 || drain_rc=$?
wait "$dp" || true
left=0
for w in "${wd[@]}"; do
	st=$(awk '{ print $3 }' "/proc/$w/stat" 2>/dev/null || echo gone)
	if [ "$st" != gone ] && [ "$st" != Z ]; then left=$((left + 1)); fi
done
left=$(( left + $( (pgrep -g "$sign_s3_pid" 2>/dev/null || true) | wc -l) ))
sock_left=0; [ -e "$sock" ] && sock_left=1
read -r dreq dnon2xx dsock <"$tmp/drain.wrk" || { dreq=0; dnon2xx=0; dsock=0; }
lost=$(nginx_log_since "$mark" | grep 'upstream' | grep -vc 'connect() to unix' || true)
nginx_log_since "$mark" | grep 'upstream' | grep -v 'connect() to unix' |
	sed -e 's/^[^*]*\*[0-9]* //' -e 's/, client:.*//' | sort | uniq -c | sed 's/^/# phase 4, nginx: /' >&2 || true
refused=$(nginx_log_since "$mark" | grep -c 'connect() to unix' || true)
emit faults_drain_exit_ms "$exit_ms"
emit faults_drain_exit_status "$drain_rc"
emit faults_drain_workers_left "$left"
emit faults_drain_socket_left "$sock_left"
emit faults_drain_requests "$dreq"
emit faults_drain_non2xx "$dnon2xx"
emit faults_drain_socket_errors "$dsock"
emit faults_drain_nginx_connect_failed "$refused"
emit faults_drain_nginx_lost_in_flight "$lost"
goal drain "$([ "$exit_ms" -ge 0 ] && [ "$exit_ms" -lt 5000 ] && [ "$drain_rc" = 0 ] && [ "$left" = 0 ] &&
	[ "$sock_left" = 0 ] && [ "$lost" = 0 ] && echo 1 || echo 0)" \
	"phase 4: exit in $exit_ms ms (status $drain_rc), $left workers left, socket left $sock_left, $lost requests lost in flight"

# ---- summary ---------------------------------------------------------------
echo
printf '%-34s %s\n' "phase" "figures"
printf '%-34s %s\n' "1 load, wrk -c128 ${DURATION}s" \
	"$(val faults_load_requests) req, $(val faults_load_rps) req/s, p99 $(val faults_load_p99_ms) ms, non-2xx $(val faults_load_non2xx), socket errors $(val faults_load_socket_errors), worker RSS growth max $(val faults_load_rss_growth_kb_max) kB"
for tag in plain retry; do
	printf '%-34s %s\n' "2 SIGKILL every ${KILL_EVERY}s ($tag)" \
		"$(val "faults_kill_${tag}_failed") failed of $(val "faults_kill_${tag}_requests") ($(val "faults_kill_${tag}_failed_pct") %), $(val "faults_kill_${tag}_kills") kills, $(val "faults_kill_${tag}_respawns_seen") respawns, $(val "faults_kill_${tag}_rps") req/s"
done
printf '%-34s %s\n' "3 slow body via nginx" \
	"slow client $(val faults_slow_nginx_client_status) after $(val faults_slow_nginx_client_seconds) s; $(val faults_slow_nginx_curls) curls meanwhile, max $(val faults_slow_nginx_curl_max_ms) ms, non-200 $(val faults_slow_nginx_curls_non200)"
printf '%-34s %s\n' "3 slow body on the FastCGI socket" \
	"slow client $(val faults_slow_fcgi_client_status) after $(val faults_slow_fcgi_client_seconds) s; $(val faults_slow_fcgi_curls) curls meanwhile, max $(val faults_slow_fcgi_curl_max_ms) ms, non-200 $(val faults_slow_fcgi_curls_non200)"
printf '%-34s %s\n' "5 $PINS pinning peers, wrk -c128 ${DURATION}s" \
	"$(val faults_pin_failed) failed of $(val faults_pin_requests) ($(val faults_pin_failed_pct) %), $(val faults_pin_rps) req/s, $(val faults_pin_pins_dropped) pins dropped"
printf '%-34s %s\n' "4 SIGTERM under wrk -c4" \
	"exit in $(val faults_drain_exit_ms) ms, workers left $(val faults_drain_workers_left), socket left $(val faults_drain_socket_left), $(val faults_drain_requests) req, non-2xx $(val faults_drain_non2xx) (connect() failed after close: $(val faults_drain_nginx_connect_failed), lost in flight: $(val faults_drain_nginx_lost_in_flight))"
echo
finish_goals
