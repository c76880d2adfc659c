#!/usr/bin/python3
# sandbox.py - the seccomp sandbox of serving processes (common/sandbox.h),
# black-box, against build/sign_s3 ($SIGN_S3) and, when built, the
# sanitizer build (build-san/sign_s3, $SIGN_S3_SAN):
#
#  1. a --listen worker has the filter (/proc/PID/status "Seccomp: 2",
#     NoNewPrivs 1, core dumps off), the listener says so in one line and
#     has no filter itself; requests still answer 200/400/405/413 and no
#     worker dies; SIGTERM still stops everything cleanly;
#  2. a CGI process has the filter too (seen while it waits for its body)
#     and says nothing about it on stderr;
#  3. S3_SANDBOX=0 turns everything off (Seccomp 0, NoNewPrivs 0, one line
#     "sandbox: off"); S3_SANDBOX=bogus is a configuration error (CGI: 500);
#  4. credentials through the filter: container and IMDS credentials from
#     the fake metadata service (libcurl dlopen'ed, sockets, a full URI on
#     "localhost"), in CGI and in a FastCGI worker (whose line says INET
#     sockets are allowed, and a static-keys worker's that they are not);
#     credential_process through the credential broker (broker.h): the CGI
#     process has the filter, the helper runs outside it, also when SIGCHLD
#     is ignored; S3_SANDBOX_EXEC (the old deny-list mode) is refused at
#     start; TLS to a self-signed server (503 for the certificate, and only
#     that), through glibc's resolver when /etc/hosts has a name for
#     127.0.0.1;
#  5. with strace: every run above again, traced; after the filter is in
#     place no syscall may fail with EPERM, EACCES or ENOSYS, but for the
#     designed ones: clone3's ENOSYS (glibc falls back to clone) and
#     socket(AF_UNIX)'s EPERM (glibc's nscd probe, which then goes without):
#     the allow-list is complete for what the suite does; and no filtered
#     process ever calls execve (credential_process included: the broker
#     runs it). The syscalls seen are listed as a diagnostic.
#  6. the sanitizer build serves under the filter, LeakSanitizer included.
# Denied operations one by one (execve, fork, open for writing, raw
# sockets, the hostile syscalls) are in tests/unit/test_sandbox.c.

import atexit
import collections
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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')
SAN = os.environ.get('SIGN_S3_SAN') or os.path.join(REPO, 'build-san', 'sign_s3')

_n = 0
_failed = 0


def ok(cond, desc, diag=()):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', _n, desc.replace('#', '<hash>')))
    for line in (diag if not cond else ()):
        for sub in str(line).splitlines() or ['']:
            print('#   ' + sub)
    sys.stdout.flush()
    return bool(cond)


def skip(desc, why):
    global _n
    _n += 1
    print('ok %d - %s # SKIP %s' % (_n, desc, why))


def note(msg):
    print('# ' + msg)
    sys.stdout.flush()


if not os.path.exists('/proc/self/status') or 'Seccomp:' not in open('/proc/self/status').read():
    print('1..0 # SKIP no seccomp in this kernel (/proc/self/status has no Seccomp field)')
    sys.exit(0)
if os.uname().machine != 'x86_64':
    print('1..0 # SKIP the filter is x86_64 only (elsewhere sign_s3 logs that it is unsupported)')
    sys.exit(0)
if not os.access(SIGN_S3, os.X_OK):
    print('1..0 # SKIP no binary at %s' % SIGN_S3)
    sys.exit(0)

TMP = tempfile.mkdtemp(prefix='sign_s3_sandbox_')
HOME = os.path.join(TMP, 'home')
os.mkdir(HOME)
procs = []       # Popen objects
pids = []        # listeners (and their workers) started here, e.g. under strace


