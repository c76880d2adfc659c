/* fuzz_handler.c - one whole request through s3_handle (cgi/handler.h):
 * REMOTE_USER, request decoding, file name sanitizing, file_head (base64,
 * libmagic), type check, S3_ALLOWED_TYPES, key, presigned URL and the JSON
 * answer, with the UUID and the clock pinned.
 * Opt-in (not in run.sh's default six): tests/fuzz/run.sh 60 fuzz_handler.
 *
 * Input: byte 0:
 *   bits 0-2  the configuration, % 5: 0 plain AWS; 1 every size at its
 *             limit (511-byte UTF-8 key prefix, 1024-byte public URL,
 *             8192-byte session token, ACL, endpoint with port); 2 no
 *             credentials; 3 path-style endpoint, dotted bucket, empty
 *             prefix; 4 policy: S3_REQUIRE_USER=1, users/{user}/ prefix,
 *             S3_ALLOWED_TYPES, S3_REQUIRE_FILE_HEAD=1, S3_MAX_NAME_BYTES=100
 *   bits 3-5  the Content-Type (7: the payload up to its first '\n')
 *   bit 6     GET (the payload is the query string)
 *   bit 7     REMOTE_USER is the payload up to the next '\n' ("!" first:
 *             REMOTE_USER given twice, differently)
 * then the body.
 * Checks: never a 500; a refusal of s3_req_parse keeps its status (unless
 * a 401 for the user comes first); otherwise 200, 400, 415 (or 401 with
 * config 4, 503 with config 2); the body is JSON of the right shape, its
 * length body_len, and the CGI head well formed; a 200 has the key
 * prefix + pinned uuid + "/" + a safe segment, at most 1024 bytes, with
 * (config 4) the user's segment, made of [A-Za-z0-9-@+.] and _XX escapes,
 * decoding back to REMOTE_USER exactly, and a type S3_ALLOWED_TYPES
 * allows; signed_request and url are printable ASCII (every byte of the
 * key encoded); file_type passes s3_mime_type_check and equals
 * headers.Content-Type. */
#include <cJSON.h>
#include "fuzz_util.h"
#include "filename.h"
#include "handler.h"
#include "mime.h"
#include "policy.h"

#define UUID "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b"
#define NCONF 5

static struct s3_app apps[NCONF];
static char prefix_max[S3_CONFIG_MAX_PREFIX + 1], public_max[S3_CONFIG_MAX_PUBLIC + 1];
static char token_max[8192 + 1];

#define KEYS "AWS_ACCESS_KEY_ID", "AKIAFUZZ", "AWS_SECRET_ACCESS_KEY", "fuzzSECRET/+="
#define NOMORE "S3_CREDENTIALS", "env", "AWS_EC2_METADATA_DISABLED", "true"

static const char *const conf[NCONF][24] = {
	{ "S3_BUCKET", "fuzz-bucket", "S3_REGION", "eu-west-1", KEYS, NOMORE, NULL },
	{ "S3_BUCKET", "b23456789012345678901234567890123456789012345678901234567890abc",
	  KEYS, NOMORE, "S3_ACL", "bucket-owner-full-control",
	  "S3_ENDPOINT", "https://s3.example.com:8443", "S3_PATH_STYLE", "0", NULL },
	{ "S3_BUCKET", "fuzz-bucket", NOMORE, NULL },
	{ "S3_BUCKET", "my.dotted.bucket", "S3_KEY_PREFIX", "",
	  "S3_ENDPOINT", "http://127.0.0.1:9000", KEYS, NOMORE, NULL },
	{ "S3_BUCKET", "fuzz-bucket", KEYS, NOMORE, "S3_REQUIRE_USER", "1",
	  "S3_KEY_PREFIX", "users/{user}/", "S3_ALLOWED_TYPES", "image/*, application/pdf,Text/Plain",
	  "S3_REQUIRE_FILE_HEAD", "1", "S3_MAX_NAME_BYTES", "100", NULL },
};

static const char *fake_get(void *ctx, const char *name)
{
	int k = (int)(intptr_t)ctx;

	if (k == 1) {
		if (!strcmp(name, "S3_KEY_PREFIX"))
			return prefix_max;
		if (!strcmp(name, "S3_PUBLIC_URL"))
			return public_max;
		if (!strcmp(name, "AWS_SESSION_TOKEN"))
			return token_max;
	}
	for (int i = 0; conf[k][i]; i += 2)
		if (!strcmp(conf[k][i], name))
			return conf[k][i + 1];
	return NULL;
}

static enum s3_err pinned_uuid(char out[37])
{
	memcpy(out, UUID, 37);
	return S3_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[S3_CONFIG_ERRMAX];
	size_t i;

