/*
 * test_mem.c - the per-thread arena behind the x* allocators: alignment,
 * growth past the first chunk, reset and reuse, nesting, xrealloc and
 * xfree of arena and heap memory, threads, and (under ASan) poisoning.
 * That a record's featurization makes no malloc at all is checked in
 * tests/unit/features/test_arena_eval.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "base/vec.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

static void test_alignment_and_disjoint(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(0);
    unsigned char *p[200];
    size_t n[200];
    mem_arena_t *prev = mem_arena_enter(a);
    assert_null(prev);
    for (size_t i = 0; i < 200; i++) {
        n[i] = i % 37 + (i % 5 == 0 ? 0 : 1);
        p[i] = xmalloc(n[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        memset(p[i], (int)i, n[i]);
    }
    for (size_t i = 0; i < 200; i++)
        for (size_t k = 0; k < n[i]; k++)
            assert_int_equal(p[i][k], (unsigned char)i);
    char *s = xstrdup("arena"), *t = xstrndup("arenas", 3);
    assert_string_equal(s, "arena");
    assert_string_equal(t, "are");
    assert_int_equal((uintptr_t)s % 16, 0);
    mem_arena_leave(prev);
    assert_int_equal(mem_arena_allocs(a), 202);
    assert_int_equal(mem_arena_mallocs(a), 1);
    mem_arena_free(a);
}

static void test_growth_and_reset(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(1024);
    void *first, *again;
    char *big;
    mem_arena_t *prev = mem_arena_enter(a);
    first = xmalloc(100);
    for (int i = 0; i < 100; i++)
        memset(xmalloc(100), i, 100);
    big = xmalloc(10000); /* more than any chunk so far */
    memset(big, 7, 10000);
    assert_int_equal(big[9999], 7);
    size_t grown = mem_arena_mallocs(a);
    assert_true(grown > 2);
    assert_int_equal(mem_arena_allocs(a), 102);

    /* the same requests after a reset are served by the kept chunks */
    mem_arena_reset(a);
    again = xmalloc(100);
    assert_ptr_equal(again, first);
    for (int i = 0; i < 100; i++)
        memset(xmalloc(100), i, 100);
    big = xmalloc(10000);
    memset(big, 8, 10000);
    assert_int_equal(mem_arena_mallocs(a), grown);

    /* memory reused dirty still comes zeroed from xcalloc */
    mem_arena_reset(a);
    memset(xmalloc(512), 0xff, 512);
    mem_arena_reset(a);
    unsigned char *z = xcalloc(64, 8);
    for (size_t i = 0; i < 512; i++)
        assert_int_equal(z[i], 0);
    mem_arena_leave(prev);
    mem_arena_free(a);
}

static void test_reset_bounds_spares(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(4096);
    mem_arena_t *prev = mem_arena_enter(a);
    memset(xmalloc((size_t)8 << 20), 1, (size_t)8 << 20);
    assert_true(mem_arena_bytes(a) > ((size_t)8 << 20));
    mem_arena_reset(a);
    /* a huge request does not pin its chunk for the thread's life */
    assert_true(mem_arena_bytes(a) <= ((size_t)1 << 20) + 4096);
    assert_non_null(xmalloc(10));
    mem_arena_leave(prev);
    mem_arena_free(a);
}

static void test_nesting(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(0), *b = mem_arena_new(0);
    mem_arena_t *p0 = mem_arena_enter(a);
    char *pa = xstrdup("outer");
    mem_arena_t *p1 = mem_arena_enter(b);
    assert_ptr_equal(p1, a);
    char *pb = xstrdup("inner");
    assert_int_equal(mem_arena_allocs(a), 1);
    assert_int_equal(mem_arena_allocs(b), 1);
    /* a block of the outer arena grows in its own arena, and freeing it
     * from inside b is not a free() */
    for (int i = 0; i < 3; i++)
        (void)xmalloc(16); /* in b, not a */
    pa = xrealloc(pa, 4000);
    assert_string_equal(pa, "outer");
    assert_int_equal(mem_arena_allocs(b), 4);
    xfree(pa);
    xfree(pb);
    /* suspended: the heap */
    mem_arena_t *p2 = mem_arena_enter(NULL);
    assert_ptr_equal(p2, b);
    char *h = xmalloc(32);
    mem_arena_leave(p2);
    assert_int_equal(mem_arena_allocs(b), 4);
    xfree(h); /* heap memory: a real free() while b is entered */
    mem_arena_leave(p1);
    mem_arena_leave(p0);
    assert_int_equal(mem_arena_allocs(a), 1);
    mem_arena_free(b);
    mem_arena_free(a);
}

