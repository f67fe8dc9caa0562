/*
 * stress_test.c - many processes at once on one mount
 *
 * Each of --procs workers runs seeded random operations for --seconds in
 * a directory of its own, w<i>/a and w<i>/b, and through a shared
 * directory: create and write files of up to 256 KiB, overwrite and
 * extend ranges, truncate, rename between its directories and into and
 * out of shared/, unlink, fsync, set an xattr, make and remove
 * directories.  Each keeps the contents it expects in memory.  Then:
 *  - every worker must finish in time (no deadlock) and the daemon must
 *    live (no crash);
 *  - each worker checks its files byte for byte and its directories'
 *    listings, and writes a manifest (name, size, hash, xattr);
 *  - the test unmounts (the daemon must exit 0), checks the database's
 *    integrity, remounts and checks every manifest again, and that the
 *    tree holds nothing else.
 * Usage: stress_test [--procs N] [--seconds T] [--seed S] [--opts O],
 * O being mount options (-o) of the daemon.  Prints TAP.
 * Environment: SQLITEFS and MKFS (see mount_util.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define NFILE 24	     /* file slots per worker */
#define MAXSIZE (256 * 1024) /* largest file */
#define MAXPROCS 64

struct file {
	int where; /* 0: none, 1: a, 2: b, 3: shared */
	size_t size;
	unsigned char *data;
	unsigned xattr; /* value of user.v, 0 when unset */
};

static struct mnt m;

static uint64_t hash(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

/* The path of slot f of worker w where it is now. */
static const char *path_of(int w, int f, int where)
{
	static char buf[8][PATH_MAX];
	static int next;
	char *p = buf[next++ % 8];
	char rel[64];

	if (where == 3)
		snprintf(rel, sizeof(rel), "shared/w%d-f%d", w, f);
	else
		snprintf(rel, sizeof(rel), "w%d/%c/f%d", w,
			 where == 1 ? 'a' : 'b', f);
	snprintf(p, PATH_MAX, "%s", mp(&m, rel));
	return p;
}

static int write_at(const char *path, const unsigned char *buf, size_t n,
		    off_t off, int sync)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	ssize_t done = 0;

	if (fd < 0)
		return -1;
	while ((size_t) done < n) {
		ssize_t r =
			pwrite(fd, buf + done, n - (size_t) done, off + done);

		if (r <= 0) {
			close(fd);
			return -1;
		}
		done += r;
	}
	if (sync && fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* One random operation on slot f; returns 0 or -1 (with a message). */
static int step(int w, struct file *fs, unsigned *seed)
{
	int f = (int) (rand_r(seed) % NFILE), op = (int) (rand_r(seed) % 10);
	struct file *x = &fs[f];
	const char *p = path_of(w, f, x->where);

	if (!x->where) { /* create it */
		size_t n = rand_r(seed) % MAXSIZE;

		x->data = malloc(MAXSIZE);
		for (size_t i = 0; i < n; i++)
			x->data[i] = (unsigned char) rand_r(seed);
		x->where = 1 + (int) (rand_r(seed) % 2);
		x->size = n;
		p = path_of(w, f, x->where);
		if (write_at(p, x->data, n, 0, rand_r(seed) % 4 == 0) < 0)
			goto fail;
		return 0;
	}
	switch (op) {
	case 0:
	case 1:
	case 2: { /* overwrite or extend a range */
		size_t off = rand_r(seed) % (x->size + 1);
		size_t n = rand_r(seed) % 65536;

		if (off + n > MAXSIZE)
			n = MAXSIZE - off;
		for (size_t i = 0; i < n; i++)
			x->data[off + i] = (unsigned char) rand_r(seed);
		if (off + n > x->size)
			x->size = off + n;
		return write_at(p, x->data + off, n, (off_t) off, op == 2) < 0
			       ? (perror(p), -1)
			       : 0;
	}
	case 3: { /* truncate, shorter or longer */
		size_t n = rand_r(seed) % MAXSIZE;

		if (truncate(p, (off_t) n) < 0)
			goto fail;
		if (n > x->size)
			memset(x->data + x->size, 0, n - x->size);
		x->size = n;
		return 0;
	}
	case 4:
	case 5: { /* move: a <-> b, or into and out of shared/ */
		int to = x->where == 3 ? 1 + (int) (rand_r(seed) % 2)
			 : op == 5     ? 3
				       : 3 - x->where;

		if (rename(p, path_of(w, f, to)) < 0)
			goto fail;
		x->where = to;
		return 0;
	}
	case 6: /* unlink */
		if (unlink(p) < 0)
			goto fail;
		free(x->data);
		memset(x, 0, sizeof(*x));
		return 0;
	case 7: { /* an xattr */
		unsigned v = 1 + rand_r(seed) % 1000000;

		if (setxattr(p, "user.v", &v, sizeof(v), 0) < 0)
			goto fail;
		x->xattr = v;
		return 0;
	}
	case 8: { /* a directory made and removed */
		char rel[64];

		snprintf(rel, sizeof(rel), "w%d/d%u", w, rand_r(seed) % 4);
		if (mkdir(mp(&m, rel), 0755) < 0 && errno != EEXIST)
			goto fail;
		if (rmdir(mp(&m, rel)) < 0)
			goto fail;
		return 0;
	}
	default: { /* read it back */
		unsigned char *buf = malloc(MAXSIZE + 1);
		int fd = open(p, O_RDONLY), ok;
		ssize_t n = fd < 0 ? -1 : read(fd, buf, MAXSIZE + 1);

		if (fd >= 0)
			close(fd);
		ok = n == (ssize_t) x->size &&
		     memcmp(buf, x->data, x->size) == 0;
		free(buf);
		if (!ok)
			fprintf(stderr, "stress: %s: content differs\n", p);
		return ok ? 0 : -1;
	}
	}
fail:
	fprintf(stderr, "stress: worker %d: %s: %s\n", w, p, strerror(errno));
	return -1;
}

/* Checks the slots of worker w on the mount, writing a manifest line per
 * file to out when out is not NULL; returns the number of differences. */
static int check_worker(int w, struct file *fs, FILE *out)
{
	unsigned char *buf = malloc(MAXSIZE + 1);
	int bad = 0;

	for (int f = 0; f < NFILE; f++) {
		struct file *x = &fs[f];
		const char *p;
		unsigned v = 0;
		int fd;
		ssize_t n;

		if (!x->where)
			continue;
		p = path_of(w, f, x->where);
		fd = open(p, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, MAXSIZE + 1);
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t) x->size ||
		    memcmp(buf, x->data, x->size) != 0) {
			fprintf(stderr, "stress: %s: not as written\n", p);
			bad++;
		}
		if (x->xattr &&
		    (getxattr(p, "user.v", &v, sizeof(v)) != sizeof(v) ||
		     v != x->xattr)) {
			fprintf(stderr, "stress: %s: xattr lost\n", p);
			bad++;
		}
		if (out)
			fprintf(out, "%d %d %d %zu %llx %u\n", w, f, x->where,
				x->size,
				(unsigned long long) hash(x->data, x->size),
				x->xattr);
	}
	free(buf);
	return bad;
}

