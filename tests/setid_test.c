/*
 * setid_test.c - what a write or chown takes from a set-ID file, against ext4
 *
 * Every change of a file's contents by a user who may not keep them
 * (without CAP_FSETID) drops its set-user-ID bit, its set-group-ID bit
 * when group-executable or when the user is outside the file's group, and
 * by anyone, its security.capability.  Every chown of a non-directory,
 * even chown(path, -1, -1), to the same owner or by root, drops its
 * set-user-ID bit, its set-group-ID bit when group-executable or when the
 * caller has neither the file's group nor CAP_FSETID, and its
 * capabilities; a directory keeps its bits.  With -o suid a bit that
 * survives in the kernel's view is a privilege escalation: an exec runs
 * as the owner.
 *
 * The same cases run on a directory of the local disk (the reference: its
 * results are taken at run time, not written here) and on sqlitefs,
 * mounted with and without the writeback cache.  A case is an operation
 * (write at EOF, pwrite in place, O_APPEND write, ftruncate, truncate by
 * path, fallocate, punch hole, copy_file_range, a shared mmap write,
 * chown -1 -1, chown to the file's owner, chown to another user, chgrp to
 * a group of the caller, chmod to the same mode) by a user (root owning
 * the file, uid 65534 not owning it, uid 65534 owning it in its group or
 * outside it; uid 65534 has group 100 besides) on a copy of /usr/bin/id
 * with one of several set-ID modes, or with security.capability.  For
 * each, sqlitefs must give what the reference gives for: the result of
 * the operation, the mode stat(2) shows right after it,
 * security.capability, what an exec by uid 65534 of "id -u" prints (its
 * effective uid), and after syncfs the mode stat shows and the mode and
 * capability held in the database.  Then chown and chgrp of a directory
 * with both set-ID bits, by root and by its owner.
 *
 * Two kinds of chown -1 -1 cannot match, for what the kernel sends the
 * daemon (known() says which, and checks what sqlitefs does instead):
 * without the writeback cache, the kernel's request carries nothing that
 * tells it from the one before a write by root; and the kernel removes
 * security.capability before it asks the daemon, which may then refuse.
 *
 * One TAP line per mount, operation and user, covering the modes, and one
 * per known difference.  Runs as root; skips otherwise.  SETID_REF_DIR
 * picks the reference directory (default: TMPDIR, /var/tmp, /tmp, the
 * first on a local disk filesystem that allows set-user-ID executables).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NOBODY 65534
#define OTHER_UID 4242 /* chown gives the file to this user */
#define OTHER_GID 100  /* a group of uid 65534's, for chgrp */
#define PAD 8192       /* zeros after the copy of id: room to punch and cut */
#define HEAD 4096
#define CAP_NAME "security.capability"

enum op {
	OP_WRITE,
	OP_PWRITE,
	OP_APPEND,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_FALLOCATE,
	OP_PUNCH,
	OP_COPY,
	OP_MMAP,
	OP_CHOWN_KEEP,
	OP_CHOWN_SAME,
	OP_CHOWN_OTHER,
	OP_CHGRP,
	OP_CHMOD,
	OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"write at EOF",
	"pwrite in place",
	"O_APPEND write",
	"ftruncate",
	"truncate by path",
	"fallocate",
	"punch hole",
	"copy_file_range",
	"shared mmap write",
	"chown -1 -1",
	"chown to its owner",
	"chown to another user",
	"chgrp to a group of the caller",
	"chmod to the same mode",
};

enum who {
	BY_ROOT_OWNER,
	BY_OTHER,
	BY_NOBODY_OWNER,
	BY_NOBODY_OUTSIDE,
	WHO_COUNT
};

static const char *const who_name[WHO_COUNT] = {
	"by the owner, root",
	"by uid 65534, not the owner",
	"by the owner, uid 65534",
	"by the owner, uid 65534, outside the file's group",
};

static const struct variant {
	mode_t mode;
	int cap; /* security.capability set before the operation */
} variants[] = {
	{04777, 0}, {06777, 0}, {06767, 0}, {02777, 0},
	{02767, 0}, {0777, 1},	{06777, 1},
};
#define VARIANTS (sizeof(variants) / sizeof(variants[0]))

enum target { T_REF, T_WB, T_NOWB, T_COUNT };

