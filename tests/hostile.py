#!/usr/bin/python3
# hostile.py - sign_s3 as a plain CGI program against a table of hostile
# requests: oversized fields and bodies, deep and duplicate JSON, overlong
# and surrogate UTF-8, NUL bytes, header injection, path traversal, absurd
# CONTENT_LENGTH values, wrong methods and content types, unicode bombs,
# bidi and zero-width characters, JSON dialects (BOM, comments, trailing
# commas), and the same hostile fields through GET query strings and forms.
#
# Each row has the status the spec (cgi/request.h, common/filename.h,
# README) gives it: 400 malformed, 405 method, 413 too large, 415 media
# type (200 where the spec sanitizes instead of refusing). For every row:
#  - the process exits 0 within a bound (it never blocks on stdin it does
#    not need);
#  - stdout is a well-formed CGI head (CRLF lines, Status, Content-Type:
#    application/json, Content-Length equal to the body's length,
#    Cache-Control: no-store, X-Content-Type-Options: nosniff, Allow only
#    on a 405) and a JSON body of the right shape: the success object or
#    {"statusCode","error","message"} with the row's status;
#  - a 200's key is <prefix><uuid v4>/<segment> where the segment is valid
#    UTF-8, 1..255 bytes, not "." or "..", and has no '/', '\', control,
#    bidi or white space character (and equals the row's name when given);
#  - stderr holds exactly one log line for a refusal and nothing for a 200;
#  - neither stream holds the secret access key (nor the session token
#    outside X-Amz-Security-Token), nor a stack trace or sanitizer report.
#
# Binaries: $SIGN_S3 (else build/sign_s3), then build-san/sign_s3 (or
# $SIGN_S3_SAN) when it exists, where any ASan/UBSan/LSan report fails the
# row. Output: TAP; exit 0 only when every row passes.

import json
import os
import re
import sys
import tempfile
import time
from urllib.parse import parse_qsl, quote, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from cgi_run import parse_cgi, run_cgi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIGN_S3 = os.environ.get('SIGN_S3') or os.path.join(REPO, 'build', 'sign_s3')
SIGN_S3_SAN = os.environ.get('SIGN_S3_SAN') or os.path.join(REPO, 'build-san', 'sign_s3')

AK = 'AKIAHOSTILE0TESTKEY0'
SK = 'HOSTILEsecret/Key+0123456789abcdefghijkl'
TOKEN = 'HOSTILEtoken/Value+zyxw=='
SECRET_MARKS = (SK, 'HOSTILEsecret', quote(SK, safe=''))
TOKEN_MARK = 'HOSTILEtoken'
BUCKET = 'hostile-bucket'
REMOTE = '198.51.100.7'
PREFIX = 'uploads/'
# The active types (common/policy.c s3_type_active) these cases sign: with
# S3_ACTIVE_TYPES=attachment (the default) they carry Content-Disposition.
ACTIVE = {'text/html', 'image/svg+xml'}

JSON_CT = 'application/json'
FORM_CT = 'application/x-www-form-urlencoded'
REASONS = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 405: 'Method Not Allowed',
           413: 'Payload Too Large', 415: 'Unsupported Media Type',
           500: 'Internal Server Error', 503: 'Service Unavailable'}
ALLOWED_HEADERS = {'status', 'content-type', 'content-length', 'cache-control',
                   'x-content-type-options', 'allow'}
CRASH_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'UndefinedBehaviorSanitizer',
               'MemorySanitizer', 'runtime error:', 'Traceback', 'Segmentation fault',
               'Aborted', 'core dumped', '    #0 0x', 'SUMMARY:', 'stack-overflow',
               'heap-buffer-overflow', 'double free', 'free(): ', 'malloc(): ')
UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
LOG_RE = re.compile(r'sign_s3\[\d+\]: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ '
                    r'(\d{3}) (\S+) (\S+) "((?:[^"\\]|\\.)*)"')
# characters a key segment must not hold: C0, DEL, C1, bidi and zero-width
# controls, Unicode white space, separators
BAD_SEGMENT_RE = re.compile('[\x00-\x20\x7f-\x9f/\\\\\u00a0\u1680\u2000-\u200f'
                            '\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff]')

AUTO = object()
CASES = []


