/* test_creds.c - the credential provider chain (creds.h), offline.
 *
 * The environment is a table here and HTTP is a fake function that answers
 * from a routing table and records every call, so nothing leaves the
 * process: the metadata defaults (169.254.169.254, 169.254.170.2) show up
 * only as URLs the fake records, never as traffic; every case that talks
 * to a "server" sets AWS_EC2_METADATA_SERVICE_ENDPOINT / S3_CONTAINER_ENDPOINT
 * to 127.0.0.1 unless it checks the default itself (the ENDPOINT
 * overrides), and the fake transport never opens a socket. The clock is a
 * parameter of s3_creds_get, moved by hand. credential_process runs real
 * /bin/sh commands (printf, sleep) in a temporary directory.
 *
 * Covered: ISO 8601 times, URL lifetime clamping, every JSON answer and
 * its refusals, S3_CREDENTIALS, each source alone, precedence, profile
 * selection and file format, credential_process (output, exit status,
 * timeout, size), container (relative / full URI, allowed hosts, tokens),
 * IMDSv2 (the three calls and their headers, each failure), refresh
 * scheduling with jitter, failed refreshes, retry pacing, re-entry, and
 * that no message ever holds a secret. The live cases against a real
 * server are in test_creds_live.c (run by tests/creds_chain.py). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "http.h"
#include "fake_env.h"     /* env_set, env_get, env_clear */
#include "tap.h"

#define T0       ((time_t)1780000000)      /* 2026-05-28T20:26:40Z */
#define JITTER   100
#define WHY      S3_CREDS_WHY_MAX
#define LOOP     "http://127.0.0.1:9"       /* the fake's "servers" */
#define REL      "/v2/credentials/task-1"

#define AK1 "ASIAFIRSTKEY0000001"
#define SK1 "secret/one+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TK1 "token-one/IQoJb3JpZ2luX2VjEXAMPLE+=="
#define AK2 "ASIASECONDKEY000002"
#define SK2 "secret/two+BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define TK2 "token-two/IQoJb3JpZ2luX2VjEXAMPLE+=="
#define SKENV "envsecret/ENVENVENVENVENVENVENVENVENVENVE"
#define SKFILE "filesecret/FILEFILEFILEFILEFILEFILEFILEFI"
#define SKCONF "confsecret/CONFCONFCONFCONFCONFCONFCONFC"
#define SKPROC "procsecret/PROCPROCPROCPROCPROCPROCPROCP"
#define AUTHTOK "container-auth-token-SECRET"

/* ---- the fake HTTP ----------------------------------------------------- */

#define MAX_ROUTES 8
#define MAX_CALLS  64

struct route {
	char url[600];
	long status;
	char body[4096];
	enum s3_err err;           /* S3_OK: answer; else this transport error */
};

struct call {
	char method[8];
	char url[600];
	char headers[1200];        /* "Name: value\n" lines */
	long timeout_ms;
};

static struct route routes[MAX_ROUTES];
static int nroutes;
static struct call calls[MAX_CALLS];
static int ncalls;
static struct s3_creds_chain *reenter;     /* the fake calls s3_creds_get on it */
static enum s3_err reenter_rc;
static char reenter_ak[SIGV4_MAX_ACCESS_KEY + 1];

static void http_reset(void)
{
	nroutes = 0;
	ncalls = 0;
	reenter = NULL;
}

static void route(const char *url, long status, const char *body)
{
	struct route *r = NULL;

	for (int i = 0; i < nroutes; i++)
		if (!strcmp(routes[i].url, url))
			r = &routes[i];
	if (!r && nroutes < MAX_ROUTES)
		r = &routes[nroutes++];
	if (!r)
		return;
	snprintf(r->url, sizeof(r->url), "%s", url);
	r->status = status;
	snprintf(r->body, sizeof(r->body), "%s", body ? body : "");
	r->err = S3_OK;
}

static void route_err(const char *url, enum s3_err e)
{
	route(url, 0, NULL);
	for (int i = 0; i < nroutes; i++)
		if (!strcmp(routes[i].url, url))
			routes[i].err = e;
}

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t cap)
{
	struct call *c = ncalls < MAX_CALLS ? &calls[ncalls++] : NULL;

	(void)ctx;
	memset(rs, 0, sizeof(*rs));
	if (c) {
		snprintf(c->method, sizeof(c->method), "%s", rq->method);
		snprintf(c->url, sizeof(c->url), "%s", rq->url);
		c->headers[0] = '\0';
		c->timeout_ms = rq->timeout_ms;
		for (size_t i = 0; i < rq->nheaders; i++) {
			size_t n = strlen(c->headers);

			snprintf(c->headers + n, sizeof(c->headers) - n, "%s: %s\n",
			         rq->headers[i].name, rq->headers[i].value);
		}
	}
	if (reenter) {
		struct s3_creds cr;
		char w[WHY];

		reenter_rc = s3_creds_get(reenter, T0, &cr, NULL, w, sizeof(w));
		snprintf(reenter_ak, sizeof(reenter_ak), "%s",
		         cr.access_key ? cr.access_key : "");
	}
	for (int i = 0; i < nroutes; i++) {
		if (strcmp(routes[i].url, rq->url))
			continue;
		if (routes[i].err) {
			snprintf(why, cap, "fake transport error");
			return routes[i].err;
		}
		rs->status = routes[i].status;
		rs->len = strlen(routes[i].body);
		rs->body = malloc(rs->len + 1);
		if (!rs->body)
			return S3_ERR_NOMEM;
		memcpy(rs->body, routes[i].body, rs->len + 1);
		return S3_OK;
	}
	snprintf(why, cap, "Couldn't connect to server");
	return S3_ERR_IO;
}

/* ---- helpers ------------------------------------------------------- */

static char tmpdir[] = "/tmp/test_creds.XXXXXX";
static char paths[32][256];
static int npaths;

static const char *tpath(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static const char *wfile(const char *name, const char *content)
{
	const char *p = tpath(name);
	FILE *f = fopen(p, "wb");
	int known = 0;

	if (!f) {
		diag("cannot write %s: %s", p, strerror(errno));
		return p;
	}
	fputs(content, f);
	fclose(f);
	for (int i = 0; i < npaths; i++)
		known |= !strcmp(paths[i], p);
	if (!known && npaths < 32)
		snprintf(paths[npaths++], sizeof(paths[0]), "%s", p);
	return p;
}

static void iso(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A container / IMDS answer. */
static const char *cjson(char *buf, size_t cap, const char *ak, const char *sk,
                         const char *tk, time_t exp)
{
	char e[32];

	iso(exp, e);
	snprintf(buf, cap, "{\"Code\":\"Success\",\"LastUpdated\":\"2026-05-28T00:00:00Z\","
	         "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
	         "\"Token\":\"%s\",\"Expiration\":\"%s\"}", ak, sk, tk, e);
	return buf;
}

static const char *secrets[] = { SK1, SK2, TK1, TK2, SKENV, SKFILE, SKCONF, SKPROC, AUTHTOK };

/* 1 when s holds none of the test secrets. */
static int clean(const char *s)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(s, secrets[i]))
			return 0;
	return 1;
}

static struct s3_creds_chain *mk(const char *ak, const char *sk, const char *tk)
{
	struct s3_creds_opts o = {
		.access_key = ak, .secret_key = sk, .session_token = tk,
		.get = env_get, .http = fake_http, .fixed_jitter = 1, .jitter = JITTER,
		.process_timeout_ms = 3000,
	};
	struct s3_creds_chain *ch = NULL;
	char err[S3_CREDS_ERRMAX];

	if (s3_creds_new(&ch, &o, err, sizeof(err)))
		diag("s3_creds_new: %s", err);
	return ch;
}

/* One get at now: returns the code; fills the access key, token and
 * expiration seen, and why. */
struct got {
	enum s3_err rc;
	char ak[SIGV4_MAX_ACCESS_KEY + 1];
	char sk[SIGV4_MAX_SECRET + 1];
	char tk[SIGV4_MAX_TOKEN + 1];
	int has_tk;
	time_t exp;
	const char *source;
	char why[WHY];
};

static struct got get(struct s3_creds_chain *ch, time_t now)
{
	struct got g;
	struct s3_creds c;

	memset(&g, 0, sizeof(g));
	g.rc = s3_creds_get(ch, now, &c, &g.exp, g.why, sizeof(g.why));
	snprintf(g.ak, sizeof(g.ak), "%s", c.access_key ? c.access_key : "");
	snprintf(g.sk, sizeof(g.sk), "%s", c.secret_key ? c.secret_key : "");
	snprintf(g.tk, sizeof(g.tk), "%s", c.session_token ? c.session_token : "");
	g.has_tk = c.session_token != NULL;
	g.source = s3_creds_source(ch);
	return g;
}

/* The common base: nothing configured, IMDS disabled, HOME an empty dir. */
static void base_env(void)
{
	env_clear();
	http_reset();
	env_set("HOME", tpath("nohome"));
	env_set("AWS_EC2_METADATA_DISABLED", "true");
}

