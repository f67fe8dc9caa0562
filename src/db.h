/*
 * db.h - the filesystem as SQLite tables: every statement, transaction and
 * block computation of sqlitefs
 *
 * The one interface of the db layer, which db.c and db_*.c implement (what
 * each owns: db_impl.h).  It speaks POSIX types only, and depends neither
 * on SQLite's header nor on libfuse.
 *
 * Contract shared by every function below unless it says otherwise:
 *  - returns 0 (or a count) on success and -errno on failure;
 *  - is atomic: on failure nothing in the database changed, on success the
 *    whole operation is in the open batch transaction;
 *  - is safe to call from several threads (one mutex serialises them).
 *
 * Work is batched: operations accumulate in one SQLite transaction (each
 * inside its own savepoint) that db_sync() commits.  The caller commits on
 * fsync, on unmount and on a timer (see docs/design.md, durability contract).
 *
 * Times are struct timespec as in struct stat; inode numbers are ino_t.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

struct db;

/* The format this build reads and writes (PRAGMA user_version). */
#define DB_FORMAT_VERSION 2
/* PRAGMA application_id of a sqlitefs database: "SQFS". */
#define DB_APPLICATION_ID 0x53514653
/* The root directory's inode number. */
#define DB_ROOT_INO 1
/* Longest file name, in bytes. */
#define DB_NAME_MAX 255
/* Largest extended attribute value, in bytes. */
#define DB_XATTR_SIZE_MAX 65536
/* Longest extended attribute name, in bytes (the kernel's XATTR_NAME_MAX). */
#define DB_XATTR_NAME_MAX 255

/* Flags of db_open(). */
#define DB_OPEN_READONLY 1 /* open read-only; writes fail with EROFS */
#define DB_OPEN_CHECK 2	   /* validate the format only: no recovery work */
#define DB_OPEN_TRIGGERS                                                       \
	4 /* let triggers stored in the database run (tests
			    * use them to make an operation fail midway) */

/*
 * Opens the filesystem in path, through db_sqlite_open() (db_sqlite.h: no
 * trigger or view stored in the file runs), and checks it is a sqlitefs
 * database of a format this build knows.  On failure returns -errno and writes a one-line
 * reason (lowercase, no "sqlitefs:" prefix) into err; the file is left as
 * it was.  -ENOENT: missing; -EINVAL: not SQLite, another application's
 * database or a damaged one; -EPROTO: a newer format; -EBUSY: opening
 * read-write, another program holds SQLite's write lock (which the caller
 * would otherwise hold until db_close()).
 */
int db_open(const char *path, int flags, struct db **out, char *err,
	    size_t errsz);

/* Commits what is pending and closes.  Returns 0 or -errno of the commit. */
int db_close(struct db *db);

/*
 * Creates a new, empty filesystem in path (which must not exist) from the
 * built-in copy of schema.sql, with block_size bytes per data block and
 * SQLite pages of page_size bytes.  Returns 0, or -errno saying why the
 * file could not be made (-EEXIST, -EACCES, -EROFS, -ENOSPC...), leaving
 * nothing behind.
 */
int db_mkfs(const char *path, unsigned block_size, unsigned page_size);

/* The version of the SQLite library in use. */
const char *db_sqlite_version(void);

/*
 * Sends the db layer's log lines (errors, each ending in a newline) to fn
 * instead of stderr; NULL restores stderr.  Call it before any other db_*
 * call: the db layer does not depend on libfuse, whose logging the daemon
 * plugs in here.
 */
void db_set_log(void (*fn)(const char *line));

/*
 * Whether another program holds the write lock of the database in path,
 * as a daemon that serves it read-write does all the time (but for the
 * instant between a commit and the next batch: it tries a few times).
 * 0 also when the file cannot be opened for writing.
 */
int db_write_locked(const char *path);

/* Keeps up to mib MiB of database pages in memory (16 by default). */
void db_set_cache(struct db *db, unsigned mib);

/*
 * Reads up to the first mib MiB of the database file through a shared
 * mapping instead of pread(2) (0: none; SQLite's build sets the largest).
 */
