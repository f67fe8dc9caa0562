/*
 * db_data.c - file data: blocks and blobs, read, write, truncate,
 * fallocate, lseek and copy_file_range
 *
 * File data is stored in rows of block_size bytes keyed by (inode, block
 * number).  A missing row is a hole; a row may be shorter than a block
 * (the rest reads as zeros).  Invariants kept here: no row starts at or
 * past the size, and inode.stored is the sum of the lengths of the
 * inode's rows.  A blob handle is open only within one call (an open
 * write handle would keep COMMIT from running).  Rows found damaged (too
 * long, a block number that is not an integer) are read around, never
 * trusted.
 */
#include "db_impl.h"
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Largest file size: the kernel's MAX_LFS_FILESIZE. */
#define DB_MAX_FILE_SIZE ((int64_t) INT64_MAX)

/* --- blocks ------------------------------------------------------------ */

/*
 * The number of blocks of bs bytes that x bytes start in: x / bs rounded
 * up, without the overflow of (x + bs - 1) / bs for sizes near 2^63.
 */
static int64_t blocks_ceil(int64_t x, int64_t bs)
{
	return x / bs + (x % bs != 0);
}

/*
 * Loads block b of ino into buf, zero-filled to block_size.  Returns the
 * stored length (0 for a hole) or -errno.
 */
static int block_load(struct db *db, int64_t ino, int64_t b, char *buf)
{
	sqlite3_stmt *s = stmt(db, S_BLOCK_GET);
	int rc, len = 0;

	sqlite3_bind_int64(s, 1, ino);
	sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		len = sqlite3_column_bytes(s, 0);
		if (len > (int) db->block_size)
			len = (int) db->block_size; /* damaged: ignore the rest */
		if (len)
			memcpy(buf, sqlite3_column_blob(s, 0), (size_t) len);
	}
	memset(buf + len, 0, db->block_size - (size_t) len);
	rc = done(db, s, rc);
	return rc < 0 ? rc : len;
}

/*
 * The stored length of block b of ino, 0 for a hole; *rowid gets its row
 * (0 for a hole).
 */
static int block_find(struct db *db, int64_t ino, int64_t b, int64_t *rowid)
{
	sqlite3_stmt *s = stmt(db, S_BLOCK_LEN);
	int rc, len = 0;

	*rowid = 0;
	sqlite3_bind_int64(s, 1, ino);
	sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*rowid = sqlite3_column_int64(s, 0);
		len = sqlite3_column_int(s, 1);
	}
	rc = done(db, s, rc);
	return rc < 0 ? rc : len;
}

/*
 * Incremental blob I/O: reads, and writes inside a block's stored length,
 * go straight between the caller's buffer and SQLite's pages, touching
 * only the pages concerned instead of the whole block.  The handle moves
 * from row to row and is closed before the call returns (an open write
 * handle would keep COMMIT from running).
 */
static void blob_close(struct db *db)
{
	if (db->blob)
		sqlite3_blob_close(db->blob);
	db->blob = NULL;
}

static int blob_at(struct db *db, int64_t rowid, int write)
{
	int rc;

	if (db->blob && db->blob_write == write) {
		rc = sqlite3_blob_reopen(db->blob, rowid);
		if (rc == SQLITE_OK)
			return 0;
		blob_close(db); /* a handle that failed to move is dead */
		return db_errno(db, rc);
	}
	blob_close(db);
	rc = sqlite3_blob_open(db->conn, "main", "data", "bytes", rowid, write,
			       &db->blob);
	if (rc != SQLITE_OK) {
		blob_close(db);
		return db_errno(db, rc);
	}
	db->blob_write = write;
	return 0;
}

/* Copies n bytes at boff of data row rowid into buf. */
static int blob_read(struct db *db, int64_t rowid, char *buf, size_t n,
		     size_t boff)
{
	int rc = blob_at(db, rowid, 0);

	if (rc == 0)
		rc = db_errno(db, sqlite3_blob_read(db->blob, buf, (int) n,
						    (int) boff));
	return rc;
}

/* Overwrites n bytes at boff of data row rowid, inside its length. */
static int blob_write(struct db *db, int64_t rowid, const char *buf, size_t n,
		      size_t boff)
{
	int rc = blob_at(db, rowid, 1);

	if (rc == 0)
		rc = db_errno(db, sqlite3_blob_write(db->blob, buf, (int) n,
						     (int) boff));
	if (rc == 0)
		db->pending += (int64_t) n;
	return rc;
}

