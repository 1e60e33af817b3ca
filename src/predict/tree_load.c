/*
 * tree_load.c - XGBoost JSON model -> tree_model_t.
 *
 * Owns the parsing and validation of XGBoost's JSON schema (learner,
 * learner_model_param, objective, gradient_booster.model.trees[]) and the
 * construction of both node layouts described in tree_int.h.  The input is
 * untrusted (a user's file, an upload to the registry): every array length,
 * child index, feature index and depth is checked before it is used, so the
 * evaluator can walk trees without a single bounds check, and every error
 * names the JSON path that is wrong ("learner.gradient_booster.model.
 * trees[3].split_indices: expected array, found string").
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/afile.h"
#include "base/mem.h"
#include "predict/tree_int.h"

#define PATH_MAX_ 256

/* Objectives: how base_score becomes a margin and how a margin becomes the
 * output, as in XGBoost 1.7.4's regression_loss.h / regression_obj.cu. */
static const struct {
    const char *name;
    tree_margin_fn_t margin;
    tree_xform_t xform;
} tree_objectives[] = {
    {"binary:logistic", TREE_MARGIN_LOGIT, TREE_XFORM_SIGMOID},
    {"reg:logistic", TREE_MARGIN_LOGIT, TREE_XFORM_SIGMOID},
    /* 1.7.4 keeps logitraw's base_score as a raw margin (found by
     * tests/integration/slow_predict_real_data.sh: logit was off by 0.5) */
    {"binary:logitraw", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"binary:hinge", TREE_MARGIN_IDENTITY, TREE_XFORM_HINGE},
    {"reg:squarederror", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"reg:linear", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"reg:squaredlogerror", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"reg:pseudohubererror", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"reg:absoluteerror", TREE_MARGIN_IDENTITY, TREE_XFORM_IDENTITY},
    {"count:poisson", TREE_MARGIN_LOG, TREE_XFORM_EXP},
    {"reg:gamma", TREE_MARGIN_LOG, TREE_XFORM_EXP},
    {"reg:tweedie", TREE_MARGIN_LOG, TREE_XFORM_EXP},
};

static const char *jtype_name(const json_t *j)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "object", [JSON_ARRAY] = "array",
        [JSON_STRING] = "string", [JSON_INTEGER] = "integer",
        [JSON_REAL] = "number",   [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",   [JSON_NULL] = "null"};
    return j ? names[json_typeof(j)] : "nothing";
}

/* obj[key] with the expected type ("number" accepts integers too). */
static int jget(const json_t *obj, const char *path, const char *key,
                json_type t, json_t **out, ferr_t *e)
{
    json_t *v = json_object_get(obj, key);
    static const char *const want[] = {
        [JSON_OBJECT] = "object", [JSON_ARRAY] = "array",
        [JSON_STRING] = "string", [JSON_INTEGER] = "integer",
        [JSON_REAL] = "number"};
    if (!v)
        return ferr_set(e, FERR_PARSE, "%s.%s: missing", path, key);
    if (json_typeof(v) != t && !(t == JSON_REAL && json_is_integer(v)))
        return ferr_set(e, FERR_PARSE, "%s.%s: expected %s, found %s", path,
                        key, want[t], jtype_name(v));
    *out = v;
    return 0;
}

/* XGBoost stores scalar parameters as strings ("num_feature": "4"); accept a
 * JSON number as well.  The float is parsed with strtof, as XGBoost does, so
 * base_score is bit-identical. */
static int jparam_float(const json_t *obj, const char *path, const char *key,
                        float *out, ferr_t *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return ferr_set(e, FERR_PARSE, "%s.%s: missing", path, key);
    if (json_is_number(v)) {
        *out = (float)json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        float f = strtof(s, &end);
        if (end != s && *end == '\0' && errno == 0) {
            *out = f;
            return 0;
        }
    }
    return ferr_set(e, FERR_PARSE, "%s.%s: expected a number, found %s", path,
                    key, jtype_name(v));
}

