/*
 * fuzz_db.c - any database file, served as the daemon serves it: no
 * crash, no hang, no leak, no undefined behaviour
 *
 * An input is the bytes of a database file, optionally followed by
 * WAL_MARK and the bytes of its -wal file (what a crash leaves beside it).
 * Each is written to a file named after this process (in /dev/shm, or
 * FUZZ_DIR; in a directory of the run's own in the standalone build)
 * that no connection has open; then comes what a mount does,
 * through the same db_* calls: the flock, the format check (db_open
 * with DB_OPEN_CHECK), db_open read-write, the views, the orphans; walks
 * the tree from the root with the calls the handlers make (readdir in
 * pieces, lookup, getattr, readlink, read, lseek, listxattr, getxattr);
 * makes changes (create, write, truncate, fallocate, copy, link, rename,
 * setxattr, unlink, forget, sync) to new files and to what it found; closes
 * as an unmount does; opens it again read-only; and removes the files.
 * Errors are fine: the database may be anything.  Work per input is
 * bounded (WALK_NODES inodes, DIR_ENTRIES per directory, READ_MAX bytes).
 *
 * With FUZZING_ENGINE defined this is a libFuzzer target; otherwise
 * fuzz_driver.c's main() runs it on mutations of seeds made here: an
 * empty filesystem as mkfs.sqlitefs makes it, a tree of every kind of
 * inode, the same with 512-byte blocks, and a tree with committed work
 * still in its -wal.  FUZZ_VERBOSE=1 shows the daemon's log lines.
 */
#include "fuzz_driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fuse_log.h>
#include <sqlite3.h>

#include "db.h"

/* Separates the database from its -wal in an input. */
#define WAL_MARK "\n-- sqlitefs fuzz: wal --\n"
#define WAL_MARK_LEN (sizeof(WAL_MARK) - 1)

#define WALK_NODES 128	/* inodes visited per input */
#define DIR_ENTRIES 64	/* entries read per directory */
#define DIR_CHUNK 16	/* entries per readdir call, as a full buffer */
#define READ_MAX 65536	/* bytes per read */
#define LIST_MAX 4096	/* bytes of xattr names read */
#define XATTR_MAX 256	/* bytes of an xattr value read */
#define TARGET_MAX 4096 /* bytes of a symlink target, as PATH_MAX */

enum { STAT_REFUSED, STAT_MOUNTED, STAT_INODES, STAT_OK, STAT_FAILED };

static char db_path[256], wal_path[272], shm_path[272];
static pid_t paths_pid;
static char work_dir[200]; /* the standalone run's: its owner removes it */
static pid_t work_owner;

/* Where the files go: FUZZ_DIR, else /dev/shm (memory), else /tmp. */
static const char *base_dir(void)
{
	const char *dir = getenv("FUZZ_DIR");

	if (dir && *dir)
		return dir;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* Drops the db layer's log lines (damage found, as expected here). */
static void log_quiet(const char *line)
{
	(void) line;
}

/* Names the files of this process: the paths hold its pid. */
static void set_paths(void)
{
	const char *dir = work_dir[0] ? work_dir : base_dir();

	if (paths_pid == getpid())
		return;
	paths_pid = getpid();
	snprintf(db_path, sizeof(db_path), "%s/sqlitefs-fuzz-%d.db", dir,
		 (int) paths_pid);
	snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path);
	snprintf(shm_path, sizeof(shm_path), "%s-shm", db_path);
	if (!getenv("FUZZ_VERBOSE")) {
		fuse_set_log_func(fuzz_log_quiet);
		db_set_log(log_quiet);
	}
}

/*
 * Removes the files of an input.  Each input gets new files (new inodes),
 * written after every connection to the last ones was closed: a file
 * rewritten in place under a connection still open in this process would
 * share SQLite's locks with it, and the next open would wait on them.
 */
static void remove_files(void)
{
	unlink(db_path);
	unlink(wal_path);
	unlink(shm_path);
}

static int write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	if (size)
		n = write(fd, data, size);
	if (close(fd) < 0 || n != (ssize_t) size)
		return -1;
	return 0;
}

/* Splits an input into the database and its -wal (NULL if none). */
static size_t split(const uint8_t *data, size_t size, const uint8_t **wal,
		    size_t *wal_size)
{
	const uint8_t *mark = memmem(data, size, WAL_MARK, WAL_MARK_LEN);

	*wal = NULL;
	*wal_size = 0;
	if (!mark)
		return size;
	*wal = mark + WAL_MARK_LEN;
	*wal_size = size - (size_t) (*wal - data);
	return (size_t) (mark - data);
}

