/*
 * afile.c - write-to-temporary, fsync, rename (see afile.h).
 */
#include "base/afile.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/str.h"

static char *dir_of(const char *path)
{
    char *copy = xstrdup(path);
    char *d = xstrdup(dirname(copy));
    free(copy);
    return d;
}

int fsync_dir(const char *dir, ferr_t *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return ferr_set(e, FERR_IO, "%s: %s", dir, strerror(errno));
    if (fsync(fd) != 0 && errno != EINVAL) {
        int err = errno;
        close(fd);
        return ferr_set(e, FERR_IO, "%s: fsync: %s", dir, strerror(err));
    }
    close(fd);
    return FERR_OK;
}

/* The node a path names, for messages. */
static const char *node_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* Nodes written in place: renaming over them would replace the device or
 * pipe with a regular file (a root run once turned /dev/full into one). */
static bool writes_directly(mode_t m)
{
    return S_ISCHR(m) || S_ISBLK(m) || S_ISFIFO(m);
}

int afile_check(const char *path, ferr_t *e)
{
    struct stat st;
    char *dir;
    int rc = FERR_OK;

    if (stat(path, &st) == 0)
        return S_ISREG(st.st_mode) || writes_directly(st.st_mode)
                   ? FERR_OK
                   : ferr_set(e, FERR_IO, "%s: is %s, not a file to write",
                              path, node_kind(st.st_mode));
    dir = dir_of(path);
    if (stat(dir, &st) != 0)
        rc = ferr_set(e, FERR_IO, "%s: cannot be written: directory %s: %s",
                      path, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = ferr_set(e, FERR_IO, "%s: cannot be written: %s is not a "
                      "directory", path, dir);
    free(dir);
    return rc;
}

/* Open a device or FIFO path itself.  1: not such a node after all (it
 * changed since the stat), use a temporary. */
static int open_direct(afile_t *af, const char *path, ferr_t *e)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ferr_set(e, FERR_IO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !writes_directly(st.st_mode)) {
        close(fd);
        return 1;
    }
    af->fp = fdopen(fd, "w");
    if (af->fp == NULL) {
        close(fd);
        return ferr_set(e, FERR_IO, "%s: fdopen failed", path);
    }
    af->path = xstrdup(path);
    return FERR_OK;
}

int afile_open(afile_t *af, const char *path, ferr_t *e)
{
    buf_t b = {0};
    struct stat st;
    int fd, rc;

    memset(af, 0, sizeof(*af));
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!writes_directly(st.st_mode))
            return ferr_set(e, FERR_IO, "%s: is %s, not a file to write",
                            path, node_kind(st.st_mode));
        if ((rc = open_direct(af, path, e)) <= 0)
            return rc;
    }
    buf_printf(&b, "%s.tmp.XXXXXX", path);
    fd = mkstemp(b.p);
    if (fd < 0) {
        int err = errno;
        buf_free(&b);
        return ferr_set(e, FERR_IO, "%s: cannot create temporary file: %s",
                        path, strerror(err));
    }
    fchmod(fd, 0644);
    af->fp = fdopen(fd, "w");
    if (af->fp == NULL) {
        close(fd);
        unlink(b.p);
        buf_free(&b);
        return ferr_set(e, FERR_IO, "%s: fdopen failed", path);
    }
    af->tmp = buf_steal(&b);
    af->path = xstrdup(path);
    return FERR_OK;
}

static void afile_release(afile_t *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->fp = NULL;
}

int afile_sync(afile_t *af, ferr_t *e)
{
    /* errno of the write that failed; a failure flagged by an earlier
     * buffered write may have lost it */
    errno = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp))
        return ferr_set(e, FERR_IO, "%s: write failed: %s", af->path,
                        errno ? strerror(errno) : "write error");
    /* a device or pipe has nothing to sync to (fsync: EINVAL) */
    if (af->tmp && fsync(fileno(af->fp)) != 0)
        return ferr_set(e, FERR_IO, "%s: fsync: %s", af->path,
                        strerror(errno));
    return FERR_OK;
}

int afile_commit(afile_t *af, ferr_t *e)
{
    struct stat st;
    int rc = FERR_OK;
    char *dir;

    if ((rc = afile_sync(af, e)) != FERR_OK) {
        afile_abort(af);
        return rc;
    }
    if (fclose(af->fp) != 0) {
        af->fp = NULL;
        rc = ferr_set(e, FERR_IO, "%s: close failed: %s", af->path,
                      strerror(errno));
        if (af->tmp)
            unlink(af->tmp);
        afile_release(af);
        return rc;
    }
    af->fp = NULL;
    if (af->tmp == NULL) {
        afile_release(af);
        return FERR_OK;
    }
    /* the target may have become something else since afile_open */
    if (stat(af->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        rc = ferr_set(e, FERR_IO, "%s: is now %s; not replacing it", af->path,
                      node_kind(st.st_mode));
        unlink(af->tmp);
        afile_release(af);
        return rc;
    }
    if (rename(af->tmp, af->path) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: rename failed: %s", af->path,
                      strerror(errno));
        unlink(af->tmp);
        afile_release(af);
        return rc;
    }
    dir = dir_of(af->path);
    rc = fsync_dir(dir, e);
    free(dir);
    afile_release(af);
    return rc;
}

void afile_abort(afile_t *af)
{
    if (af->fp)
        fclose(af->fp);
    if (af->tmp)
        unlink(af->tmp);
    afile_release(af);
}

int afile_write_all(const char *path, const void *p, size_t n, ferr_t *e)
{
    afile_t af;
    int rc = afile_open(&af, path, e);
    if (rc)
        return rc;
    if (n && fwrite(p, 1, n, af.fp) != n) {
        int err = errno;
        afile_abort(&af);
        return ferr_set(e, FERR_IO, "%s: write failed: %s", path,
                        strerror(err));
    }
    return afile_commit(&af, e);
}

int file_read_all(const char *path, size_t max, char **out, size_t *outlen,
                  ferr_t *e)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    buf_t b = {0};
    char chunk[65536];
    size_t n;

    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (fp == NULL)
        return ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO, "%s: %s",
                        path, strerror(errno));
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        return ferr_set(e, FERR_IO, "%s: is a directory", path);
    }
    buf_init(&b, max);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (buf_append(&b, chunk, n) != FERR_OK) {
            fclose(fp);
            buf_free(&b);
            return ferr_set(e, FERR_LIMIT, "%s: larger than %zu bytes", path,
                            max);
        }
    }
    if (ferror(fp)) {
        int err = errno;
        fclose(fp);
        buf_free(&b);
        return ferr_set(e, FERR_IO, "%s: read error: %s", path,
                        strerror(err));
    }
    fclose(fp);
    if (outlen)
        *outlen = b.n;
    *out = buf_steal(&b);
    return FERR_OK;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int mkdir_p(const char *path, ferr_t *e)
{
    char *p = xstrdup(path);
    size_t len = strlen(p);
    int rc = FERR_OK;

    for (size_t i = 1; i <= len; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char saved = p[i];
            p[i] = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = ferr_set(e, FERR_IO, "%s: mkdir: %s", p, strerror(errno));
                break;
            }
            p[i] = saved;
        }
    }
    free(p);
    return rc;
}
