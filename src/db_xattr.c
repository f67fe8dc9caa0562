/*
 * db_xattr.c - extended attributes
 *
 * An xattr is a row (inode, name) -> value.  Invariants kept here: a name
 * is in the user., trusted. or security. namespace, with something after
 * the prefix, or one of the two POSIX ACLs, and at most DB_XATTR_NAME_MAX
 * bytes (db_check_xattr_name(), which fsck applies too); a value is at
 * most DB_XATTR_SIZE_MAX bytes; a change sets the inode's ctime.
 * db->has_caps is set once any inode may hold security.capability, which
 * kill_priv() must then drop.
 *
 * POSIX ACLs (acl.h), by the kernel's rules, which its FUSE client leaves
 * to the daemon: an ACL row holds a valid ACL, in the
 * form acl_encode() writes; an access ACL row exists only where the ACL
 * says more than the mode, whose permission bits always follow it (the
 * group bits are its mask); a default ACL row only on a directory.  A new
 * inode takes its directory's default ACL (acl_new_inode()), chmod changes
 * the access ACL with the mode (acl_chmod_locked()).
 *
 * db->has_security is 0 only while no row's name starts with "security.":
 * set at open when a writable database has none, raised (never lowered)
 * before setxattr stores such a name.  A row of a removed name or of a
 * rolled-back operation or batch leaves it raised, which only costs the
 * query; a row never appears otherwise while the daemon holds SQLite's
 * write lock (mkfs -d loads through db_setxattr(), fsck runs unmounted).
 * So getxattr of a security.* name, which the kernel and ls -l ask of
 * every file (security.capability, security.selinux), is answered
 * -ENODATA at once while it is 0.  It is atomic because it is read
 * without the lock; a getxattr that could see the row (it takes the lock
 * after the setxattr that stored it) sees it raised.
 */
#include "acl.h"
#include "db_impl.h"
#include "journal.h"

#include <errno.h>
#include <string.h>

/* --- extended attributes ----------------------------------------------- */

/* The namespace db->has_security watches. */
#define SECURITY_PREFIX "security."

int db_check_xattr_name(const char *name)
{
	static const char *const ns[] = {"user.", "trusted.", SECURITY_PREFIX};
	size_t i, len = strlen(name);

	if (len > DB_XATTR_NAME_MAX)
		return -ERANGE;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (!strncmp(name, ns[i], strlen(ns[i])))
			return len > strlen(ns[i]) ? 0 : -EINVAL;
	return acl_name(name) ? 0 : -EOPNOTSUPP;
}

void db_set_acl(struct db *db, int on)
{
	db->acl_off = !on;
}

/* The ACL name that name is (acl_name()), or -EOPNOTSUPP while ACLs are off. */
static int acl_kind(struct db *db, const char *name)
{
	int kind = acl_name(name);

	return kind && db->acl_off ? -EOPNOTSUPP : kind;
}

static int is_security(const char *name)
{
	return !strncmp(name, SECURITY_PREFIX, strlen(SECURITY_PREFIX));
}

static ssize_t xattr_get_locked(struct db *db, int64_t ino, const char *name,
				void *buf, size_t size);

static int setxattr_locked(struct db *db, int64_t ino, const char *name,
			   const void *value, size_t size, int flags)
{
	struct inode in;
	sqlite3_stmt *s;
	int rc = inode_get(db, ino, &in);

	if (rc == 0 && inode_pinned(&in))
		rc = -EPERM; /* as the VFS's xattr_permission() */
	if (rc < 0)
		return rc;
	if ((flags & DB_XATTR_CREATE) && (flags & DB_XATTR_REPLACE)) {
		/* both: as ext4, whichever the current state contradicts */
		rc = (int) xattr_get_locked(db, ino, name, NULL, 0);
		return rc >= 0 ? -EEXIST : rc;
	}
	if (flags & DB_XATTR_CREATE)
		s = stmt(db, S_XATTR_NEW);
	else if (flags & DB_XATTR_REPLACE)
		s = stmt(db, S_XATTR_UPDATE);
	else
		s = stmt(db, S_XATTR_UPSERT);
	touched(db, ino);
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	bind_bytes(s, 3, value, size);
	rc = run(db, s);
	if (rc == 0 && (flags & DB_XATTR_REPLACE) &&
	    sqlite3_changes(db->conn) == 0)
		rc = -ENODATA;
	if (rc == 0) {
		in.ctime = now_ns();
		rc = inode_put(db, &in);
	}
	if (rc == 0)
		rc = jr_changed(db, ino, in.mode, JR_XATTR, 0, 0);
	return rc;
}

