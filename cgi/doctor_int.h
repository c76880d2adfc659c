/* doctor_int.h - the checks of `sign_s3 doctor` (doctor.h) and their
 * report: shared by doctor.c (command line, report, configuration,
 * credentials, endpoint, clock, bucket) and doctor_s3.c (the upload round
 * trip, public URL, ACL, CORS, delete). */
#ifndef SIGN_S3_DOCTOR_INT_H
#define SIGN_S3_DOCTOR_INT_H

#include <stddef.h>
#include <time.h>

#include "doctor.h"
#include "handler.h"
#include "s3client.h"

#define DR_TEXT_MAX   2048      /* one detail, cause or fix (a key is up to 1024 bytes) */
#define DR_NAME_MAX   (8 + 300) /* "cors " + an origin */
#define DR_MAX_CHECKS (16 + DOCTOR_MAX_ORIGINS)
#define DR_MAX_PUT_HEADERS 4    /* the answer's headers (Content-Type, -MD5, -Disposition) */

enum dr_status { DR_PASS, DR_WARN, DR_FAIL, DR_SKIP };

struct dr_check {
	char name[DR_NAME_MAX];
	enum dr_status st;
	char detail[DR_TEXT_MAX];
	char cause[DR_TEXT_MAX];
	char fix[DR_TEXT_MAX];
};

struct dr {
	int json;
	const char *origins[DOCTOR_MAX_ORIGINS];
	size_t norigins;
	char origin_buf[DOCTOR_MAX_ORIGINS][SIGV4_MAX_ENDPOINT + 1];  /* --origin, normalized
	                                                           as S3_CORS_ORIGINS is */
	char *origin_list;               /* S3_CORS_ORIGINS split (owned) */
	struct dr_check check[DR_MAX_CHECKS];
	size_t n;

	struct s3_app app;
	int have_app, have_creds, reachable, clock_ok, bucket_ok;
	struct s3_creds creds;           /* into app.creds' cache */
	struct s3_client cl;
	char bucket_url[SIGV4_URL_MAX];

	/* the upload round trip */
	int signed_ok, put_ok;
	long put_status;
	char put_code[S3XML_MAX_CODE + 1];
	char *put_url;                   /* the answer's presigned URL: never printed, wiped */
	char key[SIGV4_MAX_KEY + 1];
	char url[S3_CONFIG_MAX_PUBLIC + 3 * (SIGV4_MAX_KEY + 1) + 2];   /* the answer's url */
	char type[S3_REQ_MAX_FIELD + 1];
	struct s3_http_header hdr[DR_MAX_PUT_HEADERS];
	char *hdr_mem[2 * DR_MAX_PUT_HEADERS];
	size_t nhdr;
	unsigned char *body;
	size_t body_len;
};

/* Adds a check (printed at once unless --json). cause and fix may be NULL;
 * fmt makes the detail. Secrets are replaced whole (doctor.h). */
void dr_add(struct dr *d, const char *name, enum dr_status st, const char *cause,
            const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* What an S3 error code means and what to do, for an operation (op names
 * the permission in an AccessDenied fix). NULL cause: no advice known. */
void dr_advice(const struct dr *d, const char *code, const char *op, const char **cause,
               const char **fix);

/* S3's <Error> code and message of an answer's body, into code and msg
 * ("" when none). */
void dr_s3_error(const char *body, size_t len, char code[S3XML_MAX_CODE + 1],
                 char msg[S3XML_MAX_MESSAGE + 1]);

/* doctor_s3.c: the checks after the bucket, in the order doctor.h lists. */
void dr_upload(struct dr *d);
void dr_read_back(struct dr *d);
void dr_public_url(struct dr *d);
void dr_acl(struct dr *d);
void dr_cors(struct dr *d);
void dr_delete(struct dr *d);
void dr_upload_free(struct dr *d);

#endif
