/*
 * fs_ops.c - the libfuse low-level handlers of sqlitefs
 *
 * Each handler decodes its request, calls one db_* function and ends in
 * exactly one fuse_reply_*.  No SQL here.
 *
 * Lookup counts: every reply that hands the kernel an entry (lookup,
 * create, mkdir, mknod, symlink, link, readdirplus entries other than "."
 * and "..") adds one to the inode's count before the reply is sent, and
 * takes it back if the reply fails; forget takes counts away.  An inode
 * whose last name goes away while the kernel still counts it is put in
 * "doomed"; its rows are deleted when the count reaches zero (db_forget).
 * Those still doomed at unmount are deleted by db_purge_orphans().
 *
 * Lock rules: fs->lock guards refs, doomed and writers and is never held
 * while calling db_*.  It is taken inside db_readdir()'s callback, under
 * the database lock, so the order is: database lock, then fs->lock.
 * fs->seek_lock guards the seeker's queue and nests in nothing.
 *
 * Threads: the session loop runs every handler; the committer commits on
 * a timer; the seeker answers SEEK_DATA and SEEK_HOLE on files the kernel
 * may hold unwritten data of (see fs_lseek()).  Neither helper is ever
 * waited for by the session loop: the kernel work they start (dropping
 * names, writing back pages) needs the loop to answer requests.
 */
#include "fs_ops.h"

#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup.h"

/* How long fs_drain() serves requests, at most. */
#define FS_DRAIN_SECONDS 10

/* The most one copy_file_range request copies. */
#define FS_COPY_MAX ((size_t) 64 << 20)

struct fs {
	struct db *db;
	struct fuse_session *se; /* for notifications to the kernel */
	struct chan chan;	 /* the /dev/fuse channel (chan.h) */
	int no_opendir;		 /* the kernel takes ENOSYS for opendir */
	int writeback;		 /* the kernel caches writes, and keeps
				  * mtime and ctime of regular files */
	struct fs_config cfg;
	pthread_mutex_t lock;  /* guards refs, doomed and writers */
	struct lookup *refs;   /* kernel lookup count of each inode */
	struct lookup *doomed; /* inodes with nlink 0, count 1 each */
	pthread_t committer;   /* commits the batch every commit_interval */
	pthread_mutex_t timer; /* guards stopping, with wake */
	pthread_cond_t wake;
	int stopping; /* the committer should exit */
	int lost;     /* a batch was lost: the committer cleans caches */
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
};

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* --- lookup counts ----------------------------------------------------- */

static int ref(struct fs *fs, fuse_ino_t ino)
{
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = lookup_add(fs->refs, ino, 1);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

/* Drops n counts of ino; deletes it if that was the last and it is doomed. */
static void unref(struct fs *fs, fuse_ino_t ino, uint64_t n)
{
	int drop_rows = 0;

	pthread_mutex_lock(&fs->lock);
	if (lookup_drop(fs->refs, ino, n) == 0 &&
	    lookup_count(fs->doomed, ino)) {
		lookup_drop(fs->doomed, ino, 1);
		drop_rows = 1;
	}
	pthread_mutex_unlock(&fs->lock);
	if (drop_rows)
		db_forget(fs->db, ino);
}

/* Inode ino lost its last name: delete it now, or when the kernel forgets. */
static void doom(struct fs *fs, ino_t ino)
{
	int drop_rows;

	pthread_mutex_lock(&fs->lock);
	drop_rows = lookup_count(fs->refs, ino) == 0;
	/* out of memory: db_purge_orphans() deletes it at unmount */
	if (!drop_rows)
		lookup_add(fs->doomed, ino, 1);
	pthread_mutex_unlock(&fs->lock);
	if (drop_rows)
		db_forget(fs->db, ino);
}

static void fill_entry(struct fs *fs, const struct stat *st,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = st->st_ino;
	e->attr = *st;
	e->attr_timeout = fs->cfg.timeout;
	e->entry_timeout = fs->cfg.timeout;
}

/* Replies with entry st, counting the reference it hands the kernel. */
static void reply_entry(fuse_req_t req, const struct stat *st)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;

	fill_entry(fs, st, &e);
	if (ref(fs, e.ino) < 0) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (fuse_reply_entry(req, &e) != 0)
		unref(fs, e.ino, 1);
}

