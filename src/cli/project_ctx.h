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

#endif