/*
 * Stores len bytes of buf (zeros if buf is NULL) as block b of in, whose
 * stored length was old; len 0 deletes the block.  Keeps in->stored.
 */
static int block_store(struct db *db, struct inode *in, int64_t b,
		       const char *buf, size_t len, int old)
{
	sqlite3_stmt *s;
	int rc;

	if (len == 0) {
		s = stmt(db, S_BLOCK_DELETE);
	} else if (!buf) {
		s = stmt(db, S_BLOCK_ZERO);
		sqlite3_bind_int64(s, 3, (int64_t) len);
	} else {
		s = stmt(db, S_BLOCK_PUT);
		bind_bytes(s, 3, buf, len);
	}
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, b);
	touched(db, in->ino);
	rc = run(db, s);
	if (rc == 0) {
		in->stored += (int64_t) len - old;
		db->pending += (int64_t) len;
	}
	return rc;
}

/* Deletes blocks [first, end) of in, keeping in->stored. */
static int blocks_delete(struct db *db, struct inode *in, int64_t first,
			 int64_t end)
{
	sqlite3_stmt *s = stmt(db, S_BLOCKS_SUM);
	int64_t freed = 0;
	int rc;

	if (first >= end)
		return 0;
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_int64(s, 3, end);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		freed = sqlite3_column_int64(s, 0);
	rc = done(db, s, rc);
	if (rc < 0 || freed == 0)
		return rc;
	s = stmt(db, S_BLOCKS_DELETE);
	touched(db, in->ino);
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_int64(s, 3, end);
	rc = run(db, s);
	if (rc == 0)
		in->stored -= freed;
	return rc;
}

/*
 * Zeroes bytes [from, to) of block b of in (offsets within the block),
 * deleting the block when nothing but zeros would be left of it.
 */
static int block_zero_range(struct db *db, struct inode *in, int64_t b,
			    size_t from, size_t to)
{
	char *buf = db->scratch;
	int len = block_load(db, in->ino, b, buf);
	size_t i, keep;

	if (len <= 0 || from >= (size_t) len)
		return len < 0 ? len : 0;
	if (to > (size_t) len)
		to = (size_t) len;
	memset(buf + from, 0, to - from);
	keep = to == (size_t) len ? from : (size_t) len;
	for (i = 0; i < keep && !buf[i]; i++)
		;
	if (i == keep)
		keep = 0;
	return block_store(db, in, b, buf, keep, len);
}

/* Cuts the data of in at newsize (the size itself is the caller's). */
int data_truncate(struct db *db, struct inode *in, int64_t newsize)
{
	int64_t bs = db->block_size;
	int64_t first = blocks_ceil(newsize, bs);
	int rc;

	if (newsize >= in->size)
		return 0;
	rc = blocks_delete(db, in, first, INT64_MAX);
	if (rc == 0 && newsize % bs)
		rc = block_zero_range(db, in, newsize / bs,
				      (size_t) (newsize % bs), (size_t) bs);
	return rc;
}

/* Reads [off, off + size) of in, already clipped to its size, into buf. */
static int data_read(struct db *db, const struct inode *in, int64_t off,
		     size_t size, char *buf)
{
	sqlite3_stmt *s = stmt(db, S_BLOCKS_RANGE);
	int64_t bs = db->block_size, end = off + (int64_t) size;
	int64_t filled = off; /* buf holds [off, filled) */
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, off / bs);
	sqlite3_bind_int64(s, 3, blocks_ceil(end, bs));
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t start = sqlite3_column_int64(s, 0) * bs;
		int64_t rowid = sqlite3_column_int64(s, 1);
		int64_t len = sqlite3_column_int64(s, 2);
		int64_t from = off > start ? off : start;
		int64_t to = start + len < end ? start + len : end;

		/* damaged: too long, or a block number that is not an
		 * integer (1.5 reads as 1: a second row for block 1) */
		if (len > bs || to <= from || from < filled)
			continue;
		memset(buf + (filled - off), 0, (size_t) (from - filled));
		r = blob_read(db, rowid, buf + (from - off),
			      (size_t) (to - from), (size_t) (from - start));
		filled = to;
	}
	rc = done(db, s, rc);
	blob_close(db);
	if (r < 0)
		return r;
	memset(buf + (filled - off), 0, (size_t) (end - filled));
	return rc;
}

