/*
 * tree_eval.c - evaluating a loaded ensemble: one row, or a batch on all
 * cores.
 *
 * Exactness: XGBoost 1.7.4 (cpu_predictor.cc) starts every row at the base
 * margin and adds each tree's float leaf value, in tree order, to a float
 * accumulator; the objective's transform then runs in float.  Every path
 * below does exactly that, so results are bit-identical, not just close.
 * Lanes that walk several trees at once still add their leaves in tree order.
 *
 * Speed: a tree walk is a chain of dependent loads (node -> feature value ->
 * next node), so one walk at a time leaves the core idle most of the time.
 * Both the packed and the perfect layout (tree_int.h) give every walk a
 * fixed trip count and no data-dependent branch, which lets several walks
 * run in lock step: 16 trees for one row (TREE_KLANES; a batch runs each
 * group of 16 trees over every row of a block), 8 rows through one tree in
 * a batch of a small model (perfect layout, TREE_LANES).  Their chains
 * are independent and the out-of-order core overlaps them; warm, a packed
 * step (8 instructions) then costs ~0.5 ns, about the core's issue width
 * (500 trees x depth 8: ~2.1 us a row, 100 x depth 6: ~0.34 us).  Numbers
 * behind each choice are next to it.
 */
#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "predict/tree_int.h"

#define TREE_LANES 8
/* Rows per block in batch mode: the block's rows stay in L1/L2 while every
 * tree passes over them, and each tree's nodes are reused by all of them. */
#define TREE_BLOCK_ROWS 64
/* Below this many rows per thread, starting threads costs more than it
 * saves. */
#define TREE_MIN_ROWS_PER_THREAD 2048

float tree__transform(tree_xform_t xf, float margin)
{
    switch (xf) {
    case TREE_XFORM_SIGMOID:
        return 1.0f / (1.0f + expf(-margin));
    case TREE_XFORM_EXP:
        return expf(margin);
    case TREE_XFORM_HINGE:
        return margin > 0.0f ? 1.0f : 0.0f;
    case TREE_XFORM_IDENTITY:
        break;
    }
    return margin;
}

/* 1 when the walk goes right.  !(f < thr) is XGBoost's test, and it is 1
 * for NaN; a missing value at a default-left split flips it to 0. */
static inline uint32_t go_right(float f, float thr, uint32_t word)
{
    return (uint32_t)!(f < thr) ^ ((uint32_t)(f != f) & (word >> 31));
}

/* ---- perfect layout ---------------------------------------------------- */

static void perfect_fill(const tree_cnode_t *tn, uint32_t src, tree_pnode_t *pn,
                         float *pl, size_t ni, size_t dst, int d, int depth)
{
    if (d == depth) {
        pl[dst - ni] = tn[src].value; /* a leaf: the walk is at depth D */
        return;
    }
    if (tn[src].left == 0) {
        /* leaf above depth D: pad with a split whose both sides hold it */
        pn[dst].thr = 0.0f;
        pn[dst].word = 0;
        perfect_fill(tn, src, pn, pl, ni, 2 * dst + 1, d + 1, depth);
        perfect_fill(tn, src, pn, pl, ni, 2 * dst + 2, d + 1, depth);
        return;
    }
    pn[dst].thr = tn[src].value;
    pn[dst].word = 2 * (tn[src].word & TREE_FEATURE_MASK) +
                   !(tn[src].word & TREE_DEFAULT_LEFT);
    perfect_fill(tn, tn[src].left, pn, pl, ni, 2 * dst + 1, d + 1, depth);
    perfect_fill(tn, tn[src].left + 1, pn, pl, ni, 2 * dst + 2, d + 1, depth);
}

