/*
 * mount_io.c - mount_test cases: mmap, locks, inotify, sync
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

/* ---- mmap ---------------------------------------------------------- */

/* The byte mmap_write leaves at offset i of /persist/mmap. */
unsigned char mmap_byte(size_t i)
{
	return (unsigned char) ((i / 4096) * 7 + (i % 4096) * 13 + 1);
}

START_TEST(mmap_write)
{
	static unsigned char buf[MIB];
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	size_t i;
	int fd;

	mkdir_p(tree_path("persist"));
	OK(fd = open(tree_path("persist/mmap"), O_RDWR | O_CREAT | O_TRUNC,
		     0644));
	OK(ftruncate(fd, MIB));
	p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_msg(p != MAP_FAILED, "mmap: %s", en(errno));
	ck_assert_msg(all_zero(p, MIB), "a new mapping is not zero");
	for (i = 0; i < MIB; i += (size_t) page)
		ck_assert_int_eq(p[i], 0);
	for (i = 0; i < MIB; i++)
		p[i] = mmap_byte(i);
	OK(msync(p, MIB, MS_SYNC));
	OK(munmap(p, MIB));
	ck_assert_int_eq(fst(fd).st_size, MIB);
	OK(close(fd));
	OK(fd = open(tree_path("persist/mmap"), O_RDONLY));
	ck_assert_uint_eq(pread_all(fd, buf, MIB, 0), MIB);
	OK(close(fd));
	for (i = 0; i < MIB; i++)
		if (buf[i] != mmap_byte(i))
			break;
	ck_assert_msg(i == MIB, "byte %zu is %u, want %u", i, buf[i],
		      mmap_byte(i));
}
END_TEST

/* A write through write(2) is seen by a mapping and the other way. */
START_TEST(mmap_coherent)
{
	char buf[8];
	char *p;
	int fd;

	setup("mmap_coherent");
	put(case_path("f"), "0123456789", 10);
	OK(fd = open(case_path("f"), O_RDWR));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_msg(p != MAP_FAILED, "mmap: %s", en(errno));
	pwrite_all(fd, "AB", 2, 0);
	ck_assert(p[0] == 'A' && p[1] == 'B');
	p[5] = 'x';
	ck_assert_uint_eq(pread_all(fd, buf, 8, 0), 8);
	ck_assert(memcmp(buf, "AB234x67", 8) == 0);
	OK(munmap(p, 4096));
	OK(close(fd));
	expect_file(case_path("f"), "AB234x6789", 10);
}
END_TEST

Suite *mmap_suite(void)
{
	Suite *s = suite_create("mmap");

	ADD(s, mmap_write);
	ADD(s, mmap_coherent);
	return s;
}

/* ---- locks --------------------------------------------------------- */

static int op_flock(const char *a, const char *b)
{
	int fd = open(a, O_RDONLY);
	int how = !strcmp(b, "sh") ? LOCK_SH : LOCK_EX;

	if (fd < 0)
		return errno;
	if (flock(fd, how | LOCK_NB) < 0)
		return errno;
	return 0;
}

START_TEST(lock_flock)
{
	int fd, fd2;

	setup("lock_flock");
	put(case_path("f"), "lock", 4);
	OK(fd = open(case_path("f"), O_RDWR));
	OK(flock(fd, LOCK_EX));
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "ex"),
			 EWOULDBLOCK);
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "sh"),
			 EWOULDBLOCK);
	/* another open file description in this process conflicts too */
	OK(fd2 = open(case_path("f"), O_RDONLY));
	FAILS(flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	OK(flock(fd, LOCK_UN));
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "ex"), 0);
	OK(flock(fd, LOCK_SH));
	OK(flock(fd2, LOCK_SH | LOCK_NB));
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "sh"), 0);
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "ex"),
			 EWOULDBLOCK);
	OK(close(fd2));
	/* closing the last descriptor releases the lock */
	OK(close(fd));
	ck_assert_int_eq(in_child(false, op_flock, case_path("f"), "ex"), 0);
}
END_TEST

