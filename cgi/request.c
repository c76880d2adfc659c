/* request.c - decode and validate one HTTP request's fields.
 * See request.h. */
#include "request.h"
#include "syntax.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "media_type.h"
#include "utf8.h"

/* The fields of /api/sign_s3 (s3_req_parse); every other name is ignored. */
enum { F_NAME, F_TYPE, F_HEAD, F_SIZE, F_MD5, F__COUNT };

static const struct s3_field_spec legacy[F__COUNT] = {
	[F_NAME] = { "file_name", S3_REQ_MAX_FIELD, S3_IN_BODY | S3_FIELD_REQUIRED },
	[F_TYPE] = { "file_type", S3_REQ_MAX_FIELD, S3_IN_BODY },
	[F_HEAD] = { "file_head", S3_REQ_MAX_HEAD_FIELD, S3_IN_BODY },
	[F_SIZE] = { "file_size", S3_REQ_MAX_INTEGER, S3_IN_BODY | S3_FIELD_INTEGER },
	[F_MD5]  = { "file_md5", S3_REQ_MAX_MD5, S3_IN_BODY },
};

/* In the copy of a JSON body handed to cJSON, every \u0000 escape inside a
 * string becomes this byte, six times. cJSON copies it verbatim, and since
 * the raw body was checked to be UTF-8 (which never contains 0xFF) and
 * cJSON only produces UTF-8, a 0xFF in a decoded string means "a NUL was
 * here": cJSON itself would have cut the string at the NUL. */
#define JSON_NUL_MARK 0xFF
#define JSON_NUL_ESC_LEN 6       /* \u0000 */
#define REQ_JSON_STACK 4096      /* JSON bodies shorter than this are copied onto the stack */

/* Parsing state: the field table, the output, which fields were seen,
 * which source is being read (S3_IN_QUERY or S3_IN_BODY), the message. */
struct ctx {
	const struct s3_field_spec *spec;
	size_t nspec;
	struct s3_req_values *out;
	unsigned long seen;
	unsigned from;
	char *msg;
	size_t msgcap;
};

_Static_assert(S3_REQ_SPEC_MAX <= 8 * sizeof(unsigned long), "seen holds every field");

static const char msg_media[] =
	"unsupported content type: use application/json or "
	"application/x-www-form-urlencoded";

