/* creds_int.h - what the credential sources share (creds.c, creds_file.c,
 * creds_http.c); not part of the library's API (see creds.h). */
#ifndef SIGN_S3_CREDS_INT_H
#define SIGN_S3_CREDS_INT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "creds.h"

#define ENV_MODE            "S3_CREDENTIALS"
#define ENV_PROFILE         "AWS_PROFILE"
#define ENV_DEFAULT_PROFILE "AWS_DEFAULT_PROFILE"
#define ENV_CRED_FILE       "AWS_SHARED_CREDENTIALS_FILE"
#define ENV_CONFIG_FILE     "AWS_CONFIG_FILE"
#define ENV_REL_URI         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
#define ENV_FULL_URI        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
#define ENV_AUTH_TOKEN      "AWS_CONTAINER_AUTHORIZATION_TOKEN"
#define ENV_AUTH_TOKEN_FILE "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
#define ENV_CONTAINER_ENDPOINT "S3_CONTAINER_ENDPOINT"
#define ENV_IMDS_DISABLED   "AWS_EC2_METADATA_DISABLED"
#define ENV_IMDS_ENDPOINT   "AWS_EC2_METADATA_SERVICE_ENDPOINT"
#define ENV_IMDS_MODE       "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"

#define IMDS_TOKEN_PATH     "/latest/api/token"
#define IMDS_ROLE_PATH      "/latest/meta-data/iam/security-credentials/"
#define IMDS_TTL_HEADER     "X-aws-ec2-metadata-token-ttl-seconds"
#define IMDS_TOKEN_HEADER   "X-aws-ec2-metadata-token"

#define ONE_WHY             256     /* one source's reason */

enum mode { M_CHAIN, M_ENV, M_FILE, M_CONTAINER, M_IMDS };

struct s3_creds_chain {
	enum mode mode;
	struct s3_cred_value env;      /* config's static keys */
	int have_env;
	s3_lookup_fn get;
	void *ctx;
	s3_http_fn http;
	void *http_ctx;
	long process_timeout_ms;
	int fixed_jitter;
	unsigned jitter;
	pid_t pid;                     /* the process the jitter was drawn for */
	struct s3_cred_value cur;      /* the cache */
	int have;
	int refreshing;
	time_t last_attempt;           /* 0: none yet */
	int last_failed;
	char last_why[S3_CREDS_WHY_MAX];
};

/* creds.c: small helpers. */

/* Copies a value already checked to fit into a fixed field. */
void creds_copy(char *dst, size_t cap, const char *src);

/* Fills v from three strings, checking them as config.h checks the static
 * keys. Returns NULL or what is wrong. */
const char *creds_set_value(struct s3_cred_value *v, const char *ak, const char *sk,
                            const char *tok);

/* OPENSSL_cleanse(s, n), then free(s); NULL is allowed. */
void creds_free_secret(char *s, size_t n);

/* The chain's lookup of a setting; NULL for unset or "". */
const char *creds_lookup(const struct s3_creds_chain *ch, const char *name);

/* A source: fills v, or says why it could not (at most cap bytes). */
typedef enum s3_err (*source_fn)(struct s3_creds_chain *ch, struct s3_cred_value *v,
                                 char *why, size_t cap);

/* creds_file.c: the shared files with credential_process. */
enum s3_err creds_source_env(struct s3_creds_chain *ch, struct s3_cred_value *v,
                             char *why, size_t cap);
enum s3_err creds_source_file(struct s3_creds_chain *ch, struct s3_cred_value *v,
                              char *why, size_t cap);

/* creds_http.c: the container endpoint and EC2 instance metadata. */
enum s3_err creds_source_container(struct s3_creds_chain *ch, struct s3_cred_value *v,
                                   char *why, size_t cap);
enum s3_err creds_source_imds(struct s3_creds_chain *ch, struct s3_cred_value *v,
                              char *why, size_t cap);
/* 1 when a container URI variable is set; when AWS_EC2_METADATA_DISABLED
 * is "true" (any case). */
int creds_container_configured(const struct s3_creds_chain *ch);
int creds_imds_disabled(const struct s3_creds_chain *ch);

#endif
