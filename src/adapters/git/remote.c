/*
 * Pushing and fetching one ref (remote.h). libgit2 does the protocol work; this file
 * adds what evidence sync needs around it:
 *   - refusals: a push is never forced, a fetched tip must descend from the tracking ref;
 *   - ssh host keys checked against known_hosts in libgit2's certificate callback,
 *     plain and hashed entries, never trusted on first use;
 *   - credentials tried in a fixed order, ending with one clear message;
 *   - a deadline for network operations: libgit2 1.5 has no timeout option, so every
 *     socket it opens comes from the stream registered here, which connects with a
 *     bounded wait and which a watchdog thread shuts down when the deadline passes;
 *   - user information of URLs (tokens) redacted from every message and reflog.
 */
#include "adapters/git/remote.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define DEFAULT_TIMEOUT_SECONDS 60
#define KNOWN_HOSTS_MAX (16u << 20)

/* ------------------------------------------------------------------ redaction */

static int is_scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* Where a URL's authority (userinfo@host:port) ends. */
static int ends_authority(char c)
{
	return c == '\0' || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' ||
	       c == '<' || c == '>' || c == '`' || isspace((unsigned char)c);
}

static int is_ssh_scheme(const char *scheme, size_t len)
{
	return (len == 3 && !strncasecmp(scheme, "ssh", 3)) ||
	       (len == 7 && (!strncasecmp(scheme, "git+ssh", 7) || !strncasecmp(scheme, "ssh+git", 7)));
}

char *mc_remote_redact(const char *text)
{
	mc_strbuf out = MC_STRBUF_INIT;
	const char *p = text, *sep;

	while ((sep = strstr(p, "://")) != NULL) {
		const char *scheme = sep, *auth = sep + 3, *end = auth, *at = NULL;

		while (scheme > p && is_scheme_char(scheme[-1]))
			scheme--;
		for (; !ends_authority(*end); end++)
			if (*end == '@')
				at = end;
		mc_strbuf_add(&out, p, (size_t)(auth - p));
		p = auth;
		/* A login name alone over ssh is no secret and helps; anything else may be a token. */
		if (at && (!is_ssh_scheme(scheme, (size_t)(sep - scheme)) ||
			   memchr(auth, ':', (size_t)(at - auth)))) {
			mc_strbuf_puts(&out, "***");
			p = at;
		}
	}
	mc_strbuf_puts(&out, p);
	return mc_strbuf_detach(&out);
}

/* mc_error_set with the message redacted: every error leaving this file goes through here. */
__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
	mc_strbuf msg = MC_STRBUF_INIT;
	va_list ap;
	char *red;

	va_start(ap, fmt);
	mc_strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	red = mc_remote_redact(mc_strbuf_str(&msg));
	mc_error_set(code, "%s", red);
	free(red);
	mc_strbuf_release(&msg);
	return code;
}

/* ------------------------------------------------------------- tracking names */

static void init_libgit2(void);

/* A URL or a path rather than a remote's name (git's own test is similar: names have no
 * ':' and do not start like a path). */
static int is_location(const char *remote)
{
	return strstr(remote, "://") || strchr(remote, ':') || remote[0] == '/' ||
	       remote[0] == '.' || remote[0] == '~' || strchr(remote, '\\');
}

/* Skip "scheme://" and "userinfo@" (also of scp-like "user@host:path"). */
static const char *skip_scheme_and_userinfo(const char *url)
{
	const char *p = strstr(url, "://"), *at, *slash;

	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	while (at && (!slash || at < slash)) {
		p = at + 1;
		at = strchr(p, '@');
	}
	return p;
}

char *mc_remote_tracking_name(const char *remote)
{
	mc_strbuf out = MC_STRBUF_INIT;
	const char *p, *end;
	int valid = 0;

	init_libgit2();
	if (!is_location(remote) && git_remote_name_is_valid(&valid, remote) == 0 && valid)
		return mc_xstrdup(remote);

	p = skip_scheme_and_userinfo(remote);
	end = p + strlen(p);
	while (end > p && end[-1] == '/')
		end--;
	if (end - p > 4 && !strncmp(end - 4, ".git", 4))
		end -= 4;
	/* Letters, digits and '_' stay; '.' stays between them (no "..", no leading dot);
	 * every other run of characters becomes one '-'. */
	for (; p < end; p++) {
		char c = *p, last = out.len ? out.buf[out.len - 1] : '\0';
		if (isalnum((unsigned char)c) || c == '_')
			mc_strbuf_putc(&out, c);
		else if (c == '.' && (isalnum((unsigned char)last) || last == '_'))
			mc_strbuf_putc(&out, c);
		else if (out.len && last != '-' && last != '.')
			mc_strbuf_putc(&out, '-');
	}
	while (out.len && (out.buf[out.len - 1] == '-' || out.buf[out.len - 1] == '.'))
		out.buf[--out.len] = '\0';
	if (out.len >= 5 && !strcmp(out.buf + out.len - 5, ".lock"))
		out.buf[out.len - 5] = '-';
	if (!out.len)
		mc_strbuf_puts(&out, "remote");
	return mc_strbuf_detach(&out);
}

/* ------------------------------------------------------------ ssh URL parsing */

typedef struct ssh_target {
	char *host; /* lower case, without brackets */
	int port;
} ssh_target;