__attribute__((format(printf, 3, 4)))
static enum s3_req_status fail(struct ctx *c, enum s3_req_status st,
			       const char *fmt, ...)
{
	va_list ap;

	if (c->msg && c->msgcap) {
		va_start(ap, fmt);
		vsnprintf(c->msg, c->msgcap, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* ---- status ----------------------------------------------------------- */

int s3_req_status_http(enum s3_req_status s)
{
	switch (s) {
	case S3_REQ_OK:         return 200;
	case S3_REQ_BAD:        return 400;
	case S3_REQ_METHOD:     return 405;
	case S3_REQ_TOO_LARGE:  return 413;
	case S3_REQ_MEDIA_TYPE: return 415;
	case S3_REQ_INTERNAL:   break;
	}
	return 500;
}

/* ---- small helpers ---------------------------------------------------- */

/* Index of the field called s[0..n) that is read from the current
 * source, or -1. */
static int known_index(const struct ctx *c, const char *s, size_t n)
{
	for (size_t k = 0; k < c->nspec; k++)
		if ((c->spec[k].flags & c->from) && strlen(c->spec[k].name) == n &&
		    memcmp(s, c->spec[k].name, n) == 0)
			return (int)k;
	return -1;
}

/* Stores the malloc'd v (len bytes) as field k, taking ownership. An empty
 * value counts as absent. */
static void set_field(struct ctx *c, int k, char *v, size_t len)
{
	if (len == 0) {
		free(v);
		return;
	}
	c->out->v[k].s = v;
	c->out->v[k].len = len;
}

/* Marks field k seen; refuses a second occurrence. */
static enum s3_req_status mark_seen(struct ctx *c, int k)
{
	if (c->seen & (1ul << k))
		return fail(c, S3_REQ_BAD, "duplicate field %s", c->spec[k].name);
	c->seen |= 1ul << k;
	return S3_REQ_OK;
}

static enum s3_req_status too_long(struct ctx *c, const char *name, size_t limit)
{
	return fail(c, S3_REQ_BAD, "%s too long (limit %zu bytes)", name, limit);
}

/* The checks every decoded value must pass. */
static enum s3_req_status check_value(struct ctx *c, const char *name, size_t limit,
                                      const char *v, size_t len)
{
	if (len > limit)
		return too_long(c, name, limit);
	if (memchr(v, '\0', len))
		return fail(c, S3_REQ_BAD, "NUL byte in request");
	if (!utf8_valid(v, len))
		return fail(c, S3_REQ_BAD, "invalid UTF-8");
	return S3_REQ_OK;
}

/* The field table's metadata map (S3_FIELD_META), or -1. */
static int meta_index(const struct ctx *c)
{
	for (size_t k = 0; k < c->nspec; k++)
		if ((c->spec[k].flags & S3_FIELD_META) && (c->spec[k].flags & c->from))
			return (int)k;
	return -1;
}

/* Adds metadata member name[0..nlen) = v[0..vlen) (v malloc'd, taken;
 * both checked by the caller). A name given twice is refused. */
static enum s3_req_status meta_add(struct ctx *c, const char *name, size_t nlen,
                                   char *v, size_t vlen)
{
	struct s3_req_values *o = c->out;
	char *n;

	for (size_t i = 0; i < o->nmeta; i++)
		if (strlen(o->meta[i].name) == nlen && !memcmp(o->meta[i].name, name, nlen)) {
			free(v);
			return fail(c, S3_REQ_BAD, "duplicate metadata member");
		}
	if (o->nmeta >= S3_REQ_META_MAX) {
		free(v);
		return fail(c, S3_REQ_BAD, "too many metadata members (limit %d)",
		            S3_REQ_META_MAX);
	}
	if (!(n = malloc(nlen + 1))) {
		free(v);
		return fail(c, S3_REQ_INTERNAL, "out of memory");
	}
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	o->meta[o->nmeta].name = n;
	o->meta[o->nmeta].value = v;
	o->meta[o->nmeta].len = vlen;
	o->nmeta++;
	return S3_REQ_OK;
}

/* ---- application/x-www-form-urlencoded -------------------------------- */

/* s3_hex_value on the form's (signed) chars. */
static int hexval(char c)
{
	return s3_hex_value((unsigned char)c);
}

/* Decoded length of s[0..n) in *len; -1 when a %XX escape is malformed. */
static int form_decoded_len(const char *s, size_t n, size_t *len)
{
	size_t i, d = 0;

	for (i = 0; i < n; i++, d++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return -1;
		i += 2;
	}
	*len = d;
	return 0;
}

/* Decodes s[0..n), already checked by form_decoded_len, into dst. */
static void form_decode(const char *s, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			*dst++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*dst++ = s[i] == '+' ? ' ' : s[i];
		}
	}
}

/* "metadata[NAME]" of a map field: NAME's place in s[0..n), else NULL. */
static const char *meta_member(const char *s, size_t n, const char *map, size_t *mlen)
{
	size_t ml = strlen(map);

	if (n < ml + 2 || memcmp(s, map, ml) || s[ml] != '[' || s[n - 1] != ']')
		return NULL;
	*mlen = n - ml - 2;
	return s + ml + 1;
}

/* One name[=value] segment. */
static enum s3_req_status form_field(struct ctx *c, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *mname = NULL;
	size_t nlen = eq ? (size_t)(eq - s) : n;
	const char *v = s + nlen + (eq != NULL);
	size_t vlen = n - nlen - (eq != NULL), len, dlen, mlen = 0, limit;
	char name[S3_REQ_MAX_NAME + 1];
	enum s3_req_status st;
	char *buf;
	int k, meta;

	if (form_decoded_len(s, nlen, &dlen) < 0 ||
	    form_decoded_len(v, vlen, &len) < 0)
		return fail(c, S3_REQ_BAD, "invalid percent-encoding");
	if (dlen > S3_REQ_MAX_NAME)
		return S3_REQ_OK;          /* no field has a name that long */
	form_decode(s, nlen, name);
	name[dlen] = '\0';
	k = known_index(c, name, dlen);
	meta = k < 0 && (k = meta_index(c)) >= 0 &&
	       (mname = meta_member(name, dlen, c->spec[k].name, &mlen)) != NULL;
	if (k < 0 || (c->spec[k].flags & S3_FIELD_META && !meta))
		return S3_REQ_OK;
	if (meta) {
		st = check_value(c, "metadata member name", S3_REQ_MAX_META_NAME, mname, mlen);
		if (st != S3_REQ_OK || mlen == 0)
			return st != S3_REQ_OK ? st : fail(c, S3_REQ_BAD, "empty metadata member name");
	} else if ((st = mark_seen(c, k)) != S3_REQ_OK) {
		return st;
	}
	limit = meta ? S3_REQ_MAX_META_VALUE : c->spec[k].limit;
	if (len > limit)       /* before allocating */
		return too_long(c, meta ? "metadata value" : c->spec[k].name, limit);
	buf = malloc(len + 1);
	if (!buf)
		return fail(c, S3_REQ_INTERNAL, "out of memory");
	form_decode(v, vlen, buf);
	buf[len] = '\0';
	st = check_value(c, meta ? "metadata value" : c->spec[k].name, limit, buf, len);
	if (st != S3_REQ_OK) {
		free(buf);
		return st;
	}
	if (meta)
		return meta_add(c, mname, mlen, buf, len);
	set_field(c, k, buf, len);
	return S3_REQ_OK;
}

/* name=value&name=value; empty segments are skipped. */
static enum s3_req_status parse_form(struct ctx *c, const char *s, size_t n)
{
	size_t count = 0, seg;
	const char *amp;
	enum s3_req_status st;

	while (n > 0) {
		amp = memchr(s, '&', n);
		seg = amp ? (size_t)(amp - s) : n;
		if (seg > 0) {
			if (++count > S3_REQ_MAX_FIELDS)
				return fail(c, S3_REQ_BAD,
					    "too many fields (limit %d)",
					    S3_REQ_MAX_FIELDS);
			st = form_field(c, s, seg);
			if (st != S3_REQ_OK)
				return st;
		}
		if (!amp)
			break;
		s = amp + 1;
		n -= seg + 1;
	}
	return S3_REQ_OK;
}

/* ---- application/json ------------------------------------------------- */

/* Overwrites each \u0000 escape of the JSON text s[0..n), which passed
 * s3_json_check, with JSON_NUL_MARK bytes. */
static void json_mark_nul(char *s, size_t n)
{
	const char *e;
	size_t off = 0;

	while ((e = s3_json_nul_escape(s + off, n - off)) != NULL) {
		off = (size_t)(e - s);
		memset(s + off, JSON_NUL_MARK, JSON_NUL_ESC_LEN);
		off += JSON_NUL_ESC_LEN;
	}
}

/* A JSON string's value, checked, into a malloc'd copy (*out, *len). */
static enum s3_req_status json_string(struct ctx *c, const char *name, size_t limit,
                                      const cJSON *m, char **out, size_t *len)
{
	enum s3_req_status st;

	if (!cJSON_IsString(m) || !m->valuestring)
		return fail(c, S3_REQ_BAD, "%s must be a string", name);
	*len = strlen(m->valuestring);
	if (memchr(m->valuestring, JSON_NUL_MARK, *len))
		return fail(c, S3_REQ_BAD, "NUL byte in request");
	if ((st = check_value(c, name, limit, m->valuestring, *len)) != S3_REQ_OK)
		return st;
	if (!(*out = malloc(*len + 1)))
		return fail(c, S3_REQ_INTERNAL, "out of memory");
	memcpy(*out, m->valuestring, *len + 1);
	return S3_REQ_OK;
}

/* The members of a metadata object whose values are strings (the others,
 * null or numbers of an uploader's own meta fields, are skipped). */
static enum s3_req_status json_meta(struct ctx *c, const cJSON *m)
{
	const cJSON *e;
	enum s3_req_status st;

	if (cJSON_IsNull(m))
		return S3_REQ_OK;
	if (!cJSON_IsObject(m))
		return fail(c, S3_REQ_BAD, "metadata must be an object");
	cJSON_ArrayForEach(e, m) {
		size_t nlen = e->string ? strlen(e->string) : 0, vlen;
		char *v;

		if (!cJSON_IsString(e))
			continue;
		if (!nlen)
			return fail(c, S3_REQ_BAD, "empty metadata member name");
		if (memchr(e->string, JSON_NUL_MARK, nlen))
			return fail(c, S3_REQ_BAD, "NUL byte in request");
		st = check_value(c, "metadata member name", S3_REQ_MAX_META_NAME, e->string, nlen);
		if (st != S3_REQ_OK)
			return st;
		st = json_string(c, "metadata value", S3_REQ_MAX_META_VALUE, e, &v, &vlen);
		if (st != S3_REQ_OK)
			return st;
		if ((st = meta_add(c, e->string, nlen, v, vlen)) != S3_REQ_OK)
			return st;
	}
	return S3_REQ_OK;
}

/* One known member of the top-level object. */
static enum s3_req_status json_field(struct ctx *c, int k, cJSON *root, cJSON *m)
{
	enum s3_req_status st;
	size_t len;
	char *dup;

	st = mark_seen(c, k);
	if (st != S3_REQ_OK)
		return st;
	if (c->spec[k].flags & S3_FIELD_META)
		return json_meta(c, m);
	if (c->spec[k].flags & S3_FIELD_JSON) {
		c->out->v[k].json = cJSON_DetachItemViaPointer(root, m);
		return S3_REQ_OK;
	}
	if ((c->spec[k].flags & S3_FIELD_INTEGER) && cJSON_IsNumber(m)) {
		double d = m->valuedouble;
		char num[24];

		/* a whole number a double holds exactly; its digits, as a form
		 * would have sent them */
		if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(unsigned long long)d)
			return fail(c, S3_REQ_BAD, "%s must be a whole number of bytes",
			            c->spec[k].name);
		snprintf(num, sizeof num, "%llu", (unsigned long long)d);
		len = strlen(num);
		if (!(dup = malloc(len + 1)))
			return fail(c, S3_REQ_INTERNAL, "out of memory");
		memcpy(dup, num, len + 1);
		set_field(c, k, dup, len);
		return S3_REQ_OK;
	}
	st = json_string(c, c->spec[k].name, c->spec[k].limit, m, &dup, &len);
	if (st != S3_REQ_OK)
		return st;
	set_field(c, k, dup, len);
	return S3_REQ_OK;
}

