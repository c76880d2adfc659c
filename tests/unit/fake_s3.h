/* fake_s3.h - a scripted S3 for the S3 client's unit tests: a fake
 * s3_http_fn that records what is sent (method, URL, headers, the body
 * limit) and answers from a table (a transport error, or a status, a body
 * and response headers), a sleep that does not, and a client aimed at
 * http://127.0.0.1:9000 bucket "bkt" with the AWS suite's example keys.
 * setup(answers, n) starts a script. Include after tap.h; used by
 * test_s3client_obj.c and test_s3client_bucket.c. No network. */
#ifndef SIGN_S3_TEST_FAKE_S3_H
#define SIGN_S3_TEST_FAKE_S3_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "presign.h"
#include "s3client.h"

#define T0 1796378410   /* 20261204T100010Z */

struct answer {
	enum s3_err err;
	long status;
	const char *body;
	const char *hdr[6][2];    /* response headers: name, value */
};

static const struct answer *answers;
static size_t nans, next;
static char sent_method[8], sent_url[1024], sent_headers[4096];
static size_t sent_max_body, nsent;

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t cap)
{
	const struct answer *a;

	(void)ctx;
	memset(rs, 0, sizeof *rs);
	nsent++;
	snprintf(sent_method, sizeof sent_method, "%s", rq->method);
	snprintf(sent_url, sizeof sent_url, "%s", rq->url);
	sent_headers[0] = '\0';
	for (size_t i = 0; i < rq->nheaders; i++) {
		size_t n = strlen(sent_headers);

		snprintf(sent_headers + n, sizeof sent_headers - n, "%s: %s\n", rq->headers[i].name,
		         rq->headers[i].value);
	}
	sent_max_body = rq->max_body;
	if (next >= nans) {
		snprintf(why, cap, "no scripted answer");
		return S3_ERR_IO;
	}
	a = &answers[next++];
	if (a->err) {
		snprintf(why, cap, "Connection refused (fake)");
		return a->err;
	}
	rs->status = a->status;
	rs->len = strlen(a->body);
	rs->body = malloc(rs->len + 1);
	memcpy(rs->body, a->body, rs->len + 1);
	for (size_t i = 0; i < rq->nwant; i++)
		for (size_t j = 0; j < 6 && a->hdr[j][0]; j++)
			if (!strcasecmp(rq->want_headers[i], a->hdr[j][0]))
				rs->header_values[i] = strdup(a->hdr[j][1]);
	return S3_OK;
}

static void no_sleep(unsigned ms)
{
	(void)ms;
}

static struct s3_client cl;
static const struct s3_creds creds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       NULL };

static void setup(const struct answer *a, size_t n)
{
	memset(&cl, 0, sizeof cl);
	cl.target = (struct s3_target){ "bkt", "us-east-1", "http://127.0.0.1:9000", S3_STYLE_AUTO };
	cl.http = fake_http;
	cl.sleep_ms = no_sleep;
	answers = a;
	nans = n;
	next = nsent = 0;
}

#endif
