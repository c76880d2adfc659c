#!/usr/bin/python3
# multipart_routes.py - Uppy's S3 protocol (cgi/route.h) through real nginx
# to a real sign_s3 and the real local S3 (scripts/s3-local.sh: Swift +
# s3api), every route, with the parts PUT to S3 as a browser would.
#
# Three stacks from scripts/demo.sh (nginx.conf.example's /api/s3/
# location), in a temp dir on free 127.0.0.1 ports, sharing one local S3:
#   main   the defaults, S3_METADATA_FIELDS=caption
#   users  S3_REQUIRE_USER=1, S3_KEY_PREFIX=users/{user}/ (REMOTE_USER from
#          the Basic user name nginx passes), S3_MAX_FILE_SIZE=6 MiB
#   down   S3_ENDPOINT on a closed port (S3 unreachable)
# What S3 holds afterwards is read with botocore (/usr/bin/python3's
# python3-botocore), never through sign_s3. Skipped only when the Swift
# packages are missing and cannot be installed.
import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
import itest  # noqa: E402
from itest import ok, note  # noqa: E402
from demo_stack import (DEMO, REPO, Stack, basic, call, have_swift, mp, put_url, q,  # noqa: E402
                        s3_client, use_local_s3)

MIB = 1024 * 1024


def open_uploads(s3, bucket):
    r = s3.list_multipart_uploads(Bucket=bucket)
    return {u['UploadId'] for u in r.get('Uploads', [])}


def upload_parts(port, key, uid, chunks, auth=None):
    """Batch-signs and PUTs chunks as parts 1..n: [(n, etag)]."""
    nums = ','.join(str(i + 1) for i in range(len(chunks)))
    st, _, body = call(port, 'GET', mp(uid, 'batch') + q(key=key, partNumbers=nums),
                       headers=auth)
    if st != 200:
        return None, (st, body)
    out = []
    for i, data in enumerate(chunks):
        s, etag = put_url(body['presignedUrls'][str(i + 1)], data)
        if s != 200:
            return None, ('part %d' % (i + 1), s)
        out.append((i + 1, etag))
    return out, None


def main():
    t0 = time.monotonic()
    itest.init('multipart-routes.', alarm=600)
    if not have_swift() and os.geteuid() != 0:
        print('1..0 # SKIP Swift packages not installed and not root')
        return 0
    tmp = itest.TMP
    p_main, p_users, p_down, p_closed = use_local_s3(tmp, 'sign-s3-mp', 4)
    stacks = []
    try:
        main_ = Stack(tmp, 'main', p_main, dict(DEMO_S3='local',
                                                S3_METADATA_FIELDS='caption'))
        stacks.append(main_)
        if not main_.up:
            return itest.finish(t0)
        envout = subprocess.run(['bash', DEMO, 'env'], env=main_.env, capture_output=True,
                                text=True).stdout
        s3env = dict(ln.split('=', 1) for ln in envout.splitlines() if '=' in ln)
        bucket = s3env['S3_BUCKET']
        s3 = s3_client(s3env)
        users = Stack(tmp, 'users', p_users, dict(
            DEMO_S3='local', S3_REQUIRE_USER='1', S3_KEY_PREFIX='users/{user}/',
            S3_MAX_FILE_SIZE=str(6 * MIB)))
        stacks.append(users)
        down = Stack(tmp, 'down', p_down, dict(
            DEMO_S3='aws', S3_BUCKET='sign-s3-mp', S3_ENDPOINT='http://127.0.0.1:%d' % p_closed,
            S3_PATH_STYLE='1', AWS_ACCESS_KEY_ID='test:tester',
            AWS_SECRET_ACCESS_KEY='testing'))
        stacks.append(down)
        run_main(main_, s3, bucket)
        if users.up:
            run_users(users, s3, bucket)
        if down.up:
            run_down(down)
        logs = '\n'.join(main_.log() + users.log() + down.log())
        ok('X-Amz-Signature' not in logs and 'testing' not in logs and
           'Authorization' not in logs,
           'the logs hold no signature, secret or Authorization header',
           [ln for ln in logs.splitlines() if 'Signature' in ln][:3])
    finally:
        for st in stacks:
            st.stop()
        subprocess.run(['bash', os.path.join(REPO, 'scripts', 's3-local.sh'), 'stop'],
                       capture_output=True, timeout=60)
    return itest.finish(t0)


