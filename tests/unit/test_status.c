/* test_status.c - the status page (cgi/stats.c, cgi/h_status.c): the
 * counters (route, class, cause, latency buckets at their edges,
 * credentials), the JSON and the Prometheus text rendered from them and
 * read back here (every Prometheus line parsed, every figure compared with
 * the JSON's), the route off (404 exactly as an unknown path, for any
 * method) and on (200, 405, 400, the Prometheus Content-Type), and the
 * shared memory of a pool: workers forked into their slots, one killed
 * with SIGKILL after its counts, all of them summed by the parent. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_env.h"
#include "handler.h"
#include "route.h"
#include "stats.h"
#include "tap.h"

static int route_index(const char *name)
{
	for (int i = 0; i < s3_route_count(); i++)
		if (!strcmp(s3_route_name(i), name))
			return i;
	return -1;
}

static double jnum(const cJSON *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o && cJSON_IsNumber(o) ? o->valuedouble : -1;
}

/* ---- the Prometheus text, read back ---------------------------------------- */

#define PROM_MAX_SAMPLES 200

struct sample {
	char name[80];
	char labels[128];
	double value;
};

static struct sample samples[PROM_MAX_SAMPLES];
static int nsamples;

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* One line of the text format: "# HELP name text", "# TYPE name type",
 * or name[{k="v",...}] value. 0 when it is one of them. */
static int parse_line(const char *l, char types[][80], int *ntypes)
{
	struct sample *s = &samples[nsamples];
	const char *p = l, *q;
	char *end;
	size_t n;

	if (!strncmp(l, "# HELP ", 7))
		return name_char(l[7], 1) ? 0 : -1;
	if (!strncmp(l, "# TYPE ", 7)) {
		const char *t;

		for (q = l + 7; name_char(*q, q == l + 7); q++)
			;
		t = q + 1;
		if (*q != ' ' || (strcmp(t, "counter") && strcmp(t, "gauge") &&
		                  strcmp(t, "histogram")))
			return -1;
		snprintf(types[(*ntypes)++], 80, "%.*s", (int)(q - (l + 7)), l + 7);
		return 0;
	}
	if (nsamples == PROM_MAX_SAMPLES || !name_char(*p, 1))
		return -1;
	for (q = p; name_char(*q, q == p); q++)
		;
	n = (size_t)(q - p);
	if (n >= sizeof s->name)
		return -1;
	memcpy(s->name, p, n);
	s->name[n] = '\0';
	s->labels[0] = '\0';
	if (*q == '{') {
		const char *e = q + 1;

		/* k="v" pairs, comma-separated */
		while (*e != '}') {
			const char *k = e;

			while (name_char(*e, e == k))
				e++;
			if (e == k || e[0] != '=' || e[1] != '"')
				return -1;
			for (e += 2; *e && *e != '"'; e++)
				if (*e == '\\' || *e == '\n')
					return -1;
			if (*e != '"')
				return -1;
			e++;
			if (*e == ',')
				e++;
			else if (*e != '}')
				return -1;
		}
		n = (size_t)(e - (q + 1));
		if (n >= sizeof s->labels)
			return -1;
		memcpy(s->labels, q + 1, n);
		s->labels[n] = '\0';
		q = e + 1;
	}
	if (*q != ' ')
		return -1;
	s->value = strtod(q + 1, &end);
	if (end == q + 1 || *end)
		return -1;
	/* every sample follows the TYPE line of its family */
	for (int i = 0; i < *ntypes; i++) {
		size_t tl = strlen(types[i]);

		if (!strncmp(s->name, types[i], tl) &&
		    (!s->name[tl] || !strcmp(s->name + tl, "_bucket") ||
		     !strcmp(s->name + tl, "_sum") || !strcmp(s->name + tl, "_count"))) {
			nsamples++;
			return 0;
		}
	}
	return -1;
}

/* Parses text; the number of bad lines (0: all good). */
static int parse_prom(const char *text, size_t len)
{
	static char types[64][80];
	int ntypes = 0, bad = 0;
	char *copy = strndup(text, len), *save = NULL;

	nsamples = 0;
	if (!copy || !len || text[len - 1] != '\n')
		bad++;
	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		if (parse_line(l, types, &ntypes)) {
			diag("bad line: %s", l);
			bad++;
		}
	free(copy);
	return bad;
}

