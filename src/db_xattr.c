/*
 * db_xattr.c - extended attributes
 *
 * An xattr is a row (inode, name) -> value.  Invariants kept here: a name
 * is in the user., trusted. or security. namespace, with something after
 * the prefix, and at most DB_XATTR_NAME_MAX bytes (db_check_xattr_name(),
 * which fsck applies too); a value is at most DB_XATTR_SIZE_MAX bytes; a
 * change sets the inode's ctime.  db->has_caps is set once any inode may
 * hold security.capability, which kill_priv() must then drop.
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
	return -EOPNOTSUPP;
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

int db_setxattr(struct db *db, ino_t ino, const char *name, const void *value,
		size_t size, int flags)
{
	int rc = db_check_xattr_name(name);

	if (rc < 0)
		return rc;
	if (size > DB_XATTR_SIZE_MAX)
		return -E2BIG;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	if (is_security(name))
		atomic_store(&db->has_security, 1);
	rc = setxattr_locked(db, (int64_t) ino, name, value, size, flags);
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

	/* system.posix_acl_*: EOPNOTSUPP, as on a filesystem mounted noacl,
	 * tells ls and cp that this filesystem has no ACLs at all, and
	 * they stop asking for every file */
	if (rc < 0)
		return rc;
	if (is_security(name) && !atomic_load(&db->has_security))
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
	sqlite3_stmt *s = stmt(db, S_XATTR_DELETE);
	struct inode in;
	int rc = inode_get(db, ino, &in);

	if (rc == 0 && inode_pinned(&in))
		rc = -EPERM;
	if (rc < 0)
		return rc;
	touched(db, ino);
	sqlite3_bind_int64(s, 1, ino);
	bind_name(s, 2, name);
	rc = run(db, s);
	if (rc == 0 && sqlite3_changes(db->conn) == 0)
		return -ENODATA;
	if (rc == 0) {
		in.ctime = now_ns();
		rc = inode_put(db, &in);
	}
	if (rc == 0)
		rc = jr_changed(db, ino, in.mode, JR_XATTR, 0, 0);
	return rc;
}

int db_removexattr(struct db *db, ino_t ino, const char *name)
{
	int rc = db_check_xattr_name(name);

	if (rc == -EOPNOTSUPP)
		return -ENODATA;
	if (rc < 0)
		return rc;
	rc = op_begin(db);
	if (rc < 0)
		return rc;
	rc = removexattr_locked(db, (int64_t) ino, name);
	return (int) op_end(db, rc);
}
