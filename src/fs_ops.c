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
 * a timer; the seeker (fs_seek.c) answers SEEK_DATA and SEEK_HOLE on
 * files the kernel may hold unwritten data of, and makes such files
 * immutable or append-only (fs_ioctl.c), after having the kernel write
 * that data back.  Neither helper is ever waited for by the session
 * loop: the kernel work they start (dropping names, writing back pages)
 * needs the loop to answer requests.
 */
#include "fs_impl.h"

#include "chan.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lookup.h"
#include "loop.h"
#include "mountinfo.h"

/* How long fs_drain() serves requests, at most. */
#define FS_DRAIN_SECONDS 10

/* The most one copy_file_range request copies. */
#define FS_COPY_MAX ((size_t) 64 << 20)

/* How long fs_drain() waits for a request before it looks again. */
#define FS_DRAIN_POLL_MS 10

/* The caller's supplementary groups looked at (the rest are not). */
#define FS_GROUPS_MAX 64

/* Background requests (writeback, readahead) the kernel keeps in flight. */
#define FS_MAX_BACKGROUND 32

/* The page cache of the read-only connection (loop.h), in MiB. */
#define FS_SNAP_CACHE_MIB 2

/* How often the superblock's read-only flag is read without a sign. */
#define FS_RO_RECHECK_S 5

/* The least a directory entry takes in a reply: struct fuse_dirent. */
#define FS_DIRENT_MIN 24

/* --- lookup counts ----------------------------------------------------- */

