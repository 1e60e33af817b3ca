/*
 * cmd_predict.c - `ferry predict`: score a file of raw records with a
 * registered model version, one record at a time through the version's
 * compiled scoring plan (features/record.h), which is the path the server
 * takes per request.
 *
 * Each record is scored alone, as of now: its window features come from
 * its entity's history in the online store, never from the other rows of
 * the file (to make new events part of the history, `ferry features push`
 * them).  A record that cannot be scored (a field missing, empty, of the
 * wrong type or outside the training vocabulary; no history) is rejected
 * on its own and the others are scored; rejected records go to --rejects
 * as line,column,value,reason (the CSV reader's rejects format) and the
 * record itself (record: its CSV line, to fix and send again), and the
 * exit status is 3 when any record was rejected.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "cli/records.h"
#include "data/csv.h"
#include "features/pipeline.h"
#include "scoring/predictor.h"
#include "store/offline.h"

/* Exit status when some records were rejected and the rest scored. */
#define PREDICT_EXIT_REJECTED 3

/* Rejected records, in the CSV reader's rejects layout. */
typedef struct rejects {
    column_t *line, *col, *val, *why, *rec;
    size_t n, cap;
    int64_t *lines;
} rejects_t;

static void rej_add(rejects_t *r, int64_t line, const char *col, str_t val,
                    const char *why, str_t rec)
{
    r->lines = xgrow(r->lines, sizeof(*r->lines), &r->cap, r->n + 1);
    r->lines[r->n] = line;
    col_str_append(r->col, r->n, col, strlen(col));
    col_str_append(r->val, r->n, val.p ? val.p : "", val.p ? val.n : 0);
    col_str_append(r->why, r->n, why, strlen(why));
    col_str_append(r->rec, r->n, rec.p ? rec.p : "", rec.p ? rec.n : 0);
    r->n++;
}

/* Row r of the input as the CSV line it was (fields quoted where they
 * need it), so a rejected record can be fixed and sent again. */
static str_t record_text(const table_t *in, size_t r, char delim, buf_t *b)
{
    buf_reset(b);
    buf_append(b, "", 0);
    for (size_t c = 0; c < in->ncols; c++) {
        str_t v = col_is_null(in->cols[c], r) ? (str_t){"", 0} :
                  col_str(in->cols[c], r);
        bool q = memchr(v.p, delim, v.n) || memchr(v.p, '"', v.n) ||
                 memchr(v.p, '\n', v.n) || memchr(v.p, '\r', v.n);
        if (c)
            buf_putc(b, delim);
        if (!q) {
            buf_append(b, v.p, v.n);
            continue;
        }
        buf_putc(b, '"');
        for (size_t i = 0; i < v.n; i++) {
            if (v.p[i] == '"')
                buf_putc(b, '"');
            buf_putc(b, v.p[i]);
        }
        buf_putc(b, '"');
    }
    return (str_t){b->p, b->n};
}

/* A STRING column grown row by row (col_str_append needs the rows). */
static column_t *str_col(const char *name, size_t n)
{
    return col_new(name, FT_STRING, n);
}

