/* ai_cli.h — the subcommands of the AI workspace: `ai serve` (the inference service), `models`
 * (the registry), `train`, `eval` and `features` (the feature store). Entry points take argv
 * with argv[0] = the subcommand name, as every row of main.c's command table. */
#ifndef CLIPFORGE_AI_CLI_H
#define CLIPFORGE_AI_CLI_H

int cf_cmd_models(int argc, char **argv);
int cf_cmd_features(int argc, char **argv);
int cf_cmd_ai(int argc, char **argv);
int cf_cmd_train(int argc, char **argv);
int cf_cmd_eval(int argc, char **argv);

#endif
