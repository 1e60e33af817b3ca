/*
 * import.c - bring an XGBoost model trained elsewhere into the registry.
 *
 * Teams arrive with a model saved by Python's `Booster.save_model("m.json")`.
 * Importing it keeps the bytes exactly (the predictor must score it the way
 * Python does) and derives what a ferry-trained version would carry: the
 * objective, a few structural parameters, the feature schema and the
 * gain/weight importances, computed from the trees with XGBoost's own
 * definitions (weight = number of splits on a feature, gain = mean
 * loss_change of those splits), so `ferry models show` reads the same as
 * `get_score()` in Python.
 *
 * Nothing is registered that `ferry predict` would refuse or score wrongly:
 * the model goes through the predictor's own loader first (children in
 * range and forming a tree, array lengths matching num_nodes, a finite
 * base_score, a supported objective and booster), and the feature list must
 * have the model's num_feature names, none of them at another index than in
 * the model's own feature_names.
 */
#include "registry/registry.h"

#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "predict/tree.h"

/* learner_model_param values are strings in XGBoost's JSON ("5"). */
static bool param_long(const json_t *o, const char *key, long *out)
{
    json_t *v = json_object_get(o, key);
    char *end;
    if (json_is_integer(v)) {
        *out = (long)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    *out = strtol(json_string_value(v), &end, 10);
    return end != json_string_value(v) && *end == '\0';
}

static json_t *trees_of(const json_t *learner)
{
    json_t *gb = json_object_get(learner, "gradient_booster");
    json_t *t = json_object_get(json_object_get(gb, "model"), "trees");
    if (t == NULL) /* dart wraps a gbtree */
        t = json_object_get(
            json_object_get(json_object_get(gb, "gbtree"), "model"), "trees");
    return t;
}

static int importance(const json_t *trees, const char *const *names, size_t nf,
                      json_t **out, const char *where, ferr_t *e)
{
    double *gain = xcalloc(nf ? nf : 1, sizeof(double));
    double *weight = xcalloc(nf ? nf : 1, sizeof(double));
    json_t *tree, *g, *w;
    size_t t;
    int rc = FERR_OK;

    json_array_foreach(trees, t, tree) {
        json_t *split = json_object_get(tree, "split_indices");
        json_t *loss = json_object_get(tree, "loss_changes");
        json_t *left = json_object_get(tree, "left_children");
        size_t n = json_array_size(left);
        if (!json_is_array(split) || !json_is_array(loss) ||
            json_array_size(split) != n || json_array_size(loss) != n) {
            rc = ferr_set(e, FERR_CORRUPT,
                          "%s: $.learner.gradient_booster.model.trees[%zu]: "
                          "split_indices, loss_changes and left_children "
                          "must be arrays of the same length",
                          where, t);
            break;
        }
        for (size_t j = 0; j < n; j++) {
            json_int_t f;
            if (json_integer_value(json_array_get(left, j)) == -1)
                continue; /* a leaf */
            f = json_integer_value(json_array_get(split, j));
            if (f < 0 || (size_t)f >= nf) {
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: tree %zu node %zu splits on feature %lld "
                              "of %zu",
                              where, t, j, (long long)f, nf);
                break;
            }
            weight[f] += 1;
            gain[f] += json_number_value(json_array_get(loss, j));
        }
        if (rc)
            break;
    }
    if (rc == FERR_OK) {
        g = json_object();
        w = json_object();
        for (size_t i = 0; i < nf; i++) {
            if (weight[i] > 0) {
                json_object_set_new(g, names[i],
                                    json_real(gain[i] / weight[i]));
                json_object_set_new(w, names[i], json_real(weight[i]));
            }
        }
        *out = json_pack("{s:o,s:o}", "gain", g, "weight", w);
    }
    free(gain);
    free(weight);
    return rc;
}

