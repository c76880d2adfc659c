/* creds.c - the credential provider chain and its cache (see creds.h).
 *
 * Layout: small helpers (messages, checks, time), the JSON answers, the
 * sources (env, file with credential_process, container, imds), each a
 * function that fills a struct s3_cred_value or says why it could not,
 * and the cache (s3_creds_get) that decides when to ask them.
 *
 * The metadata addresses 169.254.170.2 (containers) and 169.254.169.254
 * (EC2) are defaults only; each has an ENDPOINT override:
 * S3_CONTAINER_ENDPOINT and AWS_EC2_METADATA_SERVICE_ENDPOINT, which the
 * tests always set to loopback. */
#define _GNU_SOURCE 1          /* environ, posix_spawn_file_actions_addclosefrom_np */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "creds.h"
#include "utf8.h"

#define ENV_MODE            "S3_CREDENTIALS"
#define ENV_PROFILE         "AWS_PROFILE"
#define ENV_DEFAULT_PROFILE "AWS_DEFAULT_PROFILE"
#define ENV_CRED_FILE       "AWS_SHARED_CREDENTIALS_FILE"
#define ENV_CONFIG_FILE     "AWS_CONFIG_FILE"
#define ENV_REL_URI         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
#define ENV_FULL_URI        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
#define ENV_AUTH_TOKEN      "AWS_CONTAINER_AUTHORIZATION_TOKEN"
#define ENV_AUTH_TOKEN_FILE "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
#define ENV_CONTAINER_ENDPOINT "S3_CONTAINER_ENDPOINT"
#define ENV_IMDS_DISABLED   "AWS_EC2_METADATA_DISABLED"
#define ENV_IMDS_ENDPOINT   "AWS_EC2_METADATA_SERVICE_ENDPOINT"
#define ENV_IMDS_MODE       "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"

#define IMDS_TOKEN_PATH     "/latest/api/token"
#define IMDS_ROLE_PATH      "/latest/meta-data/iam/security-credentials/"
#define IMDS_TTL_HEADER     "X-aws-ec2-metadata-token-ttl-seconds"
#define IMDS_TOKEN_HEADER   "X-aws-ec2-metadata-token"

#define ONE_WHY             256     /* one source's reason */
#define MAX_ENDPOINT        300     /* an endpoint override, scheme://host[:port] */
#define SPAWN_POLL_MS       10      /* waitpid polling step for a child */

#define STR_(x) #x
#define STR(x) STR_(x)

enum mode { M_CHAIN, M_ENV, M_FILE, M_CONTAINER, M_IMDS };

struct s3_creds_chain {
	enum mode mode;
	struct s3_cred_value env;      /* config's static keys */
	int have_env;
	s3_lookup_fn get;
	void *ctx;
	s3_http_fn http;
	void *http_ctx;
	long process_timeout_ms;
	int fixed_jitter;
	unsigned jitter;
	pid_t pid;                     /* the process the jitter was drawn for */
	struct s3_cred_value cur;      /* the cache */
	int have;
	int refreshing;
	time_t last_attempt;           /* 0: none yet */
	int last_failed;
	char last_why[S3_CREDS_WHY_MAX];
};

/* ---- messages -------------------------------------------------------- */

/* Appends to a message, cutting it with "..." when full (messages are
 * diagnostics: a cut one is better than none). */
