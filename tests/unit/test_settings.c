/* test_settings.c - common/settings.h: where the configuration file is
 * found (SIGN_S3_CONFIG, else the search list, first that exists), the
 * ownership and mode rule (owner, group/other write, not a regular file,
 * checked on what is opened), the names a file may set beyond config.h's
 * table, the environment over the file, HOME from the password entry, and
 * s3_config_load reading through the settings. The search list is a
 * parameter: every file here lives in a temporary directory. */
#define _GNU_SOURCE 1          /* memmem */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "creds_int.h"
#include "settings.h"
#include "tap.h"

#define ERRCAP 512
#define OTHER_UID 54321u    /* an owner that is neither the test's user nor root */

static char dir[64];

struct kv {
	const char *name, *value;
};

static const char *fake_get(void *ctx, const char *name)
{
	for (const struct kv *kv = ctx; kv && kv->name; kv++)
		if (!strcmp(kv->name, name))
			return kv->value;
	return NULL;
}

static const struct kv none[] = { { NULL, NULL } };

/* dir/rel with content at mode; the path in out. */
static const char *put(const char *rel, const char *content, mode_t mode, char *out, size_t cap)
{
	FILE *f;

	snprintf(out, cap, "%s/%s", dir, rel);
	f = fopen(out, "w");
	if (!f) {
		diag("%s: %s", out, strerror(errno));
		return out;
	}
	fputs(content, f);
	fclose(f);
	chmod(out, mode);
	return out;
}

static struct s3_settings_where where(const char *a, const char *b)
{
	struct s3_settings_where w = { .uid = geteuid(), .home = "/home/nobody-here" };

	w.search[0] = a;
	w.search[1] = a ? b : NULL;
	return w;
}

static void test_search(void)
{
	char user[128], sys[128], missing[128], err[ERRCAP];
	struct s3_settings s;
	struct s3_settings_where w;
	unsigned line;

	snprintf(missing, sizeof missing, "%s/nothing/sign_s3.conf", dir);
	put("user.conf", "S3_BUCKET=from-user\nAWS_PROFILE=user-profile\n", 0600, user, sizeof user);
	put("sys.conf", "S3_BUCKET=from-system\n", 0644, sys, sizeof sys);

	w = where(user, sys);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "search: the first file opens");
	is_str(s3_settings_find(&s, "S3_BUCKET", &line), "from-user", "search: the first that exists wins");
	is_int(line, 1, "search: its line");
	is_str(s.path, user, "search: the path kept");
	is_str(s.label, S3_SETTINGS_LABEL_FOUND, "search: labelled as found");
	s3_settings_close(&s);

	w = where(missing, sys);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "search: a missing first file is skipped");
	is_str(s3_settings_find(&s, "S3_BUCKET", NULL), "from-system", "search: the second is read");
	is_str(err, "", "search: no message");
	s3_settings_close(&s);

	w = where(missing, missing);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "search: none exists: no error");
	ok(s3_settings_find(&s, "S3_BUCKET", NULL) == NULL && !s.label && !s.path[0],
	   "search: none exists: nothing set");
	s3_settings_close(&s);

	{
		const struct kv env[] = { { "SIGN_S3_CONFIG", sys }, { NULL, NULL } };

		w = where(user, NULL);
		is_int(s3_settings_open(&s, fake_get, (void *)env, &w, err, sizeof err), S3_OK,
		       "SIGN_S3_CONFIG: opens");
		is_str(s3_settings_find(&s, "S3_BUCKET", NULL), "from-system",
		       "SIGN_S3_CONFIG wins over the search list");
		is_str(s.label, "SIGN_S3_CONFIG", "SIGN_S3_CONFIG: labelled so");
		s3_settings_close(&s);
	}
	{
		const struct kv env[] = { { "SIGN_S3_CONFIG", missing }, { NULL, NULL } };
		char want[ERRCAP];

		w = where(user, NULL);
		is_int(s3_settings_open(&s, fake_get, (void *)env, &w, err, sizeof err), S3_ERR_IO,
		       "SIGN_S3_CONFIG missing: an error, no fall-back to the search");
		snprintf(want, sizeof want, "SIGN_S3_CONFIG: cannot read %s: No such file or directory",
		         missing);
		is_str(err, want, "SIGN_S3_CONFIG missing: message");
	}
	unlink(user);
	unlink(sys);
}

