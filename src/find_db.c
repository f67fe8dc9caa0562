/*
 * find_db.c - the SQL of sqlitefs-find (see find_db.h)
 *
 * Every statement is in the table below, prepared at its first use,
 * reset after each use.  The one exception is the candidate query of an
 * extended attribute (xattr_sql()): SQLite uses the partial index
 * "search_xattr:NAME" (ON xattr (value) WHERE name = 'NAME') only for a
 * query whose WHERE holds that very term with the name as a literal, not
 * as a bound parameter, so that text is built with sqlite3_mprintf("%Q"),
 * which quotes the name as an SQL string.  It is the only SQL built at run
 * time in the project's tools.
 *
 * The index queries use CROSS JOIN to fix the join order: the table whose
 * index answers the hint first, then the entries and inodes by key.
 */
#include "find_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_sqlite.h"

/* The columns of a row: an entry and its inode (read_row()). */
#define ROW                                                                    \
	"d.parent, d.name, i.ino, i.mode, i.nlink, i.uid, i.gid, "             \
	"i.size, i.mtime "
#define BY_INODE "FROM inode i CROSS JOIN dentry d ON d.ino = i.ino "
/* The same columns without the inode row: its fields 0, size from an
 * index that holds it (find_db_candidates() with needs). */
#define LEAN_ROW "d.parent, d.name, d.ino, 0, 0, 0, 0, 0, 0 "
#define LEAN_SIZE_ROW "d.parent, d.name, i.ino, 0, 0, 0, 0, i.size, 0 "

enum find_stmt {
	Q_BEGIN,
	Q_END,
	Q_STAT,
	Q_LOOKUP,
	Q_CHILDREN,
	Q_SCAN,
	Q_LEAN_SCAN,
	Q_DIR_NAME,
	Q_DIR_EMPTY,
	Q_XATTR,
	Q_BY_NAME,
	Q_BY_SIZE,
	Q_BY_MTIME,
	Q_BY_INUM,
	Q_LEAN_NAME,
	Q_LEAN_SIZE,
	Q_COUNT_NAME,
	Q_COUNT_SIZE,
	Q_COUNT_MTIME,
	Q_COUNT_INUM,
	Q_HAS_INDEX,
	Q_INDEXES,
	Q_SETTING,
	Q_EVENT_TIME,
	Q_CHANGED,
	Q_CHANGED_INOS,
	Q_NAMES,
	Q_COUNT
};

static const char *const find_sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN",
	[Q_END] = "COMMIT",
	[Q_STAT] = "SELECT 0, '', ino, mode, nlink, uid, gid, size, mtime "
		   "FROM inode WHERE ino = ?1",
	[Q_LOOKUP] = "SELECT ino FROM dentry WHERE parent = ?1 AND name = ?2",
	[Q_CHILDREN] = "SELECT " ROW "FROM dentry d CROSS JOIN inode i "
		       "ON i.ino = d.ino WHERE d.parent = ?1 ORDER BY d.id",
	[Q_SCAN] = "SELECT " ROW "FROM dentry d CROSS JOIN inode i "
		   "ON i.ino = d.ino",
	[Q_LEAN_SCAN] = "SELECT " LEAN_ROW "FROM dentry d",
	[Q_DIR_NAME] = "SELECT parent, name FROM dentry WHERE ino = ?1 "
		       "LIMIT 1",
	[Q_DIR_EMPTY] = "SELECT 1 FROM dentry WHERE parent = ?1 LIMIT 1",
	[Q_XATTR] = "SELECT value FROM xattr WHERE ino = ?1 AND name = ?2",
	[Q_BY_NAME] = "SELECT " ROW "FROM dentry d CROSS JOIN inode i "
		      "ON i.ino = d.ino WHERE d.name = ?1",
	[Q_BY_SIZE] = "SELECT " ROW BY_INODE "WHERE i.size BETWEEN ?1 AND ?2",
	[Q_BY_MTIME] = "SELECT " ROW BY_INODE "WHERE i.mtime BETWEEN ?1 AND ?2",
	[Q_BY_INUM] = "SELECT " ROW BY_INODE "WHERE i.ino BETWEEN ?1 AND ?2",
	[Q_LEAN_NAME] = "SELECT " LEAN_ROW "FROM dentry d WHERE d.name = ?1",
	[Q_LEAN_SIZE] = "SELECT " LEAN_SIZE_ROW BY_INODE
			"WHERE i.size BETWEEN ?1 AND ?2",
	[Q_COUNT_NAME] = "SELECT count(*) FROM (SELECT 1 FROM dentry "
			 "WHERE name = ?1 LIMIT ?2)",
	[Q_COUNT_SIZE] = "SELECT count(*) FROM (SELECT 1 FROM inode "
			 "WHERE size BETWEEN ?1 AND ?2 LIMIT ?3)",
	[Q_COUNT_MTIME] = "SELECT count(*) FROM (SELECT 1 FROM inode "
			  "WHERE mtime BETWEEN ?1 AND ?2 LIMIT ?3)",
	[Q_COUNT_INUM] = "SELECT count(*) FROM (SELECT 1 FROM inode "
			 "WHERE ino BETWEEN ?1 AND ?2 LIMIT ?3)",
	[Q_HAS_INDEX] = "SELECT 1 FROM sqlite_schema WHERE type = 'index' "
			"AND name = ?1",
	[Q_INDEXES] = "SELECT name FROM sqlite_schema WHERE type = 'index' "
		      "AND name LIKE 'search\\_%' ESCAPE '\\' ORDER BY name",
	[Q_SETTING] = "SELECT value FROM settings WHERE key = ?1",
	[Q_EVENT_TIME] = "SELECT time FROM journal WHERE id = ?1",
	[Q_CHANGED] = "SELECT " ROW BY_INODE "WHERE i.ino IN (SELECT ino "
		      "FROM journal WHERE id > ?1 AND id <= ?2)",
	[Q_CHANGED_INOS] = "SELECT ino, type, reasons FROM journal "
			   "WHERE id > ?1 AND id <= ?2 ORDER BY id",
	[Q_NAMES] = "SELECT " ROW "FROM dentry d CROSS JOIN inode i "
		    "ON i.ino = d.ino WHERE d.ino = ?1",
};

