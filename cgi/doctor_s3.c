/* doctor_s3.c - `sign_s3 doctor`'s checks after the bucket (doctor.h): an
 * upload round trip through the responder's own route (s3_handle), the
 * object read back, the public URL, the ACL, CORS per origin, and the
 * test object deleted. */
#include "doctor_int.h"
#include "cors.h"
#include "sniff.h"
#include "url.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define FILL "sign_s3 doctor test object: safe to delete\n"
#define ACRH_ALL "content-type,content-md5,content-disposition,x-amz-acl"
#define N_SIGNED 4          /* the headers above; the first three are required */
#define N_REQUIRED 3

static const char *const signed_headers[N_SIGNED] = {
	"content-type", "content-md5", "content-disposition", "x-amz-acl",
};

/* The test object: a name and type the upload rules may allow, and bytes
 * that libmagic reads as that type (for S3_REQUIRE_FILE_HEAD=1). */
static const unsigned char png_1x1[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
	0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
	0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
	0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
	0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const char pdf_head[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";

static const struct sample {
	const char *name, *type;
	const unsigned char *head;
	size_t head_len;
} samples[] = {
	{ "sign_s3-doctor.txt", "text/plain", NULL, 0 },
	{ "sign_s3-doctor.png", "image/png", png_1x1, sizeof png_1x1 },
	{ "sign_s3-doctor.pdf", "application/pdf", (const unsigned char *)pdf_head,
	  sizeof pdf_head - 1 },
	{ "sign_s3-doctor.bin", "application/octet-stream", NULL, 0 },
};

static const struct sample *pick_sample(const struct s3_config *cfg)
{
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
		if (!cfg->allowed_types ||
		    s3_types_allowed(cfg->allowed_types, samples[i].type, strlen(samples[i].type)))
			return &samples[i];
	return NULL;
}

/* ---- the round trip ---------------------------------------------------- */

static int make_body(struct dr *d, const struct sample *s, size_t size)
{
	if (!(d->body = malloc(size ? size : 1)))
		return -1;
	for (size_t i = 0; i < size; i++)
		d->body[i] = (unsigned char)FILL[i % (sizeof FILL - 1)];
	memcpy(d->body, s->head ? s->head : d->body, s->head_len < size ? s->head_len : size);
	d->body_len = size;
	return 0;
}

/* The POST /api/sign_s3 body: the object's name, type, size and MD5 (and
 * its head when S3_REQUIRE_FILE_HEAD=1), as a page sends them. */
static char *request_body(const struct dr *d, const struct sample *s)
{
	unsigned char md5[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char b64[32], *head = NULL, *text = NULL;
	cJSON *o = cJSON_CreateObject();

	if (!o || EVP_Digest(d->body, d->body_len, md5, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16)
		goto done;
	EVP_EncodeBlock((unsigned char *)b64, md5, 16);
	cJSON_AddStringToObject(o, "file_name", s->name);
	cJSON_AddStringToObject(o, "file_type", s->type);
	cJSON_AddNumberToObject(o, "file_size", (double)d->body_len);
	cJSON_AddStringToObject(o, "file_md5", b64);
	if (d->app.cfg.require_file_head) {
		size_t n = d->body_len < S3_SNIFF_HEAD_MAX ? d->body_len : S3_SNIFF_HEAD_MAX;

		if (!(head = malloc(4 * ((n + 2) / 3) + 1)))
			goto done;
		EVP_EncodeBlock((unsigned char *)head, d->body, (int)n);
		cJSON_AddStringToObject(o, "file_head", head);
	}
	text = cJSON_PrintUnformatted(o);
done:
	free(head);
	cJSON_Delete(o);
	return text;
}

static char *dup_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* The answer's signed_request, key, url, file_type and headers into d. */
static int read_answer(struct dr *d, const char *body, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(body, len), *h, *e;
	char *key = NULL, *url = NULL, *type = NULL;
	int rc = -1;

	if (!o)
		return -1;
	d->put_url = dup_str(o, "signed_request");
	key = dup_str(o, "key");
	url = dup_str(o, "url");
	type = dup_str(o, "file_type");
	h = cJSON_GetObjectItemCaseSensitive(o, "headers");
	if (!d->put_url || !key || !url || !type || strlen(key) >= sizeof d->key ||
	    strlen(url) >= sizeof d->url || strlen(type) >= sizeof d->type)
		goto done;
	strcpy(d->key, key);
	strcpy(d->url, url);
	strcpy(d->type, type);
	cJSON_ArrayForEach(e, h) {
		if (!cJSON_IsString(e) || d->nhdr == DR_MAX_PUT_HEADERS)
			goto done;
		d->hdr_mem[2 * d->nhdr] = strdup(e->string);
		d->hdr_mem[2 * d->nhdr + 1] = strdup(e->valuestring);
		if (!d->hdr_mem[2 * d->nhdr] || !d->hdr_mem[2 * d->nhdr + 1])
			goto done;
		d->hdr[d->nhdr] = (struct s3_http_header){ d->hdr_mem[2 * d->nhdr],
		                                           d->hdr_mem[2 * d->nhdr + 1] };
		d->nhdr++;
	}
	rc = 0;
done:
	h = cJSON_GetObjectItemCaseSensitive(o, "signed_request");
	if (cJSON_IsString(h))          /* the tree's copy of the presigned URL */
		OPENSSL_cleanse(h->valuestring, strlen(h->valuestring));
	free(key);
	free(url);
	free(type);
	cJSON_Delete(o);
	return rc;
}

/* PUT the test object to the answer's URL with its headers (and Origin). */
static enum s3_err put_object(struct dr *d, const char *origin, const char *const *want,
                              size_t nwant, struct s3_http_response *rs, char *why, size_t cap)
{
	struct s3_http_header h[DR_MAX_PUT_HEADERS + 1];
	size_t n = d->nhdr;
	struct s3_http_request rq;

	memcpy(h, d->hdr, n * sizeof *h);
	if (origin)
		h[n++] = (struct s3_http_header){ "Origin", origin };
	rq = (struct s3_http_request){
		.method = "PUT", .url = d->put_url, .headers = h, .nheaders = n,
		.connect_timeout_ms = DOCTOR_CONNECT_TIMEOUT_MS, .timeout_ms = DOCTOR_TIMEOUT_MS,
		.body = (const char *)d->body, .body_len = d->body_len,
		.want_headers = want, .nwant = nwant,
	};
	return s3_http_curl(NULL, &rq, rs, why, cap);
}

/* Signs through the route; 0, or -1 with the check added. */
static int sign_through_route(struct dr *d, const struct sample *s)
{
	struct s3_req_in in;
	struct s3_response out;
	char *body = request_body(d, s);
	int rc = -1;

	if (!body) {
		dr_add(d, "upload", DR_FAIL, NULL, NULL, "out of memory");
		return -1;
	}
	in = (struct s3_req_in){
		.method = "POST", .content_type = "application/json", .body = body,
		.body_len = strlen(body), .path = "/api/sign_s3",
		.remote_user = d->app.cfg.require_user ? DOCTOR_USER : NULL,
	};
	s3_response_init(&out);
	s3_handle(&d->app, &in, time(NULL), &out);
	if (out.status != 200)
		dr_add(d, "upload", DR_FAIL, "the responder itself refuses the test object: a "
		       "browser's upload of it would get the same answer", "see the message; it "
		       "names the setting", "POST /api/sign_s3 for %s (%s, %zu bytes) answered %d: "
		       "%s", s->name, s->type, d->body_len, out.status, out.message);
	else if (read_answer(d, out.body, out.body_len))
		dr_add(d, "upload", DR_FAIL, NULL, NULL, "the answer of /api/sign_s3 is not one "
		       "this version reads");
	else
		rc = 0;
	if (out.body == out.inline_body || out.body_owned)
		OPENSSL_cleanse(out.body, out.body_len);   /* it holds the presigned URL */
	s3_response_free(&out);
	free(body);
	return rc;
}

void dr_upload(struct dr *d)
{
	static const char *const want[] = { "etag" };
	const struct s3_config *cfg = d->have_app ? &d->app.cfg : NULL;
	const struct sample *s;
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX], code[S3XML_MAX_CODE + 1], msg[S3XML_MAX_MESSAGE + 1];
	const char *cause, *fix;
	unsigned long long size = DOCTOR_OBJECT_SIZE;

	if (!d->bucket_ok) {
		dr_add(d, "upload", DR_SKIP, NULL, NULL, "the bucket is not confirmed (see above)");
		return;
	}
	if (!(s = pick_sample(cfg))) {
		dr_add(d, "upload", DR_SKIP, NULL, NULL, "S3_ALLOWED_TYPES allows none of the test "
		       "object's types (text/plain, image/png, application/pdf, "
		       "application/octet-stream)");
		return;
	}
	if (cfg->min_file_size > size)
		size = cfg->min_file_size;
	if (cfg->max_file_size && cfg->max_file_size < size)
		size = cfg->max_file_size;
	if (size > DOCTOR_OBJECT_MAX) {
		dr_add(d, "upload", DR_SKIP, NULL, NULL, "S3_MIN_FILE_SIZE is over the test "
		       "object's limit (%d bytes)", DOCTOR_OBJECT_MAX);
		return;
	}
	if (make_body(d, s, (size_t)size)) {
		dr_add(d, "upload", DR_FAIL, NULL, NULL, "out of memory");
		return;
	}
	if (sign_through_route(d, s))
		return;
	d->signed_ok = 1;
	if (put_object(d, NULL, want, 1, &rs, why, sizeof why)) {
		dr_add(d, "upload", DR_FAIL, "the PUT did not get an answer", NULL, "PUT %s to %s: "
		       "%s", d->key, d->bucket_url, why);
		return;
	}
	d->put_status = rs.status;
	if (rs.status >= 200 && rs.status < 300) {
		d->put_ok = 1;
		dr_add(d, "upload", DR_PASS, NULL, NULL, "POST /api/sign_s3, then PUT %s (%s, %zu "
		       "bytes, Content-MD5 signed%s%s) through the answer's presigned URL: HTTP %ld, "
		       "ETag %s", d->key, d->type, d->body_len, cfg->acl ? ", x-amz-acl=" : "",
		       cfg->acl ? cfg->acl : "", rs.status, rs.header_values[0] ?
		       rs.header_values[0] : "(none)");
	} else {
		dr_s3_error(rs.body, rs.len, code, msg);
		snprintf(d->put_code, sizeof d->put_code, "%s", code);
		dr_advice(d, code, cfg->acl ? "s3:PutObject and s3:PutObjectAcl" : "s3:PutObject",
		          &cause, &fix);
		if (!strcmp(code, "AccessDenied") && strstr(msg, "expired")) {
			cause = "the URL had expired when S3 checked it: this host's clock is behind "
			        "S3's, or S3_EXPIRES is too short for the way to S3";
			fix = "run NTP; raise S3_EXPIRES";
		}
		dr_add(d, "upload", DR_FAIL, cause ? cause : "S3 refused the browser's PUT", fix,
		       "PUT %s through the answer's presigned URL: HTTP %ld %s%s%s", d->key,
		       rs.status, code[0] ? code : "(no S3 error code)", msg[0] ? ": " : "", msg);
	}
	s3_http_response_free(&rs);
}

/* ---- after the upload -------------------------------------------------- */

void dr_read_back(struct dr *d)
{
	unsigned char buf[S3_CLIENT_MAX_RANGE];
	size_t cap = d->body_len < sizeof buf ? d->body_len : sizeof buf, len = 0;
	struct s3_object_head h;
	struct s3_call_error err;
	const char *cause, *fix;
	enum s3_err e;

	if (!d->put_ok) {
		dr_add(d, "read-back", DR_SKIP, NULL, NULL, "nothing uploaded");
		return;
	}
	e = s3_client_head(&d->cl, &d->creds, time(NULL), d->key, strlen(d->key), &h, &err);
	if (!e && cap)
		e = s3_client_get_range(&d->cl, &d->creds, time(NULL), d->key, strlen(d->key), buf,
		                        cap, &len, &err);
	if (e == S3_ERR_REMOTE && !strcmp(err.code, "AccessDenied")) {
		dr_add(d, "read-back", DR_WARN, "the credentials may not read objects "
		       "(s3:GetObject): not needed to sign uploads, but verify "
		       "(/api/sign_s3/verify) needs it", NULL, "%s: the upload is not compared",
		       err.why);
		return;
	}
	if (e) {
		dr_advice(d, err.code, "s3:GetObject", &cause, &fix);
		dr_add(d, "read-back", DR_FAIL, cause, fix, "%s", err.why);
		return;
	}
	if (h.size != d->body_len || len != cap || memcmp(buf, d->body, cap) ||
	    strcmp(h.content_type, d->type))
		dr_add(d, "read-back", DR_FAIL, "S3 keeps something else than what was sent", NULL,
		       "%s: %llu bytes of %s, sent %zu bytes of %s%s", d->key, h.size,
		       h.content_type[0] ? h.content_type : "(no type)", d->body_len, d->type,
		       len != cap || memcmp(buf, d->body, cap) ? "; other bytes" : "");
	else
		dr_add(d, "read-back", DR_PASS, NULL, NULL, "HeadObject and GetObject: %llu bytes "
		       "of %s, the same bytes", h.size, h.content_type);
}

void dr_public_url(struct dr *d)
{
	struct s3_http_request rq = {
		.method = "GET", .url = d->url, .connect_timeout_ms = DOCTOR_CONNECT_TIMEOUT_MS,
		.timeout_ms = DOCTOR_TIMEOUT_MS, .max_body = d->body_len ? d->body_len : 1,
	};
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX];

	if (!d->have_app || !d->app.cfg.public_url) {
		dr_add(d, "public-url", DR_SKIP, NULL, NULL, "S3_PUBLIC_URL not set");
		return;
	}
	if (!d->put_ok) {
		dr_add(d, "public-url", DR_SKIP, NULL, NULL, "nothing uploaded");
		return;
	}
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof why)) {
		dr_add(d, "public-url", DR_FAIL, "the public URL does not answer (or answers more "
		       "bytes than were uploaded)", "check S3_PUBLIC_URL", "GET %s: %s", d->url, why);
		return;
	}
	if (rs.status == 200 && rs.len == d->body_len && !memcmp(rs.body, d->body, rs.len))
		dr_add(d, "public-url", DR_PASS, NULL, NULL, "GET %s: the same %zu bytes", d->url,
		       rs.len);
	else if (rs.status == 200)
		dr_add(d, "public-url", DR_FAIL, "it serves other bytes: another bucket, or a CDN "
		       "path that differs", "point S3_PUBLIC_URL at this bucket's objects",
		       "GET %s: HTTP 200 but not the uploaded bytes", d->url);
	else
		dr_add(d, "public-url", DR_FAIL, rs.status == 404 ? "S3_PUBLIC_URL does not point "
		       "at this bucket's objects (or the CDN's origin path differs)" :
		       "anonymous reads are not allowed there",
		       rs.status == 404 ? "correct S3_PUBLIC_URL: base URL + '/' + key must serve "
		       "the key" : "allow s3:GetObject under the prefix in a bucket policy, or a "
		       "CDN with access to the bucket; or unset S3_PUBLIC_URL",
		       "GET %s: HTTP %ld", d->url, rs.status);
	s3_http_response_free(&rs);
}

