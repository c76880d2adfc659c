/* test_policy.c - common/policy: the user key segment (a table, its
 * injectivity and decodability, the limits), {user} in the key prefix,
 * S3_ALLOWED_TYPES parsing and matching, and the contradiction rule
 * (a table of declared/detected pairs, each with its reason). */
#include "tap.h"
#include "policy.h"

#include <stdlib.h>
#include <string.h>

/* ---- user names ---------------------------------------------------------- */

struct user_case {
	const char *in;
	const char *want;
};

static const struct user_case users[] = {
	{ "alice", "alice" },
	{ "Alice", "Alice" },                        /* case kept: another user */
	{ "a_b", "a_5Fb" },
	{ "a b", "a_20b" },
	{ "a_20b", "a_5F20b" },
	{ "a_5Fb", "a_5F5Fb" },
	{ "a%20b", "a_2520b" },
	{ "a/b", "a_2Fb" },
	{ "a\\b", "a_5Cb" },
	{ ".", "_2E" },
	{ "..", "_2E_2E" },
	{ "...", "..." },
	{ ".a", ".a" },
	{ "a.", "a." },
	{ "_2E", "_5F2E" },
	{ "_2E_2E", "_5F2E_5F2E" },
	{ "bob@example.com", "bob@example.com" },
	{ "a+b-c", "a+b-c" },
	{ "DOMAIN\\user", "DOMAIN_5Cuser" },
	{ "caf\xc3\xa9", "caf_C3_A9" },              /* café */
	{ "cafe\xcc\x81", "cafe_CC_81" },            /* café, NFD: another name */
	{ "\xe6\x97\xa5\xe6\x9c\xac", "_E6_97_A5_E6_9C_AC" },
	{ "\xf0\x9f\x98\x80", "_F0_9F_98_80" },      /* emoji */
	{ "x\ty", "x_09y" },
	{ "{user}", "_7Buser_7D" },
	{ "a:b;c=d", "a_3Ab_3Bc_3Dd" },
	{ "*", "_2A" },
	{ "~x", "_7Ex" },
	{ "\x7f", "_7F" },
};

#define NUSERS (sizeof users / sizeof *users)

/* The inverse of the mapping: "_XX" is a byte, anything else itself. */
static int decode(const char *s, char *out, size_t cap)
{
	size_t w = 0;

	for (; *s; s++) {
		if (w + 1 >= cap)
			return -1;
		if (*s == '_') {
			char hex[3] = { s[1], s[2], 0 };
			char *end;

			if (!s[1] || !s[2])
				return -1;
			out[w++] = (char)strtol(hex, &end, 16);
			if (*end)
				return -1;
			s += 2;
		} else {
			out[w++] = *s;
		}
	}
	out[w] = '\0';
	return 0;
}

static void test_user_table(void)
{
	char out[NUSERS][S3_USER_KEY_MAX + 1], back[S3_USER_MAX + 1];
	size_t n;

	for (size_t i = 0; i < NUSERS; i++) {
		enum s3_err e = s3_user_keysafe(users[i].in, strlen(users[i].in), out[i],
		                                sizeof out[i], &n);

		is_int(e, S3_OK, "user %zu: accepted", i);
		is_str(out[i], users[i].want, "user %zu: segment", i);
		is_int(n, strlen(out[i]), "user %zu: length", i);
		ok(strcmp(out[i], ".") && strcmp(out[i], "..") && !strchr(out[i], '/'),
		   "user %zu: no '/', not . or ..", i);
		ok(decode(out[i], back, sizeof back) == 0 &&
		   !strcmp(back, users[i].in), "user %zu: decodes back to the name", i);
	}
	/* injective over the table: no two names share a segment */
	{
		int dup = 0;

		for (size_t i = 0; i < NUSERS; i++)
			for (size_t j = i + 1; j < NUSERS; j++)
				if (!strcmp(out[i], out[j])) {
					diag("%zu and %zu both give %s", i, j, out[i]);
					dup = 1;
				}
		ok(!dup, "the table's %zu names give %zu different segments", NUSERS, NUSERS);
	}
}

