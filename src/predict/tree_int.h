/*
 * tree_int.h - internals of the tree predictor shared by its loader
 * (tree_load.c), its evaluator (tree_eval.c) and its unit tests.  Nothing
 * outside src/predict and tests/unit/predict includes this.
 *
 * Two physical layouts of the same ensemble:
 *
 *  - "perfect": every tree padded to a complete binary tree of the model's
 *    depth D (a leaf above depth D becomes a split on feature 0 whose both
 *    sides end in copies of that leaf, so the direction taken is irrelevant).
 *    Internal nodes are implicit-indexed (children of i are 2i+1, 2i+2), 8
 *    bytes each; the 2^D leaves follow in their own float array.  Walking a
 *    tree is then exactly D iterations with no data-dependent branch, no
 *    child pointers and a fixed trip count, so several trees (single row) or
 *    several rows (batch) can be walked in lock step and their independent
 *    load chains overlap.  Built when D <= TREE_PERFECT_MAX_DEPTH and the
 *    padded size stays under TREE_PERFECT_MAX_BYTES.
 *
 *  - "compact": the reachable nodes of each tree in breadth-first order with
 *    the two children adjacent, 12 bytes a node.  Always built; used for
 *    deep or very sparse models and as the reference for the tests.
 */
#ifndef FERRY_PREDICT_TREE_INT_H
#define FERRY_PREDICT_TREE_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "predict/tree.h"

#define TREE_MAX_DEPTH 64            /* deeper trees are rejected */
#define TREE_MAX_NODES (1u << 24)    /* per tree */
#define TREE_MAX_FEATURES (1u << 24) /* feature index fits the packed word */
#define TREE_MAX_TREES (1u << 20)
#define TREE_PERFECT_MAX_DEPTH 10
#define TREE_PERFECT_MAX_BYTES ((size_t)256 << 20)

/* Packed split word: feature index in the low 31 bits, bit 31 set when a
 * missing value goes left. */
#define TREE_DEFAULT_LEFT 0x80000000u
#define TREE_FEATURE_MASK 0x7fffffffu

typedef struct tree_pnode {
    float thr;
    uint32_t word;
} tree_pnode_t;

typedef struct tree_cnode {
    float value;    /* threshold, or the leaf value when left == 0 */
    uint32_t word;  /* feature | TREE_DEFAULT_LEFT */
    uint32_t left;  /* index of the left child (right = left + 1); 0: leaf */
} tree_cnode_t;

/* Margin <-> output mappings of the objectives (XGBoost's ProbToMargin and
 * PredTransform). */
typedef enum { TREE_MARGIN_IDENTITY, TREE_MARGIN_LOGIT, TREE_MARGIN_LOG } tree_margin_fn_t;
typedef enum {
    TREE_XFORM_IDENTITY,
    TREE_XFORM_SIGMOID,
    TREE_XFORM_EXP,
    TREE_XFORM_HINGE
} tree_xform_t;

struct tree_model {
    atomic_size_t refs;
    size_t num_features;
    size_t num_trees;
    int max_depth;
    char *objective;
    tree_xform_t xform;
    float base_score;
    float base_margin;
    char **feature_names; /* NULL or num_features strings */
    char **feature_types; /* NULL or num_features strings */

    /* compact layout: tree t is cnodes[ctree_off[t] ..] */
    tree_cnode_t *cnodes;
    size_t *ctree_off;
    size_t num_cnodes;

    /* perfect layout (NULL when not built): depth pdepth, tree t's internal
     * nodes at pnodes[t * ((1<<pdepth) - 1)], leaves at
     * pleaves[t << pdepth]. */
    tree_pnode_t *pnodes;
    float *pleaves;
    int pdepth;
};

/* Build (or drop, with enable = 0) the perfect layout; used by the loader and
 * by tests that pin one layout.  Returns 0 or FERR_NOMEM / FERR_LIMIT. */
int tree__build_perfect(tree_model_t *m, int enable, ferr_t *e);

/* Margin of one row through the compact layout only (test reference). */
float tree__margin_compact(const tree_model_t *m, const float *x);

/* The objective's transform in float, as XGBoost computes it. */
float tree__transform(tree_xform_t xf, float margin);

#endif
