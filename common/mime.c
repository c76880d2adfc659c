/* mime.c - mime.types database and Content-Type validation; see mime.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mime.h"
#include "file.h"
#include "syntax.h"

struct mime_slot {
	const char *ext;        /* lowercase, NUL-terminated; NULL: empty slot */
	const char *type;
};

struct s3_mime_db {
	struct mime_slot *slots;
	size_t mask;            /* slot count - 1 (a power of two minus one) */
	size_t count;
	char *text;             /* the file's contents, tokens NUL-terminated */
	int builtin;
};

#define MIME_MIN_SLOTS 256

/* Common upload types; the same types as Debian's media-types. */
static const struct { const char *ext, *type; } builtin[] = {
	{ "jpg", "image/jpeg" },        { "jpeg", "image/jpeg" },
	{ "png", "image/png" },         { "gif", "image/gif" },
	{ "webp", "image/webp" },       { "avif", "image/avif" },
	{ "heic", "image/heic" },       { "heif", "image/heif" },
	{ "svg", "image/svg+xml" },     { "ico", "image/vnd.microsoft.icon" },
	{ "bmp", "image/bmp" },         { "tif", "image/tiff" },
	{ "tiff", "image/tiff" },       { "psd", "image/vnd.adobe.photoshop" },
	{ "pdf", "application/pdf" },   { "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "rtf", "application/rtf" },   { "epub", "application/epub+zip" },
	{ "eps", "application/postscript" },
	{ "txt", "text/plain" },        { "csv", "text/csv" },
	{ "tsv", "text/tab-separated-values" },
	{ "htm", "text/html" },         { "html", "text/html" },
	{ "css", "text/css" },          { "js", "text/javascript" },
	{ "mjs", "text/javascript" },   { "json", "application/json" },
	{ "xml", "application/xml" },   { "md", "text/markdown" },
	{ "markdown", "text/markdown" },{ "ics", "text/calendar" },
	{ "vcf", "text/vcard" },        { "vtt", "text/vtt" },
	{ "zip", "application/zip" },   { "gz", "application/gzip" },
	{ "tar", "application/x-tar" }, { "7z", "application/x-7z-compressed" },
	{ "rar", "application/vnd.rar" },
	{ "xz", "application/x-xz" },   { "wasm", "application/wasm" },
	{ "mp3", "audio/mpeg" },        { "m4a", "audio/mp4" },
	{ "wav", "audio/x-wav" },       { "ogg", "audio/ogg" },
	{ "oga", "audio/ogg" },         { "opus", "audio/ogg" },
	{ "flac", "audio/flac" },       { "aac", "audio/aac" },
	{ "mp4", "video/mp4" },         { "m4v", "video/mp4" },
	{ "webm", "video/webm" },       { "ogv", "video/ogg" },
	{ "mov", "video/quicktime" },   { "avi", "video/x-msvideo" },
	{ "mkv", "video/x-matroska" },  { "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },        { "woff", "font/woff" },
	{ "woff2", "font/woff2" },      { "ttf", "font/ttf" },
	{ "otf", "font/otf" },
};

/* ---- character classes ---- */

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ---- Content-Type syntax ---- */

/* Length of "type/subtype" at the start of s[0..n), 0 when malformed. */
static size_t type_subtype(const char *s, size_t n)
{
	size_t t = s3_restricted_name_len(s, n), st;

	if (t == 0 || t >= n || s[t] != '/')
		return 0;
	st = s3_restricted_name_len(s + t + 1, n - t - 1);
	return st ? t + 1 + st : 0;
}

/* Length of a quoted-string at s[0..n) without white space, 0 if none. */
static size_t quoted_string(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != '"')
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (++i == n)
				return 0;
			c = (unsigned char)s[i];
		}
		if (c < 0x21 || c > 0x7E)
			return 0;
	}
	return 0;
}

/* Length of ";name=value" at s[0..n), 0 when malformed. */
static size_t parameter(const char *s, size_t n)
{
	size_t i = 1, k;

	if (n == 0 || s[0] != ';')
		return 0;
	k = s3_token_len(s + i, n - i);
	if (k == 0)
		return 0;
	i += k;
	if (i >= n || s[i] != '=')
		return 0;
	i++;
	k = i < n && s[i] == '"' ? quoted_string(s + i, n - i) : s3_token_len(s + i, n - i);
	return k ? i + k : 0;
}

enum s3_err s3_mime_type_check(const char *type, size_t len)
{
	size_t i, k;

	if (!type)
		return S3_ERR_INVAL;
	if (len > S3_MIME_TYPE_MAX)
		return S3_ERR_TOOLONG;
	i = type_subtype(type, len);
	if (i == 0)
		return S3_ERR_INVAL;
	while (i < len) {
		k = parameter(type + i, len - i);
		if (k == 0)
			return S3_ERR_INVAL;
		i += k;
	}
	return S3_OK;
}

/* ---- hash table ---- */

static uint64_t hash_ext(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;       /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3u;
	}
	return h;
}

/* The slot holding ext, or the empty slot where it belongs. */
static struct mime_slot *find_slot(const struct s3_mime_db *db, const char *ext)
{
	size_t i = (size_t)hash_ext(ext) & db->mask;

	while (db->slots[i].ext && strcmp(db->slots[i].ext, ext))
		i = (i + 1) & db->mask;
	return &db->slots[i];
}

