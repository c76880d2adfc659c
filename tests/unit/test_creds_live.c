/* test_creds_live.c - the credential chain against a real server, over the
 * real libcurl client: tests/lib/fake_metadata.py on 127.0.0.1.
 *
 * Run by tests/creds_chain.py, which starts the fake and passes its address
 * in FAKE_METADATA (http://127.0.0.1:PORT). Without it (make test runs
 * every tests/unit/test_*.c binary with no arguments) this prints
 * "1..0 # SKIP". Any other address is refused: this test only ever talks
 * to loopback, and every metadata endpoint override is set to the fake.
 *
 * Covered: IMDSv2 and container credentials end to end (the headers the
 * fake received), container authorization, precedence with real failures,
 * a hanging server (fails within the 3 s budget), a server trickling its
 * body, connection refused, every malformed answer (500, bad JSON, missing
 * fields, 100 KiB body, redirect not followed, expired, Code Failure),
 * answers that expire soon (URL lifetime clamped, refreshed), refresh
 * before expiry and a failed refresh keeping the old keys (clock moved by
 * hand over the real server), and proxies in the environment ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "creds.h"
#include "http.h"
#include "fake_env.h"     /* env_set, env_get, env_clear */
#include "tap.h"

#define JITTER 60
#define WHY    S3_CREDS_WHY_MAX

static char base[128];
static char home[] = "/tmp/test_creds_live.XXXXXX";

/* Nothing but the fake: both metadata endpoints overridden to it, no
 * files (HOME an empty directory). */
static void base_env(int imds, int container)
{
	env_clear();
	env_set("HOME", home);
	env_set("AWS_EC2_METADATA_SERVICE_ENDPOINT", base);
	env_set("S3_CONTAINER_ENDPOINT", base);
	if (!imds)
		env_set("AWS_EC2_METADATA_DISABLED", "true");
	if (container)
		env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1");
}

/* ---- talking to the fake ---------------------------------------------- */

static int ctl(const char *query)
{
	char url[512], why[S3_HTTP_WHY_MAX];
	struct s3_http_request rq = { .method = "PUT", .url = url };
	struct s3_http_response rs;
	enum s3_err e;
	long st;

	snprintf(url, sizeof(url), "%s/_control?%s", base, query);
	e = s3_http_curl(NULL, &rq, &rs, why, sizeof(why));
	st = rs.status;
	s3_http_response_free(&rs);
	if (e || st != 200) {
		diag("control %s: %s (HTTP %ld)", query, e ? why : "", st);
		return -1;
	}
	return 0;
}

/* The fake's state: the last keys it handed out, hits, requests. */
static cJSON *fake_state(void)
{
	char url[512], why[S3_HTTP_WHY_MAX];
	struct s3_http_request rq = { .method = "GET", .url = url };
	struct s3_http_response rs;
	cJSON *j = NULL;

	snprintf(url, sizeof(url), "%s/_control", base);
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof(why)) == S3_OK && rs.status == 200)
		j = cJSON_Parse(rs.body);
	s3_http_response_free(&rs);
	return j;
}

static const char *jstr(const cJSON *j, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static int hits(const cJSON *j, const char *path)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "hits"), path);

	return cJSON_IsNumber(x) ? x->valueint : 0;
}

/* ---- getting credentials ----------------------------------------------- */

struct got {
	enum s3_err rc;
	char ak[SIGV4_MAX_ACCESS_KEY + 1];
	char sk[SIGV4_MAX_SECRET + 1];
	char tk[SIGV4_MAX_TOKEN + 1];
	time_t exp;
	const char *source;
	char why[WHY];
	double secs;               /* how long the call took */
};

static struct s3_creds_chain *mk(void)
{
	struct s3_creds_opts o = { .get = env_get, .fixed_jitter = 1, .jitter = JITTER };
	struct s3_creds_chain *ch = NULL;
	char err[S3_CREDS_ERRMAX];

	if (s3_creds_new(&ch, &o, err, sizeof(err)))
		diag("s3_creds_new: %s", err);
	return ch;
}

static struct got get(struct s3_creds_chain *ch, time_t now)
{
	struct timespec a, b;
	struct s3_creds c;
	struct got g;

	memset(&g, 0, sizeof(g));
	clock_gettime(CLOCK_MONOTONIC, &a);
	g.rc = s3_creds_get(ch, now, &c, &g.exp, g.why, sizeof(g.why));
	clock_gettime(CLOCK_MONOTONIC, &b);
	g.secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	snprintf(g.ak, sizeof(g.ak), "%s", c.access_key ? c.access_key : "");
	snprintf(g.sk, sizeof(g.sk), "%s", c.secret_key ? c.secret_key : "");
	snprintf(g.tk, sizeof(g.tk), "%s", c.session_token ? c.session_token : "");
	g.source = s3_creds_source(ch);
	return g;
}

