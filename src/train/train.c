/*
 * train.c - the training step (see train.h): matrix, XGBoost and linear
 * fits, parameter search with k-fold CV on worker threads, evaluation.
 *
 * Parameters flow through one ordered key/value list (plist_t): defaults,
 * then model.params verbatim, then the search's overrides, later keys
 * replacing earlier ones.  The few keys that are not booster parameters
 * (num_rounds, early_stopping_rounds, the linear knobs, scale_pos_weight:
 * auto) are resolved from that list by a table, so the YAML, the search
 * space and the effective-params record all speak the same names.
 */
#include "train/train.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "base/mem.h"
#include "base/progress.h"
#include "base/str.h"
#include "base/vec.h"
#include "predict/tree.h"
#include "train/metrics.h"

#define TRAIN_MAX_CONFIGS 100000 /* a search grid larger than this is a typo */

static const struct { const char *name; train_model_kind_t k; } model_kinds[] = {
#define TRAIN_MODEL_ROW_(name, e, doc) {name, e},
    TRAIN_MODEL_TABLE(TRAIN_MODEL_ROW_)
#undef TRAIN_MODEL_ROW_
};

int train_model_kind_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(model_kinds) / sizeof(model_kinds[0]); i++)
        if (name != NULL && strcmp(model_kinds[i].name, name) == 0)
            return (int)model_kinds[i].k;
    return -1;
}

const char *train_model_kind_name(train_model_kind_t k)
{
    for (size_t i = 0; i < sizeof(model_kinds) / sizeof(model_kinds[0]); i++)
        if (model_kinds[i].k == k)
            return model_kinds[i].name;
    return "?";
}

void train_config_default(train_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->model = TRAIN_XGBOOST;
    cfg->num_rounds = 100;
    cfg->seed = 42;
    cfg->split.method = SPLIT_RANDOM;
    cfg->split.test_fraction = 0.2;
    cfg->search.n_iter = 10;
    cfg->search.folds = 3;
    linear_config_default(&cfg->linear, LINEAR_RIDGE);
}

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Threads for a request: 0 (or less) means all cores, and no request gets
 * more than TRAIN_MAX_THREADS (libgomp crashes when asked for 100,000). */
static int thread_count(int want)
{
    int n = want > 0 ? want : ncores();
    return n < TRAIN_MAX_THREADS ? n : TRAIN_MAX_THREADS;
}

/* ---- matrix ------------------------------------------------------------- */

int train_matrix_from_table(const table_t *t, const char *const *features,
                            size_t nfeat, const char *label,
                            train_matrix_t *out, ferr_t *e)
{
    size_t n = t->nrows;
    memset(out, 0, sizeof(*out));
    const column_t *lc = NULL;
    if (label != NULL) {
        lc = table_find(t, label);
        if (lc == NULL)
            return ferr_set(e, FERR_NOTFOUND, "label column %s not found in the "
                            "feature table (%zu columns)", label, t->ncols);
        if (!ftype_is_numeric(lc->type))
            return ferr_set(e, FERR_TYPE, "label column %s is %s; it must be a "
                            "number or bool", label, ftype_name(lc->type));
        size_t nulls = col_null_count(lc);
        if (nulls > 0)
            return ferr_set(e, FERR_RANGE, "label column %s has %zu null values "
                            "(of %zu rows); drop or fill them first", label, nulls,
                            n);
    }
    if (nfeat == 0)
        return ferr_set(e, FERR_RANGE, "no feature columns to train on");
    for (size_t j = 0; j < nfeat; j++) {
        const column_t *c = table_find(t, features[j]);
        if (c == NULL)
            return ferr_set(e, FERR_NOTFOUND, "feature column %s not found",
                            features[j]);
        if (!ftype_is_numeric(c->type))
            return ferr_set(e, FERR_TYPE, "feature column %s is %s; training "
                            "needs numbers (one-hot encode categories in the "
                            "features stage, or exclude the column)",
                            features[j], ftype_name(c->type));
        if (label != NULL && strcmp(features[j], label) == 0)
            return ferr_set(e, FERR_USAGE, "column %s is both the label and a "
                            "feature", label);
    }
    if (n == 0)
        return ferr_set(e, FERR_RANGE, "the feature table has no rows");
    if (n > SIZE_MAX / sizeof(float) / nfeat)
        return ferr_set(e, FERR_LIMIT, "%zu x %zu matrix is too large", n, nfeat);
    out->x = malloc(n * nfeat * sizeof(float));
    out->y = label ? malloc(n * sizeof(double)) : NULL;
    if (out->x == NULL || (label && out->y == NULL)) {
        free(out->x), free(out->y);
        memset(out, 0, sizeof(*out));
        return ferr_set(e, FERR_NOMEM, "training matrix of %zu x %zu", n, nfeat);
    }
    out->nrows = n;
    out->nfeat = nfeat;
    out->names = xcalloc(nfeat, sizeof(char *));
    for (size_t j = 0; j < nfeat; j++) {
        const column_t *c = table_find(t, features[j]);
        out->names[j] = xstrdup(features[j]);
        float *x = out->x + j;
        switch (c->type) { /* one tight loop per physical layout */
        case FT_FLOAT:
            for (size_t i = 0; i < n; i++)
                x[i * nfeat] = (float)c->f64[i];
            break;
        case FT_BOOL:
            for (size_t i = 0; i < n; i++)
                x[i * nfeat] = (float)c->u8[i];
            break;
        default:
            for (size_t i = 0; i < n; i++)
                x[i * nfeat] = (float)c->i64[i];
        }
        if (c->null != NULL)
            for (size_t i = 0; i < n; i++)
                if (c->null[i])
                    x[i * nfeat] = NAN;
    }
    for (size_t i = 0; lc != NULL && i < n; i++)
        out->y[i] = col_num(lc, i);
    return FERR_OK;
}

void train_matrix_take(const train_matrix_t *m, const size_t *rows, size_t n,
                       train_matrix_t *out)
{
    out->nrows = n;
    out->nfeat = m->nfeat;
    out->x = xmalloc((n ? n : 1) * m->nfeat * sizeof(float));
    out->y = m->y ? xmalloc((n ? n : 1) * sizeof(double)) : NULL;
    out->names = xcalloc(m->nfeat, sizeof(char *));
    for (size_t j = 0; j < m->nfeat; j++)
        out->names[j] = xstrdup(m->names[j]);
    for (size_t i = 0; i < n; i++) {
        memcpy(out->x + i * m->nfeat, m->x + rows[i] * m->nfeat,
               m->nfeat * sizeof(float));
        if (m->y)
            out->y[i] = m->y[rows[i]];
    }
}

