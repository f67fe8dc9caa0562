/*
 * db.c - the filesystem as SQLite tables
 *
 * Every SQL statement of sqlitefs lives in stmt_sql[] below, prepared once
 * at open and reset after each use.  The layout is src/schema.sql.
 *
 * Lock rules: struct db has one mutex, taken by every public function for
 * its whole duration, so one SQLite connection serves all threads.
 *
 * Transactions: modifications accumulate in one batch transaction (BEGIN
 * IMMEDIATE ... COMMIT, committed by db_sync()).  Each public function that
 * changes anything runs inside SAVEPOINT op: on error it rolls back to the
 * savepoint, so a failed operation leaves the batch as it was.  Reads go
 * through the same connection and so see the uncommitted batch.
 *
 * Blocks: file data is stored in rows of block_size bytes keyed by (inode,
 * block number).  A missing row is a hole; a row may be shorter than a
 * block (the rest reads as zeros).  No row starts at or past the size, and
 * inode.stored is the sum of the lengths of the inode's rows.
 */
#include "db.h"
#include "db_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse_log.h>
#include <sqlite3.h>

#include "schema.h"
#include "views.h"

/* Largest file size: the kernel's MAX_LFS_FILESIZE. */
#define DB_MAX_FILE_SIZE ((int64_t) INT64_MAX)

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
	S_SETTING_GET,
	S_MAX_INO,
	S_PAGE_COUNT,
	S_FREELIST_COUNT,
	S_PAGE_SIZE,
	S_CRTIME_SET,
	S_COUNT
};

#define INODE_COLS                                                             \
	"ino, mode, nlink, uid, gid, rdev, size, stored, atime, mtime, ctime"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
	[S_INODE_GET] = "SELECT " INODE_COLS " FROM inode WHERE ino = ?1",
	[S_INODE_PUT] = "UPDATE inode SET mode = ?2, nlink = ?3, uid = ?4, "
			"gid = ?5, rdev = ?6, size = ?7, stored = ?8, "
			"atime = ?9, mtime = ?10, ctime = ?11 WHERE ino = ?1",
	[S_INODE_NEW] =
		"INSERT INTO inode (mode, nlink, uid, gid, rdev, size, "
		"atime, mtime, ctime, crtime, target, ino) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?7, ?8, ?9)",
	[S_INODE_DELETE] = "DELETE FROM inode WHERE ino = ?1 AND nlink = 0",
	[S_ORPHANS_DELETE] = "DELETE FROM inode WHERE nlink = 0",
	[S_INODE_COUNT] = "SELECT count(*) FROM inode",
	[S_TARGET_GET] = "SELECT target FROM inode WHERE ino = ?1",
	[S_DENTRY_GET] = "SELECT id, ino FROM dentry "
			 "WHERE parent = ?1 AND name = ?2",
	[S_DENTRY_NEW] = "INSERT INTO dentry (parent, name, ino) "
			 "VALUES (?1, ?2, ?3)",
	[S_DENTRY_DELETE] = "DELETE FROM dentry WHERE id = ?1",
	[S_DENTRY_MOVE] = "UPDATE dentry SET parent = ?2, name = ?3 "
			  "WHERE id = ?1",
	[S_DENTRY_SETINO] = "UPDATE dentry SET ino = ?2 WHERE id = ?1",
	[S_DIR_HAS_ENTRY] = "SELECT 1 FROM dentry WHERE parent = ?1 LIMIT 1",
	[S_PARENT_OF] = "SELECT parent FROM dentry WHERE ino = ?1 LIMIT 1",
	[S_READDIR] = "SELECT d.id, d.name, i.ino, i.mode, i.nlink, i.uid, "
		      "i.gid, i.rdev, i.size, i.stored, i.atime, i.mtime, "
		      "i.ctime FROM dentry d JOIN inode i ON i.ino = d.ino "
		      "WHERE d.parent = ?1 AND d.id > ?2 ORDER BY d.id",
	[S_BLOCK_GET] = "SELECT bytes FROM data WHERE ino = ?1 AND block = ?2",
	[S_BLOCK_LEN] = "SELECT rowid, length(bytes) FROM data "
			"WHERE ino = ?1 AND block = ?2",
	[S_BLOCK_PUT] = "INSERT INTO data (ino, block, bytes) "
			"VALUES (?1, ?2, ?3) ON CONFLICT (ino, block) "
			"DO UPDATE SET bytes = excluded.bytes",
	[S_BLOCK_ZERO] =
		"INSERT INTO data (ino, block, bytes) "
		"VALUES (?1, ?2, zeroblob(?3)) ON CONFLICT (ino, block) "
		"DO UPDATE SET bytes = excluded.bytes",
	[S_BLOCK_DELETE] = "DELETE FROM data WHERE ino = ?1 AND block = ?2",
	[S_BLOCKS_RANGE] = "SELECT block, rowid, length(bytes) FROM data "
			   "WHERE ino = ?1 AND block >= ?2 AND block < ?3 "
			   "ORDER BY block",
	[S_BLOCKS_LEN_RANGE] = "SELECT block, length(bytes) FROM data "
			       "WHERE ino = ?1 AND block >= ?2 AND block < ?3 "
			       "ORDER BY block",
	[S_BLOCKS_SUM] = "SELECT total(length(bytes)) FROM data "
			 "WHERE ino = ?1 AND block >= ?2 AND block < ?3",
	[S_BLOCKS_DELETE] = "DELETE FROM data "
			    "WHERE ino = ?1 AND block >= ?2 AND block < ?3",
	[S_NEXT_BLOCK] = "SELECT block FROM data WHERE ino = ?1 "
			 "AND block >= ?2 ORDER BY block LIMIT 1",
	[S_XATTR_GET] = "SELECT value FROM xattr WHERE ino = ?1 AND name = ?2",
	[S_XATTR_NEW] = "INSERT INTO xattr (ino, name, value) "
			"VALUES (?1, ?2, ?3)",
	[S_XATTR_UPDATE] = "UPDATE xattr SET value = ?3 "
			   "WHERE ino = ?1 AND name = ?2",
	[S_XATTR_UPSERT] = "INSERT INTO xattr (ino, name, value) "
			   "VALUES (?1, ?2, ?3) ON CONFLICT (ino, name) "
			   "DO UPDATE SET value = excluded.value",
	[S_XATTR_LIST] = "SELECT name FROM xattr WHERE ino = ?1 ORDER BY name",
	[S_XATTR_DELETE] = "DELETE FROM xattr WHERE ino = ?1 AND name = ?2",
	[S_HAS_CAPS] = "SELECT EXISTS (SELECT 1 FROM xattr "
		       "WHERE name = 'security.capability')",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_MAX_INO] = "SELECT max(ino) FROM inode",
	[S_PAGE_COUNT] = "PRAGMA page_count",
	[S_FREELIST_COUNT] = "PRAGMA freelist_count",
	[S_PAGE_SIZE] = "PRAGMA page_size",
	[S_CRTIME_SET] = "UPDATE inode SET crtime = ?2 WHERE ino = ?1",
};

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
			   * INT64_MAX when none is left */
	char *scratch;	     /* one block, for read-modify-write */
	int has_caps;	     /* some inode may have security.capability */
	int one;	     /* the operation runs without a savepoint */
	sqlite3_blob *blob;  /* a data row's bytes, open within one call */
	int blob_write;	     /* ... for writing */
	uint64_t lost;	     /* batches SQLite rolled back on its own */
	int lost_errno;	     /* -errno of the last such loss */
	struct db_name *names; /* changed by the batch (DB_NAMES_MAX) */
	unsigned nnames;
	int names_all;		    /* every change is in names */
	struct db_name *lost_names; /* ... of lost batches, not yet taken */
	int lost_names_all;
	void (*on_lost)(void *ctx);
	void *on_lost_ctx;
};

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
};

/*
 * The one place where SQLite result codes become errno values.  Unexpected
 * codes are logged with SQLite's message and become EIO.
 */
static int db_errno(struct db *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		break;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_TOOBIG:
		return -EFBIG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: database corrupt: %s\n",
			 db->path, sqlite3_errmsg(db->conn));
		return -EIO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: database busy: %s\n",
			 db->path, sqlite3_errmsg(db->conn));
		return -EBUSY;
	}
	fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: sqlite error %d: %s\n", db->path,
		 rc, sqlite3_errmsg(db->conn));
	return -EIO;
}

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Now, for a timestamp: the kernel's coarse clock (a tick, 1 to 10 ms),
 * the one it stamps the writes of its writeback cache with.  A finer one
 * would date a file's creation here after the kernel's mtime of a write
 * that followed it, and relatime would take the first read for no
 * access since the last change.
 */
static int64_t now_ns(void)
{
	return clock_ns(CLOCK_REALTIME_COARSE);
}

static struct timespec ns_to_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

