/*
 * main.c - sqlitefs command line: check the database, mount, serve, unmount
 *
 * sqlitefs [options] DATABASE MOUNTPOINT, the order mount.fuse3 and
 * /etc/fstab use.  Everything that can be refused (options, a missing
 * mountpoint, a database that is missing, not ours, newer or in use) is
 * checked before the mount, with one line on stderr and a non-zero exit,
 * leaving the database as it was.  The database is opened for real only
 * after daemonizing (SQLite connections must not cross fork); a failure
 * there goes to syslog.  An flock(2) on the database file, held from the
 * first check to the exit, is what
 * keeps a second daemon off the same database.
 */
#include "fs_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

struct options {
	char *database;	  /* first non-option argument */
	char *mountpoint; /* second */
	unsigned commit;  /* -o commit=SECONDS */
	unsigned cache;	  /* -o cache=MIB */
	unsigned spin;	  /* -o spin=MICROSECONDS */
	double timeout;	  /* -o timeout=SECONDS */
	int noatime;	  /* -o noatime */
	int strictatime;  /* -o strictatime */
	int ro;		  /* -o ro */
	int nowriteback;  /* -o nowriteback */
	int bad_mountpoint;
};

enum {
	KEY_NOATIME,
	KEY_STRICTATIME,
	KEY_RELATIME,
	KEY_RO,
	KEY_RW,
};

#define OPT(t, p)                                                              \
	{                                                                      \
		t, offsetof(struct options, p), 1                              \
	}
static const struct fuse_opt opt_spec[] = {
	OPT("commit=%u", commit),
	OPT("cache=%u", cache),
	OPT("spin=%u", spin),
	OPT("timeout=%lf", timeout),
	OPT("nowriteback", nowriteback),
	FUSE_OPT_KEY("noatime", KEY_NOATIME),
	FUSE_OPT_KEY("strictatime", KEY_STRICTATIME),
	FUSE_OPT_KEY("relatime", KEY_RELATIME),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("rw", KEY_RW),
	FUSE_OPT_END,
};

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

/*
 * Whether -o arg is meant for mount(8) or systemd, not for the filesystem:
 * fstab lines carry them and mount.fuse3 passes some on.
 */
static int fstab_only(const char *arg)
{
	static const char *const words[] = {
		"defaults", "auto",  "noauto", "user",	  "users",
		"nouser",   "owner", "group",  "_netdev", "nofail",
	};
	size_t i;

	if (!strncmp(arg, "x-", 2) || !strncmp(arg, "comment=", 8))
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(arg, words[i]))
			return 1;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct options *o = data;
	struct stat st;

	(void) outargs;
	switch (key) {
	case FUSE_OPT_KEY_OPT:
		return !fstab_only(arg);
	case FUSE_OPT_KEY_NONOPT:
		if (!o->database) {
			o->database = strdup(arg);
			return 0;
		}
		if (!o->mountpoint) {
			o->mountpoint = strdup(arg);
			if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
				o->bad_mountpoint = 1;
		}
		return 1;
	case KEY_NOATIME:
		o->noatime = 1;
		o->strictatime = 0;
		return 1;
	case KEY_STRICTATIME:
		o->strictatime = 1;
		o->noatime = 0;
		return 0;
	case KEY_RELATIME:
		o->strictatime = 0;
		o->noatime = 0;
		return 0;
	case KEY_RO:
		o->ro = 1;
		return 1;
	case KEY_RW:
		o->ro = 0;
		return 1;
	}
	return 1;
}

