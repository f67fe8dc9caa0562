/*
 * cache_test.c - what the kernel caches agrees with what was written
 *
 * The daemon lets the kernel keep pages (keep_cache) and cache writes
 * (the writeback cache); these cases check that nothing a program sees
 * through those caches is older or emptier than what it wrote:
 *  - direct I/O: writers rewrite blocks with O_DIRECT, by pwrite(2) and
 *    by io_submit(2) (asynchronous), each block carrying a generation
 *    number; readers read the same blocks with buffered pread(2) and
 *    through a shared mapping, and must never see a generation older
 *    than one whose write had completed before their read started; once
 *    with the defaults and once with -o nowriteback;
 *  - SEEK_DATA and SEEK_HOLE right after a write the kernel has not yet
 *    written back: data is never reported as a hole or as past the end,
 *    and holes before and after it are still found; also through a
 *    mapping, through another open file and after the writer's close;
 *  - relatime: a read after a modification moves atime, as mail readers
 *    rely on ("new mail" is mtime > atime); the same steps run in a
 *    directory of the local disk as the reference.
 * Usage: cache_test [--seconds T] (of each direct I/O run; 4 by default).
 * Prints TAP.  Environment: SQLITEFS and MKFS (see mount_util.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BS 4096 /* bytes of a direct write: one generation each */
#define NB 64	/* blocks of the direct I/O file */
#define WORDS (BS / 8)
#define AIO_BATCH 8
#define MAX_REPORTS 5

static struct mnt m;

/* --- direct writes against cached readers ------------------------------ */

/* Shared by the processes of one run (an anonymous shared mapping). */
struct board {
	uint64_t ack[NB]; /* the newest generation whose write completed */
	uint64_t writes, reads, checked, stale, torn, errors;
	int stop;
};

static struct board *board;

static uint64_t word_of(int b, uint64_t gen)
{
	return (uint64_t) b << 48 | gen;
}