static int64_t ts_to_ns(const struct timespec *ts)
{
	return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Statement id, ready to bind: every use ends with a reset. */
static sqlite3_stmt *stmt(struct db *db, enum stmt_id id)
{
	return db->stmt[id];
}

/* Steps s to its end, resets it, returns 0 or -errno. */
static int run(struct db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_errno(db, rc);
}

/* Resets s after the caller read what it wanted; maps the last step rc. */
static int done(struct db *db, sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return db_errno(db, rc);
}

static int bind_name(sqlite3_stmt *s, int i, const char *name)
{
	return sqlite3_bind_text(s, i, name, -1, SQLITE_STATIC);
}

/* Binds a blob, as an empty blob (not NULL) when size is 0. */
static int bind_bytes(sqlite3_stmt *s, int i, const void *p, size_t size)
{
	if (size == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, p, size, SQLITE_STATIC);
}

/* Runs a one-value query (a count or pragma); -errno or the value. */
static int64_t query_int(struct db *db, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(db, id);
	int rc = sqlite3_step(s);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;

	rc = done(db, s, rc);
	return rc < 0 ? rc : v;
}

/* --- transactions ------------------------------------------------------ */

/*
 * A batch is committed early once it has stored this many bytes of file
 * data, which bounds the WAL under sustained writes (a checkpoint follows
 * each commit that leaves more than wal_autocheckpoint pages in the WAL).
 */
#define DB_BATCH_BYTES (64 << 20)

static int commit_locked(struct db *db, int again);

/*
 * op_begin() for an operation that changes the database with a single
 * statement: SQLite undoes a failed statement by itself, so it needs no
 * savepoint, whose copies of every page it touches cost about a third of
 * the time of an untar.  op_savepoint() takes one after all if the
 * operation turns out to need more statements.
 */
static int op_begin_one(struct db *db)
{
	int rc;

	pthread_mutex_lock(&db->lock);
	if (db->readonly) {
		pthread_mutex_unlock(&db->lock);
		return -EROFS;
	}
	if (!db->in_tx) {
		rc = run(db, stmt(db, S_BEGIN));
		if (rc < 0) {
			pthread_mutex_unlock(&db->lock);
			return rc;
		}
		db->in_tx = 1;
	}
	db->one = 1;
	return 0;
}

/* Takes the savepoint op_begin_one() left out, before any change. */
static int op_savepoint(struct db *db)
{
	int rc = 0;

	if (db->one) {
		rc = run(db, stmt(db, S_SAVEPOINT));
		if (rc == 0)
			db->one = 0;
	}
	return rc;
}

/*
 * The batch transaction is gone: SQLite rolled it back itself, as it does
 * when a write to the WAL fails (SQLITE_FULL, SQLITE_IOERR: the pager must
 * then drop every uncommitted page).  The operations since the last
 * commit are lost, as in a crash, but callers were told they succeeded
 * and the kernel may still cache what they did.  So the loss is counted:
 * fsync on every file open at the time fails with the error (see
 * db_lost_since()), and fs_ops.c stops keeping page caches across opens.
 * A new batch begins (and takes the write lock again) at once or with the
 * next operation.  Caller holds the lock.
 */
static void batch_lost(struct db *db, int err)
{
	fuse_log(FUSE_LOG_ERR,
		 "sqlitefs: %s: transaction rolled back after an error (%s): "
		 "changes since the last commit are lost\n",
		 db->path, strerror(err < 0 ? -err : EIO));
	db->in_tx = db->dirty = 0;
	db->pending = 0;
	db->lost++;
	db->lost_errno = err < 0 ? err : -EIO;
	while (db->names) {
		struct db_name *n = db->names;

		db->names = n->next;
		n->next = db->lost_names;
		db->lost_names = n;
	}
	db->lost_names_all &= db->names_all;
	db->nnames = 0;
	db->names_all = 1;
	if (db->on_lost)
		db->on_lost(db->on_lost_ctx);
}

/*
 * Remembers that the batch changed name in parent; the caller holds the
 * lock.  Without memory or past DB_NAMES_MAX, remembers that it forgot.
 */
static void name_changed(struct db *db, int64_t parent, const char *name)
{
	size_t len = strlen(name) + 1;
	struct db_name *n = NULL;

	if (db->nnames < DB_NAMES_MAX)
		n = malloc(sizeof(*n) + len);
	if (!n) {
		db->names_all = 0;
		return;
	}
	n->parent = (ino_t) parent;
	memcpy(n->name, name, len);
	n->next = db->names;
	db->names = n;
	db->nnames++;
}

void db_names_free(struct db_name *names)
{
	while (names) {
		struct db_name *next = names->next;

		free(names);
		names = next;
	}
}

/* The batch is committed: what it changed can no longer be lost. */
static void names_committed(struct db *db)
{
	db_names_free(db->names);
	db->names = NULL;
	db->nnames = 0;
	db->names_all = 1;
}

/* Takes the lock and opens the savepoint of one modifying operation. */
static int op_begin(struct db *db)
{
	int rc = op_begin_one(db);

	if (rc == 0)
		rc = op_savepoint(db);
	if (rc < 0 && db->one) {
		db->one = 0;
		pthread_mutex_unlock(&db->lock);
	}
	return rc;
}

/*
 * Ends the operation op_begin() started: keeps its changes if rc >= 0,
 * rolls them back otherwise.  Returns rc, or the error of the release.
 */
static int64_t op_end(struct db *db, int64_t rc)
{
	int r = 0;

	if (sqlite3_get_autocommit(db->conn)) { /* I/O error, disk full */
		db->one = 0;
		rc = rc < 0 ? rc : -EIO; /* even this operation is gone */
		batch_lost(db, (int) rc);
		commit_locked(db, 1); /* only takes the write lock again */
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	if (db->one) {
		db->one = 0;
	} else {
		if (rc < 0)
			run(db, stmt(db, S_ROLLBACK_TO));
		r = run(db, stmt(db, S_RELEASE));
		if (r < 0 && rc >= 0) {
			run(db, stmt(db, S_ROLLBACK_TO));
			run(db, stmt(db, S_RELEASE));
			rc = r;
		}
	}
	if (rc >= 0)
		db->dirty = 1;
	if (sqlite3_get_autocommit(db->conn) && db->in_tx)
		batch_lost(db, (int) (rc < 0 ? rc : r));
	if (db->pending >= DB_BATCH_BYTES) {
		uint64_t lost = db->lost;

		r = commit_locked(db, 1);
		if (r < 0)
			fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: commit: %s\n",
				 db->path, strerror(-r));
		if (db->lost != lost)
			rc = r; /* this operation went with the batch */
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/*
 * Commits the batch; the caller holds the lock.  With again, a new batch
 * transaction is opened at once: the daemon holds SQLite's write lock all
 * the time it serves a writable database, so that another program (a
 * sqlite3 shell) can read but never write behind the kernel's caches.
 */
static int commit_locked(struct db *db, int again)
{
	int rc = 0;

	if (db->in_tx && (db->dirty || !again)) {
		rc = run(db, stmt(db, S_COMMIT));
		if (rc < 0 && sqlite3_get_autocommit(db->conn))
			batch_lost(db, rc);
		if (rc == 0 || sqlite3_get_autocommit(db->conn)) {
			db->in_tx = db->dirty = 0;
			db->pending = 0;
		}
		if (rc == 0)
			names_committed(db);
	}
	if (again && !db->in_tx && !db->readonly &&
	    run(db, stmt(db, S_BEGIN)) == 0)
		db->in_tx = 1;
	return rc;
}

int db_sync(struct db *db)
{
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = commit_locked(db, 1);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int db_dirty(struct db *db)
{
	int dirty;

	pthread_mutex_lock(&db->lock);
	dirty = db->dirty;
	pthread_mutex_unlock(&db->lock);
	return dirty;
}

/* --- inodes ------------------------------------------------------------ */

static void inode_from_row(sqlite3_stmt *s, int c, struct inode *in)
{
	in->ino = sqlite3_column_int64(s, c);
	in->mode = (mode_t) sqlite3_column_int64(s, c + 1);
	in->nlink = sqlite3_column_int64(s, c + 2);
	in->uid = (uid_t) sqlite3_column_int64(s, c + 3);
	in->gid = (gid_t) sqlite3_column_int64(s, c + 4);
	in->rdev = (dev_t) sqlite3_column_int64(s, c + 5);
	in->size = sqlite3_column_int64(s, c + 6);
	in->stored = sqlite3_column_int64(s, c + 7);
	in->atime = sqlite3_column_int64(s, c + 8);
	in->mtime = sqlite3_column_int64(s, c + 9);
	in->ctime = sqlite3_column_int64(s, c + 10);
}

static void inode_to_stat(struct db *db, const struct inode *in,
			  struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t) in->ino;
	st->st_mode = in->mode;
	st->st_nlink = (nlink_t) in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_rdev = in->rdev;
	st->st_size = in->size;
	/* rounded up without overflow: readdir shows damaged rows too */
	st->st_blocks = in->stored / 512 + (in->stored % 512 > 0);
	st->st_blksize = db->block_size;
	st->st_atim = ns_to_ts(in->atime);
	st->st_mtim = ns_to_ts(in->mtime);
	st->st_ctim = ns_to_ts(in->ctime);
}

/* Loads inode ino; -ENOENT if absent. */
static int inode_get(struct db *db, int64_t ino, struct inode *in)
{
	sqlite3_stmt *s = stmt(db, S_INODE_GET);
	int rc;

	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		inode_from_row(s, 0, in);
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	if (rc == -ENOENT) {
		sqlite3_reset(s);
		return rc;
	}
	rc = done(db, s, rc);
	/* out of range, the sums and counts below would overflow; no
	 * SQLite database holds 2^48 bytes (2^32 pages of 64 KiB) */
	if (rc == 0 &&
	    (in->size < 0 || in->nlink < 0 || in->nlink > UINT32_MAX ||
	     in->stored < 0 || in->stored > (int64_t) 1 << 48)) {
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: inode %lld: damaged\n",
			 db->path, (long long) ino);
		return -EIO;
	}
	return rc;
}

/* Stores every mutable field of in. */
static int inode_put(struct db *db, const struct inode *in)
{
	sqlite3_stmt *s = stmt(db, S_INODE_PUT);

	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, in->mode);
	sqlite3_bind_int64(s, 3, in->nlink);
	sqlite3_bind_int64(s, 4, in->uid);
	sqlite3_bind_int64(s, 5, in->gid);
	sqlite3_bind_int64(s, 6, (int64_t) in->rdev);
	sqlite3_bind_int64(s, 7, in->size);
	sqlite3_bind_int64(s, 8, in->stored);
	sqlite3_bind_int64(s, 9, in->atime);
	sqlite3_bind_int64(s, 10, in->mtime);
	sqlite3_bind_int64(s, 11, in->ctime);
	return run(db, s);
}

/* Adds delta to the link count of ino and sets its ctime (and mtime). */
static int inode_touch(struct db *db, int64_t ino, int delta, int mtime,
		       int64_t now)
{
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	in.nlink += delta;
	in.ctime = now;
	if (mtime)
		in.mtime = now;
	return inode_put(db, &in);
}

/* Loads directory ino; -ENOTDIR if it is something else. */
static int dir_get(struct db *db, int64_t ino, struct inode *in)
{
	int rc = inode_get(db, ino, in);

	if (rc == 0 && !S_ISDIR(in->mode))
		rc = -ENOTDIR;
	return rc;
}

/* Finds name in parent: its dentry id and inode; -ENOENT if absent. */
static int dentry_get(struct db *db, int64_t parent, const char *name,
		      int64_t *id, int64_t *ino)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_GET);
	int rc;

	sqlite3_bind_int64(s, 1, parent);
	bind_name(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*ino = sqlite3_column_int64(s, 1);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return -ENOENT;
	}
	return done(db, s, rc);
}

static int dentry_new(struct db *db, int64_t parent, const char *name,
		      int64_t ino)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_NEW);

	sqlite3_bind_int64(s, 1, parent);
	bind_name(s, 2, name);
	sqlite3_bind_int64(s, 3, ino);
	return run(db, s);
}

static int dentry_by_id(struct db *db, enum stmt_id id, int64_t dentry,
			int64_t arg)
{
	sqlite3_stmt *s = stmt(db, id);

	sqlite3_bind_int64(s, 1, dentry);
	if (id == S_DENTRY_SETINO)
		sqlite3_bind_int64(s, 2, arg);
	return run(db, s);
}

/* 1 if directory ino has an entry, 0 if empty, or -errno. */
static int dir_has_entry(struct db *db, int64_t ino)
{
	sqlite3_stmt *s = stmt(db, S_DIR_HAS_ENTRY);
	int rc;

	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sqlite3_reset(s);
		return 1;
	}
	return done(db, s, rc);
}