/* One refused file: rc, and err is "configuration file: PATH: refused: why". */
static void refused(const char *path, uid_t uid, const char *why, const char *name)
{
	struct s3_settings s;
	struct s3_settings_where w = where(path, NULL);
	char err[ERRCAP], want[ERRCAP];

	w.uid = uid;
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_ERR_CONFIG,
	       "%s: refused", name);
	snprintf(want, sizeof want, "configuration file: %s: refused: %s", path, why);
	is_str(err, want, "%s: the log line says why", name);
	ok(!s.label && s.file.n == 0 && !s.file.buf, "%s: nothing kept", name);
}

static void test_owner(void)
{
	char p[128], q[128], link[160], why[160];
	uid_t me = geteuid();
	struct s3_settings s;
	struct s3_settings_where w;
	char err[ERRCAP];

	put("g.conf", "S3_BUCKET=b\n", 0620, p, sizeof p);
	refused(p, me, "writable by group (mode 0620; chmod go-w)", "group-writable");
	chmod(p, 0602);
	refused(p, me, "writable by others (mode 0602; chmod go-w)", "other-writable");
	chmod(p, 0666);
	refused(p, me, "writable by group and others (mode 0666; chmod go-w)", "world-writable");

	/* a refused first file stops the search: the second is not read */
	put("ok.conf", "S3_BUCKET=second\n", 0600, q, sizeof q);
	w = where(p, q);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_ERR_CONFIG,
	       "a refused file is not passed over for the next");

	/* 0644 and 0400 are fine */
	chmod(p, 0644);
	w = where(p, NULL);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "mode 0644 owned by the user: read");
	s3_settings_close(&s);
	chmod(p, 0400);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "mode 0400: read");
	s3_settings_close(&s);

	/* someone else's file: as root, make it another user's; else the
	 * file is ours and the running user is said to be another */
	if (me == 0) {
		ok(chown(p, OTHER_UID, OTHER_UID) == 0, "chown to uid %u", OTHER_UID);
		snprintf(why, sizeof why, "owned by uid %u, not by the running user (uid %u) or root",
		         OTHER_UID, OTHER_UID + 1);
		refused(p, OTHER_UID + 1, why, "another user's file");
		is_int(chown(p, 0, 0), 0, "back to root");
		w.uid = OTHER_UID + 1;
		is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
		       "root's file is read by any user");
		s3_settings_close(&s);
	} else {
		snprintf(why, sizeof why, "owned by uid %u, not by the running user (uid %u) or root",
		         (unsigned)me, (unsigned)me + 1);
		refused(p, me + 1, why, "another user's file");
	}

	/* a symbolic link: the file it leads to is what is checked */
	chmod(p, 0600);
	snprintf(link, sizeof link, "%s/link.conf", dir);
	ok(symlink(p, link) == 0, "symlink made");
	w = where(link, NULL);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "a link to a good file: read");
	s3_settings_close(&s);
	chmod(p, 0660);
	refused(link, me, "writable by group (mode 0660; chmod go-w)", "a link to a group-writable file");
	unlink(link);

	/* a FIFO: refused at once, never waited on */
	snprintf(link, sizeof link, "%s/fifo.conf", dir);
	ok(mkfifo(link, 0600) == 0, "fifo made");
	refused(link, me, "not a regular file", "a FIFO");
	unlink(link);
	unlink(p);
	unlink(q);
}

