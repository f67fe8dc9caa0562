/*
 * db_inode.c - inode rows: attributes, the set-ID rules, times, forget,
 * orphans and statfs
 *
 * An inode row holds what struct stat shows, times in nanoseconds, and
 * `stored`, the sum of the lengths of the inode's data rows.  Invariants
 * kept here: a row is range-checked as it is loaded (inode_get()), so that
 * the sums and counts of the other files cannot overflow on a damaged
 * database; set-ID bits and capabilities are dropped in one place
 * (kill_priv()), and never from a directory; an inode's rows are deleted
 * only once its link count is 0, when the kernel forgets it (db_forget())
 * or at mount (db_purge_orphans()).
 */
#include "db_impl.h"
#include "journal.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/*
 * The most bytes an inode may store: no SQLite database holds more (2^32
 * pages of 64 KiB), and sums of this many cannot overflow.
 */
#define DB_STORED_MAX ((int64_t) 1 << 48)

/* --- times -------------------------------------------------------------- */

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Now, for a timestamp: the kernel's coarse clock (a tick, 1 to 10 ms),
 * the one it stamps the writes of its writeback cache with.  A finer one
 * would date a file's creation here after the kernel's mtime of a write
 * that followed it, and relatime would take the first read for no
 * access since the last change.
 */
int64_t now_ns(void)
{
	return clock_ns(CLOCK_REALTIME_COARSE);
}

static struct timespec ns_to_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

static int64_t ts_to_ns(const struct timespec *ts)
{
	return (int64_t) ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Whether a read now should move atime, by the rules of relatime. */
int atime_due(int64_t atime, int64_t mtime, int64_t ctime, enum db_atime policy,
	      int64_t now)
{
	switch (policy) {
	case DB_ATIME_NOATIME:
		return 0;
	case DB_ATIME_STRICT:
		return 1;
	case DB_ATIME_RELATIME:
		break;
	}
	return atime <= mtime || atime <= ctime ||
	       now - atime >= (int64_t) 24 * 3600 * 1000000000;
}

int db_atime_due(const struct stat *st, enum db_atime policy)
{
	return atime_due(ts_to_ns(&st->st_atim), ts_to_ns(&st->st_mtim),
			 ts_to_ns(&st->st_ctim), policy, now_ns());
}

int db_read_due(struct db *db, ino_t ino, enum db_atime policy)
{
	struct inode in;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	pthread_mutex_unlock(&db->lock);
	if (rc < 0)
		return rc;
	if (in.flags & DB_FL_NOATIME)
		return 0;
	return atime_due(in.atime, in.mtime, in.ctime, policy, now_ns());
}

/*
 * The atime of a read at now (now_ns()).  The kernel's coarse clock may
 * stand up to a tick ahead of ours: it never goes back below a finer
 * stamp some other filesystem handed out (multigrain timestamps).  A
 * read after a change is never dated before it, as on ext4, unless the
 * change is dated in the future (utimensat).
 */
int64_t access_time(const struct inode *in, int64_t now)
{
	int64_t real = clock_ns(CLOCK_REALTIME), t = now;

	if (in->mtime > t && in->mtime <= real)
		t = in->mtime;
	if (in->ctime > t && in->ctime <= real)
		t = in->ctime;
	return t;
}

/* --- inodes ------------------------------------------------------------ */

void inode_from_row(sqlite3_stmt *s, int c, struct inode *in)
{
	in->ino = sqlite3_column_int64(s, c);
	in->mode = (mode_t) sqlite3_column_int64(s, c + 1);
	in->nlink = sqlite3_column_int64(s, c + 2);
	in->uid = (uid_t) sqlite3_column_int64(s, c + 3);
	in->gid = (gid_t) sqlite3_column_int64(s, c + 4);
	in->rdev = (dev_t) sqlite3_column_int64(s, c + 5);
	in->size = sqlite3_column_int64(s, c + 6);
	in->stored = sqlite3_column_int64(s, c + 7);
	in->atime = sqlite3_column_int64(s, c + 8);
	in->mtime = sqlite3_column_int64(s, c + 9);
	in->ctime = sqlite3_column_int64(s, c + 10);
	in->flags = (unsigned) sqlite3_column_int64(s, c + 11);
}

void inode_to_stat(struct db *db, const struct inode *in, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t) in->ino;
	st->st_mode = in->mode;
	st->st_nlink = (nlink_t) in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_rdev = in->rdev;
	st->st_size = in->size;
	/* rounded up without overflow: readdir shows damaged rows too */
	st->st_blocks = in->stored / 512 + (in->stored % 512 > 0);
	st->st_blksize = db->block_size;
	st->st_atim = ns_to_ts(in->atime);
	st->st_mtim = ns_to_ts(in->mtime);
	st->st_ctim = ns_to_ts(in->ctime);
}

