/*
 * gen_loans.c - the synthetic loan log (see gen_loans.h).
 */
#include "cli/gen_loans.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/afile.h"
#include "base/mem.h"
#include "data/parse.h"

/* splitmix64: tiny, fast, and identical on every platform. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct customer {
    int64_t id;
    char gender, own_car;
    int64_t birthday;   /* days */
    int64_t job_start;  /* days; placeholder for pensioners */
    double income;
    const char *income_type;
    const char *occupation;
    double risk;        /* latent */
    int loans;          /* loans so far, while generating */
} customer_t;

static const char *const INCOME_TYPES[] = {"Working", "Commercial associate",
                                           "Pensioner", "State servant"};
static const char *const OCCUPATIONS[] = {"Laborers", "Core staff", "Sales staff",
                                          "Managers", "Drivers", ""};

int gen_loans_write(const char *path, size_t rows, size_t customers,
                    uint64_t seed, ferr_t *e)
{
    afile_t af;
    customer_t *cs;
    uint64_t s = seed;
    int64_t first_day = days_from_civil(2019, 1, 1);
    int64_t placeholder = days_from_civil(3021, 9, 18);
    char d1[16], d2[16], d3[16];
    int rc;

    if (customers == 0 || rows == 0)
        return ferr_set(e, FERR_USAGE, "gen: rows and customers must be > 0");
    rc = afile_open(&af, path, e);
    if (rc)
        return rc;
    cs = xcalloc(customers, sizeof(*cs));
    for (size_t i = 0; i < customers; i++) {
        customer_t *c = &cs[i];
        int64_t age_days = (int64_t)(365.25 * (21 + 45 * uniform(&s)));
        c->id = 5000000 + (int64_t)i * 7 + (int64_t)(next_u64(&s) % 7);
        c->gender = uniform(&s) < 0.66 ? 'F' : 'M';
        c->own_car = uniform(&s) < 0.38 ? 'Y' : 'N';
        c->birthday = first_day - age_days;
        c->income = 27000 + floor(uniform(&s) * 40) * 4500;
        c->income_type = INCOME_TYPES[next_u64(&s) % 4];
        if (age_days > 365.25 * 58 && uniform(&s) < 0.7)
            c->income_type = "Pensioner";
        if (c->income_type[0] == 'P') {
            c->job_start = placeholder;
            c->occupation = "";
        } else {
            c->job_start = first_day - (int64_t)(uniform(&s) * (double)(age_days - 365 * 18));
            c->occupation = OCCUPATIONS[next_u64(&s) % 6];
        }
        c->risk = -0.9 * log(uniform(&s) + 1e-9); /* exponential: a few risky */
    }
    fputs("loan_id,id,code_gender,flag_own_car,amt_income_total,name_income_type,"
          "occupation_type,birthday,job_start_date,loan_date,loan_amount,status\n",
          af.fp);
    for (size_t r = 0; r < rows; r++) {
        /* rows ordered by loan date, customers interleaved */
        int64_t day = first_day + (int64_t)((730.0 * (double)r) / (double)rows);
        customer_t *c = &cs[next_u64(&s) % customers];
        double amount = 100.0 + 60.0 * -log(uniform(&s) + 1e-12) + uniform(&s);
        double age = (double)(day - c->birthday) / 365.25;
        double z = -4.7 + 1.3 * c->risk + 0.025 * (40.0 - age) +
                   (c->loans == 0 ? 0.6 : -0.08 * c->loans) +
                   0.004 * (amount - 160.0) + (c->own_car == 'Y' ? -0.3 : 0.0);
        int status = uniform(&s) < 1.0 / (1.0 + exp(-z));
        format_date(c->birthday, d1, sizeof(d1));
        format_date(c->job_start, d2, sizeof(d2));
        format_date(day, d3, sizeof(d3));
        fprintf(af.fp, "%zu,%lld,%c,%c,%.1f,%s,%s,%s,%s,%s,%.6f,%d\n", r + 1,
                (long long)c->id, c->gender, c->own_car, c->income,
                c->income_type, c->occupation, d1, d2, d3, amount, status);
        c->loans++;
    }
    free(cs);
    return afile_commit(&af, e);
}
