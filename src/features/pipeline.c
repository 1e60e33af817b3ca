/*
 * pipeline.c - run a project's features over loaded sources (pipeline.h).
 *
 * Order of work, and why:
 *   1. as-of joins attach other sources' columns to the primary table, so
 *      features can use them like any column;
 *   2. features run in file order, each appended to the working table, so a
 *      later feature may read an earlier one; a feature named like an
 *      existing column replaces it (flag_own_car: N/Y -> 0/1);
 *   3. windows that share (entity, time) share one sort (win_plan_t);
 *   4. the output keeps carry columns, kept features and the label.
 */
#include "features/pipeline.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "data/csv.h"
#include "features/asof.h"
#include "features/expr.h"
#include "features/onehot.h"
#include "features/pipeline_int.h"
#include "features/record.h"
#include "features/window.h"

/* ---- reading ----------------------------------------------------------- */

/* Read source s from path (NULL: its own file); rejected rows go to
 * rejects_path (NULL: counted, not written). */
static int read_source(const proj_source_t *s, const char *path,
                       const char *rejects_path, table_t **out,
                       feat_read_report_t *rep, ferr_t *e)
{
    csv_opts_t o;
    csv_colopt_t *cols = xcalloc(s->ncols, sizeof(*cols));
    csv_report_t r = {0};
    buf_t why_entity = {0}, why_time = {0};
    int rc;

    csv_opts_init(&o);
    o.delimiter = s->delimiter;
    o.quote = s->quote;
    o.nulls = s->nulls;
    o.nnulls = s->nnulls;
    o.trim = s->trim;
    o.max_line = (size_t)s->max_line;
    o.max_rejects = (size_t)s->max_rejects;
    o.max_reject_frac = s->max_reject_frac;
    o.threads = (int)s->threads;
    o.rejects_path = rejects_path;
    o.encoding = s->latin1 ? CSV_LATIN1 : CSV_UTF8;
    /* An empty key would pool unrelated rows into one entity (or put an
     * event nowhere in time): such rows are rejected unless kept. */
    if (!s->keep_null_keys) {
        buf_printf(&why_entity, "the entity key of sources.%s "
                   "(null_keys: keep accepts such rows)", s->name);
        buf_printf(&why_time, "the timestamp of sources.%s "
                   "(null_keys: keep accepts such rows)", s->name);
    }
    for (size_t i = 0; i < s->ncols; i++) {
        const char *cname = s->cols[i].rename ? s->cols[i].rename
                                            : s->cols[i].name;
        cols[i].name = s->cols[i].name;
        cols[i].rename = s->cols[i].rename;
        cols[i].type = s->cols[i].type;
        cols[i].format = s->cols[i].format;
        cols[i].decimal = s->cols[i].decimal;
        cols[i].thousands = s->cols[i].thousands;
        if (why_entity.p && s->entity && strcmp(cname, s->entity) == 0)
            cols[i].required = why_entity.p;
        else if (why_time.p && s->timestamp && strcmp(cname, s->timestamp) == 0)
            cols[i].required = why_time.p;
    }
    o.cols = cols;
    o.ncols = s->ncols;
    rc = csv_read_file(path ? path : s->path, &o, out, &r, e);
    if (rep) {
        rep->rows = r.rows;
        rep->rejected = r.rejected;
        rep->bytes = r.bytes;
        rep->seconds = r.seconds;
    }
    buf_free(&why_entity);
    buf_free(&why_time);
    xfree(cols);
    return rc;
}

void feat_rejects_path(const project_t *p, size_t i, buf_t *out)
{
    const proj_source_t *s = &p->sources[i];
    if (s->rejects_path)
        buf_puts(out, s->rejects_path);
    else
        buf_printf(out, "%s/rejects-%s.csv", p->output_dir, s->name);
}

