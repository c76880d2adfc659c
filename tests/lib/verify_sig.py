#!/usr/bin/python3
# verify_sig.py - check a presigned S3 URL made by sign_s3 against botocore.
#
# The signature is recomputed with botocore.auth.S3SigV4QueryAuth (Debian's
# python3-botocore, hence /usr/bin/python3) with botocore's clock frozen at
# the URL's X-Amz-Date, the way tests/botocore_parity.py does it: same method,
# same Content-Type header, same non-auth query parameters (x-amz-acl), same
# expiry. The whole query (as a multiset) and X-Amz-Signature must match.
#
# As a module:
#   import verify_sig
#   problems = verify_sig.verify(url, access_key=..., secret_key=...,
#                                region=..., content_type=..., token=None)
#   problems == []  -> the URL is exactly what botocore would sign
#   verify_sig.check_answer(obj, ...) also checks the JSON answer's shape.
#
# As a command (used by the shell tests): reads sign_s3's 200 JSON answer on
# stdin and checks its shape and signed_request; the headers signed are the
# answer's headers (Content-Type, and Content-Disposition when sign_s3 signs
# one for active content: S3_ACTIVE_TYPES). Exit 0 when it matches, 1 otherwise
# (reasons on stdout, as TAP comments).
#   verify_sig.py --access-key AK --secret-key SK --region R [--token T]
#                 [--expires N] [--bucket B] < answer.json
#
# Offline: credentials are explicit, IMDS is disabled, no AWS config is read.

import datetime as _real_datetime
import json
import os
import re
import sys
import types
from urllib.parse import parse_qsl, unquote, urlsplit

for _k in list(os.environ):
    if _k.startswith('AWS_') or _k.startswith('BOTO_'):
        del os.environ[_k]
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'
os.environ['AWS_CONFIG_FILE'] = os.devnull
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402


class _FrozenDatetime(_real_datetime.datetime):
    frozen = None  # naive UTC

    @classmethod
    def utcnow(cls):
        return cls.frozen

    @classmethod
    def now(cls, tz=None):
        aware = cls.frozen.replace(tzinfo=_real_datetime.timezone.utc)
        if tz is None:
            return aware.astimezone().replace(tzinfo=None)
        return aware.astimezone(tz)

    @classmethod
    def today(cls):
        return cls.now()


_shim = types.ModuleType('datetime')
_shim.__dict__.update({k: v for k, v in vars(_real_datetime).items()
                       if not k.startswith('__')})
_shim.datetime = _FrozenDatetime
botocore.auth.datetime = _shim

def freeze(amz_date):
    """Stops botocore's clock at amz_date (YYYYMMDDTHHMMSSZ). Callers check
    that the X-Amz-Date botocore then writes equals it."""
    _FrozenDatetime.frozen = _real_datetime.datetime.strptime(
        amz_date, '%Y%m%dT%H%M%SZ')
    botocore.auth.datetime = _shim   # (again: nothing may have undone it)
    if hasattr(botocore.auth, 'get_current_datetime'):
        # newer botocore (not Debian's 1.29) reads the clock through this
        botocore.auth.get_current_datetime = lambda: _FrozenDatetime.frozen


AUTH_PARAMS = {'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
               'X-Amz-Expires', 'X-Amz-SignedHeaders',
               'X-Amz-Security-Token', 'X-Amz-Signature'}