def cleanup():
    for pid in pids:                      # a listener first, then its workers
        for q in [pid] + children(pid):
            if comm(q) == 'sign_s3':
                try:
                    os.kill(q, signal.SIGKILL)
                except OSError:
                    pass
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def on_alarm(sig, frame):
    print('Bail out! tests/sandbox.py took more than 180 s')
    cleanup()
    os._exit(1)


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(180)
atexit.register(cleanup)     # also when a check raises

STATIC = dict(AWS_ACCESS_KEY_ID='AKIDSANDBOX', AWS_SECRET_ACCESS_KEY='SANDBOXsecret/' + 'x' * 26)
SECRET = STATIC['AWS_SECRET_ACCESS_KEY']


def env_of(**kw):
    env = dict(PATH='/usr/bin:/bin', HOME=HOME, S3_BUCKET='examplebucket',
               S3_REGION='eu-west-1', AWS_EC2_METADATA_DISABLED='true',
               AWS_CONFIG_FILE=os.path.join(HOME, 'no-config'),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(HOME, 'no-credentials'))
    for k, v in kw.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def status_of(pid):
    """{'Seccomp': '2', 'NoNewPrivs': '1', ...} of a live process, or {}."""
    try:
        with open('/proc/%d/status' % pid) as f:
            return dict(line.rstrip('\n').split(':\t', 1) for line in f if ':\t' in line)
    except OSError:
        return {}


def core_limit(pid):
    try:
        with open('/proc/%d/limits' % pid) as f:
            for line in f:
                if line.startswith('Max core file size'):
                    return line.split()[4:6]
    except OSError:
        pass
    return None


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def in_syscall(pid):
    """The number of the syscall pid is blocked in (/proc/PID/syscall), or None."""
    try:
        with open('/proc/%d/syscall' % pid) as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return None


def comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def wait_for(cond, timeout, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


# ---- the fake metadata service -------------------------------------------------

fake = subprocess.Popen(['/usr/bin/python3', os.path.join(HERE, 'lib', 'fake_metadata.py')],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
procs.append(fake)
m = re.match(r'PORT (\d+)$', fake.stdout.readline().strip())
if not m:
    print('Bail out! fake_metadata.py did not start')
    sys.exit(1)
PORT = int(m.group(1))
BASE = 'http://127.0.0.1:%d' % PORT


def fake_creds():
    req = urllib.request.Request(BASE + '/_control?', method='PUT', data=b'')
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=5) as r:
        return json.loads(r.read())['creds']


CONTAINER = dict(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/sandbox',
                 S3_CONTAINER_ENDPOINT=BASE)
FULL_URI = dict(AWS_CONTAINER_CREDENTIALS_FULL_URI='http://localhost:%d/creds' % PORT)
IMDS = dict(AWS_EC2_METADATA_DISABLED=None, AWS_EC2_METADATA_SERVICE_ENDPOINT=BASE)

# ---- CGI and FastCGI clients ----------------------------------------------------

BODY = b'{"file_name":"photo 1.jpg","file_type":"image/jpeg"}'
BODY_NOTYPE = b'{"file_name":"report.pdf"}'


def cgi_env(env, body, method='POST', ctype='application/json'):
    return dict(env, GATEWAY_INTERFACE='CGI/1.1', REQUEST_METHOD=method,
                CONTENT_TYPE=ctype, CONTENT_LENGTH=str(len(body)),
                REMOTE_ADDR='127.0.0.1', SERVER_PROTOCOL='HTTP/1.1',
                SCRIPT_NAME='/api/sign_s3')


def parse(out):
    head, _, body = out.partition(b'\r\n\r\n')
    st = re.search(rb'^Status: (\d+)', head, re.M)
    return (int(st.group(1)) if st else 0), body


def cgi(env, body=BODY, argv0=None, prefix=()):
    r = subprocess.run(list(prefix) + [argv0 or SIGN_S3], env=cgi_env(env, body), input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    st, data = parse(r.stdout)
    return st, data, r.stderr.decode(errors='replace'), r.returncode


def fcgi(addr, body=BODY, method='POST', ctype='application/json'):
    """One FastCGI request over a unix socket; (status, body)."""
    def rec(t, c=b''):
        return struct.pack('>BBHHBx', 1, t, 1, len(c), -len(c) % 8) + c + b'\0' * (-len(c) % 8)

    def nv(k, v):
        return bytes([len(k), len(v)]) + k + v
    params = b''.join(nv(k.encode(), v.encode())
                      for k, v in cgi_env({}, body, method, ctype).items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(addr)
    s.sendall(rec(1, struct.pack('>HB5x', 1, 0)) + rec(4, params) + rec(4) +
              (rec(5, body) if body else b'') + rec(5))
    out, buf = b'', b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            _, t, _, clen, plen = struct.unpack('>BBHHBx', buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            if t == 6:
                out += buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if t == 3:
                s.close()
                return parse(out)
    s.close()
    return parse(out)


class Listener:
    """sign_s3 --listen unix:SOCK --workers N, optionally under strace."""

    def __init__(self, name, env, workers=1, trace=None, binary=None):
        self.sock = os.path.join(TMP, name + '.sock')
        self.errpath = os.path.join(TMP, name + '.err')
        self.err = open(self.errpath, 'wb')
        argv = [binary or SIGN_S3, '--listen', 'unix:' + self.sock, '--workers', str(workers)]
        if trace:
            argv = ['strace', '-f', '-qq', '-o', trace] + argv
        self.p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.err)
        procs.append(self.p)
        self.pid = self.p.pid
        if trace:   # the listener is strace's child (strace may fork probes first)
            self.pid = wait_for(lambda: next((c for c in children(self.p.pid)
                                              if comm(c) == os.path.basename(argv[5])), None), 10)
        if self.pid:
            pids.append(self.pid)
        # up: the socket is there and every worker waits for a connection:
        # in epoll_pwait (281; epoll_pwait2 441), or poll/ppoll/accept
        self.up = bool(self.pid) and wait_for(
            lambda: os.path.exists(self.sock) and len(children(self.pid)) == workers
            and all(in_syscall(c) in ('281', '441', '7', '271', '43', '288')
                    for c in children(self.pid)), 15)

    def workers(self):
        return children(self.pid)

    def log(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.errpath, errors='replace') as f:
            return f.read()

    def stop(self):
        """SIGTERM to the listener itself; its exit status, or None."""
        if self.pid and self.p.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=20)
            if self.pid in pids:      # gone with its workers: nothing left to kill
                pids.remove(self.pid)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = None
        self.err.close()
        return rc


# ---- 1. a --listen worker --------------------------------------------------------

# the multipart routes call S3 (S3_MULTIPART=1, the default: INET sockets);
# with them off and static keys the worker is offline
L = Listener('s3', env_of(**STATIC))
ok(re.search(r'sandbox: seccomp on \((\d+) syscalls allowed, INET sockets for S3 '
             r'\(multipart\)\) in each worker\n', L.log()),
   '--listen, static keys, the default S3_MULTIPART=1: the line says INET sockets for S3',
   [L.log()])
L.stop()
L = Listener('strict', env_of(S3_MULTIPART='0', **STATIC))
ok(L.up, '--listen: up with one worker', [L.log()])
log = L.log()
mm = re.search(r'sign_s3\[(\d+)\]: sandbox: seccomp on \((\d+) syscalls allowed, no INET '
               r'sockets\) in each worker\n', log)
ok(mm and int(mm.group(1)) == L.pid and 60 < int(mm.group(2)) < 140,
   '--listen, static keys: one line "sandbox: seccomp on (N syscalls allowed, no INET '
   'sockets) in each worker"', [log])
ok(log.count('sandbox:') == 1, '--listen: only that one line about the sandbox', [log])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'README.md')) as f:
    readme_counts = set(re.findall(r'(\d+) (?:allowed syscalls|syscalls allowed)', f.read()))
