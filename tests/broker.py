#!/usr/bin/python3
# broker.py - credential_process through the credential broker
# (common/broker.h), black-box, against build/sign_s3 ($SIGN_S3).
#
# A credential_process script writes its whole environment to a file and
# prints credentials JSON (its own key, secret and token). sign_s3 runs with
# S3_CREDENTIALS=file (the file source pinned: the static keys in its
# environment are then no source at all, only secrets the helper must not
# see) and, in that environment, HTTP_PROXY (what a client's "Proxy:" header
# becomes under CGI), HTTP_X_FOO, QUERY_STRING, REMOTE_ADDR,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
# AWS_CONTAINER_AUTHORIZATION_TOKEN, S3_NOTIFY_SECRET (with its S3_NOTIFY_URL):
#   - CGI, sandbox on (the default): the process waiting for its body has
#     the filter; the answer is 200 and signed with the script's
#     credentials (botocore computes the same signature); the script ran
#     outside the filter, saw PATH (the fixed one), HOME, AWS_PROFILE and
#     AWS_REGION, and nothing else but what sh sets itself: no HTTP_*, no
#     CGI variable, no secret (neither the names nor the values);
#   - CGI, S3_SANDBOX=0 (no broker: run by the process itself): the same
#     minimal environment;
#   - CGI with S3_CREDENTIALS, AWS_PROFILE and AWS_REGION only in the
#     SIGN_S3_CONFIG file (common/settings.h): the same answer, and the
#     helper still sees the file's AWS_PROFILE and AWS_REGION;
#   - --listen (a FastCGI worker's broker): the same.

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qsl, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, 'lib'))

from itest import ok, note  # noqa: E402
from cgi_run import parse_cgi  # noqa: E402
import fcgi_client  # noqa: E402

SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')
if not os.access(SIGN_S3, os.X_OK):
    print('1..0 # SKIP no binary at %s' % SIGN_S3)
    sys.exit(0)
try:
    import verify_sig  # noqa: E402  (clears AWS_* from os.environ)
except ImportError:
    verify_sig = None

REGION = 'eu-west-1'
BROKER_PATH = '/usr/local/bin:/usr/bin:/bin'
AK, SK, TK = 'AKIDSCRIPT', 'SCRIPTsecret/' + 's' * 28, 'SCRIPTtoken' + 't' * 40
HOSTILE = dict(HTTP_PROXY='http://203.0.113.1:3128', HTTP_X_FOO='barvalue',
               QUERY_STRING='q=querystringvalue', REMOTE_ADDR='203.0.113.9',
               AWS_ACCESS_KEY_ID='AKIDSTATICKEY', AWS_SECRET_ACCESS_KEY='STATICsecret' + 'x' * 28,
               AWS_SESSION_TOKEN='STATICsessiontoken',
               AWS_CONTAINER_AUTHORIZATION_TOKEN='CONTAINERauthtoken',
               S3_NOTIFY_SECRET='NOTIFYsecretvalue',
               # the secret is refused alone (config.c: check_notify); the URL
               # is never called (the route here is /api/sign_s3)
               S3_NOTIFY_URL='http://127.0.0.1:9/notify')
ALLOWED = {'PATH', 'HOME', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_CONFIG_FILE',
           'AWS_SHARED_CREDENTIALS_FILE', 'AWS_REGION', 'AWS_DEFAULT_REGION',
           'PWD', 'SHLVL', '_', 'OLDPWD'}    # the last four: sh's own

TMP = tempfile.mkdtemp(prefix='sign_s3_broker_')
HOME = os.path.join(TMP, 'home')
ENVFILE = os.path.join(TMP, 'helper.env')
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def on_alarm(sig, frame):
    print('Bail out! tests/broker.py took more than 120 s')
    cleanup()
    os._exit(1)


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(120)

os.makedirs(os.path.join(HOME, '.aws'))
helper = os.path.join(TMP, 'helper.sh')
with open(helper, 'w') as f:
    f.write('#!/bin/sh\nenv > %s\ngrep "^Seccomp:" /proc/self/status >> %s.seccomp\n'
            'printf \'{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s",'
            '"SessionToken":"%s"}\'\n' % (ENVFILE, ENVFILE, AK, SK, TK))
