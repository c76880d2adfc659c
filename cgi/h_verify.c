/* h_verify.c - POST /api/sign_s3/verify and POST /s3/verify, body
 * {"key": ...} (JSON or form) -> 200 {key, size, etag, file_type,
 * detected_type, url}: the check of what landed (verify.h), then the
 * application told (S3_NOTIFY_URL, notify.h). The key must be one this
 * server could have issued to this caller (s3_key_of_caller: 403 before
 * any S3 call). */
#include "verify.h"

#include <cjson/cJSON.h>
#include <stdio.h>

static const struct s3_field_spec fields[] = {
	{ "key", SIGV4_MAX_KEY, S3_IN_BODY | S3_FIELD_REQUIRED },
};

void h_verify(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out)
{
	char msg[128], why[S3_CREDS_WHY_MAX];
	struct s3_req_values v;
	struct s3_verified ver;
	struct s3_creds c;
	struct s3_client cl;
	unsigned expires = 0;
	cJSON *root = NULL;
	enum s3_req_status st;

	(void)a;
	st = s3_req_decode(in, fields, 1, &v, msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		goto done;
	}
	if (s3_key_of_caller(app, in, v.v[0].s, v.v[0].len, out) ||
	    s3_app_creds(app, now, &c, &expires, why, out))
		goto done;
	mp_client(app, &cl);
	if (s3_verify_object(app, &cl, &c, now, v.v[0].s, v.v[0].len, &ver, out))
		goto done;
	if (!(root = cJSON_CreateObject()) ||
	    s3_verified_json(app, v.v[0].s, v.v[0].len, &ver, root)) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		goto done;
	}
	if (s3_verify_notify(app, root, now, out))
		goto done;
	s3_response_json(out, 200, root);
	snprintf(out->message, sizeof out->message, "verified %s (%s, content %s)%s", v.v[0].s,
	         ver.file_type, ver.detected_type, app->cfg.notify_url ? ", notified" : "");
	s3_creds_warn(why, out);
done:
	cJSON_Delete(root);
	s3_req_values_free(&v);
}