static const char *const target_name[T_COUNT] = {"local disk", "sqlitefs",
						 "sqlitefs nowriteback"};

struct result {
	int err;       /* of the operation: 0 or an errno */
	mode_t mode;   /* stat right after */
	int cap;       /* security.capability right after */
	char euid[32]; /* what "id -u" printed run by uid 65534 */
	mode_t late;   /* stat after syncfs */
	ino_t ino;
	mode_t db_mode; /* in the database after syncfs (sqlitefs only) */
	int db_cap;
};

static struct result res[T_COUNT][OP_COUNT][WHO_COUNT][VARIANTS];

/* chown of a directory, whose set-group-ID bit (new entries take its
 * group) and set-user-ID bit every chown leaves alone */
static const struct dcase {
	const char *name;
	int nobody; /* by uid 65534 owning it, outside its group; else root */
	uid_t uid;
	gid_t gid;
} dcases[] = {
	{"chown -1 -1 by root", 0, (uid_t) -1, (gid_t) -1},
	{"chown to its owner by root", 0, 0, (gid_t) -1},
	{"chown to another user by root", 0, OTHER_UID, (gid_t) -1},
	{"chgrp by root", 0, (uid_t) -1, OTHER_GID},
	{"chown -1 -1 by its owner, uid 65534", 1, (uid_t) -1, (gid_t) -1},
	{"chgrp by its owner, uid 65534", 1, (uid_t) -1, OTHER_GID},
};
#define DCASES (sizeof(dcases) / sizeof(dcases[0]))
#define DIR_MODE 06775

static struct result dres[T_COUNT][DCASES];
static char *content; /* /usr/bin/id, then PAD zeros */
static size_t content_len;

static int load_id(void)
{
	int fd = open("/usr/bin/id", O_RDONLY);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	content_len = (size_t) st.st_size + PAD;
	content = calloc(1, content_len);
	if (!content)
		return -1;
	n = read(fd, content, (size_t) st.st_size);
	close(fd);
	return n == st.st_size ? 0 : -1;
}

static int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	if (close(fd) < 0 || n != (ssize_t) len)
		return -1;
	return 0;
}

/* groups: with OTHER_GID as supplementary group, else none */
static int become_nobody(int groups)
{
	gid_t other = OTHER_GID;

	if (setgroups(groups ? 1 : 0, &other) < 0 ||
	    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return -1;
	return 0;
}

/* The operation itself, in the child: 0 or an errno. */
static int do_op(enum op op, const char *path, const char *src)
{
	static const char zeros[16];
	off_t len = (off_t) content_len;
	int fd, in, rc = 0;
	volatile char *p;
	struct stat st;

	if (op == OP_TRUNCATE)
		return truncate(path, len - 100) < 0 ? errno : 0;
	if (op >= OP_CHOWN_KEEP && stat(path, &st) < 0)
		return errno;
	switch (op) {
	case OP_CHOWN_KEEP:
		return chown(path, (uid_t) -1, (gid_t) -1) < 0 ? errno : 0;
	case OP_CHOWN_SAME:
		return chown(path, st.st_uid, (gid_t) -1) < 0 ? errno : 0;
	case OP_CHOWN_OTHER:
		return chown(path, OTHER_UID, (gid_t) -1) < 0 ? errno : 0;
	case OP_CHGRP:
		return chown(path, (uid_t) -1, OTHER_GID) < 0 ? errno : 0;
	case OP_CHMOD:
		return chmod(path, st.st_mode & 07777) < 0 ? errno : 0;
	default:
		break;
	}
	fd = open(path, op == OP_MMAP	  ? O_RDWR
			: op == OP_APPEND ? O_WRONLY | O_APPEND
					  : O_WRONLY);
	if (fd < 0)
		return errno;
	switch (op) {
	case OP_WRITE:
		if (lseek(fd, 0, SEEK_END) < 0 ||
		    write(fd, zeros, sizeof(zeros)) != sizeof(zeros))
			rc = errno ? errno : EIO;
		break;
	case OP_PWRITE: /* its own first byte, back in place */
		if (pwrite(fd, content, 1, 0) != 1)
			rc = errno ? errno : EIO;
		break;
	case OP_APPEND:
		if (write(fd, zeros, sizeof(zeros)) != sizeof(zeros))
			rc = errno ? errno : EIO;
		break;
	case OP_FTRUNCATE:
		if (ftruncate(fd, len + 100) < 0)
			rc = errno;
		break;
	case OP_FALLOCATE:
		if (fallocate(fd, 0, len, HEAD) < 0)
			rc = errno;
		break;
	case OP_PUNCH: /* in the zeros: the program stays the same */
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      len - HEAD, HEAD) < 0)
			rc = errno;
		break;
	case OP_COPY: /* the same bytes over the first ones */
		in = open(src, O_RDONLY);
		if (in < 0) {
			rc = errno;
			break;
		}
		if (copy_file_range(in, NULL, fd, NULL, HEAD, 0) != HEAD)
			rc = errno ? errno : EIO;
		close(in);
		break;
	case OP_MMAP:
		p = mmap(NULL, HEAD, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			rc = errno;
			break;
		}
		p[1] = p[1];
		if (msync((void *) p, HEAD, MS_SYNC) < 0)
			rc = errno;
		munmap((void *) p, HEAD);
		break;
	default:
		rc = EINVAL;
	}
	if (close(fd) < 0 && !rc)
		rc = errno;
	return rc;
}