void train_matrix_free(train_matrix_t *m)
{
    if (m->names)
        for (size_t j = 0; j < m->nfeat; j++)
            free(m->names[j]);
    free(m->names), free(m->x), free(m->y);
    memset(m, 0, sizeof(*m));
}

/* ---- parameter lists ---------------------------------------------------- */

typedef struct plist {
    VEC(train_param_t) v; /* keys and values owned (xstrdup) */
} plist_t;

static void plist_set(plist_t *p, const char *key, const char *value)
{
    for (size_t i = 0; i < p->v.n; i++) {
        if (strcmp(p->v.a[i].key, key) == 0) {
            free((char *)p->v.a[i].value);
            p->v.a[i].value = xstrdup(value);
            return;
        }
    }
    train_param_t kv = {xstrdup(key), xstrdup(value)};
    VEC_PUSH(&p->v, kv);
}

static const char *plist_get(const plist_t *p, const char *key)
{
    for (size_t i = 0; i < p->v.n; i++)
        if (strcmp(p->v.a[i].key, key) == 0)
            return p->v.a[i].value;
    return NULL;
}

static void plist_free(plist_t *p)
{
    for (size_t i = 0; i < p->v.n; i++) {
        free((char *)p->v.a[i].key);
        free((char *)p->v.a[i].value);
    }
    free(p->v.a);
    memset(p, 0, sizeof(*p));
}

/* A JSON value for a parameter: numbers and booleans typed, else a string. */
static json_t *param_json(const char *v)
{
    char *end;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        return json_boolean(v[0] == 't');
    long long ll = strtoll(v, &end, 10);
    if (end != v && *end == '\0')
        return json_integer(ll);
    double d = strtod(v, &end);
    if (end != v && *end == '\0' && isfinite(d))
        return json_real(d);
    return json_string(v);
}

static json_t *plist_json(const plist_t *p)
{
    json_t *o = json_object();
    for (size_t i = 0; i < p->v.n; i++)
        json_object_set_new(o, p->v.a[i].key, param_json(p->v.a[i].value));
    return o;
}

/* Everything one fit needs, resolved from config + overrides. */
typedef struct fit_spec {
    train_model_kind_t kind;
    plist_t booster;     /* XGBoost params, strings, in application order */
    int num_rounds;
    int esr;             /* early_stopping_rounds */
    linear_config_t lin;
} fit_spec_t;

static int parse_int_param(const char *key, const char *v, long lo, long hi,
                           long *out, ferr_t *e)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || x < lo || x > hi)
        return ferr_set(e, FERR_SPEC, "model param %s: '%s' is not an integer "
                        "in [%ld, %ld]", key, v, lo, hi);
    *out = x;
    return FERR_OK;
}

/* The ranges match ferry.yaml's key table (src/project/project.c), so a
 * value refused in model: is refused in model.params and search.space. */
static int parse_num_param(const char *key, const char *v, double lo, double hi,
                           double *out, ferr_t *e)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || !isfinite(x) || x < lo || x > hi)
        return ferr_set(e, FERR_SPEC, "model param %s: '%s' is not a number "
                        "in [%g, %g]", key, v, lo, hi);
    *out = x;
    return FERR_OK;
}

static int parse_bool_param(const char *key, const char *v, bool *out, ferr_t *e)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return *out = true, FERR_OK;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return *out = false, FERR_OK;
    return ferr_set(e, FERR_SPEC, "model param %s: '%s' is not true or false", key, v);
}

/* Keys that are not passed to XGBoost: for which models, and how. */
enum { FOR_XGB = 1, FOR_LIN = 2, FOR_ALL = 3 };
typedef enum { PK_ROUNDS, PK_ESR, PK_ALPHA, PK_C, PK_KBEST, PK_INTER, PK_STD,
               PK_MAXITER } pkey_t;
static const struct { const char *key; int models; pkey_t k; } special_keys[] = {
    {"num_rounds", FOR_XGB, PK_ROUNDS},
    {"n_estimators", FOR_XGB, PK_ROUNDS},
    {"early_stopping_rounds", FOR_XGB, PK_ESR},
    {"alpha", FOR_LIN, PK_ALPHA},   /* for xgboost, alpha is L1: passed on */
    {"C", FOR_LIN, PK_C},
    {"k_best", FOR_LIN, PK_KBEST},
    {"interactions", FOR_LIN, PK_INTER},
    {"standardize", FOR_LIN, PK_STD},
    {"max_iter", FOR_LIN, PK_MAXITER},
};

static int apply_special(fit_spec_t *s, pkey_t k, const char *key,
                         const char *v, ferr_t *e)
{
    long l;
    int rc = FERR_OK;
    switch (k) {
    case PK_ROUNDS:
        if ((rc = parse_int_param(key, v, 1, 1000000, &l, e)) == FERR_OK)
            s->num_rounds = (int)l;
        break;
    case PK_ESR:
        if ((rc = parse_int_param(key, v, 0, 1000000, &l, e)) == FERR_OK)
            s->esr = (int)l;
        break;
    case PK_ALPHA:
        rc = parse_num_param(key, v, 0, 1e9, &s->lin.alpha, e);
        break;
    case PK_C:
        rc = parse_num_param(key, v, 1e-9, 1e9, &s->lin.C, e);
        break;
    case PK_KBEST:
        if ((rc = parse_int_param(key, v, 0, 1000000, &l, e)) == FERR_OK)
            s->lin.k_best = (size_t)l;
        break;
    case PK_INTER:
        rc = parse_bool_param(key, v, &s->lin.interactions, e);
        break;
    case PK_STD:
        rc = parse_bool_param(key, v, &s->lin.standardize, e);
        break;
    case PK_MAXITER:
        if ((rc = parse_int_param(key, v, 1, 1000000, &l, e)) == FERR_OK)
            s->lin.max_iter = (int)l;
        break;
    }
    return rc;
}

