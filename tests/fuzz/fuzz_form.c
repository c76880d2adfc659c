/* fuzz_form.c - the form / query-string decoder (s3_req_parse with
 * application/x-www-form-urlencoded, and GET), and s3_req_check_length.
 *
 * Input: byte 0 chooses the mode, the rest is the payload.
 *   bits 0-1  0: POST form body (exact-size buffer, no terminator)
 *             1: GET, the payload to its first NUL is QUERY_STRING
 *             2: POST, the Content-Type is the payload up to its first
 *                '\n', the body the rest
 *             3: CONTENT_LENGTH: the payload to its first NUL goes to
 *                s3_req_check_length, with max_body from bits 2-7
 *   bits 2-7  (mode 3) max_body = 0, 1, 16384, SIZE_MAX or a few others
 * Checks: fuzz_req.h, and in modes 0 and 1 the outcome equals that of a
 * small reference decoder written here from the rules in request.h (status
 * and every field byte for byte); mode 3 against a strtoull reference. */
#include <errno.h>
#include "fuzz_req.h"

#define FORM "application/x-www-form-urlencoded"

/* ---- the reference form decoder -------------------------------------- */

#define REF_FIELDS 5

struct ref {
	char *v[REF_FIELDS];
	size_t len[REF_FIELDS];
	unsigned seen;
};

/* every field of /api/sign_s3's table (cgi/request.c), in its order */
static const char *const ref_names[REF_FIELDS] = { "file_name", "file_type", "file_head",
						   "file_size", "file_md5" };
static const size_t ref_limits[REF_FIELDS] = { S3_REQ_MAX_FIELD, S3_REQ_MAX_FIELD,
					       S3_REQ_MAX_HEAD_FIELD, S3_REQ_MAX_INTEGER,
					       S3_REQ_MAX_MD5 };

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..n) into a malloc'd buffer; NULL when a '%' is not
 * followed by two hex digits. */