static void container_env(void)
{
	env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", REL);
	env_set("S3_CONTAINER_ENDPOINT", LOOP);
}

static void imds_env(void)
{
	env_set("AWS_EC2_METADATA_DISABLED", NULL);
	env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", LOOP);
}

static void imds_routes(const char *base, const char *body)
{
	char u[600];

	snprintf(u, sizeof(u), "%s/latest/api/token", base);
	route(u, 200, "IMDSTOKEN-abcdef==");
	snprintf(u, sizeof(u), "%s/latest/meta-data/iam/security-credentials/", base);
	route(u, 200, "app-role\n");
	snprintf(u, sizeof(u), "%s/latest/meta-data/iam/security-credentials/app-role", base);
	route(u, 200, body);
}

/* ---- clamping ------------------------------------------------ */

static void test_clamp(void)
{
	is_int(s3_creds_clamp_expires(60, T0, 0), 60, "clamp: no expiry keeps 60");
	is_int(s3_creds_clamp_expires(60, T0, T0 + 3600), 60, "clamp: far expiry keeps 60");
	is_int(s3_creds_clamp_expires(3600, T0, T0 + 600), 600, "clamp: 3600 -> 600 left");
	is_int(s3_creds_clamp_expires(600, T0, T0 + 600), 600, "clamp: exactly to expiry");
	is_int(s3_creds_clamp_expires(604800, T0, T0 + 61), 61, "clamp: 7 days -> 61");
	is_int(s3_creds_clamp_expires(60, T0, T0), 0, "clamp: expired now -> 0");
	is_int(s3_creds_clamp_expires(60, T0, T0 - 5), 0, "clamp: expired -> 0");
	is_int(s3_creds_refresh_at(T0 + 3600, 0), T0 + 3300, "refresh_at: 5 min early");
	is_int(s3_creds_refresh_at(T0 + 3600, 300), T0 + 3000, "refresh_at: plus jitter");
}

/* ---- JSON answers -------------------------------------------------- */

struct json_case {
	const char *desc;
	enum s3_creds_json kind;
	const char *body;
	int ok;
	const char *why;           /* substring of the refusal */
};

#define P S3_CREDS_JSON_PROCESS
#define C S3_CREDS_JSON_CONTAINER
#define I S3_CREDS_JSON_IMDS
#define KS "\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"" SK1 "\""
#define EXP "\"Expiration\":\"2026-05-28T21:26:40Z\""

static const struct json_case json_cases[] = {
	{ "process minimal", P, "{\"Version\":1," KS "}", 1, NULL },
	{ "process full", P, "{\"Version\":1," KS ",\"SessionToken\":\"" TK1 "\"," EXP "}", 1, NULL },
	{ "process null token", P, "{\"Version\":1," KS ",\"SessionToken\":null}", 1, NULL },
	{ "process whitespace around", P, " \n{\"Version\":1.0," KS "}\n\t", 1, NULL },
	{ "process extra fields", P, "{\"Version\":1," KS ",\"x\":[1,{\"y\":2}]}", 1, NULL },
	{ "container", C, "{" KS ",\"Token\":\"" TK1 "\"," EXP ",\"RoleArn\":\"arn:x\"}", 1, NULL },
	{ "imds", I, "{\"Code\":\"Success\"," KS ",\"Token\":\"" TK1 "\"," EXP "}", 1, NULL },

	{ "empty", P, "", 0, "empty answer" },
	{ "not JSON", C, "<html>500</html>", 0, "not JSON" },
	{ "truncated", C, "{\"AccessKeyId\":\"AK", 0, "not JSON" },
	{ "two values", C, "{} {}", 0, "data after" },
	{ "array", C, "[]", 0, "not a JSON object" },
	{ "string", C, "\"x\"", 0, "not a JSON object" },
	{ "latin-1", C, "{\"x\":\"\xe9\"}", 0, "UTF-8" },
	{ "process no Version", P, "{" KS "}", 0, "Version must be 1" },
	{ "process Version 2", P, "{\"Version\":2," KS "}", 0, "Version must be 1" },
	{ "process Version \"1\"", P, "{\"Version\":\"1\"," KS "}", 0, "Version must be 1" },
	{ "process Version twice", P, "{\"Version\":1,\"Version\":1," KS "}", 0, "Version" },
	{ "no AccessKeyId", P, "{\"Version\":1,\"SecretAccessKey\":\"s\"}", 0, "no AccessKeyId" },
	{ "no SecretAccessKey", P, "{\"Version\":1,\"AccessKeyId\":\"a\"}", 0, "no SecretAccessKey" },
	{ "AccessKeyId number", P, "{\"Version\":1,\"AccessKeyId\":5,\"SecretAccessKey\":\"s\"}",
	  0, "not a string" },
	{ "AccessKeyId null", P, "{\"Version\":1,\"AccessKeyId\":null,\"SecretAccessKey\":\"s\"}",
	  0, "no AccessKeyId" },
	{ "AccessKeyId twice", P, "{\"Version\":1," KS ",\"AccessKeyId\":\"B\"}", 0, "twice" },
	{ "AccessKeyId empty", P, "{\"Version\":1,\"AccessKeyId\":\"\",\"SecretAccessKey\":\"s\"}",
	  0, "no access key id" },
	{ "AccessKeyId with space", P,
	  "{\"Version\":1,\"AccessKeyId\":\"AK ID\",\"SecretAccessKey\":\"s\"}", 0, "access key id" },
	{ "secret with newline", P,
	  "{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"s\\nx\"}", 0, "secret access key" },
	{ "secret with NUL escape", P,
	  "{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"s\\u0000x\"}", 0, NULL },
	{ "secret non-ASCII", P,
	  "{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"s\\u00e9\"}", 0, "secret access key" },
	{ "token with tab", P, "{\"Version\":1," KS ",\"SessionToken\":\"a\\tb\"}", 0, "session token" },
	{ "token number", P, "{\"Version\":1," KS ",\"SessionToken\":7}", 0, "not a string" },
	{ "Expiration bad", P, "{\"Version\":1," KS ",\"Expiration\":\"tomorrow\"}", 0, "ISO 8601" },
	{ "Expiration number", P, "{\"Version\":1," KS ",\"Expiration\":1780000000}", 0, "not a string" },
	{ "Expiration empty", P, "{\"Version\":1," KS ",\"Expiration\":\"\"}", 0, "ISO 8601" },
	{ "container no Token", C, "{" KS "," EXP "}", 0, "no Token" },
	{ "container empty Token", C, "{" KS ",\"Token\":\"\"," EXP "}", 0, "no Token" },
	{ "container no Expiration", C, "{" KS ",\"Token\":\"t\"}", 0, "no Expiration" },
	{ "container SessionToken is not Token", C, "{" KS ",\"SessionToken\":\"t\"," EXP "}",
	  0, "no Token" },
	{ "imds no Code", I, "{" KS ",\"Token\":\"t\"," EXP "}", 0, "Code" },
	{ "imds Code Failure", I, "{\"Code\":\"Failure\"," KS ",\"Token\":\"t\"," EXP "}", 0, "Code" },
	/* issue 15: strict JSON first (cJSON alone read "s\u00GGx" as "s") */
	{ "secret with \\u00GG", P,
	  "{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"s\\u00GGx\"}", 0, "not JSON" },
	{ "key name with \\uZZZZ", P,
	  "{\"Version\":1,\"AccessKeyId\\uZZZZjunk\":\"AK\",\"SecretAccessKey\":\"s\"}", 0, "not JSON" },
	{ "raw control character in a string", C,
	  "{" KS ",\"Token\":\"t\x01\"," EXP "}", 0, "not JSON" },
	{ "control byte as white space", C, "{" KS ",\x0b\"Token\":\"t\"," EXP "}", 0, "not JSON" },
	{ "Version 01", P, "{\"Version\":01," KS "}", 0, "not JSON" },
	{ "Version 1.", P, "{\"Version\":1.," KS "}", 0, "not JSON" },
	{ "Version +1", P, "{\"Version\":+1," KS "}", 0, "not JSON" },
	{ "NaN", P, "{\"Version\":1," KS ",\"x\":NaN}", 0, "not JSON" },
	{ "trailing comma", P, "{\"Version\":1," KS ",}", 0, "not JSON" },
	{ "lone surrogate", C, "{" KS ",\"Token\":\"t\\ud800\"," EXP "}", 0, "unpaired surrogate" },
	{ "with a BOM", P, "\xef\xbb\xbf{\"Version\":1," KS "}", 1, NULL },
	{ "imds Code twice", I, "{\"Code\":\"Success\",\"Code\":\"Success\"," KS ",\"Token\":\"t\"," EXP "}",
	  0, "twice" },
};

