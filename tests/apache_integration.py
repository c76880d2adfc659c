#!/usr/bin/python3
# apache_integration.py - sign_s3 under a real Apache 2.4, on the contrib/
# examples: each phase runs Apache (own minimal main config, everything in
# a temp dir, a free 127.0.0.1 port) with one example included, its paths
# replaced (each must occur as often as expected, so the examples cannot
# drift away from what is tested):
#
#   cgi        contrib/apache-cgi.conf         mod_cgid, one process a request
#   proxy      contrib/apache-proxy-fcgi.conf  mod_proxy_fcgi -> sign_s3
#                                              --listen unix:SOCK (--user
#                                              www-data when run as root)
#   fcgid      contrib/apache-fcgid.conf       mod_fcgid spawns sign_s3
#   htaccess   contrib/htaccess.example        the scripts/cgi-bundle.sh
#                                              bundle in public_html/api/
#
# Each: POST JSON / form / GET -> 200 with every signature recomputed by
# botocore, 400 / 405 + Allow / 415 / sign_s3's 413 as JSON, one log line
# per refusal in the documented format (in Apache's error log for CGI and
# fcgid, on sign_s3's own stderr for proxy_fcgi, and then nothing of it in
# Apache's error log). A chunked request body is a known TODO under CGI
# (Apache passes no CONTENT_LENGTH). Skipped when apache2 is not installed
# (Debian packages apache2 and libapache2-mod-fcgid).
#
# Binary: $SIGN_S3 (absolute path) if set, else <repo>/build/sign_s3.
# Output: TAP (the plan comes last). Exit 0 only when every test passes.

import json
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import itest  # noqa: E402
from itest import (  # noqa: E402
    API, LOG_RE, REPO, SIGN_S3, alive, bail, can_connect, check_200,
    check_error, children, descendants, finish, free_port, hreq, http_checks,
    kill_tree, need_exe, note, ok, post_json, read_lines, sign_s3_env, start,
    stop_proc, wait_for)

APACHE = shutil.which('apache2') or '/usr/sbin/apache2'
MODS = '/usr/lib/apache2/modules'
CONTRIB = os.path.join(REPO, 'contrib')
FRONT = {'name': 'Apache', 'limit': 65536, 'json': False}
ROOT = os.geteuid() == 0
WEB_USER = 'www-data'


def have_module(name):
    return os.path.isfile(os.path.join(MODS, 'mod_%s.so' % name))


def derive(path, subs):
    """The example with [(old, new, expected count)] replaced in its
    directives (comment lines are left alone and not counted)."""
    with open(path) as f:
        lines = f.read().split('\n')
    for old, new, count in subs:
        n = 0
        for i, line in enumerate(lines):
            if not line.lstrip().startswith('#') and old in line:
                n += line.count(old)
                lines[i] = line.replace(old, new)
        if n != count:
            bail('%s has %d x %r outside comments, want %d' % (path, n, old, count))
    return '\n'.join(lines)


class Apache:
    def __init__(self, name, site_text, modules, extra='', docroot=None):
        self.name = name
        self.d = os.path.join(itest.TMP, 'apache-' + name)
        os.makedirs(os.path.join(self.d, 'run'))
        os.makedirs(os.path.join(self.d, 'htdocs'))
        self.port = free_port()
        self.error_log = os.path.join(self.d, 'error.log')
        site = os.path.join(self.d, 'site.conf')
        with open(site, 'w') as f:
            f.write(site_text)
        mods = ['mpm_event', 'authz_core', 'authz_host', 'alias', 'env', 'mime',
                'dir'] + modules
        conf = ['ServerRoot "%s"' % self.d,
                'Listen 127.0.0.1:%d' % self.port,
                'ServerName 127.0.0.1',
                'PidFile %s/run/httpd.pid' % self.d,
                'ErrorLog %s' % self.error_log,
                'LogLevel warn',
                'DefaultRuntimeDir %s/run' % self.d,
                'Mutex file:%s/run default' % self.d,
                'TypesConfig /etc/mime.types']
        conf += ['LoadModule %s_module %s/mod_%s.so' % (m, MODS, m) for m in mods]
        if ROOT:
            conf += ['User %s' % WEB_USER, 'Group %s' % WEB_USER]
        conf += ['DocumentRoot %s' % (docroot or os.path.join(self.d, 'htdocs')),
                 '<Directory />',
                 '    AllowOverride None',
                 '    Require all denied',
                 '</Directory>',
                 extra,
                 'Include %s' % site]
        self.conf = os.path.join(self.d, 'httpd.conf')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(conf) + '\n')
        p = subprocess.run([APACHE, '-f', self.conf, '-t'], capture_output=True,
                           timeout=20)
        good = p.returncode == 0
        ok(good, '%s: apache2 -t accepts the config with the example' % name,
           [(p.stdout + p.stderr).decode('utf-8', 'replace')])
        if not good:
            bail('apache config refused')
        self.p = start([APACHE, '-f', self.conf, '-DFOREGROUND'],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(self.d, 'stderr.log'), 'wb'))
        up = wait_for(lambda: self.p.poll() is None and
                      can_connect(('127.0.0.1', self.port)), 10)
        if not up:
            bail('%s: apache did not start: %s' % (
                name, '\n'.join(read_lines(self.error_log) +
                                read_lines(os.path.join(self.d, 'stderr.log')))))

    def sign_s3_lines(self):
        """sign_s3's log lines in Apache's error log (CGI and mod_fcgid pass
        the program's stderr through as it is)."""
        return [ln for ln in read_lines(self.error_log) if ln.startswith('sign_s3[')]

    def procs(self, path):
        """PIDs below Apache running the program at path."""
        out = []
        for pid in descendants(self.p.pid):
            try:
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    argv0 = f.read().split(b'\0')[0].decode('utf-8', 'replace')
            except OSError:
                continue
            if argv0 == path or os.path.basename(argv0) == os.path.basename(path):
                out.append(pid)
        return out

    def stop(self):
        below = descendants(self.p.pid)
        itest.PIDS.update(below)
        stop_proc(self.p, 15, 10)
        return below