int feat_read_sources(const project_t *p, table_t **tables,
                      feat_read_report_t *reports, ferr_t *e)
{
    int rc = mkdir_p(p->output_dir, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < p->nsources; i++) {
        const proj_source_t *s = &p->sources[i];
        buf_t rejects = {0};
        feat_rejects_path(p, i, &rejects);
        rc = read_source(s, NULL, rejects.p, &tables[i],
                         reports ? &reports[i] : NULL, e);
        if (rc == FERR_BUDGET && e) { /* where to look: every reject */
            char msg[FERR_MSG_MAX];
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ferr_set(e, rc, "%s (all rejected rows are listed in %s)", msg,
                     rejects.p);
        }
        buf_free(&rejects);
        /* a header alone would build an empty table over the last one */
        if (rc == FERR_OK && i == 0 && tables[0]->nrows == 0)
            rc = ferr_set(e, FERR_PARSE, "%s:2: no data rows after the header "
                          "(sources.%s is the primary source)", s->path,
                          s->name);
        if (rc) {
            if (tables[i]) {
                table_free(tables[i]);
                tables[i] = NULL;
            }
            for (size_t j = 0; j < i; j++) {
                table_free(tables[j]);
                tables[j] = NULL;
            }
            return rc;
        }
    }
    return FERR_OK;
}

int feat_read_source_file(const project_t *p, size_t i, const char *path,
                          const char *rejects_path, table_t **out,
                          feat_read_report_t *report, ferr_t *e)
{
    return read_source(&p->sources[i], path, rejects_path, out, report, e);
}

/* ---- features ------------------------------------------------------------ */

/* Put c into t, replacing a column of the same name (position kept). */
void feat_put_column(table_t *t, column_t *c)
{
    int i = table_index(t, c->name);
    if (i >= 0) {
        col_free(t->cols[i]);
        t->cols[i] = c;
        return;
    }
    table_add(t, c, NULL); /* lengths always match here */
}

static int where_fail(const project_t *p, const proj_feature_t *f, size_t idx,
                      ferr_t *e)
{
    return ferr_prefix(e, "%s:%d: features[%zu] '%s': ", p->file, f->line, idx,
                       f->name);
}

/* ---- compiled expressions kept across runs (feat_exprs_t) ------------- */

struct feat_exprs {
    size_t n;                /* the project's feature count */
    _Atomic(expr_t *) *slot; /* by feature index; NULL: none yet */
};

feat_exprs_t *feat_exprs_new(const project_t *p)
{
    feat_exprs_t *c = xcalloc(1, sizeof(*c));
    c->n = p->nfeatures;
    c->slot = xcalloc(c->n ? c->n : 1, sizeof(*c->slot));
    for (size_t i = 0; i < c->n; i++)
        atomic_init(&c->slot[i], NULL);
    return c;
}

void feat_exprs_free(feat_exprs_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        expr_free(atomic_load(&c->slot[i]));
    xfree(c->slot);
    xfree(c);
}

/* Feature idx's expression for table t: the cached one if it fits t
 * (expr_fits), else compiled now and published if the slot is empty.
 * *owned is set when the caller must expr_free the result. */
static int get_expr(feat_exprs_t *c, size_t idx, const proj_feature_t *f,
                    const table_t *t, expr_t **out, bool *owned, ferr_t *e)
{
    expr_t *cached = c ? atomic_load_explicit(&c->slot[idx],
                                              memory_order_acquire) : NULL;
    if (cached && expr_fits(cached, t)) {
        *out = cached;
        *owned = false;
        return FERR_OK;
    }
    expr_t *x;
    /* an expression that may be published outlives this run: never from
     * the caller's per-request arena */
    mem_arena_t *held = c ? mem_arena_enter(NULL) : NULL;
    int rc = expr_compile(f->expr, t, &x, e);
    if (c)
        mem_arena_leave(held);
    if (rc)
        return rc;
    *out = x;
    /* no cache, or it holds another schema's: x stays the caller's; else
     * publish it, unless another run published first */
    expr_t *expected = NULL;
    *owned = c == NULL || cached != NULL ||
             !atomic_compare_exchange_strong_explicit(
                 &c->slot[idx], &expected, x, memory_order_acq_rel,
                 memory_order_acquire);
    return FERR_OK;
}

