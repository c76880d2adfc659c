#!/usr/bin/python3
# cgi_run.py - one CGI run of sign_s3 and a strict reading of its answer,
# for the black-box tests (tests/cgi_blackbox.py, tests/hostile.py).
#
#   run_cgi(argv, env, body, hold, limit, cwd)
#       runs argv with env; stdin is body, or with hold a pipe kept open
#       and never written (the program must answer without reading it).
#       Returns dict(rc, out, err, pid, elapsed), or dict(error=...) when it
#       has not exited within limit seconds.
#   parse_cgi(out, diag)
#       (headers dict lower-case name -> value, body) of a CGI answer, or
#       (None, None); every malformed, repeated or bare-CR/LF header line
#       is reported in the list diag.

import os
import re
import subprocess
import time


def run_cgi(argv, env, body, hold, limit, cwd):
    t0 = time.monotonic()
    held = None
    try:
        if hold:
            r, held = os.pipe()
            p = subprocess.Popen(argv, env=env, stdin=r, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd=cwd)
            os.close(r)
            data = None
        else:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
            data = body
        try:
            out, err = p.communicate(data, timeout=limit)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            return {'error': 'no exit within %.0f s (blocked reading stdin?)' % limit}
        except BrokenPipeError:     # it answered without reading all of the body
            out, err = p.stdout.read(), p.stderr.read()
            p.wait()
        return {'rc': p.returncode, 'out': out, 'err': err, 'pid': p.pid,
                'elapsed': time.monotonic() - t0}
    finally:
        if held is not None:
            os.close(held)


def parse_cgi(out, diag):
    sep = out.find(b'\r\n\r\n')
    if sep < 0:
        diag.append('no CRLF CRLF after the CGI head: %r' % out[:200])
        return None, None
    head, body = out[:sep], out[sep + 4:]
    headers = {}
    for raw in head.split(b'\r\n'):
        if b'\n' in raw or b'\r' in raw:
            diag.append('bare CR or LF in a header line: %r' % raw[:200])
            continue
        m = re.fullmatch(rb'([A-Za-z0-9-]+): ([\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)', raw)
        if not m:
            diag.append('malformed header line: %r' % raw[:200])
            continue
        name = m.group(1).decode().lower()
        if name in headers:
            diag.append('header %s sent twice' % name)
        headers[name] = m.group(2).decode()
    return headers, body
