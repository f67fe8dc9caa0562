/*
 * lookup.c - the kernel's lookup counts, by inode number
 *
 * An open-addressing hash table with linear probing.  Invariants: a slot
 * with ino 0 is empty (inode 0 does not exist); no entry has count 0 (it
 * is removed, by backward-shift deletion, so probes never need tombstones);
 * the table is at most half full.
 */
#include "lookup.h"

#include <errno.h>
#include <stdlib.h>

struct slot {
	uint64_t ino;	/* 0: empty */
	uint64_t count; /* references the kernel holds, > 0 */
};

struct lookup {
	struct slot *slots;
	uint64_t mask; /* capacity - 1, capacity a power of two */
	uint64_t used; /* slots holding an entry */
};

#define LOOKUP_MIN_CAPACITY 1024

static uint64_t hash(uint64_t ino)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	ino ^= ino >> 33;
	return ino;
}

struct lookup *lookup_new(void)
{
	struct lookup *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->slots = calloc(LOOKUP_MIN_CAPACITY, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = LOOKUP_MIN_CAPACITY - 1;
	return t;
}

void lookup_free(struct lookup *t)
{
	if (t) {
		free(t->slots);
		free(t);
	}
}

static struct slot *find(const struct lookup *t, uint64_t ino)
{
	uint64_t i = hash(ino) & t->mask;

	while (t->slots[i].ino && t->slots[i].ino != ino)
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

static int grow(struct lookup *t)
{
	struct lookup bigger = {.mask = t->mask * 2 + 1, .used = t->used};
	uint64_t i;

	bigger.slots = calloc(bigger.mask + 1, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].ino)
			*find(&bigger, t->slots[i].ino) = t->slots[i];
	free(t->slots);
	*t = bigger;
	return 0;
}

int lookup_add(struct lookup *t, uint64_t ino, uint64_t n)
{
	struct slot *s;

	if (ino == 0 || n == 0)
		return 0;
	if (n > LOOKUP_TOO_MANY - 1 - find(t, ino)->count)
		return -EOVERFLOW;
	if ((t->used + 1) * 2 > t->mask + 1 && grow(t) < 0)
		return -ENOMEM;
	s = find(t, ino);
	if (!s->ino) {
		s->ino = ino;
		t->used++;
	}
	s->count += n;
	return 0;
}

/* Empties slot i and moves later entries of its probe run back into it. */
static void remove_at(struct lookup *t, uint64_t i)
{
	uint64_t j = i, home;

	for (;;) {
		t->slots[i].ino = 0;
		t->slots[i].count = 0;
		for (;;) {
			j = (j + 1) & t->mask;
			if (!t->slots[j].ino)
				return;
			home = hash(t->slots[j].ino) & t->mask;
			/* may slot j's entry move to i?  only if its home
			 * is not cyclically within (i, j] */
			if (i <= j ? (home <= i || home > j)
				   : (home <= i && home > j))
				break;
		}
		t->slots[i] = t->slots[j];
		i = j;
	}
}

uint64_t lookup_drop(struct lookup *t, uint64_t ino, uint64_t n)
{
	struct slot *s = find(t, ino);
	int too_many = n > s->count;

	if (n == 0)
		return s->count;
	if (!s->ino)
		return LOOKUP_TOO_MANY;
	if (n < s->count) {
		s->count -= n;
		return s->count;
	}
	remove_at(t, (uint64_t) (s - t->slots));
	t->used--;
	return too_many ? LOOKUP_TOO_MANY : 0;
}

uint64_t lookup_count(const struct lookup *t, uint64_t ino)
{
	return ino ? find(t, ino)->count : 0;
}

uint64_t lookup_size(const struct lookup *t)
{
	return t->used;
}

uint64_t lookup_list(const struct lookup *t, uint64_t *ino, uint64_t max)
{
	uint64_t i, n = 0;

	for (i = 0; i <= t->mask && n < max; i++)
		if (t->slots[i].ino)
			ino[n++] = t->slots[i].ino;
	return n;
}
