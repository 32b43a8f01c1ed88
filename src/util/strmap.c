/* String to integer map (strmap.h): linear probing, at most half full. */
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static uint64_t hash(const char *key)
{
	uint64_t h = 1469598103934665603ull;
	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static mc_strmap_entry *find(const mc_strmap *map, const char *key)
{
	size_t mask = map->capacity - 1, i = (size_t)hash(key) & mask;
	while (map->slots[i].key && strcmp(map->slots[i].key, key))
		i = (i + 1) & mask;
	return &map->slots[i];
}

static void grow(mc_strmap *map)
{
	mc_strmap old = *map;
	size_t i;
	map->capacity = old.capacity ? old.capacity * 2 : 64;
	map->slots = mc_xcalloc(map->capacity, sizeof *map->slots);
	for (i = 0; i < old.capacity; i++)
		if (old.slots[i].key)
			*find(map, old.slots[i].key) = old.slots[i];
	free(old.slots);
}

int mc_strmap_get(const mc_strmap *map, const char *key, int64_t *value)
{
	const mc_strmap_entry *e;
	if (!map->capacity)
		return 0;
	e = find(map, key);
	if (!e->key)
		return 0;
	*value = e->value;
	return 1;
}

void mc_strmap_put(mc_strmap *map, const char *key, int64_t value)
{
	mc_strmap_entry *e;
	if (2 * (map->count + 1) > map->capacity)
		grow(map);
	e = find(map, key);
	if (!e->key) {
		e->key = mc_xstrdup(key);
		map->count++;
	}
	e->value = value;
}

void mc_strmap_clear(mc_strmap *map)
{
	size_t i;
	for (i = 0; i < map->capacity; i++) {
		free(map->slots[i].key);
		map->slots[i].key = NULL;
	}
	map->count = 0;
}

void mc_strmap_free(mc_strmap *map)
{
	mc_strmap_clear(map);
	free(map->slots);
	map->slots = NULL;
	map->capacity = 0;
}
