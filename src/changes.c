/*
 * changes.c - sqlitefs-changes: read the change journal of a sqlitefs
 * filesystem, list and follow its events, show and change its settings
 *
 * sqlitefs-changes [--since CURSOR|@SECONDS] [--path PATH] [--json]
 *                  [--follow] DATABASE|MOUNTPOINT
 * sqlitefs-changes --info [--json] DATABASE|MOUNTPOINT
 * sqlitefs-changes --set KEY=VALUE... DATABASE|MOUNTPOINT
 *
 * Invariants: a listing is never silently partial.  It starts right after
 * the client's cursor, or says why it cannot (exit 3, 4, 5, 6 with one
 * line on stderr and nothing on stdout); it ends with the cursor to
 * resume from, which names the newest event of the snapshot it listed, so
 * the next listing from that cursor has no gap and no duplicate.  Events
 * are read in read transactions of at most CHUNK events that end before
 * anything is written to stdout or the program sleeps (a reader holding a
 * transaction keeps the daemon's WAL from being checkpointed); each
 * transaction checks again that the events not yet printed are retained
 * (if the retention overtakes a long listing, it stops there with exit 3
 * and no cursor, so the client cannot take it for complete).
 * Nothing here writes to the database except --set (db_set() or the
 * mount's control ioctl).
 */
#include "changes_db.h"
#include "db.h"
#include "dblock.h"
#include "journal.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "sqlitefs-changes"

/* Events per read transaction. */
#define CHUNK 1000
/* How often --follow looks for new commits, in milliseconds. */
#define POLL_MS 200

/* Where the listing stands: every event up to id was seen. */
struct pos {
	int64_t id;
	int64_t time; /* of event id, if known */
	int time_known;
};

/* What to list, and where the listing is. */
struct run {
	const char *db_path;
	const char *mountpoint;	    /* the mount named on the command line */
	char uuid[JR_UUID_LEN + 1]; /* from the cursor, else the first read */
	int have_pos;		    /* a cursor given, or listed once */
	struct pos pos;
	int64_t min_time; /* --since @SECONDS, in ns; else 0 */
	char *prefix;	  /* --path within the filesystem, or NULL */
	int json;
	FILE *out; /* the chunk being formatted */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Prints "sqlitefs-changes: MESSAGE" on stderr and exits with status. */
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [OPTIONS] DATABASE|MOUNTPOINT\n\n"
		"Lists the change journal of a sqlitefs filesystem, from a "
		"database file or a\nmount, and ends with the cursor to "
		"resume from.\n\n"
		"  --since CURSOR   events after CURSOR (UUID:ID:STAMP, as "
		"printed last)\n"
		"  --since @SECONDS events at or after a Unix time\n"
		"  --path PATH      only events at PATH or below it (old or "
		"new path)\n"
		"  --json           JSON Lines: one object per event, then "
		"{\"cursor\": ...}\n"
		"  --follow         then print new events as they commit, "
		"until SIGINT/SIGTERM\n"
		"  --info           the journal's identity, ids, retention "
		"and size\n"
		"  --set KEY=VALUE  journal=on|off, journal_max_events=N, "
		"journal_max_age=SECONDS\n"
		"                   (or Nm, Nh, Nd, Nw); may be repeated\n"
		"  -h, --help       this help\n"
		"  -V, --version    the version\n\n"
		"Exit status: %d ok, %d error, %d usage, %d history "
		"incomplete (rescan),\n%d cursor of another filesystem, %d "
		"cursor ahead of the journal (restored\ndatabase), %d no "
		"journal (format 1, or journal off).\n",
		JR_EXIT_OK, JR_EXIT_ERROR, JR_EXIT_USAGE, JR_EXIT_INCOMPLETE,
		JR_EXIT_OTHERFS, JR_EXIT_AHEAD, JR_EXIT_NOJOURNAL);
}

/* --- finding the database ----------------------------------------------- */

