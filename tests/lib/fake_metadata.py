#!/usr/bin/python3
# fake_metadata.py - a fake AWS metadata service for the credential tests,
# on 127.0.0.1 only (it refuses any other address).
#
# It speaks two protocols on one port:
#
#  EC2 instance metadata, IMDSv2 only:
#    PUT /latest/api/token          needs X-aws-ec2-metadata-token-ttl-seconds
#                                   (1..21600, else 400) and no X-Forwarded-For
#                                   (403, as the real one: a proxy is refused);
#                                   answers a session token
#    GET /latest/meta-data/iam/security-credentials/        the role, "\n"
#    GET /latest/meta-data/iam/security-credentials/ROLE    the credentials:
#        {"Code":"Success","LastUpdated",...,"Type":"AWS-HMAC","AccessKeyId",
#         "SecretAccessKey","Token","Expiration"}
#    every GET needs a valid X-aws-ec2-metadata-token (401 otherwise; no
#    IMDSv1 fallback).
#  Container credentials (ECS / EKS):
#    GET /v2/credentials/ANYTHING (the relative URI) and GET /creds (a full
#    URI): {"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"};
#    when an authorization token is configured, the Authorization header must
#    be exactly it (401 otherwise).
#
# Behaviour, set on the command line or at run time through the control
# endpoint (PUT or POST /_control?name=value&..., answers the state):
#    mode=ok|slow|trickle|fail|badjson|missing|big|redirect|expired|code
#         slow:     sleep slow_seconds (default 10) before answering anything
#         trickle:  send the head at once, then the body one byte per second
#         fail:     HTTP 500;  badjson: 200 with "{not json";
#         missing:  200 JSON without Token and SecretAccessKey
#         big:      200 with a 100 KiB JSON body
#         redirect: 302 to /elsewhere on this same server (never followed by
#                   a correct client: /elsewhere counts its hits)
#         expired:  Expiration in the past;  code: IMDS Code "Failure"
#    where=all|token|role|creds|container   which requests the mode hits
#         (default creds: the credential answers of both protocols)
#    expires_in=N    Expiration = now + N seconds (default 3600)
#    rotate=0|1      new keys at every credential answer (default 0: new keys
#                    only when asked with /_control?new_keys=1)
#    auth_token=T    Authorization required for the container protocol
#    role=NAME       the IAM role (default sign-s3-role); role= (empty): 404
#    slow_seconds=N
#    reset=1         everything back to the defaults, counters cleared
# GET /_control answers the state as JSON: the settings, "creds" (the last
# keys handed out: AccessKeyId, SecretAccessKey, Token, Expiration), "hits"
# per path and "requests" (method, path, headers of each request).
#
# Usage: fake_metadata.py [--port N] [--mode M] [--where W] [--expires-in N]
#                         [--rotate] [--auth-token T] [--slow-seconds N]
# Prints "PORT <n>" on stdout once listening (port 0: any free port), then
# serves until killed.

import argparse
import base64
import datetime
import http.server
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse

HOST = '127.0.0.1'
ROLE_PATH = '/latest/meta-data/iam/security-credentials/'
TOKEN_PATH = '/latest/api/token'
MAX_REQUESTS = 500

DEFAULTS = {
    'mode': 'ok',
    'where': 'creds',
    'expires_in': 3600,
    'rotate': 0,
    'auth_token': None,
    'role': 'sign-s3-role',
    'slow_seconds': 10.0,
}

lock = threading.Lock()
state = {}
tokens = set()


def rand_text(n):
    raw = base64.b64encode(os.urandom(n)).decode()
    return raw[:n]


def new_keys():
    state['generation'] += 1
    g = state['generation']
    state['keys'] = {
        'AccessKeyId': 'ASIAFAKE%012d' % g,
        # '/', '+' and '=' on purpose: they must be encoded in a URL
        'SecretAccessKey': 'fake/Secret+%d/%s' % (g, rand_text(24)),
        'Token': 'IQoJ/fake+token=%d/%s==' % (g, rand_text(300)),
    }


def reset(**over):
    state.clear()
    state.update(DEFAULTS)
    state.update(over)
    state['generation'] = 0
    state['hits'] = {}
    state['requests'] = []
    state['creds'] = None
    tokens.clear()
    new_keys()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime('%Y-%m-%dT%H:%M:%SZ')


def applies(kind):
    w = state['where']
    if w == 'all':
        return True
    if w == 'creds':
        return kind in ('imds-creds', 'container')
    if w == 'token':
        return kind == 'imds-token'
    if w == 'role':
        return kind == 'imds-role'
    if w == 'container':
        return kind == 'container'
    return False


