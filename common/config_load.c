/* config_load.c - a configuration loaded (config.h: s3_config_load): each
 * setting of the table (config.c, cfg_vars[]) looked up in the environment
 * first, then in the configuration file, which is found and read once into
 * memory (settings.h); its validator applied and its field stored; then the
 * checks across settings (sizes, bucket and endpoint, credentials, the user
 * prefix, notify). Also s3_config_free (secrets wiped) and s3_config_target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <unistd.h>

#include "config_int.h"
#include "presign.h"
#include "settings.h"

/* The environment over the file (settings.h). */
struct cfg_src {
	const struct s3_settings *s;
};

/* ---- loading ---------------------------------------------------------- */

/* The environment's value, else the file's (then *line is its line). */
static const char *src_get(const struct cfg_src *src, const char *name,
                           unsigned *line)
{
	return s3_settings_find(src->s, name, line);
}

static enum s3_err store(struct s3_config *cfg, const struct cfg_var *var,
                         const struct cfg_res *r)
{
	char *field = (char *)cfg + var->off;
	char *s;

	switch (var->kind) {
	case K_STR:
		s = malloc(r->len + 1);
		if (!s)
			return S3_ERR_NOMEM;
		memcpy(s, r->str, r->len);
		s[r->len] = '\0';
		memcpy(field, &s, sizeof(s));
		break;
	case K_UNSIGNED:
		*(unsigned *)(void *)field = (unsigned)r->num;
		break;
	case K_SIZE:
		*(size_t *)(void *)field = (size_t)r->num;
		break;
	case K_INT:
		*(int *)(void *)field = (int)r->num;
		break;
	case K_STYLE:
		*(enum s3_style *)(void *)field = (enum s3_style)r->num;
		break;
	case K_ACTIVE:
		*(enum s3_active *)(void *)field = (enum s3_active)r->num;
		break;
	case K_U64:
		*(unsigned long long *)(void *)field = (unsigned long long)r->num;
		break;
	}
	return S3_OK;
}

static enum s3_err load_var(struct s3_config *cfg, const struct cfg_var *var,
                            const struct cfg_src *src, char *err, size_t cap)
{
	struct cfg_res r;
	const char *name = var->names[0], *v = NULL, *what;
	unsigned line = 0;

	for (size_t j = 0; j < CFG_MAX_NAMES && var->names[j] && !v; j++) {
		name = var->names[j];
		v = src_get(src, name, &line);
	}
	if (!v || (!*v && (var->flags & F_EMPTY_NONE))) {
		name = var->names[0];
		v = var->def;
		line = 0;
	}
	if (!v) {
		if (!(var->flags & F_REQUIRED))
			return S3_OK;
		s3_msgf(err, cap, "%s: required", name);
		return S3_ERR_CONFIG;
	}
	memset(&r, 0, sizeof(r));
	what = var->check(v, &r);
	if (what && line)
		s3_msgf(err, cap, "%s: %s (%s: %s line %u)", name, what, src->s->label,
		     src->s->path, line);
	else if (what)
		s3_msgf(err, cap, "%s: %s", name, what);
	if (what)
		return S3_ERR_CONFIG;
	if (store(cfg, var, &r)) {
		s3_msgf(err, cap, "%s: out of memory", name);
		return S3_ERR_NOMEM;
	}
	return S3_OK;
}

/* S3_BUCKET on AWS (no S3_ENDPOINT) follows S3's naming rules; behind an
 * endpoint the legacy names v_bucket let through are kept. */
/* S3_MIN_FILE_SIZE above S3_MAX_FILE_SIZE would refuse every file. */
static enum s3_err check_sizes(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->min_file_size && cfg->max_file_size && cfg->min_file_size > cfg->max_file_size) {
		s3_msgf(err, cap, "S3_MIN_FILE_SIZE: above S3_MAX_FILE_SIZE");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

static enum s3_err check_bucket(const struct s3_config *cfg, char *err, size_t cap)
{
	const char *why = s3_bucket_check(cfg->bucket, cfg->endpoint != NULL);