static int ref(struct fs *fs, fuse_ino_t ino)
{
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = lookup_add(fs->refs, ino, 1);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

/*
 * Has the committer delete doomed inode ino, forgotten in the loop while
 * the database lock is held elsewhere: 0, or -1 if it cannot.
 */
static int reap_later(struct fs *fs, fuse_ino_t ino)
{
	int rc = -1;

	if (!fs->committer_running)
		return -1;
	pthread_mutex_lock(&fs->lock);
	if (fs->nreap == fs->reap_max) {
		size_t max = fs->reap_max ? 2 * fs->reap_max : 64;
		uint64_t *p = realloc(fs->reap, max * sizeof(*p));

		if (p) {
			fs->reap = p;
			fs->reap_max = max;
		}
	}
	if (fs->nreap < fs->reap_max) {
		fs->reap[fs->nreap++] = ino;
		rc = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc == 0) {
		pthread_mutex_lock(&fs->timer);
		fs->reaping = 1;
		pthread_cond_signal(&fs->wake);
		pthread_mutex_unlock(&fs->timer);
	}
	return rc;
}

/* Deletes the inodes reap_later() was given; in the committer. */
static void reap_now(struct fs *fs)
{
	uint64_t *reap;
	size_t i, n;

	pthread_mutex_lock(&fs->lock);
	reap = fs->reap;
	n = fs->nreap;
	fs->reap = NULL;
	fs->nreap = fs->reap_max = 0;
	pthread_mutex_unlock(&fs->lock);
	for (i = 0; i < n; i++)
		db_forget(fs->db, reap[i]);
	free(reap);
}

/*
 * Drops n counts of ino; deletes it if that was the last and it is doomed.
 * The kernel giving back more than it was counted as holding means a count
 * was missed, and an inode may have been deleted while the kernel knew it:
 * an assertion in debug builds (as libfuse's passthrough_ll has), an error
 * logged in release builds.
 */
static void unref(struct fs *fs, fuse_ino_t ino, uint64_t n)
{
	int drop_rows = 0;
	uint64_t left;

	pthread_mutex_lock(&fs->lock);
	left = lookup_drop(fs->refs, ino, n);
	if ((left == 0 || left == LOOKUP_TOO_MANY) &&
	    lookup_count(fs->doomed, ino)) {
		lookup_drop(fs->doomed, ino, 1);
		drop_rows = 1;
	}
	pthread_mutex_unlock(&fs->lock);
	if (left == LOOKUP_TOO_MANY) {
		fuse_log(FUSE_LOG_ERR,
			 "sqlitefs: inode %llu: the kernel forgot %llu "
			 "references, more than it was counted as holding\n",
			 (unsigned long long) ino, (unsigned long long) n);
		assert(!"a lookup count was missed");
	}
	if (drop_rows && (loop_may_wait() || reap_later(fs, ino) < 0))
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

/*
 * Commits every commit_interval seconds; between, cleans up after a lost
 * batch and deletes the inodes reap_later() hands it.
 */
static void *committer(void *arg)
{
	struct fs *fs = arg;
	struct timespec at, now;
	int rc, lost, reap, due;

	pthread_mutex_lock(&fs->timer);
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += fs->cfg.commit_interval;
	while (!fs->stopping) {
		if (!fs->lost && !fs->reaping)
			pthread_cond_timedwait(&fs->wake, &fs->timer, &at);
		if (fs->stopping)
			break;
		/* from the clock: wake-ups to reap must not put it off */
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = now.tv_sec > at.tv_sec ||
		      (now.tv_sec == at.tv_sec && now.tv_nsec >= at.tv_nsec);
		lost = fs->lost;
		reap = fs->reaping;
		fs->lost = fs->reaping = 0;
		pthread_mutex_unlock(&fs->timer);
		if (lost && fs->se)
			forget_lost(fs);
		if (reap)
			reap_now(fs);
		if (due || lost) {
			rc = db_sync(
				fs->db); /* at once if nothing is pending */
			if (rc < 0)
				fuse_log(FUSE_LOG_ERR,
					 "sqlitefs: %s: commit: %s\n",
					 db_filename(fs->db), strerror(-rc));
		}
		pthread_mutex_lock(&fs->timer);
		if (due || lost) {
			clock_gettime(CLOCK_MONOTONIC, &at);
			at.tv_sec += fs->cfg.commit_interval;
		}
	}
	pthread_mutex_unlock(&fs->timer);
	return NULL;
}

static void start_committer(struct fs *fs)
{
	if (loop_spawn(&fs->committer, committer, fs) == 0)
		fs->committer_running = 1;
	else
		fuse_log(FUSE_LOG_ERR, "sqlitefs: no commit timer: changes "
				       "are committed on fsync and unmount\n");
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	/*
	 * The kernel checks permissions and applies the umask; locks are
	 * kept by the kernel (one host).  Set-ID bits and capabilities are
	 * dropped on write, truncate and chown by this daemon where chan.c
	 * negotiates FUSE_HANDLE_KILLPRIV_V2 (kill_mask(), setattr_kill()),
	 * else by the kernel: not through FUSE_CAP_HANDLE_KILLPRIV (the
	 * protocol's first version, the one libfuse knows), cleared here.
	 */
	conn->want &=
		~(unsigned) (FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_DONT_MASK |
			     FUSE_CAP_POSIX_ACL | FUSE_CAP_POSIX_LOCKS |
			     FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_ATOMIC_O_TRUNC);
	/*
	 * POSIX ACLs: the kernel checks access by them (it reads
	 * system.posix_acl_access through getxattr and caches it); the
	 * daemon keeps the mode in step, and makes new inodes take their
	 * directory's default ACL, which replaces the umask: so the kernel
	 * passes the umask instead of applying it (DONT_MASK).
	 */
	if (fs->cfg.acl && (conn->capable & FUSE_CAP_POSIX_ACL) &&
	    (conn->capable & FUSE_CAP_DONT_MASK)) {
		conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
		fs->dont_mask = 1;
	} else {
		db_set_acl(fs->db, 0);
		if (fs->snap)
			db_set_acl(fs->snap, 0);
	}
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
	/*
	 * File handles (open_by_handle_at, NFS export): the kernel finds an
	 * inode it dropped by looking up "." in it, and a directory's parent
	 * by "..".  The handle holds the inode number, which is never given
	 * to another inode (settings next_ino); the generation stays 0.
	 */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (fs->cfg.writeback && !fs->cfg.readonly &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		fs->writeback = 1;
	}

	/*
	 * Readahead goes to the kernel's background queue with the writes
	 * it writes back, which the worker handles one at a time: with the
	 * kernel's 12 slots a reader beside a writer waited up to 400 ms
	 * for one.  32 let its reads through (docs/performance.md); each
	 * write in flight holds a buffer of up to 1 MiB here.
	 */
	if (!fs->cfg.readonly) {
		conn->max_background = FS_MAX_BACKGROUND;
		conn->congestion_threshold = FS_MAX_BACKGROUND * 3 / 4;
	}
	if (!fs->cfg.readonly && fs->cfg.commit_interval)
		start_committer(fs);
	if (!fs->cfg.readonly)
		fs_seeker_start(fs);
}

static void fs_destroy(void *userdata)
{
	struct fs *fs = userdata;
	int rc;

	fs_seeker_stop(fs);
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

/* --- dropping privileges on write ------------------------------------- */

int fs_caller_capable(fuse_req_t req, int cap)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	unsigned long long caps;
	char path[64], line[256];
	int rc = ctx->uid == 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int) ctx->pid);
	f = fopen(path, "re");
	if (!f)
		return rc;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			rc = !!(caps & (1ULL << cap));
			break;
		}
	fclose(f);
	return rc;
}

