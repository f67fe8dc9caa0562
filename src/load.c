/*
 * load.c - copy a directory tree into a sqlitefs database (mkfs -d)
 *
 * Order of work, which the db_* calls make necessary:
 *  - a directory's attributes are set after its entries are loaded, since
 *    adding a name moves the parent's mtime and ctime;
 *  - an inode's times are set after its other attributes, since setxattr
 *    and chown move ctime, and a later hard link to it puts ctime back;
 *  - an inode with several names in the tree is loaded once, the first
 *    time it is met, and linked after that (keyed by source device and
 *    inode number).
 * Entries are loaded in strcmp order of their names, so the same tree
 * gives the same inode numbers.  Source files are opened with O_NOATIME
 * where allowed, so loading does not move their atimes.
 */
#include "load.h"

#include "acl.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Bytes read from a source file at a time. */
#define LOAD_CHUNK (1 << 20)
/* Commit after this much data or this many inodes: bounds the WAL. */
#define LOAD_SYNC_BYTES ((uint64_t) 256 << 20)
#define LOAD_SYNC_INODES 20000

/* A source inode with several names, and the inode it became. */
struct link_node {
	dev_t dev;
	ino_t src;
	ino_t ino;
};

struct loader {
	struct db *db;
	const struct load_opts *opts;
	struct load_stats *st;
	void *links;	     /* tsearch tree of struct link_node */
	char path[PATH_MAX]; /* the entry being loaded */
	size_t len;	     /* strlen(path) */
	char *buf;	     /* LOAD_CHUNK bytes of file data */
	unsigned block_size; /* of db */
	uint64_t unsynced;   /* bytes written since the last commit */
	unsigned fresh;	     /* inodes made since the last commit */
	char *err;
	size_t errsz;
};

/* Writes "path: what: reason" into the error buffer; returns rc. */
static int fail(struct loader *l, int rc, const char *what)
{
	snprintf(l->err, l->errsz, "%s: %s%s%s", l->path, what ? what : "",
		 what ? ": " : "", strerror(-rc));
	return rc;
}

