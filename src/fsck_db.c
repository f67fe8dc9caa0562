/*
 * fsck_db.c - the checks and repairs of fsck.sqlitefs, in SQL
 *
 * The invariants checked are those of src/schema.sql and the db layer
 * (db.c and db_*.c, which list theirs at their heads):
 *  - SQLite's own: PRAGMA integrity_check and foreign_key_check;
 *  - every inode has a known type; a symlink has a target and its size is
 *    the target's length; no size is negative;
 *  - data rows belong to regular files, hold at most a block, and none
 *    reaches past the file's size; inode.stored is the sum of their
 *    lengths;
 *  - xattr names are in the user., trusted. or security. namespace, or
 *    one of the two POSIX ACLs, whose values are valid ACLs (acl.h), a
 *    default ACL only on a directory, and the mode's permission bits
 *    those of the access ACL;
 *  - every dentry joins an existing directory to an existing inode under a
 *    valid name, and the directories form a tree from the root (inode 1):
 *    one name each, no cycles;
 *  - every inode is reachable from the root, or an orphan (nlink 0, no
 *    name: the next mount deletes it);
 *  - nlink is the number of names, and for a directory 2 plus the number
 *    of its subdirectories;
 *  - the change journal (format 2, src/journal.h): its settings present
 *    and in range (uuid, journal, journal_next, journal_start, retention),
 *    every row well-formed, and the ids running without a gap from
 *    journal_start to journal_next - 1;
 *  - objects named search_* are the search indexes db_set() makes.
 * The last two are checked in fsck_journal_db.c.
 * A format-1 database (no journal) is not damaged: a note says so, and a
 * repair upgrades it with the daemon's upgrade (db_sqlite_upgrade()).
 *
 * How: the inodes and dentries are read into memory, every check runs on
 * that copy, and each repair is applied to the copy at once (so later
 * checks see the repaired state, with or without -y) and queued as one SQL
 * statement.  With repair, the queue runs in one transaction at the end.
 * Repairs that would have to guess (a damaged SQLite b-tree, a missing
 * root) are not made; unreachable inodes go to /lost+found as "#INO".
 */
#include "fsck_impl.h"

#include "acl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "db_sqlite.h"
#include "journal.h"

/* The first statement a format-1 database cannot prepare. */
#define F_JOURNAL_FIRST F_JOURNAL_ROWS

/* Parameters: ?1 ?2 ?3 integers, ?4 a name (text) or ?5 bytes (blob). */
static const char *const fsck_sql[F_COUNT] = {
	[F_INTEGRITY] = "PRAGMA integrity_check(100)",
	[F_FK_CHECK] = "PRAGMA foreign_key_check",
	[F_BLOCK_SIZE] =
		"SELECT value, (SELECT value FROM settings "
		"WHERE key = 'next_ino' AND typeof(value) = 'integer') "
		"FROM settings WHERE key = 'block_size'",
	[F_INODES] = "SELECT ino, mode, nlink, size, stored, "
		     "target IS NOT NULL, length(CAST(target AS BLOB)), flags "
		     "FROM inode ORDER BY ino",
	[F_DENTRIES] = "SELECT id, parent, ino, CAST(name AS BLOB) "
		       "FROM dentry ORDER BY parent, id",
	[F_DATA] = "SELECT ino, block, CASE typeof(bytes) "
		   "WHEN 'blob' THEN length(bytes) "
		   "ELSE length(CAST(bytes AS BLOB)) END "
		   "FROM data ORDER BY ino, block",
	[F_XATTRS] = "SELECT ino, CAST(name AS BLOB), "
		     "length(CAST(value AS BLOB)), CASE WHEN name IN "
		     "('system.posix_acl_access', 'system.posix_acl_default') "
		     "THEN CAST(value AS BLOB) END FROM xattr ORDER BY ino",
	[F_BEGIN] = "BEGIN IMMEDIATE",
	[F_COMMIT] = "COMMIT",
	[F_ROLLBACK] = "ROLLBACK",
	[F_DATA_DELETE] = "DELETE FROM data WHERE ino = ?1 AND block = ?2",
	[F_DATA_TRIM] = "UPDATE data SET bytes = "
			"substr(CAST(bytes AS BLOB), 1, ?3) "
			"WHERE ino = ?1 AND block = ?2",
	[F_DATA_DELETE_INO] = "DELETE FROM data WHERE ino = ?1",
	[F_XATTR_DELETE] = "DELETE FROM xattr "
			   "WHERE ino = ?1 AND CAST(name AS BLOB) = ?5",
	[F_XATTR_DELETE_INO] = "DELETE FROM xattr WHERE ino = ?1",
	[F_INODE_MODE] = "UPDATE inode SET mode = ?2 WHERE ino = ?1",
	[F_INODE_SIZE] = "UPDATE inode SET size = ?2 WHERE ino = ?1",
	[F_INODE_STORED] = "UPDATE inode SET stored = ?2 WHERE ino = ?1",
	[F_INODE_FLAGS] = "UPDATE inode SET flags = ?2 WHERE ino = ?1",
	[F_INODE_NLINK] = "UPDATE inode SET nlink = ?2 WHERE ino = ?1",
	[F_INODE_UNTARGET] = "UPDATE inode SET target = NULL WHERE ino = ?1",
	[F_INODE_DELETE] = "DELETE FROM inode WHERE ino = ?1",
	[F_INODE_NEW_DIR] = "INSERT INTO inode (ino, mode, nlink, uid, gid, "
			    "atime, mtime, ctime, crtime) "
			    "VALUES (?1, ?2, 2, 0, 0, ?3, ?3, ?3, ?3)",
	[F_DENTRY_DELETE] = "DELETE FROM dentry WHERE id = ?1",
	[F_DENTRY_DELETE_INO] = "DELETE FROM dentry WHERE ino = ?1",
	[F_DENTRY_DELETE_PARENT] = "DELETE FROM dentry WHERE parent = ?1",
	[F_DENTRY_RENAME] = "UPDATE dentry SET name = ?4 WHERE id = ?1",
	[F_DENTRY_NEW] = "INSERT INTO dentry (parent, name, ino) "
			 "VALUES (?1, ?4, ?2)",
	[F_SEARCH_OBJECTS] = "SELECT type, CAST(name AS BLOB), sql "
			     "FROM sqlite_schema "
			     "WHERE name LIKE 'search\\_%' ESCAPE '\\' "
			     "ORDER BY name",
	[F_SETTINGS_JOURNAL] = "SELECT key, typeof(value), value FROM settings "
			       "WHERE key IN ('uuid', 'journal', "
			       "'journal_next', 'journal_start', "
			       "'journal_max_events', 'journal_max_age')",
	[F_SETTING_PUT] = "INSERT OR REPLACE INTO settings (key, value) "
			  "VALUES (?4, ?2)",
	/* a random (version 4) UUID, made as schema.sql makes it */
	[F_UUID_NEW] = "INSERT OR REPLACE INTO settings (key, value) "
		       "SELECT 'uuid', lower(substr(h, 1, 8) || '-' || "
		       "substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || "
		       "substr('89ab', 1 + (abs(random()) % 4), 1) || "
		       "substr(h, 18, 3) || '-' || substr(h, 21, 12)) "
		       "FROM (SELECT hex(randomblob(16)) AS h)",
	[F_SETTINGS_JOURNAL_DELETE] = "DELETE FROM settings WHERE key IN "
				      "('uuid', 'journal', 'journal_next', "
				      "'journal_start', 'journal_max_events', "
				      "'journal_max_age')",
	[F_JOURNAL_ROWS] = "SELECT id, time, ino, type, reasons, parent, path, "
			   "old_parent, old_path, data_start, data_end "
			   "FROM journal ORDER BY id DESC",
	[F_JOURNAL_TRIM] = "DELETE FROM journal WHERE id < ?1",
};

