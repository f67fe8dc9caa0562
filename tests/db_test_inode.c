/*
 * db_test_inode.c - db_test cases: inodes and names, attributes
 *   (src/db_inode.c)
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

/*
 * An inode number is never handed out again, also after the inode was
 * deleted and the database reopened: a file handle names the inode by
 * it.  "." and ".." look an inode and a directory's parent up by number.
 */
START_TEST(test_ino_not_reused)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(d, "f"), victim;
	struct stat st;
	int gone;

	ck_assert_int_eq(db_lookup(db, f, ".", &st), 0);
	ck_assert_uint_eq(st.st_ino, f);
	ck_assert_int_eq(db_lookup(db, d, "..", &st), 0);
	ck_assert_uint_eq(st.st_ino, DB_ROOT_INO);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "..", &st), 0);
	ck_assert_uint_eq(st.st_ino, DB_ROOT_INO);
	ck_assert_int_eq(db_lookup(db, f, "..", &st), -ENOTDIR);
	ck_assert_int_eq(db_unlink(db, d, "f", 0, &victim, &gone), 0);
	ck_assert(gone);
	/* deleted, its rows kept while the kernel knows it: not found */
	ck_assert_int_eq(db_lookup(db, f, ".", &st), -ENOENT);
	ck_assert_int_eq(db_forget(db, f), 0);
	ck_assert_int_eq(db_lookup(db, f, ".", &st), -ENOENT);
	ck_assert_int_eq(db_sync(db), 0);
	close_db();
	open_db(0);
	ck_assert_uint_gt(mkfile(d, "g"), f);
	ck_assert_int_eq(db_lookup(db, 999999, ".", &st), -ENOENT);
}
END_TEST

/*
 * Nor after a crash: a number handed out in a batch that never committed
 * (the kernel, or a file handle, may have seen it) is not used again.
 */
START_TEST(test_ino_not_reused_after_crash)
{
	ino_t lost = 0, next;
	int fds[2], status;
	pid_t pid;

	mkfile(DB_ROOT_INO, "kept");
	ck_assert_int_eq(db_sync(db), 0);
	close_db();
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct db *c = NULL;
		struct stat st;
		char err[256];

		if (db_open(db_path, 0, &c, err, sizeof(err)) < 0)
			_exit(10);
		if (db_mknod(c, DB_ROOT_INO, "lost", S_IFREG | 0644, 0, NULL,
			     &cred, &st) < 0)
			_exit(11);
		if (write(fds[1], &st.st_ino, sizeof(st.st_ino)) !=
		    (ssize_t) sizeof(st.st_ino))
			_exit(12);
		_exit(0); /* no commit, no close: as a crash */
	}
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %d", status);
	ck_assert_int_eq(read(fds[0], &lost, sizeof(lost)),
			 (ssize_t) sizeof(lost));
	close(fds[0]);
	open_db(0);
	ck_assert_int_eq(db_lookup(db, DB_ROOT_INO, "lost", &(struct stat){0}),
			 -ENOENT);
	next = mkfile(DB_ROOT_INO, "new");
	ck_assert_uint_gt(next, lost);
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

/* db_read_due(): as db_atime_due(), and never for a noatime inode. */
START_TEST(test_read_due)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");

	/* made now, never read: due under relatime */
	ck_assert_int_eq(db_read_due(db, f, DB_ATIME_RELATIME), 1);
	ck_assert_int_eq(db_read_due(db, f, DB_ATIME_NOATIME), 0);
	ck_assert_int_eq(db_set_flags(db, f, DB_FL_NOATIME, 0, DB_FLAGS_FOWNER),
			 0);
	ck_assert_int_eq(db_read_due(db, f, DB_ATIME_RELATIME), 0);
	ck_assert_int_eq(db_read_due(db, f, DB_ATIME_STRICT), 0);
	ck_assert_int_eq(db_read_due(db, 999999, DB_ATIME_STRICT), -ENOENT);
}
END_TEST

/* Adds the cases of the "names" test case, in their order. */
void add_names_cases(TCase *tc)
{
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
}

