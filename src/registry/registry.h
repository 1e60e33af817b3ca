/*
 * registry.h - the versioned model registry.
 *
 * A registry is a directory.  Each model name owns a subdirectory holding
 * immutable numbered versions, the aliases that point at them (champion,
 * challenger, ...) and an append-only history of alias moves:
 *
 *   REG/.lock                              flock(2) target for all writers
 *   REG/<name>/versions/<N>/model.json     the model bytes, kept exactly
 *   REG/<name>/versions/<N>/manifest.json  what the version is (see below)
 *   REG/<name>/history.jsonl               one JSON object per alias move:
 *                                          the log, and the truth
 *   REG/<name>/aliases.json                {"aliases":{"champion":3},
 *                                           "previous":{"champion":[1,2]},
 *                                           "applied":2}: a checkpoint of
 *                                          the log's first `applied` moves
 *   REG/<name>/last_version                highest number ever issued, so a
 *                                          deleted number is never reused
 *
 * Every write is atomic: files go through afile (temp + fsync + rename) and a
 * new version is assembled in a hidden staging directory that is renamed
 * into place, so a reader never sees half a version.  Writers serialise on
 * an exclusive flock of REG/.lock, so concurrent processes registering or
 * promoting never lose an update or issue the same version twice.  Readers
 * take no lock.  A writer killed at any step (or stopped by ENOSPC) never
 * makes a version number issued twice nor an alias move missing from the
 * history, and the next writer removes what it left (registry.c's header
 * has the design; reg_verify checks it).
 *
 * The manifest (JSON object) carries: name, version, created_at (UTC ISO
 * 8601), ferry_version, model {file, format, sha256, bytes}, objective,
 * params, metrics {split: {metric: number}}, features [{name, type,
 * categories?, min?, max?}], profile (profile.h), importance {gain, weight},
 * data_sha256, spec_sha256, seed, duration_s, lineage {parent, source_files,
 * spec_file, imported_from}, registered_by.  docs/registry.md has the detail.
 *
 * Ownership: reg_t is opened and closed by the caller; every json_t handed
 * out through an `out` parameter is a new reference the caller decrefs; every
 * char * handed out is malloc'ed and freed by the caller.
 */
#ifndef FERRY_REGISTRY_H
#define FERRY_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

typedef struct reg reg_t;

/* Validation gate for promotions.  metric == NULL disables the gate.  The
 * candidate's metrics[split][metric] is compared with the current holder of
 * the alias: refused when it is worse by more than tolerance, or worse than
 * floor (NaN: no floor). */
typedef struct reg_gate {
    const char *metric;    /* e.g. "roc_auc" */
    const char *split;     /* e.g. "test" */
    double tolerance;      /* allowed regression vs the current holder */
    double floor;          /* absolute bound; NaN = none */
    bool higher_is_better; /* false for rmse, logloss, ... */
} reg_gate_t;

/* Largest manifest or aliases file the registry will read (user input). */
#define REG_MANIFEST_MAX (64u << 20)
/* Largest model file the registry will read back (export, import). */
#define REG_MODEL_MAX (2048u << 20)

/* Open the registry at dir; the directory is created by the first write,
 * so read-only use of a registry that does not exist creates nothing. */
int reg_open(const char *dir, reg_t **out, ferr_t *e);
void reg_close(reg_t *r);
const char *reg_dir(const reg_t *r);

/* Store a new immutable version of model `name`.  manifest holds the caller's
 * fields (objective, params, metrics, features, ...); the registry adds
 * name, version, created_at, ferry_version, registered_by, model{...} and,
 * when lineage.source_files / lineage.spec_file name readable files and the
 * hashes are absent, data_sha256 / spec_sha256.  manifest is not modified;
 * *version_out receives the new number. */
int reg_register(reg_t *r, const char *name, const void *model, size_t n,
                 const json_t *manifest, int *version_out, ferr_t *e);

