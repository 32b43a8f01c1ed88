/*
 * bench/cf's helpers, one program:
 *   cf_tools records N SEED        N JSON Lines trace records on stdout (20 routes,
 *                                  lognormal latencies, 1 % errors, costs)
 *   cf_tools workload N SEED       N request targets ("/search?n=12"), a traffic mix
 *   cf_tools replay PORT FILE [FIRST COUNT]
 *                                  send FILE's requests (lines FIRST.. FIRST+COUNT-1)
 *                                  one after another over one keep-alive connection to
 *                                  127.0.0.1:PORT and write each as a trace record
 *                                  (route = path, latency measured here) on stdout
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t state;

static double uniform01(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal01(void)
{
	return sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static void seed(const char *s)
{
	state = 0x9E3779B97F4A7C15u ^ strtoull(s, NULL, 10) * 0x100000001B3u;
	if (!state)
		state = 1;
}

static int records(unsigned long n)
{
	static char buf[1 << 16];
	unsigned long i;
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	for (i = 0; i < n; i++) {
		int r = (int)(pow(uniform01(), 2) * 20); /* a few busy routes, a long tail */
		double latency = exp(2 + 0.1 * r + 0.6 * normal01());
		int status = uniform01() < 0.01 ? 503 : 200;
		printf("{\"ts\": %.3f, \"route\": \"/api/v1/r%02d\", \"latency_ms\": %.3f, "
		       "\"status\": %d, \"cost_usd\": %.6f}\n",
		       1700000000.0 + (double)i * 0.001, r, latency, status, latency * 1e-5);
	}
	return 0;
}

static int workload(unsigned long n)
{
	static const char *const paths[] = { "/search", "/item", "/cart", "/checkout", "/health" };
	static const double mix[] = { 0.30, 0.35, 0.15, 0.10, 0.10 };
	unsigned long i;
	for (i = 0; i < n; i++) {
		double u = uniform01(), acc = 0;
		int r = 0;
		unsigned long size;
		while (r < 4 && u > (acc += mix[r]))
			r++;
		size = (unsigned long)ceil(exp(2.5 + 0.8 * normal01()));
		printf("%s?n=%lu\n", paths[r], size > 400 ? 400 : size);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Read one response; returns its status, or -1. */
static int read_response(int fd)
{
	static char buf[8192];
	size_t have = 0;
	long length;
	char *end, *cl;
	int status;

	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
		if (got <= 0)
			return -1;
		have += (size_t)got;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
	}
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1 || !(cl = strstr(buf, "Content-Length: ")))
		return -1;
	length = strtol(cl + 16, NULL, 10);
	{
		size_t body_have = have - (size_t)(end + 4 - buf);
		while ((long)body_have < length) {
			ssize_t got = read(fd, buf, sizeof buf);
			if (got <= 0)
				return -1;
			body_have += (size_t)got;
		}
	}
	return status;
}

static int replay(int port, const char *file, unsigned long first, unsigned long count)
{
	struct sockaddr_in addr = { 0 };
	char line[512], req[640];
	unsigned long no = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *f = fopen(file, "r");

	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!f || connect(fd, (struct sockaddr *)&addr, sizeof addr)) {
		perror("cf_tools replay");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	while (fgets(line, sizeof line, f)) {
		double t0, t1;
		int status, n;
		size_t len = strcspn(line, "\n"), plen;
		if (no++ < first)
			continue;
		if (no > first + count)
			break;
		line[len] = '\0';
		n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", line);
		t0 = now_ms();
		if (write(fd, req, (size_t)n) != n || (status = read_response(fd)) < 0) {
			fprintf(stderr, "cf_tools replay: request %lu failed\n", no);
			return 1;
		}
		t1 = now_ms();
		plen = strcspn(line, "?");
		printf("{\"ts\": %.3f, \"route\": \"%.*s\", \"latency_ms\": %.4f, \"status\": %d, "
		       "\"cost_usd\": 0}\n", (double)time(NULL), (int)plen, line, t1 - t0, status);
	}
	close(fd);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "records")) {
		seed(argv[3]);
		return records(strtoul(argv[2], NULL, 10));
	}
	if (argc == 4 && !strcmp(argv[1], "workload")) {
		seed(argv[3]);
		return workload(strtoul(argv[2], NULL, 10));
	}
	if ((argc == 4 || argc == 6) && !strcmp(argv[1], "replay"))
		return replay(atoi(argv[2]), argv[3], argc == 6 ? strtoul(argv[4], NULL, 10) : 0,
			      argc == 6 ? strtoul(argv[5], NULL, 10) : (unsigned long)-1 / 2);
	fprintf(stderr, "usage: cf_tools records N SEED | workload N SEED | "
			"replay PORT FILE [FIRST COUNT]\n");
	return 2;
}
