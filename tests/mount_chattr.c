/*
 * mount_chattr.c - chattr flags: immutable, append-only, noatime, nodump
 *
 * Each case sets flags through the ioctls chattr(1) uses and checks what
 * the VFS refuses on ext4 (reference mode) is refused here too, with
 * EPERM also for root.  Flags are read and changed as chattr does (get,
 * change the four known bits, set), since ext4 shows more (extents).
 * Every case clears i and a before it ends, so the tree can be removed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_test.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#define KNOWN_FL (FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL)

/* The flags of path (all of them), or -1 with errno. */
static long getfl(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK), e;
	int fl = 0;

	if (fd < 0)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return (unsigned) fl;
}

/* Sets the known flags of path to fl, keeping the others: 0 or -1. */
static int setfl(const char *path, unsigned fl)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK), e, rc;
	int cur = 0;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, FS_IOC_GETFLAGS, &cur);
	if (rc == 0) {
		cur = (int) (((unsigned) cur & ~(unsigned) KNOWN_FL) | fl);
		rc = ioctl(fd, FS_IOC_SETFLAGS, &cur);
	}
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The known flags of path. */
static unsigned fl_of(const char *path)
{
	long fl = getfl(path);

	ck_assert_msg(fl != -1, "getflags %s: %s", path, en(errno));
	return (unsigned) fl & KNOWN_FL;
}

static int op_set_immutable(const char *a, const char *b)
{
	(void) b;
	return setfl(a, FS_IMMUTABLE_FL) < 0 ? errno : 0;
}

static int op_set_nodump(const char *a, const char *b)
{
	(void) b;
	return setfl(a, FS_NODUMP_FL) < 0 ? errno : 0;
}

/* Reading and setting: both ioctl pairs, files and directories. */
START_TEST(chattr_flags)
{
	struct fsxattr fsx;
	struct stat st0, st;
	int fd;

	setup("chattr_flags");
	put(case_path("f"), "data", 4);
	OK(mkdir(case_path("d"), 0755));
	ck_assert_uint_eq(fl_of(case_path("f")), 0);
	ck_assert_uint_eq(fl_of(case_path("d")), 0);
	st0 = lst(case_path("f"));
	tick();
	OK(setfl(case_path("f"), FS_NODUMP_FL | FS_NOATIME_FL));
	ck_assert_uint_eq(fl_of(case_path("f")), FS_NODUMP_FL | FS_NOATIME_FL);
	st = lst(case_path("f"));
	/* the writeback cache keeps a regular file's ctime in the kernel */
	if (ref_mode)
		AFTER(st.st_ctim, st0.st_ctim);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);

	OK(fd = open(case_path("f"), O_RDONLY));
	memset(&fsx, 0, sizeof(fsx));
	OK(ioctl(fd, FS_IOC_FSGETXATTR, &fsx));
	ck_assert_uint_eq(fsx.fsx_xflags &
				  (FS_XFLAG_NODUMP | FS_XFLAG_NOATIME |
				   FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND),
			  FS_XFLAG_NODUMP | FS_XFLAG_NOATIME);
	fsx.fsx_xflags |= FS_XFLAG_APPEND;
	OK(ioctl(fd, FS_IOC_FSSETXATTR, &fsx));
	OK(close(fd));
	ck_assert_uint_eq(fl_of(case_path("f")),
			  FS_NODUMP_FL | FS_NOATIME_FL | FS_APPEND_FL);
	OK(setfl(case_path("f"), 0));
	ck_assert_uint_eq(fl_of(case_path("f")), 0);

	/* a directory; what is made in it inherits A and d */
	st0 = lst(case_path("d"));
	tick();
	OK(setfl(case_path("d"), FS_NODUMP_FL | FS_NOATIME_FL));
	st = lst(case_path("d"));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert_uint_eq(fl_of(case_path("d")), FS_NODUMP_FL | FS_NOATIME_FL);
	put(case_path("d/new"), "", 0);
	OK(mkdir(case_path("d/sub"), 0755));
	ck_assert_uint_eq(fl_of(case_path("d/new")),
			  FS_NODUMP_FL | FS_NOATIME_FL);
	ck_assert_uint_eq(fl_of(case_path("d/sub")),
			  FS_NODUMP_FL | FS_NOATIME_FL);
	OK(setfl(case_path("d"), FS_IMMUTABLE_FL));
	ck_assert_uint_eq(fl_of(case_path("d")), FS_IMMUTABLE_FL);
	OK(setfl(case_path("d"), 0));
	/* FS_SYNC_FL ('S'): ext4 has it, sqlitefs not */
	if (!ref_mode)
		FAILS(setfl(case_path("f"), FS_SYNC_FL), EOPNOTSUPP);
}
END_TEST