/* --- the commit timer -------------------------------------------------- */

/*
 * A batch was lost (db_on_lost(); the database lock is held): wakes the
 * committer to make the kernel forget what it caches of the lost work.
 */
static void on_lost(void *ctx)
{
	struct fs *fs = ctx;

	pthread_mutex_lock(&fs->timer);
	fs->lost = 1;
	pthread_cond_signal(&fs->wake);
	pthread_mutex_unlock(&fs->timer);
}

/*
 * After a lost batch, the kernel may cache, for a day, names and
 * attributes of work that is gone: a file whose creation was lost, one
 * whose removal was, an old size or mode.  This tells it to drop every
 * name the lost batches changed, and the attributes and pages of every
 * inode it knows.  It runs on the committer thread, because the kernel
 * may wait, before it drops a name, for a request about that directory
 * which only the session loop answers.
 */
static void forget_lost(struct fs *fs)
{
	struct db_name *names, *n;
	uint64_t *inos, i, count, nnames = 0;
	int all;

	names = db_take_lost_names(fs->db, &all);
	for (n = names; n; n = n->next, nnames++)
		fuse_lowlevel_notify_inval_entry(fs->se, n->parent, n->name,
						 strlen(n->name));
	db_names_free(names);

	pthread_mutex_lock(&fs->lock);
	count = lookup_size(fs->refs) + 1;
	inos = malloc(count * sizeof(*inos));
	if (inos) {
		inos[0] = FUSE_ROOT_ID; /* known without a lookup */
		count = 1 + lookup_list(fs->refs, inos + 1, count - 1);
	}
	pthread_mutex_unlock(&fs->lock);
	for (i = 0; inos && i < count; i++)
		fuse_lowlevel_notify_inval_inode(fs->se, inos[i], 0, 0);
	free(inos);
	fuse_log(FUSE_LOG_NOTICE,
		 "sqlitefs: %s: the kernel was told to drop %" PRIu64
		 " names and %" PRIu64 " inodes of the lost work\n",
		 db_filename(fs->db), nnames, inos ? count : 0);
	if (!all || !inos)
		fuse_log(FUSE_LOG_WARNING,
			 "sqlitefs: %s: too much was lost to tell the kernel "
			 "all of it: some names may be stale until the "
			 "filesystem is mounted again\n",
			 db_filename(fs->db));
}

static void *committer(void *arg)
{
	struct fs *fs = arg;
	struct timespec at;
	int rc, lost;

	pthread_mutex_lock(&fs->timer);
	while (!fs->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += fs->cfg.commit_interval;
		if (!fs->lost)
			pthread_cond_timedwait(&fs->wake, &fs->timer, &at);
		if (fs->stopping)
			break;
		lost = fs->lost;
		fs->lost = 0;
		pthread_mutex_unlock(&fs->timer);
		if (lost && fs->se)
			forget_lost(fs);
		rc = db_sync(fs->db); /* 0 at once if nothing is pending */
		if (rc < 0)
			fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: commit: %s\n",
				 db_filename(fs->db), strerror(-rc));
		pthread_mutex_lock(&fs->timer);
	}
	pthread_mutex_unlock(&fs->timer);
	return NULL;
}

/* Starts a thread with every signal blocked: they are the loop's. */
static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void start_committer(struct fs *fs)
{
	if (spawn(&fs->committer, committer, fs) == 0)
		fs->committer_running = 1;
	else
		fuse_log(FUSE_LOG_ERR, "sqlitefs: no commit timer: changes "
				       "are committed on fsync and unmount\n");
}

