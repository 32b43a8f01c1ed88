/* Directory and subsystem of a repository-relative path (path.h). */
#include "util/path.h"

#include <string.h>

size_t mc_path_subsystem_len(const char *path)
{
	const char *slash = strchr(path, '/');
	return slash ? (size_t)(slash - path) : 0;
}

size_t mc_path_dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash - path) : 0;
}
