/*
 * fsck_journal_db.c - fsck's checks of the change journal, its settings
 * and the search indexes, in SQL
 *
 * The journal is never given events: a missing or damaged event is dropped
 * with every older one (journal_start moves past it), so that the history
 * kept has no gap and a client holding an older cursor is told to rescan.
 * Objects named search_* must be the indexes db_set() makes.
 */
#include "fsck_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_sqlite.h"
#include "journal.h"

/*
 * Whether an object of sqlite_schema named name (search_*) is a search
 * index as db_set() or mkfs makes it: one of name, size, mtime or
 * xattr:NAME for a valid NAME, with the SQL that makes it (mkfs writes the
 * fixed ones unquoted).
 */
static int search_index_ok(const char *type, const char *name, const char *sql)
{
	char *want_name, *want, *bare = NULL;
	int ok;

	if (!type || strcmp(type, "index") || !sql ||
	    db_sqlite_index_sql(name + strlen("search_"), &want_name, &want) <
		    0)
		return 0;
	ok = !strcmp(want_name, name) && !strcmp(want, sql);
	if (!ok && !strchr(name, ':')) {
		/* CREATE INDEX "search_size" ON ... as CREATE INDEX search_size */
		bare = sqlite3_mprintf("CREATE INDEX %s%s", name,
				       want + strlen("CREATE INDEX \"") +
					       strlen(name) + 1);
		ok = bare && !strcmp(bare, sql);
	}
	sqlite3_free(bare);
	sqlite3_free(want_name);
	sqlite3_free(want);
	return ok;
}

/* The statement that drops object name of type, or NULL. */
static char *drop_sql(const char *type, const char *name)
{
	static const char *const types[][2] = {
		{"index", "INDEX"},
		{"table", "TABLE"},
		{"view", "VIEW"},
		{"trigger", "TRIGGER"},
	};
	size_t i;

	for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i][0]))
			/* built as text: a name cannot be a parameter; %w
			 * quotes it as an identifier.  IF EXISTS: a table
			 * dropped first takes its indexes with it */
			return sqlite3_mprintf("DROP %s IF EXISTS \"%w\"",
					       types[i][1], name);
	return NULL;
}

/*
 * Objects named search_* must be the search indexes of db_set(); a format-1
 * database has none (its upgrade makes them).  Others are dropped.
 */
int fsck_check_search(struct fsck *f, char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_SEARCH_OBJECTS];
	char name[SHOWN_SIZE], shown[SHOWN_SIZE];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *) sqlite3_column_text(s, 0);
		const char *p = sqlite3_column_blob(s, 1);
		int len = sqlite3_column_bytes(s, 1);
		const char *sql = (const char *) sqlite3_column_text(s, 2);
		int n = len < SHOWN_SIZE - 1 ? len : SHOWN_SIZE - 1, whole;

		if (n)
			memcpy(name, p, (size_t) n);
		name[n] = '\0';
		whole = n == len && (int) strlen(name) == len;
		if (whole && f->version >= 2 &&
		    search_index_ok(type, name, sql)) {
			/* made again with a missing journal: fsck_check_journal() */
			if (!f->has_journal && !strchr(name, ':'))
				fsck_plan_other(f, FIX_SQL,
						drop_sql(type, name));
			continue;
		}
		fsck_show(name, n, shown, sizeof(shown));
		fsck_finding(
			f,
			fsck_plan_other(f, FIX_SQL,
					whole ? drop_sql(type, name) : NULL),
			"schema: %s \"%s\": not a search index of sqlitefs; "
			"dropped",
			type ? type : "object", shown);
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

/* The settings of the journal but uuid, as fsck checks them. */
enum jr_key { K_ENABLED, K_MAX_EVENTS, K_MAX_AGE, K_NEXT, K_START, K_COUNT };

static const struct {
	const char *key;
	int64_t min, max; /* its range */
	int64_t dflt;	  /* restored when missing or bad; -1: from the rows */
} jr_keys[K_COUNT] = {
	[K_ENABLED] = {JR_KEY_ENABLED, 0, 1, 1},
	[K_MAX_EVENTS] = {JR_KEY_MAX_EVENTS, 0, INT64_MAX,
			  JR_DEFAULT_MAX_EVENTS},
	[K_MAX_AGE] = {JR_KEY_MAX_AGE, 0, INT64_MAX, JR_DEFAULT_MAX_AGE},
	[K_NEXT] = {JR_KEY_NEXT, 1, INT64_MAX, -1},
	[K_START] = {JR_KEY_START, 1, INT64_MAX, -1},
};

/* The journal's settings as read. */
struct jr_settings {
	int uuid_ok;		 /* a valid uuid is there */
	char uuid[SHOWN_SIZE];	 /* as found, shown; "" if missing */
	int state[K_COUNT];	 /* 0 missing, 1 bad, 2 sound */
	int64_t v[K_COUNT];	 /* the value, if sound */
	char shown[K_COUNT][64]; /* the value as found, shown */
};

