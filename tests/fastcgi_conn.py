#!/usr/bin/python3
# fastcgi_conn.py - what a peer on the FastCGI socket can do to a worker
# (cgi/fcgi_conn.c), with a raw FastCGI client (tests/lib/fcgi_client.py),
# no web server in between. Every check here failed with libfcgi's
# FCGX_Accept_r, which read requests with no deadline and no limit.
#
#  1. Pins: with S3_REQUEST_TIMEOUT=2 and 2 workers, 2 connections of each
#     kind (4 bytes of a record header; a PARAMS record declaring 100 bytes
#     and sending 1; a whole PARAMS stream and no STDIN; a bare connect that
#     sends nothing, on 127.0.0.1:PORT) hold no worker (a request sent
#     meanwhile is answered within a second), and are dropped at the
#     deadline, one log line each.
#  2. SIGTERM while both workers are pinned ends the pool within the deadline.
#  3. Memory: 64 MiB of PARAMS gets 431 JSON; the worker's RSS stays within
#     a few MB and the next request is answered. So do too many pairs and one
#     value over the limit.
#  4. Roles: AUTHORIZER and FILTER get FCGI_END_REQUEST with
#     FCGI_UNKNOWN_ROLE and no answer.
#  5. A second request id on the connection gets FCGI_CANT_MPX_CONN; the
#     first keeps its body and is answered 200 (signature checked).
#  6. Stray records (an unknown type, an ABORT for no request) before a
#     request: it is answered; GET_VALUES and an unknown management type get
#     their management answers.
#  7. FCGI_KEEP_CONN: two requests on one connection, both answered; the
#     idle kept connection is closed at the deadline.
#  8. A parameter name holding '=' is 400 JSON; FCGI_WEB_SERVER_ADDRS is
#     honoured as libfcgi did.
#  9. The same loop with the listening socket on stdin (spawn-fcgi,
#     mod_fcgid): a bare connect holds nothing and is dropped at the
#     deadline; SIGTERM with a pin ends the process at once.

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest                                  # noqa: E402
from itest import ok, note, bail              # noqa: E402
import fcgi_client as fc                      # noqa: E402

API = '/api/sign_s3'
TIMEOUT = 2                                   # S3_REQUEST_TIMEOUT of these tests


def params(body, **extra):
    p = {
        'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
        'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
        'REQUEST_URI': API, 'SCRIPT_NAME': API, 'QUERY_STRING': '',
        'SERVER_PROTOCOL': 'HTTP/1.1', 'GATEWAY_INTERFACE': 'CGI/1.1',
    }
    p.update(extra)
    return p


def body_for(name, ftype='image/png'):
    return json.dumps({'file_name': name, 'file_type': ftype}).encode()


def problems(stdout, ftype='image/png', status=200):
    """[] when stdout is a 200 botocore accepts (or the given error status
    with a JSON body)."""
    st, hdrs, body = fc.parse_cgi(stdout)
    if st != status:
        return ['status %r (want %d): %r' % (st, status, body[:300])]
    try:
        obj = json.loads(body)
    except ValueError:
        return ['not JSON: %r' % body[:300]]
    if status != 200:
        return [] if 'error' in obj else ['no "error" member: %r' % obj]
    import verify_sig
    return verify_sig.check_answer(
        obj, access_key=itest.AK, secret_key=itest.SK, region=itest.REGION,
        token=itest.TOKEN, expires=itest.EXPIRES, file_type=ftype)


def start_listener(tag, workers, addr=None, **extra_env):
    sock = os.path.join(itest.TMP, '%s.sock' % tag)
    addr = addr or 'unix:' + sock
    log = os.path.join(itest.TMP, '%s.log' % tag)
    lf = open(log, 'w')
    env = itest.sign_s3_env()
    env['S3_REQUEST_TIMEOUT'] = str(TIMEOUT)
    env.update(extra_env)
    p = itest.start([itest.SIGN_S3, '--listen', addr, '--workers', str(workers)],
                    env=env, stdout=lf, stderr=lf)
    lf.close()
    if addr.startswith('unix:'):
        target = addr[5:]
    else:
        host, port = addr.rsplit(':', 1)
        target = (host, int(port))
    if not itest.wait_for(lambda: itest.can_connect(target), 10):
        bail('%s: sign_s3 --listen did not come up: %s' % (tag, itest.read_lines(log)))
    if not itest.wait_for(lambda: len(itest.children(p.pid)) == workers, 10):
        bail('%s: %d workers did not start' % (tag, workers))
    return p, addr, log


def timed_request(addr, name, timeout=10.0):
    t0 = time.monotonic()
    b = body_for(name)
    try:
        r = fc.request(addr, params(b), b, timeout=timeout)
        diag = problems(r.stdout)
    except (OSError, ConnectionError) as e:
        diag = ['error %r' % (e,)]
    return time.monotonic() - t0, diag


