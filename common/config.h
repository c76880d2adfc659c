/* config.h - sign_s3's configuration, read once at start.
 *
 * Values come from a lookup function (the process environment in
 * production, a table in tests) and from an optional file (settings.h:
 * SIGN_S3_CONFIG, else ~/.config/sign_s3/sign_s3.conf or
 * /etc/sign_s3/sign_s3.conf): lines NAME=value, '#' comments, blank lines;
 * the lookup (environment) wins over the file. Every bad value is refused with a
 * message naming the variable; values are never echoed (some are secrets).
 *
 *  name                    default      meaning
 *  S3_BUCKET               (required)   bucket name
 *  S3_REGION               see below    else AWS_REGION, AWS_DEFAULT_REGION, us-east-1
 *  AWS_ACCESS_KEY_ID       -            static credentials (both or neither)
 *  AWS_SECRET_ACCESS_KEY   -
 *  AWS_SESSION_TOKEN       -            with temporary credentials
 *  S3_ENDPOINT             AWS          http[s]://host[:port] of an S3-compatible store
 *  S3_PATH_STYLE           auto         1 path-style, 0 virtual-hosted
 *  S3_KEY_PREFIX           uploads/     prefix of every key; may hold {user} (policy.h)
 *  S3_EXPIRES              60           URL lifetime, 1..604800 s
 *  S3_ACL                  none         canned ACL, signed as x-amz-acl
 *  S3_PUBLIC_URL           -            base of the `url` field (e.g. a CDN)
 *  S3_MAX_BODY             16384        request body limit, bytes
 *  S3_REQUEST_TIMEOUT      5            FastCGI: seconds from accept to the end of
 *                                       the request body, 1..300 (fcgi_conn.h)
 *  S3_LOG_REQUESTS         0            1: one log line per signed request
 *  S3_REQUIRE_USER         0            1: refuse (401) unless REMOTE_USER is set
 *  S3_ALLOWED_TYPES        any          comma list of type/subtype, type/<*>, <*>/<*>
 *  S3_REQUIRE_FILE_HEAD    0            1: file_head is mandatory (400)
 *  S3_MAX_NAME_BYTES       255          longest sanitized file name, 1..255 bytes
 *  S3_MAGIC_FILE           libmagic's   absolute path of libmagic's compiled database
 *                                       (magic.mgc) for file_head sniffing (sniff.h)
 *  S3_ACTIVE_TYPES         attachment   active content (s3_type_active, policy.h):
 *                                       attachment (signed with Content-Disposition:
 *                                       attachment), refuse (415) or allow
 *  S3_MULTIPART            1            1: the multipart routes (cgi/route.h), which call
 *                                       S3 (the sandbox then allows INET sockets); 0: off
 *  S3_PART_EXPIRES         600          a part URL's lifetime, 1..604800 s (Uppy 5
 *                                       also times a part's PUT out after it)
 *  S3_MAX_PARTS            10000        highest part number signed, 1..10000
 *  S3_MAX_FILE_SIZE        none         bytes, 1..5 TiB: the POST form's
 *                                       content-length-range, and multipart uploads
 *                                       over it are aborted at complete (413)
 *  S3_MIN_FILE_SIZE        none         bytes, 1..5 TiB: a single PUT's file_size
 *                                       (then required) may not be smaller (400)
 *  S3_REQUIRE_MD5          0            1: a single PUT needs file_md5 (400)
 *  S3_METADATA_FIELDS      none         comma list of metadata names kept as x-amz-meta-*
 *  S3_SIMPLE_UPLOAD        put          /s3/params answers a presigned put, or a post form
 *  S3_DELETE_REJECTED      1            verify (cgi/verify.h) deletes an object it rejects
 *  S3_NOTIFY_URL           -            http(s) URL verify POSTs a passed object to
 *                                       (common/notify.h); needs S3_NOTIFY_SECRET
 *  S3_NOTIFY_SECRET        -            its HMAC-SHA256 key, 16..1024 bytes (a secret)
 *  S3_NOTIFY_TIMEOUT       2000         the notification's limit, 100..3000 ms
 *  S3_STATUS               0            1: GET /api/sign_s3/status, the status page
 *                                       (cgi/stats.h); 0: that path is 404
 *  S3_CORS_ORIGINS         none         comma list of web origins (http[s]://host[:port])
 *                                       whose CORS `sign_s3 doctor` checks; the
 *                                       responder itself does not read it
 * ({user} without S3_REQUIRE_USER=1 is refused, naming S3_KEY_PREFIX.)
 */
#ifndef SIGN_S3_CONFIG_H
#define SIGN_S3_CONFIG_H

#include <stddef.h>
#include "err.h"
#include "presign.h"

