/*
 * db_test_dir.c - db_test cases: rename and directories (src/db_dir.c)
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db_test.h"

/* --- rename ------------------------------------------------------------ */

START_TEST(test_rename_plain)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), d1 = mkdir_in(DB_ROOT_INO, "d1");
	ino_t d2 = mkdir_in(DB_ROOT_INO, "d2"), sub = mkdir_in(d1, "sub");
	ino_t victim = 77;
	struct listing l;
	struct stat st;
	int gone = 77, i;

	age(f);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f", DB_ROOT_INO, "g", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g"), f);
	st = attr(f);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert(changed_since_age(st.st_ctim));

	/* a file to another directory */
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "g", d2, "g", 0, &victim, &gone), 0);
	ck_assert_uint_eq(ino_of(d2, "g"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "g"), 0);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);

	/* a directory to another directory: ".." moves with it */
	age(d1);
	age(d2);
	ck_assert_int_eq(
		db_rename(db, d1, "sub", d2, "sub2", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);
	ck_assert_uint_eq(nlink_of(sub), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	ck_assert(changed_since_age(attr(d1).st_mtim));
	ck_assert(changed_since_age(attr(d2).st_mtim));
	ck_assert_uint_eq(ino_of(d2, "sub2"), sub);
	ck_assert_uint_eq(ino_of(d1, "sub"), 0);
	list_all(sub, &l);
	i = find_name(&l, "..");
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(l.ino[i], d2);

	/* a directory up to the root */
	ck_assert_int_eq(db_rename(db, d2, "sub2", DB_ROOT_INO, "top", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
	list_all(sub, &l);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], DB_ROOT_INO);

	/* a missing source */
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "nope", DB_ROOT_INO, "x", 0,
				   &victim, &gone),
			 -ENOENT);
	ck_assert_int_eq(
		db_rename(db, f, "x", DB_ROOT_INO, "y", 0, &victim, &gone),
		-ENOTDIR);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "top", f, "y", 0, &victim, &gone),
		-ENOTDIR);
}
END_TEST

START_TEST(test_rename_over_file)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), b = mkfile(DB_ROOT_INO, "b");
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), c = mkfile(d, "c");
	ino_t victim;
	struct stat st;
	int gone;

	put(a, 0, "AAAA", 4);
	put(b, 0, "BB", 2);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, b);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(b), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), 0);
	assert_bytes(a, 0, "AAAA", 4);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);

	/* the target has a second name: it loses one, not its rows */
	ck_assert_int_eq(db_link(db, c, DB_ROOT_INO, "c2", &st), 0);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "b", d, "c", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, c);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(nlink_of(c), 1);
	ck_assert_uint_eq(ino_of(d, "c"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c2"), c);
	ck_assert_uint_eq(nlink_of(d), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_rename_over_empty_dir)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(DB_ROOT_INO, "b");
	ino_t p = mkdir_in(DB_ROOT_INO, "p"), q = mkdir_in(DB_ROOT_INO, "q");
	ino_t x = mkdir_in(p, "x"), y = mkdir_in(q, "y"), victim;
	int gone;

	mkfile(a, "content");
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 6);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, b);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(b), 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), a);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
	ck_assert_uint_ne(ino_of(a, "content"), 0);

	/* across directories */
	ck_assert_int_eq(db_rename(db, p, "x", q, "y", 0, &victim, &gone), 0);
	ck_assert_uint_eq(victim, y);
	ck_assert_int_ne(gone, 0);
	ck_assert_uint_eq(nlink_of(p), 2);
	ck_assert_uint_eq(nlink_of(q), 3);
	ck_assert_uint_eq(nlink_of(x), 2);
	ck_assert_uint_eq(nlink_of(y), 0);
	ck_assert_uint_eq(ino_of(q, "y"), x);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 5);
}
END_TEST

START_TEST(test_rename_not_empty)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(DB_ROOT_INO, "b");
	ino_t fa = mkfile(a, "fa"), fb = mkfile(b, "fb"), victim = 77;
	ino_t all[] = {DB_ROOT_INO, a, b, fa, fb};
	struct snapshot s;
	int gone = 77;

	snap(&s, all, 5);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 -ENOTEMPTY);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), b);
	ck_assert_uint_eq(ino_of(a, "fa"), fa);
	ck_assert_uint_eq(ino_of(b, "fb"), fb);
}
END_TEST

START_TEST(test_rename_type_mismatch)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), e = mkdir_in(DB_ROOT_INO, "e");
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(d, "g"), victim;
	ino_t all[] = {DB_ROOT_INO, d, e, f, g};
	struct snapshot s;
	int gone;

	snap(&s, all, 5);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f", DB_ROOT_INO, "e", 0,
				   &victim, &gone),
			 -EISDIR);
	ck_assert_int_eq(
		db_rename(db, d, "g", DB_ROOT_INO, "e", 0, &victim, &gone),
		-EISDIR);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "e", DB_ROOT_INO, "f", 0,
				   &victim, &gone),
			 -ENOTDIR);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "e", d, "g", 0, &victim, &gone),
		-ENOTDIR);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "f"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "e"), e);
	ck_assert_uint_eq(ino_of(d, "g"), g);
}
END_TEST

