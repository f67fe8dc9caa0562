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

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

struct options {
	char *database;	  /* first non-option argument, made absolute */
	char *mountpoint; /* second, as given */
	unsigned commit;  /* -o commit=SECONDS, 5 by default */
	unsigned cache;	  /* -o cache=MIB, 16 by default */
	unsigned spin;	  /* -o spin=MICROSECONDS, 100 by default */
	double timeout;	  /* -o timeout=SECONDS, 86400 by default */
	int noatime;	  /* -o noatime */
	int strictatime;  /* -o strictatime */
	int ro;		  /* -o ro */
	int nowriteback;  /* -o nowriteback */
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

/* Frees what opts_parse() allocated in o. */
void opts_free(struct options *o);

#endif