static void why_add(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_add(char *why, size_t cap, const char *fmt, ...)
{
	size_t n = strnlen(why, cap);
	va_list ap;
	int k;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(why + n, cap - n, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k >= cap - n && cap >= 4)
		memcpy(why + cap - 4, "...", 4);
}

/* t for a log line; "?" when it cannot be written. */
static void iso8601(time_t t, char out[21])
{
	if (sigv4_iso8601(t, out))
		strcpy(out, "?");
}

/* ---- checks ---------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1..max bytes of printable ASCII 0x21-0x7e (as config.c's static keys). */
static int printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Copies a checked value into a fixed field; the caller checked the length. */
static void put(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Fills v from three strings, checking them. Returns NULL or what is wrong. */
static const char *set_value(struct s3_cred_value *v, const char *ak, const char *sk,
                             const char *tok)
{
	if (!ak || !*ak)
		return "no access key id";
	if (!sk || !*sk)
		return "no secret access key";
	if (!printable(ak, SIGV4_MAX_ACCESS_KEY))
		return "access key id: expected 1.." STR(SIGV4_MAX_ACCESS_KEY)
		       " printable ASCII characters";
	if (!printable(sk, SIGV4_MAX_SECRET))
		return "secret access key: expected 1.." STR(SIGV4_MAX_SECRET)
		       " printable ASCII characters";
	if (tok && *tok && !printable(tok, SIGV4_MAX_TOKEN))
		return "session token: expected 1.." STR(SIGV4_MAX_TOKEN)
		       " printable ASCII characters";
	put(v->access_key, sizeof(v->access_key), ak);
	put(v->secret_key, sizeof(v->secret_key), sk);
	put(v->session_token, sizeof(v->session_token), tok ? tok : "");
	return NULL;
}

void s3_cred_value_wipe(struct s3_cred_value *v)
{
	if (v)
		OPENSSL_cleanse(v, sizeof(*v));
}

static void free_secret(char *s, size_t n)
{
	if (s) {
		OPENSSL_cleanse(s, n);
		free(s);
	}
}

static const char *lookup(const struct s3_creds_chain *ch, const char *name)
{
	const char *v = ch->get(ch->ctx, name);

	return v && *v ? v : NULL;     /* "" is unset, as the SDKs treat it */
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* n digits at s as a number, or -1. */
static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

enum s3_err s3_creds_parse_time(const char *s, time_t *out)
{
	int y, mo, d, h, mi, se, off = 0;
	size_t n;
	long long t;

	if (!s || (n = strlen(s)) < 20 || n > S3_CREDS_MAX_TIME)
		return S3_ERR_INVAL;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return S3_ERR_INVAL;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	h = num(s + 11, 2), mi = num(s + 14, 2), se = num(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60)
		return S3_ERR_INVAL;
	if (d > days_in_month(y, mo))
		return S3_ERR_INVAL;
	s += 19;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return S3_ERR_INVAL;
		while (is_digit(*s))
			s++;       /* fraction: dropped (whole seconds are enough) */
	}
	if ((*s == 'Z' || *s == 'z') && !s[1]) {
		off = 0;
	} else if ((*s == '+' || *s == '-') && strlen(s) == 6 && s[3] == ':') {
		int oh = num(s + 1, 2), om = num(s + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return S3_ERR_INVAL;
		off = (oh * 60 + om) * 60 * (*s == '-' ? -1 : 1);
	} else {
		return S3_ERR_INVAL;
	}
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se - off;
	if (t < 0)
		return S3_ERR_INVAL;
	*out = (time_t)t;
	return S3_OK;
}

unsigned s3_creds_clamp_expires(unsigned want, time_t now, time_t expiration)
{
	if (!expiration)
		return want;
	if (expiration <= now)
		return 0;
	if ((long long)want > (long long)(expiration - now))
		return (unsigned)(expiration - now);
	return want;
}

time_t s3_creds_refresh_at(time_t expiration, unsigned jitter)
{
	return expiration - S3_CREDS_REFRESH_EARLY - (time_t)jitter;
}

/* ---- JSON answers ---------------------------------------------------- */

/* Wipes every string of a cJSON tree (values may be secrets). */
static void json_wipe(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
		if (j->child)
			json_wipe(j->child);
	}
}

static void json_free(cJSON *j)
{
	if (j) {
		json_wipe(j);
		cJSON_Delete(j);
	}
}

/* The member called name: *out NULL when absent or null. Returns NULL, or
 * a refusal when it is there twice or not a string. */
static const char *json_str(const cJSON *root, const char *name, const char **out)
{
	const cJSON *hit = NULL;

	*out = NULL;
	for (const cJSON *c = root->child; c; c = c->next) {
		if (!c->string || strcmp(c->string, name))
			continue;
		if (hit)
			return "a field is there twice";
		hit = c;
	}
	if (!hit || cJSON_IsNull(hit))
		return NULL;
	if (!cJSON_IsString(hit) || !hit->valuestring)
		return "a field is not a string";
	*out = hit->valuestring;
	return NULL;
}

/* A \u0000 escape anywhere: cJSON would cut the string there, silently. */
static int json_nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && !memcmp(s + i + 2, "0000", 4))
			return 1;
		i++;           /* the escaped character */
	}
	return 0;
}

static int json_count(const cJSON *root, const char *name)
{
	int n = 0;

	for (const cJSON *c = root->child; c; c = c->next)
		if (c->string && !strcmp(c->string, name))
			n++;
	return n;
}

enum s3_err s3_creds_parse_json(const char *body, size_t len,
                                enum s3_creds_json kind,
                                struct s3_cred_value *out,
                                char *why, size_t whycap)
{
	const char *tok_name = kind == S3_CREDS_JSON_PROCESS ? "SessionToken" : "Token";
	const char *ak, *sk, *tok, *exp, *code, *bad = NULL, *end = NULL;
	struct s3_cred_value v;
	cJSON *root = NULL;
	time_t t = 0;

	memset(&v, 0, sizeof(v));
	if (!body || len == 0) {
		bad = "empty answer";
		goto fail;
	}
	if (memchr(body, '\0', len) || !utf8_valid(body, len)) {
		bad = "answer is not UTF-8 text";
		goto fail;
	}
	if (json_nul_escape(body, len)) {
		bad = "answer has a \\u0000 escape";
		goto fail;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root) {
		bad = "answer is not JSON";
		goto fail;
	}
	while (end && end < body + len && strchr(" \t\r\n", *end))
		end++;
	if (end != body + len) {
		bad = "answer is not JSON (data after the value)";
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		bad = "answer is not a JSON object";
		goto fail;
	}
	if (kind == S3_CREDS_JSON_PROCESS) {
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "Version");

		if (json_count(root, "Version") != 1 || !cJSON_IsNumber(ver) ||
		    ver->valuedouble != 1.0) {
			bad = "Version must be 1";
			goto fail;
		}
	}
	if (kind == S3_CREDS_JSON_IMDS) {
		if ((bad = json_str(root, "Code", &code)) != NULL)
			goto fail;
		if (!code || strcmp(code, "Success")) {
			bad = "Code is not \"Success\"";
			goto fail;
		}
	}
	if ((bad = json_str(root, "AccessKeyId", &ak)) ||
	    (bad = json_str(root, "SecretAccessKey", &sk)) ||
	    (bad = json_str(root, tok_name, &tok)) ||
	    (bad = json_str(root, "Expiration", &exp)))
		goto fail;
	if (!ak) {
		bad = "no AccessKeyId";
		goto fail;
	}
	if (!sk) {
		bad = "no SecretAccessKey";
		goto fail;
	}
	if (kind != S3_CREDS_JSON_PROCESS && (!tok || !*tok)) {
		bad = "no Token";
		goto fail;
	}
	if (kind != S3_CREDS_JSON_PROCESS && !exp) {
		bad = "no Expiration";
		goto fail;
	}
	if (exp && s3_creds_parse_time(exp, &t)) {
		bad = "Expiration is not an ISO 8601 date-time";
		goto fail;
	}
	if ((bad = set_value(&v, ak, sk, tok)) != NULL)
		goto fail;
	v.expiration = t;
	json_free(root);
	*out = v;
	s3_cred_value_wipe(&v);
	s3_msgf(why, whycap, "%s", "");
	return S3_OK;
