/* main.c - sign_s3's entry point: chooses the mode.
 *
 *   sign_s3 presign ... KEY     command-line presigner (cli.c)
 *   sign_s3 --help | --version
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
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
	cli_usage(stderr);
	return CLI_EXIT_USAGE;
}
