/* test_sniff.c - common/base64 (the decoding rules of base64.h: alphabet,
 * padding, white space, non-canonical bits, limits, against a table and
 * against OpenSSL's encoder for every length 0..300) and common/sniff
 * (libmagic names a PNG, JPEG, GIF, PDF, ELF, PE, HTML, SVG, script and
 * empty head as the handler expects). */
#include "tap.h"
#include "base64.h"
#include "sniff.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* ---- base64 ---------------------------------------------------------------- */

struct b64_case {
	const char *in;
	size_t len;            /* bytes of in (a NUL may be one of them) */
	enum s3_err want;
	const char *out;       /* decoded, for S3_OK */
	size_t out_len;
};

#define OK(in, out) { in, sizeof(in) - 1, S3_OK, out, sizeof(out) - 1 }
#define BAD(in) { in, sizeof(in) - 1, S3_ERR_INVAL, NULL, 0 }

static const struct b64_case b64[] = {
	OK("", ""),
	OK("   \r\n\t", ""),
	OK("QQ==", "A"),
	OK("QQ", "A"),
	OK("QUI=", "AB"),
	OK("QUI", "AB"),
	OK("QUJD", "ABC"),
	OK("QUJDRA==", "ABCD"),
	OK("Zm9vYmFy", "foobar"),                      /* RFC 4648 section 10 */
	OK("Zm9vYg==", "foob"),
	OK("Zm9vYmE=", "fooba"),
	OK("Zg==", "f"),
	OK("Zm8=", "fo"),
	OK("Zm9v", "foo"),
	OK("Zm9v\r\nYmFy", "foobar"),                  /* MIME line break */
	OK(" Zm9v YmFy ", "foobar"),                   /* white space anywhere */
	OK("Z m 9 v", "foo"),
	OK("QQ= =", "A"),                              /* white space inside padding */
	OK("QQ==\n", "A"),                             /* white space after padding */
	OK("+/+/", "\xfb\xff\xbf"),
	OK("AAAA", "\0\0\0"),
	OK("iVBORw0KGgo=", "\x89PNG\r\n\x1a\n"),
	BAD("Q"),                                      /* one character left over */
	BAD("QUJDR"),
	BAD("Q==="),
	BAD("QQ="),                                    /* padding that does not complete */
	BAD("QQ==="),
	BAD("QUI=="),
	BAD("QUJD="),                                  /* padding after a full group */
	BAD("="),
	BAD("=="),
	BAD("QQ==QQ=="),                               /* data after padding */
	BAD("QQ==Q"),
	BAD("Q=Q="),
	BAD("QR=="),                                   /* non-zero unused bits */
	BAD("QUJ="),
	BAD("QUK="),                                   /* "AB" is QUI= */
	BAD("-_-_"),                                   /* URL-safe alphabet */
	BAD("QQ-="),
	BAD("data:image/png;base64,iVBORw0KGgo="),     /* a data: URL */
	BAD("QQ==\0"),
	BAD("Q\x01Q="),
	BAD("QQ\v=="),                                 /* VT is not ignored */
	BAD("QUJD\xc3\xa9"),
	BAD("%41"),
	BAD("QUJD."),
};

static void test_b64_table(void)
{
	unsigned char out[64];
	size_t n;

	for (size_t i = 0; i < sizeof b64 / sizeof *b64; i++) {
		const struct b64_case *c = &b64[i];
		enum s3_err e = s3_base64_decode(c->in, c->len, out, sizeof out, &n);

		is_int(e, c->want, "base64 case %zu: %s", i, c->want ? "refused" : "accepted");
		if (c->want == S3_OK)
			ok(n == c->out_len && !memcmp(out, c->out, n),
			   "base64 case %zu: %zu bytes decoded", i, c->out_len);
	}
}

/* Every length 0..300 of pseudo-random bytes: OpenSSL encodes, we decode,
 * padded and unpadded, with and without line breaks. */
static void test_b64_roundtrip(void)
{
	unsigned char src[300], enc[512], out[300], lines[600];
	unsigned seed = 12345;
	int bad = 0;
	size_t n;

	for (size_t len = 0; len <= sizeof src; len++) {
		int el;
		size_t ln = 0;

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			src[i] = (unsigned char)(seed >> 16);
		}
		el = EVP_EncodeBlock(enc, src, (int)len);
		if (s3_base64_decode((char *)enc, (size_t)el, out, sizeof out, &n) ||
		    n != len || memcmp(out, src, len))
			bad++;
		while (el > 0 && enc[el - 1] == '=')
			el--;
		if (s3_base64_decode((char *)enc, (size_t)el, out, sizeof out, &n) ||
		    n != len || memcmp(out, src, len))
			bad++;
		for (int i = 0; i < el; i++) {
			lines[ln++] = enc[i];
			if (i % 76 == 75)
				lines[ln++] = '\n';
		}
		if (s3_base64_decode((char *)lines, ln, out, sizeof out, &n) ||
		    n != len || memcmp(out, src, len))
			bad++;
	}
	is_int(bad, 0, "OpenSSL's encoding of 0..300 bytes decodes back (padded, "
	       "unpadded, with line breaks)");
}