void db_set_mmap(struct db *db, unsigned mib);

/* Bytes per data block, as chosen at mkfs. */
unsigned db_block_size(struct db *db);

/* Commits the batch transaction durably (fsync semantics); 0 if none. */
int db_sync(struct db *db);

/* Nonzero if the batch transaction holds uncommitted work. */
int db_dirty(struct db *db);

/*
 * How many batch transactions SQLite rolled back on its own in this
 * mount (a full disk or an I/O error while writing the WAL): the work
 * since the last commit was lost, as in a crash.
 */
uint64_t db_lost(struct db *db);

/*
 * -errno (-ENOSPC, -EIO) if a batch was lost since *seen (a db_lost()
 * value), which becomes the current count; else 0.  For fsync to report
 * a loss to each file open when it happened.
 */
int db_lost_since(struct db *db, uint64_t *seen);

/* A name a lost batch had created, removed or moved, in directory parent. */
struct db_name {
	struct db_name *next;
	ino_t parent;
	char name[];
};

/*
 * The names changed by batches lost since the last call (each batch
 * remembers at most DB_NAMES_MAX), for the caller to make the kernel
 * forget what it caches of them; free them with db_names_free().  *all is
 * set to 0 when some were not remembered: then any cached name may be
 * stale.  NULL when there are none.
 */
struct db_name *db_take_lost_names(struct db *db, int *all);

void db_names_free(struct db_name *names);

/*
 * Calls fn(ctx) each time a batch is lost, with the database lock held:
 * fn must not call db_*.  For telling the kernel to drop its caches.
 */
void db_on_lost(struct db *db, void (*fn)(void *ctx), void *ctx);

/*
 * Answers from the last commit.  A second connection, opened read-only
 * (DB_OPEN_READONLY) on the same file, reads the last commit; it answers
 * a question exactly when the open batch has not changed any inode the
 * answer depends on.  The reader takes db_snap_gen(db) before it reads,
 * then db_snap_clean(db, gen, inodes...) says whether its answer holds:
 * 1 if no commit or loss came between and the batch has not touched any
 * of the inodes (a directory counts as touched when a name in it
 * changed), 0 otherwise (ask db itself).  Neither waits for the lock.
 */
uint64_t db_snap_gen(struct db *db);
int db_snap_clean(struct db *db, uint64_t gen, const uint64_t *ino, size_t n);

/*
 * db_snap_clean() of the data and attributes of ino but its atime, which
 * a read may have changed in the batch: then *atime_set is 1.
 */
int db_snap_clean_data(struct db *db, uint64_t gen, uint64_t ino,
		       int *atime_set);

/* 1 if another thread holds the database lock (a hint: it may be gone). */
int db_busy(struct db *db);

/*
 * Who performs a call: owner of new inodes, and their groups; umask: the
 * caller's, which db_mknod() applies unless the directory has a default
 * ACL (0 where the kernel applied it already).
 */
struct db_cred {
	uid_t uid;
	gid_t gid;
	mode_t umask;
};

/* Fills st for inode ino.  -ENOENT if there is none. */
int db_getattr(struct db *db, ino_t ino, struct stat *st);

/* Finds name in directory parent.  -ENOENT if absent, -ENOTDIR. */
int db_lookup(struct db *db, ino_t parent, const char *name, struct stat *st);

/*
 * Makes a new inode of type and permissions mode named name in parent:
 * a regular file, directory, FIFO, socket or device (rdev), or a symlink
 * to target (mode S_IFLNK, target not NULL).  Owner from cred; in a
 * setgid directory the group and, for directories, the setgid bit come
 * from the parent.  -EEXIST if name exists, -ENAMETOOLONG.
 */
int db_mknod(struct db *db, ino_t parent, const char *name, mode_t mode,
	     dev_t rdev, const char *target, const struct db_cred *cred,
	     struct stat *st);

/* Adds name in newparent for inode ino.  -EPERM for a directory. */
int db_link(struct db *db, ino_t ino, ino_t newparent, const char *newname,
	    struct stat *st);

