/*
 * db_test_journal.c - db_test cases: the change journal (src/db_journal.c)
 *
 * Each case drives the db layer through db.h, commits with db_sync(), and
 * reads the journal table and its settings through its own read-only
 * connection: what was committed, as a client of the journal sees it.
 * The journal is exact when every committed change has its event with
 * the right reasons, paths and byte range, a change that failed or was
 * lost has none, and the ids run without a gap.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db_test.h"
#include "journal.h"

/* --- reading the journal ----------------------------------------------- */

/* One committed event. */
struct jev {
	int64_t id, time, ino, type, reasons;
	int64_t parent, old_parent; /* 0 when NULL */
	int64_t start, end;	    /* -1 when NULL */
	int has_path, has_old;
	char path[1024], old_path[1024];
};

#define JEV_MAX 64

static sqlite3 *reader(void)
{
	sqlite3 *conn;

	ck_assert_int_eq(
		sqlite3_open_v2(db_path, &conn, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	return conn;
}

static int64_t col_or(sqlite3_stmt *s, int c, int64_t dflt)
{
	if (sqlite3_column_type(s, c) == SQLITE_NULL)
		return dflt;
	return sqlite3_column_int64(s, c);
}

static int col_text(sqlite3_stmt *s, int c, char *buf, size_t size)
{
	const char *t = (const char *) sqlite3_column_text(s, c);

	buf[0] = '\0';
	if (!t)
		return 0;
	ck_assert_uint_lt(strlen(t), size);
	strcpy(buf, t);
	return 1;
}

/* The committed events with id >= from, in id order; their count. */
static int events(struct jev *ev, int64_t from)
{
	sqlite3 *conn = reader();
	sqlite3_stmt *s;
	int n = 0, rc;

	rc = sqlite3_prepare_v2(conn,
				"SELECT id, time, ino, type, reasons, parent, "
				"path, old_parent, old_path, data_start, "
				"data_end FROM journal WHERE id >= ?1 "
				"ORDER BY id",
				-1, &s, NULL);
	ck_assert_int_eq(rc, SQLITE_OK);
	sqlite3_bind_int64(s, 1, from);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct jev *e = &ev[n];

		ck_assert_int_lt(n, JEV_MAX);
		e->id = sqlite3_column_int64(s, 0);
		e->time = sqlite3_column_int64(s, 1);
		e->ino = sqlite3_column_int64(s, 2);
		e->type = sqlite3_column_int64(s, 3);
		e->reasons = sqlite3_column_int64(s, 4);
		e->parent = col_or(s, 5, 0);
		e->has_path = col_text(s, 6, e->path, sizeof(e->path));
		e->old_parent = col_or(s, 7, 0);
		e->has_old = col_text(s, 8, e->old_path, sizeof(e->old_path));
		e->start = col_or(s, 9, -1);
		e->end = col_or(s, 10, -1);
		n++;
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(conn);
	return n;
}

/* A committed setting of the journal (journal.h's keys). */
static int64_t setting(const char *key)
{
	sqlite3 *conn = reader();
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(conn,
					    "SELECT value FROM settings "
					    "WHERE key = ?1",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(conn);
	return v;
}

/*
 * The journal's invariant: ids without gaps from journal_start to
 * journal_next - 1, nothing outside.
 */
static void assert_contiguous(void)
{
	int64_t start = setting(JR_KEY_START), next = setting(JR_KEY_NEXT);

	ck_assert_int_le(start, next);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal", 0),
			 next - start);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal "
				 "WHERE id < ?1",
				 start),
			 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal "
				 "WHERE id >= ?1",
				 next),
			 0);
}

/* Commits, then the events since id from: asserts there are n. */
static int batch(struct jev *ev, int64_t from, int n)
{
	int got;

	ck_assert_int_eq(db_sync(db), 0);
	got = events(ev, from);
	ck_assert_msg(got == n, "%d events from %lld, want %d", got,
		      (long long) from, n);
	if (got)
		ck_assert_int_eq(ev[0].id, from);
	assert_contiguous();
	return got;
}

/* The one event of ino among ev[0..n). */
static const struct jev *ev_of(const struct jev *ev, int n, ino_t ino)
{
	const struct jev *hit = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (ev[i].ino != (int64_t) ino)
			continue;
		ck_assert_msg(!hit, "two events of inode %lu in one batch",
			      (unsigned long) ino);
		hit = &ev[i];
	}
	ck_assert_msg(hit != NULL, "no event of inode %lu",
		      (unsigned long) ino);
	return hit;
}

static void assert_path(const struct jev *e, const char *path, ino_t parent)
{
	if (!path) {
		ck_assert_msg(!e->has_path, "event %lld: path %s, want NULL",
			      (long long) e->id, e->path);
		ck_assert_int_eq(e->parent, 0);
		return;
	}
	ck_assert_msg(e->has_path, "event %lld: no path, want %s",
		      (long long) e->id, path);
	ck_assert_str_eq(e->path, path);
	ck_assert_int_eq(e->parent, (int64_t) parent);
}

static void assert_old(const struct jev *e, const char *path, ino_t parent)
{
	if (!path) {
		ck_assert_msg(!e->has_old, "event %lld: old_path %s",
			      (long long) e->id, e->old_path);
		ck_assert_int_eq(e->old_parent, 0);
		return;
	}
	ck_assert_msg(e->has_old, "event %lld: no old_path, want %s",
		      (long long) e->id, path);
	ck_assert_str_eq(e->old_path, path);
	ck_assert_int_eq(e->old_parent, (int64_t) parent);
}

