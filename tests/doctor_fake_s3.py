#!/usr/bin/python3
"""TAP: `sign_s3 doctor`'s verdicts on what the local S3 (Swift s3api) cannot
be made to answer, against a small scripted S3 on 127.0.0.1: GetBucketCors
implemented (the rule that matched is shown), a CORS rule without Content-MD5
(the missing header named, found by asking each header alone as S3 refuses the
whole preflight), ETag not exposed, a bucket in another region (301 with
x-amz-bucket-region), HeadBucket refused but GetBucketLocation denied too (a
warning, the upload goes on), DeleteObject denied (a warning naming the key
left behind), AccessControlListNotSupported with S3_ACL. The real S3's side of
the same checks is tests/doctor.sh. The scripted S3 checks no signature: it
answers as AWS S3 documents for each case."""
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
SIGN_S3 = os.environ.get('SIGN_S3', os.path.join(HERE, '..', 'build', 'sign_s3'))
BUCKET = 'fakebkt'
ORIGIN = 'https://app.example.com'

n = 0
failed = 0


def ok(cond, desc, diag=''):
    global n, failed
    n += 1
    print(('ok' if cond else 'not ok') + ' %d - %s' % (n, desc))
    if not cond:
        failed += 1
        for line in str(diag).splitlines():
            print('# ' + line)
    sys.stdout.flush()


RULE_GOOD = ('<CORSRule><ID>sign_s3</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>'
             '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>'
             '<AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>Content-MD5</AllowedHeader>'
             '<AllowedHeader>Content-Disposition</AllowedHeader><ExposeHeader>ETag</ExposeHeader>'
             '</CORSRule>')
RULE_NO_MD5 = ('<CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin>'
               '<AllowedMethod>PUT</AllowedMethod><AllowedHeader>Content-Type</AllowedHeader>'
               '<AllowedHeader>Content-Disposition</AllowedHeader><ExposeHeader>ETag</ExposeHeader>'
               '</CORSRule>')
RULE_NO_ETAG = ('<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>'
                '<AllowedHeader>*</AllowedHeader></CORSRule>')

# what the scripted S3 does; each case sets it
mode = {}
objects = {}


def glob(pat, s, nocase=False):
    if nocase:
        pat, s = pat.lower(), s.lower()
    if '*' not in pat:
        return pat == s
    head, tail = pat.split('*', 1)
    return len(s) >= len(head) + len(tail) and s.startswith(head) and s.endswith(tail)


def rules():
    return re.findall(r'<CORSRule>(.*?)</CORSRule>', mode.get('rules', ''))


def rule_allows(rule, origin, method, headers):
    origins = re.findall(r'<AllowedOrigin>(.*?)</AllowedOrigin>', rule)
    methods = re.findall(r'<AllowedMethod>(.*?)</AllowedMethod>', rule)
    allowed = re.findall(r'<AllowedHeader>(.*?)</AllowedHeader>', rule)
    return (any(glob(o, origin) for o in origins) and method in methods and
            all(any(glob(a, h, True) for a in allowed) for h in headers))


def matching_rule(origin, method, headers):
    for r in rules():
        if rule_allows(r, origin, method, headers):
            return r
    return None


