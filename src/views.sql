-- views.sql - readable views of a sqlitefs database, for the sqlite3 shell
--
-- Views are not part of the format (schema.sql is): they hold no data and
-- cost nothing at run time.  mkfs creates them; a read-write mount
-- replaces them when this file changed (db_views_refresh() compares a hash
-- of this text with the one stored in settings under 'views'), so older
-- databases get the current views without a format change.
--
-- Times are shown in UTC, 'YYYY-MM-DD HH:MM:SS.SSS', which compares
-- correctly with strings such as '2024-06-01' or datetime('now', '-1 day').
-- Sizes are bytes; "human" columns round them to B, KiB, MiB, GiB.

DROP VIEW IF EXISTS events;
DROP VIEW IF EXISTS du;
DROP VIEW IF EXISTS largest;
DROP VIEW IF EXISTS xattrs;
DROP VIEW IF EXISTS usage;
DROP VIEW IF EXISTS listing;
DROP VIEW IF EXISTS paths;

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

-- An "ls -l" of the whole tree: type, permissions (also in octal), owner,
-- size, bytes stored in blocks (holes take none), and the four times.
CREATE VIEW listing (path, type, perms, mode, nlink, uid, gid, size, stored,
		atime, mtime, ctime, crtime, target, ino) AS
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
		printf('%04o', i.mode & 4095),
		i.nlink, i.uid, i.gid, i.size, i.stored,
		strftime('%Y-%m-%d %H:%M:%f', i.atime / 1e9, 'unixepoch'),
		strftime('%Y-%m-%d %H:%M:%f', i.mtime / 1e9, 'unixepoch'),
		strftime('%Y-%m-%d %H:%M:%f', i.ctime / 1e9, 'unixepoch'),
		strftime('%Y-%m-%d %H:%M:%f', i.crtime / 1e9, 'unixepoch'),
		CAST(i.target AS TEXT), i.ino
	FROM paths p JOIN inode i ON i.ino = p.ino;

-- Stored bytes per inode (holes take no space).
CREATE VIEW usage (ino, blocks, stored_bytes) AS
	SELECT ino, count(*), sum(length(bytes)) FROM data GROUP BY ino;

-- Regular files, largest first.
CREATE VIEW largest (path, size, human, stored, mtime) AS
	SELECT path, size,
		CASE WHEN size < 1024 THEN size || ' B'
		WHEN size < 1048576 THEN printf('%.1f KiB', size / 1024.0)
		WHEN size < 1073741824 THEN printf('%.1f MiB', size / 1048576.0)
		ELSE printf('%.1f GiB', size / 1073741824.0) END,
		stored, mtime
	FROM listing WHERE type = 'file' ORDER BY size DESC, path;

-- Extended attributes by path: value as text when it is printable ASCII
-- (else NULL), always in hex, and its length.
CREATE VIEW xattrs (path, name, value, hex, size, ino) AS
	SELECT p.path, x.name,
		CASE WHEN instr(x.value, x'00') = 0
			AND CAST(x.value AS TEXT) NOT GLOB '*[^ -~]*'
			THEN CAST(x.value AS TEXT) END,
		hex(x.value), length(x.value), x.ino
	FROM xattr x JOIN paths p ON p.ino = x.ino;

-- Per-directory totals of everything below it, like du: subdirectories,
-- other inodes (hard links counted once), their sizes, the bytes stored.
CREATE VIEW du (path, dirs, files, size, stored, human) AS
	WITH RECURSIVE below (top, ino) AS (
		SELECT ino, ino FROM inode
		WHERE (mode & 61440) = 16384 AND nlink > 0
		UNION ALL
		SELECT below.top, d.ino
		FROM below JOIN dentry d ON d.parent = below.ino
		WHERE d.ino <> 1
	), totals (top, dirs, files, size, stored) AS (
		SELECT b.top, sum((i.mode & 61440) = 16384) - 1,
			sum((i.mode & 61440) <> 16384), sum(i.size),
			sum(i.stored)
		FROM (SELECT DISTINCT top, ino FROM below) b
		JOIN inode i ON i.ino = b.ino
		GROUP BY b.top
	)
	SELECT p.path, t.dirs, t.files, t.size, t.stored,
		CASE WHEN t.stored < 1024 THEN t.stored || ' B'
		WHEN t.stored < 1048576
			THEN printf('%.1f KiB', t.stored / 1024.0)
		WHEN t.stored < 1073741824
			THEN printf('%.1f MiB', t.stored / 1048576.0)
		ELSE printf('%.1f GiB', t.stored / 1073741824.0) END
	FROM totals t JOIN paths p ON p.ino = t.top;

-- The change journal (src/journal.h), oldest first: one row per inode
-- changed in a committed batch, with the reasons by name, the path at the
-- commit (NULL when no name was left) and the one it lost (renamed or
-- removed), and for data changes the bytes [data_start, data_end).
CREATE VIEW events (id, time, reasons, type, path, old_path, data_start,
		data_end, ino) AS
	SELECT id, strftime('%Y-%m-%d %H:%M:%f', time / 1e9, 'unixepoch'),
		substr(CASE WHEN reasons & 1 THEN ',created' ELSE '' END
			|| CASE WHEN reasons & 2 THEN ',removed' ELSE '' END
			|| CASE WHEN reasons & 4 THEN ',renamed' ELSE '' END
			|| CASE WHEN reasons & 8 THEN ',data' ELSE '' END
			|| CASE WHEN reasons & 16 THEN ',attrib' ELSE '' END
			|| CASE WHEN reasons & 32 THEN ',xattr' ELSE '' END
			|| CASE WHEN reasons & 64 THEN ',link' ELSE '' END, 2),
		CASE type
			WHEN 32768 THEN 'file' WHEN 16384 THEN 'dir'
			WHEN 40960 THEN 'symlink' WHEN 4096 THEN 'fifo'
			WHEN 49152 THEN 'socket' WHEN 8192 THEN 'chardev'
			WHEN 24576 THEN 'blockdev' ELSE 'unknown' END,
		path, old_path, data_start, data_end, ino
	FROM journal ORDER BY id;
