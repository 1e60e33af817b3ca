/*
 * predictor.c - load a registry version for scoring (see predictor.h).
 */
#include "scoring/predictor.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/afile.h"
#include "base/mem.h"
#include "features/pipeline.h"
#include "predict/tree.h"
#include "registry/registry.h"
#include "train/linear.h"
#include "train/train.h"

#define PREDICTOR_MAX_MODEL_BYTES (1u << 30)

struct predictor {
    atomic_int refs;
    int version;
    char *objective;
    double threshold;
    tree_model_t *tree;     /* XGBoost models */
    linear_model_t linear;  /* otherwise */
    bool is_linear;
    char **features;
    size_t nfeatures;
    json_t *vocabularies;   /* learned feature state, for FEAT_APPLY */
    const project_t *project; /* frozen, or the caller's */
    project_t *frozen;      /* owned: the spec as trained, if recorded */
    feat_exprs_t *exprs;    /* the project's expressions, compiled once */
    rec_plan_t *plan;       /* one record's scoring plan, or NULL: */
    char plan_why[FERR_MSG_MAX]; /* why records cannot be scored */
};

/* The project as the version was trained: the manifest's spec_yaml with
 * its spec_sets applied, paths resolved against the caller's project
 * directory (where the raw files are). */
static int load_frozen_spec(predictor_t *pr, const json_t *m, const char *name,
                            const char *where, const project_t *p,
                            const char *const *extra, size_t nextra, ferr_t *e)
{
    const json_t *text = json_object_get(m, "spec_yaml");
    const json_t *jsets = json_object_get(m, "spec_sets"), *it;
    size_t i, nsets = json_is_array(jsets) ? json_array_size(jsets) : 0;
    const char **sets = xcalloc(nsets + nextra + 1, sizeof(*sets));
    char label[320];
    int rc = FERR_OK;

    if (jsets && !json_is_array(jsets))
        rc = ferr_set(e, FERR_CORRUPT, "%s: $.spec_sets: expected an "
                      "array of strings", where);
    json_array_foreach(jsets, i, it) {
        if (rc == FERR_OK && !json_is_string(it))
            rc = ferr_set(e, FERR_CORRUPT, "%s: $.spec_sets[%zu]: "
                          "expected a string", where, i);
        sets[i] = json_string_value(it);
    }
    for (size_t k = 0; k < nextra; k++)
        sets[nsets + k] = extra[k];
    snprintf(label, sizeof(label), "%s v%d spec_yaml", name, pr->version);
    if (rc == FERR_OK)
        rc = project_load_mem(label, json_string_value(text),
                              json_string_length(text), p ? p->dir : ".",
                              sets, nsets + nextra, &pr->frozen, e);
    free(sets);
    if (rc == FERR_OK)
        pr->project = pr->frozen;
    return rc;
}

static int load_features(predictor_t *pr, const json_t *manifest,
                         const char *where, ferr_t *e)
{
    json_t *f = json_object_get(manifest, "features"), *it;
    size_t i;
    if (!json_is_array(f) || json_array_size(f) == 0)
        return ferr_set(e, FERR_CORRUPT, "%s: $.features must be a "
                        "non-empty array", where);
    pr->nfeatures = json_array_size(f);
    pr->features = xcalloc(pr->nfeatures, sizeof(char *));
    json_array_foreach(f, i, it) {
        const char *name = json_is_string(it) ? json_string_value(it) :
                           json_string_value(json_object_get(it, "name"));
        if (name == NULL)
            return ferr_set(e, FERR_CORRUPT, "%s: $.features[%zu]: no "
                            "name", where, i);
        pr->features[i] = xstrdup(name);
    }
    return FERR_OK;
}

/* The scoring plan of one record.  A version whose spec cannot score a
 * lone record (a join source that does not load, a feature the spec no
 * longer makes) still scores feature tables: the reason is kept and given
 * to every record instead. */
static void load_plan(predictor_t *pr, const json_t *m)
{
    const project_t *p = pr->project;
    table_t **src = xcalloc(p->nsources + 1, sizeof(*src));
    ferr_t e = {0};
    int rc = FERR_OK;

    for (size_t i = 1; rc == FERR_OK && p->njoins && i < p->nsources; i++)
        rc = feat_read_source_file(p, i, NULL, NULL, &src[i], NULL, &e);
    if (rc == FERR_OK)
        rc = rec_plan_new(p, pr->vocabularies, json_object_get(m, "inputs"),
                          (const char *const *)pr->features, pr->nfeatures,
                          src, &pr->plan, &e);
    if (rc)
        snprintf(pr->plan_why, sizeof(pr->plan_why), "%s", ferr_msg(&e));
    for (size_t i = 0; i < p->nsources; i++)
        table_free(src[i]);
    free(src);
}

