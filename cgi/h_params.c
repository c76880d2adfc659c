/* h_params.c - GET /s3/params?filename=&type=&metadata[k]=v: the simple
 * (one request) upload of Uppy's protocol (route.h). The upload rules of
 * /api/sign_s3 apply (handler.h: name, type, allow-list, active content,
 * user prefix); the key is the server's. S3_SIMPLE_UPLOAD chooses the
 * answer:
 *   put   {"method":"PUT", "url":..., "fields":{}, "headers":{"content-type":...
 *          [, "content-disposition":"attachment"]}, "expires":N}
 *         a presigned PUT, as /api/sign_s3 signs it (Uppy 5 sends those headers);
 *   post  {"method":"POST", "url":..., "fields":{key, Content-Type, ...,
 *          policy, x-amz-signature}, "expires":N}
 *         a SigV4 POST policy (post_policy.h) pinning key and type, with
 *         S3_ACL and, when S3_MAX_FILE_SIZE is set, a content-length-range
 *         (Uppy 6 in Companion mode always POSTs a form).
 * Metadata members are accepted and ignored here (S3_METADATA_FIELDS
 * applies to multipart uploads, whose create sends them). */
#include "handler.h"
#include "post_policy.h"
#include "route.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* {"method":"PUT", ...} for u. */
static void answer_put(struct s3_app *app, const struct s3_upload *u, time_t now,
                       cJSON *root, struct s3_response *out)
{
	char url[SIGV4_URL_MAX];
	const struct s3_config *cfg = &app->cfg;
	struct sigv4_param acl = { "x-amz-acl", cfg->acl };
	struct s3_target t;
	struct s3_presign_in pin = {
		.method = "PUT", .key = u->key, .key_len = u->key_len, .content_type = u->type,
		.content_disposition = u->disposition, .content_length = u->content_length,
		.content_md5 = u->content_md5,
		.params = cfg->acl ? &acl : NULL, .nparams = cfg->acl ? 1 : 0,
		.expires = u->expires, .now = now,
	};
	cJSON *h;
	enum s3_err e;

	s3_config_target(cfg, &t);
	if ((e = s3_presign(&t, &u->creds, &pin, &app->cache, url, sizeof url, NULL, 0))) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "presign failed", e);
		return;
	}
	if (!cJSON_AddStringToObject(root, "method", "PUT") ||
	    !cJSON_AddStringToObject(root, "url", url) ||
	    !cJSON_AddObjectToObject(root, "fields") ||
	    !(h = cJSON_AddObjectToObject(root, "headers")) ||
	    !cJSON_AddStringToObject(h, "content-type", u->type) ||
	    (u->disposition && !cJSON_AddStringToObject(h, "content-disposition",
	                                                u->disposition)) ||
	    (u->content_md5[0] && !cJSON_AddStringToObject(h, "content-md5", u->content_md5)) ||
	    !cJSON_AddNumberToObject(root, "expires", u->expires))
		s3_response_error(out, 500, S3_MSG_INTERNAL);
	else
		s3_response_json(out, 200, root);
	OPENSSL_cleanse(url, sizeof url);
}

/* {"method":"POST", ...} for u. */
static void answer_post(struct s3_app *app, const struct s3_upload *u, time_t now,
                        cJSON *root, struct s3_response *out)
{
	static struct s3_post_form form;   /* 13 KiB: off the stack */
	const struct s3_config *cfg = &app->cfg;
	struct s3_target t;
	struct s3_post_in pin = {
		.key = u->key, .key_len = u->key_len, .content_type = u->type,
		.content_disposition = u->disposition, .acl = cfg->acl,
		.max_size = cfg->max_file_size > S3_POST_SIZE_MAX ? S3_POST_SIZE_MAX :
		            cfg->max_file_size,
		.min_size = cfg->min_file_size > S3_POST_SIZE_MAX ? S3_POST_SIZE_MAX :
		            cfg->min_file_size,
		.expires = u->expires, .now = now,
	};
	cJSON *f;
	enum s3_err e;
	int ok;

	s3_config_target(cfg, &t);
	if ((e = s3_presign_post(&t, &u->creds, &pin, &app->cache, &form))) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "presign post failed", e);
		return;
	}
	ok = cJSON_AddStringToObject(root, "method", "POST") &&
	     cJSON_AddStringToObject(root, "url", form.url) &&
	     (f = cJSON_AddObjectToObject(root, "fields"));
	for (size_t i = 0; ok && i < form.n; i++)
		ok = cJSON_AddStringToObject(f, form.field[i].name, form.field[i].value) != NULL;
	ok = ok && cJSON_AddNumberToObject(root, "expires", u->expires);
	if (ok)
		s3_response_json(out, 200, root);
	else
		s3_response_error(out, 500, S3_MSG_INTERNAL);
	s3_post_form_wipe(&form);
}

void h_params(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out)
{
	struct s3_req_values v;
	struct s3_upload u;
	cJSON *root = NULL;

	(void)a;
	if (s3_upload_decode(app, in, app->cfg.simple_upload == S3_SIMPLE_PUT, now, &v, &u, out))
		goto done;
	if (!(root = cJSON_CreateObject())) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		goto done;
	}
	if (app->cfg.simple_upload == S3_SIMPLE_POST)
		answer_post(app, &u, now, root, out);
	else
		answer_put(app, &u, now, root, out);
	if (out->status == 200) {
		snprintf(out->message, sizeof out->message, "signed %s", u.key);
		s3_creds_warn(u.why, out);
	}
done:
	cJSON_Delete(root);
	s3_req_values_free(&v);
}
