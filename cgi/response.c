/* response.c - JSON answers (see response.h). */
#include "response.h"
#include "sbuf.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Used when building the JSON itself fails (out of memory). */
static const char oom_body[] =
	"{\"statusCode\":500,\"error\":\"Internal Server Error\","
	"\"message\":\"An internal server error occurred\"}";

static const struct { int status; const char *reason; } reasons[] = {
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 413, "Payload Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

const char *s3_http_reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}

static void set_body(struct s3_response *r, int status, const char *body, int owned)
{
	r->status = status;
	r->body = (char *)body;
	r->body_len = strlen(body);
	r->body_owned = owned;
}

/* An empty answer: only the fields, not the buffers. */
void s3_response_init(struct s3_response *r)
{
	r->status = 0;
	r->body = NULL;
	r->body_len = 0;
	r->body_owned = 0;
	r->inline_body[0] = '\0';
	r->message[0] = '\0';
	r->warn = 0;
}

/* Empties r for the next answer, freeing what it owned. */
static void reset(struct s3_response *r)
{
	if (r->body_owned)
		free(r->body);
	s3_response_init(r);
}

/* Prints obj into r (r->inline_body when it fits), frees obj, or falls
 * back to the static 500. */
static void finish(struct s3_response *r, int status, cJSON *obj)
{
	char *s;

	if (obj && cJSON_PrintPreallocated(obj, r->inline_body, (int)sizeof r->inline_body, 0)) {
		set_body(r, status, r->inline_body, 0);
	} else if (obj && (s = cJSON_PrintUnformatted(obj))) {
		set_body(r, status, s, 1);
	} else {
		set_body(r, 500, oom_body, 0);
		snprintf(r->message, sizeof r->message, "out of memory");
	}
	cJSON_Delete(obj);
}

void s3_response_error(struct s3_response *r, int status, const char *message)
{
	cJSON *obj = cJSON_CreateObject();

	reset(r);
	snprintf(r->message, sizeof r->message, "%s", message);
	if (obj && (!cJSON_AddNumberToObject(obj, "statusCode", status) ||
	            !cJSON_AddStringToObject(obj, "error", s3_http_reason(status)) ||
	            !cJSON_AddStringToObject(obj, "message", r->message))) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	finish(r, status, obj);
}

void s3_response_ok(struct s3_response *r, const struct s3_signed *s)
{
	cJSON *obj = cJSON_CreateObject(), *h = NULL;
	int ok;

	reset(r);
	ok = obj && cJSON_AddStringToObject(obj, "file_type", s->file_type) &&
	     cJSON_AddStringToObject(obj, "signed_request", s->signed_request) &&
	     cJSON_AddStringToObject(obj, "url", s->url) &&
	     cJSON_AddStringToObject(obj, "key", s->key) &&
	     cJSON_AddStringToObject(obj, "method", "PUT") &&
	     (h = cJSON_AddObjectToObject(obj, "headers")) &&
	     /* every header signed: the browser must send each one as it is */
	     cJSON_AddStringToObject(h, "Content-Type", s->file_type) &&
	     (!s->content_disposition ||
	      cJSON_AddStringToObject(h, "Content-Disposition", s->content_disposition)) &&
	     cJSON_AddStringToObject(obj, "expires_at", s->expires_at);
	if (!ok) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	finish(r, 200, obj);
}

size_t s3_response_head(const struct s3_response *r, char *buf, size_t cap)
{
	char num[24];
	size_t i = sizeof num - 1;
	struct sbuf b;

	sbuf_init(&b, buf, cap);
	sbuf_adds(&b, "Status: ");
	if (r->status >= 100 && r->status <= 999) {
		char st[4] = { (char)('0' + r->status / 100), (char)('0' + r->status / 10 % 10),
		               (char)('0' + r->status % 10), ' ' };

		sbuf_addn(&b, st, sizeof st);
	} else {
		sbuf_adds(&b, "500 ");
	}
	sbuf_adds(&b, s3_http_reason(r->status));
	sbuf_adds(&b, "\r\nContent-Type: application/json\r\nContent-Length: ");
	num[i] = '\0';
	for (size_t v = r->body_len; i == sizeof num - 1 || v; v /= 10)
		num[--i] = (char)('0' + v % 10);
	sbuf_adds(&b, num + i);
	sbuf_adds(&b, "\r\nCache-Control: no-store\r\n"
	          "X-Content-Type-Options: nosniff\r\n");
	if (r->status == 405)
		sbuf_adds(&b, "Allow: " S3_RESP_ALLOW "\r\n");
	sbuf_adds(&b, "\r\n");
	return sbuf_ok(&b) ? b.len : 0;
}

void s3_response_free(struct s3_response *r)
{
	if (r)
		reset(r);
}
