/* response.c - JSON answers (see response.h). */
#include "response.h"

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

static void set_static(struct s3_response *r, int status, const char *body)
{
	r->status = status;
	r->body = (char *)body;
	r->body_len = strlen(body);
	r->body_static = 1;
}

/* Prints and frees o into r, or falls back to the static 500. */
static void finish(struct s3_response *r, int status, cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (!s) {
		set_static(r, 500, oom_body);
		snprintf(r->message, sizeof r->message, "out of memory");
		return;
	}
	r->status = status;
	r->body = s;
	r->body_len = strlen(s);
	r->body_static = 0;
}

void s3_response_error(struct s3_response *r, int status, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	memset(r, 0, sizeof *r);
	snprintf(r->message, sizeof r->message, "%s", message);
	if (o && (!cJSON_AddNumberToObject(o, "statusCode", status) ||
	          !cJSON_AddStringToObject(o, "error", s3_http_reason(status)) ||
	          !cJSON_AddStringToObject(o, "message", r->message))) {
		cJSON_Delete(o);
		o = NULL;
	}
	finish(r, status, o);
}

void s3_response_ok(struct s3_response *r, const struct s3_signed *s)
{
	cJSON *o = cJSON_CreateObject(), *h = NULL;

	memset(r, 0, sizeof *r);
	if (!o)
		goto fail;
	if (!cJSON_AddStringToObject(o, "file_type", s->file_type) ||
	    !cJSON_AddStringToObject(o, "signed_request", s->signed_request) ||
	    !cJSON_AddStringToObject(o, "url", s->url) ||
	    !cJSON_AddStringToObject(o, "key", s->key) ||
	    !cJSON_AddStringToObject(o, "method", "PUT") ||
	    !(h = cJSON_AddObjectToObject(o, "headers")) ||
	    !cJSON_AddStringToObject(h, "Content-Type", s->file_type) ||
	    !cJSON_AddStringToObject(o, "expires_at", s->expires_at))
		goto fail;
	finish(r, 200, o);
	return;
fail:
	cJSON_Delete(o);
	finish(r, 500, NULL);
}

size_t s3_response_head(const struct s3_response *r, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
	                 "Status: %d %s\r\n"
	                 "Content-Type: application/json\r\n"
	                 "Content-Length: %zu\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "X-Content-Type-Options: nosniff\r\n"
	                 "%s"
	                 "\r\n",
	                 r->status, s3_http_reason(r->status), r->body_len,
	                 r->status == 405 ? "Allow: " S3_RESP_ALLOW "\r\n" : "");

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

void s3_response_free(struct s3_response *r)
{
	if (r && !r->body_static)
		free(r->body);
	if (r)
		memset(r, 0, sizeof *r);
}
