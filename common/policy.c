/* policy.c - user key segments, allowed types, contradictions (policy.h). */
#include "policy.h"
#include "syntax.h"

#include <string.h>

#include "utf8.h"


/* ---- user names --------------------------------------------------------- */

static int user_keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '@' || c == '+' || c == '.';
}

enum s3_err s3_user_keysafe(const char *user, size_t len, char *out, size_t cap,
                            size_t *outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	int dots = (len == 1 && user[0] == '.') ||
	           (len == 2 && user[0] == '.' && user[1] == '.');
	size_t w = 0;

	*outlen = 0;
	if (cap)
		out[0] = '\0';
	if (len == 0)
		return S3_ERR_INVAL;
	if (len > S3_USER_MAX)
		return S3_ERR_TOOLONG;
	if (memchr(user, '\0', len))
		return S3_ERR_INVAL;
	if (!utf8_valid(user, len))
		return S3_ERR_UTF8;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)user[i];

		if (user_keep(c) && !dots) {
			if (w + 1 >= cap)
				goto toolong;
			out[w++] = (char)c;
		} else {
			if (w + 3 >= cap)
				goto toolong;
			out[w++] = '_';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 0xf];
		}
	}
	out[w] = '\0';
	*outlen = w;
	return S3_OK;
toolong:
	if (cap)
		out[0] = '\0';
	return S3_ERR_TOOLONG;
}

int s3_prefix_user(const char *prefix)
{
	const char *p = strstr(prefix, S3_PREFIX_USER);
	size_t n = sizeof S3_PREFIX_USER - 1;

	if (!p)
		return 0;
	if (p[n] != '/' || strstr(p + n, S3_PREFIX_USER))
		return -1;
	return 1;
}

enum s3_err s3_prefix_expand(const char *prefix, const char *seg, char *out,
                             size_t cap, size_t *outlen)
{
	const char *p = strstr(prefix, S3_PREFIX_USER);
	size_t n = sizeof S3_PREFIX_USER - 1;
	size_t head = p ? (size_t)(p - prefix) : strlen(prefix);
	size_t sl = p ? strlen(seg) : 0;
	size_t tail = p ? strlen(p + n) : 0;

	*outlen = 0;
	if (head + sl + tail >= cap) {
		if (cap)
			out[0] = '\0';
		return S3_ERR_TOOLONG;
	}
	memcpy(out, prefix, head);
	if (p) {
		memcpy(out + head, seg, sl);
		memcpy(out + head + sl, p + n, tail);
	}
	out[head + sl + tail] = '\0';
	*outlen = head + sl + tail;
	return S3_OK;
}