int tree__build_perfect(tree_model_t *m, int enable, ferr_t *e)
{
    free(m->pnodes);
    free(m->pleaves);
    m->pnodes = NULL;
    m->pleaves = NULL;
    m->pdepth = 0;
    if (!enable || m->max_depth > TREE_PERFECT_MAX_DEPTH || m->num_trees == 0)
        return 0;
    /* the widened row sends a missing value left as -inf, which is only
     * right if no threshold is -inf or NaN (never seen from XGBoost) */
    for (size_t i = 0; i < m->num_cnodes; i++)
        if (m->cnodes[i].left && !(m->cnodes[i].value > -INFINITY))
            return 0;
    int depth = m->max_depth;
    size_t nl = (size_t)1 << depth, ni = nl - 1;
    size_t bytes = m->num_trees * (ni * sizeof(tree_pnode_t) + nl * sizeof(float));
    if (bytes > TREE_PERFECT_MAX_BYTES)
        return 0; /* the compact layout serves; not an error */
    m->pnodes = malloc((ni ? ni : 1) * m->num_trees * sizeof(tree_pnode_t));
    m->pleaves = malloc(nl * m->num_trees * sizeof(float));
    if (!m->pnodes || !m->pleaves) {
        free(m->pnodes);
        free(m->pleaves);
        m->pnodes = NULL;
        m->pleaves = NULL;
        return ferr_set(e, FERR_NOMEM, "model: %zu bytes for the tree layout",
                        bytes);
    }
    for (size_t t = 0; t < m->num_trees; t++)
        perfect_fill(m->cnodes + m->ctree_off[t], 0, m->pnodes + t * ni,
                     m->pleaves + t * nl, ni, 0, 0, depth);
    m->pdepth = depth;
    return 0;
}

/* ---- packed layout ----------------------------------------------------- */

static uint64_t packed_word(const tree_cnode_t *c, size_t pos, size_t left,
                            size_t leaf_slot)
{
    if (c->left == 0) { /* its row word is below it: a step is +1 - 1 */
        union { float f; uint32_t u; } v = {c->value};
        return (uint64_t)leaf_slot << TREE_W_SLOT_SHIFT |
               (uint64_t)v.u << TREE_W_KEY_SHIFT | 1u;
    }
    uint64_t slot = 2 * (c->word & TREE_FEATURE_MASK) +
                    !(c->word & TREE_DEFAULT_LEFT);
    return slot << TREE_W_SLOT_SHIFT |
           (uint64_t)tree__key(c->value) << TREE_W_KEY_SHIFT |
           (uint64_t)(left + 1 - pos);
}

/* Place tn[src] at k[pos] and its subtree from *next on: each node's
 * children pair is allocated when the node is placed, then the left child's
 * subtree is laid out before the right child's (pre-order of sibling pairs),
 * so a step to the left child usually stays in the same cache line.
 * Returns -1 when an offset does not fit in 16 bits. */
static int packed_pairs(const tree_cnode_t *tn, uint32_t src, uint64_t *k,
                        size_t pos, size_t *next, size_t leaf_slot)
{
    size_t c = *next;
    if (tn[src].left == 0) {
        k[pos] = packed_word(&tn[src], pos, 0, leaf_slot);
        return 0;
    }
    if (c + 1 - pos > TREE_W_OFF_MASK)
        return -1;
    *next += 2;
    k[pos] = packed_word(&tn[src], pos, c, leaf_slot);
    if (packed_pairs(tn, tn[src].left, k, c, next, leaf_slot) ||
        packed_pairs(tn, tn[src].left + 1, k, c + 1, next, leaf_slot))
        return -1;
    return 0;
}

static int packed_depth(const tree_cnode_t *tn, uint32_t i)
{
    if (tn[i].left == 0)
        return 0;
    int l = packed_depth(tn, tn[i].left), r = packed_depth(tn, tn[i].left + 1);
    return 1 + (l > r ? l : r);
}

static void packed_free(tree_model_t *m)
{
    free(m->knodes);
    free(m->kroot);
    free(m->kgdepth);
    m->knodes = NULL;
    m->kroot = NULL;
    m->kgdepth = NULL;
}

