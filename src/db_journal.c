/*
 * db_journal.c - the change journal: what operations changed, coalesced
 * per inode within the batch and written in its transaction; retention;
 * the settings and search indexes of db_set()
 *
 * How an event is made: an operation notes what it does to an inode
 * (jr_created(), jr_removed(), ...) while it runs; the notes are staged
 * until op_end() keeps the operation (jr_op_end()), which merges them into
 * the batch's events, one per inode, reasons or-ed together, data ranges
 * joined.  Just before the batch commits, jr_flush() writes one journal
 * row per event, numbered from journal_next, and trims the oldest rows by
 * the retention settings, all in the batch's transaction: an event is
 * committed if and only if its changes are.  A lost batch loses its
 * events with it (jr_batch_lost()).
 *
 * Invariants: ids run without gaps from journal_start to journal_next - 1
 * (in memory: jr->next counts the ids handed out in the open batch, which
 * go back to the committed value if it is lost); merging a staged note
 * never fails (jr_note() reserves room first), so an operation without a
 * savepoint notes before it changes anything and can still fail cleanly.
 *
 * Paths: an event's path is looked up when it is written, from the name
 * the inode was last given in the batch (created, linked, renamed to) if
 * it still has it, else any of its names; the name it lost first (a
 * rename's source, a removed name) is looked up when it is lost.  The
 * directories' paths are cached while no directory moves.
 *
 * Its SQL is in its own table, jr_sql[], prepared only when the database
 * has a journal (format 2): a format-1 database opened read-only has none.
 */
#include "db_impl.h"
#include "db_sqlite.h"
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upgrade.h"

enum jr_stmt {
	J_INSERT,
	J_NAME_OF,
	J_SETTING_PUT,
	J_SETTINGS,
	J_MAX_ID,
	J_TRIM,
	J_FIRST_YOUNG,
	J_CLEAR,
	J_SAVEPOINT,
	J_RELEASE,
	J_ROLLBACK_TO,
	J_INDEX_EXISTS,
	J_COUNT
};

static const char *const jr_sql[J_COUNT] = {
	[J_INSERT] = "INSERT INTO journal (id, time, ino, type, reasons, "
		     "parent, path, old_parent, old_path, data_start, "
		     "data_end) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[J_NAME_OF] = "SELECT parent, name FROM dentry WHERE ino = ?1 "
		      "ORDER BY id LIMIT 1",
	[J_SETTING_PUT] = "INSERT INTO settings (key, value) VALUES (?1, ?2) "
			  "ON CONFLICT (key) DO UPDATE SET value = "
			  "excluded.value",
	[J_SETTINGS] = "SELECT key, value FROM settings WHERE key IN "
		       "('uuid', 'journal', 'journal_next', 'journal_start', "
		       "'journal_max_events', 'journal_max_age')",
	[J_MAX_ID] = "SELECT max(id) FROM journal",
	[J_TRIM] = "DELETE FROM journal WHERE id < ?1",
	[J_FIRST_YOUNG] = "SELECT id FROM journal WHERE id >= ?1 "
			  "AND time >= ?2 ORDER BY id LIMIT 1",
	[J_CLEAR] = "DELETE FROM journal",
	[J_SAVEPOINT] = "SAVEPOINT jr",
	[J_RELEASE] = "RELEASE jr",
	[J_ROLLBACK_TO] = "ROLLBACK TO jr",
	[J_INDEX_EXISTS] = "SELECT 1 FROM sqlite_schema "
			   "WHERE type = 'index' AND name = ?1",
};

/* The most events a batch keeps in memory before writing them early. */
#define JR_BATCH_EVENTS 16384
/* The most notes one operation makes (a rename that replaces: two). */
#define JR_STAGE_MAX 4

