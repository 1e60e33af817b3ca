/*
 * afile.h - atomic file replacement and small file utilities.
 *
 * Every file ferry writes for the user (feature tables, stores, registry
 * manifests) goes through afile: bytes go to a temporary file in the same
 * directory, which is fsync'ed and renamed over the target, and the directory
 * is fsync'ed.  A crash or an error at any point leaves either the old file or
 * the new one, never a mix; afile_abort() removes the temporary.
 *
 * Only a regular file (or nothing) is ever replaced.  A target that is a
 * device or a FIFO (`--output /dev/stdout`, a named pipe, /dev/null) is
 * opened and written directly - renaming over it would replace the node
 * with a regular file - so for those the all-or-nothing guarantee does not
 * apply.  A directory or a socket is refused, and so is a target that
 * stops being a regular file between open and commit.
 */
#ifndef FERRY_AFILE_H
#define FERRY_AFILE_H

#include <stdio.h>

#include "base/err.h"

typedef struct afile {
    char *path;     /* final path (owned) */
    char *tmp;      /* temporary path (owned); NULL when writing path
                       itself (a device or FIFO) */
    FILE *fp;       /* write through this */
} afile_t;

/* Create the temporary file next to path (or open a device or FIFO path
 * for writing; a FIFO blocks until it has a reader).  On success the caller
 * must call afile_commit or afile_abort exactly once. */
int afile_open(afile_t *af, const char *path, ferr_t *e);
/* Flush and fsync what was written so far, reporting a write error (a
 * full disk, /dev/full) now: after it afile_commit is only the rename. */
int afile_sync(afile_t *af, ferr_t *e);
/* Flush, fsync, rename over the final path, fsync the directory (direct
 * targets: flush and close). */
int afile_commit(afile_t *af, ferr_t *e);
/* Close and unlink the temporary; the final path is untouched (a direct
 * target keeps what was written to it). */
void afile_abort(afile_t *af);
/* Whether afile_open(path) can succeed, checked before expensive work: the
 * directory exists and path is not a directory or a socket. */
int afile_check(const char *path, ferr_t *e);

/* Write a whole buffer atomically. */
int afile_write_all(const char *path, const void *p, size_t n, ferr_t *e);
/* Read a whole file into a malloc'ed, NUL-terminated buffer (max bytes cap,
 * 0 = none). */
int file_read_all(const char *path, size_t max, char **out, size_t *outlen,
                  ferr_t *e);
/* mkdir -p. */
int mkdir_p(const char *path, ferr_t *e);
/* rm -rf of a tree this process made (a staging directory): symlinks are
 * removed, never followed; best effort, errors are ignored. */
void rm_tree(const char *path);
/* fsync a directory (after a rename inside it). */
int fsync_dir(const char *dir, ferr_t *e);

#endif