/* The mount holding a path: the longest mount point that prefixes it. */
struct mount_find {
	const char *path;
	size_t best; /* length of the best point so far */
	int found;
	int sqlitefs; /* the best is of type fuse.sqlitefs */
	char point[PATH_MAX];
	char source[PATH_MAX];
};

/* Whether prefix is path or one of its parent directories. */
static int path_under(const char *path, const char *prefix, size_t len)
{
	if (len == 1 && prefix[0] == '/')
		return path[0] == '/';
	return !strncmp(path, prefix, len) &&
	       (path[len] == '\0' || path[len] == '/');
}

static int find_mount(const char *point, const char *type, const char *source,
		      void *ctx)
{
	struct mount_find *f = ctx;
	size_t len = strlen(point);

	/* >=: a later mount over the same point hides the earlier one */
	if (path_under(f->path, point, len) && (!f->found || len >= f->best)) {
		f->found = 1;
		f->best = len;
		f->sqlitefs = !strcmp(type, "fuse.sqlitefs");
		snprintf(f->point, sizeof(f->point), "%s", point);
		snprintf(f->source, sizeof(f->source), "%s", source);
	}
	return 0;
}

/* The mount point of a mount of database db (a real path), or NULL. */
struct mount_of {
	const char *db;
	char *point;
};

static int find_db(const char *point, const char *type, const char *source,
		   void *ctx)
{
	struct mount_of *m = ctx;

	if (!strcmp(type, "fuse.sqlitefs") && !strcmp(source, m->db)) {
		free(m->point);
		m->point = strdup(point);
	}
	return 0;
}

/* Whether the file at path starts as a sqlitefs database does. */
static int is_database(const char *path)
{
	unsigned char h[72];
	int fd = open(path, O_RDONLY | O_CLOEXEC), yes;

	if (fd < 0)
		return 0;
	/* SQLite's magic, then the big-endian application_id at 68 */
	yes = pread(fd, h, sizeof(h), 0) == (ssize_t) sizeof(h) &&
	      !memcmp(h, "SQLite format 3", 16) &&
	      ((uint32_t) h[68] << 24 | (uint32_t) h[69] << 16 |
	       (uint32_t) h[70] << 8 | h[71]) == DB_APPLICATION_ID;
	close(fd);
	return yes;
}

/*
 * Sets r->db_path (and r->mountpoint for a mount) from the argument: a
 * sqlitefs database file, or else a path in a sqlitefs mount, whose
 * source is the database; else any other file, for changes_open() to
 * say what it is.  Exits 1 when the path is not there.
 */
static void resolve(struct run *r, const char *arg)
{
	static struct mount_find f;
	char real[PATH_MAX];
	struct stat st;

	if (stat(arg, &st) < 0)
		die(JR_EXIT_ERROR, "%s: %s", arg, strerror(errno));
	r->db_path = arg;
	if (S_ISREG(st.st_mode) && is_database(arg))
		return;
	if (!realpath(arg, real))
		die(JR_EXIT_ERROR, "%s: %s", arg, strerror(errno));
	f.path = real;
	if (mountinfo_each(find_mount, &f) < 0)
		die(JR_EXIT_ERROR, "/proc/self/mountinfo: cannot read");
	if (f.found && f.sqlitefs) {
		r->db_path = f.source;
		r->mountpoint = f.point;
	} else if (!S_ISREG(st.st_mode)) {
		die(JR_EXIT_ERROR,
		    "%s: not a database file nor in a sqlitefs mount", arg);
	}
}

/* --- paths -------------------------------------------------------------- */

/*
 * Normalizes an absolute path in place, lexically (the path may name
 * something gone): no empty, "." or ".." components, no trailing slash.
 */