static enum s3_req_status json_members(struct ctx *c, cJSON *root)
{
	cJSON *m, *next;
	size_t count = 0;
	enum s3_req_status st;
	int k;

	for (m = root->child; m; m = next) {
		next = m->next;        /* json_field may detach m */
		if (++count > S3_REQ_MAX_FIELDS)
			return fail(c, S3_REQ_BAD, "too many fields (limit %d)",
				    S3_REQ_MAX_FIELDS);
		k = m->string ? known_index(c, m->string, strlen(m->string)) : -1;
		if (k < 0)
			continue;
		st = json_field(c, k, root, m);
		if (st != S3_REQ_OK)
			return st;
	}
	return S3_REQ_OK;
}

/* The body must be RFC 8259 JSON (json.h: cJSON alone reads more, and
 * some of it differently). It is not NUL-terminated, so cJSON gets a
 * terminated copy (with json_mark_nul's marks) and must end exactly at
 * that NUL. */
static enum s3_req_status parse_json(struct ctx *c, const char *body, size_t n)
{
	enum s3_req_status st;
	cJSON *root = NULL;
	char small[REQ_JSON_STACK], *copy = small;

	if (memchr(body, '\0', n))
		return fail(c, S3_REQ_BAD, "NUL byte in request");
	if (!utf8_valid(body, n))
		return fail(c, S3_REQ_BAD, "invalid UTF-8");
	switch (s3_json_check(body, n, S3_REQ_MAX_DEPTH, S3_JSON_NO_LONE_SURROGATES)) {
	case S3_JSON_OK:
		break;
	case S3_JSON_TOO_DEEP:
		return fail(c, S3_REQ_BAD, "JSON nested too deeply (limit %d)",
			    S3_REQ_MAX_DEPTH);
	case S3_JSON_LONE_SURROGATE:
		return fail(c, S3_REQ_BAD, "invalid JSON: unpaired surrogate escape");
	case S3_JSON_INVALID:
	case S3_JSON_TRAILING:
	default:
		return fail(c, S3_REQ_BAD, "invalid JSON");
	}
	if (n >= sizeof small && !(copy = malloc(n + 1)))
		return fail(c, S3_REQ_INTERNAL, "out of memory");
	memcpy(copy, body, n);
	copy[n] = '\0';
	json_mark_nul(copy, n);
	root = cJSON_ParseWithLengthOpts(copy, n + 1, NULL, 1);
	if (!root)
		st = fail(c, S3_REQ_BAD, "invalid JSON");
	else if (!cJSON_IsObject(root))
		st = fail(c, S3_REQ_BAD, "JSON body must be an object");
	else
		st = json_members(c, root);
	cJSON_Delete(root);
	if (copy != small)
		free(copy);
	return st;
}