void dr_acl(struct dr *d)
{
	const char *acl = d->have_app ? d->app.cfg.acl : NULL, *cause, *fix;

	if (!acl)
		dr_add(d, "acl", DR_SKIP, NULL, NULL, "S3_ACL not set");
	else if (d->put_ok)
		dr_add(d, "acl", DR_PASS, NULL, NULL, "the PUT carried x-amz-acl=%s and S3 took it",
		       acl);
	else if (!strcmp(d->put_code, "AccessControlListNotSupported")) {
		dr_advice(d, d->put_code, NULL, &cause, &fix);
		dr_add(d, "acl", DR_FAIL, cause, fix, "x-amz-acl=%s refused: "
		       "AccessControlListNotSupported", acl);
	} else
		dr_add(d, "acl", DR_SKIP, NULL, NULL, "the PUT failed (see upload)");
}

/* ---- CORS -------------------------------------------------------------- */

/* One preflight OPTIONS of the presigned URL: the verdict bits (cors.h)
 * and the missing header bits; -1 when no answer came (why). */
static int preflight(struct dr *d, const char *origin, const char *method, const char *acrh,
                     unsigned *missing, long *status, char *why, size_t cap)
{
	static const char *const want[] = {
		"access-control-allow-origin", "access-control-allow-methods",
		"access-control-allow-headers",
	};
	struct s3_http_header h[3] = {
		{ "Origin", origin }, { "Access-Control-Request-Method", method },
		{ "Access-Control-Request-Headers", acrh ? acrh : "" },
	};
	struct s3_http_request rq = {
		.method = "OPTIONS", .url = d->put_url, .headers = h, .nheaders = acrh ? 3 : 2,
		.connect_timeout_ms = DOCTOR_CONNECT_TIMEOUT_MS, .timeout_ms = DOCTOR_TIMEOUT_MS,
		.want_headers = want, .nwant = 3,
	};
	struct s3_http_response rs;
	struct s3_cors_preflight p;
	const char *names[N_SIGNED];
	size_t n = 0;
	unsigned v;

	if (s3_http_curl(NULL, &rq, &rs, why, cap))
		return -1;
	for (const char *a = acrh; a && *a && n < N_SIGNED;) {
		size_t k = strcspn(a, ",");

		for (size_t i = 0; i < N_SIGNED; i++)
			if (strlen(signed_headers[i]) == k && !strncmp(a, signed_headers[i], k)) {
				names[n++] = signed_headers[i];
				break;
			}
		a += k + (a[k] == ',');
	}
	p = (struct s3_cors_preflight){ rs.status, rs.header_values[0], rs.header_values[1],
	                                rs.header_values[2] };
	v = s3_cors_preflight_check(&p, origin, method, names, n, missing);
	*status = rs.status;
	s3_http_response_free(&rs);
	return (int)v;
}

