/*
 * mount_test.c - drive a real sqlitefs mount with system calls
 *
 * main() mounts a fresh filesystem (never a check fixture: check skips the
 * teardown of a failed test, which would leave a mount behind), then runs
 * the phases below, each a set of check suites in fork mode, and prints
 * one TAP stream on stdout: one line per test case and per step done by
 * main() itself (unmount, remount, database checks), and the plan at the
 * end.  Diagnostics go to stderr.
 *
 *  1. files, directories, links, renames, open-unlinked files, metadata,
 *     permissions, xattrs, mmap, locks, inotify, sync, command line;
 *  2. unmount (the daemon must exit 0), integrity checks, remount, and
 *     the "persist" suite: what phase 1 left under /persist is still there;
 *  3. durability: fsync, SIGKILL the daemon, remount: the synced data is
 *     there, the database is sound, the orphan left open is purged;
 *  4. read-only: "-o ro" serves reads and refuses writes with EROFS.
 *
 * Reference mode: with MOUNT_TEST_DIR=/some/empty/dir the same cases run
 * in that directory (ext4, say) and nothing is mounted.  Every assertion
 * here must hold there too: the tests encode Linux semantics, not the
 * daemon's.  Cases that only make sense on sqlitefs (command line,
 * database checks, remount, crash, read-only, the 64 KiB xattr value) are
 * left out in that mode; the persist suite runs without a remount.
 *
 * Each test case works in its own directory, named after it, at the root
 * of the tree under test.  Tests run as root; those about permissions fork
 * a child that becomes uid and gid 65534, which is why the mount uses
 * allow_other.
 *
 * Environment: SQLITEFS and MKFS (see mount_util.h), MOUNT_TEST_DIR,
 * KEEP_TEST_DIR=1 to keep the temporary directory; CK_RUN_SUITE and
 * CK_RUN_CASE select cases as usual (the later phases then miss what
 * persist_setup, mmap_write and durable_write leave for them).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

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

#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

#define NOBODY 65534	 /* uid and gid of the unprivileged child */
#define CASE_TIMEOUT 120 /* seconds per test case */
#define CLI_TIMEOUT 10	 /* seconds a command line run may take */
#define MOUNT_OPTS "allow_other"
#define TICK_US 30000 /* longer than any timestamp granularity */

static struct mnt m;   /* the filesystem; m.path is the tree under test */
static bool ref_mode;  /* MOUNT_TEST_DIR: a local directory, no mount */
static pid_t main_pid; /* check's children must not clean up */
static char base[64];  /* the current test case's directory */

/* ---- assertions ---------------------------------------------------- */

static const char *en(int e)
{
	const char *s = e ? strerrorname_np(e) : "no error";

	return s ? s : "unknown errno";
}

/* Asserts that a call returning -1 on error succeeded. */
#define OK(expr) ck_assert_msg((expr) != -1, "%s: %s", #expr, en(errno))

/* Asserts that a call fails with errno e. */
#define FAILS(expr, e)                                                         \
	do {                                                                   \
		long r_;                                                       \
		errno = 0;                                                     \
		r_ = (long) (expr);                                            \
		ck_assert_msg(r_ == -1 && errno == (e),                        \
			      "%s: want %s, got %ld (%s)", #expr, en(e), r_,   \
			      en(errno));                                      \
	} while (0)

/* Asserts that a call fails with errno e1 or e2. */
#define FAILS2(expr, e1, e2)                                                   \
	do {                                                                   \
		long r_;                                                       \
		errno = 0;                                                     \
		r_ = (long) (expr);                                            \
		ck_assert_msg(r_ == -1 && (errno == (e1) || errno == (e2)),    \
			      "%s: want %s or %s, got %ld (%s)", #expr,        \
			      en(e1), en(e2), r_, en(errno));                  \
	} while (0)

/* Asserts that struct timespec a is later than b. */
#define AFTER(a, b)                                                            \
	ck_assert_msg(ts_cmp(&(a), &(b)) > 0,                                  \
		      "%s (%lld.%09ld) not after %s (%lld.%09ld)", #a,         \
		      (long long) (a).tv_sec, (a).tv_nsec, #b,                 \
		      (long long) (b).tv_sec, (b).tv_nsec)

/* Asserts that struct timespec a equals {s, ns}. */
#define TS_IS(a, s, ns)                                                        \
	ck_assert_msg((a).tv_sec == (s) && (a).tv_nsec == (ns),                \
		      "%s is %lld.%09ld, want %lld.%09ld", #a,                 \
		      (long long) (a).tv_sec, (a).tv_nsec, (long long) (s),    \
		      (long) (ns))

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Waits long enough for the next timestamp to differ from the last one. */
static void tick(void)
{
	usleep(TICK_US);
}

/* ---- paths --------------------------------------------------------- */

/*
 * Returns the path of rel (a printf format) in the tree under test, in one
 * of 64 rotating buffers.
 */
static const char *P(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
	static char bufs[64][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 64];
	int n;
	va_list ap;

	n = snprintf(b, PATH_MAX, "%s/", m.path);
	va_start(ap, fmt);
	vsnprintf(b + n, PATH_MAX - n, fmt, ap);
	va_end(ap);
	return b;
}

/* Makes the current test case's directory; T() builds paths inside it. */
static void setup(const char *name)
{
	snprintf(base, sizeof(base), "%s", name);
	ck_assert_msg(mkdir(P("%s", name), 0755) == 0, "mkdir %s: %s",
		      P("%s", name), en(errno));
}

/* Returns the path of rel (a printf format) in the test case's directory. */
static const char *T(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *T(const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	return P("%s/%s", base, rel);
}

/* ---- file helpers -------------------------------------------------- */

/* Fills buf with bytes that depend on seed and on the offset. */
static void fill(void *buf, size_t n, unsigned seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char) x;
	}
}

static bool all_zero(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Writes all n bytes at off, asserting that it worked. */
static void pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, off);
		ck_assert_msg(w > 0, "pwrite(%zu bytes at %lld): %s", n,
			      (long long) off, en(errno));
		p += w;
		n -= (size_t) w;
		off += w;
	}
}

/* Reads up to n bytes at off; returns the count (short only at EOF). */
static size_t pread_all(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, p + got, n - got, off + (off_t) got);
		ck_assert_msg(r >= 0, "pread(%zu bytes at %lld): %s", n - got,
			      (long long) off + (long long) got, en(errno));
		if (r == 0)
			break;
		got += (size_t) r;
	}
	return got;
}

/* Creates or truncates path with mode 0644 and writes buf into it. */
static void put(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "open %s: %s", path, en(errno));
	pwrite_all(fd, buf, n, 0);
	ck_assert_msg(close(fd) == 0, "close %s: %s", path, en(errno));
}

/* Asserts that path holds exactly the n bytes of want. */
static void expect_file(const char *path, const void *want, size_t n)
{
	char *buf = malloc(n + 1);
	int fd = open(path, O_RDONLY);
	size_t got;
	size_t i;

	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(fd >= 0, "open %s: %s", path, en(errno));
	got = pread_all(fd, buf, n + 1, 0);
	close(fd);
	ck_assert_msg(got == n, "%s: %zu bytes, want %zu", path, got, n);
	for (i = 0; i < n; i++)
		if (buf[i] != ((const char *) want)[i])
			break;
	ck_assert_msg(i == n, "%s: byte %zu is 0x%02x, want 0x%02x", path, i,
		      (unsigned char) buf[i],
		      ((const unsigned char *) want)[i]);
	free(buf);
}

/* Asserts that n bytes at off of fd are zero. */
static void expect_zeros(int fd, off_t off, size_t n)
{
	static char buf[256 * 1024];
	size_t len, got;

	while (n) {
		len = n < sizeof(buf) ? n : sizeof(buf);
		got = pread_all(fd, buf, len, off);
		ck_assert_msg(got == len, "short read at %lld: %zu of %zu",
			      (long long) off, got, len);
		ck_assert_msg(all_zero(buf, len),
			      "non-zero byte in [%lld, %lld)", (long long) off,
			      (long long) off + (long long) len);
		off += (off_t) len;
		n -= len;
	}
}

static struct stat lst(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "lstat %s: %s", path, en(errno));
	return st;
}

static struct stat fst(int fd)
{
	struct stat st;

	ck_assert_msg(fstat(fd, &st) == 0, "fstat: %s", en(errno));
	return st;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- an unprivileged child ----------------------------------------- */

/*
 * Runs fn(a, b) in a child process, as uid and gid NOBODY with no
 * supplementary groups if drop is set.  fn returns 0 or an errno.  Returns
 * what fn returned, or -1 if the child could not drop privileges or
 * crashed.
 */
static int in_child(bool drop, int (*fn)(const char *, const char *),
		    const char *a, const char *b)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", en(errno));
	if (pid == 0) {
		if (drop && (setgroups(0, NULL) < 0 ||
			     setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
			     setresuid(NOBODY, NOBODY, NOBODY) < 0))
			_exit(255);
		_exit(fn(a, b));
	}
	ck_assert_msg(waitpid(pid, &st, 0) == pid, "waitpid: %s", en(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 255)
		return -1;
	return WEXITSTATUS(st);
}

static int as_nobody(int (*fn)(const char *, const char *), const char *a,
		     const char *b)
{
	return in_child(true, fn, a, b);
}

static int op_open_read(const char *a, const char *b)
{
	int fd = open(a, O_RDONLY);

	(void) b;
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int op_create(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);

	(void) b;
	if (fd < 0)
		return errno;
	return close(fd) < 0 ? errno : 0;
}

static int op_mkdir(const char *a, const char *b)
{
	(void) b;
	return mkdir(a, 0755) < 0 ? errno : 0;
}

static int op_unlink(const char *a, const char *b)
{
	(void) b;
	return unlink(a) < 0 ? errno : 0;
}

static int op_truncate(const char *a, const char *b)
{
	(void) b;
	return truncate(a, 1) < 0 ? errno : 0;
}

static int op_append(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY | O_APPEND);

	(void) b;
	if (fd < 0)
		return errno;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return errno ? errno : EIO;
	}
	return close(fd) < 0 ? errno : 0;
}

static int op_chmod(const char *a, const char *b)
{
	(void) b;
	return chmod(a, 0777) < 0 ? errno : 0;
}

static int op_utime_now(const char *a, const char *b)
{
	(void) b;
	return utimensat(AT_FDCWD, a, NULL, 0) < 0 ? errno : 0;
}

static int op_utime_set(const char *a, const char *b)
{
	const struct timespec t[2] = {{1, 0}, {1, 0}};

	(void) b;
	return utimensat(AT_FDCWD, a, t, 0) < 0 ? errno : 0;
}

static int op_chown_root(const char *a, const char *b)
{
	(void) b;
	return chown(a, 0, (gid_t) -1) < 0 ? errno : 0;
}

/* ---- suite building ------------------------------------------------ */

