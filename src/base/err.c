/*
 * err.c - the error table and context helpers declared in err.h.
 */
#include "base/err.h"

#include <stdio.h>
#include <string.h>

const char *ferr_str(int code)
{
    switch (code) {
#define FERR_CASE_(name, c, msg) case c: return msg;
        FERR_TABLE(FERR_CASE_)
#undef FERR_CASE_
    }
    return "unknown error";
}

int ferr_vset(ferr_t *e, int code, const char *fmt, va_list ap)
{
    if (e == NULL)
        return code;
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
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

int ferr_prefix(ferr_t *e, const char *fmt, ...)
{
    char head[FERR_MSG_MAX], old[FERR_MSG_MAX];
    va_list ap;

    if (e == NULL)
        return FERR_OK;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    {
        /* Truncation is fine: the head carries the most specific context. */
        size_t hn = strlen(head);
        size_t on = strlen(old);
        if (hn >= sizeof(e->msg))
            hn = sizeof(e->msg) - 1;
        if (on > sizeof(e->msg) - 1 - hn)
            on = sizeof(e->msg) - 1 - hn;
        memcpy(e->msg, head, hn);
        memcpy(e->msg + hn, old, on);
        e->msg[hn + on] = '\0';
    }
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