static void assert_range(const struct jev *e, int64_t start, int64_t end)
{
	ck_assert_msg(e->start == start && e->end == end,
		      "event %lld: range [%lld, %lld), want [%lld, %lld)",
		      (long long) e->id, (long long) e->start,
		      (long long) e->end, (long long) start, (long long) end);
}

/* ino's one event in a batch of n: reasons, path and no range. */
static const struct jev *assert_event(const struct jev *ev, int n, ino_t ino,
				      unsigned reasons, const char *path,
				      ino_t parent)
{
	const struct jev *e = ev_of(ev, n, ino);

	ck_assert_msg(e->reasons == reasons,
		      "inode %lu: reasons %#llx, "
		      "want %#x",
		      (unsigned long) ino, (unsigned long long) e->reasons,
		      reasons);
	assert_path(e, path, parent);
	if (!(reasons & JR_DATA))
		assert_range(e, -1, -1);
	return e;
}

/* --- what each operation records --------------------------------------- */

START_TEST(test_journal_names)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	ino_t f, d, s, g, victim;
	struct stat st;
	int n, gone;

	ck_assert_int_eq(setting(JR_KEY_START), next);
	f = mkfile(DB_ROOT_INO, "f");
	d = mkdir_in(DB_ROOT_INO, "d");
	ck_assert_int_eq(
		db_mknod(db, d, "s", S_IFLNK | 0777, 0, "../f", &cred, &st), 0);
	s = st.st_ino;
	n = batch(ev, next, 3);
	assert_event(ev, n, f, JR_CREATED, "/f", DB_ROOT_INO);
	assert_event(ev, n, d, JR_CREATED, "/d", DB_ROOT_INO);
	assert_event(ev, n, s, JR_CREATED, "/d/s", d);
	ck_assert_int_eq(ev_of(ev, n, f)->type, S_IFREG);
	ck_assert_int_eq(ev_of(ev, n, d)->type, S_IFDIR);
	ck_assert_int_eq(ev_of(ev, n, s)->type, S_IFLNK);
	/* in the order of the operations, stamped in that order */
	ck_assert_int_eq(ev[0].ino, f);
	ck_assert_int_eq(ev[2].ino, s);
	ck_assert_int_le(ev[0].time, ev[2].time);
	ck_assert_int_gt(ev[0].time, 0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), next + 3);
	next += 3;

	/* the last name goes: no path left */
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "f", 0, &victim, &gone), 0);
	n = batch(ev, next, 1);
	assert_old(assert_event(ev, n, f, JR_REMOVED, NULL, 0), "/f",
		   DB_ROOT_INO);
	next++;

	/* a second name, then the first goes: the path is the one left */
	g = mkfile(d, "g");
	batch(ev, next++, 1);
	ck_assert_int_eq(db_link(db, g, DB_ROOT_INO, "h", &st), 0);
	n = batch(ev, next++, 1);
	assert_old(assert_event(ev, n, g, JR_LINK, "/h", DB_ROOT_INO), NULL, 0);
	ck_assert_int_eq(db_unlink(db, d, "g", 0, &victim, &gone), 0);
	n = batch(ev, next++, 1);
	assert_old(assert_event(ev, n, g, JR_REMOVED, "/h", DB_ROOT_INO),
		   "/d/g", d);

	/* rmdir, after its symlink went */
	ck_assert_int_eq(db_unlink(db, d, "s", 0, &victim, &gone), 0);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone), 0);
	n = batch(ev, next, 2);
	assert_old(assert_event(ev, n, s, JR_REMOVED, NULL, 0), "/d/s", d);
	assert_old(assert_event(ev, n, d, JR_REMOVED, NULL, 0), "/d",
		   DB_ROOT_INO);
}
END_TEST

START_TEST(test_journal_rename)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(DB_ROOT_INO, "b");
	ino_t f = mkfile(a, "f"), t = mkfile(b, "t"), x = mkfile(a, "x");
	ino_t y = mkdir_in(b, "y"), victim;
	const struct jev *e;
	int n, gone;

	next += batch(ev, next, 6);
	/* across directories */
	ck_assert_int_eq(db_rename(db, a, "f", b, "g", 0, &victim, &gone), 0);
	n = batch(ev, next, 1);
	assert_old(assert_event(ev, n, f, JR_RENAMED, "/b/g", b), "/a/f", a);
	next += n;

	/* over an existing target, which is removed */
	ck_assert_int_eq(db_rename(db, b, "g", b, "t", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, t);
	n = batch(ev, next, 2);
	assert_old(assert_event(ev, n, f, JR_RENAMED, "/b/t", b), "/b/g", b);
	assert_old(assert_event(ev, n, t, JR_REMOVED, NULL, 0), "/b/t", b);
	next += n;

	/* exchanged: both renamed, each to the other's name */
	ck_assert_int_eq(db_rename(db, a, "x", b, "y", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	n = batch(ev, next, 2);
	assert_old(assert_event(ev, n, x, JR_RENAMED, "/b/y", b), "/a/x", a);
	e = assert_event(ev, n, y, JR_RENAMED, "/a/x", a);
	assert_old(e, "/b/y", b);
	ck_assert_int_eq(e->type, S_IFDIR);
	next += n;

	/* a directory renamed: the paths under it follow */
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "b", DB_ROOT_INO, "c", 0,
				   &victim, &gone),
			 0);
	put(f, 0, "x", 1);
	n = batch(ev, next, 2);
	assert_old(assert_event(ev, n, b, JR_RENAMED, "/c", DB_ROOT_INO), "/b",
		   DB_ROOT_INO);
	e = assert_event(ev, n, f, JR_DATA, "/c/t", b);
	assert_range(e, 0, 1);
}
END_TEST

