/* file.c - read a whole file with a limit (see file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define FILE_FIRST_ALLOC 4096   /* start for a file whose size stat cannot tell */
#define FILE_OWNER_MSG_MAX 128  /* why s3_file_read_owned refused */

/* Grows f->buf to want bytes by copy and wipe, never realloc (which could
 * leave a copy of a secret in freed memory). */
static int grow(struct s3_file *f, size_t want)
{
	char *p = malloc(want);

	if (!p)
		return -1;
	if (f->buf) {
		memcpy(p, f->buf, f->len);
		OPENSSL_cleanse(f->buf, f->alloc);
		free(f->buf);
	}
	f->buf = p;
	f->alloc = want;
	return 0;
}

/* The ownership rule of s3_file_read_owned on the open file's st. */
static const char *owner_check(const struct stat *st, uid_t uid, char *msg, size_t cap)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != uid && st->st_uid != 0) {
		snprintf(msg, cap, "owned by uid %lu, not by the running user (uid %lu) or root",
		         (unsigned long)st->st_uid, (unsigned long)uid);
		return msg;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(msg, cap, "writable by %s (mode %04o; chmod go-w)",
		         (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others" :
		         st->st_mode & S_IWGRP ? "group" : "others",
		         (unsigned)(st->st_mode & 07777));
		return msg;
	}
	return NULL;
}

/* s3_file_read, with the ownership rule when owned (uid) is set. */
static enum s3_err read_file(struct s3_file *f, const char *path, size_t max,
                             const uid_t *owned, char *why, size_t cap)
{
	enum s3_err rc = S3_ERR_IO;
	struct stat st;
	size_t want;
	int fd, e;

	memset(f, 0, sizeof *f);
	/* O_NONBLOCK with the ownership rule: a FIFO put there is refused
	 * at once (not a regular file) instead of waiting for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (owned ? O_NONBLOCK : 0));
	if (fd < 0) {
		e = errno;
		s3_msgf(why, cap, "%s: %s", path, strerror(e));
		return e == ENOENT || e == ENOTDIR ? S3_ERR_NOTFOUND : S3_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		s3_msgf(why, cap, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		s3_msgf(why, cap, "%s: %s", path, strerror(EISDIR));
		goto fail;
	}
	if (owned) {
		char msg[FILE_OWNER_MSG_MAX];
		const char *bad = owner_check(&st, *owned, msg, sizeof msg);

		if (bad) {
			s3_msgf(why, cap, "%s: refused: %s", path, bad);
			rc = S3_ERR_CONFIG;
			goto fail;
		}
	}
	/* the size stat gives, +1 for the NUL and +1 to see the end at once;
	 * a file that grows while read still stops at max + 1 bytes */
	want = FILE_FIRST_ALLOC;
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size <= max)
		want = (size_t)st.st_size + 2;
	if (want > max + 2)
		want = max + 2;
	if (grow(f, want) != 0)
		goto nomem;
	for (;;) {
		ssize_t r;

		if (f->len + 1 == f->alloc) {
			if (f->len > max)
				break;
			want = f->alloc * 2 > max + 2 ? max + 2 : f->alloc * 2;
			if (grow(f, want) != 0)
				goto nomem;
		}
		r = read(fd, f->buf + f->len, f->alloc - 1 - f->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			s3_msgf(why, cap, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		f->len += (size_t)r;
	}
	if (f->len > max) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, cap, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	close(fd);
	f->buf[f->len] = '\0';
	return S3_OK;
nomem:
	rc = S3_ERR_NOMEM;
	s3_msgf(why, cap, "%s: out of memory", path);
fail:
	close(fd);
	s3_file_wipe(f);
	return rc;
}

enum s3_err s3_file_read(struct s3_file *f, const char *path, size_t max,
                         char *why, size_t cap)
{
	return read_file(f, path, max, NULL, why, cap);
}

enum s3_err s3_file_read_owned(struct s3_file *f, const char *path, size_t max,
                               uid_t uid, char *why, size_t cap)
{
	return read_file(f, path, max, &uid, why, cap);
}

void s3_file_wipe(struct s3_file *f)
{
	if (!f)
		return;
	if (f->buf) {
		OPENSSL_cleanse(f->buf, f->alloc);
		free(f->buf);
	}
	memset(f, 0, sizeof *f);
}