static double prom(const char *name, const char *labels)
{
	for (int i = 0; i < nsamples; i++)
		if (!strcmp(samples[i].name, name) && !strcmp(samples[i].labels, labels ? labels : ""))
			return samples[i].value;
	return -1;
}

/* ---- tests ------------------------------------------------------------------ */

static void counters(void)
{
	struct s3_stats_snap s;
	int sign = route_index("sign_s3"), st = route_index("status");

	s3_stats_reset_process();
	s3_stats_snapshot(&s);
	ok(!s.pool && s.req[sign][0] == 0 && s.lat[0] == 0 && s.source == 0,
	   "a process's figures start empty, scope process");
	for (int i = 0; i < 7; i++)
		s3_stats_record(sign, 200, 0, 30);
	s3_stats_record(sign, 400, 0, 50);           /* the edge: le 0.00005 */
	s3_stats_record(sign, 415, 0, 51);           /* just over it */
	s3_stats_record(sign, 503, S3_ERR_NOCREDS, 1000);
	s3_stats_record(sign, 500, S3_ERR_CRYPTO, 1001);
	s3_stats_record(sign, 502, 0, 6000000);      /* over 5 s: +Inf; no cause: other */
	s3_stats_record(st, 200, 0, -5);             /* a clock going back: 0 */
	s3_stats_record(-1, 404, 0, 10);
	s3_stats_record(99, 405, 0, 10);             /* out of the table: none */
	s3_stats_record(-1, 302, 0, 10);
	s3_stats_record(sign, 400, S3_ERR_INVAL, 10);   /* a cause on a 4xx: not an error */
	s3_stats_snapshot(&s);
	is_int(s.req[sign][0], 7, "sign_s3 2xx");
	is_int(s.req[sign][2], 3, "sign_s3 4xx");
	is_int(s.req[sign][3], 3, "sign_s3 5xx");
	is_int(s.req[st][0], 1, "status 2xx");
	is_int(s.req[S3_STATS_NONE][2], 2, "none 4xx (route -1 and 99)");
	is_int(s.req[S3_STATS_NONE][1], 1, "none 3xx");
	is_int(s.err[S3_ERR_NOCREDS], 1, "cause nocreds");
	is_int(s.err[S3_ERR_CRYPTO], 1, "cause crypto");
	is_int(s.err[0], 1, "a 5xx without a cause: other");
	is_int(s.err[S3_ERR_INVAL], 0, "a 4xx's cause is not counted");
	/* buckets: 30,50,-5->0,10,10,10,10 in le 50us: 7+3 = 11 ... counted: */
	is_int(s.lat[0], 7 + 1 + 1 + 4, "le 0.00005: 7 x 30us, 50us, 0us, 4 x 10us");
	is_int(s.lat[1], 1, "le 0.0001: 51us");
	is_int(s.lat[4], 1, "le 0.001: 1000us (an edge is in its bucket)");
	is_int(s.lat[5], 1, "le 0.0025: 1001us");
	is_int(s.lat[S3_STATS_BUCKETS - 1], 1, "+Inf: 6 s");
	is_int(s.lat_sum_us, 7 * 30 + 50 + 51 + 1000 + 1001 + 6000000 + 0 + 4 * 10, "sum in us");

	s3_stats_creds("env", 0);
	s3_stats_snapshot(&s);
	ok(s.source && !strcmp(s3_stats_source_name[s.source], "env") && s.expiration == 0 &&
	   s.with_creds == 1, "credentials: env, no expiry, one worker");
	s3_stats_creds("container", 2000000000);
	s3_stats_snapshot(&s);
	ok(s.source && !strcmp(s3_stats_source_name[s.source], "container") &&
	   s.expiration == 2000000000, "credentials: container and its expiration");
	s3_stats_creds(NULL, 0);
	s3_stats_snapshot(&s);
	ok(s.source == 0 && s.with_creds == 0, "credentials: none any more");
	s3_stats_creds("imds", 1999999000);
}

