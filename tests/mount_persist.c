/*
 * mount_persist.c - mount_test cases: persistence, command line,
 *   durability, read-only mount
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
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
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

/* ---- persistence: phase 1 writes, later phases read ---------------- */

#define BIG_LEN (3 * MIB + 123) /* size of /persist/big */
#define ODD_NAME "odd \x01\xff name"
#define PERSIST_ENTRIES 17	 /* names in /persist */
#define PUNCHED_LEN (300 * 1024) /* /persist/punched, a hole in it */
static const char xattr_bin[] = "\0\1\2bin\0";
static const struct timespec meta_times[2] = {{1000000000, 5},
					      {1234567890, 123456789}};
static const struct timespec dir_times[2] = {{1300000000, 41},
					     {1300000000, 42}};

/* Keeps the file handle of path in xattr name of persist/x. */
static void save_handle(const char *path, const char *name)
{
	size_t len;
	struct file_handle *h = handle_of(tree_path("%s", path), &len);

	OK(setxattr(tree_path("persist/x"), name, h, len, 0));
	free(h);
}

/* The handle kept by save_handle(), opened with flags: fd or -1. */
static int open_saved_handle(const char *name, int flags)
{
	char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	ssize_t n;

	OK(n = getxattr(tree_path("persist/x"), name, buf, sizeof(buf)));
	ck_assert_int_ge(n, (ssize_t) sizeof(struct file_handle));
	return open_handle((struct file_handle *) buf, flags);
}

/* Renames, unlinks, truncations, a hole, and what to compare later. */
static void persist_setup_more(void)
{
	static char data[PUNCHED_LEN];
	char buf[64];
	int fd;

	put(tree_path("persist/orig"), "renamed", 7);
	OK(rename(tree_path("persist/orig"), tree_path("persist/renamed")));
	put(tree_path("persist/gone"), "gone", 4);
	OK(unlink(tree_path("persist/gone")));
	memset(data, 'x', 200000);
	put(tree_path("persist/trunc"), data, 200000);
	OK(truncate(tree_path("persist/trunc"), 70000));
	OK(truncate(tree_path("persist/trunc"), 150000));
	fill(data, PUNCHED_LEN, 43);
	put(tree_path("persist/punched"), data, PUNCHED_LEN);
	OK(fd = open(tree_path("persist/punched"), O_RDWR));
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000,
		     200000));
	OK(close(fd));
	OK(utimensat(AT_FDCWD, tree_path("persist/dir/sub"), dir_times, 0));
	OK(setxattr(tree_path("persist/x"), "user.removed", "r", 1, 0));
	OK(removexattr(tree_path("persist/x"), "user.removed"));
	OK(setxattr(tree_path("persist/x"), "security.kept", "sec", 3, 0));
	OK(setxattr(tree_path("persist/x"), "security.removed", "r", 1, 0));
	OK(removexattr(tree_path("persist/x"), "security.removed"));
	/* file handles, to open after the remount: of a file, of a
	 * directory, and of a file deleted since */
	save_handle("persist/a", "user.h_a");
	save_handle("persist/dir/sub", "user.h_sub");
	put(tree_path("persist/fh_gone"), "gone", 4);
	save_handle("persist/fh_gone", "user.h_gone");
	OK(unlink(tree_path("persist/fh_gone")));
	/* inode numbers and ctimes, to compare after the remount */
	snprintf(buf, sizeof(buf), "%llu",
		 (unsigned long long) lst(tree_path("persist/a")).st_ino);
	OK(setxattr(tree_path("persist/x"), "user.a_ino", buf, strlen(buf), 0));
	snprintf(buf, sizeof(buf), "%lld.%09ld",
		 (long long) lst(tree_path("persist/meta")).st_ctim.tv_sec,
		 lst(tree_path("persist/meta")).st_ctim.tv_nsec);
	OK(setxattr(tree_path("persist/x"), "user.meta_ctime", buf, strlen(buf),
		    0));
}