/* Counts a failed call. */
static long check(long rc)
{
	fuzz_count(rc < 0 ? STAT_FAILED : STAT_OK, 1);
	return rc;
}

/* --- the walk ----------------------------------------------------------- */

struct found {
	ino_t parent, ino;
	char name[DB_NAME_MAX + 1];
	off_t size;
};

struct walk {
	struct db *db;
	char *buf; /* READ_MAX bytes */
	ino_t seen[WALK_NODES];
	size_t nseen;
	struct found file, dir, any; /* met on the way, changed later */
};

struct dirent_list {
	struct found e[DIR_CHUNK];
	mode_t mode[DIR_CHUNK];
	off_t next[DIR_CHUNK];
	int n;
};

static int collect(void *ctx, const char *name, const struct stat *st,
		   off_t next)
{
	struct dirent_list *l = ctx;

	if (l->n == DIR_CHUNK)
		return 1;
	snprintf(l->e[l->n].name, sizeof(l->e[l->n].name), "%s", name);
	l->e[l->n].ino = st->st_ino;
	l->e[l->n].size = st->st_size;
	l->mode[l->n] = st->st_mode;
	l->next[l->n] = next;
	l->n++;
	return 0;
}

static int seen(struct walk *w, ino_t ino)
{
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (w->seen[i] == ino)
			return 1;
	return 0;
}

/* The calls made on any inode: attributes, xattrs, contents. */
static void visit_inode(struct walk *w, ino_t ino, int first)
{
	char names[LIST_MAX], value[XATTR_MAX], target[TARGET_MAX];
	struct stat st;
	ssize_t n;
	char *p;

	fuzz_count(STAT_INODES, 1);
	if (check(db_getattr(w->db, ino, &st)) < 0)
		return;
	n = check(db_listxattr(w->db, ino, NULL, 0));
	n = n > 0 && (size_t) n <= sizeof(names)
		    ? check(db_listxattr(w->db, ino, names, sizeof(names)))
		    : 0;
	for (p = names; n > 0 && p < names + n &&
			memchr(p, '\0', (size_t) (names + n - p));
	     p += strlen(p) + 1) {
		check(db_getxattr(w->db, ino, p, NULL, 0));
		check(db_getxattr(w->db, ino, p, value, sizeof(value)));
	}
	if (S_ISLNK(st.st_mode))
		check(db_readlink(w->db, ino, target, sizeof(target)));
	if (!S_ISREG(st.st_mode))
		return;
	check(db_read(w->db, ino, 0, READ_MAX, w->buf,
		      first ? DB_ATIME_STRICT : DB_ATIME_RELATIME));
	check(db_read(w->db, ino, st.st_size / 2, READ_MAX, w->buf,
		      DB_ATIME_NOATIME));
	if (st.st_size > 100)
		check(db_read(w->db, ino, st.st_size - 100, READ_MAX, w->buf,
			      DB_ATIME_NOATIME));
	check(db_lseek(w->db, ino, 0, SEEK_DATA));
	check(db_lseek(w->db, ino, 0, SEEK_HOLE));
	check(db_lseek(w->db, ino, st.st_size / 3, SEEK_DATA));
}

/* One entry of directory dir: looked up, remembered, queued if new. */
static void visit_entry(struct walk *w, ino_t dir, const struct found *e,
			mode_t mode)
{
	struct found *keep = NULL;
	struct stat st;

	if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
		return;
	check(db_lookup(w->db, dir, e->name, &st));
	if (S_ISREG(mode) && !w->file.ino)
		keep = &w->file;
	else if (S_ISDIR(mode) && !w->dir.ino)
		keep = &w->dir;
	else if (!w->any.ino)
		keep = &w->any;
	if (keep) {
		*keep = *e;
		keep->parent = dir;
	}
	if (!seen(w, e->ino) && w->nseen < WALK_NODES)
		w->seen[w->nseen++] = e->ino;
}

/* Reads directory dir as the kernel does, a buffer at a time. */
static void visit_dir(struct walk *w, ino_t dir)
{
	struct dirent_list l;
	off_t off = 0;
	int total = 0, i, rc;

	while (total < DIR_ENTRIES) {
		l.n = 0;
		rc = (int) check(db_readdir(w->db, dir, off, collect, &l));
		if (rc < 0 || l.n == 0)
			break;
		for (i = 0; i < l.n; i++)
			visit_entry(w, dir, &l.e[i], l.mode[i]);
		if (l.next[l.n - 1] <= off)
			break; /* no progress: do not loop */
		off = l.next[l.n - 1];
		total += l.n;
	}
}

