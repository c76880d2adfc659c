#!/usr/bin/python3
# socket_activation.py - sign_s3 started as systemd starts a service of a
# socket unit (sd_listen_fds(3)): the listening socket on fd 3, LISTEN_PID
# the service's own PID, LISTEN_FDS=1. Done here without systemd: a shell
# moves the socket to fd 3, exports LISTEN_PID=$$ and execs sign_s3 (same
# PID), as systemd's exec does.
#
#  1. a unix socket, --workers 2: the pool comes up with 2 workers, logs
#     "listening on systemd socket fd 3 (unix:PATH)", a FastCGI request is
#     answered 200 with a URL botocore signs alike; SIGTERM: exit 0 and the
#     socket file is left in place (systemd owns it, and listens on).
#  2. a TCP socket on 127.0.0.1, no arguments at all: served the same.
#  3. LISTEN_PID of another process: ignored. With no arguments sign_s3
#     prints its usage (exit 2) and never serves fd 3; with --listen it
#     serves its own socket and not fd 3.
#  4. refused at start, with a message: LISTEN_FDS=2, fd 3 bound but not
#     listening (Accept=yes), fd 3 a datagram socket (exit 1); --listen or
#     --socket-mode beside a passed socket (exit 2).

import os
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest                                  # noqa: E402
from itest import ok                          # noqa: E402
import fcgi_client                            # noqa: E402
import verify_sig                             # noqa: E402

BODY = b'{"file_name":"a.png","file_type":"image/png"}'
PARAMS = {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
          'CONTENT_LENGTH': str(len(BODY)), 'REMOTE_ADDR': '127.0.0.1',
          'REQUEST_URI': '/api/sign_s3', 'SCRIPT_NAME': '/api/sign_s3'}

# fd N -> 3, LISTEN_PID = the shell's PID, which exec keeps
WRAP = ('exec 3<&%d %d<&-; export LISTEN_PID=%s LISTEN_FDS=%s; '
        'exec "$0" "$@"')


def unix_listener(tag, listen=True, kind=socket.SOCK_STREAM):
    path = os.path.join(itest.TMP, tag + '.sock')
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    if listen:
        s.listen(16)
    return s, 'unix:' + path


def tcp_listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    s.listen(16)
    return s, '127.0.0.1:%d' % s.getsockname()[1]


def start(tag, sock, args=(), pid='$$', nfds='1'):
    """sign_s3 with sock on fd 3; returns (Popen, log path)."""
    log = os.path.join(itest.TMP, tag + '.log')
    fd = sock.fileno()
    with open(log, 'w') as lf:
        move = WRAP % (fd, fd, pid, nfds) if fd != 3 else WRAP.split('; ', 1)[1] % (pid, nfds)
        p = itest.start(['/bin/sh', '-c', move, itest.SIGN_S3]
                        + list(args), env=itest.sign_s3_env(), stdin=subprocess.DEVNULL,
                        stdout=lf, stderr=lf, pass_fds=(fd,))
    return p, log


def answer(addr, timeout=10):
    try:
        r = fcgi_client.request(addr, PARAMS, BODY, timeout=timeout)
    except (OSError, ConnectionError) as e:
        return None, None, repr(e)
    st, _, out = fcgi_client.parse_cgi(r.stdout)
    return st, out, ''


def signed(desc, addr):
    import json
    st, out, why = answer(addr)
    diag = [why or 'status %r: %r' % (st, (out or b'')[:300])]
    if st == 200:
        diag = verify_sig.check_answer(
            json.loads(out), access_key=itest.AK, secret_key=itest.SK, region=itest.REGION,
            token=itest.TOKEN, expires=itest.EXPIRES, file_type='image/png',
            bucket=itest.BUCKET)
    return ok(st == 200 and not diag, desc, diag)


def up(p, workers):
    return itest.wait_for(lambda: p.poll() is None and
                          len(itest.children(p.pid)) == workers, 10)


