/* Strict interpretation of trailers and labels into typed signals (signals.h). */
#include "model/signals.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/strbuf.h"

#define MC_SIGNAL_MAX_TEXT 200

static const struct {
	const char *key;
	enum mc_signal_kind kind;
	int numeric;
} trailer_keys[] = {
	{ "Fixes", MC_SIG_DEFECT, 0 },
	{ "Maestro-Value", MC_SIG_REVENUE_USD, 1 },
	{ "Maestro-Flake-Fixed", MC_SIG_FLAKE, 1 },
	{ "Maestro-Latency-Saved-Ms", MC_SIG_LATENCY_MS, 1 },
	{ "Maestro-LLM-USD", MC_SIG_LLM_USD, 1 },
	{ "Maestro-CI-Minutes", MC_SIG_CI_MINUTES, 1 },
	{ "Maestro-Label", MC_SIG_LABEL, 0 },
	{ "Reviewed-by", MC_SIG_APPROVAL, 0 },
	{ "Approved-by", MC_SIG_APPROVAL, 0 },
	{ "Acked-by", MC_SIG_APPROVAL, 0 },
};

void mc_signals_warn(mc_signals *s, const char *fmt, ...)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	va_list ap;
	void *p = s->warnings.items;
	va_start(ap, fmt);
	mc_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	mc_xgrow(&p, &s->warnings_alloc, s->warnings.n + 1, sizeof(char *));
	s->warnings.items = p;
	s->warnings.items[s->warnings.n++] = mc_strbuf_detach(&sb);
}

static void push(mc_signals *s, enum mc_signal_kind kind, double amount, const char *ref,
		 size_t ref_len, const char *source)
{
	void *p = s->items;
	mc_signal *sig;
	mc_xgrow(&p, &s->alloc, s->n + 1, sizeof *s->items);
	s->items = p;
	sig = &s->items[s->n++];
	sig->kind = kind;
	sig->amount = amount;
	sig->ref = ref ? mc_xstrndup(ref, ref_len) : NULL;
	sig->source = mc_xstrdup(source);
}

/* "$1,200.50", "1200", "0.5": a plain non-negative decimal with an optional $ and commas. */
static int parse_amount(double *out, const char *text)
{
	char clean[64];
	size_t n = 0;
	char *end;
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '$')
		p++;
	for (; *p && !isspace((unsigned char)*p); p++) {
		if (*p == ',')
			continue;
		/* plain decimal only: no exponent, hex, sign, nan or inf for strtod to accept */
		if (n + 1 >= sizeof clean || !(isdigit((unsigned char)*p) || *p == '.'))
			return -1;
		clean[n++] = *p;
	}
	while (isspace((unsigned char)*p))
		p++;
	clean[n] = '\0';
	if (*p || !n)
		return -1;
	errno = 0;
	*out = strtod(clean, &end);
	if (*end || errno || !isfinite(*out) || *out < 0 || *out > MC_SIGNAL_MAX_AMOUNT)
		return -1;
	return 0;
}

/* The email inside "Name <email>", or the whole value when there are no brackets. */
static void approver_email(const char *value, const char **start, size_t *len)
{
	const char *lt = strchr(value, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt && gt > lt + 1) {
		*start = lt + 1;
		*len = (size_t)(gt - lt - 1);
	} else {
		*start = value;
		*len = strlen(value);
	}
}

static int is_printable_text(const char *v)
{
	size_t n = 0;
	for (; *v; v++, n++)
		if ((unsigned char)*v < 0x20 || n >= MC_SIGNAL_MAX_TEXT)
			return 0;
	return n > 0;
}

int mc_signals_add_trailer(mc_signals *s, const char *key, const char *value, const char *commit,
			   const char *author_email)
{
	mc_strbuf source = MC_STRBUF_INIT;
	size_t i;
	double amount = 1;

	for (i = 0; i < sizeof trailer_keys / sizeof trailer_keys[0]; i++)
		if (!strcasecmp(key, trailer_keys[i].key))
			break;
	if (i == sizeof trailer_keys / sizeof trailer_keys[0])
		return 0;
	mc_strbuf_printf(&source, "%s: trailer in %s", trailer_keys[i].key, commit);
	if (!is_printable_text(value)) {
		mc_signals_warn(s, "ignored %s: trailer in %s: empty, too long or has control characters",
				trailer_keys[i].key, commit);
	} else if (trailer_keys[i].numeric && parse_amount(&amount, value) != 0) {
		mc_signals_warn(s, "ignored %s: trailer in %s: '%s' is not a number from 0 to %.0f",
				trailer_keys[i].key, commit, value, MC_SIGNAL_MAX_AMOUNT);
	} else if (trailer_keys[i].kind == MC_SIG_APPROVAL) {
		const char *email;
		size_t len;
		approver_email(value, &email, &len);
		if (author_email && strlen(author_email) == len && !strncasecmp(email, author_email, len))
			mc_signals_warn(s, "ignored %s: trailer in %s: the author cannot approve their own change",
					trailer_keys[i].key, commit);
		else
			push(s, MC_SIG_APPROVAL, 1, email, len, source.buf);
	} else {
		push(s, trailer_keys[i].kind, amount, trailer_keys[i].numeric ? NULL : value,
		     trailer_keys[i].numeric ? 0 : strlen(value), source.buf);
	}
	mc_strbuf_release(&source);
	return 1;
}

void mc_signals_add_label(mc_signals *s, const char *label, const char *source)
{
	if (!is_printable_text(label)) {
		mc_signals_warn(s, "ignored a label from %s: empty, too long or has control characters",
				source);
		return;
	}
	push(s, MC_SIG_LABEL, 1, label, strlen(label), source);
}

int mc_signals_has_label(const mc_signals *s, const mc_string_list *names, const mc_signal **which)
{
	size_t i, j;
	for (i = 0; i < s->n; i++) {
		if (s->items[i].kind != MC_SIG_LABEL)
			continue;
		for (j = 0; j < names->n; j++) {
			if (!strcasecmp(s->items[i].ref, names->items[j])) {
				if (which)
					*which = &s->items[i];
				return 1;
			}
		}
	}
	return 0;
}

void mc_signals_free(mc_signals *s)
{
	size_t i;
	for (i = 0; i < s->n; i++) {
		free(s->items[i].ref);
		free(s->items[i].source);
	}
	for (i = 0; i < s->warnings.n; i++)
		free(s->warnings.items[i]);
	free(s->warnings.items);
	free(s->items);
	memset(s, 0, sizeof *s);
}