/*
 * A write through a descriptor opened before +i, O_DIRECT so that it
 * reaches the daemon at once: refused by write(2), as on ext4.  (Through
 * the writeback cache it would be refused only when the kernel writes the
 * page back, and fsync(2), or a later syncfs(2) anywhere on the
 * filesystem, would report it.)
 */
static void write_refused(int fd)
{
	void *buf;

	ck_assert_int_eq(posix_memalign(&buf, 4096, 4096), 0);
	memset(buf, 'X', 4096);
	FAILS(pwrite(fd, buf, 4096, 0), EPERM);
	free(buf);
}

/* +i: every change refused with EPERM, also for root; -i undoes it. */
START_TEST(chattr_immutable)
{
	struct timespec t[2] = {{1000, 0}, {2000, 0}};
	struct timespec mtime_only[2] = {{0, UTIME_OMIT}, {2000, 0}};
	struct stat st0, st1, st;
	int fd, fdw, fdd, src;
	char buf[16];

	setup("chattr_immutable");
	put(case_path("f"), "immutable", 9);
	put(case_path("suid"), "", 0);
	OK(chmod(case_path("suid"), 04755));
	OK(setfl(case_path("suid"), FS_IMMUTABLE_FL));
	put(case_path("src"), "0123456789", 10);
	OK(setxattr(case_path("f"), "user.y", "1", 1, 0));
	OK(mkdir(case_path("d"), 0755));
	put(case_path("d/e"), "", 0);
	OK(fdw = open(case_path("f"), O_WRONLY));
	OK(fdd = open(case_path("f"), O_WRONLY | O_DIRECT));
	/* written before +i, still in the kernel's cache: it stays */
	pwrite_all(fdw, "IMMUTABLE", 9, 0);
	OK(setfl(case_path("f"), FS_IMMUTABLE_FL));
	OK(setfl(case_path("d"), FS_IMMUTABLE_FL));
	OK(fsync(fdw));
	st0 = lst(case_path("f"));

	FAILS(open(case_path("f"), O_WRONLY), EPERM);
	FAILS(open(case_path("f"), O_RDWR), EPERM);
	FAILS(open(case_path("f"), O_WRONLY | O_APPEND), EPERM);
	FAILS(open(case_path("f"), O_RDONLY | O_TRUNC), EPERM);
	FAILS(truncate(case_path("f"), 0), EPERM);
	FAILS(ftruncate(fdw, 0), EPERM);
	FAILS(chmod(case_path("f"), 0600), EPERM);
	FAILS(chown(case_path("f"), 1, 1), EPERM);
	FAILS(utimensat(AT_FDCWD, case_path("f"), t, 0), EPERM);
	FAILS(utimensat(AT_FDCWD, case_path("f"), mtime_only, 0), EPERM);
	FAILS(utimensat(AT_FDCWD, case_path("f"), NULL, 0), EPERM);
	FAILS(chown(case_path("f"), (uid_t) -1, (gid_t) -1), EPERM);
	FAILS(chown(case_path("suid"), (uid_t) -1, (gid_t) -1), EPERM);
	ck_assert_uint_eq(lst(case_path("suid")).st_mode & 07777, 04755);
	/* an inode that stays immutable keeps its other flags */
	FAILS(setfl(case_path("f"), FS_IMMUTABLE_FL | FS_NODUMP_FL), EPERM);
	FAILS(unlink(case_path("f")), EPERM);
	FAILS(rename(case_path("f"), case_path("g")), EPERM);
	FAILS(link(case_path("f"), case_path("h")), EPERM);
	FAILS(setxattr(case_path("f"), "user.x", "v", 1, 0), EPERM);
	FAILS(removexattr(case_path("f"), "user.y"), EPERM);
	FAILS(fallocate(fdw, 0, 0, 4096), EPERM);
	OK(src = open(case_path("src"), O_RDONLY));
	FAILS(copy_file_range(src, NULL, fdw, NULL, 10, 0), EPERM);
	OK(close(src));
	/* the directory: no entry made, removed or moved in or out */
	FAILS(open(case_path("d/n"), O_WRONLY | O_CREAT, 0644), EPERM);
	FAILS(mkdir(case_path("d/n"), 0755), EPERM);
	FAILS(unlink(case_path("d/e")), EPERM);
	FAILS(rename(case_path("d/e"), case_path("e")), EPERM);
	FAILS(rename(case_path("src"), case_path("d/src")), EPERM);
	FAILS(link(case_path("src"), case_path("d/src")), EPERM);
	FAILS(rmdir(case_path("d")), EPERM);
	write_refused(fdd);
	OK(close(fdd));
	OK(close(fdw));
	/*
	 * Reads work, and nothing changed.  Under the writeback cache the
	 * kernel moves the mtime it shows before it asks for some of the
	 * refused calls (copy_file_range), and the daemon stores it: what
	 * stat showed is what was stored, read again once the kernel
	 * dropped the inode.  On ext4 it did not move.
	 */
	st1 = lst(case_path("f"));
	if (ref_mode)
		ck_assert(ts_cmp(&st1.st_mtim, &st0.st_mtim) == 0);
	drop_dentries();
	expect_file(case_path("f"), "IMMUTABLE", 9);
	ck_assert_int_eq(getxattr(case_path("f"), "user.y", buf, sizeof(buf)),
			 1);
	st = lst(case_path("f"));
	ck_assert_int_eq(st.st_size, 9);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert(ts_cmp(&st.st_mtim, &st1.st_mtim) == 0);

	/* -i: all of it works again; clearing it may change the others */
	OK(setfl(case_path("suid"), FS_NODUMP_FL));
	ck_assert_uint_eq(fl_of(case_path("suid")), FS_NODUMP_FL);
	OK(setfl(case_path("f"), 0));
	OK(setfl(case_path("d"), 0));
	OK(fd = open(case_path("f"), O_WRONLY | O_TRUNC));
	pwrite_all(fd, "free", 4, 0);
	OK(close(fd));
	expect_file(case_path("f"), "free", 4);
	OK(chmod(case_path("f"), 0600));
	OK(setxattr(case_path("f"), "user.x", "v", 1, 0));
	OK(link(case_path("f"), case_path("h")));
	OK(rename(case_path("f"), case_path("g")));
	OK(unlink(case_path("g")));
	put(case_path("d/n"), "", 0);
	OK(unlink(case_path("d/e")));
}
END_TEST