os.chmod(helper, 0o755)
with open(os.path.join(HOME, '.aws', 'config'), 'w') as f:
    f.write('[profile brokertest]\ncredential_process = %s\n' % helper)

BODY = b'{"file_name":"photo.jpg","file_type":"image/jpeg"}'


def base_env(**kw):
    env = dict(PATH='/usr/bin:/bin', HOME=HOME, S3_BUCKET='examplebucket', S3_REGION=REGION,
               AWS_REGION=REGION, S3_CREDENTIALS='file', AWS_PROFILE='brokertest',
               AWS_EC2_METADATA_DISABLED='true', **HOSTILE)
    env.update(kw)
    return env


def cgi_env(env):
    return dict(env, GATEWAY_INTERFACE='CGI/1.1', REQUEST_METHOD='POST',
                CONTENT_TYPE='application/json', CONTENT_LENGTH=str(len(BODY)),
                SERVER_PROTOCOL='HTTP/1.1', SCRIPT_NAME='/api/sign_s3')


def reset():
    for p in (ENVFILE, ENVFILE + '.seccomp'):
        if os.path.exists(p):
            os.unlink(p)


def seccomp_of(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('Seccomp:'):
                    return line.split()[1]
    except OSError:
        pass
    return None


def cgi_held(env):
    """A CGI POST whose body is written only once the process waits for it
    (then its Seccomp field is read). (seccomp, status, body, stderr)."""
    p = subprocess.Popen([SIGN_S3], env=cgi_env(env), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(p)
    sc, end = None, time.time() + 10
    while time.time() < end:
        try:
            with open('/proc/%d/syscall' % p.pid) as f:
                if f.read().split()[:2] == ['0', '0x0']:     # read(0, ...)
                    sc = seccomp_of(p.pid)
                    break
        except OSError:
            break
        time.sleep(0.02)
    out, err = p.communicate(BODY, timeout=60)
    diag = []
    _, body = parse_cgi(out, diag)
    st = re.search(rb'^Status: (\d+)', out, re.M)
    return sc, int(st.group(1)) if st else 0, body or b'', err.decode(errors='replace')


def helper_env():
    """{name: value} the helper saw, or None."""
    try:
        with open(ENVFILE) as f:
            text = f.read()
    except OSError:
        return None, ''
    env = {}
    for line in text.splitlines():
        k, sep, v = line.partition('=')
        if sep and re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', k):
            env[k] = v
    return env, text


def check_env(desc):
    env, text = helper_env()
    if not ok(env is not None, '%s: the helper ran and wrote its environment' % desc):
        return
    names = set(env)
    ok(not any(n.startswith('HTTP_') for n in names) and 'HTTP_PROXY' not in text,
       '%s: the helper saw no HTTP_* (no HTTP_PROXY, no HTTP_X_FOO)' % desc, [text])
    ok(not names & {'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN',
                    'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'S3_NOTIFY_SECRET'}
       and not any(v in text for v in HOSTILE.values()),
       '%s: the helper saw no secret, neither name nor value' % desc, [text])
    ok(names <= ALLOWED, '%s: nothing but PATH, HOME and the AWS_* file/profile/region names '
       '(and sh\'s PWD)' % desc, [sorted(names - ALLOWED)])
    ok(env.get('PATH') == BROKER_PATH and env.get('HOME') == HOME
       and env.get('AWS_PROFILE') == 'brokertest' and env.get('AWS_REGION') == REGION,
       '%s: the helper saw PATH (the fixed one), HOME, AWS_PROFILE, AWS_REGION' % desc, [text])


def check_answer(desc, st, body, err):
    try:
        obj = json.loads(body)
    except ValueError:
        obj = {}
    url = obj.get('signed_request', '') if isinstance(obj, dict) else ''
    q = dict(parse_qsl(urlsplit(url).query))
    ok(st == 200 and q.get('X-Amz-Credential', '').startswith(AK + '/')
       and q.get('X-Amz-Security-Token') == TK,
       '%s: 200, signed with the script\'s key and token' % desc, [st, body[:300], err])
    if verify_sig:
        problems = verify_sig.check_answer(obj, access_key=AK, secret_key=SK, region=REGION,
                                           token=TK, file_type='image/jpeg')
        ok(not problems, '%s: botocore, given the script\'s credentials, signs the same' % desc,
           problems)
    else:
        note('botocore not importable: signature not recomputed')


# ---- CGI, sandbox on ----------------------------------------------------------

reset()
sc, st, body, err = cgi_held(base_env())
ok(sc == '2', 'CGI: the process waiting for its body has the filter (Seccomp 2)', [sc])
check_answer('CGI', st, body, err)
ok(err == '', 'CGI: nothing on stderr', [err])
try:
    helper_sc = open(ENVFILE + '.seccomp').read().split()
except OSError:
    helper_sc = None
ok(helper_sc == ['Seccomp:', '0'], 'CGI: the helper ran outside the filter (the broker ran it)',
   [helper_sc])
check_env('CGI')

# ---- CGI, no sandbox: the process runs it itself --------------------------------

reset()
sc, st, body, err = cgi_held(base_env(S3_SANDBOX='0'))
ok(sc == '0', 'CGI, S3_SANDBOX=0: no filter', [sc])
check_answer('CGI, S3_SANDBOX=0', st, body, err)
check_env('CGI, S3_SANDBOX=0')

# ---- CGI, the chain's settings only in the configuration file ---------------------
# S3_CREDENTIALS, AWS_PROFILE and AWS_REGION come from a SIGN_S3_CONFIG file
# (common/settings.h): the chain reads them there, and the helper's minimal
# environment carries the file's AWS_PROFILE and AWS_REGION.

reset()
CONF = os.path.join(TMP, 'chain.conf')
with open(CONF, 'w') as f:
    f.write('S3_CREDENTIALS=file\nAWS_PROFILE=brokertest\nAWS_REGION=%s\n' % REGION)
os.chmod(CONF, 0o600)
fenv = base_env(SIGN_S3_CONFIG=CONF)
for k in ('S3_CREDENTIALS', 'AWS_PROFILE', 'AWS_REGION'):
    del fenv[k]
sc, st, body, err = cgi_held(fenv)
check_answer('CGI, chain settings in the file', st, body, err)
check_env('CGI, chain settings in the file')

# ---- --listen ---------------------------------------------------------------------

reset()
sock = os.path.join(TMP, 'broker.sock')
errpath = os.path.join(TMP, 'listen.err')
with open(errpath, 'wb') as errf:
    L = subprocess.Popen([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '1'],
                         env=base_env(), stdout=subprocess.DEVNULL, stderr=errf)
procs.append(L)


def up():
    if not os.path.exists(sock):
        return False
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sock)
        return True
    except OSError:
        return False
    finally:
        s.close()


end = time.time() + 15
while time.time() < end and not up():
    time.sleep(0.05)
params = dict(REQUEST_METHOD='POST', CONTENT_TYPE='application/json',
              CONTENT_LENGTH=str(len(BODY)), SCRIPT_NAME='/api/sign_s3',
              SERVER_PROTOCOL='HTTP/1.1', REMOTE_ADDR='127.0.0.1',
              HTTP_PROXY='http://203.0.113.1:3128', HTTP_X_FOO='barvalue')
try:
    r = fcgi_client.request('unix:' + sock, params, BODY, timeout=30)
    out = r.stdout
except OSError as e:
    out = b''
    note('FastCGI request failed: %s' % e)
diag = []
_, body = parse_cgi(out, diag)
m = re.search(rb'^Status: (\d+)', out, re.M)
log = open(errpath, errors='replace').read()
ok('credential_process through a broker' in log, '--listen: the sandbox line names the broker',
   [log])
check_answer('--listen', int(m.group(1)) if m else 0, body or b'', log)
check_env('--listen')
L.send_signal(signal.SIGTERM)
try:
    rc = L.wait(timeout=20)
except subprocess.TimeoutExpired:
    rc = None
ok(rc == 0, '--listen: SIGTERM, exit 0', [rc, log])

print('1..%d' % __import__('itest')._n)
failed = __import__('itest')._failed
cleanup()
sys.exit(1 if failed else 0)
