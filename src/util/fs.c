/* Bounded file reads and atomic writes (fs.h). */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

int mc_fs_read_file(char **out, size_t *len, const char *path, size_t max)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return mc_error_set(errno == ENOENT ? MC_ENOTFOUND : MC_EIO, "%s: %s", path,
				    strerror(errno));
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mc_error_set(MC_EIO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (sb.len + (size_t)n > max) {
			mc_error_set(MC_ELIMIT, "%s: larger than the limit of %zu bytes", path, max);
			goto fail;
		}
		mc_strbuf_add(&sb, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = sb.len;
	*out = mc_strbuf_detach(&sb);
	return 0;
fail:
	close(fd);
	mc_strbuf_release(&sb);
	return mc_error_code();
}

int mc_fs_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
	mc_strbuf tmp = MC_STRBUF_INIT;
	const char *p = data;
	int fd, rc = 0;

	mc_strbuf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = mc_error_set(MC_EIO, "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mc_error_set(MC_EIO, "%s: %s", tmp.buf, strerror(errno));
			close(fd);
			unlink(tmp.buf);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 || rename(tmp.buf, path) != 0) {
		rc = mc_error_set(MC_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp.buf);
	}
out:
	mc_strbuf_release(&tmp);
	return rc;
}

int mc_fs_mkdirs(const char *path, unsigned mode)
{
	char *p = mc_xstrdup(path), *s;
	int rc = 0;
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = mc_error_set(MC_EIO, "mkdir %s: %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

int mc_fs_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
