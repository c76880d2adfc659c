#!/usr/bin/python3
# verify_routes.py - "Verify what landed" (issue 12, cgi/verify.h) through
# real nginx to a real sign_s3 and the real local S3 (scripts/s3-local.sh:
# Swift + s3api), with a notification receiver on 127.0.0.1.
#
# One stack from scripts/demo.sh in a temp dir on free 127.0.0.1 ports:
# S3_REQUIRE_USER=1, S3_KEY_PREFIX=users/{user}/ (REMOTE_USER is the Basic
# user name nginx passes), S3_NOTIFY_URL on this script's receiver with
# S3_NOTIFY_SECRET. Cases: a real PNG passes (200 with its fields, the
# receiver gets the same JSON signed with the secret, which a different
# secret does not verify); HTML bytes PUT with a URL signed for image/png
# after a PNG file_head fail with 415 naming both types and are deleted (read
# back with botocore); another user's key 403 and the object stays; an object
# never uploaded 404; a receiver answering 500 makes verify answer 502; the
# multipart complete refuses a joined object that contradicts its type (415,
# deleted). What S3 holds is read with botocore, never through sign_s3.
# Skipped only when the Swift packages are missing and cannot be installed.
import base64
import hashlib
import hmac
import http.server
import json
import os
import struct
import sys
import threading
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
import itest  # noqa: E402
from itest import ok  # noqa: E402
from demo_stack import (Stack, basic, call, have_swift, mp, put_url, q, s3_client,  # noqa: E402
                        s3_env, stop_local_s3, use_local_s3)

SECRET = 'notify-secret-0123456789abcdef'


def png(w=16, h=16):
    """A real PNG (RGB, w x h) of random pixels."""
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    rows = b''.join(b'\0' + os.urandom(3 * w) for _ in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


class Receiver:
    """The application's backend: records every POST, answers self.status."""
    def __init__(self, port):
        self.got, self.status = [], 200
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                outer.got.append((self.path, dict(self.headers), self.rfile.read(n)))
                self.send_response(outer.status)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'{}')

            def log_message(self, *a):
                pass
        self.srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def signature(secret, raw):
    return 'sha256=' + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def sign(port, user, name, ftype, head):
    """POST /api/sign_s3 as user: (status, answer)."""
    s, h, b = call(port, 'POST', '/api/sign_s3',
                   {'file_name': name, 'file_type': ftype,
                    'file_head': base64.b64encode(head).decode()}, basic(user))
    return s, b


