-- format1.sql - format 1, before the change journal: src/schema.sql as
-- it was, kept for the upgrade tests (tests/journal_fsck_test.sh).
--
-- schema.sql - the on-disk format of a sqlitefs filesystem
--
-- This file is the one source of the format: scripts/mkfs.sh feeds it to
-- the sqlite3 shell and the daemon's unit tests build databases from it.
-- views.sql, run after it, adds the views.
-- Changing the format means bumping user_version below and
-- DB_FORMAT_VERSION in src/db.h.
--
-- Invariants the daemon keeps:
--  * inode 1 is the root directory; no dentry names it, its ".." is itself.
--  * inode.nlink counts the dentry rows naming the inode, plus, for a
--    directory, one for "." and one per subdirectory.  "." and ".." are
--    never stored.
--  * An inode with nlink 0 is an orphan: still open or looked up by the
--    kernel when its last name went away.  Orphans are deleted when the
--    kernel forgets them, or at the next mount after a crash.
--  * data holds one row per stored block of a regular file; a missing row
--    is a hole.  No block starts at or past the file's size, and the last
--    block may be short.
--  * Times are nanoseconds since the Unix epoch.

PRAGMA application_id = 1397835347; -- 0x53514653, "SQFS"
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;

BEGIN;

-- Format settings chosen at mkfs time.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value ANY NOT NULL
) WITHOUT ROWID;

INSERT INTO settings (key, value) VALUES ('block_size', 65536);

-- One row per inode.
CREATE TABLE inode (
	ino        INTEGER PRIMARY KEY,         -- inode number, root is 1
	mode       INTEGER NOT NULL,            -- file type and permission bits
	nlink      INTEGER NOT NULL,            -- link count, 0 for orphans
	uid        INTEGER NOT NULL,
	gid        INTEGER NOT NULL,
	rdev       INTEGER NOT NULL DEFAULT 0,  -- device number of a device node
	size       INTEGER NOT NULL DEFAULT 0,  -- bytes (symlink: target length)
	stored     INTEGER NOT NULL DEFAULT 0,  -- bytes held in data rows
	atime      INTEGER NOT NULL,            -- ns since the epoch
	mtime      INTEGER NOT NULL,
	ctime      INTEGER NOT NULL,
	crtime     INTEGER NOT NULL,            -- birth time
	flags      INTEGER NOT NULL DEFAULT 0,  -- reserved for chattr flags
	generation INTEGER NOT NULL DEFAULT 0,
	target     BLOB,                        -- symlink target, else NULL
	CHECK (nlink >= 0 AND size >= 0 AND stored >= 0)
);

-- Orphans (nlink 0), found at mount without scanning every inode.
CREATE INDEX inode_orphans ON inode (ino) WHERE nlink = 0;

-- Directory entries.  The rowid is the readdir cookie: it never changes
-- while the entry exists (rename updates the row in place).
CREATE TABLE dentry (
	id     INTEGER PRIMARY KEY,
	parent INTEGER NOT NULL REFERENCES inode (ino),
	name   TEXT NOT NULL,                   -- the bytes of the name
	ino    INTEGER NOT NULL REFERENCES inode (ino),
	UNIQUE (parent, name)
);
CREATE INDEX dentry_parent ON dentry (parent); -- readdir in cookie order
CREATE INDEX dentry_ino ON dentry (ino);       -- reverse look-ups

-- File contents, one row per block of settings.block_size bytes.
CREATE TABLE data (
	ino   INTEGER NOT NULL REFERENCES inode (ino) ON DELETE CASCADE,
	block INTEGER NOT NULL,                 -- offset / block_size
	bytes BLOB NOT NULL,                    -- at most block_size bytes
	PRIMARY KEY (ino, block)
);

-- Extended attributes.
CREATE TABLE xattr (
	ino   INTEGER NOT NULL REFERENCES inode (ino) ON DELETE CASCADE,
	name  TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (ino, name)
) WITHOUT ROWID;

-- The root directory, owned by whoever runs mkfs (scripts/mkfs.sh sets
-- uid and gid afterwards).
INSERT INTO inode (ino, mode, nlink, uid, gid, atime, mtime, ctime, crtime)
	VALUES (1, 16877, 2, 0, 0,
		CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
			* 1000000,
		CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
			* 1000000,
		CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
			* 1000000,
		CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
			* 1000000);

-- The views for the sqlite3 shell are in views.sql: they are not part of
-- the format.

COMMIT;
