/*
 * registry.c - versions, aliases and history on disk (see registry.h).
 *
 * The on-disk layout is the registry's only state: no index file to drift
 * from the directories.  A version exists iff versions/<N>/manifest.json
 * exists, and that directory appears in one rename(2), so readers need no
 * lock.  Writers take an exclusive flock of REG/.lock for the whole
 * read-modify-write (number a version, move an alias), which is what makes
 * two concurrent `ferry train` runs get distinct versions.  aliases.json is
 * the truth for aliases (it also keeps each alias's earlier targets, which
 * rollback pops); history.jsonl is the audit log, appended after the
 * aliases file is committed.
 */
#include "registry/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/afile.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/vec.h"
#include "registry/reg_int.h"

struct reg {
    char *dir;
    int lock_fd; /* -1 unless this handle holds REG/.lock */
};

typedef VEC(int) intvec_t;

/* ---- small helpers ---------------------------------------------------- */

bool reg_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REG_NAME_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' &&
            s[i] != '-')
            return false;
    return true;
}

static int check_name(const char *name, ferr_t *e)
{
    if (name == NULL || !reg_name_valid(name))
        return ferr_set(e, FERR_USAGE,
                        "'%s' is not a valid model name (letters, digits, "
                        "'.', '_', '-', starting with a letter or digit, at "
                        "most %d bytes)",
                        name ? name : "", REG_NAME_MAX);
    return FERR_OK;
}

/* Alias names live in JSON only, but they are typed on command lines and
 * must not look like version numbers ("3") or keywords ("latest"). */
static int check_alias(const char *alias, ferr_t *e)
{
    if (alias == NULL || !reg_name_valid(alias) || isdigit((unsigned char)alias[0]) ||
        strcmp(alias, "latest") == 0 ||
        (alias[0] == 'v' && alias[1] && strspn(alias + 1, "0123456789") ==
                                            strlen(alias + 1)))
        return ferr_set(e, FERR_USAGE,
                        "'%s' is not a valid alias name (a letter first, "
                        "not 'latest' or a version like v3)",
                        alias ? alias : "");
    return FERR_OK;
}

static char *path_of(const reg_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *path_of(const reg_t *r, const char *fmt, ...)
{
    buf_t b = {0};
    va_list ap;
    buf_printf(&b, "%s/", r->dir);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_steal(&b);
}

char *reg_manifest_path(const reg_t *r, const char *name, int version)
{
    return path_of(r, "%s/versions/%d/manifest.json", name, version);
}

char *reg_model_path(const reg_t *r, const char *name, int version,
                     const json_t *manifest)
{
    return path_of(r, "%s/versions/%d/%s", name, version,
                   json_string_value(json_object_get(
                       json_object_get(manifest, "model"), "file")));
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *current_user(void)
{
    const char *u = getenv("FERRY_USER");
    struct passwd *pw;
    if (u && *u)
        return u;
    u = getenv("USER");
    if (u && *u)
        return u;
    pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "unknown";
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Parse a decimal version number ("12"); -1 if it is not one. */
static int parse_version(const char *s)
{
    long v = 0;
    if (s[0] < '1' || s[0] > '9')
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return (int)v;
}

static int read_json(const char *path, json_t **out, ferr_t *e)
{
    char *text;
    size_t n;
    json_error_t je;
    int rc = file_read_all(path, REG_MANIFEST_MAX, &text, &n, e);
    *out = NULL;
    if (rc)
        return rc;
    *out = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (*out == NULL)
        return ferr_set(e, FERR_CORRUPT, "%s:%d:%d: invalid JSON: %s", path,
                        je.line, je.column, je.text);
    return FERR_OK;
}

static int write_json(const char *path, const json_t *j, ferr_t *e)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS |
                                   JSON_REAL_PRECISION(17));
    buf_t b = {0};
    int rc;
    if (text == NULL)
        return ferr_set(e, FERR_NOMEM, "%s: cannot serialise JSON", path);
    buf_puts(&b, text);
    buf_putc(&b, '\n');
    free(text);
    rc = afile_write_all(path, b.p, b.n, e);
    buf_free(&b);
    return rc;
}

/* ---- open, lock ------------------------------------------------------- */

int reg_open(const char *dir, reg_t **out, ferr_t *e)
{
    reg_t *r;
    *out = NULL;
    if (dir == NULL || dir[0] == '\0')
        return ferr_set(e, FERR_USAGE, "no registry directory given");
    /* created by the first write (reg_lock), so reading a registry that
     * does not exist yet leaves nothing behind */
    if (access(dir, F_OK) == 0 && !is_dir(dir))
        return ferr_set(e, FERR_IO, "registry %s: not a directory", dir);
    r = xcalloc(1, sizeof(*r));
    r->dir = xstrdup(dir);
    r->lock_fd = -1;
    *out = r;
    return FERR_OK;
}

void reg_close(reg_t *r)
{
    if (r == NULL)
        return;
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    free(r->dir);
    free(r);
}

const char *reg_dir(const reg_t *r)
{
    return r->dir;
}

static int reg_lock(reg_t *r, ferr_t *e)
{
    if (mkdir_p(r->dir, e))
        return ferr_prefix(e, "registry: ");
    char *path = path_of(r, ".lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = ferr_set(e, FERR_IO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int rc = ferr_set(e, FERR_IO, "%s: flock: %s", path,
                              strerror(errno));
            close(fd);
            free(path);
            return rc;
        }
    }
    free(path);
    r->lock_fd = fd;
    return FERR_OK;
}