static void *seeker(void *arg);
static void stop_seeker(struct fs *fs);

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	/* the kernel checks permissions, clears setuid bits on write and
	 * applies the umask; locks are kept by the kernel (one host) */
	conn->want &=
		~(unsigned) (FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_DONT_MASK |
			     FUSE_CAP_POSIX_ACL | FUSE_CAP_POSIX_LOCKS |
			     FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_ATOMIC_O_TRUNC);
	/*
	 * An O_DIRECT write makes the kernel drop the cached pages of its
	 * range once the write is done; but an asynchronous one (io_submit)
	 * completes without that, and a buffered reader that filled a page
	 * meanwhile keeps the old bytes (keep_cache).  Without async DIO
	 * the kernel does every direct write synchronously, and drops them.
	 */
	conn->want &= ~(unsigned) FUSE_CAP_ASYNC_DIO;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
		fs->no_opendir = 1;
	}
	if (fs->cfg.writeback && !fs->cfg.readonly &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		fs->writeback = 1;
	}

	if (!fs->cfg.readonly && fs->cfg.commit_interval)
		start_committer(fs);
	if (!fs->cfg.readonly) {
		if (spawn(&fs->seeker, seeker, fs) == 0)
			fs->seeker_running = 1;
		else
			fuse_log(FUSE_LOG_ERR,
				 "sqlitefs: no seek thread: SEEK_DATA may miss "
				 "data not yet written back\n");
	}
}

static void fs_destroy(void *userdata)
{
	struct fs *fs = userdata;
	int rc;

	stop_seeker(fs);
	if (fs->committer_running) {
		pthread_mutex_lock(&fs->timer);
		fs->stopping = 1;
		pthread_cond_signal(&fs->wake);
		pthread_mutex_unlock(&fs->timer);
		pthread_join(fs->committer, NULL);
		fs->committer_running = 0;
	}
	if (fs->db)
		db_on_lost(fs->db, NULL, NULL);
	if (fs->db && !fs->cfg.readonly) {
		rc = db_purge_orphans(fs->db);
		if (rc >= 0)
			rc = db_sync(fs->db);
		if (rc < 0)
			fuse_log(FUSE_LOG_ERR, "sqlitefs: %s: unmount: %s\n",
				 db_filename(fs->db), strerror(-rc));
	}
}

/* --- names and attributes ---------------------------------------------- */

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct stat st;
	int rc;

	rc = db_lookup(fs->db, parent, name, &st);
	if (rc == -ENOENT && fs->cfg.timeout > 0) {
		/* a negative entry: the kernel remembers the name is absent */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->cfg.timeout;
		fuse_reply_entry(req, &e);
	} else if (rc < 0) {
		fuse_reply_err(req, -rc);
	} else {
		reply_entry(req, &st);
	}
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	unref(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		unref(fs_of(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/*
 * err for a request on open file fi, except that a file whose inode is
 * gone (ENOENT) after a batch was lost since the open was lost with it:
 * that is the loss's error (EIO, ENOSPC), as fsync reports it.
 */
static int open_err(struct fs *fs, struct fuse_file_info *fi, int err)
{
	uint64_t seen = fi ? fi->fh : 0;
	int lost;

	if (err != ENOENT || !fi)
		return err;
	lost = db_lost_since(fs->db, &seen);
	return lost ? -lost : err;
}

/* fi: with fstat(2) of an open file (FUSE_GETATTR_FH), else NULL */
static void fs_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int rc;

	rc = db_getattr(fs_of(req)->db, ino, &st);
	if (rc < 0)
		fuse_reply_err(req, open_err(fs_of(req), fi, -rc));
	else
		fuse_reply_attr(req, &st, fs_of(req)->cfg.timeout);
}

/* The DB_SET_* mask for a FUSE_SET_ATTR_* one. */
static unsigned setattr_mask(int to_set)
{
	static const struct {
		int fuse;
		unsigned db;
	} map[] = {
		{FUSE_SET_ATTR_MODE, DB_SET_MODE},
		{FUSE_SET_ATTR_UID, DB_SET_UID},
		{FUSE_SET_ATTR_GID, DB_SET_GID},
		{FUSE_SET_ATTR_SIZE, DB_SET_SIZE},
		{FUSE_SET_ATTR_ATIME, DB_SET_ATIME},
		{FUSE_SET_ATTR_MTIME, DB_SET_MTIME},
		{FUSE_SET_ATTR_ATIME_NOW, DB_SET_ATIME_NOW},
		{FUSE_SET_ATTR_MTIME_NOW, DB_SET_MTIME_NOW},
		{FUSE_SET_ATTR_CTIME, DB_SET_CTIME},
	};
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (to_set & map[i].fuse)
			mask |= map[i].db;
	if (mask & DB_SET_ATIME_NOW)
		mask &= ~DB_SET_ATIME;
	if (mask & DB_SET_MTIME_NOW)
		mask &= ~DB_SET_MTIME;
	return mask;
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	unsigned mask = setattr_mask(to_set);
	struct stat st;
	int rc;

	(void) fi;
	if (fs->chan.killpriv && fs->chan.kill)
		mask |= DB_SET_KILL_SUIDGID;
	rc = db_setattr(fs->db, ino, attr, mask, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, fs->cfg.timeout);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	int rc;

	rc = db_readlink(fs_of(req)->db, ino, buf, sizeof(buf));
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, buf);
}

/* Makes an inode of any type for mknod, mkdir, symlink and create. */
static int make(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, dev_t rdev, const char *target, struct stat *st)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct db_cred cred = {.uid = ctx->uid, .gid = ctx->gid};

	return db_mknod(fs_of(req)->db, parent, name, mode, rdev, target, &cred,
			st);
}

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct stat st;
	int rc;

	if (!S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode) &&
	    !S_ISCHR(mode) && !S_ISBLK(mode)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	rc = make(req, parent, name, mode, rdev, NULL, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &st);
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct stat st;
	int rc;

	rc = make(req, parent, name, S_IFDIR | (mode & 07777), 0, NULL, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &st);
}