static void test_names(void)
{
	static const char *const file_names[] = {
		/* config.h's table */
		"S3_BUCKET", "S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "S3_NOTIFY_TIMEOUT",
		/* the credential chain's, as creds_int.h names them */
		ENV_MODE, ENV_PROFILE, ENV_DEFAULT_PROFILE, ENV_CRED_FILE, ENV_CONFIG_FILE,
		ENV_REL_URI, ENV_FULL_URI, ENV_AUTH_TOKEN, ENV_AUTH_TOKEN_FILE,
		ENV_CONTAINER_ENDPOINT, ENV_IMDS_DISABLED, ENV_IMDS_ENDPOINT, ENV_IMDS_MODE,
		/* the sandbox's, FastCGI's */
		"S3_SANDBOX", "S3_SANDBOX_EXEC", "FCGI_WEB_SERVER_ADDRS",
	};
	static const char *const not_names[] = {
		"SIGN_S3_CONFIG", "HOME", "REQUEST_METHOD", "GATEWAY_INTERFACE", "PATH",
		"REMOTE_USER", "S3_UNKNOWN",
	};

	for (size_t i = 0; i < sizeof file_names / sizeof file_names[0]; i++)
		ok(s3_settings_known(file_names[i]), "a file may set %s", file_names[i]);
	for (size_t i = 0; i < sizeof not_names / sizeof not_names[0]; i++)
		ok(!s3_settings_known(not_names[i]), "a file may not set %s", not_names[i]);
}

static void test_lookup(void)
{
	char p[128], err[ERRCAP];
	const char *text = "AWS_PROFILE=file-profile\nS3_CREDENTIALS=file\n"
	                   "AWS_SHARED_CREDENTIALS_FILE=/srv/creds\nS3_SANDBOX=1\n"
	                   "AWS_SECRET_ACCESS_KEY=SECRETSECRET\nAWS_ACCESS_KEY_ID=AKIDEXAMPLE\n"
	                   "FCGI_WEB_SERVER_ADDRS=127.0.0.1\n";
	const struct kv env[] = {
		{ "AWS_PROFILE", "env-profile" }, { "S3_SANDBOX", "" }, { NULL, NULL },
	};
	const struct kv env_home[] = { { "HOME", "/env/home" }, { NULL, NULL } };
	struct s3_settings s;
	struct s3_settings_where w;

	put("l.conf", text, 0600, p, sizeof p);
	w = where(p, NULL);
	w.home = "/pw/home";
	is_int(s3_settings_open(&s, fake_get, (void *)env, &w, err, sizeof err), S3_OK, "lookup: opens");
	is_str(s3_settings_get(&s, "AWS_PROFILE"), "env-profile", "the environment wins");
	is_str(s3_settings_get(&s, "S3_SANDBOX"), "", "the environment wins when empty too");
	is_str(s3_settings_get(&s, "S3_CREDENTIALS"), "file", "the file answers S3_CREDENTIALS");
	is_str(s3_settings_get(&s, "AWS_SHARED_CREDENTIALS_FILE"), "/srv/creds",
	       "the file answers AWS_SHARED_CREDENTIALS_FILE");
	is_str(s3_settings_get(&s, "FCGI_WEB_SERVER_ADDRS"), "127.0.0.1",
	       "the file answers FCGI_WEB_SERVER_ADDRS");
	is_str(s3_settings_get(&s, "HOME"), "/pw/home", "HOME: the password entry's without $HOME");
	is_str(s3_settings_get(&s, "AWS_SECRET_ACCESS_KEY"), "SECRETSECRET", "a secret before the drop");
	s3_settings_drop_secrets(&s);
	ok(s3_settings_get(&s, "AWS_SECRET_ACCESS_KEY") == NULL &&
	   s3_settings_get(&s, "AWS_ACCESS_KEY_ID") == NULL, "the loaded secrets dropped");
	is_str(s3_settings_get(&s, "S3_CREDENTIALS"), "file", "the rest kept after the drop");
	ok(!memmem(s.file.buf, s.file.size, "SECRETSECRET", 12), "the secret wiped from the buffer");
	s3_settings_close(&s);

	is_int(s3_settings_open(&s, fake_get, (void *)env_home, &w, err, sizeof err), S3_OK,
	       "lookup: opens again");
	is_str(s3_settings_get(&s, "HOME"), "/env/home", "HOME: the environment's wins");
	s3_settings_close(&s);
	unlink(p);
}