/* One get from a fresh chain. */
static struct got get_once(void)
{
	struct s3_creds_chain *ch = mk();
	struct got g = get(ch, time(NULL));

	s3_creds_free(ch);
	return g;
}

/* g holds exactly the keys the fake handed out last. */
static int same_as_fake(const struct got *g)
{
	cJSON *s = fake_state();
	const char *ak = jstr(s, "creds", "AccessKeyId"), *sk = jstr(s, "creds", "SecretAccessKey");
	const char *tk = jstr(s, "creds", "Token");
	int same = ak && sk && tk && !strcmp(ak, g->ak) && !strcmp(sk, g->sk) && !strcmp(tk, g->tk);

	cJSON_Delete(s);
	return same;
}

/* No secret of the fake's in why. */
static int clean(const struct got *g)
{
	cJSON *s = fake_state();
	const char *sk = jstr(s, "creds", "SecretAccessKey"), *tk = jstr(s, "creds", "Token");
	int c = (!sk || !strstr(g->why, sk)) && (!tk || !strstr(g->why, tk)) &&
	        !strstr(g->why, "fake/Secret") && !strstr(g->why, "fake+token");

	cJSON_Delete(s);
	return c;
}

/* ---- cases ------------------------------------------------------------- */

static void test_imds(void)
{
	struct got g;
	cJSON *s, *reqs;
	time_t now = time(NULL);
	int n = 0, ttl_ok = 0, tok_ok = 0, no_xff = 1, ua_ok = 0;

	ctl("reset=1");
	base_env(1, 0);
	g = get_once();
	is_int(g.rc, S3_OK, "imds: credentials (%s)", g.why);
	is_str(g.source, "imds", "imds: source");
	ok(same_as_fake(&g), "imds: exactly the keys the server handed out");
	ok(strlen(g.tk) > 300, "imds: with the session token");
	ok(g.exp >= now + 3590 && g.exp <= now + 3610, "imds: expiration now + 3600 (%lld)",
	   (long long)(g.exp - now));

	s = fake_state();
	reqs = cJSON_GetObjectItemCaseSensitive(s, "requests");
	for (cJSON *r = reqs ? reqs->child : NULL; r; r = r->next) {
		const char *m = jstr(r, "method", NULL), *p = jstr(r, "path", NULL);
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "headers");
		const char *ttl = jstr(h, "X-aws-ec2-metadata-token-ttl-seconds", NULL);
		const char *tok = jstr(h, "X-aws-ec2-metadata-token", NULL);
		const char *ua = jstr(h, "User-Agent", NULL);

		if (!p || !strncmp(p, "/_control", 9))
			continue;
		n++;
		if (m && !strcmp(m, "PUT") && ttl && !strcmp(ttl, "21600"))
			ttl_ok++;
		if (m && !strcmp(m, "GET") && tok && !strncmp(tok, "AQAEA", 5))
			tok_ok++;
		if (jstr(h, "X-Forwarded-For", NULL) || jstr(h, "Via", NULL))
			no_xff = 0;
		if (ua && !strncmp(ua, "sign_s3/", 8))
			ua_ok++;
	}
	is_int(n, 3, "imds: three requests");
	is_int(ttl_ok, 1, "imds: PUT token with TTL 21600");
	is_int(tok_ok, 2, "imds: both GETs carry the session token");
	ok(no_xff, "imds: no proxy headers");
	is_int(ua_ok, 3, "imds: User-Agent sign_s3/VERSION");
	cJSON_Delete(s);

	ctl("reset=1&role=");
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "imds: no IAM role attached"),
	   "imds: no role (%s)", g.why);
}

static void test_container(void)
{
	char tokfile[256];
	struct got g;
	FILE *f;

	ctl("reset=1&auth_token=Bearer%20sekrit-auth");
	base_env(0, 1);
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer sekrit-auth");
	g = get_once();
	is_int(g.rc, S3_OK, "container: credentials with the authorization token (%s)", g.why);
	is_str(g.source, "container", "container: source");
	ok(same_as_fake(&g), "container: exactly the keys the server handed out");

	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong");
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "container: HTTP 401"),
	   "container: wrong token -> 401 (%s)", g.why);
	ok(!strstr(g.why, "sekrit") && !strstr(g.why, "wrong"), "container: token never in why");

	/* full URI and a token file */
	snprintf(tokfile, sizeof(tokfile), "%s/token", home);
	f = fopen(tokfile, "w");
	if (f) {
		fputs("Bearer sekrit-auth\n", f);
		fclose(f);
	}
	base_env(0, 0);
	{
		char full[256];

		snprintf(full, sizeof(full), "%s/creds", base);
		env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI", full);
	}
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile);
	env_set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong");
	g = get_once();
	is_int(g.rc, S3_OK, "container: full URI on loopback, token file (%s)", g.why);
	ok(same_as_fake(&g), "container: full URI: the server's keys");
	unlink(tokfile);
}

