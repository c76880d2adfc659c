/* doctor.h - `sign_s3 doctor [--json] [--origin URL ...]`: the handful of
 * questions most failed "server signs, browser uploads" deployments come
 * down to, asked of the real S3 with the responder's own configuration
 * and code.
 *
 * The configuration is read exactly as the responder reads it
 * (s3_app_init: the environment, SIGN_S3_CONFIG, the credential chain),
 * then each check gives one line: PASS, WARN, FAIL or SKIP, its name and
 * what was found; a FAIL or WARN also the cause and the fix in words.
 *
 *   config       the configuration loads (else the variable at fault)
 *   credentials  where they come from (env, file, process, container,
 *                imds) and when they expire: never a value
 *   endpoint     S3 answers at the bucket's URL (an unsigned HEAD, connect
 *                timeout DOCTOR_CONNECT_TIMEOUT_MS): else the address tried
 *   clock        this host's clock against that answer's Date: WARN over
 *                DOCTOR_CLOCK_WARN_S, FAIL over DOCTOR_CLOCK_FAIL_S (S3
 *                refuses requests 15 minutes off)
 *   bucket       HeadBucket: the bucket exists and its region
 *                (x-amz-bucket-region, a redirect, an <Error>'s <Region>)
 *                is S3_REGION, else the right one is named; a 403 or 400
 *                is asked again with GetBucketLocation, whose answer names
 *                the cause (SignatureDoesNotMatch, InvalidAccessKeyId, ...)
 *   upload       a round trip through the responder's own code: a POST
 *                /api/sign_s3 request (s3_handle: type rules, key under
 *                S3_KEY_PREFIX, file_size and file_md5 signed) for a small
 *                test object, then the PUT of the answer's URL with its
 *                headers, as a browser sends it
 *   read-back    HeadObject and GetObject: the same size, type and bytes
 *   public-url   with S3_PUBLIC_URL: the answer's url serves the same bytes
 *   acl          with S3_ACL: the PUT carried it (AccessControlListNotSupported)
 *   cors-rules   with origins: GetBucketCors (NotImplemented: said, SKIP)
 *   cors ORIGIN  per --origin (else S3_CORS_ORIGINS): a real preflight to
 *                the presigned URL (Origin, Access-Control-Request-Method
 *                PUT, and POST with S3_SIMPLE_UPLOAD=post, Access-Control-
 *                Request-Headers naming every header an answer can sign),
 *                the rule that matched, then a PUT with Origin: ETag exposed
 *   delete       DeleteObject of the test object (a 403: WARN, its key named)
 *
 * A check that cannot run because an earlier one failed is SKIP with the
 * reason. Exit status: 0 when no check FAILs (WARN and SKIP are not
 * failures), 1 otherwise, 2 for a usage error. --json prints one JSON
 * document instead (the same verdicts).
 *
 * Nothing printed holds a secret, a signature or a presigned URL: keys,
 * hosts, statuses, S3's error codes and messages only; a text that would
 * carry the secret key or "X-Amz-Signature" is replaced whole. The test
 * object's key is PREFIX + uuid + "/sign_s3-doctor.EXT" (as any upload's;
 * the user "sign-s3-doctor" under S3_REQUIRE_USER=1). Every request goes
 * through common/http.c (libcurl) without retries. */
#ifndef SIGN_S3_DOCTOR_H
#define SIGN_S3_DOCTOR_H

#define DOCTOR_CONNECT_TIMEOUT_MS 1000   /* S3 unreachable fails this fast */
#define DOCTOR_TIMEOUT_MS         3000   /* one request, whole */
#define DOCTOR_CLOCK_WARN_S       300    /* 5 minutes */
#define DOCTOR_CLOCK_FAIL_S       900    /* 15 minutes: S3 refuses */
#define DOCTOR_MAX_ORIGINS        16     /* --origin given (S3_CORS_ORIGINS_MAX too) */
#define DOCTOR_OBJECT_SIZE        64     /* the test object's bytes ... */
#define DOCTOR_OBJECT_MAX         (1024 * 1024)   /* ... or S3_MIN_FILE_SIZE, at most this */
#define DOCTOR_USER               "sign-s3-doctor"   /* REMOTE_USER with S3_REQUIRE_USER=1 */

/* argv[0] is "doctor". Returns the exit status. */
int cli_doctor(int argc, char **argv);

#endif