def served(desc, sock, args, workers, words):
    p, log = start(desc, sock[0], args)
    good = up(p, workers)
    itest.PIDS.update(itest.children(p.pid))
    lines = itest.read_lines(log)
    ok(good, '%s: sign_s3 %s comes up with %d workers' % (desc, ' '.join(args) or '(no arguments)', workers),
       lines)
    ok(any(all(w in ln for w in words) for ln in lines),
       '%s: logs %r' % (desc, ' ... '.join(words)), lines)
    signed('%s: a FastCGI request on the passed socket is answered 200, signed as '
           'botocore signs' % desc, sock[1])
    return p, log


def refused(desc, sock, args, pid, nfds, rc_want, words):
    p, log = start('bad', sock, args, pid, nfds)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = 'still running'
    lines = itest.read_lines(log)
    ok(rc == rc_want and any(all(w in ln for w in words) for ln in lines),
       'refused: %s -> exit %d, says %r' % (desc, rc_want, ' ... '.join(words)),
       ['exit %r' % rc] + lines)


def main():
    t0 = time.monotonic()
    itest.init('sd-activation.', alarm=120)

    # 1. unix socket, two workers, SIGTERM leaves the socket file
    us = unix_listener('unix')
    path = us[1][5:]
    p, log = served('unix socket', us, ['--workers', '2'], 2,
                    ['listening on systemd socket fd 3 (%s) with 2 workers' % us[1]])
    t = time.monotonic()
    gone = itest.stop_proc(p)
    ok(gone and p.returncode == 0, 'unix socket: SIGTERM: exit 0 in %.2f s'
       % (time.monotonic() - t), ['exit %r' % p.returncode] + itest.read_lines(log))
    ok(os.path.exists(path), 'unix socket: its file is left in place (systemd owns it)')
    us[0].close()

    # 2. TCP, no arguments at all
    ts = tcp_listener()
    p, log = served('TCP socket', ts, [], os.cpu_count() or 1,
                    ['listening on systemd socket fd 3 (%s)' % ts[1]])
    itest.stop_proc(p)
    ok(p.returncode == 0, 'TCP socket: SIGTERM: exit 0')

    # 3. another process's LISTEN_PID: not ours
    us = unix_listener('other')
    p, log = start('other', us[0], [], pid=str(os.getpid()))
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    lines = itest.read_lines(log)
    ok(rc == 2 and any('usage: sign_s3' in ln for ln in lines),
       "another process's LISTEN_PID, no arguments: ignored, usage, exit 2",
       ['exit %r' % rc] + lines)
    own = os.path.join(itest.TMP, 'own.sock')
    p, log = start('other2', us[0], ['--listen', 'unix:' + own, '--workers', '1'],
                   pid=str(os.getpid()))
    good = up(p, 1) and itest.wait_for(lambda: itest.can_connect(own), 5)
    itest.PIDS.update(itest.children(p.pid))
    ok(good, "another process's LISTEN_PID with --listen: comes up", itest.read_lines(log))
    signed("another process's LISTEN_PID: its --listen socket is served", 'unix:' + own)
    st, out, why = answer(us[1], timeout=1.5)
    ok(st is None, "another process's LISTEN_PID: the socket on fd 3 is not served",
       ['status %r %r %s' % (st, out, why)])
    itest.stop_proc(p)
    us[0].close()

    # 4. refusals
    us = unix_listener('r1')
    refused('LISTEN_FDS=2', us[0], [], '$$', '2', 1, ['2 sockets passed (LISTEN_FDS)'])
    refused('--listen beside a passed socket', us[0],
            ['--listen', 'unix:' + os.path.join(itest.TMP, 'x.sock')], '$$', '1', 2,
            ['--listen: systemd passed a socket'])
    refused('--socket-mode beside a passed socket', us[0], ['--socket-mode', '0600'],
            '$$', '1', 2, ['SocketMode='])
    us[0].close()
    bound = unix_listener('r2', listen=False)
    refused('fd 3 bound but not listening (Accept=yes)', bound[0], [], '$$', '1', 1,
            ['fd 3 is not listening'])
    bound[0].close()
    dgram = unix_listener('r3', listen=False, kind=socket.SOCK_DGRAM)
    refused('fd 3 a datagram socket', dgram[0], [], '$$', '1', 1,
            ['not a unix or TCP stream socket'])
    dgram[0].close()
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