def term_and_wait(p):
    """SIGTERM to p: (exit status or None, seconds it took)."""
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(TIMEOUT + 3)
    except subprocess.TimeoutExpired:
        rc = None
    return rc, time.monotonic() - t0


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            if ln.startswith('VmRSS:'):
                return int(ln.split()[1])
    return 0


# ---- 1, 2: pins -------------------------------------------------------------------

def pin_bytes(kind):
    """The bytes a pinning peer sends (and then nothing more)."""
    b = body_for('pin.png')
    if kind == 'header':
        return fc.record(fc.BEGIN_REQUEST, 1, fc.begin_body())[:4]
    if kind == 'params':
        rec = fc.record(fc.BEGIN_REQUEST, 1, fc.begin_body())
        return rec + struct.pack('>BBHHBx', 1, fc.PARAMS, 1, 100, 0) + b'\x0e'
    if kind == 'stdin':
        rec = fc.record(fc.BEGIN_REQUEST, 1, fc.begin_body())
        return rec + fc._stream(fc.PARAMS, 1, fc.encode_params(params(b)))
    return b''                                 # 'bare': a connect, nothing else


def pins():
    port = itest.free_port()
    p, addr, log = start_listener('pin', 2, addr='127.0.0.1:%d' % port)
    kinds = ('header', 'params', 'stdin', 'bare')
    for kind in kinds:
        before = len(itest.read_lines(log))
        conns = []
        for _ in range(2):
            c = fc.Raw(addr, timeout=TIMEOUT + 5)
            if pin_bytes(kind):
                c.send(pin_bytes(kind))
            conns.append(c)
        time.sleep(0.2)                        # both workers now hold a pin
        secs, diag = timed_request(addr, 'behind-%s.png' % kind)
        ok(not diag and secs < 1,
           'pin %s x2 (2 workers): a request sent meanwhile is answered 200 in %.2f s '
           '(no worker is held)' % (kind, secs), diag)
        t0 = time.monotonic()
        closed = []
        for c in conns:
            recs = c.read_records(timeout=TIMEOUT + 5)
            closed.append(c.closed and not recs)
            c.close()
        ok(all(closed) and time.monotonic() - t0 <= TIMEOUT + 1,
           'pin %s: both pinning connections closed without an answer' % kind)
        itest.wait_for(lambda: len(itest.log_since(log, before)) >= 2, 3)
        lines = [ln for ln in itest.log_since(log, before) if 'connection dropped' in ln]
        want = 'no request within' if kind == 'bare' else 'not complete within'
        ok(len(lines) == 2 and all(want in ln and '(%d s)' % TIMEOUT in ln and
                                   itest.LOG_RE.match(ln) for ln in lines),
           'pin %s: one log line per dropped connection (%r)' % (kind, want),
           itest.log_since(log, before))
    # 2. SIGTERM while both workers are pinned: the pool ends at once
    conns = [fc.Raw(addr, timeout=10) for _ in range(2)]
    for c in conns:
        c.send(pin_bytes('params'))
    time.sleep(0.3)
    rc, secs = term_and_wait(p)
    ok(rc == 0 and secs < TIMEOUT, 'SIGTERM with both workers pinned: the pool exits 0 in '
       '%.2f s (under the %d s deadline)' % (secs, TIMEOUT), ['exit %r' % rc])
    for c in conns:
        c.close()
    itest.stop_proc(p)


# ---- 3: memory --------------------------------------------------------------------

