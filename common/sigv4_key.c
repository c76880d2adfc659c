/* sigv4_key.c - what both signing styles (sigv4.c, sigv4_header.c) compute
 * with OpenSSL: SHA-256 of the canonical request, the derived signing key
 * (stage 4, kept in the cache per secret, date, region and service), the
 * signature (stage 5), and the one HMAC-SHA256 of sign_s3 (sigv4_hmac); the
 * cache's contexts, fetched once (sigv4.h). */
#include "sigv4.h"
#include "sigv4_int.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SCOPE_TERM SIGV4_SCOPE_TERM

/* ---- hashing helpers --------------------------------------------------- */

static void hex32(char *out, const unsigned char *in)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[64] = '\0';
}

enum s3_err sigv4__sha256_hex(struct sigv4_cache *k, const char *s, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_DigestInit_ex(k->mdctx, k->md, NULL) ||
	    !EVP_DigestUpdate(k->mdctx, s, n) ||
	    !EVP_DigestFinal_ex(k->mdctx, md, &mdlen) || mdlen != 32)
		return S3_ERR_CRYPTO;
	hex32(hex, md);
	return S3_OK;
}

/* ---- stages 4 and 5: HMAC-SHA256 -------------------------------------- */

/* out = HMAC-SHA256(key, msg) with the cache's context, the one HMAC of
 * sign_s3. key NULL: the key the context was last given (its padded
 * blocks are kept, so a signature with the cached key hashes the message
 * only). */
static enum s3_err hmac(struct sigv4_cache *k, const unsigned char *key, size_t klen,
                        const char *msg, size_t len, unsigned char out[32])
{
	size_t olen = 0;

	if (!EVP_MAC_init(k->mac, key, klen, NULL) ||
	    !EVP_MAC_update(k->mac, (const unsigned char *)msg, len) ||
	    !EVP_MAC_final(k->mac, out, &olen, 32) || olen != 32)
		return S3_ERR_CRYPTO;
	return S3_OK;
}

enum s3_err sigv4_hmac(struct sigv4_cache *k, const void *key, size_t klen,
                       const void *msg, size_t len, unsigned char out[32])
{
	if (!k || !k->mac || !key || (!msg && len))
		return S3_ERR_INVAL;
	k->valid = 0;   /* the context no longer holds the signing key */
	return hmac(k, key, klen, msg ? msg : "", len, out);
}

/* kSigning for (secret, date8, region, service) into k->key, the context
 * left keyed with it. */
static enum s3_err derive_key(struct sigv4_cache *k, const char *secret, size_t slen,
                              const char *date8, const char *region, const char *service)
{
	unsigned char s[SIGV4_MAX_SECRET + 4], a[32], b[32];
	enum s3_err e;

	memcpy(s, "AWS4", 4);
	memcpy(s + 4, secret, slen);
	if ((e = hmac(k, s, slen + 4, date8, 8, a)) ||
	    (e = hmac(k, a, 32, region, strlen(region), b)) ||
	    (e = hmac(k, b, 32, service, strlen(service), a)) ||
	    (e = hmac(k, a, 32, SCOPE_TERM, strlen(SCOPE_TERM), k->key)))
		goto fail;
	if (!EVP_MAC_init(k->mac, k->key, 32, NULL))
		e = S3_ERR_CRYPTO;
fail:
	OPENSSL_cleanse(s, sizeof s);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	return e;
}

enum s3_err sigv4_signing_key(struct sigv4_cache *k, const char *secret,
                              const char *date8, const char *region,
                              const char *service)
{
	size_t slen;
	enum s3_err e;

	if (!k || !k->mac || !secret || !date8 || strlen(date8) != 8 || !region || !service)
		return S3_ERR_INVAL;
	slen = strlen(secret);
	if (k->valid && memcmp(k->date8, date8, 8) == 0 &&
	    strcmp(k->region, region) == 0 && strcmp(k->service, service) == 0 &&
	    strlen(k->secret) == slen && CRYPTO_memcmp(k->secret, secret, slen) == 0)
		return S3_OK;   /* the four were checked when they were stored */

	k->valid = 0;
	if (!sigv4__label(region, SIGV4_MAX_REGION) || !sigv4__label(service, SIGV4_MAX_SERVICE))
		return S3_ERR_INVAL;
	if (slen > SIGV4_MAX_SECRET)
		return S3_ERR_TOOLONG;
	if ((e = derive_key(k, secret, slen, date8, region, service))) {
		OPENSSL_cleanse(k->key, sizeof k->key);
		return e;
	}
	memcpy(k->date8, date8, 9);
	strcpy(k->region, region);       /* lengths checked above */
	strcpy(k->service, service);
	OPENSSL_cleanse(k->secret, sizeof k->secret);
	memcpy(k->secret, secret, slen + 1);
	k->valid = 1;
	return S3_OK;
}

enum s3_err sigv4_signature(char hex[65], struct sigv4_cache *k, const char *sts, size_t len)
{
	unsigned char md[32];
	enum s3_err e;

	if (!k || !k->valid || !sts)
		return S3_ERR_INVAL;
	if ((e = hmac(k, NULL, 0, sts, len, md)))
		return e;
	hex32(hex, md);
	return S3_OK;
}

/* ---- the cache --------------------------------------------------------- */

enum s3_err sigv4_cache_init(struct sigv4_cache *k)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	memset(k, 0, sizeof *k);
	k->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	k->mdctx = EVP_MD_CTX_new();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	k->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);   /* the context holds its own reference */
	if (!k->md || !k->mdctx || !k->mac || !EVP_MAC_CTX_set_params(k->mac, params)) {
		sigv4_cache_clear(k);
		return S3_ERR_CRYPTO;
	}
	return S3_OK;
}

void sigv4_cache_clear(struct sigv4_cache *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->mac);
	EVP_MD_CTX_free(k->mdctx);
	EVP_MD_free(k->md);
	OPENSSL_cleanse(k, sizeof *k);
}

/* ---- the cache of a call ------------------------------------------------ */

enum s3_err sigv4__cache_get(struct sigv4_cache *cache, struct sigv4_cache *local,
                             struct sigv4_cache **k)
{
	enum s3_err e;

	if (cache) {
		if (!cache->mac && (e = sigv4_cache_init(cache)))
			return e;
		*k = cache;
		return S3_OK;
	}
	if ((e = sigv4_cache_init(local)))
		return e;
	*k = local;
	return S3_OK;
}

void sigv4__cache_done(struct sigv4_cache *k, struct sigv4_cache *local)
{
	if (k == local)
		sigv4_cache_clear(local);
}
