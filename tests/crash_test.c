/*
 * crash_test.c - kill -9 the daemon mid-workload, then check nothing is lost
 *
 * One filesystem lives through every cycle.  A cycle: a workload process
 * runs seeded random operations on the mount (replace files by write,
 * fsync, rename; overwrite pages of a file in place; move a file between
 * two directories; add and remove a hard link; make and remove a
 * directory holding a file; set an xattr; unlink a file still open) and
 * calls fsync at sync points; the test SIGKILLs the daemon at a random
 * moment, then the workload.  Then, on the crashed database:
 *  - fsck.sqlitefs -n must exit 0 (orphans are allowed, damage is not);
 *  - PRAGMA integrity_check and foreign_key_check must be clean;
 * and on a remount, every object must be in a state its operations can
 * explain:
 *  - what was durable (synced) must be there byte for byte, or a later
 *    state;
 *  - nothing half done: a replaced file is one whole version, each page of
 *    the in-place file one whole write, the moved file in exactly one of
 *    its directories, a hard link's count equal to its names.
 * And the change journal must agree with the tree: read from the crashed
 * database, ids run without a gap from journal_start and never go back,
 * every difference between the tree at the previous crash and now has an
 * event since the cursor of then, and every such event a change that is
 * there (see journal_cycle()).
 * The workload writes down, in memory shared with this process, which
 * state each object reached before and after each call, and which states
 * a returned fsync made durable.  Some cycles use -o commit=1, so kills
 * also land in timer commits; every tenth cycle unmounts cleanly and
 * requires fsck to find not even an orphan.
 *
 * With --powerloss the daemon runs with tests/faultvfs.c preloaded
 * (FAULTVFS=powerloss) and, instead of SIGKILL, gets SIGUSR1: at its next
 * write or sync SQLite's files lose every write not yet synced (the last
 * one maybe torn) and it exits, as at a power failure.  The checks are
 * the same: fsync's promise is about what reached the disk.
 *
 * Usage: crash_test [--seed S] [--cycles N] [--seconds T] [--powerloss]
 * CI runs a bounded budget (--seconds); run longer by hand.  On failure it
 * prints "replay: crash_test --seed S --cycles N".  Prints TAP.
 * Environment: SQLITEFS, MKFS, FSCK.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "journal.h"
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define NREP 8	  /* files replaced by rename */
#define NPAGE 64  /* pages of the file overwritten in place */
#define PAGE 4096 /* bytes per page */
#define NDIR 4	  /* directories made and removed */
#define MAXREP (96 * 1024)

/* One object's history: states are numbered by the operations on it. */
struct hist {
	uint32_t attempt; /* highest state an operation was started for */
	uint32_t done;	  /* state the last returned operation reached */
	uint32_t durable; /* state a returned sync made durable */
};

/* Shared between the workload and the checker; survives the workload. */
struct shared {
	struct hist rep[NREP];	 /* version of r<i> */
	struct hist page[NPAGE]; /* write sequence of each page of p */
	struct hist move;	 /* renames of m: even in a/, odd in b/ */
	struct hist link;	 /* link toggles of l: odd when l2 exists */
	struct hist dir[NDIR];	 /* steps of d<i>: see dir_state() */
	struct hist xattr;	 /* value of user.seq on x */
	uint64_t ops;		 /* operations returned */
};

static struct shared *sh;
static struct mnt m;
static const char *fsck_bin;
static int powerloss;	    /* --powerloss */
static long power_failures; /* daemons that lost unsynced writes */
static long total_ops, lost_bytes, integrity_errors, fsck_findings;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Deterministic bytes for (kind, a, b), with a and b in the first 8. */
static void gen(char *buf, size_t len, uint32_t kind, uint32_t a, uint32_t b)
{
	uint64_t s = mix(((uint64_t) kind << 48) ^ ((uint64_t) a << 32) ^ b);
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			s = mix(s + i);
		buf[i] = (char) (s >> (8 * (i % 8)));
	}
	if (len >= 8) {
		memcpy(buf, &a, 4);
		memcpy(buf + 4, &b, 4);
	}
}

static size_t rep_size(uint32_t i, uint32_t v)
{
	return 8 + mix(((uint64_t) i << 32) | v) % MAXREP;
}

static void begin(struct hist *h, uint32_t state)
{
	__atomic_store_n(&h->attempt, state, __ATOMIC_SEQ_CST);
}

static void finish(struct hist *h, uint32_t state)
{
	__atomic_store_n(&h->done, state, __ATOMIC_SEQ_CST);
}

/* --- the workload (a child process, killed) ---------------------------- */

