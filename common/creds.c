/* creds.c - the credential provider chain and its cache (see creds.h).
 *
 * Here: small helpers shared by the sources (creds_int.h), the time and
 * JSON answer parsers, and the cache (s3_creds_get) that decides when to
 * ask the sources. The sources: creds_file.c (env, the shared files,
 * credential_process), creds_http.c (container, EC2 instance metadata). */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "creds_int.h"
#include "date.h"
#include "json.h"
#include "syntax.h"
#include "utf8.h"

/* ---- messages -------------------------------------------------------- */

/* Appends to a message, cutting it with "..." when full (messages are
 * diagnostics: a cut one is better than none). */
static void why_add(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_add(char *why, size_t cap, const char *fmt, ...)
{
	size_t n = strnlen(why, cap);
	va_list ap;
	int k;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(why + n, cap - n, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k >= cap - n && cap >= 4)
		memcpy(why + cap - 4, "...", 4);
}

/* t for a log line; "?" when it cannot be written. */
static void iso8601(time_t t, char out[21])
{
	if (s3_date_iso8601(t, out))
		strcpy(out, "?");
}

/* ---- checks ---------------------------------------------------------- */

/* Copies a checked value into a fixed field; the caller checked the length. */
void creds_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Fills v from three strings, checking them. Returns NULL or what is wrong. */
const char *creds_set_value(struct s3_cred_value *v, const char *ak, const char *sk,
                             const char *tok)
{
	if (!ak || !*ak)
		return "no access key id";
	if (!sk || !*sk)
		return "no secret access key";
	if (!s3_is_visible(ak, SIGV4_MAX_ACCESS_KEY))
		return "access key id: expected 1.." S3_STR(SIGV4_MAX_ACCESS_KEY)
		       " printable ASCII characters";
	if (!s3_is_visible(sk, SIGV4_MAX_SECRET))
		return "secret access key: expected 1.." S3_STR(SIGV4_MAX_SECRET)
		       " printable ASCII characters";
	if (tok && *tok && !s3_is_visible(tok, SIGV4_MAX_TOKEN))
		return "session token: expected 1.." S3_STR(SIGV4_MAX_TOKEN)
		       " printable ASCII characters";
	creds_copy(v->access_key, sizeof(v->access_key), ak);
	creds_copy(v->secret_key, sizeof(v->secret_key), sk);
	creds_copy(v->session_token, sizeof(v->session_token), tok ? tok : "");
	return NULL;
}

void s3_cred_value_wipe(struct s3_cred_value *v)
{
	if (v)
		OPENSSL_cleanse(v, sizeof(*v));
}

void creds_free_secret(char *s, size_t n)
{
	if (s) {
		OPENSSL_cleanse(s, n);
		free(s);
	}
}

const char *creds_lookup(const struct s3_creds_chain *ch, const char *name)
{
	const char *v = ch->get(ch->ctx, name);

	return v && *v ? v : NULL;     /* "" is unset, as the SDKs treat it */
}

/* ---- refresh times ------------------------------------------------- */

unsigned s3_creds_clamp_expires(unsigned want, time_t now, time_t expiration)
{
	if (!expiration)
		return want;
	if (expiration <= now)
		return 0;
	if ((long long)want > (long long)(expiration - now))
		return (unsigned)(expiration - now);
	return want;
}

time_t s3_creds_refresh_at(time_t expiration, unsigned jitter)
{
	return expiration - S3_CREDS_REFRESH_EARLY - (time_t)jitter;
}

/* ---- JSON answers ---------------------------------------------------- */

/* An answer must be RFC 8259 JSON before cJSON reads it (json.h: cJSON
 * alone takes more, and reads some of it differently: "s\u00GGx" as "s").
 * Nesting: cJSON's own limit, as before the strict check. */
#define CREDS_JSON_MAX_DEPTH CJSON_NESTING_LIMIT
_Static_assert(CREDS_JSON_MAX_DEPTH <= S3_JSON_DEPTH_MAX, "s3_json_check takes this depth");

/* Wipes every string of a cJSON tree (values may be secrets). */
static void json_wipe(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
		if (j->child)
			json_wipe(j->child);
	}
}

static void json_free(cJSON *j)
{
	if (j) {
		json_wipe(j);
		cJSON_Delete(j);
	}
}

/* The member called name: *out NULL when absent or null. Returns NULL, or
 * a refusal when it is there twice or not a string. */
