/* config_file.c - the configuration file: read once, parsed into
 * NAME=value entries (see config_file.h). */
#include "config_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "file.h"

#define CFG_LINE_MSG_MAX 128     /* what is wrong with one line */
#define CFG_FILE_MSG_MAX 1200    /* "PATH: why" of the file reader */

void cfg_file_free(struct cfg_file *f)
{
	if (f->buf) {
		OPENSSL_cleanse(f->buf, f->alloc);
		free(f->buf);
	}
	memset(f, 0, sizeof(*f));
}

/* Reads path into f->buf (NUL-terminated), refusing more than
 * S3_CONFIG_MAX_FILE bytes. */
static enum s3_err file_read(struct cfg_file *f, const char *path, const char *label,
                             uid_t uid, char *err, size_t cap)
{
	struct s3_file sf;
	char msg[CFG_FILE_MSG_MAX];
	enum s3_err rc = s3_file_read_owned(&sf, path, S3_CONFIG_MAX_FILE, uid, msg, sizeof msg);

	if (rc == S3_ERR_TOOLONG || rc == S3_ERR_CONFIG) {
		s3_msgf(err, cap, "%s: %s", label, msg);
		return S3_ERR_CONFIG;
	}
	if (rc) {
		s3_msgf(err, cap, "%s: cannot read %s", label, msg);
		return rc;
	}
	f->buf = sf.buf, f->alloc = sf.alloc, f->size = sf.len;
	return S3_OK;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims whitespace around s[0..*n), in place. */
static char *trim(char *s, size_t *n)
{
	while (*n && is_ws(s[*n - 1]))
		s[--*n] = '\0';
	while (*n && is_ws(*s))
		s++, --*n;
	return s;
}

const char *cfg_file_get(const struct cfg_file *f, const char *name, unsigned *line)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->ent[i].name, name) == 0) {
			if (line)
				*line = f->ent[i].line;
			return f->ent[i].value;
		}
	}
	return NULL;
}

/* One line (NUL-terminated in place, without its '\n'): NULL or a refusal
 * (static, or written to msg). */
static const char *file_line(struct cfg_file *f, char *s, size_t n, unsigned line,
                             int (*known)(const char *name), char *msg, size_t cap)
{
	char *eq, *name, *val;
	size_t nn, vn;
	unsigned first;

	if (n > S3_CONFIG_MAX_LINE) {
		snprintf(msg, cap, "longer than %d bytes", S3_CONFIG_MAX_LINE);
		return msg;
	}
	s = trim(s, &n);
	if (n == 0 || *s == '#')
		return NULL;
	eq = strchr(s, '=');
	if (!eq)
		return "expected NAME=value";
	*eq = '\0';
	nn = (size_t)(eq - s);
	name = trim(s, &nn);
	vn = n - (size_t)(eq - s) - 1;
	val = trim(eq + 1, &vn);
	if (nn == 0)
		return "expected NAME=value";
	if (!known(name))
		return "unknown name";
	if (cfg_file_get(f, name, &first)) {
		snprintf(msg, cap, "duplicate name (first set on line %u)", first);
		return msg;
	}
	if (vn && (*val == '"' || *val == '\'')) {
		if (vn < 2 || val[vn - 1] != *val)
			return "unmatched quote";
		val[vn - 1] = '\0';
		val++;
	}
	if (f->n == CFG_MAX_ENTRIES)
		return "too many settings";
	f->ent[f->n].name = name;
	f->ent[f->n].value = val;
	f->ent[f->n].line = line;
	f->n++;
	return NULL;
}

/* Reads and parses the file; every refusal names the path and line. */
enum s3_err cfg_file_load(struct cfg_file *f, const char *path, const char *label,
                          uid_t uid, int (*known)(const char *name), char *err, size_t cap)
{
	enum s3_err rc;
	char *s, *end;
	unsigned line = 1;

	if (!*path) {
		s3_msgf(err, cap, "%s: expected a file path", label);
		return S3_ERR_CONFIG;
	}
	rc = file_read(f, path, label, uid, err, cap);
	if (rc)
		return rc;
	s = f->buf;
	end = f->buf + f->size;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (nl ? (size_t)(nl - s) : (size_t)(end - s));
		char msg[CFG_LINE_MSG_MAX];
		const char *what;

		if (memchr(s, '\0', n))
			what = "NUL byte";
		else {
			s[n] = '\0';
			what = file_line(f, s, n, line, known, msg, sizeof(msg));
		}
		if (what) {
			s3_msgf(err, cap, "%s: %s line %u: %s", label, path, line, what);
			return S3_ERR_CONFIG;
		}
		s += n + 1;
		line++;
	}
	return S3_OK;
}