/* The parent of directory ino (the root is its own parent). */
static int parent_of(struct db *db, int64_t ino, int64_t *parent)
{
	sqlite3_stmt *s = stmt(db, S_PARENT_OF);
	int rc;

	*parent = DB_ROOT_INO;
	if (ino == DB_ROOT_INO)
		return 0;
	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*parent = sqlite3_column_int64(s, 0);
	return done(db, s, rc);
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (len > DB_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

int db_getattr(struct db *db, ino_t ino, struct stat *st)
{
	struct inode in;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int db_lookup(struct db *db, ino_t parent, const char *name, struct stat *st)
{
	struct inode dir, in;
	int64_t id, ino;
	int rc;

	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&db->lock);
	rc = dir_get(db, (int64_t) parent, &dir);
	if (rc == 0)
		rc = dentry_get(db, (int64_t) parent, name, &id, &ino);
	if (rc == 0)
		rc = inode_get(db, ino, &in);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static int mknod_locked(struct db *db, int64_t parent, const char *name,
			mode_t mode, dev_t rdev, const char *target,
			const struct db_cred *cred, struct stat *st)
{
	sqlite3_stmt *s = stmt(db, S_INODE_NEW);
	struct inode dir, in;
	int64_t now = now_ns(), id, ino;
	int rc;

	rc = dir_get(db, parent, &dir);
	if (rc < 0)
		return rc;
	if (dir.nlink == 0)
		return -ENOENT; /* removed while somebody sits in it */
	rc = dentry_get(db, parent, name, &id, &ino);
	if (rc != -ENOENT)
		return rc == 0 ? -EEXIST : rc;
	if (db->next_ino == INT64_MAX)
		return -ENOSPC; /* inode numbers exhausted */

	memset(&in, 0, sizeof(in));
	in.mode = mode;
	in.nlink = S_ISDIR(mode) ? 2 : 1;
	in.uid = cred->uid;
	in.gid = cred->gid;
	if (dir.mode & S_ISGID) {
		in.gid = dir.gid;
		if (S_ISDIR(mode))
			in.mode |= S_ISGID;
	}
	in.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	in.size = target ? (int64_t) strlen(target) : 0;
	in.atime = in.mtime = in.ctime = now;

	sqlite3_bind_int64(s, 1, in.mode);
	sqlite3_bind_int64(s, 2, in.nlink);
	sqlite3_bind_int64(s, 3, in.uid);
	sqlite3_bind_int64(s, 4, in.gid);
	sqlite3_bind_int64(s, 5, (int64_t) in.rdev);
	sqlite3_bind_int64(s, 6, in.size);
	sqlite3_bind_int64(s, 7, now);
	if (target)
		bind_bytes(s, 8, target, (size_t) in.size);
	else
		sqlite3_bind_null(s, 8);
	in.ino = db->next_ino++;
	sqlite3_bind_int64(s, 9, in.ino);
	rc = run(db, s);
	if (rc < 0)
		return rc;
	rc = dentry_new(db, parent, name, in.ino);
	if (rc == 0)
		rc = inode_touch(db, parent, S_ISDIR(mode) ? 1 : 0, 1, now);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	return rc;
}

int db_mknod(struct db *db, ino_t parent, const char *name, mode_t mode,
	     dev_t rdev, const char *target, const struct db_cred *cred,
	     struct stat *st)
{
	int rc = check_name(name);

	if (rc < 0)
		return rc;
	if (target && strlen(target) >= PATH_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = mknod_locked(db, (int64_t) parent, name, mode, rdev, target, cred,
			  st);
	if (rc == 0)
		name_changed(db, (int64_t) parent, name);
	return (int) op_end(db, rc);
}

static int link_locked(struct db *db, int64_t ino, int64_t newparent,
		       const char *newname, struct stat *st)
{
	struct inode in, dir;
	int64_t now = now_ns();
	int rc;

	rc = inode_get(db, ino, &in);
	if (rc < 0)
		return rc;
	if (S_ISDIR(in.mode))
		return -EPERM;
	if (in.nlink == 0)
		return -ENOENT;
	rc = dir_get(db, newparent, &dir);
	if (rc < 0)
		return rc;
	if (dir.nlink == 0)
		return -ENOENT;
	rc = dentry_new(db, newparent, newname, ino);
	if (rc < 0)
		return rc;
	in.nlink++;
	in.ctime = now;
	rc = inode_put(db, &in);
	if (rc == 0)
		rc = inode_touch(db, newparent, 0, 1, now);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	return rc;
}

int db_link(struct db *db, ino_t ino, ino_t newparent, const char *newname,
	    struct stat *st)
{
	int rc = check_name(newname);

	if (rc < 0)
		return rc;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = link_locked(db, (int64_t) ino, (int64_t) newparent, newname, st);
	if (rc == 0)
		name_changed(db, (int64_t) newparent, newname);
	return (int) op_end(db, rc);
}

/*
 * Drops one name of inode victim (a directory if its type says so) from
 * directory parent: the link count of victim, and of parent for a
 * subdirectory.  The dentry itself is the caller's.
 */
static int unlink_inode(struct db *db, int64_t parent, int64_t victim,
			int64_t now, int *gone)
{
	struct inode in;
	int rc = inode_get(db, victim, &in);

	if (rc < 0)
		return rc;
	if (S_ISDIR(in.mode)) {
		in.nlink = 0;
		rc = inode_touch(db, parent, -1, 1, now);
		if (rc < 0)
			return rc;
	} else if (in.nlink > 0) {
		in.nlink--;
	}
	in.ctime = now;
	*gone = in.nlink == 0;
	return inode_put(db, &in);
}

static int unlink_locked(struct db *db, int64_t parent, const char *name,
			 int rmdir, ino_t *victim, int *gone)
{
	struct inode dir, in;
	int64_t id, ino, now = now_ns();
	int rc;

	rc = dir_get(db, parent, &dir);
	if (rc == 0)
		rc = dentry_get(db, parent, name, &id, &ino);
	if (rc == 0)
		rc = inode_get(db, ino, &in);
	if (rc < 0)
		return rc;
	if (rmdir && !S_ISDIR(in.mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(in.mode))
		return -EISDIR;
	if (rmdir) {
		rc = dir_has_entry(db, ino);
		if (rc != 0)
			return rc < 0 ? rc : -ENOTEMPTY;
	}
	rc = dentry_by_id(db, S_DENTRY_DELETE, id, 0);
	if (rc == 0)
		rc = unlink_inode(db, parent, ino, now, gone);
	if (rc == 0 && !rmdir)
		rc = inode_touch(db, parent, 0, 1, now);
	*victim = (ino_t) ino;
	return rc;
}

int db_unlink(struct db *db, ino_t parent, const char *name, int rmdir,
	      ino_t *victim, int *gone)
{
	int rc;

	*victim = 0;
	*gone = 0;
	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = unlink_locked(db, (int64_t) parent, name, rmdir, victim, gone);
	if (rc < 0) {
		*victim = 0;
		*gone = 0;
	} else {
		name_changed(db, (int64_t) parent, name);
	}
	return (int) op_end(db, rc);
}

/* -EINVAL if directory dir is ancestor or itself of directory ino. */
static int check_not_under(struct db *db, int64_t dir, int64_t ino)
{
	int64_t cur = ino, up;
	int rc, depth;

	for (depth = 0; depth < 1 << 20; depth++) {
		if (cur == dir)
			return -EINVAL;
		if (cur == DB_ROOT_INO)
			return 0;
		rc = parent_of(db, cur, &up);
		if (rc < 0)
			return rc;
		if (up == cur)
			return 0;
		cur = up;
	}
	return -ELOOP; /* a cycle in the tree: the database is damaged */
}

struct rename_side {
	int64_t parent, id, ino;
	struct inode in;
};

/* Swaps two names, for RENAME_EXCHANGE. */
static int rename_exchange(struct db *db, struct rename_side *a,
			   struct rename_side *b, int64_t now)
{
	int adir = S_ISDIR(a->in.mode), bdir = S_ISDIR(b->in.mode);
	int rc;

	if (a->parent != b->parent) {
		if (adir && (rc = check_not_under(db, a->ino, b->parent)) < 0)
			return rc;
		if (bdir && (rc = check_not_under(db, b->ino, a->parent)) < 0)
			return rc;
	}
	rc = dentry_by_id(db, S_DENTRY_SETINO, a->id, b->ino);
	if (rc == 0)
		rc = dentry_by_id(db, S_DENTRY_SETINO, b->id, a->ino);
	if (rc == 0)
		rc = inode_touch(db, a->ino, 0, 0, now);
	if (rc == 0)
		rc = inode_touch(db, b->ino, 0, 0, now);
	if (rc == 0 && a->parent != b->parent)
		rc = inode_touch(db, a->parent, bdir - adir, 1, now);
	if (rc == 0)
		rc = inode_touch(db, b->parent,
				 a->parent != b->parent ? adir - bdir : 0, 1,
				 now);
	return rc;
}

static int rename_locked(struct db *db, struct rename_side *src,
			 struct rename_side *dst, const char *newname,
			 unsigned flags, ino_t *victim, int *gone)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_MOVE);
	int64_t now = now_ns();
	int sdir = S_ISDIR(src->in.mode);
	int rc;

	if (dst->ino && dst->ino == src->ino)
		return 0; /* two names of one inode: nothing to do */
	if (flags & DB_RENAME_EXCHANGE)
		return rename_exchange(db, src, dst, now);
	if (sdir && src->parent != dst->parent) {
		rc = check_not_under(db, src->ino, dst->parent);
		if (rc < 0)
			return rc;
	}
	if (dst->ino) {
		int ddir = S_ISDIR(dst->in.mode);

		if (sdir && !ddir)
			return -ENOTDIR;
		if (!sdir && ddir)
			return -EISDIR;
		if (ddir) {
			rc = dir_has_entry(db, dst->ino);
			if (rc != 0)
				return rc < 0 ? rc : -ENOTEMPTY;
		}
		rc = dentry_by_id(db, S_DENTRY_DELETE, dst->id, 0);
		if (rc == 0)
			rc = unlink_inode(db, dst->parent, dst->ino, now, gone);
		if (rc < 0)
			return rc;
		*victim = (ino_t) dst->ino;
	}

	sqlite3_bind_int64(s, 1, src->id);
	sqlite3_bind_int64(s, 2, dst->parent);
	bind_name(s, 3, newname);
	rc = run(db, s);
	if (rc == 0)
		rc = inode_touch(db, src->ino, 0, 0, now);
	if (rc == 0 && src->parent != dst->parent)
		rc = inode_touch(db, src->parent, sdir ? -1 : 0, 1, now);
	if (rc == 0)
		rc = inode_touch(db, dst->parent,
				 sdir && src->parent != dst->parent ? 1 : 0, 1,
				 now);
	return rc;
}

/* Looks one side of a rename up; dst may be missing (ino 0). */
static int rename_side_get(struct db *db, int64_t parent, const char *name,
			   struct rename_side *side, int may_miss)
{
	struct inode dir;
	int rc;

	memset(side, 0, sizeof(*side));
	side->parent = parent;
	rc = dir_get(db, parent, &dir);
	if (rc < 0)
		return rc;
	rc = dentry_get(db, parent, name, &side->id, &side->ino);
	if (rc == -ENOENT && may_miss) {
		side->ino = 0;
		return dir.nlink == 0 ? -ENOENT : 0;
	}
	if (rc < 0)
		return rc;
	return inode_get(db, side->ino, &side->in);
}

int db_rename(struct db *db, ino_t parent, const char *name, ino_t newparent,
	      const char *newname, unsigned flags, ino_t *victim, int *gone)
{
	struct rename_side src, dst;
	int rc;

	*victim = 0;
	*gone = 0;
	if (flags & ~(DB_RENAME_NOREPLACE | DB_RENAME_EXCHANGE) ||
	    flags == (DB_RENAME_NOREPLACE | DB_RENAME_EXCHANGE))
		return -EINVAL;
	rc = check_name(newname);
	if (rc < 0)
		return rc;
	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = rename_side_get(db, (int64_t) parent, name, &src, 0);
	if (rc == 0)
		rc = rename_side_get(db, (int64_t) newparent, newname, &dst,
				     !(flags & DB_RENAME_EXCHANGE));
	if (rc == 0 && dst.ino && (flags & DB_RENAME_NOREPLACE))
		rc = -EEXIST;
	if (rc == 0)
		rc = rename_locked(db, &src, &dst, newname, flags, victim,
				   gone);
	if (rc < 0) {
		*victim = 0;
		*gone = 0;
	} else {
		name_changed(db, (int64_t) parent, name);
		name_changed(db, (int64_t) newparent, newname);
	}
	return (int) op_end(db, rc);
}

int db_forget(struct db *db, ino_t ino)
{
	sqlite3_stmt *s;
	int rc;

	if (ino == DB_ROOT_INO)
		return 0;
	rc = op_begin_one(db); /* one DELETE; its cascades are part of it */
	if (rc < 0)
		return rc == -EROFS ? 0 : rc;
	s = stmt(db, S_INODE_DELETE);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	rc = run(db, s);
	return (int) op_end(db, rc);
}

int db_purge_orphans(struct db *db)
{
	int rc;

	rc = op_begin_one(db);
	if (rc < 0)
		return rc == -EROFS ? 0 : rc;
	rc = run(db, stmt(db, S_ORPHANS_DELETE));
	if (rc == 0)
		rc = sqlite3_changes(db->conn);
	return (int) op_end(db, rc);
}

/* --- blocks ------------------------------------------------------------ */

/*
 * The number of blocks of bs bytes that x bytes start in: x / bs rounded
 * up, without the overflow of (x + bs - 1) / bs for sizes near 2^63.
 */
static int64_t blocks_ceil(int64_t x, int64_t bs)
{
	return x / bs + (x % bs != 0);
}

/*
 * Loads block b of ino into buf, zero-filled to block_size.  Returns the
 * stored length (0 for a hole) or -errno.
 */
static int block_load(struct db *db, int64_t ino, int64_t b, char *buf)
{
	sqlite3_stmt *s = stmt(db, S_BLOCK_GET);
	int rc, len = 0;

	sqlite3_bind_int64(s, 1, ino);
	sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		len = sqlite3_column_bytes(s, 0);
		if (len > (int) db->block_size)
			len = (int) db->block_size; /* damaged: ignore the rest */
		if (len)
			memcpy(buf, sqlite3_column_blob(s, 0), (size_t) len);
	}
	memset(buf + len, 0, db->block_size - (size_t) len);
	rc = done(db, s, rc);
	return rc < 0 ? rc : len;
}

/*
 * The stored length of block b of ino, 0 for a hole; *rowid gets its row
 * (0 for a hole).
 */
static int block_find(struct db *db, int64_t ino, int64_t b, int64_t *rowid)
{
	sqlite3_stmt *s = stmt(db, S_BLOCK_LEN);
	int rc, len = 0;

	*rowid = 0;
	sqlite3_bind_int64(s, 1, ino);
	sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*rowid = sqlite3_column_int64(s, 0);
		len = sqlite3_column_int(s, 1);
	}
	rc = done(db, s, rc);
	return rc < 0 ? rc : len;
}

/*
 * Incremental blob I/O: reads, and writes inside a block's stored length,
 * go straight between the caller's buffer and SQLite's pages, touching
 * only the pages concerned instead of the whole block.  The handle moves
 * from row to row and is closed before the call returns (an open write
 * handle would keep COMMIT from running).
 */
static void blob_close(struct db *db)
{
	if (db->blob)
		sqlite3_blob_close(db->blob);
	db->blob = NULL;
}

static int blob_at(struct db *db, int64_t rowid, int write)
{
	int rc;

	if (db->blob && db->blob_write == write) {
		rc = sqlite3_blob_reopen(db->blob, rowid);
		if (rc == SQLITE_OK)
			return 0;
		blob_close(db); /* a handle that failed to move is dead */
		return db_errno(db, rc);
	}
	blob_close(db);
	rc = sqlite3_blob_open(db->conn, "main", "data", "bytes", rowid, write,
			       &db->blob);
	if (rc != SQLITE_OK) {
		blob_close(db);
		return db_errno(db, rc);
	}
	db->blob_write = write;
	return 0;
}

/* Copies n bytes at boff of data row rowid into buf. */
static int blob_read(struct db *db, int64_t rowid, char *buf, size_t n,
		     size_t boff)
{
	int rc = blob_at(db, rowid, 0);

	if (rc == 0)
		rc = db_errno(db, sqlite3_blob_read(db->blob, buf, (int) n,
						    (int) boff));
	return rc;
}

/* Overwrites n bytes at boff of data row rowid, inside its length. */
static int blob_write(struct db *db, int64_t rowid, const char *buf, size_t n,
		      size_t boff)
{
	int rc = blob_at(db, rowid, 1);

	if (rc == 0)
		rc = db_errno(db, sqlite3_blob_write(db->blob, buf, (int) n,
						     (int) boff));
	if (rc == 0)
		db->pending += (int64_t) n;
	return rc;
}

/*
 * Stores len bytes of buf (zeros if buf is NULL) as block b of in, whose
 * stored length was old; len 0 deletes the block.  Keeps in->stored.
 */
static int block_store(struct db *db, struct inode *in, int64_t b,
		       const char *buf, size_t len, int old)
{
	sqlite3_stmt *s;
	int rc;

	if (len == 0) {
		s = stmt(db, S_BLOCK_DELETE);
	} else if (!buf) {
		s = stmt(db, S_BLOCK_ZERO);
		sqlite3_bind_int64(s, 3, (int64_t) len);
	} else {
		s = stmt(db, S_BLOCK_PUT);
		bind_bytes(s, 3, buf, len);
	}
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, b);
	rc = run(db, s);
	if (rc == 0) {
		in->stored += (int64_t) len - old;
		db->pending += (int64_t) len;
	}
	return rc;
}

