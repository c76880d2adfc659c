/* h_mp_sign_batch.c - GET /s3/multipart/{uploadId}/batch?key=&partNumbers=1,2,3
 * [&md5=B64,B64,B64] -> {presignedUrls: {"1": url, ...}}: presigned
 * UploadPart URLs (route.h), each with its md5 signed as Content-MD5 when
 * the list is given (one per part number, in order; the page sends the
 * header itself),
 * at most S3_MP_BATCH_MAX, no number twice. Nothing is sent to S3: the key
 * and uploadId are checked (multipart.h), the URLs signed for S3_EXPIRES
 * seconds (clamped to the credentials'). */
#include "multipart.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

enum { F_KEY, F_PARTS, F_MD5 };

static const struct s3_field_spec fields[] = {
	[F_KEY]   = { "key", SIGV4_MAX_KEY, S3_IN_QUERY },
	[F_PARTS] = { "partNumbers", 8 * S3_MP_BATCH_MAX, S3_IN_QUERY },
	[F_MD5]   = { "md5", 25 * S3_MP_BATCH_MAX, S3_IN_QUERY },
};

/* The md5 list, one base64 MD5 per part number in the same order, into
 * md5[i] (NUL-terminated copies); 0, or -1 with a 400 in out. */
static int md5_list(const char *s, size_t nparts, char (*md5)[S3_REQ_MAX_MD5 + 1],
                    struct s3_response *out)
{
	for (size_t i = 0; i < nparts; i++) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		if ((i + 1 < nparts) != (c != NULL)) {
			s3_response_error(out, 400, "md5 must hold one MD5 per part number, in "
			                  "the same order");
			return -1;
		}
		if (mp_md5(s, len, out))
			return -1;
		memcpy(md5[i], s, len);
		md5[i][len] = '\0';
		s = c ? c + 1 : s + len;
	}
	return 0;
}

/* The comma list s into nums (ascending or not, no duplicates): the
 * count, or 0 with a 400 in out. */
static size_t part_list(const struct s3_app *app, const char *s, unsigned *nums,
                        struct s3_response *out)
{
	size_t n = 0;

	if (!s) {
		s3_response_error(out, 400, "partNumbers is required: a comma-separated "
		                  "list, e.g. ?partNumbers=1,2,3");
		return 0;
	}
	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		if (n == S3_MP_BATCH_MAX) {
			char msg[80];

			snprintf(msg, sizeof msg, "at most %d part numbers in a batch",
			         S3_MP_BATCH_MAX);
			s3_response_error(out, 400, msg);
			return 0;
		}
		if (!(nums[n] = mp_part_number(app, s, len, out)))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (nums[i] == nums[n]) {
				s3_response_error(out, 400, "a part number is given twice");
				return 0;
			}
		n++;
		if (!c)
			return n;
		s = c + 1;
	}
}

void h_mp_sign_batch(struct s3_app *app, const struct s3_req_in *in,
                     const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	char id[S3_MP_UPLOAD_ID_MAX + 1], why[S3_CREDS_WHY_MAX], url[SIGV4_URL_MAX], num[12];
	static unsigned nums[S3_MP_BATCH_MAX];
	static char md5[S3_MP_BATCH_MAX][S3_REQ_MAX_MD5 + 1];
	struct s3_req_values v;
	struct s3_creds c;
	cJSON *root = NULL, *map;
	unsigned expires;
	size_t n;

	if (mp_begin(app, in, a, fields, 3, now, &v, id, &c, &expires, why, out))
		goto done;
	if (!(n = part_list(app, v.v[F_PARTS].s, nums, out)))
		goto done;
	if (v.v[F_MD5].s && md5_list(v.v[F_MD5].s, n, md5, out))
		goto done;
	if (!(root = cJSON_CreateObject()) ||
	    !(map = cJSON_AddObjectToObject(root, "presignedUrls"))) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (mp_sign_part(app, v.v[F_KEY].s, v.v[F_KEY].len, id, nums[i],
		                 v.v[F_MD5].s ? md5[i] : NULL, &c, expires, now, url, sizeof url, out))
			goto done;
		snprintf(num, sizeof num, "%u", nums[i]);
		if (!cJSON_AddStringToObject(map, num, url)) {
			s3_response_error(out, 500, S3_MSG_INTERNAL);
			goto done;
		}
	}
	s3_response_json(out, 200, root);
	snprintf(out->message, sizeof out->message, "signed %zu parts of %s", n, v.v[F_KEY].s);
	s3_creds_warn(why, out);
done:
	OPENSSL_cleanse(url, sizeof url);
	cJSON_Delete(root);
	s3_req_values_free(&v);
}