#define ADD(s, t)                                                              \
	do {                                                                   \
		TCase *tc_ = tcase_create(#t);                                 \
		tcase_set_timeout(tc_, CASE_TIMEOUT);                          \
		tcase_add_test(tc_, t);                                        \
		suite_add_tcase(s, tc_);                                       \
	} while (0)

/* ---- files --------------------------------------------------------- */

START_TEST(file_excl)
{
	int fd;

	setup("file_excl");
	OK(fd = open(T("f"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	OK(close(fd));
	FAILS(open(T("f"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	OK(symlink("dangling", T("l")));
	FAILS(open(T("l"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	ck_assert(!exists(T("dangling")));
	FAILS(open(T("missing"), O_RDONLY), ENOENT);
}
END_TEST

START_TEST(file_trunc)
{
	struct stat st;
	int fd;

	setup("file_trunc");
	put(T("f"), "0123456789", 10);
	OK(fd = open(T("f"), O_WRONLY | O_TRUNC));
	st = fst(fd);
	ck_assert_int_eq(st.st_size, 0);
	pwrite_all(fd, "ab", 2, 0);
	OK(close(fd));
	expect_file(T("f"), "ab", 2);
}
END_TEST

START_TEST(file_append)
{
	int fd;

	setup("file_append");
	put(T("f"), "hello", 5);
	OK(fd = open(T("f"), O_WRONLY | O_APPEND));
	ck_assert_int_eq(write(fd, " world", 6), 6);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 11);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(write(fd, "!", 1), 1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 12);
	OK(close(fd));
	expect_file(T("f"), "hello world!", 12);
}
END_TEST

/* Several writes at odd offsets across 64 KiB blocks, against a model. */
START_TEST(file_pwrite_pread)
{
	static char model[400 * 1024], buf[sizeof(model)], chunk[100 * 1024];
	static const struct {
		off_t off;
		size_t len;
	} w[] = {
		{0, 1000},	 {65535, 2},	     {65536 - 10, 70000},
		{131071, 65537}, {300000, 100000},   {5, 3},
		{196608, 65536}, {65536 * 2 - 1, 1}, {250000, 1},
	};
	size_t i, end = 0;
	int fd;

	setup("file_pwrite_pread");
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	memset(model, 0, sizeof(model));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(chunk, w[i].len, (unsigned) i + 1);
		pwrite_all(fd, chunk, w[i].len, w[i].off);
		memcpy(model + w[i].off, chunk, w[i].len);
		if ((size_t) w[i].off + w[i].len > end)
			end = (size_t) w[i].off + w[i].len;
	}
	ck_assert_int_eq(fst(fd).st_size, (off_t) end);
	/* the descriptor's offset is untouched by pwrite */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), end);
	ck_assert_msg(memcmp(buf, model, end) == 0, "content differs");
	ck_assert_uint_eq(pread_all(fd, buf, 10, 65530), 10);
	ck_assert_msg(memcmp(buf, model + 65530, 10) == 0, "pread at 65530");
	OK(close(fd));
	expect_file(T("f"), model, end);
}
END_TEST

START_TEST(file_read_eof)
{
	char buf[16];
	int fd;

	setup("file_read_eof");
	put(T("f"), "abc", 3);
	OK(fd = open(T("f"), O_RDONLY));
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 1), 2);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 3), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 1000000), 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	OK(close(fd));
	put(T("empty"), "", 0);
	OK(fd = open(T("empty"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	OK(close(fd));
}
END_TEST

START_TEST(file_truncate)
{
	static char big[200000];
	int fd;

	setup("file_truncate");
	put(T("f"), "abcdef", 6);
	OK(truncate(T("f"), 3));
	expect_file(T("f"), "abc", 3);
	OK(truncate(T("f"), 100000));
	ck_assert_int_eq(lst(T("f")).st_size, 100000);
	OK(fd = open(T("f"), O_RDWR));
	expect_zeros(fd, 3, 100000 - 3);
	/* shrink inside a block, grow again: the cut bytes must not return */
	memset(big, 'x', sizeof(big));
	pwrite_all(fd, big, sizeof(big), 0);
	OK(ftruncate(fd, 1000));
	ck_assert_int_eq(fst(fd).st_size, 1000);
	OK(ftruncate(fd, 200000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	ck_assert_uint_eq(pread_all(fd, big, 1000, 0), 1000);
	ck_assert_msg(big[0] == 'x' && big[999] == 'x', "kept bytes lost");
	expect_zeros(fd, 1000, 200000 - 1000);
	OK(ftruncate(fd, 0));
	ck_assert_int_eq(fst(fd).st_size, 0);
	ck_assert_int_eq(pread(fd, big, 10, 0), 0);
	OK(close(fd));
	FAILS(truncate(T("f"), -1), EINVAL);
	/* cuts at and next to a 64 KiB boundary */
	memset(big, 'y', sizeof(big));
	put(T("g"), big, sizeof(big));
	OK(truncate(T("g"), 65536));
	OK(truncate(T("g"), 65537));
	OK(truncate(T("g"), 131072));
	OK(fd = open(T("g"), O_RDONLY));
	ck_assert_uint_eq(pread_all(fd, big, 2, 65535), 2);
	ck_assert_msg(big[0] == 'y' && big[1] == 0, "bytes at 65535: %d %d",
		      big[0], big[1]);
	expect_zeros(fd, 65536, 65536);
	OK(close(fd));
}
END_TEST

START_TEST(file_holes)
{
	char buf[10];
	int fd;

	setup("file_holes");
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, "end", 3, MIB + 5);
	ck_assert_int_eq(fst(fd).st_size, MIB + 8);
	expect_zeros(fd, 0, MIB + 5);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), MIB + 5), 3);
	ck_assert(memcmp(buf, "end", 3) == 0);
	/* a hole between two blocks of data */
	pwrite_all(fd, "start", 5, 0);
	expect_zeros(fd, 5, MIB);
	OK(close(fd));
}
END_TEST

/* Data past 4 GiB and past 1 TiB in a sparse file. */
START_TEST(file_sparse_huge)
{
	static const off_t offs[] = {4 * GIB + 12345, TIB + 777};
	char data[4096], buf[4096];
	struct stat st;
	size_t i;
	int fd;

	setup("file_sparse_huge");
	for (i = 0; i < 2; i++) {
		OK(fd = open(T("f%zu", i), O_RDWR | O_CREAT, 0644));
		fill(data, sizeof(data), (unsigned) i + 7);
		pwrite_all(fd, data, sizeof(data), offs[i]);
		OK(fsync(fd));
		st = fst(fd);
		ck_assert_int_eq(st.st_size, offs[i] + 4096);
		ck_assert_msg(st.st_blocks * 512 < st.st_size / 1024,
			      "st_blocks %lld for a sparse file of %lld bytes",
			      (long long) st.st_blocks, (long long) st.st_size);
		ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), offs[i]),
				  sizeof(buf));
		ck_assert_msg(memcmp(buf, data, sizeof(buf)) == 0,
			      "data at %lld differs", (long long) offs[i]);
		expect_zeros(fd, offs[i] - 100000, 100000);
		expect_zeros(fd, 0, 100000);
		expect_zeros(fd, 2 * GIB - 50000, 100000);
		ck_assert_int_eq(pread(fd, buf, 10, offs[i] + 4096), 0);
		OK(close(fd));
		st = lst(T("f%zu", i));
		ck_assert_int_eq(st.st_size, offs[i] + 4096);
	}
}
END_TEST

START_TEST(file_dense_blocks)
{
	static char data[MIB];
	struct stat st;
	int fd;

	setup("file_dense_blocks");
	fill(data, sizeof(data), 3);
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, sizeof(data), 0);
	OK(fsync(fd));
	st = fst(fd);
	OK(close(fd));
	ck_assert_int_eq(st.st_size, MIB);
	ck_assert_msg(st.st_blocks >= 2048, "st_blocks %lld for 1 MiB",
		      (long long) st.st_blocks);
	st = lst(T("f"));
	ck_assert_msg(st.st_blocks >= 2048, "st_blocks %lld for 1 MiB",
		      (long long) st.st_blocks);
	expect_file(T("f"), data, sizeof(data));
}
END_TEST

/* Data in [0, 1M) and [2M, 3M), holes in [1M, 2M) and [3M, 4M). */
START_TEST(file_seek_data_hole)
{
	static char data[MIB];
	int fd;

	setup("file_seek_data_hole");
	fill(data, sizeof(data), 9);
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, MIB, 0);
	pwrite_all(fd, data, MIB, 2 * MIB);
	OK(ftruncate(fd, 4 * MIB));
	OK(fsync(fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), MIB);
	ck_assert_int_eq(lseek(fd, 1000, SEEK_HOLE), MIB);
	ck_assert_int_eq(lseek(fd, MIB, SEEK_DATA), 2 * MIB);
	ck_assert_int_eq(lseek(fd, MIB + 4096, SEEK_DATA), 2 * MIB);
	ck_assert_int_eq(lseek(fd, MIB + 4096, SEEK_HOLE), MIB + 4096);
	ck_assert_int_eq(lseek(fd, 2 * MIB, SEEK_HOLE), 3 * MIB);
	FAILS(lseek(fd, 3 * MIB, SEEK_DATA), ENXIO);
	ck_assert_int_eq(lseek(fd, 3 * MIB + 5, SEEK_HOLE), 3 * MIB + 5);
	FAILS(lseek(fd, 4 * MIB, SEEK_DATA), ENXIO);
	FAILS(lseek(fd, 4 * MIB, SEEK_HOLE), ENXIO);
	FAILS(lseek(fd, 5 * MIB, SEEK_HOLE), ENXIO);
	OK(close(fd));
	/* a hole first, then data to the end */
	OK(fd = open(T("g"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, data, MIB, MIB);
	OK(fsync(fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), MIB);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), 0);
	ck_assert_int_eq(lseek(fd, MIB, SEEK_HOLE), 2 * MIB);
	FAILS(lseek(fd, 2 * MIB, SEEK_DATA), ENXIO);
	/* the descriptor's offset moved to the last answer */
	ck_assert_int_eq(lseek(fd, 10, SEEK_DATA), MIB);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), MIB);
	OK(close(fd));
}
END_TEST

START_TEST(file_fallocate)
{
	static char data[300 * 1024], buf[sizeof(data)];
	struct stat st;
	int fd;

	setup("file_fallocate");
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	/* mode 0: the size grows, the new range reads as zeros */
	OK(fallocate(fd, 0, 0, 200000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	expect_zeros(fd, 0, 200000);
	/* a range inside the file changes nothing */
	OK(fallocate(fd, 0, 1000, 1000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	/* more than the disk holds: ENOSPC, and the size stays (not in
	 * reference mode: ext4 keeps what it allocated until it ran out) */
	if (!ref_mode) {
		ck_assert_int_eq(fallocate(fd, 0, 0, (off_t) 1 << 43), -1);
		ck_assert_int_eq(errno, ENOSPC);
		ck_assert_int_eq(fst(fd).st_size, 200000);
	}
	/* KEEP_SIZE past the end leaves the size alone */
	OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 100000, 500000));
	ck_assert_int_eq(fst(fd).st_size, 200000);
	ck_assert_int_eq(pread(fd, buf, 10, 200000), 0);

	/* PUNCH_HOLE: the range reads zero, the bytes around stay */
	fill(data, sizeof(data), 5);
	pwrite_all(fd, data, sizeof(data), 0);
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000,
		     200000));
	st = fst(fd);
	ck_assert_int_eq(st.st_size, sizeof(data));
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), sizeof(data));
	ck_assert_msg(memcmp(buf, data, 1000) == 0, "bytes before the hole");
	ck_assert_msg(all_zero(buf + 1000, 200000), "hole not zero");
	ck_assert_msg(
		memcmp(buf + 201000, data + 201000, sizeof(data) - 201000) == 0,
		"bytes after the hole");
	/* punching past the end does not grow the file */
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		     sizeof(data) - 10, 100000));
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	expect_zeros(fd, sizeof(data) - 10, 10);
	/* PUNCH_HOLE without KEEP_SIZE is invalid */
	FAILS2(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EINVAL,
	       EOPNOTSUPP);
	/* a collapse that is not block aligned */
	FAILS2(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 1, 3), EOPNOTSUPP,
	       EINVAL);
	ck_assert_int_eq(fst(fd).st_size, sizeof(data));
	FAILS(fallocate(fd, 0, 0, 0), EINVAL);
	OK(close(fd));
}
END_TEST

START_TEST(file_copy_range)
{
	static char data[300 * 1024], want[400 * 1024];
	loff_t in_off = 1000, out_off = 5000;
	size_t left = 200000;
	ssize_t n;
	int in, out;

	setup("file_copy_range");
	fill(data, sizeof(data), 11);
	put(T("src"), data, sizeof(data));
	put(T("dst"), "head", 4);
	OK(in = open(T("src"), O_RDONLY));
	OK(out = open(T("dst"), O_WRONLY));
	while (left) {
		n = copy_file_range(in, &in_off, out, &out_off, left, 0);
		ck_assert_msg(n > 0, "copy_file_range: %zd (%s)", n, en(errno));
		left -= (size_t) n;
	}
	ck_assert_int_eq(in_off, 201000);
	ck_assert_int_eq(out_off, 205000);
	/* at the end of the source it copies nothing */
	in_off = sizeof(data);
	ck_assert_int_eq(copy_file_range(in, &in_off, out, &out_off, 10, 0), 0);
	OK(close(in));
	OK(close(out));
	memset(want, 0, sizeof(want));
	memcpy(want, "head", 4);
	memcpy(want + 5000, data + 1000, 200000);
	expect_file(T("dst"), want, 205000);
	expect_file(T("src"), data, sizeof(data));
}
END_TEST