static void test_json(void)
{
	char big[S3_HTTP_MAX_BODY + 64], key129[SIGV4_MAX_ACCESS_KEY + 2];
	struct s3_cred_value v;
	char why[256];

	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];
		enum s3_err rc = s3_creds_parse_json(c->body, strlen(c->body), c->kind, &v,
		                                     why, sizeof(why));

		is_int(rc, c->ok ? S3_OK : S3_ERR_INVAL, "json %s: %s", c->desc,
		       c->ok ? "accepted" : "refused");
		if (!c->ok && c->why)
			ok(strstr(why, c->why) != NULL, "json %s: why has '%s' (%s)", c->desc,
			   c->why, why);
		ok(clean(why), "json %s: no secret in why", c->desc);
	}
	s3_creds_parse_json(json_cases[1].body, strlen(json_cases[1].body), P, &v, why, sizeof(why));
	is_str(v.access_key, "AKID", "json process: access key");
	is_str(v.secret_key, SK1, "json process: secret");
	is_str(v.session_token, TK1, "json process: token");
	is_int(v.expiration, T0 + 3600, "json process: expiration");
	s3_creds_parse_json(json_cases[0].body, strlen(json_cases[0].body), P, &v, why, sizeof(why));
	is_str(v.session_token, "", "json process minimal: no token");
	is_int(v.expiration, 0, "json process minimal: no expiration");
	s3_cred_value_wipe(&v);
	ok(v.access_key[0] == 0 && v.secret_key[0] == 0 && v.expiration == 0, "wipe: zeroed");

	is_int(s3_creds_parse_json("{\"Version\":1}\0x", 15, P, &v, why, sizeof(why)),
	       S3_ERR_INVAL, "json: NUL byte refused");
	is_int(s3_creds_parse_json(NULL, 0, P, &v, why, sizeof(why)), S3_ERR_INVAL,
	       "json: NULL refused");
	memset(key129, 'K', sizeof(key129) - 1);
	key129[sizeof(key129) - 1] = '\0';
	snprintf(big, sizeof(big), "{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\"}",
	         key129);
	is_int(s3_creds_parse_json(big, strlen(big), P, &v, why, sizeof(why)), S3_ERR_INVAL,
	       "json: access key of 129 bytes refused");
	key129[SIGV4_MAX_ACCESS_KEY] = '\0';
	snprintf(big, sizeof(big), "{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\"}",
	         key129);
	is_int(s3_creds_parse_json(big, strlen(big), P, &v, why, sizeof(why)), S3_OK,
	       "json: access key of 128 bytes accepted");
	memset(big, '[', 2000);
	memset(big + 2000, ']', 2000);
	is_int(s3_creds_parse_json(big, 4000, P, &v, why, sizeof(why)), S3_ERR_INVAL,
	       "json: nesting 2000 deep refused");
}

/* ---- chain creation, S3_CREDENTIALS ------------------------------------- */

static void test_new(void)
{
	struct s3_creds_opts o = { .get = env_get, .http = fake_http };
	struct s3_creds_chain *ch = NULL;
	char err[S3_CREDS_ERRMAX];
	static const char *const modes[] = { "env", "file", "container", "imds", "chain", "" };

	base_env();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		env_set("S3_CREDENTIALS", modes[i]);
		is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_OK,
		       "new: S3_CREDENTIALS='%s' accepted", modes[i]);
		s3_creds_free(ch);
	}
	env_set("S3_CREDENTIALS", "ec2");
	is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_ERR_CONFIG, "new: S3_CREDENTIALS=ec2 refused");
	ok(ch == NULL, "new: no chain on failure");
	ok(strstr(err, "S3_CREDENTIALS") && strstr(err, "env, file, container, imds or chain"),
	   "new: message names the variable and the choices (%s)", err);
	env_set("S3_CREDENTIALS", "ENV");
	is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_ERR_CONFIG, "new: values are lower case");
	env_set("S3_CREDENTIALS", NULL);

	o.access_key = "AK";
	is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_ERR_CONFIG, "new: key without secret refused");
	o.secret_key = "bad secret";
	is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_ERR_CONFIG, "new: secret with space refused");
	ok(!strstr(err, "bad secret"), "new: value not echoed (%s)", err);
	o.secret_key = SKENV;
	is_int(s3_creds_new(&ch, &o, err, sizeof(err)), S3_OK, "new: static keys accepted");
	s3_creds_free(ch);
	s3_creds_free(NULL);
}

/* ---- each source alone, precedence ----------------------------------- */

static void test_env_source(void)
{
	struct s3_creds_chain *ch;
	struct got g;

	base_env();
	ch = mk("AKENV", SKENV, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "env: ok");
	is_str(g.ak, "AKENV", "env: access key");
	is_str(g.sk, SKENV, "env: secret");
	ok(!g.has_tk, "env: no token -> NULL");
	is_int(g.exp, 0, "env: no expiration");
	is_str(g.source, "env", "env: source");
	is_str(g.why, "", "env: why empty");
	g = get(ch, T0 + 100 * 86400);
	is_str(g.ak, "AKENV", "env: still served 100 days later");
	is_int(ncalls, 0, "env: no HTTP");
	s3_creds_free(ch);

	ch = mk("AKENV", SKENV, "ENVTOKEN");
	g = get(ch, T0);
	is_str(g.tk, "ENVTOKEN", "env: session token");
	s3_creds_free(ch);

	env_set("S3_CREDENTIALS", "env");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_ERR_NOCREDS, "env pinned, none: NOCREDS");
	is_str(g.why, "env: AWS_ACCESS_KEY_ID not set", "env pinned: only env tried");
	ok(g.source == NULL, "env pinned: no source");
	s3_creds_free(ch);
}

static void test_precedence(void)
{
	char body[1024], cred[512];
	struct s3_creds_chain *ch;
	struct got g;

	base_env();
	container_env();
	imds_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), "AKCONTAINER", SK1, TK1, T0 + 3600));
	imds_routes(LOOP, cjson(body, sizeof(body), "AKIMDS", SK2, TK2, T0 + 7200));
	snprintf(cred, sizeof(cred), "[default]\naws_access_key_id = AKFILE\n"
	         "aws_secret_access_key = %s\n", SKFILE);
	env_set("AWS_SHARED_CREDENTIALS_FILE", wfile("prec_credentials", cred));
	env_set("AWS_CONFIG_FILE", tpath("prec_config_missing"));

	ch = mk("AKENV", SKENV, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKENV", "precedence: env first");
	is_int(ncalls, 0, "precedence: env: nothing else asked");
	s3_creds_free(ch);

	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKFILE", "precedence: then the shared file");
	is_str(g.source, "file", "precedence: source file");
	is_int(ncalls, 0, "precedence: file: no HTTP");
	s3_creds_free(ch);

	env_set("AWS_SHARED_CREDENTIALS_FILE", NULL);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKCONTAINER", "precedence: then container");
	is_str(g.tk, TK1, "precedence: container token");
	is_int(g.exp, T0 + 3600, "precedence: container expiration");
	is_int(ncalls, 1, "precedence: container: one call, IMDS not asked");
	s3_creds_free(ch);

	http_reset();
	imds_routes(LOOP, cjson(body, sizeof(body), "AKIMDS", SK2, TK2, T0 + 7200));
	route(LOOP REL, 500, "oops");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKIMDS", "precedence: container failing -> IMDS");
	is_str(g.source, "imds", "precedence: source imds");
	is_str(g.why, "", "precedence: why empty when a later source yields");
	s3_creds_free(ch);

	/* pinned: only that source, even with env keys set */
	http_reset();
	route(LOOP REL, 200, cjson(body, sizeof(body), "AKCONTAINER", SK1, TK1, T0 + 3600));
	imds_routes(LOOP, cjson(body, sizeof(body), "AKIMDS", SK2, TK2, T0 + 7200));
	env_set("S3_CREDENTIALS", "imds");
	ch = mk("AKENV", SKENV, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKIMDS", "pinned imds: env keys ignored, container ignored");
	is_int(ncalls, 3, "pinned imds: the three IMDS calls only");
	s3_creds_free(ch);
	env_set("S3_CREDENTIALS", "container");
	ch = mk("AKENV", SKENV, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKCONTAINER", "pinned container");
	s3_creds_free(ch);
	env_set("S3_CREDENTIALS", "file");
	ch = mk("AKENV", SKENV, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_ERR_NOCREDS, "pinned file with no files: NOCREDS");
	ok(!strncmp(g.why, "file: ", 6) && !strstr(g.why, "env:") && !strstr(g.why, "imds:"),
	   "pinned file: only file in why (%s)", g.why);
	s3_creds_free(ch);
}

static void test_nothing(void)
{
	struct s3_creds_chain *ch;
	struct got g;
	char want[WHY];

	base_env();
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_ERR_NOCREDS, "nothing: NOCREDS");
	snprintf(want, sizeof(want), "env: AWS_ACCESS_KEY_ID not set; file: %s/.aws/credentials "
	         "and %s/.aws/config not found; container: not configured; imds: disabled by "
	         "AWS_EC2_METADATA_DISABLED", tpath("nohome"), tpath("nohome"));
	is_str(g.why, want, "nothing: why lists every source in order");
	is_int(ncalls, 0, "nothing: no HTTP");
	s3_creds_free(ch);

	env_set("HOME", NULL);
	env_set("AWS_EC2_METADATA_DISABLED", "TRUE");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "file: AWS_SHARED_CREDENTIALS_FILE: HOME not set") != NULL,
	   "nothing: HOME unset said (%s)", g.why);
	ok(strstr(g.why, "imds: disabled") != NULL, "nothing: TRUE disables too");
	s3_creds_free(ch);
	env_set("AWS_EC2_METADATA_DISABLED", "false");
	imds_env();
	env_set("AWS_EC2_METADATA_DISABLED", "false");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "imds: token: Couldn't connect to server") != NULL,
	   "nothing: imds failure said (%s)", g.why);
	is_int(ncalls, 1, "nothing: DISABLED=false does not disable");
	s3_creds_free(ch);
}