/* --- helpers ----------------------------------------------------------- */

/*
 * Makes room in array *p, of n elements of size bytes, for one more: the
 * capacity is 64, then doubles at each power of two.  -1 if no memory.
 */
static int grow(void **p, size_t n, size_t size)
{
	void *q;

	if (n != 0 && (n < 64 || (n & (n - 1))))
		return 0;
	q = realloc(*p, (n ? 2 * n : 64) * size);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

/* The inode numbered ino, or NULL. */
static struct fsck_inode *inode_find(struct fsck *f, int64_t ino)
{
	size_t lo = 0, hi = f->nin;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->in[mid].ino == ino)
			return &f->in[mid];
		if (f->in[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A live inode numbered ino, or NULL. */
static struct fsck_inode *inode_live(struct fsck *f, int64_t ino)
{
	struct fsck_inode *node = inode_find(f, ino);

	return node && !node->gone ? node : NULL;
}

static int is_dir(const struct fsck_inode *node)
{
	return node && S_ISDIR((mode_t) node->mode);
}

/* The index of the first sorted dentry in directory parent. */
static size_t fe_first(struct fsck *f, int64_t parent)
{
	size_t lo = 0, hi = f->nsorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->de[mid].parent < parent)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *fsck_show(const char *name, int len, char *buf, size_t size)
{
	size_t o = 0;
	int i;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char) name[i];

		if (i == SHOW_BYTES) {
			o += (size_t) snprintf(buf + o, size - o, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char) c;
	}
	buf[o] = '\0';
	return buf;
}

static void report(struct fsck *f, enum fsck_kind kind, const char *fmt,
		   va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	f->fn(f->ctx, kind, line);
}

void fsck_finding(struct fsck *f, int fixed, const char *fmt, ...)
{
	va_list ap;

	f->res->errors++;
	if (fixed)
		f->res->fixed++;
	va_start(ap, fmt);
	report(f, fixed ? FSCK_FIXED : FSCK_ERROR, fmt, ap);
	va_end(ap);
}

void fsck_note(struct fsck *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(f, FSCK_NOTE, fmt, ap);
	va_end(ap);
}

/*
 * Queues a repair if repairing: statement id with integer parameters a, b,
 * c and an optional name (copied; a blob if blob).  Returns 1 when queued,
 * 0 when only checking, so that fsck_finding(f, fsck_plan(...), ...) reads well.
 */
int fsck_plan_name(struct fsck *f, enum fsck_stmt id, int64_t a, int64_t b,
		   int64_t c, const char *text, int len, int blob)
{
	struct fix *x;

	if (!f->fixing)
		return 0;
	if (grow((void **) &f->fix, f->nfix, sizeof(*f->fix)) < 0) {
		f->oom = 1;
		return 0;
	}
	x = &f->fix[f->nfix];
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->a = a;
	x->b = b;
	x->c = c;
	if (text) {
		x->text = malloc((size_t) len + 1);
		if (!x->text) {
			f->oom = 1;
			return 0;
		}
		memcpy(x->text, text, (size_t) len);
		x->text[len] = '\0';
		x->len = len;
		x->blob = blob;
	}
	f->nfix++;
	return 1;
}

int fsck_plan(struct fsck *f, enum fsck_stmt id, int64_t a, int64_t b,
	      int64_t c)
{
	return fsck_plan_name(f, id, a, b, c, NULL, 0, 0);
}

/*
 * Queues a repair of another kind (FIX_SQL: sql, taken and freed with
 * sqlite3_free(); FIX_UPGRADE) if repairing; 1 when queued, as fsck_plan().
 */
int fsck_plan_other(struct fsck *f, enum fix_kind kind, char *sql)
{
	struct fix *x;

	if (!f->fixing || (kind == FIX_SQL && !sql) ||
	    grow((void **) &f->fix, f->nfix, sizeof(*f->fix)) < 0) {
		f->oom |= f->fixing;
		sqlite3_free(sql);
		return 0;
	}
	x = &f->fix[f->nfix];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	if (sql) {
		x->text = strdup(sql);
		sqlite3_free(sql);
		if (!x->text) {
			f->oom = 1;
			return 0;
		}
	}
	f->nfix++;
	return 1;
}

/* Runs the queued repairs in one transaction.  0 or -EIO. */
static int apply(struct fsck *f, char *err, size_t errsz)
{
	size_t i;
	int rc = SQLITE_DONE;

	if (f->nfix == 0)
		return 0;
	if (sqlite3_step(f->stmt[F_BEGIN]) != SQLITE_DONE)
		rc = SQLITE_ERROR;
	sqlite3_reset(f->stmt[F_BEGIN]);
	for (i = 0; i < f->nfix && rc == SQLITE_DONE; i++) {
		struct fix *x = &f->fix[i];
		sqlite3_stmt *s = f->stmt[x->id];

		if (x->kind == FIX_SQL) {
			rc = sqlite3_exec(f->conn, x->text, NULL, NULL, NULL);
			rc = rc == SQLITE_OK ? SQLITE_DONE : rc;
			continue;
		}
		if (x->kind == FIX_UPGRADE) {
			rc = db_sqlite_upgrade(f->conn, NULL, 0) == 0
				     ? SQLITE_DONE
				     : SQLITE_ERROR;
			continue;
		}
		sqlite3_bind_int64(s, 1, x->a);
		sqlite3_bind_int64(s, 2, x->b);
		sqlite3_bind_int64(s, 3, x->c);
		if (x->text && x->blob)
			sqlite3_bind_blob(s, 5, x->text, x->len, SQLITE_STATIC);
		else if (x->text)
			sqlite3_bind_text(s, 4, x->text, x->len, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	if (rc == SQLITE_DONE) {
		rc = sqlite3_step(f->stmt[F_COMMIT]);
		sqlite3_reset(f->stmt[F_COMMIT]);
	}
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errsz, "repair failed, nothing changed: %s",
		 sqlite3_errmsg(f->conn));
	sqlite3_step(f->stmt[F_ROLLBACK]);
	sqlite3_reset(f->stmt[F_ROLLBACK]);
	return -ECANCELED;
}

/* Ends a scan: 0, or -EIO with SQLite's reason in err. */
int fsck_scan_end(struct fsck *f, sqlite3_stmt *s, int rc, char *err,
		  size_t errsz)
{
	sqlite3_reset(s);
	if (rc == SQLITE_DONE && !f->oom)
		return 0;
	if (f->oom) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	snprintf(err, errsz, "cannot read the database: %s",
		 sqlite3_errmsg(f->conn));
	return -EIO;
}

/* --- opening ----------------------------------------------------------- */

/* Runs sql, which returns one integer, into *v: SQLITE_OK or an error. */
static int query_int(struct fsck *f, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(f->conn, sql, -1, &s, NULL);

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

/* Reads the format version and whether the journal's table is there. */
static int read_version(struct fsck *f)
{
	int rc = query_int(f, "PRAGMA user_version", &f->version);

	if (rc == SQLITE_OK)
		rc = query_int(f,
			       "SELECT count(*) FROM sqlite_schema "
			       "WHERE type = 'table' AND name = 'journal'",
			       &f->has_journal);
	if (f->version < 2)
		f->has_journal = 0; /* a table of someone else's */
	return rc;
}

int fsck_open(const char *path, int repair, struct fsck **out, char *err,
	      size_t errsz)
{
	struct db *db;
	struct fsck *f;
	int i, rc;

	*out = NULL;
	/* the format checks of the daemon: a sqlitefs database we know */
	rc = db_open(path, DB_OPEN_CHECK | DB_OPEN_READONLY, &db, err, errsz);
	if (rc < 0)
		return rc;
	db_close(db);

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->repair = repair;
	/* hardened as the daemon's connection: stored triggers and views
	 * never run */
	rc = db_sqlite_open(path, repair ? 0 : DB_OPEN_READONLY, &f->conn, err,
			    errsz);
	if (rc < 0) {
		fsck_close(f);
		return rc;
	}
	rc = read_version(f);
	/* repairs go through invalid states (a row may violate two CHECKs
	 * and is fixed one column at a time), and the CHECKs (sizes, link
	 * counts, stored bytes) are fsck's own checks, so integrity_check
	 * leaves them out here; foreign keys are checked by fsck itself,
	 * and deletions are spelled out, not cascaded */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(f->conn,
				  "PRAGMA foreign_keys = OFF;"
				  "PRAGMA ignore_check_constraints = ON;"
				  "PRAGMA synchronous = FULL;",
				  NULL, NULL, NULL);
	for (i = 0; i < (f->has_journal ? F_COUNT : F_JOURNAL_FIRST) &&
		    rc == SQLITE_OK;
	     i++)
		rc = sqlite3_prepare_v3(f->conn, fsck_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &f->stmt[i],
					NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "damaged: %s", sqlite3_errmsg(f->conn));
		fsck_close(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

void fsck_close(struct fsck *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < F_COUNT; i++)
		sqlite3_finalize(f->stmt[i]);
	sqlite3_close(f->conn);
	for (i = 0; i < f->nde; i++)
		free(f->de[i].name);
	for (i = 0; i < f->nfix; i++)
		free(f->fix[i].text);
	free(f->de);
	free(f->in);
	free(f->fix);
	free(f);
}

/* --- SQLite's own checks ----------------------------------------------- */

/* PRAGMA integrity_check; damage there stops every repair. */
static int check_sqlite(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_INTEGRITY];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *msg = (const char *) sqlite3_column_text(s, 0);

		if (msg && !strcmp(msg, "ok"))
			continue;
		fsck_finding(f, 0, "database: integrity_check: %s",
			     msg ? msg : "?");
		f->fixing = 0;
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

/*
 * PRAGMA foreign_key_check, after the other checks: each of its rows is
 * one of the findings on missing inodes and parents above, so in checking
 * mode it must count as many; after a repair it must be empty.
 */
static int check_foreign_keys(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_FK_CHECK];
	long rows = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		rows++;
	rc = fsck_scan_end(f, s, rc, err, errsz);
	if (rc < 0)
		return rc;
	if (f->fixing && rows)
		fsck_finding(f, 0, "database: foreign_key_check: %ld rows left",
			     rows);
	else if (!f->fixing && rows != f->fk_found)
		fsck_finding(f, 0,
			     "database: foreign_key_check: %ld rows, where the "
			     "checks found %ld",
			     rows, f->fk_found);
	return 0;
}

/* --- loading ----------------------------------------------------------- */

/*
 * The lookups below search sorted arrays.  ORDER BY does not promise the
 * order on a damaged b-tree (a row out of place is read where it lies),
 * so the loaded rows are sorted here again.
 */
static int fi_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct fsck_inode *) a)->ino,
		y = ((const struct fsck_inode *) b)->ino;

	return (x > y) - (x < y);
}

static int fe_cmp(const void *a, const void *b)
{
	const struct fsck_entry *x = a, *y = b;

	if (x->parent != y->parent)
		return (x->parent > y->parent) - (x->parent < y->parent);
	return (x->id > y->id) - (x->id < y->id);
}

static int load_inodes(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_INODES];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fsck_inode *node;

		if (grow((void **) &f->in, f->nin, sizeof(*f->in)) < 0) {
			f->oom = 1;
			break;
		}
		node = &f->in[f->nin++];
		memset(node, 0, sizeof(*node));
		node->ino = sqlite3_column_int64(s, 0);
		node->mode = sqlite3_column_int64(s, 1);
		node->nlink = sqlite3_column_int64(s, 2);
		node->size = sqlite3_column_int64(s, 3);
		node->stored = sqlite3_column_int64(s, 4);
		node->flags = sqlite3_column_int64(s, 7);
		node->target_len = sqlite3_column_int64(s, 5)
					   ? sqlite3_column_int64(s, 6)
					   : -1;
	}
	f->res->inodes = (long) f->nin;
	if (f->nin)
		qsort(f->in, f->nin, sizeof(*f->in), fi_cmp);
	return fsck_scan_end(f, s, rc, err, errsz);
}

