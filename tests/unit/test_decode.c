/* test_decode.c - cgi/request.c's generic decoder (s3_req_decode): a
 * route's field table read from the query or the body, the metadata map
 * (form "metadata[k]=v", a JSON object), a JSON member kept whole, the
 * limits and the refusals. (The /api/sign_s3 table on it: test_request.c.) */
#include <stdio.h>
#include <string.h>
#include "request.h"
#include "tap.h"

#include <cjson/cJSON.h>

static const struct s3_field_spec upload[] = {
	{ "filename", 16, S3_IN_BODY | S3_FIELD_REQUIRED },
	{ "type", 64, S3_IN_BODY },
	{ "metadata", 0, S3_IN_BODY | S3_FIELD_META },
};

static const struct s3_field_spec complete[] = {
	{ "key", 32, S3_IN_QUERY },
	{ "parts", 0, S3_IN_BODY | S3_FIELD_JSON | S3_FIELD_REQUIRED },
};

static enum s3_req_status dec(const struct s3_field_spec *spec, size_t n, const char *method,
                              const char *query, const char *ctype, const char *body,
                              struct s3_req_values *v, char *msg)
{
	struct s3_req_in in = {
		.method = method, .query = query, .content_type = ctype,
		.body = body, .body_len = body ? strlen(body) : 0,
	};

	return s3_req_decode(&in, spec, n, v, msg, 128);
}

static const char *meta(const struct s3_req_values *v, const char *name)
{
	for (size_t i = 0; i < v->nmeta; i++)
		if (!strcmp(v->meta[i].name, name))
			return v->meta[i].value;
	return NULL;
}

