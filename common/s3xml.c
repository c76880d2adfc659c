/* s3xml.c - S3's XML answers, read with expat (see s3xml.h).
 *
 * One walker for every answer: expat calls back with each element's
 * start, text and end; the walker keeps the path of local names (at most
 * S3XML_MAX_DEPTH) and each element's text (at most S3XML_MAX_TEXT), and
 * hands every finished element to the answer's own callback with its
 * depth, name and text. Any limit passed, a DOCTYPE, or malformed XML
 * stops the parse and fails the whole answer. */
#include "s3xml.h"
#include "syntax.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#define NS_SEP '\x01'     /* expat joins namespace URI and local name with it */

struct walk;
typedef int (*elem_fn)(struct walk *w, int depth, const char *name, const char *text);

struct walk {
	XML_Parser p;
	int depth;
	int bad;                                  /* a limit passed, or the callback said so */
	char root[S3XML_MAX_CODE + 1];            /* the document element's local name */
	const char *path[S3XML_MAX_DEPTH];        /* local names (into names[]) */
	char names[S3XML_MAX_DEPTH][64];
	char text[S3XML_MAX_TEXT + 1];
	size_t tlen;
	elem_fn fn;
	void *ctx;
};

static const char *local(const char *name)
{
	const char *s = strrchr(name, NS_SEP);

	return s ? s + 1 : name;
}

static void stop(struct walk *w)
{
	w->bad = 1;
	XML_StopParser(w->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct walk *w = ud;
	const char *l = local(name);

	(void)atts;
	if (w->bad)
		return;
	if (w->depth == S3XML_MAX_DEPTH || strlen(l) >= sizeof w->names[0]) {
		stop(w);
		return;
	}
	if (w->depth == 0) {
		if (strlen(l) > S3XML_MAX_CODE) {
			stop(w);
			return;
		}
		strcpy(w->root, l);
	}
	strcpy(w->names[w->depth], l);
	w->path[w->depth] = w->names[w->depth];
	w->depth++;
	w->tlen = 0;
	w->text[0] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct walk *w = ud;

	if (w->bad || len < 0)
		return;
	if ((size_t)len > S3XML_MAX_TEXT - w->tlen) {
		stop(w);
		return;
	}
	memcpy(w->text + w->tlen, s, (size_t)len);
	w->tlen += (size_t)len;
	w->text[w->tlen] = '\0';
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct walk *w = ud;

	(void)name;
	if (w->bad)
		return;
	w->depth--;
	if (w->fn && w->fn(w, w->depth + 1, w->path[w->depth], w->text) != 0)
		stop(w);
	w->tlen = 0;      /* an element's text is what follows its last child */
	w->text[0] = '\0';
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	stop(ud);          /* no DTD, so no entity declared or expanded */
}

/* Parses body with fn called on each element's end. 0, or -1. */
static int walk(const char *body, size_t n, elem_fn fn, void *ctx, char root[S3XML_MAX_CODE + 1])
{
	struct walk *w;
	int ok;

	if (!body || !n || n > S3XML_MAX_BODY || !(w = calloc(1, sizeof *w)))
		return -1;
	w->fn = fn;
	w->ctx = ctx;
	if (!(w->p = XML_ParserCreateNS("UTF-8", NS_SEP))) {
		free(w);
		return -1;
	}
	XML_SetUserData(w->p, w);
	XML_SetElementHandler(w->p, on_start, on_end);
	XML_SetCharacterDataHandler(w->p, on_text);
	XML_SetStartDoctypeDeclHandler(w->p, on_doctype);
	ok = XML_Parse(w->p, body, (int)n, XML_TRUE) == XML_STATUS_OK && !w->bad;
	if (ok && root)
		strcpy(root, w->root);
	XML_ParserFree(w->p);
	free(w);
	return ok ? 0 : -1;
}

/* Copies text into out (cap bytes with the NUL): 0, or -1 when too long. */
static int take(char *out, size_t cap, const char *text)
{
	size_t n = strlen(text);

	if (n >= cap)
		return -1;
	memcpy(out, text, n + 1);
	return 0;
}

/* ---- <Error> ------------------------------------------------------------ */

static int error_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct s3xml_error *e = w->ctx;

	if (depth != 2 || strcmp(w->root, "Error"))
		return 0;
	/* an over-long Code or Message is cut, not refused: it is only shown */
	if (!strcmp(name, "Code")) {
		if (take(e->code, sizeof e->code, text))
			e->code[0] = '\0';
	} else if (!strcmp(name, "Region")) {
		if (take(e->region, sizeof e->region, text))
			e->region[0] = '\0';
	} else if (!strcmp(name, "Message")) {
		if (take(e->message, sizeof e->message, text)) {
			memcpy(e->message, text, sizeof e->message - 1);
			e->message[sizeof e->message - 1] = '\0';
		}
	}
	return 0;
}

