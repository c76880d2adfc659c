/* tap.h - minimal Test Anything Protocol helpers for the C unit tests.
 * Each test binary prints "ok N - name" lines and a final plan; prove reads
 * them. Header-only so every test is one .c file. */
#ifndef SIGN_S3_TAP_H
#define SIGN_S3_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

/* is_str(got, want, name...): string equality with a diagnostic. */
#define is_str(got, want, ...) do {                                         \
	const char *g_ = (got), *w_ = (want);                               \
	int p_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;               \
	if (!ok(p_, __VA_ARGS__))                                           \
		printf("#   got:  '%s'\n#   want: '%s'\n",                  \
		       g_ ? g_ : "(null)", w_ ? w_ : "(null)");             \
} while (0)

/* is_int(got, want, name...): integer equality with a diagnostic. */
#define is_int(got, want, ...) do {                                         \
	long long g_ = (long long)(got), w_ = (long long)(want);            \
	if (!ok(g_ == w_, __VA_ARGS__))                                     \
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);         \
} while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* Call last from main: prints the plan, returns the exit status. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
