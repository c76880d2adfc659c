/* uri.c - S3/SigV4 URI encoding (see uri.h). */
#include "uri.h"

static const char hexdig[] = "0123456789ABCDEF";

/* 1 for A-Z a-z 0-9 - _ . ~ */
static const unsigned char unreserved[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static inline int kept(unsigned char c, int keep_slash)
{
	return unreserved[c] || (keep_slash && c == '/');
}

size_t uri_encoded_len(const char *s, size_t n, int keep_slash)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++)
		out += kept((unsigned char)s[i], keep_slash) ? 1 : 3;
	return out;
}

static char *encode_to(char *w, const char *s, size_t n, int keep_slash)
{
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
	return w;
}

void uri_encode(struct sbuf *b, const char *s, size_t n, int keep_slash)
{
	size_t room;
	char *end;

	if (b->overflow)
		return;
	room = b->cap - b->len;
	/* the worst case (3 bytes a byte) fits: one pass, no counting */
	if (n < room / 3) {
		end = encode_to(b->p + b->len, s, n, keep_slash);
	} else {
		if (uri_encoded_len(s, n, keep_slash) >= room) {
			b->overflow = 1;
			return;
		}
		end = encode_to(b->p + b->len, s, n, keep_slash);
	}
	*end = '\0';
	b->len = (size_t)(end - b->p);
}
