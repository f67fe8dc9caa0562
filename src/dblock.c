/*
 * dblock.c - the locks that keep sqlitefs programs off a database in use
 *
 * See dblock.h for the two locks and what each state means.  Neither
 * flock(2) nor OFD locks can wait with a timeout, so the waits here try
 * again every few milliseconds (1 ms at first, 16 ms at most) until
 * their deadline: a finishing daemon takes milliseconds to seconds.
 */
#include "dblock.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

/* Sets (F_RDLCK) or clears (F_UNLCK) the busy lock; returns 0 or -errno. */
static int busy_set(int fd, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = DBLOCK_BUSY_BYTE,
		.l_len = 1,
	};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/*
 * Whether another open file description holds the busy lock: 1 or 0; 1
 * also when that cannot be told (no OFD locks there): refusing at once,
 * as before the busy lock, is then the safe answer.
 */
static int busy_held(int fd)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = DBLOCK_BUSY_BYTE,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return 1;
	return fl.l_type != F_UNLCK;
}

/* Milliseconds since start. */
static long long since_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000LL +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Sleeps *ms milliseconds and doubles *ms, up to 16. */
static void pause_ms(int *ms)
{
	struct timespec ts = {0, *ms * 1000000L};

	nanosleep(&ts, NULL);
	if (*ms < 16)
		*ms *= 2;
}

static void notice(const char *prog, const char *path)
{
	if (prog)
		fprintf(stderr,
			"%s: waiting for the sqlitefs daemon finishing with "
			"%s\n",
			prog, path);
}

static int is_mount_of(const char *point, const char *type, const char *source,
		       void *ctx)
{
	(void) point;
	return !strcmp(type, "fuse.sqlitefs") && !strcmp(source, ctx);
}

/*
 * Whether a sqlitefs mount of path is in this mount namespace (its source
 * is the database's real path, as the daemon gives it); 1 also when that
 * cannot be told.
 */
static int mounted_here(const char *path)
{
	char *real = realpath(path, NULL);
	int rc;

	if (!real)
		return 1;
	rc = mountinfo_each(is_mount_of, real);
	free(real);
	return rc != 0;
}

int dblock_take(int fd, const char *path, const char *prog)
{
	struct timespec start;
	int waiting = 0, ms = 1;
	long long waited;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return -errno;
		waited = since_ms(&start);
		/* busy and not mounted: just unmounted, the daemon has not
		 * seen it yet; or a mount elsewhere, or fsck at work */
		if (busy_held(fd) &&
		    (waited >= DBLOCK_GRACE_MS || mounted_here(path)))
			return -EBUSY;
		if (waited >= DBLOCK_WAIT_SECONDS * 1000LL)
			return -ETIMEDOUT;
		if (!waiting)
			notice(prog, path);
		waiting = 1;
		pause_ms(&ms);
	}
	/* without it (no OFD locks on this filesystem), the others refuse */
	busy_set(fd, F_RDLCK);
	return 0;
}

void dblock_finishing(int fd)
{
	busy_set(fd, F_UNLCK);
}

int dblock_wait_exit(int fd, const char *path, const char *prog, int seconds,
		     int notice_ms)
{
	struct timespec start;
	int ms = 1, noticed = 0, let_go = 0;
	long long waited;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			flock(fd, LOCK_UN);
			return 0;
		}
		if (errno != EWOULDBLOCK)
			return -errno;
		/* busy again after it was let go: a new program has it */
		if (busy_held(fd)) {
			if (let_go)
				return 0;
		} else {
			let_go = 1;
		}
		waited = since_ms(&start);
		if (waited >= seconds * 1000LL)
			return busy_held(fd) ? -EBUSY : -ETIMEDOUT;
		if (!noticed && waited >= notice_ms) {
			notice(prog, path);
			noticed = 1;
		}
		pause_ms(&ms);
	}
}