START_TEST(test_rename_into_itself)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t c = mkdir_in(b, "c"), victim;
	ino_t all[] = {DB_ROOT_INO, a, b, c};
	struct snapshot s;
	int gone;

	snap(&s, all, 4);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "a", a, "x", 0, &victim, &gone),
		-EINVAL);
	ck_assert_int_eq(
		db_rename(db, DB_ROOT_INO, "a", c, "x", 0, &victim, &gone),
		-EINVAL);
	ck_assert_int_eq(db_rename(db, a, "b", c, "b", 0, &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, a, "b", b, "x", 0, &victim, &gone),
			 -EINVAL);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(b, "x"), 0);
	/* the way up is fine: c to the root, then the root's child over it */
	ck_assert_int_eq(
		db_rename(db, b, "c", DB_ROOT_INO, "c", 0, &victim, &gone), 0);
	ck_assert_uint_eq(nlink_of(b), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	/* an ancestor of the source as target: not empty */
	ck_assert_int_eq(
		db_rename(db, a, "b", DB_ROOT_INO, "a", 0, &victim, &gone),
		-ENOTEMPTY);
}
END_TEST

START_TEST(test_rename_noreplace)
{
	ino_t a = mkfile(DB_ROOT_INO, "a"), b = mkfile(DB_ROOT_INO, "b");
	ino_t all[] = {DB_ROOT_INO, a, b}, victim;
	struct snapshot s;
	int gone;

	snap(&s, all, 3);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b",
				   DB_RENAME_NOREPLACE, &victim, &gone),
			 -EEXIST);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), b);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "c",
				   DB_RENAME_NOREPLACE, &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c"), a);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), 0);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "c", DB_ROOT_INO, "d",
				   DB_RENAME_NOREPLACE | DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "c", DB_ROOT_INO, "d", 4,
				   &victim, &gone),
			 -EINVAL);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "c"), a);
}
END_TEST

START_TEST(test_rename_exchange)
{
	ino_t d1 = mkdir_in(DB_ROOT_INO, "d1"),
	      d2 = mkdir_in(DB_ROOT_INO, "d2");
	ino_t f = mkfile(d1, "f"), sub = mkdir_in(d2, "sub"), victim = 77;
	struct listing l;
	int gone = 77;

	mkfile(sub, "inside");
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);
	ck_assert_int_eq(db_rename(db, d1, "f", d2, "sub", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(d1, "f"), sub);
	ck_assert_uint_eq(ino_of(d2, "sub"), f);
	ck_assert_uint_eq(nlink_of(d1), 3);
	ck_assert_uint_eq(nlink_of(d2), 2);
	ck_assert_uint_eq(nlink_of(f), 1);
	ck_assert_uint_eq(nlink_of(sub), 2);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 4);
	list_all(sub, &l);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], d1);
	ck_assert_int_ge(find_name(&l, "inside"), 0);

	/* and back */
	ck_assert_int_eq(db_rename(db, d2, "sub", d1, "f", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d1, "f"), f);
	ck_assert_uint_eq(ino_of(d2, "sub"), sub);
	ck_assert_uint_eq(nlink_of(d1), 2);
	ck_assert_uint_eq(nlink_of(d2), 3);

	/* a missing side */
	ck_assert_int_eq(db_rename(db, d1, "f", d2, "nope", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 -ENOENT);
	ck_assert_uint_eq(ino_of(d1, "f"), f);
	ck_assert_uint_eq(ino_of(d2, "nope"), 0);
}
END_TEST

