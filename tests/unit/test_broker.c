/* test_broker.c - common/broker: credential_process run directly (no
 * sandbox) and through the broker from a process under the strict filter:
 * the minimal environment (no request variable, no secret), the exit
 * status messages, the timeout, the output limit, SIGCHLD ignored, the
 * broker's fds, its exit at EOF, a dead broker, the wire's checks, and no
 * way to run anything under the filter without a broker. Each case that
 * installs a filter runs in a forked child that reports "1 name" / "0 name"
 * lines over a pipe; the parent turns them into TAP. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "creds.h"
#include "tap.h"
#include "child.h"

static char out[S3_CREDS_MAX_PROCESS_OUT + 1];
static char why[S3_CREDS_WHY_MAX];
static size_t len;

static enum s3_err run(const char *cmd, long timeout_ms)
{
	why[0] = '\0';
	return broker_run(cmd, timeout_ms, out, &len, why, sizeof why);
}

/* ---- children ---------------------------------------------------------- */


/* ---- the environment ---------------------------------------------------- */

static void hostile_env(void)
{
	setenv("HTTP_PROXY", "http://203.0.113.1:3128", 1);
	setenv("HTTP_X_FOO", "bar", 1);
	setenv("QUERY_STRING", "a=b", 1);
	setenv("REMOTE_ADDR", "203.0.113.9", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDSTATIC", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "STATICsecret", 1);
	setenv("AWS_SESSION_TOKEN", "STATICtoken", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "CONTAINERtoken", 1);
	setenv("S3_NOTIFY_SECRET", "NOTIFYsecret", 1);
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	setenv("HOME", "/tmp/sign_s3_broker_home", 1);
	setenv("AWS_PROFILE", "brokertest", 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_CONFIG_FILE", "/tmp/sign_s3_broker_cfg", 1);
}

/* 1 when the output of `env` holds exactly the minimal environment (plus
 * what sh sets itself: PWD, SHLVL, _, OLDPWD). */
static int minimal(const char *envout, char *bad, size_t cap)
{
	static const char *const want[] = {
		("PATH=" BROKER_PATH), "HOME=/tmp/sign_s3_broker_home", "AWS_PROFILE=brokertest",
		"AWS_REGION=eu-west-1", "AWS_CONFIG_FILE=/tmp/sign_s3_broker_cfg",
	};
	static const char *const shell[] = { "PWD=", "SHLVL=", "_=", "OLDPWD=" };
	char copy[S3_CREDS_MAX_PROCESS_OUT + 1];
	int seen = 0;

	snprintf(copy, sizeof copy, "%s", envout);
	bad[0] = '\0';
	for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
		int known = 0;

		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			if (!strcmp(l, want[i]))
				known = 1, seen |= 1 << i;
		for (size_t i = 0; i < sizeof shell / sizeof shell[0]; i++)
			if (!strncmp(l, shell[i], strlen(shell[i])))
				known = 1;
		if (!known) {
			snprintf(bad, cap, "unexpected %.60s", l);
			return 0;
		}
	}
	if (seen != (1 << (sizeof want / sizeof want[0])) - 1) {
		snprintf(bad, cap, "missing some of PATH, HOME, AWS_PROFILE, AWS_REGION, "
		         "AWS_CONFIG_FILE (mask %#x)", seen);
		return 0;
	}
	return 1;
}

static void test_direct(void)
{
	char bad[128];

	hostile_env();
	is_int(run("printf hello", 3000), S3_OK, "direct: runs (%s)", why);
	is_str(out, "hello", "direct: its output");
	is_int((int)len, 5, "direct: its length");
	is_int(run("env", 3000), S3_OK, "direct: env runs");
	ok(minimal(out, bad, sizeof bad), "direct: the minimal environment only (%s)", bad);
	run("exit 3", 3000);
	is_str(why, "credential_process: exited with status 3", "direct: exit status said");
	is_int(run("", 3000), S3_ERR_INVAL, "direct: an empty command refused");
	is_int(run("true", 0), S3_ERR_INVAL, "direct: timeout 0 refused");
	is_int(run("true", BROKER_MAX_TIMEOUT_MS + 1), S3_ERR_INVAL, "direct: timeout too long refused");
}

/* ---- through the broker, under the filter -------------------------------- */

static int sandboxed(int broker)
{
	struct sandbox_plan plan = { .mode = SANDBOX_STRICT, .broker = broker };
	char err[BROKER_ERRMAX];

	if (broker_prepare(&plan, err, sizeof err) != S3_OK) {
		cok(0, "broker_prepare: %s", err);
		return -1;
	}
	if (sandbox_install(plan.mode, err, sizeof err) != S3_OK) {
		cok(0, "sandbox_install: %s", err);
		return -1;
	}
	return 0;
}

static void broker_child(void)
{
	char bad[128], cmd[128];
	struct timespec a, b;
	enum s3_err rc;
	double el;

	hostile_env();
	if (sandboxed(1))
		return;
	cok(run("printf hello", 3000) == S3_OK && !strcmp(out, "hello") && len == 5,
	    "broker: runs, its output back (%s)", why);
	cok(run("env", 3000) == S3_OK && minimal(out, bad, sizeof bad),
	    "broker: the minimal environment only: no HTTP_*, no secret (%s%s)", why, bad);
	cok(run("grep '^Seccomp:' /proc/self/status", 3000) == S3_OK &&
	    !strcmp(out, "Seccomp:\t0\n"), "broker: the helper runs without the filter (%s)", out);
	cok(run("grep '^NoNewPrivs:' /proc/self/status", 3000) == S3_OK &&
	    !strcmp(out, "NoNewPrivs:\t1\n"), "broker: ... but with no new privileges (%s)", out);
	cok(run("exit 3", 3000) == S3_ERR_IO &&
	    !strcmp(why, "credential_process: exited with status 3"),
	    "broker: exit status said (%s)", why);
	run("kill -9 $$", 3000);
	cok(!strcmp(why, "credential_process: killed by signal 9"), "broker: signal said (%s)", why);
	clock_gettime(CLOCK_MONOTONIC, &a);
	run("printf x; sleep 20 & sleep 20", 300);
	clock_gettime(CLOCK_MONOTONIC, &b);
	el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cok(!strcmp(why, "credential_process: timed out after 300 ms (killed)") && el < 2.0,
	    "broker: timeout, the group killed in time (%.2f s: %s)", el, why);
	cok(run("head -c 70000 /dev/zero", 3000) == S3_ERR_TOOLONG &&
	    strstr(why, "output larger than 65536 bytes"), "broker: output limit (%s)", why);
	cok(out[0] == '\0', "broker: output wiped after a failure");
	run("printf secret", 3000);
	run("exit 1", 3000);
	cok(out[0] == '\0', "broker: output wiped after a failure the broker reports");
	rc = run("head -c 65536 /dev/zero | tr '\\000' a", 3000);
	cok(rc == S3_OK && len == 65536, "broker: 65536 bytes of output pass (%zu)", len);
	cok(run("true", 3000) == S3_OK, "broker: still answering after 9 requests (%s)", why);
	snprintf(cmd, sizeof cmd, "kill -9 $PPID");
	run(cmd, 3000);
	cok(!strcmp(why, "credential_process: the credential broker is gone") ||
	    !strcmp(why, "credential_process: no answer from the credential broker"),
	    "broker killed: said (%s)", why);
	run("true", 3000);
	cok(strstr(why, "credential_process: not available: ") != NULL,
	    "broker killed: then not available, no attempt to run it here (%s)", why);
}

/* The web server left SIGCHLD ignored: the broker still reads the status. */
static void sigchld_child(void)
{
	signal(SIGCHLD, SIG_IGN);
	if (sandboxed(1))
		return;
	cok(run("exit 0", 3000) == S3_OK, "SIGCHLD ignored: exit 0 read as such (%s)", why);
	run("exit 5", 3000);
	cok(!strcmp(why, "credential_process: exited with status 5"),
	    "SIGCHLD ignored: exit 5 read (%s)", why);
}

/* Under the filter without a broker: nothing is run, and it says why. */
static void nobroker_child(void)
{
	if (sandboxed(0))
		return;
	cok(run("true", 3000) == S3_ERR_IO && strstr(why, "credential_process: not available: "),
	    "no broker: not available (%s)", why);
}

/* The broker keeps no fd but its socket: a pipe open in the serving process
 * when it was forked sees EOF as soon as the serving process closes its
 * write end. */
static void fds_child(void)
{
	int p[2];
	struct pollfd pfd;
	char c;

	if (pipe(p)) {
		cok(0, "pipe");
		return;
	}
	if (sandboxed(1))
		return;
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	cok(poll(&pfd, 1, 2000) == 1 && read(p[0], &c, 1) == 0,
	    "broker: holds no other fd (a pipe's write end is closed in it)");
}

/* The broker exits when the serving process does (EOF). */
static pid_t broker_pid = -1;

static void eof_child(void)
{
	char line[64];
	int n;

	if (sandboxed(1))
		return;
	if (run("echo $PPID", 3000) == S3_OK)
		broker_pid = (pid_t)atol(out);
	n = snprintf(line, sizeof line, "pid %ld\n", (long)broker_pid);
	if (write(report_fd, line, (size_t)n) != n)
		_exit(99);
}

/* exited, or a zombie waiting for init */
static int gone_or_zombie(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	char *p;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static void test_eof(void)
{
	char buf[256] = "";
	pid_t bp = -1;
	int gone = 0;

	child_run(eof_child, buf, sizeof buf);
	buf[strcspn(buf, "\n")] = '\0';
	if (strstr(buf, "pid "))
		bp = (pid_t)atol(strstr(buf, "pid ") + 4);
	ok(bp > 1, "eof: got the broker's pid (%s)", buf);
	for (int i = 0; bp > 1 && i < 200 && !gone; i++) {
		struct timespec t = { 0, 10 * 1000 * 1000 };

		gone = gone_or_zombie(bp);
		nanosleep(&t, NULL);
	}
	ok(gone, "eof: the broker exits when the serving process does");
}

/* ---- the wire -------------------------------------------------------------- */

static int eof_within(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	return poll(&pfd, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

static void test_wire(void)
{
	char err[BROKER_ERRMAX];
	uint32_t rq[3], rp[3];
	int fd;

	fd = broker_fork(err, sizeof err);
	ok(fd >= 0, "wire: broker_fork (%s)", err);
	rq[0] = BROKER_MAGIC, rq[1] = 1000, rq[2] = 9;
	ok(write(fd, rq, sizeof rq) == sizeof rq && write(fd, "printf ok", 9) == 9,
	   "wire: a request sent");
	ok(read(fd, rp, sizeof rp) == sizeof rp && rp[0] == S3_OK && rp[1] == 0 && rp[2] == 2,
	   "wire: reply rc 0, no message, 2 bytes");
	ok(read(fd, err, 2) == 2 && !memcmp(err, "ok", 2), "wire: the output");
	rq[2] = 6;
	ok(write(fd, rq, sizeof rq) == sizeof rq && write(fd, "exit 4", 6) == 6 &&
	   read(fd, rp, sizeof rp) == sizeof rp && rp[0] == S3_ERR_IO && rp[2] == 0 &&
	   rp[1] > 0 && rp[1] < BROKER_MAX_WHY && read(fd, err, rp[1]) == (ssize_t)rp[1] &&
	   !strncmp(err, "credential_process: exited with status 4", rp[1]),
	   "wire: a failure: rc, the message, no output");
	rq[0] = 0x12345678;
	ok(write(fd, rq, sizeof rq) == sizeof rq && eof_within(fd, 2000),
	   "wire: a wrong magic: the broker exits");
	close(fd);

	fd = broker_fork(err, sizeof err);
	rq[0] = BROKER_MAGIC, rq[1] = 1000, rq[2] = S3_CREDS_MAX_PROCESS_CMD + 1;
	ok(write(fd, rq, sizeof rq) == sizeof rq && eof_within(fd, 2000),
	   "wire: a command over the limit: the broker exits");
	close(fd);
	fd = broker_fork(err, sizeof err);
	rq[0] = BROKER_MAGIC, rq[1] = 0, rq[2] = 4;
	ok(write(fd, rq, sizeof rq) == sizeof rq && eof_within(fd, 2000),
	   "wire: timeout 0: the broker exits");
	close(fd);
	fd = broker_fork(err, sizeof err);
	rq[0] = BROKER_MAGIC, rq[1] = 1000, rq[2] = 4;
	ok(write(fd, rq, sizeof rq) == sizeof rq && write(fd, "a\0bc", 4) == 4 &&
	   eof_within(fd, 2000), "wire: a NUL in the command: the broker exits");
	close(fd);
	fd = broker_fork(err, sizeof err);
	ok(write(fd, rq, 5) == 5 && shutdown(fd, SHUT_WR) == 0 && eof_within(fd, 2000),
	   "wire: a request cut short: the broker exits");
	close(fd);
}

int main(void)
{
	int st;

	test_direct();
	test_wire();
	test_eof();
	if (!sandbox_supported()) {
		diag("no seccomp filter on this architecture: the sandboxed cases are skipped");
		return done_testing();
	}
	st = in_child(broker_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "broker child exited 0 (status %#x)", st);
	st = in_child(sigchld_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGCHLD child exited 0 (status %#x)", st);
	st = in_child(nobroker_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no-broker child exited 0 (status %#x)", st);
	st = in_child(fds_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fds child exited 0 (status %#x)", st);
	return done_testing();
}