static enum s3_err grow(struct s3_mime_db *db)
{
	size_t old_n = db->slots ? db->mask + 1 : 0, n, i;
	struct mime_slot *old = db->slots;

	n = old_n ? old_n * 2 : MIME_MIN_SLOTS;
	db->slots = calloc(n, sizeof *db->slots);
	if (!db->slots) {
		db->slots = old;
		return S3_ERR_NOMEM;
	}
	db->mask = n - 1;
	for (i = 0; i < old_n; i++)
		if (old[i].ext)
			*find_slot(db, old[i].ext) = old[i];
	free(old);
	return S3_OK;
}

/* Adds ext -> type unless ext is already there (the first one wins). */
static enum s3_err add_ext(struct s3_mime_db *db, const char *ext, const char *type)
{
	struct mime_slot *slot;

	if (!db->slots || (db->count + 1) * 2 > db->mask + 1) {
		enum s3_err e = grow(db);
		if (e != S3_OK)
			return e;
	}
	slot = find_slot(db, ext);
	if (slot->ext)
		return S3_OK;
	slot->ext = ext;
	slot->type = type;
	db->count++;
	return S3_OK;
}

/* ---- loading ---- */

static enum s3_err load_builtin(struct s3_mime_db *db)
{
	size_t i;
	enum s3_err e;

	db->builtin = 1;
	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
		e = add_ext(db, builtin[i].ext, builtin[i].type);
		if (e != S3_OK)
			return e;
	}
	return S3_OK;
}

/* An extension token: 1..S3_MIME_EXT_MAX printable ASCII bytes. */
static int valid_ext(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > S3_MIME_EXT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E)
			return 0;
	return 1;
}

/* Parses the line s[0..n) (no '\n'), NUL-terminating its tokens in place;
 * s[n] is writable. */
static enum s3_err parse_line(struct s3_mime_db *db, char *s, size_t n)
{
	size_t i = 0, b, tl, k;
	const char *type = NULL;
	enum s3_err e;

	for (;;) {
		while (i < n && is_blank((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] == '#')
			return S3_OK;
		b = i;
		while (i < n && !is_blank((unsigned char)s[i]))
			i++;
		tl = i - b;
		s[i++] = '\0';          /* a blank, or s[n] */
		if (!type) {
			if (tl > S3_MIME_TYPE_MAX || type_subtype(s + b, tl) != tl)
				return S3_OK;   /* invalid type: ignore the line */
			type = s + b;
			continue;
		}
		if (!valid_ext(s + b, tl))
			continue;
		for (k = b; k < b + tl; k++)
			s[k] = (char)ascii_lower((unsigned char)s[k]);
		e = add_ext(db, s + b, type);
		if (e != S3_OK)
			return e;
	}
}

static enum s3_err parse(struct s3_mime_db *db, char *text, size_t len)
{
	size_t i = 0, end;
	char *nl;
	enum s3_err e;

	while (i < len) {
		nl = memchr(text + i, '\n', len - i);
		end = nl ? (size_t)(nl - text) : len;
		e = parse_line(db, text + i, end - i);
		if (e != S3_OK)
			return e;
		i = end + 1;
	}
	return S3_OK;
}

/* Loads path; S3_ERR_NOTFOUND when it does not exist. */
static enum s3_err load_file(struct s3_mime_db *db, const char *path)
{
	struct s3_file f;
	enum s3_err e = s3_file_read(&f, path, S3_MIME_FILE_MAX, NULL, 0);

	if (e != S3_OK)
		return e;
	db->text = f.buf;
	return parse(db, db->text, f.len);
}

enum s3_err s3_mime_load(struct s3_mime_db **out, const char *path)
{
	struct s3_mime_db *db;
	enum s3_err e;

	if (!out)
		return S3_ERR_INVAL;
	*out = NULL;
	db = calloc(1, sizeof *db);
	if (!db)
		return S3_ERR_NOMEM;
	e = load_file(db, path ? path : S3_MIME_TYPES_PATH);
	if (e == S3_ERR_NOTFOUND)
		e = load_builtin(db);
	if (e == S3_OK && !db->slots)
		e = grow(db);           /* an empty file: lookups need a table */
	if (e != S3_OK) {
		s3_mime_free(db);
		return e;
	}
	*out = db;
	return S3_OK;
}

int s3_mime_is_builtin(const struct s3_mime_db *db)
{
	return db && db->builtin;
}

const char *s3_mime_lookup(const struct s3_mime_db *db, const char *filename)
{
	char key[S3_MIME_EXT_MAX + 1];
	const char *base, *dot;
	const struct mime_slot *slot;
	size_t n, i;

	if (!db || !filename)
		return S3_MIME_DEFAULT;
	base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return S3_MIME_DEFAULT;
	n = strlen(dot + 1);
	if (n == 0 || n > S3_MIME_EXT_MAX)
		return S3_MIME_DEFAULT;
	for (i = 0; i < n; i++)
		key[i] = (char)ascii_lower((unsigned char)dot[1 + i]);
	key[n] = '\0';
	slot = find_slot(db, key);
	return slot->ext ? slot->type : S3_MIME_DEFAULT;
}

void s3_mime_free(struct s3_mime_db *db)
{
	if (!db)
		return;
	free(db->slots);
	free(db->text);
	free(db);
}
