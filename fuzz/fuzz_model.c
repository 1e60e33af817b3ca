/*
 * fuzz_model.c - the XGBoost JSON model loader on arbitrary bytes.
 *
 * A model file is untrusted input (uploads to the registry, `ferry models
 * import`): any bytes must give a model or an error, never a crash, a leak
 * or an out-of-bounds read.  When a model loads, one prediction is made with
 * a row of NaNs and one with zeros, through both the single-row and the batch
 * path, so a loader that lets a bad index through is caught by ASan here;
 * and the fast layouts must agree with the plain compact walk on both rows
 * (differential: a layout bug aborts).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "predict/tree.h"
#include "predict/tree_int.h"

static int same(double a, double b) { return a == b || (a != a && b != b); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tree_model_t *m;
    ferr_t e = {0};
    if (tree_model_load_json((const char *)data, size, &m, &e) != 0)
        return 0;
    size_t nf = tree_model_num_features(m);
    if (nf <= 4096) {
        float *x = malloc(2 * (nf ? nf : 1) * sizeof(float));
        double out[2];
        for (size_t i = 0; i < nf; i++) {
            x[i] = NAN;
            x[nf + i] = 0.0f;
        }
        (void)tree_predict_row(m, x);
        double mg[2] = {tree_predict_margin(m, x), tree_predict_margin(m, x + nf)};
        (void)tree_predict_batch_ex(m, x, 2, nf, TREE_OUT_MARGIN, out, 1, NULL);
        for (int r = 0; r < 2; r++)
            if (!same(mg[r], tree__margin_compact(m, x + r * nf)) ||
                !same(out[r], mg[r]))
                abort();
        free(x);
    }
    tree_model_unref(tree_model_ref(m));
    tree_model_unref(m);
    return 0;
}
