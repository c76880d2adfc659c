/* h_mp_sign_part.c - GET /s3/multipart/{uploadId}/{partNumber}?key= ->
 * {url, expires}: a presigned UploadPart URL (route.h). Nothing is sent to
 * S3: the key and uploadId are checked (multipart.h), the URL signed for
 * S3_EXPIRES seconds (clamped to the credentials'). */
#include "multipart.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

void h_mp_sign_part(struct s3_app *app, const struct s3_req_in *in,
                    const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX], url[SIGV4_URL_MAX];
	struct s3_req_values v;
	struct s3_creds c;
	unsigned expires, n;

	if (mp_begin(app, in, a, mp_key_field, 1, now, &v, id, &c, &expires, why, out))
		goto done;
	if (!(n = mp_part_number(app, a->arg[1], a->len[1], out)))
		goto done;
	if (mp_sign_part(app, v.v[0].s, v.v[0].len, id, n, &c, expires, now, url,
	                 sizeof url, out) == 0) {
		cJSON obj = { .type = cJSON_Object }, *u = NULL, *e = NULL;

		u = cJSON_CreateStringReference(url);
		e = cJSON_CreateNumber(expires);
		if (u && e) {
			cJSON_AddItemToObjectCS(&obj, "url", u);
			cJSON_AddItemToObjectCS(&obj, "expires", e);
			u = e = NULL;
			s3_response_json(out, 200, &obj);
			snprintf(out->message, sizeof out->message, "signed part %u of %s", n,
			         v.v[0].s);
		} else {
			s3_response_error(out, 500, S3_MSG_INTERNAL);
		}
		cJSON_Delete(u);
		cJSON_Delete(e);
		cJSON_Delete(obj.child);
		s3_creds_warn(why, out);
	}
	OPENSSL_cleanse(url, sizeof url);
done:
	s3_req_values_free(&v);
}