/* Loads inode ino; -ENOENT if absent. */
int inode_get(struct db *db, int64_t ino, struct inode *in)
{
	sqlite3_stmt *s = stmt(db, S_INODE_GET);
	int rc;

	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		inode_from_row(s, 0, in);
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	if (rc == -ENOENT) {
		sqlite3_reset(s);
		return rc;
	}
	rc = done(db, s, rc);
	/* out of range, the sums and counts of the callers would overflow */
	if (rc == 0 &&
	    (in->size < 0 || in->nlink < 0 || in->nlink > UINT32_MAX ||
	     in->stored < 0 || in->stored > DB_STORED_MAX)) {
		db_log("sqlitefs: %s: inode %lld: damaged\n", db->path,
		       (long long) ino);
		return -EIO;
	}
	return rc;
}

static int inode_store(struct db *db, const struct inode *in)
{
	sqlite3_stmt *s = stmt(db, S_INODE_PUT);

	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, in->mode);
	sqlite3_bind_int64(s, 3, in->nlink);
	sqlite3_bind_int64(s, 4, in->uid);
	sqlite3_bind_int64(s, 5, in->gid);
	sqlite3_bind_int64(s, 6, (int64_t) in->rdev);
	sqlite3_bind_int64(s, 7, in->size);
	sqlite3_bind_int64(s, 8, in->stored);
	sqlite3_bind_int64(s, 9, in->atime);
	sqlite3_bind_int64(s, 10, in->mtime);
	sqlite3_bind_int64(s, 11, in->ctime);
	sqlite3_bind_int64(s, 12, in->flags);
	return run(db, s);
}

/* Stores every mutable field of in. */
int inode_put(struct db *db, const struct inode *in)
{
	touched(db, in->ino);
	return inode_store(db, in);
}

int inode_put_atime(struct db *db, const struct inode *in)
{
	touched_atime(db, in->ino);
	return inode_store(db, in);
}

/*
 * Stores new inode in (its times all in->ctime), with the next inode
 * number, which in->ino gets, and symlink target unless NULL.
 */
int inode_new(struct db *db, struct inode *in, const char *target)
{
	sqlite3_stmt *s = stmt(db, S_INODE_NEW);

	sqlite3_bind_int64(s, 1, in->mode);
	sqlite3_bind_int64(s, 2, in->nlink);
	sqlite3_bind_int64(s, 3, in->uid);
	sqlite3_bind_int64(s, 4, in->gid);
	sqlite3_bind_int64(s, 5, (int64_t) in->rdev);
	sqlite3_bind_int64(s, 6, in->size);
	sqlite3_bind_int64(s, 7, in->ctime);
	if (target)
		bind_bytes(s, 8, target, (size_t) in->size);
	else
		sqlite3_bind_null(s, 8);
	in->ino = db->next_ino++;
	touched(db, in->ino);
	sqlite3_bind_int64(s, 9, in->ino);
	sqlite3_bind_int64(s, 10, in->flags);
	return run(db, s);
}

/* Adds delta to the link count of ino and sets its ctime (and mtime). */
int inode_touch(struct db *db, int64_t ino, int delta, int mtime, int64_t now)
{
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	in.nlink += delta;
	in.ctime = now;
	if (mtime)
		in.mtime = now;
	return inode_put(db, &in);
}

/* Loads directory ino; -ENOTDIR if it is something else. */
int dir_get(struct db *db, int64_t ino, struct inode *in)
{
	int rc = inode_get(db, ino, in);

	if (rc == 0 && !S_ISDIR(in->mode))
		rc = -ENOTDIR;
	return rc;
}

int dir_check_change(const struct inode *dir, int adding)
{
	if (dir->flags & DB_FL_IMMUTABLE)
		return -EPERM;
	if ((dir->flags & DB_FL_APPEND) && !adding)
		return -EPERM;
	return 0;
}

