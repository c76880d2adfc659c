/* fake_env.h - a table that stands in for the process environment in the
 * unit tests that hand a lookup function (s3_lookup_fn) to the code under
 * test: env_set(name, value) (value NULL removes it), env_get (the lookup
 * function), env_clear(). Names are borrowed, values copied. */
#ifndef SIGN_S3_FAKE_ENV_H
#define SIGN_S3_FAKE_ENV_H

#include <stdio.h>
#include <string.h>

#define FAKE_ENV_MAX   24
#define FAKE_ENV_VALUE 1024

static struct { const char *name; char value[FAKE_ENV_VALUE]; } env[FAKE_ENV_MAX];
static int nenv;

static inline void env_clear(void)
{
	nenv = 0;
}

static inline void env_set(const char *name, const char *value)
{
	for (int i = 0; i < nenv; i++) {
		if (!strcmp(env[i].name, name)) {
			if (!value)
				env[i] = env[--nenv];
			else
				snprintf(env[i].value, sizeof(env[i].value), "%s", value);
			return;
		}
	}
	if (!value || nenv == FAKE_ENV_MAX)
		return;
	env[nenv].name = name;
	snprintf(env[nenv].value, sizeof(env[nenv].value), "%s", value);
	nenv++;
}

static inline const char *env_get(void *ctx, const char *name)
{
	(void)ctx;
	for (int i = 0; i < nenv; i++)
		if (!strcmp(env[i].name, name))
			return env[i].value;
	return NULL;
}

#endif
