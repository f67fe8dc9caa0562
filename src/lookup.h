/*
 * lookup.h - the kernel's lookup counts, by inode number
 *
 * The kernel holds a reference for each entry a reply hands it (lookup,
 * create, mkdir, mknod, symlink, link, readdirplus) and gives them back
 * with forget.  An inode whose last name is gone must outlive its count:
 * this table says when the count reached zero.  In memory only; it starts
 * empty at each mount.  Not thread-safe: the caller serialises.
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stdint.h>

struct lookup;

/* A new, empty table, or NULL when out of memory. */
struct lookup *lookup_new(void);

void lookup_free(struct lookup *t);

/* Adds n references to ino.  Returns 0 or -ENOMEM (nothing changed). */
int lookup_add(struct lookup *t, uint64_t ino, uint64_t n);

/*
 * Drops n references of ino (fewer if it has fewer) and returns the count
 * left; 0 means the kernel no longer knows the inode.
 */
uint64_t lookup_drop(struct lookup *t, uint64_t ino, uint64_t n);

/* The count of ino, 0 if unknown. */
uint64_t lookup_count(const struct lookup *t, uint64_t ino);

/* How many inodes have a count. */
uint64_t lookup_size(const struct lookup *t);

/*
 * Copies the inodes that have a count into ino[0..max-1], in no order;
 * returns how many it copied.
 */
uint64_t lookup_list(const struct lookup *t, uint64_t *ino, uint64_t max);

#endif
