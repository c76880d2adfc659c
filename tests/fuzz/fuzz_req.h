/* fuzz_req.h - the invariants of s3_req_parse (cgi/request.h), checked
 * after every call by fuzz_form and fuzz_json. */
#ifndef SIGN_S3_FUZZ_REQ_H
#define SIGN_S3_FUZZ_REQ_H

#include "fuzz_util.h"
#include "request.h"

#define FUZZ_MSGCAP 128

static inline void check_field(const char *what, const char *v, size_t len, size_t limit)
{
	if (!v) {
		CHECK(len == 0, "%s absent but length %zu", what, len);
		return;
	}
	CHECK(len > 0, "%s present but empty (an empty value counts as absent)", what);
	CHECK(len <= limit, "%s is %zu bytes, over its limit %zu", what, len, limit);
	CHECK(strlen(v) == len, "%s: length %zu but strlen %zu (NUL inside or length wrong)",
	      what, len, strlen(v));
	CHECK(ref_utf8_valid(v, len), "%s is not valid UTF-8", what);
}

/* Checks st/f/msg after s3_req_parse; returns st. */
static inline enum s3_req_status check_req_result(enum s3_req_status st,
						  const struct s3_req_fields *f,
						  const char *msg)
{
	static const struct s3_req_fields zero;
	int http = s3_req_status_http(st);

	CHECK(st == S3_REQ_OK || st == S3_REQ_BAD || st == S3_REQ_METHOD ||
	      st == S3_REQ_TOO_LARGE || st == S3_REQ_MEDIA_TYPE || st == S3_REQ_INTERNAL,
	      "status %d outside the enum", (int)st);
	CHECK(http == 200 || http == 400 || http == 405 || http == 413 || http == 415 ||
	      http == 500, "HTTP status %d", http);
	CHECK(fuzz_msg_ok(msg, FUZZ_MSGCAP), "message not printable ASCII: \"%s\"", msg);
	if (st != S3_REQ_OK) {
		CHECK(memcmp(f, &zero, sizeof zero) == 0, "fields not zeroed after a refusal");
		CHECK(*msg, "refusal (status %d) without a message", (int)st);
		return st;
	}
	CHECK(f->file_name != NULL, "OK without file_name");
	check_field("file_name", f->file_name, f->file_name_len, S3_REQ_MAX_FIELD);
	check_field("file_type", f->file_type, f->file_type_len, S3_REQ_MAX_FIELD);
	check_field("file_head", f->file_head, f->file_head_len, S3_REQ_MAX_HEAD_FIELD);
	return st;
}

#endif