static int worker(int w, int seconds, unsigned seed, const char *manifest)
{
	struct file fs[NFILE];
	time_t end = time(NULL) + seconds;
	char rel[64];
	long ops = 0;
	FILE *out;
	int bad;

	memset(fs, 0, sizeof(fs));
	snprintf(rel, sizeof(rel), "w%d", w);
	if (mkdir(mp(&m, rel), 0755) < 0)
		return 2;
	for (const char *d = "ab"; *d; d++) {
		snprintf(rel, sizeof(rel), "w%d/%c", w, *d);
		if (mkdir(mp(&m, rel), 0755) < 0)
			return 2;
	}
	while (time(NULL) < end) {
		if (step(w, fs, &seed) < 0)
			return 1;
		ops++;
	}
	out = fopen(manifest, "w");
	bad = check_worker(w, fs, out);
	if (!out || fclose(out) != 0)
		return 2;
	fprintf(stderr, "stress: worker %d: %ld operations\n", w, ops);
	return bad ? 1 : 0;
}

/* Checks the manifests against the mount, and that nothing else is there;
 * returns the number of differences. */
static int check_manifests(int procs, const char *dir)
{
	unsigned char *buf = malloc(MAXSIZE + 1);
	int bad = 0, names = 0, found = 0;

	for (int w = 0; w < procs; w++) {
		char man[PATH_MAX], line[256];
		FILE *in;

		snprintf(man, sizeof(man), "%s/manifest%d", dir, w);
		in = fopen(man, "r");
		if (!in)
			return 1;
		while (fgets(line, sizeof(line), in)) {
			int ww, f, where, fd;
			size_t size;
			unsigned long long h;
			unsigned xv, v = 0;
			ssize_t n;
			const char *p;

			if (sscanf(line, "%d %d %d %zu %llx %u", &ww, &f,
				   &where, &size, &h, &xv) != 6)
				continue;
			names++;
			p = path_of(ww, f, where);
			fd = open(p, O_RDONLY);
			n = fd < 0 ? -1 : read(fd, buf, MAXSIZE + 1);
			if (fd >= 0)
				close(fd);
			if (n != (ssize_t) size || hash(buf, size) != h ||
			    (xv && (getxattr(p, "user.v", &v, sizeof(v)) !=
					    sizeof(v) ||
				    v != xv))) {
				fprintf(stderr,
					"stress: %s: differs after "
					"remount\n",
					p);
				bad++;
			}
		}
		fclose(in);
	}
	/* count what is there: the files named, the worker dirs, shared */
	for (int w = -1; w < procs; w++) {
		const char *sub[] = {"a", "b"};

		for (int s = 0; s < (w < 0 ? 1 : 2); s++) {
			char rel[64];
			DIR *d;
			struct dirent *e;

			if (w < 0)
				snprintf(rel, sizeof(rel), "shared");
			else
				snprintf(rel, sizeof(rel), "w%d/%s", w, sub[s]);
			d = opendir(mp(&m, rel));
			if (!d)
				return bad + 1;
			while ((e = readdir(d)))
				if (e->d_name[0] != '.')
					found++;
			closedir(d);
		}
	}
	if (found != names) {
		fprintf(stderr, "stress: %d names on the mount, %d expected\n",
			found, names);
		bad++;
	}
	free(buf);
	return bad;
}