def run_main(st, s3, bucket):
    port = st.port
    s, h, b = call(port, 'POST', '/api/sign_s3', {'file_name': 'a.txt', 'file_type': ''})
    ok(s == 200 and set(b) >= {'file_type', 'signed_request', 'url'},
       '/api/sign_s3 still answers beside the new routes', [s])
    # ---- the simple route
    s, h, b = call(port, 'GET', '/api/s3/params' + q(filename=' Hello World.TXT ',
                                                      type='text/plain'))
    ok(s == 200 and b.get('method') == 'PUT' and b.get('fields') == {} and
       b.get('headers') == {'content-type': 'text/plain'},
       '/s3/params: a presigned PUT with fields {} and the content-type header', [repr(b)])
    if s == 200:
        key = urllib.parse.unquote(urllib.parse.urlsplit(b['url']).path).split('/', 2)[2]
        ok(key.startswith('uploads/') and key.endswith('/hello_world.txt'),
           '/s3/params: the key is the server\'s (prefix, uuid, sanitized name)', [key])
        ps, _ = put_url(b['url'], b'hello', {'Content-Type': 'text/plain'})
        got = s3.get_object(Bucket=bucket, Key=key)
        ok(ps == 200 and got['Body'].read() == b'hello' and got['ContentType'] == 'text/plain',
           '/s3/params: the PUT lands in S3 with its Content-Type', [ps])

    # ---- a whole multipart upload
    chunks = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(MIB + 17)]
    s, h, b = call(port, 'POST', '/api/s3/multipart',
                   {'filename': 'Big Video.MP4', 'type': 'video/mp4',
                    'metadata': {'caption': 'café au lait', 'secret': 'dropped',
                                 'relativePath': None}})
    ok(s == 200 and set(b) == {'key', 'uploadId', 'bucket'} and
       b['key'].startswith('uploads/') and b['key'].endswith('/big_video.mp4') and
       b['bucket'] == bucket, 'create: {key, uploadId, bucket}, the key the server\'s',
       [repr(b)])
    if s != 200:
        return
    key, uid = b['key'], b['uploadId']
    ok(uid in open_uploads(s3, bucket), 'create: S3 lists the new upload')
    s, h, b = call(port, 'GET', mp(uid, '1') + q(key=key))
    ok(s == 200 and b.get('url', '').startswith('http://127.0.0.1:') and
       'partNumber=1' in b['url'] and b.get('expires') == 600 and
       'X-Amz-Expires=600&' in b['url'],
       'sign part: {url, expires}, S3_PART_EXPIRES (600 s) long', [repr(b)[:200]])
    one = put_url(b['url'], chunks[0])[1] if s == 200 else None
    parts, err = upload_parts(port, key, uid, chunks)
    ok(parts and all(e for _, e in parts), 'batch sign: 3 presigned URLs, each PUT '
       'answered with an ETag', [repr(err)])
    if not parts:
        return
    ok(one == parts[0][1], 'the single-part URL and the batch URL upload the same part')
    md5 = base64.b64encode(hashlib.md5(chunks[0]).digest()).decode()
    s, h, b = call(port, 'GET', mp(uid, '1') + q(key=key, md5=md5))
    ok(s == 200 and b.get('headers') == {'Content-MD5': md5},
       'sign part with md5: Content-MD5 in the answer\'s headers', [repr(b)[:200]])
    bad = put_url(b['url'], os.urandom(len(chunks[0])), {'Content-MD5': md5})[0] if s == 200 else 0
    ok(bad == 400, 'other bytes for a part signed with its md5: S3 refuses them (400 BadDigest)',
       [bad])
    good = put_url(b['url'], chunks[0], {'Content-MD5': md5}) if s == 200 else (0, None)
    ok(good[0] == 200 and good[1] == parts[0][1],
       'the part\'s own bytes with its Content-MD5: 200, the same ETag', [repr(good)])
    s, h, b = call(port, 'GET', mp(uid) + q(key=key))
    ok(s == 200 and [p['PartNumber'] for p in b] == [1, 2, 3] and
       [p['Size'] for p in b] == [len(c) for c in chunks] and
       [p['ETag'] for p in b] == [e for _, e in parts],
       'list parts: [{PartNumber, ETag, Size}] as uploaded', [repr(b)[:300]])
    bad = [{'PartNumber': n, 'ETag': e} for n, e in parts]
    bad[1]['ETag'] = '"' + '0' * 32 + '"'
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key), {'parts': bad})
    ok(s == 400 and b.get('statusCode') == 400 and 'InvalidPart' in b.get('message', ''),
       'complete with a wrong ETag: 400 JSON naming InvalidPart', [s, repr(b)])
    rev = [{'PartNumber': n, 'ETag': e} for n, e in reversed(parts)]
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key), {'parts': rev})
    ok(s == 400 and 'ascending' in b.get('message', ''),
       'complete with parts out of order: 400 before S3 is asked', [s, repr(b)])
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key),
                   {'parts': [{'PartNumber': n, 'ETag': e} for n, e in parts]})
    ok(s == 200 and b.get('key') == key and b.get('bucket') == bucket and
       b.get('location', '').endswith(urllib.parse.quote(key)),
       'complete: {location, key, bucket}', [s, repr(b)])
    got = s3.get_object(Bucket=bucket, Key=key)
    data = got['Body'].read()
    ok(hashlib.sha256(data).digest() == hashlib.sha256(b''.join(chunks)).digest(),
       'the object in S3 is the file, byte for byte (%d bytes)' % len(data))
    ok(got['ContentType'] == 'video/mp4', 'the object has the Content-Type of the create',
       [got['ContentType']])
    meta = got.get('Metadata', {})
    ok(meta.get('caption') == '=?UTF-8?B?%s?=' % base64.b64encode(
        'café au lait'.encode()).decode() and 'secret' not in meta,
       'metadata: the S3_METADATA_FIELDS member kept (RFC 2047 for non-ASCII), the others '
       'dropped', [repr(meta)])
    ok(uid not in open_uploads(s3, bucket), 'complete: the upload is no longer open')

    # ---- a part under 5 MiB that is not the last
    s, h, b = call(port, 'POST', '/api/s3/multipart', {'filename': 'small.bin', 'type': ''})
    key2, uid2 = b.get('key'), b.get('uploadId')
    parts, err = upload_parts(port, key2, uid2, [os.urandom(MIB), os.urandom(MIB)])
    s, h, b = call(port, 'POST', mp(uid2, 'complete') + q(key=key2),
                   {'parts': [{'PartNumber': n, 'ETag': e} for n, e in parts or []]})
    ok(s == 400 and 'EntityTooSmall' in b.get('message', '') and
       h.get('content-type') == 'application/json',
       'complete with a first part under 5 MiB: S3 refuses, answered as JSON 400', [s, repr(b)])

    # ---- abort
    s, h, b = call(port, 'DELETE', mp(uid2) + q(key=key2))
    ok(s == 200 and b == {}, 'abort: {}', [s, repr(b)])
    ok(uid2 not in open_uploads(s3, bucket), 'abort: ListMultipartUploads no longer has it')
    s, h, b = call(port, 'GET', mp(uid2) + q(key=key2))
    ok(s == 404 and 'no such upload' in b.get('message', ''),
       'list parts of the aborted upload: 404 (NoSuchUpload)', [s, repr(b)])
    s, h, b = call(port, 'GET', mp('bm90LWFuLXVwbG9hZA') + q(key=key2))
    ok(s == 404, 'an uploadId that never existed: 404', [s, repr(b)])

    # ---- active content keeps its disposition
    s, h, b = call(port, 'POST', '/api/s3/multipart', {'filename': 'page.html',
                                                       'type': 'text/html'})
    k3, u3 = b.get('key'), b.get('uploadId')
    parts, err = upload_parts(port, k3, u3, [b'<p>hi</p>'])
    s, h, b = call(port, 'POST', mp(u3, 'complete') + q(key=k3),
                   {'parts': [{'PartNumber': n, 'ETag': e} for n, e in parts or []]})
    head = s3.head_object(Bucket=bucket, Key=k3) if s == 200 else {}
    ok(s == 200 and head.get('ContentDisposition') == 'attachment' and
       head.get('ContentType') == 'text/html',
       'an HTML file uploaded in parts is stored with Content-Disposition: attachment',
       [s, repr(head.get('ContentDisposition'))])

    # ---- refusals before anything reaches S3
    other = 'elsewhere/' + key.split('/', 1)[1]
    cases = [
        ('a key outside the prefix', 'GET', mp(uid, '1') + q(key=other), 403),
        ('a key with ../', 'GET', mp(uid) + q(key='uploads/../' + key), 403),
        ('a key whose name is not its sanitized form', 'GET',
         mp(uid) + q(key=key.rsplit('/', 1)[0] + '/Big Video.MP4'), 403),
        ('a key whose uuid is not version 4', 'GET',
         mp(uid) + q(key='uploads/00000000-0000-0000-0000-000000000000/a.bin'), 403),
        ('no key', 'GET', mp(uid), 400),
        ('an uploadId with a character S3 never writes', 'GET',
         mp('abc%3Cdef') + q(key=key), 400),
        ('part number 0', 'GET', mp(uid, '0') + q(key=key), 400),
        ('part number 10001', 'GET', mp(uid, '10001') + q(key=key), 400),
        ('1001 part numbers in a batch', 'GET', mp(uid, 'batch') +
         q(key=key, partNumbers=','.join(str(i) for i in range(1, 1002))), 400),
        ('a batch with a part number twice', 'GET', mp(uid, 'batch') +
         q(key=key, partNumbers='1,2,1'), 400),
        ('/s3/sts (no credentials are handed out)', 'GET', '/api/s3/sts', 404),
        ('an unknown route', 'GET', '/api/s3/nothing', 404),
    ]
    for desc, m, path, want in cases:
        time.sleep(0.1)     # nginx.conf.example's limit_req: 10 a second
        s, h, b = call(port, m, path)
        ok(s == want and isinstance(b, dict) and b.get('statusCode') == want,
           '%s: %d JSON' % (desc, want), [s, repr(b)[:200]])
    s, h, b = call(port, 'PUT', mp(uid) + q(key=key), b'')
    ok(s == 405 and h.get('allow') == 'GET, DELETE',
       'PUT on /s3/multipart/ID: 405 with Allow: GET, DELETE', [s, repr(h.get('allow'))])
    s, h, b = call(port, 'GET', '/api/s3/multipart')
    ok(s == 405 and h.get('allow') == 'POST', 'GET on /s3/multipart: 405 with Allow: POST',
       [s, repr(h.get('allow'))])
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key),
                   {'parts': [{'PartNumber': 1, 'ETag': 'not hex'}]})
    ok(s == 400 and 'ETag' in b.get('message', ''), 'an ETag S3 would never write: 400',
       [s, repr(b)])
    big = {'parts': [{'PartNumber': i, 'ETag': '"%032x"' % i} for i in range(1, 10001)]}
    body = json.dumps(big).encode()
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key), big)
    ok(len(body) > 16384 and 'request body too large' not in b.get('message', '') and
       'storage service' in b.get('message', ''),
       'a complete of 10,000 parts (%d bytes) is read (the route\'s 1 MiB limit) and '
       'sent: S3 answers for it (Swift allows 1,000 parts)' % len(body), [s, repr(b)[:200]])
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key),
                   b'{"parts":[' + b' ' * (1024 * 1024) + b']}',
                   {'Content-Type': 'application/json'})
    ok(s == 413 and b.get('statusCode') == 413, 'a complete body over 1 MiB: 413 JSON',
       [s, repr(b)[:200]])
    # the multipart upload of the cases above is still open: abort it
    s, h, b = call(port, 'DELETE', mp(uid) + q(key=key))