/* host[:port] or [host][:port] from an authority without userinfo. */
static void parse_host_port(ssh_target *t, const char *auth, size_t len)
{
	const char *colon;
	size_t host_len = len;

	t->port = 22;
	if (len && auth[0] == '[') {
		const char *close = memchr(auth, ']', len);
		if (close) {
			t->host = mc_xstrndup(auth + 1, (size_t)(close - auth - 1));
			if (close + 1 < auth + len && close[1] == ':')
				t->port = atoi(close + 2);
			goto lower;
		}
	}
	colon = memchr(auth, ':', len);
	if (colon) {
		host_len = (size_t)(colon - auth);
		t->port = atoi(colon + 1);
	}
	t->host = mc_xstrndup(auth, host_len);
lower:
	for (char *c = t->host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (t->port <= 0 || t->port > 65535)
		t->port = 22;
}

/* 1 and the host and port for ssh://, git+ssh:// and scp-like URLs; 0 for anything else. */
static int parse_ssh_target(ssh_target *t, const char *url)
{
	const char *sep = strstr(url, "://"), *auth, *end;

	memset(t, 0, sizeof *t);
	if (sep) {
		if (!is_ssh_scheme(url, (size_t)(sep - url)))
			return 0;
		auth = skip_scheme_and_userinfo(url);
		end = auth;
		while (*end && *end != '/')
			end++;
		parse_host_port(t, auth, (size_t)(end - auth));
		return 1;
	}
	/* scp-like: [user@]host:path, a ':' before any '/' (a local path has none). */
	end = strchr(url, ':');
	if (!end || url[0] == '/' || url[0] == '.' || (strchr(url, '/') && strchr(url, '/') < end))
		return 0;
	auth = skip_scheme_and_userinfo(url);
	if (auth > end)
		return 0;
	t->host = mc_xstrndup(auth, (size_t)(end - auth));
	for (char *c = t->host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	t->port = 22;
	return 1;
}

/* ---------------------------------------------------------------- known_hosts */

/* Base64 without line breaks, as known_hosts writes it. */
static int base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t len)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > (1u << 20))
		return -1;
	*out = mc_xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)len);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes too. */
	while (pad < 2 && in[len - 1 - pad] == '=')
		pad++;
	*out_len = (size_t)n - pad;
	return 0;
}

/* "SHA256:<base64 without padding>", the form ssh-keygen -l prints. */
static void format_fingerprint(char out[64], const unsigned char digest[32])
{
	unsigned char b64[48];
	int n = EVP_EncodeBlock(b64, digest, 32);

	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, 64, "SHA256:%.*s", n, (const char *)b64);
}

/* OpenSSH's host patterns: '*' and '?' wildcards, case-insensitive. */
static int pattern_matches(const char *pat, size_t pat_len, const char *name)
{
	if (pat_len == 0)
		return *name == '\0';
	if (*pat == '*') {
		for (;; name++) {
			if (pattern_matches(pat + 1, pat_len - 1, name))
				return 1;
			if (!*name)
				return 0;
		}
	}
	if (!*name)
		return 0;
	if (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*name))
		return 0;
	return pattern_matches(pat + 1, pat_len - 1, name + 1);
}

/* A hashed entry |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
static int hashed_entry_matches(const char *entry, size_t len, const char *name)
{
	const char *salt = entry + 3, *bar = memchr(salt, '|', len - 3);
	unsigned char *salt_raw = NULL, *hash_raw = NULL, mac[EVP_MAX_MD_SIZE];
	size_t salt_len, hash_len;
	unsigned mac_len = 0;
	int match = 0;

	if (!bar)
		return 0;
	if (base64_decode(&salt_raw, &salt_len, salt, (size_t)(bar - salt)) == 0 &&
	    base64_decode(&hash_raw, &hash_len, bar + 1, (size_t)(entry + len - bar - 1)) == 0 &&
	    HMAC(EVP_sha1(), salt_raw, (int)salt_len, (const unsigned char *)name, strlen(name),
		 mac, &mac_len) != NULL)
		match = hash_len == mac_len && !memcmp(mac, hash_raw, mac_len);
	free(salt_raw);
	free(hash_raw);
	return match;
}

/* Whether a known_hosts host field (comma-separated patterns, '!' negates) names name. */
static int host_field_matches(const char *field, size_t len, const char *name)
{
	const char *p = field, *end = field + len;
	int found = 0;

	if (len > 3 && !strncmp(field, "|1|", 3))
		return hashed_entry_matches(field, len, name);
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((comma ? comma : end) - p);
		if (n && *p == '!') {
			if (pattern_matches(p + 1, n - 1, name))
				return 0; /* a negated match excludes the line whatever else matches */
		} else if (pattern_matches(p, n, name)) {
			found = 1;
		}
		p += n + 1;
	}
	return found;
}

enum host_verdict { HOST_UNKNOWN, HOST_MISMATCH, HOST_MATCH, HOST_REVOKED };

/* Next whitespace-separated field of [*p, end). */
static int next_field(const char **p, const char *end, const char **field, size_t *len)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*field = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*len = (size_t)(*p - *field);
	return *len > 0;
}

/* One known_hosts line against name and the offered key's SHA256. */
static enum host_verdict check_line(const char *line, const char *end, const char *name,
				    const unsigned char digest[32])
{
	const char *p = line, *field;
	size_t len;
	int revoked = 0;
	unsigned char *blob, line_digest[32];
	size_t blob_len;

	if (!next_field(&p, end, &field, &len) || *field == '#')
		return HOST_UNKNOWN;
	if (*field == '@') {
		if (len == 14 && !strncmp(field, "@cert-authority", 14))
			return HOST_UNKNOWN; /* certificates are not supported: such lines vouch for nothing */
		revoked = len == 8 && !strncmp(field, "@revoked", 8);
		if (!revoked || !next_field(&p, end, &field, &len))
			return HOST_UNKNOWN;
	}
	if (!host_field_matches(field, len, name))
		return HOST_UNKNOWN;
	if (!next_field(&p, end, &field, &len) || !next_field(&p, end, &field, &len))
		return HOST_UNKNOWN; /* key type, then the key */
	if (base64_decode(&blob, &blob_len, field, len) != 0)
		return HOST_UNKNOWN;
	SHA256(blob, blob_len, line_digest);
	free(blob);
	if (!memcmp(line_digest, digest, 32))
		return revoked ? HOST_REVOKED : HOST_MATCH;
	return revoked ? HOST_UNKNOWN : HOST_MISMATCH;
}

