#!/usr/bin/python3
# demo_stack.py - the stacks of the route tests (tests/multipart_routes.py,
# tests/verify_routes.py): scripts/demo.sh's nginx + sign_s3 on free
# 127.0.0.1 ports in a temp dir, the local S3 (scripts/s3-local.sh) behind
# them, a small JSON HTTP client, PUTs to presigned URLs, and a botocore
# client to read what S3 holds without going through sign_s3.
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import itest  # noqa: E402
from itest import ok  # noqa: E402

DEMO = os.path.join(REPO, 'scripts', 'demo.sh')


def free_ports(n):
    ss = [socket.socket() for _ in range(n)]
    for s in ss:
        s.bind(('127.0.0.1', 0))
    ports = [s.getsockname()[1] for s in ss]
    for s in ss:
        s.close()
    return ports


def have_swift():
    for p in ('python3-swift', 'memcached', 'curl'):
        r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
                           text=True)
        if 'install ok installed' not in r.stdout:
            return False
    return True


def call(port, method, path, body=None, headers=None):
    """(status, headers dict lowercased, parsed JSON or raw text)."""
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault('Content-Type', 'application/json')
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    raw = r.read()
    hd = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    try:
        return r.status, hd, json.loads(raw)
    except ValueError:
        return r.status, hd, raw.decode('utf-8', 'replace')


def put_url(url, data, headers=None):
    """PUT data to a presigned URL: (status, ETag header)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request('PUT', u.path + '?' + u.query, body=data, headers=headers or {})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader('ETag')


def q(**kw):
    return '?' + urllib.parse.urlencode(kw)


def mp(upload_id, *rest):
    return '/api/s3/multipart/' + urllib.parse.quote(upload_id, safe='') + \
        ''.join('/' + r for r in rest)


class Stack:
    def __init__(self, tmp, name, port, env):
        self.dir = os.path.join(tmp, name)
        self.name, self.port = name, port
        e = dict(os.environ)
        for k in list(e):
            if k.startswith(('S3_', 'AWS_')) and k not in ('S3_LOCAL_DIR',) and \
                    not k.startswith('S3_LOCAL_'):
                del e[k]
        e.update(DEMO_DIR=self.dir, DEMO_PORT=str(port), DEMO_BIN=itest.SIGN_S3,
                 DEMO_DEPS='0', **env)
        self.env = e
        t = time.monotonic()
        r = subprocess.run(['bash', DEMO, 'start'], env=e, capture_output=True, text=True,
                           timeout=180)
        self.up = r.returncode == 0
        ok(self.up, "stack '%s' up (%.1f s)" % (name, time.monotonic() - t),
           r.stderr.splitlines()[-10:])

    def log(self):
        return itest.read_lines(os.path.join(self.dir, 'sign_s3.log'))

    def stop(self):
        subprocess.run(['bash', DEMO, 'stop'], env=self.env, capture_output=True, timeout=60)


def basic(user):
    return {'Authorization': 'Basic ' + base64.b64encode((user + ':x').encode()).decode()}


def s3_client(s3env):
    import datetime
    import botocore.auth
    import botocore.session
    from botocore.config import Config
    botocore.auth.datetime = datetime    # itest's verify_sig froze botocore's clock
    sess = botocore.session.get_session()
    return sess.create_client(
        's3', region_name='us-east-1', endpoint_url=s3env['S3_ENDPOINT'],
        aws_access_key_id=s3env['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=s3env['AWS_SECRET_ACCESS_KEY'],
        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))


def use_local_s3(tmp, bucket, extra):
    """Sets scripts/s3-local.sh's variables in os.environ for a local S3 of
    its own (state under tmp/s3, five free ports, bucket); returns extra
    more free ports for the caller."""
    p = free_ports(5 + extra)
    os.environ.update(S3_LOCAL_DIR=os.path.join(tmp, 's3'), S3_LOCAL_PORT=str(p[0]),
                      S3_LOCAL_ACCOUNT_PORT=str(p[1]), S3_LOCAL_CONTAINER_PORT=str(p[2]),
                      S3_LOCAL_OBJECT_PORT=str(p[3]), S3_LOCAL_MEMCACHED_PORT=str(p[4]),
                      S3_LOCAL_BUCKET=bucket)
    return p[5:]


def s3_env(stack):
    """The local S3's settings as demo.sh passes them (S3_*, AWS_*)."""
    out = subprocess.run(['bash', DEMO, 'env'], env=stack.env, capture_output=True,
                         text=True).stdout
    return dict(ln.split('=', 1) for ln in out.splitlines() if '=' in ln)


def stop_local_s3():
    subprocess.run(['bash', os.path.join(REPO, 'scripts', 's3-local.sh'), 'stop'],
                   capture_output=True, timeout=60)