/*
 * Removes name from parent: a directory if rmdir, else anything but one
 * (-EISDIR / -ENOTDIR / -ENOTEMPTY).  *victim gets the inode whose link
 * count dropped and *gone is set when that count reached zero; its rows
 * stay until db_forget().
 */
int db_unlink(struct db *db, ino_t parent, const char *name, int rmdir,
	      ino_t *victim, int *gone);

/* Flags of db_rename(), with the values of renameat2(2). */
#define DB_RENAME_NOREPLACE (1 << 0)
#define DB_RENAME_EXCHANGE (1 << 1)
#define DB_RENAME_WHITEOUT (1 << 2) /* db_rename_as() only */

/*
 * Renames parent/name to newparent/newname as rename(2) and renameat2(2)
 * do.  When an existing target lost its name, *victim and *gone are set as
 * by db_unlink(); otherwise *victim is 0.
 */
int db_rename(struct db *db, ino_t parent, const char *name, ino_t newparent,
	      const char *newname, unsigned flags, ino_t *victim, int *gone);

/*
 * db_rename() for a caller cred, which also takes DB_RENAME_WHITEOUT (not
 * with DB_RENAME_EXCHANGE): the old name then stays, as a whiteout (a
 * character device 0:0 of mode 0, owned as db_mknod() would own it), in
 * the same transaction.  overlayfs asks this of its upper directory.
 */
int db_rename_as(struct db *db, ino_t parent, const char *name, ino_t newparent,
		 const char *newname, unsigned flags,
		 const struct db_cred *cred, ino_t *victim, int *gone);

/*
 * Deletes the rows of inode ino if no name refers to it any more (nlink 0);
 * called when the kernel forgets it.  0 also when it still has names.
 */
int db_forget(struct db *db, ino_t ino);

/* Deletes every inode with nlink 0.  Returns how many, or -errno. */
int db_purge_orphans(struct db *db);

/* What db_setattr() changes: a mask of DB_SET_*. */
#define DB_SET_MODE (1 << 0)
#define DB_SET_UID (1 << 1)
#define DB_SET_GID (1 << 2)
#define DB_SET_SIZE (1 << 3)
#define DB_SET_ATIME (1 << 4)	  /* to st_atim */
#define DB_SET_MTIME (1 << 5)	  /* to st_mtim */
#define DB_SET_ATIME_NOW (1 << 6) /* to the current time */
#define DB_SET_MTIME_NOW (1 << 7)
#define DB_SET_CTIME (1 << 8) /* to st_ctim */
/* drop set-user-ID, set-group-ID (with group execute) and capabilities */
#define DB_SET_KILL_SUIDGID (1 << 9)
/* with DB_SET_KILL_SUIDGID: set-group-ID without group execute too */
#define DB_SET_KILL_SGID (1 << 10)
/*
 * the times set are the current time (touch): the kernel's writeback
 * cache sends them as values.  An append-only file takes them.
 */
#define DB_SET_TIMES_NOW (1 << 11)

/*
 * Changes the attributes of ino named by mask, taking values from in, and
 * fills out with the result.  ctime becomes now unless set explicitly; a
 * size change also sets mtime.  DB_SET_UID or DB_SET_GID (a chown, even to
 * the same owner) implies DB_SET_KILL_SUIDGID: as ext4 does for a caller
 * with CAP_FSETID or in the file's group, the set-user-ID bit goes, and the
 * set-group-ID bit when group-executable; DB_SET_KILL_SGID takes it from a
 * file that is not, as the kernel does for a caller without either.  The
 * caller picks these by the kernel's rules (fs_setattr()); a directory
 * keeps its set-ID bits, whatever the mask.
 */
int db_setattr(struct db *db, ino_t ino, const struct stat *in, unsigned mask,
	       struct stat *out);

/* Copies the target of symlink ino into buf (NUL-terminated). */
int db_readlink(struct db *db, ino_t ino, char *buf, size_t size);

/* When read updates atime. */
enum db_atime { DB_ATIME_RELATIME, DB_ATIME_NOATIME, DB_ATIME_STRICT };