static int run_op(enum op op, enum who who, const char *path, const char *src)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (who != BY_ROOT_OWNER && become_nobody(1) < 0)
			_exit(126);
		errno = 0;
		_exit(do_op(op, path, src) & 0x7f);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Runs path -u as uid 65534 and keeps its first line of output. */
static void run_id(const char *path, char *out, size_t outsz)
{
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	snprintf(out, outsz, "(no output)");
	if (pipe(fds) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		if (become_nobody(0) < 0)
			_exit(126);
		execl(path, "id", "-u", (char *) NULL);
		printf("exec: %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], out, outsz - 1);
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n > 0) {
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
}

static int has_cap(const char *path)
{
	return getxattr(path, CAP_NAME, NULL, 0) >= 0;
}

/* security.capability granting CAP_NET_RAW, as setcap writes it */
static int set_cap(const char *path)
{
	struct vfs_cap_data v;

	memset(&v, 0, sizeof(v));
	v.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
	v.data[0].permitted = 1u << CAP_NET_RAW;
	return setxattr(path, CAP_NAME, &v, XATTR_CAPS_SZ_2, 0);
}

static const char *case_path(const char *base, enum op op, enum who who,
			     size_t v)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/f%d-%d-%zu", base, (int) op, (int) who,
		 v);
	return path;
}

/* Prepares, runs and observes one case in directory base. */
static int run_case(const char *base, const char *src, enum op op, enum who who,
		    size_t v, struct result *r)
{
	const char *path = case_path(base, op, who, v);
	struct statx stx;
	struct stat st;

	if (write_file(path, content, content_len) < 0 ||
	    (who == BY_NOBODY_OWNER && chown(path, NOBODY, NOBODY) < 0) ||
	    (who == BY_NOBODY_OUTSIDE && chown(path, NOBODY, 0) < 0) ||
	    chmod(path, variants[v].mode) < 0 ||
	    (variants[v].cap && set_cap(path) < 0)) {
		fprintf(stderr, "# %s: setup: %s\n", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) < 0) /* the kernel caches the attributes */
		return -1;
	r->err = run_op(op, who, path, src);
	/*
	 * The exec first, and a statx of the mode alone: a stat(2) would
	 * ask for st_blocks too, which a write makes the kernel fetch
	 * again, mode included, hiding a stale mode from what follows.
	 */
	run_id(path, r->euid, sizeof(r->euid));
	if (statx(AT_FDCWD, path, 0, STATX_MODE | STATX_INO, &stx) < 0)
		return -1;
	r->mode = stx.stx_mode & 07777;
	r->ino = (ino_t) stx.stx_ino;
	r->cap = has_cap(path);
	return 0;
}

static const char *dir_path(const char *base, size_t c)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/d%zu", base, c);
	return path;
}

