#!/usr/bin/python3
# policy.py - sign_s3's upload policy, black box: S3_REQUIRE_USER and {user}
# in S3_KEY_PREFIX, S3_ALLOWED_TYPES, content sniffing of file_head with
# libmagic, S3_REQUIRE_FILE_HEAD, S3_MAX_NAME_BYTES.
#
# Part 1 runs the binary as a plain CGI program once per case (clean
# environment, body on stdin) and checks the whole answer: status line,
# JSON shape, the message (naming the types for a 415), exactly one log
# line in the documented format for a refusal (none for a 200), the key
# (prefix with the user's key-safe segment, uuid v4, name), and every
# 200's signed_request recomputed with botocore (tests/lib/verify_sig.py).
# The secret key never appears in stdout or stderr.
#
# Part 2 starts `sign_s3 --listen unix:SOCK --workers 1` (FastCGI, libmagic
# preloaded) and talks FastCGI to it directly, so REMOTE_USER can be sent
# the way nginx sends it: once, twice (fastcgi_params' $remote_user, then
# the auth_request user: the last one wins), twice with two different
# names (401, fails closed), or not at all (401). Sniffing works there too.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP. Exit 0 only when every test passes. No network: only a unix
# socket in a temp dir; the process started is killed by its PID.

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, 'lib'))
try:
    import verify_sig  # noqa: E402  (botocore, offline)
except ImportError as e:
    print('1..0 # SKIP botocore not importable: %s' % e)
    print('Bail out! python3-botocore is required (scripts/deps.sh)')
    sys.exit(1)
import fcgi_client  # noqa: E402  (the raw FastCGI client of the tests)

SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')
TIMEOUT = 10

AK = 'AKIAPOLICYBLACKBOX00'
SK = 'SECRETpolicy/123+abcdefghijklmnopqrst'
BUCKET = 'policy-bucket'
REGION = 'eu-central-1'
REMOTE = '198.51.100.7'
UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
LOG_RE = re.compile(r'^sign_s3\[(\d+)\]: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) '
                    r'(\d{3}) (\S+) (\S+) "((?:[^"\\]|\\.)*)"$')
CRASH_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'UndefinedBehaviorSanitizer',
               'runtime error:', 'Segmentation fault', 'SUMMARY:')
REASONS = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized',
           415: 'Unsupported Media Type', 500: 'Internal Server Error'}

# file heads
PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00'
JPEG = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
ELF = (b'\x7fELF\x02\x01\x01\x00' + b'\x00' * 8 + b'\x02\x00\x3e\x00\x01\x00\x00\x00' +
       b'\x00' * 40)
HTML = b'<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script>'
CSV = b'name,size\nA,1\nB,2\n'           # libmagic: text/csv
TEXT = b'hello world\nsecond line\n'        # libmagic: text/plain


def b64(b):
    return base64.b64encode(b).decode()


def js(**kw):
    return json.dumps(kw, ensure_ascii=False).encode('utf-8')


def base_env():
    env = {
        'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
        'SCRIPT_NAME': '/api/sign_s3', 'REMOTE_ADDR': REMOTE,
        'AWS_EC2_METADATA_DISABLED': 'true',
        'S3_BUCKET': BUCKET, 'S3_REGION': REGION,
        'AWS_ACCESS_KEY_ID': AK, 'AWS_SECRET_ACCESS_KEY': SK,
    }
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


# ---- TAP -------------------------------------------------------------------------

N = 0
FAILED = 0


def ok(cond, desc, diag=()):
    global N, FAILED
    N += 1
    if not cond:
        FAILED += 1
    desc = desc.replace('#', '<hash>').replace('\n', ' ')
    print('%s %d - %s' % ('ok' if cond else 'not ok', N, desc))
    if not cond:
        for d in diag:
            print('#   ' + str(d)[:1500].replace('\n', ' '))
    sys.stdout.flush()
    return cond


# ---- the table (CGI) ---------------------------------------------------------------

CASES = []


def case(name, status, body=b'', env=None, unset=(), method='POST', ctype=None,
         query=None, ftype=None, prefix='uploads/', fname=None, msg=None,
         log=None, cfgerr=None):
    """status: the answer's. ftype/prefix/fname: for a 200, the type signed
    and the key's parts. msg: a substring of the JSON message, and (unless
    log says otherwise) of the log line. cfgerr: a configuration error that
    must name this variable."""
    CASES.append(dict(name=name, status=status, body=body, env=env or {},
                      unset=unset, method=method, ctype=ctype, query=query,
                      ftype=ftype, prefix=prefix, fname=fname, msg=msg,
                      log=log, cfgerr=cfgerr))