/* Whether a read of a file with attributes st would update its atime now. */
int db_atime_due(const struct stat *st, enum db_atime policy);

/*
 * Whether a read of ino would update its atime now: db_atime_due(), and
 * never for an inode with the noatime flag (chattr +A).  1, 0, -ENOENT.
 */
int db_read_due(struct db *db, ino_t ino, enum db_atime policy);

/*
 * Reads up to size bytes at off from regular file ino into buf; holes read
 * as zeros.  Returns the byte count (0 at or past EOF) and updates atime
 * as policy says.
 */
ssize_t db_read(struct db *db, ino_t ino, off_t off, size_t size, char *buf,
		enum db_atime policy);

/*
 * Writes size bytes at off into regular file ino, growing it as needed and
 * updating mtime and ctime.  Returns size.  -EFBIG past the largest size.
 * flags holds what the write drops (DB_KILL_*) and, apart from those,
 * DB_WRITE_KEEP_TIMES.  When changed is not NULL, *changed gets a mask of
 * DB_CHANGED_*: what the kernel may cache that the write changed besides
 * size and times.
 */
ssize_t db_write(struct db *db, ino_t ino, off_t off, const char *buf,
		 size_t size, unsigned flags, unsigned *changed);

/*
 * What a change of a file's contents drops (write, fallocate, copy), where
 * the daemon does it instead of the kernel.  The caller picks them by the
 * kernel's rules (file_remove_privs(), as ext4 applies them): always the
 * capabilities; unless the writer holds CAP_FSETID, set-user-ID, and
 * set-group-ID when group-executable or the writer is outside the file's
 * group.
 */
#define DB_KILL_SUIDGID 1 /* set-user-ID, set-group-ID with group exec */
#define DB_KILL_CAPS 2	  /* security.capability */
#define DB_KILL_CAPS_SUIDGID (DB_KILL_SUIDGID | DB_KILL_CAPS)
/* With DB_KILL_SUIDGID: set-group-ID without group execute too. */
#define DB_KILL_SGID 8

/*
 * The mode that a change dropping kill (DB_KILL_*) leaves of mode, the one
 * statement of the rule: a directory keeps its bits (there set-group-ID
 * means "inherit the group"); with DB_KILL_SUIDGID set-user-ID goes, and
 * set-group-ID when group-executable (without group execute it marks
 * mandatory locking) or with DB_KILL_SGID.  Capabilities are not in a
 * mode: DB_KILL_CAPS changes nothing here.
 */
mode_t db_killed_mode(mode_t mode, unsigned kill);

/* A flag of db_write() besides DB_KILL_*: the kernel keeps mtime and ctime
 * (writeback cache), leave them. */
#define DB_WRITE_KEEP_TIMES 4

/* What a write, fallocate or copy changed that the kernel may cache. */
#define DB_CHANGED_BLOCKS 1 /* the bytes stored for the file (st_blocks) */
#define DB_CHANGED_MODE 2   /* set-ID bits dropped */

/* Modes of db_fallocate(), the values of fallocate(2). */
#define DB_FALLOC_KEEP_SIZE 0x01
#define DB_FALLOC_PUNCH_HOLE 0x02
#define DB_FALLOC_ZERO_RANGE 0x10

/*
 * Allocates [off, off+len) as copy-on-write filesystems can: checks that
 * the part within the size fits on the disk (-ENOSPC) and grows the file
 * to off+len unless DB_FALLOC_KEEP_SIZE; nothing is stored until written.
 * DB_FALLOC_PUNCH_HOLE (which needs KEEP_SIZE) turns the range into a
 * hole instead; DB_FALLOC_ZERO_RANGE makes the part within the size a
 * hole and then allocates as mode 0 does.  -EOPNOTSUPP for other modes.
 * kill and changed (may be NULL) as for db_write(); a punch or zeroing
 * that changes nothing (past EOF, keeping the size) drops nothing.
 */
int db_fallocate(struct db *db, ino_t ino, int mode, off_t off, off_t len,
		 unsigned kill, unsigned *changed);

