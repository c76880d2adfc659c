/* broker.c - credential_process: the spawn, the minimal environment and
 * the broker process that runs it outside the sandbox (see broker.h). */
#define _GNU_SOURCE 1          /* closefrom, dup3, pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "creds_int.h"
#include "date.h"
#include "syntax.h"

#define SPAWN_POLL_MS  10      /* waitpid polling step for a child */
#define BROKER_FD      3       /* the broker's socket, in the broker */

_Static_assert(S3_CREDS_PROCESS_TIMEOUT_MS <= BROKER_MAX_TIMEOUT_MS, "timeout budget");

/* ---- the helper's environment ---------------------------------------- */

static const char *const env_names[] = {
	"HOME", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
};

#define NENV (sizeof env_names / sizeof env_names[0])

static s3_lookup_fn env_get;    /* broker_env_from; NULL: getenv */
static void *env_ctx;

void broker_env_from(s3_lookup_fn get, void *ctx)
{
	env_get = get;
	env_ctx = ctx;
}

static struct {
	char *ptr[NENV + 2];                           /* PATH, the names, NULL */
	char buf[NENV + 1][BROKER_MAX_ENV_VALUE + 32]; /* "NAME=value" */
} env;

/* PATH=BROKER_PATH and the names above that are set (see broker.h). */
static char **minimal_env(void)
{
	size_t n = 0;

	snprintf(env.buf[n], sizeof env.buf[n], "PATH=%s", BROKER_PATH);
	env.ptr[n] = env.buf[n];
	n++;
	for (size_t i = 0; i < NENV; i++) {
		const char *v = env_get ? env_get(env_ctx, env_names[i]) : getenv(env_names[i]);

		if (!v || !*v || strlen(v) > BROKER_MAX_ENV_VALUE)
			continue;
		snprintf(env.buf[n], sizeof env.buf[n], "%s=%s", env_names[i], v);
		env.ptr[n] = env.buf[n];
		n++;
	}
	env.ptr[n] = NULL;
	return env.ptr;
}

/* ---- the spawn ------------------------------------------------------- */

/* Waits for pid until deadline (monotonic ms); kills its process group
 * when it is late. Returns its wait status, or -1 (killed, or lost). */
static int reap(pid_t pid, long deadline, int *killed)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && s3_mono_ms() >= deadline && !*killed) {
			kill(-pid, SIGKILL);
			*killed = 1;
			continue;
		}
		if (r == 0) {
			struct timespec ts = { 0, SPAWN_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

/* Runs cmd under /bin/sh -c, its stdout into out (at most
 * S3_CREDS_MAX_PROCESS_OUT bytes, NUL-terminated, *len bytes). */
static enum s3_err spawn_and_read(const char *cmd, long timeout_ms, char *out, size_t *len,
                                  char *why, size_t cap)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, NULL, NULL };
	int fds[2] = { -1, -1 }, st, killed = 0, fa_ok = 0, at_ok = 0, over = 0;
	long deadline = s3_mono_ms() + timeout_ms;
	enum s3_err rc = S3_ERR_IO;
	pid_t pid = -1;
	size_t n = 0;

	argv[2] = (char *)cmd;
	*len = 0;
	if (pipe2(fds, O_CLOEXEC)) {
		s3_msgf(why, cap, "credential_process: pipe: %s", strerror(errno));
		return S3_ERR_IO;
	}
	fa_ok = posix_spawn_file_actions_init(&fa) == 0;
	at_ok = posix_spawnattr_init(&at) == 0;
	if (!fa_ok || !at_ok) {
		s3_msgf(why, cap, "credential_process: out of memory");
		rc = S3_ERR_NOMEM;
		goto fail;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGQUIT);
	if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) ||
	    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1) ||
	    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                             POSIX_SPAWN_SETSIGDEF) ||
	    posix_spawnattr_setpgroup(&at, 0) ||
	    posix_spawnattr_setsigmask(&at, &none) ||
	    posix_spawnattr_setsigdefault(&at, &def)) {
		s3_msgf(why, cap, "credential_process: cannot prepare to run it");
		goto fail;
	}
	if ((errno = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, minimal_env())) != 0) {
		pid = -1;
		s3_msgf(why, cap, "credential_process: cannot run /bin/sh: %s", strerror(errno));
		goto fail;
	}
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long left = deadline - s3_mono_ms();
		ssize_t r;
		int pr;

		if (left <= 0)
			break;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		r = read(fds[0], out + n, S3_CREDS_MAX_PROCESS_OUT + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > S3_CREDS_MAX_PROCESS_OUT) {
			over = 1;
			break;
		}
	}
	if (over || s3_mono_ms() >= deadline) {
		kill(-pid, SIGKILL);
		killed = 1;
	}
	st = reap(pid, deadline, &killed);
	pid = -1;
	if (over) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, cap, "credential_process: output larger than %d bytes",
		     S3_CREDS_MAX_PROCESS_OUT);
		goto fail;
	}
	if (killed) {
		s3_msgf(why, cap, "credential_process: timed out after %ld ms (killed)",
		     timeout_ms);
		goto fail;
	}
	if (st == -1) {
		s3_msgf(why, cap, "credential_process: exit status lost");
		goto fail;
	}
	if (WIFSIGNALED(st)) {
		s3_msgf(why, cap, "credential_process: killed by signal %d", WTERMSIG(st));
		goto fail;
	}
	if (WEXITSTATUS(st) != 0) {
		s3_msgf(why, cap, "credential_process: exited with status %d", WEXITSTATUS(st));
		goto fail;
	}
	out[n] = '\0';
	*len = n;
	rc = S3_OK;
