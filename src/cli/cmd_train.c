/*
 * cmd_train.c - `ferry train`: the offline feature table -> a new,
 * immutable model version in the registry (optionally promoted through the
 * validation gate).
 *
 * This is glue: ferry.yaml's model/split/search sections become a
 * train_config_t, the built feature table (.fcol) and its schema are the
 * input, train_run() does the work, and the registry stores the model with
 * a manifest describing everything needed to reproduce and serve it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "cli/project_ctx.h"
#include "features/pipeline.h"
#include "registry/profile.h"
#include "registry/registry.h"
#include "scoring/predictor.h"
#include "store/offline.h"
#include "train/metrics.h"
#include "train/train.h"

/* Everything the config borrows that we allocated. */
typedef struct train_alloc {
    train_param_t *params;
    train_search_dim_t *dims;
    const char ***dim_values;
    size_t ndims;
    const char **features, **exclude;
} train_alloc_t;

static void train_alloc_free(train_alloc_t *a)
{
    free(a->params);
    for (size_t i = 0; i < a->ndims; i++)
        free(a->dim_values[i]);
    free(a->dim_values);
    free(a->dims);
    free(a->features);
    free(a->exclude);
}

static int config_from_project(const project_t *p, train_config_t *c,
                               train_alloc_t *a, ferr_t *e)
{
    const ydoc_t *d = p->doc;
    const ynode_t *m = p->model, *s = p->split, *se = p->search, *params;
    const char *type = "xgboost", *method = NULL, *smethod = "none";
    int64_t num = 0;
    double frac;
    int rc;

    train_config_default(c);
    memset(a, 0, sizeof(*a));
    c->label = p->label;
    if (c->label == NULL)
        return ferr_set(e, FERR_SPEC, "%s: no 'label' to train on", p->file);
    if ((rc = yn_str(d, m, "model", "type", &type, e)))
        return rc;
    if (train_model_kind_parse(type) < 0)
        return yn_fail(e, d, yn_get(m, "type"), "model", "unknown type '%s' "
                       "(xgboost, ridge, logistic)", type);
    c->model = (train_model_kind_t)train_model_kind_parse(type);
    if (c->model != TRAIN_XGBOOST)
        linear_config_default(&c->linear, c->model == TRAIN_RIDGE ?
                              LINEAR_RIDGE : LINEAR_LOGISTIC);
    num = c->num_rounds;
    if ((rc = yn_str(d, m, "model", "objective", &c->objective, e)) ||
        (rc = yn_int(d, m, "model", "num_rounds", &num, e)))
        return rc;
    c->num_rounds = (int)num;
    num = c->early_stopping_rounds;
    if ((rc = yn_int(d, m, "model", "early_stopping_rounds", &num, e)))
        return rc;
    c->early_stopping_rounds = (int)num;
    num = c->nthread;
    if ((rc = yn_str(d, m, "model", "eval_metric", &c->eval_metric, e)) ||
        (rc = yn_int(d, m, "model", "threads", &num, e)))
        return rc;
    c->nthread = (int)num;
    num = (int64_t)c->seed;
    if ((rc = yn_int(d, m, "model", "seed", &num, e)) ||
        (rc = yn_str(d, m, "model", "metric", &c->metric, e)) ||
        (rc = yn_str(d, m, "model", "threshold", &c->threshold, e)) ||
        (rc = yn_num(d, m, "model", "alpha", &c->linear.alpha, e)) ||
        (rc = yn_num(d, m, "model", "C", &c->linear.C, e)) ||
        (rc = yn_bool(d, m, "model", "standardize", &c->linear.standardize, e)) ||
        (rc = yn_bool(d, m, "model", "interactions", &c->linear.interactions, e)))
        return rc;
    c->seed = (uint64_t)num;
    if (c->metric != NULL && metric_find(c->metric) == NULL)
        return yn_fail(e, d, yn_get(m, "metric"), "model", "unknown metric "
                       "'%s'", c->metric);
    num = (int64_t)c->linear.k_best;
    if ((rc = yn_int(d, m, "model", "k_best", &num, e)))
        return rc;
    c->linear.k_best = (size_t)num;
    num = c->linear.max_iter;
    if ((rc = yn_int(d, m, "model", "max_iter", &num, e)))
        return rc;
    c->linear.max_iter = (int)num;
    if ((rc = yn_str_list(d, m, "model", "features", &a->features, &c->nfeatures, e)) ||
        (rc = yn_str_list(d, m, "model", "exclude", &a->exclude, &c->nexclude, e)))
        return rc;
    c->features = a->features;
    c->exclude = a->exclude;
    params = yn_get(m, "params");
    if (params && params->kind == YN_MAP) {
        a->params = xcalloc(params->n + 1, sizeof(*a->params));
        for (size_t i = 0; i < params->n; i++) {
            if (params->vals[i]->kind != YN_SCALAR)
                return yn_fail(e, d, params->vals[i], "model.params",
                               "'%s': expected a value", params->keys[i]);
            a->params[i].key = params->keys[i];
            a->params[i].value = params->vals[i]->str;
        }
        c->params = a->params;
        c->nparams = params->n;
    } else if (params && params->kind != YN_NULL) {
        return yn_fail(e, d, params, "model", "key 'params': expected a map");
    }

    /* split */
    c->split.test_fraction = 0.2;
    if ((rc = yn_str(d, s, "split", "method", &method, e)))
        return rc;
    if (method) {
        if (split_method_parse(method) < 0)
            return yn_fail(e, d, yn_get(s, "method"), "split", "unknown method "
                           "'%s' (random, stratified, time, group)", method);
        c->split.method = (split_method_t)split_method_parse(method);
    }
    frac = c->split.valid_fraction;
    if ((rc = yn_num(d, s, "split", "valid_fraction", &frac, e)))
        return rc;
    c->split.valid_fraction = frac;
    frac = c->split.test_fraction;
    if ((rc = yn_num(d, s, "split", "test_fraction", &frac, e)))
        return rc;
    c->split.test_fraction = frac;
    if ((rc = yn_str(d, s, "split", "time_column", &c->split.time_column, e)) ||
        (rc = yn_str(d, s, "split", "test_from", &c->split.test_from, e)) ||
        (rc = yn_str(d, s, "split", "valid_from", &c->split.valid_from, e)) ||
        (rc = yn_str(d, s, "split", "group_column", &c->split.group_column, e)))
        return rc;
    if (c->split.method == SPLIT_TIME && c->split.time_column == NULL)
        c->split.time_column = p->sources[0].timestamp;
    if (c->split.method == SPLIT_GROUP && c->split.group_column == NULL)
        c->split.group_column = p->sources[0].entity;

    /* search */
    if ((rc = yn_str(d, se, "search", "method", &smethod, e)))
        return rc;
    if (strcmp(smethod, "grid") == 0)
        c->search.method = TRAIN_SEARCH_GRID;
    else if (strcmp(smethod, "random") == 0)
        c->search.method = TRAIN_SEARCH_RANDOM;
    else if (strcmp(smethod, "none") != 0)
        return yn_fail(e, d, yn_get(se, "method"), "search", "unknown method "
                       "'%s' (none, grid, random)", smethod);
    num = c->search.n_iter;
    if ((rc = yn_int(d, se, "search", "n_iter", &num, e)))
        return rc;
    c->search.n_iter = (int)num;
    num = c->search.folds;
    if ((rc = yn_int(d, se, "search", "folds", &num, e)))
        return rc;
    c->search.folds = (unsigned)num;
    num = c->search.threads;
    if ((rc = yn_str(d, se, "search", "cv", &c->search.cv, e)) ||
        (rc = yn_int(d, se, "search", "threads", &num, e)))
        return rc;
    c->search.threads = (int)num;
    if (c->search.method != TRAIN_SEARCH_NONE) {
        const ynode_t *space = yn_get(se, "space");
        if (space == NULL || space->kind != YN_MAP || space->n == 0)
            return yn_fail(e, d, space ? space : se, "search", "key 'space' "
                           "must map parameter names to lists of values");
        a->ndims = space->n;
        a->dims = xcalloc(space->n, sizeof(*a->dims));
        a->dim_values = xcalloc(space->n, sizeof(*a->dim_values));
        for (size_t i = 0; i < space->n; i++) {
            size_t nv;
            if ((rc = yn_str_list(d, space, "search.space", space->keys[i],
                               &a->dim_values[i], &nv, e)))
                return rc;
            a->dims[i].key = space->keys[i];
            a->dims[i].values = a->dim_values[i];
            a->dims[i].nvalues = nv;
        }
        c->search.dims = a->dims;
        c->search.ndims = a->ndims;
    }
    return FERR_OK;
}