START_TEST(file_name_max)
{
	char name[300];
	int fd;

	setup("file_name_max");
	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	OK(fd = open(T("%s", name), O_WRONLY | O_CREAT, 0644));
	OK(close(fd));
	ck_assert(exists(T("%s", name)));
	OK(mkdir(T("d"), 0755));
	OK(mkdir(T("d/%s", name), 0755));
	OK(rename(T("%s", name), T("d/%s/%s", name, name)));
	ck_assert(exists(T("d/%s/%s", name, name)));
	name[255] = 'n';
	name[256] = '\0';
	FAILS(open(T("%s", name), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	FAILS(mkdir(T("%s", name), 0755), ENAMETOOLONG);
	FAILS(access(T("%s", name), F_OK), ENAMETOOLONG);
	FAILS(symlink("x", T("%s", name)), ENAMETOOLONG);
	FAILS(rename(T("d"), T("%s", name)), ENAMETOOLONG);
	ck_assert(exists(T("d")));
}
END_TEST

/* Collects the names of dir other than "." and "..", sorted, \n-joined. */
static char *list_dir(const char *dir, int *count)
{
	struct dirent *de;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	DIR *d;

	d = opendir(dir);
	ck_assert_msg(d != NULL, "opendir %s: %s", dir, en(errno));
	f = open_memstream(&out, &len);
	*count = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fprintf(f, "%s\n", de->d_name);
		(*count)++;
	}
	ck_assert_msg(errno == 0, "readdir %s: %s", dir, en(errno));
	closedir(d);
	fclose(f);
	return out;
}

START_TEST(file_odd_names)
{
	static const char *const names[] = {
		"\x01start",
		"with space",
		" lead",
		"trail ",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"bad\xff\xfe",
		"tab\tnl\n",
		"-dash",
		"quote'\"",
		"back\\slash",
		"%s%n",
		"...",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	bool seen[sizeof(names) / sizeof(names[0])] = {false};
	struct dirent *de;
	size_t i, total = 0;
	DIR *d;

	setup("file_odd_names");
	for (i = 0; i < n; i++)
		put(T("%s", names[i]), names[i], strlen(names[i]));
	d = opendir(T("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		total++;
		for (i = 0; i < n; i++)
			if (!strcmp(de->d_name, names[i]))
				break;
		ck_assert_msg(i < n, "unexpected name in readdir: %s",
			      de->d_name);
		ck_assert_msg(!seen[i], "name listed twice: %s", names[i]);
		seen[i] = true;
	}
	closedir(d);
	ck_assert_uint_eq(total, n);
	for (i = 0; i < n; i++)
		expect_file(T("%s", names[i]), names[i], strlen(names[i]));
}
END_TEST

static Suite *files_suite(void)
{
	Suite *s = suite_create("files");

	ADD(s, file_excl);
	ADD(s, file_trunc);
	ADD(s, file_append);
	ADD(s, file_pwrite_pread);
	ADD(s, file_read_eof);
	ADD(s, file_truncate);
	ADD(s, file_holes);
	ADD(s, file_sparse_huge);
	ADD(s, file_dense_blocks);
	ADD(s, file_seek_data_hole);
	ADD(s, file_fallocate);
	ADD(s, file_copy_range);
	ADD(s, file_name_max);
	ADD(s, file_odd_names);
	return s;
}

/* ---- directories --------------------------------------------------- */

START_TEST(dir_mkdir_rmdir)
{
	struct stat st;

	setup("dir_mkdir_rmdir");
	OK(mkdir(T("d"), 0750));
	st = lst(T("d"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_uint_eq(st.st_nlink, 2);
	FAILS(mkdir(T("d"), 0755), EEXIST);
	put(T("f"), "x", 1);
	FAILS(mkdir(T("f"), 0755), EEXIST);
	OK(mkdir(T("d/sub"), 0755));
	put(T("d/sub/file"), "x", 1);
	FAILS(rmdir(T("d")), ENOTEMPTY);
	FAILS(rmdir(T("d/sub")), ENOTEMPTY);
	OK(unlink(T("d/sub/file")));
	OK(rmdir(T("d/sub")));
	OK(rmdir(T("d")));
	ck_assert(!exists(T("d")));
	FAILS(rmdir(T("d")), ENOENT);
	FAILS(rmdir(T("f")), ENOTDIR);
	FAILS(unlink(T("missing")), ENOENT);
	OK(mkdir(T("e"), 0755));
	FAILS(unlink(T("e")), EISDIR);
	ck_assert(exists(T("e")));
	FAILS(rmdir(T("e/.")), EINVAL);
	FAILS(mkdir(T("missing/x"), 0755), ENOENT);
	FAILS(mkdir(T("f/x"), 0755), ENOTDIR);
	FAILS(open(T("f/x"), O_RDONLY), ENOTDIR);
	FAILS(open(T("f/x"), O_WRONLY | O_CREAT, 0644), ENOTDIR);
	FAILS(access(T("f/"), F_OK), ENOTDIR);
	FAILS(open(T("missing/x"), O_WRONLY | O_CREAT, 0644), ENOENT);
}
END_TEST

START_TEST(dir_readdir_exact)
{
	struct dirent *de;
	int dots = 0, files = 0, dirs = 0, links = 0;
	struct stat st;
	DIR *d;

	setup("dir_readdir_exact");
	put(T("a"), "", 0);
	put(T("b"), "", 0);
	OK(mkdir(T("c"), 0755));
	OK(symlink("a", T("l")));
	OK(mkdir(T("empty"), 0755));
	d = opendir(T("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			dots++;
			continue;
		}
		st = lst(T("%s", de->d_name));
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
	d = opendir(T("empty"));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		ck_assert_msg(!strcmp(de->d_name, ".") ||
				      !strcmp(de->d_name, ".."),
			      "unexpected %s", de->d_name);
		dots++;
	}
	closedir(d);
	ck_assert_int_eq(dots, 2);
	FAILS(opendir(T("a")) ? 0 : -1, ENOTDIR);
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
		OK(fd = open(T("%lu", i), O_WRONLY | O_CREAT | O_EXCL, 0644));
		close(fd);
	}
	d = opendir(T("."));
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
	d = opendir(T("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		i = strtoul(de->d_name, &end, 10);
		ck_assert_msg(!seen[i], "%s listed twice", de->d_name);
		seen[i] = 1;
		total++;
		if (i % 2 == 0)
			OK(unlink(T("%lu", i)));
	}
	closedir(d);
	ck_assert_int_eq(total, BIG_DIR);
	free(list_dir(T("."), &total));
	ck_assert_int_eq(total, BIG_DIR / 2);
}
END_TEST

START_TEST(dir_rewind)
{
	struct dirent *de;
	int before = 0, after = 0;
	DIR *d;

	setup("dir_rewind");
	put(T("a"), "", 0);
	d = opendir(T("."));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		before++;
	ck_assert_int_eq(before, 3);
	put(T("b"), "", 0);
	put(T("c"), "", 0);
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
	OK(mkdir(T("d"), 0755));
	ck_assert_uint_eq(lst(T("d")).st_nlink, 2);
	OK(mkdir(T("d/s1"), 0755));
	OK(mkdir(T("d/s2"), 0755));
	OK(mkdir(T("d/s3"), 0755));
	put(T("d/file"), "", 0);
	OK(symlink("s1", T("d/link")));
	ck_assert_uint_eq(lst(T("d")).st_nlink, 5);
	OK(rmdir(T("d/s3")));
	ck_assert_uint_eq(lst(T("d")).st_nlink, 4);
	OK(mkdir(T("e"), 0755));
	OK(rename(T("d/s2"), T("e/s2")));
	ck_assert_uint_eq(lst(T("d")).st_nlink, 3);
	ck_assert_uint_eq(lst(T("e")).st_nlink, 3);
	ck_assert_uint_eq(lst(T("e/s2")).st_nlink, 2);
	/* the test directory itself: d and e */
	ck_assert_uint_eq(lst(T(".")).st_nlink, 4);
}
END_TEST

static Suite *dirs_suite(void)
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
	OK(mkdir(T("d1"), 0755));
	OK(mkdir(T("d2"), 0755));
	put(T("d1/a"), "shared", 6);
	OK(link(T("d1/a"), T("d2/b")));
	a = lst(T("d1/a"));
	b = lst(T("d2/b"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	ck_assert_uint_eq(b.st_nlink, 2);
	OK(fd = open(T("d2/b"), O_WRONLY | O_APPEND));
	ck_assert_int_eq(write(fd, " data", 5), 5);
	OK(close(fd));
	expect_file(T("d1/a"), "shared data", 11);
	FAILS(link(T("d1/a"), T("d2/b")), EEXIST);
	FAILS(link(T("missing"), T("d2/c")), ENOENT);
	OK(link(T("d1/a"), T("d1/c")));
	ck_assert_uint_eq(lst(T("d2/b")).st_nlink, 3);
	OK(unlink(T("d1/a")));
	OK(unlink(T("d1/c")));
	b = lst(T("d2/b"));
	ck_assert_uint_eq(b.st_nlink, 1);
	ck_assert_uint_eq(b.st_ino, a.st_ino);
	expect_file(T("d2/b"), "shared data", 11);
	OK(mkdir(T("dir"), 0755));
	FAILS(link(T("dir"), T("dirlink")), EPERM);
	ck_assert(!exists(T("dirlink")));
	ck_assert_uint_eq(lst(T("dir")).st_nlink, 2);
}
END_TEST

START_TEST(link_symlink)
{
	static const char target[] = "../some/where/\x01 odd \xff target";
	char buf[PATH_MAX];
	struct stat st;
	char longt[4000];

	setup("link_symlink");
	OK(symlink(target, T("s")));
	st = lst(T("s"));
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(st.st_size, strlen(target));
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(readlink(T("s"), buf, sizeof(buf)), strlen(target));
	ck_assert_str_eq(buf, target);
	/* a short buffer gets the first bytes, no NUL */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(readlink(T("s"), buf, 3), 3);
	ck_assert(memcmp(buf, "../Z", 4) == 0);
	FAILS(stat(T("s"), &st), ENOENT);
	FAILS(symlink("x", T("s")), EEXIST);
	FAILS(readlink(T("."), buf, sizeof(buf)), EINVAL);
	/* a symlink to a file is followed */
	put(T("f"), "via link", 8);
	OK(symlink("f", T("tof")));
	expect_file(T("tof"), "via link", 8);
	ck_assert_uint_eq(lst(T("f")).st_ino, lst(T("f")).st_ino);
	ck_assert(stat(T("tof"), &st) == 0 && st.st_ino == lst(T("f")).st_ino);
	/* long targets */
	memset(longt, 'a', sizeof(longt));
	longt[sizeof(longt) - 1] = '\0';
	OK(symlink(longt, T("long")));
	ck_assert_int_eq(lst(T("long")).st_size, sizeof(longt) - 1);
	ck_assert_int_eq(readlink(T("long"), buf, sizeof(buf)),
			 sizeof(longt) - 1);
	ck_assert(memcmp(buf, longt, sizeof(longt) - 1) == 0);
	/* loops */
	OK(symlink("loop2", T("loop1")));
	OK(symlink("loop1", T("loop2")));
	OK(symlink("self", T("self")));
	FAILS(open(T("loop1"), O_RDONLY), ELOOP);
	FAILS(stat(T("self"), &st), ELOOP);
	FAILS(open(T("self"), O_WRONLY | O_CREAT, 0644), ELOOP);
	FAILS(open(T("tof"), O_RDONLY | O_NOFOLLOW), ELOOP);
	/* link(2) does not follow a symlink */
	OK(link(T("tof"), T("tof2")));
	st = lst(T("tof2"));
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_uint_eq(st.st_nlink, 2);
	ck_assert_uint_eq(st.st_ino, lst(T("tof")).st_ino);
	ck_assert_uint_eq(lst(T("f")).st_nlink, 1);
}
END_TEST

static Suite *links_suite(void)
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
	OK(mkdir(T("d1"), 0755));
	OK(mkdir(T("d2"), 0755));
	put(T("d1/a"), "aaa", 3);
	ino = lst(T("d1/a")).st_ino;
	OK(rename(T("d1/a"), T("d1/b")));
	ck_assert(!exists(T("d1/a")));
	ck_assert_uint_eq(lst(T("d1/b")).st_ino, ino);
	OK(rename(T("d1/b"), T("d2/c")));
	ck_assert(!exists(T("d1/b")));
	expect_file(T("d2/c"), "aaa", 3);
	/* replacing an existing file */
	put(T("d1/old"), "old", 3);
	OK(rename(T("d2/c"), T("d1/old")));
	expect_file(T("d1/old"), "aaa", 3);
	ck_assert_uint_eq(lst(T("d1/old")).st_ino, ino);
	ck_assert_uint_eq(lst(T("d1/old")).st_nlink, 1);
	ck_assert(!exists(T("d2/c")));
	/* a directory over an empty directory */
	OK(mkdir(T("d1/sub"), 0755));
	put(T("d1/sub/f"), "f", 1);
	OK(mkdir(T("d2/empty"), 0755));
	ino = lst(T("d1/sub")).st_ino;
	OK(rename(T("d1/sub"), T("d2/empty")));
	ck_assert(!exists(T("d1/sub")));
	st = lst(T("d2/empty"));
	ck_assert_uint_eq(st.st_ino, ino);
	expect_file(T("d2/empty/f"), "f", 1);
	ck_assert_uint_eq(lst(T("d1")).st_nlink, 2);
	ck_assert_uint_eq(lst(T("d2")).st_nlink, 3);
	/* ".." of the moved directory is its new parent */
	ck_assert_uint_eq(lst(T("d2/empty/..")).st_ino, lst(T("d2")).st_ino);
	/* missing source, renaming onto itself */
	FAILS(rename(T("d1/missing"), T("d1/x")), ENOENT);
	OK(rename(T("d1/old"), T("d1/old")));
	expect_file(T("d1/old"), "aaa", 3);
	FAILS(rename(T("d1/old"), T("d1/nodir/x")), ENOENT);
	FAILS(rename(T("d1/old"), T("d1/old/x")), ENOTDIR);
}
END_TEST

START_TEST(rename_errors)
{
	setup("rename_errors");
	OK(mkdir(T("a"), 0755));
	put(T("a/in_a"), "A", 1);
	OK(mkdir(T("b"), 0755));
	put(T("b/in_b"), "B", 1);
	put(T("f"), "F", 1);
	OK(mkdir(T("a/sub"), 0755));
	/* a directory over a non-empty one: both intact */
	FAILS2(rename(T("a"), T("b")), ENOTEMPTY, EEXIST);
	expect_file(T("a/in_a"), "A", 1);
	expect_file(T("b/in_b"), "B", 1);
	FAILS(rename(T("f"), T("b")), EISDIR);
	expect_file(T("f"), "F", 1);
	ck_assert(S_ISDIR(lst(T("b")).st_mode));
	FAILS(rename(T("a"), T("f")), ENOTDIR);
	ck_assert(S_ISDIR(lst(T("a")).st_mode));
	expect_file(T("f"), "F", 1);
	FAILS(rename(T("a"), T("a/sub/x")), EINVAL);
	FAILS(rename(T("a"), T("a/sub")), EINVAL);
	ck_assert(exists(T("a/sub")));
	FAILS(rename(T("a/sub"), T("a/sub/..")), EBUSY);
	ck_assert(exists(T("a/in_a")));
}
END_TEST

START_TEST(rename_noreplace)
{
	setup("rename_noreplace");
	put(T("a"), "A", 1);
	put(T("b"), "B", 1);
	FAILS(renameat2(AT_FDCWD, T("a"), AT_FDCWD, T("b"), RENAME_NOREPLACE),
	      EEXIST);
	expect_file(T("a"), "A", 1);
	expect_file(T("b"), "B", 1);
	OK(renameat2(AT_FDCWD, T("a"), AT_FDCWD, T("c"), RENAME_NOREPLACE));
	ck_assert(!exists(T("a")));
	expect_file(T("c"), "A", 1);
	FAILS(renameat2(AT_FDCWD, T("c"), AT_FDCWD, T("z"),
			RENAME_NOREPLACE | RENAME_EXCHANGE),
	      EINVAL);
}
END_TEST

START_TEST(rename_exchange)
{
	struct stat st;
	ino_t ia, ib;

	setup("rename_exchange");
	put(T("a"), "AAA", 3);
	put(T("b"), "B", 1);
	ia = lst(T("a")).st_ino;
	ib = lst(T("b")).st_ino;
	OK(renameat2(AT_FDCWD, T("a"), AT_FDCWD, T("b"), RENAME_EXCHANGE));
	expect_file(T("a"), "B", 1);
	expect_file(T("b"), "AAA", 3);
	ck_assert_uint_eq(lst(T("a")).st_ino, ib);
	ck_assert_uint_eq(lst(T("b")).st_ino, ia);
	FAILS(renameat2(AT_FDCWD, T("a"), AT_FDCWD, T("none"), RENAME_EXCHANGE),
	      ENOENT);
	expect_file(T("a"), "B", 1);

	/* a file and a directory in different parents */
	OK(mkdir(T("p1"), 0755));
	OK(mkdir(T("p2"), 0755));
	put(T("p1/file"), "file", 4);
	OK(mkdir(T("p2/dir"), 0755));
	put(T("p2/dir/inner"), "in", 2);
	ck_assert_uint_eq(lst(T("p1")).st_nlink, 2);
	ck_assert_uint_eq(lst(T("p2")).st_nlink, 3);
	OK(renameat2(AT_FDCWD, T("p1/file"), AT_FDCWD, T("p2/dir"),
		     RENAME_EXCHANGE));
	st = lst(T("p1/file"));
	ck_assert(S_ISDIR(st.st_mode));
	expect_file(T("p1/file/inner"), "in", 2);
	expect_file(T("p2/dir"), "file", 4);
	ck_assert_uint_eq(lst(T("p1")).st_nlink, 3);
	ck_assert_uint_eq(lst(T("p2")).st_nlink, 2);
	ck_assert_uint_eq(lst(T("p1/file/..")).st_ino, lst(T("p1")).st_ino);
}
END_TEST

START_TEST(rename_hardlink_self)
{
	struct stat a, b;

	setup("rename_hardlink_self");
	put(T("a"), "same", 4);
	OK(link(T("a"), T("b")));
	OK(rename(T("a"), T("b")));
	a = lst(T("a"));
	b = lst(T("b"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	expect_file(T("a"), "same", 4);
	expect_file(T("b"), "same", 4);
}
END_TEST

START_TEST(rename_times)
{
	const struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat f0, p10, p20, f, p1, p2;

	setup("rename_times");
	OK(mkdir(T("d1"), 0755));
	OK(mkdir(T("d2"), 0755));
	put(T("d1/f"), "f", 1);
	OK(utimensat(AT_FDCWD, T("d1"), past, 0));
	OK(utimensat(AT_FDCWD, T("d2"), past, 0));
	f0 = lst(T("d1/f"));
	p10 = lst(T("d1"));
	p20 = lst(T("d2"));
	tick();
	OK(rename(T("d1/f"), T("d2/g")));
	f = lst(T("d2/g"));
	p1 = lst(T("d1"));
	p2 = lst(T("d2"));
	AFTER(f.st_ctim, f0.st_ctim);
	AFTER(p1.st_mtim, p10.st_mtim);
	AFTER(p1.st_ctim, p10.st_ctim);
	AFTER(p2.st_mtim, p20.st_mtim);
	AFTER(p2.st_ctim, p20.st_ctim);
	/* the moved file's mtime is not touched */
	ck_assert(ts_cmp(&f.st_mtim, &f0.st_mtim) == 0);

	/* within one directory */
	OK(utimensat(AT_FDCWD, T("d2"), past, 0));
	p20 = lst(T("d2"));
	f0 = f;
	tick();
	OK(rename(T("d2/g"), T("d2/h")));
	f = lst(T("d2/h"));
	p2 = lst(T("d2"));
	AFTER(f.st_ctim, f0.st_ctim);
	AFTER(p2.st_mtim, p20.st_mtim);
	AFTER(p2.st_ctim, p20.st_ctim);
}
END_TEST

static Suite *rename_suite(void)
{
	Suite *s = suite_create("rename");

	ADD(s, rename_basic);
	ADD(s, rename_errors);
	ADD(s, rename_noreplace);
	ADD(s, rename_exchange);
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
	put(T("f"), "hello", 5);
	OK(fd = open(T("f"), O_RDWR));
	OK(fd2 = open(T("f"), O_RDONLY));
	OK(unlink(T("f")));
	ck_assert(!exists(T("f")));
	free(list_dir(T("."), &n));
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
	put(T("f"), "new", 3);
	ck_assert_uint_ne(lst(T("f")).st_ino, st.st_ino);
	ck_assert_int_eq(fst(fd).st_size, 100);
	OK(close(fd));
	ck_assert_uint_eq(pread_all(fd2, buf, 200, 0), 100);
	OK(close(fd2));
	expect_file(T("f"), "new", 3);
}
END_TEST

START_TEST(unlinked_rename_over)
{
	char buf[16];
	struct stat st;
	int fd;

	setup("unlinked_rename_over");
	put(T("a"), "new", 3);
	put(T("b"), "old!", 4);
	OK(fd = open(T("b"), O_RDWR));
	OK(rename(T("a"), T("b")));
	st = fst(fd);
	ck_assert_uint_eq(st.st_nlink, 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), 4);
	ck_assert(memcmp(buf, "old!", 4) == 0);
	pwrite_all(fd, "OLD", 3, 0);
	ck_assert_uint_eq(pread_all(fd, buf, sizeof(buf), 0), 4);
	ck_assert(memcmp(buf, "OLD!", 4) == 0);
	expect_file(T("b"), "new", 3);
	ck_assert_uint_ne(lst(T("b")).st_ino, st.st_ino);
	OK(close(fd));
	expect_file(T("b"), "new", 3);
	ck_assert(!exists(T("a")));
}
END_TEST

static Suite *unlinked_suite(void)
{
	Suite *s = suite_create("unlinked");

	ADD(s, unlinked_open);
	ADD(s, unlinked_rename_over);
	return s;
}

/* ---- metadata ------------------------------------------------------ */

START_TEST(meta_chmod)
{
	struct stat st0, st;
	int fd;

	setup("meta_chmod");
	put(T("f"), "x", 1);
	st0 = lst(T("f"));
	tick();
	OK(chmod(T("f"), 0));
	st = lst(T("f"));
	ck_assert_uint_eq(st.st_mode & 07777, 0);
	ck_assert(S_ISREG(st.st_mode));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
	OK(chmod(T("f"), 07777));
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 07777);
	OK(fd = open(T("f"), O_RDONLY));
	OK(fchmod(fd, 0640));
	ck_assert_uint_eq(fst(fd).st_mode & 07777, 0640);
	OK(close(fd));
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 0640);
	OK(mkdir(T("d"), 0755));
	OK(chmod(T("d"), 01777));
	st = lst(T("d"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 01777);
	FAILS(chmod(T("missing"), 0644), ENOENT);
}
END_TEST

START_TEST(meta_chown)
{
	struct stat st0, st;
	int fd;

	setup("meta_chown");
	put(T("f"), "x", 1);
	st0 = lst(T("f"));
	ck_assert_uint_eq(st0.st_uid, 0);
	ck_assert_uint_eq(st0.st_gid, 0);
	tick();
	OK(chown(T("f"), 1234, 5678));
	st = lst(T("f"));
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 5678);
	AFTER(st.st_ctim, st0.st_ctim);
	OK(chown(T("f"), (uid_t) -1, 42));
	st = lst(T("f"));
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 42);
	OK(fd = open(T("f"), O_RDONLY));
	OK(fchown(fd, 7, (gid_t) -1));
	OK(close(fd));
	st = lst(T("f"));
	ck_assert_uint_eq(st.st_uid, 7);
	ck_assert_uint_eq(st.st_gid, 42);
	/* lchown changes the link, chown its target */
	OK(symlink("f", T("l")));
	OK(lchown(T("l"), 99, 98));
	st = lst(T("l"));
	ck_assert_uint_eq(st.st_uid, 99);
	ck_assert_uint_eq(st.st_gid, 98);
	ck_assert_uint_eq(lst(T("f")).st_uid, 7);
	OK(chown(T("l"), 3, 4));
	ck_assert_uint_eq(lst(T("f")).st_uid, 3);
	ck_assert_uint_eq(lst(T("l")).st_uid, 99);
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
	put(T("f"), "x", 1);
	OK(utimensat(AT_FDCWD, T("f"), t, 0));
	st = lst(T("f"));
	TS_IS(st.st_atim, 1234567890, 123456789);
	TS_IS(st.st_mtim, 1500000000, 987654321);
	/* UTIME_OMIT leaves a time alone */
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = 1600000000;
	t[1].tv_nsec = 1;
	OK(utimensat(AT_FDCWD, T("f"), t, 0));
	st = lst(T("f"));
	TS_IS(st.st_atim, 1234567890, 123456789);
	TS_IS(st.st_mtim, 1600000000, 1);
	t[0].tv_sec = 1700000000;
	t[0].tv_nsec = 999999999;
	t[1].tv_nsec = UTIME_OMIT;
	OK(utimensat(AT_FDCWD, T("f"), t, 0));
	st = lst(T("f"));
	TS_IS(st.st_atim, 1700000000, 999999999);
	TS_IS(st.st_mtim, 1600000000, 1);
	/* UTIME_NOW for one, then both (NULL) */
	st0 = st;
	tick();
	clock_gettime(CLOCK_REALTIME, &before);
	before.tv_sec -= 1;
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_nsec = UTIME_NOW;
	OK(utimensat(AT_FDCWD, T("f"), t, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	after.tv_sec += 1;
	st = lst(T("f"));
	TS_IS(st.st_atim, 1700000000, 999999999);
	AFTER(st.st_mtim, before);
	AFTER(after, st.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
	OK(utimensat(AT_FDCWD, T("f"), NULL, 0));
	st = lst(T("f"));
	AFTER(st.st_atim, before);
	AFTER(after, st.st_atim);
	/* before 1970 and after 2038 */
	t[0].tv_sec = -100;
	t[0].tv_nsec = 250000000;
	t[1].tv_sec = 4102444800LL;
	t[1].tv_nsec = 5;
	OK(fd = open(T("f"), O_RDONLY));
	OK(futimens(fd, t));
	OK(close(fd));
	st = lst(T("f"));
	TS_IS(st.st_atim, -100, 250000000);
	TS_IS(st.st_mtim, 4102444800LL, 5);
	/* a symlink's own times */
	OK(symlink("f", T("l")));
	t[0].tv_sec = 1111111111;
	t[0].tv_nsec = 11;
	t[1].tv_sec = 1222222222;
	t[1].tv_nsec = 22;
	OK(utimensat(AT_FDCWD, T("l"), t, AT_SYMLINK_NOFOLLOW));
	st = lst(T("l"));
	TS_IS(st.st_mtim, 1222222222, 22);
	st = lst(T("f"));
	TS_IS(st.st_mtim, 4102444800LL, 5);
	/* on a directory */
	OK(mkdir(T("d"), 0755));
	OK(utimensat(AT_FDCWD, T("d"), t, 0));
	TS_IS(lst(T("d")).st_mtim, 1222222222, 22);
	TS_IS(lst(T("d")).st_atim, 1111111111, 11);
}
END_TEST

/* mtime and ctime move on write and truncate; atime does not on write. */
START_TEST(meta_times_write)
{
	const struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat st0, st;
	int fd;

	setup("meta_times_write");
	put(T("f"), "0123456789", 10);
	OK(utimensat(AT_FDCWD, T("f"), past, 0));
	st0 = lst(T("f"));
	tick();
	/* with the page out of the cache, the write below makes the kernel
	 * read it first (writeback cache): that is no access either */
	OK(fd = open(T("f"), O_RDONLY));
	OK(fsync(fd));
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	OK(close(fd));
	OK(fd = open(T("f"), O_WRONLY));
	pwrite_all(fd, "ab", 2, 3);
	OK(close(fd));
	st = lst(T("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
	TS_IS(st.st_atim, 1000000000, 0);

	st0 = st;
	tick();
	OK(truncate(T("f"), 4));
	st = lst(T("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);

	st0 = st;
	tick();
	OK(fd = open(T("f"), O_WRONLY));
	OK(ftruncate(fd, 100000));
	OK(close(fd));
	st = lst(T("f"));
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);

	st0 = st;
	tick();
	OK(fd = open(T("f"), O_WRONLY | O_TRUNC));
	OK(close(fd));
	st = lst(T("f"));
	ck_assert_int_eq(st.st_size, 0);
	AFTER(st.st_mtim, st0.st_mtim);
	AFTER(st.st_ctim, st0.st_ctim);
}
END_TEST

START_TEST(meta_ctime_link)
{
	struct stat st0, st;

	setup("meta_ctime_link");
	put(T("f"), "x", 1);
	st0 = lst(T("f"));
	tick();
	OK(link(T("f"), T("g")));
	st = lst(T("f"));
	AFTER(st.st_ctim, st0.st_ctim);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
	st0 = st;
	tick();
	OK(unlink(T("g")));
	st = lst(T("f"));
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
	OK(mkdir(T("d"), 0755));
	for (i = 0; i < 7; i++) {
		OK(utimensat(AT_FDCWD, T("d"), past, 0));
		d0 = lst(T("d"));
		tick();
		switch (i) {
		case 0:
			put(T("d/f"), "x", 1);
			break;
		case 1:
			OK(mkdir(T("d/sub"), 0755));
			break;
		case 2:
			OK(symlink("f", T("d/l")));
			break;
		case 3:
			OK(link(T("d/f"), T("d/h")));
			break;
		case 4:
			OK(unlink(T("d/f")));
			break;
		case 5:
			OK(rmdir(T("d/sub")));
			break;
		case 6:
			OK(mknod(T("d/fifo"), S_IFIFO | 0644, 0));
			break;
		}
		d = lst(T("d"));
		ck_assert_msg(ts_cmp(&d.st_mtim, &d0.st_mtim) > 0 &&
				      ts_cmp(&d.st_ctim, &d0.st_ctim) > 0,
			      "step %d: directory times did not move", i);
	}
	/* a write to a file inside does not touch the directory */
	OK(utimensat(AT_FDCWD, T("d"), past, 0));
	d0 = lst(T("d"));
	tick();
	put(T("d/h"), "changed", 7);
	d = lst(T("d"));
	ck_assert(ts_cmp(&d.st_mtim, &d0.st_mtim) == 0);
	ck_assert(ts_cmp(&d.st_ctim, &d0.st_ctim) == 0);
}
END_TEST

/* relatime: a read updates atime when atime is older than mtime. */
START_TEST(meta_atime)
{
	struct timespec t[2];
	struct stat st0, st;
	char buf[16];
	int fd;

	setup("meta_atime");
	put(T("f"), "some data", 9);
	st0 = lst(T("f"));
	t[0].tv_sec = st0.st_mtim.tv_sec - 10;
	t[0].tv_nsec = 0;
	t[1].tv_sec = 0;
	t[1].tv_nsec = UTIME_OMIT;
	OK(utimensat(AT_FDCWD, T("f"), t, 0));
	st0 = lst(T("f"));
	ck_assert(ts_cmp(&st0.st_atim, &st0.st_mtim) < 0);
	tick();
	OK(fd = open(T("f"), O_RDONLY));
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 9);
	OK(close(fd));
	st = lst(T("f"));
	AFTER(st.st_atim, st0.st_atim);
	ck_assert(ts_cmp(&st.st_atim, &st.st_mtim) >= 0);
	ck_assert(ts_cmp(&st.st_mtim, &st0.st_mtim) == 0);
}
END_TEST

START_TEST(meta_statfs)
{
	struct statvfs sv;

	setup("meta_statfs");
	OK(statvfs(T("."), &sv));
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
	OK(mkdir(T("open"), 0777));
	OK(chmod(T("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, T("open/f"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_mkdir, T("open/d"), NULL), 0);
	st = lst(T("open/f"));
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	st = lst(T("open/d"));
	ck_assert_uint_eq(st.st_uid, NOBODY);
	ck_assert_uint_eq(st.st_gid, NOBODY);
	put(T("open/root"), "", 0);
	st = lst(T("open/root"));
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_uint_eq(st.st_gid, 0);
}
END_TEST

START_TEST(meta_umask)
{
	int fd;

	setup("meta_umask");
	umask(022);
	OK(fd = open(T("f1"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	OK(mkdir(T("d1"), 0777));
	OK(mknod(T("p1"), S_IFIFO | 0666, 0));
	ck_assert_uint_eq(lst(T("f1")).st_mode & 07777, 0644);
	ck_assert_uint_eq(lst(T("d1")).st_mode & 07777, 0755);
	ck_assert_uint_eq(lst(T("p1")).st_mode & 07777, 0644);
	umask(077);
	OK(fd = open(T("f2"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	OK(mkdir(T("d2"), 0777));
	ck_assert_uint_eq(lst(T("f2")).st_mode & 07777, 0600);
	ck_assert_uint_eq(lst(T("d2")).st_mode & 07777, 0700);
	umask(0);
	OK(fd = open(T("f3"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	ck_assert_uint_eq(lst(T("f3")).st_mode & 07777, 0666);
	OK(symlink("f3", T("l")));
	ck_assert_uint_eq(lst(T("l")).st_mode & 07777, 0777);
	umask(022);
}
END_TEST

START_TEST(meta_setgid_dir)
{
	struct stat st;
	int fd;

	setup("meta_setgid_dir");
	OK(mkdir(T("sg"), 0755));
	OK(chown(T("sg"), 0, 4321));
	OK(chmod(T("sg"), 02775));
	ck_assert_uint_eq(lst(T("sg")).st_mode & 07777, 02775);
	OK(fd = open(T("sg/f"), O_WRONLY | O_CREAT, 0644));
	close(fd);
	OK(mkdir(T("sg/sub"), 0755));
	OK(mknod(T("sg/p"), S_IFIFO | 0644, 0));
	st = lst(T("sg/f"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_uid, 0);
	ck_assert_uint_eq(st.st_mode & S_ISGID, 0);
	st = lst(T("sg/sub"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_mode & 07777, 02755);
	ck_assert_uint_eq(lst(T("sg/p")).st_gid, 4321);
	/* and on to the next level */
	OK(mkdir(T("sg/sub/deeper"), 0700));
	st = lst(T("sg/sub/deeper"));
	ck_assert_uint_eq(st.st_gid, 4321);
	ck_assert_uint_eq(st.st_mode & 07777, 02700);
	/* without the bit, the creator's group */
	OK(mkdir(T("plain"), 0755));
	OK(chown(T("plain"), 0, 4321));
	put(T("plain/f"), "", 0);
	ck_assert_uint_eq(lst(T("plain/f")).st_gid, 0);
}
END_TEST

START_TEST(meta_mknod)
{
	char buf[8];
	struct stat st;
	int fd;

	setup("meta_mknod");
	OK(mknod(T("fifo"), S_IFIFO | 0640, 0));
	OK(mknod(T("sock"), S_IFSOCK | 0600, 0));
	OK(mknod(T("null"), S_IFCHR | 0666, makedev(1, 3)));
	OK(mknod(T("blk"), S_IFBLK | 0600, makedev(7, 200)));
	OK(mkfifo(T("fifo2"), 0600));
	OK(mknod(T("reg"), S_IFREG | 0600, 0));
	st = lst(T("fifo"));
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert(S_ISFIFO(lst(T("fifo2")).st_mode));
	ck_assert(S_ISSOCK(lst(T("sock")).st_mode));
	st = lst(T("null"));
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
	ck_assert_uint_eq(major(st.st_rdev), 1);
	ck_assert_uint_eq(minor(st.st_rdev), 3);
	st = lst(T("blk"));
	ck_assert(S_ISBLK(st.st_mode));
	ck_assert_uint_eq(st.st_rdev, makedev(7, 200));
	st = lst(T("reg"));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 0);
	FAILS(mknod(T("fifo"), S_IFIFO | 0640, 0), EEXIST);
	/* the FIFO works as one */
	OK(fd = open(T("fifo"), O_RDWR | O_NONBLOCK));
	ck_assert_int_eq(write(fd, "pipe", 4), 4);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert(memcmp(buf, "pipe", 4) == 0);
	FAILS(read(fd, buf, sizeof(buf)), EAGAIN);
	OK(close(fd));
	ck_assert_int_eq(lst(T("fifo")).st_size, 0);
}
END_TEST

static Suite *meta_suite(void)
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
	put(T("secret"), "s", 1);
	OK(chmod(T("secret"), 0600));
	put(T("public"), "p", 1);
	OK(chmod(T("public"), 0644));
	ck_assert_int_eq(as_nobody(op_open_read, T("public"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_open_read, T("secret"), NULL), EACCES);
	ck_assert_int_eq(as_nobody(op_append, T("public"), NULL), EACCES);
	OK(mkdir(T("closed"), 0700));
	put(T("closed/f"), "f", 1);
	OK(chmod(T("closed/f"), 0644));
	ck_assert_int_eq(as_nobody(op_open_read, T("closed/f"), NULL), EACCES);
}
END_TEST

START_TEST(perm_create)
{
	setup("perm_create");
	OK(mkdir(T("rootdir"), 0755));
	ck_assert_int_eq(as_nobody(op_create, T("rootdir/f"), NULL), EACCES);
	ck_assert_int_eq(as_nobody(op_mkdir, T("rootdir/d"), NULL), EACCES);
	ck_assert(!exists(T("rootdir/f")));
	put(T("rootdir/g"), "", 0);
	ck_assert_int_eq(as_nobody(op_unlink, T("rootdir/g"), NULL), EACCES);
	ck_assert(exists(T("rootdir/g")));
	OK(mkdir(T("open"), 0755));
	OK(chmod(T("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, T("open/f"), NULL), 0);
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
	put(T("f"), "abc", 3);
	OK(chmod(T("f"), 06777));
	ck_assert_int_eq(as_nobody(op_overwrite, T("f"), NULL), 0);
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 0777);
	OK(chmod(T("f"), 06777));
	ck_assert_int_eq(as_nobody(op_truncate, T("f"), NULL), 0);
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 0777);
	/* set-group-ID without group execute stays for a group member */
	OK(chown(T("f"), 0, NOBODY));
	OK(chmod(T("f"), 06767));
	ck_assert_int_eq(as_nobody(op_overwrite, T("f"), NULL), 0);
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 02767);
	/* root keeps both on write and truncate, but not on chown */
	OK(chmod(T("f"), 06777));
	ck_assert_int_eq(in_child(false, op_overwrite, T("f"), NULL), 0);
	ck_assert_int_eq(in_child(false, op_truncate, T("f"), NULL), 0);
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 06777);
	OK(chown(T("f"), 0, 0));
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 0777);
	/* capabilities go on any write, root's too */
	OK(setxattr(T("f"), "security.capability", caps, sizeof(caps), 0));
	ck_assert_int_eq(
		getxattr(T("f"), "security.capability", buf, sizeof(buf)),
		sizeof(caps));
	ck_assert_int_eq(in_child(false, op_overwrite, T("f"), NULL), 0);
	FAILS(getxattr(T("f"), "security.capability", buf, sizeof(buf)),
	      ENODATA);
	OK(setxattr(T("f"), "security.capability", caps, sizeof(caps), 0));
	OK(chown(T("f"), 0, 0));
	FAILS(getxattr(T("f"), "security.capability", buf, sizeof(buf)),
	      ENODATA);
	expect_file(T("f"), "x", 1);
}
END_TEST

START_TEST(perm_sticky)
{
	setup("perm_sticky");
	OK(mkdir(T("tmp"), 0755));
	OK(chmod(T("tmp"), 01777));
	put(T("tmp/roots"), "r", 1);
	OK(chmod(T("tmp/roots"), 0666));
	ck_assert_int_eq(as_nobody(op_unlink, T("tmp/roots"), NULL), EPERM);
	ck_assert(exists(T("tmp/roots")));
	ck_assert_int_eq(as_nobody(op_create, T("tmp/mine"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_unlink, T("tmp/mine"), NULL), 0);
	ck_assert(!exists(T("tmp/mine")));
	/* without the sticky bit, the same unlink works */
	OK(chmod(T("tmp"), 0777));
	ck_assert_int_eq(as_nobody(op_unlink, T("tmp/roots"), NULL), 0);
}
END_TEST

START_TEST(perm_suid_cleared)
{
	struct stat st;

	setup("perm_suid_cleared");
	put(T("f"), "abc", 3);
	OK(chmod(T("f"), 04777));
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 04777);
	ck_assert_int_eq(as_nobody(op_append, T("f"), NULL), 0);
	st = lst(T("f"));
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_msg((st.st_mode & 07777) == 0777, "mode %04o, want 0777",
		      (unsigned) (st.st_mode & 07777));
	expect_file(T("f"), "abcx", 4);
	/* root writing keeps the bit */
	OK(chmod(T("f"), 04777));
	put(T("f"), "root", 4);
	ck_assert_uint_eq(lst(T("f")).st_mode & 07777, 04777);
}
END_TEST

START_TEST(perm_chown)
{
	setup("perm_chown");
	OK(mkdir(T("open"), 0755));
	OK(chmod(T("open"), 0777));
	ck_assert_int_eq(as_nobody(op_create, T("open/f"), NULL), 0);
	ck_assert_uint_eq(lst(T("open/f")).st_uid, NOBODY);
	ck_assert_int_eq(as_nobody(op_chown_root, T("open/f"), NULL), EPERM);
	ck_assert_uint_eq(lst(T("open/f")).st_uid, NOBODY);
	put(T("open/g"), "", 0);
	ck_assert_int_eq(as_nobody(op_chown_root, T("open/g"), NULL), EPERM);
	ck_assert_int_eq(as_nobody(op_chmod, T("open/g"), NULL), EPERM);
	ck_assert_uint_eq(lst(T("open/g")).st_mode & 07777, 0644);
	ck_assert_int_eq(as_nobody(op_chmod, T("open/f"), NULL), 0);
	ck_assert_uint_eq(lst(T("open/f")).st_mode & 07777, 0777);
}
END_TEST

/* Setting times to now takes write access, setting them ownership. */
START_TEST(perm_utimes)
{
	struct stat st;

	setup("perm_utimes");
	put(T("rw"), "", 0);
	OK(chmod(T("rw"), 0666));
	put(T("ro"), "", 0);
	OK(chmod(T("ro"), 0644));
	ck_assert_int_eq(as_nobody(op_utime_now, T("rw"), NULL), 0);
	ck_assert_int_eq(as_nobody(op_utime_set, T("rw"), NULL), EPERM);
	ck_assert_int_eq(as_nobody(op_utime_now, T("ro"), NULL), EACCES);
	st = lst(T("rw"));
	ck_assert_int_gt(st.st_mtim.tv_sec, 1);
}
END_TEST

static Suite *perm_suite(void)
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
	put(T("f"), "x", 1);
	OK(setxattr(T("f"), "user.a", "value-a", 7, XATTR_CREATE));
	FAILS(setxattr(T("f"), "user.a", "again", 5, XATTR_CREATE), EEXIST);
	FAILS(setxattr(T("f"), "user.missing", "v", 1, XATTR_REPLACE), ENODATA);
	FAILS(getxattr(T("f"), "user.missing", buf, sizeof(buf)), ENODATA);
	ck_assert_int_eq(getxattr(T("f"), "user.a", NULL, 0), 7);
	FAILS(getxattr(T("f"), "user.a", buf, 3), ERANGE);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(getxattr(T("f"), "user.a", buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "value-a");
	OK(setxattr(T("f"), "user.a", "A", 1, XATTR_REPLACE));
	ck_assert_int_eq(getxattr(T("f"), "user.a", buf, sizeof(buf)), 1);
	ck_assert(buf[0] == 'A');
	OK(setxattr(T("f"), "user.bin", bin, sizeof(bin), 0));
	ck_assert_int_eq(getxattr(T("f"), "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert(memcmp(buf, bin, sizeof(bin)) == 0);
	OK(setxattr(T("f"), "user.empty", "", 0, 0));
	ck_assert_int_eq(getxattr(T("f"), "user.empty", buf, sizeof(buf)), 0);
	/* listing */
	n = listxattr(T("f"), NULL, 0);
	ck_assert_int_ge(n, (ssize_t) sizeof("user.a") + sizeof("user.bin") +
				    sizeof("user.empty"));
	FAILS(listxattr(T("f"), list, 3), ERANGE);
	ck_assert_int_eq(listxattr(T("f"), list, sizeof(list)), n);
	expect_listed(list, n, "user.a");
	expect_listed(list, n, "user.bin");
	expect_listed(list, n, "user.empty");
	/* removal */
	OK(removexattr(T("f"), "user.a"));
	FAILS(getxattr(T("f"), "user.a", buf, sizeof(buf)), ENODATA);
	FAILS(removexattr(T("f"), "user.a"), ENODATA);
	n = listxattr(T("f"), list, sizeof(list));
	ck_assert_int_ge(n, 0);
	for (p = list; p < list + n; p += strlen(p) + 1)
		ck_assert_str_ne(p, "user.a");
	OK(setxattr(T("f"), "user.a", "back", 4, XATTR_CREATE));
	/* through a descriptor */
	OK(fd = open(T("f"), O_RDONLY));
	OK(fsetxattr(fd, "user.fd", "fd", 2, 0));
	ck_assert_int_eq(fgetxattr(fd, "user.fd", buf, sizeof(buf)), 2);
	OK(fremovexattr(fd, "user.fd"));
	OK(close(fd));
	FAILS(setxattr(T("f"), "bogus.ns", "v", 1, 0), EOPNOTSUPP);
	FAILS(getxattr(T("missing"), "user.a", buf, sizeof(buf)), ENOENT);
}
END_TEST

START_TEST(xattr_dir_symlink)
{
	char buf[64];

	setup("xattr_dir_symlink");
	OK(mkdir(T("d"), 0755));
	OK(setxattr(T("d"), "user.dir", "on a dir", 8, 0));
	ck_assert_int_eq(getxattr(T("d"), "user.dir", buf, sizeof(buf)), 8);
	ck_assert(memcmp(buf, "on a dir", 8) == 0);
	put(T("target"), "", 0);
	OK(symlink("target", T("l")));
	FAILS(lsetxattr(T("l"), "user.x", "v", 1, 0), EPERM);
	FAILS(lgetxattr(T("l"), "user.x", buf, sizeof(buf)), ENODATA);
	/* without l, the call goes to the target */
	OK(setxattr(T("l"), "user.x", "v", 1, 0));
	ck_assert_int_eq(getxattr(T("target"), "user.x", buf, sizeof(buf)), 1);
	/* the attributes go with the inode: hard links share them */
	OK(link(T("target"), T("hard")));
	ck_assert_int_eq(getxattr(T("hard"), "user.x", buf, sizeof(buf)), 1);
	OK(rename(T("d"), T("d2")));
	ck_assert_int_eq(getxattr(T("d2"), "user.dir", buf, sizeof(buf)), 8);
}
END_TEST

/* sqlitefs only: ext4 holds a value in one block without ea_inode. */
START_TEST(xattr_64k)
{
	static char val[XATTR_SIZE_MAX + 1], buf[XATTR_SIZE_MAX];

	setup("xattr_64k");
	put(T("f"), "", 0);
	fill(val, sizeof(val), 64);
	OK(setxattr(T("f"), "user.big", val, XATTR_SIZE_MAX, 0));
	ck_assert_int_eq(getxattr(T("f"), "user.big", NULL, 0), XATTR_SIZE_MAX);
	FAILS(getxattr(T("f"), "user.big", buf, XATTR_SIZE_MAX - 1), ERANGE);
	ck_assert_int_eq(getxattr(T("f"), "user.big", buf, sizeof(buf)),
			 XATTR_SIZE_MAX);
	ck_assert(memcmp(buf, val, XATTR_SIZE_MAX) == 0);
	FAILS(setxattr(T("f"), "user.toobig", val, XATTR_SIZE_MAX + 1, 0),
	      E2BIG);
}
END_TEST

static Suite *xattr_suite(void)
{
	Suite *s = suite_create("xattr");

	ADD(s, xattr_file);
	ADD(s, xattr_dir_symlink);
	if (!ref_mode)
		ADD(s, xattr_64k);
	return s;
}

/* ---- mmap ---------------------------------------------------------- */

/* The byte mmap_write leaves at offset i of /persist/mmap. */
static unsigned char mmap_byte(size_t i)
{
	return (unsigned char) ((i / 4096) * 7 + (i % 4096) * 13 + 1);
}

static void mkdir_p(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
		      path, en(errno));
}

START_TEST(mmap_write)
{
	static unsigned char buf[MIB];
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	size_t i;
	int fd;

	mkdir_p(P("persist"));
	OK(fd = open(P("persist/mmap"), O_RDWR | O_CREAT | O_TRUNC, 0644));
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
	OK(fd = open(P("persist/mmap"), O_RDONLY));
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
	put(T("f"), "0123456789", 10);
	OK(fd = open(T("f"), O_RDWR));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_msg(p != MAP_FAILED, "mmap: %s", en(errno));
	pwrite_all(fd, "AB", 2, 0);
	ck_assert(p[0] == 'A' && p[1] == 'B');
	p[5] = 'x';
	ck_assert_uint_eq(pread_all(fd, buf, 8, 0), 8);
	ck_assert(memcmp(buf, "AB234x67", 8) == 0);
	OK(munmap(p, 4096));
	OK(close(fd));
	expect_file(T("f"), "AB234x6789", 10);
}
END_TEST

static Suite *mmap_suite(void)
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
	put(T("f"), "lock", 4);
	OK(fd = open(T("f"), O_RDWR));
	OK(flock(fd, LOCK_EX));
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "ex"), EWOULDBLOCK);
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "sh"), EWOULDBLOCK);
	/* another open file description in this process conflicts too */
	OK(fd2 = open(T("f"), O_RDONLY));
	FAILS(flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	OK(flock(fd, LOCK_UN));
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "ex"), 0);
	OK(flock(fd, LOCK_SH));
	OK(flock(fd2, LOCK_SH | LOCK_NB));
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "sh"), 0);
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "ex"), EWOULDBLOCK);
	OK(close(fd2));
	/* closing the last descriptor releases the lock */
	OK(close(fd));
	ck_assert_int_eq(in_child(false, op_flock, T("f"), "ex"), 0);
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
	put(T("f"), "0123456789", 10);
	OK(fd = open(T("f"), O_RDWR));
	OK(fcntl(fd, F_SETLK, &fl));
	rc = in_child(false, op_posix_lock, T("f"), "conflict");
	ck_assert_msg(rc == EAGAIN || rc == EACCES,
		      "conflicting F_SETLK: %d (%s)", rc, en(rc));
	ck_assert_int_eq(in_child(false, op_posix_lock, T("f"), "getlk"), 0);
	ck_assert_int_eq(in_child(false, op_posix_lock, T("f"), "free"), 0);
	/* our own F_GETLK sees no conflict with our own lock */
	fl.l_start = 50;
	fl.l_len = 10;
	OK(fcntl(fd, F_GETLK, &fl));
	ck_assert_int_eq(fl.l_type, F_UNLCK);
	fl.l_type = F_UNLCK;
	fl.l_start = 0;
	fl.l_len = 100;
	OK(fcntl(fd, F_SETLK, &fl));
	ck_assert_int_eq(in_child(false, op_posix_lock, T("f"), "conflict"), 0);
	OK(close(fd));
}
END_TEST

static Suite *lock_suite(void)
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
	OK(mkdir(T("w"), 0755));
	put(T("outside"), "o", 1);
	OK(ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	OK(inotify_add_watch(ifd, T("w"),
			     IN_CREATE | IN_MODIFY | IN_ATTRIB | IN_DELETE |
				     IN_MOVED_FROM | IN_MOVED_TO));
	OK(fd = open(T("w/f"), O_WRONLY | O_CREAT, 0644));
	ck_assert_int_eq(write(fd, "data", 4), 4);
	OK(close(fd));
	OK(chmod(T("w/f"), 0600));
	OK(rename(T("w/f"), T("w/g")));
	OK(mkdir(T("w/d"), 0755));
	OK(unlink(T("w/g")));
	OK(rmdir(T("w/d")));
	OK(rename(T("outside"), T("w/moved_in")));
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

static Suite *inotify_suite(void)
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
	OK(fd = open(T("f"), O_RDWR | O_CREAT, 0644));
	pwrite_all(fd, "sync me", 7, 0);
	OK(fsync(fd));
	pwrite_all(fd, "again", 5, 100);
	OK(fdatasync(fd));
	OK(syncfs(fd));
	OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	OK(rfd = open(T("f"), O_RDONLY));
	OK(fsync(rfd));
	OK(close(rfd));
	OK(dfd = open(T("."), O_RDONLY | O_DIRECTORY));
	OK(fsync(dfd));
	OK(fdatasync(dfd));
	OK(syncfs(dfd));
	OK(close(dfd));
	OK(close(fd));
	sync();
	ck_assert_int_eq(lst(T("f")).st_size, 105);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("sync");

	ADD(s, sync_calls);
	return s;
}

/* ---- persistence: phase 1 writes, later phases read ---------------- */

#define SPARSE_OFF (5 * GIB + 12345) /* where /persist/sparse has data */
#define BIG_LEN (3 * MIB + 123)	     /* size of /persist/big */
#define ODD_NAME "odd \x01\xff name"
#define PERSIST_ENTRIES 17	 /* names in /persist */
#define PUNCHED_LEN (300 * 1024) /* /persist/punched, a hole in it */
static const char xattr_bin[] = "\0\1\2bin\0";
static const struct timespec meta_times[2] = {{1000000000, 5},
					      {1234567890, 123456789}};
static const struct timespec dir_times[2] = {{1300000000, 41},
					     {1300000000, 42}};

/* Renames, unlinks, truncations, a hole, and what to compare later. */
static void persist_setup_more(void)
{
	static char data[PUNCHED_LEN];
	char buf[64];
	int fd;

	put(P("persist/orig"), "renamed", 7);
	OK(rename(P("persist/orig"), P("persist/renamed")));
	put(P("persist/gone"), "gone", 4);
	OK(unlink(P("persist/gone")));
	memset(data, 'x', 200000);
	put(P("persist/trunc"), data, 200000);
	OK(truncate(P("persist/trunc"), 70000));
	OK(truncate(P("persist/trunc"), 150000));
	fill(data, PUNCHED_LEN, 43);
	put(P("persist/punched"), data, PUNCHED_LEN);
	OK(fd = open(P("persist/punched"), O_RDWR));
	OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000,
		     200000));
	OK(close(fd));
	OK(utimensat(AT_FDCWD, P("persist/dir/sub"), dir_times, 0));
	OK(setxattr(P("persist/x"), "user.removed", "r", 1, 0));
	OK(removexattr(P("persist/x"), "user.removed"));
	/* inode numbers and ctimes, to compare after the remount */
	snprintf(buf, sizeof(buf), "%llu",
		 (unsigned long long) lst(P("persist/a")).st_ino);
	OK(setxattr(P("persist/x"), "user.a_ino", buf, strlen(buf), 0));
	snprintf(buf, sizeof(buf), "%lld.%09ld",
		 (long long) lst(P("persist/meta")).st_ctim.tv_sec,
		 lst(P("persist/meta")).st_ctim.tv_nsec);
	OK(setxattr(P("persist/x"), "user.meta_ctime", buf, strlen(buf), 0));
}

START_TEST(persist_setup)
{
	static char data[BIG_LEN];
	int fd;

	mkdir_p(P("persist"));
	put(P("persist/a"), "hello persist\n", 14);
	put(P("persist/empty"), "", 0);
	put(P("persist/" ODD_NAME), "odd", 3);
	OK(fd = open(P("persist/sparse"), O_RDWR | O_CREAT, 0644));
	fill(data, 4096, 41);
	pwrite_all(fd, data, 4096, SPARSE_OFF);
	OK(close(fd));
	fill(data, BIG_LEN, 42);
	put(P("persist/big"), data, BIG_LEN);
	put(P("persist/h1"), "linked", 6);
	OK(mkdir(P("persist/sub"), 0755));
	OK(link(P("persist/h1"), P("persist/sub/h2")));
	OK(symlink("a", P("persist/sym")));
	put(P("persist/x"), "", 0);
	OK(setxattr(P("persist/x"), "user.bin", xattr_bin, sizeof(xattr_bin),
		    0));
	OK(setxattr(P("persist/x"), "user.text", "v", 1, 0));
	put(P("persist/meta"), "meta", 4);
	OK(chown(P("persist/meta"), 1234, 5678));
	OK(chmod(P("persist/meta"), 0640));
	OK(utimensat(AT_FDCWD, P("persist/meta"), meta_times, 0));
	OK(mkdir(P("persist/dir"), 0700));
	OK(mkdir(P("persist/dir/sub"), 0755));
	OK(mkdir(P("persist/dir/sub/deep"), 0755));
	OK(setxattr(P("persist/dir"), "user.d", "dirattr", 7, 0));
	OK(mknod(P("persist/fifo"), S_IFIFO | 0600, 0));
	OK(mknod(P("persist/null"), S_IFCHR | 0644, makedev(1, 3)));
	persist_setup_more();
}
END_TEST

static Suite *persist_setup_suite(void)
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

	free(list_dir(P("persist"), &n));
	ck_assert_int_eq(n, PERSIST_ENTRIES);
	expect_file(P("persist/a"), "hello persist\n", 14);
	expect_file(P("persist/empty"), "", 0);
	expect_file(P("persist/" ODD_NAME), "odd", 3);
	fill(data, BIG_LEN, 42);
	expect_file(P("persist/big"), data, BIG_LEN);
	st = lst(P("persist/sparse"));
	ck_assert_int_eq(st.st_size, SPARSE_OFF + 4096);
	ck_assert_msg(st.st_blocks * 512 < 4 * MIB, "st_blocks %lld",
		      (long long) st.st_blocks);
	OK(fd = open(P("persist/sparse"), O_RDONLY));
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

	OK(fd = open(P("persist/mmap"), O_RDONLY));
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

	a = lst(P("persist/h1"));
	b = lst(P("persist/sub/h2"));
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_nlink, 2);
	expect_file(P("persist/sub/h2"), "linked", 6);
	a = lst(P("persist/sym"));
	ck_assert(S_ISLNK(a.st_mode));
	ck_assert_int_eq(a.st_size, 1);
	ck_assert_int_eq(readlink(P("persist/sym"), buf, sizeof(buf)), 1);
	ck_assert(buf[0] == 'a');
	expect_file(P("persist/sym"), "hello persist\n", 14);
}
END_TEST

START_TEST(persist_meta)
{
	char buf[64];
	struct stat st;

	st = lst(P("persist/meta"));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 5678);
	TS_IS(st.st_mtim, 1234567890, 123456789);
	TS_IS(st.st_atim, 1000000000, 5);
	ck_assert_int_eq(getxattr(P("persist/x"), "user.bin", buf, sizeof(buf)),
			 sizeof(xattr_bin));
	ck_assert(memcmp(buf, xattr_bin, sizeof(xattr_bin)) == 0);
	ck_assert_int_eq(
		getxattr(P("persist/x"), "user.text", buf, sizeof(buf)), 1);
	ck_assert_int_eq(getxattr(P("persist/dir"), "user.d", buf, sizeof(buf)),
			 7);
	ck_assert(memcmp(buf, "dirattr", 7) == 0);
	st = lst(P("persist/dir"));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_nlink, 3);
	ck_assert(S_ISDIR(lst(P("persist/dir/sub/deep")).st_mode));
	ck_assert_uint_eq(lst(P("persist")).st_nlink, 4);
	st = lst(P("persist/fifo"));
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	st = lst(P("persist/null"));
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

	expect_file(P("persist/renamed"), "renamed", 7);
	ck_assert(!exists(P("persist/orig")));
	ck_assert(!exists(P("persist/gone")));
	OK(fd = open(P("persist/trunc"), O_RDONLY));
	ck_assert_int_eq(fst(fd).st_size, 150000);
	ck_assert_uint_eq(pread_all(fd, data, 70000, 0), 70000);
	ck_assert_msg(data[0] == 'x' && data[69999] == 'x', "kept bytes");
	expect_zeros(fd, 70000, 80000);
	OK(close(fd));
	fill(data, PUNCHED_LEN, 43);
	memset(data + 1000, 0, 200000);
	expect_file(P("persist/punched"), data, PUNCHED_LEN);
	st = lst(P("persist/dir/sub"));
	TS_IS(st.st_mtim, 1300000000, 42);
	FAILS(getxattr(P("persist/x"), "user.removed", buf, sizeof(buf)),
	      ENODATA);
	memset(buf, 0, sizeof(buf));
	OK(n = getxattr(P("persist/x"), "user.a_ino", buf, sizeof(buf) - 1));
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long) lst(P("persist/a")).st_ino);
	ck_assert_str_eq(buf, want);
	memset(buf, 0, sizeof(buf));
	OK(n = getxattr(P("persist/x"), "user.meta_ctime", buf,
			sizeof(buf) - 1));
	st = lst(P("persist/meta"));
	snprintf(want, sizeof(want), "%lld.%09ld",
		 (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	ck_assert_str_eq(buf, want);
}
END_TEST

static Suite *persist_suite(void)
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

/* Lazily unmounts dir if something got mounted there. */
static void unmount_stray(const char *dir)
{
	char cmd[2 * PATH_MAX];
	struct stat a, b;
	char parent[2 * PATH_MAX];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev == b.st_dev)
		return;
	fprintf(stderr, "# %s was mounted: unmounting\n", dir);
	snprintf(cmd, sizeof(cmd), "fusermount3 -u -z '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot unmount %s\n", dir);
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
	mkdir_p(P("cli_second_daemon"));
	put(P("cli_second_daemon/alive"), "yes", 3);
	expect_file(P("cli_second_daemon/alive"), "yes", 3);
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

static Suite *cli_suite(void)
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

	OK(mkdir(P("dur"), 0755));
	fill(data, SYNCED_LEN, 31);
	OK(fd = open(P("dur/synced"), O_WRONLY | O_CREAT, 0644));
	pwrite_all(fd, data, SYNCED_LEN, 0);
	OK(fsync(fd));
	OK(close(fd));
	OK(dfd = open(P("dur"), O_RDONLY | O_DIRECTORY));
	OK(fsync(dfd));
	OK(close(dfd));
	fill(data, UNSYNCED_LEN, 32);
	put(P("dur/unsynced"), data, UNSYNCED_LEN);
}
END_TEST

static Suite *durable_write_suite(void)
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
	expect_file(P("dur/synced"), data, SYNCED_LEN);
	/* create and write are two operations, each all there or not:
	 * absent, empty, or complete (one WRITE request) */
	if (lstat(P("dur/unsynced"), &st) == 0 && st.st_size != 0) {
		fill(data, UNSYNCED_LEN, 32);
		expect_file(P("dur/unsynced"), data, UNSYNCED_LEN);
	} else if (lstat(P("dur/unsynced"), &st) < 0) {
		ck_assert_msg(errno == ENOENT, "lstat dur/unsynced: %s",
			      en(errno));
	}
	ck_assert(!exists(P("dur/orphan")));
	expect_file(P("persist/a"), "hello persist\n", 14);
	/* the filesystem takes new work */
	put(P("dur/after"), "after", 5);
	expect_file(P("dur/after"), "after", 5);
}
END_TEST

static Suite *durable_check_suite(void)
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

	expect_file(P("persist/a"), "hello persist\n", 14);
	free(list_dir(P("persist"), &n));
	ck_assert_int_eq(n, PERSIST_ENTRIES);
	ck_assert_int_eq(readlink(P("persist/sym"), buf, sizeof(buf)), 1);
	ck_assert_int_eq(
		getxattr(P("persist/x"), "user.text", buf, sizeof(buf)), 1);
	OK(statvfs(m.path, &sv));
	ck_assert_uint_ne(sv.f_flag & ST_RDONLY, 0);
}
END_TEST

START_TEST(ro_writes)
{
	const struct timespec t[2] = {{1, 0}, {2, 0}};

	FAILS(open(P("persist/new"), O_WRONLY | O_CREAT, 0644), EROFS);
	FAILS(open(P("persist/a"), O_WRONLY), EROFS);
	FAILS(open(P("persist/a"), O_RDWR), EROFS);
	FAILS(chmod(P("persist/a"), 0600), EROFS);
	FAILS(chown(P("persist/a"), 1, 1), EROFS);
	FAILS(truncate(P("persist/a"), 0), EROFS);
	FAILS(utimensat(AT_FDCWD, P("persist/a"), t, 0), EROFS);
	FAILS(mkdir(P("persist/newdir"), 0755), EROFS);
	FAILS(unlink(P("persist/a")), EROFS);
	FAILS(rmdir(P("persist/dir/sub/deep")), EROFS);
	FAILS(rename(P("persist/a"), P("persist/b")), EROFS);
	FAILS(link(P("persist/a"), P("persist/b")), EROFS);
	FAILS(symlink("a", P("persist/b")), EROFS);
	FAILS(mknod(P("persist/p"), S_IFIFO | 0644, 0), EROFS);
	FAILS(setxattr(P("persist/x"), "user.new", "v", 1, 0), EROFS);
	FAILS(removexattr(P("persist/x"), "user.text"), EROFS);
	expect_file(P("persist/a"), "hello persist\n", 14);
	ck_assert_uint_eq(lst(P("persist/a")).st_mode & 07777, 0644);
}
END_TEST

static Suite *ro_suite(void)
{
	Suite *s = suite_create("ro");

	ADD(s, ro_reads);
	ADD(s, ro_writes);
	return s;
}

/* ---- main: phases and the TAP stream ------------------------------- */

static int tap_n;      /* TAP lines printed */
static int tap_failed; /* of which "not ok" */

/* Prints one TAP line; a failure's diagnostic also goes to stderr. */
static bool tap(bool ok, const char *name, const char *diag)
{
	char line[2048];
	size_t i;

	snprintf(line, sizeof(line), "%s%s%s", name, diag ? ": " : "",
		 diag ? diag : "");
	for (i = 0; line[i]; i++)
		if (line[i] == '\n' || line[i] == '#')
			line[i] = ' ';
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, line);
	fflush(stdout);
	if (!ok) {
		tap_failed++;
		fprintf(stderr, "FAILED: %s\n", line);
	}
	return ok;
}

