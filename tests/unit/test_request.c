/* test_request.c - request decoding: methods, content types, JSON, forms,
 * query strings, limits, Content-Length. Every body is copied into a malloc
 * of exactly its length (no terminator), so an over-read trips ASan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "response.h"
#include "tap.h"

#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"
#define OK_  S3_REQ_OK
#define BAD  S3_REQ_BAD
#define MTH  S3_REQ_METHOD
#define MED  S3_REQ_MEDIA_TYPE

/* A body literal with its exact length (embedded NULs included). */
#define B(s)   s, sizeof(s) - 1
#define NOBODY NULL, 0

/* Nesting helpers: 8 and 32 brackets. */
#define L8  "[[[[[[[["
#define R8  "]]]]]]]]"
#define L32 L8 L8 L8 L8
#define R32 R8 R8 R8 R8

static const char msg_media[] = "unsupported content type";

struct tcase {
	const char *name;
	const char *method, *ctype, *query;
	const char *body;
	size_t body_len;
	enum s3_req_status want;
	const char *file_name, *file_type, *file_head;  /* NULL: absent */
	const char *msg;                                 /* substring on failure */
};

static const struct tcase cases[] = {
	/* ---- valid JSON ---- */
	{ "json name+type", "POST", JSON, NULL,
	  B("{\"file_name\":\"a.txt\",\"file_type\":\"text/plain\"}"),
	  OK_, "a.txt", "text/plain", NULL, NULL },
	{ "json name only", "POST", JSON, NULL, B("{\"file_name\":\"a.txt\"}"),
	  OK_, "a.txt", NULL, NULL, NULL },
	{ "json file_head", "POST", JSON, NULL,
	  B("{\"file_head\":\"iVBORw0K\",\"file_name\":\"x.png\"}"),
	  OK_, "x.png", NULL, "iVBORw0K", NULL },
	{ "json unknown members ignored", "POST", JSON, NULL,
	  B("{\"a\":1,\"b\":[1,{\"c\":null}],\"file_name\":\"n\",\"d\":{\"file_name\":5},\"e\":true}"),
	  OK_, "n", NULL, NULL, NULL },
	{ "json escapes", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\\u00e9\\\"b\\\\c\\/d\\t\"}"),
	  OK_, "a\xc3\xa9\"b\\c/d\t", NULL, NULL, NULL },
	{ "json surrogate pair", "POST", JSON, NULL,
	  B("{\"file_name\":\"\\ud83d\\ude00.png\"}"),
	  OK_, "\xf0\x9f\x98\x80.png", NULL, NULL, NULL },
	{ "json raw UTF-8", "POST", JSON, NULL,
	  B("{\"file_name\":\"r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.pdf\"}"),
	  OK_, "r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80.pdf", NULL, NULL, NULL },
	{ "json whitespace around", "POST", JSON, NULL,
	  B(" \r\n\t{ \"file_name\" : \"a\" }\n\n "), OK_, "a", NULL, NULL, NULL },
	{ "json empty file_type is absent", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_type\":\"\"}"), OK_, "a", NULL, NULL, NULL },
	{ "json escaped key", "POST", JSON, NULL,
	  B("{\"file\\u005fname\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "json \\u0000 in unknown member ok", "POST", JSON, NULL,
	  B("{\"x\":\"a\\u0000b\",\"file_name\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "json escaped backslash before u0000", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\\\\u0000\"}"), OK_, "a\\u0000", NULL, NULL, NULL },
	{ "json brackets inside strings", "POST", JSON, NULL,
	  B("{\"file_name\":\"" L32 L32 "\"}"), OK_, L32 L32, NULL, NULL, NULL },
	{ "json depth 32 ok", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"x\":" L8 L8 L8 "[[[[[[[" "]]]]]]]" R8 R8 R8 "}"),
	  OK_, "a", NULL, NULL, NULL },
	/* ---- content types ---- */
	{ "ct charset=utf-8", "POST", JSON "; charset=utf-8", NULL,
	  B("{\"file_name\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "ct case + quoted charset", "POST", "Application/JSON;Charset=\"UTF-8\"", NULL,
	  B("{\"file_name\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "ct us-ascii, ows, other params", "POST", "  application/json \t; foo=bar ;charset=US-ASCII ; x=\"a;b\\\"\" ", NULL,
	  B("{\"file_name\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "ct empty parameters", "POST", JSON ";;", NULL,
	  B("{\"file_name\":\"a\"}"), OK_, "a", NULL, NULL, NULL },
	{ "ct no content type", "POST", NULL, NULL, B("{\"file_name\":\"a\"}"),
	  MED, NULL, NULL, NULL, msg_media },
	{ "ct text/plain", "POST", "text/plain", NULL, B("{\"file_name\":\"a\"}"),
	  MED, NULL, NULL, NULL, msg_media },
	{ "ct multipart", "POST", "multipart/form-data; boundary=x", NULL, B("x"),
	  MED, NULL, NULL, NULL, msg_media },
	{ "ct prefix only", "POST", "application/jsonx", NULL, B("{\"file_name\":\"a\"}"),
	  MED, NULL, NULL, NULL, msg_media },
	{ "ct empty", "POST", "", NULL, B("{\"file_name\":\"a\"}"),
	  MED, NULL, NULL, NULL, msg_media },
	{ "ct charset latin1", "POST", JSON "; charset=iso-8859-1", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "charset" },
	{ "ct charset quoted utf-16", "POST", FORM "; charset=\"utf-16\"", NULL,
	  B("file_name=a"), MED, NULL, NULL, NULL, "charset" },
	{ "ct charset long", "POST", JSON "; charset=utf-8utf-8utf-8utf-8", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "charset" },
	{ "ct param without value", "POST", JSON "; charset", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "Content-Type" },
	{ "ct param without name", "POST", JSON "; =utf-8", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "Content-Type" },
	{ "ct unterminated quote", "POST", JSON "; charset=\"utf-8", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "Content-Type" },
	{ "ct space around =", "POST", JSON "; charset = utf-8", NULL,
	  B("{\"file_name\":\"a\"}"), MED, NULL, NULL, NULL, "Content-Type" },
	/* ---- methods ---- */
	{ "method PUT", "PUT", JSON, NULL, B("{\"file_name\":\"a\"}"),
	  MTH, NULL, NULL, NULL, "method not allowed" },
	{ "method lowercase post", "post", JSON, NULL, B("{\"file_name\":\"a\"}"),
	  MTH, NULL, NULL, NULL, "method not allowed" },
	{ "method OPTIONS", "OPTIONS", NULL, NULL, NOBODY,
	  MTH, NULL, NULL, NULL, "method not allowed" },
	{ "method HEAD", "HEAD", NULL, "file_name=a", NOBODY,
	  MTH, NULL, NULL, NULL, "method not allowed" },
	{ "method NULL", NULL, NULL, "file_name=a", NOBODY,
	  MTH, NULL, NULL, NULL, "method not allowed" },
	/* ---- JSON refusals ---- */
	{ "json empty body", "POST", JSON, NULL, NOBODY,
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json array", "POST", JSON, NULL, B("[{\"file_name\":\"a\"}]"),
	  BAD, NULL, NULL, NULL, "must be an object" },
	{ "json string", "POST", JSON, NULL, B("\"a\""),
	  BAD, NULL, NULL, NULL, "must be an object" },
	{ "json null", "POST", JSON, NULL, B("null"),
	  BAD, NULL, NULL, NULL, "must be an object" },
	{ "json trailing garbage", "POST", JSON, NULL, B("{\"file_name\":\"a\"}x"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json two values", "POST", JSON, NULL, B("{\"file_name\":\"a\"} {}"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json truncated", "POST", JSON, NULL, B("{\"file_name\":\"a"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json trailing comma", "POST", JSON, NULL, B("{\"file_name\":\"a\",}"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json duplicate file_name", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_name\":\"b\"}"),
	  BAD, NULL, NULL, NULL, "duplicate field file_name" },
	{ "json duplicate file_type via escape", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_type\":\"x/y\",\"file\\u005ftype\":\"x/z\"}"),
	  BAD, NULL, NULL, NULL, "duplicate field file_type" },
	{ "json file_name number", "POST", JSON, NULL, B("{\"file_name\":5}"),
	  BAD, NULL, NULL, NULL, "file_name must be a string" },
	{ "json file_type null", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_type\":null}"),
	  BAD, NULL, NULL, NULL, "file_type must be a string" },
	{ "json file_head object", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_head\":{}}"),
	  BAD, NULL, NULL, NULL, "file_head must be a string" },
	{ "json file_name empty", "POST", JSON, NULL, B("{\"file_name\":\"\"}"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "json no file_name", "POST", JSON, NULL, B("{\"file_type\":\"a/b\"}"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "json depth 33", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"x\":" L32 R32 "}"),
	  BAD, NULL, NULL, NULL, "nested too deeply" },
	{ "json very deep unbalanced", "POST", JSON, NULL, B(L32 L32 L32),
	  BAD, NULL, NULL, NULL, "nested too deeply" },
	{ "json raw NUL in string", "POST", JSON, NULL, B("{\"file_name\":\"a\0b\"}"),
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "json raw NUL after value", "POST", JSON, NULL, B("{\"file_name\":\"a\"}\0"),
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "json \\u0000 in file_name", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\\u0000.exe\"}"), BAD, NULL, NULL, NULL, "NUL byte" },
	{ "json \\u0000 in file_type", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"file_type\":\"\\u0000\"}"),
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "json \\u0000 in key is another key", "POST", JSON, NULL,
	  B("{\"file_name\\u0000x\":\"a\"}"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "json lone high surrogate", "POST", JSON, NULL,
	  B("{\"file_name\":\"\\ud800\"}"), BAD, NULL, NULL, NULL, "invalid" },
	{ "json lone low surrogate", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\\udc00b\"}"), BAD, NULL, NULL, NULL, "invalid" },
	{ "json high surrogate + non-low", "POST", JSON, NULL,
	  B("{\"file_name\":\"\\ud800\\u0041\"}"), BAD, NULL, NULL, NULL, "invalid" },
	{ "json truncated UTF-8", "POST", JSON, NULL, B("{\"file_name\":\"\xc3\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json overlong UTF-8", "POST", JSON, NULL, B("{\"file_name\":\"\xc0\xaf\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json overlong 3-byte", "POST", JSON, NULL, B("{\"file_name\":\"\xe0\x80\xaf\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json raw surrogate", "POST", JSON, NULL, B("{\"file_name\":\"\xed\xa0\x80\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json above U+10FFFF", "POST", JSON, NULL, B("{\"file_name\":\"\xf4\x90\x80\x80\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json 0xFF byte", "POST", JSON, NULL, B("{\"file_name\":\"\xff\"}"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json bad UTF-8 in unknown member", "POST", JSON, NULL,
	  B("{\"file_name\":\"a\",\"x\":\"\xe2\x82\"}"), BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json UTF-8 cut at body end", "POST", JSON, NULL, B("{\"file_name\":\"a\"}\xf0\x9f"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "json backslash at body end", "POST", JSON, NULL, B("{\"file_name\":\"\\"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	{ "json \\u000 at body end", "POST", JSON, NULL, B("{\"file_name\":\"\\u000"),
	  BAD, NULL, NULL, NULL, "invalid JSON" },
	/* ---- forms ---- */
	{ "form basic", "POST", FORM, NULL, B("file_name=a.txt&file_type=text%2Fplain"),
	  OK_, "a.txt", "text/plain", NULL, NULL },
	{ "form plus and %20", "POST", FORM, NULL, B("file_name=my+file%20x%2B1.txt"),
	  OK_, "my file x+1.txt", NULL, NULL, NULL },
	{ "form hex either case", "POST", FORM, NULL, B("file_name=r%c3%A9sum%C3%a9"),
	  OK_, "r\xc3\xa9sum\xc3\xa9", NULL, NULL, NULL },
	{ "form field without =", "POST", FORM, NULL, B("file_type&file_name=a"),
	  OK_, "a", NULL, NULL, NULL },
	{ "form empty segments", "POST", FORM, NULL, B("&&file_name=a&&&file_head=QQ%3D%3D&"),
	  OK_, "a", NULL, "QQ==", NULL },
	{ "form unknown fields", "POST", FORM, NULL, B("x=1&y&file_name=a&z=%00"),
	  OK_, "a", NULL, NULL, NULL },
	{ "form encoded name", "POST", FORM, NULL, B("file%5Fname=a&file_typ%65=b/c"),
	  OK_, "a", "b/c", NULL, NULL },
	{ "form value with =", "POST", FORM, NULL, B("file_name=a=b"),
	  OK_, "a=b", NULL, NULL, NULL },
	{ "form charset", "POST", "Application/X-WWW-Form-URLEncoded; charset=UTF-8", NULL,
	  B("file_name=a"), OK_, "a", NULL, NULL, NULL },
	{ "form ignores JSON", "POST", FORM, NULL, B("{\"file_name\":\"a\"}"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "form empty body", "POST", FORM, NULL, NOBODY,
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "form file_name empty", "POST", FORM, NULL, B("file_name=&file_type=a/b"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "form %2 at end", "POST", FORM, NULL, B("file_name=a%2"),
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "form % at end", "POST", FORM, NULL, B("file_name=a%"),
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "form %zz", "POST", FORM, NULL, B("file_name=%zz"),
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "form %2g", "POST", FORM, NULL, B("file_name=%2g1"),
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "form bad escape in unknown name", "POST", FORM, NULL, B("file_name=a&x%=1"),
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "form %E2%82 truncated", "POST", FORM, NULL, B("file_name=%E2%82"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "form %C0%AF overlong", "POST", FORM, NULL, B("file_name=%C0%AF"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "form %ED%A0%80 surrogate", "POST", FORM, NULL, B("file_name=a&file_type=%ED%A0%80"),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "form raw bad UTF-8", "POST", FORM, NULL, B("file_name=\xc3("),
	  BAD, NULL, NULL, NULL, "invalid UTF-8" },
	{ "form %00", "POST", FORM, NULL, B("file_name=a%00.exe"),
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "form raw NUL", "POST", FORM, NULL, B("file_name=a\0b"),
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "form duplicate", "POST", FORM, NULL, B("file_name=a&file_name=a"),
	  BAD, NULL, NULL, NULL, "duplicate field file_name" },
	{ "form duplicate empty type", "POST", FORM, NULL, B("file_name=a&file_type&file_type=x"),
	  BAD, NULL, NULL, NULL, "duplicate field file_type" },
	/* ---- GET ---- */
	{ "get basic", "GET", NULL, "file_name=a.txt&file_type=image%2Fpng", NOBODY,
	  OK_, "a.txt", "image/png", NULL, NULL },
	{ "get ignores body and type", "GET", "text/plain", "file_name=q",
	  B("{\"file_name\":\"b\"}"), OK_, "q", NULL, NULL, NULL },
	{ "get no query", "GET", NULL, NULL, NOBODY,
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "get empty query", "GET", NULL, "", NOBODY,
	  BAD, NULL, NULL, NULL, "file_name is required" },
	{ "get bad escape", "GET", NULL, "file_name=%zz", NOBODY,
	  BAD, NULL, NULL, NULL, "invalid percent-encoding" },
	{ "get %00", "GET", NULL, "file_name=%00", NOBODY,
	  BAD, NULL, NULL, NULL, "NUL byte" },
	{ "post ignores query", "POST", FORM, "file_name=q", B("file_type=a/b"),
	  BAD, NULL, NULL, NULL, "file_name is required" },
};

static int zeroed(const struct s3_req_fields *f)
{
	return !f->file_name && !f->file_type && !f->file_head &&
	       !f->file_name_len && !f->file_type_len && !f->file_head_len;
}

/* A field matches when both are absent, or equal with the right length. */
static int field_is(const char *got, size_t got_len, const char *want)
{
	if (!got || !want)
		return got == want && got_len == 0;
	return strlen(got) == got_len && strcmp(got, want) == 0;
}

/* Runs one request with the body in an unterminated heap copy. */
static enum s3_req_status run(const char *method, const char *ctype,
			      const char *query, const char *body, size_t len,
			      struct s3_req_fields *f, char *msg, size_t msgcap)
{
	struct s3_req_in in = { .method = method, .content_type = ctype, .query = query,
	                        .body_len = len };
	enum s3_req_status st;
	char *copy = NULL;

	if (body) {
		copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, body, len);
		in.body = copy;
	}
	st = s3_req_parse(&in, f, msg, msgcap);
	free(copy);
	return st;
}

static void check_case(const struct tcase *t)
{
	struct s3_req_fields f;
	char msg[256];
	enum s3_req_status st;

	memset(&f, 0xA5, sizeof f);     /* parse must not trust the input */
	st = run(t->method, t->ctype, t->query, t->body, t->body_len, &f,
		 msg, sizeof msg);
	is_int(st, t->want, "%s: status", t->name);
	if (t->want == S3_REQ_OK) {
		ok(field_is(f.file_name, f.file_name_len, t->file_name) &&
		   field_is(f.file_type, f.file_type_len, t->file_type) &&
		   field_is(f.file_head, f.file_head_len, t->file_head),
		   "%s: fields", t->name);
		is_str(msg, "", "%s: no message", t->name);
	} else {
		ok(zeroed(&f), "%s: fields zeroed", t->name);
		ok(t->msg && strstr(msg, t->msg), "%s: message '%s'",
		   t->name, msg);
	}
	if (st != t->want)
		diag("msg: %s", msg);
	s3_req_fields_free(&f);
}

/* "name=" followed by n copies of c, then rest. */
static char *repeat(const char *name, char c, size_t n, const char *rest)
{
	size_t a = strlen(name), r = strlen(rest);
	char *s = malloc(a + n + r + 1);

	if (!s)
		abort();
	memcpy(s, name, a);
	memset(s + a, c, n);
	memcpy(s + a + n, rest, r + 1);
	return s;
}

struct lcase {
	const char *name;
	const char *method, *ctype, *prefix;
	char fill;
	size_t n;
	const char *suffix;
	enum s3_req_status want;
	size_t name_len;     /* expected file_name_len on success */
	const char *msg;
};

/* Generated inputs: field limits, the query limit. */
static const struct lcase lcases[] = {
	{ "json file_name at limit", "POST", JSON, "{\"file_name\":\"", 'a',
	  S3_REQ_MAX_FIELD, "\"}", OK_, S3_REQ_MAX_FIELD, NULL },
	{ "json file_name over limit", "POST", JSON, "{\"file_name\":\"", 'a',
	  S3_REQ_MAX_FIELD + 1, "\"}", BAD, 0, "file_name too long (limit 4096 bytes)" },
	{ "json file_type over limit", "POST", JSON, "{\"file_name\":\"a\",\"file_type\":\"", 'a',
	  S3_REQ_MAX_FIELD + 1, "\"}", BAD, 0, "file_type too long (limit 4096 bytes)" },
	{ "json file_head at limit", "POST", JSON, "{\"file_name\":\"a\",\"file_head\":\"", 'A',
	  S3_REQ_MAX_HEAD_FIELD, "\"}", OK_, 1, NULL },
	{ "json file_head over limit", "POST", JSON, "{\"file_name\":\"a\",\"file_head\":\"", 'A',
	  S3_REQ_MAX_HEAD_FIELD + 1, "\"}", BAD, 0, "file_head too long (limit 8192 bytes)" },
	{ "form file_name at limit", "POST", FORM, "file_name=", 'b',
	  S3_REQ_MAX_FIELD, "", OK_, S3_REQ_MAX_FIELD, NULL },
	{ "form file_name over limit", "POST", FORM, "file_name=", 'b',
	  S3_REQ_MAX_FIELD + 1, "", BAD, 0, "file_name too long" },
	{ "form limit counts decoded bytes", "POST", FORM, "file_name=", '+',
	  S3_REQ_MAX_FIELD, "", OK_, S3_REQ_MAX_FIELD, NULL },
	{ "form file_head over limit", "POST", FORM, "file_name=a&file_head=", 'A',
	  S3_REQ_MAX_HEAD_FIELD + 1, "", BAD, 0, "file_head too long" },
	{ "get query at limit", "GET", NULL, "file_name=a&x=", 'x',
	  S3_REQ_MAX_QUERY - 14, "", OK_, 1, NULL },
	{ "get query over limit", "GET", NULL, "file_name=a&x=", 'x',
	  S3_REQ_MAX_QUERY - 13, "", BAD, 0, "query string too long" },
};

static void check_lcase(const struct lcase *t)
{
	char *s = repeat(t->prefix, t->fill, t->n, t->suffix);
	int get = strcmp(t->method, "GET") == 0;
	struct s3_req_fields f;
	char msg[256];
	enum s3_req_status st;

	st = run(t->method, t->ctype, get ? s : NULL, get ? NULL : s,
		 get ? 0 : strlen(s), &f, msg, sizeof msg);
	is_int(st, t->want, "%s: status", t->name);
	if (t->want == S3_REQ_OK)
		is_int(f.file_name_len, t->name_len, "%s: length", t->name);
	else
		ok(zeroed(&f) && strstr(msg, t->msg), "%s: '%s'", t->name, msg);
	s3_req_fields_free(&f);
	free(s);
}

/* n fields "x=1&" before file_name=a (form) or n members (JSON). */
static void check_field_count(size_t n, int json, enum s3_req_status want)
{
	size_t cap = 16 * n + 64, len = 0, i;
	char *s = malloc(cap), msg[256];
	struct s3_req_fields f;
	enum s3_req_status st;

	if (!s)
		abort();
	if (json)
		len += (size_t)snprintf(s, cap, "{");
	for (i = 0; i + 1 < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
					json ? "\"x%zu\":1," : "x%zu=1&", i);
	len += (size_t)snprintf(s + len, cap - len,
				json ? "\"file_name\":\"a\"}" : "file_name=a");
	st = run("POST", json ? JSON : FORM, NULL, s, len, &f, msg, sizeof msg);
	is_int(st, want, "%s with %zu fields", json ? "json" : "form", n);
	if (want != S3_REQ_OK)
		ok(strstr(msg, "too many fields") != NULL, "too many: '%s'", msg);
	s3_req_fields_free(&f);
	free(s);
}

struct len_case {
	const char *in;
	size_t max;
	enum s3_req_status want;
	size_t len;
	const char *msg;
};

static const struct len_case len_cases[] = {
	{ NULL, 100, OK_, 0, NULL },
	{ "", 100, OK_, 0, NULL },
	{ "0", 100, OK_, 0, NULL },
	{ "42", 100, OK_, 42, NULL },
	{ "0042", 100, OK_, 42, NULL },
	{ "100", 100, OK_, 100, NULL },
	{ "16384", S3_REQ_MAX_BODY_DEFAULT, OK_, 16384, NULL },
	{ "101", 100, S3_REQ_TOO_LARGE, 0, "request body too large (limit 100 bytes)" },
	{ "16385", S3_REQ_MAX_BODY_DEFAULT, S3_REQ_TOO_LARGE, 0, "limit 16384 bytes" },
	{ "18446744073709551615", SIZE_MAX, OK_, SIZE_MAX, NULL },
	{ "18446744073709551616", SIZE_MAX, BAD, 0, "invalid Content-Length" },
	{ "99999999999999999999999", 100, BAD, 0, "invalid Content-Length" },
	{ "-1", 100, BAD, 0, "invalid Content-Length" },
	{ "+1", 100, BAD, 0, "invalid Content-Length" },
	{ " 1", 100, BAD, 0, "invalid Content-Length" },
	{ "1 ", 100, BAD, 0, "invalid Content-Length" },
	{ "1,1", 100, BAD, 0, "invalid Content-Length" },
	{ "0x10", 100, BAD, 0, "invalid Content-Length" },
	{ "1e3", 100, BAD, 0, "invalid Content-Length" },
	{ "abc", 100, BAD, 0, "invalid Content-Length" },
};

static void check_len_case(const struct len_case *t)
{
	size_t len = 777;
	char msg[128];
	enum s3_req_status st;

	st = s3_req_check_length(t->in, t->max, &len, msg, sizeof msg);
	is_int(st, t->want, "Content-Length '%s': status", t->in ? t->in : "(null)");
	is_int(len, t->len, "Content-Length '%s': length", t->in ? t->in : "(null)");
	if (t->msg)
		ok(strstr(msg, t->msg) != NULL, "Content-Length msg '%s'", msg);
	else
		is_str(msg, "", "Content-Length no message");
}

static void check_status(void)
{
	static const struct {
		enum s3_req_status s;
		int http;
		const char *text;
	} t[] = {
		{ S3_REQ_OK, 200, "OK" },
		{ S3_REQ_BAD, 400, "Bad Request" },
		{ S3_REQ_METHOD, 405, "Method Not Allowed" },
		{ S3_REQ_TOO_LARGE, 413, "Payload Too Large" },
		{ S3_REQ_MEDIA_TYPE, 415, "Unsupported Media Type" },
		{ S3_REQ_INTERNAL, 500, "Internal Server Error" },
		{ (enum s3_req_status)99, 500, "Internal Server Error" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		is_int(s3_req_status_http(t[i].s), t[i].http, "status %zu http", i);
		is_str(s3_http_reason(s3_req_status_http(t[i].s)), t[i].text,
		       "status %zu reason (response.c's table)", i);
	}
}

/* Issue 15: bodies cJSON alone takes, and reads as something else than a
 * strict parser would (the name cut at a bad escape, a member taken for
 * file_name) or than RFC 8259 allows, are 400 "invalid JSON", exactly. */
static void check_strict_json(void)
{
	static const struct { const char *name, *body; size_t len; } c[] = {
		{ "\\u00GG in file_name (was signed as shell.php)",
		  B("{\"file_name\":\"shell.php\\u00GG.jpg\",\"file_type\":\"image/jpeg\"}") },
		{ "\\uZZZZ in file_type (was text/html)",
		  B("{\"file_name\":\"a.html\",\"file_type\":\"text/html\\uZZZZ\"}") },
		{ "\\uZZZZ in a member name (was file_name)",
		  B("{\"file_name\\uZZZZjunk\":\"shell.php\"}") },
		{ "\\uZZZZ in a member name, then file_name",
		  B("{\"file_name\\uZZZZjunk\":\"shell.php\",\"file_name\":\"a.txt\"}") },
		{ "\\u00G in an unknown member", B("{\"file_name\":\"a.txt\",\"x\":\"\\u00G\"}") },
		{ "\\' escape", B("{\"file_name\":\"a\\'.txt\"}") },
		{ "\\x escape", B("{\"file_name\":\"a\\x41.txt\"}") },
		{ "raw 0x01 in file_name", B("{\"file_name\":\"a\x01.txt\"}") },
		{ "raw tab in file_name", B("{\"file_name\":\"a\tb.txt\"}") },
		{ "raw CR LF in file_type", B("{\"file_name\":\"a.txt\",\"file_type\":\"a/b\r\nX: 1\"}") },
		{ "0x0b as white space", B("{\x0b\"file_name\":\"a.txt\"}") },
		{ "0x0c as white space", B("\x0c{\"file_name\":\"a.txt\"}") },
		{ "0x01 as white space", B("{\"file_name\":\x01\"a.txt\"}") },
		{ "0x0c after the object", B("{\"file_name\":\"a.txt\"}\x0c") },
		{ "number 0001", B("{\"file_name\":\"a.txt\",\"n\":0001}") },
		{ "number -", B("{\"file_name\":\"a.txt\",\"n\":-}") },
		{ "number 1.", B("{\"file_name\":\"a.txt\",\"n\":1.}") },
		{ "number .5", B("{\"file_name\":\"a.txt\",\"n\":.5}") },
		{ "number 1e", B("{\"file_name\":\"a.txt\",\"n\":1e}") },
		{ "number +1", B("{\"file_name\":\"a.txt\",\"n\":+1}") },
		{ "Infinity", B("{\"file_name\":\"a.txt\",\"n\":Infinity}") },
		{ "-Infinity", B("{\"file_name\":\"a.txt\",\"n\":-Infinity}") },
		{ "NaN", B("{\"file_name\":\"a.txt\",\"n\":NaN}") },
	};
	struct s3_req_fields f;
	char msg[256];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		memset(&f, 0xA5, sizeof f);
		is_int(run("POST", JSON, NULL, c[i].body, c[i].len, &f, msg, sizeof msg),
		       S3_REQ_BAD, "strict JSON: %s: 400", c[i].name);
		is_str(msg, "invalid JSON", "strict JSON: %s: message", c[i].name);
		ok(zeroed(&f), "strict JSON: %s: fields zeroed", c[i].name);
	}
	/* a lone surrogate is grammar, but no character: refused, saying why */
	is_int(run("POST", JSON, NULL, B("{\"file_name\":\"a\\ud800.txt\"}"), &f, msg, sizeof msg),
	       S3_REQ_BAD, "strict JSON: lone \\ud800: 400");
	is_str(msg, "invalid JSON: unpaired surrogate escape", "strict JSON: lone \\ud800: message");
	is_int(run("POST", JSON, NULL, B("{\"x\":\"\\udc00\",\"file_name\":\"a.txt\"}"), &f, msg,
		   sizeof msg), S3_REQ_BAD, "strict JSON: lone \\udc00 in an unknown member: 400");
	is_str(msg, "invalid JSON: unpaired surrogate escape",
	       "strict JSON: lone \\udc00 in an unknown member: message");
	/* what RFC 8259 allows still passes */
	is_int(run("POST", JSON, NULL,
		   B("\xef\xbb\xbf {\"n\":[-0.5e+3,0,1E2,true,false,null,{}],\"file_name\":\"a.txt\"}\r\n"),
		   &f, msg, sizeof msg), S3_REQ_OK, "strict JSON: a BOM, numbers and literals: ok");
	s3_req_fields_free(&f);
}

/* Odd arguments: NULL msg, tiny msg buffers, NULL body, free of zeroes. */
static void check_edges(void)
{
	struct s3_req_in in = { .method = "POST", .content_type = JSON };
	struct s3_req_fields f = { 0 };
	char small[4] = "zzz";
	size_t len;

	is_int(s3_req_parse(&in, &f, NULL, 0), S3_REQ_BAD, "NULL body, NULL msg");
	ok(zeroed(&f), "NULL body: zeroed");
	is_int(s3_req_parse(&in, &f, small, sizeof small), S3_REQ_BAD, "tiny msg");
	is_str(small, "inv", "tiny msg is cut and terminated");
	in.body_len = 5;
	is_int(s3_req_parse(&in, &f, NULL, 0), S3_REQ_INTERNAL, "NULL body with length");
	is_int(s3_req_parse(NULL, &f, NULL, 0), S3_REQ_INTERNAL, "NULL in");
	in.body_len = 0;
	is_int(s3_req_parse(&in, NULL, NULL, 0), S3_REQ_INTERNAL, "NULL out");
	is_int(s3_req_check_length("7", 10, NULL, NULL, 0), S3_REQ_OK, "NULL len_out");
	is_int(s3_req_check_length("x", 10, &len, small, 1), S3_REQ_BAD, "msgcap 1");
	is_str(small, "", "msgcap 1 gives empty msg");
	s3_req_fields_free(&f);
	s3_req_fields_free(&f);
	s3_req_fields_free(NULL);
	ok(zeroed(&f), "free twice on zeroed struct");
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_case(&cases[i]);
	for (i = 0; i < sizeof lcases / sizeof lcases[0]; i++)
		check_lcase(&lcases[i]);
	check_field_count(S3_REQ_MAX_FIELDS, 0, S3_REQ_OK);
	check_field_count(S3_REQ_MAX_FIELDS + 1, 0, S3_REQ_BAD);
	check_field_count(S3_REQ_MAX_FIELDS, 1, S3_REQ_OK);
	check_field_count(S3_REQ_MAX_FIELDS + 1, 1, S3_REQ_BAD);
	for (i = 0; i < sizeof len_cases / sizeof len_cases[0]; i++)
		check_len_case(&len_cases[i]);
	check_status();
	check_strict_json();
	check_edges();
	return done_testing();
}