struct find_db {
	sqlite3 *conn;
	sqlite3_stmt *stmt[Q_COUNT];
};

/* -errno for a SQLite result code. */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * Statement q, prepared at its first use (a query uses a few of them, and
 * preparing them all was a tenth of a short query's time), or NULL when it
 * cannot be prepared (find_db_error() says why).
 */
static sqlite3_stmt *stmt(struct find_db *db, enum find_stmt q)
{
	if (!db->stmt[q])
		sqlite3_prepare_v3(db->conn, find_sql[q], -1,
				   SQLITE_PREPARE_PERSISTENT, &db->stmt[q],
				   NULL);
	return db->stmt[q];
}

int find_db_open(const char *path, struct find_db **out, char *err,
		 size_t errsz)
{
	struct find_db *db = calloc(1, sizeof(*db));
	int rc;

	*out = NULL;
	if (!db)
		return -ENOMEM;
	rc = db_sqlite_open(path, DB_OPEN_READONLY, &db->conn, err, errsz);
	if (rc < 0) {
		free(db);
		return rc;
	}
	/* a checkpoint or WAL recovery may hold a lock for a moment */
	sqlite3_busy_timeout(db->conn, 10000);
	/* a query reads many pages once each, a candidate list the same
	 * directory pages again and again: keep up to 32 MiB */
	sqlite3_exec(db->conn, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
	/*
	 * Read the file through a memory map rather than pread(2) into the
	 * page cache, and without the cell checks of every page fetched
	 * (db_sqlite_open() sets both the other way, as the daemon needs).
	 * An index query touches some 3 000 pages, most of them once:
	 * copying each 16 KiB page into freshly allocated memory and checking
	 * all of its cells was most of its time.  The two go together: with
	 * the map alone SQLite checks a mapped page again each time it
	 * fetches it, which costs more than it saves.
	 *
	 * Both are safe for this program, which never writes: the connection
	 * is read-only (opened so, or query_only) and SQLite maps the file
	 * PROT_READ, so a damaged page cannot be written back ("spread", what
	 * the check guards against); SQLite's reads of a page stay bounds-
	 * checked, and a damaged file still fails its query with
	 * SQLITE_CORRUPT.  In WAL mode SQLite never shrinks the file under a
	 * reader's snapshot.  A file truncated under the program by someone
	 * else makes a read of a mapped page past the new end raise SIGBUS:
	 * the program dies of that signal (status 135 in a shell) instead of
	 * exiting 1 with "database disk image is malformed", having written
	 * nothing, and perhaps part of its output.  SQLite caps the map at its
	 * SQLITE_MAX_MMAP_SIZE (2 GiB by default) and reads the rest of a
	 * larger file as before.
	 */
	sqlite3_exec(db->conn,
		     "PRAGMA mmap_size = 1099511627776; "
		     "PRAGMA cell_size_check = OFF",
		     NULL, NULL, NULL);
	*out = db;
	return 0;
}

void find_db_close(struct find_db *db)
{
	int i;

	if (!db)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->conn);
	free(db);
}

const char *find_db_error(struct find_db *db)
{
	return sqlite3_errmsg(db->conn);
}

/* Steps a statement that returns nothing; resets it. */
static int exec(struct find_db *db, enum find_stmt q)
{
	sqlite3_stmt *s = stmt(db, q);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_errno(rc);
}

int find_db_begin(struct find_db *db)
{
	int rc = exec(db, Q_BEGIN);

	/* the snapshot starts with the first read: take it now */
	return rc ? rc : find_db_journal(db, &(struct find_db_journal){0});
}

void find_db_end(struct find_db *db)
{
	if (!sqlite3_get_autocommit(db->conn))
		exec(db, Q_END);
}

/* Fills parent and f from the current row of s (ROW's columns). */
static void read_row(sqlite3_stmt *s, int64_t *parent, struct find_file *f)
{
	*parent = sqlite3_column_int64(s, 0);
	f->name = (const char *) sqlite3_column_text(s, 1);
	f->path = NULL;
	f->ino = sqlite3_column_int64(s, 2);
	f->mode = (uint32_t) sqlite3_column_int64(s, 3);
	f->nlink = sqlite3_column_int64(s, 4);
	f->uid = sqlite3_column_int64(s, 5);
	f->gid = sqlite3_column_int64(s, 6);
	f->size = sqlite3_column_int64(s, 7);
	f->mtime = sqlite3_column_int64(s, 8);
}

/* Steps through the bound statement q, calling fn per row; resets it. */
static int each_row(struct find_db *db, sqlite3_stmt *s, find_db_row_fn *fn,
		    void *ctx)
{
	struct find_file f = {0};
	int64_t parent;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop;

		read_row(s, &parent, &f);
		if (!f.name) {
			rc = SQLITE_NOMEM;
			break;
		}
		stop = fn(ctx, parent, &f);
		if (stop) {
			sqlite3_reset(s);
			return stop;
		}
	}
	sqlite3_reset(s);
	(void) db;
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

/* Steps s once: 1 with a row (left for the caller to read and reset),
 * 0 without (reset), -errno. */
static int step_one(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

int find_db_stat(struct find_db *db, int64_t ino, struct find_file *f)
{
	sqlite3_stmt *s = stmt(db, Q_STAT);
	int64_t unused;
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ino);
	rc = step_one(s);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	read_row(s, &unused, f);
	f->name = NULL;
	sqlite3_reset(s);
	return 0;
}

int find_db_lookup(struct find_db *db, int64_t dir, const char *name,
		   int64_t *ino)
{
	sqlite3_stmt *s = stmt(db, Q_LOOKUP);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, dir);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = step_one(s);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	*ino = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int find_db_children(struct find_db *db, int64_t dir, find_db_row_fn *fn,
		     void *ctx)
{
	sqlite3_stmt *s = stmt(db, Q_CHILDREN);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, dir);
	return each_row(db, s, fn, ctx);
}