static int load_dentries(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_DENTRIES];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const void *name = sqlite3_column_blob(s, 3);
		int len = sqlite3_column_bytes(s, 3);
		struct fsck_entry *e;

		if (grow((void **) &f->de, f->nde, sizeof(*f->de)) < 0) {
			f->oom = 1;
			break;
		}
		e = &f->de[f->nde];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(s, 0);
		e->parent = sqlite3_column_int64(s, 1);
		e->ino = sqlite3_column_int64(s, 2);
		e->len = len;
		e->name = malloc((size_t) len + 1);
		if (!e->name) {
			f->oom = 1;
			break;
		}
		if (len)
			memcpy(e->name, name, (size_t) len);
		e->name[len] = '\0';
		f->nde++;
	}
	if (f->nde)
		qsort(f->de, f->nde, sizeof(*f->de), fe_cmp);
	f->nsorted = f->nde;
	return fsck_scan_end(f, s, rc, err, errsz);
}

/* --- inodes and their data --------------------------------------------- */

/* Whether any live dentry has parent ino. */
static int has_children(struct fsck *f, int64_t ino)
{
	size_t i;

	for (i = fe_first(f, ino); i < f->nsorted && f->de[i].parent == ino;
	     i++)
		if (!f->de[i].dead)
			return 1;
	return 0;
}

