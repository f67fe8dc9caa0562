/*
 * fsck.c - fsck.sqlitefs: check, and with -y repair, a sqlitefs database
 *
 * fsck.sqlitefs [-n | -y | -p | -a] [-f] DATABASE
 *
 * Exit status as fsck(8): 0 no damage (orphans and a format-1 database
 * are not damage), 1 damage repaired, orphans deleted or the format
 * upgraded, 4 damage left,
 * 8 operational error (a missing file, not a sqlitefs database, in use by
 * a mounted daemon, a repair that could not be written), 16 usage.
 * Without -y (or -p, -a) it only checks, opening the database read-only.
 * It takes the daemon's locks on the database file (dblock.h), so it never
 * runs on a mounted filesystem and no mount starts while it runs; after an
 * unmount it waits for the daemon's last commit.
 */
#include "dblock.h"
#include "fsck_db.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit status, as fsck(8) has them. */
#define FSCK_OK 0
#define FSCK_CORRECTED 1
#define FSCK_UNCORRECTED 4
#define FSCK_OPERATIONAL 8
#define FSCK_USAGE 16

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsck.sqlitefs [-n | -y | -p | -a] [-f] DATABASE\n\n"
		"Checks the sqlitefs filesystem stored in DATABASE, which "
		"must not be mounted.\n\n"
		"    -n     check only; open the database read-only (the "
		"default)\n"
		"    -y     repair what can be repaired safely\n"
		"    -p, -a the same as -y (what fsck -A passes)\n"
		"    -f     accepted; every run is a full check\n"
		"    -V     print the version\n\n"
		"Exit status: %d clean, %d repaired, %d damage left, %d "
		"operational error, %d usage.\n",
		FSCK_OK, FSCK_CORRECTED, FSCK_UNCORRECTED, FSCK_OPERATIONAL,
		FSCK_USAGE);
}

/* Prints one finding. */
static void print_finding(void *ctx, enum fsck_kind kind, const char *msg)
{
	(void) ctx;
	switch (kind) {
	case FSCK_FIXED:
		printf("%s\n", msg);
		break;
	case FSCK_ERROR: {
		/* the repair clause after the last ';' did not happen */
		const char *semi = strrchr(msg, ';');
		int n = semi ? (int) (semi - msg) : (int) strlen(msg);

		printf("%.*s\n", n, msg);
		break;
	}
	case FSCK_NOTE:
		printf("%s\n", msg);
		break;
	}
}

/*
 * Opens and locks path as the daemon does, after waiting for a daemon
 * finishing with it; exits 8 if that fails.
 */
static int lock_database(const char *path, int repair)
{
	int fd = open(path, (repair ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		fprintf(stderr, "fsck.sqlitefs: %s: %s\n", path,
			strerror(errno));
		exit(FSCK_OPERATIONAL);
	}
	rc = dblock_take(fd, path, "fsck.sqlitefs");
	if (rc == -EBUSY)
		fprintf(stderr,
			"fsck.sqlitefs: %s: in use by a sqlitefs "
			"daemon (mounted?); unmount it first\n",
			path);
	else if (rc == -ETIMEDOUT)
		fprintf(stderr,
			"fsck.sqlitefs: %s: still in use by a sqlitefs "
			"process after %d s\n",
			path, DBLOCK_WAIT_SECONDS);
	else if (rc < 0)
		fprintf(stderr, "fsck.sqlitefs: %s: cannot lock: %s\n", path,
			strerror(-rc));
	if (rc < 0)
		exit(FSCK_OPERATIONAL);
	return fd;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct fsck_result res;
	struct fsck *f;
	const char *path;
	char err[512] = "";
	int c, repair = 0, check_only = 0, lockfd, rc;

	while ((c = getopt_long(argc, argv, "nypafVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			check_only = 1;
			break;
		case 'y':
		case 'p':
		case 'a':
			repair = 1;
			break;
		case 'f':
			break;
		case 'V':
			printf("fsck.sqlitefs %s\n", SQLITEFS_VERSION);
			return FSCK_OK;
		case 'h':
			usage(stdout);
			return FSCK_OK;
		default:
			usage(stderr);
			return FSCK_USAGE;
		}
	}
	if (optind != argc - 1 || (repair && check_only)) {
		usage(stderr);
		return FSCK_USAGE;
	}
	path = argv[optind];

	lockfd = lock_database(path, repair);
	rc = fsck_open(path, repair, &f, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "fsck.sqlitefs: %s: %s\n", path, err);
		close(lockfd);
		return FSCK_OPERATIONAL;
	}
	rc = fsck_run(f, print_finding, NULL, &res, err, sizeof(err));
	fsck_close(f);
	close(lockfd);
	if (rc < 0) {
		fprintf(stderr, "fsck.sqlitefs: %s: %s\n", path, err);
		return rc == -EIO ? FSCK_UNCORRECTED : FSCK_OPERATIONAL;
	}
	printf("%s: %ld inodes, %ld data blocks: ", path, res.inodes,
	       res.blocks);
	if (res.errors == 0)
		printf("clean");
	else
		printf("%ld errors, %ld repaired", res.errors, res.fixed);
	if (res.notes)
		printf(", %ld orphans%s", res.notes,
		       res.purged ? " deleted" : "");
	if (res.old_format)
		printf(res.upgraded ? ", upgraded to format 2" : ", format 1");
	printf("\n");
	if (res.errors > res.fixed)
		return FSCK_UNCORRECTED;
	if (res.fixed || res.purged || res.upgraded)
		return FSCK_CORRECTED;
	return FSCK_OK;
}
