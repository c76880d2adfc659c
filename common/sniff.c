/* sniff.c - libmagic behind sniff.h. */
#include "sniff.h"

#include <limits.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "policy.h"

struct s3_sniff {
	magic_t m;
};

#define SNIFF_BESIDE_EXE "magic.mgc"

/* No decompression (MAGIC_COMPRESS off by default): a head is at most
 * S3_SNIFF_HEAD_MAX bytes and is looked at as it is. */
#define SNIFF_FLAGS (MAGIC_MIME_TYPE | MAGIC_ERROR)

/* SNIFF_BESIDE_EXE in the directory of this executable, into buf; 0 when
 * that cannot be made. */
static int beside_exe(char *buf, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return 0;
	slash[1] = '\0';
	n = snprintf(buf, cap, "%s%s", exe, SNIFF_BESIDE_EXE);
	return n > 0 && (size_t)n < cap;
}

/* A magic_t with the database at path (NULL: libmagic's default) loaded,
 * or NULL and why filled. libmagic "loads" a missing magic.mgc without an
 * error when it finds a text database (or none) instead, so a database
 * counts as loaded only when it knows a PNG signature. */
static magic_t load(const char *path, char *why, size_t whycap)
{
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	};
	magic_t m = magic_open(SNIFF_FLAGS);
	const char *t, *e;

	if (!m) {
		snprintf(why, whycap, "libmagic: magic_open failed");
		return NULL;
	}
	if (magic_load(m, path) != 0) {
		e = magic_error(m);
		snprintf(why, whycap, "libmagic: cannot load %s: %s", path ? path : "its database",
		         e ? e : "unknown error");
	} else if (!(t = magic_buffer(m, png, sizeof png)) || strcmp(t, "image/png")) {
		snprintf(why, whycap, "libmagic: cannot load %s: it does not know a PNG "
		         "(Debian: apt-get install libmagic-mgc)", path ? path : "its database");
	} else {
		return m;
	}
	magic_close(m);
	return NULL;
}

enum s3_err s3_sniff_open(struct s3_sniff **out, const char *path, char *why,
                          size_t whycap)
{
	char local[PATH_MAX], first[S3_SNIFF_WHY_MAX];
	struct s3_sniff *s;

	*out = NULL;
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(why, whycap, "libmagic: out of memory");
		return S3_ERR_NOMEM;
	}
	s->m = load(path, why, whycap);
	/* a bundle (make cgi-bundle) carries its own beside the binary */
	if (!s->m && !path && beside_exe(local, sizeof local) && access(local, R_OK) == 0) {
		snprintf(first, sizeof first, "%s", why);
		if (!(s->m = load(local, why, whycap)))
			snprintf(why, whycap, "%s", first);
	}
	if (!s->m) {
		free(s);
		return S3_ERR_IO;
	}
	*out = s;
	return S3_OK;
}

enum s3_err s3_sniff_type(struct s3_sniff *s, const void *buf, size_t len,
                          char type[S3_SNIFF_TYPE_MAX + 1])
{
	static const char empty[1];
	const char *t;

	strcpy(type, S3_MIME_DEFAULT);
	if (!s)
		return S3_ERR_INVAL;
	t = magic_buffer(s->m, len ? buf : empty, len);
	if (!t || s3_mime_type_check(t, strlen(t)) != S3_OK ||
	    !s3_type_base(t, strlen(t), type, S3_SNIFF_TYPE_MAX + 1))
		strcpy(type, S3_MIME_DEFAULT);
	return S3_OK;
}

void s3_sniff_close(struct s3_sniff *s)
{
	if (!s)
		return;
	magic_close(s->m);
	free(s);
}