/* ---- entry points ----------------------------------------------------- */

static enum s3_req_status parse_query(struct ctx *c, const char *query)
{
	size_t n;

	if (!query)
		query = "";
	n = strnlen(query, S3_REQ_MAX_QUERY + 1);
	if (n > S3_REQ_MAX_QUERY)
		return fail(c, S3_REQ_BAD, "query string too long (limit %d bytes)",
			    S3_REQ_MAX_QUERY);
	return parse_form(c, query, n);
}

static enum s3_req_status parse_post(struct ctx *c, const struct s3_req_in *in)
{
	static const char empty[1];
	const char *body = in->body ? in->body : empty;

	if (!in->body && in->body_len)
		return fail(c, S3_REQ_INTERNAL, "internal error");
	switch (s3_media_type(in->content_type)) {
	case S3_MEDIA_JSON:
		return parse_json(c, body, in->body_len);
	case S3_MEDIA_FORM:
		return parse_form(c, body, in->body_len);
	case S3_MEDIA_CHARSET:
		return fail(c, S3_REQ_MEDIA_TYPE,
			    "unsupported charset: use utf-8");
	case S3_MEDIA_MALFORMED:
		return fail(c, S3_REQ_MEDIA_TYPE, "malformed Content-Type");
	case S3_MEDIA_UNSUPPORTED:
		break;
	}
	return fail(c, S3_REQ_MEDIA_TYPE, "%s", msg_media);
}