static void fill_block(char *buf, int b, uint64_t gen)
{
	uint64_t w = word_of(b, gen), *p = (uint64_t *) buf;
	int i;

	for (i = 0; i < WORDS; i++)
		p[i] = w;
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_load_n(&board->errors, __ATOMIC_RELAXED) +
		    __atomic_load_n(&board->stale, __ATOMIC_RELAXED) +
		    __atomic_load_n(&board->torn, __ATOMIC_RELAXED) >
	    MAX_REPORTS)
		return;
	va_start(ap, fmt);
	fputs("# ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void ack(int b, uint64_t gen)
{
	__atomic_store_n(&board->ack[b], gen, __ATOMIC_RELEASE);
	__atomic_add_fetch(&board->writes, 1, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&board->stop, __ATOMIC_ACQUIRE);
}

/*
 * Checks block b as read into p against the generation acknowledged
 * before the read started (before).  A copy out of a mapping may mix two
 * generations, as on any filesystem (the page can be replaced while it is
 * copied); a read(2) of one page may not.
 */
static void check_block(const char *who, int b, const char *p, uint64_t before,
			int whole)
{
	const uint64_t *w = (const uint64_t *) p;
	uint64_t gen, oldest = UINT64_MAX;
	int i;

	for (i = 0; i < WORDS; i++) {
		gen = w[i] & ((UINT64_C(1) << 48) - 1);
		if (gen < oldest)
			oldest = gen;
		if (w[i] >> 48 != (uint64_t) b || (whole && w[i] != w[0])) {
			__atomic_add_fetch(&board->torn, 1, __ATOMIC_RELAXED);
			report("%s: block %d torn: word %d is %#llx, word 0 "
			       "%#llx\n",
			       who, b, i, (unsigned long long) w[i],
			       (unsigned long long) w[0]);
			return;
		}
	}
	if (oldest < before) {
		__atomic_add_fetch(&board->stale, 1, __ATOMIC_RELAXED);
		report("%s: block %d: generation %llu read after %llu was "
		       "written\n",
		       who, b, (unsigned long long) oldest,
		       (unsigned long long) before);
	}
	__atomic_add_fetch(&board->checked, 1, __ATOMIC_RELAXED);
}

static void fail_io(const char *what, int err)
{
	__atomic_add_fetch(&board->errors, 1, __ATOMIC_RELAXED);
	report("%s: %s\n", what, strerror(err));
}

/* Rewrites the even blocks with O_DIRECT pwrite(2). */
static void sync_writer(const char *path)
{
	uint64_t gen[NB] = {0};
	char *buf;
	int fd = open(path, O_WRONLY | O_DIRECT);

	if (fd < 0 || posix_memalign((void **) &buf, BS, BS) != 0) {
		fail_io("sync writer: open", errno);
		return;
	}
	srandom((unsigned) getpid());
	while (!stopped()) {
		int b = (int) (random() % (NB / 2)) * 2;

		gen[b] = gen[b] ? gen[b] + 1 : 2;
		fill_block(buf, b, gen[b]);
		if (pwrite(fd, buf, BS, (off_t) b * BS) != BS) {
			fail_io("sync writer: pwrite", errno);
			break;
		}
		ack(b, gen[b]);
	}
	close(fd);
	free(buf);
}

/* Rewrites the odd blocks with O_DIRECT io_submit(2), AIO_BATCH at once. */
static void aio_writer(const char *path)
{
	uint64_t gen[NB] = {0};
	struct iocb cbs[AIO_BATCH], *cbp[AIO_BATCH];
	struct io_event ev[AIO_BATCH];
	aio_context_t ctx = 0;
	char *buf;
	int fd = open(path, O_WRONLY | O_DIRECT), i, n;
	long got;

	if (fd < 0 || posix_memalign((void **) &buf, BS, BS * AIO_BATCH) ||
	    syscall(SYS_io_setup, AIO_BATCH, &ctx) < 0) {
		fail_io("aio writer: setup", errno);
		return;
	}
	srandom((unsigned) getpid());
	while (!stopped()) {
		int used[NB] = {0};

		for (n = 0; n < AIO_BATCH; n++) {
			int b;

			do /* distinct blocks: one write per block in flight */
				b = (int) (random() % (NB / 2)) * 2 + 1;
			while (used[b]);
			used[b] = 1;
			gen[b] = gen[b] ? gen[b] + 1 : 2;
			fill_block(buf + n * BS, b, gen[b]);
			memset(&cbs[n], 0, sizeof(cbs[n]));
			cbs[n].aio_fildes = (uint32_t) fd;
			cbs[n].aio_lio_opcode = IOCB_CMD_PWRITE;
			cbs[n].aio_buf = (uint64_t) (uintptr_t) (buf + n * BS);
			cbs[n].aio_nbytes = BS;
			cbs[n].aio_offset = (int64_t) b * BS;
			cbs[n].aio_data = (uint64_t) b;
			cbp[n] = &cbs[n];
		}
		if (syscall(SYS_io_submit, ctx, (long) n, cbp) != n) {
			fail_io("aio writer: io_submit", errno);
			break;
		}
		for (i = 0; i < n; i += (int) got) {
			got = syscall(SYS_io_getevents, ctx, 1L, (long) (n - i),
				      ev, NULL);
			if (got < 0 && errno == EINTR) {
				got = 0;
				continue;
			}
			if (got <= 0) {
				fail_io("aio writer: io_getevents", errno);
				goto out;
			}
			for (long k = 0; k < got; k++) {
				int b = (int) ev[k].data;

				if (ev[k].res != BS)
					fail_io("aio writer: write",
						ev[k].res < 0 ? (int) -ev[k].res
							      : EIO);
				else
					ack(b, gen[b]);
			}
		}
	}
out:
	syscall(SYS_io_destroy, ctx);
	close(fd);
	free(buf);
}

/* Reads runs of 1 to 8 blocks with buffered pread(2). */
static void buffered_reader(const char *path)
{
	char buf[8 * BS];
	uint64_t before[8];
	int fd = open(path, O_RDONLY), i;

	if (fd < 0) {
		fail_io("reader: open", errno);
		return;
	}
	srandom((unsigned) getpid());
	while (!stopped()) {
		int first = (int) (random() % NB), n = 1 + (int) (random() % 8);

		if (first + n > NB)
			n = NB - first;
		for (i = 0; i < n; i++)
			before[i] = __atomic_load_n(&board->ack[first + i],
						    __ATOMIC_ACQUIRE);
		if (pread(fd, buf, (size_t) n * BS, (off_t) first * BS) !=
		    (ssize_t) n * BS) {
			fail_io("reader: pread", errno);
			break;
		}
		for (i = 0; i < n; i++)
			check_block("pread", first + i, buf + i * BS, before[i],
				    1);
		__atomic_add_fetch(&board->reads, 1, __ATOMIC_RELAXED);
	}
	close(fd);
}

/* Reads blocks through a shared mapping of the whole file. */
static void mmap_reader(const char *path)
{
	char buf[BS], *map;
	int fd = open(path, O_RDONLY);

	map = fd < 0 ? MAP_FAILED
		     : mmap(NULL, NB * BS, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fail_io("mmap reader: mmap", errno);
		return;
	}
	srandom((unsigned) getpid());
	while (!stopped()) {
		int b = (int) (random() % NB);
		uint64_t before =
			__atomic_load_n(&board->ack[b], __ATOMIC_ACQUIRE);

		memcpy(buf, map + (size_t) b * BS, BS);
		check_block("mmap", b, buf, before, 0);
		__atomic_add_fetch(&board->reads, 1, __ATOMIC_RELAXED);
	}
	munmap(map, NB * BS);
	close(fd);
}

/*
 * One run: the file is written with generation 1, then two writers, two
 * buffered readers and one mapping reader run for seconds.  Returns 1
 * when every read was right.
 */
static int direct_run(const char *rel, int seconds, const char *label)
{
	static void (*const roles[])(const char *) = {
		sync_writer,	 aio_writer,  buffered_reader,
		buffered_reader, mmap_reader,
	};
	const int nroles = sizeof(roles) / sizeof(roles[0]);
	char path[PATH_MAX], msg[256], *buf;
	pid_t pids[8];
	int fd, b, i, st, ok = 1;

	snprintf(path, sizeof(path), "%s", mp(&m, rel));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0 || posix_memalign((void **) &buf, BS, BS) != 0) {
		mnt_tap(0, "direct I/O file created");
		return 0;
	}
	memset(board, 0, sizeof(*board));
	for (b = 0; b < NB; b++) {
		fill_block(buf, b, 1);
		if (pwrite(fd, buf, BS, (off_t) b * BS) != BS)
			ok = 0;
		board->ack[b] = 1;
	}
	close(fd);
	free(buf);
	if (!ok) {
		mnt_tap(0, "direct I/O file written");
		return 0;
	}
	fflush(NULL);
	for (i = 0; i < nroles; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			roles[i](path);
			_exit(0);
		}
	}
	sleep((unsigned) seconds); /* the run's length, not a wait */
	__atomic_store_n(&board->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nroles; i++)
		if (pids[i] > 0 &&
		    (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st)))
			ok = 0;
	snprintf(msg, sizeof(msg),
		 "%s: O_DIRECT pwrite and io_submit against pread and "
		 "mmap readers: %llu of %llu blocks stale, %llu torn, "
		 "%llu errors (%llu writes, %llu reads)",
		 label, (unsigned long long) board->stale,
		 (unsigned long long) board->checked,
		 (unsigned long long) board->torn,
		 (unsigned long long) board->errors,
		 (unsigned long long) board->writes,
		 (unsigned long long) board->reads);
	ok = ok && board->stale == 0 && board->torn == 0 &&
	     board->errors == 0 && board->writes > 100 && board->checked > 100;
	mnt_tap(ok, msg);
	return ok;
}

