/*
 * find_main.c - sqlitefs-find: find(1) over a sqlitefs database, answered
 * from its indexes where the expression allows
 *
 * sqlitefs-find [OPTIONS] DATABASE|PATH [EXPRESSION]
 *
 * The first argument is a database file, or a path inside a sqlitefs
 * mount (the longest mount of type fuse.sqlitefs holding it: its source
 * is the database).  From a path, the output is what find(1) started at
 * that path prints; from a database file, paths are absolute within the
 * filesystem, from "/" or --root.
 *
 * A query is one read transaction, so it sees the daemon's last commit
 * (a mounted filesystem commits every few seconds and at fsync): its
 * answer is current to the last commit.  How it is answered:
 *  - --since CURSOR: the inodes of the journal's events after the cursor;
 *  - else the most selective hint of the expression (find_hints(): exact
 *    -name, -size, -mtime, -mmin, -newer, -inum, -xattr with its index)
 *    when it has fewer than WALK_LIMIT candidates: their entries, each
 *    placed in the tree through a cache of directory paths (struct dirs);
 *  - else a walk of the tree from the starting point, directory by
 *    directory in readdir order, as find does.
 * Either way the whole expression is evaluated for every name found, and
 * only names under the starting point, within -mindepth and -maxdepth,
 * count.  A file with several names is a match per name, as in find.
 *
 * Exit status: 0 done, 1 error (the database cannot be read...), 2 usage
 * (a bad option or expression, a path outside any sqlitefs mount), 3, 4,
 * 5: --since's cursor is too old, of another filesystem, ahead.
 */
#include "find.h"
#include "find_db.h"
#include "find_index.h"
#include "journal.h"
#include "mountinfo.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "sqlitefs-find"

/* Candidates from an index above this many: walk the tree instead. */
#define WALK_LIMIT 100000
/* Directories deeper than this are taken for a loop in a damaged tree. */
#define MAX_DEPTH 100000

/* What to look in and how to print it. */
struct target {
	char *db_path; /* the database file */
	char *fs_path; /* the starting point in the filesystem: "/", "/a" */
	char *prefix;  /* how it is printed */
	char *base;    /* its name, as -name sees it */
	char *mount;   /* the mount point (real path), NULL for a database */
};

/* A directory placed in the tree (struct dirs). */
struct dir {
	int64_t ino;
	int under;	  /* under the starting point (or it) */
	int depth;	  /* its depth below the starting point */
	char *rel;	  /* its path from the starting point, "" for it */
	struct dir *next; /* in its hash chain */
};

/* Directories placed so far, by inode: a chained hash table. */
struct dirs {
	struct dir **buckets;
	size_t nbuckets;
	size_t count;
};

struct pathset;

struct run {
	struct find_db *db;
	struct find_query q;
	struct find_env env;
	struct target t;
	int64_t start_ino;
	struct dirs dirs;
	int json;
	int explain;
	unsigned needs; /* what of an inode a candidate needs (find_needs) */
	/* while candidates of an xattr hint with a value are evaluated: that
	 * hint, which every one of them meets */
	const struct find_hint *known;
	int64_t now;
	const char *since;	 /* the cursor of --since, or NULL */
	int err;		 /* -errno that stopped the query */
	struct pathset *collect; /* --follow: matches go there, */
	int print_too;		 /* and are printed too when set */
	int64_t printed;	 /* matches printed by the query */
};

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Prints "sqlitefs-find: ..." and exits with status. */
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die(JR_EXIT_ERROR, "out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(JR_EXIT_ERROR, "out of memory");
	return p;
}

/* a + "/" + b, or b alone when a is "" (a malloc'd string). */
static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = xmalloc(la + lb + 2);

	memcpy(p, a, la);
	if (la)
		p[la++] = '/';
	memcpy(p + la, b, lb + 1);
	return p;
}

/* The printed path of rel (relative to the start), as find prints it. */
static char *printed(const struct target *t, const char *rel)
{
	size_t lp = strlen(t->prefix);

	if (!*rel)
		return xstrdup(t->prefix);
	if (lp && t->prefix[lp - 1] == '/') {
		char *p = xmalloc(lp + strlen(rel) + 1);

		memcpy(p, t->prefix, lp);
		strcpy(p + lp, rel);
		return p;
	}
	return join(t->prefix, rel);
}

/* --- output ------------------------------------------------------------- */

