/* fuzz_s3xml.c - S3's XML answers (common/s3xml.h), every reader on the
 * same bytes. Checks: no reader crashes, leaks or reads past the input;
 * s3xml_error's code and message are NUL-terminated within their sizes and
 * empty unless it says 1; a ListParts page it accepts holds at most
 * S3XML_MAX_PARTS parts, each numbered 1..10000 with a non-empty ETag, and
 * a truncated page names where the next one starts (no endless paging);
 * an UploadId it accepts is non-empty; s3xml_status is a 4xx or 502; a
 * region (an <Error>'s, a LocationConstraint) is NUL-terminated within its
 * size; a CORSConfiguration holds at most S3XML_MAX_CORS_RULES rules whose
 * lists have no empty member and fit their sizes. */
#include "fuzz_util.h"
#include "s3xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct s3xml_error e;
	struct s3xml_parts p;
	char id[S3XML_MAX_UPLOAD_ID + 1], loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	char region[S3XML_MAX_REGION + 1];
	struct s3xml_cors c;
	int r = s3xml_error(s, size, &e), st;

	CHECK(r >= -1 && r <= 1, "s3xml_error returned %d", r);
	CHECK(memchr(e.code, '\0', sizeof e.code) && memchr(e.message, '\0', sizeof e.message),
	      "unterminated code or message");
	CHECK(r == 1 || (!e.code[0] && !e.message[0]), "code without an <Error>");
	CHECK(memchr(e.region, '\0', sizeof e.region) && (r == 1 || !e.region[0]), "bad region");
	st = s3xml_status(e.code, 200 + (int)(size % 400));
	CHECK((st >= 400 && st < 500) || st == 502, "status %d", st);
	if (s3xml_list_parts(s, size, &p) == S3_OK) {
		CHECK(p.n <= S3XML_MAX_PARTS, "%zu parts", p.n);
		for (size_t i = 0; i < p.n; i++)
			CHECK(p.part[i].number >= 1 && p.part[i].number <= 10000 && p.part[i].etag[0],
			      "part %zu: number %u", i, p.part[i].number);
		CHECK(!p.truncated || p.next_marker, "truncated without a marker");
		s3xml_parts_free(&p);
	} else {
		CHECK(p.part == NULL && p.n == 0, "a refused page left parts");
	}
	if (s3xml_initiate(s, size, id, sizeof id) == S3_OK)
		CHECK(id[0] && strlen(id) <= S3XML_MAX_UPLOAD_ID, "bad UploadId");
	if (s3xml_complete(s, size, loc, etag) == S3_OK)
		CHECK(strlen(loc) <= S3XML_MAX_LOCATION && strlen(etag) <= S3XML_MAX_ETAG, "too long");
	if (s3xml_location(s, size, region) == S3_OK)
		CHECK(region[0] && strlen(region) <= S3XML_MAX_REGION, "bad LocationConstraint");
	if (s3xml_cors(s, size, &c) == S3_OK) {
		CHECK(c.n <= S3XML_MAX_CORS_RULES, "%zu rules", c.n);
		for (size_t i = 0; i < c.n; i++) {
			const char *l[4] = { c.rule[i].origins, c.rule[i].methods, c.rule[i].headers,
			                     c.rule[i].expose };

			for (int k = 0; k < 4; k++)
				CHECK(strlen(l[k]) <= S3XML_MAX_CORS_LIST && l[k][0] != ',' &&
				      !strstr(l[k], ",,"), "rule %zu: list %d", i, k);
		}
		s3xml_cors_free(&c);
	} else {
		CHECK(c.rule == NULL && c.n == 0, "a refused CORSConfiguration left rules");
	}
	return 0;
}
