/* uuid.c - version 4 UUIDs; see uuid.h. */
#include <openssl/rand.h>
#include "uuid.h"

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
	unsigned char raw[16];

	out[0] = '\0';
	if (RAND_bytes(raw, sizeof raw) != 1)
		return S3_ERR_CRYPTO;
	s3_uuid_format(raw, out);
	return S3_OK;
}