/* Writes size bytes of buf at off into in, growing its size. */
static int data_write(struct db *db, struct inode *in, int64_t off,
		      const char *buf, size_t size)
{
	int64_t bs = db->block_size, pos = off, end = off + (int64_t) size;
	int rc = 0;

	while (pos < end && rc == 0) {
		int64_t b = pos / bs;
		size_t boff = (size_t) (pos % bs);
		size_t n = (size_t) (end - pos < bs - (int64_t) boff
					     ? end - pos
					     : bs - (int64_t) boff);
		const char *src = buf + (pos - off);
		int64_t rowid;
		int old = block_find(db, in->ino, b, &rowid);

		if (old < 0) {
			rc = old;
		} else if (old > 0 && old <= bs && boff + n <= (size_t) old) {
			touched(db, in->ino);
			rc = blob_write(db, rowid, src, n, boff);
		} else if (n == (size_t) bs) {
			rc = block_store(db, in, b, src, n, old);
		} else {
			old = block_load(db, in->ino, b, db->scratch);
			if (old < 0) {
				rc = old;
				break;
			}
			memcpy(db->scratch + boff, src, n);
			rc = block_store(db, in, b, db->scratch,
					 boff + n > (size_t) old ? boff + n
								 : (size_t) old,
					 old);
		}
		pos += (int64_t) n;
	}
	blob_close(db);
	if (rc == 0 && end > in->size)
		in->size = end;
	return rc;
}

/* --- file data --------------------------------------------------------- */

ssize_t db_read(struct db *db, ino_t ino, off_t off, size_t size, char *buf,
		enum db_atime policy)
{
	struct inode in;
	int64_t now = now_ns();
	int64_t rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0 && S_ISDIR(in.mode))
		rc = -EISDIR;
	if (rc == 0 && off < in.size) {
		if ((int64_t) size > in.size - off)
			size = (size_t) (in.size - off);
		rc = data_read(db, &in, off, size, buf);
		if (rc == 0)
			rc = (int64_t) size;
	}
	pthread_mutex_unlock(&db->lock);
	if (rc < 0 || db->readonly || (in.flags & DB_FL_NOATIME) ||
	    !atime_due(in.atime, in.mtime, in.ctime, policy, now))
		return (ssize_t) rc;

	/* a failed atime update does not fail the read */
	if (op_begin(db) == 0) {
		int r = inode_get(db, (int64_t) ino, &in);

		if (r == 0) {
			in.atime = access_time(&in, now);
			r = inode_put_atime(db, &in);
		}
		op_end(db, r);
	}
	return (ssize_t) rc;
}

/* Loads regular file ino for writing; -EISDIR, -EINVAL otherwise. */
static int file_get(struct db *db, int64_t ino, struct inode *in)
{
	int rc = inode_get(db, ino, in);

	if (rc == 0 && S_ISDIR(in->mode))
		rc = -EISDIR;
	else if (rc == 0 && !S_ISREG(in->mode))
		rc = -EINVAL;
	return rc;
}

/*
 * -EPERM if the flags of in refuse a write of size bytes of buf at off
 * (db.h, DB_FL_*): any write to an immutable file; to an append-only one,
 * one that changes bytes below the size.  The kernel's writeback cache
 * writes whole pages back, so an append there comes with the unchanged
 * bytes before it: those are compared with what is stored.
 */
static int write_check(struct db *db, const struct inode *in, int64_t off,
		       const char *buf, size_t size)
{
	int64_t n = in->size - off;
	char *old;
	int rc;

	if (in->flags & DB_FL_IMMUTABLE)
		return -EPERM;
	if (!(in->flags & DB_FL_APPEND) || n <= 0)
		return 0;
	if (n > (int64_t) size)
		n = (int64_t) size;
	old = malloc((size_t) n);
	if (!old)
		return -ENOMEM;
	rc = data_read(db, in, off, (size_t) n, old);
	if (rc == 0 && memcmp(old, buf, (size_t) n) != 0)
		rc = -EPERM;
	free(old);
	return rc;
}

/*
 * The common write of the writeback cache: within one block's stored
 * bytes, below the size, with the times kept by the kernel.  It changes
 * one row with one statement, so it needs no savepoint and leaves the
 * inode alone.  Returns 1 when done, 0 when the write is not of that
 * kind, or -errno.
 */
