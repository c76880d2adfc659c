/* uuid.c - version 4 UUIDs; see uuid.h. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>
#include "uuid.h"

/* Random bytes drawn S3_UUID_POOL UUIDs at a time: one RAND_bytes call
 * costs about as much as the rest of a UUID, and a FastCGI worker makes
 * one per request. Bytes are wiped as they are used; a pool inherited
 * through fork() is thrown away (checked by pid), so two processes never
 * hand out the same bytes. */
static unsigned char pool[S3_UUID_POOL * 16];
static size_t pool_left;        /* unused bytes, at the end of pool */
static pid_t pool_pid;

void s3_uuid_format(const unsigned char raw[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		unsigned char b = raw[i];

		if (i == 6)
			b = (unsigned char)((b & 0x0F) | 0x40);
		else if (i == 8)
			b = (unsigned char)((b & 0x3F) | 0x80);
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b >> 4];
		out[o++] = hex[b & 0x0F];
	}
	out[o] = '\0';
}

enum s3_err s3_uuid_v4(char out[37])
{
	pid_t pid = getpid();
	unsigned char *raw;

	out[0] = '\0';
	if (pool_pid != pid) {
		OPENSSL_cleanse(pool, sizeof pool);
		pool_left = 0;
		pool_pid = pid;
	}
	if (pool_left < 16) {
		if (RAND_bytes(pool, sizeof pool) != 1) {
			OPENSSL_cleanse(pool, sizeof pool);
			pool_left = 0;
			return S3_ERR_CRYPTO;
		}
		pool_left = sizeof pool;
	}
	raw = pool + sizeof pool - pool_left;
	s3_uuid_format(raw, out);
	OPENSSL_cleanse(raw, 16);
	pool_left -= 16;
	return S3_OK;
}
