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

/*
 * Writes the device number ("MAJOR:MINOR") of the newest mount at point,
 * an absolute path as mountinfo shows it, into dev.  Returns 0, -ENOENT
 * when nothing is mounted there, or -errno when the file cannot be read.
 */
int mountinfo_dev(const char *point, char *dev, size_t size);

#endif
