/* route.c - the route table and its matcher (see route.h). */
#include "route.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>

static void h_sign_s3(struct s3_app *app, const struct s3_req_in *in,
                      const struct s3_route_args *a, time_t now, struct s3_response *out)
{
	(void)a;
	s3_handle(app, in, now, out);
}

static void h_sts(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
                  time_t now, struct s3_response *out)
{
	(void)app, (void)in, (void)a, (void)now;
	s3_response_error(out, 404, "temporary credentials are not handed out: sign_s3 "
	                  "signs each upload instead");
}

static const struct s3_route routes[] = {
	{ "/sign_s3",                   S3_M_GET | S3_M_POST, h_sign_s3,       0, 0,
	  "sign_s3", 0 },
	{ "/sign_s3/verify",            S3_M_POST,            h_verify,        1, 0,
	  "sign_s3_verify", 0 },
	{ "/sign_s3/status",            S3_M_GET,             h_status,        0, 0,
	  "status", 1 },
	{ "/s3/params",                 S3_M_GET,             h_params,        0, 0,
	  "params", 0 },
	{ "/s3/verify",                 S3_M_POST,            h_verify,        1, 0,
	  "verify", 0 },
	{ "/s3/multipart",              S3_M_POST,            h_mp_create,     1, 0,
	  "multipart_create", 0 },
	{ "/s3/multipart/:id/batch",    S3_M_GET,             h_mp_sign_batch, 1, 0,
	  "multipart_batch", 0 },
	{ "/s3/multipart/:id/complete", S3_M_POST,            h_mp_complete,   1,
	  S3_ROUTE_BODY_MAX, "multipart_complete", 0 },
	{ "/s3/multipart/:id/:n",       S3_M_GET,             h_mp_sign_part,  1, 0,
	  "multipart_part", 0 },
	{ "/s3/multipart/:id",          S3_M_GET,             h_mp_list,       1, 0,
	  "multipart_list", 0 },
	{ "/s3/multipart/:id",          S3_M_DELETE,          h_mp_abort,      1, 0,
	  "multipart_abort", 0 },
	{ "/s3/sts",                    S3_M_GET,             h_sts,           0, 0,
	  "sts", 0 },
};

#define NROUTES (sizeof routes / sizeof routes[0])
#define SIGN_S3_ROUTE (&routes[0])     /* no path at all */

_Static_assert(NROUTES <= S3_STATS_ROUTES, "the status page counts S3_STATS_ROUTES routes");

int s3_route_count(void)
{
	return (int)NROUTES;
}

const char *s3_route_name(int i)
{
	if (i < 0 || i >= (int)NROUTES)
		return "none";
	return routes[i].name ? routes[i].name : routes[i].pattern;   /* a row without one */
}

static unsigned method_bit(const char *m)
{
	if (!m)
		return 0;
	if (!strcmp(m, "GET"))
		return S3_M_GET;
	if (!strcmp(m, "POST"))
		return S3_M_POST;
	if (!strcmp(m, "DELETE"))
		return S3_M_DELETE;
	return 0;
}

/* The Allow text of a set of methods (static strings). */
static const char *allow_text(unsigned m)
{
	static const char *const text[8] = {
		NULL, "GET", "POST", "GET, POST", "DELETE", "GET, DELETE", "POST, DELETE",
		"GET, POST, DELETE",
	};

	return text[m & 7];
}

struct seg {
	const char *s;
	size_t n;
};

/* The path's segments (empty ones, from "//" or a trailing '/', dropped);
 * -1 when there are too many. */
static int split(const char *path, struct seg *seg, int max)
{
	int n = 0;

	for (const char *p = path; *p;) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (e = p; *e && *e != '/'; e++)
			;
		if (n == max)
			return -1;
		seg[n].s = p;
		seg[n++].n = (size_t)(e - p);
		p = e;
	}
	return n;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* 1 when pattern matches the last segments of path (captures into a). */
static int match(const char *pattern, const struct seg *path, int npath,
                 struct s3_route_args *a)
{
	struct seg pat[8];
	int np = split(pattern, pat, 8), na = 0;

