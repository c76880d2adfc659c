/* creds_file.c - the env and file sources: the static keys from the
 * configuration, the shared credentials and config files (INI profiles)
 * and credential_process, which broker.c runs (see creds.h for the rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker.h"
#include "creds_int.h"
#include "file.h"
#include "syntax.h"
#include "utf8.h"

/* ---- files ----------------------------------------------------------- */

/* ~/... and the default paths under $HOME. Returns NULL or a refusal. */
static const char *file_path(const struct s3_creds_chain *ch, const char *var,
                             const char *def, char *out, size_t cap)
{
	const char *p = creds_lookup(ch, var), *home = creds_lookup(ch, "HOME");
	int n;

	if (!p)
		p = def;
	if (p[0] == '~' && (p[1] == '/' || !p[1])) {
		if (!home)
			return "HOME not set";
		n = snprintf(out, cap, "%s%s", home, p + 1);
	} else {
		n = snprintf(out, cap, "%s", p);
	}
	if (n < 0 || (size_t)n >= cap)
		return "path too long";
	return NULL;
}

/* ---- profile files (INI) --------------------------------------------- */

enum pkey {
	P_AKID, P_SECRET, P_TOKEN, P_SECTOKEN, P_PROCESS,
	P_ROLE_ARN, P_SSO_SESSION, P_SSO_URL, P_WEB_ID, P_NKEYS
};

static const char *const pkey_names[P_NKEYS] = {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"aws_security_token", "credential_process", "role_arn", "sso_session",
	"sso_start_url", "web_identity_token_file",
};

struct profile {
	const char *path;
	char *buf;                 /* the file, edited in place */
	size_t len, alloc;
	int exists;
	int found;                 /* the profile's section is there */
	char *v[P_NKEYS];
	unsigned line[P_NKEYS];
	int multi[P_NKEYS];        /* has continuation lines */
	char why[ONE_WHY];
};

static int ini_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static char *ini_trim(char *s, size_t *n)
{
	while (*n && (ini_ws(s[*n - 1]) || s[*n - 1] == '\r'))
		s[--*n] = '\0';
	while (*n && ini_ws(*s))
		s++, --*n;
	return s;
}

/* Does section header name (trimmed) select profile? Config files use
 * [default] and [profile NAME]; credentials files [NAME]. */
static int ini_match(const char *name, const char *profile, int config)
{
	if (!config)
		return !strcmp(name, profile);
	if (!strcmp(name, "default"))
		return !strcmp(profile, "default");
	if (strncmp(name, "profile", 7) || !ini_ws(name[7]))
		return 0;
	name += 7;
	while (ini_ws(*name))
		name++;
	return !strcmp(name, profile);
}

/* Finds profile's keys in p->buf. Returns NULL or a refusal (p->why). */
static const char *ini_scan(struct profile *p, const char *profile, int config)
{
	char *s = p->buf, *end = p->buf + p->len;
	unsigned lineno = 0;
	int in = 0, have_opt = 0, cur = -1;
	size_t opt_indent = 0;

	if (memchr(p->buf, '\0', p->len)) {
		s3_msgf(p->why, sizeof(p->why), "%s: NUL byte in the file", p->path);
		return p->why;
	}
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s), indent = 0;
		char *line = s, *c, *d, *key, *val;
		size_t cn, kn, vn;

		s += n + 1;
		lineno++;
		line[n] = '\0';
		while (indent < n && ini_ws(line[indent]))
			indent++;
		cn = n;
		c = ini_trim(line, &cn);
		if (cn == 0 || *c == '#' || *c == ';')
			continue;
		if (have_opt && indent > opt_indent) {
			if (in && cur >= 0)
				p->multi[cur] = 1;     /* continuation of the key above */
			continue;
		}
		if (*c == '[') {
			if (c[cn - 1] != ']' || cn < 3) {
				s3_msgf(p->why, sizeof(p->why), "%s line %u: malformed section header",
				     p->path, lineno);
				return p->why;
			}
			c[cn - 1] = '\0';
			cn -= 2;
			key = ini_trim(c + 1, &cn);
			in = ini_match(key, profile, config);
			if (in && p->found) {
				s3_msgf(p->why, sizeof(p->why), "%s line %u: profile '%s' defined twice",
				     p->path, lineno, profile);
				return p->why;
			}
			p->found |= in;
			have_opt = 0;
			cur = -1;
			continue;
		}
		d = c + strcspn(c, "=:");
		if (!*d) {
			if (!in)
				continue;
			s3_msgf(p->why, sizeof(p->why), "%s line %u: expected name = value",
			     p->path, lineno);
			return p->why;
		}
		*d = '\0';
		kn = (size_t)(d - c);
		key = ini_trim(c, &kn);
		vn = strlen(d + 1);
		val = ini_trim(d + 1, &vn);
		have_opt = 1;
		opt_indent = indent;
		cur = -1;
		if (!in)
			continue;
		for (int k = 0; k < P_NKEYS; k++) {
			if (strcasecmp(key, pkey_names[k]))
				continue;
			if (p->v[k]) {
				s3_msgf(p->why, sizeof(p->why), "%s line %u: %s set twice (first on line %u)",
				     p->path, lineno, pkey_names[k], p->line[k]);
				return p->why;
			}
			p->v[k] = val;
			p->line[k] = lineno;
			cur = k;
		}
	}
	return NULL;
}

