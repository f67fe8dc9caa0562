/*
 * db_test.c - unit tests of the SQL layer (src/db.h)
 *
 * Every case gets a fresh filesystem: db_mkfs() in its own directory under
 * one temporary directory that main() makes and removes, so a failed case
 * (whose teardown check skips) leaves nothing behind.  Expected values
 * come from the contracts in db.h and from what Linux does on ext4.  A
 * second, read-only SQLite connection looks at what was committed.
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

#include "db.h"

#define BS_DEFAULT 4096 /* block size of the fixture's filesystem */
#define TIB ((off_t) 1 << 40)
#define GIB ((off_t) 1 << 30)

static char top_dir[256]; /* made by main(), holds every case's dir */
static char case_dir[512];
static char db_path[1024];
static struct db *db;
static const struct db_cred cred = {.uid = 1234, .gid = 5678};

/* --- fixture and helpers ----------------------------------------------- */

static void make_case_dir(void)
{
	snprintf(case_dir, sizeof(case_dir), "%s/case.XXXXXX", top_dir);
	ck_assert_ptr_nonnull(mkdtemp(case_dir));
	snprintf(db_path, sizeof(db_path), "%s/fs.db", case_dir);
}

static void open_db(int flags)
{
	char err[256] = "";
	int rc = db_open(db_path, flags, &db, err, sizeof(err));

	ck_assert_msg(rc == 0, "db_open %s: %d (%s)", db_path, rc, err);
	ck_assert_ptr_nonnull(db);
}

static void close_db(void)
{
	ck_assert_int_eq(db_close(db), 0);
	db = NULL;
}

/* A new filesystem of block size bs in a new case directory, opened. */
static void fresh_db(unsigned bs)
{
	make_case_dir();
	ck_assert_int_eq(db_mkfs(db_path, bs, 4096), 0);
	open_db(0);
	ck_assert_uint_eq(db_block_size(db), bs);
}

static void setup(void)
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

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void teardown(void)
{
	if (db)
		db_close(db);
	db = NULL;
	rm_tree(case_dir);
}

static ino_t mk(ino_t parent, const char *name, mode_t mode)
{
	struct stat st;
	int rc = db_mknod(db, parent, name, mode, 0, NULL, &cred, &st);

	ck_assert_msg(rc == 0, "mknod %s: %d", name, rc);
	ck_assert_uint_ne(st.st_ino, 0);
	return st.st_ino;
}

static ino_t mkfile(ino_t parent, const char *name)
{
	return mk(parent, name, S_IFREG | 0644);
}

static ino_t mkdir_in(ino_t parent, const char *name)
{
	return mk(parent, name, S_IFDIR | 0755);
}

static struct stat attr(ino_t ino)
{
	struct stat st;
	int rc = db_getattr(db, ino, &st);

	ck_assert_msg(rc == 0, "getattr %lu: %d", (unsigned long) ino, rc);
	return st;
}

static nlink_t nlink_of(ino_t ino)
{
	return attr(ino).st_nlink;
}

static off_t size_of(ino_t ino)
{
	return attr(ino).st_size;
}

/* The inode of parent/name, 0 if absent. */
static ino_t ino_of(ino_t parent, const char *name)
{
	struct stat st;
	int rc = db_lookup(db, parent, name, &st);

	if (rc == -ENOENT)
		return 0;
	ck_assert_msg(rc == 0, "lookup %s: %d", name, rc);
	return st.st_ino;
}

static void put(ino_t ino, off_t off, const void *buf, size_t len)
{
	ssize_t n = db_write(db, ino, off, buf, len, 0, NULL);

	ck_assert_msg(n == (ssize_t) len, "write %zu at %lld: %zd", len,
		      (long long) off, n);
}

/* Reads exactly len bytes at off (asserting the count) into a new buffer. */
static char *get(ino_t ino, off_t off, size_t len)
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
static void fill(char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char) ((i * 31 + (i >> 9) + seed * 101) % 251 + 1);
}

static int all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void assert_zero(ino_t ino, off_t off, size_t len)
{
	char *buf = get(ino, off, len);

	ck_assert_msg(all_zero(buf, len), "bytes at %lld+%zu not zero",
		      (long long) off, len);
	free(buf);
}

static void assert_bytes(ino_t ino, off_t off, const char *want, size_t len)
{
	char *buf = get(ino, off, len);

	ck_assert_mem_eq(buf, want, len);
	free(buf);
}

static int ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static void assert_same_stat(const struct stat *a, const struct stat *b)
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
static void age(ino_t ino)
{
	struct stat in, out;

	memset(&in, 0, sizeof(in));
	in.st_mtim.tv_sec = 1;
	in.st_ctim.tv_sec = 1;
	ck_assert_int_eq(
		db_setattr(db, ino, &in, DB_SET_MTIME | DB_SET_CTIME, &out), 0);
}

static int changed_since_age(struct timespec t)
{
	return t.tv_sec > 1;
}

/* The whole content of a host file, and its length. */
static char *slurp(const char *path, size_t *len)
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

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Runs sql on the file at path through a plain SQLite connection. */
static void sql_exec(const char *path, const char *sql)
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
static int64_t sql_int(const char *sql, int64_t arg)
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

/* --- directory listings ------------------------------------------------ */

#define LIST_MAX 128

struct listing {
	int n;
	int limit; /* stop (buffer full) before entry limit + 1; 0: none */
	char name[LIST_MAX][DB_NAME_MAX + 1];
	ino_t ino[LIST_MAX];
	off_t next[LIST_MAX];
};

static int collect(void *ctx, const char *name, const struct stat *st,
		   off_t next)
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
static void list_all(ino_t ino, struct listing *l)
{
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(db_readdir(db, ino, 0, collect, l), 0);
}

/* Index of name in l, -1 if absent; asserts it appears at most once. */
static int find_name(const struct listing *l, const char *name)
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

/* --- db_open and db_mkfs ----------------------------------------------- */

/* Closes the fixture's filesystem and points db_path at name beside it. */
static void other_file(const char *name)
{
	close_db();
	snprintf(db_path, sizeof(db_path), "%s/%s", case_dir, name);
}

START_TEST(test_open_missing)
{
	char err[256] = "";
	struct db *d = (struct db *) &d; /* not NULL: db_open() must clear it */

	other_file("none.db");
	ck_assert_int_eq(db_open(db_path, 0, &d, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(d);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(access(db_path, F_OK), -1);
}
END_TEST

/* Asserts that db_open of db_path fails with want, leaving it intact. */
static void assert_refused(int flags, int want)
{
	char err[256] = "", *before, *after;
	size_t n_before, n_after, i;
	struct db *d = (struct db *) &d; /* not NULL: db_open() must clear it */
	int rc;

	before = slurp(db_path, &n_before);
	rc = db_open(db_path, flags, &d, err, sizeof(err));
	ck_assert_msg(rc == want, "db_open: %d (%s), want %d", rc, err, want);
	ck_assert_ptr_null(d);
	ck_assert_msg(err[0] != '\0', "no reason given");
	ck_assert_msg(!strchr(err, '\n'), "reason is not one line: %s", err);
	after = slurp(db_path, &n_after);
	for (i = 0; i < n_before && i < n_after && before[i] == after[i]; i++)
		;
	ck_assert_msg(n_before == n_after && i == n_after,
		      "db_open changed the file: %zu bytes, now %zu, first "
		      "difference at byte %zu",
		      n_before, n_after, i);
	free(before);
	free(after);
}

START_TEST(test_open_text_file)
{
	static const char line[] = "this is a text file, not a database\n";
	char text[4096];
	size_t i;

	other_file("other.db");
	for (i = 0; i + sizeof(line) - 1 <= sizeof(text); i += sizeof(line) - 1)
		memcpy(text + i, line, sizeof(line) - 1);
	spit(db_path, text, i);
	assert_refused(0, -EINVAL);
	assert_refused(DB_OPEN_READONLY, -EINVAL);
}
END_TEST

START_TEST(test_open_short_text_file)
{
	other_file("other.db");
	spit(db_path, "hello\n", 6);
	assert_refused(0, -EINVAL);
}
END_TEST

START_TEST(test_open_empty_file)
{
	other_file("other.db");
	spit(db_path, "", 0);
	assert_refused(0, -EINVAL);
}
END_TEST

START_TEST(test_open_other_app)
{
	other_file("other.db");
	sql_exec(db_path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body);"
			  "INSERT INTO notes (body) VALUES ('hello');");
	assert_refused(0, -EINVAL);
	assert_refused(DB_OPEN_READONLY, -EINVAL);
}
END_TEST

START_TEST(test_open_other_app_id)
{
	other_file("other.db");
	sql_exec(db_path, "PRAGMA application_id = 305419896;"
			  "PRAGMA user_version = 1;"
			  "CREATE TABLE inode (ino INTEGER PRIMARY KEY);");
	assert_refused(0, -EINVAL);
}
END_TEST

START_TEST(test_open_newer_format)
{
	other_file("other.db");
	ck_assert_int_eq(db_mkfs(db_path, BS_DEFAULT, 4096), 0);
	sql_exec(db_path, "PRAGMA user_version = 99");
	assert_refused(0, -EPROTO);
	assert_refused(DB_OPEN_READONLY, -EPROTO);
}
END_TEST

START_TEST(test_open_format_zero)
{
	other_file("other.db");
	ck_assert_int_eq(db_mkfs(db_path, BS_DEFAULT, 4096), 0);
	sql_exec(db_path, "PRAGMA user_version = 0");
	assert_refused(0, -EINVAL);
}
END_TEST

START_TEST(test_mkfs_existing)
{
	char *before, *after;
	size_t n_before, n_after;

	close_db();
	before = slurp(db_path, &n_before);
	ck_assert_int_eq(db_mkfs(db_path, BS_DEFAULT, 4096), -EEXIST);
	after = slurp(db_path, &n_after);
	ck_assert_uint_eq(n_before, n_after);
	ck_assert_mem_eq(before, after, n_after);
	free(before);
	free(after);
	/* a text file is not overwritten either */
	snprintf(db_path, sizeof(db_path), "%s/text", case_dir);
	spit(db_path, "keep me\n", 8);
	ck_assert_int_eq(db_mkfs(db_path, BS_DEFAULT, 4096), -EEXIST);
	after = slurp(db_path, &n_after);
	ck_assert_uint_eq(n_after, 8);
	ck_assert_mem_eq(after, "keep me\n", 8);
	free(after);
}
END_TEST

START_TEST(test_mkfs_block_sizes)
{
	static const unsigned sizes[] = {512, 4096, 65536, 1048576};
	size_t i;

	close_db();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(db_path, sizeof(db_path), "%s/bs%zu.db", case_dir, i);
		ck_assert_int_eq(db_mkfs(db_path, sizes[i], 4096), 0);
		open_db(0);
		ck_assert_uint_eq(db_block_size(db), sizes[i]);
		ck_assert_uint_eq(attr(DB_ROOT_INO).st_blksize, sizes[i]);
		close_db();
	}
	ck_assert_ptr_nonnull(db_sqlite_version());
}
END_TEST

/* --- inodes and names -------------------------------------------------- */

START_TEST(test_root)
{
	struct stat st = attr(DB_ROOT_INO), dummy;

	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_ino, DB_ROOT_INO);
	ck_assert_uint_eq(st.st_nlink, 2);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_uint_eq(st.st_uid, getuid());
	ck_assert_uint_eq(st.st_gid, getgid());
	ck_assert_int_eq(db_getattr(db, 0, &dummy), -ENOENT);
	ck_assert_int_eq(db_getattr(db, 2, &dummy), -ENOENT);
	ck_assert_int_eq(db_getattr(db, 999999, &dummy), -ENOENT);
	ck_assert_int_eq(db_dirty(db), 0);
}
END_TEST

START_TEST(test_mknod_types)
{
	static const struct {
		const char *name;
		mode_t mode;
		dev_t rdev;
	} kinds[] = {
		{"file", S_IFREG | 0640, 0}, {"dir", S_IFDIR | 0750, 0},
		{"fifo", S_IFIFO | 0600, 0}, {"sock", S_IFSOCK | 0777, 0},
		{"chr", S_IFCHR | 0620, 0},  {"blk", S_IFBLK | 0660, 0},
	};
	struct stat st, found;
	char target[64];
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		dev_t rdev = makedev(8, (unsigned) i + 1);

		ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, kinds[i].name,
					  kinds[i].mode, rdev, NULL, &cred,
					  &st),
				 0);
		ck_assert_uint_eq(st.st_mode, kinds[i].mode);
		ck_assert_uint_eq(st.st_uid, cred.uid);
		ck_assert_uint_eq(st.st_gid, cred.gid);
		ck_assert_int_eq(st.st_size, 0);
		ck_assert_uint_eq(st.st_nlink, S_ISDIR(kinds[i].mode) ? 2 : 1);
		if (S_ISCHR(kinds[i].mode) || S_ISBLK(kinds[i].mode))
			ck_assert_uint_eq(st.st_rdev, rdev);
		else
			ck_assert_uint_eq(st.st_rdev, 0);
		ck_assert_int_eq(
			db_lookup(db, DB_ROOT_INO, kinds[i].name, &found), 0);
		assert_same_stat(&st, &found);
		found = attr(st.st_ino);
		assert_same_stat(&st, &found);
	}

	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "link", S_IFLNK | 0777, 0,
				  "../some/where", &cred, &st),
			 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(st.st_size, 13);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_int_eq(db_readlink(db, st.st_ino, target, sizeof(target)), 0);
	ck_assert_str_eq(target, "../some/where");
	ck_assert_int_eq(db_readlink(db, ino_of(DB_ROOT_INO, "file"), target,
				     sizeof(target)),
			 -EINVAL);
	ck_assert_int_eq(db_readlink(db, 999999, target, sizeof(target)),
			 -ENOENT);
	/* one subdirectory among them */
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_symlink_long_target)
{
	char target[PATH_MAX + 1], back[PATH_MAX + 1];
	struct stat st;

	/* PATH_MAX counts the NUL: 4095 bytes is the longest target */
	memset(target, 'x', PATH_MAX);
	target[PATH_MAX] = '\0';
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "l", S_IFLNK | 0777, 0,
				  target, &cred, &st),
			 -ENAMETOOLONG);
	target[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "l", S_IFLNK | 0777, 0,
				  target, &cred, &st),
			 0);
	ck_assert_int_eq(st.st_size, PATH_MAX - 1);
	ck_assert_int_eq(db_readlink(db, st.st_ino, back, sizeof(back)), 0);
	ck_assert_str_eq(back, target);
	ck_assert_int_eq(attr(st.st_ino).st_size, PATH_MAX - 1);
}
END_TEST

