#!/usr/bin/python3
# nginx_integration.py - sign_s3 behind a real nginx, in its three FastCGI modes.
#
# nginx runs on a config DERIVED from <repo>/nginx.conf.example: the listen
# address, the fastcgi_pass socket and the web root are replaced (each must
# occur exactly once, so the example cannot drift away from what is tested),
# wrapped in a minimal main config whose pid, logs and temp paths are all in
# a temp dir, on a free 127.0.0.1 port. Run as root (as in CI), nginx's
# workers are www-data, as deployed: they reach sign_s3's socket (mode
# 0660) through its group, given with --socket-group www-data (spawn-fcgi:
# -M 0660 -G www-data); b checks the workers' uid and the socket's mode and
# group. Phases:
#
#   a  spawn-fcgi -n -s SOCK -- sign_s3         (listening socket on stdin);
#      the example's commented allow/deny lines are switched on here
#   b  sign_s3 --listen unix:SOCK --workers 2   (own prefork listener)
#   c  sign_s3 --listen 127.0.0.1:PORT --workers 2
#
# Each phase: POST JSON / POST form / chunked POST / GET -> 200 with the JSON
# shape, and every signed_request recomputed with botocore
# (tests/lib/verify_sig.py); 400, 405 + Allow, 415, 413 from sign_s3 (its
# S3_MAX_BODY is set lower than nginx's 16k) and 413 from nginx itself
# (mapped to JSON by the example); one log line on sign_s3's stderr per
# refused request in the documented format, none per signed one, and
# nothing of sign_s3 in nginx's error log. Plus: a: 403 JSON for a denied
# address, the static page, a request whose body is still arriving when
# SIGTERM comes (drain), 503 JSON once sign_s3 is gone; b: SIGKILL of a
# worker -> respawned, requests still answered, drain, then SIGTERM: the
# parent exits, the socket file is removed, no worker is left; c: the rate
# limit (429 JSON), SIGTERM; d: the example's commented auth_request
# setup switched on, with a small auth service here (a session cookie
# names the user) and sign_s3 with S3_REQUIRE_USER=1 and
# S3_KEY_PREFIX=users/{user}/: no session -> nginx's 401 as JSON, a
# session -> the user's own prefix, a client's "Authorization: Basic" name
# (fastcgi_params' $remote_user) never wins over the auth service's.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP (the plan comes last). Exit 0 only when every test passes.
# Every process started is killed by PID at exit; nothing outside a mktemp
# dir is written; only 127.0.0.1 is used.

import base64
import http.server
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest  # noqa: E402
from itest import (  # noqa: E402
    API, PIDS, REPO, SIGN_S3, alive, bail, can_connect, check_200,
    check_error, children, drain_check, finish, free_port, hreq, kill_tree,
    http_checks, need_exe, note, ok, post_json, read_lines, sign_s3_env,
    start, stop_proc, wait_for)

NGINX = shutil.which('nginx') or '/usr/sbin/nginx'
SPAWN_FCGI = shutil.which('spawn-fcgi') or '/usr/bin/spawn-fcgi'
EXAMPLE = os.path.join(REPO, 'nginx.conf.example')
FASTCGI_PARAMS = '/etc/nginx/fastcgi_params'
MIME_TYPES = '/etc/nginx/mime.types'
ROOT = os.geteuid() == 0
WEB_USER = 'www-data'
# what lets nginx's workers (www-data when root) connect to a 0660 socket
# (not root: everything runs as us, the socket's owner)
SOCKET_OPTS = ['--socket-group', WEB_USER] if ROOT else []
SPAWN_FCGI_OPTS = ['-M', '0660', '-G', WEB_USER] if ROOT else []
# nginx's own body limit (client_max_body_size in the example), its 413 as JSON
NGINX_FRONT = {'name': 'nginx', 'limit': 16384, 'json': True,
               'message': 'request body too large'}

# ---- nginx ----------------------------------------------------------------------