static void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct stat st;
	int rc;

	rc = make(req, parent, name, S_IFLNK | 0777, 0, link, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &st);
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct stat st;
	int rc;

	rc = db_link(fs_of(req)->db, ino, newparent, newname, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		reply_entry(req, &st);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			int rmdir)
{
	struct fs *fs = fs_of(req);
	ino_t victim;
	int gone, rc;

	rc = db_unlink(fs->db, parent, name, rmdir, &victim, &gone);
	if (rc == 0 && gone)
		doom(fs, victim);
	fuse_reply_err(req, -rc);
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 1);
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct fs *fs = fs_of(req);
	ino_t victim;
	int gone, rc;

	rc = db_rename(fs->db, parent, name, newparent, newname, flags, &victim,
		       &gone);
	if (rc == 0 && gone)
		doom(fs, victim);
	fuse_reply_err(req, -rc);
}

/* --- files ------------------------------------------------------------- */

/*
 * Counts open files that may write ino: the kernel may hold unwritten
 * pages of it (the writeback cache, a shared mapping) until the last of
 * them is released.  Returns 0 or -ENOMEM.
 */
static int writer_open(struct fs *fs, fuse_ino_t ino,
		       const struct fuse_file_info *fi)
{
	int rc = 0;

	if ((fi->flags & O_ACCMODE) == O_RDONLY || fs->cfg.readonly)
		return 0;
	pthread_mutex_lock(&fs->lock);
	rc = lookup_add(fs->writers, ino, 1);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static void writer_close(struct fs *fs, fuse_ino_t ino,
			 const struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) == O_RDONLY || fs->cfg.readonly)
		return;
	pthread_mutex_lock(&fs->lock);
	lookup_drop(fs->writers, ino, 1);
	pthread_mutex_unlock(&fs->lock);
}

