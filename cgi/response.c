/* response.c - JSON answers (see response.h). */
#include "response.h"
#include "err.h"
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
	r->allow = NULL;
	r->content_type = NULL;
	r->cause = 0;
}

/* Empties r for the next answer, freeing what it owned. */
static void reset(struct s3_response *r)
{
	if (r->body_owned)
		free(r->body);
	s3_response_init(r);
}

/* The answers are small, flat objects of strings known at the call, so
 * their cJSON nodes live on the caller's stack and borrow every string
 * (cJSON_IsReference, cJSON_StringIsConst: cJSON_Delete is never needed),
 * and cJSON prints into r->inline_body: no allocation on the way out. An
 * answer too long for that buffer (a long key, a session token in the URL)
 * is printed with cJSON_PrintUnformatted into allocated memory instead. */
static void str_node(cJSON *n, const char *key, const char *value)
{
	memset(n, 0, sizeof *n);
	n->type = cJSON_String | cJSON_IsReference | cJSON_StringIsConst;
	n->string = (char *)key;
	n->valuestring = (char *)value;
}

/* Makes nodes[0..count) the members of obj, in that order. */
static void members(cJSON *obj, cJSON *nodes, size_t count)
{
	memset(obj, 0, sizeof *obj);
	obj->type = cJSON_Object;
	obj->child = count ? &nodes[0] : NULL;
	for (size_t i = 0; i < count; i++) {
		nodes[i].next = i + 1 < count ? &nodes[i + 1] : NULL;
		nodes[i].prev = i ? &nodes[i - 1] : &nodes[count - 1];
	}
}

/* Prints obj into r, or falls back to the static 500. */
static void finish(struct s3_response *r, int status, const cJSON *obj)
{
	char *s;

	if (cJSON_PrintPreallocated((cJSON *)obj, r->inline_body,
	                            (int)sizeof r->inline_body, 0)) {
		set_body(r, status, r->inline_body, 0);
	} else if ((s = cJSON_PrintUnformatted(obj))) {
		set_body(r, status, s, 1);
	} else {
		set_body(r, 500, oom_body, 0);
		snprintf(r->message, sizeof r->message, "out of memory");
		r->cause = S3_ERR_NOMEM;
	}
}

void s3_response_json(struct s3_response *r, int status, const cJSON *value)
{
	reset(r);
	finish(r, status, value);
}

void s3_response_body(struct s3_response *r, int status, const char *ctype, char *body,
                      size_t len)
{
	reset(r);
	if (!body) {
		set_body(r, 500, oom_body, 0);
		snprintf(r->message, sizeof r->message, "out of memory");
		r->cause = S3_ERR_NOMEM;
		return;
	}
	r->status = status;
	r->body = body;
	r->body_len = len;
	r->body_owned = 1;
	r->content_type = ctype;
}

void s3_response_error(struct s3_response *r, int status, const char *message)
{
	cJSON obj, n[3];

	reset(r);
	snprintf(r->message, sizeof r->message, "%s", message);
	memset(&n[0], 0, sizeof n[0]);
	n[0].type = cJSON_Number | cJSON_StringIsConst;
	n[0].string = (char *)"statusCode";
	n[0].valueint = status;
	n[0].valuedouble = status;
	str_node(&n[1], "error", s3_http_reason(status));
	str_node(&n[2], "message", r->message);
	members(&obj, n, 3);
	finish(r, status, &obj);
}

void s3_response_ok(struct s3_response *r, const struct s3_signed *s)
{
	cJSON obj, n[7], h[3];
	size_t nh = 0;

	reset(r);
	str_node(&n[0], "file_type", s->file_type);
	str_node(&n[1], "signed_request", s->signed_request);
	str_node(&n[2], "url", s->url);
	str_node(&n[3], "key", s->key);
	str_node(&n[4], "method", "PUT");
	/* every header signed: the browser must send each one as it is */
	str_node(&h[nh++], "Content-Type", s->file_type);
	if (s->content_disposition)
		str_node(&h[nh++], "Content-Disposition", s->content_disposition);
	/* (a signed Content-Length is not listed: browsers set it themselves
	 * and refuse to let a script set it) */
	if (s->content_md5)
		str_node(&h[nh++], "Content-MD5", s->content_md5);
	members(&n[5], h, nh);
	n[5].string = (char *)"headers";
	n[5].type |= cJSON_StringIsConst;
	str_node(&n[6], "expires_at", s->expires_at);
	members(&obj, n, 7);
	finish(r, 200, &obj);
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
	sbuf_adds(&b, "\r\nContent-Type: ");
	sbuf_adds(&b, r->content_type ? r->content_type : "application/json");
	sbuf_adds(&b, "\r\nContent-Length: ");
	num[i] = '\0';
	for (size_t v = r->body_len; i == sizeof num - 1 || v; v /= 10)
		num[--i] = (char)('0' + v % 10);
	sbuf_adds(&b, num + i);
	sbuf_adds(&b, "\r\nCache-Control: no-store\r\n"
	          "X-Content-Type-Options: nosniff\r\n");
	if (r->status == 405) {
		sbuf_adds(&b, "Allow: ");
		sbuf_adds(&b, r->allow ? r->allow : S3_RESP_ALLOW);
		sbuf_adds(&b, "\r\n");
	}
	sbuf_adds(&b, "\r\n");
	return sbuf_ok(&b) ? b.len : 0;
}

void s3_response_free(struct s3_response *r)
{
	if (r)
		reset(r);
}