static int jparam_size(const json_t *obj, const char *path, const char *key,
                       size_t max, size_t *out, ferr_t *e)
{
    json_t *v = json_object_get(obj, key);
    long long n = -1;
    if (!v)
        return ferr_set(e, FERR_PARSE, "%s.%s: missing", path, key);
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || errno != 0)
            n = -1;
    }
    if (n < 0)
        return ferr_set(e, FERR_PARSE,
                        "%s.%s: expected a non-negative integer, found %s",
                        path, key, jtype_name(v));
    if ((unsigned long long)n > max)
        return ferr_set(e, FERR_LIMIT, "%s.%s: %lld exceeds the limit %zu",
                        path, key, n, max);
    *out = (size_t)n;
    return 0;
}

/* An array of exactly n elements. */
static int jarray_n(const json_t *obj, const char *path, const char *key,
                    size_t n, json_t **out, ferr_t *e)
{
    int rc = jget(obj, path, key, JSON_ARRAY, out, e);
    if (rc)
        return rc;
    if (json_array_size(*out) != n)
        return ferr_set(e, FERR_PARSE, "%s.%s: expected %zu elements, found %zu",
                        path, key, n, json_array_size(*out));
    return 0;
}

static int jelem_int(const json_t *arr, const char *path, const char *key,
                     size_t i, long long *out, ferr_t *e)
{
    json_t *v = json_array_get(arr, i);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_boolean(v)) { /* default_left is sometimes written as bools */
        *out = json_is_true(v);
        return 0;
    }
    return ferr_set(e, FERR_PARSE, "%s.%s[%zu]: expected integer, found %s",
                    path, key, i, jtype_name(v));
}

static int jelem_float(const json_t *arr, const char *path, const char *key,
                       size_t i, float *out, ferr_t *e)
{
    json_t *v = json_array_get(arr, i);
    if (!json_is_number(v))
        return ferr_set(e, FERR_PARSE, "%s.%s[%zu]: expected number, found %s",
                        path, key, i, jtype_name(v));
    *out = (float)json_number_value(v);
    return 0;
}

/* learner.feature_names / feature_types: absent or empty -> NULL. */
static int load_strings(const json_t *learner, const char *key, size_t nfeat,
                        char ***out, ferr_t *e)
{
    json_t *arr = json_object_get(learner, key);
    *out = NULL;
    if (!arr || (json_is_array(arr) && json_array_size(arr) == 0))
        return 0;
    if (!json_is_array(arr))
        return ferr_set(e, FERR_PARSE, "learner.%s: expected array, found %s",
                        key, jtype_name(arr));
    if (json_array_size(arr) != nfeat)
        return ferr_set(e, FERR_PARSE,
                        "learner.%s: %zu names for %zu features", key,
                        json_array_size(arr), nfeat);
    for (size_t i = 0; i < nfeat; i++)
        if (!json_is_string(json_array_get(arr, i)))
            return ferr_set(e, FERR_PARSE,
                            "learner.%s[%zu]: expected string, found %s", key,
                            i, jtype_name(json_array_get(arr, i)));
    char **v = xcalloc(nfeat, sizeof(*v));
    for (size_t i = 0; i < nfeat; i++)
        v[i] = xstrdup(json_string_value(json_array_get(arr, i)));
    *out = v;
    return 0;
}

/* One tree in XGBoost's node numbering, validated, before re-layout. */
typedef struct raw_tree {
    size_t n;
    int32_t *left, *right;
    uint32_t *word;
    float *value;
} raw_tree_t;

static void raw_tree_free(raw_tree_t *t)
{
    free(t->left);
    free(t->right);
    free(t->word);
    free(t->value);
    memset(t, 0, sizeof(*t));
}

/* Parse trees[ti] and check it is a proper binary tree rooted at 0 whose
 * splits read features below nfeat.  Sets *depth to its height. */