START_TEST(test_mkdir_nlink)
{
	ino_t a, b;
	struct stat st;

	age(DB_ROOT_INO);
	a = mkdir_in(DB_ROOT_INO, "a");
	st = attr(DB_ROOT_INO);
	ck_assert_uint_eq(st.st_nlink, 3);
	ck_assert(changed_since_age(st.st_mtim));
	ck_assert(changed_since_age(st.st_ctim));
	ck_assert_uint_eq(nlink_of(a), 2);
	b = mkdir_in(a, "b");
	ck_assert_uint_eq(nlink_of(a), 3);
	ck_assert_uint_eq(nlink_of(b), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
	mkfile(a, "f");
	mk(a, "p", S_IFIFO | 0644);
	ck_assert_uint_eq(nlink_of(a), 3);
	mkdir_in(a, "c");
	ck_assert_uint_eq(nlink_of(a), 4);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_mknod_exists)
{
	struct stat before_root, before_f, st, after;
	ino_t f = mkfile(DB_ROOT_INO, "f");

	mkdir_in(DB_ROOT_INO, "d");
	before_root = attr(DB_ROOT_INO);
	before_f = attr(f);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "f", S_IFREG | 0600, 0, NULL,
				  &cred, &st),
			 -EEXIST);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "f", S_IFDIR | 0700, 0, NULL,
				  &cred, &st),
			 -EEXIST);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "d", S_IFDIR | 0700, 0, NULL,
				  &cred, &st),
			 -EEXIST);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "d", S_IFLNK | 0777, 0, "x",
				  &cred, &st),
			 -EEXIST);
	after = attr(DB_ROOT_INO);
	assert_same_stat(&before_root, &after);
	after = attr(f);
	assert_same_stat(&before_f, &after);
	ck_assert_int_eq(sql_int("SELECT 0 * ?1 + count(*) FROM inode", 0), 1);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT 0 * ?1 + count(*) FROM inode", 0), 3);
}
END_TEST

START_TEST(test_name_length)
{
	char n255[DB_NAME_MAX + 1], n256[DB_NAME_MAX + 2];
	struct stat st;
	ino_t victim, f;
	int gone;

	memset(n255, 'a', DB_NAME_MAX);
	n255[DB_NAME_MAX] = '\0';
	memset(n256, 'b', DB_NAME_MAX + 1);
	n256[DB_NAME_MAX + 1] = '\0';

	f = mkfile(DB_ROOT_INO, n255);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, n255), f);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, n256, S_IFREG | 0644, 0,
				  NULL, &cred, &st),
			 -ENAMETOOLONG);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, n256, S_IFDIR | 0755, 0,
				  NULL, &cred, &st),
			 -ENAMETOOLONG);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, n256, &st), -ENAMETOOLONG);
	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, n256, &st), -ENAMETOOLONG);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, n256, 0, &victim, &gone),
			 -ENAMETOOLONG);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, n255, DB_ROOT_INO, n256, 0,
				   &victim, &gone),
			 -ENAMETOOLONG);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, n255), f);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, n255, DB_ROOT_INO, "s", 0,
				   &victim, &gone),
			 0);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "s", DB_ROOT_INO, n255, 0,
				   &victim, &gone),
			 0);
	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, "other", &st), 0);
	n255[0] = 'z';
	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, n255, &st), 0);
	ck_assert_uint_eq(nlink_of(f), 3);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, n255, 0, &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, f);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 2);
}
END_TEST

START_TEST(test_bad_names)
{
	struct stat st;

	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 -EINVAL);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, ".", S_IFDIR | 0755, 0, NULL,
				  &cred, &st),
			 -EINVAL);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "..", S_IFDIR | 0755, 0,
				  NULL, &cred, &st),
			 -EINVAL);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 2);
}
END_TEST

START_TEST(test_lookup_errors)
{
	struct stat st;
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");

	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "nope", &st), -ENOENT);
	ck_assert_int_eq(db_lookup(db, d, "f", &st), -ENOENT);
	ck_assert_int_eq(db_lookup(db, f, "x", &st), -ENOTDIR);
	ck_assert_int_eq(db_lookup(db, 999999, "x", &st), -ENOENT);
	ck_assert_int_eq(
		db_mknod(db, f, "x", S_IFREG | 0644, 0, NULL, &cred, &st),
		-ENOTDIR);
	ck_assert_int_eq(
		db_mknod(db, 999999, "x", S_IFREG | 0644, 0, NULL, &cred, &st),
		-ENOENT);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "F", &st), -ENOENT);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "f", &st), 0);
	ck_assert_uint_eq(st.st_ino, f);
}
END_TEST

START_TEST(test_setgid_dir)
{
	struct stat in, st;
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), sub;

	memset(&in, 0, sizeof(in));
	in.st_mode = 02775;
	in.st_gid = 4242;
	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_MODE | DB_SET_GID, &st),
			 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 02775);
	ck_assert_int_eq(
		db_mknod(db, d, "f", S_IFREG | 0644, 0, NULL, &cred, &st), 0);
	ck_assert_uint_eq(st.st_gid, 4242);
	ck_assert_uint_eq(st.st_uid, cred.uid);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0644);
	sub = mkdir_in(d, "sub");
	st = attr(sub);
	ck_assert_uint_eq(st.st_gid, 4242);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 02755);
	/* outside, the caller's group */
	ck_assert_uint_eq(attr(mkfile(DB_ROOT_INO, "g")).st_gid, cred.gid);
}
END_TEST

START_TEST(test_link)
{
	struct stat st, before;
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	ino_t g = mkfile(DB_ROOT_INO, "g"), victim;
	int gone;

	age(f);
	age(d);
	ck_assert_int_eq(db_link(db, f, d, "f2", &st), 0);
	ck_assert_uint_eq(st.st_ino, f);
	ck_assert_uint_eq(st.st_nlink, 2);
	st = attr(f);
	ck_assert_uint_eq(st.st_nlink, 2);
	ck_assert(changed_since_age(st.st_ctim));
	ck_assert(!changed_since_age(st.st_mtim));
	ck_assert(changed_since_age(attr(d).st_mtim));
	ck_assert_uint_eq(ino_of(d, "f2"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), f);
	ck_assert_uint_eq(nlink_of(d), 2);

	before = attr(d);
	ck_assert_int_eq(db_link(db, d, DB_ROOT_INO, "d2", &st), -EPERM);
	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, "g", &st), -EEXIST);
	ck_assert_int_eq(db_link(db, f, g, "x", &st), -ENOTDIR);
	ck_assert_int_eq(db_link(db, 999999, DB_ROOT_INO, "x", &st), -ENOENT);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g"), g);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "d2"), 0);
	ck_assert_uint_eq(nlink_of(f), 2);
	ck_assert_uint_eq(nlink_of(g), 1);
	st = attr(d);
	assert_same_stat(&before, &st);

	/* a file whose last name is gone cannot get a new one */
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "g", 0, &victim, &gone), 0);
	ck_assert_int_eq(db_link(db, g, DB_ROOT_INO, "g2", &st), -ENOENT);
	ck_assert_uint_eq(nlink_of(g), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g2"), 0);
}
END_TEST

START_TEST(test_unlink)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	ino_t e = mkdir_in(DB_ROOT_INO, "e"), victim = 77;
	struct stat st;
	int gone = 77;

	ck_assert_int_eq(db_link(db, f, d, "f2", &st), 0);
	mkfile(e, "inside");

	age(DB_ROOT_INO);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "f", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, f);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(nlink_of(f), 1);
	st = attr(DB_ROOT_INO);
	ck_assert(changed_since_age(st.st_mtim));
	ck_assert(changed_since_age(st.st_ctim));
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), 0);

	ck_assert_int_eq(db_unlink(db, d, "f2", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, f);
	ck_assert_int_ne(gone, 0);
	st = attr(f); /* rows stay until db_forget() */
	ck_assert_uint_eq(st.st_nlink, 0);

	victim = 77;
	gone = 77;
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "f", 0, &victim, &gone),
			 -ENOENT);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 0, &victim, &gone),
			 -EISDIR);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(db_unlink(db, e, "inside", 1, &victim, &gone),
			 -ENOTDIR);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "e", 1, &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_int_eq(db_unlink(db, d, "x", 0, &victim, &gone), -ENOENT);
	ck_assert_int_eq(db_unlink(db, e, "inside", 0, &victim, &gone), 0);
	ck_assert_int_eq(db_unlink(db, e, "inside", 0, &victim, &gone),
			 -ENOENT);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);

	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "e", 1, &victim, &gone), 0);
	ck_assert_uint_eq(victim, e);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
	ck_assert_uint_eq(nlink_of(e), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "e"), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone), 0);
	ck_assert_uint_eq(victim, d);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 2);
}
END_TEST

START_TEST(test_removed_dir_refuses_names)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(DB_ROOT_INO, "f");
	ino_t victim;
	struct stat st;
	struct listing l;
	int gone;

	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone), 0);
	ck_assert_int_eq(
		db_mknod(db, d, "x", S_IFREG | 0644, 0, NULL, &cred, &st),
		-ENOENT);
	ck_assert_int_eq(db_link(db, f, d, "x", &st), -ENOENT);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "f", d, "x", 0, &victim, &gone),
		-ENOENT);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), f);
	ck_assert_uint_eq(nlink_of(f), 1);
	list_all(d, &l);
	ck_assert_int_eq(l.n, 2);
}
END_TEST

START_TEST(test_forget)
{
	char data[3 * BS_DEFAULT], kept[100];
	ino_t f = mkfile(DB_ROOT_INO, "f"), keep = mkfile(DB_ROOT_INO, "keep");
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), victim;
	struct stat st;
	int gone;

	fill(data, sizeof(data), 1);
	put(f, 0, data, sizeof(data));
	put(keep, 0, data, 100);
	memcpy(kept, data, 100);
	ck_assert_int_eq(db_setxattr(db, f, "user.a", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, keep, "user.a", "1", 1, 0), 0);

	/* still named: forget keeps everything */
	ck_assert_int_eq(db_forget(db, f), 0);
	ck_assert_int_eq(db_forget(db, keep), 0);
	ck_assert_int_eq(db_forget(db, d), 0);
	ck_assert_int_eq(db_forget(db, DB_ROOT_INO), 0);
	ck_assert_uint_eq(nlink_of(f), 1);
	ck_assert_uint_eq(nlink_of(d), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
	assert_bytes(f, 0, data, sizeof(data));

	/* unlinked but not forgotten: an open file keeps working */
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "f", 0, &victim, &gone), 0);
	ck_assert_int_ne(gone, 0);
	assert_bytes(f, 0, data, sizeof(data));
	put(f, 10, "xyz", 3);
	memcpy(data + 10, "xyz", 3);
	assert_bytes(f, 0, data, sizeof(data));
	ck_assert_int_eq(db_getxattr(db, f, "user.a", NULL, 0), 1);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 3);

	ck_assert_int_eq(db_forget(db, f), 0);
	ck_assert_int_eq(db_getattr(db, f, &st), -ENOENT);
	ck_assert_int_eq(db_forget(db, f), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone), 0);
	ck_assert_int_eq(db_forget(db, d), 0);
	ck_assert_int_eq(db_getattr(db, d, &st), -ENOENT);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM inode WHERE ino = ?1", f), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 0);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM xattr WHERE ino = ?1", f), 0);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM inode WHERE ino = ?1", d), 0);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM data WHERE ino = ?1", keep), 1);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM xattr WHERE ino = ?1", keep), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 2);
	assert_bytes(keep, 0, kept, 100);
}
END_TEST

START_TEST(test_purge_orphans)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), b = mkfile(DB_ROOT_INO, "b");
	ino_t c = mkfile(DB_ROOT_INO, "c"), d = mkdir_in(DB_ROOT_INO, "d");
	ino_t victim;
	struct stat st;
	int gone;

	put(a, 0, "data", 4);
	ck_assert_int_eq(db_purge_orphans(db), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "a", 0, &victim, &gone), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "b", 0, &victim, &gone), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone), 0);
	ck_assert_int_eq(db_purge_orphans(db), 3);
	ck_assert_int_eq(db_getattr(db, a, &st), -ENOENT);
	ck_assert_int_eq(db_getattr(db, b, &st), -ENOENT);
	ck_assert_int_eq(db_getattr(db, d, &st), -ENOENT);
	ck_assert_uint_eq(nlink_of(c), 1);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 2);
	ck_assert_int_eq(db_purge_orphans(db), 0);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", a),
			 0);
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 2);
}
END_TEST

