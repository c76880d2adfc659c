/* key.c - issued keys and their check (see key.h). */
#include "key.h"
#include "filename.h"
#include "uuid.h"

#include <string.h>

enum s3_err s3_key_make(const char *prefix, size_t plen, const char uuid[37],
                        const char *name, size_t max_key, char *out, size_t cap,
                        size_t *len)
{
	size_t nlen = strlen(name), n = plen + S3_UUID_LEN + 1 + nlen;

	if (n > max_key || n + 1 > cap) {
		if (cap)
			out[0] = '\0';
		return S3_ERR_TOOLONG;
	}
	memcpy(out, prefix, plen);
	memcpy(out + plen, uuid, S3_UUID_LEN);
	out[plen + S3_UUID_LEN] = '/';
	memcpy(out + plen + S3_UUID_LEN + 1, name, nlen + 1);
	*len = n;
	return S3_OK;
}

static int lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int s3_uuid_v4_valid(const char *s, size_t n)
{
	if (n != S3_UUID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!lhex(s[i])) {
			return 0;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

enum s3_err s3_key_check(const char *prefix, size_t plen, const char *key, size_t klen,
                         size_t name_max)
{
	char again[S3_FILENAME_MAX + 1];
	const char *name;
	size_t nlen;

	if (klen < plen + S3_UUID_LEN + 2 || memcmp(key, prefix, plen) ||
	    !s3_uuid_v4_valid(key + plen, S3_UUID_LEN) || key[plen + S3_UUID_LEN] != '/')
		return S3_ERR_INVAL;
	name = key + plen + S3_UUID_LEN + 1;
	nlen = klen - plen - S3_UUID_LEN - 1;
	if (name_max > S3_FILENAME_MAX)
		name_max = S3_FILENAME_MAX;
	if (nlen > name_max || memchr(name, '\0', nlen))
		return S3_ERR_INVAL;
	if (s3_filename_sanitize(name, nlen, name_max, again, sizeof again) ||
	    strlen(again) != nlen || memcmp(again, name, nlen))
		return S3_ERR_INVAL;
	return S3_OK;
}