/* Deletes inode node: its rows, its names, and the names in it. */
static int drop_inode(struct fsck *f, struct fsck_inode *node)
{
	size_t i;
	int q;

	for (i = 0; i < f->nde; i++)
		if (f->de[i].ino == node->ino || f->de[i].parent == node->ino)
			f->de[i].dead = 1;
	node->gone = 1;
	q = fsck_plan(f, F_DENTRY_DELETE_INO, node->ino, 0, 0);
	fsck_plan(f, F_DENTRY_DELETE_PARENT, node->ino, 0, 0);
	fsck_plan(f, F_DATA_DELETE_INO, node->ino, 0, 0);
	fsck_plan(f, F_XATTR_DELETE_INO, node->ino, 0, 0);
	fsck_plan(f, F_INODE_DELETE, node->ino, 0, 0);
	return q;
}

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	default:
		return "symlink";
	}
}

static int known_type(const struct fsck_inode *node)
{
	mode_t mode = (mode_t) node->mode;

	return node->mode >= 0 && node->mode <= 0177777 &&
	       (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) ||
		S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) ||
		S_ISBLK(mode));
}

/*
 * The type inode node should have: its own if known, except that an empty
 * non-directory holding entries was a directory; for an unknown one, what
 * its rows say (a target: a symlink; entries, or the root: a directory;
 * else a regular file).
 */
static mode_t right_type(struct fsck *f, const struct fsck_inode *node)
{
	mode_t type = (mode_t) node->mode & S_IFMT;

	if (known_type(node)) {
		if (type != S_IFDIR && node->size == 0 && node->stored == 0 &&
		    node->target_len < 0 && has_children(f, node->ino))
			return S_IFDIR;
		return type;
	}
	if (node->ino == DB_ROOT_INO || has_children(f, node->ino))
		return S_IFDIR;
	return node->target_len >= 0 ? S_IFLNK : S_IFREG;
}