/* The help: one screen (24 lines at most, a test checks). */
static void usage(void)
{
	printf("usage: sqlitefs [options] DATABASE MOUNTPOINT\n"
	       "Mounts the sqlitefs filesystem in the SQLite file DATABASE "
	       "(made by\nmkfs.sqlitefs) on MOUNTPOINT.  See sqlitefs(8).\n"
	       "\n"
	       "Options (-o name[=value][,...]); the values shown are the defaults:\n"
	       "  -o commit=5          commit changes at least every 5 "
	       "seconds\n"
	       "  -o timeout=86400     seconds the kernel caches attributes "
	       "and names\n"
	       "  -o cache=16          MiB of database pages the daemon "
	       "keeps in memory\n"
	       "  -o nowriteback       send each write(2) through at once "
	       "(default: cached)\n"
	       "  -o spin=100          microseconds to poll for the next "
	       "request (0: sleep)\n"
	       "  -o relatime          reads update atime as ext4 does "
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

/*
 * Prints libfuse's messages as ours, "sqlitefs: ..." on one line, while in
 * the foreground.
 */
static void log_stderr(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	(void) level;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strncmp(line, "fuse: ", 6))
		fprintf(stderr, "sqlitefs: %s", line + 6);
	else
		fputs(line, stderr);
}

/*
 * Sends libfuse's and our log lines to syslog once daemonized, without
 * the "sqlitefs: " or "fuse: " prefix that the syslog tag replaces.  The
 * FUSE_LOG_* levels are syslog's.
 */
static void log_syslog(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[1024], *p = line;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strncmp(p, "sqlitefs: ", 10))
		p += 10;
	else if (!strncmp(p, "fuse: ", 6))
		p += 6;
	syslog((int) level, "%s", p);
}

/*
 * Opens the database file and takes the lock that keeps other sqlitefs
 * daemons (and fsck) off it.  Falls back to read-only, with a warning,
 * when the file cannot be written.  Returns the descriptor to keep open.
 */
static int lock_database(struct options *o)
{
	int fd = open(o->database, (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);

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
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			die("%s: already in use by another sqlitefs process",
			    o->database);
		die("%s: cannot lock: %s", o->database, strerror(errno));
	}
	return fd;
}

/* Checks the format without changing the file; dies on a refusal. */
static void check_database(struct options *o)
{
	struct db *db;
	char err[512];
	int rc;

	rc = db_open(o->database, DB_OPEN_CHECK | DB_OPEN_READONLY, &db, err,
		     sizeof(err));
	if (rc < 0)
		die("%s: %s", o->database, err);
	db_close(db);
}

/*
 * Lets libfuse refuse what it does not know now, before the database is
 * even opened: a session is made with the options and thrown away.
 */
static char option_error[256]; /* what libfuse said of the options */

/* Collects libfuse's complaint (it may come in pieces) on one line. */
static void log_capture(enum fuse_log_level level, const char *fmt, va_list ap)
{
	size_t len = strlen(option_error);

	(void) level;
	vsnprintf(option_error + len, sizeof(option_error) - len, fmt, ap);
	for (; option_error[len]; len++)
		if (option_error[len] == '\n')
			option_error[len] = ' ';
}

static void check_options(const struct fuse_args *args)
{
	static const struct fuse_lowlevel_ops none;
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	int i;

	/* on a copy: fuse_session_new() takes the options out of args */
	for (i = 0; i < args->argc; i++)
		if (fuse_opt_add_arg(&copy, args->argv[i]) < 0)
			die("out of memory");
	fuse_set_log_func(log_capture);
	se = fuse_session_new(&copy, &none, sizeof(none), NULL);
	fuse_set_log_func(log_stderr);
	fuse_opt_free_args(&copy);
	if (!se) {
		char *msg = option_error;

		if (!strncmp(msg, "fuse: ", 6))
			msg += 6;
		while (*msg && msg[strlen(msg) - 1] == ' ')
			msg[strlen(msg) - 1] = '\0';
		die("%s (see sqlitefs --help)", *msg ? msg : "bad options");
	}
	fuse_session_destroy(se);
}

static void parse_args(struct fuse_args *args, struct options *o,
		       struct fuse_cmdline_opts *copts)
{
	char *fsname, *opt;
	char *real;

	if (fuse_opt_parse(args, o, opt_spec, opt_proc) < 0)
		die("bad options (see --help)");
	if (o->bad_mountpoint)
		die("%s: mountpoint is not a directory", o->mountpoint);
	if (fuse_parse_cmdline(args, copts) != 0)
		die("bad options (see --help)");
	if (copts->show_help) {
		usage();
		exit(0);
	}
	if (copts->show_version) {
		printf("sqlitefs %s (libfuse %s, SQLite %s)\n",
		       SQLITEFS_VERSION, fuse_pkgversion(),
		       db_sqlite_version());
		exit(0);
	}
	if (!o->database || !o->mountpoint)
		die("usage: sqlitefs [options] DATABASE MOUNTPOINT");
	check_options(args);
	if (o->commit == 0)
		o->commit = 5;
	if (o->cache == 0)
		o->cache = 16;
	if (o->cache > 1 << 20)
		die("cache=%u: at most %u MiB", o->cache, 1u << 20);
	if (o->spin > 1000000)
		die("spin=%u: at most 1000000 microseconds", o->spin);
	if (o->timeout < 0)
		die("timeout=%g: must not be negative", o->timeout);