ok(mm and readme_counts == {mm.group(2)},
   'README quotes the one count the filter logs (%s)' % (mm.group(2) if mm else '?'),
   ['README says %r' % sorted(readme_counts)])
w = L.workers()
ws = status_of(w[0]) if w else {}
ok(ws.get('Seccomp') == '2', 'worker: /proc/PID/status Seccomp: 2 (filter)', [ws.get('Seccomp')])
ok(ws.get('NoNewPrivs') == '1', 'worker: NoNewPrivs: 1')
ok(core_limit(w[0]) == ['0', '0'] if w else False, 'worker: core dumps off (RLIMIT_CORE 0)',
   [core_limit(w[0]) if w else 'no worker'])
ps = status_of(L.pid)
ok(ps.get('Seccomp') == '0' and ps.get('NoNewPrivs') == '1',
   'listener: no filter (it forks), but NoNewPrivs: 1', [ps.get('Seccomp'), ps.get('NoNewPrivs')])

answers = [
    ('POST JSON', fcgi(L.sock), 200),
    ('POST JSON, type from the name (mime.types)', fcgi(L.sock, BODY_NOTYPE), 200),
    ('GET', fcgi(L.sock, b'', 'GET'), 400),
    ('invalid JSON', fcgi(L.sock, b'{"file_name":'), 400),
    ('PUT', fcgi(L.sock, b'', 'PUT'), 405),
    ('415', fcgi(L.sock, b'x', 'POST', 'text/plain'), 415),
    ('413', fcgi(L.sock, b'{"file_name":"' + b'a' * 20000 + b'"}'), 413),
]
for name, (st, body), want in answers:
    ok(st == want, 'worker: %s -> %d' % (name, want), ['got %d: %r' % (st, body[:200])])
ok(b'"image/jpeg"' in answers[0][1][1] and b'application/pdf' in answers[1][1][1],
   'worker: answers carry the types', [answers[0][1][1][:200], answers[1][1][1][:200]])
ok(L.workers() == w, 'worker: still the same process (nothing was killed)', [w, L.workers()])
rc = L.stop()
ok(rc == 0, 'SIGTERM: the listener and its sandboxed worker stop cleanly (exit %r)' % rc, [L.log()])
ok('serving without it' not in L.log() and 'signal' not in L.log(),
   'no sandbox failure, no worker killed', [L.log()])

# ---- 2. CGI ---------------------------------------------------------------------