/* File types: unknown or wrong ones become what the rows say. */
static void check_types(struct fsck *f)
{
	size_t i;

	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];
		mode_t mode = (mode_t) node->mode, type = right_type(f, node);
		int known = known_type(node);

		if (known && type == (mode & S_IFMT))
			continue;
		node->mode = (int64_t) (type | (mode & 07777));
		if (known)
			fsck_finding(f,
				     fsck_plan(f, F_INODE_MODE, node->ino,
					       node->mode, 0),
				     "inode %lld: a %s holding entries; made a "
				     "directory",
				     (long long) node->ino,
				     S_ISREG(mode) ? "regular file"
						   : "non-directory");
		else
			fsck_finding(
				f,
				fsck_plan(f, F_INODE_MODE, node->ino,
					  node->mode, 0),
				"inode %lld: unknown file type (mode 0%llo); "
				"made a %s",
				(long long) node->ino,
				(long long) mode & 0177777, type_name(type));
	}
}

/* Symlink targets, and sizes that are not the data's. */
static void check_inodes(struct fsck *f)
{
	size_t i;

	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];
		mode_t mode = (mode_t) node->mode;
		int64_t want = node->size;

		if (node->gone)
			continue;
		if (S_ISLNK(mode) && node->target_len < 0) {
			fsck_finding(f, drop_inode(f, node),
				     "inode %lld: symlink without a target; "
				     "deleted",
				     (long long) node->ino);
			continue;
		}
		if (!S_ISLNK(mode) && node->target_len >= 0) {
			node->target_len = -1;
			fsck_finding(
				f,
				fsck_plan(f, F_INODE_UNTARGET, node->ino, 0, 0),
				"inode %lld: a symlink target on a %s; "
				"removed",
				(long long) node->ino,
				S_ISDIR(mode) ? "directory" : "non-symlink");
		}
		if (S_ISLNK(mode))
			want = node->target_len;
		else if (node->size < 0)
			want = S_ISREG(mode) ? node->maxend : 0;
		if (want != node->size) {
			fsck_finding(
				f,
				fsck_plan(f, F_INODE_SIZE, node->ino, want, 0),
				"inode %lld: size %lld, should be %lld; fixed "
				"to %lld",
				(long long) node->ino, (long long) node->size,
				(long long) want, (long long) want);
			node->size = want;
		}
	}
}

/*
 * One pass over the data rows.  The first (final 0) deletes rows of
 * missing or non-regular inodes, rows at negative or impossible block
 * numbers, trims rows longer than a block, and finds where each file's
 * data ends; the second (final 1), once sizes are sound, deletes and
 * trims what lies past EOF and adds up what is stored.
 */
static int scan_data(struct fsck *f, int final, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_DATA];
	int64_t bs = f->bs;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t ino = sqlite3_column_int64(s, 0);
		int64_t b = sqlite3_column_int64(s, 1);
		int64_t len = sqlite3_column_int64(s, 2), start, end, keep;
		struct fsck_inode *node = inode_find(f, ino);

		if (!final)
			f->res->blocks++;
		if (!node) {
			if (!final) {
				f->fk_found++;
				fsck_finding(
					f,
					fsck_plan(f, F_DATA_DELETE, ino, b, 0),
					"data block %lld of inode %lld: no "
					"such inode; deleted",
					(long long) b, (long long) ino);
			}
			continue;
		}
		if (node->gone)
			continue;
		/* the last byte a file can hold is at INT64_MAX - 1 (the
		 * largest size is INT64_MAX, the kernel's MAX_LFS_FILESIZE) */
		if (!S_ISREG((mode_t) node->mode) || b < 0 ||
		    b > (INT64_MAX - 1) / bs) {
			if (!final)
				fsck_finding(
					f,
					fsck_plan(f, F_DATA_DELETE, ino, b, 0),
					"inode %lld: data block %lld %s; "
					"deleted",
					(long long) ino, (long long) b,
					S_ISREG((mode_t) node->mode)
						? "beyond any file size"
						: "in a file that is not a "
						  "regular file");
			continue;
		}
		if (len > DB_SQLITE_MAX_LENGTH) {
			/* more than a connection reads, so it cannot be cut */
			if (!final)
				fsck_finding(
					f,
					fsck_plan(f, F_DATA_DELETE, ino, b, 0),
					"inode %lld: data block %lld holds "
					"%lld bytes, more than can be read; "
					"deleted",
					(long long) ino, (long long) b,
					(long long) len);
			continue;
		}
		if (len > bs) {
			if (!final)
				fsck_finding(
					f,
					fsck_plan(f, F_DATA_TRIM, ino, b, bs),
					"inode %lld: data block %lld holds "
					"%lld bytes, more than a block; cut "
					"to %lld",
					(long long) ino, (long long) b,
					(long long) len, (long long) bs);
			len = bs;
		}
		start = b * bs;
		if (!final) {
			/* what lies past INT64_MAX is cut in the final pass */
			end = len > INT64_MAX - start ? INT64_MAX : start + len;
			if (end > node->maxend)
				node->maxend = end;
			continue;
		}
		keep = node->size - start < len ? node->size - start : len;
		if (keep <= 0)
			fsck_finding(
				f, fsck_plan(f, F_DATA_DELETE, ino, b, 0),
				"inode %lld: data block %lld lies past the "
				"end of the file (size %lld); deleted",
				(long long) ino, (long long) b,
				(long long) node->size);
		else if (keep < len)
			fsck_finding(
				f, fsck_plan(f, F_DATA_TRIM, ino, b, keep),
				"inode %lld: data block %lld reaches past the "
				"end of the file (size %lld); cut",
				(long long) ino, (long long) b,
				(long long) node->size);
		if (keep > 0)
			node->sum += keep;
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

/* inode.stored against what the rows hold. */
static void check_stored(struct fsck *f)
{
	size_t i;

	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];

		if (node->gone || node->stored == node->sum)
			continue;
		fsck_finding(
			f,
			fsck_plan(f, F_INODE_STORED, node->ino, node->sum, 0),
			"inode %lld: stored bytes %lld, the data blocks hold "
			"%lld; fixed",
			(long long) node->ino, (long long) node->stored,
			(long long) node->sum);
		node->stored = node->sum;
	}
}