/* Makes directory case c in base, chowns it and takes its mode. */
static int run_dir(const char *base, size_t c, struct result *r)
{
	const char *path = dir_path(base, c);
	const struct dcase *d = &dcases[c];
	struct statx stx;
	struct stat st;
	pid_t pid;
	int wst;

	if (mkdir(path, 0700) < 0 || (d->nobody && chown(path, NOBODY, 0)) ||
	    chmod(path, DIR_MODE) < 0 || stat(path, &st) < 0) {
		fprintf(stderr, "# %s: setup: %s\n", path, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (d->nobody && become_nobody(1) < 0)
			_exit(126);
		_exit(chown(path, d->uid, d->gid) < 0 ? errno & 0x7f : 0);
	}
	if (waitpid(pid, &wst, 0) != pid || !WIFEXITED(wst))
		return -1;
	r->err = WEXITSTATUS(wst);
	if (statx(AT_FDCWD, path, 0, STATX_MODE | STATX_INO, &stx) < 0)
		return -1;
	r->mode = stx.stx_mode & 07777;
	r->ino = (ino_t) stx.stx_ino;
	return 0;
}

/* Runs every case in base; then syncfs and stat again. */
static int run_all(const char *base, enum target t)
{
	char src[PATH_MAX];
	struct stat st;
	int op, who, fd;
	size_t v, c;

	snprintf(src, sizeof(src), "%s/copy-source", base);
	if (write_file(src, content, HEAD) < 0 || chmod(src, 0644) < 0)
		return -1;
	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++)
				if (run_case(base, src, op, who, v,
					     &res[t][op][who][v]) < 0)
					return -1;
	for (c = 0; c < DCASES; c++)
		if (run_dir(base, c, &dres[t][c]) < 0)
			return -1;
	/* syncfs writes back; the fsync of the directory commits */
	fd = open(base, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || syncfs(fd) < 0 || fsync(fd) < 0)
		return -1;
	close(fd);
	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++) {
				if (stat(case_path(base, op, who, v), &st) < 0)
					return -1;
				res[t][op][who][v].late = st.st_mode & 07777;
			}
	for (c = 0; c < DCASES; c++) {
		if (stat(dir_path(base, c), &st) < 0)
			return -1;
		dres[t][c].late = st.st_mode & 07777;
	}
	return 0;
}

static struct result *by_ino(enum target t, ino_t ino)
{
	int op, who;
	size_t v, c;

	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++)
				if (res[t][op][who][v].ino == ino)
					return &res[t][op][who][v];
	for (c = 0; c < DCASES; c++)
		if (dres[t][c].ino == ino)
			return &dres[t][c];
	return NULL;
}

/* Reads the modes and capabilities the database holds (committed). */
static int read_db(struct mnt *m, enum target t)
{
	char cmd[2 * PATH_MAX], line[256];
	unsigned long long ino;
	unsigned mode;
	struct result *r;
	int cap, rows = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "sqlite3 -batch '%s' \"SELECT ino, mode, EXISTS (SELECT 1 "
		 "FROM xattr x WHERE x.ino = i.ino AND x.name = '%s') FROM "
		 "inode i\"",
		 m->db, CAP_NAME);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llu|%u|%d", &ino, &mode, &cap) == 3 &&
		    (r = by_ino(t, (ino_t) ino))) {
			r->db_mode = mode & 07777;
			r->db_cap = cap;
			rows++;
		}
	cap = pclose(p);
	if (cap != 0 ||
	    rows != (int) (OP_COUNT * WHO_COUNT * VARIANTS + DCASES)) {
		fprintf(stderr, "# sqlite3 exited with %d, %d cases found\n",
			cap, rows);
		return -1;
	}
	return 0;
}

/* Compares one sqlitefs case with the reference; prints what differs. */
static int same(enum target t, int op, int who, size_t v)
{
	const struct result *a = &res[t][op][who][v];
	const struct result *e = &res[T_REF][op][who][v];
	char what[128];
	int ok = 1;

	snprintf(what, sizeof(what), "%s %s, mode %04o%s", op_name[op],
		 who_name[who], (unsigned) variants[v].mode,
		 variants[v].cap ? " with security.capability" : "");
#define DIFF(cond, fmt, x, y)                                                  \
	do {                                                                   \
		if (cond) {                                                    \
			fprintf(stderr,                                        \
				"# %s: %s: " fmt " on %s, " fmt                \
				" on the local disk\n",                        \
				target_name[t], what, x, target_name[t], y);   \
			ok = 0;                                                \
		}                                                              \
	} while (0)
	DIFF(a->err != e->err, "error %d", a->err, e->err);
	DIFF(a->mode != e->mode, "stat after: %04o", (unsigned) a->mode,
	     (unsigned) e->mode);
	DIFF(a->cap != e->cap, "capability after: %d", a->cap, e->cap);
	DIFF(strcmp(a->euid, e->euid), "exec by 65534 printed %s", a->euid,
	     e->euid);
	DIFF(a->late != e->late, "stat after syncfs: %04o", (unsigned) a->late,
	     (unsigned) e->late);
	DIFF(a->db_mode != e->late, "database: %04o", (unsigned) a->db_mode,
	     (unsigned) e->late);
	DIFF(a->db_cap != e->cap, "capability in the database: %d", a->db_cap,
	     e->cap);
#undef DIFF
	return ok;
}