static bool step(bool ok, const char *name)
{
	return tap(ok, name, NULL);
}

/* A TAP line for: the first line sql prints is want. */
static bool sql_is(const char *sql, const char *want, const char *name)
{
	char out[1024], diag[2200];

	if (mnt_sql(&m, sql, out, sizeof(out)) == 0 && !strcmp(out, want))
		return tap(true, name, NULL);
	snprintf(diag, sizeof(diag), "%s: got \"%s\", want \"%s\"", sql, out,
		 want);
	return tap(false, name, diag);
}

/* Runs the suites in one SRunner; one TAP line per test case. */
static void run_suites(Suite *const *suites, size_t n)
{
	SRunner *sr = srunner_create(suites[0]);
	TestResult **res;
	char diag[1500];
	size_t i;
	int nres, j;
	bool ok;

	for (i = 1; i < n; i++)
		srunner_add_suite(sr, suites[i]);
	fflush(NULL);
	srunner_run_all(sr, CK_SILENT);
	nres = srunner_ntests_run(sr);
	res = srunner_results(sr);
	for (j = 0; j < nres; j++) {
		ok = tr_rtype(res[j]) == CK_PASS;
		snprintf(diag, sizeof(diag), "%s:%d: %s",
			 tr_lfile(res[j]) ? tr_lfile(res[j]) : "?",
			 tr_lno(res[j]), tr_msg(res[j]) ? tr_msg(res[j]) : "");
		tap(ok, tr_tcname(res[j]), ok ? NULL : diag);
	}
	free(res);
	srunner_free(sr);
}