#define ALLOWED (S3_CORS_OK_STATUS | S3_CORS_OK_ORIGIN | S3_CORS_OK_METHOD)

/* Which of the signed headers a preflight from origin may not name (bits
 * by signed_headers[]); -1 when the origin may not PUT at all. */
static int missing_headers(struct dr *d, const char *origin, long *status, char *why,
                           size_t cap)
{
	unsigned miss = 0, m;
	int v = preflight(d, origin, "PUT", ACRH_ALL, &miss, status, why, cap);
	char one[64];

	if (v < 0)
		return -1;
	if (((unsigned)v & ALLOWED) == ALLOWED)
		return (int)miss;
	/* refused whole (S3 refuses a preflight naming a header no rule allows):
	 * ask with Content-Type alone, then each other header beside it */
	v = preflight(d, origin, "PUT", "content-type", &m, status, why, cap);
	if (v < 0 || ((unsigned)v & ALLOWED) != ALLOWED)
		return -1;
	miss = m & 1u;
	for (size_t i = 1; i < N_SIGNED; i++) {
		snprintf(one, sizeof one, "content-type,%s", signed_headers[i]);
		v = preflight(d, origin, "PUT", one, &m, status, why, cap);
		if (v < 0 || ((unsigned)v & ALLOWED) != ALLOWED || (m & 2u))
			miss |= 1u << i;
	}
	return (int)miss;
}