static int run_expr(table_t *t, const proj_feature_t *f, size_t idx,
                    feat_exprs_t *cache, ferr_t *e)
{
    expr_t *x;
    bool owned;
    column_t *c;
    int rc = get_expr(cache, idx, f, t, &x, &owned, e);
    if (rc)
        return rc;
    rc = expr_eval(x, t, f->name, &c, e);
    if (owned)
        expr_free(x);
    if (rc == FERR_OK)
        feat_put_column(t, c);
    return rc;
}

/* Plans keyed by (entity, time): the sort is the expensive part. */
typedef struct plan_cache {
    const char *entity[16], *time[16];
    win_plan_t *plan[16];
    size_t n;
} plan_cache_t;

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int feat_window_spec(const table_t *t, const proj_feature_t *f, win_spec_t *w,
                     ferr_t *e)
{
    const column_t *tc;
    int agg;

    memset(w, 0, sizeof(*w));
    agg = win_agg_parse(str_from(f->agg));
    if (agg < 0)
        return ferr_set(e, FERR_SPEC, "unknown window '%s' (count, sum, mean, "
                        "min, max, std, last, lag)", f->agg);
    w->agg = (win_agg_t)agg;
    w->lag = (int)f->lag;
    w->value = f->of;
    w->entity = f->by;
    w->time = f->order;
    w->include_current = f->include_current;
    tc = table_find(t, f->order);
    if (tc == NULL)
        return ferr_set(e, FERR_NOTFOUND, "no column '%s' to order by", f->order);
    w->time_type = tc->type;
    if (f->of) {
        const column_t *vc = table_find(t, f->of);
        if (vc)
            w->value_type = vc->type; /* for win_to_sql's casts */
    }
    if (strcmp(f->over, "all") == 0) {
        w->frame = WIN_FRAME_ALL;
    } else if (f->over[strspn(f->over, "0123456789")] == '\0') {
        w->frame = WIN_FRAME_ROWS;
        w->rows = strtoll(f->over, NULL, 10);
        if (w->rows < 1)
            return ferr_set(e, FERR_SPEC, "over: %s: need at least 1 event",
                            f->over);
    } else {
        int rc;
        w->frame = WIN_FRAME_DURATION;
        rc = win_parse_duration(f->over, tc->type, &w->duration, e);
        if (rc)
            return rc;
    }
    return win_check(t, w, e);
}

static int run_window(table_t *t, const proj_feature_t *f, plan_cache_t *pc,
                      ferr_t *e)
{
    win_spec_t w;
    column_t *c;
    win_plan_t *plan = NULL;
    bool cached;
    int rc = feat_window_spec(t, f, &w, e);

    if (rc)
        return rc;
    for (size_t i = 0; i < pc->n && plan == NULL; i++)
        if (same(pc->entity[i], w.entity) && same(pc->time[i], w.time))
            plan = pc->plan[i];
    cached = plan != NULL;
    if (plan == NULL) {
        rc = win_plan_new(t, w.entity, w.time, &plan, e);
        if (rc)
            return rc;
        if (pc->n < sizeof(pc->plan) / sizeof(pc->plan[0])) {
            pc->entity[pc->n] = w.entity;
            pc->time[pc->n] = w.time;
            pc->plan[pc->n++] = plan;
            cached = true;
        }
    }
    rc = win_plan_compute(plan, t, &w, f->name, &c, e);
    if (!cached)
        win_plan_free(plan);
    if (rc == FERR_OK)
        feat_put_column(t, c);
    return rc;
}

int feat_onehot_vocab(const proj_feature_t *f, const json_t *vocabularies,
                      onehot_t **out, ferr_t *e)
{
    const json_t *saved;
    char *text;
    int rc;
    if (f->vocabulary)
        return onehot_from_list(f->vocabulary, f->nvocabulary, out, e);
    saved = json_object_get(vocabularies, f->name);
    if (saved == NULL)
        return ferr_set(e, FERR_NOTFOUND, "no learned vocabulary for '%s' "
                        "(build the features first)", f->name);
    text = json_dumps(saved, JSON_COMPACT);
    rc = onehot_from_json(text ? text : "null", out, e);
    xfree(text);
    return rc;
}