static int spec_apply(fit_spec_t *s, const char *key, const char *value, ferr_t *e)
{
    int mask = s->kind == TRAIN_XGBOOST ? FOR_XGB : FOR_LIN;
    for (size_t i = 0; i < sizeof(special_keys) / sizeof(special_keys[0]); i++)
        if ((special_keys[i].models & mask) && strcmp(special_keys[i].key, key) == 0)
            return apply_special(s, special_keys[i].k, key, value, e);
    if (s->kind != TRAIN_XGBOOST)
        return ferr_set(e, FERR_SPEC, "model param %s does not apply to a %s "
                        "model (alpha, C, k_best, interactions, standardize, "
                        "max_iter do)", key, train_model_kind_name(s->kind));
    plist_set(&s->booster, key, value);
    return FERR_OK;
}

static const char *objective_of(const train_config_t *cfg)
{
    if (cfg->model == TRAIN_LOGISTIC)
        return "binary:logistic";
    if (cfg->model == TRAIN_RIDGE)
        return "reg:squarederror";
    return cfg->objective ? cfg->objective : "binary:logistic";
}

static bool is_classification(const char *objective)
{
    return strncmp(objective, "binary:", 7) == 0;
}

/* Resolve config + overrides for one fit on training labels y (n rows). */
static int spec_build(const train_config_t *cfg, const train_param_t *ov,
                      size_t nov, const double *y, size_t n, int nthread,
                      fit_spec_t *s, ferr_t *e)
{
    char buf[64];
    int rc;
    memset(s, 0, sizeof(*s));
    s->kind = cfg->model;
    s->num_rounds = cfg->num_rounds > 0 ? cfg->num_rounds : 100;
    s->esr = cfg->early_stopping_rounds;
    s->lin = cfg->linear;
    s->lin.kind = cfg->model == TRAIN_LOGISTIC ? LINEAR_LOGISTIC : LINEAR_RIDGE;
    if (s->kind == TRAIN_XGBOOST) {
        const char *obj = objective_of(cfg);
        plist_set(&s->booster, "objective", obj);
        plist_set(&s->booster, "tree_method", "hist");
        plist_set(&s->booster, "eval_metric", cfg->eval_metric ? cfg->eval_metric
                  : is_classification(obj) ? "auc" : "rmse");
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cfg->seed);
        plist_set(&s->booster, "seed", buf);
    }
    for (size_t i = 0; i < cfg->nparams; i++)
        if ((rc = spec_apply(s, cfg->params[i].key, cfg->params[i].value, e)) != FERR_OK)
            goto fail;
    for (size_t i = 0; i < nov; i++)
        if ((rc = spec_apply(s, ov[i].key, ov[i].value, e)) != FERR_OK)
            goto fail;
    if (s->kind == TRAIN_XGBOOST) {
        /* nthread is pinned by the caller (1 per fit inside a parallel
         * search), whatever model.params said */
        snprintf(buf, sizeof(buf), "%d", nthread);
        plist_set(&s->booster, "nthread", buf);
        const char *spw = plist_get(&s->booster, "scale_pos_weight");
        if (spw != NULL && strcmp(spw, "auto") == 0) {
            double pos = 0;
            for (size_t i = 0; i < n; i++)
                pos += y[i] > 0.5;
            if (pos == 0) {
                rc = ferr_set(e, FERR_RANGE, "scale_pos_weight auto: no positive "
                              "row in the training part");
                goto fail;
            }
            snprintf(buf, sizeof(buf), "%.17g", ((double)n - pos) / pos);
            plist_set(&s->booster, "scale_pos_weight", buf);
        }
    }
    return FERR_OK;
fail:
    plist_free(&s->booster);
    return rc;
}

static json_t *spec_json(const fit_spec_t *s)
{
    json_t *o;
    if (s->kind == TRAIN_XGBOOST) {
        o = plist_json(&s->booster);
        json_object_set_new(o, "num_rounds", json_integer(s->num_rounds));
        json_object_set_new(o, "early_stopping_rounds", json_integer(s->esr));
    } else {
        o = json_object();
        if (s->kind == TRAIN_RIDGE)
            json_object_set_new(o, "alpha", json_real(s->lin.alpha));
        else
            json_object_set_new(o, "C", json_real(s->lin.C));
        json_object_set_new(o, "standardize", json_boolean(s->lin.standardize));
        json_object_set_new(o, "interactions", json_boolean(s->lin.interactions));
        json_object_set_new(o, "k_best", json_integer((json_int_t)s->lin.k_best));
        json_object_set_new(o, "max_iter", json_integer(s->lin.max_iter));
    }
    return o;
}

/* ---- XGBoost ------------------------------------------------------------ */

#define XGB_TRY(call, what)                                                   \
    do {                                                                      \
        if ((call) != 0) {                                                    \
            rc = ferr_set(e, FERR_EXTERNAL, "xgboost %s: %s", (what),         \
                          XGBGetLastError());                                 \
            goto out;                                                         \
        }                                                                     \
    } while (0)

static int xgb_dmatrix(const train_matrix_t *m, int nthread, DMatrixHandle *out,
                       ferr_t *e)
{
    int rc = FERR_OK;
    DMatrixHandle h = NULL;
    *out = NULL;
    XGB_TRY(XGDMatrixCreateFromMat_omp(m->x, m->nrows, m->nfeat, NAN, &h, nthread),
            "creating the matrix");
    if (m->y != NULL) {
        float *lab = xmalloc((m->nrows ? m->nrows : 1) * sizeof(float));
        for (size_t i = 0; i < m->nrows; i++)
            lab[i] = (float)m->y[i];
        int r = XGDMatrixSetFloatInfo(h, "label", lab, m->nrows);
        free(lab);
        XGB_TRY(r, "setting labels");
    }
    XGB_TRY(XGDMatrixSetStrFeatureInfo(h, "feature_name", (const char **)m->names,
                                       m->nfeat), "setting feature names");
    *out = h;
    return FERR_OK;
out:
    if (h)
        XGDMatrixFree(h);
    return rc;
}