int predictor_load(const char *registry_dir, const char *name,
                   const char *ref, const project_t *p,
                   const char *const *sets, size_t nsets, predictor_t **out,
                   ferr_t *e)
{
    predictor_t *pr = xcalloc(1, sizeof(*pr));
    reg_t *reg = NULL;
    json_t *m = NULL, *voc;
    char *path = NULL, *where = NULL, *bytes = NULL;
    const char *kind;
    size_t n = 0;
    int rc;

    atomic_init(&pr->refs, 1);
    pr->project = p;
    pr->threshold = 0.5;
    rc = reg_open(registry_dir, &reg, e);
    if (rc == FERR_OK)
        rc = reg_resolve(reg, name, ref, &pr->version, e);
    if (rc == FERR_OK)
        rc = reg_load_manifest(reg, name, pr->version, &m, e);
    if (rc == FERR_OK) {
        path = reg_model_path(reg, name, pr->version, m);
        where = reg_manifest_path(reg, name, pr->version);
        rc = file_read_all(path, PREDICTOR_MAX_MODEL_BYTES, &bytes, &n, e);
    }
    if (rc == FERR_OK)
        rc = load_features(pr, m, where, e);
    if (rc == FERR_OK) {
        json_t *th = json_object_get(m, "threshold");
        pr->objective = xstrdup(json_string_value(json_object_get(m, "objective"))
                                    ?: "binary:logistic");
        if (json_is_number(th))
            pr->threshold = json_number_value(th);
        kind = json_string_value(json_object_get(m, "model_kind"));
        pr->is_linear = kind && (strcmp(kind, "ridge") == 0 ||
                                 strcmp(kind, "logistic") == 0);
        if (pr->is_linear)
            rc = linear_from_json(bytes, n, &pr->linear, e);
        else
            rc = tree_model_load_json(bytes, n, &pr->tree, e);
        if (rc)
            ferr_prefix(e, "%s: ", path);
    }
    /* Rows are built from the manifest's list: one name short leaves the
     * model reading past it, one extra shifts every column. */
    if (rc == FERR_OK && pr->is_linear && pr->linear.nin != pr->nfeatures)
        rc = ferr_set(e, FERR_CORRUPT, "%s: $.features: %zu features, but "
                      "the model reads %zu", where, pr->nfeatures,
                      pr->linear.nin);
    if (rc == FERR_OK && !pr->is_linear &&
        (rc = tree_model_check_features(pr->tree,
                                        (const char *const *)pr->features,
                                        pr->nfeatures, e)))
        ferr_prefix(e, "%s: ", where);
    if (rc == FERR_OK && json_is_string(json_object_get(m, "spec_yaml")))
        rc = load_frozen_spec(pr, m, name, where, p, sets, nsets, e);
    if (rc == FERR_OK && pr->project == NULL)
        rc = ferr_set(e, FERR_USAGE, "no feature spec: the version records "
                      "none and no project was given");
    if (rc == FERR_OK)
        pr->exprs = feat_exprs_new(pr->project);
    if (rc == FERR_OK) {
        voc = json_object_get(m, "feature_pipeline");
        pr->vocabularies = json_is_object(voc) ? json_incref(voc) :
                                                 json_object();
        load_plan(pr, m);
    }
    if (rc)
        ferr_prefix(e, "%s@%s: ", name, ref);
    free(path);
    free(where);
    free(bytes);
    json_decref(m);
    if (reg)
        reg_close(reg);
    if (rc) {
        predictor_unref(pr);
        return rc;
    }
    *out = pr;
    return FERR_OK;
}

predictor_t *predictor_ref(predictor_t *pr)
{
    atomic_fetch_add(&pr->refs, 1);
    return pr;
}

void predictor_unref(predictor_t *pr)
{
    if (pr == NULL || atomic_fetch_sub(&pr->refs, 1) != 1)
        return;
    if (pr->tree)
        tree_model_unref(pr->tree);
    if (pr->is_linear)
        linear_free(&pr->linear);
    for (size_t i = 0; i < pr->nfeatures; i++)
        free(pr->features[i]);
    free(pr->features);
    free(pr->objective);
    json_decref(pr->vocabularies);
    feat_exprs_free(pr->exprs);
    rec_plan_free(pr->plan);
    project_free(pr->frozen);
    free(pr);
}