START_TEST(test_rename_exchange_same_dir)
{
	ino_t d = mkdir_in(DB_ROOT_INO, "d"), f = mkfile(d, "f");
	ino_t sub = mkdir_in(d, "sub"), g = mkfile(d, "g"), victim;
	int gone;

	ck_assert_uint_eq(nlink_of(d), 3);
	/* a file and a directory in one directory: the count stays */
	ck_assert_int_eq(db_rename(db, d, "f", d, "sub", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d, "f"), sub);
	ck_assert_uint_eq(ino_of(d, "sub"), f);
	ck_assert_uint_eq(nlink_of(d), 3);
	ck_assert_uint_eq(nlink_of(sub), 2);
	/* two files */
	ck_assert_int_eq(db_rename(db, d, "sub", d, "g", DB_RENAME_EXCHANGE,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(d, "sub"), g);
	ck_assert_uint_eq(ino_of(d, "g"), f);
	ck_assert_uint_eq(nlink_of(d), 3);
	ck_assert_uint_eq(nlink_of(DB_ROOT_INO), 3);
}
END_TEST

START_TEST(test_rename_exchange_into_itself)
{
	ino_t a = mkdir_in(DB_ROOT_INO, "a"), b = mkdir_in(a, "b");
	ino_t f = mkfile(b, "f"), victim;
	ino_t all[] = {DB_ROOT_INO, a, b, f};
	struct snapshot s;
	int gone;

	snap(&s, all, 4);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", b, "f",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 -EINVAL);
	ck_assert_int_eq(db_rename(db, b, "f", DB_ROOT_INO, "a",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 -EINVAL);
	assert_unchanged(&s);
	ck_assert_uint_eq(ino_of(b, "f"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), a);
}
END_TEST

START_TEST(test_rename_same_inode)
{
	ino_t f = mkfile(DB_ROOT_INO, "a"), victim = 77;
	ino_t all[] = {DB_ROOT_INO, f};
	struct snapshot s;
	struct stat st;
	int gone = 77;

	ck_assert_int_eq(db_link(db, f, DB_ROOT_INO, "b", &st), 0);
	snap(&s, all, 2);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b", 0,
				   &victim, &gone),
			 0);
	ck_assert_uint_eq(victim, 0);
	ck_assert_int_eq(gone, 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), f);
	assert_unchanged(&s);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "a", 0,
				   &victim, &gone),
			 0);
	ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "a", DB_ROOT_INO, "b",
				   DB_RENAME_EXCHANGE, &victim, &gone),
			 0);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "a"), f);
	ck_assert_uint_eq(ino_of(DB_ROOT_INO, "b"), f);
	ck_assert_uint_eq(nlink_of(f), 2);
}
END_TEST

/* --- directories ------------------------------------------------------- */

START_TEST(test_readdir_basic)
{
	static const char *const names[] = {"one", "two", "three", "four"};
	ino_t inos[4], d = mkdir_in(DB_ROOT_INO, "four");
	struct listing l;
	int i, at;

	inos[0] = mkfile(DB_ROOT_INO, "one");
	inos[1] = mkdir_in(DB_ROOT_INO, "two");
	inos[2] = mk(DB_ROOT_INO, "three", S_IFIFO | 0600);
	inos[3] = d;
	list_all(DB_ROOT_INO, &l);
	ck_assert_int_eq(l.n, 6);
	ck_assert_str_eq(l.name[0], ".");
	ck_assert_uint_eq(l.ino[0], DB_ROOT_INO);
	ck_assert_int_eq(l.next[0], 1);
	ck_assert_str_eq(l.name[1], "..");
	ck_assert_uint_eq(l.ino[1], DB_ROOT_INO);
	ck_assert_int_eq(l.next[1], 2);
	for (i = 0; i < 4; i++) {
		at = find_name(&l, names[i]);
		ck_assert_int_ge(at, 2);
		ck_assert_uint_eq(l.ino[at], inos[i]);
	}
	for (i = 1; i < l.n; i++)
		ck_assert_int_gt(l.next[i], l.next[i - 1]);

	list_all(d, &l);
	ck_assert_int_eq(l.n, 2);
	ck_assert_uint_eq(l.ino[find_name(&l, ".")], d);
	ck_assert_uint_eq(l.ino[find_name(&l, "..")], DB_ROOT_INO);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_readdir(db, inos[0], 0, collect, &l), -ENOTDIR);
	ck_assert_int_eq(db_readdir(db, 999999, 0, collect, &l), -ENOENT);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

/* Lists ino k entries at a time, resuming from the last offset handed out. */
static void list_in_chunks(ino_t ino, int k, struct listing *all)
{
	struct listing part;
	off_t off = 0;
	int i, rounds = 0;

	memset(all, 0, sizeof(*all));
	for (;;) {
		memset(&part, 0, sizeof(part));
		part.limit = k;
		ck_assert_int_eq(db_readdir(db, ino, off, collect, &part), 0);
		for (i = 0; i < part.n; i++) {
			ck_assert_int_lt(all->n, LIST_MAX);
			strcpy(all->name[all->n], part.name[i]);
			all->ino[all->n] = part.ino[i];
			all->next[all->n] = part.next[i];
			all->n++;
		}
		if (part.n == 0)
			break;
		off = part.next[part.n - 1];
		ck_assert_int_lt(++rounds, 1000);
	}
}