/* The verdict of a whole known_hosts text: a revocation wins, then a match. */
static enum host_verdict check_known_hosts(const char *text, size_t len, const char *name,
					   const unsigned char digest[32])
{
	enum host_verdict best = HOST_UNKNOWN;
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		enum host_verdict v;
		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		v = check_line(p, line_end, name, digest);
		if (v > best)
			best = v;
		p = nl ? nl + 1 : end;
	}
	return best;
}

/* ------------------------------------------------------ deadline and sockets */

#if LIBGIT2_VER_MAJOR != 1 || LIBGIT2_VER_MINOR != 5
#error "timed_stream mirrors libgit2 1.5's git_socket_stream, whose socket its ssh transport reads; check that layout (or use GIT_OPT_SET_SERVER_TIMEOUT) for this libgit2"
#endif

#define MAX_WATCHED_SOCKETS 16

/* The deadline of one operation: a thread that shuts down the operation's sockets when
 * it passes, which ends any blocked read (libssh2 reads the socket itself, so a timeout
 * on our read function alone would not do). shutdown, not close: the descriptor stays
 * owned by libgit2 and cannot be reused under it. */
typedef struct deadline_watch {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct timespec at; /* CLOCK_MONOTONIC */
	unsigned seconds;
	int done, expired, started;
	int fds[MAX_WATCHED_SOCKETS];
	size_t nfds;
	pthread_t thread;
} deadline_watch;

/* The operation running on this thread; streams libgit2 opens for it join its watch. */
static _Thread_local deadline_watch *current_watch;

