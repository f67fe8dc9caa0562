/*
 * remount.h - "mount -o remount,ro" and "remount,rw" of a sqlitefs mount
 *
 * mount(8) runs mount.fuse3, which runs "sqlitefs DATABASE MOUNTPOINT -o
 * OPTIONS,remount" (OPTIONS: the mount's, with the requested ones last).
 * That command does not start a daemon: it checks that MOUNTPOINT is a
 * sqlitefs mount of DATABASE and remounts it (mount(2), MS_REMOUNT), the
 * mount's own flags (nosuid, nodev, noexec) and atime flag kept.
 *   ro  The kernel writes its cached pages back to the daemon and refuses
 *       every change from then on (EROFS); the command then fsyncs the
 *       root directory, which commits the batch: once it returns, the
 *       database holds everything.  Files open for writing make it fail
 *       (EBUSY), as on ext4.  The daemon sees the superblock read-only in
 *       /proc/self/mountinfo and stops updating atime (fs_ops.c).
 *   rw  Only for a daemon that serves the database read-write (it holds
 *       SQLite's write lock all the time): one that was mounted with -o
 *       ro, or found the file read-only, cannot take writes.
 * The mount's flags change as asked (nosuid, nodev, noexec, nosymfollow,
 * sync, dirsync, lazytime and their opposites); a flag not named stays.
 * bdi_max_ratio= is applied too (0: the kernel's 1 %); the daemon's other
 * options (commit=, cache=, ...) keep the values it was started with:
 * mount(8) passes those of fstab along, and they are ignored.
 */
#ifndef REMOUNT_H
#define REMOUNT_H

/* Whether the command line asks for a remount (an -o list with it). */
int remount_wanted(int argc, char **argv);

/* Does the remount; returns the exit status, after saying why if not 0. */
int remount_main(int argc, char **argv);

/*
 * Sets the max_ratio of the mount at point (an absolute path) in sysfs,
 * its backing device found in mountinfo.  Returns 0 or -errno.
 */
int bdi_set_max_ratio(const char *point, unsigned percent);

#endif