static void test_precedence(void)
{
	struct got g;
	cJSON *s;

	ctl("reset=1");
	base_env(1, 1);
	g = get_once();
	is_str(g.source, "container", "precedence: container before imds");
	s = fake_state();
	is_int(hits(s, "/latest/api/token"), 0, "precedence: imds not asked");
	cJSON_Delete(s);

	ctl("reset=1&mode=fail&where=container");
	g = get_once();
	is_str(g.source, "imds", "precedence: container failing -> imds (%s)", g.why);
	is_str(g.why, "", "precedence: why empty when imds yields");
}

/* A request to a server that does not answer fails within the budget. */
static void test_timeouts(void)
{
	struct got g;

	ctl("reset=1&mode=slow&where=token&slow_seconds=6");
	base_env(1, 0);
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "imds: token: timed out"),
	   "slow imds token: timed out (%s)", g.why);
	ok(g.secs >= 2.5 && g.secs < 3.6, "slow imds token: failed after ~3 s (%.2f s)", g.secs);

	ctl("reset=1&mode=slow&where=creds&slow_seconds=6");
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "imds: credentials: timed out"),
	   "slow imds credentials: timed out (%s)", g.why);
	ok(g.secs < 3.6, "slow imds credentials: the three calls share 3 s (%.2f s)", g.secs);

	ctl("reset=1&mode=slow&where=container&slow_seconds=6");
	base_env(0, 1);
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "container: timed out"),
	   "slow container: timed out (%s)", g.why);
	ok(g.secs >= 2.5 && g.secs < 3.6, "slow container: failed after ~3 s (%.2f s)", g.secs);

	ctl("reset=1&mode=trickle&where=container");
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "container: timed out"),
	   "trickling body: whole-call timeout (%s)", g.why);
	ok(g.secs < 3.6, "trickling body: failed within 3 s (%.2f s)", g.secs);

	/* nothing listening */
	ctl("reset=1");
	base_env(0, 1);
	env_set("S3_CONTAINER_ENDPOINT", "http://127.0.0.1:1");
	g = get_once();
	ok(g.rc == S3_ERR_NOCREDS && strstr(g.why, "container: Couldn't connect"),
	   "connection refused (%s)", g.why);
	ok(g.secs < 1.5, "connection refused: at once (%.2f s)", g.secs);
}

static void test_malformed(void)
{
	static const struct { const char *q; const char *why; } cases[] = {
		{ "mode=fail", "container: HTTP 500" },
		{ "mode=badjson", "container: bad answer: answer is not JSON" },
		{ "mode=missing", "container: bad answer: no SecretAccessKey" },
		{ "mode=big", "container: answer larger than 65536 bytes" },
		{ "mode=redirect", "container: HTTP 302" },
		{ "mode=expired", "container: container credentials expired at" },
		{ "mode=ok&expires_in=30", "container: container credentials expire too soon" },
	};
	static const struct { const char *q; const char *why; } imds[] = {
		{ "mode=fail&where=token", "imds: token: HTTP 500" },
		{ "mode=fail&where=role", "imds: role: HTTP 500" },
		{ "mode=code", "imds: bad answer: Code is not \"Success\"" },
		{ "mode=missing", "imds: bad answer: no SecretAccessKey" },
		{ "mode=big&where=role", "imds: role: answer larger than 65536 bytes" },
		{ "mode=redirect&where=token", "imds: token: HTTP 302" },
	};
	char q[256];
	struct got g;
	cJSON *s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(q, sizeof(q), "reset=1&%s", cases[i].q);
		ctl(q);
		base_env(0, 1);
		g = get_once();
		is_int(g.rc, S3_ERR_NOCREDS, "container %s: refused", cases[i].q);
		ok(strstr(g.why, cases[i].why) != NULL, "container %s: '%s' (%s)", cases[i].q,
		   cases[i].why, g.why);
		ok(clean(&g), "container %s: no secret in why", cases[i].q);
		if (strstr(cases[i].q, "redirect")) {
			s = fake_state();
			is_int(hits(s, "/elsewhere"), 0, "container redirect: not followed");
			cJSON_Delete(s);
		}
	}
	for (size_t i = 0; i < sizeof(imds) / sizeof(imds[0]); i++) {
		snprintf(q, sizeof(q), "reset=1&%s", imds[i].q);
		ctl(q);
		base_env(1, 0);
		g = get_once();
		is_int(g.rc, S3_ERR_NOCREDS, "imds %s: refused", imds[i].q);
		ok(strstr(g.why, imds[i].why) != NULL, "imds %s: '%s' (%s)", imds[i].q, imds[i].why,
		   g.why);
		ok(clean(&g), "imds %s: no secret in why", imds[i].q);
	}
	s = fake_state();
	is_int(hits(s, "/elsewhere"), 0, "imds redirect: not followed");
	cJSON_Delete(s);
}

