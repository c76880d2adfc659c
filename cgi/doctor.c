/* doctor.c - `sign_s3 doctor` (see doctor.h): the command line, the
 * report (text lines or one JSON document), and the checks up to the
 * bucket; the round trip and what follows it are in doctor_s3.c. */
#include "doctor_int.h"
#include "cli.h"
#include "date.h"
#include "sbuf.h"
#include "url.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define PROG "sign_s3"

static const char *const status_word[] = { "pass", "warn", "fail", "skip" };
static const char *const status_mark[] = { "PASS", "WARN", "FAIL", "SKIP" };

/* ---- the report ------------------------------------------------------- */

/* A text that would show the secret key or a signature is replaced whole;
 * control characters become spaces (one line per field). */
static void scrub(const struct dr *d, char *s)
{
	const char *secret = d->have_creds ? d->creds.secret_key : NULL;
	const char *cfg_secret = d->have_app ? d->app.cfg.secret_key : NULL;

	if (strstr(s, "X-Amz-Signature") || strstr(s, "x-amz-signature") ||
	    (secret && *secret && strstr(s, secret)) ||
	    (cfg_secret && *cfg_secret && strstr(s, cfg_secret))) {
		snprintf(s, DR_TEXT_MAX, "(withheld: it would show a secret)");
		return;
	}
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void print_check(const struct dr_check *c)
{
	printf("%s  %-12s %s\n", status_mark[c->st], c->name, c->detail);
	if (c->cause[0])
		printf("      cause: %s\n", c->cause);
	if (c->fix[0])
		printf("      fix:   %s\n", c->fix);
	fflush(stdout);
}

void dr_add(struct dr *d, const char *name, enum dr_status st, const char *cause,
            const char *fix, const char *fmt, ...)
{
	struct dr_check *c;
	va_list ap;

	if (d->n == DR_MAX_CHECKS)
		return;
	c = &d->check[d->n++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->st = st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	snprintf(c->cause, sizeof c->cause, "%s", cause ? cause : "");
	snprintf(c->fix, sizeof c->fix, "%s", fix ? fix : "");
	scrub(d, c->detail);
	scrub(d, c->cause);
	scrub(d, c->fix);
	if (!d->json)
		print_check(c);
}

static void counts(const struct dr *d, unsigned n[4])
{
	n[0] = n[1] = n[2] = n[3] = 0;
	for (size_t i = 0; i < d->n; i++)
		n[d->check[i].st]++;
}

static int print_json(const struct dr *d)
{
	const struct s3_config *cfg = &d->app.cfg;
	unsigned n[4];
	cJSON *root = cJSON_CreateObject(), *arr, *cnt;
	char *text;
	int rc = 0;

	if (!root)
		return -1;
	counts(d, n);
	cJSON_AddStringToObject(root, "sign_s3", SIGN_S3_VERSION);
	if (d->have_app) {
		cJSON_AddStringToObject(root, "bucket", cfg->bucket);
		cJSON_AddStringToObject(root, "region", cfg->region);
		if (cfg->endpoint)
			cJSON_AddStringToObject(root, "endpoint", cfg->endpoint);
		else
			cJSON_AddNullToObject(root, "endpoint");
	}
	cJSON_AddBoolToObject(root, "ok", n[DR_FAIL] == 0);
	if ((cnt = cJSON_AddObjectToObject(root, "counts")))
		for (int i = 0; i < 4; i++)
			cJSON_AddNumberToObject(cnt, status_word[i], n[i]);
	if ((arr = cJSON_AddArrayToObject(root, "checks")))
		for (size_t i = 0; i < d->n; i++) {
			const struct dr_check *c = &d->check[i];
			cJSON *o = cJSON_CreateObject();

			if (!o)
				break;
			cJSON_AddStringToObject(o, "check", c->name);
			cJSON_AddStringToObject(o, "status", status_word[c->st]);
			cJSON_AddStringToObject(o, "detail", c->detail);
			if (c->cause[0])
				cJSON_AddStringToObject(o, "cause", c->cause);
			if (c->fix[0])
				cJSON_AddStringToObject(o, "fix", c->fix);
			cJSON_AddItemToArray(arr, o);
		}
	if (!(text = cJSON_Print(root)) || printf("%s\n", text) < 0)
		rc = -1;
	free(text);
	cJSON_Delete(root);
	return rc;
}

/* ---- advice ------------------------------------------------------------ */

void dr_s3_error(const char *body, size_t len, char code[S3XML_MAX_CODE + 1],
                 char msg[S3XML_MAX_MESSAGE + 1])
{
	struct s3xml_error xe;

	code[0] = msg[0] = '\0';
	if (body && len && s3xml_error(body, len, &xe) == 1) {
		memcpy(code, xe.code, sizeof xe.code);
		memcpy(msg, xe.message, sizeof xe.message);
	}
}

void dr_advice(const struct dr *d, const char *code, const char *op, const char **cause,
               const char **fix)
{
	static const struct { const char *code, *cause, *fix; } table[] = {
		{ "SignatureDoesNotMatch",
		  "S3 computed another signature: the secret key does not belong to the access "
		  "key id, or S3_REGION is not the bucket's region",
		  "check AWS_SECRET_ACCESS_KEY (or the credential source named above) and S3_REGION" },
		{ "InvalidAccessKeyId",
		  "S3 knows no such access key id (deleted, mistyped, or meant for another store)",
		  "check AWS_ACCESS_KEY_ID or the credential source; S3_ENDPOINT for a store that "
		  "is not AWS" },
		{ "InvalidToken", "the session token is not valid for these credentials",
		  "renew the temporary credentials (AWS_SESSION_TOKEN), or use a role" },
		{ "ExpiredToken", "the temporary credentials have expired",
		  "renew them (AWS_SESSION_TOKEN), or use a role that renews itself" },
		{ "RequestTimeTooSkewed", "this host's clock is more than 15 minutes off S3's",
		  "run NTP (chrony or systemd-timesyncd: timedatectl set-ntp true)" },
		{ "NoSuchBucket", "no bucket of that name at this endpoint",
		  "create the bucket, or correct S3_BUCKET (and S3_ENDPOINT)" },
		{ "PermanentRedirect", "the bucket is in another region than S3_REGION",
		  "set S3_REGION to the bucket's region" },
		{ "AuthorizationHeaderMalformed", "the bucket is in another region than S3_REGION",
		  "set S3_REGION to the bucket's region" },
		{ "AccessControlListNotSupported",
		  "S3_ACL is set but the bucket has ACLs disabled (Object Ownership: bucket owner "
		  "enforced)",
		  "unset S3_ACL and make objects readable with a bucket policy or CloudFront "
		  "(S3_PUBLIC_URL)" },
		{ "BadDigest", "the bytes sent are not the ones whose MD5 was signed",
		  "report it: the test object's MD5 is computed by sign_s3 itself" },
	};
	static char denied[DR_TEXT_MAX];
	int object;

	*cause = *fix = NULL;
	if (!code || !*code)
		return;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(code, table[i].code)) {
			*cause = table[i].cause;
			*fix = table[i].fix;
			return;
		}
	if (strcmp(code, "AccessDenied"))
		return;
	object = op && strstr(op, "Object") != NULL;
	snprintf(denied, sizeof denied, "allow %s on arn:aws:s3:::%s%s%s%s in the IAM policy of "
	         "the identity sign_s3 signs with", op ? op : "the call", d->app.cfg.bucket,
	         object ? "/" : "", object ? d->app.cfg.key_prefix : "", object ? "*" : "");
	*cause = "the credentials are valid but may not make this call";
	*fix = denied;
}

/* ---- the checks up to the bucket -------------------------------------- */

static void check_config(struct dr *d)
{
	char err[S3_CONFIG_ERRMAX];
	const char *file = getenv("SIGN_S3_CONFIG");
	const struct s3_config *cfg = &d->app.cfg;

	if (s3_app_init(&d->app, s3_config_getenv, NULL, 0, err, sizeof err)) {
		dr_add(d, "config", DR_FAIL, "the configuration does not load: sign_s3 cannot "
		       "start", "correct the variable named (README: Configuration)", "%s", err);
		return;
	}
	d->have_app = 1;
	dr_add(d, "config", DR_PASS, NULL, NULL, "configuration valid (environment%s%s); "
	       "bucket %s, region %s, %s%s", file ? ", SIGN_S3_CONFIG=" : "", file ? file : "",
	       cfg->bucket, cfg->region, cfg->endpoint ? "endpoint " : "AWS",
	       cfg->endpoint ? cfg->endpoint : "");
}

static void check_creds(struct dr *d)
{
	char why[S3_CREDS_WHY_MAX], when[S3_DATE_ISO8601_LEN + 1];
	time_t now = time(NULL), exp = 0;
	const char *src;

	if (!d->have_app) {
		dr_add(d, "credentials", DR_SKIP, NULL, NULL, "no configuration");
		return;
	}
	if (s3_creds_get(d->app.creds, now, &d->creds, &exp, why, sizeof why)) {
		dr_add(d, "credentials", DR_FAIL, "no source of the chain gave credentials "
		       "(README: Credentials)", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a "
		       "profile (AWS_PROFILE), or run with an instance or task role", "%s", why);
		return;
	}
	d->have_creds = 1;
	src = s3_creds_source(d->app.creds);
	if (!exp) {
		dr_add(d, "credentials", why[0] ? DR_WARN : DR_PASS,
		       why[0] ? "a refresh failed" : NULL, NULL, "from %s; they do not expire%s%s",
		       src ? src : "?", why[0] ? "; " : "", why);
		return;
	}
	if (s3_date_iso8601(exp, when))
		snprintf(when, sizeof when, "?");
	dr_add(d, "credentials", why[0] ? DR_WARN : DR_PASS,
	       why[0] ? "a refresh failed; the current credentials are still used" : NULL, NULL,
	       "from %s; they expire at %s (in %lld s)%s%s", src ? src : "?", when,
	       (long long)(exp - now), why[0] ? "; " : "", why);
}

/* scheme://host[:port] of a URL, for messages. */
static void address_of(const char *url, char *out, size_t cap)
{
	struct s3_url u;

	if (!s3_url_parse(url, strlen(url), &u))
		snprintf(out, cap, "%.*s", (int)(u.rest - url), url);
	else
		snprintf(out, cap, "%s", url);
}

/* The clock against S3's Date of an answer received between a and b. */
static void check_clock(struct dr *d, const char *date, time_t a, time_t b)
{
	time_t server;
	long long skew, abs_skew;
	enum dr_status st;

	if (!date || s3_date_parse_http(date, &server)) {
		d->clock_ok = 1;
		dr_add(d, "clock", DR_WARN, "S3's answer has no readable Date header", NULL,
		       "clock not compared");
		return;
	}
	/* the middle of the request against S3's second */
	skew = (long long)a + ((long long)b - (long long)a) / 2 - (long long)server;
	abs_skew = skew < 0 ? -skew : skew;
	st = abs_skew > DOCTOR_CLOCK_FAIL_S ? DR_FAIL :
	     abs_skew > DOCTOR_CLOCK_WARN_S ? DR_WARN : DR_PASS;
	d->clock_ok = st != DR_FAIL;
	if (skew < 0 && -skew >= (long long)d->app.cfg.expires && st != DR_FAIL) {
		/* signed in S3's past: a URL is expired before anyone uses it */
		dr_add(d, "clock", DR_FAIL, "every presigned URL is already expired when it is "
		       "made: the clock is behind S3's by more than S3_EXPIRES",
		       "run NTP (chrony or systemd-timesyncd: timedatectl set-ntp true)",
		       "this host is %lld s behind S3's Date (%s); S3_EXPIRES=%u", abs_skew, date,
		       d->app.cfg.expires);
		return;
	}
	dr_add(d, "clock", st, st == DR_PASS ? NULL : st == DR_FAIL ?
	       "S3 refuses signed requests more than 15 minutes off (RequestTimeTooSkewed), and "
	       "presigned URLs look expired or not yet valid" :
	       "the clock drifts: at 15 minutes S3 refuses every signature",
	       st == DR_PASS ? NULL : "run NTP (chrony or systemd-timesyncd: timedatectl "
	       "set-ntp true)", "this host is %lld s %s S3's Date (%s); limits: warn over %d s, "
	       "fail over %d s", abs_skew, skew < 0 ? "behind" : "ahead of", date,
	       DOCTOR_CLOCK_WARN_S, DOCTOR_CLOCK_FAIL_S);
}

/* The endpoint and the clock, from one unsigned HEAD of the bucket's URL. */
static void check_endpoint(struct dr *d)
{
	static const char *const want[] = { "date" };
	struct s3_target t;
	struct s3_http_request rq = {
		.method = "HEAD", .url = d->bucket_url,
		.connect_timeout_ms = DOCTOR_CONNECT_TIMEOUT_MS, .timeout_ms = DOCTOR_TIMEOUT_MS,
		.want_headers = want, .nwant = 1,
	};
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX], addr[SIGV4_URL_MAX];
	long long t0;
	time_t a;

	if (!d->have_app) {
		dr_add(d, "endpoint", DR_SKIP, NULL, NULL, "no configuration");
		dr_add(d, "clock", DR_SKIP, NULL, NULL, "no configuration");
		return;
	}
	s3_config_target(&d->app.cfg, &t);
	if (s3_bucket_url(&t, d->bucket_url, sizeof d->bucket_url)) {
		dr_add(d, "endpoint", DR_FAIL, NULL, NULL, "no URL for this bucket and endpoint");
		dr_add(d, "clock", DR_SKIP, NULL, NULL, "no endpoint");
		return;
	}
	address_of(d->bucket_url, addr, sizeof addr);
	t0 = s3_mono_ms();
	a = time(NULL);
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof why)) {
		dr_add(d, "endpoint", DR_FAIL, "nothing answers at that address: a wrong "
		       "S3_ENDPOINT (or region), S3 down, a firewall, DNS, or no network",
		       "check S3_ENDPOINT and S3_REGION, and that this host reaches the address "
		       "(curl -I)", "cannot reach S3 at %s: %s (after %lld ms)", addr, why,
		       s3_mono_ms() - t0);
		dr_add(d, "clock", DR_SKIP, NULL, NULL, "S3 unreachable");
		return;
	}
	d->reachable = 1;
	dr_add(d, "endpoint", DR_PASS, NULL, NULL, "S3 answers at %s (HTTP %ld to an unsigned "
	       "HEAD of the bucket, %lld ms)", addr, rs.status, s3_mono_ms() - t0);
	check_clock(d, rs.header_values[0], a, time(NULL));
	s3_http_response_free(&rs);
}