static const char *json_str(const cJSON *root, const char *name, const char **out)
{
	const cJSON *hit = NULL;

	*out = NULL;
	for (const cJSON *c = root->child; c; c = c->next) {
		if (!c->string || strcmp(c->string, name))
			continue;
		if (hit)
			return "a field is there twice";
		hit = c;
	}
	if (!hit || cJSON_IsNull(hit))
		return NULL;
	if (!cJSON_IsString(hit) || !hit->valuestring)
		return "a field is not a string";
	*out = hit->valuestring;
	return NULL;
}

static int json_count(const cJSON *root, const char *name)
{
	int n = 0;

	for (const cJSON *c = root->child; c; c = c->next)
		if (c->string && !strcmp(c->string, name))
			n++;
	return n;
}

enum s3_err s3_creds_parse_json(const char *body, size_t len,
                                enum s3_creds_json kind,
                                struct s3_cred_value *out,
                                char *why, size_t whycap)
{
	const char *tok_name = kind == S3_CREDS_JSON_PROCESS ? "SessionToken" : "Token";
	const char *ak, *sk, *tok, *exp, *code, *bad = NULL;
	struct s3_cred_value v;
	cJSON *root = NULL;
	time_t t = 0;

	memset(&v, 0, sizeof(v));
	if (!body || len == 0) {
		bad = "empty answer";
		goto fail;
	}
	if (memchr(body, '\0', len) || !utf8_valid(body, len)) {
		bad = "answer is not UTF-8 text";
		goto fail;
	}
	/* a \u0000 escape anywhere: cJSON would cut the string there, silently */
	if (s3_json_nul_escape(body, len)) {
		bad = "answer has a \\u0000 escape";
		goto fail;
	}
	switch (s3_json_check(body, len, CREDS_JSON_MAX_DEPTH, S3_JSON_NO_LONE_SURROGATES)) {
	case S3_JSON_OK:
		break;
	case S3_JSON_TRAILING:
		bad = "answer is not JSON (data after the value)";
		goto fail;
	case S3_JSON_TOO_DEEP:
		bad = "answer is not JSON (nested too deeply)";
		goto fail;
	case S3_JSON_LONE_SURROGATE:
		bad = "answer is not JSON (unpaired surrogate escape)";
		goto fail;
	case S3_JSON_INVALID:
	default:
		bad = "answer is not JSON";
		goto fail;
	}
	root = cJSON_ParseWithLengthOpts(body, len, NULL, 0);
	if (!root) {
		bad = "answer is not JSON";
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		bad = "answer is not a JSON object";
		goto fail;
	}
	if (kind == S3_CREDS_JSON_PROCESS) {
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "Version");

		if (json_count(root, "Version") != 1 || !cJSON_IsNumber(ver) ||
		    ver->valuedouble != 1.0) {
			bad = "Version must be 1";
			goto fail;
		}
	}
	if (kind == S3_CREDS_JSON_IMDS) {
		if ((bad = json_str(root, "Code", &code)) != NULL)
			goto fail;
		if (!code || strcmp(code, "Success")) {
			bad = "Code is not \"Success\"";
			goto fail;
		}
	}
	if ((bad = json_str(root, "AccessKeyId", &ak)) ||
	    (bad = json_str(root, "SecretAccessKey", &sk)) ||
	    (bad = json_str(root, tok_name, &tok)) ||
	    (bad = json_str(root, "Expiration", &exp)))
		goto fail;
	if (!ak) {
		bad = "no AccessKeyId";
		goto fail;
	}
	if (!sk) {
		bad = "no SecretAccessKey";
		goto fail;
	}
	if (kind != S3_CREDS_JSON_PROCESS && (!tok || !*tok)) {
		bad = "no Token";
		goto fail;
	}
	if (kind != S3_CREDS_JSON_PROCESS && !exp) {
		bad = "no Expiration";
		goto fail;
	}
	if (exp && s3_date_parse_rfc3339(exp, &t)) {
		bad = "Expiration is not an ISO 8601 date-time";
		goto fail;
	}
	if ((bad = creds_set_value(&v, ak, sk, tok)) != NULL)
		goto fail;
	v.expiration = t;
	json_free(root);
	*out = v;
	s3_cred_value_wipe(&v);
	s3_msgf(why, whycap, "%s", "");
	return S3_OK;
fail:
	json_free(root);
	s3_cred_value_wipe(&v);
	s3_msgf(why, whycap, "%s", bad);
	return S3_ERR_INVAL;
}