static int run_onehot(table_t *t, const proj_feature_t *f, feat_mode_t mode,
                      feat_schema_t *schema, ferr_t *e)
{
    const column_t *c = table_find(t, f->column);
    onehot_t *v = NULL;
    column_t *src;
    int rc;

    if (c == NULL)
        return ferr_set(e, FERR_NOTFOUND, "onehot: no column '%s'", f->column);
    if (mode == FEAT_LEARN && f->vocabulary == NULL) {
        onehot_opts_t o = {.min_count = (size_t)(f->min_count > 0 ? f->min_count : 0),
                           .max_categories = (size_t)(f->max_categories > 0 ? f->max_categories : 0)};
        rc = onehot_learn(c, &o, &v, e);
    } else {
        rc = feat_onehot_vocab(f, schema->vocabularies, &v, e);
    }
    if (rc)
        return rc;
    if (mode == FEAT_LEARN) {
        char *text = NULL;
        json_error_t je;
        rc = onehot_to_json(v, &text, e);
        if (rc == FERR_OK)
            json_object_set_new(schema->vocabularies, f->name,
                                json_loads(text, 0, &je));
        xfree(text);
    }
    /* Output columns are "<name>=<value>": apply to a copy named f->name. */
    src = col_clone(c, f->name);
    if (rc == FERR_OK) {
        table_t tmp = {.nrows = t->nrows};
        rc = onehot_apply(v, src, f->strict, FT_INT, &tmp, e);
        for (size_t i = 0; i < tmp.ncols; i++) {
            if (rc == FERR_OK)
                feat_put_column(t, tmp.cols[i]);
            else
                col_free(tmp.cols[i]);
        }
        xfree(tmp.cols);
    }
    col_free(src);
    onehot_free(v);
    return rc;
}

int feat_run_join(const project_t *p, table_t *t, table_t *const *sources,
                  const proj_join_t *j, ferr_t *e)
{
    asof_spec_t s = ASOF_SPEC_INIT;
    const table_t *right = NULL;
    const column_t *tc = table_find(t, j->left_time);
    char prefix[256];
    int rc;

    for (size_t i = 1; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, j->source) == 0)
            right = sources[i];
    if (tc == NULL)
        return ferr_set(e, FERR_NOTFOUND, "no column '%s' in the primary "
                        "source", j->left_time);
    s.left_time = j->left_time;
    s.right_time = j->right_time;
    s.left_key = j->left_key;
    s.right_key = j->right_key;
    s.allow_exact = j->exact;
    snprintf(prefix, sizeof(prefix), "%s_", j->source);
    s.prefix = j->prefix ? j->prefix : prefix;
    s.columns = j->columns;
    s.ncolumns = j->ncolumns;
    s.time_type = tc->type;
    if (j->tolerance) {
        rc = win_parse_duration(j->tolerance, tc->type, &s.tolerance, e);
        if (rc)
            return rc;
    }
    return asof_join(t, right, &s, e);
}

/* Columns of the output: carry, kept features (one-hot: their expansions),
 * label; each once, in that order. */
static void add_name(const char ***names, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    *names = xrealloc(*names, (*n + 1) * sizeof(**names));
    (*names)[(*n)++] = name;
}

