/* verify.c - the check of a stored object (see verify.h). */
#include "verify.h"
#include "notify.h"
#include "sbuf.h"
#include "uri.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OCTET "application/octet-stream"

/* The stored Content-Type as a type/subtype: none or S3's
 * binary/octet-stream is application/octet-stream. */
static void stored_type(const char *ct, char out[S3_TYPE_BASE_MAX + 1])
{
	if (!s3_type_base(ct, strlen(ct), out, S3_TYPE_BASE_MAX + 1) ||
	    !strcmp(out, "binary/octet-stream"))
		snprintf(out, S3_TYPE_BASE_MAX + 1, "%s", OCTET);
}

/* Content-Disposition: attachment (any case, parameters allowed). */
static int is_attachment(const char *d)
{
	while (*d == ' ' || *d == '\t')
		d++;
	return !strncasecmp(d, "attachment", 10) &&
	       (!d[10] || d[10] == ';' || d[10] == ' ' || d[10] == '\t');
}

/* The policy on stored type s and detected type d: NULL when it passes,
 * else the reason (into msg). */
static const char *judge(const struct s3_app *app, const char *s, const char *d,
                         const char *disposition, char *msg, size_t cap)
{
	const char *list = app->cfg.allowed_types;
	int same = s3_type_same(s, d);

	if (list && !s3_types_allowed(list, s, strlen(s)))
		snprintf(msg, cap, "file type %s is not allowed (file content is %s)", s, d);
	else if (list && !s3_type_generic(d) && !same && !s3_types_allowed(list, d, strlen(d)))
		snprintf(msg, cap, "file content is %s (stored as %s), which is not allowed", d, s);
	else if (app->cfg.active_types != S3_ACTIVE_ALLOW && s3_type_active(s) &&
	         app->cfg.active_types == S3_ACTIVE_REFUSE)
		snprintf(msg, cap, "file type %s is active content (file content is %s)", s, d);
	else if (app->cfg.active_types != S3_ACTIVE_ALLOW && s3_type_active(s) &&
	         !is_attachment(disposition))
		snprintf(msg, cap, "file type %s is active content stored without "
		         "Content-Disposition: attachment (file content is %s)", s, d);
	else if (app->cfg.active_types != S3_ACTIVE_ALLOW && s3_type_active(d) && !same)
		snprintf(msg, cap, "file content is %s (active content), stored as %s", d, s);
	else if (s3_type_contradicts(s, d))
		snprintf(msg, cap, "file content is %s, which contradicts its stored type %s", d, s);
	else
		return NULL;
	return msg;
}

/* out's log line: "verify KEY: a" + b (cut to fit). */
static void log_line(struct s3_response *out, const char *key, size_t klen, const char *a,
                     const char *b)
{
	struct sbuf m;

	sbuf_init(&m, out->message, sizeof out->message);
	sbuf_adds(&m, "verify ");
	sbuf_addn(&m, key, klen < 256 ? klen : 256);
	sbuf_adds(&m, ": ");
	sbuf_adds(&m, a);
	sbuf_adds(&m, b);     /* a part that does not fit is left off */
}

/* The refusal: the object deleted first with S3_DELETE_REJECTED=1. */
static void reject(struct s3_app *app, const struct s3_client *cl, const struct s3_creds *c,
                   time_t now, const char *key, size_t klen, const char *why,
                   struct s3_response *out)
{
	char msg[S3_RESP_MSG_MAX];
	struct s3_call_error err;

	if (!app->cfg.delete_rejected) {
		snprintf(msg, sizeof msg, "%s", why);
		s3_response_error(out, 415, msg);
		log_line(out, key, klen, why, " (kept: S3_DELETE_REJECTED=0)");
		return;
	}
	if (s3_client_delete(cl, c, now, key, klen, &err)) {
		snprintf(msg, sizeof msg, "%s: deleting it failed", why);
		s3_response_error(out, 415, msg);
		snprintf(msg, sizeof msg, "%s: delete failed: %s", why, err.why);
		log_line(out, key, klen, msg, "");
		return;
	}
	snprintf(msg, sizeof msg, "%s: it was deleted", why);
	s3_response_error(out, 415, msg);
	log_line(out, key, klen, msg, "");
}

int s3_verify_object(struct s3_app *app, const struct s3_client *cl, const struct s3_creds *c,
                     time_t now, const char *key, size_t klen, struct s3_verified *v,
                     struct s3_response *out)
{
	unsigned char head[S3_SNIFF_HEAD_MAX];
	char msg[3 * S3_TYPE_BASE_MAX + 128];
	struct s3_object_head h;
	struct s3_call_error err;
	const char *why;
	size_t n = 0;