USER = {'S3_REQUIRE_USER': '1', 'S3_KEY_PREFIX': 'users/{user}/'}
A_TXT = js(file_name='a.txt')

# -- S3_REQUIRE_USER, {user}
case('S3_REQUIRE_USER=1, no REMOTE_USER: 401', 401, A_TXT, env=USER,
     msg='authentication required')
case('S3_REQUIRE_USER=1, empty REMOTE_USER: 401', 401, A_TXT,
     env=dict(USER, REMOTE_USER=''), msg='authentication required')
case('S3_REQUIRE_USER=1 is checked before the request (405 method, no user)', 401,
     A_TXT, env=USER, method='PUT', msg='authentication required')
for _user, _seg in (('alice', 'alice'), ('a_b', 'a_5Fb'), ('a b', 'a_20b'),
                    ('a_20b', 'a_5F20b'), ('.', '_2E'), ('..', '_2E_2E'),
                    ('café', 'caf_C3_A9'), ('bob@example.com', 'bob@example.com'),
                    ('DOMAIN\\joe', 'DOMAIN_5Cjoe'), ('../x', '.._2Fx'),
                    ('u' * 128, 'u' * 128)):
    case('REMOTE_USER %r -> users/%s/' % (_user if len(_user) < 20 else '128 bytes', _seg),
         200, A_TXT, env=dict(USER, REMOTE_USER=_user), ftype='text/plain',
         prefix='users/%s/' % _seg, fname='a.txt')
case('REMOTE_USER of 129 bytes: 401', 401, A_TXT, env=dict(USER, REMOTE_USER='u' * 129),
     msg='user name too long (limit 128 bytes)')
case('REMOTE_USER not UTF-8: 401', 401, A_TXT, env=dict(USER, REMOTE_USER=b'caf\xe9'),
     msg='user name is not valid UTF-8')
case('S3_REQUIRE_USER=1 without {user}: the prefix as it is', 200, A_TXT,
     env={'S3_REQUIRE_USER': '1', 'REMOTE_USER': 'alice'}, ftype='text/plain',
     fname='a.txt')
case('{user} in the middle of a segment', 200, A_TXT,
     env={'S3_REQUIRE_USER': '1', 'S3_KEY_PREFIX': 'in/u-{user}/x/', 'REMOTE_USER': 'a_b'},
     ftype='text/plain', prefix='in/u-a_5Fb/x/', fname='a.txt')
case('REMOTE_USER without S3_REQUIRE_USER: ignored', 200, A_TXT,
     env={'REMOTE_USER': 'alice'}, ftype='text/plain', fname='a.txt')
case('{user} without S3_REQUIRE_USER=1: configuration error', 500, A_TXT,
     env={'S3_KEY_PREFIX': 'users/{user}/', 'REMOTE_USER': 'alice'},
     msg='An internal server error occurred', cfgerr='S3_KEY_PREFIX')
case('{user} not followed by /: configuration error', 500, A_TXT,
     env=dict(USER, S3_KEY_PREFIX='users/{user}', REMOTE_USER='alice'),
     msg='An internal server error occurred', cfgerr='S3_KEY_PREFIX')
case('S3_REQUIRE_USER=yes: configuration error', 500, A_TXT,
     env={'S3_REQUIRE_USER': 'yes'}, msg='An internal server error occurred',
     cfgerr='S3_REQUIRE_USER')

# -- S3_ALLOWED_TYPES
ALLOW = {'S3_ALLOWED_TYPES': 'image/*, application/pdf'}
case('allowed: image/png under image/*', 200, js(file_name='a.png', file_type='image/png'),
     env=ALLOW, ftype='image/png', fname='a.png')
case('allowed: IMAGE/JPEG;q=1 (case, parameters)', 200,
     js(file_name='a.jpg', file_type='IMAGE/JPEG;q=1'), env=ALLOW,
     ftype='IMAGE/JPEG;q=1', fname='a.jpg')
case('allowed: application/pdf from the extension', 200, js(file_name='Doc.PDF'),
     env=ALLOW, ftype='application/pdf', fname='doc.pdf')
case('not allowed: text/html declared -> 415 naming it', 415,
     js(file_name='a.html', file_type='text/html'), env=ALLOW,
     msg='file type text/html is not allowed')