/*
 * chattr flags: bits outside the known ones (DB_FL_KNOWN) are cleared; a
 * value that is not 32 bits (negative, say) is cleared to none, rather
 * than made immutable.
 */
static void check_flags(struct fsck *f)
{
	size_t i;

	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];
		/* a value out of range is no set of flags: none */
		int64_t keep = node->flags < 0 || node->flags > UINT32_MAX
				       ? 0
				       : node->flags & DB_FL_KNOWN;

		if (node->gone || node->flags == keep)
			continue;
		fsck_finding(
			f, fsck_plan(f, F_INODE_FLAGS, node->ino, keep, 0),
			"inode %lld: flags %#llx, unknown bits; cleared to "
			"%#llx",
			(long long) node->ino, (unsigned long long) node->flags,
			(unsigned long long) keep);
		node->flags = keep;
	}
}

/* Whether the len bytes of name are a name db_setxattr() takes. */
static int xattr_name_ok(const char *name, int len)
{
	return (int) strlen(name) == len && db_check_xattr_name(name) == 0;
}

/*
 * ACL name (of len bytes at p) of node, its value in column 3 of s: a
 * valid ACL, a default one on a directory, an access one matching the
 * mode (else the mode is made to match, as setting the ACL would).
 */
static void check_acl(struct fsck *f, sqlite3_stmt *s, struct fsck_inode *node,
		      const char *name, const void *p, int len)
{
	struct acl acl;
	int kind = acl_name(name);
	mode_t mode = (mode_t) node->mode;
	int rc = acl_parse(sqlite3_column_blob(s, 3),
			   (size_t) sqlite3_column_bytes(s, 3), &acl);

	if (rc == 0 && kind == 1)
		acl_equiv_mode(&acl, &mode);
	if (rc < 0)
		fsck_finding(f,
			     fsck_plan_name(f, F_XATTR_DELETE, node->ino, 0, 0,
					    p, len, 1),
			     "inode %lld: %s: not a valid ACL; deleted",
			     (long long) node->ino, name);
	else if (kind == 2 && !S_ISDIR(mode))
		fsck_finding(f,
			     fsck_plan_name(f, F_XATTR_DELETE, node->ino, 0, 0,
					    p, len, 1),
			     "inode %lld: %s of a non-directory; deleted",
			     (long long) node->ino, name);
	else if (mode != (mode_t) node->mode) {
		fsck_finding(
			f,
			fsck_plan(f, F_INODE_MODE, node->ino, (int64_t) mode,
				  0),
			"inode %lld: mode 0%llo, its access ACL says 0%llo; "
			"fixed",
			(long long) node->ino, (long long) node->mode & 07777,
			(long long) mode & 07777);
		node->mode = (int64_t) mode;
	}
}

static int check_xattrs(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_XATTRS];
	char shown[SHOWN_SIZE], name[SHOWN_SIZE];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t ino = sqlite3_column_int64(s, 0);
		const char *p = sqlite3_column_blob(s, 1);
		int len = sqlite3_column_bytes(s, 1);
		int64_t vlen = sqlite3_column_int64(s, 2);
		struct fsck_inode *node = inode_find(f, ino);
		int n = len < SHOWN_SIZE - 1 ? len : SHOWN_SIZE - 1;

		if (n)
			memcpy(name, p, (size_t) n);
		name[n] = '\0';
		fsck_show(name, n, shown, sizeof(shown));
		if (node && node->gone)
			continue;
		if (!node)
			f->fk_found++;
		if (!node)
			fsck_finding(
				f,
				fsck_plan_name(f, F_XATTR_DELETE, ino, 0, 0, p,
					       len, 1),
				"inode %lld: xattr \"%s\" of no such inode; "
				"deleted",
				(long long) ino, shown);
		else if (!xattr_name_ok(name, len))
			fsck_finding(
				f,
				fsck_plan_name(f, F_XATTR_DELETE, ino, 0, 0, p,
					       len, 1),
				"inode %lld: xattr \"%s\": not a valid name "
				"(user., trusted., security. or a POSIX "
				"ACL); deleted",
				(long long) ino, shown);
		else if (vlen > DB_XATTR_SIZE_MAX)
			fsck_finding(f,
				     fsck_plan_name(f, F_XATTR_DELETE, ino, 0,
						    0, p, len, 1),
				     "inode %lld: xattr \"%s\": value of %lld "
				     "bytes, more than %d; deleted",
				     (long long) ino, shown, (long long) vlen,
				     DB_XATTR_SIZE_MAX);
		else if (acl_name(name))
			check_acl(f, s, node, name, p, len);
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

/* --- the directory tree ------------------------------------------------ */

static int name_ok(const struct fsck_entry *e)
{
	if (e->len == 0 || e->len > DB_NAME_MAX ||
	    (int) strlen(e->name) != e->len || strchr(e->name, '/'))
		return 0;
	return strcmp(e->name, ".") && strcmp(e->name, "..");
}

