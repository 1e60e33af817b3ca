/*
 * project_ctx.c - see project_ctx.h.
 */
#include "cli/project_ctx.h"

#include <stdlib.h>

const char *cli_registry(const cli_ctx_t *ctx, const project_t *p)
{
    return ctx->registry_dir_set || p == NULL ? ctx->registry_dir
                                             : p->registry_dir;
}

project_t *cli_load_project(cli_ctx_t *ctx, const char *cmd)
{
    project_t *p;
    ferr_t e = {0};
    if (project_load(ctx->project_file, ctx->sets, ctx->nsets, &p, &e)) {
        cli_error("%s: %s", cmd, ferr_msg(&e));
        return NULL;
    }
    return p;
}
