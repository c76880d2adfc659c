#!/usr/bin/python3
# cgi_config_error.py - the plain-CGI answer to a configuration error drains
# the request body as every other answer does. Under Apache's mod_cgid the
# CGI's stdin and stdout are one Unix socket: a process that exits with part
# of the body unread resets that socket, and the web server loses the
# answer (ECONNRESET). Here the CGI gets one end of a socketpair as stdin
# and stdout, the test writes a POST body and then reads the whole answer.
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest  # noqa: E402
from itest import ok  # noqa: E402


def run(env_extra, body):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = {'PATH': '/usr/bin:/bin', 'GATEWAY_INTERFACE': 'CGI/1.1',
           'REQUEST_METHOD': 'POST', 'CONTENT_TYPE': 'application/json',
           'CONTENT_LENGTH': str(len(body)), 'REMOTE_ADDR': '127.0.0.1',
           'AWS_EC2_METADATA_DISABLED': 'true'}
    env.update(env_extra)
    a.sendall(body)            # fits the socket buffer: written before the start
    p = subprocess.Popen([itest.SIGN_S3], stdin=b, stdout=b,
                         stderr=subprocess.PIPE, env=env)
    b.close()
    out, err = b'', None
    a.settimeout(10)
    try:
        while True:
            k = a.recv(65536)
            if not k:
                break
            out += k
    except OSError as e:
        err = e
    a.close()
    log = p.stderr.read().decode('utf-8', 'replace')
    p.wait(10)
    return out, err, log


def main():
    t0 = time.monotonic()
    itest.init('cgi-config-error')
    body = json.dumps({'file_name': 'x' * 6000 + '.txt'}).encode()
    out, err, log = run({}, body)          # no S3_BUCKET: configuration error
    ok(err is None, 'config error: the answer is read without a connection reset',
       ['recv: %r' % (err,)])
    head, _, js = out.partition(b'\r\n\r\n')
    ok(head.startswith(b'Status: 500'), 'config error: Status: 500', [repr(out[:200])])
    try:
        j = json.loads(js)
    except ValueError:
        j = {}
    ok(j.get('statusCode') == 500 and 'S3_BUCKET' not in js.decode('utf-8', 'replace'),
       'config error: a generic JSON 500, the reason not in the answer', [repr(js)])
    ok('configuration error: S3_BUCKET' in log, 'config error: the log line names the cause',
       [log])
    # The same socket arrangement for a normal refusal: the control case.
    out, err, log = run({'S3_BUCKET': 'examplebucket', 'AWS_ACCESS_KEY_ID': itest.AK,
                         'AWS_SECRET_ACCESS_KEY': itest.SK, 'S3_MAX_BODY': '1024'}, body)
    ok(err is None and out.startswith(b'Status: 413'),
       'refused body (413): the answer is read without a connection reset',
       [repr(err), repr(out[:200])])
    return itest.finish(t0)


if __name__ == '__main__':
    sys.exit(main())
