/*
 * cmd_reference.c - `ferry reference`: the ferry.yaml key reference and the
 * command list as Markdown, generated from the tables in the code.
 * docs/reference.md is this output; tests/integration/docs_reference.sh
 * fails when they differ, so the docs cannot drift from the code.
 */
#include <stdio.h>

#include "base/str.h"
#include "cli/cli.h"
#include "project/project.h"

int cmd_reference(cli_ctx_t *ctx, int argc, char **argv)
{
    buf_t b;
    (void)ctx;
    (void)argc;
    (void)argv;
    buf_init(&b, 0);
    project_reference_md(&b);
    cli_reference_md(&b);
    fwrite(b.p, 1, b.n, stdout);
    buf_free(&b);
    return 0;
}