static void reg_unlock(reg_t *r)
{
    if (r->lock_fd >= 0)
        close(r->lock_fd); /* releases the flock */
    r->lock_fd = -1;
}

/* ---- versions --------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int model_exists(reg_t *r, const char *name, ferr_t *e)
{
    char *p;
    bool ok;
    int rc = check_name(name, e);
    if (rc)
        return rc;
    p = path_of(r, "%s/versions", name);
    ok = is_dir(p);
    free(p);
    if (!ok)
        return ferr_set(e, FERR_NOTFOUND, "registry %s: no model named '%s'",
                        r->dir, name);
    return FERR_OK;
}

/* Existing versions of name, ascending.  Hidden entries (staging,
 * deletions in progress) are not versions. */
static void list_versions(reg_t *r, const char *name, intvec_t *out)
{
    char *p = path_of(r, "%s/versions", name);
    DIR *d = opendir(p);
    struct dirent *de;
    free(p);
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        int v = parse_version(de->d_name);
        if (v > 0) {
            char *m = reg_manifest_path(r, name, v);
            if (access(m, F_OK) == 0)
                VEC_PUSH(out, v);
            free(m);
        }
    }
    closedir(d);
    if (out->n)
        qsort(out->a, out->n, sizeof(int), cmp_int);
}

static bool version_exists(reg_t *r, const char *name, int v)
{
    char *m = reg_manifest_path(r, name, v);
    bool ok = access(m, F_OK) == 0;
    free(m);
    return ok;
}

static int need_version(reg_t *r, const char *name, int v, ferr_t *e)
{
    int rc = model_exists(r, name, e);
    if (rc)
        return rc;
    if (v < 1 || !version_exists(r, name, v))
        return ferr_set(e, FERR_NOTFOUND, "model '%s' has no version %d",
                        name, v);
    return FERR_OK;
}

int reg_load_manifest(reg_t *r, const char *name, int version, json_t **out,
                      ferr_t *e)
{
    char *path;
    json_t *m;
    int rc;

    *out = NULL;
    rc = need_version(r, name, version, e);
    if (rc)
        return rc;
    path = reg_manifest_path(r, name, version);
    rc = read_json(path, &m, e);
    if (rc == FERR_OK) {
        rc = reg_manifest_check(m, path, true, e);
        if (rc == FERR_OK &&
            (strcmp(json_string_value(json_object_get(m, "name")), name) != 0 ||
             json_integer_value(json_object_get(m, "version")) != version))
            rc = ferr_set(e, FERR_CORRUPT,
                          "%s: $.name/$.version say %s v%lld, but the file "
                          "is %s v%d",
                          path, json_string_value(json_object_get(m, "name")),
                          (long long)json_integer_value(
                              json_object_get(m, "version")),
                          name, version);
        if (rc)
            json_decref(m);
        else
            *out = m;
    }
    free(path);
    return rc;
}

/* ---- aliases and history ---------------------------------------------- */

/* aliases.json: {"aliases": {alias: N}, "previous": {alias: [N, ...]}}.
 * A missing file is an empty set of aliases. */