/* Every 1- and 2-byte name over a small alphabet that stresses the escape
 * ('_', '.', hex digits, the escaped forms' own characters): all different. */
static void test_user_injective(void)
{
	static const char alpha[] = "_.2E5Fa /";
	size_t na = sizeof alpha - 1, count = 0, dup = 0;
	char (*seg)[8] = calloc(na * na + na, sizeof *seg);
	size_t n;

	if (!seg)
		exit(1);
	for (size_t i = 0; i < na; i++) {
		char in[1] = { alpha[i] };

		s3_user_keysafe(in, 1, seg[count++], sizeof *seg, &n);
		for (size_t j = 0; j < na; j++) {
			char in2[2] = { alpha[i], alpha[j] };

			s3_user_keysafe(in2, 2, seg[count++], sizeof *seg, &n);
		}
	}
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++)
			if (!strcmp(seg[i], seg[j]))
				dup++;
	ok(count == na * na + na && dup == 0,
	   "%zu short names over \"%s\": all segments different", count, alpha);
	free(seg);
}

static void test_user_limits(void)
{
	char name[S3_USER_MAX + 2], out[S3_USER_KEY_MAX + 1], small[8];
	size_t n = 99;

	memset(name, 'u', sizeof name);
	is_int(s3_user_keysafe(name, S3_USER_MAX, out, sizeof out, &n), S3_OK,
	       "user of %d bytes: accepted", S3_USER_MAX);
	is_int(n, S3_USER_MAX, "user of %d bytes: segment as long", S3_USER_MAX);
	is_int(s3_user_keysafe(name, S3_USER_MAX + 1, out, sizeof out, &n), S3_ERR_TOOLONG,
	       "user of %d bytes: too long", S3_USER_MAX + 1);
	ok(n == 0 && out[0] == '\0', "too long: nothing written");
	memset(name, ' ', S3_USER_MAX);
	is_int(s3_user_keysafe(name, S3_USER_MAX, out, sizeof out, &n), S3_OK,
	       "%d escaped bytes fit S3_USER_KEY_MAX", S3_USER_MAX);
	is_int(n, S3_USER_KEY_MAX, "%d escaped bytes: %d bytes", S3_USER_MAX, S3_USER_KEY_MAX);
	is_int(s3_user_keysafe("", 0, out, sizeof out, &n), S3_ERR_INVAL, "empty: refused");
	is_int(s3_user_keysafe("a\0b", 3, out, sizeof out, &n), S3_ERR_INVAL, "NUL: refused");
	is_int(s3_user_keysafe("a\xff", 2, out, sizeof out, &n), S3_ERR_UTF8,
	       "invalid UTF-8: refused");
	is_int(s3_user_keysafe("\xc0\xaf", 2, out, sizeof out, &n), S3_ERR_UTF8,
	       "overlong UTF-8: refused");
	is_int(s3_user_keysafe("\xed\xa0\x80", 3, out, sizeof out, &n), S3_ERR_UTF8,
	       "surrogate: refused");
	is_int(s3_user_keysafe("caf\xc3", 4, out, sizeof out, &n), S3_ERR_UTF8,
	       "truncated UTF-8: refused");
	is_int(s3_user_keysafe("a b c", 5, small, 8, &n), S3_ERR_TOOLONG,
	       "output past cap: refused, not cut");
	is_str(small, "", "output past cap: empty");
}

