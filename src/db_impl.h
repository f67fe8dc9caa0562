/*
 * db_impl.h - what the files of the db layer share: struct db, the
 * statement ids, the inode row and the helpers each file lends the others
 *
 * The db layer implements db.h, split by what each file owns:
 *   db.c        the connection, the statement table, the batch transaction
 *               and its savepoints, commits and the accounting of lost
 *               batches, SQLite result codes to errno;
 *   db_open.c   opening (hardening, pragmas, format checks), mkfs, views;
 *   db_inode.c  inode rows: attributes, the set-ID rules, times, forget,
 *               orphans, statfs;
 *   db_dir.c    names: lookup, mknod, link, unlink, rename, readdir;
 *   db_data.c   file data: blocks and blobs, read, write, truncate,
 *               fallocate, lseek, copy_file_range;
 *   db_xattr.c  extended attributes;
 *   db_journal.c the change journal, db_set(): settings, search indexes.
 * Only these files include this header and <sqlite3.h> (tests/lint.sh).
 *
 * Lock rules: struct db has one mutex, taken by every public function for
 * its whole duration, so one SQLite connection serves all threads.  A
 * public function that changes anything takes it with op_begin() (or
 * op_begin_no_savepoint()) and gives it back with op_end(); one that only
 * reads locks db->lock itself.  Every helper declared below expects the
 * lock held.  One exception: db_getxattr() of a security.* name reads
 * db->has_security, an atomic, and answers -ENODATA without the lock when
 * it is 0; so does one of an ACL name while db->has_acl is 0.
 *
 * Statements: stmt(db, S_*) hands out a statement prepared at open; every
 * use ends with a reset (run(), done()), numbered parameters only.
 */
#ifndef DB_IMPL_H
#define DB_IMPL_H

#include "db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>

#include <sqlite3.h>

/*
 * The statements of stmt_sql[] (db.c), by what uses them: the batch, inode
 * rows, names, blocks, xattrs, settings and capacity.
 */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_INODE_GET,
	S_INODE_PUT,
	S_INODE_NEW,
	S_INODE_DELETE,
	S_ORPHANS_DELETE,
	S_INODE_COUNT,
	S_TARGET_GET,
	S_DENTRY_GET,
	S_DENTRY_NEW,
	S_DENTRY_DELETE,
	S_DENTRY_MOVE,
	S_DENTRY_SETINO,
	S_DIR_HAS_ENTRY,
	S_PARENT_OF,
	S_READDIR,
	S_BLOCK_GET,
	S_BLOCK_LEN,
	S_BLOCK_PUT,
	S_BLOCK_ZERO,
	S_BLOCK_DELETE,
	S_BLOCKS_RANGE,
	S_BLOCKS_LEN_RANGE,
	S_BLOCKS_SUM,
	S_BLOCKS_DELETE,
	S_NEXT_BLOCK,
	S_XATTR_GET,
	S_XATTR_NEW,
	S_XATTR_UPDATE,
	S_XATTR_UPSERT,
	S_XATTR_LIST,
	S_XATTR_DELETE,
	S_HAS_CAPS,
	S_HAS_SECURITY,
	S_HAS_ACL,
	S_SETTING_GET,
	S_MAX_INO,
	S_NEXT_INO_GET,
	S_NEXT_INO_PUT,
	S_PAGE_COUNT,
	S_FREELIST_COUNT,
	S_PAGE_SIZE,
	S_CRTIME_SET,
	S_COUNT
};

struct lookup;

/* Inode numbers a commit reserves ahead (struct db's ino_ceiling). */
#define DB_INO_RESERVE 65536