static void test_xrealloc_both_ways(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(0);
    char *heap = xmalloc(8); /* before entering: stays on the heap */
    memcpy(heap, "heap!!!", 8);
    mem_arena_t *prev = mem_arena_enter(a);

    heap = xrealloc(heap, 100000);
    assert_string_equal(heap, "heap!!!");
    assert_int_equal(mem_arena_allocs(a), 0);

    /* the last block grows in place, others move with their contents */
    char *p = xrealloc(NULL, 10);
    memcpy(p, "012345678", 10);
    char *q = xrealloc(p, 200);
    assert_ptr_equal(q, p);
    assert_string_equal(q, "012345678");
    char *other = xmalloc(10);
    char *r = xrealloc(q, 5000);
    assert_ptr_not_equal(r, q);
    assert_string_equal(r, "012345678");
    r = xrealloc(r, 4); /* shrinking keeps the prefix */
    assert_memory_equal(r, "0123", 4);
    xfree(other);

    /* a vector and a buffer, as the feature code grows them */
    VEC(int) v = {0};
    for (int i = 0; i < 1000; i++)
        VEC_PUSH(&v, i);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v.a[i], i);
    xfree(v.a);
    buf_t b = {0};
    for (int i = 0; i < 500; i++)
        buf_printf(&b, "%d,", i);
    assert_memory_equal(b.p, "0,1,2,", 6);
    buf_free(&b);

    xfree(heap); /* a heap block freed while the arena is entered */
    mem_arena_leave(prev);
    mem_arena_free(a);
}

static void test_try_allocators(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(0);
    assert_null(mem_try_calloc(SIZE_MAX / 2, 4));
    void *h = mem_try_malloc(10);
    assert_non_null(h);
    mem_arena_t *prev = mem_arena_enter(a);
    assert_null(mem_try_calloc(SIZE_MAX / 2, 4));
    assert_null(mem_try_malloc(SIZE_MAX - 8));
    unsigned char *z = mem_try_calloc(10, 10);
    assert_non_null(z);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    xfree(z);
    xfree(h);
    mem_arena_leave(prev);
    assert_int_equal(mem_arena_allocs(a), 1);
    mem_arena_free(a);
}

static void *other_thread(void *arg)
{
    (void)arg;
    /* no arena is entered on this thread, whatever main does */
    return xmalloc(64);
}

static void test_thread_scoped(void **state)
{
    (void)state;
    mem_arena_t *a = mem_arena_new(0);
    mem_arena_t *prev = mem_arena_enter(a);
    pthread_t t;
    void *got = NULL;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &got), 0);
    assert_int_equal(mem_arena_allocs(a), 0);
    mem_arena_leave(prev);
    free(got);
    mem_arena_free(a);
}

static void test_asan_poisoning(void **state)
{
    (void)state;
#ifndef TEST_ASAN
    skip();
#else
    mem_arena_t *a = mem_arena_new(0);
    mem_arena_t *prev = mem_arena_enter(a);
    char *p = xmalloc(20), *q = xmalloc(16);
    assert_false(__asan_address_is_poisoned(p + 19));
    assert_true(__asan_address_is_poisoned(p + 20)); /* past the end */
    assert_true(__asan_address_is_poisoned(p - 1));  /* the header */
    assert_true(__asan_address_is_poisoned(q + 16)); /* the redzone */
    assert_true(__asan_address_is_poisoned(q + 200)); /* never handed out */
    xfree(p);
    assert_true(__asan_address_is_poisoned(p)); /* use after xfree */
    assert_false(__asan_address_is_poisoned(q));
    mem_arena_reset(a);
    assert_true(__asan_address_is_poisoned(q));
    mem_arena_leave(prev);
    mem_arena_free(a);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_disjoint),
        cmocka_unit_test(test_growth_and_reset),
        cmocka_unit_test(test_reset_bounds_spares),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_xrealloc_both_ways),
        cmocka_unit_test(test_try_allocators),
        cmocka_unit_test(test_thread_scoped),
        cmocka_unit_test(test_asan_poisoning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