/* --- rename ------------------------------------------------------------ */

START_TEST(test_rename_plain)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d1 = mkdir_in(DB_ROOT_INO, "d1");
	ino_t d2 = mkdir_in(DB_ROOT_INO, "d2"), sub = mkdir_in(d1, "sub");
	ino_t victim = 77;
	struct listing l;
	struct stat st;
	int gone = 77, i;

	age(f);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f", DB_ROOT_INO, "g", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g"), f);
	st = attr(f);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert(changed_since_age(st.st_ctim));

	/* a file to another directory */
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "g", d2, "g", 0, &victim, &gone), 0);
	ck_assert_uint_eq(ino_of(d2, "g"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g"), 0);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);

	/* a directory to another directory: ".." moves with it */
	age(d1);
	age(d2);
	ck_assert_int_eq(
		db_rename(db, d1, "sub", d2, "sub2", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);
	ck_assert_uint_eq(nlink_of(sub), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	ck_assert(changed_since_age(attr(d1).st_mtim));
	ck_assert(changed_since_age(attr(d2).st_mtim));
	ck_assert_uint_eq(ino_of(d2, "sub2"), sub);
	ck_assert_uint_eq(ino_of(d1, "sub"), 0);
	list_all(sub, &l);
	i = find_name(&l, "..");
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(l.ino[i], d2);

	/* a directory up to the root */
	ck_assert_int_eq(db_rename(db, d2, "sub2", DB_ROOT_INO, "top", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
	list_all(sub, &l);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], DB_ROOT_INO);

	/* a missing source */
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "nope", DB_ROOT_INO, "x", 0,
				   &victim, &gone),
			 -ENOENT);
	ck_assert_int_eq(
		db_rename(db, f, "x", DB_ROOT_INO, "y", 0, &victim, &gone),
		-ENOTDIR);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "top", f, "y", 0, &victim, &gone),
		-ENOTDIR);
}
END_TEST

START_TEST(test_rename_over_file)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), b = mkfile(DB_ROOT_INO, "b");
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), c = mkfile(d, "c");
	ino_t victim;
	struct stat st;
	int gone;

	put(a, 0, "AAAA", 4);
	put(b, 0, "BB", 2);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, b);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(b), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), 0);
	assert_bytes(a, 0, "AAAA", 4);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);

	/* the target has a second name: it loses one, not its rows */
	ck_assert_int_eq(db_link(db, c, DB_ROOT_INO, "c2", &st), 0);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "b", d, "c", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, c);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(nlink_of(c), 1);
	ck_assert_uint_eq(ino_of(d, "c"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c2"), c);
	ck_assert_uint_eq(nlink_of(d), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_rename_over_empty_dir)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(DB_ROOT_INO, "b");
	ino_t p = mkdir_in(DB_ROOT_INO, "p"), q = mkdir_in(DB_ROOT_INO, "q");
	ino_t x = mkdir_in(p, "x"), y = mkdir_in(q, "y"), victim;
	int gone;

	mkfile(a, "content");
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 6);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, b);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(b), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), a);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
	ck_assert_uint_ne(ino_of(a, "content"), 0);

	/* across directories */
	ck_assert_int_eq(db_rename(db, p, "x", q, "y", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, y);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(p), 2);
	ck_assert_uint_eq(nlink_of(q), 3);
	ck_assert_uint_eq(nlink_of(x), 2);
	ck_assert_uint_eq(nlink_of(y), 0);
	ck_assert_uint_eq(ino_of(q, "y"), x);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
}
END_TEST

/* Snapshots of a few inodes, to prove a failed call changed nothing. */
struct snapshot {
	int n;
	struct stat st[16];
};

static void snap(struct snapshot *s, const ino_t *inos, int n)
{
	int i;

	s->n = n;
	for (i = 0; i < n; i++)
		s->st[i] = attr(inos[i]);
}

static void assert_unchanged(const struct snapshot *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		struct stat now = attr(s->st[i].st_ino);

		assert_same_stat(&s->st[i], &now);
	}
}

START_TEST(test_rename_not_empty)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(DB_ROOT_INO, "b");
	ino_t fa = mkfile(a, "fa"), fb = mkfile(b, "fb"), victim = 77;
	ino_t all[] = {DB_ROOT_INO, a, b, fa, fb};
	struct snapshot s;
	int gone = 77;

	snap(&s, all, 5);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), b);
	ck_assert_uint_eq(ino_of(a, "fa"), fa);
	ck_assert_uint_eq(ino_of(b, "fb"), fb);
}
END_TEST

START_TEST(test_rename_type_mismatch)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), e = mkdir_in(DB_ROOT_INO, "e");
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(d, "g"), victim;
	ino_t all[] = {DB_ROOT_INO, d, e, f, g};
	struct snapshot s;
	int gone;

	snap(&s, all, 5);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f", DB_ROOT_INO, "e", 0,
				   &victim, &gone),
			 -EISDIR);
	ck_assert_int_eq(
		db_rename(db, d, "g", DB_ROOT_INO, "e", 0, &victim, &gone),
		-EISDIR);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "e", DB_ROOT_INO, "f", 0,
				   &victim, &gone),
			 -ENOTDIR);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "e", d, "g", 0, &victim, &gone),
		-ENOTDIR);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "e"), e);
	ck_assert_uint_eq(ino_of(d, "g"), g);
}
END_TEST

START_TEST(test_rename_into_itself)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t c = mkdir_in(b, "c"), victim;
	ino_t all[] = {DB_ROOT_INO, a, b, c};
	struct snapshot s;
	int gone;

	snap(&s, all, 4);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "a", a, "x", 0, &victim, &gone),
		-EINVAL);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "a", c, "x", 0, &victim, &gone),
		-EINVAL);
	ck_assert_int_eq(db_rename(db, a, "b", c, "b", 0, &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, a, "b", b, "x", 0, &victim, &gone),
			 -EINVAL);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(b, "x"), 0);
	/* the way up is fine: c to the root, then the root's child over it */
	ck_assert_int_eq(
		db_rename(db, b, "c", DB_ROOT_INO, "c", 0, &victim, &gone), 0);
	ck_assert_uint_eq(nlink_of(b), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	/* an ancestor of the source as target: not empty */
	ck_assert_int_eq(
		db_rename(db, a, "b", DB_ROOT_INO, "a", 0, &victim, &gone),
		-ENOTEMPTY);
}
END_TEST

START_TEST(test_rename_noreplace)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), b = mkfile(DB_ROOT_INO, "b");
	ino_t all[] = {DB_ROOT_INO, a, b}, victim;
	struct snapshot s;
	int gone;

	snap(&s, all, 3);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b",
				   DB_RENAME_NOREPLACE, &victim, &gone),
			 -EEXIST);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), b);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "c",
				   DB_RENAME_NOREPLACE, &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), 0);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "c", DB_ROOT_INO, "d",
				   DB_RENAME_NOREPLACE | DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "c", DB_ROOT_INO, "d", 4,
				   &victim, &gone),
			 -EINVAL);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c"), a);
}
END_TEST

START_TEST(test_rename_exchange)
{
	ino_t d1 = mkdir_in(DB_ROOT_INO, "d1"),
	      d2 = mkdir_in(DB_ROOT_INO, "d2");
	ino_t f = mkfile(d1, "f"), sub = mkdir_in(d2, "sub"), victim = 77;
	struct listing l;
	int gone = 77;

	mkfile(sub, "inside");
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);
	ck_assert_int_eq(db_rename(db, d1, "f", d2, "sub", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(d1, "f"), sub);
	ck_assert_uint_eq(ino_of(d2, "sub"), f);
	ck_assert_uint_eq(nlink_of(d1), 3);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(f), 1);
	ck_assert_uint_eq(nlink_of(sub), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	list_all(sub, &l);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], d1);
	ck_assert_int_ge(find_name(&l, "inside"), 0);

	/* and back */
	ck_assert_int_eq(db_rename(db, d2, "sub", d1, "f", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d1, "f"), f);
	ck_assert_uint_eq(ino_of(d2, "sub"), sub);
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);

	/* a missing side */
	ck_assert_int_eq(db_rename(db, d1, "f", d2, "nope", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 -ENOENT);
	ck_assert_uint_eq(ino_of(d1, "f"), f);
	ck_assert_uint_eq(ino_of(d2, "nope"), 0);
}
END_TEST

START_TEST(test_rename_exchange_same_dir)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(d, "f");
	ino_t sub = mkdir_in(d, "sub"), g = mkfile(d, "g"), victim;
	int gone;

	ck_assert_uint_eq(nlink_of(d), 3);
	/* a file and a directory in one directory: the count stays */
	ck_assert_int_eq(db_rename(db, d, "f", d, "sub", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d, "f"), sub);
	ck_assert_uint_eq(ino_of(d, "sub"), f);
	ck_assert_uint_eq(nlink_of(d), 3);
	ck_assert_uint_eq(nlink_of(sub), 2);
	/* two files */
	ck_assert_int_eq(db_rename(db, d, "sub", d, "g", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d, "sub"), g);
	ck_assert_uint_eq(ino_of(d, "g"), f);
	ck_assert_uint_eq(nlink_of(d), 3);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_rename_exchange_into_itself)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t f = mkfile(b, "f"), victim;
	ino_t all[] = {DB_ROOT_INO, a, b, f};
	struct snapshot s;
	int gone;

	snap(&s, all, 4);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", b, "f",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, b, "f", DB_ROOT_INO, "a",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 -EINVAL);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(b, "f"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
}
END_TEST

START_TEST(test_rename_same_inode)
{
	ino_t f = mkfile(DB_ROOT_INO, "a"), victim = 77;
	ino_t all[] = {DB_ROOT_INO, f};
	struct snapshot s;
	struct stat st;
	int gone = 77;

	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, "b", &st), 0);
	snap(&s, all, 2);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), f);
	assert_unchanged(&s);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "a", 0,
				   &victim, &gone),
			 0);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), f);
	ck_assert_uint_eq(nlink_of(f), 2);
}
END_TEST

/* --- file data --------------------------------------------------------- */

/* Unaligned writes over three blocks, read back at every boundary. */
static void check_round_trip(unsigned bs)
{
	size_t len = 2 * bs, whole = 3 * bs;
	off_t off = bs / 2 + 3;
	char *data = malloc(len), *want = calloc(1, whole), *buf;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;
	size_t k;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, bs);
	put(f, off, data, len);
	memcpy(want + off, data, len);
	st = attr(f);
	ck_assert_int_eq(st.st_size, off + (off_t) len);
	ck_assert_int_ge(st.st_blocks * 512, (blkcnt_t) len);
	ck_assert_int_le(st.st_blocks * 512, (blkcnt_t) whole);

	assert_bytes(f, 0, want, (size_t) st.st_size);
	assert_zero(f, 0, (size_t) off);
	/* windows around each block boundary */
	for (k = 1; k <= 2; k++) {
		assert_bytes(f, (off_t) (k * bs - 1), want + k * bs - 1, 2);
		assert_bytes(f, (off_t) (k * bs), want + k * bs, 1);
		assert_bytes(f, (off_t) (k * bs - 7), want + k * bs - 7, 7);
	}
	assert_bytes(f, 1, want + 1, bs);
	assert_bytes(f, bs - 1, want + bs - 1, bs + 2);

	/* overwrite the middle, aligned, one block */
	fill(data, bs, 99);
	put(f, bs, data, bs);
	memcpy(want + bs, data, bs);
	assert_bytes(f, 0, want, (size_t) st.st_size);
	ck_assert_int_eq(size_of(f), st.st_size);

	/* a read larger than the file returns what there is */
	buf = malloc(whole + 100);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(db_read(db, f, 0, whole + 100, buf, DB_ATIME_NOATIME),
			 st.st_size);
	ck_assert_mem_eq(buf, want, (size_t) st.st_size);
	free(buf);
	free(data);
	free(want);
}

START_TEST(test_write_read_blocks)
{
	check_round_trip(db_block_size(db));
}
END_TEST

START_TEST(test_write_read_block_sizes)
{
	static const unsigned sizes[] = {512, 65536};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		close_db();
		rm_tree(case_dir);
		fresh_db(sizes[i]);
		check_round_trip(sizes[i]);
	}
}
END_TEST

START_TEST(test_write_extends_short_block)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char want[300];

	memset(want, 0, sizeof(want));
	put(f, 0, "abc", 3);
	put(f, 200, "xyz", 3);
	memcpy(want, "abc", 3);
	memcpy(want + 200, "xyz", 3);
	ck_assert_int_eq(size_of(f), 203);
	assert_bytes(f, 0, want, 203);
	put(f, 1, "Q", 1);
	want[1] = 'Q';
	assert_bytes(f, 0, want, 203);
	ck_assert_int_eq(size_of(f), 203);
}
END_TEST

