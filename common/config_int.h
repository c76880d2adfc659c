/* config_int.h - between the two halves of the configuration (config.h is
 * the API):
 *   config.c       the settings table, cfg_vars[]: each setting's names, the
 *                  validator of its value, the field it fills, its default;
 *   config_load.c  a value looked up in the environment, then in the
 *                  configuration file (settings.h); each row's validator
 *                  applied and its field stored; the checks across settings;
 *                  s3_config_free and s3_config_target.
 * Validators return NULL or a fixed description of what is expected: a value
 * is never put into a message, since some are secrets. */
#ifndef SIGN_S3_CONFIG_INT_H
#define SIGN_S3_CONFIG_INT_H

#include <stddef.h>

#include "config.h"
#include "policy.h"   /* S3_TYPES_LIST_MAX */
#include "sigv4.h"    /* SIGV4_MAX_ENDPOINT */

#define CFG_MAX_NAMES    3       /* a setting's name and its fallbacks */
#define CFG_MSG_MAX      128     /* a validator's own "what is expected" */

/* What a validator accepted: a string (str, len: into the value or into
 * buf) or a number. msg holds a message built at run time. */
struct cfg_res {
	const char *str;
	size_t len;
	unsigned long num;
	char buf[S3_TYPES_LIST_MAX + 1];   /* >= SIGV4_MAX_ENDPOINT + 1 */
	char msg[CFG_MSG_MAX];
};

_Static_assert(S3_TYPES_LIST_MAX >= SIGV4_MAX_ENDPOINT, "cfg_res.buf holds an endpoint");

typedef const char *(*cfg_check_fn)(const char *v, struct cfg_res *r);

enum cfg_kind { K_STR, K_UNSIGNED, K_SIZE, K_INT, K_STYLE, K_ACTIVE, K_U64 };

enum {
	F_REQUIRED   = 1,    /* unset is an error */
	F_EMPTY_NONE = 2,    /* "" means none: the field stays NULL */
};

struct cfg_var {
	const char *names[CFG_MAX_NAMES];  /* tried in order; first set wins */
	cfg_check_fn check;
	enum cfg_kind kind;
	size_t off;                        /* the field in struct s3_config */
	const char *def;                   /* used when unset; NULL: none */
	unsigned flags;
};

/* The table, in the order the settings are loaded. */
extern const struct cfg_var cfg_vars[];
extern const size_t cfg_nvars;

#endif