/* +a: appends only; names of it and in it stay, new ones may come. */
START_TEST(chattr_append)
{
	struct timespec t[2] = {{1000, 0}, {2000, 0}};
	struct timespec mtime_only[2] = {{0, UTIME_OMIT}, {2000, 0}};
	struct stat st;
	int fd;

	setup("chattr_append");
	put(case_path("suid"), "", 0);
	OK(chmod(case_path("suid"), 04755));
	OK(setfl(case_path("suid"), FS_APPEND_FL));
	put(case_path("f"), "abc", 3);
	OK(mkdir(case_path("d"), 0755));
	put(case_path("d/e"), "", 0);
	OK(setfl(case_path("f"), FS_APPEND_FL));
	OK(setfl(case_path("d"), FS_APPEND_FL));

	FAILS(open(case_path("f"), O_WRONLY), EPERM);
	FAILS(open(case_path("f"), O_RDWR), EPERM);
	FAILS(open(case_path("f"), O_WRONLY | O_APPEND | O_TRUNC), EPERM);
	OK(fd = open(case_path("f"), O_WRONLY | O_APPEND));
	ck_assert_int_eq(write(fd, "def", 3), 3);
	ck_assert_int_eq(write(fd, "gh", 2), 2);
	FAILS(ftruncate(fd, 0), EPERM);
	FAILS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1),
	      EPERM);
	OK(fsync(fd));
	OK(close(fd));
	expect_file(case_path("f"), "abcdefgh", 8);
	FAILS(truncate(case_path("f"), 0), EPERM);
	FAILS(chmod(case_path("f"), 0600), EPERM);
	FAILS(chown(case_path("f"), 1, 1), EPERM);
	FAILS(utimensat(AT_FDCWD, case_path("f"), t, 0), EPERM);
	FAILS(utimensat(AT_FDCWD, case_path("f"), mtime_only, 0), EPERM);
	OK(utimensat(AT_FDCWD, case_path("f"), NULL, 0)); /* touch */
	st = lst(case_path("f"));
	ck_assert_int_ne(st.st_mtim.tv_sec, 2000);
	/* chown to -1, -1: ctime only, unless it would drop set-ID bits */
	OK(chown(case_path("f"), (uid_t) -1, (gid_t) -1));
	FAILS(chown(case_path("suid"), (uid_t) -1, (gid_t) -1), EPERM);
	ck_assert_uint_eq(lst(case_path("suid")).st_mode & 07777, 04755);
	OK(setfl(case_path("suid"), 0));
	FAILS(unlink(case_path("f")), EPERM);
	FAILS(rename(case_path("f"), case_path("g")), EPERM);
	FAILS(link(case_path("f"), case_path("h")), EPERM);
	FAILS(setxattr(case_path("f"), "user.x", "v", 1, 0), EPERM);
	/* the directory: new names yes, no name goes or is replaced */
	put(case_path("d/n"), "new", 3);
	OK(mkdir(case_path("d/sub"), 0755));
	FAILS(unlink(case_path("d/e")), EPERM);
	FAILS(rename(case_path("d/e"), case_path("e")), EPERM);
	put(case_path("x"), "", 0);
	FAILS(rename(case_path("x"), case_path("d/e")), EPERM);
	OK(rename(case_path("x"), case_path("d/x")));
	expect_file(case_path("f"), "abcdefgh", 8);

	OK(setfl(case_path("f"), 0));
	OK(setfl(case_path("d"), 0));
	OK(truncate(case_path("f"), 1));
	expect_file(case_path("f"), "a", 1);
	OK(unlink(case_path("d/e")));
	OK(unlink(case_path("f")));
}
END_TEST