static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct stat st;
	int rc;

	rc = make(req, parent, name, S_IFREG | (mode & 07777), 0, NULL, &st);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fill_entry(fs, &st, &e);
	fi->keep_cache = 1;
	fi->fh = db_lost(fs->db);
	if (ref(fs, e.ino) < 0) {
		fuse_reply_err(req, ENOMEM);
	} else if (writer_open(fs, e.ino, fi) < 0) {
		unref(fs, e.ino, 1);
		fuse_reply_err(req, ENOMEM);
	} else if (fuse_reply_create(req, &e, fi) != 0) {
		writer_close(fs, e.ino, fi);
		unref(fs, e.ino, 1);
	}
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct stat st;

	/*
	 * The kernel's page cache stays valid, since every change passes
	 * here; but reads it serves never reach db_read().  When a read
	 * should update atime, start this open with an empty cache.
	 */
	fi->keep_cache = 1;
	fi->fh = db_lost(fs->db); /* for fs_fsync(): losses after this open */
	if (fi->fh) /* a lost batch: the page cache may hold what was lost */
		fi->keep_cache = 0;
	if ((fi->flags & O_ACCMODE) != O_WRONLY && !fs->cfg.readonly &&
	    db_getattr(fs->db, ino, &st) == 0 &&
	    db_atime_due(&st, fs->cfg.atime))
		fi->keep_cache = 0;
	if (writer_open(fs, ino, fi) < 0)
		fuse_reply_err(req, ENOMEM);
	else if (fuse_reply_open(req, fi) != 0)
		writer_close(fs, ino, fi);
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	char *buf = malloc(size ? size : 1);
	enum db_atime atime = fs->cfg.atime;
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the writeback cache reads a page before a write that covers part
	 * of it, through the writer's file: that read is no access */
	if ((fi->flags & O_ACCMODE) == O_WRONLY)
		atime = DB_ATIME_NOATIME;
	n = db_read(fs->db, ino, off, size, buf, atime);
	if (n < 0)
		fuse_reply_err(req, open_err(fs, fi, (int) -n));
	else
		fuse_reply_buf(req, buf, (size_t) n);
	free(buf);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	int allocated = 0;
	unsigned kill = 0;
	ssize_t n;

	if (fs->chan.killpriv)
		kill = DB_KILL_CAPS | (fs->chan.kill ? DB_KILL_SUIDGID : 0);
	if (fs->writeback)
		kill |= DB_KEEP_TIMES; /* the kernel sends them with setattr */
	n = db_write(fs->db, ino, off, buf, size, kill, &allocated);
	if (n < 0) {
		fuse_reply_err(req, open_err(fs, fi, (int) -n));
		return;
	}
	fuse_reply_write(req, (size_t) n);
	/*
	 * With the writeback cache the kernel keeps size and times itself,
	 * but not st_blocks: have it ask again.  (Attributes only: no page
	 * locks are taken, so this is safe while the kernel writes back.)
	 */
	if (allocated && fs->writeback && fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

/*
 * release (and releasedir, left out): open files keep no state here but
 * the count of writers, and data is committed by fsync or the commit
 * timer.  flush is left out too:
 * libfuse answers ENOSYS, and the kernel stops sending it, a round trip
 * less per close (the writeback cache is still flushed on close).
 */
static void fs_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	writer_close(fs_of(req), ino, fi);
	fuse_reply_err(req, 0);
}

/*
 * fsync, fdatasync, fsyncdir and syncfs: commit the whole batch, and
 * report a batch lost since the file was opened: to every file, since a
 * batch holds everybody's work; at every fsync of that open file, since
 * fi->fh is not kept between requests (Linux reports a writeback error
 * once per open file; reopening here clears it).
 */
static void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct db *db = fs_of(req)->db;
	int rc = db_sync(db), lost = fi ? db_lost_since(db, &fi->fh) : 0;

	(void) ino;
	(void) datasync;
	fuse_reply_err(req, rc < 0 ? -rc : -lost);
}

static void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);

	fuse_reply_err(req, open_err(fs, fi,
				     -db_fallocate(fs->db, ino, mode, offset,
						   length)));
}

/* --- SEEK_DATA and SEEK_HOLE ------------------------------------------- */

/* A seek the seeker answers. */
struct seek_job {
	struct seek_job *next;
	fuse_req_t req;
	fuse_ino_t ino;
	off_t off;
	int whence;
};

static void reply_seek(struct fs *fs, fuse_req_t req, fuse_ino_t ino, off_t off,
		       int whence)
{
	off_t rc = db_lseek(fs->db, ino, off, whence);

	if (rc < 0)
		fuse_reply_err(req, (int) -rc);
	else
		fuse_reply_lseek(req, rc);
}

/*
 * Answers the queued seeks in order.  The kernel writes back its dirty
 * pages of the file from the offset on when told to drop them (each is
 * laundered: written and waited for), through write requests that the
 * session loop serves; then the database holds every byte written.
 */