	(void)argc, (void)argv;
	/* 'é' 255 times and '/': 511 bytes, one segment */
	for (i = 0; i + 2 <= S3_CONFIG_MAX_PREFIX - 1; i += 2)
		memcpy(prefix_max + i, "\xc3\xa9", 2);
	prefix_max[i++] = '/';
	prefix_max[i] = '\0';
	memcpy(public_max, "https://cdn.example.com/", 24);
	memset(public_max + 24, 'p', S3_CONFIG_MAX_PUBLIC - 24);
	memset(token_max, 'T', 8192);
	for (int k = 0; k < NCONF; k++) {
		if (s3_app_init(&apps[k], fake_get, (void *)(intptr_t)k, 1, err, sizeof err) != S3_OK) {
			fprintf(stderr, "fuzz_handler: configuration %d: %s\n", k, err);
			abort();
		}
		apps[k].uuid = pinned_uuid;
	}
	return 0;
}

static const char *const ctypes[7] = {
	"application/json", "application/x-www-form-urlencoded",
	"application/json; charset=utf-8", "application/x-www-form-urlencoded;charset=UTF-8",
	"text/plain", "application/json;charset=latin1", "application/json; x",
};

static const char *str_member(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	CHECK(cJSON_IsString(m) && m->valuestring, "member %s missing or not a string", name);
	return m->valuestring;
}

static void check_url(const char *what, const char *u)
{
	CHECK(!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7), "%s scheme", what);
	for (const char *p = u; *p; p++)
		CHECK(*p > 0x20 && *p < 0x7F && !strchr("<>\"\\^`{|}", *p),
		      "%s has byte 0x%02x", what, (unsigned char)*p);
}

static void check_segment(const char *seg, size_t max)
{
	size_t n = strlen(seg), i = 0, k;
	uint32_t cp;

	CHECK(n >= 1 && n <= max, "segment of %zu bytes (max %zu)", n, max);
	CHECK(strcmp(seg, ".") && strcmp(seg, ".."), "segment \"%s\"", seg);
	CHECK(ref_utf8_valid(seg, n), "segment not UTF-8");
	while (i < n) {
		k = ref_utf8_next((const unsigned char *)seg + i, n - i, &cp);
		CHECK(cp > 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0xA0) && cp != '/' &&
		      cp != '\\' && !(cp >= 0x2000 && cp <= 0x200F) &&
		      !(cp >= 0x2028 && cp <= 0x202F) && !(cp >= 0x2060 && cp <= 0x2064) &&
		      !(cp >= 0x2066 && cp <= 0x2069) && cp != 0xFEFF && cp != 0x3000 &&
		      cp != 0x1680 && cp != 0x205F, "segment has U+%04X", cp);
		i += k;
	}
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The user's key segment s[0..n) decodes back to user exactly. */
static void check_user_segment(const char *s, size_t n, const char *user)
{
	char dec[S3_USER_MAX + 1];
	size_t i, o = 0;

	CHECK(n > 0 && strncmp(s, ".", n) && strncmp(s, "..", n), "user segment \"%.*s\"", (int)n, s);
	for (i = 0; i < n; i++) {
		char c = s[i];

		CHECK(o < sizeof dec - 1, "user segment decodes too long");
		if (c == '_') {
			CHECK(i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0,
			      "bad escape in the user segment");
			dec[o++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		} else {
			CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || strchr("-@+.", c),
			      "byte 0x%02x in the user segment", (unsigned char)c);
			dec[o++] = c;
		}
	}
	dec[o] = '\0';
	CHECK(!strcmp(dec, user), "user segment does not decode to REMOTE_USER");
}

