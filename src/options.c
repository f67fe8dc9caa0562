/*
 * options.c - the command line of sqlitefs, parsed without exiting
 *
 * Our -o options go into struct options; fstab-only ones (mount(8)'s and
 * systemd's) and standard ones that mean nothing here (nodiratime...) are
 * dropped; everything else is left for libfuse, which
 * refuses what it does not know when a session is made with it here,
 * before anything is mounted or opened.  Every refusal is a one-line
 * reason for the caller to print; nothing here prints or exits.
 */
#include "options.h"

#include "fs_ops.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
	KEY_NOATIME,
	KEY_STRICTATIME,
	KEY_RELATIME,
	KEY_RO,
	KEY_RW,
	KEY_ACL,
	KEY_NOACL,
};

#define OPT(t, p)                                                              \
	{                                                                      \
		t, offsetof(struct options, p), 1                              \
	}
static const struct fuse_opt opt_spec[] = {
	OPT("commit=%u", commit),
	OPT("cache=%u", cache),
	OPT("spin=%u", spin),
	OPT("mmap=%u", mmap),
	OPT("bdi_max_ratio=%u", bdi_max_ratio),
	OPT("timeout=%lf", timeout),
	OPT("nowriteback", nowriteback),
	FUSE_OPT_KEY("noatime", KEY_NOATIME),
	FUSE_OPT_KEY("strictatime", KEY_STRICTATIME),
	FUSE_OPT_KEY("relatime", KEY_RELATIME),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("rw", KEY_RW),
	FUSE_OPT_KEY("acl", KEY_ACL),
	FUSE_OPT_KEY("noacl", KEY_NOACL),
	FUSE_OPT_END,
};

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Whether s begins with prefix. */
static int has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Whether -o arg is meant for mount(8) or systemd, not for the filesystem:
 * fstab lines carry them and mount.fuse3 passes some on.
 */
static int fstab_only(const char *arg)
{
	static const char *const words[] = {
		"defaults", "auto",  "noauto", "user",	  "users",
		"nouser",   "owner", "group",  "_netdev", "nofail",
	};
	size_t i;

	if (has_prefix(arg, "x-") || has_prefix(arg, "comment="))
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(arg, words[i]))
			return 1;
	return 0;
}

/*
 * Whether -o arg is a standard mount option (of ext4's, say) that means
 * nothing here, so an fstab line copied from another filesystem mounts:
 *  - nodiratime, diratime: reading a directory never updates its atime
 *    (listings are cached by the kernel and never reach the daemon), as
 *    if nodiratime were always given;
 *  - lazytime, nolazytime: times are stored with the rest of the batch
 *    (-o commit), never on their own;
 *  - nomand: there are no mandatory locks (Linux removed them);
 *  - iversion, noiversion: FUSE keeps no change counter for NFS.
 */
static int no_meaning(const char *arg)
{
	static const char *const words[] = {
		"nodiratime", "diratime", "lazytime",	"nolazytime",
		"nomand",     "iversion", "noiversion",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(arg, words[i]))
			return 1;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct options *o = data;
	struct stat st;

	(void) outargs;
	switch (key) {
	case FUSE_OPT_KEY_OPT:
		return !fstab_only(arg) && !no_meaning(arg);
	case FUSE_OPT_KEY_NONOPT:
		if (!o->database) {
			o->database = strdup(arg);
			return o->database ? 0 : -1;
		}
		if (!o->mountpoint) {
			o->mountpoint = strdup(arg);
			if (!o->mountpoint)
				return -1;
			if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
				o->bad_mountpoint = 1;
		}
		return 1;
	case KEY_NOATIME:
		o->noatime = 1;
		o->strictatime = 0;
		return 1;
	case KEY_STRICTATIME:
		o->strictatime = 1;
		o->noatime = 0;
		return 0;
	case KEY_RELATIME:
		o->strictatime = 0;
		o->noatime = 0;
		return 0;
	case KEY_RO:
		o->ro = 1;
		return 1;
	case KEY_RW:
		o->ro = 0;
		return 1;
	case KEY_ACL:
		o->noacl = 0;
		return 0;
	case KEY_NOACL:
		o->noacl = 1;
		return 0;
	}
	return 1;
}

static char option_error[256]; /* what libfuse said of the options */

/* Collects libfuse's complaint (it may come in pieces) on one line. */
static void log_capture(enum fuse_log_level level, const char *fmt, va_list ap)
{
	size_t len = strlen(option_error);

	(void) level;
	vsnprintf(option_error + len, sizeof(option_error) - len, fmt, ap);
	for (; option_error[len]; len++)
		if (option_error[len] == '\n')
			option_error[len] = ' ';
}

/*
 * Lets libfuse refuse what it does not know now, before the database is
 * even opened: a session is made with the options and thrown away.
 */
static int check_options(const struct fuse_args *args, fuse_log_func_t log,
			 char *err, size_t errsz)
{
	static const struct fuse_lowlevel_ops none;
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	char *msg = option_error;
	int i;

	/* on a copy: fuse_session_new() takes the options out of args */
	for (i = 0; i < args->argc; i++) {
		if (fuse_opt_add_arg(&copy, args->argv[i]) < 0) {
			fuse_opt_free_args(&copy);
			set_err(err, errsz, "out of memory");
			return -1;
		}
	}
	option_error[0] = '\0';
	fuse_set_log_func(log_capture);
	se = fuse_session_new(&copy, &none, sizeof(none), NULL);
	fuse_set_log_func(log);
	fuse_opt_free_args(&copy);
	if (se) {
		fuse_session_destroy(se);
		return 0;
	}
	if (has_prefix(msg, "fuse: "))
		msg += strlen("fuse: ");
	while (*msg && msg[strlen(msg) - 1] == ' ')
		msg[strlen(msg) - 1] = '\0';
	set_err(err, errsz, "%s (see sqlitefs --help)",
		*msg ? msg : "bad options");
	return -1;
}

