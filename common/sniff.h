/* sniff.h - the media type of a file's first bytes, by libmagic.
 *
 * A request may carry file_head: base64 (base64.h) of the first bytes of
 * the file, at most S3_SNIFF_HEAD_MAX once decoded (a browser reads them
 * with File.slice(0, 4096)). libmagic (magic_open(MAGIC_MIME_TYPE)) names
 * their type. Its database is S3_MAGIC_FILE when that is set; else
 * libmagic's default (the MAGIC environment variable, else /etc/magic and
 * /usr/share/misc/magic.mgc from Debian's libmagic-mgc) and, when that
 * cannot be loaded, magic.mgc in the directory of the executable (the
 * shared-hosting bundle carries one there). libmagic itself is dlopen'ed
 * (S3_SNIFF_LIBMAGIC) and its database loaded once per process: at start
 * in FastCGI, and in CGI only by a request that carries file_head. What is done with the
 * answer is policy.h's and the handler's business. */
#ifndef SIGN_S3_SNIFF_H
#define SIGN_S3_SNIFF_H

#include <stddef.h>
#include "err.h"

#define S3_SNIFF_HEAD_MAX 4096    /* decoded bytes of file_head */
#define S3_SNIFF_TYPE_MAX 255     /* bytes of a detected type */
#define S3_SNIFF_WHY_MAX  256     /* a load failure, for the log */
#define S3_SNIFF_LIBMAGIC "libmagic.so.1"   /* dlopen'ed on first need */

struct s3_sniff;

/* Opens libmagic and loads its database into *out: path (a compiled
 * magic.mgc), or with path NULL the default and then the file beside the
 * executable (see above). On failure *out is NULL, why says what failed
 * (libmagic's own message: a path, never client data) and the result is
 * S3_ERR_IO (or S3_ERR_NOMEM). */
enum s3_err s3_sniff_open(struct s3_sniff **out, const char *path, char *why,
                          size_t whycap);

/* The type of buf[0..len), lowercased type/subtype without parameters,
 * into type (S3_SNIFF_TYPE_MAX + 1 bytes). An answer libmagic cannot give
 * or that is not a media type becomes application/octet-stream. S3_OK,
 * or S3_ERR_INVAL for a NULL sniffer. */
enum s3_err s3_sniff_type(struct s3_sniff *s, const void *buf, size_t len,
                          char type[S3_SNIFF_TYPE_MAX + 1]);

void s3_sniff_close(struct s3_sniff *s);

#endif
