/*
 * project_ctx.c - see project_ctx.h.
 */
#include "cli/project_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/predictor.h"

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

int cli_load_predictor(cli_ctx_t *ctx, const project_t *p, const char *model,
                       predictor_t **out, char *name, size_t nname,
                       ferr_t *e)
{
    const char *at, *ref = "champion";
    snprintf(name, nname, "%s", model ? model : p->name);
    if ((at = strchr(name, '@')) != NULL) {
        ref = strchr(model, '@') + 1;
        name[at - name] = '\0';
    }
    return predictor_load(cli_registry(ctx, p), name, ref, p, ctx->sets,
                          ctx->nsets, out, e);
}
