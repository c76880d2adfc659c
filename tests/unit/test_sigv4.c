/* test_sigv4.c - SigV4 stages against the AWS test suite (tests/vectors),
 * the S3 documentation's presigned GET example, the URI encoder, the
 * addressing rules and the signer's refusals. */
#include "tap.h"
#include "presign.h"
#include "sigv4.h"
#include "uri.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VEC_DIR "tests/vectors/aws-sigv4-suite"
#define FILE_MAX 65536

static char *slurp(const char *dir, const char *name)
{
	char path[1024];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	buf = malloc(FILE_MAX);
	n = fread(buf, 1, FILE_MAX - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* in-place percent-decoding of a query name or value */
static void pct_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The query of a signed URL/request line as a sorted, '&'-joined string. */
static void sorted_params(const char *query, char *out, size_t cap, int amz_only)
{
	char buf[8192], *parts[64], *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof buf, "%s", query);
	for (char *p = strtok_r(buf, "&", &save); p && n < 64; p = strtok_r(NULL, "&", &save))
		if (!amz_only || !strncmp(p, "X-Amz-", 6))
			parts[n++] = p;
	qsort(parts, n, sizeof *parts, cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, "&", cap - strlen(out) - 1);
		strncat(out, parts[i], cap - strlen(out) - 1);
	}
}

static time_t iso_time(const char *s)
{
	struct tm tm = {0};

	sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	       &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* One case of the suite, parsed: the request line, Host, the other
 * headers, the query as raw parameters, the context. */
struct vec {
	char dir[512], path[1024], host[256], method[16], target[2048], qbuf[2048];
	char hbuf[4096];
	struct sigv4_param params[SIGV4_MAX_PARAMS];
	size_t np;
	struct sigv4_header headers[SIGV4_MAX_HEADERS];
	size_t nh;
	char *ctx_txt, *req_txt;
	cJSON *ctx;
	struct s3_creds c;
	const char *service, *region;
	time_t when;
	unsigned expires;
};

static int load(const char *name, struct vec *v)
{
	char rawq[2048] = "", *save = NULL;
	cJSON *cr;
	struct sbuf b;

	memset(v, 0, sizeof *v);
	snprintf(v->dir, sizeof v->dir, "%s/%s", VEC_DIR, name);
	v->ctx_txt = slurp(v->dir, "context.json");
	v->req_txt = slurp(v->dir, "request.txt");
	if (!v->ctx_txt || !v->req_txt)
		return -1;
	v->ctx = cJSON_Parse(v->ctx_txt);
	cr = cJSON_GetObjectItem(v->ctx, "credentials");

	/* "GET /path?query HTTP/1.1\nHost:example.amazonaws.com" */
	/* the target runs to " HTTP/" (it may hold spaces) */
	sscanf(v->req_txt, "%15s", v->method);
	{
		const char *t0 = strchr(v->req_txt, ' ') + 1, *t1 = strstr(t0, " HTTP/");

		snprintf(v->target, sizeof v->target, "%.*s", (int)(t1 - t0), t0);
	}
	sscanf(strstr(v->req_txt, "Host:") + 5, "%255s", v->host);
	/* the headers other than Host, "Name:value" lines after the first */
	snprintf(v->hbuf, sizeof v->hbuf, "%s", strchr(v->req_txt, '\n') + 1);
	for (char *l = strtok_r(v->hbuf, "\n", &save); l && v->nh < SIGV4_MAX_HEADERS;
	     l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');

		chomp(l);
		if (!colon || !strncmp(l, "Host:", 5))
			continue;
		*colon = '\0';
		v->headers[v->nh++] = (struct sigv4_header){ l, colon + 1 };
	}
	{
		char *q = strchr(v->target, '?');

		if (q) {
			*q = '\0';
			snprintf(rawq, sizeof rawq, "%s", q + 1);
		}
	}
	/* path: raw (decoded) bytes, encoded once as S3 does */
	pct_decode(v->target);
	sbuf_init(&b, v->path, sizeof v->path);
	uri_encode(&b, v->target, strlen(v->target), URI_KEEP_SLASH);

	snprintf(v->qbuf, sizeof v->qbuf, "%s", rawq);
	save = NULL;
	for (char *p = strtok_r(v->qbuf, "&", &save); p && v->np < SIGV4_MAX_PARAMS;
	     p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq)
			*eq = '\0';
		pct_decode(p);
		v->params[v->np].name = p;
		v->params[v->np].value = eq ? eq + 1 : "";
		if (eq)
			pct_decode(eq + 1);
		v->np++;
	}
	v->c.access_key = cJSON_GetObjectItem(cr, "access_key_id")->valuestring;
	v->c.secret_key = cJSON_GetObjectItem(cr, "secret_access_key")->valuestring;
	v->c.session_token = cJSON_GetObjectItem(cr, "token") ?
	                     cJSON_GetObjectItem(cr, "token")->valuestring : NULL;
	v->service = cJSON_GetObjectItem(v->ctx, "service")->valuestring;
	v->region = cJSON_GetObjectItem(v->ctx, "region")->valuestring;
	v->when = iso_time(cJSON_GetObjectItem(v->ctx, "timestamp")->valuestring);
	v->expires = (unsigned)cJSON_GetObjectItem(v->ctx, "expiration_in_seconds")->valueint;
	return 0;
}

