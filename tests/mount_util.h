/*
 * mount_util.h - mount a fresh sqlitefs for a test, for real
 *
 * A test mounts in its own main(), never inside a check fixture: check
 * skips the teardown of a failed test, which would leave a mount behind.
 * The binaries come from the environment meson sets: SQLITEFS (the daemon)
 * and MKFS (scripts/mkfs.sh).
 */
#ifndef MOUNT_UTIL_H
#define MOUNT_UTIL_H

#include <limits.h>
#include <sys/types.h>

struct mnt {
	char dir[PATH_MAX / 2]; /* private temporary directory */
	char db[PATH_MAX];	/* dir/fs.db */
	char path[PATH_MAX];	/* dir/mnt, the mountpoint */
	char log[PATH_MAX];	/* dir/daemon.log, the daemon's stderr */
	pid_t pid; /* daemon in the foreground, 0 when not mounted */
};

/*
 * Makes a temporary directory holding a new filesystem (mkfs.sh with
 * mkfs_args, may be NULL) and an empty mountpoint.  Returns 0 or -1.
 */
int mnt_init(struct mnt *m, const char *mkfs_args);

/*
 * Starts "sqlitefs -f [-o opts] db path" and waits until the mountpoint's
 * st_dev changes.  Returns 0, or -1 if the daemon died or did not mount in
 * 10 seconds (its log is printed).
 */
int mnt_mount(struct mnt *m, const char *opts);

/*
 * Unmounts with fusermount3 -u and waits for the daemon.  Returns 0 only
 * if the daemon exited with status 0; prints its log otherwise.
 */
int mnt_umount(struct mnt *m);

/*
 * Sends sig to the daemon and waits (10 s at most) for it to unmount and
 * exit; returns its exit status, or -1 if it died of a signal or hung.
 */
int mnt_stop(struct mnt *m, int sig);

/* Kills the daemon with sig and lazily unmounts; returns 0 or -1. */
int mnt_kill(struct mnt *m, int sig);

/*
 * Runs PRAGMA integrity_check and foreign_key_check on the database with
 * the sqlite3 shell.  Returns 0 when both report nothing wrong.
 */
int mnt_check_db(struct mnt *m);

/* Runs one SQL statement on the database; its first output line goes in out. */
int mnt_sql(struct mnt *m, const char *sql, char *out, size_t outsz);

/*
 * Prints one TAP line, "ok N - what" or "not ok N - what": N is
 * mnt_tap_count after the call; mnt_tap_failed becomes 1 at a "not ok".
 */
void mnt_tap(int ok, const char *what);
extern int mnt_tap_failed, mnt_tap_count;

/* Prints the daemon's log to stderr. */
void mnt_dump_log(struct mnt *m);

/* Unmounts if needed and removes the temporary directory. */
void mnt_cleanup(struct mnt *m);

/* path = m->path + "/" + rel; returns a static buffer (one of 8 rotating) */
const char *mp(struct mnt *m, const char *rel);

#endif