	real = realpath(o->database, NULL);
	if (real) {
		free(o->database);
		o->database = real;
	}
	/* fsname= shows the database in mount(8) and df(1), subtype= the
	 * type fuse.sqlitefs; commas and backslashes in the path are
	 * escaped for the -o parser */
	fsname = NULL;
	if (asprintf(&opt, "fsname=%s", o->database) < 0 ||
	    fuse_opt_add_opt_escaped(&fsname, opt) < 0 ||
	    fuse_opt_add_opt(&fsname, "default_permissions") < 0 ||
	    fuse_opt_add_opt(&fsname, "subtype=sqlitefs") < 0 ||
	    fuse_opt_add_arg(args, "-o") < 0 ||
	    fuse_opt_add_arg(args, fsname) < 0)
		die("out of memory");
	free(opt);
	free(fsname);
}

/* Mounts, daemonizes, opens the database and serves until unmounted. */
static int serve(struct options *o, struct fuse_args *args,
		 const struct fuse_cmdline_opts *copts, struct fs *fs)
{
	struct fuse_session *se;
	struct db *db = NULL;
	char err[512];
	int rc = 1;

	se = fuse_session_new(args, fs_lowlevel_ops(),
			      sizeof(struct fuse_lowlevel_ops), fs);
	if (!se)
		return 1; /* libfuse said why */
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "sqlitefs: cannot set signal handlers\n");
		goto out_destroy;
	}
	/* libfuse's absolute path: the daemon chdirs to / */
	if (fuse_session_mount(se, copts->mountpoint) != 0)
		goto out_signals; /* libfuse said why */

	if (!copts->foreground) {
		openlog("sqlitefs", LOG_PID, LOG_DAEMON);
		fuse_set_log_func(log_syslog);
	}
	fuse_daemonize(copts->foreground);

	rc = db_open(o->database, o->ro ? DB_OPEN_READONLY : 0, &db, err,
		     sizeof(err));
	if (rc < 0) {
		fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: %s\n", o->database, err);
		rc = 1;
		goto out_unmount;
	}
	db_set_cache(db, o->cache);
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

	/* one thread: every request needs the database lock anyway, and the
	 * multi-threaded loop's thread churn made an untar 4x slower */
	rc = fuse_session_loop(se);
	/* a terminating signal is a clean stop: the last commit follows */
	rc = rc != 0 && rc != SIGTERM && rc != SIGINT && rc != SIGHUP;
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se); /* runs fs_destroy: the last commit */
	if (db && db_close(db) < 0)
		rc = 1;
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = {.timeout = 86400, .spin = 100};
	struct fuse_cmdline_opts copts;
	struct fs_config cfg;
	struct fs *fs;
	int lockfd, rc;

	fuse_set_log_func(log_stderr);
	parse_args(&args, &o, &copts);
	lockfd = lock_database(&o);
	check_database(&o);

	cfg.timeout = o.timeout;
	cfg.atime = o.noatime	    ? DB_ATIME_NOATIME
		    : o.strictatime ? DB_ATIME_STRICT
				    : DB_ATIME_RELATIME;
	cfg.commit_interval = o.commit;
	cfg.readonly = o.ro;
	cfg.writeback = !o.nowriteback;
	cfg.spin_us = o.spin;
	if (o.ro && fuse_opt_add_arg(&args, "-oro") < 0)
		die("out of memory");

	/* the database is attached after daemonizing: see serve() */
	fs = fs_new(NULL, &cfg);
	if (!fs)
		die("out of memory");
	rc = serve(&o, &args, &copts, fs);

	fs_free(fs);
	close(lockfd);
	free(copts.mountpoint);
	free(o.database);
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return rc;
}
