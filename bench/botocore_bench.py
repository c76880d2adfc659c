#!/usr/bin/python3
# botocore_bench.py - the botocore baseline for `make bench`.
#
# Presigned PUT URLs per second on one thread, two ways:
#   botocore_client_presigns_per_sec  what a Python endpoint does: one S3 client
#       created once, then generate_presigned_url('put_object', Bucket, Key
#       uploads/<uuid4>/photo.jpg, ContentType image/jpeg, ExpiresIn=60).
#   botocore_signer_presigns_per_sec  the bare signer, the fair comparison to a
#       signing core: AWSRequest(PUT, url, Content-Type) ->
#       S3SigV4QueryAuth.add_auth -> prepare().url.
# Both loops include making the uuid4 key and the URL string, as an endpoint
# would. Each runs for --seconds S (default 3) after a --warmup W (default 0.5).
#
# stdout carries exactly two machine-readable lines:
#   botocore_client_presigns_per_sec N
#   botocore_signer_presigns_per_sec N
# Anything else (versions, iteration counts) goes to stderr.
#
# Offline: dummy credentials are passed explicitly, IMDS is disabled and no
# shared AWS config is read; presigning sends no request.
# Must run under /usr/bin/python3 (Debian's python3-botocore).

import argparse
import os
import sys
import time
import uuid

for _k in list(os.environ):
    if _k.startswith('AWS_') or _k.startswith('BOTO_'):
        del os.environ[_k]
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'
os.environ['AWS_CONFIG_FILE'] = os.devnull
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull

import botocore                      # noqa: E402
import botocore.auth                 # noqa: E402
import botocore.awsrequest           # noqa: E402
import botocore.credentials          # noqa: E402
import botocore.session              # noqa: E402
from botocore.config import Config   # noqa: E402

ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE'
SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
REGION = 'us-east-1'
BUCKET = 'examplebucket'
EXPIRES = 60


def run_for(fn, seconds, warmup):
    """Calls fn() for warmup seconds, then counts calls for seconds.
    Returns (calls, elapsed)."""
    clock = time.perf_counter
    end = clock() + warmup
    while clock() < end:
        fn()
    n = 0
    start = clock()
    end = start + seconds
    # check the clock every 16 calls: negligible next to a presign
    while True:
        for _ in range(16):
            fn()
        n += 16
        now = clock()
        if now >= end:
            return n, now - start


def main():
    ap = argparse.ArgumentParser(
        description='botocore presigned PUT URLs per second, one thread')
    ap.add_argument('--seconds', type=float, default=3.0,
                    help='measurement time per figure (default 3)')
    ap.add_argument('--warmup', type=float, default=0.5,
                    help='warm-up time per figure (default 0.5)')
    a = ap.parse_args()
    if a.seconds <= 0 or a.warmup < 0:
        ap.error('--seconds must be > 0 and --warmup >= 0')

    session = botocore.session.Session()
    client = session.create_client(
        's3', region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version='s3v4', retries={'max_attempts': 0}))

    def client_presign():
        return client.generate_presigned_url(
            'put_object',
            Params={'Bucket': BUCKET,
                    'Key': 'uploads/%s/photo.jpg' % uuid.uuid4(),
                    'ContentType': 'image/jpeg'},
            ExpiresIn=EXPIRES)

    creds = botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY)
    signer = botocore.auth.S3SigV4QueryAuth(creds, 's3', REGION, expires=EXPIRES)
    base = 'https://%s.s3.amazonaws.com/uploads/' % BUCKET

    def signer_presign():
        req = botocore.awsrequest.AWSRequest(
            method='PUT', url='%s%s/photo.jpg' % (base, uuid.uuid4()),
            headers={'Content-Type': 'image/jpeg'})
        signer.add_auth(req)
        return req.prepare().url

    # sanity: both produce a signed PUT URL with content-type signed
    for u in (client_presign(), signer_presign()):
        if ('X-Amz-Signature=' not in u
                or 'X-Amz-SignedHeaders=content-type%3Bhost' not in u):
            print('botocore_bench: unexpected URL: %s' % u, file=sys.stderr)
            return 1

    n1, t1 = run_for(client_presign, a.seconds, a.warmup)
    n2, t2 = run_for(signer_presign, a.seconds, a.warmup)
    print('# botocore %s, python %s: client %d in %.3fs, signer %d in %.3fs'
          % (botocore.__version__, sys.version.split()[0], n1, t1, n2, t2),
          file=sys.stderr)
    print('botocore_client_presigns_per_sec %d' % round(n1 / t1))
    print('botocore_signer_presigns_per_sec %d' % round(n2 / t2))
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
