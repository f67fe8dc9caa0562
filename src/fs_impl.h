/*
 * fs_impl.h - what the files of the FUSE handlers share (private)
 *
 * fs_ops.c (the handlers, lookup counts, the commit timer, setup),
 * fs_seek.c (the seeker: requests answered after the kernel wrote back a
 * file's pages) and fs_ioctl.c (the journal's control request, chattr
 * flags) work on one struct fs.  Its lock rules are at the head of
 * fs_ops.c.
 */
#ifndef FS_IMPL_H
#define FS_IMPL_H

#include "fs_ops.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct fs {
	struct db *db;
	struct db *snap; /* read-only: the last commit (loop.h), or NULL */
	struct fuse_session *se; /* for notifications to the kernel */
	struct chan *chan;	 /* the /dev/fuse channel (chan.h) */
	int no_opendir;		 /* the kernel takes ENOSYS for opendir */
	int dont_mask;		 /* the kernel passes the umask (ACLs) */
	int writeback;		 /* the kernel caches writes, and keeps
				  * mtime and ctime of regular files */
	struct fs_config cfg;
	pthread_mutex_t lock;  /* guards refs, doomed and writers */
	struct lookup *refs;   /* kernel lookup count of each inode */
	struct lookup *doomed; /* inodes with nlink 0, count 1 each */
	uint64_t *reap;	       /* ... forgotten, for the committer to delete */
	size_t nreap, reap_max;
	pthread_t committer;   /* commits the batch every commit_interval */
	pthread_mutex_t timer; /* guards stopping, with wake */
	pthread_cond_t wake;
	int stopping; /* the committer should exit */
	int lost;     /* a batch was lost: the committer cleans caches */
	int reaping;  /* fs->reap has inodes for the committer */
	int committer_running;
	uint64_t dirs_seen; /* lost batches told to fsyncdir, without opendir */

	/* seeks that need a writeback first (see fs_lseek()) */
	struct lookup *writers; /* open files that may write, by inode */
	pthread_t seeker;
	pthread_mutex_t seek_lock; /* guards what follows, with seek_wake */
	pthread_cond_t seek_wake;
	struct seek_job *jobs, **jobs_tail; /* first in, first answered */
	unsigned seeks;			    /* queued or being answered */
	int seek_stop;			    /* the seeker should exit */
	int seeker_running;
	int draining; /* fs_drain() runs: seeks are answered at once */
	void *held;   /* a request read as the loop stopped (chan_read_cb()) */
	size_t held_size;

	/* the superblock read-only (mount -o remount,ro): no atime */
	pthread_mutex_t ro_lock; /* guards what follows */
	int mountinfo;		 /* /proc/self/mountinfo, polled; or -1 */
	int sb_ro;
	time_t ro_due; /* read the flags again from then on (monotonic s) */
};

static inline struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * A request the seeker answers after the kernel wrote back the file's
 * pages: a seek, or a change of chattr flags (set_flags).
 */
struct seek_job {
	struct seek_job *next;
	fuse_req_t req;
	fuse_ino_t ino;
	off_t off;
	int whence;
	int set_flags;	/* a change of flags to flags */
	unsigned flags; /* DB_FL_* */
};

/* --- fs_ops.c ------------------------------------------------------------ */

/* Whether the caller of req holds cap (if /proc cannot say: if it is root). */
int fs_caller_capable(fuse_req_t req, int cap);

/* Tells the kernel to fetch the attributes of ino again. */
void fs_inval_attr(struct fs *fs, fuse_ino_t ino);

/*
 * Whether the superblock is read-only (mount -o remount,ro), which the
 * kernel does not enforce on everything (atime, ioctls).
 */
int fs_sb_readonly(struct fs *fs);

/* The open files that may write ino (the writeback cache, a mapping). */
uint64_t fs_writers(struct fs *fs, fuse_ino_t ino);

/* --- fs_seek.c ----------------------------------------------------------- */

/* Starts the seeker (a writable mount); logs when it cannot. */
void fs_seeker_start(struct fs *fs);

/* Stops it, after it answered what was queued. */
void fs_seeker_stop(struct fs *fs);

/* Hands job (a copy) to the seeker; returns 0, or -1 to answer it here. */
int fs_queue_job(struct fs *fs, const struct seek_job *job);

/* The jobs queued or being answered. */
unsigned fs_seeks_pending(struct fs *fs);

void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	      struct fuse_file_info *fi);

/* --- fs_ioctl.c ---------------------------------------------------------- */

void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	      size_t in_bufsz, size_t out_bufsz);

/* The seeker's answer to a change of chattr flags it was handed. */
void fs_reply_set_flags(fuse_req_t req, fuse_ino_t ino, unsigned flags);

#endif
