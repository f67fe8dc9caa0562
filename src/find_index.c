/*
 * find_index.c - the search indexes of sqlitefs-find: adding, dropping,
 * listing (see find_index.h)
 *
 * A mounted filesystem changes only through its daemon: the request goes
 * to it as ioctl(SQLITEFS_IOC_SET) on its root directory (journal.h),
 * which makes or drops the index in its batch.  An unmounted database is
 * locked as fsck.sqlitefs locks it (dblock.h: no daemon mounts it
 * meanwhile), opened read-write and changed with db_set().  Either way a
 * new index covers the files that exist: CREATE INDEX reads every row.
 */
#include "find_index.h"

#include "db.h"
#include "dblock.h"
#include "find_db.h"
#include "journal.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "sqlitefs-find"

/*
 * The sqlitefs mount a target stands for (mountinfo_each()): a mount of
 * the database file itself, else the longest mount holding the path when
 * it is a sqlitefs one.
 */
struct index_mount {
	const char *real; /* the target's real path */
	char *of_file;	  /* the point of a mount of the database real */
	size_t best;	  /* the longest mount point holding real so far */
	char *holder;	  /* that point, if a sqlitefs mount */
	char *source;	  /* and its database */
};

static int on_mount(const char *point, const char *type, const char *source,
		    void *ctx)
{
	struct index_mount *m = ctx;
	size_t n = strlen(point);
	int sqlitefs = !strcmp(type, "fuse.sqlitefs");

	if (sqlitefs && !m->of_file && !strcmp(source, m->real))
		m->of_file = strdup(point);
	if (strcmp(point, "/") &&
	    (strncmp(m->real, point, n) || (m->real[n] != '/' && m->real[n])))
		return 0;
	if (n < m->best)
		return 0;
	free(m->holder);
	free(m->source);
	m->holder = sqlitefs ? strdup(point) : NULL;
	m->source = sqlitefs ? strdup(source) : NULL;
	m->best = n;
	return 0;
}

/* Whether spec names an index: name, size, mtime, xattr:NAME. */
static int spec_valid(const char *spec)
{
	return !strcmp(spec, "name") || !strcmp(spec, "size") ||
	       !strcmp(spec, "mtime") ||
	       (!strncmp(spec, "xattr:", 6) && spec[6]);
}

static void say(const char *target, const char *key, const char *spec, int rc)
{
	const char *what = !strcmp(key, "index_add") ? "add" : "drop";

	if (rc == -EEXIST)
		fprintf(stderr, PROG ": %s: index %s exists\n", target, spec);
	else if (rc == -ENOENT)
		fprintf(stderr, PROG ": %s: no index %s\n", target, spec);
	else if (rc == -ENOTTY)
		fprintf(stderr,
			PROG ": %s: the daemon serving it cannot %s indexes "
			     "(older sqlitefs?)\n",
			target, what);
	else
		fprintf(stderr, PROG ": %s: cannot %s index %s: %s\n", target,
			what, spec, strerror(-rc));
}

/* The request through the daemon of the mount at point. */
static int set_mounted(const char *point, const char *key, const char *spec)
{
	struct sqlitefs_set set;
	int fd, rc = 0;

	memset(&set, 0, sizeof(set));
	snprintf(set.key, sizeof(set.key), "%s", key);
	snprintf(set.value, sizeof(set.value), "%s", spec);
	fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SQLITEFS_IOC_SET, &set) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The change in the database file path, locked as fsck locks it. */
static int set_unmounted(const char *path, const char *key, const char *spec)
{
	char err[512];
	struct db *db;
	int fd, rc;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = dblock_take(fd, path, PROG);
	if (rc == -EBUSY)
		fprintf(stderr, PROG ": %s: in use by a sqlitefs program\n",
			path);
	if (rc < 0)
		goto out_close;
	rc = db_open(path, 0, &db, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, err);
		goto out_close;
	}
	rc = db_set(db, key, spec);
	if (rc == 0)
		rc = db_close(db);
	else
		db_close(db);
out_close:
	close(fd);
	return rc;
}

/* Prints an index's SQL name as a SPEC. */
static int print_index(void *ctx, const char *name)
{
	(void) ctx;
	if (!strncmp(name, "search_xattr:", 13))
		printf("xattr:%s\n", name + 13);
	else
		printf("%s\n", name + strlen("search_"));
	return 0;
}

static int list(const char *db_path)
{
	struct find_db *db;
	char err[512];
	int rc = find_db_open(db_path, &db, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, PROG ": %s: %s\n", db_path, err);
		return 1;
	}
	rc = find_db_indexes(db, print_index, NULL);
	if (rc < 0)
		fprintf(stderr, PROG ": %s: %s\n", db_path, find_db_error(db));
	find_db_close(db);
	return rc < 0 || fflush(stdout) == EOF;
}

int find_index_main(const char *target, const char *add, const char *drop,
		    int extra)
{
	struct index_mount m = {NULL, NULL, 0, NULL, NULL};
	const char *point;
	const char *spec = add ? add : drop;
	const char *key = add ? "index_add" : "index_drop";
	char *real;
	int rc;

	if (extra || (add && drop)) {
		fprintf(stderr, PROG ": one index option and one DATABASE or "
				     "PATH, nothing else\n");
		return 2;
	}
	if (spec && !spec_valid(spec)) {
		fprintf(stderr,
			PROG ": %s: an index is name, size, mtime or "
			     "xattr:NAME\n",
			spec);
		return 2;
	}
	real = realpath(target, NULL);
	if (!real) {
		fprintf(stderr, PROG ": %s: %s\n", target, strerror(errno));
		return 1;
	}
	m.real = real;
	if (mountinfo_each(on_mount, &m) < 0) {
		fprintf(stderr, PROG ": cannot read /proc/self/mountinfo\n");
		return 1;
	}
	point = m.holder ? m.holder : m.of_file;
	if (!spec)
		rc = list(m.holder ? m.source : real) ? -EIO : 0;
	else if (point)
		rc = set_mounted(point, key, spec);
	else
		rc = set_unmounted(real, key, spec);
	if (rc < 0 && spec)
		say(target, key, spec, rc);
	free(real);
	free(m.of_file);
	free(m.holder);
	free(m.source);
	return rc < 0;
}