static void normalize(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		size_t n;

		while (*in == '/')
			in++;
		n = strcspn(in, "/");
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			/* nothing */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/*
 * The --path argument as a path within the filesystem: absolute paths
 * are the filesystem's own, except that with a mount those under its
 * mount point are taken from there; a relative one is taken from the
 * current directory, and must then lie in the mount.  Exits 2 otherwise.
 */
static char *filter_path(const struct run *r, const char *arg)
{
	char cwd[PATH_MAX], *p;
	size_t len;

	if (arg[0] != '/' && !r->mountpoint)
		die(JR_EXIT_USAGE,
		    "%s: the path must be absolute within the "
		    "filesystem (or give a mountpoint)",
		    arg);
	if (arg[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		die(JR_EXIT_ERROR, "current directory: %s", strerror(errno));
	if (asprintf(&p, "%s/%s", arg[0] == '/' ? "" : cwd, arg) < 0)
		die(JR_EXIT_ERROR, "%s", strerror(ENOMEM));
	normalize(p);
	if (r->mountpoint) {
		len = strlen(r->mountpoint);
		if (path_under(p, r->mountpoint, len)) {
			memmove(p, p + len, strlen(p + len) + 1);
			if (len == 1 || !p[0])
				memmove(p + 1, p, strlen(p) + 1), p[0] = '/';
			normalize(p);
		} else if (arg[0] != '/') {
			die(JR_EXIT_USAGE, "%s: outside the mount %s", arg,
			    r->mountpoint);
		}
	}
	return p;
}

/* Whether a path of an event (bytes) is the filter's path or below it. */
static int matches(const char *prefix, const char *path, size_t len)
{
	size_t plen = strlen(prefix);

	if (!path)
		return 0;
	if (plen == 1)
		return len > 0 && path[0] == '/';
	return len >= plen && !memcmp(path, prefix, plen) &&
	       (len == plen || path[plen] == '/');
}

/* --- output ------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Writes a name as text for people: valid UTF-8 as it is, backslash,
 * control characters and bytes that are not UTF-8 as \xHH.
 */
static void put_text(FILE *f, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *) p;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_len(s + i, n - i);
		if (len == 0 || s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\') {
			fprintf(f, "\\x%02x", s[i]);
			i++;
			continue;
		}
		fwrite(s + i, 1, len, f);
		i += len;
	}
}

/*
 * Writes a name as a JSON string: valid UTF-8 as it is, '"', '\' and
 * control characters escaped, and each byte B that is not UTF-8 as the
 * lone surrogate \udcBB (Python's surrogateescape, PEP 383: a program
 * gets the bytes back with s.encode("utf-8", "surrogateescape")).
 */
static void put_json(FILE *f, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *) p;
	size_t i = 0, len;

	fputc('"', f);
	while (i < n) {
		len = utf8_len(s + i, n - i);
		if (len == 0)
			fprintf(f, "\\udc%02x", s[i]);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			fprintf(f, "\\u%04x", s[i]);
		else
			fwrite(s + i, 1, len, f);
		i += len ? len : 1;
	}
	fputc('"', f);
}

/* Local time of ns as ISO 8601 with nanoseconds: 2026-12-06T10:01:02.5+01:00. */
static void format_time(int64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t) (ns / 1000000000);
	long frac = (long) (ns % 1000000000);
	char date[32], zone[8] = "+00:00";
	struct tm tm;

	if (frac < 0)
		frac += 1000000000, sec--;
	localtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(zone, sizeof(zone), "%z", &tm) == 5) {
		memmove(zone + 4, zone + 3, 3); /* +0100 -> +01:00 */
		zone[3] = ':';
	}
	snprintf(buf, size, "%s.%09ld%s", date, frac, zone);
}

/* The letter of a file type, as find -type has them. */
static char type_letter(unsigned type)
{
	switch (type & S_IFMT) {
	case S_IFREG:
		return 'f';
	case S_IFDIR:
		return 'd';
	case S_IFLNK:
		return 'l';
	case S_IFIFO:
		return 'p';
	case S_IFSOCK:
		return 's';
	case S_IFCHR:
		return 'c';
	case S_IFBLK:
		return 'b';
	}
	return '?';
}

