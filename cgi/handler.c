/* handler.c - one /api/sign_s3 request (see handler.h). */
#include "handler.h"
#include "base64.h"
#include "date.h"
#include "filename.h"
#include "key.h"
#include "policy.h"
#include "uri.h"
#include "uuid.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define UUID_PART  37       /* "<uuid v4>/" */
#define KEY_MAX    (SIGV4_MAX_KEY + 1)
#define MSG_MAX    128
#define TYPE_MSG_MAX (2 * S3_TYPE_BASE_MAX + 128)   /* a 415 naming two types */
#define ACTIVE_DISPOSITION "attachment"   /* S3_ACTIVE_TYPES=attachment */

/* The log message of a 200, "signed <key>", always fits. */
_Static_assert(sizeof "signed " + SIGV4_MAX_KEY <= S3_RESP_MSG_MAX, "message budget");
/* The longest prefix still leaves room for a name of 1 byte or more. */
_Static_assert(S3_PREFIX_MAX + UUID_PART < SIGV4_MAX_KEY, "key budget");

enum s3_err s3_app_init(struct s3_app *app, s3_lookup_fn get, void *ctx,
                        int preload, char *err, size_t errcap)
{
	enum s3_err e;

	memset(app, 0, sizeof *app);
	app->uuid = s3_uuid_v4;
	app->get = get;
	app->get_ctx = ctx;
	if ((e = s3_config_load(&app->cfg, get, ctx, err, errcap)))
		return e;
	{
		struct s3_creds_opts co = {
			.access_key = app->cfg.access_key, .secret_key = app->cfg.secret_key,
			.session_token = app->cfg.session_token, .get = get, .ctx = ctx,
		};

		if ((e = s3_creds_new(&app->creds, &co, err, errcap))) {
			s3_config_free(&app->cfg);
			return e;
		}
	}
	if ((e = sigv4_cache_init(&app->cache))) {
		snprintf(err, errcap, "cannot initialize OpenSSL: %s", s3_strerror(e));
		s3_creds_free(app->creds);
		s3_config_free(&app->cfg);
		return e;
	}
	if (preload && (e = s3_mime_load(&app->mime, app->mime_path))) {
		snprintf(err, errcap, "%s: %s", app->mime_path ? app->mime_path : S3_MIME_TYPES_PATH,
		         s3_strerror(e));
		s3_app_free(app);
		return e;
	}
	if (preload && s3_mime_is_builtin(app->mime))
		fprintf(stderr, "sign_s3[%ld]: %s not found: types come from the built-in "
		        "table of common upload types\n", (long)getpid(),
		        app->mime_path ? app->mime_path : S3_MIME_TYPES_PATH);
	if (preload) {
		char why[S3_SNIFF_WHY_MAX];

		/* file_head is optional: a process that cannot load libmagic
		 * still signs. It says so once now, and a request that needs
		 * libmagic tries again and gets a 500 whose log line names the
		 * cause. */
		if (s3_sniff_open(&app->sniff, app->cfg.magic_file, why, sizeof why))
			fprintf(stderr, "sign_s3[%ld]: %s; requests with file_head "
			        "will get 500 until it loads\n", (long)getpid(), why);
	}
	return S3_OK;
}

void s3_app_free(struct s3_app *app)
{
	s3_mime_free(app->mime);
	s3_sniff_close(app->sniff);
	sigv4_cache_clear(&app->cache);
	s3_creds_free(app->creds);
	s3_config_free(&app->cfg);
	memset(app, 0, sizeof *app);
}

/* An internal failure: the client gets a generic message, the log the why. */
void s3_internal(struct s3_response *out, int status, const char *client,
                     const char *why, enum s3_err e)
{
	s3_response_error(out, status, client);
	snprintf(out->message, sizeof out->message, "%s: %s", why, s3_strerror(e));
	out->cause = e;
}