int s3xml_error(const char *body, size_t n, struct s3xml_error *e)
{
	char root[S3XML_MAX_CODE + 1] = "";

	memset(e, 0, sizeof *e);
	if (walk(body, n, error_elem, e, root) != 0) {
		memset(e, 0, sizeof *e);
		return -1;
	}
	return !strcmp(root, "Error");
}

/* ---- InitiateMultipartUploadResult -------------------------------------- */

struct initiate {
	char *id;
	size_t cap;
	int seen, toolong;
};

static int initiate_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct initiate *in = w->ctx;

	if (depth == 2 && !strcmp(name, "UploadId")) {
		if (take(in->id, in->cap, text))
			in->toolong = 1;
		in->seen++;
	}
	return 0;
}

enum s3_err s3xml_initiate(const char *body, size_t n, char *id, size_t cap)
{
	struct initiate in = { id, cap, 0, 0 };
	char root[S3XML_MAX_CODE + 1] = "";

	if (!id || !cap)
		return S3_ERR_INVAL;
	id[0] = '\0';
	if (walk(body, n, initiate_elem, &in, root) != 0 ||
	    strcmp(root, "InitiateMultipartUploadResult") || in.seen != 1)
		return S3_ERR_PARSE;
	if (in.toolong)
		return S3_ERR_TOOLONG;
	return id[0] ? S3_OK : S3_ERR_PARSE;
}

/* ---- ListPartsResult ------------------------------------------------------ */

struct parts {
	struct s3xml_parts *out;
	struct s3xml_part cur;
	int have;                 /* bits: 1 number, 2 etag, 4 size */
	enum s3_err err;
};

/* A decimal number within max: 0, or -1. */
static int number(const char *s, unsigned long long max, unsigned long long *v)
{
	size_t n = strlen(s);

	return n > 20 ? -1 : s3_decimal(s, n, max, v);
}

static int parts_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct parts *ps = w->ctx;
	unsigned long long v;

	if (strcmp(w->root, "ListPartsResult"))
		return 0;
	if (depth == 3 && !strcmp(w->path[1], "Part")) {
		if (!strcmp(name, "PartNumber")) {
			if (number(text, 10000, &v) || !v)
				return ps->err = S3_ERR_PARSE, -1;
			ps->cur.number = (unsigned)v;
			ps->have |= 1;
		} else if (!strcmp(name, "ETag")) {
			if (take(ps->cur.etag, sizeof ps->cur.etag, text) || !text[0])
				return ps->err = S3_ERR_PARSE, -1;
			ps->have |= 2;
		} else if (!strcmp(name, "Size")) {
			if (number(text, ~0ULL, &v))
				return ps->err = S3_ERR_PARSE, -1;
			ps->cur.size = v;
			ps->have |= 4;
		}
		return 0;
	}
	if (depth == 2 && !strcmp(name, "Part")) {
		struct s3xml_parts *o = ps->out;

		if (ps->have != 7)
			return ps->err = S3_ERR_PARSE, -1;
		if (o->n == S3XML_MAX_PARTS)
			return ps->err = S3_ERR_RANGE, -1;
		if (o->n == 0 && !(o->part = malloc(S3XML_MAX_PARTS * sizeof *o->part)))
			return ps->err = S3_ERR_NOMEM, -1;
		o->part[o->n++] = ps->cur;
		memset(&ps->cur, 0, sizeof ps->cur);
		ps->have = 0;
	} else if (depth == 2 && !strcmp(name, "IsTruncated")) {
		if (strcmp(text, "true") && strcmp(text, "false"))
			return ps->err = S3_ERR_PARSE, -1;
		ps->out->truncated = !strcmp(text, "true");
	} else if (depth == 2 && !strcmp(name, "NextPartNumberMarker")) {
		if (!*text)
			return 0;
		if (number(text, 10000, &v))
			return ps->err = S3_ERR_PARSE, -1;
		ps->out->next_marker = (unsigned)v;
	}
	return 0;
}

