/*
 * fsck_impl.h - what the files of fsck's checks share (private)
 *
 * fsck_db.c (opening, loading, the checks of inodes, data, xattrs and the
 * tree, the run) and fsck_journal_db.c (the change journal, its settings
 * and the search indexes) work on one struct fsck: the inodes and
 * dentries read into memory, and the repairs queued as statements of
 * fsck_db.c's table.
 */
#ifndef FSCK_IMPL_H
#define FSCK_IMPL_H

#include "fsck_db.h"

#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;

/* Statement ids of fsck_db.c's table (fsck_sql[]), prepared at open. */
enum fsck_stmt {
	F_INTEGRITY,
	F_FK_CHECK,
	F_BLOCK_SIZE,
	F_INODES,
	F_DENTRIES,
	F_DATA,
	F_XATTRS,
	F_BEGIN,
	F_COMMIT,
	F_ROLLBACK,
	F_DATA_DELETE,
	F_DATA_TRIM,
	F_DATA_DELETE_INO,
	F_XATTR_DELETE,
	F_XATTR_DELETE_INO,
	F_INODE_MODE,
	F_INODE_SIZE,
	F_INODE_STORED,
	F_INODE_FLAGS,
	F_INODE_NLINK,
	F_INODE_UNTARGET,
	F_INODE_DELETE,
	F_INODE_NEW_DIR,
	F_DENTRY_DELETE,
	F_DENTRY_DELETE_INO,
	F_DENTRY_DELETE_PARENT,
	F_DENTRY_RENAME,
	F_DENTRY_NEW,
	F_SEARCH_OBJECTS,
	F_SETTINGS_JOURNAL,
	F_SETTING_PUT,
	F_UUID_NEW,
	F_SETTINGS_JOURNAL_DELETE,
	/* from here on, only in a database with a journal (format 2) */
	F_JOURNAL_ROWS,
	F_JOURNAL_TRIM,
	F_COUNT
};

/* An inode as fsck sees it. */
struct fsck_inode {
	int64_t ino;
	int64_t mode;
	int64_t nlink;
	int64_t size;
	int64_t stored;
	int64_t flags;	    /* chattr flags: DB_FL_* */
	int64_t target_len; /* -1: no target */
	int64_t maxend;	    /* end of the last byte in its data rows */
	int64_t sum;	    /* bytes in its data rows */
	int64_t names;	    /* dentries naming it */
	int64_t subdirs;    /* subdirectories it holds */
	int reached;	    /* reachable from the root */
	int gone;	    /* deleted by a repair */
	int made;	    /* the lost+found this run makes */
	int imagined;	    /* the lost+found a repair would make */
};

/* A directory entry. */
struct fsck_entry {
	int64_t id;
	int64_t parent;
	int64_t ino;
	char *name; /* the bytes of the name, NUL-terminated */
	int len;    /* its length in bytes */
	int dead;   /* deleted by a repair */
};

/* What a queued repair runs. */
enum fix_kind {
	FIX_STMT,    /* statement id with its parameters */
	FIX_SQL,     /* text, a statement built for the object it names */
	FIX_UPGRADE, /* db_sqlite_upgrade(): format 1 to the current one */
};

/* One queued repair: a statement and its parameters. */
struct fix {
	enum fix_kind kind;
	enum fsck_stmt id;
	int64_t a, b, c;
	char *text; /* ?4 as text, or ?5 as a blob of len bytes; FIX_SQL */
	int len, blob;
};

struct fsck {
	struct sqlite3 *conn;
	struct sqlite3_stmt *stmt[F_COUNT];
	int repair;	 /* opened for repair */
	int fixing;	 /* repairing: opened for it and SQLite's file sound */
	int64_t version; /* the format, PRAGMA user_version */
	int64_t has_journal;   /* the table journal is there */
	int64_t bs;	       /* bytes per data block */
	struct fsck_inode *in; /* inodes by inode number */
	size_t nin;	       /* how many */
	struct fsck_entry *de; /* dentries by parent, then id */
	size_t nde;	       /* how many */
	size_t nsorted;	       /* the first nsorted are in order */
	struct fix *fix;       /* queued repairs */
	size_t nfix;
	int64_t lost_found_ino; /* inode of /lost+found, 0 until known */
	int64_t next_ino;	/* settings next_ino: no lower number is new */
	int oom;		/* an allocation failed */
	long fk_found;
	fsck_report_fn fn;
	void *ctx;
	struct fsck_result *res;
};

/* How many bytes of a name a message shows. */
#define SHOW_BYTES 60
/* The size of a buffer for fsck_show(): SHOW_BYTES escaped, "...", NUL. */
#define SHOWN_SIZE 300

/* A name made printable for a message: at most SHOW_BYTES, escaped. */
const char *fsck_show(const char *name, int len, char *buf, size_t size);

/* Reports damage, repaired if fixed. */
void fsck_finding(struct fsck *f, int fixed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports what is not damage (a format to upgrade). */
void fsck_note(struct fsck *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Queues a repair if repairing: statement id with integer parameters a, b,
 * c and an optional name (copied; a blob if blob).  Returns 1 when queued,
 * 0 when only checking, so that fsck_finding(f, fsck_plan(...), ...) reads
 * well.
 */
int fsck_plan_name(struct fsck *f, enum fsck_stmt id, int64_t a, int64_t b,
		   int64_t c, const char *name, int len, int blob);
int fsck_plan(struct fsck *f, enum fsck_stmt id, int64_t a, int64_t b,
	      int64_t c);

/*
 * Queues a repair of another kind (FIX_SQL: sql, taken and freed with
 * sqlite3_free(); FIX_UPGRADE) if repairing; 1 when queued, as fsck_plan().
 */
int fsck_plan_other(struct fsck *f, enum fix_kind kind, char *sql);

/* Ends a scan: 0, or -EIO with SQLite's reason in err. */
int fsck_scan_end(struct fsck *f, struct sqlite3_stmt *s, int rc, char *err,
		  size_t errsz);

/* --- fsck_journal_db.c --------------------------------------------------- */

/* Objects named search_* that are not the search indexes db_set() makes. */
int fsck_check_search(struct fsck *f, char *err, size_t errsz);

/* The journal's settings and rows (format 2). */
int fsck_check_journal(struct fsck *f, char *err, size_t errsz);

/* Notes a format-1 database, which a repair upgrades. */
void fsck_check_format_version(struct fsck *f);

#endif