SUBS = [
    ('listen 80;', 'listen 127.0.0.1:{port};'),
    ('listen [::]:80;', ''),
    ('fastcgi_pass unix:/run/sign_s3/sign_s3.sock;', 'fastcgi_pass {backend};'),
    ('root /var/www/sign_s3;', 'root {root};'),
]
ACL_RE = re.compile(r'^(\s*)# ((?:allow|deny) [^\s;]+;)\s*$', re.M)
# the auth_request example: its directives, and the /_sign_s3_auth location
AUTH_RE = re.compile(r'^(\s*)# ((?:auth_request|auth_request_set|error_page 401|'
                     r'fastcgi_param REMOTE_USER)\s[^\n]*;)\s*$', re.M)
AUTH_LOC_RE = re.compile(r'^    # (location = /_sign_s3_auth \{\n)((?:    #     [^\n]*\n)+)'
                         r'    # (\})\n', re.M)
AUTH_PASS = 'proxy_pass http://127.0.0.1:8080/auth/check;'


def switch_on_auth(text, auth_port):
    """The example's commented auth_request lines switched on, the auth
    service on auth_port; None + reason if they are not all there."""
    text, n = AUTH_RE.subn(r'\1\2', text)
    if n != 4:
        return None, 'nginx.conf.example: %d of the 4 commented auth_request lines' % n
    text, n = AUTH_LOC_RE.subn(
        lambda m: '    ' + m.group(1) + re.sub(r'(?m)^    #     ', '        ', m.group(2)) +
        '    ' + m.group(3) + '\n', text)
    if n != 1 or text.count(AUTH_PASS) != 1:
        return None, 'nginx.conf.example: no commented /_sign_s3_auth location with %r' \
            % AUTH_PASS
    return text.replace(AUTH_PASS, AUTH_PASS.replace('8080', str(auth_port))), None


# the locations passing to sign_s3: /api/sign_s3, /api/s3/ (Uppy's routes)
# and /api/sign_s3/status (tests/status_page.py)
FASTCGI_PASSES = 3


def derive(text, port, backend, root, acl, auth_port=None):
    """The example with the test's port, socket and root; None + reason if a
    marker is missing."""
    for old, new in SUBS:
        n = text.count(old)
        # fastcgi_pass: once per location that passes to sign_s3
        want = FASTCGI_PASSES if old.startswith('fastcgi_pass') else 1
        if n != want:
            return None, 'nginx.conf.example has %d x %r (want exactly %d)' % (n, old, want)
        text = text.replace(old, new.format(port=port, backend=backend, root=root))
    if acl:
        text, n = ACL_RE.subn(r'\1\2', text)
        if n < 2 or 'deny all;' not in text:
            return None, 'no commented allow/deny lines to switch on'
    if auth_port is not None:
        return switch_on_auth(text, auth_port)
    return text, None


def nginx_main_conf(d, site):
    # as deployed: started as root, nginx's workers run as www-data and
    # reach sign_s3's 0660 socket through its group (SOCKET_OPTS)
    user = 'user %s;\n' % WEB_USER if ROOT else ''
    return ('%s'
            'worker_processes 1;\n'
            'daemon off;\n'
            'master_process on;\n'
            'pid {d}/nginx.pid;\n'
            'error_log {d}/error.log warn;\n'
            'events {{ worker_connections 256; }}\n'
            'http {{\n'
            '    include {mime};\n'
            '    default_type application/octet-stream;\n'
            '    access_log {d}/access.log;\n'
            '    client_body_temp_path {d}/client_body_temp;\n'
            '    fastcgi_temp_path {d}/fastcgi_temp;\n'
            '    proxy_temp_path {d}/proxy_temp;\n'
            '    uwsgi_temp_path {d}/uwsgi_temp;\n'
            '    scgi_temp_path {d}/scgi_temp;\n'
            '    include {site};\n'
            '}}\n' % user).format(d=d, site=site, mime=MIME_TYPES)


