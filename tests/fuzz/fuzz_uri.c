/* fuzz_uri.c - uri_encode / uri_encoded_len (common/uri.h).
 *
 * Input: byte 0: bit 0 keep_slash; bits 1-7 choose the buffer: its
 * capacity (so both the one-pass path and the counting path run, and the
 * exact fit and one byte short) and how much is in it already. The rest is
 * the string (exact-size buffer).
 * Checks: the output holds only unreserved characters, '/' with
 * URI_KEEP_SLASH, and %XX with uppercase hex; '%' escapes every other byte
 * (and '/' without URI_KEEP_SLASH); it decodes back to the input; its
 * length is uri_encoded_len; overflow is flagged exactly when the encoding
 * plus the NUL does not fit, and then nothing already in the buffer is
 * changed; the buffer (heap, exactly cap bytes) is never overrun;
 * uri_unreserved agrees with A-Z a-z 0-9 - _ . ~. */
#include "fuzz_util.h"
#include "uri.h"

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static int uhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	for (unsigned i = 0; i < 256; i++) {
		char c = (char)i;

		CHECK((uri_encoded_len(&c, 1, 0) == 1) == !!unreserved((unsigned char)i),
		      "byte 0x%02x kept or encoded wrongly", i);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b;
	char *in, *buf, *dec;
	size_t n, need, cap, pre, i, o;
	unsigned sel;
	int keep;

	if (size < 1)
		return 0;
	sel = data[0];
	keep = sel & 1 ? URI_KEEP_SLASH : URI_ENCODE_SLASH;
	n = size - 1;
	in = fuzz_dup_exact(data + 1, n);
	need = uri_encoded_len(in, n, keep);
	{
		size_t want = 0;

		for (i = 0; i < n; i++)
			want += unreserved((unsigned char)in[i]) || (keep && in[i] == '/') ? 1 : 3;
		CHECK(need == want, "uri_encoded_len %zu, want %zu", need, want);
	}
	pre = (sel >> 1) & 3;                 /* bytes already in the buffer */
	switch ((sel >> 3) & 15) {            /* capacity */
	case 0:  cap = pre + need + 1; break;            /* exact fit */
	case 1:  cap = pre + need; break;                /* one short */
	case 2:  cap = pre + 3 * n + 1; break;           /* worst case */
	case 3:  cap = pre + 3 * n + 2; break;
	case 4:  cap = pre + 1; break;
	case 5:  cap = pre + need / 2 + 1; break;
	case 6:  cap = pre + n + 1; break;
	case 7:  cap = 0; pre = 0; break;                /* sbuf_init(cap 0): overflow */
	default: cap = pre + ((sel >> 3) & 15) * 64 + 1; break;
	}
	buf = malloc(cap ? cap : 1);
	sbuf_init(&b, buf, cap);
	for (i = 0; i < pre; i++)
		sbuf_addc(&b, 'P');
	if (b.overflow) {            /* cap 0, or no room for the prefix */
		uri_encode(&b, in, n, keep);
		CHECK(b.overflow, "overflow cleared");
		goto out;
	}
	uri_encode(&b, in, n, keep);
	if (pre + need + 1 > cap) {
		CHECK(b.overflow, "encoding of %zu bytes in cap %zu: no overflow", need, cap);
		CHECK(b.len == pre && buf[pre] == '\0', "overflow changed the buffer");
		goto out;
	}
	CHECK(!b.overflow, "fits (%zu + %zu + 1 <= %zu) but overflow", pre, need, cap);
	CHECK(b.len == pre + need, "len %zu, want %zu", b.len, pre + need);
	CHECK(buf[b.len] == '\0', "not NUL-terminated");
	for (i = 0; i < pre; i++)
		CHECK(buf[i] == 'P', "prefix overwritten");
	dec = malloc(n + 1);
	for (i = pre, o = 0; i < b.len; ) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '%') {
			CHECK(i + 2 < b.len, "truncated escape at %zu", i);
			CHECK(uhex(buf[i + 1]) >= 0 && uhex(buf[i + 2]) >= 0,
			      "escape %%%c%c not two uppercase hex digits", buf[i + 1], buf[i + 2]);
			c = (unsigned char)(uhex(buf[i + 1]) << 4 | uhex(buf[i + 2]));
			CHECK(!unreserved(c), "unreserved 0x%02x escaped", c);
			CHECK(!(keep && c == '/'), "'/' escaped with URI_KEEP_SLASH");
			i += 3;
		} else {
			CHECK(unreserved(c) || (keep && c == '/'), "byte 0x%02x not escaped", c);
			i++;
		}
		CHECK(o < n, "decodes to more than the input");
		dec[o++] = (char)c;
	}
	CHECK(o == n && !memcmp(dec, in, n), "does not decode back to the input");
	free(dec);
out:
	free(buf);
	free(in);
	return 0;
}