/* What happened to one inode: a staged note, or a batch's event. */
struct jr_event {
	int64_t ino;
	int64_t time;	     /* ns, of the last change */
	unsigned type;	     /* mode & S_IFMT */
	unsigned reasons;    /* JR_* */
	int64_t hint_parent; /* the name it was last given, or 0 */
	char *hint_name;     /* ... NULL if none */
	int64_t old_parent;  /* the first name it lost, or 0 */
	char *old_path;	     /* ... NULL if none */
	int64_t start, end;  /* JR_DATA: bytes [start, end); start < 0: none */
};

/* An open-addressing map of inode numbers to indexes. */
struct jr_map {
	int64_t *keys; /* 0: free */
	size_t *vals;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

struct jr {
	sqlite3_stmt *stmt[J_COUNT];
	int enabled;			/* settings 'journal' */
	char uuid[JR_UUID_LEN + 1];	/* settings 'uuid' */
	int64_t next, next_committed;	/* journal_next: in the batch, stored */
	int64_t start, start_committed; /* journal_start */
	int64_t max_events, max_age;	/* retention; 0: no limit */
	int enabled_committed;		/* the three as stored, which a */
	int64_t max_events_committed;	/* lost batch goes back to (it may */
	int64_t max_age_committed;	/* have changed them: db_set()) */
	struct jr_event *ev;		/* the batch's events, in order */
	size_t nev, cap;
	struct jr_map by_ino;		     /* ino -> index in ev */
	struct jr_event stage[JR_STAGE_MAX]; /* the operation's notes */
	unsigned nstage;
	struct jr_map dirs; /* directory ino -> index in dir_paths */
	char **dir_paths;   /* "/a/b" ("" for the root) */
	size_t ndirs;
};

/* --- the maps ------------------------------------------------------------ */

static size_t map_slot(const struct jr_map *m, int64_t key)
{
	uint64_t h = (uint64_t) key * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t) (h >> 20) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The value of key, or (size_t) -1. */
static size_t map_get(const struct jr_map *m, int64_t key)
{
	size_t i;

	if (!m->cap)
		return (size_t) -1;
	i = map_slot(m, key);
	return m->keys[i] ? m->vals[i] : (size_t) -1;
}

/* Room for more keys, so that map_put() cannot fail: 0 or -ENOMEM. */
static int map_reserve(struct jr_map *m, size_t more)
{
	struct jr_map bigger;
	size_t i;

	if ((m->n + more) * 2 <= m->cap)
		return 0;
	bigger.cap = m->cap ? m->cap : 64;
	while ((m->n + more) * 2 > bigger.cap)
		bigger.cap *= 2;
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = malloc(bigger.cap * sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -ENOMEM;
	}
	bigger.n = 0;
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t j = map_slot(&bigger, m->keys[i]);

			bigger.keys[j] = m->keys[i];
			bigger.vals[j] = m->vals[i];
			bigger.n++;
		}
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
	return 0;
}

/* Sets key (nonzero) to val; room must have been reserved. */
static void map_put(struct jr_map *m, int64_t key, size_t val)
{
	size_t i = map_slot(m, key);

	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
}

static void map_clear(struct jr_map *m)
{
	if (m->cap)
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->n = 0;
}

static void map_free(struct jr_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* --- directory paths ----------------------------------------------------- */

static void dirs_clear(struct jr *jr)
{
	size_t i;

	for (i = 0; i < jr->ndirs; i++)
		free(jr->dir_paths[i]);
	free(jr->dir_paths);
	jr->dir_paths = NULL;
	jr->ndirs = 0;
	map_clear(&jr->dirs);
}

/* The first name of ino: its directory and a copy of the name. */
static int name_of(struct db *db, int64_t ino, int64_t *parent, char **name)
{
	sqlite3_stmt *s = db->jr->stmt[J_NAME_OF];
	int rc;

	sqlite3_bind_int64(s, 1, ino);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *text = (const char *) sqlite3_column_text(s, 1);

		*parent = sqlite3_column_int64(s, 0);
		*name = text ? strdup(text) : NULL;
		sqlite3_reset(s);
		/* no text: a damaged row (or index entry) without a name */
		return *name ? 0 : text ? -ENOMEM : -EIO;
	}
	rc = done(db, s, rc);
	return rc < 0 ? rc : -ENOENT;
}

