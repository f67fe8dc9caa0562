/*
 * randops.c - seeded random operations on sqlitefs and on a reference tree
 *
 * For each seed: mount a fresh filesystem, make a reference directory on
 * the local disk, apply the same random operations to both (same relative
 * paths, same bytes) and require every call to return the same value and
 * errno, and every read to return the same bytes.  Every REMOUNT_EVERY
 * operations the mount is closed and opened again, and after each remount
 * and at the end the two trees are compared in full: names, types, modes,
 * link counts, sizes, contents, symlink targets, user.* xattrs, and which
 * names are hard links of one another.  Then the daemon must exit 0 at
 * unmount and the database must pass its integrity checks.
 *
 *	randops [--seeds N] [--ops N] [--first S] [--seed S]
 *
 * Output is TAP, one test per seed.  The operations depend only on the seed
 * and on the state of the reference tree, so "randops --seed S --ops N"
 * replays a failure exactly.
 *
 * Environment: SQLITEFS and MKFS (see mount_util.h); RANDOPS_MOUNT_OPTS, -o
 * options for the daemon; RANDOPS_SELFTEST=1 puts a second local directory
 * in place of the mount, to check the test itself (every seed must pass);
 * RANDOPS_TRACE=1 prints every operation to stderr; KEEP_TEST_DIR=1 keeps
 * the temporary directories.
 *
 * Paths come from a small namespace (NAMES, at most MAX_DEPTH levels) so
 * that EEXIST, ENOENT, ENOTDIR, ENOTEMPTY and EISDIR are frequent.  Symlink
 * targets are relative and never contain "..": nothing resolves outside
 * either tree, whatever the renames do.  Both sides run as root, and only
 * calls whose outcome Linux defines the same way on both are made: no
 * atime, no times but those set explicitly, no set-group-ID directories.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

#define NSLOTS 6	  /* descriptors kept open across operations */
#define REMOUNT_EVERY 500 /* operations between two remounts */
#define MAX_DEPTH 4	  /* components in a generated path */
#define MAX_WRITE (200 * KIB)
#define MAX_XATTR 200	    /* value bytes; ext4 must hold four of them */
#define CHUNK MIB	    /* read size when comparing files */
#define BIG_FILE (16 * MIB) /* past this, holes are sampled, not read */
#define SAMPLE (64 * KIB)   /* bytes read per sample of a hole */

enum side { REF, FS, NSIDES };

static const char *const names[] = {"a", "b", "c", "dd", "e.txt", "f f"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char *const xattr_names[] = {
	"user.a",
	"user.b",
	"user.checksum",
	"user.a_rather_long_attribute_name_0123456789",
};
#define NXATTRS (sizeof(xattr_names) / sizeof(xattr_names[0]))

static const char *side_name[NSIDES] = {"reference", "sqlitefs"};
static bool selftest;	       /* RANDOPS_SELFTEST: FS is a local directory */
static const char *mount_opts; /* RANDOPS_MOUNT_OPTS */
static bool trace;	       /* RANDOPS_TRACE: print every operation */

/* Read buffers, one per side, and the bytes of the current write. */
static char rbuf[NSIDES][CHUNK];
static char wbuf[MAX_WRITE];

/* A file or directory open on both sides, kept across operations. */
struct slot {
	int fd[NSIDES]; /* -1 when the slot is free */
	char path[PATH_MAX];
	int flags; /* as given to open() */
};

/* Everything about the seed being run. */
struct run {
	struct mnt m;		     /* m.dir holds ref/ (and other/) */
	char root[NSIDES][PATH_MAX]; /* the two trees */
	struct slot slot[NSLOTS];
	uint64_t rng; /* xorshift64* state */
	unsigned long seed;
	long op;	/* index of the current operation, -1 between */
	char desc[512]; /* the current operation, for messages */
	char why[2048]; /* the first mismatch */
	bool failed;
	off_t *marks; /* offsets past BIG_FILE that operations touched */
	size_t nmarks, capmarks;
};

/* The outcome of one call: its return value and, if it failed, errno. */
struct res {
	long ret;
	int err;
};

/* A directory entry, as readdir() gives it. */
struct dent {
	char name[NAME_MAX + 1];
	unsigned char type;
};

/* A non-directory met by the tree comparison, for the hard-link check. */
struct node {
	char *path;
	ino_t ino[NSIDES];
};

struct walk {
	struct node *v;
	size_t n, cap;
};

/* Where an xattr call goes: a kept descriptor, or a path (maybe l*xattr). */
struct xtarget {
	struct slot *sl; /* f*xattr() when set */
	char path[PATH_MAX];
	bool nofollow;
};

/* ---- random numbers ---- */

static uint64_t rnd(struct run *r)
{
	uint64_t x = r->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void rnd_seed(struct run *r, unsigned long seed)
{
	uint64_t z = (uint64_t) seed + 0x9E3779B97F4A7C15ULL; /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	r->rng = z ? z : 1;
}

/* Returns a number in [0, n), or 0 if n is 0. */
static uint64_t below(struct run *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct run *r, unsigned percent)
{
	return below(r, 100) < percent;
}

/* ---- messages ---- */

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static void fmt_res(char *buf, size_t size, const struct res *x)
{
	if (x->ret < 0)
		snprintf(buf, size, "-1 %s (%s)", errname(x->err),
			 strerror(x->err));
	else
		snprintf(buf, size, "%ld", x->ret);
}

static void describe(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the description of the operation about to run. */
static void describe(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->desc, sizeof(r->desc), fmt, ap);
	va_end(ap);
	if (trace && r->op >= 0)
		fprintf(stderr, "randops: seed %lu: op %ld: %s\n", r->seed,
			r->op, r->desc);
	else if (trace)
		fprintf(stderr, "randops: seed %lu: %s\n", r->seed, r->desc);
}

/*
 * Records the first mismatch of the seed and prints it; later calls do
 * nothing.  Returns false, for "return fail(...)".
 */
static bool fail(struct run *r, const char *fmt, ...)
{
	char what[1024];
	char where[32] = "";
	va_list ap;

	if (r->failed)
		return false;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->op >= 0)
		snprintf(where, sizeof(where), "op %ld: ", r->op);
	snprintf(r->why, sizeof(r->why), "%s%s: %s", where, r->desc, what);
	fprintf(stderr, "randops: seed %lu: %s\n", r->seed, r->why);
	return false;
}

/* A long string shortened for a message; returns one of 4 static buffers. */
static const char *brief(const char *s)
{
	static char bufs[4][80];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t n = strlen(s);

	if (n <= 48)
		snprintf(b, sizeof(bufs[0]), "%s", s);
	else
		snprintf(b, sizeof(bufs[0]), "%.40s...(%zu bytes)", s, n);
	return b;
}

static const char *open_flags_str(int flags)
{
	static char buf[128];
	static const struct {
		int flag;
		const char *name;
	} bits[] = {
		{O_CREAT, "|O_CREAT"},	     {O_EXCL, "|O_EXCL"},
		{O_TRUNC, "|O_TRUNC"},	     {O_APPEND, "|O_APPEND"},
		{O_NOFOLLOW, "|O_NOFOLLOW"}, {O_DIRECTORY, "|O_DIRECTORY"},
	};
	size_t i;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		strcpy(buf, "O_RDONLY");
		break;
	case O_WRONLY:
		strcpy(buf, "O_WRONLY");
		break;
	default:
		strcpy(buf, "O_RDWR");
		break;
	}
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (flags & bits[i].flag)
			strcat(buf, bits[i].name);
	return buf;
}

