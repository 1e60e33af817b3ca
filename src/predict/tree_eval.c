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
 * The perfect layout (tree_int.h) gives every walk the same trip count and no
 * data-dependent branch, which lets TREE_LANES walks run in lock step: their
 * chains are independent and the out-of-order core overlaps them.  Measured
 * on this 2-core box (bench/predict, 100 trees, depth 6, one row):
 * one-tree-at-a-time compact walk ~1.6 us, 8-lane perfect walk ~0.35 us;
 * see docs/predict.md for the full numbers.
 */
#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    pn[dst].word = tn[src].word;
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

static float margin_perfect(const tree_model_t *m, const float *x)
{
    const int depth = m->pdepth;
    const size_t nl = (size_t)1 << depth, ni = nl - 1, nt = m->num_trees;
    const tree_pnode_t *pn = m->pnodes;
    const float *pl = m->pleaves;
    float acc = m->base_margin;
    size_t t = 0;

    for (; t + TREE_LANES <= nt; t += TREE_LANES) {
        uint32_t idx[TREE_LANES] = {0};
        const tree_pnode_t *base = pn + t * ni;
        for (int d = 0; d < depth; d++)
            for (int g = 0; g < TREE_LANES; g++) {
                tree_pnode_t n = base[g * ni + idx[g]];
                idx[g] = 2 * idx[g] + 1 +
                         go_right(x[n.word & TREE_FEATURE_MASK], n.thr, n.word);
            }
        for (int g = 0; g < TREE_LANES; g++) /* tree order, like XGBoost */
            acc += pl[(t + g) * nl + idx[g] - ni];
    }
    for (; t < nt; t++) {
        const tree_pnode_t *base = pn + t * ni;
        uint32_t i = 0;
        for (int d = 0; d < depth; d++) {
            tree_pnode_t n = base[i];
            i = 2 * i + 1 + go_right(x[n.word & TREE_FEATURE_MASK], n.thr, n.word);
        }
        acc += pl[t * nl + i - ni];
    }
    return acc;
}

/* Rows [0, n) of a block: TREE_LANES rows walk each tree in lock step. */
static void block_perfect(const tree_model_t *m, const float *X, size_t n,
                          size_t stride, float *acc)
{
    const int depth = m->pdepth;
    const size_t nl = (size_t)1 << depth, ni = nl - 1, nt = m->num_trees;
    for (size_t r = 0; r < n; r++)
        acc[r] = m->base_margin;
    for (size_t t = 0; t < nt; t++) {
        const tree_pnode_t *base = m->pnodes + t * ni;
        const float *leaves = m->pleaves + t * nl;
        size_t r = 0;
        for (; r + TREE_LANES <= n; r += TREE_LANES) {
            uint32_t idx[TREE_LANES] = {0};
            for (int d = 0; d < depth; d++)
                for (int g = 0; g < TREE_LANES; g++) {
                    tree_pnode_t nd = base[idx[g]];
                    const float *x = X + (r + g) * stride;
                    idx[g] = 2 * idx[g] + 1 +
                             go_right(x[nd.word & TREE_FEATURE_MASK], nd.thr,
                                      nd.word);
                }
            for (int g = 0; g < TREE_LANES; g++)
                acc[r + g] += leaves[idx[g] - ni];
        }
        for (; r < n; r++) {
            const float *x = X + r * stride;
            uint32_t i = 0;
            for (int d = 0; d < depth; d++) {
                tree_pnode_t nd = base[i];
                i = 2 * i + 1 +
                    go_right(x[nd.word & TREE_FEATURE_MASK], nd.thr, nd.word);
            }
            acc[r] += leaves[i - ni];
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

static float margin_row(const tree_model_t *m, const float *x)
{
    return m->pnodes ? margin_perfect(m, x) : tree__margin_compact(m, x);
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
    for (size_t r0 = 0; r0 < j->nrows; r0 += TREE_BLOCK_ROWS) {
        size_t n = j->nrows - r0 < TREE_BLOCK_ROWS ? j->nrows - r0 : TREE_BLOCK_ROWS;
        const float *X = j->X + r0 * j->stride;
        if (j->m->pnodes)
            block_perfect(j->m, X, n, j->stride, acc);
        else
            block_compact(j->m, X, n, j->stride, acc);
        if (j->what == TREE_OUT_MARGIN)
            for (size_t r = 0; r < n; r++)
                j->out[r0 + r] = acc[r];
        else
            for (size_t r = 0; r < n; r++)
                j->out[r0 + r] = tree__transform(j->m->xform, acc[r]);
    }
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
    if (nthreads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = nc > 0 ? (int)nc : 1;
    }
    size_t maxt = nrows / TREE_MIN_ROWS_PER_THREAD;
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
