/*
 * signal_test.c - SIGTERM, SIGINT and SIGHUP stop the daemon at any moment
 *
 * A terminating signal is a clean stop: the daemon commits, unmounts and
 * exits 0.  A signal that arrives while the daemon polls /dev/fuse between
 * quick requests (-o spin), or just before it goes to sleep, must not be
 * lost until the next request.  Each trial mounts the same database,
 * writes and closes a file t<N> (no fsync), then sends a signal at one of
 * these moments:
 *  - burst: right after a burst of statfs(2) calls, each of which reaches
 *    the daemon, so it is polling for the next one;
 *  - edge: the same, a random 20-300 us later, around the end of the poll;
 *  - idle: a random 1-10 ms after the last request, the daemon asleep;
 *  - load: while three other processes keep sending requests (the daemon
 *    may never find /dev/fuse empty);
 *  - sleep: after a burst, mounted with -o spin=0 (the daemon never polls).
 * Every trial requires: exit status 0 within 1 second of the signal, the
 * mountpoint back on its own filesystem, and t<N> stored in the database.
 *
 * Usage: signal_test [--trials N] (default 200).  Prints TAP, one line per
 * moment.  Environment: SQLITEFS, MKFS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_MS 1000 /* the daemon must be gone this soon after a signal */
#define BURST 300    /* statfs calls in a burst */
#define NLOAD 3	     /* processes sending requests in the load case */

enum moment { BURST_NOW, EDGE, IDLE, LOAD, SLEEP, NMOMENT };

static const char *const moment_name[NMOMENT] = {
	"right after a burst of requests (polling)",
	"20-300 us after a burst (end of the poll)",
	"idle, 1-10 ms after the last request",
	"while three processes send requests",
	"right after a burst, with -o spin=0",
};

static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};

static struct mnt m;
static dev_t base_dev;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void burst(int n)
{
	struct statfs sv;
	int i;

	for (i = 0; i < n; i++)
		statfs(m.path, &sv);
}

/*
 * Lets the daemon run, then returns: a busy wait here would keep the
 * daemon off a shared CPU until the signal, which then comes before it
 * polls.  ns 0: at once (sched_yield).
 */
static void pause_ns(long ns)
{
	struct timespec ts = {0, ns};

	if (ns)
		nanosleep(&ts, NULL);
	else
		sched_yield();
}

/* NLOAD processes that send requests until killed, in pids. */
static void start_load(pid_t *pids)
{
	int i;

	for (i = 0; i < NLOAD; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			for (;;)
				burst(1000);
		}
	}
}

/*
 * Waits up to ms for the daemon to exit.  Returns its exit status (128 +
 * signal if killed), or -1 if it is still running.
 */
