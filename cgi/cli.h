/* cli.h - the command-line presigner: `sign_s3 presign [options] KEY`.
 *
 * Prints one presigned URL and a newline, as `aws s3 presign` does, using
 * the same configuration as the responder (environment / SIGN_S3_CONFIG).
 * Exit status: 0 success, 1 configuration / credential / signing failure,
 * 2 usage error (message on stderr). */
#ifndef SIGN_S3_CLI_H
#define SIGN_S3_CLI_H

#include <stdio.h>

#define CLI_EXIT_OK     0
#define CLI_EXIT_FAIL   1
#define CLI_EXIT_USAGE  2

/* argv[0] is "presign"; the options and KEY follow. */
int cli_presign(int argc, char **argv);

void cli_usage(FILE *f);

#endif