static void unload(struct vec *v)
{
	cJSON_Delete(v->ctx);
	free(v->ctx_txt);
	free(v->req_txt);
}

static void vector_case(const char *name)
{
	char *want_creq, *want_sts, *want_sig, *want_signed;
	static struct vec v;
	static char out[SIGV4_CANON_MAX];
	struct sigv4_request r;
	struct sbuf b;
	struct sigv4_cache key;
	char sig[65], date8[9];

	load(name, &v);
	want_creq = slurp(v.dir, "query-canonical-request.txt");
	want_sts = slurp(v.dir, "query-string-to-sign.txt");
	want_sig = slurp(v.dir, "query-signature.txt");
	want_signed = slurp(v.dir, "query-signed-request.txt");
	if (!ok(v.ctx_txt && v.req_txt && want_creq && want_sts && want_sig && want_signed,
	        "%s: vector files present", name))
		return;
	chomp(want_sig);
	r = (struct sigv4_request){
		.method = v.method, .host = v.host, .path = v.path,
		.params = v.params, .nparams = v.np, .content_type = NULL,
		.service = v.service, .region = v.region,
		.payload_hash = SIGV4_EMPTY_SHA256, .when = v.when, .expires = v.expires,
	};

	sbuf_init(&b, out, sizeof out);
	is_int(sigv4_canonical_request(&b, &r, &v.c), S3_OK, "%s: canonical request built", name);
	is_str(out, want_creq, "%s: canonical request", name);

	sbuf_init(&b, out, sizeof out);
	is_int(sigv4_string_to_sign(&b, &r, want_creq, strlen(want_creq)), S3_OK,
	       "%s: string to sign built", name);
	is_str(out, want_sts, "%s: string to sign", name);

	snprintf(date8, sizeof date8, "%.8s", want_sts + strlen("AWS4-HMAC-SHA256\n"));
	sigv4_cache_init(&key);
	is_int(sigv4_signing_key(&key, v.c.secret_key, date8, r.region, r.service), S3_OK,
	       "%s: signing key", name);
	is_int(sigv4_signature(sig, &key, want_sts, strlen(want_sts)), S3_OK,
	       "%s: signature computed", name);
	is_str(sig, want_sig, "%s: signature", name);
	sigv4_cache_clear(&key);

	/* all stages at once; the URL's parameters equal the signed request's */
	{
		char got[8192], want[8192], *q, *sp;

		sbuf_init(&b, out, sizeof out);
		is_int(sigv4_presign_query(&b, &r, &v.c, NULL), S3_OK, "%s: presign", name);
		sorted_params(out, got, sizeof got, 1);
		q = strchr(want_signed, '?');
		sp = q ? strchr(q, ' ') : NULL;
		if (sp)
			*sp = '\0';
		/* the signed request shows raw (unencoded) operation params;
		 * compare the X-Amz-* part only, and the signature */
		sorted_params(q ? q + 1 : "", want, sizeof want, 1);
		ok(strstr(out, want_sig) != NULL, "%s: presigned query carries the signature", name);
		is_str(got, want, "%s: X-Amz-* parameters as in the signed request", name);
	}
	unload(&v);
	free(want_creq); free(want_sts); free(want_sig); free(want_signed);
}

/* The same case in the Authorization header style (header-* files). */
static void header_case(const char *name)
{
	char *want_creq, *want_sts, *want_sig, *want_signed, *auth;
	static struct vec v;
	static char out[SIGV4_CANON_MAX];
	struct sigv4_hrequest r;
	struct sigv4_hauth a;
	struct sbuf b;

	load(name, &v);
	want_creq = slurp(v.dir, "header-canonical-request.txt");
	want_sts = slurp(v.dir, "header-string-to-sign.txt");
	want_sig = slurp(v.dir, "header-signature.txt");
	want_signed = slurp(v.dir, "header-signed-request.txt");
	if (!ok(v.ctx_txt && want_creq && want_sts && want_sig && want_signed,
	        "%s: header vector files present", name))
		return;
	chomp(want_sig);
	r = (struct sigv4_hrequest){
		.method = v.method, .host = v.host, .path = v.path,
		.params = v.params, .nparams = v.np, .headers = v.headers, .nheaders = v.nh,
		.service = v.service, .region = v.region,
		.payload_hash = SIGV4_EMPTY_SHA256, .content_sha256 = 0, .when = v.when,
	};
	sbuf_init(&b, out, sizeof out);
	is_int(sigv4_header_canonical_request(&b, &r, &v.c), S3_OK,
	       "%s: header style: canonical request built", name);
	is_str(out, want_creq, "%s: header style: canonical request", name);
	is_int(sigv4_sign_headers(&a, &r, &v.c, NULL), S3_OK, "%s: header style: signed", name);
	auth = strstr(want_signed, "Authorization:");
	if (auth) {
		auth += strlen("Authorization:");
		auth[strcspn(auth, "\r\n")] = '\0';
	}
	is_str(a.authorization, auth, "%s: header style: Authorization as in the signed request",
	       name);
	ok(strstr(a.authorization, want_sig) != NULL, "%s: header style: the signature", name);
	unload(&v);
	free(want_creq); free(want_sts); free(want_sig); free(want_signed);
}