/* ---- media types ------------------------------------------------------- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) is one whole restricted-name (not empty). */
static int whole_name(const char *s, size_t n)
{
	return n && s3_restricted_name_len(s, n) == n;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

size_t s3_type_base(const char *type, size_t len, char *out, size_t cap)
{
	const char *semi = memchr(type, ';', len);
	size_t n = semi ? (size_t)(semi - type) : len;

	while (n && is_ws(type[n - 1]))
		n--;
	while (n && is_ws(*type))
		type++, n--;
	if (n == 0 || n >= cap || !memchr(type, '/', n)) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = lower(type[i]);
	out[n] = '\0';
	return n;
}

#define TYPES_WHAT "expected a comma-separated list of media types: type/subtype, " \
                   "type/* or */* (at most " S3_STR(S3_TYPES_MAX_ENTRIES) " entries, " \
                   S3_STR(S3_TYPES_LIST_MAX) " bytes)"

const char *s3_types_parse(const char *v, char *out, size_t cap, size_t *outlen)
{
	size_t w = 0, entries = 0, len = strlen(v);

	*outlen = 0;
	if (cap)
		out[0] = '\0';
	if (len > S3_TYPES_LIST_MAX || cap < len + 1)
		return TYPES_WHAT;
	while (*v) {
		size_t n = strcspn(v, ","), a = 0, b = n;
		const char *e = v, *slash;

		while (a < b && is_ws(e[a]))
			a++;
		while (b > a && is_ws(e[b - 1]))
			b--;
		e += a;
		b -= a;
		slash = memchr(e, '/', b);
		if (!slash || ++entries > S3_TYPES_MAX_ENTRIES)
			return TYPES_WHAT;
		{
			size_t tn = (size_t)(slash - e), sn = b - tn - 1;
			const char *sub = slash + 1;
			int star_t = tn == 1 && e[0] == '*';
			int star_s = sn == 1 && sub[0] == '*';

			if (star_t && !star_s)
				return TYPES_WHAT;      /* "* /png" means nothing */
			if ((!star_t && !whole_name(e, tn)) ||
			    (!star_s && !whole_name(sub, sn)))
				return TYPES_WHAT;
		}
		if (w)
			out[w++] = ',';
		for (size_t i = 0; i < b; i++)
			out[w++] = lower(e[i]);
		v += n;
		if (*v == ',') {
			v++;
			if (!*v)
				return TYPES_WHAT;      /* trailing comma */
		}
	}
	if (entries == 0)
		return TYPES_WHAT;
	out[w] = '\0';
	*outlen = w;
	return NULL;
}

int s3_types_allowed(const char *list, const char *type, size_t len)
{
	char base[S3_TYPE_BASE_MAX + 1];
	size_t bn = s3_type_base(type, len, base, sizeof base);
	size_t tn;

	if (!bn || !list)
		return 0;
	tn = (size_t)(strchr(base, '/') - base);
	while (*list) {
		size_t n = strcspn(list, ",");

		if (n == 3 && !memcmp(list, "*/*", 3))
			return 1;
		if (n == tn + 2 && !memcmp(list, base, tn + 1) && list[tn + 1] == '*')
			return 1;
		if (n == bn && !memcmp(list, base, bn))
			return 1;
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* ---- the contradiction rule --------------------------------------------- */

static const char *const generic[] = {
	"application/octet-stream", "text/plain", "inode/x-empty",
	"application/x-empty", NULL,
};

/* Names of one type; each group ends with NULL, the table with two. */
static const char *const aliases[] = {
	/* executables */
	"application/x-executable", "application/x-pie-executable",
	"application/x-sharedlib", "application/x-object", "application/x-elf",
	"application/x-dosexec", "application/x-msdownload",
	"application/x-ms-dos-executable", "application/x-msdos-program",
	"application/vnd.microsoft.portable-executable",
	"application/x-mach-binary", "application/x-mach-o-executable", NULL,
	/* scripts and active documents */
	"text/html", "application/xhtml+xml", NULL,
	"text/javascript", "application/javascript", "application/x-javascript",
	"application/ecmascript", "text/ecmascript", "text/x-javascript", NULL,
	"text/x-shellscript", "text/x-sh", "application/x-sh",
	"application/x-shellscript", NULL,
	"text/x-php", "application/x-php", "application/x-httpd-php", "text/php", NULL,
	"text/x-msdos-batch", "application/x-bat", "application/x-msdos-batch", NULL,
	"image/svg+xml", NULL,
	/* harmless from here on (see s3_type_dangerous) */
	"text/xml", "application/xml", NULL,
	NULL,
};

/* The group of t in aliases[] (index of its first name), or -1. */
static long alias_group(const char *t)
{
	long start = 0;

	for (long i = 0; aliases[i] || aliases[i + 1]; i++) {
		if (!aliases[i]) {
			start = i + 1;
			continue;
		}
		if (!strcmp(aliases[i], t))
			return start;
	}
	return -1;
}

int s3_type_generic(const char *t)
{
	for (size_t i = 0; generic[i]; i++)
		if (!strcmp(generic[i], t))
			return 1;
	return 0;
}

/* The groups of aliases[] before the one of "text/xml" are dangerous. */
int s3_type_dangerous(const char *t)
{
	long g = alias_group(t);

	return g >= 0 && g < alias_group("text/xml");
}

int s3_type_same(const char *a, const char *b)
{
	long g;

	if (!strcmp(a, b))
		return 1;
	g = alias_group(a);
	return g >= 0 && g == alias_group(b);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The top-level type for rule 4: audio and video are one; text, JSON and
 * XML (also as a +json or +xml suffix) are one ("text"). */
static size_t top_level(const char *t, const char **top)
{
	static const char *const textual[] = {
		"application/json", "application/xml", "application/javascript",
		"application/ecmascript", NULL,
	};
	const char *slash = strchr(t, '/');

	if (!strncmp(t, "text/", 5) || ends_with(t, "+json") || ends_with(t, "+xml")) {
		*top = "text";
		return 4;
	}
	for (size_t i = 0; textual[i]; i++) {
		if (!strcmp(t, textual[i])) {
			*top = "text";
			return 4;
		}
	}
	if (!strncmp(t, "audio/", 6) || !strncmp(t, "video/", 6)) {
		*top = "av";
		return 2;
	}
	*top = t;
	return slash ? (size_t)(slash - t) : strlen(t);
}

int s3_type_contradicts(const char *declared, const char *detected)
{
	const char *td, *ts;
	size_t nd, ns;

	if (s3_type_generic(detected) || !strcmp(declared, "application/octet-stream") ||
	    s3_type_same(declared, detected))
		return 0;
	if (s3_type_dangerous(detected))
		return 1;
	nd = top_level(declared, &td);
	ns = top_level(detected, &ts);
	return nd != ns || memcmp(td, ts, nd) != 0;
}

int s3_type_active(const char *t)
{
	static const char *const active[] = {
		"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
		"application/xml", "text/xsl", "application/xslt+xml",
		"text/javascript", "application/javascript", "application/x-javascript",
		"text/ecmascript", "application/ecmascript",
	};
	size_t n = strlen(t);

	for (size_t i = 0; i < sizeof active / sizeof *active; i++)
		if (!strcmp(t, active[i]))
			return 1;
	return n > 4 && !strcmp(t + n - 4, "+xml");
}
