/* cli.c - `sign_s3 presign` (see cli.h). */
#include "cli.h"
#include "broker.h"
#include "config.h"
#include "creds.h"
#include "date.h"
#include "presign.h"
#include "settings.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "sign_s3"

void cli_usage(FILE *f)
{
	fputs("usage: " PROG " presign [--method M] [--content-type T] [--expires N]\n"
	      "                       [--time YYYYMMDDTHHMMSSZ] [--acl ACL]\n"
	      "                       [--content-disposition D] [--content-length N]\n"
	      "                       [--content-md5 BASE64] [--] KEY\n"
	      "       " PROG " doctor [--json] [--origin URL ...]\n"
	      "       " PROG " --listen ADDR [--workers N] [--user NAME]\n"
	      "                      [--socket-mode OCTAL] [--socket-group GROUP]\n"
	      "       " PROG " [--workers N] [--user NAME]   (socket passed by systemd)\n"
	      "       " PROG " --help | --version\n"
	      "\n"
	      "presign prints a presigned URL for KEY (default method GET, as\n"
	      "`aws s3 presign` does). Configuration comes from the environment or\n"
	      "the file named by SIGN_S3_CONFIG (else ~/.config/sign_s3/sign_s3.conf,\n"
	      "else /etc/sign_s3/sign_s3.conf): S3_BUCKET (required), S3_REGION,\n"
	      "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
	      "S3_ENDPOINT, S3_PATH_STYLE, S3_EXPIRES, S3_ACL (PUT only).\n"
	      "\n"
	      "doctor checks that configuration against the real S3 (credentials, clock,\n"
	      "bucket and region, an upload round trip, public URL, ACL, CORS) and prints\n"
	      "one line per check; exit status 0 when none fails.\n"
	      "\n"
	      "Run under a web server, " PROG " answers POST /api/sign_s3 as a CGI\n"
	      "program (GATEWAY_INTERFACE set) or a FastCGI responder (listening\n"
	      "socket on stdin, --listen, or the socket of a systemd socket unit:\n"
	      "LISTEN_PID, LISTEN_FDS=1). See sign_s3(8).\n", f);
}

static int usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, PROG ": %s: %s\n", msg, arg);
	else
		fprintf(stderr, PROG ": %s\n", msg);
	fprintf(stderr, "Try '" PROG " --help'.\n");
	return CLI_EXIT_USAGE;
}

static int parse_expires(const char *s, unsigned *out)
{
	unsigned long v = 0;

	if (!s || !*s || strlen(s) > 7)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < SIGV4_EXPIRES_MIN || v > SIGV4_EXPIRES_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_method(const char *s, char out[8])
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	if (strcmp(out, "PUT") && strcmp(out, "GET") && strcmp(out, "HEAD") &&
	    strcmp(out, "DELETE"))
		return -1;
	return 0;
}

struct cli_opts {
	char method[8];
	const char *content_type;
	const char *content_disposition;
	const char *content_length;
	const char *content_md5;
	const char *acl;
	const char *key;
	unsigned expires;         /* 0: from configuration */
	time_t when;
	int have_time;
};

/* Options may come before or after KEY; "--" ends them. */
static int parse_args(int argc, char **argv, struct cli_opts *o)
{
	int i, end = 0;

	strcpy(o->method, "GET");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (end || a[0] != '-' || !strcmp(a, "-")) {
			if (o->key)
				return usage_error("more than one KEY", NULL);
			o->key = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			end = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cli_usage(stdout);
			return -1;
		}
		if (strcmp(a, "--method") && strcmp(a, "--content-type") &&
		    strcmp(a, "--expires") && strcmp(a, "--time") && strcmp(a, "--acl") &&
		    strcmp(a, "--content-disposition") && strcmp(a, "--content-length") &&
		    strcmp(a, "--content-md5"))
			return usage_error("unknown option", a);
		if (!v)
			return usage_error("option needs a value", a);
		i++;
		if (!strcmp(a, "--method") && parse_method(v, o->method))
			return usage_error("--method must be PUT, GET, HEAD or DELETE", NULL);
		if (!strcmp(a, "--content-type"))
			o->content_type = v;
		if (!strcmp(a, "--content-disposition"))
			o->content_disposition = v;
		if (!strcmp(a, "--content-length"))
			o->content_length = v;
		if (!strcmp(a, "--content-md5"))
			o->content_md5 = v;
		if (!strcmp(a, "--expires") && parse_expires(v, &o->expires))
			return usage_error("--expires must be an integer from 1 to 604800", NULL);
		if (!strcmp(a, "--time")) {
			if (s3_date_parse_amz(v, &o->when))
				return usage_error("--time must be YYYYMMDDTHHMMSSZ", NULL);
			o->have_time = 1;
		}
		if (!strcmp(a, "--acl")) {
			if (!s3_acl_valid(v))
				return usage_error("--acl must be a canned ACL such as private or public-read", NULL);
			o->acl = v;
		}
	}
	if (!o->key || !*o->key)
		return usage_error("missing KEY", NULL);
	if (strlen(o->key) > SIGV4_MAX_KEY)
		return usage_error("KEY is longer than 1024 bytes", NULL);
	if (o->acl && strcmp(o->method, "PUT"))
		return usage_error("--acl applies to PUT only", NULL);
	if (o->content_type && strlen(o->content_type) > SIGV4_MAX_CONTENT_TYPE)
		return usage_error("--content-type is longer than 255 bytes", NULL);
	if (o->content_disposition && strlen(o->content_disposition) > SIGV4_MAX_DISPOSITION)
		return usage_error("--content-disposition is longer than 255 bytes", NULL);
	return 0;
}