def copy_binary(d):
    os.makedirs(os.path.join(d, 'cgi-bin'), exist_ok=True)
    dst = os.path.join(d, 'cgi-bin', 'sign_s3')
    shutil.copy(SIGN_S3, dst)
    os.chmod(dst, 0o755)
    return dst


def phase_cgi():
    ph = 'cgi'
    d = os.path.join(itest.TMP, 'bin-cgi')
    binpath = copy_binary(d)
    site = derive(os.path.join(CONTRIB, 'apache-cgi.conf'), [
        ('/usr/lib/cgi-bin/sign_s3', binpath, 1),
        ('/etc/sign_s3/sign_s3.conf', os.path.join(itest.TMP, 'sign_s3.conf'), 1)])
    ap = Apache(ph, site, ['cgid'],
                'ScriptSock %s/run/cgisock' % os.path.join(itest.TMP, 'apache-cgi'))
    http_checks('%s (mod_cgid)' % ph, ap.port, ap.sign_s3_lines, None, FRONT)
    ap.stop()


def route_checks(ph, port):
    """Uppy's routes (cgi/route.h) through the example's /api/s3/ location:
    mod_proxy_fcgi's SCRIPT_NAME and PATH_INFO pick them (no S3 call)."""
    r = hreq(port, 'GET', '/api/s3/params?filename=a%20b.txt&type=text%2Fplain')
    try:
        b = json.loads(r.body)
    except ValueError:
        b = {}
    ok(r.status == 200 and b.get('method') == 'PUT' and
       b.get('headers') == {'content-type': 'text/plain'} and '/a_b.txt?' in b.get('url', ''),
       '%s: GET /api/s3/params -> 200, a presigned PUT' % ph, [repr(r)])
    r = hreq(port, 'GET', '/api/s3/multipart/VXBsb2Fk?key=other/'
             '0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a.txt')
    ok(r.status == 403, '%s: a key of another prefix -> 403' % ph, [repr(r)])
    r = hreq(port, 'PUT', '/api/s3/multipart/VXBsb2Fk?key=x', body=b'')
    ok(r.status == 405 and r.headers.get('allow') == 'GET, DELETE',
       '%s: PUT /api/s3/multipart/ID -> 405, Allow: GET, DELETE' % ph, [repr(r)])
    r = hreq(port, 'GET', '/api/s3/sts')
    ok(r.status == 404, '%s: GET /api/s3/sts -> 404' % ph, [repr(r)])


