#!/usr/bin/python3
# fcgi_client.py - a minimal FastCGI client (the responder role of the
# FastCGI 1.0 specification) speaking the protocol directly over a unix or
# TCP socket: BEGIN_REQUEST (keep-conn off), PARAMS, STDIN, then
# STDOUT / STDERR until END_REQUEST. One connection per request.
#
# As a module:
#   from fcgi_client import request, parse_cgi
#   r = request('unix:/tmp/s.sock', {'REQUEST_METHOD': 'GET', ...}, b'')
#   r.stdout, r.stderr, r.app_status, r.protocol_status
#
# Raw records, for tests that speak the protocol wrongly on purpose:
#   c = Raw('unix:/tmp/s.sock'); c.send(record(BEGIN_REQUEST, 1, begin_body()))
#   c.read_records(until_end=1) -> [(type, id, content), ...]
#
# As a program, the load driver of tests/valgrind.sh: sends COUNT requests
# from a fixed mix of good and refused ones (200, 400, 405, 413, 415) and
# checks each answer's status and Content-Length:
#   fcgi_client.py ADDRESS [--count N] [--threads T] [--timeout S]
# ADDRESS is unix:/path or HOST:PORT. Prints a summary line; exit 0 when
# every request got its expected answer, 1 otherwise.

import json
import os
import socket
import struct
import sys
import threading
import time

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
DATA, GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 8, 9, 10, 11
RESPONDER, AUTHORIZER, FILTER = 1, 2, 3
KEEP_CONN = 1
REQUEST_COMPLETE, CANT_MPX_CONN, OVERLOADED, UNKNOWN_ROLE = 0, 1, 2, 3
HEADER = struct.Struct('>BBHHBx')


class Response:
    def __init__(self):
        self.stdout = b''
        self.stderr = b''
        self.app_status = None
        self.protocol_status = None


def _record(rtype, req_id, content=b''):
    pad = -len(content) % 8
    return HEADER.pack(FCGI_VERSION, rtype, req_id, len(content), pad) + content + b'\0' * pad


def record(rtype, req_id, content=b''):
    return _record(rtype, req_id, content)


def begin_body(role=RESPONDER, flags=0):
    return struct.pack('>HB5x', role, flags)


def request_bytes(req_id, params, body=b'', role=RESPONDER, flags=0):
    """A whole request: BEGIN_REQUEST, PARAMS, STDIN."""
    return (_record(BEGIN_REQUEST, req_id, begin_body(role, flags)) +
            _stream(PARAMS, req_id, encode_params(params)) + _stream(STDIN, req_id, body))


def decode_pairs(data):
    """Name-value pairs of a PARAMS or GET_VALUES_RESULT content."""
    out, i = [], 0
    while i < len(data):
        ln = []
        for _ in range(2):
            if data[i] & 0x80:
                ln.append(struct.unpack('>I', data[i:i + 4])[0] & 0x7fffffff)
                i += 4
            else:
                ln.append(data[i])
                i += 1
        out.append((data[i:i + ln[0]], data[i + ln[0]:i + ln[0] + ln[1]]))
        i += ln[0] + ln[1]
    return out


class Raw:
    """One connection, bytes sent as given, records read back."""

    def __init__(self, address, timeout=10.0):
        self.s = connect(address, timeout)
        self.buf = b''
        self.closed = False
        self.timed_out = False

    def send(self, data):
        self.s.sendall(data)

    def read_records(self, until_end=None, timeout=None):
        """Records until END_REQUEST of id until_end (None: until the peer
        closes); stops early (self.closed) when the peer closes."""
        if timeout is not None:
            self.s.settimeout(timeout)
        recs = []
        while True:
            while len(self.buf) >= HEADER.size:
                _, rtype, rid, clen, plen = HEADER.unpack(self.buf[:HEADER.size])
                if len(self.buf) < HEADER.size + clen + plen:
                    break
                content = self.buf[HEADER.size:HEADER.size + clen]
                self.buf = self.buf[HEADER.size + clen + plen:]
                recs.append((rtype, rid, content))
                if rtype == END_REQUEST and rid == until_end:
                    return recs
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b''
            except socket.timeout:
                self.timed_out = True
                return recs
            if not d:
                self.closed = True
                return recs
            self.buf += d

    def close(self):
        self.s.close()


def stdout_of(recs, req_id):
    return b''.join(c for t, i, c in recs if t == STDOUT and i == req_id)


def end_of(recs, req_id):
    """(app_status, protocol_status) of req_id's END_REQUEST, or None."""
    for t, i, c in recs:
        if t == END_REQUEST and i == req_id:
            return struct.unpack('>IB3x', c[:8])
    return None


