/* main.c - sign_s3's entry point: chooses the mode.
 *
 *   GATEWAY_INTERFACE set           plain CGI: one request, then exit
 *                                   (checked first: argv is ignored)
 *   sign_s3 presign ... KEY         command-line presigner (cli.c)
 *   sign_s3 doctor [--json] ...     checks against the real S3 (doctor.c)
 *   sign_s3 --listen ADDR ...       own FastCGI listener, prefork (listen.c)
 *   LISTEN_PID=ours, LISTEN_FDS=1   systemd socket activation: the same
 *                                   listener on the passed socket (sd_listen.h)
 *   listening socket on stdin       FastCGI under spawn-fcgi / mod_fcgid
 *   sign_s3 --help | --version
 *
 * Settings: common/settings.h (the environment over the configuration
 * file: SIGN_S3_CONFIG, else ~/.config/sign_s3/sign_s3.conf of the user
 * who serves, else /etc/sign_s3/sign_s3.conf), opened once in start_app.
 * Sandbox and credential broker: common/sandbox.h (S3_SANDBOX, read
 * there; a bad value is a configuration error at start). CGI and
 * FastCGI on stdin are quiet unless the filter or the broker cannot be set
 * up: then one log line, and they serve on. The command-line presigner is
 * not sandboxed.
 */
#include "broker.h"
#include "cli.h"
#include "config.h"
#include "doctor.h"
#include "handler.h"
#include "listen.h"
#include "sandbox.h"
#include "sd_listen.h"
#include "serve.h"
#include "settings.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The process's settings (common/settings.h): the environment over the
 * configuration file, found for the user who serves (uid). They live as
 * long as the process: the credential chain looks names up at each
 * refresh. */
static struct s3_settings settings;

/* Configuration errors at start: the process cannot serve anything. In CGI
 * mode the client still gets a JSON 500 (and the log the reason). The
 * sandbox's variables are checked here too. */
static int start_app(struct s3_app *app, int preload, int cgi,
                     struct sandbox_plan *plan, uid_t uid)
{
	char err[S3_CONFIG_ERRMAX], paths[2][S3_SETTINGS_MAX_PATH + 1];
	struct s3_settings_where where;

	s3_settings_where_default(&where, uid, paths);
	if (s3_settings_open(&settings, s3_config_getenv, NULL, &where, err, sizeof err) == S3_OK &&
	    s3_app_init(app, s3_settings_get, &settings, preload, err, sizeof err) == S3_OK) {
		unsigned reach = s3_creds_reach(app->creds) |
		                 (app->cfg.multipart ? SANDBOX_REACH_S3 : 0);

		s3_settings_drop_secrets(&settings);
		broker_env_from(s3_settings_get, &settings);
		if (sandbox_plan(plan, s3_settings_get, &settings, reach,
		                 err, sizeof err) == S3_OK)
			return 0;
		s3_app_free(app);
	}
	s3_settings_close(&settings);
	if (!cgi)
		fprintf(stderr, "sign_s3: configuration error: %s\n", err);
	if (cgi)
		serve_cgi_config_error(err);
	return 1;
}

/* Forks the credential broker if planned, then installs the sandbox in
 * this process: quiet, but a failure is logged (and the process serves on
 * without it). */
static void enter_sandbox(const struct sandbox_plan *plan)
{
	char err[SANDBOX_ERRMAX];

	if (broker_prepare(plan, err, sizeof err) != S3_OK)
		fprintf(stderr, "sign_s3[%ld]: %s\n", (long)getpid(), err);
	if (sandbox_install(plan->mode, err, sizeof err) != S3_OK)
		fprintf(stderr, "sign_s3[%ld]: %s; serving without it\n", (long)getpid(), err);
}

int main(int argc, char **argv)
{
	struct s3_app app;
	struct sandbox_plan plan;
	char sd_err[256];
	int rc, activated, sd_fd;

	/* one write(2) per log line, not one per character (serve_log escapes
	 * byte by byte): cheaper, and lines from several workers sharing one
	 * stderr do not interleave */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);

	/* CGI first, whatever argv holds: a server may pass a query string
	 * without '=' as arguments (RFC 3875 4.4, Apache mod_cgi), so under CGI
	 * argv must never choose the mode (cf. CVE-2012-1823). */
	if (getenv("GATEWAY_INTERFACE")) {
		if (start_app(&app, 0, 1, &plan, geteuid()))
			return 1;
		enter_sandbox(&plan);
		rc = serve_cgi(&app);
		s3_app_free(&app);
		s3_settings_close(&settings);
		return rc;
	}
	if (argc >= 2 && !strcmp(argv[1], "presign"))
		return cli_presign(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "doctor"))
		return cli_doctor(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("sign_s3 %s\n", SIGN_S3_VERSION);
		return CLI_EXIT_OK;
	}
	if ((activated = sd_listen_take(&sd_fd, sd_err, sizeof sd_err)) < 0) {
		fprintf(stderr, "sign_s3: %s\n", sd_err);
		return 1;
	}
	if (argc >= 2 || activated) {
		struct listen_opts o;

		if ((rc = listen_parse_args(argc, argv, &o, sd_fd)) || (rc = listen_user_env(&o)))
			return rc;
		if (start_app(&app, 1, 0, &plan, o.user ? o.user_uid : geteuid()))
			return 1;
		o.sandbox = &plan;
		rc = listen_run(&app, &o);
		s3_app_free(&app);
		s3_settings_close(&settings);
		return rc;
	}
	if (!FCGX_IsCGI()) {
		if (start_app(&app, 1, 0, &plan, geteuid()))
			return 1;
		serve_install_signals();
		enter_sandbox(&plan);
		rc = serve_fastcgi(&app, 0);
		s3_app_free(&app);
		s3_settings_close(&settings);
		return rc;
	}
	cli_usage(stderr);
	return CLI_EXIT_USAGE;
}