START_TEST(test_read_eof)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	char buf[64];

	ck_assert_int_eq(db_read(db, f, 0, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	put(f, 0, "0123456789", 10);
	ck_assert_int_eq(db_read(db, f, 10, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	ck_assert_int_eq(db_read(db, f, 11, sizeof(buf), buf, DB_ATIME_NOATIME),
			 0);
	ck_assert_int_eq(db_read(db, f, 1 << 30, 1, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_read(db, f, 7, sizeof(buf), buf, DB_ATIME_NOATIME),
			 3);
	ck_assert_mem_eq(buf, "789", 3);
	ck_assert_int_eq(db_read(db, f, 0, 0, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_read(db, d, 0, sizeof(buf), buf, DB_ATIME_NOATIME),
			 -EISDIR);
	ck_assert_int_lt(db_read(db, 999999, 0, 1, buf, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_write(db, d, 0, "x", 1, 0, NULL), -EISDIR);
	ck_assert_int_eq(db_write(db, 999999, 0, "x", 1, 0, NULL), -ENOENT);
}
END_TEST

START_TEST(test_holes)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;

	put(f, 0, "a", 1);
	put(f, 5 * (off_t) bs + 1, "b", 1);
	st = attr(f);
	ck_assert_int_eq(st.st_size, 5 * (off_t) bs + 2);
	ck_assert_int_le(st.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, 0, "a", 1);
	assert_zero(f, 1, 5 * bs);
	assert_bytes(f, 5 * (off_t) bs, "\0b", 2);
	assert_zero(f, 2 * (off_t) bs, bs);
}
END_TEST

/*
 * An inode number is not handed out twice in one mount, even after the
 * inode was deleted: the kernel may still hold pages cached under it.
 */
START_TEST(test_ino_not_reused)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), victim, b;
	int gone;

	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "a", 0, &victim, &gone), 0);
	ck_assert_int_eq(gone, 1);
	ck_assert_int_eq(db_forget(db, a), 0);
	b = mkfile(DB_ROOT_INO, "b");
	ck_assert_uint_gt(b, a);
}
END_TEST

/*
 * Offsets near the largest file size (2^63 - 1): rounding a size up to
 * whole blocks must not overflow, or truncate and punch delete the whole
 * file, fallocate never ends and reads find nothing.
 */
START_TEST(test_near_max_size)
{
	const off_t max = INT64_MAX;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;
	char *buf;

	put(f, 0, "important", 9);
	memset(&st, 0, sizeof(st));
	st.st_size = max;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	st.st_size = max - 1;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	assert_bytes(f, 0, "important", 9);

	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     max - 200, 10, 0, NULL),
		0);
	assert_bytes(f, 0, "important", 9);

	put(f, max - 100, "XYZ", 3);
	buf = get(f, max - 100, 3);
	ck_assert_mem_eq(buf, "XYZ", 3);
	free(buf);
	ck_assert_int_eq(db_lseek(db, f, max - 100, SEEK_DATA), max - 100);
	ck_assert_int_ge(db_lseek(db, f, max - 100, SEEK_HOLE), max - 97);
	ck_assert_int_le(db_lseek(db, f, max - 100, SEEK_HOLE), max - 1);

	/* allocating the last bytes ends, and stores one short block */
	st.st_size = max;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_SIZE, &st), 0);
	ck_assert_int_eq(db_fallocate(db, f, 0, max - 11, 10, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), max);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT min(length(bytes)) >= 0 AND "
				 "(SELECT stored FROM inode WHERE ino = ?1) = "
				 "(SELECT sum(length(bytes)) FROM data "
				 "WHERE ino = ?1) FROM data WHERE ino = ?1",
				 f),
			 1);
	assert_bytes(f, 0, "important", 9);
}
END_TEST

START_TEST(test_sparse_huge)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	off_t at4g = 4 * GIB + 7;
	struct stat st;
	char *buf;

	put(f, at4g, "four", 4);
	st = attr(f);
	ck_assert_int_eq(st.st_size, at4g + 4);
	ck_assert_int_le(st.st_blocks * 512, (blkcnt_t) bs);
	assert_bytes(f, at4g, "four", 4);
	assert_zero(f, at4g - 100, 100);
	assert_zero(f, 0, 100);

	put(f, TIB, "tera", 4);
	st = attr(f);
	ck_assert_int_eq(st.st_size, TIB + 4);
	ck_assert_int_le(st.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, TIB, "tera", 4);
	assert_bytes(f, at4g, "four", 4);
	buf = get(f, TIB - 2, 6);
	ck_assert_mem_eq(buf, "\0\0tera", 6);
	free(buf);
	ck_assert_int_eq(
		db_read(db, f, TIB + 4, 1, (char[1]){0}, DB_ATIME_NOATIME), 0);
	/* and it stays small on disk once committed */
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 2);
	ck_assert_int_eq(
		sql_int("SELECT max(block) FROM data WHERE ino = ?1", f),
		TIB / bs);
}
END_TEST

START_TEST(test_write_limits)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");

	ck_assert_int_eq(db_write(db, f, -1, "x", 1, 0, NULL), -EINVAL);
	ck_assert_int_eq(db_write(db, f, INT64_MAX, "x", 1, 0, NULL), -EFBIG);
	ck_assert_int_eq(size_of(f), 0);
	/* writing nothing grows nothing, as pwrite(2) of 0 bytes */
	ck_assert_int_eq(db_write(db, f, 5, "", 0, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), 0);
}
END_TEST

START_TEST(test_truncate_shrink_grow)
{
	unsigned bs = db_block_size(db);
	size_t len = 3 * bs;
	char *data = malloc(len);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out;

	ck_assert_ptr_nonnull(data);
	fill(data, len, 3);
	put(f, 0, data, len);

	memset(&in, 0, sizeof(in));
	in.st_size = bs + 100;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, bs + 100);
	ck_assert_int_le(out.st_blocks * 512, 2 * (blkcnt_t) bs);
	ck_assert_int_ge(out.st_blocks * 512, (blkcnt_t) bs + 100);
	in.st_size = (off_t) len;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, (off_t) len);
	ck_assert_int_le(out.st_blocks * 512, 2 * (blkcnt_t) bs);
	assert_bytes(f, 0, data, bs + 100);
	assert_zero(f, bs + 100, len - bs - 100);

	/* a write past the cut inside the cut block must not revive data */
	in.st_size = 10;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	put(f, 50, "w", 1);
	ck_assert_int_eq(size_of(f), 51);
	assert_bytes(f, 0, data, 10);
	assert_zero(f, 10, 40);
	assert_bytes(f, 50, "w", 1);

	/* shrink to a block boundary, then grow by writing far out */
	put(f, 0, data, len);
	in.st_size = bs;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	put(f, 3 * (off_t) bs, "e", 1);
	assert_bytes(f, 0, data, bs);
	assert_zero(f, bs, 2 * bs);
	assert_bytes(f, 3 * (off_t) bs, "e", 1);

	in.st_size = 0;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, 0);
	ck_assert_int_eq(out.st_blocks, 0);
	in.st_size = 5;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	assert_zero(f, 0, 5);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 0);
	free(data);
}
END_TEST

START_TEST(test_st_blocks)
{
	unsigned bs = db_block_size(db);
	char *data = malloc(4 * bs);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out;
	blkcnt_t full;

	ck_assert_ptr_nonnull(data);
	fill(data, 4 * bs, 4);
	ck_assert_int_eq(attr(f).st_blocks, 0);
	put(f, 0, data, 4 * bs);
	full = attr(f).st_blocks;
	ck_assert_int_eq(full * 512, 4 * (blkcnt_t) bs);
	put(f, 0, data, 4 * bs); /* overwriting allocates nothing */
	ck_assert_int_eq(attr(f).st_blocks, full);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     bs, 2 * (off_t) bs, 0, NULL),
		0);
	ck_assert_int_eq(attr(f).st_blocks * 512, 2 * (blkcnt_t) bs);
	memset(&in, 0, sizeof(in));
	in.st_size = bs;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_blocks * 512, (blkcnt_t) bs);
	ck_assert_int_eq(attr(f).st_blocks, out.st_blocks);
	in.st_size = 0;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_blocks, 0);
	/* the stored count agrees with the rows once committed */
	put(f, 3, data, bs + 5);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(attr(f).st_blocks * 512,
			 (sql_int("SELECT total(length(bytes)) FROM data "
				  "WHERE ino = ?1",
				  f) +
			  511) / 512 *
				 512);
	free(data);
}
END_TEST

START_TEST(test_fallocate)
{
	unsigned bs = db_block_size(db);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;

	/* mode 0 grows the file; the new range reads as zeros */
	ck_assert_int_eq(
		db_fallocate(db, f, 0, 0, 2 * (off_t) bs + 10, 0, NULL), 0);
	st = attr(f);
	ck_assert_int_eq(st.st_size, 2 * (off_t) bs + 10);
	ck_assert_int_eq(st.st_blocks, 0); /* nothing stored until written */
	assert_zero(f, 0, (size_t) st.st_size);
	put(f, 0, "hello", 5);
	ck_assert_int_eq(db_fallocate(db, f, 0, 1, 3, 0, NULL), 0);
	assert_bytes(f, 0, "hello", 5);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);

	/* KEEP_SIZE past the end keeps the size */
	ck_assert_int_eq(db_fallocate(db, f, DB_FALLOC_KEEP_SIZE, 0,
				      10 * (off_t) bs, 0, NULL),
			 0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	assert_bytes(f, 0, "hello", 5);

	/* mode 0 inside the file changes no byte and no size */
	ck_assert_int_eq(db_fallocate(db, f, 0, bs, 5, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);

	/* unsupported modes */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE, 0, 10, 0, NULL),
		-EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x08, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x10, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x20, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0x40, 0, 10, 0, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_fallocate(db, f, 0, -1, 10, 0, NULL), -EINVAL);
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
	ck_assert_int_eq(db_fallocate(db, ino_of(DB_ROOT_INO, "f"), 0,
				      INT64_MAX, 1, 0, NULL),
			 -EFBIG);
	/* more than the disk holds */
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, (off_t) 1 << 50, 0, NULL),
			 -ENOSPC);
	ck_assert_int_eq(size_of(f), 2 * (off_t) bs + 10);
}
END_TEST

START_TEST(test_punch_hole)
{
	unsigned bs = db_block_size(db);
	size_t len = 4 * bs;
	char *data = malloc(len), *want = malloc(len);
	ino_t f = mkfile(DB_ROOT_INO, "f");
	const int punch = DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE;
	blkcnt_t before;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, 5);
	put(f, 0, data, len);
	memcpy(want, data, len);
	before = attr(f).st_blocks;

	/* partial blocks at both ends and a whole one between */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, bs / 2, 2 * (off_t) bs, 0, NULL), 0);
	memset(want + bs / 2, 0, 2 * bs);
	ck_assert_int_eq(size_of(f), (off_t) len);
	assert_bytes(f, 0, want, len);
	ck_assert_int_lt(attr(f).st_blocks, before);

	/* within one block */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 3 * (off_t) bs + 10, 20, 0, NULL),
		0);
	memset(want + 3 * bs + 10, 0, 20);
	assert_bytes(f, 0, want, len);

	/* over the end: the size stays */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 4 * (off_t) bs - 3, 100, 0, NULL),
		0);
	memset(want + len - 3, 0, 3);
	ck_assert_int_eq(size_of(f), (off_t) len);
	assert_bytes(f, 0, want, len);

	/* past the end: nothing */
	ck_assert_int_eq(
		db_fallocate(db, f, punch, 8 * (off_t) bs, 100, 0, NULL), 0);
	ck_assert_int_eq(size_of(f), (off_t) len);

	/* the whole file */
	ck_assert_int_eq(db_fallocate(db, f, punch, 0, (off_t) len, 0, NULL),
			 0);
	ck_assert_int_eq(size_of(f), (off_t) len);
	ck_assert_int_eq(attr(f).st_blocks, 0);
	assert_zero(f, 0, len);
	free(data);
	free(want);
}
END_TEST

START_TEST(test_lseek)
{
	unsigned bs = db_block_size(db);
	off_t b = bs;
	char *data = malloc(bs);
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	struct stat in, out;

	ck_assert_ptr_nonnull(data);
	fill(data, bs, 6);
	put(f, 0, data, bs);
	put(f, 2 * b, data, bs);
	/* data [0, b), hole [b, 2b), data [2b, 3b) */
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_DATA), 0);
	ck_assert_int_eq(db_lseek(db, f, 5, SEEK_DATA), 5);
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b - 1, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b, SEEK_HOLE), b);
	ck_assert_int_eq(db_lseek(db, f, b + 7, SEEK_HOLE), b + 7);
	ck_assert_int_eq(db_lseek(db, f, b, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, b + 7, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, 2 * b, SEEK_DATA), 2 * b);
	ck_assert_int_eq(db_lseek(db, f, 2 * b, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b - 1, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b - 1, SEEK_DATA), 3 * b - 1);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 100 * b, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, -1, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 0, SEEK_SET), -EINVAL);

	/* a hole at the end, made by truncate */
	memset(&in, 0, sizeof(in));
	in.st_size = 5 * b;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, f, 2 * b + 1, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 3 * b, SEEK_HOLE), 3 * b);
	ck_assert_int_eq(db_lseek(db, f, 5 * b - 1, SEEK_HOLE), 5 * b - 1);
	ck_assert_int_eq(db_lseek(db, f, 5 * b, SEEK_HOLE), -ENXIO);

	/* an empty file has neither */
	ck_assert_int_eq(db_lseek(db, mkfile(DB_ROOT_INO, "e"), 0, SEEK_DATA),
			 -ENXIO);
	ck_assert_int_eq(db_lseek(db, ino_of(DB_ROOT_INO, "e"), 0, SEEK_HOLE),
			 -ENXIO);
	ck_assert_int_lt(db_lseek(db, d, 0, SEEK_DATA), 0);
	free(data);
}
END_TEST

