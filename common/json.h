/* json.h - a strict RFC 8259 check of a JSON text's bytes, run before cJSON
 * parses them (cgi/request.c: the request body; common/creds.c: the
 * answers of credential_process and the container and instance metadata
 * endpoints).
 *
 * Why: cJSON (1.7.15, Debian 12) reads more than JSON, and reads some of it
 * differently from everyone else. An invalid \u escape (\u00GG, \uZZZZ)
 * becomes a NUL that cuts the string there: "shell.php\u00GG.jpg" is read
 * as "shell.php", "text/html\uZZZZ" as "text/html", a member
 * "file_name\uZZZZjunk" as file_name. It also takes raw control characters
 * inside strings, every byte up to 0x20 as white space, and numbers such as
 * 0001, +1, .5 or 1. (what strtod takes). A WAF or an auth_request service
 * in front of sign_s3, reading the same body with a strict parser, would
 * refuse it or see other values than the ones signed. A text that passes
 * this check is one that cJSON and a strict parser read alike.
 *
 * What s3_json_check enforces, on the bytes s[0..n) (no NUL terminator
 * needed; never read past n):
 *  - one value, with only white space [ \t\n\r] before and after it, and
 *    one UTF-8 byte order mark (EF BB BF) allowed as the very first bytes
 *    (RFC 8259 section 8.1 lets a parser ignore it; cJSON and Python's json
 *    on bytes do);
 *  - objects { "name": value, ... } and arrays [ value, ... ]: no trailing
 *    comma, no comments, member names are strings;
 *  - strings: no raw byte below 0x20; the escapes exactly \" \\ \/ \b \f \n
 *    \r \t and \u with four hex digits; every other byte valid UTF-8 (RFC
 *    3629, utf8.h: checked here too, so the verdict is about the bytes
 *    alone; a raw NUL is a control character, refused);
 *  - numbers -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?: no leading
 *    zeros, no '+', no .5 or 1. or 1e, no hex; no NaN or Infinity;
 *  - the literals true, false and null, lowercase;
 *  - arrays and objects nested at most max_depth deep.
 * No recursion: the nesting is a bit stack of S3_JSON_DEPTH_MAX bits.
 *
 * Surrogates: RFC 8259's grammar takes a \u escape of a lone surrogate
 * (\uD800-\uDBFF not followed by a \uDC00-\uDFFF escape, or \uDC00-\uDFFF
 * alone), and so does Python's json; so does s3_json_check without
 * S3_JSON_NO_LONE_SURROGATES. A lone surrogate is no character and has no
 * UTF-8 form: cJSON 1.7.15 refuses the whole text (another version might
 * write invalid UTF-8 or drop bytes), so the request decoder and the
 * credential parser pass the flag and say why they refuse.
 *
 * \u0000 is valid JSON, but cJSON cuts a string at it: s3_json_nul_escape
 * finds those escapes for the callers, which decide. */
#ifndef SIGN_S3_JSON_H
#define SIGN_S3_JSON_H

#include <stddef.h>

#define S3_JSON_DEPTH_MAX 1024   /* the largest max_depth s3_json_check takes */

/* The flags of s3_json_check. */
#define S3_JSON_NO_LONE_SURROGATES 1u  /* a lone surrogate escape is an error */

enum s3_json_result {
	S3_JSON_OK = 0,
	S3_JSON_INVALID,         /* not an RFC 8259 JSON text */
	S3_JSON_TRAILING,        /* a whole value, then more than white space */
	S3_JSON_TOO_DEEP,        /* [ and { nested deeper than max_depth */
	S3_JSON_LONE_SURROGATE,  /* with S3_JSON_NO_LONE_SURROGATES only */
};

/* Checks s[0..n) as above. max_depth < 0 counts as 0 (no array or object
 * at all), above S3_JSON_DEPTH_MAX as S3_JSON_DEPTH_MAX. s may be NULL when
 * n is 0 (INVALID: empty). The first error in the text decides, with one
 * exception: a text whose brackets outside strings nest deeper than
 * max_depth, counted the lenient way (a '"' opens or closes a string, a
 * backslash in a string hides the next byte, a closer at depth 0 is
 * ignored), is TOO_DEEP whatever else is wrong with it, so a deep text is
 * refused for its depth alone (']]][[[[...' too). */
enum s3_json_result s3_json_check(const char *s, size_t n, int max_depth,
				  unsigned flags);

/* The first \u0000 escape in s[0..n) (a pointer to its backslash), or NULL.
 * Each backslash hides the byte after it ("\\u0000" is no such escape). On
 * a text that passed s3_json_check, where every backslash is in a string,
 * that is exactly the \u0000 escapes; on any other, a cautious guess. */
const char *s3_json_nul_escape(const char *s, size_t n);

#endif