fail:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		killed = 1;
		reap(pid, deadline, &killed);
	}
	if (rc)
		OPENSSL_cleanse(out, S3_CREDS_MAX_PROCESS_OUT + 1);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	return rc;
}

/* spawn_and_read with SIGCHLD at its default for the time of the call: a
 * web server may start the CGI with SIGCHLD ignored (or SA_NOCLDWAIT), and
 * then the kernel reaps the helper itself and waitpid() cannot tell its
 * exit status. */
static enum s3_err run_process(const char *cmd, long timeout_ms, char *out, size_t *len,
                               char *why, size_t cap)
{
	struct sigaction old, dfl;
	int restore = 0;
	enum s3_err rc;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, NULL, &old) == 0 &&
	    (old.sa_handler == SIG_IGN || (old.sa_flags & SA_NOCLDWAIT)))
		restore = sigaction(SIGCHLD, &dfl, NULL) == 0;
	rc = spawn_and_read(cmd, timeout_ms, out, len, why, cap);
	if (restore)
		sigaction(SIGCHLD, &old, NULL);
	return rc;
}

/* ---- the wire -------------------------------------------------------- */

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes, before deadline (monotonic ms; 0: no limit).
 * 1: done; 0: EOF before the first byte; -1: error, EOF midway, late. */
static int recv_all(int fd, void *buf, size_t n, long deadline)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (deadline) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			long left = deadline - s3_mono_ms();
			int pr;

			if (left <= 0)
				return -1;
			pr = poll(&pfd, 1, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				return -1;
		}
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return got ? -1 : 0;
		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 1;
}

/* ---- the broker process ---------------------------------------------- */

/* Ends the broker: out (wiped at each use) freed first, so that no tool
 * that checks for leaks at exit (valgrind) sees it lost. */
static void broker_exit(int code, char *out)
{
	free(out);
	_exit(code);
}

/* One request at a time until EOF; never returns. */
static void broker_serve(int fd)
{
	static char cmd[S3_CREDS_MAX_PROCESS_CMD + 1];
	char *out = malloc(S3_CREDS_MAX_PROCESS_OUT + 1);
	char why[BROKER_MAX_WHY];

	for (;;) {
		uint32_t rq[3], rp[3];
		size_t len = 0, w;
		enum s3_err rc;
		int r = recv_all(fd, rq, sizeof rq, 0);

		if (r == 0)
			broker_exit(0, out);
		if (r < 0 || rq[0] != BROKER_MAGIC || rq[1] < 1 || rq[1] > BROKER_MAX_TIMEOUT_MS ||
		    rq[2] < 1 || rq[2] > S3_CREDS_MAX_PROCESS_CMD)
			broker_exit(2, out);
		if (recv_all(fd, cmd, rq[2], 0) != 1 || memchr(cmd, '\0', rq[2]))
			broker_exit(2, out);
		cmd[rq[2]] = '\0';
		why[0] = '\0';
		if (out) {
			rc = spawn_and_read(cmd, (long)rq[1], out, &len, why, sizeof why);
		} else {
			rc = S3_ERR_NOMEM;
			s3_msgf(why, sizeof why, "credential_process: out of memory in the broker");
		}
		if (rc != S3_OK && !why[0])
			s3_msgf(why, sizeof why, "credential_process: failed");
		w = rc == S3_OK ? 0 : strlen(why);
		rp[0] = (uint32_t)rc;
		rp[1] = (uint32_t)w;
		rp[2] = rc == S3_OK ? (uint32_t)len : 0;
		r = send_all(fd, rp, sizeof rp) || send_all(fd, why, w) ||
		    send_all(fd, out, rp[2]);
		if (out)
			OPENSSL_cleanse(out, S3_CREDS_MAX_PROCESS_OUT + 1);
		if (r)
			broker_exit(1, out);
	}
}

/* The broker, right after its fork: fds, signals, hardening, then serve. */
static void broker_main(int sock)
{
	struct sigaction sa;
	sigset_t none;
	char err[SANDBOX_ERRMAX];
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int s = fcntl(sock, F_DUPFD_CLOEXEC, BROKER_FD);

	if (nul < 0 || s < 0)
		_exit(1);
	/* 0-2 on /dev/null: held open, so that no pipe of the spawn lands there */
	for (int fd = 0; fd <= 2; fd++)
		if (fd != nul && dup2(nul, fd) < 0)
			_exit(1);
	if (s != BROKER_FD && dup3(s, BROKER_FD, O_CLOEXEC) < 0)
		_exit(1);
	closefrom(BROKER_FD + 1);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sandbox_harden(SANDBOX_STRICT, err, sizeof err) != S3_OK)
		_exit(1);
	broker_serve(BROKER_FD);
}