/* 'fd #2 "a/b" O_RDWR' for a kept descriptor; one of 2 static buffers. */
static const char *slot_str(struct run *r, const struct slot *sl)
{
	static char bufs[2][PATH_MAX + 160];
	static unsigned next;
	char *b = bufs[next++ % 2];

	snprintf(b, sizeof(bufs[0]), "fd #%d \"%s\" %s", (int) (sl - r->slot),
		 sl->path, open_flags_str(sl->flags));
	return b;
}

/* ---- results ---- */

/* Call as res_of(call(...)): errno is read once the call has returned. */
static struct res res_of(long ret)
{
	struct res x = {ret, ret < 0 ? errno : 0};

	return x;
}

/*
 * Requires both sides of step to have returned the same value and errno,
 * or, with only_success (for calls returning a descriptor), to have both
 * succeeded or both failed with the same errno.
 */
static bool same(struct run *r, const char *step, const struct res x[NSIDES],
		 bool only_success)
{
	char a[128], b[128];
	bool eq;

	if (x[REF].ret < 0 || x[FS].ret < 0)
		eq = x[REF].ret < 0 && x[FS].ret < 0 && x[REF].err == x[FS].err;
	else
		eq = only_success || x[REF].ret == x[FS].ret;
	if (eq)
		return true;
	fmt_res(a, sizeof(a), &x[REF]);
	fmt_res(b, sizeof(b), &x[FS]);
	return fail(r, "%s: %s returned %s, %s returned %s", step,
		    side_name[REF], a, side_name[FS], b);
}

/* Like same(), then compares the bytes read into rbuf, read at off. */
static bool same_data(struct run *r, const char *step,
		      const struct res x[NSIDES], off_t off)
{
	long i;

	if (!same(r, step, x, false))
		return false;
	if (x[REF].ret <= 0 || !memcmp(rbuf[REF], rbuf[FS], x[REF].ret))
		return true;
	for (i = 0; rbuf[REF][i] == rbuf[FS][i]; i++)
		;
	return fail(r, "%s: byte at offset %lld is 0x%02x on %s, 0x%02x on %s",
		    step, (long long) off + i, (unsigned char) rbuf[REF][i],
		    side_name[REF], (unsigned char) rbuf[FS][i], side_name[FS]);
}

/* Compares what stat() says, except times; a directory's size is free. */
static bool same_stat(struct run *r, const char *what,
		      const struct stat st[NSIDES])
{
	const struct stat *a = &st[REF], *b = &st[FS];

	if (a->st_mode != b->st_mode)
		return fail(r, "%s: st_mode 0%o on %s, 0%o on %s", what,
			    a->st_mode, side_name[REF], b->st_mode,
			    side_name[FS]);
	if (a->st_nlink != b->st_nlink)
		return fail(r, "%s: st_nlink %lu on %s, %lu on %s", what,
			    (unsigned long) a->st_nlink, side_name[REF],
			    (unsigned long) b->st_nlink, side_name[FS]);
	if (a->st_uid != b->st_uid || a->st_gid != b->st_gid)
		return fail(r, "%s: owner %u:%u on %s, %u:%u on %s", what,
			    a->st_uid, a->st_gid, side_name[REF], b->st_uid,
			    b->st_gid, side_name[FS]);
	if (!S_ISDIR(a->st_mode) && a->st_size != b->st_size)
		return fail(r, "%s: st_size %lld on %s, %lld on %s", what,
			    (long long) a->st_size, side_name[REF],
			    (long long) b->st_size, side_name[FS]);
	return true;
}

/* ---- paths ---- */