/* Every inode reachable from the root, breadth first, up to WALK_NODES. */
static void walk(struct walk *w)
{
	struct stat st;
	size_t i;

	w->nseen = 0;
	w->seen[w->nseen++] = DB_ROOT_INO;
	for (i = 0; i < w->nseen; i++) {
		visit_inode(w, w->seen[i], i == 1);
		if (db_getattr(w->db, w->seen[i], &st) == 0 &&
		    S_ISDIR(st.st_mode))
			visit_dir(w, w->seen[i]);
	}
}

/* --- changes ------------------------------------------------------------ */

/* New files: made, written, cut, linked, moved, then removed. */
static void change_new(struct walk *w, unsigned bs)
{
	static const struct db_cred cred = {.uid = 1000, .gid = 1000};
	struct stat st, in;
	ino_t f = 0, d = DB_ROOT_INO, victim;
	unsigned changed;
	int gone;

	memset(w->buf, 'z', READ_MAX);
	memset(&in, 0, sizeof(in));
	if (check(db_mknod(w->db, DB_ROOT_INO, "fuzz.d", S_IFDIR | 0755, 0,
			   NULL, &cred, &st)) == 0)
		d = st.st_ino;
	if (check(db_mknod(w->db, d, "fuzz.f", S_IFREG | 06755, 0, NULL, &cred,
			   &st)) == 0)
		f = st.st_ino;
	check(db_mknod(w->db, d, "fuzz.s", S_IFLNK | 0777, 0, "fuzz.f", &cred,
		       &st));
	check(db_mknod(w->db, d, "fuzz.c", S_IFCHR | 0600, makedev(1, 3), NULL,
		       &cred, &st));
	if (!f)
		return;
	check(db_write(w->db, f, 0, w->buf, 10000, 0, NULL));
	check(db_write(w->db, f, (off_t) bs * 2 - 10, w->buf, 100,
		       DB_KILL_CAPS_SUIDGID, &changed));
	check(db_read(w->db, f, 0, READ_MAX, w->buf, DB_ATIME_RELATIME));
	in.st_size = 3000;
	check(db_setattr(w->db, f, &in, DB_SET_SIZE, &st));
	check(db_setxattr(w->db, f, "user.fuzz", "v", 1, DB_XATTR_CREATE));
	check(db_setxattr(w->db, f, "security.capability", w->buf, 20, 0));
	check(db_fallocate(w->db, f, 0, 0, (off_t) bs * 3,
			   DB_KILL_CAPS_SUIDGID | DB_KILL_SGID, &changed));
	check(db_fallocate(w->db, f, DB_FALLOC_KEEP_SIZE | DB_FALLOC_PUNCH_HOLE,
			   100, bs, 0, NULL));
	check(db_copy_range(w->db, f, 0, f, (off_t) bs * 4, 5000,
			    DB_KILL_CAPS_SUIDGID, &changed));
	check(db_link(w->db, f, DB_ROOT_INO, "fuzz.l", &st));
	check(db_sync(w->db));
	check(db_rename(w->db, d, "fuzz.f", DB_ROOT_INO, "fuzz.l", 0, &victim,
			&gone));
	check(db_rename(w->db, DB_ROOT_INO, "fuzz.l", d, "fuzz.s",
			DB_RENAME_EXCHANGE, &victim, &gone));
	check(db_unlink(w->db, d, "fuzz.s", 0, &victim, &gone));
	if (gone)
		check(db_forget(w->db, victim));
}

/* What the walk found: written, cut, moved about, removed. */
static void change_found(struct walk *w, ino_t d)
{
	struct stat st, in;
	ino_t victim;
	int gone;

	memset(&in, 0, sizeof(in));
	if (w->file.ino) {
		check(db_write(w->db, w->file.ino, 1, "x", 1,
			       DB_KILL_CAPS_SUIDGID, NULL));
		in.st_size = w->file.size / 2;
		in.st_mode = 04755;
		in.st_uid = 7;
		check(db_setattr(w->db, w->file.ino, &in,
				 DB_SET_SIZE | DB_SET_MODE | DB_SET_UID |
					 DB_SET_MTIME_NOW,
				 &st));
		check(db_removexattr(w->db, w->file.ino, "user.tag"));
		check(db_copy_range(w->db, w->file.ino, 0, w->file.ino, 4096,
				    10000, 0, NULL));
	}
	if (w->dir.ino) {
		check(db_rename(w->db, w->dir.parent, w->dir.name, d, "moved",
				0, &victim, &gone));
		check(db_rename(w->db, d, "moved", w->dir.parent, w->dir.name,
				0, &victim, &gone));
		check(db_rename(w->db, DB_ROOT_INO, "fuzz.d", w->dir.ino, "in",
				DB_RENAME_NOREPLACE, &victim, &gone));
		check(db_unlink(w->db, w->dir.parent, w->dir.name, 1, &victim,
				&gone));
		if (gone)
			check(db_forget(w->db, victim));
	}
	if (w->any.ino) {
		check(db_link(w->db, w->any.ino, DB_ROOT_INO, "fuzz.a", &st));
		check(db_rename(w->db, w->any.parent, w->any.name, DB_ROOT_INO,
				"fuzz.a", 0, &victim, &gone));
	}
	if (w->file.ino) {
		check(db_unlink(w->db, w->file.parent, w->file.name, 0, &victim,
				&gone));
		if (gone)
			check(db_forget(w->db, victim));
	}
}