static void put_int_or_null(FILE *f, const char *key, int64_t v, int null)
{
	if (null)
		fprintf(f, ", \"%s\": null", key);
	else
		fprintf(f, ", \"%s\": %" PRId64, key, v);
}

static void put_event_json(FILE *f, const struct changes_event *ev)
{
	char when[64];
	unsigned bit;
	int first = 1;

	format_time(ev->time, when, sizeof(when));
	fprintf(f,
		"{\"id\": %" PRId64 ", \"time\": %" PRId64
		", \"local_time\": \"%s\", \"ino\": %" PRId64
		", \"type\": \"%c\", \"mode_type\": %u, \"reasons\": %u"
		", \"reason_names\": [",
		ev->id, ev->time, when, ev->ino, type_letter(ev->type),
		ev->type, ev->reasons);
	for (bit = 1; bit <= JR_ALL; bit <<= 1) {
		if (!(ev->reasons & bit) || !jr_reason_name(bit))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ", ", jr_reason_name(bit));
		first = 0;
	}
	fputs("]", f);
	put_int_or_null(f, "parent", ev->parent, ev->parent < 0);
	fputs(", \"path\": ", f);
	if (ev->path)
		put_json(f, ev->path, ev->path_len);
	else
		fputs("null", f);
	put_int_or_null(f, "old_parent", ev->old_parent, ev->old_parent < 0);
	fputs(", \"old_path\": ", f);
	if (ev->old_path)
		put_json(f, ev->old_path, ev->old_path_len);
	else
		fputs("null", f);
	put_int_or_null(f, "data_start", ev->data_start, !ev->has_data);
	put_int_or_null(f, "data_end", ev->data_end, !ev->has_data);
	fputs("}\n", f);
}

/*
 * One line per event: ID TIME REASONS TYPE PATH [<- OLD_PATH]
 * [[START,END)], "-" for the path of an entry with no name left.
 */
static void put_event_text(FILE *f, const struct changes_event *ev)
{
	char when[64], reasons[128];

	format_time(ev->time, when, sizeof(when));
	jr_reasons_format(ev->reasons, reasons, sizeof(reasons));
	fprintf(f, "%" PRId64 " %s %s %c ", ev->id, when, reasons,
		type_letter(ev->type));
	if (ev->path)
		put_text(f, ev->path, ev->path_len);
	else
		fputc('-', f);
	if (ev->old_path) {
		fputs(" <- ", f);
		put_text(f, ev->old_path, ev->old_path_len);
	}
	if (ev->has_data)
		fprintf(f, " [%" PRId64 ",%" PRId64 ")", ev->data_start,
			ev->data_end);
	fputc('\n', f);
}

/* changes_each() callback: formats a matching event, moves the position. */
static int put_event(const struct changes_event *ev, void *ctx)
{
	struct run *r = ctx;

	r->pos.id = ev->id;
	r->pos.time = ev->time;
	r->pos.time_known = 1;
	if (r->prefix && !matches(r->prefix, ev->path, ev->path_len) &&
	    !matches(r->prefix, ev->old_path, ev->old_path_len))
		return 0;
	if (r->json)
		put_event_json(r->out, ev);
	else
		put_event_text(r->out, ev);
	return 0;
}

/* Prints the cursor to resume from, the listing's last line. */
static void put_cursor(const struct run *r)
{
	char cursor[JR_CURSOR_MAX];

	jr_cursor_format(cursor, r->uuid, r->pos.id,
			 r->pos.time_known ? r->pos.time : 0);
	if (r->json)
		printf("{\"cursor\": \"%s\"}\n", cursor);
	else
		printf("cursor %s\n", cursor);
}

/* --- listing ------------------------------------------------------------ */

/*
 * Checks, in a transaction, that the events after r->pos are all there:
 * returns 0, or the exit status after printing why not.  Without a
 * position yet (no --since CURSOR), the position becomes the one before
 * the oldest retained event, which with --since @SECONDS must be older
 * than the time asked (else older events may have been trimmed).
 */
