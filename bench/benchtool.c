/*
 * benchtool - the metadata and mmap workloads of scripts/bench.py, as
 * plain syscalls so that the figures measure the filesystem, not an
 * interpreter.  Each command prints "seconds N" (and counts) on stdout.
 *
 *   benchtool create DIR NDIRS NFILES SIZE   NDIRS dirs of NFILES files
 *   benchtool statall DIR                    lstat every name below DIR
 *   benchtool mmap FILE MIB                  dirty a shared mapping, msync
 *   benchtool scale DIR NDIRS NFILES STEP    empty files; time per STEP
 *   benchtool probe DIR NDIRS NFILES COUNT   lstat COUNT distinct names
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "benchtool: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static long arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "benchtool: not a count: %s\n", s);
		exit(2);
	}
	return v;
}

static void write_all(int fd, const char *buf, size_t n, const char *path)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0)
			die("write", path);
		buf += w;
		n -= (size_t) w;
	}
}

/* Makes ndirs directories of nfiles files of size bytes each. */
static int create(const char *dir, long ndirs, long nfiles, long size)
{
	char path[4096], *buf = malloc((size_t) size + 1);
	double t0 = now();

	if (!buf)
		die("malloc", "");
	memset(buf, 'x', (size_t) size);
	for (long d = 0; d < ndirs; d++) {
		snprintf(path, sizeof(path), "%s/d%04ld", dir, d);
		if (mkdir(path, 0755) < 0)
			die("mkdir", path);
		for (long f = 0; f < nfiles; f++) {
			int fd;

			snprintf(path, sizeof(path), "%s/d%04ld/f%05ld", dir, d,
				 f);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				die("open", path);
			write_all(fd, buf, (size_t) size, path);
			if (close(fd) < 0)
				die("close", path);
		}
	}
	printf("seconds %.6f\nfiles %ld\n", now() - t0, ndirs * nfiles);
	free(buf);
	return 0;
}

static long nstat;

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	struct stat again;

	(void) st;
	(void) type;
	(void) ftw;
	if (lstat(path, &again) < 0)
		die("lstat", path);
	nstat++;
	return 0;
}

/* Walks DIR (which lstats every name) and lstats each name once more. */
static int statall(const char *dir)
{
	double t0 = now();

	if (nftw(dir, visit, 64, FTW_PHYS) < 0)
		die("nftw", dir);
	printf("seconds %.6f\nfiles %ld\n", now() - t0, nstat);
	return 0;
}

/* Writes every page of a shared mapping of mib MiB, then msync. */
static int dirty_map(const char *path, long mib)
{
	size_t len = (size_t) mib << 20, page = (size_t) getpagesize();
	double t0 = now();
	char *map;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	if (ftruncate(fd, (off_t) len) < 0)
		die("ftruncate", path);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap", path);
	for (size_t off = 0; off < len; off += page)
		memset(map + off, (int) (off / page) & 0xff, page);
	if (msync(map, len, MS_SYNC) < 0)
		die("msync", path);
	munmap(map, len);
	if (close(fd) < 0)
		die("close", path);
	printf("seconds %.6f\nbytes %zu\n", now() - t0, len);
	return 0;
}

/* Makes nfiles empty files in each of ndirs directories, filled round
 * robin, and prints the time each step files took. */
static int scale(const char *dir, long ndirs, long nfiles, long step)
{
	char path[4096];
	long total = ndirs * nfiles;
	double t0 = now(), tstep = t0;

	for (long d = 0; d < ndirs; d++) {
		snprintf(path, sizeof(path), "%s/d%04ld", dir, d);
		if (mkdir(path, 0755) < 0)
			die("mkdir", path);
	}
	for (long i = 0; i < total; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/d%04ld/f%07ld", dir, i % ndirs,
			 i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("open", path);
		if (close(fd) < 0)
			die("close", path);
		if ((i + 1) % step == 0) {
			double t = now();

			printf("step %ld %.6f\n", (i + 1) / step, t - tstep);
			fflush(stdout);
			tstep = t;
		}
	}
	printf("seconds %.6f\nfiles %ld\n", now() - t0, total);
	return 0;
}

/*
 * lstat()s count distinct files among those scale made, spread over the
 * whole tree (i * 7919 mod total: a prime stride visits each name once),
 * after looking up the directories, which are not timed.
 */
static int probe(const char *dir, long ndirs, long nfiles, long count)
{
	char path[4096];
	long total = ndirs * nfiles;
	double t0 = now();
	struct stat st;

	if (count > total)
		count = total;
	for (long d = 0; d < ndirs; d++) { /* the directories, untimed */
		snprintf(path, sizeof(path), "%s/d%04ld", dir, d);
		if (lstat(path, &st) < 0)
			die("lstat", path);
	}
	t0 = now();
	for (long i = 0; i < count; i++) {
		long n = (long) ((i * 7919LL) % total);

		snprintf(path, sizeof(path), "%s/d%04ld/f%07ld", dir, n % ndirs,
			 n);
		if (lstat(path, &st) < 0)
			die("lstat", path);
	}
	printf("seconds %.6f\nfiles %ld\n", now() - t0, count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "create"))
		return create(argv[2], arg(argv[3]), arg(argv[4]),
			      arg(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "statall"))
		return statall(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "mmap"))
		return dirty_map(argv[2], arg(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "scale") && arg(argv[5]) > 0)
		return scale(argv[2], arg(argv[3]), arg(argv[4]), arg(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "probe") && arg(argv[3]) > 0 &&
	    arg(argv[4]) > 0)
		return probe(argv[2], arg(argv[3]), arg(argv[4]), arg(argv[5]));
	fprintf(stderr, "usage: benchtool create DIR NDIRS NFILES SIZE\n"
			"       benchtool statall DIR\n"
			"       benchtool mmap FILE MIB\n"
			"       benchtool scale DIR NDIRS NFILES STEP\n"
			"       benchtool probe DIR NDIRS NFILES COUNT\n");
	return 2;
}
