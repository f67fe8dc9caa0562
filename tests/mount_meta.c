/*
 * mount_meta.c - mount_test cases: metadata, permissions as uid 65534, xattrs
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_test.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <time.h>
#include <unistd.h>

/* ---- metadata ------------------------------------------------------ */

START_TEST(meta_chmod)
{
	struct stat st0, st;
	int fd;

	setup("meta_chmod");
	put(case_path("f"), "x", 1);
	st0 = lst(case_path("f"));
	tick();
	OK(chmod(case_path("f"), 0));
	st = lst(case_path("f"));
	ck_assert_uint_eq(st.st_mode & 07777, 0);
	ck_assert(S_ISREG(st.st_mode));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
	OK(chmod(case_path("f"), 07777));
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 07777);
	OK(fd = open(case_path("f"), O_RDONLY));
	OK(fchmod(fd, 0640));
	ck_assert_uint_eq(fst(fd).st_mode & 07777, 0640);
	OK(close(fd));
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 0640);
	OK(mkdir(case_path("d"), 0755));
	OK(chmod(case_path("d"), 01777));
	st = lst(case_path("d"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 01777);
	FAILS(chmod(case_path("missing"), 0644), ENOENT);
}
END_TEST

START_TEST(meta_chown)
{
	struct stat st0, st;
	int fd;

	setup("meta_chown");
	put(case_path("f"), "x", 1);
	st0 = lst(case_path("f"));
	ck_assert_uint_eq(st0.st_uid, 0);
	ck_assert_uint_eq(st0.st_gid, 0);
	tick();
	OK(chown(case_path("f"), 1234, 5678));
	st = lst(case_path("f"));
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 5678);
	AFTER(st.st_ctim, st0.st_ctim);
	OK(chown(case_path("f"), (uid_t) -1, 42));
	st = lst(case_path("f"));
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 42);
	OK(fd = open(case_path("f"), O_RDONLY));
	OK(fchown(fd, 7, (gid_t) -1));
	OK(close(fd));
	st = lst(case_path("f"));
	ck_assert_uint_eq(st.st_uid, 7);
	ck_assert_uint_eq(st.st_gid, 42);
	/* lchown changes the link, chown its target */
	OK(symlink("f", case_path("l")));
	OK(lchown(case_path("l"), 99, 98));
	st = lst(case_path("l"));
	ck_assert_uint_eq(st.st_uid, 99);
	ck_assert_uint_eq(st.st_gid, 98);
	ck_assert_uint_eq(lst(case_path("f")).st_uid, 7);
	OK(chown(case_path("l"), 3, 4));
	ck_assert_uint_eq(lst(case_path("f")).st_uid, 3);
	ck_assert_uint_eq(lst(case_path("l")).st_uid, 99);
}
END_TEST