static int check_pos(struct run *r, struct changes_db *db,
		     const struct changes_state *st)
{
	char msg[256];
	int64_t t;
	int rc;

	if (!st->enabled)
		return fprintf(stderr,
			       PROG ": %s: the journal is off (" PROG " --set "
				    "journal=on turns it on)\n",
			       r->db_path),
		       JR_EXIT_NOJOURNAL;
	if (!r->uuid[0])
		memcpy(r->uuid, st->uuid, sizeof(r->uuid));
	if (!r->have_pos) {
		r->have_pos = 1;
		r->pos.id = st->start - 1;
		r->pos.time_known = 0;
		if (r->min_time && st->start > 1) {
			rc = changes_event_time(db, st->start, &t);
			if (rc < 0)
				return fprintf(stderr, PROG ": %s: %s\n",
					       r->db_path, changes_errmsg(db)),
				       JR_EXIT_ERROR;
			if (rc == 0 || t >= r->min_time)
				return fprintf(stderr,
					       PROG ": %s: history incomplete: "
						    "events of that time were "
						    "trimmed, the oldest kept "
						    "is %" PRId64 "; rescan\n",
					       r->db_path, st->start),
				       JR_EXIT_INCOMPLETE;
		}
	}
	rc = jr_cursor_check(r->uuid, r->pos.id, st->uuid, st->start, st->next,
			     msg, sizeof(msg));
	if (!rc && r->pos.time_known && r->pos.id >= st->start &&
	    r->pos.id > 0) {
		rc = changes_event_time(db, r->pos.id, &t);
		if (rc < 0)
			return fprintf(stderr, PROG ": %s: %s\n", r->db_path,
				       changes_errmsg(db)),
			       JR_EXIT_ERROR;
		rc = jr_cursor_stamp(r->pos.id, r->pos.time, rc, t, msg,
				     sizeof(msg));
	}
	if (rc)
		fprintf(stderr, PROG ": %s: %s\n", r->db_path, msg);
	return rc;
}

/*
 * Lists the events after r->pos up to the newest of the first snapshot,
 * CHUNK per read transaction, and moves r->pos to that newest event.
 * Returns 0, an exit status, or -1 when the database could not be read
 * (with retry set, silently: --follow tries again).
 */
static int list_once(struct run *r, struct changes_db *db, int retry)
{
	struct changes_state st;
	struct pos newest = {0, 0, 1};
	char err[256], *buf;
	size_t len;
	int64_t until = -1;
	int rc, n;

	do {
		rc = changes_begin(db, &st, err, sizeof(err));
		if (rc < 0) {
			if (!retry)
				fprintf(stderr, PROG ": %s: %s\n", r->db_path,
					err);
			return -1;
		}
		rc = check_pos(r, db, &st);
		if (rc == 0 && until < 0) {
			until = st.next;
			newest.id = st.next - 1;
			/* not retained: its time is not known, nor checked */
			if (newest.id < st.start)
				newest.time_known = newest.id == 0;
			else if (changes_event_time(db, newest.id,
						    &newest.time) != 1)
				rc = -1;
		}
		if (rc != 0) {
			if (rc < 0 && !retry)
				fprintf(stderr, PROG ": %s: cannot read: %s\n",
					r->db_path, changes_errmsg(db));
			changes_end(db);
			return rc;
		}
		r->out = open_memstream(&buf, &len);
		if (!r->out)
			die(JR_EXIT_ERROR, "%s", strerror(errno));
		n = changes_each(db, r->pos.id, until, r->min_time, CHUNK,
				 put_event, r);
		changes_end(db);
		fclose(r->out);
		fwrite(buf, 1, len, stdout);
		free(buf);
		if (n < 0) {
			if (!retry)
				fprintf(stderr, PROG ": %s: cannot read\n",
					r->db_path);
			return -1;
		}
	} while (n == CHUNK);
	if (newest.id > r->pos.id || !r->pos.time_known)
		r->pos = newest;
	return 0;
}