int cmd_predict(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *output = NULL, *rejects = NULL;
    bool with_features = false;
    column_t **featc = NULL;
    project_t *p;
    predictor_t *pr = NULL;
    const rec_plan_t *pl;
    rec_ctx_t *cx = NULL;
    table_t *in = NULL, *rin = NULL, *o = NULL;
    rejects_t rj = {0};
    int64_t *lines = NULL;
    int *map = NULL;
    str_t *vals = NULL;
    column_t **outc = NULL, *sc = NULL, *cl = NULL;
    const char **outn = NULL;
    int *outsrc = NULL;
    size_t nout = 0, nf, scored = 0;
    buf_t tmp = {0}, rejtmp = {0}, rtext = {0};
    char vp_delim = ',';
    char name[256];
    progress_t prog;
    ferr_t e = {0};
    bool binary;
    int rc;

    for (int i = 1; i < argc; i++) {
        int m;
        if (strcmp(argv[i], "--with-features") == 0) {
            with_features = true;
            continue;
        }
        if ((m = cli_opt_value("predict", argc, argv, &i, "--model", &model)) ||
            (m = cli_opt_value("predict", argc, argv, &i, "--input", &input)) ||
            (m = cli_opt_value("predict", argc, argv, &i, "--output", &output)) ||
            (m = cli_opt_value("predict", argc, argv, &i, "--rejects", &rejects))) {
            if (m < 0)
                return 2;
        } else {
            cli_error("predict: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    /* an output that cannot be written is refused before the scoring */
    if ((output && afile_check(output, &e)) ||
        (rejects && afile_check(rejects, &e))) {
        cli_error("predict: %s", ferr_msg(&e));
        return 1;
    }
    if ((p = cli_load_project(ctx, "predict")) == NULL)
        return 1;
    rc = cli_load_predictor(ctx, p, model, &pr, name, sizeof(name), &e);
    if (rc == FERR_OK)
        rc = predictor_ctx_new(pr, NULL, &cx, &e);
    if (rc)
        goto out;
    pl = predictor_plan(pr);
    nf = rec_plan_nfields(pl);
    {
        const project_t *vp = predictor_project(pr);
        const char *path = input ? input : vp->sources[0].path;
        vp_delim = vp->sources[0].delimiter;
        buf_printf(&rejtmp, "%s/ferry-predict-rejects-%d.csv",
                   getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        rc = records_read(&vp->sources[0], path, rejtmp.p, &in, &rin, &e);
        if (rc)
            goto out;
        /* every required field must be a column of the file */
        map = xcalloc(nf + 1, sizeof(*map));
        for (size_t i = 0; i < nf; i++) {
            map[i] = table_index(in, rec_plan_field(pl, i)->name);
            if (map[i] < 0) {
                buf_t need = {0};
                for (size_t k = 0; k < nf; k++)
                    buf_printf(&need, "%s%s", k ? ", " : "",
                               rec_plan_field(pl, k)->name);
                rc = ferr_set(&e, FERR_NOTFOUND, "%s: no column '%s' (%s v%d "
                              "needs %s; see `ferry models show`)", path,
                              rec_plan_field(pl, i)->name, name,
                              predictor_version(pr), need.p);
                buf_free(&need);
                goto out;
            }
        }
        /* the output: the record's key, the carried columns, the score */
        outn = xcalloc(nf + vp->ncarry + 4, sizeof(*outn));
        outsrc = xcalloc(nf + vp->ncarry + 4, sizeof(*outsrc));
        for (size_t i = 0; i < nf; i++) {
            const rec_field_t *f = rec_plan_field(pl, i);
            if (strcmp(f->role, "value") != 0) {
                outn[nout] = f->name;
                outsrc[nout++] = map[i];
            }
        }
        if (nout == 0) {
            outn[nout] = "line";
            outsrc[nout++] = -1;
        }
        for (size_t c = 0; c < vp->ncarry; c++) {
            bool dup = vp->label && strcmp(vp->carry[c], vp->label) == 0;
            for (size_t k = 0; k < nout && !dup; k++)
                dup = strcmp(outn[k], vp->carry[c]) == 0;
            if (dup)
                continue;
            outn[nout] = vp->carry[c];
            outsrc[nout++] = table_index(in, vp->carry[c]);
        }
    }
    lines = records_lines(in, rin);
    vals = xcalloc(nf + 1, sizeof(*vals));
    outc = xcalloc(nout + 1, sizeof(*outc));
    for (size_t k = 0; k < nout; k++)
        outc[k] = outsrc[k] == -1 && strcmp(outn[k], "line") == 0 &&
                          k == 0 ? col_new("line", FT_INT, in->nrows)
                                 : str_col(outn[k], in->nrows);
    sc = col_new("score", FT_FLOAT, in->nrows);
    if (with_features) {
        featc = xcalloc(predictor_num_features(pr) + 1, sizeof(*featc));
        for (size_t j = 0; j < predictor_num_features(pr); j++)
            featc[j] = col_new(predictor_feature(pr, j), FT_FLOAT, in->nrows);
    }
    binary = strncmp(predictor_objective(pr), "binary:", 7) == 0;
    if (binary)
        cl = col_new("prediction", FT_INT, in->nrows);
    rj.col = str_col("column", in->nrows + (rin ? rin->nrows : 0));
    rj.val = str_col("value", in->nrows + (rin ? rin->nrows : 0));
    rj.why = str_col("reason", in->nrows + (rin ? rin->nrows : 0));
    rj.rec = str_col("record", in->nrows + (rin ? rin->nrows : 0));
    for (size_t r = 0; rin && r < rin->nrows; r++) {
        const column_t *l = table_find(rin, "line"), *c = table_find(rin, "column"),
                       *v = table_find(rin, "value"), *w = table_find(rin, "reason");
        char *ls = l ? str_dup(col_str(l, r)) : xstrdup("0");
        char *cs = c ? str_dup(col_str(c, r)) : xstrdup("");
        char *ws = w ? str_dup(col_str(w, r)) : xstrdup("");
        /* the reader's reason, named like the plan's: "field 'X': ..." */
        buf_reset(&tmp);
        if (cs[0])
            buf_printf(&tmp, "field '%s': ", cs);
        buf_puts(&tmp, ws);
        rej_add(&rj, strtoll(ls, NULL, 10), cs,
                v ? col_str(v, r) : (str_t){"", 0}, tmp.p, (str_t){"", 0});
        free(ls);
        free(cs);
        free(ws);
    }

    progress_start(&prog, "predict", "records", in->nrows);
    for (size_t r = 0; r < in->nrows; r++) {
        double score = 0;
        records_fields(in, r, map, nf, vals);
        rc = predictor_score_record(pr, cx, vals, &score, &e);
        if (rc) {
            int bf = rec_bad_field(cx);
            rej_add(&rj, lines[r], bf >= 0 ? rec_plan_field(pl, (size_t)bf)->name
                                           : "", bf >= 0 ? vals[bf] : (str_t){"", 0},
                    ferr_msg(&e), record_text(in, r, vp_delim, &rtext));
            rc = FERR_OK;
            continue;
        }
        for (size_t k = 0; k < nout; k++) {
            if (outc[k]->type == FT_INT) {
                outc[k]->i64[scored] = lines[r];
                continue;
            }
            buf_reset(&tmp);
            buf_append(&tmp, "", 0);
            if (!rec_value_text(cx, outn[k], &tmp) && outsrc[k] >= 0) {
                const column_t *c = in->cols[outsrc[k]];
                if (!col_is_null(c, r))
                    buf_append(&tmp, col_str(c, r).p, col_str(c, r).n);
            }
            col_str_append(outc[k], scored, tmp.p, tmp.n);
        }
        sc->f64[scored] = score;
        if (cl)
            cl->i64[scored] = score >= predictor_threshold(pr);
        if (featc)
            records_put_features(cx, featc, predictor_num_features(pr),
                                 scored);
        scored++;
        if ((r & 1023) == 0)
            progress_update(&prog, r);
    }
    progress_finish(&prog);

    /* tables of the rows written (scored rows; rejects in line order) */
    o = table_new();
    for (size_t k = 0; k < nout; k++) {
        column_t *c = outc[k];
        outc[k] = NULL;
        c->n = scored;
        table_add(o, c, NULL);
    }
    sc->n = scored;
    table_add(o, sc, NULL);
    sc = NULL;
    if (cl) {
        cl->n = scored;
        table_add(o, cl, NULL);
        cl = NULL;
    }
    for (size_t j = 0; featc && j < predictor_num_features(pr); j++) {
        featc[j]->n = scored;
        if (table_add(o, featc[j], NULL) != FERR_OK)
            col_free(featc[j]); /* a feature named like an output column */
        featc[j] = NULL;
    }
    o->nrows = scored;
    if (output)
        rc = offline_write_csv(o, output, &e);
    else {
        rc = offline_write_csv_fp(o, stdout, "stdout", &e);
        fflush(stdout);
    }
    if (rc == FERR_OK && rejects) {
        table_t *rt = table_new();
        column_t *lc = col_new("line", FT_INT, rj.n);
        size_t *ord = xcalloc(rj.n + 1, sizeof(*ord));
        for (size_t i = 0; i < rj.n; i++)
            ord[i] = i;
        /* reader rejects came first: order everything by line */
        for (size_t i = 1; i < rj.n; i++)
            for (size_t j = i; j > 0 && rj.lines[ord[j - 1]] > rj.lines[ord[j]]; j--) {
                size_t t = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = t;
            }
        column_t *c2 = str_col("column", rj.n), *v2 = str_col("value", rj.n),
                 *w2 = str_col("reason", rj.n), *r2 = str_col("record", rj.n);
        for (size_t i = 0; i < rj.n; i++) {
            size_t k = ord[i];
            str_t a = col_str(rj.col, k), b = col_str(rj.val, k), c = col_str(rj.why, k);
            str_t d = col_str(rj.rec, k);
            col_str_append(r2, i, d.p, d.n);
            lc->i64[i] = rj.lines[k];
            col_str_append(c2, i, a.p, a.n);
            col_str_append(v2, i, b.p, b.n);
            col_str_append(w2, i, c.p, c.n);
        }
        table_add(rt, lc, NULL);
        table_add(rt, c2, NULL);
        table_add(rt, v2, NULL);
        table_add(rt, w2, NULL);
        table_add(rt, r2, NULL);
        rt->nrows = rj.n;
        rc = offline_write_csv(rt, rejects, &e);
        table_free(rt);
        free(ord);
    }
    /* on stderr: stdout may be the scores themselves */
    if (rc == FERR_OK && rj.n == 0 && !ctx->quiet)
        fprintf(stderr, "%s: scored %zu records with %s v%d\n", output ?
                output : "predict", scored, name, predictor_version(pr));
    if (rc == FERR_OK && rj.n) {
        /* rejected records are a warning whatever --quiet says (exit 3) */
        fprintf(stderr, "%s: scored %zu records with %s v%d; %zu rejected%s%s"
                "\n", output ? output : "predict", scored, name,
                predictor_version(pr), rj.n,
                rejects ? ": see " : " (--rejects FILE lists them)",
                rejects ? rejects : "");
        /* the first few reasons, so a bad file is understood at once */
        for (size_t i = 0; !rejects && i < rj.n && i < 3; i++)
            fprintf(stderr, "  line %lld: %.*s\n", (long long)rj.lines[i],
                    (int)col_str(rj.why, i).n, col_str(rj.why, i).p);
    }
out:
    if (rc)
        cli_error("predict: %s", ferr_msg(&e));
    for (size_t k = 0; outc && k < nout; k++)
        col_free(outc[k]);
    free(outc);
    for (size_t j = 0; featc && j < predictor_num_features(pr); j++)
        col_free(featc[j]);
    free(featc);
    col_free(sc);
    col_free(cl);
    col_free(rj.col);
    col_free(rj.val);
    col_free(rj.why);
    col_free(rj.rec);
    buf_free(&rtext);
    free(rj.lines);
    free(outn);
    free(outsrc);
    free(vals);
    free(map);
    free(lines);
    buf_free(&tmp);
    buf_free(&rejtmp);
    table_free(o);
    table_free(in);
    table_free(rin);
    rec_ctx_free(cx);
    predictor_unref(pr);
    project_free(p);
    if (rc)
        return 1;
    return rj.n ? PREDICT_EXIT_REJECTED : 0;
}
