/*
 * db_dir.c - names: lookup, mknod, link, unlink, rename and readdir
 *
 * A name is a dentry row (parent, name) -> inode.  Invariants kept here: a
 * name is 1 to DB_NAME_MAX bytes and never "." or "..", which are not
 * stored but made up by readdir; a file's link count is its number of
 * names; a directory has one name and a link count of 2 plus its
 * subdirectories, and none is moved under itself; a removed directory
 * (link count 0) gets no new names; every name changed is remembered
 * (name_changed()) in case the batch is lost.  An inode whose last name
 * goes keeps its rows until db_forget().
 */
#include "acl.h"
#include "db_impl.h"
#include "journal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/*
 * The most directories check_not_under() walks up: deeper is a cycle in
 * the tree, which only damage makes.
 */
#define DB_DEPTH_MAX (1 << 20)

/* --- dentries ----------------------------------------------------------- */

/* Finds name in parent: its dentry id and inode; -ENOENT if absent. */
static int dentry_get(struct db *db, int64_t parent, const char *name,
		      int64_t *id, int64_t *ino)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_GET);
	int rc;

	sqlite3_bind_int64(s, 1, parent);
	bind_name(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*ino = sqlite3_column_int64(s, 1);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return -ENOENT;
	}
	return done(db, s, rc);
}

static int dentry_new(struct db *db, int64_t parent, const char *name,
		      int64_t ino)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_NEW);

	touched(db, parent);
	touched(db, ino);
	sqlite3_bind_int64(s, 1, parent);
	bind_name(s, 2, name);
	sqlite3_bind_int64(s, 3, ino);
	return run(db, s);
}

/* Deletes dentry, of a name in dir, or points it to inode arg. */
static int dentry_by_id(struct db *db, enum stmt_id id, int64_t dir,
			int64_t dentry, int64_t arg)
{
	sqlite3_stmt *s = stmt(db, id);

	touched(db, dir);
	if (arg)
		touched(db, arg);
	sqlite3_bind_int64(s, 1, dentry);
	if (id == S_DENTRY_SETINO)
		sqlite3_bind_int64(s, 2, arg);
	return run(db, s);
}

/* 1 if directory ino has an entry, 0 if empty, or -errno. */
static int dir_has_entry(struct db *db, int64_t ino)
{
	sqlite3_stmt *s = stmt(db, S_DIR_HAS_ENTRY);
	int rc;

	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sqlite3_reset(s);
		return 1;
	}
	return done(db, s, rc);
}

