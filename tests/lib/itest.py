#!/usr/bin/python3
# itest.py - shared pieces of the web-server integration tests
# (tests/nginx_integration.py, tests/apache_integration.py): TAP output,
# processes started and killed by PID, a small HTTP client on 127.0.0.1,
# the checks of sign_s3's answers (signatures through verify_sig.py), a raw
# FastCGI client, and the request matrix every front end must pass.
#
# Use: sys.path.insert(0, <tests>/lib); from itest import *; itest.init(...)
# then itest.TMP is the temp dir; finish() prints the plan, returns 0/1.

import atexit
import calendar
import http.client
import importlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
REPO = os.path.dirname(TESTS)
sys.path.insert(0, HERE)

SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')

AK = 'AKIAIOSFODNN7EXAMPLE'
SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars'
REGION = 'eu-west-1'
BUCKET = 'upload-bucket'
EXPIRES = 300
MAX_BODY = 8192          # S3_MAX_BODY for the test: below nginx's 16k

LOG_RE = re.compile(r'^sign_s3\[(\d+)\]: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) '
                    r'(\d{3}|-) (\S+) (\S+) "((?:[^"\\]|\\.)*)"$')

# ---- TAP ----------------------------------------------------------------------

_n = 0
_failed = 0


def ok(cond, desc, diag=(), todo=None):
    """One TAP line; diag is printed on failure. todo: a reason the check is
    a known failure (TAP TODO: reported, not counted)."""
    global _n, _failed
    _n += 1
    if not cond and not todo:
        _failed += 1
    print('%s %d - %s%s' % ('ok' if cond else 'not ok', _n, desc.replace('#', '<hash>'),
                            ' # TODO ' + todo if todo else ''))
    for line in (diag if not cond else ()):
        for sub in str(line).splitlines() or ['']:
            print('#   ' + sub)
    sys.stdout.flush()
    return bool(cond)


def note(msg):
    print('# ' + msg)
    sys.stdout.flush()


def bail(msg):
    print('Bail out! ' + msg)
    sys.stdout.flush()
    sys.exit(1)

# ---- processes: everything started is tracked and killed by PID ---------------


_procs = []          # Popen objects
PIDS = set()        # further PIDs (workers) to make sure of at exit
TMP = None


