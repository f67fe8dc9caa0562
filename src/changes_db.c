/*
 * changes_db.c - the SQL of sqlitefs-changes: the journal's settings and
 * events, read through a read-only connection (changes_db.h)
 *
 * Invariants: the connection is opened by db_sqlite_open() read-only, so
 * nothing here writes to the database or takes a lock that could block
 * the daemon (a WAL reader only); every statement is prepared once at
 * open and reset after each use; a read transaction lasts from
 * changes_begin() to changes_end() and no longer, so the WAL can be
 * checkpointed while the caller waits.
 */
#include "changes_db.h"
#include "db.h"
#include "db_sqlite.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

enum stmt_id {
	S_BEGIN,
	S_END,
	S_SETTINGS,
	S_EVENT_TIME,
	S_EVENTS,
	S_COUNT,
	S_PAGES, /* optional: SQLite may be built without dbstat */
	S_NSTMT
};

static const char *const stmt_sql[S_NSTMT] = {
	[S_BEGIN] = "BEGIN",
	[S_END] = "COMMIT",
	[S_SETTINGS] = "SELECT key, value FROM settings WHERE key IN "
		       "('uuid', 'journal', 'journal_next', 'journal_start', "
		       "'journal_max_events', 'journal_max_age')",
	[S_EVENT_TIME] = "SELECT time FROM journal WHERE id = ?1",
	[S_EVENTS] = "SELECT id, time, ino, type, reasons, parent, path, "
		     "old_parent, old_path, data_start, data_end FROM journal "
		     "WHERE id > ?1 AND id < ?2 AND time >= ?3 ORDER BY id "
		     "LIMIT ?4",
	/* an estimate: the values' lengths, 8 bytes per integer column and
	 * a few bytes of record and b-tree overhead per row */
	[S_COUNT] = "SELECT count(*), coalesce(sum(80 + coalesce(length(path), "
		    "0) + coalesce(length(old_path), 0)), 0) FROM journal",
	/* the pages the table takes, where dbstat is built in */
	[S_PAGES] = "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = "
		    "'journal'",
};

struct changes_db {
	sqlite3 *conn;
	sqlite3_stmt *stmt[S_NSTMT];
};

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* The format version of an open connection, or -1. */
static int format_version(sqlite3 *conn)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int changes_open(const char *path, struct changes_db **out, char *err,
		 size_t errsz)
{
	struct changes_db *db;
	int rc, i;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	rc = db_sqlite_open(path, DB_OPEN_READONLY, &db->conn, err, errsz);
	if (rc < 0) {
		free(db);
		return rc;
	}
	/* format 1 has no journal; db_sqlite_open() refused newer ones */
	if (format_version(db->conn) < 2) {
		set_err(err, errsz,
			"a format 1 database keeps no journal: mount it "
			"read-write once or run fsck.sqlitefs -y to add it");
		changes_close(db);
		return -ENOTSUP;
	}
	for (i = 0; i < S_NSTMT; i++) {
		if (sqlite3_prepare_v3(db->conn, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &db->stmt[i],
				       NULL) != SQLITE_OK &&
		    i != S_PAGES) {
			set_err(err, errsz, "damaged: %s",
				sqlite3_errmsg(db->conn));
			changes_close(db);
			return -EINVAL;
		}
	}
	*out = db;
	return 0;
}

void changes_close(struct changes_db *db)
{
	int i;

	if (!db)
		return;
	for (i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->conn);
	free(db);
}

