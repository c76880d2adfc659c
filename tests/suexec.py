#!/usr/bin/python3
# suexec.py - sign_s3 on a real suEXEC host, as shared hosting runs it:
# Debian's apache2-suexec-custom (or -pristine: whichever
# /usr/lib/apache2/suexec is), Apache as www-data with mod_userdir, and a
# test account made for the test (useradd; removed at the end, on failure
# too) holding
#   ~/public_html/cgi-bin/             the bundle of scripts/cgi-bundle.sh
#                                      (what make cgi-bundle runs), with
#                                      the shipped contrib/htaccess.example
#                                      as its .htaccess
#   ~/.config/sign_s3/sign_s3.conf     the configuration (0600), found
#                                      without SIGN_S3_CONFIG (common/settings.h)
#   ~/.aws/credentials                 the keys, through S3_CREDENTIALS=file
#                                      and AWS_PROFILE set in that file
# Checks: a POST to /~ACCOUNT/cgi-bin/sign_s3.cgi is signed (botocore
# recomputes the signature with the profile's keys: the file's credential
# settings and ~/.aws under the password entry's home reached the chain);
# the process ran as the account (/proc/PID/status of the CGI, held while
# its body is still coming, and suEXEC's own log); the .htaccess SetEnv
# SIGN_S3_CONFIG (pointing at another valid configuration with another key
# prefix) did not reach it (its environment has no SIGN_S3_CONFIG and the
# key has the home file's prefix); the configuration made group-writable,
# or given to another user, is refused: the generic 500 JSON and one log
# line saying why in Apache's error log.
#
# Needs root (useradd, suEXEC) and the packages apache2 and
# apache2-suexec-custom (scripts/deps.sh): skipped, saying so, without them.
# Nothing global is changed: suEXEC's own configuration
# (/etc/apache2/suexec/www-data) is only read; its log
# (/var/log/apache2/suexec.log) gets its usual lines.
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP (the plan comes last).

import atexit
import http.client
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest  # noqa: E402
from itest import (  # noqa: E402
    AK, BUCKET, EXPIRES, LOG_RE, REGION, REPO, SIGN_S3, SK, TOKEN, bail,
    can_connect, check_200, check_error, descendants, finish, free_port,
    need_exe, note, ok, read_lines, start, stop_proc, wait_for)

APACHE = shutil.which('apache2') or '/usr/sbin/apache2'
MODS = '/usr/lib/apache2/modules'
SUEXEC = '/usr/lib/apache2/suexec'
SUEXEC_CUSTOM_CONF = '/etc/apache2/suexec/www-data'
SUEXEC_LOG = '/var/log/apache2/suexec.log'
WEB_USER = 'www-data'
PROFILE = 'suexec-test'
HOME_PREFIX = 'home-file/'
SETENV_PREFIX = 'setenv-file/'

ACCOUNT = None       # (name, uid, gid) once made


def skip_all(why):
    print('1..0 # SKIP %s' % why)
    sys.exit(0)


def run(argv):
    return subprocess.run(argv, capture_output=True, timeout=60)


def suexec_userdir_suffix():
    """Where suEXEC accepts ~user programs, below the home."""
    flavour = os.path.basename(os.path.realpath(SUEXEC))
    if flavour == 'suexec-custom':
        lines = read_lines(SUEXEC_CUSTOM_CONF)
        if len(lines) < 2 or lines[1].startswith('#') or not lines[1].strip():
            skip_all('%s disables userdir requests (line 2)' % SUEXEC_CUSTOM_CONF)
        return flavour, lines[1].strip().strip('/')
    return flavour, 'public_html'      # pristine: compiled in (AP_USERDIR_SUFFIX)