	if (why) {
		s3_msgf(err, cap, "S3_BUCKET: %s; set S3_ENDPOINT for a store that "
		        "allows other names", why);
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* Static credentials: key id and secret both or neither; a token only
 * with them. */
static enum s3_err check_creds(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->secret_key && !cfg->access_key) {
		s3_msgf(err, cap, "AWS_SECRET_ACCESS_KEY: set without AWS_ACCESS_KEY_ID");
		return S3_ERR_CONFIG;
	}
	if (cfg->access_key && !cfg->secret_key) {
		s3_msgf(err, cap, "AWS_ACCESS_KEY_ID: set without AWS_SECRET_ACCESS_KEY");
		return S3_ERR_CONFIG;
	}
	if (cfg->session_token && !cfg->access_key) {
		s3_msgf(err, cap, "AWS_SESSION_TOKEN: set without AWS_ACCESS_KEY_ID "
		     "and AWS_SECRET_ACCESS_KEY");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* {user} in S3_KEY_PREFIX: once, followed by '/', and only when the web
 * server's authentication is required (else every anonymous caller would
 * share one prefix, or the request would have no user to put there). */
static enum s3_err check_user_prefix(const struct s3_config *cfg, char *err,
                                     size_t cap)
{
	int u = s3_prefix_user(cfg->key_prefix);

	if (u < 0) {
		s3_msgf(err, cap, "S3_KEY_PREFIX: expected %s at most once, followed by '/'",
		     S3_PREFIX_USER);
		return S3_ERR_CONFIG;
	}
	if (u > 0 && !cfg->require_user) {
		s3_msgf(err, cap, "S3_KEY_PREFIX: %s needs S3_REQUIRE_USER=1", S3_PREFIX_USER);
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* S3_NOTIFY_URL and S3_NOTIFY_SECRET: both or neither. */
static enum s3_err check_notify(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->notify_url && !cfg->notify_secret) {
		s3_msgf(err, cap, "S3_NOTIFY_SECRET: required with S3_NOTIFY_URL");
		return S3_ERR_CONFIG;
	}
	if (cfg->notify_secret && !cfg->notify_url) {
		s3_msgf(err, cap, "S3_NOTIFY_SECRET: set without S3_NOTIFY_URL");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

const char *s3_config_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* Validates what s holds into cfg. */
static enum s3_err load_from(struct s3_config *cfg, const struct s3_settings *s,
                             char *errmsg, size_t errcap)
{
	struct cfg_src src = { s };
	enum s3_err rc = S3_OK;

	memset(cfg, 0, sizeof(*cfg));
	s3_msgf(errmsg, errcap, "%s", "");
	for (size_t i = 0; i < cfg_nvars; i++) {
		rc = load_var(cfg, &cfg_vars[i], &src, errmsg, errcap);
		if (rc)
			goto fail;
	}
	rc = check_bucket(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_creds(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_user_prefix(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_sizes(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_notify(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	cfg->endpoint_https = !cfg->endpoint || strncmp(cfg->endpoint, "https:", 6) == 0;
fail:
	if (rc)
		s3_config_free(cfg);
	return rc;
}

enum s3_err s3_config_load(struct s3_config *cfg, s3_lookup_fn get, void *ctx,
                           char *errmsg, size_t errcap)
{
	struct s3_settings s;
	struct s3_settings_where w = { .uid = geteuid() };
	enum s3_err rc;

	if (get == s3_settings_get)       /* the file is read already */
		return load_from(cfg, ctx, errmsg, errcap);
	memset(cfg, 0, sizeof(*cfg));
	rc = s3_settings_open(&s, get, ctx, &w, errmsg, errcap);
	if (rc)
		return rc;
	rc = load_from(cfg, &s, errmsg, errcap);
	s3_settings_close(&s);   /* it may hold secrets */
	return rc;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void s3_config_free(struct s3_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->bucket);
	free(cfg->region);
	free(cfg->endpoint);
	free(cfg->key_prefix);
	free(cfg->acl);
	free(cfg->public_url);
	free(cfg->allowed_types);
	free(cfg->metadata_fields);
	free(cfg->magic_file);
	free_secret(cfg->access_key);
	free_secret(cfg->secret_key);
	free_secret(cfg->session_token);
	free(cfg->notify_url);
	free(cfg->cors_origins);
	free_secret(cfg->notify_secret);
	memset(cfg, 0, sizeof(*cfg));
}

void s3_config_target(const struct s3_config *cfg, struct s3_target *t)
{
	t->bucket = cfg->bucket;
	t->region = cfg->region;
	t->endpoint = cfg->endpoint;
	t->style = cfg->style;
}