/* Caches path (malloced, taken) as the path of directory dir. */
static int dir_cache(struct jr *jr, int64_t dir, char *path)
{
	char **paths = realloc(jr->dir_paths, (jr->ndirs + 1) * sizeof(*paths));

	if (paths)
		jr->dir_paths = paths;
	if (!paths || map_reserve(&jr->dirs, 1) < 0) {
		free(path);
		return -ENOMEM;
	}
	paths[jr->ndirs] = path;
	map_put(&jr->dirs, dir, jr->ndirs++);
	return 0;
}

/* The deepest the tree goes (db_dir.c's bound on a walk to the root). */
#define JR_DEPTH_MAX (1 << 20)

/*
 * The path of directory dir ("" for the root, so that a name is appended
 * with "/"), cached, owned by the cache.  Walks up to the root or to a
 * cached directory, then caches each directory on the way down.
 * -ENOENT if a directory on the way has no name, -ELOOP for a cycle (a
 * damaged database), found within twice its distance and length, not
 * after JR_DEPTH_MAX lookups.
 */
static int dir_path(struct db *db, int64_t dir, const char **out)
{
	struct jr *jr = db->jr;
	struct up {
		int64_t ino;
		char *name;
	} *walk = NULL, *more;
	size_t n = 0, cap = 0, i, hit;
	int64_t mark = 0; /* met again: a cycle (Brent's) */
	const char *base = "";
	int rc = 0;

	while (dir != DB_ROOT_INO &&
	       (hit = map_get(&jr->dirs, dir)) == (size_t) -1) {
		int64_t parent;

		if (n == JR_DEPTH_MAX || dir == mark) {
			rc = -ELOOP;
			break;
		}
		if ((n & (n - 1)) == 0) /* at each power of two */
			mark = dir;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			more = realloc(walk, cap * sizeof(*walk));
			if (!more) {
				rc = -ENOMEM;
				break;
			}
			walk = more;
		}
		walk[n].ino = dir;
		rc = name_of(db, dir, &parent, &walk[n].name);
		if (rc < 0)
			break;
		n++;
		if (parent == dir) {
			rc = -ELOOP;
			break;
		}
		dir = parent;
	}
	if (rc == 0 && dir != DB_ROOT_INO)
		base = jr->dir_paths[hit];
	for (i = n; i-- > 0 && rc == 0;) {
		char *path;

		if (asprintf(&path, "%s/%s", base, walk[i].name) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc = dir_cache(jr, walk[i].ino, path);
		if (rc == 0)
			base = path;
	}
	for (i = 0; i < n; i++)
		free(walk[i].name);
	free(walk);
	if (rc == 0)
		*out = base;
	return rc;
}

/* A new string: the path of name in directory dir. */
static int path_in(struct db *db, int64_t dir, const char *name, char **out)
{
	const char *up;
	int rc = dir_path(db, dir, &up);

	if (rc == 0 && asprintf(out, "%s/%s", up, name) < 0)
		rc = -ENOMEM;
	return rc;
}

/* --- noting changes ------------------------------------------------------ */

static void event_free(struct jr_event *e)
{
	free(e->hint_name);
	free(e->old_path);
	e->hint_name = e->old_path = NULL;
}

/*
 * Stages a note of the running operation, with room reserved so that
 * merging it cannot fail.  Takes hint_name and old_path (NULL or malloced)
 * in all cases.
 */
