/*
 * test_base.c - strings, buffers, errors and atomic files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/err.h"
#include "base/str.h"

static void test_err_table(void **state)
{
    ferr_t e = {0};
    (void)state;
    assert_string_equal(ferr_str(FERR_PARSE), "parse error");
    assert_string_equal(ferr_str(12345), "unknown error");
    assert_int_equal(ferr_set(&e, FERR_IO, "x.csv:%d: bad", 3), FERR_IO);
    ferr_prefix(&e, "build: ");
    assert_string_equal(ferr_msg(&e), "build: x.csv:3: bad");
    assert_int_equal(ferr_set(NULL, FERR_TYPE, "ignored"), FERR_TYPE);
}

static void test_buf_cap(void **state)
{
    buf_t b;
    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "12345678"), FERR_OK);
    assert_int_equal(buf_putc(&b, '9'), FERR_LIMIT);
    assert_int_equal(b.n, 8);
    assert_string_equal(b.p, "12345678");
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), FERR_OK);
    assert_string_equal(b.p, "42-x");
    buf_free(&b);
}

static void test_str(void **state)
{
    (void)state;
    str_t s = str_trim(str_from("  AÑO \r\n"));
    assert_true(str_eq_cstr(s, "AÑO"));
    assert_true(str_ieq_cstr(STR_LIT("Ene"), "ENE"));
    assert_false(str_eq_cstr(s, "AÑ"));
}

static void test_afile_abort_keeps_old(void **state)
{
    char dir[] = "/tmp/ferry_afile_XXXXXX";
    char path[256], *got;
    size_t n;
    afile_t af;
    ferr_t e = {0};
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.csv", dir);
    assert_int_equal(afile_write_all(path, "old\n", 4, &e), FERR_OK);
    assert_int_equal(afile_open(&af, path, &e), FERR_OK);
    fputs("new, half written", af.fp);
    afile_abort(&af);
    assert_int_equal(file_read_all(path, 0, &got, &n, &e), FERR_OK);
    assert_string_equal(got, "old\n");
    free(got);
    assert_int_equal(afile_open(&af, path, &e), FERR_OK);
    fputs("new\n", af.fp);
    assert_int_equal(afile_commit(&af, &e), FERR_OK);
    assert_int_equal(file_read_all(path, 0, &got, &n, &e), FERR_OK);
    assert_string_equal(got, "new\n");
    free(got);
    assert_int_equal(file_read_all(path, 2, &got, &n, &e), FERR_LIMIT);
    unlink(path);
    rmdir(dir);
}

/* Strict parsing: what strtoull/strtod would take but a person did not
 * mean as a number is refused. */
static void test_str_parse(void **state)
{
    static const char *const bad_u64[] = {"", "-5", "+5", " 5", "5 ", "0x10",
                                          "1e3", "5.", "1_000", "٣"};
    static const char *const bad_f64[] = {"", "nan", "inf", "-inf", " 1",
                                          "1 ", "0x10", "1e", "e5", ".", "-",
                                          "1e+", "1..2", "1,5"};
    uint64_t u = 7;
    double d = 7;
    (void)state;
    assert_int_equal(str_parse_u64("0", &u), FERR_OK);
    assert_true(u == 0);
    assert_int_equal(str_parse_u64("18446744073709551615", &u), FERR_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(str_parse_u64("18446744073709551616", &u), FERR_RANGE);
    assert_int_equal(str_parse_u64("99999999999999999999999", &u), FERR_RANGE);
    for (size_t i = 0; i < sizeof(bad_u64) / sizeof(*bad_u64); i++)
        assert_int_equal(str_parse_u64(bad_u64[i], &u), FERR_PARSE);
    assert_true(u == UINT64_MAX); /* untouched by the failures */
    assert_int_equal(str_parse_f64("-2.5e-3", &d), FERR_OK);
    assert_true(d == -2.5e-3);
    assert_int_equal(str_parse_f64("+.5", &d), FERR_OK);
    assert_true(d == 0.5);
    assert_int_equal(str_parse_f64("5.", &d), FERR_OK);
    assert_true(d == 5.0);
    assert_int_equal(str_parse_f64("1e-400", &d), FERR_OK); /* underflow: 0 */
    assert_int_equal(str_parse_f64("1e999", &d), FERR_RANGE);
    assert_int_equal(str_parse_f64("-1e999", &d), FERR_RANGE);
    for (size_t i = 0; i < sizeof(bad_f64) / sizeof(*bad_f64); i++)
        assert_int_equal(str_parse_f64(bad_f64[i], &d), FERR_PARSE);
}

/* Only a regular file is replaced: a directory is refused by name, a
 * FIFO is written through (it stays a FIFO and its reader gets the bytes),
 * and a target that became a FIFO after open is not renamed over. */
static void test_afile_non_regular(void **state)
{
    char dir[] = "/tmp/ferry_afile_XXXXXX";
    char path[256], fifo[256], got[16] = {0};
    struct stat st;
    afile_t af;
    ferr_t e = {0};
    int fd;
    (void)state;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(afile_open(&af, dir, &e), FERR_IO);
    assert_non_null(strstr(e.msg, "is a directory"));
    assert_int_equal(afile_check(dir, &e), FERR_IO);
    snprintf(path, sizeof(path), "%s/no/such.csv", dir);
    assert_int_equal(afile_check(path, &e), FERR_IO);
    assert_non_null(strstr(e.msg, "no/such.csv: cannot be written"));

    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fd = open(fifo, O_RDONLY | O_NONBLOCK); /* a reader, so open won't block */
    assert_true(fd >= 0);
    assert_int_equal(afile_check(fifo, &e), FERR_OK);
    assert_int_equal(afile_write_all(fifo, "abc\n", 4, &e), FERR_OK);
    assert_int_equal(read(fd, got, sizeof(got) - 1), 4);
    assert_string_equal(got, "abc\n");
    close(fd);
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    /* a file at open, a FIFO at commit: the FIFO is kept, the temporary
     * removed */
    snprintf(path, sizeof(path), "%s/later", dir);
    assert_int_equal(afile_open(&af, path, &e), FERR_OK);
    assert_non_null(af.tmp);
    fputs("data\n", af.fp);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(afile_commit(&af, &e), FERR_IO);
    assert_non_null(strstr(e.msg, "is now a FIFO"));
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    unlink(path);
    unlink(fifo);
    assert_int_equal(rmdir(dir), 0); /* no temporary left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_afile_abort_keeps_old),
        cmocka_unit_test(test_str_parse),
        cmocka_unit_test(test_afile_non_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