/* Exits the workload: the daemon is gone (ENOTCONN) or a call failed. */
static void must(int ok)
{
	if (!ok)
		_exit(0);
}

static void sync_point(int pfd, int xfd)
{
	const char *dirs[] = {"", "a", "b"};
	struct shared snap;
	size_t i;
	int fd;

	memcpy(&snap, sh, sizeof(snap)); /* what returned before the sync */
	must(fsync(pfd) == 0);
	must(fsync(xfd) == 0);
	for (i = 0; i < 3; i++) {
		fd = open(mp(&m, dirs[i]), O_RDONLY | O_DIRECTORY);
		must(fd >= 0);
		must(fsync(fd) == 0);
		close(fd);
	}
	for (i = 0; i < NREP; i++)
		sh->rep[i].durable = snap.rep[i].done;
	for (i = 0; i < NPAGE; i++)
		sh->page[i].durable = snap.page[i].done;
	for (i = 0; i < NDIR; i++)
		sh->dir[i].durable = snap.dir[i].done;
	sh->move.durable = snap.move.done;
	sh->link.durable = snap.link.done;
	sh->xattr.durable = snap.xattr.done;
}

static void op_replace(unsigned *seed)
{
	static char buf[MAXREP + 8];
	uint32_t i = (uint32_t) rand_r(seed) % NREP;
	uint32_t v = sh->rep[i].attempt + 1;
	size_t len = rep_size(i, v);
	char tmp[32], name[32];
	int fd;

	snprintf(tmp, sizeof(tmp), "r%u.tmp", i);
	snprintf(name, sizeof(name), "r%u", i);
	gen(buf, len, 1, i, v);
	begin(&sh->rep[i], v);
	fd = open(mp(&m, tmp), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0);
	must(write(fd, buf, len) == (ssize_t) len);
	must(fsync(fd) == 0);
	close(fd);
	must(rename(mp(&m, tmp), mp(&m, name)) == 0);
	finish(&sh->rep[i], v);
}

static void op_pages(unsigned *seed, int pfd)
{
	static char buf[4 * PAGE];
	uint32_t first = (uint32_t) rand_r(seed) % NPAGE, n, k;

	n = 1 + (uint32_t) rand_r(seed) % 4;
	if (first + n > NPAGE)
		n = NPAGE - first;
	for (k = 0; k < n; k++) {
		struct hist *h = &sh->page[first + k];

		gen(buf + k * PAGE, PAGE, 2, first + k, h->attempt + 1);
		begin(h, h->attempt + 1);
	}
	must(pwrite(pfd, buf, n * PAGE, (off_t) first * PAGE) ==
	     (ssize_t) (n * PAGE));
	for (k = 0; k < n; k++)
		finish(&sh->page[first + k], sh->page[first + k].attempt);
}

static void op_move(void)
{
	uint32_t n = sh->move.attempt + 1;

	begin(&sh->move, n);
	must(rename(mp(&m, n % 2 ? "a/m" : "b/m"),
		    mp(&m, n % 2 ? "b/m" : "a/m")) == 0);
	finish(&sh->move, n);
}

static void op_link(void)
{
	uint32_t n = sh->link.attempt + 1;

	begin(&sh->link, n);
	if (n % 2)
		must(link(mp(&m, "l"), mp(&m, "a/l2")) == 0);
	else
		must(unlink(mp(&m, "a/l2")) == 0);
	finish(&sh->link, n);
}

/*
 * Directory d<i> after step t: t % 4 == 0 absent, 1 empty, 2 holding
 * file f, 3 empty again (f unlinked), then removed.
 */
static void op_dir(unsigned *seed)
{
	uint32_t i = (uint32_t) rand_r(seed) % NDIR;
	struct hist *h = &sh->dir[i];
	uint32_t t = h->attempt + 1;
	char d[32], f[32], buf[PAGE];
	int fd;

	snprintf(d, sizeof(d), "d%u", i);
	snprintf(f, sizeof(f), "d%u/f", i);
	begin(h, t);
	switch (t % 4) {
	case 1:
		must(mkdir(mp(&m, d), 0755) == 0);
		break;
	case 2:
		gen(buf, sizeof(buf), 3, i, t);
		fd = open(mp(&m, f), O_WRONLY | O_CREAT | O_EXCL, 0644);
		must(fd >= 0);
		must(write(fd, buf, sizeof(buf)) == (ssize_t) sizeof(buf));
		close(fd);
		break;
	case 3:
		must(unlink(mp(&m, f)) == 0);
		break;
	case 0:
		must(rmdir(mp(&m, d)) == 0);
		break;
	}
	finish(h, t);
}

