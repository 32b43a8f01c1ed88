/*
 * libFuzzer target: arbitrary bytes as .maestro/config.json. Parsing must
 * never crash, leak or trip a sanitizer; an accepted config must survive a
 * round trip through its effective JSON; and every protected-path glob it
 * carries is run against a few paths, which fuzzes the glob compiler too.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "util/error.h"
#include "util/glob.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sample_paths[] = {
	"a", "src/crypto/aes.c", "docs/x/y.md", ".github/workflows/ci.yml", "a/b/c/d/e/f/g/h",
};

static void check_round_trip(const mc_config *cfg)
{
	struct json_object *first = mc_config_to_json(cfg), *second;
	const char *text = mc_json_dump(first, 0);
	mc_config again;
	if (mc_config_parse(&again, text, strlen(text), "round trip") != 0)
		abort(); /* the effective config must itself be a valid config */
	second = mc_config_to_json(&again);
	if (strcmp(mc_json_dump(second, 0), text) != 0)
		abort();
	json_object_put(first);
	json_object_put(second);
	mc_config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_config cfg;
	size_t i, j;
	if (mc_config_parse(&cfg, (const char *)data, size, "fuzz") != 0) {
		if (mc_error_code() != MC_ECONFIG)
			abort(); /* every refusal of input is a configuration error */
		mc_config_free(&cfg);
		return 0;
	}
	check_round_trip(&cfg);
	for (i = 0; i < cfg.policy_protected_paths.n; i++)
		for (j = 0; j < sizeof sample_paths / sizeof sample_paths[0]; j++)
			(void)mc_glob_match(cfg.policy_protected_paths.items[i], sample_paths[j]);
	mc_config_free(&cfg);
	return 0;
}