/* Manifest pieces the registry stores with the model. */
static json_t *build_manifest(const cli_ctx_t *ctx, const project_t *p,
                              const train_result_t *r, const table_t *t,
                              const feat_schema_t *fs, const char *fcol_path,
                              double seconds, ferr_t *e)
{
    json_t *m = json_object(), *metrics = json_object(), *conf = json_object();
    json_t *schema = NULL, *profile = NULL, *lineage, *files;
    const char *key;
    json_t *split;
    const char **cols = (const char **)r->feature_names;

    if (profile_schema(t, cols, r->nfeatures, &schema, e) ||
        profile_compute(t, cols, r->nfeatures, &profile, e)) {
        json_decref(m);
        json_decref(metrics);
        json_decref(conf);
        json_decref(schema);
        return NULL;
    }
    /* metrics: numbers per split; confusion matrices kept beside them */
    json_object_foreach(r->metrics, key, split) {
        json_t *nums = json_object(), *v;
        const char *mk;
        json_object_foreach(split, mk, v) {
            json_t *c = json_object_get(conf, key);
            if (json_is_number(v)) {
                json_object_set(nums, mk, v);
                continue;
            }
            if (c == NULL) {
                c = json_object();
                json_object_set_new(conf, key, c);
            }
            json_object_set(c, mk, v);
        }
        json_object_set_new(metrics, key, nums);
    }
    files = json_array();
    for (size_t i = 0; i < p->nsources; i++)
        json_array_append_new(files, json_string(p->sources[i].path));
    lineage = json_pack("{s:o, s:s, s:s}", "source_files", files, "spec_file",
                        p->file, "feature_table", fcol_path);
    json_object_set_new(m, "objective", json_string(r->objective));
    json_object_set_new(m, "model_kind", json_string(r->kind));
    json_object_set_new(m, "features", schema);
    json_object_set_new(m, "label", json_string(p->label));
    json_object_set(m, "params", r->params);
    json_object_set_new(m, "metrics", metrics);
    json_object_set_new(m, "confusion", conf);
    json_object_set_new(m, "threshold", json_real(r->threshold));
    json_object_set_new(m, "profile", profile);
    if (r->importance)
        json_object_set(m, "importance", r->importance);
    json_object_set_new(m, "seed", json_integer((json_int_t)r->seed));
    json_object_set_new(m, "duration_s", json_real(seconds));
    json_object_set_new(m, "rows", json_pack("{s:I, s:I, s:I}",
                        "train", (json_int_t)r->rows[SPLIT_TRAIN],
                        "valid", (json_int_t)r->rows[SPLIT_VALID],
                        "test", (json_int_t)r->rows[SPLIT_TEST]));
    json_object_set_new(m, "rounds", json_integer(r->rounds));
    if (r->search)
        json_object_set(m, "search", r->search);
    json_object_set(m, "feature_pipeline", fs->vocabularies);
    if (fs->inputs)
        json_object_set(m, "inputs", fs->inputs);
    json_object_set_new(m, "lineage", lineage);
    {
        /* the spec as trained (the file and the --set overrides applied
         * to it), so a version is served by the feature definitions it was
         * trained with, whatever the project file says later */
        char *text = NULL;
        size_t n = 0;
        if (file_read_all(p->file, 16u << 20, &text, &n, NULL) == FERR_OK) {
            json_t *sets = json_array();
            for (size_t i = 0; i < ctx->nsets; i++)
                json_array_append_new(sets, json_string(ctx->sets[i]));
            json_object_set_new(m, "spec_yaml", json_stringn(text, n));
            json_object_set_new(m, "spec_sets", sets);
        }
        free(text);
    }
    json_object_set_new(m, "data_files", json_pack("[s]", fcol_path));
    return m;
}

