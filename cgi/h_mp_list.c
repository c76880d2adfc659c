/* h_mp_list.c - GET /s3/multipart/{uploadId}?key= -> [{PartNumber, ETag,
 * Size}, ...]: every page of ListParts (route.h), after the key and
 * uploadId checks (multipart.h). */
#include "multipart.h"

#include <cjson/cJSON.h>
#include <stdio.h>

void h_mp_list(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
               time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX];
	struct s3_req_values v;
	struct s3_creds c;
	struct s3_client cl;
	struct s3_call_error err;
	struct s3xml_parts parts = { 0 };
	unsigned expires;
	cJSON *arr = NULL;

	if (mp_begin(app, in, a, mp_key_field, 1, now, &v, id, &c, &expires, why, out))
		goto done;
	mp_client(app, &cl);
	if (s3_client_list_parts(&cl, &c, now, v.v[0].s, v.v[0].len, id, &parts, &err)) {
		mp_s3_error(out, "list parts", &err);
		goto done;
	}
	if (!(arr = cJSON_CreateArray()))
		goto oom;
	for (size_t i = 0; i < parts.n; i++) {
		cJSON *p = cJSON_CreateObject();

		if (!p || !cJSON_AddItemToArray(arr, p) ||
		    !cJSON_AddNumberToObject(p, "PartNumber", parts.part[i].number) ||
		    !cJSON_AddStringToObject(p, "ETag", parts.part[i].etag) ||
		    !cJSON_AddNumberToObject(p, "Size", (double)parts.part[i].size))
			goto oom;
	}
	s3_response_json(out, 200, arr);
	snprintf(out->message, sizeof out->message, "listed %zu parts of %s", parts.n, v.v[0].s);
	s3_creds_warn(why, out);
	goto done;
oom:
	s3_response_error(out, 500, S3_MSG_INTERNAL);
done:
	cJSON_Delete(arr);
	s3xml_parts_free(&parts);
	s3_req_values_free(&v);
}