/* metric names XGBoost maximizes (python's early-stopping callback list) */
static bool xgb_maximize(const char *metric)
{
    static const char *const up[] = {"auc", "aucpr", "pre", "map", "ndcg"};
    for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
        size_t l = strlen(up[i]);
        if (strncmp(metric, up[i], l) == 0 && (metric[l] == '\0' || metric[l] == '@'))
            return true;
    }
    return false;
}

typedef struct fitted {
    train_model_kind_t kind;
    BoosterHandle booster;
    linear_model_t lin;
    int rounds, best_iteration;
} fitted_t;

static void fitted_free(fitted_t *f)
{
    if (f->booster)
        XGBoosterFree(f->booster);
    if (f->kind != TRAIN_XGBOOST)
        linear_free(&f->lin);
    memset(f, 0, sizeof(*f));
}

static int xgb_fit(const fit_spec_t *s, const train_matrix_t *tr,
                   const train_matrix_t *va, int nthread, fitted_t *f, ferr_t *e)
{
    int rc = FERR_OK;
    DMatrixHandle dm[2] = {NULL, NULL};
    BoosterHandle b = NULL;
    const char *names[2] = {"train", "valid"};
    f->best_iteration = -1;
    if ((rc = xgb_dmatrix(tr, nthread, &dm[0], e)) != FERR_OK)
        return rc;
    if (va != NULL && (rc = xgb_dmatrix(va, nthread, &dm[1], e)) != FERR_OK)
        goto out;
    XGB_TRY(XGBoosterCreate(dm, va ? 2 : 1, &b), "creating the booster");
    /* names into the model JSON: the predictor, the registry and python
     * all see which column is which */
    XGB_TRY(XGBoosterSetStrFeatureInfo(b, "feature_name", (const char **)tr->names,
                                       tr->nfeat), "setting feature names");
    for (size_t i = 0; i < s->booster.v.n; i++) {
        const train_param_t *kv = &s->booster.v.a[i];
        if (XGBoosterSetParam(b, kv->key, kv->value) != 0) {
            rc = ferr_set(e, FERR_SPEC, "model param %s: '%s': %s", kv->key,
                          kv->value, XGBGetLastError());
            goto out;
        }
    }
    const char *metric = plist_get(&s->booster, "eval_metric");
    bool up = metric && xgb_maximize(metric);
    bool stopping = va != NULL && s->esr > 0;
    double best = up ? -INFINITY : INFINITY;
    int best_it = -1, it;
    for (it = 0; it < s->num_rounds; it++) {
        XGB_TRY(XGBoosterUpdateOneIter(b, it, dm[0]), "training a round");
        if (!stopping)
            continue;
        const char *res;
        XGB_TRY(XGBoosterEvalOneIter(b, it, &dm[1], &names[1], 1, &res),
                "evaluating a round");
        /* "[12]\tvalid-auc:0.712": the value after the last ':' */
        const char *colon = strrchr(res, ':');
        double v = colon ? strtod(colon + 1, NULL) : NAN;
        if (isnan(v))
            continue;
        if (best_it < 0 || (up ? v > best : v < best)) {
            best = v;
            best_it = it;
        } else if (it - best_it >= s->esr) {
            it++;
            break;
        }
    }
    f->rounds = it;
    if (stopping && best_it >= 0 && best_it + 1 < it) {
        /* keep the best rounds only: the saved model then predicts what
         * python's best_iteration predicts, with no attribute to honour */
        BoosterHandle sliced = NULL;
        XGB_TRY(XGBoosterSlice(b, 0, best_it + 1, 1, &sliced), "slicing");
        XGBoosterFree(b);
        b = sliced;
        f->rounds = best_it + 1;
    }
    if (stopping)
        f->best_iteration = best_it;
    f->kind = TRAIN_XGBOOST;
    f->booster = b;
    b = NULL;
out:
    if (b)
        XGBoosterFree(b);
    for (int i = 0; i < 2; i++)
        if (dm[i])
            XGDMatrixFree(dm[i]);
    return rc;
}

/* Predictions of a booster through ferry's compiled predictor: the numbers
 * the server will produce (bit-exact to XGBoost's own predict, which the
 * python-parity tests keep checking), without building a DMatrix. */
static int xgb_predict(BoosterHandle b, const train_matrix_t *m, int nthread,
                       double *out, ferr_t *e)
{
    bst_ulong len;
    const char *buf;
    tree_model_t *tm = NULL;
    int rc;
    if (m->nrows == 0)
        return FERR_OK;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &len, &buf) != 0)
        return ferr_set(e, FERR_EXTERNAL, "xgboost saving the model: %s",
                        XGBGetLastError());
    if ((rc = tree_model_load_json(buf, len, &tm, e)) != FERR_OK)
        return rc;
    rc = tree_predict_batch_ex(tm, m->x, m->nrows, m->nfeat, TREE_OUT_VALUE, out,
                               nthread, e);
    tree_model_unref(tm);
    return rc;
}

static int fit_model(const fit_spec_t *s, const train_matrix_t *tr,
                     const train_matrix_t *va, int nthread, fitted_t *f, ferr_t *e)
{
    memset(f, 0, sizeof(*f));
    f->kind = s->kind;
    f->best_iteration = -1;
    if (s->kind == TRAIN_XGBOOST)
        return xgb_fit(s, tr, va, nthread, f, e);
    return linear_fit(tr->x, tr->y, tr->nrows, tr->nfeat,
                      (const char *const *)tr->names, &s->lin, &f->lin, e);
}

static int predict_fitted(const fitted_t *f, const train_matrix_t *m, int nthread,
                          double *out, ferr_t *e)
{
    if (f->kind == TRAIN_XGBOOST)
        return xgb_predict(f->booster, m, nthread, out, e);
    linear_predict(&f->lin, m->x, m->nrows, out);
    return FERR_OK;
}