static const char *name_error(enum s3_err e)
{
	switch (e) {
	case S3_ERR_UTF8:    return "file_name is not valid UTF-8";
	case S3_ERR_TOOLONG: return "file_name too long";
	default:             return "file_name is not a usable file name";
	}
}

/* With S3_REQUIRE_USER=1: the caller's key segment (policy.h) into seg,
 * else a 401. */
static int user_segment(const struct s3_req_in *in, char seg[S3_USER_KEY_MAX + 1],
                        struct s3_response *out)
{
	size_t n;
	enum s3_err e;

	if (in->remote_user_conflict) {
		s3_response_error(out, 401, "authentication required");
		snprintf(out->message, sizeof out->message, "authentication required: "
		         "REMOTE_USER given twice with different values");
		return -1;
	}
	if (!in->remote_user || !*in->remote_user) {
		s3_response_error(out, 401, "authentication required");
		return -1;
	}
	e = s3_user_keysafe(in->remote_user, strlen(in->remote_user), seg,
	                    S3_USER_KEY_MAX + 1, &n);
	if (e == S3_ERR_TOOLONG) {
		char msg[MSG_MAX];

		snprintf(msg, sizeof msg, "user name too long (limit %d bytes)", S3_USER_MAX);
		s3_response_error(out, 401, msg);
		return -1;
	}
	if (e) {
		s3_response_error(out, 401, e == S3_ERR_UTF8 ? "user name is not valid UTF-8"
		                  : "user name is not usable");
		return -1;
	}
	return 0;
}

/* The decoded file_head into head (*len bytes), or a 400; *have says
 * whether there was one. */
static int file_head(const struct s3_app *app, const struct s3_req_fields *f,
                     unsigned char head[S3_SNIFF_HEAD_MAX], size_t *len, int *have,
                     struct s3_response *out)
{
	enum s3_err e;

	*len = 0;
	*have = f->file_head != NULL;
	if (!*have) {
		if (!app->cfg.require_file_head)
			return 0;
		char msg[MSG_MAX];

		snprintf(msg, sizeof msg, "file_head is required: base64 of the file's "
		         "first bytes (at most %d)", S3_SNIFF_HEAD_MAX);
		s3_response_error(out, 400, msg);
		return -1;
	}
	e = s3_base64_decode(f->file_head, f->file_head_len, head, S3_SNIFF_HEAD_MAX, len);
	if (e == S3_ERR_TOOLONG) {
		char msg[MSG_MAX];

		snprintf(msg, sizeof msg, "file_head too long (limit %d bytes decoded)",
		         S3_SNIFF_HEAD_MAX);
		s3_response_error(out, 400, msg);
		return -1;
	}
	if (e) {
		s3_response_error(out, 400, "file_head must be base64 (RFC 4648, "
		                  "standard alphabet)");
		return -1;
	}
	return 0;
}

static int need_mime(struct s3_app *app, struct s3_response *out)
{
	enum s3_err e;

	if (!app->mime && (e = s3_mime_load(&app->mime, app->mime_path))) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "cannot load the MIME table", e);
		return -1;
	}
	return 0;
}

/* A 415 whose message names one or two types (each at most
 * S3_TYPE_BASE_MAX bytes of RFC 6838 characters). */
static void type_error(struct s3_response *out, const char *what, const char *a,
                       const char *mid, const char *b, const char *end)
{
	char msg[TYPE_MSG_MAX];

	snprintf(msg, sizeof msg, "%s%s%s%s%s", what, a, mid, b, end);
	s3_response_error(out, 415, msg);
}

/* The type to sign: the client's, checked (against the content too), or
 * the one the content or the name implies; then S3_ALLOWED_TYPES. */