/* Only root (CAP_LINUX_IMMUTABLE) changes i and a; owners the rest. */
START_TEST(chattr_perm)
{
	setup("chattr_perm");
	put(case_path("mine"), "", 0);
	OK(chown(case_path("mine"), NOBODY, NOBODY));
	put(case_path("root"), "", 0);
	ck_assert_int_eq(as_nobody(op_set_immutable, case_path("mine"), NULL),
			 EPERM);
	ck_assert_uint_eq(fl_of(case_path("mine")), 0);
	ck_assert_int_eq(as_nobody(op_set_nodump, case_path("mine"), NULL), 0);
	ck_assert_uint_eq(fl_of(case_path("mine")), FS_NODUMP_FL);
	ck_assert_int_eq(as_nobody(op_set_nodump, case_path("root"), NULL),
			 EPERM);
	ck_assert_uint_eq(fl_of(case_path("root")), 0);
	/* set by root, the owner may not take it away either */
	OK(setfl(case_path("mine"), FS_APPEND_FL));
	ck_assert_int_eq(as_nobody(op_set_nodump, case_path("mine"), NULL),
			 EPERM);
	OK(setfl(case_path("mine"), 0));
}
END_TEST

/* +A: a read leaves atime alone where relatime would move it. */
START_TEST(chattr_noatime)
{
	struct stat st0, st;
	char buf[16];
	int fd;

	setup("chattr_noatime");
	put_unread(case_path("f"));
	OK(setfl(case_path("f"), FS_NOATIME_FL));
	st0 = lst(case_path("f"));
	tick();
	OK(fd = open(case_path("f"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 9);
	OK(close(fd));
	st = lst(case_path("f"));
	ck_assert(ts_cmp(&st.st_atim, &st0.st_atim) == 0);
	/* without it, the same read moves atime (relatime) */
	OK(setfl(case_path("f"), 0));
	OK(fd = open(case_path("f"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 9);
	OK(close(fd));
	st = lst(case_path("f"));
	AFTER(st.st_atim, st0.st_atim);
}
END_TEST

/* The attribute field of lsattr -d path (its first word). */
static void lsattr_of(const char *path, char *out, size_t n)
{
	char cmd[PATH_MAX + 64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "lsattr -d '%s' 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "popen: %s", en(errno));
	ck_assert_msg(fgets(out, (int) n, p) != NULL, "lsattr: no output");
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, " ")] = '\0';
}

/* Runs chattr opt path: its exit status. */
static int run(const char *opt, const char *path)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "chattr %s '%s'", opt, path);
	return system(cmd);
}

/* chattr(1) and lsattr(1) themselves. */
START_TEST(chattr_tools)
{
	char attr[128];

	setup("chattr_tools");
	put(case_path("f"), "", 0);
	ck_assert_int_eq(run("+iadA", case_path("f")), 0);
	lsattr_of(case_path("f"), attr, sizeof(attr));
	ck_assert_msg(strchr(attr, 'i') && strchr(attr, 'a') &&
			      strchr(attr, 'd') && strchr(attr, 'A'),
		      "lsattr: %s", attr);
	ck_assert_uint_eq(fl_of(case_path("f")), KNOWN_FL);
	ck_assert_int_eq(run("-ia", case_path("f")), 0);
	lsattr_of(case_path("f"), attr, sizeof(attr));
	ck_assert_msg(!strchr(attr, 'i') && !strchr(attr, 'a') &&
			      strchr(attr, 'd') && strchr(attr, 'A'),
		      "lsattr: %s", attr);
	OK(mkdir(case_path("d"), 0755));
	ck_assert_int_eq(run("+a", case_path("d")), 0);
	lsattr_of(case_path("d"), attr, sizeof(attr));
	ck_assert_msg(strchr(attr, 'a') != NULL, "lsattr -d: %s", attr);
	ck_assert_int_eq(run("-a", case_path("d")), 0);
}
END_TEST

Suite *chattr_suite(void)
{
	Suite *s = suite_create("chattr");

	ADD(s, chattr_flags);
	ADD(s, chattr_immutable);
	ADD(s, chattr_append);
	ADD(s, chattr_perm);
	ADD(s, chattr_noatime);
	ADD(s, chattr_tools);
	return s;
}
