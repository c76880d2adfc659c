/* creds.h - where the signing credentials come from: the AWS provider
 * chain, cached per process and refreshed before they expire.
 *
 * Sources, tried in the order the AWS SDKs use; the first that yields wins
 * (S3_CREDENTIALS=env|file|container|imds pins one; chain, the default,
 * tries them all):
 *
 *  env        the static keys config.h loaded (AWS_ACCESS_KEY_ID,
 *             AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, from the environment
 *             or the SIGN_S3_CONFIG file); never expire.
 *  file       the shared files: AWS_SHARED_CREDENTIALS_FILE (default
 *             ~/.aws/credentials, section [NAME]) and AWS_CONFIG_FILE
 *             (default ~/.aws/config, [default] or [profile NAME]); the
 *             profile is AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
 *             default. Order, as botocore: static keys in the credentials
 *             file, then credential_process (the credentials file's value
 *             wins over the config file's), then static keys in the config
 *             file. Keys: aws_access_key_id, aws_secret_access_key,
 *             aws_session_token (or aws_security_token), credential_process;
 *             '#' and ';' comment lines, "=" or ":", no inline comments;
 *             indented continuation lines belong to the key above them.
 *             A missing file is not an error, only "not found".
 *  process    (reported as the source of credential_process's answer) the
 *             command runs under /bin/sh -c (broker.h: in the credential
 *             broker under the sandbox, with a minimal environment) with
 *             stdin and stderr on /dev/null (stderr may hold secrets: it is
 *             never read or shown) in its own process group, killed after
 *             S3_CREDS_PROCESS_TIMEOUT_MS; its stdout (at most
 *             S3_CREDS_MAX_PROCESS_OUT bytes) is {"Version":1,
 *             "AccessKeyId","SecretAccessKey","SessionToken"?,"Expiration"?}.
 *             A nonzero exit is a failure naming the status only.
 *  container  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, asked of
 *             S3_CONTAINER_ENDPOINT (default http://169.254.170.2; this
 *             override is sign_s3's own, for tests), or else
 *             AWS_CONTAINER_CREDENTIALS_FULL_URI: over http only to a
 *             loopback host (127.0.0.0/8, localhost, [::1]) or the ECS/EKS
 *             addresses 169.254.170.2, 169.254.170.23, [fd00:ec2::23]; any
 *             host over https. The Authorization header is the content of
 *             AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read at every
 *             refresh; trailing CR/LF dropped) or else
 *             AWS_CONTAINER_AUTHORIZATION_TOKEN; a token with CR or LF
 *             inside is refused. Answer: {"AccessKeyId","SecretAccessKey",
 *             "Token","Expiration"}.
 *  imds       EC2 instance metadata, IMDSv2 only: PUT /latest/api/token
 *             (X-aws-ec2-metadata-token-ttl-seconds: 21600), GET
 *             /latest/meta-data/iam/security-credentials/ (the role: first
 *             line), GET .../security-credentials/ROLE, each with
 *             X-aws-ec2-metadata-token; the answer's Code must be
 *             "Success". Endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT, else
 *             http://169.254.169.254 (http://[fd00:ec2::254] with
 *             AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6). The three calls
 *             share one S3_HTTP_TIMEOUT_MS budget. Skipped when
 *             AWS_EC2_METADATA_DISABLED is "true" (any case).
 *
 * Every value is checked as config.h checks the static ones (printable
 * ASCII, SIGV4_MAX_* lengths); Expiration is an ISO 8601 / RFC 3339 time
 * ("2026-11-24T12:00:00Z", fractional seconds, "+00:00" or any other
 * offset). Answers over the limits, malformed JSON, duplicate fields, wrong
 * types are refused. Temporary credentials (container, imds) must carry a
 * token and an expiration.
 *
 * Caching: credentials are kept until a refresh is due, at
 * expiration - S3_CREDS_REFRESH_EARLY - jitter, where jitter (0 ..
 * S3_CREDS_JITTER_MAX seconds) is drawn once per process (again after a
 * fork) so that a fleet does not refresh at once. Credentials are used
 * while more than S3_CREDS_MIN_VALID seconds remain: when a refresh fails
 * they go on being served, and the next attempt waits
 * S3_CREDS_RETRY_VALID seconds; with nothing usable, an attempt fails at
 * most every S3_CREDS_RETRY_NONE seconds (in between, the same failure is
 * answered at once without any I/O). One refresh at a time: a re-entrant
 * call during a refresh gets the current credentials or S3_ERR_NOCREDS.
 * The clock is a parameter, so tests move time by hand.
 *
 * Messages (why) name each source tried and why it failed, e.g.
 *   env: AWS_ACCESS_KEY_ID not set; file: /root/.aws/credentials and
 *   /root/.aws/config not found; container: not configured; imds: disabled
 *   by AWS_EC2_METADATA_DISABLED
 * They never contain a key, token or answer body: only variable names,
 * paths, profile names, HTTP statuses and fixed text.
 *
 * Secrets are wiped with OPENSSL_cleanse wherever they were held (cache,
 * file buffers, HTTP bodies, JSON trees, process output). Not thread-safe:
 * one chain per process (or per thread), as sign_s3's workers are
 * single-threaded. */