/* Writes s as a JSON string (bytes >= 0x80 as they are). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static char type_letter(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return 'd';
	case S_IFLNK:
		return 'l';
	case S_IFBLK:
		return 'b';
	case S_IFCHR:
		return 'c';
	case S_IFIFO:
		return 'p';
	case S_IFSOCK:
		return 's';
	default:
		return 'f';
	}
}

static void ps_add(struct pathset *ps, const char *path, int64_t ino);

static int print_file(void *ctx, const struct find_file *f, int sep)
{
	const struct run *r = ctx;

	if (r->collect)
		ps_add(r->collect, f->path, f->ino);
	if (r->collect && !r->print_too)
		return 0;
	((struct run *) ctx)->printed++;
	if (!r->json) {
		fputs(f->path, stdout);
		putchar(sep);
		return 0;
	}
	fputs("{\"path\": ", stdout);
	json_string(f->path);
	printf(", \"ino\": %" PRId64 ", \"type\": \"%c\", \"mode\": \"%04o\", "
	       "\"nlink\": %" PRId64 ", \"uid\": %" PRId64 ", \"gid\": %" PRId64
	       ", \"size\": %" PRId64 ", \"mtime\": %" PRId64 "}\n",
	       f->ino, type_letter(f->mode), (unsigned) (f->mode & 07777),
	       f->nlink, f->uid, f->gid, f->size, f->mtime);
	return 0;
}

static int env_xattr(void *ctx, int64_t ino, const char *name,
		     const char *value, size_t vlen)
{
	const struct run *r = ctx;
	const struct find_hint *k = r->known;

	/* an inode has one value per attribute name: the hint's answers
	 * every test of that name */
	if (k && !strcmp(name, k->name))
		return !value || (vlen == k->vlen &&
				  (!vlen || !memcmp(value, k->value, vlen)));
	return find_db_xattr(r->db, ino, name, value, vlen);
}

static int env_dir_empty(void *ctx, int64_t ino)
{
	const struct run *r = ctx;

	return find_db_dir_empty(r->db, ino);
}

/* --- placing directories in the tree ------------------------------------ */

static struct dir **dir_slot(const struct dirs *d, int64_t ino)
{
	uint64_t h = (uint64_t) ino * 0x9e3779b97f4a7c15ULL;

	return &d->buckets[(h >> 20) % d->nbuckets];
}

static struct dir *dir_get(const struct dirs *d, int64_t ino)
{
	struct dir *e;

	if (!d->nbuckets)
		return NULL;
	for (e = *dir_slot(d, ino); e; e = e->next)
		if (e->ino == ino)
			return e;
	return NULL;
}

/* Doubles the table when it is full. */
static void dir_grow(struct dirs *d)
{
	struct dirs n = {NULL, d->nbuckets ? d->nbuckets * 2 : 1024, d->count};
	size_t i;

	n.buckets = calloc(n.nbuckets, sizeof(*n.buckets));
	if (!n.buckets)
		die(JR_EXIT_ERROR, "out of memory");
	for (i = 0; i < d->nbuckets; i++) {
		struct dir *e, *next;

		for (e = d->buckets[i]; e; e = next) {
			struct dir **slot = dir_slot(&n, e->ino);

			next = e->next;
			e->next = *slot;
			*slot = e;
		}
	}
	free(d->buckets);
	*d = n;
}

static struct dir *dir_add(struct dirs *d, int64_t ino)
{
	struct dir *e = calloc(1, sizeof(*e));
	struct dir **slot;

	if (!e)
		die(JR_EXIT_ERROR, "out of memory");
	if (d->count >= d->nbuckets)
		dir_grow(d);
	e->ino = ino;
	slot = dir_slot(d, ino);
	e->next = *slot;
	*slot = e;
	d->count++;
	return e;
}

static void dirs_free(struct dirs *d)
{
	size_t i;

	for (i = 0; i < d->nbuckets; i++) {
		struct dir *e, *next;

		for (e = d->buckets[i]; e; e = next) {
			next = e->next;
			free(e->rel);
			free(e);
		}
	}
	free(d->buckets);
	memset(d, 0, sizeof(*d));
}

/*
 * Directory ino placed in the tree: whether it is under the starting
 * point, and its path from it.  NULL with r->err set on error.
 */
static struct dir *place(struct run *r, int64_t ino, int level)
{
	struct dir *d = dir_get(&r->dirs, ino), *up;
	int64_t parent;
	char *name;
	int rc;

	if (d)
		return d;
	if (ino == r->start_ino || ino == 1) {
		d = dir_add(&r->dirs, ino);
		d->under = ino == r->start_ino;
		d->rel = d->under ? xstrdup("") : NULL;
		return d;
	}
	rc = level > MAX_DEPTH ? -ELOOP
			       : find_db_dir_name(r->db, ino, &parent, &name);
	if (rc < 0) {
		r->err = rc;
		return NULL;
	}
	up = place(r, parent, level + 1);
	if (up) {
		d = dir_add(&r->dirs, ino);
		d->under = up->under;
		d->depth = up->depth + 1;
		d->rel = up->under ? join(up->rel, name) : NULL;
	}
	free(name);
	return d;
}

/* --- evaluating entries ------------------------------------------------- */

/* Evaluates f (its name, depth set), at rel from the starting point. */
static int visit(struct run *r, struct find_file *f, const char *rel)
{
	char *path;
	int rc;

	if (f->depth < r->q.mindepth ||
	    (r->q.maxdepth >= 0 && f->depth > r->q.maxdepth))
		return 0;
	path = printed(&r->t, rel);
	f->path = path;
	rc = find_eval(&r->q, f, &r->env);
	free(path);
	return rc < 0 ? rc : 0;
}

/* A row of an index or of the journal: the entry, if under the start. */
static int on_candidate(void *ctx, int64_t parent, struct find_file *f)
{
	struct run *r = ctx;
	struct dir *d = place(r, parent, 0);
	char *rel;
	int rc;

	if (!d)
		return r->err;
	if (!d->under)
		return 0;
	f->depth = d->depth + 1;
	rel = join(d->rel, f->name);
	rc = visit(r, f, rel);
	free(rel);
	return rc;
}

