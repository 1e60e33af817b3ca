/*
 * registry.c - versions, aliases and history on disk (see registry.h).
 *
 * The on-disk layout is the registry's only state: no index file to drift
 * from the directories.  A version exists iff versions/<N>/manifest.json
 * exists, and that directory appears in one rename(2), so readers need no
 * lock.  Writers take an exclusive flock of REG/.lock for the whole
 * read-modify-write (number a version, move an alias), which is what makes
 * two concurrent `ferry train` runs get distinct versions.
 *
 * Crash consistency (a kill -9 or ENOSPC at any step):
 *
 * - Version numbers.  last_version is written (temp, fsync, rename) before
 *   the staging directory is renamed to versions/<N>, and `delete` raises it
 *   to the deleted number before removing anything, so it is never below a
 *   version that exists or existed.  A crash between the two leaves a gap,
 *   never a reuse.  Registries written by older binaries may lack that
 *   guarantee, so the next number is max(last_version, highest version
 *   directory, highest version named in aliases.json or history.jsonl) + 1,
 *   and a counter at INT_MAX is refused rather than wrapped.
 *
 * - Alias moves.  history.jsonl is the log and the truth: a move (promote,
 *   rollback, delete --force) is committed when its line is appended and
 *   fsynced.  aliases.json is a checkpoint: the state after the first
 *   `applied` entries of the log.  Readers apply any later entries in
 *   memory; writers, under the lock, first save the caught-up checkpoint
 *   and truncate a torn last line (an append cut short), then log their own
 *   move, then checkpoint again.  A crash after the log write loses nothing
 *   (the next reader or writer applies it); a crash before it changes
 *   nothing; the history always lists exactly the moves the aliases made.
 *
 * - Leftovers.  A writer holding the lock also removes what a dead writer
 *   left: versions/.staging-<pid>-*, versions/.deleted-<N>-<pid> and the
 *   *.tmp.* files of aliases.json and last_version.  The lock proves no
 *   registry writer is working on them; a staging or grave directory is
 *   kept anyway while the pid in its name is alive (and old-style names
 *   without a pid until an hour old), so a writer that does not honour the
 *   lock is never disturbed.
 */
#include "registry/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
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