struct db {
	pthread_mutex_t lock; /* serialises every use of what follows */
	sqlite3 *conn;
	sqlite3_stmt *stmt[S_COUNT];
	char *path;	     /* the database file, for messages and statfs */
	unsigned block_size; /* bytes per data block */
	int readonly;	     /* opened with DB_OPEN_READONLY */
	int in_tx;	     /* the batch transaction is open */
	int dirty;	     /* ... and holds uncommitted changes */
	int64_t pending;     /* bytes of blocks stored in the batch */
	int64_t next_ino;    /* the next inode number: never handed out twice in
			   * one mount, even when SQLite rolls a batch back
			   * (the kernel may still know the old inode);
			   * INT64_MAX when none is left; nor in two, nor
			   * after a crash: numbers are handed out only
			   * below ino_ceiling, so that a file handle of
			   * a deleted inode never names another */
	int64_t ino_ceiling; /* settings next_ino: committed, every number
			      * below it may have been handed out; raised
			      * DB_INO_RESERVE ahead by commits */
	char *scratch;	     /* one block, for read-modify-write */
	int has_caps;	     /* some inode may have security.capability */
	int no_savepoint;    /* the operation runs without one (see
			      * op_begin_no_savepoint()) */
	sqlite3_blob *blob;  /* a data row's bytes, open within one call */
	int blob_write;	     /* ... for writing */
	/* batches SQLite rolled back on its own; db_lost() reads it without
	 * the lock */
	_Atomic uint64_t batches_lost;
	int loss_errno;	       /* -errno of the last such loss */
	struct db_name *names; /* changed by the batch (DB_NAMES_MAX) */
	unsigned nnames;
	int names_all;		    /* every change is in names */
	struct db_name *lost_names; /* ... of lost batches, not yet taken */
	int lost_names_all;
	void (*on_lost)(void *ctx);
	void *on_lost_ctx;
	struct jr *jr; /* the change journal (db_journal.c); NULL without */
	/* some xattr name may start with "security.": raised, never
	 * lowered, while open (db_xattr.c); read without the lock */
	atomic_int has_security;
	/* the same for system.posix_acl_* (db_xattr.c): 0 while no inode has
	 * an ACL, so that getxattr of one and db_mknod() ask no SQL */
	atomic_int has_acl;
	int acl_off; /* ACLs refused, as mounted noacl (db_set_acl()) */
	/*
	 * What a reader on a connection of its own may answer (db_snap_*):
	 * the inodes the batch changed (their rows, names in them, data,
	 * xattrs) since the last commit, all of them when touched_all,
	 * those whose atime alone a read changed, and the generation,
	 * raised at each commit or loss, when the sets empty.  Guarded by
	 * snap_lock, taken inside lock.
	 */
	pthread_mutex_t snap_lock;
	struct lookup *touched;
	struct lookup *atimes; /* ... whose atime alone changed (a read) */
	int touched_all;
	uint64_t snap_gen;
};

/* The most inodes db_snap_clean() tells apart in one batch. */
#define DB_TOUCHED_MAX 65536

/* The most names a batch remembers for db_take_lost_names(). */
#define DB_NAMES_MAX 65536

/* An inode row. */
struct inode {
	int64_t ino;
	mode_t mode;
	int64_t nlink;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	int64_t size;
	int64_t stored; /* bytes in data rows */
	int64_t atime, mtime, ctime;
	unsigned flags; /* DB_FL_* (chattr) */
};

/* --- db_xattr.c: POSIX ACLs --------------------------------------------- */

struct acl;

/*
 * Loads the default ACL of directory dir into acl: 1 if it has one, 0 if
 * not (or ACLs are off), -EIO (logged) if its row is not a valid ACL.
 */
int acl_default_get(struct db *db, int64_t dir, struct acl *acl);

/*
 * Stores the ACLs of new inode in, made in a directory of default ACL
 * dflt: dflt again for a directory, and access (acl_create()'s result)
 * unless NULL (the mode says it all).
 */
int acl_new_inode(struct db *db, const struct inode *in, const struct acl *dflt,
		  const struct acl *access);

/* After a chmod of in: its access ACL, if any, follows in->mode. */
int acl_chmod_locked(struct db *db, const struct inode *in);

/* --- db.c: errors, statements, operations, batches --------------------- */

/*
 * The one place where SQLite result codes become errno values.  Unexpected
 * codes are logged with SQLite's message and become EIO.
 */
int db_errno(struct db *db, int rc);

/* Logs an error line (ending in a newline) through db_set_log()'s hook. */
void db_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Statement id, ready to bind: every use ends with a reset. */
static inline sqlite3_stmt *stmt(struct db *db, enum stmt_id id)
{
	return db->stmt[id];
}

/* Steps s to its end, resets it, returns 0 or -errno. */
static inline int run(struct db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_errno(db, rc);
}

/* Resets s after the caller read what it wanted; maps the last step rc. */
static inline int done(struct db *db, sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return db_errno(db, rc);
}

static inline int bind_name(sqlite3_stmt *s, int i, const char *name)
{
	return sqlite3_bind_text(s, i, name, -1, SQLITE_STATIC);
}

/* Binds a blob, as an empty blob (not NULL) when size is 0. */
static inline int bind_bytes(sqlite3_stmt *s, int i, const void *p, size_t size)
{
	if (size == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, p, size, SQLITE_STATIC);
}

/*
 * Notes that the batch changed ino: its row, its data or xattrs, or (for
 * a directory) the names in it.  Before the operation's reply.
 */
void touched(struct db *db, int64_t ino);

/* Notes that a read changed the atime of ino, and nothing else. */
void touched_atime(struct db *db, int64_t ino);

/* Runs a one-value query (a count or pragma); -errno or the value. */
int64_t query_int(struct db *db, enum stmt_id id);

/* Prepares every statement of the table: SQLITE_OK or SQLite's code. */
int stmts_prepare(struct db *db);

/*
 * Takes the lock for an operation that changes the database with a single
 * statement, and so runs without a savepoint (see db.c).  -EROFS on a
 * read-only database, with the lock not taken.
 */
int op_begin_no_savepoint(struct db *db);

