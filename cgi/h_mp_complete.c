/* h_mp_complete.c - POST /s3/multipart/{uploadId}/complete?key=, JSON
 * {parts: [{PartNumber, ETag}, ...]} -> {location, key, bucket}:
 * CompleteMultipartUpload (route.h), after the key and uploadId checks
 * (multipart.h).
 *
 * The body (at most S3_ROUTE_BODY_MAX bytes, route.h) must hold 1 to
 * S3_MAX_PARTS parts, part numbers whole numbers 1..S3_MAX_PARTS in
 * strictly ascending order, ETags as S3 writes them: '"', 1 to
 * S3_MP_ETAG_MAX hex digits or '-', '"' (the quotes may be left off: some
 * stores and proxies drop them); else 400, before anything is sent.
 * With S3_MAX_FILE_SIZE set, the parts are listed first (ListParts, every
 * page) and the sizes of the named ones summed: over the limit the upload
 * is aborted and the answer is 413, so the object never exists. A 200
 * with an <Error> body from S3 is an error (s3client.h). The joined
 * object is then checked as verify checks it (verify.h): a refusal is a
 * 415 (the object deleted with S3_DELETE_REJECTED=1); a pass adds size,
 * etag, file_type, detected_type and url to the answer. The application
 * is not notified here: the page calls verify for that (one notification
 * per file). */
#include "multipart.h"
#include "verify.h"
#include "sbuf.h"
#include "uri.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3_MP_ETAG_MAX 64           /* hex digits and '-' between the quotes */

static const struct s3_field_spec fields[] = {
	{ "key", SIGV4_MAX_KEY, S3_IN_QUERY },
	{ "parts", 0, S3_IN_BODY | S3_FIELD_JSON | S3_FIELD_REQUIRED },
};

static int etag_ok(const char *s)
{
	size_t n = strlen(s), q = n >= 2 && s[0] == '"' && s[n - 1] == '"';

	if (n - 2 * q == 0 || n - 2 * q > S3_MP_ETAG_MAX)
		return 0;
	for (size_t i = q; i < n - q; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F') || s[i] == '-'))
			return 0;
	return 1;
}

/* The parts array into *out (malloc'd, pointing into the cJSON): the
 * count, or 0 with a 400 (500) in r. */
static size_t parts_of(const struct s3_app *app, const cJSON *arr,
                       struct s3_complete_part **out, struct s3_response *r)
{
	size_t n = 0, count = (size_t)cJSON_GetArraySize(arr);
	struct s3_complete_part *p;
	const cJSON *e;
	char msg[128];

	*out = NULL;
	if (!cJSON_IsArray(arr) || count == 0 || count > app->cfg.max_parts) {
		snprintf(msg, sizeof msg, "parts must be an array of 1 to %u {PartNumber, ETag} "
		         "objects", app->cfg.max_parts);
		s3_response_error(r, 400, msg);
		return 0;
	}
	if (!(p = calloc(count, sizeof *p))) {
		s3_response_error(r, 500, S3_MSG_INTERNAL);
		return 0;
	}
	cJSON_ArrayForEach(e, arr) {
		const cJSON *num = cJSON_GetObjectItemCaseSensitive(e, "PartNumber");
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "ETag");
		double d = cJSON_IsNumber(num) ? num->valuedouble : 0;

		if (!cJSON_IsObject(e) || !cJSON_IsNumber(num) || d < 1 || d > app->cfg.max_parts ||
		    d != (double)(unsigned)d) {
			snprintf(msg, sizeof msg, "each part needs a PartNumber from 1 to %u",
			         app->cfg.max_parts);
			s3_response_error(r, 400, msg);
			goto fail;
		}
		if (!cJSON_IsString(tag) || !etag_ok(tag->valuestring)) {
			s3_response_error(r, 400, "each part needs its ETag as S3 wrote it "
			                  "(a quoted hex string)");
			goto fail;
		}
		p[n].number = (unsigned)d;
		p[n].etag = tag->valuestring;
		if (n && p[n].number <= p[n - 1].number) {
			s3_response_error(r, 400, "parts must be in strictly ascending PartNumber order");
			goto fail;
		}
		n++;
	}
	*out = p;
	return n;
fail:
	free(p);
	return 0;
}