/* What a record of the new version must carry, from its compiled scoring
 * plan (the one `ferry predict` and the server load): a version whose
 * spec cannot score a lone record is reported now, not at serving time. */
static void report_inputs(cli_ctx_t *ctx, const project_t *p, int version)
{
    predictor_t *pr = NULL;
    ferr_t e = {0};
    char ref[32];
    json_t *in, *f;
    buf_t b = {0};
    size_t i;

    snprintf(ref, sizeof(ref), "%d", version);
    if (predictor_load(cli_registry(ctx, p), p->name, ref, p, NULL, 0, &pr,
                       &e) != FERR_OK) {
        fprintf(stderr, "ferry: warning: train: v%d cannot be loaded for "
                "scoring: %s\n", version, ferr_msg(&e));
        return;
    }
    in = predictor_inputs_json(pr);
    if (json_object_get(in, "error")) {
        fprintf(stderr, "ferry: warning: train: v%d cannot score records one "
                "at a time: %s\n", version,
                json_string_value(json_object_get(in, "error")));
    } else {
        json_array_foreach(json_object_get(in, "fields"), i, f)
            buf_printf(&b, "%s%s", i ? ", " : "",
                       json_string_value(json_object_get(f, "name")));
        cli_info(ctx, "records need %zu fields: %s%s",
                 json_array_size(json_object_get(in, "fields")), b.p ? b.p : "",
                 json_object_get(in, "history") ?
                 " (window features: history from the online store)" : "");
    }
    buf_free(&b);
    json_decref(in);
    predictor_unref(pr);
}