static void *seeker(void *arg)
{
	struct fs *fs = arg;
	struct seek_job *job;
	int stopping;

	pthread_mutex_lock(&fs->seek_lock);
	for (;;) {
		while (!fs->jobs && !fs->seek_stop)
			pthread_cond_wait(&fs->seek_wake, &fs->seek_lock);
		job = fs->jobs;
		if (!job)
			break;
		fs->jobs = job->next;
		if (!fs->jobs)
			fs->jobs_tail = &fs->jobs;
		stopping = fs->seek_stop;
		pthread_mutex_unlock(&fs->seek_lock);
		if (!stopping)
			fuse_lowlevel_notify_inval_inode(fs->se, job->ino,
							 job->off, 0);
		reply_seek(fs, job->req, job->ino, job->off, job->whence);
		free(job);
		pthread_mutex_lock(&fs->seek_lock);
		fs->seeks--;
	}
	pthread_mutex_unlock(&fs->seek_lock);
	return NULL;
}

static void stop_seeker(struct fs *fs)
{
	if (!fs->seeker_running)
		return;
	pthread_mutex_lock(&fs->seek_lock);
	fs->seek_stop = 1;
	pthread_cond_signal(&fs->seek_wake);
	pthread_mutex_unlock(&fs->seek_lock);
	pthread_join(fs->seeker, NULL);
	fs->seeker_running = 0;
}

/* Hands the seek to the seeker; returns 0, or -1 to answer it here. */
static int queue_seek(struct fs *fs, fuse_req_t req, fuse_ino_t ino, off_t off,
		      int whence)
{
	struct seek_job *job;

	if (!fs->seeker_running || !fs->se || fs->draining)
		return -1;
	job = calloc(1, sizeof(*job));
	if (!job)
		return -1;
	job->req = req;
	job->ino = ino;
	job->off = off;
	job->whence = whence;
	pthread_mutex_lock(&fs->seek_lock);
	*fs->jobs_tail = job;
	fs->jobs_tail = &job->next;
	fs->seeks++;
	pthread_cond_signal(&fs->seek_wake);
	pthread_mutex_unlock(&fs->seek_lock);
	return 0;
}

/*
 * The kernel asks without writing back first: data in its writeback
 * cache or in a written shared mapping is not in the database yet, and
 * would be a hole here (or past the end).  A file nobody may write has
 * no such pages: it is answered at once.  Otherwise the seeker has the
 * kernel write them back first: it cannot be done here, since the kernel
 * holds the file's lock until the answer comes and the write requests
 * need this thread.
 */
static void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	uint64_t writers;

	(void) fi;
	pthread_mutex_lock(&fs->lock);
	writers = lookup_count(fs->writers, ino);
	pthread_mutex_unlock(&fs->lock);
	if (writers && off >= 0 &&
	    (whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    queue_seek(fs, req, ino, off, whence) == 0)
		return;
	reply_seek(fs, req, ino, off, whence);
}

/* The seeks queued or being answered. */
static unsigned seeks_pending(struct fs *fs)
{
	unsigned n;

	pthread_mutex_lock(&fs->seek_lock);
	n = fs->seeks;
	pthread_mutex_unlock(&fs->seek_lock);
	return n;
}

void fs_drain(struct fs *fs, struct fuse_session *se)
{
	struct pollfd p = {.fd = fuse_session_fd(se), .events = POLLIN};
	struct fuse_buf buf = {0};
	struct timespec start, now;
	int rc;

	fs->draining = 1;
	if (fs->held) {
		struct fuse_buf held = {.mem = fs->held, .size = fs->held_size};

		fuse_session_process_buf(se, &held);
		free(fs->held);
		fs->held = NULL;
	}
	if (!seeks_pending(fs))
		goto out_free;
	/* libfuse drops what it reads in an exited session; a second
	 * signal exits it again, and ends this */
	fuse_session_reset(se);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (seeks_pending(fs) && !fuse_session_exited(se)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= FS_DRAIN_SECONDS)
			break;
		if (poll(&p, 1, 10) <= 0)
			continue;
		rc = fuse_session_receive_buf(se, &buf);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc <= 0)
			break; /* the kernel ended the connection */
		fuse_session_process_buf(se, &buf);
	}
	fuse_session_exit(se);
	if (seeks_pending(fs))
		fuse_log(FUSE_LOG_ERR,
			 "sqlitefs: %u seeks still wait for "
			 "the kernel's writeback\n",
			 seeks_pending(fs));