static void op_xattr(void)
{
	uint32_t s = sh->xattr.attempt + 1;
	char v[16];

	snprintf(v, sizeof(v), "%u", s);
	begin(&sh->xattr, s);
	must(setxattr(mp(&m, "x"), "user.seq", v, strlen(v), 0) == 0);
	finish(&sh->xattr, s);
}

/* A file unlinked while open: an orphan if the daemon dies now. */
static void op_orphan(int *ofd)
{
	char buf[PAGE];

	if (*ofd >= 0)
		close(*ofd);
	*ofd = open(mp(&m, "o"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(*ofd >= 0);
	memset(buf, 'o', sizeof(buf));
	must(write(*ofd, buf, sizeof(buf)) == (ssize_t) sizeof(buf));
	must(unlink(mp(&m, "o")) == 0);
	must(write(*ofd, buf, sizeof(buf)) == (ssize_t) sizeof(buf));
}

static void workload(unsigned seed)
{
	int pfd = open(mp(&m, "p"), O_RDWR);
	int xfd = open(mp(&m, "x"), O_RDONLY);
	int ofd = -1;

	must(pfd >= 0 && xfd >= 0);
	for (;;) {
		int r = rand_r(&seed) % 100;

		if (r < 28)
			op_replace(&seed);
		else if (r < 58)
			op_pages(&seed, pfd);
		else if (r < 66)
			op_move();
		else if (r < 74)
			op_link();
		else if (r < 84)
			op_dir(&seed);
		else if (r < 92)
			op_xattr();
		else if (r < 95)
			op_orphan(&ofd);
		else
			sync_point(pfd, xfd);
		__atomic_add_fetch(&sh->ops, 1, __ATOMIC_SEQ_CST);
	}
}

/* --- the checks -------------------------------------------------------- */

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	failures++;
}

/* Reads rel into buf (up to size); the length, or -1 if absent. */
static ssize_t slurp(const char *rel, char *buf, size_t size)
{
	int fd = open(mp(&m, rel), O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + total, size - (size_t) total)) > 0)
		total += n;
	close(fd);
	return n < 0 ? -2 : total;
}

static int exists(const char *rel)
{
	struct stat st;

	return lstat(mp(&m, rel), &st) == 0;
}

/* Whether state s is one the history can explain; then all are s. */
static int explain(struct hist *h, uint32_t s, const char *what, size_t bytes)
{
	if (s < h->durable || s > h->attempt) {
		fail("%s: state %u, durable %u, attempted %u", what, s,
		     h->durable, h->attempt);
		if (s < h->durable)
			lost_bytes += (long) bytes;
		return -1;
	}
	/* the next operations go on from the state found */
	h->attempt = h->durable = h->done = s;
	return 0;
}

static void check_replaced(void)
{
	static char buf[MAXREP + 16], want[MAXREP + 8];
	char name[32];
	uint32_t i, v;

	for (i = 0; i < NREP; i++) {
		struct hist *h = &sh->rep[i];
		ssize_t n;

		snprintf(name, sizeof(name), "r%u", i);
		n = slurp(name, buf, sizeof(buf));
		if (n < 0) {
			explain(h, 0, name,
				h->durable ? rep_size(i, h->durable) : 0);
			continue;
		}
		if (n < 8) {
			fail("%s: %zd bytes, not a whole version", name, n);
			continue;
		}
		memcpy(&v, buf + 4, 4);
		gen(want, rep_size(i, v), 1, i, v);
		if ((size_t) n != rep_size(i, v) ||
		    memcmp(buf, want, (size_t) n)) {
			fail("%s: not a whole version (%zd bytes, says %u)",
			     name, n, v);
			lost_bytes += (long) n;
			continue;
		}
		explain(h, v, name, (size_t) n);
	}
}

static void check_pages(void)
{
	static char buf[NPAGE * PAGE + 1], want[PAGE], zero[PAGE];
	char what[32];
	ssize_t n = slurp("p", buf, sizeof(buf));
	uint32_t k, s;

	if (n != NPAGE * PAGE) {
		fail("p: %zd bytes, want %d", n, NPAGE * PAGE);
		lost_bytes += NPAGE * PAGE;
		return;
	}
	for (k = 0; k < NPAGE; k++) {
		char *pg = buf + (size_t) k * PAGE;

		snprintf(what, sizeof(what), "p page %u", k);
		if (!memcmp(pg, zero, PAGE)) {
			explain(&sh->page[k], 0, what, PAGE);
			continue;
		}
		memcpy(&s, pg + 4, 4);
		gen(want, PAGE, 2, k, s);
		if (memcmp(pg, want, PAGE)) {
			fail("%s: not one whole write", what);
			lost_bytes += PAGE;
			continue;
		}
		explain(&sh->page[k], s, what, PAGE);
	}
}

