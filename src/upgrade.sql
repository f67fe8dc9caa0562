-- upgrade.sql - from format 1 to format 2: the change journal, the
-- filesystem UUID and the search indexes
--
-- Run by a read-write mount (db_open()) and by fsck.sqlitefs -y on a
-- format-1 database, in their transaction.  What it makes is what
-- schema.sql makes, text for text (db_test checks that an upgraded
-- database has the schema of a new one).

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

-- The names of an inode read from the index alone (sqlitefs-find); a
-- format-2 database made with the narrow index gets it at its next
-- read-write mount (db_open()).
DROP INDEX IF EXISTS dentry_ino;
CREATE INDEX dentry_ino ON dentry (ino, parent, name);

PRAGMA user_version = 2;