def memory():
    p, addr, log = start_listener('mem', 1)
    worker = itest.children(p.pid)[0]
    secs, diag = timed_request(addr, 'first.png')
    ok(not diag, 'memory: a first request is answered 200', diag)
    rss0 = rss_kb(worker)
    total = 64 << 20
    c = fc.Raw(addr, timeout=20)
    c.send(fc.record(fc.BEGIN_REQUEST, 1, fc.begin_body()))
    sent = [0]

    def sender():
        # one pair whose value is 64 MiB, in records of 65535 bytes
        head = fc._length(4) + fc._length(total) + b'HUGE'
        chunk = b'v' * 65535
        try:
            c.send(fc.record(fc.PARAMS, 1, head))
            while sent[0] < total:
                c.send(fc.record(fc.PARAMS, 1, chunk))
                sent[0] += len(chunk)
        except OSError:
            pass                               # the worker closed: expected
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    peak = [rss0]

    def watch():
        while t.is_alive():
            peak[0] = max(peak[0], rss_kb(worker))
            time.sleep(0.01)
    w = threading.Thread(target=watch, daemon=True)
    w.start()
    recs = c.read_records(until_end=1, timeout=20)
    t.join(20)
    w.join(5)
    c.close()
    ok(not problems(fc.stdout_of(recs, 1), status=431),
       'memory: 64 MiB of PARAMS -> 431 JSON', problems(fc.stdout_of(recs, 1), status=431))
    ok(peak[0] - rss0 < 4096, 'memory: the worker\'s RSS grew %d kB (%d -> %d kB peak, '
       'limit 4 MB) while %d MiB were sent' % (peak[0] - rss0, rss0, peak[0], sent[0] >> 20))
    secs, diag = timed_request(addr, 'next.png')
    ok(not diag, 'memory: the next request is answered 200', diag)
    ok(itest.children(p.pid) == [worker], 'memory: the same worker served it')
    many = [('X_%d' % i, 'v') for i in range(600)]
    b = body_for('many.png')
    r = fc.request(addr, list(params(b).items()) + many, b)
    ok(not problems(r.stdout, status=431), 'memory: 600 parameter pairs -> 431 JSON',
       problems(r.stdout, status=431))
    r = fc.request(addr, params(b, HTTP_COOKIE='c' * (17 * 1024)), b)
    ok(not problems(r.stdout, status=431), 'memory: one 17 KiB value -> 431 JSON',
       problems(r.stdout, status=431))
    r = fc.request(addr, params(b, HTTP_COOKIE='c' * (15 * 1024)), b)
    ok(not problems(r.stdout), 'memory: a 15 KiB value (under the limit) -> 200',
       problems(r.stdout))
    r = fc.request(addr, list(params(b).items()) + [('A=B', 'x')], b)
    ok(not problems(r.stdout, status=400), 'a parameter name holding "=" -> 400 JSON',
       problems(r.stdout, status=400))
    itest.stop_proc(p)


# ---- 4-7: records ----------------------------------------------------------------

def records():
    p, addr, log = start_listener('rec', 1)
    b = body_for('rec.png')
    for role, name in ((fc.AUTHORIZER, 'AUTHORIZER'), (fc.FILTER, 'FILTER')):
        c = fc.Raw(addr)
        c.send(fc.request_bytes(1, params(b), b, role=role))
        recs = c.read_records(until_end=1, timeout=5)
        c.close()
        ok(fc.end_of(recs, 1) == (0, fc.UNKNOWN_ROLE) and not fc.stdout_of(recs, 1),
           'role %s: FCGI_END_REQUEST with FCGI_UNKNOWN_ROLE, no answer' % name, [repr(recs)])
    # 5. a second request id while the first is open
    c = fc.Raw(addr)
    c.send(fc.record(fc.BEGIN_REQUEST, 1, fc.begin_body()) +
           fc._stream(fc.PARAMS, 1, fc.encode_params(params(b))) +
           fc.request_bytes(2, params(body_for('two.png')), body_for('two.png')) +
           fc._stream(fc.STDIN, 1, b))
    recs = c.read_records(until_end=1, timeout=5)
    more = c.read_records(timeout=5) if fc.end_of(recs, 2) is None else []
    c.close()
    recs += more
    ok(fc.end_of(recs, 2) == (0, fc.CANT_MPX_CONN) and not fc.stdout_of(recs, 2),
       'a second request id: FCGI_END_REQUEST with FCGI_CANT_MPX_CONN', [repr(recs)])
    ok(not problems(fc.stdout_of(recs, 1)) and fc.end_of(recs, 1) == (0, 0),
       'a second request id: the first keeps its body and is answered 200',
       problems(fc.stdout_of(recs, 1)))
    # 6. stray records, then a request
    c = fc.Raw(addr)
    c.send(fc.record(20, 1, b'junk') + fc.record(fc.ABORT_REQUEST, 7) +
           fc.record(fc.STDIN, 9, b'x') + fc.request_bytes(1, params(b), b))
    recs = c.read_records(until_end=1, timeout=5)
    c.close()
    ok(not problems(fc.stdout_of(recs, 1)),
       'stray records (unknown type, ABORT for no request, another id\'s STDIN), then a '
       'request: it is answered 200', problems(fc.stdout_of(recs, 1)) + [repr(recs)[:300]])
    c = fc.Raw(addr)
    c.send(fc.record(fc.GET_VALUES, 0, fc.encode_params(
        [('FCGI_MAX_CONNS', ''), ('FCGI_MAX_REQS', ''), ('FCGI_MPXS_CONNS', ''), ('X', '')])) +
        fc.record(30, 0, b'') + fc.request_bytes(1, params(b), b))
    recs = c.read_records(until_end=1, timeout=5)
    c.close()
    vals = dict(fc.decode_pairs(b''.join(x for t, i, x in recs if t == fc.GET_VALUES_RESULT)))
    ok(vals == {b'FCGI_MAX_CONNS': b'64', b'FCGI_MAX_REQS': b'64', b'FCGI_MPXS_CONNS': b'0'},
       'FCGI_GET_VALUES: MAX_CONNS 64, MAX_REQS 64 (FCGI_CONN_MAX_PER_WORKER), '
       'MPXS_CONNS 0', [repr(vals)])
    unk = [x for t, i, x in recs if t == fc.UNKNOWN_TYPE and i == 0]
    ok(unk and unk[0][0] == 30, 'an unknown management type: FCGI_UNKNOWN_TYPE naming it',
       [repr(recs)[:300]])
    ok(not problems(fc.stdout_of(recs, 1)), '... and the request after them is answered 200')
    # 7. FCGI_KEEP_CONN
    c = fc.Raw(addr, timeout=TIMEOUT + 5)
    c.send(fc.request_bytes(1, params(b), b, flags=fc.KEEP_CONN))
    r1 = c.read_records(until_end=1, timeout=5)
    c.send(fc.request_bytes(2, params(body_for('k2.png')), body_for('k2.png'),
                            flags=fc.KEEP_CONN))
    r2 = c.read_records(until_end=2, timeout=5)
    ok(not problems(fc.stdout_of(r1, 1)) and not problems(fc.stdout_of(r2, 2)) and
       not c.closed, 'FCGI_KEEP_CONN: two requests on one connection, both answered 200')
    t0 = time.monotonic()
    rest = c.read_records(timeout=TIMEOUT + 5)
    secs = time.monotonic() - t0
    c.close()
    ok(c.closed and not rest and TIMEOUT - 0.5 <= secs <= TIMEOUT + 1,
       'FCGI_KEEP_CONN: the idle kept connection is closed at the deadline (%.2f s)' % secs)
    itest.stop_proc(p)


