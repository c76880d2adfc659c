/* test_file.c - common/file.c: a whole file read with a limit, exactly at
 * and one byte over it, missing files and directories, a file whose size
 * stat does not tell (/proc), and the buffer is NUL-terminated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "file.h"

static char path[64];

static void write_n(size_t n)
{
	FILE *fp = fopen(path, "wb");

	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), fp);
	fclose(fp);
}

int main(void)
{
	struct s3_file f;
	char why[512];

	snprintf(path, sizeof path, "/tmp/test_file.%d", (int)getpid());

	write_n(10);
	is_int(s3_file_read(&f, path, 10, why, sizeof why), S3_OK, "exactly max bytes: read");
	is_int(f.len, 10, "all 10 bytes");
	ok(f.buf && f.buf[10] == '\0' && memcmp(f.buf, "abcdefghij", 10) == 0,
	   "the bytes, then a NUL");
	ok(f.alloc > f.len, "alloc covers the NUL");
	s3_file_wipe(&f);
	ok(!f.buf && !f.len && !f.alloc, "wipe clears the struct");

	write_n(11);
	is_int(s3_file_read(&f, path, 10, why, sizeof why), S3_ERR_TOOLONG, "max + 1 bytes: refused");
	ok(strstr(why, "larger than 10 bytes") != NULL, "message names the limit (%s)", why);
	ok(!f.buf, "nothing kept on failure");

	write_n(0);
	is_int(s3_file_read(&f, path, 10, why, sizeof why), S3_OK, "empty file: read");
	ok(f.len == 0 && f.buf && f.buf[0] == '\0', "empty: one NUL");
	s3_file_wipe(&f);

	write_n(100000);
	is_int(s3_file_read(&f, path, 100000, why, sizeof why), S3_OK, "100000 bytes: read");
	ok(f.len == 100000 && f.buf[99999] == 'a' + 99999 % 26, "all of them");
	s3_file_wipe(&f);
	unlink(path);

	is_int(s3_file_read(&f, path, 10, why, sizeof why), S3_ERR_NOTFOUND, "missing: S3_ERR_NOTFOUND");
	ok(strstr(why, "No such file") && strstr(why, path), "message names the path (%s)", why);
	is_int(s3_file_read(&f, "/etc/passwd/x", 10, why, sizeof why), S3_ERR_NOTFOUND,
	       "a file on the way: S3_ERR_NOTFOUND (ENOTDIR)");
	is_int(s3_file_read(&f, "/tmp", 10, why, sizeof why), S3_ERR_IO, "a directory: S3_ERR_IO");
	ok(strstr(why, "Is a directory") != NULL, "message says directory (%s)", why);

	/* st_size 0, real content: the buffer grows */
	is_int(s3_file_read(&f, "/proc/self/status", 1 << 20, why, sizeof why), S3_OK,
	       "/proc file (stat size 0): read");
	ok(f.len > 100 && strncmp(f.buf, "Name:", 5) == 0 && strlen(f.buf) == f.len,
	   "its content, NUL-terminated (%zu bytes)", f.len);
	s3_file_wipe(&f);
	is_int(s3_file_read(&f, "/proc/self/status", 20, why, sizeof why), S3_ERR_TOOLONG,
	       "/proc file over the limit: refused");
	s3_file_wipe(NULL);
	ok(1, "wipe(NULL) is harmless");
	return done_testing();
}
