/* uri.c - S3/SigV4 URI encoding (see uri.h). */
#include "uri.h"

static const char hexdig[] = "0123456789ABCDEF";

int uri_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

static int kept(unsigned char c, int keep_slash)
{
	return uri_unreserved(c) || (keep_slash && c == '/');
}

size_t uri_encoded_len(const char *s, size_t n, int keep_slash)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++)
		out += kept((unsigned char)s[i], keep_slash) ? 1 : 3;
	return out;
}

void uri_encode(struct sbuf *b, const char *s, size_t n, int keep_slash)
{
	size_t need = uri_encoded_len(s, n, keep_slash);
	char *w;

	if (b->overflow || need >= b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	w = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (kept(c, keep_slash)) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hexdig[c >> 4];
			*w++ = hexdig[c & 15];
		}
	}
	*w = '\0';
	b->len += need;
}
