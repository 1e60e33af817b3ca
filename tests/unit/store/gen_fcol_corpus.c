/*
 * gen_fcol_corpus.c - regenerates fuzz/corpus/fcol (not built by CMake).
 *
 * Valid files, CRC-valid files whose values break the format's rules (the
 * writer copies arrays verbatim, so an invalid in-memory table makes one),
 * truncations, bit flips, and header fields changed with the header CRC
 * recomputed.  test_offline.c checks the verdict for most of them.
 *   cc -D_GNU_SOURCE -Isrc -o /tmp/gen tests/unit/store/gen_fcol_corpus.c \
 *      build/libferrycore.a -lm && /tmp/gen fuzz/corpus/fcol
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/afile.h"
#include "store/offline.h"
#include "store/store_int.h"
#include "store_test_util.h"
static const char *dir;
static void put(const char *name, const table_t *t) {
    char p[512]; ferr_t e = {0};
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (fcol_write(t, p, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
}
static void mutate(const char *src, const char *name, long off, int mode, unsigned char v) {
    char p[512], *raw; size_t n; ferr_t e = {0};
    snprintf(p, sizeof p, "%s/%s", dir, src);
    file_read_all(p, 0, &raw, &n, &e);
    if (mode == 0) n = (size_t)off;               /* truncate */
    else if (mode == 1) raw[off < 0 ? (long)n + off : off] ^= (char)v; /* flip */
    else { raw[off] = (char)v; uint32_t c = store_crc32c(0, raw, 60); memcpy(raw + 60, &c, 4); } /* header field, CRC fixed */
    snprintf(p, sizeof p, "%s/%s", dir, name);
    afile_write_all(p, raw, n, &e);
    free(raw);
}
int main(int argc, char **argv) {
    dir = argv[1]; (void)argc;
    table_t *t;
    t = tu_all_types(0, 1); put("valid_0rows.fcol", t); table_free(t);
    t = tu_all_types(1, 2); put("valid_1row.fcol", t); table_free(t);
    t = tu_all_types(20, 3); put("valid_20rows.fcol", t); table_free(t);
    t = table_new(); put("valid_0cols.fcol", t);
    column_t *s = col_new("s", FT_STRING, 3), *c = col_new("c", FT_CATEGORY, 3);
    for (int i = 0; i < 3; i++) col_set_null(c, (size_t)i);
    table_add(t, s, NULL); table_add(t, c, NULL); put("valid_empty_strings.fcol", t); table_free(t);
    /* CRC-valid semantic corruption: the writer copies arrays verbatim. */
    t = table_new(); column_t *b = col_new("b", FT_BOOL, 4); b->u8[2] = 2; table_add(t, b, NULL); put("bad_bool.fcol", t); table_free(t);
    t = table_new(); column_t *x = col_new("x", FT_INT, 4); col_set_null(x, 1); x->null[3] = 7; table_add(t, x, NULL); put("bad_null_byte.fcol", t); table_free(t);
    t = table_new(); c = col_new("c", FT_CATEGORY, 3); c->code[0] = dict_intern(c->dict, "a", 1); c->code[1] = 5; table_add(t, c, NULL); put("bad_code.fcol", t); table_free(t);
    t = table_new(); c = col_new("c", FT_CATEGORY, 2); dict_intern(c->dict, "a", 1); dict_intern(c->dict, "b", 1); c->dict->str[1][0] = 'a'; table_add(t, c, NULL); put("bad_dup_dict.fcol", t); table_free(t);
    t = table_new(); s = col_new("s", FT_STRING, 3); col_str_append(s, 0, "abc", 3); col_str_append(s, 1, "", 0); col_str_append(s, 2, "de", 2); s->off[1] = 4; s->off[2] = 2; s->off[3] = 5; table_add(t, s, NULL); put("bad_offsets.fcol", t); table_free(t);
    t = table_new(); c = col_new("c", FT_CATEGORY, 2); c->code[0] = -1; col_set_null(c, 1); table_add(t, c, NULL); put("bad_negative_code.fcol", t); table_free(t);
    /* Byte-level damage of a valid file. */
    mutate("valid_20rows.fcol", "trunc_header.fcol", 40, 0, 0);
    mutate("valid_20rows.fcol", "trunc_7.fcol", 7, 0, 0);
    mutate("valid_20rows.fcol", "trunc_mid.fcol", 900, 0, 0);
    mutate("valid_20rows.fcol", "trunc_last_byte.fcol", 2199, 0, 0);
    mutate("valid_20rows.fcol", "flip_magic.fcol", 1, 1, 0x20);
    mutate("valid_20rows.fcol", "flip_version.fcol", 8, 1, 0x02);
    mutate("valid_20rows.fcol", "flip_nrows.fcol", 16, 1, 0x80);
    mutate("valid_20rows.fcol", "flip_section.fcol", 200, 1, 0x01);
    mutate("valid_20rows.fcol", "flip_dir.fcol", -100, 1, 0x10);
    mutate("valid_20rows.fcol", "flip_name.fcol", -8, 1, 0x01);
    mutate("valid_1row.fcol", "flip_type.fcol", -400, 1, 0x40);
    mutate("valid_20rows.fcol", "hdr_version2.fcol", 8, 2, 2);
    mutate("valid_20rows.fcol", "hdr_huge_nrows.fcol", 23, 2, 0x7f);
    mutate("valid_20rows.fcol", "hdr_dir_off.fcol", 25, 2, 0x01);
    mutate("valid_20rows.fcol", "hdr_ncols.fcol", 12, 2, 200);
    mutate("valid_20rows.fcol", "hdr_file_len.fcol", 40, 2, 0x00);
    return 0;
}