/* The smallest state in [durable, attempt] of parity p, for toggles. */
static uint32_t with_parity(struct hist *h, uint32_t p, uint32_t period)
{
	uint32_t s;

	for (s = h->durable; s <= h->attempt; s++)
		if (s % period == p)
			return s;
	return UINT32_MAX;
}

static void check_move(void)
{
	static char buf[PAGE + 1], want[PAGE];
	int a = exists("a/m"), b = exists("b/m");

	if (a == b) {
		fail("m: in %s of a/ and b/", a ? "both" : "neither");
		lost_bytes += PAGE;
		return;
	}
	gen(want, PAGE, 4, 0, 0);
	if (slurp(a ? "a/m" : "b/m", buf, sizeof(buf)) != PAGE ||
	    memcmp(buf, want, PAGE)) {
		fail("m: content damaged");
		lost_bytes += PAGE;
	}
	explain(&sh->move, with_parity(&sh->move, a ? 0 : 1, 2), "m", PAGE);
}

static void check_link(void)
{
	struct stat l, l2;
	int two = lstat(mp(&m, "a/l2"), &l2) == 0;

	if (lstat(mp(&m, "l"), &l) < 0) {
		fail("l: missing");
		return;
	}
	if (l.st_nlink != (nlink_t) (1 + two))
		fail("l: nlink %lu with%s a second name",
		     (unsigned long) l.st_nlink, two ? "" : "out");
	if (two && l2.st_ino != l.st_ino)
		fail("a/l2: another inode than l");
	explain(&sh->link, with_parity(&sh->link, (uint32_t) two, 2), "l", 0);
}

/*
 * d<i> and d<i>/f: the file is made (empty) and written by two calls, so
 * it may be empty, else it holds the page of the step that made it (one
 * of several when no sync came between the toggles).
 */
static void check_dirs(void)
{
	char d[32], f[32], buf[PAGE + 1], want[PAGE];
	uint32_t i, s, t;
	struct stat st;

	for (i = 0; i < NDIR; i++) {
		struct hist *h = &sh->dir[i];
		ssize_t len = 0;
		int dir, file;

		snprintf(d, sizeof(d), "d%u", i);
		snprintf(f, sizeof(f), "d%u/f", i);
		dir = lstat(mp(&m, d), &st) == 0;
		if (dir && (!S_ISDIR(st.st_mode) || st.st_nlink != 2))
			fail("%s: not a directory of nlink 2", d);
		file = exists(f);
		s = !dir ? 0 : file ? 2 : 1;
		t = with_parity(h, s, 4);
		if (s == 1 && t == UINT32_MAX)
			t = with_parity(h, 3, 4);
		if (file)
			len = slurp(f, buf, sizeof(buf));
		if (file && len != 0) {
			for (; t <= h->attempt; t += 4) {
				gen(want, PAGE, 3, i, t);
				if (len == PAGE && !memcmp(buf, want, PAGE))
					break;
			}
			if (t > h->attempt) {
				fail("%s: %zd bytes, not the page of any step",
				     f, len);
				lost_bytes += PAGE;
				continue;
			}
		}
		explain(h, t, d, file ? PAGE : 0);
	}
}

static void check_xattr(void)
{
	char v[32];
	ssize_t n = getxattr(mp(&m, "x"), "user.seq", v, sizeof(v) - 1);

	if (n < 0) {
		explain(&sh->xattr, 0, "x user.seq", 0);
		return;
	}
	v[n] = '\0';
	explain(&sh->xattr, (uint32_t) strtoul(v, NULL, 10), "x user.seq",
		(size_t) n);
}

/* --- the change journal against the tree ------------------------------- */

/*
 * At each crash the database is read as it is (committed work only): the
 * tree (path -> inode, type, size, mtime) and the journal from the cursor
 * of the previous crash.  Between the two states the journal must say
 * exactly what changed: every difference has its event, every event its
 * change, and ids grow without gaps.
 */

#define JR_MOVED (JR_REMOVED | JR_RENAMED)
#define JNAME 128 /* longest path of the workload, with room */
#define JTREE 256 /* most names in the tree */

struct jnode {
	char path[JNAME];
	int64_t ino, type, size, mtime;
};

struct jevent {
	int64_t id, time, ino, reasons, parent, old_parent;
	char path[JNAME], old_path[JNAME]; /* "" for NULL */
};

