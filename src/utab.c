/*
 * utab.c - the daemon's entry in libmount's utab (see utab.h)
 *
 * libmount writes the file, under its lock, in its format; a stale entry
 * (a daemon killed with SIGKILL) only makes umount(8) read mountinfo.
 */
#include "utab.h"

#include <errno.h>
#include <libmount/libmount.h>
#include <unistd.h>

/* Applies fs (an entry to add) or removes target's entries (fs NULL). */
static int update(const char *target, struct libmnt_fs *fs)
{
	struct libmnt_update *upd = mnt_new_update();
	int rc;

	if (!upd)
		return -ENOMEM;
	rc = mnt_update_set_fs(upd, 0, fs ? NULL : target, fs);
	if (rc == 0)
		rc = mnt_update_table(upd, NULL);
	mnt_free_update(upd);
	return rc < 0 ? rc : 0;
}

int utab_add(const char *database, const char *mountpoint)
{
	struct libmnt_fs *fs;
	int rc;

	if (geteuid() != 0)
		return 1;
	fs = mnt_new_fs();
	if (!fs)
		return -ENOMEM;
	rc = mnt_fs_set_source(fs, database);
	if (rc == 0)
		rc = mnt_fs_set_target(fs, mountpoint);
	if (rc == 0)
		rc = mnt_fs_set_fstype(fs, "fuse.sqlitefs");
	if (rc == 0)
		rc = mnt_fs_set_options(fs, "uhelper=fuse.sqlitefs");
	/* one entry per mount point: drop a stale one first */
	if (rc == 0)
		update(mountpoint, NULL);
	if (rc == 0)
		rc = update(mountpoint, fs);
	mnt_free_fs(fs);
	return rc;
}

void utab_remove(const char *mountpoint)
{
	if (geteuid() == 0)
		update(mountpoint, NULL);
}