/* ---- profile files ------------------------------------------------- */

struct prof_case {
	const char *desc;
	const char *profile;       /* AWS_PROFILE, or NULL */
	const char *cred;          /* credentials file content, NULL: missing */
	const char *conf;          /* config file content, NULL: missing */
	const char *want_ak;       /* NULL: expect a failure */
	const char *want_tk;       /* for successes: "" none */
	const char *why;           /* for failures: substring */
};

#define SKS "aws_secret_access_key = " SKFILE "\n"

static const struct prof_case prof_cases[] = {
	{ "default in credentials", NULL, "[default]\naws_access_key_id = AKDEF\n" SKS, NULL,
	  "AKDEF", "", NULL },
	{ "AWS_PROFILE in credentials", "dev",
	  "[default]\naws_access_key_id = AKDEF\n" SKS "[dev]\naws_access_key_id=AKDEV\n" SKS,
	  NULL, "AKDEV", "", NULL },
	{ "session token", "dev",
	  "[dev]\naws_access_key_id=AKDEV\n" SKS "aws_session_token = TOKDEV\n", NULL,
	  "AKDEV", "TOKDEV", NULL },
	{ "legacy aws_security_token", "dev",
	  "[dev]\naws_access_key_id=AKDEV\n" SKS "aws_security_token = TOKSEC\n", NULL,
	  "AKDEV", "TOKSEC", NULL },
	{ "empty session token is none", "dev",
	  "[dev]\naws_access_key_id=AKDEV\n" SKS "aws_session_token =\n", NULL, "AKDEV", "", NULL },
	{ "config [profile dev]", "dev", NULL,
	  "[default]\nregion = x\n[profile dev]\naws_access_key_id = AKCONF\n"
	  "aws_secret_access_key = " SKCONF "\n", "AKCONF", "", NULL },
	{ "config [default]", NULL, NULL,
	  "[default]\naws_access_key_id = AKCD\naws_secret_access_key = " SKCONF "\n",
	  "AKCD", "", NULL },
	{ "config [profile default]", NULL, NULL,
	  "[profile   default]\naws_access_key_id = AKPD\naws_secret_access_key = " SKCONF "\n",
	  "AKPD", "", NULL },
	{ "config [dev] without 'profile' is not dev", "dev", NULL,
	  "[dev]\naws_access_key_id = AKX\naws_secret_access_key = " SKCONF "\n", NULL, NULL,
	  "no profile 'dev'" },
	{ "credentials [profile dev] is not dev", "dev",
	  "[profile dev]\naws_access_key_id = AKX\n" SKS, NULL, NULL, NULL, "no profile 'dev'" },
	{ "credentials file wins over config", "dev",
	  "[dev]\naws_access_key_id = AKCRED\n" SKS,
	  "[profile dev]\naws_access_key_id = AKCONF\naws_secret_access_key = " SKCONF "\n",
	  "AKCRED", "", NULL },
	{ "credentials section empty: config's keys", "dev", "[dev]\n",
	  "[profile dev]\naws_access_key_id = AKCONF\naws_secret_access_key = " SKCONF "\n",
	  "AKCONF", "", NULL },
	{ "format: comments, colon, case, CRLF, spaces", "dev",
	  "# comment\r\n; another\r\n[other]\r\nfoo\r\n  [ dev ]  \r\n"
	  "  AWS_Access_Key_ID :AKFMT  \r\n\taws_secret_access_key=  " SKFILE "\r\n",
	  NULL, "AKFMT", "", NULL },
	{ "format: continuation lines of other keys", NULL,
	  "[default]\ns3 =\n  max_concurrent_requests = 5\n  aws_access_key_id = NOTME\n"
	  "aws_access_key_id = AKCONT\n" SKS, NULL, "AKCONT", "", NULL },
	{ "format: no inline comments", NULL,
	  "[default]\naws_access_key_id = AKIN # not a comment\n" SKS, NULL, NULL, NULL,
	  "access key id" },
	{ "format: value with '=' and ':'", NULL,
	  "[default]\naws_access_key_id = AK=1:2\naws_secret_access_key = a:b=c\n", NULL,
	  "AK=1:2", "", NULL },
	{ "format: keys before any section ignored", NULL,
	  "aws_access_key_id = AKNOSECT\n[default]\naws_access_key_id = AKSECT\n" SKS, NULL,
	  "AKSECT", "", NULL },
	{ "multi-line value refused", NULL,
	  "[default]\naws_access_key_id = AKML\n  more\n" SKS, NULL, NULL, NULL, "multi-line value" },
	{ "key without secret", NULL, "[default]\naws_access_key_id = AKONLY\n", NULL, NULL, NULL,
	  "aws_access_key_id without aws_secret_access_key" },
	{ "secret without key", NULL, "[default]\n" SKS, NULL, NULL, NULL,
	  "aws_secret_access_key without aws_access_key_id" },
	{ "empty key", NULL, "[default]\naws_access_key_id =\n" SKS, NULL, NULL, NULL,
	  "without" },
	{ "duplicate key", NULL, "[default]\naws_access_key_id = A\naws_access_key_id = B\n" SKS,
	  NULL, NULL, NULL, "line 3: aws_access_key_id set twice (first on line 2)" },
	{ "duplicate section", NULL, "[default]\naws_access_key_id = A\n" SKS "[default]\n", NULL,
	  NULL, NULL, "line 4: profile 'default' defined twice" },
	{ "malformed header", NULL, "[default\naws_access_key_id = A\n" SKS, NULL, NULL, NULL,
	  "line 1: malformed section header" },
	{ "empty header", NULL, "[]\n", NULL, NULL, NULL, "malformed section header" },
	{ "line without '=' in the profile", NULL, "[default]\nfoo\n", NULL, NULL, NULL,
	  "line 2: expected name = value" },
	{ "secret too long", NULL,
	  "[default]\naws_access_key_id = A\naws_secret_access_key = "
	  "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
	  "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS\n",
	  NULL, NULL, NULL, "secret access key: expected 1..128" },
	{ "no profile anywhere", "prod", "[default]\n", "[default]\n", NULL, NULL,
	  "no profile 'prod' in " },
	{ "profile without keys", NULL, "[default]\nregion = eu-west-1\n", NULL, NULL, NULL,
	  "profile 'default' has no aws_access_key_id or credential_process" },
	{ "role_arn not supported", NULL, NULL,
	  "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n", NULL, NULL,
	  "uses role_arn (not supported)" },
	{ "sso not supported", NULL, NULL, "[default]\nsso_session = corp\n", NULL, NULL,
	  "uses SSO (not supported)" },
	{ "bad profile name", "a b", "[a b]\n", NULL, NULL, NULL, "AWS_PROFILE: expected" },
	{ "NUL byte", NULL, "[default]\n\x01", NULL, NULL, NULL, NULL },
};