static int note(struct db *db, int64_t ino, mode_t mode, unsigned reasons,
		int64_t hint_parent, char *hint_name, int64_t old_parent,
		char *old_path, int64_t start, int64_t end)
{
	struct jr *jr = db->jr;
	struct jr_event *e;
	size_t need;
	int rc = 0;

	need = jr->nev + jr->nstage + 1;
	if (jr->nstage == JR_STAGE_MAX) {
		rc = -EIO; /* a bug: more notes than any operation makes */
		db_log("sqlitefs: %s: journal: too many notes\n", db->path);
	}
	if (rc == 0 && need > jr->cap) {
		size_t cap = jr->cap ? jr->cap * 2 : 256;
		struct jr_event *ev = realloc(jr->ev, cap * sizeof(*ev));

		if (ev) {
			jr->ev = ev;
			jr->cap = cap;
		} else {
			rc = -ENOMEM;
		}
	}
	if (rc == 0)
		rc = map_reserve(&jr->by_ino, jr->nstage + 1);
	if (rc < 0) {
		free(hint_name);
		free(old_path);
		return rc;
	}
	e = &jr->stage[jr->nstage++];
	e->ino = ino;
	e->time = now_ns();
	e->type = mode & S_IFMT;
	e->reasons = reasons;
	e->hint_parent = hint_parent;
	e->hint_name = hint_name;
	e->old_parent = old_parent;
	e->old_path = old_path;
	e->start = start;
	e->end = end;
	return 0;
}

/* Notes a name given to ino (created, linked, renamed to). */
static int note_named(struct db *db, int64_t ino, mode_t mode, unsigned reasons,
		      int64_t parent, const char *name, int64_t old_parent,
		      char *old_path)
{
	char *copy = strdup(name);

	if (!copy) {
		free(old_path);
		return -ENOMEM;
	}
	return note(db, ino, mode, reasons, parent, copy, old_parent, old_path,
		    -1, -1);
}

int jr_created(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	       const char *name)
{
	if (!db->jr || !db->jr->enabled)
		return 0;
	return note_named(db, ino, mode, JR_CREATED, parent, name, 0, NULL);
}

int jr_linked(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	      const char *name)
{
	if (!db->jr || !db->jr->enabled)
		return 0;
	return note_named(db, ino, mode, JR_LINK, parent, name, 0, NULL);
}

int jr_removed(struct db *db, int64_t ino, mode_t mode, int64_t parent,
	       const char *name)
{
	char *old = NULL;
	int rc;

	if (!db->jr || !db->jr->enabled)
		return 0;
	rc = path_in(db, parent, name, &old);
	if (rc < 0)
		return rc;
	return note(db, ino, mode, JR_REMOVED, 0, NULL, parent, old, -1, -1);
}

int jr_renamed(struct db *db, int64_t ino, mode_t mode, int64_t old_parent,
	       const char *old_name, int64_t parent, const char *name)
{
	char *old = NULL;
	int rc;

	if (!db->jr || !db->jr->enabled)
		return 0;
	rc = path_in(db, old_parent, old_name, &old);
	if (rc < 0)
		return rc;
	if (S_ISDIR(mode)) /* the paths below it change */
		dirs_clear(db->jr);
	return note_named(db, ino, mode, JR_RENAMED, parent, name, old_parent,
			  old);
}

int jr_changed(struct db *db, int64_t ino, mode_t mode, unsigned reasons,
	       int64_t start, int64_t end)
{
	if (!db->jr || !db->jr->enabled)
		return 0;
	if (!(reasons & JR_DATA) || start >= end)
		start = end = -1;
	return note(db, ino, mode, reasons, 0, NULL, 0, NULL, start, end);
}

int jr_has(struct db *db, int64_t ino, unsigned reasons)
{
	size_t i;

	if (!db->jr)
		return 0;
	i = map_get(&db->jr->by_ino, ino);
	return i != (size_t) -1 && (db->jr->ev[i].reasons & reasons);
}