static int content_type(struct s3_app *app, const struct s3_req_fields *f,
                        const char *name, const unsigned char *head, size_t head_len,
                        int have_head, char sniffed[S3_SNIFF_TYPE_MAX + 1],
                        const char **type, struct s3_response *out)
{
	char base[S3_TYPE_BASE_MAX + 1];
	const char *list = app->cfg.allowed_types;
	enum s3_err e;

	if (f->file_type) {
		e = s3_mime_type_check(f->file_type, f->file_type_len);
		if (e) {
			s3_response_error(out, 400, e == S3_ERR_TOOLONG ? "file_type too long" :
			                  "file_type must be a media type such as image/png, "
			                  "without spaces");
			return -1;
		}
	}
	sniffed[0] = '\0';
	if (have_head) {
		if (!app->sniff) {
			char why[S3_SNIFF_WHY_MAX];

			if ((e = s3_sniff_open(&app->sniff, app->cfg.magic_file, why, sizeof why))) {
				s3_response_error(out, 500, S3_MSG_INTERNAL);
				snprintf(out->message, sizeof out->message, "%s", why);
				return -1;
			}
		}
		s3_sniff_type(app->sniff, head, head_len, sniffed);
	}
	if (f->file_type) {
		*type = f->file_type;
		s3_type_base(f->file_type, f->file_type_len, base, sizeof base);
		if (have_head && s3_type_contradicts(base, sniffed)) {
			type_error(out, "file content is ", sniffed,
			           ", which contradicts file_type ", base, "");
			return -1;
		}
	} else if (have_head && !s3_type_generic(sniffed)) {
		*type = sniffed;
	} else {
		if (need_mime(app, out))
			return -1;
		*type = s3_mime_lookup(app->mime, name);
		if (have_head && !strcmp(sniffed, "text/plain") &&
		    !strcmp(*type, S3_MIME_DEFAULT))
			*type = "text/plain";
	}
	s3_type_base(*type, strlen(*type), base, sizeof base);
	if (list && !s3_types_allowed(list, base, strlen(base))) {
		type_error(out, "file type ", base, " is not allowed", "", "");
		return -1;
	}
	if (list && have_head && !s3_type_generic(sniffed) &&
	    !s3_type_same(base, sniffed) && !s3_types_allowed(list, sniffed, strlen(sniffed))) {
		type_error(out, "file content is ", sniffed, " (file_type ", base,
		           "), which is not allowed");
		return -1;
	}
	return 0;
}

/* S3_ACTIVE_TYPES, on the type to sign: an active type (policy.h: one a
 * browser renders as a document or runs) is signed with Content-Disposition:
 * attachment in *disposition (S3 then serves it as a download), refused
 * with a 415, or signed as any other. *disposition is NULL otherwise. */
static int active_content(const struct s3_app *app, const char *type,
                          const char **disposition, struct s3_response *out)
{
	char base[S3_TYPE_BASE_MAX + 1];

	*disposition = NULL;
	if (app->cfg.active_types == S3_ACTIVE_ALLOW ||
	    !s3_type_base(type, strlen(type), base, sizeof base) || !s3_type_active(base))
		return 0;
	if (app->cfg.active_types == S3_ACTIVE_REFUSE) {
		type_error(out, "file type ", base, " is active content", "", "");
		return -1;
	}
	*disposition = ACTIVE_DISPOSITION;
	return 0;
}

/* Signs key for type (and disposition, NULL for none) and fills out with
 * the success answer. */
static void sign(struct s3_app *app, const struct s3_upload *u, time_t now,
                 struct s3_response *out)
{
	char url[SIGV4_URL_MAX];
	char object[SIGV4_MAX_ENDPOINT + SIGV4_MAX_BUCKET + 3 * KEY_MAX + 64];
	char pub[S3_CONFIG_MAX_PUBLIC + 3 * KEY_MAX + 2], expires_at[21];
	const struct s3_config *cfg = &app->cfg;
	const char *key = u->key, *type = u->type, *disposition = u->disposition;
	const struct s3_creds *c = &u->creds;
	size_t key_len = u->key_len;
	unsigned expires = u->expires;
	struct sigv4_param acl = { "x-amz-acl", cfg->acl };
	struct s3_target t;
	struct s3_presign_in in = {
		.method = "PUT", .key = key, .key_len = key_len, .content_type = type,
		.content_disposition = disposition, .content_length = u->content_length,
		.content_md5 = u->content_md5,
		.params = cfg->acl ? &acl : NULL, .nparams = cfg->acl ? 1 : 0,
		.expires = expires, .now = now,
	};
	enum s3_err e;