START_TEST(test_copy_range)
{
	unsigned bs = db_block_size(db);
	size_t len = 3 * bs + 17;
	char *data = malloc(len), *want = calloc(1, 8 * bs);
	ino_t src = mkfile(DB_ROOT_INO, "src"),
	      dst = mkfile(DB_ROOT_INO, "dst");
	ino_t d = mkdir_in(DB_ROOT_INO, "d");

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	fill(data, len, 7);
	put(src, 0, data, len);

	/* across files, unaligned on both sides */
	put(dst, 0, "dddddddddd", 10);
	memcpy(want, "dddddddddd", 10);
	ck_assert_int_eq(db_copy_range(db, src, 5, dst, 3, 2 * bs, 0, NULL),
			 2 * bs);
	memcpy(want + 3, data + 5, 2 * bs);
	ck_assert_int_eq(size_of(dst), 3 + 2 * (off_t) bs);
	assert_bytes(dst, 0, want, 3 + 2 * bs);
	assert_bytes(src, 0, data, len);

	/* stops at the end of the source */
	ck_assert_int_eq(db_copy_range(db, src, (off_t) len - 10, dst,
				       5 * (off_t) bs, 1000, 0, NULL),
			 10);
	ck_assert_int_eq(size_of(dst), 5 * (off_t) bs + 10);
	assert_bytes(dst, 5 * (off_t) bs, data + len - 10, 10);
	assert_zero(dst, 3 + 2 * (off_t) bs, 3 * bs - 3);
	ck_assert_int_eq(
		db_copy_range(db, src, (off_t) len, dst, 0, 10, 0, NULL), 0);
	ck_assert_int_eq(
		db_copy_range(db, src, 10 * (off_t) bs, dst, 0, 10, 0, NULL),
		0);
	ck_assert_int_eq(size_of(dst), 5 * (off_t) bs + 10);
	assert_bytes(dst, 0, want, 3 + 2 * bs);

	/* within one file, ranges apart */
	ck_assert_int_eq(db_copy_range(db, src, 1, src, 5 * (off_t) bs, bs + 10,
				       0, NULL),
			 bs + 10);
	ck_assert_int_eq(size_of(src), 6 * (off_t) bs + 10);
	assert_bytes(src, 0, data, len);
	assert_zero(src, (off_t) len, 5 * bs - len);
	assert_bytes(src, 5 * (off_t) bs, data + 1, bs + 10);

	ck_assert_int_eq(db_copy_range(db, src, 0, d, 0, 10, 0, NULL), -EISDIR);
	ck_assert_int_eq(db_copy_range(db, d, 0, dst, 0, 10, 0, NULL), -EISDIR);
	free(data);
	free(want);
}
END_TEST

/* --- attributes -------------------------------------------------------- */

START_TEST(test_setattr_mode)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	struct stat in, out;

	memset(&in, 0, sizeof(in));
	age(f);
	in.st_mode = S_IFDIR | 04600; /* the type bits are ignored */
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), 0);
	ck_assert_uint_eq(out.st_mode, S_IFREG | 04600);
	ck_assert(changed_since_age(out.st_ctim));
	ck_assert(!changed_since_age(out.st_mtim));
	ck_assert_uint_eq(attr(f).st_mode, S_IFREG | 04600);
	in.st_mode = 01777;
	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_MODE, &out), 0);
	ck_assert_uint_eq(out.st_mode, S_IFDIR | 01777);
	ck_assert_uint_eq(out.st_nlink, 2);
	ck_assert_int_eq(db_setattr(db, 999999, &in, DB_SET_MODE, &out),
			 -ENOENT);
}
END_TEST

START_TEST(test_setattr_chown)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	ino_t d = mkdir_in(DB_ROOT_INO, "d");
	struct stat in, out;

	memset(&in, 0, sizeof(in));
	in.st_mode = 06755;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_MODE, &out), 0);
	in.st_mode = 06744; /* setgid without group execute: locking */
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_MODE, &out), 0);

	in.st_uid = 4000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_UID, &out), 0);
	ck_assert_uint_eq(out.st_uid, 4000);
	ck_assert_uint_eq(out.st_gid, cred.gid);
	ck_assert_uint_eq(out.st_mode, S_IFREG | 0755);
	ck_assert_uint_eq(attr(f).st_mode, S_IFREG | 0755);

	in.st_gid = 4001;
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_GID, &out), 0);
	ck_assert_uint_eq(out.st_gid, 4001);
	ck_assert_uint_eq(out.st_uid, cred.uid);
	ck_assert_uint_eq(out.st_mode, S_IFREG | 02744);

	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_UID | DB_SET_GID, &out),
			 0);
	ck_assert_uint_eq(out.st_uid, 4000);
	ck_assert_uint_eq(out.st_gid, 4001);
	ck_assert_uint_eq(out.st_mode, S_IFDIR | 06755);

	/* to the same owner too; DB_SET_KILL_SGID takes the locking bit */
	in.st_mode = 06744;
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_MODE, &out), 0);
	in.st_uid = out.st_uid;
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_UID, &out), 0);
	ck_assert_uint_eq(out.st_mode, S_IFREG | 02744);
	ck_assert_int_eq(
		db_setattr(db, g, &in, DB_SET_GID | DB_SET_KILL_SGID, &out), 0);
	ck_assert_uint_eq(out.st_mode, S_IFREG | 0744);
	in.st_mode = 06755;
	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(
		db_setattr(db, d, &in,
			   DB_SET_UID | DB_SET_KILL_SUIDGID | DB_SET_KILL_SGID,
			   &out),
		0);
	ck_assert_uint_eq(out.st_mode, S_IFDIR | 06755);
}
END_TEST

START_TEST(test_setattr_size)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");
	ino_t p = mk(DB_ROOT_INO, "p", S_IFIFO | 0644);
	struct stat in, out, before;

	memset(&in, 0, sizeof(in));
	age(f);
	in.st_size = 12345;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	ck_assert_int_eq(out.st_size, 12345);
	ck_assert(changed_since_age(out.st_mtim));
	ck_assert(changed_since_age(out.st_ctim));
	ck_assert_int_eq(size_of(f), 12345);
	assert_zero(f, 0, 12345);

	before = attr(d);
	ck_assert_int_eq(db_setattr(db, d, &in, DB_SET_SIZE, &out), -EISDIR);
	out = attr(d);
	assert_same_stat(&before, &out);
	ck_assert_int_eq(db_setattr(db, p, &in, DB_SET_SIZE, &out), -EINVAL);
	in.st_size = -1;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), -EINVAL);
	ck_assert_int_eq(size_of(f), 12345);
}
END_TEST

START_TEST(test_setattr_times)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out, st;
	struct timespec t0;

	memset(&in, 0, sizeof(in));
	in.st_atim.tv_sec = 1234567890;
	in.st_atim.tv_nsec = 123456789;
	in.st_mtim.tv_sec = 987654321;
	in.st_mtim.tv_nsec = 999999999;
	/* times come from the coarse clock, the kernel's */
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	ck_assert_int_eq(
		db_setattr(db, f, &in, DB_SET_ATIME | DB_SET_MTIME, &out), 0);
	st = attr(f);
	ck_assert_int_eq(st.st_atim.tv_sec, 1234567890);
	ck_assert_int_eq(st.st_atim.tv_nsec, 123456789);
	ck_assert_int_eq(st.st_mtim.tv_sec, 987654321);
	ck_assert_int_eq(st.st_mtim.tv_nsec, 999999999);
	ck_assert(ts_eq(out.st_atim, st.st_atim));
	ck_assert(ts_eq(out.st_mtim, st.st_mtim));
	ck_assert(ts_eq(out.st_ctim, st.st_ctim));
	ck_assert_msg(!ts_after(t0, st.st_ctim), "ctime not updated to now");

	/* before the epoch */
	in.st_mtim.tv_sec = -2;
	in.st_mtim.tv_nsec = 5;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MTIME, &out), 0);
	st = attr(f);
	ck_assert_int_eq(st.st_mtim.tv_sec, -2);
	ck_assert_int_eq(st.st_mtim.tv_nsec, 5);
	ck_assert_int_eq(st.st_atim.tv_sec, 1234567890);

	/* "now" and an explicit ctime */
	in.st_ctim.tv_sec = 42;
	in.st_ctim.tv_nsec = 7;
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	ck_assert_int_eq(
		db_setattr(db, f, &in,
			   DB_SET_ATIME_NOW | DB_SET_MTIME_NOW | DB_SET_CTIME,
			   &out),
		0);
	st = attr(f);
	ck_assert(!ts_after(t0, st.st_atim));
	ck_assert(!ts_after(t0, st.st_mtim));
	ck_assert_int_eq(st.st_ctim.tv_sec, 42);
	ck_assert_int_eq(st.st_ctim.tv_nsec, 7);

	/* ctime becomes now unless set explicitly, whatever the mask */
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	ck_assert_int_eq(db_setattr(db, f, &in, 0, &out), 0);
	ck_assert(!ts_after(t0, attr(f).st_ctim));
}
END_TEST

START_TEST(test_write_times)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st;

	age(f);
	put(f, 0, "x", 1);
	st = attr(f);
	ck_assert(changed_since_age(st.st_mtim));
	ck_assert(changed_since_age(st.st_ctim));
}
END_TEST

/* --- directories ------------------------------------------------------- */

START_TEST(test_readdir_basic)
{
	static const char *const names[] = {"one", "two", "three", "four"};
	ino_t inos[4], d = mkdir_in(DB_ROOT_INO, "four");
	struct listing l;
	int i, at;

	inos[0] = mkfile(DB_ROOT_INO, "one");
	inos[1] = mkdir_in(DB_ROOT_INO, "two");
	inos[2] = mk(DB_ROOT_INO, "three", S_IFIFO | 0600);
	inos[3] = d;
	list_all(DB_ROOT_INO, &l);
	ck_assert_int_eq(l.n, 6);
	ck_assert_str_eq(l.name[0], ".");
	ck_assert_uint_eq(l.ino[0], DB_ROOT_INO);
	ck_assert_int_eq(l.next[0], 1);
	ck_assert_str_eq(l.name[1], "..");
	ck_assert_uint_eq(l.ino[1], DB_ROOT_INO);
	ck_assert_int_eq(l.next[1], 2);
	for (i = 0; i < 4; i++) {
		at = find_name(&l, names[i]);
		ck_assert_int_ge(at, 2);
		ck_assert_uint_eq(l.ino[at], inos[i]);
	}
	for (i = 1; i < l.n; i++)
		ck_assert_int_gt(l.next[i], l.next[i - 1]);

	list_all(d, &l);
	ck_assert_int_eq(l.n, 2);
	ck_assert_uint_eq(l.ino[find_name(&l, ".")], d);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], DB_ROOT_INO);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_readdir(db, inos[0], 0, collect, &l), -ENOTDIR);
	ck_assert_int_eq(db_readdir(db, 999999, 0, collect, &l), -ENOENT);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

/* Lists ino k entries at a time, resuming from the last offset handed out. */
static void list_in_chunks(ino_t ino, int k, struct listing *all)
{
	struct listing part;
	off_t off = 0;
	int i, rounds = 0;

	memset(all, 0, sizeof(*all));
	for (;;) {
		memset(&part, 0, sizeof(part));
		part.limit = k;
		ck_assert_int_eq(db_readdir(db, ino, off, collect, &part), 0);
		for (i = 0; i < part.n; i++) {
			ck_assert_int_lt(all->n, LIST_MAX);
			strcpy(all->name[all->n], part.name[i]);
			all->ino[all->n] = part.ino[i];
			all->next[all->n] = part.next[i];
			all->n++;
		}
		if (part.n == 0)
			break;
		off = part.next[part.n - 1];
		ck_assert_int_lt(++rounds, 1000);
	}
}

START_TEST(test_readdir_resume)
{
	char name[16];
	struct listing l;
	off_t last;
	int i, k;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		mkfile(DB_ROOT_INO, name);
	}
	for (k = 1; k <= 7; k++) {
		list_in_chunks(DB_ROOT_INO, k, &l);
		ck_assert_int_eq(l.n, 22);
		ck_assert_int_ge(find_name(&l, "."), 0);
		ck_assert_int_ge(find_name(&l, ".."), 0);
		for (i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "e%02d", i);
			ck_assert_int_ge(find_name(&l, name), 0);
		}
	}
	/* resuming from the last offset handed out gives nothing more */
	list_all(DB_ROOT_INO, &l);
	ck_assert_int_eq(l.n, 22);
	last = l.next[l.n - 1];
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_readdir(db, DB_ROOT_INO, last, collect, &l), 0);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(test_readdir_rename_during)
{
	char name[16];
	struct listing part, seen;
	off_t off = 0;
	ino_t inos[10], victim;
	int i, j, gone, round = 0;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		inos[i] = mkfile(DB_ROOT_INO, name);
	}
	memset(&seen, 0, sizeof(seen));
	for (;;) {
		memset(&part, 0, sizeof(part));
		part.limit = 3;
		ck_assert_int_eq(
			db_readdir(db, DB_ROOT_INO, off, collect, &part), 0);
		if (part.n == 0)
			break;
		for (i = 0; i < part.n; i++) {
			seen.ino[seen.n] = part.ino[i];
			strcpy(seen.name[seen.n++], part.name[i]);
		}
		off = part.next[part.n - 1];
		/* rename what was just listed and what is still to come */
		snprintf(name, sizeof(name), "r%d", round++);
		if (strcmp(part.name[0], ".") && strcmp(part.name[0], ".."))
			ck_assert_int_eq(db_rename(db, DB_ROOT_INO,
						   part.name[0], DB_ROOT_INO,
						   name, 0, &victim, &gone),
					 0);
		if (round == 2)
			ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f9",
						   DB_ROOT_INO, "g9", 0,
						   &victim, &gone),
					 0);
		/* and remove the entry the next call resumes after */
		if (round == 3)
			ck_assert_int_eq(db_unlink(db, DB_ROOT_INO,
						   part.name[part.n - 1], 0,
						   &victim, &gone),
					 0);
		ck_assert_int_lt(round, 100);
	}
	/* every inode once: none lost, none twice */
	for (i = 0; i < 10; i++) {
		int count = 0;

		for (j = 0; j < seen.n; j++)
			count += seen.ino[j] == inos[i];
		ck_assert_msg(count == 1, "inode of f%d listed %d times", i,
			      count);
	}
	ck_assert_int_eq(seen.n, 12);
}
END_TEST