int reg_import_xgboost(reg_t *r, const char *name, const void *model,
                       size_t n, const char *const *features, size_t nf,
                       const char *objective, const char *source,
                       const json_t *extra, int *version_out, ferr_t *e)
{
    const char *where = source ? source : "model";
    json_error_t je;
    json_t *doc, *learner, *lmp, *trees, *fnames, *man = NULL, *imp = NULL,
                                                  *feats, *params;
    const char **names = NULL;
    tree_model_t *tm = NULL;
    long num_feature = 0, num_class = 0;
    int rc = FERR_OK;

    if (version_out)
        *version_out = 0;
    rc = tree_model_load_json(model, n, &tm, e);
    if (rc)
        return ferr_prefix(e, "%s: ", where);
    doc = json_loadb(model, n, JSON_ALLOW_NUL, &je);
    if (doc == NULL) {
        tree_model_unref(tm);
        return ferr_set(e, FERR_PARSE, "%s:%d:%d: invalid JSON: %s", where,
                        je.line, je.column, je.text);
    }
    learner = json_object_get(doc, "learner");
    lmp = json_object_get(learner, "learner_model_param");
    trees = trees_of(learner);
    if (!json_is_object(learner) || !json_is_array(trees)) {
        rc = ferr_set(e, FERR_PARSE,
                      "%s: not an XGBoost JSON model ($.learner."
                      "gradient_booster.model.trees missing); save it with "
                      "Booster.save_model(\"model.json\")",
                      where);
        goto out;
    }
    if (!param_long(lmp, "num_feature", &num_feature) || num_feature < 1) {
        rc = ferr_set(e, FERR_PARSE,
                      "%s: $.learner.learner_model_param.num_feature: "
                      "missing or not a positive number",
                      where);
        goto out;
    }
    fnames = json_object_get(learner, "feature_names");
    if (nf == 0) {
        size_t i;
        json_t *x;
        if (json_array_size(fnames) == 0) {
            rc = ferr_set(e, FERR_USAGE,
                          "%s: the model has no feature names; list them "
                          "with --features",
                          where);
            goto out;
        }
        nf = json_array_size(fnames);
        names = xcalloc(nf, sizeof(*names));
        json_array_foreach(fnames, i, x) names[i] =
            json_is_string(x) ? json_string_value(x) : "";
        features = names;
    }
    if ((long)nf != num_feature) {
        rc = ferr_set(e, FERR_USAGE,
                      "%s: the model has %ld features but %zu feature names "
                      "were given",
                      where, num_feature, nf);
        goto out;
    }
    for (size_t i = 0; i < nf; i++) {
        if (features[i] == NULL || features[i][0] == '\0') {
            rc = ferr_set(e, FERR_USAGE, "%s: feature %zu has an empty name",
                          where, i);
            goto out;
        }
        str_t fname = str_from(features[i]);
        size_t at = str_control_at(fname);
        if (at < fname.n) {
            rc = ferr_set(e, FERR_USAGE,
                          "%s: feature %zu: control character 0x%02x in its "
                          "name",
                          where, i, (unsigned char)fname.p[at]);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(features[i], features[j]) == 0) {
                rc = ferr_set(e, FERR_USAGE,
                              "%s: feature '%s' is listed twice", where,
                              features[i]);
                goto out;
            }
    }
    rc = tree_model_check_features(tm, features, nf, e);
    if (rc) {
        ferr_prefix(e, "%s: feature list: ", where);
        goto out;
    }
    /* the predictor transforms scores by the model's own objective; a
     * manifest saying otherwise would label them wrongly */
    if (objective && strcmp(objective, tree_model_objective(tm)) != 0) {
        rc = ferr_set(e, FERR_USAGE,
                      "%s: --objective %s, but the model's "
                      "$.learner.objective.name is %s",
                      where, objective, tree_model_objective(tm));
        goto out;
    }
    objective = tree_model_objective(tm);
    rc = importance(trees, features, nf, &imp, where, e);
    if (rc)
        goto out;

    feats = json_array();
    {
        /* XGBoost's own feature types, when it saved them: "int"/"i" are
         * integers, "indicator" is 0/1, "c" categorical; anything else
         * ("float", "q", none) is a float */
        static const struct { const char *xgb, *ferry; } types[] = {
            {"int", "int"}, {"i", "int"}, {"indicator", "bool"},
            {"c", "category"}};
        const json_t *ft = json_object_get(learner, "feature_types");
        bool use = json_is_array(ft) && json_array_size(ft) == nf;
        for (size_t i = 0; i < nf; i++) {
            const char *x = use ? json_string_value(json_array_get(ft, i)) : NULL;
            const char *type = "float";
            for (size_t k = 0; x && k < sizeof(types) / sizeof(types[0]); k++)
                if (strcmp(x, types[k].xgb) == 0)
                    type = types[k].ferry;
            json_array_append_new(feats, json_pack("{s:s,s:s}", "name",
                                                   features[i], "type", type));
        }
    }
    params = json_pack("{s:s?,s:I}", "booster",
                       json_string_value(json_object_get(
                           json_object_get(learner, "gradient_booster"),
                           "name")),
                       "num_trees", (json_int_t)json_array_size(trees));
    if (json_is_string(json_object_get(lmp, "base_score")))
        json_object_set_new(
            params, "base_score",
            json_real(strtod(json_string_value(
                                 json_object_get(lmp, "base_score")),
                             NULL)));
    if (param_long(lmp, "num_class", &num_class) && num_class > 0)
        json_object_set_new(params, "num_class", json_integer(num_class));
    man = json_pack("{s:s,s:o,s:o,s:o,s:{s:s},s:{s:s}}", "objective",
                    objective, "params", params, "features", feats,
                    "importance", imp, "model", "format", "xgboost-json",
                    "lineage", "imported_from", where);
    imp = NULL;
    if (json_is_object(extra))
        json_object_update(man, (json_t *)extra);
    if (json_array_size(json_object_get(man, "features")) != nf) {
        rc = ferr_set(e, FERR_USAGE,
                      "%s: $.features: %zu features, but the model reads %zu",
                      where, json_array_size(json_object_get(man, "features")),
                      nf);
        goto out;
    }
    rc = reg_register(r, name, model, n, man, version_out, e);
out:
    tree_model_unref(tm);
    json_decref(doc);
    json_decref(man);
    json_decref(imp);
    free(names);
    return rc;
}
