/*
 * reg_int.h - helpers shared by the registry's own files and its tests, not
 * its users.
 */
#ifndef FERRY_REG_INT_H
#define FERRY_REG_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Model names become directory names: [A-Za-z0-9][A-Za-z0-9._-]*, at most
 * REG_NAME_MAX bytes, so a name can never escape the registry directory. */
#define REG_NAME_MAX 128
bool reg_name_valid(const char *s);

/* Test-only fault injection (compiled in always, read only when the
 * environment sets it).  FERRY_FAULT=<op>:<point> ends the process with
 * _exit(REG_FAULT_EXIT) at that point of a registry write, as a kill -9
 * would; FERRY_FAULT=<op>:<point>:fail makes the step after the point fail
 * with ENOSPC instead.  "<op>:mid-log" writes half of the history line
 * first (a torn append).  reg__fault_points lists every point, NULL-ended,
 * so the crash test covers each one, including any added later. */
#define REG_FAULT_EXIT 86
extern const char *const reg__fault_points[];

/* What a reader makes of a model's alias files, from their text: the
 * aliases.json checkpoint (atext NULL: no file) caught up with the
 * history.jsonl log, as {"aliases", "previous", "applied"}.  Errors name
 * "aliases.json" / "history.jsonl:LINE" and the JSON path.  For the fuzzer
 * (fuzz_aliases.c); the registry's readers and writers go through the
 * same code. */
int reg__aliases_from_text(const char *atext, size_t an, const char *htext,
                           size_t hn, json_t **out, ferr_t *e);

#endif