/* Whether the caller of req is in group gid (0 when that is unknown). */
static int caller_in_group(fuse_req_t req, gid_t gid)
{
	gid_t groups[FS_GROUPS_MAX];
	int i, n;

	if (fuse_req_ctx(req)->gid == gid)
		return 1;
	n = fuse_req_getgroups(req, FS_GROUPS_MAX, groups);
	for (i = 0; i < n && i < FS_GROUPS_MAX; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * The DB_KILL_* mask of a change of the contents of ino by the caller of
 * req, by the rules of the kernel's file_remove_privs() as ext4 follows
 * them: the file's capabilities always; and unless the caller holds
 * CAP_FSETID (fsetid: 1 or 0 as the request says, -1 when it does not),
 * the set-user-ID bit, and the set-group-ID bit when group-executable or
 * when the caller is outside the file's group.  0 when the kernel drops
 * them itself (without FUSE_HANDLE_KILLPRIV_V2).  The inode is read (and
 * /proc) only when there is a set-ID bit to drop.
 */
static unsigned kill_mask(struct fs *fs, fuse_req_t req, fuse_ino_t ino,
			  int fsetid)
{
	unsigned kill = DB_KILL_CAPS;
	struct stat st;

	if (!chan_killpriv(fs->chan))
		return 0;
	if (fsetid == 1 || db_getattr(fs->db, ino, &st) < 0 ||
	    !(st.st_mode & (S_ISUID | S_ISGID)))
		return kill;
	if (fsetid < 0 && fs_caller_capable(req, CAP_FSETID))
		return kill;
	kill |= DB_KILL_SUIDGID;
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == S_ISGID &&
	    !caller_in_group(req, st.st_gid))
		kill |= DB_KILL_SGID;
	return kill;
}

/*
 * Makes the kernel fetch the attributes of ino again: after a write, an
 * fallocate or a copy that dropped set-ID bits (their replies carry no
 * mode, and the kernel would go on showing, and executing with, the old
 * one for the attribute timeout), sent before the reply so that the
 * caller's next exec sees the new mode; or after a write that changed
 * st_blocks.  Attributes only (offset -1): no inode or page lock is
 * taken, so this is safe while the kernel waits for the reply or writes
 * back, with or without the writeback cache.
 */
void fs_inval_attr(struct fs *fs, fuse_ino_t ino)
{
	if (fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

/* --- names and attributes ---------------------------------------------- */

/*
 * With loop_snapshot(): whether an answer read from fs->snap after
 * db_snap_gen() gave gen holds, rc being its error (ok_err is an answer
 * too) and ino[0..n-1] the inodes it depends on.  If not, req is deferred
 * and 0 returned.
 */
static int snap_holds(struct fs *fs, fuse_req_t req, uint64_t gen, int rc,
		      int ok_err, const uint64_t *ino, size_t n)
{
	if ((rc >= 0 || rc == ok_err) && db_snap_clean(fs->db, gen, ino, n))
		return 1;
	loop_defer(req);
	return 0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct stat st;
	int rc;

	if (loop_snapshot()) {
		uint64_t gen = db_snap_gen(fs->db);
		uint64_t dep[2] = {parent, parent};

		rc = db_lookup(fs->snap, parent, name, &st);
		if (rc == 0)
			dep[1] = st.st_ino;
		if (!snap_holds(fs, req, gen, rc, -ENOENT, dep, 2))
			return;
	} else {
		rc = db_lookup(fs->db, parent, name, &st);
	}
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
	struct fs *fs = fs_of(req);
	struct stat st;
	int rc;

	if (loop_snapshot()) {
		uint64_t gen = db_snap_gen(fs->db);
		uint64_t dep = ino;

		rc = db_getattr(fs->snap, ino, &st);
		if (!snap_holds(fs, req, gen, rc, 0, &dep, 1))
			return;
	} else {
		rc = db_getattr(fs->db, ino, &st);
	}
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

/*
 * Adds to *mask the DB_SET_KILL_* bits of a setattr of ino by the caller of
 * req, where the daemon drops set-ID bits (FUSE_HANDLE_KILLPRIV_V2), by the
 * kernel's rules as ext4 applies them (a directory keeps its bits: the
 * kernel asks nothing for it, and db_setattr leaves them):
 * - truncate by a caller without CAP_FSETID (the kernel's kill flag says
 *   so): what a write drops;
 * - chown with an owner or a group, even the same one (the kill flag says
 *   so): the set-user-ID bit always, even by root; the set-group-ID bit
 *   when group-executable, or when the caller has neither the file's group
 *   nor CAP_FSETID (setattr_should_drop_sgid());
 * - chown(path, -1, -1), which drops the same but comes without the flag
 *   and without an owner: with the writeback cache it is the one setattr
 *   carrying ctime alone.  Where the chmod this implies would be refused
 *   (a caller neither owning the file nor holding CAP_FOWNER), -EPERM.
 *   Without the writeback cache it carries nothing at all, as does the
 *   setattr the kernel sends before a write (one by root too, which keeps
 *   the bits), so there nothing is dropped: ext4 would.
 * Returns 0 or -errno.
 */
static int setattr_kill(struct fs *fs, fuse_req_t req, fuse_ino_t ino,
			int to_set, unsigned *mask)
{
	int chown_none = to_set == FUSE_SET_ATTR_CTIME && fs->writeback;
	int chown = chown_none || (*mask & (DB_SET_UID | DB_SET_GID));
	unsigned kill;
	struct stat st;

	if (!chan_killpriv(fs->chan) ||
	    !(chan_kill_suidgid(fs->chan) || chown_none))
		return 0;
	kill = kill_mask(fs, req, ino, chown ? -1 : 0);
	*mask |= DB_SET_KILL_SUIDGID;
	if (kill & DB_KILL_SGID)
		*mask |= DB_SET_KILL_SGID;
	if (!chown_none || db_getattr(fs->db, ino, &st) < 0 ||
	    fuse_req_ctx(req)->uid == st.st_uid)
		return 0;
	kill = DB_KILL_SUIDGID | (kill & DB_KILL_SGID); /* as *mask says */
	if (db_killed_mode(st.st_mode, kill) == st.st_mode)
		return 0;
	return fs_caller_capable(req, CAP_FOWNER) ? 0 : -EPERM;
}

/*
 * Whether the times a setattr sets (to_set, attr) are the current time,
 * which an append-only file takes (DB_SET_TIMES_NOW): a touch (utimensat(2)
 * with UTIME_NOW, the kernel's ATTR_TOUCH), or the kernel's own times
 * after a write (fuse_flush_times()).  Under the writeback cache both
 * come as values, mtime with a ctime of the same value; a time a caller
 * chose comes with a ctime of now.
 */
static int times_now(const struct fs *fs, int to_set, const struct stat *attr)
{
	int atime = to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW);
	int mtime = to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW);
	int mtime_now = (to_set & FUSE_SET_ATTR_MTIME_NOW) ||
			(fs->writeback && (to_set & FUSE_SET_ATTR_CTIME) &&
			 attr->st_mtim.tv_sec == attr->st_ctim.tv_sec &&
			 attr->st_mtim.tv_nsec == attr->st_ctim.tv_nsec);

	if (atime && !(to_set & FUSE_SET_ATTR_ATIME_NOW))
		return 0;
	if (mtime && !mtime_now)
		return 0;
	return atime || mtime;
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	unsigned mask = setattr_mask(to_set);
	struct stat st;
	int rc;

	(void) fi;
	if (times_now(fs, to_set, attr))
		mask |= DB_SET_TIMES_NOW;
	rc = setattr_kill(fs, req, ino, to_set, &mask);
	if (rc == 0)
		rc = db_setattr(fs->db, ino, attr, mask, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, fs->cfg.timeout);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	char buf[PATH_MAX + 1];
	int rc;

	if (loop_snapshot()) {
		uint64_t gen = db_snap_gen(fs->db);
		uint64_t dep = ino;

		rc = db_readlink(fs->snap, ino, buf, sizeof(buf));
		if (!snap_holds(fs, req, gen, rc, 0, &dep, 1))
			return;
	} else {
		rc = db_readlink(fs->db, ino, buf, sizeof(buf));
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, buf);
}

/*
 * Makes an inode of any type for mknod, mkdir, symlink and create, owned by
 * the caller of req.
 */
static int mknod_as_caller(fuse_req_t req, fuse_ino_t parent, const char *name,
			   mode_t mode, dev_t rdev, const char *target,
			   struct stat *st)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fs *fs = fs_of(req);
	struct db_cred cred = {.uid = ctx->uid,
			       .gid = ctx->gid,
			       .umask = fs->dont_mask ? ctx->umask : 0};

	return db_mknod(fs->db, parent, name, mode, rdev, target, &cred, st);
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
	rc = mknod_as_caller(req, parent, name, mode, rdev, NULL, &st);
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

	rc = mknod_as_caller(req, parent, name, S_IFDIR | (mode & 07777), 0,
			     NULL, &st);
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

	rc = mknod_as_caller(req, parent, name, S_IFLNK | 0777, 0, link, &st);
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
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct db_cred cred = {.uid = ctx->uid, .gid = ctx->gid};
	struct fs *fs = fs_of(req);
	ino_t victim;
	int gone, rc;

	rc = db_rename_as(fs->db, parent, name, newparent, newname, flags,
			  &cred, &victim, &gone);
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

uint64_t fs_writers(struct fs *fs, fuse_ino_t ino)
{
	uint64_t n;

	pthread_mutex_lock(&fs->lock);
	n = lookup_count(fs->writers, ino);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct stat st;
	int rc;

	rc = mknod_as_caller(req, parent, name, S_IFREG | (mode & 07777), 0,
			     NULL, &st);
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

/*
 * Whether the superblock is read-only now (mount -o remount,ro: the
 * kernel refuses every change, and the daemon must not make one of its
 * own).  A remount through mount(2) changes the mount table, which
 * poll(2) on /proc/self/mountinfo reports (POLLPRI); other ways to make
 * it read-only (fsconfig(2), an emergency remount) do not, so the flags
 * are read again every FS_RO_RECHECK_S seconds too.  The mount is the
 * newest at the mount point, if it is this daemon's.
 */
int fs_sb_readonly(struct fs *fs)
{
	struct pollfd p = {.fd = fs->mountinfo, .events = POLLPRI};
	struct mountinfo mi;
	struct timespec now;
	int ro;

	if (fs->mountinfo < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	pthread_mutex_lock(&fs->ro_lock);
	if (poll(&p, 1, 0) > 0 || now.tv_sec >= fs->ro_due) {
		/* not found (detached, or another mount on top): the last
		 * flag stays; reading the file on every request would not
		 * tell more */
		if (mountinfo_get(fs->cfg.mountpoint, &mi) == 0 &&
		    !strcmp(mi.type, "fuse.sqlitefs") &&
		    !strcmp(mi.source, db_filename(fs->db)))
			fs->sb_ro = mountinfo_has(mi.super, "ro");
		fs->ro_due = now.tv_sec + FS_RO_RECHECK_S;
	}
	ro = fs->sb_ro;
	pthread_mutex_unlock(&fs->ro_lock);
	return ro;
}

/* The atime policy of a read now: none while read-only (fs_sb_readonly()). */
static enum db_atime fs_atime(struct fs *fs)
{
	if (fs->cfg.atime == DB_ATIME_NOATIME || !fs_sb_readonly(fs))
		return fs->cfg.atime;
	return DB_ATIME_NOATIME;
}

/*
 * The open by fi of ino that its flags (db.h, DB_FL_*) refuse, as the
 * VFS's may_open() does: for writing or truncating an immutable file; an
 * append-only one for writing without O_APPEND, or truncating.  0 when
 * allowed, -EPERM, or 1 when req was deferred (loop_snapshot()).  Only
 * an open that may write or truncate reads the flags.
 */
static int open_check(struct fs *fs, fuse_req_t req, fuse_ino_t ino,
		      const struct fuse_file_info *fi)
{
	int wr = (fi->flags & O_ACCMODE) != O_RDONLY, rc;
	unsigned flags = 0;

	if ((!wr && !(fi->flags & O_TRUNC)) || fs->cfg.readonly)
		return 0;
	if (loop_snapshot()) {
		uint64_t gen = db_snap_gen(fs->db), dep = ino;

		rc = db_get_flags(fs->snap, ino, &flags);
		if (!snap_holds(fs, req, gen, rc, 0, &dep, 1))
			return 1;
	} else {
		rc = db_get_flags(fs->db, ino, &flags);
	}
	if (rc < 0)
		return 0; /* for the open to find out */
	if ((flags & DB_FL_IMMUTABLE) ||
	    ((flags & DB_FL_APPEND) &&
	     ((fi->flags & O_TRUNC) || !(fi->flags & O_APPEND))))
		return -EPERM;
	return 0;
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	int due, refused;

	refused = open_check(fs, req, ino, fi);
	if (refused) {
		if (refused < 0)
			fuse_reply_err(req, -refused);
		return;
	}

	/*
	 * The kernel's page cache stays valid, since every change passes
	 * here; but reads it serves never reach db_read().  When a read
	 * should update atime, start this open with an empty cache.
	 */
	fi->keep_cache = 1;
	fi->fh = db_lost(fs->db); /* for fs_fsync(): losses after this open */
	if (fi->fh) /* a lost batch: the page cache may hold what was lost */
		fi->keep_cache = 0;
	if ((fi->flags & O_ACCMODE) != O_WRONLY && !fs->cfg.readonly) {
		if (loop_snapshot()) {
			uint64_t gen = db_snap_gen(fs->db), dep = ino;
			int rc = db_read_due(fs->snap, ino, fs_atime(fs));

			if (!snap_holds(fs, req, gen, rc, 0, &dep, 1))
				return;
			due = rc > 0;
		} else {
			due = db_read_due(fs->db, ino, fs_atime(fs)) > 0;
		}
		if (due)
			fi->keep_cache = 0;
	}
	if (writer_open(fs, ino, fi) < 0)
		fuse_reply_err(req, ENOMEM);
	else if (fuse_reply_open(req, fi) != 0)
		writer_close(fs, ino, fi);
}

/*
 * fs_read() from the last commit, in the loop: 1 with *n set, or 0 when
 * req was deferred: the file changed in the batch, or the read is due to
 * update atime, a change, unless an earlier read of the batch did (with
 * relatime the next is due only after the batch's commit anyway).
 */
static int read_snap(struct fs *fs, fuse_req_t req, fuse_ino_t ino, off_t off,
		     size_t size, char *buf, enum db_atime atime, ssize_t *n)
{
	uint64_t gen = db_snap_gen(fs->db);
	int rc = db_read_due(fs->snap, ino, atime), due = rc > 0, set = 0;

	*n = rc < 0 ? rc
		    : db_read(fs->snap, ino, off, size, buf, DB_ATIME_NOATIME);
	if (*n >= 0 && db_snap_clean_data(fs->db, gen, ino, &set) &&
	    (!due || (set && atime == DB_ATIME_RELATIME)))
		return 1;
	loop_defer(req);
	return 0;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	char *buf = malloc(size ? size : 1);
	enum db_atime atime = fs_atime(fs);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the writeback cache reads a page before a write that covers part
	 * of it, through the writer's file: that read is no access */
	if ((fi->flags & O_ACCMODE) == O_WRONLY)
		atime = DB_ATIME_NOATIME;
	if (loop_snapshot()) {
		if (!read_snap(fs, req, ino, off, size, buf, atime, &n))
			goto out_free;
	} else {
		n = db_read(fs->db, ino, off, size, buf, atime);
	}
	if (n < 0)
		fuse_reply_err(req, open_err(fs, fi, (int) -n));
	else
		fuse_reply_buf(req, buf, (size_t) n);
out_free:
	free(buf);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	unsigned flags = 0, changed = 0;
	ssize_t n;

	/*
	 * A write(2) that must drop set-ID bits comes straight here, not
	 * through the writeback cache, the kernel's kill flag saying
	 * whether the writer lacks CAP_FSETID.  Pages written back
	 * (fi->writepage) hold what write(2) calls already answered for
	 * (the kernel removed security.capability before caching them), or
	 * stores to a shared mapping, which drop nothing (on ext4 neither).
	 */
	if (!fi->writepage)
		flags = kill_mask(fs, req, ino, !chan_kill_suidgid(fs->chan));
	if (fs->writeback) /* the kernel sends the times with setattr */
		flags |= DB_WRITE_KEEP_TIMES;
	n = db_write(fs->db, ino, off, buf, size, flags, &changed);
	if (n < 0) {
		fuse_reply_err(req, open_err(fs, fi, (int) -n));
		return;
	}
	if (changed & DB_CHANGED_MODE)
		fs_inval_attr(fs, ino);
	fuse_reply_write(req, (size_t) n);
	/* with the writeback cache the kernel keeps size and times itself,
	 * but not st_blocks: have it ask again */
	if ((changed & DB_CHANGED_BLOCKS) && !(changed & DB_CHANGED_MODE) &&
	    fs->writeback)
		fs_inval_attr(fs, ino);
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
	unsigned changed;
	int rc;

	/* no kill flag here: whether the caller may keep set-ID bits is
	 * asked of /proc, when there are some */
	rc = db_fallocate(fs->db, ino, mode, offset, length,
			  kill_mask(fs, req, ino, -1), &changed);
	if (changed & DB_CHANGED_MODE)
		fs_inval_attr(fs, ino);
	fuse_reply_err(req, open_err(fs, fi, -rc));
}

int fs_loop(struct fs *fs, struct fuse_session *se)
{
	struct loop *l = NULL;
	char err[256];
	int rc;

	if (fs->db && !fs->cfg.readonly) {
		rc = db_open(db_filename(fs->db), DB_OPEN_READONLY, &fs->snap,
			     err, sizeof(err));
		if (rc < 0)
			fuse_log(FUSE_LOG_WARNING,
				 "sqlitefs: %s: no second connection (%s): "
				 "lookups will wait for writes\n",
				 db_filename(fs->db), err);
		else {
			db_set_cache(fs->snap, FS_SNAP_CACHE_MIB);
			db_set_mmap(fs->snap, fs->cfg.mmap_mib);
			db_set_acl(fs->snap, fs->cfg.acl);
		}
		l = loop_new(se, fs->db, fs->snap != NULL);
	}
	if (!l)
		rc = fuse_session_loop(se);
	else
		rc = loop_run(l);
	loop_free(l);
	db_close(fs->snap);
	fs->snap = NULL;
	return rc;
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
	if (!fs_seeks_pending(fs))
		goto out_free;
	/* libfuse drops what it reads in an exited session; a second
	 * signal exits it again, and ends this */
	fuse_session_reset(se);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (fs_seeks_pending(fs) && !fuse_session_exited(se)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= FS_DRAIN_SECONDS)
			break;
		if (poll(&p, 1, FS_DRAIN_POLL_MS) <= 0)
			continue;
		rc = fuse_session_receive_buf(se, &buf);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc <= 0)
			break; /* the kernel ended the connection */
		fuse_session_process_buf(se, &buf);
	}
	fuse_session_exit(se);
	if (fs_seeks_pending(fs))
		fuse_log(FUSE_LOG_ERR,
			 "sqlitefs: %u seeks still wait for "
			 "the kernel's writeback\n",
			 fs_seeks_pending(fs));
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
	struct fs *fs = fs_of(req);
	unsigned changed;
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
	/* a write by the caller: drops as fs_fallocate() does */
	n = db_copy_range(fs->db, ino_in, off_in, ino_out, off_out, len,
			  kill_mask(fs, req, ino_out, -1), &changed);
	if (changed & DB_CHANGED_MODE)
		fs_inval_attr(fs, ino_out);
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
	int snap;	  /* from the last commit: counted once it holds */
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
			if (!d->snap && ref(d->fs, st->st_ino) < 0)
				return 1;
			d->refs[d->nrefs++] = st->st_ino;
		}
	}
	if (n > d->size - d->used)
		return 1;
	d->used += n;
	return 0;
}

