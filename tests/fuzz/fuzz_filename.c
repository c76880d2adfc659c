/* fuzz_filename.c - s3_filename_sanitize (common/filename.h).
 *
 * Input: byte 0 chooses max_bytes (bit 7 clear: 255, the production value;
 * set: 1 + 2 * (bits 0-6), so 1..255), the rest is the client's name
 * (exact-size buffer, no terminator), and out is exactly max_bytes + 1
 * bytes on the heap.
 * Checks, on S3_OK: the result is valid UTF-8, 1..max_bytes bytes, not "."
 * or "..", and has no '/', '\', C0/DEL/C1 control, white space, bidi or
 * zero-width control, look-alike slash or default-ignorable code point
 * (filename.h step g'), ASCII capital, or S3-unfriendly character; it is a
 * fixed point (sanitizing it again gives itself); a name that is already
 * safe ([a-z0-9._-], short enough) comes back unchanged. On an error: out
 * is "", and the error is one of those documented, matching the input
 * (S3_ERR_UTF8 exactly when the input is not valid UTF-8 or has a NUL,
 * S3_ERR_TOOLONG exactly over S3_FILENAME_MAX_INPUT bytes). */
#include "fuzz_util.h"
#include "filename.h"

static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) ||
	       (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

/* Written again from the Unicode data, not shared with filename.c: the
 * look-alike slashes (confusables.txt's punctuation and symbols for '/'
 * and '\\', fullwidth forms) and Default_Ignorable_Code_Point. */
static int is_slash_like(uint32_t c)
{
	static const uint32_t one[] = {
		0x1735, 0x2041, 0x2044, 0x2215, 0x2216, 0x2571, 0x2572, 0x27CB, 0x27CD,
		0x29F5, 0x29F8, 0x29F9, 0x2F02, 0x2F03, 0x31D3, 0x31D4, 0xFE68, 0xFF0F,
		0xFF3C, 0x1D20F, 0x1D23A, 0x1D23B,
	};

	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
		if (c == one[i])
			return 1;
	return 0;
}

static int is_ignorable(uint32_t c)
{
	return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 ||
	       c == 0x17B4 || c == 0x17B5 || (c >= 0x180B && c <= 0x180F) ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
	       c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	       (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

static void check_result(const char *out, size_t max)
{
	size_t n = strlen(out), i = 0, k;
	uint32_t cp;

	CHECK(n >= 1 && n <= max, "result is %zu bytes, max_bytes %zu", n, max);
	CHECK(strcmp(out, ".") && strcmp(out, ".."), "result is \"%s\"", out);
	CHECK(ref_utf8_valid(out, n), "result is not valid UTF-8");
	while (i < n) {
		k = ref_utf8_next((const unsigned char *)out + i, n - i, &cp);
		CHECK(cp != '/' && cp != '\\', "separator in the result at byte %zu", i);
		CHECK(!is_control(cp), "control character U+%04X in the result", cp);
		CHECK(!is_space(cp), "white space U+%04X in the result", cp);
		CHECK(!is_slash_like(cp), "look-alike slash U+%04X in the result", cp);
		CHECK(!is_ignorable(cp), "default-ignorable U+%04X in the result", cp);
		CHECK(!(cp < 0x80 && strchr("{}^%`[]\"<>~#|", (int)cp)) || cp == 0,
		      "S3-unfriendly character '%c' in the result", (int)cp);
		CHECK(!(cp >= 'A' && cp <= 'Z'), "capital '%c' in the result", (int)cp);
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, n;
	char *in, *out, *again;
	enum s3_err e, e2;
	int utf8ok, safe;

	if (size < 1)
		return 0;
	max = data[0] & 0x80 ? 1 + 2 * (size_t)(data[0] & 0x7F) : S3_FILENAME_MAX;
	data++, size--;
	in = fuzz_dup_exact(data, size);
	out = malloc(max + 1);
	memset(out, 'Z', max + 1);
	e = s3_filename_sanitize(in, size, max, out, max + 1);

	utf8ok = !memchr(in, '\0', size) && ref_utf8_valid(in, size);
	if (size > S3_FILENAME_MAX_INPUT) {
		CHECK(e == S3_ERR_TOOLONG, "%zu-byte input: %d, want S3_ERR_TOOLONG", size, (int)e);
	} else if (!utf8ok) {
		CHECK(e == S3_ERR_UTF8, "invalid UTF-8 or NUL: %d, want S3_ERR_UTF8", (int)e);
	} else {
		CHECK(e == S3_OK || e == S3_ERR_INVAL, "valid input: error %d", (int)e);
	}
	if (e != S3_OK) {
		CHECK(out[0] == '\0', "out not empty after error %d", (int)e);
	} else {
		check_result(out, max);
		/* a fixed point: the result is already sanitized */
		n = strlen(out);
		again = malloc(max + 1);
		e2 = s3_filename_sanitize(out, n, max, again, max + 1);
		CHECK(e2 == S3_OK, "sanitizing the result again: error %d", (int)e2);
		CHECK(!strcmp(again, out), "not a fixed point: \"%s\" -> \"%s\"", out, again);
		free(again);
	}
	/* a name that is already safe is kept as it is */
	safe = size >= 1 && size <= max && utf8ok;
	for (size_t i = 0; safe && i < size; i++)
		safe = (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= '0' && in[i] <= '9') ||
		       in[i] == '.' || in[i] == '_' || in[i] == '-';
	if (safe && !(size == 1 && in[0] == '.') && !(size == 2 && in[0] == '.' && in[1] == '.'))
		CHECK(e == S3_OK && strlen(out) == size && !memcmp(out, in, size),
		      "safe name changed (error %d)", (int)e);
	/* argument checks */
	CHECK(s3_filename_sanitize(in, size, 0, out, max + 1) == S3_ERR_INVAL, "max 0 accepted");
	CHECK(s3_filename_sanitize(in, size, max, out, max) == S3_ERR_INVAL, "outcap too small accepted");
	CHECK(out[0] == '\0', "out not empty after an argument error");
	free(out);
	free(in);
	return 0;
}