static void print_metrics(cli_ctx_t *ctx, const train_result_t *r)
{
    const char *parts[] = {"train", "valid", "test"};
    if (ctx->quiet)
        return;
    for (size_t i = 0; i < 3; i++) {
        json_t *m = json_object_get(r->metrics, parts[i]), *v, *cm;
        const char *k;
        if (m == NULL || r->rows[i] == 0)
            continue;
        printf("%-5s (%zu rows):", parts[i], r->rows[i]);
        json_object_foreach(m, k, v)
            if (json_is_integer(v))
                printf(" %s %lld", k, (long long)json_integer_value(v));
            else if (json_is_number(v) && strcmp(k, "rows") != 0)
                printf(" %s %.4f", k, json_number_value(v));
        printf("\n");
        cm = json_object_get(m, "confusion");
        if (json_is_array(cm) && json_array_size(cm) == 2) {
            json_t *r0 = json_array_get(cm, 0), *r1 = json_array_get(cm, 1);
            double c[2][2] = {
                {(double)json_integer_value(json_array_get(r0, 0)),
                 (double)json_integer_value(json_array_get(r0, 1))},
                {(double)json_integer_value(json_array_get(r1, 0)),
                 (double)json_integer_value(json_array_get(r1, 1))}};
            printf("      confusion at threshold %.4f (rows: actual 0/1, "
                   "columns: predicted 0/1)\n", r->threshold);
            printf("        %10.0f %10.0f\n        %10.0f %10.0f\n", c[0][0],
                   c[0][1], c[1][0], c[1][1]);
            /* per class, sklearn's classification_report definitions
             * (zero_division=0) */
            for (int cls = 0; cls < 2; cls++) {
                double tp = c[cls][cls], fp = c[1 - cls][cls], fn = c[cls][1 - cls];
                double pr = tp + fp > 0 ? tp / (tp + fp) : 0;
                double rc = tp + fn > 0 ? tp / (tp + fn) : 0;
                double f1 = pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0;
                printf("      class %d: precision %.4f recall %.4f f1 %.4f "
                       "support %.0f\n", cls, pr, rc, f1, tp + fn);
            }
        }
    }
}