static void test_profiles(void)
{
	struct s3_creds_chain *ch;
	struct got g;
	char big[S3_CREDS_MAX_FILE + 100];
	const char *cpath = tpath("p_credentials"), *fpath = tpath("p_config");
	char cp[256], fp[256];

	snprintf(cp, sizeof(cp), "%s", cpath);
	snprintf(fp, sizeof(fp), "%s", fpath);
	for (size_t i = 0; i < sizeof(prof_cases) / sizeof(prof_cases[0]); i++) {
		const struct prof_case *c = &prof_cases[i];

		base_env();
		env_set("S3_CREDENTIALS", "file");
		if (c->profile)
			env_set("AWS_PROFILE", c->profile);
		unlink(cp);
		unlink(fp);
		if (c->cred)
			wfile("p_credentials", c->cred);
		if (c->conf)
			wfile("p_config", c->conf);
		env_set("AWS_SHARED_CREDENTIALS_FILE", cp);
		env_set("AWS_CONFIG_FILE", fp);
		ch = mk(NULL, NULL, NULL);
		g = get(ch, T0);
		if (c->want_ak) {
			is_int(g.rc, S3_OK, "profile %s: ok (%s)", c->desc, g.why);
			is_str(g.ak, c->want_ak, "profile %s: access key", c->desc);
			is_str(g.tk, c->want_tk, "profile %s: token", c->desc);
			is_int(g.exp, 0, "profile %s: no expiration", c->desc);
		} else {
			is_int(g.rc, S3_ERR_NOCREDS, "profile %s: refused", c->desc);
			if (c->why)
				ok(strstr(g.why, c->why) != NULL, "profile %s: why has '%s' (%s)",
				   c->desc, c->why, g.why);
		}
		ok(clean(g.why), "profile %s: no secret in why", c->desc);
		s3_creds_free(ch);
	}
	unlink(cp);
	unlink(fp);

	/* the NUL byte case above wrote "\x01"; a real NUL: */
	base_env();
	{
		FILE *f = fopen(cp, "wb");

		fwrite("[default]\n\0\n", 1, 12, f);
		fclose(f);
	}
	env_set("AWS_SHARED_CREDENTIALS_FILE", cp);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "NUL byte") != NULL, "profile: NUL byte refused (%s)", g.why);
	s3_creds_free(ch);

	/* missing files; defaults under HOME; ~/ expansion */
	base_env();
	env_set("AWS_SHARED_CREDENTIALS_FILE", tpath("none1"));
	env_set("AWS_CONFIG_FILE", tpath("none2"));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "file: ") && strstr(g.why, "none1 and ") && strstr(g.why, "none2 not found"),
	   "profile: both missing -> not found (%s)", g.why);
	s3_creds_free(ch);

	base_env();
	mkdir(tpath("home"), 0700);
	mkdir(tpath("home/.aws"), 0700);
	wfile("home/.aws/credentials", "[default]\naws_access_key_id = AKHOME\n" SKS);
	env_set("HOME", tpath("home"));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKHOME", "profile: default path $HOME/.aws/credentials");
	s3_creds_free(ch);
	env_set("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKHOME", "profile: ~/ expanded with HOME");
	s3_creds_free(ch);
	env_set("AWS_SHARED_CREDENTIALS_FILE", "");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKHOME", "profile: empty AWS_SHARED_CREDENTIALS_FILE is unset");
	s3_creds_free(ch);
	env_set("AWS_SHARED_CREDENTIALS_FILE", NULL);
	env_set("AWS_DEFAULT_PROFILE", "dp");
	wfile("home/.aws/credentials", "[default]\naws_access_key_id = AKHOME\n" SKS
	      "[dp]\naws_access_key_id = AKDP\n" SKS "[p]\naws_access_key_id = AKP\n" SKS);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKDP", "profile: AWS_DEFAULT_PROFILE");
	s3_creds_free(ch);
	env_set("AWS_PROFILE", "p");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, "AKP", "profile: AWS_PROFILE beats AWS_DEFAULT_PROFILE");
	s3_creds_free(ch);

	/* a file over the limit */
	base_env();
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	env_set("AWS_SHARED_CREDENTIALS_FILE", wfile("p_big", big));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "larger than 262144 bytes") != NULL, "profile: oversized file refused (%s)",
	   g.why);
	s3_creds_free(ch);
	/* a directory */
	env_set("AWS_SHARED_CREDENTIALS_FILE", tmpdir);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "Is a directory") != NULL, "profile: a directory refused (%s)", g.why);
	s3_creds_free(ch);
}

/* ---- credential_process ---------------------------------------------- */

static struct got run_proc(const char *cred_file, const char *conf_file, long timeout_ms,
                           time_t now)
{
	struct s3_creds_opts o = {
		.get = env_get, .http = fake_http, .fixed_jitter = 1, .jitter = JITTER,
		.process_timeout_ms = timeout_ms,
	};
	struct s3_creds_chain *ch = NULL;
	char err[S3_CREDS_ERRMAX];
	struct got g;

	base_env();
	env_set("S3_CREDENTIALS", "file");
	env_set("AWS_SHARED_CREDENTIALS_FILE", cred_file ? wfile("pc_cred", cred_file)
	                                                 : tpath("pc_none"));
	env_set("AWS_CONFIG_FILE", conf_file ? wfile("pc_conf", conf_file) : tpath("pc_none"));
	s3_creds_new(&ch, &o, err, sizeof(err));
	g = get(ch, now);
	s3_creds_free(ch);
	return g;
}

#define PJSON(ak) "printf '{\"Version\":1,\"AccessKeyId\":\"" ak "\",\"SecretAccessKey\":\"" SKPROC "\"}'"

