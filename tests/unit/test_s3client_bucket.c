/* test_s3client_bucket.c - the S3 client's bucket calls (HeadBucket,
 * GetBucketLocation, GetBucketCors; common/s3client_bucket.c) against a
 * fake s3_http_fn: the bucket's own path in both addressing styles,
 * signed; the region of a refusal (x-amz-bucket-region, an <Error>'s
 * <Region>); a 404 HEAD named NoSuchBucket; NotImplemented. No network. */

#include "tap.h"
#include "fake_s3.h"

int main(void)
{
	struct s3_bucket_answer b;
	struct s3_call_error err;
	struct s3xml_cors cors;

	{
		static const struct answer a[] = { { S3_OK, 200, "", {
			{ "x-amz-bucket-region", "us-east-1" } } } };

		setup(a, 1);
		is_int(s3_client_head_bucket(&cl, &creds, T0, &b, &err), S3_OK, "head bucket (%s)",
		       err.why);
		is_str(sent_method, "HEAD", "head bucket: HEAD");
		is_str(sent_url, "http://127.0.0.1:9000/bkt", "head bucket: path-style /BUCKET");
		ok(strstr(sent_headers, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
		          "20261204/us-east-1/s3/aws4_request") != NULL, "head bucket: header-signed");
		is_int(b.status, 200, "head bucket: status");
		is_str(b.region, "us-east-1", "head bucket: x-amz-bucket-region");
	}
	{
		static const struct answer a[] = { { S3_OK, 301, "", {
			{ "x-amz-bucket-region", "eu-west-2" } } } };

		setup(a, 1);
		cl.target = (struct s3_target){ "bkt", "us-east-1", NULL, S3_STYLE_AUTO };
		is_int(s3_client_head_bucket(&cl, &creds, T0, &b, &err), S3_ERR_REMOTE,
		       "head bucket: a 301 is a refusal");
		is_str(sent_url, "https://bkt.s3.amazonaws.com/", "head bucket: virtual-hosted /");
		is_int(b.status, 301, "head bucket: 301 kept");
		is_str(b.region, "eu-west-2", "head bucket: the region of the refusal");
		is_str(err.code, "PermanentRedirect", "head bucket: 301 named PermanentRedirect");
		is_int(nsent, 1, "head bucket: not retried");
	}
	{
		static const struct answer a[] = { { S3_OK, 404, "", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_head_bucket(&cl, &creds, T0, &b, &err), S3_ERR_REMOTE, "head 404");
		is_str(err.code, "NoSuchBucket", "head 404: NoSuchBucket, though HEAD has no body");
		is_str(b.region, "", "head 404: no region");
	}
	{
		static const struct answer a[] = { { S3_OK, 403, "", {
			{ "x-amz-bucket-region", "bad region!" } } } };

		setup(a, 1);
		is_int(s3_client_head_bucket(&cl, &creds, T0, &b, &err), S3_ERR_REMOTE, "head 403");
		is_str(err.code, "", "head 403: no code to read");
		is_str(b.region, "", "head 403: a region that is not a region name is dropped");
	}
	{
		static const struct answer a[] = { { S3_ERR_IO, 0, "", { { NULL, NULL } } } };

		setup(a, 1);
		cl.retries = S3_CLIENT_NO_RETRIES;
		is_int(s3_client_head_bucket(&cl, &creds, T0, &b, &err), S3_ERR_IO,
		       "head bucket: transport failure");
		ok(b.status == 0 && strstr(err.why, "Connection refused"), "... no status, why says (%s)",
		   err.why);
	}
	{
		static const struct answer a[] = { { S3_OK, 200,
			"<LocationConstraint>ap-south-1</LocationConstraint>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_bucket_region(&cl, &creds, T0, &b, &err), S3_OK, "location (%s)",
		       err.why);
		is_str(sent_url, "http://127.0.0.1:9000/bkt?location=", "location: GET /BUCKET?location=");
		is_str(b.region, "ap-south-1", "location: the region");
	}
	{
		static const struct answer a[] = { { S3_OK, 400,
			"<Error><Code>AuthorizationHeaderMalformed</Code><Message>m</Message>"
			"<Region>eu-west-2</Region></Error>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_bucket_region(&cl, &creds, T0, &b, &err), S3_ERR_REMOTE,
		       "location: refused");
		is_str(err.code, "AuthorizationHeaderMalformed", "location: the code");
		is_str(b.region, "eu-west-2", "location: the Error's Region");
		is_int(b.status, 400, "location: the status");
	}
	{
		static const struct answer a[] = { { S3_OK, 403,
			"<Error><Code>SignatureDoesNotMatch</Code></Error>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_bucket_region(&cl, &creds, T0, &b, &err), S3_ERR_REMOTE,
		       "location: SignatureDoesNotMatch");
		is_str(err.code, "SignatureDoesNotMatch", "location: named");
	}
	{
		static const struct answer a[] = { { S3_OK, 200, "<CORSConfiguration><CORSRule>"
			"<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
			"</CORSRule></CORSConfiguration>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_cors(&cl, &creds, T0, &cors, &err), S3_OK, "cors (%s)", err.why);
		is_str(sent_url, "http://127.0.0.1:9000/bkt?cors=", "cors: GET /BUCKET?cors=");
		ok(cors.n == 1 && !strcmp(cors.rule[0].methods, "PUT"), "cors: the rule");
		is_int(sent_max_body, S3XML_MAX_BODY, "cors: body up to S3XML_MAX_BODY");
		s3xml_cors_free(&cors);
	}
	{
		static const struct answer a[] = { { S3_OK, 501, "<Error><Code>NotImplemented</Code>"
			"<Message>The requested resource is not implemented</Message></Error>",
			{ { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_cors(&cl, &creds, T0, &cors, &err), S3_ERR_IO,
		       "cors: 501 is the service's failure");
		is_str(err.code, "NotImplemented", "cors: NotImplemented named");
		is_int(nsent, 1, "cors: a 501 not retried");
	}
	{
		static const struct answer a[] = { { S3_OK, 200, "<NotCors/>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_cors(&cl, &creds, T0, &cors, &err), S3_ERR_PARSE,
		       "cors: another document");
		is_int(err.status, 502, "cors: ... 502");
	}
	return done_testing();
}
