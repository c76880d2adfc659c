#!/usr/bin/python3
# listen_socket.py - who may connect to `sign_s3 --listen unix:PATH`.
# Any local process that can connect can send any FastCGI parameter,
# REMOTE_USER included, so the socket is never world-writable:
#
#  1. default: mode 0660 (LISTEN_SOCKET_MODE), whatever umask sign_s3 is
#     started with (0 or 077), owned by our uid and egid; a request on it is
#     answered 200.
#  2. --socket-mode 0600 and 0640 give exactly that mode; --socket-group
#     with our own group (by name and by number) gives that group.
#  3. bad values exit 2 with a message naming the option, and make no
#     socket: world-writable modes (0666, 0602), non-octal, over 0777, an
#     unknown group, a socket option with a TCP address.
#  Root only (skipped otherwise):
#  4. --socket-group www-data: group www-data, mode 0660; a process as
#     www-data connects, one as nobody gets EACCES.
#  5. --user www-data (the deployment of nginx.conf.example): the socket
#     is root:www-data 0660, www-data connects, nobody cannot; --user
#     nobody --socket-group www-data: group www-data.
#  6. unprivileged (nobody, via setpriv), as contrib/sign_s3.service runs
#     it: in a set-group-ID directory of group www-data the socket is
#     nobody:www-data 0660 (with or without --socket-group www-data), so
#     www-data connects and another user cannot; asking for a group it
#     cannot switch to (root) is refused with a clear message, exit 1.

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest                                  # noqa: E402
from itest import ok, note                    # noqa: E402
import fcgi_client                            # noqa: E402

ROOT = os.geteuid() == 0
SETPRIV = shutil.which('setpriv') or '/usr/bin/setpriv'


def params(body):
    return {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
            'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
            'REQUEST_URI': '/api/sign_s3', 'SCRIPT_NAME': '/api/sign_s3'}


def start(tag, extra, umask=0o022, pre=(), sock_dir=None):
    sock = os.path.join(sock_dir or itest.TMP, tag + '.sock')
    log = os.path.join(itest.TMP, tag + '.log')
    lf = open(log, 'w')
    p = itest.start(list(pre) + [itest.SIGN_S3, '--listen', 'unix:' + sock,
                                 '--workers', '1'] + extra,
                    env=itest.sign_s3_env(), stdin=subprocess.DEVNULL,
                    stdout=lf, stderr=lf, umask=umask)
    lf.close()
    up = itest.wait_for(lambda: p.poll() is None and itest.can_connect(sock)
                        and len(itest.children(p.pid)) == 1, 10)
    itest.PIDS.update(itest.children(p.pid))
    return p, sock, log, up


def stop(p):
    itest.stop_proc(p)


def mode_of(path):
    try:
        st = os.lstat(path)
    except OSError as e:
        return None, 'lstat: %r' % e
    return st, 'mode %04o uid %d gid %d sock %s' % (
        st.st_mode & 0o7777, st.st_uid, st.st_gid, stat.S_ISSOCK(st.st_mode))


def answers_200(sock):
    body = b'{"file_name":"a.png","file_type":"image/png"}'
    try:
        r = fcgi_client.request('unix:' + sock, params(body), body, timeout=10)
    except OSError as e:
        return False, repr(e)
    st, _, out = fcgi_client.parse_cgi(r.stdout)
    return st == 200, '%r %r' % (st, out[:200])


def connect_as(user, path):
    """0 if a process running as user (uid, primary gid, no other groups)
    connects to path, else the errno."""
    pw = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        import socket
        rc = 99
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2)
            s.connect(path)
            rc = 0
        except OSError as e:
            rc = e.errno or 98
        finally:
            os._exit(rc)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def check(desc, tag, extra, want_mode, want_gid, want_uid=None, umask=0o022,
          users=None, pre=(), sock_dir=None):
    p, sock, log, up = start(tag, extra, umask, pre, sock_dir)
    if not ok(up, '%s: sign_s3 %s is up' % (tag, ' '.join(extra) or '(defaults)'),
              itest.read_lines(log)):
        stop(p)
        return
    st, what = mode_of(sock)
    good = (st is not None and stat.S_ISSOCK(st.st_mode)
            and (st.st_mode & 0o7777) == want_mode and st.st_gid == want_gid
            and st.st_uid == (os.geteuid() if want_uid is None else want_uid))
    ok(good, '%s: %s' % (tag, desc),
       ['%s; want mode %04o gid %d' % (what, want_mode, want_gid)])
    if st is not None:
        ok(not st.st_mode & 0o002, '%s: the socket is not world-writable' % tag, [what])
    good, why = answers_200(sock)
    ok(good, '%s: a request on the socket is answered 200' % tag, [why])
    for user, want in (users or {}).items():
        rc = connect_as(user, sock)
        ok(rc == want, '%s: a process as %s %s' % (
            tag, user, 'connects' if want == 0 else 'is refused (EACCES)'),
           ['connect: %s' % (os.strerror(rc) if rc else 'connected')])
    stop(p)


def refused(desc, extra, words, addr=None):
    sock = os.path.join(itest.TMP, 'bad.sock')
    argv = [itest.SIGN_S3, '--listen', addr or 'unix:' + sock] + extra
    try:
        r = subprocess.run(argv, env=itest.sign_s3_env(), capture_output=True,
                           timeout=10, stdin=subprocess.DEVNULL)
        rc, err = r.returncode, r.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        rc, err = None, 'still running after 10 s'
    ok(rc == 2 and all(w in err for w in words) and not os.path.exists(sock),
       'refused: %s -> exit 2, says %r' % (desc, ' ... '.join(words)),
       ['exit %r, socket made %s: %s' % (rc, os.path.exists(sock), err)])
    if os.path.exists(sock):
        os.unlink(sock)


