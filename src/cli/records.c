/*
 * records.c - raw records from a CSV file, as text (see records.h).
 */
#include "cli/records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "data/csv.h"
#include "features/record.h"

/* Read the records: every column as text, with the source's CSV options.
 * Rows the reader cannot split (wrong field count, bad UTF-8) are its
 * rejects, read back from a temporary file to be listed with the others. */
int records_read(const proj_source_t *s, const char *path,
                        const char *rej_tmp, table_t **out, table_t **rej,
                        ferr_t *e)
{
    csv_opts_t o;
    csv_report_t r = {0};
    int rc;

    csv_opts_init(&o);
    o.delimiter = s->delimiter;
    o.quote = s->quote;
    o.trim = s->trim;
    o.max_line = (size_t)s->max_line;
    o.max_rejects = (size_t)-1; /* a bad row is that record's problem */
    o.threads = (int)s->threads;
    o.encoding = s->latin1 ? CSV_LATIN1 : CSV_UTF8;
    o.rejects_path = rej_tmp;
    rc = csv_read_file(path, &o, out, &r, e);
    *rej = NULL;
    if (rc == FERR_OK && r.rejected > 0) {
        csv_opts_t ro;
        csv_opts_init(&ro);
        ro.quiet = true;
        rc = csv_read_file(rej_tmp, &ro, rej, NULL, e);
    }
    unlink(rej_tmp);
    return rc;
}

/* Physical line of each record: the header is line 1, a record spans one
 * line plus the newlines inside its quoted fields, and the rows the
 * reader rejected (at the lines it reported) are skipped over. */
int64_t *records_lines(const table_t *t, const table_t *rej)
{
    int64_t *line = xcalloc(t->nrows + 1, sizeof(*line));
    const column_t *rl = rej ? table_find(rej, "line") : NULL;
    size_t k = 0, nrej = rl ? rl->n : 0;
    int64_t next = 2;
    for (size_t i = 0; i < t->nrows; i++) {
        int64_t span = 1;
        while (k < nrej) {
            str_t v = col_str(rl, k);
            char num[32];
            int64_t l;
            snprintf(num, sizeof(num), "%.*s", (int)(v.n < 31 ? v.n : 31),
                     v.p ? v.p : "");
            l = strtoll(num, NULL, 10);
            if (l > next)
                break;
            if (l == next)
                next++;
            k++;
        }
        line[i] = next;
        for (size_t c = 0; c < t->ncols; c++) {
            str_t v = col_str(t->cols[c], i);
            for (size_t b = 0; b < v.n; b++)
                span += v.p[b] == '\n';
        }
        next += span;
    }
    return line;
}


void records_fields(const table_t *t, size_t r, const int *map, size_t n,
                    str_t *vals)
{
    for (size_t i = 0; i < n; i++) {
        const column_t *c = map[i] >= 0 ? t->cols[map[i]] : NULL;
        vals[i] = c == NULL ? (str_t){NULL, 0} :
                  col_is_null(c, r) ? (str_t){"", 0} : col_str(c, r);
    }
}

void records_put_features(const rec_ctx_t *cx, column_t *const *cols,
                          size_t n, size_t row)
{
    for (size_t j = 0; j < n; j++) {
        double v = NAN;
        rec_feature_value(cx, j, &v);
        cols[j]->f64[row] = v;
        if (isnan(v))
            col_set_null(cols[j], row);
    }
}
