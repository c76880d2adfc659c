/* config_file.h - the configuration file layer of settings.c: the file is
 * read once (at most S3_CONFIG_MAX_FILE bytes, wiped when freed: it may
 * hold the secret key) and parsed into NAME=value entries. Syntax (see
 * README): one NAME=value per line, '#' comment lines, blank lines,
 * whitespace around name and value trimmed, a value in matching single or
 * double quotes unquoted; lines of at most S3_CONFIG_MAX_LINE bytes; an
 * unknown or duplicate name, a NUL byte or a line without '=' is refused
 * with the path and line number. */
#ifndef SIGN_S3_CONFIG_FILE_H
#define SIGN_S3_CONFIG_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define CFG_FILE_VAR     "SIGN_S3_CONFIG"
#define CFG_MAX_ENTRIES  64      /* distinct names a file may set (>= known names) */

/* The configuration file, read once: entries point into buf. */
struct cfg_file {
	char *buf;
	size_t alloc;      /* bytes of buf, all wiped on free */
	size_t size;       /* bytes read */
	size_t n;
	struct {
		const char *name;
		const char *value;
		unsigned line;
	} ent[CFG_MAX_ENTRIES];
};

/* Reads and parses path into f; known(name) says which names exist. The
 * file must belong to uid or root and be writable by neither group nor
 * others (file.h, s3_file_read_owned). Every refusal is written to err as
 * "LABEL: PATH...: why" (label: how the file was found, CFG_FILE_VAR or
 * "configuration file"). S3_ERR_NOTFOUND when path does not exist. */
enum s3_err cfg_file_load(struct cfg_file *f, const char *path, const char *label,
                          uid_t uid, int (*known)(const char *name), char *err, size_t cap);

/* The value set for name, NULL when none; *line (may be NULL) its line. */
const char *cfg_file_get(const struct cfg_file *f, const char *name, unsigned *line);

/* Wipes and frees what f holds. */
void cfg_file_free(struct cfg_file *f);

#endif
