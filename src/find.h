/*
 * find.h - the expressions of sqlitefs-find: parsing, evaluation, and the
 * index hints a query can be answered from
 *
 * The language is find(1)'s, with the same meaning wherever the two
 * overlap (man/sqlitefs-find.8): tests (-name, -size, -perm...), the
 * operators ( ) ! -not -a -and -o -or (implicit -a), the options
 * -maxdepth and -mindepth (true wherever they stand), and the actions
 * -print and -print0.  An expression without an action prints what it
 * matches.  Numbers and times are decided at parse time, as find does:
 * every test that compares a number is an inclusive range [lo, hi].
 *
 * This module knows no database: what it needs of one (extended
 * attributes, whether a directory is empty) and the printing come through
 * struct find_env.
 */
#ifndef FIND_H
#define FIND_H

#include <stddef.h>
#include <stdint.h>

/* A file as the expression sees it: one name of an inode. */
struct find_file {
	int64_t ino;
	uint32_t mode; /* type and permission bits */
	int64_t nlink;
	int64_t uid;
	int64_t gid;
	int64_t size;	  /* bytes */
	int64_t mtime;	  /* ns since the epoch */
	const char *name; /* base name, as -name matches it */
	const char *path; /* the printed path, as -path matches it */
	int depth;	  /* 0 for the starting point */
};

/* What evaluation asks of the database and of the output. */
struct find_env {
	void *ctx;
	/*
	 * 1 when inode ino has extended attribute name (and, when value is
	 * not NULL, with exactly those vlen bytes), 0 when not, -errno.
	 */
	int (*xattr)(void *ctx, int64_t ino, const char *name,
		     const char *value, size_t vlen);
	/* 1 when directory ino has no entries, 0 when it has, -errno. */
	int (*dir_empty)(void *ctx, int64_t ino);
	/* Prints f, followed by sep ('\n' or '\0'); 0 or -errno. */
	int (*print)(void *ctx, const struct find_file *f, int sep);
};

struct find_expr;

/* A parsed command line expression. */
struct find_query {
	struct find_expr *expr;
	int mindepth;	       /* 0 by default */
	int maxdepth;	       /* -1: no limit */
	int print0;	       /* it has a -print0 */
	struct find_expr *all; /* every node, for find_free() */
};

/*
 * Kinds of index hint: a condition every match meets, that an index of
 * the database can list candidates for.
 */
enum find_hint_kind {
	FH_NAME,  /* an entry name, exactly (search_name) */
	FH_SIZE,  /* inode.size in [lo, hi] (search_size) */
	FH_MTIME, /* inode.mtime in [lo, hi] (search_mtime) */
	FH_INUM,  /* inode number in [lo, hi] (the primary key) */
	FH_XATTR, /* has xattr name, with value when value is not NULL */
};

struct find_hint {
	enum find_hint_kind kind;
	const char *name;  /* FH_NAME, FH_XATTR */
	const char *value; /* FH_XATTR: NULL for "has it" */
	size_t vlen;
	int64_t lo; /* FH_SIZE, FH_MTIME, FH_INUM */
	int64_t hi;
};

/*
 * Parses the expression argv[0..argc) with now_ns the time the program
 * started (-mtime, -mmin count back from it).  -newer FILE is left for
 * find_resolve_newer().  Returns 0 and fills q, or -EINVAL with a one-line
 * reason in err (an unknown predicate, a bad number or mode, a missing
 * argument, unbalanced parentheses).
 */
int find_parse(int argc, char **argv, int64_t now_ns, struct find_query *q,
	       char *err, size_t errsz);

/*
 * Gives each -newer FILE its reference time: mtime_of(ctx, FILE, &ns)
 * returns 0 or -errno, which find_resolve_newer() returns (FILE in
 * *failed).
 */
int find_resolve_newer(struct find_query *q,
		       int (*mtime_of)(void *ctx, const char *file,
				       int64_t *ns),
		       void *ctx, const char **failed);

/*
 * Evaluates the expression for f as find does (left to right, -a and -o
 * short-circuit), printing through env where an action says so.  Returns
 * 1 (true), 0 (false) or -errno from env.
 */
int find_eval(const struct find_query *q, const struct find_file *f,
	      const struct find_env *env);

/*
 * Writes up to max hints: conditions of the top-level conjunction that
 * come before any action, so that every file the expression prints meets
 * each of them.  Returns how many.
 */
int find_hints(const struct find_query *q, struct find_hint *out, int max);

/* What of a file an expression reads besides its name, path, depth and
 * inode number (find_needs()). */
/*
 * Splits line, a JSON array of strings (the words of one expression, as
 * ["-name", "*.c"]), into *words: a malloc'd array of *n malloc'd strings
 * and a NULL (find_words_free()).  \uXXXX escapes are written as UTF-8,
 * and \udc80-\udcff as the single bytes 0x80-0xff (how a program gives a
 * name that is not UTF-8).  0, or -EINVAL with err saying why (a word
 * with a NUL in it is refused), or -ENOMEM.
 */
int find_words_json(const char *line, char ***words, int *n, char *err,
		    size_t errsz);
void find_words_free(char **words, int n);

#define FIND_NEEDS_SIZE 1u
#define FIND_NEEDS_MODE 2u /* and the rest of the inode: type, nlink... */
/*
 * The fields of struct find_file that evaluating q may read, as a mask of
 * FIND_NEEDS_*: a file given without the others can leave them 0.
 */
unsigned find_needs(const struct find_query *q);
/* Frees what find_parse() made. */
void find_free(struct find_query *q);

#endif
