/*
 * db.c - the connection, its statements and the batch transaction
 *
 * Every SQL statement an operation runs lives in stmt_sql[] below, prepared
 * once at open and reset after each use; the layout is src/schema.sql.  The
 * only other SQL of the daemon runs once per connection or per file, in
 * db_open.c: the pragmas that check and configure a connection, and the
 * scripts of mkfs and of the views (schema.sql, views.sql).
 *
 * Transactions: modifications accumulate in one batch transaction (BEGIN
 * IMMEDIATE ... COMMIT, committed by db_sync()).  Each public function that
 * changes anything runs inside SAVEPOINT op: on error it rolls back to the
 * savepoint, so a failed operation leaves the batch as it was.  Reads go
 * through the same connection and so see the uncommitted batch.  Lock
 * rules: db_impl.h.
 *
 * Lost batches: SQLite may roll the whole batch back by itself (a full
 * disk, an I/O error while writing the WAL).  Such a loss is counted, with
 * the names the batch had changed, for fsync to report and the kernel's
 * caches to be dropped (batch_lost()).
 */
#include "db_impl.h"
#include "lookup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- logging ----------------------------------------------------------- */

static void log_stderr(const char *line)
{
	fputs(line, stderr);
}

/* Where db_log() sends its lines; set once, before any other call. */
static void (*log_fn)(const char *line) = log_stderr;

void db_set_log(void (*fn)(const char *line))
{
	log_fn = fn ? fn : log_stderr;
}

void db_log(const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		log_fn(line);
		free(line);
	}
}

/* --- statements --------------------------------------------------------- */

#define INODE_COLS                                                              \
	"ino, mode, nlink, uid, gid, rdev, size, stored, atime, mtime, ctime, " \
	"flags"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
	[S_INODE_GET] = "SELECT " INODE_COLS " FROM inode WHERE ino = ?1",
	[S_INODE_PUT] = "UPDATE inode SET mode = ?2, nlink = ?3, uid = ?4, "
			"gid = ?5, rdev = ?6, size = ?7, stored = ?8, "
			"atime = ?9, mtime = ?10, ctime = ?11, flags = ?12 "
			"WHERE ino = ?1",
	[S_INODE_NEW] =
		"INSERT INTO inode (mode, nlink, uid, gid, rdev, size, "
		"atime, mtime, ctime, crtime, target, ino, flags) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?7, ?8, ?9, ?10)",
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
	[S_READDIR] =
		"SELECT d.id, d.name, i.ino, i.mode, i.nlink, i.uid, "
		"i.gid, i.rdev, i.size, i.stored, i.atime, i.mtime, "
		"i.ctime, i.flags FROM dentry d JOIN inode i ON i.ino = d.ino "
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
	[S_NEXT_BLOCK] = "SELECT block, length(bytes) FROM data WHERE ino = ?1 "
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
	[S_HAS_SECURITY] = "SELECT EXISTS (SELECT 1 FROM xattr "
			   "WHERE name >= 'security.' AND name < 'security/')",
	[S_HAS_ACL] =
		"SELECT EXISTS (SELECT 1 FROM xattr WHERE name IN "
		"('system.posix_acl_access', 'system.posix_acl_default'))",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_MAX_INO] = "SELECT max(ino) FROM inode",
	[S_NEXT_INO_GET] = "SELECT value FROM settings WHERE key = 'next_ino' "
			   "AND typeof(value) = 'integer'",
	[S_NEXT_INO_PUT] = "INSERT OR REPLACE INTO settings (key, value) "
			   "VALUES ('next_ino', ?1)",
	[S_PAGE_COUNT] = "PRAGMA page_count",
	[S_FREELIST_COUNT] = "PRAGMA freelist_count",
	[S_PAGE_SIZE] = "PRAGMA page_size",
	[S_CRTIME_SET] = "UPDATE inode SET crtime = ?2 WHERE ino = ?1",
};

/*
 * The one place where SQLite result codes become errno values.  Unexpected
 * codes are logged with SQLite's message and become EIO.
 */
int db_errno(struct db *db, int rc)
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
		db_log("sqlitefs: %s: database corrupt: %s\n", db->path,
		       sqlite3_errmsg(db->conn));
		return -EIO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db_log("sqlitefs: %s: database busy: %s\n", db->path,
		       sqlite3_errmsg(db->conn));
		return -EBUSY;
	}
	db_log("sqlitefs: %s: sqlite error %d: %s\n", db->path, rc,
	       sqlite3_errmsg(db->conn));
	return -EIO;
}

/* Runs a one-value query (a count or pragma); -errno or the value. */
int64_t query_int(struct db *db, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(db, id);
	int rc = sqlite3_step(s);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;

	rc = done(db, s, rc);
	return rc < 0 ? rc : v;
}