/* Returns root of side s + "/" + rel, in one of 8 static buffers. */
static const char *ap(struct run *r, int s, const char *rel)
{
	static char bufs[8][2 * PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", r->root[s], rel);
	return b;
}

static void join(char *out, const char *dir, const char *name)
{
	if (dir[0])
		snprintf(out, PATH_MAX, "%s/%s", dir, name);
	else
		snprintf(out, PATH_MAX, "%s", name);
}

/* What the last name of a generated path should most often be. */
enum want {
	W_OLD,	 /* something that exists */
	W_NEW,	 /* nothing yet */
	W_FILE,	 /* a regular file */
	W_DIR,	 /* a directory */
	W_LINK,	 /* a symlink */
	W_EMPTY, /* an empty directory */
	W_XATTR, /* something with an xattr */
};

static bool dir_empty(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Does what path is (st, or nothing if missing) match want? */
static bool wanted(enum want want, const char *path, bool missing,
		   const struct stat *st)
{
	if (want == W_NEW || missing)
		return want == W_NEW && missing;
	switch (want) {
	case W_FILE:
		return S_ISREG(st->st_mode);
	case W_DIR:
		return S_ISDIR(st->st_mode);
	case W_LINK:
		return S_ISLNK(st->st_mode);
	case W_EMPTY:
		return S_ISDIR(st->st_mode) && dir_empty(path);
	case W_XATTR:
		return llistxattr(path, NULL, 0) > 0;
	default: /* W_OLD */
		return true;
	}
}

/*
 * Picks a name to go in dir.  For a middle component (last false), most
 * often one that resolves to a directory in the reference; for the last,
 * most often one that matches want.  Otherwise, or if none does, any name
 * of the namespace.  The names are tried in a fixed order, so the choice
 * depends on the reference's contents, not on its readdir order.
 */
static const char *pick_name(struct run *r, const char *dir, bool last,
			     enum want want)
{
	const char *have[NNAMES], *path;
	char rel[PATH_MAX];
	struct stat st;
	size_t i, n = 0;
	bool missing;

	if (chance(r, last ? 25 : 20))
		return names[below(r, NNAMES)];
	for (i = 0; i < NNAMES; i++) {
		join(rel, dir, names[i]);
		if (last) {
			path = ap(r, REF, rel);
			missing = lstat(path, &st) < 0;
			if (wanted(want, path, missing, &st))
				have[n++] = names[i];
		} else if (stat(ap(r, REF, rel), &st) == 0 &&
			   S_ISDIR(st.st_mode)) {
			have[n++] = names[i];
		}
	}
	if (!n)
		return names[below(r, NNAMES)];
	return have[below(r, n)];
}

/*
 * Makes a relative path of 1 to MAX_DEPTH names from the namespace, whose
 * last name is most often what want says.
 */
static void gen_path(struct run *r, char *out, enum want want)
{
	static const unsigned weight[MAX_DEPTH] = {30, 35, 25, 10};
	unsigned u = (unsigned) below(r, 100);
	int depth, i;
	char dir[PATH_MAX];

	for (depth = 1; depth < MAX_DEPTH && u >= weight[depth - 1]; depth++)
		u -= weight[depth - 1];
	out[0] = '\0';
	for (i = 1; i <= depth; i++) {
		strcpy(dir, out);
		join(out, dir, pick_name(r, dir, i == depth, want));
	}
}

/* Like gen_path(), but the root itself ("") pct percent of the time. */
static void gen_path_or_root(struct run *r, char *out, unsigned pct,
			     enum want want)
{
	if (chance(r, pct))
		out[0] = '\0';
	else
		gen_path(r, out, want);
}

/* Picks one of two wants: the first pct percent of the time. */
static enum want either(struct run *r, unsigned pct, enum want a, enum want b)
{
	return chance(r, pct) ? a : b;
}

/*
 * Makes a symlink target: relative, never with "..", so that it resolves
 * inside the tree wherever the link is moved.  Some targets are dangling,
 * some loop, some are long.
 */
static void gen_target(struct run *r, char *out)
{
	unsigned u = (unsigned) below(r, 100);
	size_t n, i;
	int k;

	if (u < 2) {
		out[0] = '\0'; /* ENOENT */
	} else if (u < 7) {
		strcpy(out, ".");
	} else if (u < 12) {
		n = 1 + below(r, 1000);
		for (i = 0; i < n; i++)
			out[i] = i % 200 == 199 ? '/' : 'x';
		out[n] = '\0';
	} else {
		out[0] = '\0';
		for (k = 1 + (int) below(r, 3); k > 0; k--) {
			if (out[0])
				strcat(out, "/");
			strcat(out, names[below(r, NNAMES)]);
		}
		if (u < 17)
			strcat(out, "/");
	}
}

/* ---- sizes, offsets and data ---- */

/* Remembers an offset past BIG_FILE for the comparison of large files. */
static void mark(struct run *r, off_t off)
{
	off_t *v;

	if (off < BIG_FILE)
		return;
	if (r->nmarks == r->capmarks) {
		r->capmarks = r->capmarks ? 2 * r->capmarks : 256;
		v = realloc(r->marks, r->capmarks * sizeof(*v));
		if (!v) {
			fail(r, "out of memory");
			return;
		}
		r->marks = v;
	}
	r->marks[r->nmarks++] = off;
}

/* Marks the first and the last byte of [off, off + len). */
static void mark_range(struct run *r, off_t off, off_t len)
{
	mark(r, off);
	if (len > 1)
		mark(r, off + len - 1);
}

/* An offset a few bytes either side of a 64 KiB or 4 KiB boundary. */
static off_t near_boundary(struct run *r)
{
	off_t unit = chance(r, 70) ? 64 * KIB : 4 * KIB;
	off_t off = unit * (off_t) below(r, 64) + (off_t) below(r, 9) - 4;

	return off < 0 ? 0 : off;
}

/* An offset for a write or read in a file of the given size. */
static off_t gen_off(struct run *r, off_t size)
{
	unsigned u = (unsigned) below(r, 100);

	if (u < 1) /* across the 4 GiB line */
		return 4 * GIB - 128 * KIB + (off_t) below(r, 256 * KIB);
	if (u < 2)
		return 4 * GIB + (off_t) below(r, 16 * MIB);
	if (u < 30)
		return (off_t) below(r, (uint64_t) size + 64 * KIB);
	if (u < 50)
		return near_boundary(r);
	if (u < 75)
		return (off_t) below(r, 256 * KIB);
	return (off_t) below(r, 4 * MIB);
}

/* A length for a write, read or fallocate, at most max. */
static size_t gen_len(struct run *r, size_t max)
{
	unsigned u = (unsigned) below(r, 100);
	size_t len;

	if (u < 5)
		len = 0;
	else if (u < 40)
		len = 1 + below(r, 4096);
	else if (u < 60)
		len = 64 * KIB * (1 + below(r, 3)) + below(r, 9) - 4;
	else
		len = below(r, max + 1);
	return len < max ? len : max;
}

/* A new size for truncate, given the current one. */
static off_t gen_size(struct run *r, off_t cur)
{
	unsigned u = (unsigned) below(r, 100);

	if (u < 10)
		return 0;
	if (u < 35)
		return (off_t) below(r, (uint64_t) cur + 1);
	if (u < 60)
		return cur + (off_t) below(r, 200 * KIB);
	if (u < 80)
		return near_boundary(r);
	if (u < 98)
		return (off_t) below(r, 4 * MIB);
	return 4 * GIB + (off_t) below(r, 4 * MIB) - 64 * KIB;
}

/* Fills wbuf with len bytes; returns what they are, for messages. */
static const char *fill(struct run *r, size_t len)
{
	static char kind[16];
	unsigned u = (unsigned) below(r, 10);
	uint64_t v;
	size_t i;

	if (u == 0) {
		memset(wbuf, 0, len);
		return "zeros";
	}
	if (u == 1) {
		v = rnd(r);
		memset(wbuf, (int) (v & 0xff), len);
		snprintf(kind, sizeof(kind), "0x%02x", (unsigned) (v & 0xff));
		return kind;
	}
	for (i = 0; i < len; i += sizeof(v)) {
		v = rnd(r);
		memcpy(wbuf + i, &v, len - i < sizeof(v) ? len - i : sizeof(v));
	}
	return "random";
}

/* The size of what path resolves to in the reference, 0 if nothing. */
static off_t ref_size(struct run *r, const char *path)
{
	struct stat st;

	return stat(ap(r, REF, path), &st) == 0 ? st.st_size : 0;
}

static off_t ref_fd_size(const struct slot *sl)
{
	struct stat st;

	return fstat(sl->fd[REF], &st) == 0 ? st.st_size : 0;
}

/* ---- kept descriptors ---- */

static bool slot_open(const struct slot *sl)
{
	return sl->fd[REF] >= 0 || sl->fd[FS] >= 0;
}

/* Returns a random open slot, or NULL if none is open. */
static struct slot *pick_slot(struct run *r)
{
	struct slot *busy[NSLOTS];
	size_t i, n = 0;

	for (i = 0; i < NSLOTS; i++)
		if (slot_open(&r->slot[i]))
			busy[n++] = &r->slot[i];
	return n ? busy[below(r, n)] : NULL;
}

/* Closes both descriptors of sl; with check, they must close alike. */
static void close_slot(struct run *r, struct slot *sl, bool check)
{
	struct res x[NSIDES];
	int s;

	if (check)
		describe(r, "close(%s)", slot_str(r, sl));
	for (s = 0; s < NSIDES; s++) {
		x[s] = sl->fd[s] >= 0 ? res_of(close(sl->fd[s])) : res_of(0);
		sl->fd[s] = -1;
	}
	if (check)
		same(r, "close", x, false);
}

static void close_all(struct run *r, bool check)
{
	size_t i;

	for (i = 0; i < NSLOTS; i++)
		if (slot_open(&r->slot[i]))
			close_slot(r, &r->slot[i], check && !r->failed);
}

/* Returns a free slot, closing a random one if all are taken. */
static struct slot *free_slot(struct run *r)
{
	struct slot *sl;
	size_t i;

	for (i = 0; i < NSLOTS; i++)
		if (!slot_open(&r->slot[i]))
			return &r->slot[i];
	sl = &r->slot[below(r, NSLOTS)];
	close_slot(r, sl, true);
	return sl;
}

/* fstat() on both descriptors of sl must agree. */
static void fstat_slot(struct run *r, struct slot *sl, const char *step)
{
	struct stat st[NSIDES];
	struct res x[NSIDES];
	int s;

	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(fstat(sl->fd[s], &st[s]));
	if (same(r, step, x, false) && x[REF].ret == 0)
		same_stat(r, step, st);
}

/*
 * Opens path on both sides for one operation.  Returns true if both
 * opened; if only one did, fails the seed; in both cases of false,
 * nothing stays open.
 */
static bool open_both(struct run *r, const char *path, int flags,
		      int fd[NSIDES])
{
	struct res x[NSIDES];
	int s;

	for (s = 0; s < NSIDES; s++) {
		x[s] = res_of(open(ap(r, s, path), flags, 0644));
		fd[s] = (int) x[s].ret;
	}
	if (same(r, "open", x, true) && fd[REF] >= 0)
		return true;
	for (s = 0; s < NSIDES; s++)
		if (fd[s] >= 0)
			close(fd[s]);
	return false;
}

static void close_both(struct run *r, int fd[NSIDES])
{
	struct res x[NSIDES];
	int s;

	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(close(fd[s]));
	same(r, "close", x, false);
}

/* ---- operations ---- */

static int gen_open_flags(struct run *r)
{
	static const int acc[] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDWR};
	int flags = acc[below(r, 4)];

	if (chance(r, 60))
		flags |= O_CREAT;
	if (chance(r, 15))
		flags |= O_EXCL;
	if (chance(r, 15))
		flags |= O_TRUNC;
	if (chance(r, 20))
		flags |= O_APPEND;
	if (chance(r, 5))
		flags |= O_NOFOLLOW;
	if (!(flags & O_CREAT) && chance(r, 5))
		flags |= O_DIRECTORY;
	return flags;
}

/* open() into a slot, kept open for later operations. */
static void op_open(struct run *r)
{
	char path[PATH_MAX];
	struct slot *sl = free_slot(r);
	struct res x[NSIDES];
	int flags, mode, s;

	if (r->failed)
		return;
	gen_path(r, path, either(r, 60, W_FILE, W_NEW));
	flags = gen_open_flags(r);
	mode = (int) below(r, 01000);
	describe(r, "open(\"%s\", %s, 0%o)", path, open_flags_str(flags), mode);
	for (s = 0; s < NSIDES; s++) {
		x[s] = res_of(open(ap(r, s, path), flags, mode));
		sl->fd[s] = (int) x[s].ret;
	}
	strcpy(sl->path, path);
	sl->flags = flags;
	if (same(r, "open", x, true) && x[REF].ret >= 0)
		fstat_slot(r, sl, "fstat after open");
}

static void op_close(struct run *r)
{
	struct slot *sl = pick_slot(r);

	if (sl)
		close_slot(r, sl, true);
}

/* open(), pwrite(), close(): a write through a path. */
static void op_write(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	int fd[NSIDES], flags = O_WRONLY, s;
	const char *kind;
	size_t len;
	off_t off;

	gen_path(r, path, either(r, 75, W_FILE, W_NEW));
	if (chance(r, 60))
		flags |= O_CREAT;
	if (chance(r, 10))
		flags |= O_TRUNC;
	if (chance(r, 10))
		flags |= O_APPEND;
	if (chance(r, 5))
		flags |= O_EXCL;
	off = gen_off(r, ref_size(r, path));
	len = gen_len(r, MAX_WRITE);
	kind = fill(r, len);
	describe(r, "write \"%s\": open %s, pwrite %zu bytes (%s) at %lld",
		 path, open_flags_str(flags), len, kind, (long long) off);
	if (!open_both(r, path, flags, fd))
		return;
	mark_range(r, off, (off_t) len);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(pwrite(fd[s], wbuf, len, off));
	same(r, "pwrite", x, false);
	close_both(r, fd);
}

/* open(), pread(), close(): a read through a path. */
static void op_read(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	int fd[NSIDES], flags = O_RDONLY, s;
	size_t len;
	off_t off;

	gen_path(r, path, W_FILE);
	if (chance(r, 10))
		flags |= O_NOFOLLOW;
	off = gen_off(r, ref_size(r, path));
	len = gen_len(r, MAX_WRITE);
	describe(r, "read \"%s\": open %s, pread %zu bytes at %lld", path,
		 open_flags_str(flags), len, (long long) off);
	if (!open_both(r, path, flags, fd))
		return;
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(pread(fd[s], rbuf[s], len, off));
	same_data(r, "pread", x, off);
	close_both(r, fd);
}

static void op_fdwrite(struct run *r)
{
	struct slot *sl = pick_slot(r);
	struct res x[NSIDES];
	const char *kind;
	size_t len;
	off_t off;
	int s;

	if (!sl) {
		op_open(r);
		return;
	}
	off = gen_off(r, ref_fd_size(sl));
	len = gen_len(r, MAX_WRITE);
	kind = fill(r, len);
	describe(r, "pwrite(%s, %zu bytes (%s), %lld)", slot_str(r, sl), len,
		 kind, (long long) off);
	mark_range(r, off, (off_t) len);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(pwrite(sl->fd[s], wbuf, len, off));
	same(r, "pwrite", x, false);
}

static void op_fdread(struct run *r)
{
	struct slot *sl = pick_slot(r);
	struct res x[NSIDES];
	size_t len;
	off_t off;
	int s;

	if (!sl) {
		op_open(r);
		return;
	}
	off = gen_off(r, ref_fd_size(sl));
	len = gen_len(r, MAX_WRITE);
	describe(r, "pread(%s, %zu, %lld)", slot_str(r, sl), len,
		 (long long) off);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(pread(sl->fd[s], rbuf[s], len, off));
	same_data(r, "pread", x, off);
}

static void op_truncate(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	off_t size;
	int s;

	gen_path(r, path, W_FILE);
	size = gen_size(r, ref_size(r, path));
	describe(r, "truncate(\"%s\", %lld)", path, (long long) size);
	mark(r, size);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(truncate(ap(r, s, path), size));
	same(r, "truncate", x, false);
}

static void op_ftruncate(struct run *r)
{
	struct slot *sl = pick_slot(r);
	struct res x[NSIDES];
	off_t size;
	int s;

	if (!sl) {
		op_open(r);
		return;
	}
	size = gen_size(r, ref_fd_size(sl));
	describe(r, "ftruncate(%s, %lld)", slot_str(r, sl), (long long) size);
	mark(r, size);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(ftruncate(sl->fd[s], size));
	same(r, "ftruncate", x, false);
}

static void op_fallocate(struct run *r)
{
	static const struct {
		int mode;
		const char *name;
	} modes[] = {
		{0, "0"},
		{0, "0"},
		{FALLOC_FL_KEEP_SIZE, "KEEP_SIZE"},
		{FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		 "PUNCH_HOLE|KEEP_SIZE"},
		{FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		 "PUNCH_HOLE|KEEP_SIZE"},
		{FALLOC_FL_ZERO_RANGE, "ZERO_RANGE"},
		{FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		 "ZERO_RANGE|KEEP_SIZE"},
	};
	struct slot *sl = pick_slot(r);
	struct res x[NSIDES];
	off_t off, len, size;
	size_t m;
	int s;

	if (!sl) {
		op_open(r);
		return;
	}
	m = below(r, sizeof(modes) / sizeof(modes[0]));
	size = ref_fd_size(sl);
	off = gen_off(r, size);
	if (modes[m].mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) &&
	    chance(r, 10))
		len = size + 1; /* punch a large part, maybe all */
	else
		len = (off_t) gen_len(r, MIB);
	describe(r, "fallocate(%s, %s, %lld, %lld)", slot_str(r, sl),
		 modes[m].name, (long long) off, (long long) len);
	mark_range(r, off, len);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(fallocate(sl->fd[s], modes[m].mode, off, len));
	same(r, "fallocate", x, false);
}

