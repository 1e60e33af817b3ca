/*
 * reg_int.h - helpers shared by the registry's own files, not its users.
 */
#ifndef FERRY_REG_INT_H
#define FERRY_REG_INT_H

#include <stdbool.h>

/* Model names become directory names: [A-Za-z0-9][A-Za-z0-9._-]*, at most
 * REG_NAME_MAX bytes, so a name can never escape the registry directory. */
#define REG_NAME_MAX 128
bool reg_name_valid(const char *s);

#endif