/* Deletes blocks [first, end) of in, keeping in->stored. */
static int blocks_delete(struct db *db, struct inode *in, int64_t first,
			 int64_t end)
{
	sqlite3_stmt *s = stmt(db, S_BLOCKS_SUM);
	int64_t freed = 0;
	int rc;

	if (first >= end)
		return 0;
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_int64(s, 3, end);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		freed = sqlite3_column_int64(s, 0);
	rc = done(db, s, rc);
	if (rc < 0 || freed == 0)
		return rc;
	s = stmt(db, S_BLOCKS_DELETE);
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_int64(s, 3, end);
	rc = run(db, s);
	if (rc == 0)
		in->stored -= freed;
	return rc;
}

/*
 * Zeroes bytes [from, to) of block b of in (offsets within the block),
 * deleting the block when nothing but zeros would be left of it.
 */
static int block_zero_range(struct db *db, struct inode *in, int64_t b,
			    size_t from, size_t to)
{
	char *buf = db->scratch;
	int len = block_load(db, in->ino, b, buf);
	size_t i, keep;

	if (len <= 0 || from >= (size_t) len)
		return len < 0 ? len : 0;
	if (to > (size_t) len)
		to = (size_t) len;
	memset(buf + from, 0, to - from);
	keep = to == (size_t) len ? from : (size_t) len;
	for (i = 0; i < keep && !buf[i]; i++)
		;
	if (i == keep)
		keep = 0;
	return block_store(db, in, b, buf, keep, len);
}

/* Cuts the data of in at newsize (the size itself is the caller's). */
static int data_truncate(struct db *db, struct inode *in, int64_t newsize)
{
	int64_t bs = db->block_size;
	int64_t first = blocks_ceil(newsize, bs);
	int rc;

	if (newsize >= in->size)
		return 0;
	rc = blocks_delete(db, in, first, INT64_MAX);
	if (rc == 0 && newsize % bs)
		rc = block_zero_range(db, in, newsize / bs,
				      (size_t) (newsize % bs), (size_t) bs);
	return rc;
}

/* Reads [off, off + size) of in, already clipped to its size, into buf. */
static int data_read(struct db *db, const struct inode *in, int64_t off,
		     size_t size, char *buf)
{
	sqlite3_stmt *s = stmt(db, S_BLOCKS_RANGE);
	int64_t bs = db->block_size, end = off + (int64_t) size;
	int64_t filled = off; /* buf holds [off, filled) */
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, off / bs);
	sqlite3_bind_int64(s, 3, blocks_ceil(end, bs));
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t start = sqlite3_column_int64(s, 0) * bs;
		int64_t rowid = sqlite3_column_int64(s, 1);
		int64_t len = sqlite3_column_int64(s, 2);
		int64_t from = off > start ? off : start;
		int64_t to = start + len < end ? start + len : end;

		/* damaged: too long, or a block number that is not an
		 * integer (1.5 reads as 1: a second row for block 1) */
		if (len > bs || to <= from || from < filled)
			continue;
		memset(buf + (filled - off), 0, (size_t) (from - filled));
		r = blob_read(db, rowid, buf + (from - off),
			      (size_t) (to - from), (size_t) (from - start));
		filled = to;
	}
	rc = done(db, s, rc);
	blob_close(db);
	if (r < 0)
		return r;
	memset(buf + (filled - off), 0, (size_t) (end - filled));
	return rc;
}