static void op_fsync(struct run *r)
{
	struct slot *sl = pick_slot(r);
	struct res x[NSIDES];
	bool data = chance(r, 50);
	int s;

	if (!sl) {
		op_open(r);
		return;
	}
	describe(r, "%s(%s)", data ? "fdatasync" : "fsync", slot_str(r, sl));
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(data ? fdatasync(sl->fd[s]) : fsync(sl->fd[s]));
	same(r, "fsync", x, false);
}

static void op_fstat(struct run *r)
{
	struct slot *sl = pick_slot(r);

	if (!sl) {
		op_open(r);
		return;
	}
	describe(r, "fstat(%s)", slot_str(r, sl));
	fstat_slot(r, sl, "fstat");
}

static void op_stat(struct run *r)
{
	char path[PATH_MAX];
	struct stat st[NSIDES];
	struct res x[NSIDES];
	bool l = chance(r, 50);
	int s;

	gen_path_or_root(r, path, 5, W_OLD);
	describe(r, "%s(\"%s\")", l ? "lstat" : "stat", path);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(l ? lstat(ap(r, s, path), &st[s])
				: stat(ap(r, s, path), &st[s]));
	if (same(r, "stat", x, false) && x[REF].ret == 0)
		same_stat(r, "stat", st);
}

static void op_rename(struct run *r)
{
	static const struct {
		unsigned flags;
		const char *name;
	} modes[] = {
		{0, "0"},
		{0, "0"},
		{0, "0"},
		{RENAME_NOREPLACE, "RENAME_NOREPLACE"},
		{RENAME_EXCHANGE, "RENAME_EXCHANGE"},
	};
	char from[PATH_MAX], to[PATH_MAX];
	struct res x[NSIDES];
	size_t m = below(r, sizeof(modes) / sizeof(modes[0]));
	int s;

	gen_path(r, from, W_OLD);
	gen_path(r, to, either(r, 50, W_NEW, W_OLD));
	describe(r, "renameat2(\"%s\", \"%s\", %s)", from, to, modes[m].name);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(renameat2(AT_FDCWD, ap(r, s, from), AT_FDCWD,
					ap(r, s, to), modes[m].flags));
	same(r, "renameat2", x, false);
}

