/* settings.h - where sign_s3's settings come from: the environment over
 * one configuration file, for the whole process (config.h's table, the
 * credential chain, the sandbox, the credential broker's environment and
 * the FastCGI loop all look their names up here).
 *
 * The file: SIGN_S3_CONFIG when the environment sets it; otherwise the
 * first that exists of
 *     <home>/.config/sign_s3/sign_s3.conf   (S3_SETTINGS_USER_FILE)
 *     /etc/sign_s3/sign_s3.conf             (S3_SETTINGS_SYSTEM_FILE)
 * where <home> is the password entry's home of the user the program runs
 * as (getpwuid(geteuid()), never $HOME: suEXEC does not pass it, and a
 * request must not choose it). A file that exists but cannot be read or is
 * refused stops the search: it is an error, never a fall-back to the next.
 * None at all is no error (every setting may come from the environment).
 *
 * The file must be a regular file owned by the running user or by root and
 * writable by neither group nor others (file.h, s3_file_read_owned: fstat
 * on the descriptor read), else it is refused with a message saying why.
 *
 * Names: a file may set every name of config.h's table and those read
 * elsewhere (S3_SETTINGS_EXTRA_NAMES below: the credential chain's, the
 * sandbox's, FCGI_WEB_SERVER_ADDRS); the environment wins wherever both
 * set a name, "" included. Not settable in the file: SIGN_S3_CONFIG (it
 * names the file), HOME (the environment's, else the password entry's:
 * s3_settings_get answers it so that ~/.aws means the user's files under
 * suEXEC too), and what the web server passes per request (CGI's
 * REQUEST_METHOD, GATEWAY_INTERFACE, ...). tests/settings_names.sh finds
 * every name the sources read and holds each to this. Variables only the
 * libraries read are not sign_s3's settings and stay environment-only:
 * libmagic's MAGIC (S3_MAGIC_FILE is the setting), OpenSSL's OPENSSL_*,
 * glibc's TZ and LC_*; libcurl's proxy variables are ignored (http.c). */
#ifndef SIGN_S3_SETTINGS_H
#define SIGN_S3_SETTINGS_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "config_file.h"
#include "err.h"

#define S3_SETTINGS_USER_FILE   "/.config/sign_s3/sign_s3.conf"   /* after <home> */
#define S3_SETTINGS_SYSTEM_FILE "/etc/sign_s3/sign_s3.conf"
#define S3_SETTINGS_MAX_PATH    4096
#define S3_SETTINGS_MAX_SEARCH  4       /* paths in a search list */
#define S3_SETTINGS_LABEL_FOUND "configuration file"   /* in messages: a found file */

/* Where to look, and whose the file must be. */
struct s3_settings_where {
	uid_t uid;                  /* the running user: the file's owner or root */
	const char *home;           /* "" or NULL: none (the home's HOME answer) */
	const char *search[S3_SETTINGS_MAX_SEARCH + 1];  /* tried in order without
	                                                    SIGN_S3_CONFIG; NULL ends */
};

struct s3_settings {
	s3_lookup_fn env;           /* the environment (a table in tests) */
	void *env_ctx;
	struct cfg_file file;       /* no entries when there is no file */
	const char *label;          /* CFG_FILE_VAR or S3_SETTINGS_LABEL_FOUND; NULL: no file */
	char path[S3_SETTINGS_MAX_PATH + 1];    /* the file read, "" none */
	char home[S3_SETTINGS_MAX_PATH + 1];    /* where->home, "" none */
};

/* The production where: uid, its home from the password database, and
 * the search list <home>S3_SETTINGS_USER_FILE, S3_SETTINGS_SYSTEM_FILE
 * (the first left out when there is no home). buf holds the strings. */
void s3_settings_where_default(struct s3_settings_where *w, uid_t uid,
                               char buf[2][S3_SETTINGS_MAX_PATH + 1]);

/* Reads the file (see above) into s. On failure (S3_ERR_CONFIG for a
 * refused or malformed file, S3_ERR_IO unreadable, S3_ERR_NOMEM) err names
 * the file and why, and s holds nothing. */
enum s3_err s3_settings_open(struct s3_settings *s, s3_lookup_fn env, void *env_ctx,
                             const struct s3_settings_where *w, char *err, size_t cap);

/* A name's value, environment first, then the file (*line: its line there,
 * 0 from the environment; line may be NULL). */
const char *s3_settings_find(const struct s3_settings *s, const char *name, unsigned *line);

/* The same as an s3_lookup_fn (ctx: the settings), with HOME answered
 * from the password entry when the environment has none. */
const char *s3_settings_get(void *ctx, const char *name);

/* 1 when a file may set name. */
int s3_settings_known(const char *name);

/* Wipes the file's copies of the secrets config.h has loaded (the static
 * keys, S3_NOTIFY_SECRET): once the configuration holds them, nothing
 * looks them up again. */
void s3_settings_drop_secrets(struct s3_settings *s);

/* Wipes and frees what s holds. */
void s3_settings_close(struct s3_settings *s);

#endif