/* Writes size bytes of buf at off into in, growing its size. */
static int data_write(struct db *db, struct inode *in, int64_t off,
		      const char *buf, size_t size)
{
	int64_t bs = db->block_size, pos = off, end = off + (int64_t) size;
	int rc = 0;

	while (pos < end && rc == 0) {
		int64_t b = pos / bs;
		size_t boff = (size_t) (pos % bs);
		size_t n = (size_t) (end - pos < bs - (int64_t) boff
					     ? end - pos
					     : bs - (int64_t) boff);
		const char *src = buf + (pos - off);
		int64_t rowid;
		int old = block_find(db, in->ino, b, &rowid);

		if (old < 0) {
			rc = old;
		} else if (old > 0 && old <= bs && boff + n <= (size_t) old) {
			rc = blob_write(db, rowid, src, n, boff);
		} else if (n == (size_t) bs) {
			rc = block_store(db, in, b, src, n, old);
		} else {
			old = block_load(db, in->ino, b, db->scratch);
			if (old < 0) {
				rc = old;
				break;
			}
			memcpy(db->scratch + boff, src, n);
			rc = block_store(db, in, b, db->scratch,
					 boff + n > (size_t) old ? boff + n
								 : (size_t) old,
					 old);
		}
		pos += (int64_t) n;
	}
	blob_close(db);
	if (rc == 0 && end > in->size)
		in->size = end;
	return rc;
}

/* --- attributes -------------------------------------------------------- */

/*
 * Drops from in what a change of its contents or owner takes (mask of
 * DB_KILL_*; the caller decides by the kernel's rules, see db.h): the
 * set-user-ID bit; the set-group-ID bit when group execute is on (else it
 * marks mandatory locking) or with DB_KILL_SGID; file capabilities.  The
 * one place that does.  Returns 1 if the mode changed (in is not stored
 * here), 0 if not, or -errno.
 */
static int kill_priv(struct db *db, struct inode *in, unsigned kill)
{
	mode_t mode = in->mode;
	sqlite3_stmt *s;
	int rc;

	if (S_ISDIR(in->mode)) /* there set-group-ID means inherit the group */
		return 0;
	if (kill & DB_KILL_SUIDGID) {
		in->mode &= (mode_t) ~S_ISUID;
		if ((in->mode & S_IXGRP) || (kill & DB_KILL_SGID))
			in->mode &= (mode_t) ~S_ISGID;
	}
	if (!(kill & DB_KILL_CAPS) || !db->has_caps || !S_ISREG(in->mode))
		return in->mode != mode;
	s = stmt(db, S_XATTR_DELETE);
	sqlite3_bind_int64(s, 1, in->ino);
	bind_name(s, 2, "security.capability");
	rc = run(db, s);
	return rc < 0 ? rc : in->mode != mode;
}

static int setattr_locked(struct db *db, int64_t ino, const struct stat *st,
			  unsigned mask, struct stat *out)
{
	struct inode in;
	int64_t now = now_ns();
	unsigned kill = 0;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	if (mask & DB_SET_MODE)
		in.mode = (in.mode & S_IFMT) | (st->st_mode & 07777);
	if (mask & (DB_SET_UID | DB_SET_GID)) /* chown, even to the same */
		kill |= DB_KILL_CAPS_SUIDGID;
	if (mask & DB_SET_KILL_SUIDGID)
		kill |= DB_KILL_CAPS_SUIDGID;
	if (mask & DB_SET_KILL_SGID)
		kill |= DB_KILL_SGID;
	/* more than one statement: the inode, and capabilities or blocks */
	if ((mask & DB_SET_SIZE) || (db->has_caps && (kill & DB_KILL_CAPS)))
		rc = op_savepoint(db);
	if (rc == 0 && kill)
		rc = kill_priv(db, &in, kill);
	if (rc < 0)
		return rc;
	if (mask & DB_SET_UID)
		in.uid = st->st_uid;
	if (mask & DB_SET_GID)
		in.gid = st->st_gid;
	if (mask & DB_SET_SIZE) {
		if (S_ISDIR(in.mode))
			return -EISDIR;
		if (!S_ISREG(in.mode))
			return -EINVAL;
		if (st->st_size < 0)
			return -EINVAL;
		rc = data_truncate(db, &in, st->st_size);
		if (rc < 0)
			return rc;
		in.size = st->st_size;
		in.mtime = now;
	}
	if (mask & DB_SET_ATIME)
		in.atime = ts_to_ns(&st->st_atim);
	if (mask & DB_SET_ATIME_NOW)
		in.atime = now;
	if (mask & DB_SET_MTIME)
		in.mtime = ts_to_ns(&st->st_mtim);
	if (mask & DB_SET_MTIME_NOW)
		in.mtime = now;
	in.ctime = mask & DB_SET_CTIME ? ts_to_ns(&st->st_ctim) : now;
	rc = inode_put(db, &in);
	if (rc == 0)
		inode_to_stat(db, &in, out);
	return rc;
}

int db_setattr(struct db *db, ino_t ino, const struct stat *in, unsigned mask,
	       struct stat *out)
{
	int rc = op_begin_one(db);

	if (rc < 0)
		return rc;
	rc = setattr_locked(db, (int64_t) ino, in, mask, out);
	return (int) op_end(db, rc);
}

int db_readlink(struct db *db, ino_t ino, char *buf, size_t size)
{
	sqlite3_stmt *s;
	int rc;

	pthread_mutex_lock(&db->lock);
	s = stmt(db, S_TARGET_GET);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(s, 0);
		size_t len = (size_t) sqlite3_column_bytes(s, 0);

		if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
			rc = -EINVAL; /* not a symlink */
		} else if (len >= size) {
			rc = -ENAMETOOLONG;
		} else {
			if (len)
				memcpy(buf, p, len);
			buf[len] = '\0';
			rc = 0;
		}
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = -ENOENT;
	} else {
		rc = done(db, s, rc);
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* --- file data --------------------------------------------------------- */

/* Whether a read now should move atime, by the rules of relatime. */
static int atime_due(int64_t atime, int64_t mtime, int64_t ctime,
		     enum db_atime policy, int64_t now)
{
	switch (policy) {
	case DB_ATIME_NOATIME:
		return 0;
	case DB_ATIME_STRICT:
		return 1;
	case DB_ATIME_RELATIME:
		break;
	}
	return atime <= mtime || atime <= ctime ||
	       now - atime >= (int64_t) 24 * 3600 * 1000000000;
}

int db_atime_due(const struct stat *st, enum db_atime policy)
{
	return atime_due(ts_to_ns(&st->st_atim), ts_to_ns(&st->st_mtim),
			 ts_to_ns(&st->st_ctim), policy, now_ns());
}

/*
 * The atime of a read at now (now_ns()).  The kernel's coarse clock may
 * stand up to a tick ahead of ours: it never goes back below a finer
 * stamp some other filesystem handed out (multigrain timestamps).  A
 * read after a change is never dated before it, as on ext4, unless the
 * change is dated in the future (utimensat).
 */
static int64_t access_time(const struct inode *in, int64_t now)
{
	int64_t real = clock_ns(CLOCK_REALTIME), t = now;

	if (in->mtime > t && in->mtime <= real)
		t = in->mtime;
	if (in->ctime > t && in->ctime <= real)
		t = in->ctime;
	return t;
}

ssize_t db_read(struct db *db, ino_t ino, off_t off, size_t size, char *buf,
		enum db_atime policy)
{
	struct inode in;
	int64_t now = now_ns();
	int64_t rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0 && S_ISDIR(in.mode))
		rc = -EISDIR;
	if (rc == 0 && off < in.size) {
		if ((int64_t) size > in.size - off)
			size = (size_t) (in.size - off);
		rc = data_read(db, &in, off, size, buf);
		if (rc == 0)
			rc = (int64_t) size;
	}
	pthread_mutex_unlock(&db->lock);
	if (rc < 0 || db->readonly ||
	    !atime_due(in.atime, in.mtime, in.ctime, policy, now))
		return (ssize_t) rc;

	/* a failed atime update does not fail the read */
	if (op_begin(db) == 0) {
		int r = inode_get(db, (int64_t) ino, &in);

		if (r == 0) {
			in.atime = access_time(&in, now);
			r = inode_put(db, &in);
		}
		op_end(db, r);
	}
	return (ssize_t) rc;
}

/* Loads regular file ino for writing; -EISDIR, -EINVAL otherwise. */
static int file_get(struct db *db, int64_t ino, struct inode *in)
{
	int rc = inode_get(db, ino, in);

	if (rc == 0 && S_ISDIR(in->mode))
		rc = -EISDIR;
	else if (rc == 0 && !S_ISREG(in->mode))
		rc = -EINVAL;
	return rc;
}

/*
 * The common write of the writeback cache: within one block's stored
 * bytes, below the size, with the times kept by the kernel.  It changes
 * one row with one statement, so it needs no savepoint and leaves the
 * inode alone.  Returns 1 when done, 0 when the write is not of that
 * kind, or -errno.
 */
static int write_in_place(struct db *db, const struct inode *in, int64_t off,
			  const char *buf, size_t size)
{
	int64_t bs = db->block_size, rowid;
	size_t boff = (size_t) (off % bs);
	int len, rc;

	if (off + (int64_t) size > in->size || boff + size > (size_t) bs)
		return 0;
	len = block_find(db, in->ino, off / bs, &rowid);
	if (len <= 0 || len > bs || boff + size > (size_t) len)
		return len < 0 ? len : 0;
	rc = blob_write(db, rowid, buf, size, boff);
	blob_close(db);
	return rc < 0 ? rc : 1;
}

ssize_t db_write(struct db *db, ino_t ino, off_t off, const char *buf,
		 size_t size, unsigned kill, unsigned *changed)
{
	struct inode in;
	int64_t rc, stored;
	int killed = 0;

	if (changed)
		*changed = 0;
	if (off < 0)
		return -EINVAL;
	if ((int64_t) size > DB_MAX_FILE_SIZE - off)
		return -EFBIG;
	if (size == 0) { /* no other results, as write(2) says */
		pthread_mutex_lock(&db->lock);
		rc = file_get(db, (int64_t) ino, &in);
		pthread_mutex_unlock(&db->lock);
		return (ssize_t) rc;
	}
	rc = op_begin_one(db);
	if (rc < 0)
		return (ssize_t) rc;
	rc = file_get(db, (int64_t) ino, &in);
	if (rc == 0 &&
	    !((kill & DB_KILL_SUIDGID) && (in.mode & (S_ISUID | S_ISGID))) &&
	    !((kill & DB_KILL_CAPS) && db->has_caps))
		kill = kill & DB_KEEP_TIMES; /* nothing to drop */
	if (rc == 0 && kill == DB_KEEP_TIMES)
		rc = write_in_place(db, &in, off, buf, size);
	if (rc != 1) { /* not done in place: the general way */
		stored = rc == 0 ? in.stored : 0;
		if (rc == 0)
			rc = op_savepoint(db);
		if (rc == 0 && (kill & DB_KILL_CAPS_SUIDGID))
			rc = killed = kill_priv(db, &in, kill);
		if (rc >= 0)
			rc = data_write(db, &in, off, buf, size);
		if (rc == 0 && changed && in.stored != stored)
			*changed |= DB_CHANGED_BLOCKS;
		if (rc == 0 && changed && killed)
			*changed |= DB_CHANGED_MODE;
		if (rc == 0 && !(kill & DB_KEEP_TIMES))
			in.mtime = in.ctime = now_ns();
		if (rc == 0)
			rc = inode_put(db, &in);
	}
	if (rc >= 0)
		rc = (int64_t) size;
	return (ssize_t) op_end(db, rc);
}