static void op_link(struct run *r)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct res x[NSIDES];
	int flags = chance(r, 20) ? AT_SYMLINK_FOLLOW : 0;
	int s;

	gen_path(r, from, either(r, 75, W_FILE, W_OLD));
	gen_path(r, to, W_NEW);
	describe(r, "linkat(\"%s\", \"%s\", %s)", from, to,
		 flags ? "AT_SYMLINK_FOLLOW" : "0");
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(linkat(AT_FDCWD, ap(r, s, from), AT_FDCWD,
				     ap(r, s, to), flags));
	same(r, "linkat", x, false);
}

/* unlink(), often of a name a kept descriptor was opened by. */
static void op_unlink(struct run *r)
{
	char path[PATH_MAX];
	struct slot *sl = chance(r, 30) ? pick_slot(r) : NULL;
	struct res x[NSIDES];
	int s;

	if (sl)
		strcpy(path, sl->path);
	else
		gen_path(r, path, either(r, 50, W_FILE, W_OLD));
	describe(r, "unlink(\"%s\")", path);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(unlink(ap(r, s, path)));
	same(r, "unlink", x, false);
}

static void op_mkdir(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	mode_t mode;
	int s;

	gen_path(r, path, W_NEW);
	mode = chance(r, 80) ? 0755 : (mode_t) below(r, 01000);
	if (chance(r, 10))
		mode |= S_ISVTX;
	describe(r, "mkdir(\"%s\", 0%o)", path, mode);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(mkdir(ap(r, s, path), mode));
	same(r, "mkdir", x, false);
}

static void op_rmdir(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	int s;

	gen_path(r, path, either(r, 60, W_EMPTY, W_DIR));
	describe(r, "rmdir(\"%s\")", path);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(rmdir(ap(r, s, path)));
	same(r, "rmdir", x, false);
}

static void op_symlink(struct run *r)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct res x[NSIDES];
	int s;

	gen_target(r, target);
	gen_path(r, path, W_NEW);
	describe(r, "symlink(\"%s\", \"%s\")", brief(target), path);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(symlink(target, ap(r, s, path)));
	same(r, "symlink", x, false);
}

static void op_readlink(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	size_t size = chance(r, 20) ? 1 + below(r, 16) : PATH_MAX;
	int s;

	gen_path(r, path, either(r, 80, W_LINK, W_OLD));
	describe(r, "readlink(\"%s\", %zu)", path, size);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(readlink(ap(r, s, path), rbuf[s], size));
	same_data(r, "readlink", x, 0);
}

static void op_chmod(struct run *r)
{
	char path[PATH_MAX];
	struct res x[NSIDES];
	mode_t mode = (mode_t) below(r, 01000);
	int s;

	gen_path_or_root(r, path, 3, W_OLD);
	if (chance(r, 10))
		mode |= S_ISVTX;
	if (chance(r, 5))
		mode |= S_ISUID;
	describe(r, "chmod(\"%s\", 0%o)", path, mode);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(chmod(ap(r, s, path), mode));
	same(r, "chmod", x, false);
}

static void gen_time(struct run *r, struct timespec *ts, unsigned omit)
{
	if (chance(r, omit)) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
		return;
	}
	ts->tv_sec = (time_t) below(r, chance(r, 10) ? 1ULL << 33 : 1ULL << 31);
	ts->tv_nsec = (long) below(r, 1000000000);
}

/* "123.000000456" or "UTIME_OMIT"; returns one of 2 static buffers. */
static const char *time_str(const struct timespec *ts)
{
	static char bufs[2][32];
	static unsigned next;
	char *b = bufs[next++ % 2];

	if (ts->tv_nsec == UTIME_OMIT)
		return "UTIME_OMIT";
	snprintf(b, sizeof(bufs[0]), "%lld.%09ld", (long long) ts->tv_sec,
		 ts->tv_nsec);
	return b;
}

/* utimensat() with explicit times; then both must report the same mtime. */
static void op_utimens(struct run *r)
{
	char path[PATH_MAX];
	struct timespec ts[2];
	struct stat st[NSIDES];
	struct res x[NSIDES];
	int flags = chance(r, 20) ? AT_SYMLINK_NOFOLLOW : 0;
	int s;

	gen_path_or_root(r, path, 3, W_OLD);
	gen_time(r, &ts[0], 40);
	gen_time(r, &ts[1], 10);
	describe(r, "utimensat(\"%s\", {%s, %s}, %s)", path, time_str(&ts[0]),
		 time_str(&ts[1]), flags ? "AT_SYMLINK_NOFOLLOW" : "0");
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(utimensat(AT_FDCWD, ap(r, s, path), ts, flags));
	if (!same(r, "utimensat", x, false) || x[REF].ret < 0 ||
	    ts[1].tv_nsec == UTIME_OMIT)
		return;
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(fstatat(AT_FDCWD, ap(r, s, path), &st[s], flags));
	if (!same(r, "stat after utimensat", x, false))
		return;
	if (st[REF].st_mtim.tv_sec != st[FS].st_mtim.tv_sec ||
	    st[REF].st_mtim.tv_nsec != st[FS].st_mtim.tv_nsec)
		fail(r, "st_mtim %s on %s, %s on %s",
		     time_str(&st[REF].st_mtim), side_name[REF],
		     time_str(&st[FS].st_mtim), side_name[FS]);
}

/* ---- extended attributes ---- */

/*
 * Picks where an xattr call goes: a kept descriptor, or a path whose last
 * name is most often what want says.
 */
static void gen_xtarget(struct run *r, struct xtarget *t, enum want want)
{
	t->sl = chance(r, 20) ? pick_slot(r) : NULL;
	t->nofollow = !t->sl && chance(r, 15);
	if (t->sl)
		strcpy(t->path, t->sl->path);
	else
		gen_path_or_root(r, t->path, 3, want);
}

static const char *xtarget_str(struct run *r, const struct xtarget *t)
{
	static char buf[PATH_MAX + 200];

	if (t->sl)
		snprintf(buf, sizeof(buf), "%s", slot_str(r, t->sl));
	else
		snprintf(buf, sizeof(buf), "\"%s\"", t->path);
	return buf;
}

static const char *xprefix(const struct xtarget *t)
{
	return t->sl ? "f" : t->nofollow ? "l" : "";
}

static struct res x_set(struct run *r, const struct xtarget *t, int s,
			const char *name, const void *val, size_t len,
			int flags)
{
	if (t->sl)
		return res_of(fsetxattr(t->sl->fd[s], name, val, len, flags));
	if (t->nofollow)
		return res_of(
			lsetxattr(ap(r, s, t->path), name, val, len, flags));
	return res_of(setxattr(ap(r, s, t->path), name, val, len, flags));
}

static struct res x_get(struct run *r, const struct xtarget *t, int s,
			const char *name, void *buf, size_t size)
{
	if (t->sl)
		return res_of(fgetxattr(t->sl->fd[s], name, buf, size));
	if (t->nofollow)
		return res_of(lgetxattr(ap(r, s, t->path), name, buf, size));
	return res_of(getxattr(ap(r, s, t->path), name, buf, size));
}

