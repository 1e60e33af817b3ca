/*
 * cmd_validate.c - `ferry validate`: check a project file without reading
 * any data.
 *
 * Everything `features build` and `train` would refuse in the spec itself
 * is refused here, through the same code: the YAML parser and key table
 * (project_load), every join, expression, window and one-hot compiled on
 * zero-row sources with the declared column types (feat_check), and the
 * model, split, search and gate sections as train reads them
 * (train_check_project).  Data problems (a missing file, a bad row) are
 * left to the commands that read the data.  docs_snippets.sh validates
 * every YAML example of the docs with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "features/pipeline.h"

int cmd_validate(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    feat_schema_t fs = {0};
    size_t ncols = 0;
    ferr_t e = {0};
    int rc = FERR_OK;

    if (argc > 1) {
        cli_error("validate: unexpected argument '%s' (usage: ferry validate)",
                  argv[1]);
        return 2;
    }
    if ((p = cli_load_project(ctx, "validate")) == NULL)
        return 1;
    /* every source declares its columns (project_load): their types are
     * all the features need to compile */
    rc = feat_check(p, &fs, &e);
    if (rc == FERR_OK) {
        ncols = json_array_size(fs.columns);
        rc = train_check_project(p, &fs, &e);
    }
    if (rc != FERR_OK) {
        cli_error("validate: %s", ferr_msg(&e));
    } else if (ctx->json) {
        json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I}", "file", p->file,
                              "valid", 1, "sources", (json_int_t)p->nsources,
                              "features", (json_int_t)p->nfeatures,
                              "columns", (json_int_t)ncols);
        char *text = json_dumps(j, JSON_PRESERVE_ORDER);
        puts(text);
        free(text);
        json_decref(j);
    } else {
        cli_info(ctx, "%s: valid (%zu source%s, %zu feature%s -> %zu columns%s)",
                 p->file, p->nsources, p->nsources == 1 ? "" : "s",
                 p->nfeatures, p->nfeatures == 1 ? "" : "s", ncols,
                 p->label ? ", model settings checked" : "");
    }
    feat_schema_free(&fs);
    project_free(p);
    return rc ? 1 : 0;
}