int find_db_scan(struct find_db *db, unsigned needs, find_db_row_fn *fn,
		 void *ctx)
{
	sqlite3_stmt *s = stmt(db, needs ? Q_SCAN : Q_LEAN_SCAN);

	return s ? each_row(db, s, fn, ctx) : -EIO;
}

int find_db_dir_name(struct find_db *db, int64_t ino, int64_t *parent,
		     char **name)
{
	sqlite3_stmt *s = stmt(db, Q_DIR_NAME);
	const char *text;
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ino);
	rc = step_one(s);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	text = (const char *) sqlite3_column_text(s, 1);
	*parent = sqlite3_column_int64(s, 0);
	*name = text ? strdup(text) : NULL;
	sqlite3_reset(s);
	/* no text: a damaged entry without a name */
	return *name ? 0 : text ? -ENOMEM : -EIO;
}

int find_db_dir_empty(struct find_db *db, int64_t ino)
{
	sqlite3_stmt *s = stmt(db, Q_DIR_EMPTY);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ino);
	rc = step_one(s);
	if (rc == 1)
		sqlite3_reset(s);
	return rc < 0 ? rc : !rc;
}

int find_db_xattr(struct find_db *db, int64_t ino, const char *name,
		  const char *value, size_t vlen)
{
	sqlite3_stmt *s = stmt(db, Q_XATTR);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ino);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = step_one(s);
	if (rc <= 0)
		return rc;
	if (value)
		rc = (size_t) sqlite3_column_bytes(s, 0) == vlen &&
		     (!vlen || !memcmp(sqlite3_column_blob(s, 0), value, vlen));
	sqlite3_reset(s);
	return rc;
}