/* Reads and scans one file. Returns S3_OK (even when it is missing:
 * p->exists 0), or an error with p->why. */
static enum s3_err profile_load(struct profile *p, const char *path,
                                const char *profile, int config)
{
	struct s3_file f;
	enum s3_err rc;

	p->path = path;
	rc = s3_file_read(&f, path, S3_CREDS_MAX_FILE, p->why, sizeof(p->why));
	if (rc == S3_ERR_NOTFOUND)
		return S3_OK;
	if (rc)
		return rc;
	p->buf = f.buf, p->len = f.len, p->alloc = f.alloc;
	p->exists = 1;
	if (ini_scan(p, profile, config))
		return S3_ERR_CONFIG;
	return S3_OK;
}

static void profile_free(struct profile *p)
{
	creds_free_secret(p->buf, p->alloc);
	memset(p, 0, sizeof(*p));
}

/* A key's value, refusing a multi-line one. */
static const char *pval(struct profile *p, enum pkey k, const char **out)
{
	*out = p->v[k];
	if (p->v[k] && p->multi[k]) {
		s3_msgf(p->why, sizeof(p->why), "%s line %u: %s: multi-line value",
		     p->path, p->line[k], pkey_names[k]);
		return p->why;
	}
	return NULL;
}

/* Static keys of a profile section: S3_OK, S3_ERR_NOCREDS when it has none,
 * S3_ERR_CONFIG when they are partial or malformed. */
static enum s3_err profile_static(struct profile *p, const char *profile,
                                  struct s3_cred_value *v, char *why, size_t cap)
{
	const char *ak, *sk, *tok, *sectok, *bad;

	if (!p->found)
		return S3_ERR_NOCREDS;
	if ((bad = pval(p, P_AKID, &ak)) || (bad = pval(p, P_SECRET, &sk)) ||
	    (bad = pval(p, P_TOKEN, &tok)) || (bad = pval(p, P_SECTOKEN, &sectok))) {
		s3_msgf(why, cap, "%s", bad);
		return S3_ERR_CONFIG;
	}
	if (!ak && !sk)
		return S3_ERR_NOCREDS;
	if (!ak || !*ak || !sk || !*sk) {
		s3_msgf(why, cap, "%s: profile '%s': %s without %s", p->path, profile,
		     ak && *ak ? pkey_names[P_AKID] : pkey_names[P_SECRET],
		     ak && *ak ? pkey_names[P_SECRET] : pkey_names[P_AKID]);
		return S3_ERR_CONFIG;
	}
	if ((bad = creds_set_value(v, ak, sk, tok ? tok : sectok)) != NULL) {
		s3_msgf(why, cap, "%s: profile '%s': %s", p->path, profile, bad);
		return S3_ERR_CONFIG;
	}
	v->expiration = 0;
	v->source = "file";
	return S3_OK;
}

/* ---- credential_process ----------------------------------------------- */

static enum s3_err source_process(const struct s3_creds_chain *ch, const char *cmd,
                                  const char *path, unsigned line,
                                  struct s3_cred_value *v, char *why, size_t cap)
{
	char msg[ONE_WHY];
	char *out;
	size_t len = 0;
	enum s3_err rc;

	if (strlen(cmd) > S3_CREDS_MAX_PROCESS_CMD) {
		s3_msgf(why, cap, "%s line %u: credential_process longer than %d bytes",
		     path, line, S3_CREDS_MAX_PROCESS_CMD);
		return S3_ERR_CONFIG;
	}
	for (const char *c = cmd; *c; c++) {
		if (s3_is_ctl((unsigned char)*c)) {
			s3_msgf(why, cap, "%s line %u: credential_process has control characters",
			     path, line);
			return S3_ERR_CONFIG;
		}
	}
	if (!*cmd) {
		s3_msgf(why, cap, "%s line %u: credential_process is empty", path, line);
		return S3_ERR_CONFIG;
	}
	out = malloc(S3_CREDS_MAX_PROCESS_OUT + 1);
	if (!out) {
		s3_msgf(why, cap, "credential_process: out of memory");
		return S3_ERR_NOMEM;
	}
	rc = broker_run(cmd, ch->process_timeout_ms, out, &len, why, cap);
	if (rc == S3_OK) {
		rc = s3_creds_parse_json(out, len, S3_CREDS_JSON_PROCESS, v, msg, sizeof(msg));
		if (rc)
			s3_msgf(why, cap, "credential_process: %s", msg);
		else
			v->source = "process";
	}
	creds_free_secret(out, S3_CREDS_MAX_PROCESS_OUT + 1);
	return rc;
}