def verify(url, *, access_key, secret_key, region, content_type,
           token=None, method='PUT', expires=None, content_disposition=None):
    """Returns a list of problems; [] when botocore signs url identically
    (with Content-Type content_type and, when not None, Content-Disposition
    content_disposition)."""
    problems = []
    p = urlsplit(url)
    if p.scheme not in ('http', 'https') or not p.netloc:
        return ['not an absolute http(s) URL: %r' % url[:200]]
    q = dict(parse_qsl(p.query, keep_blank_values=True))
    amz_date = q.get('X-Amz-Date', '')
    if not re.fullmatch(r'\d{8}T\d{6}Z', amz_date):
        return ['no usable X-Amz-Date in %r' % url[:300]]
    want_cred = '%s/%s/%s/s3/aws4_request' % (access_key, amz_date[:8], region)
    if q.get('X-Amz-Algorithm') != 'AWS4-HMAC-SHA256':
        problems.append('X-Amz-Algorithm %r' % q.get('X-Amz-Algorithm'))
    if q.get('X-Amz-Credential') != want_cred:
        problems.append('X-Amz-Credential %r, want %r'
                        % (q.get('X-Amz-Credential'), want_cred))
    if q.get('X-Amz-Security-Token') != token:
        problems.append('X-Amz-Security-Token %r, want %r'
                        % (q.get('X-Amz-Security-Token'), token))
    try:
        exp = int(q.get('X-Amz-Expires', ''))
    except ValueError:
        return problems + ['X-Amz-Expires %r' % q.get('X-Amz-Expires')]
    if expires is not None and exp != expires:
        problems.append('X-Amz-Expires %d, want %d' % (exp, expires))
    if content_type is not None and \
            'content-type' not in q.get('X-Amz-SignedHeaders', '').split(';'):
        problems.append('Content-Type not signed: X-Amz-SignedHeaders=%r'
                        % q.get('X-Amz-SignedHeaders'))

    # what botocore signs: the same URL without the auth parameters
    keep = [seg for seg in p.query.split('&')
            if seg and unquote(seg.split('=', 1)[0]) not in AUTH_PARAMS]
    base = '%s://%s%s' % (p.scheme, p.netloc, p.path)
    if keep:
        base += '?' + '&'.join(keep)
    freeze(amz_date)
    headers = {'Content-Type': content_type} if content_type is not None else {}
    if content_disposition is not None:
        headers['Content-Disposition'] = content_disposition
    req = botocore.awsrequest.AWSRequest(method=method, url=base, headers=headers)
    auth = botocore.auth.S3SigV4QueryAuth(
        botocore.credentials.Credentials(access_key, secret_key, token),
        's3', region, expires=exp)
    auth.add_auth(req)
    ref = urlsplit(req.prepare().url)
    rq = dict(parse_qsl(ref.query, keep_blank_values=True))
    if rq.get('X-Amz-Date') != amz_date:
        return problems + ['botocore clock not frozen (X-Amz-Date %r, sign_s3 %r)'
                           % (rq.get('X-Amz-Date'), amz_date)]
    if (ref.scheme, ref.netloc, ref.path) != (p.scheme, p.netloc, p.path):
        problems.append('botocore moved the URL: %s://%s%s'
                        % (ref.scheme, ref.netloc, ref.path))
    got = sorted(parse_qsl(p.query, keep_blank_values=True))
    want = sorted(parse_qsl(ref.query, keep_blank_values=True))
    if got != want:
        gd, wd = dict(got), dict(want)
        for k in sorted(set(gd) | set(wd)):
            if gd.get(k) != wd.get(k) and k != 'X-Amz-Signature':
                problems.append('query %s: sign_s3 %r, botocore %r'
                                % (k, gd.get(k), wd.get(k)))
    if q.get('X-Amz-Signature') != rq.get('X-Amz-Signature'):
        problems.append('X-Amz-Signature differs: sign_s3 %s, botocore %s'
                        % (q.get('X-Amz-Signature'), rq.get('X-Amz-Signature')))
    return problems


ANSWER_KEYS = {'file_type', 'signed_request', 'url', 'key', 'method',
               'headers', 'expires_at'}


def check_answer(obj, *, access_key, secret_key, region, token=None,
                 expires=None, file_type=None, bucket=None):
    """Shape of a 200 answer plus verify() of its signed_request."""
    if not isinstance(obj, dict):
        return ['answer is not a JSON object']
    problems = []
    missing = ANSWER_KEYS - set(obj)
    if missing:
        return ['answer lacks %s: %r' % (sorted(missing), obj)]
    for k in ('file_type', 'signed_request', 'url', 'key', 'method', 'expires_at'):
        if not isinstance(obj[k], str) or not obj[k]:
            problems.append('%s is not a non-empty string: %r' % (k, obj[k]))
    if problems:
        return problems
    if obj['method'] != 'PUT':
        problems.append('method %r' % obj['method'])
    h = obj['headers']
    if not isinstance(h, dict) or h.get('Content-Type') != obj['file_type']:
        problems.append('headers %r do not carry Content-Type = file_type %r'
                        % (h, obj['file_type']))
    elif set(h) - {'Content-Type', 'Content-Disposition'} or \
            h.get('Content-Disposition', 'attachment') != 'attachment':
        problems.append('headers %r: more than Content-Type and '
                        'Content-Disposition: attachment' % (h,))
    if file_type is not None and obj['file_type'] != file_type:
        problems.append('file_type %r, want %r' % (obj['file_type'], file_type))
    if not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', obj['expires_at']):
        problems.append('expires_at %r' % obj['expires_at'])
    # the URL without its query is `url` (no S3_PUBLIC_URL in the tests), and
    # its path ends with the key
    su = urlsplit(obj['signed_request'])
    if obj['url'] != '%s://%s%s' % (su.scheme, su.netloc, su.path):
        problems.append('url %r is not signed_request without its query'
                        % obj['url'])
    path = unquote(su.path)
    if not path.endswith('/' + obj['key']):
        problems.append('path %r does not end with the key %r' % (path, obj['key']))
    if bucket is not None and bucket not in su.netloc.split('.')[0:1] and \
            not path.startswith('/%s/' % bucket):
        problems.append('bucket %r neither in host nor path: %r'
                        % (bucket, obj['signed_request'][:200]))
    if problems:
        return problems
    return verify(obj['signed_request'], access_key=access_key,
                  secret_key=secret_key, region=region,
                  content_type=obj['file_type'], token=token, expires=expires,
                  content_disposition=h.get('Content-Disposition'))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--access-key', required=True)
    ap.add_argument('--secret-key', required=True)
    ap.add_argument('--region', required=True)
    ap.add_argument('--token')
    ap.add_argument('--expires', type=int)
    ap.add_argument('--bucket')
    ap.add_argument('--file-type')
    a = ap.parse_args(argv)
    raw = sys.stdin.buffer.read()
    try:
        obj = json.loads(raw)
    except ValueError as e:
        print('# not JSON (%s): %r' % (e, raw[:300]))
        return 1
    problems = check_answer(obj, access_key=a.access_key,
                            secret_key=a.secret_key, region=a.region,
                            token=a.token, expires=a.expires,
                            file_type=a.file_type, bucket=a.bucket)
    for line in problems:
        print('# ' + line)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
