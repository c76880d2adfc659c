/* main.c - sign_s3's entry point: chooses the mode.
 *
 *   GATEWAY_INTERFACE set           plain CGI: one request, then exit
 *                                   (checked first: argv is ignored)
 *   sign_s3 presign ... KEY         command-line presigner (cli.c)
 *   sign_s3 --listen ADDR ...       own FastCGI listener, prefork (listen.c)
 *   listening socket on stdin       FastCGI under spawn-fcgi / mod_fcgid
 *   sign_s3 --help | --version
 */
#include "cli.h"
#include "config.h"
#include "handler.h"
#include "listen.h"
#include "serve.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Configuration errors at start: the process cannot serve anything. In CGI
 * mode the client still gets a JSON 500 (and the log the reason). */
static int start_app(struct s3_app *app, int preload, int cgi)
{
	char err[S3_CONFIG_ERRMAX];

	if (s3_app_init(app, s3_config_getenv, NULL, preload, err, sizeof err) == S3_OK)
		return 0;
	if (!cgi)
		fprintf(stderr, "sign_s3: configuration error: %s\n", err);
	if (cgi) {
		struct s3_response r;
		char head[S3_RESP_HEAD_MAX];
		size_t hl;

		s3_response_error(&r, 500, S3_MSG_INTERNAL);
		snprintf(r.message, sizeof r.message, "configuration error: %s", err);
		serve_log(stderr, &r, getenv("REQUEST_METHOD"), getenv("REMOTE_ADDR"), time(NULL));
		hl = s3_response_head(&r, head, sizeof head);
		fwrite(head, 1, hl, stdout);
		fwrite(r.body, 1, r.body_len, stdout);
		fflush(stdout);
		s3_response_free(&r);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct s3_app app;
	int rc;

	/* CGI first, whatever argv holds: a server may pass a query string
	 * without '=' as arguments (RFC 3875 4.4, Apache mod_cgi), so under CGI
	 * argv must never choose the mode (cf. CVE-2012-1823). */
	if (getenv("GATEWAY_INTERFACE")) {
		if (start_app(&app, 0, 1))
			return 1;
		rc = serve_cgi(&app);
		s3_app_free(&app);
		return rc;
	}
	if (argc >= 2 && !strcmp(argv[1], "presign"))
		return cli_presign(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("sign_s3 %s\n", SIGN_S3_VERSION);
		return CLI_EXIT_OK;
	}
	if (argc >= 2) {
		struct listen_opts o;

		if ((rc = listen_parse_args(argc, argv, &o)))
			return rc;
		if (start_app(&app, 1, 0))
			return 1;
		rc = listen_run(&app, &o);
		s3_app_free(&app);
		return rc;
	}
	if (!FCGX_IsCGI()) {
		if (start_app(&app, 1, 0))
			return 1;
		serve_install_signals();
		rc = serve_fastcgi(&app, 0);
		s3_app_free(&app);
		return rc;
	}
	cli_usage(stderr);
	return CLI_EXIT_USAGE;
}