def nginx_dir(name):
    d = os.path.join(itest.TMP, 'nginx-' + name)
    os.makedirs(d)
    # the example says `include fastcgi_params;`: relative to the conf dir
    shutil.copy(FASTCGI_PARAMS, os.path.join(d, 'fastcgi_params'))
    return d


def nginx_test(d, site_text):
    site = os.path.join(d, 'site.conf')
    with open(site, 'w') as f:
        f.write(site_text)
    conf = os.path.join(d, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write(nginx_main_conf(d, site))
    p = subprocess.run([NGINX, '-t', '-q', '-p', d + '/', '-e', d + '/startup.log',
                        '-c', conf], capture_output=True, timeout=20)
    return p.returncode == 0, (p.stdout + p.stderr).decode('utf-8', 'replace')


class Nginx:
    def __init__(self, name, backend, root, acl=False, auth_port=None):
        self.d = nginx_dir(name)
        self.port = free_port()
        self.error_log = os.path.join(self.d, 'error.log')
        with open(EXAMPLE) as f:
            text, why = derive(f.read(), self.port, backend, root, acl, auth_port)
        if text is None:
            bail(why)
        good, out = nginx_test(self.d, text)
        ok(good, '%s: nginx -t accepts the config derived from nginx.conf.example'
           % name, [out] if not good else [])
        if not good:
            bail('nginx config refused')
        self.p = start([NGINX, '-p', self.d + '/', '-e', self.d + '/startup.log',
                        '-c', os.path.join(self.d, 'nginx.conf')],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(self.d, 'stderr.log'), 'wb'))
        up = wait_for(lambda: self.p.poll() is None and
                      can_connect(('127.0.0.1', self.port)), 10)
        if not up:
            bail('%s: nginx did not start: %s' % (
                name, '\n'.join(read_lines(self.error_log) +
                                read_lines(os.path.join(self.d, 'stderr.log')))))
        PIDS.update(children(self.p.pid))

    def stop(self):
        PIDS.update(children(self.p.pid))
        stop_proc(self.p, signal.SIGTERM, 5)

    def error_lines(self):
        return read_lines(self.error_log)


# nginx's own refusals the tests provoke on purpose, logged at [error]
EXPECTED_NGINX_ERRORS = ('client intended to send too large',
                         'access forbidden by rule',
                         'limiting requests')


def check_nginx_log(ph, ngx):
    lines = ngx.error_lines()
    leaked = [ln for ln in lines if 'FastCGI sent in stderr' in ln or 'sign_s3[' in ln]
    ok(not leaked, '%s: nothing of sign_s3 in nginx\'s error log (not on the '
       'FastCGI stderr stream)' % ph, leaked[:5])
    bad = [ln for ln in lines if re.search(r'\[(error|crit|alert|emerg)\]', ln)
           and not any(e in ln for e in EXPECTED_NGINX_ERRORS)]
    ok(not bad, '%s: no unexpected errors in nginx\'s error log' % ph, bad[:5])

def web_root():
    www = os.path.join(REPO, 'www')
    if os.path.isfile(os.path.join(www, 'index.html')):
        return www, None
    d = os.path.join(itest.TMP, 'www')
    os.makedirs(d, exist_ok=True)
    marker = 'sign_s3 demo page stub'
    with open(os.path.join(d, 'index.html'), 'w') as f:
        f.write('<!doctype html><title>%s</title>\n' % marker)
    return d, marker