	s3_config_target(cfg, &t);
	e = s3_presign(&t, c, &in, &app->cache, url, sizeof url, object, sizeof object);
	if (e) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "presign failed", e);
		return;
	}
	if (cfg->public_url) {
		struct sbuf b;

		sbuf_init(&b, pub, sizeof pub);
		sbuf_adds(&b, cfg->public_url);
		sbuf_addc(&b, '/');
		uri_encode(&b, key, key_len, URI_KEEP_SLASH);
		if (!sbuf_ok(&b)) {
			s3_internal(out, 500, S3_MSG_INTERNAL, "public URL", S3_ERR_TOOLONG);
			return;
		}
	}
	if (s3_date_iso8601(now + (time_t)expires, expires_at))
		memcpy(expires_at, "1970-01-01T00:00:00Z", 21);
	s3_response_ok(out, &(struct s3_signed){
		.file_type = type, .content_disposition = disposition,
		.content_md5 = u->content_md5[0] ? u->content_md5 : NULL, .signed_request = url,
		.url = cfg->public_url ? pub : object, .key = key,
		.expires_at = expires_at,
	});
	if (out->status == 200) {
		struct sbuf m;

		sbuf_init(&m, out->message, sizeof out->message);
		sbuf_adds(&m, "signed ");
		sbuf_addn(&m, key, key_len);    /* fits: S3_RESP_MSG_MAX */
	}
}

int s3_caller_prefix(struct s3_app *app, const struct s3_req_in *in,
                     char prefix[S3_PREFIX_MAX + 1], size_t *plen, struct s3_response *out)
{
	char seg[S3_USER_KEY_MAX + 1];

	seg[0] = '\0';
	if (app->cfg.require_user && user_segment(in, seg, out))
		return -1;
	if (s3_prefix_expand(app->cfg.key_prefix, seg, prefix, S3_PREFIX_MAX + 1, plen)) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "key prefix", S3_ERR_TOOLONG);
		return -1;
	}
	return 0;
}

size_t s3_name_max(const struct s3_app *app, size_t plen)
{
	/* the name gets what the key (at most 1024 bytes) leaves */
	size_t name_max = SIGV4_MAX_KEY - plen - UUID_PART;

	return name_max > app->cfg.max_name_bytes ? app->cfg.max_name_bytes : name_max;
}

int s3_app_creds(struct s3_app *app, time_t now, struct s3_creds *c, unsigned *expires,
                 char why[S3_CREDS_WHY_MAX], struct s3_response *out)
{
	time_t cexp = 0;
	enum s3_err e;

	why[0] = '\0';
	e = s3_creds_get(app->creds, now, c, &cexp, why, S3_CREDS_WHY_MAX);
	*expires = e ? 0 : s3_creds_clamp_expires(*expires ? *expires : app->cfg.expires, now,
	                                           cexp);
	if (e || !*expires) {
		s3_response_error(out, e == S3_ERR_NOMEM ? 500 : 503,
		                  e == S3_ERR_NOMEM ? S3_MSG_INTERNAL : S3_MSG_NOCREDS);
		snprintf(out->message, sizeof out->message, "no credentials: %s",
		         e ? why : "expired");
		out->cause = e ? e : S3_ERR_NOCREDS;
		return -1;
	}
	return 0;
}