static int link_cmp(const void *a, const void *b)
{
	const struct link_node *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int is_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* Commits when enough has piled up since the last commit. */
static int maybe_sync(struct loader *l)
{
	int rc;

	if (l->unsynced < LOAD_SYNC_BYTES && l->fresh < LOAD_SYNC_INODES)
		return 0;
	rc = db_sync(l->db);
	if (rc < 0)
		return fail(l, rc, "commit");
	l->unsynced = 0;
	l->fresh = 0;
	return 0;
}

/* Removes ACL name from ino, which may not have it. */
static int drop_acl(struct loader *l, ino_t ino, const char *name)
{
	int rc = db_removexattr(l->db, ino, name);

	return rc == -ENODATA ? 0 : rc < 0 ? fail(l, rc, name) : 0;
}

/* Copies the extended attributes of the current path to ino. */
static int copy_xattrs(struct loader *l, ino_t ino)
{
	char *names = NULL, *name, *value = NULL;
	ssize_t n, v;
	int rc = 0;

	/* a new inode took the default ACL of its directory: the source
	 * says which ACLs it has */
	rc = drop_acl(l, ino, ACL_XATTR_ACCESS);
	if (rc == 0)
		rc = drop_acl(l, ino, ACL_XATTR_DEFAULT);
	if (rc < 0)
		return rc;
	n = llistxattr(l->path, NULL, 0);
	if (n <= 0)
		return n < 0 && errno != ENOTSUP ? fail(l, -errno, "xattrs")
						 : 0;
	names = malloc((size_t) n);
	value = malloc(DB_XATTR_SIZE_MAX);
	if (!names || !value) {
		rc = fail(l, -ENOMEM, NULL);
		goto out_free;
	}
	n = llistxattr(l->path, names, (size_t) n);
	if (n < 0) {
		rc = fail(l, -errno, "xattrs");
		goto out_free;
	}
	for (name = names; name < names + n; name += strlen(name) + 1) {
		v = lgetxattr(l->path, name, value, DB_XATTR_SIZE_MAX);
		if (v < 0 && errno == ENODATA)
			continue; /* removed meanwhile */
		if (v < 0) {
			rc = fail(l, -errno, name);
			break;
		}
		rc = db_setxattr(l->db, ino, name, value, (size_t) v, 0);
		if (rc == -EOPNOTSUPP) { /* system.*, but for ACLs */
			l->st->skipped++;
			rc = 0;
		} else if (rc < 0) {
			rc = fail(l, rc, name);
			break;
		}
	}
out_free:
	free(names);
	free(value);
	return rc;
}

/*
 * Gives ino (whose attributes are now cur) the attributes of the source,
 * sx: xattrs, owner, mode, size of a regular file, times.
 */
static int set_attrs(struct loader *l, ino_t ino, const struct statx *sx,
		     const struct stat *cur)
{
	struct stat in, out;
	struct timespec bt;
	unsigned mask;
	int rc = copy_xattrs(l, ino);

	if (rc < 0)
		return rc;
	memset(&in, 0, sizeof(in));
	in.st_uid = sx->stx_uid;
	in.st_gid = sx->stx_gid;
	if (cur->st_uid != in.st_uid || cur->st_gid != in.st_gid) {
		rc = db_setattr(l->db, ino, &in, DB_SET_UID | DB_SET_GID, &out);
		if (rc < 0)
			return fail(l, rc, "chown");
	}
	in.st_mode = sx->stx_mode;
	in.st_size = (off_t) sx->stx_size;
	in.st_atim.tv_sec = sx->stx_atime.tv_sec;
	in.st_atim.tv_nsec = sx->stx_atime.tv_nsec;
	in.st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	in.st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	in.st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	in.st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
	mask = DB_SET_MODE | DB_SET_ATIME | DB_SET_MTIME | DB_SET_CTIME;
	if (S_ISREG(sx->stx_mode))
		mask |= DB_SET_SIZE; /* trailing holes and zeros */
	rc = db_setattr(l->db, ino, &in, mask, &out);
	if (rc < 0)
		return fail(l, rc, "setattr");
	if (sx->stx_mask & STATX_BTIME) {
		bt.tv_sec = sx->stx_btime.tv_sec;
		bt.tv_nsec = sx->stx_btime.tv_nsec;
		rc = db_set_crtime(l->db, ino, &bt);
		if (rc < 0)
			return fail(l, rc, "crtime");
	}
	return 0;
}

/*
 * Writes the n bytes of buf that belong at off into ino, leaving out the
 * block-aligned pieces that are all zeros and the zeros that end a run of
 * other pieces: the new file reads back zeros there.
 */
static int store(struct loader *l, ino_t ino, off_t off, const char *buf,
		 size_t n)
{
	size_t bs = l->block_size, i = 0, j, next, piece;
	ssize_t w;

	while (i < n) {
		piece = bs - (size_t) ((off + (off_t) i) % (off_t) bs);
		if (piece > n - i)
			piece = n - i;
		if (is_zero(buf + i, piece)) {
			i += piece;
			continue;
		}
		/* extend over the following non-zero blocks */
		for (j = i + piece; j < n; j += piece) {
			piece = n - j < bs ? n - j : bs;
			if (is_zero(buf + j, piece))
				break;
		}
		next = j;
		while (j > i && !buf[j - 1]) /* a new file reads zeros there */
			j--;
		w = db_write(l->db, ino, off + (off_t) i, buf + i, j - i, 0,
			     NULL);
		if (w < 0)
			return fail(l, (int) w, "write");
		l->unsynced += j - i;
		i = next;
	}
	return 0;
}

/* Copies bytes [from, to) of fd into ino. */
static int copy_range(struct loader *l, int fd, ino_t ino, off_t from, off_t to)
{
	ssize_t r;
	size_t n;
	int rc;

	while (from < to) {
		n = to - from < LOAD_CHUNK ? (size_t) (to - from) : LOAD_CHUNK;
		r = pread(fd, l->buf, n, from);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(l, -errno, "read");
		if (r == 0)
			break; /* shrank while we read: the rest is zeros */
		rc = store(l, ino, from, l->buf, (size_t) r);
		if (rc < 0)
			return rc;
		from += r;
		l->st->bytes += (uint64_t) r;
	}
	return 0;
}

/* Copies the data of the current path, size bytes, into ino: only the
 * ranges that SEEK_DATA finds, so holes stay holes. */
static int copy_data(struct loader *l, ino_t ino, off_t size)
{
	off_t pos = 0, data, hole;
	int fd, rc = 0;

	fd = open(l->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM) /* O_NOATIME: not the owner */
		fd = open(l->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(l, -errno, NULL);
	while (pos < size && rc == 0) {
		data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* a hole up to the end */
		if (data < 0 && errno != EINVAL) {
			rc = fail(l, -errno, "seek");
			break;
		}
		hole = size;
		if (data < 0) /* no SEEK_DATA here: read it all */
			data = pos;
		else
			hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		if (data >= size)
			break;
		rc = copy_range(l, fd, ino, data, hole);
		pos = hole;
	}
	close(fd);
	return rc;
}

static int load_dir(struct loader *l, ino_t dir, const struct statx *dsx);

/* Loads the current path, called name, into directory parent. */
static int load_entry(struct loader *l, ino_t parent, const char *name)
{
	struct db_cred cred = {0};
	struct link_node key, *node, **found;
	struct statx sx;
	struct stat st;
	char target[PATH_MAX];
	ssize_t len;
	mode_t mode;
	dev_t rdev = 0;
	int rc;

	if (statx(AT_FDCWD, l->path, AT_SYMLINK_NOFOLLOW,
		  STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
		return fail(l, -errno, NULL);
	mode = sx.stx_mode;
	key.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	key.src = (ino_t) sx.stx_ino;
	if (!S_ISDIR(mode) && sx.stx_nlink > 1) {
		found = tfind(&key, &l->links, link_cmp);
		if (found) {
			rc = db_link(l->db, (*found)->ino, parent, name, &st);
			if (rc < 0)
				return fail(l, rc, "link");
			/* the new name moved ctime: put it back */
			st.st_ctim.tv_sec = sx.stx_ctime.tv_sec;
			st.st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
			rc = db_setattr(l->db, (*found)->ino, &st, DB_SET_CTIME,
					&st);
			if (rc < 0)
				return fail(l, rc, "setattr");
			l->st->links++;
			return 0;
		}
	}

	cred.uid = sx.stx_uid;
	cred.gid = sx.stx_gid;
	target[0] = '\0';
	if (S_ISLNK(mode)) {
		len = readlink(l->path, target, sizeof(target) - 1);
		if (len < 0)
			return fail(l, -errno, "readlink");
		target[len] = '\0';
	} else if (S_ISCHR(mode) || S_ISBLK(mode)) {
		rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	} else if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISFIFO(mode) &&
		   !S_ISSOCK(mode)) {
		return fail(l, -EOPNOTSUPP, "file type");
	}
	rc = db_mknod(l->db, parent, name, mode, rdev,
		      S_ISLNK(mode) ? target : NULL, &cred, &st);
	if (rc < 0)
		return fail(l, rc, "create");
	l->fresh++;

	if (S_ISDIR(mode)) {
		l->st->dirs++;
		rc = load_dir(l, st.st_ino, &sx);
	} else if (S_ISREG(mode)) {
		l->st->files++;
		rc = copy_data(l, st.st_ino, (off_t) sx.stx_size);
	} else if (S_ISLNK(mode)) {
		l->st->symlinks++;
	} else {
		l->st->special++;
	}
	if (rc == 0)
		rc = set_attrs(l, st.st_ino, &sx, &st);
	if (rc == 0 && !S_ISDIR(mode) && sx.stx_nlink > 1) {
		node = malloc(sizeof(*node));
		if (!node)
			return fail(l, -ENOMEM, NULL);
		*node = key;
		node->ino = st.st_ino;
		if (!tsearch(node, &l->links, link_cmp)) {
			free(node);
			return fail(l, -ENOMEM, NULL);
		}
	}
	return rc;
}

/* Reads the names of the directory at the current path, sorted. */
static int read_names(struct loader *l, char ***out, size_t *count)
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = fail(l, -errno, NULL);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	if (errno)
		rc = fail(l, errno == ENOMEM ? -ENOMEM : -errno, "readdir");
	closedir(d);
	if (rc == 0 && n)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*count = n;
	return rc;
}

/* Whether name, in the directory dsx, is the database being built. */
static int skipped(struct loader *l, const struct statx *dsx, const char *name)
{
	const struct load_opts *o = l->opts;

	return o->skip_prefix &&
	       makedev(dsx->stx_dev_major, dsx->stx_dev_minor) == o->skip_dev &&
	       dsx->stx_ino == o->skip_ino &&
	       !strncmp(name, o->skip_prefix, strlen(o->skip_prefix));
}

/* Loads the entries of the directory at the current path into dir. */
static int load_dir(struct loader *l, ino_t dir, const struct statx *dsx)
{
	char **names = NULL;
	size_t n = 0, i, len = l->len, nlen;
	int rc = read_names(l, &names, &n);

	for (i = 0; i < n && rc == 0; i++) {
		if (skipped(l, dsx, names[i]))
			continue;
		nlen = strlen(names[i]);
		if (len + 1 + nlen >= sizeof(l->path)) {
			rc = fail(l, -ENAMETOOLONG, names[i]);
			break;
		}
		l->path[len] = '/';
		memcpy(l->path + len + 1, names[i], nlen + 1);
		l->len = len + 1 + nlen;
		rc = load_entry(l, dir, names[i]);
		if (rc == 0 && l->opts->progress)
			l->opts->progress(l->opts->ctx, l->st, l->path);
		if (rc == 0)
			rc = maybe_sync(l);
		if (rc == 0) {
			l->len = len;
			l->path[len] = '\0';
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int load_tree(struct db *db, const char *top, const struct load_opts *opts,
	      struct load_stats *st, char *err, size_t errsz)
{
	struct loader l;
	struct statx sx;
	struct stat root;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(st, 0, sizeof(*st));
	l.db = db;
	l.opts = opts;
	l.st = st;
	l.err = err;
	l.errsz = errsz;
	l.block_size = db_block_size(db);
	l.len = strlen(top);
	while (l.len > 1 && top[l.len - 1] == '/')
		l.len--;
	if (l.len >= sizeof(l.path)) {
		snprintf(err, errsz, "%s: %s", top, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	memcpy(l.path, top, l.len);
	l.path[l.len] = '\0';
	if (statx(AT_FDCWD, l.path, 0, STATX_BASIC_STATS | STATX_BTIME, &sx) <
	    0)
		return fail(&l, -errno, NULL);
	if (!S_ISDIR(sx.stx_mode))
		return fail(&l, -ENOTDIR, NULL);
	l.buf = malloc(LOAD_CHUNK);
	if (!l.buf)
		return fail(&l, -ENOMEM, NULL);
	st->dirs = 1;
	rc = load_dir(&l, DB_ROOT_INO, &sx);
	if (rc == 0)
		rc = db_getattr(db, DB_ROOT_INO, &root);
	if (rc == 0)
		rc = set_attrs(&l, DB_ROOT_INO, &sx, &root);
	if (rc == 0) {
		rc = db_sync(db);
		if (rc < 0)
			fail(&l, rc, "commit");
	}
	tdestroy(l.links, free);
	free(l.buf);
	return rc;
}
