/*
 * fs_ops.h - the libfuse low-level handlers of sqlitefs
 *
 * fs_ops.c decodes each request, calls db_*, and sends exactly one reply.
 * It owns the lookup-count table (deferred deletion of unlinked inodes),
 * the kernel-cache policy and the commit timer.
 */
#ifndef FS_OPS_H
#define FS_OPS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include "db.h"

struct fs_config {
	double timeout;		  /* attribute and entry cache, seconds */
	enum db_atime atime;	  /* when reads update atime */
	unsigned commit_interval; /* seconds between batch commits, > 0 */
	int readonly;		  /* mounted read-only */
	int writeback;		  /* let the kernel cache writes */
	int acl;		  /* POSIX ACLs (else as mounted noacl) */
	unsigned spin_us;	  /* poll for the next request this long */
	unsigned mmap_mib;	  /* map this much of the database file */
	const char *mountpoint;	  /* absolute, as mountinfo shows it */
};

struct fs;

/*
 * A filesystem that will serve with cfg, or NULL when out of memory.  It
 * gets its database with fs_attach(), once that is open.
 */
struct fs *fs_new(const struct fs_config *cfg);

/*
 * Gives fs the database it serves and the session it answers on, before
 * the session loop starts, in the thread that will run the loop: it blocks
 * the terminating signals there (see chan.h).
 */
void fs_attach(struct fs *fs, struct db *db, struct fuse_session *se);

/*
 * The session loop (loop.h): serves until the session exits.  A writable
 * database gets a worker thread and a read-only connection of its own for
 * answers from the last commit; without them (out of memory, the
 * connection cannot open) every request is served in this thread.
 * Returns what fuse_session_loop() returns.
 */
int fs_loop(struct fs *fs, struct fuse_session *se);

/*
 * Call after the session loop returned, before unmounting: when a signal
 * stopped the loop while a helper thread waits for the kernel (a seek
 * waiting for pages to be written back), serves the requests it waits
 * for, for 10 s at most.  Without it the helper, and so the unmount,
 * would wait for ever.
 */
void fs_drain(struct fs *fs, struct fuse_session *se);

/* Frees fs (not its db). */
void fs_free(struct fs *fs);

/* The handler table; the session's userdata must be the struct fs. */
const struct fuse_lowlevel_ops *fs_lowlevel_ops(void);

#endif