static int load_aliases(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    char *path = path_of(r, "%s/aliases.json", name);
    json_t *a, *al, *prev, *v;
    const char *k;
    int rc;

    *out = NULL;
    if (access(path, F_OK) != 0) {
        free(path);
        *out = json_pack("{s:{},s:{}}", "aliases", "previous");
        return FERR_OK;
    }
    rc = read_json(path, &a, e);
    if (rc) {
        free(path);
        return rc;
    }
    al = json_object_get(a, "aliases");
    prev = json_object_get(a, "previous");
    if (!json_is_object(al) || !json_is_object(prev)) {
        rc = ferr_set(e, FERR_CORRUPT,
                      "%s: $.%s: expected an object", path,
                      json_is_object(al) ? "previous" : "aliases");
        goto out;
    }
    json_object_foreach(al, k, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            rc = ferr_set(e, FERR_CORRUPT,
                          "%s: $.aliases.%s: expected a version number",
                          path, k);
            goto out;
        }
    }
    json_object_foreach(prev, k, v) {
        size_t i;
        json_t *x;
        if (!json_is_array(v)) {
            rc = ferr_set(e, FERR_CORRUPT,
                          "%s: $.previous.%s: expected an array", path, k);
            goto out;
        }
        json_array_foreach(v, i, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 1) {
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: $.previous.%s[%zu]: expected a version "
                              "number",
                              path, k, i);
                goto out;
            }
        }
    }
out:
    free(path);
    if (rc)
        json_decref(a);
    else
        *out = a;
    return rc;
}

static int alias_target(const json_t *aliases, const char *alias)
{
    json_t *v = json_object_get(json_object_get(aliases, "aliases"), alias);
    return v ? (int)json_integer_value(v) : 0;
}

static int save_aliases(reg_t *r, const char *name, const json_t *a,
                        ferr_t *e)
{
    char *path = path_of(r, "%s/aliases.json", name);
    int rc = write_json(path, a, e);
    free(path);
    return rc;
}

static int append_history(reg_t *r, const char *name, const char *action,
                          const char *alias, int from, int to,
                          const char *reason, json_t *extra, ferr_t *e)
{
    char when[32], *path, *line;
    json_t *h;
    buf_t b = {0};
    int fd, rc = FERR_OK;

    now_iso(when);
    h = json_pack("{s:s,s:s,s:s,s:o,s:o}", "at", when, "action", action,
                  "alias", alias, "from",
                  from ? json_integer(from) : json_null(), "to",
                  to ? json_integer(to) : json_null());
    if (reason)
        json_object_set_new(h, "reason", json_string(reason));
    json_object_set_new(h, "user", json_string(current_user()));
    if (extra)
        json_object_update(h, extra);
    line = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(h);
    buf_puts(&b, line);
    buf_putc(&b, '\n');
    free(line);
    path = path_of(r, "%s/history.jsonl", name);
    /* One write(2) of a whole line with O_APPEND: entries never interleave,
     * and we hold the lock anyway. */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, b.p, b.n) != (ssize_t)b.n || fsync(fd) != 0)
        rc = ferr_set(e, FERR_IO, "%s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(path);
    buf_free(&b);
    return rc;
}

int reg_history(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    char *path, *text, *p;
    size_t n, lineno = 0;
    json_t *arr;
    int rc;

    *out = NULL;
    rc = model_exists(r, name, e);
    if (rc)
        return rc;
    path = path_of(r, "%s/history.jsonl", name);
    arr = json_array();
    rc = file_read_all(path, REG_MANIFEST_MAX, &text, &n, e);
    if (rc == FERR_NOTFOUND) {
        free(path);
        *out = arr;
        return FERR_OK;
    }
    if (rc) {
        free(path);
        json_decref(arr);
        return rc;
    }
    for (p = text; *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        json_error_t je;
        json_t *h;
        lineno++;
        if (len > 0) {
            h = json_loadb(p, len, 0, &je);
            if (!json_is_object(h)) {
                json_decref(h);
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s:%zu: not a JSON object: %s", path, lineno,
                              h ? "wrong type" : je.text);
                break;
            }
            json_array_append_new(arr, h);
        }
        p += len + (nl != NULL);
    }
    free(text);
    free(path);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FERR_OK;
}

/* ---- register ----------------------------------------------------------- */