/* 1 when the database has an index of that SQL name, else 0. */
static int has_index(struct find_db *db, const char *name)
{
	sqlite3_stmt *s = stmt(db, Q_HAS_INDEX);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = step_one(s);
	if (rc == 1)
		sqlite3_reset(s);
	return rc;
}

/*
 * The query of an xattr hint (see the head of this file): its candidates,
 * or with count its count up to ?2.  NULL when the index "search_xattr:
 * NAME" is missing (*rc -ENOENT) or on error.  sqlite3_free() it.
 */
static char *xattr_sql(struct find_db *db, const struct find_hint *h, int count,
		       int lean, int *rc)
{
	char *index = sqlite3_mprintf("search_xattr:%s", h->name);
	const char *value = h->value ? " AND x.value = ?1" : "";

	*rc = index ? has_index(db, index) : -ENOMEM;
	sqlite3_free(index);
	if (*rc <= 0) {
		*rc = *rc ? *rc : -ENOENT;
		return NULL;
	}
	*rc = -ENOMEM;
	if (count)
		return sqlite3_mprintf("SELECT count(*) FROM (SELECT 1 FROM "
				       "xattr x WHERE x.name = %Q%s LIMIT ?2)",
				       h->name, value);
	if (lean)
		return sqlite3_mprintf("SELECT " LEAN_ROW "FROM xattr x CROSS "
				       "JOIN dentry d ON d.ino = x.ino WHERE "
				       "x.name = %Q%s",
				       h->name, value);
	return sqlite3_mprintf("SELECT " ROW "FROM xattr x CROSS JOIN dentry "
			       "d ON d.ino = x.ino CROSS JOIN inode i ON "
			       "i.ino = x.ino WHERE x.name = %Q%s",
			       h->name, value);
}

/*
 * The statement of hint h, bound (count: the counting one, limit in
 * the last parameter; else the candidates, needs as find_db_candidates()).
 * *owned is set when it was prepared here (an xattr query) and must be
 * finalized rather than reset.
 */