static void region_wrong(struct dr *d, const char *region, const char *how)
{
	char fix[DR_TEXT_MAX];

	snprintf(fix, sizeof fix, "set S3_REGION=%s", region);
	dr_add(d, "bucket", DR_FAIL, "SigV4 signs for one region and S3 refuses the others "
	       "(PermanentRedirect, AuthorizationHeaderMalformed)", fix,
	       "bucket %s is in region %s (%s), not S3_REGION=%s", d->app.cfg.bucket, region, how,
	       d->app.cfg.region);
}

/* A 403 or 400 to HeadBucket (no body): GetBucketLocation's answer has one. */
static void bucket_why(struct dr *d, const struct s3_call_error *herr)
{
	const struct s3_config *cfg = &d->app.cfg;
	struct s3_bucket_answer l;
	struct s3_call_error err;
	const char *cause, *fix;
	enum s3_err e = s3_client_bucket_region(&d->cl, &d->creds, time(NULL), &l, &err);

	if (l.region[0] && strcmp(l.region, cfg->region)) {
		region_wrong(d, l.region, e ? "named in S3's refusal" : "GetBucketLocation");
	} else if (e == S3_OK) {
		d->bucket_ok = 1;
		dr_add(d, "bucket", DR_WARN, "the credentials may not list the bucket "
		       "(s3:ListBucket): HeadBucket was refused, GetBucketLocation answered", NULL,
		       "bucket %s exists; region %s (HeadBucket HTTP %d)", cfg->bucket, l.region,
		       herr->s3_status);
	} else if (!strcmp(err.code, "AccessDenied")) {
		d->bucket_ok = 1;      /* the upload says more */
		dr_add(d, "bucket", DR_WARN, "the credentials may not list the bucket or ask its "
		       "region (s3:ListBucket, s3:GetBucketLocation): enough to sign uploads, but "
		       "the bucket and its region are not confirmed here", NULL,
		       "HeadBucket HTTP %d, GetBucketLocation AccessDenied", herr->s3_status);
	} else {
		dr_advice(d, err.code, "s3:ListBucket", &cause, &fix);
		dr_add(d, "bucket", DR_FAIL, cause, fix, "HeadBucket HTTP %d; %s", herr->s3_status,
		       err.why);
	}
}