START_TEST(test_journal_data_attrib_xattr)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	char buf[100];
	struct stat in, out;
	int n;

	memset(buf, 'x', sizeof(buf));
	put(g, 0, buf, sizeof(buf));
	next += batch(ev, next, 2);

	put(f, 1000, buf, 100);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 1000,
		     1100);
	ck_assert_int_eq(db_fallocate(db, f, 0, 5000, 100, 0, NULL), 0);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 5000,
		     5100);
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_KEEP_SIZE | DB_FALLOC_PUNCH_HOLE,
			     1010, 20, 0, NULL),
		0);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 1010,
		     1030);
	/* the target of a copy only */
	ck_assert_int_eq(db_copy_range(db, g, 10, f, 200, 50, 0, NULL), 50);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 200,
		     250);
	/* truncate: the bytes between the two sizes */
	memset(&in, 0, sizeof(in));
	in.st_size = 3000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 3000,
		     5100);
	in.st_size = 8000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &out), 0);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 3000,
		     8000);

	/* chmod, chown, utimens */
	in.st_mode = 0600;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), 0);
	n = batch(ev, next++, 1);
	assert_event(ev, n, f, JR_ATTRIB, "/f", DB_ROOT_INO);
	in.st_uid = 42;
	in.st_gid = 43;
	ck_assert_int_eq(db_setattr(db, g, &in, DB_SET_UID | DB_SET_GID, &out),
			 0);
	n = batch(ev, next++, 1);
	assert_event(ev, n, g, JR_ATTRIB, "/g", DB_ROOT_INO);
	in.st_atim.tv_sec = 5;
	in.st_mtim.tv_sec = 6;
	ck_assert_int_eq(
		db_setattr(db, f, &in, DB_SET_ATIME | DB_SET_MTIME, &out), 0);
	n = batch(ev, next++, 1);
	assert_event(ev, n, f, JR_ATTRIB, "/f", DB_ROOT_INO);

	/* extended attributes, set and removed */
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "v", 1, 0), 0);
	n = batch(ev, next++, 1);
	assert_event(ev, n, f, JR_XATTR, "/f", DB_ROOT_INO);
	ck_assert_int_eq(db_removexattr(db, f, "user.k"), 0);
	n = batch(ev, next++, 1);
	assert_event(ev, n, f, JR_XATTR, "/f", DB_ROOT_INO);

	/* a write that drops set-user-ID changes the mode too */
	in.st_mode = 04755;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), 0);
	n = batch(ev, next++, 1);
	ck_assert_int_eq(db_write(db, f, 0, buf, 10, DB_KILL_SUIDGID, NULL),
			 10);
	n = batch(ev, next++, 1);
	assert_event(ev, n, f, JR_DATA | JR_ATTRIB, "/f", DB_ROOT_INO);

	/* reads change nothing the journal records */
	free(get(g, 0, 10));
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), next);
}
END_TEST

/* --- coalescing within a batch ----------------------------------------- */

START_TEST(test_journal_coalesce)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	ino_t f = mkfile(DB_ROOT_INO, "f"), a, g, victim;
	struct stat in, out;
	char buf[10];
	const struct jev *e;
	int i, n, gone;

	memset(buf, 'c', sizeof(buf));
	for (i = 999; i >= 0; i--) /* backwards: the range still joins */
		put(f, (off_t) i * 10, buf, sizeof(buf));
	memset(&in, 0, sizeof(in));
	in.st_mode = 0640;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &out), 0);
	n = batch(ev, next++, 1);
	e = assert_event(ev, n, f, JR_CREATED | JR_DATA | JR_ATTRIB, "/f",
			 DB_ROOT_INO);
	assert_range(e, 0, 10000);
	/* the next batch, the next event */
	put(f, 20000, buf, 5);
	put(f, 20100, buf, 5);
	n = batch(ev, next++, 1);
	assert_range(assert_event(ev, n, f, JR_DATA, "/f", DB_ROOT_INO), 20000,
		     20105);

	/* paths are those at the commit */
	a = mkdir_in(DB_ROOT_INO, "a");
	g = mkfile(a, "g");
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	n = batch(ev, next, 2);
	assert_event(ev, n, g, JR_CREATED, "/b/g", a);
	assert_old(assert_event(ev, n, a, JR_CREATED | JR_RENAMED, "/b",
				DB_ROOT_INO),
		   "/a", DB_ROOT_INO);
	next += n;

	/* renamed twice: old_path is the first name lost */
	ck_assert_int_eq(
		db_rename(db, a, "g", DB_ROOT_INO, "h", 0, &victim, &gone), 0);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "h", a, "i", 0, &victim, &gone), 0);
	n = batch(ev, next++, 1);
	assert_old(assert_event(ev, n, g, JR_RENAMED, "/b/i", a), "/b/g", a);

	/* made and removed in one batch: one event, no path left */
	g = mkfile(a, "tmp");
	put(g, 0, buf, 3);
	ck_assert_int_eq(db_unlink(db, a, "tmp", 0, &victim, &gone), 0);
	n = batch(ev, next++, 1);
	e = assert_event(ev, n, g, JR_CREATED | JR_DATA | JR_REMOVED, NULL, 0);
	assert_old(e, "/b/tmp", a);
	assert_range(e, 0, 3);
}
END_TEST

