/* h_mp_create.c - POST /s3/multipart, JSON {filename, type, metadata} ->
 * {key, uploadId, bucket}: CreateMultipartUpload (route.h).
 *
 * The upload rules of /api/sign_s3 apply to filename and type (handler.h);
 * the key is the server's. The upload is created with the Content-Type,
 * S3_ACL and, for active content, Content-Disposition: attachment, so the
 * object ends with them. Metadata members named in S3_METADATA_FIELDS
 * become x-amz-meta-NAME headers (others are ignored): printable ASCII
 * as it is, other UTF-8 as an RFC 2047 encoded word (=?UTF-8?B?...?=, as
 * S3 itself returns non-ASCII metadata), control characters 400, all of
 * them together at most S3_MP_META_TOTAL bytes (S3's limit) else 400. */
#include "multipart.h"
#include "syntax.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define S3_MP_META_TOTAL 2048        /* bytes of user metadata, names and values (S3's) */
#define META_HEADER_MAX  (sizeof "x-amz-meta-" + S3_META_NAME_MAX)
#define META_VALUE_MAX   (16 + 4 * ((S3_MP_META_TOTAL + 2) / 3))   /* "=?UTF-8?B?" base64 "?=" */

struct meta {
	struct s3_meta_header h[S3_CLIENT_MAX_META];
	char name[S3_CLIENT_MAX_META][META_HEADER_MAX];
	char value[S3_CLIENT_MAX_META][META_VALUE_MAX];
	size_t n;
};

_Static_assert(S3_META_FIELDS_MAX >= S3_CLIENT_MAX_META, "config allows what the client sends");

/* The kept metadata of v into m: 0, or -1 with a 400 in out. */
static int metadata(const struct s3_app *app, const struct s3_req_values *v, struct meta *m,
                    struct s3_response *out)
{
	const char *list = app->cfg.metadata_fields;
	size_t total = 0;

	m->n = 0;
	for (size_t i = 0; list && i < v->nmeta; i++) {
		const struct s3_meta_member *mm = &v->meta[i];
		size_t nlen = strlen(mm->name), ascii = 1;
		char lname[S3_META_NAME_MAX + 1];

		if (nlen > S3_META_NAME_MAX)
			continue;
		for (size_t k = 0; k <= nlen; k++)
			lname[k] = (char)(mm->name[k] >= 'A' && mm->name[k] <= 'Z' ?
			                  mm->name[k] + 32 : mm->name[k]);
		if (!s3_list_has(list, strlen(list), lname, nlen))
			continue;
		for (size_t k = 0; k < mm->len; k++) {
			unsigned char c = (unsigned char)mm->value[k];

			if (s3_is_ctl(c)) {
				s3_response_error(out, 400, "metadata values may not hold "
				                  "control characters");
				return -1;
			}
			ascii &= c < 0x80;
		}
		total += nlen + mm->len;
		if (total > S3_MP_META_TOTAL || m->n == S3_CLIENT_MAX_META) {
			char msg[96];

			snprintf(msg, sizeof msg, "metadata too large (limit %d bytes, %d members)",
			         S3_MP_META_TOTAL, S3_CLIENT_MAX_META);
			s3_response_error(out, 400, msg);
			return -1;
		}
		snprintf(m->name[m->n], sizeof m->name[m->n], "x-amz-meta-%s", lname);
		if (ascii) {
			memcpy(m->value[m->n], mm->value, mm->len + 1);
		} else {
			char *d = m->value[m->n];

			memcpy(d, "=?UTF-8?B?", 10);
			d += 10 + EVP_EncodeBlock((unsigned char *)d + 10,
			                          (const unsigned char *)mm->value, (int)mm->len);
			memcpy(d, "?=", 3);
		}
		m->h[m->n].name = m->name[m->n];
		m->h[m->n].value = m->value[m->n];
		m->n++;
	}
	return 0;
}

void h_mp_create(struct s3_app *app, const struct s3_req_in *in,
                 const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	static struct meta m;
	char id[S3XML_MAX_UPLOAD_ID + 1];
	struct s3_req_values v;
	struct s3_upload u;
	struct s3_client cl;
	struct s3_call_error err;
	cJSON *root = NULL;

	(void)a;
	if (s3_upload_decode(app, in, 0, now, &v, &u, out) || metadata(app, &v, &m, out))
		goto done;
	mp_client(app, &cl);
	if (s3_client_create(&cl, &u.creds, now, &(struct s3_create_in){
	        .key = u.key, .key_len = u.key_len, .content_type = u.type,
	        .content_disposition = u.disposition, .acl = app->cfg.acl,
	        .meta = m.h, .nmeta = m.n }, id, sizeof id, &err)) {
		mp_s3_error(out, "create", &err);
		goto done;
	}
	if (!(root = cJSON_CreateObject()) || !cJSON_AddStringToObject(root, "key", u.key) ||
	    !cJSON_AddStringToObject(root, "uploadId", id) ||
	    !cJSON_AddStringToObject(root, "bucket", app->cfg.bucket)) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		goto done;
	}
	s3_response_json(out, 200, root);
	snprintf(out->message, sizeof out->message, "created %s", u.key);
	s3_creds_warn(u.why, out);
done:
	cJSON_Delete(root);
	s3_req_values_free(&v);
}
