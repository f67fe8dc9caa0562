/*
 * mkfs.c - mkfs.sqlitefs: create a sqlitefs filesystem, optionally loaded
 * with a directory tree
 *
 * mkfs.sqlitefs [-b BLOCK_SIZE] [-p PAGE_SIZE] [-d DIR] [-f] [-v] DATABASE
 *
 * The database is built under a temporary name beside DATABASE and renamed
 * into place only when complete, so a failure, or an interrupt, leaves an
 * existing DATABASE as it was and nothing else behind.  An existing
 * DATABASE is replaced only with -f, and never while a sqlitefs daemon
 * serves it (the locks of dblock.h); one finishing after its unmount is
 * waited for.
 */
#include "db.h"
#include "dblock.h"
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "mkfs.sqlitefs"

/* -b and -p: powers of two in these bounds (-p: SQLite's page sizes). */
#define BLOCK_SIZE_DEFAULT 65536
#define BLOCK_SIZE_MIN 512
#define BLOCK_SIZE_MAX 1048576
#define PAGE_SIZE_DEFAULT 16384
#define PAGE_SIZE_MIN 512
#define PAGE_SIZE_MAX 65536

/* Seconds between progress reports: on a terminal, and in a log. */
#define PROGRESS_TTY_SECONDS 0.2
#define PROGRESS_LOG_SECONDS 2.0

#define MIB 1048576.0 /* bytes, for the reports */

/* The temporary database and its companions, removed on failure. */
static char tmp[4][PATH_MAX + 16];

static void remove_tmp(void)
{
	int i;

	for (i = 0; i < 4; i++)
		if (tmp[i][0])
			unlink(tmp[i]);
}

static void on_signal(int sig)
{
	remove_tmp(); /* unlink is async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Prints "mkfs.sqlitefs: <message>", removes the temporary files, exits. */
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	remove_tmp();
	exit(status);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [-b BLOCK_SIZE] [-p PAGE_SIZE] [-d DIR] "
		   "[-f] [-v] DATABASE\n");
}

static void help(void)
{
	usage(stdout);
	printf("Creates a sqlitefs filesystem in the new SQLite file "
	       "DATABASE.\n");
	printf("  -b BLOCK_SIZE  bytes per data block, a power of two from "
	       "%d to %d (default %d)\n",
	       BLOCK_SIZE_MIN, BLOCK_SIZE_MAX, BLOCK_SIZE_DEFAULT);
	printf("  -p PAGE_SIZE   SQLite page size, a power of two from %d "
	       "to %d (default %d)\n",
	       PAGE_SIZE_MIN, PAGE_SIZE_MAX, PAGE_SIZE_DEFAULT);
	printf("  -d DIR         copy the tree under DIR into the new "
	       "filesystem\n"
	       "  -f             overwrite an existing DATABASE\n"
	       "  -v             report progress while loading DIR\n"
	       "  -h             show this help\n");
}

/* Parses a power of two in [min, max]; 0 if arg is not one. */
static unsigned power_of_two(const char *arg, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max || (v & (v - 1)))
		return 0;
	return (unsigned) v;
}

struct progress {
	int on;	 /* print progress at all */
	int tty; /* on a terminal: one line rewritten in place */
	struct timespec last;
	struct timespec start;
	int shown; /* something is on the line */
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - t->tv_sec) +
	       (double) (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void print_progress(struct progress *p, const struct load_stats *st)
{
	fprintf(stderr, "%s" PROG ": %llu files, %llu directories, %.1f MiB",
		p->tty ? "\r" : "",
		(unsigned long long) (st->files + st->symlinks + st->special +
				      st->links),
		(unsigned long long) st->dirs, (double) st->bytes / MIB);
	fputs(p->tty ? "\033[K" : "\n", stderr);
	p->shown = p->tty;
}

static void on_progress(void *ctx, const struct load_stats *st,
			const char *path)
{
	struct progress *p = ctx;

	(void) path;
	if (!p->on || since(&p->last) < (p->tty ? PROGRESS_TTY_SECONDS
						: PROGRESS_LOG_SECONDS))
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	print_progress(p, st);
}

/*
 * Refuses to replace db unless forced and no daemon is using it; waits
 * for a daemon finishing with it after its unmount.  Returns a descriptor
 * of the old db holding its locks (dblock.h) until the new one replaces
 * it, or -1.
 */
static int check_target(const char *db, int force)
{
	struct stat st;
	int fd, rc;

	if (lstat(db, &st) < 0) {
		if (errno != ENOENT)
			die(1, "%s: %s", db, strerror(errno));
		return -1;
	}
	if (!force)
		die(1, "%s: already exists (use -f to overwrite)", db);
	if (S_ISDIR(st.st_mode))
		die(1, "%s: is a directory", db);
	fd = open(db, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = dblock_take(fd, db, PROG);
	if (rc == -EBUSY || rc == -ETIMEDOUT)
		die(1, "%s: in use by a sqlitefs process, not overwritten", db);
	return fd;
}

/*
 * Removes the -wal and -shm files of the database being replaced: SQLite
 * would read them as the new file's.
 */
static void remove_companions(const char *db)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s-wal", db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", db);
	unlink(path);
}