size_t feat_output_names(const project_t *p, const table_t *t,
                         const char ***names_out, const char ***roles_out)
{
    const char **names = NULL, **roles;
    size_t n = 0, nr;
    const proj_source_t *s = &p->sources[0];

    if (p->carry) {
        for (size_t i = 0; i < p->ncarry; i++)
            add_name(&names, &n, p->carry[i]);
    } else {
        if (s->entity)
            add_name(&names, &n, s->entity);
        if (s->timestamp)
            add_name(&names, &n, s->timestamp);
    }
    nr = n;
    roles = xcalloc(t->ncols + n + 2, sizeof(*roles));
    for (size_t i = 0; i < nr; i++)
        roles[i] = "carry";
    for (size_t i = 0; i < p->nfeatures; i++) {
        const proj_feature_t *f = &p->features[i];
        if (!f->keep)
            continue;
        if (f->kind == FEAT_ONEHOT) {
            size_t plen = strlen(f->name);
            for (size_t c = 0; c < t->ncols; c++)
                if (strncmp(t->cols[c]->name, f->name, plen) == 0 &&
                    t->cols[c]->name[plen] == '=') {
                    size_t before = n;
                    add_name(&names, &n, t->cols[c]->name);
                    if (n > before)
                        roles[n - 1] = "feature";
                }
        } else {
            size_t before = n;
            add_name(&names, &n, f->name);
            if (n > before)
                roles[n - 1] = "feature";
            else /* a carried column redefined by a feature */
                for (size_t k = 0; k < n; k++)
                    if (strcmp(names[k], f->name) == 0)
                        roles[k] = "feature";
        }
    }
    if (p->label) {
        add_name(&names, &n, p->label);
        for (size_t k = 0; k < n; k++)
            if (strcmp(names[k], p->label) == 0)
                roles[k] = "label";
    }
    *names_out = names;
    *roles_out = roles;
    return n;
}

static int select_output(const project_t *p, table_t *t, feat_mode_t mode,
                         feat_schema_t *schema, table_t **out, ferr_t *e)
{
    const char **names, **roles;
    size_t n = feat_output_names(p, t, &names, &roles);
    table_t *o;
    int rc = FERR_OK;

    o = table_new();
    if (schema->columns)
        json_array_clear(schema->columns);
    for (size_t i = 0; i < n && rc == FERR_OK; i++) {
        column_t *c = table_take(t, names[i]);
        json_t *col;
        if (c == NULL && mode == FEAT_APPLY && strcmp(roles[i], "feature") != 0)
            continue; /* scoring raw records: no label, maybe no carry */
        if (c == NULL) {
            rc = ferr_set(e, FERR_NOTFOUND, "%s: no column '%s' to output (%s)",
                          p->file, names[i], strcmp(roles[i], "label") == 0 ?
                          "label" : strcmp(roles[i], "carry") == 0 ?
                          "output.carry" : "feature");
            break;
        }
        if (schema->columns) {
            col = json_pack("{s:s, s:s, s:s}", "name", c->name, "type",
                            ftype_name(c->type), "role", roles[i]);
            json_array_append_new(schema->columns, col);
        }
        table_add(o, c, NULL);
    }
    xfree(names);
    xfree(roles);
    if (rc) {
        table_free(o);
        return rc;
    }
    *out = o;
    return FERR_OK;
}


/* ---- the history of window inputs (feat_history_t) -------------------- */

typedef struct hist_cap {
    feat_history_t *h;
    bool any, off;
    const char *by, *order, *first;
    const column_t *bysrc;
    column_t *bycol;            /* clone of the partition column */
    const char *names[32];
    const column_t *src[32];    /* the working column captured */
    column_t *cols[32];         /* its clone */
    size_t n;
} hist_cap_t;

