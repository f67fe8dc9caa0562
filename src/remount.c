/*
 * remount.c - mount -o remount of a sqlitefs mount (see remount.h)
 */
#include "remount.h"

#include "db.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The mount flags a remount sets or clears, as mount(8) names them. */
static const struct {
	const char *set, *clear;
	unsigned long flag;
} flag_opts[] = {
	{"nosuid", "suid", MS_NOSUID},
	{"nodev", "dev", MS_NODEV},
	{"noexec", "exec", MS_NOEXEC},
	{"nosymfollow", "symfollow", MS_NOSYMFOLLOW},
	{"sync", "async", MS_SYNCHRONOUS},
	{"dirsync", "nodirsync", MS_DIRSYNC},
	{"lazytime", "nolazytime", MS_LAZYTIME},
};

struct request {
	const char *database, *mountpoint;
	int ro;			  /* the last of ro and rw; rw if neither */
	long max_ratio;		  /* bdi_max_ratio=, or -1 */
	unsigned long set, clear; /* flags asked for, flags asked away */
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says why on stderr, "sqlitefs: " first; returns 1, the exit status. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sqlitefs: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

/* Reads one comma-separated -o list into r; 0, or 1 after saying why. */
static int parse_list(struct request *r, const char *list)
{
	char *copy = strdup(list), *opt, *save = NULL, *end;
	size_t i;
	int rc = 0;

	if (!copy)
		return fail("out of memory");
	for (opt = strtok_r(copy, ",", &save); opt && rc == 0;
	     opt = strtok_r(NULL, ",", &save)) {
		if (!strcmp(opt, "ro") || !strcmp(opt, "rw")) {
			r->ro = opt[1] == 'o';
		} else if (!strncmp(opt, "bdi_max_ratio=", 14)) {
			errno = 0;
			r->max_ratio = strtol(opt + 14, &end, 10);
			if (errno || *end || end == opt + 14 ||
			    r->max_ratio < 0 || r->max_ratio > 100)
				rc = fail("%s: a percentage from 0 to 100",
					  opt);
		} else {
			/* the daemon's other options (commit=...) stay as
			 * they are: mount(8) adds those of fstab */
			for (i = 0;
			     i < sizeof(flag_opts) / sizeof(flag_opts[0]);
			     i++) {
				unsigned long fl = flag_opts[i].flag;

				if (!strcmp(opt, flag_opts[i].set)) {
					r->set |= fl;
					r->clear &= ~fl;
				} else if (!strcmp(opt, flag_opts[i].clear)) {
					r->clear |= fl;
					r->set &= ~fl;
				}
			}
		}
	}
	free(copy);
	return rc;
}

static int parse(struct request *r, int argc, char **argv)
{
	int i, rc = 0, rest = 0;

	memset(r, 0, sizeof(*r));
	r->max_ratio = -1;
	for (i = 1; i < argc && rc == 0; i++) {
		if (!rest && !strcmp(argv[i], "--")) {
			rest = 1;
		} else if (!rest && !strcmp(argv[i], "-o") && i + 1 < argc) {
			rc = parse_list(r, argv[++i]);
		} else if (!rest && !strncmp(argv[i], "-o", 2)) {
			rc = parse_list(r, argv[i] + 2);
		} else if (!rest && argv[i][0] == '-') {
			rc = fail("%s: not an option of a remount", argv[i]);
		} else if (!r->database) {
			r->database = argv[i];
		} else if (!r->mountpoint) {
			r->mountpoint = argv[i];
		} else {
			rc = fail("%s: one database and one mount point",
				  argv[i]);
		}
	}
	if (rc == 0 && !r->mountpoint)
		rc = fail("usage: sqlitefs DATABASE MOUNTPOINT -o "
			  "remount,ro|rw");
	return rc;
}

int remount_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc &&
		    mountinfo_has(argv[i + 1], "remount"))
			return 1;
		if (!strncmp(argv[i], "-o", 2) &&
		    mountinfo_has(argv[i] + 2, "remount"))
			return 1;
	}
	return 0;
}

int bdi_set_max_ratio(const char *point, unsigned percent)
{
	struct mountinfo mi;
	char path[128], val[16];
	int fd, n, rc = mountinfo_get(point, &mi);

	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/max_ratio", mi.dev);
	n = snprintf(val, sizeof(val), "%u\n", percent);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	errno = EIO; /* what a short write says */
	if (write(fd, val, (size_t) n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

int remount_main(int argc, char **argv)
{
	char mp[PATH_MAX], db[PATH_MAX];
	unsigned long flags = MS_REMOUNT;
	struct mountinfo mi;
	struct request r;
	size_t i;
	int fd, rc;

	if (parse(&r, argc, argv))
		return 1;
	if (!realpath(r.mountpoint, mp))
		return fail("%s: %s", r.mountpoint, strerror(errno));
	if (!realpath(r.database, db))
		return fail("%s: %s", r.database, strerror(errno));
	rc = mountinfo_get(mp, &mi);
	if (rc < 0)
		return fail("%s: %s", mp,
			    rc == -ENOENT ? "nothing is mounted there"
					  : strerror(-rc));
	if (strcmp(mi.type, "fuse.sqlitefs") != 0)
		return fail("%s: not a sqlitefs mount (%s)", mp, mi.type);
	if (strcmp(mi.source, db) != 0)
		return fail("%s: serves %s", mp, mi.source);
	if (!r.ro && !db_write_locked(db))
		return fail("%s: served read-only (mounted with -o ro, or the "
			    "file is not writable): unmount it and mount it "
			    "read-write",
			    db);

	/* the flags it has, changed as asked (mount(2) clears the flags it
	 * is not given); no atime flag keeps its atime flag */
	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++)
		if (mountinfo_has(mi.opts, flag_opts[i].set) ||
		    mountinfo_has(mi.super, flag_opts[i].set))
			flags |= flag_opts[i].flag;
	flags = (flags | r.set) & ~r.clear;
	if (r.ro)
		flags |= MS_RDONLY;
	if (mount(mi.source, mp, mi.type, flags, NULL) < 0)
		return fail("%s: cannot remount: %s", mp,
			    errno == EBUSY ? "files are open for writing"
					   : strerror(errno));
	if (r.ro) {
		/* the kernel has written its pages back: commit them */
		fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0) {
			rc = errno;
			if (fd >= 0)
				close(fd);
			return fail("%s: read-only now, but the commit "
				    "failed: %s",
				    mp, strerror(rc));
		}
		close(fd);
	}
	if (r.max_ratio >= 0) {
		/* 0: the kernel's own share for FUSE */
		rc = bdi_set_max_ratio(mp, r.max_ratio ? (unsigned) r.max_ratio
						       : 1);
		if (rc < 0)
			return fail("%s: cannot set bdi_max_ratio: %s", mp,
				    strerror(-rc));
	}
	return 0;
}
