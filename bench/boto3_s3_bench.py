#!/usr/bin/python3
# boto3_s3_bench.py - the botocore baseline of bench/s3.sh: the same
# create + complete as bench/bench_s3client.c against the same local S3
# (scripts/s3-local.sh, 127.0.0.1), one thread: create_multipart_upload,
# upload_part (1 KiB, part 1), complete_multipart_upload on a fresh key
# uploads/<uuid4>/bench.bin, repeated for --seconds S (at least 20 times)
# after two counted calls. One client made once (boto3's usual way; boto3
# is a thin layer over this botocore client).
#
# Configuration from the env lines s3-local.sh start prints (S3_ENDPOINT,
# S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY);
# path-style addressing. stdout: "name value" lines, no secret:
#   botocore_new_connections_call1 N   botocore_new_connections_call2 N
#   botocore_create_complete_per_sec N  botocore_create_complete_ms N
#   botocore_create_complete_calls N   botocore_cpu_ms_per_call N (this
#   process's CPU time per call: the client's own cost)
# Must run under /usr/bin/python3 (Debian's python3-botocore).

import argparse
import os
import sys
import time
import uuid

endpoint = os.environ['S3_ENDPOINT']
bucket = os.environ['S3_BUCKET']
region = os.environ.get('S3_REGION', 'us-east-1')
akid = os.environ['AWS_ACCESS_KEY_ID']
secret = os.environ['AWS_SECRET_ACCESS_KEY']
for _k in list(os.environ):
    if _k.startswith('AWS_') or _k.startswith('BOTO_'):
        del os.environ[_k]
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'
os.environ['AWS_CONFIG_FILE'] = os.devnull
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull

import botocore                      # noqa: E402
import botocore.config               # noqa: E402
import botocore.session              # noqa: E402
import urllib3.connection            # noqa: E402

# New TCP connections, counted where urllib3 (botocore's transport) opens them.
connects = 0
_new_conn = urllib3.connection.HTTPConnection._new_conn


def _counted(self, *a, **k):
    global connects
    connects += 1
    return _new_conn(self, *a, **k)


urllib3.connection.HTTPConnection._new_conn = _counted

ap = argparse.ArgumentParser()
ap.add_argument('--seconds', type=float, default=3.0)
args = ap.parse_args()

session = botocore.session.get_session()
s3 = session.create_client(
    's3', region_name=region, endpoint_url=endpoint,
    aws_access_key_id=akid, aws_secret_access_key=secret,
    config=botocore.config.Config(s3={'addressing_style': 'path'},
                                  signature_version='s3v4',
                                  retries={'max_attempts': 1}))
body = b'x' * 1024


def one():
    key = 'uploads/%s/bench.bin' % uuid.uuid4()
    up = s3.create_multipart_upload(Bucket=bucket, Key=key,
                                    ContentType='application/octet-stream')
    uid = up['UploadId']
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=body)
    s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})


c0 = connects
one()
c1 = connects
one()
c2 = connects
print('botocore_new_connections_call1 %d' % (c1 - c0))
print('botocore_new_connections_call2 %d' % (c2 - c1))
n = 0
t0 = time.monotonic()
cpu0 = time.process_time()
while True:
    one()
    n += 1
    t = time.monotonic() - t0
    if t >= args.seconds and n >= 20:
        break
print('botocore_create_complete_per_sec %.1f' % (n / t))
print('botocore_create_complete_ms %.2f' % (1e3 * t / n))
print('botocore_create_complete_calls %d' % n)
print('botocore_cpu_ms_per_call %.3f' % (1e3 * (time.process_time() - cpu0) / n))
print('botocore %s, %d calls in %.2f s' % (botocore.__version__, n, t), file=sys.stderr)
