/*
 * A small Mustache-style renderer over json-c data, used for the Decision
 * Card and bot comments (templates/). Supported:
 *   {{path.to.value}}          value, escaped for Markdown (untrusted text is safe in a comment)
 *   {{{path}}}                 value, raw (only for text maestro itself produced)
 *   {{path|usd}} {{path|pct}} {{path|num}} {{path|int}} {{path|short}}   formatted
 *   {{#path}}...{{/path}}      section: once if truthy, once per element of an array
 *   {{^path}}...{{/path}}      inverted section: when missing, false, null, 0, "" or []
 *   {{! comment}}
 * Inside a section, names resolve against the element first, then outwards;
 * {{.}} is the element itself. A standalone section tag line leaves no blank line.
 */
#ifndef MC_UTIL_TEMPLATE_H
#define MC_UTIL_TEMPLATE_H
#include <json-c/json.h>

#include "util/strbuf.h"

/* Render tmpl with data into out. MC_EINVAL names the line of a malformed template. */
int mc_template_render(mc_strbuf *out, const char *tmpl, struct json_object *data);
/* Append text escaped for inline Markdown (no links, mentions, HTML or table breaks). */
void mc_template_escape_markdown(mc_strbuf *out, const char *text);

#endif