/* Merges note n into the batch's event for its inode; cannot fail. */
static void merge(struct jr *jr, struct jr_event *n)
{
	size_t i = map_get(&jr->by_ino, n->ino);
	struct jr_event *e;

	if (i == (size_t) -1) {
		i = jr->nev++;
		jr->ev[i] = *n;
		map_put(&jr->by_ino, n->ino, i);
		return;
	}
	e = &jr->ev[i];
	e->reasons |= n->reasons;
	e->time = n->time;
	if (n->hint_name) {
		free(e->hint_name);
		e->hint_parent = n->hint_parent;
		e->hint_name = n->hint_name;
	}
	if (n->old_path && !e->old_path) {
		e->old_parent = n->old_parent;
		e->old_path = n->old_path;
	} else {
		free(n->old_path);
	}
	if (n->start >= 0) {
		if (e->start < 0 || n->start < e->start)
			e->start = n->start;
		if (n->end > e->end)
			e->end = n->end;
	}
}

void jr_op_end(struct db *db, int keep)
{
	struct jr *jr = db->jr;
	unsigned i;

	if (!jr)
		return;
	for (i = 0; i < jr->nstage; i++) {
		if (keep)
			merge(jr, &jr->stage[i]);
		else
			event_free(&jr->stage[i]);
	}
	if (!keep && jr->nstage)
		dirs_clear(jr); /* a rolled-back rename may have moved one */
	jr->nstage = 0;
}

/* --- writing the events -------------------------------------------------- */

static int setting_put(struct db *db, const char *key, int64_t value)
{
	sqlite3_stmt *s = db->jr->stmt[J_SETTING_PUT];

	bind_name(s, 1, key);
	sqlite3_bind_int64(s, 2, value);
	return run(db, s);
}