/* The entries of a directory, read before any is visited. */
struct listing {
	struct find_file *files;
	size_t count;
	size_t size;
};

static int on_child(void *ctx, int64_t parent, struct find_file *f)
{
	struct listing *l = ctx;

	(void) parent;
	if (l->count == l->size) {
		l->size = l->size ? 2 * l->size : 16;
		l->files = realloc(l->files, l->size * sizeof(*l->files));
		if (!l->files)
			die(JR_EXIT_ERROR, "out of memory");
	}
	l->files[l->count] = *f;
	l->files[l->count++].name = xstrdup(f->name);
	return 0;
}

/* Visits the entries under directory dir (at depth, at rel), in order. */
static int walk(struct run *r, int64_t dir, const char *rel, int depth)
{
	struct listing l = {NULL, 0, 0};
	size_t i;
	int rc;

	rc = find_db_children(r->db, dir, on_child, &l);
	for (i = 0; i < l.count && rc >= 0; i++) {
		struct find_file *f = &l.files[i];
		char *crel = join(rel, f->name);

		f->depth = depth + 1;
		rc = visit(r, f, crel);
		if (rc >= 0 && S_ISDIR(f->mode) &&
		    (r->q.maxdepth < 0 || depth + 1 < r->q.maxdepth))
			rc = depth + 1 > MAX_DEPTH
				     ? -ELOOP
				     : walk(r, f->ino, crel, depth + 1);
		free(crel);
	}
	for (i = 0; i < l.count; i++)
		free((char *) l.files[i].name);
	free(l.files);
	return rc;
}

/* --- choosing how to answer --------------------------------------------- */

static const char *hint_name(enum find_hint_kind k)
{
	static const char *const names[] = {"search_name", "search_size",
					    "search_mtime", "the inode numbers",
					    "search_xattr"};
	return names[k];
}

static void explain_line(void *ctx, const char *text)
{
	(void) ctx;
	fprintf(stderr, PROG ": plan: %s\n", text);
}

/* The index of the hint with the fewest candidates, or -1: walk. */
static int best_hint(struct run *r, const struct find_hint *h, int n)
{
	int64_t best = WALK_LIMIT, count;
	int i, pick = -1, rc;

	for (i = 0; i < n; i++) {
		rc = find_db_count(r->db, &h[i], WALK_LIMIT, &count);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (count < best) {
			best = count;
			pick = i;
		}
	}
	if (r->explain && pick >= 0) {
		fprintf(stderr, PROG ": using %s%s%s: %" PRId64 " candidates\n",
			hint_name(h[pick].kind),
			h[pick].kind == FH_XATTR ? ":" : "",
			h[pick].kind == FH_XATTR ? h[pick].name : "", best);
		find_db_explain(r->db, &h[pick], r->needs, explain_line, NULL);
	}
	return pick;
}

/* Evaluates the starting point itself (depth 0). */
static int visit_start(struct run *r)
{
	struct find_file f;
	int rc = find_db_stat(r->db, r->start_ino, &f);

	if (rc < 0)
		return rc;
	f.name = r->t.base;
	f.depth = 0;
	return visit(r, &f, "");
}

/* The query without --since, in the open transaction. */
static int query(struct run *r)
{
	struct find_hint h[16];
	int n = find_hints(&r->q, h, 16), pick;
	struct find_file f;
	int rc = visit_start(r);

	if (rc < 0)
		return rc;
	pick = best_hint(r, h, n);
	if (pick < -1)
		return pick;
	if (pick >= 0) {
		if (h[pick].kind == FH_XATTR && h[pick].value)
			r->known = &h[pick];
		rc = find_db_candidates(r->db, &h[pick], r->needs, on_candidate,
					r);
		r->known = NULL;
		return rc;
	}
	rc = find_db_stat(r->db, r->start_ino, &f);
	if (rc < 0 || !S_ISDIR(f.mode) || r->q.maxdepth == 0)
		return rc;
	if (r->start_ino == 1 && (r->q.maxdepth < 0 || r->q.maxdepth > 2)) {
		if (r->explain)
			fprintf(stderr, PROG ": scanning every entry\n");
		return find_db_scan(r->db, r->needs, on_candidate, r);
	}
	if (r->explain)
		fprintf(stderr, PROG ": walking the tree from %s\n",
			r->t.fs_path);
	return walk(r, r->start_ino, "", 0);
}

/* --- --since ------------------------------------------------------------ */

/*
 * Checks the cursor against the journal j: returns 0 with *after set to
 * its id, or exits with the status that says why it cannot be used.
 */
static void check_cursor(struct run *r, const struct find_db_journal *j,
			 int64_t *after)
{
	char uuid[JR_UUID_LEN + 1], msg[256];
	int64_t id, stamp, t = 0;
	int rc;

	if (jr_cursor_parse(r->since, uuid, &id, &stamp) < 0)
		die(JR_EXIT_USAGE, "--since %s: not a cursor (UUID:ID:STAMP)",
		    r->since);
	rc = jr_cursor_check(uuid, id, j->uuid, j->start, j->next, msg,
			     sizeof(msg));
	if (!rc && id > 0 && id >= j->start) {
		rc = find_db_event_time(r->db, id, &t);
		if (rc < 0 && rc != -ENOENT)
			die(JR_EXIT_ERROR, "%s: %s", r->t.db_path,
			    find_db_error(r->db));
		rc = jr_cursor_stamp(id, stamp, rc == 0, t, msg, sizeof(msg));
	}
	if (rc)
		die(rc, "%s: %s", r->t.db_path, msg);
	*after = id;
}

