/* h_mp_abort.c - DELETE /s3/multipart/{uploadId}?key= -> {}:
 * AbortMultipartUpload (route.h), after the key and uploadId checks
 * (multipart.h). S3 answers NoSuchUpload (404) for one already gone. */
#include "multipart.h"

#include <cjson/cJSON.h>
#include <stdio.h>

void h_mp_abort(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
                time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX];
	struct s3_req_values v;
	struct s3_creds c;
	struct s3_client cl;
	struct s3_call_error err;
	unsigned expires;

	if (mp_begin(app, in, a, mp_key_field, 1, now, &v, id, &c, &expires, why, out))
		goto done;
	mp_client(app, &cl);
	if (s3_client_abort(&cl, &c, now, v.v[0].s, v.v[0].len, id, &err)) {
		mp_s3_error(out, "abort", &err);
		goto done;
	}
	s3_response_json(out, 200, &(cJSON){ .type = cJSON_Object });
	snprintf(out->message, sizeof out->message, "aborted %s", v.v[0].s);
	s3_creds_warn(why, out);
done:
	s3_req_values_free(&v);
}
