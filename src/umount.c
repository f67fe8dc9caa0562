/*
 * umount.c - umount.fuse.sqlitefs: unmount, and return once it is stored
 *
 * umount.fuse.sqlitefs MOUNTPOINT [-flnrv] [-N NS] [-t TYPE]
 *
 * The kernel lets umount(2) return as soon as the mount is detached; the
 * daemon then gets the last written pages, commits, checkpoints the WAL
 * into the database and exits.  This program unmounts and then waits for
 * that exit (the daemon's "in use" lock, dblock.h), so that when it
 * returns 0 the database file alone holds everything and nothing holds it
 * open.  umount(8) runs it for filesystems of type fuse.sqlitefs (as it
 * runs /sbin/umount.TYPE helpers), with the options above; it can also be
 * run by hand.  As root it unmounts with umount2(2), as another user
 * through fusermount3 -u (the only way a user may unmount).
 *
 * The database is the mount's source in /proc/self/mountinfo (the
 * daemon's fsname=, an absolute path).  Exit status: 0 unmounted and
 * stored, 1 an error (said on stderr), 2 usage.
 */
#include "dblock.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "umount.fuse.sqlitefs"

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " MOUNTPOINT [-flv]\n");
}

static void help(void)
{
	usage(stdout);
	printf("Unmounts the sqlitefs filesystem on MOUNTPOINT and waits "
	       "until its daemon has\nstored everything in the database and "
	       "exited (at most %d s).  umount(8) runs\nit for type "
	       "fuse.sqlitefs.  See sqlitefs(8).\n\n"
	       "  -f   force the unmount (the daemon no longer answers)\n"
	       "  -l   lazy: detach now, do not wait (the daemon finishes "
	       "once the\n       filesystem is no longer busy)\n"
	       "  -v   say what is done\n"
	       "  -n, -r, -t TYPE   accepted for umount(8), ignored\n",
	       DBLOCK_WAIT_SECONDS);
}

struct found {
	const char *point;
	char *type, *source;
	size_t size;
	int found;
};

/* Keeps the type and source of the mount on f->point; the last one wins. */
static int match_point(const char *point, const char *type, const char *source,
		       void *ctx)
{
	struct found *f = ctx;

	if (strcmp(point, f->point))
		return 0;
	snprintf(f->type, f->size, "%s", type);
	snprintf(f->source, f->size, "%s", source);
	f->found = 1;
	return 0;
}

/*
 * Finds the last mount on mnt in /proc/self/mountinfo; copies its type
 * and source.  Returns 0, or -1 if nothing is mounted there.
 */
static int find_mount(const char *mnt, char *type, char *source, size_t size)
{
	struct found f = {mnt, type, source, size, 0};

	mountinfo_each(match_point, &f);
	return f.found ? 0 : -1;
}

/*
 * The absolute path of mnt without looking into the mount itself (its
 * daemon may be gone): the real path of its directory, then its name.
 */
static int mount_path(const char *mnt, char *out, size_t size)
{
	char dir[PATH_MAX], *copy = strdup(mnt), *slash, *name;
	size_t len;

	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		name = copy;
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == copy) {
		name = slash + 1;
		snprintf(dir, sizeof(dir), "/");
	} else {
		*slash = '\0';
		name = slash + 1;
		snprintf(dir, sizeof(dir), "%s", copy);
	}
	if (!realpath(dir, out)) {
		free(copy);
		return -errno;
	}
	if (*name && strcmp(name, ".") && strcmp(name, "..")) {
		len = strlen(out);
		snprintf(out + len, size - len, "%s%s",
			 out[len - 1] == '/' ? "" : "/", name);
	} else if (*name && !realpath(mnt, out)) {
		free(copy);
		return -errno;
	}
	free(copy);
	return 0;
}

/* fusermount3 -u [-z] mnt, for users; returns its exit status or -1. */
static int fusermount(const char *mnt, int lazy)
{
	const char *argv[] = {"fusermount3", "-u", lazy ? "-z" : "--", mnt,
			      NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* umount(8) gives its helpers no PATH */
		execvp(argv[0], (char **) argv);
		execv("/usr/bin/fusermount3", (char **) argv);
		fprintf(stderr, PROG ": fusermount3: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char mnt[PATH_MAX], type[PATH_MAX], db[PATH_MAX];
	int c, force = 0, lazy = 0, verbose = 0, fd, mfd, rc, status = 0;

	while ((c = getopt_long(argc, argv, "flnrvt:N:hV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'l':
			lazy = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'n':
		case 'r':
		case 't':
			break;
		case 'N':
			fprintf(stderr, PROG ": -N: not supported\n");
			return 2;
		case 'h':
			help();
			return 0;
		case 'V':
			printf(PROG " %s\n", SQLITEFS_VERSION);
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
	rc = mount_path(argv[optind], mnt, sizeof(mnt));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s: %s\n", argv[optind], strerror(-rc));
		return 1;
	}
	if (find_mount(mnt, type, db, sizeof(db)) < 0) {
		fprintf(stderr, PROG ": %s: not mounted\n", mnt);
		return 1;
	}
	if (strcmp(type, "fuse.sqlitefs")) {
		fprintf(stderr, PROG ": %s: not a sqlitefs mount (type %s)\n",
			mnt, type);
		return 1;
	}

	/* opened before the unmount: the file the daemon has locked */
	fd = open(db, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s; cannot wait for the daemon\n",
			db, strerror(errno));
		status = 1;
	}
	/* writes back what the kernel caches, and says if that failed
	 * (the unmount writes back too, but drops the error) */
	mfd = force ? -1 : open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0 && syncfs(mfd) < 0) {
		fprintf(stderr, PROG ": %s: writing back: %s\n", mnt,
			strerror(errno));
		status = 1;
	}
	if (mfd >= 0)
		close(mfd);

	if (verbose)
		printf(PROG ": unmounting %s (%s)\n", mnt, db);
	if (geteuid() == 0) {
		if (umount2(mnt, UMOUNT_NOFOLLOW | (force ? MNT_FORCE : 0) |
					 (lazy ? MNT_DETACH : 0)) < 0) {
			fprintf(stderr, PROG ": %s: %s\n", mnt,
				strerror(errno));
			return 1;
		}
	} else if (fusermount(mnt, lazy) != 0) {
		return 1; /* fusermount3 said why */
	}
	if (fd < 0 || lazy)
		return status;

	rc = dblock_wait_exit(fd, db, PROG, DBLOCK_WAIT_SECONDS, 1000);
	close(fd);
	if (rc == -EBUSY) {
		fprintf(stderr,
			PROG ": %s: unmounted, but its daemon still serves "
			     "it (mounted in another mount namespace?)\n",
			db);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr,
			PROG ": %s: unmounted, but its daemon has not "
			     "finished: %s\n",
			db, rc == -ETIMEDOUT ? "still running" : strerror(-rc));
		return 1;
	}
	if (verbose)
		printf(PROG ": %s: stored, the daemon has exited\n", db);
	return status;
}