/* Turns [off, end) of in into a hole. */
static int data_punch(struct db *db, struct inode *in, int64_t off, int64_t end)
{
	int64_t bs = db->block_size;
	int64_t first = blocks_ceil(off, bs), last;
	int rc = 0;

	if (end > in->size)
		end = in->size;
	if (off >= end)
		return 0;
	last = end / bs;
	if (first > last) /* within one block */
		return block_zero_range(db, in, off / bs, (size_t) (off % bs),
					(size_t) (end - off / bs * bs));
	if (off % bs)
		rc = block_zero_range(db, in, off / bs, (size_t) (off % bs),
				      (size_t) bs);
	if (rc == 0)
		rc = blocks_delete(db, in, first, last);
	if (rc == 0 && end % bs)
		rc = block_zero_range(db, in, last, 0, (size_t) (end % bs));
	return rc;
}

/* Whether the host filesystem and free pages can hold bytes more. */
static int space_for(struct db *db, int64_t bytes)
{
	struct statvfs sv;
	int64_t free_bytes;

	if (statvfs(db->path, &sv) < 0)
		return 0;
	free_bytes = (int64_t) sv.f_bavail * (int64_t) sv.f_frsize;
	free_bytes +=
		query_int(db, S_FREELIST_COUNT) * query_int(db, S_PAGE_SIZE);
	return bytes > free_bytes ? -ENOSPC : 0;
}

static int fallocate_locked(struct db *db, int64_t ino, int mode, int64_t off,
			    int64_t len, unsigned kill, unsigned *changed)
{
	struct inode in;
	int64_t end = off + len, now = now_ns();
	int rc = file_get(db, ino, &in);

	if (rc < 0)
		return rc;
	/* a hole punched past EOF changes nothing: ext4 drops nothing */
	if (kill && !((mode & DB_FALLOC_PUNCH_HOLE) && off >= in.size))
		rc = kill_priv(db, &in, kill);
	if (rc < 0)
		return rc;
	*changed = rc ? DB_CHANGED_MODE : 0;
	rc = 0;
	if (mode & DB_FALLOC_PUNCH_HOLE) {
		rc = data_punch(db, &in, off, end);
		in.mtime = now;
	} else {
		if (!(mode & DB_FALLOC_KEEP_SIZE) && end > in.size) {
			in.size = end;
			in.mtime = now;
		}
		/*
		 * Like other copy-on-write filesystems (ZFS), this cannot
		 * set pages aside: it checks there is room, and the
		 * blocks are stored when written.  Writing zeros instead
		 * would cost as much as writing the data, twice over.
		 */
		if (end > in.size)
			end = in.size;
		if (off < end)
			rc = space_for(db, end - off);
	}
	in.ctime = now;
	if (rc == 0)
		rc = inode_put(db, &in);
	return rc;
}

int db_fallocate(struct db *db, ino_t ino, int mode, off_t off, off_t len,
		 unsigned kill, unsigned *changed)
{
	unsigned dummy;
	int rc;

	if (!changed)
		changed = &dummy;
	*changed = 0;
	if (mode & ~(DB_FALLOC_KEEP_SIZE | DB_FALLOC_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & DB_FALLOC_PUNCH_HOLE) && !(mode & DB_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > DB_MAX_FILE_SIZE - off)
		return -EFBIG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = fallocate_locked(db, (int64_t) ino, mode, off, len, kill, changed);
	if (rc < 0)
		*changed = 0;
	return (int) op_end(db, rc);
}

/* The first offset >= off that is data (whence SEEK_DATA) or a hole. */
static int64_t seek_locked(struct db *db, const struct inode *in, int64_t off,
			   int whence)
{
	int64_t bs = db->block_size, b = off / bs, next = -1;
	sqlite3_stmt *s;
	int rc;

	if (off >= in->size)
		return -ENXIO;
	if (whence == SEEK_DATA) {
		s = stmt(db, S_NEXT_BLOCK);
		sqlite3_bind_int64(s, 1, in->ino);
		sqlite3_bind_int64(s, 2, b);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			next = sqlite3_column_int64(s, 0);
		rc = done(db, s, rc);
		if (rc < 0)
			return rc;
		/* a block at or past EOF (damage) is not data: compared
		 * as a block number, which cannot overflow */
		if (next < 0 || next > (in->size - 1) / bs)
			return -ENXIO;
		next *= bs;
		return next > off ? next : off;
	}
	/* SEEK_HOLE: the first block from b on that is missing or short */
	s = stmt(db, S_BLOCKS_LEN_RANGE);
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, blocks_ceil(in->size, bs));
	next = b;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int64(s, 0) != next)
			break;
		if (sqlite3_column_int64(s, 1) < bs) {
			int64_t hole = next * bs + sqlite3_column_int64(s, 1);

			next = -1 - hole; /* a short block: hole mid-block */
			break;
		}
		next++;
	}
	rc = done(db, s, rc);
	if (rc < 0)
		return rc;
	if (next < 0)
		next = -1 - next;
	else /* past the last block: the hole at EOF (no overflow) */
		next = next > (in->size - 1) / bs ? in->size : next * bs;
	if (next < off)
		next = off;
	return next < in->size ? next : in->size;
}

off_t db_lseek(struct db *db, ino_t ino, off_t off, int whence)
{
	struct inode in;
	int64_t rc;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0)
		rc = seek_locked(db, &in, off, whence);
	pthread_mutex_unlock(&db->lock);
	return (off_t) rc;
}

static int64_t copy_locked(struct db *db, int64_t ino_in, int64_t off_in,
			   int64_t ino_out, int64_t off_out, size_t len,
			   unsigned kill, unsigned *changed)
{
	struct inode src, dst;
	int64_t done_bytes = 0, bs = db->block_size;
	char *buf;
	int rc;

	rc = file_get(db, ino_in, &src);
	if (rc == 0)
		rc = file_get(db, ino_out, &dst);
	if (rc < 0)
		return rc;
	if (off_in >= src.size)
		return 0;
	if ((int64_t) len > src.size - off_in)
		len = (size_t) (src.size - off_in);
	if (kill)
		rc = kill_priv(db, &dst, kill);
	if (rc < 0)
		return rc;
	*changed = rc ? DB_CHANGED_MODE : 0;
	rc = 0;
	buf = malloc((size_t) bs);
	if (!buf)
		return -ENOMEM;
	while (done_bytes < (int64_t) len && rc == 0) {
		size_t n = (size_t) ((int64_t) len - done_bytes < bs
					     ? (int64_t) len - done_bytes
					     : bs);

		if (ino_in == ino_out)
			src = dst;
		rc = data_read(db, &src, off_in + done_bytes, n, buf);
		if (rc == 0)
			rc = data_write(db, &dst, off_out + done_bytes, buf, n);
		done_bytes += (int64_t) n;
	}
	free(buf);
	if (rc < 0)
		return rc;
	dst.mtime = dst.ctime = now_ns();
	rc = inode_put(db, &dst);
	return rc < 0 ? rc : done_bytes;
}

ssize_t db_copy_range(struct db *db, ino_t ino_in, off_t off_in, ino_t ino_out,
		      off_t off_out, size_t len, unsigned kill,
		      unsigned *changed)
{
	unsigned dummy;
	int64_t rc;

	if (!changed)
		changed = &dummy;
	*changed = 0;

	if (off_in < 0 || off_out < 0)
		return -EINVAL;
	if ((int64_t) len > DB_MAX_FILE_SIZE - off_out)
		return -EFBIG;
	rc = op_begin(db);
	if (rc < 0)
		return (ssize_t) rc;
	rc = copy_locked(db, (int64_t) ino_in, off_in, (int64_t) ino_out,
			 off_out, len, kill, changed);
	if (rc < 0)
		*changed = 0;
	return (ssize_t) op_end(db, rc);
}

/* --- directories ------------------------------------------------------- */

/* Calls fn for "." and ".." as their offsets say; 1 if fn stopped. */
static int readdir_dots(struct db *db, const struct inode *dir, int64_t off,
			db_dirent_fn fn, void *ctx, int *stop)
{
	struct inode up;
	struct stat st;
	int64_t parent;
	int rc;

	if (off < 1) {
		inode_to_stat(db, dir, &st);
		if (fn(ctx, ".", &st, 1)) {
			*stop = 1;
			return 0;
		}
	}
	if (off < 2) {
		rc = parent_of(db, dir->ino, &parent);
		if (rc == 0)
			rc = inode_get(db, parent, &up);
		if (rc < 0)
			up = *dir; /* an orphaned directory: ".." is itself */
		inode_to_stat(db, &up, &st);
		if (fn(ctx, "..", &st, 2))
			*stop = 1;
	}
	return 0;
}

