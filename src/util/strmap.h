/*
 * A map from strings to 64-bit integers (open addressing, FNV-1a), for hot
 * lookups that would otherwise go to a database once per row: the history
 * cache keeps the ids of the authors and paths it has seen in one.
 */
#ifndef MC_UTIL_STRMAP_H
#define MC_UTIL_STRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct mc_strmap_entry {
	char *key;
	int64_t value;
} mc_strmap_entry;

typedef struct mc_strmap {
	mc_strmap_entry *slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
} mc_strmap;

#define MC_STRMAP_INIT { NULL, 0, 0 }

/* 1 and *value set when key is present, 0 when not. */
int mc_strmap_get(const mc_strmap *map, const char *key, int64_t *value);
/* Insert or replace (the key is copied). */
void mc_strmap_put(mc_strmap *map, const char *key, int64_t value);
/* Remove every entry, keeping the table. */
void mc_strmap_clear(mc_strmap *map);
void mc_strmap_free(mc_strmap *map);

#endif