def main():
    t0 = time.monotonic()
    itest.init('listen-socket.', alarm=120)
    egid = os.getegid()
    gname = grp.getgrgid(egid).gr_name

    check('default mode 0660, our uid and gid, started with umask 000',
          'default', [], 0o660, egid, umask=0)
    check('default mode 0660 with umask 077 too', 'strict', [], 0o660, egid, umask=0o077)
    check('--socket-mode 0600 gives 0600', 'm600', ['--socket-mode', '0600'], 0o600, egid,
          umask=0)
    check('--socket-mode 640 gives 0640 under umask 077', 'm640', ['--socket-mode', '640'],
          0o640, egid, umask=0o077)
    check('--socket-group %s (our own) gives that group' % gname, 'gown',
          ['--socket-group', gname], 0o660, egid)
    check('--socket-group %d (by number) gives that group' % egid, 'gnum',
          ['--socket-group', str(egid)], 0o660, egid)

    octal = ['octal mode from 0000 to 0777']
    refused('--socket-mode 0666 (world-writable)', ['--socket-mode', '0666'],
            ['--socket-mode', 'world-writable', '--socket-group'])
    refused('--socket-mode 0602 (o+w)', ['--socket-mode', '0602'],
            ['--socket-mode', 'world-writable'])
    refused('--socket-mode 0x1ff', ['--socket-mode', '0x1ff'], octal)
    refused('--socket-mode 888', ['--socket-mode', '888'], octal)
    refused('--socket-mode 01660 (beyond 0777)', ['--socket-mode', '01660'], octal)
    refused('--socket-mode 00660 (5 digits)', ['--socket-mode', '00660'], octal)
    refused('--socket-mode -1', ['--socket-mode', '-1'], octal)
    refused('--socket-mode with no value', ['--socket-mode'], ['needs a value'])
    refused('--socket-group no-such-group-x', ['--socket-group', 'no-such-group-x'],
            ['--socket-group: no such group: no-such-group-x'])
    refused('--socket-group 99999999999', ['--socket-group', '99999999999'],
            ['--socket-group: group number out of range'])
    refused('--socket-mode with a TCP address', ['--socket-mode', '0600'],
            ['apply to --listen unix:PATH only'], addr='127.0.0.1:%d' % itest.free_port())

    if not ROOT:
        note('SKIP: the --user, other-group and unprivileged-starter checks need root')
        return itest.finish(t0)
    www = pwd.getpwnam('www-data')
    check('--socket-group www-data: group www-data, mode 0660', 'gwww',
          ['--socket-group', 'www-data'], 0o660, www.pw_gid,
          users={'www-data': 0, 'nobody': 13})
    check('--user www-data: root:www-data, mode 0660', 'uwww',
          ['--user', 'www-data'], 0o660, www.pw_gid, want_uid=0,
          users={'www-data': 0, 'nobody': 13})
    check('--user nobody --socket-group www-data: group www-data', 'unobody',
          ['--user', 'nobody', '--socket-group', 'www-data'], 0o660, www.pw_gid,
          want_uid=0, users={'www-data': 0, 'nobody': 13})

    # the unprivileged service of contrib/sign_s3.service: its socket
    # directory is set-group-ID with the web server's group
    nob = pwd.getpwnam('nobody')
    as_nobody = [SETPRIV, '--reuid=nobody', '--regid=%d' % nob.pw_gid, '--clear-groups']
    conf = os.path.join(itest.TMP, 'sign_s3.conf')
    sgd = os.path.join(itest.TMP, 'sgid-run')
    os.makedirs(sgd)
    os.chown(sgd, nob.pw_uid, www.pw_gid)
    os.chmod(sgd, 0o2750)
    os.chmod(conf, 0o644)                      # nobody must read it
    try:
        check('nobody in a set-group-ID directory of www-data: nobody:www-data 0660',
              'sgid', [], 0o660, www.pw_gid, want_uid=nob.pw_uid, pre=as_nobody,
              sock_dir=sgd, users={'www-data': 0, 'daemon': 13})
        check('... and with --socket-group www-data too (no switch needed)',
              'sgidg', ['--socket-group', 'www-data'], 0o660, www.pw_gid,
              want_uid=nob.pw_uid, pre=as_nobody, sock_dir=sgd,
              users={'www-data': 0, 'daemon': 13})
    finally:
        os.chmod(conf, 0o600)

    # an unprivileged starter cannot switch to a group that is not its own
    d = os.path.join(itest.TMP, 'nobody-run')
    os.makedirs(d)
    os.chown(d, nob.pw_uid, nob.pw_gid)
    sock = os.path.join(d, 's.sock')
    argv = as_nobody + [itest.SIGN_S3, '--listen', 'unix:' + sock, '--socket-group', 'root']
    env = itest.sign_s3_env()
    os.chmod(env['SIGN_S3_CONFIG'], 0o644)     # nobody must read it
    try:
        r = subprocess.run(argv, env=env, capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        rc, err = r.returncode, r.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        rc, err = None, 'still running after 10 s'
    finally:
        os.chmod(env['SIGN_S3_CONFIG'], 0o600)
    ok(rc == 1 and 'cannot make the socket with group 0' in err and not os.path.exists(sock),
       'nobody asking for --socket-group root: exit 1 with why, no socket',
       ['exit %r, socket %s: %s' % (rc, os.path.exists(sock), err)])
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