START_TEST(test_statfs)
{
	struct statvfs sv;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char *data = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(db_statfs(db, &sv), 0);
	ck_assert_uint_eq(sv.f_namemax, 255);
	ck_assert_uint_ge(sv.f_blocks, sv.f_bfree);
	ck_assert_uint_ge(sv.f_bfree, sv.f_bavail);
	ck_assert_uint_gt(sv.f_blocks, 0);
	ck_assert_uint_gt(sv.f_frsize, 0);
	ck_assert_uint_ge(sv.f_files, sv.f_ffree);
	ck_assert_uint_ge(sv.f_files - sv.f_ffree, 2);
	ck_assert_uint_eq(sv.f_flag & ST_RDONLY, 0);
	fill(data, 1 << 20, 8);
	put(f, 0, data, 1 << 20);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(db_statfs(db, &sv), 0);
	ck_assert_uint_ge(sv.f_blocks, sv.f_bfree);
	ck_assert_uint_ge((sv.f_blocks - sv.f_bfree) * sv.f_frsize, 1 << 20);
	free(data);
}
END_TEST

/* --- extended attributes ----------------------------------------------- */

START_TEST(test_xattr_flags)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[16];

	ck_assert_int_eq(
		db_setxattr(db, f, "user.k", "v1", 2, DB_XATTR_REPLACE),
		-ENODATA);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)),
			 -ENODATA);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "v1", 2, DB_XATTR_CREATE),
			 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "v2", 2, DB_XATTR_CREATE),
			 -EEXIST);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "v1", 2);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.k", "v333", 4, DB_XATTR_REPLACE), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "v333", 4);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "4", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.j", "5", 1, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 1);
	ck_assert_mem_eq(buf, "4", 1);
	ck_assert_int_eq(db_getxattr(db, f, "user.j", buf, sizeof(buf)), 1);
	/* both flags, as ext4: EEXIST if present, ENODATA if absent */
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "x", 1,
				     DB_XATTR_CREATE | DB_XATTR_REPLACE),
			 -EEXIST);
	ck_assert_int_eq(db_setxattr(db, f, "user.none", "x", 1,
				     DB_XATTR_CREATE | DB_XATTR_REPLACE),
			 -ENODATA);
	ck_assert_int_eq(db_setxattr(db, f, "user.", "x", 1, 0), -EINVAL);
	ck_assert_int_eq(db_setxattr(db, 999999, "user.k", "x", 1, 0), -ENOENT);
}
END_TEST

START_TEST(test_xattr_sizes)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[16], *big = malloc(DB_XATTR_SIZE_MAX + 1);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "abcdef", 6, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", NULL, 0), 6);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, 5), -ERANGE);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, 6), 6);
	ck_assert_mem_eq(buf, "abcdef", 6);
	ck_assert_int_eq(db_getxattr(db, f, "user.none", NULL, 0), -ENODATA);

	fill(big, DB_XATTR_SIZE_MAX + 1, 9);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX + 1, 0),
		-E2BIG);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX, 0), 0);
	memset(big, 0, DB_XATTR_SIZE_MAX + 1);
	ck_assert_int_eq(
		db_getxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX + 1),
		DB_XATTR_SIZE_MAX);
	{
		char *want = malloc(DB_XATTR_SIZE_MAX);

		ck_assert_ptr_nonnull(want);
		fill(want, DB_XATTR_SIZE_MAX, 9);
		ck_assert_mem_eq(big, want, DB_XATTR_SIZE_MAX);
		free(want);
	}
	free(big);
}
END_TEST

START_TEST(test_xattr_list)
{
	static const char want[] = "security.z\0trusted.x\0user.a\0user.b";
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[64];

	ck_assert_int_eq(db_listxattr(db, f, NULL, 0), 0);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.b", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.a", "2", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "trusted.x", "3", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.z", "4", 1, 0), 0);
	ck_assert_int_eq(db_listxattr(db, f, NULL, 0), sizeof(want));
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(want)), sizeof(want));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(want) - 1), -ERANGE);
	ck_assert_int_eq(db_listxattr(db, f, buf, 3), -ERANGE);
	/* another inode's list is its own */
	ck_assert_int_eq(db_listxattr(db, DB_ROOT_INO, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_listxattr(db, 999999, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(test_xattr_remove)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[8];

	ck_assert_int_eq(db_setxattr(db, f, "user.a", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.b", "2", 1, 0), 0);
	age(f);
	ck_assert_int_eq(db_removexattr(db, f, "user.a"), 0);
	ck_assert(changed_since_age(attr(f).st_ctim));
	ck_assert_int_eq(db_getxattr(db, f, "user.a", buf, sizeof(buf)),
			 -ENODATA);
	ck_assert_int_eq(db_removexattr(db, f, "user.a"), -ENODATA);
	ck_assert_int_eq(db_removexattr(db, f, "user.zzz"), -ENODATA);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 7);
	ck_assert_mem_eq(buf, "user.b", 7);
	ck_assert_int_eq(db_getxattr(db, f, "user.b", buf, sizeof(buf)), 1);
}
END_TEST

/* The set-ID rule alone: which mode bits a kill mask takes. */
START_TEST(test_killed_mode)
{
	const mode_t reg = S_IFREG, dir = S_IFDIR;

	ck_assert_uint_eq(db_killed_mode(reg | 06755, 0), reg | 06755);
	ck_assert_uint_eq(db_killed_mode(reg | 06755, DB_KILL_CAPS),
			  reg | 06755);
	ck_assert_uint_eq(db_killed_mode(reg | 06755, DB_KILL_SUIDGID),
			  reg | 0755);
	/* set-group-ID without group execute stays, unless DB_KILL_SGID */
	ck_assert_uint_eq(db_killed_mode(reg | 06745, DB_KILL_SUIDGID),
			  reg | 02745);
	ck_assert_uint_eq(
		db_killed_mode(reg | 06745, DB_KILL_SUIDGID | DB_KILL_SGID),
		reg | 0745);
	/* DB_KILL_SGID alone drops nothing */
	ck_assert_uint_eq(db_killed_mode(reg | 06745, DB_KILL_SGID),
			  reg | 06745);
	/* a directory keeps its bits */
	ck_assert_uint_eq(db_killed_mode(dir | 07755,
					 DB_KILL_CAPS_SUIDGID | DB_KILL_SGID),
			  dir | 07755);
}
END_TEST

/* What a write or chown drops when the kernel leaves it to the daemon. */
START_TEST(test_kill_priv)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st = {.st_mode = 06777}, out;
	char buf[8];

	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	/* a plain write keeps both */
	ck_assert_int_eq(db_write(db, f, 0, "a", 1, 0, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06777);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8), 1);
	/* DB_KILL_CAPS drops the capabilities only */
	ck_assert_int_eq(db_write(db, f, 0, "b", 1, DB_KILL_CAPS, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06777);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	/* DB_KILL_SUIDGID the bits; set-group-ID only with group execute */
	ck_assert_int_eq(db_write(db, f, 0, "c", 1, DB_KILL_SUIDGID, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0777);
	st.st_mode = 06767;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_write(db, f, 0, "d", 1, DB_KILL_SUIDGID, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 02767);
	/* chown drops capabilities; DB_SET_KILL_SUIDGID the bits too */
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	st.st_uid = 7;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_UID, &out), 0);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	st.st_mode = 06777;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(
		db_setattr(db, f, &st, DB_SET_UID | DB_SET_KILL_SUIDGID, &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 0777);
	assert_bytes(f, 0, "d", 1);
}
END_TEST

/* fallocate, punch hole and copy drop what a write drops, and say so. */
START_TEST(test_kill_priv_fallocate_copy)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	struct stat st = {.st_mode = 06767}, out;
	unsigned changed;
	char buf[8];

	put(f, 0, "0123456789", 10);
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	/* no kill: nothing dropped, nothing to tell */
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 20, 0, &changed), 0);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06767);
	/* a punch past EOF drops nothing either, as on ext4 */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     100, 10, DB_KILL_CAPS_SUIDGID, &changed),
		0);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06767);
	/* set-group-ID stays without group execute, capabilities go */
	ck_assert_int_eq(
		db_fallocate(db, f, 0, 0, 30, DB_KILL_CAPS_SUIDGID, &changed),
		0);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 02767);
	ck_assert_int_eq(attr(f).st_size, 30);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	/* DB_KILL_SGID: the writer is outside the group */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     2, 3, DB_KILL_SUIDGID | DB_KILL_SGID, &changed),
		0);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
	assert_bytes(f, 0,
		     "01\0\0\0"
		     "56789",
		     10);
	/* a failed fallocate changes nothing */
	st.st_mode = 04777;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_fallocate(db, f, 0, INT64_MAX, 1,
				      DB_KILL_CAPS_SUIDGID, &changed),
			 -EFBIG);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);

	/* copy_file_range into a set-user-ID file, the source keeps its bits */
	ck_assert_int_eq(db_setattr(db, g, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(
		db_copy_range(db, g, 0, f, 0, 10, DB_KILL_SUIDGID, &changed),
		0); /* g is empty: nothing copied, nothing dropped */
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);
	put(g, 0, "abc", 3);
	ck_assert_int_eq(db_copy_range(db, g, 0, f, 0, 3, 0, &changed), 3);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);
	ck_assert_int_eq(
		db_copy_range(db, g, 0, f, 4, 3, DB_KILL_SUIDGID, &changed), 3);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0777);
	ck_assert_uint_eq(attr(g).st_mode & 07777, 04777);
	assert_bytes(f, 0, "abc\0abc789", 10);
	/* and a write says when it dropped some */
	st.st_mode = 02767;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_write(db, f, 0, "x", 1, DB_KILL_SUIDGID, &changed),
			 1);
	ck_assert_uint_eq(changed, 0);
	ck_assert_int_eq(db_write(db, f, 0, "y", 1,
				  DB_KILL_SUIDGID | DB_KILL_SGID, &changed),
			 1);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
}
END_TEST

