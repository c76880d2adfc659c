/* settings.c - the environment over one configuration file (settings.h). */
#include "settings.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "creds_int.h"

/* The names a file may set besides config.h's table: those the program
 * reads through the settings lookup elsewhere. */
static const char *const extra_names[] = {
	/* the credential chain (creds.h, creds_int.h) */
	ENV_MODE, ENV_PROFILE, ENV_DEFAULT_PROFILE, ENV_CRED_FILE, ENV_CONFIG_FILE,
	ENV_REL_URI, ENV_FULL_URI, ENV_AUTH_TOKEN, ENV_AUTH_TOKEN_FILE,
	ENV_CONTAINER_ENDPOINT, ENV_IMDS_DISABLED, ENV_IMDS_ENDPOINT, ENV_IMDS_MODE,
	/* the sandbox (sandbox.h; S3_SANDBOX_EXEC only to be refused there) */
	"S3_SANDBOX", "S3_SANDBOX_EXEC",
	/* FastCGI peers (serve.c, as libfcgi) */
	"FCGI_WEB_SERVER_ADDRS",
};

/* What config.h loads once and nothing reads again (s3_settings_drop_secrets). */
static const char *const loaded_secrets[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "S3_NOTIFY_SECRET",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int s3_settings_known(const char *name)
{
	if (s3_config_known(name))
		return 1;
	for (size_t i = 0; i < NELEM(extra_names); i++)
		if (!strcmp(extra_names[i], name))
			return 1;
	return 0;
}

void s3_settings_where_default(struct s3_settings_where *w, uid_t uid,
                               char buf[2][S3_SETTINGS_MAX_PATH + 1])
{
	struct passwd *pw = getpwuid(uid);
	size_t n = 0;
	int len;

	memset(w, 0, sizeof *w);
	w->uid = uid;
	buf[0][0] = buf[1][0] = '\0';
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/' &&
	    strlen(pw->pw_dir) <= S3_SETTINGS_MAX_PATH) {
		memcpy(buf[1], pw->pw_dir, strlen(pw->pw_dir) + 1);
		w->home = buf[1];
		/* "/" as a home (daemon accounts) gives "//.config/...": harmless */
		len = snprintf(buf[0], S3_SETTINGS_MAX_PATH + 1, "%s%s", pw->pw_dir,
		               S3_SETTINGS_USER_FILE);
		if (len > 0 && len <= S3_SETTINGS_MAX_PATH)
			w->search[n++] = buf[0];
	}
	w->search[n++] = S3_SETTINGS_SYSTEM_FILE;
	w->search[n] = NULL;
}

/* Loads path into s (label as the messages call it). */
static enum s3_err load(struct s3_settings *s, const char *path, const char *label,
                        uid_t uid, char *err, size_t cap)
{
	enum s3_err rc;

	if (strlen(path) > S3_SETTINGS_MAX_PATH) {
		s3_msgf(err, cap, "%s: expected at most %d bytes", label, S3_SETTINGS_MAX_PATH);
		return S3_ERR_CONFIG;
	}
	rc = cfg_file_load(&s->file, path, label, uid, s3_settings_known, err, cap);
	if (rc) {
		cfg_file_free(&s->file);
		return rc;
	}
	memcpy(s->path, path, strlen(path) + 1);
	s->label = label;
	return S3_OK;
}

enum s3_err s3_settings_open(struct s3_settings *s, s3_lookup_fn env, void *env_ctx,
                             const struct s3_settings_where *w, char *err, size_t cap)
{
	const char *named = env(env_ctx, CFG_FILE_VAR);
	enum s3_err rc = S3_OK;

	memset(s, 0, sizeof *s);
	s->env = env;
	s->env_ctx = env_ctx;
	s3_msgf(err, cap, "%s", "");
	if (w->home && strlen(w->home) <= S3_SETTINGS_MAX_PATH)
		memcpy(s->home, w->home, strlen(w->home) + 1);
	if (named) {
		rc = load(s, named, CFG_FILE_VAR, w->uid, err, cap);
		if (rc == S3_ERR_NOTFOUND)
			rc = S3_ERR_IO;
	} else {
		for (size_t i = 0; i < S3_SETTINGS_MAX_SEARCH && w->search[i]; i++) {
			rc = load(s, w->search[i], S3_SETTINGS_LABEL_FOUND, w->uid, err, cap);
			if (rc != S3_ERR_NOTFOUND)
				break;
			s3_msgf(err, cap, "%s", "");
			rc = S3_OK;
		}
	}
	if (rc)
		s3_settings_close(s);
	return rc;
}

const char *s3_settings_find(const struct s3_settings *s, const char *name, unsigned *line)
{
	const char *v = s->env(s->env_ctx, name);

	if (line)
		*line = 0;
	if (v || !strcmp(name, CFG_FILE_VAR))
		return v;
	return cfg_file_get(&s->file, name, line);
}

const char *s3_settings_get(void *ctx, const char *name)
{
	const struct s3_settings *s = ctx;
	const char *v = s3_settings_find(s, name, NULL);

	if (!v && !strcmp(name, "HOME") && s->home[0])
		return s->home;
	return v;
}

void s3_settings_drop_secrets(struct s3_settings *s)
{
	for (size_t i = 0; i < s->file.n; i++) {
		for (size_t j = 0; j < NELEM(loaded_secrets); j++) {
			if (strcmp(s->file.ent[i].name, loaded_secrets[j]))
				continue;
			OPENSSL_cleanse((char *)s->file.ent[i].value, strlen(s->file.ent[i].value));
			s->file.ent[i] = s->file.ent[--s->file.n];
			i--;
			break;
		}
	}
}

void s3_settings_close(struct s3_settings *s)
{
	cfg_file_free(&s->file);
	memset(s, 0, sizeof *s);
}
