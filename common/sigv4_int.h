/* sigv4_int.h - the pieces sigv4.c (query style), sigv4_header.c
 * (Authorization header style) and sigv4_key.c (hash, derived key, HMAC,
 * the cache) share; not an API for anything else. */
#ifndef SIGN_S3_SIGV4_INT_H
#define SIGN_S3_SIGV4_INT_H

#include "sigv4.h"

#define SIGV4_ALGORITHM  "AWS4-HMAC-SHA256"
#define SIGV4_SCOPE_TERM "aws4_request"

int sigv4__label(const char *s, size_t max);       /* region, service */
int sigv4__visible(const char *s, size_t max, int allow_slash);   /* keys, tokens */
int sigv4__method(const char *m);
int sigv4__header_ok(const char *s, size_t max);   /* a signed header's value */
/* The checks both styles make of a request and its credentials: a method
 * SigV4 signs, a host (SIGV4_MAX_HOST), an absolute path, a payload hash,
 * region and service labels; S3_ERR_NOCREDS for a key, secret or token
 * that is not visible ASCII of its length. */
enum s3_err sigv4__check(const char *method, const char *host, const char *path,
                         const char *payload_hash, const char *region, const char *service,
                         const struct s3_creds *c);
/* A header value as SigV4 canonicalizes it: trimmed, inner runs of
 * spaces folded to one. */
void sigv4__header_value(struct sbuf *out, const char *v);
/* A signed header of the canonical request: lowercase name, raw value. */
struct sigv4__hdr {
	const char *name;
	const char *value;
};
/* Stage 2 of both styles: METHOD, path, query, the n headers (sorted by
 * name) "name:value", a blank line, signed_list, payload hash. */
enum s3_err sigv4__canonical(struct sbuf *out, const char *method, const char *path,
                             const char *query, size_t qlen, const struct sigv4__hdr *h,
                             size_t n, const char *signed_list, const char *payload_hash);
enum s3_err sigv4__sha256_hex(struct sigv4_cache *k, const char *s, size_t n, char hex[65]);
enum s3_err sigv4__string_to_sign(struct sbuf *out, const char *region, const char *service,
                                  const char *amz_date, const char *creq_hash);

/* The cache to sign with: cache itself (initialized on first use), or
 * local, initialized here when cache is NULL; sigv4__cache_done then
 * clears local if it was the one used. */
enum s3_err sigv4__cache_get(struct sigv4_cache *cache, struct sigv4_cache *local,
                             struct sigv4_cache **k);
void sigv4__cache_done(struct sigv4_cache *k, struct sigv4_cache *local);

#endif