static void run_phase1(void)
{
	Suite *s[16];
	size_t n = 0;

	s[n++] = files_suite();
	s[n++] = dirs_suite();
	s[n++] = links_suite();
	s[n++] = rename_suite();
	s[n++] = unlinked_suite();
	s[n++] = meta_suite();
	s[n++] = perm_suite();
	s[n++] = xattr_suite();
	s[n++] = mmap_suite();
	s[n++] = lock_suite();
	s[n++] = inotify_suite();
	s[n++] = sync_suite();
	s[n++] = persist_setup_suite();
	if (!ref_mode)
		s[n++] = cli_suite();
	run_suites(s, n);
}

static void run_one(Suite *s)
{
	run_suites(&s, 1);
}

/* Whether m.path is a mountpoint, live or with its daemon dead. */
static bool mounted(void)
{
	struct stat a, b;

	if (stat(m.path, &a) < 0)
		return errno == ENOTCONN;
	return stat(m.dir, &b) == 0 && a.st_dev != b.st_dev;
}

/* Unmounts and removes the temporary directory, once, from main only. */
static void cleanup(void)
{
	char cmd[PATH_MAX + 32];
	int st, i;

	if (getpid() != main_pid || ref_mode || !m.dir[0])
		return;
	/*
	 * On SIGTERM check signals its whole process group, the daemon too,
	 * which then unmounts by itself: give it a second to do so.
	 */
	for (i = 0; m.pid && i < 100; i++) {
		if (waitpid(m.pid, &st, WNOHANG) == m.pid)
			m.pid = 0;
		else if (i >= 10 && mounted())
			break;
		else
			usleep(100000);
	}
	if (m.pid && !mounted()) {
		kill(m.pid, SIGKILL);
		waitpid(m.pid, &st, 0);
		m.pid = 0;
	}
	if (!m.pid && mounted())
		unmount_stray(m.path);
	snprintf(cmd, sizeof(cmd), "chattr -i '%s' 2>/dev/null", m.db);
	if (system(cmd) != 0) {
		/* not immutable, or no chattr: rm -rf copes either way */
	}
	mnt_cleanup(&m);
	m.dir[0] = '\0';
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Leaves an open, unlinked, written and fsynced file; returns its fd. */
static int make_orphan(void)
{
	static char data[300 * 1024];
	int fd = open(P("dur/orphan"), O_RDWR | O_CREAT, 0644);
	bool ok = fd >= 0 && unlink(P("dur/orphan")) == 0;

	fill(data, sizeof(data), 33);
	ok = ok && pwrite(fd, data, sizeof(data), 0) == sizeof(data) &&
	     fsync(fd) == 0;
	if (!ok)
		fprintf(stderr, "orphan: %s\n", strerror(errno));
	step(ok, "orphan: open, unlink, write, fsync, keep open");
	return fd;
}

/* Unmounts (the daemon must exit 0) and checks the database. */
static void umount_and_check(const char *when)
{
	char name[128];

	snprintf(name, sizeof(name), "unmount %s: daemon exits 0", when);
	step(mnt_umount(&m) == 0, name);
	snprintf(name, sizeof(name), "integrity and foreign keys %s", when);
	step(mnt_check_db(&m) == 0, name);
}

static void check_listing(void)
{
	char want[32];

	sql_is("SELECT type||' '||size FROM listing WHERE path='/persist/a'",
	       "file 14", "listing: /persist/a");
	sql_is("SELECT type||' '||target FROM listing "
	       "WHERE path='/persist/sym'",
	       "symlink a", "listing: /persist/sym");
	sql_is("SELECT perms||' '||uid||' '||gid FROM listing "
	       "WHERE path='/persist/meta'",
	       "-rw-r----- 1234 5678", "listing: /persist/meta");
	sql_is("SELECT count(DISTINCT ino)||' '||count(*)||' '||max(nlink) "
	       "FROM listing WHERE path IN ('/persist/h1','/persist/sub/h2')",
	       "1 2 2", "listing: hard links");
	sql_is("SELECT type||' '||perms FROM listing "
	       "WHERE path='/persist/fifo'",
	       "fifo prw-------", "listing: /persist/fifo");
	sql_is("SELECT type FROM listing WHERE path='/persist/null'", "chardev",
	       "listing: /persist/null");
	sql_is("SELECT type||' '||nlink FROM listing WHERE path='/persist/dir'",
	       "dir 3", "listing: /persist/dir");
	snprintf(want, sizeof(want), "%lld", (long long) SPARSE_OFF + 4096);
	sql_is("SELECT size FROM listing WHERE path='/persist/sparse'", want,
	       "listing: /persist/sparse");
}

/*
 * A sqlite3 shell beside a mount reads the last committed state, and
 * cannot write: the daemon holds the write lock while it serves.
 */
static void shell_beside_mount(void)
{
	int fd;

	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "mount for the shell"))
		return;
	fd = open(mp(&m, "shell"), O_WRONLY | O_CREAT, 0644);
	step(fd >= 0 && write(fd, "shell", 5) == 5 && fsync(fd) == 0 &&
		     close(fd) == 0,
	     "write and fsync a file");
	sql_is("SELECT size FROM listing WHERE path='/shell'", "5",
	       "a shell reads the fsynced file while mounted");
	step(mnt_sql(&m, "INSERT INTO settings VALUES ('shell', 1)", NULL, 0) !=
		     0,
	     "a shell cannot write while mounted (database is locked)");
	fd = open(mp(&m, "shell2"), O_WRONLY | O_CREAT, 0644);
	step(fd >= 0 && close(fd) == 0, "the mount still writes after that");
	umount_and_check("after the shell");
	sql_is("SELECT count(*) FROM settings WHERE key='shell'", "0",
	       "the shell's write is not in the database");
	sql_is("SELECT count(*) FROM listing WHERE path='/shell2'", "1",
	       "the mount's write is");
}