#ifndef SIGN_S3_CREDS_H
#define SIGN_S3_CREDS_H

#include <stddef.h>
#include <time.h>
#include "config.h"
#include "err.h"
#include "http.h"
#include "sigv4.h"

/* Timing (seconds unless stated). */
#define S3_CREDS_REFRESH_EARLY      300     /* refresh at least this early */
#define S3_CREDS_JITTER_MAX         300     /* plus 0..this, once per process */
#define S3_CREDS_MIN_VALID          60      /* less left: not used */
#define S3_CREDS_RETRY_VALID        30      /* failed refresh, old ones still valid */
#define S3_CREDS_RETRY_NONE         5       /* failure with nothing usable */
#define S3_CREDS_PROCESS_TIMEOUT_MS 10000   /* credential_process is killed after */
#define S3_CREDS_IMDS_TOKEN_TTL     21600   /* IMDSv2 session token lifetime asked */

/* Limits (bytes). */
#define S3_CREDS_WHY_MAX            640     /* suggested size of why */
#define S3_CREDS_ERRMAX             160     /* suggested size of s3_creds_new's err */
#define S3_CREDS_MAX_FILE           (256 * 1024)   /* a credentials / config file */
#define S3_CREDS_MAX_PATH           1024
#define S3_CREDS_MAX_PROFILE        128
#define S3_CREDS_MAX_PROCESS_CMD    4096
#define S3_CREDS_MAX_PROCESS_OUT    (64 * 1024)
#define S3_CREDS_MAX_AUTH_TOKEN     8192    /* container authorization token */
#define S3_CREDS_MAX_IMDS_TOKEN     1024
#define S3_CREDS_MAX_ROLE           64      /* IAM role name */

/* Defaults of the metadata endpoints; each has an ENDPOINT override:
 * S3_CONTAINER_ENDPOINT, AWS_EC2_METADATA_SERVICE_ENDPOINT (see above). */
#define S3_CREDS_CONTAINER_ENDPOINT "http://169.254.170.2"
#define S3_CREDS_IMDS_ENDPOINT      "http://169.254.169.254"
#define S3_CREDS_IMDS_ENDPOINT_V6   "http://[fd00:ec2::254]"

/* One set of credentials, owned. session_token is "" when none. */
struct s3_cred_value {
	char access_key[SIGV4_MAX_ACCESS_KEY + 1];
	char secret_key[SIGV4_MAX_SECRET + 1];
	char session_token[SIGV4_MAX_TOKEN + 1];
	time_t expiration;         /* 0: does not expire */
	const char *source;        /* "env", "file", "process", "container", "imds" */
};

