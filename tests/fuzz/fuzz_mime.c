/* fuzz_mime.c - common/mime.h: s3_mime_lookup, s3_mime_type_check and the
 * mime.types loader.
 *
 * Input: byte 0 % 3 chooses the mode, the rest is the payload.
 *   0: the payload (to its first NUL) is a file name, looked up in the
 *      database loaded once from /etc/mime.types (or, when that is missing,
 *      tests/unit/mime.types.sample via $FUZZ_MIME_TYPES) and in the
 *      built-in table. Checks: never NULL, always a valid media type with
 *      no white space or control characters; extensions match ASCII
 *      case-insensitively; only the part after the last '/' counts.
 *   1: the payload is a client Content-Type for s3_mime_type_check,
 *      compared with a reference recognizer written here from mime.h; an
 *      accepted type has no white space, control or non-ASCII byte.
 *   2: the payload is a mime.types file (from a memfd), loaded with
 *      s3_mime_load; then every extension a reference parser finds is
 *      looked up and must give the type of its first line. */
#include "fuzz_util.h"
#include "mime.h"

static struct s3_mime_db *filedb, *builtindb;
static struct fuzz_memfile mf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_MIME_TYPES");

	(void)argc, (void)argv;
	if (!path)
		path = access(S3_MIME_TYPES_PATH, R_OK) == 0 ? S3_MIME_TYPES_PATH
							      : "tests/unit/mime.types.sample";
	if (s3_mime_load(&filedb, path) != S3_OK ||
	    s3_mime_load(&builtindb, "/nonexistent/fuzz/mime.types") != S3_OK ||
	    !s3_mime_is_builtin(builtindb)) {
		fprintf(stderr, "fuzz_mime: cannot load %s or the built-in table\n", path);
		abort();
	}
	fuzz_memfile_init(&mf, "fuzz_mime");
	return 0;
}

/* ---- a reference recognizer for client Content-Types ----------------- */

static int alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int rchar(int c)   /* RFC 6838 restricted-name-chars */
{
	return alnum(c) || (c && strchr("!#$&-^_.+", c));
}

static int tchar(int c)   /* RFC 7230 tchar */
{
	return alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* restricted-name at s[*i..n): 1 + 0..126 rchars */
static int ref_rname(const unsigned char *s, size_t n, size_t *i)
{
	size_t b = *i;

	if (*i >= n || !alnum(s[*i]))
		return 0;
	for ((*i)++; *i < n && rchar(s[*i]); (*i)++)
		;
	return *i - b <= 127;
}

static int ref_type_check(const unsigned char *s, size_t n)
{
	size_t i = 0;

	if (!ref_rname(s, n, &i) || i >= n || s[i] != '/')
		return 0;
	i++;
	if (!ref_rname(s, n, &i))
		return 0;
	while (i < n) {
		size_t b;

		if (s[i++] != ';')
			return 0;
		for (b = i; i < n && tchar(s[i]); i++)
			;
		if (i == b || i >= n || s[i++] != '=')
			return 0;
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && ++i >= n)
					return 0;
				if (s[i] < 0x21 || s[i] > 0x7E)
					return 0;
			}
			if (i >= n)
				return 0;
			i++;     /* the closing quote */
		} else {
			for (b = i; i < n && tchar(s[i]); i++)
				;
			if (i == b)
				return 0;
		}
	}
	return 1;
}

static void check_type(const char *t)
{
	size_t n;

	CHECK(t != NULL, "lookup returned NULL");
	n = strlen(t);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)t[i] > 0x20 && (unsigned char)t[i] < 0x7F,
		      "type \"%s\" has byte 0x%02x", t, (unsigned char)t[i]);
	CHECK(s3_mime_type_check(t, n) == S3_OK, "type \"%s\" fails s3_mime_type_check", t);
}

/* ---- mode 0: lookups --------------------------------------------------- */

static void lookups(const uint8_t *d, size_t n)
{
	char *name = fuzz_strndup(d, n), *up, *pre;
	const char *a, *b, *base;
	size_t len = strlen(name);

	a = s3_mime_lookup(filedb, name);
	b = s3_mime_lookup(builtindb, name);
	check_type(a);
	check_type(b);
	/* ASCII case does not matter */
	up = strdup(name);
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	CHECK(!strcmp(s3_mime_lookup(filedb, up), a), "case changes the type of \"%s\"", name);
	CHECK(!strcmp(s3_mime_lookup(builtindb, up), b), "case changes the built-in type");
	/* only the last segment counts: a directory in front changes nothing */
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	pre = malloc(len + 8);
	snprintf(pre, len + 8, "d.x/%s", base);
	CHECK(!strcmp(s3_mime_lookup(filedb, pre), a), "a directory changes the type");
	/* no dot in the last segment, or only a leading one: the default */
	if (!strchr(base, '.') || (base[0] == '.' && !strchr(base + 1, '.')))
		CHECK(!strcmp(a, S3_MIME_DEFAULT) && !strcmp(b, S3_MIME_DEFAULT),
		      "no extension but type %s", a);
	CHECK(!strcmp(s3_mime_lookup(NULL, name), S3_MIME_DEFAULT), "NULL db");
	free(pre);
	free(up);
	free(name);
}