int tree__build_packed(tree_model_t *m, int enable, tree_order_t order,
                       ferr_t *e)
{
    packed_free(m);
    if (!enable || m->num_trees == 0 || 2 * m->num_features > UINT16_MAX ||
        m->num_cnodes + m->num_trees + 1 > UINT32_MAX)
        return 0;
    /* a NaN threshold has no key; XGBoost never writes one */
    for (size_t i = 0; i < m->num_cnodes; i++)
        if (m->cnodes[i].left && m->cnodes[i].value != m->cnodes[i].value)
            return 0;
    /* one slot of padding per tree at most (roots at odd indexes); the
     * array is cache-line aligned so 16-byte aligned pairs stay in a line */
    size_t cap = m->num_cnodes + m->num_trees + 1;
    size_t bytes = (cap * sizeof(uint64_t) + 63) / 64 * 64;
    m->knodes = aligned_alloc(64, bytes);
    const size_t ngroups = (m->num_trees + TREE_KLANES - 1) / TREE_KLANES;
    m->kroot = malloc(ngroups * TREE_KLANES * sizeof(*m->kroot));
    m->kgdepth = calloc(ngroups, 1);
    if (!m->knodes || !m->kroot || !m->kgdepth) {
        packed_free(m);
        return ferr_set(e, FERR_NOMEM, "model: %zu nodes for the packed layout",
                        m->num_cnodes);
    }
    memset(m->knodes, 0, bytes);
    const size_t leaf_slot = 2 * m->num_features;
    size_t pos = 1;
    for (size_t t = 0; t < m->num_trees; t++) {
        const tree_cnode_t *tn = m->cnodes + m->ctree_off[t];
        size_t n = m->ctree_off[t + 1] - m->ctree_off[t];
        int ok = 1, depth = packed_depth(tn, 0); /* <= TREE_MAX_DEPTH */
        pos |= 1; /* children pairs then start at even indexes */
        m->kroot[t] = (uint32_t)pos;
        if (order == TREE_ORDER_PAIRS) {
            size_t next = pos + 1;
            ok = packed_pairs(tn, 0, m->knodes, pos, &next, leaf_slot) == 0;
            pos = next;
        } else {
            /* breadth-first as compacted: children pairs at odd indexes */
            for (size_t i = 0; i < n && ok; i++) {
                ok = tn[i].left == 0 || tn[i].left + 1 - i <= TREE_W_OFF_MASK;
                m->knodes[pos + i] = packed_word(&tn[i], i, tn[i].left, leaf_slot);
            }
            pos += n;
        }
        if (!ok) {
            packed_free(m);
            return 0; /* a tree too wide for 16-bit offsets */
        }
        if (depth > m->kgdepth[t / TREE_KLANES])
            m->kgdepth[t / TREE_KLANES] = (uint8_t)depth;
    }
    /* the last group's spare lanes walk its last tree again, ignored */
    for (size_t t = m->num_trees; t < ngroups * TREE_KLANES; t++)
        m->kroot[t] = m->kroot[m->num_trees - 1];
    return 0;
}

/* The row as the packed layout reads it (tree_int.h): slot 2f for the
 * splits whose missing values go left, 2f+1 for the others, both with the
 * key of x[f], or the missing key of their direction; slot 2nf for leaves. */
static inline void widen_row_packed(const float *x, size_t nf, uint64_t *xw)
{
    for (size_t f = 0; f < nf; f++) {
        if (x[f] != x[f]) {
            xw[2 * f] = tree__row_word(2 * f, TREE_KEY_MISSING_LEFT);
            xw[2 * f + 1] = tree__row_word(2 * f + 1, TREE_KEY_MISSING_RIGHT);
        } else {
            uint32_t k = tree__key(x[f]);
            xw[2 * f] = tree__row_word(2 * f, k);
            xw[2 * f + 1] = tree__row_word(2 * f + 1, k);
        }
    }
    xw[2 * nf] = (uint64_t)(2 * nf) << TREE_W_SLOT_SHIFT; /* the leaves' */
}

/* The leaf value of the word at kn[i]: its bits 47..16, which on a
 * little-endian machine are the 4 bytes at offset 2, so the add takes the
 * float straight from memory (one instruction instead of four). */
static inline float packed_leaf(const uint64_t *kn, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    float f;
    memcpy(&f, (const char *)(kn + i) + TREE_W_KEY_SHIFT / 8, sizeof(f));
    return f;
#else
    union { uint32_t u; float f; } v = {(uint32_t)(kn[i] >> TREE_W_KEY_SHIFT)};
    return v.f;
#endif
}

/* One level: to the right child (i + off) unless the row word is below the
 * node word, then to the left one (i + off - 1).  The compare compiles to
 * cmp + sbb: no branch.  The pair's line is prefetched as soon as the
 * offset is known, which overlaps its L2 latency with the row load and the
 * compare (500 x depth 8: 2.3 against 2.7 us a row without it). */
#define KSTEP(kn, i, xw)                                                     \
    do {                                                                     \
        const uint64_t w_ = (kn)[i];                                         \
        const size_t nx_ = (i) + (w_ & TREE_W_OFF_MASK);                     \
        __builtin_prefetch((kn) + nx_);                                      \
        (i) = nx_ - ((xw)[w_ >> TREE_W_SLOT_SHIFT] < w_);                    \
    } while (0)

