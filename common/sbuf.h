/* sbuf.h - append-only string builder over caller-owned storage.
 *
 * No allocation: the caller supplies the array (usually on the stack, sized
 * from a named limit). Appends past the capacity set an overflow flag and
 * are dropped; the caller checks sbuf_ok() once at the end, so a too-long
 * result is refused, never silently truncated. The content is always
 * NUL-terminated. */
#ifndef SIGN_S3_SBUF_H
#define SIGN_S3_SBUF_H

#include <stddef.h>
#include <string.h>

struct sbuf {
	char  *p;
	size_t len;
	size_t cap;      /* bytes in p, including room for the NUL */
	int    overflow;
};

static inline void sbuf_init(struct sbuf *b, char *storage, size_t cap)
{
	b->p = storage;
	b->len = 0;
	b->cap = cap;
	b->overflow = cap == 0;
	if (cap)
		storage[0] = '\0';
}

static inline void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->overflow || n >= b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_addn(b, s, strlen(s));
}

static inline void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_addn(b, &c, 1);
}

static inline int sbuf_ok(const struct sbuf *b)
{
	return !b->overflow;
}

#endif