def phase_a():
    ph = 'a spawn-fcgi'
    sock = os.path.join(itest.TMP, 'a.sock')
    log = os.path.join(itest.TMP, 'a-sign_s3.log')
    p = start([SPAWN_FCGI, '-n', '-s', sock] + SPAWN_FCGI_OPTS + ['--', SIGN_S3],
              env=sign_s3_env(),
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=open(log, 'wb'))
    up = wait_for(lambda: p.poll() is None and can_connect(sock), 10)
    if not ok(up, '%s: sign_s3 under spawn-fcgi -n is up on %s' % (ph, sock),
              read_lines(log)[:10]):
        return
    root, marker = web_root()
    ngx = Nginx('a', 'unix:' + sock, root, acl=True)
    http_checks(ph, ngx.port, log, lambda: [p.pid], front=NGINX_FRONT)

    r = hreq(ngx.port, 'GET', '/')
    good = r.status == 200 and r.headers.get('content-type', '').startswith('text/html') \
        and (marker is None or marker.encode() in r.body)
    ok(good, '%s: GET / serves the demo page from %s' % (ph, root), [repr(r)] if not good else [])
    check_error('%s: allow/deny switched on: a denied address (127.0.0.2) gets 403 JSON'
                % ph, post_json(ngx.port, {'file_name': 'x.png'}, src='127.0.0.2'),
                403, 'Forbidden')
    check_200('%s: ... and an allowed one (127.0.0.1) still 200' % ph,
              post_json(ngx.port, {'file_name': 'y.png', 'file_type': 'image/png'}),
              'image/png')
    check_nginx_log(ph, ngx)

    drain_check(ph, sock, p.pid, p)
    try:
        p.wait(timeout=5)
        exited = True
    except subprocess.TimeoutExpired:
        exited = False
    ok(exited and p.returncode == 0, '%s: sign_s3 exits 0 within 5 s of SIGTERM'
       % ph, [] if exited else ['still running'])
    kill_tree(p)
    check_error('%s: with sign_s3 gone, nginx answers 503 JSON (502 mapped)' % ph,
                post_json(ngx.port, {'file_name': 'z.png'}), 503,
                'Service Unavailable')
    ngx.stop()


def listen_stop_check(ph, p, sock_path):
    kids = children(p.pid)
    PIDS.update(kids)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
        exited = True
    except subprocess.TimeoutExpired:
        exited = False
    diag = [] if exited else ['parent %d still running 5 s after SIGTERM; workers '
                              '%r alive: %r' % (p.pid, kids, [k for k in kids if alive(k)])]
    ok(exited and p.returncode == 0,
       '%s: SIGTERM: the parent exits 0 within 5 s' % ph, diag)
    left = wait_for(lambda: [k for k in kids if alive(k)] == [], 2)
    ok(left, '%s: no worker remains after SIGTERM' % ph,
       [] if left else ['alive: %r' % [k for k in kids if alive(k)]])
    if sock_path is not None:
        gone = wait_for(lambda: not os.path.exists(sock_path), 1)
        ok(gone, '%s: the socket file is removed' % ph)
    kill_tree(p)


def start_listener(ph, addr, log):
    opts = SOCKET_OPTS if addr.startswith('unix:') else []
    p = start([SIGN_S3, '--listen', addr, '--workers', '2'] + opts, env=sign_s3_env(),
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=open(log, 'wb'))
    if addr.startswith('unix:'):
        target = addr[5:]
    else:
        host, port = addr.rsplit(':', 1)
        target = (host, int(port))
    up = wait_for(lambda: p.poll() is None and can_connect(target)
                  and len(children(p.pid)) == 2, 10)
    ok(up, '%s: sign_s3 --listen %s --workers 2 is up with 2 workers' % (ph, addr),
       read_lines(log)[:10] + ['workers: %r' % children(p.pid)])
    PIDS.update(children(p.pid))
    return p, target, bool(up)