def web_server_addrs():
    port = itest.free_port()
    addr = '127.0.0.1:%d' % port
    p, addr, log = start_listener('wsa', 1, addr=addr, FCGI_WEB_SERVER_ADDRS='127.0.0.2')
    b = body_for('wsa.png')
    c = fc.Raw(addr)
    try:
        c.send(fc.request_bytes(1, params(b), b))
    except OSError:
        pass
    recs = c.read_records(timeout=5)
    c.close()
    ok(c.closed and not recs, 'FCGI_WEB_SERVER_ADDRS=127.0.0.2: a connection from '
       '127.0.0.1 is closed unanswered')
    itest.stop_proc(p)
    port = itest.free_port()
    p, addr, log = start_listener('wsa2', 1, addr='127.0.0.1:%d' % port,
                                  FCGI_WEB_SERVER_ADDRS='10.0.0.1, 127.0.0.1')
    secs, diag = timed_request(addr, 'wsa2.png')
    ok(not diag, 'FCGI_WEB_SERVER_ADDRS="10.0.0.1, 127.0.0.1": 127.0.0.1 is answered 200',
       diag)
    itest.stop_proc(p)


def stdin_socket():
    path = os.path.join(itest.TMP, 'stdin.sock')
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    log = os.path.join(itest.TMP, 'stdin.log')
    env = itest.sign_s3_env()
    env['S3_REQUEST_TIMEOUT'] = str(TIMEOUT)
    with open(log, 'w') as lf:
        p = itest.start([itest.SIGN_S3], env=env, stdin=ls.fileno(), stdout=lf, stderr=lf)
    ls.close()
    addr = 'unix:' + path
    pin = fc.Raw(addr, timeout=TIMEOUT + 5)
    time.sleep(0.2)
    secs, diag = timed_request(addr, 'stdin.png')
    ok(not diag and secs < 1, 'socket on stdin (spawn-fcgi): with a bare connect held, a '
       'request is answered 200 in %.2f s' % secs, diag + itest.read_lines(log))
    recs = pin.read_records(timeout=TIMEOUT + 5)
    pin.close()
    ok(pin.closed and not recs, 'socket on stdin: the bare connect is dropped at the deadline')
    ok(itest.wait_for(lambda: any('no request within' in ln for ln in itest.read_lines(log)), 3),
       'socket on stdin: ... with one log line', itest.read_lines(log))
    pin = fc.Raw(addr, timeout=10)
    pin.send(pin_bytes('params'))
    time.sleep(0.2)
    rc, secs = term_and_wait(p)
    pin.close()
    ok(rc == 0 and secs < 1, 'socket on stdin: SIGTERM with a pin: exit 0 in %.2f s' % secs,
       ['exit %r' % rc])
    itest.stop_proc(p)


def main():
    t0 = time.monotonic()
    itest.need_exe(itest.SIGN_S3, 'sign_s3')
    itest.init('sign_s3-fcgi-conn-', alarm=150)
    pins()
    memory()
    records()
    web_server_addrs()
    stdin_socket()
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