/* The JSON and the Prometheus text of the figures counters() left, read
 * back and compared. */
static void rendering(void)
{
	struct s3_stats_snap s;
	time_t now = 1999998000;
	cJSON *j, *back, *b;
	char *text, *printed, l[128];
	const char *inf;
	size_t len = 0;
	int bad = 0;
	double cum = 0;

	s3_stats_snapshot(&s);
	j = s3_stats_json(&s, now);
	printed = j ? cJSON_PrintUnformatted(j) : NULL;
	back = printed ? cJSON_Parse(printed) : NULL;
	if (!ok(back != NULL, "the JSON prints and parses back"))
		return;
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(back, "scope")), "process", "scope process");
	ok(cJSON_IsNull(cJSON_GetObjectItem(back, "workers")), "workers: null outside a pool");
	is_int(jnum(back, "requests.total"), 7 + 3 + 3 + 1 + 2 + 1, "requests.total");
	is_int(jnum(back, "requests.by_class.2xx"), 8, "by_class 2xx");
	is_int(jnum(back, "requests.by_class.3xx"), 1, "by_class 3xx");
	is_int(jnum(back, "requests.by_class.4xx"), 5, "by_class 4xx");
	is_int(jnum(back, "requests.by_class.5xx"), 3, "by_class 5xx");
	is_int(jnum(back, "requests.by_route.sign_s3.total"), 13, "by_route sign_s3 total");
	is_int(jnum(back, "requests.by_route.none.4xx"), 2, "by_route none 4xx");
	is_int(jnum(back, "signing_errors.total"), 3, "signing_errors.total = the 5xx");
	is_int(jnum(back, "signing_errors.by_cause.nocreds"), 1, "by_cause nocreds");
	is_int(jnum(back, "signing_errors.by_cause.other"), 1, "by_cause other");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "credentials"),
	                                                "source")), "imds", "credentials.source");
	is_int(jnum(back, "credentials.expires_in_seconds"), 1000, "expires_in_seconds");
	is_int(jnum(back, "latency_seconds.count"), 17, "latency count = requests");
	b = cJSON_GetObjectItem(cJSON_GetObjectItem(back, "latency_seconds"), "buckets");
	inf = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(b, S3_STATS_BUCKETS - 1),
	                                               "le"));
	ok(cJSON_GetArraySize(b) == S3_STATS_BUCKETS && inf && !strcmp(inf, "+Inf") &&
	   jnum(cJSON_GetArrayItem(b, S3_STATS_BUCKETS - 1), "count") == 17,
	   "17 buckets, the last +Inf holding every request");
	for (int i = 0; i < cJSON_GetArraySize(b); i++) {
		double c = jnum(cJSON_GetArrayItem(b, i), "count");

		bad += c < cum;
		cum = c;
	}
	ok(!bad && jnum(cJSON_GetArrayItem(b, 0), "count") == 13 &&
	   jnum(cJSON_GetArrayItem(b, 0), "le") == 0.00005, "buckets are cumulative");

	text = s3_stats_prometheus(&s, now, &len);
	if (!ok(text && len == strlen(text), "the Prometheus text is built"))
		goto out;
	is_int(parse_prom(text, len), 0, "every Prometheus line is a comment or name{labels} value");
	ok(nsamples > 80, "%d samples", nsamples);
	bad = 0;
	for (int i = 0; i <= s3_route_count(); i++)
		for (int c = 0; c < S3_STATS_CLASSES; c++) {
			char path[96];

			snprintf(l, sizeof l, "route=\"%s\",class=\"%s\"", s3_route_name(i),
			         s3_stats_class_name[c]);
			snprintf(path, sizeof path, "requests.by_route.%s.%s", s3_route_name(i),
			         s3_stats_class_name[c]);
			if (prom("sign_s3_requests_total", l) != jnum(back, path)) {
				diag("%s: %g vs %g", l, prom("sign_s3_requests_total", l),
				     jnum(back, path));
				bad++;
			}
		}
	for (int e = 0; e < S3_ERR__COUNT; e++) {
		char path[96];

		snprintf(l, sizeof l, "cause=\"%s\"", s3_stats_cause_name[e]);
		snprintf(path, sizeof path, "signing_errors.by_cause.%s", s3_stats_cause_name[e]);
		bad += prom("sign_s3_signing_errors_total", l) != jnum(back, path);
	}
	for (int i = 0; i < S3_STATS_BUCKETS; i++) {
		snprintf(l, sizeof l, "le=\"%s\"", s3_stats_bucket_le[i]);
		bad += prom("sign_s3_handler_duration_seconds_bucket", l) !=
		       jnum(cJSON_GetArrayItem(b, i), "count");
	}
	ok(!bad, "every request, error and bucket figure of the Prometheus text is the JSON's");
	ok(prom("sign_s3_handler_duration_seconds_count", NULL) == 17 &&
	   prom("sign_s3_handler_duration_seconds_sum", NULL) == jnum(back, "latency_seconds.sum"),
	   "_count and _sum as the JSON's");
	ok(prom("sign_s3_info", "scope=\"process\",version=\"" SIGN_S3_VERSION "\"") == 1 &&
	   prom("sign_s3_workers", NULL) == -1, "scope process: sign_s3_info, no workers lines");
	ok(prom("sign_s3_credentials_info", "source=\"imds\"") == 1 &&
	   prom("sign_s3_credentials_expires_in_seconds", NULL) == 1000 &&
	   prom("sign_s3_credentials_workers", NULL) == 1, "credentials as the JSON's");
	ok(!strstr(text, "AKIA") && !strstr(text, "secret"), "no credential value");
	{
		static const char no_type[] = "sign_s3_x 1\n", broken[] = "# TYPE a counter\na{b=\"c\" 1\n",
		                  good[] = "# TYPE a counter\na{b=\"c\",d=\"e\"} 1.5\n";

		is_int(parse_prom(no_type, strlen(no_type)), 1, "the reader refuses a sample without TYPE");
		is_int(parse_prom(broken, strlen(broken)), 1, "... and broken labels");
		ok(parse_prom(good, strlen(good)) == 0 && prom("a", "b=\"c\",d=\"e\"") == 1.5,
		   "... and reads a good line");
	}