static int load_jr_settings(struct fsck *f, struct jr_settings *js, char *err,
			    size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_SETTINGS_JOURNAL];
	int rc, k;

	memset(js, 0, sizeof(*js));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *) sqlite3_column_text(s, 0);
		const char *type = (const char *) sqlite3_column_text(s, 1);
		const char *text = (const char *) sqlite3_column_text(s, 2);
		int64_t v = sqlite3_column_int64(s, 2);
		int len = sqlite3_column_bytes(s, 2);

		if (!key || !type)
			continue;
		if (!strcmp(key, JR_KEY_UUID)) {
			fsck_show(text ? text : "",
				  len < SHOW_BYTES ? len : SHOW_BYTES, js->uuid,
				  sizeof(js->uuid));
			js->uuid_ok = !strcmp(type, "text") && text &&
				      (int) strlen(text) == len &&
				      jr_uuid_valid(text);
			continue;
		}
		for (k = 0; k < K_COUNT; k++)
			if (!strcmp(key, jr_keys[k].key))
				break;
		if (k == K_COUNT)
			continue;
		fsck_show(text ? text : "", len < 32 ? len : 32, js->shown[k],
			  sizeof(js->shown[k]));
		js->v[k] = v;
		js->state[k] = !strcmp(type, "integer") &&
					       v >= jr_keys[k].min &&
					       v <= jr_keys[k].max
				       ? 2
				       : 1;
	}
	return fsck_scan_end(f, s, rc, err, errsz);
}

/* Queues setting key to v. */
static int plan_setting(struct fsck *f, enum jr_key k, int64_t v)
{
	const char *key = jr_keys[k].key;

	return fsck_plan_name(f, F_SETTING_PUT, 0, v, 0, key, (int) strlen(key),
			      0);
}

/* Reports a setting k missing or bad, set to v. */
static void bad_setting(struct fsck *f, const struct jr_settings *js,
			enum jr_key k, int64_t v)
{
	if (js->state[k] == 0)
		fsck_finding(f, plan_setting(f, k, v),
			     "settings: %s missing; set to %lld",
			     jr_keys[k].key, (long long) v);
	else
		fsck_finding(
			f, plan_setting(f, k, v),
			"settings: %s \"%s\" not an integer from %lld; set to "
			"%lld",
			jr_keys[k].key, js->shown[k],
			(long long) jr_keys[k].min, (long long) v);
}

/* Whether t is the type of a file (mode & S_IFMT). */
static int file_type_ok(int64_t t)
{
	return t == S_IFREG || t == S_IFDIR || t == S_IFLNK || t == S_IFIFO ||
	       t == S_IFSOCK || t == S_IFCHR || t == S_IFBLK;
}

/* Whether columns parent and path of a journal row agree: both NULL, or a
 * directory and an absolute path. */
static int event_path_ok(sqlite3_stmt *s, int parent, int path)
{
	if (sqlite3_column_type(s, path) == SQLITE_NULL)
		return sqlite3_column_type(s, parent) == SQLITE_NULL;
	return sqlite3_column_type(s, path) == SQLITE_TEXT &&
	       sqlite3_column_type(s, parent) == SQLITE_INTEGER &&
	       sqlite3_column_int64(s, parent) > 0 &&
	       sqlite3_column_bytes(s, path) > 0 &&
	       sqlite3_column_text(s, path)[0] == '/';
}

/*
 * What is wrong with the journal row s holds (F_JOURNAL_ROWS), or NULL.
 */
static const char *event_problem(sqlite3_stmt *s)
{
	int c;

	for (c = 0; c <= 4; c++)
		if (sqlite3_column_type(s, c) != SQLITE_INTEGER)
			return "a column that is not an integer";
	if (sqlite3_column_int64(s, 0) < 1)
		return "an id below 1";
	if (sqlite3_column_int64(s, 1) <= 0)
		return "no time";
	if (sqlite3_column_int64(s, 2) <= 0)
		return "no inode";
	if (!file_type_ok(sqlite3_column_int64(s, 3)))
		return "not a file type";
	if (sqlite3_column_int64(s, 4) <= 0 ||
	    sqlite3_column_int64(s, 4) & ~(int64_t) JR_ALL)
		return "unknown reasons";
	if (!event_path_ok(s, 5, 6))
		return "a bad path or directory";
	if (!event_path_ok(s, 7, 8))
		return "a bad old path or directory";
	if (sqlite3_column_type(s, 9) == SQLITE_NULL &&
	    sqlite3_column_type(s, 10) == SQLITE_NULL)
		return NULL;
	if (sqlite3_column_type(s, 9) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 10) != SQLITE_INTEGER ||
	    sqlite3_column_int64(s, 9) < 0 ||
	    sqlite3_column_int64(s, 9) > sqlite3_column_int64(s, 10))
		return "a bad data range";
	return NULL;
}

/* What fsck_check_journal() found in the rows. */
struct jr_rows {
	int64_t next; /* the id the next event gets: above every row */
	int64_t low;  /* the oldest id of the sound run that ends at next - 1 */
	int64_t rows; /* how many rows */
	int64_t bad;  /* how many of them are damaged */
};

