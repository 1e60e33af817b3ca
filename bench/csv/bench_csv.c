/*
 * bench_csv.c - time csv_read_file on the loan log's 7 typed columns.
 *
 * Usage: bench_csv FILE [THREADS] [REPEATS]
 * One warm-up read (page cache, allocator), then the best of REPEATS
 * (default 3).  Prints "ferry_s=S rows=N rejected=R" plus a checksum of
 * every column so a wrong-but-fast reader cannot pass unnoticed; bench/csv/run
 * compares it with pandas in the same run.  The reads run in the allocator
 * mode `ferry features build` parses in (mem_bulk_mode: freed memory kept,
 * heap pre-grown with huge pages), so the figure is what a build sees.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"
#include "base/progress.h"
#include "data/csv.h"

int main(int argc, char **argv)
{
    csv_colopt_t cols[7];
    csv_opts_t o;
    ferr_t e = {0};
    double best = INFINITY;
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    if (argc < 2) {
        fprintf(stderr, "usage: bench_csv FILE [THREADS] [REPEATS]\n");
        return 2;
    }
    csv_colopt_init(&cols[0], "id", FT_INT);
    csv_colopt_init(&cols[1], "flag_own_car", FT_CATEGORY);
    csv_colopt_init(&cols[2], "status", FT_INT);
    csv_colopt_init(&cols[3], "birthday", FT_DATE);
    csv_colopt_init(&cols[4], "job_start_date", FT_DATE);
    csv_colopt_init(&cols[5], "loan_date", FT_DATE);
    csv_colopt_init(&cols[6], "loan_amount", FT_FLOAT);
    csv_opts_init(&o);
    o.cols = cols;
    o.ncols = 7;
    o.threads = argc > 2 ? atoi(argv[2]) : 0;
    o.quiet = true;
    {
        FILE *fp = fopen(argv[1], "rb");
        long size = 0;
        if (fp && fseek(fp, 0, SEEK_END) == 0)
            size = ftell(fp);
        if (fp)
            fclose(fp);
        mem_bulk_mode(2 * (size_t)(size > 0 ? size : 0)); /* as cmd_features.c */
    }
    for (int r = 0; r <= repeats; r++) {
        table_t *t;
        csv_report_t rep;
        double t0 = now_seconds();
        if (csv_read_file(argv[1], &o, &t, &rep, &e) != FERR_OK) {
            fprintf(stderr, "bench_csv: %s\n", ferr_msg(&e));
            return 1;
        }
        double dt = now_seconds() - t0;
        if (r > 0 && dt < best)
            best = dt;
        if (r == repeats) {
            double sum[7] = {0};
            for (size_t i = 0; i < t->nrows; i++)
                for (int j = 0; j < 7; j++)
                    sum[j] += j == 1 ? (double)t->cols[j]->code[i]
                                     : col_num(t->cols[j], i);
            printf("checksum id=%.0f car=%.0f status=%.0f birthday=%.0f "
                   "job_start=%.0f loan_date=%.0f amount=%.6f\n",
                   sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6]);
            printf("ferry_s=%.4f rows=%zu rejected=%zu bytes=%zu\n", best,
                   rep.rows, rep.rejected, rep.bytes);
        }
        table_free(t);
    }
    return 0;
}
