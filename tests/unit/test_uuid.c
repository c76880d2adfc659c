/* test_uuid.c - s3_uuid_format() vectors and s3_uuid_v4() shape/uniqueness. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "uuid.h"

struct vec {
	const char *name;
	unsigned char raw[16];
	const char *want;
};

static const struct vec vecs[] = {
	{ "all zero", { 0 }, "00000000-0000-4000-8000-000000000000" },
	{ "all 0xff", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	  "ffffffff-ffff-4fff-bfff-ffffffffffff" },
	{ "counting", { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
			0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
	  "00010203-0405-4607-8809-0a0b0c0d0e0f" },
	{ "RFC 9562 A.4 (already v4)", { 0x91, 0x91, 0x08, 0xf7, 0x52, 0xd1, 0x43, 0x20,
			0x9b, 0xac, 0xf8, 0x47, 0xdb, 0x41, 0x48, 0xa8 },
	  "919108f7-52d1-4320-9bac-f847db4148a8" },
	{ "version and variant forced", { 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0x12, 0x34,
			0xc5, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23 },
	  "deadbeef-cafe-4234-8567-89abcdef0123" },
	{ "variant 0x7f -> 0xbf", { 0, 0, 0, 0, 0, 0, 0x5a, 0xa5, 0x7f, 0x80, 0, 0, 0, 0, 0, 0 },
	  "00000000-0000-4aa5-bf80-000000000000" },
};

static const char hexdig[] = "0123456789abcdef";

/* 1 when s has the shape xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx. */
static int v4_shape(const char *s)
{
	size_t i;

	if (strlen(s) != S3_UUID_LEN)
		return 0;
	for (i = 0; i < S3_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (i == 14) {
			if (s[i] != '4')
				return 0;
		} else if (i == 19) {
			if (!strchr("89ab", s[i]))
				return 0;
		} else if (!s[i] || !strchr(hexdig, s[i])) {
			return 0;
		}
	}
	return 1;
}

static void test_vectors(void)
{
	size_t i;
	char out[40];

	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		memset(out, 'Z', sizeof out);
		s3_uuid_format(vecs[i].raw, out);
		is_str(out, vecs[i].want, "format: %s", vecs[i].name);
	}
}

/* Every byte value: only the version nibble and variant bits change. */
static void test_all_bytes(void)
{
	unsigned b;
	size_t bad = 0;

	for (b = 0; b < 256; b++) {
		unsigned char raw[16];
		char out[37];

		memset(raw, (int)b, sizeof raw);
		s3_uuid_format(raw, out);
		if (!v4_shape(out) || out[0] != hexdig[b >> 4] || out[1] != hexdig[b & 15] ||
		    out[15] != hexdig[b & 15] || out[16] != hexdig[b >> 4] ||
		    out[14] != '4' || out[19] != "89ab"[(b >> 4) & 3] ||
		    out[20] != hexdig[b & 15] || out[35] != hexdig[b & 15]) {
			if (bad++ < 5)
				diag("byte 0x%02x: %s", b, out);
		}
	}
	is_int(bad, 0, "format: every byte value keeps its bits except version/variant");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_random(void)
{
	enum { N = 1000 };
	static char ids[N][37];
	size_t i, j, bad_shape = 0, errs = 0, dups = 0, constant = 0;

	for (i = 0; i < N; i++) {
		if (s3_uuid_v4(ids[i]) != S3_OK)
			errs++;
		if (!v4_shape(ids[i]) && bad_shape++ < 3)
			diag("bad shape: '%s'", ids[i]);
	}
	is_int(errs, 0, "s3_uuid_v4: %d calls succeed", N);
	is_int(bad_shape, 0, "s3_uuid_v4: every result has the v4 shape");
	/* every random position takes more than one value over 1000 ids */
	for (j = 0; j < S3_UUID_LEN; j++) {
		if (j == 8 || j == 13 || j == 14 || j == 18 || j == 23)
			continue;
		for (i = 1; i < N && ids[i][j] == ids[0][j]; i++)
			;
		if (i == N)
			constant++;
	}
	is_int(constant, 0, "s3_uuid_v4: no random position is constant");
	qsort(ids, N, sizeof ids[0], cmp);
	for (i = 1; i < N; i++)
		if (!strcmp(ids[i - 1], ids[i]))
			dups++;
	is_int(dups, 0, "s3_uuid_v4: %d results are all distinct", N);
}

/* The random bytes come from a per-process pool (S3_UUID_POOL UUIDs at a
 * time): a child forked with a half-used pool must not hand out the
 * parent's next UUIDs. */
static void test_fork(void)
{
	enum { K = 8 };
	char first[37], mine[K][37], theirs[K][37];
	int fds[2], status = 0, same = 0;
	ssize_t got = 0;
	pid_t pid;

	s3_uuid_v4(first);           /* the pool is now filled, one used */
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		ok(0, "fork: pipe/fork");
		return;
	}
	if (pid == 0) {
		char ids[K][37];

		close(fds[0]);
		for (int i = 0; i < K; i++)
			s3_uuid_v4(ids[i]);
		_exit(write(fds[1], ids, sizeof ids) == (ssize_t)sizeof ids ? 0 : 1);
	}
	close(fds[1]);
	for (int i = 0; i < K; i++)
		s3_uuid_v4(mine[i]);
	while (got < (ssize_t)sizeof theirs) {
		ssize_t k = read(fds[0], (char *)theirs + got, sizeof theirs - (size_t)got);

		if (k <= 0)
			break;
		got += k;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(got == (ssize_t)sizeof theirs && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "fork: the child made %d UUIDs", K);
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++)
			same += !strcmp(mine[i], theirs[j]);
	is_int(same, 0, "fork: parent and child never hand out the same UUID");
}

/* More than one pool's worth in a row: the refill keeps them distinct. */
static void test_pool_refill(void)
{
	enum { N = 3 * S3_UUID_POOL + 1 };
	static char ids[N][37];
	size_t dups = 0, bad = 0;

	for (size_t i = 0; i < N; i++)
		if (s3_uuid_v4(ids[i]) != S3_OK || !v4_shape(ids[i]))
			bad++;
	qsort(ids, N, sizeof ids[0], cmp);
	for (size_t i = 1; i < N; i++)
		dups += !strcmp(ids[i - 1], ids[i]);
	ok(bad == 0 && dups == 0, "pool: %d UUIDs across refills: all v4, all distinct", N);
}

int main(void)
{
	test_vectors();
	test_all_bytes();
	test_random();
	test_fork();
	test_pool_refill();
	return done_testing();
}