int train_predict_bytes(const char *kind, const char *model, size_t len,
                        const train_matrix_t *m, int nthread, double *out,
                        ferr_t *e)
{
    int rc = FERR_OK;
    if (kind != NULL && strcmp(kind, "xgboost") == 0) {
        BoosterHandle b = NULL;
        char buf[32];
        XGB_TRY(XGBoosterCreate(NULL, 0, &b), "creating a booster");
        XGB_TRY(XGBoosterLoadModelFromBuffer(b, model, len), "loading the model");
        snprintf(buf, sizeof(buf), "%d", thread_count(nthread));
        XGB_TRY(XGBoosterSetParam(b, "nthread", buf), "setting nthread");
        rc = xgb_predict(b, m, nthread, out, e);
    out:
        if (b)
            XGBoosterFree(b);
        return rc;
    }
    linear_model_t lm;
    if ((rc = linear_from_json(model, len, &lm, e)) != FERR_OK)
        return rc;
    if (lm.nin != m->nfeat) {
        linear_free(&lm);
        return ferr_set(e, FERR_RANGE, "linear model has %zu features, matrix %zu",
                        lm.nin, m->nfeat);
    }
    linear_predict(&lm, m->x, m->nrows, out);
    linear_free(&lm);
    return FERR_OK;
}

/* ---- evaluation --------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null(); /* JSON has no NaN */
}

static json_t *eval_part(const double *y, const double *s, size_t n, double thr,
                         bool classif)
{
    json_t *o = json_object();
    json_object_set_new(o, "rows", json_integer((json_int_t)n));
    if (n == 0)
        return o;
    for (const metric_def_t *d = metric_defs; d->name; d++)
        if ((d->kind == METRIC_CLASSIFICATION) == classif)
            json_object_set_new(o, d->name, jnum(d->fn(y, s, n, thr)));
    if (classif) {
        size_t cm[2][2], pos = 0;
        metric_confusion(y, s, n, thr, cm);
        json_object_set_new(o, "confusion",
            json_pack("[[I,I],[I,I]]", (json_int_t)cm[0][0], (json_int_t)cm[0][1],
                      (json_int_t)cm[1][0], (json_int_t)cm[1][1]));
        for (size_t i = 0; i < n; i++)
            pos += y[i] > 0.5;
        json_object_set_new(o, "positive_rate", json_real((double)pos / (double)n));
    }
    return o;
}

/* ---- search ------------------------------------------------------------- */

typedef struct search_ctx {
    const train_config_t *cfg;
    const train_matrix_t *tr;     /* the training part */
    const int *fold;              /* fold of each training row */
    unsigned k;
    size_t nconf;
    const size_t *conf_idx;       /* nconf x ndims value indexes */
    const metric_def_t *metric;
    int nthread_fit;
    double *score;                /* nconf x k */
    pthread_mutex_t mu;
    size_t next, done;
    int rc;
    ferr_t err;
    progress_t prog;
} search_ctx_t;

static void conf_overrides(const search_ctx_t *c, size_t ci, train_param_t *ov)
{
    const train_search_t *s = &c->cfg->search;
    for (size_t d = 0; d < s->ndims; d++) {
        ov[d].key = s->dims[d].key;
        ov[d].value = s->dims[d].values[c->conf_idx[ci * s->ndims + d]];
    }
}

static int search_task(search_ctx_t *c, size_t task, ferr_t *e)
{
    size_t ci = task / c->k;
    int f = (int)(task % c->k);
    const train_matrix_t *tr = c->tr;
    size_t nd = c->cfg->search.ndims, nin = 0, nout = 0;
    train_param_t *ov = xmalloc((nd ? nd : 1) * sizeof(*ov));
    size_t *in = xmalloc(tr->nrows * sizeof(size_t));
    size_t *outr = xmalloc(tr->nrows * sizeof(size_t));
    train_matrix_t a = {0}, b = {0};
    fit_spec_t spec = {0};
    fitted_t fit = {0};
    double *pred = NULL;
    int rc;
    conf_overrides(c, ci, ov);
    for (size_t i = 0; i < tr->nrows; i++) {
        if (c->fold[i] == f)
            outr[nout++] = i;
        else
            in[nin++] = i;
    }
    train_matrix_take(tr, in, nin, &a);
    train_matrix_take(tr, outr, nout, &b);
    rc = spec_build(c->cfg, ov, nd, a.y, a.nrows, c->nthread_fit, &spec, e);
    if (rc == FERR_OK) {
        spec.esr = 0; /* no early stopping inside CV: the holdout is the test */
        rc = fit_model(&spec, &a, NULL, c->nthread_fit, &fit, e);
    }
    if (rc == FERR_OK) {
        pred = xmalloc((b.nrows ? b.nrows : 1) * sizeof(double));
        rc = predict_fitted(&fit, &b, c->nthread_fit, pred, e);
    }
    if (rc == FERR_OK)
        c->score[task] = c->metric->fn(b.y, pred, b.nrows, 0.5);
    if (rc != FERR_OK)
        ferr_prefix(e, "search config %zu fold %d: ", ci, f);
    free(pred), free(ov), free(in), free(outr);
    fitted_free(&fit);
    plist_free(&spec.booster);
    train_matrix_free(&a);
    train_matrix_free(&b);
    return rc;
}