static void suite(void)
{
	DIR *d = opendir(VEC_DIR);
	struct dirent *e;
	char *names[64];
	size_t n = 0;

	if (!ok(d != NULL, "vector directory %s", VEC_DIR))
		return;
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "LICENSE"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	ok(n >= 13, "at least 13 suite cases (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		vector_case(names[i]);
		header_case(names[i]);
		free(names[i]);
	}
}

static const struct s3_creds doc_creds = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL,
};

#define DOC_TIME 1369353600   /* 20130524T000000Z */

static void s3_doc_example(void)
{
	static char url[SIGV4_URL_MAX];
	char obj[4096];
	struct s3_target t = { "examplebucket", "us-east-1", NULL, S3_STYLE_AUTO };
	struct s3_presign_in in = {
		.method = "GET", .key = "test.txt", .key_len = 8,
		.expires = 86400, .now = DOC_TIME,
	};
	struct sigv4_cache cache;

	is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, obj, sizeof obj),
	       S3_OK, "S3 doc example: presign");
	is_str(url, "https://examplebucket.s3.amazonaws.com/test.txt"
	       "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
	       "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
	       "S3 doc example: exact URL and signature");
	is_str(obj, "https://examplebucket.s3.amazonaws.com/test.txt", "S3 doc example: object URL");

	/* the same through a cache, twice (second use hits the cached key) */
	sigv4_cache_init(&cache);
	for (int i = 0; i < 2; i++) {
		is_int(s3_presign(&t, &doc_creds, &in, &cache, url, sizeof url, NULL, 0), S3_OK,
		       "cached presign %d", i);
		ok(strstr(url, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404") != NULL,
		   "cached presign %d: same signature", i);
	}
	/* a new day must derive a new key, not reuse the cached one */
	in.now += 86400;
	s3_presign(&t, &doc_creds, &in, &cache, url, sizeof url, NULL, 0);
	ok(strstr(url, "aeeed9bb") == NULL && strstr(url, "20130525") != NULL,
	   "cache: next day signs with a new key");
	{
		char url2[4096];

		s3_presign(&t, &doc_creds, &in, NULL, url2, sizeof url2, NULL, 0);
		is_str(url, url2, "cache: same URL as without the cache");
	}
	sigv4_cache_clear(&cache);
	ok(cache.mac == NULL && cache.valid == 0, "cache cleared");
}

/* Stage 4 alone: AWS's own example of a derived key ("Examples of how to
 * derive a signing key for Signature Version 4": 20120215, us-east-1,
 * iam), through the cache as sigv4_presign_query uses it. */
static void signing_key(void)
{
	static const unsigned char want[32] = {
		0xf4, 0x78, 0x0e, 0x2d, 0x9f, 0x65, 0xfa, 0x89, 0x5f, 0x9c, 0x67, 0xb3,
		0x2c, 0xe1, 0xba, 0xf0, 0xb0, 0xd8, 0xa4, 0x35, 0x05, 0xa0, 0x00, 0xa1,
		0xa9, 0xe0, 0x90, 0xd4, 0x14, 0xdb, 0x40, 0x4d,
	};
	const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct sigv4_cache k, zero, zero_ok;
	char sig[65], sig2[65];

	memset(&zero_ok, 0, sizeof zero_ok);
	is_int(sigv4_cache_init(&k), S3_OK, "stage 4: cache");
	is_int(sigv4_signature(sig, &k, "x", 1), S3_ERR_INVAL, "stage 5: no key yet: refused");
	is_int(sigv4_signing_key(&k, secret, "20120215", "us-east-1", "iam"), S3_OK,
	       "stage 4: AWS example derived");
	ok(!memcmp(k.key, want, 32), "stage 4: AWS example's key (f4780e2d...404d)");
	is_int(sigv4_signature(sig, &k, "x", 1), S3_OK, "stage 5 with it");
	is_int(sigv4_signing_key(&k, secret, "20120215", "us-east-1", "iam"), S3_OK,
	       "stage 4: the same again (cached)");
	is_int(sigv4_signature(sig2, &k, "x", 1), S3_OK, "stage 5 again");
	is_str(sig2, sig, "stage 5: the cached key signs the same");
	/* the one HMAC, with another key (RFC 4231 test case 2), then the
	 * signing key again: derived anew, not taken for still in the context */
	{
		static const unsigned char rfc4231[32] = {
			0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
			0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
			0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
		};
		const char *msg = "what do ya want for nothing?";
		unsigned char mac[32];

		is_int(sigv4_hmac(&k, "Jefe", 4, msg, strlen(msg), mac), S3_OK,
		       "sigv4_hmac: RFC 4231 case 2");
		ok(!memcmp(mac, rfc4231, 32), "sigv4_hmac: RFC 4231 case 2's HMAC (5bdcc146...3843)");
		is_int(sigv4_signing_key(&k, secret, "20120215", "us-east-1", "iam"), S3_OK,
		       "stage 4 after sigv4_hmac");
		ok(!memcmp(k.key, want, 32), "stage 4 after sigv4_hmac: the AWS example's key");
		is_int(sigv4_signature(sig2, &k, "x", 1), S3_OK, "stage 5 after sigv4_hmac");
		is_str(sig2, sig, "stage 5 after sigv4_hmac: the same signature (context keyed again)");
		is_int(sigv4_hmac(&zero_ok, "k", 1, "m", 1, mac), S3_ERR_INVAL,
		       "sigv4_hmac: a cache never initialized refused");
	}
	is_int(sigv4_signing_key(&k, secret, "20120216", "us-east-1", "iam"), S3_OK,
	       "stage 4: another day");
	ok(memcmp(k.key, want, 32) != 0, "stage 4: another day, another key");
	is_int(sigv4_signing_key(&k, secret, "2012021", "us-east-1", "iam"), S3_ERR_INVAL,
	       "stage 4: a date of 7 digits refused");
	is_int(sigv4_signing_key(&k, secret, "20120215", "us east 1", "iam"), S3_ERR_INVAL,
	       "stage 4: a bad region refused");
	memset(&zero, 0, sizeof zero);
	is_int(sigv4_signing_key(&zero, secret, "20120215", "us-east-1", "iam"), S3_ERR_INVAL,
	       "stage 4: a cache never initialized refused");
	sigv4_cache_clear(&k);
}