static void check_bucket(struct dr *d)
{
	const struct s3_config *cfg = &d->app.cfg;
	struct s3_bucket_answer b;
	struct s3_call_error err;
	const char *cause, *fix;
	enum s3_err e;

	if (!d->have_creds || !d->reachable || !d->clock_ok) {
		dr_add(d, "bucket", DR_SKIP, NULL, NULL, "%s", !d->have_creds ? "no credentials" :
		       !d->reachable ? "S3 unreachable" : "the clock is off (see clock)");
		return;
	}
	s3_config_target(cfg, &d->cl.target);
	d->cl.cache = &d->app.cache;
	d->cl.retries = S3_CLIENT_NO_RETRIES;
	d->cl.timeout_ms = DOCTOR_TIMEOUT_MS;
	e = s3_client_head_bucket(&d->cl, &d->creds, time(NULL), &b, &err);
	if (b.region[0] && strcmp(b.region, cfg->region)) {
		region_wrong(d, b.region, "x-amz-bucket-region");
	} else if (e == S3_OK) {
		d->bucket_ok = 1;
		dr_add(d, "bucket", DR_PASS, NULL, NULL, "bucket %s exists; region %s%s",
		       cfg->bucket, cfg->region, b.region[0] ? " (x-amz-bucket-region)" :
		       " (S3 does not say; it accepts S3_REGION in the signature)");
	} else if (e == S3_ERR_REMOTE && (err.s3_status == 403 || err.s3_status == 400)) {
		bucket_why(d, &err);
	} else {
		int missing = !strcmp(err.code, "NoSuchBucket");

		dr_advice(d, err.code, "s3:ListBucket", &cause, &fix);
		if (missing)
			dr_add(d, "bucket", DR_FAIL, cause, fix, "bucket %s not found: HeadBucket HTTP "
			       "404 NoSuchBucket", cfg->bucket);
		else
			dr_add(d, "bucket", DR_FAIL, cause, fix, "%s%s%s", err.why,
			       err.code[0] ? ": " : "", err.code);
	}
}

