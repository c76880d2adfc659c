/* policy.h - who may upload what, and where: the pure rules behind
 * S3_REQUIRE_USER / {user} in S3_KEY_PREFIX, S3_ALLOWED_TYPES and the
 * check of a declared type against the type sniffed from the file's first
 * bytes (sniff.h). No I/O, no allocation.
 *
 * User names. The web server authenticates the caller and passes its name
 * as REMOTE_USER; s3_user_keysafe() turns it into one key segment that
 * stands for that user alone. The mapping is injective (two different
 * names never give the same segment) and never yields "", "." or "..":
 *   - bytes A-Z a-z 0-9 - @ + and '.' are kept as they are,
 *   - every other byte, '_' included, becomes "_XX" (two uppercase hex
 *     digits): "a_b" -> "a_5Fb", "a b" -> "a_20b", "é" -> "_C3_A9",
 *   - a name that is exactly "." or ".." has its dots escaped too:
 *     "_2E", "_2E_2E".
 * '_' starts every escape and never stands for itself, so the segment
 * decodes back to the name. Names of more than S3_USER_MAX bytes, empty
 * names and names that are not valid UTF-8 (or hold a NUL) are refused.
 *
 * S3_KEY_PREFIX may hold S3_PREFIX_USER ("{user}") once, directly followed
 * by '/': "users/{user}/" becomes "users/a_5Fb/". Because the segment ends
 * at that '/', one user's prefix is never a prefix of another's.
 *
 * Allowed types. S3_ALLOWED_TYPES is a comma-separated list of media
 * ranges: "type/subtype", "type/" followed by a '*' (any subtype of that
 * type), or '*' '/' '*' (anything); white space around entries ignored,
 * case-insensitive, no parameters; type and subtype are RFC 6838 names.
 * A type matches when its type/subtype (parameters dropped) equals an
 * entry, ASCII case-insensitively, or falls under a wildcard entry.
 *
 * Contradiction. A declared type D (what the client says, parameters
 * dropped, lowercased) contradicts a detected type S (what libmagic says
 * of the first bytes) when all of these hold:
 *   1. S is specific: not one of the generic answers
 *      application/octet-stream, text/plain, inode/x-empty,
 *      application/x-empty (libmagic's "I cannot tell", "some text",
 *      "empty"), which say nothing the declared type could contradict;
 *   2. D is not application/octet-stream ("some bytes": claims nothing);
 *   3. D and S are not the same type, nor two names of one type (a small
 *      alias table: text/javascript = application/javascript = ...,
 *      text/xml = application/xml, the executable formats among
 *      themselves, ...);
 *   4. and either S is dangerous: content that runs when opened, i.e. an
 *      executable (application/x-executable, x-pie-executable,
 *      x-sharedlib, x-dosexec, x-mach-binary, ...) or a script or active
 *      document (text/html, application/xhtml+xml, image/svg+xml,
 *      text/javascript, application/javascript, text/x-shellscript,
 *      text/x-php, ...);
 *      or the top-level types of S and D differ (image/png declared,
 *      application/pdf found), where audio and video count as one (a
 *      container holds either).
 * So an ELF or HTML head declared image/png is refused; a JPEG declared
 * image/png, a JSON file declared text/plain, or a text file declared
 * text/csv are not (same top level, nothing dangerous). */
#ifndef SIGN_S3_POLICY_H
#define SIGN_S3_POLICY_H

#include <stddef.h>
#include "err.h"

#define S3_USER_MAX          128                 /* bytes of REMOTE_USER */
#define S3_USER_KEY_MAX      (3 * S3_USER_MAX)   /* bytes of its key segment */
#define S3_PREFIX_USER       "{user}"
#define S3_TYPES_LIST_MAX    2048                /* bytes of S3_ALLOWED_TYPES */
#define S3_TYPES_MAX_ENTRIES 64                  /* media ranges in it */
#define S3_TYPE_BASE_MAX     255                 /* bytes of a type/subtype */

/* The key segment for user[0..len) (see above) into out (cap bytes, NUL
 * added), its length in *outlen. S3_OK; S3_ERR_INVAL for an empty name
 * or one with a NUL byte; S3_ERR_TOOLONG over S3_USER_MAX bytes (or when
 * cap is too small: S3_USER_KEY_MAX + 1 always suffices); S3_ERR_UTF8. */
enum s3_err s3_user_keysafe(const char *user, size_t len, char *out, size_t cap,
                            size_t *outlen);

/* How prefix uses S3_PREFIX_USER: 0 not at all, 1 correctly (once,
 * followed by '/'), -1 otherwise. */
int s3_prefix_user(const char *prefix);

/* prefix with its S3_PREFIX_USER replaced by seg (prefix copied as it is
 * when it has none) into out (cap bytes, NUL added); *outlen its length.
 * S3_OK or S3_ERR_TOOLONG. */
enum s3_err s3_prefix_expand(const char *prefix, const char *seg, char *out,
                             size_t cap, size_t *outlen);

/* Validates and normalizes an S3_ALLOWED_TYPES value v: lowercase, no
 * white space, entries joined by ','. Returns NULL (out holds the list,
 * *outlen its length) or a fixed message saying what is expected. out
 * must have S3_TYPES_LIST_MAX + 1 bytes. */
const char *s3_types_parse(const char *v, char *out, size_t cap, size_t *outlen);

/* 1 when type[0..len) (parameters allowed) matches the normalized list. */
int s3_types_allowed(const char *list, const char *type, size_t len);

/* The type/subtype of type[0..len), lowercased, parameters and white
 * space around them dropped, into out (cap bytes, NUL added); its length,
 * or 0 when it does not fit or there is no '/'. */
size_t s3_type_base(const char *type, size_t len, char *out, size_t cap);

/* On lowercase type/subtype strings (s3_type_base): */
int s3_type_generic(const char *t);     /* rule 1: octet-stream, text/plain, empty */
int s3_type_dangerous(const char *t);   /* rule 4: executables, active content */
int s3_type_same(const char *a, const char *b);   /* equal or aliases */
/* 1 when a browser renders t as a document or runs it: HTML, XHTML, SVG,
 * XML and XSL, any +xml type, the JavaScript/ECMAScript names. PDF is not
 * counted (browsers show it in a sandboxed viewer without the origin's
 * scripts). For S3_ACTIVE_TYPES. */
int s3_type_active(const char *t);
/* 1 when declared contradicts detected (the rule above). */
int s3_type_contradicts(const char *declared, const char *detected);

#endif
