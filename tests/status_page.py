#!/usr/bin/python3
# status_page.py - GET /api/sign_s3/status (S3_STATUS=1, cgi/stats.h)
# through a real nginx, on the config derived from nginx.conf.example as
# tests/nginx_integration.py derives it (its status location included; the
# rate limit is taken out: the load here is well over 10 requests a
# second), in front of `sign_s3 --listen unix:SOCK --workers 2`:
#
#  1. the page from a denied address (127.0.0.2): nginx's 403 as JSON;
#  2. load: threads send signed requests (200), Uppy params (200) and bad
#     ones (400) at once while the page is read (200, totals never go
#     back); then, one at a time, 405s (no route), 404s of /s3/sts and of
#     an unknown path, a 415, 502s from a multipart create whose S3 (a
#     closed 127.0.0.1 port) cannot be reached, a 400 for ?format=xml;
#     every answer's status is checked, and the page then shows exactly
#     those counts, by route and status class, plus its own earlier reads
#     (a read is counted after its answer is built, so never by itself),
#     the 502s as signing errors of cause "io", a latency histogram
#     holding every request, 2 workers, scope "pool", credentials "env";
#  3. a worker SIGKILLed between requests: the pool is back to 2, the page
#     shows every count kept and one respawn, and new requests add up;
#     then both workers SIGKILLed while a request waits for S3: only that
#     request is missing (nginx answered it 503), 3 respawns;
#  4. ?format=prometheus: text/plain; version=0.0.4, every line a comment
#     or `name{labels} value`, every figure the JSON's (read just after,
#     which differs by that one read);
#  5. sign_s3 again without S3_STATUS: the page is 404, the JSON sign_s3
#     gives an unknown path, for GET and POST.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP (the plan comes last). Every process started is killed by PID
# at exit; only 127.0.0.1 (and 127.0.0.2 for the denied address) is used.

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, 'lib'))
import itest                                    # noqa: E402
from itest import (                             # noqa: E402
    API, PIDS, SIGN_S3, bail, can_connect, check_error, children, finish,
    free_port, hreq, kill_tree, need_exe, note, ok, read_lines, start,
    stop_proc, wait_for)
import nginx_integration as ngi                 # noqa: E402

STATUS = API + '/status'
ROUTES = ('sign_s3', 'sign_s3_verify', 'status', 'params', 'verify', 'multipart_create',
          'multipart_batch', 'multipart_complete', 'multipart_part', 'multipart_list',
          'multipart_abort', 'sts', 'none')
CLASSES = ('2xx', '3xx', '4xx', '5xx')
PROM_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
LIMIT_RE = re.compile(r'^\s*limit_req(_status)? [^\n]*;\n', re.M)
PROM_LINE = re.compile(r'^(?:# (?:HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|'
                       r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
                       r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*)?\})? '
                       r'([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf)|NaN))$')


class Nginx:
    """nginx on the example, as nginx_integration.Nginx, without limit_req."""

    def __init__(self, backend):
        self.d = ngi.nginx_dir('status')
        self.port = free_port()
        with open(ngi.EXAMPLE) as f:
            text, why = ngi.derive(f.read(), self.port, backend, ngi.web_root()[0], False)
        if text is None:
            bail(why)
        n = text.count('location = /api/sign_s3/status {')
        ok(n == 1, 'nginx.conf.example has its status location', ['%d of them' % n])
        text, n = LIMIT_RE.subn('', text)
        if n != 4:
            bail('nginx.conf.example: %d limit_req lines, want 4' % n)
        good, out = ngi.nginx_test(self.d, text)
        if not ok(good, 'nginx -t accepts the derived config', [out]):
            bail('nginx config refused')
        self.p = start([ngi.NGINX, '-p', self.d + '/', '-e', self.d + '/startup.log',
                        '-c', os.path.join(self.d, 'nginx.conf')],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(self.d, 'stderr.log'), 'wb'))
        if not wait_for(lambda: self.p.poll() is None and
                        can_connect(('127.0.0.1', self.port)), 10):
            bail('nginx did not start: %r' % read_lines(os.path.join(self.d, 'error.log')))
        PIDS.update(children(self.p.pid))

    def stop(self):
        PIDS.update(children(self.p.pid))
        stop_proc(self.p, signal.SIGTERM, 5)

    def error_lines(self):
        return read_lines(os.path.join(self.d, 'error.log'))


