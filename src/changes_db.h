/*
 * changes_db.h - what sqlitefs-changes reads of a database: the journal's
 * settings and its events, through a read-only connection
 *
 * Everything is read inside short read transactions that the caller
 * opens with changes_begin() and ends with changes_end() before it waits
 * or writes to a pipe: a reader holding one keeps the daemon's WAL from
 * being checkpointed.  Within one transaction the settings and the events
 * agree (one snapshot of the last commit).
 */
#ifndef CHANGES_DB_H
#define CHANGES_DB_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

struct changes_db;

/* The journal's settings and size, as of one snapshot. */
struct changes_state {
	char uuid[JR_UUID_LEN + 1]; /* the filesystem's identity */
	int enabled;		    /* settings journal: events recorded */
	int64_t start;		    /* oldest retained id (journal_start) */
	int64_t next;		    /* the id the next event gets */
	int64_t max_events;	    /* retention, 0: no limit */
	int64_t max_age;	    /* seconds, 0: no limit */
};

/* One event (a journal row); the strings live until the next row. */
struct changes_event {
	int64_t id, time, ino;
	unsigned type, reasons;
	const char *path;     /* NULL when no name was left */
	size_t path_len;      /* bytes: names are raw bytes */
	const char *old_path; /* NULL unless renamed or removed */
	size_t old_path_len;
	int64_t parent, old_parent; /* -1 when NULL */
	int has_data;		    /* data_start, data_end are set */
	int64_t data_start, data_end;
};

/*
 * Opens the database file path read-only (db_sqlite_open(), a WAL reader
 * that never blocks the daemon).  Returns 0; -ENOTSUP when it is a
 * sqlitefs database without a journal (format 1); another -errno as
 * db_sqlite_open() with a one-line reason in err.
 */
int changes_open(const char *path, struct changes_db **out, char *err,
		 size_t errsz);

/* Closes; no transaction may be open. */
void changes_close(struct changes_db *db);

/*
 * Starts a read transaction and reads the settings into *st.  Returns 0,
 * or -errno (-EIO, -EINVAL for settings that make no sense) with a reason
 * in err and no transaction left open.
 */
int changes_begin(struct changes_db *db, struct changes_state *st, char *err,
		  size_t errsz);

/* Ends the read transaction of changes_begin(). */
void changes_end(struct changes_db *db);

/*
 * In the transaction: the time of event id into *time.  Returns 1, 0 if
 * that event is not in the table, or -EIO.
 */
int changes_event_time(struct changes_db *db, int64_t id, int64_t *time);

/*
 * In the transaction: calls fn for the events with after < id < until
 * and time >= min_time, in id order, at most max of them, until fn
 * returns non-zero.  Returns the number of events passed to fn, or -EIO.
 */
int changes_each(struct changes_db *db, int64_t after, int64_t until,
		 int64_t min_time, int max,
		 int (*fn)(const struct changes_event *ev, void *ctx),
		 void *ctx);

/*
 * In the transaction: the number of retained events and the bytes they
 * take: the size of the table's pages where SQLite has dbstat, else an
 * estimate from the lengths of their values.  Returns 0 or -EIO.
 */
int changes_size(struct changes_db *db, int64_t *events, int64_t *bytes);

/* The last SQLite message of db, for errors. */
const char *changes_errmsg(struct changes_db *db);

#endif
