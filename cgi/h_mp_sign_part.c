/* h_mp_sign_part.c - GET /s3/multipart/{uploadId}/{partNumber}?key=[&md5=]
 * -> {url, expires[, headers: {"Content-MD5"}]}: a presigned UploadPart
 * URL (route.h). Nothing is sent to S3: the key and uploadId are checked
 * (multipart.h), the URL signed for S3_PART_EXPIRES seconds (clamped to
 * the credentials'); a part's md5 (base64) is signed as Content-MD5, so S3
 * refuses other bytes (BadDigest), and listed in headers (Uppy sends them). */
#include "multipart.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static const struct s3_field_spec fields[] = {
	{ "key", SIGV4_MAX_KEY, S3_IN_QUERY },
	{ "md5", S3_REQ_MAX_MD5, S3_IN_QUERY },
};

void h_mp_sign_part(struct s3_app *app, const struct s3_req_in *in,
                    const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX], url[SIGV4_URL_MAX];
	struct s3_req_values v;
	struct s3_creds c;
	unsigned expires, n;

	if (mp_begin(app, in, a, fields, 2, now, &v, id, &c, &expires, why, out))
		goto done;
	if (!(n = mp_part_number(app, a->arg[1], a->len[1], out)))
		goto done;
	if (v.v[1].s && mp_md5(v.v[1].s, v.v[1].len, out))
		goto done;
	if (mp_sign_part(app, v.v[0].s, v.v[0].len, id, n, v.v[1].s, &c, expires, now, url,
	                 sizeof url, out) == 0) {
		cJSON obj = { .type = cJSON_Object }, *u = NULL, *e = NULL, *h = NULL;

		u = cJSON_CreateStringReference(url);
		e = cJSON_CreateNumber(expires);
		if (v.v[1].s && (h = cJSON_CreateObject()) &&
		    !cJSON_AddStringToObject(h, "Content-MD5", v.v[1].s)) {
			cJSON_Delete(h);
			h = NULL;
		}
		if (u && e && (!v.v[1].s || h)) {
			cJSON_AddItemToObjectCS(&obj, "url", u);
			cJSON_AddItemToObjectCS(&obj, "expires", e);
			if (h)
				cJSON_AddItemToObjectCS(&obj, "headers", h);
			u = e = h = NULL;
			s3_response_json(out, 200, &obj);
			snprintf(out->message, sizeof out->message, "signed part %u of %s", n,
			         v.v[0].s);
		} else {
			s3_response_error(out, 500, S3_MSG_INTERNAL);
		}
		cJSON_Delete(u);
		cJSON_Delete(e);
		cJSON_Delete(h);
		cJSON_Delete(obj.child);
		s3_creds_warn(why, out);
	}
	OPENSSL_cleanse(url, sizeof url);
done:
	s3_req_values_free(&v);
}