/* 1 when some field of the table is read from source from. */
static int reads(const struct s3_field_spec *spec, size_t n, unsigned from)
{
	for (size_t k = 0; k < n; k++)
		if (spec[k].flags & from)
			return 1;
	return 0;
}

enum s3_req_status s3_req_decode(const struct s3_req_in *in,
                                 const struct s3_field_spec *spec, size_t nspec,
                                 struct s3_req_values *out, char *msg, size_t msgcap)
{
	struct s3_req_values dummy;
	struct ctx c = { spec, nspec, out ? out : &dummy, 0, 0, msg, msgcap };
	enum s3_req_status st = S3_REQ_OK;
	int post;

	if (msg && msgcap)
		msg[0] = '\0';
	memset(c.out, 0, sizeof *c.out);
	if (!in || !out || nspec > S3_REQ_SPEC_MAX)
		return fail(&c, S3_REQ_INTERNAL, "internal error");
	if (!in->method)
		return fail(&c, S3_REQ_METHOD, "method not allowed");
	post = !strcmp(in->method, "POST");
	/* the query: S3_IN_QUERY fields, and S3_IN_BODY ones when there is no body */
	c.from = S3_IN_QUERY | (post ? 0 : S3_IN_BODY);
	if (reads(spec, nspec, c.from))
		st = parse_query(&c, in->query);
	if (st == S3_REQ_OK && post && reads(spec, nspec, S3_IN_BODY)) {
		c.from = S3_IN_BODY;
		st = parse_post(&c, in);
	}
	for (size_t k = 0; st == S3_REQ_OK && k < nspec; k++)
		if ((spec[k].flags & S3_FIELD_REQUIRED) && !out->v[k].s && !out->v[k].json)
			st = fail(&c, S3_REQ_BAD, "%s is required", spec[k].name);
	if (st != S3_REQ_OK)
		s3_req_values_free(out);
	return st;
}