/*
 * SEEK_DATA / SEEK_HOLE from off in file ino, at block granularity.
 * Returns the new offset or -ENXIO at or past EOF.
 */
off_t db_lseek(struct db *db, ino_t ino, off_t off, int whence);

/*
 * Copies len bytes from ino_in at off_in to ino_out at off_out (the range
 * may stop at EOF of ino_in).  Returns the number of bytes copied.  kill
 * and changed (may be NULL) as for db_write(), for ino_out.
 */
ssize_t db_copy_range(struct db *db, ino_t ino_in, off_t off_in, ino_t ino_out,
		      off_t off_out, size_t len, unsigned kill,
		      unsigned *changed);

/*
 * One directory entry handed to a db_readdir() callback: its name, inode
 * attributes (all of them), and the offset at which to resume after it.
 * The callback returns nonzero to stop (its buffer is full).
 */
typedef int (*db_dirent_fn)(void *ctx, const char *name, const struct stat *st,
			    off_t next);

/*
 * Calls fn for each entry of directory ino after offset off, "." and ".."
 * included (offsets 1 and 2; names start at 3), in a stable order.
 */
int db_readdir(struct db *db, ino_t ino, off_t off, db_dirent_fn fn, void *ctx);

/*
 * Capacity: space used by the database (its free pages count as free)
 * and free space of the filesystem holding it; inode counts.
 */
int db_statfs(struct db *db, struct statvfs *sv);

/* Flags of db_setxattr(), the values of setxattr(2). */
#define DB_XATTR_CREATE 0x1
#define DB_XATTR_REPLACE 0x2
/*
 * Setting an access ACL drops the set-group-ID bit: the caller is outside
 * the file's group and lacks CAP_FSETID (the kernel's rule, decided by
 * the caller of db_setxattr()).
 */
#define DB_XATTR_ACL_KILL_SGID 0x100

/*
 * Sets xattr name of ino.  -EEXIST / -ENODATA per flags, -EOPNOTSUPP.
 * The POSIX ACLs (acl.h) are checked (-EINVAL, -E2BIG) and kept with the
 * mode as the kernel keeps them: an access ACL sets the permission bits
 * it stands for, and is stored only if it says more than they do; a
 * default ACL only on a directory (-EACCES).  CREATE and REPLACE do not
 * apply to them.
 */
int db_setxattr(struct db *db, ino_t ino, const char *name, const void *value,
		size_t size, int flags);

/*
 * Whether the POSIX ACL xattrs are served (1, the default) or refused
 * with -EOPNOTSUPP and left out of lists as on a filesystem mounted
 * noacl (0).  Set before the first call that may change an inode.
 */
void db_set_acl(struct db *db, int on);

/*
 * Copies the value of xattr name of ino into buf and returns its length;
 * with size 0 only returns the length.  -ENODATA, -ERANGE.  While no
 * xattr name of the database starts with "security.", a security.* name
 * is answered -ENODATA without the lock or SQLite, and without looking
 * whether ino exists (the kernel asks only of inodes it holds).
 */
ssize_t db_getxattr(struct db *db, ino_t ino, const char *name, void *buf,
		    size_t size);

/* The NUL-separated list of names, as db_getxattr() returns a value. */
ssize_t db_listxattr(struct db *db, ino_t ino, char *buf, size_t size);

/* Removes xattr name of ino.  -ENODATA if absent. */
int db_removexattr(struct db *db, ino_t ino, const char *name);

/*
 * Whether name may be the name of an xattr: in the user., trusted. or
 * security. namespace with something after the prefix, or one of the two
 * POSIX ACLs (system.posix_acl_access, system.posix_acl_default), and at
 * most DB_XATTR_NAME_MAX bytes.  0, or -ERANGE (too long), -EOPNOTSUPP
 * (another name of system.* or another namespace), -EINVAL (a bare
 * prefix).  The rule of db_setxattr() and of fsck.
 */
int db_check_xattr_name(const char *name);