case('not allowed: application/x-msdos-program from .exe', 415, js(file_name='setup.exe'),
     env=ALLOW, msg='file type application/x-msdos-program is not allowed')
case('not allowed: no extension -> application/octet-stream', 415, js(file_name='README'),
     env=ALLOW, msg='file type application/octet-stream is not allowed')
case('S3_ALLOWED_TYPES=image/: configuration error', 500, A_TXT,
     env={'S3_ALLOWED_TYPES': 'image/'}, msg='An internal server error occurred',
     cfgerr='S3_ALLOWED_TYPES')
case('S3_ALLOWED_TYPES=*/png: configuration error', 500, A_TXT,
     env={'S3_ALLOWED_TYPES': '*/png'}, msg='An internal server error occurred',
     cfgerr='S3_ALLOWED_TYPES')

# -- sniffing
case('PNG head declared image/png -> 200', 200,
     js(file_name='a.png', file_type='image/png', file_head=b64(PNG)),
     ftype='image/png', fname='a.png')
case('ELF head declared image/png -> 415 naming both', 415,
     js(file_name='a.png', file_type='image/png', file_head=b64(ELF)),
     msg='file content is application/x-executable, which contradicts file_type image/png')
case('HTML head declared image/png -> 415 naming both', 415,
     js(file_name='a.png', file_type='image/png', file_head=b64(HTML)),
     msg='file content is text/html, which contradicts file_type image/png')
case('HTML head declared text/plain -> 415', 415,
     js(file_name='a.txt', file_type='text/plain', file_head=b64(HTML)),
     msg='file content is text/html, which contradicts file_type text/plain')
case('PNG head declared application/pdf -> 415', 415,
     js(file_name='a.pdf', file_type='application/pdf', file_head=b64(PNG)),
     msg='file content is image/png, which contradicts file_type application/pdf')
case('JPEG head, empty file_type -> image/jpeg', 200,
     js(file_name='photo', file_type='', file_head=b64(JPEG)),
     ftype='image/jpeg', fname='photo')
case('JPEG head named .png, no file_type -> image/jpeg (the content wins)', 200,
     js(file_name='photo.png', file_head=b64(JPEG)), ftype='image/jpeg', fname='photo.png')
case('text head, .csv, no file_type -> text/csv (the extension says more)', 200,
     js(file_name='data.csv', file_head=b64(TEXT)), ftype='text/csv', fname='data.csv')
case('text head, .json, no file_type -> application/json', 200,
     js(file_name='data.json', file_head=b64(TEXT)), ftype='application/json',
     fname='data.json')
case('text head, no extension -> text/plain', 200,
     js(file_name='notes', file_head=b64(TEXT)), ftype='text/plain', fname='notes')
case('CSV head, no extension, no file_type -> text/csv (sniffed)', 200,
     js(file_name='export', file_head=b64(CSV)), ftype='text/csv', fname='export')
case('CSV head declared text/plain: same top level -> 200', 200,
     js(file_name='export.txt', file_type='text/plain', file_head=b64(CSV)),
     ftype='text/plain', fname='export.txt')
case('head of 4096 bytes -> 200', 200,
     js(file_name='a.png', file_type='image/png', file_head=b64(PNG.ljust(4096, b'\0'))),
     ftype='image/png', fname='a.png')
case('head of 5 KiB -> 400 file_head too long', 400,
     js(file_name='a.png', file_type='image/png', file_head=b64(PNG.ljust(5120, b'\0'))),
     msg='file_head too long (limit 4096 bytes decoded)')
case('bad base64 -> 400', 400,
     js(file_name='a.png', file_type='image/png', file_head='iVBOR!w0KGgo='),
     msg='file_head must be base64')
case('URL-safe base64 -> 400', 400,
     js(file_name='a.png', file_head=base64.urlsafe_b64encode(b'\xfb\xff\xbf').decode()),
     msg='file_head must be base64')
case('base64 with line breaks and no padding -> 200', 200,
     js(file_name='a.png', file_type='image/png',
        file_head=base64.encodebytes(PNG).decode().rstrip('=\n')),
     ftype='image/png', fname='a.png')
case('S3_REQUIRE_FILE_HEAD=1 without file_head -> 400', 400,
     js(file_name='a.png', file_type='image/png'), env={'S3_REQUIRE_FILE_HEAD': '1'},
     msg='file_head is required')
