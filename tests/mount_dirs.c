/*
 * mount_dirs.c - mount_test cases: directories, links, rename, open but
 *   unlinked files
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

/* ---- directories --------------------------------------------------- */

START_TEST(dir_mkdir_rmdir)
{
	struct stat st;

	setup("dir_mkdir_rmdir");
	OK(mkdir(case_path("d"), 0750));
	st = lst(case_path("d"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_uint_eq(st.st_nlink, 2);
	FAILS(mkdir(case_path("d"), 0755), EEXIST);
	put(case_path("f"), "x", 1);
	FAILS(mkdir(case_path("f"), 0755), EEXIST);
	OK(mkdir(case_path("d/sub"), 0755));
	put(case_path("d/sub/file"), "x", 1);
	FAILS(rmdir(case_path("d")), ENOTEMPTY);
	FAILS(rmdir(case_path("d/sub")), ENOTEMPTY);
	OK(unlink(case_path("d/sub/file")));
	OK(rmdir(case_path("d/sub")));
	OK(rmdir(case_path("d")));
	ck_assert(!exists(case_path("d")));
	FAILS(rmdir(case_path("d")), ENOENT);
	FAILS(rmdir(case_path("f")), ENOTDIR);
	FAILS(unlink(case_path("missing")), ENOENT);
	OK(mkdir(case_path("e"), 0755));
	FAILS(unlink(case_path("e")), EISDIR);
	ck_assert(exists(case_path("e")));
	FAILS(rmdir(case_path("e/.")), EINVAL);
	FAILS(mkdir(case_path("missing/x"), 0755), ENOENT);
	FAILS(mkdir(case_path("f/x"), 0755), ENOTDIR);
	FAILS(open(case_path("f/x"), O_RDONLY), ENOTDIR);
	FAILS(open(case_path("f/x"), O_WRONLY | O_CREAT, 0644), ENOTDIR);
	FAILS(access(case_path("f/"), F_OK), ENOTDIR);
	FAILS(open(case_path("missing/x"), O_WRONLY | O_CREAT, 0644), ENOENT);
}
END_TEST

START_TEST(dir_readdir_exact)
{
	struct dirent *de;
	int dots = 0, files = 0, dirs = 0, links = 0;
	struct stat st;
	DIR *d;

	setup("dir_readdir_exact");
	put(case_path("a"), "", 0);
	put(case_path("b"), "", 0);
	OK(mkdir(case_path("c"), 0755));
	OK(symlink("a", case_path("l")));
	OK(mkdir(case_path("empty"), 0755));
	d = opendir(case_path("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			dots++;
			continue;
		}
		st = lst(case_path("%s", de->d_name));
		ck_assert_msg(de->d_ino == st.st_ino,
			      "%s: d_ino %llu, st_ino %llu", de->d_name,
			      (unsigned long long) de->d_ino,
			      (unsigned long long) st.st_ino);
		if (!strcmp(de->d_name, "a") || !strcmp(de->d_name, "b")) {
			ck_assert_int_eq(de->d_type, DT_REG);
			files++;
		} else if (!strcmp(de->d_name, "c") ||
			   !strcmp(de->d_name, "empty")) {
			ck_assert_int_eq(de->d_type, DT_DIR);
			dirs++;
		} else {
			ck_assert_str_eq(de->d_name, "l");
			ck_assert_int_eq(de->d_type, DT_LNK);
			links++;
		}
	}
	closedir(d);
	ck_assert_int_eq(dots, 2);
	ck_assert_int_eq(files, 2);
	ck_assert_int_eq(dirs, 2);
	ck_assert_int_eq(links, 1);

	/* an empty directory holds "." and ".." only */
	dots = 0;
	d = opendir(case_path("empty"));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		ck_assert_msg(!strcmp(de->d_name, ".") ||
				      !strcmp(de->d_name, ".."),
			      "unexpected %s", de->d_name);
		dots++;
	}
	closedir(d);
	ck_assert_int_eq(dots, 2);
	FAILS(opendir(case_path("a")) ? 0 : -1, ENOTDIR);
}
END_TEST

#define BIG_DIR 2000

START_TEST(dir_big)
{
	static unsigned char seen[BIG_DIR];
	struct dirent *de;
	unsigned long i;
	int fd, total = 0;
	char *end;
	DIR *d;

	setup("dir_big");
	for (i = 0; i < BIG_DIR; i++) {
		OK(fd = open(case_path("%lu", i), O_WRONLY | O_CREAT | O_EXCL,
			     0644));
		close(fd);
	}
	d = opendir(case_path("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		i = strtoul(de->d_name, &end, 10);
		ck_assert_msg(*end == '\0' && i < BIG_DIR, "stray name %s",
			      de->d_name);
		ck_assert_msg(!seen[i], "%s listed twice", de->d_name);
		seen[i] = 1;
		total++;
	}
	closedir(d);
	ck_assert_int_eq(total, BIG_DIR);
	/* remove every other entry while reading: the rest is still seen */
	memset(seen, 0, sizeof(seen));
	total = 0;
	d = opendir(case_path("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		i = strtoul(de->d_name, &end, 10);
		ck_assert_msg(!seen[i], "%s listed twice", de->d_name);
		seen[i] = 1;
		total++;
		if (i % 2 == 0)
			OK(unlink(case_path("%lu", i)));
	}
	closedir(d);
	ck_assert_int_eq(total, BIG_DIR);
	free(list_dir(case_path("."), &total));
	ck_assert_int_eq(total, BIG_DIR / 2);
}
END_TEST

START_TEST(dir_rewind)
{
	struct dirent *de;
	int before = 0, after = 0;
	DIR *d;

	setup("dir_rewind");
	put(case_path("a"), "", 0);
	d = opendir(case_path("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		before++;
	ck_assert_int_eq(before, 3);
	put(case_path("b"), "", 0);
	put(case_path("c"), "", 0);
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, "b") || !strcmp(de->d_name, "c"))
			after += 10;
		else
			after++;
	}
	closedir(d);
	ck_assert_int_eq(after, 23);
}
END_TEST

START_TEST(dir_nlink)
{
	setup("dir_nlink");
	OK(mkdir(case_path("d"), 0755));
	ck_assert_uint_eq(lst(case_path("d")).st_nlink, 2);
	OK(mkdir(case_path("d/s1"), 0755));
	OK(mkdir(case_path("d/s2"), 0755));
	OK(mkdir(case_path("d/s3"), 0755));
	put(case_path("d/file"), "", 0);
	OK(symlink("s1", case_path("d/link")));
	ck_assert_uint_eq(lst(case_path("d")).st_nlink, 5);
	OK(rmdir(case_path("d/s3")));
	ck_assert_uint_eq(lst(case_path("d")).st_nlink, 4);
	OK(mkdir(case_path("e"), 0755));
	OK(rename(case_path("d/s2"), case_path("e/s2")));
	ck_assert_uint_eq(lst(case_path("d")).st_nlink, 3);
	ck_assert_uint_eq(lst(case_path("e")).st_nlink, 3);
	ck_assert_uint_eq(lst(case_path("e/s2")).st_nlink, 2);
	/* the test directory itself: d and e */
	ck_assert_uint_eq(lst(case_path(".")).st_nlink, 4);
}
END_TEST

Suite *dirs_suite(void)
{
	Suite *s = suite_create("dirs");

	ADD(s, dir_mkdir_rmdir);
	ADD(s, dir_readdir_exact);
	ADD(s, dir_big);
	ADD(s, dir_rewind);
	ADD(s, dir_nlink);
	return s;
}

/* ---- links --------------------------------------------------------- */

START_TEST(link_hard)
{
	struct stat a, b;
	int fd;

	setup("link_hard");
	OK(mkdir(case_path("d1"), 0755));
	OK(mkdir(case_path("d2"), 0755));
	put(case_path("d1/a"), "shared", 6);
	OK(link(case_path("d1/a"), case_path("d2/b")));
	a = lst(case_path("d1/a"));
	b = lst(case_path("d2/b"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	ck_assert_uint_eq(b.st_nlink, 2);
	OK(fd = open(case_path("d2/b"), O_WRONLY | O_APPEND));
	ck_assert_int_eq(write(fd, " data", 5), 5);
	OK(close(fd));
	expect_file(case_path("d1/a"), "shared data", 11);
	FAILS(link(case_path("d1/a"), case_path("d2/b")), EEXIST);
	FAILS(link(case_path("missing"), case_path("d2/c")), ENOENT);
	OK(link(case_path("d1/a"), case_path("d1/c")));
	ck_assert_uint_eq(lst(case_path("d2/b")).st_nlink, 3);
	OK(unlink(case_path("d1/a")));
	OK(unlink(case_path("d1/c")));
	b = lst(case_path("d2/b"));
	ck_assert_uint_eq(b.st_nlink, 1);
	ck_assert_uint_eq(b.st_ino, a.st_ino);
	expect_file(case_path("d2/b"), "shared data", 11);
	OK(mkdir(case_path("dir"), 0755));
	FAILS(link(case_path("dir"), case_path("dirlink")), EPERM);
	ck_assert(!exists(case_path("dirlink")));
	ck_assert_uint_eq(lst(case_path("dir")).st_nlink, 2);
}
END_TEST

START_TEST(link_symlink)
{
	static const char target[] = "../some/where/\x01 odd \xff target";
	char buf[PATH_MAX];
	struct stat st;
	char longt[4000];

	setup("link_symlink");
	OK(symlink(target, case_path("s")));
	st = lst(case_path("s"));
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(st.st_size, strlen(target));
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(readlink(case_path("s"), buf, sizeof(buf)),
			 strlen(target));
	ck_assert_str_eq(buf, target);
	/* a short buffer gets the first bytes, no NUL */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(readlink(case_path("s"), buf, 3), 3);
	ck_assert(memcmp(buf, "../Z", 4) == 0);
	FAILS(stat(case_path("s"), &st), ENOENT);
	FAILS(symlink("x", case_path("s")), EEXIST);
	FAILS(readlink(case_path("."), buf, sizeof(buf)), EINVAL);
	/* a symlink to a file is followed */
	put(case_path("f"), "via link", 8);
	OK(symlink("f", case_path("tof")));
	expect_file(case_path("tof"), "via link", 8);
	ck_assert_uint_eq(lst(case_path("f")).st_ino,
			  lst(case_path("f")).st_ino);
	ck_assert(stat(case_path("tof"), &st) == 0 &&
		  st.st_ino == lst(case_path("f")).st_ino);
	/* long targets */
	memset(longt, 'a', sizeof(longt));
	longt[sizeof(longt) - 1] = '\0';
	OK(symlink(longt, case_path("long")));
	ck_assert_int_eq(lst(case_path("long")).st_size, sizeof(longt) - 1);
	ck_assert_int_eq(readlink(case_path("long"), buf, sizeof(buf)),
			 sizeof(longt) - 1);
	ck_assert(memcmp(buf, longt, sizeof(longt) - 1) == 0);
	/* loops */
	OK(symlink("loop2", case_path("loop1")));
	OK(symlink("loop1", case_path("loop2")));
	OK(symlink("self", case_path("self")));
	FAILS(open(case_path("loop1"), O_RDONLY), ELOOP);
	FAILS(stat(case_path("self"), &st), ELOOP);
	FAILS(open(case_path("self"), O_WRONLY | O_CREAT, 0644), ELOOP);
	FAILS(open(case_path("tof"), O_RDONLY | O_NOFOLLOW), ELOOP);
	/* link(2) does not follow a symlink */
	OK(link(case_path("tof"), case_path("tof2")));
	st = lst(case_path("tof2"));
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_uint_eq(st.st_nlink, 2);
	ck_assert_uint_eq(st.st_ino, lst(case_path("tof")).st_ino);
	ck_assert_uint_eq(lst(case_path("f")).st_nlink, 1);
}
END_TEST

Suite *links_suite(void)
{
	Suite *s = suite_create("links");

	ADD(s, link_hard);
	ADD(s, link_symlink);
	return s;
}

/* ---- rename -------------------------------------------------------- */

START_TEST(rename_basic)
{
	struct stat st;
	ino_t ino;

	setup("rename_basic");
	OK(mkdir(case_path("d1"), 0755));
	OK(mkdir(case_path("d2"), 0755));
	put(case_path("d1/a"), "aaa", 3);
	ino = lst(case_path("d1/a")).st_ino;
	OK(rename(case_path("d1/a"), case_path("d1/b")));
	ck_assert(!exists(case_path("d1/a")));
	ck_assert_uint_eq(lst(case_path("d1/b")).st_ino, ino);
	OK(rename(case_path("d1/b"), case_path("d2/c")));
	ck_assert(!exists(case_path("d1/b")));
	expect_file(case_path("d2/c"), "aaa", 3);
	/* replacing an existing file */
	put(case_path("d1/old"), "old", 3);
	OK(rename(case_path("d2/c"), case_path("d1/old")));
	expect_file(case_path("d1/old"), "aaa", 3);
	ck_assert_uint_eq(lst(case_path("d1/old")).st_ino, ino);
	ck_assert_uint_eq(lst(case_path("d1/old")).st_nlink, 1);
	ck_assert(!exists(case_path("d2/c")));
	/* a directory over an empty directory */
	OK(mkdir(case_path("d1/sub"), 0755));
	put(case_path("d1/sub/f"), "f", 1);
	OK(mkdir(case_path("d2/empty"), 0755));
	ino = lst(case_path("d1/sub")).st_ino;
	OK(rename(case_path("d1/sub"), case_path("d2/empty")));
	ck_assert(!exists(case_path("d1/sub")));
	st = lst(case_path("d2/empty"));
	ck_assert_uint_eq(st.st_ino, ino);
	expect_file(case_path("d2/empty/f"), "f", 1);
	ck_assert_uint_eq(lst(case_path("d1")).st_nlink, 2);
	ck_assert_uint_eq(lst(case_path("d2")).st_nlink, 3);
	/* ".." of the moved directory is its new parent */
	ck_assert_uint_eq(lst(case_path("d2/empty/..")).st_ino,
			  lst(case_path("d2")).st_ino);
	/* missing source, renaming onto itself */
	FAILS(rename(case_path("d1/missing"), case_path("d1/x")), ENOENT);
	OK(rename(case_path("d1/old"), case_path("d1/old")));
	expect_file(case_path("d1/old"), "aaa", 3);
	FAILS(rename(case_path("d1/old"), case_path("d1/nodir/x")), ENOENT);
	FAILS(rename(case_path("d1/old"), case_path("d1/old/x")), ENOTDIR);
}
END_TEST

START_TEST(rename_errors)
{
	setup("rename_errors");
	OK(mkdir(case_path("a"), 0755));
	put(case_path("a/in_a"), "A", 1);
	OK(mkdir(case_path("b"), 0755));
	put(case_path("b/in_b"), "B", 1);
	put(case_path("f"), "F", 1);
	OK(mkdir(case_path("a/sub"), 0755));
	/* a directory over a non-empty one: both intact */
	FAILS2(rename(case_path("a"), case_path("b")), ENOTEMPTY, EEXIST);
	expect_file(case_path("a/in_a"), "A", 1);
	expect_file(case_path("b/in_b"), "B", 1);
	FAILS(rename(case_path("f"), case_path("b")), EISDIR);
	expect_file(case_path("f"), "F", 1);
	ck_assert(S_ISDIR(lst(case_path("b")).st_mode));
	FAILS(rename(case_path("a"), case_path("f")), ENOTDIR);
	ck_assert(S_ISDIR(lst(case_path("a")).st_mode));
	expect_file(case_path("f"), "F", 1);
	FAILS(rename(case_path("a"), case_path("a/sub/x")), EINVAL);
	FAILS(rename(case_path("a"), case_path("a/sub")), EINVAL);
	ck_assert(exists(case_path("a/sub")));
	FAILS(rename(case_path("a/sub"), case_path("a/sub/..")), EBUSY);
	ck_assert(exists(case_path("a/in_a")));
}
END_TEST

START_TEST(rename_noreplace)
{
	setup("rename_noreplace");
	put(case_path("a"), "A", 1);
	put(case_path("b"), "B", 1);
	FAILS(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("b"),
			RENAME_NOREPLACE),
	      EEXIST);
	expect_file(case_path("a"), "A", 1);
	expect_file(case_path("b"), "B", 1);
	OK(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("c"),
		     RENAME_NOREPLACE));
	ck_assert(!exists(case_path("a")));
	expect_file(case_path("c"), "A", 1);
	FAILS(renameat2(AT_FDCWD, case_path("c"), AT_FDCWD, case_path("z"),
			RENAME_NOREPLACE | RENAME_EXCHANGE),
	      EINVAL);
}
END_TEST

START_TEST(rename_exchange)
{
	struct stat st;
	ino_t ia, ib;

	setup("rename_exchange");
	put(case_path("a"), "AAA", 3);
	put(case_path("b"), "B", 1);
	ia = lst(case_path("a")).st_ino;
	ib = lst(case_path("b")).st_ino;
	OK(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("b"),
		     RENAME_EXCHANGE));
	expect_file(case_path("a"), "B", 1);
	expect_file(case_path("b"), "AAA", 3);
	ck_assert_uint_eq(lst(case_path("a")).st_ino, ib);
	ck_assert_uint_eq(lst(case_path("b")).st_ino, ia);
	FAILS(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("none"),
			RENAME_EXCHANGE),
	      ENOENT);
	expect_file(case_path("a"), "B", 1);

	/* a file and a directory in different parents */
	OK(mkdir(case_path("p1"), 0755));
	OK(mkdir(case_path("p2"), 0755));
	put(case_path("p1/file"), "file", 4);
	OK(mkdir(case_path("p2/dir"), 0755));
	put(case_path("p2/dir/inner"), "in", 2);
	ck_assert_uint_eq(lst(case_path("p1")).st_nlink, 2);
	ck_assert_uint_eq(lst(case_path("p2")).st_nlink, 3);
	OK(renameat2(AT_FDCWD, case_path("p1/file"), AT_FDCWD,
		     case_path("p2/dir"), RENAME_EXCHANGE));
	st = lst(case_path("p1/file"));
	ck_assert(S_ISDIR(st.st_mode));
	expect_file(case_path("p1/file/inner"), "in", 2);
	expect_file(case_path("p2/dir"), "file", 4);
	ck_assert_uint_eq(lst(case_path("p1")).st_nlink, 3);
	ck_assert_uint_eq(lst(case_path("p2")).st_nlink, 2);
	ck_assert_uint_eq(lst(case_path("p1/file/..")).st_ino,
			  lst(case_path("p1")).st_ino);
}
END_TEST