/* ---- the chain ------------------------------------------------------- */

static const struct {
	const char *name;
	enum mode mode;
	source_fn fn;
} sources[] = {
	{ "env", M_ENV, creds_source_env },
	{ "file", M_FILE, creds_source_file },
	{ "container", M_CONTAINER, creds_source_container },
	{ "imds", M_IMDS, creds_source_imds },
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

static int usable(const struct s3_cred_value *v, time_t now)
{
	return !v->expiration || v->expiration - now > S3_CREDS_MIN_VALID;
}

/* Asks the sources in order; the first usable answer wins. why lists every
 * failure. */
static enum s3_err ask_sources(struct s3_creds_chain *ch, time_t now,
                           struct s3_cred_value *v, char *why, size_t cap)
{
	char one[ONE_WHY];

	why[0] = '\0';
	for (size_t i = 0; i < NSOURCES; i++) {
		enum s3_err rc;

		if (ch->mode != M_CHAIN && ch->mode != sources[i].mode)
			continue;
		one[0] = '\0';
		rc = sources[i].fn(ch, v, one, sizeof(one));
		if (rc == S3_OK && !usable(v, now)) {
			char t[21];

			iso8601(v->expiration, t);
			s3_msgf(one, sizeof(one), "%s credentials %s at %s", v->source,
			     v->expiration <= now ? "expired" : "expire too soon", t);
			s3_cred_value_wipe(v);
			rc = S3_ERR_NOCREDS;
		}
		if (rc == S3_OK)
			return S3_OK;
		why_add(why, cap, "%s%s: %s", why[0] ? "; " : "", sources[i].name, one);
		if (rc == S3_ERR_NOMEM)
			return rc;
	}
	return S3_ERR_NOCREDS;
}

static void draw_jitter(struct s3_creds_chain *ch)
{
	unsigned char r[4];

	ch->pid = getpid();
	if (ch->fixed_jitter)
		return;
	if (RAND_bytes(r, sizeof(r)) == 1)
		ch->jitter = (((unsigned)r[0] << 24) | ((unsigned)r[1] << 16) |
		              ((unsigned)r[2] << 8) | r[3]) % (S3_CREDS_JITTER_MAX + 1);
	else
		ch->jitter = S3_CREDS_JITTER_MAX / 2;
}

/* The jitter is drawn on first need (credentials that expire), once per
 * process: static credentials never touch the random generator, whose
 * set-up is a large part of a plain-CGI request's cost. */
static unsigned jitter(struct s3_creds_chain *ch)
{
	if (ch->pid != getpid())
		draw_jitter(ch);
	return ch->jitter;
}

static int fresh(struct s3_creds_chain *ch, time_t now)
{
	return !ch->cur.expiration || now < s3_creds_refresh_at(ch->cur.expiration, jitter(ch));
}

/* The last attempt was less than secs ago (a clock going back allows a
 * new one). */
static int recent(const struct s3_creds_chain *ch, time_t now, time_t secs)
{
	return ch->last_attempt && now >= ch->last_attempt && now < ch->last_attempt + secs;
}

static enum s3_err give(struct s3_creds_chain *ch, struct s3_creds *out, time_t *exp)
{
	out->access_key = ch->cur.access_key;
	out->secret_key = ch->cur.secret_key;
	out->session_token = ch->cur.session_token[0] ? ch->cur.session_token : NULL;
	if (exp)
		*exp = ch->cur.expiration;
	return S3_OK;
}

enum s3_err s3_creds_get(struct s3_creds_chain *ch, time_t now,
                         struct s3_creds *out, time_t *exp,
                         char *why, size_t whycap)
{
	struct s3_cred_value *v;
	enum s3_err rc;

	if (why && whycap)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (exp)
		*exp = 0;
	if (ch->have && fresh(ch, now))
		return give(ch, out, exp);
	if (ch->have && usable(&ch->cur, now) && (ch->refreshing ||
	                                          recent(ch, now, S3_CREDS_RETRY_VALID)))
		return give(ch, out, exp);
	if (ch->refreshing) {
		s3_msgf(why, whycap, "a credentials refresh is already in progress");
		return S3_ERR_NOCREDS;
	}
	if (!(ch->have && usable(&ch->cur, now)) && ch->last_failed &&
	    recent(ch, now, S3_CREDS_RETRY_NONE)) {
		s3_msgf(why, whycap, "%s", ch->last_why);
		return S3_ERR_NOCREDS;
	}
	v = malloc(sizeof(*v));
	if (!v) {
		s3_msgf(why, whycap, "out of memory");
		return S3_ERR_NOMEM;
	}
	memset(v, 0, sizeof(*v));
	ch->refreshing = 1;
	rc = ask_sources(ch, now, v, ch->last_why, sizeof(ch->last_why));
	ch->refreshing = 0;
	ch->last_attempt = now;
	ch->last_failed = rc != S3_OK;
	if (rc == S3_OK) {
		s3_cred_value_wipe(&ch->cur);
		ch->cur = *v;
		ch->have = 1;
		ch->last_why[0] = '\0';
		s3_cred_value_wipe(v);
		free(v);
		return give(ch, out, exp);
	}
	s3_cred_value_wipe(v);
	free(v);
	if (ch->have && usable(&ch->cur, now)) {
		char t[21];

		iso8601(ch->cur.expiration, t);
		s3_msgf(why, whycap, "credentials refresh failed, keeping the current ones "
		     "(valid until %s): %s", t, ch->last_why);
		return give(ch, out, exp);
	}
	if (ch->have) {
		s3_cred_value_wipe(&ch->cur);
		ch->have = 0;
	}
	s3_msgf(why, whycap, "%s", ch->last_why);
	return rc;
}

unsigned s3_creds_reach(const struct s3_creds_chain *ch)
{
	int chain = ch->mode == M_CHAIN && !ch->have_env;
	unsigned r = 0;

	if (ch->mode == M_FILE || chain)
		r |= S3_CREDS_REACH_PROCESS;
	if (ch->mode == M_CONTAINER || ch->mode == M_IMDS ||
	    (chain && (creds_container_configured(ch) || !creds_imds_disabled(ch))))
		r |= S3_CREDS_REACH_NET;
	return r;
}

const char *s3_creds_source(const struct s3_creds_chain *ch)
{
	return ch && ch->have ? ch->cur.source : NULL;
}

time_t s3_creds_expiration(const struct s3_creds_chain *ch)
{
	return ch && ch->have ? ch->cur.expiration : 0;
}

enum s3_err s3_creds_new(struct s3_creds_chain **out, const struct s3_creds_opts *o,
                         char *err, size_t errcap)
{
	struct s3_creds_chain *ch;
	const char *m, *bad;

	*out = NULL;
	s3_msgf(err, errcap, "%s", "");
	ch = malloc(sizeof(*ch));
	if (!ch) {
		s3_msgf(err, errcap, "out of memory");
		return S3_ERR_NOMEM;
	}
	memset(ch, 0, sizeof(*ch));
	ch->get = o->get ? o->get : s3_config_getenv;
	ch->ctx = o->get ? o->ctx : NULL;
	ch->http = o->http ? o->http : s3_http_curl;
	ch->http_ctx = o->http ? o->http_ctx : NULL;
	ch->process_timeout_ms = o->process_timeout_ms > 0 ? o->process_timeout_ms
	                                                    : S3_CREDS_PROCESS_TIMEOUT_MS;
	ch->fixed_jitter = o->fixed_jitter;
	ch->jitter = o->fixed_jitter ? o->jitter : 0;
	m = o->mode ? o->mode : ch->get(ch->ctx, ENV_MODE);
	if (!m || !*m || !strcmp(m, "chain"))
		ch->mode = M_CHAIN;
	else if (!strcmp(m, "env"))
		ch->mode = M_ENV;
	else if (!strcmp(m, "file"))
		ch->mode = M_FILE;
	else if (!strcmp(m, "container"))
		ch->mode = M_CONTAINER;
	else if (!strcmp(m, "imds"))
		ch->mode = M_IMDS;
	else {
		s3_msgf(err, errcap, "%s: expected env, file, container, imds or chain", ENV_MODE);
		goto fail;
	}
	if (o->access_key || o->secret_key) {
		if ((bad = creds_set_value(&ch->env, o->access_key, o->secret_key, o->session_token))) {
			s3_msgf(err, errcap, "static credentials (AWS_ACCESS_KEY_ID, "
			     "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): %s", bad);
			goto fail;
		}
		ch->env.source = "env";
		ch->have_env = 1;
	}
	*out = ch;
	return S3_OK;
fail:
	s3_creds_free(ch);
	return S3_ERR_CONFIG;
}

void s3_creds_free(struct s3_creds_chain *ch)
{
	if (!ch)
		return;
	OPENSSL_cleanse(ch, sizeof(*ch));
	free(ch);
}