/* TREE_KLANES (tree_int.h): trees walked in lock step for one row; their
 * load chains are independent and the out-of-order core overlaps them.
 * Best-of-200 means of 1,000 random rows, us per row, 500 trees depth 8,
 * one run: the float node of the previous layout (threshold, 16-bit slot
 * and offset: four loads a step) 3.10; this word, 12 lanes 2.72, 16 lanes
 * 3.06; with the prefetch, 12 lanes 2.42, 16 lanes 2.33, 20 lanes 5.1
 * (spills); roots at odd indexes 2.29; the slot in the top bits (one shift
 * fewer) 2.23-2.28.  Tried and dropped: AVX-512 walks (16 trees a vector,
 * gathers for the nodes: 4.0 against 3.1 us); the top 3-5 levels of 16
 * trees at a time by vpermt2ps/vcmpps into per-lane bit masks, then the
 * scalar walk: no faster (3.1-3.5 us), the vector part alone cost as much
 * as the scalar levels it replaced; thresholds as per-feature ranks (16
 * bits) so the word can hold the child's absolute index (7 instructions a
 * step): the row's binary searches cost more than the step saved.  Per
 * group, the depth and whole-group roots come precomputed (tree__build_
 * packed) and leaves are added from memory: 2.4 -> 2.1 us. */
/* Group g (trees t .. t + TREE_KLANES) for one widened row: its leaves
 * added to acc in tree order. */
static inline float group_packed(const tree_model_t *m, size_t g,
                                 const uint64_t *xw, float acc)
{
    const uint64_t *kn = m->knodes;
    const size_t t = g * TREE_KLANES, nt = m->num_trees;
    size_t i[TREE_KLANES];
#pragma GCC unroll 16
    for (size_t k = 0; k < TREE_KLANES; k++)
        i[k] = m->kroot[t + k]; /* padded: the last group is whole too */
    for (int d = 0; d < m->kgdepth[g]; d++) {
#pragma GCC unroll 16
        for (size_t k = 0; k < TREE_KLANES; k++)
            KSTEP(kn, i[k], xw);
    }
    if (nt - t >= TREE_KLANES) {
#pragma GCC unroll 16
        for (size_t k = 0; k < TREE_KLANES; k++)
            acc += packed_leaf(kn, i[k]); /* tree order, like XGBoost */
    } else {
        for (size_t k = 0; k < nt - t; k++)
            acc += packed_leaf(kn, i[k]);
    }
    return acc;
}

static float margin_packed(const tree_model_t *m, const uint64_t *xw)
{
    float acc = m->base_margin;
    for (size_t g = 0; g * TREE_KLANES < m->num_trees; g++)
        acc = group_packed(m, g, xw, acc);
    return acc;
}

/* Rows [0, n) of a block, widened (row r at xw + r * (2nf + 1)): each
 * group of trees walks every row of the block in turn, so the group's
 * nodes stay in L1 while the block's rows pass through them. */
static void block_packed(const tree_model_t *m, const uint64_t *xw, size_t n,
                         size_t nf, float *acc)
{
    const size_t w = 2 * nf + 1;
    for (size_t r = 0; r < n; r++)
        acc[r] = m->base_margin;
    for (size_t g = 0; g * TREE_KLANES < m->num_trees; g++)
        for (size_t r = 0; r < n; r++)
            acc[r] = group_packed(m, g, xw + r * w, acc[r]);
}

/* The row as the perfect layout reads it: xx[2f] is x[f] with a missing
 * value replaced by -inf, which every finite threshold sends left, and
 * xx[2f+1] is x[f] as is, NaN, which !(v < thr) sends right.  A node of a
 * default-left split reads the first copy, any other node the second, so
 * the walk needs one compare per level and no missing-value test. */
static inline void widen_row(const float *x, size_t nf, float *xx)
{
    for (size_t f = 0; f < nf; f++) {
        xx[2 * f] = x[f] != x[f] ? -INFINITY : x[f];
        xx[2 * f + 1] = x[f];
    }
}

#define STEP(base, i, xx)                                                    \
    do {                                                                     \
        tree_pnode_t n_ = (base)[i];                                         \
        (i) = 2 * (i) + 1 + (uint32_t)!((xx)[n_.word] < n_.thr);             \
    } while (0)

/* Rows [0, n) of a block, already widened (row r at xx + r * 2nf):
 * TREE_LANES rows walk each tree in lock step. */