out:
	free(text);
	free(printed);
	cJSON_Delete(j);
	cJSON_Delete(back);
}

static void answer(struct s3_app *app, const char *method, const char *path, const char *query,
                   struct s3_response *r, int *route)
{
	struct s3_req_in in = { .method = method, .path = path, .query = query };

	s3_response_free(r);
	*route = s3_route(app, &in, 1999998000, r);
}

static void routes(void)
{
	struct s3_app app;
	struct s3_response r, u;
	char err[256] = "", head[S3_RESP_HEAD_MAX];
	int route;

	env_clear();
	env_set("S3_BUCKET", "examplebucket");
	env_set("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
	env_set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	env_set("AWS_EC2_METADATA_DISABLED", "true");
	s3_response_init(&r);
	s3_response_init(&u);
	if (!ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) == S3_OK, "app: %s", err))
		return;
	is_int(app.cfg.status_page, 0, "S3_STATUS: off by default");
	answer(&app, "GET", "/api/nothing", NULL, &u, &route);
	answer(&app, "GET", "/api/sign_s3/status", NULL, &r, &route);
	ok(r.status == 404 && r.body_len == u.body_len && !memcmp(r.body, u.body, u.body_len) &&
	   route == -1, "off: GET /api/sign_s3/status is 404, as an unknown path: %.*s",
	   (int)r.body_len, r.body);
	answer(&app, "POST", "/api/sign_s3/status", NULL, &r, &route);
	ok(r.status == 404 && !memcmp(r.body, u.body, u.body_len), "off: POST is 404 too, not 405");
	s3_app_free(&app);

	env_set("S3_STATUS", "yes");
	ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK &&
	   strstr(err, "S3_STATUS"), "S3_STATUS=yes is refused, naming it: %s", err);
	env_set("S3_STATUS", "1");
	if (!ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) == S3_OK, "S3_STATUS=1"))
		return;
	answer(&app, "GET", "/api/sign_s3/status", NULL, &r, &route);
	ok(r.status == 200 && !r.content_type && r.body_len && r.body[0] == '{' &&
	   route >= 0 && !strcmp(s3_route_name(route), "status"),
	   "on: GET is 200 JSON, route status");
	answer(&app, "GET", "/api/sign_s3/status", "format=json", &r, &route);
	ok(r.status == 200 && r.body[0] == '{', "format=json: JSON");
	answer(&app, "POST", "/api/sign_s3/status", NULL, &r, &route);
	ok(r.status == 405 && r.allow && !strcmp(r.allow, "GET"), "on: POST is 405, Allow: GET");
	answer(&app, "GET", "/api/sign_s3/status", "format=xml", &r, &route);
	ok(r.status == 400 && strstr(r.body, "format must be json or prometheus"),
	   "format=xml: 400 JSON");
	answer(&app, "GET", "/api/sign_s3/status", "format=json&format=prometheus", &r, &route);
	is_int(r.status, 400, "format twice: 400");
	answer(&app, "GET", "/api/sign_s3/status", "format=prometheus", &r, &route);
	ok(r.status == 200 && r.content_type && s3_response_head(&r, head, sizeof head) &&
	   strstr(head, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
	   strstr(head, "Cache-Control: no-store") && parse_prom(r.body, r.body_len) == 0,
	   "format=prometheus: text/plain; version=0.0.4, no-store, every line parses");
	answer(&app, "GET", "/api/sign_s3/status", NULL, &r, &route);
	ok(r.status == 200 && !r.content_type && s3_response_head(&r, head, sizeof head) &&
	   strstr(head, "Content-Type: application/json"),
	   "a JSON answer after it in the same response: application/json again");
	s3_response_free(&r);
	s3_response_free(&u);
	s3_app_free(&app);
}