def exists(s3, bucket, key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except Exception as e:   # botocore's ClientError 404
        if '404' in str(e) or 'Not Found' in str(e):
            return False
        raise


def main():
    t0 = time.monotonic()
    itest.init('verify-routes.', alarm=300)
    if not have_swift() and os.geteuid() != 0:
        print('1..0 # SKIP Swift packages not installed and not root')
        return 0
    tmp = itest.TMP
    p_web, p_hook = use_local_s3(tmp, 'sign-s3-verify', 2)
    hook = Receiver(p_hook)
    st = None
    try:
        st = Stack(tmp, 'main', p_web, dict(
            DEMO_S3='local', S3_REQUIRE_USER='1', S3_KEY_PREFIX='users/{user}/',
            S3_NOTIFY_URL='http://127.0.0.1:%d/hook' % p_hook, S3_NOTIFY_SECRET=SECRET))
        if st.up:
            s3env = s3_env(st)
            run(st.port, s3_client(s3env), s3env['S3_BUCKET'], hook, st)
    finally:
        if st:
            st.stop()
        stop_local_s3()
        hook.close()
    return itest.finish(t0)


def run(port, s3, bucket, hook, st):
    alice = basic('alice')
    # ---- a real PNG passes, and the application hears of it, signed
    data = png()
    s, a = sign(port, 'alice', 'Chart.PNG', 'image/png', data[:4096])
    ok(s == 200 and a.get('key', '').startswith('users/alice/'), 'sign a PNG as alice',
       [s, repr(a)[:200]])
    if s != 200:
        return
    key = a['key']
    ps, etag = put_url(a['signed_request'], data, a['headers'])
    ok(ps == 200, 'PUT the PNG to the local S3', [ps])
    s, h, b = call(port, 'POST', '/api/sign_s3/verify', {'key': key}, alice)
    want = {'key', 'size', 'etag', 'file_type', 'detected_type', 'url'}
    ok(s == 200 and set(b) == want and b['key'] == key and b['size'] == len(data) and
       b['file_type'] == 'image/png' and b['detected_type'] == 'image/png' and
       b['etag'].strip('"') == etag.strip('"') and b['url'] == a['url'],
       'verify a real PNG: 200 {key, size, etag, file_type, detected_type, url} as S3 holds it',
       [s, repr(b)])
    ok(len(hook.got) == 1 and hook.got[0][0] == '/hook',
       'the receiver got one POST on S3_NOTIFY_URL', [repr(hook.got)[:300]])
    if hook.got:
        path, hd, raw = hook.got[0]
        sig = {k.lower(): v for k, v in hd.items()}.get('x-sign-s3-signature', '')
        body = json.loads(raw)
        ok(hmac.compare_digest(sig, signature(SECRET, raw)),
           'X-Sign-S3-Signature is sha256=HMAC-SHA256 of the exact body with S3_NOTIFY_SECRET',
           [sig])
        ok(not hmac.compare_digest(sig, signature(SECRET + 'x', raw)) and
           not hmac.compare_digest(sig, signature(SECRET, raw + b' ')),
           'it does not check out with another secret, nor for another body')
        ok({k: v for k, v in body.items() if k != 'timestamp'} == b and
           abs(body.get('timestamp', 0) - time.time()) < 60,
           'the notification is verify\'s answer plus a current timestamp, inside what is signed',
           [repr(body)])
        ok(SECRET not in '\n'.join(st.log()), 'the secret is not in sign_s3\'s log')
    # the Companion-style route answers the same
    s, h, b = call(port, 'POST', '/api/s3/verify', {'key': key}, alice)
    ok(s == 200 and b.get('detected_type') == 'image/png', 'POST /api/s3/verify: 200 as well',
       [s, repr(b)])

    # ---- another user's key: 403 before S3 is asked; the object stays
    n = len(hook.got)
    s, h, b = call(port, 'POST', '/api/sign_s3/verify', {'key': key}, basic('bob'))
    ok(s == 403 and b.get('statusCode') == 403 and exists(s3, bucket, key) and
       len(hook.got) == n, "bob verifying alice's key: 403 JSON, the object stays, no notification",
       [s, repr(b)])

    # ---- the lie: PNG file_head, HTML bytes PUT with the URL signed for image/png
    html = b'<!DOCTYPE html>\n<html><body><script>alert(document.domain)</script></body></html>\n'
    s, a = sign(port, 'alice', 'photo.png', 'image/png', data[:4096])
    ps, _ = put_url(a['signed_request'], html, a['headers']) if s == 200 else (0, None)
    ok(s == 200 and ps == 200 and exists(s3, bucket, a['key']),
       'HTML bytes PUT with a URL signed for image/png (after a PNG file_head): S3 stores them',
       [s, ps])
    s, h, b = call(port, 'POST', '/api/sign_s3/verify', {'key': a.get('key')}, alice)
    msg = b.get('message', '') if isinstance(b, dict) else ''
    ok(s == 415 and 'text/html' in msg and 'image/png' in msg,
       'verify: 415 naming both types ("%s")' % msg, [s, repr(b)])
    ok(not exists(s3, bucket, a['key']), 'and the object is gone from S3 (S3_DELETE_REJECTED=1)')
    ok(len(hook.got) == n, 'no notification for a refused upload', [len(hook.got), n])

    # ---- an object never uploaded: 404
    s, a = sign(port, 'alice', 'never.png', 'image/png', data[:4096])
    s, h, b = call(port, 'POST', '/api/sign_s3/verify', {'key': a.get('key')}, alice)
    ok(s == 404 and b.get('statusCode') == 404, 'verify of a key never uploaded: 404 JSON',
       [s, repr(b)])

    # ---- the application answers 500: verify answers 502
    s, a = sign(port, 'alice', 'second.png', 'image/png', data[:4096])
    ps, _ = put_url(a['signed_request'], data, a['headers']) if s == 200 else (0, None)
    hook.status = 500
    s, h, b = call(port, 'POST', '/api/sign_s3/verify', {'key': a.get('key')}, alice)
    hook.status = 200
    ok(ps == 200 and s == 502 and b.get('statusCode') == 502 and len(hook.got) == n + 1,
       'a receiver answering 500: verify answers 502 JSON (the file is not recorded)',
       [ps, s, repr(b), len(hook.got)])

    # ---- the multipart complete checks the joined object the same way
    s, h, b = call(port, 'POST', '/api/s3/multipart', {'filename': 'joined.png',
                                                       'type': 'image/png'}, alice)
    k, u = b.get('key'), b.get('uploadId')
    s, h, b = call(port, 'GET', mp(u, '1') + q(key=k), headers=alice) if s == 200 else (s, h, b)
    ps, etag = put_url(b['url'], html) if s == 200 else (0, None)
    s, h, b = call(port, 'POST', mp(u, 'complete') + q(key=k),
                   {'parts': [{'PartNumber': 1, 'ETag': etag}]}, alice)
    msg = b.get('message', '') if isinstance(b, dict) else ''
    ok(ps == 200 and s == 415 and 'text/html' in msg and not exists(s3, bucket, k),
       'multipart complete of HTML bytes created as image/png: 415, the joined object deleted',
       [ps, s, repr(b)])


if __name__ == '__main__':
    sys.exit(main())