fail:
	json_free(root);
	s3_cred_value_wipe(&v);
	s3_msgf(why, whycap, "%s", bad);
	return S3_ERR_INVAL;
}

/* ---- files ----------------------------------------------------------- */

/* Reads path whole (at most max bytes) into a NUL-terminated buffer of
 * *alloc bytes. S3_ERR_NOCREDS when it does not exist (why "not found"),
 * S3_ERR_IO, S3_ERR_TOOLONG, S3_ERR_NOMEM otherwise. */
static enum s3_err read_file(const char *path, size_t max, char **out, size_t *len,
                             size_t *alloc, char *why, size_t cap)
{
	enum s3_err rc = S3_ERR_IO;
	char *buf = NULL;
	size_t n = 0;
	FILE *fp;

	*out = NULL;
	fp = fopen(path, "rb");
	if (!fp) {
		if (errno == ENOENT || errno == ENOTDIR) {
			s3_msgf(why, cap, "%s: not found", path);
			return S3_ERR_NOCREDS;
		}
		s3_msgf(why, cap, "%s: %s", path, strerror(errno));
		return S3_ERR_IO;
	}
	buf = malloc(max + 2);
	if (!buf) {
		rc = S3_ERR_NOMEM;
		s3_msgf(why, cap, "%s: out of memory", path);
		goto fail;
	}
	n = fread(buf, 1, max + 1, fp);
	if (ferror(fp)) {
		s3_msgf(why, cap, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (n > max) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, cap, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	fclose(fp);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	*alloc = max + 2;
	return S3_OK;
fail:
	fclose(fp);
	free_secret(buf, max + 2);
	return rc;
}

/* ~/... and the default paths under $HOME. Returns NULL or a refusal. */
static const char *file_path(const struct s3_creds_chain *ch, const char *var,
                             const char *def, char *out, size_t cap)
{
	const char *p = lookup(ch, var), *home = lookup(ch, "HOME");
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
	enum s3_err rc;

	p->path = path;
	rc = read_file(path, S3_CREDS_MAX_FILE, &p->buf, &p->len, &p->alloc,
	               p->why, sizeof(p->why));
	if (rc == S3_ERR_NOCREDS)
		return S3_OK;
	if (rc)
		return rc;
	p->exists = 1;
	if (ini_scan(p, profile, config))
		return S3_ERR_CONFIG;
	return S3_OK;
}

static void profile_free(struct profile *p)
{
	free_secret(p->buf, p->alloc);
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
	if ((bad = set_value(v, ak, sk, tok ? tok : sectok)) != NULL) {
		s3_msgf(why, cap, "%s: profile '%s': %s", p->path, profile, bad);
		return S3_ERR_CONFIG;
	}
	v->expiration = 0;
	v->source = "file";
	return S3_OK;
}

/* ---- credential_process ----------------------------------------------- */

extern char **environ;

/* Waits for pid until deadline (monotonic ms); kills its process group
 * when it is late. Returns its wait status, or -1 (killed, or lost). */
static int reap(pid_t pid, long deadline, int *killed)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && mono_ms() >= deadline && !*killed) {
			kill(-pid, SIGKILL);
			*killed = 1;
			continue;
		}
		if (r == 0) {
			struct timespec ts = { 0, SPAWN_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

/* Runs cmd under /bin/sh -c, its stdout into out (at most
 * S3_CREDS_MAX_PROCESS_OUT bytes, NUL-terminated, *len bytes). */
static enum s3_err spawn_and_read(const char *cmd, long timeout_ms, char *out, size_t *len,
                                  char *why, size_t cap)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, NULL, NULL };
	int fds[2] = { -1, -1 }, st, killed = 0, fa_ok = 0, at_ok = 0, over = 0;
	long deadline = mono_ms() + timeout_ms;
	enum s3_err rc = S3_ERR_IO;
	pid_t pid = -1;
	size_t n = 0;

	argv[2] = (char *)cmd;
	*len = 0;
	if (pipe2(fds, O_CLOEXEC)) {
		s3_msgf(why, cap, "credential_process: pipe: %s", strerror(errno));
		return S3_ERR_IO;
	}
	fa_ok = posix_spawn_file_actions_init(&fa) == 0;
	at_ok = posix_spawnattr_init(&at) == 0;
	if (!fa_ok || !at_ok) {
		s3_msgf(why, cap, "credential_process: out of memory");
		rc = S3_ERR_NOMEM;
		goto fail;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGQUIT);
	if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) ||
	    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1) ||
	    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                             POSIX_SPAWN_SETSIGDEF) ||
	    posix_spawnattr_setpgroup(&at, 0) ||
	    posix_spawnattr_setsigmask(&at, &none) ||
	    posix_spawnattr_setsigdefault(&at, &def)) {
		s3_msgf(why, cap, "credential_process: cannot prepare to run it");
		goto fail;
	}
	if ((errno = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ)) != 0) {
		pid = -1;
		s3_msgf(why, cap, "credential_process: cannot run /bin/sh: %s", strerror(errno));
		goto fail;
	}
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long left = deadline - mono_ms();
		ssize_t r;
		int pr;

		if (left <= 0)
			break;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		r = read(fds[0], out + n, S3_CREDS_MAX_PROCESS_OUT + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > S3_CREDS_MAX_PROCESS_OUT) {
			over = 1;
			break;
		}
	}
	if (over || mono_ms() >= deadline) {
		kill(-pid, SIGKILL);
		killed = 1;
	}
	st = reap(pid, deadline, &killed);
	pid = -1;
	if (over) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, cap, "credential_process: output larger than %d bytes",
		     S3_CREDS_MAX_PROCESS_OUT);
		goto fail;
	}
	if (killed) {
		s3_msgf(why, cap, "credential_process: timed out after %ld ms (killed)",
		     timeout_ms);
		goto fail;
	}
	if (st == -1) {
		s3_msgf(why, cap, "credential_process: exit status lost");
		goto fail;
	}
	if (WIFSIGNALED(st)) {
		s3_msgf(why, cap, "credential_process: killed by signal %d", WTERMSIG(st));
		goto fail;
	}
	if (WEXITSTATUS(st) != 0) {
		s3_msgf(why, cap, "credential_process: exited with status %d", WEXITSTATUS(st));
		goto fail;
	}
	out[n] = '\0';
	*len = n;
	rc = S3_OK;