static void block_perfect(const tree_model_t *m, const float *xx, size_t n,
                          size_t nf, float *acc)
{
    const int depth = m->pdepth;
    const size_t nl = (size_t)1 << depth, ni = nl - 1, nt = m->num_trees;
    const size_t w = 2 * nf + 1;
    for (size_t r = 0; r < n; r++)
        acc[r] = m->base_margin;
    for (size_t t = 0; t < nt; t++) {
        const tree_pnode_t *b = m->pnodes + t * ni;
        const float *l = m->pleaves + t * nl;
        size_t r = 0;
        for (; r + TREE_LANES <= n; r += TREE_LANES) {
            const float *x = xx + r * w;
            uint32_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0, i6 = 0, i7 = 0;
            for (int d = 0; d < depth; d++) {
                STEP(b, i0, x);
                STEP(b, i1, x + w);
                STEP(b, i2, x + 2 * w);
                STEP(b, i3, x + 3 * w);
                STEP(b, i4, x + 4 * w);
                STEP(b, i5, x + 5 * w);
                STEP(b, i6, x + 6 * w);
                STEP(b, i7, x + 7 * w);
            }
            acc[r] += l[i0 - ni];
            acc[r + 1] += l[i1 - ni];
            acc[r + 2] += l[i2 - ni];
            acc[r + 3] += l[i3 - ni];
            acc[r + 4] += l[i4 - ni];
            acc[r + 5] += l[i5 - ni];
            acc[r + 6] += l[i6 - ni];
            acc[r + 7] += l[i7 - ni];
        }
        for (; r < n; r++) {
            uint32_t i = 0;
            for (int d = 0; d < depth; d++)
                STEP(b, i, xx + r * w);
            acc[r] += l[i - ni];
        }
    }
}

/* ---- compact layout ---------------------------------------------------- */

static inline float walk_compact(const tree_cnode_t *tn, const float *x)
{
    uint32_t i = 0;
    while (tn[i].left) {
        const tree_cnode_t *c = &tn[i];
        i = c->left + go_right(x[c->word & TREE_FEATURE_MASK], c->value, c->word);
    }
    return tn[i].value;
}

float tree__margin_compact(const tree_model_t *m, const float *x)
{
    float acc = m->base_margin;
    for (size_t t = 0; t < m->num_trees; t++)
        acc += walk_compact(m->cnodes + m->ctree_off[t], x);
    return acc;
}

static void block_compact(const tree_model_t *m, const float *X, size_t n,
                          size_t stride, float *acc)
{
    for (size_t r = 0; r < n; r++)
        acc[r] = m->base_margin;
    for (size_t t = 0; t < m->num_trees; t++) {
        const tree_cnode_t *tn = m->cnodes + m->ctree_off[t];
        for (size_t r = 0; r < n; r++)
            acc[r] += walk_compact(tn, X + r * stride);
    }
}

/* ---- public entry points ----------------------------------------------- */

/* Rows up to this wide are widened on the stack (8 KB); wider ones on the
 * heap, whose malloc is small beside walking a model that wide. */
#define TREE_STACK_FEATURES 512

/* Single rows always take the packed layout when the model has it (it has,
 * unless a tree is too wide for 16-bit offsets): see the numbers at
 * TREE_KLANES. */
static float margin_row(const tree_model_t *m, const float *x)
{
    const size_t nf = m->num_features;
    if (!m->knodes)
        return tree__margin_compact(m, x);
    if (nf <= TREE_STACK_FEATURES) {
        uint64_t xw[2 * TREE_STACK_FEATURES + 1];
        widen_row_packed(x, nf, xw);
        return margin_packed(m, xw);
    }
    uint64_t *xw = xmalloc((2 * nf + 1) * sizeof(*xw));
    widen_row_packed(x, nf, xw);
    float v = margin_packed(m, xw);
    xfree(xw); /* a record scored inside an arena: its memory */
    return v;
}

double tree_predict_margin(const tree_model_t *m, const float *x)
{
    return margin_row(m, x);
}

double tree_predict_row(const tree_model_t *m, const float *x)
{
    return tree__transform(m->xform, margin_row(m, x));
}

typedef struct batch_job {
    const tree_model_t *m;
    const float *X;
    size_t nrows, stride;
    tree_output_t what;
    double *out;
} batch_job_t;

