/*
 * The webhook body's routing fields without the whole tree: one pass over the
 * bytes that checks the JSON and builds a json-c tree holding only the members
 * the routing parser reads (action, repository.full_name, sender.login, number,
 * pull_request.head.sha, issue.pull_request, issue.number, comment.id/body/
 * user.login, is_pull, ref, after, deleted). A 21 KB pull_request payload
 * becomes a dozen json-c objects instead of a thousand.
 *
 * It is exact by construction or it steps aside: the pruned tree is json-c's
 * tree with the other members removed (duplicate keys replace earlier ones the
 * same way, via json_object_object_add), and for any input it is not certain
 * json-c reads the same way — malformed JSON, nesting deeper than 32, numbers
 * with exponents or more than 18 digits, \u escapes of NUL or surrogates,
 * control characters, whitespace beyond the four JSON ones, a top level that is
 * not an object — it answers MC_WEBHOOK_SCAN_UNSURE and the caller parses with
 * json-c as before, so errors (and their messages) stay json-c's.
 * tests/fuzz/fuzz_webhook.c checks both paths agree on every input.
 */
#ifndef MC_MODEL_WEBHOOK_SCAN_H
#define MC_MODEL_WEBHOOK_SCAN_H
#include <stddef.h>

struct json_object;

#define MC_WEBHOOK_SCAN_UNSURE 1
#define MC_WEBHOOK_SCAN_MAX_DEPTH 32

/* 0 and *out a pruned tree (the caller puts it), or MC_WEBHOOK_SCAN_UNSURE and *out NULL. */
int mc_webhook_scan(struct json_object **out, const char *body, size_t len);

#endif
