/* fuzz_json.c - the JSON request reader: s3_req_parse on a POST body.
 *
 * Input: byte 0 chooses the request around the body, the rest is the body
 * (copied to a buffer of exactly its size, no terminator: the parser must
 * never read past body_len).
 *   bits 0-2  Content-Type: a table of JSON types with charset and other
 *             parameters; 7 = the Content-Type is the body up to its first
 *             '\n' (the rest is the body)
 *   bits 3-4  0-2 POST, 3 GET (the body, to its first NUL, is the query)
 * Checks: fuzz_req.h, plus: a POST body with a NUL byte or invalid UTF-8 is
 * never accepted, and parsing the same input twice gives the same result. */
#include "fuzz_req.h"

static const char *const ctypes[7] = {
	"application/json",
	"application/json; charset=utf-8",
	"APPLICATION/JSON;charset=\"UTF-8\"",
	"application/json;charset=us-ascii;x=\"a\\\"b\"",
	"application/json; charset=utf-16",
	"application/json; foo",
	"application/x-www-form-urlencoded",
};

static enum s3_req_status parse(const struct s3_req_in *in, struct s3_req_fields *f,
				char *msg)
{
	return check_req_result(s3_req_parse(in, f, msg, FUZZ_MSGCAP), f, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_req_fields f, g;
	struct s3_req_in in = { 0 };
	char msg[FUZZ_MSGCAP], msg2[FUZZ_MSGCAP], *ct = NULL, *body, *query = NULL;
	enum s3_req_status st, st2;
	unsigned sel, ci;

	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	ci = sel & 7;
	if (ci == 7) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;

		ct = fuzz_strndup(data, n);
		data += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
	body = fuzz_dup_exact(data, size);
	in.method = ((sel >> 3) & 3) == 3 ? "GET" : "POST";
	in.content_type = ct ? ct : ctypes[ci];
	if (!strcmp(in.method, "GET"))
		query = fuzz_strndup(data, size);
	in.query = query;
	in.body = body;
	in.body_len = size;

	st = parse(&in, &f, msg);
	if (st == S3_REQ_OK && !strcmp(in.method, "POST") && ci < 4) {
		CHECK(!memchr(body, '\0', size), "a JSON body with a NUL byte was accepted");
		CHECK(ref_utf8_valid(body, size), "a JSON body that is not UTF-8 was accepted");
	}
	/* the parser keeps no state: the same input, the same answer */
	st2 = parse(&in, &g, msg2);
	CHECK(st == st2, "second parse: status %d, first %d", (int)st2, (int)st);
	CHECK(!strcmp(msg, msg2), "second parse: message differs");
	if (st == S3_REQ_OK) {
		CHECK(f.file_name_len == g.file_name_len &&
		      !memcmp(f.file_name, g.file_name, f.file_name_len), "file_name differs");
		CHECK(f.file_type_len == g.file_type_len &&
		      (!f.file_type || !memcmp(f.file_type, g.file_type, f.file_type_len)),
		      "file_type differs");
	}
	s3_req_fields_free(&f);
	s3_req_fields_free(&g);
	CHECK(f.file_name == NULL && f.file_name_len == 0, "free did not zero");
	free(body);
	free(query);
	free(ct);
	return 0;
}
