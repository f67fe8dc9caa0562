/*
 * mount_test_util.c - mount_test's assertions, paths, file helpers, the
 *   unprivileged child
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

struct mnt m;	/* the filesystem; m.path is the tree under test */
bool ref_mode;	/* MOUNT_TEST_DIR: a local directory, no mount */
pid_t main_pid; /* check's children must not clean up */
char base[64];	/* the current test case's directory */

/* ---- assertions ---------------------------------------------------- */

const char *en(int e)
{
	const char *s = e ? strerrorname_np(e) : "no error";

	return s ? s : "unknown errno";
}

int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Waits long enough for the next timestamp to differ from the last one. */
void tick(void)
{
	usleep(TICK_US);
}

/* ---- paths --------------------------------------------------------- */

/*
 * Returns the path of rel (a printf format) in the tree under test, in one
 * of 64 rotating buffers.
 */
const char *tree_path(const char *fmt, ...)
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

/*
 * Makes the current test case's directory; case_path() builds paths inside
 * it.
 */
void setup(const char *name)
{
	snprintf(base, sizeof(base), "%s", name);
	ck_assert_msg(mkdir(tree_path("%s", name), 0755) == 0, "mkdir %s: %s",
		      tree_path("%s", name), en(errno));
}

/* Returns the path of rel (a printf format) in the test case's directory. */
const char *case_path(const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	return tree_path("%s/%s", base, rel);
}

/* ---- file helpers -------------------------------------------------- */

/* Fills buf with bytes that depend on seed and on the offset. */
void fill(void *buf, size_t n, unsigned seed)
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

bool all_zero(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Writes all n bytes at off, asserting that it worked. */
void pwrite_all(int fd, const void *buf, size_t n, off_t off)
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
size_t pread_all(int fd, void *buf, size_t n, off_t off)
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
void put(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "open %s: %s", path, en(errno));
	pwrite_all(fd, buf, n, 0);
	ck_assert_msg(close(fd) == 0, "close %s: %s", path, en(errno));
}

void put_unread(const char *path)
{
	struct timespec t[2];
	struct stat st;

	put(path, "some data", 9);
	st = lst(path);
	t[0].tv_sec = st.st_mtim.tv_sec - 10;
	t[0].tv_nsec = 0;
	t[1].tv_sec = 0;
	t[1].tv_nsec = UTIME_OMIT;
	ck_assert_msg(utimensat(AT_FDCWD, path, t, 0) == 0, "utimensat %s: %s",
		      path, en(errno));
}

/* Asserts that path holds exactly the n bytes of want. */
void expect_file(const char *path, const void *want, size_t n)
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
void expect_zeros(int fd, off_t off, size_t n)
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

struct stat lst(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "lstat %s: %s", path, en(errno));
	return st;
}

struct stat fst(int fd)
{
	struct stat st;

	ck_assert_msg(fstat(fd, &st) == 0, "fstat: %s", en(errno));
	return st;
}

bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Collects the names of dir other than "." and "..", sorted, \n-joined. */
char *list_dir(const char *dir, int *count)
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

void drop_dentries(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		ck_assert_int_eq(write(fd, "2", 1), 1);
		close(fd);
	}
}

struct file_handle *handle_of(const char *path, size_t *len)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	int mount_id;

	ck_assert_ptr_nonnull(h);
	h->handle_bytes = MAX_HANDLE_SZ;
	ck_assert_msg(name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) == 0,
		      "name_to_handle_at %s: %s", path, en(errno));
	*len = sizeof(*h) + h->handle_bytes;
	return h;
}

int open_handle(struct file_handle *h, int flags)
{
	int dir = open(m.path, O_RDONLY | O_DIRECTORY), fd, e;

	ck_assert_msg(dir >= 0, "open %s: %s", m.path, en(errno));
	fd = open_by_handle_at(dir, h, flags);
	e = errno;
	close(dir);
	errno = e;
	return fd;
}

void mkdir_p(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s",
		      path, en(errno));
}

/* ---- an unprivileged child ----------------------------------------- */

/*
 * Runs fn(a, b) in a child process, as uid and gid NOBODY with no
 * supplementary groups if drop is set.  fn returns 0 or an errno.  Returns
 * what fn returned, or -1 if the child could not drop privileges or
 * crashed.
 */
int in_child(bool drop, int (*fn)(const char *, const char *), const char *a,
	     const char *b)
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

int as_nobody(int (*fn)(const char *, const char *), const char *a,
	      const char *b)
{
	return in_child(true, fn, a, b);
}

int op_open_read(const char *a, const char *b)
{
	int fd = open(a, O_RDONLY);

	(void) b;
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int op_create(const char *a, const char *b)
{
	int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);

	(void) b;
	if (fd < 0)
		return errno;
	return close(fd) < 0 ? errno : 0;
}

int op_mkdir(const char *a, const char *b)
{
	(void) b;
	return mkdir(a, 0755) < 0 ? errno : 0;
}

int op_unlink(const char *a, const char *b)
{
	(void) b;
	return unlink(a) < 0 ? errno : 0;
}

int op_truncate(const char *a, const char *b)
{
	(void) b;
	return truncate(a, 1) < 0 ? errno : 0;
}

int op_append(const char *a, const char *b)
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

int op_chmod(const char *a, const char *b)
{
	(void) b;
	return chmod(a, 0777) < 0 ? errno : 0;
}

int op_utime_now(const char *a, const char *b)
{
	(void) b;
	return utimensat(AT_FDCWD, a, NULL, 0) < 0 ? errno : 0;
}

int op_utime_set(const char *a, const char *b)
{
	const struct timespec t[2] = {{1, 0}, {1, 0}};

	(void) b;
	return utimensat(AT_FDCWD, a, t, 0) < 0 ? errno : 0;
}

int op_chown_root(const char *a, const char *b)
{
	(void) b;
	return chown(a, 0, (gid_t) -1) < 0 ? errno : 0;
}

/* ---- mounts ------------------------------------------------------- */

/* Lazily unmounts dir if something got mounted there. */
void unmount_stray(const char *dir)
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