int db_getattr(struct db *db, ino_t ino, struct stat *st)
{
	struct inode in;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* --- chattr flags ------------------------------------------------------ */

int db_get_flags(struct db *db, ino_t ino, unsigned *flags)
{
	struct inode in;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0)
		*flags = in.flags;
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static int set_flags_locked(struct db *db, int64_t ino, unsigned flags,
			    uid_t uid, unsigned may)
{
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	if (!(may & DB_FLAGS_FOWNER) && uid != in.uid)
		return -EPERM;
	if (((in.flags ^ flags) & (DB_FL_IMMUTABLE | DB_FL_APPEND)) &&
	    !(may & DB_FLAGS_IMMUTABLE))
		return -EPERM;
	/* as ext4: an inode that stays immutable keeps its other flags */
	if ((in.flags & flags & DB_FL_IMMUTABLE) && in.flags != flags)
		return -EPERM;
	if (in.flags == flags)
		return 0;
	rc = jr_changed(db, ino, in.mode, JR_ATTRIB, 0, 0);
	if (rc < 0)
		return rc;
	in.flags = flags;
	in.ctime = now_ns();
	return inode_put(db, &in);
}

int db_set_flags(struct db *db, ino_t ino, unsigned flags, uid_t uid,
		 unsigned may)
{
	int rc;

	if (flags & ~(unsigned) DB_FL_KNOWN)
		return -EOPNOTSUPP;
	rc = op_begin_no_savepoint(db);
	if (rc < 0)
		return rc;
	rc = set_flags_locked(db, (int64_t) ino, flags, uid, may);
	return (int) op_end(db, rc);
}

/* --- attributes -------------------------------------------------------- */

mode_t db_killed_mode(mode_t mode, unsigned kill)
{
	if (S_ISDIR(mode) || !(kill & DB_KILL_SUIDGID))
		return mode;
	mode &= (mode_t) ~S_ISUID;
	if ((mode & S_IXGRP) || (kill & DB_KILL_SGID))
		mode &= (mode_t) ~S_ISGID;
	return mode;
}

/*
 * Drops from in what a change of its contents or owner takes (mask of
 * DB_KILL_*; the caller decides by the kernel's rules, see db.h): the
 * set-ID bits that db_killed_mode() drops; file capabilities (not from a
 * directory).  Returns 1 if the mode changed (in is not stored
 * here), 0 if not, or -errno.
 */
int kill_priv(struct db *db, struct inode *in, unsigned kill)
{
	mode_t mode = in->mode;
	sqlite3_stmt *s;
	int rc;

	if (S_ISDIR(in->mode)) /* capabilities neither */
		return 0;
	if (db_killed_mode(mode, kill) != mode) {
		rc = jr_changed(db, in->ino, mode, JR_ATTRIB, 0, 0);
		if (rc < 0)
			return rc;
	}
	in->mode = db_killed_mode(mode, kill);
	if (!(kill & DB_KILL_CAPS) || !db->has_caps || !S_ISREG(in->mode))
		return in->mode != mode;
	s = stmt(db, S_XATTR_DELETE);
	touched(db, in->ino);
	sqlite3_bind_int64(s, 1, in->ino);
	bind_name(s, 2, "security.capability");
	rc = run(db, s);
	return rc < 0 ? rc : in->mode != mode;
}

/*
 * The set-ID rules of a setattr: what kill_priv() is to drop for mask.  A
 * chown (DB_SET_UID or DB_SET_GID, even to the same owner) drops what a
 * write by a caller with CAP_FSETID does; the caller adds the rest by the
 * kernel's rules (DB_SET_KILL_SUIDGID, DB_SET_KILL_SGID: see db.h).
 */
static unsigned setattr_kill(unsigned mask)
{
	unsigned kill = 0;

	if (mask & (DB_SET_UID | DB_SET_GID)) /* chown, even to the same */
		kill |= DB_KILL_CAPS_SUIDGID;
	if (mask & DB_SET_KILL_SUIDGID)
		kill |= DB_KILL_CAPS_SUIDGID;
	if (mask & DB_SET_KILL_SGID)
		kill |= DB_KILL_SGID;
	return kill;
}

/* Cuts or extends regular file in to size, at now (truncate(2)). */
static int setattr_size(struct db *db, struct inode *in, int64_t size,
			int64_t now)
{
	int rc;

	if (S_ISDIR(in->mode))
		return -EISDIR;
	if (!S_ISREG(in->mode))
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	rc = data_truncate(db, in, size);
	if (rc < 0)
		return rc;
	in->size = size;
	in->mtime = now;
	return 0;
}

/* Sets the times of in that mask names; ctime is now unless set too. */
static void setattr_times(struct inode *in, const struct stat *st,
			  unsigned mask, int64_t now)
{
	if (mask & DB_SET_ATIME)
		in->atime = ts_to_ns(&st->st_atim);
	if (mask & DB_SET_ATIME_NOW)
		in->atime = now;
	if (mask & DB_SET_MTIME)
		in->mtime = ts_to_ns(&st->st_mtim);
	if (mask & DB_SET_MTIME_NOW)
		in->mtime = now;
	in->ctime = mask & DB_SET_CTIME ? ts_to_ns(&st->st_ctim) : now;
}

/*
 * Notes in the journal what a setattr of in by mask changes, before it.
 * With the writeback cache the kernel keeps mtime and ctime and sends
 * them later (after a write, a rename, an unlink): a change of ctime
 * alone, or of mtime for a file whose data the batch changed, is not
 * noted as attributes changed, which stands for chmod, chown, utimens.
 */
static int setattr_note(struct db *db, const struct inode *in,
			const struct stat *st, unsigned mask)
{
	unsigned reasons = 0;
	int64_t lo = 0, hi = 0;

	if (mask & DB_SET_SIZE) {
		reasons |= JR_DATA;
		lo = in->size < st->st_size ? in->size : st->st_size;
		hi = in->size < st->st_size ? st->st_size : in->size;
	}
	if (mask &
	    ~(unsigned) (DB_SET_SIZE | DB_SET_KILL_SUIDGID | DB_SET_KILL_SGID))
		reasons |= JR_ATTRIB;
	if (mask == (mask & (DB_SET_MTIME | DB_SET_CTIME)) &&
	    (!(mask & DB_SET_MTIME) || ts_to_ns(&st->st_mtim) == in->mtime ||
	     jr_has(db, in->ino, JR_DATA)))
		reasons &= ~(unsigned) JR_ATTRIB; /* the kernel's own times */
	return reasons ? jr_changed(db, in->ino, in->mode, reasons, lo, hi) : 0;
}

/*
 * -EPERM for a setattr by mask that the flags of in refuse, as the VFS's
 * notify_change() and ext4_setattr() do (db.h, DB_FL_*): an immutable
 * inode takes no change at all; an append-only one keeps its mode (also
 * the set-ID bits a chown(2) to -1, -1 would drop: kill), owner, size
 * and times, but takes times set to now (DB_SET_TIMES_NOW, a touch) and
 * ctime alone.  Except the kernel's own times (mtime and ctime set to
 * now), which an immutable inode takes too: under the writeback cache
 * the kernel keeps the times of writes made before the flag was set and
 * sends them later; it also moves them before asking for a fallocate or
 * copy that is then refused, and shows them.  Refused, they would come
 * back as a write error of the file and of the filesystem (the next
 * syncfs(2) anywhere); stored, the times kept are those stat showed.
 */
static int setattr_check(const struct inode *in, unsigned mask, unsigned kill)
{
	const unsigned times = DB_SET_ATIME | DB_SET_MTIME | DB_SET_ATIME_NOW |
			       DB_SET_MTIME_NOW;
	const unsigned kernel_times =
		DB_SET_MTIME | DB_SET_CTIME | DB_SET_TIMES_NOW;
	unsigned asked =
		mask & ~(unsigned) (DB_SET_KILL_SUIDGID | DB_SET_KILL_SGID);

	if (!inode_pinned(in))
		return 0;
	if (kill && db_killed_mode(in->mode, kill) != in->mode)
		return -EPERM;
	if (asked == kernel_times)
		return 0;
	if (in->flags & DB_FL_IMMUTABLE)
		return -EPERM;
	if (mask & (DB_SET_MODE | DB_SET_UID | DB_SET_GID | DB_SET_SIZE))
		return -EPERM;
	if ((mask & times) && !(mask & DB_SET_TIMES_NOW))
		return -EPERM;
	return 0;
}

static int setattr_locked(struct db *db, int64_t ino, const struct stat *st,
			  unsigned mask, struct stat *out)
{
	struct inode in;
	int64_t now = now_ns();
	unsigned kill = setattr_kill(mask);
	int rc = inode_get(db, ino, &in);

	if (rc == 0)
		rc = setattr_check(&in, mask, kill);
	if (rc < 0)
		return rc;
	rc = setattr_note(db, &in, st, mask);
	if (rc < 0)
		return rc;
	if (mask & DB_SET_MODE)
		in.mode = (in.mode & S_IFMT) | (st->st_mode & 07777);
	/* more than one statement: the inode, and capabilities, blocks or
	 * an ACL */
	if ((mask & DB_SET_SIZE) || (db->has_caps && (kill & DB_KILL_CAPS)) ||
	    ((mask & DB_SET_MODE) && atomic_load(&db->has_acl)))
		rc = op_savepoint(db);
	if (rc == 0 && kill)
		rc = kill_priv(db, &in, kill);
	if (rc < 0)
		return rc;
	if (mask & DB_SET_UID)
		in.uid = st->st_uid;
	if (mask & DB_SET_GID)
		in.gid = st->st_gid;
	if (mask & DB_SET_SIZE) {
		rc = setattr_size(db, &in, st->st_size, now);
		if (rc < 0)
			return rc;
	}
	setattr_times(&in, st, mask, now);
	rc = mask & DB_SET_MODE ? acl_chmod_locked(db, &in) : 0;
	if (rc == 0)
		rc = inode_put(db, &in);
	if (rc == 0)
		inode_to_stat(db, &in, out);
	return rc;
}

int db_setattr(struct db *db, ino_t ino, const struct stat *in, unsigned mask,
	       struct stat *out)
{
	int rc = op_begin_no_savepoint(db);

	if (rc < 0)
		return rc;
	rc = setattr_locked(db, (int64_t) ino, in, mask, out);
	return (int) op_end(db, rc);
}

int db_readlink(struct db *db, ino_t ino, char *buf, size_t size)
{
	sqlite3_stmt *s;
	int rc;

	pthread_mutex_lock(&db->lock);
	s = stmt(db, S_TARGET_GET);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(s, 0);
		size_t len = (size_t) sqlite3_column_bytes(s, 0);

		if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
			rc = -EINVAL; /* not a symlink */
		} else if (len >= size) {
			rc = -ENAMETOOLONG;
		} else {
			if (len)
				memcpy(buf, p, len);
			buf[len] = '\0';
			rc = 0;
		}
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = -ENOENT;
	} else {
		rc = done(db, s, rc);
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

int db_set_crtime(struct db *db, ino_t ino, const struct timespec *crtime)
{
	sqlite3_stmt *s;
	int rc = op_begin(db);

	if (rc < 0)
		return rc;
	s = stmt(db, S_CRTIME_SET);
	touched(db, (int64_t) ino);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	sqlite3_bind_int64(s, 2, ts_to_ns(crtime));
	rc = run(db, s);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		rc = -ENOENT;
	return (int) op_end(db, rc);
}

/* --- forget, orphans, capacity ------------------------------------------ */

int db_forget(struct db *db, ino_t ino)
{
	sqlite3_stmt *s;
	int rc;

	if (ino == DB_ROOT_INO)
		return 0;
	/* one DELETE, whose cascades are part of it: no savepoint */
	rc = op_begin_no_savepoint(db);
	if (rc < 0)
		return rc == -EROFS ? 0 : rc;
	s = stmt(db, S_INODE_DELETE);
	touched(db, (int64_t) ino);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	rc = run(db, s);
	return (int) op_end(db, rc);
}

int db_purge_orphans(struct db *db)
{
	int rc;

	rc = op_begin_no_savepoint(db);
	if (rc < 0)
		return rc == -EROFS ? 0 : rc;
	pthread_mutex_lock(&db->snap_lock);
	db->touched_all = 1;
	pthread_mutex_unlock(&db->snap_lock);
	rc = run(db, stmt(db, S_ORPHANS_DELETE));
	if (rc == 0)
		rc = sqlite3_changes(db->conn);
	return (int) op_end(db, rc);
}

int db_statfs(struct db *db, struct statvfs *sv)
{
	struct statvfs host;
	int64_t page_size, used, free_bytes, inodes, frsize = 4096;

	if (statvfs(db->path, &host) < 0)
		return -errno;
	pthread_mutex_lock(&db->lock);
	page_size = query_int(db, S_PAGE_SIZE);
	used = query_int(db, S_PAGE_COUNT);
	free_bytes = query_int(db, S_FREELIST_COUNT);
	inodes = query_int(db, S_INODE_COUNT);
	pthread_mutex_unlock(&db->lock);
	if (page_size < 0 || used < 0 || free_bytes < 0 || inodes < 0)
		return -EIO;
	used = (used - free_bytes) * page_size;
	free_bytes = free_bytes * page_size +
		     (int64_t) host.f_bavail * (int64_t) host.f_frsize;

	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = db->block_size;
	sv->f_frsize = (unsigned long) frsize;
	sv->f_blocks = (fsblkcnt_t) ((used + free_bytes) / frsize);
	sv->f_bfree = sv->f_bavail = (fsblkcnt_t) (free_bytes / frsize);
	sv->f_ffree = sv->f_favail = (fsfilcnt_t) (free_bytes / 512);
	sv->f_files = (fsfilcnt_t) inodes + sv->f_ffree;
	sv->f_namemax = DB_NAME_MAX;
	sv->f_flag = db->readonly ? ST_RDONLY : 0;
	return 0;
}
