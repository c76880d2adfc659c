/* test_mime.c - mime.types loading, lookups, and Content-Type checking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "mime.h"

#define FIXTURE "mime.types.sample"
#define DEF S3_MIME_DEFAULT

struct lcase {
	const char *file, *want;
};

/* Against tests/unit/mime.types.sample. */
static const struct lcase fixture_cases[] = {
	{ "a.txt", "text/plain" },
	{ "a.TXT", "text/plain" },
	{ "A.Txt", "text/plain" },
	{ "a.conf", "text/plain" },
	{ "x.dup", "text/x-dup" },                      /* txt: first line wins */
	{ "x.png", "image/png" },
	{ "x.png2", "image/png" },                      /* "PNG2" in the file */
	{ "x.pdf", "application/pdf" },
	{ "x.not", DEF },                               /* after '#' */
	{ "x.#", DEF },
	{ "x.ind", "application/x-indented" },
	{ "x.bad1", DEF },                              /* type without '/' */
	{ "x.bad2", DEF },
	{ "x.bad3", DEF },
	{ "x.bad4", DEF },                              /* parameter in type */
	{ "x.bad5", DEF },
	{ "x.age", DEF },
	{ "x.with", "application/x-tabs" },
	{ "x.tabs", "application/x-tabs" },
	{ "x.crlf", "application/x-crlf" },             /* no '\r' kept */
	{ "x.short", "application/x-long" },
	{ "x.abcdefghijklmnopqrstuvwxyz0123456789", DEF },      /* > S3_MIME_EXT_MAX */
	{ "archive.tar.gz", "application/x-gz" },
	{ "x.ok8", "application/x-utf8" },
	{ "x.caf\xC3\xA9", DEF },
	{ "x.commented", DEF },
	{ "x.upper", "application/x-upper" },
	{ "X.UPPER", "application/x-upper" },
	{ "x.lastext", "application/x-last" },          /* no final newline */
	{ "noext", DEF },
	{ "trailingdot.", DEF },
	{ ".txt", DEF },                                /* a dotfile, no extension */
	{ "dir.txt/file", DEF },
	{ "dir/x.txt", "text/plain" },
	{ "x.jpg", DEF },                               /* not in the fixture */
	{ "", DEF },
};