fail:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		killed = 1;
		reap(pid, deadline, &killed);
	}
	if (rc)
		OPENSSL_cleanse(out, S3_CREDS_MAX_PROCESS_OUT + 1);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	return rc;
}

/* spawn_and_read with SIGCHLD at its default for the time of the call: a
 * web server may start the CGI with SIGCHLD ignored (or SA_NOCLDWAIT), and
 * then the kernel reaps the helper itself and waitpid() cannot tell its
 * exit status. */
static enum s3_err run_process(const char *cmd, long timeout_ms, char *out, size_t *len,
                               char *why, size_t cap)
{
	struct sigaction old, dfl;
	int restore = 0;
	enum s3_err rc;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, NULL, &old) == 0 &&
	    (old.sa_handler == SIG_IGN || (old.sa_flags & SA_NOCLDWAIT)))
		restore = sigaction(SIGCHLD, &dfl, NULL) == 0;
	rc = spawn_and_read(cmd, timeout_ms, out, len, why, cap);
	if (restore)
		sigaction(SIGCHLD, &old, NULL);
	return rc;
}

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
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
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
	rc = run_process(cmd, ch->process_timeout_ms, out, &len, why, cap);
	if (rc == S3_OK) {
		rc = s3_creds_parse_json(out, len, S3_CREDS_JSON_PROCESS, v, msg, sizeof(msg));
		if (rc)
			s3_msgf(why, cap, "credential_process: %s", msg);
		else
			v->source = "process";
	}
	free_secret(out, S3_CREDS_MAX_PROCESS_OUT + 1);
	return rc;
}

/* ---- the sources ---------------------------------------------------- */

typedef enum s3_err (*source_fn)(struct s3_creds_chain *ch, struct s3_cred_value *v,
                                 char *why, size_t cap);

static enum s3_err source_env(struct s3_creds_chain *ch, struct s3_cred_value *v,
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
	const char *p = lookup(ch, ENV_PROFILE);

	if (!p)
		p = lookup(ch, ENV_DEFAULT_PROFILE);
	return p ? p : "default";
}

static int profile_name_ok(const char *p)
{
	if (!printable(p, S3_CREDS_MAX_PROFILE))
		return 0;
	return !strpbrk(p, "[]");
}

static enum s3_err source_file(struct s3_creds_chain *ch, struct s3_cred_value *v,
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

/* ---- URLs ------------------------------------------------------------ */

struct url {
	int https;
	char host[256];            /* without brackets for IPv6 */
	int ipv6;
	const char *rest;          /* ":port/path..." after the host */
};

/* scheme://host[:port][/...]: no userinfo, host of name characters, IPv4
 * or bracketed IPv6, port digits. */
static int url_parse(const char *u, struct url *out)
{
	const char *h, *e;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!strncasecmp(u, "http://", 7))
		h = u + 7;
	else if (!strncasecmp(u, "https://", 8))
		h = u + 8, out->https = 1;
	else
		return 0;
	for (const char *c = u; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return 0;
	if (*h == '[') {
		e = strchr(h, ']');
		if (!e)
			return 0;
		n = (size_t)(e - h - 1);
		h++;
		e++;
		out->ipv6 = 1;
	} else {
		e = h + strcspn(h, ":/?#");
		n = (size_t)(e - h);
	}
	if (n == 0 || n >= sizeof(out->host))
		return 0;
	memcpy(out->host, h, n);
	out->host[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = out->host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      c == '.' || c == '-' || (out->ipv6 && c == ':')))
			return 0;      /* userinfo ('@'), '%' scopes, ... */
	}
	if (out->ipv6) {
		unsigned char a6[16];

		if (inet_pton(AF_INET6, out->host, a6) != 1)
			return 0;
	}
	if (*e == ':') {
		const char *p = e + 1;
		long port = 0;

		if (!is_digit(*p))
			return 0;
		while (is_digit(*p) && port <= 65535)
			port = port * 10 + (*p++ - '0');
		if (port < 1 || port > 65535 || (*p && *p != '/' && *p != '?'))
			return 0;
	} else if (*e && *e != '/' && *e != '?') {
		return 0;
	}
	out->rest = e;
	return 1;
}