/* The database at a crash: the tree, the journal's ids, new events. */
struct jstate {
	int n;
	struct jnode node[JTREE];
	int64_t start, next, count, min, max;
	int64_t newest_time; /* of event next - 1, 0 if none */
	int64_t cursor_time; /* of the previous newest, 0 if none */
	struct jevent *ev;   /* events from the previous cursor */
	size_t nev;
};

static struct jstate jstates[2], *jold;
static long journal_events;

static const char *field(char **line)
{
	const char *f = strsep(line, "|");

	return f ? f : "";
}

static int64_t num(char **line)
{
	return strtoll(field(line), NULL, 10);
}

static int copy_path(char *dst, const char *src)
{
	if (strlen(src) >= JNAME)
		return -1;
	strcpy(dst, src);
	return 0;
}

/* Reads the tree and the events from id from: 0, or -1 (a failure). */
static int journal_read(struct jstate *j, int64_t from)
{
	static char line[4096];
	char cmd[PATH_MAX + 2048];
	FILE *p;
	int st, bad = 0;

	snprintf(cmd, sizeof(cmd),
		 "sqlite3 -batch '%s' \"SELECT 'S', "
		 "(SELECT value FROM settings WHERE key = 'journal_start'), "
		 "(SELECT value FROM settings WHERE key = 'journal_next'), "
		 "count(*), ifnull(min(id), 0), ifnull(max(id), 0), "
		 "ifnull((SELECT time FROM journal WHERE id = (SELECT value "
		 "FROM settings WHERE key = 'journal_next') - 1), 0), "
		 "ifnull((SELECT time FROM journal WHERE id = %lld), 0) "
		 "FROM journal; "
		 "WITH RECURSIVE walk (path, ino) AS (SELECT '/', 1 UNION ALL "
		 "SELECT CASE walk.path WHEN '/' THEN '' ELSE walk.path END "
		 "|| '/' || d.name, d.ino FROM dentry d JOIN walk ON "
		 "d.parent = walk.ino JOIN inode i ON i.ino = walk.ino "
		 "WHERE (i.mode & 61440) = 16384) "
		 "SELECT 'T', w.path, w.ino, i.mode & 61440, i.size, i.mtime "
		 "FROM walk w JOIN inode i ON i.ino = w.ino; "
		 "SELECT 'E', id, time, ino, reasons, ifnull(parent, 0), "
		 "ifnull(path, ''), ifnull(old_parent, 0), "
		 "ifnull(old_path, '') FROM journal WHERE id >= %lld "
		 "ORDER BY id\"",
		 m.db, (long long) from - 1, (long long) from);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	free(j->ev);
	memset(j, 0, sizeof(*j));
	while (fgets(line, sizeof(line), p)) {
		char *l = line;
		const char *kind;

		l[strcspn(l, "\n")] = '\0';
		kind = field(&l);
		if (!strcmp(kind, "S")) {
			j->start = num(&l);
			j->next = num(&l);
			j->count = num(&l);
			j->min = num(&l);
			j->max = num(&l);
			j->newest_time = num(&l);
			j->cursor_time = num(&l);
		} else if (!strcmp(kind, "T") && j->n < JTREE) {
			struct jnode *t = &j->node[j->n++];

			bad |= copy_path(t->path, field(&l));
			t->ino = num(&l);
			t->type = num(&l);
			t->size = num(&l);
			t->mtime = num(&l);
		} else if (!strcmp(kind, "E")) {
			struct jevent *e;

			if (j->nev % 1024 == 0) {
				e = realloc(j->ev,
					    (j->nev + 1024) * sizeof(*e));
				if (!e)
					break;
				j->ev = e;
			}
			e = &j->ev[j->nev++];
			e->id = num(&l);
			e->time = num(&l);
			e->ino = num(&l);
			e->reasons = num(&l);
			e->parent = num(&l);
			bad |= copy_path(e->path, field(&l));
			e->old_parent = num(&l);
			bad |= copy_path(e->old_path, field(&l));
		} else {
			bad = 1;
		}
	}
	st = pclose(p);
	if (bad || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !j->next) {
		fail("journal: cannot read the database (sqlite3 exited %d)",
		     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

static const struct jnode *node_at(const struct jstate *j, const char *path)
{
	int i;

	for (i = 0; i < j->n; i++)
		if (!strcmp(j->node[i].path, path))
			return &j->node[i];
	return NULL;
}

static int has_ino(const struct jstate *j, int64_t ino)
{
	int i;

	for (i = 0; i < j->n; i++)
		if (j->node[i].ino == ino)
			return 1;
	return 0;
}

/* Whether a is p, or (up) a directory above it. */
static int at_or_above(const char *a, const char *p, int up)
{
	size_t n = strlen(a);

	if (!*a)
		return 0;
	if (!strcmp(a, p))
		return 1;
	if (!up)
		return 0;
	if (!strcmp(a, "/"))
		return 1;
	return !strncmp(a, p, n) && p[n] == '/';
}

/* The reasons of every new event of ino, or-ed. */
static int64_t reasons_of(const struct jstate *j, int64_t ino)
{
	int64_t r = 0;
	size_t i;

	for (i = 0; i < j->nev; i++)
		if (j->ev[i].ino == ino)
			r |= j->ev[i].reasons;
	return r;
}

/*
 * Whether the difference at path p (o before, n after, either NULL) has
 * an event: of its inode, at its path, or of a directory above it that
 * was moved or removed.
 */
static int covered(const struct jstate *j, const char *p, const struct jnode *o,
		   const struct jnode *n)
{
	size_t i;

	for (i = 0; i < j->nev; i++) {
		const struct jevent *e = &j->ev[i];

		if ((o && e->ino == o->ino) || (n && e->ino == n->ino))
			return 1;
		if (at_or_above(e->path, p, e->reasons & JR_MOVED) ||
		    at_or_above(e->old_path, p, e->reasons & JR_MOVED))
			return 1;
	}
	return 0;
}

/*
 * Whether a and b are the same state.  A directory's mtime (and size)
 * follow its entries, whose changes have their own events, but not
 * always one naming it: a name that came and went within a batch (m
 * moved from a/ to b/ and back) leaves an event of its inode's first and
 * last names only.
 */
static int same_node(const struct jnode *a, const struct jnode *b)
{
	if (a->ino != b->ino || a->type != b->type)
		return 0;
	return a->type == 040000 ||
	       (a->size == b->size && a->mtime == b->mtime);
}

/* Every difference between the trees o and n has its event in n's. */
static void journal_check_tree(const struct jstate *o, const struct jstate *n)
{
	int i, k;

	for (k = 0; k < 2; k++) {
		const struct jstate *a = k ? n : o;

		for (i = 0; i < a->n; i++) {
			const char *p = a->node[i].path;
			const struct jnode *before = node_at(o, p);
			const struct jnode *after = node_at(n, p);

			if (k && before)
				continue; /* seen from o */
			if (before && after && same_node(before, after))
				continue;
			if (!covered(n, p, before, after))
				fail("journal: %s changed (inode %lld size "
				     "%lld mtime %lld -> inode %lld size %lld "
				     "mtime %lld) without an event since %lld",
				     p, before ? (long long) before->ino : 0,
				     before ? (long long) before->size : 0,
				     before ? (long long) before->mtime : 0,
				     after ? (long long) after->ino : 0,
				     after ? (long long) after->size : 0,
				     after ? (long long) after->mtime : 0,
				     (long long) o->next);
		}
	}
}

/* Every new event describes a change that is there. */
static void journal_check_events(const struct jstate *o, const struct jstate *n)
{
	size_t i, k;

	for (i = 0; i < n->nev; i++) {
		const struct jevent *e = &n->ev[i];
		int64_t all = reasons_of(n, e->ino);
		int was = has_ino(o, e->ino), is = has_ino(n, e->ino);
		const struct jnode *t;
		int newest = 1;

		if (e->id != o->next + (int64_t) i)
			fail("journal: event %lld where %lld belongs",
			     (long long) e->id, (long long) o->next + (long) i);
		if ((e->reasons & JR_CREATED) && was)
			fail("journal: event %lld: inode %lld created, but it "
			     "was there before",
			     (long long) e->id, (long long) e->ino);
		if (!was && !(all & JR_CREATED))
			fail("journal: event %lld: inode %lld was not there "
			     "and was not created",
			     (long long) e->id, (long long) e->ino);
		if (!is && !(all & JR_REMOVED))
			fail("journal: event %lld: inode %lld is gone but was "
			     "not removed",
			     (long long) e->id, (long long) e->ino);
		if (!was && is && !(all & JR_CREATED))
			fail("journal: inode %lld appeared uncreated",
			     (long long) e->ino);
		for (k = i + 1; k < n->nev && newest; k++)
			newest = n->ev[k].ino != e->ino;
		if (!newest) /* only its newest event tells where it is */
			continue;
		t = e->path[0] ? node_at(n, e->path) : NULL;
		if (e->path[0] && (!t || t->ino != e->ino))
			fail("journal: event %lld: inode %lld at %s, which "
			     "holds %lld",
			     (long long) e->id, (long long) e->ino, e->path,
			     t ? (long long) t->ino : 0);
		if (!e->path[0] && is)
			fail("journal: event %lld: inode %lld without a name, "
			     "but it has one",
			     (long long) e->id, (long long) e->ino);
	}
	for (i = 0; i < (size_t) o->n; i++)
		if (!has_ino(n, o->node[i].ino) &&
		    !(reasons_of(n, o->node[i].ino) & JR_REMOVED))
			fail("journal: %s (inode %lld) gone without an event "
			     "that removed it",
			     o->node[i].path, (long long) o->node[i].ino);
}

/*
 * Reads the database as the crash left it and checks its journal against
 * the state of the previous crash (none the first time).
 */
static void journal_cycle(void)
{
	struct jstate *o = jold,
		      *n = jold == &jstates[0] ? &jstates[1] : &jstates[0];

	if (journal_read(n, o ? o->next : 0) < 0)
		return;
	if (n->start > n->next || n->count != n->next - n->start ||
	    (n->count && (n->min != n->start || n->max != n->next - 1)))
		fail("journal: ids %lld..%lld (%lld) with start %lld and next "
		     "%lld",
		     (long long) n->min, (long long) n->max,
		     (long long) n->count, (long long) n->start,
		     (long long) n->next);
	if (o) {
		if (n->next < o->next)
			fail("journal: next went back from %lld to %lld",
			     (long long) o->next, (long long) n->next);
		if (n->start > o->next)
			fail("journal: events since %lld trimmed (start %lld)",
			     (long long) o->next, (long long) n->start);
		if (n->cursor_time != o->newest_time)
			fail("journal: event %lld rewritten (time %llx, was "
			     "%llx)",
			     (long long) o->next - 1,
			     (unsigned long long) n->cursor_time,
			     (unsigned long long) o->newest_time);
		if ((int64_t) n->nev != n->next - o->next)
			fail("journal: %zu events since %lld, next %lld",
			     n->nev, (long long) o->next, (long long) n->next);
		journal_check_tree(o, n);
		journal_check_events(o, n);
		journal_events += (long) n->nev;
	}
	jold = n;
}

/* fsck.sqlitefs -n on the database: 0 if its exit status is want. */
static int run_fsck(int want, int *notes)
{
	char cmd[PATH_MAX + 64], line[1024];
	FILE *p;
	int st, lines = 0;

	snprintf(cmd, sizeof(cmd), "%s -n '%s' 2>&1", fsck_bin, m.db);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "orphan ("))
			(*notes)++;
		else if (!strstr(line, "data blocks: "))
			lines++;
		if (!strstr(line, "data blocks: clean"))
			fprintf(stderr, "# fsck: %s", line);
	}
	st = pclose(p);
	fsck_findings += lines;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
		fail("fsck -n exited %d, want %d",
		     WIFEXITED(st) ? WEXITSTATUS(st) : -1, want);
		return -1;
	}
	return 0;
}

