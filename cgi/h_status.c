/* h_status.c - GET /api/sign_s3/status[?format=json|prometheus]: the
 * status page (route.h; there only with S3_STATUS=1), its figures from
 * stats.h. JSON by default:
 *   {"scope":"pool", "pid":N, "uptime_seconds":N,
 *    "workers":{"configured":N,"alive":N,"respawns":N},     (null: scope process)
 *    "requests":{"total":N, "by_class":{"2xx":N,"3xx":N,"4xx":N,"5xx":N},
 *                "by_route":{"sign_s3":{"total":N,"2xx":N,...}, ..., "none":{...}}},
 *    "signing_errors":{"total":N, "by_cause":{"other":N,"nomem":N,...}},
 *    "credentials":{"source":"env"|null, "expires_in_seconds":N|null,
 *                   "workers_with_credentials":N},
 *    "latency_seconds":{"buckets":[{"le":0.00005,"count":N},...,{"le":"+Inf","count":N}],
 *                       "sum":X, "count":N}}
 * (buckets cumulative, as Prometheus's); with format=prometheus the same
 * figures in the text exposition format 0.0.4 (README: Status page).
 * Any other format is 400. The answer is never cached (Cache-Control:
 * no-store, as every answer). */
#include "handler.h"
#include "route.h"
#include "sbuf.h"
#include "stats.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_FORMAT_MAX 16     /* bytes of ?format= */
#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- JSON ------------------------------------------------------------------ */

static uint64_t route_total(const struct s3_stats_snap *s, int r)
{
	uint64_t t = 0;

	for (int c = 0; c < S3_STATS_CLASSES; c++)
		t += s->req[r][c];
	return t;
}

/* The rows the page shows: every route of the table, then "none". */
static int row_of(int i)
{
	return i < s3_route_count() ? i : S3_STATS_NONE;
}

static int add_classes(cJSON *o, const uint64_t *by_class, uint64_t total)
{
	if (!cJSON_AddNumberToObject(o, "total", (double)total))
		return -1;
	for (int c = 0; c < S3_STATS_CLASSES; c++)
		if (!cJSON_AddNumberToObject(o, s3_stats_class_name[c], (double)by_class[c]))
			return -1;
	return 0;
}

static int json_requests(cJSON *root, const struct s3_stats_snap *s)
{
	uint64_t cls[S3_STATS_CLASSES] = { 0 }, total = 0;
	cJSON *req, *by, *routes;

	for (int i = 0; i <= s3_route_count(); i++)
		for (int c = 0; c < S3_STATS_CLASSES; c++) {
			cls[c] += s->req[row_of(i)][c];
			total += s->req[row_of(i)][c];
		}
	if (!(req = cJSON_AddObjectToObject(root, "requests")) ||
	    !cJSON_AddNumberToObject(req, "total", (double)total) ||
	    !(by = cJSON_AddObjectToObject(req, "by_class")) ||
	    !(routes = cJSON_AddObjectToObject(req, "by_route")))
		return -1;
	for (int c = 0; c < S3_STATS_CLASSES; c++)
		if (!cJSON_AddNumberToObject(by, s3_stats_class_name[c], (double)cls[c]))
			return -1;
	for (int i = 0; i <= s3_route_count(); i++) {
		cJSON *o = cJSON_AddObjectToObject(routes, s3_route_name(i));

		if (!o || add_classes(o, s->req[row_of(i)], route_total(s, row_of(i))))
			return -1;
	}
	return 0;
}

static int json_errors(cJSON *root, const struct s3_stats_snap *s)
{
	uint64_t total = 0;
	cJSON *o, *by;

	for (int e = 0; e < S3_ERR__COUNT; e++)
		total += s->err[e];
	if (!(o = cJSON_AddObjectToObject(root, "signing_errors")) ||
	    !cJSON_AddNumberToObject(o, "total", (double)total) ||
	    !(by = cJSON_AddObjectToObject(o, "by_cause")))
		return -1;
	for (int e = 0; e < S3_ERR__COUNT; e++)
		if (!cJSON_AddNumberToObject(by, s3_stats_cause_name[e], (double)s->err[e]))
			return -1;
	return 0;
}

static int json_creds(cJSON *root, const struct s3_stats_snap *s, time_t now)
{
	cJSON *o = cJSON_AddObjectToObject(root, "credentials");

	if (!o)
		return -1;
	if (s->source ? !cJSON_AddStringToObject(o, "source", s3_stats_source_name[s->source])
	              : !cJSON_AddNullToObject(o, "source"))
		return -1;
	if (s->source && s->expiration
	    ? !cJSON_AddNumberToObject(o, "expires_in_seconds", (double)(s->expiration - now))
	    : !cJSON_AddNullToObject(o, "expires_in_seconds"))
		return -1;
	return cJSON_AddNumberToObject(o, "workers_with_credentials", s->with_creds) ? 0 : -1;
}