/* ---- the command ------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: " PROG " doctor [--json] [--origin URL ...]\n"
	      "\n"
	      "Checks the configuration (environment, SIGN_S3_CONFIG) against the real S3:\n"
	      "credentials, endpoint, clock, bucket and region, an upload round trip through\n"
	      "the responder's own code, public URL, ACL, and CORS for each --origin (else\n"
	      "S3_CORS_ORIGINS). Exit status 0 when no check fails, 1 otherwise.\n", f);
}

static int parse_args(struct dr *d, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		struct s3_url u;
		struct sbuf b;

		if (!strcmp(a, "--json")) {
			d->json = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return -1;
		}
		if (strcmp(a, "--origin")) {
			fprintf(stderr, PROG ": doctor: unknown argument: %s\n"
			        "Try '" PROG " doctor --help'.\n", a);
			return CLI_EXIT_USAGE;
		}
		v = i + 1 < argc ? argv[++i] : NULL;
		if (!v || strlen(v) > SIGV4_MAX_ENDPOINT || s3_url_parse(v, strlen(v), &u) ||
		    u.rest_len) {
			fprintf(stderr, PROG ": doctor: --origin needs a web origin, "
			        "http[s]://host[:port] without a path\n");
			return CLI_EXIT_USAGE;
		}
		if (d->norigins == DOCTOR_MAX_ORIGINS) {
			fprintf(stderr, PROG ": doctor: at most %d --origin\n", DOCTOR_MAX_ORIGINS);
			return CLI_EXIT_USAGE;
		}
		/* as a browser sends it in Origin (and S3_CORS_ORIGINS is stored):
		 * never longer than what was given, so it fits */
		sbuf_init(&b, d->origin_buf[d->norigins], sizeof d->origin_buf[0]);
		s3_url_origin(&u, &b);
		d->origins[d->norigins] = d->origin_buf[d->norigins];
		d->norigins++;
	}
	return 0;
}

