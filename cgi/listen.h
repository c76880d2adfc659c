/* listen.h - sign_s3's own FastCGI listener: --listen, --workers, --user.
 *
 *   sign_s3 --listen unix:/run/sign_s3/sign_s3.sock [--workers N] [--user NAME]
 *   sign_s3 --listen 127.0.0.1:9000 ...
 *
 * The parent binds the socket (a unix socket is made mode 0666: restrict
 * access with its directory), drops privileges to --user if given, then
 * forks N prefork workers (default: the number of cores) that share it,
 * each running the FastCGI loop. A worker that dies is replaced (at most
 * LISTEN_RESPAWN_BURST times a second, so a crash loop does not spin).
 * SIGTERM or SIGINT: the parent removes a unix socket's path (new
 * connections fail at once), passes SIGTERM to the workers, each finishes the
 * request in progress and answers what is already queued on the socket, then
 * exits; the parent waits for them and exits 0.
 *
 * Sandbox and credential broker: common/sandbox.h. With opts.sandbox the
 * parent hardens itself (no filter: it forks) and logs one line; each
 * worker forks its broker if planned, then installs the filter. */
#ifndef SIGN_S3_LISTEN_H
#define SIGN_S3_LISTEN_H

#include "handler.h"
#include "sandbox.h"

#define LISTEN_MAX_WORKERS     256
#define LISTEN_BACKLOG         1024
#define LISTEN_RESPAWN_BURST   20     /* respawns allowed per second */
#define LISTEN_MAX_ADDR        108    /* sun_path size */

struct listen_opts {
	const char *addr;      /* "unix:/path" or "HOST:PORT" */
	int workers;           /* 0: number of cores */
	const char *user;      /* NULL: stay who we are */
	const struct sandbox_plan *sandbox;   /* NULL: none (set by the caller) */
};

/* Parses --listen/--workers/--user from argv (argv[0] is the program).
 * Returns 0, or 2 after printing a usage error. */
int listen_parse_args(int argc, char **argv, struct listen_opts *o);

/* With --user: HOME, USER and LOGNAME become the user's (from the passwd
 * entry), before the configuration and the credential chain read them, so
 * ~/.aws means the user's files, not root's. Returns 0, or 2 after
 * printing why (no such user). */
int listen_user_env(const struct listen_opts *o);

/* Runs the listener until SIGTERM; app is initialized already. Returns
 * the process exit status. */
int listen_run(struct s3_app *app, const struct listen_opts *o);

#endif
