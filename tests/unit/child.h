/* child.h - runs a test in a forked child (one that installs a seccomp
 * filter, say, which the parent must not get) and relays what it checked
 * as TAP lines of the parent: in the child, cok(cond, fmt, ...) writes
 * "1 name" or "0 name" to report_fd; in_child(fn) reads them and calls ok()
 * for each (child_run(fn, buf, cap) hands back the raw text instead).
 * Include after tap.h; used by test_sandbox.c and test_broker.c. */
#ifndef SIGN_S3_TEST_CHILD_H
#define SIGN_S3_TEST_CHILD_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_REPORT_MAX 16384   /* bytes of report lines one child may write */

static int report_fd = -1;

static void cok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void cok(int cond, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof line, "%d ", !!cond);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	for (int i = 2; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	if (write(report_fd, line, (size_t)n) != n)
		_exit(99);
}

/* Runs fn in a child with a pipe as report_fd and collects what it wrote
 * there into buf (cap bytes, NUL-terminated). Returns the child's wait
 * status. */
static int child_run(void (*fn)(void), char *buf, size_t cap)
{
	int fds[2], st = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (n < cap - 1 && (r = read(fds[0], buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fds[0]);
	buf[n] = '\0';
	waitpid(pid, &st, 0);
	return st;
}

/* child_run, with the child's cok() lines relayed as TAP. */
static int in_child(void (*fn)(void))
{
	static char buf[CHILD_REPORT_MAX];
	int st = child_run(fn, buf, sizeof buf);

	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		ok(line[0] == '1', "%s", line + 2);
	return st;
}

#endif