static void test_process(void)
{
	char buf[2048], e[32];
	struct got g;
	struct timespec a, b;
	double el;
	int n;

	g = run_proc("[default]\ncredential_process = " PJSON("AKPROC") "\n", NULL, 3000, T0);
	is_int(g.rc, S3_OK, "process: ok (%s)", g.why);
	is_str(g.ak, "AKPROC", "process: access key");
	is_str(g.sk, SKPROC, "process: secret");
	is_str(g.source, "process", "process: source");
	is_int(g.exp, 0, "process: no Expiration, no expiry");

	iso(T0 + 1800, e);
	snprintf(buf, sizeof(buf), "[profile dev]\ncredential_process = printf "
	         "'{\"Version\": 1, \"AccessKeyId\": \"AKPT\", \"SecretAccessKey\": \"%s\", "
	         "\"SessionToken\": \"%s\", \"Expiration\": \"%s\"}'\n", SKPROC, TK1, e);
	env_set("AWS_PROFILE", "dev");
	{
		struct s3_creds_opts o = { .get = env_get, .http = fake_http, .fixed_jitter = 1,
		                           .jitter = JITTER };
		struct s3_creds_chain *ch = NULL;
		char err[S3_CREDS_ERRMAX];

		base_env();
		env_set("AWS_PROFILE", "dev");
		env_set("AWS_SHARED_CREDENTIALS_FILE", tpath("pc_none"));
		env_set("AWS_CONFIG_FILE", wfile("pc_conf", buf));
		s3_creds_new(&ch, &o, err, sizeof(err));
		g = get(ch, T0);
		is_int(g.rc, S3_OK, "process from config [profile dev]: ok (%s)", g.why);
		is_str(g.tk, TK1, "process: SessionToken");
		is_int(g.exp, T0 + 1800, "process: Expiration");
		s3_creds_free(ch);
	}

	g = run_proc("[default]\ncredential_process = " PJSON("AKCRED") "\n",
	             "[default]\ncredential_process = " PJSON("AKCONF") "\n", 3000, T0);
	is_str(g.ak, "AKCRED", "process: the credentials file's command wins");
	g = run_proc("[default]\naws_access_key_id = AKSTATIC\n" SKS
	             "credential_process = " PJSON("AKPROC") "\n", NULL, 3000, T0);
	is_str(g.ak, "AKSTATIC", "process: static keys in the credentials file win");
	g = run_proc("[default]\ncredential_process = " PJSON("AKPROC") "\n",
	             "[default]\naws_access_key_id = AKCONF\naws_secret_access_key = " SKCONF "\n",
	             3000, T0);
	is_str(g.ak, "AKPROC", "process: beats static keys in the config file");
	g = run_proc("[default]\n", "[default]\ncredential_process = " PJSON("AKCP") "\n", 3000, T0);
	is_str(g.ak, "AKCP", "process: from the config file, credentials section empty");

	g = run_proc("[default]\ncredential_process = echo " SKPROC " >&2; exit 3\n", NULL, 3000, T0);
	is_int(g.rc, S3_ERR_NOCREDS, "process: exit 3 refused");
	ok(strstr(g.why, "credential_process: exited with status 3") != NULL,
	   "process: status said (%s)", g.why);
	ok(clean(g.why), "process: its stderr is not in why");
	g = run_proc("[default]\ncredential_process = kill -9 $$\n", NULL, 3000, T0);
	ok(strstr(g.why, "killed by signal 9") != NULL, "process: signal said (%s)", g.why);
	g = run_proc("[default]\ncredential_process = echo '{\"Version\":1,' " SKPROC "\n", NULL,
	             3000, T0);
	ok(strstr(g.why, "credential_process: answer is not JSON") != NULL,
	   "process: bad JSON said (%s)", g.why);
	ok(clean(g.why), "process: output not echoed");
	g = run_proc("[default]\ncredential_process = printf '{\"Version\":2,\"AccessKeyId\":\"A\","
	             "\"SecretAccessKey\":\"S\"}'\n", NULL, 3000, T0);
	ok(strstr(g.why, "Version must be 1") != NULL, "process: Version 2 refused (%s)", g.why);
	g = run_proc("[default]\ncredential_process = true\n", NULL, 3000, T0);
	ok(strstr(g.why, "empty answer") != NULL, "process: no output refused (%s)", g.why);
	g = run_proc("[default]\ncredential_process =\n", NULL, 3000, T0);
	ok(strstr(g.why, "credential_process is empty") != NULL, "process: empty command (%s)", g.why);
	g = run_proc("[default]\ncredential_process = /nonexistent/helper\n", NULL, 3000, T0);
	ok(strstr(g.why, "exited with status 127") != NULL, "process: missing helper (%s)", g.why);
	g = run_proc("[default]\ncredential_process = head -c 70000 /dev/zero | tr '\\000' a\n",
	             NULL, 3000, T0);
	ok(strstr(g.why, "output larger than 65536 bytes") != NULL, "process: output limit (%s)",
	   g.why);
	iso(T0 - 10, e);
	snprintf(buf, sizeof(buf), "[default]\ncredential_process = printf '{\"Version\":1,"
	         "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"%s\"}'\n", e);
	g = run_proc(buf, NULL, 3000, T0);
	ok(strstr(g.why, "process credentials expired at") != NULL, "process: expired refused (%s)",
	   g.why);
	iso(T0 + 30, e);
	snprintf(buf, sizeof(buf), "[default]\ncredential_process = printf '{\"Version\":1,"
	         "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"%s\"}'\n", e);
	g = run_proc(buf, NULL, 3000, T0);
	ok(strstr(g.why, "expire too soon") != NULL, "process: 30 s left refused (%s)", g.why);

	clock_gettime(CLOCK_MONOTONIC, &a);
	g = run_proc("[default]\ncredential_process = sleep 20\n", NULL, 400, T0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	el = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	ok(strstr(g.why, "timed out after 400 ms (killed)") != NULL, "process: timeout (%s)", g.why);
	ok(el < 2.0, "process: killed in time (%.2f s)", el);
	clock_gettime(CLOCK_MONOTONIC, &a);
	g = run_proc("[default]\ncredential_process = " PJSON("AKBG") "; sleep 20 & exit 0\n",
	             NULL, 400, T0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	el = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	ok(strstr(g.why, "timed out") != NULL, "process: a child holding stdout is killed too (%s)",
	   g.why);
	ok(el < 2.0, "process: background child killed in time (%.2f s)", el);

	/* refresh re-runs it */
	n = 0;
	{
		struct s3_creds_opts o = { .get = env_get, .http = fake_http, .fixed_jitter = 1,
		                           .jitter = JITTER };
		struct s3_creds_chain *ch = NULL;
		char err[S3_CREDS_ERRMAX];
		FILE *f;
		char line[64];

		base_env();
		iso(T0 + 1000, e);
		unlink(tpath("pc_count"));
		snprintf(buf, sizeof(buf), "[default]\ncredential_process = echo x >> %s; printf "
		         "'{\"Version\":1,\"AccessKeyId\":\"AKR\",\"SecretAccessKey\":\"S\","
		         "\"Expiration\":\"%s\"}'\n", tpath("pc_count"), e);
		env_set("AWS_SHARED_CREDENTIALS_FILE", wfile("pc_cred", buf));
		snprintf(paths[npaths < 32 ? npaths++ : 31], sizeof(paths[0]), "%s", tpath("pc_count"));
		s3_creds_new(&ch, &o, err, sizeof(err));
		get(ch, T0);
		get(ch, T0 + 100);
		g = get(ch, T0 + 1000 - 300 - JITTER);
		is_int(g.rc, S3_OK, "process refresh: ok");
		f = fopen(tpath("pc_count"), "r");
		while (f && fgets(line, sizeof(line), f))
			n++;
		if (f)
			fclose(f);
		is_int(n, 2, "process refresh: run at start and when due, not in between");
		s3_creds_free(ch);
	}
}

/* ---- container --------------------------------------------------------- */

static void test_container(void)
{
	char body[1024];
	struct s3_creds_chain *ch;
	struct got g;
	static const struct { const char *uri; int ok; } full[] = {
		{ "http://127.0.0.1:9/creds", 1 },
		{ "http://127.1.2.3/creds", 1 },
		{ "http://localhost:8080/creds", 1 },
		{ "http://LOCALHOST/creds", 1 },
		{ "http://[::1]:9/creds", 1 },
		{ "http://169.254.170.2/v2/creds", 1 },
		{ "http://169.254.170.23/v1/credentials", 1 },
		{ "http://[fd00:ec2::23]/v1/credentials", 1 },
		{ "https://creds.example.com/x?y=1", 1 },
		{ "HTTPS://creds.example.com:8443/x", 1 },
		{ "http://10.0.0.1/creds", 0 },
		{ "http://169.254.169.254/creds", 0 },
		{ "http://example.com/creds", 0 },
		{ "http://localhost.example.com/creds", 0 },
		{ "http://user@127.0.0.1/creds", 0 },
		{ "http://127.0.0.1:99999/creds", 0 },
		{ "http://127.0.0.1:/creds", 0 },
		{ "http://[::2]/creds", 0 },
		{ "http://[nope]/creds", 0 },
		{ "ftp://127.0.0.1/creds", 0 },
		{ "http:///creds", 0 },
		{ "http://127.0.0.1/cr eds", 0 },
		{ "https://127.1/creds", 0 },              /* 127.0.0.1 to curl */
		{ "https://a..b/creds", 0 },
		{ "https://creds.example.com/x#y", 0 },
		{ "https://creds.example.com/\xc3\xa9", 0 },
	};

	/* relative URI, endpoint override, no token */
	base_env();
	container_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "container: ok (%s)", g.why);
	is_str(g.source, "container", "container: source");
	is_str(calls[0].method, "GET", "container: GET");
	is_str(calls[0].url, LOOP REL, "container: S3_CONTAINER_ENDPOINT + relative URI");
	is_str(calls[0].headers, "", "container: no Authorization without a token");
	ok(calls[0].timeout_ms == 0 || calls[0].timeout_ms <= S3_HTTP_TIMEOUT_MS,
	   "container: default timeouts");
	s3_creds_free(ch);

	/* the default endpoint: only recorded by the fake, never contacted */
	base_env();
	env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", REL);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].url, S3_CREDS_CONTAINER_ENDPOINT REL,
	       "container: default endpoint (fake transport, no traffic)");
	s3_creds_free(ch);

	/* endpoint override with a trailing slash; bad override */
	base_env();
	container_env();
	env_set("S3_CONTAINER_ENDPOINT", LOOP "/");
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].url, LOOP REL, "container: endpoint trailing slash dropped");
	s3_creds_free(ch);
	env_set("S3_CONTAINER_ENDPOINT", LOOP "/path");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "container: S3_CONTAINER_ENDPOINT: expected") != NULL,
	   "container: endpoint with a path refused (%s)", g.why);
	s3_creds_free(ch);
	env_set("S3_CONTAINER_ENDPOINT", LOOP);
	env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/x");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "RELATIVE_URI: expected a path") != NULL,
	   "container: relative URI without '/' refused (%s)", g.why);
	s3_creds_free(ch);

	/* relative wins over full */
	base_env();
	container_env();
	env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:10/full");
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].url, LOOP REL, "container: relative URI wins over full URI");
	s3_creds_free(ch);

	/* full URIs: allowed hosts */
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		char uri[128];

		snprintf(uri, sizeof(uri), "%s", full[i].uri);
		base_env();
		env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
		route(uri, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
		ch = mk(NULL, NULL, NULL);
		g = get(ch, T0);
		if (full[i].ok) {
			is_int(g.rc, S3_OK, "container full URI %s: allowed (%s)", uri, g.why);
			is_str(calls[0].url, uri, "container full URI %s: asked as is", uri);
		} else {
			is_int(g.rc, S3_ERR_NOCREDS, "container full URI %s: refused", uri);
			is_int(ncalls, 0, "container full URI %s: not contacted", uri);
			ok(strstr(g.why, "AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL,
			   "container full URI %s: why names the variable (%s)", uri, g.why);
		}
		s3_creds_free(ch);
	}

	/* authorization token: variable, file (wins, re-read), refusals */
	base_env();
	container_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTHTOK);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].headers, "Authorization: " AUTHTOK "\n", "container: token from the variable");
	s3_creds_free(ch);
	http_reset();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 3600));
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", wfile("authtok", "file-token-1\n"));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].headers, "Authorization: file-token-1\n",
	       "container: token file wins, trailing newline dropped");
	wfile("authtok", "file-token-2\r\n");
	route(LOOP REL, 200, cjson(body, sizeof(body), AK2, SK2, TK2, T0 + 7200));
	g = get(ch, T0 + 3600 - 300 - JITTER);
	is_str(g.ak, AK2, "container: refreshed");
	is_str(calls[1].headers, "Authorization: file-token-2\n", "container: token file re-read");
	s3_creds_free(ch);
	wfile("authtok", "bad\ntoken\n");
	http_reset();
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: expected") != NULL,
	   "container: LF inside the token file refused (%s)", g.why);
	is_int(ncalls, 0, "container: not contacted with a bad token");
	s3_creds_free(ch);
	wfile("authtok", "\n");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "TOKEN_FILE: expected") != NULL, "container: empty token file refused");
	s3_creds_free(ch);
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tpath("authtok-missing"));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "TOKEN_FILE: ") && strstr(g.why, "No such file"),
	   "container: missing token file (%s)", g.why);
	s3_creds_free(ch);
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok\r\nX-Injected: 1");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "AWS_CONTAINER_AUTHORIZATION_TOKEN: expected") != NULL,
	   "container: CR/LF in the token variable refused (%s)", g.why);
	is_int(ncalls, 0, "container: header injection never sent");
	s3_creds_free(ch);

	/* bad answers */
	{
		static const struct { long st; const char *body; const char *why; } bad[] = {
			{ 500, "{}", "container: HTTP 500" },
			{ 404, "", "container: HTTP 404" },
			{ 401, "", "container: HTTP 401" },
			{ 302, "", "container: HTTP 302" },
			{ 200, "not json", "container: bad answer: answer is not JSON" },
			{ 200, "", "container: bad answer: empty answer" },
			{ 200, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SK1 "\","
			       "\"Expiration\":\"2026-05-28T21:26:40Z\"}", "bad answer: no Token" },
			{ 200, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SK1 "\",\"Token\":\"t\","
			       "\"Expiration\":\"soon\"}", "Expiration is not an ISO 8601" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			base_env();
			container_env();
			route(LOOP REL, bad[i].st, bad[i].body);
			ch = mk(NULL, NULL, NULL);
			g = get(ch, T0);
			is_int(g.rc, S3_ERR_NOCREDS, "container bad answer %zu: refused", i);
			ok(strstr(g.why, bad[i].why) != NULL, "container bad answer %zu: '%s' (%s)", i,
			   bad[i].why, g.why);
			ok(clean(g.why), "container bad answer %zu: no secret", i);
			s3_creds_free(ch);
		}
		base_env();
		container_env();
		route_err(LOOP REL, S3_ERR_TOOLONG);
		ch = mk(NULL, NULL, NULL);
		g = get(ch, T0);
		ok(strstr(g.why, "container: fake transport error") != NULL,
		   "container: transport error said (%s)", g.why);
		s3_creds_free(ch);
		route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 - 1));
		ch = mk(NULL, NULL, NULL);
		g = get(ch, T0);
		ok(strstr(g.why, "container: container credentials expired at") != NULL,
		   "container: expired answer refused (%s)", g.why);
		s3_creds_free(ch);
	}
}

