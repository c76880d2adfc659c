/* test_sandbox.c - common/sandbox: the plan (S3_SANDBOX, the refused
 * S3_SANDBOX_EXEC, what the credentials reach) and the filter itself,
 * strict and inet each in a forked child: what must still work does, what
 * is denied fails with EPERM (execve and fork in both, socket(AF_INET) in
 * strict), the hostile syscalls kill. A child reports its checks over a
 * pipe ("1 name" / "0 name" lines); the parent turns them into TAP. The
 * credential broker is tests/unit/test_broker.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sched.h>

#include "creds.h"
#include "sandbox.h"
#include "tap.h"
#include "child.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER 1
#else
#define SANITIZER 0
#endif

extern char **environ;

/* ---- a lookup over name=value pairs ----------------------------------- */

static const char *vars[32];

static const char *get(void *ctx, const char *name)
{
	size_t n = strlen(name);

	(void)ctx;
	for (int i = 0; vars[i]; i++)
		if (!strncmp(vars[i], name, n) && vars[i][n] == '=')
			return vars[i] + n + 1;
	return NULL;
}

static void setvars(const char *first, ...)
{
	va_list ap;
	int i = 0;

	va_start(ap, first);
	for (const char *v = first; v && i < 31; v = va_arg(ap, const char *))
		vars[i++] = v;
	va_end(ap);
	vars[i] = NULL;
}

static void test_plan(void)
{
	struct sandbox_plan p;
	char err[SANDBOX_ERRMAX], want[SANDBOX_ERRMAX], desc[SANDBOX_ERRMAX + 64];
	const unsigned PROC = S3_CREDS_REACH_PROCESS, NET = S3_CREDS_REACH_NET;

	setvars(NULL);
	is_int(sandbox_plan(&p, get, NULL, 0, err, sizeof err), S3_OK, "plan: nothing set");
	ok(p.mode == SANDBOX_STRICT && !p.broker,
	   "plan: on by default; nothing reached: strict, no broker");
	sandbox_plan(&p, get, NULL, PROC, err, sizeof err);
	ok(p.mode == SANDBOX_STRICT && p.broker, "plan: file source: strict with a broker");
	sandbox_plan(&p, get, NULL, NET, err, sizeof err);
	ok(p.mode == SANDBOX_INET && !p.broker, "plan: container/IMDS: inet, no broker");
	sandbox_plan(&p, get, NULL, PROC | NET, err, sizeof err);
	ok(p.mode == SANDBOX_INET && p.broker, "plan: the whole chain: inet with a broker");

	setvars("S3_SANDBOX=0", NULL);
	sandbox_plan(&p, get, NULL, PROC | NET, err, sizeof err);
	ok(p.mode == SANDBOX_OFF && !p.broker, "plan: S3_SANDBOX=0 turns it off, no broker");
	sandbox_describe(&p, desc, sizeof desc);
	is_str(desc, "off (S3_SANDBOX=0)", "describe: off");

	setvars("S3_SANDBOX=1", NULL);
	sandbox_plan(&p, get, NULL, 0, err, sizeof err);
	is_int(p.mode, SANDBOX_STRICT, "plan: S3_SANDBOX=1 is on");

	setvars("S3_SANDBOX=off", NULL);
	is_int(sandbox_plan(&p, get, NULL, 0, err, sizeof err), S3_ERR_CONFIG,
	       "plan: S3_SANDBOX=off refused");
	ok(strstr(err, "S3_SANDBOX") && !strstr(err, "off (") , "plan: message names S3_SANDBOX: %s", err);

	/* the deny-list mode is gone: any value is refused, S3_SANDBOX=0 or not */
	setvars("S3_SANDBOX_EXEC=1", NULL);
	is_int(sandbox_plan(&p, get, NULL, PROC, err, sizeof err), S3_ERR_CONFIG,
	       "plan: S3_SANDBOX_EXEC=1 refused");
	ok(strstr(err, "S3_SANDBOX_EXEC is gone") && strstr(err, "broker"),
	   "plan: the message says it is gone and why: %s", err);
	setvars("S3_SANDBOX_EXEC=0", NULL);
	is_int(sandbox_plan(&p, get, NULL, 0, err, sizeof err), S3_ERR_CONFIG,
	       "plan: S3_SANDBOX_EXEC=0 refused too");
	setvars("S3_SANDBOX=0", "S3_SANDBOX_EXEC=1", NULL);
	is_int(sandbox_plan(&p, get, NULL, 0, err, sizeof err), S3_ERR_CONFIG,
	       "plan: S3_SANDBOX_EXEC refused with S3_SANDBOX=0");

	is_int(sandbox_count(SANDBOX_OFF), 0, "count: off");
	p.mode = SANDBOX_STRICT;
	p.broker = 0;
	sandbox_describe(&p, desc, sizeof desc);
	if (!sandbox_supported()) {
		is_str(desc, "unsupported on this architecture", "describe: unsupported");
		return;
	}
	ok(sandbox_count(SANDBOX_STRICT) > 60 && sandbox_count(SANDBOX_STRICT) < 140,
	   "count: strict allows %d syscalls", sandbox_count(SANDBOX_STRICT));
	is_int(sandbox_count(SANDBOX_INET), sandbox_count(SANDBOX_STRICT) + 1,
	       "count: inet allows socket() besides");
	snprintf(want, sizeof want, "seccomp on (%d syscalls allowed, no INET sockets)",
	         sandbox_count(SANDBOX_STRICT));
	is_str(desc, want, "describe: strict");
	p.mode = SANDBOX_INET;
	p.broker = 1;
	sandbox_describe(&p, desc, sizeof desc);
	snprintf(want, sizeof want, "seccomp on (%d syscalls allowed, INET sockets for the "
	         "container/IMDS credentials, credential_process through a broker)",
	         sandbox_count(SANDBOX_INET));
	is_str(desc, want, "describe: inet with a broker");
}

