/* Reading the configuration from a commit (config_at.h). */
#include "pipeline/config_at.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

int mc_config_at(mc_config *cfg, mc_config_origin *origin, mc_repo *repo, const char *rev)
{
	mc_strbuf where = MC_STRBUF_INIT;
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	memset(origin, 0, sizeof *origin);
	rc = mc_repo_read_file_at(&text, &len, origin->blob, repo, rev, MC_CONFIG_PATH,
				  MC_CONFIG_MAX_BYTES);
	if (rc == MC_ENOTFOUND) {
		mc_config_defaults(cfg);
		origin->blob[0] = '\0';
		origin->source = mc_xstrdup("defaults");
		return 0;
	}
	mc_strbuf_printf(&where, "%.12s:%s", rev, MC_CONFIG_PATH);
	if (rc)
		rc = mc_error_wrap(rc == MC_ELIMIT ? MC_ECONFIG : rc, "%s", where.buf);
	else
		rc = mc_config_parse(cfg, text, len, where.buf); /* starts from the defaults */
	free(text);
	if (rc) {
		mc_strbuf_release(&where);
		mc_config_free(cfg);
		return rc;
	}
	origin->source = mc_strbuf_detach(&where);
	return 0;
}

void mc_config_origin_free(mc_config_origin *origin)
{
	free(origin->source);
	origin->source = NULL;
}