/* The whiteout left at the old name: a character device 0:0, mode 0. */
static void expect_whiteout(const char *path)
{
	struct stat st = lst(path);

	ck_assert_msg(S_ISCHR(st.st_mode), "%s: mode %o", path, st.st_mode);
	ck_assert_uint_eq(st.st_mode & 07777, 0);
	ck_assert_uint_eq(st.st_rdev, 0);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq(st.st_size, 0);
}

START_TEST(rename_whiteout)
{
	struct stat st;
	ino_t ia, id;
	int count;
	char *names;

	setup("rename_whiteout");
	put(case_path("a"), "AAA", 3);
	put(case_path("b"), "B", 1);
	ia = lst(case_path("a")).st_ino;
	FAILS(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("b"),
			RENAME_WHITEOUT | RENAME_NOREPLACE),
	      EEXIST);
	expect_file(case_path("a"), "AAA", 3);
	FAILS(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("b"),
			RENAME_WHITEOUT | RENAME_EXCHANGE),
	      EINVAL);
	expect_file(case_path("a"), "AAA", 3);

	/* over an existing name, which goes */
	OK(renameat2(AT_FDCWD, case_path("a"), AT_FDCWD, case_path("b"),
		     RENAME_WHITEOUT));
	expect_file(case_path("b"), "AAA", 3);
	ck_assert_uint_eq(lst(case_path("b")).st_ino, ia);
	expect_whiteout(case_path("a"));
	ck_assert_uint_ne(lst(case_path("a")).st_ino, ia);
	/* ENXIO, or EACCES on a nodev mount (FUSE mounts are) */
	FAILS2(open(case_path("a"), O_RDONLY), ENXIO, EACCES);

	/* a directory to another parent: nlink follows the directory */
	OK(mkdir(case_path("p1"), 0755));
	OK(mkdir(case_path("p2"), 0755));
	OK(mkdir(case_path("p1/d"), 0755));
	put(case_path("p1/d/inner"), "in", 2);
	id = lst(case_path("p1/d")).st_ino;
	OK(renameat2(AT_FDCWD, case_path("p1/d"), AT_FDCWD, case_path("p2/d2"),
		     RENAME_WHITEOUT | RENAME_NOREPLACE));
	expect_whiteout(case_path("p1/d"));
	st = lst(case_path("p2/d2"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_ino, id);
	expect_file(case_path("p2/d2/inner"), "in", 2);
	ck_assert_uint_eq(lst(case_path("p1")).st_nlink, 2);
	ck_assert_uint_eq(lst(case_path("p2")).st_nlink, 3);
	names = list_dir(case_path("p1"), &count);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(names, "d\n");
	free(names);

	/* the whiteout is an ordinary name: it can go, or be renamed over */
	OK(renameat2(AT_FDCWD, case_path("b"), AT_FDCWD, case_path("a"),
		     RENAME_WHITEOUT));
	expect_file(case_path("a"), "AAA", 3);
	expect_whiteout(case_path("b"));
	OK(unlink(case_path("b")));
	ck_assert(!exists(case_path("b")));
}
END_TEST