/* s3_config_load through the settings: values and messages of a found file. */
static void test_config_through(void)
{
	char p[128], err[ERRCAP], want[ERRCAP];
	struct s3_settings s;
	struct s3_settings_where w;
	struct s3_config c;
	const struct kv env[] = { { "S3_EXPIRES", "90" }, { NULL, NULL } };

	put("c.conf", "# shared hosting\nS3_BUCKET=bkt\nS3_EXPIRES=30\nS3_KEY_PREFIX=up/\n",
	    0600, p, sizeof p);
	w = where(p, NULL);
	is_int(s3_settings_open(&s, fake_get, (void *)env, &w, err, sizeof err), S3_OK, "config: opens");
	is_int(s3_config_load(&c, s3_settings_get, &s, err, sizeof err), S3_OK, "config: loads");
	is_str(c.bucket, "bkt", "config: S3_BUCKET from the found file");
	is_str(c.key_prefix, "up/", "config: S3_KEY_PREFIX from the found file");
	is_int(c.expires, 90, "config: the environment's S3_EXPIRES wins");
	s3_config_free(&c);
	s3_settings_close(&s);

	put("c.conf", "S3_BUCKET=bkt\nS3_EXPIRES=forever\n", 0600, p, sizeof p);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_OK,
	       "config: opens a bad value");
	is_int(s3_config_load(&c, s3_settings_get, &s, err, sizeof err), S3_ERR_CONFIG,
	       "config: a bad value refused");
	snprintf(want, sizeof want, "(configuration file: %s line 2)", p);
	ok(strstr(err, "S3_EXPIRES: ") == err && strstr(err, want), "config: message names the found "
	   "file and line (%s)", err);
	s3_settings_close(&s);

	put("c.conf", "S3_BUCKET=bkt\nHOME=/elsewhere\n", 0600, p, sizeof p);
	is_int(s3_settings_open(&s, fake_get, (void *)none, &w, err, sizeof err), S3_ERR_CONFIG,
	       "HOME in a file: refused");
	snprintf(want, sizeof want, "configuration file: %s line 2: unknown name", p);
	is_str(err, want, "HOME in a file: message");

	/* s3_config_load with a plain lookup still refuses a bad SIGN_S3_CONFIG file */
	{
		const struct kv env2[] = { { "SIGN_S3_CONFIG", p }, { NULL, NULL } };

		put("c.conf", "S3_BUCKET=bkt\n", 0622, p, sizeof p);
		is_int(s3_config_load(&c, fake_get, (void *)env2, err, sizeof err), S3_ERR_CONFIG,
		       "s3_config_load: a group-writable SIGN_S3_CONFIG file refused");
		snprintf(want, sizeof want, "SIGN_S3_CONFIG: %s: refused: writable by group and others "
		         "(mode 0622; chmod go-w)", p);
		is_str(err, want, "s3_config_load: message");
	}
	unlink(p);
}

static void test_default_where(void)
{
	char buf[2][S3_SETTINGS_MAX_PATH + 1], want[S3_SETTINGS_MAX_PATH + 64];
	struct s3_settings_where w;
	struct passwd *pw = getpwuid(geteuid());

	s3_settings_where_default(&w, geteuid(), buf);
	is_int(w.uid, geteuid(), "default: the uid");
	if (!pw) {
		ok(1, "# SKIP no password entry for uid %u", (unsigned)geteuid());
		return;
	}
	snprintf(want, sizeof want, "%s/.config/sign_s3/sign_s3.conf", pw->pw_dir);
	is_str(w.search[0], want, "default: <home>/.config/sign_s3/sign_s3.conf first");
	is_str(w.search[1], "/etc/sign_s3/sign_s3.conf", "default: /etc/sign_s3/sign_s3.conf next");
	ok(w.search[2] == NULL, "default: then nothing");
	is_str(w.home, pw->pw_dir, "default: the home is the password entry's");

	s3_settings_where_default(&w, (uid_t)4000000000u, buf);
	if (!getpwuid((uid_t)4000000000u)) {
		is_str(w.search[0], "/etc/sign_s3/sign_s3.conf", "no password entry: /etc only");
		ok(w.home == NULL, "no password entry: no home");
	}
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_settings.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	test_search();
	test_owner();
	test_names();
	test_lookup();
	test_config_through();
	test_default_where();
	rmdir(dir);
	return done_testing();
}
