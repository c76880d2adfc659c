/* test_s3xml.c - S3's XML answers (common/s3xml.c): the documents of the
 * S3 API reference (InitiateMultipartUpload, ListParts, CompleteMultipart-
 * Upload, Error), Swift s3api's forms of them, an <Error> inside a 200,
 * and what must be refused: not XML, a DOCTYPE with entities (billion
 * laughs), nesting and text past the limits, parts past S3's 1,000. */
#include "tap.h"
#include "s3xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a literal and its length */
#define S(lit) lit, sizeof lit - 1
#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void error_docs(void)
{
	static const char doc[] = DECL "<Error><Code>NoSuchUpload</Code><Message>The specified "
		"upload does not exist. The upload ID may be invalid, or the upload may have been "
		"aborted or completed.</Message><UploadId>VXBsb2FkIElE</UploadId>"
		"<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	static const char in200[] = DECL "\n\n<Error><Code>InternalError</Code><Message>We "
		"encountered an internal error. Please try again.</Message></Error>";
	static const char prefixed[] = "<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<s3:Code>AccessDenied</s3:Code><s3:Message>Access Denied</s3:Message></s3:Error>";
	struct s3xml_error e;

	is_int(s3xml_error(doc, strlen(doc), &e), 1, "Error: recognized");
	is_str(e.code, "NoSuchUpload", "Error: Code");
	ok(!strncmp(e.message, "The specified upload does not exist.", 36), "Error: Message");
	is_int(s3xml_error(in200, strlen(in200), &e), 1,
	       "Error after blank lines (CompleteMultipartUpload's 200 with an error)");
	is_str(e.code, "InternalError", "... its Code");
	is_int(s3xml_error(prefixed, strlen(prefixed), &e), 1, "Error with a namespace prefix");
	is_str(e.code, "AccessDenied", "... read by local name");
	is_int(s3xml_error(S("<ListPartsResult/>"), &e), 0, "another document: 0");
	is_int(s3xml_error(S("not xml"), &e), -1, "not XML: -1");
	is_int(s3xml_error(S("<Error><Code>x</Code>"), &e), -1, "truncated XML: -1");
	is_int(s3xml_error("", 0, &e), -1, "empty: -1");
	is_str(e.code, "", "... and no code");
}

static void status_table(void)
{
	is_int(s3xml_status("NoSuchUpload", 404), 404, "NoSuchUpload: 404");
	is_int(s3xml_status("AccessDenied", 403), 403, "AccessDenied: 403");
	is_int(s3xml_status("InvalidPart", 400), 400, "InvalidPart: 400");
	is_int(s3xml_status("InvalidPartOrder", 400), 400, "InvalidPartOrder: 400");
	is_int(s3xml_status("EntityTooSmall", 400), 400, "EntityTooSmall: 400");
	is_int(s3xml_status("EntityTooLarge", 400), 413, "EntityTooLarge: 413");
	is_int(s3xml_status("InternalError", 200), 502, "an InternalError in a 200: 502");
	is_int(s3xml_status("SlowDown", 503), 502, "SlowDown (after retries): 502");
	is_int(s3xml_status("SignatureDoesNotMatch", 403), 502,
	       "SignatureDoesNotMatch: 502 (the server's credentials, not the caller's fault)");
	is_int(s3xml_status("NoSuchBucket", 404), 502, "NoSuchBucket: 502 (configuration)");
	is_int(s3xml_status("PermanentRedirect", 301), 502, "PermanentRedirect: 502");
	is_int(s3xml_status("SomethingNew", 409), 409, "another 4xx: S3's own status");
	is_int(s3xml_status(NULL, 500), 502, "a 5xx without a body: 502");
	is_int(s3xml_status("", 307), 502, "a redirect: 502");
}

