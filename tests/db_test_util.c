/*
 * db_test_util.c - db_test's fixture and helpers
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db_test.h"

char top_dir[256]; /* made by main(), holds every case's dir */
char case_dir[512];
char db_path[1024];
struct db *db;
const struct db_cred cred = {.uid = 1234, .gid = 5678};

/* --- fixture and helpers ----------------------------------------------- */

void make_case_dir(void)
{
	snprintf(case_dir, sizeof(case_dir), "%s/case.XXXXXX", top_dir);
	ck_assert_ptr_nonnull(mkdtemp(case_dir));
	snprintf(db_path, sizeof(db_path), "%s/fs.db", case_dir);
}

void open_db(int flags)
{
	char err[256] = "";
	int rc = db_open(db_path, flags, &db, err, sizeof(err));

	ck_assert_msg(rc == 0, "db_open %s: %d (%s)", db_path, rc, err);
	ck_assert_ptr_nonnull(db);
}

void close_db(void)
{
	ck_assert_int_eq(db_close(db), 0);
	db = NULL;
}

/* A new filesystem of block size bs in a new case directory, opened. */
void fresh_db(unsigned bs)
{
	make_case_dir();
	ck_assert_int_eq(db_mkfs(db_path, bs, 4096), 0);
	open_db(0);
	ck_assert_uint_eq(db_block_size(db), bs);
}

void setup(void)
{
	db = NULL;
	fresh_db(BS_DEFAULT);
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void) st;
	(void) type;
	(void) ftw;
	return remove(path);
}

void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void teardown(void)
{
	if (db)
		db_close(db);
	db = NULL;
	rm_tree(case_dir);
}

ino_t mk(ino_t parent, const char *name, mode_t mode)
{
	struct stat st;
	int rc = db_mknod(db, parent, name, mode, 0, NULL, &cred, &st);

	ck_assert_msg(rc == 0, "mknod %s: %d", name, rc);
	ck_assert_uint_ne(st.st_ino, 0);
	return st.st_ino;
}

ino_t mkfile(ino_t parent, const char *name)
{
	return mk(parent, name, S_IFREG | 0644);
}

ino_t mkdir_in(ino_t parent, const char *name)
{
	return mk(parent, name, S_IFDIR | 0755);
}

struct stat attr(ino_t ino)
{
	struct stat st;
	int rc = db_getattr(db, ino, &st);

	ck_assert_msg(rc == 0, "getattr %lu: %d", (unsigned long) ino, rc);
	return st;
}

nlink_t nlink_of(ino_t ino)
{
	return attr(ino).st_nlink;
}

off_t size_of(ino_t ino)
{
	return attr(ino).st_size;
}

/* The inode of parent/name, 0 if absent. */
ino_t ino_of(ino_t parent, const char *name)
{
	struct stat st;
	int rc = db_lookup(db, parent, name, &st);

	if (rc == -ENOENT)
		return 0;
	ck_assert_msg(rc == 0, "lookup %s: %d", name, rc);
	return st.st_ino;
}

void put(ino_t ino, off_t off, const void *buf, size_t len)
{
	ssize_t n = db_write(db, ino, off, buf, len, 0, NULL);

	ck_assert_msg(n == (ssize_t) len, "write %zu at %lld: %zd", len,
		      (long long) off, n);
}

/* Reads exactly len bytes at off (asserting the count) into a new buffer. */
char *get(ino_t ino, off_t off, size_t len)
{
	char *buf = malloc(len ? len : 1);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	n = db_read(db, ino, off, len, buf, DB_ATIME_NOATIME);
	ck_assert_msg(n == (ssize_t) len, "read %zu at %lld: %zd", len,
		      (long long) off, n);
	return buf;
}

/* A pattern that differs at every offset of a block and between seeds. */
void fill(char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char) ((i * 31 + (i >> 9) + seed * 101) % 251 + 1);
}

int all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

void assert_zero(ino_t ino, off_t off, size_t len)
{
	char *buf = get(ino, off, len);

	ck_assert_msg(all_zero(buf, len), "bytes at %lld+%zu not zero",
		      (long long) off, len);
	free(buf);
}