struct uri_case {
	const char *in;
	int keep_slash;
	const char *want;
};

static const struct uri_case uri_cases[] = {
	{ "", 0, "" },
	{ "abcXYZ019-_.~", 0, "abcXYZ019-_.~" },
	{ "a b", 1, "a%20b" },
	{ "a+b", 1, "a%2Bb" },
	{ "a/b", 1, "a/b" },
	{ "a/b", 0, "a%2Fb" },
	{ "a//b", 1, "a//b" },
	{ "./../x", 1, "./../x" },
	{ "/lead", 1, "/lead" },
	{ "=&?#%", 1, "%3D%26%3F%23%25" },
	{ "()!'*,;:@$", 1, "%28%29%21%27%2A%2C%3B%3A%40%24" },
	{ "\xc3\xa9", 1, "%C3%A9" },
	{ "\xe1\x88\xb4", 0, "%E1%88%B4" },
	{ "\xf0\x9f\x98\x80", 1, "%F0%9F%98%80" },
	{ "\x01\x7f\xff", 1, "%01%7F%FF" },
	{ "[]{}|\\^`\"<>", 1, "%5B%5D%7B%7D%7C%5C%5E%60%22%3C%3E" },
};

static void uri_table(void)
{
	for (size_t i = 0; i < sizeof uri_cases / sizeof *uri_cases; i++) {
		const struct uri_case *u = &uri_cases[i];
		char out[256];
		struct sbuf b;

		sbuf_init(&b, out, sizeof out);
		uri_encode(&b, u->in, strlen(u->in), u->keep_slash);
		is_str(out, u->want, "uri_encode case %zu", i);
		is_int(uri_encoded_len(u->in, strlen(u->in), u->keep_slash), strlen(u->want),
		       "uri_encoded_len case %zu", i);
	}
	{
		char small[3];   /* "%20" needs 4 with the NUL */
		struct sbuf b;

		sbuf_init(&b, small, sizeof small);
		uri_encode(&b, " ", 1, 0);
		ok(!sbuf_ok(&b) && small[0] == '\0', "uri_encode: overflow flagged, nothing partial");
	}
}

struct addr_case {
	const char *bucket, *region, *endpoint;
	enum s3_style style;
	const char *want_prefix;
};

static const struct addr_case addr_cases[] = {
	{ "examplebucket", "us-east-1", NULL, S3_STYLE_AUTO, "https://examplebucket.s3.amazonaws.com/k?" },
	{ "examplebucket", "eu-west-1", NULL, S3_STYLE_AUTO, "https://examplebucket.s3.eu-west-1.amazonaws.com/k?" },
	{ "examplebucket", "us-east-1", NULL, S3_STYLE_PATH, "https://s3.amazonaws.com/examplebucket/k?" },
	{ "examplebucket", "eu-west-1", NULL, S3_STYLE_PATH, "https://s3.eu-west-1.amazonaws.com/examplebucket/k?" },
	{ "Upper", "us-east-1", "https://s3.amazonaws.com", S3_STYLE_AUTO, "https://s3.amazonaws.com/Upper/k?" },
	{ "under_score", "us-east-1", "https://s3.amazonaws.com", S3_STYLE_VIRTUAL, "https://s3.amazonaws.com/under_score/k?" },
	{ "my.dotted.bucket", "us-east-1", NULL, S3_STYLE_AUTO, "https://s3.amazonaws.com/my.dotted.bucket/k?" },
	{ "my.dotted.bucket", "us-east-1", "http://s3.local:9000", S3_STYLE_VIRTUAL, "http://my.dotted.bucket.s3.local:9000/k?" },
	{ "ab", "us-east-1", "https://s3.amazonaws.com", S3_STYLE_AUTO, "https://s3.amazonaws.com/ab/k?" },
	{ "192.168.1.1", "us-east-1", "http://s3.local", S3_STYLE_VIRTUAL, "http://s3.local/192.168.1.1/k?" },
	{ "bucket", "us-east-1", "http://127.0.0.1:9000", S3_STYLE_AUTO, "http://127.0.0.1:9000/bucket/k?" },
	{ "bucket", "us-east-1", "http://127.0.0.1:9000", S3_STYLE_VIRTUAL, "http://127.0.0.1:9000/bucket/k?" },
	{ "bucket", "us-east-1", "http://minio.local:9000", S3_STYLE_VIRTUAL, "http://bucket.minio.local:9000/k?" },
	{ "bucket", "us-east-1", "https://r2.example.com", S3_STYLE_AUTO, "https://r2.example.com/bucket/k?" },
	{ "bucket", "us-east-1", "http://[::1]:9000", S3_STYLE_VIRTUAL, "http://[::1]:9000/bucket/k?" },
};

