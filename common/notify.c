/* notify.c - the signed notification of a verified upload (notify.h). */
#include "notify.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sigv4.h"

enum s3_err s3_notify_signature(const char *secret, const char *body, size_t n,
                                char sig[S3_NOTIFY_SIG_MAX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	struct sigv4_cache k;
	enum s3_err e;

	sig[0] = '\0';
	if (!secret)
		return S3_ERR_INVAL;
	if ((e = sigv4_cache_init(&k)))
		return e;
	e = sigv4_hmac(&k, secret, strlen(secret), body, body ? n : 0, md);
	sigv4_cache_clear(&k);
	if (!e) {
		memcpy(sig, "sha256=", 7);
		for (size_t i = 0; i < 32; i++) {
			sig[7 + 2 * i] = digits[md[i] >> 4];
			sig[8 + 2 * i] = digits[md[i] & 15];
		}
		sig[S3_NOTIFY_SIG_MAX] = '\0';
	}
	OPENSSL_cleanse(md, sizeof md);
	return e;
}

enum s3_err s3_notify_send(s3_http_fn http, void *ctx, const char *url, const char *secret,
                           unsigned timeout_ms, const char *body, size_t n, long *status,
                           char *why, size_t whycap)
{
	char sig[S3_NOTIFY_SIG_MAX + 1], msg[S3_HTTP_WHY_MAX];
	struct s3_http_header h[2] = {
		{ "Content-Type", "application/json" }, { S3_NOTIFY_HEADER, sig },
	};
	struct s3_http_request rq = {
		.method = "POST", .url = url, .headers = h, .nheaders = 2,
		.connect_timeout_ms = (long)timeout_ms, .timeout_ms = (long)timeout_ms,
		.body = body, .body_len = n, .max_body = 4096,
	};
	struct s3_http_response rs;
	enum s3_err e;

	*status = 0;
	if ((e = s3_notify_signature(secret, body, n, sig))) {
		snprintf(why, whycap, "notify: signing failed");
		return e;
	}
	if (!http)
		http = s3_http_curl;
	memset(&rs, 0, sizeof rs);
	msg[0] = '\0';
	e = http(ctx, &rq, &rs, msg, sizeof msg);
	OPENSSL_cleanse(sig, sizeof sig);
	if (e) {
		/* an answer over the body limit still says the status */
		snprintf(why, whycap, "notify: %s", msg[0] ? msg : s3_strerror(e));
		return e;
	}
	*status = rs.status;
	s3_http_response_free(&rs);
	if (*status < 200 || *status > 299) {
		snprintf(why, whycap, "notify: the application answered HTTP %ld", *status);
		return S3_ERR_REMOTE;
	}
	return S3_OK;
}
