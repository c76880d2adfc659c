/* fuzz_config.c - the configuration loader (common/config.h): the
 * SIGN_S3_CONFIG file parser and every validator.
 *
 * config.c has no in-memory entry point, so the input goes into a memfd
 * and SIGN_S3_CONFIG names it (/proc/self/fd/N) through a fake lookup:
 * no disk I/O. Input: bytes 0-1 choose what the fake environment holds
 * (each bit one variable, fixed values, the environment wins over the
 * file); the rest is the file.
 * Checks: the result is S3_OK, S3_ERR_CONFIG or S3_ERR_IO(never for a
 * readable file); on failure cfg is all zero and the message is one
 * printable line that never contains a value (the environment's values are
 * distinctive marks and must never appear; neither may any value of 6+
 * bytes taken from a NAME=value line of the file unless the message's
 * fixed text holds it anyway); on success every field meets its rule. */
#include "fuzz_util.h"
#include "config.h"

static struct fuzz_memfile mf;
static unsigned env_bits;
static char ctx_path[64];

#define MARK "QQxMARKxQQ"

static const struct { const char *name, *value; } env_vals[16] = {
	{ "S3_BUCKET", "envbucket" },
	{ "AWS_ACCESS_KEY_ID", "AKIA" MARK "KEYID" },
	{ "AWS_SECRET_ACCESS_KEY", "SECRET" MARK "secret/+=" },
	{ "AWS_SESSION_TOKEN", "TOKEN" MARK "token" },
	{ "S3_REGION", "eu-west-1" },
	{ "AWS_REGION", "bad region " MARK },
	{ "S3_ENDPOINT", "http://" MARK ".invalid:" },
	{ "S3_KEY_PREFIX", "" },
	{ "S3_EXPIRES", "99999999999999999999" MARK },
	{ "S3_ACL", "public-read" },
	{ "S3_PUBLIC_URL", "https://cdn.example.com/" MARK "/" },
	{ "S3_MAX_BODY", "0" },
	{ "S3_PATH_STYLE", "1" },
	{ "S3_LOG_REQUESTS", "yes" MARK },
	{ "AWS_DEFAULT_REGION", "" },
	{ "SIGN_S3_CONFIG", NULL },    /* bit 15 clear: no file at all */
};

