/*
 * afile.c - write-to-temporary, fsync, rename (see afile.h).
 */
#include "base/afile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

int afile_open(afile_t *af, const char *path, ferr_t *e)
{
    buf_t b = {0};
    int fd;

    memset(af, 0, sizeof(*af));
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

int afile_commit(afile_t *af, ferr_t *e)
{
    int rc = FERR_OK;
    char *dir;

    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: write failed: %s", af->path,
                      strerror(errno));
        afile_abort(af);
        return rc;
    }
    if (fclose(af->fp) != 0) {
        af->fp = NULL;
        rc = ferr_set(e, FERR_IO, "%s: close failed: %s", af->path,
                      strerror(errno));
        unlink(af->tmp);
        afile_release(af);
        return rc;
    }
    af->fp = NULL;
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
        afile_abort(&af);
        return ferr_set(e, FERR_IO, "%s: write failed", path);
    }
    return afile_commit(&af, e);
}

int file_read_all(const char *path, size_t max, char **out, size_t *outlen,
                  ferr_t *e)
{
    FILE *fp = fopen(path, "rb");
    buf_t b = {0};
    char chunk[65536];
    size_t n;

    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (fp == NULL)
        return ferr_set(e, errno == ENOENT ? FERR_NOTFOUND : FERR_IO, "%s: %s",
                        path, strerror(errno));
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
        fclose(fp);
        buf_free(&b);
        return ferr_set(e, FERR_IO, "%s: read error", path);
    }
    fclose(fp);
    if (outlen)
        *outlen = b.n;
    *out = buf_steal(&b);
    return FERR_OK;
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
