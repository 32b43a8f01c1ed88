/* UTF-8 validation and lossless escaping of invalid bytes (utf8.h). */
#include "util/utf8.h"

#include <json-c/json.h>
#include <string.h>

/* Bytes of the well-formed sequence at s (avail bytes left), or 0 when there is none. */
static size_t sequence_len(const unsigned char *s, size_t avail)
{
	size_t need, k;
	unsigned long cp, min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (avail <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

size_t mc_utf8_length(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, count = 0;
	while (i < n) {
		size_t len = sequence_len(s + i, n - i);
		if (!len)
			return (size_t)-1;
		i += len;
		count++;
	}
	return count;
}

void mc_utf8_escape_invalid(mc_strbuf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		size_t len = sequence_len(s + i, n - i);
		if (len) {
			mc_strbuf_add(out, s + i, len);
			i += len;
		} else {
			mc_strbuf_printf(out, "\\x%02X", s[i]);
			i++;
		}
	}
}

void mc_utf8_escape_json(struct json_object *doc)
{
	size_t i, n;

	switch (json_object_get_type(doc)) {
	case json_type_string: {
		const char *s = json_object_get_string(doc);
		size_t len = (size_t)json_object_get_string_len(doc);
		if (mc_utf8_length(s, len) == (size_t)-1) {
			mc_strbuf sb = MC_STRBUF_INIT;
			mc_utf8_escape_invalid(&sb, s, len);
			json_object_set_string_len(doc, sb.buf, (int)sb.len);
			mc_strbuf_release(&sb);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(doc);
		for (i = 0; i < n; i++)
			mc_utf8_escape_json(json_object_array_get_idx(doc, i));
		break;
	case json_type_object: {
		json_object_object_foreach(doc, key, value) {
			(void)key;
			mc_utf8_escape_json(value);
		}
		break;
	}
	default:
		break;
	}
}