static int hash_lineage(json_t *m, ferr_t *e)
{
    json_t *lin = json_object_get(m, "lineage");
    json_t *src = json_object_get(lin, "source_files");
    json_t *spec = json_object_get(lin, "spec_file");
    char hex[65];
    int rc;

    if (json_is_array(src) && json_array_size(src) > 0 &&
        !json_object_get(m, "data_sha256")) {
        size_t n = json_array_size(src), i;
        const char **paths = xcalloc(n, sizeof(*paths));
        json_t *x;
        json_array_foreach(src, i, x) {
            paths[i] = json_string_value(x);
            if (paths[i] == NULL) {
                free(paths);
                return ferr_set(e, FERR_TYPE,
                                "manifest: $.lineage.source_files[%zu]: "
                                "expected a string",
                                i);
            }
        }
        rc = reg_sha256_files(paths, n, hex, e);
        free(paths);
        if (rc)
            return ferr_prefix(e, "hashing the training data: ");
        json_object_set_new(m, "data_sha256", json_string(hex));
    }
    if (json_is_string(spec) && !json_object_get(m, "spec_sha256")) {
        const char *p = json_string_value(spec);
        rc = reg_sha256_files(&p, 1, hex, e);
        if (rc)
            return ferr_prefix(e, "hashing the spec: ");
        json_object_set_new(m, "spec_sha256", json_string(hex));
    }
    return FERR_OK;
}

static int read_last_version(reg_t *r, const char *name)
{
    char *path = path_of(r, "%s/last_version", name), *text;
    size_t n;
    int v = 0;
    if (file_read_all(path, 64, &text, &n, NULL) == FERR_OK) {
        v = atoi(text);
        free(text);
    }
    free(path);
    return v > 0 ? v : 0;
}

int reg_register(reg_t *r, const char *name, const void *model, size_t n,
                 const json_t *manifest, int *version_out, ferr_t *e)
{
    char hex[65], when[32], *vdir = NULL, *stage = NULL, *p;
    const char *fmt;
    json_t *m, *mod;
    intvec_t vs = {0};
    int rc, v;

    if (version_out)
        *version_out = 0;
    rc = check_name(name, e);
    if (rc)
        return rc;
    if (!json_is_object(manifest))
        return ferr_set(e, FERR_USAGE, "register %s: manifest is not an object",
                        name);
    m = json_deep_copy(manifest);
    reg_sha256(model, n, hex);
    fmt = json_string_value(json_object_get(json_object_get(m, "model"),
                                            "format"));
    mod = json_pack("{s:s,s:s,s:s,s:I}", "file", "model.json", "format",
                    fmt ? fmt : "xgboost-json", "sha256", hex, "bytes",
                    (json_int_t)n);
    json_object_set_new(m, "model", mod);
    now_iso(when);
    json_object_set_new(m, "format", json_integer(1));
    json_object_set_new(m, "name", json_string(name));
    json_object_set_new(m, "version", json_integer(1)); /* set under lock */
    json_object_set_new(m, "created_at", json_string(when));
    json_object_set_new(m, "ferry_version", json_string(FERRY_VERSION));
    json_object_set_new(m, "registered_by", json_string(current_user()));
    rc = hash_lineage(m, e);
    if (rc == FERR_OK) {
        /* Validate before taking the lock: a bad manifest from the caller
         * must never cost other writers time, nor leave anything behind. */
        buf_t where = {0};
        buf_printf(&where, "manifest for %s", name);
        rc = reg_manifest_check(m, where.p, true, e);
        buf_free(&where);
    }
    if (rc) {
        json_decref(m);
        return rc;
    }

    rc = reg_lock(r, e);
    if (rc) {
        json_decref(m);
        return rc;
    }
    p = path_of(r, "%s/versions", name);
    rc = mkdir_p(p, e);
    free(p);
    if (rc)
        goto out;
    list_versions(r, name, &vs);
    v = read_last_version(r, name);
    if (vs.n && vs.a[vs.n - 1] > v)
        v = vs.a[vs.n - 1];
    v++;
    json_object_set_new(m, "version", json_integer(v));

    /* Assemble the version in a hidden directory, then one rename makes it
     * appear complete; a crash before that leaves only a hidden leftover. */
    stage = path_of(r, "%s/versions/.staging-XXXXXX", name);
    if (mkdtemp(stage) == NULL) {
        rc = ferr_set(e, FERR_IO, "%s: %s", stage, strerror(errno));
        free(stage);
        stage = NULL;
        goto out;
    }
    {
        buf_t b = {0};
        buf_printf(&b, "%s/model.json", stage);
        rc = afile_write_all(b.p, model, n, e);
        if (rc == FERR_OK) {
            buf_reset(&b);
            buf_printf(&b, "%s/manifest.json", stage);
            rc = write_json(b.p, m, e);
        }
        buf_free(&b);
        if (rc)
            goto out;
    }
    chmod(stage, 0755);
    vdir = path_of(r, "%s/versions/%d", name, v);
    if (rename(stage, vdir) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: cannot move version into place: %s",
                      vdir, strerror(errno));
        goto out;
    }
    free(stage);
    stage = NULL;
    p = path_of(r, "%s/versions", name);
    rc = fsync_dir(p, e);
    free(p);
    if (rc == FERR_OK) {
        char num[16];
        int len = snprintf(num, sizeof(num), "%d\n", v);
        p = path_of(r, "%s/last_version", name);
        rc = afile_write_all(p, num, (size_t)len, e);
        free(p);
    }
    if (rc == FERR_OK && version_out)
        *version_out = v;
