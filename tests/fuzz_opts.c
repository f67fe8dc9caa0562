/*
 * fuzz_opts.c - any command line, parsed as the daemon parses it: no
 * crash, no leak, no undefined behaviour, and only usable results
 *
 * An input is the arguments after "sqlitefs", separated by NUL bytes (at
 * most MAX_ARGS of them).  LLVMFuzzerTestOneInput() hands them to
 * opts_parse() as main() does, then checks what came back: a refusal has
 * a reason; an accepted command line has both paths, values in their
 * ranges (commit and cache set, spin at most a second, the mapping at
 * most 1 TiB, the dirty share a percentage, timeout a number of seconds
 * >= 0), a configuration that fs_ops.c can serve with, and
 * arguments that libfuse takes for a session, as serve() will give them
 * to it.  Parsing looks at the filesystem only to stat and resolve the
 * paths it is given; the seeds name / and /tmp.
 *
 * With FUZZING_ENGINE defined this is a libFuzzer target; otherwise
 * fuzz_driver.c's main() runs it on mutations of seed command lines made
 * of real options, values and fstab words.
 */
#include "fuzz_driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_ops.h"
#include "options.h"

#define MAX_ARGS 64

enum { STAT_REFUSED, STAT_MOUNT, STAT_HELP };

/* Reports an accepted command line that the daemon could not use. */
static void bad(const char *what, char **argv, int argc)
{
	int i;

	fprintf(stderr, "fuzz_opts: accepted, but %s:", what);
	for (i = 0; i < argc; i++)
		fprintf(stderr, " '%s'", argv[i]);
	fputc('\n', stderr);
	abort();
}

/* What main() does next with an accepted command line, checked. */
static void check_accepted(const struct options *o, struct fuse_args *args,
			   char **argv, int argc)
{
	static const struct fuse_lowlevel_ops none;
	struct fuse_session *se;
	struct fs_config cfg;

	if (!o->database || !o->mountpoint || !o->cmdline.mountpoint)
		bad("a path is missing", argv, argc);
	if (o->commit == 0 || o->cache == 0 || o->cache > 1 << 20 ||
	    o->spin > 1000000 || o->mmap > 1 << 20 || o->bdi_max_ratio > 100)
		bad("commit, cache, spin, mmap or bdi_max_ratio out of range",
		    argv, argc);
	if (!(o->timeout >= 0))
		bad("the timeout is not a number of seconds", argv, argc);
	opts_fs_config(o, &cfg);
	if (cfg.commit_interval == 0 || cfg.readonly != o->ro ||
	    !(cfg.timeout >= 0))
		bad("a configuration fs_ops.c cannot serve with", argv, argc);
	if (o->ro && fuse_opt_add_arg(args, "-oro") < 0)
		abort();
	se = fuse_session_new(args, &none, sizeof(none), NULL);
	if (!se)
		bad("libfuse refuses the session", argv, argc);
	fuse_session_destroy(se);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char prog[] = "sqlitefs";
	char *argv[MAX_ARGS + 2], *copy, *p, err[512];
	struct fuse_args args;
	struct options o;
	int argc = 0, rc;

	fuse_set_log_func(fuzz_log_quiet);
	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = prog;
	for (p = copy; p < copy + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	if (size && p == copy + size && argc <= MAX_ARGS)
		argv[argc++] = p; /* a trailing NUL: an empty last argument */
	argv[argc] = NULL;

	args = (struct fuse_args) FUSE_ARGS_INIT(argc, argv);
	err[0] = '\0';
	rc = opts_parse(&args, &o, fuzz_log_quiet, err, sizeof(err));
	if (rc < 0) {
		fuzz_count(STAT_REFUSED, 1);
		if (!err[0])
			bad("no reason given for a refusal", argv, argc);
	} else if (rc == OPTS_MOUNT) {
		fuzz_count(STAT_MOUNT, 1);
		check_accepted(&o, &args, argv, argc);
	} else if (rc == OPTS_HELP || rc == OPTS_VERSION) {
		fuzz_count(STAT_HELP, 1);
	} else {
		bad("an unknown result", argv, argc);
	}
	opts_free(&o);
	fuse_opt_free_args(&args);
	free(copy);
	return 0;
}

#ifndef FUZZING_ENGINE
const char *const fuzz_stat_names[] = {
	"refused",
	"accepted",
	"help or version",
	NULL,
};

#define SEED(s)                                                                \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

int fuzz_make_seeds(void)
{
	static const struct {
		const char *s;
		size_t n;
	} seeds[] = {
		SEED("-o\0ro,noatime,commit=5,cache=64,spin=0,mmap=64,"
		     "bdi_max_ratio=20,timeout=1.5,allow_other,"
		     "default_permissions,fsname=x,subtype=y,nowriteback\0"
		     "/var/fs.db\0/tmp"),
		SEED("-f\0-d\0-s\0fs.db\0/"),
		SEED("-o\0nofail,_netdev,x-systemd.automount,defaults,auto,"
		     "comment=x\0data.db\0/tmp"),
		SEED("-o\0rw,strictatime,relatime,max_read=65536\0-o\0clone_fd\0"
		     "/tmp/a\\,b.db\0/tmp"),
		SEED("-ocommit=0,cache=1048576,timeout=0\0x\0/"),
		SEED("--help"),
		SEED("-V"),
		SEED("fs.db"),
	};
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(name, sizeof(name), "cmdline-%zu", i + 1);
		if (fuzz_add_seed(name, seeds[i].s, seeds[i].n) < 0)
			return -1;
	}
	return 0;
}