int db_readdir(struct db *db, ino_t ino, off_t off, db_dirent_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	struct inode dir, in;
	struct stat st;
	int rc, stop = 0;

	pthread_mutex_lock(&db->lock);
	rc = dir_get(db, (int64_t) ino, &dir);
	if (rc == 0)
		rc = readdir_dots(db, &dir, off, fn, ctx, &stop);
	if (rc < 0 || stop)
		goto out_unlock;
	s = stmt(db, S_READDIR);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	sqlite3_bind_int64(s, 2, off > 2 ? off - 2 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *name = (const char *) sqlite3_column_text(s, 1);

		inode_from_row(s, 2, &in);
		inode_to_stat(db, &in, &st);
		if (name && fn(ctx, name, &st, id + 2))
			break;
	}
	rc = done(db, s, rc);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int db_statfs(struct db *db, struct statvfs *sv)
{
	struct statvfs host;
	int64_t page_size, used, free_bytes, inodes, frsize = 4096;

	if (statvfs(db->path, &host) < 0)
		return -errno;
	pthread_mutex_lock(&db->lock);
	page_size = query_int(db, S_PAGE_SIZE);
	used = query_int(db, S_PAGE_COUNT);
	free_bytes = query_int(db, S_FREELIST_COUNT);
	inodes = query_int(db, S_INODE_COUNT);
	pthread_mutex_unlock(&db->lock);
	if (page_size < 0 || used < 0 || free_bytes < 0 || inodes < 0)
		return -EIO;
	used = (used - free_bytes) * page_size;
	free_bytes = free_bytes * page_size +
		     (int64_t) host.f_bavail * (int64_t) host.f_frsize;

	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = db->block_size;
	sv->f_frsize = (unsigned long) frsize;
	sv->f_blocks = (fsblkcnt_t) ((used + free_bytes) / frsize);
	sv->f_bfree = sv->f_bavail = (fsblkcnt_t) (free_bytes / frsize);
	sv->f_ffree = sv->f_favail = (fsfilcnt_t) (free_bytes / 512);
	sv->f_files = (fsfilcnt_t) inodes + sv->f_ffree;
	sv->f_namemax = DB_NAME_MAX;
	sv->f_flag = db->readonly ? ST_RDONLY : 0;
	return 0;
}

/* --- extended attributes ----------------------------------------------- */

/* The namespaces stored; others (system.*: ACLs) are not supported. */
static int check_xattr_name(const char *name)
{
	static const char *const ns[] = {"user.", "trusted.", "security."};
	size_t i, len = strlen(name);

	if (len > 255)
		return -ERANGE;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (!strncmp(name, ns[i], strlen(ns[i])))
			return len > strlen(ns[i]) ? 0 : -EINVAL;
	return -EOPNOTSUPP;
}

static ssize_t xattr_get_locked(struct db *db, int64_t ino, const char *name,
				void *buf, size_t size);

static int setxattr_locked(struct db *db, int64_t ino, const char *name,
			   const void *value, size_t size, int flags)
{
	struct inode in;
	sqlite3_stmt *s;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	if ((flags & DB_XATTR_CREATE) && (flags & DB_XATTR_REPLACE)) {
		/* both: as ext4, whichever the current state contradicts */
		rc = (int) xattr_get_locked(db, ino, name, NULL, 0);
		return rc >= 0 ? -EEXIST : rc;
	}
	if (flags & DB_XATTR_CREATE)
		s = stmt(db, S_XATTR_NEW);
	else if (flags & DB_XATTR_REPLACE)
		s = stmt(db, S_XATTR_UPDATE);
	else
		s = stmt(db, S_XATTR_UPSERT);
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	bind_bytes(s, 3, value, size);
	rc = run(db, s);
	if (rc == 0 && (flags & DB_XATTR_REPLACE) &&
	    sqlite3_changes(db->conn) == 0)
		rc = -ENODATA;
	if (rc == 0) {
		in.ctime = now_ns();
		rc = inode_put(db, &in);
	}
	return rc;
}

int db_setxattr(struct db *db, ino_t ino, const char *name, const void *value,
		size_t size, int flags)
{
	int rc = check_xattr_name(name);

	if (rc < 0)
		return rc;
	if (size > DB_XATTR_SIZE_MAX)
		return -E2BIG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = setxattr_locked(db, (int64_t) ino, name, value, size, flags);
	if (rc == 0 && !strcmp(name, "security.capability"))
		db->has_caps = 1;
	return (int) op_end(db, rc);
}

/* The value of xattr name of ino, as db_getxattr(); the lock is held. */
static ssize_t xattr_get_locked(struct db *db, int64_t ino, const char *name,
				void *buf, size_t size)
{
	sqlite3_stmt *s = stmt(db, S_XATTR_GET);
	ssize_t rc;

	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		size_t len = (size_t) sqlite3_column_bytes(s, 0);

		if (size && len > size) {
			rc = -ERANGE;
		} else {
			if (size && len)
				memcpy(buf, sqlite3_column_blob(s, 0), len);
			rc = (ssize_t) len;
		}
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = -ENODATA;
	} else {
		rc = done(db, s, (int) rc);
	}
	return rc;
}

ssize_t db_getxattr(struct db *db, ino_t ino, const char *name, void *buf,
		    size_t size)
{
	struct inode in;
	ssize_t rc = check_xattr_name(name);

	/* system.posix_acl_*: EOPNOTSUPP, as on a filesystem mounted noacl,
	 * tells ls and cp that this filesystem has no ACLs at all, and
	 * they stop asking for every file */
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&db->lock);
	rc = xattr_get_locked(db, (int64_t) ino, name, buf, size);
	if (rc == -ENODATA) { /* the common answer: is there an inode? */
		int r = inode_get(db, (int64_t) ino, &in);

		if (r < 0)
			rc = r;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

ssize_t db_listxattr(struct db *db, ino_t ino, char *buf, size_t size)
{
	sqlite3_stmt *s;
	struct inode in;
	size_t total = 0;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc < 0)
		goto out_unlock;
	s = stmt(db, S_XATTR_LIST);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *) sqlite3_column_text(s, 0);
		size_t len = (size_t) sqlite3_column_bytes(s, 0) + 1;

		if (!name)
			continue; /* damaged: no name to list */
		if (size && total + len > size) {
			sqlite3_reset(s);
			rc = -ERANGE;
			goto out_unlock;
		}
		if (size)
			memcpy(buf + total, name, len);
		total += len;
	}
	rc = done(db, s, rc);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return rc < 0 ? rc : (ssize_t) total;
}

static int removexattr_locked(struct db *db, int64_t ino, const char *name)
{
	sqlite3_stmt *s = stmt(db, S_XATTR_DELETE);
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	rc = run(db, s);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		return -ENODATA;
	if (rc == 0) {
		in.ctime = now_ns();
		rc = inode_put(db, &in);
	}
	return rc;
}

int db_removexattr(struct db *db, ino_t ino, const char *name)
{
	int rc = check_xattr_name(name);

	if (rc == -EOPNOTSUPP)
		return -ENODATA;
	if (rc < 0)
		return rc;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = removexattr_locked(db, (int64_t) ino, name);
	return (int) op_end(db, rc);
}

/* --- opening and creating ---------------------------------------------- */

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Runs a one-integer pragma on a connection not yet set up. */
static int pragma_int(sqlite3 *conn, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(conn, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Checks application_id and user_version; -errno with a reason. */
static int check_format(sqlite3 *conn, char *err, size_t errsz)
{
	int64_t app = 0, version = 0;
	int rc = pragma_int(conn, "PRAGMA application_id", &app);

	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
		set_err(err, errsz, "not a SQLite database");
		return -EINVAL;
	}
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot read: %s", sqlite3_errmsg(conn));
		return rc == SQLITE_CANTOPEN ? -EACCES : -EIO;
	}
	if (app != DB_APPLICATION_ID) {
		set_err(err, errsz,
			"not a sqlitefs database (application_id 0x%llx)",
			(unsigned long long) app);
		return -EINVAL;
	}
	rc = pragma_int(conn, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot read: %s", sqlite3_errmsg(conn));
		return -EIO;
	}
	if (version > DB_FORMAT_VERSION) {
		set_err(err, errsz,
			"format version %lld is newer than this sqlitefs "
			"supports (%d)",
			(long long) version, DB_FORMAT_VERSION);
		return -EPROTO;
	}
	if (version < 1) {
		set_err(err, errsz, "damaged: format version %lld",
			(long long) version);
		return -EINVAL;
	}
	return 0;
}

/* Prepares every statement and reads the settings. */
static int db_prepare(struct db *db, char *err, size_t errsz)
{
	sqlite3_stmt *s;
	int i, rc;

	for (i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->conn, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &db->stmt[i],
					NULL);
		if (rc != SQLITE_OK) {
			set_err(err, errsz, "damaged: %s",
				sqlite3_errmsg(db->conn));
			return -EINVAL;
		}
	}
	s = stmt(db, S_SETTING_GET);
	bind_name(s, 1, "block_size");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		db->block_size = (unsigned) sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (db->block_size < 512 || db->block_size > 1048576 ||
	    (db->block_size & (db->block_size - 1))) {
		set_err(err, errsz, "damaged: bad block size %u",
			db->block_size);
		return -EINVAL;
	}
	db->next_ino = query_int(db, S_MAX_INO);
	if (db->next_ino < DB_ROOT_INO) {
		set_err(err, errsz, "damaged: no root directory");
		return -EINVAL;
	}
	/* INT64_MAX (a damaged database) leaves no number to hand out */
	if (db->next_ino < INT64_MAX)
		db->next_ino++;
	db->scratch = malloc(db->block_size);
	return db->scratch ? 0 : -ENOMEM;
}

/* Sets the connection up; only after check_format(), since these write. */
static int db_configure(struct db *db, int flags, char *err, size_t errsz)
{
	static const char *const pragmas =
		"PRAGMA foreign_keys = ON;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA cache_size = -16384;"
		"PRAGMA journal_size_limit = 67108864;"
		"PRAGMA temp_store = MEMORY;"
		"PRAGMA secure_delete = FAST;";
	char *msg = NULL;
	int rc;

	if (flags & DB_OPEN_CHECK)
		return 0;
	rc = sqlite3_exec(db->conn, pragmas, NULL, NULL, &msg);
	if (rc == SQLITE_OK && !db->readonly)
		rc = sqlite3_exec(db->conn, "PRAGMA journal_mode = WAL", NULL,
				  NULL, &msg);
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot configure: %s",
			msg ? msg : sqlite3_errmsg(db->conn));
		sqlite3_free(msg);
		return db_errno(db, rc);
	}
	return 0;
}

/*
 * Begins the first batch, which takes SQLite's write lock for as long as
 * the daemon serves (see commit_locked()).  If another program holds it,
 * that is refused here, after the busy timeout: mounted without it, every
 * change would wait that long and then fail with EBUSY.
 */
static int take_write_lock(struct db *db, char *err, size_t errsz)
{
	sqlite3_stmt *s = stmt(db, S_BEGIN);
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		db->in_tx = 1;
		return 0;
	}
	if ((rc & 0xff) == SQLITE_BUSY) {
		set_err(err, errsz,
			"in use by another program (it holds the write lock)");
		return -EBUSY;
	}
	set_err(err, errsz, "cannot write: %s", sqlite3_errmsg(db->conn));
	return db_errno(db, rc);
}

/* Whether a reader of path could use its WAL: a -wal file or a writable
 * directory for the -shm. */
static int wal_possible(const char *path)
{
	char *dir = strdup(path), *slash, *wal = NULL;
	int ok;

	if (!dir)
		return 1;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	ok = access(slash ? dir : ".", W_OK) == 0;
	if (!ok && asprintf(&wal, "%s-wal", path) >= 0)
		ok = access(wal, F_OK) == 0;
	free(wal);
	free(dir);
	return ok;
}

/* "file:PATH?immutable=1" with PATH escaped for a URI; NULL if no memory. */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789abcdef";
	char *uri = malloc(strlen(path) * 3 + 32), *p = uri;

	if (!uri)
		return NULL;
	p += sprintf(p, "file:");
	for (; *path; path++) {
		unsigned char c = (unsigned char) *path;

		if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char) c;
		}
	}
	strcpy(p, "?immutable=1");
	return uri;
}

/* Whether path + suffix exists and holds something (WAL frames to read,
 * a journal to roll back). */