/* ---- children ---------------------------------------------------------- */


static int status_field(const char *field)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), v = -1;
	ssize_t n;
	char *p;

	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -3;
	buf[n] = '\0';
	if ((p = strstr(buf, field)))
		v = atoi(p + strlen(field));
	return v;
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int denied(long r)
{
	return r == -1 && errno == EPERM;
}

static void strict_child(void)
{
	char err[SANDBOX_ERRMAX];
	struct rlimit rl;
	pthread_t t;
	void *res = NULL;
	int fd;

	cok(sandbox_install(SANDBOX_STRICT, err, sizeof err) == S3_OK, "strict: installed");
	cok(status_field("Seccomp:") == 2, "strict: /proc/self/status Seccomp: 2");
	cok(status_field("NoNewPrivs:") == 1, "strict: NoNewPrivs: 1");
	cok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0,
	    "strict: RLIMIT_CORE 0");
	cok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "strict: not dumpable");
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	cok(fd >= 0, "strict: open read-only works");
	if (fd >= 0)
		close(fd);
	cok(denied(open("/dev/null", O_WRONLY)), "strict: open O_WRONLY: EPERM");
	cok(denied(open("/dev/null", O_RDWR)), "strict: open O_RDWR: EPERM");
	cok(denied(openat(AT_FDCWD, "/tmp/sign_s3_sandbox_new", O_RDONLY | O_CREAT, 0600)),
	    "strict: openat O_CREAT: EPERM");
	cok(denied(open("/dev/null", O_RDONLY | O_APPEND)), "strict: open O_APPEND: EPERM");
	cok(denied(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
	    "strict: socket(AF_INET, SOCK_STREAM): EPERM (no network source)");
	cok(denied(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)),
	    "strict: socket(AF_INET6, SOCK_DGRAM): EPERM");
	cok(denied(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)),
	    "strict: socket(AF_NETLINK, NETLINK_ROUTE): EPERM");
	cok(denied(socket(AF_UNIX, SOCK_STREAM, 0)), "strict: socket(AF_UNIX): EPERM");
	{
		int sv[2];

		cok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
		    "strict: socketpair(AF_UNIX) works");
		close(sv[0]);
		close(sv[1]);
	}
	cok(denied(socket(AF_PACKET, SOCK_RAW, 0)), "strict: socket(AF_PACKET): EPERM");
	cok(denied(socket(AF_INET, SOCK_RAW, 1)), "strict: socket(AF_INET, SOCK_RAW): EPERM");
	cok(pthread_create(&t, NULL, thread_fn, (void *)1) == 0 &&
	    pthread_join(t, &res) == 0 && res == (void *)1,
	    "strict: a thread can be made (clone3 ENOSYS -> clone with CLONE_THREAD)");
	cok(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS, "strict: clone3: ENOSYS");
	if (!SANITIZER) {
		/* without CLONE_SIGHAND the kernel would say EINVAL: EPERM is the filter */
		cok(denied(syscall(SYS_clone, CLONE_THREAD | CLONE_VM | CLONE_NEWNET, NULL, NULL,
		                   NULL, 0)), "strict: clone of a thread in a new namespace: EPERM");
		cok(syscall(SYS_clone, CLONE_THREAD | CLONE_VM, NULL, NULL, NULL, 0) == -1 &&
		    errno == EINVAL, "strict: clone CLONE_THREAD|CLONE_VM passes the filter "
		    "(the kernel's EINVAL)");
	}
	{
		struct rlimit r0;

		cok(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &r0) == 0, "strict: prlimit on itself works");
		cok(denied(syscall(SYS_prlimit64, getppid(), RLIMIT_NOFILE, NULL, &r0)),
		    "strict: prlimit on another process: EPERM");
	}
	{
		char *argv[] = { (char *)"true", NULL };

		cok(denied(execve("/bin/true", argv, environ)), "strict: execve: EPERM");
	}
	if (!SANITIZER) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		cok(p == -1 && errno == EPERM, "strict: fork: EPERM");
		cok(denied(kill(getppid(), 0)), "strict: kill: EPERM");
	}
	cok(denied(syscall(SYS_chmod, "/tmp", 0777)), "strict: chmod (not listed): EPERM");
	cok(denied(syscall(SYS_unlink, "/tmp/sign_s3_sandbox_none")), "strict: unlink: EPERM");
	cok(getpid() > 0 && getuid() == getuid(), "strict: getpid, getuid");
}