class Tally:
    """What was sent and what sign_s3 answered: counts by (route, class)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n = {}
        self.bad = []
        self.status_reads = 0     # answers of the page itself (any status)

    def add(self, route, want, r):
        with self.lock:
            if r.status != want:
                self.bad.append('%s: want %d, got %r' % (route, want, r))
            if r.status:
                k = (route, '%dxx' % (r.status // 100))
                self.n[k] = self.n.get(k, 0) + 1

    def want(self, route, cls):
        return self.n.get((route, cls), 0)


def sign_body(i):
    return json.dumps({'file_name': 'f%d.png' % i, 'file_type': 'image/png'}).encode()


def send(port, t, kind, i=0):
    if kind == 'sign':
        r = hreq(port, 'POST', API, sign_body(i), {'Content-Type': 'application/json'})
        t.add('sign_s3', 200, r)
    elif kind == 'params':
        r = hreq(port, 'GET', '/api/s3/params?filename=p%d.png&type=image%%2Fpng' % i)
        t.add('params', 200, r)
    elif kind == 'bad':
        r = hreq(port, 'POST', API, b'{"file_type":"image/png"}',
                 {'Content-Type': 'application/json'})
        t.add('sign_s3', 400, r)
    elif kind == 'put':
        t.add('none', 405, hreq(port, 'PUT', API, b'{}', {'Content-Type': 'application/json'}))
    elif kind == 'sts':
        t.add('sts', 404, hreq(port, 'GET', '/api/s3/sts'))
    elif kind == 'unknown':
        t.add('none', 404, hreq(port, 'GET', '/api/s3/nothing/here/at/all'))
    elif kind == 'text':
        t.add('sign_s3', 415, hreq(port, 'POST', API, b'file_name=a.png',
                                   {'Content-Type': 'text/plain'}))
    elif kind == 'create':
        r = hreq(port, 'POST', '/api/s3/multipart',
                 b'{"filename":"big.bin","type":"application/octet-stream"}',
                 {'Content-Type': 'application/json'})
        t.add('multipart_create', 502, r)


def status(port, t, fmt=None, want=200):
    r = hreq(port, 'GET', STATUS + ('?format=' + fmt if fmt else ''))
    if r.status:
        t.status_reads += 1
    t.add('status', want, r)
    return r


def read_until(port, t, workers, timeout=3):
    """The page, read until it shows workers (the parent counts a worker
    just after its fork returns, a moment after /proc shows the child);
    every read is tallied."""
    last = [None]

    def probe():
        r = status(port, t)
        last[0] = r
        return isinstance(r.json, dict) and r.json.get('workers') == workers
    wait_for(probe, timeout, 0.05)
    return last[0]


def diffs(t, j, extra_status_reads=0):
    """Every by_route/class figure of JSON j against the tally; the page's
    own 200s are every read but the one that answered j."""
    out = []
    for route in ROUTES:
        for c in CLASSES:
            want = t.want(route, c)
            if route == 'status' and c == '2xx':
                want -= 1 - extra_status_reads
            got = j['requests']['by_route'][route][c]
            if got != want:
                out.append('%s %s: page %d, sent %d' % (route, c, got, want))
    return out


def load(port, t):
    """Threads of signed, params and bad requests; the page read meanwhile."""
    jobs = [('sign', 40)] * 4 + [('params', 25)] * 2 + [('bad', 20)]
    threads = [threading.Thread(target=lambda k=k, n=n, w=w: [send(port, t, k, w * 1000 + i)
                                                             for i in range(n)])
               for w, (k, n) in enumerate(jobs)]
    for th in threads:
        th.start()
    totals, bad = [], []
    while any(th.is_alive() for th in threads):
        r = status(port, t)
        if r.status != 200 or not isinstance(r.json, dict):
            bad.append(repr(r))
        else:
            totals.append(r.json['requests']['total'])
        time.sleep(0.01)
    for th in threads:
        th.join()
    ok(not bad and len(totals) >= 1 and totals == sorted(totals),
       'the page answers 200 during the load (%d reads) and its total never goes back'
       % len(totals), bad[:3] + ['totals %r' % totals[:20]])
    return sum(n for _, n in jobs)


def check_page(desc, t, r):
    j = r.json if r.status == 200 and isinstance(r.json, dict) else None
    if not ok(j is not None, desc + ': the page answers 200 JSON', [repr(r)]):
        return None
    d = diffs(t, j)
    sent = sum(t.n.values()) - 1       # every answer but this read
    total = j['requests']['total']
    lat = j['latency_seconds']
    ok(not d and total == sent, '%s: by route and class, the page holds exactly what was '
       'sent (%d requests, %d of them its own earlier reads)' % (desc, sent,
                                                                  t.status_reads - 1),
       d + ['total %d, sent %d' % (total, sent)])
    cls = {c: sum(t.want(rt, c) for rt in ROUTES) - (c == '2xx') for c in CLASSES}
    ok(j['requests']['by_class'] == cls, '%s: by_class %r' % (desc, cls),
       [repr(j['requests']['by_class'])])
    b = lat['buckets']
    cum = [x['count'] for x in b]
    ok(lat['count'] == total and b[-1]['le'] == '+Inf' and cum[-1] == total
       and cum == sorted(cum) and lat['sum'] > 0,
       '%s: the latency histogram holds every request (cumulative buckets, +Inf = count)'
       % desc, [repr(lat)])
    return j


def phase_on(sock, log):
    env = itest.sign_s3_env()
    env.update({'S3_STATUS': '1', 'S3_ENDPOINT': 'http://127.0.0.1:%d' % free_port(),
                'S3_PATH_STYLE': '1'})
    p = start([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '2'] + ngi.SOCKET_OPTS,
              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=open(log, 'wb'))
    up = wait_for(lambda: p.poll() is None and can_connect(sock) and len(children(p.pid)) == 2,
                  10)
    if not ok(up, 'sign_s3 --listen --workers 2 with S3_STATUS=1 is up', read_lines(log)):
        kill_tree(p)
        return None
    PIDS.update(children(p.pid))
    return p


def main():
    need_exe(SIGN_S3, 'sign_s3 binary (make, or set SIGN_S3)')
    need_exe(ngi.NGINX, 'nginx (nginx-light)')
    itest.init('sign_s3-status.', alarm=150)
    note('binary %s, temp %s' % (SIGN_S3, itest.TMP))
    t0 = time.monotonic()
    sock = os.path.join(itest.TMP, 'status.sock')
    log = os.path.join(itest.TMP, 'sign_s3.log')
    p = phase_on(sock, log)
    if p is None:
        return finish(t0)
    ngx = Nginx('unix:' + sock)
    port = ngx.port
    t = Tally()

    # 1. loopback only
    check_error('from 127.0.0.2 the page is nginx\'s 403, as JSON', hreq(
        port, 'GET', STATUS, src='127.0.0.2'), 403, 'Forbidden')
    r = read_until(port, t, {'configured': 2, 'alive': 2, 'respawns': 0})
    j = r.json if isinstance(r.json, dict) else {}
    ok(r.status == 200 and r.headers.get('content-type') == 'application/json' and
       r.headers.get('cache-control') == 'no-store' and j.get('scope') == 'pool' and
       j.get('workers') == {'configured': 2, 'alive': 2, 'respawns': 0} and
       j['requests']['total'] == t.status_reads - 1,
       'the first read: 200 JSON, no-store, scope pool, 2 workers alive, nothing counted '
       'but the page\'s own earlier reads (%d)' % (t.status_reads - 1), [repr(r)])

    # 2. load, then one at a time
    n = load(port, t)
    for kind, count in (('put', 3), ('sts', 2), ('unknown', 2), ('text', 1), ('create', 2)):
        for i in range(count):
            send(port, t, kind, i)
    status(port, t, 'xml', want=400)
    ok(not t.bad, 'every request got the status it was sent for (%d under load)' % n, t.bad[:5])
    j = check_page('after the load', t, status(port, t))
    if j:
        ok(j['signing_errors']['total'] == 2 and j['signing_errors']['by_cause']['io'] == 2
           and j['requests']['by_class']['5xx'] == 2,
           'the 2 multipart creates S3 could not take are signing errors of cause io',
           [repr(j['signing_errors'])])
        c = j['credentials']
        ok(c['source'] == 'env' and c['expires_in_seconds'] is None and
           1 <= c['workers_with_credentials'] <= 2,
           'credentials: env, no expiry, held by the workers that signed', [repr(c)])
        ok(j['workers'] == {'configured': 2, 'alive': 2, 'respawns': 0} and
           0 <= j['uptime_seconds'] <= time.monotonic() - t0 + 1,
           'workers 2/2, no respawn, uptime sane', [repr(j['workers']), j['uptime_seconds']])

    # 3. a worker killed between requests
    before = children(p.pid)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    after = wait_for(lambda: (lambda k: k if len(k) == 2 and victim not in k else None)(
        children(p.pid)), 5)
    PIDS.update(after or [])
    ok(after, 'SIGKILL of worker %d: the parent starts another' % victim,
       ['workers %r' % children(p.pid)])
    j = check_page('after the kill', t,
                   read_until(port, t, {'configured': 2, 'alive': 2, 'respawns': 1}))
    if j:
        ok(j['workers'] == {'configured': 2, 'alive': 2, 'respawns': 1},
           'the page counts the respawn: 2 alive, 1 respawn', [repr(j['workers'])])
    for i in range(12):
        send(port, t, 'sign', 5000 + i)
    send(port, t, 'bad')
    ok(not t.bad, 'requests after the respawn answered as sent', t.bad[:5])
    check_page('after the respawn and 13 more', t, status(port, t))

    # 3b. killed mid-request: a multipart create waits for its S3 (retries
    # with back-off, 0.35-0.7 s) while every worker is SIGKILLed; that
    # request is lost (nginx answers its 503), every other count is kept
    box = []
    th = threading.Thread(target=lambda: box.append(hreq(
        port, 'POST', '/api/s3/multipart', b'{"filename":"k.bin","type":"image/png"}',
        {'Content-Type': 'application/json'})))
    th.start()
    time.sleep(0.25)           # the worker has it, and waits for its S3
    victims = children(p.pid)
    for k in victims:
        os.kill(k, signal.SIGKILL)
    th.join()
    r = box[0] if box else None
    if r is not None and r.status == 502:        # answered before the kill after all
        t.add('multipart_create', 502, r)
    ok(r is not None and r.status == 503, 'a request in flight when both workers are '
       'SIGKILLed is lost: nginx answers 503 JSON', [repr(r)])
    j = check_page('after killing both workers mid-request', t,
                   read_until(port, t, {'configured': 2, 'alive': 2, 'respawns': 3}))
    if j:
        ok(j['workers'] == {'configured': 2, 'alive': 2, 'respawns': 3} and
           j['signing_errors']['by_cause']['io'] == 2,
           'the page shows 3 respawns, and only the 2 creates that were answered',
           [repr(j['workers']), repr(j['signing_errors'])])
    for i in range(4):
        send(port, t, 'sign', 6000 + i)
    ok(not t.bad, 'the new workers answer', t.bad[:5])

    # 4. Prometheus, then the JSON
    r = status(port, t, 'prometheus')
    ok(r.status == 200 and r.headers.get('content-type') == PROM_TYPE and
       r.headers.get('cache-control') == 'no-store',
       '?format=prometheus: 200, Content-Type %s, no-store' % PROM_TYPE, [repr(r)])
    lines = r.body.decode('utf-8', 'replace').split('\n')
    bad = [ln for ln in lines[:-1] if not PROM_LINE.match(ln)]
    ok(lines[-1] == '' and not bad and len(lines) > 80,
       'every one of its %d lines is a comment or name{labels} value' % (len(lines) - 1),
       bad[:5])
    prom = {}
    for ln in lines[:-1]:
        m = PROM_LINE.match(ln)
        if m and m.group(1):
            prom[(m.group(1), m.group(2) or '')] = float(m.group(3))
    j = status(port, t).json or {}
    d = []
    for route in ROUTES:
        for c in CLASSES:
            got = prom.get(('sign_s3_requests_total', '{route="%s",class="%s"}' % (route, c)))
            want = j['requests']['by_route'][route][c] - (route == 'status' and c == '2xx')
            if got != want:
                d.append('%s %s: prometheus %r, JSON %r' % (route, c, got, want))
    for cause, v in j['signing_errors']['by_cause'].items():
        if prom.get(('sign_s3_signing_errors_total', '{cause="%s"}' % cause)) != v:
            d.append('cause %s' % cause)
    for k, v in (('sign_s3_workers', j['workers']['configured']),
                 ('sign_s3_workers_alive', j['workers']['alive']),
                 ('sign_s3_worker_respawns_total', j['workers']['respawns']),
                 ('sign_s3_credentials_workers',
                  j['credentials']['workers_with_credentials'])):
        if prom.get((k, '')) != v:
            d.append('%s: %r vs %r' % (k, prom.get((k, '')), v))
    src = j['credentials']['source']
    infos = [k for k in prom if k[0] == 'sign_s3_credentials_info']
    if (infos != [('sign_s3_credentials_info', '{source="%s"}' % src)] if src else infos) or \
            ('sign_s3_credentials_expires_in_seconds', '') in prom:
        d.append('credentials: %r, JSON %r' % (infos, j['credentials']))
    if prom.get(('sign_s3_info', '{scope="pool",version="%s"}' % open(
            os.path.join(itest.REPO, 'VERSION')).read().strip())) != 1:
        d.append('sign_s3_info')
    buckets = j['latency_seconds']['buckets']
    for b in buckets:
        le = '+Inf' if b['le'] == '+Inf' else '%g' % b['le']
        got = [v for (name, lab), v in prom.items()
               if name == 'sign_s3_handler_duration_seconds_bucket' and
               lab.startswith('{le="') and (lab[5:-2] == le or
                                           (le != '+Inf' and lab[5:-2] != '+Inf' and
                                            float(lab[5:-2]) == b['le']))]
        if len(got) != 1 or not 0 <= b['count'] - got[0] <= 1:
            d.append('bucket %s: prometheus %r, JSON %r' % (le, got, b['count']))
    if prom.get(('sign_s3_handler_duration_seconds_count', '')) != \
            j['latency_seconds']['count'] - 1:
        d.append('_count')
    if not 0 <= j['latency_seconds']['sum'] - prom.get(
            ('sign_s3_handler_duration_seconds_sum', ''), -1) < 1:
        d.append('_sum')
    ok(not d, 'every Prometheus figure is the JSON\'s read right after it (which holds '
       'one more read of the page)', d[:10])
    check_page('after both reads', t, status(port, t))
    ok(not t.bad, 'the page itself answered as expected', t.bad[:5])

    # 5. off
    stop_proc(p)
    off = start([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '2'] + ngi.SOCKET_OPTS,
                env=itest.sign_s3_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(log + '.off', 'wb'))
    if ok(wait_for(lambda: off.poll() is None and can_connect(sock), 10),
          'sign_s3 without S3_STATUS is up'):
        PIDS.update(children(off.pid))
        unknown = hreq(port, 'GET', '/api/s3/nothing')
        for method in ('GET', 'POST'):
            r = hreq(port, method, STATUS, b'{}' if method == 'POST' else None,
                     {'Content-Type': 'application/json'} if method == 'POST' else None)
            ok(r.status == 404 and r.body == unknown.body and
               r.headers.get('content-type') == 'application/json' and
               (r.json or {}).get('message') == 'no such route',
               'S3_STATUS unset: %s of the page is 404, the JSON of an unknown path' % method,
               [repr(r), repr(unknown)])
        r = hreq(port, 'GET', STATUS + '?format=prometheus')
        ok(r.status == 404, 'S3_STATUS unset: ?format=prometheus is 404 too', [repr(r)])
    stop_proc(off)
    # nginx's log: nothing of sign_s3, no error but the 403 and the request
    # whose worker was killed under it (3b)
    lines = ngx.error_lines()
    bad = [ln for ln in lines if 'FastCGI sent in stderr' in ln or 'sign_s3[' in ln or
           (re.search(r'\[(error|crit|alert|emerg)\]', ln) and
            'access forbidden by rule' not in ln and
            not ('upstream prematurely closed' in ln and '/api/s3/multipart' in ln))]
    ok(not bad, 'nginx\'s error log: nothing of sign_s3, no unexpected error', bad[:5])
    lines = [ln for ln in read_lines(log) if 'status page' in ln]
    ok(not lines, 'the parent set up the shared figures without complaint', lines)
    lines = [ln for ln in read_lines(log) if 'sandbox: ' in ln]
    ok(lines and 'in each worker' in lines[0] and 'off' not in lines[0],
       'all of it with the workers under the sandbox (the default)', lines or
       read_lines(log)[:5])
    ngx.stop()
    return finish(t0)


if __name__ == '__main__':
    sys.exit(main())