def remove_account():
    """Stops Apache, ends what still runs as the account (by PID), removes
    it: at exit, whatever happened."""
    if not ACCOUNT:
        return
    name, uid, _ = ACCOUNT
    itest.cleanup()             # Apache and everything below it, the temp dir
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            if os.stat('/proc/' + d).st_uid == uid:
                os.kill(int(d), 9)
        except OSError:
            pass
    p = run(['userdel', name])
    if p.returncode != 0:
        print('# userdel %s: %s' % (name, (p.stdout + p.stderr).decode('utf-8', 'replace')))


def make_account(home):
    global ACCOUNT
    name = 's3sx' + secrets.token_hex(4)
    p = run(['useradd', '--home-dir', home, '--create-home', '--user-group',
             '--shell', '/usr/sbin/nologin', name])
    if not ok(p.returncode == 0, 'useradd %s (home %s)' % (name, home),
              [(p.stdout + p.stderr).decode('utf-8', 'replace')]):
        bail('cannot make the test account')
    pw = pwd.getpwnam(name)
    ACCOUNT = (name, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o711)       # Apache (www-data) walks through to public_html
    return ACCOUNT


def chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for x in dirs + files:
            os.lchown(os.path.join(root, x), uid, gid)


def write(path, text, mode, uid, gid):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)
    os.chown(path, uid, gid)


def config_text(prefix):
    # no key in it: the keys come from ~/.aws/credentials, chosen by the
    # credential settings this file holds (refused as unknown names before)
    return ('# sign_s3 on a suEXEC host\n'
            'S3_BUCKET=%s\nS3_REGION=%s\nS3_EXPIRES=%d\nS3_KEY_PREFIX=%s\n'
            'S3_CREDENTIALS=file\nAWS_PROFILE=%s\nAWS_EC2_METADATA_DISABLED=true\n'
            'S3_SANDBOX=1\nS3_LOG_REQUESTS=1\n'
            % (BUCKET, REGION, EXPIRES, prefix, PROFILE))


class Apache:
    def __init__(self, d, account, cgi_parent):
        self.d = d
        os.makedirs(os.path.join(d, 'run'))
        os.makedirs(os.path.join(d, 'htdocs'))
        self.port = free_port()
        self.error_log = os.path.join(d, 'error.log')
        mods = ['mpm_event', 'authz_core', 'authz_host', 'alias', 'env', 'mime', 'dir',
                'cgid', 'rewrite', 'userdir', 'suexec']
        conf = ['ServerRoot "%s"' % d,
                'Listen 127.0.0.1:%d' % self.port,
                'ServerName 127.0.0.1',
                'PidFile %s/run/httpd.pid' % d,
                'ErrorLog %s' % self.error_log,
                'LogLevel notice',
                'DefaultRuntimeDir %s/run' % d,
                'Mutex file:%s/run default' % d,
                'ScriptSock %s/run/cgisock' % d,
                'TypesConfig /etc/mime.types']
        conf += ['LoadModule %s_module %s/mod_%s.so' % (m, MODS, m) for m in mods]
        conf += ['User %s' % WEB_USER, 'Group %s' % WEB_USER,
                 'DocumentRoot %s/htdocs' % d,
                 '<Directory />',
                 '    AllowOverride None',
                 '    Require all denied',
                 '</Directory>',
                 # the shared host: each account's public_html, its
                 # .htaccess files honoured, programs run through suEXEC as
                 # the account (mod_userdir gives suEXEC the ~user)
                 'UserDir public_html',
                 'UserDir disabled',
                 'UserDir enabled %s' % account,
                 '<Directory "%s">' % cgi_parent,
                 '    AllowOverride All',
                 '    Require all granted',
                 '</Directory>']
        self.conf = os.path.join(d, 'httpd.conf')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(conf) + '\n')
        p = run([APACHE, '-f', self.conf, '-t'])
        if not ok(p.returncode == 0, 'apache2 -t accepts the suEXEC/UserDir configuration',
                  [(p.stdout + p.stderr).decode('utf-8', 'replace')]):
            bail('apache config refused')
        self.p = start([APACHE, '-f', self.conf, '-DFOREGROUND'],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(d, 'stderr.log'), 'wb'))
        if not wait_for(lambda: self.p.poll() is None and
                        can_connect(('127.0.0.1', self.port)), 10):
            bail('apache did not start: %s' % '\n'.join(
                read_lines(self.error_log) + read_lines(os.path.join(d, 'stderr.log'))))

    def lines(self):
        return read_lines(self.error_log)

    def sign_s3_lines(self):
        return [ln for ln in self.lines() if ln.startswith('sign_s3[')]