/*
 * File handles open the same file after the kernel forgot it and after a
 * rename, and a directory's handle reconnects it through "..".  The
 * handle of a deleted file is stale.
 */
START_TEST(file_handles)
{
	struct file_handle *hf, *hd;
	size_t lf, ld;
	struct stat st;
	char buf[16];
	int fd;

	setup("file_handles");
	OK(mkdir(case_path("d"), 0755));
	OK(mkdir(case_path("d/e"), 0755));
	put(case_path("d/e/f"), "handled", 7);
	hf = handle_of(case_path("d/e/f"), &lf);
	hd = handle_of(case_path("d/e"), &ld);
	st = lst(case_path("d/e"));
	drop_dentries();
	OK(fd = open_handle(hf, O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 7);
	ck_assert(memcmp(buf, "handled", 7) == 0);
	OK(close(fd));
	drop_dentries();
	OK(fd = open_handle(hd, O_RDONLY | O_DIRECTORY));
	ck_assert_uint_eq(fst(fd).st_ino, st.st_ino);
	OK(close(fd));
	/* renamed, to another directory: the same file */
	OK(rename(case_path("d/e"), case_path("e2")));
	drop_dentries();
	OK(fd = open_handle(hf, O_RDWR));
	pwrite_all(fd, "H", 1, 0);
	OK(close(fd));
	expect_file(case_path("e2/f"), "Handled", 7);
	OK(fd = open_handle(hd, O_RDONLY | O_DIRECTORY));
	ck_assert_uint_eq(fst(fd).st_ino, st.st_ino);
	OK(close(fd));
	/* deleted: stale */
	OK(unlink(case_path("e2/f")));
	drop_dentries();
	FAILS(open_handle(hf, O_RDONLY), ESTALE);
	OK(rmdir(case_path("e2")));
	drop_dentries();
	FAILS(open_handle(hd, O_RDONLY | O_DIRECTORY), ESTALE);
	free(hf);
	free(hd);
}
END_TEST

START_TEST(rename_hardlink_self)
{
	struct stat a, b;

	setup("rename_hardlink_self");
	put(case_path("a"), "same", 4);
	OK(link(case_path("a"), case_path("b")));
	OK(rename(case_path("a"), case_path("b")));
	a = lst(case_path("a"));
	b = lst(case_path("b"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	expect_file(case_path("a"), "same", 4);
	expect_file(case_path("b"), "same", 4);
}
END_TEST

START_TEST(rename_times)
{
	const struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat f0, p10, p20, f, p1, p2;

	setup("rename_times");
	OK(mkdir(case_path("d1"), 0755));
	OK(mkdir(case_path("d2"), 0755));
	put(case_path("d1/f"), "f", 1);
	OK(utimensat(AT_FDCWD, case_path("d1"), past, 0));
	OK(utimensat(AT_FDCWD, case_path("d2"), past, 0));
	f0 = lst(case_path("d1/f"));
	p10 = lst(case_path("d1"));
	p20 = lst(case_path("d2"));
	tick();
	OK(rename(case_path("d1/f"), case_path("d2/g")));
	f = lst(case_path("d2/g"));
	p1 = lst(case_path("d1"));
	p2 = lst(case_path("d2"));
	AFTER(f.st_ctim, f0.st_ctim);
	AFTER(p1.st_mtim, p10.st_mtim);
	AFTER(p1.st_ctim, p10.st_ctim);
	AFTER(p2.st_mtim, p20.st_mtim);
	AFTER(p2.st_ctim, p20.st_ctim);
	/* the moved file's mtime is not touched */
	ck_assert(ts_cmp(&f.st_mtim, &f0.st_mtim) == 0);

	/* within one directory */
	OK(utimensat(AT_FDCWD, case_path("d2"), past, 0));
	p20 = lst(case_path("d2"));
	f0 = f;
	tick();
	OK(rename(case_path("d2/g"), case_path("d2/h")));
	f = lst(case_path("d2/h"));
	p2 = lst(case_path("d2"));
	AFTER(f.st_ctim, f0.st_ctim);
	AFTER(p2.st_mtim, p20.st_mtim);
	AFTER(p2.st_ctim, p20.st_ctim);
}
END_TEST

Suite *rename_suite(void)
{
	Suite *s = suite_create("rename");

	ADD(s, rename_basic);
	ADD(s, rename_errors);
	ADD(s, rename_noreplace);
	ADD(s, rename_exchange);
	ADD(s, rename_whiteout);
	ADD(s, file_handles);
	ADD(s, rename_hardlink_self);
	ADD(s, rename_times);
	return s;
}

/* ---- open but unlinked --------------------------------------------- */

START_TEST(unlinked_open)
{
	static char big[300 * 1024], buf[sizeof(big)];
	struct stat st;
	int fd, fd2, n;

	setup("unlinked_open");
	put(case_path("f"), "hello", 5);
	OK(fd = open(case_path("f"), O_RDWR));
	OK(fd2 = open(case_path("f"), O_RDONLY));
	OK(unlink(case_path("f")));
	ck_assert(!exists(case_path("f")));
	free(list_dir(case_path("."), &n));
	ck_assert_int_eq(n, 0);
	st = fst(fd);
	ck_assert_uint_eq(st.st_nlink, 0);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_uint_eq(pread_all(fd, buf, 5, 0), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	fill(big, sizeof(big), 21);
	pwrite_all(fd, big, sizeof(big), 0);
	ck_assert_int_eq(fst(fd).st_size, sizeof(big));
	ck_assert_uint_eq(pread_all(fd2, buf, sizeof(buf), 0), sizeof(big));
	ck_assert_msg(memcmp(buf, big, sizeof(big)) == 0, "content differs");
	OK(ftruncate(fd, 100));
	ck_assert_int_eq(fst(fd2).st_size, 100);
	OK(fchmod(fd, 0600));
	ck_assert_uint_eq(fst(fd2).st_mode & 07777, 0600);
	/* a new file under the old name is another file */
	put(case_path("f"), "new", 3);
	ck_assert_uint_ne(lst(case_path("f")).st_ino, st.st_ino);
	ck_assert_int_eq(fst(fd).st_size, 100);
	OK(close(fd));
	ck_assert_uint_eq(pread_all(fd2, buf, 200, 0), 100);
	OK(close(fd2));
	expect_file(case_path("f"), "new", 3);
}
END_TEST

START_TEST(unlinked_rename_over)
{
	char buf[16];
	struct stat st;
	int fd;

	setup("unlinked_rename_over");
	put(case_path("a"), "new", 3);
	put(case_path("b"), "old!", 4);
	OK(fd = open(case_path("b"), O_RDWR));
	OK(rename(case_path("a"), case_path("b")));
	st = fst(fd);
	ck_assert_uint_eq(st.st_nlink, 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), 4);
	ck_assert(memcmp(buf, "old!", 4) == 0);
	pwrite_all(fd, "OLD", 3, 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), 4);
	ck_assert(memcmp(buf, "OLD!", 4) == 0);
	expect_file(case_path("b"), "new", 3);
	ck_assert_uint_ne(lst(case_path("b")).st_ino, st.st_ino);
	OK(close(fd));
	expect_file(case_path("b"), "new", 3);
	ck_assert(!exists(case_path("a")));
}
END_TEST

Suite *unlinked_suite(void)
{
	Suite *s = suite_create("unlinked");

	ADD(s, unlinked_open);
	ADD(s, unlinked_rename_over);
	return s;
}