int cli_presign(int argc, char **argv)
{
	static char url[SIGV4_URL_MAX];
	char errmsg[S3_CONFIG_ERRMAX];
	struct cli_opts o = {0};
	struct s3_config cfg;
	struct s3_settings settings;
	struct s3_settings_where where;
	char paths[2][S3_SETTINGS_MAX_PATH + 1];
	struct s3_target t;
	struct s3_creds c;
	struct s3_creds_chain *chain = NULL;
	char why[S3_CREDS_WHY_MAX];
	time_t cexp = 0;
	struct sigv4_param acl;
	struct s3_presign_in in;
	enum s3_err e;
	int rc = CLI_EXIT_FAIL, r = parse_args(argc, argv, &o);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	s3_settings_where_default(&where, geteuid(), paths);
	if (s3_settings_open(&settings, s3_config_getenv, NULL, &where, errmsg, sizeof errmsg) ||
	    s3_config_load(&cfg, s3_settings_get, &settings, errmsg, sizeof errmsg)) {
		fprintf(stderr, PROG ": %s\n", errmsg);
		s3_settings_close(&settings);
		return CLI_EXIT_FAIL;
	}
	s3_settings_drop_secrets(&settings);
	broker_env_from(s3_settings_get, &settings);
	{
		struct s3_creds_opts co = {
			.access_key = cfg.access_key, .secret_key = cfg.secret_key,
			.session_token = cfg.session_token, .get = s3_settings_get,
			.ctx = &settings,
		};

		if (s3_creds_new(&chain, &co, errmsg, sizeof errmsg)) {
			fprintf(stderr, PROG ": %s\n", errmsg);
			goto done;
		}
	}
	if (s3_creds_get(chain, time(NULL), &c, &cexp, why, sizeof why)) {
		fprintf(stderr, PROG ": no credentials: %s\n", why);
		goto done;
	}
	s3_config_target(&cfg, &t);
	if (!o.acl && cfg.acl && !strcmp(o.method, "PUT"))
		o.acl = cfg.acl;
	acl = (struct sigv4_param){ "x-amz-acl", o.acl };
	in = (struct s3_presign_in){
		.method = o.method,
		.key = o.key,
		.key_len = strlen(o.key),
		.content_type = o.content_type,
		.content_disposition = o.content_disposition,
		.content_length = o.content_length,
		.content_md5 = o.content_md5,
		.params = o.acl ? &acl : NULL,
		.nparams = o.acl ? 1 : 0,
		.expires = o.expires ? o.expires : cfg.expires,
		.now = o.have_time ? o.when : time(NULL),
	};
	/* the URL must not outlive temporary credentials */
	in.expires = s3_creds_clamp_expires(in.expires, in.now, cexp);
	if (!in.expires) {
		fprintf(stderr, PROG ": the credentials expire before the signing time\n");
		goto done;
	}
	e = s3_presign(&t, &c, &in, NULL, url, sizeof url, NULL, 0);
	if (e) {
		fprintf(stderr, PROG ": cannot presign: %s\n", s3_strerror(e));
		rc = e == S3_ERR_NOCREDS ? CLI_EXIT_FAIL :
		     (e == S3_ERR_INVAL || e == S3_ERR_UTF8 || e == S3_ERR_TOOLONG)
		     ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto done;
	}
	if (printf("%s\n", url) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, PROG ": cannot write the URL\n");
		goto done;
	}
	rc = CLI_EXIT_OK;
done:
	s3_creds_free(chain);
	s3_config_free(&cfg);
	broker_env_from(NULL, NULL);
	s3_settings_close(&settings);
	return rc;
}