/* An endpoint override: scheme://host[:port] and at most a trailing '/'. */
static int endpoint_ok(const char *u, struct url *pu)
{
	const char *slash;

	if (strlen(u) > MAX_ENDPOINT || !url_parse(u, pu))
		return 0;
	slash = strchr(pu->rest, '/');
	if (strchr(pu->rest, '?'))
		return 0;
	return !slash || !slash[1];
}

/* http is allowed to loopback and the ECS / EKS container endpoints only
 * (as the SDKs do; https anywhere). */
static int container_host_ok(const struct url *u)
{
	static const char *const v4[] = { "169.254.170.2", "169.254.170.23" };
	static const char *const v6[] = { "::1", "fd00:ec2::23" };
	unsigned char a[16], b[16];

	if (u->https)
		return 1;
	if (!u->ipv6 && !strcasecmp(u->host, "localhost"))
		return 1;
	if (!u->ipv6 && inet_pton(AF_INET, u->host, a) == 1) {
		if (a[0] == 127)
			return 1;
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (inet_pton(AF_INET, v4[i], b) == 1 && !memcmp(a, b, 4))
				return 1;
		return 0;
	}
	if (u->ipv6 && inet_pton(AF_INET6, u->host, a) == 1)
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
			if (inet_pton(AF_INET6, v6[i], b) == 1 && !memcmp(a, b, 16))
				return 1;
	return 0;
}

/* One HTTP call: status 200 and a body, or a failure in why (prefixed
 * with what). */
static enum s3_err http_call(struct s3_creds_chain *ch, const char *what,
                             const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t cap)
{
	char msg[S3_HTTP_WHY_MAX];
	enum s3_err rc;

	rc = ch->http(ch->http_ctx, rq, rs, msg, sizeof(msg));
	if (rc) {
		s3_msgf(why, cap, "%s%s", what, msg);
		return rc == S3_ERR_NOMEM ? rc : S3_ERR_IO;
	}
	if (rs->status != 200) {
		s3_msgf(why, cap, "%sHTTP %ld", what, rs->status);
		s3_http_response_free(rs);
		return S3_ERR_IO;
	}
	if (!rs->body) {
		s3_msgf(why, cap, "%sempty answer", what);
		return S3_ERR_IO;
	}
	return S3_OK;
}

/* The credentials in a container or IMDS answer into v, named source;
 * else why says what is wrong with it. */
static enum s3_err take_answer(const struct s3_http_response *rs, enum s3_creds_json kind,
                               const char *source, struct s3_cred_value *v,
                               char *why, size_t cap)
{
	char msg[ONE_WHY];
	enum s3_err rc = s3_creds_parse_json(rs->body, rs->len, kind, v, msg, sizeof(msg));

	if (rc)
		s3_msgf(why, cap, "bad answer: %s", msg);
	else
		v->source = source;
	return rc;
}

/* ---- container ------------------------------------------------------- */

/* The authorization token: the file's content (trailing CR/LF dropped) or
 * the variable's. *tok "" when none. */
static enum s3_err container_token(struct s3_creds_chain *ch, char *tok, size_t tcap,
                                   char *why, size_t cap)
{
	const char *file = lookup(ch, ENV_AUTH_TOKEN_FILE), *val = lookup(ch, ENV_AUTH_TOKEN);
	char *buf = NULL, msg[ONE_WHY];
	size_t len = 0, alloc = 0;
	enum s3_err rc;

	tok[0] = '\0';
	if (file) {
		rc = read_file(file, S3_CREDS_MAX_AUTH_TOKEN, &buf, &len, &alloc,
		               msg, sizeof(msg));
		if (rc) {
			s3_msgf(why, cap, "%s: %s", ENV_AUTH_TOKEN_FILE, msg);
			return rc == S3_ERR_NOCREDS ? S3_ERR_CONFIG : rc;
		}
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		val = buf;
	}
	if (val) {
		size_t n = strlen(val);
		int ok = n > 0 && n <= S3_CREDS_MAX_AUTH_TOKEN && (!file || n == len);

		for (size_t i = 0; ok && i < n; i++)
			if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e)
				ok = 0;
		if (!ok) {
			s3_msgf(why, cap, "%s: expected 1..%d printable ASCII characters "
			     "(no CR, LF)", file ? ENV_AUTH_TOKEN_FILE : ENV_AUTH_TOKEN,
			     S3_CREDS_MAX_AUTH_TOKEN);
			free_secret(buf, alloc);
			return S3_ERR_CONFIG;
		}
		put(tok, tcap, val);
	}
	free_secret(buf, alloc);
	return S3_OK;
}