/* --- exactness: what fails or is lost leaves nothing ------------------- */

START_TEST(test_journal_failures)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), e = mkdir_in(DB_ROOT_INO, "e");
	ino_t f = mkfile(d, "f"), victim;
	struct stat st;
	int gone;

	ck_assert_int_eq(db_setxattr(db, f, "user.x", "1", 1, 0), 0);
	next += batch(ev, next, 3);

	put(f, 0, "abc", 3); /* an event the failures must leave alone */
	ck_assert_int_eq(
		db_mknod(db, d, "f", S_IFREG | 0644, 0, NULL, &cred, &st),
		-EEXIST);
	ck_assert_int_eq(db_unlink(db, DB_ROOT_INO, "d", 1, &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "e", DB_ROOT_INO, "d", 0,
				   &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_int_eq(
		db_rename(db, d, "f", DB_ROOT_INO, "e", 0, &victim, &gone),
		-EISDIR);
	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, "e", &st), -EEXIST);
	ck_assert_int_eq(
		db_write(db, f, INT64_MAX - 5, "0123456789", 10, 0, NULL),
		-EFBIG);
	ck_assert_int_eq(db_fallocate(db, f, 0, INT64_MAX - 5, 10, 0, NULL),
			 -EFBIG);
	ck_assert_int_eq(db_setxattr(db, f, "user.x", "2", 1, DB_XATTR_CREATE),
			 -EEXIST);
	ck_assert_int_eq(db_removexattr(db, f, "user.nope"), -ENODATA);
	ck_assert_int_eq(db_unlink(db, d, "nope", 0, &victim, &gone), -ENOENT);
	batch(ev, next, 1);
	ck_assert_int_eq(ev[0].ino, f);
	ck_assert_int_eq(ev[0].reasons, JR_DATA);
	assert_range(&ev[0], 0, 3);
	(void) e;
}
END_TEST

/*
 * Operations that fail half-way (triggers make a late statement fail after
 * the journal noted the change): no event, and no reason or range added
 * to the inode's event of the batch.
 */
START_TEST(test_journal_failed_midway)
{
	struct jev ev[JEV_MAX];
	int64_t next;
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(d, "f"), victim;
	ino_t all[] = {DB_ROOT_INO, d, f};
	struct snapshot s;
	struct stat st, in;
	char sql[512];
	int gone;

	close_db();
	snprintf(sql, sizeof(sql),
		 "CREATE TRIGGER fail_name BEFORE INSERT ON dentry "
		 "WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'inj'); END;"
		 "CREATE TRIGGER fail_move BEFORE UPDATE ON dentry "
		 "WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'inj'); END;"
		 "CREATE TRIGGER fail_big BEFORE UPDATE ON inode "
		 "WHEN NEW.ino = %lu AND (NEW.size > 100 OR NEW.mode & 7 = 7) "
		 "BEGIN SELECT RAISE(ABORT, 'inj'); END;",
		 (unsigned long) f);
	sql_exec(db_path, sql);
	open_db(DB_OPEN_TRIGGERS);
	next = setting(JR_KEY_NEXT);

	put(f, 0, "abc", 3);
	snap(&s, all, 3);
	ck_assert_int_eq(
		db_mknod(db, d, "boom", S_IFREG | 0644, 0, NULL, &cred, &st),
		-EIO);
	ck_assert_int_eq(
		db_rename(db, d, "f", DB_ROOT_INO, "boom", 0, &victim, &gone),
		-EIO);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "d", DB_ROOT_INO, "boom", 0,
				   &victim, &gone),
			 -EIO);
	ck_assert_int_eq(db_write(db, f, 1000, "x", 1, 0, NULL), -EIO);
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 4096, 0, NULL), -EIO);
	memset(&in, 0, sizeof(in));
	in.st_size = 5000;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_SIZE, &st), -EIO);
	in.st_mode = 0777;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &st), -EIO);
	assert_unchanged(&s);
	/* the paths are still those of the tree: no stale directory path */
	ck_assert_int_eq(db_setxattr(db, f, "user.x", "1", 1, 0), 0);
	batch(ev, next, 1);
	ck_assert_int_eq(ev[0].ino, f);
	ck_assert_int_eq(ev[0].reasons, JR_DATA | JR_XATTR);
	assert_path(&ev[0], "/d/f", d);
	assert_range(&ev[0], 0, 3);
}
END_TEST

/*
 * A VFS around the default one whose writes fail on demand: a commit
 * then fails and SQLite rolls the batch back (db.c's lost batch).
 */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fail_vfs;
/* The real methods of the files (the WAL's differ from the database's),
 * and copies whose xWrite fails on demand. */
static const sqlite3_io_methods *real_methods[4];
static sqlite3_io_methods fail_methods[4];
static int (*real_write)(sqlite3_file *, const void *, int, sqlite3_int64);
int writes_fail;

static int fail_write(sqlite3_file *f, const void *buf, int n,
		      sqlite3_int64 off)
{
	if (writes_fail)
		return SQLITE_IOERR_WRITE;
	return real_write(f, buf, n, off);
}