static void cors_origin(struct dr *d, const char *origin, const struct s3xml_cors *rules)
{
	static const char *const want[] = {
		"access-control-allow-origin", "access-control-expose-headers",
	};
	char name[DR_NAME_MAX], why[S3_HTTP_WHY_MAX], list[128] = "", rule[S3XML_MAX_CORS_ID + 64];
	char fix[DR_TEXT_MAX], putnote[S3_HTTP_WHY_MAX + 160] = "";
	long status = 0, pstatus = 0;
	int miss = missing_headers(d, origin, &status, why, sizeof why);
	struct s3_http_response rs;
	unsigned m = 0;
	enum dr_status st = DR_PASS;
	int post_ok = 1;

	snprintf(name, sizeof name, "cors %s", origin);
	snprintf(fix, sizeof fix, "add a CORS rule: AllowedOrigin %s, AllowedMethod PUT%s, "
	         "AllowedHeader Content-Type, Content-MD5, Content-Disposition, ExposeHeader ETag "
	         "(README: Deploying on AWS)", origin,
	         d->app.cfg.simple_upload == S3_SIMPLE_POST ? " and POST" : "");
	if (miss == -1 && why[0] && !status) {
		dr_add(d, name, DR_FAIL, "no answer to the preflight", NULL, "OPTIONS: %s", why);
		return;
	}
	if (miss == -1) {
		dr_add(d, name, DR_FAIL, "the bucket's CORS rules do not let this origin PUT: the "
		       "browser stops before the upload (\"network or CORS error\")", fix,
		       "preflight PUT from %s refused: HTTP %ld, no matching "
		       "Access-Control-Allow-Origin", origin, status);
		return;
	}
	if (d->app.cfg.simple_upload == S3_SIMPLE_POST) {
		int v = preflight(d, origin, "POST", NULL, &m, &pstatus, why, sizeof why);

		post_ok = v >= 0 && ((unsigned)v & ALLOWED) == ALLOWED;
	}
	for (size_t i = 0; i < N_SIGNED; i++)
		if ((unsigned)miss & (1u << i)) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", signed_headers[i]);
		}
	if (((unsigned)miss & ((1u << N_REQUIRED) - 1)) || !post_ok) {
		dr_add(d, name, DR_FAIL, !post_ok ? "S3_SIMPLE_UPLOAD=post, but the rules do not "
		       "let this origin POST" : "the browser may not send every header an answer "
		       "can sign: those uploads stop at the preflight", fix, "%s%s%s",
		       list[0] ? "preflight PUT: headers not allowed: " : "", list,
		       post_ok ? "" : "; preflight POST refused");
		return;
	}
	rule[0] = '\0';
	if (rules) {
		long r = s3_cors_rule_match(rules, origin, "PUT", signed_headers, N_REQUIRED);

		if (r < 0)
			snprintf(rule, sizeof rule, "; no rule of GetBucketCors matches");
		else
			snprintf(rule, sizeof rule, "; rule %ld%s%s%s", r + 1,
			         rules->rule[r].id[0] ? " (ID " : "", rules->rule[r].id,
			         rules->rule[r].id[0] ? ")" : "");
	}
	if (put_object(d, origin, want, 2, &rs, why, sizeof why)) {
		st = DR_WARN;
		snprintf(putnote, sizeof putnote, "; the PUT with Origin got no answer (%s)", why);
	} else {
		if (rs.status < 200 || rs.status >= 300) {
			st = DR_WARN;
			snprintf(putnote, sizeof putnote, "; the PUT with Origin: HTTP %ld (see "
			         "upload), ETag exposure not checked", rs.status);
		} else if (!rs.header_values[0] || (strcmp(rs.header_values[0], "*") &&
		           strcmp(rs.header_values[0], origin))) {
			st = DR_FAIL;
			snprintf(putnote, sizeof putnote, "; but the PUT's answer has no matching "
			         "Access-Control-Allow-Origin: the page cannot read it");
		} else if (!s3_cors_list_has(rs.header_values[1], "etag", 1)) {
			st = DR_FAIL;
			snprintf(putnote, sizeof putnote, "; but the PUT's answer does not expose ETag "
			         "(Access-Control-Expose-Headers: %s)", rs.header_values[1] ?
			         rs.header_values[1] : "none");
		} else {
			snprintf(putnote, sizeof putnote, "; the PUT exposes ETag");
		}
		s3_http_response_free(&rs);
	}
	dr_add(d, name, st, st == DR_FAIL ? "without ETag the page cannot complete multipart "
	       "uploads (Uppy reads each part's ETag)" : NULL, st == DR_FAIL ? fix : NULL,
	       "preflight PUT%s allowed with Content-Type, Content-MD5, Content-Disposition%s%s%s%s",
	       d->app.cfg.simple_upload == S3_SIMPLE_POST ? " and POST" : "",
	       ((unsigned)miss & 8u) ? " (not x-amz-acl: not needed, sign_s3 signs it in the "
	       "URL's query)" : ", x-amz-acl", rule, putnote, "");
}