static int gate_from_project(const project_t *p, const char *objective,
                             reg_gate_t *g, const char **alias, ferr_t *e)
{
    const ydoc_t *d = p->doc;
    const metric_def_t *def;
    int rc;
    bool cls = objective && strncmp(objective, "binary:", 7) == 0;

    memset(g, 0, sizeof(*g));
    g->metric = cls ? "auc" : "rmse";
    g->split = "test";
    g->floor = NAN;
    *alias = "champion";
    if ((rc = yn_str(d, p->gate, "gate", "metric", &g->metric, e)) ||
        (rc = yn_str(d, p->gate, "gate", "split", &g->split, e)) ||
        (rc = yn_num(d, p->gate, "gate", "tolerance", &g->tolerance, e)) ||
        (rc = yn_num(d, p->gate, "gate", "floor", &g->floor, e)) ||
        (rc = yn_str(d, p->gate, "gate", "alias", alias, e)))
        return rc;
    def = metric_find(g->metric);
    if (def == NULL)
        return yn_fail(e, d, yn_get(p->gate, "metric"), "gate", "unknown metric "
                       "'%s'", g->metric);
    g->higher_is_better = def->higher_is_better;
    return FERR_OK;
}

int cmd_train(cli_ctx_t *ctx, int argc, char **argv)
{
    project_t *p;
    train_config_t cfg;
    train_alloc_t alloc;
    train_result_t res;
    feat_schema_t fs = {0};
    table_t *t = NULL;
    reg_t *reg = NULL;
    json_t *manifest = NULL;
    buf_t fcol = {0}, schema_path = {0};
    const char **feats = NULL;
    bool promote = false, force = false;
    const char *promote_alias = NULL;
    double t0 = now_seconds();
    ferr_t e = {0};
    int version = 0, rc;

    memset(&res, 0, sizeof(res));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--promote") == 0) {
            promote = true;
            if (i + 1 < argc && argv[i + 1][0] != '-')
                promote_alias = argv[++i];
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else {
            cli_error("train: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    if ((p = cli_load_project(ctx, "train")) == NULL)
        return 1;
    buf_printf(&fcol, "%s/%s.fcol", p->output_dir, p->output_name);
    buf_printf(&schema_path, "%s/%s.schema.json", p->output_dir, p->output_name);
    rc = config_from_project(p, &cfg, &alloc, &e);
    cfg.quiet = ctx->quiet;
    if (rc == FERR_OK) {
        rc = feat_schema_load(schema_path.p, &fs, &e);
        if (rc == FERR_OK)
            rc = fcol_read(fcol.p, &t, &e);
        if (rc)
            ferr_prefix(&e, "no feature table (run `ferry features build` "
                        "first): ");
    }
    if (rc == FERR_OK && cfg.features == NULL) {
        /* every built feature (not the label, ids or carried columns),
         * less model.exclude */
        size_t n = feat_schema_features(&fs, NULL, 0), k = 0;
        feats = xcalloc(n + 1, sizeof(*feats));
        feat_schema_features(&fs, feats, n);
        for (size_t i = 0; i < n; i++) {
            bool excluded = false;
            for (size_t j = 0; j < cfg.nexclude; j++)
                excluded |= strcmp(feats[i], cfg.exclude[j]) == 0;
            if (!excluded)
                feats[k++] = feats[i];
        }
        cfg.features = feats;
        cfg.nfeatures = k;
    }
    if (rc == FERR_OK)
        rc = train_run(t, &cfg, &res, &e);
    if (rc == FERR_OK) {
        print_metrics(ctx, &res);
        manifest = build_manifest(ctx, p, &res, t, &fs, fcol.p, now_seconds() - t0, &e);
        rc = manifest ? FERR_OK : FERR_EXTERNAL;
    }
    if (rc == FERR_OK)
        rc = reg_open(cli_registry(ctx, p), &reg, &e);
    if (rc == FERR_OK)
        rc = reg_register(reg, p->name, res.model, res.model_len, manifest,
                          &version, &e);
    if (rc == FERR_OK) {
        cli_info(ctx, "registered %s v%d (%s, %s) in %s", p->name, version,
                 res.kind, res.objective, reg_dir(reg));
        report_inputs(ctx, p, version);
    }
    if (rc == FERR_OK && promote) {
        reg_gate_t gate;
        const char *alias;
        rc = gate_from_project(p, res.objective, &gate, &alias, &e);
        if (promote_alias)
            alias = promote_alias;
        if (rc == FERR_OK)
            rc = reg_promote(reg, p->name, version, alias, &gate, force,
                             "ferry train --promote", &e);
        if (rc == FERR_OK)
            cli_info(ctx, "%s@%s -> v%d", p->name, alias, version);
    }
    if (rc)
        cli_error("train: %s", ferr_msg(&e));
    json_decref(manifest);
    if (reg)
        reg_close(reg);
    train_result_free(&res);
    train_alloc_free(&alloc);
    free(feats);
    feat_schema_free(&fs);
    table_free(t);
    buf_free(&fcol);
    buf_free(&schema_path);
    project_free(p);
    return rc == FERR_REFUSED ? 3 : rc ? 1 : 0;
}

int train_check_project(const project_t *p, const feat_schema_t *fs,
                        ferr_t *e)
{
    train_config_t cfg;
    train_alloc_t alloc;
    reg_gate_t gate;
    const char *alias;
    const char *const *lists[2];
    size_t nlists[2];
    int rc;

    if (p->label == NULL && p->model == NULL && p->split == NULL &&
        p->search == NULL && p->gate == NULL)
        return FERR_OK; /* a features-only project */
    rc = config_from_project(p, &cfg, &alloc, e);
    if (rc == FERR_OK && (rc = train_config_check(&cfg, e)) != FERR_OK)
        ferr_prefix(e, "%s: ", p->file);
    if (rc == FERR_OK)
        rc = gate_from_project(p, cfg.objective ? cfg.objective :
                               cfg.model == TRAIN_RIDGE ? "reg:squarederror" :
                               "binary:logistic", &gate, &alias, e);
    /* model.features and model.exclude name built columns */
    lists[0] = cfg.features;
    nlists[0] = cfg.nfeatures;
    lists[1] = cfg.exclude;
    nlists[1] = cfg.nexclude;
    for (size_t l = 0; l < 2 && rc == FERR_OK && fs && fs->columns; l++)
        for (size_t j = 0; j < nlists[l] && rc == FERR_OK; j++) {
            size_t k;
            json_t *col;
            bool found = false;
            json_array_foreach(fs->columns, k, col)
                found |= strcmp(json_string_value(json_object_get(col, "name")),
                                lists[l][j]) == 0;
            /* "<name>=<value>" of a one-hot vocabulary learned from data */
            for (size_t f = 0; f < p->nfeatures && !found; f++) {
                const proj_feature_t *pf = &p->features[f];
                size_t n = strlen(pf->name);
                found = pf->kind == FEAT_ONEHOT && pf->vocabulary == NULL &&
                        strncmp(lists[l][j], pf->name, n) == 0 &&
                        lists[l][j][n] == '=';
            }
            if (!found)
                rc = yn_fail(e, p->doc, yn_get(p->model, l ? "exclude" : "features"),
                             "model", "'%s' in %s is not a column of the feature "
                             "table", lists[l][j], l ? "exclude" : "features");
        }
    train_alloc_free(&alloc);
    return rc;
}