/* Loads dir into the new database at path; dies on failure. */
static void load(const char *path, const char *dir, const char *db_dir,
		 const char *prefix, int verbose)
{
	struct load_opts o = {0};
	struct load_stats st;
	struct progress p = {0};
	struct stat dst;
	struct db *db;
	char err[PATH_MAX + 256];
	int rc;

	if (stat(db_dir, &dst) == 0) {
		o.skip_dev = dst.st_dev;
		o.skip_ino = dst.st_ino;
		o.skip_prefix = prefix;
	}
	p.tty = isatty(STDERR_FILENO);
	p.on = verbose || p.tty;
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	p.last = p.start;
	o.progress = on_progress;
	o.ctx = &p;

	rc = db_open(path, 0, &db, err, sizeof(err));
	if (rc < 0)
		die(1, "%s: %s", path, err);
	/*
	 * The loaded tree is where history begins, as a new filesystem's
	 * empty root is: its files are not events (a million of them would
	 * fill the journal), and a client holding no cursor scans it.
	 */
	rc = db_set(db, "journal", "off");
	if (rc == 0)
		rc = load_tree(db, dir, &o, &st, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s: %s", path, strerror(-rc));
	if (rc == 0) {
		rc = db_set(db, "journal", "on");
		if (rc < 0)
			snprintf(err, sizeof(err), "%s: %s", path,
				 strerror(-rc));
	}
	if (p.shown)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		db_close(db);
		die(1, "%s", err);
	}
	rc = db_close(db);
	if (rc < 0)
		die(1, "%s: cannot commit: %s", path, strerror(-rc));
	printf(PROG
	       ": loaded %s: %llu files, %llu directories, %llu "
	       "symlinks, %llu other, %llu hard links, %.1f MiB in %.1f s\n",
	       dir, (unsigned long long) st.files, (unsigned long long) st.dirs,
	       (unsigned long long) st.symlinks,
	       (unsigned long long) st.special, (unsigned long long) st.links,
	       (double) st.bytes / MIB, since(&p.start));
	if (st.skipped)
		fprintf(stderr,
			PROG ": warning: %llu extended attributes outside "
			     "user.*, trusted.*, security.* and POSIX ACLs not "
			     "stored\n",
			(unsigned long long) st.skipped);
}

int main(int argc, char *argv[])
{
	unsigned block_size = BLOCK_SIZE_DEFAULT, page_size = PAGE_SIZE_DEFAULT;
	const char *dir = NULL, *db;
	char *copy, *db_dir, *base;
	int force = 0, verbose = 0, opt, fd, lockfd, rc;
	struct stat st;

	while ((opt = getopt(argc, argv, "b:p:d:fvh")) != -1) {
		switch (opt) {
		case 'b':
			block_size = power_of_two(optarg, BLOCK_SIZE_MIN,
						  BLOCK_SIZE_MAX);
			if (!block_size)
				die(2,
				    "bad block size '%s': a power of two "
				    "from %d to %d",
				    optarg, BLOCK_SIZE_MIN, BLOCK_SIZE_MAX);
			break;
		case 'p':
			page_size = power_of_two(optarg, PAGE_SIZE_MIN,
						 PAGE_SIZE_MAX);
			if (!page_size)
				die(2,
				    "bad page size '%s': a power of two "
				    "from %d to %d",
				    optarg, PAGE_SIZE_MIN, PAGE_SIZE_MAX);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			help();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	db = argv[optind];
	if (dir && stat(dir, &st) < 0)
		die(1, "%s: %s", dir, strerror(errno));
	if (dir && !S_ISDIR(st.st_mode))
		die(1, "%s: not a directory", dir);
	copy = strdup(db);
	if (!copy)
		die(1, "out of memory");
	db_dir = dirname(copy);
	if (stat(db_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(1, "%s: no such directory", db_dir);
	lockfd = check_target(db, force);

	if (snprintf(tmp[0], PATH_MAX, "%s.mkfs.%d", db, (int) getpid()) >=
	    PATH_MAX)
		die(1, "%s: %s", db, strerror(ENAMETOOLONG));
	snprintf(tmp[1], sizeof(tmp[1]), "%.*s-wal", PATH_MAX, tmp[0]);
	snprintf(tmp[2], sizeof(tmp[2]), "%.*s-shm", PATH_MAX, tmp[0]);
	snprintf(tmp[3], sizeof(tmp[3]), "%.*s-journal", PATH_MAX, tmp[0]);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	remove_tmp();
	rc = db_mkfs(tmp[0], block_size, page_size);
	if (rc < 0)
		die(1, "%s: cannot create the database: %s", db, strerror(-rc));
	if (dir) {
		base = strrchr(tmp[0], '/');
		load(tmp[0], dir, db_dir, base ? base + 1 : tmp[0], verbose);
	}

	remove_companions(db);
	if (rename(tmp[0], db) < 0)
		die(1, "%s: %s", db, strerror(errno));
	tmp[0][0] = '\0';
	if (lockfd >= 0)
		close(lockfd); /* the old file's locks */
	fd = open(db_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* the rename */
		close(fd);
	}
	free(copy);
	printf(PROG ": %s: sqlitefs filesystem created (block size %u, page "
		    "size %u)\n",
	       db, block_size, page_size);
	return 0;
}