START_TEST(persist_setup)
{
	static char data[BIG_LEN];
	int fd, fl = 0;

	mkdir_p(tree_path("persist"));
	put(tree_path("persist/a"), "hello persist\n", 14);
	put(tree_path("persist/empty"), "", 0);
	put(tree_path("persist/" ODD_NAME), "odd", 3);
	OK(fd = open(tree_path("persist/sparse"), O_RDWR | O_CREAT, 0644));
	fill(data, 4096, 41);
	pwrite_all(fd, data, 4096, SPARSE_OFF);
	OK(close(fd));
	fill(data, BIG_LEN, 42);
	put(tree_path("persist/big"), data, BIG_LEN);
	put(tree_path("persist/h1"), "linked", 6);
	OK(mkdir(tree_path("persist/sub"), 0755));
	OK(link(tree_path("persist/h1"), tree_path("persist/sub/h2")));
	OK(symlink("a", tree_path("persist/sym")));
	put(tree_path("persist/x"), "", 0);
	OK(setxattr(tree_path("persist/x"), "user.bin", xattr_bin,
		    sizeof(xattr_bin), 0));
	OK(setxattr(tree_path("persist/x"), "user.text", "v", 1, 0));
	put(tree_path("persist/meta"), "meta", 4);
	OK(chown(tree_path("persist/meta"), 1234, 5678));
	OK(chmod(tree_path("persist/meta"), 0640));
	OK(utimensat(AT_FDCWD, tree_path("persist/meta"), meta_times, 0));
	OK(mkdir(tree_path("persist/dir"), 0700));
	OK(mkdir(tree_path("persist/dir/sub"), 0755));
	OK(mkdir(tree_path("persist/dir/sub/deep"), 0755));
	OK(setxattr(tree_path("persist/dir"), "user.d", "dirattr", 7, 0));
	OK(fd = open(tree_path("persist/dir"), O_RDONLY));
	OK(ioctl(fd, FS_IOC_GETFLAGS, &fl));
	fl |= FS_NODUMP_FL | FS_NOATIME_FL;
	OK(ioctl(fd, FS_IOC_SETFLAGS, &fl));
	OK(close(fd));
	OK(mknod(tree_path("persist/fifo"), S_IFIFO | 0600, 0));
	OK(mknod(tree_path("persist/null"), S_IFCHR | 0644, makedev(1, 3)));
	persist_setup_more();
	acl_persist_setup();
}
END_TEST

Suite *persist_setup_suite(void)
{
	Suite *s = suite_create("persist_setup");

	ADD(s, persist_setup);
	return s;
}

START_TEST(persist_files)
{
	static char data[BIG_LEN];
	struct stat st;
	int fd, n;

	free(list_dir(tree_path("persist"), &n));
	ck_assert_int_eq(n, PERSIST_ENTRIES);
	expect_file(tree_path("persist/a"), "hello persist\n", 14);
	expect_file(tree_path("persist/empty"), "", 0);
	expect_file(tree_path("persist/" ODD_NAME), "odd", 3);
	fill(data, BIG_LEN, 42);
	expect_file(tree_path("persist/big"), data, BIG_LEN);
	st = lst(tree_path("persist/sparse"));
	ck_assert_int_eq(st.st_size, SPARSE_OFF + 4096);
	ck_assert_msg(st.st_blocks * 512 < 4 * MIB, "st_blocks %lld",
		      (long long) st.st_blocks);
	OK(fd = open(tree_path("persist/sparse"), O_RDONLY));
	fill(data, 4096, 41);
	ck_assert_uint_eq(pread_all(fd, data + 4096, 4096, SPARSE_OFF), 4096);
	ck_assert(memcmp(data, data + 4096, 4096) == 0);
	expect_zeros(fd, 0, 65536);
	expect_zeros(fd, SPARSE_OFF - 65536, 65536);
	OK(close(fd));
}
END_TEST