class S3(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def answer(self, status, body=b'', headers=(), head=False):
        self.send_response(status)
        self.send_header('Date', self.date_time_string())
        self.send_header('x-amz-request-id', 'FAKE')
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, code, head=False, extra=''):
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                '<Message>scripted</Message>%s</Error>' % (code, extra)).encode()
        self.answer(status, body, [('Content-Type', 'application/xml')], head)

    def split(self):
        u = urlsplit(self.path)
        parts = u.path.lstrip('/').split('/', 1)
        return parts[0], (parts[1] if len(parts) > 1 else ''), parse_qs(u.query, True)

    def cors_headers(self):
        origin = self.headers.get('Origin')
        if not origin:
            return []
        r = matching_rule(origin, self.command, [])
        if not r:
            return []
        expose = re.findall(r'<ExposeHeader>(.*?)</ExposeHeader>', r)
        h = [('Access-Control-Allow-Origin', origin), ('Vary', 'Origin')]
        if expose:
            h.append(('Access-Control-Expose-Headers', ', '.join(expose)))
        return h

    def do_HEAD(self):
        bucket, key, q = self.split()
        if not key:
            if mode.get('head_bucket') == 301:
                return self.answer(301, headers=[('x-amz-bucket-region', 'eu-central-1')],
                                   head=True)
            if mode.get('head_bucket') == 403:
                return self.answer(403, head=True)
            return self.answer(200, headers=[('x-amz-bucket-region', 'us-east-1')], head=True)
        if key not in objects:
            return self.answer(404, head=True)
        body, ctype = objects[key]
        self.send_response(200)
        self.send_header('Date', self.date_time_string())
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Content-Type', ctype)
        self.send_header('ETag', '"abc"')
        self.end_headers()

    def do_GET(self):
        bucket, key, q = self.split()
        if not key and 'location' in q:
            if mode.get('location') == 'denied':
                return self.error(403, 'AccessDenied')
            return self.answer(200, b'<LocationConstraint/>')
        if not key and 'cors' in q:
            if not mode.get('rules'):
                return self.error(404, 'NoSuchCORSConfiguration')
            body = ('<CORSConfiguration>%s</CORSConfiguration>' % mode['rules']).encode()
            return self.answer(200, body, [('Content-Type', 'application/xml')])
        if key not in objects:
            return self.error(404, 'NoSuchKey')
        body = objects[key][0]
        m = re.match(r'bytes=0-(\d+)', self.headers.get('Range', ''))
        if m:
            return self.answer(206, body[:int(m.group(1)) + 1])
        self.answer(200, body)

    def do_PUT(self):
        bucket, key, q = self.split()
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        if 'x-amz-acl' in q and mode.get('acl_disabled'):
            return self.error(400, 'AccessControlListNotSupported')
        objects[key] = (body, self.headers.get('Content-Type', ''))
        self.answer(200, headers=[('ETag', '"abc"')] + self.cors_headers())

    def do_DELETE(self):
        bucket, key, q = self.split()
        if mode.get('delete_denied'):
            return self.error(403, 'AccessDenied')
        objects.pop(key, None)
        self.answer(204)

    def do_OPTIONS(self):
        origin = self.headers.get('Origin', '')
        method = self.headers.get('Access-Control-Request-Method', '')
        req = [h.strip() for h in self.headers.get('Access-Control-Request-Headers', '').split(',')
               if h.strip()]
        r = matching_rule(origin, method, req)
        if not r:     # as AWS: the whole preflight refused
            return self.error(403, 'AccessForbidden')
        h = [('Access-Control-Allow-Origin', origin),
             ('Access-Control-Allow-Methods', ', '.join(
                 re.findall(r'<AllowedMethod>(.*?)</AllowedMethod>', r)))]
        if req:
            h.append(('Access-Control-Allow-Headers', ', '.join(req)))
        self.answer(200, headers=h)


