#!/usr/bin/python3
# botocore_post.py - the reference for s3_presign_post (common/post_policy.h,
# tests/unit/test_post_policy.c): botocore's S3 client
# generate_presigned_post with its clock frozen and fixed credentials.
# One case per stdin line, tab-separated:
#   REGION  ENDPOINT|-  STYLE(virtual|path)  BUCKET  AMZDATE  AK  SK  TOKEN|-
#   EXPIRES  KEY(hex)  CONTENT_TYPE  DISPOSITION|-  ACL|-  MAX_SIZE(0: none)
#   OUR_POLICY (sign_s3's base64 policy field)
# The Fields and Conditions passed are the ones sign_s3 pins (Content-Type,
# Content-Disposition, acl, content-length-range); botocore adds bucket,
# key and the x-amz-* itself. Prints per line one JSON object:
#   url, fields (botocore's), policy (botocore's policy, decoded),
#   ours (OUR_POLICY decoded by Python's json: it must read it),
#   signature (botocore's S3SigV4PostAuth.signature over OUR_POLICY, the
#   HMAC with botocore's signing key for that date, region and s3).
# Offline: verify_sig makes botocore so; its clock shim is also put in
# botocore.signers, where the policy's expiration is computed.
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_sig                        # noqa: E402  (makes botocore offline)
import botocore.auth                     # noqa: E402
import botocore.awsrequest               # noqa: E402
import botocore.config                   # noqa: E402
import botocore.credentials              # noqa: E402
import botocore.session                  # noqa: E402
import botocore.signers                  # noqa: E402

botocore.signers.datetime = verify_sig._shim
session = botocore.session.Session()

for line in sys.stdin:
    (region, endpoint, style, bucket, amz, ak, sk, token, expires, key_hex,
     ctype, disp, acl, max_size, ours) = line.rstrip('\n').split('\t')
    token = None if token == '-' else token
    client = session.create_client(
        's3', region_name=region,
        endpoint_url=None if endpoint == '-' else endpoint,
        aws_access_key_id=ak, aws_secret_access_key=sk,
        aws_session_token=token,
        config=botocore.config.Config(signature_version='s3v4',
                                      s3={'addressing_style': style}))
    key = bytes.fromhex(key_hex).decode('utf-8')
    fields = {'Content-Type': ctype}
    conditions = [{'Content-Type': ctype}]
    if disp != '-':
        fields['Content-Disposition'] = disp
        conditions.append({'Content-Disposition': disp})
    if acl != '-':
        fields['acl'] = acl
        conditions.append({'acl': acl})
    if int(max_size):
        conditions.append(['content-length-range', 0, int(max_size)])
    verify_sig.freeze(amz)
    botocore.signers.datetime = verify_sig._shim
    post = client.generate_presigned_post(bucket, key, Fields=fields,
                                          Conditions=conditions,
                                          ExpiresIn=int(expires))
    creds = botocore.credentials.Credentials(ak, sk, token)
    req = botocore.awsrequest.AWSRequest(method='POST', url=post['url'])
    req.context['timestamp'] = amz
    sig = botocore.auth.S3SigV4PostAuth(creds, 's3', region).signature(ours, req)
    print(json.dumps({
        'url': post['url'],
        'fields': post['fields'],
        'policy': json.loads(base64.b64decode(post['fields']['policy'])),
        'ours': json.loads(base64.b64decode(ours, validate=True)),
        'signature': sig,
    }))
    sys.stdout.flush()
