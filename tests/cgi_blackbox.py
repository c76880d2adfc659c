#!/usr/bin/python3
# cgi_blackbox.py - sign_s3 as a plain CGI program, black box (cgit style).
#
# Every case runs the binary once with a clean environment built here (env -i
# style: GATEWAY_INTERFACE=CGI/1.1, REQUEST_METHOD, CONTENT_TYPE,
# CONTENT_LENGTH, QUERY_STRING, REMOTE_ADDR and the S3_* / AWS_*
# configuration), the body on stdin, and checks the whole answer:
#  - the CGI head: "Name: value" lines ended by CRLF up to CRLF CRLF, exactly
#    one of each header, only the headers sign_s3 may send (Status,
#    Content-Type: application/json, Content-Length, Cache-Control: no-store,
#    X-Content-Type-Options: nosniff, and Allow: GET, POST for a 405 only);
#  - Content-Length equals the length of the body;
#  - the body is JSON of the exact shape: the success object, or
#    {"statusCode","error","message"} with the exact status/reason and a
#    substring of the message;
#  - for a 200: the key (prefix + uuid v4 + "/" + sanitized name), the
#    echoed file_type, headers.Content-Type, method PUT, url (the unsigned
#    object URL, or S3_PUBLIC_URL + encoded key), expires_at = X-Amz-Date +
#    S3_EXPIRES, every query parameter, and the signature recomputed with
#    botocore.auth.S3SigV4QueryAuth (clock frozen at the URL's X-Amz-Date);
#  - stderr: exactly one log line in the format of cgi/serve.h for a refusal
#    (status, method, REMOTE_ADDR, the message), none for a 200 unless
#    S3_LOG_REQUESTS=1, and never a sanitizer report or stack trace;
#  - secrets: the secret access key never appears in stdout or stderr; the
#    session token only as the X-Amz-Security-Token value of a signed_request
#    (where it has to be for temporary credentials to work), never elsewhere.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP. Exit 0 only when every test passes. No network: nothing is
# contacted; botocore only computes signatures, offline.

import datetime as _real_datetime
import json
import os
import re
import shutil
import sys
import tempfile
import time
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

# ---- a clean, offline botocore (as tests/botocore_parity.py) ------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
try:
    # first: on import it makes botocore offline (no AWS_*/BOTO_* variables,
    # no config files, IMDS off) and it is the one frozen botocore clock
    from verify_sig import freeze
    from cgi_run import parse_cgi, run_cgi
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.utils
except ImportError as e:
    print('1..0 # SKIP botocore not importable by %s: %s' % (sys.executable, e))
    print('Bail out! python3-botocore is required (scripts/deps.sh)')
    sys.exit(1)


# ---- the binary and its environment ---------------------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')
TIMEOUT = 10          # seconds, any run
QUICK = 5             # seconds, runs that must not read stdin

AK = 'AKIACGIBLACKBOX0TEST'
SK = 'SECRETsecret/123+abc'
TOKEN = 'TOKENtoken/456+def=='
BUCKET = 'examplebucket'
REGION = 'eu-west-1'
REMOTE = '203.0.113.9'
SECRET_MARKS = ('SECRETsecret', quote(SK, safe=''))
TOKEN_MARK = 'TOKENtoken'

JSON_CT = 'application/json'
FORM_CT = 'application/x-www-form-urlencoded'
UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
MSG_INTERNAL = 'An internal server error occurred'
MSG_NOCREDS = 'upload signing is not available right now'

T_PDF = 'application/pdf'
T_DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
T_OCTET = 'application/octet-stream'
T_TXT = 'text/plain'
# The active types (common/policy.c s3_type_active) these cases sign: with
# S3_ACTIVE_TYPES=attachment (the default) they carry Content-Disposition.
ACTIVE = {'text/html', 'image/svg+xml'}
T_PNG = 'image/png'
T_JPEG = 'image/jpeg'

REASONS = {200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
           405: 'Method Not Allowed',
           413: 'Payload Too Large', 415: 'Unsupported Media Type',
           500: 'Internal Server Error', 503: 'Service Unavailable'}
ALLOWED_HEADERS = {'status', 'content-type', 'content-length', 'cache-control',
                   'x-content-type-options', 'allow'}
AUTH_PARAMS = {'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
               'X-Amz-Expires', 'X-Amz-SignedHeaders',
               'X-Amz-Security-Token', 'X-Amz-Signature'}
CRASH_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'UndefinedBehaviorSanitizer',
               'runtime error:', 'Traceback', 'Segmentation fault', 'Aborted',
               'core dumped', '    #0 0x', 'SUMMARY:')

LOG_RE = re.compile(r'sign_s3\[(\d+)\]: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) '
                    r'(\d{3}) (\S+) (\S+) "((?:[^"\\]|\\.)*)"')

TMPDIR = tempfile.mkdtemp(prefix='sign_s3_cgi_')


def base_env():
    env = {
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'SERVER_SOFTWARE': 'cgi_blackbox/1.0',
        'SERVER_NAME': '127.0.0.1',
        'SERVER_PORT': '80',
        'SCRIPT_NAME': '/api/sign_s3',
        'REQUEST_URI': '/api/sign_s3',
        'REMOTE_ADDR': REMOTE,
        'AWS_EC2_METADATA_DISABLED': 'true',
        'S3_BUCKET': BUCKET,
        'S3_REGION': REGION,
        'AWS_ACCESS_KEY_ID': AK,
        'AWS_SECRET_ACCESS_KEY': SK,
    }
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


# ---- the table -------------------------------------------------------------------

AUTO = object()
CASES = []


