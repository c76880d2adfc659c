/* notify.h - telling the application that an upload passed verify
 * (cgi/verify.h): a POST of the verified JSON to S3_NOTIFY_URL, signed
 * with S3_NOTIFY_SECRET as GitHub and Stripe sign their webhooks.
 *
 *   POST S3_NOTIFY_URL
 *   Content-Type: application/json
 *   X-Sign-S3-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed
 *                        with S3_NOTIFY_SECRET>
 *
 * The body carries a "timestamp" member (Unix seconds) inside what is
 * signed, so a receiver can refuse a replayed old notification. It goes
 * out over the outbound client (http.h): no redirects, no proxy, http(s)
 * only, the timeout S3_NOTIFY_TIMEOUT. Meant for the application's own
 * backend on loopback or an internal address. Success is a 2xx answer;
 * anything else (another status, a transport failure) is an error with
 * one line in why naming the status or the transport's cause: never the
 * secret, the signature, the body or the URL. */
#ifndef SIGN_S3_NOTIFY_H
#define SIGN_S3_NOTIFY_H

#include <stddef.h>
#include "err.h"
#include "http.h"

#define S3_NOTIFY_HEADER  "X-Sign-S3-Signature"
#define S3_NOTIFY_SIG_MAX (7 + 64)     /* "sha256=" and 64 hex digits */
#define S3_NOTIFY_WHY_MAX 200

/* "sha256=" + the lowercase hex HMAC-SHA256 of body[0..n) keyed with
 * secret (sigv4_hmac, the one HMAC: OpenSSL's EVP_MAC) into sig. S3_OK,
 * S3_ERR_INVAL (no secret) or S3_ERR_CRYPTO. */
enum s3_err s3_notify_signature(const char *secret, const char *body, size_t n,
                                char sig[S3_NOTIFY_SIG_MAX + 1]);

/* POSTs body[0..n) to url, signed (above), through http (NULL:
 * s3_http_curl) with timeout_ms (0: S3_HTTP_TIMEOUT_MS). S3_OK when the
 * answer is a 2xx; S3_ERR_REMOTE for another status (*status holds it),
 * or the transport's error (*status 0); why says which. */
enum s3_err s3_notify_send(s3_http_fn http, void *ctx, const char *url, const char *secret,
                           unsigned timeout_ms, const char *body, size_t n, long *status,
                           char *why, size_t whycap);

#endif
