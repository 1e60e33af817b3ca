/*
 * cmd_predict.c - `ferry predict`: score a file of raw records with a
 * registered model version, through the project's feature pipeline and the
 * compiled tree evaluator (the same path the server takes per request).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/afile.h"
#include "base/mem.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "features/pipeline.h"
#include "predict/predictor.h"
#include "store/offline.h"

int cmd_predict(cli_ctx_t *ctx, int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *output = NULL, *rejects = NULL;
    feat_read_report_t rep = {0};
    project_t *p;
    predictor_t *pr = NULL;
    table_t **src, *feats = NULL;
    double *scores = NULL;
    char name[256];
    const char *ref = "champion";
    ferr_t e = {0};
    int rc;

    for (int i = 1; i < argc; i++) {
        int m;
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
    snprintf(name, sizeof(name), "%s", model ? model : p->name);
    if (strchr(name, '@')) {
        ref = strchr(model, '@') + 1;
        *strchr(name, '@') = '\0';
    }
    rc = predictor_load(cli_registry(ctx, p), name, ref, p, ctx->sets,
                        ctx->nsets, &pr, &e);
    /* sources as the version's own spec defines them (predictor.h) */
    const project_t *vp = rc == FERR_OK ? predictor_project(pr) : p;
    src = xcalloc(vp->nsources, sizeof(*src));
    /* rejected input rows go to --rejects or are only counted: scoring
     * leaves the rejects files of the last `features build` alone */
    for (size_t i = 0; rc == FERR_OK && i < vp->nsources; i++)
        rc = feat_read_source_file(vp, i, i == 0 ? input : NULL,
                                   i == 0 ? rejects : NULL, &src[i],
                                   i == 0 ? &rep : NULL, &e);
    if (rc == FERR_OK && rep.rejected > 0)
        fprintf(stderr, "predict: %zu input rows rejected, not scored%s%s\n",
                rep.rejected, rejects ? ": see " : " (--rejects FILE keeps them)",
                rejects ? rejects : "");
    if (rc == FERR_OK) {
        scores = xcalloc(src[0]->nrows + 1, sizeof(double));
        rc = predictor_score_raw(pr, src, scores, &feats, &e);
    }
    if (rc == FERR_OK) {
        /* keep the carried columns (ids, times), then score and class */
        table_t *o = table_new();
        column_t *sc = col_new("score", FT_FLOAT, feats->nrows);
        bool binary = strncmp(predictor_objective(pr), "binary:", 7) == 0;
        for (size_t i = 0; i < feats->ncols; i++) {
            bool is_feature = false;
            for (size_t k = 0; k < predictor_num_features(pr); k++)
                is_feature |= strcmp(feats->cols[i]->name, predictor_feature(pr, k)) == 0;
            if (!is_feature && (vp->label == NULL || strcmp(feats->cols[i]->name, vp->label) != 0))
                table_add(o, col_clone(feats->cols[i], NULL), NULL);
        }
        memcpy(sc->f64, scores, feats->nrows * sizeof(double));
        table_add(o, sc, NULL);
        if (binary) {
            column_t *cl = col_new("prediction", FT_INT, feats->nrows);
            for (size_t i = 0; i < feats->nrows; i++)
                cl->i64[i] = scores[i] >= predictor_threshold(pr);
            table_add(o, cl, NULL);
        }
        if (output) {
            rc = offline_write_csv(o, output, &e);
        } else {
            rc = offline_write_csv_fp(o, stdout, "stdout", &e);
            fflush(stdout);
        }
        if (rc == FERR_OK)
            fprintf(stderr, "%s: scored %zu rows with %s v%d\n",
                    output ? output : "predict", feats->nrows, name,
                    predictor_version(pr));
        table_free(o);
    }
    if (rc)
        cli_error("predict: %s", ferr_msg(&e));
    free(scores);
    table_free(feats);
    for (size_t i = 0; i < vp->nsources; i++)
        table_free(src[i]);
    free(src);
    predictor_unref(pr);
    project_free(p);
    return rc ? 1 : 0;
}