static int fail_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
		     int flags, int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);
	size_t i;

	(void) vfs;
	if (rc != SQLITE_OK || !f->pMethods)
		return rc;
	for (i = 0; real_methods[i] && real_methods[i] != f->pMethods; i++)
		ck_assert_uint_lt(i + 1, 4);
	if (!real_methods[i]) {
		real_methods[i] = f->pMethods;
		fail_methods[i] = *f->pMethods;
		fail_methods[i].xWrite = fail_write;
	}
	if (!real_write)
		real_write = f->pMethods->xWrite;
	ck_assert(f->pMethods->xWrite == real_write);
	f->pMethods = &fail_methods[i];
	return rc;
}

/* Check runs each case in its own process: the VFS stays in it. */
void reopen_failing(void)
{
	close_db();
	real_vfs = sqlite3_vfs_find(NULL);
	ck_assert_ptr_nonnull(real_vfs);
	fail_vfs = *real_vfs;
	fail_vfs.zName = "journal_test_fail";
	fail_vfs.xOpen = fail_open;
	ck_assert_int_eq(sqlite3_vfs_register(&fail_vfs, 1), SQLITE_OK);
	open_db(0);
	/* the test's own connections go on through the real one */
	ck_assert_int_eq(sqlite3_vfs_register(real_vfs, 1), SQLITE_OK);
}

START_TEST(test_journal_lost_batch)
{
	struct jev ev[JEV_MAX];
	int64_t next;
	ino_t a, b, c, big;
	char *data = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(data);
	big = mkfile(DB_ROOT_INO, "big");
	ck_assert_int_eq(db_sync(db), 0);
	reopen_failing();
	next = setting(JR_KEY_NEXT);
	a = mkfile(DB_ROOT_INO, "a");
	batch(ev, next++, 1);
	ck_assert_int_eq(ev[0].ino, a);

	b = mkfile(DB_ROOT_INO, "b");
	put(big, 0, data, 1 << 20);
	writes_fail = 1;
	ck_assert_int_lt(db_sync(db), 0);
	writes_fail = 0;
	ck_assert_uint_eq(db_lost(db), 1);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), 0);

	c = mkfile(DB_ROOT_INO, "c");
	batch(ev, next, 1);
	ck_assert_int_eq(ev[0].ino, c);
	assert_path(&ev[0], "/c", DB_ROOT_INO);
	ck_assert_int_eq(
		sql_int("SELECT count(*) FROM journal WHERE ino = ?1", b), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal WHERE ino = ?1 "
				 "AND id >= ?1",
				 big),
			 0);
	close_db();
	open_db(0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), next + 1);
	mkfile(DB_ROOT_INO, "d");
	batch(ev, next + 1, 1);
	free(data);
}
END_TEST

/*
 * journal=off, in a batch that is lost: the journal stays on, as the
 * database says, and what the next batches change is recorded.
 */
START_TEST(test_journal_lost_switch)
{
	struct jev ev[JEV_MAX];
	int64_t next;
	ino_t a;

	reopen_failing();
	next = setting(JR_KEY_NEXT);
	writes_fail = 1;
	ck_assert_int_lt(db_set(db, JR_KEY_ENABLED, "off"), 0);
	writes_fail = 0;
	ck_assert_uint_eq(db_lost(db), 1);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 1);
	a = mkfile(DB_ROOT_INO, "a");
	batch(ev, next, 1);
	ck_assert_int_eq(ev[0].ino, a);
}
END_TEST

/*
 * A damaged database where two directories name each other as parent:
 * the path of a name in them is a loop, found at once (the walk to the
 * root was bounded only by a depth of a million lookups, seconds each
 * time), and the operation fails with nothing changed.
 */
/* Damages the database: directory a, parent of b, gets b as parent. */
static void make_dir_loop(ino_t a, ino_t b)
{
	char sql[256];

	close_db();
	snprintf(sql, sizeof(sql),
		 "UPDATE dentry SET parent = %lu WHERE ino = %lu",
		 (unsigned long) b, (unsigned long) a);
	sql_exec(db_path, sql);
	open_db(0);
}

START_TEST(test_journal_dir_cycle)
{
	struct jev ev[JEV_MAX];
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t f = mkfile(b, "f"), victim;
	int64_t next;
	struct timespec t0, t1;
	int gone;

	make_dir_loop(a, b);
	next = setting(JR_KEY_NEXT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(db_unlink(db, b, "f", 0, &victim, &gone), -ELOOP);
	ck_assert_int_eq(db_rename(db, b, "f", a, "g", 0, &victim, &gone),
			 -ELOOP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 2, "%ld s to find the loop",
		      (long) (t1.tv_sec - t0.tv_sec));
	ck_assert_uint_eq(ino_of(b, "f"), f);
	batch(ev, next, 0);
}
END_TEST

/*
 * The same damage met by a rename of a directory into the loop: the walk
 * up from the new parent, which looks for the moved directory among its
 * ancestors, finds the loop at once too (it ran a million look-ups).
 */
START_TEST(test_rename_into_dir_cycle)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t x = mkdir_in(DB_ROOT_INO, "x"), victim;
	struct timespec t0, t1;
	int gone;

	make_dir_loop(a, b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "x", b, "x", 0, &victim, &gone),
		-ELOOP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 2, "%ld s to find the loop",
		      (long) (t1.tv_sec - t0.tv_sec));
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "x"), x);
}
END_TEST

/* --- ids, retention, settings ------------------------------------------ */