def phase_proxy():
    ph = 'proxy_fcgi'
    # as the docs say: the socket's directory belongs to the --user, so the
    # socket can be removed after privileges are dropped
    sdir = os.path.join(itest.TMP, 'p-run')
    os.makedirs(sdir, mode=0o750)
    if ROOT:
        pw = pwd.getpwnam(WEB_USER)
        os.chown(sdir, pw.pw_uid, pw.pw_gid)
    sock = os.path.join(sdir, 'sign_s3.sock')
    log = os.path.join(itest.TMP, 'p-sign_s3.log')
    argv = [SIGN_S3, '--listen', 'unix:' + sock, '--workers', '2']
    if ROOT:
        argv += ['--user', WEB_USER]
    p = start(argv, env=sign_s3_env(), stdin=subprocess.DEVNULL,
              stdout=subprocess.DEVNULL, stderr=open(log, 'wb'))
    up = wait_for(lambda: p.poll() is None and can_connect(sock)
                  and len(children(p.pid)) == 2, 10)
    ok(up, '%s: sign_s3 %s is up' % (ph, ' '.join(argv[1:])), read_lines(log)[:10])
    if not up:
        kill_tree(p)
        return
    itest.PIDS.update(children(p.pid))
    if ROOT:
        uid = pwd.getpwnam(WEB_USER).pw_uid
        uids = {}
        for w in children(p.pid):
            with open('/proc/%d/status' % w) as f:
                for line in f:
                    if line.startswith('Uid:'):
                        uids[w] = [int(x) for x in line.split()[1:]]
        ok(uids and all(set(u) == {uid} for u in uids.values()),
           '%s: --user %s: every worker runs as uid %d (real, effective, saved)'
           % (ph, WEB_USER, uid), ['%r' % uids])
        st = os.stat(sock)
        gid = pwd.getpwnam(WEB_USER).pw_gid
        ok(st.st_uid == 0 and st.st_gid == gid and (st.st_mode & 0o777) == 0o660,
           '%s: the socket is mode 0660, root:%s (made before the drop; %s\'s '
           'group lets Apache in)' % (ph, WEB_USER, WEB_USER),
           ['uid %d gid %d mode %o' % (st.st_uid, st.st_gid, st.st_mode & 0o777)])
    site = derive(os.path.join(CONTRIB, 'apache-proxy-fcgi.conf'), [
        ('/run/sign_s3/sign_s3.sock', sock, 3)])
    ap = Apache(ph, site, ['proxy', 'proxy_fcgi'])
    http_checks(ph, ap.port, log, lambda: children(p.pid), FRONT)
    route_checks(ph, ap.port)
    leaked = [ln for ln in read_lines(ap.error_log)
              if 'sign_s3[' in ln or 'AH01071' in ln]
    ok(not leaked, '%s: nothing of sign_s3 in Apache\'s error log (not on the '
       'FastCGI stderr stream)' % ph, leaked[:5])
    kids = children(p.pid)
    itest.PIDS.update(kids)
    p.send_signal(15)
    try:
        p.wait(timeout=5)
        exited = p.returncode == 0
    except subprocess.TimeoutExpired:
        exited = False
    gone = wait_for(lambda: not os.path.exists(sock)
                    and not [k for k in kids if alive(k)], 2)
    ok(exited and gone, '%s: SIGTERM (%s): exits 0 within 5 s, no worker left, '
       'socket removed' % (ph, ' '.join(argv[3:])),
       ['exited %s, workers alive %r, socket exists %s'
        % (exited, [k for k in kids if alive(k)], os.path.exists(sock))])
    kill_tree(p)
    r = post_json(ap.port, {'file_name': 'x.png'})
    ok(r.status == 503, '%s: with sign_s3 gone, Apache answers 503' % ph, [repr(r)])
    ap.stop()


def phase_fcgid():
    ph = 'fcgid'
    d = os.path.join(itest.TMP, 'bin-fcgid')
    binpath = copy_binary(d)
    site = derive(os.path.join(CONTRIB, 'apache-fcgid.conf'), [
        ('/usr/lib/cgi-bin/sign_s3', binpath, 1),
        ('/etc/sign_s3/sign_s3.conf', os.path.join(itest.TMP, 'sign_s3.conf'), 1)])
    ad = os.path.join(itest.TMP, 'apache-fcgid')
    ap = Apache(ph, site, ['fcgid'],
                'FcgidIPCDir %s/run/fcgid\nFcgidProcessTableFile %s/run/fcgid_shm'
                % (ad, ad))
    http_checks('%s (mod_fcgid)' % ph, ap.port, ap.sign_s3_lines,
                lambda: ap.procs(binpath))
    # mod_fcgid reads the body first, up to FcgidMaxRequestLen (128 KiB):
    # sign_s3 itself refuses a larger one than S3_MAX_BODY, chunked or not
    huge = json.dumps({'file_name': 'a.png', 'pad': 'x' * 70000}).encode()
    for how in ('', 'chunked '):
        check_error('%s: %sPOST of %d bytes (under FcgidMaxRequestLen) -> '
                    'sign_s3\'s 413 JSON' % (ph, how, len(huge)),
                    hreq(ap.port, 'POST', API, huge, {'Content-Type': 'application/json'},
                         chunked=bool(how)), 413, 'Payload Too Large')
    running = ap.procs(binpath)
    pids = {LOG_RE.match(ln).group(1) for ln in ap.sign_s3_lines() if LOG_RE.match(ln)}
    ok(running and len(pids) <= len(running) + 1,
       '%s: mod_fcgid keeps sign_s3 running between requests (FastCGI, not '
       'CGI): %d process(es) logged, %d running' % (ph, len(pids), len(running)),
       ['logging PIDs %r, running %r' % (sorted(pids), running)])
    below = ap.stop()
    left = wait_for(lambda: not [k for k in below if alive(k)], 5)
    ok(left, '%s: Apache stopped: no sign_s3 process left' % ph,
       ['alive: %r' % [k for k in below if alive(k)]])