void assert_bytes(ino_t ino, off_t off, const char *want, size_t len)
{
	char *buf = get(ino, off, len);

	ck_assert_mem_eq(buf, want, len);
	free(buf);
}

int ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

void assert_same_stat(const struct stat *a, const struct stat *b)
{
	ck_assert_uint_eq(a->st_ino, b->st_ino);
	ck_assert_uint_eq(a->st_mode, b->st_mode);
	ck_assert_uint_eq(a->st_nlink, b->st_nlink);
	ck_assert_uint_eq(a->st_uid, b->st_uid);
	ck_assert_uint_eq(a->st_gid, b->st_gid);
	ck_assert_uint_eq(a->st_rdev, b->st_rdev);
	ck_assert_int_eq(a->st_size, b->st_size);
	ck_assert_int_eq(a->st_blocks, b->st_blocks);
	ck_assert_msg(ts_eq(a->st_atim, b->st_atim), "atime changed");
	ck_assert_msg(ts_eq(a->st_mtim, b->st_mtim), "mtime changed");
	ck_assert_msg(ts_eq(a->st_ctim, b->st_ctim), "ctime changed");
}

/* Sets the ctime and mtime of ino to 1970, so a later change shows. */
void age(ino_t ino)
{
	struct stat in, out;

	memset(&in, 0, sizeof(in));
	in.st_mtim.tv_sec = 1;
	in.st_ctim.tv_sec = 1;
	ck_assert_int_eq(
		db_setattr(db, ino, &in, DB_SET_MTIME | DB_SET_CTIME, &out), 0);
}

int changed_since_age(struct timespec t)
{
	return t.tv_sec > 1;
}

/* The whole content of a host file, and its length. */
char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t) n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t) n, f), (size_t) n);
	fclose(f);
	*len = (size_t) n;
	return buf;
}

void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Runs sql on the file at path through a plain SQLite connection. */
void sql_exec(const char *path, const char *sql)
{
	sqlite3 *conn;
	char *msg = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(path, &conn), SQLITE_OK);
	rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	ck_assert_int_eq(sqlite3_close(conn), SQLITE_OK);
}

/*
 * Runs a one-integer query with ?1 bound to arg through a second, read-only
 * connection: it sees what the daemon has committed.
 */
int64_t sql_int(const char *sql, int64_t arg)
{
	sqlite3 *conn;
	sqlite3_stmt *s;
	int64_t v;
	int rc;

	rc = sqlite3_open_v2(db_path, &conn, SQLITE_OPEN_READONLY, NULL);
	ck_assert_int_eq(rc, SQLITE_OK);
	rc = sqlite3_prepare_v2(conn, sql, -1, &s, NULL);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(conn));
	sqlite3_bind_int64(s, 1, arg);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(conn);
	return v;
}

void snap(struct snapshot *s, const ino_t *inos, int n)
{
	int i;

	s->n = n;
	for (i = 0; i < n; i++)
		s->st[i] = attr(inos[i]);
}

void assert_unchanged(const struct snapshot *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		struct stat now = attr(s->st[i].st_ino);

		assert_same_stat(&s->st[i], &now);
	}
}

/* --- directory listings ------------------------------------------------ */

int collect(void *ctx, const char *name, const struct stat *st, off_t next)
{
	struct listing *l = ctx;

	if ((l->limit && l->n >= l->limit) || l->n >= LIST_MAX)
		return 1;
	ck_assert_uint_le(strlen(name), DB_NAME_MAX);
	strcpy(l->name[l->n], name);
	l->ino[l->n] = st->st_ino;
	l->next[l->n] = next;
	l->n++;
	return 0;
}

/* The whole listing of directory ino in one call. */
void list_all(ino_t ino, struct listing *l)
{
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(db_readdir(db, ino, 0, collect, l), 0);
}

/* Index of name in l, -1 if absent; asserts it appears at most once. */
int find_name(const struct listing *l, const char *name)
{
	int i, at = -1;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->name[i], name))
			continue;
		ck_assert_msg(at < 0, "%s listed twice", name);
		at = i;
	}
	return at;
}