START_TEST(persist_mmap)
{
	static unsigned char buf[MIB];
	size_t i;
	int fd;

	OK(fd = open(tree_path("persist/mmap"), O_RDONLY));
	ck_assert_int_eq(fst(fd).st_size, MIB);
	ck_assert_uint_eq(pread_all(fd, buf, MIB, 0), MIB);
	OK(close(fd));
	for (i = 0; i < MIB; i++)
		if (buf[i] != mmap_byte(i))
			break;
	ck_assert_msg(i == MIB, "byte %zu is %u, want %u", i, buf[i],
		      mmap_byte(i));
}
END_TEST

START_TEST(persist_links)
{
	struct stat a, b;
	char buf[64];

	a = lst(tree_path("persist/h1"));
	b = lst(tree_path("persist/sub/h2"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	expect_file(tree_path("persist/sub/h2"), "linked", 6);
	a = lst(tree_path("persist/sym"));
	ck_assert(S_ISLNK(a.st_mode));
	ck_assert_int_eq(a.st_size, 1);
	ck_assert_int_eq(readlink(tree_path("persist/sym"), buf, sizeof(buf)),
			 1);
	ck_assert(buf[0] == 'a');
	expect_file(tree_path("persist/sym"), "hello persist\n", 14);
}
END_TEST

START_TEST(persist_meta)
{
	char buf[64];
	struct stat st;
	int fd, fl = 0;

	st = lst(tree_path("persist/meta"));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 5678);
	TS_IS(st.st_mtim, 1234567890, 123456789);
	TS_IS(st.st_atim, 1000000000, 5);
	/* chattr flags (the tree has no i or a: it is removed after) */
	OK(fd = open(tree_path("persist/dir"), O_RDONLY));
	OK(ioctl(fd, FS_IOC_GETFLAGS, &fl));
	OK(close(fd));
	ck_assert_int_eq(fl & (FS_NODUMP_FL | FS_NOATIME_FL | FS_IMMUTABLE_FL |
			       FS_APPEND_FL),
			 FS_NODUMP_FL | FS_NOATIME_FL);
	ck_assert_int_eq(
		getxattr(tree_path("persist/x"), "user.bin", buf, sizeof(buf)),
		sizeof(xattr_bin));
	ck_assert(memcmp(buf, xattr_bin, sizeof(xattr_bin)) == 0);
	ck_assert_int_eq(
		getxattr(tree_path("persist/x"), "user.text", buf, sizeof(buf)),
		1);
	ck_assert_int_eq(
		getxattr(tree_path("persist/dir"), "user.d", buf, sizeof(buf)),
		7);
	ck_assert(memcmp(buf, "dirattr", 7) == 0);
	/* the mount opens a database that holds a security.* name */
	ck_assert_int_eq(getxattr(tree_path("persist/x"), "security.kept", buf,
				  sizeof(buf)),
			 3);
	ck_assert(memcmp(buf, "sec", 3) == 0);
	FAILS(getxattr(tree_path("persist/x"), "security.removed", buf,
		       sizeof(buf)),
	      ENODATA);
	st = lst(tree_path("persist/dir"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_nlink, 3);
	ck_assert(S_ISDIR(lst(tree_path("persist/dir/sub/deep")).st_mode));
	ck_assert_uint_eq(lst(tree_path("persist")).st_nlink, 4);
	st = lst(tree_path("persist/fifo"));
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	st = lst(tree_path("persist/null"));
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
}
END_TEST

START_TEST(persist_more)
{
	static char data[PUNCHED_LEN];
	char buf[64], want[64];

	struct stat st;
	ssize_t n;
	int fd;

	acl_persist_check();

	expect_file(tree_path("persist/renamed"), "renamed", 7);
	ck_assert(!exists(tree_path("persist/orig")));
	ck_assert(!exists(tree_path("persist/gone")));
	OK(fd = open(tree_path("persist/trunc"), O_RDONLY));
	ck_assert_int_eq(fst(fd).st_size, 150000);
	ck_assert_uint_eq(pread_all(fd, data, 70000, 0), 70000);
	ck_assert_msg(data[0] == 'x' && data[69999] == 'x', "kept bytes");
	expect_zeros(fd, 70000, 80000);
	OK(close(fd));
	fill(data, PUNCHED_LEN, 43);
	memset(data + 1000, 0, 200000);
	expect_file(tree_path("persist/punched"), data, PUNCHED_LEN);
	st = lst(tree_path("persist/dir/sub"));
	TS_IS(st.st_mtim, 1300000000, 42);
	FAILS(getxattr(tree_path("persist/x"), "user.removed", buf,
		       sizeof(buf)),
	      ENODATA);
	memset(buf, 0, sizeof(buf));
	OK(n = getxattr(tree_path("persist/x"), "user.a_ino", buf,
			sizeof(buf) - 1));
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long) lst(tree_path("persist/a")).st_ino);
	ck_assert_str_eq(buf, want);
	memset(buf, 0, sizeof(buf));
	OK(n = getxattr(tree_path("persist/x"), "user.meta_ctime", buf,
			sizeof(buf) - 1));
	st = lst(tree_path("persist/meta"));
	snprintf(want, sizeof(want), "%lld.%09ld",
		 (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	ck_assert_str_eq(buf, want);

	/* file handles made before the remount, of inodes the kernel
	 * forgot */
	st = lst(tree_path("persist/dir/sub"));
	n = (ssize_t) lst(tree_path("persist/a")).st_ino;
	drop_dentries();
	OK(fd = open_saved_handle("user.h_a", O_RDONLY));
	ck_assert_uint_eq(fst(fd).st_ino, (ino_t) n);
	OK(close(fd));
	drop_dentries();
	OK(fd = open_saved_handle("user.h_sub", O_RDONLY | O_DIRECTORY));
	ck_assert_uint_eq(fst(fd).st_ino, st.st_ino);
	OK(close(fd));
	FAILS(open_saved_handle("user.h_gone", O_RDONLY), ESTALE);
}
END_TEST

Suite *persist_suite(void)
{
	Suite *s = suite_create("persist");

	ADD(s, persist_files);
	ADD(s, persist_mmap);
	ADD(s, persist_links);
	ADD(s, persist_meta);
	ADD(s, persist_more);
	return s;
}

/* ---- command line (sqlitefs only) ---------------------------------- */

struct cli {
	int status;	 /* exit status, 128 + signal if killed, -1 timeout */
	char out[16384]; /* stdout */
	char err[4096];	 /* stderr */
};

static const char *daemon_bin(void)
{
	const char *bin = getenv("SQLITEFS");

	return bin && *bin ? bin : "build/src/sqlitefs";
}

/* Returns m.dir/name, made a directory if mk. */
static const char *cli_path(const char *name, bool mk)
{
	static char bufs[8][2 * PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", m.dir, name);
	if (mk)
		ck_assert_msg(mkdir(b, 0755) == 0 || errno == EEXIST,
			      "mkdir %s: %s", b, en(errno));
	return b;
}

/* Appends what is readable on fd to buf; clears *fd at end of file. */
static void drain(int *fd, char *buf, size_t cap)
{
	size_t len = strlen(buf);
	ssize_t n;

	n = read(*fd, buf + len, cap - 1 - len);
	if (n > 0) {
		buf[len + (size_t) n] = '\0';
		if (len + (size_t) n < cap - 1)
			return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(*fd);
	*fd = -1;
}

/*
 * Runs the daemon with args (NULL-terminated, without argv[0]), capturing
 * stdout and stderr, for at most CLI_TIMEOUT seconds.  scratch, if not
 * NULL, is a mountpoint to clean up should the daemon have mounted it.
 */
static void run_cli(struct cli *r, const char *scratch, const char *args[])
{
	const char *argv[16];
	int out[2], err[2], st, i, left;
	struct pollfd pfd[2];
	pid_t pid;

	argv[0] = daemon_bin();
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	memset(r, 0, sizeof(*r));
	OK(pipe2(out, O_CLOEXEC));
	OK(pipe2(err, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", en(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	for (left = CLI_TIMEOUT * 10;
	     left > 0 && (pfd[0].fd >= 0 || pfd[1].fd >= 0);) {
		if (poll(pfd, 2, 100) == 0) {
			left--;
			continue;
		}
		if (pfd[0].fd >= 0 && pfd[0].revents)
			drain(&pfd[0].fd, r->out, sizeof(r->out));
		if (pfd[1].fd >= 0 && pfd[1].revents)
			drain(&pfd[1].fd, r->err, sizeof(r->err));
	}
	for (; left > 0; left--) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (left == 0) {
		fprintf(stderr, "# %s: no exit in %d s, killed\n", argv[0],
			CLI_TIMEOUT);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		r->status = -1;
	} else {
		r->status =
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	if (scratch)
		unmount_stray(scratch);
}

/*
 * Asserts a refusal: an exit (no crash, no timeout) with a non-zero status
 * and one line on stderr, starting with "sqlitefs: ".
 */
#define REFUSED(r)                                                             \
	do {                                                                   \
		ck_assert_msg((r).status > 0 && (r).status < 128,              \
			      "exit status %d, want 1..127; stderr: %.300s",   \
			      (r).status, (r).err);                            \
		ck_assert_msg(!strncmp((r).err, "sqlitefs: ", 10) &&           \
				      strchr((r).err, '\n') ==                 \
					      (r).err + strlen((r).err) - 1,   \
			      "want one line starting \"sqlitefs: \", got "    \
			      "\"%.300s\"",                                    \
			      (r).err);                                        \
	} while (0)

/* Returns the contents of path (malloc'd), its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "open %s: %s", path, en(errno));
	st = fst(fd);
	buf = malloc((size_t) st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	*len = pread_all(fd, buf, (size_t) st.st_size, 0);
	close(fd);
	return buf;
}

/* Asserts that path holds the len bytes of was, and frees was. */
static void expect_unchanged(const char *path, char *was, size_t len)
{
	size_t now_len;
	char *now = slurp(path, &now_len);

	ck_assert_msg(now_len == len && memcmp(now, was, len) == 0,
		      "%s changed (%zu bytes, was %zu)", path, now_len, len);
	free(now);
	free(was);
}

static void run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_sh(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "%s: failed", cmd);
}

/* Makes a fresh sqlitefs database at path. */
static void mkfs_at(const char *path)
{
	const char *mkfs = getenv("MKFS");

	run_sh("'%s' '%s' >/dev/null", mkfs && *mkfs ? mkfs : "scripts/mkfs.sh",
	       path);
}

START_TEST(cli_help)
{
	struct cli r;
	const char *args[] = {"--help", NULL};

	run_cli(&r, NULL, args);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strlen(r.out) + strlen(r.err) > 20, "no help text");
}
END_TEST

START_TEST(cli_version)
{
	struct cli r;
	const char *args[] = {"--version", NULL};

	run_cli(&r, NULL, args);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strlen(r.out) + strlen(r.err) > 0, "no version");
}
END_TEST

START_TEST(cli_missing_db)
{
	const char *mnt = cli_path("cli_missing_db", true);
	const char *db = cli_path("cli_missing_db/none.db", false);
	const char *args[] = {"-f", db, mnt, NULL};
	struct cli r;

	run_cli(&r, mnt, args);
	REFUSED(r);
	ck_assert_msg(strstr(r.err, "mkfs") != NULL, "no mkfs hint: %s", r.err);
	ck_assert(!exists(db));
}
END_TEST

START_TEST(cli_text_file)
{
	const char *mnt = cli_path("cli_text_file", true);
	const char *db = cli_path("text.db", false);
	const char *args[] = {"-f", db, mnt, NULL};
	char text[3000];
	struct cli r;
	int i;

	for (i = 0; i < 100; i++)
		memcpy(text + i * 30, "this is not a database, no.  \n", 30);
	{
		int fd = open(db, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		ck_assert_int_ge(fd, 0);
		pwrite_all(fd, text, sizeof(text), 0);
		close(fd);
	}
	run_cli(&r, mnt, args);
	REFUSED(r);
	expect_file(db, text, sizeof(text));
}
END_TEST

START_TEST(cli_other_app)
{
	const char *mnt = cli_path("cli_other_app", true);
	const char *db = cli_path("other.db", false);
	const char *args[] = {"-f", db, mnt, NULL};
	struct cli r;
	size_t len;
	char *was;

	run_sh("sqlite3 '%s' 'create table t(a); insert into t values (1)'",
	       db);
	was = slurp(db, &len);
	run_cli(&r, mnt, args);
	REFUSED(r);
	expect_unchanged(db, was, len);
}
END_TEST

START_TEST(cli_newer_format)
{
	const char *mnt = cli_path("cli_newer_format", true);
	const char *db = cli_path("v99.db", false);
	const char *args[] = {"-f", db, mnt, NULL};
	struct cli r;
	size_t len;
	char *was;

	mkfs_at(db);
	run_sh("sqlite3 '%s' 'PRAGMA user_version=99' >/dev/null", db);
	was = slurp(db, &len);
	run_cli(&r, mnt, args);
	REFUSED(r);
	expect_unchanged(db, was, len);
}
END_TEST

START_TEST(cli_second_daemon)
{
	const char *mnt = cli_path("cli_second_daemon", true);
	const char *args[] = {"-f", m.db, mnt, NULL};
	struct cli r;

	run_cli(&r, mnt, args);
	REFUSED(r);
	/* the first mount still works */
	mkdir_p(tree_path("cli_second_daemon"));
	put(tree_path("cli_second_daemon/alive"), "yes", 3);
	expect_file(tree_path("cli_second_daemon/alive"), "yes", 3);
}
END_TEST

START_TEST(cli_missing_mountpoint)
{
	const char *db = cli_path("mp.db", false);
	const char *args[] = {"-f", db, cli_path("no/such/dir", false), NULL};
	struct cli r;
	size_t len;
	char *was;

	mkfs_at(db);
	was = slurp(db, &len);
	run_cli(&r, NULL, args);
	REFUSED(r);
	expect_unchanged(db, was, len);
}
END_TEST

START_TEST(cli_bad_option)
{
	const char *mnt = cli_path("cli_bad_option", true);
	const char *db = cli_path("opt.db", false);
	const char *args[] = {"-f", "-o", "bogus", db, mnt, NULL};
	struct cli r;

	mkfs_at(db);
	run_cli(&r, mnt, args);
	REFUSED(r);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");

	ADD(s, cli_help);
	ADD(s, cli_version);
	ADD(s, cli_missing_db);
	ADD(s, cli_text_file);
	ADD(s, cli_other_app);
	ADD(s, cli_newer_format);
	ADD(s, cli_second_daemon);
	ADD(s, cli_missing_mountpoint);
	ADD(s, cli_bad_option);
	return s;
}

/* ---- durability (sqlitefs only) ------------------------------------ */

#define SYNCED_LEN (200 * 1024)
#define UNSYNCED_LEN (100 * 1024)

START_TEST(durable_write)
{
	static char data[SYNCED_LEN];
	int fd, dfd;

	OK(mkdir(tree_path("dur"), 0755));
	fill(data, SYNCED_LEN, 31);
	OK(fd = open(tree_path("dur/synced"), O_WRONLY | O_CREAT, 0644));
	pwrite_all(fd, data, SYNCED_LEN, 0);
	OK(fsync(fd));
	OK(close(fd));
	OK(dfd = open(tree_path("dur"), O_RDONLY | O_DIRECTORY));
	OK(fsync(dfd));
	OK(close(dfd));
	fill(data, UNSYNCED_LEN, 32);
	put(tree_path("dur/unsynced"), data, UNSYNCED_LEN);
}
END_TEST

Suite *durable_write_suite(void)
{
	Suite *s = suite_create("durable_write");

	ADD(s, durable_write);
	return s;
}

START_TEST(durable_after_kill)
{
	static char data[SYNCED_LEN];
	struct stat st;

	fill(data, SYNCED_LEN, 31);
	expect_file(tree_path("dur/synced"), data, SYNCED_LEN);
	/* create and write are two operations, each all there or not:
	 * absent, empty, or complete (one WRITE request) */
	if (lstat(tree_path("dur/unsynced"), &st) == 0 && st.st_size != 0) {
		fill(data, UNSYNCED_LEN, 32);
		expect_file(tree_path("dur/unsynced"), data, UNSYNCED_LEN);
	} else if (lstat(tree_path("dur/unsynced"), &st) < 0) {
		ck_assert_msg(errno == ENOENT, "lstat dur/unsynced: %s",
			      en(errno));
	}
	ck_assert(!exists(tree_path("dur/orphan")));
	expect_file(tree_path("persist/a"), "hello persist\n", 14);
	/* the filesystem takes new work */
	put(tree_path("dur/after"), "after", 5);
	expect_file(tree_path("dur/after"), "after", 5);
}
END_TEST

Suite *durable_check_suite(void)
{
	Suite *s = suite_create("durable_check");

	ADD(s, durable_after_kill);
	return s;
}

/* ---- read-only mount (sqlitefs only) ------------------------------- */

START_TEST(ro_reads)
{
	struct statvfs sv;
	char buf[16];
	int n;

	expect_file(tree_path("persist/a"), "hello persist\n", 14);
	free(list_dir(tree_path("persist"), &n));
	ck_assert_int_eq(n, PERSIST_ENTRIES);
	ck_assert_int_eq(readlink(tree_path("persist/sym"), buf, sizeof(buf)),
			 1);
	ck_assert_int_eq(
		getxattr(tree_path("persist/x"), "user.text", buf, sizeof(buf)),
		1);
	OK(statvfs(m.path, &sv));
	ck_assert_uint_ne(sv.f_flag & ST_RDONLY, 0);
}
END_TEST

START_TEST(ro_writes)
{
	const struct timespec t[2] = {{1, 0}, {2, 0}};

	FAILS(open(tree_path("persist/new"), O_WRONLY | O_CREAT, 0644), EROFS);
	FAILS(open(tree_path("persist/a"), O_WRONLY), EROFS);
	FAILS(open(tree_path("persist/a"), O_RDWR), EROFS);
	FAILS(chmod(tree_path("persist/a"), 0600), EROFS);
	FAILS(chown(tree_path("persist/a"), 1, 1), EROFS);
	FAILS(truncate(tree_path("persist/a"), 0), EROFS);
	FAILS(utimensat(AT_FDCWD, tree_path("persist/a"), t, 0), EROFS);
	FAILS(mkdir(tree_path("persist/newdir"), 0755), EROFS);
	FAILS(unlink(tree_path("persist/a")), EROFS);
	FAILS(rmdir(tree_path("persist/dir/sub/deep")), EROFS);
	FAILS(rename(tree_path("persist/a"), tree_path("persist/b")), EROFS);
	FAILS(link(tree_path("persist/a"), tree_path("persist/b")), EROFS);
	FAILS(symlink("a", tree_path("persist/b")), EROFS);
	FAILS(mknod(tree_path("persist/p"), S_IFIFO | 0644, 0), EROFS);
	FAILS(setxattr(tree_path("persist/x"), "user.new", "v", 1, 0), EROFS);
	FAILS(removexattr(tree_path("persist/x"), "user.text"), EROFS);
	expect_file(tree_path("persist/a"), "hello persist\n", 14);
	ck_assert_uint_eq(lst(tree_path("persist/a")).st_mode & 07777, 0644);
}
END_TEST

Suite *ro_suite(void)
{
	Suite *s = suite_create("ro");

	ADD(s, ro_reads);
	ADD(s, ro_writes);
	return s;
}