static void *watchdog_main(void *arg)
{
	deadline_watch *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->done && !w->expired) {
		if (pthread_cond_timedwait(&w->wake, &w->lock, &w->at) == ETIMEDOUT) {
			w->expired = 1;
			for (size_t i = 0; i < w->nfds; i++)
				shutdown(w->fds[i], SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int watch_start(deadline_watch *w, unsigned seconds)
{
	pthread_condattr_t attr;

	memset(w, 0, sizeof *w);
	w->seconds = seconds;
	clock_gettime(CLOCK_MONOTONIC, &w->at);
	w->at.tv_sec += seconds;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		return fail(MC_EIO, "starting the network timeout thread: %s", strerror(errno));
	}
	w->started = 1;
	current_watch = w;
	return 0;
}

static void watch_stop(deadline_watch *w)
{
	if (!w->started)
		return;
	current_watch = NULL;
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	w->started = 0;
}

static int watch_expired(deadline_watch *w)
{
	int expired;

	if (!w)
		return 0;
	if (!w->started)
		return w->expired; /* stopped: the watchdog has been joined */
	pthread_mutex_lock(&w->lock);
	expired = w->expired;
	pthread_mutex_unlock(&w->lock);
	return expired;
}

/* Milliseconds left before w's deadline (at least 0); -1 without a deadline. */
static int watch_remaining_ms(deadline_watch *w)
{
	struct timespec now;
	long long ms;

	if (!w)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(w->at.tv_sec - now.tv_sec) * 1000 + (w->at.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)(ms > 0x7fffffff ? 0x7fffffff : ms);
}

/* Watch fd; fails when the deadline has already passed or too many sockets are open. */
static int watch_add(deadline_watch *w, int fd)
{
	int ok;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	ok = !w->expired && w->nfds < MAX_WATCHED_SOCKETS;
	if (ok)
		w->fds[w->nfds++] = fd;
	pthread_mutex_unlock(&w->lock);
	return ok ? 0 : -1;
}

static void watch_remove(deadline_watch *w, int fd)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nfds; i++) {
		if (w->fds[i] == fd) {
			w->fds[i] = w->fds[--w->nfds];
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
}

/* The first four members are libgit2 1.5's git_socket_stream: its ssh transport takes
 * the socket from there. */
typedef struct timed_stream {
	git_stream parent;
	char *host;
	char *port;
	int s;
	deadline_watch *watch; /* NULL: used outside an operation of this file, no deadline */
} timed_stream;

/* connect with a bounded wait; 0, or -1 with errno set. */
static int connect_within(int s, const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = s, .events = POLLOUT };
	int err = 0, flags = fcntl(s, F_GETFL);
	socklen_t err_len = sizeof err;

	if (flags < 0 || fcntl(s, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	if (connect(s, addr, len) != 0) {
		if (errno != EINPROGRESS)
			return -1;
		int n;
		do
			n = poll(&pfd, 1, timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
			return -1;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return fcntl(s, F_SETFL, flags);
}

static int timed_connect(git_stream *stream)
{
	timed_stream *st = (timed_stream *)stream;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC }, *info, *ai;
	int rc, s = -1, err = 0;

	if ((rc = getaddrinfo(st->host, st->port, &hints, &info)) != 0) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", st->host,
			      gai_strerror(rc));
		return -1;
	}
	for (ai = info; ai; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			err = errno;
			continue;
		}
		if (connect_within(s, ai->ai_addr, ai->ai_addrlen, watch_remaining_ms(st->watch)) == 0)
			break;
		err = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(info);
	if (s < 0) {
		git_error_set(GIT_ERROR_NET, "failed to connect to %s port %s: %s", st->host, st->port,
			      err == ETIMEDOUT ? "timed out" : strerror(err));
		return -1;
	}
	if (watch_add(st->watch, s) != 0) {
		close(s);
		git_error_set(GIT_ERROR_NET, "connection to %s timed out", st->host);
		return -1;
	}
	st->s = s;
	return 0;
}

static ssize_t timed_read(git_stream *stream, void *data, size_t len)
{
	timed_stream *st = (timed_stream *)stream;
	ssize_t n;

	do
		n = recv(st->s, data, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		git_error_set(GIT_ERROR_NET, "error receiving data from %s: %s", st->host,
			      strerror(errno));
	return n;
}

static ssize_t timed_write(git_stream *stream, const char *data, size_t len, int flags)
{
	timed_stream *st = (timed_stream *)stream;
	ssize_t n;

	do
		n = send(st->s, data, len, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		git_error_set(GIT_ERROR_NET, "error sending data to %s: %s", st->host, strerror(errno));
	return n;
}

static int timed_close(git_stream *stream)
{
	timed_stream *st = (timed_stream *)stream;
	int rc = 0;

	if (st->s >= 0) {
		watch_remove(st->watch, st->s); /* before close: the number may be reused at once */
		rc = close(st->s);
		st->s = -1;
	}
	return rc;
}

static void timed_free(git_stream *stream)
{
	timed_stream *st = (timed_stream *)stream;

	timed_close(stream);
	free(st->host);
	free(st->port);
	free(st);
}

static int timed_stream_new(git_stream **out, const char *host, const char *port)
{
	timed_stream *st = mc_xcalloc(1, sizeof *st);

	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = timed_connect;
	st->parent.read = timed_read;
	st->parent.write = timed_write;
	st->parent.close = timed_close;
	st->parent.free = timed_free;
	st->host = mc_xstrdup(host);
	st->port = mc_xstrdup(port ? port : "");
	st->s = -1;
	st->watch = current_watch;
	*out = &st->parent;
	return 0;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libgit2_once(void)
{
	git_stream_registration reg = { GIT_STREAM_VERSION, timed_stream_new, NULL };

	git_libgit2_init();
	git_stream_register(GIT_STREAM_STANDARD, &reg);
}

static void init_libgit2(void)
{
	pthread_once(&init_once, init_libgit2_once);
}

/* ------------------------------------------------------------------ operation */

/* One push or fetch: its options, the callbacks' state, and what they found wrong. */
typedef struct remote_op {
	const mc_remote_options *opt;
	char *shown;       /* the remote as messages show it (redacted) */
	char *url;         /* the URL libgit2 connects to */
	int is_ssh;
	ssh_target ssh;
	/* ssh keys offered so far on the current connection */
	size_t key_attempt;
	mc_strbuf keys_tried;
	char *key_in_use; /* the key file last offered, for messages */
	/* a refusal decided in a callback: it wins over libgit2's generic message */
	int fail_code;
	char *fail_msg;
	char *push_status; /* the remote's reason for rejecting the pushed ref */
	deadline_watch watch;
} remote_op;

__attribute__((format(printf, 3, 4))) static int op_refuse(remote_op *op, int code,
							     const char *fmt, ...)
{
	mc_strbuf msg = MC_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	mc_strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	free(op->fail_msg);
	op->fail_msg = mc_strbuf_detach(&msg);
	op->fail_code = code;
	git_error_set_str(GIT_ERROR_CALLBACK, op->fail_msg);
	return GIT_EUSER;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static char *default_ssh_file(const char *name)
{
	mc_strbuf p = MC_STRBUF_INIT;

	mc_strbuf_printf(&p, "%s/.ssh/%s", home_dir(), name);
	return mc_strbuf_detach(&p);
}

/* The name known_hosts lists the host under: "host", or "[host]:port" off port 22. */
static char *known_hosts_name(const ssh_target *t)
{
	mc_strbuf n = MC_STRBUF_INIT;

	if (t->port == 22)
		mc_strbuf_puts(&n, t->host);
	else
		mc_strbuf_printf(&n, "[%s]:%d", t->host, t->port);
	return mc_strbuf_detach(&n);
}

/* The key type named inside an ssh key blob ("ssh-ed25519"). */
static void key_type_of(char out[32], const unsigned char *blob, size_t len)
{
	size_t n;

	snprintf(out, 32, "unknown");
	if (len < 4)
		return;
	n = ((size_t)blob[0] << 24) | ((size_t)blob[1] << 16) | ((size_t)blob[2] << 8) | blob[3];
	if (n > 0 && n < 32 && n <= len - 4)
		snprintf(out, 32, "%.*s", (int)n, (const char *)blob + 4);
}

static int check_host_key(remote_op *op, const git_cert_hostkey *cert, const char *host)
{
	const char *path = op->opt && op->opt->known_hosts ? op->opt->known_hosts : NULL;
	char *default_path = path ? NULL : default_ssh_file("known_hosts");
	char *name, fingerprint[64], type[32] = "unknown", *text = NULL;
	unsigned char digest[32];
	size_t len = 0;
	enum host_verdict verdict;
	int rc, missing;

	if (!path)
		path = default_path;
	if (cert->type & GIT_CERT_SSH_RAW) {
		SHA256((const unsigned char *)cert->hostkey, cert->hostkey_len, digest);
		key_type_of(type, (const unsigned char *)cert->hostkey, cert->hostkey_len);
	} else if (cert->type & GIT_CERT_SSH_SHA256) {
		memcpy(digest, cert->hash_sha256, 32);
	} else {
		free(default_path);
		return op_refuse(op, MC_EENV, "ssh host %s: libssh2 gave no SHA256 of its host key to "
				 "check against known_hosts", host);
	}
	format_fingerprint(fingerprint, digest);
	if (!op->is_ssh || !op->ssh.host) { /* libgit2 connected somewhere we did not parse */
		op->ssh.host = mc_xstrdup(host);
		op->ssh.port = 22;
	}
	name = known_hosts_name(&op->ssh);

	rc = mc_fs_read_file(&text, &len, path, KNOWN_HOSTS_MAX);
	missing = rc == MC_ENOTFOUND;
	if (rc != 0 && !missing) {
		rc = op_refuse(op, MC_EENV, "reading known_hosts: %s", mc_error_message());
		goto out;
	}
	verdict = missing ? HOST_UNKNOWN : check_known_hosts(text, len, name, digest);
	switch (verdict) {
	case HOST_MATCH:
		rc = 0;
		break;
	case HOST_REVOKED:
		rc = op_refuse(op, MC_EENV, "ssh host %s offered the %s key %s, which %s marks as "
			       "revoked: refusing to connect", name, type, fingerprint, path);
		break;
	case HOST_MISMATCH:
		rc = op_refuse(op, MC_EENV, "ssh host %s offered the %s key %s, which differs from "
			       "the key %s lists for it: refusing to connect (the host key changed, "
			       "or someone is in between)", name, type, fingerprint, path);
		break;
	default:
		rc = op_refuse(op, MC_EENV, "ssh host %s is not in %s%s: refusing its %s key %s "
			       "(compare that fingerprint with the server's own, then add the key, "
			       "e.g. ssh-keyscan -p %d %s >> %s)", name, path,
			       missing ? " (no such file)" : "", type, fingerprint, op->ssh.port,
			       op->ssh.host, path);
		break;
	}
out:
	free(text);
	free(name);
	free(default_path);
	return rc;
}

static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	remote_op *op = payload;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH; /* TLS: libgit2's own verification against the CA store */
	/* A new ssh connection: it is offered the keys from the first again. */
	op->key_attempt = 0;
	mc_strbuf_reset(&op->keys_tried);
	free(op->key_in_use);
	op->key_in_use = NULL;
	return check_host_key(op, (const git_cert_hostkey *)cert, host);
}

static const char *local_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = getenv("USER");

	return pw && pw->pw_name ? pw->pw_name : user ? user : "root";
}

/* The ssh keys to offer, in order; NULL for ssh-agent. */
static size_t ssh_key_candidates(const char *out[3], char *owned[2], const mc_remote_options *opt)
{
	static const char *defaults[] = { "id_ed25519", "id_rsa" };
	const char *agent = getenv("SSH_AUTH_SOCK");
	size_t n = 0;

	owned[0] = owned[1] = NULL;
	if (opt && opt->ssh_key) {
		out[n++] = opt->ssh_key;
		return n;
	}
	if (agent && *agent)
		out[n++] = NULL;
	for (size_t i = 0; i < 2; i++) {
		owned[i] = default_ssh_file(defaults[i]);
		if (mc_fs_exists(owned[i]))
			out[n++] = owned[i];
	}
	return n;
}

static int next_ssh_key(git_credential **out, remote_op *op, const char *user)
{
	const char *keys[3];
	char *owned[2];
	size_t n = ssh_key_candidates(keys, owned, op->opt);
	int rc;

	if (op->key_attempt >= n) {
		if (n == 0)
			rc = op_refuse(op, MC_EENV, "ssh authentication as %s to %s: no key to offer "
				       "(no ssh-agent, no ~/.ssh/id_ed25519 or ~/.ssh/id_rsa; give a "
				       "key file)", user, op->ssh.host);
		else
			rc = op_refuse(op, MC_EENV, "ssh authentication as %s to %s failed: the server "
				       "accepted none of %s", user, op->ssh.host,
				       mc_strbuf_str(&op->keys_tried));
		goto out;
	}
	keys[0] = keys[op->key_attempt++];
	if (op->keys_tried.len)
		mc_strbuf_puts(&op->keys_tried, ", ");
	if (!keys[0]) {
		mc_strbuf_puts(&op->keys_tried, "the keys in ssh-agent");
		free(op->key_in_use);
		op->key_in_use = NULL;
		rc = git_credential_ssh_key_from_agent(out, user);
		goto out;
	}
	mc_strbuf_printf(&op->keys_tried, "the key %s", keys[0]);
	if (!mc_fs_exists(keys[0])) {
		rc = op_refuse(op, MC_EENV, "ssh key %s: no such file", keys[0]);
		goto out;
	}
	free(op->key_in_use);
	op->key_in_use = mc_xstrdup(keys[0]);
	rc = git_credential_ssh_key_new(out, user, NULL, keys[0], NULL);
out:
	free(owned[0]);
	free(owned[1]);
	return rc;
}

static int credentials_cb(git_credential **out, const char *url, const char *user,
			  unsigned int allowed, void *payload)
{
	remote_op *op = payload;

	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : local_user());
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return next_ssh_key(out, op, user ? user : local_user());
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		if (user)
			return op_refuse(op, MC_EENV, "the server refused the credentials in the URL "
					 "%s", op->shown);
		return op_refuse(op, MC_EENV, "%s needs credentials: put them in the URL "
				 "(https://USER:TOKEN@host/path; credential helpers are not used)",
				 op->shown);
	}
	return op_refuse(op, MC_EENV, "%s asks for an authentication method maestro does not "
			 "support (public keys over ssh, a user and token over https)", op->shown);
}

static int push_update_reference_cb(const char *refname, const char *status, void *payload)
{
	remote_op *op = payload;

	if (status && !op->push_status)
		op->push_status = mc_xstrdup(status);
	return 0;
}

static void op_init(remote_op *op, const char *remote, const mc_remote_options *opt)
{
	memset(op, 0, sizeof *op);
	op->opt = opt;
	op->shown = mc_remote_redact(remote);
}

static void op_release(remote_op *op)
{
	watch_stop(&op->watch);
	free(op->shown);
	free(op->url);
	free(op->ssh.host);
	mc_strbuf_release(&op->keys_tried);
	free(op->key_in_use);
	free(op->fail_msg);
	free(op->push_status);
}

static void op_callbacks(git_remote_callbacks *cb, remote_op *op)
{
	cb->credentials = credentials_cb;
	cb->certificate_check = certificate_cb;
	cb->push_update_reference = push_update_reference_cb;
	cb->payload = op;
}

/* The value of a config key, or NULL (free() it). */
static char *config_string(git_config *cfg, const char *key)
{
	git_config_entry *e = NULL;
	char *value = NULL;

	if (git_config_get_entry(&e, cfg, key) == 0 && e->value)
		value = mc_xstrdup(e->value);
	git_config_entry_free(e);
	return value;
}

/* The base of the longest url.<base>.<variable> whose value prefixes url, or NULL. */
static char *find_rewrite(git_config *cfg, const char *url, const char *variable)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	size_t best_len = 0, var_len = strlen(variable);
	char *best = NULL;

	if (git_config_iterator_new(&it, cfg) < 0)
		return NULL;
	while (git_config_next(&e, it) == 0) {
		size_t name_len = strlen(e->name), value_len = e->value ? strlen(e->value) : 0;
		if (name_len <= 4 + var_len + 1 || strncmp(e->name, "url.", 4) ||
		    e->name[name_len - var_len - 1] != '.' ||
		    strcmp(e->name + name_len - var_len, variable) || value_len <= best_len ||
		    strncmp(url, e->value, value_len))
			continue;
		free(best);
		best = mc_xstrndup(e->name + 4, name_len - 4 - var_len - 1);
		best_len = value_len;
	}
	git_config_iterator_free(it);
	if (best) {
		char *rewritten = mc_xmalloc(strlen(best) + strlen(url) - best_len + 1);
		sprintf(rewritten, "%s%s", best, url + best_len);
		free(best);
		return rewritten;
	}
	return NULL;
}

/* url after git's url.<base>.insteadOf (for a push, pushInsteadOf first). Done here, not by
 * libgit2: its rewriting goes through git_regexp_match, which in libgit2 1.5 leaks on every
 * config entry it does not match. free() it. */
static char *rewrite_url(git_config *cfg, const char *url, int push_rules)
{
	char *out = push_rules ? find_rewrite(cfg, url, "pushinsteadof") : NULL;

	if (!out)
		out = find_rewrite(cfg, url, "insteadof");
	return out ? out : mc_xstrdup(url);
}

/* The URL to connect to: a configured remote's (pushurl for a push when set), else remote
 * itself as a URL or path; rewritten as git would. free() it; NULL with the error set. */
static char *remote_url(git_repository *git, remote_op *op, const char *remote, int for_push)
{
	git_config *cfg = NULL;
	char *key, *configured = NULL, *url = NULL;
	int valid = 0, push_rules = for_push;

	if (git_repository_config_snapshot(&cfg, git) < 0) {
		fail(MC_EGIT, "reading the repository's configuration: %s",
		     git_error_last() ? git_error_last()->message : "libgit2 error");
		return NULL;
	}
	if (!is_location(remote) && git_remote_name_is_valid(&valid, remote) == 0 && valid) {
		key = mc_xmalloc(strlen(remote) + 16);
		if (for_push) {
			sprintf(key, "remote.%s.pushurl", remote);
			configured = config_string(cfg, key);
			push_rules = !configured; /* git rewrites a pushurl with insteadOf only */
		}
		if (!configured) {
			sprintf(key, "remote.%s.url", remote);
			configured = config_string(cfg, key);
		}
		free(key);
		if (!configured) {
			fail(MC_ENOTFOUND, "no remote named '%s' (give a configured remote, a URL or a "
			     "path)", op->shown);
			goto out;
		}
	}
	url = rewrite_url(cfg, configured ? configured : remote, push_rules);
out:
	free(configured);
	git_config_free(cfg);
	return url;
}

/* A remote (anonymous: no configuration is written) for a configured name, URL or path. */
static int open_remote(git_remote **out, git_repository *git, remote_op *op, const char *remote,
		       int for_push)
{
	git_remote_create_options co;
	int rc;

	if (!(op->url = remote_url(git, op, remote, for_push)))
		return mc_error_code();
	git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	co.repository = git;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(out, op->url, &co);
	if (rc < 0) {
		const git_error *e = git_error_last();
		return fail(MC_EINVAL, "remote %s: %s", op->shown,
			    e && e->message ? e->message : "libgit2 error");
	}
	op->is_ssh = parse_ssh_target(&op->ssh, op->url);
	return 0;
}

/* Only network transports need a deadline; local paths and file:// read the disk. */
static int op_start_deadline(remote_op *op)
{
	unsigned seconds = op->opt && op->opt->timeout_seconds ? op->opt->timeout_seconds
							       : DEFAULT_TIMEOUT_SECONDS;
	if (!strstr(op->url, "://") && !op->is_ssh)
		return 0;
	if (!strncmp(op->url, "file://", 7))
		return 0;
	return watch_start(&op->watch, seconds);
}

/* The error for a failed libgit2 call during op: a callback's refusal, the deadline, or
 * libgit2's own message, classified. */
static int op_failure(remote_op *op, int rc, const char *doing)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "libgit2 error";
	int code = MC_EGIT;

	if (op->fail_code)
		return fail(op->fail_code, "%s: %s", doing, op->fail_msg);
	if (watch_expired(&op->watch))
		return fail(MC_EIO, "%s: no answer from %s within %u s (timed out)", doing, op->shown,
			    op->watch.seconds);
	if (rc == GIT_EAUTH || rc == GIT_ECERTIFICATE)
		code = MC_EENV;
	else if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSH ||
		       e->klass == GIT_ERROR_HTTP || e->klass == GIT_ERROR_OS))
		code = MC_EIO;
	/* libssh2 fails on a key file it cannot read (a passphrase, an unknown format) with a
	 * generic error, not an authentication failure: say which key, and what to do. */
	if (op->key_in_use && e && e->klass == GIT_ERROR_SSH && rc != GIT_EAUTH)
		return fail(MC_EENV, "%s: ssh key %s could not be used: %s (a passphrase-protected "
			    "key must be loaded into ssh-agent; nothing here asks for passphrases)",
			    doing, op->key_in_use, msg);
	return fail(code, "%s: %s", doing, msg);
}

