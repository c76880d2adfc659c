#!/usr/bin/python3
# botocore_header.py - the reference for the S3 client's Authorization
# header (tests/unit/test_sigv4.c): botocore's S3SigV4Auth, clock frozen.
# One case per stdin line, tab-separated:
#   METHOD  URL(http, path encoded)  AMZDATE  REGION  AK  SK  TOKEN|-  BODY
#   PARAMS (name=value&..., raw, or -)  HEADERS (name:value|name:value|..., or -)
# prints per line "Authorization<TAB>x-amz-content-sha256". Offline.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_sig import freeze            # noqa: E402  (makes botocore offline)
import botocore.auth                     # noqa: E402
import botocore.awsrequest               # noqa: E402
import botocore.credentials              # noqa: E402

for line in sys.stdin:
    f = line.rstrip('\n').split('\t')
    method, url, amz, region, ak, sk, token, body, params, headers = f
    creds = botocore.credentials.Credentials(ak, sk, None if token == '-' else token)
    hdrs = {}
    if headers != '-':
        for h in headers.split('|'):
            k, _, v = h.partition(':')
            hdrs[k] = v
    ps = {}
    if params != '-':
        for p in params.split('&'):
            k, _, v = p.partition('=')
            ps[k] = v
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=hdrs,
                                         params=ps, data=body.encode())
    freeze(amz)
    botocore.auth.S3SigV4Auth(creds, 's3', region).add_auth(req)
    print('%s\t%s' % (req.headers['Authorization'], req.headers['X-Amz-Content-SHA256']))
    sys.stdout.flush()
