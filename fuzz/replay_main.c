/*
 * replay_main.c - runs a fuzz target over every file of a corpus directory.
 *
 * Linked with each fuzz/fuzz_<name>.c into replay_<name>, so the normal test
 * run (and the sanitizer run) replays every corpus input, including each
 * crash ever found (SQLite's fuzzcheck idea).  Usage: replay_x DIR|FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/afile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    char *p;
    size_t n;
    ferr_t e = {0};
    if (file_read_all(path, 64u << 20, &p, &n, &e) != FERR_OK) {
        fprintf(stderr, "replay: %s\n", ferr_msg(&e));
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)p, n);
    free(p);
    return 0;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such corpus\n", argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **ents;
            int k = scandir(argv[i], &ents, NULL, alphasort);
            for (int j = 0; j < k; j++) {
                char path[4096];
                if (ents[j]->d_name[0] != '.') {
                    snprintf(path, sizeof(path), "%s/%s", argv[i],
                             ents[j]->d_name);
                    bad |= replay_file(path);
                    count++;
                }
                free(ents[j]);
            }
            free(ents);
        } else {
            bad |= replay_file(argv[i]);
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "replay: empty corpus\n");
        return 1;
    }
    printf("replayed %zu inputs\n", count);
    return bad;
}