void dr_cors(struct dr *d)
{
	struct s3xml_cors rules;
	struct s3_call_error err;
	const struct s3xml_cors *have = NULL;
	char name[DR_NAME_MAX];
	enum s3_err e;

	if (!d->norigins) {
		dr_add(d, "cors", DR_SKIP, NULL, NULL, "no --origin and no S3_CORS_ORIGINS: the "
		       "browser's CORS is not checked");
		return;
	}
	if (!d->signed_ok) {
		for (size_t i = 0; i < d->norigins; i++) {
			snprintf(name, sizeof name, "cors %s", d->origins[i]);
			dr_add(d, name, DR_SKIP, NULL, NULL, "no presigned URL (see upload)");
		}
		return;
	}
	e = s3_client_get_cors(&d->cl, &d->creds, time(NULL), &rules, &err);
	if (e == S3_OK) {
		have = &rules;
		dr_add(d, "cors-rules", DR_PASS, NULL, NULL, "GetBucketCors: %zu rule%s", rules.n,
		       rules.n == 1 ? "" : "s");
	} else if (!strcmp(err.code, "NotImplemented")) {
		dr_add(d, "cors-rules", DR_SKIP, NULL, NULL, "GetBucketCors: NotImplemented by this "
		       "S3; the rule that matches cannot be shown");
	} else if (!strcmp(err.code, "NoSuchCORSConfiguration")) {
		dr_add(d, "cors-rules", DR_WARN, "the bucket has no CORS configuration (this S3 "
		       "may allow origins by its own settings)", "put a CORS rule (README: "
		       "Deploying on AWS)", "GetBucketCors: NoSuchCORSConfiguration");
	} else if (!strcmp(err.code, "AccessDenied")) {
		dr_add(d, "cors-rules", DR_SKIP, NULL, NULL, "GetBucketCors: AccessDenied (the "
		       "credentials may not read it: s3:GetBucketCORS); the rule cannot be shown");
	} else {
		dr_add(d, "cors-rules", DR_WARN, "GetBucketCors failed", NULL, "%s", err.why);
	}
	for (size_t i = 0; i < d->norigins; i++)
		cors_origin(d, d->origins[i], have);
	if (have)
		s3xml_cors_free(&rules);
}

