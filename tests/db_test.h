/*
 * db_test.h - what the files of db_test share
 *
 * db_test is one executable: db_test.c (main and the suite, its test
 * cases with their fixture and timeouts), db_test_util.c (the fixture and
 * the helpers below), and the cases by the part of the db layer they test:
 * db_test_open.c (src/db_open.c, and damaged databases), db_test_inode.c,
 * db_test_dir.c, db_test_data.c, db_test_xattr.c, db_test_batch.c
 * (src/db.c: atomicity, durability, read-only) and db_test_journal.c
 * (src/db_journal.c: the change journal, db_set()).  Each gives an add_*_cases()
 * that adds its cases, in order, to a test case of the suite.
 */
#ifndef DB_TEST_H
#define DB_TEST_H

#include <check.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "db.h"

#define BS_DEFAULT 4096 /* block size of the fixture's filesystem */
#define TIB ((off_t) 1 << 40)
#define GIB ((off_t) 1 << 30)

extern char top_dir[256]; /* made by main(), holds every case's dir */
extern char case_dir[512];
extern char db_path[1024];
extern struct db *db;
extern const struct db_cred cred;

/* ---- fixture (db_test_util.c) -------------------------------------- */

void make_case_dir(void);
void open_db(int flags);
void close_db(void);
void fresh_db(unsigned bs);
void setup(void);
void rm_tree(const char *path);
void teardown(void);

/* ---- helpers (db_test_util.c) -------------------------------------- */

ino_t mk(ino_t parent, const char *name, mode_t mode);
ino_t mkfile(ino_t parent, const char *name);
ino_t mkdir_in(ino_t parent, const char *name);
struct stat attr(ino_t ino);
nlink_t nlink_of(ino_t ino);
off_t size_of(ino_t ino);
ino_t ino_of(ino_t parent, const char *name);
void put(ino_t ino, off_t off, const void *buf, size_t len);
char *get(ino_t ino, off_t off, size_t len);
void fill(char *buf, size_t len, unsigned seed);
int all_zero(const char *buf, size_t len);
void assert_zero(ino_t ino, off_t off, size_t len);
void assert_bytes(ino_t ino, off_t off, const char *want, size_t len);
int ts_eq(struct timespec a, struct timespec b);
int ts_after(struct timespec a, struct timespec b);
void assert_same_stat(const struct stat *a, const struct stat *b);
void age(ino_t ino);
int changed_since_age(struct timespec t);
char *slurp(const char *path, size_t *len);
void spit(const char *path, const void *buf, size_t len);
void sql_exec(const char *path, const char *sql);
int64_t sql_int(const char *sql, int64_t arg);

/* Snapshots of a few inodes, to prove a failed call changed nothing. */
struct snapshot {
	int n;
	struct stat st[16];
};

void snap(struct snapshot *s, const ino_t *inos, int n);
void assert_unchanged(const struct snapshot *s);

/* ---- directory listings (db_test_util.c) --------------------------- */

#define LIST_MAX 128

struct listing {
	int n;
	int limit; /* stop (buffer full) before entry limit + 1; 0: none */
	char name[LIST_MAX][DB_NAME_MAX + 1];
	ino_t ino[LIST_MAX];
	off_t next[LIST_MAX];
};

/* A db_readdir callback that appends to the struct listing at ctx. */
int collect(void *ctx, const char *name, const struct stat *st, off_t next);
void list_all(ino_t ino, struct listing *l);
int find_name(const struct listing *l, const char *name);

/* ---- the cases, by file -------------------------------------------- */

/* db_test_open.c */
void add_open_cases(TCase *tc);
void add_damaged_cases(TCase *tc);
/* db_test_inode.c */
void add_names_cases(TCase *tc);
void add_attributes_cases(TCase *tc);
/* db_test_dir.c */
void add_rename_cases(TCase *tc);
void add_directories_cases(TCase *tc);
/* db_test_data.c */
void add_data_cases(TCase *tc);
/* db_test_xattr.c */
void add_xattr_cases(TCase *tc);
/* db_test_batch.c */
void add_transactions_cases(TCase *tc);
/* db_test_journal.c */
void add_journal_cases(TCase *tc);
/*
 * Reopens the database through a VFS whose writes fail while writes_fail
 * is set (in the calling case's process only): a commit then fails and
 * SQLite rolls the batch back (db.c's lost batch).
 */
void reopen_failing(void);
extern int writes_fail;

#endif
