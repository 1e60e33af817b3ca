/*
 * test_expr_docs.c - docs/expressions.md cannot drift from the function
 * table: every function row of the doc must name a function of the table
 * with its exact signature, and every function of the table must have a row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/afile.h"
#include "features/expr.h"

static void test_doc_matches_table(void **state)
{
    (void)state;
    const char *src = getenv("FERRY_SRC");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/expressions.md", src);
    char *doc;
    size_t n;
    ferr_t e = {0};
    assert_int_equal(file_read_all(path, 1 << 20, &doc, &n, &e), FERR_OK);
    size_t nf = expr_func_count();
    int *seen = calloc(nf, sizeof(int));
    int bad = 0;
    /* function rows: "| `sig` | doc |" where sig starts with "name(" */
    for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        const char *sig = line + 3;
        const char *end = strstr(sig, "` |");
        const char *paren = strchr(sig, '(');
        if (end == NULL || paren == NULL || paren > end)
            continue; /* a syntax row, not a function */
        size_t k = 0;
        for (; k < nf; k++) {
            const char *name, *fsig, *fdoc;
            expr_func_info(k, &name, &fsig, &fdoc);
            if ((size_t)(paren - sig) == strlen(name) &&
                strncmp(sig, name, strlen(name)) == 0)
                break;
        }
        if (k == nf) {
            fprintf(stderr, "docs list '%.*s', which is not in the function table\n",
                    (int)(paren - sig), sig);
            bad++;
            continue;
        }
        const char *name, *fsig, *fdoc;
        expr_func_info(k, &name, &fsig, &fdoc);
        if ((size_t)(end - sig) != strlen(fsig) || strncmp(sig, fsig, strlen(fsig)) != 0) {
            fprintf(stderr, "docs signature of %s is '%.*s', table says '%s'\n", name,
                    (int)(end - sig), sig, fsig);
            bad++;
        }
        seen[k]++;
    }
    for (size_t k = 0; k < nf; k++) {
        const char *name, *fsig, *fdoc;
        expr_func_info(k, &name, &fsig, &fdoc);
        if (seen[k] != 1) {
            fprintf(stderr, "function %s appears %d times in docs/expressions.md\n",
                    name, seen[k]);
            bad++;
        }
    }
    assert_true(nf >= 40);
    free(seen);
    free(doc);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