/* The path of event e's inode at the commit; NULL when it has no name. */
static int event_path(struct db *db, const struct jr_event *e, int64_t *parent,
		      char **path)
{
	int64_t id, ino;
	char *name = NULL;
	int rc;

	*path = NULL;
	*parent = 0;
	if (e->ino == DB_ROOT_INO) {
		*parent = DB_ROOT_INO;
		*path = strdup("/");
		return *path ? 0 : -ENOMEM;
	}
	if (e->hint_name) {
		sqlite3_stmt *s = stmt(db, S_DENTRY_GET);

		sqlite3_bind_int64(s, 1, e->hint_parent);
		bind_name(s, 2, e->hint_name);
		rc = sqlite3_step(s);
		ino = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
		id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		rc = done(db, s, rc);
		if (rc < 0)
			return rc;
		if (id && ino == e->ino) {
			*parent = e->hint_parent;
			return path_in(db, e->hint_parent, e->hint_name, path);
		}
	}
	rc = name_of(db, e->ino, parent, &name);
	if (rc == -ENOENT) {
		*parent = 0;
		return 0;
	}
	if (rc == 0)
		rc = path_in(db, *parent, name, path);
	free(name);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_int_or_null(sqlite3_stmt *s, int i, int64_t v, int null)
{
	if (null)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static int event_insert(struct db *db, const struct jr_event *e, int64_t id)
{
	sqlite3_stmt *s = db->jr->stmt[J_INSERT];
	int64_t parent;
	char *path;
	int rc = event_path(db, e, &parent, &path);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, e->time);
	sqlite3_bind_int64(s, 3, e->ino);
	sqlite3_bind_int64(s, 4, e->type);
	sqlite3_bind_int64(s, 5, e->reasons);
	bind_int_or_null(s, 6, parent, !path);
	bind_text_or_null(s, 7, path);
	bind_int_or_null(s, 8, e->old_parent, !e->old_path);
	bind_text_or_null(s, 9, e->old_path);
	bind_int_or_null(s, 10, e->start, e->start < 0);
	bind_int_or_null(s, 11, e->end, e->start < 0);
	rc = run(db, s);
	free(path);
	return rc;
}

/* Deletes what the retention settings no longer keep. */
static int trim(struct db *db)
{
	struct jr *jr = db->jr;
	int64_t start = jr->start;
	int rc = 0;

	if (jr->max_events > 0 && jr->next - start > jr->max_events)
		start = jr->next - jr->max_events;
	if (jr->max_age > 0) {
		sqlite3_stmt *s = jr->stmt[J_FIRST_YOUNG];
		int64_t young = jr->next;

		sqlite3_bind_int64(s, 1, start);
		sqlite3_bind_int64(s, 2, now_ns() - jr->max_age * 1000000000);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			young = sqlite3_column_int64(s, 0);
		rc = done(db, s, rc);
		if (young > start)
			start = young;
	}
	if (rc < 0 || start == jr->start)
		return rc;
	sqlite3_bind_int64(jr->stmt[J_TRIM], 1, start);
	rc = run(db, jr->stmt[J_TRIM]);
	if (rc == 0)
		rc = setting_put(db, JR_KEY_START, start);
	if (rc == 0)
		jr->start = start;
	return rc;
}

static void events_clear(struct jr *jr)
{
	size_t i;

	for (i = 0; i < jr->nev; i++)
		event_free(&jr->ev[i]);
	jr->nev = 0;
	map_clear(&jr->by_ino);
}

/*
 * Writes the batch's events and trims, in one savepoint: all or nothing.
 * On failure the events stay in memory for the next attempt.
 */
int jr_flush(struct db *db)
{
	struct jr *jr = db->jr;
	int64_t id;
	size_t i;
	int rc;

	if (!jr || !jr->nev)
		return 0;
	rc = run(db, jr->stmt[J_SAVEPOINT]);
	if (rc < 0)
		return rc;
	id = jr->next;
	for (i = 0; i < jr->nev && rc == 0; i++)
		rc = event_insert(db, &jr->ev[i], id++);
	if (rc == 0)
		rc = setting_put(db, JR_KEY_NEXT, id);
	if (rc == 0) {
		int64_t next = jr->next;

		jr->next = id;
		rc = trim(db);
		if (rc < 0)
			jr->next = next;
	}
	if (rc < 0) {
		run(db, jr->stmt[J_ROLLBACK_TO]);
		run(db, jr->stmt[J_RELEASE]);
		return rc;
	}
	rc = run(db, jr->stmt[J_RELEASE]);
	if (rc == 0)
		events_clear(jr);
	return rc;
}

int jr_flush_if_full(struct db *db)
{
	if (!db->jr || db->jr->nev < JR_BATCH_EVENTS)
		return 0;
	return jr_flush(db);
}

void jr_committed(struct db *db)
{
	if (db->jr) {
		db->jr->next_committed = db->jr->next;
		db->jr->start_committed = db->jr->start;
		db->jr->enabled_committed = db->jr->enabled;
		db->jr->max_events_committed = db->jr->max_events;
		db->jr->max_age_committed = db->jr->max_age;
	}
}

void jr_batch_lost(struct db *db)
{
	struct jr *jr = db->jr;

	if (!jr)
		return;
	jr_op_end(db, 0);
	events_clear(jr);
	dirs_clear(jr);
	jr->next = jr->next_committed;
	jr->start = jr->start_committed;
	jr->enabled = jr->enabled_committed;
	jr->max_events = jr->max_events_committed;
	jr->max_age = jr->max_age_committed;
}

/* --- opening, settings ----------------------------------------------------- */

/* Reads the journal's settings; -EINVAL if one is missing or out of range. */
static int settings_load(struct db *db, char *err, size_t errsz)
{
	struct jr *jr = db->jr;
	sqlite3_stmt *s = jr->stmt[J_SETTINGS];
	int64_t max_id, next = -1;
	int rc, seen = 0;

	jr->start = -1;
	jr->enabled = jr->max_events = jr->max_age = -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *) sqlite3_column_text(s, 0);
		int64_t v = sqlite3_column_int64(s, 1);

		if (!key)
			continue; /* damaged: the count below finds it short */
		seen++;
		if (!strcmp(key, JR_KEY_UUID)) {
			const char *u =
				(const char *) sqlite3_column_text(s, 1);

			if (u && jr_uuid_valid(u))
				memcpy(jr->uuid, u, JR_UUID_LEN + 1);
		} else if (!strcmp(key, JR_KEY_ENABLED)) {
			jr->enabled = v == 0 || v == 1 ? (int) v : -1;
		} else if (!strcmp(key, JR_KEY_NEXT)) {
			next = v;
		} else if (!strcmp(key, JR_KEY_START)) {
			jr->start = v;
		} else if (!strcmp(key, JR_KEY_MAX_EVENTS)) {
			jr->max_events = v;
		} else if (!strcmp(key, JR_KEY_MAX_AGE)) {
			jr->max_age = v;
		}
	}
	rc = done(db, s, rc);
	if (rc < 0)
		return rc;
	s = jr->stmt[J_MAX_ID];
	rc = sqlite3_step(s);
	max_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	rc = done(db, s, rc);
	if (rc < 0)
		return rc;
	if (!jr->uuid[0] || jr->enabled < 0 || next < 1 || jr->start < 1 ||
	    jr->start > next || jr->max_events < 0 || jr->max_age < 0 ||
	    max_id < 0 || seen != 6) {
		snprintf(err, errsz,
			 "damaged: bad change journal settings "
			 "(fsck.sqlitefs repairs them)");
		return -EINVAL;
	}
	/* ids never go backwards, even past a damaged journal_next */
	jr->next = jr->next_committed = next > max_id ? next : max_id + 1;
	jr->start_committed = jr->start;
	jr->enabled_committed = jr->enabled;
	jr->max_events_committed = jr->max_events;
	jr->max_age_committed = jr->max_age;
	return 0;
}

