/*
 * db_open.c - opening a database file, and making one: hardening,
 * pragmas, format checks, mkfs and the views
 *
 * Every connection of the project is opened by db_sqlite_open() here,
 * SQLite's open called nowhere else (tests/lint.sh checks), hardened as
 * db_sqlite.h says.  Invariants kept here: a file is checked to be a
 * sqlitefs database of a format this build knows before anything writes
 * to it; a writable database is served holding SQLite's write lock from
 * db_open() to db_close(); a failed db_open() or db_mkfs() leaves the file
 * as it was (db_mkfs(): no file at all).
 */
#include "db_impl.h"
#include "db_sqlite.h"
#include "lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "views.h"

/* The block sizes a database may have (settings 'block_size'). */
#define DB_BLOCK_SIZE_MIN 512
#define DB_BLOCK_SIZE_MAX (1 << 20)

/* How long a connection waits for a lock another program holds. */
#define DB_BUSY_TIMEOUT_MS 5000

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
	int rc;

	if (stmts_prepare(db) != SQLITE_OK) {
		set_err(err, errsz, "damaged: %s", sqlite3_errmsg(db->conn));
		return -EINVAL;
	}
	s = stmt(db, S_SETTING_GET);
	bind_name(s, 1, "block_size");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		db->block_size = (unsigned) sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (db->block_size < DB_BLOCK_SIZE_MIN ||
	    db->block_size > DB_BLOCK_SIZE_MAX ||
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
	/* nor those that may have been handed out (file handles name
	 * inodes by number): below the ceiling of the last mount */
	db->ino_ceiling = query_int(db, S_NEXT_INO_GET);
	if (db->ino_ceiling > db->next_ino)
		db->next_ino = db->ino_ceiling;
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
	sqlite3_busy_timeout(conn, DB_BUSY_TIMEOUT_MS);
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

/*
 * Makes dentry_ino the index schema.sql makes, (ino, parent, name), in a
 * database of format 2 made with the narrow one (ino) or without it: the
 * names of an inode then come from the index alone.  An older sqlitefs
 * reads either.  SQLITE_OK, also when there was nothing to do.
 */
static int dentry_ino_refresh(struct db *db)
{
	static const char want[] =
		"CREATE INDEX dentry_ino ON dentry (ino, parent, name)";
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->conn,
				    "SELECT sql FROM sqlite_schema WHERE "
				    "type = 'index' AND name = 'dentry_ino'",
				    -1, &s, NULL);
	int same;

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	same = rc == SQLITE_ROW && sqlite3_column_text(s, 0) &&
	       !strcmp((const char *) sqlite3_column_text(s, 0), want);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (same)
		return SQLITE_OK;
	rc = sqlite3_exec(db->conn, "DROP INDEX IF EXISTS dentry_ino", NULL,
			  NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->conn, want, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->conn, "COMMIT; BEGIN IMMEDIATE", NULL,
				  NULL, NULL);
	if (rc == SQLITE_OK)
		db_log("sqlitefs: %s: index dentry_ino made again as (ino, "
		       "parent, name)\n",
		       db->path);
	return rc;
}

/*
 * Upgrades a format-1 database to format 2 (the change journal), as the
 * first batch, committed at once, brings dentry_ino up to date the same
 * way, and sets the journal up.  The caller holds the lock and SQLite's
 * write lock.
 */
static int journal_open(struct db *db, char *err, size_t errsz)
{
	int64_t version = 0;
	int rc = pragma_int(db->conn, "PRAGMA user_version", &version);

	if (rc == SQLITE_OK && version < 2) {
		rc = jr_upgrade(db->conn);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db->conn, "COMMIT; BEGIN IMMEDIATE",
					  NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			db_log("sqlitefs: %s: upgraded to format 2 (the change "
			       "journal)\n",
			       db->path);
	}
	if (rc == SQLITE_OK)
		rc = dentry_ino_refresh(db);
	if (rc != SQLITE_OK) {
		set_err(err, errsz, "cannot upgrade to format 2: %s",
			sqlite3_errmsg(db->conn));
		rc = db_errno(db, rc);
		if (!sqlite3_get_autocommit(db->conn))
			sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
		db->in_tx = 0;
		return rc;
	}
	return jr_open(db, err, errsz);
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
	pthread_mutex_init(&db->snap_lock, NULL);
	db->touched = lookup_new();
	db->atimes = lookup_new();
	db->touched_all = !db->touched || !db->atimes;
	db->readonly = !!(flags & DB_OPEN_READONLY);
	db->names_all = db->lost_names_all = 1;
	/* until the open proves none: a check, a read-only database
	 * (another program might add one behind its back) */
	atomic_init(&db->has_security, 1);
	atomic_init(&db->has_acl, 1);
	db->path = strdup(path);
	rc = db_sqlite_open(path, flags & ~DB_SQLITE_CREATE, &db->conn, err,
			    errsz);
	if (rc == 0)
		rc = db_configure(db, flags, err, errsz);
	if (rc == 0)
		rc = db_prepare(db, err, errsz);
	if (rc == 0 && !(flags & DB_OPEN_CHECK)) {
		pthread_mutex_lock(&db->lock);
		/* a scan of xattr for security.* names, one for ACLs (not
		 * read-only: another program may add some): an error
		 * counts as "some may be" */
		if (query_int(db, S_HAS_SECURITY) == 0 && !db->readonly)
			atomic_store(&db->has_security, 0);
		else
			db->has_caps = query_int(db, S_HAS_CAPS) != 0;
		if (!db->readonly && query_int(db, S_HAS_ACL) == 0)
			atomic_store(&db->has_acl, 0);
		if (!db->readonly)
			rc = take_write_lock(db, err, errsz);
		if (rc == 0 && !db->readonly)
			rc = journal_open(db, err, errsz);
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

int db_write_locked(const char *path)
{
	sqlite3 *conn;
	char err[256];
	int rc = SQLITE_OK, tries;

	if (db_sqlite_open(path, 0, &conn, err, sizeof(err)) < 0)
		return 0;
	sqlite3_busy_timeout(conn, 0);
	for (tries = 0; tries < 5; tries++) {
		rc = sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			break; /* SQLITE_BUSY, or SQLITE_READONLY */
		sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
		usleep(2000);
	}
	sqlite3_close(conn);
	return (rc & 0xff) == SQLITE_BUSY;
}

void db_set_mmap(struct db *db, unsigned mib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA mmap_size = %llu",
		 (unsigned long long) mib << 20);
	pthread_mutex_lock(&db->lock);
	sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	pthread_mutex_unlock(&db->lock);
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
		db_log("sqlitefs: %s: views: %s\n", db->path,
		       sqlite3_errmsg(db->conn));
		rc = db_errno(db, rc);
	}
	rc = (int) op_end(db, rc);
	if (rc == 0)
		rc = db_sync(db);
	return rc < 0 ? rc : 1;
}