/* ---- the sources ---------------------------------------------------- */


enum s3_err creds_source_env(struct s3_creds_chain *ch, struct s3_cred_value *v,
                              char *why, size_t cap)
{
	if (!ch->have_env) {
		s3_msgf(why, cap, "AWS_ACCESS_KEY_ID not set");
		return S3_ERR_NOCREDS;
	}
	*v = ch->env;
	return S3_OK;
}

static const char *profile_name(const struct s3_creds_chain *ch)
{
	const char *p = creds_lookup(ch, ENV_PROFILE);

	if (!p)
		p = creds_lookup(ch, ENV_DEFAULT_PROFILE);
	return p ? p : "default";
}

static int profile_name_ok(const char *p)
{
	if (!s3_is_visible(p, S3_CREDS_MAX_PROFILE))
		return 0;
	return !strpbrk(p, "[]");
}

enum s3_err creds_source_file(struct s3_creds_chain *ch, struct s3_cred_value *v,
                               char *why, size_t cap)
{
	char cpath[S3_CREDS_MAX_PATH], fpath[S3_CREDS_MAX_PATH];
	struct profile c, f;
	const char *profile = profile_name(ch), *bad, *cmd, *cmd_path;
	unsigned cmd_line;
	enum s3_err rc;

	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	if (!profile_name_ok(profile)) {
		s3_msgf(why, cap, "AWS_PROFILE: expected 1..%d printable ASCII characters "
		     "without [ ]", S3_CREDS_MAX_PROFILE);
		return S3_ERR_CONFIG;
	}
	if ((bad = file_path(ch, ENV_CRED_FILE, "~/.aws/credentials", cpath, sizeof(cpath)))) {
		s3_msgf(why, cap, "%s: %s", ENV_CRED_FILE, bad);
		return S3_ERR_NOCREDS;
	}
	if ((bad = file_path(ch, ENV_CONFIG_FILE, "~/.aws/config", fpath, sizeof(fpath)))) {
		s3_msgf(why, cap, "%s: %s", ENV_CONFIG_FILE, bad);
		return S3_ERR_NOCREDS;
	}
	if ((rc = profile_load(&c, cpath, profile, 0)) != S3_OK) {
		s3_msgf(why, cap, "%s", c.why);
		goto fail;
	}
	if ((rc = profile_load(&f, fpath, profile, 1)) != S3_OK) {
		s3_msgf(why, cap, "%s", f.why);
		goto fail;
	}
	rc = S3_ERR_NOCREDS;
	if (!c.exists && !f.exists) {
		s3_msgf(why, cap, "%s and %s not found", cpath, fpath);
		goto fail;
	}
	if (!c.found && !f.found) {
		s3_msgf(why, cap, "no profile '%s' in %s%s or %s%s", profile, cpath,
		     c.exists ? "" : " (not found)", fpath, f.exists ? "" : " (not found)");
		goto fail;
	}
	/* botocore's order: credentials file keys, credential_process, config keys */
	rc = profile_static(&c, profile, v, why, cap);
	if (rc != S3_ERR_NOCREDS)
		goto fail;
	if ((bad = pval(&c, P_PROCESS, &cmd)) || (!cmd && (bad = pval(&f, P_PROCESS, &cmd)))) {
		s3_msgf(why, cap, "%s", bad);
		rc = S3_ERR_CONFIG;
		goto fail;
	}
	if (cmd) {
		cmd_path = c.v[P_PROCESS] ? c.path : f.path;
		cmd_line = c.v[P_PROCESS] ? c.line[P_PROCESS] : f.line[P_PROCESS];
		rc = source_process(ch, cmd, cmd_path, cmd_line, v, why, cap);
		goto fail;
	}
	rc = profile_static(&f, profile, v, why, cap);
	if (rc != S3_ERR_NOCREDS)
		goto fail;
	if (c.v[P_ROLE_ARN] || f.v[P_ROLE_ARN])
		s3_msgf(why, cap, "profile '%s' uses role_arn (not supported)", profile);
	else if (c.v[P_SSO_SESSION] || f.v[P_SSO_SESSION] || c.v[P_SSO_URL] || f.v[P_SSO_URL])
		s3_msgf(why, cap, "profile '%s' uses SSO (not supported)", profile);
	else if (c.v[P_WEB_ID] || f.v[P_WEB_ID])
		s3_msgf(why, cap, "profile '%s' uses web_identity_token_file (not supported)",
		     profile);
	else
		s3_msgf(why, cap, "profile '%s' has no aws_access_key_id or credential_process",
		     profile);
fail:
	profile_free(&c);
	profile_free(&f);
	return rc;
}

