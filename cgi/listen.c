/* listen.c - own listener with prefork workers (see listen.h). */
#include "broker.h"
#include "date.h"
#include "listen.h"
#include "serve.h"
#include "stats.h"

#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int usage(const char *msg)
{
	fprintf(stderr, "sign_s3: %s\nTry 'sign_s3 --help'.\n", msg);
	return 2;
}

/* --socket-mode: 1 to 4 octal digits, no bit beyond 0777, never o+w */
static int parse_mode(const char *v, struct listen_opts *o)
{
	unsigned long m;

	if (strlen(v) > 4 || strspn(v, "01234567") != strlen(v))
		return usage("--socket-mode must be an octal mode from 0000 to 0777, e.g. 0660");
	m = strtoul(v, NULL, 8);
	if (m & ~0777UL)
		return usage("--socket-mode must be an octal mode from 0000 to 0777, e.g. 0660");
	if (m & S_IWOTH)
		return usage("--socket-mode: a world-writable socket lets every local user "
		             "send requests as any REMOTE_USER; let the web server in with "
		             "--socket-group instead");
	o->socket_mode = (mode_t)m;
	o->has_mode = 1;
	return 0;
}

/* --socket-group: a name, or a number as chown(1) takes it; resolved once */
static int parse_group(const char *v, struct listen_opts *o)
{
	struct group *gr;

	if (strspn(v, "0123456789") == strlen(v)) {
		char *end;
		unsigned long g;

		errno = 0;
		g = strtoul(v, &end, 10);
		if (errno || *end || (gid_t)g != g || (gid_t)g == (gid_t)-1)
			return usage("--socket-group: group number out of range");
		o->socket_gid = (gid_t)g;
	} else {
		gr = getgrnam(v);
		if (!gr) {
			fprintf(stderr, "sign_s3: --socket-group: no such group: %s\n", v);
			return 2;
		}
		o->socket_gid = gr->gr_gid;
	}
	o->has_group = 1;
	return 0;
}

int listen_parse_args(int argc, char **argv, struct listen_opts *o, int activated_fd)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->socket_mode = LISTEN_SOCKET_MODE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (strcmp(a, "--listen") && strcmp(a, "--workers") && strcmp(a, "--user") &&
		    strcmp(a, "--socket-mode") && strcmp(a, "--socket-group"))
			return usage("unknown argument (see --help)");
		if (!v || !*v)
			return usage("option needs a value");
		i++;
		if (!strcmp(a, "--listen")) {
			o->addr = v;
		} else if (!strcmp(a, "--user")) {
			o->user = v;
		} else if (!strcmp(a, "--socket-mode")) {
			rc = parse_mode(v, o);
		} else if (!strcmp(a, "--socket-group")) {
			rc = parse_group(v, o);
		} else {
			char *end;
			long n;

			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || *end || n < 1 || n > LISTEN_MAX_WORKERS)
				return usage("--workers must be an integer from 1 to 256");
			o->workers = (int)n;
		}
		if (rc)
			return rc;
	}
	if (activated_fd >= 0) {
		if (o->addr)
			return usage("--listen: systemd passed a socket (LISTEN_FDS) to serve; "
			             "give one or the other");
		if (o->has_mode || o->has_group)
			return usage("--socket-mode and --socket-group: the socket unit's "
			             "SocketMode= and SocketGroup= set the passed socket's");
		o->fd = activated_fd;
		sd_listen_describe(activated_fd, o->desc, sizeof o->desc);
		o->addr = o->desc;
		return 0;
	}
	if (!o->addr)
		return usage("--listen ADDR is required");
	if (strlen(o->addr) >= LISTEN_MAX_ADDR)
		return usage("--listen address too long");
	if (strncmp(o->addr, "unix:", 5) && !strchr(o->addr, ':'))
		return usage("--listen takes unix:/path or HOST:PORT");
	if ((o->has_mode || o->has_group) && strncmp(o->addr, "unix:", 5))
		return usage("--socket-mode and --socket-group apply to --listen unix:PATH only");
	return 0;
}

/* What bind() made at path must be what was asked for: a default ACL on
 * the directory replaces the umask, a set-group-ID directory imposes its
 * group. Only looks (lstat): nothing is changed by path. */
