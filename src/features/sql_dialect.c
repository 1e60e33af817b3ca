/*
 * sql_dialect.c - identifier quoting per dialect (see sql_dialect.h).
 */
#include "features/sql_dialect.h"

#include "base/err.h"

int sql_quote_ident(sql_dialect_t d, const char *name, buf_t *out)
{
    char q = (d == SQL_SPARK) ? '`' : '"';
    int rc = buf_putc(out, q);
    for (const char *p = name; rc == FERR_OK && *p; p++) {
        if (*p == q)
            rc = buf_putc(out, q); /* doubled quote escapes it */
        if (rc == FERR_OK)
            rc = buf_putc(out, *p);
    }
    if (rc == FERR_OK)
        rc = buf_putc(out, q);
    return rc;
}
