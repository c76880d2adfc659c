#!/usr/bin/python3
# listen_user.py - `--listen ... --user NAME` reads the user's ~/.aws, not
# the starter's: HOME comes from the passwd entry before the credential
# chain reads it. Root only (skipped otherwise). The starter's HOME holds a
# credentials file the user could read; the workers must not use it.
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import fcgi_client  # noqa: E402

SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'build', 'sign_s3')
if os.geteuid() != 0:
    print('1..0 # SKIP needs root for --user')
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix='listen-user.')
os.chmod(tmp, 0o755)
os.makedirs(os.path.join(tmp, '.aws'))
with open(os.path.join(tmp, '.aws', 'credentials'), 'w') as f:
    f.write('[default]\naws_access_key_id = AKIDSTARTERHOME\n'
            'aws_secret_access_key = %s\n' % ('s' * 40))
os.chmod(os.path.join(tmp, '.aws'), 0o755)
os.chmod(os.path.join(tmp, '.aws', 'credentials'), 0o644)
sock = os.path.join(tmp, 's.sock')
log = open(os.path.join(tmp, 'log'), 'w+')
env = {'PATH': '/usr/bin:/bin', 'HOME': tmp, 'S3_BUCKET': 'examplebucket',
       'AWS_EC2_METADATA_DISABLED': 'true', 'S3_CREDENTIALS': 'file'}
p = subprocess.Popen([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '1', '--user', 'nobody'],
                     env=env, stdout=log, stderr=log)
n = 0
failed = 0


def ok(cond, desc, diag=''):
    global n, failed
    n += 1
    failed += not cond
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, desc))
    if not cond:
        print('#   ' + str(diag).replace('\n', '\n#   '))


try:
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    params = {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
              'REMOTE_ADDR': '127.0.0.1', 'SCRIPT_NAME': '/api/sign_s3'}
    body = b'{"file_name":"a.txt"}'
    params['CONTENT_LENGTH'] = str(len(body))
    r = fcgi_client.request('unix:' + sock, params, body, timeout=10)
    st, _, out = fcgi_client.parse_cgi(r.stdout)
    text = ''
    for _ in range(40):            # the worker's log line, however it races the answer
        log.flush()
        log.seek(0)
        text = log.read()
        if '/nonexistent/.aws/credentials' in text:
            break
        time.sleep(0.05)
    ok(b'AKIDSTARTERHOME' not in out, "--user nobody: the starter's ~/.aws is not used",
       out[:300])
    ok(st == 503 and '/nonexistent/.aws/credentials' in text,
       "--user nobody: the chain looks in nobody's home (/nonexistent) and says so",
       '%r %s' % (st, text))
finally:
    p.terminate()
    p.wait(10)
    subprocess.run(['rm', '-rf', tmp])
print('1..%d' % n)
sys.exit(1 if failed else 0)
