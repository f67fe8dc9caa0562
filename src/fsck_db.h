/*
 * fsck_db.h - the checks and repairs of fsck.sqlitefs, in SQL
 *
 * The one file besides the db layer (db.c, db_*.c) that speaks SQL: it
 * reads the tables of src/schema.sql directly and checks the invariants
 * the db layer keeps (listed in schema.sql and at the head of each
 * db_*.c).  It prints nothing: every finding goes to the caller's
 * callback, one line each.
 *
 * Repairs happen in one transaction, committed at the end of the run: an
 * interrupted fsck changes nothing.  Without repair the database is opened
 * read-only.
 */
#ifndef FSCK_DB_H
#define FSCK_DB_H

#include <stddef.h>

struct fsck;

/* What a finding is. */
enum fsck_kind {
	FSCK_ERROR, /* damage left as it is */
	FSCK_FIXED, /* damage repaired */
	FSCK_NOTE,  /* not damage: an orphan, which the next mount deletes,
		     * or a format-1 database */
};

/* Receives one finding: a line without its newline. */
typedef void (*fsck_report_fn)(void *ctx, enum fsck_kind kind, const char *msg);

/* Counts of one run. */
struct fsck_result {
	long errors;	/* damage found */
	long fixed;	/* of which repaired */
	long notes;	/* orphans found */
	long purged;	/* of which deleted */
	long inodes;	/* inodes checked */
	long blocks;	/* data rows checked */
	int old_format; /* format 1: no change journal (not damage) */
	int upgraded;	/* of which upgraded to format 2 */
};

/*
 * Opens the database in path for checking (read-only, leaving no -wal or
 * -shm behind), or for repair when repair is set, after db_open()'s checks
 * of the format, through db_sqlite_open(): no trigger or view stored in
 * the file runs.  Returns 0, or -errno with a one-line reason in err.
 */
int fsck_open(const char *path, int repair, struct fsck **out, char *err,
	      size_t errsz);

/*
 * Runs every check, repairing what is safe to repair if opened for it,
 * and reports each finding to fn.  Returns 0 with res filled, or -errno
 * when the checks could not run to the end (reason in err): -EIO when the
 * database is too damaged to read, -ECANCELED when a repair failed (disk
 * full, say).  Nothing is changed on failure.
 */
int fsck_run(struct fsck *f, fsck_report_fn fn, void *ctx,
	     struct fsck_result *res, char *err, size_t errsz);

/* Closes the database. */
void fsck_close(struct fsck *f);

#endif
