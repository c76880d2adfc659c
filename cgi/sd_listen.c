/* sd_listen.c - systemd socket activation (see sd_listen.h). */
#include "sd_listen.h"
#include "syntax.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A decimal number of at most 10 digits, nothing else: 1 and *out, or 0. */
static int parse_num(const char *s, long max, long *out)
{
	unsigned long long v;

	if (!s || strlen(s) > 10 || s3_decimal(s, strlen(s), (unsigned long long)max, &v))
		return 0;
	*out = (long)v;
	return 1;
}

static int sockopt(int fd, int name, int *v)
{
	socklen_t len = sizeof *v;

	return getsockopt(fd, SOL_SOCKET, name, v, &len) == 0 && len == sizeof *v ? 0 : -1;
}

/* fd must be a listening stream socket of a family FastCGI runs on. */
static int check_fd(int fd, char *err, size_t cap)
{
	int acc = 0, type = 0, dom = 0;

	if (fcntl(fd, F_GETFD) < 0) {
		snprintf(err, cap, "systemd socket activation: fd %d is not open", fd);
		return -1;
	}
	if (sockopt(fd, SO_TYPE, &type) != 0) {
		snprintf(err, cap, "systemd socket activation: fd %d is not a socket", fd);
		return -1;
	}
	if (type != SOCK_STREAM || sockopt(fd, SO_DOMAIN, &dom) != 0 ||
	    (dom != AF_UNIX && dom != AF_INET && dom != AF_INET6)) {
		snprintf(err, cap, "systemd socket activation: fd %d is not a unix or TCP "
		         "stream socket (use ListenStream=)", fd);
		return -1;
	}
	if (sockopt(fd, SO_ACCEPTCONN, &acc) != 0 || !acc) {
		snprintf(err, cap, "systemd socket activation: fd %d is not listening "
		         "(Accept=yes is not supported: use Accept=no)", fd);
		return -1;
	}
	return 0;
}

int sd_listen_take(int *fd, char *err, size_t cap)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	long pid = 0, n = 0;
	int rc = 0;

	*fd = -1;
	if (!pid_s) {
		rc = 0;
	} else if (!parse_num(pid_s, 0x7fffffffL, &pid) || pid < 1) {
		snprintf(err, cap, "systemd socket activation: LISTEN_PID is not a process id");
		rc = -1;
	} else if ((pid_t)pid != getpid()) {
		rc = 0;                  /* passed to another process: not ours */
	} else if (!parse_num(fds_s, 0x7fffffffL, &n)) {
		snprintf(err, cap, "systemd socket activation: LISTEN_FDS is %s",
		         fds_s ? "not a number" : "not set");
		rc = -1;
	} else if (n != 1) {
		snprintf(err, cap, "systemd socket activation: %ld sockets passed (LISTEN_FDS), "
		         "sign_s3 serves exactly one: one ListenStream= in the socket unit", n);
		rc = -1;
	} else if (check_fd(SD_LISTEN_FDS_START, err, cap) == 0 &&
	           fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) == 0) {
		*fd = SD_LISTEN_FDS_START;
		rc = 1;
	} else {
		rc = -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

void sd_listen_describe(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, cap, "systemd socket fd %d", fd);
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *u = (const struct sockaddr_un *)&ss;
		size_t plen = len > offsetof(struct sockaddr_un, sun_path) ?
		              len - offsetof(struct sockaddr_un, sun_path) : 0;

		if (plen > sizeof u->sun_path)
			plen = sizeof u->sun_path;
		/* an abstract socket starts with a NUL: shown as '@' */
		snprintf(out, cap, "systemd socket fd %d (unix:%s%.*s)", fd,
		         plen && !u->sun_path[0] ? "@" : "",
		         (int)(plen && !u->sun_path[0] ? strnlen(u->sun_path + 1, plen - 1) :
		               strnlen(u->sun_path, plen)),
		         plen && !u->sun_path[0] ? u->sun_path + 1 : u->sun_path);
	} else {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
			port = ntohs(a->sin6_port);
		}
		snprintf(out, cap, ss.ss_family == AF_INET6 ? "systemd socket fd %d ([%s]:%d)" :
		         "systemd socket fd %d (%s:%d)", fd, host, port);
	}
}
