/* test_sd_listen.c - cgi/sd_listen.c: the sd_listen_fds(3) protocol.
 * Each case puts a descriptor on fd 3 (a listening unix or TCP socket,
 * one not listening, a datagram socket, a pipe, nothing), sets LISTEN_PID
 * and LISTEN_FDS, and checks what sd_listen_take says, that the variables
 * are gone afterwards whatever they held, and the close-on-exec flag. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "sd_listen.h"
#include "tap.h"

static char dir[] = "/tmp/test_sd_listen.XXXXXX";

/* what goes on fd 3 */
enum what { NONE, UNIX_LISTEN, TCP_LISTEN, UNIX_BOUND, DGRAM, PIPE };

static void put_fd3(enum what w)
{
	int fd = -1, p[2];
	struct sockaddr_un u;
	struct sockaddr_in in;

	close(3);
	memset(&u, 0, sizeof u);
	u.sun_family = AF_UNIX;
	snprintf(u.sun_path, sizeof u.sun_path, "%s/s%d.sock", dir, (int)w);
	unlink(u.sun_path);
	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	switch (w) {
	case NONE:
		return;
	case UNIX_LISTEN:
	case UNIX_BOUND:
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (bind(fd, (struct sockaddr *)&u, sizeof u) != 0 ||
		    (w == UNIX_LISTEN && listen(fd, 8) != 0))
			diag("bind/listen failed");
		break;
	case TCP_LISTEN:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(fd, (struct sockaddr *)&in, sizeof in) != 0 || listen(fd, 8) != 0)
			diag("bind/listen failed");
		break;
	case DGRAM:
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		break;
	case PIPE:
		if (pipe(p) != 0)
			diag("pipe failed");
		close(p[1]);
		fd = p[0];
		break;
	}
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
}

static void set(const char *pid, const char *fds)
{
	char mine[32];

	snprintf(mine, sizeof mine, "%ld", (long)getpid());
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	if (pid)
		setenv("LISTEN_PID", !strcmp(pid, "self") ? mine : pid, 1);
	if (fds)
		setenv("LISTEN_FDS", fds, 1);
	setenv("LISTEN_FDNAMES", "sign-s3.socket", 1);
}

static void run(const char *name, enum what w, const char *pid, const char *fds,
                int want_rc, const char *want_err)
{
	char err[256] = "";
	int fd = 12345, rc;

	put_fd3(w);
	set(pid, fds);
	rc = sd_listen_take(&fd, err, sizeof err);
	is_int(rc, want_rc, "%s: returns %d", name, want_rc);
	if (want_rc == 1)
		ok(fd == 3 && (fcntl(3, F_GETFD) & FD_CLOEXEC), "%s: fd 3, close-on-exec", name);
	else
		ok(fd == -1, "%s: no fd", name);
	if (want_err)
		ok(strstr(err, want_err) != NULL, "%s: says \"%s\" (%s)", name, want_err, err);
	ok(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS") && !getenv("LISTEN_FDNAMES"),
	   "%s: LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES unset", name);
}

int main(void)
{
	char desc[SD_LISTEN_DESC_MAX], want[SD_LISTEN_DESC_MAX];
	int fd;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	run("no LISTEN_PID", UNIX_LISTEN, NULL, "1", 0, NULL);
	run("another process's LISTEN_PID", UNIX_LISTEN, "1", "1", 0, NULL);
	run("LISTEN_PID 0x10", UNIX_LISTEN, "0x10", "1", -1, "LISTEN_PID is not a process id");
	run("LISTEN_PID empty", UNIX_LISTEN, "", "1", -1, "LISTEN_PID");
	run("a unix listening socket", UNIX_LISTEN, "self", "1", 1, NULL);
	run("a TCP listening socket", TCP_LISTEN, "self", "1", 1, NULL);
	run("LISTEN_FDS missing", UNIX_LISTEN, "self", NULL, -1, "LISTEN_FDS is not set");
	run("LISTEN_FDS x", UNIX_LISTEN, "self", "x", -1, "LISTEN_FDS is not a number");
	run("LISTEN_FDS -1", UNIX_LISTEN, "self", "-1", -1, "LISTEN_FDS is not a number");
	run("LISTEN_FDS 0", UNIX_LISTEN, "self", "0", -1, "0 sockets passed");
	run("LISTEN_FDS 2", UNIX_LISTEN, "self", "2", -1, "2 sockets passed");
	run("fd 3 closed", NONE, "self", "1", -1, "fd 3 is not open");
	run("fd 3 a pipe", PIPE, "self", "1", -1, "fd 3 is not a socket");
	run("fd 3 a datagram socket", DGRAM, "self", "1", -1, "not a unix or TCP stream socket");
	run("fd 3 bound, not listening", UNIX_BOUND, "self", "1", -1, "fd 3 is not listening");

	put_fd3(UNIX_LISTEN);
	sd_listen_describe(3, desc, sizeof desc);
	snprintf(want, sizeof want, "systemd socket fd 3 (unix:%s/s%d.sock)", dir, UNIX_LISTEN);
	is_str(desc, want, "describe: a unix socket's path");
	put_fd3(TCP_LISTEN);
	sd_listen_describe(3, desc, sizeof desc);
	ok(!strncmp(desc, "systemd socket fd 3 (127.0.0.1:", 31) && desc[strlen(desc) - 1] == ')',
	   "describe: a TCP socket's address and port (%s)", desc);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un u = { .sun_family = AF_UNIX };
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + 9);

		memcpy(u.sun_path, "\0sd-listen", 10);
		if (bind(fd, (struct sockaddr *)&u, len) == 0 && listen(fd, 1) == 0) {
			sd_listen_describe(fd, desc, sizeof desc);
			snprintf(want, sizeof want, "systemd socket fd %d (unix:@sd-listen)", fd);
			is_str(desc, want, "describe: an abstract unix socket as @name");
		} else {
			ok(0, "describe: an abstract unix socket (bind failed)");
		}
		close(fd);
	}
	close(3);
	for (int w = UNIX_LISTEN; w <= PIPE; w++) {
		char p[sizeof ((struct sockaddr_un *)0)->sun_path];

		snprintf(p, sizeof p, "%s/s%d.sock", dir, w);
		unlink(p);
	}
	rmdir(dir);
	return done_testing();
}
