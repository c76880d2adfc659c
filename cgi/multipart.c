/* multipart.c - the multipart routes' shared checks (see multipart.h). */
#include "multipart.h"
#include "base64.h"
#include "presign.h"
#include "syntax.h"

#include <stdio.h>
#include <string.h>

const struct s3_field_spec mp_key_field[1] = {
	{ "key", SIGV4_MAX_KEY, S3_IN_QUERY },
};

static int id_char(unsigned char c)
{
	return s3_is_alnum(c) || (c && strchr("-._~=+", c));
}

int mp_target(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              const char *key, size_t key_len, char id[S3_MP_UPLOAD_ID_MAX + 1],
              struct s3_response *out)
{
	size_t n = a->len[0];

	if (n == 0 || n > S3_MP_UPLOAD_ID_MAX) {
		s3_response_error(out, 400, "uploadId too long");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!id_char((unsigned char)a->arg[0][i])) {
			s3_response_error(out, 400, "uploadId holds a character S3 never writes");
			return -1;
		}
	memcpy(id, a->arg[0], n);
	id[n] = '\0';
	if (!key) {
		s3_response_error(out, 400, "key is required: the object key as a query "
		                  "parameter, e.g. ?key=...");
		return -1;
	}
	return s3_key_of_caller(app, in, key, key_len, out);
}

int mp_begin(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
             const struct s3_field_spec *fields, size_t nfields, time_t now,
             struct s3_req_values *v, char id[S3_MP_UPLOAD_ID_MAX + 1], struct s3_creds *c,
             unsigned *expires, char why[S3_CREDS_WHY_MAX], struct s3_response *out)
{
	char msg[128];
	enum s3_req_status st = s3_req_decode(in, fields, nfields, v, msg, sizeof msg);

	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		return -1;
	}
	if (mp_target(app, in, a, v->v[0].s, v->v[0].len, id, out))
		return -1;
	*expires = app->cfg.part_expires;   /* what a part URL lives (S3_PART_EXPIRES) */
	return s3_app_creds(app, now, c, expires, why, out);
}

unsigned mp_part_number(const struct s3_app *app, const char *s, size_t n,
                        struct s3_response *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n && v <= app->cfg.max_parts; i++) {
		if (s[i] < '0' || s[i] > '9') {
			v = 0;
			break;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (n == 0 || v < 1 || v > app->cfg.max_parts) {
		if (out) {
			char msg[96];

			snprintf(msg, sizeof msg, "part numbers are 1 to %u", app->cfg.max_parts);
			s3_response_error(out, 400, msg);
		}
		return 0;
	}
	return v;
}

int mp_md5(const char *s, size_t n, struct s3_response *out)
{
	if (s3_base64_md5_ok(s, n))
		return 0;
	s3_response_error(out, 400, "md5 must be base64 of the part's 16-byte MD5 "
	                  "(24 characters)");
	return -1;
}

int mp_sign_part(struct s3_app *app, const char *key, size_t key_len, const char *id,
                 unsigned n, const char *md5, const struct s3_creds *c, unsigned expires,
                 time_t now, char *url, size_t cap, struct s3_response *out)
{
	char num[12];
	struct sigv4_param p[2] = { { "partNumber", num }, { "uploadId", id } };
	struct s3_target t;
	struct s3_presign_in pin = {
		.method = "PUT", .key = key, .key_len = key_len, .content_md5 = md5,
		.params = p, .nparams = 2, .expires = expires, .now = now,
	};
	enum s3_err e;

	snprintf(num, sizeof num, "%u", n);
	s3_config_target(&app->cfg, &t);
	if ((e = s3_presign(&t, c, &pin, &app->cache, url, cap, NULL, 0))) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "presign part", e);
		return -1;
	}
	return 0;
}

void mp_client(struct s3_app *app, struct s3_client *cl)
{
	memset(cl, 0, sizeof *cl);
	s3_config_target(&app->cfg, &cl->target);
	cl->cache = &app->cache;
	cl->retries = 0;      /* S3_CLIENT_RETRIES */
	cl->http = app->s3_http;
	cl->http_ctx = app->s3_http_ctx;
	cl->sleep_ms = app->s3_sleep_ms;
}

void mp_s3_error(struct s3_response *out, const char *what, const struct s3_call_error *err)
{
	char msg[160];
	int st = err->status ? err->status : 502;

	if (st >= 500)
		snprintf(msg, sizeof msg, "%s: the storage service did not answer; try again",
		         what);
	else if (!strcmp(err->code, "NoSuchUpload"))
		snprintf(msg, sizeof msg, "%s: no such upload (it was completed, aborted or "
		         "never made)", what);
	else if (err->code[0])
		snprintf(msg, sizeof msg, "%s: the storage service refused it (%s)", what,
		         err->code);
	else
		snprintf(msg, sizeof msg, "%s: the storage service refused it (HTTP %d)", what,
		         err->s3_status);
	s3_response_error(out, st, msg);
	snprintf(out->message, sizeof out->message, "%s: %s", msg, err->why);
	if (st >= 500)     /* S3 failed, or could not be reached */
		out->cause = err->s3_status ? S3_ERR_REMOTE : S3_ERR_IO;
}
