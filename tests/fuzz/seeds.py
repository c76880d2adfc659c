#!/usr/bin/python3
# seeds.py - writes the seed corpora tests/fuzz/corpus/<target>/ from
# realistic inputs: the cases of tests/unit/test_*.c and tests/cgi_blackbox.py
# and a few hostile ones, each in the target's input format (the first
# byte(s) choose the mode; see the comment at the top of each fuzz_*.c).
# Run it again after changing a format: it replaces the seed-* files of
# each corpus directory and leaves other files alone.
#   /usr/bin/python3 tests/fuzz/seeds.py

import hashlib
import json
import os
import glob

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, 'corpus')
SEEDS = {}


def seed(target, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    SEEDS.setdefault(target, []).append(data)


def js(**kw):
    return json.dumps(kw, ensure_ascii=False).encode('utf-8')


# ---- request bodies, shared by fuzz_json and fuzz_form ----------------------

JSON_BODIES = [
    js(file_name='photo.jpg', file_type='image/jpeg'),
    js(file_name=' My File.PDF ', file_type=''),
    js(file_name='C:\\fakepath\\Résumé.docx'),
    js(file_name='../../etc/passwd'),
    js(file_name='🎉 Party 😀.PNG'),
    js(file_name='x\r\nSet-Cookie: a=b.txt', file_type='image/png\r\nX-Evil: 1'),
    js(file_name='evil\u202egnp\u200b.txt'),
    js(file_name='a', file_head='iVBORw0KGgo='),
    b'{"x":[1,{"y":null}],"file_type":"image/jpeg","z":true,"file_name":"photo.jpg"}',
    b' \r\n\t{ "file_name" : "photo.jpg" ,\n "file_type" : "image/jpeg" }\n ',
    b'{"file_name":"a\\u00e9\\"b\\\\c\\/d\\t"}',
    b'{"file_name":"\\ud83d\\ude00.png"}',
    b'{"file_name":"\\ud800.txt"}',
    b'{"file_name":"\\udc00b"}',
    b'{"file_name":"a\\u0000.exe"}',
    b'{"file_name":"a\\\\u0000"}',
    b'{"x":"a\\u0000b","file_name":"a"}',
    b'{"file\\u005fname":"a"}',
    b'{"file_name":"a","file_name":"b"}',
    b'{"file_name":5}', b'{"file_name":null}', b'{"file_name":true}',
    b'{"file_name":["a.txt"]}', b'{"file_name":{"a":"b.txt"}}',
    b'{"file_name":"a",}', b'{"file_name":"a"} x', b'{"file_name":"a"}{}',
    b'{"file_name":"a"', b'[{"file_name":"a"}]', b'"a"', b'null', b'', b'{}',
    b'{"file_name":"\xc0\xaf"}', b'{"file_name":"\xe0\x80\xaf"}',
    b'{"file_name":"\xf0\x80\x80\xaf"}', b'{"file_name":"\xed\xa0\x80"}',
    b'{"file_name":"\xf4\x90\x80\x80"}', b'{"file_name":"\xff"}',
    b'{"file_name":"a\x00b"}',
    b'\xef\xbb\xbf{"file_name":"bom.txt"}',
    b'{/*c*/"file_name":"a"}', b'{"file_name":"a"} // c',
    b'{"file_name":"a","x":' + b'[' * 31 + b']' * 31 + b'}',
    b'{"file_name":"a","x":' + b'[' * 33 + b']' * 33 + b'}',
    b'{"file_name":"' + b'[' * 40 + b'"}',
    b'{' + b','.join(b'"m%d":1' % i for i in range(64)) + b',"file_name":"a"}',
    b'{"file_name":"a","n":1e999,"m":-0.0e-5,"s":"\\b\\f\\n\\r\\t"}',
    js(file_name='\u0301' * 50 + '.txt'),
]

FORM_BODIES = [
    'file_name=photo.jpg&file_type=image%2Fjpeg',
    'file_name=+My+File.PDF+&file_type=',
    'file_name=C%3A%5Cfakepath%5CR%C3%A9sum%C3%A9.docx',
    'file_name=..%2F..%2Fetc%2Fpasswd', 'file_name=%2e%2e%2f%2e%2e%2fx',
    '&a=1&&file_name=x.txt&b&', 'file%5Fname=a&file_typ%65=b/c',
    'file_name=a=b', 'file_type&file_name=a', 'x=1&y&file_name=a&z=%00',
    '&&file_name=a&&&file_head=QQ%3D%3D&',
    'file_name=a%2', 'file_name=a%', 'file_name=%zz', 'file_name=%2g1',
    'file_name=%C3%28.txt', 'file_name=%C0%AF', 'file_name=%E0%80%AF',
    'file_name=%ED%A0%80', 'file_name=%F0%80%80%AF', 'file_name=a%00.txt',
    'file_name=a.txt&file_name=b.txt', 'file_name=&file_type=',
    'file_name=x%0D%0ASet-Cookie:+a%3Db.txt',
    'file_name=a.png&file_type=image%2Fpng%0D%0AX-Evil%3A+1',
    'file_name=%E2%80%AEgnp.txt', 'file_name=%5C%5Cserver%5Cshare%5Cx',
    '&'.join('f%d=1' % i for i in range(64)) + '&file_name=a.txt',
    'file_name=' + 'a' * 4097,
]

CTYPES = [
    'application/json', 'application/json; charset=utf-8',
    'APPLICATION/JSON;charset="UTF-8"', 'application/json; charset=utf-16',
    'application/json;charset=latin1', 'application/json; foo',
    'application/json; a="b\\"c"; charset=us-ascii', 'application/jsonx',
    'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=iso-8859-1',
    'text/plain', 'multipart/form-data; boundary=XyZ', '',
    '  application/json  ;  charset = utf-8', 'application/json;;;',
    'application/json; charset="utf-8', 'application/json; x=' + 'y' * 300,
]

# fuzz_json: byte 0 bits 0-2 Content-Type (7: from the input), bits 3-4 method
for b in JSON_BODIES:
    seed('fuzz_json', bytes([0]) + b)
seed('fuzz_json', bytes([1]) + JSON_BODIES[0])
seed('fuzz_json', bytes([4]) + JSON_BODIES[0])
seed('fuzz_json', bytes([5]) + JSON_BODIES[0])
seed('fuzz_json', bytes([0x18]) + b'file_name=a.txt')
for ct in CTYPES:
    seed('fuzz_json', bytes([7]) + ct.encode() + b'\n' + JSON_BODIES[0])

# fuzz_form: byte 0 bits 0-1 mode (0 POST, 1 GET, 2 Content-Type line, 3 length)
for b in FORM_BODIES:
    seed('fuzz_form', b'\x00' + b.encode())
    seed('fuzz_form', b'\x01' + b.encode())
for ct in CTYPES:
    seed('fuzz_form', b'\x02' + ct.encode() + b'\n' + FORM_BODIES[0].encode())
for i, cl in enumerate(['', '0', '25', '16384', '16385', 'abc', '-1', '1e3', '+25',
                        ' 25', '25 ', '0x19', '18446744073709551615',
                        '18446744073709551616', '9223372036854775808',
                        '99999999999999999999999999', '00000000000000000000016384']):
    seed('fuzz_form', bytes([3 | ((i & 7) << 2)]) + cl.encode())

# ---- fuzz_filename: byte 0 (bit 7: max = 1 + 2 * bits 0-6; else 255) -------

NAMES = [
    'photo.jpg', ' My File.PDF ', 'C:\\fakepath\\Résumé.docx', '../../etc/passwd',
    'a/b\\c/d.txt', '\\\\server\\share\\x.txt', '/etc/shadow', '..', '.', '...',
    '   ', 'dir/', '.bashrc', 'README', 'a\tb\nc\rd\x0be\x0cf.txt',
    'a\u00a0b\u3000c.txt', '\u3000 x\u2003y\u202fz\u1680w.txt\u00a0\u2028',
    'ÉCOLE ΑΒΓ ПРИВЕТ.TXT', 'İSTANBUL.txt', 'Re\u0301sume\u0301.pdf',
    'evil\u202egnp\u200b.txt', 'a\u2066b\u2069c\ufeff.txt', '\u200d\u200c.txt',
    '🎉 Party 😀.PNG', '<script>alert(1)</script>.png', 'a"b{c}d^e%f`g[h]i<j>k~l#m|n.txt',
    "it's (1)! a+b=c&d@e:f,g;h$i*j.txt", 'x\r\nSet-Cookie: a=b.txt',
    'a\x1b[31m\u009bb.txt', '\x01\x02\x1b\x7f\u0080\u009f\u200b\u202e\ufeff',
    'a' * 296 + '.pdf', 'x' * 300, 'a' * 300 + '.verylongextension1',
    '日本語ファイル' * 40 + '.txt', 'b' * 4092 + '.png', 'a' * 4097,
    '\u0301' * 1400 + '.txt', '.' * 300, 'a.' + 'b' * 20, 'Ǆ.TXT',
]
for n in NAMES:
    seed('fuzz_filename', b'\x00' + n.encode('utf-8'))
for raw in (b'\xc0\xaf.txt', b'\xe0\x80\xaf', b'\xf0\x80\x80\xaf', b'\xed\xa0\x80.txt',
            b'\xf4\x90\x80\x80', b'\xff\xfe', b'a\x00b.txt', b'\xc3', b'a\xe2\x82'):
    seed('fuzz_filename', b'\x00' + raw)
for m in (0x80, 0x81, 0x84, 0x8f, 0xff):
    seed('fuzz_filename', bytes([m]) + 'résumé final.pdf'.encode())
    seed('fuzz_filename', bytes([m]) + '日本語.txt'.encode())

# ---- fuzz_mime: byte 0 % 3: 0 lookup, 1 type check, 2 mime.types file -------

for n in ('photo.jpg', 'Photo.JPG', 'a.tar.gz', 'dir.d/file', 'x.', '.bashrc', 'README',
          'a/b.pdf', 'data.zzzunknown', 'f.docx', 'f.' + 'e' * 32, 'f.' + 'e' * 33,
          'f.PnG', 'ü.ÜML', 'a.b/c', 'a\\b.png'):
    seed('fuzz_mime', b'\x00' + n.encode())
for t in ('image/png', 'text/plain;charset=utf-8', 'text/plain;charset="utf-8"',
          'image/svg+xml', 'IMAGE/JPEG', 'application/vnd.ms-excel',
          'text/plain;a=' + 'b' * 242, 'text/plain;a=' + 'b' * 243, 'image/png ',
          'text/plain; charset=utf-8', 'image', 'image/png\r\nX-Evil: 1', 'image/pñg',
          '/png', 'image/png;', 'a/b;c="d\\"e"', 'a/b;c="\\', 'a/b;c=""', 'a/b;=c',
          'x' * 127 + '/y', 'x' * 128 + '/y', 'a/b;c=d;e=f', '*/*', 'a/b\x00',
          'text/plain;x="a b"', 'a/b;c="\t"', 'a/b;c="\\ "', 'a/b;c="\x7f"', 'a/b;c="é"',
          'a/b;c=d e', 'a/b;c', 'a/b;;c=d', 'a/b;c=d;', 'a/b ', ' a/b', 'a/b\r\n',
          'a!#$&-^_.+/b!#$&-^_.+', 'a/b;!#$%&\'*+-.^_`|~=!#$%&\'*+-.^_`|~'):
    seed('fuzz_mime', b'\x01' + t.encode())
sample = os.path.join(REPO, 'tests', 'unit', 'mime.types.sample')
if os.path.exists(sample):
    with open(sample, 'rb') as f:
        seed('fuzz_mime', b'\x02' + f.read())
seed('fuzz_mime', b'\x02text/plain txt TXT\nimage/png png\ntext/x-dup txt\n'
     b'# comment\n  application/x-indented\tind\r\nbad line\n')
seed('fuzz_mime', b'\x02application/pdf pdf #not an ext\nimage/ bad3\n'
     b'application/x-gz\ttar.gz gz\nx/y ' + b'e' * 33 + b' ok\n')

# ---- fuzz_config: bytes 0-1 environment bits, the rest the file --------------

CONF = [
    '# sign_s3\nS3_BUCKET=filebucket\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n'
    'AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    'S3_BUCKET = b\nS3_REGION=eu-west-1\nS3_ENDPOINT=HTTP://LocalHost:9000/\n'
    'S3_PATH_STYLE=1\nS3_KEY_PREFIX=a/b/\nS3_EXPIRES=0060\nS3_ACL=public-read\n'
    'S3_PUBLIC_URL=https://cdn.example.com/a///\nS3_MAX_BODY=4096\nS3_LOG_REQUESTS=1\n',
    "S3_BUCKET='q'\nS3_ENDPOINT=http://[::1]:9000\n",
    'S3_BUCKET=b\nS3_ENDPOINT=HtTpS://[2001:DB8::1]:443/\n',
    'S3_BUCKET=b\nS3_ENDPOINT=https://s3.example.com:443\n',
    'S3_BUCKET=b\nS3_ENDPOINT=http://minio:09000\n',
    'S3_BUCKET=b\nS3_ENDPOINT=http://user@host/\n',
    'S3_BUCKET=b\nS3_ENDPOINT=http://256.1.1.1\n',
    'S3_BUCKET=b\nS3_KEY_PREFIX=/abs/\n', 'S3_BUCKET=b\nS3_KEY_PREFIX=a//b\n',
    'S3_BUCKET=b\nS3_KEY_PREFIX=a/../b/\n', 'S3_BUCKET=b\nS3_KEY_PREFIX=\xc3\xa9t\xc3\xa9/ a b /\n',
    'S3_BUCKET=b\nS3_BUCKET=c\n', 'S3_BUCKET=b\nBOGUS=1\n', 'S3_BUCKET\n', '=x\n',
    'S3_BUCKET="b\n', 'S3_BUCKET=b\r\nAWS_SESSION_TOKEN=tok\r\n',
    'S3_BUCKET=b\nAWS_ACCESS_KEY_ID=AKIAQQxMARKxQQ\nAWS_SECRET_ACCESS_KEY=QQxMARKxQQ with space\n',
    'S3_BUCKET=bad bucket QQxMARKxQQ\n', 'S3_BUCKET=b\nS3_EXPIRES=604801\n',
    'S3_BUCKET=b\nS3_MAX_BODY=1048577\n', 'S3_BUCKET=b\nS3_PUBLIC_URL=cdn.example.com\n',
    'S3_BUCKET=b\nS3_PUBLIC_URL=https://cdn/?q#f\n', 'S3_BUCKET=b\nS3_ACL=public\n',
    'S3_BUCKET=b\nS3_LOG_REQUESTS=yes\n', 'S3_BUCKET=b\nAWS_REGION=ap-south-1\n',
    'S3_BUCKET=b\nAWS_DEFAULT_REGION=ca-central-1\nAWS_REGION=us-west-1\n',
    'S3_BUCKET=' + 'b' * 256 + '\n', 'S3_BUCKET=b\nS3_KEY_PREFIX=' + 'p' * 513 + '\n',
    'S3_BUCKET=b\x00c\n', '\n\n   \n# only comments\n',
    'S3_BUCKET=b\nS3_REQUIRE_USER=1\nS3_KEY_PREFIX=users/{user}/\n',
    'S3_BUCKET=b\nS3_KEY_PREFIX=users/{user}/\n',
    'S3_BUCKET=b\nS3_REQUIRE_USER=1\nS3_KEY_PREFIX=a/{user}{user}/\n',
    'S3_BUCKET=b\nS3_ALLOWED_TYPES= Image/*, application/PDF ,text/plain\n',
    'S3_BUCKET=b\nS3_ALLOWED_TYPES=*/*\n', 'S3_BUCKET=b\nS3_ALLOWED_TYPES=,,\n',
    'S3_BUCKET=b\nS3_ALLOWED_TYPES=*/png\n', 'S3_BUCKET=b\nS3_ALLOWED_TYPES=text/plain;charset=utf-8\n',
    'S3_BUCKET=b\nS3_REQUIRE_FILE_HEAD=1\nS3_MAX_NAME_BYTES=100\n',
    'S3_BUCKET=b\nS3_MAX_NAME_BYTES=256\n', 'S3_BUCKET=b\nS3_MAX_NAME_BYTES=0\n',
]
# every variable with a bad value carrying the mark: no message may echo it
for name in ('S3_BUCKET', 'S3_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION',
             'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
             'S3_ENDPOINT', 'S3_PATH_STYLE', 'S3_KEY_PREFIX', 'S3_EXPIRES', 'S3_ACL',
             'S3_PUBLIC_URL', 'S3_MAX_BODY', 'S3_LOG_REQUESTS', 'S3_REQUIRE_USER',
             'S3_ALLOWED_TYPES', 'S3_REQUIRE_FILE_HEAD', 'S3_MAX_NAME_BYTES'):
    CONF.append('S3_BUCKET=b\n%s="QQxMARKxQQ bad\x01value"\n' % name if name != 'S3_BUCKET'
                else 'S3_BUCKET=QQxMARKxQQ/bad\n')
for i, c in enumerate(CONF):
    seed('fuzz_config', bytes([0x01, 0x80]) + c.encode('utf-8'))
seed('fuzz_config', bytes([0xff, 0xff]) + CONF[0].encode())
seed('fuzz_config', bytes([0x07, 0x80]) + CONF[1].encode())
seed('fuzz_config', bytes([0x00, 0x00]))

# ---- fuzz_uri: byte 0 bit 0 keep_slash, bits 1-7 buffer --------------------

for s in ('uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/my_file.pdf', 'a b+c%d',
          "it's (1)! a+b=c&d@e:f,g;h$i*j.txt", 'résumé 日本 😀', 'a//b/./../c',
          '-_.~AZaz09', '\x00\x01\xff', '', '/' * 10):
    for sel in (0, 1, 2, 3, 8, 9, 0x38, 0x39, 0xff):
        seed('fuzz_uri', bytes([sel]) + s.encode('utf-8'))

# ---- fuzz_handler: byte 0 bits 0-2 config (% 5), 3-5 Content-Type, 6 GET,
# 7 REMOTE_USER line ---------------------------------------------------------

PNG = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00'
ELF = b'\x7fELF\x02\x01\x01\x00' + b'\x00' * 8 + b'\x02\x00\x3e\x00\x01\x00\x00\x00'
HTML = b'<!DOCTYPE html><html><script>alert(1)</script></html>'
PDF = b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n'
import base64 as _b64
for cfg in range(4):
    for b in JSON_BODIES[:12]:
        seed('fuzz_handler', bytes([cfg]) + b)                      # JSON
    for f in FORM_BODIES[:8]:
        seed('fuzz_handler', bytes([cfg | 1 << 3]) + f.encode())    # form
        seed('fuzz_handler', bytes([cfg | 0x40]) + f.encode())      # GET
    seed('fuzz_handler', bytes([cfg]) + js(file_name='n' * 4092 + '.pdf'))
    seed('fuzz_handler', bytes([cfg]) + js(file_name='\U0001f600' * 1000,
                                           file_type='text/plain;a=' + 'b' * 242))
for n in NAMES[:30]:
    seed('fuzz_handler', bytes([1]) + js(file_name=n))
# config 4: users, allowed types, file_head sniffed
for user in ('alice', 'a_b', 'é', '.', '..', 'a b', 'x' * 128, 'x' * 129, '\u202e',
             'alice@example.com', 'a/b', '!conflict', '', 'Ω' * 64):
    for name, ftype, head in (('photo.png', 'image/png', PNG), ('a.pdf', None, PDF),
                              ('x.png', 'image/png', ELF), ('x.png', None, HTML),
                              ('a.txt', 'text/plain;charset=utf-8', b'hello\n'),
                              ('a.exe', 'application/octet-stream', ELF)):
        kw = dict(file_name=name, file_head=_b64.b64encode(head).decode())
        if ftype:
            kw['file_type'] = ftype
        seed('fuzz_handler', bytes([4 | 0x80]) + user.encode() + b'\n' + js(**kw))
seed('fuzz_handler', bytes([4 | 0x80]) + b'bob\n' + js(file_name='a.png', file_head='!!notbase64'))
seed('fuzz_handler', bytes([4 | 0x80]) + b'bob\n' + js(file_name='a.png'))
seed('fuzz_handler', bytes([4 | 0x80]) + b'bob\n' + js(file_name='a.png', file_head='A' * 5464))
seed('fuzz_handler', bytes([4]) + js(file_name='a.png', file_head='iVBORw0KGgo='))

# ---- fuzz_json_strict: the bytes of a JSON text, nothing else -------------
# the cases of issue 15 (what cJSON 1.7.15 takes and reads otherwise), the
# rules of RFC 8259 at their edges, and the request bodies above

STRICT = [
    b'{"file_name":"shell.php\\u00GG.jpg","file_type":"image/jpeg"}',
    b'{"file_name":"a.html","file_type":"text/html\\uZZZZ"}',
    b'{"file_name\\uZZZZjunk":"shell.php","file_name":"a.txt"}',
    b'{"file_name":"a\x01.txt"}', b'{"file_name":"a\tb.txt"}',
    b'\x0b{"file_name":"a.txt"}\x0c', b'{"file_name":"a.txt","n":0001}',
    b'[0,-0,1,-1,1.5,-0.0e+5,1E-5,123456789012345678901234567890,1e999,true,false,null]',
    b'[01]', b'[-]', b'[1.]', b'[.5]', b'[1e]', b'[+1]', b'[NaN]', b'[Infinity]',
    b'[-Infinity]', b'["\\\'"]', b'["\\x41"]', b'["\\u12"]', b'["\\U0041"]',
    b'{"a":1,}', b'[1,]', b'{} x', b'{}{}', b'{"a" 1}', b'"\\ud800"', b'"\\udc00\\ud800"',
    b'"\\ud800\\u0041"', b'"\\ud83d\\ude00"', b'{"\\ud800":1}', b'"\\u0000"',
    b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', b'"\x7f"', b'\xef\xbb\xbf{}', b'\xef\xbb\xbf\xef\xbb\xbf{}',
    b'[' * 32 + b']' * 32, b'[' * 33 + b']' * 33, b'{"a":' * 32 + b'1' + b'}' * 32,
    b']]][[[[' + b'[' * 40, b'',
]
for b in STRICT + JSON_BODIES:
    seed('fuzz_json_strict', b)


def main():
    for target, items in sorted(SEEDS.items()):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for old in glob.glob(os.path.join(d, 'seed-*')):
            os.unlink(old)
        seen = set()
        for data in items:
            h = hashlib.sha1(data).hexdigest()[:16]
            if h in seen:
                continue
            seen.add(h)
            with open(os.path.join(d, 'seed-' + h), 'wb') as f:
                f.write(data)
        print('%s: %d seeds' % (target, len(seen)))


if __name__ == '__main__':
    main()