static void test_prefix(void)
{
	char out[64];
	size_t n;

	is_int(s3_prefix_user("uploads/"), 0, "prefix without {user}");
	is_int(s3_prefix_user(""), 0, "empty prefix");
	is_int(s3_prefix_user("u/{user}/"), 1, "u/{user}/");
	is_int(s3_prefix_user("{user}/"), 1, "{user}/");
	is_int(s3_prefix_user("x{user}/y/"), 1, "x{user}/y/");
	is_int(s3_prefix_user("u/{user}"), -1, "{user} at the end");
	is_int(s3_prefix_user("u/{user}x/"), -1, "{user} then text");
	is_int(s3_prefix_user("{user}/{user}/"), -1, "{user} twice");
	is_int(s3_prefix_user("{User}/"), 0, "{User}: not the placeholder");

	is_int(s3_prefix_expand("u/{user}/in/", "a_5Fb", out, sizeof out, &n), S3_OK,
	       "expand: ok");
	is_str(out, "u/a_5Fb/in/", "expand: replaced");
	is_int(n, 11, "expand: length");
	is_int(s3_prefix_expand("uploads/", "ignored", out, sizeof out, &n), S3_OK,
	       "expand without {user}: ok");
	is_str(out, "uploads/", "expand without {user}: as it is");
	is_int(s3_prefix_expand("", "", out, sizeof out, &n), S3_OK, "expand empty: ok");
	is_str(out, "", "expand empty: empty");
	is_int(s3_prefix_expand("{user}/", "0123456789", out, 11, &n), S3_ERR_TOOLONG,
	       "expand past cap: refused");
	is_int(s3_prefix_expand("{user}/", "0123456789", out, 12, &n), S3_OK,
	       "expand exactly fitting: ok");
	is_str(out, "0123456789/", "expand exactly fitting: result");
}

/* ---- allowed types -------------------------------------------------------- */

static void test_types_parse(void)
{
	static const struct { const char *in, *want; } good[] = {
		{ "image/*", "image/*" },
		{ "*/*", "*/*" },
		{ "image/*,application/pdf", "image/*,application/pdf" },
		{ " IMAGE/PNG , Text/Plain\t", "image/png,text/plain" },
		{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "image/svg+xml", "image/svg+xml" },
	};
	static const char *const bad[] = {
		"", " ", ",", "image", "image/", "/png", "*", "*/png", "image/p*",
		"image/*png", "image/png,", ",image/png", "image/png,,text/plain",
		"image/png;q=1", "image /png", "image/png/x", "-image/png", "image/.png",
		"im\xc3\xa9ge/png", "image/png\n", "image/png\tx",
	};
	char out[S3_TYPES_LIST_MAX + 1];
	size_t n;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		ok(s3_types_parse(good[i].in, out, sizeof out, &n) == NULL,
		   "types %zu: accepted", i);
		is_str(out, good[i].want, "types %zu: normalized", i);
		is_int(n, strlen(good[i].want), "types %zu: length", i);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *what = s3_types_parse(bad[i], out, sizeof out, &n);

		ok(what && strstr(what, "expected"), "types refused: %zu", i);
	}
}

static void test_types_allowed(void)
{
	static const struct { const char *list, *type; int want; } cs[] = {
		{ "image/*,application/pdf", "image/png", 1 },
		{ "image/*,application/pdf", "IMAGE/JPEG", 1 },
		{ "image/*,application/pdf", "application/pdf", 1 },
		{ "image/*,application/pdf", "Application/PDF;version=1.7", 1 },
		{ "image/*,application/pdf", "application/pdfx", 0 },
		{ "image/*,application/pdf", "application/x-pdf", 0 },
		{ "image/*,application/pdf", "text/html", 0 },
		{ "image/*,application/pdf", "imagex/png", 0 },
		{ "image/*,application/pdf", "image", 0 },
		{ "image/*,application/pdf", "", 0 },
		{ "image/png", "image/png", 1 },
		{ "image/png", "image/pn", 0 },
		{ "image/png", "image/pngx", 0 },
		{ "image/png", "image/png;a=b", 1 },
		{ "image/png", "image/png ;a=b", 1 },
		{ "text/plain", "text/plain;charset=utf-8", 1 },
		{ "*/*", "application/x-executable", 1 },
		{ "text/*", "text/html", 1 },
		{ "text/*", "text", 0 },
		{ "a/b,c/d,e/f", "e/f", 1 },
		{ "a/b,c/d,e/f", "c/b", 0 },
	};

	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		is_int(s3_types_allowed(cs[i].list, cs[i].type, strlen(cs[i].type)),
		       cs[i].want, "allowed(%s, %s)", cs[i].list, cs[i].type);
	is_int(s3_types_allowed(NULL, "image/png", 9), 0, "allowed: NULL list");
}

