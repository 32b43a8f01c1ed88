/*
 * bench/cf's real service: a small HTTP/1.1 server on 127.0.0.1 whose routes do
 * CPU work proportional to the request's n parameter, with a cost per unit of
 * work that depends on the compiled-in version (-DCF_VERSION=0 is "base", 1 is
 * "head": a change that makes /search 35 % slower, /cart 15 % slower, /checkout 20 %
 * faster and leaves /item and /health alone). One connection at a time, keep-alive.
 *   cf_server PORT     (prints "ready" on stdout once listening)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef CF_VERSION
#define CF_VERSION 0
#endif

struct route {
	const char *path;
	unsigned base_work, head_work; /* loop iterations per unit of n */
};

static const struct route routes[] = {
	{ "/search", 80000, 108000 },
	{ "/item", 32000, 32000 },
	{ "/cart", 48000, 55200 },
	{ "/checkout", 120000, 96000 },
	{ "/health", 16000, 16000 },
};

static volatile uint64_t sink;

/* Work the optimizer cannot remove: a xorshift chain of iterations steps. */
static void work(unsigned long iterations)
{
	uint64_t x = 88172645463325252u;
	unsigned long i;
	for (i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
}

static int respond(int fd, int status, const char *body)
{
	char head[256];
	size_t blen = strlen(body);
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n\r\n", status,
			 status == 200 ? "OK" : "Not Found", blen);
	if (write(fd, head, (size_t)n) != n || write(fd, body, blen) != (ssize_t)blen)
		return -1;
	return 0;
}

/* Handle one request line "GET /path?n=N HTTP/1.1". */
static int handle(int fd, const char *line)
{
	char path[256];
	const char *q;
	unsigned long n = 1;
	size_t i, len;

	if (sscanf(line, "GET %255s", path) != 1)
		return respond(fd, 404, "bad request\n");
	q = strchr(path, '?');
	len = q ? (size_t)(q - path) : strlen(path);
	if (q && !strncmp(q, "?n=", 3))
		n = strtoul(q + 3, NULL, 10);
	if (n > 1000)
		n = 1000;
	for (i = 0; i < sizeof routes / sizeof *routes; i++)
		if (strlen(routes[i].path) == len && !strncmp(path, routes[i].path, len)) {
			work(n * (CF_VERSION ? routes[i].head_work : routes[i].base_work));
			return respond(fd, 200, "ok\n");
		}
	return respond(fd, 404, "no such route\n");
}

static void serve(int fd)
{
	char buf[8192];
	size_t have = 0;
	for (;;) {
		char *end;
		ssize_t got;
		while ((end = memmem(buf, have, "\r\n\r\n", 4))) {
			size_t used = (size_t)(end + 4 - buf);
			buf[used - 4] = '\0';
			if (handle(fd, buf))
				return;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (have == sizeof buf - 1)
			return;
		if ((got = read(fd, buf + have, sizeof buf - 1 - have)) <= 0)
			return;
		have += (size_t)got;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { 0 };
	int one = 1, lfd;

	if (argc != 2)
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 16)) {
		perror("cf_server");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		serve(fd);
		close(fd);
	}
}