static int load_tree(const json_t *jt, size_t ti, size_t nfeat, raw_tree_t *t,
                     int *depth, size_t *reach, ferr_t *e)
{
    char path[PATH_MAX_];
    json_t *tp, *jl, *jr, *ji, *jc, *jd, *js = NULL;
    size_t n;
    int rc;
    snprintf(path, sizeof(path), "learner.gradient_booster.model.trees[%zu]", ti);
    if (!json_is_object(jt))
        return ferr_set(e, FERR_PARSE, "%s: expected object, found %s", path,
                        jtype_name(jt));
    if ((rc = jget(jt, path, "tree_param", JSON_OBJECT, &tp, e)))
        return rc;
    {
        char p2[PATH_MAX_ + 16];
        snprintf(p2, sizeof(p2), "%s.tree_param", path);
        if ((rc = jparam_size(tp, p2, "num_nodes", TREE_MAX_NODES, &n, e)))
            return rc;
    }
    if (n == 0)
        return ferr_set(e, FERR_PARSE, "%s.tree_param.num_nodes: 0", path);
    if ((rc = jarray_n(jt, path, "left_children", n, &jl, e)) ||
        (rc = jarray_n(jt, path, "right_children", n, &jr, e)) ||
        (rc = jarray_n(jt, path, "split_indices", n, &ji, e)) ||
        (rc = jarray_n(jt, path, "split_conditions", n, &jc, e)) ||
        (rc = jarray_n(jt, path, "default_left", n, &jd, e)))
        return rc;
    if (json_object_get(jt, "split_type") &&
        (rc = jarray_n(jt, path, "split_type", n, &js, e)))
        return rc;

    t->n = n;
    t->left = malloc(n * sizeof(*t->left));
    t->right = malloc(n * sizeof(*t->right));
    t->word = malloc(n * sizeof(*t->word));
    t->value = malloc(n * sizeof(*t->value));
    if (!t->left || !t->right || !t->word || !t->value)
        return ferr_set(e, FERR_NOMEM, "%s: %zu nodes: out of memory", path, n);
    for (size_t i = 0; i < n; i++) {
        long long l, r, f, dl, st = 0;
        if ((rc = jelem_int(jl, path, "left_children", i, &l, e)) ||
            (rc = jelem_int(jr, path, "right_children", i, &r, e)) ||
            (rc = jelem_int(ji, path, "split_indices", i, &f, e)) ||
            (rc = jelem_int(jd, path, "default_left", i, &dl, e)) ||
            (js && (rc = jelem_int(js, path, "split_type", i, &st, e))) ||
            (rc = jelem_float(jc, path, "split_conditions", i, &t->value[i], e)))
            return rc;
        if (l == -1 && r == -1) {
            /* a NaN or infinite leaf would make every score through it
             * NaN or infinite */
            if (!isfinite(t->value[i]))
                return ferr_set(e, FERR_CORRUPT,
                                "%s.split_conditions[%zu]: leaf value is not "
                                "a finite number", path, i);
            t->left[i] = t->right[i] = -1;
            t->word[i] = 0;
            continue;
        }
        /* Children come after their parent in XGBoost's numbering; the
         * visited check below still guards any order against cycles. */
        if (l <= 0 || r <= 0 || (size_t)l >= n || (size_t)r >= n || l == r)
            return ferr_set(e, FERR_CORRUPT,
                            "%s: node %zu: children %lld, %lld out of range "
                            "for %zu nodes", path, i, l, r, n);
        if (st != 0)
            return ferr_set(e, FERR_UNSUPPORTED,
                            "%s.split_type[%zu]: categorical splits are not "
                            "supported", path, i);
        if (f < 0 || (size_t)f >= nfeat)
            return ferr_set(e, FERR_CORRUPT,
                            "%s.split_indices[%zu]: feature %lld, model has "
                            "%zu features", path, i, f, nfeat);
        if (dl != 0 && dl != 1)
            return ferr_set(e, FERR_PARSE,
                            "%s.default_left[%zu]: expected 0 or 1, found %lld",
                            path, i, dl);
        if (isnan(t->value[i]))
            return ferr_set(e, FERR_CORRUPT,
                            "%s.split_conditions[%zu]: not a number", path, i);
        t->left[i] = (int32_t)l;
        t->right[i] = (int32_t)r;
        t->word[i] = (uint32_t)f | (dl ? TREE_DEFAULT_LEFT : 0);
    }

    /* Walk from the root: each node reached once (a tree, not a DAG or a
     * cycle), depth bounded. */
    uint8_t *seen = calloc(n, 1);
    struct { int32_t node; int depth; } *stack = malloc(n * sizeof(*stack));
    size_t sp = 0, count = 0;
    int maxd = 0;
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return ferr_set(e, FERR_NOMEM, "%s: out of memory", path);
    }
    rc = 0;
    stack[sp].node = 0;
    stack[sp++].depth = 0;
    seen[0] = 1;
    while (sp > 0 && rc == 0) {
        int32_t v = stack[--sp].node;
        int d = stack[sp].depth;
        count++;
        if (d > maxd)
            maxd = d;
        if (t->left[v] < 0)
            continue;
        if (d + 1 > TREE_MAX_DEPTH) {
            rc = ferr_set(e, FERR_LIMIT, "%s: deeper than %d levels", path,
                          TREE_MAX_DEPTH);
            break;
        }
        int32_t kids[2] = {t->left[v], t->right[v]};
        for (int k = 0; k < 2; k++) {
            if (seen[kids[k]]) {
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: node %d is reached twice (not a tree)", path,
                              kids[k]);
                break;
            }
            seen[kids[k]] = 1;
            stack[sp].node = kids[k];
            stack[sp++].depth = d + 1;
        }
    }
    free(seen);
    free(stack);
    *depth = maxd;
    *reach = count;
    return rc;
}