#define S3_CONFIG_MAX_FILE      65536   /* bytes in a SIGN_S3_CONFIG file */
#define S3_CONFIG_MAX_LINE      16384   /* bytes in one line of it */
#define S3_CONFIG_MAX_PREFIX    512     /* S3_KEY_PREFIX bytes */
#define S3_CONFIG_MAX_PUBLIC    1024    /* S3_PUBLIC_URL bytes */
#define S3_CONFIG_MAX_PATH      4096    /* S3_MAGIC_FILE bytes */
#define S3_CONFIG_DEFAULT_BODY  16384
#define S3_CONFIG_MAX_BODY_MAX  (1024 * 1024)
#define S3_CONFIG_DEFAULT_REQUEST_TIMEOUT 5     /* seconds */
#define S3_CONFIG_MAX_REQUEST_TIMEOUT     300
#define S3_CONFIG_ERRMAX        256     /* suggested size of errmsg */
#define S3_CONFIG_MAX_PARTS_MAX 10000   /* S3's highest part number */
#define S3_CONFIG_MAX_FILE_SIZE_MAX 5497558138880ULL   /* 5 TiB, S3's largest object */
#define S3_META_FIELDS_MAX      32      /* names in S3_METADATA_FIELDS */
#define S3_META_NAME_MAX        64      /* bytes of one */
#define S3_CONFIG_MAX_NOTIFY_SECRET 1024  /* S3_NOTIFY_SECRET bytes */
#define S3_CONFIG_MAX_NOTIFY_TIMEOUT 3000 /* ms: S3_HTTP_TIMEOUT_MS, http.h */
#define S3_CORS_ORIGINS_MAX     16      /* origins in S3_CORS_ORIGINS */
#define S3_CONFIG_MAX_CORS_ORIGINS 2048 /* bytes of them, normalized and joined */

/* S3_SIMPLE_UPLOAD: what /s3/params answers. */
enum { S3_SIMPLE_PUT = 0, S3_SIMPLE_POST = 1 };

/* S3_ACTIVE_TYPES: what becomes of a type a browser renders or runs. */
enum s3_active {
	S3_ACTIVE_ATTACHMENT = 0,   /* signed with Content-Disposition: attachment */
	S3_ACTIVE_REFUSE,           /* 415 */
	S3_ACTIVE_ALLOW,            /* signed as any other type */
};

struct s3_config {
	char *bucket;
	char *region;
	char *endpoint;        /* NULL: AWS; normalized: no trailing '/', no default port */
	int   endpoint_https;  /* 1 for https:// (or AWS) */
	enum s3_style style;   /* from S3_PATH_STYLE; AUTO when unset */
	char *key_prefix;      /* never NULL, may be "" */
	unsigned expires;
	char *acl;             /* NULL: none */
	char *public_url;      /* NULL: none; no trailing '/' */
	size_t max_body;
	unsigned request_timeout;  /* S3_REQUEST_TIMEOUT, seconds */
	int log_requests;
	int require_user;      /* S3_REQUIRE_USER */
	char *allowed_types;   /* NULL: any; else normalized (policy.h) */
	int require_file_head; /* S3_REQUIRE_FILE_HEAD */
	size_t max_name_bytes; /* S3_MAX_NAME_BYTES, 1..S3_FILENAME_MAX */
	char *magic_file;      /* S3_MAGIC_FILE; NULL: libmagic's default (sniff.h) */
	enum s3_active active_types;   /* S3_ACTIVE_TYPES */
	int multipart;         /* S3_MULTIPART */
	unsigned max_parts;    /* S3_MAX_PARTS */
	unsigned part_expires; /* S3_PART_EXPIRES, seconds */
	unsigned long long max_file_size;   /* S3_MAX_FILE_SIZE; 0: none */
	unsigned long long min_file_size;   /* S3_MIN_FILE_SIZE; 0: none */
	int require_md5;       /* S3_REQUIRE_MD5 */
	char *metadata_fields; /* S3_METADATA_FIELDS normalized ("a,b"); NULL: none */
	int simple_upload;     /* S3_SIMPLE_UPLOAD: S3_SIMPLE_PUT or _POST */
	int delete_rejected;   /* S3_DELETE_REJECTED */
	char *notify_url;      /* S3_NOTIFY_URL; NULL: none */
	char *notify_secret;   /* S3_NOTIFY_SECRET (a secret: wiped on free) */
	unsigned notify_timeout_ms;   /* S3_NOTIFY_TIMEOUT */
	int status_page;       /* S3_STATUS */
	char *cors_origins;    /* S3_CORS_ORIGINS normalized ("a,b"); NULL: none */
	/* static credentials; NULL when not configured (secrets: wiped on free) */
	char *access_key;
	char *secret_key;
	char *session_token;
};

/* Returns the value of name, or NULL when unset. */
typedef const char *(*s3_lookup_fn)(void *ctx, const char *name);

/* The process environment as an s3_lookup_fn (ctx unused). */
const char *s3_config_getenv(void *ctx, const char *name);

/* Loads and validates. get is the environment: the file is then only the
 * one SIGN_S3_CONFIG names (no search: tests stay apart from the machine's
 * files), held to settings.h's ownership rule for geteuid(). Or get is
 * s3_settings_get with ctx a struct s3_settings already opened (main,
 * cli.c: the search of settings.h done). On failure returns S3_ERR_CONFIG
 * (or S3_ERR_NOMEM, S3_ERR_IO for an unreadable file) and writes one line
 * naming the variable (or the file and line number) to errmsg; cfg is then
 * left empty. */
enum s3_err s3_config_load(struct s3_config *cfg, s3_lookup_fn get, void *ctx,
                           char *errmsg, size_t errcap);

/* 1 when name is one of the table's names (a configuration file may set it). */
int s3_config_known(const char *name);

/* Frees every field, wiping the secrets with OPENSSL_cleanse. */
void s3_config_free(struct s3_config *cfg);

/* 1 when the comma list list[0..len) holds name[0..n) exactly. */
int s3_list_has(const char *list, size_t len, const char *name, size_t n);

/* The target (bucket, region, endpoint, style) as the signer wants it. */
void s3_config_target(const struct s3_config *cfg, struct s3_target *t);

#endif