def _length(n):
    return struct.pack('>B', n) if n < 128 else struct.pack('>I', n | 0x80000000)


def encode_params(params):
    """params: a mapping, or (name, value) pairs, where a name may repeat
    (as nginx sends a parameter once per fastcgi_param line)."""
    out = bytearray()
    for k, v in (params.items() if hasattr(params, 'items') else params):
        k = k.encode('utf-8', 'surrogateescape') if isinstance(k, str) else k
        v = v.encode('utf-8', 'surrogateescape') if isinstance(v, str) else v
        out += _length(len(k)) + _length(len(v)) + k + v
    return bytes(out)


def _stream(rtype, req_id, data):
    """Records carrying data (at most 65535 bytes each), then the empty one."""
    out = bytearray()
    for i in range(0, len(data), 65535):
        out += _record(rtype, req_id, data[i:i + 65535])
    out += _record(rtype, req_id)
    return bytes(out)


def connect(address, timeout):
    if address.startswith('unix:'):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address[5:]
    else:
        host, port = address.rsplit(':', 1)
        s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
        target = (host.strip('[]'), int(port))
    s.settimeout(timeout)
    s.connect(target)
    return s


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('connection closed after %d of %d bytes' % (len(buf), n))
        buf += chunk
    return bytes(buf)


def request(address, params, body=b'', timeout=30.0, req_id=1):
    """One request on a fresh connection; returns a Response. Raises
    ConnectionError / socket.timeout when the server does not finish."""
    s = connect(address, timeout)
    try:
        msg = _record(BEGIN_REQUEST, req_id, struct.pack('>HB5x', RESPONDER, 0))
        msg += _stream(PARAMS, req_id, encode_params(params))
        msg += _stream(STDIN, req_id, body)
        try:
            s.sendall(msg)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the server may answer (e.g. 413) before reading everything
        r = Response()
        out, err = bytearray(), bytearray()
        while True:
            version, rtype, rid, clen, plen = HEADER.unpack(_recv_exact(s, HEADER.size))
            content = _recv_exact(s, clen + plen)[:clen]
            if version != FCGI_VERSION:
                raise ConnectionError('FastCGI version %d' % version)
            if rid != req_id:
                continue
            if rtype == STDOUT:
                out += content
            elif rtype == STDERR:
                err += content
            elif rtype == END_REQUEST:
                r.app_status, r.protocol_status = struct.unpack('>IB3x', content[:8])
                break
        r.stdout, r.stderr = bytes(out), bytes(err)
        return r
    finally:
        s.close()


def parse_cgi(out):
    """(status int or None, headers dict lower-case, body bytes) of a CGI answer."""
    sep = out.find(b'\r\n\r\n')
    if sep < 0:
        return None, {}, out
    headers = {}
    for line in out[:sep].split(b'\r\n'):
        name, _, value = line.partition(b':')
        headers[name.strip().lower().decode('latin-1')] = value.strip().decode('latin-1')
    status = headers.get('status', '200').split(' ', 1)[0]
    return (int(status) if status.isdigit() else None), headers, out[sep + 4:]


# ---- the load mix of tests/valgrind.sh -----------------------------------------------

def _p(method, ctype=None, query=None, body=b'', clen=True):
    p = {'GATEWAY_INTERFACE': 'CGI/1.1', 'REQUEST_METHOD': method,
         'SCRIPT_NAME': '/api/sign_s3', 'REMOTE_ADDR': '127.0.0.1',
         'SERVER_PROTOCOL': 'HTTP/1.1'}
    if ctype is not None:
        p['CONTENT_TYPE'] = ctype
    if query is not None:
        p['QUERY_STRING'] = query
    if clen is True:
        p['CONTENT_LENGTH'] = str(len(body))
    elif clen is not None:
        p['CONTENT_LENGTH'] = clen
    return p


