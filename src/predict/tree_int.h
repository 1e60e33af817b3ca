/*
 * tree_int.h - internals of the tree predictor shared by its loader
 * (tree_load.c), its evaluator (tree_eval.c) and its unit tests.  Nothing
 * outside src/predict and tests/unit/predict includes this.
 *
 * Three physical layouts of the same ensemble, chosen at load by size
 * (numbers: docs/predict.md, measured on this 2-core box in one run):
 *
 *  - "packed": single rows, and batches of models too big for "perfect".
 *    The reachable nodes only, one 64-bit word each (TREE_W_*): the slot
 *    of the widened row the split reads, the threshold as an
 *    order-preserving integer key, and the offset to the right child (the
 *    left child is the slot before it).  The row is widened into words of
 *    the same shape (tree__row_word), so one unsigned 64-bit compare of
 *    row word and node word is XGBoost's test, missing values included.
 *    A leaf is a node whose step always lands on itself, so every tree is
 *    walked a fixed number of steps (its depth) without a data-dependent
 *    branch, and TREE_KLANES trees are walked in lock step.  Nodes in
 *    pre-order of sibling pairs, so going left mostly stays in the cache
 *    line; each root sits at an odd index so that every pair is 16-byte
 *    aligned and never straddles a cache line (the step prefetches the
 *    pair).  500 trees of depth 8 trained on real-looking data have ~204
 *    nodes per tree, not 511: 815 KB instead of the 1.5 MB of the perfect
 *    layout.  Built unless a tree is too wide for 16-bit offsets, the
 *    model has more than 32,767 features or a threshold is NaN.
 *
 *  - "perfect": batches of small models.  Every tree padded to a complete
 *    binary tree of the model's depth D (a leaf above depth D becomes a
 *    split on feature 0 whose both sides end in copies of that leaf).
 *    Internal nodes are implicit-indexed (children of i are 2i+1, 2i+2), 8
 *    bytes each; the 2^D leaves follow in their own float array.  The step
 *    needs no offset load and no group padding, so 8 rows walking one tree
 *    in lock step beat the packed layout while the padded trees stay in L1;
 *    beyond that the packed batch (a group of 16 trees over every row of a
 *    block) wins.  Batch of 100,000 rows, one thread, us a row, perfect /
 *    packed (padded size): 10 trees depth 3 0.041 / 0.176 (1 KB), 50 x 4
 *    0.180 / 0.275 (9 KB), 100 x 4 0.339 / 0.394 (18 KB), 30 x 6 0.158 /
 *    0.230 (23 KB), 200 x 4 0.688 / 0.612 (37 KB), 60 x 6 0.362 / 0.383
 *    (46 KB), 100 x 6 0.494 / 0.453 (76 KB), 300 x 5 1.208 / 0.919
 *    (113 KB).  Built when D <= TREE_PERFECT_MAX_DEPTH and the padded size
 *    stays under TREE_PERFECT_MAX_BYTES.
 *
 *  - "compact": the reachable nodes of each tree in breadth-first order with
 *    the two children adjacent, 12 bytes a node.  Always built: the source
 *    of the other two, the fallback for models they cannot represent, and
 *    the reference for the tests.
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
/* Trees walked in lock step for one row (numbers in tree_eval.c). */
#define TREE_KLANES 16
#define TREE_PERFECT_MAX_DEPTH 10
/* the crossover measured above: about this core's L1 (48 KB) less the
 * block's rows */
#define TREE_PERFECT_MAX_BYTES ((size_t)32 << 10)

/* Packed split word: feature index in the low 31 bits, bit 31 set when a
 * missing value goes left. */
#define TREE_DEFAULT_LEFT 0x80000000u
#define TREE_FEATURE_MASK 0x7fffffffu

typedef struct tree_pnode {
    float thr;
    uint32_t word;
} tree_pnode_t;

/* Packed node word, high to low:
 *   bits 63..48  slot of the widened row the split reads (a leaf reads
 *                slot 2 * num_features, whose word is the slot alone,
 *                below every leaf's word)
 *   bits 47..16  tree__key(threshold); at a leaf, the leaf value's bits
 *   bits 15..0   right child minus this node, >= 1 (left = right - 1);
 *                1 at a leaf, whose step always goes left: a self-loop
 * A row word (tree__row_word) has its slot in the same high bits, the
 * value's key in the middle and 0xffff below, so for the node word w and
 * the row word x of w's slot, x < w exactly when key(value) < key(threshold),
 * i.e. when XGBoost goes left. */
#define TREE_W_SLOT_SHIFT 48
#define TREE_W_KEY_SHIFT 16
#define TREE_W_OFF_MASK 0xffffu
/* Keys of a missing value: below every threshold key (sent left) and
 * above every one (sent right).  Non-NaN floats map into
 * [0x007fffff, 0xff800000], so neither collides with a real value. */
#define TREE_KEY_MISSING_LEFT 0u
#define TREE_KEY_MISSING_RIGHT 0xffffffffu

/* Order-preserving key of a non-NaN float: a < b exactly when key(a) <
 * key(b) as unsigned, and key(-0) == key(+0) as -0 == +0 in float. */
static inline uint32_t tree__key(float f)
{
    union { float f; uint32_t u; } v = {f == 0.0f ? 0.0f : f};
    return (v.u & 0x80000000u) ? ~v.u : v.u | 0x80000000u;
}

static inline uint64_t tree__row_word(size_t slot, uint32_t key)
{
    return (uint64_t)slot << TREE_W_SLOT_SHIFT |
           (uint64_t)key << TREE_W_KEY_SHIFT | TREE_W_OFF_MASK;
}

typedef enum {
    TREE_ORDER_BFS = 0,    /* level by level */
    TREE_ORDER_PAIRS = 1   /* pre-order of sibling pairs */
} tree_order_t;

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

    /* packed layout (NULL when not built): tree t's nodes start at
     * knodes[kroot[t]].  kroot is padded to whole groups of TREE_KLANES
     * trees with repeats of the last root, and the walk of group g takes
     * kgdepth[g] steps, the depth of its deepest tree. */
    uint64_t *knodes;
    uint32_t *kroot;
    uint8_t *kgdepth;
};

/* Build (or drop, with enable = 0) the perfect layout; used by the loader and
 * by tests that pin one layout.  Returns 0 or FERR_NOMEM / FERR_LIMIT. */
int tree__build_perfect(tree_model_t *m, int enable, ferr_t *e);

/* Build (or drop, with enable = 0) the packed layout in the given node
 * order.  A model it cannot represent (more than 32,767 features, a tree
 * too wide for 16-bit offsets) is left without it, which is not an error. */
int tree__build_packed(tree_model_t *m, int enable, tree_order_t order,
                       ferr_t *e);

/* Margin of one row through the compact layout only (test reference). */
float tree__margin_compact(const tree_model_t *m, const float *x);

/* The objective's transform in float, as XGBoost computes it. */
float tree__transform(tree_xform_t xf, float margin);

#endif