void s3_creds_warn(const char *why, struct s3_response *out)
{
	if (why[0] && out->status == 200) {
		/* a refresh failed; the current credentials are still valid */
		snprintf(out->message, sizeof out->message, "%s", why);
		out->warn = 1;
	}
}

/* file_size and file_md5 into u (see s3_upload_prepare). */
static int size_and_md5(const struct s3_app *app, const struct s3_req_fields *f, int single,
                        struct s3_upload *u, struct s3_response *out)
{
	const struct s3_config *cfg = &app->cfg;
	unsigned long long v = 0;
	char msg[MSG_MAX];

	u->content_length[0] = u->content_md5[0] = '\0';
	if (f->file_size) {
		int ok = f->file_size_len <= SIGV4_MAX_LENGTH_DIGITS &&
		         (f->file_size[0] != '0' || f->file_size_len == 1);

		for (size_t i = 0; ok && i < f->file_size_len; i++) {
			unsigned d = (unsigned)(f->file_size[i] - '0');

			ok = d <= 9 && v <= (S3_CONFIG_MAX_FILE_SIZE_MAX - d) / 10;
			v = v * 10 + d;
		}
		if (!ok) {
			s3_response_error(out, 400, "file_size must be a whole number of bytes "
			                  "(at most 5 TiB)");
			return -1;
		}
		if (cfg->max_file_size && v > cfg->max_file_size) {
			snprintf(msg, sizeof msg, "file too large (limit %llu bytes)", cfg->max_file_size);
			s3_response_error(out, 413, msg);
			return -1;
		}
		if (single && v > S3_SINGLE_PUT_MAX) {
			s3_response_error(out, 413, "file too large for one PUT (5 GiB): upload it "
			                  "in parts");
			return -1;
		}
		if (single && cfg->min_file_size && v < cfg->min_file_size) {
			snprintf(msg, sizeof msg, "file too small (minimum %llu bytes)",
			         cfg->min_file_size);
			s3_response_error(out, 400, msg);
			return -1;
		}
		if (single)
			memcpy(u->content_length, f->file_size, f->file_size_len + 1);
	} else if (single && (cfg->max_file_size || cfg->min_file_size)) {
		s3_response_error(out, 400, "file_size is required: the file's size in bytes "
		                  "(this server limits it)");
		return -1;
	}
	if (!single)
		return 0;
	if (f->file_md5) {
		if (!s3_base64_md5_ok(f->file_md5, f->file_md5_len)) {
			s3_response_error(out, 400, "file_md5 must be base64 of the file's 16-byte MD5 "
			                  "(24 characters)");
			return -1;
		}
		memcpy(u->content_md5, f->file_md5, 25);
	} else if (cfg->require_md5) {
		s3_response_error(out, 400, "file_md5 is required: base64 of the file's MD5");
		return -1;
	}
	return 0;
}

int s3_upload_prepare(struct s3_app *app, const struct s3_req_in *in,
                      const struct s3_req_fields *f, int single, time_t now,
                      struct s3_upload *u, struct s3_response *out)
{
	char name[S3_FILENAME_MAX + 1], uuid[37], prefix[S3_PREFIX_MAX + 1];
	char sniffed[S3_SNIFF_TYPE_MAX + 1];
	unsigned char head[S3_SNIFF_HEAD_MAX];
	const char *type;
	size_t plen, head_len, tlen;
	enum s3_err e;
	int have_head;