def creds_body(kind):
    """The credential answer (dict) and records what was handed out."""
    if state['rotate']:
        new_keys()
    exp = time.time() + float(state['expires_in'])
    if state['mode'] == 'expired' and applies(kind):
        exp = time.time() - 600
    k = dict(state['keys'])
    body = dict(k)
    body['Expiration'] = iso(exp)
    state['creds'] = dict(body)
    if kind == 'imds-creds':
        body = dict({'Code': 'Success', 'LastUpdated': iso(time.time()),
                     'Type': 'AWS-HMAC'}, **body)
        if state['mode'] == 'code' and applies(kind):
            body['Code'] = 'Failure'
    else:
        body['RoleArn'] = 'arn:aws:iam::123456789012:role/' + (state['role'] or 'x')
    if state['mode'] == 'missing' and applies(kind):
        body.pop('Token', None)
        body.pop('SecretAccessKey', None)
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'FakeMetadata/1.0'

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype='text/plain', extra=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            ctype = 'application/json'
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def record(self):
        path = urllib.parse.urlsplit(self.path).path
        with lock:
            state['hits'][path] = state['hits'].get(path, 0) + 1
            if len(state['requests']) < MAX_REQUESTS:
                state['requests'].append({
                    'method': self.command, 'path': path,
                    'headers': {k: v for k, v in self.headers.items()}})
        return path

    def control(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query,
                                  keep_blank_values=True)
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            try:
                q.update({k: [str(v)] for k, v in
                          json.loads(self.rfile.read(length)).items()})
            except (ValueError, AttributeError):
                return self.send(400, 'bad control body\n')
        with lock:
            if 'reset' in q:
                reset()
            for k, v in q.items():
                v = v[-1]
                if k in ('reset',):
                    continue
                if k == 'new_keys':
                    new_keys()
                elif k in ('expires_in', 'rotate'):
                    state[k] = int(v)
                elif k == 'slow_seconds':
                    state[k] = float(v)
                elif k == 'auth_token':
                    state[k] = v or None
                elif k in ('mode', 'where', 'role'):
                    state[k] = v
                else:
                    return self.send(400, 'unknown setting %s\n' % k)
            out = {k: v for k, v in state.items() if k != 'requests'}
            out['requests'] = list(state['requests'])
        return self.send(200, out)

    def behave(self, kind):
        """Applies the mode to this request; True when it answered."""
        with lock:
            mode, on = state['mode'], applies(kind)
            slow = state['slow_seconds']
        if not on:
            return False
        if mode == 'slow':
            time.sleep(slow)
            self.close_connection = True
            return True
        if mode == 'fail':
            self.send(500, 'internal error\n')
            return True
        if mode == 'badjson':
            self.send(200, '{not json', 'application/json')
            return True
        if mode == 'big':
            self.send(200, json.dumps({'pad': 'x' * (100 * 1024)}))
            return True
        if mode == 'redirect':
            self.send(302, '', extra=[('Location', 'http://%s:%d/elsewhere'
                                       % (HOST, self.server.server_address[1]))])
            return True
        if mode == 'trickle':
            body = b'{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}'
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            self.close_connection = True
            return True
        return False

    def imds_token_ok(self):
        return self.headers.get('X-aws-ec2-metadata-token') in tokens

    def do_PUT(self):
        path = self.record()
        if path == '/_control':
            return self.control()
        if path != TOKEN_PATH:
            return self.send(404, 'not found\n')
        if self.behave('imds-token'):
            return
        if self.headers.get('X-Forwarded-For'):
            return self.send(403, 'forbidden\n')
        ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds', '')
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.send(400, 'bad ttl\n')
        tok = 'AQAEA' + rand_text(40).replace('/', '_').replace('+', '-')
        with lock:
            tokens.add(tok)
        return self.send(200, tok, extra=[('X-aws-ec2-metadata-token-ttl-seconds', ttl)])

    do_POST = do_PUT

    def do_GET(self):
        path = self.record()
        if path == '/_control':
            return self.control()
        if path.startswith('/latest/'):
            if not self.imds_token_ok():
                return self.send(401, 'unauthorized\n')
            if path == ROLE_PATH:
                if self.behave('imds-role'):
                    return
                with lock:
                    role = state['role']
                if not role:
                    return self.send(404, 'not found\n')
                return self.send(200, role + '\n')
            if path.startswith(ROLE_PATH):
                with lock:
                    role = state['role']
                if not role or path[len(ROLE_PATH):] != role:
                    return self.send(404, 'not found\n')
                if self.behave('imds-creds'):
                    return
                with lock:
                    body = creds_body('imds-creds')
                return self.send(200, body)
            return self.send(404, 'not found\n')
        if path.startswith('/v2/credentials/') or path == '/creds':
            with lock:
                need = state['auth_token']
            if need is not None and self.headers.get('Authorization') != need:
                return self.send(401, 'unauthorized\n')
            if self.behave('container'):
                return
            with lock:
                body = creds_body('container')
            return self.send(200, body)
        return self.send(404, 'not found\n')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    ap = argparse.ArgumentParser(description='fake EC2/ECS metadata service (loopback)')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mode', default='ok')
    ap.add_argument('--where', default='creds')
    ap.add_argument('--expires-in', type=int, default=3600)
    ap.add_argument('--rotate', action='store_true')
    ap.add_argument('--auth-token')
    ap.add_argument('--slow-seconds', type=float, default=10.0)
    a = ap.parse_args(argv)
    reset(mode=a.mode, where=a.where, expires_in=a.expires_in, rotate=int(a.rotate),
          auth_token=a.auth_token, slow_seconds=a.slow_seconds)
    srv = Server((HOST, a.port), Handler)
    assert srv.server_address[0] == HOST
    print('PORT %d' % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