/* Truncate by a caller outside the group drops set-group-ID too. */
START_TEST(test_kill_priv_truncate)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st = {.st_mode = 06767}, out;

	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	st.st_size = 5;
	ck_assert_int_eq(
		db_setattr(db, f, &st, DB_SET_SIZE | DB_SET_KILL_SUIDGID, &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 02767);
	ck_assert_int_eq(
		db_setattr(db, f, &st,
			   DB_SET_SIZE | DB_SET_KILL_SUIDGID | DB_SET_KILL_SGID,
			   &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 0767);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
}
END_TEST

START_TEST(test_xattr_namespaces)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[8], name[300];

	ck_assert_int_eq(db_setxattr(db, f, "system.x", "1", 1, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(
		db_setxattr(db, f, "system.posix_acl_access", "1", 1, 0),
		-EOPNOTSUPP);
	ck_assert_int_eq(db_setxattr(db, f, "foo", "1", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(db_setxattr(db, f, "users.x", "1", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(db_getxattr(db, f, "system.x", buf, sizeof(buf)),
			 -EOPNOTSUPP);
	ck_assert_int_eq(
		db_getxattr(db, f, "system.posix_acl_access", buf, sizeof(buf)),
		-EOPNOTSUPP);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_setxattr(db, f, "trusted.t", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.s", "1", 1, 0), 0);
	/* names up to 255 bytes */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = '\0';
	ck_assert_int_eq(db_setxattr(db, f, name, "1", 1, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, name, buf, sizeof(buf)), 1);
	name[255] = 'n';
	name[256] = '\0';
	ck_assert_int_eq(db_setxattr(db, f, name, "1", 1, 0), -ERANGE);
}
END_TEST

START_TEST(test_xattr_binary_empty)
{
	static const char bin[] = {'a', 0, 'b', 0, 0, 'c', (char) 0xff, 0};
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[32];

	ck_assert_int_eq(db_setxattr(db, f, "user.bin", bin, sizeof(bin), 0),
			 0);
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(db_getxattr(db, f, "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert_mem_eq(buf, bin, sizeof(bin));
	ck_assert_int_eq(db_setxattr(db, f, "user.empty", "", 0, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", NULL, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 20);
	ck_assert_mem_eq(buf, "user.bin\0user.empty", 20);
	/* and both survive a reopen */
	close_db();
	open_db(0);
	ck_assert_int_eq(db_getxattr(db, f, "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert_mem_eq(buf, bin, sizeof(bin));
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", buf, sizeof(buf)), 0);
}
END_TEST

/* --- atomicity, durability, read-only ---------------------------------- */

START_TEST(test_failures_change_nothing)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), e = mkdir_in(DB_ROOT_INO, "e");
	ino_t f = mkfile(d, "f"), g = mkfile(DB_ROOT_INO, "g");
	ino_t l, victim, all[6];
	struct snapshot s;
	struct listing before, after;
	struct stat st;
	char buf[8];
	int gone, i;

	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "l", S_IFLNK | 0777, 0, "g",
				  &cred, &st),
			 0);
	l = st.st_ino;
	put(f, 0, "data", 4);
	ck_assert_int_eq(db_setxattr(db, g, "user.x", "1", 1, 0), 0);
	all[0] = DB_ROOT_INO;
	all[1] = d;
	all[2] = e;
	all[3] = f;
	all[4] = g;
	all[5] = l;
	snap(&s, all, 6);
	list_all(DB_ROOT_INO, &before);

	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "g", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 -EEXIST);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "d", S_IFDIR | 0755, 0, NULL,
				  &cred, &st),
			 -EEXIST);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "e", DB_ROOT_INO, "d", 0,
				   &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "g", DB_ROOT_INO, "d", 0,
				   &victim, &gone),
			 -EISDIR);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "d", d, "x", 0, &victim, &gone),
		-EINVAL);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "g", DB_ROOT_INO, "l",
				   DB_RENAME_NOREPLACE, &victim, &gone),
			 -EEXIST);
	ck_assert_int_eq(db_link(db, g, DB_ROOT_INO, "l", &st), -EEXIST);
	ck_assert_int_eq(db_link(db, d, DB_ROOT_INO, "x", &st), -EPERM);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 0, &victim, &gone),
			 -EISDIR);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "g", 1, &victim, &gone),
			 -ENOTDIR);
	ck_assert_int_eq(db_setxattr(db, g, "user.x", "2", 1, DB_XATTR_CREATE),
			 -EEXIST);
	ck_assert_int_eq(db_setxattr(db, g, "user.y", "2", 1, DB_XATTR_REPLACE),
			 -ENODATA);
	ck_assert_int_eq(db_removexattr(db, g, "user.y"), -ENODATA);
	ck_assert_int_eq(db_write(db, d, 0, "x", 1, 0, NULL), -EISDIR);
	ck_assert_int_eq(db_fallocate(db, f, 0x08, 0, 1, 0, NULL), -EOPNOTSUPP);
	memset(&st, 0, sizeof(st));
	st.st_size = 1;
	st.st_mode = 0777;
	ck_assert_int_eq(db_setattr(db, d, &st, DB_SET_SIZE | DB_SET_MODE, &st),
			 -EISDIR);

	assert_unchanged(&s);
	list_all(DB_ROOT_INO, &after);
	ck_assert_int_eq(after.n, before.n);
	for (i = 0; i < before.n; i++) {
		ck_assert_str_eq(after.name[i], before.name[i]);
		ck_assert_uint_eq(after.ino[i], before.ino[i]);
		ck_assert_int_eq(after.next[i], before.next[i]);
	}
	assert_bytes(f, 0, "data", 4);
	ck_assert_int_eq(db_getxattr(db, g, "user.x", buf, sizeof(buf)), 1);
	ck_assert_mem_eq(buf, "1", 1);
	/* the batch still commits what succeeded before */
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 6);
}
END_TEST

/*
 * Operations that fail half-way: triggers added behind the daemon's back
 * make a statement late in an operation fail, after earlier statements of
 * it succeeded.  The savepoint must undo those, and only those.
 */
START_TEST(test_failed_op_rolls_back)
{
	unsigned bs = db_block_size(db);
	char *data = malloc(3 * bs), sql[512];
	ino_t d1 = mkdir_in(DB_ROOT_INO, "d1"),
	      d2 = mkdir_in(DB_ROOT_INO, "d2");
	ino_t f = mkfile(d1, "f"), before_ino, victim;
	ino_t all[] = {DB_ROOT_INO, d1, d2, f};
	struct snapshot s;
	struct stat st;
	int gone;

	ck_assert_ptr_nonnull(data);
	fill(data, 3 * bs, 11);
	put(f, 0, data, 3 * bs);
	close_db();
	snprintf(sql, sizeof(sql),
		 "CREATE TRIGGER fail_name BEFORE INSERT ON dentry "
		 "WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'inj'); END;"
		 "CREATE TRIGGER fail_d2 BEFORE UPDATE ON inode "
		 "WHEN NEW.ino = %lu BEGIN SELECT RAISE(ABORT, 'inj'); END;"
		 "CREATE TRIGGER fail_big BEFORE UPDATE ON inode "
		 "WHEN NEW.ino = %lu AND NEW.size > %u "
		 "BEGIN SELECT RAISE(ABORT, 'inj'); END;",
		 (unsigned long) d2, (unsigned long) f, 3 * bs);
	sql_exec(db_path, sql);
	open_db(DB_OPEN_TRIGGERS);

	/* work of the batch before the failures must survive them */
	before_ino = mkfile(DB_ROOT_INO, "before");
	snap(&s, all, 4);

	/* the inode row is inserted, then the name fails */
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "boom", S_IFREG | 0644, 0,
				  NULL, &cred, &st),
			 -EIO);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "boom"), 0);
	/* the name moves and the old parent is touched, then the new fails */
	ck_assert_int_eq(db_rename(db, d1, "f", d2, "g", 0, &victim, &gone),
			 -EIO);
	ck_assert_uint_eq(ino_of(d1, "f"), f);
	ck_assert_uint_eq(ino_of(d2, "g"), 0);
	/* the blocks are stored, then the inode fails */
	ck_assert_int_eq(db_write(db, f, 5 * (off_t) bs, data, 2 * bs, 0, NULL),
			 -EIO);
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 8 * (off_t) bs, 0, NULL),
			 -EIO);
	assert_unchanged(&s);
	assert_bytes(f, 0, data, 3 * bs);
	ck_assert_int_eq(db_lseek(db, f, 3 * (off_t) bs - 1, SEEK_DATA),
			 3 * (off_t) bs - 1);

	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 5);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM inode WHERE ino = ?1",
				 before_ino),
			 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM data WHERE ino = ?1", f),
			 3);
	ck_assert_int_eq(
		sql_int("SELECT total(length(bytes)) FROM data WHERE ino = ?1",
			f),
		3 * bs);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM dentry "
				 "WHERE parent = ?1",
				 d2),
			 0);
	free(data);
}
END_TEST

/* A small tree with data, a symlink, a device and an xattr. */
struct tree {
	ino_t d, f, l, c;
	char data[10000];
};

static void tree_make(struct tree *t)
{
	struct stat st;

	t->d = mkdir_in(DB_ROOT_INO, "dir");
	t->f = mkfile(t->d, "file");
	fill(t->data, sizeof(t->data), 10);
	put(t->f, 100, t->data, sizeof(t->data));
	ck_assert_int_eq(db_mknod(db, t->d, "link", S_IFLNK | 0777, 0, "file",
				  &cred, &st),
			 0);
	t->l = st.st_ino;
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "null", S_IFCHR | 0666,
				  makedev(1, 3), NULL, &cred, &st),
			 0);
	t->c = st.st_ino;
	ck_assert_int_eq(db_setxattr(db, t->f, "user.k", "val", 3, 0), 0);
	ck_assert_int_eq(db_link(db, t->f, DB_ROOT_INO, "hard", &st), 0);
}

static void tree_check(const struct tree *t)
{
	char buf[16];
	struct stat st;

	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "dir"), t->d);
	ck_assert_uint_eq(ino_of(t->d, "file"), t->f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "hard"), t->f);
	ck_assert_uint_eq(ino_of(t->d, "link"), t->l);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
	ck_assert_uint_eq(nlink_of(t->f), 2);
	ck_assert_int_eq(size_of(t->f), 100 + (off_t) sizeof(t->data));
	assert_zero(t->f, 0, 100);
	assert_bytes(t->f, 100, t->data, sizeof(t->data));
	ck_assert_int_eq(db_readlink(db, t->l, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "file");
	st = attr(t->c);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
	ck_assert_int_eq(db_getxattr(db, t->f, "user.k", buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "val", 3);
}

START_TEST(test_durable_after_sync)
{
	static struct tree t;
	struct stat before, after;

	tree_make(&t);
	ck_assert_int_ne(db_dirty(db), 0);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(db_dirty(db), 0);
	ck_assert_int_eq(db_sync(db), 0);
	before = attr(t.f);
	close_db();
	open_db(0);
	tree_check(&t);
	after = attr(t.f);
	assert_same_stat(&before, &after);
	/* new inodes do not reuse numbers */
	ck_assert_uint_gt(mkfile(DB_ROOT_INO, "new"), t.c);
}
END_TEST

START_TEST(test_close_commits_batch)
{
	static struct tree t;

	tree_make(&t);
	ck_assert_int_ne(db_dirty(db), 0);
	/* a second connection sees the last commit only */
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 1);
	close_db();
	open_db(0);
	ck_assert_int_eq(db_dirty(db), 0);
	tree_check(&t);
	ck_assert_int_eq(sql_int("SELECT count(*) - ?1 FROM inode", 0), 5);
}
END_TEST

/*
 * A reader that can write neither the file nor its directory (so no -shm
 * can be made) still opens a cleanly closed database read-only.
 */
START_TEST(test_readonly_unwritable_dir)
{
	static struct tree t;
	pid_t pid;
	int status;

	tree_make(&t);
	close_db();
	ck_assert_int_eq(chmod(top_dir, 0755), 0);
	ck_assert_int_eq(chmod(case_dir, 0755), 0);
	ck_assert_int_eq(chmod(db_path, 0444), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct db *rdb = NULL;
		struct stat st;
		char err[256] = "", buf[16];
		int rc;

		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		rc = db_open(db_path, DB_OPEN_READONLY, &rdb, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "db_open as 65534: %d (%s)\n", rc, err);
			_exit(11);
		}
		if (db_lookup(rdb, DB_ROOT_INO, "dir", &st) < 0 ||
		    st.st_ino != t.d)
			_exit(12);
		if (db_read(rdb, t.f, 100, 10, buf, DB_ATIME_RELATIME) != 10 ||
		    memcmp(buf, t.data, 10) != 0)
			_exit(13);
		if (db_write(rdb, t.f, 0, "x", 1, 0, NULL) != -EROFS)
			_exit(14);
		db_close(rdb);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %d", status);
	ck_assert_int_eq(access(db_path, F_OK), 0);
	chmod(top_dir, 0700);
}
END_TEST

START_TEST(test_readonly)
{
	static struct tree t;
	struct stat st, before;
	struct statvfs sv;
	struct listing l;
	ino_t victim;
	char buf[16];
	int gone;

	tree_make(&t);
	close_db();
	open_db(DB_OPEN_READONLY);
	tree_check(&t);
	before = attr(t.f);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "x", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 -EROFS);
	ck_assert_int_eq(db_write(db, t.f, 0, "x", 1, 0, NULL), -EROFS);
	ck_assert_int_eq(db_link(db, t.f, DB_ROOT_INO, "x", &st), -EROFS);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "hard", 0, &victim, &gone),
			 -EROFS);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "hard", DB_ROOT_INO, "x", 0,
				   &victim, &gone),
			 -EROFS);
	memset(&st, 0, sizeof(st));
	st.st_mode = 0600;
	ck_assert_int_eq(db_setattr(db, t.f, &st, DB_SET_MODE, &st), -EROFS);
	ck_assert_int_eq(db_setxattr(db, t.f, "user.k", "v", 1, 0), -EROFS);
	ck_assert_int_eq(db_removexattr(db, t.f, "user.k"), -EROFS);
	ck_assert_int_eq(db_fallocate(db, t.f, 0, 0, 1 << 20, 0, NULL), -EROFS);
	ck_assert_int_eq(db_copy_range(db, t.f, 0, t.f, 1 << 20, 10, 0, NULL),
			 -EROFS);
	ck_assert_int_eq(db_purge_orphans(db), 0);
	ck_assert_int_eq(db_forget(db, t.f), 0);

	/* reads work and move nothing, not even atime */
	ck_assert_int_eq(db_read(db, t.f, 100, 10, buf, DB_ATIME_STRICT), 10);
	ck_assert_mem_eq(buf, t.data, 10);
	ck_assert_int_eq(db_lseek(db, t.f, 0, SEEK_DATA), 0);
	ck_assert_int_eq(db_listxattr(db, t.f, buf, sizeof(buf)), 7);
	list_all(t.d, &l);
	ck_assert_int_eq(l.n, 4);
	ck_assert_int_eq(db_statfs(db, &sv), 0);
	ck_assert_uint_ne(sv.f_flag & ST_RDONLY, 0);
	ck_assert_int_eq(db_dirty(db), 0);
	ck_assert_int_eq(db_sync(db), 0);
	st = attr(t.f);
	assert_same_stat(&before, &st);
	tree_check(&t);
}
END_TEST