struct s3_creds_opts {
	/* The "env" source: config's static keys (NULL when not set); copied. */
	const char *access_key;
	const char *secret_key;
	const char *session_token;
	/* "env", "file", "container", "imds", "chain" or "" (chain); NULL:
	 * S3_CREDENTIALS through get. */
	const char *mode;
	/* Every other variable (AWS_PROFILE, HOME, AWS_CONTAINER_*, ...);
	 * NULL: s3_config_getenv. Looked up when a source is tried. */
	s3_lookup_fn get;
	void *ctx;
	/* Outbound HTTP; NULL: s3_http_curl. */
	s3_http_fn http;
	void *http_ctx;
	/* Tests: fixed_jitter pins the jitter; process_timeout_ms (0: default)
	 * shortens credential_process's limit. */
	int fixed_jitter;
	unsigned jitter;
	long process_timeout_ms;
};

struct s3_creds_chain;

/* Creates the per-process chain; nothing is fetched yet. S3_ERR_CONFIG
 * with a message in err naming the variable for a bad S3_CREDENTIALS or
 * static key, S3_ERR_NOMEM. */
enum s3_err s3_creds_new(struct s3_creds_chain **chain,
                         const struct s3_creds_opts *opts,
                         char *err, size_t errcap);

/* Credentials usable at now, fetching or refreshing them when due. out's
 * strings point into the chain (session_token NULL when none) and stay
 * valid until the next s3_creds_get or s3_creds_free; *expiration (may be
 * NULL) is 0 for credentials that do not expire.
 * Returns S3_OK with why "" normally, or S3_OK with why saying that a
 * refresh failed and the current credentials are kept (worth a log line);
 * S3_ERR_NOCREDS with why listing every source tried; S3_ERR_NOMEM. */
enum s3_err s3_creds_get(struct s3_creds_chain *chain, time_t now,
                         struct s3_creds *out, time_t *expiration,
                         char *why, size_t whycap);

/* What the chain may reach, decided from its mode, its static keys and the
 * variables (for the sandbox, sandbox.h): S3_CREDS_REACH_PROCESS when the
 * file source may be asked (S3_CREDENTIALS file, or chain without static
 * keys: a credential_process may have to run), S3_CREDS_REACH_NET when
 * container or imds may be (S3_CREDENTIALS container or imds, or chain
 * without static keys unless neither AWS_CONTAINER_CREDENTIALS_*_URI is
 * set and AWS_EC2_METADATA_DISABLED is true). */
#define S3_CREDS_REACH_PROCESS 1u
#define S3_CREDS_REACH_NET     2u
unsigned s3_creds_reach(const struct s3_creds_chain *chain);

/* The source of the credentials last returned ("env", ...), or NULL. */
const char *s3_creds_source(const struct s3_creds_chain *chain);

/* When the credentials last returned expire; 0 when they do not, or when
 * there are none (s3_creds_source NULL). Nothing is fetched. */
time_t s3_creds_expiration(const struct s3_creds_chain *chain);

/* Wipes and frees everything (NULL is fine). */
void s3_creds_free(struct s3_creds_chain *chain);

/* ---- helpers, public for the callers and the tests ----------------- */

/* A presigned URL's lifetime for credentials expiring at expiration: want,
 * or less so the URL never outlives them; 0 when they have expired.
 * expiration 0 (never) gives want. */
unsigned s3_creds_clamp_expires(unsigned want, time_t now, time_t expiration);

/* When a refresh of credentials expiring at expiration is due. */
time_t s3_creds_refresh_at(time_t expiration, unsigned jitter);

/* The JSON answers of the sources. */
enum s3_creds_json {
	S3_CREDS_JSON_PROCESS,     /* Version 1; SessionToken, Expiration optional */
	S3_CREDS_JSON_CONTAINER,   /* Token, Expiration required */
	S3_CREDS_JSON_IMDS,        /* as container, plus Code "Success" */
};

/* Parses and checks one answer into out (source left unset). S3_ERR_INVAL
 * with why (no value echoed) when malformed. */
enum s3_err s3_creds_parse_json(const char *body, size_t len,
                                enum s3_creds_json kind,
                                struct s3_cred_value *out,
                                char *why, size_t whycap);

/* Wipes v with OPENSSL_cleanse. */
void s3_cred_value_wipe(struct s3_cred_value *v);

#endif