/* Runs a statement without result rows; SQLite's code. */
static int run(struct changes_db *db, enum stmt_id id)
{
	int rc = sqlite3_step(db->stmt[id]);

	sqlite3_reset(db->stmt[id]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Stores one settings row in *st; -1 if its value makes no sense. */
static int read_setting(sqlite3_stmt *s, struct changes_state *st)
{
	const char *key = (const char *) sqlite3_column_text(s, 0);
	const char *text = (const char *) sqlite3_column_text(s, 1);
	int64_t v = sqlite3_column_int64(s, 1);

	if (!key)
		return -1; /* damaged */
	if (!strcmp(key, JR_KEY_UUID)) {
		if (!text || !jr_uuid_valid(text))
			return -1;
		memcpy(st->uuid, text, JR_UUID_LEN + 1);
		return 0;
	}
	if (sqlite3_column_type(s, 1) != SQLITE_INTEGER || v < 0)
		return -1;
	if (!strcmp(key, JR_KEY_ENABLED))
		st->enabled = v != 0;
	else if (!strcmp(key, JR_KEY_NEXT))
		st->next = v;
	else if (!strcmp(key, JR_KEY_START))
		st->start = v;
	else if (!strcmp(key, JR_KEY_MAX_EVENTS))
		st->max_events = v;
	else
		st->max_age = v;
	return 0;
}

int changes_begin(struct changes_db *db, struct changes_state *st, char *err,
		  size_t errsz)
{
	sqlite3_stmt *s = db->stmt[S_SETTINGS];
	int rc, bad = 0;

	memset(st, 0, sizeof(*st));
	st->start = st->next = -1;
	rc = run(db, S_BEGIN);
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot read: %s", sqlite3_errstr(rc));
		return -EIO;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		bad |= read_setting(s, st);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		set_err(err, errsz, "cannot read: %s",
			sqlite3_errmsg(db->conn));
		changes_end(db);
		return -EIO;
	}
	if (bad || !st->uuid[0] || st->start < 1 || st->next < st->start) {
		set_err(err, errsz,
			"damaged: bad journal settings (run "
			"fsck.sqlitefs)");
		changes_end(db);
		return -EINVAL;
	}
	return 0;
}

void changes_end(struct changes_db *db)
{
	/* a read transaction: nothing to lose if COMMIT fails */
	if (run(db, S_END) != SQLITE_OK)
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

int changes_event_time(struct changes_db *db, int64_t id, int64_t *time)
{
	sqlite3_stmt *s = db->stmt[S_EVENT_TIME];
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*time = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Column i of s as an int64, or -1 when NULL. */
static int64_t column_or(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
		       ? -1
		       : sqlite3_column_int64(s, i);
}

/* Fills ev from the current row of S_EVENTS. */
static void read_event(sqlite3_stmt *s, struct changes_event *ev)
{
	ev->id = sqlite3_column_int64(s, 0);
	ev->time = sqlite3_column_int64(s, 1);
	ev->ino = sqlite3_column_int64(s, 2);
	ev->type = (unsigned) sqlite3_column_int64(s, 3);
	ev->reasons = (unsigned) sqlite3_column_int64(s, 4);
	ev->parent = column_or(s, 5);
	/* names are bytes: read as blobs, so no conversion happens */
	ev->path = sqlite3_column_type(s, 6) == SQLITE_NULL
			   ? NULL
			   : (const char *) sqlite3_column_blob(s, 6);
	ev->path_len = (size_t) sqlite3_column_bytes(s, 6);
	if (!ev->path && sqlite3_column_type(s, 6) != SQLITE_NULL)
		ev->path = ""; /* an empty blob */
	ev->old_parent = column_or(s, 7);
	ev->old_path = sqlite3_column_type(s, 8) == SQLITE_NULL
			       ? NULL
			       : (const char *) sqlite3_column_blob(s, 8);
	ev->old_path_len = (size_t) sqlite3_column_bytes(s, 8);
	if (!ev->old_path && sqlite3_column_type(s, 8) != SQLITE_NULL)
		ev->old_path = "";
	ev->has_data = sqlite3_column_type(s, 9) != SQLITE_NULL &&
		       sqlite3_column_type(s, 10) != SQLITE_NULL;
	ev->data_start = column_or(s, 9);
	ev->data_end = column_or(s, 10);
}

int changes_each(struct changes_db *db, int64_t after, int64_t until,
		 int64_t min_time, int max,
		 int (*fn)(const struct changes_event *ev, void *ctx),
		 void *ctx)
{
	sqlite3_stmt *s = db->stmt[S_EVENTS];
	struct changes_event ev;
	int rc, n = 0;

	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, until);
	sqlite3_bind_int64(s, 3, min_time);
	sqlite3_bind_int(s, 4, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_event(s, &ev);
		n++;
		if (fn(&ev, ctx))
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -EIO;
}

int changes_size(struct changes_db *db, int64_t *events, int64_t *bytes)
{
	sqlite3_stmt *s = db->stmt[S_COUNT];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		*events = sqlite3_column_int64(s, 0);
		*bytes = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return -EIO;
	s = db->stmt[S_PAGES];
	if (s && sqlite3_step(s) == SQLITE_ROW)
		*bytes = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	return 0;
}

const char *changes_errmsg(struct changes_db *db)
{
	return sqlite3_errmsg(db->conn);
}