START_TEST(test_atime_policy)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat in, out, st;
	char buf[4];

	put(f, 0, "abcd", 4);
	memset(&in, 0, sizeof(in));
	in.st_atim.tv_sec = 1000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_ATIME, &out), 0);
	ck_assert_int_eq(db_read(db, f, 0, 4, buf, DB_ATIME_NOATIME), 4);
	ck_assert_int_eq(attr(f).st_atim.tv_sec, 1000);
	/* relatime: atime older than mtime moves */
	ck_assert_int_eq(db_read(db, f, 0, 4, buf, DB_ATIME_RELATIME), 4);
	st = attr(f);
	ck_assert_int_gt(st.st_atim.tv_sec, 1000);
	/* strict: always */
	in.st_atim.tv_sec = time(NULL) + 1000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_ATIME, &out), 0);
	ck_assert_int_eq(db_read(db, f, 0, 4, buf, DB_ATIME_RELATIME), 4);
	ck_assert_int_eq(attr(f).st_atim.tv_sec, in.st_atim.tv_sec);
	ck_assert_int_eq(db_read(db, f, 0, 4, buf, DB_ATIME_STRICT), 4);
	ck_assert_int_lt(attr(f).st_atim.tv_sec, in.st_atim.tv_sec);
}
END_TEST

START_TEST(test_atime_due)
{
	struct stat st;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	memset(&st, 0, sizeof(st));
	/* read after the last change: relatime waits a day */
	st.st_mtim.tv_sec = now.tv_sec - 100;
	st.st_ctim.tv_sec = now.tv_sec - 100;
	st.st_atim.tv_sec = now.tv_sec - 50;
	ck_assert_int_eq(db_atime_due(&st, DB_ATIME_RELATIME), 0);
	ck_assert_int_eq(db_atime_due(&st, DB_ATIME_NOATIME), 0);
	ck_assert_int_ne(db_atime_due(&st, DB_ATIME_STRICT), 0);
	/* changed since the last read */
	st.st_mtim.tv_sec = now.tv_sec - 10;
	ck_assert_int_ne(db_atime_due(&st, DB_ATIME_RELATIME), 0);
	ck_assert_int_eq(db_atime_due(&st, DB_ATIME_NOATIME), 0);
	st.st_mtim.tv_sec = now.tv_sec - 100;
	st.st_ctim.tv_sec = now.tv_sec - 10;
	ck_assert_int_ne(db_atime_due(&st, DB_ATIME_RELATIME), 0);
	/* equal times count as not yet read */
	st.st_ctim = st.st_atim;
	ck_assert_int_ne(db_atime_due(&st, DB_ATIME_RELATIME), 0);
	/* last read more than a day ago */
	st.st_atim.tv_sec = now.tv_sec - 2 * 86400;
	st.st_mtim.tv_sec = now.tv_sec - 3 * 86400;
	st.st_ctim.tv_sec = now.tv_sec - 3 * 86400;
	ck_assert_int_ne(db_atime_due(&st, DB_ATIME_RELATIME), 0);
	st.st_atim.tv_sec = now.tv_sec - 86400 + 60;
	ck_assert_int_eq(db_atime_due(&st, DB_ATIME_RELATIME), 0);
}
END_TEST

/* --- damaged databases (cases found by tests/fuzz_db.c) ------------------ */

/* Changes the closed database behind db_*'s back, then opens it again. */
static void damage(const char *sql)
{
	char all[1024];

	close_db();
	snprintf(all, sizeof(all), "PRAGMA ignore_check_constraints = ON; %s",
		 sql);
	sql_exec(db_path, all);
	open_db(0);
}

START_TEST(test_damaged_block_numbers)
{
	unsigned bs = db_block_size(db);
	char *data = malloc(3 * bs), sql[256];
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	struct stat in, out;

	ck_assert_ptr_nonnull(data);
	fill(data, 3 * bs, 1);
	put(f, 0, data, 3 * bs);
	memset(&in, 0, sizeof(in));
	in.st_size = 100;
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_SIZE, &out), 0);
	/* block 1.5 is read as 1: a second row for block 1; and a block of
	 * g too far past its end for its offset to fit in 64 bits */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO data (ino, block, bytes) VALUES "
		 "(%lu, 1.5, zeroblob(%u)), (%lu, %lld, x'01')",
		 (unsigned long) f, bs, (unsigned long) g, 1LL << 62);
	damage(sql);
	assert_bytes(f, 0, data, 3 * bs);
	assert_bytes(f, bs / 2, data + bs / 2, 2 * bs);
	ck_assert_int_eq(db_lseek(db, g, 0, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(db_lseek(db, g, 0, SEEK_HOLE), 0);
	assert_zero(g, 0, 100);
	free(data);
}
END_TEST

START_TEST(test_damaged_largest_ino)
{
	struct stat st;

	damage("INSERT INTO inode (ino, mode, nlink, uid, gid, atime, mtime, "
	       "ctime, crtime) "
	       "VALUES (9223372036854775807, 33188, 1, 0, 0, 0, 0, 0, 0)");
	ck_assert_uint_eq(attr(INT64_MAX).st_mode, S_IFREG | 0644);
	/* no inode number is left, and none is handed out twice */
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "f", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 -ENOSPC);
	ck_assert_int_eq(ino_of(DB_ROOT_INO, "f"), 0);
}
END_TEST

START_TEST(test_damaged_inode_counts)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	ino_t h = mkfile(DB_ROOT_INO, "h");
	struct listing l;
	struct stat st;
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "UPDATE inode SET stored = -9223372036854775808 "
		 "WHERE ino = %lu; "
		 "UPDATE inode SET stored = 9223372036854775807 "
		 "WHERE ino = %lu; "
		 "UPDATE inode SET nlink = 1099511627776 WHERE ino = %lu",
		 (unsigned long) f, (unsigned long) g, (unsigned long) h);
	damage(sql);
	/* counts out of range are damage: EIO, not an overflow */
	ck_assert_int_eq(db_getattr(db, f, &st), -EIO);
	ck_assert_int_eq(db_getattr(db, g, &st), -EIO);
	ck_assert_int_eq(db_getattr(db, h, &st), -EIO);
	ck_assert_int_eq(db_write(db, f, 0, "x", 1, 0, NULL), -EIO);
	ck_assert_int_eq(db_link(db, h, DB_ROOT_INO, "h2", &st), -EIO);
	/* readdir lists them all the same */
	list_all(DB_ROOT_INO, &l);
	ck_assert_int_eq(l.n, 5);
}
END_TEST

/*
 * An xattr row whose name reads as NULL: SQL cannot store one (the name
 * is part of the primary key of a WITHOUT ROWID table), so the record
 * header in the file is changed to say so, as damage would.
 */
START_TEST(test_damaged_xattr_name)
{
	static const char rec[] = "\x04\x01\x23\x0e\x02user.nullme";
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char *bytes, *p, list[64];
	size_t n;
	int found = 0;

	ck_assert_uint_eq(f, 2); /* the record below holds it in one byte */
	ck_assert_int_eq(db_setxattr(db, f, "user.nullme", "v", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.ok", "w", 1, 0), 0);
	close_db();
	bytes = slurp(db_path, &n);
	for (p = bytes;
	     (p = memmem(p, n - (size_t) (p - bytes), rec, sizeof(rec) - 1));
	     p++, found++)
		p[2] = 0; /* the name's serial type: NULL */
	ck_assert_int_gt(found, 0);
	spit(db_path, bytes, n);
	free(bytes);
	open_db(0);
	ck_assert_int_eq(db_listxattr(db, f, NULL, 0), 8);
	ck_assert_int_eq(db_listxattr(db, f, list, sizeof(list)), 8);
	ck_assert_mem_eq(list, "user.ok", 8);
}
END_TEST

/*
 * Another program holds SQLite's write lock: a read-write open is refused
 * after the busy timeout, instead of making every change wait that long.
 */
/*
 * A trigger stored in the database (a hostile one could loop for ever)
 * does not run in the daemon; DB_OPEN_TRIGGERS lets it, for the test
 * above.
 */
START_TEST(test_stored_triggers_off)
{
	struct stat st;

	close_db();
	sql_exec(db_path, "CREATE TRIGGER stop BEFORE INSERT ON dentry "
			  "BEGIN SELECT RAISE(ABORT, 'trigger ran'); END");
	open_db(0);
	ck_assert_int_eq(db_mknod(db, DB_ROOT_INO, "a", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 0);
	close_db();
	open_db(DB_OPEN_TRIGGERS);
	ck_assert_int_lt(db_mknod(db, DB_ROOT_INO, "b", S_IFREG | 0644, 0, NULL,
				  &cred, &st),
			 0);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "a", &st), 0);
}
END_TEST

START_TEST(test_open_write_locked)
{
	char err[256] = "";
	struct db *d = NULL;
	sqlite3 *other;
	time_t start;

	close_db();
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
		SQLITE_OK);
	start = time(NULL);
	assert_refused(0, -EBUSY);
	ck_assert_int_le(time(NULL) - start, 10);
	ck_assert_int_eq(db_open(db_path, 0, &d, err, sizeof(err)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "another program"));
	/* reading needs no write lock */
	open_db(DB_OPEN_READONLY);
	attr(DB_ROOT_INO);
	close_db();
	ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(other), SQLITE_OK);
	open_db(0);
	mkfile(DB_ROOT_INO, "f");
}
END_TEST

/* --- main -------------------------------------------------------------- */

static Suite *db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_text_file);
	tcase_add_test(tc, test_open_short_text_file);
	tcase_add_test(tc, test_open_empty_file);
	tcase_add_test(tc, test_open_other_app);
	tcase_add_test(tc, test_open_other_app_id);
	tcase_add_test(tc, test_open_newer_format);
	tcase_add_test(tc, test_open_format_zero);
	tcase_add_test(tc, test_mkfs_existing);
	tcase_add_test(tc, test_mkfs_block_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_mknod_types);
	tcase_add_test(tc, test_symlink_long_target);
	tcase_add_test(tc, test_mkdir_nlink);
	tcase_add_test(tc, test_mknod_exists);
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_lookup_errors);
	tcase_add_test(tc, test_setgid_dir);
	tcase_add_test(tc, test_link);
	tcase_add_test(tc, test_unlink);
	tcase_add_test(tc, test_removed_dir_refuses_names);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_purge_orphans);
	suite_add_tcase(s, tc);

	tc = tcase_create("rename");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rename_plain);
	tcase_add_test(tc, test_rename_over_file);
	tcase_add_test(tc, test_rename_over_empty_dir);
	tcase_add_test(tc, test_rename_not_empty);
	tcase_add_test(tc, test_rename_type_mismatch);
	tcase_add_test(tc, test_rename_into_itself);
	tcase_add_test(tc, test_rename_noreplace);
	tcase_add_test(tc, test_rename_exchange);
	tcase_add_test(tc, test_rename_exchange_same_dir);
	tcase_add_test(tc, test_rename_exchange_into_itself);
	tcase_add_test(tc, test_rename_same_inode);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_write_read_blocks);
	tcase_add_test(tc, test_write_read_block_sizes);
	tcase_add_test(tc, test_write_extends_short_block);
	tcase_add_test(tc, test_read_eof);
	tcase_add_test(tc, test_holes);
	tcase_add_test(tc, test_sparse_huge);
	tcase_add_test(tc, test_near_max_size);
	tcase_add_test(tc, test_ino_not_reused);
	tcase_add_test(tc, test_write_limits);
	tcase_add_test(tc, test_truncate_shrink_grow);
	tcase_add_test(tc, test_st_blocks);
	tcase_add_test(tc, test_fallocate);
	tcase_add_test(tc, test_punch_hole);
	tcase_add_test(tc, test_lseek);
	tcase_add_test(tc, test_copy_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("attributes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_setattr_mode);
	tcase_add_test(tc, test_setattr_chown);
	tcase_add_test(tc, test_setattr_size);
	tcase_add_test(tc, test_setattr_times);
	tcase_add_test(tc, test_write_times);
	tcase_add_test(tc, test_atime_policy);
	tcase_add_test(tc, test_atime_due);
	suite_add_tcase(s, tc);

	tc = tcase_create("directories");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_readdir_basic);
	tcase_add_test(tc, test_readdir_resume);
	tcase_add_test(tc, test_readdir_rename_during);
	tcase_add_test(tc, test_statfs);
	suite_add_tcase(s, tc);

	tc = tcase_create("xattr");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_xattr_flags);
	tcase_add_test(tc, test_xattr_sizes);
	tcase_add_test(tc, test_xattr_list);
	tcase_add_test(tc, test_xattr_remove);
	tcase_add_test(tc, test_xattr_namespaces);
	tcase_add_test(tc, test_killed_mode);
	tcase_add_test(tc, test_kill_priv);
	tcase_add_test(tc, test_kill_priv_fallocate_copy);
	tcase_add_test(tc, test_kill_priv_truncate);
	tcase_add_test(tc, test_xattr_binary_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("transactions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failures_change_nothing);
	tcase_add_test(tc, test_failed_op_rolls_back);
	tcase_add_test(tc, test_durable_after_sync);
	tcase_add_test(tc, test_close_commits_batch);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_readonly_unwritable_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("damaged");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_damaged_block_numbers);
	tcase_add_test(tc, test_damaged_largest_ino);
	tcase_add_test(tc, test_damaged_inode_counts);
	tcase_add_test(tc, test_damaged_xattr_name);
	tcase_add_test(tc, test_stored_triggers_off);
	tcase_add_test(tc, test_open_write_locked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	snprintf(top_dir, sizeof(top_dir), "/tmp/db_test.XXXXXX");
	if (!mkdtemp(top_dir)) {
		perror("db_test: mkdtemp");
		return 1;
	}
	sr = srunner_create(db_suite());
	srunner_set_tap(sr, "/dev/stdout");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_tree(top_dir);
	return failed ? 1 : 0;
}
