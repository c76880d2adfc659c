/* s3client_obj.c - the object calls of the S3 client: HeadObject, a
 * ranged GetObject, DeleteObject (see s3client.h), over the same request
 * path as the multipart calls (s3client_int.h). */
#include "s3client_int.h"
#include "syntax.h"

#include <stdio.h>
#include <string.h>

/* A Content-Length: decimal digits only, no overflow. */
static int parse_size(const char *s, unsigned long long *out)
{
	return s ? s3_decimal(s, strlen(s), ~0ULL, out) : -1;
}

/* A header value into out (cap bytes with its NUL); "" when absent. */
static int copy_value(char *out, size_t cap, const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n >= cap)
		return -1;
	memcpy(out, v ? v : "", n);
	out[n] = '\0';
	return 0;
}

enum s3_err s3_client_head(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                           const char *key, size_t key_len, struct s3_object_head *out,
                           struct s3_call_error *err)
{
	static const char op[] = "HeadObject";
	static const char *const want[] = {
		"content-length", "etag", "content-type", "content-disposition",
	};
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k = {
		.op = op, .method = "HEAD", .key = key, .key_len = key_len,
		.want = want, .nwant = 4,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (!cl || !out)
		return s3c_fail(err, 500, 0, op, "arguments", S3_ERR_INVAL);
	memset(out, 0, sizeof *out);
	if ((e = s3c_perform(cl, c, now, &k, &rs, err))) {
		/* no body to name the error: a 404 is the key */
		if (e == S3_ERR_REMOTE && err->s3_status == 404 && !err->code[0]) {
			snprintf(err->code, sizeof err->code, "NoSuchKey");
			err->status = 404;
		}
		return e;
	}
	e = S3_OK;
	if (parse_size(rs.header_values[1], &out->size))
		e = s3c_fail(err, 502, (int)rs.status, op, "no valid Content-Length in S3's answer",
		         S3_ERR_PARSE);
	else if (copy_value(out->etag, sizeof out->etag, rs.header_values[2]) ||
	         copy_value(out->content_type, sizeof out->content_type, rs.header_values[3]) ||
	         copy_value(out->content_disposition, sizeof out->content_disposition,
	                    rs.header_values[4]))
		e = s3c_fail(err, 502, (int)rs.status, op, "a header too long in S3's answer",
		         S3_ERR_TOOLONG);
	if (e)
		memset(out, 0, sizeof *out);
	s3_http_response_free(&rs);
	return e;
}

enum s3_err s3_client_get_range(const struct s3_client *cl, const struct s3_creds *c,
                                time_t now, const char *key, size_t key_len, void *buf,
                                size_t cap, size_t *len, struct s3_call_error *err)
{
	static const char op[] = "GetObject";
	char range[48];
	struct sigv4_header hd[1] = { { "Range", range } };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k = {
		.op = op, .method = "GET", .key = key, .key_len = key_len,
		.headers = hd, .nheaders = 1, .max_body = cap,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (len)
		*len = 0;
	if (!cl || !buf || !len || cap == 0 || cap > S3_CLIENT_MAX_RANGE)
		return s3c_fail(err, 500, 0, op, "arguments", S3_ERR_INVAL);
	snprintf(range, sizeof range, "bytes=0-%zu", cap - 1);
	if ((e = s3c_perform(cl, c, now, &k, &rs, err))) {
		if (e == S3_ERR_REMOTE && err->s3_status == 416) {   /* an empty object */
			memset(err, 0, sizeof *err);
			return S3_OK;
		}
		return e;
	}
	if (rs.len > cap) {      /* the HTTP client refuses it first; never truncated */
		s3_http_response_free(&rs);
		return s3c_fail(err, 502, 200, op, "more bytes than asked for", S3_ERR_TOOLONG);
	}
	memcpy(buf, rs.body ? rs.body : "", rs.len);
	*len = rs.len;
	s3_http_response_free(&rs);
	return S3_OK;
}

enum s3_err s3_client_delete(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                             const char *key, size_t key_len, struct s3_call_error *err)
{
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k = {
		.op = "DeleteObject", .method = "DELETE", .key = key, .key_len = key_len,
	};
	enum s3_err e;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	if (!cl)
		return s3c_fail(err, 500, 0, k.op, "arguments", S3_ERR_INVAL);
	if ((e = s3c_perform(cl, c, now, &k, &rs, err)))
		return e;
	s3_http_response_free(&rs);
	return S3_OK;
}