/* The objects the workload works on, made durable. */
static int setup(void)
{
	char buf[PAGE];
	int fd, ok = 1;

	ok &= mkdir(mp(&m, "a"), 0755) == 0 && mkdir(mp(&m, "b"), 0755) == 0;
	fd = open(mp(&m, "p"), O_RDWR | O_CREAT, 0644);
	ok &= fd >= 0 && ftruncate(fd, NPAGE * PAGE) == 0 && fsync(fd) == 0;
	close(fd);
	gen(buf, PAGE, 4, 0, 0);
	fd = open(mp(&m, "a/m"), O_WRONLY | O_CREAT, 0644);
	ok &= fd >= 0 && write(fd, buf, PAGE) == PAGE;
	close(fd);
	fd = open(mp(&m, "l"), O_WRONLY | O_CREAT, 0644);
	ok &= fd >= 0;
	close(fd);
	fd = open(mp(&m, "x"), O_WRONLY | O_CREAT, 0644);
	ok &= fd >= 0 && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mounts with opts, with the power-loss VFS in the daemon if asked. */
static int mount(const char *opts)
{
	int rc;

	if (powerloss) {
		setenv("LD_PRELOAD", getenv("FAULTVFS_LIB"), 1);
		setenv("FAULTVFS", "powerloss", 1);
	}
	rc = mnt_mount(&m, opts);
	unsetenv("LD_PRELOAD");
	unsetenv("FAULTVFS");
	return rc;
}

/* The power fails under the daemon at its next write or sync; if it
 * does none within two seconds, SIGKILL. */
static void power_off(void)
{
	char cmd[PATH_MAX + 64];
	int i, st;

	kill(m.pid, SIGUSR1);
	for (i = 0; i < 200; i++) {
		if (waitpid(m.pid, &st, WNOHANG) == m.pid) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
				power_failures++;
			m.pid = 0;
			snprintf(cmd, sizeof(cmd),
				 "fusermount3 -u -z '%s' 2>/dev/null", m.path);
			if (system(cmd) != 0)
				fail("lazy unmount");
			return;
		}
		usleep(10000);
	}
	mnt_kill(&m, SIGKILL);
}