enum s3_err s3xml_list_parts(const char *body, size_t n, struct s3xml_parts *out)
{
	struct parts ps = { out, { 0 }, 0, S3_OK };
	char root[S3XML_MAX_CODE + 1] = "";

	memset(out, 0, sizeof *out);
	if (walk(body, n, parts_elem, &ps, root) != 0 || strcmp(root, "ListPartsResult") ||
	    (out->truncated && !out->next_marker)) {
		s3xml_parts_free(out);
		return ps.err ? ps.err : S3_ERR_PARSE;
	}
	return S3_OK;
}

void s3xml_parts_free(struct s3xml_parts *p)
{
	if (!p)
		return;
	free(p->part);
	memset(p, 0, sizeof *p);
}

/* ---- CompleteMultipartUploadResult ---------------------------------------- */

struct complete {
	char *location, *etag;
	int bad;
};

static int complete_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct complete *c = w->ctx;

	if (depth != 2)
		return 0;
	if (!strcmp(name, "Location") && take(c->location, S3XML_MAX_LOCATION + 1, text))
		return c->bad = 1, -1;
	if (!strcmp(name, "ETag") && take(c->etag, S3XML_MAX_ETAG + 1, text))
		return c->bad = 1, -1;
	return 0;
}

enum s3_err s3xml_complete(const char *body, size_t n, char location[S3XML_MAX_LOCATION + 1],
                           char etag[S3XML_MAX_ETAG + 1])
{
	struct complete c = { location, etag, 0 };
	char root[S3XML_MAX_CODE + 1] = "";

	location[0] = etag[0] = '\0';
	if (walk(body, n, complete_elem, &c, root) != 0 ||
	    strcmp(root, "CompleteMultipartUploadResult")) {
		location[0] = etag[0] = '\0';
		return c.bad ? S3_ERR_TOOLONG : S3_ERR_PARSE;
	}
	return S3_OK;
}

/* ---- LocationConstraint -------------------------------------------------- */

struct location {
	char *region;
	int seen, toolong;
};

static int location_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct location *l = w->ctx;

	if (depth == 1 && !strcmp(name, "LocationConstraint")) {
		l->seen = 1;
		if (take(l->region, S3XML_MAX_REGION + 1, text))
			l->toolong = 1;
	}
	return 0;
}

enum s3_err s3xml_location(const char *body, size_t n, char region[S3XML_MAX_REGION + 1])
{
	struct location l = { region, 0, 0 };
	char root[S3XML_MAX_CODE + 1] = "";

	region[0] = '\0';
	if (walk(body, n, location_elem, &l, root) != 0 || strcmp(root, "LocationConstraint") ||
	    !l.seen) {
		region[0] = '\0';
		return S3_ERR_PARSE;
	}
	if (l.toolong) {
		region[0] = '\0';
		return S3_ERR_TOOLONG;
	}
	if (!region[0])
		strcpy(region, "us-east-1");      /* S3 writes nothing for us-east-1 */
	else if (!strcmp(region, "EU"))
		strcpy(region, "eu-west-1");
	return S3_OK;
}

/* ---- CORSConfiguration ----------------------------------------------------- */

struct cors {
	struct s3xml_cors *out;
	struct s3xml_cors_rule cur;
	enum s3_err err;
};

/* Appends text to the joined list (cap bytes with the NUL): 0, or -1 with
 * c->err set. */