static void *search_worker(void *arg)
{
    search_ctx_t *c = arg;
    size_t total = c->nconf * c->k;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t task = c->next++;
        bool stop = c->rc != FERR_OK || task >= total;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        ferr_t e = {0};
        int rc = search_task(c, task, &e);
        pthread_mutex_lock(&c->mu);
        if (rc != FERR_OK && c->rc == FERR_OK) {
            c->rc = rc;
            c->err = e;
        }
        c->done++;
        progress_update(&c->prog, c->done); /* one updater at a time: mutex */
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

/* Candidate configs as value-index tuples: the full grid (last dimension
 * fastest, like sklearn's ParameterGrid), or n_iter distinct grid points in
 * a seeded order for random search. */
static int search_candidates(const train_config_t *cfg, size_t **out,
                             size_t *nout, ferr_t *e)
{
    const train_search_t *s = &cfg->search;
    size_t total = 1, nd = s->ndims;
    for (size_t d = 0; d < nd; d++) {
        if (s->dims[d].nvalues == 0)
            return ferr_set(e, FERR_SPEC, "search space %s has no values",
                            s->dims[d].key);
        if (total > TRAIN_MAX_CONFIGS / s->dims[d].nvalues)
            return ferr_set(e, FERR_LIMIT, "search space has more than %d "
                            "configurations", TRAIN_MAX_CONFIGS);
        total *= s->dims[d].nvalues;
    }
    size_t *order = xmalloc(total * sizeof(size_t));
    for (size_t i = 0; i < total; i++)
        order[i] = i;
    size_t n = total;
    if (s->method == TRAIN_SEARCH_RANDOM) {
        uint64_t st = cfg->seed ^ 0x5eed5eed5eedULL;
        split_shuffle(order, total, &st);
        if (s->n_iter > 0 && (size_t)s->n_iter < total)
            n = (size_t)s->n_iter;
    }
    size_t *idx = xmalloc(((n * nd) > 0 ? n * nd : 1) * sizeof(size_t));
    for (size_t c = 0; c < n; c++) {
        size_t r = order[c];
        for (size_t d = nd; d-- > 0;) {
            idx[c * nd + d] = r % s->dims[d].nvalues;
            r /= s->dims[d].nvalues;
        }
    }
    free(order);
    *out = idx;
    *nout = n;
    return FERR_OK;
}

static int run_search(const table_t *t, const train_config_t *cfg,
                      const train_matrix_t *tr, const size_t *tr_rows,
                      const metric_def_t *metric, bool classif,
                      size_t *best_conf, size_t **conf_out, json_t **table,
                      ferr_t *e)
{
    const train_search_t *s = &cfg->search;
    unsigned k = s->folds ? s->folds : 3;
    size_t *conf = NULL, nconf = 0;
    int rc;
    if ((rc = search_candidates(cfg, &conf, &nconf, e)) != FERR_OK)
        return rc;
    /* folds over the training part */
    const char *cv = s->cv ? s->cv : "auto";
    split_kfold_kind_t kind;
    if (strcmp(cv, "auto") == 0)
        kind = cfg->split.group_column ? SPLIT_KFOLD_GROUP
             : classif ? SPLIT_KFOLD_STRATIFIED : SPLIT_KFOLD_PLAIN;
    else if (strcmp(cv, "plain") == 0)
        kind = SPLIT_KFOLD_PLAIN;
    else if (strcmp(cv, "stratified") == 0)
        kind = SPLIT_KFOLD_STRATIFIED;
    else if (strcmp(cv, "group") == 0)
        kind = SPLIT_KFOLD_GROUP;
    else {
        free(conf);
        return ferr_set(e, FERR_SPEC, "search.cv: '%s' is not auto, plain, "
                        "stratified or group", cv);
    }
    uint64_t *groups = NULL;
    if (kind == SPLIT_KFOLD_GROUP) {
        const column_t *gc = cfg->split.group_column
                           ? table_find(t, cfg->split.group_column) : NULL;
        if (gc == NULL) {
            free(conf);
            return ferr_set(e, FERR_SPEC, "grouped CV needs split."
                            "group_column naming a column");
        }
        uint64_t *all = xmalloc(t->nrows * sizeof(uint64_t));
        split_group_keys(gc, all);
        groups = xmalloc(tr->nrows * sizeof(uint64_t));
        for (size_t i = 0; i < tr->nrows; i++)
            groups[i] = all[tr_rows[i]];
        free(all);
    }
    int *fold = xmalloc(tr->nrows * sizeof(int));
    rc = split_kfold(tr->nrows, k, kind, tr->y, groups, cfg->seed ^ 0xf01dULL,
                     fold, e);
    free(groups);
    if (rc != FERR_OK) {
        free(conf), free(fold);
        return rc;
    }
    int threads = thread_count(s->threads);
    if ((size_t)threads > nconf * k)
        threads = (int)(nconf * k);
    search_ctx_t c = {
        .cfg = cfg, .tr = tr, .fold = fold, .k = k, .nconf = nconf,
        .conf_idx = conf, .metric = metric,
        /* parallel fits each get one core; a lone fit gets all of them */
        .nthread_fit = threads > 1 ? 1 : thread_count(cfg->nthread),
        .score = xcalloc(nconf * k, sizeof(double)),
    };
    pthread_mutex_init(&c.mu, NULL);
    progress_start(&c.prog, "search", "fits", nconf * k);
    if (cfg->quiet)
        c.prog.active = false;
    pthread_t *th = xcalloc((size_t)threads, sizeof(pthread_t));
    int started = 0;
    for (int i = 1; i < threads; i++)
        if (pthread_create(&th[i], NULL, search_worker, &c) == 0)
            started = i;
        else
            break;
    search_worker(&c); /* the calling thread works too */
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    free(th);
    progress_finish(&c.prog);
    pthread_mutex_destroy(&c.mu);
    rc = c.rc;
    if (rc != FERR_OK) {
        if (e)
            *e = c.err;
        free(conf), free(fold), free(c.score);
        return rc;
    }
    json_t *results = json_array();
    size_t best = 0;
    double best_mean = NAN;
    for (size_t ci = 0; ci < nconf; ci++) {
        json_t *params = json_object(), *folds = json_array();
        double mean = 0, var = 0;
        for (size_t d = 0; d < s->ndims; d++)
            json_object_set_new(params, s->dims[d].key,
                                param_json(s->dims[d].values[conf[ci * s->ndims + d]]));
        for (unsigned f = 0; f < k; f++) {
            mean += c.score[ci * k + f];
            json_array_append_new(folds, jnum(c.score[ci * k + f]));
        }
        mean /= k;
        for (unsigned f = 0; f < k; f++)
            var += (c.score[ci * k + f] - mean) * (c.score[ci * k + f] - mean);
        /* population std, like sklearn's cv_results_ std_test_score */
        json_array_append_new(results, json_pack("{s:o,s:o,s:o,s:o}", "params",
                              params, "mean", jnum(mean), "std",
                              jnum(sqrt(var / k)), "folds", folds));
        if (ci == 0 || metric_better(metric, mean, best_mean)) {
            best = ci;
            best_mean = mean;
        }
    }
    *table = json_pack("{s:s,s:I,s:s,s:s,s:o,s:I,s:i}", "metric", metric->name,
                       "folds", (json_int_t)k, "cv",
                       kind == SPLIT_KFOLD_GROUP ? "group"
                       : kind == SPLIT_KFOLD_STRATIFIED ? "stratified" : "plain",
                       "method", s->method == TRAIN_SEARCH_RANDOM ? "random" : "grid",
                       "results", results, "best", (json_int_t)best,
                       "threads", threads);
    *best_conf = best;
    *conf_out = conf;
    free(fold), free(c.score);
    return FERR_OK;
}

/* ---- train_run ---------------------------------------------------------- */

static bool name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL && strcmp(list[i], name) == 0)
            return true;
    return false;
}