/* Stores value as xattr name of ino, whether it exists or not. */
static int xattr_put(struct db *db, int64_t ino, const char *name,
		     const void *value, size_t size)
{
	sqlite3_stmt *s = stmt(db, S_XATTR_UPSERT);

	touched(db, ino);
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	bind_bytes(s, 3, value, size);
	return run(db, s);
}

/* Deletes xattr name of ino; 1 if there was one, 0 if not, or -errno. */
static int xattr_delete(struct db *db, int64_t ino, const char *name)
{
	sqlite3_stmt *s = stmt(db, S_XATTR_DELETE);
	int rc;

	touched(db, ino);
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	rc = run(db, s);
	return rc < 0 ? rc : sqlite3_changes(db->conn) > 0;
}

/* Stores acl as ACL name of ino, in its canonical form. */
static int acl_put(struct db *db, int64_t ino, const char *name,
		   const struct acl *acl)
{
	unsigned char buf[ACL_VALUE_MAX];

	acl_encode(acl, buf);
	return xattr_put(db, ino, name, buf, acl_size(acl));
}

/*
 * Loads ACL name of ino into acl: 1 if there is one, 0 if not, -EIO
 * (logged) if the row is not a valid ACL.
 */
static int acl_get(struct db *db, int64_t ino, const char *name,
		   struct acl *acl)
{
	unsigned char buf[ACL_VALUE_MAX];
	ssize_t n;

	if (!atomic_load(&db->has_acl) || db->acl_off)
		return 0;
	n = xattr_get_locked(db, ino, name, buf, sizeof(buf));
	if (n == -ENODATA)
		return 0;
	if (n < 0 && n != -ERANGE)
		return (int) n;
	if (n < 0 || acl_parse(buf, (size_t) n, acl) < 0) {
		db_log("sqlitefs: %s: inode %lld: %s: not a valid ACL\n",
		       db->path, (long long) ino, name);
		return -EIO;
	}
	return 1;
}

/* setxattr of ACL name (kind: acl_name()) of ino. */
static int setacl_locked(struct db *db, int64_t ino, const char *name, int kind,
			 const void *value, size_t size, int flags)
{
	struct inode in;
	struct acl acl;
	unsigned reasons = JR_XATTR;
	mode_t mode;
	int rc = inode_get(db, ino, &in);

	if (rc < 0)
		return rc;
	if (inode_pinned(&in))
		return -EPERM; /* as the VFS's xattr_permission() */
	rc = acl_parse(value, size, &acl);
	if (rc < 0)
		return rc;
	mode = in.mode;
	if (S_ISLNK(in.mode))
		return -EOPNOTSUPP; /* as the kernel: symlinks have none */
	if (kind == 2 && !S_ISDIR(in.mode))
		return -EACCES;
	if (kind == 2) {
		rc = acl_put(db, ino, name, &acl);
	} else {
		int extended = acl_equiv_mode(&acl, &mode);

		if (flags & DB_XATTR_ACL_KILL_SGID)
			mode &= (mode_t) ~S_ISGID;
		rc = extended ? acl_put(db, ino, name, &acl)
			      : xattr_delete(db, ino, name);
	}
	if (rc < 0)
		return rc;
	if (mode != in.mode)
		reasons |= JR_ATTRIB;
	rc = jr_changed(db, ino, in.mode, reasons, 0, 0);
	if (rc < 0)
		return rc;
	in.mode = mode;
	in.ctime = now_ns();
	return inode_put(db, &in);
}

int acl_default_get(struct db *db, int64_t dir, struct acl *acl)
{
	return acl_get(db, dir, ACL_XATTR_DEFAULT, acl);
}

int acl_new_inode(struct db *db, const struct inode *in, const struct acl *dflt,
		  const struct acl *access)
{
	int rc = 0;

	if (S_ISDIR(in->mode))
		rc = acl_put(db, in->ino, ACL_XATTR_DEFAULT, dflt);
	if (rc == 0 && access)
		rc = acl_put(db, in->ino, ACL_XATTR_ACCESS, access);
	return rc;
}

int acl_chmod_locked(struct db *db, const struct inode *in)
{
	struct acl acl;
	int rc = acl_get(db, in->ino, ACL_XATTR_ACCESS, &acl);

	if (rc <= 0)
		return rc;
	acl_chmod(&acl, in->mode);
	rc = jr_changed(db, in->ino, in->mode, JR_XATTR, 0, 0);
	return rc < 0 ? rc : acl_put(db, in->ino, ACL_XATTR_ACCESS, &acl);
}