static int is_start(void *ctx, int64_t ino, uint32_t type, unsigned reasons)
{
	const struct run *r = ctx;

	(void) type;
	(void) reasons;
	return ino == r->start_ino;
}

/* Prints the cursor that resumes after the newest event of j. */
static void put_cursor(struct run *r, const struct find_db_journal *j)
{
	char cursor[JR_CURSOR_MAX];
	int64_t t = 0;

	if (j->next - 1 >= j->start && j->next > 1 &&
	    find_db_event_time(r->db, j->next - 1, &t) < 0)
		t = 0;
	jr_cursor_format(cursor, j->uuid, j->next - 1, t);
	if (r->json)
		printf("{\"cursor\": \"%s\"}\n", cursor);
	else
		fprintf(stderr, "cursor %s\n", cursor);
}

/* The query with --since, in the open transaction. */
static int query_since(struct run *r)
{
	struct find_db_journal j;
	int64_t after;
	int rc = find_db_journal(r->db, &j);

	if (rc < 0)
		return rc;
	check_cursor(r, &j, &after);
	rc = find_db_events(r->db, after, j.next - 1, is_start, r);
	if (rc > 0)
		rc = visit_start(r);
	if (rc >= 0)
		rc = find_db_changed(r->db, after, j.next - 1, on_candidate, r);
	if (rc >= 0)
		put_cursor(r, &j);
	return rc;
}

/* --- --follow ----------------------------------------------------------- */

/*
 * The live query keeps its matches, as printed paths with their inodes,
 * in a chained hash table.  Each poll takes the journal's events after
 * the last one seen, in one short transaction: the matches of an inode
 * an event names are taken out and its names evaluated again; after a
 * directory was renamed or removed every match is looked up again by its
 * path (names under it moved), and a renamed directory's subtree is
 * walked.  What the evaluation prints now and did not before is "+ PATH",
 * what it printed before and not now "- PATH".
 */

/* How long the live query sleeps between polls of the journal. */
#define FOLLOW_POLL_MS 250

struct pent {
	char *path;
	int64_t ino;
	struct pent *next;
};

struct pathset {
	struct pent **b;
	size_t nb;
	size_t count;
};

/* The link that points at path's entry, or the NULL that would. */
static struct pent **ps_slot(const struct pathset *ps, const char *path)
{
	uint64_t h = 1469598103934665603ULL;
	struct pent **p;

	for (const char *c = path; *c; c++)
		h = (h ^ (unsigned char) *c) * 1099511628211ULL;
	for (p = &ps->b[h % ps->nb]; *p; p = &(*p)->next)
		if (!strcmp((*p)->path, path))
			break;
	return p;
}

static struct pent *ps_get(const struct pathset *ps, const char *path)
{
	return ps->nb ? *ps_slot(ps, path) : NULL;
}

static void ps_grow(struct pathset *ps)
{
	struct pathset n = {NULL, ps->nb ? 2 * ps->nb : 256, ps->count};
	size_t i;

	n.b = calloc(n.nb, sizeof(*n.b));
	if (!n.b)
		die(JR_EXIT_ERROR, "out of memory");
	for (i = 0; i < ps->nb; i++) {
		struct pent *e, *next;

		for (e = ps->b[i]; e; e = next) {
			next = e->next;
			e->next = NULL;
			*ps_slot(&n, e->path) = e;
		}
	}
	free(ps->b);
	*ps = n;
}

/* Adds path (copied) unless it is there. */
static void ps_add(struct pathset *ps, const char *path, int64_t ino)
{
	struct pent **slot, *e;

	if (ps->count >= ps->nb)
		ps_grow(ps);
	slot = ps_slot(ps, path);
	if (*slot)
		return;
	e = xmalloc(sizeof(*e));
	e->path = xstrdup(path);
	e->ino = ino;
	e->next = NULL;
	*slot = e;
	ps->count++;
}

static void ps_free(struct pathset *ps)
{
	size_t i;

	for (i = 0; i < ps->nb; i++) {
		struct pent *e, *next;

		for (e = ps->b[i]; e; e = next) {
			next = e->next;
			free(e->path);
			free(e);
		}
	}
	free(ps->b);
	memset(ps, 0, sizeof(*ps));
}

/* The events of one poll. */
struct batch {
	struct dirs changed; /* the inodes events name (as a set) */
	int64_t *inos;	     /* the same, in order */
	size_t n;
	int64_t *moved; /* directories renamed: their subtrees moved */
	size_t nmoved;
	int recheck; /* a directory was renamed or removed */
};

static void push(int64_t **v, size_t *n, int64_t x)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (!*v)
		die(JR_EXIT_ERROR, "out of memory");
	(*v)[(*n)++] = x;
}