/* Refresh with the real server; the clock is moved by hand. */
static void test_refresh(void)
{
	struct s3_creds_chain *ch;
	struct got g1, g2, g3;
	time_t now = time(NULL), due, slack;

	/* expiring soon: used, the URL lifetime clamped, refreshed */
	ctl("reset=1&expires_in=200&rotate=1");
	base_env(1, 0);
	ch = mk();
	g1 = get(ch, now);
	/* the fake dates the expiration by its own clock, a second or two
	 * after now on a loaded machine (and rounds to whole seconds) */
	slack = time(NULL) - now + 1;
	is_int(g1.rc, S3_OK, "expires soon: used (%s)", g1.why);
	ok(g1.exp - now <= 200 + slack && g1.exp - now >= 190,
	   "expires soon: expiration told (%lld s, slack %lld)", (long long)(g1.exp - now),
	   (long long)slack);
	ok(s3_creds_clamp_expires(3600, now, g1.exp) <= 200 + slack,
	   "expires soon: URL lifetime clamped");
	g2 = get(ch, now + 1);
	is_str(g2.ak, g1.ak, "expires soon: not asked again at once");
	g3 = get(ch, now + S3_CREDS_RETRY_VALID);
	is_int(g3.rc, S3_OK, "expires soon: asked again after RETRY_VALID");
	ok(strcmp(g3.ak, g1.ak) != 0, "expires soon: new keys (rotation visible)");
	ok(same_as_fake(&g3), "expires soon: the server's latest keys");
	s3_creds_free(ch);

	/* refresh before expiry; a failed refresh keeps the old keys */
	ctl("reset=1&expires_in=3600&rotate=1");
	ch = mk();
	g1 = get(ch, now);
	due = s3_creds_refresh_at(g1.exp, JITTER);
	g2 = get(ch, due - 1);
	is_str(g2.ak, g1.ak, "refresh: cached until due");
	g2 = get(ch, due);
	ok(g2.rc == S3_OK && strcmp(g2.ak, g1.ak), "refresh: new keys when due (%s)", g2.why);
	ctl("mode=fail");
	/* the server's expirations follow the real clock, so g2's is about
	 * g1's and its refresh is due already: past the pause after the last
	 * attempt, the next get tries again */
	if (s3_creds_refresh_at(g2.exp, JITTER) > due + S3_CREDS_RETRY_VALID)
		due = s3_creds_refresh_at(g2.exp, JITTER);
	else
		due += S3_CREDS_RETRY_VALID;
	g3 = get(ch, due);
	is_int(g3.rc, S3_OK, "failed refresh: still served");
	is_str(g3.ak, g2.ak, "failed refresh: the old keys");
	ok(strstr(g3.why, "refresh failed") && strstr(g3.why, "imds: credentials: HTTP 500"),
	   "failed refresh: said (%s)", g3.why);
	g3 = get(ch, g2.exp - S3_CREDS_MIN_VALID);
	ok(g3.rc == S3_ERR_NOCREDS, "failed refresh: nothing once they are about to expire");
	s3_creds_free(ch);
}

int main(void)
{
	const char *fm = getenv("FAKE_METADATA");

	if (!fm || !*fm) {
		printf("1..0 # SKIP FAKE_METADATA not set (run by tests/creds_chain.py)\n");
		return 0;
	}
	if (strncmp(fm, "http://127.0.0.1:", 17) || strlen(fm) >= sizeof(base)) {
		printf("Bail out! FAKE_METADATA must be http://127.0.0.1:PORT\n");
		return 1;
	}
	snprintf(base, sizeof(base), "%s", fm);
	if (!mkdtemp(home)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	/* a proxy in the environment must change nothing: metadata requests
	 * go direct (and this one would refuse every connection) */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
	setenv("https_proxy", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	setenv("all_proxy", "http://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	if (ctl("reset=1")) {
		printf("Bail out! the fake metadata service at %s does not answer\n", base);
		return 1;
	}
	test_imds();
	test_container();
	test_precedence();
	test_timeouts();
	test_malformed();
	test_refresh();
	ctl("reset=1");
	s3_http_cleanup();
	rmdir(home);
	return done_testing();
}