static int json_latency(cJSON *root, const struct s3_stats_snap *s)
{
	cJSON *o, *b;
	uint64_t cum = 0;

	if (!(o = cJSON_AddObjectToObject(root, "latency_seconds")) ||
	    !(b = cJSON_AddArrayToObject(o, "buckets")))
		return -1;
	for (int i = 0; i < S3_STATS_BUCKETS; i++) {
		cJSON *e = cJSON_CreateObject();

		cum += s->lat[i];
		if (!e || !cJSON_AddItemToArray(b, e))
			return cJSON_Delete(e), -1;
		if ((i < S3_STATS_BUCKETS - 1
		     ? !cJSON_AddNumberToObject(e, "le", (double)s3_stats_bucket_us[i] / 1e6)
		     : !cJSON_AddStringToObject(e, "le", "+Inf")) ||
		    !cJSON_AddNumberToObject(e, "count", (double)cum))
			return -1;
	}
	if (!cJSON_AddNumberToObject(o, "sum", (double)s->lat_sum_us / 1e6) ||
	    !cJSON_AddNumberToObject(o, "count", (double)cum))
		return -1;
	return 0;
}

cJSON *s3_stats_json(const struct s3_stats_snap *s, time_t now)
{
	cJSON *root = cJSON_CreateObject(), *w;

	if (!root ||
	    !cJSON_AddStringToObject(root, "scope", s->pool ? "pool" : "process") ||
	    !cJSON_AddNumberToObject(root, "pid", (double)s->pid) ||
	    !cJSON_AddNumberToObject(root, "uptime_seconds", (double)s->uptime_s))
		goto fail;
	if (!s->pool) {
		if (!cJSON_AddNullToObject(root, "workers"))
			goto fail;
	} else if (!(w = cJSON_AddObjectToObject(root, "workers")) ||
	           !cJSON_AddNumberToObject(w, "configured", s->configured) ||
	           !cJSON_AddNumberToObject(w, "alive", s->alive) ||
	           !cJSON_AddNumberToObject(w, "respawns", (double)s->respawns)) {
		goto fail;
	}
	if (json_requests(root, s) || json_errors(root, s) || json_creds(root, s, now) ||
	    json_latency(root, s))
		goto fail;
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

/* ---- Prometheus text --------------------------------------------------------- */

/* "# HELP name help\n# TYPE name type\n" */
static void meta(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sbuf_adds(b, "# HELP ");
	sbuf_adds(b, name);
	sbuf_addc(b, ' ');
	sbuf_adds(b, help);
	sbuf_adds(b, "\n# TYPE ");
	sbuf_adds(b, name);
	sbuf_addc(b, ' ');
	sbuf_adds(b, type);
	sbuf_addc(b, '\n');
}

/* "name{labels} value\n"; labels may be NULL. */
static void sample(struct sbuf *b, const char *name, const char *labels, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof num, " %" PRIu64 "\n", v);
	sbuf_adds(b, name);
	if (labels) {
		sbuf_addc(b, '{');
		sbuf_adds(b, labels);
		sbuf_addc(b, '}');
	}
	sbuf_adds(b, num);
}

static void prom_requests(struct sbuf *b, const struct s3_stats_snap *s)
{
	char l[96];

	meta(b, "sign_s3_requests_total", "counter",
	     "Requests answered, by route (none: no route's handler ran) and status class.");
	for (int i = 0; i <= s3_route_count(); i++)
		for (int c = 0; c < S3_STATS_CLASSES; c++) {
			snprintf(l, sizeof l, "route=\"%s\",class=\"%s\"", s3_route_name(i),
			         s3_stats_class_name[c]);
			sample(b, "sign_s3_requests_total", l, s->req[row_of(i)][c]);
		}
	meta(b, "sign_s3_signing_errors_total", "counter",
	     "5xx answers by cause (the s3_err of the failure; other: none named).");
	for (int e = 0; e < S3_ERR__COUNT; e++) {
		snprintf(l, sizeof l, "cause=\"%s\"", s3_stats_cause_name[e]);
		sample(b, "sign_s3_signing_errors_total", l, s->err[e]);
	}
}

