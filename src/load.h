/*
 * load.h - copy a directory tree into a sqlitefs database (mkfs -d)
 *
 * The tree is read with lstat-like calls and never followed through
 * symlinks.  Everything goes through the db_* calls the daemon uses, so
 * the result keeps the invariants of the db layer.
 */
#ifndef LOAD_H
#define LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"

/* What has been loaded so far. */
struct load_stats {
	uint64_t files;	   /* regular files */
	uint64_t dirs;	   /* directories, the top one included */
	uint64_t symlinks; /* symbolic links */
	uint64_t special;  /* fifos, sockets, devices */
	uint64_t links;	   /* names that share an inode already loaded */
	uint64_t bytes;	   /* bytes of regular file data read */
	uint64_t skipped;  /* xattrs not stored (system.*, not ACLs) */
};

/* Called after each loaded name (path as given under the top). */
typedef void (*load_progress_fn)(void *ctx, const struct load_stats *st,
				 const char *path);

struct load_opts {
	load_progress_fn progress; /* may be NULL */
	void *ctx;
	/* entries of directory (skip_dev, skip_ino) whose names begin with
	 * skip_prefix are not loaded: the database being built */
	dev_t skip_dev;
	ino_t skip_ino;
	const char *skip_prefix; /* NULL: skip nothing */
};

/*
 * Loads the tree under top into db, whose root gets the attributes of top
 * itself: regular files (holes and all-zero blocks stay holes),
 * directories, symlinks, hard links (one inode), fifos, sockets, devices,
 * modes, owners, the four times (birth time where the source reports it),
 * and extended attributes (user, trusted, security).  Commits now and then
 * and at the end.  Returns 0, or -errno with "path: reason" in err; then
 * db holds part of the tree and should be thrown away.
 */
int load_tree(struct db *db, const char *top, const struct load_opts *opts,
	      struct load_stats *st, char *err, size_t errsz);

#endif