int jr_open(struct db *db, char *err, size_t errsz)
{
	int i, rc;

	db->jr = calloc(1, sizeof(*db->jr));
	if (!db->jr)
		return -ENOMEM;
	for (i = 0; i < J_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->conn, jr_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT,
					&db->jr->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errsz, "damaged: %s",
				 sqlite3_errmsg(db->conn));
			return -EINVAL;
		}
	}
	return settings_load(db, err, errsz);
}

void jr_close(struct db *db)
{
	struct jr *jr = db->jr;
	int i;

	if (!jr)
		return;
	jr_op_end(db, 0);
	events_clear(jr);
	dirs_clear(jr);
	map_free(&jr->by_ino);
	map_free(&jr->dirs);
	free(jr->ev);
	for (i = 0; i < J_COUNT; i++)
		sqlite3_finalize(jr->stmt[i]);
	free(jr);
	db->jr = NULL;
}

/* A count of seconds or events: 0 or more, digits only. */
static int parse_count(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v < 0 || v > INT64_MAX / 1000000000)
		return -EINVAL;
	*out = v;
	return 0;
}

/* journal=off: the retained events go, every cursor becomes too old. */
static int journal_switch(struct db *db, int on)
{
	struct jr *jr = db->jr;
	int64_t next;
	int rc;

	if (on == jr->enabled)
		return 0;
	rc = setting_put(db, JR_KEY_ENABLED, on);
	if (rc < 0 || on)
		goto out;
	/*
	 * The batch's events go too, unwritten: they stay in memory until
	 * all of this succeeded, for the batch to commit them if it fails.
	 * Their ids and one more are skipped, so that a cursor at the
	 * newest is too old.
	 */
	next = jr->next + (int64_t) jr->nev + 1;
	rc = run(db, jr->stmt[J_CLEAR]);
	if (rc == 0)
		rc = setting_put(db, JR_KEY_NEXT, next);
	if (rc == 0)
		rc = setting_put(db, JR_KEY_START, next);
	if (rc == 0) {
		events_clear(jr);
		jr->next = jr->start = next;
	}
out:
	if (rc == 0) {
		jr->enabled = on;
		dirs_clear(jr); /* while off, directories move unnoted */
	}
	return rc;
}