	memset(u, 0, sizeof *u);
	if (s3_caller_prefix(app, in, prefix, &plen, out))
		return -1;
	e = s3_filename_sanitize(f->file_name, f->file_name_len, s3_name_max(app, plen),
	                         name, sizeof name);
	if (e) {
		s3_response_error(out, 400, name_error(e));
		return -1;
	}
	if (file_head(app, f, head, &head_len, &have_head, out))
		return -1;
	if (content_type(app, f, name, head, head_len, have_head, sniffed, &type, out))
		return -1;
	if (active_content(app, type, &u->disposition, out))
		return -1;
	if (size_and_md5(app, f, single, u, out))
		return -1;
	tlen = strlen(type);
	if (tlen >= sizeof u->type) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "type", S3_ERR_TOOLONG);
		return -1;
	}
	memcpy(u->type, type, tlen + 1);
	u->expires = 0;       /* S3_EXPIRES */
	if (s3_app_creds(app, now, &u->creds, &u->expires, u->why, out))
		return -1;
	if ((e = app->uuid(uuid))) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "uuid", e);
		return -1;
	}
	if (s3_key_make(prefix, plen, uuid, name, SIGV4_MAX_KEY, u->key, sizeof u->key,
	                &u->key_len)) {
		s3_internal(out, 500, S3_MSG_INTERNAL, "key", S3_ERR_TOOLONG);
		return -1;
	}
	return 0;
}

static const struct s3_field_spec upload_fields[] = {
	[S3_UP_NAME] = { "filename", S3_REQ_MAX_FIELD, S3_IN_BODY | S3_FIELD_REQUIRED },
	[S3_UP_TYPE] = { "type", S3_REQ_MAX_FIELD, S3_IN_BODY },
	[S3_UP_META] = { "metadata", 0, S3_IN_BODY | S3_FIELD_META },
	[S3_UP_SIZE] = { "file_size", S3_REQ_MAX_INTEGER, S3_IN_BODY | S3_FIELD_INTEGER },
	[S3_UP_MD5]  = { "file_md5", S3_REQ_MAX_MD5, S3_IN_BODY },
};

int s3_upload_decode(struct s3_app *app, const struct s3_req_in *in, int single, time_t now,
                     struct s3_req_values *v, struct s3_upload *u, struct s3_response *out)
{
	struct s3_req_fields f;
	char msg[MSG_MAX];
	enum s3_req_status st;

	st = s3_req_decode(in, upload_fields, sizeof upload_fields / sizeof upload_fields[0], v,
	                   msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		return -1;
	}
	memset(&f, 0, sizeof f);
	f.file_name = v->v[S3_UP_NAME].s;
	f.file_name_len = v->v[S3_UP_NAME].len;
	f.file_type = v->v[S3_UP_TYPE].s;
	f.file_type_len = v->v[S3_UP_TYPE].len;
	f.file_size = v->v[S3_UP_SIZE].s;
	f.file_size_len = v->v[S3_UP_SIZE].len;
	f.file_md5 = v->v[S3_UP_MD5].s;
	f.file_md5_len = v->v[S3_UP_MD5].len;
	return s3_upload_prepare(app, in, &f, single, now, u, out);
}

int s3_key_of_caller(struct s3_app *app, const struct s3_req_in *in, const char *key,
                     size_t klen, struct s3_response *out)
{
	char prefix[S3_PREFIX_MAX + 1];
	size_t plen;

	if (s3_caller_prefix(app, in, prefix, &plen, out))
		return -1;
	if (!key || s3_key_check(prefix, plen, key, klen, s3_name_max(app, plen))) {
		s3_response_error(out, 403, "key is not one this server issued to you");
		return -1;
	}
	return 0;
}

void s3_handle(struct s3_app *app, const struct s3_req_in *in, time_t now,
               struct s3_response *out)
{
	struct s3_req_fields f;
	struct s3_upload u;
	char msg[MSG_MAX];
	enum s3_req_status st;

	/* who, before anything of the request is looked at */
	if (app->cfg.require_user) {
		char seg[S3_USER_KEY_MAX + 1];

		if (user_segment(in, seg, out))
			return;
	}
	st = s3_req_parse(in, &f, msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		return;
	}
	if (s3_upload_prepare(app, in, &f, 1, now, &u, out) == 0) {
		sign(app, &u, now, out);
		s3_creds_warn(u.why, out);
	}
	s3_req_fields_free(&f);
}