static struct res x_list(struct run *r, const struct xtarget *t, int s,
			 char *buf, size_t size)
{
	if (t->sl)
		return res_of(flistxattr(t->sl->fd[s], buf, size));
	if (t->nofollow)
		return res_of(llistxattr(ap(r, s, t->path), buf, size));
	return res_of(listxattr(ap(r, s, t->path), buf, size));
}

static struct res x_remove(struct run *r, const struct xtarget *t, int s,
			   const char *name)
{
	if (t->sl)
		return res_of(fremovexattr(t->sl->fd[s], name));
	if (t->nofollow)
		return res_of(lremovexattr(ap(r, s, t->path), name));
	return res_of(removexattr(ap(r, s, t->path), name));
}

/* Is name in the list of names (len bytes) that listxattr() gave? */
static bool has_name(const char *list, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i += strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

/*
 * Picks an xattr name for t: most often one the reference has, so that
 * get and remove find something often enough.
 */
static const char *pick_xattr(struct run *r, const struct xtarget *t)
{
	const char *have[NXATTRS];
	char list[1024];
	struct res x = x_list(r, t, REF, list, sizeof(list));
	size_t i, n = 0;

	if (x.ret > 0 && chance(r, 75))
		for (i = 0; i < NXATTRS; i++)
			if (has_name(list, (size_t) x.ret, xattr_names[i]))
				have[n++] = xattr_names[i];
	return n ? have[below(r, n)] : xattr_names[below(r, NXATTRS)];
}

static void op_setxattr(struct run *r)
{
	static const char *const fname[] = {"0", "XATTR_CREATE",
					    "XATTR_REPLACE"};
	static const int fval[] = {0, XATTR_CREATE, XATTR_REPLACE};
	const char *name = xattr_names[below(r, NXATTRS)];
	struct xtarget t;
	struct res x[NSIDES];
	size_t len, f;
	int s;

	gen_xtarget(r, &t, either(r, 70, W_FILE, W_OLD));
	f = below(r, 4);
	f = f == 3 ? 0 : f;
	len = chance(r, 10) ? 0 : below(r, MAX_XATTR + 1);
	fill(r, len);
	describe(r, "%ssetxattr(%s, %s, %zu bytes, %s)", xprefix(&t),
		 xtarget_str(r, &t), name, len, fname[f]);
	for (s = 0; s < NSIDES; s++)
		x[s] = x_set(r, &t, s, name, wbuf, len, fval[f]);
	same(r, "setxattr", x, false);
}

static void op_getxattr(struct run *r)
{
	const char *name;
	struct xtarget t;
	struct res x[NSIDES];
	unsigned u = (unsigned) below(r, 100);
	size_t size = u < 15 ? 0 : u < 30 ? 1 + below(r, 64) : 256;
	int s;

	gen_xtarget(r, &t, either(r, 60, W_XATTR, W_OLD));
	name = pick_xattr(r, &t);
	describe(r, "%sgetxattr(%s, %s, %zu)", xprefix(&t), xtarget_str(r, &t),
		 name, size);
	for (s = 0; s < NSIDES; s++)
		x[s] = x_get(r, &t, s, name, rbuf[s], size);
	if (size)
		same_data(r, "getxattr", x, 0);
	else
		same(r, "getxattr", x, false);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Writes the user.* names of a listxattr() result (buf, len bytes) to out,
 * sorted and separated by spaces: ext4 may list names of other classes.
 */
static void user_names(char *buf, size_t len, char *out, size_t size)
{
	char *v[64];
	size_t i, n = 0;

	for (i = 0; i < len && n < 64; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "user.", 5))
			v[n++] = buf + i;
	qsort(v, n, sizeof(v[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, v[i], size - strlen(out) - 1);
	}
}

/*
 * Compares the user.* xattr names and values of t on both sides; the
 * list call itself must succeed or fail alike.
 */
static bool same_xattrs(struct run *r, const char *what,
			const struct xtarget *t)
{
	char list[NSIDES][1024], step[PATH_MAX + 128];
	char *name, *save;
	struct res x[NSIDES];
	int s;

	for (s = 0; s < NSIDES; s++) {
		x[s] = x_list(r, t, s, rbuf[s], 64 * KIB);
		if (x[s].ret >= 0)
			user_names(rbuf[s], (size_t) x[s].ret, list[s],
				   sizeof(list[s]));
	}
	if (!same(r, "listxattr", x, true) || x[REF].ret < 0)
		return false;
	if (strcmp(list[REF], list[FS]))
		return fail(r, "%s: xattrs [%s] on %s, [%s] on %s", what,
			    list[REF], side_name[REF], list[FS], side_name[FS]);
	for (name = strtok_r(list[REF], " ", &save); name;
	     name = strtok_r(NULL, " ", &save)) {
		snprintf(step, sizeof(step), "%s: getxattr %s", what, name);
		for (s = 0; s < NSIDES; s++)
			x[s] = x_get(r, t, s, name, rbuf[s], 64 * KIB);
		if (!same_data(r, step, x, 0))
			return false;
	}
	return true;
}

static void op_listxattr(struct run *r)
{
	struct xtarget t;

	gen_xtarget(r, &t, either(r, 50, W_XATTR, W_OLD));
	describe(r, "%slistxattr(%s)", xprefix(&t), xtarget_str(r, &t));
	same_xattrs(r, "listxattr", &t);
}

static void op_removexattr(struct run *r)
{
	const char *name;
	struct xtarget t;
	struct res x[NSIDES];
	int s;

	gen_xtarget(r, &t, either(r, 60, W_XATTR, W_OLD));
	name = pick_xattr(r, &t);
	describe(r, "%sremovexattr(%s, %s)", xprefix(&t), xtarget_str(r, &t),
		 name);
	for (s = 0; s < NSIDES; s++)
		x[s] = x_remove(r, &t, s, name);
	same(r, "removexattr", x, false);
}

/* ---- directories ---- */

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *) a)->name,
		      ((const struct dent *) b)->name);
}

/*
 * Reads directory path, without "." and "..", sorted by name.  Returns 0
 * and a malloc'd array, or -errno.
 */
static int list_dir(const char *path, struct dent **out, size_t *count)
{
	struct dent *v = NULL, *nv;
	struct dirent *e;
	size_t n = 0, cap = 0;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].type = e->d_type;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_dent);
	*out = v;
	*count = n;
	return 0;
}

/* "a b/ c@" like ls -F, for messages. */
static void fmt_list(const struct dent *v, size_t n, char *out, size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t) snprintf(out + len, size - len, "%s%s%s",
					 i ? " " : "", v[i].name,
					 v[i].type == DT_DIR   ? "/"
					 : v[i].type == DT_LNK ? "@"
					 : v[i].type == DT_REG ? ""
							       : "?");
}

/* Both listings must have the same names with the same types. */
static bool same_list(struct run *r, const char *what, struct dent *v[NSIDES],
		      const size_t n[NSIDES])
{
	char a[512], b[512];
	size_t i;

	if (n[REF] == n[FS]) {
		for (i = 0; i < n[REF]; i++)
			if (strcmp(v[REF][i].name, v[FS][i].name) ||
			    v[REF][i].type != v[FS][i].type)
				break;
		if (i == n[REF])
			return true;
	}
	fmt_list(v[REF], n[REF], a, sizeof(a));
	fmt_list(v[FS], n[FS], b, sizeof(b));
	return fail(r, "%s: [%s] on %s, [%s] on %s", what, a, side_name[REF], b,
		    side_name[FS]);
}