/* The pool: shared memory, one slot per worker, a worker killed after its
 * counts; last (this process then counts nowhere: it is the parent). */
static void pool(void)
{
	struct s3_stats_snap s;
	char err[128] = "";
	int sign = route_index("sign_s3"), status;
	pid_t a, b;

	if (!ok(s3_stats_pool_init(2, err, sizeof err) == 0, "pool of 2: %s", err))
		return;
	s3_stats_pool_spawned(0);
	s3_stats_pool_spawned(0);
	if ((a = fork()) == 0) {
		s3_stats_pool_worker(0);
		for (int i = 0; i < 500; i++)
			s3_stats_record(sign, 200, 0, 20);
		s3_stats_creds("env", 0);
		_exit(0);
	}
	if ((b = fork()) == 0) {
		s3_stats_pool_worker(1);
		for (int i = 0; i < 300; i++)
			s3_stats_record(sign, 400, 0, 20);
		s3_stats_creds("container", 2000000000);
		raise(SIGKILL);
		_exit(1);
	}
	waitpid(a, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker 0 exited");
	waitpid(b, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "worker 1 was killed (SIGKILL)");
	s3_stats_record(sign, 200, 0, 20);      /* the parent: counted nowhere */
	s3_stats_snapshot(&s);
	ok(s.pool && s.configured == 2 && s.alive == 2 && s.respawns == 0,
	   "scope pool: 2 configured, 2 alive (the parent's count), no respawn yet");
	is_int(s.req[sign][0], 500, "worker 0's 500 requests are in the shared figures");
	is_int(s.req[sign][2], 300, "the killed worker's 300 are kept");
	is_int(s.lat[0], 800, "and their latencies");
	ok(s.with_creds == 2 && !strcmp(s3_stats_source_name[s.source], "container") &&
	   s.expiration == 2000000000, "credentials: both workers', the soonest to expire shown");
	s3_stats_pool_exited(1);
	s3_stats_pool_spawned(1);
	if ((b = fork()) == 0) {
		s3_stats_pool_worker(1);
		s3_stats_record(sign, 200, 0, 20);
		_exit(0);
	}
	waitpid(b, &status, 0);
	s3_stats_snapshot(&s);
	ok(s.alive == 2 && s.respawns == 1 && s.req[sign][0] == 501 && s.req[sign][2] == 300 &&
	   s.with_creds == 1, "a respawned worker counts on in the same slot; its "
	   "predecessor's credentials are forgotten");
}

int main(void)
{
	counters();
	rendering();
	routes();
	pool();
	return done_testing();
}