void s3_req_values_free(struct s3_req_values *v)
{
	if (!v)
		return;
	for (size_t k = 0; k < S3_REQ_SPEC_MAX; k++) {
		free(v->v[k].s);
		cJSON_Delete(v->v[k].json);
	}
	for (size_t i = 0; i < v->nmeta; i++) {
		free(v->meta[i].name);
		free(v->meta[i].value);
	}
	memset(v, 0, sizeof *v);
}

enum s3_req_status s3_req_parse(const struct s3_req_in *in,
				struct s3_req_fields *out,
				char *msg, size_t msgcap)
{
	struct s3_req_values v;
	enum s3_req_status st;

	if (msg && msgcap)
		msg[0] = '\0';
	if (out)
		memset(out, 0, sizeof *out);
	if (!in || !out)
		return S3_REQ_INTERNAL;
	if (!in->method || (strcmp(in->method, "GET") && strcmp(in->method, "POST"))) {
		if (msg && msgcap)
			snprintf(msg, msgcap, "method not allowed");
		return S3_REQ_METHOD;
	}
	st = s3_req_decode(in, legacy, F__COUNT, &v, msg, msgcap);
	if (st != S3_REQ_OK)
		return st;
	out->file_name = v.v[F_NAME].s;
	out->file_name_len = v.v[F_NAME].len;
	out->file_type = v.v[F_TYPE].s;
	out->file_type_len = v.v[F_TYPE].len;
	out->file_head = v.v[F_HEAD].s;
	out->file_head_len = v.v[F_HEAD].len;
	out->file_size = v.v[F_SIZE].s;
	out->file_size_len = v.v[F_SIZE].len;
	out->file_md5 = v.v[F_MD5].s;
	out->file_md5_len = v.v[F_MD5].len;
	return S3_REQ_OK;
}

void s3_req_fields_free(struct s3_req_fields *f)
{
	if (!f)
		return;
	free(f->file_name);
	free(f->file_type);
	free(f->file_head);
	free(f->file_size);
	free(f->file_md5);
	memset(f, 0, sizeof *f);
}

enum s3_req_status s3_req_check_length(const char *content_length,
				       size_t max_body, size_t *len_out,
				       char *msg, size_t msgcap)
{
	struct ctx c = { NULL, 0, NULL, 0, 0, msg, msgcap };
	const char *p;
	size_t v = 0, d;

	if (msg && msgcap)
		msg[0] = '\0';
	if (len_out)
		*len_out = 0;
	if (!content_length)
		return S3_REQ_OK;
	for (p = content_length; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(&c, S3_REQ_BAD, "invalid Content-Length");
		d = (size_t)(*p - '0');
		if (v > (SIZE_MAX - d) / 10)
			return fail(&c, S3_REQ_BAD, "invalid Content-Length");
		v = v * 10 + d;
	}
	if (v > max_body)
		return fail(&c, S3_REQ_TOO_LARGE,
			    "request body too large (limit %zu bytes)", max_body);
	if (len_out)
		*len_out = v;
	return S3_REQ_OK;
}