static int on_event(void *ctx, int64_t ino, uint32_t type, unsigned reasons)
{
	struct batch *b = ctx;

	if (!dir_get(&b->changed, ino)) {
		dir_add(&b->changed, ino);
		push(&b->inos, &b->n, ino);
	}
	if (S_ISDIR(type) && reasons & (JR_RENAMED | JR_REMOVED))
		b->recheck = 1;
	if (S_ISDIR(type) && reasons & JR_RENAMED)
		push(&b->moved, &b->nmoved, ino);
	return 0;
}

/* Whether the printed path of match e still names its inode. */
static int still_there(struct run *r, const struct pent *e)
{
	size_t lp = strlen(r->t.prefix);
	const char *rel = e->path + lp;
	char *copy, *save = NULL, *c;
	int64_t ino = r->start_ino;
	int rc = 0;

	if (!*rel)
		return 1;
	if (*rel == '/' && (!lp || r->t.prefix[lp - 1] != '/'))
		rel++;
	copy = xstrdup(rel);
	for (c = strtok_r(copy, "/", &save); c && !rc;
	     c = strtok_r(NULL, "/", &save))
		rc = find_db_lookup(r->db, ino, c, &ino);
	free(copy);
	return !rc && ino == e->ino;
}

/* Takes out of matches into old what the batch may have changed. */
static void take_affected(struct run *r, struct pathset *matches,
			  struct pathset *old, const struct batch *b)
{
	size_t i;

	for (i = 0; i < matches->nb; i++) {
		struct pent **p = &matches->b[i];

		while (*p) {
			struct pent *e = *p;

			if (!dir_get(&b->changed, e->ino) &&
			    !(b->recheck && !still_there(r, e))) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			matches->count--;
			ps_add(old, e->path, e->ino);
			free(e->path);
			free(e);
		}
	}
}

/* Evaluates again, into r->collect, what the batch names. */
static int reevaluate(struct run *r, const struct batch *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < b->n && rc >= 0; i++) {
		rc = b->inos[i] == r->start_ino
			     ? visit_start(r)
			     : find_db_names(r->db, b->inos[i], on_candidate,
					     r);
	}
	for (i = 0; i < b->nmoved && rc >= 0; i++) {
		struct dir *d = place(r, b->moved[i], 0);

		if (!d)
			return r->err == -ENOENT ? 0 : r->err;
		if (d->under && (r->q.maxdepth < 0 || d->depth < r->q.maxdepth))
			rc = walk(r, b->moved[i], d->rel, d->depth);
	}
	return rc;
}

static void put_change(const struct run *r, char sign, const struct pent *e)
{
	if (!r->json) {
		printf("%c %s\n", sign, e->path);
		return;
	}
	printf("{\"change\": \"%c\", \"path\": ", sign);
	json_string(e->path);
	printf(", \"ino\": %" PRId64 "}\n", e->ino);
}

/* Prints the differences of old and now, and puts now into matches. */
static void report(const struct run *r, struct pathset *matches,
		   struct pathset *old, struct pathset *now)
{
	size_t i;

	for (i = 0; i < old->nb; i++)
		for (struct pent *e = old->b[i]; e; e = e->next)
			if (!ps_get(now, e->path))
				put_change(r, '-', e);
	for (i = 0; i < now->nb; i++)
		for (struct pent *e = now->b[i]; e; e = e->next) {
			if (!ps_get(old, e->path) && !ps_get(matches, e->path))
				put_change(r, '+', e);
			ps_add(matches, e->path, e->ino);
		}
}

static void batch_free(struct batch *b)
{
	dirs_free(&b->changed);
	free(b->inos);
	free(b->moved);
}

/*
 * One poll: the events after *pos, in one transaction, and what they
 * changed printed.  Exits 3 when events after *pos were trimmed.
 */
static int follow_poll(struct run *r, struct pathset *matches, int64_t *pos)
{
	struct pathset old = {NULL, 0, 0}, now = {NULL, 0, 0};
	struct batch b = {{NULL, 0, 0}, NULL, 0, NULL, 0, 0};
	struct find_db_journal j;
	int rc = find_db_begin(r->db);

	if (rc == 0)
		rc = find_db_journal(r->db, &j);
	if (rc < 0 || j.next - 1 <= *pos)
		goto out_end;
	if (*pos + 1 < j.start)
		die(JR_EXIT_INCOMPLETE,
		    "%s: history incomplete: the oldest event kept is %" PRId64
		    ", after %" PRId64 "; rescan",
		    r->t.db_path, j.start, *pos + 1);
	rc = find_db_events(r->db, *pos, j.next - 1, on_event, &b);
	dirs_free(&r->dirs); /* directories may have moved */
	if (rc == 0)
		take_affected(r, matches, &old, &b);
	r->collect = &now;
	if (rc == 0)
		rc = reevaluate(r, &b);
	r->collect = NULL;
	if (rc == 0) {
		report(r, matches, &old, &now);
		*pos = j.next - 1;
	}
	ps_free(&old);
	ps_free(&now);
	batch_free(&b);
out_end:
	find_db_end(r->db);
	return rc;
}

/*
 * --follow: the matches, from the transaction open_run() opened together
 * with the newest event id, then the changes as they commit.  Returns
 * -errno; runs until killed otherwise.
 */