/* The built-in table (a path that does not exist). */
static const struct lcase builtin_cases[] = {
	{ "x.pdf", "application/pdf" },
	{ "x.png", "image/png" },
	{ "PHOTO.JPG", "image/jpeg" },
	{ "x.jpeg", "image/jpeg" },
	{ "x.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "x.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "x.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "x.odt", "application/vnd.oasis.opendocument.text" },
	{ "x.heic", "image/heic" },
	{ "x.avif", "image/avif" },
	{ "x.webp", "image/webp" },
	{ "x.svg", "image/svg+xml" },
	{ "x.md", "text/markdown" },
	{ "x.csv", "text/csv" },
	{ "x.7z", "application/x-7z-compressed" },
	{ "x.tar.gz", "application/gzip" },
	{ "x.mp4", "video/mp4" },
	{ "x.Mp3", "audio/mpeg" },
	{ "x.epub", "application/epub+zip" },
	{ "x.unknownext", DEF },
	{ "noext", DEF },
	{ ".bashrc", DEF },
};

/* Debian's /etc/mime.types (media-types). */
static const struct lcase system_cases[] = {
	{ "x.pdf", "application/pdf" },
	{ "x.png", "image/png" },
	{ "x.JPG", "image/jpeg" },
	{ "x.jpg", "image/jpeg" },
	{ "x.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "x.txt", "text/plain" },
	{ "x.zzzunknown", DEF },
};

static void check_lookups(const struct s3_mime_db *db, const struct lcase *c,
			  size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		is_str(s3_mime_lookup(db, c[i].file), c[i].want, "%s: \"%s\"",
		       what, c[i].file);
}

static const char *fixture_path(char *buf, size_t cap)
{
	const char *slash = strrchr(__FILE__, '/');

	if (access("tests/unit/" FIXTURE, R_OK) == 0 || !slash)
		return "tests/unit/" FIXTURE;
	snprintf(buf, cap, "%.*s/%s", (int)(slash - __FILE__), __FILE__, FIXTURE);
	return buf;
}

static void test_fixture(void)
{
	char buf[4096];
	struct s3_mime_db *db = NULL;
	const char *path = fixture_path(buf, sizeof buf);

	is_int(s3_mime_load(&db, path), S3_OK, "fixture loads (%s)", path);
	if (!db)
		return;
	is_int(s3_mime_is_builtin(db), 0, "fixture is not the built-in table");
	check_lookups(db, fixture_cases, sizeof fixture_cases / sizeof fixture_cases[0],
		      "fixture");
	s3_mime_free(db);
}

static void test_builtin(void)
{
	struct s3_mime_db *db = NULL;
	size_t i, bad = 0;

	is_int(s3_mime_load(&db, "/nonexistent/mime.types"), S3_OK,
	       "missing file: built-in table, S3_OK");
	if (!db)
		return;
	is_int(s3_mime_is_builtin(db), 1, "missing file: s3_mime_is_builtin");
	check_lookups(db, builtin_cases, sizeof builtin_cases / sizeof builtin_cases[0],
		      "builtin");
	for (i = 0; i < sizeof builtin_cases / sizeof builtin_cases[0]; i++) {
		const char *t = s3_mime_lookup(db, builtin_cases[i].file);
		if (s3_mime_type_check(t, strlen(t)) != S3_OK)
			bad++;
	}
	is_int(bad, 0, "built-in types pass s3_mime_type_check");
	s3_mime_free(db);
}


static void test_system(void)
{
	struct s3_mime_db *db = NULL, *bi = NULL;
	size_t i, bad = 0;

	if (access(S3_MIME_TYPES_PATH, R_OK) != 0) {
		ok(1, "# SKIP no %s (install media-types)", S3_MIME_TYPES_PATH);
		return;
	}
	is_int(s3_mime_load(&db, NULL), S3_OK, "NULL path loads %s", S3_MIME_TYPES_PATH);
	if (!db)
		return;
	is_int(s3_mime_is_builtin(db), 0, "system file is not the built-in table");
	check_lookups(db, system_cases, sizeof system_cases / sizeof system_cases[0],
		      "system");

	/* The built-in table agrees with Debian's file where it names a type. */
	if (s3_mime_load(&bi, "/nonexistent") == S3_OK) {
		for (i = 0; i < sizeof builtin_cases / sizeof builtin_cases[0]; i++) {
			const char *f = builtin_cases[i].file;
			if (strcmp(s3_mime_lookup(bi, f), s3_mime_lookup(db, f))) {
				diag("%s: built-in %s, system %s", f,
				     s3_mime_lookup(bi, f), s3_mime_lookup(db, f));
				bad++;
			}
		}
		s3_mime_free(bi);
	}
	is_int(bad, 0, "built-in table agrees with %s", S3_MIME_TYPES_PATH);

	s3_mime_free(db);
}

/* Writes n bytes of data to a new temporary file; returns its path. */
static const char *temp_file(char *path, const char *data, size_t n)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_mime.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return NULL;
	}
	if (n)
		fwrite(data, 1, n, f);
	fclose(f);
	return path;
}

static enum s3_err load_bytes(const char *data, size_t n, struct s3_mime_db **db)
{
	char path[64];
	enum s3_err e;

	*db = NULL;
	if (!temp_file(path, data, n))
		return S3_ERR__COUNT;
	e = s3_mime_load(db, path);
	unlink(path);
	return e;
}

static void test_files(void)
{
	static const char nul[] = "text/plain txt\0junk more\nimage/png png\nima\0ge/gif gif\n";
	struct s3_mime_db *db = NULL;
	char *big;

	is_int(load_bytes("", 0, &db), S3_OK, "empty file loads");
	is_int(s3_mime_is_builtin(db), 0, "empty file: not built-in");
	is_str(s3_mime_lookup(db, "x.pdf"), DEF, "empty file: every type is the default");
	s3_mime_free(db);

	is_int(load_bytes(nul, sizeof nul - 1, &db), S3_OK, "file with NUL bytes loads");
	is_str(s3_mime_lookup(db, "x.txt"), DEF, "NUL: token with a NUL ignored");
	is_str(s3_mime_lookup(db, "x.more"), "text/plain", "NUL: rest of the line kept");
	is_str(s3_mime_lookup(db, "x.png"), "image/png", "NUL: next line kept");
	is_str(s3_mime_lookup(db, "x.gif"), DEF, "NUL: type with a NUL ignored");
	s3_mime_free(db);

	big = malloc(S3_MIME_FILE_MAX + 1);
	if (!big) {
		ok(0, "malloc");
		return;
	}
	memset(big, '#', S3_MIME_FILE_MAX + 1);
	memcpy(big, "a/b ext\n", 8);
	is_int(load_bytes(big, S3_MIME_FILE_MAX, &db), S3_OK, "file of S3_MIME_FILE_MAX bytes");
	is_str(s3_mime_lookup(db, "f.ext"), "a/b", "file of S3_MIME_FILE_MAX bytes: parsed");
	s3_mime_free(db);
	is_int(load_bytes(big, S3_MIME_FILE_MAX + 1, &db), S3_ERR_TOOLONG,
	       "file over S3_MIME_FILE_MAX: S3_ERR_TOOLONG");
	ok(db == NULL, "*out is NULL on error");
	free(big);

	db = NULL;
	is_int(s3_mime_load(&db, "/"), S3_ERR_IO, "a directory: S3_ERR_IO");
	is_int(s3_mime_load(NULL, "/nonexistent"), S3_ERR_INVAL, "out NULL: S3_ERR_INVAL");
	is_str(s3_mime_lookup(NULL, "x.pdf"), DEF, "NULL db: default");
	s3_mime_load(&db, "/nonexistent");
	is_str(s3_mime_lookup(db, NULL), DEF, "NULL filename: default");
	s3_mime_free(db);
	s3_mime_free(NULL);
}