static int hint_stmt(struct find_db *db, const struct find_hint *h, int count,
		     int64_t limit, unsigned needs, sqlite3_stmt **out,
		     int *owned)
{
	static const enum find_stmt by[] = {Q_BY_NAME, Q_BY_SIZE, Q_BY_MTIME,
					    Q_BY_INUM};
	static const enum find_stmt counts[] = {Q_COUNT_NAME, Q_COUNT_SIZE,
						Q_COUNT_MTIME, Q_COUNT_INUM};
	sqlite3_stmt *s;
	int rc;

	*owned = h->kind == FH_XATTR;
	if (*owned) {
		char *sql = xattr_sql(db, h, count, !needs, &rc);

		if (!sql)
			return rc;
		rc = sqlite3_prepare_v2(db->conn, sql, -1, &s, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return sql_errno(rc);
		if (h->value)
			sqlite3_bind_blob(s, 1, h->value, (int) h->vlen,
					  SQLITE_STATIC);
		if (count)
			sqlite3_bind_int64(s, 2, limit);
	} else {
		enum find_stmt q = count ? counts[h->kind] : by[h->kind];

		if (q == Q_BY_NAME && !needs)
			q = Q_LEAN_NAME;
		else if (q == Q_BY_SIZE && !(needs & FIND_NEEDS_MODE))
			q = Q_LEAN_SIZE;
		s = stmt(db, q);
		if (!s)
			return -EIO;
		if (h->kind == FH_NAME) {
			sqlite3_bind_text(s, 1, h->name, -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_int64(s, 1, h->lo);
			sqlite3_bind_int64(s, 2, h->hi);
		}
		if (count)
			sqlite3_bind_int64(s, h->kind == FH_NAME ? 2 : 3,
					   limit);
	}
	*out = s;
	return 0;
}

static void hint_done(sqlite3_stmt *s, int owned)
{
	if (owned)
		sqlite3_finalize(s);
	else
		sqlite3_reset(s);
}

int find_db_count(struct find_db *db, const struct find_hint *h, int64_t limit,
		  int64_t *n)
{
	static const char *const index[] = {"search_name", "search_size",
					    "search_mtime"};
	sqlite3_stmt *s;
	int owned, rc;

	if (h->kind <= FH_MTIME) {
		rc = has_index(db, index[h->kind]);
		if (rc <= 0)
			return rc ? rc : -ENOENT;
	}
	rc = hint_stmt(db, h, 1, limit, 0, &s, &owned);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	hint_done(s, owned);
	return rc == SQLITE_ROW ? 0 : sql_errno(rc);
}

int find_db_candidates(struct find_db *db, const struct find_hint *h,
		       unsigned needs, find_db_row_fn *fn, void *ctx)
{
	sqlite3_stmt *s;
	int owned, rc;

	rc = hint_stmt(db, h, 0, 0, needs, &s, &owned);
	if (rc < 0)
		return rc;
	rc = each_row(db, s, fn, ctx);
	if (owned)
		sqlite3_finalize(s);
	return rc;
}

int find_db_explain(struct find_db *db, const struct find_hint *h,
		    unsigned needs, void (*line)(void *ctx, const char *text),
		    void *ctx)
{
	sqlite3_stmt *s, *plan;
	int owned, rc;
	char *sql;

	rc = hint_stmt(db, h, 0, 0, needs, &s, &owned);
	if (rc < 0)
		return rc;
	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
	hint_done(s, owned);
	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db->conn, sql, -1, &plan, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return sql_errno(rc);
	while ((rc = sqlite3_step(plan)) == SQLITE_ROW)
		line(ctx, (const char *) sqlite3_column_text(plan, 3));
	sqlite3_finalize(plan);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

/* Reads settings key as an integer, or into buf as text. */
static int setting(struct find_db *db, const char *key, int64_t *v, char *buf,
		   size_t size)
{
	sqlite3_stmt *s = stmt(db, Q_SETTING);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = step_one(s);
	if (rc <= 0)
		return rc ? rc : -ENOTSUP;
	if (v)
		*v = sqlite3_column_int64(s, 0);
	if (buf)
		snprintf(buf, size, "%s",
			 (const char *) sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

int find_db_journal(struct find_db *db, struct find_db_journal *j)
{
	int rc = setting(db, "uuid", NULL, j->uuid, sizeof(j->uuid));

	if (!rc)
		rc = setting(db, "journal_start", &j->start, NULL, 0);
	if (!rc)
		rc = setting(db, "journal_next", &j->next, NULL, 0);
	return rc;
}

int find_db_event_time(struct find_db *db, int64_t id, int64_t *time)
{
	sqlite3_stmt *s = stmt(db, Q_EVENT_TIME);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = step_one(s);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	*time = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int find_db_changed(struct find_db *db, int64_t after, int64_t upto,
		    find_db_row_fn *fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, Q_CHANGED);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, upto);
	return each_row(db, s, fn, ctx);
}

int find_db_events(struct find_db *db, int64_t after, int64_t upto,
		   find_db_event_fn *fn, void *ctx)
{
	sqlite3_stmt *s = stmt(db, Q_CHANGED_INOS);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, upto);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop = fn(ctx, sqlite3_column_int64(s, 0),
			      (uint32_t) sqlite3_column_int64(s, 1),
			      (unsigned) sqlite3_column_int64(s, 2));

		if (stop) {
			sqlite3_reset(s);
			return stop;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

int find_db_names(struct find_db *db, int64_t ino, find_db_row_fn *fn,
		  void *ctx)
{
	sqlite3_stmt *s = stmt(db, Q_NAMES);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ino);
	return each_row(db, s, fn, ctx);
}

int find_db_indexes(struct find_db *db, int (*fn)(void *ctx, const char *name),
		    void *ctx)
{
	sqlite3_stmt *s = stmt(db, Q_INDEXES);
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop = fn(ctx, (const char *) sqlite3_column_text(s, 0));

		if (stop) {
			sqlite3_reset(s);
			return stop;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}