static void batch_run(const batch_job_t *j)
{
    float acc[TREE_BLOCK_ROWS];
    const size_t nf = j->m->num_features, w = 2 * nf + 1;
    /* widened rows of a block: floats for the perfect layout, words for the
     * packed one (perfect first: built only for small models, where its
     * simpler step wins, tree_int.h) */
    float *xf = NULL;
    uint64_t *xw = NULL;
    if (j->nrows > 0 && j->m->pnodes)
        xf = xmalloc(TREE_BLOCK_ROWS * w * sizeof(*xf));
    else if (j->nrows > 0 && j->m->knodes)
        xw = xmalloc(TREE_BLOCK_ROWS * w * sizeof(*xw));
    for (size_t r0 = 0; r0 < j->nrows; r0 += TREE_BLOCK_ROWS) {
        size_t n = j->nrows - r0 < TREE_BLOCK_ROWS ? j->nrows - r0 : TREE_BLOCK_ROWS;
        const float *X = j->X + r0 * j->stride;
        if (xf) {
            for (size_t r = 0; r < n; r++)
                widen_row(X + r * j->stride, nf, xf + r * w);
            block_perfect(j->m, xf, n, nf, acc);
        } else if (xw) {
            for (size_t r = 0; r < n; r++)
                widen_row_packed(X + r * j->stride, nf, xw + r * w);
            block_packed(j->m, xw, n, nf, acc);
        } else
            block_compact(j->m, X, n, j->stride, acc);
        if (j->what == TREE_OUT_MARGIN)
            for (size_t r = 0; r < n; r++)
                j->out[r0 + r] = acc[r];
        else
            for (size_t r = 0; r < n; r++)
                j->out[r0 + r] = tree__transform(j->m->xform, acc[r]);
    }
    xfree(xf);
    xfree(xw);
}

static void *batch_thread(void *arg)
{
    batch_run(arg);
    return NULL;
}

int tree_predict_batch_ex(const tree_model_t *m, const float *X, size_t nrows,
                          size_t row_stride, tree_output_t what, double *out,
                          int nthreads, ferr_t *e)
{
    if (row_stride < m->num_features)
        return ferr_set(e, FERR_USAGE,
                        "predict: row stride %zu is below the model's %zu "
                        "features", row_stride, m->num_features);
    size_t maxt = nrows / TREE_MIN_ROWS_PER_THREAD;
    if (nthreads <= 0 && maxt > 1) {
        /* only when threads could help: glibc reads /sys for this, an
         * open/read/close that would dominate scoring one record */
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = nc > 0 ? (int)nc : 1;
    }
    if (nthreads <= 0)
        nthreads = 1;
    if ((size_t)nthreads > maxt)
        nthreads = maxt > 1 ? (int)maxt : 1;
    if (nthreads > 256)
        nthreads = 256;

    batch_job_t jobs[256];
    pthread_t tids[256];
    size_t per = (nrows + (size_t)nthreads - 1) / (size_t)nthreads;
    /* round chunks to whole blocks so every thread runs full lanes */
    per = (per + TREE_BLOCK_ROWS - 1) / TREE_BLOCK_ROWS * TREE_BLOCK_ROWS;
    bool running[256] = {false};
    for (int i = 0; i < nthreads; i++) {
        size_t lo = (size_t)i * per;
        size_t hi = lo + per < nrows ? lo + per : nrows;
        if (lo > hi)
            lo = hi; /* an empty tail chunk */
        jobs[i] = (batch_job_t){m, X + lo * row_stride, hi - lo,
                                row_stride, what, out + lo};
    }
    /* chunks 1..n-1 on new threads, chunk 0 on the calling thread; a chunk
     * whose thread cannot start is done here afterwards, so the call never
     * fails half-way */
    for (int i = 1; i < nthreads; i++)
        running[i] = jobs[i].nrows > 0 &&
                     pthread_create(&tids[i], NULL, batch_thread, &jobs[i]) == 0;
    batch_run(&jobs[0]);
    for (int i = 1; i < nthreads; i++) {
        if (running[i])
            pthread_join(tids[i], NULL);
        else if (jobs[i].nrows > 0)
            batch_run(&jobs[i]);
    }
    return 0;
}

int tree_predict_batch(const tree_model_t *m, const float *X, size_t nrows,
                       size_t row_stride, double *out, int nthreads)
{
    return tree_predict_batch_ex(m, X, nrows, row_stride, TREE_OUT_VALUE, out,
                                 nthreads, NULL);
}