out:
    if (stage) {
        rm_rf(stage);
        free(stage);
    }
    reg_unlock(r);
    free(vdir);
    free(vs.a);
    json_decref(m);
    return rc;
}

/* ---- promote, rollback -------------------------------------------------- */

static bool metric_of(const json_t *m, const char *split, const char *metric,
                      double *out)
{
    json_t *v = json_object_get(
        json_object_get(json_object_get(m, "metrics"), split), metric);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

/* FERR_OK if the gate passes, FERR_REFUSED with the reason otherwise. */
static int gate_check(reg_t *r, const char *name, int version,
                      const json_t *cand, const char *alias, int cur,
                      const reg_gate_t *g, ferr_t *e)
{
    double c, champ;
    json_t *cm;
    int rc;
    const char *split = g->split ? g->split : "test";

    if (!metric_of(cand, split, g->metric, &c))
        return ferr_set(e, FERR_REFUSED,
                        "refused: v%d has no metric %s on split %s", version,
                        g->metric, split);
    if (!isnan(g->floor) && (g->higher_is_better ? c < g->floor : c > g->floor))
        return ferr_set(e, FERR_REFUSED, "refused: %s on %s %.4f %s %s %g",
                        g->metric, split, c, g->higher_is_better ? "<" : ">",
                        g->higher_is_better ? "floor" : "limit", g->floor);
    if (cur == 0 || cur == version || !version_exists(r, name, cur))
        return FERR_OK;
    rc = reg_load_manifest(r, name, cur, &cm, e);
    if (rc)
        return rc;
    /* A holder without the metric cannot be compared; the floor alone
     * decides then. */
    if (metric_of(cm, split, g->metric, &champ)) {
        if (g->higher_is_better && c < champ - g->tolerance)
            rc = ferr_set(e, FERR_REFUSED,
                          "refused: %s on %s %.4f < %s v%d %.4f - tolerance "
                          "%g",
                          g->metric, split, c, alias, cur, champ,
                          g->tolerance);
        else if (!g->higher_is_better && c > champ + g->tolerance)
            rc = ferr_set(e, FERR_REFUSED,
                          "refused: %s on %s %.4f > %s v%d %.4f + tolerance "
                          "%g",
                          g->metric, split, c, alias, cur, champ,
                          g->tolerance);
    }
    json_decref(cm);
    return rc;
}

int reg_promote(reg_t *r, const char *name, int version, const char *alias,
                const reg_gate_t *gate, bool force, const char *reason,
                ferr_t *e)
{
    json_t *cand = NULL, *al = NULL, *extra = NULL, *prev;
    int rc, cur;

    if (alias == NULL)
        alias = "champion";
    rc = check_alias(alias, e);
    if (rc)
        return rc;
    rc = reg_lock(r, e);
    if (rc)
        return rc;
    rc = reg_load_manifest(r, name, version, &cand, e);
    if (rc == FERR_OK)
        rc = load_aliases(r, name, &al, e);
    if (rc)
        goto out;
    cur = alias_target(al, alias);
    if (cur == version)
        goto out; /* already there: nothing moves, nothing to record */
    if (gate && gate->metric) {
        ferr_t ge = {0};
        rc = gate_check(r, name, version, cand, alias, cur, gate, &ge);
        if (rc == FERR_REFUSED && force) {
            extra = json_pack("{s:s}", "gate_overridden", ge.msg);
            rc = FERR_OK;
        } else if (rc) {
            if (e)
                *e = ge;
            goto out;
        }
    }
    json_object_set_new(json_object_get(al, "aliases"), alias,
                        json_integer(version));
    if (cur) {
        prev = json_object_get(json_object_get(al, "previous"), alias);
        if (prev == NULL) {
            prev = json_array();
            json_object_set_new(json_object_get(al, "previous"), alias, prev);
        }
        json_array_append_new(prev, json_integer(cur));
    }
    rc = save_aliases(r, name, al, e);
    if (rc == FERR_OK)
        rc = append_history(r, name, "promote", alias, cur, version, reason,
                            extra, e);
out:
    reg_unlock(r);
    json_decref(cand);
    json_decref(al);
    json_decref(extra);
    return rc;
}

int reg_rollback(reg_t *r, const char *name, const char *alias,
                 const char *reason, int *version_out, ferr_t *e)
{
    json_t *al = NULL, *prev;
    int rc, cur, target = 0;

    if (alias == NULL)
        alias = "champion";
    if (version_out)
        *version_out = 0;
    rc = model_exists(r, name, e);
    if (rc == FERR_OK)
        rc = check_alias(alias, e);
    if (rc)
        return rc;
    rc = reg_lock(r, e);
    if (rc)
        return rc;
    rc = load_aliases(r, name, &al, e);
    if (rc)
        goto out;
    cur = alias_target(al, alias);
    if (cur == 0) {
        rc = ferr_set(e, FERR_NOTFOUND, "model '%s' has no alias '%s'", name,
                      alias);
        goto out;
    }
    prev = json_object_get(json_object_get(al, "previous"), alias);
    /* Pop earlier targets; a deleted version is skipped, as is the current
     * one (promote A, B, A leaves A twice on the stack). */
    while (json_array_size(prev) > 0) {
        size_t last = json_array_size(prev) - 1;
        int v = (int)json_integer_value(json_array_get(prev, last));
        json_array_remove(prev, last);
        if (v != cur && version_exists(r, name, v)) {
            target = v;
            break;
        }
    }
    if (target == 0) {
        rc = ferr_set(e, FERR_NOTFOUND,
                      "model '%s': alias '%s' (v%d) has no earlier version "
                      "to roll back to",
                      name, alias, cur);
        goto out;
    }
    json_object_set_new(json_object_get(al, "aliases"), alias,
                        json_integer(target));
    rc = save_aliases(r, name, al, e);
    if (rc == FERR_OK)
        rc = append_history(r, name, "rollback", alias, cur, target, reason,
                            NULL, e);
    if (rc == FERR_OK && version_out)
        *version_out = target;
out:
    reg_unlock(r);
    json_decref(al);
    return rc;
}

/* ---- resolve, list ------------------------------------------------------ */

int reg_resolve(reg_t *r, const char *name, const char *spec, int *version,
                ferr_t *e)
{
    int rc, v;
    *version = 0;
    rc = model_exists(r, name, e);
    if (rc)
        return rc;
    if (spec == NULL || strcmp(spec, "latest") == 0) {
        intvec_t vs = {0};
        list_versions(r, name, &vs);
        v = vs.n ? vs.a[vs.n - 1] : 0;
        free(vs.a);
        if (v == 0)
            return ferr_set(e, FERR_NOTFOUND, "model '%s' has no versions",
                            name);
    } else if ((v = parse_version(spec[0] == 'v' ? spec + 1 : spec)) > 0) {
        if (!version_exists(r, name, v))
            return ferr_set(e, FERR_NOTFOUND, "model '%s' has no version %d",
                            name, v);
    } else {
        json_t *al;
        rc = load_aliases(r, name, &al, e);
        if (rc)
            return rc;
        v = alias_target(al, spec);
        json_decref(al);
        if (v == 0)
            return ferr_set(e, FERR_NOTFOUND,
                            "model '%s' has no version or alias '%s'", name,
                            spec);
        if (!version_exists(r, name, v))
            return ferr_set(e, FERR_NOTFOUND,
                            "model '%s': alias '%s' points at v%d, which is "
                            "gone",
                            name, spec, v);
    }
    *version = v;
    return FERR_OK;
}

static int list_one(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    json_t *al, *vers = json_array(), *aliases;
    intvec_t vs = {0};
    const char *k;
    json_t *x;
    int rc = load_aliases(r, name, &al, e);

    *out = NULL;
    if (rc) {
        json_decref(vers);
        return rc;
    }
    aliases = json_object_get(al, "aliases");
    list_versions(r, name, &vs);
    for (size_t i = 0; i < vs.n && rc == FERR_OK; i++) {
        json_t *m, *names = json_array();
        rc = reg_load_manifest(r, name, vs.a[i], &m, e);
        if (rc) {
            json_decref(names);
            break;
        }
        json_object_foreach(aliases, k, x) {
            if (json_integer_value(x) == vs.a[i])
                json_array_append_new(names, json_string(k));
        }
        json_array_append_new(
            vers, json_pack("{s:i,s:O,s:O,s:o,s:o}", "version", vs.a[i],
                            "created_at", json_object_get(m, "created_at"),
                            "objective", json_object_get(m, "objective"),
                            "metrics",
                            json_object_get(m, "metrics")
                                ? json_incref(json_object_get(m, "metrics"))
                                : json_object(),
                            "aliases", names));
        json_decref(m);
    }
    free(vs.a);
    if (rc) {
        json_decref(al);
        json_decref(vers);
        return rc;
    }
    *out = json_pack("{s:s,s:O,s:o}", "name", name, "aliases", aliases,
                     "versions", vers);
    json_decref(al);
    return FERR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int reg_list(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    VEC(char *) names = {0};
    json_t *arr;
    DIR *d;
    struct dirent *de;
    int rc = FERR_OK;

    *out = NULL;
    if (name) {
        rc = model_exists(r, name, e);
        if (rc)
            return rc;
        arr = json_array();
        {
            json_t *one;
            rc = list_one(r, name, &one, e);
            if (rc) {
                json_decref(arr);
                return rc;
            }
            json_array_append_new(arr, one);
        }
        *out = arr;
        return FERR_OK;
    }
    d = opendir(r->dir);
    if (d == NULL && errno == ENOENT) {
        *out = json_array(); /* nothing registered yet */
        return FERR_OK;
    }
    if (d == NULL)
        return ferr_set(e, FERR_IO, "registry %s: %s", r->dir,
                        strerror(errno));
    while ((de = readdir(d)) != NULL) {
        char *p;
        if (!reg_name_valid(de->d_name))
            continue;
        p = path_of(r, "%s/versions", de->d_name);
        if (is_dir(p))
            VEC_PUSH(&names, xstrdup(de->d_name));
        free(p);
    }
    closedir(d);
    if (names.n)
        qsort(names.a, names.n, sizeof(char *), cmp_str);
    arr = json_array();
    for (size_t i = 0; i < names.n; i++) {
        json_t *one;
        if (rc == FERR_OK && (rc = list_one(r, names.a[i], &one, e)) == FERR_OK)
            json_array_append_new(arr, one);
        free(names.a[i]);
    }
    free(names.a);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FERR_OK;
}

/* ---- diff --------------------------------------------------------------- */

static void diff_values(const char *path, json_t *a, json_t *b, json_t *out)
{
    if (json_is_object(a) && json_is_object(b)) {
        VEC(const char *) keys = {0};
        const char *k;
        json_t *x;
        json_object_foreach(a, k, x) VEC_PUSH(&keys, k);
        json_object_foreach(b, k, x) {
            if (!json_object_get(a, k))
                VEC_PUSH(&keys, k);
        }
        if (keys.n)
            qsort(keys.a, keys.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < keys.n; i++) {
            buf_t p = {0};
            buf_printf(&p, "%s.%s", path, keys.a[i]);
            diff_values(p.p, json_object_get(a, keys.a[i]),
                        json_object_get(b, keys.a[i]), out);
            buf_free(&p);
        }
        free(keys.a);
        return;
    }
    if ((a == NULL && b == NULL) || (a && b && json_equal(a, b)))
        return;
    json_array_append_new(out, json_pack("{s:s,s:O,s:O}", "path", path, "a",
                                         a ? a : json_null(), "b",
                                         b ? b : json_null()));
}

static json_t *feature_by_name(json_t *feats, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(feats, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    return NULL;
}

static json_t *diff_features(json_t *fa, json_t *fb)
{
    json_t *added = json_array(), *removed = json_array(),
           *changed = json_array(), *f;
    size_t i;
    json_array_foreach(fa, i, f) {
        const char *n = json_string_value(json_object_get(f, "name"));
        json_t *g = feature_by_name(fb, n);
        if (g == NULL) {
            json_array_append_new(removed, json_string(n));
        } else {
            json_t *ch = json_array();
            diff_values(n, f, g, ch);
            json_array_extend(changed, ch);
            json_decref(ch);
        }
    }
    json_array_foreach(fb, i, f) {
        const char *n = json_string_value(json_object_get(f, "name"));
        if (feature_by_name(fa, n) == NULL)
            json_array_append_new(added, json_string(n));
    }
    return json_pack("{s:o,s:o,s:o}", "added", added, "removed", removed,
                     "changed", changed);
}

int reg_diff(reg_t *r, const char *name, int a, int b, json_t **out,
             ferr_t *e)
{
    /* What a reviewer compares between two versions; timestamps and the
     * profile are noise here. */
    static const char *const sections[] = {
        "objective", "params",      "metrics", "importance", "seed",
        "model",     "data_sha256", "spec_sha256", "lineage", NULL,
    };
    json_t *ma, *mb, *changes;
    int rc;

    *out = NULL;
    rc = reg_load_manifest(r, name, a, &ma, e);
    if (rc)
        return rc;
    rc = reg_load_manifest(r, name, b, &mb, e);
    if (rc) {
        json_decref(ma);
        return rc;
    }
    changes = json_array();
    for (const char *const *s = sections; *s; s++)
        diff_values(*s, json_object_get(ma, *s), json_object_get(mb, *s),
                    changes);
    *out = json_pack("{s:s,s:i,s:i,s:o,s:o}", "name", name, "a", a, "b", b,
                     "changes", changes, "features",
                     diff_features(json_object_get(ma, "features"),
                                   json_object_get(mb, "features")));
    json_decref(ma);
    json_decref(mb);
    return FERR_OK;
}

/* ---- export, delete ----------------------------------------------------- */

int reg_export(reg_t *r, const char *name, int version, const char *dir,
               ferr_t *e)
{
    json_t *m;
    char *src, *model, hex[65];
    size_t n;
    buf_t dst = {0};
    const char *want;
    int rc = reg_load_manifest(r, name, version, &m, e);
    if (rc)
        return rc;
    src = reg_model_path(r, name, version, m);
    rc = file_read_all(src, REG_MODEL_MAX, &model, &n, e);
    if (rc == FERR_OK) {
        /* An export is what another system will trust: check the bytes are
         * still the ones that were registered. */
        reg_sha256(model, n, hex);
        want = json_string_value(
            json_object_get(json_object_get(m, "model"), "sha256"));
        if (strcmp(hex, want) != 0)
            rc = ferr_set(e, FERR_CORRUPT,
                          "%s: SHA-256 %s does not match the manifest's %s",
                          src, hex, want);
        if (rc == FERR_OK)
            rc = mkdir_p(dir, e);
        if (rc == FERR_OK) {
            buf_printf(&dst, "%s/model.json", dir);
            rc = afile_write_all(dst.p, model, n, e);
        }
        if (rc == FERR_OK) {
            buf_reset(&dst);
            buf_printf(&dst, "%s/manifest.json", dir);
            rc = write_json(dst.p, m, e);
        }
        free(model);
    }
    buf_free(&dst);
    free(src);
    json_decref(m);
    return rc;
}

int reg_delete(reg_t *r, const char *name, int version, bool force,
               ferr_t *e)
{
    json_t *al = NULL, *drop = json_array(), *x;
    const char *k;
    char *vdir = NULL, *grave = NULL;
    int rc;
    size_t i;

    rc = need_version(r, name, version, e);
    if (rc == FERR_OK)
        rc = reg_lock(r, e);
    if (rc) {
        json_decref(drop);
        return rc;
    }
    rc = load_aliases(r, name, &al, e);
    if (rc)
        goto out;
    if (!version_exists(r, name, version)) {
        rc = ferr_set(e, FERR_NOTFOUND, "model '%s' has no version %d", name,
                      version);
        goto out;
    }
    json_object_foreach(json_object_get(al, "aliases"), k, x) {
        if (json_integer_value(x) == version)
            json_array_append_new(drop, json_string(k));
    }
    if (json_array_size(drop) > 0 && !force) {
        rc = ferr_set(e, FERR_REFUSED,
                      "refused: %s v%d is the target of alias '%s'; promote "
                      "another version first or use --force",
                      name, version,
                      json_string_value(json_array_get(drop, 0)));
        goto out;
    }
    if (json_array_size(drop) > 0) {
        json_array_foreach(drop, i, x)
            json_object_del(json_object_get(al, "aliases"),
                            json_string_value(x));
        rc = save_aliases(r, name, al, e);
        json_array_foreach(drop, i, x) {
            if (rc == FERR_OK)
                rc = append_history(r, name, "delete", json_string_value(x),
                                    version, 0, "version deleted (--force)",
                                    NULL, e);
        }
        if (rc)
            goto out;
    }
    /* Rename first so the version vanishes in one step, then clean up. */
    vdir = path_of(r, "%s/versions/%d", name, version);
    grave = path_of(r, "%s/versions/.deleted-%d-%ld", name, version,
                    (long)getpid());
    if (rename(vdir, grave) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", vdir, strerror(errno));
        goto out;
    }
    rm_rf(grave);
    {
        char *p = path_of(r, "%s/versions", name);
        rc = fsync_dir(p, e);
        free(p);
    }
out:
    reg_unlock(r);
    json_decref(al);
    json_decref(drop);
    free(vdir);
    free(grave);
    return rc;
}
