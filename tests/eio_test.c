/*
 * eio_test.c - I/O errors under the database: EIO, the daemon lives
 *
 * The daemon runs with tests/faultvfs.c preloaded (FAULTVFS=ioerr), which
 * makes SQLite's writes and syncs of the database and its WAL fail while
 * armed (SIGUSR1 to the daemon; SIGUSR2 disarms).  Then:
 *  - an fsync whose commit cannot be written fails with EIO, as does a
 *    second one on the same file (its batch is lost);
 *  - the daemon lives and serves what was stored before;
 *  - disarmed, writing and fsync work again;
 *  - after an unmount (exit 0), fsck -n and integrity_check are clean and
 *    a remount shows every synced byte;
 *  - with FAULTVFS_READ=1, a read SQLite cannot do fails with EIO, and
 *    succeeds once disarmed.
 * Prints TAP.  Environment: SQLITEFS, MKFS, FSCK, FAULTVFS_LIB.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (200 * 1024 + 3)

static struct mnt m;

static void fill(char *buf, size_t len, unsigned key)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char) ((i * 13 + key * 101 + i / 509) & 0xff);
}

/* Writes SIZE bytes of pattern key to rel; then fsync: 0 or -errno. */
static int write_synced(const char *rel, unsigned key, int *write_err)
{
	char *buf = malloc(SIZE);
	int fd, rc = 0;

	*write_err = 0;
	fill(buf, SIZE, key);
	fd = open(mp(&m, rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		*write_err = errno;
		free(buf);
		return -errno;
	}
	if (write(fd, buf, SIZE) != SIZE)
		*write_err = errno;
	if (fsync(fd) < 0)
		rc = -errno;
	if (rc < 0 && fsync(fd) == 0)
		rc = 1; /* the second fsync must fail too */
	close(fd);
	free(buf);
	return rc;
}

/* 0 if rel holds pattern key, else -errno of the read (or -EILSEQ). */
static int check_file(const char *rel, unsigned key)
{
	char *want = malloc(SIZE), *got = malloc(SIZE + 1);
	int fd = open(mp(&m, rel), O_RDONLY), rc = 0;
	ssize_t r = 0, t = 0;

	fill(want, SIZE, key);
	if (fd < 0)
		rc = -errno;
	while (rc == 0 && (r = read(fd, got + t, SIZE + 1 - (size_t) t)) > 0)
		t += r;
	if (rc == 0 && r < 0)
		rc = -errno;
	if (rc == 0 && (t != SIZE || memcmp(want, got, SIZE)))
		rc = -EILSEQ;
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return rc;
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

/* Mounts with the fault VFS in the daemon only. */
static int mount_faulty(const char *mode, int reads)
{
	const char *lib = getenv("FAULTVFS_LIB");
	int rc;

	if (!lib)
		return -1;
	setenv("LD_PRELOAD", lib, 1);
	setenv("FAULTVFS", mode, 1);
	if (reads)
		setenv("FAULTVFS_READ", "1", 1);
	rc = mnt_mount(&m, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("FAULTVFS");
	unsetenv("FAULTVFS_READ");
	return rc;
}

int main(void)
{
	char msg[160];
	int rc, werr, fd;

	if (!getenv("FAULTVFS_LIB")) {
		printf("1..0 # SKIP FAULTVFS_LIB not set\n");
		return 0;
	}
	rc = mnt_init(&m, "-b 4096 -p 4096") == 0 &&
	     mount_faulty("ioerr", 0) == 0;
	mnt_tap(rc, "mount with the fault VFS");
	if (!rc)
		goto out;
	mnt_tap(write_synced("keep", 1, &werr) == 0,
		"a file written and synced");

	kill(m.pid, SIGUSR1);
	usleep(100000);
	rc = write_synced("lost", 2, &werr);
	snprintf(msg, sizeof(msg),
		 "write errors: fsync fails with EIO (write: %s; fsync: %s)",
		 strerror(werr),
		 rc == 1 ? "second one succeeded" : strerror(rc < 0 ? -rc : 0));
	mnt_tap(rc == -EIO && (werr == 0 || werr == EIO), msg);
	rc = mkdir(mp(&m, "dir"), 0755);
	fd = open(m.path, O_RDONLY | O_DIRECTORY);
	mnt_tap(fd >= 0 && fsync(fd) < 0 && errno == EIO,
		"a mkdir, then fsync of the directory: EIO");
	if (fd >= 0)
		close(fd);
	mnt_tap(m.pid && kill(m.pid, 0) == 0, "the daemon lives");
	mnt_tap(check_file("keep", 1) == 0, "the synced file reads back");

	kill(m.pid, SIGUSR2);
	usleep(100000);
	mnt_tap(write_synced("after", 3, &werr) == 0,
		"disarmed: write and fsync work again");
	mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	mnt_tap(run_fsck() == 0, "fsck -n is clean");
	mnt_tap(mnt_check_db(&m) == 0, "integrity_check and foreign_key_check");

	rc = mount_faulty("ioerr", 1) == 0;
	mnt_tap(rc, "remount, with read errors too");
	if (!rc)
		goto out;
	mnt_tap(check_file("keep", 1) == 0 && check_file("after", 3) == 0,
		"everything synced is there byte for byte");
	rc = check_file("lost", 2);
	mnt_tap(rc == 0 || rc == -ENOENT,
		"the file of the lost batch: whole or absent");
	if (mnt_umount(&m) < 0 || mount_faulty("ioerr", 1) < 0) {
		mnt_tap(0, "remount with a cold cache");
		goto out;
	}
	kill(m.pid, SIGUSR1);
	usleep(100000);
	rc = check_file("keep", 1);
	snprintf(msg, sizeof(msg), "read errors: a read fails with EIO (%s)",
		 strerror(-rc));
	mnt_tap(rc == -EIO, msg);
	mnt_tap(m.pid && kill(m.pid, 0) == 0, "the daemon lives");
	kill(m.pid, SIGUSR2);
	usleep(100000);
	mnt_tap(check_file("keep", 1) == 0, "disarmed: the read works");
	mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	mnt_tap(run_fsck() == 0, "fsck -n is clean");
out:
	mnt_cleanup(&m);
	printf("1..%d\n", mnt_tap_count);
	return mnt_tap_failed;
}