/*
 * A listing of dir read from the last commit holds: then its entries are
 * counted as a readdirplus reply hands them to the kernel.  Else the
 * request is deferred, or answered ENOMEM, and 0 returned.
 */
static int readdir_holds(struct dirbuf *d, uint64_t gen, fuse_ino_t dir, int rc)
{
	uint64_t one = dir;
	size_t i;

	if (!d->plus)
		return snap_holds(d->fs, d->req, gen, rc, 0, &one, 1);
	d->refs[d->nrefs] = dir;
	if (!snap_holds(d->fs, d->req, gen, rc, 0, d->refs, d->nrefs + 1))
		return 0;
	for (i = 0; i < d->nrefs; i++) {
		if (ref(d->fs, d->refs[i]) < 0) {
			while (i-- > 0)
				unref(d->fs, d->refs[i], 1);
			fuse_reply_err(d->req, ENOMEM);
			return 0;
		}
	}
	return 1;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, int plus)
{
	struct dirbuf d = {.req = req,
			   .fs = fs_of(req),
			   .size = size,
			   .plus = plus,
			   .snap = loop_snapshot()};
	uint64_t gen = d.snap ? db_snap_gen(d.fs->db) : 0;
	size_t i;
	int rc;

	d.buf = malloc(size ? size : 1);
	/* no more entries than that fit in size bytes */
	/* one more: the directory, for snap_holds() */
	d.refs =
		plus ? calloc(size / FS_DIRENT_MIN + 2, sizeof(*d.refs)) : NULL;
	if (!d.buf || (plus && !d.refs)) {
		fuse_reply_err(req, ENOMEM);
		goto out_free;
	}
	if (d.snap) {
		rc = db_readdir(d.fs->snap, ino, off, dirbuf_add, &d);
		if (!readdir_holds(&d, gen, ino, rc))
			goto out_free;
	} else {
		rc = db_readdir(d.fs->db, ino, off, dirbuf_add, &d);
	}
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

/*
 * An access ACL set by a caller outside the file's group and without
 * CAP_FSETID drops the set-group-ID bit (the kernel's rule; it tells with
 * FUSE_SETXATTR_ACL_KILL_SGID, which libfuse does not pass on).
 */
static void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct db *db = fs_of(req)->db;
	struct stat st;

	if (!strcmp(name, "system.posix_acl_access") &&
	    db_getattr(db, ino, &st) == 0 && (st.st_mode & S_ISGID) &&
	    !caller_in_group(req, st.st_gid) &&
	    !fs_caller_capable(req, CAP_FSETID))
		flags |= DB_XATTR_ACL_KILL_SGID;
	fuse_reply_err(req, -db_setxattr(db, ino, name, value, size, flags));
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

/* getxattr of name, or listxattr when name is NULL. */
static void xattr_common(fuse_req_t req, fuse_ino_t ino, const char *name,
			 size_t size)
{
	struct fs *fs = fs_of(req);
	char *buf = size ? malloc(size) : NULL;
	int snap = loop_snapshot();
	struct db *db = snap ? fs->snap : fs->db;
	uint64_t gen = snap ? db_snap_gen(fs->db) : 0, dep = ino;
	ssize_t n;

	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = name ? db_getxattr(db, ino, name, buf, size)
		 : db_listxattr(db, ino, buf, size);
	if (!snap || snap_holds(fs, req, gen, n == -ERANGE ? 0 : (int) n,
				-ENODATA, &dep, 1))
		reply_xattr(req, n, buf, size);
	free(buf);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	xattr_common(req, ino, name, size);
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	xattr_common(req, ino, NULL, size);
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
	.ioctl = fs_ioctl,
};

const struct fuse_lowlevel_ops *fs_lowlevel_ops(void)
{
	return &ops;
}

struct fs *fs_new(const struct fs_config *cfg)
{
	struct fs *fs = calloc(1, sizeof(*fs));
	pthread_condattr_t attr;

	if (!fs)
		return NULL;
	fs->cfg = *cfg;
	fs->mountinfo = -1;
	pthread_mutex_init(&fs->ro_lock, NULL);
	if (cfg->mountpoint && !cfg->readonly)
		fs->mountinfo =
			open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	fs->refs = lookup_new();
	fs->doomed = lookup_new();
	fs->writers = lookup_new();
	/* a read-only mount never writes: nothing to drop, nothing gained */
	fs->chan = chan_new(!cfg->readonly);
	if (!fs->refs || !fs->doomed || !fs->writers || !fs->chan) {
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
	ssize_t n = chan_read(fs->chan, fd, buf, len);

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
	return chan_writev(((struct fs *) userdata)->chan, fd, iov, count);
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
	if (fuse_session_custom_io(se, &io, fuse_session_fd(se)) != 0)
		fuse_log(FUSE_LOG_ERR, "sqlitefs: cannot read /dev/fuse "
				       "directly; writes will cost more\n");
	else if (chan_setup(fs->chan, fuse_session_fd(se),
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
	free(fs->reap);
	lookup_free(fs->writers);
	chan_free(fs->chan);
	if (fs->mountinfo >= 0)
		close(fs->mountinfo);
	pthread_mutex_destroy(&fs->ro_lock);
	free(fs);
}
