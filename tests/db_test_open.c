/*
 * db_test_open.c - db_test cases: db_open and db_mkfs (src/db_open.c),
 *   damaged databases
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
	/* after the busy timeout (5 s of SQLite's sleeps), not never: a
	 * loaded machine stretches the sleeps (11 s were seen beside a
	 * build), so the bound is loose */
	ck_assert_int_le(time(NULL) - start, 30);
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

/* Adds the cases of the "open" test case, in their order. */
void add_open_cases(TCase *tc)
{
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
}

/* Adds the cases of the "damaged" test case, in their order. */
void add_damaged_cases(TCase *tc)
{
	tcase_add_test(tc, test_damaged_block_numbers);
	tcase_add_test(tc, test_damaged_largest_ino);
	tcase_add_test(tc, test_damaged_inode_counts);
	tcase_add_test(tc, test_damaged_xattr_name);
	tcase_add_test(tc, test_stored_triggers_off);
	tcase_add_test(tc, test_open_write_locked);
}
