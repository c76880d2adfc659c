/* test_response.c - the JSON answers of cgi/response.c: a response refilled
 * after an answer too long for its inline buffer frees that answer (the
 * allocator's count of bytes in use comes back to where it was; under
 * ASan, LeakSanitizer says the same at exit), and the head it prints. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "response.h"

static size_t in_use(void)
{
	return mallinfo2().uordblks;
}

static void long_answer(struct s3_response *r, char *key, size_t len)
{
	struct s3_signed s = { .file_type = "image/png",
	                       .signed_request = "https://b.s3.amazonaws.com/k?X=1",
	                       .url = "https://b.s3.amazonaws.com/k", .key = key,
	                       .expires_at = "2026-12-02T00:00:00Z" };

	memset(key, 'k', len - 1);
	key[len - 1] = '\0';
	s3_response_ok(r, &s);
}

int main(void)
{
	static char key[S3_RESP_INLINE_BODY + 64];
	struct s3_response r;
	size_t before;

	s3_response_init(&r);
	is_int(r.body_owned, 0, "a new response owns nothing");
	/* warm-up: stdio, and the allocator's caches for cJSON's node sizes */
	long_answer(&r, key, sizeof key);
	s3_response_error(&r, 400, "warm-up");
	s3_response_free(&r);

	before = in_use();
	long_answer(&r, key, sizeof key);
	is_int(r.status, 200, "a long answer is a 200");
	ok(r.body_owned && r.body != r.inline_body, "a long answer is allocated");
	ok(r.body_len > S3_RESP_INLINE_BODY, "and longer than the inline buffer");
	s3_response_error(&r, 502, "refilled");
	is_int(r.status, 502, "the refilled response is the error");
	ok(!r.body_owned && r.body == r.inline_body, "the error is inline");
	ok(strstr(r.body, "\"refilled\"") != NULL, "with its message");
	is_int(in_use(), before, "refilling freed the long answer");

	long_answer(&r, key, sizeof key);
	long_answer(&r, key, sizeof key);
	s3_response_free(&r);
	is_int(in_use(), before, "two long answers in a row, then free: nothing left");
	ok(r.body == NULL && r.body_len == 0 && !r.body_owned, "free leaves it empty");
	s3_response_free(&r);
	ok(1, "a second free is harmless");

	{
		char head[S3_RESP_HEAD_MAX];
		size_t hl;

		s3_response_error(&r, 405, "no");
		hl = s3_response_head(&r, head, sizeof head);
		ok(hl > 0 && strncmp(head, "Status: 405 Method Not Allowed\r\n", 32) == 0,
		   "405 head");
		ok(strstr(head, "\r\nAllow: " S3_RESP_ALLOW "\r\n") != NULL, "405 names Allow");
		s3_response_free(&r);
	}
	return done_testing();
}
