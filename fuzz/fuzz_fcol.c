/*
 * fuzz_fcol.c - the .fcol reader on arbitrary bytes.
 *
 * Whatever the input, fcol_read_mem must return FERR_OK with a table whose
 * every cell is readable, or an error; never crash, hang or leak.  A second
 * pass reads a one-column subset, which takes the other path through the
 * directory.  Corpus: valid files of every type (0, 1 and many rows), and
 * corrupt ones - truncated, bit-flipped, and CRC-valid files whose values
 * break the format's rules (bool 2, null byte 7, category code out of the
 * dictionary, string offsets going backwards, duplicate dictionary entries).
 */
#include <stdint.h>
#include <string.h>

#include "store/offline.h"

/* Every cell is read into a sink the compiler cannot drop.  Numbers are
 * summed as doubles: a cast of a negative or huge value to size_t is itself
 * undefined behaviour (UBSan stopped here on valid_1row.fcol). */
static volatile size_t sink;
static volatile double nsink;

static void touch(const table_t *t)
{
    for (size_t j = 0; j < t->ncols; j++) {
        const column_t *c = t->cols[j];
        for (size_t i = 0; i < t->nrows; i++) {
            if (col_is_null(c, i))
                continue;
            if (c->type == FT_STRING || c->type == FT_CATEGORY)
                sink += col_str(c, i).n;
            else
                nsink += col_num(c, i);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    table_t *t = NULL;
    ferr_t e = {0};
    if (fcol_read_mem(data, size, "fuzz.fcol", NULL, 0, &t, &e) == FERR_OK) {
        touch(t);
        if (t->ncols > 0) {
            const char *name[] = {t->cols[t->ncols - 1]->name};
            table_t *sub = NULL;
            if (fcol_read_mem(data, size, "fuzz.fcol", name, 1, &sub, &e) ==
                FERR_OK) {
                touch(sub);
                table_free(sub);
            }
        }
        table_free(t);
    }
    return 0;
}
