#!/usr/bin/python3
# fastcgi_worker.py - the FastCGI worker loop of `sign_s3 --listen`
# (cgi/serve.c), driven with a raw FastCGI client on a unix socket, no web
# server in between:
#
#  1. A peer whose body is still arriving does not hold the only worker:
#     another request is answered meanwhile. SIGTERM drains what is queued:
#     with the worker stopped (SIGSTOP) a connection waits in the listen
#     queue; SIGTERM, SIGCONT; the peer still sending is dropped (it cannot
#     hold the stop), the queued request is accepted and answered 200
#     (signature checked with botocore), and everything exits 0. libfcgi
#     refuses to accept anything once FCGX_ShutdownPending() was called;
#     sign_s3 never calls it.
#  2. Out of file descriptors: with the worker's RLIMIT_NOFILE lowered to
#     what it holds, accept() fails with EMFILE while a connection waits.
#     The worker logs that once, backs off instead of spinning on a socket
#     that stays readable (its CPU time over a second stays low), and
#     answers the waiting request 200 once the limit is raised again; a
#     SIGTERM while it backs off still stops it.
#  3. Two workers share the socket (EPOLLEXCLUSIVE): 200 requests from 8
#     threads are all answered 200 with distinct keys, and both workers
#     served some.

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest                                  # noqa: E402
from itest import ok, note, bail              # noqa: E402
import fcgi_client                            # noqa: E402

API = '/api/sign_s3'


def params(body):
    return {
        'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
        'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
        'REQUEST_URI': API, 'SCRIPT_NAME': API, 'QUERY_STRING': '',
        'SERVER_PROTOCOL': 'HTTP/1.1', 'GATEWAY_INTERFACE': 'CGI/1.1',
    }


def body_for(name, ftype='image/png'):
    return json.dumps({'file_name': name, 'file_type': ftype}).encode()


def answer_problems(stdout, ftype='image/png'):
    """[] when stdout is a 200 whose signed_request botocore accepts."""
    status, _, body = fcgi_client.parse_cgi(stdout)
    if status != 200:
        return ['status %r: %r' % (status, body[:300])]
    import verify_sig
    try:
        obj = json.loads(body)
    except ValueError:
        return ['not JSON: %r' % body[:300]]
    return verify_sig.check_answer(
        obj, access_key=itest.AK, secret_key=itest.SK, region=itest.REGION,
        token=itest.TOKEN, expires=itest.EXPIRES, file_type=ftype)


class Background:
    """One FastCGI request in a thread: .done, .resp or .error."""

    def __init__(self, addr, body, timeout=15.0):
        self.resp, self.error = None, None
        self.t = threading.Thread(target=self._run, args=(addr, body, timeout), daemon=True)
        self.t.start()

    def _run(self, addr, body, timeout):
        try:
            self.resp = fcgi_client.request(addr, params(body), body, timeout=timeout)
        except Exception as e:        # noqa: BLE001 - reported as a failed check
            self.error = e

    def wait(self, timeout):
        self.t.join(timeout)
        return not self.t.is_alive()


def start_listener(tag, workers, **extra_env):
    sock = os.path.join(itest.TMP, '%s.sock' % tag)
    log = os.path.join(itest.TMP, '%s.log' % tag)
    lf = open(log, 'w')
    env = itest.sign_s3_env()
    env.update(extra_env)
    p = itest.start([itest.SIGN_S3, '--listen', 'unix:' + sock, '--workers', str(workers)],
                    env=env, stdout=lf, stderr=lf)
    lf.close()
    if not itest.wait_for(lambda: os.path.exists(sock) and itest.can_connect(sock), 10):
        bail('%s: sign_s3 --listen did not come up: %s' % (tag, itest.read_lines(log)))
    if not itest.wait_for(lambda: len(itest.children(p.pid)) == workers, 10):
        bail('%s: %d workers did not start' % (tag, workers))
    return p, sock, log


def cpu_ticks(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])       # utime + stime


def lowest_free_fd(pid):
    used = {int(x) for x in os.listdir('/proc/%d/fd' % pid)}
    n = 0
    while n in used:
        n += 1
    return n


def queued_drain():
    p, sock, log = start_listener('drain', 1)
    worker = itest.children(p.pid)[0]
    slow = itest.SlowFcgi(sock, body_for('busy.png'))
    time.sleep(0.3)                      # the worker holds a half-read request
    other = Background('unix:' + sock, body_for('other.png'))
    done = other.wait(5)
    diag = (['no answer after 5 s'] if not done else
            ['error: %r' % (other.error,)] if other.error else answer_problems(other.resp.stdout))
    ok(done and not diag, 'drain: a peer still sending does not pin the only worker: another '
       'request is answered 200 meanwhile', diag)
    os.kill(worker, signal.SIGSTOP)      # now a connection can wait in the listen queue
    queued = Background('unix:' + sock, body_for('queued.png'))
    time.sleep(0.3)
    ok(queued.resp is None and queued.error is None,
       'drain: with the worker stopped, a request waits in the listen queue',
       ['answered early: %r %r' % (queued.resp and queued.resp.stdout[:200], queued.error)])
    p.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    os.kill(worker, signal.SIGCONT)
    time.sleep(0.3)
    status, _, rbody, ended = slow.finish()
    ok(status == 0 and not ended, 'drain: the peer still sending its body at SIGTERM is '
       'dropped, not waited for', ['status %s ended %s: %r' % (status, ended, rbody[:300])])
    done = queued.wait(10)
    diag = (['no answer after 10 s'] if not done else
            ['error: %r' % (queued.error,)] if queued.error else
            answer_problems(queued.resp.stdout))
    ok(done and not diag, 'drain: the request queued at SIGTERM is accepted and answered 200',
       diag + itest.read_lines(log))
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    ok(rc == 0, 'drain: sign_s3 exits 0 after answering both', ['exit %r' % rc])