/* b: "conflict" tries [50, 60), "free" [200, 300), "getlk" asks. */
static int op_posix_lock(const char *a, const char *b)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd = open(a, O_RDWR);

	if (fd < 0)
		return errno;
	fl.l_start = !strcmp(b, "free") ? 200 : 50;
	fl.l_len = !strcmp(b, "free") ? 100 : 10;
	if (strcmp(b, "getlk") != 0)
		return fcntl(fd, F_SETLK, &fl) < 0 ? errno : 0;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		return errno;
	if (fl.l_type != F_WRLCK || fl.l_pid != getppid() || fl.l_start != 0 ||
	    fl.l_len != 100) {
		fprintf(stderr,
			"F_GETLK: type %d pid %d (holder %d) start %lld "
			"len %lld\n",
			fl.l_type, (int) fl.l_pid, (int) getppid(),
			(long long) fl.l_start, (long long) fl.l_len);
		return 200;
	}
	return 0;
}

START_TEST(lock_posix)
{
	struct flock fl = {.l_type = F_WRLCK,
			   .l_whence = SEEK_SET,
			   .l_start = 0,
			   .l_len = 100};
	int fd, rc;

	setup("lock_posix");
	put(case_path("f"), "0123456789", 10);
	OK(fd = open(case_path("f"), O_RDWR));
	OK(fcntl(fd, F_SETLK, &fl));
	rc = in_child(false, op_posix_lock, case_path("f"), "conflict");
	ck_assert_msg(rc == EAGAIN || rc == EACCES,
		      "conflicting F_SETLK: %d (%s)", rc, en(rc));
	ck_assert_int_eq(
		in_child(false, op_posix_lock, case_path("f"), "getlk"), 0);
	ck_assert_int_eq(in_child(false, op_posix_lock, case_path("f"), "free"),
			 0);
	/* our own F_GETLK sees no conflict with our own lock */
	fl.l_start = 50;
	fl.l_len = 10;
	OK(fcntl(fd, F_GETLK, &fl));
	ck_assert_int_eq(fl.l_type, F_UNLCK);
	fl.l_type = F_UNLCK;
	fl.l_start = 0;
	fl.l_len = 100;
	OK(fcntl(fd, F_SETLK, &fl));
	ck_assert_int_eq(
		in_child(false, op_posix_lock, case_path("f"), "conflict"), 0);
	OK(close(fd));
}
END_TEST

Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");

	ADD(s, lock_flock);
	ADD(s, lock_posix);
	return s;
}

/* ---- inotify ------------------------------------------------------- */

struct ino_event {
	uint32_t mask;
	uint32_t cookie;
	char name[64];
};

/* Reads up to max events, waiting at most a second for more. */
static int read_events(int ifd, struct ino_event *ev, int max)
{
	char buf[8192] __attribute__((aligned(8)));
	const struct inotify_event *ie;
	struct pollfd pfd = {.fd = ifd, .events = POLLIN};
	int n = 0;
	ssize_t len;
	char *p;

	while (n < max && poll(&pfd, 1, 1000) > 0) {
		len = read(ifd, buf, sizeof(buf));
		ck_assert_msg(len > 0, "read inotify: %s", en(errno));
		for (p = buf; p < buf + len && n < max;
		     p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *) p;
			ev[n].mask = ie->mask;
			ev[n].cookie = ie->cookie;
			snprintf(ev[n].name, sizeof(ev[n].name), "%s",
				 ie->len ? ie->name : "");
			n++;
		}
	}
	return n;
}