static int check_socket_file(const char *path, mode_t mode, int want_gid, gid_t gid)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		fprintf(stderr, "sign_s3: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "sign_s3: %s is not the socket just made\n", path);
		return -1;
	}
	if (st.st_mode & 07777 & ~mode) {
		fprintf(stderr, "sign_s3: socket %s came out mode %04o, wider than %04o "
		        "(a default ACL on its directory?); refusing to serve on it\n",
		        path, (unsigned)(st.st_mode & 07777), (unsigned)mode);
		return -1;
	}
	if (want_gid && st.st_gid != gid) {
		fprintf(stderr, "sign_s3: socket %s came out group %ld, not %ld (a "
		        "set-group-ID directory?); refusing to serve on it\n",
		        path, (long)st.st_gid, (long)gid);
		return -1;
	}
	return 0;
}

/* Whether path's directory is set-group-ID with group gid: then bind()
 * gives the socket that group without switching ours. */
static int dir_gives_group(const char *path, gid_t gid)
{
	char dir[LISTEN_MAX_ADDR];
	const char *slash = strrchr(path, '/');
	size_t len = slash && slash > path ? (size_t)(slash - path) : 1;
	struct stat st;

	if (len >= sizeof dir)
		return 0;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISGID) &&
	       st.st_gid == gid;
}

/* A unix socket's file gets its mode and group from bind() itself: mode
 * 0777 & ~umask, owner and group the effective (fs) uid and gid (or the
 * directory's group if it is set-group-ID). So the umask is set to
 * ~mode and the effective gid to the socket's group around the bind, and
 * both are restored at once; nothing is chmod'ed or chown'ed by path
 * afterwards (that would leave the socket reachable with the wrong access
 * until then, and act on whatever the path names by then). fchown on the
 * socket descriptor cannot do it: on Linux it changes the socket's inode,
 * not the file bind() makes. setegid needs root (or the group as the real
 * or saved gid: the primary group of whoever starts us); an unprivileged
 * service puts its socket in a set-group-ID directory of the web server's
 * group instead (then no switch is needed, or made). The owner
 * stays who started us (root with --user: the workers cannot change the
 * socket's access). */