/* --- SEEK_DATA and SEEK_HOLE before writeback --------------------------- */

#define KIB ((off_t) 1024)
#define MIB (KIB * 1024)

/*
 * Checks that lseek(fd, off, whence) is in [lo, hi]: data is never
 * reported as a hole, but the end of a short block may be.
 */
static const char *seek_label; /* the mount's options, for the TAP lines */

static void seek_in(int fd, off_t off, int whence, off_t lo, off_t hi,
		    const char *what)
{
	char msg[256];
	off_t got;
	int n;

	errno = 0;
	got = lseek(fd, off, whence);
	n = snprintf(msg, sizeof(msg), "%s: %s: %s from %lld is ", seek_label,
		     what, whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE",
		     (long long) off);
	if (lo == hi)
		n += snprintf(msg + n, sizeof(msg) - (size_t) n, "%lld",
			      (long long) lo);
	else
		n += snprintf(msg + n, sizeof(msg) - (size_t) n,
			      "in [%lld, %lld]", (long long) lo,
			      (long long) hi);
	if (got < 0)
		snprintf(msg + n, sizeof(msg) - (size_t) n, " (%s)",
			 strerror(errno));
	else if (got < lo || got > hi)
		snprintf(msg + n, sizeof(msg) - (size_t) n, " (got %lld)",
			 (long long) got);
	mnt_tap(got >= lo && got <= hi, msg);
}

