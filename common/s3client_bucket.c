/* s3client_bucket.c - the bucket calls of the S3 client: HeadBucket,
 * GetBucketLocation, GetBucketCors (see s3client.h), over the request
 * path of the multipart and object calls (s3client_int.h), with the key
 * left out: the bucket's own path. */
#include "s3client_int.h"

#include <stdio.h>
#include <string.h>

/* A region value from a header or a document: S3's region names only
 * (a-z 0-9 -), else "". */
static void set_region(char out[S3XML_MAX_REGION + 1], const char *v)
{
	size_t n = v ? strlen(v) : 0;

	out[0] = '\0';
	if (!n || n > S3XML_MAX_REGION || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return;
	memcpy(out, v, n + 1);
}

enum s3_err s3_client_head_bucket(const struct s3_client *cl, const struct s3_creds *c,
                                  time_t now, struct s3_bucket_answer *out,
                                  struct s3_call_error *err)
{
	static const char op[] = "HeadBucket";
	static const char *const want[] = { "x-amz-bucket-region" };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k = {
		.op = op, .method = "HEAD", .want = want, .nwant = 1, .keep_answer = 1,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (!cl || !out)
		return s3c_fail(err, 500, 0, op, "arguments", S3_ERR_INVAL);
	memset(out, 0, sizeof *out);
	e = s3c_perform(cl, c, now, &k, &rs, err);
	out->status = (int)rs.status;
	set_region(out->region, rs.header_values[1]);
	if (e == S3_ERR_REMOTE && !err->code[0] && err->s3_status == 404)
		snprintf(err->code, sizeof err->code, "NoSuchBucket");
	if (e == S3_ERR_REMOTE && !err->code[0] && err->s3_status == 301)
		snprintf(err->code, sizeof err->code, "PermanentRedirect");
	s3_http_response_free(&rs);
	return e;
}

enum s3_err s3_client_bucket_region(const struct s3_client *cl, const struct s3_creds *c,
                                    time_t now, struct s3_bucket_answer *out,
                                    struct s3_call_error *err)
{
	static const char op[] = "GetBucketLocation";
	static const char *const want[] = { "x-amz-bucket-region" };
	struct sigv4_param p[] = { { "location", "" } };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3xml_error xe;
	char region[S3XML_MAX_REGION + 1];
	struct s3c_call k = {
		.op = op, .method = "GET", .params = p, .nparams = 1, .want = want, .nwant = 1,
		.keep_answer = 1,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (!cl || !out)
		return s3c_fail(err, 500, 0, op, "arguments", S3_ERR_INVAL);
	memset(out, 0, sizeof *out);
	e = s3c_perform(cl, c, now, &k, &rs, err);
	out->status = (int)rs.status;
	set_region(out->region, rs.header_values[1]);
	if (e == S3_OK) {
		if (s3xml_location(rs.body, rs.len, region) == S3_OK)
			set_region(out->region, region);
		else
			e = s3c_fail(err, 502, (int)rs.status, op, "not a LocationConstraint", S3_ERR_PARSE);
	} else if (!out->region[0] && rs.body && s3xml_error(rs.body, rs.len, &xe) == 1) {
		set_region(out->region, xe.region);
	}
	s3_http_response_free(&rs);
	return e;
}

enum s3_err s3_client_get_cors(const struct s3_client *cl, const struct s3_creds *c,
                               time_t now, struct s3xml_cors *out, struct s3_call_error *err)
{
	static const char op[] = "GetBucketCors";
	struct sigv4_param p[] = { { "cors", "" } };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k = {
		.op = op, .method = "GET", .params = p, .nparams = 1, .max_body = S3XML_MAX_BODY,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (!cl || !out)
		return s3c_fail(err, 500, 0, op, "arguments", S3_ERR_INVAL);
	memset(out, 0, sizeof *out);
	if ((e = s3c_perform(cl, c, now, &k, &rs, err)))
		return e;
	if ((e = s3xml_cors(rs.body, rs.len, out)))
		s3c_fail(err, 502, (int)rs.status, op, e == S3_ERR_NOMEM ? "out of memory" :
		     "not a CORSConfiguration within the limits", e);
	s3_http_response_free(&rs);
	return e;
}