/* Names S3 would not create are refused on AWS; behind an endpoint only
 * the path segments "." and "..". */
static const struct { const char *bucket; int legacy, ok; } bucket_cases[] = {
	{ "abc", 0, 1 }, { "a.b-c.9", 0, 1 }, { "ab", 0, 0 }, { "Abc", 0, 0 },
	{ "a_c", 0, 0 }, { "a..c", 0, 0 }, { "-abc", 0, 0 }, { "abc.", 0, 0 },
	{ "10.0.0.1", 0, 0 }, { "xn--abc", 0, 0 }, { "abc--ol-s3", 0, 0 },
	{ ".", 0, 0 }, { "..", 0, 0 }, { "", 0, 0 },
	{ "a", 1, 1 }, { "Up_per", 1, 1 }, { "...", 1, 1 }, { "10.0.0.1", 1, 1 },
	{ ".", 1, 0 }, { "..", 1, 0 }, { "a/b", 1, 0 }, { "a b", 1, 0 }, { "", 1, 0 },
};

static void buckets(void)
{
	for (size_t i = 0; i < sizeof bucket_cases / sizeof *bucket_cases; i++) {
		const char *b = bucket_cases[i].bucket;
		struct s3_target t = { b, "us-east-1", bucket_cases[i].legacy ? "http://s3.local" : NULL,
		                       S3_STYLE_AUTO };
		struct s3_presign_in in = { .method = "PUT", .key = "k", .key_len = 1,
		                            .expires = 60, .now = DOC_TIME };
		char url[4096];

		is_int(s3_bucket_check(b, bucket_cases[i].legacy) == NULL, bucket_cases[i].ok,
		       "bucket '%s' legacy %d", b, bucket_cases[i].legacy);
		is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0) == S3_OK,
		       bucket_cases[i].ok, "bucket '%s' legacy %d: presign agrees", b,
		       bucket_cases[i].legacy);
	}
}

static void addressing(void)
{
	for (size_t i = 0; i < sizeof addr_cases / sizeof *addr_cases; i++) {
		const struct addr_case *a = &addr_cases[i];
		struct s3_target t = { a->bucket, a->region, a->endpoint, a->style };
		struct s3_presign_in in = { .method = "PUT", .key = "k", .key_len = 1,
		                            .expires = 60, .now = DOC_TIME };
		char url[4096];

		is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0), S3_OK,
		       "addressing %zu: presign", i);
		if (!ok(!strncmp(url, a->want_prefix, strlen(a->want_prefix)),
		        "addressing %zu: URL prefix", i))
			diag("want %.200s\n#   got %.200s", a->want_prefix, url);
	}
}

/* An endpoint is host[:port] with no path, userinfo or bad port (s3_config
 * normalizes it; a caller that does not is refused, not signed for). */
static void endpoint_refusals(void)
{
	static const char *const bad[] = {
		"minio:9000", "ftp://minio", "http://", "http://minio/", "http://minio/b",
		"http://minio?x", "http://user@minio", "http://minio:0", "http://minio:65536",
		"http://a..b", "http://[::1", "http://mi nio",
	};
	struct s3_presign_in in = { .method = "PUT", .key = "k", .key_len = 1,
	                            .expires = 60, .now = DOC_TIME };
	char url[4096];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct s3_target t = { "bucket", "us-east-1", bad[i], S3_STYLE_AUTO };

		is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0),
		       S3_ERR_INVAL, "endpoint '%s' refused", bad[i]);
		is_str(url, "", "endpoint '%s': no URL", bad[i]);
	}
}