static int check_ref_name(const char *ref)
{
	int valid = 0;

	if (git_reference_name_is_valid(&valid, ref) < 0 || !valid || strncmp(ref, "refs/", 5))
		return fail(MC_EINVAL, "not a full ref name: '%s'", ref);
	return 0;
}

/* The id the connected remote advertises for ref; 0 when found, 1 when absent. */
static int advertised_id(git_oid *out, git_remote *remote, const char *ref)
{
	const git_remote_head **heads;
	size_t n;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(heads[i]->name, ref)) {
			git_oid_cpy(out, &heads[i]->oid);
			return 0;
		}
	}
	return 1;
}

/* ----------------------------------------------------------------------- push */

static int push_rejected(remote_op *op, const char *ref, const git_oid *remote_tip,
			 int remote_known, git_repository *git)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	int have = 0;

	if (!remote_known)
		return fail(MC_EVERIFY, "pushing %s to %s: the remote has evidence this repository "
			    "does not; fetch first", ref, op->shown);
	git_oid_tostr(hex, sizeof hex, remote_tip);
	if (git_repository_odb(&odb, git) == 0)
		have = git_odb_exists(odb, remote_tip);
	git_odb_free(odb);
	return fail(MC_EVERIFY, "pushing %s to %s: the remote has evidence this repository does "
		    "not; fetch first (the remote's %s is at %s, %s)", ref, op->shown, ref, hex,
		    have ? "which the local ref does not contain" : "which this repository lacks");
}