/* The parent of directory ino (the root is its own parent). */
static int parent_of(struct db *db, int64_t ino, int64_t *parent)
{
	sqlite3_stmt *s = stmt(db, S_PARENT_OF);
	int rc;

	*parent = DB_ROOT_INO;
	if (ino == DB_ROOT_INO)
		return 0;
	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*parent = sqlite3_column_int64(s, 0);
	return done(db, s, rc);
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (len > DB_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/* --- names -------------------------------------------------------------- */

/*
 * "." (of any inode) and ".." (of a directory): what the kernel asks to
 * find an inode from a file handle, and a directory's parent.  An inode
 * without a name (deleted, its rows kept while the kernel knows it) is
 * not found: the handle is stale.
 */
static int lookup_dots(struct db *db, int64_t ino, int up, struct inode *in)
{
	int64_t parent;
	int rc = up ? dir_get(db, ino, in) : inode_get(db, ino, in);

	if (rc == 0 && in->nlink == 0)
		rc = -ENOENT;
	if (rc == 0 && up) {
		rc = parent_of(db, ino, &parent);
		if (rc == 0)
			rc = inode_get(db, parent, in);
	}
	return rc;
}

int db_lookup(struct db *db, ino_t parent, const char *name, struct stat *st)
{
	struct inode dir, in;
	int64_t id, ino;
	int rc;

	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		pthread_mutex_lock(&db->lock);
		rc = lookup_dots(db, (int64_t) parent, name[1] == '.', &in);
		if (rc == 0)
			inode_to_stat(db, &in, st);
		pthread_mutex_unlock(&db->lock);
		return rc;
	}
	pthread_mutex_lock(&db->lock);
	rc = dir_get(db, (int64_t) parent, &dir);
	if (rc == 0)
		rc = dentry_get(db, (int64_t) parent, name, &id, &ino);
	if (rc == 0)
		rc = inode_get(db, ino, &in);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/*
 * The attributes of a new inode made by cred in directory dir: in a
 * set-group-ID directory the group, and for a directory the bit itself,
 * come from dir.
 */
static void inode_init(struct inode *in, const struct inode *dir, mode_t mode,
		       dev_t rdev, const char *target,
		       const struct db_cred *cred, int64_t now)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->nlink = S_ISDIR(mode) ? 2 : 1;
	in->uid = cred->uid;
	in->gid = cred->gid;
	if (dir->mode & S_ISGID) {
		in->gid = dir->gid;
		if (S_ISDIR(mode))
			in->mode |= S_ISGID;
	}
	in->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	in->size = target ? (int64_t) strlen(target) : 0;
	in->atime = in->mtime = in->ctime = now;
	in->flags = dir->flags & DB_FL_INHERITED;
}

static int mknod_locked(struct db *db, int64_t parent, const char *name,
			mode_t mode, dev_t rdev, const char *target,
			const struct db_cred *cred, struct stat *st)
{
	struct inode dir, in;
	struct acl dflt, access;
	int64_t now = now_ns(), id, ino;
	int rc, inherit = 0, extended = 0;

	rc = dir_get(db, parent, &dir);
	if (rc < 0)
		return rc;
	if (dir.nlink == 0)
		return -ENOENT; /* removed while somebody sits in it */
	rc = dentry_get(db, parent, name, &id, &ino);
	if (rc != -ENOENT)
		return rc == 0 ? -EEXIST : rc;
	rc = dir_check_change(&dir, 1);
	if (rc < 0)
		return rc;
	if (db->next_ino == INT64_MAX)
		return -ENOSPC; /* inode numbers exhausted */
	/* a default ACL of dir, or else the umask, limits the mode */
	if (!S_ISLNK(mode)) {
		inherit = acl_default_get(db, parent, &dflt);
		if (inherit < 0)
			return inherit;
	}
	if (inherit) {
		access = dflt;
		extended = acl_create(&access, &mode);
	} else if (!S_ISLNK(mode)) {
		mode &= ~(cred->umask & 0777);
	}

	inode_init(&in, &dir, mode, rdev, target, cred, now);
	rc = inode_new(db, &in, target);
	if (rc == 0 && inherit)
		rc = acl_new_inode(db, &in, &dflt, extended ? &access : NULL);
	if (rc < 0)
		return rc;
	rc = dentry_new(db, parent, name, in.ino);
	if (rc == 0)
		rc = inode_touch(db, parent, S_ISDIR(mode) ? 1 : 0, 1, now);
	if (rc == 0)
		rc = jr_created(db, in.ino, in.mode, parent, name);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	return rc;
}

int db_mknod(struct db *db, ino_t parent, const char *name, mode_t mode,
	     dev_t rdev, const char *target, const struct db_cred *cred,
	     struct stat *st)
{
	int rc = check_name(name);

	if (rc < 0)
		return rc;
	if (target && strlen(target) >= PATH_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = mknod_locked(db, (int64_t) parent, name, mode, rdev, target, cred,
			  st);
	if (rc == 0)
		name_changed(db, (int64_t) parent, name);
	return (int) op_end(db, rc);
}

static int link_locked(struct db *db, int64_t ino, int64_t newparent,
		       const char *newname, struct stat *st)
{
	struct inode in, dir;
	int64_t now = now_ns();
	int rc;

	rc = inode_get(db, ino, &in);
	if (rc < 0)
		return rc;
	if (S_ISDIR(in.mode) || inode_pinned(&in))
		return -EPERM;
	if (in.nlink == 0)
		return -ENOENT;
	rc = dir_get(db, newparent, &dir);
	if (rc < 0)
		return rc;
	if (dir.nlink == 0)
		return -ENOENT;
	rc = dir_check_change(&dir, 1);
	if (rc < 0)
		return rc;
	rc = dentry_new(db, newparent, newname, ino);
	if (rc < 0)
		return rc;
	in.nlink++;
	in.ctime = now;
	rc = inode_put(db, &in);
	if (rc == 0)
		rc = inode_touch(db, newparent, 0, 1, now);
	if (rc == 0)
		rc = jr_linked(db, ino, in.mode, newparent, newname);
	if (rc == 0)
		inode_to_stat(db, &in, st);
	return rc;
}

int db_link(struct db *db, ino_t ino, ino_t newparent, const char *newname,
	    struct stat *st)
{
	int rc = check_name(newname);

	if (rc < 0)
		return rc;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = link_locked(db, (int64_t) ino, (int64_t) newparent, newname, st);
	if (rc == 0)
		name_changed(db, (int64_t) newparent, newname);
	return (int) op_end(db, rc);
}

/*
 * Drops one name of inode victim (a directory if its type says so) from
 * directory parent: the link count of victim, and of parent for a
 * subdirectory.  The dentry itself is the caller's.
 */
static int unlink_inode(struct db *db, int64_t parent, int64_t victim,
			int64_t now, int *gone)
{
	struct inode in;
	int rc = inode_get(db, victim, &in);

	if (rc < 0)
		return rc;
	if (S_ISDIR(in.mode)) {
		in.nlink = 0;
		rc = inode_touch(db, parent, -1, 1, now);
		if (rc < 0)
			return rc;
	} else if (in.nlink > 0) {
		in.nlink--;
	}
	in.ctime = now;
	*gone = in.nlink == 0;
	return inode_put(db, &in);
}

static int unlink_locked(struct db *db, int64_t parent, const char *name,
			 int rmdir, ino_t *victim, int *gone)
{
	struct inode dir, in;
	int64_t id, ino, now = now_ns();
	int rc;

	rc = dir_get(db, parent, &dir);
	if (rc == 0)
		rc = dentry_get(db, parent, name, &id, &ino);
	if (rc == 0)
		rc = inode_get(db, ino, &in);
	if (rc == 0)
		rc = dir_check_change(&dir, 0);
	if (rc == 0 && inode_pinned(&in))
		rc = -EPERM;
	if (rc < 0)
		return rc;
	if (rmdir && !S_ISDIR(in.mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(in.mode))
		return -EISDIR;
	if (rmdir) {
		rc = dir_has_entry(db, ino);
		if (rc != 0)
			return rc < 0 ? rc : -ENOTEMPTY;
	}
	rc = jr_removed(db, ino, in.mode, parent, name);
	if (rc == 0)
		rc = dentry_by_id(db, S_DENTRY_DELETE, parent, id, 0);
	if (rc == 0)
		rc = unlink_inode(db, parent, ino, now, gone);
	if (rc == 0 && !rmdir)
		rc = inode_touch(db, parent, 0, 1, now);
	*victim = (ino_t) ino;
	return rc;
}

int db_unlink(struct db *db, ino_t parent, const char *name, int rmdir,
	      ino_t *victim, int *gone)
{
	int rc;

	*victim = 0;
	*gone = 0;
	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = unlink_locked(db, (int64_t) parent, name, rmdir, victim, gone);
	if (rc < 0) {
		*victim = 0;
		*gone = 0;
	} else {
		name_changed(db, (int64_t) parent, name);
	}
	return (int) op_end(db, rc);
}

/*
 * -EINVAL if directory dir is ancestor or itself of directory ino;
 * -ELOOP if the walk up from ino goes round a cycle, which only a damaged
 * database has: found within twice the length of the walk to it and
 * round it (Brent's method: a mark left at every power of two of steps
 * is met again), not after DB_DEPTH_MAX look-ups.
 */
static int check_not_under(struct db *db, int64_t dir, int64_t ino)
{
	int64_t cur = ino, up, mark = ino;
	int rc, depth, steps = 0, power = 1;

	for (depth = 0; depth < DB_DEPTH_MAX; depth++) {
		if (cur == dir)
			return -EINVAL;
		if (cur == DB_ROOT_INO)
			return 0;
		rc = parent_of(db, cur, &up);
		if (rc < 0)
			return rc;
		if (up == cur)
			return 0;
		cur = up;
		if (cur == mark)
			break;
		if (++steps == power) {
			mark = cur;
			power *= 2;
			steps = 0;
		}
	}
	return -ELOOP; /* a cycle in the tree: the database is damaged */
}

struct rename_side {
	int64_t parent, id, ino;
	const char *name;
	struct inode in;
	unsigned dir_flags; /* of parent */
};

/*
 * -EPERM if the flags forbid the rename of src to dst (db.h, DB_FL_*), as
 * the VFS's may_delete() and may_create() do: a name leaves src's
 * directory, and dst's if it exists there (which an exchange or a
 * replacement removes); it is added in dst's directory otherwise; the
 * inodes that lose a name must not be immutable or append-only.
 */
static int rename_check(const struct rename_side *src,
			const struct rename_side *dst)
{
	struct inode sdir = {.flags = src->dir_flags};
	struct inode ddir = {.flags = dst->dir_flags};
	int rc = dir_check_change(&sdir, 0);

	if (rc == 0)
		rc = dir_check_change(&ddir, dst->ino == 0);
	if (rc == 0 && (inode_pinned(&src->in) || inode_pinned(&dst->in)))
		rc = -EPERM;
	return rc;
}

/* Swaps two names, for RENAME_EXCHANGE. */
static int rename_exchange(struct db *db, struct rename_side *a,
			   struct rename_side *b, int64_t now)
{
	const char *aname = a->name, *bname = b->name;
	int adir = S_ISDIR(a->in.mode), bdir = S_ISDIR(b->in.mode);
	int rc;

	if (a->parent != b->parent) {
		if (adir && (rc = check_not_under(db, a->ino, b->parent)) < 0)
			return rc;
		if (bdir && (rc = check_not_under(db, b->ino, a->parent)) < 0)
			return rc;
	}
	rc = jr_renamed(db, a->ino, a->in.mode, a->parent, aname, b->parent,
			bname);
	if (rc == 0)
		rc = jr_renamed(db, b->ino, b->in.mode, b->parent, bname,
				a->parent, aname);
	if (rc == 0)
		rc = dentry_by_id(db, S_DENTRY_SETINO, a->parent, a->id,
				  b->ino);
	if (rc == 0)
		rc = dentry_by_id(db, S_DENTRY_SETINO, b->parent, b->id,
				  a->ino);
	if (rc == 0)
		rc = inode_touch(db, a->ino, 0, 0, now);
	if (rc == 0)
		rc = inode_touch(db, b->ino, 0, 0, now);
	if (rc == 0 && a->parent != b->parent)
		rc = inode_touch(db, a->parent, bdir - adir, 1, now);
	if (rc == 0)
		rc = inode_touch(db, b->parent,
				 a->parent != b->parent ? adir - bdir : 0, 1,
				 now);
	return rc;
}

/*
 * Drops the name dst that the rename of src replaces, as rename(2) allows:
 * a directory by a directory, and only when empty; anything else by
 * anything but a directory.  *victim and *gone as db_rename() says.
 */
static int rename_replace(struct db *db, const struct rename_side *src,
			  const struct rename_side *dst, int64_t now,
			  ino_t *victim, int *gone)
{
	int sdir = S_ISDIR(src->in.mode), ddir = S_ISDIR(dst->in.mode);
	int rc;

	if (sdir && !ddir)
		return -ENOTDIR;
	if (!sdir && ddir)
		return -EISDIR;
	if (ddir) {
		rc = dir_has_entry(db, dst->ino);
		if (rc != 0)
			return rc < 0 ? rc : -ENOTEMPTY;
	}
	rc = jr_removed(db, dst->ino, dst->in.mode, dst->parent, dst->name);
	if (rc == 0)
		rc = dentry_by_id(db, S_DENTRY_DELETE, dst->parent, dst->id, 0);
	if (rc == 0)
		rc = unlink_inode(db, dst->parent, dst->ino, now, gone);
	if (rc < 0)
		return rc;
	*victim = (ino_t) dst->ino;
	return 0;
}

/* Puts a whiteout owned by cred where src was, once src has moved. */
static int rename_whiteout(struct db *db, const struct rename_side *src,
			   const struct db_cred *cred, int64_t now)
{
	struct inode dir, in;
	struct acl dflt, access;
	mode_t mode = S_IFCHR;
	int rc, inherit, extended = 0;

	if (db->next_ino == INT64_MAX)
		return -ENOSPC; /* inode numbers exhausted */
	rc = dir_get(db, src->parent, &dir);
	if (rc < 0)
		return rc;
	/* as ext4, the whiteout takes the default ACL (with no access) */
	inherit = acl_default_get(db, src->parent, &dflt);
	if (inherit < 0)
		return inherit;
	if (inherit) {
		access = dflt;
		extended = acl_create(&access, &mode);
	}
	inode_init(&in, &dir, mode, 0, NULL, cred, now);
	rc = inode_new(db, &in, NULL);
	if (rc == 0 && inherit)
		rc = acl_new_inode(db, &in, &dflt, extended ? &access : NULL);
	if (rc == 0)
		rc = dentry_new(db, src->parent, src->name, in.ino);
	if (rc == 0)
		rc = jr_created(db, in.ino, in.mode, src->parent, src->name);
	return rc;
}

static int rename_locked(struct db *db, struct rename_side *src,
			 struct rename_side *dst, const char *newname,
			 unsigned flags, const struct db_cred *cred,
			 ino_t *victim, int *gone)
{
	sqlite3_stmt *s = stmt(db, S_DENTRY_MOVE);
	int64_t now = now_ns();
	int sdir = S_ISDIR(src->in.mode);
	int rc;

	if (dst->ino && dst->ino == src->ino)
		return 0; /* two names of one inode: nothing to do */
	rc = rename_check(src, dst);
	if (rc < 0)
		return rc;
	if (flags & DB_RENAME_EXCHANGE)
		return rename_exchange(db, src, dst, now);
	if (sdir && src->parent != dst->parent) {
		rc = check_not_under(db, src->ino, dst->parent);
		if (rc < 0)
			return rc;
	}
	if (dst->ino) {
		rc = rename_replace(db, src, dst, now, victim, gone);
		if (rc < 0)
			return rc;
	}

	rc = jr_renamed(db, src->ino, src->in.mode, src->parent, src->name,
			dst->parent, newname);
	if (rc < 0)
		return rc;
	touched(db, src->parent);
	touched(db, dst->parent);
	touched(db, src->ino); /* its ".." */
	sqlite3_bind_int64(s, 1, src->id);
	sqlite3_bind_int64(s, 2, dst->parent);
	bind_name(s, 3, newname);
	rc = run(db, s);
	if (rc == 0)
		rc = inode_touch(db, src->ino, 0, 0, now);
	if (rc == 0 && src->parent != dst->parent)
		rc = inode_touch(db, src->parent, sdir ? -1 : 0, 1, now);
	if (rc == 0)
		rc = inode_touch(db, dst->parent,
				 sdir && src->parent != dst->parent ? 1 : 0, 1,
				 now);
	if (rc == 0 && (flags & DB_RENAME_WHITEOUT))
		rc = rename_whiteout(db, src, cred, now);
	return rc;
}

/* Looks one side of a rename up; dst may be missing (ino 0). */
static int rename_side_get(struct db *db, int64_t parent, const char *name,
			   struct rename_side *side, int may_miss)
{
	struct inode dir;
	int rc;

	memset(side, 0, sizeof(*side));
	side->parent = parent;
	side->name = name;
	rc = dir_get(db, parent, &dir);
	if (rc < 0)
		return rc;
	side->dir_flags = dir.flags;
	rc = dentry_get(db, parent, name, &side->id, &side->ino);
	if (rc == -ENOENT && may_miss) {
		side->ino = 0;
		return dir.nlink == 0 ? -ENOENT : 0;
	}
	if (rc < 0)
		return rc;
	return inode_get(db, side->ino, &side->in);
}

int db_rename(struct db *db, ino_t parent, const char *name, ino_t newparent,
	      const char *newname, unsigned flags, ino_t *victim, int *gone)
{
	if (flags & DB_RENAME_WHITEOUT) {
		*victim = 0;
		*gone = 0;
		return -EINVAL; /* nobody to own the whiteout */
	}
	return db_rename_as(db, parent, name, newparent, newname, flags, NULL,
			    victim, gone);
}

int db_rename_as(struct db *db, ino_t parent, const char *name, ino_t newparent,
		 const char *newname, unsigned flags,
		 const struct db_cred *cred, ino_t *victim, int *gone)
{
	const unsigned known =
		DB_RENAME_NOREPLACE | DB_RENAME_EXCHANGE | DB_RENAME_WHITEOUT;
	struct rename_side src, dst;
	int rc;

	*victim = 0;
	*gone = 0;
	if (flags & ~known ||
	    (flags & DB_RENAME_EXCHANGE && flags & ~DB_RENAME_EXCHANGE) ||
	    (flags & DB_RENAME_WHITEOUT && !cred))
		return -EINVAL;
	rc = check_name(newname);
	if (rc < 0)
		return rc;
	if (strlen(name) > DB_NAME_MAX)
		return -ENAMETOOLONG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = rename_side_get(db, (int64_t) parent, name, &src, 0);
	if (rc == 0)
		rc = rename_side_get(db, (int64_t) newparent, newname, &dst,
				     !(flags & DB_RENAME_EXCHANGE));
	if (rc == 0 && dst.ino && (flags & DB_RENAME_NOREPLACE))
		rc = -EEXIST;
	if (rc == 0)
		rc = rename_locked(db, &src, &dst, newname, flags, cred, victim,
				   gone);
	if (rc < 0) {
		*victim = 0;
		*gone = 0;
	} else {
		name_changed(db, (int64_t) parent, name);
		name_changed(db, (int64_t) newparent, newname);
	}
	return (int) op_end(db, rc);
}

/* --- directories ------------------------------------------------------- */

/*
 * Passes to fn the entries "." (offset 1) and ".." (offset 2) of dir that
 * lie past off; ".." of an orphaned directory is dir itself.  Returns 1 if
 * fn asked to stop, else 0 (a lookup that fails is not an error here).
 */
static int readdir_dots(struct db *db, const struct inode *dir, int64_t off,
			db_dirent_fn fn, void *ctx)
{
	struct inode up;
	struct stat st;
	int64_t parent;
	int rc;

	if (off < 1) {
		inode_to_stat(db, dir, &st);
		if (fn(ctx, ".", &st, 1))
			return 1;
	}
	if (off < 2) {
		rc = parent_of(db, dir->ino, &parent);
		if (rc == 0)
			rc = inode_get(db, parent, &up);
		if (rc < 0)
			up = *dir; /* an orphaned directory: ".." is itself */
		inode_to_stat(db, &up, &st);
		if (fn(ctx, "..", &st, 2))
			return 1;
	}
	return 0;
}

int db_readdir(struct db *db, ino_t ino, off_t off, db_dirent_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	struct inode dir, in;
	struct stat st;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = dir_get(db, (int64_t) ino, &dir);
	if (rc < 0 || readdir_dots(db, &dir, off, fn, ctx))
		goto out_unlock;
	s = stmt(db, S_READDIR);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	sqlite3_bind_int64(s, 2, off > 2 ? off - 2 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *name = (const char *) sqlite3_column_text(s, 1);

		inode_from_row(s, 2, &in);
		inode_to_stat(db, &in, &st);
		if (name && fn(ctx, name, &st, id + 2))
			break;
	}
	rc = done(db, s, rc);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return rc;
}