static void seek_is(int fd, off_t off, int whence, off_t want, const char *what)
{
	seek_in(fd, off, whence, want, want, what);
}

static void seek_cases(const char *label)
{
	char *map;
	int fd, fd2;

	seek_label = label;
	/* the exact reproduction: a byte at 2 of a new file */
	fd = open(mp(&m, "seek1"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (pwrite(fd, "a", 1, 2) != 1)
		mnt_tap(0, "pwrite");
	seek_is(fd, 0, SEEK_DATA, 0, "1 byte at 2 of a new file, unflushed");
	seek_is(fd, 0, SEEK_HOLE, 3, "1 byte at 2 of a new file, unflushed");
	seek_is(fd, 3, SEEK_DATA, -1, "1 byte at 2 of a new file, at the end");
	close(fd);

	/* holes before and after: the size is known, the data is not */
	fd = open(mp(&m, "seek2"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (ftruncate(fd, 4 * MIB) < 0 || fsync(fd) < 0 ||
	    pwrite(fd, "data", 4, MIB) != 4)
		mnt_tap(0, "ftruncate, fsync, pwrite");
	seek_is(fd, 0, SEEK_DATA, MIB, "4 bytes at 1 MiB of a sparse file");
	seek_in(fd, MIB, SEEK_HOLE, MIB + 4, MIB + 64 * KIB,
		"4 bytes at 1 MiB of a sparse file");
	/* past the size the daemon knows: the kernel's size counts */
	if (pwrite(fd, "tail", 4, 6 * MIB) != 4)
		mnt_tap(0, "pwrite past the end");
	seek_is(fd, 2 * MIB, SEEK_DATA, 6 * MIB,
		"4 bytes at 6 MiB, past the stored size");
	seek_is(fd, 6 * MIB, SEEK_HOLE, 6 * MIB + 4,
		"4 bytes at 6 MiB, past the stored size");
	/* another open file of the same inode, read-only */
	fd2 = open(mp(&m, "seek2"), O_RDONLY);
	if (pwrite(fd, "more", 4, 3 * MIB) != 4)
		mnt_tap(0, "pwrite at 3 MiB");
	seek_is(fd2, 2 * MIB, SEEK_DATA, 3 * MIB,
		"seen from a read-only open file");
	close(fd2);
	close(fd);

	/* written through a mapping, not synced */
	fd = open(mp(&m, "seek3"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	map = MAP_FAILED;
	if (ftruncate(fd, 2 * MIB) == 0 && fsync(fd) == 0)
		map = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
	if (map == MAP_FAILED) {
		mnt_tap(0, "mmap");
		close(fd);
		return;
	}
	map[MIB + 100] = 'm';
	seek_is(fd, 0, SEEK_DATA, MIB, "a byte stored through a mapping");
	seek_in(fd, MIB, SEEK_HOLE, MIB + 101, MIB + 64 * KIB,
		"a byte stored through a mapping");
	/* the writer closed its descriptor; the mapping lives on */
	close(fd);
	map[512 * KIB] = 'n';
	fd = open(mp(&m, "seek3"), O_RDONLY);
	seek_is(fd, 0, SEEK_DATA, 512 * KIB,
		"stored through a mapping whose file was closed");
	munmap(map, 2 * MIB);
	close(fd);
}

/* --- a stop while seeks wait for writeback ------------------------------ */

/* Writes, reads and seeks path from three processes until killed. */
static void storm(const char *path)
{
	static char buf[64 * 1024];
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	long i;

	memset(buf, 'x', sizeof(buf));
	srandom((unsigned) getpid());
	if (fork() == 0) {
		for (i = 0;; i++)
			if (pwrite(fd, buf, sizeof(buf),
				   (off_t) (i % 512) * 2 *
					   (off_t) sizeof(buf)) < 0)
				_exit(0);
	}
	if (fork() == 0) {
		for (;;)
			if (pread(fd, buf, sizeof(buf), random() % (64 * MIB)) <
			    0)
				_exit(0);
	}
	for (;;)
		if (lseek(fd, random() % (64 * MIB),
			  random() % 2 ? SEEK_DATA : SEEK_HOLE) < 0 &&
		    errno != ENXIO)
			_exit(0);
}

/*
 * Aborts FUSE connection dev (a stuck daemon would never exit), through
 * the fusectl filesystem mounted in a private mount namespace.
 */
static void abort_connection(dev_t dev)
{
	char cmd[3 * sizeof(m.dir) + 256];

	snprintf(cmd, sizeof(cmd),
		 "unshare -m --propagation private sh -c 'mkdir -p %s/ctl && "
		 "mount -t fusectl none %s/ctl && echo 1 >%s/ctl/%u/abort'",
		 m.dir, m.dir, m.dir, minor(dev));
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot abort FUSE connection %u\n",
			minor(dev));
}

/*
 * SIGTERM at a random moment while seeks make the kernel write back
 * pages: the daemon must finish them and exit 0 (it waited for ever
 * when the loop stopped with a seek in the kernel).
 */
static void stop_cases(int trials)
{
	int t, i, st, stopped = 0, clean = 0;
	struct stat sb;
	pid_t pid;
	char msg[160];

	srandom((unsigned) getpid());
	for (t = 0; t < trials; t++) {
		if (mnt_mount(&m, NULL) < 0 || stat(m.path, &sb) < 0)
			break;
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			storm(mp(&m, "storm"));
			_exit(0);
		}
		usleep(100000 + (useconds_t) (random() % 800000));
		kill(m.pid, SIGTERM);
		for (i = 0; i < 1000; i++) {
			if (waitpid(m.pid, &st, WNOHANG) == m.pid)
				break;
			usleep(10000);
		}
		if (i == 1000) {
			fprintf(stderr,
				"# trial %d: the daemon did not exit in "
				"10 s after SIGTERM\n",
				t);
			abort_connection(sb.st_dev);
			waitpid(m.pid, &st, 0);
		} else {
			stopped++;
			clean += WIFEXITED(st) && WEXITSTATUS(st) == 0;
		}
		m.pid = 0;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	snprintf(msg, sizeof(msg),
		 "SIGTERM while seeks wait for writeback: the daemon exits "
		 "at once %d of %d times, with status 0 %d times",
		 stopped, trials, clean);
	mnt_tap(stopped == trials && clean == trials, msg);
}

/* --- relatime: a read after a modification moves atime ------------------ */

/* Waits (1 s at most) until the coarse clock, the kernel's, passes t. */
static void tick_after(const struct timespec *t)
{
	struct timespec now, nap = {0, 1000000};
	int i;

	for (i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		if (now.tv_sec > t->tv_sec ||
		    (now.tv_sec == t->tv_sec && now.tv_nsec > t->tv_nsec))
			return;
		nanosleep(&nap, NULL);
	}
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* The latest of path's times, to wait past before the next step. */
static void stat_times(const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	stat(path, st);
	tick_after(ts_cmp(&st->st_atim, &st->st_mtim) > 0 ? &st->st_atim
							  : &st->st_mtim);
}

static int read_all(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t) strlen(s) ? 0 : -1;
}

#define MBOXES 10

/*
 * The relatime steps in directory dir, on MBOXES files (the first step's
 * failure depends on the create and the write falling in one clock
 * tick); label names the directory in the TAP lines.
 */
static void relatime_steps(const char *dir, const char *label)
{
	static const char *const what[] = {
		"the first read after create and write moves atime, to mtime "
		"or later",
		"a second read leaves atime",
		"after a write, atime < mtime (new mail)",
		"the read after it moves atime to mtime or later",
	};
	char path[PATH_MAX], msg[256];
	int bad[4] = {0}, i, k;
	struct stat a, b;

	for (i = 0; i < MBOXES; i++) {
		snprintf(path, sizeof(path), "%s/mbox%d", dir, i);
		append(path, "From a\n");
		stat_times(path, &a);
		read_all(path);
		stat_times(path, &b);
		bad[0] += !(ts_cmp(&b.st_atim, &a.st_atim) > 0 &&
			    ts_cmp(&b.st_atim, &b.st_mtim) >= 0);

		read_all(path);
		stat_times(path, &a);
		bad[1] += ts_cmp(&a.st_atim, &b.st_atim) != 0;

		append(path, "From b\n");
		stat_times(path, &b);
		bad[2] += ts_cmp(&b.st_atim, &b.st_mtim) >= 0;

		read_all(path);
		stat_times(path, &a);
		bad[3] += !(ts_cmp(&a.st_atim, &b.st_atim) > 0 &&
			    ts_cmp(&a.st_atim, &a.st_mtim) >= 0);
	}
	for (k = 0; k < 4; k++) {
		snprintf(msg, sizeof(msg), "%s: %s (wrong for %d of %d)", label,
			 what[k], bad[k], MBOXES);
		mnt_tap(bad[k] == 0, msg);
	}
}

/* --- main --------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void) sig;
	mnt_cleanup(&m);
	_exit(1);
}

int main(int argc, char **argv)
{
	char ref[PATH_MAX];
	int seconds = 4;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atoi(argv[2]);
	if (seconds < 1) {
		fprintf(stderr, "usage: cache_test [--seconds T]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to mount\n");
		return 0;
	}
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED || mnt_init(&m, NULL) < 0) {
		printf("Bail out! setup failed\n");
		mnt_cleanup(&m);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	snprintf(ref, sizeof(ref), "%s/ref", m.dir);
	mkdir(ref, 0755);
	relatime_steps(ref, "local disk");

	if (mnt_mount(&m, NULL) < 0) {
		printf("Bail out! mount failed\n");
		mnt_cleanup(&m);
		return 1;
	}
	relatime_steps(m.path, "sqlitefs");
	seek_cases("defaults");
	direct_run("direct", seconds, "defaults");
	mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	mnt_tap(mnt_check_db(&m) == 0, "integrity_check");

	if (mnt_mount(&m, "nowriteback") == 0) {
		seek_cases("-o nowriteback");
		direct_run("direct2", seconds, "-o nowriteback");
		mnt_tap(mnt_umount(&m) == 0, "unmount: the daemon exits 0");
	} else {
		mnt_tap(0, "mount -o nowriteback");
	}
	stop_cases(8);
	if (mnt_tap_failed)
		mnt_dump_log(&m);
	mnt_cleanup(&m);
	printf("1..%d\n", mnt_tap_count);
	return mnt_tap_failed;
}