static void op_readdir(struct run *r)
{
	char path[PATH_MAX];
	struct dent *v[NSIDES] = {NULL, NULL};
	size_t n[NSIDES] = {0, 0};
	struct res x[NSIDES];
	int s, rc;

	gen_path_or_root(r, path, 20, W_DIR);
	describe(r, "readdir(\"%s\")", path);
	for (s = 0; s < NSIDES; s++) {
		rc = list_dir(ap(r, s, path), &v[s], &n[s]);
		errno = -rc;
		x[s] = res_of(rc < 0 ? -1 : 0);
	}
	if (same(r, "opendir", x, false) && x[REF].ret == 0)
		same_list(r, "readdir", v, n);
	free(v[REF]);
	free(v[FS]);
}

/* ---- comparing the trees ---- */

/* Compares len bytes at off of two open files (fd[REF], fd[FS]). */
static bool cmp_range(struct run *r, const char *rel, const int fd[NSIDES],
		      off_t off, off_t len)
{
	struct res x[NSIDES];
	char step[PATH_MAX + 64];
	size_t n;
	int s;

	while (len > 0) {
		n = len < CHUNK ? (size_t) len : CHUNK;
		snprintf(step, sizeof(step), "'%s': pread %zu at %lld", rel, n,
			 (long long) off);
		for (s = 0; s < NSIDES; s++)
			x[s] = res_of(pread(fd[s], rbuf[s], n, off));
		if (!same_data(r, step, x, off))
			return false;
		if (x[REF].ret == 0)
			break;
		off += x[REF].ret;
		len -= x[REF].ret;
	}
	return true;
}

/*
 * Compares the SAMPLE-aligned block around at, clipped to the hole [start,
 * end) of the reference.
 */
static bool cmp_sample(struct run *r, const char *rel, const int fd[NSIDES],
		       off_t start, off_t end, off_t at)
{
	off_t from = at & ~(SAMPLE - 1);

	if (from < start)
		from = start;
	if (from >= end)
		return true;
	return cmp_range(r, rel, fd, from,
			 end - from < SAMPLE ? end - from : SAMPLE);
}

/*
 * Compares a hole [start, end) of the reference at its start, middle and
 * end, and around every offset marked by an operation of this seed: stale
 * data left by a truncate or a punch would show there.
 */
static bool cmp_hole(struct run *r, const char *rel, const int fd[NSIDES],
		     off_t start, off_t end)
{
	size_t i;

	if (!cmp_sample(r, rel, fd, start, end, start) ||
	    !cmp_sample(r, rel, fd, start, end, start + (end - start) / 2) ||
	    !cmp_sample(r, rel, fd, start, end, end - 1))
		return false;
	for (i = 0; i < r->nmarks; i++)
		if (r->marks[i] >= start && r->marks[i] < end &&
		    !cmp_sample(r, rel, fd, start, end, r->marks[i]))
			return false;
	return true;
}

/*
 * Compares a large file without reading all of its holes: the first
 * BIG_FILE bytes in full, then the reference's data extents in full and
 * its holes by cmp_hole().
 */
static bool cmp_sparse(struct run *r, const char *rel, const int fd[NSIDES],
		       off_t size)
{
	off_t off = BIG_FILE, data, end;

	if (!cmp_range(r, rel, fd, 0, BIG_FILE))
		return false;
	while (off < size) {
		data = lseek(fd[REF], off, SEEK_DATA);
		if (data < 0 || data > size)
			data = size;
		if (data > off && !cmp_hole(r, rel, fd, off, data))
			return false;
		if (data >= size)
			break;
		end = lseek(fd[REF], data, SEEK_HOLE);
		if (end < 0 || end > size)
			end = size;
		if (!cmp_range(r, rel, fd, data, end - data))
			return false;
		off = end;
	}
	return true;
}

/* Compares the contents of regular file rel, size bytes on both sides. */
static bool cmp_file(struct run *r, const char *rel, off_t size)
{
	int fd[NSIDES];
	bool ok;

	if (!open_both(r, rel, O_RDONLY | O_NOFOLLOW, fd))
		return r->failed ? false : fail(r, "'%s': cannot open", rel);
	if (size <= BIG_FILE)
		ok = cmp_range(r, rel, fd, 0, size);
	else
		ok = cmp_sparse(r, rel, fd, size);
	ok = ok && cmp_range(r, rel, fd, size, 1); /* both at end of file */
	close_both(r, fd);
	return ok && !r->failed;
}

static bool cmp_link(struct run *r, const char *rel)
{
	struct res x[NSIDES];
	char step[PATH_MAX + 16];
	int s;

	snprintf(step, sizeof(step), "'%s': readlink", rel);
	for (s = 0; s < NSIDES; s++)
		x[s] = res_of(readlink(ap(r, s, rel), rbuf[s], CHUNK));
	return same_data(r, step, x, 0);
}

static bool add_node(struct walk *w, const char *rel,
		     const struct stat st[NSIDES])
{
	struct node *v;
	int s;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		v = realloc(w->v, w->cap * sizeof(*v));
		if (!v)
			return false;
		w->v = v;
	}
	w->v[w->n].path = strdup(rel);
	for (s = 0; s < NSIDES; s++)
		w->v[w->n].ino[s] = st[s].st_ino;
	return w->v[w->n++].path != NULL;
}

static bool cmp_dir(struct run *r, const char *rel, struct walk *w);

/* Compares rel (not following a symlink) and, for a directory, below. */
static bool cmp_entry(struct run *r, const char *rel, struct walk *w)
{
	const char *label = rel[0] ? rel : "/";
	char what[PATH_MAX + 8];
	struct stat st[NSIDES];
	struct xtarget t = {.sl = NULL, .nofollow = true};
	int s;

	for (s = 0; s < NSIDES; s++)
		if (lstat(ap(r, s, rel), &st[s]) < 0)
			return fail(r, "'%s': lstat on %s: %s", label,
				    side_name[s], strerror(errno));
	snprintf(what, sizeof(what), "'%s'", label);
	snprintf(t.path, sizeof(t.path), "%s", rel);
	if (!same_stat(r, what, st) || !same_xattrs(r, what, &t))
		return false;
	switch (st[REF].st_mode & S_IFMT) {
	case S_IFDIR:
		return cmp_dir(r, rel, w);
	case S_IFREG:
		if (!cmp_file(r, rel, st[REF].st_size))
			return false;
		break;
	case S_IFLNK:
		if (!cmp_link(r, rel))
			return false;
		break;
	}
	return add_node(w, rel, st) || fail(r, "out of memory");
}

static bool cmp_dir(struct run *r, const char *rel, struct walk *w)
{
	struct dent *v[NSIDES] = {NULL, NULL};
	size_t n[NSIDES] = {0, 0}, i;
	char child[PATH_MAX], what[PATH_MAX + 8];
	bool ok = true;
	int s, rc;

	for (s = 0; s < NSIDES && ok; s++) {
		rc = list_dir(ap(r, s, rel), &v[s], &n[s]);
		if (rc < 0)
			ok = fail(r, "'%s': readdir on %s: %s",
				  rel[0] ? rel : "/", side_name[s],
				  strerror(-rc));
	}
	snprintf(what, sizeof(what), "'%s'", rel[0] ? rel : "/");
	ok = ok && same_list(r, what, v, n);
	for (i = 0; ok && i < n[REF]; i++) {
		join(child, rel, v[REF][i].name);
		ok = cmp_entry(r, child, w);
	}
	free(v[REF]);
	free(v[FS]);
	return ok;
}

/* Names that are hard links of one another on one side must be on both. */
static bool cmp_links(struct run *r, const struct walk *w)
{
	bool a, b;
	size_t i, j;

	for (i = 0; i < w->n; i++) {
		for (j = i + 1; j < w->n; j++) {
			a = w->v[i].ino[REF] == w->v[j].ino[REF];
			b = w->v[i].ino[FS] == w->v[j].ino[FS];
			if (a != b)
				return fail(r,
					    "'%s' and '%s': %s on %s, %s on %s",
					    w->v[i].path, w->v[j].path,
					    a ? "one inode" : "two inodes",
					    side_name[REF],
					    b ? "one inode" : "two inodes",
					    side_name[FS]);
		}
	}
	return true;
}