/* chattr flags: kept, who may change them, and what they refuse. */
START_TEST(test_flags)
{
	const unsigned all = DB_FLAGS_FOWNER | DB_FLAGS_IMMUTABLE;
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(d, "f"), victim;
	struct stat in, out, st0;
	unsigned fl = 99;
	char buf[4] = "abc";
	int gone;

	ck_assert_int_eq(db_get_flags(db, f, &fl), 0);
	ck_assert_uint_eq(fl, 0);
	ck_assert_int_eq(db_get_flags(db, 999999, &fl), -ENOENT);
	ck_assert_int_eq(db_set_flags(db, f, 0x8, getuid(), all), -EOPNOTSUPP);
	/* the owner may set d and A, not i or a; others nothing */
	ck_assert_int_eq(
		db_set_flags(db, f, DB_FL_NODUMP, attr(f).st_uid + 1, 0),
		-EPERM);
	ck_assert_int_eq(
		db_set_flags(db, f, DB_FL_IMMUTABLE, attr(f).st_uid, 0),
		-EPERM);
	age(f);
	st0 = attr(f);
	ck_assert_int_eq(db_set_flags(db, f, DB_FL_NODUMP | DB_FL_NOATIME,
				      attr(f).st_uid, 0),
			 0);
	ck_assert(ts_after(attr(f).st_ctim, st0.st_ctim));
	ck_assert_int_eq(db_get_flags(db, f, &fl), 0);
	ck_assert_uint_eq(fl, DB_FL_NODUMP | DB_FL_NOATIME);
	/* a new inode takes d and A from its directory */
	ck_assert_int_eq(db_set_flags(db, d, DB_FL_NOATIME, attr(f).st_uid, 0),
			 0);
	ck_assert_int_eq(db_get_flags(db, mkfile(d, "g"), &fl), 0);
	ck_assert_uint_eq(fl, DB_FL_NOATIME);

	/* immutable: refused as the VFS refuses, and kept after a reopen */
	put(f, 0, "x", 1);
	ck_assert_int_eq(db_set_flags(db, f, DB_FL_IMMUTABLE, 4321, all), 0);
	ck_assert_int_eq(db_sync(db), 0);
	close_db();
	open_db(0);
	ck_assert_int_eq(db_get_flags(db, f, &fl), 0);
	ck_assert_uint_eq(fl, DB_FL_IMMUTABLE);
	st0 = attr(f);
	memset(&in, 0, sizeof(in));
	in.st_mode = 0600;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), -EPERM);
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), -EPERM);
	ck_assert_int_eq(db_setattr(db, f, &in,
				    DB_SET_ATIME_NOW | DB_SET_MTIME_NOW |
					    DB_SET_TIMES_NOW,
				    &out),
			 -EPERM);
	ck_assert_int_eq(db_write(db, f, 0, buf, 3, 0, NULL), -EPERM);
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 10, 0, NULL), -EPERM);
	ck_assert_int_eq(db_setxattr(db, f, "user.x", "v", 1, 0), -EPERM);
	ck_assert_int_eq(db_unlink(db, d, "f", 0, &victim, &gone), -EPERM);
	ck_assert_int_eq(db_rename(db, d, "f", d, "h", 0, &victim, &gone),
			 -EPERM);
	ck_assert_int_eq(db_link(db, f, d, "h", &out), -EPERM);
	out = attr(f);
	assert_same_stat(&st0, &out);

	/* append-only: writes past the size, or leaving the bytes alone */
	ck_assert_int_eq(db_set_flags(db, f, DB_FL_APPEND, 0, all), 0);
	ck_assert_int_eq(db_write(db, f, 1, "yz", 2, 0, NULL), 2);
	ck_assert_int_eq(db_write(db, f, 0, "xyzw", 4, 0, NULL), 4);
	ck_assert_int_eq(db_write(db, f, 0, "Xyzw!", 5, 0, NULL), -EPERM);
	assert_bytes(f, 0, "xyzw", 4);
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), -EPERM);
	ck_assert_int_eq(db_setattr(db, f, &in,
				    DB_SET_ATIME_NOW | DB_SET_MTIME_NOW |
					    DB_SET_TIMES_NOW,
				    &out),
			 0);
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_ATIME, &out), -EPERM);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_KEEP_SIZE, 0, 10, 0, NULL), 0);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     0, 1, 0, NULL),
		-EPERM);
	ck_assert_int_eq(db_unlink(db, d, "f", 0, &victim, &gone), -EPERM);
	/* an append-only directory takes names, gives none up */
	ck_assert_int_eq(db_set_flags(db, f, 0, 0, all), 0);
	ck_assert_int_eq(db_set_flags(db, d, DB_FL_APPEND, 0, all), 0);
	mkfile(d, "new");
	ck_assert_int_eq(db_unlink(db, d, "new", 0, &victim, &gone), -EPERM);
	ck_assert_int_eq(
		db_rename(db, d, "new", DB_ROOT_INO, "new", 0, &victim, &gone),
		-EPERM);
	ck_assert_int_eq(db_set_flags(db, d, DB_FL_IMMUTABLE, 0, all), 0);
	ck_assert_int_eq(
		db_mknod(db, d, "n", S_IFREG | 0644, 0, NULL, &cred, &out),
		-EPERM);
	ck_assert_int_eq(db_set_flags(db, d, 0, 0, all), 0);
	ck_assert_int_eq(db_unlink(db, d, "f", 0, &victim, &gone), 0);
}
END_TEST

/* Adds the cases of the "attributes" test case, in their order. */
void add_attributes_cases(TCase *tc)
{
	tcase_add_test(tc, test_setattr_mode);
	tcase_add_test(tc, test_setattr_chown);
	tcase_add_test(tc, test_setattr_size);
	tcase_add_test(tc, test_setattr_times);
	tcase_add_test(tc, test_write_times);
	tcase_add_test(tc, test_atime_policy);
	tcase_add_test(tc, test_atime_due);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_read_due);
	tcase_add_test(tc, test_ino_not_reused);
	tcase_add_test(tc, test_ino_not_reused_after_crash);
}