int mc_remote_push_ref(mc_repo *repo, const char *remote, const char *ref,
		       const mc_remote_options *opt)
{
	git_repository *git = mc_repo_git(repo);
	git_push_options po;
	git_remote *r = NULL;
	git_oid local, remote_tip;
	mc_strbuf spec = MC_STRBUF_INIT;
	char *spec_str;
	git_strarray specs;
	remote_op op;
	int rc, remote_known = 0;

	init_libgit2();
	if ((rc = check_ref_name(ref)) != 0)
		return rc;
	if (git_reference_name_to_id(&local, git, ref) != 0)
		return fail(MC_ENOTFOUND, "no local ref %s to push", ref);
	op_init(&op, remote, opt);
	if ((rc = open_remote(&r, git, &op, remote, 1)) != 0)
		goto out;

	mc_strbuf_printf(&spec, "%s:%s", ref, ref); /* no '+': never forced */
	spec_str = spec.buf;
	specs.strings = &spec_str;
	specs.count = 1;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	op_callbacks(&po.callbacks, &op);
	po.proxy_opts.type = GIT_PROXY_AUTO;
	po.pb_parallelism = 1;

	if ((rc = op_start_deadline(&op)) != 0)
		goto out;
	rc = git_remote_upload(r, &specs, &po);
	if (rc == GIT_ENONFASTFORWARD)
		remote_known = advertised_id(&remote_tip, r, ref) == 0;
	git_remote_disconnect(r);
	watch_stop(&op.watch);

	if (rc == GIT_ENONFASTFORWARD) {
		rc = push_rejected(&op, ref, &remote_tip, remote_known, git);
	} else if (rc < 0) {
		mc_strbuf_reset(&spec);
		mc_strbuf_printf(&spec, "pushing %s to %s", ref, op.shown);
		rc = op_failure(&op, rc, spec.buf);
	} else if (op.push_status) {
		int stale = strstr(op.push_status, "non-fast-forward") ||
			    strstr(op.push_status, "fetch first") || strstr(op.push_status, "stale");
		rc = stale ? fail(MC_EVERIFY, "pushing %s to %s: the remote has evidence this "
				  "repository does not; fetch first (the remote said: %s)", ref,
				  op.shown, op.push_status)
			   : fail(MC_EGIT, "pushing %s to %s: the remote refused it: %s", ref,
				  op.shown, op.push_status);
	}
out:
	git_remote_free(r);
	mc_strbuf_release(&spec);
	op_release(&op);
	return rc;
}