START_TEST(test_journal_ids)
{
	struct jev ev[JEV_MAX];
	int64_t first = setting(JR_KEY_NEXT), next = first;
	char name[16];
	int i, n;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		mkfile(DB_ROOT_INO, name);
		snprintf(name, sizeof(name), "g%d", i);
		mkfile(DB_ROOT_INO, name);
		next += batch(ev, next, 2);
		if (i % 2) {
			close_db();
			open_db(0);
		}
	}
	n = events(ev, 0);
	ck_assert_int_eq(n, 12);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(ev[i].id, first + i);
		if (i)
			ck_assert_int_ge(ev[i].time, ev[i - 1].time);
	}
	ck_assert_int_eq(setting(JR_KEY_NEXT), first + 12);
	/* a batch without changes adds no event and no id */
	ck_assert_int_eq(db_sync(db), 0);
	close_db();
	open_db(0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), first + 12);
}
END_TEST

START_TEST(test_journal_max_events)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	char name[16];
	int i, j, n;

	ck_assert_int_eq(db_set(db, JR_KEY_MAX_EVENTS, "5"), 0);
	ck_assert_int_eq(setting(JR_KEY_MAX_EVENTS), 5);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			snprintf(name, sizeof(name), "f%d.%d", i, j);
			mkfile(DB_ROOT_INO, name);
		}
		ck_assert_int_eq(db_sync(db), 0);
		next += 4;
		n = events(ev, 0);
		ck_assert_int_eq(n, next - setting(JR_KEY_START));
		ck_assert_int_eq(n, i ? 5 : 4);
		ck_assert_int_eq(ev[n - 1].id, next - 1);
		ck_assert_int_eq(ev[0].id, setting(JR_KEY_START));
		ck_assert_str_eq(ev[n - 1].path + 1, name);
	}
}
END_TEST

START_TEST(test_journal_max_age)
{
	struct jev ev[JEV_MAX];
	int64_t next = setting(JR_KEY_NEXT);
	int n;

	mkfile(DB_ROOT_INO, "old1");
	mkfile(DB_ROOT_INO, "old2");
	next += batch(ev, next, 2);
	mkfile(DB_ROOT_INO, "young");
	next += batch(ev, next, 1);
	close_db();
	/* the first two events an hour old */
	sql_exec(db_path, "UPDATE journal SET time = time - 3600000000000 "
			  "WHERE id < (SELECT max(id) FROM journal)");
	open_db(0);
	ck_assert_int_eq(db_set(db, JR_KEY_MAX_AGE, "600"), 0);
	ck_assert_int_eq(setting(JR_KEY_MAX_AGE), 600);
	mkfile(DB_ROOT_INO, "new");
	ck_assert_int_eq(db_sync(db), 0);
	n = events(ev, 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(ev[0].path, "/young");
	ck_assert_str_eq(ev[1].path, "/new");
	ck_assert_int_eq(setting(JR_KEY_START), next - 1);
	assert_contiguous();
}
END_TEST

START_TEST(test_journal_off_on)
{
	struct jev ev[JEV_MAX];
	int64_t next;
	ino_t a, c, f, victim;
	int gone;

	a = mkdir_in(DB_ROOT_INO, "a");
	f = mkfile(a, "f");
	ck_assert_int_eq(db_sync(db), 0);
	next = setting(JR_KEY_NEXT);
	ck_assert_int_eq(next, 3);
	mkfile(DB_ROOT_INO, "pending"); /* its event goes with the others */
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "off"), 0);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 0);
	ck_assert_int_eq(events(ev, 0), 0);
	/* past the newest: a cursor at it is told it is too old */
	ck_assert_int_eq(setting(JR_KEY_NEXT), next + 2);
	ck_assert_int_eq(setting(JR_KEY_START), next + 2);
	next += 2;
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "off"), 0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), next);

	/* nothing recorded while off, across a reopen too */
	mkfile(DB_ROOT_INO, "b");
	put(f, 0, "x", 1);
	batch(ev, 0, 0);
	close_db();
	open_db(0);
	mkfile(DB_ROOT_INO, "b2");
	batch(ev, 0, 0);
	ck_assert_int_eq(setting(JR_KEY_NEXT), next);

	/* on again: recorded */
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "on"), 0);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 1);
	c = mkfile(DB_ROOT_INO, "c");
	put(f, 1, "y", 1);
	batch(ev, next, 2);
	assert_event(ev, 2, c, JR_CREATED, "/c", DB_ROOT_INO);
	assert_event(ev, 2, f, JR_DATA, "/a/f", a);
	ck_assert_int_eq(setting(JR_KEY_START), next);
	next += 2;

	/* a directory moved while off: the paths after are those of now */
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "off"), 0);
	next++;
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "a2", 0,
				   &victim, &gone),
			 0);
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "on"), 0);
	put(f, 2, "z", 1);
	ck_assert_int_eq(db_unlink(db, a, "f", 0, &victim, &gone), 0);
	batch(ev, next, 1);
	assert_old(assert_event(ev, 1, f, JR_DATA | JR_REMOVED, NULL, 0),
		   "/a2/f", a);
}
END_TEST

/*
 * journal=off failing after it wrote the batch's events (a trigger makes
 * the clearing fail): the events of the batch's changes are still written
 * when it commits, with ids that go on from the last committed.
 */