/* Many distinct extensions force the hash table to grow several times. */
static void test_growth(void)
{
	size_t n = 5000, i, bad = 0, len = 0;
	char *text = malloc(n * 32), name[64], want[64];
	struct s3_mime_db *db = NULL;

	if (!text) {
		ok(0, "malloc");
		return;
	}
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "t/x%zu e%zu E%zuB\n", i, i, i);
	is_int(load_bytes(text, len, &db), S3_OK, "5000-line file loads");
	for (i = 0; i < n && db; i++) {
		sprintf(name, "f.E%zu", i);
		sprintf(want, "t/x%zu", i);
		if (strcmp(s3_mime_lookup(db, name), want))
			bad++;
		sprintf(name, "f.e%zub", i);
		if (strcmp(s3_mime_lookup(db, name), want))
			bad++;
	}
	is_int(bad, 0, "all 10000 extensions found after growing");
	s3_mime_free(db);
	free(text);
}

struct tcase {
	const char *type;
	enum s3_err want;
};

static const struct tcase type_cases[] = {
	{ "image/png", S3_OK },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", S3_OK },
	{ "text/plain;charset=utf-8", S3_OK },
	{ "text/plain;charset=\"utf-8\"", S3_OK },
	{ "application/x-www-form-urlencoded", S3_OK },
	{ "image/svg+xml", S3_OK },
	{ "application/epub+zip", S3_OK },
	{ "IMAGE/PNG", S3_OK },
	{ "a/b", S3_OK },
	{ "1/2", S3_OK },
	{ "a!#$&-^_.+/b!#$&-^_.+", S3_OK },
	{ "a/b;c=d;e=f", S3_OK },
	{ "a/b;c=\"\"", S3_OK },
	{ "a/b;c=\"x\\\"y\"", S3_OK },
	{ "a/b;c=\"a;b=c\"", S3_OK },
	{ "a/b;c=\"x\\\\\"", S3_OK },
	{ "a/b;c=!#$%&'*+-.^_`|~", S3_OK },
	{ "multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", S3_OK },
	{ "video/mp4;codecs=\"avc1.42E01E,mp4a.40.2\"", S3_OK },
	{ "", S3_ERR_INVAL },
	{ "image", S3_ERR_INVAL },
	{ "image/", S3_ERR_INVAL },
	{ "/png", S3_ERR_INVAL },
	{ "/", S3_ERR_INVAL },
	{ "image/png ", S3_ERR_INVAL },
	{ " image/png", S3_ERR_INVAL },
	{ "image/png\t", S3_ERR_INVAL },
	{ "image/png\n", S3_ERR_INVAL },
	{ "text/plain; charset=utf-8", S3_ERR_INVAL },
	{ "image/png\r\nX-Injected: 1", S3_ERR_INVAL },
	{ "ima ge/png", S3_ERR_INVAL },
	{ "image/p\xC3\xB1g", S3_ERR_INVAL },
	{ "image/png\x7F", S3_ERR_INVAL },
	{ "image//png", S3_ERR_INVAL },
	{ "image/png/x", S3_ERR_INVAL },
	{ "-image/png", S3_ERR_INVAL },
	{ "image/-png", S3_ERR_INVAL },
	{ ".a/b", S3_ERR_INVAL },
	{ "a*/b", S3_ERR_INVAL },
	{ "a/b*", S3_ERR_INVAL },
	{ "a/b@c", S3_ERR_INVAL },
	{ "a=b/c", S3_ERR_INVAL },
	{ "text/html,text/plain", S3_ERR_INVAL },
	{ "a/b;", S3_ERR_INVAL },
	{ "a/b;c", S3_ERR_INVAL },
	{ "a/b;=d", S3_ERR_INVAL },
	{ "a/b;c=", S3_ERR_INVAL },
	{ "a/b;c=d;", S3_ERR_INVAL },
	{ "a/b;;c=d", S3_ERR_INVAL },
	{ "a/b;c=d=e", S3_ERR_INVAL },
	{ "a/b;c(=d", S3_ERR_INVAL },
	{ "a/b;c=d e", S3_ERR_INVAL },
	{ "a/b;c=\"unterminated", S3_ERR_INVAL },
	{ "a/b;c=\"x\"y", S3_ERR_INVAL },
	{ "a/b;c=\"x y\"", S3_ERR_INVAL },
	{ "a/b;c=\"x\ty\"", S3_ERR_INVAL },
	{ "a/b;c=\"\\\"", S3_ERR_INVAL },
	{ "a/b;c=\"x\\", S3_ERR_INVAL },
	{ "a/b;c=\"\x01\"", S3_ERR_INVAL },
	{ "a/b;c=\"\xC3\xA9\"", S3_ERR_INVAL },
	{ "a/b;c=\"", S3_ERR_INVAL },
};