static int wait_exit(int ms)
{
	int fd = (int) syscall(SYS_pidfd_open, m.pid, 0);
	int64_t end = mono_ns() + (int64_t) ms * 1000000;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int st, left;

	while (fd >= 0 && (left = (int) ((end - mono_ns()) / 1000000)) > 0)
		if (poll(&p, 1, left) == 1)
			break;
	if (fd >= 0)
		close(fd);
	if (waitpid(m.pid, &st, fd >= 0 ? WNOHANG : 0) != m.pid)
		return -1;
	m.pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int mounted(void)
{
	struct stat st;

	return stat(m.path, &st) < 0 || st.st_dev != base_dev;
}

/* Writes and closes t<trial>; the kernel hands its data to the daemon. */
static int write_file(int trial)
{
	char name[32], data[64];
	int fd, len;

	snprintf(name, sizeof(name), "t%d", trial);
	len = snprintf(data, sizeof(data), "trial %d\n", trial);
	fd = open(mp(&m, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, data, (size_t) len) != len) {
		close(fd);
		return -1;
	}
	return close(fd) == 0 ? len : -1;
}

/* One trial; returns 0, or -1 with the reason on stderr. */
static int trial(int n, enum moment when, unsigned *seed)
{
	int sig = sigs[n % 3], len, status;
	char sql[128], out[64], want[16];
	pid_t load[NLOAD] = {0};
	int i;

	if (mnt_mount(&m, when == SLEEP ? "spin=0" : NULL) < 0)
		return -1;
	len = write_file(n);
	if (len < 0) {
		fprintf(stderr, "# trial %d: write t%d: %s\n", n, n,
			strerror(errno));
		mnt_kill(&m, SIGKILL);
		return -1;
	}
	switch (when) {
	case BURST_NOW:
	case SLEEP:
		burst(BURST);
		pause_ns(0);
		break;
	case EDGE:
		burst(BURST);
		pause_ns(20000 + (long) (rand_r(seed) % 280) * 1000);
		break;
	case IDLE:
		burst(BURST);
		pause_ns(1000000 + (long) (rand_r(seed) % 9000) * 1000);
		break;
	case LOAD:
		start_load(load);
		burst(BURST); /* the load processes are running by now */
		break;
	case NMOMENT:
		break;
	}
	kill(m.pid, sig);
	status = wait_exit(EXIT_MS);
	for (i = 0; i < NLOAD; i++) {
		if (load[i] > 0) {
			kill(load[i], SIGKILL);
			waitpid(load[i], NULL, 0);
		}
	}
	if (status < 0) {
		fprintf(stderr,
			"# trial %d (%s): daemon still running %d ms after "
			"signal %d\n",
			n, moment_name[when], EXIT_MS, sig);
		/* a request wakes a daemon that lost the signal */
		burst(1);
		status = wait_exit(10000);
		fprintf(stderr, "# trial %d: after one more request: %s\n", n,
			status < 0 ? "still running" : "exited");
		if (status < 0)
			mnt_kill(&m, SIGKILL);
		return -1;
	}
	if (status != 0) {
		fprintf(stderr, "# trial %d: daemon exited with status %d\n", n,
			status);
		mnt_dump_log(&m);
		return -1;
	}
	if (mounted()) {
		fprintf(stderr, "# trial %d: still mounted after exit\n", n);
		return -1;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT i.size FROM dentry d JOIN inode i ON i.ino = d.ino "
		 "WHERE d.parent = 1 AND d.name = 't%d'",
		 n);
	snprintf(want, sizeof(want), "%d", len);
	if (mnt_sql(&m, sql, out, sizeof(out)) < 0 || strcmp(out, want)) {
		fprintf(stderr, "# trial %d: t%d not stored (size '%s')\n", n,
			n, out);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int trials = 200, failed[NMOMENT] = {0}, run[NMOMENT] = {0};
	unsigned seed = (unsigned) time(NULL);
	char what[160];
	struct stat st;
	int i, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_TIMERSLACK, 1); /* sleeps of microseconds, not 50 */
	if (argc == 3 && !strcmp(argv[1], "--trials"))
		trials = atoi(argv[2]);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (mounts)\n");
		return 0;
	}
	if (mnt_init(&m, NULL) < 0 || stat(m.path, &st) < 0) {
		printf("Bail out! mkfs failed\n");
		mnt_cleanup(&m);
		return 1;
	}
	base_dev = st.st_dev;
	printf("# seed %u\n", seed);
	for (n = 0; n < trials; n++) {
		i = n % NMOMENT;
		run[i]++;
		if (trial(n, (enum moment) i, &seed) < 0)
			failed[i]++;
	}
	printf("1..%d\n", NMOMENT + 1);
	for (i = 0; i < NMOMENT; i++) {
		snprintf(what, sizeof(what),
			 "%s: %d of %d trials exited 0 within %d ms, "
			 "unmounted, data stored",
			 moment_name[i], run[i] - failed[i], run[i], EXIT_MS);
		mnt_tap(!failed[i], what);
	}
	mnt_tap(mnt_check_db(&m) == 0, "integrity of the database at the end");
	mnt_cleanup(&m);
	return mnt_tap_failed;
}
