/*
 * fuzz_linear.c - linear_from_json on arbitrary bytes: a stored linear model
 * is read back by the registry and the server, so a corrupt or hostile file
 * must give an error, never a crash.  A model that parses must also predict
 * (every index it holds is in range).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "train/linear.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    linear_model_t m;
    ferr_t e = {0};
    if (linear_from_json((const char *)data, size, &m, &e) != FERR_OK)
        return 0;
    float *x = calloc(m.nin, sizeof(float));
    double out;
    if (m.nin > 0)
        x[0] = NAN; /* exercise imputation */
    linear_predict(&m, x, 1, &out);
    free(x);
    size_t len;
    char *js = linear_to_json(&m, &len);
    free(js);
    linear_free(&m);
    return 0;
}