def phase_htaccess():
    ph = 'htaccess bundle'
    if not shutil.which('patchelf'):
        ok(True, '%s # SKIP patchelf not installed (needed by scripts/cgi-bundle.sh)' % ph)
        return
    out = os.path.join(itest.TMP, 'bundle')
    p = subprocess.run([os.path.join(REPO, 'scripts', 'cgi-bundle.sh'), out, SIGN_S3],
                       capture_output=True, timeout=60)
    if not ok(p.returncode == 0, '%s: scripts/cgi-bundle.sh' % ph,
              [(p.stdout + p.stderr).decode('utf-8', 'replace')]):
        return
    site_dir = os.path.join(itest.TMP, 'site')
    public = os.path.join(site_dir, 'public_html')
    os.makedirs(public)
    api = os.path.join(public, 'api')
    shutil.move(os.path.join(out, 'sign_s3-cgi'), api)
    conf = os.path.join(itest.TMP, 'sign_s3.conf')      # outside public_html
    ht = derive(os.path.join(api, 'htaccess.example'), [
        ('/home/USER/.config/sign_s3/sign_s3.conf', conf, 1)])
    with open(os.path.join(api, '.htaccess'), 'w') as f:
        f.write(ht)
    # a configuration left in the web directory by mistake must not be served
    shutil.copy(conf, os.path.join(api, 'sign_s3.conf'))
    os.chmod(os.path.join(api, 'sign_s3.conf'), 0o644)
    ad = os.path.join(itest.TMP, 'apache-htaccess')
    extra = ('ScriptSock %s/run/cgisock\n'
             '<Directory "%s">\n'
             '    AllowOverride All\n'
             '    Require all granted\n'
             '</Directory>' % (ad, public))
    ap = Apache('htaccess', '# the site is public_html/ and its .htaccess files\n',
                ['cgid', 'rewrite'], extra, docroot=public)

    check_200('%s: POST /api/sign_s3 (rewritten to sign_s3.cgi) -> 200, signature = botocore'
              % ph, post_json(ap.port, {'file_name': 'shared host.png', 'file_type': 'image/png'}),
              'image/png')
    check_200('%s: GET /api/sign_s3?file_name=a.txt -> 200' % ph,
              hreq(ap.port, 'GET', API + '?file_name=a.txt'), 'text/plain')
    check_error('%s: no file_name -> 400 JSON' % ph,
                post_json(ap.port, {'file_type': 'image/png'}), 400, 'Bad Request')
    n = len(ap.sign_s3_lines())
    ok(n == 1 and LOG_RE.match(ap.sign_s3_lines()[0]),
       '%s: the 400 is one line in the documented format in Apache\'s error log' % ph,
       ap.sign_s3_lines()[:5])
    libs = sorted(x for x in os.listdir(os.path.join(api, 'lib')) if '.so' in x)
    for path in ['/api/sign_s3.conf', '/api/sign_s3.conf.example', '/api/README.txt',
                 '/api/htaccess.example', '/api/.htaccess', '/api/lib/.htaccess',
                 '/api/lib/'] + ['/api/lib/' + x for x in libs[:2]]:
        r = hreq(ap.port, 'GET', path)
        ok(r.status in (403, 404) and b'AWS_SECRET' not in r.body and
           b'\x7fELF' not in r.body,
           '%s: GET %s is refused (%s)' % (ph, path, r.status), [repr(r)])
    ap.stop()


def main():
    if not os.path.isfile(APACHE):
        print('1..0 # SKIP apache2 not installed (apt-get install apache2 '
              'libapache2-mod-fcgid)')
        return 0
    need_exe(SIGN_S3, 'sign_s3 binary (make, or set SIGN_S3)')
    for m in ('mpm_event', 'cgid', 'proxy_fcgi', 'rewrite'):
        if not have_module(m):
            bail('apache module %s missing in %s' % (m, MODS))
    if ROOT:
        try:
            pwd.getpwnam(WEB_USER)
        except KeyError:
            bail('no user %s' % WEB_USER)
    itest.init('sign_s3-apache.', alarm=150)
    # the CGI programs run as www-data: they must read the test configuration
    os.chmod(os.path.join(itest.TMP, 'sign_s3.conf'), 0o644)
    note('binary %s, temp %s' % (SIGN_S3, itest.TMP))
    t0 = time.monotonic()
    phase_cgi()
    phase_proxy()
    if have_module('fcgid'):
        phase_fcgid()
    else:
        ok(True, 'fcgid # SKIP mod_fcgid not installed (libapache2-mod-fcgid)')
    phase_htaccess()
    return finish(t0)


if __name__ == '__main__':
    sys.exit(main())