/* Content-Type signed, session token carried, x-amz-acl in the canonical query. */
static void signed_parts(void)
{
	struct s3_target t = { "examplebucket", "us-east-1", NULL, S3_STYLE_AUTO };
	struct s3_creds c = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                      "FQoG/token+with=chars" };
	struct sigv4_param acl = { "x-amz-acl", "public-read" };
	struct s3_presign_in in = { .method = "PUT", .key = "a b+c.pdf", .key_len = 9,
	                            .content_type = "application/pdf", .params = &acl,
	                            .nparams = 1, .expires = 60, .now = DOC_TIME };
	char url[8192], url2[8192];

	is_int(s3_presign(&t, &c, &in, NULL, url, sizeof url, NULL, 0), S3_OK, "PUT with everything");
	ok(strstr(url, "/a%20b%2Bc.pdf?") != NULL, "key encoded once, space as %%20, + as %%2B");
	ok(strstr(url, "X-Amz-SignedHeaders=content-type%3Bhost") != NULL, "content-type signed");
	ok(strstr(url, "X-Amz-Security-Token=FQoG%2Ftoken%2Bwith%3Dchars") != NULL, "token encoded");
	ok(strstr(url, "&x-amz-acl=public-read&") != NULL || strstr(url, "&x-amz-acl=public-read") != NULL,
	   "acl in the query");
	ok(strstr(url, "checksum") == NULL && strstr(url, "x-id") == NULL, "no SDK noise");
	in.content_type = "image/png";
	s3_presign(&t, &c, &in, NULL, url2, sizeof url2, NULL, 0);
	ok(strcmp(strstr(url, "X-Amz-Signature="), strstr(url2, "X-Amz-Signature=")) != 0,
	   "another Content-Type gives another signature");
	in.content_type = "application/pdf";
	in.nparams = 0;
	s3_presign(&t, &c, &in, NULL, url2, sizeof url2, NULL, 0);
	ok(strcmp(strstr(url, "X-Amz-Signature="), strstr(url2, "X-Amz-Signature=")) != 0,
	   "the ACL is part of the signature");
}

/* Content-Disposition signed beside (and before) Content-Type, as
 * S3_ACTIVE_TYPES=attachment asks; the canonical requests and URLs are
 * botocore's (generate_presigned_url('put_object', ContentDisposition=
 * 'attachment'), clock at DOC_TIME); tests/botocore_parity.py checks more. */
static void disposition(void)
{
	struct s3_target t = { "examplebucket", "us-east-1", NULL, S3_STYLE_AUTO };
	struct s3_presign_in in = { .method = "PUT", .key = "page.html", .key_len = 9,
	                            .content_type = "text/html",
	                            .content_disposition = "attachment",
	                            .expires = 60, .now = DOC_TIME };
	struct sigv4_request r = {
		.method = "PUT", .host = "examplebucket.s3.amazonaws.com", .path = "/page.html",
		.content_type = "text/html", .content_disposition = "attachment",
		.service = "s3", .region = "us-east-1", .payload_hash = SIGV4_UNSIGNED_PAYLOAD,
		.when = DOC_TIME, .expires = 60,
	};
	static char out[SIGV4_CANON_MAX];
	char url[4096];
	struct sbuf b;

	sbuf_init(&b, out, sizeof out);
	is_int(sigv4_canonical_request(&b, &r, &doc_creds), S3_OK,
	       "disposition: canonical request built");
	is_str(out, "PUT\n/page.html\n"
	       "X-Amz-Algorithm=AWS4-HMAC-SHA256"
	       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60"
	       "&X-Amz-SignedHeaders=content-disposition%3Bcontent-type%3Bhost\n"
	       "content-disposition:attachment\ncontent-type:text/html\n"
	       "host:examplebucket.s3.amazonaws.com\n\n"
	       "content-disposition;content-type;host\nUNSIGNED-PAYLOAD",
	       "disposition: canonical request as botocore's");
	is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0), S3_OK,
	       "disposition and type: presign");
	is_str(url, "https://examplebucket.s3.amazonaws.com/page.html"
	       "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60"
	       "&X-Amz-SignedHeaders=content-disposition%3Bcontent-type%3Bhost"
	       "&X-Amz-Signature=a40275b905e85e5283ac29f56734f9999bb08722404c188b5008d367fde56f19",
	       "disposition and type: botocore's URL and signature");

	r.content_type = NULL;
	sbuf_init(&b, out, sizeof out);
	sigv4_canonical_request(&b, &r, &doc_creds);
	ok(strstr(out, "&X-Amz-SignedHeaders=content-disposition%3Bhost\n"
	       "content-disposition:attachment\nhost:examplebucket.s3.amazonaws.com\n\n"
	       "content-disposition;host\n") != NULL,
	   "disposition alone: content-disposition;host");
	in.content_type = NULL;
	s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0);
	ok(strstr(url, "&X-Amz-SignedHeaders=content-disposition%3Bhost"
	       "&X-Amz-Signature=821c48ba64e7b7b42dacc022c82b61d3c4f948bb6051e4f8697eaa01f5f931c9"),
	   "disposition alone: botocore's signature");
	in.content_disposition = "";
	s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0);
	ok(strstr(url, "X-Amz-SignedHeaders=host&") != NULL, "empty disposition: not signed");

	/* a value a header cannot carry is refused, as a Content-Type is */
	in.content_disposition = "attachment\r\nX-Evil: 1";
	is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0), S3_ERR_INVAL,
	       "disposition with CR LF refused");
	{
		char longv[SIGV4_MAX_DISPOSITION + 2];

		memset(longv, 'a', sizeof longv - 1);
		longv[sizeof longv - 1] = '\0';
		in.content_disposition = longv;
		is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0),
		       S3_ERR_INVAL, "disposition over %d bytes refused", SIGV4_MAX_DISPOSITION);
		longv[SIGV4_MAX_DISPOSITION] = '\0';
		is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0),
		       S3_OK, "disposition of %d bytes accepted", SIGV4_MAX_DISPOSITION);
	}
}

