#!/usr/bin/python3
# botocore_parity.py - `sign_s3 presign` against the AWS SDK's own signer.
#
# For every case the expected presigned URL is computed with botocore (Debian's
# python3-botocore, hence /usr/bin/python3) with its clock frozen at a fixed
# time, and compared with `sign_s3 presign ... --time T`: scheme, host and path
# as exact strings, the multiset of query parameters, and X-Amz-Signature.
# A few negative checks make sure the CLI refuses what it must refuse.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP. Exit 0 only when every test passes. No network: botocore
# presigning is offline, credentials are explicit, IMDS is disabled, and no
# shared AWS config is read.
#
# Where the reference comes from:
#  a) a botocore S3 client's generate_presigned_url() for the operation
#     (put_object / get_object / head_object / delete_object);
#  b) botocore.auth.S3SigV4QueryAuth on an AWSRequest, for what the client
#     cannot express the way sign_s3 does it: x-amz-acl as a *query*
#     parameter (the client would send it as a header) and a Content-Type on a
#     non-PUT request.
# A Content-Disposition (S3_ACTIVE_TYPES=attachment signs one for active
# content; `presign --content-disposition` here) is the client's
# ContentDisposition parameter of put_object, or a header for the signer. The scheme/host/path then still come from the client, so
#     the addressing is always botocore's.
#
# Two botocore behaviours are worked around (both documented in the report):
#  - with addressing 'virtual'/'auto' and no endpoint_url, botocore presigns
#    buckets outside us-east-1 against the *global* host
#    BUCKET.s3.amazonaws.com; sign_s3 uses the regional host
#    BUCKET.s3.REGION.amazonaws.com, which botocore produces when given
#    endpoint_url=https://s3.REGION.amazonaws.com, so that is what we pass.
#  - botocore keeps an explicit default port (https://h:443) in the URL; sign_s3
#    normalizes it away (the Host header, and so the signature, is the same).
#    For those cases the reference netloc is normalized before comparing.

import base64
import hashlib
import os
import subprocess
import sys
import unicodedata
from urllib.parse import parse_qsl, urlsplit, urlunsplit

# ---- a clean, offline botocore ---------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
try:
    # first: on import it makes botocore offline (no AWS_*/BOTO_* variables,
    # no config files, IMDS off) and it is the one frozen botocore clock
    from verify_sig import freeze
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.session
    from botocore.config import Config
except ImportError as e:  # deps.sh installs python3-botocore
    print('1..0 # SKIP botocore not importable by %s: %s' % (sys.executable, e))
    print('Bail out! python3-botocore is required (scripts/deps.sh)')
    sys.exit(1)


# ---- frozen clock ------------------------------------------------------------
# botocore's clock is stopped at the URL's X-Amz-Date by tests/lib/verify_sig.py
# (one shim for every test); each case then checks that X-Amz-Date came out as
# frozen, so a botocore that reads the clock some other way fails loudly.


# ---- the binary ---------------------------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')