static const char *fake_get(void *ctx, const char *name)
{
	(void)ctx;
	for (int i = 0; i < 16; i++) {
		if (strcmp(env_vals[i].name, name))
			continue;
		if (i == 15)
			return env_bits & (1u << 15) ? ctx_path : NULL;
		return env_bits & (1u << i) ? env_vals[i].value : NULL;
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_memfile_init(&mf, "fuzz_config");
	snprintf(ctx_path, sizeof ctx_path, "%s", mf.path);
	return 0;
}

static int all_of(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

static int printable(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

static void check_ok(const struct s3_config *c)
{
	CHECK(c->bucket && *c->bucket && strlen(c->bucket) <= 255 && all_of(c->bucket, "._-"),
	      "bucket \"%s\"", c->bucket ? c->bucket : "(null)");
	CHECK(c->region && *c->region && all_of(c->region, "_-"), "region");
	CHECK(c->key_prefix && strlen(c->key_prefix) <= S3_CONFIG_MAX_PREFIX, "key_prefix");
	CHECK(ref_utf8_valid(c->key_prefix, strlen(c->key_prefix)), "key_prefix UTF-8");
	CHECK(c->key_prefix[0] != '/' && !strstr(c->key_prefix, "//"), "key_prefix slashes");
	for (const char *p = c->key_prefix; *p; ) {
		size_t n = strcspn(p, "/");

		CHECK(!(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.'),
		      "key_prefix has a . or .. segment");
		CHECK(n > 0, "key_prefix empty segment");
		p += n;
		if (*p)
			p++;
	}
	for (const char *p = c->key_prefix; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "key_prefix control");
	CHECK(c->expires >= 1 && c->expires <= 604800, "expires %u", c->expires);
	CHECK(c->max_body >= 1 && c->max_body <= S3_CONFIG_MAX_BODY_MAX, "max_body %zu", c->max_body);
	CHECK(c->log_requests == 0 || c->log_requests == 1, "log_requests %d", c->log_requests);
	CHECK(c->style == S3_STYLE_AUTO || c->style == S3_STYLE_PATH ||
	      c->style == S3_STYLE_VIRTUAL, "style %d", (int)c->style);
	CHECK(!!c->access_key == !!c->secret_key, "access key without secret or the reverse");
	CHECK(!c->session_token || c->access_key, "token without keys");
	if (c->access_key)
		CHECK(printable(c->access_key) && printable(c->secret_key), "key not printable");
	if (c->session_token)
		CHECK(printable(c->session_token), "token not printable");
	if (c->endpoint) {
		size_t n = strlen(c->endpoint);

		CHECK(!strncmp(c->endpoint, "http://", 7) || !strncmp(c->endpoint, "https://", 8),
		      "endpoint scheme \"%s\"", c->endpoint);
		CHECK(c->endpoint[n - 1] != '/', "endpoint ends with '/'");
		CHECK(c->endpoint_https == !strncmp(c->endpoint, "https://", 8), "endpoint_https");
		for (size_t i = 0; i < n; i++)
			CHECK(!(c->endpoint[i] >= 'A' && c->endpoint[i] <= 'Z'), "endpoint not lowercase");
		CHECK(!strstr(c->endpoint, "@") && !strchr(c->endpoint + 8, '/') &&
		      !strchr(c->endpoint, '?') && !strchr(c->endpoint, '#'), "endpoint has more than a host");
		if (!strncmp(c->endpoint, "https://", 8)) {
			CHECK(n < 4 || strcmp(c->endpoint + n - 4, ":443"), "default port kept");
		} else {
			CHECK(n < 3 || strcmp(c->endpoint + n - 3, ":80"), "default port kept");
		}
	} else {
		CHECK(c->endpoint_https == 1, "AWS is https");
	}
	if (c->acl)
		CHECK(!strcmp(c->acl, "private") || !strcmp(c->acl, "public-read") ||
		      !strcmp(c->acl, "public-read-write") || !strcmp(c->acl, "authenticated-read") ||
		      !strcmp(c->acl, "aws-exec-read") || !strcmp(c->acl, "bucket-owner-read") ||
		      !strcmp(c->acl, "bucket-owner-full-control"), "acl \"%s\"", c->acl);
	CHECK(c->require_user == 0 || c->require_user == 1, "require_user %d", c->require_user);
	CHECK(c->require_file_head == 0 || c->require_file_head == 1, "require_file_head");
	CHECK(c->max_name_bytes >= 1 && c->max_name_bytes <= 255, "max_name_bytes %zu",
	      c->max_name_bytes);
	CHECK(!strstr(c->key_prefix, "{user}") || c->require_user,
	      "{user} in S3_KEY_PREFIX without S3_REQUIRE_USER=1");
	if (c->allowed_types) {
		CHECK(*c->allowed_types, "empty allowed_types");
		for (const char *p = c->allowed_types; *p; p++)
			CHECK(*p > 0x20 && *p < 0x7F && !(*p >= 'A' && *p <= 'Z'),
			      "allowed_types not normalized: \"%s\"", c->allowed_types);
		CHECK(!strstr(c->allowed_types, ",,") && c->allowed_types[0] != ',' &&
		      c->allowed_types[strlen(c->allowed_types) - 1] != ',',
		      "allowed_types has an empty entry: \"%s\"", c->allowed_types);
	}
	if (c->public_url) {
		size_t n = strlen(c->public_url);

		CHECK(n > 0 && c->public_url[n - 1] != '/', "public_url ends with '/'");
		CHECK(!strncasecmp(c->public_url, "http://", 7) ||
		      !strncasecmp(c->public_url, "https://", 8), "public_url scheme");
		CHECK(!strpbrk(c->public_url, "?# \t\r\n"), "public_url has ? # or space");
		CHECK(ref_utf8_valid(c->public_url, n), "public_url UTF-8");
	}
}

/* No value ever reaches the message. The environment's values carry MARK;
 * so may the file's (the dictionary offers it to the fuzzer): a value of
 * a NAME=value line (trimmed of blanks and quotes) that holds MARK must not
 * appear in the message, and neither may MARK itself. */
static void check_no_echo(const char *msg, const uint8_t *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - d) : n;
		const uint8_t *eq = memchr(d + i, '=', end - i);

		if (eq) {
			size_t b = (size_t)(eq - d) + 1, e = end, k;
			char v[64];

			while (b < e && strchr(" \t\r\f\v\"'", d[b]))
				b++;
			while (e > b && strchr(" \t\r\f\v\"'", d[e - 1]))
				e--;
			if (e - b >= sizeof MARK - 1 && e - b < sizeof v) {
				memcpy(v, d + b, e - b);
				v[e - b] = '\0';
				for (k = 0; k < e - b && v[k]; k++)
					;
				if (k == e - b && strstr(v, MARK))
					CHECK(!strstr(msg, v), "the message echoes a value: %s", msg);
			}
		}
		i = end + 1;
	}
	CHECK(!strstr(msg, MARK), "the message holds a value: %s", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct s3_config zero;
	struct s3_config cfg;
	char err[S3_CONFIG_ERRMAX];
	enum s3_err e;

	if (size < 2)
		return 0;
	env_bits = (unsigned)data[0] | (unsigned)data[1] << 8;
	/* mostly with the file: bit 15 set unless both bytes say otherwise */
	if (data[0] & 1)
		env_bits |= 1u << 15;
	data += 2, size -= 2;
	fuzz_memfile_set(&mf, data, size);
	memset(err, 'Z', sizeof err);
	e = s3_config_load(&cfg, fake_get, NULL, err, sizeof err);
	CHECK(e == S3_OK || e == S3_ERR_CONFIG, "error %d (%s)", (int)e, s3_strerror(e));
	CHECK(memchr(err, '\0', sizeof err), "message not terminated");
	CHECK(fuzz_msg_ok(err, sizeof err), "message not printable: %s", err);
	/* the file is ours and 0600: only its contents may be refused */
	CHECK(!strstr(err, "refused:"), "the file itself refused: %s", err);
	if (e != S3_OK) {
		CHECK(memcmp(&cfg, &zero, sizeof cfg) == 0, "cfg not empty after a refusal");
		CHECK(*err, "refusal without a message");
		check_no_echo(err, data, size);
	} else {
		check_ok(&cfg);
		CHECK(!strstr(err, MARK), "message on success holds a value");
		/* the environment wins over the file */
		if (env_bits & 1)
			CHECK(!strcmp(cfg.bucket, "envbucket"), "file won over the environment");
	}
	s3_config_free(&cfg);
	CHECK(memcmp(&cfg, &zero, sizeof cfg) == 0, "s3_config_free did not zero");
	return 0;
}