/* s with control and non-ASCII bytes as \xNN, for a one-line test name. */
static const char *escaped(const char *s)
{
	static char buf[256 * 4 + 1];
	size_t o = 0;

	for (; *s && o < sizeof buf - 5; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c > 0x7E)
			o += (size_t)sprintf(buf + o, "\\x%02X", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static void test_type_check(void)
{
	size_t i;
	char buf[400];

	for (i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++) {
		const struct tcase *t = &type_cases[i];
		is_int(s3_mime_type_check(t->type, strlen(t->type)), t->want,
		       "type_check \"%s\"", escaped(t->type));
	}
	is_int(s3_mime_type_check("image/png\0", 10), S3_ERR_INVAL, "type_check: NUL inside");
	is_int(s3_mime_type_check("image/pngXX", 9), S3_OK, "type_check: len honoured");
	is_int(s3_mime_type_check(NULL, 0), S3_ERR_INVAL, "type_check: NULL");

	/* restricted-name: at most 127 characters */
	memset(buf, 'a', 127);
	strcpy(buf + 127, "/b");
	is_int(s3_mime_type_check(buf, strlen(buf)), S3_OK, "type of 127 characters");
	memset(buf, 'a', 128);
	strcpy(buf + 128, "/b");
	is_int(s3_mime_type_check(buf, strlen(buf)), S3_ERR_INVAL, "type of 128 characters");
	strcpy(buf, "a/");
	memset(buf + 2, 'b', 127);
	buf[129] = '\0';
	is_int(s3_mime_type_check(buf, strlen(buf)), S3_OK, "subtype of 127 characters");
	strcpy(buf, "a/");
	memset(buf + 2, 'b', 128);
	buf[130] = '\0';
	is_int(s3_mime_type_check(buf, strlen(buf)), S3_ERR_INVAL, "subtype of 128 characters");

	/* total length */
	strcpy(buf, "a/b;c=");
	memset(buf + 6, 'x', S3_MIME_TYPE_MAX - 6);
	buf[S3_MIME_TYPE_MAX] = '\0';
	is_int(s3_mime_type_check(buf, S3_MIME_TYPE_MAX), S3_OK, "255 bytes");
	buf[S3_MIME_TYPE_MAX] = 'x';
	buf[S3_MIME_TYPE_MAX + 1] = '\0';
	is_int(s3_mime_type_check(buf, S3_MIME_TYPE_MAX + 1), S3_ERR_TOOLONG,
	       "256 bytes: S3_ERR_TOOLONG");
}

#define ALNUM "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

static int in(const char *set, int c)
{
	return c != 0 && strchr(set, c) != NULL;
}

/* Every byte value in every position, against the sets written out. */
static void test_every_byte(void)
{
	size_t bad = 0;
	int c;

	for (c = 1; c < 256; c++) {
		char b[5][16];
		int want[5], k;

		sprintf(b[0], "%c/b", c);
		want[0] = in(ALNUM, c);
		sprintf(b[1], "a%c/b", c);
		want[1] = in(ALNUM "!#$&-^_.+", c);
		sprintf(b[2], "a/b;%c=d", c);
		want[2] = in(ALNUM "!#$%&'*+-.^_`|~", c);
		sprintf(b[3], "a/b;c=%c", c);
		want[3] = want[2];      /* a lone '"' is an unterminated string */
		sprintf(b[4], "a/b;c=\"%c\"", c);
		want[4] = c >= 0x21 && c <= 0x7E && c != '"' && c != '\\';
		for (k = 0; k < 5; k++) {
			enum s3_err e = s3_mime_type_check(b[k], strlen(b[k]));
			if ((e == S3_OK) != want[k]) {
				if (bad++ < 5)
					diag("byte 0x%02X in \"%s\": got %d", c, escaped(b[k]), e);
			}
		}
	}
	is_int(bad, 0, "every byte in every position is classified as specified");
}

int main(void)
{
	test_fixture();
	test_builtin();
	test_system();
	test_files();
	test_growth();
	test_type_check();
	test_every_byte();
	return done_testing();
}