/* Each dentry on its own: both ends exist, the parent is a directory. */
static void check_dentries(struct fsck *f)
{
	char shown[SHOWN_SIZE];
	size_t i;

	for (i = 0; i < f->nde; i++) {
		struct fsck_entry *e = &f->de[i];
		struct fsck_inode *parent = inode_find(f, e->parent);
		struct fsck_inode *child = inode_find(f, e->ino);
		const char *why = NULL;

		if (e->dead)
			continue;
		fsck_show(e->name, e->len, shown, sizeof(shown));
		if (!parent || !child)
			f->fk_found += !parent + !child;
		if (!parent)
			why = "no such directory";
		else if (!child)
			why = "names no such inode";
		else if (parent->gone || child->gone)
			why = NULL; /* deleted with the inode: reported */
		else if (!is_dir(parent))
			why = "in a file that is not a directory";
		else if (e->ino == DB_ROOT_INO)
			why = "names the root directory";
		if (why || (parent && parent->gone) || (child && child->gone))
			e->dead = 1;
		if (why) {
			fsck_finding(
				f, fsck_plan(f, F_DENTRY_DELETE, e->id, 0, 0),
				"dentry %lld (\"%s\" in %lld, inode %lld): "
				"%s; deleted",
				(long long) e->id, shown, (long long) e->parent,
				(long long) e->ino, why);
			continue;
		}
		if (!e->dead && !name_ok(e)) {
			char fixed[32];

			snprintf(fixed, sizeof(fixed), "#%lld",
				 (long long) e->id);
			fsck_finding(
				f,
				fsck_plan_name(f, F_DENTRY_RENAME, e->id, 0, 0,
					       fixed, (int) strlen(fixed), 0),
				"dentry %lld (\"%s\" in %lld, inode %lld): "
				"not a valid name; renamed \"%s\"",
				(long long) e->id, shown, (long long) e->parent,
				(long long) e->ino, fixed);
			free(e->name);
			e->name = strdup(fixed);
			e->len = e->name ? (int) strlen(e->name) : 0;
		}
	}
}

/*
 * Marks everything reachable from directory top; a directory met a second
 * time (a second name, or a cycle back into the walk) loses that name.
 */
static void walk(struct fsck *f, int64_t top)
{
	int64_t *queue = NULL;
	size_t head = 0, tail = 0, cap = 0, i;
	char shown[SHOWN_SIZE];

	inode_find(f, top)->reached = 1;
	if (!(queue = malloc(64 * sizeof(*queue)))) {
		f->oom = 1;
		return;
	}
	cap = 64;
	queue[tail++] = top;
	while (head < tail) {
		int64_t dir = queue[head++];

		for (i = fe_first(f, dir);
		     i < f->nsorted && f->de[i].parent == dir; i++) {
			struct fsck_entry *e = &f->de[i];
			struct fsck_inode *c = inode_live(f, e->ino);

			if (e->dead || !c)
				continue;
			if (!is_dir(c)) {
				c->reached = 1;
				continue;
			}
			if (c->reached) {
				e->dead = 1;
				fsck_show(e->name, e->len, shown,
					  sizeof(shown));
				fsck_finding(
					f,
					fsck_plan(f, F_DENTRY_DELETE, e->id, 0,
						  0),
					"dentry %lld (\"%s\" in %lld): a second "
					"name of directory %lld, or a cycle; "
					"deleted",
					(long long) e->id, shown,
					(long long) dir, (long long) e->ino);
				continue;
			}
			c->reached = 1;
			if (tail == cap) {
				int64_t *q = realloc(queue,
						     2 * cap * sizeof(*queue));

				if (!q) {
					f->oom = 1;
					break;
				}
				queue = q;
				cap *= 2;
			}
			queue[tail++] = e->ino;
		}
	}
	free(queue);
}

/* Appends a dentry made by a repair (not sorted: never walked from). */
static int add_dentry(struct fsck *f, int64_t parent, const char *name,
		      int64_t ino)
{
	struct fsck_entry *e;

	if (grow((void **) &f->de, f->nde, sizeof(*f->de)) < 0) {
		f->oom = 1;
		return 0;
	}
	e = &f->de[f->nde];
	memset(e, 0, sizeof(*e));
	e->parent = parent;
	e->ino = ino;
	e->name = strdup(name);
	if (!e->name) {
		f->oom = 1;
		return 0;
	}
	e->len = (int) strlen(name);
	f->nde++;
	return fsck_plan_name(f, F_DENTRY_NEW, parent, ino, 0, name, e->len, 0);
}

/* Whether directory dir holds a live entry called name. */
static int name_taken(struct fsck *f, int64_t dir, const char *name)
{
	size_t i;

	for (i = 0; i < f->nde; i++)
		if (f->de[i].parent == dir && !f->de[i].dead &&
		    !strcmp(f->de[i].name, name))
			return 1;
	return 0;
}

/* The inode of /lost+found, made if needed; 0 if a non-directory has
 * that name. */
static int64_t lost_found(struct fsck *f)
{
	size_t i;
	struct fsck_inode *node;
	int64_t ino;

	if (f->lost_found_ino)
		return f->lost_found_ino;
	for (i = 0; i < f->nde; i++) {
		struct fsck_entry *e = &f->de[i];

		if (e->parent == DB_ROOT_INO && !e->dead &&
		    !strcmp(e->name, "lost+found"))
			return is_dir(inode_live(f, e->ino))
				       ? (f->lost_found_ino = e->ino)
				       : 0;
	}
	if (f->nin && f->in[f->nin - 1].ino == INT64_MAX)
		return 0; /* no inode number left */
	ino = f->nin ? f->in[f->nin - 1].ino + 1 : 2;
	/* the numbers of deleted inodes stay unused (file handles) */
	if (ino < f->next_ino)
		ino = f->next_ino;
	if (grow((void **) &f->in, f->nin, sizeof(*f->in)) < 0) {
		f->oom = 1;
		return 0;
	}
	node = &f->in[f->nin++];
	memset(node, 0, sizeof(*node));
	node->ino = ino;
	node->mode = S_IFDIR | 0700;
	node->nlink = 2;
	node->target_len = -1;
	node->reached = 1;
	node->made = 1;
	node->imagined = !f->fixing;
	fsck_plan(f, F_INODE_NEW_DIR, ino, node->mode,
		  (int64_t) time(NULL) * 1000000000);
	add_dentry(f, DB_ROOT_INO, "lost+found", ino);
	if (f->fixing)
		fsck_note(f, "/lost+found: created");
	return f->lost_found_ino = ino;
}

/*
 * Gives unreachable inode ino the name /lost+found/#INO instead of its old
 * ones.  1 if the repair is queued.  May move f->in (a new lost+found).
 */