def ppid_of(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        return int(s[s.rindex(')') + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def state_of(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        return s[s.rindex(')') + 2]
    except (OSError, ValueError, IndexError):
        return None


def alive(pid):
    st = state_of(pid)
    return st is not None and st not in ('Z', 'X')


def children(pid):
    """Live children of pid (scan of /proc: no /proc/PID/task/*/children here)."""
    kids = []
    for d in os.listdir('/proc'):
        if d.isdigit() and ppid_of(int(d)) == pid and alive(int(d)):
            kids.append(int(d))
    return sorted(kids)


def is_ours(pid):
    """A PID we recorded is only killed if it is still a sign_s3 or nginx."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            cmd = f.read()
    except OSError:
        return False
    return b'sign_s3' in cmd or b'nginx' in cmd or b'apache2' in cmd


def start(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def descendants(pid):
    """Live children, grandchildren... of pid."""
    out, todo = [], [pid]
    while todo:
        for k in children(todo.pop()):
            out.append(k)
            todo.append(k)
    return sorted(out)


def kill_tree(p):
    """SIGKILL p and everything below it. p is stopped first, so that a
    prefork parent cannot replace the workers killed under it."""
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGSTOP)
        except OSError:
            pass
    for _ in range(3):
        below = descendants(p.pid) if p.poll() is None else []
        PIDS.update(below)
        for k in below:
            if alive(k) and is_ours(k):
                try:
                    os.kill(k, signal.SIGKILL)
                except OSError:
                    pass
    if p.poll() is None:
        p.kill()
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def stop_proc(p, sig=signal.SIGTERM, wait=5.0):
    """Signal p and wait; kill_tree if it does not go. True if it went."""
    if p.poll() is not None:
        return True
    PIDS.update(descendants(p.pid))
    try:
        p.send_signal(sig)
        p.wait(timeout=wait)
        return True
    except subprocess.TimeoutExpired:
        pass
    kill_tree(p)
    return False


def cleanup():
    for p in reversed(_procs):
        try:
            stop_proc(p, signal.SIGTERM, 2.0)
        except Exception:
            pass
    for pid in PIDS:
        if alive(pid) and is_ours(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if TMP and os.path.isdir(TMP):
        shutil.rmtree(TMP, ignore_errors=True)


def on_signal(sig, frame):
    print('Bail out! killed by signal %d' % sig)
    sys.exit(1)          # atexit runs cleanup


def on_alarm(sig, frame):
    print('Bail out! the test took too long (watchdog)')
    sys.exit(1)

# ---- small helpers ----------------------------------------------------------


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(step)


def can_connect(addr):
    try:
        if isinstance(addr, str):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(addr)
        s.close()
        return True
    except OSError:
        return False


def sign_s3_env():
    env = {
        'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
        'LC_ALL': 'C',
        'AWS_EC2_METADATA_DISABLED': 'true',
        'SIGN_S3_CONFIG': os.path.join(TMP, 'sign_s3.conf'),
    }
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def write_config():
    # everything through the SIGN_S3_CONFIG file, nothing in the environment
    with open(os.path.join(TMP, 'sign_s3.conf'), 'w') as f:
        f.write('# sign_s3 test configuration\n'
                'S3_BUCKET=%s\nS3_REGION=%s\n'
                'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n'
                'AWS_SESSION_TOKEN=%s\n'
                'S3_EXPIRES=%d\nS3_MAX_BODY=%d\nS3_KEY_PREFIX=uploads/\n'
                % (BUCKET, REGION, AK, SK, TOKEN, EXPIRES, MAX_BODY))
    os.chmod(os.path.join(TMP, 'sign_s3.conf'), 0o600)


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace').splitlines()
    except OSError:
        return []

# ---- HTTP ---------------------------------------------------------------------


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers        # lower-case name -> value (last)
        self.body = body
        self.json = None
        try:
            self.json = json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            pass

    def __repr__(self):
        return 'HTTP %s %r %r' % (self.status, self.headers, self.body[:300])


def hreq(port, method, path, body=None, headers=None, src='127.0.0.1',
         chunked=False):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10,
                                   source_address=(src, 0))
    h = {'Host': '127.0.0.1', 'Connection': 'close'}
    h.update(headers or {})
    try:
        if chunked:
            c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.items():
                c.putheader(k, v)
            c.putheader('Transfer-Encoding', 'chunked')
            c.endheaders()
            for i in range(0, len(body), 7):
                part = body[i:i + 7]
                c.send(b'%x\r\n%s\r\n' % (len(part), part))
            c.send(b'0\r\n\r\n')
        else:
            c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, hdrs, data)
    except (OSError, http.client.HTTPException) as e:
        return Resp(0, {}, ('connection error: %r' % (e,)).encode())
    finally:
        c.close()


API = '/api/sign_s3'


def post_json(port, obj, **kw):
    return hreq(port, 'POST', API, json.dumps(obj).encode(),
                {'Content-Type': 'application/json'}, **kw)


def check_200(desc, r, file_type=None, todo=None):
    diag = []
    if r.status != 200:
        diag.append('status %s, body %r' % (r.status, r.body[:300]))
    else:
        if r.headers.get('content-type') != 'application/json':
            diag.append('Content-Type %r' % r.headers.get('content-type'))
        if r.headers.get('cache-control') != 'no-store':
            diag.append('Cache-Control %r' % r.headers.get('cache-control'))
        if r.json is None:
            diag.append('body is not JSON: %r' % r.body[:300])
        else:
            import verify_sig
            diag += verify_sig.check_answer(
                r.json, access_key=AK, secret_key=SK, region=REGION,
                token=TOKEN, expires=EXPIRES, file_type=file_type,
                bucket=BUCKET)
    return ok(not diag, desc, diag, todo)


def check_error(desc, r, status, reason, message=None, allow=None, todo=None):
    diag = []
    if r.status != status:
        diag.append('status %s, want %d' % (r.status, status))
    if r.headers.get('content-type') != 'application/json':
        diag.append('Content-Type %r, want application/json'
                    % r.headers.get('content-type'))
    if r.headers.get('cache-control') != 'no-store':
        diag.append('Cache-Control %r' % r.headers.get('cache-control'))
    j = r.json
    if not isinstance(j, dict) or set(j) != {'statusCode', 'error', 'message'}:
        diag.append('body is not {"statusCode","error","message"}: %r' % r.body[:300])
    else:
        if j['statusCode'] != status or j['error'] != reason:
            diag.append('statusCode/error %r/%r' % (j['statusCode'], j['error']))
        if not isinstance(j['message'], str) or not j['message']:
            diag.append('empty message')
        if message is not None and j['message'] != message:
            diag.append('message %r, want %r' % (j['message'], message))
    if allow is not None and r.headers.get('allow') != allow:
        diag.append('Allow %r, want %r' % (r.headers.get('allow'), allow))
    return ok(not diag, desc, diag, todo)

# ---- raw FastCGI, for a request still arriving when SIGTERM comes ------------


def _fcgi_rec(rtype, content, rid=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack('>BBHHBB', 1, rtype, rid, len(content), pad, 0) + \
        content + b'\0' * pad


def _fcgi_nv(k, v):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack('>I', n | 0x80000000)
    k, v = k.encode(), v.encode()
    return ln(len(k)) + ln(len(v)) + k + v


class SlowFcgi:
    """A FastCGI POST whose body comes in two halves, the second later."""

    def __init__(self, addr, body):
        fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(addr)
        self.body = body
        params = {
            'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
            'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
            'REQUEST_URI': API, 'SCRIPT_NAME': API, 'QUERY_STRING': '',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'GATEWAY_INTERFACE': 'CGI/1.1',
        }
        half = len(body) // 2
        self.s.sendall(
            _fcgi_rec(1, struct.pack('>HB5x', 1, 0)) +
            _fcgi_rec(4, b''.join(_fcgi_nv(k, v) for k, v in params.items())) +
            _fcgi_rec(4, b'') + _fcgi_rec(5, body[:half]))
        self.rest = body[half:]

    def finish(self):
        """Sends the rest; returns (status, head dict, body) or raises."""
        try:
            self.s.sendall(_fcgi_rec(5, self.rest) + _fcgi_rec(5, b''))
        except OSError:
            pass     # the worker may have answered and closed already
        buf, out, ended = b'', b'', False
        while not ended:
            d = self.s.recv(65536)
            if not d:
                break
            buf += d
            while len(buf) >= 8:
                _, rtype, _, clen, plen, _ = struct.unpack('>BBHHBB', buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content = buf[8:8 + clen]
                buf = buf[8 + clen + plen:]
                if rtype == 6:
                    out += content
                elif rtype == 3:
                    ended = True
        self.s.close()
        head, _, body = out.partition(b'\r\n\r\n')
        hdrs = {}
        for line in head.decode('latin-1').split('\r\n'):
            if ':' in line:
                k, v = line.split(':', 1)
                hdrs[k.strip().lower()] = v.strip()
        status = int(hdrs.get('status', '0 x').split()[0]) if hdrs else 0
        return status, hdrs, body, ended

def log_since(logfile, before):
    return read_lines(logfile)[before:]


def http_checks(ph, port, log, worker_pids=None, front=None, chunked=None):
    """The request/answer matrix through a web server on 127.0.0.1:port.

    log: a path (sign_s3's stderr) or a callable returning the sign_s3 log
    lines so far; worker_pids: None or a callable -> the PIDs that may
    write them; front: the web server's own body limit, a dict
    {'name', 'limit', 'json' (its 413 mapped to sign_s3's JSON shape),
    'message'}; chunked: None (must work) or a reason it is a known TODO."""
    if isinstance(log, str):
        path = log
        log = lambda: read_lines(path)  # noqa: E731
    n0 = len(log())
    check_200('%s: POST JSON -> 200, JSON shape, signature = botocore' % ph,
              post_json(port, {'file_name': 'photo 1.jpg', 'file_type': 'image/jpeg'}),
              'image/jpeg')
    check_200('%s: POST JSON, UTF-8 name, no file_type -> 200 (type from name)' % ph,
              post_json(port, {'file_name': 'Résumé 2024 (final).pdf'}),
              'application/pdf')
    check_200('%s: POST form -> 200' % ph,
              hreq(port, 'POST', API, b'file_name=a+b%26c.png&file_type=image%2Fpng',
                   {'Content-Type': 'application/x-www-form-urlencoded'}),
              'image/png')
    check_200('%s: POST JSON with a charset parameter -> 200' % ph,
              hreq(port, 'POST', API,
                   b'{"file_name":"notes.txt","file_type":"text/plain"}',
                   {'Content-Type': 'application/json; charset=utf-8'}),
              'text/plain')
    check_200('%s: GET ?file_name=...&file_type=... -> 200' % ph,
              hreq(port, 'GET', API + '?file_name=report%20v2.txt&file_type=text%2Fplain'),
              'text/plain')
    lines = log()[n0:]
    ok(not lines, '%s: no log line for signed requests (S3_LOG_REQUESTS unset)' % ph,
       lines[:5])

    # refusals
    n0 = len(log())
    t0 = int(time.time())
    r = post_json(port, {'file_type': 'image/png'})
    t1 = int(time.time())
    check_error('%s: POST without file_name -> 400 JSON' % ph, r, 400, 'Bad Request')
    lines = log()[n0:]
    diag = []
    m = LOG_RE.match(lines[0]) if len(lines) == 1 else None
    if len(lines) != 1:
        diag.append('%d new lines on sign_s3\'s stderr, want 1: %r' % (len(lines), lines[:5]))
    elif not m:
        diag.append('not in the documented format: %r' % lines[0])
    else:
        pid, ts, status, method, remote, msg = m.groups()
        t = calendar.timegm(time.strptime(ts, '%Y-%m-%dT%H:%M:%SZ'))
        if status != '400' or method != 'POST' or remote != '127.0.0.1':
            diag.append('status/method/remote %s %s %s' % (status, method, remote))
        if not (t0 - 2 <= t <= t1 + 2):
            diag.append('time %s is not now' % ts)
        if isinstance(r.json, dict) and msg != r.json.get('message'):
            diag.append('message %r differs from the answer\'s %r'
                        % (msg, r.json.get('message')))
        if worker_pids is not None and int(pid) not in worker_pids():
            diag.append('PID %s is not a sign_s3 process serving (%r)'
                        % (pid, worker_pids()))
    ok(not diag, '%s: the 400 wrote one log line in the documented format' % ph, diag)

    check_error('%s: POST invalid JSON -> 400 JSON' % ph,
                hreq(port, 'POST', API, b'{"file_name":',
                     {'Content-Type': 'application/json'}), 400, 'Bad Request')
    check_error('%s: PUT -> 405 JSON with Allow: GET, POST' % ph,
                hreq(port, 'PUT', API, b'{"file_name":"a.png"}',
                     {'Content-Type': 'application/json'}),
                405, 'Method Not Allowed', allow='GET, POST')
    check_error('%s: POST text/plain -> 415 JSON' % ph,
                hreq(port, 'POST', API, b'file_name=a.png',
                     {'Content-Type': 'text/plain'}), 415, 'Unsupported Media Type')
    big = json.dumps({'file_name': 'a.png', 'pad': 'x' * (MAX_BODY + 1000)}).encode()
    check_error('%s: POST %d bytes (over S3_MAX_BODY=%d, under the server\'s limit) -> '
                'sign_s3\'s 413 JSON' % (ph, len(big), MAX_BODY),
                post_raw(port, big), 413, 'Payload Too Large')
    lines = log()[n0:]
    bad = [ln for ln in lines if not LOG_RE.match(ln)]
    # 400 + invalid JSON 400 + 405 + 415 + sign_s3's 413
    ok(len(lines) == 5 and not bad,
       '%s: one log line per refusal (5), all in the format' % ph,
       ['%d lines: %r' % (len(lines), lines[:8])])

    body = b'{"file_name":"chunked.bin","file_type":"application/octet-stream"}'
    r = hreq(port, 'POST', API, body, {'Content-Type': 'application/json'}, chunked=True)
    check_200('%s: chunked POST JSON (no Content-Length from the client) -> 200' % ph,
              r, 'application/octet-stream', todo=chunked)

    if front:
        huge = json.dumps({'file_name': 'a.png',
                           'pad': 'x' * (front['limit'] + 4000)}).encode()
        for how in ('', 'chunked '):
            r = hreq(port, 'POST', API, huge, {'Content-Type': 'application/json'},
                     chunked=bool(how))
            desc = '%s: %sPOST of %d bytes (over %s\'s limit) -> 413' % (
                ph, how, len(huge), front['name'])
            todo = chunked if how else None
            if front.get('json'):
                check_error(desc + ', as JSON', r, 413, 'Payload Too Large',
                            front.get('message'), todo=todo)
            else:
                ok(r.status == 413, desc, [repr(r)], todo)


def post_raw(port, body):
    return hreq(port, 'POST', API, body, {'Content-Type': 'application/json'})


def drain_check(ph, addr, kill_pid, expect_exit_proc):
    """A request whose body is half sent, then SIGTERM to kill_pid: a worker
    waiting for a peer's bytes gives up within FCGI_CONN_STOP_WAIT_MS (100
    ms), so the rest sent 0.3 s later finds the connection closed without an
    answer, and the process exits 0 at once (a peer cannot hold a stop)."""
    body = json.dumps({'file_name': 'drain.png', 'file_type': 'image/png'}).encode()
    try:
        slow = SlowFcgi(addr, body)
    except OSError as e:
        ok(False, '%s: drain: connect %r: %r' % (ph, addr, e))
        return
    time.sleep(0.3)               # the worker is now waiting for the body
    t0 = time.monotonic()
    os.kill(kill_pid, signal.SIGTERM)
    time.sleep(0.3)
    try:
        status, _, rbody, ended = slow.finish()
    except OSError as e:
        status, rbody, ended = 0, ('%r' % (e,)).encode(), False
    ok(status == 0 and not ended, '%s: SIGTERM while a request body is still arriving: '
       'that peer is dropped, not waited for' % ph,
       ['status %s (FCGI_END_REQUEST %s): %r' % (status, ended, rbody[:300])])
    try:
        rc = expect_exit_proc.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    ok(rc == 0, '%s: ... and sign_s3 exits 0 within 5 s of SIGTERM (%.2f s)' % (
        ph, time.monotonic() - t0), ['exit %r' % rc])

# ---- phases ---------------------------------------------------------------------


def init(prefix, alarm=120):
    """Makes the temp dir, installs cleanup (at exit and on signals) and a
    watchdog; writes the sign_s3 configuration file into it."""
    global TMP
    try:
        importlib.import_module('verify_sig')     # botocore must import
    except ImportError as e:
        bail('python3-botocore not importable by %s: %s' % (sys.executable, e))
    TMP = tempfile.mkdtemp(prefix=prefix)
    os.chmod(TMP, 0o755)          # the web server's user must reach sockets
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(alarm)
    write_config()
    return TMP


def finish(t0):
    note('%.1f s' % (time.monotonic() - t0))
    print('1..%d' % _n)
    if _failed:
        note('%d of %d failed' % (_failed, _n))
    sys.stdout.flush()
    return 1 if _failed else 0


def need_exe(path, what):
    if not (path and os.path.isfile(path) and os.access(path, os.X_OK)):
        bail('no %s at %s (scripts/deps.sh)' % (what, path))
