/*
 * db_test_batch.c - db_test cases: atomicity, durability, read-only (src/db.c)
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

/* Adds the cases of the "transactions" test case, in their order. */
void add_transactions_cases(TCase *tc)
{
	tcase_add_test(tc, test_failures_change_nothing);
	tcase_add_test(tc, test_failed_op_rolls_back);
	tcase_add_test(tc, test_durable_after_sync);
	tcase_add_test(tc, test_close_commits_batch);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_readonly_unwritable_dir);
}