static int open_socket(const struct listen_opts *o)
{
	const char *path = !strncmp(o->addr, "unix:", 5) ? o->addr + 5 : NULL;
	gid_t egid = getegid();
	int want_gid = o->has_group || o->user;
	gid_t gid = o->has_group ? o->socket_gid : o->user_gid;
	int switched = 0, fd, err;
	mode_t mask = 0;

	if (o->fd >= 0)
		return o->fd;            /* passed by systemd, bound and listening */
	if (path && path[0] != '/') {
		fprintf(stderr, "sign_s3: --listen unix: needs an absolute path\n");
		return -1;
	}
	if (FCGX_Init() != 0)
		return -1;
	if (path && want_gid && gid != egid && !dir_gives_group(path, gid)) {
		if (setegid(gid) != 0) {
			fprintf(stderr, "sign_s3: cannot make the socket with group %ld: "
			        "setegid: %s (needs root, or that group as our primary "
			        "group, or a set-group-ID directory of that group)\n",
			        (long)gid, strerror(errno));
			return -1;
		}
		switched = 1;
	}
	if (path)
		mask = umask(~o->socket_mode & 0777);
	/* libfcgi binds HOST:PORT (":PORT" would mean every address), or a
	 * unix path, replacing a stale socket file */
	fd = FCGX_OpenSocket(path ? path : o->addr, LISTEN_BACKLOG);
	err = errno;
	if (path)
		umask(mask);
	if (switched && setegid(egid) != 0) {
		fprintf(stderr, "sign_s3: setegid back: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0) {
		fprintf(stderr, "sign_s3: cannot listen on %s: %s\n", o->addr, strerror(err));
		return -1;
	}
	if (path && check_socket_file(path, o->socket_mode, o->has_group, gid) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int listen_user_env(struct listen_opts *o)
{
	struct passwd *pw;

	if (!o->user)
		return 0;
	pw = getpwnam(o->user);
	if (!pw) {
		fprintf(stderr, "sign_s3: --user: no such user\n");
		return 2;
	}
	o->user_uid = pw->pw_uid;
	o->user_gid = pw->pw_gid;
	if (setenv("HOME", pw->pw_dir, 1) || setenv("USER", pw->pw_name, 1) ||
	    setenv("LOGNAME", pw->pw_name, 1)) {
		fprintf(stderr, "sign_s3: --user: %s\n", strerror(errno));
		return 2;
	}
	return 0;
}

/* to the --user resolved by listen_user_env */
static int drop_privileges(const struct listen_opts *o)
{
	if (initgroups(o->user, o->user_gid) != 0 || setgid(o->user_gid) != 0 ||
	    setuid(o->user_uid) != 0) {
		fprintf(stderr, "sign_s3: cannot become %s: %s\n", o->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 && o->user_uid != 0) {
		fprintf(stderr, "sign_s3: privileges could not be dropped\n");
		return -1;
	}
	return 0;
}

static pid_t spawn(struct s3_app *app, int fd, const struct sandbox_plan *plan, int slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		char err[SANDBOX_ERRMAX];
		struct sigaction sa;

		s3_stats_pool_worker((unsigned)slot);

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		serve_install_signals();
		/* the parent blocks SIGCHLD/SIGTERM/SIGINT outside its waits and
		 * the mask is inherited: unblock, or SIGTERM never reaches us */
		sigemptyset(&sa.sa_mask);
		sigprocmask(SIG_SETMASK, &sa.sa_mask, NULL);
		if (plan && broker_prepare(plan, err, sizeof err) != S3_OK)
			fprintf(stderr, "sign_s3[%ld]: %s\n", (long)getpid(), err);
		if (plan && sandbox_install(plan->mode, err, sizeof err) != S3_OK)
			fprintf(stderr, "sign_s3[%ld]: %s; serving without it\n",
			        (long)getpid(), err);
		_exit(serve_fastcgi(app, fd));
	}
	return pid;
}

static void on_chld(int sig)
{
	(void)sig;   /* only interrupts the parent's wait */
}

/* The pool: a slot per worker. An empty slot (pid 0) is filled once its
 * due time has come: at once after a worker exits, later when workers
 * exit too often (a crash loop) or fork() failed (backing off). Times
 * are CLOCK_MONOTONIC milliseconds: deadlines, so a signal that wakes
 * the parent early never shortens a back-off. */
struct slot {
	pid_t pid;
	int64_t due;
	int retry_ms;          /* after a failed fork(); 0 after a success */
};

struct pool {
	struct slot slot[LISTEN_MAX_WORKERS];
	int n;
	int64_t window;        /* start of the second respawns are counted in */
	int burst;             /* respawns in it */
	int64_t paused_until;  /* crash loop: no respawn before */
	struct s3_app *app;
	int fd;
	const struct sandbox_plan *plan;
};

/* At most LISTEN_RESPAWN_BURST respawns a second; one more starts a pause
 * of LISTEN_RESPAWN_PAUSE_MS for every slot. */
static int respawn_allowed(struct pool *p, int64_t now)
{
	if (now < p->paused_until)
		return 0;
	if (now - p->window >= 1000) {
		p->window = now;
		p->burst = 0;
	}
	if (p->burst >= LISTEN_RESPAWN_BURST) {
		p->paused_until = now + LISTEN_RESPAWN_PAUSE_MS;
		fprintf(stderr, "sign_s3[%ld]: workers exit more than %d times a second; "
		        "no restart for %d ms\n", (long)getpid(), LISTEN_RESPAWN_BURST,
		        LISTEN_RESPAWN_PAUSE_MS);
		return 0;
	}
	p->burst++;
	return 1;
}

/* Forks a worker into every empty slot that is due (initial: the first
 * start, not counted as respawns). Returns the earliest due time of a
 * slot still empty, or -1 when the pool is full. */
static int64_t pool_fill(struct pool *p, int initial)
{
	int64_t now = s3_mono_ms(), next = -1;

	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->slot[i];

		if (s->pid > 0)
			continue;
		if (s->due <= now) {
			if (!initial && !respawn_allowed(p, now)) {
				s->due = p->paused_until;
			} else if ((s->pid = spawn(p->app, p->fd, p->plan, i)) > 0) {
				s->retry_ms = 0;
				s3_stats_pool_spawned(!initial);
				continue;
			} else {
				s->pid = 0;
				s->retry_ms = !s->retry_ms ? LISTEN_FORK_RETRY_MS :
				              s->retry_ms * 2 > LISTEN_FORK_RETRY_MAX_MS ?
				              LISTEN_FORK_RETRY_MAX_MS : s->retry_ms * 2;
				s->due = now + s->retry_ms;
				fprintf(stderr, "sign_s3[%ld]: fork: %s; retrying in %d ms\n",
				        (long)getpid(), strerror(errno), s->retry_ms);
			}
		}
		if (next < 0 || s->due < next)
			next = s->due;
	}
	return next;
}

/* Reaps every worker that exited; its slot is due for a respawn now. */
static void pool_reap(struct pool *p)
{
	pid_t dead;
	int status;

	while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < p->n; i++) {
			if (p->slot[i].pid != dead)
				continue;
			fprintf(stderr, "sign_s3[%ld]: worker %ld exited (%s %d), restarting\n",
			        (long)getpid(), (long)dead,
			        WIFSIGNALED(status) ? "signal" : "status",
			        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			p->slot[i].pid = 0;
			p->slot[i].due = s3_mono_ms();
			s3_stats_pool_exited((unsigned)i);
		}
	}
}

int listen_run(struct s3_app *app, const struct listen_opts *o)
{
	/* a socket systemd passed keeps its path: systemd owns it */
	const char *path = o->fd < 0 && !strncmp(o->addr, "unix:", 5) ? o->addr + 5 : NULL;
	struct pool pool;
	int n = o->workers > 0 ? o->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int alive = 0;
	struct sigaction sa;
	sigset_t block, old;
	int64_t next;

	if (n < 1)
		n = 1;
	if (n > LISTEN_MAX_WORKERS)
		n = LISTEN_MAX_WORKERS;
	memset(&pool, 0, sizeof pool);
	pool.n = n;
	pool.app = app;
	pool.plan = o->sandbox;
	pool.window = s3_mono_ms();
	if ((pool.fd = open_socket(o)) < 0)
		return 1;
	if (app->cfg.status_page) {
		char err[128];

		/* the status page's figures, shared by the workers (stats.h) */
		if (s3_stats_pool_init((unsigned)n, err, sizeof err) != 0)
			fprintf(stderr, "sign_s3[%ld]: status page: %s; each worker shows its "
			        "own figures\n", (long)getpid(), err);
	}
	if (o->user && drop_privileges(o) != 0)
		return 1;
	if (o->sandbox) {
		char err[SANDBOX_ERRMAX], what[SANDBOX_ERRMAX + 64];

		if (sandbox_harden(o->sandbox->mode, err, sizeof err) != S3_OK)
			fprintf(stderr, "sign_s3[%ld]: %s\n", (long)getpid(), err);
		if (o->sandbox->mode != SANDBOX_OFF && !sandbox_supported()) {
			fprintf(stderr, "sign_s3[%ld]: sandbox unsupported on this "
			        "architecture; serving without it\n", (long)getpid());
		} else {
			sandbox_describe(o->sandbox, what, sizeof what);
			fprintf(stderr, "sign_s3[%ld]: sandbox: %s%s\n", (long)getpid(), what,
			        o->sandbox->mode == SANDBOX_OFF ? "" : " in each worker");
		}
	}

	serve_install_signals();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	/* SIGCHLD and SIGTERM are blocked except inside sigsuspend/pselect,
	 * so none is lost between the checks and the wait */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);

	next = pool_fill(&pool, 1);
	for (int i = 0; i < n; i++)
		alive += pool.slot[i].pid > 0;
	fprintf(stderr, "sign_s3[%ld]: listening on %s with %d workers\n",
	        (long)getpid(), o->addr, alive);

	while (!serve_stop) {
		if (next < 0) {
			sigsuspend(&old);
		} else {
			int64_t left = next - s3_mono_ms();
			struct timespec ts;

			if (left < 0)
				left = 0;
			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)(left % 1000) * 1000000;
			pselect(0, NULL, NULL, NULL, &ts, &old);
		}
		pool_reap(&pool);
		if (serve_stop)
			break;
		next = pool_fill(&pool, 0);
	}

	/* the path goes first, so new connections fail at once instead of
	 * queueing on a socket nobody will accept from; the workers answer
	 * what is already queued, then exit */
	if (path && unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "sign_s3[%ld]: cannot remove %s: %s (make its directory "
		        "writable by the --user)\n", (long)getpid(), path, strerror(errno));
	for (int i = 0; i < n; i++)
		if (pool.slot[i].pid > 0)
			kill(pool.slot[i].pid, SIGTERM);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < n; i++)
		if (pool.slot[i].pid > 0)
			while (waitpid(pool.slot[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
	close(pool.fd);
	fprintf(stderr, "sign_s3[%ld]: stopped\n", (long)getpid());
	return 0;
}
