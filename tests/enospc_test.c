/*
 * enospc_test.c - a full disk under the database: ENOSPC, nothing lost
 *
 * The filesystem lives on a small tmpfs mounted for the test (root only;
 * skipped otherwise), beside a ballast file.  After storing and syncing
 * some files, a writer fills the disk; then:
 *  - the write that does not fit fails with ENOSPC, not EIO (from write,
 *    or from fsync with the kernel's writeback cache), and so does the
 *    next fsync (the batch it was in is lost: fsync must say so);
 *  - the daemon lives and serves reads: the synced files read back intact;
 *  - further writes fail with ENOSPC or succeed, nothing else;
 *  - names a lost batch had created or removed are not shown from the
 *    kernel's caches: what the mount shows is what a fresh lookup (after
 *    dropping the dentry cache) finds; writing a file open since before
 *    the loss whose creation was lost reports the loss's ENOSPC;
 *  - once the ballast is deleted, writing and fsync work again;
 *  - after an unmount (exit 0), fsck -n and integrity_check are clean,
 *    and after a remount everything synced is there byte for byte.
 * Prints TAP.  Environment: SQLITEFS, MKFS, FSCK.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NKEEP 3
#define KEEP_SIZE (300 * 1024 + 17)
#define CHUNK (64 * 1024)

static struct mnt m;
static char top[64] = "/tmp/sqlitefs-enospc.XXXXXX";

static void fill(char *buf, size_t len, unsigned key)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char) ((i * 31 + key * 7 + i / 251) & 0xff);
}

/* Writes len bytes of pattern key to rel and fsyncs; 0 or -errno. */
static int write_synced(const char *rel, size_t len, unsigned key)
{
	char *buf = malloc(len);
	int fd, rc = 0;

	fill(buf, len, key);
	fd = open(mp(&m, rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	if (write(fd, buf, len) != (ssize_t) len)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	free(buf);
	return rc;
}

/* Whether rel holds len bytes of pattern key. */
static int holds(const char *rel, size_t len, unsigned key)
{
	char *want = malloc(len), *got = malloc(len + 1);
	int fd = open(mp(&m, rel), O_RDONLY), same = 0;
	ssize_t r = 0, t = 0;

	fill(want, len, key);
	if (fd >= 0) {
		while ((r = read(fd, got + t, len + 1 - (size_t) t)) > 0)
			t += r;
		same = r == 0 && t == (ssize_t) len && !memcmp(want, got, len);
		close(fd);
	}
	free(want);
	free(got);
	return same;
}

static int all_kept(void)
{
	char name[32];
	int i, good = 1;

	for (i = 0; i < NKEEP; i++) {
		snprintf(name, sizeof(name), "keep%d", i);
		good &= holds(name, KEEP_SIZE, (unsigned) i);
	}
	return good && holds("dir/small", 1000, 99);
}

/* Whether rel opens (without a lookup when the kernel caches its name). */
static int exists(const char *rel)
{
	int fd = open(mp(&m, rel), O_RDONLY);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/*
 * Whether the names created and removed in a batch that was then lost
 * look the same from the kernel's caches (given up to 3 s for the daemon
 * to invalidate them) as from fresh lookups after dropping the dentry
 * cache.  *gone: the creations were indeed lost, so the check could fail.
 */
static int caches_agree(int *gone)
{
	static const char *const names[] = {"lost.new", "lost.d", "victim"};
	int i, j, cached[3], fresh[3], same = 1, fd;

	for (i = 0; i < 30; i++) {
		for (j = 0; j < 3; j++)
			cached[j] = exists(names[j]);
		if (!cached[0] && !cached[1] && cached[2])
			break;
		usleep(100 * 1000);
	}
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "2", 1) != 1)
		return 0;
	close(fd);
	for (j = 0; j < 3; j++) {
		fresh[j] = exists(names[j]);
		same &= cached[j] == fresh[j];
	}
	*gone = !fresh[0] && !fresh[1];
	fprintf(stderr, "# cached: %d %d %d, fresh: %d %d %d\n", cached[0],
		cached[1], cached[2], fresh[0], fresh[1], fresh[2]);
	return same;
}

static int run_fsck(void)
{
	char cmd[PATH_MAX + 64];
	int st;

	snprintf(cmd, sizeof(cmd), "%s -n '%s' >&2",
		 getenv("FSCK") ? getenv("FSCK") : "build/src/fsck.sqlitefs",
		 m.db);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Writes CHUNKs to a new file, with an fsync after every sixteen, until a
 * call fails; returns its errno, *call says which.  (With the kernel's
 * writeback cache a write(2) only fills the page cache: the error comes
 * back from fsync.)  *fsync_errno gets the result of one more fsync.
 */
static int fill_disk(long *bytes, const char **call, int *fsync_errno)
{
	char *buf = malloc(CHUNK);
	int fd = open(mp(&m, "fill"), O_WRONLY | O_CREAT, 0644), err = 0;

	*bytes = 0;
	*call = "open";
	fill(buf, CHUNK, 5);
	if (fd < 0)
		err = errno;
	while (fd >= 0 && !err) {
		*call = "write";
		if (write(fd, buf, CHUNK) != CHUNK) {
			err = errno;
			break;
		}
		*bytes += CHUNK;
		*call = "fsync";
		if (*bytes % (16 * CHUNK) == 0 && fsync(fd) < 0)
			err = errno;
		if (*bytes > 1L << 30)
			break; /* never full: the tmpfs is not there */
	}
	*fsync_errno = fd >= 0 && fsync(fd) < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

int main(void)
{
	char ballast[128], name[32], msg[160];
	int i, rc, err, ferr, others_ok = 1, keep = -1;
	const char *call;
	DIR *dir;
	long bytes;

	if (geteuid() != 0 || !mkdtemp(top) ||
	    mount("tmpfs", top, "tmpfs", 0, "size=12m") < 0) {
		printf("1..0 # SKIP needs root to mount a tmpfs\n");
		return 0;
	}
	setenv("TMPDIR", top, 1);
	snprintf(ballast, sizeof(ballast), "%s/ballast", top);
	rc = mnt_init(&m, "-b 4096 -p 4096") == 0 && mnt_mount(&m, NULL) == 0;
	mnt_tap(rc, "mkfs and mount on a 12 MiB tmpfs");
	if (!rc)
		goto out;
	i = open(ballast, O_WRONLY | O_CREAT, 0644);
	mnt_tap(i >= 0 && posix_fallocate(i, 0, 2 << 20) == 0,
		"a 2 MiB ballast file beside the database");
	close(i);

	rc = 0;
	for (i = 0; i < NKEEP; i++) {
		snprintf(name, sizeof(name), "keep%d", i);
		rc |= write_synced(name, KEEP_SIZE, (unsigned) i);
	}
	rc |= mkdir(mp(&m, "dir"), 0755);
	rc |= write_synced("dir/small", 1000, 99);
	rc |= write_synced("victim", 1000, 77);
	mnt_tap(rc == 0, "files written and synced");

	err = fill_disk(&bytes, &call, &ferr);
	snprintf(msg, sizeof(msg),
		 "filling: %s fails with ENOSPC (%s after %ld bytes)", call,
		 strerror(err), bytes);
	mnt_tap(err == ENOSPC, msg);
	snprintf(msg, sizeof(msg), "the next fsync fails with ENOSPC (%s)",
		 strerror(ferr));
	mnt_tap(ferr == ENOSPC, msg);
	mnt_tap(m.pid && kill(m.pid, 0) == 0, "the daemon lives");
	mnt_tap(all_kept(), "synced files read back intact on the full disk");
	dir = opendir(m.path);
	mnt_tap(dir && readdir(dir) != NULL, "directories can be read");
	if (dir)
		closedir(dir);

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "more%d", i);
		rc = write_synced(name, 200 * 1024, 7);
		if (rc < 0 && rc != -ENOSPC && rc != -ENOENT) {
			fprintf(stderr, "# %s: %s\n", name, strerror(-rc));
			others_ok = 0;
		}
		if (mkdir(mp(&m, name), 0755) < 0 && errno != ENOSPC &&
		    errno != EEXIST) {
			fprintf(stderr, "# mkdir %s: %s\n", name,
				strerror(errno));
			others_ok = 0;
		}
	}
	mnt_tap(others_ok,
		"more writes on the full disk: ENOSPC or success only");
	mnt_tap(m.pid && kill(m.pid, 0) == 0, "the daemon still lives");

	/* a batch that creates and removes a name, then cannot be stored */
	for (i = 0; i < 10 && keep < 0; i++)
		keep = open(mp(&m, "lost.new"), O_RDWR | O_CREAT, 0644);
	for (i = 0; i < 10 && mkdir(mp(&m, "lost.d"), 0755) < 0; i++)
		;
	rc = unlink(mp(&m, "victim"));
	err = write_synced("big", 1 << 20, 3);
	{
		int gone = 0, agree = caches_agree(&gone);

		snprintf(msg, sizeof(msg),
			 "after a lost batch (%s), the kernel shows no name "
			 "it created or removed (creation lost: %d)",
			 strerror(-err), gone);
		mnt_tap(rc == 0 && err == -ENOSPC && agree && gone, msg);
	}
	mnt_tap(holds("victim", 1000, 77),
		"the file whose removal was lost reads back intact");
	/* the write fails, or else the fsync that sends it */
	rc = keep < 0			    ? EBADF
	     : pwrite(keep, "x", 1, 0) != 1 ? errno
	     : fsync(keep) < 0		    ? errno
					    : 0;
	snprintf(msg, sizeof(msg),
		 "writing the open file whose creation was lost gives the "
		 "loss's ENOSPC (%s), not ENOENT",
		 strerror(rc));
	mnt_tap(rc == ENOSPC, msg);
	if (keep >= 0)
		close(keep);

	unlink(ballast);
	mnt_tap(write_synced("after", 256 * 1024, 42) == 0,
		"space freed: a write and fsync work again");
	mnt_tap(mkdir(mp(&m, "after.d"), 0755) == 0, "and a mkdir");
	mnt_tap(all_kept(), "synced files still intact");
	unlink(mp(&m, "fill"));

	mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	mnt_tap(run_fsck() == 0, "fsck -n is clean");
	mnt_tap(mnt_check_db(&m) == 0, "integrity_check and foreign_key_check");
	mnt_tap(mnt_mount(&m, NULL) == 0, "remount");
	mnt_tap(all_kept() && holds("after", 256 * 1024, 42),
		"after the remount, everything synced is there byte for byte");
	mnt_tap(mnt_umount(&m) == 0, "unmount");
out:
	mnt_cleanup(&m);
	umount2(top, MNT_DETACH);
	rmdir(top);
	printf("1..%d\n", mnt_tap_count);
	return mnt_tap_failed;
}
