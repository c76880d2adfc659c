/* creds_http.c - the HTTP sources: the container credentials endpoint
 * (ECS/EKS) and EC2 instance metadata, IMDSv2 (see creds.h). The metadata
 * addresses 169.254.170.2 and 169.254.169.254 are defaults only; each has
 * an ENDPOINT override (S3_CONTAINER_ENDPOINT,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT), which the tests set to loopback. */
#define _GNU_SOURCE 1
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

#include "creds_int.h"
#include "date.h"
#include "file.h"
#include "syntax.h"
#include "url.h"
#include "utf8.h"

#define MAX_ENDPOINT        300     /* an endpoint override, scheme://host[:port] */

/* ---- URLs ------------------------------------------------------------ */

/* An endpoint override: scheme://host[:port] and at most a trailing '/'. */
static int endpoint_ok(const char *u, struct s3_url *pu)
{
	size_t n = strlen(u);

	if (n > MAX_ENDPOINT || s3_url_parse(u, n, pu))
		return 0;
	return pu->rest_len == 0 || (pu->rest_len == 1 && pu->rest[0] == '/');
}

/* http is allowed to loopback and the ECS / EKS container endpoints only
 * (as the SDKs do; https anywhere). */
static int container_host_ok(const struct s3_url *u)
{
	static const char *const v4[] = { "169.254.170.2", "169.254.170.23" };
	static const char *const v6[] = { "::1", "fd00:ec2::23" };
	unsigned char b[16];

	if (u->https)
		return 1;
	switch (u->kind) {
	case S3_URL_NAME:
		return u->host_len == 9 && !strncasecmp(u->host, "localhost", 9);
	case S3_URL_IPV4:
		if (u->addr[0] == 127)
			return 1;
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
			if (inet_pton(AF_INET, v4[i], b) == 1 && !memcmp(u->addr, b, 4))
				return 1;
		return 0;
	case S3_URL_IPV6:
		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
			if (inet_pton(AF_INET6, v6[i], b) == 1 && !memcmp(u->addr, b, 16))
				return 1;
		return 0;
	}
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
	const char *file = creds_lookup(ch, ENV_AUTH_TOKEN_FILE), *val = creds_lookup(ch, ENV_AUTH_TOKEN);
	struct s3_file f = { 0 };
	char *buf = NULL, msg[ONE_WHY];
	size_t len = 0;
	enum s3_err rc;

	tok[0] = '\0';
	if (file) {
		rc = s3_file_read(&f, file, S3_CREDS_MAX_AUTH_TOKEN, msg, sizeof(msg));
		if (rc) {
			s3_msgf(why, cap, "%s: %s", ENV_AUTH_TOKEN_FILE, msg);
			return rc == S3_ERR_NOTFOUND ? S3_ERR_CONFIG : rc;
		}
		buf = f.buf, len = f.len;
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		val = buf;
	}
	if (val) {
		size_t n = strlen(val);
		int ok = n > 0 && n <= S3_CREDS_MAX_AUTH_TOKEN && (!file || n == len);

		ok = ok && s3_is_printable(val, n);
		if (!ok) {
			s3_msgf(why, cap, "%s: expected 1..%d printable ASCII characters "
			     "(no CR, LF)", file ? ENV_AUTH_TOKEN_FILE : ENV_AUTH_TOKEN,
			     S3_CREDS_MAX_AUTH_TOKEN);
			s3_file_wipe(&f);
			return S3_ERR_CONFIG;
		}
		creds_copy(tok, tcap, val);
	}
	s3_file_wipe(&f);
	return S3_OK;
}

int creds_container_configured(const struct s3_creds_chain *ch)
{
	return creds_lookup(ch, ENV_REL_URI) || creds_lookup(ch, ENV_FULL_URI);
}

int creds_imds_disabled(const struct s3_creds_chain *ch)
{
	const char *dis = creds_lookup(ch, ENV_IMDS_DISABLED);

	return dis && !strcasecmp(dis, "true");
}

enum s3_err creds_source_container(struct s3_creds_chain *ch, struct s3_cred_value *v,
                                    char *why, size_t cap)
{
	const char *rel = creds_lookup(ch, ENV_REL_URI), *full = creds_lookup(ch, ENV_FULL_URI);
	char url[S3_HTTP_MAX_URL + 1];
	char *tok = NULL;
	struct s3_http_header hdr = { "Authorization", NULL };
	struct s3_http_request rq = { .method = "GET", .url = url };
	struct s3_http_response rs = { .status = 0 };
	struct s3_url pu;
	enum s3_err rc;
	int n;

	if (!rel && !full) {
		s3_msgf(why, cap, "not configured");
		return S3_ERR_NOCREDS;
	}
	if (rel) {
		const char *base = creds_lookup(ch, ENV_CONTAINER_ENDPOINT);
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
		if (rel[0] != '/' || !s3_is_visible(rel, S3_HTTP_MAX_URL)) {
			s3_msgf(why, cap, "%s: expected a path starting with '/'", ENV_REL_URI);
			return S3_ERR_CONFIG;
		}
		n = snprintf(url, sizeof(url), "%.*s%s", (int)bn, base, rel);
	} else {
		if (strlen(full) > S3_HTTP_MAX_URL || s3_url_parse(full, strlen(full), &pu)) {
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
	creds_free_secret(tok, S3_CREDS_MAX_AUTH_TOKEN + 1);
	return rc;
}

/* ---- EC2 instance metadata (IMDSv2) ---------------------------------- */

/* What is left of the IMDS budget; 0 when spent. */
static long budget_left(long deadline)
{
	long left = deadline - s3_mono_ms();

	return left > 0 ? left : 0;
}

static int role_ok(const char *r, size_t n)
{
	if (n == 0 || n > S3_CREDS_MAX_ROLE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = r[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || s3_is_digit(c) ||
		      strchr("+=,.@_-", c)))
			return 0;
	}
	return 1;
}

enum s3_err creds_source_imds(struct s3_creds_chain *ch, struct s3_cred_value *v,
                               char *why, size_t cap)
{
	const char *ep = creds_lookup(ch, ENV_IMDS_ENDPOINT);
	const char *mode = creds_lookup(ch, ENV_IMDS_MODE);
	char base[MAX_ENDPOINT + 1], url[S3_HTTP_MAX_URL + 1], msg[ONE_WHY];
	char token[S3_CREDS_MAX_IMDS_TOKEN + 1], role[S3_CREDS_MAX_ROLE + 1];
	struct s3_http_header h = { IMDS_TTL_HEADER, S3_STR(S3_CREDS_IMDS_TOKEN_TTL) };
	struct s3_http_request rq = { .method = "PUT", .url = url, .headers = &h, .nheaders = 1 };
	struct s3_http_response rs = { .status = 0 };
	long deadline = s3_mono_ms() + S3_HTTP_TIMEOUT_MS;
	struct s3_url pu;
	enum s3_err rc;
	size_t n;

	token[0] = '\0';
	if (creds_imds_disabled(ch)) {
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
	creds_copy(base, sizeof(base), ep);
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
	if (!s3_is_visible(rs.body, S3_CREDS_MAX_IMDS_TOKEN) || n != strlen(rs.body)) {
		s3_msgf(why, cap, "token: bad answer");
		rc = S3_ERR_INVAL;
		goto fail;
	}
	creds_copy(token, sizeof(token), rs.body);
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