/* Parse a decimal version number ("12", 1..INT_MAX); -1 if it is not one. */
static int parse_version(const char *s)
{
    int v = 0;
    if (s[0] < '1' || s[0] > '9')
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (INT_MAX - (*p - '0')) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* ---- test-only fault injection (reg_int.h) ------------------------------ */

const char *const reg__fault_points[] = {
    "register:after-stage", "register:after-reserve", "register:after-rename",
    "promote:mid-log",      "promote:after-log",      "rollback:mid-log",
    "rollback:after-log",   "delete:after-reserve",   "delete:mid-log",
    "delete:after-log",     "delete:after-save",      "delete:after-bury",
    NULL,
};

typedef enum { FAULT_NONE, FAULT_KILL, FAULT_FAIL } fault_t;

static fault_t fault_wanted(const char *op, const char *point)
{
    const char *want = getenv("FERRY_FAULT");
    size_t n = strlen(op), m = strlen(point);
    if (want == NULL || strncmp(want, op, n) != 0 || want[n] != ':' ||
        strncmp(want + n + 1, point, m) != 0)
        return FAULT_NONE;
    want += n + 1 + m;
    return *want == '\0' ? FAULT_KILL
           : strcmp(want, ":fail") == 0 ? FAULT_FAIL
                                        : FAULT_NONE;
}

/* FERR_OK unless FERRY_FAULT names op:point: then exit as a kill would, or
 * (":fail") return the ENOSPC the next step would have met. */
static int fault_at(const char *op, const char *point, ferr_t *e)
{
    switch (fault_wanted(op, point)) {
    case FAULT_KILL:
        _exit(REG_FAULT_EXIT);
    case FAULT_FAIL:
        return ferr_set(e, FERR_IO, "%s:%s: %s (injected by FERRY_FAULT)", op,
                        point, strerror(ENOSPC));
    case FAULT_NONE:
        break;
    }
    return FERR_OK;
}

/* Free text stored in the history (--reason) stays one printable line. */
#define REG_REASON_MAX 1024
static int check_reason(const char *reason, ferr_t *e)
{
    size_t n, i;
    json_t *j;
    if (reason == NULL)
        return FERR_OK;
    n = strlen(reason);
    if (n > REG_REASON_MAX)
        return ferr_set(e, FERR_USAGE, "--reason: %zu bytes, at most %d", n,
                        REG_REASON_MAX);
    if ((i = str_control_at((str_t){reason, n})) < n)
        return ferr_set(e, FERR_USAGE,
                        "--reason: control character 0x%02x at byte %zu "
                        "(the reason is one line of text)",
                        (unsigned char)reason[i], i + 1);
    j = json_stringn(reason, n);
    if (j == NULL)
        return ferr_set(e, FERR_USAGE, "--reason: not valid UTF-8");
    json_decref(j);
    return FERR_OK;
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

/* history.jsonl as read: the text, the length of its complete lines (an
 * unterminated last line is an append that never finished: not part of the
 * log) and the number of entries (non-empty complete lines). */
typedef struct hist {
    char *text;
    size_t size, len, count;
} hist_t;

static void hist_free(hist_t *h)
{
    free(h->text);
    memset(h, 0, sizeof(*h));
}

/* len and count of h->text[0..size). */
static void hist_scan(hist_t *h)
{
    h->len = h->count = 0;
    for (size_t i = 0, start = 0; i < h->size; i++) {
        if (h->text[i] != '\n')
            continue;
        h->count += i > start;
        start = i + 1;
        h->len = i + 1;
    }
}

static int hist_read(reg_t *r, const char *name, hist_t *h, ferr_t *e)
{
    char *path = path_of(r, "%s/history.jsonl", name);
    int rc = file_read_all(path, REG_MANIFEST_MAX, &h->text, &h->size, e);
    free(path);
    if (rc == FERR_NOTFOUND) {
        h->text = xstrdup("");
        h->size = 0;
        rc = FERR_OK;
    }
    if (rc == FERR_OK)
        hist_scan(h);
    return rc;
}

/* The next entry at or after *off: its text, length and 1-based line. */
static bool hist_next(const hist_t *h, size_t *off, size_t *lineno,
                      const char **p, size_t *n)
{
    while (*off < h->len) {
        const char *s = h->text + *off;
        const char *nl = memchr(s, '\n', h->len - *off);
        size_t len = (size_t)(nl - s);
        *off += len + 1;
        ++*lineno;
        if (len > 0) {
            *p = s;
            *n = len;
            return true;
        }
    }
    return false;
}

static int hist_parse(const char *p, size_t n, const char *path,
                      size_t lineno, json_t **out, ferr_t *e)
{
    json_error_t je;
    json_t *h = json_loadb(p, n, 0, &je);
    *out = NULL;
    if (!json_is_object(h)) {
        json_decref(h);
        return ferr_set(e, FERR_CORRUPT, "%s:%zu: not a JSON object%s%s",
                        path, lineno, h ? "" : ": ", h ? "" : je.text);
    }
    *out = h;
    return FERR_OK;
}

static bool is_version_json(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 1 &&
           json_integer_value(v) <= INT_MAX;
}

/* Apply one logged move to an aliases object.  The live promote, rollback
 * and delete go through this same function, so replaying the log gives
 * exactly the state the moves made. */
static int apply_move(json_t *al, const json_t *h, const char *path,
                      size_t lineno, ferr_t *e)
{
    const char *action = json_string_value(json_object_get(h, "action"));
    const char *alias = json_string_value(json_object_get(h, "alias"));
    json_t *from = json_object_get(h, "from"), *to = json_object_get(h, "to");
    json_t *aliases = json_object_get(al, "aliases");
    json_t *prevs = json_object_get(al, "previous"), *stack;
    bool promote, rollback;

    if (action == NULL || alias == NULL || !reg_name_valid(alias))
        return ferr_set(e, FERR_CORRUPT,
                        "%s:%zu: $.action, $.alias: expected an alias move",
                        path, lineno);
    promote = strcmp(action, "promote") == 0;
    rollback = strcmp(action, "rollback") == 0;
    if (strcmp(action, "delete") == 0) {
        json_object_del(aliases, alias);
        return FERR_OK;
    }
    if (!promote && !rollback)
        return ferr_set(e, FERR_CORRUPT,
                        "%s:%zu: $.action: unknown action (promote, "
                        "rollback or delete)",
                        path, lineno);
    if (!is_version_json(to) ||
        (from && !json_is_null(from) && !is_version_json(from)))
        return ferr_set(e, FERR_CORRUPT,
                        "%s:%zu: $.from, $.to: expected version numbers", path,
                        lineno);
    stack = json_object_get(prevs, alias);
    if (promote && is_version_json(from)) {
        if (stack == NULL) {
            stack = json_array();
            json_object_set_new(prevs, alias, stack);
        }
        json_array_append_new(stack, json_integer(json_integer_value(from)));
    }
    /* a rollback popped earlier targets down to the one it restored */
    while (rollback && json_array_size(stack) > 0) {
        size_t last = json_array_size(stack) - 1;
        json_int_t v = json_integer_value(json_array_get(stack, last));
        json_array_remove(stack, last);
        if (v == json_integer_value(to))
            break;
    }
    json_object_set_new(aliases, alias, json_integer(json_integer_value(to)));
    return FERR_OK;
}

/* Apply entries [from, h->count) of the log to al. */
static int replay(json_t *al, const hist_t *h, size_t from, const char *path,
                  ferr_t *e)
{
    size_t off = 0, lineno = 0, idx = 0, n;
    const char *p;
    int rc = FERR_OK;
    while (rc == FERR_OK && hist_next(h, &off, &lineno, &p, &n)) {
        json_t *x;
        if (idx++ < from)
            continue;
        rc = hist_parse(p, n, path, lineno, &x, e);
        if (rc == FERR_OK)
            rc = apply_move(al, x, path, lineno, e);
        json_decref(x);
    }
    return rc;
}

/* The aliases as the log makes them: aliases.json (a, parsed; NULL when
 * there is no file: no aliases), {"aliases": {alias: N}, "previous":
 * {alias: [N, ...]}, "applied": entries}, validated, plus the entries of
 * the log hl it does not include yet.  On success a (or a new object) is
 * *out with "applied" set to the log's count, and *stale (may be NULL) says
 * whether the file differs from what it should now say.  Takes a. */
static int catch_up(json_t *a, const char *path, const hist_t *hl,
                    const char *hpath, json_t **out, bool *stale, ferr_t *e)
{
    json_t *al, *prev, *v, *applied;
    const char *k;
    size_t done;
    bool exists = a != NULL;
    int rc = FERR_OK;

    *out = NULL;
    if (stale)
        *stale = false;
    if (!exists)
        a = json_pack("{s:{},s:{}}", "aliases", "previous");
    al = json_object_get(a, "aliases");
    prev = json_object_get(a, "previous");
    applied = json_object_get(a, "applied");
    if (!json_is_object(al) || !json_is_object(prev)) {
        rc = ferr_set(e, FERR_CORRUPT,
                      "%s: $.%s: expected an object", path,
                      json_is_object(al) ? "previous" : "aliases");
        goto out;
    }
    if (applied && (!json_is_integer(applied) ||
                    json_integer_value(applied) < 0)) {
        rc = ferr_set(e, FERR_CORRUPT,
                      "%s: $.applied: expected a count of history entries",
                      path);
        goto out;
    }
    json_object_foreach(al, k, v) {
        if (!is_version_json(v)) {
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
            if (!is_version_json(x)) {
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: $.previous.%s[%zu]: expected a version "
                              "number",
                              path, k, i);
                goto out;
            }
        }
    }
    /* A checkpoint from before "applied" existed was written after its
     * history line: it includes the whole log.  A log shortened by hand
     * leaves the checkpoint standing. */
    done = !exists ? 0 : applied ? (size_t)json_integer_value(applied)
                                 : hl->count;
    if (done < hl->count) {
        rc = replay(a, hl, done, hpath, e);
        if (rc)
            goto out;
    }
    /* a writer must save the checkpoint before logging a move, or the
     * count it would be read with could already include that move */
    if (stale)
        *stale = done != hl->count || (exists && applied == NULL);
    json_object_set_new(a, "applied", json_integer((json_int_t)hl->count));
out:
    if (rc)
        json_decref(a);
    else
        *out = a;
    return rc;
}

int reg__aliases_from_text(const char *atext, size_t an, const char *htext,
                           size_t hn, json_t **out, ferr_t *e)
{
    hist_t hl = {0};
    json_t *a = NULL;
    int rc;
    *out = NULL;
    if (atext) {
        json_error_t je;
        a = json_loadb(atext, an, JSON_REJECT_DUPLICATES, &je);
        if (a == NULL)
            return ferr_set(e, FERR_CORRUPT,
                            "aliases.json:%d:%d: invalid JSON: %s", je.line,
                            je.column, je.text);
    }
    hl.text = xmalloc(hn + 1);
    memcpy(hl.text, htext, hn);
    hl.text[hn] = '\0';
    hl.size = hn;
    hist_scan(&hl);
    rc = catch_up(a, "aliases.json", &hl, "history.jsonl", out, NULL, e);
    hist_free(&hl);
    return rc;
}

/* catch_up on REG/<name>'s files.  h (may be NULL) receives the log as
 * read. */
static int load_aliases_h(reg_t *r, const char *name, json_t **out,
                          hist_t *h, bool *stale, ferr_t *e)
{
    char *path = path_of(r, "%s/aliases.json", name);
    char *hpath = path_of(r, "%s/history.jsonl", name);
    json_t *a = NULL;
    hist_t hl = {0};
    int rc = FERR_OK;

    *out = NULL;
    if (stale)
        *stale = false;
    if (access(path, F_OK) == 0)
        rc = read_json(path, &a, e);
    if (rc == FERR_OK)
        rc = hist_read(r, name, &hl, e);
    if (rc == FERR_OK) {
        rc = catch_up(a, path, &hl, hpath, out, stale, e);
        a = NULL;
    }
    json_decref(a);
    free(path);
    free(hpath);
    if (rc == FERR_OK && h)
        *h = hl;
    else
        hist_free(&hl);
    return rc;
}

static int load_aliases(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    return load_aliases_h(r, name, out, NULL, NULL, e);
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

static json_t *new_move(const char *action, const char *alias, int from,
                        int to, const char *reason, const json_t *extra)
{
    char when[32];
    json_t *h;
    now_iso(when);
    h = json_pack("{s:s,s:s,s:s,s:o,s:o}", "at", when, "action", action,
                  "alias", alias, "from",
                  from ? json_integer(from) : json_null(), "to",
                  to ? json_integer(to) : json_null());
    if (reason)
        json_object_set_new(h, "reason", json_string(reason));
    json_object_set_new(h, "user", json_string(current_user()));
    if (extra)
        json_object_update(h, (json_t *)extra);
    return h;
}

/* Commit moves (an array of new_move objects) for op: append them to the
 * log in one write(2) and fsync (the commit point; a failed append is cut
 * back off), apply them to al and save al as the new checkpoint.  h is the
 * log as the caller's recovery left it (h->size == h->len). */
static int log_moves(reg_t *r, const char *name, const char *op, json_t *al,
                     hist_t *h, const json_t *moves, ferr_t *e)
{
    char *path = path_of(r, "%s/history.jsonl", name);
    buf_t b = {0};
    size_t i;
    json_t *x;
    int fd, rc = FERR_OK;

    json_array_foreach(moves, i, x) {
        char *line = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
        buf_puts(&b, line);
        buf_putc(&b, '\n');
        free(line);
    }
    /* O_APPEND, one write of whole lines: entries never interleave (we
     * hold the lock anyway) */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    {
        fault_t torn = fault_wanted(op, "mid-log");
        size_t first = torn ? b.n / 2 : b.n;
        ssize_t w = write(fd, b.p, first);
        if (torn) {
            fault_at(op, "mid-log", NULL); /* a kill ends here */
            rc = fault_at(op, "mid-log", e); /* ":fail": a short write */
        } else if (w != (ssize_t)b.n || fsync(fd) != 0) {
            rc = ferr_set(e, FERR_IO, "%s: %s", path,
                          w < 0 || (size_t)w == b.n ? strerror(errno)
                                                    : "short write");
        }
    }
    if (rc) {
        /* not committed: cut the partial line off (if this fails too, the
         * next writer truncates the unterminated line) */
        if (ftruncate(fd, (off_t)h->len) == 0)
            fsync(fd);
        close(fd);
        goto out;
    }
    close(fd);
    json_array_foreach(moves, i, x) {
        rc = apply_move(al, x, path, h->count + i + 1, e);
        if (rc)
            goto out;
    }
    h->count += json_array_size(moves);
    h->len = h->size = h->len + b.n;
    json_object_set_new(al, "applied", json_integer((json_int_t)h->count));
    /* The moves are committed.  The checkpoint only saves readers a
     * replay, so failing to write it (ENOSPC) is not the move failing: the
     * next writer saves it. */
    if (fault_at(op, "after-log", NULL) == FERR_OK)
        save_aliases(r, name, al, NULL);
out:
    free(path);
    buf_free(&b);
    return rc;
}

int reg_history(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    char *path;
    hist_t h = {0};
    size_t off = 0, lineno = 0, n;
    const char *p;
    json_t *arr;
    int rc;

    *out = NULL;
    rc = model_exists(r, name, e);
    if (rc == FERR_OK)
        rc = hist_read(r, name, &h, e);
    if (rc)
        return rc;
    path = path_of(r, "%s/history.jsonl", name);
    arr = json_array();
    while (rc == FERR_OK && hist_next(&h, &off, &lineno, &p, &n)) {
        json_t *x;
        rc = hist_parse(p, n, path, lineno, &x, e);
        if (rc == FERR_OK)
            json_array_append_new(arr, x);
    }
    hist_free(&h);
    free(path);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FERR_OK;
}

/* ---- recovery: what a writer does first, under the lock ------------------- */

/* A leftover's creator is alive: pid from the name, 0 if it has none. */
static bool pid_alive(long pid)
{
    return pid > 0 && pid != (long)getpid() &&
           (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Remove what a dead writer left in REG/<name> (see the file header). */
static void sweep_leftovers(reg_t *r, const char *name)
{
    static const char *const tmps[] = {"aliases.json.tmp.",
                                       "last_version.tmp."};
    char *dir = path_of(r, "%s", name);
    DIR *d = opendir(dir);
    struct dirent *de;
    time_t now = time(NULL);

    while (d && (de = readdir(d)) != NULL) {
        for (size_t i = 0; i < sizeof(tmps) / sizeof(tmps[0]); i++) {
            if (strncmp(de->d_name, tmps[i], strlen(tmps[i])) == 0) {
                char *p = path_of(r, "%s/%s", name, de->d_name);
                unlink(p);
                free(p);
            }
        }
    }
    if (d)
        closedir(d);
    free(dir);
    dir = path_of(r, "%s/versions", name);
    d = opendir(dir);
    while (d && (de = readdir(d)) != NULL) {
        long pid = 0, num;
        int end = 0;
        char *p;
        struct stat st;
        /* ".staging-<pid>-XXXXXX", ".deleted-<N>-<pid>"; an older
         * binary's ".staging-XXXXXX" has no pid (even when its random
         * part starts with digits: then no '-' follows them) */
        if ((sscanf(de->d_name, ".staging-%ld-%n", &pid, &end) == 1 &&
             end > 0) ||
            (sscanf(de->d_name, ".deleted-%ld-%ld%n", &num, &pid, &end) ==
                 2 &&
             de->d_name[end] == '\0')) {
            if (pid_alive(pid))
                continue;
        } else if (strncmp(de->d_name, ".staging-", 9) == 0) {
            pid = 0;
        } else {
            continue; /* not ours */
        }
        p = path_of(r, "%s/versions/%s", name, de->d_name);
        /* a name without a pid (older binaries): only once surely dead */
        if (pid > 0 || (lstat(p, &st) == 0 && now - st.st_mtime > 3600))
            rm_tree(p);
        free(p);
    }
    if (d)
        closedir(d);
    free(dir);
}

/* Take the lock and bring REG/<name> up to date: remove leftovers, cut a
 * torn last history line, save the aliases checkpoint if the log is ahead
 * of it.  On success the caller holds the lock and owns *al (the aliases as
 * the log makes them) and *h (the log as it now is). */
static int lock_model(reg_t *r, const char *name, json_t **al, hist_t *h,
                      ferr_t *e)
{
    bool stale = false;
    int rc = reg_lock(r, e);
    *al = NULL;
    memset(h, 0, sizeof(*h));
    if (rc)
        return rc;
    sweep_leftovers(r, name);
    rc = load_aliases_h(r, name, al, h, &stale, e);
    if (rc == FERR_OK && h->size > h->len) {
        char *path = path_of(r, "%s/history.jsonl", name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)h->len) != 0 || fsync(fd) != 0)
            rc = ferr_set(e, FERR_IO, "%s: cutting off an unfinished line: %s",
                          path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(path);
        h->size = h->len;
    }
    if (rc == FERR_OK && stale)
        rc = save_aliases(r, name, *al, e);
    if (rc) {
        json_decref(*al);
        *al = NULL;
        hist_free(h);
        reg_unlock(r);
    }
    return rc;
}

static void unlock_model(reg_t *r, json_t *al, hist_t *h)
{
    reg_unlock(r);
    json_decref(al);
    hist_free(h);
}

/* ---- the version counter ---------------------------------------------------- */

/* last_version: the highest number ever issued (0 when absent). */
static int read_counter(reg_t *r, const char *name, int *out, ferr_t *e)
{
    char *path = path_of(r, "%s/last_version", name), *text, *end;
    size_t n;
    long v;
    int rc = file_read_all(path, 64, &text, &n, e);
    *out = 0;
    if (rc == FERR_NOTFOUND) {
        free(path);
        return FERR_OK;
    }
    if (rc) {
        free(path);
        return rc;
    }
    errno = 0;
    v = strtol(text, &end, 10);
    if (end == text || text[0] < '0' || text[0] > '9' || errno ||
        (*end != '\0' && strcmp(end, "\n") != 0) || v > INT_MAX)
        rc = ferr_set(e, FERR_CORRUPT,
                      "%s: expected a version number from 0 to %d", path,
                      INT_MAX);
    else
        *out = (int)v;
    free(text);
    free(path);
    return rc;
}

static int write_counter(reg_t *r, const char *name, int v, ferr_t *e)
{
    char num[16], *p = path_of(r, "%s/last_version", name);
    int len = snprintf(num, sizeof(num), "%d\n", v);
    int rc = afile_write_all(p, num, (size_t)len, e);
    free(p);
    return rc;
}

static void max_json_version(const json_t *v, int *max)
{
    if (is_version_json(v) && json_integer_value(v) > *max)
        *max = (int)json_integer_value(v);
}

/* The next version number: above last_version, every version directory and
 * every version the aliases and the log ever named (see the file header). */
static int next_version(reg_t *r, const char *name, const json_t *al,
                        const hist_t *h, int *out, ferr_t *e)
{
    intvec_t vs = {0};
    size_t off = 0, lineno = 0, n, i;
    const char *p, *k;
    json_t *x, *y;
    int max, rc = read_counter(r, name, &max, e);

    *out = 0;
    if (rc)
        return rc;
    list_versions(r, name, &vs);
    if (vs.n && vs.a[vs.n - 1] > max)
        max = vs.a[vs.n - 1];
    free(vs.a);
    json_object_foreach(json_object_get(al, "aliases"), k, x)
        max_json_version(x, &max);
    json_object_foreach(json_object_get(al, "previous"), k, x) {
        json_array_foreach(x, i, y) max_json_version(y, &max);
    }
    while (hist_next(h, &off, &lineno, &p, &n)) {
        json_t *m = json_loadb(p, n, 0, NULL);
        max_json_version(json_object_get(m, "from"), &max);
        max_json_version(json_object_get(m, "to"), &max);
        json_decref(m);
    }
    if (max == INT_MAX)
        return ferr_set(e, FERR_LIMIT,
                        "model '%s': version numbers are exhausted (v%d was "
                        "issued); register under a new name",
                        name, max);
    *out = max + 1;
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

int reg_register(reg_t *r, const char *name, const void *model, size_t n,
                 const json_t *manifest, int *version_out, ferr_t *e)
{
    char hex[65], when[32], *vdir = NULL, *stage = NULL, *p;
    const char *fmt;
    json_t *m, *mod, *al = NULL;
    hist_t h = {0};
    int rc, v = 0;

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

    rc = lock_model(r, name, &al, &h, e);
    if (rc) {
        json_decref(m);
        return rc;
    }
    p = path_of(r, "%s/versions", name);
    rc = mkdir_p(p, e);
    free(p);
    if (rc == FERR_OK)
        rc = next_version(r, name, al, &h, &v, e);
    if (rc)
        goto out;
    json_object_set_new(m, "version", json_integer(v));

    /* Assemble the version in a hidden directory (named with our pid, so
     * recovery can tell it from a live writer's), then one rename makes it
     * appear complete; a crash before that leaves only a hidden leftover. */
    stage = path_of(r, "%s/versions/.staging-%ld-XXXXXX", name,
                    (long)getpid());
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
    }
    chmod(stage, 0755);
    /* the number is reserved before the version appears: a crash between
     * the two leaves a gap, never a number issued twice */
    if (rc == FERR_OK)
        rc = fault_at("register", "after-stage", e);
    if (rc == FERR_OK)
        rc = write_counter(r, name, v, e);
    if (rc == FERR_OK)
        rc = fault_at("register", "after-reserve", e);
    if (rc)
        goto out;
    vdir = path_of(r, "%s/versions/%d", name, v);
    if (rename(stage, vdir) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: cannot move version into place: %s",
                      vdir, strerror(errno));
        goto out;
    }
    free(stage);
    stage = NULL;
    rc = fault_at("register", "after-rename", e);
    if (rc == FERR_OK) {
        p = path_of(r, "%s/versions", name);
        rc = fsync_dir(p, e);
        free(p);
    }
    if (rc == FERR_OK && version_out)
        *version_out = v;
out:
    if (stage) {
        rm_tree(stage);
        free(stage);
    }
    unlock_model(r, al, &h);
    free(vdir);
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
    json_t *cand = NULL, *al = NULL, *extra = NULL, *moves = NULL;
    hist_t h = {0};
    int rc, cur;

    if (alias == NULL)
        alias = "champion";
    rc = check_alias(alias, e);
    if (rc == FERR_OK)
        rc = check_reason(reason, e);
    if (rc == FERR_OK)
        rc = need_version(r, name, version, e); /* before the lock creates
                                                   anything */
    if (rc == FERR_OK)
        rc = lock_model(r, name, &al, &h, e);
    if (rc)
        return rc;
    rc = reg_load_manifest(r, name, version, &cand, e);
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
    moves = json_array();
    json_array_append_new(moves, new_move("promote", alias, cur, version,
                                          reason, extra));
    rc = log_moves(r, name, "promote", al, &h, moves, e);
out:
    unlock_model(r, al, &h);
    json_decref(cand);
    json_decref(extra);
    json_decref(moves);
    return rc;
}

int reg_rollback(reg_t *r, const char *name, const char *alias,
                 const char *reason, int *version_out, ferr_t *e)
{
    json_t *al = NULL, *prev, *moves = NULL;
    hist_t h = {0};
    int rc, cur, target = 0;

    if (alias == NULL)
        alias = "champion";
    if (version_out)
        *version_out = 0;
    rc = model_exists(r, name, e);
    if (rc == FERR_OK)
        rc = check_alias(alias, e);
    if (rc == FERR_OK)
        rc = check_reason(reason, e);
    if (rc == FERR_OK)
        rc = lock_model(r, name, &al, &h, e);
    if (rc)
        return rc;
    cur = alias_target(al, alias);
    if (cur == 0) {
        rc = ferr_set(e, FERR_NOTFOUND, "model '%s' has no alias '%s'", name,
                      alias);
        goto out;
    }
    /* The earlier target: a deleted version is skipped, as is the current
     * one (promote A, B, A leaves A twice on the stack).  apply_move pops
     * the stack down to it. */
    prev = json_object_get(json_object_get(al, "previous"), alias);
    for (size_t i = json_array_size(prev); i-- > 0;) {
        int v = (int)json_integer_value(json_array_get(prev, i));
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
    moves = json_array();
    json_array_append_new(moves, new_move("rollback", alias, cur, target,
                                          reason, NULL));
    rc = log_moves(r, name, "rollback", al, &h, moves, e);
    if (rc == FERR_OK && version_out)
        *version_out = target;
out:
    unlock_model(r, al, &h);
    json_decref(moves);
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
    } else if (isdigit((unsigned char)spec[spec[0] == 'v']) &&
               strspn(spec + (spec[0] == 'v'), "0123456789") ==
                   strlen(spec + (spec[0] == 'v'))) {
        /* digits that are no version ("0", "007", beyond INT_MAX) */
        return ferr_set(e, FERR_USAGE,
                        "model '%s': '%s' is not a version number (1 to %d)",
                        name, spec, INT_MAX);
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
    json_t *al = NULL, *drop = json_array(), *moves = json_array(), *x;
    hist_t h = {0};
    const char *k;
    char *vdir = NULL, *grave = NULL;
    int rc, counter;
    size_t i;

    rc = need_version(r, name, version, e);
    if (rc == FERR_OK)
        rc = lock_model(r, name, &al, &h, e);
    if (rc) {
        json_decref(drop);
        json_decref(moves);
        return rc;
    }
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
    /* The counter must remember the number before the version goes (a
     * registry written by an older binary may not). */
    rc = read_counter(r, name, &counter, e);
    if (rc == FERR_OK && counter < version)
        rc = write_counter(r, name, version, e);
    if (rc == FERR_OK)
        rc = fault_at("delete", "after-reserve", e);
    if (rc)
        goto out;
    json_array_foreach(drop, i, x)
        json_array_append_new(moves,
                              new_move("delete", json_string_value(x),
                                       version, 0,
                                       "version deleted (--force)", NULL));
    if (json_array_size(moves) > 0)
        rc = log_moves(r, name, "delete", al, &h, moves, e);
    if (rc == FERR_OK)
        rc = fault_at("delete", "after-save", e);
    if (rc)
        goto out;
    /* Rename first so the version vanishes in one step, then clean up. */
    vdir = path_of(r, "%s/versions/%d", name, version);
    grave = path_of(r, "%s/versions/.deleted-%d-%ld", name, version,
                    (long)getpid());
    if (rename(vdir, grave) != 0) {
        rc = ferr_set(e, FERR_IO, "%s: %s", vdir, strerror(errno));
        goto out;
    }
    rc = fault_at("delete", "after-bury", e);
    if (rc)
        goto out;
    rm_tree(grave);
    {
        char *p = path_of(r, "%s/versions", name);
        rc = fsync_dir(p, e);
        free(p);
    }
out:
    unlock_model(r, al, &h);
    json_decref(drop);
    json_decref(moves);
    free(vdir);
    free(grave);
    return rc;
}

/* ---- verify --------------------------------------------------------------- */

int reg_verify(reg_t *r, const char *name, json_t **out, ferr_t *e)
{
    json_t *al = NULL, *replayed = NULL, *m = NULL, *x;
    intvec_t vs = {0};
    hist_t h = {0};
    char *hpath = NULL, *apath = NULL;
    const char *k;
    int rc, counter = 0;

    *out = NULL;
    rc = model_exists(r, name, e);
    if (rc == FERR_OK)
        rc = read_counter(r, name, &counter, e);
    if (rc)
        return rc;
    list_versions(r, name, &vs);
    if (vs.n && vs.a[vs.n - 1] > counter) {
        char *p = path_of(r, "%s/last_version", name);
        rc = ferr_set(e, FERR_CORRUPT, "%s: %d, below version %d", p, counter,
                      vs.a[vs.n - 1]);
        free(p);
    }
    /* every version: a valid manifest and the model bytes it names */
    for (size_t i = 0; rc == FERR_OK && i < vs.n; i++) {
        char *path, *bytes, hex[65];
        const char *want;
        size_t n;
        rc = reg_load_manifest(r, name, vs.a[i], &m, e);
        if (rc)
            break;
        path = reg_model_path(r, name, vs.a[i], m);
        rc = file_read_all(path, REG_MODEL_MAX, &bytes, &n, e);
        if (rc == FERR_OK) {
            reg_sha256(bytes, n, hex);
            want = json_string_value(
                json_object_get(json_object_get(m, "model"), "sha256"));
            if (strcmp(hex, want) != 0)
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: SHA-256 %s does not match the manifest's "
                              "%s",
                              path, hex, want);
            free(bytes);
        }
        free(path);
        json_decref(m);
        m = NULL;
    }
    /* the aliases are what the whole log makes them, and point at versions
     * that exist */
    if (rc == FERR_OK)
        rc = load_aliases_h(r, name, &al, &h, NULL, e);
    if (rc == FERR_OK) {
        hpath = path_of(r, "%s/history.jsonl", name);
        apath = path_of(r, "%s/aliases.json", name);
        replayed = json_pack("{s:{},s:{}}", "aliases", "previous");
        rc = replay(replayed, &h, 0, hpath, e);
    }
    if (rc == FERR_OK &&
        (!json_equal(json_object_get(al, "aliases"),
                     json_object_get(replayed, "aliases")) ||
         !json_equal(json_object_get(al, "previous"),
                     json_object_get(replayed, "previous"))))
        rc = ferr_set(e, FERR_CORRUPT,
                      "%s: the aliases differ from what %s records", apath,
                      hpath);
    if (rc == FERR_OK) {
        json_object_foreach(json_object_get(al, "aliases"), k, x) {
            if (!version_exists(r, name, (int)json_integer_value(x))) {
                rc = ferr_set(e, FERR_CORRUPT,
                              "%s: $.aliases.%s: v%lld does not exist", apath,
                              k, (long long)json_integer_value(x));
                break;
            }
        }
    }
    if (rc == FERR_OK)
        *out = json_pack("{s:s,s:i,s:i,s:O,s:i}", "name", name, "versions",
                         (int)vs.n, "last_version", counter, "aliases",
                         json_object_get(al, "aliases"), "history",
                         (int)h.count);
    free(vs.a);
    free(hpath);
    free(apath);
    hist_free(&h);
    json_decref(al);
    json_decref(replayed);
    return rc;
}