/* Compares the directory cases with the reference; prints what differs. */
static int same_dirs(enum target t)
{
	const struct result *a, *e;
	int ok = 1;
	size_t c;

	for (c = 0; c < DCASES; c++) {
		a = &dres[t][c];
		e = &dres[T_REF][c];
		if (a->err == e->err && a->mode == e->mode &&
		    a->late == e->late && a->db_mode == e->late)
			continue;
		fprintf(stderr,
			"# %s: directory %04o, %s: error %d, stat after %04o, "
			"after syncfs %04o, database %04o; on the local disk: "
			"error %d, stat after %04o, after syncfs %04o\n",
			target_name[t], DIR_MODE, dcases[c].name, a->err,
			(unsigned) a->mode, (unsigned) a->late,
			(unsigned) a->db_mode, e->err, (unsigned) e->mode,
			(unsigned) e->late);
		ok = 0;
	}
	return ok;
}

/*
 * Where sqlitefs cannot do what the local disk does, because of what the
 * kernel sends it: 0, or the index in known_why.  Such a case is checked
 * against what sqlitefs does instead.
 */
static const char *const known_why[] = {
	NULL,
	/* chown(-1, -1) by a non-owner of a set-ID file with capabilities:
	 * EPERM from the daemon, the capabilities gone */
	"the kernel removes security.capability before it asks the daemon, "
	"which then refuses",
	/* chown(-1, -1) without the writeback cache: nothing happens */
	"without the writeback cache the kernel sends chown(-1, -1) as a "
	"setattr with nothing set, as it sends one before a write by root: "
	"the file stays as it was",
};

static int known(enum target t, int op, int who, size_t v)
{
	const struct result *e = &res[T_REF][op][who][v];

	if (op != OP_CHOWN_KEEP)
		return 0;
	/* the local disk says EPERM before it removes anything */
	if (who == BY_OTHER && variants[v].cap && e->err == EPERM && e->cap)
		return 1;
	if (t == T_NOWB && (e->err || e->mode != variants[v].mode))
		return 2;
	return 0;
}

/* A case known() names: what sqlitefs does instead; prints what differs. */
static int as_known(enum target t, int op, int who, size_t v)
{
	const struct result *a = &res[t][op][who][v];
	const struct result *e = &res[T_REF][op][who][v];
	int err = t == T_NOWB ? 0 : e->err;
	mode_t mode = t == T_NOWB ? variants[v].mode : e->mode;
	int cap = who == BY_OTHER && variants[v].cap ? 0 : e->cap;

	if (a->err == err && a->mode == mode && a->late == mode &&
	    a->db_mode == mode && a->cap == cap && a->db_cap == cap)
		return 1;
	fprintf(stderr,
		"# %s: %s %s, mode %04o%s: error %d, stat after %04o, after "
		"syncfs %04o, database %04o, capability %d (database %d); "
		"expected error %d, mode %04o, capability %d\n",
		target_name[t], op_name[op], who_name[who],
		(unsigned) variants[v].mode,
		variants[v].cap ? " with security.capability" : "", a->err,
		(unsigned) a->mode, (unsigned) a->late, (unsigned) a->db_mode,
		a->cap, a->db_cap, err, (unsigned) mode, cap);
	return 0;
}