/* ---------------------------------------------------------------------- fetch */

/* Move tracking_ref to tip, only forward, by compare-and-swap against what was read. */
static int update_tracking(git_repository *git, remote_op *op, const char *ref,
			   const char *tracking_ref, const git_oid *tip)
{
	git_reference *cur = NULL, *resolved = NULL, *moved = NULL;
	mc_strbuf log = MC_STRBUF_INIT;
	char *log_red;
	git_oid old;
	int rc;

	mc_strbuf_printf(&log, "maestro: fetch %s from %s", ref, op->shown);
	log_red = mc_remote_redact(mc_strbuf_str(&log));
	rc = git_reference_lookup(&cur, git, tracking_ref);
	if (rc == GIT_ENOTFOUND) {
		rc = git_reference_create(&moved, git, tracking_ref, tip, 0, log_red);
		if (rc == GIT_EEXISTS)
			rc = fail(MC_EGIT, "%s was created by someone else while fetching; fetch again",
				  tracking_ref);
		else if (rc < 0)
			rc = op_failure(op, rc, tracking_ref);
		goto out;
	}
	if (rc < 0 || (rc = git_reference_resolve(&resolved, cur)) < 0) {
		rc = op_failure(op, rc, tracking_ref);
		goto out;
	}
	git_oid_cpy(&old, git_reference_target(resolved));
	if (git_oid_equal(&old, tip))
		goto out;
	rc = git_graph_descendant_of(git, tip, &old);
	if (rc < 0) {
		rc = op_failure(op, rc, "comparing the fetched tip with the tracking ref");
	} else if (rc == 0) {
		char new_hex[GIT_OID_HEXSZ + 1], old_hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(new_hex, sizeof new_hex, tip);
		git_oid_tostr(old_hex, sizeof old_hex, &old);
		rc = fail(MC_EVERIFY, "%s rewrote %s: its tip %s does not descend from %s, fetched "
			  "before into %s; refusing it (%s unchanged)", op->shown, ref, new_hex,
			  old_hex, tracking_ref, tracking_ref);
	} else {
		rc = git_reference_create_matching(&moved, git, git_reference_name(resolved), tip, 1,
						   &old, log_red);
		if (rc == GIT_EMODIFIED)
			rc = fail(MC_EGIT, "%s moved while fetching; fetch again", tracking_ref);
		else if (rc < 0)
			rc = op_failure(op, rc, tracking_ref);
	}
out:
	git_reference_free(cur);
	git_reference_free(resolved);
	git_reference_free(moved);
	mc_strbuf_release(&log);
	free(log_red);
	return rc < 0 ? rc : 0;
}