/*
 * Reads the rows from the newest down: next is journal_next unless a row
 * is at or past it (ids never go back), and low where the sound ids
 * without a gap end.  Each damaged row is reported.
 */
static int scan_events(struct fsck *f, int64_t next, struct jr_rows *jr,
		       char *err, size_t errsz)
{
	sqlite3_stmt *s = f->stmt[F_JOURNAL_ROWS];
	int64_t expect = 0;
	int rc, broken = 0;

	memset(jr, 0, sizeof(*jr));
	jr->next = next;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *why = event_problem(s);

		if (jr->rows++ == 0) {
			if (id >= jr->next)
				jr->next = id < INT64_MAX ? id + 1 : id;
			expect = jr->next - 1;
		}
		if (why) {
			jr->bad++;
			fsck_finding(
				f, f->fixing,
				"journal: event %lld: %s; dropped with the "
				"older events",
				(long long) id, why);
		}
		if (!broken && !why && id == expect)
			expect--;
		else
			broken = 1;
	}
	jr->low = jr->rows ? expect + 1 : jr->next;
	return fsck_scan_end(f, s, rc, err, errsz);
}

/*
 * The journal's settings and rows (format 2).  Missing events are never
 * made up: the history kept is cut after the newest missing or damaged
 * one, and journal_start says so to the clients.
 */
int fsck_check_journal(struct fsck *f, char *err, size_t errsz)
{
	struct jr_settings js;
	struct jr_rows jr;
	int64_t next, start, below;
	int k, moved = 0, rc = load_jr_settings(f, &js, err, errsz);

	if (rc < 0)
		return rc;
	if (!js.uuid_ok && !js.uuid[0])
		fsck_finding(f, fsck_plan(f, F_UUID_NEW, 0, 0, 0),
			     "settings: uuid missing; a new one made (clients "
			     "rescan)");
	else if (!js.uuid_ok)
		fsck_finding(
			f, fsck_plan(f, F_UUID_NEW, 0, 0, 0),
			"settings: uuid \"%s\" not a valid UUID; a new one "
			"made (clients rescan)",
			js.uuid);
	for (k = K_ENABLED; k <= K_MAX_AGE; k++)
		if (js.state[k] != 2)
			bad_setting(f, &js, k, jr_keys[k].dflt);

	/* a lost journal_next goes no lower than journal_start */
	next = js.state[K_NEXT] == 2	? js.v[K_NEXT]
	       : js.state[K_START] == 2 ? js.v[K_START]
					: 1;
	rc = scan_events(f, next, &jr, err, errsz);
	if (rc < 0)
		return rc;
	if (js.state[K_NEXT] != 2)
		bad_setting(f, &js, K_NEXT, jr.next);
	else if (jr.next != next)
		fsck_finding(
			f, plan_setting(f, K_NEXT, jr.next),
			"settings: journal_next %lld, but event %lld exists; "
			"set to %lld",
			(long long) next, (long long) jr.next - 1,
			(long long) jr.next);

	start = js.v[K_START];
	if (js.state[K_START] != 2 || start > jr.next) {
		if (js.state[K_START] == 2)
			fsck_finding(f, plan_setting(f, K_START, jr.low),
				     "settings: journal_start %lld past "
				     "journal_next %lld; set to %lld",
				     (long long) start, (long long) jr.next,
				     (long long) jr.low);
		else
			bad_setting(f, &js, K_START, jr.low);
		start = jr.low;
	} else if (start < jr.low) {
		fsck_finding(
			f, plan_setting(f, K_START, jr.low),
			"journal: event %lld missing or damaged, journal_start "
			"is %lld; journal_start set to %lld, older events "
			"dropped (clients rescan)",
			(long long) jr.low - 1, (long long) start,
			(long long) jr.low);
		start = jr.low;
		moved = 1;
	}
	/* rows below start: the run covers start to next - 1 */
	below = jr.rows - (jr.next - start);
	if (below > jr.bad && !moved)
		fsck_finding(
			f, f->fixing,
			"journal: %lld row%s older than journal_start %lld; "
			"deleted",
			(long long) (below - jr.bad),
			below - jr.bad > 1 ? "s" : "", (long long) start);
	if (below > 0)
		fsck_plan(f, F_JOURNAL_TRIM, start, 0, 0);
	return 0;
}

/*
 * A format-1 database has no journal: not damage, but a note, and with
 * repair the upgrade a read-write mount makes, after every other repair.
 */
void fsck_check_format_version(struct fsck *f)
{
	if (f->version >= 2)
		return;
	f->res->old_format = 1;
	/* keys of the journal's settings left by a hand would make the
	 * upgrade's INSERTs fail: the upgrade sets them all */
	if (fsck_plan(f, F_SETTINGS_JOURNAL_DELETE, 0, 0, 0) &&
	    fsck_plan_other(f, FIX_UPGRADE, NULL)) {
		f->res->upgraded = 1;
		fsck_note(f,
			  "format 1: no change journal; upgraded to format 2");
	} else {
		fsck_note(f,
			  "format 1: no change journal; fsck.sqlitefs -y or a "
			  "read-write mount adds it");
	}
}