START_TEST(test_journal_failed_switch)
{
	struct jev ev[JEV_MAX];
	int64_t next;
	ino_t f;

	close_db();
	sql_exec(db_path, "CREATE TRIGGER fail_clear BEFORE DELETE ON journal "
			  "BEGIN SELECT RAISE(ABORT, 'inj'); END;");
	open_db(DB_OPEN_TRIGGERS);
	mkfile(DB_ROOT_INO, "g"); /* an event to clear */
	ck_assert_int_eq(db_sync(db), 0);
	next = setting(JR_KEY_NEXT);
	f = mkfile(DB_ROOT_INO, "f");
	ck_assert_int_eq(db_set(db, JR_KEY_ENABLED, "off"), -EIO);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 1);
	put(f, 0, "x", 1);
	batch(ev, next, 1);
	assert_range(
		assert_event(ev, 1, f, JR_CREATED | JR_DATA, "/f", DB_ROOT_INO),
		0, 1);
}
END_TEST

START_TEST(test_journal_set_errors)
{
	static const char *const bad[][2] = {
		{"journal", "maybe"},
		{"journal", ""},
		{"journal", "1"},
		{"journal_max_events", "-1"},
		{"journal_max_events", ""},
		{"journal_max_events", "12x"},
		{"journal_max_events", " 5"},
		{"journal_max_events", "99999999999999999999"},
		{"journal_max_age", "+3"},
		{"journal_max_age", "1e3"},
		{"journal_next", "5"},
		{"journal_start", "5"},
		{"uuid", "x"},
		{"nokey", "1"},
		{"index_add", "bogus"},
		{"index_add", "xattr:"},
		{"index_add", "xattr:nonamespace"},
		{"index_drop", "bogus"},
	};
	int64_t next = setting(JR_KEY_NEXT), max = setting(JR_KEY_MAX_EVENTS);
	struct jev ev[JEV_MAX];
	size_t i;

	mkfile(DB_ROOT_INO, "f");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(db_set(db, bad[i][0], bad[i][1]) == -EINVAL,
			      "db_set %s=%s", bad[i][0], bad[i][1]);
	ck_assert_int_eq(db_set(db, "index_add", "name"), -EEXIST);
	ck_assert_int_eq(db_set(db, "index_drop", "xattr:user.tag"), -ENOENT);
	/* size and mtime are not made by mkfs */
	ck_assert_int_eq(db_set(db, "index_drop", "size"), -ENOENT);
	ck_assert_int_eq(db_set(db, "index_add", "size"), 0);
	ck_assert_int_eq(db_set(db, "index_add", "size"), -EEXIST);
	ck_assert_int_eq(db_set(db, "index_drop", "size"), 0);
	ck_assert_int_eq(db_set(db, "index_drop", "size"), -ENOENT);
	ck_assert_int_eq(db_set(db, "index_add", "size"), 0);
	ck_assert_int_eq(db_set(db, "journal", "on"), 0);
	/* the failures changed nothing, the event of f is there */
	ck_assert_int_eq(setting(JR_KEY_MAX_EVENTS), max);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 1);
	batch(ev, next, 1);
	ck_assert_str_eq(ev[0].path, "/f");
	ck_assert_int_eq(setting(JR_KEY_NEXT), next + 1);
}
END_TEST

/* The query plan of the search by one attribute's value names index. */
static int plan_uses(const char *index)
{
	sqlite3 *conn = reader();
	sqlite3_stmt *s;
	int hit = 0, rc;

	rc = sqlite3_prepare_v2(conn,
				"EXPLAIN QUERY PLAN SELECT ino FROM xattr "
				"WHERE name = 'user.tag' AND value = ?1",
				-1, &s, NULL);
	ck_assert_int_eq(rc, SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *) sqlite3_column_text(s, 3);

		if (d && strstr(d, index))
			hit = 1;
	}
	sqlite3_finalize(s);
	sqlite3_close(conn);
	return hit;
}

START_TEST(test_journal_xattr_index)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");

	ck_assert_int_eq(db_setxattr(db, f, "user.tag", "red", 3, 0), 0);
	ck_assert_int_eq(db_setxattr(db, g, "user.tag", "blue", 4, 0), 0);
	ck_assert_int_eq(db_setxattr(db, g, "user.other", "red", 3, 0), 0);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert(!plan_uses("search_xattr:user.tag"));
	ck_assert_int_eq(db_set(db, "index_add", "xattr:user.tag"), 0);
	ck_assert_int_eq(db_set(db, "index_add", "xattr:user.tag"), -EEXIST);
	ck_assert(plan_uses("search_xattr:user.tag"));
	/* over the existing rows, of that attribute only */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM xattr "
				 "INDEXED BY \"search_xattr:user.tag\" "
				 "WHERE name = 'user.tag' "
				 "AND value = CAST('red' AS BLOB)",
				 0),
			 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_schema WHERE "
				 "name = 'search_xattr:user.tag' AND sql LIKE "
				 "'%WHERE name = ''user.tag''%'",
				 0),
			 1);
	/* it stays across a reopen, and goes when dropped */
	close_db();
	open_db(0);
	ck_assert(plan_uses("search_xattr:user.tag"));
	ck_assert_int_eq(db_set(db, "index_drop", "xattr:user.tag"), 0);
	ck_assert(!plan_uses("search_xattr:user.tag"));
}
END_TEST

/* --- the upgrade from format 1 ----------------------------------------- */