J = 'application/json'
F = 'application/x-www-form-urlencoded'
PNG_HEAD = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA='       # base64 of a PNG's first bytes
ELF_HEAD = 'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA'               # base64 of an ELF header
_PNG_BODY = ('{"file_name":"p.png","file_type":"image/png","file_head":"%s"}' % PNG_HEAD).encode()
_ELF_BODY = ('{"file_name":"p.png","file_type":"image/png","file_head":"%s"}' % ELF_HEAD).encode()
MIX = [
    (200, _p('POST', J, body=_PNG_BODY), _PNG_BODY),      # file_head sniffed (libmagic)
    (415, _p('POST', J, body=_ELF_BODY), _ELF_BODY),      # an ELF declared image/png
    # (expected status, params, body)
    (200, _p('POST', J, body=b'{"file_name":"photo.jpg","file_type":"image/jpeg"}'),
     b'{"file_name":"photo.jpg","file_type":"image/jpeg"}'),
    (200, _p('POST', J, body=b'{"file_name":" My File.PDF "}'), b'{"file_name":" My File.PDF "}'),
    (200, _p('POST', F, body=b'file_name=C%3A%5Cfakepath%5CR%C3%A9sum%C3%A9.docx'),
     b'file_name=C%3A%5Cfakepath%5CR%C3%A9sum%C3%A9.docx'),
    (200, _p('GET', query='file_name=%F0%9F%98%80+x.png&file_type='), b''),
    (200, _p('POST', J, body=json.dumps({'file_name': 'a' * 300 + '.txt'}).encode()),
     json.dumps({'file_name': 'a' * 300 + '.txt'}).encode()),
    (400, _p('POST', J, body=b'{"file_name":"a.txt"'), b'{"file_name":"a.txt"'),
    (400, _p('POST', J, body=b'{"file_name":"\xc0\xaf"}'), b'{"file_name":"\xc0\xaf"}'),
    (400, _p('POST', J, body=b'{"file_name":"a","file_name":"b"}'),
     b'{"file_name":"a","file_name":"b"}'),
    (400, _p('POST', J, body=b'{"x":' + b'[' * 40 + b']' * 40 + b'}'),
     b'{"x":' + b'[' * 40 + b']' * 40 + b'}'),
    (400, _p('POST', J, body=b'{"file_name":".."}'), b'{"file_name":".."}'),
    (400, _p('POST', J, body=b'{"file_name":"a.png","file_type":"image/png\\r\\nX: 1"}'),
     b'{"file_name":"a.png","file_type":"image/png\\r\\nX: 1"}'),
    (400, _p('GET', query='file_name=a%00.txt'), b''),
    (400, _p('POST', J, body=b'{}', clen='-1'), b''),
    (405, _p('PUT', J, body=b'{"file_name":"a.txt"}'), b'{"file_name":"a.txt"}'),
    (405, _p('DELETE', query='file_name=a.txt'), b''),
    (413, _p('POST', J, clen='20000'), b''),
    (413, _p('POST', J, body=b'{"file_name":"a.txt"}'.ljust(16385)),
     b'{"file_name":"a.txt"}'.ljust(16385)),
    (415, _p('POST', 'text/plain', body=b'{"file_name":"a.txt"}'), b'{"file_name":"a.txt"}'),
    (415, _p('POST', J + '; charset=utf-16', body=b'{"file_name":"a.txt"}'),
     b'{"file_name":"a.txt"}'),
]


def drive(address, count, threads, timeout):
    lock = threading.Lock()
    state = {'next': 0, 'bad': 0, 'errors': 0, 'by_status': {}, 'first': []}

    def worker():
        while True:
            with lock:
                i = state['next']
                if i >= count:
                    return
                state['next'] = i + 1
            want, params, body = MIX[i % len(MIX)]
            try:
                r = request(address, params, body, timeout=timeout, req_id=1 + i % 65535)
                st, headers, rbody = parse_cgi(r.stdout)
                okay = (st == want and r.app_status == 0 and r.protocol_status == 0 and
                        headers.get('content-length') == str(len(rbody)))
                if okay:
                    json.loads(rbody)
                why = None if okay else 'request %d: status %r (want %d), app %r, proto %r' % (
                    i, st, want, r.app_status, r.protocol_status)
            except (OSError, ConnectionError, ValueError) as e:
                st, why = 'error', 'request %d: %r' % (i, e)
            with lock:
                state['by_status'][st] = state['by_status'].get(st, 0) + 1
                if why:
                    state['bad'] += 1
                    if len(state['first']) < 5:
                        state['first'].append(why)

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return state, time.monotonic() - t0


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description='FastCGI load driver for sign_s3')
    ap.add_argument('address')
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=30.0)
    a = ap.parse_args(argv)
    state, secs = drive(a.address, a.count, a.threads, a.timeout)
    counts = ' '.join('%s:%d' % (k, v) for k, v in sorted(state['by_status'].items(), key=str))
    print('requests %d in %.1f s (%.0f/s), unexpected %d; by status %s' % (
        a.count, secs, a.count / secs if secs else 0, state['bad'], counts))
    for w in state['first']:
        print('  ' + w)
    return 1 if state['bad'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
