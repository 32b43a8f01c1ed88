/* Reading secrets from owner-only files; see secret.h. */
#include "util/secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/fs.h"

static int check_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return mc_error_set(MC_ENOTFOUND, "secret file %s does not exist", path);
		return mc_error_set(MC_EIO, "secret file %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return mc_error_set(MC_EINVAL, "secret file %s is not a regular file", path);
	if (st.st_mode & 077)
		return mc_error_set(MC_EINVAL,
				    "secret file %s is readable by others (mode %04o); "
				    "run chmod 600 %s",
				    path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int mc_secret_read_file(char **out, size_t *len, const char *path)
{
	char *data = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (len)
		*len = 0;
	if ((rc = check_mode(path)) != 0)
		return rc;
	if ((rc = mc_fs_read_file(&data, &n, path, MC_SECRET_MAX)) != 0)
		return mc_error_wrap(rc, "secret file %s", path);
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		data[--n] = '\0';
	if (n == 0) {
		mc_secret_free(data);
		return mc_error_set(MC_EINVAL, "secret file %s is empty", path);
	}
	*out = data;
	if (len)
		*len = n;
	return 0;
}

void mc_secret_free(char *secret)
{
	if (!secret)
		return;
	/* explicit_bzero is not optimised away like a memset before free could be. */
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