	if (np < 0 || np > npath)
		return 0;
	memset(a, 0, sizeof *a);
	for (int i = 0; i < np; i++) {
		const struct seg *s = &path[npath - np + i];

		if (pat[i].s[0] == ':') {
			if (pat[i].n == 2 && pat[i].s[1] == 'n' && !all_digits(s->s, s->n))
				return 0;
			if (na < S3_ROUTE_MAX_ARGS) {
				a->arg[na] = s->s;
				a->len[na++] = s->n;
			}
		} else if (pat[i].n != s->n || memcmp(pat[i].s, s->s, s->n)) {
			return 0;
		}
	}
	return 1;
}

/* A route that is off is not there at all: the status page without
 * S3_STATUS=1 (app NULL: every route is on). */
static int route_on(const struct s3_app *app, const struct s3_route *r)
{
	return !app || !r->status || app->cfg.status_page;
}

static const struct s3_route *find(const struct s3_app *app, const char *method,
                                   const char *path, struct s3_route_args *a,
                                   const char **allow)
{
	struct seg seg[S3_ROUTE_MAX_SEGMENTS];
	struct s3_route_args tmp;
	unsigned want = method_bit(method), have = 0;
	int n;

	*allow = NULL;
	memset(a, 0, sizeof *a);
	n = path ? split(path, seg, S3_ROUTE_MAX_SEGMENTS) : 0;
	if (n < 0)
		return NULL;
	if (n == 0) {
		if (want & SIGN_S3_ROUTE->methods)
			return SIGN_S3_ROUTE;
		*allow = allow_text(SIGN_S3_ROUTE->methods);
		return NULL;
	}
	for (size_t i = 0; i < NROUTES; i++) {
		if (!route_on(app, &routes[i]) || !match(routes[i].pattern, seg, n, &tmp))
			continue;
		if (want & routes[i].methods) {
			*a = tmp;
			return &routes[i];
		}
		have |= routes[i].methods;
	}
	*allow = have ? allow_text(have) : NULL;
	return NULL;
}

const struct s3_route *s3_route_find(const char *method, const char *path,
                                     struct s3_route_args *a, const char **allow)
{
	return find(NULL, method, path, a, allow);
}

size_t s3_route_body_max(const struct s3_app *app, const char *method, const char *path)
{
	struct s3_route_args a;
	const char *allow;
	const struct s3_route *r = s3_route_find(method, path, &a, &allow);

	return r && r->body_max > app->cfg.max_body && (!r->s3 || app->cfg.multipart) ?
	       r->body_max : app->cfg.max_body;
}

size_t s3_route_body_max_any(const struct s3_app *app)
{
	size_t m = app->cfg.max_body;

	for (size_t i = 0; i < NROUTES; i++)
		if (routes[i].body_max > m && (!routes[i].s3 || app->cfg.multipart))
			m = routes[i].body_max;
	return m;
}

int s3_route(struct s3_app *app, const struct s3_req_in *in, time_t now,
             struct s3_response *out)
{
	struct s3_route_args a;
	const struct s3_route *r;
	const char *allow;

	if (in->path && strnlen(in->path, S3_ROUTE_MAX_PATH + 1) > S3_ROUTE_MAX_PATH) {
		s3_response_error(out, 414, "path too long");
		return -1;
	}
	/* who, before anything of the request is looked at (its method included) */
	if (app->cfg.require_user) {
		char prefix[S3_PREFIX_MAX + 1];
		size_t plen;

		if (s3_caller_prefix(app, in, prefix, &plen, out))
			return -1;
	}
	r = find(app, in->method, in->path, &a, &allow);
	if (!r && allow) {
		s3_response_error(out, 405, "method not allowed");
		out->allow = allow;
		return -1;
	}
	if (!r) {
		s3_response_error(out, 404, "no such route");
		return -1;
	}
	if (r->s3 && !app->cfg.multipart) {
		s3_response_error(out, 404, "multipart uploads are off on this server "
		                  "(S3_MULTIPART=0)");
		return -1;
	}
	r->fn(app, in, &a, now, out);
	return (int)(r - routes);
}
