/* sniff.c - libmagic behind sniff.h. */
#include "sniff.h"

#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "policy.h"

struct s3_sniff {
	magic_t m;
};

/* No decompression (MAGIC_COMPRESS off by default): a head is at most
 * S3_SNIFF_HEAD_MAX bytes and is looked at as it is. */
#define SNIFF_FLAGS (MAGIC_MIME_TYPE | MAGIC_ERROR)

enum s3_err s3_sniff_open(struct s3_sniff **out, char *why, size_t whycap)
{
	struct s3_sniff *s;
	const char *e;

	*out = NULL;
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(why, whycap, "libmagic: out of memory");
		return S3_ERR_NOMEM;
	}
	if (!(s->m = magic_open(SNIFF_FLAGS))) {
		snprintf(why, whycap, "libmagic: magic_open failed");
		free(s);
		return S3_ERR_NOMEM;
	}
	if (magic_load(s->m, NULL) != 0) {
		e = magic_error(s->m);
		snprintf(why, whycap, "libmagic: cannot load its database: %s",
		         e ? e : "unknown error");
		magic_close(s->m);
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