def doctor(*args, **env):
    e = {'PATH': '/usr/bin:/bin', 'AWS_EC2_METADATA_DISABLED': 'true',
         'S3_ENDPOINT': 'http://127.0.0.1:%d' % PORT, 'S3_BUCKET': BUCKET,
         'AWS_ACCESS_KEY_ID': 'AKIDFAKE', 'AWS_SECRET_ACCESS_KEY': 'fakeSecret/1234567890'}
    e.update(env)
    p = subprocess.run([SIGN_S3, 'doctor'] + list(args), env=e, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def line(out, check):
    for l in out.splitlines():
        if re.match(r'^[A-Z]{4}  %s( |$)' % re.escape(check), l):
            return l
    return ''


def mark(out, check):
    return line(out, check)[:4]


def with_detail(out, check):
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if re.match(r'^[A-Z]{4}  %s( |$)' % re.escape(check), l):
            more = [l]
            for m in lines[i + 1:]:
                if not m.startswith('      '):
                    break
                more.append(m)
            return '\n'.join(more)
    return ''


if not os.access(SIGN_S3, os.X_OK):
    print('Bail out! no %s (run make)' % SIGN_S3)
    sys.exit(1)
srv = ThreadingHTTPServer(('127.0.0.1', 0), S3)
PORT = srv.server_address[1]
threading.Thread(target=srv.serve_forever, daemon=True).start()

# 1. all good, GetBucketCors implemented: the rule that matched is shown
mode = {'rules': RULE_NO_ETAG.replace('<AllowedOrigin>*', '<AllowedOrigin>https://other.example')
        + RULE_GOOD}
rc, out = doctor('--origin', ORIGIN)
ok(rc == 0, 'GetBucketCors implemented: exit 0', out)
ok(mark(out, 'cors-rules') == 'PASS' and '2 rules' in line(out, 'cors-rules'),
   'cors-rules: GetBucketCors read, 2 rules', out)
ok(mark(out, 'cors ' + ORIGIN) == 'PASS' and 'rule 2 (ID sign_s3)' in line(out, 'cors ' + ORIGIN),
   'the origin passes, showing the rule that matched: rule 2 (ID sign_s3)', out)
ok('not x-amz-acl: not needed' in line(out, 'cors ' + ORIGIN),
   'x-amz-acl not allowed is said, not failed (sign_s3 signs it in the query)', out)
ok(mark(out, 'bucket') == 'PASS' and '(x-amz-bucket-region)' in line(out, 'bucket'),
   'bucket: the region from x-amz-bucket-region', out)

# 2. a rule without Content-MD5: S3 refuses the whole preflight; the header is named
mode = {'rules': RULE_NO_MD5}
rc, out = doctor('--origin', ORIGIN)
ok(rc == 1, 'a rule without Content-MD5: exit 1', out)
d = with_detail(out, 'cors ' + ORIGIN)
ok(d.startswith('FAIL') and 'headers not allowed: content-md5, x-amz-acl' in d,
   'the missing headers named (each asked alone)', out)
ok('AllowedHeader Content-Type, Content-MD5, Content-Disposition' in d, '... and the fix', out)

# 3. ETag not exposed
mode = {'rules': RULE_NO_ETAG}
rc, out = doctor('--origin', ORIGIN)
d = with_detail(out, 'cors ' + ORIGIN)
ok(rc == 1 and d.startswith('FAIL') and 'does not expose ETag' in d,
   'ETag not exposed: the origin fails, saying so', out)
ok('multipart' in d and 'ExposeHeader ETag' in d, '... why (multipart) and the fix', out)

# 4. a bucket in another region
mode = {'rules': RULE_GOOD, 'head_bucket': 301}
rc, out = doctor()
d = with_detail(out, 'bucket')
ok(rc == 1 and d.startswith('FAIL') and 'in region eu-central-1' in d and
   'set S3_REGION=eu-central-1' in d, 'a 301 with x-amz-bucket-region: the right region named',
   out)

# 5. HeadBucket and GetBucketLocation denied: a warning, the upload goes on
mode = {'rules': RULE_GOOD, 'head_bucket': 403, 'location': 'denied'}
rc, out = doctor()
ok(rc == 0 and mark(out, 'bucket') == 'WARN' and mark(out, 'upload') == 'PASS',
   'may not list the bucket: WARN, and the upload still runs and passes', out)

# 6. DeleteObject denied: a warning naming the key left behind
mode = {'rules': RULE_GOOD, 'delete_denied': True}
rc, out = doctor()
d = with_detail(out, 'delete')
key = re.search(r'PUT (\S+) \(', line(out, 'upload'))
ok(rc == 0 and d.startswith('WARN') and key and ('left behind' in d) and key.group(1) in d,
   'delete denied: WARN naming the key left behind, exit 0', out)
ok(key and ('delete s3://%s/%s by hand' % (BUCKET, key.group(1))) in d, '... the fix names it', out)

# 7. S3_ACL on a bucket with ACLs disabled
mode = {'rules': RULE_GOOD, 'acl_disabled': True}
rc, out = doctor(S3_ACL='public-read')
d = with_detail(out, 'acl')
ok(rc == 1 and d.startswith('FAIL') and 'AccessControlListNotSupported' in d and
   'unset S3_ACL' in d, 'S3_ACL with ACLs disabled: AccessControlListNotSupported, unset S3_ACL',
   out)

# 8. --json of the same
rc, out = doctor('--json', S3_ACL='public-read')
try:
    doc = json.loads(out)
    acl = [c for c in doc['checks'] if c['check'] == 'acl'][0]
    ok(doc['ok'] is False and acl['status'] == 'fail' and 'unset S3_ACL' in acl['fix'],
       '--json: the same verdict, cause and fix', out)
except (ValueError, IndexError, KeyError) as e:
    ok(False, '--json: the same verdict, cause and fix', '%s\n%s' % (e, out))

srv.shutdown()
print('1..%d' % n)
sys.exit(1 if failed else 0)
