/*
 * fs_ioctl.c - the ioctls sqlitefs answers: the change journal's control
 * request and chattr flags
 *
 * The kernel sends as FUSE_IOCTL what it does not handle itself: the
 * control request of journal.h (SQLITEFS_IOC_SET), and the chattr(1)
 * flags, which its VFS turns into FS_IOC_GETFLAGS/SETFLAGS or
 * FS_IOC_FSGETXATTR/FSSETXATTR on a file it opens itself.  A change of
 * flags on a file open for writing goes through the seeker (fs_seek.c).
 */
#include "fs_impl.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"

/*
 * The control request of journal.h (SQLITEFS_IOC_SET), on the root
 * directory, by root or the root directory's owner: settings of the change
 * journal and search indexes, which the tools cannot write themselves
 * while the daemon holds the write lock.
 */
static void ioctl_set(fuse_req_t req, fuse_ino_t ino, const void *in_buf,
		      size_t in_bufsz)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct sqlitefs_set set;
	struct stat root;
	int rc;

	if (ino != FUSE_ROOT_ID || in_bufsz != sizeof(set)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	memcpy(&set, in_buf, sizeof(set));
	set.key[sizeof(set.key) - 1] = '\0';
	set.value[sizeof(set.value) - 1] = '\0';
	rc = db_getattr(fs_of(req)->db, ino, &root);
	if (rc == 0 && ctx->uid != 0 && ctx->uid != root.st_uid)
		rc = -EPERM;
	if (rc == 0 && fs_sb_readonly(fs_of(req)))
		rc = -EROFS; /* the kernel lets ioctls through */
	if (rc == 0)
		rc = db_set(fs_of(req)->db, set.key, set.value);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}

/* The FS_XFLAG_* of FS_IOC_FSGETXATTR for each chattr flag (DB_FL_*). */
static const struct {
	unsigned fl, xfl;
} xflags[] = {
	{DB_FL_IMMUTABLE, FS_XFLAG_IMMUTABLE},
	{DB_FL_APPEND, FS_XFLAG_APPEND},
	{DB_FL_NODUMP, FS_XFLAG_NODUMP},
	{DB_FL_NOATIME, FS_XFLAG_NOATIME},
};

_Static_assert(DB_FL_IMMUTABLE == FS_IMMUTABLE_FL &&
		       DB_FL_APPEND == FS_APPEND_FL &&
		       DB_FL_NODUMP == FS_NODUMP_FL &&
		       DB_FL_NOATIME == FS_NOATIME_FL,
	       "DB_FL_* are the kernel's FS_*_FL");

/*
 * Sets the chattr flags of ino for the caller of req (db_set_flags()):
 * the owner or a holder of CAP_FOWNER; immutable and append-only change
 * only with CAP_LINUX_IMMUTABLE, asked of /proc only then.  The kernel
 * checks both before it asks, but the daemon keeps its own rules.
 * Returns 0 or -errno; or, with may_defer, 1 when the seeker will answer
 * req: a file that becomes immutable or append-only while open for
 * writing may have pages in the kernel not written back yet, written
 * before the change, which the kernel is made to write back first.
 */
static int flags_set(fuse_req_t req, fuse_ino_t ino, unsigned flags,
		     int may_defer)
{
	struct fs *fs = fs_of(req);
	unsigned may = 0, old;
	int rc;

	if (flags & ~(unsigned) DB_FL_KNOWN)
		return -EOPNOTSUPP;
	if (fs_sb_readonly(fs))
		return -EROFS; /* the kernel lets ioctls through */
	rc = db_get_flags(fs->db, ino, &old);
	if (rc < 0)
		return rc;
	if (may_defer && (flags & ~old & (DB_FL_IMMUTABLE | DB_FL_APPEND))) {
		if (fs_writers(fs, ino) &&
		    fs_queue_job(fs, &(struct seek_job){.req = req,
							.ino = ino,
							.set_flags = 1,
							.flags = flags}) == 0)
			return 1;
	}
	if (fs_caller_capable(req, CAP_FOWNER))
		may |= DB_FLAGS_FOWNER;
	if (((old ^ flags) & (DB_FL_IMMUTABLE | DB_FL_APPEND)) &&
	    fs_caller_capable(req, CAP_LINUX_IMMUTABLE))
		may |= DB_FLAGS_IMMUTABLE;
	rc = db_set_flags(fs->db, ino, flags, fuse_req_ctx(req)->uid, may);
	if (rc == 0) /* the new ctime (kept by the kernel under writeback) */
		fs_inval_attr(fs, ino);
	return rc;
}

