/* test_key.c - common/key.c: the keys this server makes and the check of
 * the keys a caller names (an issued key passes, nothing else does). */
#include <stdio.h>
#include <string.h>
#include "key.h"
#include "tap.h"

#define U "0f8fad5b-d9cb-469f-a165-70867728950e"

int main(void)
{
	char key[1100];
	size_t len = 0;
	static const char *const bad[] = {
		"uploads/" U,                                   /* no name */
		"uploads/" U "/",                               /* empty name */
		"uploads/" U "x/a.txt",                         /* uuid too long */
		"uploads/" "0F8FAD5B-D9CB-469F-A165-70867728950E" "/a.txt",   /* upper case */
		"uploads/" "0f8fad5b-d9cb-369f-a165-70867728950e" "/a.txt",   /* version 3 */
		"uploads/" "0f8fad5b-d9cb-469f-c165-70867728950e" "/a.txt",   /* variant c */
		"uploads/" "0f8fad5bd9cb-469f-a165-70867728950e-" "/a.txt",   /* dashes */
		"uploads/" "0f8fad5b-d9cb-469f-a165-70867728950g" "/a.txt",   /* not hex */
		"other/" U "/a.txt",                            /* another prefix */
		"uploadsx" U "/a.txt",
		"Uploads/" U "/a.txt",
		"uploads/../" U "/a.txt",
		"uploads/" U "/A.txt",                          /* not its sanitized form */
		"uploads/" U "/a b.txt",
		"uploads/" U "/ a.txt",
		"uploads/" U "/dir/a.txt",                      /* a '/' in the name */
		"uploads/" U "/..",
		"uploads/" U "/.",
		"uploads/" U "/a\\b.txt",
		"uploads/" U "/\xc3\x28.txt",                   /* not UTF-8 */
		"uploads/" U U "/a.txt",
		"",
	};

	ok(s3_key_make("uploads/", 8, U, "a.txt", 1024, key, sizeof key, &len) == S3_OK &&
	   !strcmp(key, "uploads/" U "/a.txt") && len == strlen(key), "make: prefix uuid / name");
	ok(s3_key_make("", 0, U, "a.txt", 1024, key, sizeof key, &len) == S3_OK &&
	   !strcmp(key, U "/a.txt"), "make: no prefix");
	ok(s3_key_make("uploads/", 8, U, "a.txt", 8 + 36 + 1 + 4, key, sizeof key, &len) ==
	   S3_ERR_TOOLONG && !key[0], "make: one byte over max_key is refused");
	ok(s3_key_make("uploads/", 8, U, "a.txt", 1024, key, 8 + 36 + 1 + 5, &len) ==
	   S3_ERR_TOOLONG, "make: no room for the NUL is refused");

	ok(s3_uuid_v4_valid(U, 36), "uuid: a v4 uuid");
	ok(!s3_uuid_v4_valid(U, 35), "uuid: one short");

	ok(s3_key_check("uploads/", 8, "uploads/" U "/a.txt", strlen("uploads/" U "/a.txt"), 255)
	   == S3_OK, "check: an issued key");
	ok(s3_key_check("uploads/", 8, "uploads/" U "/big_video.mp4",
	                strlen("uploads/" U "/big_video.mp4"), 255) == S3_OK,
	   "check: a sanitized name with _ and .");
	ok(s3_key_check("uploads/", 8, "uploads/" U "/caf\xc3\xa9.txt",
	                strlen("uploads/" U "/caf\xc3\xa9.txt"), 255) == S3_OK,
	   "check: a lowercase UTF-8 name");
	ok(s3_key_check("users/alice/", 12, "users/alice/" U "/a.txt",
	                strlen("users/alice/" U "/a.txt"), 255) == S3_OK, "check: a user prefix");
	ok(s3_key_check("users/alice/", 12, "users/bob/" U "/a.txt",
	                strlen("users/bob/" U "/a.txt"), 255) == S3_ERR_INVAL,
	   "check: another user's prefix");
	ok(s3_key_check("users/al/", 9, "users/alice/" U "/a.txt",
	                strlen("users/alice/" U "/a.txt"), 255) == S3_ERR_INVAL,
	   "check: a prefix that is a prefix of another's is not enough");
	ok(s3_key_check("", 0, U "/a.txt", strlen(U "/a.txt"), 255) == S3_OK,
	   "check: no prefix");
	ok(s3_key_check("uploads/", 8, "uploads/" U "/abcde", strlen("uploads/" U "/abcde"), 4)
	   == S3_ERR_INVAL, "check: a name over name_max");
	ok(s3_key_check("uploads/", 8, "uploads/" U "/abcd", strlen("uploads/" U "/abcd"), 4)
	   == S3_OK, "check: a name of exactly name_max");
	{
		static const char k[] = "uploads/" U "/a\0b";

		ok(s3_key_check("uploads/", 8, k, sizeof k - 1, 255) == S3_ERR_INVAL,
		   "check: a NUL in the name");
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(s3_key_check("uploads/", 8, bad[i], strlen(bad[i]), 255) == S3_ERR_INVAL,
		   "check refuses \"%s\"", bad[i]);
	return done_testing();
}