static enum s3_err source_container(struct s3_creds_chain *ch, struct s3_cred_value *v,
                                    char *why, size_t cap)
{
	const char *rel = lookup(ch, ENV_REL_URI), *full = lookup(ch, ENV_FULL_URI);
	char url[S3_HTTP_MAX_URL + 1];
	char *tok = NULL;
	struct s3_http_header hdr = { "Authorization", NULL };
	struct s3_http_request rq = { "GET", url, NULL, 0, 0, 0 };
	struct s3_http_response rs = { 0, NULL, 0 };
	struct url pu;
	enum s3_err rc;
	int n;

	if (!rel && !full) {
		s3_msgf(why, cap, "not configured");
		return S3_ERR_NOCREDS;
	}
	if (rel) {
		const char *base = lookup(ch, ENV_CONTAINER_ENDPOINT);
		size_t bn;

		if (!base)
			base = S3_CREDS_CONTAINER_ENDPOINT;
		if (!endpoint_ok(base, &pu)) {
			s3_msgf(why, cap, "%s: expected http[s]://host[:port]", ENV_CONTAINER_ENDPOINT);
			return S3_ERR_CONFIG;
		}
		bn = strlen(base);
		if (base[bn - 1] == '/')
			bn--;
		if (rel[0] != '/' || !printable(rel, S3_HTTP_MAX_URL)) {
			s3_msgf(why, cap, "%s: expected a path starting with '/'", ENV_REL_URI);
			return S3_ERR_CONFIG;
		}
		n = snprintf(url, sizeof(url), "%.*s%s", (int)bn, base, rel);
	} else {
		if (strlen(full) > S3_HTTP_MAX_URL || !url_parse(full, &pu)) {
			s3_msgf(why, cap, "%s: expected an http or https URL", ENV_FULL_URI);
			return S3_ERR_CONFIG;
		}
		if (!container_host_ok(&pu)) {
			s3_msgf(why, cap, "%s: http is allowed only to loopback or the ECS/EKS "
			     "addresses; use https", ENV_FULL_URI);
			return S3_ERR_CONFIG;
		}
		n = snprintf(url, sizeof(url), "%s", full);
	}
	if (n < 0 || (size_t)n >= sizeof(url)) {
		s3_msgf(why, cap, "URL longer than %d bytes", S3_HTTP_MAX_URL);
		return S3_ERR_CONFIG;
	}
	tok = malloc(S3_CREDS_MAX_AUTH_TOKEN + 1);
	if (!tok) {
		s3_msgf(why, cap, "out of memory");
		return S3_ERR_NOMEM;
	}
	if ((rc = container_token(ch, tok, S3_CREDS_MAX_AUTH_TOKEN + 1, why, cap)))
		goto fail;
	if (tok[0]) {
		hdr.value = tok;
		rq.headers = &hdr;
		rq.nheaders = 1;
	}
	if ((rc = http_call(ch, "", &rq, &rs, why, cap)))
		goto fail;
	rc = take_answer(&rs, S3_CREDS_JSON_CONTAINER, "container", v, why, cap);
fail:
	s3_http_response_free(&rs);
	free_secret(tok, S3_CREDS_MAX_AUTH_TOKEN + 1);
	return rc;
}

/* ---- EC2 instance metadata (IMDSv2) ---------------------------------- */

/* What is left of the IMDS budget; 0 when spent. */
static long budget_left(long deadline)
{
	long left = deadline - mono_ms();

	return left > 0 ? left : 0;
}

static int role_ok(const char *r, size_t n)
{
	if (n == 0 || n > S3_CREDS_MAX_ROLE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = r[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      strchr("+=,.@_-", c)))
			return 0;
	}
	return 1;
}