static int companion_used(const char *path, const char *suffix)
{
	struct stat st;
	char *name;
	int used;

	if (asprintf(&name, "%s%s", path, suffix) < 0)
		return 1;
	used = stat(name, &st) == 0 && st.st_size > 0;
	free(name);
	return used;
}

/*
 * The hardening of db_sqlite.h, on a connection just opened.  Returns
 * SQLITE_OK, or the code of a setting the library refused.
 */
static int harden(sqlite3 *conn, int flags)
{
	static const int off[] = {
		SQLITE_DBCONFIG_ENABLE_VIEW,
		SQLITE_DBCONFIG_TRUSTED_SCHEMA,
		SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
		SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
	};
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < sizeof(off) / sizeof(off[0]) && rc == SQLITE_OK; i++)
		rc = sqlite3_db_config(conn, off[i], 0, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(conn, SQLITE_DBCONFIG_ENABLE_TRIGGER,
				       !!(flags & DB_OPEN_TRIGGERS), NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(conn, SQLITE_DBCONFIG_DEFENSIVE, 1,
				       NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_limit(conn, SQLITE_LIMIT_LENGTH, DB_SQLITE_MAX_LENGTH);
	sqlite3_limit(conn, SQLITE_LIMIT_SQL_LENGTH, 1024 * 1024);
	sqlite3_limit(conn, SQLITE_LIMIT_ATTACHED, 0);
	/* neither reads the file: a failure here shows in check_format() */
	sqlite3_exec(conn, "PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0",
		     NULL, NULL, NULL);
	sqlite3_busy_timeout(conn, 5000);
	sqlite3_extended_result_codes(conn, 1);
	return SQLITE_OK;
}

/* One attempt of db_sqlite_open() with SQLite's open flags oflags. */
static int sqlite_open(const char *name, int oflags, int flags, sqlite3 **out,
		       char *err, size_t errsz)
{
	sqlite3 *conn = NULL;
	int rc = sqlite3_open_v2(
		name, &conn,
		oflags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);

	if (rc != SQLITE_OK) {
		int e = conn ? sqlite3_system_errno(conn) : 0;

		set_err(err, errsz, "cannot open: %s",
			e ? strerror(e) : sqlite3_errstr(rc));
		sqlite3_close(conn);
		return e ? -e : -EACCES;
	}
	rc = harden(conn, flags);
	if (rc == SQLITE_OK && oflags & SQLITE_OPEN_READWRITE &&
	    flags & DB_OPEN_READONLY)
		rc = sqlite3_exec(conn, "PRAGMA query_only = ON", NULL, NULL,
				  NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot set the connection up: %s",
			sqlite3_errstr(rc));
		sqlite3_close(conn);
		return -ENOTSUP;
	}
	rc = flags & DB_SQLITE_CREATE ? 0 : check_format(conn, err, errsz);
	if (rc < 0) {
		sqlite3_close(conn);
		return rc;
	}
	*out = conn;
	return 0;
}

int db_sqlite_open(const char *path, int flags, sqlite3 **out, char *err,
		   size_t errsz)
{
	int readonly = !!(flags & DB_OPEN_READONLY), oflags, rc, fd;

	*out = NULL;
	if (flags & DB_SQLITE_CREATE) {
		/* made here, for the reason if it cannot be: SQLite, refused
		 * a new file, would retry read-only and say ENOENT */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0) {
			set_err(err, errsz, "%s", strerror(errno));
			return -errno;
		}
		close(fd);
	} else if (access(path, F_OK) < 0) {
		set_err(err, errsz, "%s", strerror(errno));
		return -errno;
	}
	/* read-only without WAL content: opened for writing (SQLite falls
	 * back to reading if it cannot write) with every write refused, so
	 * that closing removes the -wal and -shm it makes */
	oflags = readonly && (companion_used(path, "-wal") ||
			      companion_used(path, "-journal"))
			 ? SQLITE_OPEN_READONLY
			 : SQLITE_OPEN_READWRITE;
	rc = sqlite_open(path, oflags, flags, out, err, errsz);
	if ((rc == -EIO || rc == -EACCES) && readonly && !wal_possible(path)) {
		/* a clean WAL database where no -shm can be made: read it as
		 * an immutable file (the caller's flock keeps daemons off) */
		char *uri = immutable_uri(path);

		rc = uri ? sqlite_open(uri,
				       SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
				       flags, out, err, errsz)
			 : -ENOMEM;
		free(uri);
	}
	return rc;
}

int db_open(const char *path, int flags, struct db **out, char *err,
	    size_t errsz)
{
	struct db *db;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	pthread_mutex_init(&db->lock, NULL);
	db->readonly = !!(flags & DB_OPEN_READONLY);
	db->names_all = db->lost_names_all = 1;
	db->path = strdup(path);
	rc = db_sqlite_open(path, flags & ~DB_SQLITE_CREATE, &db->conn, err,
			    errsz);
	if (rc == 0)
		rc = db_configure(db, flags, err, errsz);
	if (rc == 0)
		rc = db_prepare(db, err, errsz);
	if (rc == 0 && !(flags & DB_OPEN_CHECK)) {
		pthread_mutex_lock(&db->lock);
		db->has_caps = query_int(db, S_HAS_CAPS) != 0;
		if (!db->readonly)
			rc = take_write_lock(db, err, errsz);
		pthread_mutex_unlock(&db->lock);
	}
	if (rc < 0)
		goto out_close;
	*out = db;
	return 0;

out_close:
	db_close(db);
	return rc;
}

int db_close(struct db *db)
{
	int i, rc = 0;

	if (!db)
		return 0;
	pthread_mutex_lock(&db->lock);
	if (db->conn && db->stmt[S_COMMIT])
		rc = commit_locked(db, 0);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	if (db->conn && sqlite3_close(db->conn) != SQLITE_OK)
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: close: %s\n", db->path,
			 sqlite3_errmsg(db->conn));
	pthread_mutex_unlock(&db->lock);
	pthread_mutex_destroy(&db->lock);
	db_names_free(db->names);
	db_names_free(db->lost_names);
	free(db->scratch);
	free(db->path);
	free(db);
	return rc;
}

const char *db_sqlite_version(void)
{
	return sqlite3_libversion();
}

void db_set_cache(struct db *db, unsigned mib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%llu",
		 (unsigned long long) mib * 1024);
	pthread_mutex_lock(&db->lock);
	sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	pthread_mutex_unlock(&db->lock);
}

unsigned db_block_size(struct db *db)
{
	return db->block_size;
}

/* --- views (views.sql) -------------------------------------------------- */

/* FNV-1a of views.sql, in hex: what settings 'views' holds once installed. */
static void views_hash(char *out, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = views_sql; *p; p++) {
		h ^= (unsigned char) *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, size, "%016llx", (unsigned long long) h);
}

/*
 * (Re)creates the views of views.sql and records their hash, inside the
 * caller's transaction.  Returns an SQLite result code.
 */
static int views_install(sqlite3 *conn)
{
	sqlite3_stmt *s;
	char hash[32];
	int rc = sqlite3_exec(conn, views_sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(conn,
				"INSERT INTO settings (key, value) "
				"VALUES ('views', ?1) ON CONFLICT (key) "
				"DO UPDATE SET value = excluded.value",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	views_hash(hash, sizeof(hash));
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(conn);
	sqlite3_finalize(s);
	return rc;
}

/* The errno of a failed step of db_mkfs(). */
static int mkfs_errno(sqlite3 *conn, int rc)
{
	int e = sqlite3_system_errno(conn);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	return e > 0 ? -e : -EIO;
}

int db_mkfs(const char *path, unsigned block_size, unsigned page_size)
{
	sqlite3 *conn;
	sqlite3_stmt *s;
	char pragma[64], err[256];
	int rc;

	rc = db_sqlite_open(path, DB_SQLITE_CREATE, &conn, err, sizeof(err));
	if (rc < 0)
		return rc;
	snprintf(pragma, sizeof(pragma), "PRAGMA page_size = %u", page_size);
	rc = sqlite3_exec(conn, pragma, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(conn, schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = views_install(conn);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(conn,
					"UPDATE settings SET value = ?1 "
					"WHERE key = 'block_size'",
					-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, block_size);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(conn,
					"UPDATE inode SET uid = ?1, gid = ?2 "
					"WHERE ino = 1",
					-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, getuid());
		sqlite3_bind_int64(s, 2, getgid());
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(s);
	}
	rc = rc == SQLITE_OK ? 0 : mkfs_errno(conn, rc);
	if (sqlite3_close(conn) != SQLITE_OK && rc == 0)
		rc = -EIO;
	if (rc < 0)
		unlink(path);
	return rc;
}

int db_views_refresh(struct db *db)
{
	sqlite3_stmt *s;
	char want[32];
	int rc, same = 0;

	views_hash(want, sizeof(want));
	pthread_mutex_lock(&db->lock);
	s = stmt(db, S_SETTING_GET);
	bind_name(s, 1, "views");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *have = sqlite3_column_text(s, 0);

		same = have && !strcmp((const char *) have, want);
	}
	rc = done(db, s, rc);
	if (rc < 0 || same || db->readonly) {
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	pthread_mutex_unlock(&db->lock);
	/* one operation of the batch the daemon holds, committed at once */
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = views_install(db->conn);
	if (rc != SQLITE_OK) {
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: views: %s\n", db->path,
			 sqlite3_errmsg(db->conn));
		rc = db_errno(db, rc);
	}
	rc = (int) op_end(db, rc);
	if (rc == 0)
		rc = db_sync(db);
	return rc < 0 ? rc : 1;
}

int db_set_crtime(struct db *db, ino_t ino, const struct timespec *crtime)
{
	sqlite3_stmt *s;
	int rc = op_begin(db);

	if (rc < 0)
		return rc;
	s = stmt(db, S_CRTIME_SET);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	sqlite3_bind_int64(s, 2, ts_to_ns(crtime));
	rc = run(db, s);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = -ENOENT;
	return (int) op_end(db, rc);
}

const char *db_filename(struct db *db)
{
	return db->path;
}

uint64_t db_lost(struct db *db)
{
	uint64_t lost;

	pthread_mutex_lock(&db->lock);
	lost = db->lost;
	pthread_mutex_unlock(&db->lock);
	return lost;
}

struct db_name *db_take_lost_names(struct db *db, int *all)
{
	struct db_name *names;

	pthread_mutex_lock(&db->lock);
	names = db->lost_names;
	*all = db->lost_names_all;
	db->lost_names = NULL;
	db->lost_names_all = 1;
	pthread_mutex_unlock(&db->lock);
	return names;
}

void db_on_lost(struct db *db, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&db->lock);
	db->on_lost = fn;
	db->on_lost_ctx = ctx;
	pthread_mutex_unlock(&db->lock);
}

int db_lost_since(struct db *db, uint64_t *seen)
{
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	if (*seen != db->lost) {
		*seen = db->lost;
		rc = db->lost_errno;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}