/* Append the reachable nodes of t at m->cnodes[base..] breadth-first, the
 * two children of a node adjacent; child indexes are relative to base.
 * Returns the number of nodes written. */
static size_t compact_append(tree_model_t *m, const raw_tree_t *t, size_t base,
                             int32_t *queue)
{
    size_t head = 0, tail = 0;
    queue[tail++] = 0;
    while (head < tail) {
        int32_t v = queue[head];
        tree_cnode_t *c = &m->cnodes[base + head++];
        c->value = t->value[v];
        c->word = t->word[v];
        c->left = 0;
        if (t->left[v] >= 0) {
            /* output position == queue position */
            c->left = (uint32_t)tail;
            queue[tail++] = t->left[v];
            queue[tail++] = t->right[v];
        }
    }
    return tail;
}

int tree_model_load_json(const char *json, size_t n, tree_model_t **out,
                         ferr_t *e)
{
    json_error_t je;
    json_t *root, *learner, *lmp, *obj, *gb, *model, *trees, *tinfo, *jname;
    tree_model_t *m = NULL;
    raw_tree_t *raw = NULL;
    size_t ntrees = 0, nfeat = 0, ncls = 0, ntarget = 1;
    int rc;
    *out = NULL;

    root = json_loadb(json, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root)
        return ferr_set(e, FERR_PARSE, "model JSON: line %d column %d: %s",
                        je.line, je.column, je.text);
    m = xcalloc(1, sizeof(*m));
    atomic_init(&m->refs, 1);
    if (!json_is_object(root)) {
        rc = ferr_set(e, FERR_PARSE, "model JSON: expected object, found %s",
                      jtype_name(root));
        goto fail;
    }
    if ((rc = jget(root, "model", "learner", JSON_OBJECT, &learner, e)) ||
        (rc = jget(learner, "learner", "learner_model_param", JSON_OBJECT, &lmp, e)) ||
        (rc = jparam_size(lmp, "learner.learner_model_param", "num_feature",
                          TREE_MAX_FEATURES, &nfeat, e)) ||
        (rc = jparam_float(lmp, "learner.learner_model_param", "base_score",
                           &m->base_score, e)))
        goto fail;
    if (!isfinite(m->base_score)) { /* "nan", "inf", 1e39 */
        rc = ferr_set(e, FERR_RANGE, "learner.learner_model_param.base_score: "
                      "not a finite number");
        goto fail;
    }
    if (json_object_get(lmp, "num_class") &&
        (rc = jparam_size(lmp, "learner.learner_model_param", "num_class",
                          1u << 20, &ncls, e)))
        goto fail;
    if (json_object_get(lmp, "num_target") &&
        (rc = jparam_size(lmp, "learner.learner_model_param", "num_target",
                          1u << 20, &ntarget, e)))
        goto fail;
    if (ncls > 1 || ntarget > 1) {
        rc = ferr_set(e, FERR_UNSUPPORTED,
                      "learner.learner_model_param: %zu classes, %zu targets: "
                      "only single-output models are supported", ncls, ntarget);
        goto fail;
    }
    m->num_features = nfeat;

    if ((rc = jget(learner, "learner", "objective", JSON_OBJECT, &obj, e)) ||
        (rc = jget(obj, "learner.objective", "name", JSON_STRING, &jname, e)))
        goto fail;
    {
        const char *oname = json_string_value(jname);
        size_t k, nobj = sizeof(tree_objectives) / sizeof(tree_objectives[0]);
        for (k = 0; k < nobj; k++)
            if (strcmp(oname, tree_objectives[k].name) == 0)
                break;
        if (k == nobj) {
            rc = ferr_set(e, FERR_UNSUPPORTED,
                          "learner.objective.name: '%s' is not supported",
                          oname);
            goto fail;
        }
        m->objective = xstrdup(oname);
        m->xform = tree_objectives[k].xform;
        switch (tree_objectives[k].margin) {
        case TREE_MARGIN_IDENTITY:
            m->base_margin = m->base_score;
            break;
        case TREE_MARGIN_LOGIT:
            if (!(m->base_score > 0.0f && m->base_score < 1.0f)) {
                rc = ferr_set(e, FERR_RANGE,
                              "learner.learner_model_param.base_score: %g is "
                              "not in (0,1) for %s", m->base_score, oname);
                goto fail;
            }
            /* float arithmetic, as XGBoost's ProbToMargin */
            m->base_margin = -logf(1.0f / m->base_score - 1.0f);
            break;
        case TREE_MARGIN_LOG:
            if (!(m->base_score > 0.0f)) {
                rc = ferr_set(e, FERR_RANGE,
                              "learner.learner_model_param.base_score: %g is "
                              "not positive for %s", m->base_score, oname);
                goto fail;
            }
            m->base_margin = logf(m->base_score);
            break;
        }
    }
    if ((rc = load_strings(learner, "feature_names", nfeat, &m->feature_names, e)) ||
        (rc = load_strings(learner, "feature_types", nfeat, &m->feature_types, e)))
        goto fail;

    if ((rc = jget(learner, "learner", "gradient_booster", JSON_OBJECT, &gb, e)) ||
        (rc = jget(gb, "learner.gradient_booster", "name", JSON_STRING, &jname, e)))
        goto fail;
    if (strcmp(json_string_value(jname), "gbtree") != 0) {
        rc = ferr_set(e, FERR_UNSUPPORTED,
                      "learner.gradient_booster.name: '%s' is not supported "
                      "(only gbtree)", json_string_value(jname));
        goto fail;
    }
    if ((rc = jget(gb, "learner.gradient_booster", "model", JSON_OBJECT, &model, e)) ||
        (rc = jget(model, "learner.gradient_booster.model", "trees", JSON_ARRAY,
                   &trees, e)))
        goto fail;
    ntrees = json_array_size(trees);
    if (ntrees > TREE_MAX_TREES) {
        rc = ferr_set(e, FERR_LIMIT,
                      "learner.gradient_booster.model.trees: %zu trees exceed "
                      "the limit %u", ntrees, TREE_MAX_TREES);
        goto fail;
    }
    /* tree_info maps each tree to its output group; one group only. */
    tinfo = json_object_get(model, "tree_info");
    if (tinfo) {
        if (!json_is_array(tinfo) || json_array_size(tinfo) != ntrees) {
            rc = ferr_set(e, FERR_PARSE,
                          "learner.gradient_booster.model.tree_info: expected "
                          "an array of %zu groups", ntrees);
            goto fail;
        }
        for (size_t i = 0; i < ntrees; i++) {
            json_t *g = json_array_get(tinfo, i);
            if (!json_is_integer(g) || json_integer_value(g) != 0) {
                rc = ferr_set(e, FERR_UNSUPPORTED,
                              "learner.gradient_booster.model.tree_info[%zu]: "
                              "output group other than 0", i);
                goto fail;
            }
        }
    }

    raw = xcalloc(ntrees ? ntrees : 1, sizeof(*raw));
    size_t total = 0, maxn = 1;
    for (size_t i = 0; i < ntrees; i++) {
        int depth = 0;
        size_t reach = 0;
        if ((rc = load_tree(json_array_get(trees, i), i, nfeat, &raw[i], &depth,
                            &reach, e)))
            goto fail;
        if (depth > m->max_depth)
            m->max_depth = depth;
        total += reach;
        if (raw[i].n > maxn)
            maxn = raw[i].n;
    }
    m->num_trees = ntrees;
    m->num_cnodes = total;
    m->ctree_off = xcalloc(ntrees + 1, sizeof(*m->ctree_off));
    m->cnodes = malloc((total ? total : 1) * sizeof(*m->cnodes));
    int32_t *queue = malloc(maxn * sizeof(*queue));
    if (!m->cnodes || !queue) {
        free(queue);
        rc = ferr_set(e, FERR_NOMEM, "model: %zu nodes: out of memory", total);
        goto fail;
    }
    for (size_t i = 0, off = 0; i < ntrees; i++) {
        m->ctree_off[i] = off;
        off += compact_append(m, &raw[i], off, queue);
        m->ctree_off[i + 1] = off;
    }
    free(queue);
    for (size_t i = 0; i < ntrees; i++)
        raw_tree_free(&raw[i]);
    free(raw);
    raw = NULL;
    json_decref(root);
    root = NULL;

    if ((rc = tree__build_perfect(m, 1, e)) ||
        (rc = tree__build_packed(m, 1, TREE_ORDER_PAIRS, e)))
        goto fail;
    *out = m;
    return 0;

fail:
    if (raw) {
        for (size_t i = 0; i < ntrees; i++)
            raw_tree_free(&raw[i]);
        free(raw);
    }
    json_decref(root);
    tree_model_unref(m);
    return rc;
}