/* The SQL of index spec; NULL and -EINVAL if spec names none. */
static int index_sql(const char *spec, int add, char **name, char **sql)
{
	static const char *const fixed[][2] = {
		{"name", "dentry (name)"},
		{"size", "inode (size)"},
		{"mtime", "inode (mtime)"},
	};
	size_t i;

	*name = *sql = NULL;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(spec, fixed[i][0]))
			continue;
		*name = sqlite3_mprintf("search_%s", spec);
		*sql = add ? sqlite3_mprintf("CREATE INDEX \"%w\" ON %s", *name,
					     fixed[i][1])
			   : sqlite3_mprintf("DROP INDEX \"%w\"", *name);
		return *name && *sql ? 0 : -ENOMEM;
	}
	if (strncmp(spec, "xattr:", 6) || db_check_xattr_name(spec + 6) < 0)
		return -EINVAL;
	/*
	 * The one statement built as text: an index of one attribute is a
	 * partial index, whose WHERE cannot be a parameter.  %w and %Q
	 * quote the name as an identifier and as a literal.
	 */
	*name = sqlite3_mprintf("search_%s", spec);
	*sql = add ? sqlite3_mprintf("CREATE INDEX \"%w\" ON xattr (value) "
				     "WHERE name = %Q",
				     *name, spec + 6)
		   : sqlite3_mprintf("DROP INDEX \"%w\"", *name);
	return *name && *sql ? 0 : -ENOMEM;
}

static int index_change(struct db *db, const char *spec, int add)
{
	sqlite3_stmt *s = db->jr->stmt[J_INDEX_EXISTS];
	char *name, *sql;
	int rc = index_sql(spec, add, &name, &sql), exists;

	if (rc == 0) {
		bind_name(s, 1, name);
		rc = sqlite3_step(s);
		exists = rc == SQLITE_ROW;
		rc = done(db, s, rc);
	}
	if (rc == 0 && exists == add)
		rc = add ? -EEXIST : -ENOENT;
	if (rc == 0) {
		rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
		rc = rc == SQLITE_OK ? 0 : db_errno(db, rc);
	}
	sqlite3_free(name);
	sqlite3_free(sql);
	return rc;
}

static int set_locked(struct db *db, const char *key, const char *value)
{
	struct jr *jr = db->jr;
	int64_t v;
	int rc;

	if (!strcmp(key, JR_KEY_ENABLED)) {
		if (strcmp(value, "on") && strcmp(value, "off"))
			return -EINVAL;
		return journal_switch(db, !strcmp(value, "on"));
	}
	if (!strcmp(key, JR_KEY_MAX_EVENTS) || !strcmp(key, JR_KEY_MAX_AGE)) {
		rc = parse_count(value, &v);
		if (rc == 0)
			rc = setting_put(db, key, v);
		if (rc == 0 && !strcmp(key, JR_KEY_MAX_EVENTS))
			jr->max_events = v;
		else if (rc == 0)
			jr->max_age = v;
		return rc;
	}
	if (!strcmp(key, "index_add") || !strcmp(key, "index_drop"))
		return index_change(db, value, !strcmp(key, "index_add"));
	return -EINVAL;
}

int db_set(struct db *db, const char *key, const char *value)
{
	int rc = op_begin(db);

	if (rc < 0)
		return rc;
	rc = db->jr ? set_locked(db, key, value) : -ENOTSUP;
	rc = (int) op_end(db, rc);
	if (rc == 0)
		rc = db_sync(db);
	return rc;
}

/* --- the upgrade from format 1 -------------------------------------------- */

int jr_upgrade(sqlite3 *conn)
{
	return sqlite3_exec(conn, upgrade_sql, NULL, NULL, NULL);
}

int db_sqlite_upgrade(sqlite3 *conn, char *err, size_t errsz)
{
	if (jr_upgrade(conn) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "cannot upgrade to format %d: %s",
		 DB_FORMAT_VERSION, sqlite3_errmsg(conn));
	return -EIO;
}

int db_sqlite_index_sql(const char *spec, char **name, char **sql)
{
	int rc = index_sql(spec, 1, name, sql);

	if (rc < 0) {
		sqlite3_free(*name);
		sqlite3_free(*sql);
		*name = *sql = NULL;
	}
	return rc;
}
