/*
 * mount_test.h - what the files of mount_test share
 *
 * mount_test is one executable built from several files: mount_test.c
 * (main, the phases, the TAP stream), mount_test_util.c (the assertions,
 * paths, file helpers and the unprivileged child below) and one file of
 * check cases per subject: mount_files.c, mount_dirs.c, mount_meta.c,
 * mount_io.c, mount_persist.c.  Each subject file gives its suites, which
 * mount_test.c runs in its phases.
 */
#ifndef MOUNT_TEST_H
#define MOUNT_TEST_H

#include "mount_util.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

#define NOBODY 65534	 /* uid and gid of the unprivileged child */
#define CASE_TIMEOUT 120 /* seconds per test case */
#define CLI_TIMEOUT 10	 /* seconds a command line run may take */
#define MOUNT_OPTS "allow_other"
#define TICK_US 30000 /* longer than any timestamp granularity */

/* where /persist/sparse has data (mount_persist.c; mount_test.c checks it) */
#define SPARSE_OFF (5 * GIB + 12345)

extern struct mnt m;   /* the filesystem; m.path is the tree under test */
extern bool ref_mode;  /* MOUNT_TEST_DIR: a local directory, no mount */
extern pid_t main_pid; /* check's children must not clean up */
extern char base[64];  /* the current test case's directory */

/* ---- assertions ---------------------------------------------------- */

/* Returns the name of errno value e ("EACCES"), "no error" for 0. */
const char *en(int e);

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
/* Compares two times: negative, 0 or positive as a is before, at, after b. */
int ts_cmp(const struct timespec *a, const struct timespec *b);
void tick(void);

/* ---- paths --------------------------------------------------------- */

/* The path of rel (a printf format) in the tree under test. */
const char *tree_path(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Makes the test case's directory, where case_path() points. */
void setup(const char *name);
/* The path of rel (a printf format) in the test case's directory. */
const char *case_path(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ---- file helpers (see mount_test_util.c) -------------------------- */

void fill(void *buf, size_t n, unsigned seed);
bool all_zero(const void *buf, size_t n);
void pwrite_all(int fd, const void *buf, size_t n, off_t off);
size_t pread_all(int fd, void *buf, size_t n, off_t off);
void put(const char *path, const void *buf, size_t n);
/*
 * Makes path a file of the 9 bytes "some data" whose atime is 10 s before
 * its mtime: not read since it changed, so relatime moves atime on a read.
 */
void put_unread(const char *path);
void expect_file(const char *path, const void *want, size_t n);
void expect_zeros(int fd, off_t off, size_t n);
struct stat lst(const char *path);
struct stat fst(int fd);
bool exists(const char *path);
char *list_dir(const char *dir, int *count);
/* Makes the kernel forget the names and inodes it can (drop_caches). */
void drop_dentries(void);
struct file_handle;
/* A file handle of path (name_to_handle_at), malloc'd; its size in *len. */
struct file_handle *handle_of(const char *path, size_t *len);
/* open_by_handle_at() on the filesystem under test: a descriptor or -1. */
int open_handle(struct file_handle *h, int flags);
void mkdir_p(const char *path);

/* ---- an unprivileged child (see mount_test_util.c) ----------------- */

int in_child(bool drop, int (*fn)(const char *, const char *), const char *a,
	     const char *b);
int as_nobody(int (*fn)(const char *, const char *), const char *a,
	      const char *b);
int op_open_read(const char *a, const char *b);
int op_create(const char *a, const char *b);
int op_mkdir(const char *a, const char *b);
int op_unlink(const char *a, const char *b);
int op_truncate(const char *a, const char *b);
int op_append(const char *a, const char *b);
int op_chmod(const char *a, const char *b);
int op_utime_now(const char *a, const char *b);
int op_utime_set(const char *a, const char *b);
int op_chown_root(const char *a, const char *b);

/* ---- mounts -------------------------------------------------------- */

void unmount_stray(const char *dir);

/* ---- suite building ------------------------------------------------ */

#define ADD(s, t)                                                              \
	do {                                                                   \
		TCase *tc_ = tcase_create(#t);                                 \
		tcase_set_timeout(tc_, CASE_TIMEOUT);                          \
		tcase_add_test(tc_, t);                                        \
		suite_add_tcase(s, tc_);                                       \
	} while (0)

/* mount_files.c */
Suite *files_suite(void);
/* mount_dirs.c */
Suite *dirs_suite(void);
Suite *links_suite(void);
Suite *rename_suite(void);
Suite *unlinked_suite(void);
/* mount_meta.c */
Suite *meta_suite(void);
Suite *perm_suite(void);
Suite *xattr_suite(void);
/* mount_acl.c */
Suite *acl_suite(void);
void acl_persist_setup(void);
void acl_persist_check(void);
/* mount_io.c */
unsigned char mmap_byte(size_t i);
Suite *mmap_suite(void);
Suite *lock_suite(void);
Suite *inotify_suite(void);
Suite *sync_suite(void);
/* mount_chattr.c */
Suite *chattr_suite(void);
/* mount_persist.c */
Suite *persist_setup_suite(void);
Suite *persist_suite(void);
Suite *cli_suite(void);
Suite *durable_write_suite(void);
Suite *durable_check_suite(void);
Suite *ro_suite(void);

#endif
