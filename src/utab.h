/*
 * utab.h - the daemon's entry in libmount's utab, so that umount(8) runs
 * umount.fuse.sqlitefs
 *
 * umount(8), run by root on an absolute path, takes the type of the mount
 * from statfs(2), which says "fuse" whatever the subtype, and so finds no
 * /sbin/umount.fuse.sqlitefs to run; it reads the type fuse.sqlitefs from
 * /proc/self/mountinfo only when libmount's utab (/run/mount/utab) has an
 * entry for the mount point.  A daemon running as root adds one,
 * "uhelper=fuse.sqlitefs", once mounted, and removes it once unmounted
 * (umount(8) also removes it after its helper).  Other users' umount(8)
 * reads mountinfo anyway, and cannot write utab: the calls then do
 * nothing.
 */
#ifndef UTAB_H
#define UTAB_H

/*
 * Adds the entry of the mount of database on mountpoint (an absolute
 * path).  Returns 0, 1 when not root (nothing done), or -errno.
 */
int utab_add(const char *database, const char *mountpoint);

/* Removes the entries of mountpoint; does nothing when not root. */
void utab_remove(const char *mountpoint);

#endif
