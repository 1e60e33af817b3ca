/*
 * afile.h - atomic file replacement and small file utilities.
 *
 * Every file ferry writes for the user (feature tables, stores, registry
 * manifests) goes through afile: bytes go to a temporary file in the same
 * directory, which is fsync'ed and renamed over the target, and the directory
 * is fsync'ed.  A crash or an error at any point leaves either the old file or
 * the new one, never a mix; afile_abort() removes the temporary.
 */
#ifndef FERRY_AFILE_H
#define FERRY_AFILE_H

#include <stdio.h>

#include "base/err.h"

typedef struct afile {
    char *path;     /* final path (owned) */
    char *tmp;      /* temporary path (owned) */
    FILE *fp;       /* write through this */
} afile_t;

/* Create the temporary file next to path.  On success the caller must call
 * afile_commit or afile_abort exactly once. */
int afile_open(afile_t *af, const char *path, ferr_t *e);
/* Flush, fsync, rename over the final path, fsync the directory. */
int afile_commit(afile_t *af, ferr_t *e);
/* Close and unlink the temporary; the final path is untouched. */
void afile_abort(afile_t *af);

/* Write a whole buffer atomically. */
int afile_write_all(const char *path, const void *p, size_t n, ferr_t *e);
/* Read a whole file into a malloc'ed, NUL-terminated buffer (max bytes cap,
 * 0 = none). */
int file_read_all(const char *path, size_t max, char **out, size_t *outlen,
                  ferr_t *e);
/* mkdir -p. */
int mkdir_p(const char *path, ferr_t *e);
/* fsync a directory (after a rename inside it). */
int fsync_dir(const char *dir, ferr_t *e);

#endif