/* The schema (views aside) of the database at path, one text. */
static char *schema_of(const char *path)
{
	sqlite3 *conn;
	sqlite3_stmt *s;
	char *all = NULL, *more;
	size_t len = 0;

	ck_assert_int_eq(
		sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_prepare_v2(conn,
				   "SELECT type || ' ' || name || "
				   "' ' || tbl_name || ': ' || "
				   "ifnull(sql, '') FROM sqlite_schema "
				   "WHERE type <> 'view' "
				   "ORDER BY type, name",
				   -1, &s, NULL),
		SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *row = (const char *) sqlite3_column_text(s, 0);
		size_t n = strlen(row);

		more = realloc(all, len + n + 2);
		ck_assert_ptr_nonnull(more);
		all = more;
		memcpy(all + len, row, n);
		all[len + n] = '\n';
		len += n + 1;
		all[len] = '\0';
	}
	sqlite3_finalize(s);
	sqlite3_close(conn);
	ck_assert_ptr_nonnull(all);
	return all;
}

START_TEST(test_journal_upgrade)
{
	const char *src = getenv("SQLITEFS_FORMAT1");
	char fresh[1100], *sql, *want, *got;
	struct jev ev[JEV_MAX];
	size_t len;
	ino_t f;

	ck_assert_msg(src != NULL, "SQLITEFS_FORMAT1 not set");
	close_db();
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", case_dir);
	ck_assert_int_eq(rename(db_path, fresh), 0);
	sql = slurp(src, &len);
	sql[len] = '\0';
	sql_exec(db_path, sql);
	free(sql);
	ck_assert_int_eq(sql_int("PRAGMA user_version", 0), 1);
	want = schema_of(fresh);
	got = schema_of(db_path);
	ck_assert_ptr_null(strstr(got, "journal"));
	free(got);

	open_db(0);
	ck_assert_int_eq(sql_int("PRAGMA user_version", 0), 2);
	got = schema_of(db_path);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(setting(JR_KEY_ENABLED), 1);
	ck_assert_int_eq(setting(JR_KEY_NEXT), 1);
	ck_assert_int_eq(setting(JR_KEY_START), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM settings WHERE key = "
				 "'uuid' AND length(value) = 36",
				 0),
			 1);
	/* the upgraded journal records */
	f = mkfile(DB_ROOT_INO, "f");
	batch(ev, 1, 1);
	ck_assert_int_eq(ev[0].ino, f);
	free(want);
	free(got);
}
END_TEST

/* A format-2 database with the narrow dentry_ino gets the covering one
 * from a read-write open, as a new database has it. */
START_TEST(test_dentry_ino_refresh)
{
	char *want, *got;
	ino_t f;

	f = mkfile(DB_ROOT_INO, "f");
	close_db();
	want = schema_of(db_path);
	sql_exec(db_path, "DROP INDEX dentry_ino; "
			  "CREATE INDEX dentry_ino ON dentry (ino)");
	got = schema_of(db_path);
	ck_assert_str_ne(got, want);
	free(got);

	open_db(0);
	got = schema_of(db_path);
	ck_assert_msg(!strcmp(got, want),
		      "the schema is not a new database's; dentry_ino: %.80s",
		      strstr(got, "dentry_ino"));
	ck_assert_int_eq(sql_int("SELECT count(*) FROM dentry INDEXED BY "
				 "dentry_ino WHERE ino = ?1",
				 (int64_t) f),
			 1);
	free(want);
	free(got);
}
END_TEST

/* A damaged database whose directory entry has no name: the journal
 * cannot name what is removed in it, and says so with EIO. */
START_TEST(test_journal_nameless_dir)
{
	ino_t d, victim;
	int gone;

	d = mkdir_in(DB_ROOT_INO, "d");
	mkfile(d, "f");
	close_db();
	sql_exec(
		db_path,
		"PRAGMA writable_schema = ON; "
		"UPDATE sqlite_schema SET sql = replace(sql, "
		"'name   TEXT NOT NULL', 'name   TEXT') WHERE name = 'dentry'");
	sql_exec(db_path, "UPDATE dentry SET name = NULL WHERE name = 'd'");
	open_db(0);
	ck_assert_int_eq(db_unlink(db, d, "f", 0, &victim, &gone), -EIO);
}
END_TEST

void add_journal_cases(TCase *tc)
{
	tcase_add_test(tc, test_journal_nameless_dir);
	tcase_add_test(tc, test_rename_into_dir_cycle);
	tcase_add_test(tc, test_dentry_ino_refresh);
	tcase_add_test(tc, test_journal_names);
	tcase_add_test(tc, test_journal_rename);
	tcase_add_test(tc, test_journal_data_attrib_xattr);
	tcase_add_test(tc, test_journal_coalesce);
	tcase_add_test(tc, test_journal_failures);
	tcase_add_test(tc, test_journal_failed_midway);
	tcase_add_test(tc, test_journal_lost_batch);
	tcase_add_test(tc, test_journal_lost_switch);
	tcase_add_test(tc, test_journal_dir_cycle);
	tcase_add_test(tc, test_journal_ids);
	tcase_add_test(tc, test_journal_max_events);
	tcase_add_test(tc, test_journal_max_age);
	tcase_add_test(tc, test_journal_off_on);
	tcase_add_test(tc, test_journal_failed_switch);
	tcase_add_test(tc, test_journal_set_errors);
	tcase_add_test(tc, test_journal_xattr_index);
	tcase_add_test(tc, test_journal_upgrade);
}