struct refusal {
	const char *what;
	const char *bucket, *method, *key;
	size_t key_len;        /* 0: strlen */
	unsigned expires;
	const char *ak, *sk;
	enum s3_err want;
};

static void refusals(void)
{
	static char longkey[SIGV4_MAX_KEY + 2];
	const struct refusal rs[] = {
		{ "expires 0", "b1b", "PUT", "k", 0, 0, "AK", "SK", S3_ERR_RANGE },
		{ "expires 604801", "b1b", "PUT", "k", 0, 604801, "AK", "SK", S3_ERR_RANGE },
		{ "method POST", "b1b", "POST", "k", 0, 60, "AK", "SK", S3_ERR_INVAL },
		{ "method lowercase", "b1b", "put", "k", 0, 60, "AK", "SK", S3_ERR_INVAL },
		{ "empty key", "b1b", "PUT", "", 0, 60, "AK", "SK", S3_ERR_INVAL },
		{ "key 1025 bytes", "b1b", "PUT", longkey, SIGV4_MAX_KEY + 1, 60, "AK", "SK", S3_ERR_TOOLONG },
		{ "key invalid UTF-8", "b1b", "PUT", "a\xc3", 0, 60, "AK", "SK", S3_ERR_UTF8 },
		{ "key with NUL", "b1b", "PUT", "a\0b", 3, 60, "AK", "SK", S3_ERR_UTF8 },
		{ "bucket with slash", "a/b", "PUT", "k", 0, 60, "AK", "SK", S3_ERR_INVAL },
		{ "empty bucket", "", "PUT", "k", 0, 60, "AK", "SK", S3_ERR_INVAL },
		{ "no access key", "b1b", "PUT", "k", 0, 60, "", "SK", S3_ERR_NOCREDS },
		{ "no secret", "b1b", "PUT", "k", 0, 60, "AK", NULL, S3_ERR_NOCREDS },
		{ "access key with newline", "b1b", "PUT", "k", 0, 60, "A\nK", "SK", S3_ERR_NOCREDS },
	};

	memset(longkey, 'k', SIGV4_MAX_KEY + 1);
	for (size_t i = 0; i < sizeof rs / sizeof *rs; i++) {
		const struct refusal *r = &rs[i];
		struct s3_target t = { r->bucket, "us-east-1", NULL, S3_STYLE_AUTO };
		struct s3_creds c = { r->ak, r->sk, NULL };
		struct s3_presign_in in = { .method = r->method, .key = r->key,
		                            .key_len = r->key_len ? r->key_len : strlen(r->key),
		                            .expires = r->expires, .now = DOC_TIME };
		char url[8192] = "x";

		is_int(s3_presign(&t, &c, &in, NULL, url, sizeof url, NULL, 0), r->want,
		       "refused: %s", r->what);
		is_str(url, "", "refused: %s: no partial URL", r->what);
	}
	{
		struct s3_target t = { "b1b", "us-east-1", NULL, S3_STYLE_AUTO };
		struct s3_presign_in in = { .method = "PUT", .key = "k", .key_len = 1,
		                            .expires = 60, .now = DOC_TIME };
		char tiny[40];

		is_int(s3_presign(&t, &doc_creds, &in, NULL, tiny, sizeof tiny, NULL, 0),
		       S3_ERR_TOOLONG, "refused: output buffer too small");
		memset(longkey, 'k', SIGV4_MAX_KEY);
		longkey[SIGV4_MAX_KEY] = '\0';
		in.key = longkey;
		in.key_len = SIGV4_MAX_KEY;
		{
			static char url[SIGV4_URL_MAX];

			is_int(s3_presign(&t, &doc_creds, &in, NULL, url, sizeof url, NULL, 0),
			       S3_OK, "key of exactly 1024 bytes accepted");
		}
	}
}

/* ---- the header style against botocore ---------------------------------- */

/* A case: as the S3 client would send it (path encoded, params and
 * headers raw); botocore's S3SigV4Auth signs the same request
 * (tests/lib/botocore_header.py) and the Authorization values must match. */
struct hcase {
	const char *method, *host, *path, *region, *token, *body;
	struct sigv4_param params[3];
	size_t np;
	struct sigv4_header headers[4];
	size_t nh;
};

static const struct hcase hcases[] = {
	{ "PUT", "bkt.s3.amazonaws.com", "/a%20b.txt", "us-east-1", NULL, "hello",
	  { { 0 } }, 0, { { "Content-Type", "text/plain" } }, 1 },
	{ "POST", "bkt.s3.eu-west-1.amazonaws.com", "/photos/x.jpg", "eu-west-1",
	  "FQoGZXIvYXdzEXAMPLE//token+=", "",
	  { { "uploads", "" } }, 1,
	  { { "Content-Type", "image/jpeg" }, { "x-amz-acl", "private" },
	    { "X-Amz-Meta-Owner", "Ann  Lee " } }, 3 },
	{ "GET", "bkt.s3.ap-southeast-2.amazonaws.com", "/k", "ap-southeast-2", NULL, "",
	  { { "uploadId", "2~abc.def_-/+=" }, { "part-number-marker", "5" } }, 2, { { 0 } }, 0 },
	{ "DELETE", "bkt.s3.amazonaws.com", "/dir/%E2%82%AC.txt", "us-east-1", NULL, "",
	  { { "uploadId", "xyz" } }, 1, { { 0 } }, 0 },
	{ "POST", "127.0.0.1:8080", "/bucket/big.bin", "us-east-1", NULL,
	  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
	  "<ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part></CompleteMultipartUpload>",
	  { { "uploadId", "VXBsb2FkIElE" } }, 1,
	  { { "Content-Type", "application/xml" }, { "Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww==" } }, 2 },
};