/* Sleeps ms milliseconds, or less when a signal comes. */
static void nap(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * One poll of --follow, on a connection of its own (the file may have
 * been replaced, unmounted, mounted again since the last).  Returns 0, an
 * exit status, or -1 with the reason in err: try again.
 */
static int poll_once(struct run *r, char *err, size_t errsz)
{
	struct changes_db *db;
	int rc = changes_open(r->db_path, &db, err, errsz);

	if (rc == -ENOTSUP)
		die(JR_EXIT_NOJOURNAL, "%s: %s", r->db_path, err);
	if (rc < 0)
		return -1;
	rc = list_once(r, db, 1);
	changes_close(db);
	if (rc < 0)
		snprintf(err, errsz, "a read failed");
	return rc;
}

/*
 * --follow: lists what commits from now on, every POLL_MS, until SIGINT
 * or SIGTERM (on_signal(), set up before the first listing); says once on stderr when the database cannot be read, and
 * keeps trying.  Returns the exit status.
 */
static int follow(struct run *r)
{
	char err[256];
	int rc, failing = 0;

	while (!stop) {
		nap(POLL_MS);
		if (stop)
			break;
		rc = poll_once(r, err, sizeof(err));
		if (rc > 0)
			return rc;
		if (rc < 0 && !failing)
			fprintf(stderr,
				PROG ": %s: cannot read (%s); "
				     "retrying\n",
				r->db_path, err);
		failing = rc < 0;
		fflush(stdout);
	}
	return JR_EXIT_OK;
}

/* --- settings ----------------------------------------------------------- */

/* Seconds in a journal_max_age value with a unit (s, m, h, d, w). */
static int parse_age(const char *v, char *out, size_t size)
{
	static const char units[] = "smhdw";
	static const long long mult[] = {1, 60, 3600, 86400, 604800};
	char *end;
	long long n;
	const char *u;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (end == v || n < 0 || errno)
		return -1;
	if (*end) {
		u = strchr(units, *end);
		if (!u || end[1] || n > LLONG_MAX / mult[u - units])
			return -1;
		n *= mult[u - units];
	}
	snprintf(out, size, "%lld", n);
	return 0;
}

/* Sets key=value through the mount's control ioctl. */
static int set_mounted(const char *mnt, const struct sqlitefs_set *s)
{
	int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SQLITEFS_IOC_SET, s) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Sets key=value in an unmounted database, locked as fsck locks it. */
static int set_unmounted(const char *path, const struct sqlitefs_set *s,
			 char *err, size_t errsz)
{
	struct db *db;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0) {
		snprintf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	rc = dblock_take(fd, path, PROG);
	if (rc < 0) {
		snprintf(err, errsz, "%s",
			 rc == -EBUSY ? "in use by a sqlitefs daemon (mounted "
					"elsewhere?)"
				      : strerror(-rc));
		close(fd);
		return -1;
	}
	rc = db_open(path, 0, &db, err, errsz);
	if (rc == 0) {
		rc = db_set(db, s->key, s->value);
		if (rc < 0)
			snprintf(err, errsz, "%s", strerror(-rc));
		if (db_close(db) < 0 && rc == 0) {
			snprintf(err, errsz, "cannot commit");
			rc = -EIO;
		}
	}
	close(fd);
	return rc;
}

/*
 * --set: each KEY=VALUE through the mount's ioctl when the database is
 * mounted here, else in the database file.  Returns the exit status.
 */
static int set_all(const struct run *r, char **sets, int nsets)
{
	struct mount_of m = {NULL, NULL};
	struct sqlitefs_set s;
	char real[PATH_MAX], err[512];
	const char *mnt = r->mountpoint;
	int i, rc;

	if (!mnt && realpath(r->db_path, real)) {
		m.db = real;
		mountinfo_each(find_db, &m);
		mnt = m.point;
	}
	for (i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');

		memset(&s, 0, sizeof(s));
		snprintf(s.key, sizeof(s.key), "%.*s", (int) (eq - sets[i]),
			 sets[i]);
		snprintf(s.value, sizeof(s.value), "%s", eq + 1);
		if (!strcmp(s.key, JR_KEY_MAX_AGE) &&
		    parse_age(eq + 1, s.value, sizeof(s.value)) < 0)
			die(JR_EXIT_USAGE,
			    "%s: not a number of seconds (or Nm, "
			    "Nh, Nd, Nw)",
			    sets[i]);
		if (mnt) {
			rc = set_mounted(mnt, &s);
			if (rc < 0)
				die(rc == -EINVAL ? JR_EXIT_USAGE
						  : JR_EXIT_ERROR,
				    "%s: %s: %s", mnt, sets[i], strerror(-rc));
		} else if (set_unmounted(r->db_path, &s, err, sizeof(err)) <
			   0) {
			die(JR_EXIT_ERROR, "%s: %s: %s", r->db_path, sets[i],
			    err);
		}
	}
	free(m.point);
	return JR_EXIT_OK;
}

/* --info: prints the journal's settings, ids and size. */
static int info(struct run *r)
{
	struct changes_state st;
	struct changes_db *db;
	int64_t t0 = 0, t1 = 0, events = 0, bytes = 0;
	char err[512], cursor[JR_CURSOR_MAX], w0[64] = "-", w1[64] = "-";
	int rc;

	rc = changes_open(r->db_path, &db, err, sizeof(err));
	if (rc < 0)
		die(rc == -ENOTSUP ? JR_EXIT_NOJOURNAL : JR_EXIT_ERROR,
		    "%s: %s", r->db_path, err);
	if (changes_begin(db, &st, err, sizeof(err)) < 0)
		die(JR_EXIT_ERROR, "%s: %s", r->db_path, err);
	rc = changes_size(db, &events, &bytes);
	if (rc == 0 && st.next > st.start)
		rc = changes_event_time(db, st.start, &t0) == 1 &&
				     changes_event_time(db, st.next - 1, &t1) ==
					     1
			     ? 0
			     : -EIO;
	changes_end(db);
	if (rc < 0)
		die(JR_EXIT_ERROR, "%s: cannot read: %s", r->db_path,
		    changes_errmsg(db));
	changes_close(db);
	if (st.next > st.start) {
		format_time(t0, w0, sizeof(w0));
		format_time(t1, w1, sizeof(w1));
	}
	jr_cursor_format(cursor, st.uuid, st.next - 1,
			 st.next > st.start ? t1 : 0);
	if (r->json) {
		printf("{\"uuid\": \"%s\", \"journal\": %s, \"oldest\": "
		       "%" PRId64 ", \"newest\": %" PRId64 ", \"events\": "
		       "%" PRId64 ", \"bytes\": %" PRId64 ", \"max_events\": "
		       "%" PRId64 ", \"max_age\": %" PRId64 ", \"cursor\": "
		       "\"%s\"}\n",
		       st.uuid, st.enabled ? "true" : "false", st.start,
		       st.next - 1, events, bytes, st.max_events, st.max_age,
		       cursor);
		return JR_EXIT_OK;
	}
	printf("uuid        %s\njournal     %s\n", st.uuid,
	       st.enabled ? "on" : "off");
	printf("oldest      %" PRId64 " %s\nnewest      %" PRId64 " %s\n",
	       st.start, w0, st.next - 1, w1);
	printf("events      %" PRId64 "\nbytes       ~%" PRId64 "\n", events,
	       bytes);
	printf("max_events  %" PRId64 "%s\nmax_age     %" PRId64 " s%s\n",
	       st.max_events, st.max_events ? "" : " (no limit)", st.max_age,
	       st.max_age ? "" : " (no limit)");
	printf("cursor      %s\n", cursor);
	return JR_EXIT_OK;
}

/* --- main --------------------------------------------------------------- */

/*
 * The listing, then with follow the events as they commit, then the
 * cursor.  Returns the exit status.
 */
static int list(struct run *r, int follow_too)
{
	struct changes_db *db;
	char err[512];
	int rc;

	if (follow_too) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		/* writes restart; nanosleep() returns early all the same */
		sa.sa_flags = SA_RESTART;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	rc = changes_open(r->db_path, &db, err, sizeof(err));
	if (rc < 0)
		die(rc == -ENOTSUP ? JR_EXIT_NOJOURNAL : JR_EXIT_ERROR,
		    "%s: %s", r->db_path, err);
	rc = list_once(r, db, 0);
	changes_close(db);
	if (rc < 0)
		return JR_EXIT_ERROR;
	if (rc == 0 && follow_too) {
		fflush(stdout);
		rc = follow(r);
	}
	if (rc > 0)
		return rc;
	put_cursor(r);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(JR_EXIT_ERROR, "stdout: %s", strerror(errno));
	return JR_EXIT_OK;
}

/* --since: a cursor, or @SECONDS. */
static void parse_since(struct run *r, const char *arg)
{
	char *end;
	long long s;

	if (arg[0] == '@') {
		errno = 0;
		s = strtoll(arg + 1, &end, 10);
		if (end == arg + 1 || *end || errno || s < 0 ||
		    s > INT64_MAX / 1000000000)
			die(JR_EXIT_USAGE, "--since %s: not @SECONDS", arg);
		r->min_time = (int64_t) s * 1000000000;
		/* 0 means no time limit: the epoch itself is that too */
		return;
	}
	if (jr_cursor_parse(arg, r->uuid, &r->pos.id, &r->pos.time) < 0)
		die(JR_EXIT_USAGE, "--since %s: not a cursor (UUID:ID:STAMP)",
		    arg);
	r->have_pos = 1;
	r->pos.time_known = r->pos.id > 0;
	if (r->pos.id == 0 && r->pos.time != 0)
		die(JR_EXIT_USAGE, "--since %s: not a cursor (stamp of id 0)",
		    arg);
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"since", required_argument, NULL, 's'},
		{"path", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"follow", no_argument, NULL, 'f'},
		{"info", no_argument, NULL, 'i'},
		{"set", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct run r;
	const char *since = NULL, *path = NULL;
	char **sets;
	int c, nsets = 0, do_follow = 0, do_info = 0, rc;

	memset(&r, 0, sizeof(r));
	opterr = 0; /* our one-line message instead */
	sets = calloc((size_t) argc, sizeof(*sets));
	if (!sets)
		die(JR_EXIT_ERROR, "%s", strerror(ENOMEM));
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			since = optarg;
			break;
		case 'p':
			path = optarg;
			break;
		case 'j':
			r.json = 1;
			break;
		case 'f':
			do_follow = 1;
			break;
		case 'i':
			do_info = 1;
			break;
		case 'S':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				die(JR_EXIT_USAGE, "--set %s: not KEY=VALUE",
				    optarg);
			sets[nsets++] = optarg;
			break;
		case 'h':
			usage(stdout);
			free(sets);
			return JR_EXIT_OK;
		case 'V':
			printf(PROG " %s\n", SQLITEFS_VERSION);
			free(sets);
			return JR_EXIT_OK;
		default:
			die(JR_EXIT_USAGE,
			    "%s: unknown option or missing "
			    "argument (see --help)",
			    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		die(JR_EXIT_USAGE,
		    "expects one DATABASE or MOUNTPOINT (see --help)");
	if ((nsets || do_info) &&
	    (since || path || do_follow || (nsets && do_info)))
		die(JR_EXIT_USAGE, "--set and --info go alone");
	if (since)
		parse_since(&r, since);
	resolve(&r, argv[optind]);
	if (path)
		r.prefix = filter_path(&r, path);
	if (nsets)
		rc = set_all(&r, sets, nsets);
	else if (do_info)
		rc = info(&r);
	else
		rc = list(&r, do_follow);
	free(r.prefix);
	free(sets);
	return rc;
}
