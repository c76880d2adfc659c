#!/usr/bin/python3
"""What the local S3 holds, read with botocore (Debian's python3-botocore, run by
/usr/bin/python3), for tests/browser/multipart.spec.js. Settings from the
environment as scripts/s3-local.sh prints them (S3_ENDPOINT, S3_BUCKET,
S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); 127.0.0.1 only.

  s3_check.py object KEY   {"size", "sha256", "type"} of the object, or {"error"}
  s3_check.py uploads      [{"Key", "UploadId"}] of the multipart uploads in progress
"""
import hashlib
import json
import os
import sys
import urllib.parse

import botocore.config
import botocore.exceptions
import botocore.session


def client():
    endpoint = os.environ['S3_ENDPOINT']
    if urllib.parse.urlsplit(endpoint).hostname != '127.0.0.1':
        sys.exit('s3_check.py: S3_ENDPOINT must be on 127.0.0.1')
    return botocore.session.get_session().create_client(
        's3', endpoint_url=endpoint, region_name=os.environ.get('S3_REGION', 'us-east-1'),
        aws_access_key_id=os.environ['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=os.environ['AWS_SECRET_ACCESS_KEY'],
        config=botocore.config.Config(s3={'addressing_style': 'path'}, signature_version='s3v4',
                                      retries={'max_attempts': 1}))


def main(argv):
    c, bucket = client(), os.environ['S3_BUCKET']
    if argv[:1] == ['object'] and len(argv) == 2:
        try:
            r = c.get_object(Bucket=bucket, Key=argv[1])
        except botocore.exceptions.ClientError as e:
            return {'error': e.response.get('Error', {}).get('Code', 'error')}
        h, size = hashlib.sha256(), 0
        for chunk in iter(lambda: r['Body'].read(1 << 20), b''):
            h.update(chunk)
            size += len(chunk)
        return {'size': size, 'sha256': h.hexdigest(), 'type': r.get('ContentType')}
    if argv == ['uploads']:
        r = c.list_multipart_uploads(Bucket=bucket)
        return [{'Key': u['Key'], 'UploadId': u['UploadId']} for u in r.get('Uploads', [])]
    sys.exit(__doc__)


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1:])))