static void report(enum target t)
{
	enum { KNOWN = sizeof(known_why) / sizeof(known_why[0]) };
	int op, who, ok, k, kok[KNOWN], seen[KNOWN];
	char what[512];
	size_t v;

	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++) {
			ok = 1;
			for (k = 0; k < KNOWN; k++)
				kok[k] = 1, seen[k] = 0;
			for (v = 0; v < VARIANTS; v++) {
				k = known(t, op, who, v);
				seen[k] = 1;
				if (k)
					kok[k] &= as_known(t, op, who, v);
				else
					ok &= same(t, op, who, v);
			}
			snprintf(what, sizeof(what), "%s: %s %s, as on %s",
				 target_name[t], op_name[op], who_name[who],
				 target_name[T_REF]);
			mnt_tap(ok, what);
			for (k = 1; k < KNOWN; k++) {
				if (!seen[k])
					continue;
				snprintf(what, sizeof(what),
					 "%s: %s %s, unlike the %s: %s",
					 target_name[t], op_name[op],
					 who_name[who], target_name[T_REF],
					 known_why[k]);
				mnt_tap(kok[k], what);
			}
		}
	snprintf(what, sizeof(what),
		 "%s: chown of a set-group-ID directory, as on %s",
		 target_name[t], target_name[T_REF]);
	mnt_tap(same_dirs(t), what);
}

/* A directory on a local disk filesystem that honours set-ID bits. */
static int ref_dir(char *dir, size_t size)
{
	const char *cand[] = {getenv("SETID_REF_DIR"), getenv("TMPDIR"),
			      "/var/tmp", "/tmp"};
	struct statfs sf;
	struct statvfs sv;
	size_t i;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (!cand[i] || !*cand[i] || statfs(cand[i], &sf) < 0 ||
		    statvfs(cand[i], &sv) < 0)
			continue;
		if (sf.f_type == 0x01021994 /* tmpfs */ ||
		    sf.f_type == 0x65735546 /* fuse */ ||
		    (sv.f_flag & (ST_NOSUID | ST_RDONLY)))
			continue;
		snprintf(dir, size, "%s/setid-ref.XXXXXX", cand[i]);
		if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
			return -1;
		printf("# reference: %s (filesystem magic 0x%lx%s)\n", dir,
		       (unsigned long) sf.f_type,
		       sf.f_type == 0xEF53 ? ", ext4" : "");
		return 0;
	}
	return -1;
}

static int run_sqlitefs(enum target t, const char *opts)
{
	struct mnt m;
	char what[128];
	int rc;

	if (mnt_init(&m, NULL) < 0 || mnt_mount(&m, opts) < 0) {
		mnt_cleanup(&m);
		return -1;
	}
	rc = run_all(m.path, t);
	mnt_tap(rc == 0, "every case ran on the mount");
	if (rc == 0) {
		rc = read_db(&m, t);
		snprintf(what, sizeof(what), "%s: the database holds them",
			 target_name[t]);
		mnt_tap(rc == 0, what);
	}
	if (rc == 0)
		report(t);
	snprintf(what, sizeof(what), "%s: unmount, daemon exits 0",
		 target_name[t]);
	mnt_tap(mnt_umount(&m) == 0, what);
	if (mnt_tap_failed)
		mnt_dump_log(&m);
	mnt_cleanup(&m);
	return rc;
}

int main(void)
{
	char dir[PATH_MAX], cmd[PATH_MAX + 16];
	int rc;

	if (geteuid() != 0 || load_id() < 0) {
		printf("1..0 # SKIP needs root and /usr/bin/id\n");
		return 77;
	}
	if (ref_dir(dir, sizeof(dir)) < 0) {
		printf("1..0 # SKIP no local disk directory for the "
		       "reference\n");
		return 77;
	}
	rc = run_all(dir, T_REF);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", dir);
	mnt_tap(rc == 0, "every case ran on the local disk");
	if (rc < 0)
		goto out;
	/* what the reference must show, or it tests nothing */
	mnt_tap(!strcmp(res[T_REF][OP_PWRITE][BY_OTHER][0].euid, "65534") &&
			res[T_REF][OP_PWRITE][BY_OTHER][0].mode == 0777,
		"local disk: a pwrite by uid 65534 drops set-user-ID");
	run_sqlitefs(T_WB, "allow_other,suid");
	run_sqlitefs(T_NOWB, "allow_other,suid,nowriteback");
out:
	printf("1..%d\n", mnt_tap_count);
	return mnt_tap_failed ? 1 : 0;
}
