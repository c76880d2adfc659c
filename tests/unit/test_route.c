/* test_route.c - cgi/route.c: which table entry a method and a path pick,
 * the captures, the 405's Allow, the per-route body limits. Every case is
 * written out here. */
#include <stdio.h>
#include <string.h>
#include "route.h"
#include "tap.h"

struct rcase {
	const char *method, *path;
	const char *pattern;       /* NULL: none */
	const char *allow;         /* the 405's, when pattern is NULL */
	const char *a0, *a1;       /* captures */
};

static const struct rcase cases[] = {
	/* no path: the one-route design's deployments */
	{ "POST", NULL, "/sign_s3", NULL, NULL, NULL },
	{ "GET", "", "/sign_s3", NULL, NULL, NULL },
	{ "GET", "/", "/sign_s3", NULL, NULL, NULL },
	{ "DELETE", NULL, NULL, "GET, POST", NULL, NULL },
	{ "PUT", "", NULL, "GET, POST", NULL, NULL },
	/* mounted anywhere */
	{ "POST", "/api/sign_s3", "/sign_s3", NULL, NULL, NULL },
	{ "POST", "/cgi-bin/tools/sign_s3", "/sign_s3", NULL, NULL, NULL },
	{ "POST", "/sign_s3", "/sign_s3", NULL, NULL, NULL },
	{ "PATCH", "/api/sign_s3", NULL, "GET, POST", NULL, NULL },
	{ "GET", "/api/s3/params", "/s3/params", NULL, NULL, NULL },
	{ "GET", "/s3/params", "/s3/params", NULL, NULL, NULL },
	{ "GET", "/a/b/c/s3/params", "/s3/params", NULL, NULL, NULL },
	{ "GET", "//api//s3/params/", "/s3/params", NULL, NULL, NULL },
	{ "POST", "/api/s3/params", NULL, "GET", NULL, NULL },
	{ "POST", "/api/s3/multipart", "/s3/multipart", NULL, NULL, NULL },
	{ "GET", "/api/s3/multipart", NULL, "POST", NULL, NULL },
	{ "GET", "/api/s3/multipart/UP1/batch", "/s3/multipart/:id/batch", NULL, "UP1", NULL },
	{ "POST", "/api/s3/multipart/UP1/batch", NULL, "GET", NULL, NULL },
	{ "POST", "/api/s3/multipart/UP1/complete", "/s3/multipart/:id/complete", NULL,
	  "UP1", NULL },
	{ "GET", "/api/s3/multipart/UP1/complete", NULL, "POST", NULL, NULL },
	{ "GET", "/api/s3/multipart/UP1/17", "/s3/multipart/:id/:n", NULL, "UP1", "17" },
	{ "GET", "/api/s3/multipart/UP1/0017", "/s3/multipart/:id/:n", NULL, "UP1", "0017" },
	{ "DELETE", "/api/s3/multipart/UP1/17", NULL, "GET", NULL, NULL },
	{ "GET", "/api/s3/multipart/UP1", "/s3/multipart/:id", NULL, "UP1", NULL },
	{ "DELETE", "/api/s3/multipart/UP1", "/s3/multipart/:id", NULL, "UP1", NULL },
	{ "PUT", "/api/s3/multipart/UP1", NULL, "GET, DELETE", NULL, NULL },
	{ "POST", "/api/s3/multipart/UP1", NULL, "GET, DELETE", NULL, NULL },
	{ "GET", "/api/s3/sts", "/s3/sts", NULL, NULL, NULL },
	/* verify: the longer pattern, never caught by /sign_s3 (which matches
	 * the last segment only) */
	{ "POST", "/api/sign_s3/verify", "/sign_s3/verify", NULL, NULL, NULL },
	{ "POST", "/sign_s3/verify", "/sign_s3/verify", NULL, NULL, NULL },
	{ "GET", "/api/sign_s3/verify", NULL, "POST", NULL, NULL },
	{ "POST", "/api/sign_s3/verify/", "/sign_s3/verify", NULL, NULL, NULL },
	{ "POST", "/api/verify", NULL, NULL, NULL, NULL },
	{ "POST", "/api/sign_s3/verify/x", NULL, NULL, NULL, NULL },
	{ "POST", "/api/verify/sign_s3", "/sign_s3", NULL, NULL, NULL },
	{ "POST", "/api/s3/verify", "/s3/verify", NULL, NULL, NULL },
	{ "DELETE", "/api/s3/verify", NULL, "POST", NULL, NULL },
	{ "POST", "/api/s3/multipart/verify", NULL, "GET, DELETE", NULL, NULL },
	/* the status page (the table's view: S3_STATUS is s3_route's business,
	 * tests/unit/test_status.c) */
	{ "GET", "/api/sign_s3/status", "/sign_s3/status", NULL, NULL, NULL },
	{ "POST", "/api/sign_s3/status", NULL, "GET", NULL, NULL },
	{ "GET", "/api/sign_s3/status/x", NULL, NULL, NULL, NULL },
	/* nothing matches: 404 (no Allow) */
	{ "GET", "/api/s3/multipart/UP1/x17", NULL, NULL, NULL, NULL },
	{ "GET", "/api/s3/multipart/UP1/17/more", NULL, NULL, NULL, NULL },
	{ "GET", "/api/other", NULL, NULL, NULL, NULL },
	{ "GET", "/api/sign_s3x", NULL, NULL, NULL, NULL },
	{ "GET", "/api/xsign_s3", NULL, NULL, NULL, NULL },
	{ "GET", "/api/S3/params", NULL, NULL, NULL, NULL },
	{ "GET", "/api/s3/multipart//batch", "/s3/multipart/:id", NULL, "batch", NULL },
	{ NULL, "/api/s3/params", NULL, "GET", NULL, NULL },
};