/* Words the parsers know, and values that test their edges. */
static const char *const words[] = {
	"-o",
	"-f",
	"-d",
	"-s",
	"-h",
	"-V",
	"--help",
	"--version",
	"-oro",
	"--",
	"-",
	"",
	"/",
	"/tmp",
	"fs.db",
	"ro",
	"rw",
	"noatime",
	"strictatime",
	"relatime",
	"nodiratime",
	"lazytime",
	"nomand",
	"iversion",
	"commit=",
	"cache=",
	"spin=",
	"mmap=",
	"bdi_max_ratio=",
	"timeout=",
	"allow_other",
	"allow_root",
	"default_permissions",
	"fsname=",
	"subtype=",
	"nowriteback",
	"nofail",
	"_netdev",
	"x-systemd.automount",
	"comment=",
	"defaults",
	"noauto",
	"user",
	"max_read=",
	"clone_fd",
	"max_idle_threads=",
	"auto_unmount",
	"blkdev",
	"debug",
	"max_threads=",
	"0",
	"1",
	"-1",
	"1.5",
	"4294967295",
	"4294967296",
	"99999999999999999999",
	"1e309",
	"-1e309",
	"nan",
	"inf",
	"-0",
	"0x10",
	"1048577",
	",",
	"\\,",
	"\\",
	"=",
};

/* Inserts n bytes of s at p in buf (size used, cap room); the new size. */
static size_t insert(uint8_t *buf, size_t size, size_t cap, size_t p,
		     const char *s, size_t n)
{
	if (size + n > cap || p > size)
		return size;
	memmove(buf + p + n, buf + p, size - p);
	memcpy(buf + p, s, n);
	return size + n;
}

/* An offset just after a NUL, a comma or an '=', or 0. */
static size_t boundary(const uint8_t *buf, size_t size, struct fuzz_rng *rng)
{
	size_t p = (size_t) fuzz_below(rng, size + 1);

	while (p > 0 && buf[p - 1] != '\0' && buf[p - 1] != ',' &&
	       buf[p - 1] != '=')
		p--;
	return p;
}

size_t fuzz_mutate(uint8_t *buf, size_t size, size_t cap, struct fuzz_rng *rng)
{
	size_t n = 1 + fuzz_below(rng, 4), i, p, len;
	char piece[256];
	const char *w;

	if (cap > 4096)
		cap = 4096;
	for (i = 0; i < n; i++) {
		switch (fuzz_below(rng, 6)) {
		case 0: /* a word where an argument or an option starts */
		case 1:
			w = words[fuzz_below(rng,
					     sizeof(words) / sizeof(*words))];
			size = insert(buf, size, cap, boundary(buf, size, rng),
				      w, strlen(w));
			break;
		case 2: /* a separator */
			size = insert(buf, size, cap,
				      (size_t) fuzz_below(rng, size + 1),
				      fuzz_below(rng, 2) ? "," : "", 1);
			break;
		case 3: /* a piece cut out */
			if (!size)
				break;
			p = (size_t) fuzz_below(rng, size);
			len = 1 + (size_t) fuzz_below(rng, size - p);
			memmove(buf + p, buf + p + len, size - p - len);
			size -= len;
			break;
		case 4: /* a byte changed */
			if (size)
				buf[fuzz_below(rng, size)] =
					(uint8_t) fuzz_rand(rng);
			break;
		default: /* a piece repeated */
			if (!size)
				break;
			p = (size_t) fuzz_below(rng, size);
			len = 1 + (size_t) fuzz_below(rng, size - p);
			if (len > sizeof(piece))
				len = sizeof(piece);
			memcpy(piece, buf + p, len);
			size = insert(buf, size, cap, p, piece, len);
			break;
		}
	}
	return size;
}
#endif
