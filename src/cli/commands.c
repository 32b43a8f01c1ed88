/* The table of maestro commands, in the order `maestro help` lists them. */
#include "cli/cli.h"

extern const struct mc_command mc_cmd_canary;
extern const struct mc_command mc_cmd_config;
extern const struct mc_command mc_cmd_evidence;
extern const struct mc_command mc_cmd_help;
extern const struct mc_command mc_cmd_version;
extern const struct mc_command mc_cmd_hook;
extern const struct mc_command mc_cmd_hooks;
extern const struct mc_command mc_cmd_plan;
extern const struct mc_command mc_cmd_portfolio;
extern const struct mc_command mc_cmd_priority;
extern const struct mc_command mc_cmd_review;
extern const struct mc_command mc_cmd_risk;
extern const struct mc_command mc_cmd_score;
extern const struct mc_command mc_cmd_value;

const struct mc_command *const mc_commands[] = {
	&mc_cmd_canary,
	&mc_cmd_config,
	&mc_cmd_evidence,
	&mc_cmd_help,
	&mc_cmd_hook,
	&mc_cmd_hooks,
	&mc_cmd_plan,
	&mc_cmd_portfolio,
	&mc_cmd_priority,
	&mc_cmd_review,
	&mc_cmd_risk,
	&mc_cmd_score,
	&mc_cmd_value,
	&mc_cmd_version,
	0,
};
