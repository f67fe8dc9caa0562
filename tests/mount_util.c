/*
 * mount_util.c - mount a fresh sqlitefs for a test, for real
 */
#include "mount_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* Runs cmd through sh -c; returns its exit status, -1 if it did not exit. */
static int run_shell(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int mnt_init(struct mnt *m, const char *mkfs_args)
{
	char cmd[3 * PATH_MAX];
	const char *tmp = env_or("TMPDIR", "/tmp");

	memset(m, 0, sizeof(*m));
	snprintf(m->dir, sizeof(m->dir), "%s/sqlitefs-test.XXXXXX", tmp);
	if (!mkdtemp(m->dir)) {
		perror("mkdtemp");
		return -1;
	}
	chmod(m->dir, 0755);
	snprintf(m->db, sizeof(m->db), "%s/fs.db", m->dir);
	snprintf(m->path, sizeof(m->path), "%s/mnt", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/daemon.log", m->dir);
	if (mkdir(m->path, 0755) < 0) {
		perror("mkdir");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s %s '%s' >/dev/null",
		 env_or("MKFS", "scripts/mkfs.sh"), mkfs_args ? mkfs_args : "",
		 m->db);
	if (run_shell(cmd) != 0) {
		fprintf(stderr, "mount_util: mkfs failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

int mnt_mount(struct mnt *m, const char *opts)
{
	struct stat before, now;
	const char *bin = env_or("SQLITEFS", "build/src/sqlitefs");
	pid_t pid;
	int i, st;

	if (stat(m->path, &before) < 0) {
		perror(m->path);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* a test that dies (abort, sanitizer) takes its mount along */
		prctl(PR_SET_PDEATHSIG, SIGTERM);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (opts && *opts)
			execl(bin, bin, "-f", "-o", opts, m->db, m->path,
			      (char *) NULL);
		else
			execl(bin, bin, "-f", m->db, m->path, (char *) NULL);
		perror(bin);
		_exit(127);
	}
	m->pid = pid;
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr,
				"mount_util: daemon exited early (%d)\n",
				WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			m->pid = 0;
			mnt_dump_log(m);
			return -1;
		}
		if (stat(m->path, &now) == 0 && now.st_dev != before.st_dev)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "mount_util: %s did not mount\n", m->path);
	mnt_dump_log(m);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	m->pid = 0;
	return -1;
}

/*
 * Prints where each thread of a daemon that hangs waits (the kernel's
 * stacks, root only), and whether a mount namespace still holds a copy
 * of its mount (a copy keeps the connection open after the unmount).
 */
static void dump_stacks(pid_t pid)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "for t in /proc/%d/task/*; do echo \"# thread $t:\"; "
		 "sed 's/^/#   /' $t/stack 2>/dev/null; done >&2; "
		 "for n in /proc/[0-9]*/ns/mnt; do readlink $n; done | "
		 "sort | uniq -c | sed 's/^/# mount namespace: /' >&2",
		 (int) pid);
	if (run_shell(cmd) != 0)
		fprintf(stderr, "# cannot read the daemon's stacks\n");
}

int mnt_umount(struct mnt *m)
{
	char cmd[PATH_MAX + 64];
	int i, st = 0, rc;

	if (!m->pid)
		return -1;
	snprintf(cmd, sizeof(cmd), "fusermount3 -u '%s'", m->path);
	for (i = 0; i < 50; i++) {
		if (run_shell(cmd) == 0)
			break;
		usleep(100000); /* busy: a test process may still hold a file */
	}
	if (i == 50) {
		fprintf(stderr, "mount_util: cannot unmount %s\n", m->path);
		mnt_kill(m, SIGKILL);
		return -1;
	}
	for (i = 0; i < 3000; i++) {
		rc = waitpid(m->pid, &st, WNOHANG);
		if (rc == m->pid)
			break;
		usleep(10000);
	}
	if (rc != m->pid) {
		fprintf(stderr,
			"mount_util: daemon did not exit after unmount\n");
		dump_stacks(m->pid);
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &st, 0);
		m->pid = 0;
		mnt_dump_log(m);
		return -1;
	}
	m->pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "mount_util: daemon exited with status %d\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		mnt_dump_log(m);
		return -1;
	}
	return 0;
}

int mnt_stop(struct mnt *m, int sig)
{
	int i, st;

	if (!m->pid)
		return -1;
	kill(m->pid, sig);
	for (i = 0; i < 1000; i++) {
		if (waitpid(m->pid, &st, WNOHANG) == m->pid) {
			m->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	fprintf(stderr, "mount_util: daemon ignored signal %d\n", sig);
	mnt_kill(m, SIGKILL);
	return -1;
}

int mnt_kill(struct mnt *m, int sig)
{
	char cmd[PATH_MAX + 64];
	int st;

	if (!m->pid)
		return -1;
	kill(m->pid, sig);
	waitpid(m->pid, &st, 0);
	m->pid = 0;
	snprintf(cmd, sizeof(cmd), "fusermount3 -u -z '%s' 2>/dev/null",
		 m->path);
	run_shell(cmd);
	return 0;
}

int mnt_sql(struct mnt *m, const char *sql, char *out, size_t outsz)
{
	char cmd[2 * PATH_MAX + 4096];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "sqlite3 -batch '%s' \"%s\"", m->db, sql);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outsz) {
		if (!fgets(out, (int) outsz, p))
			out[0] = '\0';
		n = strlen(out);
		if (n && out[n - 1] == '\n')
			out[n - 1] = '\0';
	}
	while (fgetc(p) != EOF)
		;
	return pclose(p) == 0 ? 0 : -1;
}

int mnt_check_db(struct mnt *m)
{
	char out[4096];

	if (mnt_sql(m, "PRAGMA integrity_check", out, sizeof(out)) < 0 ||
	    strcmp(out, "ok") != 0) {
		fprintf(stderr, "mount_util: integrity_check: %s\n", out);
		return -1;
	}
	if (mnt_sql(m, "PRAGMA foreign_key_check", out, sizeof(out)) < 0 ||
	    out[0] != '\0') {
		fprintf(stderr, "mount_util: foreign_key_check: %s\n", out);
		return -1;
	}
	return 0;
}

void mnt_dump_log(struct mnt *m)
{
	char buf[4096];
	FILE *f = fopen(m->log, "r");
	size_t n;

	if (!f)
		return;
	fprintf(stderr, "---- daemon log (%s) ----\n", m->log);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of daemon log ----\n");
	fclose(f);
}

void mnt_cleanup(struct mnt *m)
{
	char cmd[PATH_MAX + 64];

	if (m->pid && mnt_umount(m) < 0)
		mnt_kill(m, SIGKILL);
	if (m->dir[0] && !getenv("KEEP_TEST_DIR")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
		run_shell(cmd);
	}
}

const char *mp(struct mnt *m, const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 8];

	if (snprintf(b, PATH_MAX, "%s/%s", m->path, rel) >= PATH_MAX)
		abort(); /* a test's path is never that long */
	return b;
}

int mnt_tap_failed, mnt_tap_count;

void mnt_tap(int ok, const char *what)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++mnt_tap_count, what);
	fflush(stdout);
	if (!ok)
		mnt_tap_failed = 1;
}
