/*
 * main.c - sqlitefs command line: check the database, mount, serve, unmount
 *
 * sqlitefs [options] DATABASE MOUNTPOINT, the order mount.fuse3 and
 * /etc/fstab use.  Everything that can be refused (options, a missing
 * mountpoint, a database that is missing, not ours, newer or in use) is
 * checked before the mount, with one line on stderr and a non-zero exit,
 * leaving the database as it was.  The database is opened for real only
 * after going to the background (SQLite connections must not cross fork),
 * and before the mount; the command returns only once the daemon serves,
 * or has failed and said why on stderr.  The locks of dblock.h on the
 * database file, held from the first check to the exit, keep a second
 * daemon off the same database; once unmounted, the daemon lets the
 * "busy" one go, so that programs wait for its last commit instead of
 * refusing.
 */
#include "dblock.h"
#include "fs_ops.h"
#include "remount.h"
#include "options.h"
#include "utab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

/* The longest log line and the longest refusal printed, in bytes. */
#define LOG_LINE_MAX 1024
#define ERR_MAX 512

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "sqlitefs: <message>" on one line and exits 1. */
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sqlitefs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The help: one screen (24 lines at most, a test checks). */
static void usage(void)
{
	printf("usage: sqlitefs [options] DATABASE MOUNTPOINT\n"
	       "Mounts the sqlitefs filesystem in the SQLite file DATABASE "
	       "(made by\nmkfs.sqlitefs) on MOUNTPOINT.  See sqlitefs(8).\n"
	       "\n"
	       "Options (-o name[=value][,...]); the values shown are the "
	       "defaults:\n");
	/* the defaults from options.h, in the same columns as the rest */
	printf("  -o commit=%-10d commit changes at least every %d seconds\n",
	       OPTS_COMMIT_DEFAULT, OPTS_COMMIT_DEFAULT);
	printf("  -o timeout=%-9d seconds the kernel caches attributes and "
	       "names\n",
	       OPTS_TIMEOUT_DEFAULT);
	printf("  -o cache=%-11d MiB of database pages the daemon keeps in "
	       "memory\n",
	       OPTS_CACHE_DEFAULT);
	printf("  -o mmap=%-12d MiB of the database file read through a "
	       "mapping\n",
	       OPTS_MMAP_DEFAULT);
	printf("  -o bdi_max_ratio=N   %% of the dirty page limit the mount "
	       "may hold (root)\n");
	printf("  -o nowriteback       send each write(2) through at once "
	       "(default: cached)\n");
	printf("  -o acl, -o noacl     POSIX ACLs on (default) or off\n");
	printf("  -o spin=%-12d microseconds to poll for the next request "
	       "(0: sleep)\n",
	       OPTS_SPIN_DEFAULT);
	printf("  -o relatime          reads update atime as ext4 does "
	       "(default)\n"
	       "  -o noatime           reads never update atime\n"
	       "  -o strictatime       every read updates atime\n"
	       "  -o rw, -o ro         read-write (default) or read-only\n"
	       "  -o allow_other       let other users in (see fuse(8))\n"
	       "  -f                   stay in the foreground, log to stderr "
	       "(else syslog)\n"
	       "  -d                   also trace every request (implies "
	       "-f)\n"
	       "  -h, --help           show this help\n"
	       "  -V, --version        show the versions\n"
	       "Other FUSE mount options of fuse(8) pass through; an unknown "
	       "one is an error.\n"
	       "Permissions are always checked by the kernel "
	       "(default_permissions).\n");
}

/* s without prefix, or NULL when s does not begin with it. */
static const char *after_prefix(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(s, prefix, len) ? NULL : s + len;
}

/*
 * Prints libfuse's messages as ours, "sqlitefs: ..." on one line, while in
 * the foreground.
 */
static void log_stderr(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	const char *msg;

	(void) level;
	vsnprintf(line, sizeof(line), fmt, ap);
	msg = after_prefix(line, "fuse: ");
	if (msg)
		fprintf(stderr, "sqlitefs: %s", msg);
	else
		fputs(line, stderr);
}

/*
 * Sends libfuse's and our log lines to syslog once serving in the
 * background, without the "sqlitefs: " or "fuse: " prefix that the syslog
 * tag replaces.  The FUSE_LOG_* levels are syslog's.
 */
static void log_syslog(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	const char *msg;

	vsnprintf(line, sizeof(line), fmt, ap);
	msg = after_prefix(line, "sqlitefs: ");
	if (!msg)
		msg = after_prefix(line, "fuse: ");
	syslog((int) level, "%s", msg ? msg : line);
}