int stmts_prepare(struct db *db)
{
	int i, rc;

	for (i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->conn, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &db->stmt[i],
					NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* --- what a reader of the last commit may answer ------------------------ */

/* Adds ino to set t; 0, or -1 when t is full. */
static int touch(struct lookup *t, int64_t ino)
{
	if (lookup_count(t, (uint64_t) ino))
		return 0;
	if (lookup_size(t) >= DB_TOUCHED_MAX ||
	    lookup_add(t, (uint64_t) ino, 1) < 0)
		return -1;
	return 0;
}

void touched(struct db *db, int64_t ino)
{
	pthread_mutex_lock(&db->snap_lock);
	if (!db->touched_all && touch(db->touched, ino) < 0)
		db->touched_all = 1;
	pthread_mutex_unlock(&db->snap_lock);
}

void touched_atime(struct db *db, int64_t ino)
{
	pthread_mutex_lock(&db->snap_lock);
	if (!db->touched_all && touch(db->atimes, ino) < 0)
		db->touched_all = 1;
	pthread_mutex_unlock(&db->snap_lock);
}

/* Empties set *t; NULL when out of memory. */
static void clear(struct lookup **t)
{
	if (*t && lookup_size(*t) == 0)
		return;
	lookup_free(*t);
	*t = lookup_new();
}

/*
 * The batch is committed or lost: the last commit is again the whole
 * truth.  After SQLite's commit, so that a reader that began before it and
 * checks before this still finds the batch's inodes touched.
 */
static void snap_reset(struct db *db)
{
	pthread_mutex_lock(&db->snap_lock);
	db->snap_gen++;
	clear(&db->touched);
	clear(&db->atimes);
	db->touched_all = !db->touched || !db->atimes;
	pthread_mutex_unlock(&db->snap_lock);
}

uint64_t db_snap_gen(struct db *db)
{
	uint64_t gen;

	pthread_mutex_lock(&db->snap_lock);
	gen = db->snap_gen;
	pthread_mutex_unlock(&db->snap_lock);
	return gen;
}

int db_snap_clean(struct db *db, uint64_t gen, const uint64_t *ino, size_t n)
{
	int clean;
	size_t i;

	pthread_mutex_lock(&db->snap_lock);
	clean = gen == db->snap_gen && !db->touched_all;
	for (i = 0; clean && i < n; i++)
		clean = lookup_count(db->touched, ino[i]) == 0 &&
			lookup_count(db->atimes, ino[i]) == 0;
	pthread_mutex_unlock(&db->snap_lock);
	return clean;
}

int db_snap_clean_data(struct db *db, uint64_t gen, uint64_t ino,
		       int *atime_set)
{
	int clean;

	pthread_mutex_lock(&db->snap_lock);
	clean = gen == db->snap_gen && !db->touched_all &&
		lookup_count(db->touched, ino) == 0;
	*atime_set = lookup_count(db->atimes, ino) != 0;
	pthread_mutex_unlock(&db->snap_lock);
	return clean;
}

int db_busy(struct db *db)
{
	if (pthread_mutex_trylock(&db->lock) != 0)
		return 1;
	pthread_mutex_unlock(&db->lock);
	return 0;
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
int op_begin_no_savepoint(struct db *db)
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
	/* an operation makes two inodes at most (a rename's whiteout) */
	if (db->ino_ceiling - db->next_ino < 2 && db->next_ino < INT64_MAX) {
		db->dirty = 1;
		rc = commit_locked(db, 1);
		if (rc == 0 && !db->in_tx)
			rc = -EIO;
		if (rc < 0) {
			pthread_mutex_unlock(&db->lock);
			return rc;
		}
	}
	db->no_savepoint = 1;
	return 0;
}

/* Takes the savepoint op_begin_no_savepoint() left out, before any change. */
int op_savepoint(struct db *db)
{
	int rc = 0;

	if (db->no_savepoint) {
		rc = run(db, stmt(db, S_SAVEPOINT));
		if (rc == 0)
			db->no_savepoint = 0;
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
	db_log("sqlitefs: %s: transaction rolled back after an error (%s): "
	       "changes since the last commit are lost\n",
	       db->path, strerror(err < 0 ? -err : EIO));
	db->in_tx = db->dirty = 0;
	db->pending = 0;
	db->batches_lost++;
	db->loss_errno = err < 0 ? err : -EIO;
	while (db->names) {
		struct db_name *n = db->names;

		db->names = n->next;
		n->next = db->lost_names;
		db->lost_names = n;
	}
	db->lost_names_all &= db->names_all;
	db->nnames = 0;
	db->names_all = 1;
	jr_batch_lost(db);
	snap_reset(db);
	if (db->on_lost)
		db->on_lost(db->on_lost_ctx);
}

/*
 * Remembers that the batch changed name in parent; the caller holds the
 * lock.  Without memory or past DB_NAMES_MAX, remembers that it forgot.
 */
void name_changed(struct db *db, int64_t parent, const char *name)
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
int op_begin(struct db *db)
{
	int rc = op_begin_no_savepoint(db);

	if (rc == 0)
		rc = op_savepoint(db);
	if (rc < 0 && db->no_savepoint) {
		db->no_savepoint = 0;
		pthread_mutex_unlock(&db->lock);
	}
	return rc;
}

/*
 * Ends the operation op_begin() started: keeps its changes if rc >= 0,
 * rolls them back otherwise.  Returns rc, or the error of the release.
 */
int64_t op_end(struct db *db, int64_t rc)
{
	int r = 0;

	if (sqlite3_get_autocommit(db->conn)) { /* I/O error, disk full */
		db->no_savepoint = 0;
		rc = rc < 0 ? rc : -EIO; /* even this operation is gone */
		batch_lost(db, (int) rc);
		commit_locked(db, 1); /* only takes the write lock again */
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	if (db->no_savepoint) {
		db->no_savepoint = 0;
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
	jr_op_end(db, rc >= 0);
	if (rc >= 0)
		db->dirty = 1;
	if (sqlite3_get_autocommit(db->conn) && db->in_tx)
		batch_lost(db, (int) (rc < 0 ? rc : r));
	else if (rc >= 0 && jr_flush_if_full(db) < 0 &&
		 sqlite3_get_autocommit(db->conn))
		batch_lost(db, -EIO);
	if (db->pending >= DB_BATCH_BYTES) {
		uint64_t before = db->batches_lost;

		r = commit_locked(db, 1);
		if (r < 0)
			db_log("sqlitefs: %s: commit: %s\n", db->path,
			       strerror(-r));
		if (db->batches_lost != before)
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
		int64_t next_ino = db->next_ino;

		int64_t ceiling = db->ino_ceiling;

		/* inode numbers are handed out below a committed ceiling,
		 * raised with a commit that has changes (an unmount's empty
		 * commit must not become a write that a full disk fails) */
		if (db->dirty && ceiling - next_ino < DB_INO_RESERVE / 2) {
			sqlite3_stmt *s = stmt(db, S_NEXT_INO_PUT);

			ceiling = next_ino < INT64_MAX - DB_INO_RESERVE
					  ? next_ino + DB_INO_RESERVE
					  : INT64_MAX;
			sqlite3_bind_int64(s, 1, ceiling);
			rc = run(db, s);
		}
		/* the events go with the changes, or nothing commits */
		if (rc == 0)
			rc = jr_flush(db);
		if (rc < 0) {
			if (sqlite3_get_autocommit(db->conn))
				batch_lost(db, rc);
			goto out_again;
		}
		rc = run(db, stmt(db, S_COMMIT));
		if (rc < 0 && sqlite3_get_autocommit(db->conn))
			batch_lost(db, rc);
		if (rc == 0 || sqlite3_get_autocommit(db->conn)) {
			db->in_tx = db->dirty = 0;
			db->pending = 0;
		}
		if (rc == 0) {
			db->ino_ceiling = ceiling;
			names_committed(db);
			jr_committed(db);
			snap_reset(db);
		}
	}
out_again:
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

/* --- the connection ------------------------------------------------------ */

int db_close(struct db *db)
{
	int i, rc = 0;

	if (!db)
		return 0;
	pthread_mutex_lock(&db->lock);
	if (db->conn && db->stmt[S_COMMIT])
		rc = commit_locked(db, 0);
	/*
	 * SQLite's close moves the WAL into the database file only when no
	 * other connection has the file open; a reader (a follower of the
	 * journal, a sqlite3 shell) would leave the last commits in the WAL
	 * alone.  Checkpointed here, the file alone holds everything.
	 */
	if (db->conn && !db->readonly && rc == 0)
		sqlite3_wal_checkpoint_v2(
			db->conn, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	jr_close(db);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	if (db->conn && sqlite3_close(db->conn) != SQLITE_OK)
		db_log("sqlitefs: %s: close: %s\n", db->path,
		       sqlite3_errmsg(db->conn));
	pthread_mutex_unlock(&db->lock);
	pthread_mutex_destroy(&db->lock);
	pthread_mutex_destroy(&db->snap_lock);
	lookup_free(db->touched);
	lookup_free(db->atimes);
	db_names_free(db->names);
	db_names_free(db->lost_names);
	free(db->scratch);
	free(db->path);
	free(db);
	return rc;
}

unsigned db_block_size(struct db *db)
{
	return db->block_size;
}

const char *db_filename(struct db *db)
{
	return db->path;
}

uint64_t db_lost(struct db *db)
{
	return atomic_load(&db->batches_lost);
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
	if (*seen != db->batches_lost) {
		*seen = db->batches_lost;
		rc = db->loss_errno;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}