static void cmp_trees(struct run *r, const char *when)
{
	struct walk w = {NULL, 0, 0};
	size_t i;

	describe(r, "compare the trees %s", when);
	if (cmp_entry(r, "", &w))
		cmp_links(r, &w);
	for (i = 0; i < w.n; i++)
		free(w.v[i].path);
	free(w.v);
}

/* ---- one seed ---- */

static const struct {
	void (*fn)(struct run *r);
	unsigned weight;
} ops[] = {
	{op_open, 8},	     {op_close, 4},	{op_write, 8},
	{op_fdwrite, 10},    {op_read, 5},	{op_fdread, 6},
	{op_truncate, 3},    {op_ftruncate, 3}, {op_fallocate, 4},
	{op_fsync, 1},	     {op_fstat, 2},	{op_stat, 4},
	{op_rename, 7},	     {op_link, 4},	{op_unlink, 5},
	{op_mkdir, 4},	     {op_rmdir, 3},	{op_symlink, 3},
	{op_readlink, 2},    {op_chmod, 2},	{op_utimens, 3},
	{op_setxattr, 4},    {op_getxattr, 3},	{op_listxattr, 2},
	{op_removexattr, 2}, {op_readdir, 3},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void run_op(struct run *r)
{
	unsigned total = 0, u;
	size_t i;

	for (i = 0; i < NOPS; i++)
		total += ops[i].weight;
	u = (unsigned) below(r, total);
	for (i = 0; u >= ops[i].weight; i++)
		u -= ops[i].weight;
	ops[i].fn(r);
}

/*
 * Closes every kept descriptor, unmounts (the daemon must exit 0), mounts
 * again and compares the trees: what was written must have persisted.
 */
static void remount(struct run *r, long done)
{
	char when[64];

	close_all(r, true);
	if (r->failed)
		return;
	if (!selftest) {
		describe(r, "unmount after %ld operations", done);
		if (mnt_umount(&r->m) < 0) {
			fail(r, "unmount failed or the daemon did not exit 0");
			return;
		}
		describe(r, "mount again after %ld operations", done);
		if (mnt_mount(&r->m, mount_opts) < 0) {
			fail(r, "the daemon did not mount");
			return;
		}
	}
	snprintf(when, sizeof(when), "after a remount at %ld operations", done);
	cmp_trees(r, when);
}

/* Makes the two empty trees and mounts; false (and r->why) on failure. */
static bool setup(struct run *r)
{
	const char *tmp = getenv("TMPDIR");

	describe(r, "set up");
	if (selftest) {
		memset(&r->m, 0, sizeof(r->m));
		snprintf(r->m.dir, sizeof(r->m.dir), "%s/randops.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(r->m.dir))
			return fail(r, "mkdtemp: %s", strerror(errno));
		snprintf(r->root[FS], sizeof(r->root[FS]), "%s/other",
			 r->m.dir);
		if (mkdir(r->root[FS], 0755) < 0)
			return fail(r, "mkdir %s: %s", r->root[FS],
				    strerror(errno));
	} else {
		if (mnt_init(&r->m, getenv("RANDOPS_MKFS_ARGS")) < 0)
			return fail(r, "mkfs failed");
		if (mnt_mount(&r->m, mount_opts) < 0)
			return fail(r, "the daemon did not mount");
		snprintf(r->root[FS], sizeof(r->root[FS]), "%s", r->m.path);
	}
	snprintf(r->root[REF], sizeof(r->root[REF]), "%s/ref", r->m.dir);
	if (mkdir(r->root[REF], 0755) < 0)
		return fail(r, "mkdir %s: %s", r->root[REF], strerror(errno));
	return true;
}

/* Prints the daemon's log if it has anything in it. */
static void dump_log(struct run *r)
{
	struct stat st;

	if (!selftest && stat(r->m.log, &st) == 0 && st.st_size > 0)
		mnt_dump_log(&r->m);
}

/*
 * Runs nops operations for seed.  Returns true if the seed passed; else
 * copies the first mismatch to why.
 */
static bool run_seed(unsigned long seed, long nops, char *why, size_t size)
{
	struct run *r = calloc(1, sizeof(*r));
	bool ok;
	long i;
	int k;

	if (!r) {
		snprintf(why, size, "out of memory");
		return false;
	}
	for (k = 0; k < NSLOTS; k++)
		r->slot[k].fd[REF] = r->slot[k].fd[FS] = -1;
	r->seed = seed;
	r->op = -1;
	rnd_seed(r, seed);
	if (setup(r)) {
		for (i = 0; i < nops && !r->failed; i++) {
			r->op = i;
			run_op(r);
			r->op = -1;
			if ((i + 1) % REMOUNT_EVERY == 0 && i + 1 < nops &&
			    !r->failed)
				remount(r, i + 1);
		}
		close_all(r, !r->failed);
		if (!r->failed)
			cmp_trees(r, "at the end");
	}
	if (r->m.pid) {
		if (r->failed)
			dump_log(r);
		describe(r, "unmount at the end");
		if (mnt_umount(&r->m) < 0)
			fail(r, "unmount failed or the daemon did not exit 0");
	}
	if (!r->failed && !selftest) {
		describe(r, "check the database");
		if (mnt_check_db(&r->m) < 0)
			fail(r, "integrity_check or foreign_key_check failed");
	}
	mnt_cleanup(&r->m);
	ok = !r->failed;
	snprintf(why, size, "%s", r->why);
	free(r->marks);
	free(r);
	return ok;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: randops [--seeds N] [--ops N] [--first S] "
		   "[--seed S]\n"
		   "  --seeds N  run N seeds (default 8)\n"
		   "  --first S  starting at seed S (default 1)\n"
		   "  --seed S   run seed S only, to replay a failure\n"
		   "  --ops N    operations per seed (default 3000)\n");
}

static unsigned long parse_num(const char *arg, const char *opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-') {
		fprintf(stderr, "randops: %s: bad number '%s'\n", opt, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seeds", required_argument, NULL, 'n'},
		{"ops", required_argument, NULL, 'o'},
		{"seed", required_argument, NULL, 's'},
		{"first", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long seeds = 8, first = 1, seed, k;
	long nops = 3000;
	char why[2048];
	const char *env;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			seeds = parse_num(optarg, "--seeds");
			break;
		case 'o':
			nops = (long) parse_num(optarg, "--ops");
			break;
		case 's':
			first = parse_num(optarg, "--seed");
			seeds = 1;
			break;
		case 'f':
			first = parse_num(optarg, "--first");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	env = getenv("RANDOPS_SELFTEST");
	selftest = env && *env && strcmp(env, "0");
	if (selftest)
		side_name[FS] = "other";
	env = getenv("RANDOPS_TRACE");
	trace = env && *env && strcmp(env, "0");
	env = getenv("RANDOPS_MOUNT_OPTS");
	mount_opts = env && *env ? env : NULL;
	umask(022);

	printf("1..%lu\n", seeds);
	fflush(stdout);
	for (k = 0; k < seeds; k++) {
		seed = first + k;
		if (run_seed(seed, nops, why, sizeof(why))) {
			printf("ok %lu - seed %lu (%ld ops)\n", k + 1, seed,
			       nops);
		} else {
			failed++;
			printf("not ok %lu - seed %lu: %s\n", k + 1, seed, why);
			printf("# replay: %srandops --seed %lu --ops %ld\n",
			       selftest ? "RANDOPS_SELFTEST=1 " : "", seed,
			       nops);
			fprintf(stderr,
				"replay: %srandops --seed %lu --ops %ld\n",
				selftest ? "RANDOPS_SELFTEST=1 " : "", seed,
				nops);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