/* ---- IMDS ------------------------------------------------------------ */

static void test_imds(void)
{
	char body[1024], u[600];
	struct s3_creds_chain *ch;
	struct got g;

	base_env();
	imds_env();
	imds_routes(LOOP, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 21600));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "imds: ok (%s)", g.why);
	is_str(g.ak, AK1, "imds: access key");
	is_str(g.tk, TK1, "imds: token");
	is_int(g.exp, T0 + 21600, "imds: expiration");
	is_str(g.source, "imds", "imds: source");
	is_int(ncalls, 3, "imds: three calls");
	is_str(calls[0].method, "PUT", "imds 1: PUT");
	is_str(calls[0].url, LOOP "/latest/api/token", "imds 1: token URL");
	is_str(calls[0].headers, "X-aws-ec2-metadata-token-ttl-seconds: 21600\n", "imds 1: TTL header");
	ok(calls[0].timeout_ms > 0 && calls[0].timeout_ms <= S3_HTTP_TIMEOUT_MS,
	   "imds 1: within the budget (%ld)", calls[0].timeout_ms);
	is_str(calls[1].method, "GET", "imds 2: GET");
	is_str(calls[1].url, LOOP "/latest/meta-data/iam/security-credentials/", "imds 2: role URL");
	is_str(calls[1].headers, "X-aws-ec2-metadata-token: IMDSTOKEN-abcdef==\n",
	       "imds 2: session token header");
	is_str(calls[2].url, LOOP "/latest/meta-data/iam/security-credentials/app-role",
	       "imds 3: credentials URL with the role");
	is_str(calls[2].headers, "X-aws-ec2-metadata-token: IMDSTOKEN-abcdef==\n",
	       "imds 3: session token header");
	s3_creds_free(ch);

	/* defaults: recorded by the fake only, never contacted */
	base_env();
	env_set("AWS_EC2_METADATA_DISABLED", NULL);
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].url, S3_CREDS_IMDS_ENDPOINT "/latest/api/token",
	       "imds: default endpoint (fake transport, no traffic)");
	s3_creds_free(ch);
	http_reset();
	env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(calls[0].url, S3_CREDS_IMDS_ENDPOINT_V6 "/latest/api/token",
	       "imds: IPv6 mode default endpoint (fake transport, no traffic)");
	s3_creds_free(ch);
	http_reset();
	env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	ok(strstr(g.why, "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: expected IPv4 or IPv6"),
	   "imds: bad mode refused (%s)", g.why);
	is_int(ncalls, 0, "imds: bad mode: nothing contacted");
	s3_creds_free(ch);

	/* override with a trailing slash; bad overrides */
	base_env();
	imds_env();
	env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[::1]:9/");
	imds_routes("http://[::1]:9", cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 21600));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "imds: IPv6 loopback override with '/' (%s)", g.why);
	s3_creds_free(ch);
	{
		static const char *const bad[] = {
			"127.0.0.1:9", "http://127.0.0.1:9/latest", "http://127.0.0.1:9?x",
			"file:///etc/passwd", "http://a@127.0.0.1", "http://127.0.0.1:9#x",
			"http://0x7f.0.0.1", "http://[::1]x",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			http_reset();
			env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", bad[i]);
			ch = mk(NULL, NULL, NULL);
			g = get(ch, T0);
			ok(strstr(g.why, "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT: expected") &&
			   ncalls == 0, "imds: endpoint '%s' refused (%s)", bad[i], g.why);
			s3_creds_free(ch);
		}
	}

	/* each step failing */
	{
		static const struct { int step; long st; const char *body; const char *why; } bad[] = {
			{ 0, 403, "", "imds: token: HTTP 403" },
			{ 0, 405, "", "imds: token: HTTP 405" },
			{ 0, 200, "", "imds: token: bad answer" },
			{ 0, 200, "tok en", "imds: token: bad answer" },
			{ 1, 404, "", "imds: no IAM role attached to this instance (HTTP 404)" },
			{ 1, 401, "", "imds: role: HTTP 401" },
			{ 1, 200, "", "imds: role: bad answer" },
			{ 1, 200, "../../etc", "imds: role: bad answer" },
			{ 1, 200, "role with space", "imds: role: bad answer" },
			{ 1, 200, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
			  "imds: role: bad answer" },
			{ 2, 500, "", "imds: credentials: HTTP 500" },
			{ 2, 200, "{", "imds: bad answer: answer is not JSON" },
			{ 2, 200, "{\"Code\":\"Failure\",\"Message\":\"x\"}", "Code is not \"Success\"" },
			{ 2, 200, "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
			          "\"Expiration\":\"2026-05-28T21:26:40Z\"}", "imds: bad answer: no Token" },
		};
		static const char *const paths_[] = { "/latest/api/token",
			"/latest/meta-data/iam/security-credentials/",
			"/latest/meta-data/iam/security-credentials/app-role" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			base_env();
			imds_env();
			imds_routes(LOOP, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 21600));
			snprintf(u, sizeof(u), "%s%s", LOOP, paths_[bad[i].step]);
			route(u, bad[i].st, bad[i].body);
			ch = mk(NULL, NULL, NULL);
			g = get(ch, T0);
			is_int(g.rc, S3_ERR_NOCREDS, "imds failure %zu: refused", i);
			ok(strstr(g.why, bad[i].why) != NULL, "imds failure %zu: '%s' (%s)", i,
			   bad[i].why, g.why);
			is_int(ncalls, bad[i].step + 1, "imds failure %zu: stops at that step", i);
			ok(clean(g.why), "imds failure %zu: no secret", i);
			s3_creds_free(ch);
		}
	}
	/* two roles: the first */
	base_env();
	imds_env();
	imds_routes(LOOP, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 21600));
	route(LOOP "/latest/meta-data/iam/security-credentials/", 200, "app-role\r\nother-role\n");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "imds: first of several role lines (%s)", g.why);
	s3_creds_free(ch);
}

/* ---- refresh scheduling ---------------------------------------------- */