out_free:
	free(buf.mem);
	free(fs->held); /* read by a second signal's loop: dropped */
	fs->held = NULL;
}

static void fs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			       off_t off_out, struct fuse_file_info *fi_out,
			       size_t len, int flags)
{
	ssize_t n;

	(void) fi_in;
	(void) fi_out;
	if (flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* a short count is allowed, and callers loop: bound the time one
	 * copy holds the database (and the reply's 32-bit count) */
	if (len > FS_COPY_MAX)
		len = FS_COPY_MAX;
	n = db_copy_range(fs_of(req)->db, ino_in, off_in, ino_out, off_out,
			  len);
	if (n < 0)
		fuse_reply_err(req, (int) -n);
	else
		fuse_reply_write(req, (size_t) n);
}

/* --- directories ------------------------------------------------------- */

/*
 * Directories keep no open state, and listings may be cached by the
 * kernel (all changes pass through here): ENOSYS, where the kernel
 * supports it, makes it stop sending opendir and releasedir at all.
 */
static void fs_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);

	(void) ino;
	if (fs->no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->keep_cache = 0;
	fi->fh = db_lost(fs_of(req)->db);
	fuse_reply_open(req, fi);
}

/* A readdir reply being filled. */
struct dirbuf {
	fuse_req_t req;
	struct fs *fs;
	char *buf;
	size_t size, used;
	int plus;	  /* readdirplus: entries carry attributes */
	fuse_ino_t *refs; /* inodes counted for this reply */
	size_t nrefs;
};

static int dirbuf_add(void *ctx, const char *name, const struct stat *st,
		      off_t next)
{
	struct dirbuf *d = ctx;
	int dot = !strcmp(name, ".") || !strcmp(name, "..");
	struct fuse_entry_param e;
	size_t n;

	if (!d->plus) {
		n = fuse_add_direntry(d->req, d->buf + d->used,
				      d->size - d->used, name, st, next);
	} else {
		fill_entry(d->fs, st, &e);
		if (dot)
			e.ino = 0; /* the kernel does not count dot entries */
		n = fuse_add_direntry_plus(d->req, d->buf + d->used,
					   d->size - d->used, name, &e, next);
		if (n <= d->size - d->used && !dot) {
			if (ref(d->fs, st->st_ino) < 0)
				return 1;
			d->refs[d->nrefs++] = st->st_ino;
		}
	}
	if (n > d->size - d->used)
		return 1;
	d->used += n;
	return 0;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, int plus)
{
	struct dirbuf d = {
		.req = req, .fs = fs_of(req), .size = size, .plus = plus};
	size_t i;
	int rc;

	d.buf = malloc(size ? size : 1);
	/* an entry takes at least 24 (plus: 152) bytes */
	d.refs = plus ? calloc(size / 24 + 1, sizeof(*d.refs)) : NULL;
	if (!d.buf || (plus && !d.refs)) {
		fuse_reply_err(req, ENOMEM);
		goto out_free;
	}
	rc = db_readdir(d.fs->db, ino, off, dirbuf_add, &d);
	if (rc < 0 && d.used == 0)
		fuse_reply_err(req, -rc);
	else if (fuse_reply_buf(req, d.buf, d.used) != 0)
		for (i = 0; i < d.nrefs; i++)
			unref(d.fs, d.refs[i], 1);
out_free:
	free(d.refs);
	free(d.buf);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void) fi;
	readdir_common(req, ino, size, off, 0);
}

static void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void) fi;
	readdir_common(req, ino, size, off, 1);
}

/*
 * As fs_fsync(); but without opendir a directory has no open state, so a
 * lost batch is reported to the next fsyncdir, whichever directory.
 */
static void fs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	int rc = db_sync(fs->db), lost;

	(void) ino;
	(void) datasync;
	lost = db_lost_since(fs->db,
			     fs->no_opendir || !fi ? &fs->dirs_seen : &fi->fh);
	fuse_reply_err(req, rc < 0 ? -rc : -lost);
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	int rc;

	(void) ino;
	rc = db_statfs(fs_of(req)->db, &sv);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_statfs(req, &sv);
}

/* --- extended attributes ----------------------------------------------- */

