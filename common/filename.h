/* filename.h - turn a client-supplied file name into a safe S3 key segment.
 *
 * The browser sends the name of the file being uploaded; it becomes the last
 * segment of the object key uploads/<uuid>/<name>. s3_filename_sanitize()
 * applies these steps, in order:
 *
 *  a. the input must be valid UTF-8 (no overlong forms, no surrogates, nothing
 *     above U+10FFFF, no truncated sequence) with no NUL byte, else
 *     S3_ERR_UTF8; more than S3_FILENAME_MAX_INPUT bytes is S3_ERR_TOOLONG;
 *  b. only the part after the last '/' or '\' is kept (C:\fakepath\x.pdf);
 *  c. leading and trailing white space (Unicode White_Space) is trimmed;
 *  d. letters are lowercased: ASCII, and the simple one-to-one mappings of
 *     Latin-1 Supplement, Latin Extended-A, Greek and Coptic (U+0370-03FF),
 *     Cyrillic and Cyrillic Supplement (U+0400-052F); every other script is
 *     left as it is. No mapping makes a character longer in UTF-8 (U+0130
 *     becomes 'i', one byte shorter);
 *  e. every other white space character becomes '_';
 *  f. control characters are removed: C0, DEL, C1, and the invisible format
 *     and bidi controls that can spoof a name (U+200B-200F, U+202A-202E,
 *     U+2060-2064, U+2066-2069, U+FEFF);
 *  g. the characters S3 advises against in keys, \ { } ^ % ` [ ] " < > ~ # |
 *     and '/', become '_';
 *  g'. so that a name cannot pass for another in a listing or a URL
 *     ("invoice／paid.pdf" for a folder): the look-alike slashes (the
 *     symbols and punctuation that Unicode's confusables.txt lists for '/'
 *     and '\', e.g. U+2044 FRACTION SLASH, U+2215 DIVISION SLASH, U+29F8
 *     BIG SOLIDUS, and the fullwidth U+FF0F, U+FF3C) and every other
 *     default-ignorable code point (Default_Ignorable_Code_Point: what
 *     renders as nothing, e.g. U+00AD, U+034F, U+061C, U+2065-206F,
 *     U+FE00-FE0F variation selectors, U+3164 and U+FFA0 fillers,
 *     U+115F/1160, U+180B-180F, U+E0000-E0FFF tags) become '_' (the
 *     tables in filename.c);
 *  h. a name longer than max_bytes is cut on a character boundary (the one
 *     place where sign_s3 shortens instead of refusing: shortening is this
 *     module's job). An extension (from the last '.', at most
 *     S3_FILENAME_EXT_MAX bytes, not the whole name) is kept: a 300-byte
 *     "aaa...a.pdf" becomes 255 bytes still ending in ".pdf";
 *  i. an empty result, "." or ".." is S3_ERR_INVAL.
 *
 * No Unicode normalization is done: NFD input stays NFD. Pure: no I/O, no
 * allocation. */
#ifndef SIGN_S3_FILENAME_H
#define SIGN_S3_FILENAME_H

#include <stddef.h>
#include "err.h"

#define S3_FILENAME_MAX        255    /* largest max_bytes; bytes in a result */
#define S3_FILENAME_MAX_INPUT  4096   /* bytes of input accepted at all */
#define S3_FILENAME_EXT_MAX    16     /* bytes of an extension kept by a cut, '.' included */

/* Sanitizes in[0..len) (need not be NUL-terminated) into out, at most
 * max_bytes bytes plus a NUL. 1 <= max_bytes <= S3_FILENAME_MAX and
 * outcap >= max_bytes + 1, else S3_ERR_INVAL. On any error out is "" (when
 * outcap > 0). Returns S3_OK, S3_ERR_INVAL, S3_ERR_UTF8 or S3_ERR_TOOLONG. */
enum s3_err s3_filename_sanitize(const char *in, size_t len, size_t max_bytes,
				 char *out, size_t outcap);

#endif