/* Whether the daemon's log holds text. */
static bool log_has(const char *text)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(m.log, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, text) != NULL;
}

/*
 * A database file the daemon cannot write (immutable, so even root
 * cannot) is mounted read-only with a warning.
 */
static void write_protected_mount(void)
{
	char cmd[PATH_MAX + 32];
	int fd;

	snprintf(cmd, sizeof(cmd), "chattr +i '%s' 2>/dev/null", m.db);
	if (system(cmd) != 0) {
		printf("ok %d - write-protected database # SKIP no chattr +i "
		       "here\n",
		       ++tap_n);
		return;
	}
	if (step(mnt_mount(&m, MOUNT_OPTS) == 0,
		 "mount a write-protected database")) {
		step(log_has("write-protected, mounting read-only"),
		     "the daemon warns it mounts read-only");
		fd = open(mp(&m, "new"), O_WRONLY | O_CREAT, 0644);
		step(fd < 0 && errno == EROFS,
		     "writes fail with EROFS on a write-protected database");
		if (fd >= 0)
			close(fd);
		step(access(mp(&m, "term"), R_OK) == 0,
		     "reads work on a write-protected database");
		umount_and_check("after the write-protected mount");
	}
	snprintf(cmd, sizeof(cmd), "chattr -i '%s'", m.db);
	step(system(cmd) == 0, "chattr -i");
}