static char *ref_decode(const char *s, size_t n, size_t *len)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;

	if (!out)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || hex((unsigned char)s[i + 1]) < 0 || hex((unsigned char)s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hex((unsigned char)s[i + 1]) * 16 + hex((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static void ref_free(struct ref *r)
{
	for (int k = 0; k < REF_FIELDS; k++)
		free(r->v[k]);
}

static enum s3_req_status ref_parse(const char *s, size_t n, struct ref *r)
{
	size_t count = 0;

	memset(r, 0, sizeof *r);
	while (n > 0) {
		const char *amp = memchr(s, '&', n);
		size_t seg = amp ? (size_t)(amp - s) : n;

		if (seg > 0) {
			const char *eq = memchr(s, '=', seg);
			size_t nl = eq ? (size_t)(eq - s) : seg, dn, dv;
			char *name, *val;
			int k = -1;

			if (++count > S3_REQ_MAX_FIELDS)
				return S3_REQ_BAD;
			name = ref_decode(s, nl, &dn);
			val = eq ? ref_decode(eq + 1, seg - nl - 1, &dv) : ref_decode("", 0, &dv);
			if (!name || !val) {
				free(name);
				free(val);
				return S3_REQ_BAD;
			}
			for (int j = 0; j < REF_FIELDS; j++)
				if (dn == strlen(ref_names[j]) && !memcmp(name, ref_names[j], dn))
					k = j;
			free(name);
			if (k >= 0) {
				if (r->seen & (1u << k) || dv > ref_limits[k] ||
				    memchr(val, '\0', dv) || !ref_utf8_valid(val, dv)) {
					free(val);
					return S3_REQ_BAD;
				}
				r->seen |= 1u << k;
				if (dv) {
					r->v[k] = val;
					r->len[k] = dv;
					val = NULL;
				}
			}
			free(val);
		}
		if (!amp)
			break;
		s = amp + 1;
		n -= seg + 1;
	}
	return r->v[0] ? S3_REQ_OK : S3_REQ_BAD;
}

static void same_field(const char *what, const char *got, size_t glen,
		       const char *want, size_t wlen)
{
	CHECK((!got) == (!want), "%s: present %d, reference %d", what, !!got, !!want);
	if (got)
		CHECK(glen == wlen && !memcmp(got, want, glen),
		      "%s: %zu bytes differ from the reference's %zu", what, glen, wlen);
}

/* ---- CONTENT_LENGTH -------------------------------------------------- */

static void check_length(const char *cl, size_t max)
{
	char msg[FUZZ_MSGCAP], *end;
	size_t got = 12345;
	enum s3_req_status st, want;
	unsigned long long v = 0;
	int digits = 1;

	for (const char *p = cl; *p; p++)
		if (*p < '0' || *p > '9')
			digits = 0;
	if (!*cl) {
		want = S3_REQ_OK;
	} else if (!digits) {
		want = S3_REQ_BAD;
	} else {
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno == ERANGE || (unsigned long long)(size_t)v != v)
			want = S3_REQ_BAD;
		else
			want = v > max ? S3_REQ_TOO_LARGE : S3_REQ_OK;
	}
	st = s3_req_check_length(cl, max, &got, msg, sizeof msg);
	CHECK(st == want, "check_length(\"%.40s\", %zu): %d, want %d", cl, max, (int)st, (int)want);
	CHECK(fuzz_msg_ok(msg, sizeof msg), "check_length message not printable");
	CHECK(st == S3_REQ_OK ? !*msg : !!*msg, "check_length message and status disagree");
	CHECK(got == (st == S3_REQ_OK && *cl ? (size_t)v : 0),
	      "check_length: *len_out %zu", got);
	st = s3_req_check_length(cl, max, NULL, NULL, 0);
	CHECK(st == want, "check_length without outputs: %d, want %d", (int)st, (int)want);
}

/* ---- the target ------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[8] = { 0, 1, 16384, 16383, 1048576, 99, SIZE_MAX,
					 SIZE_MAX / 10 };
	struct s3_req_fields f;
	struct s3_req_in in = { 0 };
	char msg[FUZZ_MSGCAP], *ct = NULL, *body = NULL, *query = NULL;
	enum s3_req_status st;
	unsigned sel, mode;
	struct ref r;

	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	mode = sel & 3;
	if (mode == 3) {
		char *cl = fuzz_strndup(data, size);

		check_length(cl, maxes[(sel >> 2) & 7]);
		check_length(cl, (size_t)(sel >> 5) * 1000);
		free(cl);
		return 0;
	}
	if (mode == 2) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;

		ct = fuzz_strndup(data, n);
		data += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
	in.method = mode == 1 ? "GET" : "POST";
	in.content_type = mode == 2 ? ct : FORM;
	if (mode == 1) {
		query = fuzz_strndup(data, size);
		in.query = query;
		/* a GET ignores the body: give it one that must not matter */
		in.body = "file_name=body";
		in.body_len = 14;
	} else {
		body = fuzz_dup_exact(data, size);
		in.body = body;
		in.body_len = size;
	}
	st = check_req_result(s3_req_parse(&in, &f, msg, sizeof msg), &f, msg);
	if (mode < 2) {
		const char *src = mode == 1 ? query : body;
		size_t n = mode == 1 ? strlen(query) : size;
		enum s3_req_status want;

		if (mode == 1 && n > S3_REQ_MAX_QUERY) {
			want = S3_REQ_BAD;
			memset(&r, 0, sizeof r);
		} else {
			want = ref_parse(src, n, &r);
		}
		CHECK(st == want, "status %d (%s), reference %d", (int)st, msg, (int)want);
		if (st == S3_REQ_OK) {
			same_field("file_name", f.file_name, f.file_name_len, r.v[0], r.len[0]);
			same_field("file_type", f.file_type, f.file_type_len, r.v[1], r.len[1]);
			same_field("file_head", f.file_head, f.file_head_len, r.v[2], r.len[2]);
			same_field("file_size", f.file_size, f.file_size_len, r.v[3], r.len[3]);
			same_field("file_md5", f.file_md5, f.file_md5_len, r.v[4], r.len[4]);
		}
		ref_free(&r);
	}
	s3_req_fields_free(&f);
	free(body);
	free(query);
	free(ct);
	return 0;
}