static int find_follow(struct run *r)
{
	struct pathset matches = {NULL, 0, 0};
	struct find_db_journal j;
	int64_t pos;
	int rc;

	if (r->since)
		die(JR_EXIT_USAGE, "--follow and --since exclude each other");
	rc = find_db_journal(r->db, &j);
	r->collect = &matches;
	r->print_too = 1;
	if (rc == 0)
		rc = query(r);
	r->collect = NULL;
	r->print_too = 0;
	find_db_end(r->db);
	pos = j.next - 1;
	while (rc == 0) {
		struct timespec ts = {0, FOLLOW_POLL_MS * 1000000L};

		if (fflush(stdout) == EOF)
			die(JR_EXIT_ERROR, "standard output: %s",
			    strerror(errno));
		nanosleep(&ts, NULL);
		rc = follow_poll(r, &matches, &pos);
	}
	ps_free(&matches);
	return rc;
}

/* --- the target --------------------------------------------------------- */

/* What mountinfo_each() looks for: the longest sqlitefs mount of path. */
struct mount_search {
	const char *path;
	size_t best;
	char *point;
	char *source;
};

/* Whether path is point or under it. */
static int under(const char *path, const char *point)
{
	size_t n = strlen(point);

	if (!strcmp(point, "/"))
		return 1;
	return !strncmp(path, point, n) && (path[n] == '/' || !path[n]);
}

static int on_mount(const char *point, const char *type, const char *source,
		    void *ctx)
{
	struct mount_search *m = ctx;

	if (under(m->path, point) && strlen(point) >= m->best) {
		free(m->point);
		free(m->source);
		m->point = m->source = NULL;
		m->best = strlen(point);
		if (!strcmp(type, "fuse.sqlitefs")) {
			m->point = xstrdup(point);
			m->source = xstrdup(source);
		}
	}
	return 0;
}

/* The last component of path ("/" for "/"), a malloc'd string. */
static char *base_of(const char *path)
{
	size_t n = strlen(path);
	const char *s;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (s = path + n; s > path && s[-1] != '/'; s--)
		;
	if (s == path + n)
		return xstrdup(path[0] ? "/" : "");
	return strndup(s, (size_t) (path + n - s));
}

/*
 * The real path of file without following its last component (find's
 * -newer does not follow a symbolic link): a malloc'd string or NULL.
 */
static char *real_parent(const char *file)
{
	char *copy = xstrdup(file), *slash = strrchr(copy, '/'), *dir, *p;
	const char *name = slash ? slash + 1 : copy;

	if (slash)
		*slash = '\0';
	dir = realpath(slash ? (copy[0] ? copy : "/") : ".", NULL);
	p = dir && *name && strcmp(name, ".") && strcmp(name, "..")
		    ? join(strcmp(dir, "/") ? dir : "", name)
		    : NULL;
	if (dir && !p)
		p = realpath(file, NULL);
	free(dir);
	free(copy);
	return p;
}

/*
 * Fills t from the command line's first argument (and --root): exits 2
 * when it is neither a database file nor inside a sqlitefs mount.
 */
static void find_target(struct target *t, const char *arg, const char *root)
{
	struct mount_search m = {NULL, 0, NULL, NULL};
	struct stat st;
	char *real;

	if (stat(arg, &st) < 0 && lstat(arg, &st) < 0)
		die(JR_EXIT_ERROR, "%s: %s", arg, strerror(errno));
	/* find starts at a symbolic link itself, unless PATH ends in / */
	real = arg[0] && arg[strlen(arg) - 1] == '/' ? realpath(arg, NULL)
						     : real_parent(arg);
	if (!real)
		die(JR_EXIT_ERROR, "%s: %s", arg, strerror(errno));
	m.path = real;
	if (mountinfo_each(on_mount, &m) < 0)
		die(JR_EXIT_ERROR, "cannot read /proc/self/mountinfo");
	if (m.point) {
		if (root)
			die(JR_EXIT_USAGE,
			    "--root is for a database file, not a "
			    "path in a mount");
		t->db_path = m.source;
		t->mount = m.point;
		t->fs_path = xstrdup(
			real + (strcmp(m.point, "/") ? strlen(m.point) : 0));
		if (!t->fs_path[0]) {
			free(t->fs_path);
			t->fs_path = xstrdup("/");
		}
		t->prefix = xstrdup(arg);
		t->base = base_of(arg);
	} else if (S_ISREG(st.st_mode)) {
		free(m.source);
		t->db_path = xstrdup(arg);
		t->fs_path = xstrdup(root ? root : "/");
		if (t->fs_path[0] != '/')
			die(JR_EXIT_USAGE, "--root %s: not an absolute path",
			    root);
		t->prefix = xstrdup(t->fs_path);
		t->base = base_of(t->fs_path);
	} else {
		die(JR_EXIT_USAGE,
		    "%s: neither a database file nor inside a sqlitefs mount",
		    arg);
	}
	free(real);
}

static void target_free(struct target *t)
{
	free(t->db_path);
	free(t->fs_path);
	free(t->prefix);
	free(t->base);
	free(t->mount);
}

/* The inode of path (absolute in the filesystem) into *ino. */
static int lookup_path(struct find_db *db, const char *path, int64_t *ino)
{
	char *copy = xstrdup(path), *save = NULL, *c;
	int rc = 0;

	*ino = 1;
	for (c = strtok_r(copy, "/", &save); c && !rc;
	     c = strtok_r(NULL, "/", &save))
		if (strcmp(c, "."))
			rc = find_db_lookup(db, *ino, c, ino);
	free(copy);
	return rc;
}