case('S3_REQUIRE_FILE_HEAD=1 with file_head -> 200', 200,
     js(file_name='a.png', file_type='image/png', file_head=b64(PNG)),
     env={'S3_REQUIRE_FILE_HEAD': '1'}, ftype='image/png', fname='a.png')
case('sniffed type outside S3_ALLOWED_TYPES -> 415 naming both', 415,
     js(file_name='a.bin', file_type='application/octet-stream', file_head=b64(ELF)),
     env={'S3_ALLOWED_TYPES': 'application/octet-stream'},
     msg='file content is application/x-executable (file_type application/octet-stream), '
         'which is not allowed')
case('sniffed type, no file_type, outside S3_ALLOWED_TYPES -> 415', 415,
     js(file_name='a.png', file_head=b64(HTML)), env=ALLOW,
     msg='file type text/html is not allowed')
case('form body with file_head', 200, ctype='application/x-www-form-urlencoded',
     body=('file_name=a.png&file_type=image%2Fpng&file_head=' +
           b64(PNG).replace('+', '%2B').replace('/', '%2F').replace('=', '%3D')).encode(),
     ftype='image/png', fname='a.png')
case('GET with file_head', 200, method='GET',
     query='file_name=a.jpg&file_head=' + b64(JPEG).replace('+', '%2B').replace('/', '%2F')
     .replace('=', '%3D'), ftype='image/jpeg', fname='a.jpg')
case('everything at once: user, allowed types, required head', 200,
     js(file_name='My Photo.JPG', file_type='image/jpeg', file_head=b64(JPEG)),
     env=dict(USER, REMOTE_USER='a_b', S3_ALLOWED_TYPES='image/jpeg',
              S3_REQUIRE_FILE_HEAD='1', S3_MAX_NAME_BYTES='64'),
     ftype='image/jpeg', prefix='users/a_5Fb/', fname='my_photo.jpg')

# -- S3_MAX_NAME_BYTES
case('S3_MAX_NAME_BYTES=12: name cut, extension kept', 200,
     js(file_name='a-long-file-name.pdf'), env={'S3_MAX_NAME_BYTES': '12'},
     ftype='application/pdf', fname='a-long-f.pdf')
case('S3_MAX_NAME_BYTES=0: configuration error', 500, A_TXT,
     env={'S3_MAX_NAME_BYTES': '0'}, msg='An internal server error occurred',
     cfgerr='S3_MAX_NAME_BYTES')
case('S3_MAX_NAME_BYTES=256: configuration error', 500, A_TXT,
     env={'S3_MAX_NAME_BYTES': '256'}, msg='An internal server error occurred',
     cfgerr='S3_MAX_NAME_BYTES')