def case(name, status, *, method='POST', ctype=JSON_CT, body=b'', query='',
         env=None, unset=(), clen=AUTO, hold=False, argv=(), expect=None,
         fname=None, ftype=None, msg=None, log=None, cfgerr=None,
         no_echo=(), check=None, maxtime=None):
    """One row. fname/ftype: for a 200, the sanitized name and the type.
    msg: substring of the JSON message; log: substring of the logged message
    (default: the JSON message itself, for 4xx). cfgerr: a configuration
    error naming this variable. hold: stdin is a pipe that is never written
    nor closed (the binary must answer without reading it). expect: config
    values the answer must reflect that are not in env (a SIGN_S3_CONFIG
    file, a normalized endpoint)."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    CASES.append(dict(name=name, status=status, method=method, ctype=ctype,
                      body=body, query=query, env=env or {}, unset=unset,
                      clen=clen, hold=hold, argv=list(argv), expect=expect or {},
                      fname=fname, ftype=ftype, msg=msg, log=log, cfgerr=cfgerr,
                      no_echo=no_echo, check=check, maxtime=maxtime))


def js(**kw):
    return json.dumps(kw, ensure_ascii=False).encode('utf-8')


def form(**kw):
    return '&'.join('%s=%s' % (k, quote(v, safe='')) for k, v in kw.items())


# -- reference cases
case('reference photo.jpg image/jpeg', 200,
     body=js(file_name='photo.jpg', file_type='image/jpeg'),
     fname='photo.jpg', ftype=T_JPEG)
case('reference, with S3_LOG_REQUESTS=1: one log line for the 200', 200,
     body=js(file_name='photo.jpg', file_type='image/jpeg'),
     env={'S3_LOG_REQUESTS': '1'}, fname='photo.jpg', ftype=T_JPEG)
case('S3_LOG_REQUESTS=0: no log line for a 200', 200,
     body=js(file_name='photo.jpg', file_type='image/jpeg'),
     env={'S3_LOG_REQUESTS': '0'}, fname='photo.jpg', ftype=T_JPEG)
case('reference, members in the other order, unknown members ignored', 200,
     body=b'{"x":[1,{"y":null}],"file_type":"image/jpeg","z":true,'
          b'"file_name":"photo.jpg"}', fname='photo.jpg', ftype=T_JPEG)
case('JSON with white space around and inside', 200,
     body=b' \r\n\t{ "file_name" : "photo.jpg" ,\n "file_type" : "image/jpeg" }\n ',
     fname='photo.jpg', ftype=T_JPEG)

# -- file_name transformations
case('" My File.PDF " -> my_file.pdf, empty file_type -> application/pdf', 200,
     body=js(file_name=' My File.PDF ', file_type=''), fname='my_file.pdf', ftype=T_PDF)
case('file_type absent -> from the extension', 200,
     body=js(file_name='Photo.JPG'), fname='photo.jpg', ftype=T_JPEG)
case('tab, newline, CR, VT, FF inside -> _', 200,
     body=js(file_name='a\tb\nc\rd\x0be\x0cf.txt'), fname='a_b_c_d_e_f.txt', ftype=T_TXT)
case('U+00A0 and U+3000 -> _', 200,
     body=js(file_name='a\u00a0b\u3000c.txt'), fname='a_b_c.txt', ftype=T_TXT)
case('other Unicode spaces (U+2003, U+202F, U+1680) -> _, outer ones trimmed', 200,
     body=js(file_name='\u3000 x\u2003y\u202fz\u1680w.txt\u00a0\u2028'),
     fname='x_y_z_w.txt', ftype=T_TXT)
case(r'C:\fakepath\Résumé.docx -> résumé.docx', 200,
     body=js(file_name='C:\\fakepath\\Résumé.docx'), fname='résumé.docx', ftype=T_DOCX)
case('../../etc/passwd -> passwd', 200,
     body=js(file_name='../../etc/passwd'), fname='passwd', ftype=T_OCTET)
case('dir/ and dir\\ prefixes dropped', 200,
     body=js(file_name='a/b\\c/d.txt'), fname='d.txt', ftype=T_TXT)
for _c in '{}^%`[]"<>~#|':
    case('advised-against %r -> _' % _c, 200,
         body=js(file_name='a%sb.txt' % _c), fname='a_b.txt', ftype=T_TXT)
case('300-byte name cut to 255 bytes keeping .pdf', 200,
     body=js(file_name='a' * 296 + '.pdf'), fname='a' * 251 + '.pdf', ftype=T_PDF)
case('300-byte name without extension cut to 255', 200,
     body=js(file_name='x' * 300), fname='x' * 255, ftype=T_OCTET)
case('long name with a 19-byte extension: cut without keeping it', 200,
     body=js(file_name='a' * 300 + '.verylongextension1'), fname='a' * 255,
     ftype=T_OCTET)
case('very long unicode name cut on a character boundary, .txt kept', 200,
     body=js(file_name='日本語ファイル' * 40 + '.txt'),
     fname=('日本語ファイル' * 40)[:83] + '.txt', ftype=T_TXT)
case('4096-byte name (the input limit) accepted and cut', 200,
     body=js(file_name='b' * 4092 + '.png'), fname='b' * 251 + '.png', ftype=T_PNG)
case('emoji kept, spaces -> _', 200,
     body=js(file_name='🎉 Party 😀.PNG'), fname='🎉_party_😀.png', ftype=T_PNG)
case('emoji as a JSON surrogate-pair escape', 200,
     body=b'{"file_name":"\\ud83d\\ude00.png"}', fname='😀.png', ftype=T_PNG)
case('JSON \\u escapes decoded', 200,
     body=b'{"file_name":"caf\\u00e9.txt"}', fname='café.txt', ftype=T_TXT)
case('unknown extension -> application/octet-stream', 200,
     body=js(file_name='data.zzzunknown'), fname='data.zzzunknown', ftype=T_OCTET)
case('no extension -> application/octet-stream', 200,
     body=js(file_name='README'), fname='readme', ftype=T_OCTET)
case('dot file -> application/octet-stream', 200,
     body=js(file_name='.bashrc'), fname='.bashrc', ftype=T_OCTET)
case('Latin-1, Greek, Cyrillic lowercased', 200,
     body=js(file_name='ÉCOLE ΑΒΓ ПРИВЕТ.TXT'), fname='école_αβγ_привет.txt', ftype=T_TXT)
case('NFD stays NFD', 200,
     body=js(file_name='Re\u0301sume\u0301.pdf'), fname='re\u0301sume\u0301.pdf', ftype=T_PDF)
case('bidi override and zero-width removed', 200,
     body=js(file_name='evil\u202egnp\u200b.txt'), fname='evilgnp.txt', ftype=T_TXT)
case("URI-special characters in the key are encoded in the URLs", 200,
     body=js(file_name="it's (1)! a+b=c&d@e:f,g;h$i*j.txt"),
     fname="it's_(1)!_a+b=c&d@e:f,g;h$i*j.txt", ftype=T_TXT)

# -- file_type
for _t in ('text/plain;charset=utf-8', 'image/svg+xml', 'IMAGE/JPEG',
           'text/plain;charset="utf-8"', 'application/vnd.ms-excel',
           'text/plain;a=' + 'b' * 242):
    case('file_type accepted: %s' % (_t if len(_t) < 40 else '255 bytes'), 200,
         body=js(file_name='f.bin', file_type=_t), fname='f.bin', ftype=_t)
for _t, _m in (('image/png ', 'media type'),
               ('text/plain; charset=utf-8', 'media type'),
               ('image', 'media type'),
               ('image/png\r\nX-Evil: 1', 'media type'),
               ('image/pñg', 'media type'),
               ('/png', 'media type'),
               ('image/png;', 'media type'),
               ('text/plain;a=' + 'b' * 243, 'file_type too long'),
               ('x/' + 'y' * 4095, 'file_type too long (limit 4096 bytes)')):
    case('file_type refused: %r' % (_t if len(_t) < 40 else '%d bytes' % len(_t)),
         400, body=js(file_name='f.png', file_type=_t), msg=_m,
         no_echo=('X-Evil',))
case('file_type not a string', 400, body=b'{"file_name":"a.txt","file_type":5}',
     msg='file_type must be a string')

# -- form bodies
case('form: photo.jpg image/jpeg', 200, ctype=FORM_CT,
     body=form(file_name='photo.jpg', file_type='image/jpeg'),
     fname='photo.jpg', ftype=T_JPEG)
case("form: '+' is a space", 200, ctype=FORM_CT,
     body='file_name=+My+File.PDF+&file_type=', fname='my_file.pdf', ftype=T_PDF)
case('form: percent-encoded fakepath Résumé.docx', 200, ctype=FORM_CT,
     body=form(file_name='C:\\fakepath\\Résumé.docx'), fname='résumé.docx', ftype=T_DOCX)
case('form: ../../etc/passwd', 200, ctype=FORM_CT,
     body=form(file_name='../../etc/passwd'), fname='passwd', ftype=T_OCTET)
case('form: file_type with ;charset=utf-8', 200, ctype=FORM_CT,
     body=form(file_name='a.txt', file_type='text/plain;charset=utf-8'),
     fname='a.txt', ftype='text/plain;charset=utf-8')
case('form: charset=UTF-8 on the content type tolerated', 200,
     ctype=FORM_CT + '; charset=UTF-8', body=form(file_name='a.txt'),
     fname='a.txt', ftype=T_TXT)
case('form: unknown and empty segments ignored', 200, ctype=FORM_CT,
     body='&a=1&&file_name=x.txt&b&', fname='x.txt', ftype=T_TXT)
case('form: charset=iso-8859-1 -> 415', 415, ctype=FORM_CT + ';charset=iso-8859-1',
     body=form(file_name='a.txt'), msg='unsupported charset')
case('form: CRLF injection in file_type', 400, ctype=FORM_CT,
     body='file_name=a.png&file_type=image%2Fpng%0D%0AX-Evil%3A+1',
     msg='media type', no_echo=('X-Evil',))
case('form: %C3%28 is invalid UTF-8', 400, ctype=FORM_CT,
     body='file_name=%C3%28.txt', msg='invalid UTF-8')
case('form: %00 is a NUL', 400, ctype=FORM_CT, body='file_name=a%00.txt',
     msg='NUL byte in request')
case('form: bad percent-encoding', 400, ctype=FORM_CT, body='file_name=a%zz.txt',
     msg='invalid percent-encoding')
case('form: duplicate file_name', 400, ctype=FORM_CT,
     body='file_name=a.txt&file_name=b.txt', msg='duplicate field file_name')
case('form: empty file_name', 400, ctype=FORM_CT, body='file_name=&file_type=',
     msg='file_name is required')
case('form: ".." (encoded)', 400, ctype=FORM_CT, body='file_name=%2E%2E',
     msg='not a usable file name')
case('form: 65 fields', 400, ctype=FORM_CT,
     body='&'.join('f%d=1' % i for i in range(64)) + '&file_name=a.txt',
     msg='too many fields')

# -- GET
case('GET: photo.jpg image/jpeg', 200, method='GET', ctype=None,
     query='file_name=photo.jpg&file_type=image%2Fjpeg', fname='photo.jpg', ftype=T_JPEG)
case('GET: " My File.PDF " and empty file_type', 200, method='GET', ctype=None,
     query='file_name=%20My%20File.PDF%20&file_type=', fname='my_file.pdf', ftype=T_PDF)
case("GET: '+' is a space", 200, method='GET', ctype=None,
     query='file_name=a+b.txt', fname='a_b.txt', ftype=T_TXT)
case('GET: file_type with charset', 200, method='GET', ctype=None,
     query='file_name=a.txt&file_type=text%2Fplain%3Bcharset%3Dutf-8',
     fname='a.txt', ftype='text/plain;charset=utf-8')
case('GET: Content-Type text/plain does not matter', 200, method='GET',
     ctype='text/plain', query='file_name=a.txt', fname='a.txt', ftype=T_TXT)
case('GET: a body is never read (CONTENT_LENGTH 5, stdin held open)', 200,
     method='GET', ctype=None, query='file_name=a.txt', clen='5', hold=True,
     fname='a.txt', ftype=T_TXT, maxtime=3)
case('GET: no query string', 400, method='GET', ctype=None, query=None,
     msg='file_name is required')
case('GET: %C3%28', 400, method='GET', ctype=None, query='file_name=%C3%28',
     msg='invalid UTF-8')
case('GET: %00', 400, method='GET', ctype=None, query='file_name=a%00.txt',
     msg='NUL byte in request')
case('GET: file_type CRLF injection', 400, method='GET', ctype=None,
     query='file_name=a.png&file_type=image/png%0d%0aX-Evil:%201',
     msg='media type', no_echo=('X-Evil',))
case('GET: query string over 16384 bytes', 400, method='GET', ctype=None,
     query='file_name=a.txt&pad=' + 'p' * 16400, msg='query string too long')
# RFC 3875 4.4: for a query without '=', a CGI server (Apache mod_cgi, thttpd)
# passes the search words as argv. They must not switch sign_s3 out of CGI mode
# (compare PHP-CGI, CVE-2012-1823).
case('GET ?presign+secret.txt: search-string argv ignored in CGI mode', 400,
     method='GET', ctype=None, query='presign+secret.txt',
     argv=['presign', 'secret.txt'], msg='file_name is required')
case('GET ?--help: search-string argv ignored in CGI mode', 400,
     method='GET', ctype=None, query='--help', argv=['--help'],
     msg='file_name is required')

# -- content types
case('POST application/json; charset=utf-8', 200, ctype='application/json; charset=utf-8',
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('POST APPLICATION/JSON;charset="UTF-8"', 200, ctype='APPLICATION/JSON;charset="UTF-8"',
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('POST application/json;charset=iso-8859-1 -> 415', 415,
     ctype='application/json;charset=iso-8859-1', body=js(file_name='a.txt'),
     msg='unsupported charset')
case('POST text/plain -> 415', 415, ctype='text/plain', body=js(file_name='a.txt'),
     msg='unsupported content type')
case('POST multipart/form-data -> 415', 415,
     ctype='multipart/form-data; boundary=XyZ',
     body=b'--XyZ\r\nContent-Disposition: form-data; name="file_name"\r\n\r\n'
          b'a.txt\r\n--XyZ--\r\n', msg='unsupported content type')
case('POST without a content type -> 415', 415, ctype=None, body=js(file_name='a.txt'),
     msg='unsupported content type')
case('POST application/jsonx -> 415', 415, ctype='application/jsonx',
     body=js(file_name='a.txt'), msg='unsupported content type')
case('POST malformed content type parameter -> 415', 415,
     ctype='application/json; foo', body=js(file_name='a.txt'),
     msg='malformed Content-Type')

# -- refusals of the body
case('missing file_name', 400, body=js(file_type='image/png'), msg='file_name is required')
case('empty file_name', 400, body=js(file_name=''), msg='file_name is required')
case('file_name is case-sensitive', 400, body=js(File_Name='a.txt'),
     msg='file_name is required')
case('file_name "."', 400, body=js(file_name='.'), msg='not a usable file name')
case('file_name ".."', 400, body=js(file_name='..'), msg='not a usable file name')
case('file_name "   "', 400, body=js(file_name='   '), msg='not a usable file name')
case('file_name "dir/" (nothing after the last slash)', 400, body=js(file_name='dir/'),
     msg='not a usable file name')
case('file_name only control characters', 400,
     body=js(file_name='\x01\x02\x1b\x7f\u0080\u009f\u200b\u202e\ufeff'), msg='not a usable file name')
case('file_name 4097 bytes', 400, body=js(file_name='a' * 4097),
     msg='file_name too long (limit 4096 bytes)')
case('invalid JSON', 400, body=b'{"file_name":"a.txt"', msg='invalid JSON')
case('invalid JSON: single quotes', 400, body=b"{'file_name':'a.txt'}", msg='invalid JSON')
case('empty body', 400, body=b'', msg='invalid JSON')
case('JSON array', 400, body=b'[{"file_name":"a.txt"}]', msg='JSON body must be an object')
case('JSON string', 400, body=b'"a.txt"', msg='JSON body must be an object')
case('JSON null', 400, body=b'null', msg='JSON body must be an object')
case('file_name a number', 400, body=b'{"file_name":1}', msg='file_name must be a string')
case('file_name null', 400, body=b'{"file_name":null}', msg='file_name must be a string')
case('file_name an object', 400, body=b'{"file_name":{"a":"b.txt"}}',
     msg='file_name must be a string')
case('file_name an array', 400, body=b'{"file_name":["a.txt"]}',
     msg='file_name must be a string')
case('duplicate file_name', 400, body=b'{"file_name":"a.txt","file_name":"b.txt"}',
     msg='duplicate field file_name')
case('raw invalid UTF-8 in JSON', 400, body=b'{"file_name":"\xff\xfe.txt"}',
     msg='invalid UTF-8')
case('overlong UTF-8 in JSON', 400, body=b'{"file_name":"\xc0\xaf.txt"}',
     msg='invalid UTF-8')
case('lone low surrogate escape', 400, body=b'{"file_name":"\\udc00.txt"}',
     msg='invalid JSON')
case('lone high surrogate escape', 400, body=b'{"file_name":"\\ud800.txt"}',
     msg='invalid JSON')
# issue 15: cJSON alone signed these as shell.php, text/html, file_name; RFC 8259 first
case('\\u00GG in file_name (was signed as shell.php)', 400,
     body=b'{"file_name":"shell.php\\u00GG.jpg","file_type":"image/jpeg"}', msg='invalid JSON')
case('\\uZZZZ in file_type (was text/html)', 400,
     body=b'{"file_name":"a.html","file_type":"text/html\\uZZZZ"}', msg='invalid JSON')
case('\\uZZZZ in a member name (was file_name)', 400,
     body=b'{"file_name\\uZZZZjunk":"shell.php"}', msg='invalid JSON')
case('raw control character in a JSON string', 400, body=b'{"file_name":"a\x01.txt"}',
     msg='invalid JSON')
case('control bytes as JSON white space', 400, body=b'\x0b{"file_name":"a.txt"}\x0c',
     msg='invalid JSON')
case('JSON number with leading zeros', 400, body=b'{"file_name":"a.txt","n":0001}',
     msg='invalid JSON')
case('lone surrogate escape says why', 400, body=b'{"file_name":"a\\ud800.txt"}',
     msg='invalid JSON: unpaired surrogate escape')
case('\\u0000 in a JSON string', 400, body=b'{"file_name":"a\\u0000.txt"}',
     msg='NUL byte in request')
case('raw NUL byte in the body', 400, body=b'{"file_name":"a\x00.txt"}',
     msg='NUL byte in request')
case('trailing garbage after the object', 400, body=b'{"file_name":"a.txt"} x',
     msg='invalid JSON')
case('two objects', 400, body=b'{"file_name":"a.txt"}{"file_name":"b.txt"}',
     msg='invalid JSON')
case('40 levels of nesting', 400,
     body=b'{"file_name":"a.txt","x":' + b'[' * 39 + b']' * 39 + b'}',
     msg='nested too deeply')
case('32 levels of nesting are fine', 200,
     body=b'{"file_name":"a.txt","x":' + b'[' * 31 + b']' * 31 + b'}',
     fname='a.txt', ftype=T_TXT)
case('65 members', 400,
     body=('{' + ','.join('"m%d":1' % i for i in range(64)) + ',"file_name":"a.txt"}'),
     msg='too many fields')

# -- sizes and Content-Length
case('body of exactly 16384 bytes accepted', 200,
     body=js(file_name='a.txt').ljust(16384, b' '), fname='a.txt', ftype=T_TXT)
case('body of 16385 bytes -> 413', 413,
     body=js(file_name='a.txt').ljust(16385, b' '), msg='request body too large (limit 16384')
case('CONTENT_LENGTH 10000000, stdin held open -> 413 without reading', 413,
     clen='10000000', hold=True, msg='too large', maxtime=3)
case('S3_MAX_BODY=100: 100 bytes accepted', 200, env={'S3_MAX_BODY': '100'},
     body=js(file_name='a.txt').ljust(100, b' '), fname='a.txt', ftype=T_TXT)
case('S3_MAX_BODY=100: 101 bytes -> 413', 413, env={'S3_MAX_BODY': '100'},
     body=js(file_name='a.txt').ljust(101, b' '), msg='(limit 100 bytes)')
case('S3_MAX_BODY=100: CONTENT_LENGTH 101, stdin held open -> 413', 413,
     env={'S3_MAX_BODY': '100'}, clen='101', hold=True, msg='(limit 100 bytes)',
     maxtime=3)
case('CONTENT_LENGTH larger than the body sent', 400, body=js(file_name='a.txt'),
     clen='500', msg='shorter')
case('CONTENT_LENGTH smaller than the body sent: only that much is read', 400,
     body=js(file_name='a.txt'), clen='10', msg='invalid JSON')
# a POST without CONTENT_LENGTH is a streamed (chunked) body: read to EOF
case('no CONTENT_LENGTH: body read to its end', 200, body=js(file_name='a.txt'),
     clen=None, fname='a.txt', ftype='text/plain')
case('no CONTENT_LENGTH, empty stream', 400, body=b'', clen=None,
     msg='invalid JSON')
case('no CONTENT_LENGTH, stream over S3_MAX_BODY', 413, body=b'{"file_name":"' +
     b'a' * 200 + b'"}', clen=None, env={'S3_MAX_BODY': '100'}, msg='too large')
for _cl in ('abc', '-1', '1e3', '+25', ' 25', '25 ', '0x19',
            '99999999999999999999999999'):
    case('CONTENT_LENGTH %r' % _cl, 400, body=js(file_name='a.txt'), clen=_cl,
         hold=True, msg='invalid Content-Length', maxtime=3)

# -- methods
for _m in ('PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'post', 'TRACE'):
    case('%s -> 405' % _m, 405, method=_m, body=js(file_name='a.txt'),
         clen='20', hold=True, msg='method not allowed', maxtime=3)
case('no REQUEST_METHOD -> 405, logged as "-"', 405, method=None,
     msg='method not allowed')

# -- routes under CGI: PATH_INFO picks one (cgi/route.h); none is /api/sign_s3
case('PATH_INFO=/sign_s3 -> the sign_s3 route', 200, env={'PATH_INFO': '/sign_s3'},
     body=js(file_name='photo.jpg', file_type='image/jpeg'), fname='photo.jpg', ftype=T_JPEG)
case('PATH_INFO="" -> the sign_s3 route', 200, env={'PATH_INFO': ''},
     body=js(file_name='photo.jpg', file_type='image/jpeg'), fname='photo.jpg', ftype=T_JPEG)
case('PATH_INFO=/s3/nothing -> 404', 404, env={'PATH_INFO': '/s3/nothing'}, method='GET',
     msg='no such route')
case('PATH_INFO=/s3/sts -> 404, no credentials are handed out', 404,
     env={'PATH_INFO': '/s3/sts'}, method='GET', msg='temporary credentials are not handed out')
case('PATH_INFO=/s3/multipart/ID, a key of another prefix -> 403 before S3', 403,
     env={'PATH_INFO': '/s3/multipart/VXBsb2Fk'}, method='GET',
     query='key=other/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a.txt', msg='not one this server')
case('PATH_INFO=/s3/multipart/ID/0 -> 400 (part numbers 1..10000)', 400,
     env={'PATH_INFO': '/s3/multipart/VXBsb2Fk/0'}, method='GET',
     query='key=uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a.txt', msg='part numbers')

# -- configuration
case('S3_ACL=public-read: x-amz-acl signed', 200, env={'S3_ACL': 'public-read'},
     body=js(file_name='photo.jpg', file_type='image/jpeg'), fname='photo.jpg', ftype=T_JPEG)
case('S3_ACL=bucket-owner-full-control', 200, env={'S3_ACL': 'bucket-owner-full-control'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_PUBLIC_URL=https://cdn.example.com', 200,
     env={'S3_PUBLIC_URL': 'https://cdn.example.com'},
     body=js(file_name='My Photo+1 é.jpg'), fname='my_photo+1_é.jpg', ftype=T_JPEG)
case('S3_PUBLIC_URL with a path and a trailing slash', 200,
     env={'S3_PUBLIC_URL': 'https://cdn.example.com/assets/'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_KEY_PREFIX=user-files/', 200, env={'S3_KEY_PREFIX': 'user-files/'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_KEY_PREFIX empty', 200, env={'S3_KEY_PREFIX': ''},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_KEY_PREFIX with a space and UTF-8', 200, env={'S3_KEY_PREFIX': 'tenant é/a b/'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_EXPIRES=300', 200, env={'S3_EXPIRES': '300'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_EXPIRES=604800', 200, env={'S3_EXPIRES': '604800'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('S3_ENDPOINT=http://127.0.0.1:9000', 200, env={'S3_ENDPOINT': 'http://127.0.0.1:9000'},
     body=js(file_name='photo.jpg', file_type='image/jpeg'), fname='photo.jpg', ftype=T_JPEG,
     expect={'base': 'http://127.0.0.1:9000/%s/' % BUCKET})
case('S3_ENDPOINT=https://LOCALHOST:443/ normalized', 200,
     env={'S3_ENDPOINT': 'https://LOCALHOST:443/'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT,
     expect={'base': 'https://localhost/%s/' % BUCKET})
case('S3_PATH_STYLE=1 on AWS', 200, env={'S3_PATH_STYLE': '1'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT,
     expect={'base': 'https://s3.%s.amazonaws.com/%s/' % (REGION, BUCKET)})
case('dotted bucket is path-style', 200, env={'S3_BUCKET': 'my.dotted.bucket'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT,
     expect={'base': 'https://s3.%s.amazonaws.com/my.dotted.bucket/' % REGION})
case('no region: us-east-1', 200, unset=('S3_REGION',),
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT,
     expect={'base': 'https://%s.s3.amazonaws.com/' % BUCKET})
case('AWS_REGION fallback', 200, unset=('S3_REGION',), env={'AWS_REGION': 'ap-southeast-2'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('AWS_SESSION_TOKEN signed as X-Amz-Security-Token', 200,
     env={'AWS_SESSION_TOKEN': TOKEN, 'S3_ACL': 'private'},
     body=js(file_name='photo.jpg', file_type='image/jpeg'), fname='photo.jpg', ftype=T_JPEG)
case('AWS_SESSION_TOKEN empty: none', 200, env={'AWS_SESSION_TOKEN': ''},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT)
case('SIGN_S3_CONFIG file supplies bucket and secret', 200,
     unset=('AWS_SECRET_ACCESS_KEY', 'S3_BUCKET'),
     env={'SIGN_S3_CONFIG': '@good.conf'},
     body=js(file_name='a.txt'), fname='a.txt', ftype=T_TXT,
     expect={'S3_BUCKET': 'filebucket', 'AWS_SECRET_ACCESS_KEY': SK})
case('no credentials -> 503', 503, unset=('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'),
     body=js(file_name='a.txt'), msg=MSG_NOCREDS, log='no credentials')
case('no credentials, bad request: still 400', 400,
     unset=('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'),
     body=js(file_name='..'), msg='not a usable file name')
for _v, _env, _unset in (
        ('S3_EXPIRES', {'S3_EXPIRES': '0'}, ()),
        ('S3_EXPIRES', {'S3_EXPIRES': '604801'}, ()),
        ('S3_BUCKET', {}, ('S3_BUCKET',)),
        ('S3_BUCKET', {'S3_BUCKET': 'bad bucket'}, ()),
        ('S3_ENDPOINT', {'S3_ENDPOINT': 'ftp://127.0.0.1'}, ()),
        ('S3_ACL', {'S3_ACL': 'public'}, ()),
        ('S3_MAX_BODY', {'S3_MAX_BODY': '0'}, ()),
        ('S3_KEY_PREFIX', {'S3_KEY_PREFIX': '/abs/'}, ()),
        ('S3_PUBLIC_URL', {'S3_PUBLIC_URL': 'cdn.example.com'}, ()),
        ('S3_LOG_REQUESTS', {'S3_LOG_REQUESTS': 'yes'}, ()),
        ('S3_ACTIVE_TYPES', {'S3_ACTIVE_TYPES': 'inline'}, ()),
        ('AWS_ACCESS_KEY_ID', {}, ('AWS_SECRET_ACCESS_KEY',)),
        ('AWS_SECRET_ACCESS_KEY', {'AWS_SECRET_ACCESS_KEY': SK + ' with space'}, ()),
        ('AWS_SESSION_TOKEN', {'AWS_SESSION_TOKEN': TOKEN},
         ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY')),
        ('AWS_SESSION_TOKEN', {'AWS_SESSION_TOKEN': TOKEN + ' x'}, ()),
        ('SIGN_S3_CONFIG', {'SIGN_S3_CONFIG': '/nonexistent/sign_s3.conf'}, ()),
        ('AWS_SECRET_ACCESS_KEY', {'SIGN_S3_CONFIG': '@bad.conf'},
         ('AWS_SECRET_ACCESS_KEY',))):
    case('config error %s (%s) -> 500' % (_v, ', '.join(
        ['%s=%s' % (k, '...' if k.startswith('AWS_') else v) for k, v in _env.items()] +
        ['no ' + u for u in _unset])), 500, env=_env, unset=_unset,
        body=js(file_name='a.txt'), msg=MSG_INTERNAL, cfgerr=_v)

# -- active content (S3_ACTIVE_TYPES)
case('active: text/html declared, default: signed as an attachment', 200,
     body=js(file_name='page.html', file_type='text/html'), fname='page.html',
     ftype='text/html')
case('active: .svg, no file_type, default: signed as an attachment', 200,
     body=js(file_name='logo.svg'), fname='logo.svg', ftype='image/svg+xml')
case('active: S3_ACTIVE_TYPES=attachment', 200, env={'S3_ACTIVE_TYPES': 'attachment'},
     body=js(file_name='page.html', file_type='text/html'), fname='page.html',
     ftype='text/html')
case('active: S3_ACTIVE_TYPES=refuse -> 415', 415, env={'S3_ACTIVE_TYPES': 'refuse'},
     body=js(file_name='page.html', file_type='text/html'),
     msg='file type text/html is active content')
case('active: S3_ACTIVE_TYPES=refuse, image/png still signed', 200,
     env={'S3_ACTIVE_TYPES': 'refuse'}, body=js(file_name='a.png', file_type=T_PNG),
     fname='a.png', ftype=T_PNG)
case('active: S3_ACTIVE_TYPES=allow: no Content-Disposition', 200,
     env={'S3_ACTIVE_TYPES': 'allow'},
     body=js(file_name='page.html', file_type='text/html'), fname='page.html',
     ftype='text/html')

# -- hostile names
case('<script>alert(1)</script>.png', 200,
     body=js(file_name='<script>alert(1)</script>.png'), fname='script_.png', ftype=T_PNG)
case('<img src=x onerror=alert(1)>.png', 200,
     body=js(file_name='<img src=x onerror=alert(1)>.png'),
     fname='_img_src=x_onerror=alert(1)_.png', ftype=T_PNG)
case('a"b.txt', 200, body=js(file_name='a"b.txt'), fname='a_b.txt', ftype=T_TXT)
case('x\\r\\nSet-Cookie: a=b.txt (no CR/LF left, no header)', 200,
     body=js(file_name='x\r\nSet-Cookie: a=b.txt'), fname='x__set-cookie:_a=b.txt',
     ftype=T_TXT)
case('form: x%0D%0ASet-Cookie', 200, ctype=FORM_CT,
     body='file_name=x%0D%0ASet-Cookie:+a%3Db.txt', fname='x__set-cookie:_a=b.txt',
     ftype=T_TXT)
case('C1 controls and ESC removed', 200, body=js(file_name='a\x1b[31m\u009bb.txt'),
     fname='a_31mb.txt', ftype=T_TXT)
case('only CR, LF and TAB refused', 400,
     body=js(file_name='\r\n\t'), msg='not a usable file name')
case('hostile refused name not echoed', 400,
     body=js(file_name='<script>alert(1)</script>/'), msg='not a usable file name',
     no_echo=('<script', 'alert('))
case('log line escapes what it logs (method with control bytes)', 405,
     method='P\x1bOST"\\', msg='method not allowed')
case('REMOTE_ADDR unset: logged as "-"', 400, unset=('REMOTE_ADDR',),
     body=js(file_name=''), msg='file_name is required')
case('REMOTE_ADDR IPv6', 400, env={'REMOTE_ADDR': '2001:db8::1'},
     body=js(file_name=''), msg='file_name is required')


# ---- running -----------------------------------------------------------------------

def write_conf(name, text):
    path = os.path.join(TMPDIR, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


CONF_FILES = {
    '@good.conf': write_conf('good.conf', '# test\nS3_BUCKET=filebucket\n'
                             'AWS_SECRET_ACCESS_KEY="%s"\n' % SK),
    '@bad.conf': write_conf('bad.conf', 'S3_BUCKET=filebucket\n'
                            'AWS_SECRET_ACCESS_KEY=%s with space\n' % SK),
}


def build_env(c):
    env = base_env()
    for k in c['unset']:
        env.pop(k, None)
    for k, v in c['env'].items():
        env[k] = CONF_FILES.get(v, v)
    if c['method'] is not None:
        env['REQUEST_METHOD'] = c['method']
    if c['query'] is not None:
        env['QUERY_STRING'] = c['query']
    if c['ctype'] is not None:
        env['CONTENT_TYPE'] = c['ctype']
    clen = c['clen']
    if clen is AUTO:
        clen = str(len(c['body'])) if c['body'] or c['method'] == 'POST' else None
    if clen is not None:
        env['CONTENT_LENGTH'] = clen
    return env


def run(c, env):
    """Returns dict(rc, out, err, pid, elapsed) or dict(error=...)."""
    return run_cgi([SIGN_S3] + c['argv'], env, c['body'], c['hold'],
                   QUICK if c['hold'] else TIMEOUT, TMPDIR)


def unescape_log(s):
    return re.sub(r'\\(x[0-9a-f]{2}|.)',
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 3
                  else m.group(1), s)


def log_token(s):
    if not s:
        return '-'
    return ''.join(ch if 0x20 < ord(ch) < 0x7f else '?' for ch in s)[:64]


def check_log_line(line, status, env, res, message, diag, exact=True):
    m = LOG_RE.fullmatch(line)
    if not m:
        diag.append('log line not in the serve.h format: %r' % line)
        return None
    pid, ts, st, meth, remote, msg = m.groups()
    if int(pid) != res['pid']:
        diag.append('log pid %s, want %d' % (pid, res['pid']))
    if int(st) != status:
        diag.append('log status %s, want %d' % (st, status))
    want_meth = log_token(env.get('REQUEST_METHOD'))[:16]
    if meth != want_meth:
        diag.append('log method %r, want %r' % (meth, want_meth))
    want_remote = log_token(env.get('REMOTE_ADDR'))
    if remote != want_remote:
        diag.append('log remote %r, want %r' % (remote, want_remote))
    text = unescape_log(msg)
    if exact and text != message:
        diag.append('log message %r, want %r' % (text, message))
    if not exact and message not in text:
        diag.append('log message %r lacks %r' % (text, message))
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in msg):
        diag.append('unescaped control character in the log message')
    t = _real_datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%SZ')
    now = _real_datetime.datetime.now(_real_datetime.timezone.utc).replace(tzinfo=None)
    if abs((now - t).total_seconds()) > 300:
        diag.append('log time %s far from now' % ts)
    return ts


def expected_cfg(env, c):
    e = dict(env)
    e.update(c['expect'])
    region = (e.get('S3_REGION') or e.get('AWS_REGION') or
              e.get('AWS_DEFAULT_REGION') or 'us-east-1')
    cfg = {
        'bucket': e['S3_BUCKET'], 'region': region,
        'ak': e.get('AWS_ACCESS_KEY_ID'), 'sk': e.get('AWS_SECRET_ACCESS_KEY'),
        'token': e.get('AWS_SESSION_TOKEN') or None,
        'prefix': e.get('S3_KEY_PREFIX', 'uploads/'),
        'expires': int(e.get('S3_EXPIRES', '60')),
        'acl': e.get('S3_ACL') or None,
        'public': (e.get('S3_PUBLIC_URL') or '').rstrip('/') or None,
        'log': e.get('S3_LOG_REQUESTS') == '1',
    }
    if 'base' in e:
        cfg['base'] = e['base']
    else:  # AWS, virtual-hosted (the table's buckets are DNS-compatible)
        host = ('s3.amazonaws.com' if region == 'us-east-1'
                else 's3.%s.amazonaws.com' % region)
        cfg['base'] = 'https://%s.%s/' % (cfg['bucket'], host)
    return cfg


def aws_quote(s, slash=True):
    return quote(s, safe='/-_.~' if slash else '-_.~')


def want_headers(env, c, file_type):
    """The answer's headers: Content-Type, and Content-Disposition for an
    active type under S3_ACTIVE_TYPES=attachment (the default)."""
    h = {'Content-Type': file_type}
    mode = dict(env, **c['expect']).get('S3_ACTIVE_TYPES', 'attachment')
    if mode == 'attachment' and file_type.split(';')[0].strip().lower() in ACTIVE:
        h['Content-Disposition'] = 'attachment'
    return h


def botocore_url(signed, cfg, headers, secret=None):
    """The presigned URL botocore makes for the same request (the same
    headers), at the same time."""
    p = urlsplit(signed)
    q = parse_qsl(p.query, keep_blank_values=True)
    amz_date = dict(q)['X-Amz-Date']
    freeze(amz_date)
    base = urlunsplit((p.scheme, p.netloc, p.path, '', ''))
    extra = [(k, v) for k, v in q if k not in AUTH_PARAMS]
    if extra:
        base += '?' + '&'.join('%s=%s' % (botocore.utils.percent_encode(k),
                                          botocore.utils.percent_encode(v))
                               for k, v in extra)
    req = botocore.awsrequest.AWSRequest(method='PUT', url=base, headers=dict(headers))
    auth = botocore.auth.S3SigV4QueryAuth(
        botocore.credentials.Credentials(cfg['ak'], secret or cfg['sk'], cfg['token']),
        's3', cfg['region'], expires=cfg['expires'])
    auth.add_auth(req)
    url = req.prepare().url
    got_date = dict(parse_qsl(urlsplit(url).query)).get('X-Amz-Date')
    if got_date != amz_date:
        raise RuntimeError('botocore clock not frozen: %r != %r' % (got_date, amz_date))
    return url


def split_url(url):
    p = urlsplit(url)
    q = parse_qsl(p.query, keep_blank_values=True)
    return p.scheme + '://' + p.netloc + p.path, sorted(q), dict(q).get('X-Amz-Signature')


def check_ok(c, env, res, data, diag, t_start, t_end):
    cfg = expected_cfg(env, c)
    want_keys = {'file_type', 'signed_request', 'url', 'key', 'method', 'headers',
                 'expires_at'}
    if not isinstance(data, dict) or set(data) != want_keys:
        diag.append('200 body members %r, want %r' % (
            sorted(data) if isinstance(data, dict) else type(data), sorted(want_keys)))
        return None
    for k in want_keys - {'headers'}:
        if not isinstance(data[k], str):
            diag.append('%s is not a string' % k)
            return None
    if data['method'] != 'PUT':
        diag.append('method %r' % data['method'])
    if data['file_type'] != c['ftype']:
        diag.append('file_type %r, want %r' % (data['file_type'], c['ftype']))
    want_h = want_headers(env, c, data['file_type'])
    if data['headers'] != want_h:
        diag.append('headers %r, want %r' % (data['headers'], want_h))
    key = data['key']
    m = re.fullmatch(re.escape(cfg['prefix']) + '(' + UUID_RE + ')/' +
                     re.escape(c['fname']), key)
    if not m:
        diag.append('key %r, want %s<uuid v4>/%s' % (key, cfg['prefix'], c['fname']))
    if any(ch in key for ch in '\r\n\x00'):
        diag.append('CR, LF or NUL in the key')
    sr = data['signed_request']
    obj = sr.split('?', 1)[0]
    want_obj = cfg['base'] + aws_quote(key)
    if obj != want_obj:
        diag.append('signed_request object URL %r, want %r' % (obj, want_obj))
    want_url = cfg['public'] + '/' + aws_quote(key) if cfg['public'] else obj
    if data['url'] != want_url:
        diag.append('url %r, want %r' % (data['url'], want_url))
    if '?' not in sr:
        diag.append('signed_request has no query')
        return m and m.group(1)
    q = parse_qsl(sr.split('?', 1)[1], keep_blank_values=True, strict_parsing=True)
    names = [k for k, _ in q]
    if len(names) != len(set(names)):
        diag.append('repeated query parameter: %r' % names)
    qd = dict(q)
    want_names = {'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
                  'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'}
    if cfg['token']:
        want_names.add('X-Amz-Security-Token')
    if cfg['acl']:
        want_names.add('x-amz-acl')
    if set(qd) != want_names:
        diag.append('query parameters %r, want %r' % (sorted(qd), sorted(want_names)))
    amz_date = qd.get('X-Amz-Date', '')
    if not re.fullmatch(r'\d{8}T\d{6}Z', amz_date):
        diag.append('X-Amz-Date %r' % amz_date)
        return m and m.group(1)
    expect = {
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': '%s/%s/%s/s3/aws4_request' % (cfg['ak'], amz_date[:8],
                                                           cfg['region']),
        'X-Amz-Expires': str(cfg['expires']),
        'X-Amz-SignedHeaders': ';'.join(sorted(h.lower() for h in want_h)) + ';host',
    }
    if cfg['token']:
        expect['X-Amz-Security-Token'] = cfg['token']
    if cfg['acl']:
        expect['x-amz-acl'] = cfg['acl']
    for k, v in expect.items():
        if qd.get(k) != v:
            diag.append('%s=%r, want %r' % (k, qd.get(k), v))
    if not re.fullmatch(r'[0-9a-f]{64}', qd.get('X-Amz-Signature', '')):
        diag.append('X-Amz-Signature %r' % qd.get('X-Amz-Signature'))
    signed_at = _real_datetime.datetime.strptime(amz_date, '%Y%m%dT%H%M%SZ')
    epoch = signed_at.replace(tzinfo=_real_datetime.timezone.utc).timestamp()
    if not t_start - 2 <= epoch <= t_end + 2:
        diag.append('X-Amz-Date %s is not the time of the request' % amz_date)
    want_exp = (signed_at + _real_datetime.timedelta(seconds=cfg['expires'])
                ).strftime('%Y-%m-%dT%H:%M:%SZ')
    if data['expires_at'] != want_exp:
        diag.append('expires_at %r, want %r (X-Amz-Date + %d)' % (
            data['expires_at'], want_exp, cfg['expires']))
    # the signature, recomputed by botocore for the headers it must carry
    try:
        ref = botocore_url(sr, cfg, want_h)
    except Exception as e:
        diag.append('botocore reference failed: %r' % (e,))
    else:
        rb, rq, rsig = split_url(ref)
        gb, gq, gsig = split_url(sr)
        rq = [kv for kv in rq if kv[0] != 'X-Amz-Signature']
        gq = [kv for kv in gq if kv[0] != 'X-Amz-Signature']
        if rb != gb:
            diag.append('botocore object URL %s, sign_s3 %s' % (rb, gb))
        if rq != gq:
            diag.append('botocore query %r, sign_s3 %r' % (rq, gq))
        if rsig != gsig:
            diag.append('signature differs: botocore %s, sign_s3 %s' % (rsig, gsig))
            diag.append('botocore: %s' % ref)
            diag.append('sign_s3:  %s' % sr)
    # the log
    lines = res['err_text'].splitlines()
    if cfg['log']:
        if len(lines) != 1:
            diag.append('S3_LOG_REQUESTS=1: %d log lines, want 1: %r' % (len(lines), lines))
        else:
            ts = check_log_line(lines[0], 200, env, res, 'signed ' + key, diag)
            if ts and ts != signed_at.strftime('%Y-%m-%dT%H:%M:%SZ'):
                diag.append('log time %s differs from X-Amz-Date %s' % (ts, amz_date))
    elif res['err']:
        diag.append('stderr not empty for a 200: %r' % res['err'][:300])
    CHECKED.append((sr, cfg, want_h))
    return m and m.group(1)


def check_error(c, env, res, data, diag):
    st = c['status']
    if not isinstance(data, dict) or set(data) != {'statusCode', 'error', 'message'}:
        diag.append('error body members %r' % (
            sorted(data) if isinstance(data, dict) else type(data)))
        return
    if type(data['statusCode']) is not int or data['statusCode'] != st:
        diag.append('statusCode %r, want %d' % (data['statusCode'], st))
    if data['error'] != REASONS[st]:
        diag.append('error %r, want %r' % (data['error'], REASONS[st]))
    message = data['message']
    if not isinstance(message, str) or c['msg'] not in message:
        diag.append('message %r lacks %r' % (message, c['msg']))
        return
    if st in (500, 503) and message != c['msg']:
        diag.append('message %r, want exactly %r' % (message, c['msg']))
    lines = res['err_text'].splitlines()
    if not res['err_text'].endswith('\n'):
        diag.append('stderr does not end with a newline: %r' % res['err_text'][-80:])
    if len(lines) != 1:
        diag.append('%d stderr lines, want exactly 1: %r' % (len(lines), lines))
        return
    if c['cfgerr']:
        # main.c today: "sign_s3: configuration error: VAR: what"; a line in
        # the serve.h format (status 500) naming VAR is accepted as well
        if LOG_RE.fullmatch(lines[0]):
            check_log_line(lines[0], st, env, res, c['cfgerr'], diag, exact=False)
        elif not lines[0].startswith('sign_s3: configuration error: '):
            diag.append('config error log line %r' % lines[0])
        if not re.search(r'\b%s\b' % c['cfgerr'], lines[0]):
            diag.append('config error log line does not name %s: %r' % (c['cfgerr'], lines[0]))
        return
    if c['log'] is not None:
        check_log_line(lines[0], st, env, res, c['log'], diag, exact=False)
    else:
        check_log_line(lines[0], st, env, res, message, diag)


CHECKED = []   # (signed_request, cfg, headers) of every 200
UUIDS = []


def check_case(c):
    diag = []
    env = build_env(c)
    t_start = time.time()
    res = run(c, env)
    t_end = time.time()
    if 'error' in res:
        return False, [res['error']]
    out, err = res['out'], res['err']
    res['err_text'] = err.decode('utf-8', 'surrogateescape')
    want_rc = (1,) if c['cfgerr'] else (0,)
    if res['rc'] not in want_rc:
        diag.append('exit status %r, want %r' % (res['rc'], want_rc))
    if c['maxtime'] is not None and res['elapsed'] > c['maxtime']:
        diag.append('took %.2fs, want < %ss' % (res['elapsed'], c['maxtime']))
    for mark in CRASH_MARKS:
        if mark in res['err_text']:
            diag.append('stderr has %r: %r' % (mark, res['err_text'][:500]))
            break
    # secrets, in every answer and every log line
    out_text = out.decode('utf-8', 'surrogateescape')
    for mark in SECRET_MARKS:
        if mark in out_text or mark in res['err_text']:
            diag.append('the secret access key appears in the output')
    if TOKEN_MARK in res['err_text']:
        diag.append('the session token appears on stderr')
    tok_in_url = 'X-Amz-Security-Token=' + aws_quote(TOKEN, slash=False)
    if out_text.replace(tok_in_url, '').count(TOKEN_MARK):
        diag.append('the session token appears outside X-Amz-Security-Token')
    for s in c['no_echo']:
        if s in out_text or s in res['err_text']:
            diag.append('client data %r echoed' % s)
    headers, body = parse_cgi(out, diag)
    if headers is None:
        diag.append('stdout: %r' % out[:300])
        return False, diag
    st = c['status']
    want_status = '%d %s' % (st, REASONS[st])
    if headers.get('status') != want_status:
        diag.append('Status %r, want %r' % (headers.get('status'), want_status))
    for k, v in (('content-type', 'application/json'), ('cache-control', 'no-store'),
                 ('x-content-type-options', 'nosniff')):
        if headers.get(k) != v:
            diag.append('%s: %r, want %r' % (k, headers.get(k), v))
    if st == 405:
        if headers.get('allow') != 'GET, POST':     # every 405 here is /api/sign_s3's
            diag.append('Allow: %r, want "GET, POST"' % headers.get('allow'))
    elif 'allow' in headers:
        diag.append('Allow on a %d' % st)
    extra = set(headers) - ALLOWED_HEADERS
    if extra:
        diag.append('unexpected headers: %r' % sorted(extra))
    if headers.get('content-length') != str(len(body)):
        diag.append('Content-Length %r, body is %d bytes' % (
            headers.get('content-length'), len(body)))
    try:
        data = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        diag.append('body is not UTF-8 JSON (%s): %r' % (e, body[:300]))
        return False, diag
    if st == 200:
        u = check_ok(c, env, res, data, diag, t_start, t_end)
        if u:
            UUIDS.append(u)
    else:
        check_error(c, env, res, data, diag)
    return not diag, diag


def tap_name(s):
    s = ascii(s)[1:-1] if not s.isascii() else s
    return s.replace('#', '<hash>').replace('\n', ' ')


def main():
    extras = ['binary', 'uuids unique', 'verifier catches a wrong key',
              'table size']
    total = len(extras) + len(CASES)
    print('1..%d' % total, flush=True)
    failed = 0
    n = 0

    def report(ok, desc, diag=()):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, tap_name(desc)))
        for line in diag:
            print('#   ' + tap_name(str(line))[:2000])
        sys.stdout.flush()

    exe_ok = os.path.isfile(SIGN_S3) and os.access(SIGN_S3, os.X_OK)
    report(exe_ok, 'sign_s3 binary is executable: %s' % SIGN_S3)
    if not exe_ok:
        print('Bail out! no sign_s3 binary at %s (run make, or set SIGN_S3)' % SIGN_S3)
        return 1
    print('# botocore %s, %d cases' % (botocore.__version__, len(CASES)))
    for c in CASES:
        try:
            ok, diag = check_case(c)
        except Exception as e:  # a check that cannot run is a failure
            ok, diag = False, ['exception: %r' % (e,)]
        report(ok, '%s %d: %s' % (c['method'] or '-', c['status'], c['name']), diag)
    dup = sorted({u for u in UUIDS if UUIDS.count(u) > 1})
    report(len(UUIDS) > 50 and not dup,
           'every 200 has its own uuid (%d answers)' % len(UUIDS),
           ['repeated: %r' % dup] if dup else [])
    # the verifier itself must be able to fail: same request, another secret
    diag = []
    if CHECKED:
        sr, cfg, h = CHECKED[0]
        try:
            wrong = split_url(botocore_url(sr, cfg, h, secret=cfg['sk'] + 'x'))[2]
            other = split_url(botocore_url(sr, cfg, dict(
                h, **{'Content-Type': h['Content-Type'] + 'x'})))[2]
            if wrong == split_url(sr)[2] or other == split_url(sr)[2]:
                diag.append('a wrong secret or content type verified')
        except Exception as e:
            diag.append('exception: %r' % (e,))
    else:
        diag.append('no 200 answer to check against')
    report(not diag, 'botocore verification rejects a wrong secret and a wrong type', diag)
    report(len(CASES) >= 80, 'table has at least 80 cases (%d)' % len(CASES))
    if failed:
        print('# %d of %d failed' % (failed, total))
    return 1 if failed else 0


if __name__ == '__main__':
    try:
        rc = main()
    finally:
        shutil.rmtree(TMPDIR, ignore_errors=True)
    sys.exit(rc)