def case(name, status, *, method='POST', ctype=JSON_CT, body=b'', query=None,
         clen=AUTO, env=None, unset=(), hold=False, fname=None, ftype=None,
         msg=None, user=None, kprefix=PREFIX):
    """One row. body: bytes/str sent on stdin; query: QUERY_STRING (str or
    bytes); clen: CONTENT_LENGTH (AUTO: the body's length for a POST, None:
    unset); hold: stdin is a pipe never written nor closed (the answer must
    come without reading it); fname/ftype: for a 200, the exact sanitized
    name / type expected (None: any safe segment / any type); msg: a
    substring of the error message; user: REMOTE_USER (str or bytes);
    kprefix: the key's expected prefix (before the uuid)."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    CASES.append(dict(name=name, status=status, method=method, ctype=ctype,
                      body=body, query=query, clen=clen, env=env or {},
                      unset=unset, hold=hold, fname=fname, ftype=ftype, msg=msg,
                      user=user, kprefix=kprefix))


def js(**kw):
    return json.dumps(kw, ensure_ascii=False).encode('utf-8')


def jsa(**kw):
    return json.dumps(kw, ensure_ascii=True).encode('ascii')


def fq(**kw):
    """A form body / query string with every byte of the values encoded."""
    out = []
    for k, v in kw.items():
        if isinstance(v, str):
            v = v.encode('utf-8')
        out.append('%s=%s' % (k, quote(v, safe='')))
    return '&'.join(out)


# ---- oversized ------------------------------------------------------------------

case('file_name 4096 bytes: accepted, cut to 255', 200,
     body=js(file_name='n' * 4092 + '.pdf'), fname='n' * 251 + '.pdf',
     ftype='application/pdf')
case('file_name 4097 bytes', 400, body=js(file_name='n' * 4097), msg='file_name too long')
case('file_name 4097 bytes through \\u escapes (6x the bytes)', 400,
     body=jsa(file_name='\u00e9' * 2049), msg='file_name too long')
case('file_name 4097 bytes in a form', 400, ctype=FORM_CT,
     body=fq(file_name='n' * 4097), msg='file_name too long')
case('file_name 4097 bytes in a GET query', 400, method='GET', ctype=None,
     query=fq(file_name='n' * 4097), msg='file_name too long')
case('file_type 255 bytes accepted', 200,
     body=js(file_name='a.bin', file_type='text/plain;a=' + 'b' * 242),
     fname='a.bin', ftype='text/plain;a=' + 'b' * 242)
case('file_type 256 bytes', 400, body=js(file_name='a.bin', file_type='text/plain;a=' + 'b' * 243),
     msg='file_type too long')
case('file_type 4000 bytes', 400, body=js(file_name='a.bin', file_type='x/' + 'y' * 3998),
     msg='file_type too long')
case('file_type 4097 bytes', 400, body=js(file_name='a.bin', file_type='x/' + 'y' * 4095),
     msg='file_type too long')
case('file_head 8193 bytes', 400, body=js(file_name='a.bin', file_head='A' * 8193),
     msg='file_head too long')
case('body of 16384 bytes accepted', 200, body=js(file_name='a.txt').ljust(16384, b' '),
     fname='a.txt', ftype='text/plain')
case('body of 16385 bytes', 413, body=js(file_name='a.txt').ljust(16385, b' '),
     msg='too large')
case('body of 1 MiB', 413, body=b'{"file_name":"' + b'a' * (1 << 20) + b'"}', msg='too large')
case('body of 16385 bytes without CONTENT_LENGTH (streamed)', 413, clen=None,
     body=js(file_name='a.txt').ljust(16385, b' '), msg='too large')
case('GET query string of 16385 bytes', 400, method='GET', ctype=None,
     query='file_name=a.txt&p=' + 'p' * 16367, msg='query string too long')
case('S3_MAX_BODY=64: 65-byte body', 413, env={'S3_MAX_BODY': '64'},
     body=js(file_name='a.txt').ljust(65, b' '), msg='(limit 64 bytes)')

# ---- JSON structure ---------------------------------------------------------------

case('JSON nested 1000 levels (arrays)', 400,
     body=b'{"file_name":"a.txt","x":' + b'[' * 999 + b']' * 999 + b'}', msg='nested too deeply')
case('JSON nested 1000 levels (objects)', 400,
     body=b'{"file_name":"a.txt","x":' + b'{"a":' * 999 + b'1' + b'}' * 999 + b'}',
     msg='nested too deeply')
case('JSON 1000 unclosed brackets', 400, body=b'[' * 1000, msg='nested too deeply')
case('JSON 5000 levels, unbalanced closers first', 400,
     body=b']' * 100 + b'[' * 5000, msg='nested too deeply')
case('JSON nested 32 levels is fine', 200,
     body=b'{"file_name":"a.txt","x":' + b'[' * 31 + b']' * 31 + b'}', fname='a.txt')
case('JSON brackets inside a string do not count', 200,
     body=js(file_name='[' * 1000 + '.txt'), fname='_' * 251 + '.txt')
case('duplicate file_name', 400, body=b'{"file_name":"a.txt","file_name":"b.txt"}',
     msg='duplicate field')
case('duplicate file_type', 400,
     body=b'{"file_name":"a.txt","file_type":"a/b","file_type":"c/d"}', msg='duplicate field')
case('duplicate through an escaped key', 400,
     body=b'{"file_name":"a.txt","file\\u005fname":"b.txt"}', msg='duplicate field')
case('duplicate file_name, the second empty', 400,
     body=b'{"file_name":"a.txt","file_name":""}', msg='duplicate field')
case('duplicate unknown keys are ignored', 200, body=b'{"x":1,"x":2,"file_name":"a.txt"}',
     fname='a.txt')
case('file_name a number', 400, body=b'{"file_name":1e999}', msg='must be a string')
case('file_name an array', 400, body=b'{"file_name":["a.txt"]}', msg='must be a string')
case('file_name an object', 400, body=b'{"file_name":{"file_name":"a.txt"}}',
     msg='must be a string')
case('file_name true', 400, body=b'{"file_name":true}', msg='must be a string')
case('file_name false', 400, body=b'{"file_name":false}', msg='must be a string')
case('file_name null', 400, body=b'{"file_name":null}', msg='must be a string')
case('file_type a number', 400, body=b'{"file_name":"a.txt","file_type":42}',
     msg='must be a string')
case('file_type an array', 400, body=b'{"file_name":"a.txt","file_type":["a/b"]}',
     msg='must be a string')
case('JSON array body', 400, body=b'[{"file_name":"a.txt"}]', msg='must be an object')
case('JSON number body', 400, body=b'12345', msg='must be an object')
case('JSON with a BOM (RFC 8259 lets a parser ignore it)', 200,
     body=b'\xef\xbb\xbf{"file_name":"bom.txt"}', fname='bom.txt')
case('JSON with a /* comment */', 400, body=b'{/* c */"file_name":"a.txt"}', msg='invalid JSON')
case('JSON with a // comment', 400, body=b'{"file_name":"a.txt"} // c\n', msg='invalid JSON')
case('JSON with a trailing comma (object)', 400, body=b'{"file_name":"a.txt",}',
     msg='invalid JSON')
case('JSON with a trailing comma (array)', 400, body=b'{"file_name":"a.txt","x":[1,]}',
     msg='invalid JSON')
case('JSON single-quoted', 400, body=b"{'file_name':'a.txt'}", msg='invalid JSON')
case('JSON unquoted key', 400, body=b'{file_name:"a.txt"}', msg='invalid JSON')
case('JSON NaN', 400, body=b'{"file_name":"a.txt","x":NaN}', msg='invalid JSON')
case('JSON two objects', 400, body=b'{"file_name":"a.txt"}{"file_name":"b"}', msg='invalid JSON')
case('JSON truncated in an escape', 400, body=b'{"file_name":"a\\u00', msg='invalid JSON')
case('JSON 65 members', 400,
     body=('{' + ','.join('"m%d":1' % i for i in range(64)) + ',"file_name":"a.txt"}').encode(),
     msg='too many fields')
case('JSON 1500 members', 400,
     body=('{' + ','.join('"%d":0' % i for i in range(1500)) + '}').encode(),
     msg='too many fields')
case('JSON with 10000-digit number', 200,
     body=b'{"x":' + b'9' * 10000 + b',"file_name":"a.txt"}', fname='a.txt')

# ---- UTF-8 and NUL ------------------------------------------------------------------

for raw, label in ((b'\xc0\xaf', 'C0 AF'), (b'\xe0\x80\xaf', 'E0 80 AF'),
                   (b'\xf0\x80\x80\xaf', 'F0 80 80 AF'), (b'\xed\xa0\x80', 'ED A0 80 (surrogate)'),
                   (b'\xed\xbf\xbf', 'ED BF BF (surrogate)'), (b'\xf4\x90\x80\x80', 'F4 90 80 80 (>U+10FFFF)'),
                   (b'\xc3', 'truncated C3'), (b'\xff\xfe', 'FF FE')):
    case('raw %s in a JSON file_name' % label, 400,
         body=b'{"file_name":"x' + raw + b'.txt"}', msg='invalid UTF-8')
    pct = ''.join('%%%02X' % c for c in raw)
    case('%s percent-encoded in a form file_name' % label, 400, ctype=FORM_CT,
         body='file_name=x%s.txt' % pct, msg='invalid UTF-8')
    case('%s percent-encoded in a GET query' % label, 400, method='GET', ctype=None,
         query='file_name=x%s.txt' % pct, msg='invalid UTF-8')
case('raw C0 AF in an unknown JSON member', 400, body=b'{"x":"\xc0\xaf","file_name":"a"}',
     msg='invalid UTF-8')
case('raw overlong bytes in a GET query', 400, method='GET', ctype=None,
     query=b'file_name=x\xc0\xaf.txt', msg='invalid UTF-8')
case('raw surrogate bytes in a form body', 400, ctype=FORM_CT,
     body=b'file_name=x\xed\xa0\x80.txt', msg='invalid UTF-8')
case('\\ud800 escape alone', 400, body=b'{"file_name":"\\ud800.txt"}', msg='invalid JSON')
case('\\udfff escape alone', 400, body=b'{"file_name":"a\\udfffb"}', msg='invalid JSON')
case('\\ud800\\u0041 (high surrogate, no low)', 400, body=b'{"file_name":"\\ud800\\u0041"}',
     msg='invalid JSON')
case('\\ud83d\\ude00 (a valid pair) -> emoji', 200, body=b'{"file_name":"\\ud83d\\ude00.png"}',
     fname='\U0001f600.png', ftype='image/png')
case('raw NUL in a JSON body', 400, body=b'{"file_name":"a\x00.txt"}', msg='NUL byte')
case('raw NUL after the JSON object', 400, body=b'{"file_name":"a.txt"}\x00', msg='NUL byte')
case('\\u0000 in file_name', 400, body=b'{"file_name":"a\\u0000.exe"}', msg='NUL byte')
case('\\u0000 in file_type', 400, body=b'{"file_name":"a","file_type":"a/b\\u0000"}',
     msg='NUL byte')
case('\\u0000 in a key', 400, body=b'{"file_name\\u0000x":"a"}', msg='file_name is required')
case('%00 in a form file_name', 400, ctype=FORM_CT, body='file_name=a%00.exe', msg='NUL byte')
case('%00 in a form file_type', 400, ctype=FORM_CT, body='file_name=a&file_type=a%2Fb%00',
     msg='NUL byte')
case('%00 in a GET file_name', 400, method='GET', ctype=None, query='file_name=a.txt%00.exe',
     msg='NUL byte')
case('raw NUL in a form body', 400, ctype=FORM_CT, body=b'file_name=a\x00b', msg='NUL byte')

# ---- header injection -----------------------------------------------------------------

case('CR LF Set-Cookie in file_name -> sanitized', 200,
     body=js(file_name='x\r\nSet-Cookie: sid=1.txt'), fname='x__set-cookie:_sid=1.txt',
     ftype='text/plain')
case('CR LF CR LF body injection in file_name', 200,
     body=js(file_name='a\r\n\r\n<h1>x</h1>.html'), fname='h1_.html',
     ftype='text/html')
case('\\u2028 and \\u2029 in file_name -> _', 200,
     body=jsa(file_name='a\u2028Set-Cookie:\u2029b.txt'), fname='a_set-cookie:_b.txt')
case('\\u0085 (NEL) in file_name -> _', 200, body=jsa(file_name='a\u0085b.txt'),
     fname='a_b.txt')
case('CR LF in file_type', 400, body=js(file_name='a.png', file_type='image/png\r\nSet-Cookie: a=b'),
     msg='media type')
case('LF alone in file_type', 400, body=js(file_name='a.png', file_type='image/png\nX: y'),
     msg='media type')
case('\\u2028 in file_type', 400, body=jsa(file_name='a.png', file_type='image/png\u2028X: y'),
     msg='media type')
case('space in file_type parameter', 400,
     body=js(file_name='a.txt', file_type='text/plain; charset=utf-8'), msg='media type')
case('quoted CR LF in a file_type parameter', 400,
     body=js(file_name='a.txt', file_type='text/plain;x="a\r\nb"'), msg='media type')
case('%0D%0A in a form file_type', 400, ctype=FORM_CT,
     body='file_name=a.png&file_type=image%2Fpng%0D%0ASet-Cookie%3A+a%3Db', msg='media type')
case('%0D%0A in a GET file_name -> sanitized', 200, method='GET', ctype=None,
     query='file_name=x%0D%0ASet-Cookie%3A%20a%3Db.txt', fname='x__set-cookie:_a=b.txt')
case('Set-Cookie as the whole file_type', 400, body=js(file_name='a', file_type='Set-Cookie: a=b'),
     msg='media type')

# ---- path traversal ----------------------------------------------------------------------

case('../../etc/passwd', 200, body=js(file_name='../../etc/passwd'), fname='passwd')
case('..\\..\\windows\\win.ini', 200, body=js(file_name='..\\..\\windows\\win.ini'),
     fname='win.ini')
case('literal %2e%2e%2f in JSON is not decoded', 200, body=js(file_name='%2e%2e%2fpasswd'),
     fname='_2e_2e_2fpasswd')
case('%2e%2e%2f in a form is decoded, then the basename kept', 200, ctype=FORM_CT,
     body='file_name=%2e%2e%2f%2e%2e%2fpasswd', fname='passwd')
case('%2e%2e%2f alone in a form -> nothing left', 400, ctype=FORM_CT,
     body='file_name=%2e%2e%2f', msg='not a usable file name')
case('%2e%2e%5c in a GET query', 200, method='GET', ctype=None,
     query='file_name=%2e%2e%5c%2e%2e%5cboot.ini', fname='boot.ini')
case('absolute path /etc/shadow', 200, body=js(file_name='/etc/shadow'), fname='shadow')
case('absolute Windows path', 200, body=js(file_name='C:\\Windows\\System32\\cmd.exe'),
     fname='cmd.exe')
case('UNC \\\\server\\share\\x.txt', 200, body=js(file_name='\\\\server\\share\\x.txt'),
     fname='x.txt')
case('UNC \\\\server\\share\\ (nothing after)', 400, body=js(file_name='\\\\server\\share\\'),
     msg='not a usable file name')
case('file_name ".."', 400, body=js(file_name='..'), msg='not a usable file name')
case('file_name "a/.."', 400, body=js(file_name='a/..'), msg='not a usable file name')
case('file_name " .. " (trimmed)', 400, body=js(file_name=' .. '), msg='not a usable file name')
case('file_name "..\\u200b" (zero-width removed)', 400, body=jsa(file_name='..\u200b'),
     msg='not a usable file name')
case('file_name "..." is allowed', 200, body=js(file_name='...'), fname='...')
case('fullwidth solidus: not a separator, and no look-alike slash either (-> _)', 200,
     body=js(file_name='invoice\uff0fpaid.pdf'), fname='invoice_paid.pdf')
case('fraction slash and division slash -> _', 200,
     body=js(file_name='a\u2044b\u2215c.txt'), fname='a_b_c.txt')

# ---- CONTENT_LENGTH -------------------------------------------------------------------------

for cl, st, m in (('18446744073709551616', 400, 'invalid Content-Length'),   # 2^64
                  ('18446744073709551615', 413, 'too large'),                # 2^64-1
                  ('9223372036854775808', 413, 'too large'),                 # 2^63
                  ('9223372036854775807', 413, 'too large'),
                  ('340282366920938463463374607431768211456', 400, 'invalid Content-Length'),
                  ('-1', 400, 'invalid Content-Length'),
                  ('-0', 400, 'invalid Content-Length'),
                  ('0x20', 400, 'invalid Content-Length'),
                  ('1e3', 400, 'invalid Content-Length'),
                  (' 20', 400, 'invalid Content-Length'),
                  ('20 ', 400, 'invalid Content-Length'),
                  ('2 0', 400, 'invalid Content-Length'),
                  ('+20', 400, 'invalid Content-Length'),
                  ('20\t', 400, 'invalid Content-Length'),
                  ('٢٠', 400, 'invalid Content-Length')):
    case('CONTENT_LENGTH %r, stdin held open' % cl, st, clen=cl, hold=True, msg=m)
case('CONTENT_LENGTH 16385, stdin held open', 413, clen='16385', hold=True, msg='too large')
case('CONTENT_LENGTH 20, empty stdin', 400, clen='20', hold=False, body=b'',
     msg='shorter than Content-Length')
case('CONTENT_LENGTH 0 with a body', 400, clen='0', body=js(file_name='a.txt'),
     msg='invalid JSON')
case('CONTENT_LENGTH empty string, body read to EOF', 200, clen='', body=js(file_name='a.txt'),
     fname='a.txt')
case('no CONTENT_LENGTH, no body', 400, clen=None, body=b'', msg='invalid JSON')
case('no CONTENT_LENGTH, with a body', 200, clen=None, body=js(file_name='a.txt'), fname='a.txt')
case('CONTENT_LENGTH 00000000000000000000000000000020 (leading zeros)', 200,
     clen='%032d' % len(js(file_name='a.txt')), body=js(file_name='a.txt'), fname='a.txt')

# ---- methods ------------------------------------------------------------------------------

for m in ('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'HEAD', 'post', 'get',
          'Post', '', 'POST ', ' POST', 'POST\r\nX: y', 'A' * 5000):
    case('method %r -> 405' % (m if len(m) < 20 else '%d bytes' % len(m)), 405, method=m,
         body=js(file_name='a.txt'), msg='method not allowed')
case('no REQUEST_METHOD -> 405', 405, method=None, body=b'', clen=None,
     msg='method not allowed')
case('PUT with CONTENT_LENGTH 10000000, stdin held open', 405, method='PUT',
     clen='10000000', hold=True, msg='method not allowed')

# ---- content types --------------------------------------------------------------------------

for ct, st, m in ((None, 415, 'unsupported content type'),
                  ('', 415, 'unsupported content type'),
                  ('multipart/form-data; boundary=----x', 415, 'unsupported content type'),
                  ('text/plain', 415, 'unsupported content type'),
                  ('text/json', 415, 'unsupported content type'),
                  ('application/json; charset=utf-16', 415, 'unsupported charset'),
                  ('application/json; charset=latin1', 415, 'unsupported charset'),
                  ('application/json; charset=utf-8; charset=utf-16', 415, 'unsupported charset'),
                  ('application/json; charset="utf-8\\"x"', 415, 'unsupported charset'),
                  ('application/json; charset=' + 'u' * 300, 415, 'unsupported charset'),
                  ('application/json;charset', 415, 'malformed'),
                  ('application/json; =x', 415, 'malformed'),
                  ('application/json; a="unterminated', 415, 'malformed'),
                  ('application/json\r\nX-Evil: 1', 415, 'unsupported content type'),
                  ('application/json\x0b', 415, 'unsupported content type'),
                  ('application/' + 'j' * 8000, 415, 'unsupported content type'),
                  ('application/json; x=' + 'y' * 8000, 200, None),
                  ('application/json;' + ';' * 5000, 200, None),
                  ('APPLICATION/JSON; CHARSET=UTF-8', 200, None),
                  ('\tapplication/json \t; charset=us-ascii', 200, None)):
    case('Content-Type %r' % (ct if ct is None or len(ct) < 50 else ct[:40] + '...(%d)' % len(ct)),
         st, ctype=ct, body=js(file_name='a.txt'), msg=m, fname='a.txt' if st == 200 else None)

# ---- GET with hostile query strings -------------------------------------------------------------

case('GET with no QUERY_STRING', 400, method='GET', ctype=None, query=None,
     msg='file_name is required')
case('GET ../../etc/passwd', 200, method='GET', ctype=None,
     query=fq(file_name='../../etc/passwd'), fname='passwd')
case('GET duplicate file_name', 400, method='GET', ctype=None,
     query='file_name=a.txt&file_name=b.txt', msg='duplicate field')
case('GET bad percent-encoding', 400, method='GET', ctype=None, query='file_name=%zz',
     msg='invalid percent-encoding')
case('GET truncated percent-encoding', 400, method='GET', ctype=None, query='file_name=a%2',
     msg='invalid percent-encoding')
case('GET 65 fields', 400, method='GET', ctype=None,
     query='&'.join('f%d=1' % i for i in range(65)) + '&file_name=a', msg='too many fields')
case('GET 8000 fields', 400, method='GET', ctype=None, query='&'.join(['a'] * 8000),
     msg='too many fields')
case('GET 10000 empty segments are skipped', 200, method='GET', ctype=None,
     query='&' * 10000 + 'file_name=a.txt', fname='a.txt')
case('GET file_type with CRLF', 400, method='GET', ctype=None,
     query='file_name=a&file_type=a%2Fb%0D%0AX%3A+y', msg='media type')
case('GET body is ignored', 200, method='GET', ctype=JSON_CT, query='file_name=q.txt',
     body=js(file_name='body.txt'), fname='q.txt')
case('GET bidi override', 200, method='GET', ctype=None,
     query=fq(file_name='invoice\u202efdp.exe'), fname='invoicefdp.exe')
case('GET emoji', 200, method='GET', ctype=None, query=fq(file_name='\U0001f4a9 poo.png'),
     fname='\U0001f4a9_poo.png', ftype='image/png')

# ---- forms ----------------------------------------------------------------------------------------

case('form 3000 fields', 400, ctype=FORM_CT, body='&'.join(['x=1'] * 3000),
     msg='too many fields')
case('form bad percent-encoding in an unknown name', 400, ctype=FORM_CT,
     body='file_name=a&x%=1', msg='invalid percent-encoding')
case('form file%5Fname (encoded name)', 200, ctype=FORM_CT, body='file%5Fname=enc.txt',
     fname='enc.txt')
case('form name without value', 400, ctype=FORM_CT, body='file_name', msg='file_name is required')
case('form with a JSON body', 400, ctype=FORM_CT, body=js(file_name='a.txt'),
     msg='file_name is required')
case('JSON content type with a form body', 400, body='file_name=a.txt', msg='invalid JSON')

# ---- unicode bombs, invisible and bidi characters, emoji -------------------------------------------

case('4000 combining characters (8000 bytes)', 400, body=js(file_name='\u0301' * 4000),
     msg='file_name too long')
case('2000 combining characters (4000 bytes): cut to 254 bytes', 200,
     body=js(file_name='\u0301' * 2000), fname='\u0301' * 127)
case('e + 2046 combining characters + .txt (4097 bytes)', 400,
     body=js(file_name='e' + '\u0301' * 2046 + '.txt'), msg='file_name too long')
case('e + 2040 combining characters + .txt: .txt kept', 200,
     body=js(file_name='e' + '\u0301' * 2040 + '.txt'), fname='e' + '\u0301' * 125 + '.txt')
case('1000 emoji (4000 bytes) cut on a boundary', 200, body=js(file_name='\U0001f600' * 1000),
     fname='\U0001f600' * 63)
case('ZWJ emoji family', 200,
     body=js(file_name='\U0001f468\u200d\U0001f469\u200d\U0001f467.png'),
     fname='\U0001f468\U0001f469\U0001f467.png', ftype='image/png')
case('zero-width characters removed', 200,
     body=js(file_name='a\u200bb\u200cc\u200dd\u2060e\ufeff.txt'), fname='abcde.txt')
case('only zero-width and bidi characters', 400,
     body=js(file_name='\u200b\u200c\u200d\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff'),
     msg='not a usable file name')
case('RLO spoof "invoice\\u202egpj.exe"', 200, body=js(file_name='invoice\u202egpj.exe'),
     fname='invoicegpj.exe')
case('RLI/PDI isolates removed', 200, body=js(file_name='\u2067abc\u2069.txt'), fname='abc.txt')
case('Hangul filler and Mongolian vowel separator (default-ignorable) -> _', 200,
     body=js(file_name='a\u3164b\u180ec.txt'), fname='a_b_c.txt')
case('variation selector and tag characters (default-ignorable) -> _', 200,
     body=js(file_name='a\ufe0fb\U000E0041c.txt'), fname='a_b_c.txt')
case('ideographic and em spaces -> _', 200, body=js(file_name='a\u3000b\u2003c.txt'),
     fname='a_b_c.txt')
case('Turkish dotted capital I -> i', 200, body=js(file_name='\u0130STANBUL.TXT'),
     fname='istanbul.txt')
case('C1 CSI escape removed', 200, body=js(file_name='a\u009b31mb.txt'), fname='a31mb.txt')
case('ANSI ESC sequence', 200, body=js(file_name='\x1b[2J\x1b[31mred.txt'),
     fname='_2j_31mred.txt')
case('NFD stays NFD', 200, body=js(file_name='Cafe\u0301.txt'), fname='cafe\u0301.txt')
case('the advised-against characters -> _', 200,
     body=js(file_name='a{b}c^d%e`f[g]h"i<j>k~l#m|n.txt'), fname='a_b_c_d_e_f_g_h_i_j_k_l_m_n.txt')
case('<script> in file_name', 200, body=js(file_name='<script>alert(1)</script>.svg'),
     fname='script_.svg', ftype='image/svg+xml')
case('only white space and controls', 400, body=js(file_name=' \t\r\n\x0b\x0c\u3000\x01\x7f'),
     msg='not a usable file name')
case('U+10FFFF (max code point) kept', 200, body=js(file_name='a\U0010ffff.txt'),
     fname='a\U0010ffff.txt')
case('noncharacter U+FFFE kept', 200, body=js(file_name='a\ufffe.txt'), fname='a\ufffe.txt')

# ---- REMOTE_USER and the upload policy (S3_REQUIRE_USER, {user}, allowed types) -----

POLICY = {'S3_REQUIRE_USER': '1', 'S3_KEY_PREFIX': 'users/{user}/',
          'S3_ALLOWED_TYPES': 'image/*,application/pdf'}
PNG_HEAD = (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01'
            b'\x08\x06\x00\x00\x00')
ELF_HEAD = b'\x7fELF\x02\x01\x01\x00' + b'\x00' * 8 + b'\x02\x00\x3e\x00\x01\x00\x00\x00'


def b64(b):
    import base64
    return base64.b64encode(b).decode()


case('policy: no REMOTE_USER -> 401', 401, env=POLICY, body=js(file_name='a.png'),
     msg='authentication required')
case('policy: empty REMOTE_USER -> 401', 401, env=POLICY, user='', body=js(file_name='a.png'),
     msg='authentication required')
case('policy: alice', 200, env=POLICY, user='alice', body=js(file_name='a.png'),
     fname='a.png', ftype='image/png', kprefix='users/alice/')
case('policy: REMOTE_USER ../admin stays one segment', 200, env=POLICY, user='../admin',
     body=js(file_name='a.png'), fname='a.png', kprefix='users/.._2Fadmin/')
case('policy: REMOTE_USER ".." escaped', 200, env=POLICY, user='..', body=js(file_name='a.png'),
     fname='a.png', kprefix='users/_2E_2E/')
case('policy: REMOTE_USER "a_b" and "a b" differ', 200, env=POLICY, user='a_b',
     body=js(file_name='a.png'), fname='a.png', kprefix='users/a_5Fb/')
case('policy: REMOTE_USER "a b"', 200, env=POLICY, user='a b', body=js(file_name='a.png'),
     fname='a.png', kprefix='users/a_20b/')
case('policy: REMOTE_USER with CR LF Set-Cookie', 200, env=POLICY, user='a\r\nSet-Cookie: x',
     body=js(file_name='a.png'), fname='a.png', kprefix='users/a_0D_0ASet-Cookie_3A_20x/')
case('policy: REMOTE_USER with \\ and {user}', 200, env=POLICY, user='d\\u{user}',
     body=js(file_name='a.png'), fname='a.png', kprefix='users/d_5Cu_7Buser_7D/')
case('policy: REMOTE_USER 128 bytes', 200, env=POLICY, user='u' * 128, body=js(file_name='a.png'),
     fname='a.png', kprefix='users/' + 'u' * 128 + '/')
case('policy: REMOTE_USER 129 bytes -> 401', 401, env=POLICY, user='u' * 129,
     body=js(file_name='a.png'), msg='too long')
case('policy: REMOTE_USER overlong UTF-8 -> 401', 401, env=POLICY, user=b'\xc0\xaf',
     body=js(file_name='a.png'), msg='not valid UTF-8')
case('policy: REMOTE_USER surrogate bytes -> 401', 401, env=POLICY, user=b'a\xed\xa0\x80',
     body=js(file_name='a.png'), msg='not valid UTF-8')
case('policy: 401 comes before the request is read (bad JSON)', 401, env=POLICY,
     body=b'{"file_name":', msg='authentication required')
case('policy: text/html not allowed -> 415', 415, env=POLICY, user='bob',
     body=js(file_name='a.html', file_type='text/html'), msg='not allowed')
case('policy: type from the extension not allowed -> 415', 415, env=POLICY, user='bob',
     body=js(file_name='a.exe'), msg='not allowed')
case('policy: ELF declared image/png -> 415', 415, env=POLICY, user='bob',
     body=js(file_name='a.png', file_type='image/png', file_head=b64(ELF_HEAD)),
     msg='contradicts')
case('policy: PNG head declared image/png', 200, env=POLICY, user='bob',
     body=js(file_name='a.png', file_type='image/png', file_head=b64(PNG_HEAD)),
     fname='a.png', ftype='image/png', kprefix='users/bob/')
case('file_head not base64 -> 400', 400, env=POLICY, user='bob',
     body=js(file_name='a.png', file_head='!!!not base64'), msg='base64')
case('file_head over 4096 decoded bytes -> 400', 400, env=POLICY, user='bob',
     body=js(file_name='a.png', file_head=b64(b'\x00' * 4097)), msg='file_head too long')
case('REMOTE_USER without S3_REQUIRE_USER is ignored', 200, user='../../x',
     body=js(file_name='a.png'), fname='a.png')


# ---- credentials -------------------------------------------------------------------------------

case('no credentials -> 503, secret-free', 503, unset=('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
                                                      'AWS_SESSION_TOKEN'),
     body=js(file_name='a.txt'), msg='not available')
case('no credentials, hostile name -> still 400', 400,
     unset=('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'),
     body=js(file_name='\\\\server\\share\\'), msg='not a usable file name')


# ---- running ----------------------------------------------------------------------------------

TMPDIR = tempfile.mkdtemp(prefix='sign_s3_hostile_')


def base_env():
    env = {
        'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'SCRIPT_NAME': '/api/sign_s3', 'REMOTE_ADDR': REMOTE,
        'PATH': '/usr/bin:/bin', 'AWS_EC2_METADATA_DISABLED': 'true',
        # no credentials from anywhere but the environment: no shared files,
        # no container endpoint, no instance metadata
        'HOME': TMPDIR, 'AWS_SHARED_CREDENTIALS_FILE': os.path.join(TMPDIR, 'none'),
        'AWS_CONFIG_FILE': os.path.join(TMPDIR, 'none'),
        'S3_BUCKET': BUCKET, 'S3_REGION': 'eu-west-1',
        'AWS_ACCESS_KEY_ID': AK, 'AWS_SECRET_ACCESS_KEY': SK, 'AWS_SESSION_TOKEN': TOKEN,
    }
    return env


def build_env(c, san):
    env = base_env()
    for k in c['unset']:
        env.pop(k, None)
    env.update(c['env'])
    if c['method'] is not None:
        env['REQUEST_METHOD'] = c['method']
    if c['query'] is not None:
        env['QUERY_STRING'] = c['query']
    if c['ctype'] is not None:
        env['CONTENT_TYPE'] = c['ctype']
    if c['user'] is not None:
        env['REMOTE_USER'] = c['user']
    clen = c['clen']
    if clen is AUTO:
        clen = str(len(c['body'])) if c['method'] == 'POST' or c['body'] else None
    if clen is not None:
        env['CONTENT_LENGTH'] = clen
    if san:
        env['ASAN_OPTIONS'] = 'detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1'
        env['UBSAN_OPTIONS'] = 'halt_on_error=1:print_stacktrace=1'
    # the environment as bytes: a value may hold any byte but NUL (a NUL in
    # a value ends it, as execve would)
    out = {}
    for k, v in env.items():
        if isinstance(v, str):
            v = v.encode('utf-8', 'surrogateescape')
        out[k.encode()] = v.split(b'\0', 1)[0]
    return out


def run(binary, c, env, limit):
    return run_cgi([binary], env, c['body'], c['hold'], limit, TMPDIR)


def segment_problems(seg):
    p = []
    raw = seg.encode('utf-8', 'surrogatepass')
    if not 1 <= len(raw) <= 255:
        p.append('segment is %d bytes' % len(raw))
    if seg in ('.', '..'):
        p.append('segment is %r' % seg)
    if any(0xd800 <= ord(ch) <= 0xdfff for ch in seg):
        p.append('surrogate in the segment')
    m = BAD_SEGMENT_RE.search(seg)
    if m:
        p.append('segment has U+%04X' % ord(m.group(0)))
    if re.search(r'[A-Z]', seg):
        p.append('capital letter in the segment')
    return p


def check_ok(c, data, diag):
    want = {'file_type', 'signed_request', 'url', 'key', 'method', 'headers', 'expires_at'}
    if not isinstance(data, dict) or set(data) != want:
        diag.append('200 members %r' % (sorted(data) if isinstance(data, dict) else data,))
        return
    if any(not isinstance(data[k], str) for k in want - {'headers'}):
        diag.append('a member is not a string')
        return
    if data['method'] != 'PUT':
        diag.append('method %r' % data['method'])
    want_h = {'Content-Type': data['file_type']}
    if c['env'].get('S3_ACTIVE_TYPES', 'attachment') == 'attachment' and \
            data['file_type'].split(';')[0].strip().lower() in ACTIVE:
        want_h['Content-Disposition'] = 'attachment'
    if data['headers'] != want_h:
        diag.append('headers %r, want %r' % (data['headers'], want_h))
    if c['ftype'] is not None and data['file_type'] != c['ftype']:
        diag.append('file_type %r, want %r' % (data['file_type'], c['ftype']))
    if re.search(r'[\s\x00-\x1f\x7f]', data['file_type']) or len(data['file_type']) > 255:
        diag.append('file_type %r has white space or controls' % data['file_type'])
    key = data['key']
    m = re.fullmatch(re.escape(c['kprefix']) + UUID_RE + '/(.*)', key, re.S)
    if not m:
        diag.append('key %r is not %s<uuid v4>/<segment>' % (key, c['kprefix']))
        return
    seg = m.group(1)
    diag.extend(segment_problems(seg))
    if c['fname'] is not None and seg != c['fname']:
        diag.append('segment %r, want %r' % (seg, c['fname']))
    sr = data['signed_request']
    if not sr.startswith('https://') or re.search(r'[^\x21-\x7e]|[<>"\\^`{|}]', sr):
        diag.append('signed_request has characters a URL cannot: %r' % sr[:200])
    u = urlsplit(sr)
    path = u.path
    want_path = '/' + BUCKET + '/' + quote(key, safe='/-_.~') if u.netloc.startswith('s3.') \
        else '/' + quote(key, safe='/-_.~')
    if path != want_path:
        diag.append('signed_request path %r, want %r' % (path, want_path))
    q = dict(parse_qsl(u.query, keep_blank_values=True))
    if q.get('X-Amz-SignedHeaders') != ';'.join(sorted(h.lower() for h in want_h)) + ';host':
        diag.append('X-Amz-SignedHeaders %r' % q.get('X-Amz-SignedHeaders'))
    if q.get('X-Amz-Security-Token') != TOKEN and 'AWS_SESSION_TOKEN' not in c['unset']:
        diag.append('X-Amz-Security-Token missing or wrong')
    if not re.fullmatch(r'[0-9a-f]{64}', q.get('X-Amz-Signature', '')):
        diag.append('X-Amz-Signature %r' % q.get('X-Amz-Signature'))


def check_error(c, data, diag):
    st = c['status']
    if not isinstance(data, dict) or set(data) != {'statusCode', 'error', 'message'}:
        diag.append('error members %r' % (sorted(data) if isinstance(data, dict) else data,))
        return
    if type(data['statusCode']) is not int or data['statusCode'] != st:
        diag.append('statusCode %r, want %d' % (data['statusCode'], st))
    if data['error'] != REASONS.get(st):
        diag.append('error %r, want %r' % (data['error'], REASONS.get(st)))
    msg = data['message']
    if not isinstance(msg, str) or not msg or not re.fullmatch(r'[\x20-\x7e]{1,200}', msg):
        diag.append('message %r is not a short printable line' % (msg,))
    elif c['msg'] and c['msg'] not in msg:
        diag.append('message %r lacks %r' % (msg, c['msg']))


def check_case(binary, c, san):
    diag = []
    env = build_env(c, san)
    limit = (3 if c['hold'] else 5) * (3 if san else 1)
    res = run(binary, c, env, limit)
    if 'error' in res:
        return [res['error']]
    out, err = res['out'], res['err']
    err_text = err.decode('utf-8', 'replace')
    out_text = out.decode('utf-8', 'replace')
    if res['rc'] != 0:
        diag.append('exit status %r' % res['rc'])
    for mark in CRASH_MARKS:
        if mark in err_text or mark in out_text:
            diag.append('crash/sanitizer output (%r):' % mark)
            diag.extend(err_text.splitlines()[:40])
            break
    for mark in SECRET_MARKS:
        if mark in out_text or mark in err_text:
            diag.append('the secret access key appears in the output')
    if TOKEN_MARK in err_text:
        diag.append('the session token appears on stderr')
    tok = 'X-Amz-Security-Token=' + quote(TOKEN, safe='-_.~')
    if out_text.replace(tok, '').count(TOKEN_MARK):
        diag.append('the session token appears outside X-Amz-Security-Token')
    headers, body = parse_cgi(out, diag)
    if headers is None:
        return diag
    st = c['status']
    if headers.get('status') != '%d %s' % (st, REASONS[st]):
        diag.append('Status %r, want %d' % (headers.get('status'), st))
    for k, v in (('content-type', 'application/json'), ('cache-control', 'no-store'),
                 ('x-content-type-options', 'nosniff')):
        if headers.get(k) != v:
            diag.append('%s: %r' % (k, headers.get(k)))
    if (st == 405) != ('allow' in headers) or (st == 405 and headers['allow'] != 'GET, POST'):
        diag.append('Allow: %r on a %d' % (headers.get('allow'), st))
    extra = set(headers) - ALLOWED_HEADERS
    if extra:
        diag.append('unexpected headers %r' % sorted(extra))
    if headers.get('content-length') != str(len(body)):
        diag.append('Content-Length %r, body %d bytes' % (headers.get('content-length'), len(body)))
    try:
        data = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        diag.append('body is not UTF-8 JSON (%s): %r' % (e, body[:200]))
        return diag
    if st == 200:
        check_ok(c, data, diag)
        if err:
            diag.append('stderr not empty on a 200: %r' % err[:300])
    else:
        check_error(c, data, diag)
        lines = err_text.splitlines()
        if len(lines) != 1 or not LOG_RE.fullmatch(lines[0]):
            diag.append('stderr: want one log line, got %r' % err_text[:300])
        elif LOG_RE.fullmatch(lines[0]).group(1) != str(st):
            diag.append('logged status %s' % LOG_RE.fullmatch(lines[0]).group(1))
    return diag


def is_asan(path):
    try:
        with open(path, 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


def main():
    if not os.access(SIGN_S3, os.X_OK):
        print('1..0 # SKIP no binary at %s' % SIGN_S3)
        return 0
    binaries = [('san' if is_asan(SIGN_S3) else 'build', SIGN_S3, is_asan(SIGN_S3))]
    if (os.access(SIGN_S3_SAN, os.X_OK) and
            os.path.realpath(SIGN_S3_SAN) != os.path.realpath(SIGN_S3)):
        binaries.append(('san', SIGN_S3_SAN, True))
    n = failed = 0
    times = {}
    for label, binary, san in binaries:
        t0 = time.monotonic()
        for c in CASES:
            n += 1
            diag = check_case(binary, c, san)
            name = '[%s] %d %s' % (label, c['status'], c['name'])
            name = name.replace('#', '<hash>').replace('\n', ' ')
            if diag:
                failed += 1
                print('not ok %d - %s' % (n, name))
                for d in diag:
                    print('#   ' + str(d).replace('\n', '\n#   '))
            else:
                print('ok %d - %s' % (n, name))
            sys.stdout.flush()
        times[label] = time.monotonic() - t0
    for label, t in times.items():
        print('# %s: %d requests in %.1f s' % (label, len(CASES), t))
    if not any(san for _, _, san in binaries):
        print('# no sanitizer build at %s: only %s tested' % (SIGN_S3_SAN, SIGN_S3))
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        import shutil
        shutil.rmtree(TMPDIR, ignore_errors=True)