static void test_type_base(void)
{
	char out[S3_TYPE_BASE_MAX + 1];

	is_int(s3_type_base("Image/PNG;x=1", 13, out, sizeof out), 9, "base: length");
	is_str(out, "image/png", "base: lowercase, parameters dropped");
	is_int(s3_type_base("text/plain", 10, out, sizeof out), 10, "base: plain");
	is_int(s3_type_base("noslash", 7, out, sizeof out), 0, "base: no slash");
	is_int(s3_type_base("image/png", 9, out, 9), 0, "base: does not fit");
}

/* ---- the contradiction rule ----------------------------------------------- */

struct contra_case {
	const char *declared, *detected;
	int want;
	const char *why;
};

static const struct contra_case contra[] = {
	/* the brief's cases */
	{ "image/png", "image/png", 0, "same type" },
	{ "image/png", "application/x-executable", 1, "executable, dangerous" },
	{ "image/png", "application/x-pie-executable", 1, "executable, dangerous" },
	{ "image/png", "application/x-sharedlib", 1, "executable, dangerous" },
	{ "image/png", "application/x-dosexec", 1, "executable, dangerous" },
	{ "image/png", "application/x-mach-binary", 1, "executable, dangerous" },
	{ "image/png", "text/html", 1, "HTML, dangerous" },
	{ "image/png", "image/svg+xml", 1, "SVG, dangerous though an image too" },
	{ "image/png", "text/javascript", 1, "script" },
	{ "image/png", "application/javascript", 1, "script" },
	{ "image/png", "text/x-shellscript", 1, "script" },
	{ "image/png", "text/x-php", 1, "script" },
	{ "text/plain", "text/html", 1, "dangerous, same top level" },
	{ "text/csv", "text/x-shellscript", 1, "dangerous, same top level" },
	{ "application/pdf", "application/x-executable", 1, "dangerous, same top level" },
	{ "application/xhtml+xml", "application/xhtml+xml", 0, "same dangerous type" },
	{ "text/html", "text/html", 0, "same dangerous type" },
	/* aliases: names of one type */
	{ "application/x-msdownload", "application/x-dosexec", 0, "alias (Windows .exe)" },
	{ "application/x-ms-dos-executable", "application/x-dosexec", 0, "alias" },
	{ "application/vnd.microsoft.portable-executable", "application/x-dosexec", 0, "alias" },
	{ "application/x-executable", "application/x-pie-executable", 0, "alias" },
	{ "application/x-sharedlib", "application/x-executable", 0, "alias" },
	{ "text/javascript", "application/javascript", 0, "alias" },
	{ "application/x-sh", "text/x-shellscript", 0, "alias" },
	{ "application/x-httpd-php", "text/x-php", 0, "alias" },
	{ "application/xhtml+xml", "text/html", 0, "alias" },
	{ "text/javascript", "text/html", 1, "another dangerous type" },
	{ "image/svg+xml", "text/html", 1, "another dangerous type" },
	/* declared application/octet-stream claims nothing */
	{ "application/octet-stream", "application/x-executable", 0, "octet-stream declared" },
	{ "application/octet-stream", "text/html", 0, "octet-stream declared" },
	{ "application/octet-stream", "image/png", 0, "octet-stream declared" },
	/* generic detections say nothing */
	{ "image/png", "application/octet-stream", 0, "generic" },
	{ "image/png", "text/plain", 0, "generic" },
	{ "image/png", "inode/x-empty", 0, "generic" },
	{ "image/png", "application/x-empty", 0, "generic" },
	{ "text/html", "text/plain", 0, "generic" },
	/* top-level types */
	{ "image/png", "image/jpeg", 0, "same top level" },
	{ "image/png", "application/pdf", 1, "top level differs" },
	{ "application/pdf", "image/png", 1, "top level differs" },
	{ "image/jpeg", "video/mp4", 1, "top level differs" },
	{ "audio/mp4", "video/mp4", 0, "audio and video are one" },
	{ "video/webm", "audio/webm", 0, "audio and video are one" },
	{ "audio/ogg", "application/ogg", 1, "top level differs" },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	  "application/zip", 0, "same top level (docx is a zip)" },
	{ "text/plain", "application/json", 0, "JSON counts as text" },
	{ "application/json", "text/x-c", 0, "JSON counts as text" },
	{ "text/csv", "application/csv", 1, "top level differs" },
	{ "image/svg+xml", "text/xml", 0, "+xml counts as text" },
	{ "application/rss+xml", "application/xml", 0, "+xml counts as text" },
	{ "application/xml", "text/xml", 0, "alias" },
	{ "text/xml", "image/svg+xml", 1, "SVG dangerous, declared XML" },
	{ "application/pdf", "application/json", 1, "JSON is text, PDF is not" },
	{ "image/png", "application/json", 1, "top level differs" },
	{ "font/woff2", "font/woff2", 0, "same" },
	{ "model/gltf+json", "application/json", 0, "+json counts as text" },
};

