/*
 * gen_loans.h - a deterministic synthetic loan log for `ferry init` and
 * `ferry demo`, so a newcomer runs the whole lifecycle without any data of
 * their own.  Same columns and quirks as the reference credit-risk log
 * (many loans per customer, rows ordered by loan date, the pensioner
 * placeholder job_start_date 3021-09-18, empty occupation), with a default
 * rate (~2-4%) that depends on age, previous loans and amount, so a model
 * has something real to learn.  Same arguments, same bytes, everywhere.
 */
#ifndef FERRY_GEN_LOANS_H
#define FERRY_GEN_LOANS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

int gen_loans_write(const char *path, size_t rows, size_t customers,
                    uint64_t seed, ferr_t *e);

#endif