def run_users(st, s3, bucket):
    port = st.port
    s, h, b = call(port, 'POST', '/api/s3/multipart', {'filename': 'a.bin', 'type': ''})
    ok(s == 401, 'users: create without a user: 401', [s, repr(b)])
    s, h, b = call(port, 'POST', '/api/s3/multipart', {'filename': 'a.bin', 'type': ''},
                   basic('alice'))
    ok(s == 200 and b.get('key', '').startswith('users/alice/'),
       "users: alice's key is under users/alice/", [s, repr(b)])
    key, uid = b.get('key'), b.get('uploadId')
    s2, h2, b2 = call(port, 'GET', mp(uid) + q(key=key), headers=basic('bob'))
    ok(s2 == 403 and b2.get('statusCode') == 403,
       "users: bob naming alice's key: 403, before S3 is asked", [s2, repr(b2)])
    s2, h2, b2 = call(port, 'DELETE', mp(uid) + q(key=key), headers=basic('bob'))
    ok(s2 == 403 and uid in open_uploads(s3, bucket),
       "users: bob cannot abort alice's upload (403, still open)", [s2])
    parts, err = upload_parts(port, key, uid, [os.urandom(5 * MIB), os.urandom(2 * MIB)],
                              basic('alice'))
    s, h, b = call(port, 'POST', mp(uid, 'complete') + q(key=key),
                   {'parts': [{'PartNumber': n, 'ETag': e} for n, e in parts or []]},
                   basic('alice'))
    ok(s == 413 and 'aborted' in b.get('message', ''),
       'S3_MAX_FILE_SIZE=6 MiB, 7 MiB of parts: 413 at complete', [s, repr(b)])
    ok(uid not in open_uploads(s3, bucket), 'the oversized upload was aborted')
    try:
        s3.head_object(Bucket=bucket, Key=key)
        exists = True
    except Exception:
        exists = False
    ok(not exists, 'the oversized object never exists')


def run_down(st):
    t = time.monotonic()
    s, h, b = call(st.port, 'POST', '/api/s3/multipart', {'filename': 'a.bin', 'type': ''})
    el = time.monotonic() - t
    ok(s == 502 and b.get('statusCode') == 502 and el < 30,
       'S3 unreachable: create answers 502 JSON after the retries (%.1f s)' % el,
       [s, repr(b)])
    ok(any('create' in ln and '502' in ln for ln in st.log()),
       'S3 unreachable: the log line says why', st.log()[-3:])


if __name__ == '__main__':
    sys.exit(main())
