/* test_cors.c - common/cors.c: one-wildcard patterns, header lists as
 * browsers read them, a preflight answer's verdict (origin, method, the
 * headers sign_s3 signs), and the first matching rule of a bucket's
 * CORSConfiguration read by s3xml. */
#include "tap.h"
#include "cors.h"

#include <string.h>

#define S(lit) lit, sizeof lit - 1

static void globs(void)
{
	ok(s3_cors_glob("https://app.example.com", "https://app.example.com", 0), "exact origin");
	ok(!s3_cors_glob("https://app.example.com", "https://App.example.com", 0),
	   "origins compared with case");
	ok(s3_cors_glob("*", "http://127.0.0.1:8000", 0), "* matches any origin");
	ok(s3_cors_glob("https://*.example.com", "https://a.b.example.com", 0), "wildcard in the host");
	ok(!s3_cors_glob("https://*.example.com", "https://example.com", 0),
	   "wildcard host needs the dot");
	ok(!s3_cors_glob("https://*.example.com", "http://a.example.com", 0), "scheme matters");
	ok(s3_cors_glob("x-amz-*", "X-Amz-Acl", 1), "header pattern without case");
	ok(!s3_cors_glob("a*b*c", "abc", 0), "two wildcards never match");
	ok(!s3_cors_glob("ab*ba", "aba", 0), "head and tail do not overlap");
	ok(!s3_cors_glob(NULL, "x", 0) && !s3_cors_glob("x", NULL, 0), "NULL matches nothing");
}

static void lists(void)
{
	ok(s3_cors_list_has("ETag", "etag", 0), "one name, any case");
	ok(s3_cors_list_has("x-amz-request-id, ETag ,x-amz-id-2", "etag", 0), "spaces around names");
	ok(!s3_cors_list_has("ETags, xETag", "etag", 0), "whole names only");
	ok(s3_cors_list_has("*", "etag", 1) && !s3_cors_list_has("*", "etag", 0), "* when allowed");
	ok(!s3_cors_list_has(NULL, "etag", 1) && !s3_cors_list_has("", "etag", 1), "none");
	ok(s3_cors_list_has(",,PUT,", "PUT", 0), "empty members skipped");
}

static void preflights(void)
{
	static const char *const hdrs[] = { "content-type", "content-md5", "content-disposition",
	                                    "x-amz-acl" };
	struct s3_cors_preflight p = { 200, "https://app.example.com", "GET, PUT, POST",
	                               "content-type, content-md5, content-disposition, x-amz-acl" };
	unsigned miss = 99;

	is_int(s3_cors_preflight_check(&p, "https://app.example.com", "PUT", hdrs, 4, &miss), 7,
	       "all allowed");
	is_int(miss, 0, "no header missing");
	p.allow_headers = "Content-Type";
	is_int(s3_cors_preflight_check(&p, "https://app.example.com", "PUT", hdrs, 4, &miss), 7,
	       "status, origin, method still allowed");
	is_int(miss, 2 | 4 | 8, "the three other headers named");
	p.allow_headers = "*";
	s3_cors_preflight_check(&p, "https://app.example.com", "PUT", hdrs, 4, &miss);
	is_int(miss, 0, "Access-Control-Allow-Headers: * allows them");
	p.allow_origin = "*";
	is_int(s3_cors_preflight_check(&p, "https://other.example", "PUT", hdrs, 0, NULL), 7,
	       "Allow-Origin * allows any origin");
	p.allow_origin = "https://app.example.com";
	is_int(s3_cors_preflight_check(&p, "https://other.example", "PUT", hdrs, 0, NULL), 5,
	       "another origin is not allowed");
	p.allow_methods = "GET";
	is_int(s3_cors_preflight_check(&p, "https://app.example.com", "PUT", hdrs, 0, NULL), 3,
	       "PUT not listed");
	is_int(s3_cors_preflight_check(&p, "https://app.example.com", "POST", hdrs, 0, NULL), 7,
	       "POST is a simple method");
	p = (struct s3_cors_preflight){ 401, NULL, NULL, NULL };
	is_int(s3_cors_preflight_check(&p, "https://app.example.com", "PUT", hdrs, 1, &miss), 0,
	       "a 401 without headers allows nothing (Swift s3api's refusal)");
	is_int(miss, 1, "... and no header");
}

static void rules(void)
{
	static const char doc[] = "<CORSConfiguration>"
		"<CORSRule><ID>get</ID><AllowedOrigin>*</AllowedOrigin>"
		"<AllowedMethod>GET</AllowedMethod></CORSRule>"
		"<CORSRule><ID>narrow</ID><AllowedOrigin>https://app.example.com</AllowedOrigin>"
		"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>Content-Type</AllowedHeader>"
		"</CORSRule>"
		"<CORSRule><ID>wide</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
		"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-*</AllowedHeader>"
		"<AllowedHeader>x-amz-acl</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule>"
		"</CORSConfiguration>";
	static const char *const all[] = { "content-type", "content-md5", "content-disposition",
	                                   "x-amz-acl" };
	static const char *const ct[] = { "Content-Type" };
	struct s3xml_cors c;

	is_int(s3xml_cors(S(doc), &c), S3_OK, "three rules read");
	is_int(s3_cors_rule_match(&c, "https://app.example.com", "PUT", ct, 1), 1,
	       "the first rule that allows it: narrow");
	is_int(s3_cors_rule_match(&c, "https://app.example.com", "PUT", all, 4), 2,
	       "with every signed header: wide");
	is_int(s3_cors_rule_match(&c, "https://evil.example", "PUT", ct, 1), -1,
	       "another origin: no rule");
	is_int(s3_cors_rule_match(&c, "https://evil.example", "GET", NULL, 0), 0, "GET from any origin");
	is_int(s3_cors_rule_match(&c, "https://app.example.com", "DELETE", NULL, 0), -1,
	       "a method no rule lists");
	is_int(s3_cors_rule_match(NULL, "x", "PUT", NULL, 0), -1, "no configuration");
	s3xml_cors_free(&c);
}

int main(void)
{
	globs();
	lists();
	preflights();
	rules();
	return done_testing();
}