static void prom_latency(struct sbuf *b, const struct s3_stats_snap *s)
{
	char l[32], sum[96];
	uint64_t cum = 0;

	meta(b, "sign_s3_handler_duration_seconds", "histogram",
	     "Time from the decoded request to the answer built (sign_s3's own).");
	for (int i = 0; i < S3_STATS_BUCKETS; i++) {
		cum += s->lat[i];
		snprintf(l, sizeof l, "le=\"%s\"", s3_stats_bucket_le[i]);
		sample(b, "sign_s3_handler_duration_seconds_bucket", l, cum);
	}
	snprintf(sum, sizeof sum, "sign_s3_handler_duration_seconds_sum %" PRIu64 ".%06" PRIu64 "\n",
	         s->lat_sum_us / 1000000, s->lat_sum_us % 1000000);
	sbuf_adds(b, sum);
	sample(b, "sign_s3_handler_duration_seconds_count", NULL, cum);
}

char *s3_stats_prometheus(const struct s3_stats_snap *s, time_t now, size_t *len)
{
	char *buf = malloc(S3_STATS_TEXT_MAX), l[64];
	struct sbuf b;

	if (!buf)
		return NULL;
	sbuf_init(&b, buf, S3_STATS_TEXT_MAX);
	meta(&b, "sign_s3_info", "gauge",
	     "Always 1; scope pool: every --listen worker, process: this process only.");
	snprintf(l, sizeof l, "scope=\"%s\",version=\"%s\"", s->pool ? "pool" : "process",
	         SIGN_S3_VERSION);
	sample(&b, "sign_s3_info", l, 1);
	meta(&b, "sign_s3_uptime_seconds", "gauge",
	     "Seconds since the pool (scope process: this process) started.");
	sample(&b, "sign_s3_uptime_seconds", NULL, (uint64_t)s->uptime_s);
	if (s->pool) {
		meta(&b, "sign_s3_workers", "gauge", "Workers configured (--workers).");
		sample(&b, "sign_s3_workers", NULL, s->configured);
		meta(&b, "sign_s3_workers_alive", "gauge", "Workers running now.");
		sample(&b, "sign_s3_workers_alive", NULL, s->alive);
		meta(&b, "sign_s3_worker_respawns_total", "counter",
		     "Workers the parent started again after one exited.");
		sample(&b, "sign_s3_worker_respawns_total", NULL, s->respawns);
	}
	prom_requests(&b, s);
	meta(&b, "sign_s3_credentials_workers", "gauge",
	     "Workers whose credential cache holds credentials.");
	sample(&b, "sign_s3_credentials_workers", NULL, s->with_creds);
	if (s->source) {
		meta(&b, "sign_s3_credentials_info", "gauge",
		     "Always 1; source: where the credentials came from.");
		snprintf(l, sizeof l, "source=\"%s\"", s3_stats_source_name[s->source]);
		sample(&b, "sign_s3_credentials_info", l, 1);
	}
	if (s->source && s->expiration) {
		char v[64];

		meta(&b, "sign_s3_credentials_expires_in_seconds", "gauge",
		     "Seconds until the soonest credentials of a worker expire.");
		snprintf(v, sizeof v, "sign_s3_credentials_expires_in_seconds %lld\n",
		         (long long)(s->expiration - now));
		sbuf_adds(&b, v);
	}
	prom_latency(&b, s);
	if (!sbuf_ok(&b)) {
		free(buf);
		return NULL;
	}
	*len = b.len;
	return buf;
}

/* ---- the route ------------------------------------------------------------------- */

void h_status(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out)
{
	static const struct s3_field_spec spec[] = { { "format", STATUS_FORMAT_MAX, S3_IN_QUERY } };
	struct s3_req_values v;
	struct s3_stats_snap snap;
	enum s3_req_status st;
	char msg[128];
	int prom = 0;

	(void)app, (void)a;
	st = s3_req_decode(in, spec, 1, &v, msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_req_values_free(&v);
		s3_response_error(out, s3_req_status_http(st), msg);
		return;
	}
	if (v.v[0].s && !strcmp(v.v[0].s, "prometheus")) {
		prom = 1;
	} else if (v.v[0].s && strcmp(v.v[0].s, "json")) {
		s3_req_values_free(&v);
		s3_response_error(out, 400, "format must be json or prometheus");
		return;
	}
	s3_req_values_free(&v);
	s3_stats_snapshot(&snap);
	if (prom) {
		size_t len = 0;
		char *text = s3_stats_prometheus(&snap, now, &len);

		s3_response_body(out, 200, PROM_TYPE, text, len);
	} else {
		cJSON *root = s3_stats_json(&snap, now);

		if (root)
			s3_response_json(out, 200, root);
		else
			s3_internal(out, 500, S3_MSG_INTERNAL, "status page", S3_ERR_NOMEM);
		cJSON_Delete(root);
	}
}
