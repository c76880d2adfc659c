/* listen.h - sign_s3's own FastCGI listener: --listen, --workers, --user,
 * --socket-mode, --socket-group.
 *
 *   sign_s3 --listen unix:/run/sign_s3/sign_s3.sock [--workers N] [--user NAME]
 *           [--socket-mode OCTAL] [--socket-group GROUP]
 *   sign_s3 --listen 127.0.0.1:PORT ...
 *   sign_s3 [--workers N] [--user NAME]     started by systemd with the
 *                                           socket passed in (sd_listen.h)
 *
 * The parent binds the socket, drops privileges to --user if given, then
 * forks N prefork workers (default: the number of cores) that share it,
 * each running the FastCGI loop. A unix socket is made by bind() itself
 * with mode --socket-mode (default LISTEN_SOCKET_MODE, 0660; never
 * world-writable) and group --socket-group (default: the --user's primary
 * group, else ours); nothing is chmod'ed or chown'ed by path after the
 * bind (open_socket in listen.c says how). Whoever can connect can send
 * any FastCGI parameter, REMOTE_USER included: only the web server may.
 * A worker that dies is replaced (at most LISTEN_RESPAWN_BURST times a
 * second; one more and no worker is restarted for LISTEN_RESPAWN_PAUSE_MS,
 * so a crash loop does not spin); a failed fork() is retried, backing off
 * from LISTEN_FORK_RETRY_MS to LISTEN_FORK_RETRY_MAX_MS, so the pool
 * returns to N workers.
 * SIGTERM or SIGINT: the parent removes a unix socket's path (new
 * connections fail at once), passes SIGTERM to the workers, each finishes the
 * request in progress and answers what is already queued on the socket, then
 * exits; the parent waits for them and exits 0.
 *
 * With S3_STATUS=1 the parent maps the status page's figures (stats.h) in
 * shared memory before the first fork, a slot per worker, and counts the
 * workers alive and the respawns there.
 *
 * Sandbox and credential broker: common/sandbox.h. With opts.sandbox the
 * parent hardens itself (no filter: it forks) and logs one line; each
 * worker forks its broker if planned, then installs the filter. */
#ifndef SIGN_S3_LISTEN_H
#define SIGN_S3_LISTEN_H

#include "handler.h"
#include "sandbox.h"
#include "sd_listen.h"

#include <sys/types.h>

#define LISTEN_MAX_WORKERS     256
#define LISTEN_BACKLOG         1024
#define LISTEN_RESPAWN_BURST   20     /* respawns allowed per second */
#define LISTEN_RESPAWN_PAUSE_MS 1000  /* then none for this long */
#define LISTEN_FORK_RETRY_MS   100    /* first retry of a failed fork() */
#define LISTEN_FORK_RETRY_MAX_MS 5000 /* retries back off up to this */
#define LISTEN_SOCKET_MODE     0660   /* unix socket: owner and group only */
#define LISTEN_MAX_ADDR        108    /* sun_path size */

struct listen_opts {
	const char *addr;      /* "unix:/path" or "HOST:PORT"; or desc */
	int fd;                /* -1, or the socket systemd passed (served as is) */
	char desc[SD_LISTEN_DESC_MAX];   /* what fd listens on, for the log */
	int workers;           /* 0: number of cores */
	const char *user;      /* NULL: stay who we are */
	uid_t user_uid;        /* --user's, set by listen_user_env */
	gid_t user_gid;
	mode_t socket_mode;    /* LISTEN_SOCKET_MODE unless --socket-mode */
	int has_mode;
	gid_t socket_gid;      /* --socket-group, resolved at parse time */
	int has_group;
	const struct sandbox_plan *sandbox;   /* NULL: none (set by the caller) */
};

/* Parses --listen/--workers/--user/--socket-mode/--socket-group from argv
 * (argv[0] is the program); the group is looked up here, once. With
 * activated_fd >= 0 (a socket systemd passed: sd_listen_take) that socket
 * is served, and --listen, --socket-mode and --socket-group are refused
 * (the socket unit's ListenStream=, SocketMode=, SocketGroup= say them);
 * the socket is never unlinked at exit (systemd owns it). Returns 0, or 2
 * after printing a usage error (a world-writable --socket-mode, an
 * unknown group, a socket option with a TCP address are ones). */
int listen_parse_args(int argc, char **argv, struct listen_opts *o, int activated_fd);

/* With --user: looks the user up (once: o->user_uid and user_gid are what
 * listen_run drops to); HOME, USER and LOGNAME become the user's (from
 * the passwd entry), before the configuration and the credential chain
 * read them, so ~/.aws means the user's files, not root's. Returns 0, or
 * 2 after printing why (no such user). */
int listen_user_env(struct listen_opts *o);

/* Runs the listener until SIGTERM; app is initialized already. Returns
 * the process exit status. */
int listen_run(struct s3_app *app, const struct listen_opts *o);

#endif