def emfile_backoff():
    p, sock, log = start_listener('emfile', 1)
    worker = itest.children(p.pid)[0]
    base = sorted(os.listdir('/proc/%d/fd' % worker))
    r = fcgi_client.request('unix:' + sock, params(body_for('first.png')), body_for('first.png'))
    ok(not answer_problems(r.stdout), 'emfile: a request before the limit is answered 200',
       answer_problems(r.stdout))
    soft, hard = resource.prlimit(worker, resource.RLIMIT_NOFILE)
    # the first connection closed: the worker holds what it held before
    itest.wait_for(lambda: sorted(os.listdir('/proc/%d/fd' % worker)) == base, 5)
    limit = lowest_free_fd(worker)
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (limit, hard))
    note('worker %d: RLIMIT_NOFILE %d -> %d' % (worker, soft, limit))
    before = len(itest.read_lines(log))
    waiting = Background('unix:' + sock, body_for('waiting.png'))
    time.sleep(0.5)
    t0 = cpu_ticks(worker)
    time.sleep(1.0)
    spent = cpu_ticks(worker) - t0
    hz = os.sysconf('SC_CLK_TCK')
    ok(spent < hz // 5, 'emfile: the worker backs off instead of spinning (%d ticks of CPU '
       'in 1 s)' % spent, ['limit %d' % limit])
    lines = [ln for ln in itest.log_since(log, before) if 'accept:' in ln]
    ok(len(lines) == 1 and 'Too many open files' in lines[0] and 'retrying every' in lines[0],
       'emfile: one log line names the cause', lines or itest.read_lines(log))
    ok(waiting.resp is None and waiting.error is None,
       'emfile: the waiting request is not refused meanwhile',
       ['%r %r' % (waiting.resp and waiting.resp.stdout[:200], waiting.error)])
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (soft, hard))
    done = waiting.wait(5)
    diag = (['no answer 5 s after the limit was raised'] if not done else
            ['error: %r' % (waiting.error,)] if waiting.error else
            answer_problems(waiting.resp.stdout))
    ok(done and not diag, 'emfile: once descriptors are back, the waiting request is '
       'answered 200', diag)
    ok(itest.alive(worker), 'emfile: the worker is still the same process')
    # SIGTERM while out of descriptors with a connection queued: the worker
    # cannot take it and must still stop
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (limit, hard))
    stuck = Background('unix:' + sock, body_for('stuck.png'), timeout=10)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    ok(rc == 0, 'emfile: SIGTERM while backing off: sign_s3 exits 0 within 5 s',
       ['exit %r' % rc] + itest.read_lines(log)[-5:])
    stuck.wait(5)
    itest.stop_proc(p)


def two_workers():
    p, sock, log = start_listener('pair', 2, S3_LOG_REQUESTS='1')
    workers = sorted(itest.children(p.pid))
    results, lock = [], threading.Lock()

    def client(n):
        for i in range(n):
            b = body_for('w%d.png' % i)
            try:
                r = fcgi_client.request('unix:' + sock, params(b), b, timeout=10)
                res = (answer_problems(r.stdout), r.stdout)
            except Exception as e:       # noqa: BLE001
                res = (['error %r' % (e,)], b'')
            with lock:
                results.append(res)

    threads = [threading.Thread(target=client, args=(25,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    bad = [d for d, _ in results if d]
    ok(len(results) == 200 and not bad, 'two workers: 200 concurrent requests all answered '
       '200 and verified', ['%d answers, %d bad: %r' % (len(results), len(bad), bad[:3])])
    keys = set()
    for _, out in results:
        _, _, body = fcgi_client.parse_cgi(out)
        try:
            keys.add(json.loads(body)['key'])
        except (ValueError, KeyError):
            pass
    ok(len(keys) == len(results), 'two workers: every answer has its own key',
       ['%d keys for %d answers' % (len(keys), len(results))])
    served = {}
    for ln in itest.read_lines(log):
        m = itest.LOG_RE.match(ln)
        if m and m.group(3) == '200':
            served[int(m.group(1))] = served.get(int(m.group(1)), 0) + 1
    ok(sorted(itest.children(p.pid)) == workers, 'two workers: no worker died or was replaced')
    ok(sorted(served) == workers and sum(served.values()) == 200,
       'two workers: both workers served requests (%s)' % served,
       ['workers %r, log lines per pid %r' % (workers, served)])
    itest.stop_proc(p)


def main():
    t0 = time.monotonic()
    itest.need_exe(itest.SIGN_S3, 'sign_s3')
    itest.init('sign_s3-fcgi-worker-', alarm=120)
    queued_drain()
    emfile_backoff()
    two_workers()
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
