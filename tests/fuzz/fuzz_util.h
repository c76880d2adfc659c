/* fuzz_util.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Each target is one fuzz_*.c file with LLVMFuzzerTestOneInput; a broken
 * invariant prints what was wrong and aborts, which libFuzzer records as a
 * crash (the input is saved as crash-<sha1>). The checks here are written
 * independently of common/ (a bug shared by the code and its check would
 * hide itself). */
#ifndef SIGN_S3_FUZZ_UTIL_H
#define SIGN_S3_FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <strings.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

__attribute__((noreturn, format(printf, 3, 4)))
static void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nINVARIANT BROKEN at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, ...) do { if (!(cond)) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* A malloc'd copy of d[0..n) with no terminator: reading past it trips ASan. */
static inline char *fuzz_dup_exact(const uint8_t *d, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (!p)
		abort();
	if (n)
		memcpy(p, d, n);
	return p;
}

/* A malloc'd NUL-terminated copy of d[0..n) (embedded NULs stay: a C string
 * reader stops at the first). */
static inline char *fuzz_strndup(const uint8_t *d, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	if (n)
		memcpy(p, d, n);
	p[n] = '\0';
	return p;
}

/* Strict RFC 3629 decoding, written out from the table in RFC 3629 section
 * 4: returns the length (1-4) and the code point, or 0 when invalid. */
static inline size_t ref_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b0;

	if (n == 0)
		return 0;
	b0 = s[0];
	if (b0 <= 0x7F) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		if (n < 2 || s[1] < 0x80 || s[1] > 0xBF)
			return 0;
		*cp = (uint32_t)(b0 & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if (b0 >= 0xE0 && b0 <= 0xEF) {
		unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
		unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;

		if (n < 3 || s[1] < lo || s[1] > hi || s[2] < 0x80 || s[2] > 0xBF)
			return 0;
		*cp = (uint32_t)(b0 & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	if (b0 >= 0xF0 && b0 <= 0xF4) {
		unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
		unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;

		if (n < 4 || s[1] < lo || s[1] > hi || s[2] < 0x80 || s[2] > 0xBF ||
		    s[3] < 0x80 || s[3] > 0xBF)
			return 0;
		*cp = (uint32_t)(b0 & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		return 4;
	}
	return 0;
}

static inline int ref_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = ref_utf8_next(u + i, n - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* 1 when the message is a short client-safe line: printable ASCII only. */
static inline int fuzz_msg_ok(const char *m, size_t cap)
{
	size_t n = strnlen(m, cap);

	if (n == cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] > 0x7E)
			return 0;
	return 1;
}

/* An anonymous in-memory file and a path that opens it ("/proc/self/fd/N"):
 * the parsers that take a path read the input from there, no disk I/O. */
struct fuzz_memfile {
	int fd;
	char path[64];
};

static inline void fuzz_memfile_init(struct fuzz_memfile *m, const char *name)
{
	m->fd = memfd_create(name, 0);
	if (m->fd < 0) {
		perror("memfd_create");
		abort();
	}
	/* a memfd is made mode 0777; the configuration's reader refuses a file
	 * writable by group or others (settings.h), so make it the owner's */
	if (fchmod(m->fd, 0600) != 0) {
		perror("fchmod");
		abort();
	}
	snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
}

static inline void fuzz_memfile_set(struct fuzz_memfile *m, const uint8_t *d, size_t n)
{
	size_t off = 0;

	if (ftruncate(m->fd, 0) != 0)
		abort();
	while (off < n) {
		ssize_t k = pwrite(m->fd, d + off, n - off, (off_t)off);

		if (k <= 0)
			abort();
		off += (size_t)k;
	}
}

#endif