def held_post(port, path, body, inspect):
    """POST body, holding its last bytes back until inspect() (run while
    the CGI waits for them) returns; then the answer."""
    s = socket.create_connection(('127.0.0.1', port), timeout=20)
    head = ('POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
            'Content-Length: %d\r\nConnection: close\r\n\r\n' % (path, len(body)))
    seen = (None, ['(not inspected)'])
    try:
        s.sendall(head.encode() + body[:4])
        seen = inspect()
        s.sendall(body[4:])
        r = http.client.HTTPResponse(s)
        r.begin()
        resp = itest.Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    except (OSError, http.client.HTTPException) as e:
        resp = itest.Resp(0, {}, ('connection error: %r' % (e,)).encode())
    finally:
        s.close()
    return resp, seen


def cgi_procs(ap, prog):
    out = []
    for pid in descendants(ap.p.pid):
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                argv0 = f.read().split(b'\0')[0].decode('utf-8', 'replace')
        except OSError:
            continue
        if os.path.basename(argv0) == prog:
            out.append(pid)
    return out


def proc_view(pid):
    """uid line and environment names of pid (root reads them even from a
    process that made itself non-dumpable)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            uids = [ln.split()[1:] for ln in f if ln.startswith('Uid:')][0]
        with open('/proc/%d/environ' % pid, 'rb') as f:
            env = [e.split(b'=', 1)[0].decode('utf-8', 'replace')
                   for e in f.read().split(b'\0') if e]
        return [int(u) for u in uids], env
    except (OSError, IndexError, ValueError) as e:
        return None, ['(unreadable: %r)' % (e,)]


def main():
    if os.geteuid() != 0:
        skip_all('needs root: useradd and suEXEC (setuid root, run by www-data)')
    if not os.path.isfile(APACHE):
        skip_all('apache2 not installed (scripts/deps.sh)')
    try:
        st = os.stat(SUEXEC)
    except OSError:
        skip_all('no %s: apache2-suexec-custom not installed (scripts/deps.sh)' % SUEXEC)
    if not (st.st_mode & stat.S_ISUID and st.st_uid == 0):
        skip_all('%s is not setuid root' % SUEXEC)
    for m in ('mpm_event', 'cgid', 'rewrite', 'userdir', 'suexec', 'env'):
        if not os.path.isfile(os.path.join(MODS, 'mod_%s.so' % m)):
            bail('apache module %s missing in %s' % (m, MODS))
    for t in ('useradd', 'userdel', 'patchelf'):
        if not shutil.which(t):
            bail('%s not found (scripts/deps.sh)' % t)
    need_exe(SIGN_S3, 'sign_s3 binary (make, or set SIGN_S3)')
    try:
        pwd.getpwnam(WEB_USER)
    except KeyError:
        bail('no user %s' % WEB_USER)
    flavour, suffix = suexec_userdir_suffix()
    if suffix != 'public_html' and not suffix.startswith('public_html/'):
        skip_all('suEXEC userdir suffix %r is not under public_html' % suffix)

    tmp = itest.init('sign_s3-suexec.', alarm=150)
    atexit.register(remove_account)    # runs first: before itest's own cleanup
    t0 = time.monotonic()
    note('binary %s, temp %s, %s (userdir suffix %s)' % (SIGN_S3, tmp, flavour, suffix))
    os.makedirs(os.path.join(tmp, 'home'), mode=0o755)
    home = os.path.join(tmp, 'home', 'acct')
    name, uid, gid = make_account(home)

    # the bundle, as make cgi-bundle makes it, in ~/public_html/cgi-bin/
    out = os.path.join(tmp, 'bundle')
    p = run([os.path.join(REPO, 'scripts', 'cgi-bundle.sh'), out, SIGN_S3])
    if not ok(p.returncode == 0, 'scripts/cgi-bundle.sh (make cgi-bundle) builds the bundle',
              [(p.stdout + p.stderr).decode('utf-8', 'replace')]):
        bail('no bundle')
    public = os.path.join(home, 'public_html')
    cgi = os.path.join(home, 'public_html', 'cgi-bin')
    os.makedirs(public, mode=0o755)
    shutil.move(os.path.join(out, 'sign_s3-cgi'), cgi)
    # the shipped .htaccess, as a user would edit it: SIGN_S3_CONFIG set to
    # another valid configuration, which suEXEC must keep from the program
    setenv_conf = os.path.join(tmp, 'setenv.conf')
    write(setenv_conf, config_text(SETENV_PREFIX), 0o644, 0, 0)
    with open(os.path.join(cgi, 'htaccess.example')) as f:
        ht = f.read()
    want = 'SetEnv SIGN_S3_CONFIG /home/USER/.config/sign_s3/sign_s3.conf'
    if not ok(ht.count(want) == 1, 'the shipped .htaccess sets SIGN_S3_CONFIG with SetEnv',
              ['no line %r' % want]):
        bail('htaccess.example changed')
    with open(os.path.join(cgi, '.htaccess'), 'w') as f:
        f.write(ht.replace('/home/USER/.config/sign_s3/sign_s3.conf', setenv_conf))
    for x in os.listdir(cgi):
        os.chmod(os.path.join(cgi, x), 0o755 if x in ('sign_s3.cgi', 'lib') else 0o644)
    os.chmod(cgi, 0o755)
    chown_tree(public, uid, gid)

    # the configuration in the home, outside public_html, 0600
    confdir = os.path.join(home, '.config', 'sign_s3')
    os.makedirs(confdir, mode=0o700)
    chown_tree(os.path.join(home, '.config'), uid, gid)
    os.chmod(os.path.join(home, '.config'), 0o700)
    conf = os.path.join(confdir, 'sign_s3.conf')
    write(conf, config_text(HOME_PREFIX), 0o600, uid, gid)
    os.makedirs(os.path.join(home, '.aws'), mode=0o700)
    os.chown(os.path.join(home, '.aws'), uid, gid)
    # [default] holds other keys: a profile not taken from the file would
    # give a signature botocore does not agree with
    write(os.path.join(home, '.aws', 'credentials'),
          '[default]\naws_access_key_id = AKIDEFAULTNOTTHISONE\n'
          'aws_secret_access_key = notthesecretnotthesecretnotthesecret0000\n\n'
          '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
          'aws_session_token = %s\n' % (PROFILE, AK, SK, TOKEN), 0o600, uid, gid)

    log_before = os.path.getsize(SUEXEC_LOG) if os.path.exists(SUEXEC_LOG) else 0
    ap = Apache(os.path.join(tmp, 'apache'), name, public)
    ok(any('suEXEC mechanism enabled' in ln for ln in ap.lines()),
       'Apache runs CGI programs through suEXEC (%s)' % SUEXEC, ap.lines()[-10:])
    url = '/~%s/cgi-bin/sign_s3.cgi' % name
    body = json.dumps({'file_name': 'shared host.png', 'file_type': 'image/png'}).encode()

    def inspect():
        pids = wait_for(lambda: cgi_procs(ap, 'sign_s3.cgi'), 10)
        return proc_view(pids[0]) if pids else (None, ['(no sign_s3.cgi below Apache)'])

    r, (uids, env) = held_post(ap.port, url, body, inspect)
    check_200('POST %s -> 200, the signature = botocore\'s with the profile\'s keys' % url,
              r, 'image/png')
    key = (r.json or {}).get('key', '')
    ok(key.startswith(HOME_PREFIX), 'the key has the prefix of ~/.config/sign_s3/sign_s3.conf '
       '(%s...), not the SetEnv file\'s (%s)' % (HOME_PREFIX, SETENV_PREFIX), [repr(key)])
    ok(uids is not None and all(u == uid for u in uids),
       'the CGI process ran as %s: /proc/PID/status Uid = %s, the account is %d'
       % (name, uids, uid), env)
    ok(uids is not None and 'SIGN_S3_CONFIG' not in env and 'HOME' not in env,
       'its environment has no SIGN_S3_CONFIG (the .htaccess SetEnv was dropped) and no HOME',
       ['environment names: %s' % ' '.join(sorted(env))])
    ok(uids is not None and 'GATEWAY_INTERFACE' in env and 'REQUEST_METHOD' in env,
       'its environment is suEXEC\'s safe list (GATEWAY_INTERFACE, REQUEST_METHOD, ...)',
       ['environment names: %s' % ' '.join(sorted(env))])
    lines = ap.sign_s3_lines()
    ok(len(lines) == 1 and LOG_RE.match(lines[0]) and ' 200 POST ' in lines[0] and
       'signed ' + HOME_PREFIX in lines[0],
       'one log line for the 200 (S3_LOG_REQUESTS=1 from the home file) in Apache\'s error log',
       lines[-5:])
    try:
        with open(SUEXEC_LOG, 'rb') as f:
            f.seek(log_before)
            sx = f.read().decode('utf-8', 'replace').splitlines()
    except OSError as e:
        sx = ['(%r)' % (e,)]
    ok(any('uid: (%d/%s)' % (uid, name) in ln and 'sign_s3.cgi' in ln for ln in sx),
       'suEXEC\'s log: sign_s3.cgi run as uid %d/%s' % (uid, name), sx[-5:])

    # a GET as well, through the same program
    r = itest.hreq(ap.port, 'GET', url + '?file_name=a.txt')
    check_200('GET %s?file_name=a.txt -> 200' % url, r, 'text/plain')

    # the ownership and mode rule, in front of a real suEXEC
    def refused(why_re, desc):
        n0 = len(ap.sign_s3_lines())
        r = itest.hreq(ap.port, 'POST', url, body, {'Content-Type': 'application/json'})
        check_error('%s -> the generic 500 JSON' % desc, r, 500, 'Internal Server Error',
                    'An internal server error occurred')
        new = ap.sign_s3_lines()[n0:]
        ok(len(new) == 1 and 'configuration error: configuration file: %s: refused: %s'
           % (conf, why_re) in new[0] and 'AKIA' not in new[0],
           '%s: one log line saying why' % desc, new[-3:] or ap.lines()[-5:])

    os.chmod(conf, 0o620)
    refused('writable by group (mode 0620; chmod go-w)', 'the configuration group-writable')
    os.chmod(conf, 0o602)
    refused('writable by others (mode 0602; chmod go-w)', 'the configuration other-writable')
    os.chmod(conf, 0o600)
    www = pwd.getpwnam(WEB_USER)
    os.chown(conf, www.pw_uid, www.pw_gid)
    os.chmod(conf, 0o644)
    refused('owned by uid %d, not by the running user (uid %d) or root' % (www.pw_uid, uid),
            'the configuration owned by %s' % WEB_USER)
    write(conf, config_text(HOME_PREFIX), 0o600, uid, gid)
    r = itest.hreq(ap.port, 'POST', url, body, {'Content-Type': 'application/json'})
    check_200('mode 0600 and the account\'s again -> 200', r, 'image/png')

    ap_pid = ap.p.pid
    stop_proc(ap.p, 15, 10)
    note('apache %d stopped' % ap_pid)
    return finish(t0)


if __name__ == '__main__':
    sys.exit(main())