/* ---- mode 1: client Content-Types --------------------------------------- */

static void type_check(const uint8_t *d, size_t n)
{
	char *t = fuzz_dup_exact(d, n);
	enum s3_err e = s3_mime_type_check(t, n);
	int want = ref_type_check(d, n);

	CHECK(e == S3_OK || e == S3_ERR_INVAL || e == S3_ERR_TOOLONG, "error %d", (int)e);
	if (n > S3_MIME_TYPE_MAX)
		CHECK(e == S3_ERR_TOOLONG, "%zu bytes: %d, want S3_ERR_TOOLONG", n, (int)e);
	else
		CHECK((e == S3_OK) == want, "s3_mime_type_check %s it, the reference %s it",
		      e == S3_OK ? "accepts" : "refuses", want ? "accepts" : "refuses");
	if (e == S3_OK) {
		CHECK(n >= 3 && memchr(t, '/', n), "accepted without a '/'");
		for (size_t i = 0; i < n; i++)
			CHECK(d[i] > 0x20 && d[i] < 0x7F, "accepted byte 0x%02x at %zu", d[i], i);
	}
	free(t);
}

/* ---- mode 2: the loader -------------------------------------------------- */

static int blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The type of a full-line token t[0..n): type/subtype only. */
static int ref_file_type(const unsigned char *t, size_t n)
{
	size_t i = 0;

	if (n > S3_MIME_TYPE_MAX || !ref_rname(t, n, &i) || i >= n || t[i] != '/')
		return 0;
	i++;
	return ref_rname(t, n, &i) && i == n;
}

static void loader(const uint8_t *d, size_t n)
{
	struct s3_mime_db *db = NULL;
	enum s3_err e;
	size_t i = 0;
	/* the first type of each extension, by the reference: kept small */
	struct { char ext[S3_MIME_EXT_MAX + 1]; char type[S3_MIME_TYPE_MAX + 1]; } *ref;
	size_t nref = 0, capref = 64;

	fuzz_memfile_set(&mf, d, n);
	e = s3_mime_load(&db, mf.path);
	if (n > S3_MIME_FILE_MAX) {
		CHECK(e == S3_ERR_TOOLONG && !db, "loading a %zu-byte file: error %d", n, (int)e);
		return;
	}
	CHECK(e == S3_OK, "loading a %zu-byte file: error %d", n, (int)e);
	CHECK(!s3_mime_is_builtin(db), "a readable file gave the built-in table");
	ref = malloc(capref * sizeof *ref);
	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - d) : n, tb, tl;
		const uint8_t *type = NULL;
		size_t typelen = 0;

		while (i < end) {
			while (i < end && blank(d[i]))
				i++;
			if (i >= end || d[i] == '#')
				break;
			for (tb = i; i < end && !blank(d[i]); i++)
				;
			tl = i - tb;
			if (!type) {
				if (!ref_file_type(d + tb, tl))
					break;
				type = d + tb;
				typelen = tl;
				continue;
			}
			if (tl == 0 || tl > S3_MIME_EXT_MAX)
				continue;
			int ok = 1;
			for (size_t k = tb; k < tb + tl; k++)
				if (d[k] < 0x21 || d[k] > 0x7E)
					ok = 0;
			if (!ok)
				continue;
			char ext[S3_MIME_EXT_MAX + 1];
			for (size_t k = 0; k < tl; k++)
				ext[k] = (char)(d[tb + k] >= 'A' && d[tb + k] <= 'Z' ? d[tb + k] + 32 : d[tb + k]);
			ext[tl] = '\0';
			size_t j;
			for (j = 0; j < nref && strcmp(ref[j].ext, ext); j++)
				;
			if (j < nref)
				continue;           /* the first line wins */
			if (nref == capref) {
				capref *= 2;
				ref = realloc(ref, capref * sizeof *ref);
			}
			memcpy(ref[nref].ext, ext, tl + 1);
			memcpy(ref[nref].type, type, typelen);
			ref[nref].type[typelen] = '\0';
			nref++;
		}
		i = end + 1;
	}
	for (size_t j = 0; j < nref; j++) {
		char name[S3_MIME_EXT_MAX + 3] = "f.";
		const char *got;

		if (strpbrk(ref[j].ext, "./"))
			continue;           /* not reachable as a file name's extension */
		strcat(name, ref[j].ext);
		got = s3_mime_lookup(db, name);
		check_type(got);
		CHECK(!strcmp(got, ref[j].type), "\"%s\": %s, reference %s", name, got, ref[j].type);
	}
	/* an extension the file does not have */
	check_type(s3_mime_lookup(db, "f.zz-not-there"));
	free(ref);
	s3_mime_free(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: lookups(data + 1, size - 1); break;
	case 1: type_check(data + 1, size - 1); break;
	default: loader(data + 1, size - 1); break;
	}
	return 0;
}
