/*
 * options.h - the command line of sqlitefs, parsed without exiting
 *
 * opts_parse() turns "sqlitefs [options] DATABASE MOUNTPOINT" into a
 * struct options and the arguments libfuse's session takes, or into a
 * one-line reason why not.  It changes nothing outside memory, so main.c
 * can report the reason and tests/fuzz_opts.c can call it on any input.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

/*
 * The defaults of the -o options with a value: the one place they are
 * written.  The help prints them; tests/cli_test.sh checks that the manual
 * page and the README say the same.
 */
#define OPTS_COMMIT_DEFAULT 5	   /* seconds between commits */
#define OPTS_CACHE_DEFAULT 16	   /* MiB of database pages */
#define OPTS_SPIN_DEFAULT 100	   /* microseconds of polling /dev/fuse */
#define OPTS_MMAP_DEFAULT 0	   /* MiB of the database file mapped */
#define OPTS_TIMEOUT_DEFAULT 86400 /* seconds the kernel caches names */

/* The largest values accepted. */
#define OPTS_CACHE_MAX (1 << 20) /* MiB: 1 TiB */
#define OPTS_SPIN_MAX 1000000	 /* microseconds: one second */
#define OPTS_MMAP_MAX (1 << 20)	 /* MiB: 1 TiB (SQLite's build caps it) */

struct options {
	char *database;		/* first non-option argument, made absolute */
	char *mountpoint;	/* second, as given */
	unsigned commit;	/* -o commit=SECONDS */
	unsigned cache;		/* -o cache=MIB */
	unsigned spin;		/* -o spin=MICROSECONDS */
	unsigned mmap;		/* -o mmap=MIB */
	unsigned bdi_max_ratio; /* -o bdi_max_ratio=PERCENT, 0: the kernel's */
	double timeout;		/* -o timeout=SECONDS */
	int noatime;		/* -o noatime */
	int strictatime;	/* -o strictatime */
	int ro;			/* -o ro */
	int nowriteback;	/* -o nowriteback */
	int noacl;		/* -o noacl (-o acl: the default) */
	int bad_mountpoint;
	struct fuse_cmdline_opts cmdline; /* libfuse's: -f, -d, -s, -h... */
};

/* What the command line asks for, when it is valid. */
enum opts_action { OPTS_MOUNT, OPTS_HELP, OPTS_VERSION };

/*
 * Parses the command line in args into o (which it initialises) and
 * leaves in args what fuse_session_new() takes, with fsname=, subtype=
 * and default_permissions added.  Returns an enum opts_action, or -1 with
 * a one-line reason in err (no "sqlitefs: " prefix, no newline).  Looks at
 * the filesystem only to stat the mountpoint and resolve both paths.
 * libfuse's complaints while parsing go to the current log function;
 * those of its session check are made into the reason, after which the
 * log function is set to log.  Whatever it returns, the caller releases
 * o with opts_free() and args with fuse_opt_free_args().
 */
int opts_parse(struct fuse_args *args, struct options *o, fuse_log_func_t log,
	       char *err, size_t errsz);

struct fs_config;

/*
 * Fills cfg (fs_ops.h) with what the options of a mount that opts_parse()
 * accepted ask of the filesystem.
 */
void opts_fs_config(const struct options *o, struct fs_config *cfg);

/* Frees what opts_parse() allocated in o. */
void opts_free(struct options *o);

#endif
