/*
 * record.c - the compiled scoring plan of one raw record (see record.h).
 *
 * Compiling walks the spec in file order over a zero-row working table, as
 * `features build` would run it, so every expression is compiled against
 * exactly the column types it will see.  Each step (join, expression,
 * window, one-hot) records which producer made each column it reads: a
 * source column (a field of the record) or an earlier step.  The model's
 * features are then resolved to their producers and everything they do
 * not reach is dropped: what is left is the plan, and the source columns
 * it reaches are the record's required fields.
 *
 * Scoring runs the kept steps over a one-row working table with the same
 * code as the batch path (expr_eval, asof_join, win_compute), which is
 * what makes the two agree bit for bit; only the one-hot step is done
 * here, as one hash lookup writing the model row directly instead of one
 * column per vocabulary value.
 */
#include "features/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "data/csv.h"
#include "data/parse.h"
#include "features/expr.h"
#include "features/onehot.h"
#include "features/pipeline_int.h"
#include "features/window.h"
#include "store/fmt.h"
#include "store/online.h"

/* ---- the plan ----------------------------------------------------------- */

typedef enum { ST_JOIN, ST_EXPR, ST_WINDOW, ST_ONEHOT } step_kind_t;

/* A producer of a working column: a field (source column) or a step;
 * one-hot outputs also carry their vocabulary position. */
typedef struct prod {
    const char *name;  /* working column name (borrowed or owned by plan) */
    int field;         /* >= 0: source column index, else -1 */
    int step;          /* >= 0: step index, else -1 */
    int32_t pos;       /* one-hot output position, else -1 */
} prod_t;

typedef struct step {
    step_kind_t kind;
    const proj_feature_t *f;    /* NULL for joins */
    const proj_join_t *j;       /* ST_JOIN */
    size_t idx;                 /* feature or join index in the spec */
    bool needed;
    int *deps;                  /* producers read (indexes into prods) */
    size_t ndeps;
    expr_t *x;                  /* ST_EXPR */
    win_spec_t w;               /* ST_WINDOW (entity cleared: one series) */
    int hist_time, hist_value;  /* ST_WINDOW: history column indexes */
    onehot_t *oh;               /* ST_ONEHOT */
    char **oh_names;            /* "<name>=<value>", oh->n of them */
    bool materialize;           /* a kept step reads its output columns */
    rec_unknown_t unknown;
    int field;                  /* ST_ONEHOT: the field it encodes, or -1 */
} step_t;

/* A model input: a working column, or a one-hot step's position. */
typedef struct input {
    const char *col;
    int step;
    int32_t pos;
} input_t;

struct rec_plan {
    const project_t *p;
    /* every primary source column; the first nfields (after compaction)
     * are the required ones */
    rec_field_t *fields;
    size_t nfields;
    csv_colopt_t *colopt;  /* per field */
    const char **wname;    /* per field: its working column name */
    char ***values;        /* per field: allowed values (owned), or NULL */
    const onehot_t **fvocab; /* per field: the one-hot it feeds, or NULL */
    csv_opts_t csvo;
    step_t *steps;
    size_t nsteps;
    input_t *in;
    size_t nin;
    table_t **sources;     /* copies of the join sources (by source index) */
    /* history */
    bool needs_history;
    const char *by, *order;
    const char **hist;     /* history column names */
    ftype_t *hist_type;
    size_t nhist;
    char why[FERR_MSG_MAX];/* non-empty: records cannot be scored, why */
};

struct rec_ctx {
    const rec_plan_t *pl;
    char *online_path;
    online_t *store;
    table_t *t;            /* the working row of the last record */
    const table_t *events; /* the history of that record's entity (the
                              cache's, or an arena table with the events
                              this context appended) */
    struct {
        dict_t *keys;      /* entity key -> index */
        table_t **events;  /* heap tables */
        size_t n, cap, nevents;
    } hc;                  /* histories read (cached_history) */
    double next_check;     /* when to look for a new store */
    bool store_failed;     /* the last open failed, with store_err */
    ferr_t store_err;
    int32_t *ohpos;        /* per step: the one-hot position, -1 none */
    int bad_field;         /* the field the last rejection is about, or -1 */
    int *slot;             /* find_at slots: per model input, then 4 per step */
    bool lenient;          /* rec_ctx_set_lenient */
    mem_arena_t *arena;    /* the current record's memory (rec_eval) */
    /* events appended by rec_ctx_append: one column per history column,
     * grown geometrically; keys interned, each key's rows chained */
    struct {
        column_t **cols;   /* nhist columns of cap rows (n used) */
        dict_t *keys;
        int32_t *key;      /* row -> key code */
        int64_t *prev;     /* row -> the key's previous row, or -1 */
        int64_t *last;     /* key code -> its last row, or -1 */
        size_t n, cap, nkeys;
        table_t *table;    /* rec_ctx_appended's view, built on demand */
    } ov;
    buf_t key, tmp;
};