	_Static_assert(S3_SNIFF_HEAD_MAX <= S3_CLIENT_MAX_RANGE, "the head is one range");
	memset(v, 0, sizeof *v);
	if (s3_client_head(cl, c, now, key, klen, &h, &err)) {
		if (err.status == 404) {
			s3_response_error(out, 404, "no such object: nothing was stored under this "
			                  "key (or it was deleted)");
			log_line(out, key, klen, "no such object: ", err.why);
		} else {
			mp_s3_error(out, "verify", &err);
		}
		return -1;
	}
	if (h.size && s3_client_get_range(cl, c, now, key, klen, head, sizeof head, &n, &err)) {
		mp_s3_error(out, "verify", &err);
		return -1;
	}
	if (!app->sniff) {
		char swhy[S3_SNIFF_WHY_MAX];

		if (s3_sniff_open(&app->sniff, app->cfg.magic_file, swhy, sizeof swhy)) {
			s3_response_error(out, 500, S3_MSG_INTERNAL);
			snprintf(out->message, sizeof out->message, "verify: %s", swhy);
			return -1;
		}
	}
	s3_sniff_type(app->sniff, head, n, v->detected_type);
	stored_type(h.content_type, v->file_type);
	v->size = h.size;
	snprintf(v->etag, sizeof v->etag, "%s", h.etag);
	if ((why = judge(app, v->file_type, v->detected_type, h.content_disposition, msg,
	                 sizeof msg))) {
		reject(app, cl, c, now, key, klen, why, out);
		return -1;
	}
	return 0;
}

int s3_object_url(const struct s3_app *app, const char *key, size_t klen, char *buf,
                  size_t cap)
{
	struct s3_target t;
	struct s3_location loc;
	struct sbuf b;

	sbuf_init(&b, buf, cap);
	if (app->cfg.public_url) {
		sbuf_adds(&b, app->cfg.public_url);
		sbuf_addc(&b, '/');
		uri_encode(&b, key, klen, URI_KEEP_SLASH);
		return sbuf_ok(&b) ? 0 : -1;
	}
	s3_config_target(&app->cfg, &t);
	if (s3_object_location(&t, key, klen, &loc))
		return -1;
	sbuf_adds(&b, loc.scheme);
	sbuf_adds(&b, "://");
	sbuf_adds(&b, loc.host);
	sbuf_addn(&b, loc.path, loc.path_len);
	return sbuf_ok(&b) ? 0 : -1;
}

int s3_verified_json(struct s3_app *app, const char *key, size_t klen,
                     const struct s3_verified *v, cJSON *obj)
{
	char url[S3_CONFIG_MAX_PUBLIC + SIGV4_MAX_HOST + S3_LOCATION_MAX_PATH + 3 * SIGV4_MAX_KEY +
	         16];
	char *k = malloc(klen + 1);
	int rc = -1;

	if (!k)
		return -1;
	memcpy(k, key, klen);
	k[klen] = '\0';
	if (!s3_object_url(app, key, klen, url, sizeof url) &&
	    (cJSON_GetObjectItemCaseSensitive(obj, "key") || cJSON_AddStringToObject(obj, "key", k)) &&
	    cJSON_AddNumberToObject(obj, "size", (double)v->size) &&
	    cJSON_AddStringToObject(obj, "etag", v->etag) &&
	    cJSON_AddStringToObject(obj, "file_type", v->file_type) &&
	    cJSON_AddStringToObject(obj, "detected_type", v->detected_type) &&
	    cJSON_AddStringToObject(obj, "url", url))
		rc = 0;
	free(k);
	return rc;
}

int s3_verify_notify(struct s3_app *app, const cJSON *obj, time_t now, struct s3_response *out)
{
	char why[S3_NOTIFY_WHY_MAX];
	cJSON *body;
	char *text = NULL;
	long status;
	enum s3_err e;

	if (!app->cfg.notify_url)
		return 0;
	if (!(body = cJSON_Duplicate(obj, 1)) ||
	    !cJSON_AddNumberToObject(body, "timestamp", (double)now) ||
	    !(text = cJSON_PrintUnformatted(body))) {
		cJSON_Delete(body);
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		return -1;
	}
	cJSON_Delete(body);
	e = s3_notify_send(app->s3_http, app->s3_http_ctx, app->cfg.notify_url,
	                   app->cfg.notify_secret, app->cfg.notify_timeout_ms, text, strlen(text),
	                   &status, why, sizeof why);
	free(text);
	if (e) {
		s3_response_error(out, 502, "the upload passed, but the application could not be "
		                  "told: try again");
		snprintf(out->message, sizeof out->message, "verify: %s", why);
		out->cause = e;
		return -1;
	}
	return 0;
}