#define HCASE_TIME 1796378410   /* 20261204T100010Z */

static void sha256_hex_of(const char *s, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void botocore_headers(void)
{
	static const struct s3_creds base = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	const size_t n = sizeof hcases / sizeof hcases[0];
	char in[] = "/tmp/test_sigv4_hdr.XXXXXX", cmd[256], line[4096];
	FILE *f, *p;
	int fd = mkstemp(in);
	size_t i = 0;

	if (fd < 0 || access("/usr/bin/python3", X_OK) != 0) {
		ok(1, "# SKIP botocore header parity: no /usr/bin/python3");
		return;
	}
	f = fdopen(fd, "w");
	for (size_t k = 0; k < n; k++) {
		const struct hcase *h = &hcases[k];

		fprintf(f, "%s\thttp://%s%s\t20261204T100010Z\t%s\t%s\t%s\t%s\t%s\t",
		        h->method, h->host, h->path, h->region, base.access_key, base.secret_key,
		        h->token ? h->token : "-", h->body);
		for (size_t j = 0; j < h->np; j++)
			fprintf(f, "%s%s=%s", j ? "&" : "", h->params[j].name, h->params[j].value);
		fprintf(f, "%s\t", h->np ? "" : "-");
		for (size_t j = 0; j < h->nh; j++)
			fprintf(f, "%s%s:%s", j ? "|" : "", h->headers[j].name, h->headers[j].value);
		fprintf(f, "%s\n", h->nh ? "" : "-");
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/lib/botocore_header.py < %s 2>&1", in);
	if (!(p = popen(cmd, "r"))) {
		ok(0, "botocore_header.py runs");
		unlink(in);
		return;
	}
	while (i < n && fgets(line, sizeof line, p)) {
		const struct hcase *h = &hcases[i];
		struct s3_creds c = base;
		struct sigv4_hrequest r;
		struct sigv4_hauth a;
		char hash[65], *tab = strchr(line, '\t');

		chomp(line);
		if (tab)
			*tab++ = '\0';
		c.session_token = h->token;
		sha256_hex_of(h->body, hash);
		r = (struct sigv4_hrequest){
			.method = h->method, .host = h->host, .path = h->path,
			.params = h->params, .nparams = h->np, .headers = h->headers, .nheaders = h->nh,
			.service = "s3", .region = h->region, .payload_hash = hash,
			.content_sha256 = 1, .when = HCASE_TIME,
		};
		is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_OK, "botocore %zu (%s %s): signed",
		       i, h->method, h->path);
		is_str(a.authorization, line, "botocore %zu: Authorization = S3SigV4Auth's", i);
		is_str(hash, tab ? tab : "", "botocore %zu: x-amz-content-sha256 = botocore's", i);
		i++;
	}
	pclose(p);
	unlink(in);
	ok(i == n, "botocore answered every case (%zu of %zu)", i, n);
}

/* Header-style refusals: what the signer must not sign. */
static void header_refusals(void)
{
	const struct s3_creds c = { "AKID", "secret", NULL };
	struct sigv4_header bad_name[] = { { "Bad Name", "x" } };
	struct sigv4_header ctl[] = { { "x-amz-meta-a", "a\r\nb" } };
	struct sigv4_header twice[] = { { "Content-Type", "a" }, { "content-type", "b" } };
	struct sigv4_header host[] = { { "Host", "evil" } };
	struct sigv4_hrequest r = {
		.method = "GET", .host = "h", .path = "/k", .service = "s3", .region = "us-east-1",
		.payload_hash = SIGV4_EMPTY_SHA256, .content_sha256 = 1, .when = HCASE_TIME,
	};
	struct sigv4_hauth a;

	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_OK, "header style: a plain GET signs");
	r.headers = bad_name, r.nheaders = 1;
	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_ERR_INVAL, "header style: a name with a space: refused");
	r.headers = ctl;
	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_ERR_INVAL, "header style: CR LF in a value: refused");
	r.headers = twice, r.nheaders = 2;
	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_ERR_INVAL, "header style: a name twice: refused");
	r.headers = host, r.nheaders = 1;
	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_ERR_INVAL, "header style: a second Host: refused");
	r.headers = NULL, r.nheaders = 0, r.path = "k";
	is_int(sigv4_sign_headers(&a, &r, &c, NULL), S3_ERR_INVAL, "header style: a path without '/': refused");
}

int main(void)
{
	suite();
	s3_doc_example();
	signing_key();
	uri_table();
	addressing();
	endpoint_refusals();
	buckets();
	signed_parts();
	disposition();
	refusals();
	botocore_headers();
	header_refusals();
	return done_testing();
}