int main(void)
{
	struct s3_req_values v;
	char msg[128], big[4096];
	enum s3_req_status st;

	/* GET: the fields of the body are in the query */
	st = dec(upload, 3, "GET", "filename=a%20b.txt&type=text%2Fplain&metadata%5Bname%5D=x"
	         "&metadata[caption]=caf%C3%A9&other=1", NULL, NULL, &v, msg);
	ok(st == S3_REQ_OK && !strcmp(v.v[0].s, "a b.txt") && !strcmp(v.v[1].s, "text/plain"),
	   "GET: filename and type from the query");
	ok(v.nmeta == 2 && !strcmp(meta(&v, "name"), "x") &&
	   !strcmp(meta(&v, "caption"), "caf\xc3\xa9"),
	   "GET: metadata[k]=v members, names and values decoded");
	s3_req_values_free(&v);

	/* POST JSON: body fields; the metadata object's strings kept, the rest skipped */
	st = dec(upload, 3, "POST", "filename=ignored", "application/json",
	         "{\"filename\":\"a.bin\",\"type\":\"\",\"metadata\":{\"name\":\"a.bin\","
	         "\"relativePath\":null,\"n\":3,\"o\":{},\"caption\":\"hi\"}}", &v, msg);
	ok(st == S3_REQ_OK && !strcmp(v.v[0].s, "a.bin") && !v.v[1].s,
	   "POST JSON: filename from the body (not the query), an empty type is absent");
	ok(v.nmeta == 2 && meta(&v, "name") && meta(&v, "caption") && !meta(&v, "n"),
	   "POST JSON: the metadata's string members only");
	s3_req_values_free(&v);
	st = dec(upload, 3, "POST", NULL, "application/json",
	         "{\"filename\":\"a\",\"metadata\":null}", &v, msg);
	ok(st == S3_REQ_OK && v.nmeta == 0, "metadata null: none");
	s3_req_values_free(&v);

	/* refusals */
	{
		static const struct { const char *method, *query, *ctype, *body, *msg; int st; } c[] = {
			{ "GET", "type=a/b", NULL, NULL, "filename is required", S3_REQ_BAD },
			{ "POST", "filename=a", "application/json", "{}", "filename is required",
			  S3_REQ_BAD },
			{ "GET", "filename=a&filename=b", NULL, NULL, "duplicate field filename",
			  S3_REQ_BAD },
			{ "GET", "filename=aaaaaaaaaaaaaaaaa", NULL, NULL, "filename too long",
			  S3_REQ_BAD },
			{ "GET", "filename=a&metadata[x]=1&metadata[x]=2", NULL, NULL,
			  "duplicate metadata member", S3_REQ_BAD },
			{ "GET", "filename=a&metadata[]=1", NULL, NULL, "empty metadata member name",
			  S3_REQ_BAD },
			{ "GET", "filename=a&metadata[a%00b]=1", NULL, NULL, "NUL", S3_REQ_BAD },
			{ "GET", "filename=a&metadata[a]=%FF", NULL, NULL, "UTF-8", S3_REQ_BAD },
			{ "POST", NULL, "application/json", "{\"filename\":\"a\",\"metadata\":[]}",
			  "metadata must be an object", S3_REQ_BAD },
			{ "POST", NULL, "application/json",
			  "{\"filename\":\"a\",\"metadata\":{\"\":\"x\"}}", "empty metadata", S3_REQ_BAD },
			{ "POST", NULL, "application/json",
			  "{\"filename\":\"a\",\"metadata\":{\"a\":\"x\\u0000\"}}", "NUL", S3_REQ_BAD },
			{ "POST", NULL, "application/json",
			  "{\"filename\":\"a\",\"metadata\":{\"a\":\"x\",\"a\":\"y\"}}",
			  "duplicate metadata member", S3_REQ_BAD },
			{ "POST", NULL, "text/plain", "filename=a", "unsupported content type",
			  S3_REQ_MEDIA_TYPE },
			{ "POST", NULL, "application/json", "{\"filename\":5}", "must be a string",
			  S3_REQ_BAD },
		};

		for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
			st = dec(upload, 3, c[i].method, c[i].query, c[i].ctype, c[i].body, &v, msg);
			ok(st == (enum s3_req_status)c[i].st && strstr(msg, c[i].msg) && v.nmeta == 0 &&
			   !v.v[0].s, "refused: %s %s%s -> %s (%s)", c[i].method,
			   c[i].query ? c[i].query : "", c[i].body ? c[i].body : "", c[i].msg, msg);
			s3_req_values_free(&v);
		}
	}
	/* the limits of a metadata map */
	{
		size_t o = (size_t)snprintf(big, sizeof big, "filename=a");

		for (int i = 0; i < S3_REQ_META_MAX; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "&metadata[m%d]=v", i);
		st = dec(upload, 3, "GET", big, NULL, NULL, &v, msg);
		ok(st == S3_REQ_OK && v.nmeta == S3_REQ_META_MAX, "%d metadata members: taken",
		   S3_REQ_META_MAX);
		s3_req_values_free(&v);
		snprintf(big + o, sizeof big - o, "&metadata[last]=v");
		st = dec(upload, 3, "GET", big, NULL, NULL, &v, msg);
		ok(st == S3_REQ_BAD && strstr(msg, "too many metadata members"),
		   "%d metadata members: 400", S3_REQ_META_MAX + 1);
		s3_req_values_free(&v);
	}
	{
		char q[S3_REQ_MAX_META_VALUE + 64];
		size_t o = (size_t)snprintf(q, sizeof q, "filename=a&metadata[v]=");

		memset(q + o, 'x', S3_REQ_MAX_META_VALUE);
		q[o + S3_REQ_MAX_META_VALUE] = '\0';
		st = dec(upload, 3, "GET", q, NULL, NULL, &v, msg);
		ok(st == S3_REQ_OK, "a metadata value of %d bytes: taken", S3_REQ_MAX_META_VALUE);
		s3_req_values_free(&v);
		strcat(q, "x");
		st = dec(upload, 3, "GET", q, NULL, NULL, &v, msg);
		ok(st == S3_REQ_BAD && strstr(msg, "metadata value too long"),
		   "one byte more: 400 (%s)", msg);
		s3_req_values_free(&v);
	}

	/* a JSON member kept whole; the key from the query of a POST */
	st = dec(complete, 2, "POST", "key=k%2F1&parts=no", "application/json",
	         "{\"parts\":[{\"PartNumber\":1,\"ETag\":\"x\"}],\"key\":\"ignored\"}", &v, msg);
	ok(st == S3_REQ_OK && !strcmp(v.v[0].s, "k/1") && cJSON_IsArray(v.v[1].json) &&
	   cJSON_GetArraySize(v.v[1].json) == 1,
	   "complete: key from the query, parts from the body, kept as parsed");
	s3_req_values_free(&v);
	st = dec(complete, 2, "POST", "key=k", "application/json", "{\"x\":1}", &v, msg);
	ok(st == S3_REQ_BAD && strstr(msg, "parts is required"), "complete without parts: 400");
	s3_req_values_free(&v);
	st = dec(complete, 2, "DELETE", "key=k", NULL, NULL, &v, msg);
	ok(st == S3_REQ_BAD && strstr(msg, "parts is required"),
	   "DELETE has no body: a body field is absent");
	s3_req_values_free(&v);
	st = dec(complete, 1, "DELETE", "key=k&key=j", NULL, NULL, &v, msg);
	ok(st == S3_REQ_BAD && strstr(msg, "duplicate field key"), "DELETE: the query is read");
	s3_req_values_free(&v);
	{
		struct s3_field_spec many[S3_REQ_SPEC_MAX + 1];

		for (size_t i = 0; i < S3_REQ_SPEC_MAX + 1; i++)
			many[i] = (struct s3_field_spec){ "f", 1, S3_IN_QUERY };
		st = dec(many, S3_REQ_SPEC_MAX + 1, "GET", "", NULL, NULL, &v, msg);
		ok(st == S3_REQ_INTERNAL, "a table of more than %d fields is refused",
		   S3_REQ_SPEC_MAX);
		s3_req_values_free(&v);
	}
	return done_testing();
}