static void initiate(void)
{
	static const char aws[] = DECL "<InitiateMultipartUploadResult" NS "><Bucket>example-bucket"
		"</Bucket><Key>example-object</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5"
		"tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>";
	static const char swift[] = DECL "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws"
		".com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>uploads/k</Key><UploadId>"
		"ZTFmNzQ0ZWYtMTk1Yi00YjQ3LWE1ZmMtNmI4MmUxNTJjNjU2</UploadId>"
		"</InitiateMultipartUploadResult>";
	char id[S3XML_MAX_UPLOAD_ID + 1], small[8];

	is_int(s3xml_initiate(aws, strlen(aws), id, sizeof id), S3_OK, "Initiate (AWS example)");
	is_str(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", "... UploadId");
	is_int(s3xml_initiate(swift, strlen(swift), id, sizeof id), S3_OK, "Initiate (Swift s3api)");
	is_str(id, "ZTFmNzQ0ZWYtMTk1Yi00YjQ3LWE1ZmMtNmI4MmUxNTJjNjU2", "... UploadId");
	is_int(s3xml_initiate(aws, strlen(aws), small, sizeof small), S3_ERR_TOOLONG,
	       "an UploadId that does not fit: TOOLONG");
	is_int(s3xml_initiate(S("<InitiateMultipartUploadResult><UploadId></UploadId>"
	                        "</InitiateMultipartUploadResult>"), id, sizeof id),
	       S3_ERR_PARSE, "an empty UploadId: PARSE");
	is_int(s3xml_initiate(S("<Other><UploadId>x</UploadId></Other>"), id, sizeof id),
	       S3_ERR_PARSE, "another document: PARSE");
	is_int(s3xml_initiate(S("<InitiateMultipartUploadResult><UploadId>a</UploadId><UploadId>b"
	                        "</UploadId></InitiateMultipartUploadResult>"), id, sizeof id),
	       S3_ERR_PARSE, "two UploadIds: PARSE");
}

static void list_parts(void)
{
	static const char page[] = DECL "<ListPartsResult" NS "><Bucket>example-bucket</Bucket>"
		"<Key>example-object</Key><UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEE"
		"wbG9hZA</UploadId><Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID>"
		"<DisplayName>umat-user-11116a31-17b5-4fb7-9df5-b288870f11xx</DisplayName></Initiator>"
		"<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
		"<DisplayName>someName</DisplayName></Owner><StorageClass>STANDARD</StorageClass>"
		"<PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>"
		"<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>"
		"<Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>"
		"<ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag><Size>10485760</Size></Part>"
		"<Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>"
		"<ETag>\"aaaa18db4cc2f85cedef654fccc4a4x8\"</ETag><Size>10485760</Size></Part>"
		"</ListPartsResult>";
	static const char last[] = "<ListPartsResult><IsTruncated>false</IsTruncated>"
		"<NextPartNumberMarker></NextPartNumberMarker><Part><PartNumber>4</PartNumber>"
		"<ETag>&quot;e4&quot;</ETag><Size>5</Size></Part></ListPartsResult>";
	static const char nosize[] = "<ListPartsResult><Part><PartNumber>1</PartNumber>"
		"<ETag>\"x\"</ETag></Part></ListPartsResult>";
	static const char badnum[] = "<ListPartsResult><Part><PartNumber>10001</PartNumber>"
		"<ETag>\"x\"</ETag><Size>1</Size></Part></ListPartsResult>";
	static const char nomarker[] = "<ListPartsResult><IsTruncated>true</IsTruncated>"
		"</ListPartsResult>";
	struct s3xml_parts p;
	char *many;
	size_t n = 0;

	is_int(s3xml_list_parts(page, strlen(page), &p), S3_OK, "ListParts (AWS example page)");
	ok(p.n == 2 && p.part[0].number == 2 && p.part[1].number == 3, "... parts 2 and 3");
	is_str(p.part[0].etag, "\"7778aef83f66abc1fa1e8477f296d394\"", "... ETag with its quotes");
	ok(p.part[1].size == 10485760ULL, "... Size");
	ok(p.truncated && p.next_marker == 3, "... truncated, next page after 3");
	s3xml_parts_free(&p);
	is_int(s3xml_list_parts(last, strlen(last), &p), S3_OK, "the last page");
	ok(p.n == 1 && !p.truncated && p.next_marker == 0, "... one part, not truncated");
	is_str(p.part[0].etag, "\"e4\"", "... &quot; read as a quote");
	s3xml_parts_free(&p);
	is_int(s3xml_list_parts(nosize, strlen(nosize), &p), S3_ERR_PARSE, "a Part without Size: PARSE");
	ok(p.part == NULL && p.n == 0, "... nothing left allocated");
	is_int(s3xml_list_parts(badnum, strlen(badnum), &p), S3_ERR_PARSE, "PartNumber 10001: PARSE");
	is_int(s3xml_list_parts(nomarker, strlen(nomarker), &p), S3_ERR_PARSE,
	       "truncated without NextPartNumberMarker: PARSE (no endless paging)");
	is_int(s3xml_list_parts(S("<ListPartsResult/>"), &p), S3_OK, "no parts: OK");
	ok(p.n == 0, "... zero parts");
	s3xml_parts_free(&p);

	many = malloc(1001 * 80 + 64);
	n += (size_t)sprintf(many, "<ListPartsResult>");
	for (int i = 1; i <= 1001; i++)
		n += (size_t)sprintf(many + n, "<Part><PartNumber>%d</PartNumber><ETag>\"e\"</ETag>"
		                     "<Size>1</Size></Part>", i);
	n += (size_t)sprintf(many + n, "</ListPartsResult>");
	is_int(s3xml_list_parts(many, n, &p), S3_ERR_RANGE, "1,001 parts in a page: RANGE");
	ok(p.part == NULL, "... freed");
	free(many);
}

static void complete(void)
{
	static const char aws[] = DECL "<CompleteMultipartUploadResult" NS "><Location>"
		"http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location><Bucket>"
		"Example-Bucket</Bucket><Key>Example-Object</Key><ETag>\"3858f62230ac3c915f300c664312c11f"
		"-9\"</ETag></CompleteMultipartUploadResult>";
	char loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	static const char err[] = DECL "<Error><Code>InvalidPart</Code><Message>One or more of the "
		"specified parts could not be found.</Message></Error>";

	is_int(s3xml_complete(aws, strlen(aws), loc, etag), S3_OK, "Complete (AWS example)");
	is_str(loc, "http://Example-Bucket.s3.region.amazonaws.com/Example-Object", "... Location");
	is_str(etag, "\"3858f62230ac3c915f300c664312c11f-9\"", "... ETag");
	is_int(s3xml_complete(err, strlen(err), loc, etag), S3_ERR_PARSE,
	       "an <Error> where the result should be: PARSE");
}

static void refusals(void)
{
	static const char laughs[] = "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"]><Error><Code>&c;</Code></Error>";
	static const char ext[] = "<!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Error><Code>&x;</Code></Error>";
	char deep[512] = "", big[S3XML_MAX_TEXT + 64];
	struct s3xml_error e;

	is_int(s3xml_error(laughs, strlen(laughs), &e), -1, "a DOCTYPE with nested entities: refused");
	is_int(s3xml_error(ext, strlen(ext), &e), -1, "an external entity: refused");
	for (int i = 0; i <= S3XML_MAX_DEPTH; i++)
		strcat(deep, "<a>");
	for (int i = 0; i <= S3XML_MAX_DEPTH; i++)
		strcat(deep, "</a>");
	is_int(s3xml_error(deep, strlen(deep), &e), -1, "nesting one past the limit: refused");
	strcpy(big, "<Error><Code>");
	memset(big + 13, 'x', S3XML_MAX_TEXT + 1);
	strcpy(big + 13 + S3XML_MAX_TEXT + 1, "</Code></Error>");
	is_int(s3xml_error(big, strlen(big), &e), -1, "an element's text past the limit: refused");
	is_int(s3xml_error(S("<Error>\xff</Error>"), &e), -1, "not UTF-8: refused");
	is_int(s3xml_error(S("<Error/><Error/>"), &e), -1, "two documents: refused");
}