START_TEST(test_readdir_resume)
{
	char name[16];
	struct listing l;
	off_t last;
	int i, k;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		mkfile(DB_ROOT_INO, name);
	}
	for (k = 1; k <= 7; k++) {
		list_in_chunks(DB_ROOT_INO, k, &l);
		ck_assert_int_eq(l.n, 22);
		ck_assert_int_ge(find_name(&l, "."), 0);
		ck_assert_int_ge(find_name(&l, ".."), 0);
		for (i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "e%02d", i);
			ck_assert_int_ge(find_name(&l, name), 0);
		}
	}
	/* resuming from the last offset handed out gives nothing more */
	list_all(DB_ROOT_INO, &l);
	ck_assert_int_eq(l.n, 22);
	last = l.next[l.n - 1];
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(db_readdir(db, DB_ROOT_INO, last, collect, &l), 0);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(test_readdir_rename_during)
{
	char name[16];
	struct listing part, seen;
	off_t off = 0;
	ino_t inos[10], victim;
	int i, j, gone, round = 0;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		inos[i] = mkfile(DB_ROOT_INO, name);
	}
	memset(&seen, 0, sizeof(seen));
	for (;;) {
		memset(&part, 0, sizeof(part));
		part.limit = 3;
		ck_assert_int_eq(
			db_readdir(db, DB_ROOT_INO, off, collect, &part), 0);
		if (part.n == 0)
			break;
		for (i = 0; i < part.n; i++) {
			seen.ino[seen.n] = part.ino[i];
			strcpy(seen.name[seen.n++], part.name[i]);
		}
		off = part.next[part.n - 1];
		/* rename what was just listed and what is still to come */
		snprintf(name, sizeof(name), "r%d", round++);
		if (strcmp(part.name[0], ".") && strcmp(part.name[0], ".."))
			ck_assert_int_eq(db_rename(db, DB_ROOT_INO,
						   part.name[0], DB_ROOT_INO,
						   name, 0, &victim, &gone),
					 0);
		if (round == 2)
			ck_assert_int_eq(db_rename(db, DB_ROOT_INO, "f9",
						   DB_ROOT_INO, "g9", 0,
						   &victim, &gone),
					 0);
		/* and remove the entry the next call resumes after */
		if (round == 3)
			ck_assert_int_eq(db_unlink(db, DB_ROOT_INO,
						   part.name[part.n - 1], 0,
						   &victim, &gone),
					 0);
		ck_assert_int_lt(round, 100);
	}
	/* every inode once: none lost, none twice */
	for (i = 0; i < 10; i++) {
		int count = 0;

		for (j = 0; j < seen.n; j++)
			count += seen.ino[j] == inos[i];
		ck_assert_msg(count == 1, "inode of f%d listed %d times", i,
			      count);
	}
	ck_assert_int_eq(seen.n, 12);
}
END_TEST

START_TEST(test_statfs)
{
	struct statvfs sv;
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char *data = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(db_statfs(db, &sv), 0);
	ck_assert_uint_eq(sv.f_namemax, 255);
	ck_assert_uint_ge(sv.f_blocks, sv.f_bfree);
	ck_assert_uint_ge(sv.f_bfree, sv.f_bavail);
	ck_assert_uint_gt(sv.f_blocks, 0);
	ck_assert_uint_gt(sv.f_frsize, 0);
	ck_assert_uint_ge(sv.f_files, sv.f_ffree);
	ck_assert_uint_ge(sv.f_files - sv.f_ffree, 2);
	ck_assert_uint_eq(sv.f_flag & ST_RDONLY, 0);
	fill(data, 1 << 20, 8);
	put(f, 0, data, 1 << 20);
	ck_assert_int_eq(db_sync(db), 0);
	ck_assert_int_eq(db_statfs(db, &sv), 0);
	ck_assert_uint_ge(sv.f_blocks, sv.f_bfree);
	ck_assert_uint_ge((sv.f_blocks - sv.f_bfree) * sv.f_frsize, 1 << 20);
	free(data);
}
END_TEST

/* Adds the cases of the "rename" test case, in their order. */
void add_rename_cases(TCase *tc)
{
	tcase_add_test(tc, test_rename_plain);
	tcase_add_test(tc, test_rename_over_file);
	tcase_add_test(tc, test_rename_over_empty_dir);
	tcase_add_test(tc, test_rename_not_empty);
	tcase_add_test(tc, test_rename_type_mismatch);
	tcase_add_test(tc, test_rename_into_itself);
	tcase_add_test(tc, test_rename_noreplace);
	tcase_add_test(tc, test_rename_exchange);
	tcase_add_test(tc, test_rename_exchange_same_dir);
	tcase_add_test(tc, test_rename_exchange_into_itself);
	tcase_add_test(tc, test_rename_same_inode);
}

/* Adds the cases of the "directories" test case, in their order. */
void add_directories_cases(TCase *tc)
{
	tcase_add_test(tc, test_readdir_basic);
	tcase_add_test(tc, test_readdir_resume);
	tcase_add_test(tc, test_readdir_rename_during);
	tcase_add_test(tc, test_statfs);
}
