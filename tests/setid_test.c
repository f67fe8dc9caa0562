/*
 * setid_test.c - what a write takes from a set-ID file, compared with ext4
 *
 * Every change of a file's contents by a user who may not keep them
 * (without CAP_FSETID) drops its set-user-ID bit, its set-group-ID bit
 * when group-executable or when the user is outside the file's group, and
 * by anyone, its security.capability.  With -o suid a bit that survives in
 * the kernel's view is a privilege escalation: an exec runs as the owner.
 *
 * The same cases run on a directory of the local disk (the reference: its
 * results are taken at run time, not written here) and on sqlitefs,
 * mounted with and without the writeback cache.  A case is an operation
 * (write at EOF, pwrite in place, O_APPEND write, ftruncate, truncate by
 * path, fallocate, punch hole, copy_file_range, a shared mmap write) by a
 * user (root owning the file, uid 65534 not owning it, uid 65534 owning
 * it) on a copy of /usr/bin/id with one of several set-ID modes, or with
 * security.capability.  For each, sqlitefs must give what the reference
 * gives for: the result of the operation, the mode stat(2) shows right
 * after it, security.capability, what an exec by uid 65534 of "id -u"
 * prints (its effective uid), and after syncfs the mode stat shows and
 * the mode and capability held in the database.
 *
 * One TAP line per mount, operation and user, covering the modes.  Runs
 * as root; skips otherwise.  SETID_REF_DIR picks the reference directory
 * (default: TMPDIR, /var/tmp, /tmp, the first on a local disk filesystem
 * that allows set-user-ID executables).
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
#define PAD 8192 /* zeros after the copy of id: room to punch and cut */
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
	OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"write at EOF", "pwrite in place",  "O_APPEND write",
	"ftruncate",	"truncate by path", "fallocate",
	"punch hole",	"copy_file_range",  "shared mmap write",
};

enum who { BY_ROOT_OWNER, BY_OTHER, BY_NOBODY_OWNER, WHO_COUNT };

static const char *const who_name[WHO_COUNT] = {
	"by the owner, root",
	"by uid 65534, not the owner",
	"by the owner, uid 65534",
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

static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
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

	if (op == OP_TRUNCATE)
		return truncate(path, len - 100) < 0 ? errno : 0;
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
		if (who != BY_ROOT_OWNER && become_nobody() < 0)
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
		if (become_nobody() < 0)
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

/* Runs every case in base; then syncfs and stat again. */
static int run_all(const char *base, enum target t)
{
	char src[PATH_MAX];
	struct stat st;
	int op, who, fd;
	size_t v;

	snprintf(src, sizeof(src), "%s/copy-source", base);
	if (write_file(src, content, HEAD) < 0 || chmod(src, 0644) < 0)
		return -1;
	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++)
				if (run_case(base, src, op, who, v,
					     &res[t][op][who][v]) < 0)
					return -1;
	fd = open(base, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || syncfs(fd) < 0)
		return -1;
	close(fd);
	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++) {
				if (stat(case_path(base, op, who, v), &st) < 0)
					return -1;
				res[t][op][who][v].late = st.st_mode & 07777;
			}
	return 0;
}

static struct result *by_ino(enum target t, ino_t ino)
{
	int op, who;
	size_t v;

	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++)
			for (v = 0; v < VARIANTS; v++)
				if (res[t][op][who][v].ino == ino)
					return &res[t][op][who][v];
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
	if (pclose(p) != 0)
		return -1;
	return rows == (int) (OP_COUNT * WHO_COUNT * VARIANTS) ? 0 : -1;
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

static void report(enum target t)
{
	char what[160];
	int op, who, ok;
	size_t v;

	for (op = 0; op < OP_COUNT; op++)
		for (who = 0; who < WHO_COUNT; who++) {
			ok = 1;
			for (v = 0; v < VARIANTS; v++)
				ok &= same(t, op, who, v);
			snprintf(what, sizeof(what), "%s: %s %s, as on %s",
				 target_name[t], op_name[op], who_name[who],
				 target_name[T_REF]);
			mnt_tap(ok, what);
		}
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
