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
	Suite *s[20];
	size_t n = 0;

	s[n++] = files_suite();
	s[n++] = dirs_suite();
	s[n++] = links_suite();
	s[n++] = rename_suite();
	s[n++] = unlinked_suite();
	s[n++] = meta_suite();
	s[n++] = perm_suite();
	s[n++] = xattr_suite();
	s[n++] = acl_suite();
	s[n++] = chattr_suite();
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
	int fd = open(tree_path("dur/orphan"), O_RDWR | O_CREAT, 0644);
	bool ok = fd >= 0 && unlink(tree_path("dur/orphan")) == 0;

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