/* -newer FILE: from the database when FILE is in the mount, else lstat. */
static int newer_mtime(void *ctx, const char *file, int64_t *ns)
{
	struct run *r = ctx;
	struct find_file f;
	struct stat st;
	char *real;
	int rc;

	real = r->t.mount ? real_parent(file) : NULL;
	if (real && under(real, r->t.mount)) {
		rc = lookup_path(r->db,
				 real + (strcmp(r->t.mount, "/")
						 ? strlen(r->t.mount)
						 : 0),
				 &f.ino);
		if (rc == 0)
			rc = find_db_stat(r->db, f.ino, &f);
		free(real);
		*ns = f.mtime;
		return rc;
	}
	free(real);
	if (lstat(file, &st) < 0)
		return -errno;
	*ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

/* --- main --------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs("usage: " PROG " [OPTIONS] DATABASE|PATH [EXPRESSION]\n"
	      "       " PROG " --add-index SPEC | --drop-index SPEC | "
	      "--list-indexes DATABASE|PATH\n\n"
	      "Searches a sqlitefs filesystem as find(1) does, from its "
	      "indexes where it can,\ncurrent to the last commit.  PATH is "
	      "a path in a sqlitefs mount: the output is\nthat of find "
	      "PATH EXPRESSION.\n\n"
	      "    --json            one JSON object per match (path, ino, "
	      "type, mode, nlink,\n"
	      "                      uid, gid, size, mtime in ns)\n"
	      "    --root DIR        start at DIR of a database file (default "
	      "/)\n"
	      "    --since CURSOR    only files changed since the journal "
	      "cursor; prints the\n"
	      "                      cursor to resume from on stderr (--json: "
	      "last object)\n"
	      "    --follow          print the matches, then \"+ PATH\" and "
	      "\"- PATH\" as files\n"
	      "                      start and stop matching\n"
	      "    --explain         say on stderr how the query is answered\n"
	      "    --queries         answer the expressions of standard input, "
	      "one per line\n"
	      "                      as a JSON array of words ([\"-name\", "
	      "\"*.c\"]); each answer\n"
	      "                      ends with an empty line (-print0: an "
	      "empty record;\n"
	      "                      --json: an object with \"end\")\n"
	      "    --add-index SPEC, --drop-index SPEC, --list-indexes\n"
	      "                      SPEC: name, size, mtime or xattr:NAME\n"
	      "    -h, --help        this help\n\n"
	      "Tests: -name -iname -path -ipath -type -size -mtime -mmin "
	      "-newer -user -group\n-uid -gid -perm -links -inum -empty "
	      "-xattr NAME[=VALUE] -true -false;\noperators ( ) ! -not -a "
	      "-and -o -or; -maxdepth -mindepth; -print -print0.\n\n"
	      "Exit status: 0 done, 1 error, 2 usage, 3 cursor too old "
	      "(history incomplete),\n4 cursor of another filesystem, 5 "
	      "cursor ahead of the journal.\n",
	      out);
}

/* The options before DATABASE|PATH. */
struct opts {
	const char *root;
	const char *since;
	const char *index_add;
	const char *index_drop;
	int list_indexes;
	int json;
	int follow;
	int explain;
	int queries;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, 'j'},
		{"root", required_argument, NULL, 'r'},
		{"since", required_argument, NULL, 's'},
		{"follow", no_argument, NULL, 'f'},
		{"explain", no_argument, NULL, 'e'},
		{"queries", no_argument, NULL, 'Q'},
		{"add-index", required_argument, NULL, 'A'},
		{"drop-index", required_argument, NULL, 'D'},
		{"list-indexes", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 's':
			o->since = optarg;
			break;
		case 'f':
			o->follow = 1;
			break;
		case 'e':
			o->explain = 1;
			break;
		case 'Q':
			o->queries = 1;
			break;
		case 'A':
			o->index_add = optarg;
			break;
		case 'D':
			o->index_drop = optarg;
			break;
		case 'L':
			o->list_indexes = 1;
			break;
		case 'h':
			usage(stdout);
			exit(JR_EXIT_OK);
		default:
			fputs("Try '" PROG " --help'.\n", stderr);
			exit(JR_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		die(JR_EXIT_USAGE, "missing DATABASE or PATH (try --help)");
}

/* Opens the database and finds the starting point, in a transaction. */
/*
 * Starts a query: a read transaction, the starting point in it, and the
 * times of -newer.  0, or -errno with err saying why (the transaction
 * ended).
 */
static int start_query(struct run *r, char *err, size_t errsz)
{
	const char *failed = NULL;
	int rc = find_db_begin(r->db);

	if (rc == 0)
		rc = lookup_path(r->db, r->t.fs_path, &r->start_ino);
	if (rc == -ENOENT)
		snprintf(err, errsz,
			 "%s: not in the database (not committed "
			 "yet?)",
			 r->t.prefix);
	else if (rc == 0)
		rc = find_resolve_newer(&r->q, newer_mtime, r, &failed);
	if (rc < 0 && failed)
		snprintf(err, errsz, "-newer %s: %s", failed, strerror(-rc));
	else if (rc < 0 && rc != -ENOENT)
		snprintf(err, errsz, "%s: %s", r->t.db_path,
			 find_db_error(r->db));
	if (rc < 0)
		find_db_end(r->db);
	return rc;
}

/* Opens the database, and with q the query (--queries: NULL) starts it. */
static void open_run(struct run *r, int start)
{
	char err[512];
	int rc = find_db_open(r->t.db_path, &r->db, err, sizeof(err));

	if (rc < 0)
		die(JR_EXIT_ERROR, "%s: %s", r->t.db_path, err);
	if (start && start_query(r, err, sizeof(err)) < 0)
		die(JR_EXIT_ERROR, "%s", err);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Ends the answer of a --queries query: found its matches, or err. */
static void put_end(const struct run *r, const char *err)
{
	if (!r->json) {
		putchar(r->q.expr && r->q.print0 ? '\0' : '\n');
		return;
	}
	if (err) {
		fputs("{\"end\": true, \"error\": ", stdout);
		json_string(err);
		fputs("}\n", stdout);
		return;
	}
	printf("{\"end\": true, \"found\": %" PRId64 "}\n", r->printed);
}

/*
 * --queries: answers the queries of standard input, one JSON array of an
 * expression's words per line, each in a read transaction of its own
 * (current to the last commit), on the one connection: a process that
 * stays keeps the pages it read mapped, so a query after the first costs
 * what its SQL costs.  Each answer ends with an empty record (put_end());
 * a query that fails says why on stderr and in that record.  Returns 1
 * when a query failed, else 0.
 */
static int serve(struct run *r)
{
	char *line = NULL, err[512];
	size_t cap = 0;
	long lineno = 0;
	int failed = 0;

	while (getline(&line, &cap, stdin) >= 0) {
		char **words = NULL;
		int n = 0, rc;

		lineno++;
		err[0] = '\0';
		r->now = now_ns();
		r->printed = 0;
		r->err = 0;
		rc = find_words_json(line, &words, &n, err, sizeof(err));
		if (rc == -ENOMEM)
			die(JR_EXIT_ERROR, "out of memory");
		/* the query points into words: they go with it */
		if (rc == 0)
			rc = find_parse(n, words, r->now, &r->q, err,
					sizeof(err));
		if (rc == 0) {
			r->needs = r->json ? FIND_NEEDS_SIZE | FIND_NEEDS_MODE
					   : find_needs(&r->q);
			rc = start_query(r, err, sizeof(err));
		}
		if (rc == 0) {
			rc = query(r);
			if (rc < 0)
				snprintf(err, sizeof(err), "%s: %s",
					 r->t.db_path,
					 rc == -EIO || rc == -EBUSY
						 ? find_db_error(r->db)
						 : strerror(-rc));
			find_db_end(r->db);
			dirs_free(&r->dirs);
		}
		if (rc < 0) {
			fprintf(stderr, PROG ": query %ld: %s\n", lineno, err);
			failed = 1;
		}
		put_end(r, rc < 0 ? err : NULL);
		find_free(&r->q);
		find_words_free(words, n);
		if (fflush(stdout) == EOF || ferror(stdout))
			die(JR_EXIT_ERROR, "standard output: %s",
			    strerror(errno));
	}
	free(line);
	if (ferror(stdin))
		die(JR_EXIT_ERROR, "standard input: %s", strerror(errno));
	return failed;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct run r = {0};
	char err[512];
	int rc;

	r.now = now_ns();
	parse_opts(argc, argv, &o);
	if (o.index_add || o.index_drop || o.list_indexes)
		return find_index_main(argv[optind], o.index_add, o.index_drop,
				       optind + 1 < argc);
	if (o.queries && (o.follow || o.since || optind + 1 < argc))
		die(JR_EXIT_USAGE, "--queries takes its expressions from "
				   "standard input, without --follow or "
				   "--since (try --help)");
	if (!o.queries && find_parse(argc - optind - 1, argv + optind + 1,
				     r.now, &r.q, err, sizeof(err)) < 0)
		die(JR_EXIT_USAGE, "%s", err);
	find_target(&r.t, argv[optind], o.root);
	r.json = o.json;
	r.explain = o.explain;
	/* --json prints every field */
	r.needs = r.json ? FIND_NEEDS_SIZE | FIND_NEEDS_MODE : find_needs(&r.q);
	r.since = o.since;
	r.env = (struct find_env){&r, env_xattr, env_dir_empty, print_file};
	open_run(&r, !o.queries);
	if (o.queries) {
		rc = serve(&r);
		find_db_close(r.db);
		target_free(&r.t);
		return rc ? JR_EXIT_ERROR : JR_EXIT_OK;
	}
	if (o.follow)
		rc = find_follow(&r);
	else
		rc = r.since ? query_since(&r) : query(&r);
	find_db_end(r.db);
	if (rc < 0)
		die(JR_EXIT_ERROR, "%s: %s", r.t.db_path,
		    rc == -EIO || rc == -EBUSY ? find_db_error(r.db)
					       : strerror(-rc));
	if (fflush(stdout) == EOF || ferror(stdout))
		die(JR_EXIT_ERROR, "standard output: %s", strerror(errno));
	find_db_close(r.db);
	dirs_free(&r.dirs);
	find_free(&r.q);
	target_free(&r.t);
	return JR_EXIT_OK;
}