static int write_in_place(struct db *db, const struct inode *in, int64_t off,
			  const char *buf, size_t size)
{
	int64_t bs = db->block_size, rowid;
	size_t boff = (size_t) (off % bs);
	int len, rc;

	if (off + (int64_t) size > in->size || boff + size > (size_t) bs)
		return 0;
	len = block_find(db, in->ino, off / bs, &rowid);
	if (len <= 0 || len > bs || boff + size > (size_t) len)
		return len < 0 ? len : 0;
	touched(db, in->ino);
	rc = blob_write(db, rowid, buf, size, boff);
	blob_close(db);
	return rc < 0 ? rc : 1;
}

/*
 * The general write, within the operation's savepoint: drops what kill
 * says, stores the blocks, then the inode with its new size and times
 * (unless keep_times).  changed (may be NULL) as for db_write().
 */
static int write_blocks(struct db *db, struct inode *in, int64_t off,
			const char *buf, size_t size, unsigned kill,
			int keep_times, unsigned *changed)
{
	int64_t stored = in->stored;
	int killed = 0, rc = op_savepoint(db);

	if (rc == 0 && (kill & DB_KILL_CAPS_SUIDGID))
		rc = killed = kill_priv(db, in, kill);
	if (rc >= 0)
		rc = data_write(db, in, off, buf, size);
	if (rc == 0 && changed && in->stored != stored)
		*changed |= DB_CHANGED_BLOCKS;
	if (rc == 0 && changed && killed)
		*changed |= DB_CHANGED_MODE;
	if (rc == 0 && !keep_times)
		in->mtime = in->ctime = now_ns();
	if (rc == 0)
		rc = inode_put(db, in);
	return rc;
}

ssize_t db_write(struct db *db, ino_t ino, off_t off, const char *buf,
		 size_t size, unsigned flags, unsigned *changed)
{
	unsigned kill = flags & ~(unsigned) DB_WRITE_KEEP_TIMES;
	int keep_times = (flags & DB_WRITE_KEEP_TIMES) != 0;
	struct inode in;
	int64_t rc;

	if (changed)
		*changed = 0;
	if (off < 0)
		return -EINVAL;
	if ((int64_t) size > DB_MAX_FILE_SIZE - off)
		return -EFBIG;
	if (size == 0) { /* no other results, as write(2) says */
		pthread_mutex_lock(&db->lock);
		rc = file_get(db, (int64_t) ino, &in);
		pthread_mutex_unlock(&db->lock);
		return (ssize_t) rc;
	}
	rc = op_begin_no_savepoint(db);
	if (rc < 0)
		return (ssize_t) rc;
	rc = file_get(db, (int64_t) ino, &in);
	if (rc == 0 && in.flags)
		rc = write_check(db, &in, off, buf, size);
	if (rc == 0) /* before the change: this takes no savepoint */
		rc = jr_changed(db, in.ino, in.mode, JR_DATA, off,
				off + (int64_t) size);
	if (rc == 0 && db_killed_mode(in.mode, kill) == in.mode &&
	    !((kill & DB_KILL_CAPS) && db->has_caps))
		kill = 0; /* nothing to drop */
	if (rc == 0 && kill == 0 && keep_times)
		rc = write_in_place(db, &in, off, buf, size);
	if (rc == 0) /* not done in place: the general way */
		rc = write_blocks(db, &in, off, buf, size, kill, keep_times,
				  changed);
	if (rc >= 0)
		rc = (int64_t) size;
	return (ssize_t) op_end(db, rc);
}

/* Turns [off, end) of in into a hole. */
static int data_punch(struct db *db, struct inode *in, int64_t off, int64_t end)
{
	int64_t bs = db->block_size;
	int64_t first = blocks_ceil(off, bs), last;
	int rc = 0;

	if (end > in->size)
		end = in->size;
	if (off >= end)
		return 0;
	last = end / bs;
	if (first > last) /* within one block */
		return block_zero_range(db, in, off / bs, (size_t) (off % bs),
					(size_t) (end - off / bs * bs));
	if (off % bs)
		rc = block_zero_range(db, in, off / bs, (size_t) (off % bs),
				      (size_t) bs);
	if (rc == 0)
		rc = blocks_delete(db, in, first, last);
	if (rc == 0 && end % bs)
		rc = block_zero_range(db, in, last, 0, (size_t) (end % bs));
	return rc;
}