def run_cgi(c):
    env = base_env()
    for k in c['unset']:
        env.pop(k, None)
    env.update(c['env'])
    env['REQUEST_METHOD'] = c['method']
    if c['method'] == 'POST':
        env['CONTENT_TYPE'] = c['ctype'] or 'application/json'
        env['CONTENT_LENGTH'] = str(len(c['body']))
    if c['query'] is not None:
        env['QUERY_STRING'] = c['query']
    p = subprocess.run([SIGN_S3], env=env, input=c['body'] if c['method'] == 'POST' else b'',
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p


def parse_cgi(out):
    head, sep, body = out.partition(b'\r\n\r\n')
    if not sep:
        return None, None
    h = {}
    for line in head.decode('latin-1').split('\r\n'):
        k, _, v = line.partition(': ')
        h[k.lower()] = v
    return h, body


def check_log(lines, status, want, exact, diag):
    if len(lines) != 1:
        diag.append('%d log lines, want 1: %r' % (len(lines), lines))
        return
    m = LOG_RE.match(lines[0])
    if not m:
        diag.append('log line not in the documented format: %r' % lines[0])
        return
    if int(m.group(3)) != status:
        diag.append('log status %s, want %d' % (m.group(3), status))
    if m.group(5) != REMOTE:
        diag.append('log REMOTE_ADDR %r' % m.group(5))
    text = re.sub(r'\\(.)', r'\1', m.group(6))
    if (exact and text != want) or want not in text:
        diag.append('log message %r, want %r' % (text, want))


def check_200(data, c, diag):
    want_keys = {'file_type', 'signed_request', 'url', 'key', 'method', 'headers',
                 'expires_at'}
    if not isinstance(data, dict) or set(data) != want_keys:
        diag.append('200 body %r' % (data,))
        return
    if data['file_type'] != c['ftype']:
        diag.append('file_type %r, want %r' % (data['file_type'], c['ftype']))
    if not re.fullmatch(re.escape(c['prefix']) + UUID_RE + '/' + re.escape(c['fname']),
                        data['key']):
        diag.append('key %r, want %s<uuid>/%s' % (data['key'], c['prefix'], c['fname']))
    diag += verify_sig.check_answer(data, access_key=AK, secret_key=SK, region=REGION,
                                    expires=60, file_type=c['ftype'], bucket=BUCKET)


def check_cgi(c):
    diag = []
    try:
        p = run_cgi(c)
    except subprocess.TimeoutExpired:
        return ['no answer within %ds' % TIMEOUT]
    err = p.stderr.decode('utf-8', 'replace')
    out = p.stdout.decode('utf-8', 'replace')
    for mark in CRASH_MARKS:
        if mark in err:
            diag.append('stderr: %r' % err[:500])
    if SK in out or SK in err or SK.split('/')[0] in out + err:
        diag.append('the secret key appears in the output')
    want_rc = 1 if c['cfgerr'] else 0
    if p.returncode != want_rc:
        diag.append('exit status %d, want %d' % (p.returncode, want_rc))
    h, body = parse_cgi(p.stdout)
    if h is None:
        return diag + ['no CGI head: %r' % p.stdout[:200]]
    st = c['status']
    if h.get('status') != '%d %s' % (st, REASONS[st]):
        diag.append('Status %r, want %d' % (h.get('status'), st))
    if h.get('content-type') != 'application/json' or h.get('content-length') != str(len(body)):
        diag.append('head %r' % h)
    try:
        data = json.loads(body)
    except ValueError:
        return diag + ['body not JSON: %r' % body[:200]]
    lines = err.splitlines()
    if st == 200:
        check_200(data, c, diag)
        if lines:
            diag.append('log lines for a 200: %r' % lines)
        return diag
    if data != {'statusCode': st, 'error': REASONS[st], 'message': data.get('message')}:
        diag.append('error body %r' % data)
    elif c['msg'] not in data['message']:
        diag.append('message %r lacks %r' % (data['message'], c['msg']))
    if c['cfgerr']:
        if len(lines) != 1 or not re.search(r'\b%s\b' % c['cfgerr'], lines[0]):
            diag.append('config error log does not name %s: %r' % (c['cfgerr'], lines))
    else:
        check_log(lines, st, c['log'] or c['msg'], False, diag)
    return diag


# ---- FastCGI -----------------------------------------------------------------------

def fcgi(sock, params, body):
    """params: a list of (name, value): a name may repeat, as nginx sends it.
    Returns (status, body dict or None)."""
    r = fcgi_client.request('unix:' + sock, params, body, timeout=TIMEOUT)
    h, b = parse_cgi(r.stdout)
    if h is None:
        return 0, None
    try:
        return int(h.get('status', '0').split()[0]), json.loads(b)
    except ValueError:
        return int(h.get('status', '0').split()[0]), None


def fastcgi_part(tmp):
    sock = os.path.join(tmp, 'sign_s3.sock')
    log = open(os.path.join(tmp, 'sign_s3.log'), 'w+')
    env = base_env()
    for k in ('GATEWAY_INTERFACE', 'REQUEST_METHOD', 'CONTENT_TYPE', 'SCRIPT_NAME',
              'SERVER_PROTOCOL', 'REMOTE_ADDR'):
        env.pop(k, None)
    env.update(USER)
    env['S3_ALLOWED_TYPES'] = 'image/*,text/plain'
    p = subprocess.Popen([SIGN_S3, '--listen', 'unix:' + sock, '--workers', '1'],
                         env=env, stdout=log, stderr=log)
    try:
        t0 = time.time()
        while not os.path.exists(sock) and time.time() - t0 < TIMEOUT and p.poll() is None:
            time.sleep(0.05)
        if not ok(os.path.exists(sock), 'FastCGI: sign_s3 --listen is up'):
            log.seek(0)
            print('#   ' + log.read()[:500].replace('\n', '\n#   '))
            return
        base = [('REQUEST_METHOD', 'POST'), ('CONTENT_TYPE', 'application/json'),
                ('SCRIPT_NAME', '/api/sign_s3'), ('REMOTE_ADDR', '127.0.0.1'),
                ('GATEWAY_INTERFACE', 'CGI/1.1')]

        def req(users, body, desc, status, key_seg=None, msg=None, ftype=None):
            params = base + [('CONTENT_LENGTH', str(len(body)))] + \
                [('REMOTE_USER', u) for u in users]
            try:
                st, data = fcgi(sock, params, body)
            except OSError as e:
                return ok(False, desc, ['FastCGI: %r' % e])
            diag = []
            if st != status:
                diag.append('status %d, want %d: %r' % (st, status, data))
            elif status == 200:
                c = dict(ftype=ftype or 'text/plain', prefix='users/%s/' % key_seg,
                         fname=json.loads(body)['file_name'])
                check_200(data, c, diag)
            elif msg and (not data or msg not in data.get('message', '')):
                diag.append('answer %r lacks %r' % (data, msg))
            return ok(not diag, desc, diag)

        body = js(file_name='a.txt')
        req(['alice'], body, 'FastCGI: REMOTE_USER once -> users/alice/', 200, 'alice')
        req(['', 'a_b'], body, 'FastCGI: REMOTE_USER "" then a_b (fastcgi_params, then '
            'auth_request) -> users/a_5Fb/', 200, 'a_5Fb')
        req(['alice', 'alice'], body, 'FastCGI: REMOTE_USER twice, same -> 200', 200, 'alice')
        req(['mallory', 'alice'], body, 'FastCGI: REMOTE_USER twice, different -> 401', 401,
            msg='authentication required')
        req(['alice', ''], body, 'FastCGI: REMOTE_USER alice then "" (the last wins) -> 401',
            401, msg='authentication required')
        req([], body, 'FastCGI: no REMOTE_USER -> 401', 401, msg='authentication required')
        req([b'caf\xe9'], body, 'FastCGI: REMOTE_USER not UTF-8 -> 401', 401,
            msg='not valid UTF-8')
        req(['bob'], js(file_name='a.png', file_type='image/png', file_head=b64(PNG)),
            'FastCGI: PNG head declared image/png -> 200 (libmagic preloaded)', 200, 'bob',
            ftype='image/png')
        req(['bob'], js(file_name='a.png', file_type='image/png', file_head=b64(ELF)),
            'FastCGI: ELF head declared image/png -> 415', 415,
            msg='file content is application/x-executable, which contradicts file_type '
                'image/png')
        req(['bob'], js(file_name='a.jpg', file_head=b64(JPEG)),
            'FastCGI: JPEG head, no file_type -> image/jpeg', 200, 'bob', ftype='image/jpeg')
        req(['bob'], js(file_name='a.pdf'),
            'FastCGI: application/pdf outside S3_ALLOWED_TYPES -> 415', 415,
            msg='file type application/pdf is not allowed')
        ok(p.poll() is None, 'FastCGI: sign_s3 still running after the requests')
        log.seek(0)
        text = log.read()
        ok(not any(m in text for m in CRASH_MARKS) and SK not in text,
           'FastCGI: no crash report, no secret in the log', [text[:800]])
        ok(re.search(r'^sign_s3\[\d+\]: \S+ 401 POST 127\.0\.0\.1 "authentication required: '
                     r'REMOTE_USER given twice with different values"$', text, re.M),
           'FastCGI: the conflict is logged with its reason', [text[:800]])
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


def main():
    if not (os.path.isfile(SIGN_S3) and os.access(SIGN_S3, os.X_OK)):
        print('Bail out! no sign_s3 binary at %s (run make, or set SIGN_S3)' % SIGN_S3)
        return 1
    for c in CASES:
        try:
            diag = check_cgi(c)
        except Exception as e:  # a check that cannot run is a failure
            diag = ['exception: %r' % (e,)]
        ok(not diag, 'CGI %d: %s' % (c['status'], c['name']), diag)
    # the verifier itself must be able to fail
    good = [c for c in CASES if c['status'] == 200][0]
    p = run_cgi(good)
    data = json.loads(parse_cgi(p.stdout)[1])
    bad1 = verify_sig.check_answer(data, access_key=AK, secret_key=SK + 'x', region=REGION,
                                   expires=60, file_type=good['ftype'])
    bad2 = verify_sig.check_answer(data, access_key=AK, secret_key=SK, region=REGION,
                                   expires=60, file_type='image/gif')
    ok(bad1 and bad2, 'botocore check rejects a wrong secret and a wrong type')
    tmp = tempfile.mkdtemp(prefix='sign_s3_policy_')
    try:
        fastcgi_part(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('1..%d' % N)
    if FAILED:
        print('# %d of %d failed' % (FAILED, N))
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