int broker_fork(char *err, size_t errcap)
{
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		s3_msgf(err, errcap, "credential broker: socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		pid_t b;

		close(sv[0]);
		b = fork();     /* the broker's parent becomes init */
		if (b == 0)
			broker_main(sv[1]);
		_exit(b < 0 ? 1 : 0);
	}
	close(sv[1]);
	if (pid < 0) {
		s3_msgf(err, errcap, "credential broker: fork: %s", strerror(errno));
		close(sv[0]);
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			st = 0;      /* SIGCHLD ignored: reaped by the kernel */
			break;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		s3_msgf(err, errcap, "credential broker: fork failed");
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/* ---- the serving process --------------------------------------------- */

static int broker_fd = -1;
static int no_exec;                      /* a filter is (about to be) in place */
static char gone[BROKER_MAX_WHY];        /* why there is no broker, then */

enum s3_err broker_prepare(const struct sandbox_plan *plan, char *err, size_t errcap)
{
	s3_msgf(err, errcap, "%s", "");
	if (!plan || plan->mode == SANDBOX_OFF)
		return S3_OK;
	no_exec = 1;
	if (!plan->broker) {
		s3_msgf(gone, sizeof gone, "the sandbox forbids running programs, and the "
		    "credentials configuration does not reach credential_process");
		return S3_OK;
	}
	if (broker_fd >= 0)
		return S3_OK;
	if ((broker_fd = broker_fork(err, errcap)) < 0) {
		s3_msgf(gone, sizeof gone, "the credential broker could not be started");
		return S3_ERR_IO;
	}
	return S3_OK;
}

/* One request over broker_fd; on a broken wire the socket is closed. */
static enum s3_err ask(const char *cmd, size_t n, long timeout_ms, char *out, size_t *len,
                       char *why, size_t cap)
{
	uint32_t rq[3] = { BROKER_MAGIC, (uint32_t)timeout_ms, (uint32_t)n }, rp[3];
	long deadline = s3_mono_ms() + timeout_ms + BROKER_SLACK_MS;
	char msg[BROKER_MAX_WHY];
	const char *bad = NULL;
	int r;

	if (send_all(broker_fd, rq, sizeof rq) || send_all(broker_fd, cmd, n))
		bad = "the credential broker is gone";
	else if ((r = recv_all(broker_fd, rp, sizeof rp, deadline)) != 1)
		bad = r == 0 ? "the credential broker is gone" : "no answer from the credential broker";
	else if (rp[0] >= S3_ERR__COUNT || rp[1] >= BROKER_MAX_WHY ||
	         rp[2] > S3_CREDS_MAX_PROCESS_OUT || (rp[0] == S3_OK) != (rp[1] == 0) ||
	         (rp[0] != S3_OK && rp[2]))
		bad = "malformed answer from the credential broker";
	else if (recv_all(broker_fd, msg, rp[1], deadline) != 1 || !s3_is_printable(msg, rp[1]) ||
	         recv_all(broker_fd, out, rp[2], deadline) != 1)
		bad = "malformed answer from the credential broker";
	if (bad) {
		OPENSSL_cleanse(out, S3_CREDS_MAX_PROCESS_OUT + 1);
		close(broker_fd);
		broker_fd = -1;
		s3_msgf(gone, sizeof gone, "the credential broker stopped answering earlier");
		s3_msgf(why, cap, "credential_process: %s", bad);
		return S3_ERR_IO;
	}
	if (rp[0] != S3_OK) {
		OPENSSL_cleanse(out, S3_CREDS_MAX_PROCESS_OUT + 1);
		msg[rp[1]] = '\0';
		s3_msgf(why, cap, "%s", msg);
		return (enum s3_err)rp[0];
	}
	out[rp[2]] = '\0';
	*len = rp[2];
	return S3_OK;
}

enum s3_err broker_run(const char *cmd, long timeout_ms, char *out, size_t *len,
                       char *why, size_t cap)
{
	size_t n = strlen(cmd);

	*len = 0;
	if (n < 1 || n > S3_CREDS_MAX_PROCESS_CMD || timeout_ms < 1 ||
	    timeout_ms > BROKER_MAX_TIMEOUT_MS) {
		s3_msgf(why, cap, "credential_process: command of 1..%d bytes and a timeout "
		    "of 1..%d ms expected", S3_CREDS_MAX_PROCESS_CMD, BROKER_MAX_TIMEOUT_MS);
		return S3_ERR_INVAL;
	}
	if (broker_fd >= 0)
		return ask(cmd, n, timeout_ms, out, len, why, cap);
	if (no_exec) {
		s3_msgf(why, cap, "credential_process: not available: %s", gone);
		return S3_ERR_IO;
	}
	return run_process(cmd, timeout_ms, out, len, why, cap);
}