int predictor_version(const predictor_t *pr) { return pr->version; }
const project_t *predictor_project(const predictor_t *pr) { return pr->project; }
double predictor_threshold(const predictor_t *pr) { return pr->threshold; }
const char *predictor_objective(const predictor_t *pr) { return pr->objective; }
size_t predictor_num_features(const predictor_t *pr) { return pr->nfeatures; }
const char *predictor_feature(const predictor_t *pr, size_t i)
{
    return pr->features[i];
}

int predictor_score_features(const predictor_t *pr, const table_t *t,
                             double *out, ferr_t *e)
{
    train_matrix_t mx;
    int rc = train_matrix_from_table(t, (const char *const *)pr->features,
                                     pr->nfeatures, NULL, &mx, e);
    if (rc)
        return rc;
    if (pr->is_linear)
        linear_predict(&pr->linear, mx.x, mx.nrows, out);
    else
        rc = tree_predict_batch(pr->tree, mx.x, mx.nrows, mx.nfeat, out, 0);
    train_matrix_free(&mx);
    return rc;
}

int predictor_score_raw(const predictor_t *pr, table_t *const *sources,
                        double *out, table_t **features, ferr_t *e)
{
    table_t *t = NULL;
    /* no columns description asked for: scoring does not need it */
    feat_schema_t s = {.vocabularies = pr->vocabularies, .columns = NULL};
    int rc = feat_run_cached(pr->project, pr->exprs, sources, FEAT_APPLY, &s,
                             &t, e);
    if (rc == FERR_OK)
        rc = predictor_score_features(pr, t, out, e);
    if (rc == FERR_OK && features)
        *features = t;
    else
        table_free(t);
    return rc;
}

const rec_plan_t *predictor_plan(const predictor_t *pr) { return pr->plan; }

int predictor_ctx_new(const predictor_t *pr, const char *online_path,
                      rec_ctx_t **out, ferr_t *e)
{
    *out = NULL;
    if (pr->plan == NULL)
        return ferr_set(e, FERR_UNSUPPORTED, "v%d cannot score one record: "
                        "%s", pr->version, pr->plan_why);
    if (online_path == NULL && rec_plan_needs_history(pr->plan))
        online_path = pr->project->online_path;
    return rec_ctx_new(pr->plan, online_path, out, e);
}

/* Model rows up to this wide live on the stack. */
#define PREDICTOR_STACK_ROW 512

int predictor_score_record(const predictor_t *pr, rec_ctx_t *cx,
                           const str_t *vals, double *score, ferr_t *e)
{
    float stack[PREDICTOR_STACK_ROW], *x = stack;
    int rc;

    if (pr->nfeatures > PREDICTOR_STACK_ROW)
        x = xmalloc(pr->nfeatures * sizeof(*x));
    rc = rec_eval(cx, vals, x, e);
    if (rc == FERR_OK) {
        if (pr->is_linear)
            linear_predict(&pr->linear, x, 1, score);
        else
            *score = tree_predict_row(pr->tree, x);
    }
    if (x != stack)
        free(x);
    return rc;
}

json_t *predictor_inputs_json(const predictor_t *pr)
{
    json_t *o = json_object(), *fields = json_array();
    const rec_plan_t *pl = pr->plan;
    if (pl == NULL) {
        json_object_set_new(o, "error", json_string(pr->plan_why));
        json_object_set_new(o, "fields", fields);
        return o;
    }
    for (size_t i = 0; i < rec_plan_nfields(pl); i++) {
        const rec_field_t *f = rec_plan_field(pl, i);
        static const char *const unk[] = {"reject", "missing", "ignore"};
        json_t *j = json_pack("{s:s, s:s, s:s, s:b}", "name", f->name, "type",
                              ftype_name(f->type), "role", f->role,
                              "nullable", f->nullable);
        if (f->format)
            json_object_set_new(j, "format", json_string(f->format));
        if (f->values) {
            json_t *v = json_array();
            for (size_t k = 0; k < f->nvalues; k++)
                json_array_append_new(v, json_string(f->values[k]));
            json_object_set_new(j, "values", v);
            json_object_set_new(j, "unknown", json_string(unk[f->unknown]));
        }
        json_array_append_new(fields, j);
    }
    json_object_set_new(o, "fields", fields);
    if (rec_plan_needs_history(pl)) {
        const char **names;
        size_t n = rec_plan_history_columns(pl, &names);
        json_t *h = json_array();
        for (size_t k = 0; k < n; k++)
            json_array_append_new(h, json_string(names[k]));
        json_object_set_new(o, "history", json_pack("{s:s?, s:o}", "by",
                            rec_plan_history_by(pl), "columns", h));
    }
    return o;
}
