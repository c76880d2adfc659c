/* cors.c - CORS as a browser and S3 read it (see cors.h). */
#include "cors.h"

#include <string.h>
#include <strings.h>

/* n bytes of a and b alike; nocase: ASCII letters in either case (the
 * C locale's strncasecmp, as s3_cors_list_has compares). */
static int same_n(const char *a, const char *b, size_t n, int nocase)
{
	return nocase ? !strncasecmp(a, b, n) : !memcmp(a, b, n);
}

int s3_cors_glob(const char *pattern, const char *s, int nocase)
{
	const char *star;
	size_t pl, sl, head, tail;

	if (!pattern || !s)
		return 0;
	pl = strlen(pattern);
	sl = strlen(s);
	if (!(star = strchr(pattern, '*')))
		return pl == sl && same_n(pattern, s, pl, nocase);
	if (strchr(star + 1, '*'))
		return 0;                 /* S3 allows one wildcard */
	head = (size_t)(star - pattern);
	tail = pl - head - 1;
	return sl >= head + tail && same_n(pattern, s, head, nocase) &&
	       same_n(star + 1, s + sl - tail, tail, nocase);
}

int s3_cors_list_has(const char *list, const char *name, int star)
{
	size_t n = name ? strlen(name) : 0;

	if (!list || !n)
		return 0;
	while (*list) {
		const char *s, *e;

		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		s = list;
		while (*list && *list != ',')
			list++;
		e = list;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == n && !strncasecmp(s, name, n))
			return 1;
		if (star && e - s == 1 && *s == '*')
			return 1;
	}
	return 0;
}

static int simple_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "POST");
}

unsigned s3_cors_preflight_check(const struct s3_cors_preflight *p, const char *origin,
                                 const char *method, const char *const *headers, size_t n,
                                 unsigned *missing)
{
	unsigned v = 0, miss = 0;

	if (p->status >= 200 && p->status < 300)
		v |= S3_CORS_OK_STATUS;
	if (p->allow_origin && (!strcmp(p->allow_origin, "*") || !strcmp(p->allow_origin, origin)))
		v |= S3_CORS_OK_ORIGIN;
	if (simple_method(method) || s3_cors_list_has(p->allow_methods, method, 1))
		v |= S3_CORS_OK_METHOD;
	for (size_t i = 0; i < n && i < 32; i++)
		if (!s3_cors_list_has(p->allow_headers, headers[i], 1))
			miss |= 1u << i;
	if (missing)
		*missing = miss;
	return v;
}

/* 1 when one name of the comma-joined list (s3xml.h: no spaces) matches
 * s as a pattern (cors.h). */
static int any_glob(const char *list, const char *s, int nocase)
{
	char tok[S3_CORS_MAX_TOKEN + 1];

	while (*list) {
		size_t k = strcspn(list, ",");

		if (k <= S3_CORS_MAX_TOKEN) {
			memcpy(tok, list, k);
			tok[k] = '\0';
			if (s3_cors_glob(tok, s, nocase))
				return 1;
		}
		list += k;
		if (*list == ',')
			list++;
	}
	return 0;
}

long s3_cors_rule_match(const struct s3xml_cors *c, const char *origin, const char *method,
                        const char *const *headers, size_t n)
{
	for (size_t r = 0; c && r < c->n; r++) {
		const struct s3xml_cors_rule *rule = &c->rule[r];
		size_t i;

		if (!any_glob(rule->origins, origin, 0) || !any_glob(rule->methods, method, 0))
			continue;
		for (i = 0; i < n && any_glob(rule->headers, headers[i], 1); i++)
			;
		if (i == n)
			return (long)r;
	}
	return -1;
}
