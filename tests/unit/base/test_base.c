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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_afile_abort_keeps_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
