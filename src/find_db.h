/*
 * find_db.h - what sqlitefs-find reads from a database: entries, inodes,
 * extended attributes, index candidates and the journal
 *
 * A read-only connection (db_sqlite_open(DB_OPEN_READONLY)): on a mounted
 * filesystem a WAL reader that sees the daemon's last commit and never
 * blocks it.  A query runs between find_db_begin() and find_db_end(), one
 * read transaction, so it sees one commit throughout; nothing waits while
 * one is open.
 *
 * Functions return 0 (or what they say) on success, -errno on failure,
 * with the SQLite message in the connection's error (find_db_error()).
 * Row callbacks get one entry with its inode, f->name its name, f->path
 * NULL, and the entry's directory in parent; a callback returning
 * non-zero stops the listing, which returns that value.  A callback may
 * use every other function, but not the one listing.
 */
#ifndef FIND_DB_H
#define FIND_DB_H

#include <stddef.h>
#include <stdint.h>

#include "find.h"

struct find_db;

typedef int find_db_row_fn(void *ctx, int64_t parent, struct find_file *f);

/* The journal's settings (journal.h), as read at find_db_journal(). */
struct find_db_journal {
	char uuid[40];
	int64_t start; /* oldest id retained */
	int64_t next;  /* the id the next event gets */
};

/*
 * Opens the database file path read-only; -errno with a one-line reason
 * in err (as db_sqlite_open()).
 */
int find_db_open(const char *path, struct find_db **out, char *err,
		 size_t errsz);

void find_db_close(struct find_db *db);

/* The last SQLite error message of the connection. */
const char *find_db_error(struct find_db *db);

/* Starts and ends the read transaction of one query. */
int find_db_begin(struct find_db *db);
void find_db_end(struct find_db *db);

/* The attributes of inode ino into f (name and path left); -ENOENT. */
int find_db_stat(struct find_db *db, int64_t ino, struct find_file *f);

/* The inode named name in directory dir; -ENOENT. */
int find_db_lookup(struct find_db *db, int64_t dir, const char *name,
		   int64_t *ino);

/* Calls fn for each entry of directory dir, in readdir (cookie) order. */
int find_db_children(struct find_db *db, int64_t dir, find_db_row_fn *fn,
		     void *ctx);

/* Calls fn for every entry of the filesystem, in the table's order
 * (needs as find_db_candidates()). */
int find_db_scan(struct find_db *db, unsigned needs, find_db_row_fn *fn,
		 void *ctx);

/*
 * The name of directory ino, a malloc'd string, and its parent; -ENOENT
 * for the root or an inode without a name.
 */
int find_db_dir_name(struct find_db *db, int64_t ino, int64_t *parent,
		     char **name);

/* 1 when directory ino has no entries, else 0. */
int find_db_dir_empty(struct find_db *db, int64_t ino);

/* 1 when ino has xattr name (with value, vlen bytes, unless NULL), else 0. */
int find_db_xattr(struct find_db *db, int64_t ino, const char *name,
		  const char *value, size_t vlen);

/*
 * Counts the inodes (FH_NAME: the entries) that meet h, stopping at
 * limit, into *n: the selectivity of a hint.  -ENOENT when no index
 * serves h (search_name, search_size, search_mtime dropped, an xattr
 * without its "search_xattr:NAME" index).
 */
int find_db_count(struct find_db *db, const struct find_hint *h, int64_t limit,
		  int64_t *n);

/*
 * Calls fn for each entry whose inode meets h, found through its index.
 * needs (FIND_NEEDS_* of find.h) says which of the inode's fields fn
 * reads: the others may be left 0 and the inode row unread.
 */
int find_db_candidates(struct find_db *db, const struct find_hint *h,
		       unsigned needs, find_db_row_fn *fn, void *ctx);

/*
 * Calls line for each line of SQLite's plan of the candidate query of h
 * with needs (EXPLAIN QUERY PLAN).
 */
int find_db_explain(struct find_db *db, const struct find_hint *h,
		    unsigned needs, void (*line)(void *ctx, const char *text),
		    void *ctx);

/* Reads the journal's identity and bounds. */
int find_db_journal(struct find_db *db, struct find_db_journal *j);

/* The time of event id; -ENOENT when it is not retained. */
int find_db_event_time(struct find_db *db, int64_t id, int64_t *time);

/*
 * Calls fn for each entry of an inode changed by an event with an id
 * above after (and at most upto), each entry once.
 */
int find_db_changed(struct find_db *db, int64_t after, int64_t upto,
		    find_db_row_fn *fn, void *ctx);

/* An event: its inode, the inode's type (mode & S_IFMT), its JR_* bits. */
typedef int find_db_event_fn(void *ctx, int64_t ino, uint32_t type,
			     unsigned reasons);

/*
 * Calls fn for each event after..upto, oldest first; fn returning
 * non-zero stops.
 */
int find_db_events(struct find_db *db, int64_t after, int64_t upto,
		   find_db_event_fn *fn, void *ctx);

/* Calls fn for each entry naming inode ino. */
int find_db_names(struct find_db *db, int64_t ino, find_db_row_fn *fn,
		  void *ctx);

/* Calls fn with the SQL name of each search index ("search_size"...). */
int find_db_indexes(struct find_db *db, int (*fn)(void *ctx, const char *name),
		    void *ctx);

#endif
