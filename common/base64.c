/* base64.c - strict base64 decoding (see base64.h). */
#include "base64.h"

/* 0..63 for an alphabet character, -1 otherwise. */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_b64_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum s3_err s3_base64_decode(const char *in, size_t len, unsigned char *out,
                             size_t cap, size_t *outlen)
{
	unsigned long acc = 0;     /* up to 4 sextets */
	size_t n = 0, w = 0, pad = 0;
	int over = 0;
	unsigned char bytes[3];

	*outlen = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (is_b64_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)                   /* data after padding */
			return S3_ERR_INVAL;
		if ((v = b64val(c)) < 0)
			return S3_ERR_INVAL;
		acc = acc << 6 | (unsigned long)v;
		if (++n % 4)
			continue;
		bytes[0] = (unsigned char)(acc >> 16);
		bytes[1] = (unsigned char)(acc >> 8);
		bytes[2] = (unsigned char)acc;
		acc = 0;
		for (int k = 0; k < 3; k++) {
			if (w < cap)
				out[w++] = bytes[k];
			else
				over = 1;
		}
	}
	/* the last, partial group: 2 or 3 characters, then 2 or 1 '=' or none */
	switch (n % 4) {
	case 0:
		if (pad)
			return S3_ERR_INVAL;
		break;
	case 1:
		return S3_ERR_INVAL;
	case 2:                            /* 12 bits: 1 byte, 4 must be zero */
		if ((pad != 0 && pad != 2) || (acc & 0xf))
			return S3_ERR_INVAL;
		bytes[0] = (unsigned char)(acc >> 4);
		if (w < cap)
			out[w++] = bytes[0];
		else
			over = 1;
		break;
	case 3:                            /* 18 bits: 2 bytes, 2 must be zero */
		if ((pad != 0 && pad != 1) || (acc & 0x3))
			return S3_ERR_INVAL;
		bytes[0] = (unsigned char)(acc >> 10);
		bytes[1] = (unsigned char)(acc >> 2);
		for (int k = 0; k < 2; k++) {
			if (w < cap)
				out[w++] = bytes[k];
			else
				over = 1;
		}
		break;
	}
	*outlen = w;
	return over ? S3_ERR_TOOLONG : S3_OK;
}

int s3_base64_md5_ok(const char *s, size_t n)
{
	unsigned char md5[16];
	size_t got = 0;

	return n == 24 && s3_base64_decode(s, n, md5, sizeof md5, &got) == S3_OK && got == 16;
}