static int arg_is(const struct s3_route_args *a, int i, const char *want)
{
	if (!want)
		return a->arg[i] == NULL;
	return a->arg[i] && a->len[i] == strlen(want) && !memcmp(a->arg[i], want, a->len[i]);
}

int main(void)
{
	char deep[3 * (S3_ROUTE_MAX_SEGMENTS + 2) + 16];
	struct s3_route_args a;
	const char *allow;
	const struct s3_route *r;
	struct s3_app app;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rcase *c = &cases[i];

		r = s3_route_find(c->method, c->path, &a, &allow);
		ok((c->pattern ? r && !strcmp(r->pattern, c->pattern) : !r) &&
		   (c->pattern ? !allow : (c->allow ? allow && !strcmp(allow, c->allow) : !allow)) &&
		   (!c->pattern || (arg_is(&a, 0, c->a0) && arg_is(&a, 1, c->a1))),
		   "%s %s -> %s%s%s", c->method ? c->method : "(no method)",
		   c->path ? c->path : "(no path)", c->pattern ? c->pattern : "none",
		   c->allow ? ", Allow: " : "", c->allow ? c->allow : "");
	}
	/* one segment more than the limit: refused, not cut */
	deep[0] = '\0';
	for (int i = 0; i < S3_ROUTE_MAX_SEGMENTS - 1; i++)
		strcat(deep, "/x");
	strcat(deep, "/sign_s3");
	r = s3_route_find("POST", deep, &a, &allow);
	ok(r && !strcmp(r->pattern, "/sign_s3"), "%d segments: matched", S3_ROUTE_MAX_SEGMENTS);
	strcat(deep, "/sign_s3");
	r = s3_route_find("POST", deep, &a, &allow);
	ok(!r && !allow, "%d segments: no route", S3_ROUTE_MAX_SEGMENTS + 1);

	/* body limits: S3_MAX_BODY, a complete's own when multipart is on */
	memset(&app, 0, sizeof app);
	app.cfg.max_body = 16384;
	app.cfg.multipart = 1;
	ok(s3_route_body_max(&app, "POST", "/api/sign_s3") == 16384, "sign_s3: S3_MAX_BODY");
	ok(s3_route_body_max(&app, "POST", NULL) == 16384, "no path: S3_MAX_BODY");
	ok(s3_route_body_max(&app, "POST", "/api/s3/multipart") == 16384, "create: S3_MAX_BODY");
	ok(s3_route_body_max(&app, "POST", "/api/s3/multipart/U/complete") == S3_ROUTE_BODY_MAX,
	   "complete: S3_ROUTE_BODY_MAX");
	ok(s3_route_body_max(&app, "GET", "/api/s3/multipart/U/complete") == 16384,
	   "complete with another method: S3_MAX_BODY");
	ok(s3_route_body_max_any(&app) == S3_ROUTE_BODY_MAX, "any: the complete's");
	app.cfg.multipart = 0;
	ok(s3_route_body_max(&app, "POST", "/api/s3/multipart/U/complete") == 16384,
	   "S3_MULTIPART=0: the complete route has S3_MAX_BODY");
	ok(s3_route_body_max_any(&app) == 16384, "S3_MULTIPART=0: any is S3_MAX_BODY");
	app.cfg.max_body = 2 * S3_ROUTE_BODY_MAX;
	app.cfg.multipart = 1;
	ok(s3_route_body_max(&app, "POST", "/api/s3/multipart/U/complete") == 2 * S3_ROUTE_BODY_MAX,
	   "a larger S3_MAX_BODY wins");
	return done_testing();
}