/* Register an XGBoost JSON model trained elsewhere (Python, R, the CLI).
 * The bytes are stored exactly.  features (nf names, type "float") become the
 * feature schema and must match learner_model_param.num_feature; if nf == 0
 * the model's own learner.feature_names are used.  objective NULL: read from
 * the model.  Gain/weight importances are computed from the trees.  extra
 * (may be NULL): manifest fields to add or override, e.g. {"metrics": ...}
 * measured by the team that trained the model. */
int reg_import_xgboost(reg_t *r, const char *name, const void *model,
                       size_t n, const char *const *features, size_t nf,
                       const char *objective, const char *source,
                       const json_t *extra, int *version_out, ferr_t *e);

/* Point alias at version, subject to gate (NULL: none) unless force.  The
 * refusal is FERR_REFUSED with both values in the message; aliases and
 * history are then untouched.  reason may be NULL. */
int reg_promote(reg_t *r, const char *name, int version, const char *alias,
                const reg_gate_t *gate, bool force, const char *reason,
                ferr_t *e);
/* Move alias back to the version it pointed at before its last promotion
 * (skipping deleted versions).  FERR_NOTFOUND if there is none.  If
 * version_out is not NULL it receives the restored version. */
int reg_rollback(reg_t *r, const char *name, const char *alias,
                 const char *reason, int *version_out, ferr_t *e);

/* "3", "v3", "latest" or an alias name -> an existing version number. */
int reg_resolve(reg_t *r, const char *name, const char *alias_or_version,
                int *version, ferr_t *e);
/* The version's manifest, validated; errors name the file and JSON path. */
int reg_load_manifest(reg_t *r, const char *name, int version, json_t **out,
                      ferr_t *e);
/* Paths (malloc'ed, no I/O) of the version's manifest, and of its model
 * file as named by the manifest the caller loaded (reg_load_manifest). */
char *reg_manifest_path(const reg_t *r, const char *name, int version);
char *reg_model_path(const reg_t *r, const char *name, int version,
                     const json_t *manifest);

/* name == NULL: [{name, aliases, versions:[{version, created_at, objective,
 * metrics, aliases}]}] for every model; else the same for one model. */
int reg_list(reg_t *r, const char *name, json_t **out, ferr_t *e);
/* The model's alias moves, oldest first (array of history entries). */
int reg_history(reg_t *r, const char *name, json_t **out, ferr_t *e);
/* {a, b, changes:[{path, a, b}], features:{added, removed, changed}}. */
int reg_diff(reg_t *r, const char *name, int a, int b, json_t **out,
             ferr_t *e);
/* Copy the version's model.json and manifest.json into dir (created). */
int reg_export(reg_t *r, const char *name, int version, const char *dir,
               ferr_t *e);
/* Remove a version.  A version some alias points at is FERR_REFUSED unless
 * force, which also drops those aliases (recorded in the history). */
int reg_delete(reg_t *r, const char *name, int version, bool force,
               ferr_t *e);

/* Check one model's invariants without changing anything: last_version is
 * not below any version, every manifest is valid and its model bytes match
 * their SHA-256, the aliases are exactly what replaying the whole history
 * gives and point at existing versions.  The first violation is
 * FERR_CORRUPT naming the file; *out gets {name, versions, last_version,
 * aliases, history} on success. */
int reg_verify(reg_t *r, const char *name, json_t **out, ferr_t *e);

/* Parse and validate manifest text; `where` names it in errors.  stored:
 * require the fields the registry adds (name, version, created_at, model). */
int reg_manifest_parse(const char *text, size_t n, const char *where,
                       bool stored, json_t **out, ferr_t *e);
int reg_manifest_check(const json_t *m, const char *where, bool stored,
                       ferr_t *e);

/* SHA-256 as 64 lowercase hex digits + NUL. */
void reg_sha256(const void *p, size_t n, char hex[65]);
/* One digest over several files' bytes, in order (the training data). */
int reg_sha256_files(const char *const *paths, size_t n, char hex[65],
                     ferr_t *e);

#endif
