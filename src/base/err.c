/*
 * err.c - the error table and context helpers declared in err.h.
 */
#include "base/err.h"

#include <stdio.h>
#include <string.h>

const char *ferr_str(int code)
{
    switch (code) {
#define FERR_CASE_(name, c, id, msg) case c: return msg;
        FERR_TABLE(FERR_CASE_)
#undef FERR_CASE_
    }
    return "unknown error";
}

const char *ferr_name(int code)
{
    switch (code) {
#define FERR_NAME_(name, c, id, msg) case c: return id;
        FERR_TABLE(FERR_NAME_)
#undef FERR_NAME_
    }
    return "unknown";
}

int ferr_vset(ferr_t *e, int code, const char *fmt, va_list ap)
{
    if (e == NULL)
        return code;
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    e->where[0] = '\0';
    e->line = 0;
    return code;
}

int ferr_set(ferr_t *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

/* dst (NUL-terminated, size bytes) becomes head + dst, truncated at the
 * end: the head carries the most specific context. */
static void prepend(char *dst, size_t size, const char *head)
{
    char old[FERR_MSG_MAX];
    size_t hn = strlen(head), on = strlen(dst);

    if (on >= sizeof(old))
        on = sizeof(old) - 1;
    memcpy(old, dst, on);
    if (hn >= size)
        hn = size - 1;
    if (on > size - 1 - hn)
        on = size - 1 - hn;
    memmove(dst, head, hn);
    memcpy(dst + hn, old, on);
    dst[hn + on] = '\0';
}

int ferr_prefix(ferr_t *e, const char *fmt, ...)
{
    char head[FERR_MSG_MAX];
    va_list ap;

    if (e == NULL)
        return FERR_OK;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    prepend(e->msg, sizeof(e->msg), head);
    return e->code;
}

int ferr_set_at(ferr_t *e, int code, const char *where, int line,
                const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return code;
    va_start(ap, fmt);
    ferr_vset(e, code, fmt, ap);
    va_end(ap);
    snprintf(e->where, sizeof(e->where), "%s", where ? where : "");
    e->line = line > 0 ? line : 0;
    return code;
}

int ferr_where(ferr_t *e, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return FERR_OK;
    va_start(ap, fmt);
    vsnprintf(e->where, sizeof(e->where), fmt, ap);
    va_end(ap);
    return e->code;
}

int ferr_where_prefix(ferr_t *e, const char *fmt, ...)
{
    char head[FERR_WHERE_MAX];
    va_list ap;

    if (e == NULL)
        return FERR_OK;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    prepend(e->where, sizeof(e->where), head);
    return e->code;
}

const char *ferr_msg(const ferr_t *e)
{
    if (e == NULL)
        return "unknown error";
    if (e->msg[0] != '\0')
        return e->msg;
    return ferr_str(e->code);
}