static void location_and_cors(void)
{
	static const char loc[] = DECL "<LocationConstraint" NS ">eu-central-1</LocationConstraint>";
	static const char loc_us[] = DECL "<LocationConstraint" NS "/>";
	static const char loc_eu[] = "<LocationConstraint>EU</LocationConstraint>";
	static const char redirect[] = DECL "<Error><Code>AuthorizationHeaderMalformed</Code>"
		"<Message>The authorization header is malformed; the region 'us-east-1' is wrong; "
		"expecting 'eu-west-2'</Message><Region>eu-west-2</Region>"
		"<RequestId>R</RequestId></Error>";
	static const char cors[] = DECL "<CORSConfiguration" NS "><CORSRule><ID>app</ID>"
		"<AllowedOrigin>https://app.example.com</AllowedOrigin>"
		"<AllowedOrigin>https://*.example.org</AllowedOrigin>"
		"<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>"
		"<AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>Content-MD5</AllowedHeader>"
		"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
		"<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
		"</CORSRule></CORSConfiguration>";
	static const char comma[] = "<CORSConfiguration><CORSRule><AllowedOrigin>a,b"
		"</AllowedOrigin></CORSRule></CORSConfiguration>";
	static const char badage[] = "<CORSConfiguration><CORSRule><MaxAgeSeconds>-1"
		"</MaxAgeSeconds></CORSRule></CORSConfiguration>";
	char region[S3XML_MAX_REGION + 1], big[64 + 120 * 40];
	struct s3xml_error e;
	struct s3xml_cors c;

	is_int(s3xml_location(S(loc), region), S3_OK, "LocationConstraint read");
	is_str(region, "eu-central-1", "LocationConstraint: the region");
	is_int(s3xml_location(S(loc_us), region), S3_OK, "empty LocationConstraint read");
	is_str(region, "us-east-1", "empty LocationConstraint is us-east-1");
	is_int(s3xml_location(S(loc_eu), region), S3_OK, "EU read");
	is_str(region, "eu-west-1", "EU is eu-west-1");
	is_int(s3xml_location(S(redirect), region), S3_ERR_PARSE, "an Error is no LocationConstraint");
	is_int(s3xml_error(S(redirect), &e), 1, "AuthorizationHeaderMalformed read");
	is_str(e.region, "eu-west-2", "an Error's Region kept");
	is_int(s3xml_error(S("<Error><Code>X</Code></Error>"), &e), 1, "an Error without Region");
	is_str(e.region, "", "... region empty");

	is_int(s3xml_cors(S(cors), &c), S3_OK, "CORSConfiguration read");
	is_int(c.n, 2, "two rules");
	is_str(c.rule[0].id, "app", "rule 1: ID");
	is_str(c.rule[0].origins, "https://app.example.com,https://*.example.org", "rule 1: origins");
	is_str(c.rule[0].methods, "PUT,POST", "rule 1: methods");
	is_str(c.rule[0].headers, "Content-Type,Content-MD5", "rule 1: headers");
	is_str(c.rule[0].expose, "ETag", "rule 1: expose");
	is_int(c.rule[0].max_age, 3000, "rule 1: MaxAgeSeconds");
	is_str(c.rule[1].id, "", "rule 2: no ID");
	is_int(c.rule[1].max_age, -1, "rule 2: no MaxAgeSeconds");
	is_str(c.rule[1].headers, "", "rule 2: no headers");
	s3xml_cors_free(&c);
	ok(c.rule == NULL && c.n == 0, "cors freed and zeroed");
	is_int(s3xml_cors(S(comma), &c), S3_ERR_PARSE, "a value with a comma refused");
	is_int(s3xml_cors(S(badage), &c), S3_ERR_PARSE, "a negative MaxAgeSeconds refused");
	is_int(s3xml_cors(S(loc), &c), S3_ERR_PARSE, "another document refused");
	ok(c.rule == NULL && c.n == 0, "... nothing left allocated");
	{
		size_t n = 0;

		n += (size_t)snprintf(big + n, sizeof big - n, "<CORSConfiguration>");
		for (int i = 0; i < 101; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "<CORSRule></CORSRule>");
		n += (size_t)snprintf(big + n, sizeof big - n, "</CORSConfiguration>");
		is_int(s3xml_cors(big, n, &c), S3_ERR_RANGE, "101 rules refused (S3 allows 100)");
	}
	{
		char list[4 * S3XML_MAX_CORS_LIST];   /* 30 headers of 38 bytes joined: over the limit */
		size_t n = (size_t)snprintf(list, sizeof list, "<CORSConfiguration><CORSRule>");

		for (int i = 0; i < 30; i++)
			n += (size_t)snprintf(list + n, sizeof list - n,
			                      "<AllowedHeader>x-amz-meta-%026d</AllowedHeader>", i);
		n += (size_t)snprintf(list + n, sizeof list - n, "</CORSRule></CORSConfiguration>");
		ok(n < sizeof list, "the document fits its buffer");
		is_int(s3xml_cors(list, n, &c), S3_ERR_TOOLONG,
		       "headers joined over S3XML_MAX_CORS_LIST refused");
	}
}

int main(void)
{
	location_and_cors();
	error_docs();
	status_table();
	initiate();
	list_parts();
	complete();
	refusals();
	return done_testing();
}
