/*
 * The service bench/canary measures: a small program that does real work per
 * request (builds a JSON-ish request body, tokenises it, hashes it in 1 KiB
 * blocks, allocates a response) and prints one JSON line per run:
 *   {"latency_ms": median request latency, "errors": % of requests failed,
 *    "rss_kb": peak resident set (VmHWM)}
 * Variants are compiled in by bench/canary with -D:
 *   EXTRA_WORK_PCT  a body that much larger, tokenised and hashed in that many more
 *                   blocks: every part of a request does that % more work
 *   ERROR_BP        requests failed, in basis points (base 100 = 1 %)
 *   BLOAT_KB        memory kept alive for the whole run (a memory regression)
 *   NOOP_CHANGE     an equivalent build: an unused function and another banner
 * Usage: canary_service REQUESTS SEED
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifndef EXTRA_WORK_PCT
#define EXTRA_WORK_PCT 0
#endif
#ifndef ERROR_BP
#define ERROR_BP 100
#endif
#ifndef BLOAT_KB
#define BLOAT_KB 0
#endif

#define BODY_BYTES 4096
#define HASH_PASSES 40   /* 1 KiB blocks hashed per request: most of its time */
#define WORKING_SET_KB 8192

#ifdef NOOP_CHANGE
static const char banner[] = "canary service (refactored)";
unsigned long unused_helper(unsigned long x) { return x * 2654435761u; }
#else
static const char banner[] = "canary service";
#endif

static uint64_t rng_state;

static uint64_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A request body: {"k0":"...","k1":123,...} */
static size_t build_body(char *buf, size_t cap)
{
	size_t n = 0;
	int field = 0;
	buf[n++] = '{';
	while (n + 64 < cap) {
		uint64_t r = next_random();
		if (r & 1)
			n += (size_t)snprintf(buf + n, cap - n, "\"k%d\":%llu,", field++,
					      (unsigned long long)(r >> 20));
		else
			n += (size_t)snprintf(buf + n, cap - n, "\"k%d\":\"%08llx%08llx\",", field++,
					      (unsigned long long)(r >> 32), (unsigned long long)(r & 0xffffffff));
	}
	buf[n - 1] = '}';
	return n;
}

/* Count tokens the way a JSON scanner would. */
static unsigned tokenise(const char *buf, size_t n)
{
	unsigned tokens = 0;
	size_t i;
	int in_string = 0;
	for (i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '"')
			in_string = !in_string, tokens += !in_string;
		else if (!in_string && strchr("{}:,", c))
			tokens++;
	}
	return tokens;
}

/* FNV-1a over 1 KiB blocks, chained. */
static uint64_t hash_blocks(const char *buf, size_t n, unsigned passes)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned p;
	size_t i;
	for (p = 0; p < passes; p++) {
		size_t off = (p * 1024u) % (n - 1024);
		for (i = 0; i < 1024; i++) {
			h ^= (unsigned char)buf[off + i];
			h *= 1099511628211ULL;
		}
	}
	return h;
}

/* Peak resident set in KiB: VmHWM belongs to this program's address space,
 * whereas getrusage's ru_maxrss survives execve and would report the parent's
 * peak when that is larger (a Python driver's, say). */
static long peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	struct rusage ru;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	if (kb < 0 && getrusage(RUSAGE_SELF, &ru) == 0)
		kb = ru.ru_maxrss;
	return kb;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long requests = argc > 1 ? atol(argv[1]) : 200, r, failed = 0;
	unsigned passes = HASH_PASSES + (HASH_PASSES * EXTRA_WORK_PCT + 50) / 100;
	size_t body_bytes = BODY_BYTES + (BODY_BYTES * EXTRA_WORK_PCT + 50) / 100;
	char *body = malloc(body_bytes), *working = malloc((size_t)WORKING_SET_KB * 1024);
	char *bloat = BLOAT_KB ? malloc((size_t)BLOAT_KB * 1024) : NULL;
	double *latency = malloc((size_t)(requests > 0 ? requests : 1) * sizeof *latency);
	uint64_t sink = 0;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) | 1 : 88172645463325252ULL;
	if (requests < 1 || !body || !working || !latency || (BLOAT_KB && !bloat))
		return 1;
	memset(working, 1, (size_t)WORKING_SET_KB * 1024); /* a resident working set */
	if (bloat)
		memset(bloat, 2, (size_t)BLOAT_KB * 1024);
	for (r = 0; r < requests; r++) {
		double t0 = now_ms();
		size_t n = build_body(body, body_bytes);
		unsigned tokens = tokenise(body, n);
		uint64_t h = hash_blocks(body, n, passes);
		char *response = malloc(256 + tokens);
		if (!response)
			return 1;
		snprintf(response, 256 + tokens, "{\"tokens\":%u,\"hash\":\"%016llx\"}", tokens,
			 (unsigned long long)h);
		working[(h >> 8) % ((size_t)WORKING_SET_KB * 1024)] ^= response[10];
		sink += h + (unsigned char)response[3];
#if BLOAT_KB
		sink += (unsigned char)bloat[h % ((size_t)BLOAT_KB * 1024)]; /* read: cannot be dropped */
#endif
		free(response);
		if (next_random() % 10000 < ERROR_BP)
			failed++; /* the request failed (say, the backend timed out) */
		latency[r] = now_ms() - t0;
	}
	qsort(latency, (size_t)requests, sizeof *latency, by_value);
	printf("{\"latency_ms\": %.6f, \"errors\": %.4f, \"rss_kb\": %ld}\n", latency[requests / 2],
	       100.0 * failed / requests, peak_rss_kb());
	fprintf(stderr, "%s: %ld requests, checksum %llx\n", banner, requests, (unsigned long long)sink);
	free(latency);
	free(bloat);
	free(working);
	free(body);
	return 0;
}