static void inet_child(void)
{
	char err[SANDBOX_ERRMAX];
	int fd;

	cok(sandbox_install(SANDBOX_INET, err, sizeof err) == S3_OK, "inet: installed");
	cok(status_field("Seccomp:") == 2, "inet: /proc/self/status Seccomp: 2");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cok(fd >= 0, "inet: socket(AF_INET, SOCK_STREAM) works");
	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cok(fd >= 0, "inet: socket(AF_INET6, SOCK_DGRAM) works (DNS)");
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	cok(fd >= 0, "inet: socket(AF_NETLINK, NETLINK_ROUTE) works (resolver)");
	if (fd >= 0)
		close(fd);
	cok(denied(socket(AF_UNIX, SOCK_STREAM, 0)),
	    "inet: socket(AF_UNIX): EPERM (no docker.sock & co; nscd is optional)");
	cok(denied(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)),
	    "inet: socket(AF_NETLINK, NETLINK_AUDIT): EPERM");
	cok(denied(socket(AF_PACKET, SOCK_RAW, 0)), "inet: socket(AF_PACKET): EPERM");
	cok(denied(socket(AF_INET, SOCK_RAW, 1)), "inet: socket(AF_INET, SOCK_RAW): EPERM");
	{
		char *argv[] = { (char *)"true", NULL };

		cok(denied(execve("/bin/true", argv, environ)), "inet: execve: EPERM");
	}
	if (!SANITIZER) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		cok(p == -1 && errno == EPERM, "inet: fork: EPERM");
	}
	cok(denied(open("/dev/null", O_WRONLY)), "inet: open O_WRONLY: EPERM");
}

