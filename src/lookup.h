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

/*
 * What lookup_drop() returns when ino held fewer references than it drops:
 * the kernel and the table disagree.  No count reaches it.
 */
#define LOOKUP_TOO_MANY UINT64_MAX

/*
 * Adds n references to ino.  Returns 0, or -ENOMEM or -EOVERFLOW (the
 * count would reach LOOKUP_TOO_MANY); nothing changed on failure.
 */
int lookup_add(struct lookup *t, uint64_t ino, uint64_t n);

/*
 * Drops n references of ino and returns the count left; 0 means the kernel
 * no longer knows the inode.  If ino held fewer than n (none, if unknown),
 * it is forgotten all the same and LOOKUP_TOO_MANY is returned: the
 * kernel gave back references it was never counted as having, so a count
 * was missed somewhere, and the caller must say so (an inode may have been
 * deleted while the kernel still knew it).
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
