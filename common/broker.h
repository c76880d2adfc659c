/* broker.h - where credential_process runs: a small broker process forked
 * before the seccomp filter goes in (why: sandbox.h), or, in a process
 * that has no filter (the command-line presigner, S3_SANDBOX=0), the
 * process itself. One function, broker_run(), for both.
 *
 * The helper: /bin/sh -c CMD in its own process group, stdin and stderr on
 * /dev/null (stderr may hold secrets: never read), its stdout read (at most
 * S3_CREDS_MAX_PROCESS_OUT bytes), the group killed after the timeout, the
 * exit status reported ("exited with status 3", "killed by signal 9",
 * "timed out after N ms (killed)"), whatever SIGCHLD disposition the web
 * server left. Its environment is built, never inherited:
 *   PATH   BROKER_PATH, fixed: not the web server's, whatever it was; a
 *          helper elsewhere is named by its absolute path (or sets PATH
 *          itself, e.g. credential_process = env PATH=/opt/x/bin helper)
 *   HOME, AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_CONFIG_FILE,
 *   AWS_SHARED_CREDENTIALS_FILE, AWS_REGION, AWS_DEFAULT_REGION
 *          copied from sign_s3's environment when set (and at most
 *          BROKER_MAX_ENV_VALUE bytes): what chooses the helper's own files,
 *          profile and region
 * and nothing else: no request variable (under CGI the environment holds
 * HTTP_PROXY from a client's Proxy: header, HTTP_*, QUERY_STRING,
 * REMOTE_*, CONTENT_*), no secret (AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_ACCESS_KEY_ID, AWS_CONTAINER_AUTHORIZATION_TOKEN,
 * S3_*). The values are the environment's when the broker was forked (with
 * --listen --user, after HOME became the user's).
 *
 * The broker: forked twice (its parent is then init, not the serving
 * process, which never has a child to reap), with fds 0-2 on /dev/null and
 * every other fd closed but its socket (no FastCGI listening socket, no
 * client connection); signals at their defaults, no core dump, not
 * dumpable, no new privileges (sandbox_harden). It serves one request at a
 * time and exits at EOF, i.e. when the serving process is gone.
 *
 * Wire (an AF_UNIX stream socketpair, host byte order, uint32_t fields):
 *   request  BROKER_MAGIC, timeout_ms (1..BROKER_MAX_TIMEOUT_MS), n
 *            (1..S3_CREDS_MAX_PROCESS_CMD), then n bytes of command (no NUL)
 *   reply    rc (an enum s3_err), w (0..BROKER_MAX_WHY-1, 0 when rc is
 *            S3_OK), n (0..S3_CREDS_MAX_PROCESS_OUT, 0 unless rc is S3_OK),
 *            then w bytes of message (printable ASCII), n bytes of output
 * A request that breaks a rule makes the broker exit; a reply that breaks
 * one, or none within timeout + BROKER_SLACK_MS, makes the serving process
 * close the socket (the broker then exits): credential_process is then
 * unavailable in that process, with a message saying so. The output (the
 * secrets) is wiped with OPENSSL_cleanse on both sides.
 *
 * The broker runs the command it is sent: what it takes away from the
 * serving process is execve, fork and every syscall a deny-list would have
 * let through, and the request's environment from the helper; not the
 * choice of the command. */
#ifndef SIGN_S3_BROKER_H
#define SIGN_S3_BROKER_H

#include <stddef.h>
#include "err.h"
#include "sandbox.h"

#define BROKER_PATH            "/usr/local/bin:/usr/bin:/bin"
#define BROKER_MAGIC           0x73336270u   /* "s3bp" */
#define BROKER_MAX_TIMEOUT_MS  600000        /* a request's timeout_ms */
#define BROKER_SLACK_MS        5000          /* the broker's kill and reap */
#define BROKER_MAX_WHY         256           /* a reply's message, with its NUL */
#define BROKER_MAX_ENV_VALUE   4096          /* a longer variable is left out */
#define BROKER_ERRMAX          200           /* suggested size of err */

/* Where the helper's environment takes the names it passes on (HOME, the
 * AWS_* file, profile and region names): get (the settings: the
 * environment over the configuration file, settings.h); NULL: getenv, the
 * default. Called once at start, before broker_prepare. */
void broker_env_from(s3_lookup_fn get, void *ctx);

/* Called by a serving process right before sandbox_install(plan->mode):
 * with the sandbox on, this process will not run programs itself any more;
 * with plan->broker, forks the broker. Nothing for NULL or SANDBOX_OFF.
 * On failure (err says why, no secret) credential_process is unavailable
 * in this process; the caller logs and serves on. */
enum s3_err broker_prepare(const struct sandbox_plan *plan, char *err, size_t errcap);

/* Forks a broker; its socket (close-on-exec), or -1 with err. Used by
 * broker_prepare, and by the tests to speak the wire directly. */
int broker_fork(char *err, size_t errcap);

/* Runs cmd (at most S3_CREDS_MAX_PROCESS_CMD bytes) with timeout_ms
 * (1..BROKER_MAX_TIMEOUT_MS): through the broker when one was forked,
 * else here unless broker_prepare said a filter is coming. out has room for
 * S3_CREDS_MAX_PROCESS_OUT + 1 bytes and gets the output, NUL-terminated,
 * *len bytes. On failure why says so ("credential_process: ..."), out is
 * wiped; S3_ERR_TOOLONG for too much output, S3_ERR_IO otherwise. */
enum s3_err broker_run(const char *cmd, long timeout_ms, char *out, size_t *len,
                       char *why, size_t cap);

#endif