START_TEST(meta_utimens)
{
	struct timespec t[2] = {{1234567890, 123456789},
				{1500000000, 987654321}};
	struct timespec before, after;
	struct stat st, st0;
	int fd;

	setup("meta_utimens");
	put(case_path("f"), "x", 1);
	OK(utimensat(AT_FDCWD, case_path("f"), t, 0));
	st = lst(case_path("f"));
	TS_IS(st.st_atim, 1234567890, 123456789);
	TS_IS(st.st_mtim, 1500000000, 987654321);
	/* UTIME_OMIT leaves a time alone */
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = 1600000000;
	t[1].tv_nsec = 1;
	OK(utimensat(AT_FDCWD, case_path("f"), t, 0));
	st = lst(case_path("f"));
	TS_IS(st.st_atim, 1234567890, 123456789);
	TS_IS(st.st_mtim, 1600000000, 1);
	t[0].tv_sec = 1700000000;
	t[0].tv_nsec = 999999999;
	t[1].tv_nsec = UTIME_OMIT;
	OK(utimensat(AT_FDCWD, case_path("f"), t, 0));
	st = lst(case_path("f"));
	TS_IS(st.st_atim, 1700000000, 999999999);
	TS_IS(st.st_mtim, 1600000000, 1);
	/* UTIME_NOW for one, then both (NULL) */
	st0 = st;
	tick();
	clock_gettime(CLOCK_REALTIME, &before);
	before.tv_sec -= 1;
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_nsec = UTIME_NOW;
	OK(utimensat(AT_FDCWD, case_path("f"), t, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	after.tv_sec += 1;
	st = lst(case_path("f"));
	TS_IS(st.st_atim, 1700000000, 999999999);
	AFTER(st.st_mtim, before);
	AFTER(after, st.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
	OK(utimensat(AT_FDCWD, case_path("f"), NULL, 0));
	st = lst(case_path("f"));
	AFTER(st.st_atim, before);
	AFTER(after, st.st_atim);
	/* before 1970 and after 2038 */
	t[0].tv_sec = -100;
	t[0].tv_nsec = 250000000;
	t[1].tv_sec = 4102444800LL;
	t[1].tv_nsec = 5;
	OK(fd = open(case_path("f"), O_RDONLY));
	OK(futimens(fd, t));
	OK(close(fd));
	st = lst(case_path("f"));
	TS_IS(st.st_atim, -100, 250000000);
	TS_IS(st.st_mtim, 4102444800LL, 5);
	/* a symlink's own times */
	OK(symlink("f", case_path("l")));
	t[0].tv_sec = 1111111111;
	t[0].tv_nsec = 11;
	t[1].tv_sec = 1222222222;
	t[1].tv_nsec = 22;
	OK(utimensat(AT_FDCWD, case_path("l"), t, AT_SYMLINK_NOFOLLOW));
	st = lst(case_path("l"));
	TS_IS(st.st_mtim, 1222222222, 22);
	st = lst(case_path("f"));
	TS_IS(st.st_mtim, 4102444800LL, 5);
	/* on a directory */
	OK(mkdir(case_path("d"), 0755));
	OK(utimensat(AT_FDCWD, case_path("d"), t, 0));
	TS_IS(lst(case_path("d")).st_mtim, 1222222222, 22);
	TS_IS(lst(case_path("d")).st_atim, 1111111111, 11);
}
END_TEST

/* mtime and ctime move on write and truncate; atime does not on write. */
START_TEST(meta_times_write)
{
	const struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat st0, st;
	int fd;

	setup("meta_times_write");
	put(case_path("f"), "0123456789", 10);
	OK(utimensat(AT_FDCWD, case_path("f"), past, 0));
	st0 = lst(case_path("f"));
	tick();
	/* with the page out of the cache, the write below makes the kernel
	 * read it first (writeback cache): that is no access either */
	OK(fd = open(case_path("f"), O_RDONLY));
	OK(fsync(fd));
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	OK(close(fd));
	OK(fd = open(case_path("f"), O_WRONLY));
	pwrite_all(fd, "ab", 2, 3);
	OK(close(fd));
	st = lst(case_path("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
	TS_IS(st.st_atim, 1000000000, 0);

	st0 = st;
	tick();
	OK(truncate(case_path("f"), 4));
	st = lst(case_path("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);

	st0 = st;
	tick();
	OK(fd = open(case_path("f"), O_WRONLY));
	OK(ftruncate(fd, 100000));
	OK(close(fd));
	st = lst(case_path("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);

	st0 = st;
	tick();
	OK(fd = open(case_path("f"), O_WRONLY | O_TRUNC));
	OK(close(fd));
	st = lst(case_path("f"));
	ck_assert_int_eq(st.st_size, 0);
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
}
END_TEST

START_TEST(meta_ctime_link)
{
	struct stat st0, st;

	setup("meta_ctime_link");
	put(case_path("f"), "x", 1);
	st0 = lst(case_path("f"));
	tick();
	OK(link(case_path("f"), case_path("g")));
	st = lst(case_path("f"));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
	st0 = st;
	tick();
	OK(unlink(case_path("g")));
	st = lst(case_path("f"));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert_uint_eq(st.st_nlink, 1);
}
END_TEST

/* A directory's mtime and ctime move when an entry comes or goes. */
START_TEST(meta_parent_times)
{
	const struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat d0, d;
	int i;

	setup("meta_parent_times");
	OK(mkdir(case_path("d"), 0755));
	for (i = 0; i < 7; i++) {
		OK(utimensat(AT_FDCWD, case_path("d"), past, 0));
		d0 = lst(case_path("d"));
		tick();
		switch (i) {
		case 0:
			put(case_path("d/f"), "x", 1);
			break;
		case 1:
			OK(mkdir(case_path("d/sub"), 0755));
			break;
		case 2:
			OK(symlink("f", case_path("d/l")));
			break;
		case 3:
			OK(link(case_path("d/f"), case_path("d/h")));
			break;
		case 4:
			OK(unlink(case_path("d/f")));
			break;
		case 5:
			OK(rmdir(case_path("d/sub")));
			break;
		case 6:
			OK(mknod(case_path("d/fifo"), S_IFIFO | 0644, 0));
			break;
		}
		d = lst(case_path("d"));
		ck_assert_msg(ts_cmp(&d.st_mtim, &d0.st_mtim) > 0 &&
				      ts_cmp(&d.st_ctim, &d0.st_ctim) > 0,
			      "step %d: directory times did not move", i);
	}
	/* a write to a file inside does not touch the directory */
	OK(utimensat(AT_FDCWD, case_path("d"), past, 0));
	d0 = lst(case_path("d"));
	tick();
	put(case_path("d/h"), "changed", 7);
	d = lst(case_path("d"));
	ck_assert(ts_cmp(&d.st_mtim, &d0.st_mtim) == 0);
	ck_assert(ts_cmp(&d.st_ctim, &d0.st_ctim) == 0);
}
END_TEST

/* relatime: a read updates atime when atime is older than mtime. */
START_TEST(meta_atime)
{
	struct stat st0, st;
	char buf[16];
	int fd;

	setup("meta_atime");
	put_unread(case_path("f"));
	st0 = lst(case_path("f"));
	ck_assert(ts_cmp(&st0.st_atim, &st0.st_mtim) < 0);
	tick();
	OK(fd = open(case_path("f"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 9);
	OK(close(fd));
	st = lst(case_path("f"));
	AFTER(st.st_atim, st0.st_atim);
	ck_assert(ts_cmp(&st.st_atim, &st.st_mtim) >= 0);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
}
END_TEST

START_TEST(meta_statfs)
{
	struct statvfs sv;

	setup("meta_statfs");
	OK(statvfs(case_path("."), &sv));
	ck_assert_uint_eq(sv.f_namemax, 255);
	ck_assert_uint_gt(sv.f_blocks, 0);
	ck_assert_uint_gt(sv.f_bsize, 0);
	ck_assert_uint_le(sv.f_bfree, sv.f_blocks);
	ck_assert_uint_le(sv.f_bavail, sv.f_bfree);
	ck_assert_uint_ge(sv.f_files, sv.f_ffree);
	ck_assert_uint_eq(sv.f_flag & ST_RDONLY, 0);
	OK(statvfs(m.path, &sv));
	ck_assert_uint_eq(sv.f_namemax, 255);
}
END_TEST

START_TEST(meta_owner)
{
	struct stat st;

	setup("meta_owner");
	OK(mkdir(case_path("open"), 0777));
	OK(chmod(case_path("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, case_path("open/f"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_mkdir, case_path("open/d"), NULL), 0);
	st = lst(case_path("open/f"));
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	st = lst(case_path("open/d"));
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	put(case_path("open/root"), "", 0);
	st = lst(case_path("open/root"));
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_uint_eq(st.st_gid, 0);
}
END_TEST

START_TEST(meta_umask)
{
	int fd;

	setup("meta_umask");
	umask(022);
	OK(fd = open(case_path("f1"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	OK(mkdir(case_path("d1"), 0777));
	OK(mknod(case_path("p1"), S_IFIFO | 0666, 0));
	ck_assert_uint_eq(lst(case_path("f1")).st_mode & 07777, 0644);
	ck_assert_uint_eq(lst(case_path("d1")).st_mode & 07777, 0755);
	ck_assert_uint_eq(lst(case_path("p1")).st_mode & 07777, 0644);
	umask(077);
	OK(fd = open(case_path("f2"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	OK(mkdir(case_path("d2"), 0777));
	ck_assert_uint_eq(lst(case_path("f2")).st_mode & 07777, 0600);
	ck_assert_uint_eq(lst(case_path("d2")).st_mode & 07777, 0700);
	umask(0);
	OK(fd = open(case_path("f3"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	ck_assert_uint_eq(lst(case_path("f3")).st_mode & 07777, 0666);
	OK(symlink("f3", case_path("l")));
	ck_assert_uint_eq(lst(case_path("l")).st_mode & 07777, 0777);
	umask(022);
}
END_TEST

START_TEST(meta_setgid_dir)
{
	struct stat st;
	int fd;

	setup("meta_setgid_dir");
	OK(mkdir(case_path("sg"), 0755));
	OK(chown(case_path("sg"), 0, 4321));
	OK(chmod(case_path("sg"), 02775));
	ck_assert_uint_eq(lst(case_path("sg")).st_mode & 07777, 02775);
	OK(fd = open(case_path("sg/f"), O_WRONLY | O_CREAT, 0644));
	close(fd);
	OK(mkdir(case_path("sg/sub"), 0755));
	OK(mknod(case_path("sg/p"), S_IFIFO | 0644, 0));
	st = lst(case_path("sg/f"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_uint_eq(st.st_mode & S_ISGID, 0);
	st = lst(case_path("sg/sub"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_mode & 07777, 02755);
	ck_assert_uint_eq(lst(case_path("sg/p")).st_gid, 4321);
	/* and on to the next level */
	OK(mkdir(case_path("sg/sub/deeper"), 0700));
	st = lst(case_path("sg/sub/deeper"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_mode & 07777, 02700);
	/* without the bit, the creator's group */
	OK(mkdir(case_path("plain"), 0755));
	OK(chown(case_path("plain"), 0, 4321));
	put(case_path("plain/f"), "", 0);
	ck_assert_uint_eq(lst(case_path("plain/f")).st_gid, 0);
}
END_TEST

START_TEST(meta_mknod)
{
	char buf[8];
	struct stat st;
	int fd;

	setup("meta_mknod");
	OK(mknod(case_path("fifo"), S_IFIFO | 0640, 0));
	OK(mknod(case_path("sock"), S_IFSOCK | 0600, 0));
	OK(mknod(case_path("null"), S_IFCHR | 0666, makedev(1, 3)));
	OK(mknod(case_path("blk"), S_IFBLK | 0600, makedev(7, 200)));
	OK(mkfifo(case_path("fifo2"), 0600));
	OK(mknod(case_path("reg"), S_IFREG | 0600, 0));
	st = lst(case_path("fifo"));
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert(S_ISFIFO(lst(case_path("fifo2")).st_mode));
	ck_assert(S_ISSOCK(lst(case_path("sock")).st_mode));
	st = lst(case_path("null"));
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
	ck_assert_uint_eq(major(st.st_rdev), 1);
	ck_assert_uint_eq(minor(st.st_rdev), 3);
	st = lst(case_path("blk"));
	ck_assert(S_ISBLK(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(7, 200));
	st = lst(case_path("reg"));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 0);
	FAILS(mknod(case_path("fifo"), S_IFIFO | 0640, 0), EEXIST);
	/* the FIFO works as one */
	OK(fd = open(case_path("fifo"), O_RDWR | O_NONBLOCK));
	ck_assert_int_eq(write(fd, "pipe", 4), 4);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert(memcmp(buf, "pipe", 4) == 0);
	FAILS(read(fd, buf, sizeof(buf)), EAGAIN);
	OK(close(fd));
	ck_assert_int_eq(lst(case_path("fifo")).st_size, 0);
}
END_TEST

Suite *meta_suite(void)
{
	Suite *s = suite_create("meta");

	ADD(s, meta_chmod);
	ADD(s, meta_chown);
	ADD(s, meta_utimens);
	ADD(s, meta_times_write);
	ADD(s, meta_ctime_link);
	ADD(s, meta_parent_times);
	ADD(s, meta_atime);
	ADD(s, meta_statfs);
	ADD(s, meta_owner);
	ADD(s, meta_umask);
	ADD(s, meta_setgid_dir);
	ADD(s, meta_mknod);
	return s;
}

/* ---- permissions, as uid 65534 ------------------------------------- */

START_TEST(perm_open)
{
	setup("perm_open");
	put(case_path("secret"), "s", 1);
	OK(chmod(case_path("secret"), 0600));
	put(case_path("public"), "p", 1);
	OK(chmod(case_path("public"), 0644));
	ck_assert_int_eq(as_nobody(op_open_read, case_path("public"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_open_read, case_path("secret"), NULL),
			 EACCES);
	ck_assert_int_eq(as_nobody(op_append, case_path("public"), NULL),
			 EACCES);
	OK(mkdir(case_path("closed"), 0700));
	put(case_path("closed/f"), "f", 1);
	OK(chmod(case_path("closed/f"), 0644));
	ck_assert_int_eq(as_nobody(op_open_read, case_path("closed/f"), NULL),
			 EACCES);
}
END_TEST

START_TEST(perm_create)
{
	setup("perm_create");
	OK(mkdir(case_path("rootdir"), 0755));
	ck_assert_int_eq(as_nobody(op_create, case_path("rootdir/f"), NULL),
			 EACCES);
	ck_assert_int_eq(as_nobody(op_mkdir, case_path("rootdir/d"), NULL),
			 EACCES);
	ck_assert(!exists(case_path("rootdir/f")));
	put(case_path("rootdir/g"), "", 0);
	ck_assert_int_eq(as_nobody(op_unlink, case_path("rootdir/g"), NULL),
			 EACCES);
	ck_assert(exists(case_path("rootdir/g")));
	OK(mkdir(case_path("open"), 0755));
	OK(chmod(case_path("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, case_path("open/f"), NULL), 0);
}
END_TEST

/* Writes a byte at offset 0 of a through a new descriptor. */
static int op_overwrite(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY);

	(void) b;
	if (fd < 0)
		return errno;
	if (pwrite(fd, "x", 1, 0) != 1) {
		close(fd);
		return errno ? errno : EIO;
	}
	return close(fd) < 0 ? errno : 0;
}

/*
 * Writing, truncating or chowning a file drops its set-user-ID bit, its
 * set-group-ID bit when group execute is on, and its file capabilities,
 * as on ext4: root's writes and truncates keep the bits (CAP_FSETID).
 */
START_TEST(perm_killpriv)
{
	/* a version 2 security.capability value: cap_net_bind_service+p */
	static const unsigned char caps[20] = {0, 0, 0, 2, 0, 4};
	char buf[64];

	setup("perm_killpriv");
	put(case_path("f"), "abc", 3);
	OK(chmod(case_path("f"), 06777));
	ck_assert_int_eq(as_nobody(op_overwrite, case_path("f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 0777);
	OK(chmod(case_path("f"), 06777));
	ck_assert_int_eq(as_nobody(op_truncate, case_path("f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 0777);
	/* set-group-ID without group execute stays for a group member */
	OK(chown(case_path("f"), 0, NOBODY));
	OK(chmod(case_path("f"), 06767));
	ck_assert_int_eq(as_nobody(op_overwrite, case_path("f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 02767);
	/* root keeps both on write and truncate, but not on chown */
	OK(chmod(case_path("f"), 06777));
	ck_assert_int_eq(in_child(false, op_overwrite, case_path("f"), NULL),
			 0);
	ck_assert_int_eq(in_child(false, op_truncate, case_path("f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 06777);
	OK(chown(case_path("f"), 0, 0));
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 0777);
	/* capabilities go on any write, root's too */
	OK(setxattr(case_path("f"), "security.capability", caps, sizeof(caps),
		    0));
	ck_assert_int_eq(getxattr(case_path("f"), "security.capability", buf,
				  sizeof(buf)),
			 sizeof(caps));
	ck_assert_int_eq(in_child(false, op_overwrite, case_path("f"), NULL),
			 0);
	FAILS(getxattr(case_path("f"), "security.capability", buf, sizeof(buf)),
	      ENODATA);
	OK(setxattr(case_path("f"), "security.capability", caps, sizeof(caps),
		    0));
	OK(chown(case_path("f"), 0, 0));
	FAILS(getxattr(case_path("f"), "security.capability", buf, sizeof(buf)),
	      ENODATA);
	expect_file(case_path("f"), "x", 1);
}
END_TEST

START_TEST(perm_sticky)
{
	setup("perm_sticky");
	OK(mkdir(case_path("tmp"), 0755));
	OK(chmod(case_path("tmp"), 01777));
	put(case_path("tmp/roots"), "r", 1);
	OK(chmod(case_path("tmp/roots"), 0666));
	ck_assert_int_eq(as_nobody(op_unlink, case_path("tmp/roots"), NULL),
			 EPERM);
	ck_assert(exists(case_path("tmp/roots")));
	ck_assert_int_eq(as_nobody(op_create, case_path("tmp/mine"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_unlink, case_path("tmp/mine"), NULL), 0);
	ck_assert(!exists(case_path("tmp/mine")));
	/* without the sticky bit, the same unlink works */
	OK(chmod(case_path("tmp"), 0777));
	ck_assert_int_eq(as_nobody(op_unlink, case_path("tmp/roots"), NULL), 0);
}
END_TEST

START_TEST(perm_suid_cleared)
{
	struct stat st;

	setup("perm_suid_cleared");
	put(case_path("f"), "abc", 3);
	OK(chmod(case_path("f"), 04777));
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 04777);
	ck_assert_int_eq(as_nobody(op_append, case_path("f"), NULL), 0);
	st = lst(case_path("f"));
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_msg((st.st_mode & 07777) == 0777, "mode %04o, want 0777",
		      (unsigned) (st.st_mode & 07777));
	expect_file(case_path("f"), "abcx", 4);
	/* root writing keeps the bit */
	OK(chmod(case_path("f"), 04777));
	put(case_path("f"), "root", 4);
	ck_assert_uint_eq(lst(case_path("f")).st_mode & 07777, 04777);
}
END_TEST

START_TEST(perm_chown)
{
	setup("perm_chown");
	OK(mkdir(case_path("open"), 0755));
	OK(chmod(case_path("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, case_path("open/f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("open/f")).st_uid, NOBODY);
	ck_assert_int_eq(as_nobody(op_chown_root, case_path("open/f"), NULL),
			 EPERM);
	ck_assert_uint_eq(lst(case_path("open/f")).st_uid, NOBODY);
	put(case_path("open/g"), "", 0);
	ck_assert_int_eq(as_nobody(op_chown_root, case_path("open/g"), NULL),
			 EPERM);
	ck_assert_int_eq(as_nobody(op_chmod, case_path("open/g"), NULL), EPERM);
	ck_assert_uint_eq(lst(case_path("open/g")).st_mode & 07777, 0644);
	ck_assert_int_eq(as_nobody(op_chmod, case_path("open/f"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("open/f")).st_mode & 07777, 0777);
}
END_TEST

/* Setting times to now takes write access, setting them ownership. */
START_TEST(perm_utimes)
{
	struct stat st;

	setup("perm_utimes");
	put(case_path("rw"), "", 0);
	OK(chmod(case_path("rw"), 0666));
	put(case_path("ro"), "", 0);
	OK(chmod(case_path("ro"), 0644));
	ck_assert_int_eq(as_nobody(op_utime_now, case_path("rw"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_utime_set, case_path("rw"), NULL), EPERM);
	ck_assert_int_eq(as_nobody(op_utime_now, case_path("ro"), NULL),
			 EACCES);
	st = lst(case_path("rw"));
	ck_assert_int_gt(st.st_mtim.tv_sec, 1);
}
END_TEST

Suite *perm_suite(void)
{
	Suite *s = suite_create("perm");

	ADD(s, perm_open);
	ADD(s, perm_create);
	ADD(s, perm_sticky);
	ADD(s, perm_killpriv);
	ADD(s, perm_suid_cleared);
	ADD(s, perm_chown);
	ADD(s, perm_utimes);
	return s;
}

/* ---- xattrs -------------------------------------------------------- */

/* Asserts that the list of n bytes holds name once. */
static void expect_listed(const char *list, ssize_t n, const char *name)
{
	const char *p;
	int seen = 0;

	for (p = list; p < list + n; p += strlen(p) + 1)
		if (!strcmp(p, name))
			seen++;
	ck_assert_msg(seen == 1, "%s listed %d times", name, seen);
}

START_TEST(xattr_file)
{
	static const char bin[] = "a\0b\0\xff\x01";
	char buf[256], list[1024];
	const char *p;
	ssize_t n;
	int fd;

	setup("xattr_file");
	put(case_path("f"), "x", 1);
	OK(setxattr(case_path("f"), "user.a", "value-a", 7, XATTR_CREATE));
	FAILS(setxattr(case_path("f"), "user.a", "again", 5, XATTR_CREATE),
	      EEXIST);
	FAILS(setxattr(case_path("f"), "user.missing", "v", 1, XATTR_REPLACE),
	      ENODATA);
	FAILS(getxattr(case_path("f"), "user.missing", buf, sizeof(buf)),
	      ENODATA);
	ck_assert_int_eq(getxattr(case_path("f"), "user.a", NULL, 0), 7);
	FAILS(getxattr(case_path("f"), "user.a", buf, 3), ERANGE);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(getxattr(case_path("f"), "user.a", buf, sizeof(buf)),
			 7);
	ck_assert_str_eq(buf, "value-a");
	OK(setxattr(case_path("f"), "user.a", "A", 1, XATTR_REPLACE));
	ck_assert_int_eq(getxattr(case_path("f"), "user.a", buf, sizeof(buf)),
			 1);
	ck_assert(buf[0] == 'A');
	OK(setxattr(case_path("f"), "user.bin", bin, sizeof(bin), 0));
	ck_assert_int_eq(getxattr(case_path("f"), "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert(memcmp(buf, bin, sizeof(bin)) == 0);
	OK(setxattr(case_path("f"), "user.empty", "", 0, 0));
	ck_assert_int_eq(
		getxattr(case_path("f"), "user.empty", buf, sizeof(buf)), 0);
	/* listing */
	n = listxattr(case_path("f"), NULL, 0);
	ck_assert_int_ge(n, (ssize_t) sizeof("user.a") + sizeof("user.bin") +
				    sizeof("user.empty"));
	FAILS(listxattr(case_path("f"), list, 3), ERANGE);
	ck_assert_int_eq(listxattr(case_path("f"), list, sizeof(list)), n);
	expect_listed(list, n, "user.a");
	expect_listed(list, n, "user.bin");
	expect_listed(list, n, "user.empty");
	/* removal */
	OK(removexattr(case_path("f"), "user.a"));
	FAILS(getxattr(case_path("f"), "user.a", buf, sizeof(buf)), ENODATA);
	FAILS(removexattr(case_path("f"), "user.a"), ENODATA);
	n = listxattr(case_path("f"), list, sizeof(list));
	ck_assert_int_ge(n, 0);
	for (p = list; p < list + n; p += strlen(p) + 1)
		ck_assert_str_ne(p, "user.a");
	OK(setxattr(case_path("f"), "user.a", "back", 4, XATTR_CREATE));
	/* through a descriptor */
	OK(fd = open(case_path("f"), O_RDONLY));
	OK(fsetxattr(fd, "user.fd", "fd", 2, 0));
	ck_assert_int_eq(fgetxattr(fd, "user.fd", buf, sizeof(buf)), 2);
	OK(fremovexattr(fd, "user.fd"));
	OK(close(fd));
	FAILS(setxattr(case_path("f"), "bogus.ns", "v", 1, 0), EOPNOTSUPP);
	FAILS(getxattr(case_path("missing"), "user.a", buf, sizeof(buf)),
	      ENOENT);
}
END_TEST

START_TEST(xattr_dir_symlink)
{
	char buf[64];

	setup("xattr_dir_symlink");
	OK(mkdir(case_path("d"), 0755));
	OK(setxattr(case_path("d"), "user.dir", "on a dir", 8, 0));
	ck_assert_int_eq(getxattr(case_path("d"), "user.dir", buf, sizeof(buf)),
			 8);
	ck_assert(memcmp(buf, "on a dir", 8) == 0);
	put(case_path("target"), "", 0);
	OK(symlink("target", case_path("l")));
	FAILS(lsetxattr(case_path("l"), "user.x", "v", 1, 0), EPERM);
	FAILS(lgetxattr(case_path("l"), "user.x", buf, sizeof(buf)), ENODATA);
	/* without l, the call goes to the target */
	OK(setxattr(case_path("l"), "user.x", "v", 1, 0));
	ck_assert_int_eq(
		getxattr(case_path("target"), "user.x", buf, sizeof(buf)), 1);
	/* the attributes go with the inode: hard links share them */
	OK(link(case_path("target"), case_path("hard")));
	ck_assert_int_eq(
		getxattr(case_path("hard"), "user.x", buf, sizeof(buf)), 1);
	OK(rename(case_path("d"), case_path("d2")));
	ck_assert_int_eq(
		getxattr(case_path("d2"), "user.dir", buf, sizeof(buf)), 8);
}
END_TEST

/*
 * security.*, which ls -l and the kernel ask of every file: absent, it is
 * ENODATA (answered without a query while the filesystem has none); set,
 * it is found at once; removed, ENODATA again.
 */
START_TEST(xattr_security)
{
	char buf[16], list[256];
	ssize_t n;

	setup("xattr_security");
	put(case_path("f"), "", 0);
	FAILS(getxattr(case_path("f"), "security.sqlitefs_none", NULL, 0),
	      ENODATA);
	FAILS(getxattr(case_path("f"), "security.sqlitefs_none", buf,
		       sizeof(buf)),
	      ENODATA);
	OK(setxattr(case_path("f"), "security.sqlitefs", "sec", 3, 0));
	ck_assert_int_eq(getxattr(case_path("f"), "security.sqlitefs", NULL, 0),
			 3);
	ck_assert_int_eq(
		getxattr(case_path("f"), "security.sqlitefs", buf, sizeof(buf)),
		3);
	ck_assert(memcmp(buf, "sec", 3) == 0);
	n = listxattr(case_path("f"), list, sizeof(list));
	ck_assert_int_gt(n, 0);
	expect_listed(list, n, "security.sqlitefs");
	FAILS(getxattr(case_path("f"), "security.sqlitefs_none", buf,
		       sizeof(buf)),
	      ENODATA);
	OK(removexattr(case_path("f"), "security.sqlitefs"));
	FAILS(getxattr(case_path("f"), "security.sqlitefs", buf, sizeof(buf)),
	      ENODATA);
}
END_TEST

/* sqlitefs only: ext4 holds a value in one block without ea_inode. */
START_TEST(xattr_64k)
{
	static char val[XATTR_SIZE_MAX + 1], buf[XATTR_SIZE_MAX];

	setup("xattr_64k");
	put(case_path("f"), "", 0);
	fill(val, sizeof(val), 64);
	OK(setxattr(case_path("f"), "user.big", val, XATTR_SIZE_MAX, 0));
	ck_assert_int_eq(getxattr(case_path("f"), "user.big", NULL, 0),
			 XATTR_SIZE_MAX);
	FAILS(getxattr(case_path("f"), "user.big", buf, XATTR_SIZE_MAX - 1),
	      ERANGE);
	ck_assert_int_eq(getxattr(case_path("f"), "user.big", buf, sizeof(buf)),
			 XATTR_SIZE_MAX);
	ck_assert(memcmp(buf, val, XATTR_SIZE_MAX) == 0);
	FAILS(setxattr(case_path("f"), "user.toobig", val, XATTR_SIZE_MAX + 1,
		       0),
	      E2BIG);
}
END_TEST

Suite *xattr_suite(void)
{
	Suite *s = suite_create("xattr");

	ADD(s, xattr_file);
	ADD(s, xattr_dir_symlink);
	ADD(s, xattr_security);
	if (!ref_mode)
		ADD(s, xattr_64k);
	return s;
}
