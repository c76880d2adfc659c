/* stats.h - the status page's figures (GET /api/sign_s3/status,
 * S3_STATUS=1; rendered by h_status.c).
 *
 * Scope. Under --listen (listen.c) the parent maps one block of shared
 * memory (mmap MAP_SHARED|MAP_ANONYMOUS) before it forks: a header (the
 * pool's start, the workers configured and alive, respawns: written by
 * the parent) and one slot per worker (pool slot i: the worker there and
 * every replacement of it), so the page shows the whole pool, whichever
 * worker answers it ("scope": "pool"). Anywhere else (spawn-fcgi, a
 * FastCGI process of mod_fcgid, CGI) the figures are this process's own,
 * in its own memory ("scope": "process"): under CGI that is one request.
 *
 * Counting. A worker is the only writer of its slot, so a count is a
 * relaxed atomic load and store (C11 <stdatomic.h>): no lock, no locked
 * instruction, no system call; readers load each counter whole. A worker
 * killed (SIGKILL) loses at most the request it was answering: every
 * count it made is in the shared slot already, and its replacement goes
 * on counting there. A request is counted once its answer is built
 * (s3_stats_request, called in one place: serve.c), before it is sent.
 * The page is read without stopping anyone: while requests are in flight
 * its sections may disagree by those requests.
 *
 * Figures, summed over the slots:
 *   requests    by route (route.c's names; "none": refused before a
 *               route's handler ran: 404, 405, 414, 401, 413...) and by
 *               status class 2xx 3xx 4xx 5xx;
 *   errors      every 5xx by its cause (struct s3_response.cause, an
 *               enum s3_err: "nocreds", "crypto", "io", "remote"...;
 *               "other" when none was named);
 *   latency     the handler's own time (from the decoded request to the
 *               answer built; not the web server's, not the write), in
 *               S3_STATS_BUCKETS fixed buckets, with its sum;
 *   credentials each worker's credential cache (creds.h): the source and
 *               the expiration of what it signed with last; the page
 *               shows the soonest expiration (no values, ever);
 *   workers     configured, alive, respawns (--listen only: the parent
 *               counts them), and the uptime. */
#ifndef SIGN_S3_STATS_H
#define SIGN_S3_STATS_H

#include <stdint.h>
#include <time.h>

#include "err.h"

struct s3_app;
struct s3_response;
struct cJSON;

#define S3_STATS_ROUTES   16    /* route table rows, at most (route.c checks) */
#define S3_STATS_NONE     S3_STATS_ROUTES   /* the row of "none" */
#define S3_STATS_CLASSES  4     /* 2xx 3xx 4xx 5xx */
#define S3_STATS_BUCKETS  17    /* latency buckets, the last one +Inf */
#define S3_STATS_SOURCES  6     /* credential sources: none + creds.h's five */
#define S3_STATS_TEXT_MAX 32768 /* bytes of the Prometheus text */

/* The upper bounds of the latency buckets, in microseconds and as the
 * Prometheus "le" label (seconds); the last bucket is +Inf. */
extern const long long s3_stats_bucket_us[S3_STATS_BUCKETS - 1];
extern const char *const s3_stats_bucket_le[S3_STATS_BUCKETS];
/* Status class names ("2xx"...), cause names (index: enum s3_err; 0 is
 * "other"), credential source names (0: NULL, none). */
extern const char *const s3_stats_class_name[S3_STATS_CLASSES];
extern const char *const s3_stats_cause_name[S3_ERR__COUNT];
extern const char *const s3_stats_source_name[S3_STATS_SOURCES];

/* What the page shows: the slots summed, at one moment. */
struct s3_stats_snap {
	int pool;                       /* 1: every --listen worker; 0: this process */
	long pid;                       /* the process that read it */
	long long uptime_s;             /* since the pool (or this process) started */
	unsigned configured, alive;     /* pool only: workers */
	uint64_t respawns;              /* pool only */
	uint64_t req[S3_STATS_ROUTES + 1][S3_STATS_CLASSES];
	uint64_t err[S3_ERR__COUNT];
	uint64_t lat[S3_STATS_BUCKETS]; /* per bucket, not cumulative */
	uint64_t lat_sum_us;
	int source;                     /* index into s3_stats_source_name; 0: none */
	time_t expiration;              /* of that source's credentials; 0: never */
	unsigned with_creds;            /* workers whose cache holds credentials */
};

/* --listen's parent, before the first fork: the shared block for workers
 * slots. 0, or -1 with why in err (the figures are then each worker's
 * own, scope "process"). */
int s3_stats_pool_init(unsigned workers, char *err, size_t errcap);
/* In a worker just forked into pool slot i: count into slot i. */
void s3_stats_pool_worker(unsigned i);
/* The parent: a worker started in a slot (respawn: not the first start),
 * and one that exited (its slot's credentials are forgotten). */
void s3_stats_pool_spawned(int respawn);
void s3_stats_pool_exited(unsigned i);

/* A process serving without a pool (serve_fcgi.c): the uptime starts now. Does
 * nothing in a pool worker. */
void s3_stats_process_init(void);

/* Counts one answered request: route (route.c's index; < 0: none), its
 * HTTP status, its cause (enum s3_err, 0: none) and the handler's time in
 * microseconds. */
void s3_stats_record(int route, int status, int cause, long long us);

/* The credential cache's state: source (creds.h's name, NULL: none) and
 * expiration (0: never). Stored only when it changed. */
void s3_stats_creds(const char *source, time_t expiration);

/* The one call after a route's answer is built (serve.c, and
 * bench/bench_handler.c): s3_stats_record with the time since t0_us
 * (s3_mono_us() when the request was taken), and s3_stats_creds of app's
 * credential cache. */
void s3_stats_request(const struct s3_app *app, int route, const struct s3_response *r,
                      long long t0_us);

/* The figures now (a relaxed load of every counter). */
void s3_stats_snapshot(struct s3_stats_snap *s);

/* Tests: forget every count of this process's own figures (scope process). */
void s3_stats_reset_process(void);

/* The page (h_status.c): the JSON object (NULL: out of memory; the caller
 * deletes it), and the Prometheus text exposition (version 0.0.4),
 * malloc'd, NUL-terminated, *len its length (NULL: out of memory or over
 * S3_STATS_TEXT_MAX). now: the wall clock, for the credentials' expiry. */
struct cJSON *s3_stats_json(const struct s3_stats_snap *s, time_t now);
char *s3_stats_prometheus(const struct s3_stats_snap *s, time_t now, size_t *len);

#endif