/* Whether the host filesystem and free pages can hold bytes more. */
static int space_for(struct db *db, int64_t bytes)
{
	struct statvfs sv;
	int64_t free_bytes;

	if (statvfs(db->path, &sv) < 0)
		return 0;
	free_bytes = (int64_t) sv.f_bavail * (int64_t) sv.f_frsize;
	free_bytes +=
		query_int(db, S_FREELIST_COUNT) * query_int(db, S_PAGE_SIZE);
	return bytes > free_bytes ? -ENOSPC : 0;
}

static int fallocate_locked(struct db *db, int64_t ino, int mode, int64_t off,
			    int64_t len, unsigned kill, unsigned *changed)
{
	struct inode in;
	int64_t end = off + len, now = now_ns();
	int rc = file_get(db, ino, &in);

	if (rc < 0)
		return rc;
	/* as ext4: an append-only file may only grow */
	if ((in.flags & DB_FL_IMMUTABLE) ||
	    ((in.flags & DB_FL_APPEND) &&
	     (mode & ~(unsigned) DB_FALLOC_KEEP_SIZE)))
		return -EPERM;
	/* a hole punched (or zeros put) past EOF changes nothing: ext4
	 * drops nothing then */
	if (kill && !((mode & (DB_FALLOC_PUNCH_HOLE | DB_FALLOC_ZERO_RANGE)) &&
		      (mode & DB_FALLOC_KEEP_SIZE) && off >= in.size))
		rc = kill_priv(db, &in, kill);
	if (rc < 0)
		return rc;
	*changed = rc ? DB_CHANGED_MODE : 0;
	rc = 0;
	if (mode & DB_FALLOC_PUNCH_HOLE) {
		rc = data_punch(db, &in, off, end);
		in.mtime = now;
	} else {
		/* zeros: a hole where there are bytes, then as mode 0 */
		if ((mode & DB_FALLOC_ZERO_RANGE) && off < in.size) {
			rc = data_punch(db, &in, off, end);
			in.mtime = now;
		}
		if (rc == 0 && !(mode & DB_FALLOC_KEEP_SIZE) && end > in.size) {
			in.size = end;
			in.mtime = now;
		}
		/*
		 * Like other copy-on-write filesystems (ZFS), this cannot
		 * set pages aside: it checks there is room, and the
		 * blocks are stored when written.  Writing zeros instead
		 * would cost as much as writing the data, twice over.
		 */
		if (end > in.size)
			end = in.size;
		if (rc == 0 && off < end)
			rc = space_for(db, end - off);
	}
	in.ctime = now;
	if (rc == 0)
		rc = inode_put(db, &in);
	if (rc == 0)
		rc = jr_changed(db, ino, in.mode, JR_DATA, off, off + len);
	return rc;
}

int db_fallocate(struct db *db, ino_t ino, int mode, off_t off, off_t len,
		 unsigned kill, unsigned *changed)
{
	unsigned dummy;
	int rc;

	if (!changed)
		changed = &dummy;
	*changed = 0;
	if (mode & ~(DB_FALLOC_KEEP_SIZE | DB_FALLOC_PUNCH_HOLE |
		     DB_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & DB_FALLOC_PUNCH_HOLE) && !(mode & DB_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((mode & DB_FALLOC_PUNCH_HOLE) && (mode & DB_FALLOC_ZERO_RANGE))
		return -EINVAL; /* as fallocate(2) says */
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > DB_MAX_FILE_SIZE - off)
		return -EFBIG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = fallocate_locked(db, (int64_t) ino, mode, off, len, kill, changed);
	if (rc < 0)
		*changed = 0;
	return (int) op_end(db, rc);
}

/*
 * SEEK_DATA: the first offset >= off (below the size) among the bytes of a
 * stored block; past the bytes of a short block is a hole (seek_hole()).
 */
static int64_t seek_data(struct db *db, const struct inode *in, int64_t off)
{
	int64_t bs = db->block_size, b = off / bs, next = -1;
	sqlite3_stmt *s = stmt(db, S_NEXT_BLOCK);
	int rc;

	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		next = sqlite3_column_int64(s, 0);
		/* off past the bytes of its own block: from the next one */
		if (next == b && sqlite3_column_int64(s, 1) <= off % bs) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 2, b + 1);
			rc = sqlite3_step(s);
			next = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0)
						: -1;
		}
	}
	rc = done(db, s, rc);
	if (rc < 0)
		return rc;
	/* a block at or past EOF (damage) is not data: compared
	 * as a block number, which cannot overflow */
	if (next < 0 || next > (in->size - 1) / bs)
		return -ENXIO;
	next *= bs;
	return next > off ? next : off;
}

