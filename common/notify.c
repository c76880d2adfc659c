/* notify.c - the signed notification of a verified upload (notify.h). */
#include "notify.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

enum s3_err s3_notify_signature(const char *secret, const char *body, size_t n,
                                char sig[S3_NOTIFY_SIG_MAX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	enum s3_err e = S3_ERR_CRYPTO;

	sig[0] = '\0';
	if (ctx && secret &&
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), p) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)(body ? body : ""), n) == 1 &&
	    EVP_MAC_final(ctx, md, &mdlen, sizeof md) == 1 && mdlen == 32) {
		memcpy(sig, "sha256=", 7);
		for (size_t i = 0; i < 32; i++) {
			sig[7 + 2 * i] = digits[md[i] >> 4];
			sig[8 + 2 * i] = digits[md[i] & 15];
		}
		sig[S3_NOTIFY_SIG_MAX] = '\0';
		e = S3_OK;
	}
	OPENSSL_cleanse(md, sizeof md);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
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
