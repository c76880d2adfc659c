# bench/lib.sh - what bench/http.sh and bench/faults.sh share, sourced by
# both after they set BENCH_NAME (the prefix of their messages):
#   die MSG                 message on stderr, exit 1
#   $tmp                    a temp dir, removed at exit
#   start NAME CMD...       CMD in its own process group (setsid), output to
#                           $tmp/NAME.log, pid in NAME_pid; stopped at exit,
#                           the last started first (nginx before backends)
#   bg_pids+=(PID)          background subshells to kill at exit
#   pick_ports VAR...       a free 127.0.0.1 port into each VAR
#   wait_for WHAT TEST...   TEST until it succeeds, at most 10 s, else die
#   nginx_conf_head         the top of an nginx.conf in $tmp (root, daemon
#                           off, temp paths, Debian's fastcgi_params),
#                           inside an open http { block; @NGINX_WORKERS@
#                           and @TMP@ filled in from $NGINX_WORKERS, $tmp
#   nginx_start CONF        writes CONF to $tmp/nginx.conf, tests it,
#                           starts nginx and waits for its pid file
#   emit NAME VALUE         a "name value" line, on stdout and in $results
#   val NAME                that line's value
#   goal NAME 1|0 TEXT      emits goal_NAME; a 0 clears $ok and says TEXT
#   lt A B, ge A B          1 or 0, for decimals
#   kb PID FIELD            a /proc/PID/status field (VmRSS, VmHWM), in kB
#   children PID            PID's child processes
#   finish_goals            copies $results to $BENCH_OUT (if set), says
#                           whether every goal was met; with BENCH_STRICT=1
#                           a missed goal exits 1
#   write_post_lua FILE     wrk's script POSTing $BODY as application/json;
#                           at the end it prints one line "RESULT key=value
#                           ..." (requests, duration_us, bytes, p50_us,
#                           p90_us, p99_us, max_us, err_connect, err_read,
#                           err_write, err_status, err_timeout)
# On a failing exit the last lines of every $tmp/*.log go to stderr.
# shellcheck shell=bash

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
groups=()     # process groups of everything started (setsid), as "name:pgid"
bg_pids=()    # background subshells of the script (killer loops, probes)

stop_group() {   # stop_group NAME PGID: SIGTERM, then SIGKILL after 5 s
	local name=$1 g=$2
	kill -TERM -- "-$g" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 -- "-$g" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$BENCH_NAME: warning: $name did not stop within 5 s of SIGTERM; killed" >&2
	kill -KILL -- "-$g" 2>/dev/null
	return 0
}

cleanup() {
	local rc=$? e i p
	set +e
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	for ((i = ${#groups[@]} - 1; i >= 0; i--)); do   # nginx first
		e=${groups[i]}
		stop_group "${e%%:*}" "${e#*:}"
	done
	wait 2>/dev/null
	if [ "$rc" != 0 ] && [ -d "$tmp" ]; then
		for f in "$tmp"/*.log; do
			[ -s "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 20 "$f" >&2; }
		done
	fi
	rm -rf "$tmp"
	exit "$rc"
}

start() {   # start NAME CMD...: own process group, output to $tmp/NAME.log
	local name=$1; shift
	setsid "$@" </dev/null >"$tmp/$name.log" 2>&1 &
	groups+=("$name:$!")
	eval "${name}_pid=\$!"
}

trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() {   # pick_ports VAR...: a free loopback port into each
	local v next=$(( 20000 + RANDOM % 20000 ))
	for v in "$@"; do
		while ! port_free "$next"; do next=$((next + 1)); done
		printf -v "$v" %s "$next"
		next=$((next + 1))
	done
}

wait_for() {   # wait_for WHAT TEST...
	local what=$1; shift
	for _ in $(seq 100); do "$@" 2>/dev/null && return 0; sleep 0.1; done
	die "$what did not come up"
}

nginx_conf_head() {
	local head
	head=$(cat <<'EOF'
user root;
worker_processes @NGINX_WORKERS@;
daemon off;
pid @TMP@/nginx.pid;
error_log @TMP@/nginx_error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path @TMP@/client_body;
	proxy_temp_path @TMP@/proxy;
	fastcgi_temp_path @TMP@/fastcgi;
	uwsgi_temp_path @TMP@/uwsgi;
	scgi_temp_path @TMP@/scgi;
	# the parameters of Debian's /etc/nginx/fastcgi_params
	fastcgi_param QUERY_STRING $query_string;
	fastcgi_param REQUEST_METHOD $request_method;
	fastcgi_param CONTENT_TYPE $content_type;
	fastcgi_param CONTENT_LENGTH $content_length;
	fastcgi_param SCRIPT_NAME $fastcgi_script_name;
	fastcgi_param REQUEST_URI $request_uri;
	fastcgi_param DOCUMENT_URI $document_uri;
	fastcgi_param DOCUMENT_ROOT $document_root;
	fastcgi_param SERVER_PROTOCOL $server_protocol;
	fastcgi_param REQUEST_SCHEME $scheme;
	fastcgi_param GATEWAY_INTERFACE CGI/1.1;
	fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;
	fastcgi_param REMOTE_ADDR $remote_addr;
	fastcgi_param REMOTE_PORT $remote_port;
	fastcgi_param SERVER_ADDR $server_addr;
	fastcgi_param SERVER_PORT $server_port;
	fastcgi_param SERVER_NAME $server_name;
	fastcgi_param HTTP_HOST $host;
EOF
)
	head=${head//@TMP@/"$tmp"}
	printf '%s\n' "${head//@NGINX_WORKERS@/"$NGINX_WORKERS"}"
}

nginx_start() {   # nginx_start CONF
	printf '%s\n' "$1" >"$tmp/nginx.conf"
	nginx -e "$tmp/nginx_error.log" -p "$tmp" -c "$tmp/nginx.conf" -t -q 2>"$tmp/nginx_test.log" ||
		die "nginx config test failed: $(cat "$tmp/nginx_test.log")"
	start nginx nginx -e "$tmp/nginx_error.log" -p "$tmp" -c "$tmp/nginx.conf"
	wait_for nginx test -s "$tmp/nginx.pid"
}

results=$tmp/results
: >"$results"
ok=1
emit() { echo "$1 $2" | tee -a "$results"; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$results"; }
goal() {   # goal NAME 1|0 TEXT
	emit "goal_$1" "$2"
	[ "$2" = 1 ] || { ok=0; echo "# goal missed: $3" >&2; }
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? 1 : 0) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b ? 1 : 0) }'; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
children() { cat "/proc/$1/task/$1/children" 2>/dev/null || pgrep -P "$1"; }

finish_goals() {
	[ -n "${BENCH_OUT:-}" ] && cp "$results" "$BENCH_OUT"
	if [ "$ok" = 1 ]; then
		echo "all goals met"
	else
		echo "some goals missed (see above)"
		[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
	fi
	exit 0
}

write_post_lua() {   # write_post_lua FILE
	cat >"$1" <<EOF
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
function done(s, lat, req)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    s.requests, s.duration, s.bytes, lat:percentile(50), lat:percentile(90),
    lat:percentile(99), lat.max, s.errors.connect, s.errors.read, s.errors.write,
    s.errors.status, s.errors.timeout))
end
EOF
}
