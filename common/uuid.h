/* uuid.h - random (version 4) UUIDs for object keys, RFC 9562.
 *
 * Each upload gets its own key uploads/<uuid>/<name>, so two uploads of the
 * same file name never overwrite each other and keys cannot be guessed.
 * The 122 random bits come from OpenSSL's CSPRNG (RAND_bytes). The text
 * form is lowercase hex, 8-4-4-4-12, 36 characters plus a NUL. */
#ifndef SIGN_S3_UUID_H
#define SIGN_S3_UUID_H

#include "err.h"

#define S3_UUID_LEN 36          /* characters, without the NUL */
#define S3_UUID_POOL 64         /* UUIDs drawn from RAND_bytes at once */

/* Writes a fresh random UUID to out; S3_ERR_CRYPTO (out is "") when the
 * random generator fails. The random bytes come from a per-process pool
 * refilled S3_UUID_POOL UUIDs at a time (wiped as used, discarded in a
 * child made by fork()); not thread-safe: one caller thread per process. */
enum s3_err s3_uuid_v4(char out[37]);

/* Formats raw as a version 4 UUID: the high nibble of byte 6 becomes 4 and
 * the two high bits of byte 8 become 10; the rest is kept. Pure. */
void s3_uuid_format(const unsigned char raw[16], char out[37]);

#endif