static enum s3_err source_imds(struct s3_creds_chain *ch, struct s3_cred_value *v,
                               char *why, size_t cap)
{
	const char *dis = lookup(ch, ENV_IMDS_DISABLED), *ep = lookup(ch, ENV_IMDS_ENDPOINT);
	const char *mode = lookup(ch, ENV_IMDS_MODE);
	char base[MAX_ENDPOINT + 1], url[S3_HTTP_MAX_URL + 1], msg[ONE_WHY];
	char token[S3_CREDS_MAX_IMDS_TOKEN + 1], role[S3_CREDS_MAX_ROLE + 1];
	struct s3_http_header h = { IMDS_TTL_HEADER, STR(S3_CREDS_IMDS_TOKEN_TTL) };
	struct s3_http_request rq = { "PUT", url, &h, 1, 0, 0 };
	struct s3_http_response rs = { 0, NULL, 0 };
	long deadline = mono_ms() + S3_HTTP_TIMEOUT_MS;
	struct url pu;
	enum s3_err rc;
	size_t n;

	token[0] = '\0';
	if (dis && !strcasecmp(dis, "true")) {
		s3_msgf(why, cap, "disabled by %s", ENV_IMDS_DISABLED);
		return S3_ERR_NOCREDS;
	}
	if (mode && strcasecmp(mode, "IPv4") && strcasecmp(mode, "IPv6")) {
		s3_msgf(why, cap, "%s: expected IPv4 or IPv6", ENV_IMDS_MODE);
		return S3_ERR_CONFIG;
	}
	if (!ep)
		ep = mode && !strcasecmp(mode, "IPv6") ? S3_CREDS_IMDS_ENDPOINT_V6
		                                      : S3_CREDS_IMDS_ENDPOINT;
	if (!endpoint_ok(ep, &pu)) {
		s3_msgf(why, cap, "%s: expected http[s]://host[:port]", ENV_IMDS_ENDPOINT);
		return S3_ERR_CONFIG;
	}
	put(base, sizeof(base), ep);
	n = strlen(base);
	if (base[n - 1] == '/')
		base[n - 1] = '\0';

	/* 1. the session token */
	snprintf(url, sizeof(url), "%s%s", base, IMDS_TOKEN_PATH);
	rq.timeout_ms = budget_left(deadline);
	if ((rc = http_call(ch, "token: ", &rq, &rs, why, cap)))
		goto fail;
	n = rs.len;
	while (n && strchr(" \t\r\n", rs.body[n - 1]))
		rs.body[--n] = '\0';
	if (!printable(rs.body, S3_CREDS_MAX_IMDS_TOKEN) || n != strlen(rs.body)) {
		s3_msgf(why, cap, "token: bad answer");
		rc = S3_ERR_INVAL;
		goto fail;
	}
	put(token, sizeof(token), rs.body);
	s3_http_response_free(&rs);

	/* 2. the role */
	h = (struct s3_http_header){ IMDS_TOKEN_HEADER, token };
	rq.method = "GET";
	snprintf(url, sizeof(url), "%s%s", base, IMDS_ROLE_PATH);
	if (!(rq.timeout_ms = budget_left(deadline))) {
		s3_msgf(why, cap, "timed out (limit %d ms)", S3_HTTP_TIMEOUT_MS);
		rc = S3_ERR_IO;
		goto fail;
	}
	rc = ch->http(ch->http_ctx, &rq, &rs, msg, sizeof(msg));
	if (rc) {
		s3_msgf(why, cap, "role: %s", msg);
		goto fail;
	}
	if (rs.status == 404) {
		s3_msgf(why, cap, "no IAM role attached to this instance (HTTP 404)");
		rc = S3_ERR_NOCREDS;
		goto fail;
	}
	if (rs.status != 200 || !rs.body) {
		s3_msgf(why, cap, "role: HTTP %ld", rs.status);
		rc = S3_ERR_IO;
		goto fail;
	}
	n = strcspn(rs.body, "\r\n");
	if (!role_ok(rs.body, n) || memchr(rs.body, '\0', rs.len)) {
		s3_msgf(why, cap, "role: bad answer");
		rc = S3_ERR_INVAL;
		goto fail;
	}
	memcpy(role, rs.body, n);
	role[n] = '\0';
	s3_http_response_free(&rs);

	/* 3. the credentials */
	snprintf(url, sizeof(url), "%s%s%s", base, IMDS_ROLE_PATH, role);
	if (!(rq.timeout_ms = budget_left(deadline))) {
		s3_msgf(why, cap, "timed out (limit %d ms)", S3_HTTP_TIMEOUT_MS);
		rc = S3_ERR_IO;
		goto fail;
	}
	if ((rc = http_call(ch, "credentials: ", &rq, &rs, why, cap)))
		goto fail;
	rc = take_answer(&rs, S3_CREDS_JSON_IMDS, "imds", v, why, cap);
fail:
	s3_http_response_free(&rs);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

/* ---- the chain ------------------------------------------------------- */

static const struct {
	const char *name;
	enum mode mode;
	source_fn fn;
} sources[] = {
	{ "env", M_ENV, source_env },
	{ "file", M_FILE, source_file },
	{ "container", M_CONTAINER, source_container },
	{ "imds", M_IMDS, source_imds },
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

static int usable(const struct s3_cred_value *v, time_t now)
{
	return !v->expiration || v->expiration - now > S3_CREDS_MIN_VALID;
}

/* Asks the sources in order; the first usable answer wins. why lists every
 * failure. */
static enum s3_err resolve(struct s3_creds_chain *ch, time_t now,
                           struct s3_cred_value *v, char *why, size_t cap)
{
	char one[ONE_WHY];

	why[0] = '\0';
	for (size_t i = 0; i < NSOURCES; i++) {
		enum s3_err rc;

		if (ch->mode != M_CHAIN && ch->mode != sources[i].mode)
			continue;
		one[0] = '\0';
		rc = sources[i].fn(ch, v, one, sizeof(one));
		if (rc == S3_OK && !usable(v, now)) {
			char t[21];

			iso8601(v->expiration, t);
			s3_msgf(one, sizeof(one), "%s credentials %s at %s", v->source,
			     v->expiration <= now ? "expired" : "expire too soon", t);
			s3_cred_value_wipe(v);
			rc = S3_ERR_NOCREDS;
		}
		if (rc == S3_OK)
			return S3_OK;
		why_add(why, cap, "%s%s: %s", why[0] ? "; " : "", sources[i].name, one);
		if (rc == S3_ERR_NOMEM)
			return rc;
	}
	return S3_ERR_NOCREDS;
}

static void draw_jitter(struct s3_creds_chain *ch)
{
	unsigned char r[4];

	ch->pid = getpid();
	if (ch->fixed_jitter)
		return;
	if (RAND_bytes(r, sizeof(r)) == 1)
		ch->jitter = (((unsigned)r[0] << 24) | ((unsigned)r[1] << 16) |
		              ((unsigned)r[2] << 8) | r[3]) % (S3_CREDS_JITTER_MAX + 1);
	else
		ch->jitter = S3_CREDS_JITTER_MAX / 2;
}

/* The jitter is drawn on first need (credentials that expire), once per
 * process: static credentials never touch the random generator, whose
 * set-up is a large part of a plain-CGI request's cost. */
static unsigned jitter(struct s3_creds_chain *ch)
{
	if (ch->pid != getpid())
		draw_jitter(ch);
	return ch->jitter;
}

static int fresh(struct s3_creds_chain *ch, time_t now)
{
	return !ch->cur.expiration || now < s3_creds_refresh_at(ch->cur.expiration, jitter(ch));
}

/* The last attempt was less than secs ago (a clock going back allows a
 * new one). */
static int recent(const struct s3_creds_chain *ch, time_t now, time_t secs)
{
	return ch->last_attempt && now >= ch->last_attempt && now < ch->last_attempt + secs;
}

static enum s3_err give(struct s3_creds_chain *ch, struct s3_creds *out, time_t *exp)
{
	out->access_key = ch->cur.access_key;
	out->secret_key = ch->cur.secret_key;
	out->session_token = ch->cur.session_token[0] ? ch->cur.session_token : NULL;
	if (exp)
		*exp = ch->cur.expiration;
	return S3_OK;
}

enum s3_err s3_creds_get(struct s3_creds_chain *ch, time_t now,
                         struct s3_creds *out, time_t *exp,
                         char *why, size_t whycap)
{
	struct s3_cred_value *v;
	enum s3_err rc;

	if (why && whycap)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (exp)
		*exp = 0;
	if (ch->have && fresh(ch, now))
		return give(ch, out, exp);
	if (ch->have && usable(&ch->cur, now) && (ch->refreshing ||
	                                          recent(ch, now, S3_CREDS_RETRY_VALID)))
		return give(ch, out, exp);
	if (ch->refreshing) {
		s3_msgf(why, whycap, "a credentials refresh is already in progress");
		return S3_ERR_NOCREDS;
	}
	if (!(ch->have && usable(&ch->cur, now)) && ch->last_failed &&
	    recent(ch, now, S3_CREDS_RETRY_NONE)) {
		s3_msgf(why, whycap, "%s", ch->last_why);
		return S3_ERR_NOCREDS;
	}
	v = malloc(sizeof(*v));
	if (!v) {
		s3_msgf(why, whycap, "out of memory");
		return S3_ERR_NOMEM;
	}
	memset(v, 0, sizeof(*v));
	ch->refreshing = 1;
	rc = resolve(ch, now, v, ch->last_why, sizeof(ch->last_why));
	ch->refreshing = 0;
	ch->last_attempt = now;
	ch->last_failed = rc != S3_OK;
	if (rc == S3_OK) {
		s3_cred_value_wipe(&ch->cur);
		ch->cur = *v;
		ch->have = 1;
		ch->last_why[0] = '\0';
		s3_cred_value_wipe(v);
		free(v);
		return give(ch, out, exp);
	}
	s3_cred_value_wipe(v);
	free(v);
	if (ch->have && usable(&ch->cur, now)) {
		char t[21];

		iso8601(ch->cur.expiration, t);
		s3_msgf(why, whycap, "credentials refresh failed, keeping the current ones "
		     "(valid until %s): %s", t, ch->last_why);
		return give(ch, out, exp);
	}
	if (ch->have) {
		s3_cred_value_wipe(&ch->cur);
		ch->have = 0;
	}
	s3_msgf(why, whycap, "%s", ch->last_why);
	return rc;
}

const char *s3_creds_source(const struct s3_creds_chain *ch)
{
	return ch && ch->have ? ch->cur.source : NULL;
}

enum s3_err s3_creds_new(struct s3_creds_chain **out, const struct s3_creds_opts *o,
                         char *err, size_t errcap)
{
	struct s3_creds_chain *ch;
	const char *m, *bad;

	*out = NULL;
	s3_msgf(err, errcap, "%s", "");
	ch = malloc(sizeof(*ch));
	if (!ch) {
		s3_msgf(err, errcap, "out of memory");
		return S3_ERR_NOMEM;
	}
	memset(ch, 0, sizeof(*ch));
	ch->get = o->get ? o->get : s3_config_getenv;
	ch->ctx = o->get ? o->ctx : NULL;
	ch->http = o->http ? o->http : s3_http_curl;
	ch->http_ctx = o->http ? o->http_ctx : NULL;
	ch->process_timeout_ms = o->process_timeout_ms > 0 ? o->process_timeout_ms
	                                                    : S3_CREDS_PROCESS_TIMEOUT_MS;
	ch->fixed_jitter = o->fixed_jitter;
	ch->jitter = o->fixed_jitter ? o->jitter : 0;
	m = o->mode ? o->mode : ch->get(ch->ctx, ENV_MODE);
	if (!m || !*m || !strcmp(m, "chain"))
		ch->mode = M_CHAIN;
	else if (!strcmp(m, "env"))
		ch->mode = M_ENV;
	else if (!strcmp(m, "file"))
		ch->mode = M_FILE;
	else if (!strcmp(m, "container"))
		ch->mode = M_CONTAINER;
	else if (!strcmp(m, "imds"))
		ch->mode = M_IMDS;
	else {
		s3_msgf(err, errcap, "%s: expected env, file, container, imds or chain", ENV_MODE);
		goto fail;
	}
	if (o->access_key || o->secret_key) {
		if ((bad = set_value(&ch->env, o->access_key, o->secret_key, o->session_token))) {
			s3_msgf(err, errcap, "static credentials (AWS_ACCESS_KEY_ID, "
			     "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): %s", bad);
			goto fail;
		}
		ch->env.source = "env";
		ch->have_env = 1;
	}
	*out = ch;
	return S3_OK;
fail:
	s3_creds_free(ch);
	return S3_ERR_CONFIG;
}

void s3_creds_free(struct s3_creds_chain *ch)
{
	if (!ch)
		return;
	OPENSSL_cleanse(ch, sizeof(*ch));
	free(ch);
}