/* One cycle: workload, kill, checks, remount, verification. */
static int cycle(unsigned seed, int c)
{
	unsigned r = seed * 7919u + (unsigned) c;
	int notes = 0;
	uint64_t ops0 = sh->ops;
	useconds_t delay;
	pid_t w;
	int st;

	delay = (useconds_t) (20000 + rand_r(&r) % 700000);
	w = fork();
	if (w == 0) {
		workload(r);
		_exit(0);
	}
	usleep(delay);
	if (powerloss) /* the daemon first, mid-operation */
		power_off();
	else
		mnt_kill(&m, SIGKILL);
	kill(w, SIGKILL);
	waitpid(w, &st, 0);
	total_ops += (long) (sh->ops - ops0);

	run_fsck(0, &notes);
	if (mnt_check_db(&m) < 0) {
		integrity_errors++;
		fail("integrity_check or foreign_key_check");
	}
	journal_cycle();
	if (mount(rand_r(&r) % 2 ? "commit=1" : NULL) < 0) {
		fail("remount after the crash");
		return -1;
	}
	check_replaced();
	check_pages();
	check_move();
	check_link();
	check_dirs();
	check_xattr();
	if (c % 10 == 9) { /* a clean unmount leaves not even an orphan */
		notes = 0;
		if (mnt_umount(&m) < 0)
			fail("clean unmount");
		run_fsck(0, &notes);
		if (notes)
			fail("orphans after a clean unmount");
		if (mount(NULL) < 0) {
			fail("mount");
			return -1;
		}
	}
	printf("%s %d - seed %u cycle %d: killed after %u ms, %llu ops\n",
	       failures ? "not ok" : "ok", c + 1, seed, c, delay / 1000,
	       (unsigned long long) (sh->ops - ops0));
	fflush(stdout);
	return failures ? -1 : 0;
}

