/* A forge issue as a work item (issue_item.h): id, body trailers, score. */
#include "model/issue_item.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

/* A trailer key: a letter, then letters, digits and '-' (git's rule), at most this long. */
#define KEY_MAX 64

char *mc_issue_item_id(const char *repository, int64_t number)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_strbuf_printf(&sb, "%s!%lld", repository, (long long)number);
	return mc_strbuf_detach(&sb);
}

int mc_issue_item_parse_id(char **repository, int64_t *number, const char *id)
{
	const char *bang = id ? strrchr(id, '!') : NULL, *slash;
	char *end;
	long long n;

	*repository = NULL;
	*number = 0;
	if (!bang || !isdigit((unsigned char)bang[1]))
		return mc_error_set(MC_EINVAL, "'%.200s' is not an issue item (owner/name!N)",
				    id ? id : "");
	slash = memchr(id, '/', (size_t)(bang - id));
	errno = 0;
	n = strtoll(bang + 1, &end, 10);
	if (*end || errno || n <= 0 || !slash || slash == id || slash + 1 == bang ||
	    memchr(slash + 1, '/', (size_t)(bang - slash - 1)))
		return mc_error_set(MC_EINVAL, "'%.200s' is not an issue item (owner/name!N)", id);
	*repository = mc_xstrndup(id, (size_t)(bang - id));
	*number = n;
	return 0;
}

/* A fence line opens or closes a code block: ``` or ~~~ after up to three spaces. */
static int is_fence(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && i < 3 && line[i] == ' ')
		i++;
	return len - i >= 3 && (!strncmp(line + i, "```", 3) || !strncmp(line + i, "~~~", 3));
}

/* "Key: value" → key and value (trimmed); 0 when the line is not shaped so. */
static int split_trailer(const char *line, size_t len, char key[KEY_MAX + 1], char **value)
{
	size_t k = 0, v;

	if (!len || !isalpha((unsigned char)line[0]))
		return 0;
	while (k < len && (isalnum((unsigned char)line[k]) || line[k] == '-'))
		k++;
	if (k > KEY_MAX || k >= len || line[k] != ':')
		return 0;
	memcpy(key, line, k);
	key[k] = '\0';
	v = k + 1;
	while (v < len && (line[v] == ' ' || line[v] == '\t'))
		v++;
	while (len > v && isspace((unsigned char)line[len - 1]))
		len--;
	*value = mc_xstrndup(line + v, len - v);
	return 1;
}

size_t mc_issue_add_body_trailers(mc_signals *s, const char *body, const char *source)
{
	const char *p = body ? body : "";
	size_t ours = 0, skipped = 0;
	int fenced = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char key[KEY_MAX + 1], *value = NULL;

		if (is_fence(p, len)) {
			fenced = !fenced;
		} else if (!fenced && split_trailer(p, len, key, &value)) {
			if (ours >= MC_ISSUE_MAX_TRAILERS) {
				/* Only count what would have been ours. */
				mc_signals s2 = { 0 };
				skipped += (size_t)mc_signals_add_trailer(&s2, key, value, source, NULL);
				mc_signals_free(&s2);
			} else {
				ours += (size_t)mc_signals_add_trailer(s, key, value, source, NULL);
			}
			free(value);
		}
		p += len + (nl ? 1 : 0);
	}
	if (skipped)
		mc_signals_warn(s, "ignored %zu trailers in %s: at most %d are read", skipped, source,
				MC_ISSUE_MAX_TRAILERS);
	return ours;
}

void mc_issue_signals(mc_signals *s, const char *const *labels, size_t nlabels, const char *body,
		      const char *source)
{
	mc_strbuf from = MC_STRBUF_INIT;

	mc_strbuf_printf(&from, "label on %s", source);
	for (size_t i = 0; i < nlabels; i++)
		mc_signals_add_label(s, labels[i], from.buf);
	mc_strbuf_release(&from);
	mc_issue_add_body_trailers(s, body, source);
}

void mc_issue_score(mc_score *out, const mc_config *cfg, const mc_signals *signals)
{
	mc_score_compute_value(out, cfg, signals);
	out->risk = 0;
	out->risk_model_source = MC_ISSUE_RISK_NOTE;
}