static void hist_off(hist_cap_t *hc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void hist_off(hist_cap_t *hc, const char *fmt, ...)
{
    va_list ap;
    if (hc->off)
        return;
    hc->off = true;
    va_start(ap, fmt);
    vsnprintf(hc->h->why, sizeof(hc->h->why), fmt, ap);
    va_end(ap);
}

/* Before window f runs on t: keep what it reads. */
static void hist_capture(hist_cap_t *hc, const table_t *t,
                         const proj_feature_t *f)
{
    const char *want[2] = {f->order, f->of};
    if (hc == NULL || hc->off)
        return;
    if (!hc->any) {
        hc->any = true;
        hc->first = f->name;
        hc->by = f->by;
        hc->order = f->order;
        if (f->by) {
            hc->bysrc = table_find(t, f->by);
            if (hc->bysrc == NULL || (hc->bysrc->type != FT_INT &&
                                      hc->bysrc->type != FT_STRING &&
                                      hc->bysrc->type != FT_CATEGORY)) {
                hist_off(hc, "window '%s': the partition column '%s' is not "
                         "an int, string or category key", f->name, f->by);
                return;
            }
            hc->bycol = col_clone(hc->bysrc, NULL);
        }
    } else if (!same(hc->by, f->by) || strcmp(hc->order, f->order) != 0) {
        hist_off(hc, "windows '%s' and '%s' partition or order events "
                 "differently: no history is kept for records scored alone",
                 hc->first, f->name);
        return;
    }
    if (f->by && table_find(t, f->by) != hc->bysrc) {
        hist_off(hc, "window '%s': column '%s' was redefined before it",
                 f->name, f->by);
        return;
    }
    for (int k = 0; k < 2; k++) {
        const column_t *c;
        size_t i;
        if (want[k] == NULL)
            continue;
        c = table_find(t, want[k]);
        for (i = 0; i < hc->n; i++)
            if (strcmp(hc->names[i], want[k]) == 0)
                break;
        if (i < hc->n) {
            if (hc->src[i] != c)
                hist_off(hc, "window '%s': column '%s' was redefined between "
                         "two windows reading it", f->name, want[k]);
            continue;
        }
        if (c == NULL || hc->n == 32 ||
            (c->type == FT_STRING || c->type == FT_CATEGORY)) {
            hist_off(hc, "window '%s': column '%s' cannot be kept as history "
                     "(text values, or more than 32 window columns)",
                     f->name, want[k]);
            return;
        }
        hc->names[hc->n] = want[k];
        hc->src[hc->n] = c;
        hc->cols[hc->n++] = col_clone(c, NULL);
    }
}

static int hist_time_cmp(const void *pa, const void *pb, void *arg)
{
    const column_t *tc = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (tc->i64[a] != tc->i64[b])
        return tc->i64[a] < tc->i64[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* After the run: the events table in (time, row) order.  The store groups
 * them by key with a stable counting sort, which keeps that order inside
 * each key; an event log already in time order is not sorted at all (a
 * full sort by key was 7% of a 777k-loan build). */
static void hist_finish(hist_cap_t *hc, size_t nrows)
{
    feat_history_t *h = hc->h;
    const column_t *tc = NULL;
    uint32_t *rows;
    int64_t *r64;
    size_t n = 0;
    column_t *key;
    buf_t kb = {0};

    for (size_t i = 0; i < hc->n; i++)
        if (strcmp(hc->names[i], hc->order) == 0)
            tc = hc->cols[i];
    if (!hc->any || hc->off || tc == NULL || nrows > UINT32_MAX) {
        if (hc->any && !hc->off)
            snprintf(h->why, sizeof(h->why), "no history kept (%zu rows)",
                     nrows);
        goto out;
    }
    h->by = hc->by;
    rows = xcalloc(nrows + 1, sizeof(*rows));
    for (size_t i = 0; i < nrows; i++)
        if (!col_is_null(tc, i) && (hc->bycol == NULL || !col_is_null(hc->bycol, i)))
            rows[n++] = (uint32_t)i;
    {
        bool sorted = true;
        for (size_t i = 1; i < n && sorted; i++)
            sorted = tc->i64[rows[i - 1]] <= tc->i64[rows[i]];
        if (!sorted)
            qsort_r(rows, n, sizeof(*rows), hist_time_cmp, (void *)tc);
    }
    r64 = xcalloc(n + 1, sizeof(*r64));
    key = col_new("key", FT_STRING, n);
    for (size_t i = 0; i < n; i++) {
        r64[i] = rows[i];
        rec_key_text(hc->bycol, rows[i], &kb);
        col_str_append(key, i, kb.p ? kb.p : "", kb.n);
    }
    h->events = table_new();
    table_add(h->events, key, NULL);
    h->events->nrows = n;
    for (size_t i = 0; i < hc->n; i++)
        table_add(h->events, win_gather(hc->cols[i], r64, n, hc->names[i]),
                  NULL);
    free(rows);
    free(r64);
    buf_free(&kb);
out:
    for (size_t i = 0; i < hc->n; i++)
        col_free(hc->cols[i]);
    col_free(hc->bycol);
}

void feat_history_free(feat_history_t *h)
{
    table_free(h->events);
    h->events = NULL;
}

static int run_all(const project_t *p, feat_exprs_t *cache,
                   table_t *const *sources, feat_mode_t mode, bool take,
                   feat_schema_t *schema, feat_history_t *hist,
                   table_t **out, ferr_t *e)
{
    hist_cap_t hcap = {.h = hist}, *hc = hist ? &hcap : NULL;
    table_t *t = table_new();
    plan_cache_t pc = {.n = 0};
    progress_t prog;
    int rc = FERR_OK;

    *out = NULL;
    if (mode == FEAT_LEARN) {
        feat_schema_free(schema);
        schema->vocabularies = json_object();
        schema->columns = json_array();
        /* the input profile: which source columns training saw empty, so
         * a record scored alone may be refused an empty value (record.h) */
        schema->inputs = json_object();
        for (size_t i = 0; i < sources[0]->ncols; i++) {
            const column_t *c = sources[0]->cols[i];
            json_object_set_new(schema->inputs, c->name, json_pack(
                "{s:I, s:I}", "rows", (json_int_t)sources[0]->nrows, "nulls",
                (json_int_t)col_null_count(c)));
        }
    }
    if (take) {
        /* The caller gave the primary table up: move its columns (a copy
         * of every source column cost a third of a build in fresh pages). */
        t->cols = sources[0]->cols;
        t->ncols = sources[0]->ncols;
        sources[0]->cols = NULL;
        sources[0]->ncols = 0;
    } else {
        /* Work on copies: the caller keeps its source tables. */
        for (size_t i = 0; i < sources[0]->ncols; i++)
            table_add(t, col_clone(sources[0]->cols[i], NULL), NULL);
    }
    t->nrows = sources[0]->nrows;
    for (size_t i = 0; i < p->njoins && rc == FERR_OK; i++) {
        rc = feat_run_join(p, t, sources, &p->joins[i], e);
        if (rc)
            ferr_prefix(e, "%s:%d: joins[%zu]: ", p->file, p->joins[i].line, i);
    }
    progress_start(&prog, "features", "features", p->nfeatures);
    for (size_t i = 0; i < p->nfeatures && rc == FERR_OK; i++) {
        const proj_feature_t *f = &p->features[i];
        switch (f->kind) {
        case FEAT_EXPR:
            rc = run_expr(t, f, i, cache, e);
            break;
        case FEAT_WINDOW:
            hist_capture(hc, t, f);
            rc = run_window(t, f, &pc, e);
            break;
        case FEAT_ONEHOT:
            rc = run_onehot(t, f, mode, schema, e);
            break;
        }
        if (rc)
            where_fail(p, f, i, e);
        /* A redefined column invalidates plans sorted on it. */
        for (size_t k = 0; k < pc.n; k++)
            if (same(pc.entity[k], f->name) || same(pc.time[k], f->name)) {
                win_plan_free(pc.plan[k]);
                pc.plan[k] = pc.plan[--pc.n];
                pc.entity[k] = pc.entity[pc.n];
                pc.time[k] = pc.time[pc.n];
                k--;
            }
        progress_update(&prog, i + 1);
    }
    progress_finish(&prog);
    for (size_t k = 0; k < pc.n; k++)
        win_plan_free(pc.plan[k]);
    if (hc) {
        if (rc == FERR_OK)
            hist_finish(hc, t->nrows);
        else
        {
            hc->off = true;
            hist_finish(hc, t->nrows);
        }
    }
    if (rc == FERR_OK)
        rc = select_output(p, t, mode, schema, out, e);
    table_free(t);
    return rc;
}

int feat_run(const project_t *p, table_t *const *sources, feat_mode_t mode,
             feat_schema_t *schema, table_t **out, ferr_t *e)
{
    return run_all(p, NULL, sources, mode, false, schema, NULL, out, e);
}

int feat_run_cached(const project_t *p, feat_exprs_t *cache,
                    table_t *const *sources, feat_mode_t mode,
                    feat_schema_t *schema, table_t **out, ferr_t *e)
{
    return run_all(p, cache, sources, mode, false, schema, NULL, out, e);
}

int feat_run_take(const project_t *p, table_t *const *sources,
                  feat_mode_t mode, feat_schema_t *schema, table_t **out,
                  ferr_t *e)
{
    return run_all(p, NULL, sources, mode, true, schema, NULL, out, e);
}

int feat_run_take_history(const project_t *p, table_t *const *sources,
                          feat_mode_t mode, feat_schema_t *schema,
                          feat_history_t *hist, table_t **out, ferr_t *e)
{
    memset(hist, 0, sizeof(*hist));
    return run_all(p, NULL, sources, mode, true, schema, hist, out, e);
}

int feat_check(const project_t *p, feat_schema_t *schema, ferr_t *e)
{
    table_t **srcs = xcalloc(p->nsources, sizeof(*srcs)), *out = NULL;
    int rc;

    for (size_t i = 0; i < p->nsources; i++) {
        const proj_source_t *s = &p->sources[i];
        srcs[i] = table_new();
        for (size_t c = 0; c < s->ncols; c++)
            table_add(srcs[i], col_new(s->cols[c].rename ? s->cols[c].rename :
                                       s->cols[c].name, s->cols[c].type, 0),
                      NULL);
    }
    rc = run_all(p, NULL, srcs, FEAT_LEARN, false, schema, NULL, &out, e);
    table_free(out);
    for (size_t i = 0; i < p->nsources; i++)
        table_free(srcs[i]);
    xfree(srcs);
    return rc;
}

void feat_schema_free(feat_schema_t *s)
{
    json_decref(s->vocabularies);
    json_decref(s->columns);
    json_decref(s->inputs);
    s->vocabularies = s->columns = s->inputs = NULL;
}

int feat_schema_save(const feat_schema_t *s, const char *path, ferr_t *e)
{
    json_t *j = json_pack("{s:i, s:O, s:O}", "version", 1, "columns", s->columns,
                          "vocabularies", s->vocabularies);
    if (s->inputs)
        json_object_set(j, "inputs", s->inputs);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    int rc = afile_write_all(path, text, strlen(text), e);
    xfree(text);
    json_decref(j);
    return rc;
}

int feat_schema_load(const char *path, feat_schema_t *s, ferr_t *e)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je), *cols, *voc;
    memset(s, 0, sizeof(*s));
    if (j == NULL)
        return ferr_set(e, FERR_CORRUPT, "%s:%d: %s", path, je.line, je.text);
    cols = json_object_get(j, "columns");
    voc = json_object_get(j, "vocabularies");
    if (!json_is_array(cols) || !json_is_object(voc)) {
        json_decref(j);
        return ferr_set(e, FERR_CORRUPT, "%s: $.columns must be an array and "
                        "$.vocabularies an object", path);
    }
    s->columns = json_incref(cols);
    s->vocabularies = json_incref(voc);
    if (json_is_object(json_object_get(j, "inputs")))
        s->inputs = json_incref(json_object_get(j, "inputs"));
    json_decref(j);
    return FERR_OK;
}

size_t feat_schema_features(const feat_schema_t *s, const char **names,
                            size_t max)
{
    size_t n = 0, i;
    json_t *c;
    json_array_foreach(s->columns, i, c) {
        const char *role = json_string_value(json_object_get(c, "role"));
        if (role && strcmp(role, "feature") == 0) {
            if (n < max)
                names[n] = json_string_value(json_object_get(c, "name"));
            n++;
        }
    }
    return n;
}