def uid_of(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    return None


def phase_b():
    ph = 'b --listen unix'
    sock = os.path.join(itest.TMP, 'b.sock')
    log = os.path.join(itest.TMP, 'b-sign_s3.log')
    p, target, up = start_listener(ph, 'unix:' + sock, log)
    if not up:
        kill_tree(p)
        return
    ngx = Nginx('b', 'unix:' + sock, web_root()[0])
    if ROOT:
        web = pwd.getpwnam(WEB_USER)
        st = os.stat(sock)
        uids = sorted({uid_of(k) for k in children(ngx.p.pid)})
        ok(uids == [web.pw_uid] and st.st_mode & 0o777 == 0o660
           and st.st_gid == web.pw_gid,
           '%s: nginx\'s workers run as %s and reach the socket through its group '
           '(mode 0660, group %s: --socket-group)' % (ph, WEB_USER, WEB_USER),
           ['nginx worker uids %r, socket mode %04o gid %d'
            % (uids, st.st_mode & 0o777, st.st_gid)])
    http_checks(ph, ngx.port, log, lambda: children(p.pid), front=NGINX_FRONT)

    # d. a worker killed -> replaced
    before = children(p.pid)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    after = wait_for(lambda: (lambda k: k if len(k) == 2 and victim not in k
                              else None)(children(p.pid)), 5)
    PIDS.update(after or [])
    ok(bool(after) and set(after) != set(before),
       '%s: SIGKILL of worker %d: the parent starts a new one' % (ph, victim),
       ['workers before %r, now %r' % (before, children(p.pid))])
    rs = [post_json(ngx.port, {'file_name': 'after-%d.png' % i, 'file_type': 'image/png'})
          for i in range(6)]
    bad = [r for r in rs if r.status != 200]
    ok(not bad, '%s: 6 requests after the respawn all 200' % ph, [repr(r) for r in bad[:3]])
    check_200('%s: and their signatures are botocore\'s' % ph, rs[-1], 'image/png')
    respawn_logged = [ln for ln in read_lines(log)
                      if 'worker %d exited (signal 9' % victim in ln]
    ok(respawn_logged, '%s: the parent logged the dead worker' % ph,
       read_lines(log)[-5:])

    check_nginx_log(ph, ngx)
    # e. drain: right before SIGTERM a request completes, and one in flight
    check_200('%s: a request right before SIGTERM -> 200' % ph,
              post_json(ngx.port, {'file_name': 'last.png', 'file_type': 'image/png'}),
              'image/png')
    PIDS.update(children(p.pid))
    drain_check(ph, sock, p.pid, p)
    listen_stop_check(ph, p, sock)
    ngx.stop()


def phase_c():
    ph = 'c --listen tcp'
    port = free_port()
    log = os.path.join(itest.TMP, 'c-sign_s3.log')
    addr = '127.0.0.1:%d' % port
    p, target, up = start_listener(ph, addr, log)
    if not up:
        kill_tree(p)
        return
    ngx = Nginx('c', addr, web_root()[0])
    http_checks(ph, ngx.port, log, lambda: children(p.pid), front=NGINX_FRONT)

    # rate limit: 10r/s burst 20 nodelay -> a quick run of 40 is cut off
    rs = [hreq(ngx.port, 'GET', API + '?file_name=r%d.png' % i) for i in range(40)]
    codes = [r.status for r in rs]
    limited = [r for r in rs if r.status == 429]
    ok(limited and set(codes) <= {200, 429},
       '%s: 40 quick requests: the rate limit answers 429 (%d of them), the rest 200'
       % (ph, len(limited)), ['statuses %r' % codes])
    if limited:
        check_error('%s: the 429 is JSON with Retry-After' % ph, limited[0], 429,
                    'Too Many Requests')
        ok(limited[0].headers.get('retry-after') == '1',
           '%s: Retry-After: 1' % ph, [repr(limited[0].headers)])
    check_nginx_log(ph, ngx)
    listen_stop_check(ph, p, None)
    ngx.stop()


class AuthHandler(http.server.BaseHTTPRequestHandler):
    """The auth service of phase d: GET /auth/check with a cookie
    session=NAME -> 200 and X-Auth-User: NAME; anything else -> 401."""

    def do_GET(self):
        m = re.search(r'(?:^|;\s*)session=([^;]*)', self.headers.get('Cookie', ''))
        if self.path == '/auth/check' and m and m.group(1):
            self.send_response(200)
            self.send_header('X-Auth-User', m.group(1).replace('+', ' '))
        else:
            self.send_response(401)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def phase_d():
    ph = 'd auth_request'
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), AuthHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sock = os.path.join(itest.TMP, 'd.sock')
    log = os.path.join(itest.TMP, 'd-sign_s3.log')
    env = sign_s3_env()
    env.update({'S3_REQUIRE_USER': '1', 'S3_KEY_PREFIX': 'users/{user}/'})
    p = start([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '1'] + SOCKET_OPTS, env=env,
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log, 'wb'))
    up = wait_for(lambda: p.poll() is None and can_connect(sock), 10)
    if not ok(up, '%s: sign_s3 --listen with S3_REQUIRE_USER=1 is up' % ph, read_lines(log)):
        kill_tree(p)
        srv.shutdown()
        return
    PIDS.update(children(p.pid))
    ngx = Nginx('d', 'unix:' + sock, web_root()[0], auth_port=srv.server_address[1])

    def sign(headers, name='a.png'):
        h = {'Content-Type': 'application/json'}
        h.update(headers)
        return hreq(ngx.port, 'POST', API,
                    ('{"file_name":"%s","file_type":"image/png"}' % name).encode(), h)

    def basic(user):
        return 'Basic ' + base64.b64encode(('%s:pw' % user).encode()).decode()

    check_error('%s: no session: the auth service says 401, nginx answers it as JSON' % ph,
                sign({}), 401, 'Unauthorized', 'authentication required')
    for user, seg in (('alice', 'alice'), ('a_b', 'a_5Fb'), ('a+b', 'a_20b')):
        r = sign({'Cookie': 'session=' + user})
        check_200('%s: session %s: 200, signature botocore\'s' % (ph, user), r, 'image/png')
        key = (r.json or {}).get('key', '')
        ok(re.fullmatch(r'users/%s/[0-9a-f-]{36}/a\.png' % re.escape(seg), key),
           '%s: session %s: key under users/%s/' % (ph, user, seg), [repr(r)])
    r = sign({'Cookie': 'session=alice', 'Authorization': basic('mallory')})
    check_error('%s: session alice, client sends Basic mallory: 401 from sign_s3 '
                '(two different REMOTE_USERs)' % ph, r, 401, 'Unauthorized',
                'authentication required')
    r = sign({'Cookie': 'session=alice', 'Authorization': basic('alice')})
    check_200('%s: session alice with Basic alice: 200' % ph, r, 'image/png')
    ok((r.json or {}).get('key', '').startswith('users/alice/'),
       '%s: ... under users/alice/' % ph, [repr(r)])
    conflict = [ln for ln in read_lines(log) if ' 401 POST 127.0.0.1 "authentication '
                'required: REMOTE_USER given twice' in ln]
    ok(len(conflict) == 1, '%s: sign_s3 logged the conflict once' % ph, read_lines(log)[-5:])
    check_nginx_log(ph, ngx)
    listen_stop_check(ph, p, sock)
    ngx.stop()
    srv.shutdown()


def verbatim_check():
    """The example as written (listen 80, /run/sign_s3 socket) passes nginx -t."""
    d = nginx_dir('verbatim')
    with open(EXAMPLE) as f:
        good, out = nginx_test(d, f.read())
    ok(good, 'nginx -t accepts nginx.conf.example verbatim inside http {}',
       [out] if not good else [])


def main():
    need_exe(SIGN_S3, 'sign_s3 binary (make, or set SIGN_S3)')
    need_exe(NGINX, 'nginx (nginx-light)')
    need_exe(SPAWN_FCGI, 'spawn-fcgi')
    for path in (EXAMPLE, FASTCGI_PARAMS, MIME_TYPES):
        if not os.path.isfile(path):
            bail('missing %s' % path)
    itest.init('sign_s3-nginx.')
    note('binary %s, temp %s' % (SIGN_S3, itest.TMP))
    t0 = time.monotonic()
    verbatim_check()
    phase_a()
    phase_b()
    phase_c()
    phase_d()
    return finish(t0)


if __name__ == '__main__':
    sys.exit(main())
