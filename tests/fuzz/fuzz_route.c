/* fuzz_route.c - one request through the router (cgi/route.h) and every
 * handler behind it, with the S3 client's transport replaced by an answer
 * the input also chooses, the UUID and the clock pinned.
 * Opt-in (as fuzz_handler): tests/fuzz/run.sh 60 fuzz_route.
 *
 * Input: byte 0: bits 0-1 the method (GET, POST, DELETE, PUT); bit 2 the
 * configuration (0 plain; 1 S3_REQUIRE_USER=1 with users/{user}/ and
 * S3_MAX_FILE_SIZE, REMOTE_USER "alice"); bits 3-4 the transport (0 a
 * transport failure, 1 status 200, 2 status 404, 3 status 503); then lines:
 * the path, the query, S3's answer body (the transport's), and the rest
 * is the request body (JSON).
 * Checks: never a 500 for a client's request; the status is one the
 * routes answer; the body is JSON (an object, or a list parts' array),
 * its length body_len; an error has the {statusCode, error, message}
 * shape with printable ASCII; nothing was sent to S3 for a 401, 403, 404
 * of the router, 405 or 413 of the body; the CGI head is well formed. */
#include <cJSON.h>
#include "fuzz_util.h"
#include "route.h"

#define UUID "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b"
#define NCONF 2

static struct s3_app apps[NCONF];

#define KEYS "AWS_ACCESS_KEY_ID", "AKIAFUZZ", "AWS_SECRET_ACCESS_KEY", "fuzzSECRET/+="
#define NOMORE "S3_CREDENTIALS", "env", "AWS_EC2_METADATA_DISABLED", "true"

static const char *const conf[NCONF][24] = {
	{ "S3_BUCKET", "fuzz-bucket", "S3_ENDPOINT", "http://127.0.0.1:9", KEYS, NOMORE,
	  "S3_METADATA_FIELDS", "caption,name", NULL },
	{ "S3_BUCKET", "fuzz-bucket", "S3_ENDPOINT", "http://127.0.0.1:9", KEYS, NOMORE,
	  "S3_REQUIRE_USER", "1", "S3_KEY_PREFIX", "users/{user}/",
	  "S3_MAX_FILE_SIZE", "10485760", "S3_SIMPLE_UPLOAD", "post", NULL },
};

static const char *fake_get(void *ctx, const char *name)
{
	int k = (int)(intptr_t)ctx;

	for (int i = 0; conf[k][i]; i += 2)
		if (!strcmp(conf[k][i], name))
			return conf[k][i + 1];
	return NULL;
}

static enum s3_err pinned_uuid(char out[37])
{
	memcpy(out, UUID, 37);
	return S3_OK;
}

/* The transport: one answer for every request. */
static long answer_status;
static const char *answer_body;
static size_t answer_len, sent;

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t whycap)
{
	(void)ctx, (void)rq;
	memset(rs, 0, sizeof *rs);
	sent++;
	if (!answer_status) {
		snprintf(why, whycap, "connection refused");
		return S3_ERR_IO;
	}
	rs->status = answer_status;
	rs->body = malloc(answer_len + 1);
	CHECK(rs->body != NULL, "oom");
	memcpy(rs->body, answer_body, answer_len);
	rs->body[answer_len] = '\0';
	rs->len = answer_len;
	return S3_OK;
}

static void no_sleep(unsigned ms)
{
	(void)ms;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[S3_CONFIG_ERRMAX];

	(void)argc, (void)argv;
	for (int k = 0; k < NCONF; k++) {
		if (s3_app_init(&apps[k], fake_get, (void *)(intptr_t)k, 1, err, sizeof err) != S3_OK) {
			fprintf(stderr, "fuzz_route: configuration %d: %s\n", k, err);
			abort();
		}
		apps[k].uuid = pinned_uuid;
		apps[k].s3_http = fake_http;
		apps[k].s3_sleep_ms = no_sleep;
	}
	return 0;
}

static const char *take_line(const uint8_t **d, size_t *n, char **keep)
{
	const uint8_t *nl = memchr(*d, '\n', *n);
	size_t len = nl ? (size_t)(nl - *d) : *n;

	*keep = fuzz_strndup(*d, len);
	*d += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return *keep;
}

static const char *const methods[4] = { "GET", "POST", "DELETE", "PUT" };
static const long statuses[4] = { 0, 200, 404, 503 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_req_in in;
	struct s3_response r;
	char head[S3_RESP_HEAD_MAX], want_cl[40];
	char *path = NULL, *query = NULL, *s3body = NULL, *body;
	unsigned sel;
	struct s3_app *app;
	cJSON *o;
	size_t hl;
	int k;

	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	k = (sel >> 2) & 1;
	app = &apps[k];
	answer_status = statuses[(sel >> 3) & 3];
	memset(&in, 0, sizeof in);
	in.method = methods[sel & 3];
	in.path = take_line(&data, &size, &path);
	in.query = take_line(&data, &size, &query);
	take_line(&data, &size, &s3body);
	answer_body = s3body;
	answer_len = strlen(s3body);
	body = fuzz_dup_exact(data, size);
	in.body = body;
	in.body_len = size;
	in.content_type = "application/json";
	if (k == 1)
		in.remote_user = "alice";
	sent = 0;
	s3_response_init(&r);
	s3_route(app, &in, (time_t)1764000000, &r);

	CHECK(r.status != 500, "500 for a client request (config %d): %s", k, r.message);
	CHECK(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404 ||
	      r.status == 405 || r.status == 413 || r.status == 414 || r.status == 415 ||
	      r.status == 502 || (r.status >= 400 && r.status < 500 && answer_status == 200),
	      "status %d", r.status);
	if (r.status == 405 || r.status == 414 || r.status == 401)
		CHECK(sent == 0, "%zu requests sent for a %d", sent, r.status);
	if (r.status == 403)
		CHECK(sent == 0, "a refused key reached S3 (%zu requests)", sent);
	CHECK(r.body && strlen(r.body) == r.body_len, "body_len");
	o = cJSON_ParseWithLength(r.body, r.body_len);
	CHECK(cJSON_IsObject(o) || (r.status == 200 && cJSON_IsArray(o)),
	      "body is not JSON: %.200s", r.body);
	if (r.status != 200) {
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "statusCode");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");

		CHECK(cJSON_GetArraySize(o) == 3, "%d members in an error", cJSON_GetArraySize(o));
		CHECK(cJSON_IsNumber(sc) && sc->valueint == r.status, "statusCode");
		CHECK(cJSON_IsString(m) && fuzz_msg_ok(m->valuestring, 512),
		      "message not printable ASCII");
		CHECK(!strstr(r.body, "fuzzSECRET") && !strstr(r.body, "Signature"),
		      "a secret or signature in an error");
	}
	cJSON_Delete(o);
	hl = s3_response_head(&r, head, sizeof head);
	snprintf(want_cl, sizeof want_cl, "\r\nContent-Length: %zu\r\n", r.body_len);
	CHECK(hl >= 4 && strstr(head, want_cl) && !strcmp(head + hl - 4, "\r\n\r\n"), "CGI head");
	s3_response_free(&r);
	free(path);
	free(query);
	free(s3body);
	free(body);
	return 0;
}