/* --- one input ---------------------------------------------------------- */

/* What a mount does with the database in db_path, up to the unmount. */
static void mount_and_serve(struct walk *w)
{
	struct statvfs sv;
	struct stat st;
	char err[512];
	int rc;

	/* main.c's check_database() */
	rc = db_open(db_path, DB_OPEN_CHECK | DB_OPEN_READONLY, &w->db, err,
		     sizeof(err));
	if (rc < 0) {
		fuzz_count(STAT_REFUSED, 1);
		return;
	}
	db_close(w->db);
	/* serve() */
	rc = db_open(db_path, 0, &w->db, err, sizeof(err));
	if (rc < 0) {
		fuzz_count(STAT_REFUSED, 1);
		return;
	}
	fuzz_count(STAT_MOUNTED, 1);
	db_set_cache(w->db, 16);
	check(db_views_refresh(w->db));
	check(db_purge_orphans(w->db));
	check(db_statfs(w->db, &sv));
	walk(w);
	change_new(w, db_block_size(w->db));
	rc = (int) db_lookup(w->db, DB_ROOT_INO, "fuzz.d", &st);
	change_found(w, rc == 0 ? st.st_ino : DB_ROOT_INO);
	check(db_statfs(w->db, &sv));
	/* fs_destroy() */
	check(db_purge_orphans(w->db));
	check(db_sync(w->db));
	check(db_close(w->db));

	/* what the next read-only mount sees of it */
	if (db_open(db_path, DB_OPEN_READONLY, &w->db, err, sizeof(err)) < 0)
		return;
	w->nseen = 0;
	w->seen[w->nseen++] = DB_ROOT_INO;
	visit_inode(w, DB_ROOT_INO, 0);
	visit_dir(w, DB_ROOT_INO);
	db_close(w->db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w;
	const uint8_t *wal;
	size_t db_size, wal_size;
	int lockfd;

	set_paths();
	memset(&w, 0, sizeof(w));
	db_size = split(data, size, &wal, &wal_size);
	remove_files();
	if (write_file(db_path, data, db_size) < 0 ||
	    (wal && write_file(wal_path, wal, wal_size) < 0)) {
		fprintf(stderr, "fuzz_db: %s: %s\n", db_path, strerror(errno));
		abort();
	}
	w.buf = malloc(READ_MAX);
	if (!w.buf)
		abort();
	/* main.c's lock_database(): held until the daemon exits */
	lockfd = open(db_path, O_RDWR | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		abort();
	mount_and_serve(&w);
	close(lockfd);
	free(w.buf);
	remove_files();
	return 0;
}

#ifndef FUZZING_ENGINE
/* --- seeds -------------------------------------------------------------- */

const char *const fuzz_stat_names[] = {
	"refused", "mounted", "inodes walked", "calls ok", "calls failed", NULL,
};

/* Reads a whole file into a new buffer; NULL on error. */
static uint8_t *read_file(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || !(buf = malloc(st.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	*size = fread(buf, 1, (size_t) st.st_size, f);
	fclose(f);
	return buf;
}

/* Fills db with a tree of every kind of inode; 0 or -1. */
static int fill(struct db *db, unsigned bs)
{
	static const struct db_cred cred = {.uid = 1000, .gid = 100};
	char buf[3 * 4096], name[DB_NAME_MAX + 1];
	ino_t a, b, f, g;
	struct stat st;
	ino_t victim;
	int i, gone, rc = 0;

	for (i = 0; i < (int) sizeof(buf); i++)
		buf[i] = (char) (i * 7 + i / 13);
	rc |= db_mknod(db, DB_ROOT_INO, "a", S_IFDIR | 0755, 0, NULL, &cred,
		       &st);
	a = st.st_ino;
	rc |= db_mknod(db, a, "b", S_IFDIR | 02775, 0, NULL, &cred, &st);
	b = st.st_ino;
	rc |= db_mknod(db, a, "file", S_IFREG | 0644, 0, NULL, &cred, &st);
	f = st.st_ino;
	rc |= db_write(db, f, 0, buf, sizeof(buf), 0, NULL) < 0;
	rc |= db_write(db, f, (off_t) bs * 9 + 5, buf, 700, 0, NULL) < 0;
	rc |= db_setxattr(db, f, "user.tag", "fuzz", 4, 0);
	rc |= db_setxattr(db, f, "trusted.t", buf, 300, 0);
	rc |= db_mknod(db, b, "sparse", S_IFREG | 04755, 0, NULL, &cred, &st);
	g = st.st_ino;
	rc |= db_write(db, g, (off_t) 1 << 40, "end", 3, 0, NULL) < 0;
	rc |= db_setxattr(db, g, "security.capability", buf, 20, 0);
	rc |= db_link(db, f, b, "hardlink", &st);
	rc |= db_mknod(db, DB_ROOT_INO, "sym", S_IFLNK | 0777, 0, "a/file",
		       &cred, &st);
	rc |= db_link(db, st.st_ino, b, "symlink-link", &st);
	rc |= db_mknod(db, DB_ROOT_INO, "fifo", S_IFIFO | 0600, 0, NULL, &cred,
		       &st);
	rc |= db_mknod(db, DB_ROOT_INO, "null", S_IFCHR | 0666, makedev(1, 3),
		       NULL, &cred, &st);
	memset(name, 'n', DB_NAME_MAX);
	name[DB_NAME_MAX] = '\0';
	rc |= db_mknod(db, b, name, S_IFREG | 0600, 0, NULL, &cred, &st);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "many-%d", i);
		rc |= db_mknod(db, a, name, S_IFREG | 0644, 0, NULL, &cred,
			       &st);
		if (i % 5 == 0)
			rc |= db_write(db, st.st_ino, 0, buf, (size_t) i * 97,
				       0, NULL) < 0;
	}
	/* an orphan, as a crash leaves an open unlinked file */
	rc |= db_mknod(db, DB_ROOT_INO, "orphan", S_IFREG | 0644, 0, NULL,
		       &cred, &st);
	rc |= db_write(db, st.st_ino, 0, buf, 5000, 0, NULL) < 0;
	rc |= db_unlink(db, DB_ROOT_INO, "orphan", 0, &victim, &gone);
	return rc ? -1 : 0;
}

/* Adds the seed made by mkfs (and fill, and a crash) in dir. */
static int make_seed(const char *dir, const char *name, unsigned bs,
		     unsigned ps, int tree, int crash)
{
	char path[512], wal[528];
	uint8_t *d = NULL, *w = NULL, *in;
	size_t dsize = 0, wsize = 0;
	struct db *db = NULL;
	char err[256];
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (db_mkfs(path, bs, ps) < 0)
		return -1;
	if (tree && (db_open(path, 0, &db, err, sizeof(err)) < 0 ||
		     fill(db, bs) < 0 || db_sync(db) < 0))
		goto out;
	if (crash) { /* the files as they are while the daemon runs */
		d = read_file(path, &dsize);
		w = read_file(wal, &wsize);
	}
	if (db && db_close(db) < 0)
		goto out;
	db = NULL;
	if (!crash)
		d = read_file(path, &dsize);
	if (!d || (crash && !w))
		goto out;
	in = malloc(dsize + WAL_MARK_LEN + wsize);
	if (!in)
		goto out;
	memcpy(in, d, dsize);
	if (crash) {
		memcpy(in + dsize, WAL_MARK, WAL_MARK_LEN);
		memcpy(in + dsize + WAL_MARK_LEN, w, wsize);
		dsize += WAL_MARK_LEN + wsize;
	}
	rc = fuzz_add_seed(name, in, dsize);
	free(in);
out:
	if (db)
		db_close(db);
	free(d);
	free(w);
	unlink(path);
	unlink(wal);
	return rc;
}

/*
 * Removes the directory of the run and what children that crashed left
 * in it, at the exit of the process that made it.
 */
static void remove_work_dir(void)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	if (getpid() != work_owner || !(d = opendir(work_dir)))
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", work_dir,
				 e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(work_dir);
}

int fuzz_make_seeds(void)
{
	int rc;

	snprintf(work_dir, sizeof(work_dir), "%s/sqlitefs-fuzz.XXXXXX",
		 base_dir());
	if (!mkdtemp(work_dir))
		return -1;
	work_owner = getpid();
	atexit(remove_work_dir);
	set_paths();
	rc = make_seed(work_dir, "empty", 65536, 16384, 0, 0);
	if (rc == 0)
		rc = make_seed(work_dir, "tree", 4096, 4096, 1, 0);
	if (rc == 0)
		rc = make_seed(work_dir, "small-blocks", 512, 1024, 1, 0);
	if (rc == 0)
		rc = make_seed(work_dir, "crashed", 4096, 4096, 1, 1);
	return rc;
}

/* --- mutations ---------------------------------------------------------- */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
	       (uint32_t) p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

/* The page size of a database or WAL header field; 0 if invalid. */
static size_t page_size_of(unsigned v)
{
	if (v == 1)
		return 65536;
	if (v < 512 || v > 65536 || (v & (v - 1)))
		return 0;
	return v;
}

/* An offset in [0, size): often in a header, a page header or a cell. */
static size_t pick_offset(struct fuzz_rng *rng, size_t size, size_t ps)
{
	size_t page;

	switch (fuzz_below(rng, 4)) {
	case 0:
		return (size_t) fuzz_below(rng, size < 100 ? size : 100);
	case 1:
		page = (size_t) fuzz_below(rng, size / ps + 1) * ps;
		page += page ? fuzz_below(rng, 12) : 100 + fuzz_below(rng, 12);
		return page < size ? page : (size_t) fuzz_below(rng, size);
	default:
		return (size_t) fuzz_below(rng, size);
	}
}

/* Writes an integer that often matters, big-endian as SQLite's are. */
static void put_interesting(uint8_t *p, size_t room, struct fuzz_rng *rng)
{
	static const uint64_t values[] = {
		0,	    1,		2,	    0x7f,      0x80,
		0xff,	    0x100,	0x200,	    0x1000,    0x4000,
		0x7fff,	    0x8000,	0xffff,	    0x10000,   0x7fffffff,
		0x80000000, 0xffffffff, 0x41ed,	    0x81a4,    0xa1ff,
		UINT64_MAX, INT64_MAX,	0x53514653, 0x377f0682};
	static const size_t widths[] = {1, 2, 4, 8};
	uint64_t v = values[fuzz_below(rng, sizeof(values) / sizeof(*values))];
	size_t w = widths[fuzz_below(rng, 4)], i;

	if (fuzz_below(rng, 4) == 0)
		v = fuzz_rand(rng) >> (fuzz_below(rng, 64));
	if (fuzz_below(rng, 3) == 0)
		v += fuzz_below(rng, 5) - 2;
	if (w > room)
		w = room;
	for (i = 0; i < w; i++)
		p[i] = (uint8_t) (v >> (8 * (w - 1 - i)));
}

/* SQLite's WAL checksum of n bytes (n a multiple of 8) into s. */
static void wal_sum(int big, const uint8_t *p, size_t n, uint32_t s[2])
{
	uint32_t x0, x1;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		if (big) {
			x0 = get32(p + i);
			x1 = get32(p + i + 4);
		} else {
			x0 = (uint32_t) p[i] | (uint32_t) p[i + 1] << 8 |
			     (uint32_t) p[i + 2] << 16 |
			     (uint32_t) p[i + 3] << 24;
			x1 = (uint32_t) p[i + 4] | (uint32_t) p[i + 5] << 8 |
			     (uint32_t) p[i + 6] << 16 |
			     (uint32_t) p[i + 7] << 24;
		}
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

/*
 * Makes the WAL's checksums and salts right again after a change, so that
 * SQLite takes the changed frames for committed work.
 */
static void wal_fix(uint8_t *wal, size_t size)
{
	uint32_t s[2] = {0, 0};
	size_t ps, off;
	int big;

	if (size < 32)
		return;
	ps = page_size_of(get32(wal + 8));
	if (!ps)
		return;
	big = get32(wal) & 1;
	wal_sum(big, wal, 24, s);
	put32(wal + 24, s[0]);
	put32(wal + 28, s[1]);
	for (off = 32; off + 24 + ps <= size; off += 24 + ps) {
		memcpy(wal + off + 8, wal + 16, 8); /* the salts */
		wal_sum(big, wal + off, 8, s);
		wal_sum(big, wal + off + 24, ps, s);
		put32(wal + off + 16, s[0]);
		put32(wal + off + 20, s[1]);
	}
}

/* Changes part of the WAL of an input that has one. */
static void mutate_wal(uint8_t *wal, size_t size, struct fuzz_rng *rng)
{
	size_t ps, frames, off;

	if (size < 32)
		return;
	ps = page_size_of(get32(wal + 8));
	frames = ps ? (size - 32) / (24 + ps) : 0;
	switch (fuzz_below(rng, 4)) {
	case 0: /* the header */
		put_interesting(wal + fuzz_below(rng, 24), 4, rng);
		break;
	case 1: /* a frame header: page number, commit size */
		if (!frames)
			return;
		off = 32 + fuzz_below(rng, frames) * (24 + ps);
		put_interesting(wal + off + fuzz_below(rng, 2) * 4, 4, rng);
		break;
	default: /* a byte of a page */
		off = 32 + (size_t) fuzz_below(rng, size - 32);
		wal[off] = (uint8_t) fuzz_rand(rng);
		break;
	}
	if (fuzz_below(rng, 4))
		wal_fix(wal, size);
}

/* --- mutations through SQL: rows a damaged filesystem could hold -------- */

#define ROW(t) " WHERE rowid = (SELECT rowid FROM " t " LIMIT 1 OFFSET ?2)"
#define SET(t, c) "UPDATE " t " SET " c " = ?1" ROW(t)

static const char *const edits[] = {
	SET("inode", "ino"),
	SET("inode", "mode"),
	SET("inode", "nlink"),
	SET("inode", "uid"),
	SET("inode", "rdev"),
	SET("inode", "size"),
	SET("inode", "stored"),
	SET("inode", "atime"),
	SET("inode", "mtime"),
	SET("inode", "target"),
	SET("dentry", "parent"),
	SET("dentry", "name"),
	SET("dentry", "ino"),
	SET("data", "ino"),
	SET("data", "block"),
	SET("data", "bytes"),
	"UPDATE xattr SET name = ?1 WHERE (ino, name) = "
	"(SELECT ino, name FROM xattr LIMIT 1 OFFSET ?2)",
	"UPDATE xattr SET value = ?1 WHERE (ino, name) = "
	"(SELECT ino, name FROM xattr LIMIT 1 OFFSET ?2)",
	"UPDATE settings SET value = ?1 WHERE key = 'block_size'",
	"UPDATE settings SET value = ?1 WHERE key = 'views'",
	"INSERT INTO dentry (parent, name, ino) VALUES (?2, ?1, ?3)",
	"INSERT INTO dentry (parent, name, ino) VALUES (?2, 'x', ?1)",
	"INSERT OR REPLACE INTO data (ino, block, bytes) VALUES (?2, ?3, ?1)",
	"INSERT OR REPLACE INTO xattr (ino, name, value) "
	"VALUES (?2, 'user.x', ?1)",
	"INSERT INTO inode (ino, mode, nlink, uid, gid, atime, mtime, ctime, "
	"crtime) VALUES (?2, ?1, ?3, 0, 0, 0, 0, 0, 0)",
	"DELETE FROM inode WHERE ino = ?2",
	"DELETE FROM dentry WHERE id = ?2",
	"DELETE FROM settings WHERE key = 'block_size' AND ?1 IS ?1",
	"DROP INDEX dentry_ino",
	"DROP TABLE xattr",
	"CREATE TRIGGER fuzz AFTER UPDATE ON inode BEGIN "
	"SELECT RAISE(ABORT, 'fuzz') WHERE new.ino = 2; END",
	"CREATE TRIGGER fuzz2 AFTER INSERT ON dentry BEGIN "
	"DELETE FROM inode WHERE ino = new.parent; END",
	"PRAGMA auto_vacuum = FULL",
	"VACUUM",
};

/* Binds to ?1 a value from a list of troublesome ones. */
static void bind_odd(sqlite3_stmt *s, struct fuzz_rng *rng)
{
	static const int64_t ints[] = {
		0,
		1,
		-1,
		2,
		3,
		INT64_MAX,
		INT64_MIN,
		(int64_t) 1 << 31,
		(int64_t) 1 << 32,
		(int64_t) 1 << 40,
		(int64_t) 1 << 62,
		511,
		4096,
		65536,
		S_IFDIR | 0755,
		S_IFREG | 06755,
		S_IFLNK | 0777,
		S_IFCHR | 0600,
		S_IFSOCK | 0600,
		S_IFMT,
		0x7fffffff,
		0xffffffff,
	};
	static const char *const texts[] = {
		"", ".", "..", "a/b", "user.", "security.capability", "x\377",
	};
	static uint8_t zeros[70000];

	switch (fuzz_below(rng, 8)) {
	case 0:
		sqlite3_bind_null(s, 1);
		break;
	case 1:
		sqlite3_bind_text(s, 1, texts[fuzz_below(rng, 7)], -1,
				  SQLITE_STATIC);
		break;
	case 2:
		sqlite3_bind_blob(s, 1, zeros,
				  (int) fuzz_below(rng, sizeof(zeros)),
				  SQLITE_STATIC);
		break;
	case 3:
		sqlite3_bind_double(s, 1, 1.5);
		break;
	case 4:
		sqlite3_bind_int64(s, 1, (int64_t) fuzz_rand(rng));
		break;
	default:
		sqlite3_bind_int64(
			s, 1,
			ints[fuzz_below(rng, sizeof(ints) / sizeof(*ints))]);
		break;
	}
}

/* Runs one edit on the database part of buf; returns the new size. */
static size_t mutate_sql(uint8_t *buf, size_t size, size_t cap,
			 struct fuzz_rng *rng)
{
	char path[300], wal[310];
	sqlite3_stmt *s = NULL;
	sqlite3 *conn = NULL;
	size_t wal_size, db_size;
	const uint8_t *w;
	uint8_t *out;
	size_t n;

	db_size = split(buf, size, &w, &wal_size);
	snprintf(path, sizeof(path), "%s-edit", db_path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(path);
	unlink(wal);
	if (write_file(path, buf, db_size) < 0 ||
	    (w && write_file(wal, w, wal_size) < 0))
		goto out;
	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_exec(conn, "PRAGMA ignore_check_constraints = ON", NULL, NULL,
		     NULL);
	if (sqlite3_prepare_v2(
		    conn,
		    edits[fuzz_below(rng, sizeof(edits) / sizeof(*edits))], -1,
		    &s, NULL) != SQLITE_OK)
		goto out;
	bind_odd(s, rng);
	sqlite3_bind_int64(s, 2, (int64_t) fuzz_below(rng, 8));
	sqlite3_bind_int64(s, 3, (int64_t) fuzz_below(rng, 8));
	sqlite3_step(s);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_close(conn) != SQLITE_OK)
		goto out;
	conn = NULL;
	out = read_file(path, &n);
	if (out && n <= cap) {
		memcpy(buf, out, n);
		size = n;
	}
	free(out);
out:
	sqlite3_finalize(s);
	sqlite3_close(conn);
	unlink(path);
	unlink(wal);
	return size;
}

size_t fuzz_mutate(uint8_t *buf, size_t size, size_t cap, struct fuzz_rng *rng)
{
	size_t ps = size >= 100 ? page_size_of(buf[16] << 8 | buf[17]) : 0;
	size_t n = 1 + fuzz_below(rng, fuzz_below(rng, 4) ? 3 : 12), i, off;
	size_t db_size, wal_size, len, from_size;
	const uint8_t *wal, *from;

	set_paths();
	if (!ps)
		ps = 4096;
	if (fuzz_below(rng, 3) == 0)
		size = mutate_sql(buf, size, cap, rng);
	for (i = 0; i < n && size > 0; i++) {
		db_size = split(buf, size, &wal, &wal_size);
		switch (fuzz_below(rng, 8)) {
		case 0: /* one bit */
			off = pick_offset(rng, size, ps);
			buf[off] ^= (uint8_t) (1 << fuzz_below(rng, 8));
			break;
		case 1: /* a few random bytes */
			len = 1 + fuzz_below(rng, 16);
			off = pick_offset(rng, size, ps);
			for (; len && off < size; len--, off++)
				buf[off] = (uint8_t) fuzz_rand(rng);
			break;
		case 2: /* an integer field */
			off = pick_offset(rng, size, ps);
			put_interesting(buf + off, size - off, rng);
			break;
		case 3: /* cut short, at a page boundary or not */
			size = (size_t) fuzz_below(rng, size);
			if (fuzz_below(rng, 2))
				size -= size % ps;
			break;
		case 4: /* a page from somewhere else, of this or a seed */
			from = fuzz_seed(fuzz_below(rng, fuzz_nseeds()),
					 &from_size);
			if (fuzz_below(rng, 2) || from_size < ps) {
				from = buf;
				from_size = db_size;
			}
			if (from_size < ps || db_size < ps)
				break;
			off = fuzz_below(rng, db_size / ps) * ps;
			memmove(buf + off,
				from + fuzz_below(rng, from_size / ps) * ps,
				ps);
			break;
		case 5: /* the WAL */
			if (wal)
				mutate_wal((uint8_t *) wal, wal_size, rng);
			else
				buf[pick_offset(rng, size, ps)] ^= 0x80;
			break;
		case 6: /* one more SQL edit */
			size = mutate_sql(buf, size, cap, rng);
			break;
		default: /* a run of bytes copied within the file */
			len = 1 + fuzz_below(rng, 64);
			if (size <= len)
				break;
			memmove(buf + fuzz_below(rng, size - len),
				buf + fuzz_below(rng, size - len), len);
			break;
		}
	}
	return size;
}
#endif
