/* sniff.c - libmagic behind sniff.h.
 *
 * libmagic (and the compression libraries it pulls in: liblzma, libbz2,
 * libz) is dlopen'ed on first need, as libcurl is (http.c): a CGI request
 * without file_head never loads it. magic.h is used for the types and
 * flags only; the entry points come from dlsym into one table. */
#include "sniff.h"

#include <dlfcn.h>
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

/* The part of libmagic sign_s3 uses. */
static struct {
	void *dl;
	magic_t (*open)(int flags);
	void (*close)(magic_t m);
	int (*load)(magic_t m, const char *path);
	const char *(*buffer)(magic_t m, const void *buf, size_t len);
	const char *(*error)(magic_t m);
} lm;

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym results must fit function pointers (POSIX)");

/* dlopen(S3_SNIFF_LIBMAGIC) once; 0 and why filled when it cannot be had. */
static int libmagic(char *why, size_t whycap)
{
	static const char *const names[] = {
		"magic_open", "magic_close", "magic_load", "magic_buffer", "magic_error",
	};
	void *fn[sizeof names / sizeof *names];
	const char *err;
	void *dl;

	if (lm.dl)
		return 1;
	if (!(dl = dlopen(S3_SNIFF_LIBMAGIC, RTLD_NOW | RTLD_LOCAL))) {
		err = dlerror();
		snprintf(why, whycap, "libmagic not available: %s", err ? err : S3_SNIFF_LIBMAGIC);
		return 0;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		if (!(fn[i] = dlsym(dl, names[i]))) {
			snprintf(why, whycap, "libmagic not available: %s has no %s",
			         S3_SNIFF_LIBMAGIC, names[i]);
			dlclose(dl);
			return 0;
		}
	}
	/* ISO C has no conversion from void * to a function pointer */
	memcpy(&lm.open, &fn[0], sizeof fn[0]);
	memcpy(&lm.close, &fn[1], sizeof fn[1]);
	memcpy(&lm.load, &fn[2], sizeof fn[2]);
	memcpy(&lm.buffer, &fn[3], sizeof fn[3]);
	memcpy(&lm.error, &fn[4], sizeof fn[4]);
	lm.dl = dl;
	return 1;
}

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
	magic_t m = lm.open(SNIFF_FLAGS);
	const char *t, *e;

	if (!m) {
		snprintf(why, whycap, "libmagic: magic_open failed");
		return NULL;
	}
	if (lm.load(m, path) != 0) {
		e = lm.error(m);
		snprintf(why, whycap, "libmagic: cannot load %s: %s", path ? path : "its database",
		         e ? e : "unknown error");
	} else if (!(t = lm.buffer(m, png, sizeof png)) || strcmp(t, "image/png")) {
		snprintf(why, whycap, "libmagic: cannot load %s: it does not know a PNG "
		         "(Debian: apt-get install libmagic-mgc)", path ? path : "its database");
	} else {
		return m;
	}
	lm.close(m);
	return NULL;
}

enum s3_err s3_sniff_open(struct s3_sniff **out, const char *path, char *why,
                          size_t whycap)
{
	char local[PATH_MAX], first[S3_SNIFF_WHY_MAX];
	struct s3_sniff *s;

	*out = NULL;
	if (!libmagic(why, whycap))
		return S3_ERR_IO;
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
	t = lm.buffer(s->m, len ? buf : empty, len);
	if (!t || s3_mime_type_check(t, strlen(t)) != S3_OK ||
	    !s3_type_base(t, strlen(t), type, S3_SNIFF_TYPE_MAX + 1))
		strcpy(type, S3_MIME_DEFAULT);
	return S3_OK;
}

void s3_sniff_close(struct s3_sniff *s)
{
	if (!s)
		return;
	lm.close(s->m);
	free(s);
}