int main(int argc, char **argv)
{
	int procs = 8, seconds = 20, status, ok = 1, bad;
	unsigned seed = (unsigned) time(NULL);
	pid_t pids[MAXPROCS];
	time_t deadline;
	char man[PATH_MAX];
	const char *opts = NULL;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--procs"))
			procs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = (unsigned) strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--opts"))
			opts = argv[i + 1];
	}
	if (procs < 1 || procs > MAXPROCS || seconds < 1) {
		fprintf(stderr, "usage: stress_test [--procs N] [--seconds T] "
				"[--seed S] [--opts O]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (mounts)\n");
		return 0;
	}
	printf("1..6\n# seed %u, %d processes, %d s\n", seed, procs, seconds);
	if (mnt_init(&m, NULL) < 0 || mnt_mount(&m, opts) < 0 ||
	    mkdir(mp(&m, "shared"), 0755) < 0) {
		printf("Bail out! cannot mount\n");
		mnt_cleanup(&m);
		return 1;
	}
	for (int w = 0; w < procs; w++) {
		snprintf(man, sizeof(man), "%s/manifest%d", m.dir, w);
		fflush(NULL);
		pids[w] = fork();
		if (pids[w] == 0)
			_exit(worker(w, seconds, seed * 1000003u + (unsigned) w,
				     man));
	}
	/* no deadlock: every worker ends within a minute of its time */
	deadline = time(NULL) + seconds + 60;
	for (int w = 0; w < procs; w++) {
		pid_t r;

		while ((r = waitpid(pids[w], &status, WNOHANG)) == 0 &&
		       time(NULL) < deadline)
			usleep(100000);
		if (r != pids[w]) {
			kill(pids[w], SIGKILL);
			waitpid(pids[w], &status, 0);
			ok = 0;
			fprintf(stderr, "stress: worker %d hung\n", w);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			ok = 0;
			fprintf(stderr, "stress: worker %d failed (%#x)\n", w,
				status);
		}
	}
	mnt_tap(ok, "all processes finished in time, every result as expected");
	mnt_tap(kill(m.pid, 0) == 0, "the daemon lives");
	bad = check_manifests(procs, m.dir);
	mnt_tap(bad == 0, "the tree holds exactly the workers' files");
	mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	mnt_tap(mnt_check_db(&m) == 0, "integrity and foreign keys clean");
	if (mnt_mount(&m, opts) == 0) {
		bad = check_manifests(procs, m.dir);
		mnt_tap(bad == 0, "after a remount, the same tree");
		mnt_umount(&m);
	} else {
		mnt_tap(0, "remount");
	}
	if (mnt_tap_failed)
		printf("# replay: stress_test --seed %u --procs %d --seconds "
		       "%d%s%s\n",
		       seed, procs, seconds, opts ? " --opts " : "",
		       opts ? opts : "");
	mnt_cleanup(&m);
	return mnt_tap_failed ? 1 : 0;
}