static int reattach(struct fsck *f, int64_t ino)
{
	int64_t dir = lost_found(f);
	char name[48];
	size_t i;
	int n = 0;

	if (!dir)
		return 0;
	for (i = 0; i < f->nde; i++)
		if (f->de[i].ino == ino)
			f->de[i].dead = 1;
	fsck_plan(f, F_DENTRY_DELETE_INO, ino, 0, 0);
	snprintf(name, sizeof(name), "#%lld", (long long) ino);
	while (name_taken(f, dir, name))
		snprintf(name, sizeof(name), "#%lld.%d", (long long) ino, ++n);
	return add_dentry(f, dir, name, ino);
}

/* Live names of each inode. */
static void count_names(struct fsck *f)
{
	size_t i;

	for (i = 0; i < f->nin; i++)
		f->in[i].names = f->in[i].subdirs = 0;
	for (i = 0; i < f->nde; i++) {
		struct fsck_entry *e = &f->de[i];
		struct fsck_inode *c, *p;

		if (e->dead || !(c = inode_live(f, e->ino)) ||
		    !(p = inode_live(f, e->parent)))
			continue;
		c->names++;
		if (is_dir(c))
			p->subdirs++;
	}
}

/*
 * Orphans (nlink 0, no name) are deleted; other inodes the walk from the
 * root did not reach go to /lost+found: first directories no name leads
 * to, then those in cycles, then everything else.
 */
static void check_reachable(struct fsck *f)
{
	size_t i;
	int pass;

	walk(f, DB_ROOT_INO);
	count_names(f);
	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];

		if (node->gone || node->reached || node->names ||
		    node->nlink != 0)
			continue;
		f->res->notes++;
		if (f->fixing) {
			drop_inode(f, node);
			f->res->purged++;
		}
		fsck_note(f, "inode %lld: orphan (no name, link count 0); %s",
			  (long long) node->ino,
			  f->fixing ? "deleted" : "the next mount deletes it");
		node->gone = 1;
	}
	count_names(f);
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < f->nin; i++) {
			struct fsck_inode *node = &f->in[i];

			if (node->gone || node->reached ||
			    (pass < 2 && !is_dir(node)) ||
			    (pass == 0 && node->names))
				continue;
			int64_t ino = node->ino;
			int dir = is_dir(node), fixed = reattach(f, ino);

			fsck_finding(
				f, fixed,
				"inode %lld: %s not reachable from the root; "
				"moved to /lost+found",
				(long long) ino, dir ? "directory" : "file");
			f->in[i].reached = 1; /* and named once: ignored */
			if (dir)
				walk(f, ino);
		}
	}
}

/* Link counts: names, plus "." and subdirectories' ".." for directories. */
static void check_nlink(struct fsck *f)
{
	size_t i;

	count_names(f);
	for (i = 0; i < f->nin; i++) {
		struct fsck_inode *node = &f->in[i];
		int64_t want = is_dir(node) ? 2 + node->subdirs : node->names;

		if (node->gone || node->imagined || node->nlink == want)
			continue;
		if (node->made) { /* not damage: lost+found's new subdirs */
			fsck_plan(f, F_INODE_NLINK, node->ino, want, 0);
			node->nlink = want;
			continue;
		}
		fsck_finding(
			f, fsck_plan(f, F_INODE_NLINK, node->ino, want, 0),
			"inode %lld: link count %lld, should be %lld; fixed",
			(long long) node->ino, (long long) node->nlink,
			(long long) want);
		node->nlink = want;
	}
}

/* --- the run ----------------------------------------------------------- */

static int read_block_size(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_BLOCK_SIZE];
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		f->bs = sqlite3_column_int64(s, 0);
		f->next_ino = sqlite3_column_int64(s, 1);
		rc = SQLITE_DONE;
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

int fsck_run(struct fsck *f, fsck_report_fn fn, void *ctx,
	     struct fsck_result *res, char *err, size_t errsz)
{
	struct fsck_inode *root;
	int rc;

	memset(res, 0, sizeof(*res));
	f->fn = fn;
	f->ctx = ctx;
	f->res = res;
	f->fixing = f->repair;
	rc = read_block_size(f, err, errsz);
	if (rc == 0)
		rc = check_sqlite(f, err, errsz);
	if (rc == 0)
		rc = load_inodes(f, err, errsz);
	if (rc == 0)
		rc = load_dentries(f, err, errsz);
	if (rc < 0)
		return rc;
	root = inode_find(f, DB_ROOT_INO);
	if (!root || right_type(f, root) != S_IFDIR) {
		fsck_finding(f, 0,
			     "inode 1: the root directory is %s; not repaired",
			     root ? "not a directory" : "missing");
		return 0;
	}
	check_types(f);
	rc = scan_data(f, 0, err, errsz);
	if (rc == 0) {
		check_inodes(f);
		rc = scan_data(f, 1, err, errsz);
	}
	if (rc == 0) {
		check_stored(f);
		check_flags(f);
		rc = check_xattrs(f, err, errsz);
	}
	if (rc < 0)
		return rc;
	check_dentries(f);
	check_reachable(f);
	check_nlink(f);
	rc = fsck_check_search(f, err, errsz);
	if (rc == 0 && f->has_journal)
		rc = fsck_check_journal(f, err, errsz);
	else if (rc == 0 && f->version >= 2)
		fsck_finding(
			f,
			fsck_plan(f, F_SETTINGS_JOURNAL_DELETE, 0, 0, 0) &&
				fsck_plan_other(f, FIX_UPGRADE, NULL),
			"journal: the table is missing; made again, with its "
			"settings and the search indexes, as the upgrade from "
			"format 1 makes them (a new uuid: clients rescan)");
	if (rc < 0)
		return rc;
	fsck_check_format_version(f);
	if (f->oom) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	if (f->fixing) {
		rc = apply(f, err, errsz);
		if (rc < 0)
			return rc;
	}
	return check_foreign_keys(f, err, errsz);
}
