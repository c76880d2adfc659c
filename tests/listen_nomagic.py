#!/usr/bin/python3
# listen_nomagic.py - FastCGI without libmagic's database (issue 10): file_head
# is optional, so a responder whose S3_MAGIC_FILE cannot be loaded still
# starts and signs. Run both ways a FastCGI responder is started:
#   --listen unix:PATH (the prefork pool), and
#   FastCGI on stdin (a listening socket as fd 0: spawn-fcgi, mod_fcgid).
# Each: the process comes up and says once, at start, why libmagic is not
# there; a request without file_head answers 200; a request with file_head
# answers a JSON 500 whose log line names libmagic's cause (no secret); the
# next request without file_head is answered 200 again by the same process.
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest                                  # noqa: E402
from itest import ok                          # noqa: E402
import fcgi_client                            # noqa: E402

MAGIC = '/nonexistent/sign_s3/magic.mgc'
PNG_HEAD = b'\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0' + b'\0' * 64


def post(addr, obj):
    body = json.dumps(obj).encode()
    p = {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
         'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
         'REQUEST_URI': '/api/sign_s3', 'SCRIPT_NAME': '/api/sign_s3',
         'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1'}
    try:
        r = fcgi_client.request(addr, p, body, timeout=10)
    except OSError as e:
        return None, repr(e)
    st, _, out = fcgi_client.parse_cgi(r.stdout)
    try:
        return st, json.loads(out)
    except ValueError:
        return st, out[:200]


def checks(tag, p, addr, log):
    plain = {'file_name': 'a.png', 'file_type': 'image/png'}
    headed = dict(plain, file_head=base64.b64encode(PNG_HEAD).decode())
    up = itest.wait_for(lambda: p.poll() is None and
                        any('libmagic' in ln for ln in itest.read_lines(log)), 10)
    start = [ln for ln in itest.read_lines(log) if 'libmagic' in ln]
    ok(up and p.poll() is None, '%s: starts although libmagic cannot load %s' % (tag, MAGIC),
       itest.read_lines(log)[-5:])
    ok(start and 'requests with file_head will get 500' in start[0] and MAGIC in start[0],
       '%s: says so at start, naming the file' % tag, start)
    st, b = post(addr, plain)
    ok(st == 200 and isinstance(b, dict) and 'signed_request' in b,
       '%s: a request without file_head is signed (200)' % tag, [st, repr(b)[:200]])
    n = len(itest.read_lines(log))
    st, b = post(addr, headed)
    ok(st == 500 and isinstance(b, dict) and b.get('statusCode') == 500,
       '%s: a request with file_head: 500 JSON' % tag, [st, repr(b)[:200]])
    new = itest.read_lines(log)[n:]
    line = [ln for ln in new if re.search(r' 500 POST ', ln)]
    ok(line and MAGIC in line[0] and 'secret' not in line[0].lower(),
       '%s: its log line names libmagic\'s cause' % tag, new)
    st, b = post(addr, plain)
    ok(st == 200 and p.poll() is None,
       '%s: the next request without file_head is signed again (200)' % tag, [st])
    itest.stop_proc(p)


def main():
    t0 = time.monotonic()
    itest.init('listen-nomagic.')
    env = dict(itest.sign_s3_env(), S3_MAGIC_FILE=MAGIC, S3_LOG_REQUESTS='1')

    # --listen
    sock = os.path.join(itest.TMP, 'pool.sock')
    log = os.path.join(itest.TMP, 'pool.log')
    with open(log, 'w') as lf:
        p = itest.start([itest.SIGN_S3, '--listen', 'unix:' + sock, '--workers', '1'],
                        env=env, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
    itest.wait_for(lambda: p.poll() is not None or itest.can_connect(sock), 10)
    itest.PIDS.update(itest.children(p.pid))
    checks('--listen', p, 'unix:' + sock, log)

    # FastCGI on stdin
    path = os.path.join(itest.TMP, 'stdin.sock')
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    log = os.path.join(itest.TMP, 'stdin.log')
    with open(log, 'w') as lf:
        p = itest.start([itest.SIGN_S3], env=env, stdin=ls.fileno(), stdout=lf, stderr=lf)
    ls.close()
    checks('FastCGI on stdin', p, 'unix:' + path, log)
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