/* With S3_MAX_FILE_SIZE: the named parts' sizes, from ListParts; over the
 * limit the upload is aborted and r holds the 413. 0 to go on, -1 not. */
static int size_check(struct s3_app *app, const struct s3_client *cl, const struct s3_creds *c,
                      time_t now, const char *key, size_t klen, const char *id,
                      const struct s3_complete_part *p, size_t n, struct s3_response *r)
{
	struct s3xml_parts listed = { 0 };
	struct s3_call_error err;
	unsigned long long sum = 0;
	char msg[128];
	size_t j = 0;

	if (!app->cfg.max_file_size)
		return 0;
	if (s3_client_list_parts(cl, c, now, key, klen, id, &listed, &err)) {
		mp_s3_error(r, "complete", &err);
		return -1;
	}
	/* both ascending: one merge pass */
	for (size_t i = 0; i < listed.n && j < n; i++) {
		while (j < n && p[j].number < listed.part[i].number)
			j++;
		if (j < n && p[j].number == listed.part[i].number)
			sum += listed.part[i].size;
	}
	s3xml_parts_free(&listed);
	if (sum <= app->cfg.max_file_size)
		return 0;
	if (s3_client_abort(cl, c, now, key, klen, id, &err))
		snprintf(msg, sizeof msg, " (the abort failed: %s)", err.code[0] ? err.code : "network");
	else
		msg[0] = '\0';
	{
		char m[128 + sizeof msg];

		snprintf(m, sizeof m, "file too large (limit %llu bytes): the upload was aborted",
		         app->cfg.max_file_size);
		s3_response_error(r, 413, m);
		snprintf(r->message, sizeof r->message, "%s%s: %llu bytes in %s", m, msg, sum, key);
	}
	return -1;
}

/* The object's URL to answer: under S3_PUBLIC_URL when set, else S3's
 * Location, else the unsigned object URL (s3_object_url). */
static int location(struct s3_app *app, const char *key, size_t klen, const char *s3loc,
                    char *buf, size_t cap)
{
	if (app->cfg.public_url || !s3loc[0])
		return s3_object_url(app, key, klen, buf, cap);
	if (strlen(s3loc) >= cap)
		return -1;
	memcpy(buf, s3loc, strlen(s3loc) + 1);
	return 0;
}

void h_mp_complete(struct s3_app *app, const struct s3_req_in *in,
                   const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX];
	char loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	char url[S3_CONFIG_MAX_PUBLIC + 3 * SIGV4_MAX_KEY + S3XML_MAX_LOCATION + 2];
	struct s3_complete_part *parts = NULL;
	struct s3_req_values v;
	struct s3_creds c;
	struct s3_client cl;
	struct s3_call_error err;
	struct s3_verified ver;
	unsigned expires;
	cJSON *root = NULL;
	size_t n;

	if (mp_begin(app, in, a, fields, 2, now, &v, id, &c, &expires, why, out))
		goto done;
	if (!(n = parts_of(app, v.v[1].json, &parts, out)))
		goto done;
	mp_client(app, &cl);
	if (size_check(app, &cl, &c, now, v.v[0].s, v.v[0].len, id, parts, n, out))
		goto done;
	if (s3_client_complete(&cl, &c, now, v.v[0].s, v.v[0].len, id, parts, n, loc, etag,
	                       &err)) {
		mp_s3_error(out, "complete", &err);
		goto done;
	}
	if (s3_verify_object(app, &cl, &c, now, v.v[0].s, v.v[0].len, &ver, out))
		goto done;
	if (location(app, v.v[0].s, v.v[0].len, loc, url, sizeof url) ||
	    !(root = cJSON_CreateObject()) || !cJSON_AddStringToObject(root, "location", url) ||
	    !cJSON_AddStringToObject(root, "key", v.v[0].s) ||
	    !cJSON_AddStringToObject(root, "bucket", app->cfg.bucket) ||
	    s3_verified_json(app, v.v[0].s, v.v[0].len, &ver, root)) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		goto done;
	}
	s3_response_json(out, 200, root);
	snprintf(out->message, sizeof out->message, "completed %s (%zu parts)", v.v[0].s, n);
	s3_creds_warn(why, out);
done:
	cJSON_Delete(root);
	free(parts);
	s3_req_values_free(&v);
}