int tree_model_load_file(const char *path, tree_model_t **out, ferr_t *e)
{
    char *p;
    size_t n;
    int rc;
    *out = NULL;
    if ((rc = file_read_all(path, TREE_MODEL_MAX_BYTES, &p, &n, e)))
        return rc;
    rc = tree_model_load_json(p, n, out, e);
    free(p);
    if (rc)
        ferr_prefix(e, "%s: ", path);
    return rc;
}

tree_model_t *tree_model_ref(tree_model_t *m)
{
    /* relaxed: taking a reference orders nothing; the caller already holds
     * one that keeps m alive */
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void tree_model_unref(tree_model_t *m)
{
    if (!m)
        return;
    /* acq_rel: the thread that frees must see every other thread's reads
     * of the model as finished */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (m->feature_names)
        for (size_t i = 0; i < m->num_features; i++)
            free(m->feature_names[i]);
    if (m->feature_types)
        for (size_t i = 0; i < m->num_features; i++)
            free(m->feature_types[i]);
    free(m->feature_names);
    free(m->feature_types);
    free(m->objective);
    free(m->cnodes);
    free(m->ctree_off);
    /* the fast layouts are dropped by their builders, which own them */
    tree__build_perfect(m, 0, NULL);
    tree__build_packed(m, 0, TREE_ORDER_PAIRS, NULL);
    free(m);
}

size_t tree_model_num_features(const tree_model_t *m) { return m->num_features; }
size_t tree_model_num_trees(const tree_model_t *m) { return m->num_trees; }
int tree_model_max_depth(const tree_model_t *m) { return m->max_depth; }
const char *tree_model_objective(const tree_model_t *m) { return m->objective; }
double tree_model_base_score(const tree_model_t *m) { return m->base_score; }
double tree_model_base_margin(const tree_model_t *m) { return m->base_margin; }

const char *tree_model_feature_name(const tree_model_t *m, size_t i)
{
    return m->feature_names && i < m->num_features ? m->feature_names[i] : NULL;
}

const char *tree_model_feature_type(const tree_model_t *m, size_t i)
{
    return m->feature_types && i < m->num_features ? m->feature_types[i] : NULL;
}

long tree_model_feature_index(const tree_model_t *m, const char *name)
{
    if (!m->feature_names)
        return -1;
    for (size_t i = 0; i < m->num_features; i++)
        if (strcmp(m->feature_names[i], name) == 0)
            return (long)i;
    return -1;
}

int tree_model_check_features(const tree_model_t *m, const char *const *names,
                              size_t n, ferr_t *e)
{
    if (n != m->num_features)
        return ferr_set(e, FERR_CORRUPT,
                        "$.features: %zu features, but the model reads %zu "
                        "(learner_model_param.num_feature)",
                        n, m->num_features);
    for (size_t i = 0; m->feature_names && i < n; i++) {
        long at = tree_model_feature_index(m, names[i]);
        if (at >= 0 && (size_t)at != i)
            return ferr_set(e, FERR_CORRUPT,
                            "$.features[%zu]: '%s' is feature %ld of the "
                            "model (learner.feature_names), not %zu: the "
                            "list is out of order",
                            i, names[i], at, i);
    }
    return FERR_OK;
}