static const char *take_line(const uint8_t **d, size_t *n, char **keep)
{
	const uint8_t *nl = memchr(*d, '\n', *n);
	size_t len = nl ? (size_t)(nl - *d) : *n;

	*keep = fuzz_strndup(*d, len);
	*d += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return *keep;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_req_fields f;
	struct s3_req_in in = { 0 };
	struct s3_response r;
	enum s3_req_status st;
	char msg[128], head[S3_RESP_HEAD_MAX], want_cl[40];
	char *ct = NULL, *user = NULL, *body, *query = NULL;
	unsigned sel, ci;
	struct s3_app *app;
	cJSON *o;
	size_t hl;
	int k;

	s3_response_init(&r);
	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	k = (int)(sel & 7) % NCONF;
	app = &apps[k];
	ci = (sel >> 3) & 7;
	memset(&in, 0, sizeof in);
	if (ci == 7)
		in.content_type = take_line(&data, &size, &ct);
	else
		in.content_type = ctypes[ci];
	if (sel & 0x80) {
		take_line(&data, &size, &user);
		in.remote_user_conflict = user[0] == '!';
		in.remote_user = user + (user[0] == '!');
	}
	body = fuzz_dup_exact(data, size);
	in.method = sel & 0x40 ? "GET" : "POST";
	if (sel & 0x40)
		query = fuzz_strndup(data, size);
	in.query = query;
	in.body = body;
	in.body_len = size;

	st = s3_req_parse(&in, &f, msg, sizeof msg);
	s3_req_fields_free(&f);
	s3_handle(app, &in, (time_t)1764000000, &r);

	CHECK(r.status != 500, "500 for a client request (config %d): %s", k, r.message);
	CHECK(r.status != 401 || k == 4, "401 without S3_REQUIRE_USER");
	if (k == 4 && (!in.remote_user || !*in.remote_user || in.remote_user_conflict))
		CHECK(r.status == 401, "no or conflicting REMOTE_USER: %d", r.status);
	if (st != S3_REQ_OK && r.status != 401)
		CHECK(r.status == s3_req_status_http(st), "status %d, parser says %d", r.status,
		      s3_req_status_http(st));
	else if (r.status != 401)
		CHECK(r.status == 200 || r.status == 400 || r.status == 415 ||
		      (k == 2 && r.status == 503), "status %d after a good parse (config %d)",
		      r.status, k);
	CHECK(r.body && strlen(r.body) == r.body_len, "body_len");
	o = cJSON_ParseWithLength(r.body, r.body_len);
	CHECK(cJSON_IsObject(o), "body is not a JSON object: %.200s", r.body);
	if (r.status == 200) {
		const char *key = str_member(o, "key"), *type = str_member(o, "file_type");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "headers");
		const char *rest = key;

		CHECK(cJSON_GetArraySize(o) == 7, "%d members", cJSON_GetArraySize(o));
		CHECK(strlen(key) <= 1024, "key of %zu bytes", strlen(key));
		if (k == 4) {
			const char *end;

			CHECK(!strncmp(key, "users/", 6), "key \"%s\" not under users/", key);
			end = strchr(key + 6, '/');
			CHECK(end, "no user segment");
			check_user_segment(key + 6, (size_t)(end - key - 6), in.remote_user);
			rest = end + 1;
		} else {
			size_t pl = strlen(app->cfg.key_prefix);

			CHECK(!strncmp(key, app->cfg.key_prefix, pl), "key prefix");
			rest = key + pl;
		}
		CHECK(!strncmp(rest, UUID "/", 37), "key \"%s\": no uuid", key);
		check_segment(rest + 37, k == 4 ? 100 : S3_FILENAME_MAX);
		CHECK(s3_mime_type_check(type, strlen(type)) == S3_OK, "file_type \"%s\"", type);
		if (k == 4) {
			char base[256];
			size_t i;

			for (i = 0; type[i] && type[i] != ';' && i < sizeof base - 1; i++)
				base[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
			base[i] = '\0';
			CHECK(!strncmp(base, "image/", 6) || !strcmp(base, "application/pdf") ||
			      !strcmp(base, "text/plain"), "type %s signed, not allowed", type);
		}
		CHECK(cJSON_IsObject(h) && cJSON_GetArraySize(h) == 1 &&
		      !strcmp(str_member(h, "Content-Type"), type), "headers");
		CHECK(!strcmp(str_member(o, "method"), "PUT"), "method");
		check_url("signed_request", str_member(o, "signed_request"));
		check_url("url", str_member(o, "url"));
		CHECK(strstr(str_member(o, "signed_request"), "X-Amz-Signature="), "no signature");
	} else {
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "statusCode");

		CHECK(cJSON_GetArraySize(o) == 3, "%d members in an error", cJSON_GetArraySize(o));
		CHECK(cJSON_IsNumber(sc) && sc->valueint == r.status, "statusCode");
		CHECK(!strcmp(str_member(o, "error"), s3_http_reason(r.status)), "error");
		CHECK(fuzz_msg_ok(str_member(o, "message"), 512), "message not printable ASCII");
	}
	cJSON_Delete(o);
	hl = s3_response_head(&r, head, sizeof head);
	snprintf(want_cl, sizeof want_cl, "\r\nContent-Length: %zu\r\n", r.body_len);
	CHECK(hl >= 4 && strstr(head, want_cl) && !strcmp(head + hl - 4, "\r\n\r\n"), "CGI head");
	CHECK((r.status == 405) == !!strstr(head, "\r\nAllow: GET, POST\r\n"), "Allow");
	s3_response_free(&r);
	free(body);
	free(query);
	free(ct);
	free(user);
	return 0;
}