/* -o noatime: a read leaves atime alone, even when relatime would not. */
static void noatime_mount(void)
{
	struct timespec ts[2] = {{.tv_sec = 1000}, {.tv_nsec = UTIME_OMIT}};
	struct stat st;
	char buf[4];
	int fd;

	if (!step(mnt_mount(&m, "noatime," MOUNT_OPTS) == 0,
		  "mount with -o noatime"))
		return;
	fd = open(mp(&m, "term"), O_RDONLY);
	step(fd >= 0 && futimens(fd, ts) == 0 && close(fd) == 0,
	     "set an old atime");
	fd = open(mp(&m, "term"), O_RDONLY);
	step(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && close(fd) == 0,
	     "read the file");
	step(stat(mp(&m, "term"), &st) == 0 && st.st_atime == 1000,
	     "noatime: the read did not update atime");
	umount_and_check("after the noatime mount");
	sql_is("SELECT i.atime FROM inode i JOIN listing l ON l.ino = i.ino "
	       "WHERE l.path = '/term'",
	       "1000000000000", "noatime: atime stored unchanged");
}

static int run_sqlitefs(void)
{
	int fd;

	if (mnt_init(&m, NULL) < 0) {
		printf("Bail out! mkfs failed\n");
		mnt_cleanup(&m);
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "mount"))
		goto out;
	run_phase1();

	umount_and_check("after phase 1");
	/* the files unlinked while open are gone with their blocks */
	sql_is("SELECT count(*) FROM inode WHERE nlink=0", "0",
	       "no orphans after phase 1");
	sql_is("SELECT count(*) FROM data WHERE ino NOT IN "
	       "(SELECT ino FROM inode)",
	       "0", "no data rows without an inode after phase 1");
	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "remount"))
		goto out;
	run_one(persist_suite());
	umount_and_check("after the persist suite");
	check_listing();

	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "mount for the crash test"))
		goto out;
	run_one(durable_write_suite());
	fd = make_orphan();
	step(mnt_kill(&m, SIGKILL) == 0, "daemon killed with SIGKILL");
	if (fd >= 0)
		close(fd);
	step(mnt_check_db(&m) == 0, "integrity and foreign keys after SIGKILL");
	sql_is("SELECT count(*) FROM inode WHERE nlink=0", "1",
	       "the fsynced orphan is in the database after SIGKILL");
	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "remount after SIGKILL"))
		goto out;
	run_one(durable_check_suite());
	umount_and_check("after the crash test");
	sql_is("SELECT count(*) FROM inode WHERE nlink=0", "0",
	       "orphans purged at the mount after SIGKILL");
	sql_is("SELECT count(*) FROM data WHERE ino NOT IN "
	       "(SELECT ino FROM inode)",
	       "0", "no data rows without an inode");

	if (!step(mnt_mount(&m, "ro," MOUNT_OPTS) == 0, "mount read-only"))
		goto out;
	run_one(ro_suite());
	umount_and_check("after the read-only mount");

	/* SIGTERM is a clean stop: unmounted, everything stored, exit 0 */
	if (!step(mnt_mount(&m, MOUNT_OPTS) == 0, "mount for SIGTERM"))
		goto out;
	fd = open(mp(&m, "term"), O_WRONLY | O_CREAT, 0644);
	step(fd >= 0 && write(fd, "term", 4) == 4 && close(fd) == 0,
	     "write a file, no fsync");
	step(mnt_stop(&m, SIGTERM) == 0, "daemon exits 0 on SIGTERM");
	step(!mounted(), "SIGTERM unmounted");
	sql_is("SELECT size FROM listing WHERE path='/term'", "4",
	       "the unsynced file is stored at SIGTERM");
	step(mnt_check_db(&m) == 0, "integrity after SIGTERM");

	shell_beside_mount();
	write_protected_mount();
	noatime_mount();
out:
	if (tap_failed)
		mnt_dump_log(&m);
	cleanup();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

static int run_reference(const char *dir)
{
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	ref_mode = true;
	snprintf(m.path, sizeof(m.path), "%s", dir);
	d = opendir(dir);
	if (!d) {
		printf("Bail out! %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	if (n) {
		printf("Bail out! %s: not empty\n", dir);
		return 1;
	}
	/* the unprivileged child must get in */
	if (stat(dir, &st) == 0 && (st.st_mode & 0005) != 0005) {
		fprintf(stderr, "# %s: mode 0755, for uid %d\n", dir, NOBODY);
		chmod(dir, (st.st_mode & 07777) | 0755);
	}
	fprintf(stderr, "# reference mode in %s: sqlitefs-only cases skipped\n",
		dir);
	run_phase1();
	run_one(persist_suite());
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

int main(void)
{
	const char *dir = getenv("MOUNT_TEST_DIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	main_pid = getpid();
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (chown, mknod, uid 65534)\n");
		return 0;
	}
	umask(022);
	if (dir && *dir)
		return run_reference(dir);
	return run_sqlitefs();
}
