/* listen.c - own listener with prefork workers (see listen.h). */
#include "broker.h"
#include "listen.h"
#include "serve.h"

#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int listen_parse_args(int argc, char **argv, struct listen_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--listen") && strcmp(a, "--workers") && strcmp(a, "--user"))
			return usage("unknown argument (see --help)");
		if (!v || !*v)
			return usage("option needs a value");
		i++;
		if (!strcmp(a, "--listen")) {
			o->addr = v;
		} else if (!strcmp(a, "--user")) {
			o->user = v;
		} else {
			char *end;
			long n;

			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || *end || n < 1 || n > LISTEN_MAX_WORKERS)
				return usage("--workers must be an integer from 1 to 256");
			o->workers = (int)n;
		}
	}
	if (!o->addr)
		return usage("--listen ADDR is required");
	if (strlen(o->addr) >= LISTEN_MAX_ADDR)
		return usage("--listen address too long");
	if (strncmp(o->addr, "unix:", 5) && !strchr(o->addr, ':'))
		return usage("--listen takes unix:/path or HOST:PORT");
	return 0;
}

static int open_socket(const char *addr)
{
	const char *path = !strncmp(addr, "unix:", 5) ? addr + 5 : NULL;
	int fd;

	if (path && path[0] != '/') {
		fprintf(stderr, "sign_s3: --listen unix: needs an absolute path\n");
		return -1;
	}
	if (FCGX_Init() != 0)
		return -1;
	/* libfcgi binds HOST:PORT (":PORT" would mean every address), or a
	 * unix path, replacing a stale socket file */
	fd = FCGX_OpenSocket(path ? path : addr, LISTEN_BACKLOG);
	if (fd < 0) {
		fprintf(stderr, "sign_s3: cannot listen on %s: %s\n", addr, strerror(errno));
		return -1;
	}
	if (path && chmod(path, 0666) != 0) {
		fprintf(stderr, "sign_s3: chmod %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int listen_user_env(const struct listen_opts *o)
{
	struct passwd *pw;

	if (!o->user)
		return 0;
	pw = getpwnam(o->user);
	if (!pw) {
		fprintf(stderr, "sign_s3: --user: no such user\n");
		return 2;
	}
	if (setenv("HOME", pw->pw_dir, 1) || setenv("USER", pw->pw_name, 1) ||
	    setenv("LOGNAME", pw->pw_name, 1)) {
		fprintf(stderr, "sign_s3: --user: %s\n", strerror(errno));
		return 2;
	}
	return 0;
}

static int drop_privileges(const char *user, const char *sock_path)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, "sign_s3: --user: no such user\n");
		return -1;
	}
	if (sock_path && chown(sock_path, pw->pw_uid, pw->pw_gid) != 0)
		fprintf(stderr, "sign_s3: chown socket: %s\n", strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "sign_s3: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 && pw->pw_uid != 0) {
		fprintf(stderr, "sign_s3: privileges could not be dropped\n");
		return -1;
	}
	return 0;
}

static pid_t spawn(struct s3_app *app, int fd, const struct sandbox_plan *plan)
{
	pid_t pid = fork();

	if (pid == 0) {
		char err[SANDBOX_ERRMAX];
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		serve_install_signals();
		/* the parent blocks SIGCHLD/SIGTERM/SIGINT outside sigsuspend and
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
	if (pid < 0)
		fprintf(stderr, "sign_s3: fork: %s\n", strerror(errno));
	return pid;
}

static void on_chld(int sig)
{
	(void)sig;   /* only interrupts pause() */
}

int listen_run(struct s3_app *app, const struct listen_opts *o)
{
	const char *path = !strncmp(o->addr, "unix:", 5) ? o->addr + 5 : NULL;
	pid_t pids[LISTEN_MAX_WORKERS];
	int n = o->workers > 0 ? o->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int fd, alive = 0, burst = 0;
	time_t burst_start = time(NULL);
	struct sigaction sa;
	sigset_t block, old;

	if (n < 1)
		n = 1;
	if (n > LISTEN_MAX_WORKERS)
		n = LISTEN_MAX_WORKERS;
	if ((fd = open_socket(o->addr)) < 0)
		return 1;
	if (o->user && drop_privileges(o->user, path) != 0)
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

	/* SIGCHLD and SIGTERM are blocked except inside sigsuspend, so none is
	 * lost between the checks and the wait */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);

	for (int i = 0; i < n; i++)
		if ((pids[i] = spawn(app, fd, o->sandbox)) > 0)
			alive++;
	fprintf(stderr, "sign_s3[%ld]: listening on %s with %d workers\n",
	        (long)getpid(), o->addr, alive);

	while (!serve_stop) {
		pid_t dead;
		int status;

		while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < n; i++) {
				if (pids[i] != dead)
					continue;
				fprintf(stderr, "sign_s3[%ld]: worker %ld exited (%s %d), restarting\n",
				        (long)getpid(), (long)dead,
				        WIFSIGNALED(status) ? "signal" : "status",
				        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				if (time(NULL) != burst_start) {
					burst_start = time(NULL);
					burst = 0;
				}
				if (++burst > LISTEN_RESPAWN_BURST) {
					sigprocmask(SIG_SETMASK, &old, NULL);
					sleep(1);
					sigprocmask(SIG_BLOCK, &block, NULL);
				}
				pids[i] = serve_stop ? -1 : spawn(app, fd, o->sandbox);
			}
		}
		if (!serve_stop)
			sigsuspend(&old);
	}

	/* the path goes first, so new connections fail at once instead of
	 * queueing on a socket nobody will accept from; the workers answer
	 * what is already queued, then exit */
	if (path && unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "sign_s3[%ld]: cannot remove %s: %s (make its directory "
		        "writable by the --user)\n", (long)getpid(), path, strerror(errno));
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	close(fd);
	fprintf(stderr, "sign_s3[%ld]: stopped\n", (long)getpid());
	return 0;
}