static int find_prod(const prod_t *pr, size_t n, const char *name)
{
    for (size_t i = n; i-- > 0;)
        if (strcmp(pr[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void add_dep(step_t *s, int d)
{
    if (d < 0)
        return;
    s->deps = xrealloc(s->deps, (s->ndeps + 1) * sizeof(*s->deps));
    s->deps[s->ndeps++] = d;
}

static const char *unknown_names[] = {"reject", "missing", "ignore"};

bool rec_key_text(const column_t *c, size_t row, buf_t *out)
{
    buf_reset(out);
    buf_append(out, "", 0);
    if (c == NULL)
        return true;
    if (col_is_null(c, row))
        return false;
    switch (c->type) {
    case FT_INT: {
        char d[STORE_FMT_MAX];
        buf_append(out, d, store_fmt_i64(c->i64[row], d));
        return true;
    }
    case FT_STRING:
    case FT_CATEGORY: {
        str_t s = col_str(c, row);
        buf_append(out, s.p, s.n);
        return true;
    }
    default:
        return false;
    }
}

/* Run one step on the zero-row schema table t (types for what follows). */
static int plan_step_schema(rec_plan_t *pl, step_t *s, table_t *t,
                            const json_t *state, ferr_t *e)
{
    column_t *c = NULL;
    int rc = FERR_OK;

    switch (s->kind) {
    case ST_JOIN:
        return feat_run_join(pl->p, t, pl->sources, s->j, e);
    case ST_EXPR:
        rc = expr_compile(s->f->expr, t, &s->x, e);
        if (rc == FERR_OK)
            rc = expr_eval(s->x, t, s->f->name, &c, e);
        break;
    case ST_WINDOW:
        rc = feat_window_spec(t, s->f, &s->w, e);
        if (rc == FERR_OK)
            rc = win_compute(t, &s->w, s->f->name, &c, e);
        break;
    case ST_ONEHOT: {
        const column_t *src = table_find(t, s->f->column);
        table_t tmp = {.nrows = 0};
        if (src == NULL)
            return ferr_set(e, FERR_NOTFOUND, "onehot: no column '%s'",
                            s->f->column);
        rc = feat_onehot_vocab(s->f, state, &s->oh, e);
        if (rc == FERR_OK) {
            column_t *renamed = col_clone(src, s->f->name);
            rc = onehot_apply(s->oh, renamed, false, FT_INT, &tmp, e);
            col_free(renamed);
        }
        for (size_t i = 0; i < tmp.ncols; i++)
            feat_put_column(t, tmp.cols[i]);
        xfree(tmp.cols);
        if (rc == FERR_OK) {
            s->oh_names = xcalloc(s->oh->n ? s->oh->n : 1, sizeof(char *));
            for (size_t i = 0; i < s->oh->n; i++) {
                str_t v = onehot_value(s->oh, i);
                buf_t b = {0};
                buf_printf(&b, "%s=%.*s", s->f->name, (int)v.n, v.p);
                s->oh_names[i] = buf_steal(&b);
            }
        }
        return rc;
    }
    }
    if (rc == FERR_OK)
        feat_put_column(t, c);
    return rc;
}

/* The names a step reads. */
static size_t step_inputs(const step_t *s, const char **names, size_t max)
{
    size_t n = 0;
#define PUT(x) do { if ((x) && n < max) names[n++] = (x); } while (0)
    switch (s->kind) {
    case ST_JOIN:
        PUT(s->j->left_time);
        PUT(s->j->left_key);
        break;
    case ST_EXPR:
        for (size_t i = 0; i < expr_ninputs(s->x); i++)
            PUT(expr_input(s->x, i));
        break;
    case ST_WINDOW:
        PUT(s->f->order);
        PUT(s->f->of);
        PUT(s->f->by);
        break;
    case ST_ONEHOT:
        PUT(s->f->column);
        break;
    }
#undef PUT
    return n;
}

static void plan_mark(rec_plan_t *pl, prod_t *pr, int k, bool *field_needed)
{
    if (k < 0)
        return;
    if (pr[k].field >= 0) {
        field_needed[pr[k].field] = true;
        return;
    }
    step_t *s = &pl->steps[pr[k].step];
    if (s->needed)
        return;
    s->needed = true;
    for (size_t i = 0; i < s->ndeps; i++)
        plan_mark(pl, pr, s->deps[i], field_needed);
}

static rec_unknown_t unknown_of(const proj_feature_t *f)
{
    const char *u = f->unknown;
    for (size_t i = 0; u && i < 3; i++)
        if (strcmp(u, unknown_names[i]) == 0)
            return (rec_unknown_t)i;
    return REC_UNKNOWN_REJECT;
}

int rec_plan_new(const project_t *p, const json_t *state,
                 const json_t *inputs, const char *const *features,
                 size_t nfeatures, table_t *const *sources, rec_plan_t **out,
                 ferr_t *e)
{
    const proj_source_t *src = &p->sources[0];
    rec_plan_t *pl = xcalloc(1, sizeof(*pl));
    table_t *t = table_new();
    prod_t *pr = NULL;
    size_t npr = 0, cap = 0;
    bool *fneed = NULL;
    int rc = FERR_OK;

    *out = NULL;
    pl->p = p;
    csv_opts_init(&pl->csvo);
    pl->csvo.nulls = src->nnulls ? src->nulls : NULL;
    pl->csvo.nnulls = src->nnulls;
    pl->csvo.trim = src->trim;
    pl->csvo.quiet = true;

    /* every source column is a candidate field */
    pl->nfields = src->ncols;
    pl->fields = xcalloc(src->ncols + 1, sizeof(*pl->fields));
    pl->colopt = xcalloc(src->ncols + 1, sizeof(*pl->colopt));
    pl->wname = xcalloc(src->ncols + 1, sizeof(*pl->wname));
    pl->values = xcalloc(src->ncols + 1, sizeof(*pl->values));
    pl->fvocab = xcalloc(src->ncols + 1, sizeof(*pl->fvocab));
    fneed = xcalloc(src->ncols + 1, sizeof(*fneed));
    for (size_t i = 0; i < src->ncols; i++) {
        const proj_column_t *c = &src->cols[i];
        const char *wn = c->rename ? c->rename : c->name;
        const json_t *in = json_object_get(inputs, wn);
        const json_t *nulls = json_object_get(in, "nulls");
        rec_field_t *f = &pl->fields[i];
        f->name = c->name;
        f->type = c->type;
        f->format = c->format;
        f->nullable = inputs == NULL || !json_is_integer(nulls) ||
                      json_integer_value(nulls) > 0;
        f->role = src->entity && strcmp(wn, src->entity) == 0 ? "entity" :
                  src->timestamp && strcmp(wn, src->timestamp) == 0 ?
                  "time" : "value";
        /* as the source reader: an empty key or time rejects the row */
        if (strcmp(f->role, "value") != 0 && !src->keep_null_keys)
            f->nullable = false;
        csv_colopt_init(&pl->colopt[i], c->name, c->type);
        pl->colopt[i].format = c->format;
        pl->colopt[i].decimal = c->decimal;
        pl->colopt[i].thousands = c->thousands;
        pl->wname[i] = c->rename ? c->rename : c->name;
        table_add(t, col_new(pl->wname[i], c->type, 0), NULL);
        cap = npr + 1;
        pr = xrealloc(pr, cap * sizeof(*pr));
        pr[npr++] = (prod_t){pl->wname[i], (int)i, -1, -1};
    }

    /* join sources: copies, the plan outlives the caller's tables */
    if (p->njoins) {
        pl->sources = xcalloc(p->nsources, sizeof(*pl->sources));
        for (size_t i = 1; i < p->nsources; i++) {
            if (sources == NULL || sources[i] == NULL) {
                rc = ferr_set(e, FERR_USAGE, "source '%s' is needed for "
                              "joins", p->sources[i].name);
                goto done;
            }
            pl->sources[i] = table_new();
            for (size_t c = 0; c < sources[i]->ncols; c++)
                table_add(pl->sources[i], col_clone(sources[i]->cols[c], NULL),
                          NULL);
            pl->sources[i]->nrows = sources[i]->nrows;
        }
    }

    /* steps in pipeline order: joins, then features */
    pl->nsteps = p->njoins + p->nfeatures;
    pl->steps = xcalloc(pl->nsteps + 1, sizeof(*pl->steps));
    for (size_t k = 0; k < pl->nsteps && rc == FERR_OK; k++) {
        step_t *s = &pl->steps[k];
        const char *names[8];
        size_t before = t->ncols, n;
        s->field = -1;
        s->hist_time = s->hist_value = -1;
        if (k < p->njoins) {
            s->kind = ST_JOIN;
            s->j = &p->joins[k];
            s->idx = k;
        } else {
            s->idx = k - p->njoins;
            s->f = &p->features[s->idx];
            s->kind = s->f->kind == FEAT_EXPR ? ST_EXPR :
                      s->f->kind == FEAT_WINDOW ? ST_WINDOW : ST_ONEHOT;
            s->unknown = unknown_of(s->f);
        }
        /* inputs: resolve before the step's own outputs shadow them */
        if (s->kind != ST_EXPR) {
            n = step_inputs(s, names, 8);
            for (size_t i = 0; i < n; i++)
                add_dep(s, find_prod(pr, npr, names[i]));
        }
        rc = plan_step_schema(pl, s, t, state, e);
        if (rc) {
            if (s->f)
                ferr_prefix(e, "%s:%d: features[%zu] '%s': ", p->file,
                            s->f->line, s->idx, s->f->name);
            else
                ferr_prefix(e, "%s:%d: joins[%zu]: ", p->file, s->j->line,
                            s->idx);
            break;
        }
        if (s->kind == ST_EXPR) {
            for (size_t i = 0; i < expr_ninputs(s->x); i++)
                add_dep(s, find_prod(pr, npr, expr_input(s->x, i)));
        }
        if (s->kind == ST_ONEHOT) {
            int d = find_prod(pr, npr, s->f->column);
            if (d >= 0 && pr[d].field >= 0)
                s->field = pr[d].field;
            for (size_t i = 0; i < s->oh->n; i++) {
                pr = xrealloc(pr, (npr + 1) * sizeof(*pr));
                pr[npr++] = (prod_t){s->oh_names[i], -1, (int)k, (int32_t)i};
            }
        } else if (s->kind == ST_JOIN) {
            for (size_t i = before; i < t->ncols; i++) {
                pr = xrealloc(pr, (npr + 1) * sizeof(*pr));
                pr[npr++] = (prod_t){t->cols[i]->name, -1, (int)k, -1};
            }
        } else {
            pr = xrealloc(pr, (npr + 1) * sizeof(*pr));
            pr[npr++] = (prod_t){s->f->name, -1, (int)k, -1};
        }
    }
    if (rc)
        goto done;

    /* model inputs, and everything they reach */
    pl->nin = nfeatures;
    pl->in = xcalloc(nfeatures + 1, sizeof(*pl->in));
    for (size_t j = 0; j < nfeatures; j++) {
        int k = find_prod(pr, npr, features[j]);
        if (k < 0) {
            rc = ferr_set(e, FERR_NOTFOUND, "%s: the model reads feature '%s', "
                          "which the spec does not make", p->file, features[j]);
            goto done;
        }
        plan_mark(pl, pr, k, fneed);
        if (pr[k].pos >= 0) {
            pl->in[j] = (input_t){NULL, pr[k].step, pr[k].pos};
        } else {
            pl->in[j] = (input_t){pr[k].name, -1, -1};
        }
        if (pr[k].step >= 0 && pl->steps[pr[k].step].kind == ST_ONEHOT &&
            pr[k].pos < 0)
            pl->steps[pr[k].step].materialize = true;
    }
    /* a kept step that reads a one-hot output by name needs it as columns */
    for (size_t k = 0; k < pl->nsteps; k++)
        for (size_t d = 0; pl->steps[k].needed && d < pl->steps[k].ndeps; d++) {
            const prod_t *q = &pr[pl->steps[k].deps[d]];
            if (q->step >= 0 && q->pos >= 0)
                pl->steps[q->step].materialize = true;
        }

    /* windows: one partition and one order, so one history serves them */
    for (size_t k = 0; k < pl->nsteps; k++) {
        step_t *s = &pl->steps[k];
        if (!s->needed || s->kind != ST_WINDOW)
            continue;
        if (!pl->needs_history) {
            pl->needs_history = true;
            pl->by = s->f->by;
            pl->order = s->f->order;
        } else if (!((pl->by == NULL && s->f->by == NULL) ||
                     (pl->by && s->f->by && strcmp(pl->by, s->f->by) == 0)) ||
                   strcmp(pl->order, s->f->order) != 0) {
            snprintf(pl->why, sizeof(pl->why), "window features '%s' and "
                     "'%s' partition or order events differently: one "
                     "record's history cannot serve both", s->f->name,
                     pl->steps[k].f->name);
        }
        s->w.entity = NULL; /* the history is one entity's events */
        s->hist_time = -1;
        const char *cols[2] = {s->f->order, s->f->of};
        for (int c = 0; c < 2; c++) {
            size_t h;
            if (cols[c] == NULL)
                continue;
            for (h = 0; h < pl->nhist; h++)
                if (strcmp(pl->hist[h], cols[c]) == 0)
                    break;
            if (h == pl->nhist) {
                pl->hist = xrealloc(pl->hist, (h + 1) * sizeof(*pl->hist));
                pl->hist_type = xrealloc(pl->hist_type,
                                         (h + 1) * sizeof(*pl->hist_type));
                pl->hist[h] = cols[c];
                pl->hist_type[h] = c == 0 ? s->w.time_type : s->w.value_type;
                pl->nhist++;
            }
            if (c == 0)
                s->hist_time = (int)h;
            else
                s->hist_value = (int)h;
        }
    }

    /* fields: keep the needed ones, in source order */
    {
        size_t n = 0;
        for (size_t i = 0; i < src->ncols; i++) {
            if (!fneed[i])
                continue;
            pl->fields[n] = pl->fields[i];
            pl->colopt[n] = pl->colopt[i];
            pl->wname[n] = pl->wname[i];
            for (size_t k = 0; k < pl->nsteps; k++)
                if (pl->steps[k].field == (int)i)
                    pl->steps[k].field = (int)n;
            n++;
        }
        for (size_t k = 0; k < pl->nsteps; k++) {
            step_t *s = &pl->steps[k];
            if (s->kind != ST_ONEHOT || !s->needed || s->field < 0)
                continue;
            /* its field's allowed values: the training vocabulary */
            rec_field_t *f = &pl->fields[s->field];
            if (f->values)
                continue;
            pl->values[s->field] = xcalloc(s->oh->n + 1, sizeof(char *));
            for (size_t v = 0; v < s->oh->n; v++) {
                str_t x = onehot_value(s->oh, v);
                pl->values[s->field][v] = xstrndup(x.p, x.n);
            }
            f->values = (const char *const *)pl->values[s->field];
            pl->fvocab[s->field] = s->oh;
            f->nvalues = s->oh->n;
            f->unknown = s->unknown;
        }
        pl->nfields = n;
    }

done:
    xfree(pr);
    xfree(fneed);
    table_free(t);
    if (rc) {
        rec_plan_free(pl);
        return rc;
    }
    *out = pl;
    return FERR_OK;
}

void rec_plan_free(rec_plan_t *pl)
{
    if (pl == NULL)
        return;
    for (size_t k = 0; k < pl->nsteps; k++) {
        step_t *s = &pl->steps[k];
        xfree(s->deps);
        expr_free(s->x);
        if (s->oh) {
            for (size_t i = 0; i < s->oh->n; i++)
                xfree(s->oh_names[i]);
            xfree(s->oh_names);
            onehot_free(s->oh);
        }
    }
    for (size_t i = 0; i < pl->p->sources[0].ncols; i++) {
        for (size_t v = 0; pl->values[i] && pl->values[i][v]; v++)
            xfree(pl->values[i][v]);
        xfree(pl->values[i]);
    }
    if (pl->sources)
        for (size_t i = 0; i < pl->p->nsources; i++)
            table_free(pl->sources[i]);
    xfree(pl->sources);
    xfree(pl->values);
    xfree(pl->fvocab);
    xfree(pl->steps);
    xfree(pl->fields);
    xfree(pl->colopt);
    xfree(pl->wname);
    xfree(pl->in);
    xfree(pl->hist);
    xfree(pl->hist_type);
    xfree(pl);
}

size_t rec_plan_nfields(const rec_plan_t *pl) { return pl->nfields; }
const rec_field_t *rec_plan_field(const rec_plan_t *pl, size_t i)
{
    return &pl->fields[i];
}
int rec_plan_field_index(const rec_plan_t *pl, const char *name)
{
    for (size_t i = 0; i < pl->nfields; i++)
        if (strcmp(pl->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}
size_t rec_plan_nfeatures(const rec_plan_t *pl) { return pl->nin; }
bool rec_plan_needs_history(const rec_plan_t *pl) { return pl->needs_history; }
const char *rec_plan_history_by(const rec_plan_t *pl) { return pl->by; }
size_t rec_plan_history_columns(const rec_plan_t *pl, const char ***names)
{
    *names = pl->hist;
    return pl->nhist;
}

/* ---- scoring one record ------------------------------------------------- */

/* First arena chunk of a context: a flights record takes about 20 KiB of
 * blocks; the arena grows past it when needed and keeps what it grew. */
#define REC_ARENA_CHUNK (64u << 10)

static void cache_clear(rec_ctx_t *cx);

int rec_ctx_new(const rec_plan_t *pl, const char *online_path,
                rec_ctx_t **out, ferr_t *e)
{
    rec_ctx_t *cx = xcalloc(1, sizeof(*cx));
    (void)e;
    cx->pl = pl;
    cx->online_path = online_path ? xstrdup(online_path) : NULL;
    cx->ohpos = xcalloc(pl->nsteps + 1, sizeof(*cx->ohpos));
    cx->slot = xmalloc((pl->nin + 4 * pl->nsteps + 1) * sizeof(*cx->slot));
    for (size_t i = 0; i < pl->nin + 4 * pl->nsteps + 1; i++)
        cx->slot[i] = -1;
    cx->arena = mem_arena_new(REC_ARENA_CHUNK);
    /* scratch text lives on the heap (it may grow inside the arena: a
     * heap block grows on the heap) */
    buf_append(&cx->key, "", 0);
    buf_append(&cx->tmp, "", 0);
    *out = cx;
    return FERR_OK;
}

void rec_ctx_free(rec_ctx_t *cx)
{
    if (cx == NULL)
        return;
    if (cx->store)
        online_close(cx->store);
    mem_arena_free(cx->arena); /* the last record's t and events */
    cache_clear(cx);
    if (cx->ov.cols)
        for (size_t h = 0; h < cx->pl->nhist; h++)
            col_free(cx->ov.cols[h]);
    xfree(cx->ov.cols);
    if (cx->ov.keys)
        dict_free(cx->ov.keys);
    xfree(cx->ov.key);
    xfree(cx->ov.prev);
    xfree(cx->ov.last);
    table_free(cx->ov.table);
    xfree(cx->online_path);
    xfree(cx->ohpos);
    xfree(cx->slot);
    buf_free(&cx->key);
    buf_free(&cx->tmp);
    xfree(cx);
}

/* table_find remembering where the column was: a record's working row is
 * built by the same steps in the same order every time, so the slot is
 * right after the first record and one strcmp confirms it. */
static const column_t *find_at(const table_t *t, const char *name, int *slot)
{
    int i = *slot;
    if (i >= 0 && (size_t)i < t->ncols && strcmp(t->cols[i]->name, name) == 0)
        return t->cols[i];
    *slot = table_index(t, name);
    return *slot >= 0 ? t->cols[*slot] : NULL;
}

/* The field's text, shortened for a message. */
static const char *shown(buf_t *b, str_t v)
{
    buf_reset(b);
    buf_append(b, "", 0); /* a buffer, even for an empty value */
    buf_append_printable(b, v, 80);
    return b->p;
}


/* Parse the record's fields into the one-row working table. */
static int load_fields(rec_ctx_t *cx, const str_t *vals, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    for (size_t i = 0; i < pl->nfields; i++) {
        const rec_field_t *f = &pl->fields[i];
        column_t *c = col_new(pl->wname[i], f->type, 1);
        str_t v = vals[i];
        int rc;
        /* field names are distinct (the plan's): no table_add check */
        cx->t->cols[cx->t->ncols++] = c;
        cx->bad_field = (int)i;
        if (v.p == NULL && cx->lenient)
            v = (str_t){"", 0};
        if (v.p == NULL)
            return ferr_set(e, FERR_PARSE, "field '%s': missing (the model "
                            "needs it: %s)", f->name, ftype_name(f->type));
        rc = csv_parse_cell(v, &pl->colopt[i], &pl->csvo, c, 0, e);
        if (rc && cx->lenient && pl->colopt[i].format) {
            /* `features show --at` takes ISO times whatever the format */
            csv_colopt_t iso = pl->colopt[i];
            iso.format = NULL;
            c = col_new(pl->wname[i], f->type, 1);
            feat_put_column(cx->t, c);
            rc = csv_parse_cell(v, &iso, &pl->csvo, c, 0, e);
        }
        if (rc) {
            /* csv_parse_cell says "column NAME: 'v' is not ..." */
            const char *m = strstr(ferr_msg(e), ": ");
            char why[FERR_MSG_MAX];
            snprintf(why, sizeof(why), "%s", m ? m + 2 : ferr_msg(e));
            return ferr_set(e, FERR_PARSE, "field '%s': %s", f->name, why);
        }
        if (col_is_null(c, 0)) {
            if (strcmp(f->role, "value") != 0 && !f->nullable)
                return ferr_set(e, FERR_PARSE, "field '%s': empty, and an "
                                "event needs its %s", f->name,
                                strcmp(f->role, "entity") == 0 ?
                                "entity key" : "time");
            if (!f->nullable && !cx->lenient)
                return ferr_set(e, FERR_PARSE, "field '%s': empty, and "
                                "training had no empty value in it", f->name);
            continue;
        }
        if (f->values && !cx->lenient &&
            dict_find(pl->fvocab[i]->vocab, col_str(c, 0).p,
                      col_str(c, 0).n) < 0) {
            str_t s = col_str(c, 0);
            if (f->unknown == REC_UNKNOWN_MISSING) {
                col_set_null(c, 0);
                continue;
            }
            if (f->unknown == REC_UNKNOWN_REJECT)
                return ferr_set(e, FERR_PARSE, "field '%s': '%s' is not a "
                                "category the model was trained on (%zu "
                                "known, see `ferry models show`)", f->name,
                                shown(&cx->tmp, s), f->nvalues);
        }
    }
    return FERR_OK;
}

/* Whether two history values are the same as the store keeps them (a NaN
 * is a null, -0.0 is 0.0): the store's rule for a pushed event it already
 * holds, so both sides call the same events duplicates. */
static bool hist_null(const column_t *c, size_t i)
{
    return col_is_null(c, i) || (c->type == FT_FLOAT && isnan(c->f64[i]));
}

static bool same_cell(const column_t *a, size_t i, const column_t *b, size_t r)
{
    if (hist_null(a, i) || hist_null(b, r))
        return hist_null(a, i) && hist_null(b, r);
    switch (a->type) {
    case FT_FLOAT: return a->f64[i] == b->f64[r];
    case FT_BOOL: return a->u8[i] == b->u8[r];
    default: return a->i64[i] == b->i64[r];
    }
}

/* Events appended in this context (rec_ctx_append) follow the stored ones
 * of the same key. */
static void merge_overlay(rec_ctx_t *cx)
{
    const rec_plan_t *pl = cx->pl;
    int32_t code;
    size_t m = 0, n = cx->events->nrows;
    int64_t *rows, *mine, r;
    table_t *t;

    if (cx->ov.keys == NULL ||
        (code = dict_find(cx->ov.keys, cx->key.p, cx->key.n)) < 0)
        return;
    for (r = cx->ov.last[code]; r >= 0; r = cx->ov.prev[r])
        m++;
    mine = xcalloc(m + 1, sizeof(*mine));
    r = cx->ov.last[code];
    for (size_t i = m; i-- > 0; r = cx->ov.prev[r])
        mine[i] = r;
    rows = xcalloc(n + m + 1, sizeof(*rows));
    for (size_t i = 0; i < n + m; i++)
        rows[i] = i < n ? (int64_t)i : -1;
    t = table_new();
    for (size_t h = 0; h < pl->nhist; h++) {
        const column_t *hc = table_find(cx->events, pl->hist[h]);
        column_t *nc = win_gather(hc, rows, n + m, hc->name);
        for (size_t i = 0; i < m; i++)
            col_copy_cell(nc, n + i, cx->ov.cols[h], (size_t)mine[i]);
        table_add(t, nc, NULL);
    }
    t->nrows = n + m;
    xfree(rows);
    xfree(mine);
    cx->events = t; /* the cached one stays as it was */
}

/* ---- the entity's history ------------------------------------------- */

/* A context keeps the histories it read (heap tables, one per key) until
 * they hold this many events in all, then starts over: a service scoring
 * the same customers again reads SQLite once per customer, not per
 * request (the lookup was half of a credit record, bench/predict). */
#define REC_HISTORY_CACHE_EVENTS (1u << 20)
/* How often a context asks whether a new store was renamed over its file
 * (features build, features push): a record is scored against a store at
 * most this old. */
#define REC_STORE_CHECK_S 1.0

static void cache_clear(rec_ctx_t *cx)
{
    for (size_t i = 0; i < cx->hc.n; i++)
        table_free(cx->hc.events[i]);
    xfree(cx->hc.events);
    if (cx->hc.keys)
        dict_free(cx->hc.keys);
    memset(&cx->hc, 0, sizeof(cx->hc));
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Open the store (or take a new one renamed over it) and check it holds
 * the history this plan reads.  Runs with the arena paused: the
 * connection and the cache outlive the record. */
static int open_store(rec_ctx_t *cx, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    const char **names;
    const ftype_t *types;
    size_t n;
    int rc;

    if (cx->store != NULL) {
        bool changed = false;
        if (mono_seconds() < cx->next_check)
            return FERR_OK;
        cx->next_check = mono_seconds() + REC_STORE_CHECK_S;
        if (online_refresh(cx->store, &changed, e) != FERR_OK || !changed)
            return FERR_OK; /* keep serving what we had */
        cache_clear(cx);
    } else {
        /* a store that could not serve is tried again only after the
         * refresh interval, not for every record of a file */
        if (cx->store_failed && mono_seconds() < cx->next_check) {
            *e = cx->store_err;
            return e->code;
        }
        cx->next_check = mono_seconds() + REC_STORE_CHECK_S;
        rc = online_open(cx->online_path, &cx->store, e);
        if (rc) {
            ferr_prefix(e, "window features need the entity's history: ");
            goto failed;
        }
    }
    if (!online_has_history(cx->store) ||
        !((pl->by == NULL && online_history_by(cx->store) == NULL) ||
          (pl->by && online_history_by(cx->store) &&
           strcmp(pl->by, online_history_by(cx->store)) == 0))) {
        rc = ferr_set(e, FERR_NOTFOUND, "%s holds no history of events by "
                      "%s: rebuild it with `ferry features build` (the "
                      "window features need it)", cx->online_path,
                      pl->by ? pl->by : "series");
        goto bad;
    }
    n = online_history_columns(cx->store, &names, &types);
    for (size_t h = 0; h < pl->nhist; h++) {
        size_t k;
        for (k = 0; k < n; k++)
            if (strcmp(names[k], pl->hist[h]) == 0)
                break;
        if (k == n || types[k] != pl->hist_type[h]) {
            rc = ferr_set(e, FERR_NOTFOUND, "%s: the history has no %s "
                          "column '%s' (rebuild the store with the "
                          "version's spec)", cx->online_path,
                          ftype_name(pl->hist_type[h]), pl->hist[h]);
            goto bad;
        }
    }
    cx->store_failed = false;
    return FERR_OK;
bad:
    online_close(cx->store);
    cx->store = NULL;
failed:
    cx->store_failed = true;
    cx->store_err = *e;
    return e->code;
}

/* The events of cx->key: from the cache, else read and kept. */
static int cached_history(rec_ctx_t *cx, ferr_t *e)
{
    int32_t code = cx->hc.keys ? dict_find(cx->hc.keys, cx->key.p,
                                           cx->key.n) : -1;
    table_t *t;
    int rc;

    if (code >= 0) {
        cx->events = cx->hc.events[code];
        return FERR_OK;
    }
    if ((rc = online_history(cx->store, cx->key.p, &t, e)) != FERR_OK)
        return rc;
    if (cx->hc.nevents + t->nrows > REC_HISTORY_CACHE_EVENTS)
        cache_clear(cx);
    if (cx->hc.keys == NULL)
        cx->hc.keys = dict_new();
    code = dict_intern(cx->hc.keys, cx->key.p, cx->key.n);
    cx->hc.events = xgrow(cx->hc.events, sizeof(*cx->hc.events),
                          &cx->hc.cap, (size_t)code + 1);
    cx->hc.events[code] = t;
    cx->hc.n = (size_t)code + 1;
    cx->hc.nevents += t->nrows;
    cx->events = t;
    return FERR_OK;
}

/* The record's entity's events, once per record. */
static int load_history(rec_ctx_t *cx, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    mem_arena_t *rec;
    int rc;

    if (pl->why[0])
        return ferr_set(e, FERR_UNSUPPORTED, "%s", pl->why);
    if (cx->online_path == NULL)
        return ferr_set(e, FERR_NOTFOUND, "window features need the "
                        "entity's history, and no online store was given");
    if (!rec_key_text(pl->by ? table_find(cx->t, pl->by) : NULL, 0,
                      &cx->key))
        return ferr_set(e, FERR_PARSE, "field '%s': empty or not a key: the "
                        "window features need the entity", pl->by);
    rec = mem_arena_enter(NULL);
    rc = open_store(cx, e);
    if (rc == FERR_OK)
        rc = cached_history(cx, e);
    mem_arena_leave(rec);
    if (rc == FERR_OK)
        merge_overlay(cx);
    return rc;
}

/* Window s over the entity's earlier events followed by the record. */
static int run_window(rec_ctx_t *cx, const step_t *s, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    int *slot = &cx->slot[pl->nin + 4 * (size_t)(s - pl->steps)];
    const column_t *rt = find_at(cx->t, s->f->order, &slot[0]);
    const column_t *rv = s->f->of ? find_at(cx->t, s->f->of, &slot[1]) : NULL;
    const column_t *ht, *hv = NULL;
    table_t *mini = table_new();
    column_t *mt, *mv = NULL, *res = NULL, *one;
    int64_t *rows;
    size_t n = 0, hn;
    int rc;

    if (cx->events == NULL && (rc = load_history(cx, e)) != FERR_OK) {
        table_free(mini);
        return ferr_prefix(e, "feature '%s': ", s->f->name);
    }
    ht = find_at(cx->events, pl->hist[s->hist_time], &slot[2]);
    if (s->hist_value >= 0)
        hv = find_at(cx->events, pl->hist[s->hist_value], &slot[3]);
    hn = cx->events->nrows;
    /* the events before the record: times at or before its own (an event
     * of the same time came earlier in the file); null times are in no
     * window */
    rows = xcalloc(hn + 2, sizeof(*rows));
    if (!col_is_null(rt, 0))
        for (size_t i = 0; i < hn; i++)
            if (!col_is_null(ht, i) && ht->i64[i] <= rt->i64[0])
                rows[n++] = (int64_t)i;
    rows[n] = -1; /* the record's slot, filled below */
    mt = win_gather(ht, rows, n + 1, s->f->order);
    if (hv)
        mv = win_gather(hv, rows, n + 1, s->f->of);
    xfree(rows);
    /* the record itself is the last row (history holds no text values:
     * a gathered text column is complete already) */
    col_copy_cell(mt, n, rt, 0);
    if (mv && mv->type != FT_STRING && mv->type != FT_CATEGORY)
        col_copy_cell(mv, n, rv, 0);
    table_add(mini, mt, NULL);
    if (mv && table_add(mini, mv, NULL) != FERR_OK)
        col_free(mv); /* of == order: the same column */
    rc = win_compute(mini, &s->w, s->f->name, &res, e);
    if (rc == FERR_OK) {
        int64_t last = (int64_t)n;
        one = win_gather(res, &last, 1, s->f->name);
        feat_put_column(cx->t, one);
    }
    col_free(res);
    table_free(mini);
    return rc;
}

/* One-hot: the value's position (model row written by the caller). */
static int run_onehot(rec_ctx_t *cx, size_t k, ferr_t *e)
{
    const step_t *s = &cx->pl->steps[k];
    const column_t *c = table_find(cx->t, s->f->column);
    int32_t pos = -1;
    if (!col_is_null(c, 0)) {
        char tmp[32];
        str_t v = onehot_key(c, 0, tmp, sizeof(tmp));
        pos = dict_find(s->oh->vocab, v.p, v.n);
        if (pos < 0 && s->unknown == REC_UNKNOWN_REJECT && s->field < 0)
            return ferr_set(e, FERR_PARSE, "feature '%s': '%s' is not a "
                            "value the model was trained on", s->f->name,
                            shown(&cx->tmp, v));
    }
    cx->ohpos[k] = pos;
    if (s->materialize)
        for (size_t i = 0; i < s->oh->n; i++) {
            column_t *o = col_new(s->oh_names[i], FT_INT, 1);
            o->i64[0] = (int32_t)i == pos;
            feat_put_column(cx->t, o);
        }
    return FERR_OK;
}

static int rec_eval_in(rec_ctx_t *cx, const str_t *vals, float *x, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    int rc;

    cx->t = table_new();
    cx->t->nrows = 1;
    cx->t->cols = xmalloc((pl->nfields + 1) * sizeof(*cx->t->cols));
    if ((rc = load_fields(cx, vals, e)) != FERR_OK)
        return rc;
    cx->bad_field = -1;
    for (size_t k = 0; k < pl->nsteps; k++) {
        const step_t *s = &pl->steps[k];
        column_t *c = NULL;
        if (!s->needed)
            continue;
        switch (s->kind) {
        case ST_JOIN:
            rc = feat_run_join(pl->p, cx->t, pl->sources, s->j, e);
            break;
        case ST_EXPR:
            rc = expr_eval(s->x, cx->t, s->f->name, &c, e);
            if (rc == FERR_OK)
                feat_put_column(cx->t, c);
            break;
        case ST_WINDOW:
            rc = run_window(cx, s, e);
            break;
        case ST_ONEHOT:
            rc = run_onehot(cx, k, e);
            break;
        }
        if (rc) {
            /* the field a step could not use: the one-hot's own, the
             * entity whose history is missing */
            if (s->kind == ST_ONEHOT)
                cx->bad_field = s->field;
            else if (s->kind == ST_WINDOW && pl->by)
                cx->bad_field = rec_plan_field_index(pl, pl->by);
            return rc;
        }
    }
    /* the model row, converted as train_matrix_from_table does */
    for (size_t j = 0; x && j < pl->nin; j++) {
        const input_t *in = &pl->in[j];
        const column_t *c;
        if (in->col == NULL) {
            x[j] = (float)(cx->ohpos[in->step] == in->pos);
            continue;
        }
        c = find_at(cx->t, in->col, &cx->slot[j]);
        if (c == NULL || col_is_null(c, 0))
            x[j] = NAN;
        else if (c->type == FT_FLOAT)
            x[j] = (float)c->f64[0];
        else if (c->type == FT_BOOL)
            x[j] = (float)c->u8[0];
        else if (ftype_is_numeric(c->type))
            x[j] = (float)c->i64[0];
        else
            return ferr_set(e, FERR_TYPE, "feature '%s' is %s, the model "
                            "needs a number", in->col, ftype_name(c->type));
    }
    return FERR_OK;
}

/* A record lives in the context's arena from one rec_eval to the next:
 * its working row, its history and every intermediate column are arena
 * blocks dropped at once by the next record's reset, so a steady state of
 * records makes no malloc (record.h; counted by bench/predict). */
int rec_eval(rec_ctx_t *cx, const str_t *vals, float *x, ferr_t *e)
{
    mem_arena_t *prev;
    int rc;

    cx->t = NULL;
    cx->events = NULL;
    cx->bad_field = -1;
    mem_arena_reset(cx->arena);
    prev = mem_arena_enter(cx->arena);
    rc = rec_eval_in(cx, vals, x, e);
    mem_arena_leave(prev);
    /* the field as the error's location, for a caller that reports
     * machine-readably (a server's 400 body prefixes its JSON path) */
    if (rc != FERR_OK && cx->bad_field >= 0)
        ferr_where(e, "%s", cx->pl->fields[cx->bad_field].name);
    return rc;
}

bool rec_value_text(rec_ctx_t *cx, const char *name, buf_t *out)
{
    const column_t *c = cx->t ? table_find(cx->t, name) : NULL;
    char tmp[64];
    if (c == NULL)
        return false;
    if (col_is_null(c, 0))
        return true;
    switch (c->type) {
    case FT_INT: buf_printf(out, "%lld", (long long)c->i64[0]); break;
    case FT_FLOAT: /* as the feature CSV writes it */
        buf_append(out, tmp, store_fmt_f64(c->f64[0], tmp));
        break;
    case FT_BOOL: buf_printf(out, "%s", c->u8[0] ? "true" : "false"); break;
    case FT_DATE:
        format_date(c->i64[0], tmp, sizeof(tmp));
        buf_printf(out, "%s", tmp);
        break;
    case FT_DATETIME:
        format_datetime(c->i64[0], tmp, sizeof(tmp));
        buf_printf(out, "%s", tmp);
        break;
    default: {
        str_t s = col_str(c, 0);
        buf_append(out, s.p, s.n);
    }
    }
    return true;
}

int rec_bad_field(const rec_ctx_t *cx) { return cx->bad_field; }

bool rec_feature_value(const rec_ctx_t *cx, size_t j, double *v)
{
    const input_t *in = &cx->pl->in[j];
    const column_t *c;
    if (cx->t == NULL || j >= cx->pl->nin)
        return false;
    if (in->col == NULL) {
        *v = cx->ohpos[in->step] == in->pos;
        return true;
    }
    c = table_find(cx->t, in->col);
    if (c == NULL || !ftype_is_numeric(c->type))
        return false;
    *v = col_num(c, 0);
    return true;
}

void rec_ctx_set_lenient(rec_ctx_t *cx, bool on) { cx->lenient = on; }

const column_t *rec_ctx_column(const rec_ctx_t *cx, const char *name)
{
    return cx->t ? table_find(cx->t, name) : NULL;
}

const table_t *rec_ctx_appended(rec_ctx_t *cx)
{
    const rec_plan_t *pl = cx->pl;
    table_t *t;
    column_t *key;
    int64_t *rows;

    if (cx->ov.n == 0)
        return NULL;
    table_free(cx->ov.table);
    t = cx->ov.table = table_new();
    key = col_new("key", FT_STRING, cx->ov.n);
    rows = xcalloc(cx->ov.n + 1, sizeof(*rows));
    for (size_t i = 0; i < cx->ov.n; i++) {
        str_t k = dict_str(cx->ov.keys, cx->ov.key[i]);
        col_str_append(key, i, k.p, k.n);
        rows[i] = (int64_t)i;
    }
    table_add(t, key, NULL);
    for (size_t h = 0; h < pl->nhist; h++)
        table_add(t, win_gather(cx->ov.cols[h], rows, cx->ov.n, pl->hist[h]),
                  NULL);
    t->nrows = cx->ov.n;
    xfree(rows);
    return t;
}

int rec_ctx_append(rec_ctx_t *cx, ferr_t *e)
{
    const rec_plan_t *pl = cx->pl;
    const column_t *tc;
    size_t n;

    if (!pl->needs_history)
        return FERR_OK;
    if (cx->events == NULL)
        return ferr_set(e, FERR_USAGE, "rec_ctx_append: no record evaluated");
    tc = table_find(cx->t, pl->order);
    n = cx->events->nrows;
    /* the same event again: every history column equal to a stored one */
    for (size_t r = 0; r < n; r++) {
        bool same = true;
        for (size_t h = 0; h < pl->nhist && same; h++)
            same = same_cell(table_find(cx->events, pl->hist[h]), r,
                             table_find(cx->t, pl->hist[h]), 0);
        if (same)
            return ferr_set(e, FERR_EXISTS, "the same event is already in "
                            "the history of '%s'", cx->key.p);
    }
    if (n > 0 && !col_is_null(tc, 0)) {
        const column_t *ht = table_find(cx->events, pl->order);
        for (size_t r = 0; r < n; r++)
            if (!col_is_null(ht, r) && ht->i64[r] > tc->i64[0])
                return ferr_set(e, FERR_RANGE, "older than the latest event "
                                "of '%s' in the history: push appends events "
                                "in time order (`ferry features build` "
                                "rebuilds from the files)", cx->key.p);
    }
    if (col_is_null(tc, 0))
        return ferr_set(e, FERR_PARSE, "no time: an event outside every "
                        "window is not history");
    if (cx->ov.n == cx->ov.cap) {
        size_t cap = cx->ov.cap ? cx->ov.cap * 2 : 64;
        int64_t *rows = xcalloc(cap, sizeof(*rows));
        for (size_t i = 0; i < cap; i++)
            rows[i] = i < cx->ov.n ? (int64_t)i : -1;
        if (cx->ov.cols == NULL) {
            cx->ov.cols = xcalloc(pl->nhist + 1, sizeof(*cx->ov.cols));
            cx->ov.keys = dict_new();
        }
        for (size_t h = 0; h < pl->nhist; h++) {
            column_t *c = cx->ov.cols[h] ?
                win_gather(cx->ov.cols[h], rows, cap, pl->hist[h]) :
                col_new(pl->hist[h], pl->hist_type[h], cap);
            col_free(cx->ov.cols[h]);
            cx->ov.cols[h] = c;
        }
        cx->ov.key = xrealloc(cx->ov.key, cap * sizeof(*cx->ov.key));
        cx->ov.prev = xrealloc(cx->ov.prev, cap * sizeof(*cx->ov.prev));
        cx->ov.cap = cap;
        xfree(rows);
    }
    {
        size_t r = cx->ov.n++;
        int32_t code = dict_intern(cx->ov.keys, cx->key.p, cx->key.n);
        if ((size_t)code >= cx->ov.nkeys) {
            cx->ov.last = xrealloc(cx->ov.last, ((size_t)code + 1) *
                                   sizeof(*cx->ov.last));
            while (cx->ov.nkeys <= (size_t)code)
                cx->ov.last[cx->ov.nkeys++] = -1;
        }
        cx->ov.key[r] = code;
        cx->ov.prev[r] = cx->ov.last[code];
        cx->ov.last[code] = (int64_t)r;
        for (size_t h = 0; h < pl->nhist; h++)
            col_copy_cell(cx->ov.cols[h], r, table_find(cx->t, pl->hist[h]), 0);
    }
    return FERR_OK;
}