static int check_classes(const double *y, size_t n, const char *label,
                         const char *where, ferr_t *e)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return ferr_set(e, FERR_RANGE, "label %s: value %g at row %zu; "
                            "binary classification needs 0/1 labels", label, y[i],
                            i);
        pos += y[i] == 1;
    }
    if (pos == 0 || pos == n)
        return ferr_set(e, FERR_RANGE, "label %s is constant (%s) in the %s: "
                        "all %zu rows are %d; a classifier needs both classes",
                        label, pos ? "1" : "0", where, n, pos ? 1 : 0);
    return FERR_OK;
}

void train_result_free(train_result_t *r)
{
    free(r->model);
    free(r->objective);
    json_decref(r->params);
    json_decref(r->metrics);
    json_decref(r->importance);
    json_decref(r->durations);
    json_decref(r->search);
    if (r->feature_names)
        for (size_t j = 0; j < r->nfeatures; j++)
            free(r->feature_names[j]);
    free(r->feature_names);
    memset(r, 0, sizeof(*r));
}

static int importance_json(const fitted_t *f, const train_matrix_t *m,
                           json_t **out, ferr_t *e)
{
    json_t *o = json_object();
    if (f->kind != TRAIN_XGBOOST) {
        json_t *co = json_object();
        const linear_model_t *lm = &f->lin;
        for (size_t j = 0; j < lm->nsel; j++) {
            char nm[512];
            size_t c = lm->sel[j];
            if (c < lm->nin) {
                snprintf(nm, sizeof(nm), "%s", lm->names[c]);
            } else { /* interaction: recover (a, b) from the column order */
                size_t k = c - lm->nin, a = 0;
                while (k >= lm->nin - a - 1)
                    k -= lm->nin - a - 1, a++;
                snprintf(nm, sizeof(nm), "%s*%s", lm->names[a], lm->names[a + 1 + k]);
            }
            json_object_set_new(co, nm, json_real(lm->coef[j]));
        }
        json_object_set_new(o, "coef", co);
        *out = o;
        return FERR_OK;
    }
    static const char *const types[] = {"gain", "weight"};
    for (size_t t = 0; t < 2; t++) {
        char conf[64];
        bst_ulong nf, dim;
        const char **names;
        const bst_ulong *shape;
        const float *scores;
        json_t *imp = json_object();
        snprintf(conf, sizeof(conf), "{\"importance_type\":\"%s\"}", types[t]);
        for (size_t j = 0; j < m->nfeat; j++)
            json_object_set_new(imp, m->names[j], json_real(0));
        if (XGBoosterFeatureScore(f->booster, conf, &nf, &names, &dim, &shape,
                                  &scores) != 0) {
            json_decref(imp), json_decref(o);
            return ferr_set(e, FERR_EXTERNAL, "xgboost feature scores: %s",
                            XGBGetLastError());
        }
        for (bst_ulong j = 0; j < nf; j++)
            json_object_set_new(imp, names[j], json_real(scores[j]));
        json_object_set_new(o, types[t], imp);
    }
    *out = o;
    return FERR_OK;
}

int train_config_check(const train_config_t *cfg, ferr_t *e)
{
    const char *objective = objective_of(cfg);
    bool classif = is_classification(objective);
    const metric_def_t *metric = metric_find(cfg->metric ? cfg->metric
                                             : classif ? "auc" : "rmse");

    if (cfg->label == NULL)
        return ferr_set(e, FERR_SPEC, "train: no label column configured");
    if (metric == NULL)
        return ferr_set(e, FERR_SPEC, "model.metric: unknown metric '%s'",
                        cfg->metric);
    if ((metric->kind == METRIC_CLASSIFICATION) != classif)
        return ferr_set(e, FERR_SPEC, "model.metric %s does not fit objective %s",
                        metric->name, objective);
    if (cfg->model == TRAIN_XGBOOST && strcmp(objective, "binary:logistic") != 0 &&
        strncmp(objective, "reg:", 4) != 0)
        return ferr_set(e, FERR_SPEC, "model.objective: %s is not supported "
                        "(binary:logistic or reg:*)", objective);
    return FERR_OK;
}

