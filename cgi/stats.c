/* stats.c - the status page's counters, in shared memory under --listen
 * (see stats.h). */
#include "stats.h"
#include "date.h"
#include "handler.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const long long s3_stats_bucket_us[S3_STATS_BUCKETS - 1] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000, 5000000,
};
const char *const s3_stats_bucket_le[S3_STATS_BUCKETS] = {
	"0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
};
const char *const s3_stats_class_name[S3_STATS_CLASSES] = { "2xx", "3xx", "4xx", "5xx" };
const char *const s3_stats_cause_name[S3_ERR__COUNT] = {
	[S3_OK] = "other", [S3_ERR_NOMEM] = "nomem", [S3_ERR_INVAL] = "inval",
	[S3_ERR_TOOLONG] = "toolong", [S3_ERR_RANGE] = "range", [S3_ERR_UTF8] = "utf8",
	[S3_ERR_CRYPTO] = "crypto", [S3_ERR_NOCREDS] = "nocreds", [S3_ERR_CONFIG] = "config",
	[S3_ERR_IO] = "io", [S3_ERR_NOTFOUND] = "notfound", [S3_ERR_PARSE] = "parse",
	[S3_ERR_REMOTE] = "remote",
};
const char *const s3_stats_source_name[S3_STATS_SOURCES] = {
	NULL, "env", "file", "process", "container", "imds",
};

_Static_assert(S3_ERR__COUNT == 13, "a new enum s3_err needs its name in s3_stats_cause_name");

typedef _Atomic uint64_t counter;

/* Shared between processes: only lock-free atomics work there (a lock
 * would be each process's own). */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2 &&
               ATOMIC_INT_LOCK_FREE == 2, "the counters need lock-free atomics");

/* One worker's figures: written by that worker only (creds: and by the
 * parent once the worker is gone). A cache line of its own at least, so
 * two workers never write the same line. */
struct slot {
	counter req[S3_STATS_ROUTES + 1][S3_STATS_CLASSES];
	counter err[S3_ERR__COUNT];
	counter lat[S3_STATS_BUCKETS];
	counter lat_sum_us;
	_Atomic int64_t expiration;
	_Atomic int source;
} __attribute__((aligned(64)));

/* Written by the parent (the pool) or at start (a process). */
struct head {
	int64_t start_ms;                /* CLOCK_MONOTONIC: the same in every process */
	unsigned nslots;
	int pool;
	_Atomic unsigned alive;
	counter respawns;
} __attribute__((aligned(64)));

/* A process's own figures until it joins a pool: no setup needed, so a
 * count never has to check that there is somewhere to put it. */
static struct {
	struct head h;
	struct slot s;
} local = { .h = { .nslots = 1 } };

static struct head *head = &local.h;
static struct slot *slots = &local.s;    /* the block's slots (pool) */
static struct slot *mine = &local.s;     /* where this process counts */
static const char *last_source;          /* what mine holds, for s3_stats_creds */
static time_t last_expiration;

#define RELAXED memory_order_relaxed

/* The only writer: a load and a store, no read-modify-write instruction. */
static inline void bump(counter *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) + by, RELAXED);
}

int s3_stats_pool_init(unsigned workers, char *err, size_t errcap)
{
	size_t size = sizeof(struct head) + (size_t)workers * sizeof(struct slot);
	void *p;

	if (!workers) {
		s3_msgf(err, errcap, "no workers");
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		s3_msgf(err, errcap, "mmap %zu bytes: %s", size, strerror(errno));
		return -1;
	}
	/* zero-filled by the kernel: every counter starts at 0 */
	head = p;
	slots = (struct slot *)(void *)((char *)p + sizeof(struct head));
	head->start_ms = s3_mono_ms();
	head->nslots = workers;
	head->pool = 1;
	mine = NULL;           /* the parent counts nothing */
	return 0;
}

void s3_stats_pool_worker(unsigned i)
{
	if (head->pool && i < head->nslots) {
		mine = &slots[i];
		last_source = NULL;
		last_expiration = 0;
	}
}