/* How every fetch here goes: our callbacks (credentials, host keys, timeouts), the
 * proxy from the environment, nothing pruned, no FETCH_HEAD, no tags. */
static void fetch_options(git_fetch_options *fo, remote_op *op)
{
	git_fetch_options_init(fo, GIT_FETCH_OPTIONS_VERSION);
	op_callbacks(&fo->callbacks, op);
	fo->proxy_opts.type = GIT_PROXY_AUTO;
	fo->prune = GIT_FETCH_NO_PRUNE;
	fo->update_fetchhead = 0;
	fo->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
}

int mc_remote_fetch_ref(char tip[41], mc_repo *repo, const char *remote, const char *ref,
			const char *tracking_ref, const mc_remote_options *opt)
{
	git_repository *git = mc_repo_git(repo);
	git_fetch_options fo;
	git_remote *r = NULL;
	git_oid id;
	git_odb *odb = NULL;
	char *spec_str = (char *)ref;
	git_strarray specs = { &spec_str, 1 };
	mc_strbuf doing = MC_STRBUF_INIT;
	remote_op op;
	int rc, absent = 1;

	tip[0] = '\0';
	init_libgit2();
	if ((rc = check_ref_name(ref)) != 0 || (rc = check_ref_name(tracking_ref)) != 0)
		return rc;
	op_init(&op, remote, opt);
	mc_strbuf_printf(&doing, "fetching %s from %s", ref, op.shown);
	if ((rc = open_remote(&r, git, &op, remote, 0)) != 0)
		goto out;

	fetch_options(&fo, &op);

	if ((rc = op_start_deadline(&op)) != 0)
		goto out;
	/* Download only: the tracking ref is moved below, after the descent check. */
	rc = git_remote_download(r, &specs, &fo);
	if (rc == 0)
		absent = advertised_id(&id, r, ref);
	git_remote_disconnect(r);
	watch_stop(&op.watch);

	if (rc < 0) {
		rc = op_failure(&op, rc, doing.buf);
		goto out;
	}
	if (absent) {
		rc = fail(MC_ENOTFOUND, "%s has no %s", op.shown, ref);
		goto out;
	}
	git_oid_tostr(tip, 41, &id);
	if (git_repository_odb(&odb, git) < 0 || !git_odb_exists(odb, &id)) {
		rc = fail(MC_EGIT, "%s: the remote's tip %s did not arrive", doing.buf, tip);
		goto out;
	}
	rc = update_tracking(git, &op, ref, tracking_ref, &id);
out:
	git_odb_free(odb);
	git_remote_free(r);
	mc_strbuf_release(&doing);
	op_release(&op);
	return rc;
}

/* ------------------------------------------------------------------ fetching code */

/* A refspec for mc_remote_fetch_code: forced ("+src:dst"), both sides full ref names. */
static int check_code_refspec(const char *spec)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	char *src;
	int rc;

	if (!spec || spec[0] != '+' || !colon)
		return fail(MC_EINVAL, "refspec '%s' is not of the form +refs/...:refs/...",
			    spec ? spec : "");
	src = mc_xstrndup(spec + 1, (size_t)(colon - spec - 1));
	rc = check_ref_name(src);
	free(src);
	return rc ? rc : check_ref_name(colon + 1);
}

int mc_remote_fetch_code(mc_repo *repo, const char *remote, const char *const *refspecs,
			 size_t n, const mc_remote_options *opt)
{
	git_repository *git = mc_repo_git(repo);
	git_fetch_options fo;
	git_remote *r = NULL;
	git_strarray specs = { (char **)refspecs, n };
	mc_strbuf doing = MC_STRBUF_INIT;
	remote_op op;
	int rc;

	init_libgit2();
	if (n == 0)
		return fail(MC_EINVAL, "nothing to fetch");
	for (size_t i = 0; i < n; i++)
		if ((rc = check_code_refspec(refspecs[i])) != 0)
			return rc;
	op_init(&op, remote, opt);
	mc_strbuf_printf(&doing, "fetching %s from %s", refspecs[0] + 1, op.shown);
	if ((rc = open_remote(&r, git, &op, remote, 0)) != 0)
		goto out;
	fetch_options(&fo, &op);
	if ((rc = op_start_deadline(&op)) != 0)
		goto out;
	/* The reflog message names the remote as shown, never with its credentials. */
	rc = git_remote_fetch(r, &specs, &fo, "maestro: fetch");
	watch_stop(&op.watch);
	if (rc < 0)
		rc = op_failure(&op, rc, doing.buf);
out:
	git_remote_free(r);
	mc_strbuf_release(&doing);
	op_release(&op);
	return rc;
}