START_TEST(inotify_dir)
{
	static const struct {
		uint32_t mask;
		const char *name;
	} want[] = {
		{IN_CREATE, "f"},	   {IN_MODIFY, "f"},
		{IN_ATTRIB, "f"},	   {IN_MOVED_FROM, "f"},
		{IN_MOVED_TO, "g"},	   {IN_CREATE | IN_ISDIR, "d"},
		{IN_DELETE, "g"},	   {IN_DELETE | IN_ISDIR, "d"},
		{IN_MOVED_TO, "moved_in"},
	};
	const int nwant = (int) (sizeof(want) / sizeof(want[0]));
	struct ino_event ev[64];
	uint32_t cookie = 0;
	int ifd, fd, n, i, j = 0;

	setup("inotify_dir");
	OK(mkdir(case_path("w"), 0755));
	put(case_path("outside"), "o", 1);
	OK(ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	OK(inotify_add_watch(ifd, case_path("w"),
			     IN_CREATE | IN_MODIFY | IN_ATTRIB | IN_DELETE |
				     IN_MOVED_FROM | IN_MOVED_TO));
	OK(fd = open(case_path("w/f"), O_WRONLY | O_CREAT, 0644));
	ck_assert_int_eq(write(fd, "data", 4), 4);
	OK(close(fd));
	OK(chmod(case_path("w/f"), 0600));
	OK(rename(case_path("w/f"), case_path("w/g")));
	OK(mkdir(case_path("w/d"), 0755));
	OK(unlink(case_path("w/g")));
	OK(rmdir(case_path("w/d")));
	OK(rename(case_path("outside"), case_path("w/moved_in")));
	n = read_events(ifd, ev, 64);
	OK(close(ifd));
	/* the wanted events, in this order, among what came */
	for (i = 0; i < n && j < nwant; i++) {
		if (ev[i].mask != want[j].mask ||
		    strcmp(ev[i].name, want[j].name) != 0)
			continue;
		if (want[j].mask == IN_MOVED_FROM)
			cookie = ev[i].cookie;
		if (want[j].mask == IN_MOVED_TO && j == 4)
			ck_assert_msg(cookie && ev[i].cookie == cookie,
				      "move cookies %u and %u", cookie,
				      ev[i].cookie);
		j++;
	}
	ck_assert_msg(j == nwant, "%d events; missing 0x%x on \"%s\"", n,
		      j < nwant ? want[j].mask : 0,
		      j < nwant ? want[j].name : "");
}
END_TEST

Suite *inotify_suite(void)
{
	Suite *s = suite_create("inotify");

	ADD(s, inotify_dir);
	return s;
}

/* ---- sync ---------------------------------------------------------- */

START_TEST(sync_calls)
{
	int fd, dfd, rfd;

	setup("sync_calls");
	OK(fd = open(case_path("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, "sync me", 7, 0);
	OK(fsync(fd));
	pwrite_all(fd, "again", 5, 100);
	OK(fdatasync(fd));
	OK(syncfs(fd));
	OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	OK(rfd = open(case_path("f"), O_RDONLY));
	OK(fsync(rfd));
	OK(close(rfd));
	OK(dfd = open(case_path("."), O_RDONLY | O_DIRECTORY));
	OK(fsync(dfd));
	OK(fdatasync(dfd));
	OK(syncfs(dfd));
	OK(close(dfd));
	OK(close(fd));
	sync();
	ck_assert_int_eq(lst(case_path("f")).st_size, 105);
}
END_TEST

/*
 * Keeps the daemon's worker busy: 1 MiB writes with an fsync every 4 MiB,
 * over the first 64 MiB of path, until killed; a byte on ready after the
 * first fsync.
 */
static void busy_writer(const char *path, int ready)
{
	static char buf[MIB];
	long i;
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		_exit(1);
	memset(buf, 'w', sizeof(buf));
	for (i = 0;; i++) {
		if (pwrite(fd, buf, sizeof(buf), (off_t) (i % 64) * MIB) !=
		    (ssize_t) sizeof(buf))
			_exit(1);
		if (i % 4 == 3 && fsync(fd) < 0)
			_exit(1);
		if (i == 3 && write(ready, "r", 1) != 1)
			_exit(1);
	}
}

/* Starts busy_writer() on path; returns once it has written 4 MiB. */
static pid_t start_busy_writer(const char *path)
{
	int pipefd[2];
	pid_t pid;
	char c;

	OK(pipe(pipefd));
	OK(pid = fork());
	if (pid == 0) {
		close(pipefd[0]);
		busy_writer(path, pipefd[1]);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	return pid;
}

/* The inode's attributes from the filesystem, not from the kernel's cache. */
static struct stat stat_sync(const char *path)
{
	struct statx x;
	struct stat st;

	memset(&st, 0, sizeof(st));
	OK(statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &x));
	st.st_mode = x.stx_mode;
	st.st_nlink = x.stx_nlink;
	st.st_size = (off_t) x.stx_size;
	return st;
}

/*
 * While another process keeps the daemon writing, lookups, getattr,
 * listings and xattrs are answered by the loop from the last commit (see
 * src/loop.h); what this process just changed must show at once all the
 * same: read your writes, also across commits.
 */
START_TEST(sync_read_your_writes)
{
	static char data[4096], direct[4096] __attribute__((aligned(4096)));
	int dfd, fd, count, i, k, v;
	char *list;
	pid_t pid;

	setup("sync_read_your_writes");
	mkdir_p(case_path("d"));
	pid = start_busy_writer(case_path("big"));
	OK(dfd = open(case_path("d"), O_RDONLY | O_DIRECTORY));
	for (i = 0; i < 40; i++) {
		char a[16], b[16];

		snprintf(a, sizeof(a), "a%d", i);
		snprintf(b, sizeof(b), "b%d", i);
		memset(data, 'a' + i % 26, 4096);
		put(case_path("d/%s", a), data, 4096);
		ck_assert_int_eq(stat_sync(case_path("d/%s", a)).st_size, 4096);
		OK(rename(case_path("d/%s", a), case_path("d/%s", b)));
		OK(chmod(case_path("d/%s", b), 0600));
		ck_assert_int_eq(
			stat_sync(case_path("d/%s", b)).st_mode & 07777, 0600);
		OK(setxattr(case_path("d/%s", b), "user.n", &i, sizeof(i), 0));
		v = -1;
		ck_assert_int_eq(
			getxattr(case_path("d/%s", b), "user.n", &v, sizeof(v)),
			sizeof(v));
		ck_assert_int_eq(v, i);
		/* past the kernel's page cache: READ reaches the daemon */
		OK(fd = open(case_path("d/%s", b), O_RDONLY | O_DIRECT));
		for (k = 0; k < 8; k++) {
			ck_assert_int_eq(pread(fd, direct, 4096, 0), 4096);
			ck_assert(!memcmp(direct, data, 4096));
		}
		OK(close(fd));
		list = list_dir(case_path("d"), &count);
		ck_assert_int_eq(count, i + 1);
		ck_assert_msg(strstr(list, b) && !strstr(list, a),
			      "round %d: listed %s", i, list);
		free(list);
		if (i % 10 == 9) {
			drop_dentries();
			ck_assert(!exists(case_path("d/%s", a)));
			ck_assert(exists(case_path("d/%s", b)));
		}
		if (i % 15 == 14)
			OK(fsync(dfd)); /* a commit in between */
	}
	for (i = 0; i < 40; i++)
		OK(unlink(case_path("d/b%d", i)));
	drop_dentries();
	list = list_dir(case_path("d"), &count);
	ck_assert_int_eq(count, 0);
	free(list);
	ck_assert(!exists(case_path("d/b7")));
	OK(close(dfd));
	OK(kill(pid, SIGKILL));
	OK(waitpid(pid, NULL, 0));
}
END_TEST

/*
 * A file unlinked while the kernel knew it is deleted when the kernel
 * forgets it.  Forgets the loop handles while the worker holds the
 * database lock leave that to the committer: the rows must go all the
 * same, before the unmount.
 */
START_TEST(sync_reap_under_writes)
{
	static char buf[64 * KIB];
	int dfd, fd, i;
	char sql[64], out[32] = "";
	struct timespec t0, now;
	ino_t first = 0;
	pid_t pid;

	setup("sync_reap_under_writes");
	pid = start_busy_writer(case_path("big"));
	OK(dfd = open(case_path("."), O_RDONLY | O_DIRECTORY));
	for (i = 0; i < 60; i++) {
		OK(fd = open(case_path("gone%d", i), O_WRONLY | O_CREAT, 0644));
		pwrite_all(fd, buf, sizeof(buf), 0);
		if (!first)
			first = fst(fd).st_ino;
		OK(close(fd));
	}
	OK(fsync(dfd));
	for (i = 0; i < 60; i++) {
		OK(unlink(case_path("gone%d", i)));
		if (i % 10 == 9)
			drop_dentries(); /* the kernel forgets the inodes */
	}
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM inode WHERE ino >= %llu",
		 (unsigned long long) first);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		OK(fsync(dfd)); /* commits what the committer deleted */
		if (ref_mode || mnt_sql(&m, sql, out, sizeof(out)) != 0 ||
		    !strcmp(out, "0"))
			break;
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 30);
	ck_assert_msg(ref_mode || !strcmp(out, "0"),
		      "%s inodes from %llu still stored, want 0", out,
		      (unsigned long long) first);
	OK(close(dfd));
	OK(kill(pid, SIGKILL));
	OK(waitpid(pid, NULL, 0));
}
END_TEST

Suite *sync_suite(void)
{
	Suite *s = suite_create("sync");

	ADD(s, sync_calls);
	ADD(s, sync_read_your_writes);
	ADD(s, sync_reap_under_writes);
	return s;
}