void dr_delete(struct dr *d)
{
	struct s3_call_error err;
	char fix[DR_TEXT_MAX];
	const char *cause, *afix;

	if (!d->put_ok) {
		dr_add(d, "delete", DR_SKIP, NULL, NULL, "nothing uploaded");
		return;
	}
	if (s3_client_delete(&d->cl, &d->creds, time(NULL), d->key, strlen(d->key), &err) ==
	    S3_OK) {
		dr_add(d, "delete", DR_PASS, NULL, NULL, "DeleteObject removed %s", d->key);
		return;
	}
	snprintf(fix, sizeof fix, "delete s3://%s/%s by hand; allow s3:DeleteObject under the "
	         "prefix where verify deletes refused uploads (S3_DELETE_REJECTED=1)",
	         d->app.cfg.bucket, d->key);
	if (!strcmp(err.code, "AccessDenied")) {
		dr_add(d, "delete", DR_WARN, "the credentials may not delete (s3:DeleteObject)", fix,
		       "DeleteObject AccessDenied: the test object %s is left behind", d->key);
		return;
	}
	dr_advice(d, err.code, "s3:DeleteObject", &cause, &afix);
	dr_add(d, "delete", DR_FAIL, cause, fix, "%s: the test object %s is left behind", err.why,
	       d->key);
}

void dr_upload_free(struct dr *d)
{
	if (d->put_url) {
		OPENSSL_cleanse(d->put_url, strlen(d->put_url));
		free(d->put_url);
	}
	for (size_t i = 0; i < 2 * DR_MAX_PUT_HEADERS; i++)
		free(d->hdr_mem[i]);
	free(d->body);
	d->put_url = NULL;
	d->body = NULL;
	memset(d->hdr_mem, 0, sizeof d->hdr_mem);
}