/*
 * Takes out the "--" that ends the options (both names are taken by
 * now): libfuse would read the options added after it as names.
 */
static void drop_end_of_options(struct fuse_args *args)
{
	int i, j;

	for (i = j = 1; i < args->argc; i++) {
		if (!strcmp(args->argv[i], "--"))
			free(args->argv[i]);
		else
			args->argv[j++] = args->argv[i];
	}
	args->argc = j;
	args->argv[j] = NULL;
}

/*
 * Adds the options every mount gets: fsname= shows the database in
 * mount(8) and df(1), subtype= the type fuse.sqlitefs, and
 * default_permissions; commas and backslashes in the path are escaped for
 * the -o parser.  0, or -1 when out of memory.
 */
static int add_mount_options(struct fuse_args *args, const char *database)
{
	char *fsname = NULL, *opt = NULL;
	int rc = -1;

	if (asprintf(&opt, "fsname=%s", database) < 0) {
		opt = NULL;
		goto out_free;
	}
	if (fuse_opt_add_opt_escaped(&fsname, opt) < 0 ||
	    fuse_opt_add_opt(&fsname, "default_permissions") < 0 ||
	    fuse_opt_add_opt(&fsname, "subtype=sqlitefs") < 0 ||
	    fuse_opt_add_arg(args, "-o") < 0 ||
	    fuse_opt_add_arg(args, fsname) < 0)
		goto out_free;
	rc = 0;
out_free:
	free(opt);
	free(fsname);
	return rc;
}

int opts_parse(struct fuse_args *args, struct options *o, fuse_log_func_t log,
	       char *err, size_t errsz)
{
	char *real;

	memset(o, 0, sizeof(*o));
	o->timeout = OPTS_TIMEOUT_DEFAULT;
	o->spin = OPTS_SPIN_DEFAULT;
	o->mmap = OPTS_MMAP_DEFAULT;
	if (fuse_opt_parse(args, o, opt_spec, opt_proc) < 0) {
		set_err(err, errsz, "bad options (see --help)");
		return -1;
	}
	if (o->bad_mountpoint) {
		set_err(err, errsz, "%s: mountpoint is not a directory",
			o->mountpoint);
		return -1;
	}
	if (fuse_parse_cmdline(args, &o->cmdline) != 0) {
		set_err(err, errsz, "bad options (see --help)");
		return -1;
	}
	if (o->cmdline.show_help)
		return OPTS_HELP;
	if (o->cmdline.show_version)
		return OPTS_VERSION;
	if (!o->database || !o->mountpoint) {
		set_err(err, errsz,
			"usage: sqlitefs [options] DATABASE MOUNTPOINT");
		return -1;
	}
	if (o->commit == 0)
		o->commit = OPTS_COMMIT_DEFAULT;
	if (o->cache == 0)
		o->cache = OPTS_CACHE_DEFAULT;
	if (o->cache > OPTS_CACHE_MAX) {
		set_err(err, errsz, "cache=%u: at most %u MiB", o->cache,
			(unsigned) OPTS_CACHE_MAX);
		return -1;
	}
	if (o->spin > OPTS_SPIN_MAX) {
		set_err(err, errsz, "spin=%u: at most %d microseconds", o->spin,
			OPTS_SPIN_MAX);
		return -1;
	}
	if (o->mmap > OPTS_MMAP_MAX) {
		set_err(err, errsz, "mmap=%u: at most %u MiB", o->mmap,
			(unsigned) OPTS_MMAP_MAX);
		return -1;
	}
	if (o->bdi_max_ratio > 100) {
		set_err(err, errsz, "bdi_max_ratio=%u: at most 100 percent",
			o->bdi_max_ratio);
		return -1;
	}
	if (isnan(o->timeout)) { /* libfuse's timeouts would be undefined */
		set_err(err, errsz, "timeout=%g: not a number", o->timeout);
		return -1;
	}
	if (o->timeout < 0) {
		set_err(err, errsz, "timeout=%g: must not be negative",
			o->timeout);
		return -1;
	}

	real = realpath(o->database, NULL);
	if (real) {
		free(o->database);
		o->database = real;
	}
	drop_end_of_options(args);
	if (add_mount_options(args, o->database) < 0) {
		set_err(err, errsz, "out of memory");
		return -1;
	}
	if (check_options(args, log, err, errsz) < 0)
		return -1;
	return OPTS_MOUNT;
}

void opts_fs_config(const struct options *o, struct fs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = o->timeout;
	cfg->atime = o->noatime	      ? DB_ATIME_NOATIME
		     : o->strictatime ? DB_ATIME_STRICT
				      : DB_ATIME_RELATIME;
	cfg->commit_interval = o->commit;
	cfg->readonly = o->ro;
	cfg->writeback = !o->nowriteback;
	cfg->acl = !o->noacl;
	cfg->spin_us = o->spin;
	cfg->mmap_mib = o->mmap;
	cfg->mountpoint = o->cmdline.mountpoint;
}

void opts_free(struct options *o)
{
	free(o->database);
	free(o->mountpoint);
	free(o->cmdline.mountpoint);
	o->database = o->mountpoint = o->cmdline.mountpoint = NULL;
}