void s3_stats_pool_spawned(int respawn)
{
	if (!head->pool)
		return;
	atomic_fetch_add_explicit(&head->alive, 1, RELAXED);
	if (respawn)
		bump(&head->respawns, 1);
}

void s3_stats_pool_exited(unsigned i)
{
	if (!head->pool || i >= head->nslots)
		return;
	atomic_fetch_sub_explicit(&head->alive, 1, RELAXED);
	atomic_store_explicit(&slots[i].source, 0, RELAXED);
	atomic_store_explicit(&slots[i].expiration, 0, RELAXED);
}

void s3_stats_process_init(void)
{
	if (!head->pool)
		head->start_ms = s3_mono_ms();
}

void s3_stats_reset_process(void)
{
	if (head->pool)
		return;
	memset(&local.s, 0, sizeof local.s);
	last_source = NULL;
	last_expiration = 0;
	local.h.start_ms = s3_mono_ms();
}

void s3_stats_record(int route, int status, int cause, long long us)
{
	struct slot *s = mine;
	int cls = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3;
	int b = 0;

	if (!s)
		return;
	if (route < 0 || route >= S3_STATS_ROUTES)
		route = S3_STATS_NONE;
	bump(&s->req[route][cls], 1);
	if (cls == 3)
		bump(&s->err[cause > 0 && cause < S3_ERR__COUNT ? cause : 0], 1);
	if (us < 0)
		us = 0;
	while (b < S3_STATS_BUCKETS - 1 && us > s3_stats_bucket_us[b])
		b++;
	bump(&s->lat[b], 1);
	bump(&s->lat_sum_us, (uint64_t)us);
}

void s3_stats_creds(const char *source, time_t expiration)
{
	int k = 0;

	if (!mine || (source == last_source && expiration == last_expiration))
		return;
	for (int i = 1; i < S3_STATS_SOURCES && source && !k; i++)
		if (!strcmp(source, s3_stats_source_name[i]))
			k = i;
	atomic_store_explicit(&mine->expiration, (int64_t)expiration, RELAXED);
	atomic_store_explicit(&mine->source, k, RELAXED);
	last_source = source;
	last_expiration = expiration;
}

void s3_stats_request(const struct s3_app *app, int route, const struct s3_response *r,
                      long long t0_us)
{
	s3_stats_record(route, r->status, r->cause, s3_mono_us() - t0_us);
	s3_stats_creds(s3_creds_source(app->creds), s3_creds_expiration(app->creds));
}

void s3_stats_snapshot(struct s3_stats_snap *out)
{
	const struct slot *all = head->pool ? slots : &local.s;
	unsigned n = head->pool ? head->nslots : 1;

	memset(out, 0, sizeof *out);
	out->pool = head->pool;
	out->pid = (long)getpid();
	out->uptime_s = (s3_mono_ms() - head->start_ms) / 1000;
	if (head->pool) {
		out->configured = head->nslots;
		out->alive = atomic_load_explicit(&head->alive, RELAXED);
		out->respawns = atomic_load_explicit(&head->respawns, RELAXED);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct slot *s = &all[i];
		int src = atomic_load_explicit(&s->source, RELAXED);
		long long exp = atomic_load_explicit(&s->expiration, RELAXED);

		for (int r = 0; r <= S3_STATS_ROUTES; r++)
			for (int c = 0; c < S3_STATS_CLASSES; c++)
				out->req[r][c] += atomic_load_explicit(&s->req[r][c], RELAXED);
		for (int e = 0; e < S3_ERR__COUNT; e++)
			out->err[e] += atomic_load_explicit(&s->err[e], RELAXED);
		for (int b = 0; b < S3_STATS_BUCKETS; b++)
			out->lat[b] += atomic_load_explicit(&s->lat[b], RELAXED);
		out->lat_sum_us += atomic_load_explicit(&s->lat_sum_us, RELAXED);
		if (src <= 0 || src >= S3_STATS_SOURCES)
			continue;
		out->with_creds++;
		/* the soonest expiration; credentials that never expire only
		 * when no worker holds any that do */
		if (!out->source || (exp && (!out->expiration || exp < out->expiration))) {
			out->source = src;
			out->expiration = (time_t)exp;
		}
	}
}