static void test_contradicts(void)
{
	for (size_t i = 0; i < sizeof contra / sizeof *contra; i++)
		is_int(s3_type_contradicts(contra[i].declared, contra[i].detected),
		       contra[i].want, "declared %s, detected %s: %s (%s)",
		       contra[i].declared, contra[i].detected,
		       contra[i].want ? "contradiction" : "fine", contra[i].why);
}

static void test_classes(void)
{
	static const char *const dangerous[] = {
		"application/x-executable", "application/x-pie-executable",
		"application/x-sharedlib", "application/x-dosexec", "application/x-mach-binary",
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript",
		"application/javascript", "text/x-shellscript", "text/x-php", NULL,
	};
	static const char *const harmless[] = {
		"image/png", "application/pdf", "text/plain", "text/xml", "application/xml",
		"application/octet-stream", "application/zip", "text/csv", "", NULL,
	};

	for (size_t i = 0; dangerous[i]; i++)
		ok(s3_type_dangerous(dangerous[i]), "dangerous: %s", dangerous[i]);
	for (size_t i = 0; harmless[i]; i++)
		ok(!s3_type_dangerous(harmless[i]), "not dangerous: %s", harmless[i]);
	ok(s3_type_generic("application/octet-stream") && s3_type_generic("text/plain") &&
	   s3_type_generic("inode/x-empty") && s3_type_generic("application/x-empty"),
	   "generic: octet-stream, text/plain, empty");
	ok(!s3_type_generic("image/png") && !s3_type_generic("text/html"),
	   "not generic: image/png, text/html");
	ok(s3_type_same("a/b", "a/b") && !s3_type_same("a/b", "a/c"), "same: equal only");
}

/* Types a browser renders as a document or runs (S3_ACTIVE_TYPES). */
static void test_active(void)
{
	static const char *const yes[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
		"application/xml", "text/javascript", "application/javascript",
		"application/ecmascript", "text/ecmascript", "application/x-javascript",
		"text/xsl", "application/rss+xml", "application/vnd.foo+xml",
	};
	static const char *const no[] = {
		"image/png", "application/pdf", "text/plain", "application/json",
		"text/css", "application/octet-stream", "application/xmlx", "text/xml2",
	};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		ok(s3_type_active(yes[i]), "active: %s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ok(!s3_type_active(no[i]), "not active: %s", no[i]);
}

int main(void)
{
	test_user_table();
	test_user_injective();
	test_user_limits();
	test_prefix();
	test_types_parse();
	test_types_allowed();
	test_type_base();
	test_contradicts();
	test_classes();
	test_active();
	return done_testing();
}
