/*
 * project_ctx.h - loading the project for a command: ferry.yaml from the
 * current directory (after -C) or -f FILE, with the --set overrides, and
 * the registry directory resolved (--registry beats ferry.yaml).
 */
#ifndef FERRY_PROJECT_CTX_H
#define FERRY_PROJECT_CTX_H

#include "cli/cli.h"
#include "project/project.h"

/* Load or print the error and return NULL. */
project_t *cli_load_project(cli_ctx_t *ctx, const char *cmd);
/* The registry directory: --registry, else the project's registry.path. */
const char *cli_registry(const cli_ctx_t *ctx, const project_t *p);

/* Load the model version named by `model` (NAME, NAME@VERSION or
 * NAME@ALIAS; NULL: the project's name) for scoring, with this run's
 * --set overrides; the default alias is champion.  *name gets NAME. */
struct predictor;
int cli_load_predictor(cli_ctx_t *ctx, const project_t *p, const char *model,
                       struct predictor **out, char *name, size_t nname,
                       ferr_t *e);

/* The model, split, search and gate sections as `train` reads them, the
 * checks train makes before reading rows, and model.features/exclude
 * against the columns of fs (NULL: not checked); OK for a project with
 * no label and none of those sections (cmd_train.c, for `validate`). */
struct feat_schema;
int train_check_project(const project_t *p, const struct feat_schema *fs,
                        ferr_t *e);

#endif