/*
 * SEEK_HOLE: the first offset >= off (below the size) in a missing block
 * or past the bytes of a short one, else the size.
 */
static int64_t seek_hole(struct db *db, const struct inode *in, int64_t off)
{
	int64_t bs = db->block_size, b = off / bs, next = b;
	sqlite3_stmt *s = stmt(db, S_BLOCKS_LEN_RANGE);
	int rc;

	/* the first block from b on that is missing or short */
	sqlite3_bind_int64(s, 1, in->ino);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, blocks_ceil(in->size, bs));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int64(s, 0) != next)
			break;
		if (sqlite3_column_int64(s, 1) < bs) {
			int64_t hole = next * bs + sqlite3_column_int64(s, 1);

			next = -1 - hole; /* a short block: hole mid-block */
			break;
		}
		next++;
	}
	rc = done(db, s, rc);
	if (rc < 0)
		return rc;
	if (next < 0)
		next = -1 - next;
	else /* past the last block: the hole at EOF (no overflow) */
		next = next > (in->size - 1) / bs ? in->size : next * bs;
	if (next < off)
		next = off;
	return next < in->size ? next : in->size;
}

off_t db_lseek(struct db *db, ino_t ino, off_t off, int whence)
{
	struct inode in;
	int64_t rc;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc == 0 && off >= in.size)
		rc = -ENXIO;
	else if (rc == 0)
		rc = whence == SEEK_DATA ? seek_data(db, &in, off)
					 : seek_hole(db, &in, off);
	pthread_mutex_unlock(&db->lock);
	return (off_t) rc;
}

static int64_t copy_locked(struct db *db, int64_t ino_in, int64_t off_in,
			   int64_t ino_out, int64_t off_out, size_t len,
			   unsigned kill, unsigned *changed)
{
	struct inode src, dst;
	int64_t done_bytes = 0, bs = db->block_size;
	char *buf;
	int rc;

	rc = file_get(db, ino_in, &src);
	if (rc == 0)
		rc = file_get(db, ino_out, &dst);
	if (rc < 0)
		return rc;
	/* the VFS refuses either before looking at the source's size */
	if ((dst.flags & DB_FL_IMMUTABLE) ||
	    ((dst.flags & DB_FL_APPEND) && off_out < dst.size))
		return -EPERM;
	if (off_in >= src.size)
		return 0;
	if ((int64_t) len > src.size - off_in)
		len = (size_t) (src.size - off_in);
	if (kill)
		rc = kill_priv(db, &dst, kill);
	if (rc < 0)
		return rc;
	*changed = rc ? DB_CHANGED_MODE : 0;
	rc = 0;
	buf = malloc((size_t) bs);
	if (!buf)
		return -ENOMEM;
	while (done_bytes < (int64_t) len && rc == 0) {
		size_t n = (size_t) ((int64_t) len - done_bytes < bs
					     ? (int64_t) len - done_bytes
					     : bs);

		if (ino_in == ino_out)
			src = dst;
		rc = data_read(db, &src, off_in + done_bytes, n, buf);
		if (rc == 0)
			rc = data_write(db, &dst, off_out + done_bytes, buf, n);
		done_bytes += (int64_t) n;
	}
	free(buf);
	if (rc < 0)
		return rc;
	dst.mtime = dst.ctime = now_ns();
	rc = inode_put(db, &dst);
	if (rc == 0)
		rc = jr_changed(db, ino_out, dst.mode, JR_DATA, off_out,
				off_out + done_bytes);
	return rc < 0 ? rc : done_bytes;
}

ssize_t db_copy_range(struct db *db, ino_t ino_in, off_t off_in, ino_t ino_out,
		      off_t off_out, size_t len, unsigned kill,
		      unsigned *changed)
{
	unsigned dummy;
	int64_t rc;

	if (!changed)
		changed = &dummy;
	*changed = 0;

	if (off_in < 0 || off_out < 0)
		return -EINVAL;
	if ((int64_t) len > DB_MAX_FILE_SIZE - off_out)
		return -EFBIG;
	rc = op_begin(db);
	if (rc < 0)
		return (ssize_t) rc;
	rc = copy_locked(db, (int64_t) ino_in, off_in, (int64_t) ino_out,
			 off_out, len, kill, changed);
	if (rc < 0)
		*changed = 0;
	return (ssize_t) op_end(db, rc);
}
