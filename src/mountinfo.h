/*
 * mountinfo.h - reading /proc/self/mountinfo
 */
#ifndef MOUNTINFO_H
#define MOUNTINFO_H

#include <stddef.h>

/*
 * Calls fn with the mount point, the type and the source of each mount of
 * /proc/self/mountinfo, in its order, with their octal escapes (\040)
 * decoded, until fn returns non-zero.  Returns what fn returned last, or
 * -errno when the file cannot be read.
 */
int mountinfo_each(int (*fn)(const char *point, const char *type,
			     const char *source, void *ctx),
		   void *ctx);

/* One line of mountinfo, decoded (each field cut to its buffer). */
struct mountinfo {
	char dev[32];	   /* the device number, "MAJOR:MINOR" */
	char type[64];	   /* "fuse.sqlitefs" */
	char source[4096]; /* the database */
	char opts[256];	   /* the mount's options: "rw,nosuid,nodev,..." */
	char super[256];   /* the superblock's: "ro,user_id=0,..." */
};

/*
 * Fills mi from the newest mount at point, an absolute path as mountinfo
 * shows it.  Returns 0, -ENOENT when nothing is mounted there, or -errno
 * when the file cannot be read.
 */
int mountinfo_get(const char *point, struct mountinfo *mi);

/* Whether the comma-separated option list opts holds opt. */
int mountinfo_has(const char *opts, const char *opt);

#endif