static void off_child(void)
{
	char err[SANDBOX_ERRMAX];

	cok(sandbox_install(SANDBOX_OFF, err, sizeof err) == S3_OK, "off: install is a no-op");
	cok(status_field("Seccomp:") == 0, "off: Seccomp: 0");
	cok(status_field("NoNewPrivs:") == 0, "off: NoNewPrivs: 0");
}

/* One hostile syscall per child, each under strict: killed by SIGSYS. */
static long hostile_nr;

static void hostile_child(void)
{
	char err[SANDBOX_ERRMAX];

	if (sandbox_install(SANDBOX_STRICT, err, sizeof err) != S3_OK)
		_exit(3);
	syscall(hostile_nr, 0, 0, 0, 0, 0);
	_exit(4);
}

static void abort_child(void)
{
	char err[SANDBOX_ERRMAX];

	if (sandbox_install(SANDBOX_STRICT, err, sizeof err) != S3_OK)
		_exit(3);
	signal(SIGABRT, SIG_DFL);
	abort();    /* tgkill to itself: allowed */
}

/* Under a sanitizer build, exit() runs LeakSanitizer, which needs its
 * relaxations; a plain build just exits. */
static void exit_child(void)
{
	char err[SANDBOX_ERRMAX];
	char *p;

	if (sandbox_install(SANDBOX_STRICT, err, sizeof err) != S3_OK)
		_exit(3);
	p = malloc(100);
	free(p);
	exit(0);
}

int main(void)
{
	int st;
	struct { const char *name; long nr; } hostile[] = {
		{ "mount", SYS_mount }, { "unshare", SYS_unshare }, { "setuid", SYS_setuid },
		{ "bpf", SYS_bpf }, { "keyctl", SYS_keyctl }, { "personality", SYS_personality },
		{ "io_uring_setup", SYS_io_uring_setup }, { "chroot", SYS_chroot },
		{ "process_vm_readv", SYS_process_vm_readv },
		{ "x32 ABI getpid", 0x40000000L | SYS_getpid },
		{ "ptrace", SYS_ptrace },
	};

	test_plan();
	if (!sandbox_supported()) {
		char err[SANDBOX_ERRMAX];

		/* in a child: the rlimit / no-new-privs part still applies */
		pid_t pid = fork();

		if (pid == 0)
			_exit(sandbox_install(SANDBOX_STRICT, err, sizeof err) != S3_OK &&
			      strstr(err, "sandbox unsupported on this architecture") ? 0 : 1);
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "unsupported architecture: install fails with \"sandbox unsupported on "
		   "this architecture\"");
		return done_testing();
	}

	st = in_child(strict_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "strict child exited 0 (status %#x)", st);
	st = in_child(inet_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "inet child exited 0 (status %#x)", st);
	st = in_child(off_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "off child exited 0 (status %#x)", st);

	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		if (SANITIZER && hostile[i].nr == SYS_ptrace)
			continue;    /* LeakSanitizer needs it */
		hostile_nr = hostile[i].nr;
		st = in_child(hostile_child);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		   "strict: %s kills the process with SIGSYS (status %#x)", hostile[i].name, st);
	}
	{
		/* a sleep stopped and continued resumes through restart_syscall */
		pid_t pid = fork();
		char err[SANDBOX_ERRMAX];

		if (pid == 0) {
			struct timespec t = { 0, 400 * 1000 * 1000 };

			if (sandbox_install(SANDBOX_STRICT, err, sizeof err) != S3_OK)
				_exit(3);
			_exit(nanosleep(&t, NULL) == 0 ? 0 : errno == EPERM ? 4 : 5);
		}
		usleep(150 * 1000);
		kill(pid, SIGSTOP);
		usleep(50 * 1000);
		kill(pid, SIGCONT);
		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "strict: a sleep stopped and continued resumes (restart_syscall) (status %#x)", st);
	}
	st = in_child(abort_child);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	   "strict: abort() still raises SIGABRT (tgkill to itself) (status %#x)", st);
	st = in_child(exit_child);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "strict: exit() is clean%s (status %#x)",
	   SANITIZER ? " with LeakSanitizer at exit" : "", st);

	return done_testing();
}