void fs_reply_set_flags(fuse_req_t req, fuse_ino_t ino, unsigned flags)
{
	int rc = flags_set(req, ino, flags, 0);

	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}

/* FS_IOC_FSSETXATTR: the flags of xflags[], nothing else. */
static int fsx_set(fuse_req_t req, fuse_ino_t ino, const struct fsxattr *fsx)
{
	unsigned flags = 0, rest = fsx->fsx_xflags;
	size_t i;

	for (i = 0; i < sizeof(xflags) / sizeof(xflags[0]); i++)
		if (rest & xflags[i].xfl) {
			flags |= xflags[i].fl;
			rest &= ~xflags[i].xfl;
		}
	if (rest || fsx->fsx_extsize || fsx->fsx_projid || fsx->fsx_cowextsize)
		return -EOPNOTSUPP;
	return flags_set(req, ino, flags, 1);
}

/*
 * chattr(1) and lsattr(1): the kernel asks FS_IOC_GETFLAGS and
 * FS_IOC_SETFLAGS (an unsigned int in and out) or FS_IOC_FSGETXATTR and
 * FS_IOC_FSSETXATTR (a struct fsxattr) of a regular file or directory it
 * opened itself.  Fills out (room for either) with *outsz bytes to reply;
 * returns 0 or -errno, or 1 when req is answered later (flags_set()).
 */
static int ioctl_flags(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		       const void *in_buf, size_t in_bufsz, size_t out_bufsz,
		       struct fsxattr *out, size_t *outsz)
{
	struct fsxattr fsx;
	unsigned flags;
	size_t i;
	int rc;

	*outsz = 0;
	if (cmd == FS_IOC_SETFLAGS) {
		if (in_bufsz < sizeof(flags))
			return -EINVAL;
		memcpy(&flags, in_buf, sizeof(flags));
		return flags_set(req, ino, flags, 1);
	}
	if (cmd == FS_IOC_FSSETXATTR) {
		if (in_bufsz < sizeof(fsx))
			return -EINVAL;
		memcpy(&fsx, in_buf, sizeof(fsx));
		return fsx_set(req, ino, &fsx);
	}
	rc = db_get_flags(fs_of(req)->db, ino, &flags);
	if (rc < 0)
		return rc;
	flags &= DB_FL_KNOWN;
	if (cmd == FS_IOC_GETFLAGS) {
		if (out_bufsz < sizeof(flags))
			return -EINVAL;
		memcpy(out, &flags, sizeof(flags));
		*outsz = sizeof(flags);
		return 0;
	}
	if (out_bufsz < sizeof(*out))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(xflags) / sizeof(xflags[0]); i++)
		if (flags & xflags[i].fl)
			out->fsx_xflags |= xflags[i].xfl;
	*outsz = sizeof(*out);
	return 0;
}

void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	      size_t in_bufsz, size_t out_bufsz)
{
	struct fsxattr out;
	size_t outsz;
	int rc;

	(void) arg;
	(void) fi;
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	switch (cmd) {
	case SQLITEFS_IOC_SET:
		ioctl_set(req, ino, in_buf, in_bufsz);
		return;
	case FS_IOC_GETFLAGS:
	case FS_IOC_SETFLAGS:
	case FS_IOC_FSGETXATTR:
	case FS_IOC_FSSETXATTR:
		rc = ioctl_flags(req, ino, cmd, in_buf, in_bufsz, out_bufsz,
				 &out, &outsz);
		if (rc > 0)
			return;
		if (rc < 0)
			fuse_reply_err(req, -rc);
		else
			fuse_reply_ioctl(req, 0, outsz ? &out : NULL, outsz);
		return;
	}
	fuse_reply_err(req, ENOTTY);
}