static void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	fuse_reply_err(req, -db_setxattr(fs_of(req)->db, ino, name, value, size,
					 flags));
}

/* Replies to a getxattr or listxattr that returned n into buf of size. */
static void reply_xattr(fuse_req_t req, ssize_t n, const char *buf, size_t size)
{
	if (n < 0)
		fuse_reply_err(req, (int) -n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t) n);
	else
		fuse_reply_buf(req, buf, (size_t) n);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	ssize_t n;

	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = db_getxattr(fs_of(req)->db, ino, name, buf, size);
	reply_xattr(req, n, buf, size);
	free(buf);
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	ssize_t n;

	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = db_listxattr(fs_of(req)->db, ino, buf, size);
	reply_xattr(req, n, buf, size);
	free(buf);
}

static void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, -db_removexattr(fs_of(req)->db, ino, name));
}

/* --- setup ------------------------------------------------------------- */

static const struct fuse_lowlevel_ops ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readlink = fs_readlink,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.release = fs_release,
	.opendir = fs_opendir,
	.fsync = fs_fsync,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.fsyncdir = fs_fsyncdir,
	.statfs = fs_statfs,
	.setxattr = fs_setxattr,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.removexattr = fs_removexattr,
	.create = fs_create,
	.fallocate = fs_fallocate,
	.lseek = fs_lseek,
	.copy_file_range = fs_copy_file_range,
};

const struct fuse_lowlevel_ops *fs_lowlevel_ops(void)
{
	return &ops;
}

struct fs *fs_new(struct db *db, const struct fs_config *cfg)
{
	struct fs *fs = calloc(1, sizeof(*fs));
	pthread_condattr_t attr;

	if (!fs)
		return NULL;
	fs->db = db;
	fs->cfg = *cfg;
	fs->refs = lookup_new();
	fs->doomed = lookup_new();
	fs->writers = lookup_new();
	if (!fs->refs || !fs->doomed || !fs->writers) {
		fs_free(fs);
		return NULL;
	}
	fs->jobs_tail = &fs->jobs;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->seek_lock, NULL);
	pthread_cond_init(&fs->seek_wake, NULL);
	pthread_mutex_init(&fs->timer, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->wake, &attr);
	pthread_condattr_destroy(&attr);
	return fs;
}

static ssize_t chan_read_cb(int fd, void *buf, size_t len, void *userdata)
{
	struct fs *fs = userdata;
	ssize_t n = chan_read(&fs->chan, fd, buf, len);

	/*
	 * A signal stopped the loop while the request was read: libfuse
	 * would drop it unanswered, and its sender (maybe the writeback a
	 * seek waits for) would wait for ever.  fs_drain() answers it.
	 */
	if (n > 0 && fs->se && fuse_session_exited(fs->se) && !fs->held) {
		fs->held = malloc((size_t) n);
		if (fs->held) {
			memcpy(fs->held, buf, (size_t) n);
			fs->held_size = (size_t) n;
			errno = EINTR;
			return -1;
		}
	}
	return n;
}

static ssize_t chan_writev_cb(int fd, struct iovec *iov, int count,
			      void *userdata)
{
	return chan_writev(&((struct fs *) userdata)->chan, fd, iov, count);
}

void fs_attach(struct fs *fs, struct db *db, struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
		.read = chan_read_cb,
		.writev = chan_writev_cb,
	};

	fs->db = db;
	fs->se = se;
	if (db)
		db_on_lost(db, on_lost, fs);
	/* a read-only mount never writes: nothing to drop, nothing gained */
	fs->chan.want = !fs->cfg.readonly;
	if (fuse_session_custom_io(se, &io, fuse_session_fd(se)) != 0)
		fuse_log(FUSE_LOG_ERR, "sqlitefs: cannot read /dev/fuse "
				       "directly; writes will cost more\n");
	else if (chan_set_spin(&fs->chan, fuse_session_fd(se),
			       (int64_t) fs->cfg.spin_us * 1000) < 0)
		fuse_log(FUSE_LOG_WARNING, "sqlitefs: cannot poll /dev/fuse; "
					   "every request wakes the daemon\n");
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	lookup_free(fs->refs);
	lookup_free(fs->doomed);
	lookup_free(fs->writers);
	free(fs);
}