int main(int argc, char *argv[])
{
	unsigned seed = (unsigned) time(NULL) % 100000;
	int cycles = 1000000, c, i;
	double seconds = 1e9, start = now();

	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(argv[i], "--powerloss"))
			powerloss = 1;
		else if (!strcmp(argv[i], "--seed") && ++i)
			seed = (unsigned) atoi(v);
		else if (!strcmp(argv[i], "--cycles") && ++i)
			cycles = atoi(v);
		else if (!strcmp(argv[i], "--seconds") && ++i)
			seconds = atof(v);
	}
	if (powerloss && !getenv("FAULTVFS_LIB")) {
		printf("1..0 # SKIP FAULTVFS_LIB not set\n");
		return 0;
	}
	if (cycles == 1000000 && seconds == 1e9)
		cycles = 20;
	fsck_bin = getenv("FSCK") ? getenv("FSCK") : "build/src/fsck.sqlitefs";
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	printf("# seed %u\n", seed);
	/* 512-byte blocks: every page written crosses eight of them */
	if (mnt_init(&m, "-b 512 -p 4096") < 0 || mount(NULL) < 0 ||
	    setup() < 0 || mnt_umount(&m) < 0) {
		printf("Bail out! cannot set up\n");
		mnt_cleanup(&m);
		return 1;
	}
	journal_cycle(); /* the tree and journal the first cycle starts from */
	if (failures || mount(NULL) < 0) {
		printf("Bail out! cannot set up\n");
		mnt_cleanup(&m);
		return 1;
	}
	for (c = 0; c < cycles && now() - start < seconds; c++)
		if (cycle(seed, c) < 0)
			break;
	if (m.pid && mnt_umount(&m) < 0)
		fail("final unmount");
	printf("# %d cycles%s, %ld operations, %ld integrity errors, %ld "
	       "lost bytes, %ld fsck findings (orphans aside), %ld journal "
	       "events checked\n",
	       c, powerloss ? " (power loss)" : "", total_ops, integrity_errors,
	       lost_bytes, fsck_findings, journal_events);
	if (powerloss)
		printf("# %ld daemons lost their unsynced writes, %ld were "
		       "killed\n",
		       power_failures, (failures ? c + 1 : c) - power_failures);
	if (failures)
		printf("# replay: crash_test --seed %u --cycles %d%s\n", seed,
		       c + 1, powerloss ? " --powerloss" : "");
	printf("1..%d\n", failures ? c + 1 : c);
	mnt_cleanup(&m);
	free(jstates[0].ev);
	free(jstates[1].ev);
	return failures ? 1 : 0;
}
