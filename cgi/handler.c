/* handler.c - one /api/sign_s3 request (see handler.h). */
#include "handler.h"
#include "filename.h"
#include "uri.h"
#include "uuid.h"

#include <stdio.h>
#include <string.h>

#define KEY_MAX  (S3_CONFIG_MAX_PREFIX + 37 + S3_FILENAME_MAX + 1)
#define MSG_MAX  128

enum s3_err s3_app_init(struct s3_app *app, s3_lookup_fn get, void *ctx,
                        int preload, char *err, size_t errcap)
{
	enum s3_err e;

	memset(app, 0, sizeof *app);
	app->uuid = s3_uuid_v4;
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
		snprintf(err, errcap, "%s: %s", S3_MIME_TYPES_PATH, s3_strerror(e));
		s3_app_free(app);
		return e;
	}
	return S3_OK;
}

void s3_app_free(struct s3_app *app)
{
	s3_mime_free(app->mime);
	sigv4_cache_clear(&app->cache);
	s3_creds_free(app->creds);
	s3_config_free(&app->cfg);
	memset(app, 0, sizeof *app);
}

/* An internal failure: the client gets a generic message, the log the why. */
static void internal(struct s3_response *out, int status, const char *client,
                     const char *why, enum s3_err e)
{
	s3_response_error(out, status, client);
	snprintf(out->message, sizeof out->message, "%s: %s", why, s3_strerror(e));
}

static const char *name_error(enum s3_err e)
{
	switch (e) {
	case S3_ERR_UTF8:    return "file_name is not valid UTF-8";
	case S3_ERR_TOOLONG: return "file_name too long";
	default:             return "file_name is not a usable file name";
	}
}

/* The type to sign: the client's, checked, or the one its name implies. */
static int content_type(struct s3_app *app, const struct s3_req_fields *f,
                        const char *name, const char **type, struct s3_response *out)
{
	enum s3_err e;

	if (f->file_type) {
		e = s3_mime_type_check(f->file_type, f->file_type_len);
		if (e) {
			s3_response_error(out, 400, e == S3_ERR_TOOLONG ? "file_type too long" :
			                  "file_type must be a media type such as image/png, "
			                  "without spaces");
			return -1;
		}
		*type = f->file_type;
		return 0;
	}
	if (!app->mime && (e = s3_mime_load(&app->mime, app->mime_path))) {
		internal(out, 500, S3_MSG_INTERNAL, "cannot load the MIME table", e);
		return -1;
	}
	*type = s3_mime_lookup(app->mime, name);
	return 0;
}

static void iso8601(time_t t, char out[21])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(out, "1970-01-01T00:00:00Z");
}

/* Signs key for type and fills out with the success answer. */
static void sign(struct s3_app *app, const char *key, size_t key_len,
                 const char *type, time_t now, const struct s3_creds *c,
                 unsigned expires, struct s3_response *out)
{
	char url[SIGV4_URL_MAX];
	char object[SIGV4_MAX_ENDPOINT + SIGV4_MAX_BUCKET + 3 * KEY_MAX + 64];
	char pub[S3_CONFIG_MAX_PUBLIC + 3 * KEY_MAX + 2], expires_at[21];
	const struct s3_config *cfg = &app->cfg;
	struct sigv4_param acl = { "x-amz-acl", cfg->acl };
	struct s3_target t;
	struct s3_presign_in in = {
		.method = "PUT", .key = key, .key_len = key_len, .content_type = type,
		.params = cfg->acl ? &acl : NULL, .nparams = cfg->acl ? 1 : 0,
		.expires = expires, .now = now,
	};
	enum s3_err e;

	s3_config_target(cfg, &t);
	e = s3_presign(&t, c, &in, &app->cache, url, sizeof url, object, sizeof object);
	if (e) {
		internal(out, 500, S3_MSG_INTERNAL, "presign failed", e);
		return;
	}
	if (cfg->public_url) {
		struct sbuf b;

		sbuf_init(&b, pub, sizeof pub);
		sbuf_adds(&b, cfg->public_url);
		sbuf_addc(&b, '/');
		uri_encode(&b, key, key_len, URI_KEEP_SLASH);
		if (!sbuf_ok(&b)) {
			internal(out, 500, S3_MSG_INTERNAL, "public URL", S3_ERR_TOOLONG);
			return;
		}
	}
	iso8601(now + (time_t)expires, expires_at);
	s3_response_ok(out, &(struct s3_signed){
		.file_type = type, .signed_request = url,
		.url = cfg->public_url ? pub : object, .key = key,
		.expires_at = expires_at,
	});
	if (out->status == 200)
		snprintf(out->message, sizeof out->message, "signed %s", key);
}

void s3_handle(struct s3_app *app, const struct s3_req_in *in, time_t now,
               struct s3_response *out)
{
	struct s3_req_fields f;
	char msg[MSG_MAX], name[S3_FILENAME_MAX + 1], key[KEY_MAX], uuid[37];
	char why[S3_CREDS_WHY_MAX] = "";
	struct s3_creds c;
	time_t cexp = 0;
	unsigned expires;
	const char *type;
	enum s3_req_status st;
	enum s3_err e;
	int n;

	st = s3_req_parse(in, &f, msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		return;
	}
	e = s3_filename_sanitize(f.file_name, f.file_name_len, S3_FILENAME_MAX,
	                         name, sizeof name);
	if (e) {
		s3_response_error(out, 400, name_error(e));
		goto done;
	}
	if (content_type(app, &f, name, &type, out))
		goto done;
	e = s3_creds_get(app->creds, now, &c, &cexp, why, sizeof why);
	expires = e ? 0 : s3_creds_clamp_expires(app->cfg.expires, now, cexp);
	if (e || !expires) {
		s3_response_error(out, e == S3_ERR_NOMEM ? 500 : 503,
		                  e == S3_ERR_NOMEM ? S3_MSG_INTERNAL : S3_MSG_NOCREDS);
		snprintf(out->message, sizeof out->message, "no credentials: %s",
		         e ? why : "expired");
		goto done;
	}
	if ((e = app->uuid(uuid))) {
		internal(out, 500, S3_MSG_INTERNAL, "uuid", e);
		goto done;
	}
	n = snprintf(key, sizeof key, "%s%s/%s", app->cfg.key_prefix, uuid, name);
	if (n < 0 || (size_t)n >= sizeof key) {
		internal(out, 500, S3_MSG_INTERNAL, "key", S3_ERR_TOOLONG);
		goto done;
	}
	sign(app, key, (size_t)n, type, now, &c, expires, out);
	if (why[0] && out->status == 200) {
		/* a refresh failed; the current credentials are still valid */
		snprintf(out->message, sizeof out->message, "%s", why);
		out->warn = 1;
	}
done:
	s3_req_fields_free(&f);
}