/* Sends the db layer's log lines where libfuse's go (db_set_log()). */
static void log_db(const char *line)
{
	fuse_log(FUSE_LOG_ERR, "%s", line);
}

/* The descriptor holding the database's locks (dblock.h), kept to exit. */
static int lock_fd = -1;

/*
 * Opens the database file and takes the locks that keep other sqlitefs
 * daemons (and fsck) off it, after waiting for a daemon that is still
 * finishing with it after its unmount.  Falls back to read-only, with a
 * warning, when the file cannot be written.  Returns the descriptor to
 * keep open.
 */
static int lock_database(struct options *o)
{
	int fd = open(o->database, (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	int rc;

	if (fd < 0 && !o->ro &&
	    (errno == EACCES || errno == EROFS || errno == EPERM)) {
		fd = open(o->database, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			fprintf(stderr,
				"sqlitefs: %s: write-protected, mounting "
				"read-only\n",
				o->database);
			o->ro = 1;
		}
	}
	if (fd < 0 && errno == ENOENT)
		die("%s: no such file (create one with: mkfs.sqlitefs %s)",
		    o->database, o->database);
	if (fd < 0)
		die("%s: %s", o->database, strerror(errno));
	rc = dblock_take(fd, o->database, "sqlitefs");
	if (rc == -EBUSY)
		die("%s: already in use by another sqlitefs process",
		    o->database);
	if (rc == -ETIMEDOUT)
		die("%s: still in use by a sqlitefs process after %d s",
		    o->database, DBLOCK_WAIT_SECONDS);
	if (rc < 0)
		die("%s: cannot lock: %s", o->database, strerror(-rc));
	lock_fd = fd;
	return fd;
}

/* Checks the format without changing the file; dies on a refusal. */
static void check_database(struct options *o)
{
	struct db *db;
	char err[ERR_MAX];
	int rc;

	rc = db_open(o->database, DB_OPEN_CHECK | DB_OPEN_READONLY, &db, err,
		     sizeof(err));
	if (rc < 0)
		die("%s: %s", o->database, err);
	db_close(db);
}

/*
 * Parses the command line (see options.h); prints the help or the versions
 * and exits 0 when asked, dies on a refusal.
 */
static void parse_args(struct fuse_args *args, struct options *o)
{
	char err[ERR_MAX];

	switch (opts_parse(args, o, log_stderr, err, sizeof(err))) {
	case OPTS_MOUNT:
		return;
	case OPTS_HELP:
		usage();
		exit(0);
	case OPTS_VERSION:
		printf("sqlitefs %s (libfuse %s, SQLite %s)\n",
		       SQLITEFS_VERSION, fuse_pkgversion(),
		       db_sqlite_version());
		exit(0);
	}
	die("%s", err);
}

/* Once mounted: umount(8) is to run umount.fuse.sqlitefs (see utab.h). */
static void mounted(struct options *o)
{
	int rc = utab_add(o->database, o->cmdline.mountpoint);

	if (rc < 0)
		fuse_log(FUSE_LOG_WARNING,
			 "sqlitefs: %s: cannot record the mount in utab "
			 "(umount will not wait for the last commit): %s\n",
			 o->cmdline.mountpoint, strerror(-rc));
}

/*
 * Once unmounted, before the last commit: programs waiting for the
 * database now wait for this daemon's exit instead of refusing.
 */
static void unmounted(struct options *o)
{
	utab_remove(o->cmdline.mountpoint);
	dblock_finishing(lock_fd);
}

/*
 * Goes to the background: forks, and the parent waits until the child
 * either tells it that it serves (ready()), then exits 0, or exits, then
 * exits 1: the child said why on stderr, which it keeps until then.  The
 * child gets a session of its own and keeps every descriptor, the flock on
 * the database among them.  Returns, in the child, the descriptor to
 * report on; -1 if there is no child.
 */
static int background(const char *database)
{
	int fds[2], st = 0;
	pid_t pid;
	char byte;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "sqlitefs: cannot go to the background: %s\n",
			strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sqlitefs: cannot go to the background: %s\n",
			strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		return fds[1];
	}
	close(fds[1]);
	do
		n = read(fds[0], &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* the child failed: its mount is gone once it has exited */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		fprintf(stderr, "sqlitefs: %s: the daemon died of signal %d\n",
			database, WTERMSIG(st));
	_exit(1);
}

/*
 * Tells the waiting parent that the mount serves (see background()); from
 * then on messages go to syslog and the standard descriptors to /dev/null.
 */
static void ready(int fd)
{
	int null = open("/dev/null", O_RDWR);
	char byte = 0;

	openlog("sqlitefs", LOG_PID, LOG_DAEMON);
	fuse_set_log_func(log_syslog);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(fd, &byte, 1) != 1) {
		/* the parent is gone (killed): nobody left to tell */
	}
	close(fd);
}

/*
 * -o bdi_max_ratio: the share of the system's dirty page limit the kernel
 * lets this mount hold (1 % for FUSE), in its backing device's sysfs
 * directory.  The mount point shows which one: asking the kernel for it
 * through the mount would wait for this daemon.
 */
static int set_bdi_max_ratio(const struct options *o)
{
	int rc = bdi_set_max_ratio(o->cmdline.mountpoint, o->bdi_max_ratio);

	if (rc < 0)
		fuse_log(FUSE_LOG_ERR,
			 "sqlitefs: bdi_max_ratio=%u: cannot set the mount's "
			 "max_ratio: %s\n",
			 o->bdi_max_ratio, strerror(-rc));
	return rc;
}

/*
 * Goes to the background unless -f, opens the database, mounts and serves
 * until unmounted.  The database is opened before the mount, so that a
 * database that cannot be opened is never mounted, and after the fork:
 * SQLite connections must not cross it.
 */
static int serve(struct options *o, struct fuse_args *args, struct fs *fs)
{
	struct fuse_session *se;
	struct db *db = NULL;
	char err[ERR_MAX];
	int rc, report = -1;

	if (!o->cmdline.foreground) {
		report = background(o->database);
		if (report < 0)
			return 1;
	}
	rc = db_open(o->database, o->ro ? DB_OPEN_READONLY : 0, &db, err,
		     sizeof(err));
	if (rc < 0) {
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: %s\n", o->database, err);
		return 1;
	}
	rc = 1;
	se = fuse_session_new(args, fs_lowlevel_ops(),
			      sizeof(struct fuse_lowlevel_ops), fs);
	if (!se)
		goto out_close; /* libfuse said why */
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "sqlitefs: cannot set signal handlers\n");
		goto out_destroy;
	}
	/* libfuse's absolute path: the daemon chdirs to / */
	if (fuse_session_mount(se, o->cmdline.mountpoint) != 0)
		goto out_signals; /* libfuse said why */
	mounted(o);
	if (o->bdi_max_ratio && set_bdi_max_ratio(o) < 0)
		goto out_unmount;
	if (chdir("/") != 0) {
		/* the database's path is absolute too: nothing depends on it */
	}

	db_set_cache(db, o->cache);
	db_set_mmap(db, o->mmap);
	fs_attach(fs, db, se);
	/* views are not the format: a database of an older mkfs gets ours */
	rc = db_views_refresh(db);
	if (rc < 0)
		fuse_log(FUSE_LOG_WARNING,
			 "sqlitefs: %s: cannot update the views: %s\n",
			 o->database, strerror(-rc));
	rc = db_purge_orphans(db);
	if (rc > 0)
		fuse_log(FUSE_LOG_NOTICE,
			 "sqlitefs: %s: removed %d orphaned inodes\n",
			 o->database, rc);
	if (report >= 0)
		ready(report);

	rc = fs_loop(fs, se);
	fs_drain(fs, se);
	/* a terminating signal is a clean stop: the last commit follows */
	rc = rc != 0 && rc != SIGTERM && rc != SIGINT && rc != SIGHUP;
out_unmount:
	fuse_session_unmount(se);
	unmounted(o);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se); /* runs fs_destroy: the last commit */
out_close:
	if (db_close(db) < 0)
		rc = 1;
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o;
	struct fs_config cfg;
	struct fs *fs;
	int lockfd, rc;

	/* mount -o remount: a change of the running mount, no new daemon */
	if (remount_wanted(argc, argv))
		return remount_main(argc, argv);
	fuse_set_log_func(log_stderr);
	db_set_log(log_db);
	parse_args(&args, &o);
	lockfd = lock_database(&o);
	check_database(&o);

	opts_fs_config(&o, &cfg); /* after lock_database(): o.ro may change */
	if (o.ro && fuse_opt_add_arg(&args, "-oro") < 0)
		die("out of memory");

	/* the database is attached once opened, after the fork: see serve() */
	fs = fs_new(&cfg);
	if (!fs)
		die("out of memory");
	rc = serve(&o, &args, fs);

	fs_free(fs);
	close(lockfd);
	opts_free(&o);
	fuse_opt_free_args(&args);
	return rc;
}
