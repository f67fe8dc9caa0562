-- schema.sql - the on-disk format of a sqlitefs filesystem
--
-- This file is the one source of the format: scripts/mkfs.sh feeds it to
-- the sqlite3 shell and the daemon's unit tests build databases from it.
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

-- Views for people using the sqlite3 shell.  They cost nothing at run time.

-- Every path in the tree, with its inode.  Hard links appear once per name.
CREATE VIEW paths (path, ino, parent, name, depth) AS
	WITH RECURSIVE walk (path, ino, parent, name, depth) AS (
		SELECT '/', 1, 1, '', 0
		UNION ALL
		SELECT CASE walk.path WHEN '/' THEN '' ELSE walk.path END
				|| '/' || d.name,
			d.ino, d.parent, d.name, walk.depth + 1
		FROM dentry d JOIN walk ON d.parent = walk.ino
		JOIN inode i ON i.ino = walk.ino
		WHERE (i.mode & 61440) = 16384 AND d.ino <> 1
	)
	SELECT path, ino, parent, name, depth FROM walk;

-- An "ls -l" of the whole tree: type, permissions, owner, size, mtime.
CREATE VIEW listing (path, type, perms, nlink, uid, gid, size, mtime,
		target, ino) AS
	SELECT p.path,
		CASE i.mode & 61440
			WHEN 32768 THEN 'file' WHEN 16384 THEN 'dir'
			WHEN 40960 THEN 'symlink' WHEN 4096 THEN 'fifo'
			WHEN 49152 THEN 'socket' WHEN 8192 THEN 'chardev'
			WHEN 24576 THEN 'blockdev' ELSE 'unknown' END,
		CASE i.mode & 61440
			WHEN 32768 THEN '-' WHEN 16384 THEN 'd'
			WHEN 40960 THEN 'l' WHEN 4096 THEN 'p'
			WHEN 49152 THEN 's' WHEN 8192 THEN 'c'
			WHEN 24576 THEN 'b' ELSE '?' END
		|| CASE WHEN i.mode & 256 THEN 'r' ELSE '-' END
		|| CASE WHEN i.mode & 128 THEN 'w' ELSE '-' END
		|| CASE WHEN i.mode & 2048 THEN
			CASE WHEN i.mode & 64 THEN 's' ELSE 'S' END
			ELSE CASE WHEN i.mode & 64 THEN 'x' ELSE '-' END END
		|| CASE WHEN i.mode & 32 THEN 'r' ELSE '-' END
		|| CASE WHEN i.mode & 16 THEN 'w' ELSE '-' END
		|| CASE WHEN i.mode & 1024 THEN
			CASE WHEN i.mode & 8 THEN 's' ELSE 'S' END
			ELSE CASE WHEN i.mode & 8 THEN 'x' ELSE '-' END END
		|| CASE WHEN i.mode & 4 THEN 'r' ELSE '-' END
		|| CASE WHEN i.mode & 2 THEN 'w' ELSE '-' END
		|| CASE WHEN i.mode & 512 THEN
			CASE WHEN i.mode & 1 THEN 't' ELSE 'T' END
			ELSE CASE WHEN i.mode & 1 THEN 'x' ELSE '-' END END,
		i.nlink, i.uid, i.gid, i.size,
		strftime('%Y-%m-%d %H:%M:%f', i.mtime / 1e9, 'unixepoch'),
		CAST(i.target AS TEXT), i.ino
	FROM paths p JOIN inode i ON i.ino = p.ino;

-- Stored bytes per inode (holes take no space).
CREATE VIEW usage (ino, blocks, stored_bytes) AS
	SELECT ino, count(*), sum(length(bytes)) FROM data GROUP BY ino;

-- Extended attributes by path; values shown as text where they are text.
CREATE VIEW xattrs (path, name, value, ino) AS
	SELECT p.path, x.name, CAST(x.value AS TEXT), x.ino
	FROM xattr x JOIN paths p ON p.ino = x.ino;

COMMIT;