int train_run(const table_t *t, const train_config_t *cfg, train_result_t *res,
              ferr_t *e)
{
    double t0 = now_seconds(), tm;
    int rc = FERR_OK;
    const char *objective = objective_of(cfg);
    bool classif = is_classification(objective);
    const metric_def_t *metric = metric_find(cfg->metric ? cfg->metric
                                             : classif ? "auc" : "rmse");
    train_matrix_t all = {0}, part[SPLIT_NPARTS] = {{0}};
    size_t *rows[SPLIT_NPARTS] = {NULL, NULL, NULL};
    split_t sp = {0};
    fitted_t fit = {0};
    fit_spec_t spec = {0};
    size_t *conf = NULL, best_conf = 0;
    const char **feats = NULL;
    size_t nfeat = 0;
    json_t *search = NULL;
    int nthread = thread_count(cfg->nthread);

    memset(res, 0, sizeof(*res));
    if ((rc = train_config_check(cfg, e)) != FERR_OK)
        return rc;

    /* features: explicit, or every other column */
    if (cfg->features != NULL) {
        feats = xcalloc(cfg->nfeatures ? cfg->nfeatures : 1, sizeof(char *));
        for (size_t j = 0; j < cfg->nfeatures; j++)
            feats[nfeat++] = cfg->features[j];
    } else {
        feats = xcalloc(t->ncols ? t->ncols : 1, sizeof(char *));
        const char *skip[] = {cfg->label, cfg->split.time_column,
                              cfg->split.group_column};
        for (size_t j = 0; j < t->ncols; j++) {
            const char *nm = t->cols[j]->name;
            if (!name_in(nm, skip, 3) && !name_in(nm, cfg->exclude, cfg->nexclude))
                feats[nfeat++] = nm;
        }
    }
    rc = train_matrix_from_table(t, feats, nfeat, cfg->label, &all, e);
    free(feats);
    if (rc != FERR_OK)
        return rc;
    if (classif && (rc = check_classes(all.y, all.nrows, cfg->label, "table", e)))
        goto out;
    double t_matrix = now_seconds() - t0;

    tm = now_seconds();
    split_config_t scfg = cfg->split;
    scfg.seed = cfg->seed;
    if ((rc = split_make(t, all.y, &scfg, &sp, e)) != FERR_OK)
        goto out;
    for (int p = 0; p < SPLIT_NPARTS; p++) {
        size_t k = 0;
        rows[p] = xmalloc((sp.count[p] ? sp.count[p] : 1) * sizeof(size_t));
        for (size_t i = 0; i < sp.n; i++)
            if (sp.part[i] == p)
                rows[p][k++] = i;
        train_matrix_take(&all, rows[p], sp.count[p], &part[p]);
        res->rows[p] = sp.count[p];
    }
    if (classif && (rc = check_classes(part[SPLIT_TRAIN].y, part[SPLIT_TRAIN].nrows,
                                       cfg->label, "training part", e)))
        goto out;
    double t_split = now_seconds() - tm;

    tm = now_seconds();
    bool searching = cfg->search.method != TRAIN_SEARCH_NONE && cfg->search.ndims > 0;
    train_param_t *ov = NULL;
    size_t nov = 0;
    if (searching) {
        rc = run_search(t, cfg, &part[SPLIT_TRAIN], rows[SPLIT_TRAIN], metric,
                        classif, &best_conf, &conf, &search, e);
        if (rc != FERR_OK)
            goto out;
        nov = cfg->search.ndims;
        ov = xmalloc(nov * sizeof(*ov));
        for (size_t d = 0; d < nov; d++) {
            ov[d].key = cfg->search.dims[d].key;
            ov[d].value = cfg->search.dims[d].values[conf[best_conf * nov + d]];
        }
    }
    double t_search = now_seconds() - tm;

    /* the final fit: best config, whole training part, valid for stopping */
    tm = now_seconds();
    rc = spec_build(cfg, ov, nov, part[SPLIT_TRAIN].y, part[SPLIT_TRAIN].nrows,
                    nthread, &spec, e);
    free(ov);
    if (rc != FERR_OK)
        goto out;
    const train_matrix_t *va = sp.count[SPLIT_VALID] ? &part[SPLIT_VALID] : NULL;
    if (spec.esr > 0 && va == NULL) {
        rc = ferr_set(e, FERR_SPEC, "early_stopping_rounds %d needs a valid part "
                      "(split.valid_fraction or split.valid_from)", spec.esr);
        goto out;
    }
    if ((rc = fit_model(&spec, &part[SPLIT_TRAIN], va, nthread, &fit, e)) != FERR_OK)
        goto out;
    double t_fit = now_seconds() - tm;

    /* evaluation: threshold first (from valid, else train), then every part */
    tm = now_seconds();
    double *preds[SPLIT_NPARTS] = {NULL, NULL, NULL};
    for (int p = 0; p < SPLIT_NPARTS && rc == FERR_OK; p++) {
        preds[p] = xmalloc((part[p].nrows ? part[p].nrows : 1) * sizeof(double));
        rc = predict_fitted(&fit, &part[p], nthread, preds[p], e);
    }
    double thr = 0.5;
    if (rc == FERR_OK && classif && cfg->threshold != NULL) {
        if (strcmp(cfg->threshold, "f1") == 0) {
            int p = va ? SPLIT_VALID : SPLIT_TRAIN;
            thr = metric_best_f1_threshold(part[p].y, preds[p], part[p].nrows);
        } else {
            char *end;
            thr = strtod(cfg->threshold, &end);
            if (end == cfg->threshold || *end != '\0' || !(thr >= 0 && thr <= 1))
                rc = ferr_set(e, FERR_SPEC, "model.threshold: '%s' is not f1 or a "
                              "number in [0, 1]", cfg->threshold);
        }
    }
    if (rc == FERR_OK) {
        res->metrics = json_object();
        for (int p = 0; p < SPLIT_NPARTS; p++)
            if (part[p].nrows > 0)
                json_object_set_new(res->metrics, split_part_names[p],
                                    eval_part(part[p].y, preds[p], part[p].nrows,
                                              thr, classif));
    }
    for (int p = 0; p < SPLIT_NPARTS; p++)
        free(preds[p]);
    if (rc != FERR_OK)
        goto out;
    double t_eval = now_seconds() - tm;

    /* model bytes and the record around them */
    if (fit.kind == TRAIN_XGBOOST) {
        bst_ulong len;
        const char *buf;
        if (XGBoosterSaveModelToBuffer(fit.booster, "{\"format\":\"json\"}", &len,
                                       &buf) != 0) {
            rc = ferr_set(e, FERR_EXTERNAL, "xgboost saving the model: %s",
                          XGBGetLastError());
            goto out;
        }
        res->model = xmalloc(len + 1);
        memcpy(res->model, buf, len);
        res->model[len] = '\0';
        res->model_len = len;
    } else {
        res->model = linear_to_json(&fit.lin, &res->model_len);
    }
    if ((rc = importance_json(&fit, &all, &res->importance, e)) != FERR_OK)
        goto out;
    res->kind = train_model_kind_name(cfg->model);
    res->objective = xstrdup(objective);
    res->params = spec_json(&spec);
    json_object_set_new(res->params, "seed", json_integer((json_int_t)cfg->seed));
    res->threshold = thr;
    res->nfeatures = all.nfeat;
    res->feature_names = all.names; /* steal */
    all.names = NULL;
    res->seed = cfg->seed;
    res->rounds = fit.kind == TRAIN_XGBOOST ? fit.rounds : 0;
    res->best_iteration = fit.best_iteration;
    res->search = search;
    search = NULL;
    res->durations = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "matrix", t_matrix,
                               "split", t_split, "search", t_search, "fit", t_fit,
                               "evaluate", t_eval, "total", now_seconds() - t0);
out:
    if (rc != FERR_OK)
        train_result_free(res);
    json_decref(search);
    free(conf);
    fitted_free(&fit);
    plist_free(&spec.booster);
    for (int p = 0; p < SPLIT_NPARTS; p++) {
        train_matrix_free(&part[p]);
        free(rows[p]);
    }
    split_free(&sp);
    if (all.names == NULL)
        all.nfeat = 0;
    train_matrix_free(&all);
    return rc;
}