/*
 * Replaces the views of the database (src/views.sql) when they are not
 * those of this build, committing what is pending first.  Views are not
 * part of the format: this lets databases made by an older mkfs show the
 * current ones.  Returns 1 if it replaced them, 0 if they were current or
 * the database is read-only, or -errno.
 */
int db_views_refresh(struct db *db);

/*
 * The chattr(1) flags sqlitefs keeps (inode.flags), with the values of the
 * kernel's FS_*_FL.  Immutable and append-only are enforced by the db layer
 * (FUSE never sets the kernel's S_IMMUTABLE or S_APPEND), by the VFS's
 * rules as ext4 applies them, with -EPERM also for root:
 *  - immutable: no write, truncate, fallocate, copy into it, setattr,
 *    xattr change, new name (link) or removed or moved name, no change of
 *    its other flags while it stays immutable; a directory gets no entry
 *    added, removed or moved;
 *  - append-only: writes only at or past the size; no truncate, no
 *    fallocate but plain or keep-size, no setattr of mode (set-ID bits
 *    dropped by chown included), owner or times but to now (touch), no
 *    xattr change, no link, removal or move; in a directory entries may be
 *    created but not removed, moved or replaced.
 * Noatime: reads leave atime alone.  Nodump: kept and shown only.
 */
#define DB_FL_IMMUTABLE 0x10
#define DB_FL_APPEND 0x20
#define DB_FL_NODUMP 0x40
#define DB_FL_NOATIME 0x80
#define DB_FL_KNOWN                                                            \
	(DB_FL_IMMUTABLE | DB_FL_APPEND | DB_FL_NODUMP | DB_FL_NOATIME)
/* What a new inode takes from its directory, as on ext4. */
#define DB_FL_INHERITED (DB_FL_NODUMP | DB_FL_NOATIME)

/* Reads the flags (DB_FL_*) of ino into *flags.  -ENOENT. */
int db_get_flags(struct db *db, ino_t ino, unsigned *flags);

/* What the caller of db_set_flags() may do. */
#define DB_FLAGS_FOWNER 1 /* change the flags of any inode, not only its own */
#define DB_FLAGS_IMMUTABLE 2 /* change DB_FL_IMMUTABLE and DB_FL_APPEND */

/*
 * Sets the flags of ino to flags for a caller uid that may do what may
 * (DB_FLAGS_*) says, setting ctime and noting an attribute change in the
 * journal (when they change).  -EOPNOTSUPP for a bit outside DB_FL_KNOWN;
 * -EPERM when uid does not own ino (without DB_FLAGS_FOWNER), or for a
 * change of immutable or append-only without DB_FLAGS_IMMUTABLE.
 */
int db_set_flags(struct db *db, ino_t ino, unsigned flags, uid_t uid,
		 unsigned may);

/* Sets the birth time of ino (which no other call sets).  -ENOENT. */
int db_set_crtime(struct db *db, ino_t ino, const struct timespec *crtime);

/* --- the change journal and the search indexes (db_journal.c) ---------- */

/*
 * Changes a setting named by the keys of SQLITEFS_IOC_SET (journal.h), in
 * the batch (committed with it):
 *   journal             "on" or "off"; off drops the retained events and
 *                       moves journal_start past the newest id, so every
 *                       cursor is answered "history incomplete";
 *   journal_max_events  a count, 0 for no limit;
 *   journal_max_age     seconds, 0 for no limit;
 *   index_add           makes a search index over the existing rows:
 *                       "name" (entry names), "size", "mtime", or
 *                       "xattr:NAME" (the values of extended attribute
 *                       NAME), SQL index search_name, search_size,
 *                       search_mtime, "search_xattr:NAME";
 *   index_drop          drops one.
 * -EINVAL: an unknown key or a bad value; -EEXIST: the index exists;
 * -ENOENT: it does not; -ENOTSUP: a database without a journal (format 1,
 * opened read-only).
 */
int db_set(struct db *db, const char *key, const char *value);

/* The database file, as given to db_open(): for messages. */
const char *db_filename(struct db *db);

#endif