def cgi_held(env, binary=None):
    """A CGI POST whose body is held back: the process has started and is
    waiting for it. Returns (Seccomp, NoNewPrivs, status, stderr)."""
    p = subprocess.Popen([binary or SIGN_S3], env=cgi_env(env, BODY), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(p)

    def waiting():
        # blocked in read(0, ...): /proc/PID/syscall starts "0 0x0"
        try:
            with open('/proc/%d/syscall' % p.pid) as f:
                sysc = f.read().split()
        except OSError:
            return None
        return status_of(p.pid) if sysc[:2] == ['0', '0x0'] else None
    s = wait_for(waiting, 10) or status_of(p.pid)
    out, err = p.communicate(BODY, timeout=30)
    st, _ = parse(out)
    return s.get('Seccomp'), s.get('NoNewPrivs'), st, err.decode(errors='replace')


sc, nnp, st, err = cgi_held(env_of(**STATIC))
ok(sc == '2' and nnp == '1', 'CGI: the process waiting for its body has the filter (Seccomp 2, '
   'NoNewPrivs 1)', [sc, nnp])
ok(st == 200 and err == '', 'CGI: then answers 200, nothing on stderr (quiet)', [st, err])
st, body, err, _ = cgi(env_of(**STATIC), BODY_NOTYPE)
ok(st == 200 and b'application/pdf' in body,
   'CGI: type from the name: mime.types read under the filter', [st, body[:200], err])
st, body, err, _ = cgi(env_of(**STATIC), b'{"file_name":1}')
ok(st == 400 and err.count('\n') == 1 and 'sandbox' not in err,
   'CGI: 400, its one log line, nothing about the sandbox', [st, err])

# ---- 3. off, bad values ----------------------------------------------------------

sc, nnp, st, err = cgi_held(env_of(S3_SANDBOX='0', **STATIC))
ok(sc == '0' and nnp == '0' and st == 200, 'CGI, S3_SANDBOX=0: Seccomp 0, NoNewPrivs 0, 200',
   [sc, nnp, st, err])
L = Listener('off', env_of(S3_SANDBOX='0', **STATIC))
w = L.workers()
ok(L.up and w and status_of(w[0]).get('Seccomp') == '0' and core_limit(w[0]) != ['0', '0'],
   '--listen, S3_SANDBOX=0: worker Seccomp 0, core limit untouched',
   [L.log(), w and status_of(w[0]).get('Seccomp'), w and core_limit(w[0])])
ok(re.search(r'sandbox: off \(S3_SANDBOX=0\)\n', L.log()),
   '--listen, S3_SANDBOX=0: the line says "sandbox: off (S3_SANDBOX=0)"', [L.log()])
ok(fcgi(L.sock)[0] == 200, '--listen, S3_SANDBOX=0: 200')
ok(L.stop() == 0, '--listen, S3_SANDBOX=0: stops cleanly')

r = subprocess.run([SIGN_S3, '--listen', 'unix:' + os.path.join(TMP, 'bad.sock')],
                   env=env_of(S3_SANDBOX='yes', **STATIC), stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=30)
ok(r.returncode == 1 and b'configuration error: S3_SANDBOX must be 0' in r.stderr,
   '--listen, S3_SANDBOX=yes: configuration error naming S3_SANDBOX, exit 1',
   [r.returncode, r.stderr])
for v in ('1', '0'):
    st, body, err, _ = cgi(env_of(S3_SANDBOX_EXEC=v, **STATIC))
    ok(st == 500 and b'"statusCode":500' in body and 'S3_SANDBOX_EXEC is gone' in err
       and 'S3_SANDBOX_EXEC' not in body.decode(),
       'CGI, S3_SANDBOX_EXEC=%s: refused at start: 500 JSON, the log says it is gone' % v,
       [st, body, err])
r = subprocess.run([SIGN_S3, '--listen', 'unix:' + os.path.join(TMP, 'bad.sock')],
                   env=env_of(S3_SANDBOX_EXEC='1', **STATIC), stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=30)
ok(r.returncode == 1 and b'configuration error: S3_SANDBOX_EXEC is gone' in r.stderr,
   '--listen, S3_SANDBOX_EXEC=1: refused at start, exit 1', [r.returncode, r.stderr])

# ---- 4. credentials through the filter -------------------------------------------


def creds_case(desc, env):
    st, body, err, _ = cgi(env)
    c = fake_creds()
    tok = c and c.get('Token') or ''
    ok(st == 200 and ('X-Amz-Credential=' + c['AccessKeyId']).encode() in body
       and b'X-Amz-Security-Token=' in body,
       'CGI, %s: 200 with the temporary credentials' % desc, [st, body[:300], err])
    ok(err == '' and c['SecretAccessKey'] not in err and tok not in err,
       'CGI, %s: nothing on stderr' % desc, [err])


creds_case('container credentials (relative URI)', env_of(**CONTAINER))
creds_case('container credentials, full URI on localhost', env_of(**FULL_URI))
creds_case('IMDSv2', env_of(**IMDS))

# TLS (OpenSSL through libcurl: CA bundle, handshake) and, when /etc/hosts
# names 127.0.0.1 other than "localhost" (which libcurl answers itself),
# glibc's resolver in libcurl's thread: the self-signed certificate is
# refused, so 503, but for that reason and no other.
TLS_PORT = None
if shutil.which('openssl'):
    crt, key = os.path.join(TMP, 'tls.crt'), os.path.join(TMP, 'tls.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                    '-out', crt, '-days', '1', '-subj', '/CN=sandbox'],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tls = subprocess.Popen(['/usr/bin/python3', '-c', """
import http.server, ssl, sys
s = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = c.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
""", crt, key], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs.append(tls)
    line = tls.stdout.readline().strip()
    TLS_PORT = int(line) if line.isdigit() else None
HOSTS_NAME = None
try:
    for line in open('/etc/hosts'):
        f = line.split('#')[0].split()
        if f and f[0] == '127.0.0.1':
            HOSTS_NAME = next((n for n in f[1:] if 'localhost' not in n), HOSTS_NAME)
except OSError:
    pass
TLS_CASES = []
if TLS_PORT:
    TLS_CASES.append(('full URI over https to 127.0.0.1',
                      env_of(AWS_CONTAINER_CREDENTIALS_FULL_URI='https://127.0.0.1:%d/c'
                             % TLS_PORT)))
    if HOSTS_NAME:
        TLS_CASES.append(('full URI over https to %s (/etc/hosts, resolver thread)' % HOSTS_NAME,
                          env_of(AWS_CONTAINER_CREDENTIALS_FULL_URI='https://%s:%d/c'
                                 % (HOSTS_NAME, TLS_PORT))))
for desc, env in TLS_CASES:
    st, body, err, _ = cgi(env)
    ok(st == 503 and re.search(r'container: [^;]*(SSL|certificate)', err),
       'CGI, %s: 503 for the self-signed certificate, and only that' % desc, [st, err])
if not TLS_CASES:
    skip('CGI, full URI over https', 'no openssl command or TLS server')

L = Listener('imds', env_of(S3_MULTIPART='0', **IMDS))
ok(re.search(r'sandbox: seccomp on \(\d+ syscalls allowed, INET sockets for the container/IMDS '
             r'credentials, credential_process through a broker\) in each worker', L.log()),
   '--listen, chain without static keys: the line says INET sockets and the broker',
   [L.log()])
w = L.workers()
r1, r2 = fcgi(L.sock), fcgi(L.sock)
ok(r1[0] == 200 and r2[0] == 200 and b'X-Amz-Security-Token=' in r1[1],
   'worker, IMDSv2: 200 twice under the filter', [r1, r2, L.log()])
ok(L.workers() == w and w and status_of(w[0]).get('Seccomp') == '2',
   'worker, IMDSv2: same worker, still filtered', [w, L.workers()])
ok(L.stop() == 0, 'worker, IMDSv2: stops cleanly', [L.log()])

# credential_process: ~/.aws/config names it, no static keys
helper = os.path.join(TMP, 'helper.sh')
seen = os.path.join(TMP, 'helper-seccomp')
with open(helper, 'w') as f:
    f.write('#!/bin/sh\ngrep "^Seccomp:" /proc/self/status > %s\n'
            'printf \'{"Version":1,"AccessKeyId":"AKIDPROCESS","SecretAccessKey":"%s"}\'\n'
            % (seen, 'p' * 40))
os.chmod(helper, 0o755)
os.mkdir(os.path.join(HOME, '.aws'))
with open(os.path.join(HOME, '.aws', 'config'), 'w') as f:
    f.write('[default]\ncredential_process = %s\n' % helper)
PROC = dict(AWS_CONFIG_FILE=None, AWS_SHARED_CREDENTIALS_FILE=None)

sc, nnp, st, err = cgi_held(env_of(**PROC))
ok(sc == '2' and st == 200 and err == '',
   'CGI, credential_process in ~/.aws/config: the process has the filter (Seccomp 2) and '
   'answers 200, quietly', [sc, st, err])
st, body, err, _ = cgi(env_of(**PROC))
ok(st == 200 and b'X-Amz-Credential=AKIDPROCESS' in body,
   'CGI, credential_process: signed with its credentials', [st, body[:300], err])
try:
    helper_saw = open(seen).read().split()
except OSError:
    helper_saw = None
ok(helper_saw == ['Seccomp:', '0'], 'CGI, credential_process: the helper ran outside the '
   'filter (Seccomp 0: the broker ran it)', [helper_saw])
# A web server may start the CGI with SIGCHLD ignored: the helper's exit
# status must still be read (not "exit status lost").
r = subprocess.run([SIGN_S3], env=cgi_env(env_of(**PROC), BODY), input=BODY,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                   preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
st, body = parse(r.stdout)
ok(st == 200 and b'X-Amz-Credential=AKIDPROCESS' in body,
   'CGI started with SIGCHLD ignored, credential_process: 200', [st, body[:300], r.stderr])
st, body, err, _ = cgi(env_of(S3_CREDENTIALS='env', **PROC))
ok(st == 503 and 'credential_process' not in err,
   'CGI, S3_CREDENTIALS=env: the file source and its credential_process are never asked',
   [st, body[:200], err])
L = Listener('proc', env_of(S3_MULTIPART='0', **PROC))
ok(re.search(r'sandbox: seccomp on \(\d+ syscalls allowed, no INET sockets, '
             r'credential_process through a broker\) in each worker', L.log()),
   '--listen, credential_process, IMDS disabled: the line says no INET, a broker', [L.log()])
ok(fcgi(L.sock)[0] == 200, '--listen, credential_process: 200')
ok(L.stop() == 0, '--listen, credential_process: stops cleanly', [L.log()])
os.unlink(os.path.join(HOME, '.aws', 'config'))

# ---- 5. strace: nothing denied that the runs need --------------------------------

LINE = re.compile(r'^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()')
RES = re.compile(r'= -1 (EPERM|ENOSYS|EACCES) ')


def denied_after_filter(path):
    """(syscalls seen after a filter went in, [denied lines]) of a strace -f
    log; a process is filtered from its seccomp() on, with its children."""
    seen, bad, filtered, pending = collections.Counter(), [], set(), {}
    with open(path, errors='replace') as f:
        for line in f:
            mt = LINE.match(line)
            if not mt:
                continue
            pid, name = int(mt.group(1)), mt.group(2) or mt.group(3)
            if '<unfinished' in line:
                pending[pid] = line.split('<unfinished')[0]
            elif mt.group(2):     # "<... NAME resumed>": the call whole again
                line = pending.pop(pid, '') + line
            if name == 'seccomp' and re.search(r'\) += 0$', line.rstrip()):
                filtered.add(pid)
                continue
            if pid not in filtered or '<unfinished' in line:
                continue
            if name in ('clone', 'clone3', 'fork', 'vfork'):
                r = re.search(r'= (\d+)\s*$', line)
                if r:
                    filtered.add(int(r.group(1)))
            seen[name] += 1
            rm = RES.search(line)
            if rm and not (name == 'clone3' and rm.group(1) == 'ENOSYS') and \
                    not (name == 'socket' and 'socket(AF_UNIX' in line):
                bad.append(line.strip()[:200])
    return seen, bad


def strace_works():
    try:
        return subprocess.run(['strace', '-f', '-qq', '-o', os.devnull, 'true'], timeout=10,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


if not shutil.which('strace') or not strace_works():
    skip('strace: nothing denied under the filter', 'strace not available')
else:
    traces, allseen = [], collections.Counter()

    def traced_cgi(desc, env, body=BODY, want=200):
        env = dict(env, ASAN_OPTIONS='detect_leaks=0')   # LeakSanitizer cannot run under ptrace
        t = os.path.join(TMP, 'trace.%d' % len(traces))
        traces.append((desc, t))
        st, _, err, _ = cgi(env, body, prefix=['strace', '-f', '-qq', '-o', t])
        ok(st == want, 'strace, CGI %s: %d' % (desc, want), [st, err])

    traced_cgi('static keys', env_of(**STATIC))
    traced_cgi('type from the name', env_of(**STATIC), BODY_NOTYPE)
    traced_cgi('400', env_of(**STATIC), b'[]', 400)
    traced_cgi('container', env_of(**CONTAINER))
    traced_cgi('full URI on localhost', env_of(**FULL_URI))
    traced_cgi('IMDSv2', env_of(**IMDS))
    traced_cgi('no credentials at all', env_of(), BODY, 503)
    for desc, env in TLS_CASES:
        traced_cgi(desc, env, BODY, 503)
    with open(os.path.join(HOME, '.aws', 'config'), 'w') as f:
        f.write('[default]\ncredential_process = %s\n' % helper)
    traced_cgi('credential_process', env_of(**PROC))
    os.unlink(os.path.join(HOME, '.aws', 'config'))
    for desc, env in (('static keys', env_of(**STATIC)), ('IMDSv2', env_of(**IMDS)),
                      ('container', env_of(**CONTAINER))):
        t = os.path.join(TMP, 'trace.%d' % len(traces))
        traces.append(('--listen ' + desc, t))
        L = Listener('traced', dict(env, ASAN_OPTIONS='detect_leaks=0'), trace=t)
        res = [fcgi(L.sock)[0], fcgi(L.sock, BODY_NOTYPE)[0], fcgi(L.sock, b'x')[0]]
        rc = L.stop()
        ok(L.up and res == [200, 200, 400] and rc == 0,
           'strace, --listen %s: 200, 200, 400, then SIGTERM, exit 0' % desc,
           [L.up, res, rc, L.log()[-600:]])
    for desc, t in traces:
        seen, bad = denied_after_filter(t)
        allseen.update(seen)
        ok(seen and not bad, 'strace, %s: no syscall denied after the filter went in '
           '(%d calls traced)' % (desc, sum(seen.values())), bad[:10] or ['nothing traced'])
        if desc == 'credential_process':
            ok('execve' not in seen and 'fork' not in seen and 'vfork' not in seen,
               'strace, credential_process: no filtered process calls execve or fork '
               '(the broker, forked before the filter, runs the helper)', [sorted(seen)])
    note('syscalls made under the filter: ' + ' '.join(sorted(allseen)))

# ---- 6. the sanitizer build -------------------------------------------------------

if not os.access(SAN, os.X_OK):
    skip('sanitizer build under the filter', 'no %s' % SAN)
else:
    san_env = dict(ASAN_OPTIONS='detect_leaks=1:abort_on_error=1',
                   UBSAN_OPTIONS='halt_on_error=1:print_stacktrace=1')
    for desc, env in (('static keys', env_of(**STATIC, **san_env)),
                      ('container credentials', env_of(**CONTAINER, **san_env))):
        sc, nnp, st, err = cgi_held(env, SAN)
        ok(sc == '2' and st == 200 and 'Sanitizer' not in err and 'runtime error' not in err,
           'sanitizer build, CGI %s: filtered, 200, LeakSanitizer clean at exit' % desc,
           [sc, st, err[-1500:]])
    L = Listener('san', env_of(**STATIC, **san_env), binary=SAN)
    w = L.workers()
    res = [fcgi(L.sock)[0], fcgi(L.sock, b'x')[0]] if L.up else []
    ok(L.up and w and status_of(w[0]).get('Seccomp') == '2' and res == [200, 400],
       'sanitizer build, --listen: filtered worker answers 200, 400', [res, L.log()[-1500:]])
    rc = L.stop()
    ok(rc == 0 and 'Sanitizer' not in L.log(), 'sanitizer build, --listen: stops cleanly, '
       'no sanitizer report', [rc, L.log()[-1500:]])

print('1..%d' % _n)
sys.exit(1 if _failed else 0)