static int join(struct cors *c, char *list, size_t cap, const char *text)
{
	size_t have = strlen(list), n = strlen(text);

	if (!n || strchr(text, ','))
		return c->err = S3_ERR_PARSE, -1;
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return c->err = S3_ERR_PARSE, -1;
	if (have + (have ? 1 : 0) + n >= cap)
		return c->err = S3_ERR_TOOLONG, -1;
	if (have)
		list[have++] = ',';
	memcpy(list + have, text, n + 1);
	return 0;
}

static int cors_elem(struct walk *w, int depth, const char *name, const char *text)
{
	struct cors *c = w->ctx;
	struct s3xml_cors_rule *r = &c->cur;
	unsigned long long v;

	if (strcmp(w->root, "CORSConfiguration"))
		return 0;
	if (depth == 3 && !strcmp(w->path[1], "CORSRule")) {
		if (!strcmp(name, "AllowedOrigin"))
			return join(c, r->origins, sizeof r->origins, text);
		if (!strcmp(name, "AllowedMethod"))
			return join(c, r->methods, sizeof r->methods, text);
		if (!strcmp(name, "AllowedHeader"))
			return join(c, r->headers, sizeof r->headers, text);
		if (!strcmp(name, "ExposeHeader"))
			return join(c, r->expose, sizeof r->expose, text);
		if (!strcmp(name, "ID") && take(r->id, sizeof r->id, text))
			return c->err = S3_ERR_TOOLONG, -1;
		if (!strcmp(name, "MaxAgeSeconds")) {
			if (number(text, 0x7fffffff, &v))
				return c->err = S3_ERR_PARSE, -1;
			r->max_age = (long)v;
		}
		return 0;
	}
	if (depth == 2 && !strcmp(name, "CORSRule")) {
		struct s3xml_cors *o = c->out;
		struct s3xml_cors_rule *nr;

		if (o->n == S3XML_MAX_CORS_RULES)
			return c->err = S3_ERR_RANGE, -1;
		if (!(nr = realloc(o->rule, (o->n + 1) * sizeof *nr)))
			return c->err = S3_ERR_NOMEM, -1;
		o->rule = nr;
		o->rule[o->n++] = c->cur;
		memset(&c->cur, 0, sizeof c->cur);
		c->cur.max_age = -1;
	}
	return 0;
}

enum s3_err s3xml_cors(const char *body, size_t n, struct s3xml_cors *out)
{
	struct cors *c;
	char root[S3XML_MAX_CODE + 1] = "";
	enum s3_err e = S3_OK;

	memset(out, 0, sizeof *out);
	if (!(c = calloc(1, sizeof *c)))
		return S3_ERR_NOMEM;
	c->out = out;
	c->cur.max_age = -1;
	if (walk(body, n, cors_elem, c, root) != 0 || strcmp(root, "CORSConfiguration"))
		e = c->err ? c->err : S3_ERR_PARSE;
	free(c);
	if (e)
		s3xml_cors_free(out);
	return e;
}

void s3xml_cors_free(struct s3xml_cors *c)
{
	if (!c)
		return;
	free(c->rule);
	memset(c, 0, sizeof *c);
}

/* ---- status -------------------------------------------------------------- */

int s3xml_status(const char *code, int s3_status)
{
	static const struct { const char *code; int status; } table[] = {
		{ "NoSuchUpload", 404 }, { "NoSuchKey", 404 }, { "NoSuchBucket", 502 },
		{ "AccessDenied", 403 }, { "InvalidPart", 400 }, { "InvalidPartOrder", 400 },
		{ "EntityTooSmall", 400 }, { "EntityTooLarge", 413 }, { "SlowDown", 502 },
		{ "InternalError", 502 }, { "ServiceUnavailable", 502 },
		{ "SignatureDoesNotMatch", 502 }, { "InvalidAccessKeyId", 502 },
		{ "RequestTimeTooSkewed", 502 }, { "PermanentRedirect", 502 },
	};

	for (size_t i = 0; code && *code && i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(code, table[i].code))
			return table[i].status;
	if (s3_status >= 400 && s3_status < 500)
		return s3_status;        /* the caller's fault, as S3 says */
	return 502;                  /* 5xx after retries, a redirect, nonsense */
}