int db_setxattr(struct db *db, ino_t ino, const char *name, const void *value,
		size_t size, int flags)
{
	int rc = db_check_xattr_name(name);
	int kind = acl_kind(db, name);

	if (rc < 0)
		return rc;
	if (kind < 0)
		return kind;
	if (size > DB_XATTR_SIZE_MAX)
		return -E2BIG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	if (is_security(name))
		atomic_store(&db->has_security, 1);
	if (kind)
		atomic_store(&db->has_acl, 1);
	if (kind)
		rc = setacl_locked(db, (int64_t) ino, name, kind, value, size,
				   flags);
	else
		rc = setxattr_locked(db, (int64_t) ino, name, value, size,
				     flags);
	if (rc == 0 && !strcmp(name, "security.capability"))
		db->has_caps = 1;
	return (int) op_end(db, rc);
}

/* The value of xattr name of ino, as db_getxattr(); the lock is held. */
static ssize_t xattr_get_locked(struct db *db, int64_t ino, const char *name,
				void *buf, size_t size)
{
	sqlite3_stmt *s = stmt(db, S_XATTR_GET);
	ssize_t rc;

	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		size_t len = (size_t) sqlite3_column_bytes(s, 0);

		if (size && len > size) {
			rc = -ERANGE;
		} else {
			if (size && len)
				memcpy(buf, sqlite3_column_blob(s, 0), len);
			rc = (ssize_t) len;
		}
		sqlite3_reset(s);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = -ENODATA;
	} else {
		rc = done(db, s, (int) rc);
	}
	return rc;
}

ssize_t db_getxattr(struct db *db, ino_t ino, const char *name, void *buf,
		    size_t size)
{
	struct inode in;
	ssize_t rc = db_check_xattr_name(name);
	int kind = acl_kind(db, name);

	/* an ACL under noacl: EOPNOTSUPP tells ls and cp that this
	 * filesystem has no ACLs at all, and they stop asking */
	if (rc < 0)
		return rc;
	if (kind < 0)
		return kind;
	if (is_security(name) && !atomic_load(&db->has_security))
		return -ENODATA;
	if (kind && !atomic_load(&db->has_acl))
		return -ENODATA;
	pthread_mutex_lock(&db->lock);
	rc = xattr_get_locked(db, (int64_t) ino, name, buf, size);
	if (rc == -ENODATA) { /* the common answer: is there an inode? */
		int r = inode_get(db, (int64_t) ino, &in);

		if (r < 0)
			rc = r;
	}
	pthread_mutex_unlock(&db->lock);
	return rc;
}

ssize_t db_listxattr(struct db *db, ino_t ino, char *buf, size_t size)
{
	sqlite3_stmt *s;
	struct inode in;
	size_t total = 0;
	int rc;

	pthread_mutex_lock(&db->lock);
	rc = inode_get(db, (int64_t) ino, &in);
	if (rc < 0)
		goto out_unlock;
	s = stmt(db, S_XATTR_LIST);
	sqlite3_bind_int64(s, 1, (int64_t) ino);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *) sqlite3_column_text(s, 0);
		size_t len = (size_t) sqlite3_column_bytes(s, 0) + 1;

		if (!name)
			continue; /* damaged: no name to list */
		if (db->acl_off && acl_name(name))
			continue;
		if (size && total + len > size) {
			sqlite3_reset(s);
			rc = -ERANGE;
			goto out_unlock;
		}
		if (size)
			memcpy(buf + total, name, len);
		total += len;
	}
	rc = done(db, s, rc);
out_unlock:
	pthread_mutex_unlock(&db->lock);
	return rc < 0 ? rc : (ssize_t) total;
}

static int removexattr_locked(struct db *db, int64_t ino, const char *name)
{
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc == 0 && inode_pinned(&in))
		rc = -EPERM; /* as the VFS's xattr_permission() */
	if (rc == 0)
		rc = xattr_delete(db, ino, name);
	if (rc == 0)
		return -ENODATA;
	if (rc < 0)
		return rc;
	in.ctime = now_ns();
	rc = inode_put(db, &in);
	if (rc == 0)
		rc = jr_changed(db, ino, in.mode, JR_XATTR, 0, 0);
	return rc;
}

int db_removexattr(struct db *db, ino_t ino, const char *name)
{
	int rc = db_check_xattr_name(name);
	int kind = acl_kind(db, name);

	if (rc == -EOPNOTSUPP)
		return -ENODATA;
	if (rc < 0)
		return rc;
	if (kind < 0)
		return kind;
	if (kind && !atomic_load(&db->has_acl))
		return -ENODATA;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = removexattr_locked(db, (int64_t) ino, name);
	return (int) op_end(db, rc);
}