static void test_b64_limits(void)
{
	char *in = malloc(8192);
	unsigned char *out = malloc(S3_SNIFF_HEAD_MAX + 8);
	size_t n;

	if (!in || !out)
		exit(1);
	/* 4096 bytes = 5462 characters + "==": fits; 4097 does not */
	memset(in, 'A', 5460);
	memcpy(in + 5460, "AA==", 4);
	is_int(s3_base64_decode(in, 5464, out, S3_SNIFF_HEAD_MAX, &n), S3_OK,
	       "4096 bytes decoded into 4096: ok");
	is_int(n, 4096, "4096 bytes: length");
	memcpy(in + 5460, "AAA=", 4);
	is_int(s3_base64_decode(in, 5464, out, S3_SNIFF_HEAD_MAX, &n), S3_ERR_TOOLONG,
	       "4097 bytes into 4096: too long");
	is_int(n, 4096, "too long: the first 4096 bytes written, no more");
	memset(in, 'A', 8000);
	in[100] = '!';
	is_int(s3_base64_decode(in, 8000, out, S3_SNIFF_HEAD_MAX, &n), S3_ERR_INVAL,
	       "invalid and too long: invalid");
	is_int(s3_base64_decode("QUJD", 4, out, 2, &n), S3_ERR_TOOLONG, "cap 2, 3 bytes");
	ok(out[0] == 'A' && out[1] == 'B' && n == 2, "cap 2: 2 bytes written");
	is_int(s3_base64_decode("QUJD", 4, NULL, 0, &n), S3_ERR_TOOLONG, "cap 0: too long");
	is_int(S3_BASE64_DECODED_MAX(5464), 4100, "S3_BASE64_DECODED_MAX");
	free(in);
	free(out);
}

/* ---- libmagic -------------------------------------------------------------- */

struct sniff_case {
	const char *what;
	const char *head;
	size_t len;
	const char *want;
	const char *alt;       /* another acceptable answer, or NULL */
};

#define H(s) s, sizeof(s) - 1

static const struct sniff_case sniffs[] = {
	{ "PNG", H("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0"),
	  "image/png", NULL },
	{ "JPEG", H("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"), "image/jpeg", NULL },
	{ "GIF", H("GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!"), "image/gif", NULL },
	{ "PDF", H("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "application/pdf", NULL },
	{ "ELF executable", H("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0"),
	  "application/x-executable", NULL },
	{ "ELF shared object", H("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x01\0\0\0"),
	  "application/x-sharedlib", "application/x-pie-executable" },
	{ "HTML", H("<!DOCTYPE html>\n<html><head><title>x</title></head>"), "text/html", NULL },
	{ "HTML script", H("<html><script>alert(1)</script></html>"), "text/html", NULL },
	{ "SVG", H("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\"></svg>"),
	  "image/svg+xml", NULL },
	{ "shell script", H("#!/bin/sh\necho hello\n"), "text/x-shellscript", NULL },
	{ "PHP", H("<?php echo 1; ?>\n"), "text/x-php", NULL },
	{ "plain text", H("hello world\nsecond line\n"), "text/plain", NULL },
	{ "empty", "", 0, "application/x-empty", "inode/x-empty" },
	{ "binary noise", H("\x01\x02\x03\xfe\xfd\x00\x10\x99"), "application/octet-stream", NULL },
};

static void test_sniff(void)
{
	struct s3_sniff *s = NULL;
	char why[S3_SNIFF_WHY_MAX] = "", type[S3_SNIFF_TYPE_MAX + 1];
	enum s3_err e = s3_sniff_open(&s, NULL, why, sizeof why);

	if (!ok(e == S3_OK && s, "libmagic opened, database loaded")) {
		diag("%s", why);
		return;
	}
	for (size_t i = 0; i < sizeof sniffs / sizeof *sniffs; i++) {
		const struct sniff_case *c = &sniffs[i];

		is_int(s3_sniff_type(s, c->head, c->len, type), S3_OK, "%s: sniffed", c->what);
		if (!ok(!strcmp(type, c->want) || (c->alt && !strcmp(type, c->alt)),
		        "%s: %s", c->what, c->want))
			diag("got %s", type);
	}
	/* a real 4 KiB head: this very test binary's first bytes */
	{
		FILE *f = fopen("/proc/self/exe", "rb");
		unsigned char buf[S3_SNIFF_HEAD_MAX];
		size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;

		if (f)
			fclose(f);
		s3_sniff_type(s, buf, n, type);
		ok(n == sizeof buf && (!strcmp(type, "application/x-pie-executable") ||
		   !strcmp(type, "application/x-sharedlib") ||
		   !strcmp(type, "application/x-executable")),
		   "4 KiB of this ELF binary: an executable type (%s)", type);
	}
	is_int(s3_sniff_type(NULL, "x", 1, type), S3_ERR_INVAL, "NULL sniffer: refused");
	is_str(type, "application/octet-stream", "NULL sniffer: octet-stream");
	s3_sniff_close(s);
	s3_sniff_close(NULL);
}

/* S3_MAGIC_FILE: a database named explicitly is the only one tried. */
static void test_magic_file(void)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	struct s3_sniff *s = NULL;
	char why[S3_SNIFF_WHY_MAX] = "", type[S3_SNIFF_TYPE_MAX + 1];
	const char *db = "/usr/lib/file/magic.mgc";
	enum s3_err e;

	e = s3_sniff_open(&s, db, why, sizeof why);
	if (!ok(e == S3_OK && s, "S3_MAGIC_FILE %s: loaded", db))
		diag("%s", why);
	s3_sniff_type(s, png, sizeof png - 1, type);
	is_str(type, "image/png", "S3_MAGIC_FILE: a PNG head is image/png");
	s3_sniff_close(s);

	s = NULL;
	e = s3_sniff_open(&s, "/nonexistent/magic.mgc", why, sizeof why);
	ok(e == S3_ERR_IO && !s, "S3_MAGIC_FILE missing: S3_ERR_IO, no sniffer");
	if (!ok(strstr(why, "libmagic: cannot load") && strstr(why, "/nonexistent/magic.mgc"),
	        "S3_MAGIC_FILE missing: the message names the file"))
		diag("%s", why);
}

int main(void)
{
	test_b64_table();
	test_b64_roundtrip();
	test_b64_limits();
	test_sniff();
	test_magic_file();
	return done_testing();
}