/* S3_CORS_ORIGINS (normalized "a,b") when no --origin was given. */
static void config_origins(struct dr *d)
{
	char *p, *save = NULL;

	if (d->norigins || !d->have_app || !d->app.cfg.cors_origins)
		return;
	if (!(d->origin_list = strdup(d->app.cfg.cors_origins)))
		return;
	for (p = strtok_r(d->origin_list, ",", &save); p && d->norigins < DOCTOR_MAX_ORIGINS;
	     p = strtok_r(NULL, ",", &save))
		d->origins[d->norigins++] = p;
}

int cli_doctor(int argc, char **argv)
{
	static struct dr d;
	unsigned n[4];
	int r;

	memset(&d, 0, sizeof d);
	if ((r = parse_args(&d, argc, argv)))
		return r < 0 ? CLI_EXIT_OK : r;
	check_config(&d);
	config_origins(&d);
	check_creds(&d);
	check_endpoint(&d);
	check_bucket(&d);
	dr_upload(&d);
	dr_read_back(&d);
	dr_public_url(&d);
	dr_acl(&d);
	dr_cors(&d);
	dr_delete(&d);
	counts(&d, n);
	if (d.json && print_json(&d))
		fprintf(stderr, PROG ": cannot write the report\n");
	if (!d.json)
		printf("\n%u pass, %u warn, %u fail, %u skip: %s\n", n[DR_PASS], n[DR_WARN],
		       n[DR_FAIL], n[DR_SKIP], n[DR_FAIL] ? "FAIL" : "OK");
	fflush(stdout);
	dr_upload_free(&d);
	free(d.origin_list);
	OPENSSL_cleanse(&d.creds, sizeof d.creds);
	if (d.have_app)
		s3_app_free(&d.app);
	s3_http_cleanup();
	return n[DR_FAIL] ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