static void test_refresh(void)
{
	char body[1024];
	struct s3_creds_chain *ch;
	struct got g;
	const time_t exp1 = T0 + 3600, due = exp1 - S3_CREDS_REFRESH_EARLY - JITTER;

	base_env();
	container_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, exp1));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_str(g.ak, AK1, "refresh: first fetch");
	route(LOOP REL, 200, cjson(body, sizeof(body), AK2, SK2, TK2, exp1 + 3600));
	g = get(ch, T0 + 1000);
	is_str(g.ak, AK1, "refresh: cached before due");
	g = get(ch, due - 1);
	is_str(g.ak, AK1, "refresh: cached 1 s before due (exp - 300 - jitter)");
	is_int(ncalls, 1, "refresh: one call so far");
	g = get(ch, due);
	is_str(g.ak, AK2, "refresh: new keys when due");
	is_str(g.tk, TK2, "refresh: new token");
	is_int(g.exp, exp1 + 3600, "refresh: new expiration");
	is_int(ncalls, 2, "refresh: one more call");
	is_str(g.why, "", "refresh: why empty");

	/* failed refresh while the old ones are valid */
	route(LOOP REL, 500, "");
	{
		const time_t due2 = exp1 + 3600 - S3_CREDS_REFRESH_EARLY - JITTER;

		g = get(ch, due2);
		is_int(g.rc, S3_OK, "failed refresh: still OK");
		is_str(g.ak, AK2, "failed refresh: old keys kept");
		ok(strstr(g.why, "refresh failed") && strstr(g.why, "container: HTTP 500"),
		   "failed refresh: why says so (%s)", g.why);
		ok(clean(g.why), "failed refresh: no secret");
		is_int(ncalls, 3, "failed refresh: one attempt");
		g = get(ch, due2 + S3_CREDS_RETRY_VALID - 1);
		is_str(g.ak, AK2, "failed refresh: served during the pause");
		is_str(g.why, "", "failed refresh: quiet during the pause");
		is_int(ncalls, 3, "failed refresh: no attempt before S3_CREDS_RETRY_VALID");
		g = get(ch, due2 + S3_CREDS_RETRY_VALID);
		is_int(ncalls, 4, "failed refresh: next attempt after S3_CREDS_RETRY_VALID");
		is_str(g.ak, AK2, "failed refresh: still the old keys");

		/* old ones no longer usable: nothing */
		g = get(ch, exp1 + 3600 - S3_CREDS_MIN_VALID);
		is_int(g.rc, S3_ERR_NOCREDS, "expired: NOCREDS once less than MIN_VALID is left");
		ok(g.ak[0] == 0 && g.source == NULL, "expired: nothing handed out, cache dropped");
		is_int(ncalls, 5, "expired: one attempt");
		ok(strstr(g.why, "container: HTTP 500") != NULL, "expired: why (%s)", g.why);
		g = get(ch, exp1 + 3600 - S3_CREDS_MIN_VALID + S3_CREDS_RETRY_NONE - 1);
		is_int(g.rc, S3_ERR_NOCREDS, "expired: still failing during the pause");
		ok(strstr(g.why, "container: HTTP 500") != NULL, "expired: same why without I/O");
		is_int(ncalls, 5, "expired: no attempt before S3_CREDS_RETRY_NONE");
		route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, exp1 + 7200));
		g = get(ch, exp1 + 3600 - S3_CREDS_MIN_VALID + S3_CREDS_RETRY_NONE);
		is_int(g.rc, S3_OK, "expired: recovers after S3_CREDS_RETRY_NONE");
		is_str(g.ak, AK1, "expired: new keys");
		is_int(ncalls, 6, "expired: one attempt");
	}
	s3_creds_free(ch);

	/* answers that expire soon: used, and asked again at most every
	 * RETRY_VALID seconds */
	base_env();
	container_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, T0 + 200));
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	is_int(g.rc, S3_OK, "expires soon: used");
	is_int(g.exp, T0 + 200, "expires soon: expiration told");
	is_int(s3_creds_clamp_expires(3600, T0, g.exp), 200, "expires soon: URL clamped to 200 s");
	g = get(ch, T0 + 1);
	is_int(ncalls, 1, "expires soon: not asked again at once");
	g = get(ch, T0 + S3_CREDS_RETRY_VALID);
	is_int(ncalls, 2, "expires soon: asked again after RETRY_VALID");
	s3_creds_free(ch);

	/* clock going back */
	base_env();
	container_env();
	route(LOOP REL, 500, "");
	ch = mk(NULL, NULL, NULL);
	g = get(ch, T0);
	g = get(ch, T0 - 100);
	is_int(ncalls, 2, "clock back: a new attempt is allowed");
	s3_creds_free(ch);

	/* random jitter: due somewhere in [exp - 600, exp - 300] */
	{
		struct s3_creds_opts o = { .get = env_get, .http = fake_http };
		char err[S3_CREDS_ERRMAX];
		int first = -1;

		base_env();
		container_env();
		route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, exp1));
		s3_creds_new(&ch, &o, err, sizeof(err));
		get(ch, T0);
		for (time_t t = exp1 - 700; t <= exp1 - 250 && first < 0; t++) {
			int before = ncalls;

			get(ch, t);
			if (ncalls > before)
				first = (int)(exp1 - t);
		}
		ok(first >= S3_CREDS_REFRESH_EARLY && first <= S3_CREDS_REFRESH_EARLY + S3_CREDS_JITTER_MAX,
		   "jitter: refreshed %d s before expiry (300..600)", first);
		s3_creds_free(ch);
	}

	/* re-entry during a refresh */
	base_env();
	container_env();
	route(LOOP REL, 200, cjson(body, sizeof(body), AK1, SK1, TK1, exp1));
	ch = mk(NULL, NULL, NULL);
	reenter = ch;
	g = get(ch, T0);
	is_int(reenter_rc, S3_ERR_NOCREDS, "re-entry with nothing cached: NOCREDS, no second refresh");
	is_int(ncalls, 1, "re-entry: one call only");
	is_str(g.ak, AK1, "re-entry: the outer call succeeds");
	route(LOOP REL, 200, cjson(body, sizeof(body), AK2, SK2, TK2, exp1 + 3600));
	g = get(ch, due);
	is_int(reenter_rc, S3_OK, "re-entry with valid ones cached: OK");
	is_str(reenter_ak, AK1, "re-entry: gets the current keys");
	is_str(g.ak, AK2, "re-entry: outer call refreshed");
	is_int(ncalls, 2, "re-entry: still one call per refresh");
	reenter = NULL;
	s3_creds_free(ch);
}

/* ---- http: refusals without any network ------------------------------- */

static void test_http_refusals(void)
{
	struct s3_http_header crlf = { "X-Test", "a\r\nHost: evil" }, badname = { "X Test", "v" };
	struct s3_http_header many[S3_HTTP_MAX_HEADERS + 1];
	struct s3_http_request rq = { .method = "GET", .url = "http://127.0.0.1:9/" };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX];

	for (size_t i = 0; i < S3_HTTP_MAX_HEADERS + 1; i++)
		many[i] = (struct s3_http_header){ "X-N", "1" };
	rq.method = "PATCH";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: PATCH refused");
	rq.method = "GET";
	rq.url = "file:///etc/passwd";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: file:// refused");
	rq.url = "gopher://127.0.0.1/";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: gopher refused");
	rq.url = "http://127.0.0.1:9/a b";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: space refused");
	rq.url = "http://user@127.0.0.1:9/";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: userinfo refused");
	ok(strstr(why, "URL: expected no userinfo") != NULL, "http: and says so (%s)", why);
	rq.url = "http://127.0.0.1:0/";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: port 0 refused");
	rq.url = "http://0x7f.0.0.1:9/";
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL,
	       "http: a host curl reads as 127.0.0.1 refused");
	rq.url = "http://127.0.0.1:9/";
	rq.headers = &crlf;
	rq.nheaders = 1;
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: CRLF in a header refused");
	ok(!strstr(why, "evil"), "http: header value not echoed (%s)", why);
	rq.headers = &badname;
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL, "http: bad header name refused");
	rq.headers = many;
	rq.nheaders = S3_HTTP_MAX_HEADERS + 1;
	is_int(s3_http_curl(NULL, &rq, &rs, why, sizeof(why)), S3_ERR_INVAL,
	       "http: " S3_STR(S3_HTTP_MAX_HEADERS) " + 1 headers refused");
	ok(rs.body == NULL && rs.status == 0, "http: response empty on refusal");
	is_int(s3_http_load("libsign-s3-no-such-curl.so.4", why, sizeof(why)), S3_ERR_IO,
	       "http: a missing libcurl is S3_ERR_IO");
	ok(strstr(why, "libcurl not available") != NULL, "http: and says so (%s)", why);
	is_int(s3_http_load("libc.so.6", why, sizeof(why)), S3_ERR_IO,
	       "http: a library without curl's symbols is refused");
	ok(strstr(why, "has no curl_") != NULL, "http: naming the symbol (%s)", why);
	is_int(s3_http_load(NULL, why, sizeof(why)), S3_OK, "http: libcurl.so.4 loads (%s)", why);
	is_int(s3_http_load(NULL, why, sizeof(why)), S3_OK, "http: loading twice is fine");
	s3_http_cleanup();
	s3_http_response_free(&rs);
	s3_http_response_free(NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_clamp();
	test_json();
	test_new();
	test_env_source();
	test_precedence();
	test_nothing();
	test_profiles();
	test_process();
	test_container();
	test_imds();
	test_refresh();
	test_http_refusals();
	for (int i = 0; i < npaths; i++)
		unlink(paths[i]);
	unlink(tpath("pc_count"));
	rmdir(tpath("home/.aws"));
	rmdir(tpath("home"));
	rmdir(tmpdir);
	return done_testing();
}
