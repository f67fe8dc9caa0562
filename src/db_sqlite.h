/*
 * db_sqlite.h - the one way a sqlitefs program opens a database file
 *
 * A database file is code as well as data: its schema can hold triggers,
 * views, CHECK constraints and index expressions, which SQLite runs as
 * part of the statements that touch the tables.  sqlitefs makes none but
 * its CHECKs, and a file made elsewhere (a copied or downloaded image, a
 * hostile one) must not run anything of its own in the daemon, fsck or
 * mkfs.  So every connection of the project is opened here, with the
 * hardening of https://www.sqlite.org/security.html: stored triggers and
 * views off, SQLite's defensive mode on, the schema untrusted (functions
 * with side effects refused in it), no extension loading, no ATTACH, a
 * cap on the length of a value, cell size checks, no memory mapping (the
 * daemon maps the file only when its user asks, -o mmap: a read error
 * under a mapping ends the process with SIGBUS).
 *
 * For the files that speak SQL themselves (db.c, db_*.c, fsck_db.c): the
 * others go through db_open().  The connection is named by its struct tag
 * only, so that <sqlite3.h> stays where tests/lint.sh allows it.
 */
#ifndef DB_SQLITE_H
#define DB_SQLITE_H

#include <stddef.h>

struct sqlite3;

/*
 * Flags of db_sqlite_open(), with DB_OPEN_READONLY and DB_OPEN_TRIGGERS
 * of db.h.
 */
/* make the file, which must not exist; no format check */
#define DB_SQLITE_CREATE 0x100

/* Longest string or blob a connection reads or makes, in bytes. */
#define DB_SQLITE_MAX_LENGTH (16 * 1024 * 1024)

/*
 * Opens the database file path hardened as above, and checks (unless
 * DB_SQLITE_CREATE) that it is a sqlitefs database of a format this build
 * knows.  Read-only (DB_OPEN_READONLY) means that nothing is written: a
 * file without WAL content is opened with SQLite's query_only, so that
 * closing it removes the -wal and -shm files SQLite makes; one that cannot
 * be written, in a directory where no -shm can be made, is read as an
 * immutable file.  Returns 0 with the connection in *out, or -errno with a
 * one-line reason in err (-ENOENT, -EACCES, -EROFS...: the file cannot be
 * opened or made; -EINVAL, -EPROTO: as db_open()).
 */
int db_sqlite_open(const char *path, int flags, struct sqlite3 **out, char *err,
		   size_t errsz);

/*
 * Upgrades the database of conn from format 1 to this build's format
 * (src/upgrade.sql: the change journal, the filesystem UUID, the search
 * indexes), as a read-write mount does, within the transaction the caller
 * holds.  Returns 0, or -EIO with SQLite's reason in err; the caller then
 * rolls back.
 */
int db_sqlite_upgrade(struct sqlite3 *conn, char *err, size_t errsz);

/*
 * The statement db_set() runs to make search index spec ("name", "size",
 * "mtime" or "xattr:NAME"): its name in *name ("search_name", ...) and
 * its SQL in *sql, both freed with sqlite3_free().  Returns 0, -EINVAL
 * when spec names no index, or -ENOMEM.
 */
int db_sqlite_index_sql(const char *spec, char **name, char **sql);

#endif