/* Takes the savepoint op_begin_no_savepoint() left out, before any change. */
int op_savepoint(struct db *db);

/* Takes the lock and opens the savepoint of one modifying operation. */
int op_begin(struct db *db);

/*
 * Ends the operation op_begin() started: keeps its changes if rc >= 0,
 * rolls them back otherwise, and gives the lock back.  Returns rc, or the
 * error that undid the operation after all.
 */
int64_t op_end(struct db *db, int64_t rc);

/* Remembers that the batch changed name in parent (db_take_lost_names()). */
void name_changed(struct db *db, int64_t parent, const char *name);

/* --- db_inode.c: inode rows, attributes, times -------------------------- */

/* Now, for a timestamp, in nanoseconds (the kernel's coarse clock). */
int64_t now_ns(void);

/* Reads the inode columns of row s from column c on (INODE_COLS order). */
void inode_from_row(sqlite3_stmt *s, int c, struct inode *in);

void inode_to_stat(struct db *db, const struct inode *in, struct stat *st);

/* Loads inode ino; -ENOENT if absent, -EIO if its row is out of range. */
int inode_get(struct db *db, int64_t ino, struct inode *in);

/* Stores every mutable field of in. */
int inode_put(struct db *db, const struct inode *in);

/* inode_put() of an inode whose atime alone changed (touched_atime()). */
int inode_put_atime(struct db *db, const struct inode *in);

/*
 * Stores new inode in (its times all in->ctime) under the next inode
 * number, which in->ino gets, with symlink target unless NULL.
 */
int inode_new(struct db *db, struct inode *in, const char *target);

/* Adds delta to the link count of ino and sets its ctime (and mtime). */
int inode_touch(struct db *db, int64_t ino, int delta, int mtime, int64_t now);

/* Loads directory ino; -ENOTDIR if it is something else. */
int dir_get(struct db *db, int64_t ino, struct inode *in);

/* Whether in is immutable or append-only: no name of it may go. */
static inline int inode_pinned(const struct inode *in)
{
	return (in->flags & (DB_FL_IMMUTABLE | DB_FL_APPEND)) != 0;
}

/*
 * -EPERM if directory dir may not lose a name (immutable or append-only),
 * or, with adding, gain one (immutable); else 0.
 */
int dir_check_change(const struct inode *dir, int adding);

/*
 * Drops the set-ID bits and capabilities of in that kill (DB_KILL_*) names;
 * 1 if the mode changed (in is not stored), 0 if not, or -errno.
 */
int kill_priv(struct db *db, struct inode *in, unsigned kill);

/* Whether a read at now should move atime, by policy. */
int atime_due(int64_t atime, int64_t mtime, int64_t ctime, enum db_atime policy,
	      int64_t now);

/* The atime a read at now stamps on in. */
int64_t access_time(const struct inode *in, int64_t now);

/* --- db_data.c: blocks ---------------------------------------------------- */

/* Cuts the data of in at newsize (the size itself is the caller's). */
int data_truncate(struct db *db, struct inode *in, int64_t newsize);

/* --- db_journal.c: the change journal ------------------------------------- */

/*
 * What an operation does to inode ino (of type mode), noted while it runs
 * and kept if it succeeds (op_end()).  Each returns 0 or -errno (no
 * memory, or an error reading a path), and does nothing without a journal
 * or with it off.  An operation without a savepoint notes before it
 * changes anything.
 */
int jr_created(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	       const char *name);
int jr_linked(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	      const char *name);
/* Call before the name is gone from parent (its path is looked up). */
int jr_removed(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	       const char *name);
int jr_renamed(struct db *db, int64_t ino, mode_t mode, int64_t old_parent,
	       const char *old_name, int64_t parent, const char *name);
/* reasons: JR_DATA (bytes [start, end)), JR_ATTRIB, JR_XATTR. */
int jr_changed(struct db *db, int64_t ino, mode_t mode, unsigned reasons,
	       int64_t start, int64_t end);

/* Whether the batch has noted any of reasons for ino. */
int jr_has(struct db *db, int64_t ino, unsigned reasons);

/* Keeps (keep) or drops the notes of the operation ending. */
void jr_op_end(struct db *db, int keep);

/* Writes the batch's events and trims, before COMMIT: 0 or -errno. */
int jr_flush(struct db *db);

/* jr_flush() when the batch holds many events: memory stays bounded. */
int jr_flush_if_full(struct db *db);

/* The batch committed: its ids are taken for good. */
void jr_committed(struct db *db);

/* The batch is lost: so are its events and ids. */
void jr_batch_lost(struct db *db);

/* Reads the journal's settings (a database of format 2, read-write). */
int jr_open(struct db *db, char *err, size_t errsz);

void jr_close(struct db *db);

/* Runs upgrade.sql: format 1 to 2, in the caller's transaction. */
int jr_upgrade(sqlite3 *conn);

#endif
