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
--  * journal holds one row per inode changed in a committed batch, ids
--    without gaps from settings journal_start to journal_next - 1
--    (src/journal.h); each row committed with the changes it describes.

PRAGMA application_id = 1397835347; -- 0x53514653, "SQFS"
PRAGMA user_version = 2;
PRAGMA journal_mode = WAL;

BEGIN;

-- Format settings chosen at mkfs time.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value ANY NOT NULL
) WITHOUT ROWID;

INSERT INTO settings (key, value) VALUES ('block_size', 65536);
-- The filesystem's identity: a random (version 4) UUID, which the
-- journal's cursors name.
INSERT INTO settings (key, value)
	SELECT 'uuid', lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4'
		|| substr(h, 14, 3) || '-'
		|| substr('89ab', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3)
		|| '-' || substr(h, 21, 12))
	FROM (SELECT hex(randomblob(16)) AS h);
-- The change journal: on, its next and oldest ids, and its retention
-- (a number of events, an age in seconds; 0 is no limit).
INSERT INTO settings (key, value) VALUES ('journal', 1);
INSERT INTO settings (key, value) VALUES ('journal_next', 1);
INSERT INTO settings (key, value) VALUES ('journal_start', 1);
INSERT INTO settings (key, value) VALUES ('journal_max_events', 1000000);
INSERT INTO settings (key, value) VALUES ('journal_max_age', 0);

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
-- Reverse look-ups: the names of an inode, read from the index alone.
CREATE INDEX dentry_ino ON dentry (ino, parent, name);

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

-- The change journal (src/journal.h): what changed, one row per inode and
-- batch, the reasons of its changes in the batch or-ed together.
CREATE TABLE journal (
	id         INTEGER PRIMARY KEY,         -- only grows, never reused
	time       INTEGER NOT NULL,            -- ns, of the last change
	ino        INTEGER NOT NULL,            -- the inode, maybe gone since
	type       INTEGER NOT NULL,            -- its mode & 0170000
	reasons    INTEGER NOT NULL,            -- JR_* bits
	parent     INTEGER,                     -- the directory of path
	path       TEXT,                        -- its path at the commit,
	                                        -- NULL when no name is left
	old_parent INTEGER,                     -- the directory of old_path
	old_path   TEXT,                        -- the first name it lost in
	                                        -- the batch: renamed or removed
	data_start INTEGER,                     -- JR_DATA: bytes changed,
	data_end   INTEGER,                     -- [data_start, data_end)
	CHECK (reasons > 0)
);

-- Search indexes (sqlitefs-find): entry names by default, which cost an
-- untar 2-3 % (docs/performance.md); users add search_size (inode size)
-- and search_mtime (inode mtime), which cost 5 % each, and
-- "search_xattr:NAME" indexes of one extended attribute's values, and
-- drop any (db_set()).
CREATE INDEX search_name ON dentry (name);

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