def run_cli(env_vars, args):
    env = {
        'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
        'AWS_EC2_METADATA_DISABLED': 'true',
        'LC_ALL': 'C',
        # presign takes KEY as the full object key: no prefix, whatever the default
        'S3_KEY_PREFIX': '',
    }
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update(env_vars)
    try:
        p = subprocess.run([SIGN_S3, 'presign'] + args, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        return None, b'', b'timeout'
    return p.returncode, p.stdout, p.stderr


# ---- dimensions ---------------------------------------------------------------

AK = 'AKIAIOSFODNN7EXAMPLE'
SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
AK2 = 'AKIDEXAMPLE'
SK2 = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'


def _long_token():
    raw = b''.join(hashlib.sha256(b'tok%d' % i).digest() for i in range(24))
    t = base64.b64encode(raw).decode()           # 1024 chars with / and +
    return 'IQoJb3JpZ2luX2VjE' + t + '//++=='


TOKENS = [None, 'AQoDYXdzEJr/short+token==', None, _long_token()]
CREDS = [(AK, SK), (AK2, SK2)]
TIMES = ['20130524T000000Z', '20150830T123600Z', '20240229T235959Z',
         '20380119T031408Z', '20991231T235959Z']
EXPIRES = [60, 3600, 1, 604800, 900, 300]
METHODS = ['PUT', 'GET', 'PUT', 'HEAD', 'PUT', 'DELETE']
CTYPES = [None, 'image/jpeg', 'text/plain;charset=utf-8', None,
          'multipart/form-data;boundary=x', 'application/octet-stream',
          'text/plain; charset=utf-8', None, 'application/json']
OPS = {'PUT': 'put_object', 'GET': 'get_object', 'HEAD': 'head_object',
       'DELETE': 'delete_object'}

# (name, region, endpoint or None, S3_PATH_STYLE or None, bucket,
#  default port to strip from botocore's netloc or None)
TARGETS = [
    ('aws-use1-auto', 'us-east-1', None, None, 'examplebucket', None),
    ('aws-euw1-auto', 'eu-west-1', None, None, 'my-bucket-01', None),
    ('aws-apse2-path', 'ap-southeast-2', None, '1', 'examplebucket', None),
    ('minio-auto', 'us-east-1', 'http://127.0.0.1:9000', None, 'examplebucket', None),
    ('aws-use1-path', 'us-east-1', None, '1', 'examplebucket', None),
    ('aws-apse2-virtual', 'ap-southeast-2', None, '0', 'examplebucket', None),
    ('localhost-virtual', 'us-east-1', 'http://localhost:8080', '0', 'examplebucket', None),
    ('aws-use1-dotted-auto', 'us-east-1', None, None, 'my.dotted.bucket', None),
    ('tls-8443-path', 'eu-central-1', 'https://s3.example.test:8443', '1', 'examplebucket', None),
    ('aws-usgovw1-auto', 'us-gov-west-1', None, None, 'examplebucket', None),
    ('aws-use1-virtual', 'us-east-1', None, '0', 'examplebucket', None),
    ('aws-euw1-path', 'eu-west-1', None, '1', 'my-bucket-01', None),
    ('localhost-path', 'us-east-1', 'http://localhost:8080', '1', 'examplebucket', None),
    ('tls-8443-virtual', 'eu-central-1', 'https://s3.example.test:8443', '0', 'examplebucket', None),
    ('aws-euw1-dotted-virtual', 'eu-west-1', None, '0', 'my.dotted.bucket', None),
    ('legacy-use1-upper-underscore', 'us-east-1', 'https://s3.amazonaws.com', None, 'Upper_Bucket', None),
    ('minio-path-dotted', 'us-east-1', 'http://127.0.0.1:9000', '1', 'my.dotted.bucket', None),
    ('tls-8443-dotted-virtual', 'eu-central-1', 'https://s3.example.test:8443', '0', 'my.dotted.bucket', None),
    ('aws-apse2-auto', 'ap-southeast-2', None, None, 'examplebucket', None),
    ('tls-noport-auto', 'us-east-1', 'https://s3.example.test', None, 'examplebucket', None),
    ('legacy-euw1-underscore-virtual', 'eu-west-1', 'https://s3.eu-west-1.amazonaws.com', '0', 'my_bucket', None),
    # The aws-cn partition: hosts under amazonaws.com.cn, as botocore
    # resolves them itself (no endpoint_url is passed for cn-* regions).
    ('aws-cnn1-auto', 'cn-north-1', None, None, 'examplebucket', None),
    ('aws-cnnw1-path', 'cn-northwest-1', None, '1', 'examplebucket', None),
    ('aws-cnn1-virtual', 'cn-north-1', None, '0', 'examplebucket', None),
    ('aws-cnnw1-dotted-auto', 'cn-northwest-1', None, None, 'my.dotted.bucket', None),
]
# Extra targets used only in the per-target matrix.
MATRIX_ONLY_TARGETS = [
    # botocore never makes an IP-address endpoint virtual-hosted (no
    # BUCKET.127.0.0.1 host); neither should sign_s3.
    ('minio-virtual-ip', 'us-east-1', 'http://127.0.0.1:9000', '0', 'examplebucket', None),
    # explicit default ports: botocore keeps ":443"/":80" in the URL, sign_s3
    # normalizes them away; the signed Host is the same.
    ('tls-443-auto', 'us-east-1', 'https://s3.example.test:443', None, 'examplebucket', 443),
    ('http-80-path', 'us-east-1', 'http://localhost:80', '1', 'examplebucket', 80),
]

SPECIALS = list("+=&?#%()!'*,;:@$")

KEYS = [
    'photo.jpg',
    'uploads/3f2a9c1e-8b7d-4e5f-a6b1-2c3d4e5f6a7b/photo.jpg',
    'ABCxyz0123456789',
    'a b',
    'with  two  spaces.txt',
    ' leading and trailing ',
    'tab\there',
]
KEYS += SPECIALS                                   # each one alone
KEYS += ['a%sb' % c for c in SPECIALS]             # each one inside a word
KEYS += [
    "+=&?#%()!'*,;:@$",
    "a+b=c&d?e#f%g(h)i!j'k*l,m;n:o@p$q r",
    'report (final)! v2.pdf',
    "it's 100% done?.txt",
    'a%20b',
    '%2F%2f',
    '%%',
    'x=1&y=2',
    'q?x-id=PutObject',
    'a~b_c-d.e',
    '-leading-dash',                                # passed after "--"
    '--looks-like-an-option',
    '~',
    '_',
    '.',
    '..',
    '~user/_private/-dash/.dot',
    'café.txt',
    unicodedata.normalize('NFC', 'crème brûlée/Ünïcödé.txt'),
    unicodedata.normalize('NFD', 'crème brûlée/Ünïcödé.txt'),
    unicodedata.normalize('NFC', 'résumé'),
    unicodedata.normalize('NFD', 'résumé'),
    '日本語/ファイル名.txt',
    '😀.png',
    'party 🎉/𝄞 clef + more',
    'Ωmega/Привет/مرحبا',
    'a//b',
    'a///b//c',
    '/leading',
    '//double-leading',
    'dir/',
    'a/b/',
    '/',
    './a',
    'a/./b',
    '../a',
    'a/../b',
    'a/b/..',
    '.../x',
    '/../../etc/passwd',
    'k' * 1024,
    ('dir/' + 'x' * 123 + '/') * 8,               # 1024 bytes with slashes
    'é' * 512,                                      # 1024 bytes, 2-byte chars
    '日' * 341 + 'x',                               # 1024 bytes, 3-byte chars
    '😀' * 256,                                     # 1024 bytes, 4-byte chars
    ("a b+c" * 205)[:1024],                         # 1024 bytes, encoded x3ish
]
for _k in KEYS:
    assert 1 <= len(_k.encode()) <= 1024, _k
assert sum(len(_k.encode()) == 1024 for _k in KEYS) == 6


# ---- botocore reference -----------------------------------------------------

_session = botocore.session.Session()
_clients = {}


def _client(region, endpoint, style_env, creds, token):
    """The botocore client whose addressing matches sign_s3's configuration."""
    if style_env == '1':
        style = 'path'
        ep = endpoint
    elif endpoint is None:
        # AWS, virtual or auto: both virtual-hosted when the bucket allows.
        style = 'virtual'
        ep = (None if region == 'us-east-1' or region.startswith('cn-')
              else 'https://s3.%s.amazonaws.com' % region)
    elif style_env == '0':
        style = 'virtual'
        ep = endpoint
    else:
        style = 'path'  # auto on a custom endpoint
        ep = endpoint
    key = (region, ep, style, creds, token)
    c = _clients.get(key)
    if c is None:
        c = _session.create_client(
            's3', region_name=region, endpoint_url=ep,
            aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
            aws_session_token=token,
            config=Config(signature_version='s3v4',
                          s3={'addressing_style': style},
                          retries={'max_attempts': 0}))
        _clients[key] = c
    return c


AUTH_PARAMS = {'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
               'X-Amz-Expires', 'X-Amz-SignedHeaders',
               'X-Amz-Security-Token', 'X-Amz-Signature'}


def reference(case):
    """Returns (url, how) from botocore."""
    region, endpoint, style_env, bucket = (case['region'], case['endpoint'],
                                           case['style'], case['bucket'])
    freeze(case['time'])
    cl = _client(region, endpoint, style_env, case['creds'], case['token'])
    method, ctype, acl = case['method'], case['ctype'], case['acl']
    cdisp, clen, cmd5 = case['cdisp'], case['clen'], case['cmd5']
    params = {'Bucket': bucket, 'Key': case['key']}
    use_client = acl is None and ((ctype is None and cdisp is None and clen is None and
                                   cmd5 is None) or method == 'PUT')
    if use_client and ctype is not None:
        params['ContentType'] = ctype
    if use_client and cdisp is not None:
        params['ContentDisposition'] = cdisp
    if use_client and clen is not None:
        params['ContentLength'] = int(clen)
    if use_client and cmd5 is not None:
        params['ContentMD5'] = cmd5
    url = cl.generate_presigned_url(OPS[method], Params=params,
                                    ExpiresIn=case['expires'])
    names = {n for n, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    if names - AUTH_PARAMS:
        # Every query parameter of a presigned URL is in the canonical query,
        # so it is signed and cannot be stripped: sign directly instead.
        use_client = False
    if use_client:
        how = 'client'
    else:
        how = 'signer'
        p = urlsplit(url)
        base = urlunsplit((p.scheme, p.netloc, p.path, '', ''))
        if acl is not None:
            base += '?x-amz-acl=' + botocore.utils.percent_encode(acl, safe='-_.~')
        headers = {'Content-Type': ctype} if ctype is not None else {}
        if cdisp is not None:
            headers['Content-Disposition'] = cdisp
        if clen is not None:
            headers['Content-Length'] = clen
        if cmd5 is not None:
            headers['Content-MD5'] = cmd5
        req = botocore.awsrequest.AWSRequest(method=method, url=base,
                                             headers=headers)
        token = case['token']
        auth = botocore.auth.S3SigV4QueryAuth(
            botocore.credentials.Credentials(case['creds'][0], case['creds'][1],
                                             token),
            's3', region, expires=case['expires'])
        auth.add_auth(req)
        url = req.prepare().url
    return url, how


# ---- cases --------------------------------------------------------------------

def make_case(i, key, target, *, method=None, ctype='rot', expires=None,
              token='rot', acl=None, creds=None, time=None, cdisp=None, clen=None,
              cmd5=None):
    name, region, endpoint, style, bucket, strip_port = target
    method = method or METHODS[i % len(METHODS)]
    if ctype == 'rot':
        ctype = CTYPES[(i // 2) % len(CTYPES)]
    if token == 'rot':
        token = TOKENS[(i // 3) % len(TOKENS)]
    return {
        'key': key, 'target': name, 'region': region, 'endpoint': endpoint,
        'style': style, 'bucket': bucket, 'strip_port': strip_port,
        'method': method, 'ctype': ctype,
        'expires': expires if expires is not None else EXPIRES[(i // 5) % len(EXPIRES)],
        'token': token, 'acl': acl, 'cdisp': cdisp, 'clen': clen, 'cmd5': cmd5,
        'creds': creds or CREDS[(i // 7) % len(CREDS)],
        'time': time or TIMES[(i // 4) % len(TIMES)],
    }


def build_cases():
    cases = []
    n = 0
    # every key against three rotating targets/methods/types/expiries/tokens
    for j, key in enumerate(KEYS):
        for r in range(3):
            t = TARGETS[(3 * j + r) % len(TARGETS)]
            cases.append(make_case(n, key, t))
            n += 1
    # every target x every method, with and without a content type
    for t in TARGETS + MATRIX_ONLY_TARGETS:
        for m in ('PUT', 'GET', 'HEAD', 'DELETE'):
            cases.append(make_case(n, 'matrix/%s/photo 1.jpg' % t[0], t,
                                   method=m, ctype=None))
            n += 1
        cases.append(make_case(n, 'matrix/%s/ct.txt' % t[0], t, method='PUT',
                               ctype='text/plain;charset=utf-8',
                               token=TOKENS[3]))
        n += 1
    # canned ACLs (signed as the query parameter x-amz-acl)
    acl_keys = ['acl/photo.jpg', 'acl/a b+c.png', 'acl/日本語.txt']
    for k, acl in enumerate(['public-read', 'private', 'public-read',
                             'private', 'bucket-owner-full-control',
                             'public-read', 'private', 'authenticated-read']):
        t = TARGETS[(5 * k) % len(TARGETS)]
        cases.append(make_case(n, acl_keys[k % 3], t, method='PUT', acl=acl,
                               ctype=[None, 'image/png'][k % 2]))
        n += 1
    # expiry bounds on each addressing family
    for k, e in enumerate([1, 60, 3600, 604800]):
        for t in (TARGETS[0], TARGETS[3]):
            cases.append(make_case(n, 'expiry/%d' % e, t, expires=e))
            n += 1
    # Content-Type on methods other than PUT (signed as a header)
    for k, m in enumerate(['GET', 'HEAD', 'DELETE']):
        cases.append(make_case(n, 'ct/%s.bin' % m, TARGETS[k], method=m,
                               ctype='application/octet-stream'))
        n += 1
    # SigV4 canonical header values are trimmed and inner runs of spaces
    # collapsed (S3 does the same to the Content-Type the client sends)
    for k, m in enumerate(['PUT', 'GET']):
        cases.append(make_case(n, 'ct/spaces-%s.txt' % m, TARGETS[k], method=m,
                               ctype='text/plain;  charset=utf-8'))
        n += 1
    # a session token with every base64 character class, long, with ACL
    cases.append(make_case(n, 'token/acl+ct.jpg', TARGETS[1], method='PUT',
                           ctype='image/jpeg', acl='public-read',
                           token=TOKENS[3]))
    n += 1
    # Content-Disposition: attachment, as S3_ACTIVE_TYPES=attachment signs
    # it for active content (content-disposition;content-type;host), on
    # every target, with and without a type, a token, an ACL
    active = ['text/html', 'image/svg+xml', 'application/xhtml+xml',
              'text/html;charset=utf-8', None, 'application/javascript']
    for k, t in enumerate(TARGETS + MATRIX_ONLY_TARGETS):
        cases.append(make_case(n, 'active/%s/page %d.html' % (t[0], k), t,
                               method='PUT', ctype=active[k % len(active)],
                               cdisp='attachment'))
        n += 1
    for k, (ct, acl, tok) in enumerate([('text/html', 'public-read', None),
                                        ('image/svg+xml', None, TOKENS[3]),
                                        (None, 'private', TOKENS[1])]):
        cases.append(make_case(n, 'active/acl-token %d.svg' % k, TARGETS[k],
                               method='PUT', ctype=ct, acl=acl, token=tok,
                               cdisp='attachment'))
        n += 1
    # header values are trimmed and inner runs of spaces folded, as for
    # Content-Type; and on a GET, as a signed header (signer)
    cases.append(make_case(n, 'active/spaces.html', TARGETS[0], method='PUT',
                           ctype='text/html', cdisp='  attachment;  filename="a  b.html" '))
    n += 1
    cases.append(make_case(n, 'active/get.html', TARGETS[3], method='GET',
                           ctype=None, cdisp='attachment'))
    n += 1
    # file_size and file_md5 (issue 12): Content-Length and Content-MD5
    # signed (content-length;content-md5;content-type;host), on every
    # target, alone and together, with a disposition, an ACL, a token
    md5s = ['1B2M2Y8AsgTpgAmY7PhCfg==', 'XUFAKrxLKna5cZ2REBfFkg==', 'rL0Y20zC+Fzt72VPzMSk2A==']
    for k, t in enumerate(TARGETS + MATRIX_ONLY_TARGETS):
        cases.append(make_case(n, 'sized/%s/file %d.bin' % (t[0], k), t, method='PUT',
                               ctype='application/pdf', clen=str([0, 5, 20971520,
                                                                  5368709120][k % 4]),
                               cmd5=md5s[k % 3] if k % 2 else None))
        n += 1
        cases.append(make_case(n, 'md5/%s/file %d.bin' % (t[0], k), t, method='PUT',
                               ctype='image/png', cmd5=md5s[k % 3]))
        n += 1
    for k, (cd, acl, tok) in enumerate([('attachment', None, None),
                                        (None, 'public-read', TOKENS[3]),
                                        ('attachment', 'private', TOKENS[1])]):
        cases.append(make_case(n, 'sized/all %d.html' % k, TARGETS[k], method='PUT',
                               ctype='text/html', acl=acl, token=tok, cdisp=cd,
                               clen='1048576', cmd5=md5s[k]))
        n += 1
    return cases


NEGATIVE = [
    ('--expires 0 refused', ['--expires', '0'], 'ok-key', None),
    ('--expires 604801 refused', ['--expires', '604801'], 'ok-key', None),
    ('--expires abc refused', ['--expires', 'abc'], 'ok-key', None),
    ('1025-byte ASCII key refused', [], 'k' * 1025, None),
    ('1025-byte multi-byte key refused', [], 'é' * 512 + 'x', None),
    ('empty key refused', [], '', None),
    ('--method PATCH refused', ['--method', 'PATCH'], 'ok-key', None),
    ('malformed --time refused', ['--time', '2013-05-24 00:00:00'], 'ok-key', None),
    ('missing S3_BUCKET refused', [], 'ok-key', 'S3_BUCKET'),
]


def cli_env(case):
    env = {
        'S3_BUCKET': case['bucket'],
        'S3_REGION': case['region'],
        'AWS_ACCESS_KEY_ID': case['creds'][0],
        'AWS_SECRET_ACCESS_KEY': case['creds'][1],
    }
    if case['token'] is not None:
        env['AWS_SESSION_TOKEN'] = case['token']
    if case['endpoint'] is not None:
        env['S3_ENDPOINT'] = case['endpoint']
    if case['style'] is not None:
        env['S3_PATH_STYLE'] = case['style']
    return env


def cli_args(case):
    a = ['--method', case['method'], '--expires', str(case['expires']),
         '--time', case['time']]
    if case['ctype'] is not None:
        a += ['--content-type', case['ctype']]
    if case['acl'] is not None:
        a += ['--acl', case['acl']]
    if case['cdisp'] is not None:
        a += ['--content-disposition', case['cdisp']]
    if case['clen'] is not None:
        a += ['--content-length', case['clen']]
    if case['cmd5'] is not None:
        a += ['--content-md5', case['cmd5']]
    if case['key'].startswith('-'):
        a.append('--')
    return a + [case['key']]


def tap_text(key):
    s = ascii(key)
    if len(s) > 60:
        s = s[:40] + '...' + s[-12:] + ' (%d bytes)' % len(key.encode())
    return s.replace('#', '<hash>')


def describe(case):
    d = '%s %s %s' % (case['target'], case['method'], tap_text(case['key']))
    extra = []
    if case['ctype']:
        extra.append('ct=' + case['ctype'])
    if case['acl']:
        extra.append('acl=' + case['acl'])
    if case['clen'] is not None:
        extra.append('length=' + case['clen'])
    if case['cmd5'] is not None:
        extra.append('md5')
    if case['cdisp']:
        extra.append('cd=' + case['cdisp'].strip())
    if case['token']:
        extra.append('token%d' % len(case['token']))
    extra.append('exp=%d' % case['expires'])
    return d + ' [' + ', '.join(extra) + ']'


def split_url(url):
    p = urlsplit(url)
    return (p.scheme + '://' + p.netloc + p.path,
            sorted(parse_qsl(p.query, keep_blank_values=True)),
            dict(parse_qsl(p.query, keep_blank_values=True)).get('X-Amz-Signature'))


def check_case(case):
    """Returns (ok, [diagnostic lines])."""
    want, how = reference(case)
    diag = []
    wbase, wq, wsig = split_url(want)
    if dict(wq).get('X-Amz-Date') != case['time']:
        return False, ['botocore clock not frozen: X-Amz-Date=%r, want %r'
                       % (dict(wq).get('X-Amz-Date'), case['time'])]
    if case['strip_port']:
        wbase = wbase.replace(':%d/' % case['strip_port'], '/', 1)
        want = want.replace(':%d/' % case['strip_port'], '/', 1)
    rc, out, err = run_cli(cli_env(case), cli_args(case))
    if rc != 0:
        return False, ['sign_s3 exit status %r' % rc,
                       'stderr: %s' % err.decode('utf-8', 'replace').strip()[:500],
                       'expected: %s' % want]
    text = out.decode('utf-8', 'replace')
    if not text.endswith('\n') or text.count('\n') != 1:
        diag.append('stdout is not exactly one line: %r' % text[:300])
    got = text.strip()
    gbase, gq, gsig = split_url(got)
    if gbase != wbase:
        diag.append('scheme://host/path differs: want %s | got %s' % (wbase, gbase))
    if gq != wq:
        wd, gd = dict(wq), dict(gq)
        for k in sorted(set(wd) | set(gd)):
            if wd.get(k) != gd.get(k) and k != 'X-Amz-Signature':
                diag.append('query %s: want %r got %r' % (k, wd.get(k), gd.get(k)))
    if gsig != wsig:
        diag.append('X-Amz-Signature differs: want %s got %s' % (wsig, gsig))
    if diag:
        diag += ['reference (%s): %s' % (how, want), 'sign_s3:          %s' % got]
        return False, diag
    return True, []


def check_negative(desc, extra_args, key, drop):
    env = {
        'S3_BUCKET': 'examplebucket', 'S3_REGION': 'us-east-1',
        'AWS_ACCESS_KEY_ID': AK, 'AWS_SECRET_ACCESS_KEY': SK,
    }
    if drop:
        del env[drop]
    args = extra_args + [key]
    if '--time' not in extra_args:
        args = ['--time', '20130524T000000Z'] + args
    rc, out, err = run_cli(env, args)
    diag = []
    if rc not in (1, 2):
        diag.append('exit status %r, want 1 or 2' % rc)
    if not err.strip():
        diag.append('no message on stderr')
    if b'X-Amz-Signature' in out:
        diag.append('printed a URL: %s' % out.decode('utf-8', 'replace').strip()[:300])
    return not diag, diag


def main():
    cases = build_cases()
    total = 1 + len(cases) + len(NEGATIVE)
    print('1..%d' % total, flush=True)
    failed = 0
    i = 1
    exe_ok = os.path.isfile(SIGN_S3) and os.access(SIGN_S3, os.X_OK)
    print('%s %d - sign_s3 binary is executable: %s' % ('ok' if exe_ok else 'not ok', i, SIGN_S3))
    print('# botocore %s, %d parity cases, %d negative checks'
          % (botocore.__version__, len(cases), len(NEGATIVE)))
    if not exe_ok:
        print('Bail out! no sign_s3 binary at %s (run make, or set SIGN_S3)' % SIGN_S3)
        return 1
    for case in cases:
        i += 1
        try:
            ok, diag = check_case(case)
        except Exception as e:  # a reference that cannot be computed is a failure
            ok, diag = False, ['exception: %r' % (e,)]
        if not ok:
            failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, describe(case)))
        for line in diag:
            print('#   ' + line)
    for desc, extra, key, drop in NEGATIVE:
        i += 1
        ok, diag = check_negative(desc, extra, key, drop)
        if not ok:
            failed += 1
        print('%s %d - negative: %s' % ('ok' if ok else 'not ok', i, desc))
        for line in diag:
            print('#   ' + line)
    sys.stdout.flush()
    if failed:
        print('# %d of %d failed' % (failed, total))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
