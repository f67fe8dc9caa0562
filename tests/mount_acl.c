/*
 * mount_acl.c - mount_test's cases of POSIX ACLs
 *
 * ACLs set and read as the xattrs system.posix_acl_access and
 * system.posix_acl_default, in the form the kernel passes (built here by
 * hand, so that the expected bytes are spelled out): the mode each sets,
 * the access each grants or denies to uid 65534, chmod changing the mask,
 * default ACLs inherited by files, directories and FIFOs in place of the
 * umask, and the refusals.  The same on ext4 (reference mode).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mount_test.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define ACCESS "system.posix_acl_access"
#define DEFAULT "system.posix_acl_default"

/* Tags and the undefined id of <linux/posix_acl_xattr.h>. */
enum { U_OBJ = 1, U = 2, G_OBJ = 4, G = 8, MASK = 0x10, O = 0x20 };
#define NO_ID UINT32_MAX

struct ent {
	uint16_t tag, perm;
	uint32_t id;
};

struct blob {
	size_t n;
	unsigned char b[4 + 8 * 16];
};

/* The xattr form of entries e (little-endian: this runs on x86-64). */
static struct blob acl(const struct ent *e, size_t n)
{
	struct blob x;
	uint32_t version = 2;
	size_t i;

	ck_assert(n <= 16);
	memcpy(x.b, &version, 4);
	for (i = 0; i < n; i++) {
		uint32_t id = e[i].tag == U || e[i].tag == G ? e[i].id : NO_ID;

		memcpy(x.b + 4 + 8 * i, &e[i].tag, 2);
		memcpy(x.b + 6 + 8 * i, &e[i].perm, 2);
		memcpy(x.b + 8 + 8 * i, &id, 4);
	}
	x.n = 4 + 8 * n;
	return x;
}

#define ACL(...)                                                               \
	acl((const struct ent[]){__VA_ARGS__},                                 \
	    sizeof((const struct ent[]){__VA_ARGS__}) / sizeof(struct ent))

static void set_acl(const char *path, const char *name, struct blob x)
{
	ck_assert_msg(setxattr(path, name, x.b, x.n, 0) == 0,
		      "setxattr %s %s: %s", path, name, en(errno));
}

/* Asserts that ACL name of path is x. */
static void expect_acl(const char *path, const char *name, struct blob x)
{
	unsigned char buf[sizeof(x.b) + 64];
	ssize_t n = lgetxattr(path, name, buf, sizeof(buf));

	ck_assert_msg(n == (ssize_t) x.n, "%s %s: %zd bytes (%s), want %zu",
		      path, name, n, n < 0 ? en(errno) : "", x.n);
	ck_assert_msg(memcmp(buf, x.b, x.n) == 0, "%s %s: other entries", path,
		      name);
}

static void expect_no_acl(const char *path, const char *name)
{
	char buf[256];

	FAILS(lgetxattr(path, name, buf, sizeof(buf)), ENODATA);
}

static mode_t perms(const char *path)
{
	return lst(path).st_mode & 07777;
}

/* Whether listxattr of path names name. */
static bool listed(const char *path, const char *name)
{
	char buf[4096];
	ssize_t n = llistxattr(path, buf, sizeof(buf)), i;

	ck_assert_msg(n >= 0, "llistxattr %s: %s", path, en(errno));
	for (i = 0; i < n; i += (ssize_t) strlen(buf + i) + 1)
		if (!strcmp(buf + i, name))
			return true;
	return false;
}

/* In a child of uid 65534: setxattr of an ACL granting it rw on a. */
static int op_set_acl(const char *a, const char *b)
{
	struct blob x = ACL({U_OBJ, 6, 0}, {U, 6, NOBODY}, {G_OBJ, 4, 0},
			    {MASK, 6, 0}, {O, 0, 0});

	(void) b;
	return setxattr(a, ACCESS, x.b, x.n, 0) < 0 ? errno : 0;
}

START_TEST(acl_access)
{
	const char *f;

	setup("acl_access");
	f = case_path("secret");
	put(f, "s", 1);
	OK(chmod(f, 0600));
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), EACCES);
	/* a named entry grants read: the mode's group bits show the mask */
	set_acl(f, ACCESS,
		ACL({U_OBJ, 6, 0}, {U, 4, NOBODY}, {G_OBJ, 0, 0}, {MASK, 4, 0},
		    {O, 0, 0}));
	ck_assert_uint_eq(perms(f), 0640);
	expect_acl(f, ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 4, NOBODY}, {G_OBJ, 0, 0},
		       {MASK, 4, 0}, {O, 0, 0}));
	ck_assert(listed(f, ACCESS));
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), 0);
	ck_assert_int_eq(as_nobody(op_append, f, NULL), EACCES);
	/* a named entry denies what "other" allows */
	f = case_path("public");
	put(f, "p", 1);
	OK(chmod(f, 0644));
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), 0);
	set_acl(f, ACCESS,
		ACL({U_OBJ, 6, 0}, {U, 0, NOBODY}, {G_OBJ, 4, 0}, {MASK, 4, 0},
		    {O, 4, 0}));
	ck_assert_uint_eq(perms(f), 0644);
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), EACCES);
	/* removed: the mode alone decides again, and it is kept */
	OK(removexattr(f, ACCESS));
	expect_no_acl(f, ACCESS);
	ck_assert(!listed(f, ACCESS));
	ck_assert_uint_eq(perms(f), 0644);
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), 0);
}
END_TEST

START_TEST(acl_minimal)
{
	const char *f;

	setup("acl_minimal");
	f = case_path("f");
	put(f, "", 0);
	OK(chmod(f, 0644));
	/* owner, group and other only: the mode, and no ACL is kept */
	set_acl(f, ACCESS, ACL({U_OBJ, 7, 0}, {G_OBJ, 5, 0}, {O, 0, 0}));
	ck_assert_uint_eq(perms(f), 0750);
	expect_no_acl(f, ACCESS);
	ck_assert(!listed(f, ACCESS));
	/* an extended one set, then a minimal one: gone again */
	set_acl(f, ACCESS,
		ACL({U_OBJ, 6, 0}, {G_OBJ, 4, 0}, {G, 6, NOBODY}, {MASK, 6, 0},
		    {O, 4, 0}));
	ck_assert_uint_eq(perms(f), 0664);
	set_acl(f, ACCESS, ACL({U_OBJ, 6, 0}, {G_OBJ, 0, 0}, {O, 0, 0}));
	ck_assert_uint_eq(perms(f), 0600);
	expect_no_acl(f, ACCESS);
}
END_TEST

START_TEST(acl_chmod)
{
	const char *f;

	setup("acl_chmod");
	f = case_path("f");
	put(f, "x", 1);
	set_acl(f, ACCESS,
		ACL({U_OBJ, 6, 0}, {U, 6, NOBODY}, {G_OBJ, 4, 0}, {MASK, 6, 0},
		    {O, 4, 0}));
	ck_assert_int_eq(as_nobody(op_append, f, NULL), 0);
	/* chmod sets the mask, not the group entry */
	OK(chmod(f, 0604));
	expect_acl(f, ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 6, NOBODY}, {G_OBJ, 4, 0},
		       {MASK, 0, 0}, {O, 4, 0}));
	ck_assert_int_eq(as_nobody(op_append, f, NULL), EACCES);
	/* with no group class bits the kernel skips the ACL: "other" */
	ck_assert_int_eq(as_nobody(op_open_read, f, NULL), 0);
	OK(chmod(f, 0770));
	expect_acl(f, ACCESS,
		   ACL({U_OBJ, 7, 0}, {U, 6, NOBODY}, {G_OBJ, 4, 0},
		       {MASK, 7, 0}, {O, 0, 0}));
	ck_assert_int_eq(as_nobody(op_append, f, NULL), 0);
}
END_TEST

START_TEST(acl_default)
{
	const struct blob dflt = ACL({U_OBJ, 7, 0}, {U, 7, NOBODY},
				     {G_OBJ, 5, 0}, {MASK, 7, 0}, {O, 5, 0});
	const char *d;
	int fd;

	setup("acl_default");
	d = case_path("d");
	OK(mkdir(d, 0755));
	set_acl(d, DEFAULT, dflt);
	ck_assert_uint_eq(perms(d), 0755); /* a default ACL leaves the mode */
	expect_acl(d, DEFAULT, dflt);
	expect_no_acl(d, ACCESS);
	ck_assert(listed(d, DEFAULT));
	/* the umask does not apply; the mode asked for limits the ACL */
	umask(077);
	OK(fd = open(case_path("d/f"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	OK(mkdir(case_path("d/sub"), 0777));
	OK(mknod(case_path("d/fifo"), S_IFIFO | 0600, 0));
	OK(symlink("f", case_path("d/link")));
	umask(022);
	ck_assert_uint_eq(perms(case_path("d/f")), 0664);
	expect_acl(case_path("d/f"), ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 7, NOBODY}, {G_OBJ, 5, 0},
		       {MASK, 6, 0}, {O, 4, 0}));
	expect_no_acl(case_path("d/f"), DEFAULT);
	ck_assert_uint_eq(perms(case_path("d/sub")), 0775);
	expect_acl(case_path("d/sub"), ACCESS, dflt);
	expect_acl(case_path("d/sub"), DEFAULT, dflt);
	ck_assert_uint_eq(perms(case_path("d/fifo")), 0600);
	expect_acl(case_path("d/fifo"), ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 7, NOBODY}, {G_OBJ, 5, 0},
		       {MASK, 0, 0}, {O, 0, 0}));
	/* a whiteout left by a rename takes it too, limited to mode 0 */
	OK(renameat2(AT_FDCWD, case_path("d/fifo"), AT_FDCWD,
		     case_path("d/fifo2"), RENAME_WHITEOUT));
	ck_assert(S_ISCHR(lst(case_path("d/fifo")).st_mode));
	expect_acl(case_path("d/fifo"), ACCESS,
		   ACL({U_OBJ, 0, 0}, {U, 7, NOBODY}, {G_OBJ, 5, 0},
		       {MASK, 0, 0}, {O, 0, 0}));
	ck_assert_uint_eq(perms(case_path("d/link")), 0777);
	FAILS(lgetxattr(case_path("d/link"), ACCESS, NULL, 0), EOPNOTSUPP);
	ck_assert(!listed(case_path("d/link"), ACCESS));
	/* inherited two levels down, also by a file uid 65534 makes */
	OK(chmod(case_path("d/sub"), 0777));
	ck_assert_int_eq(as_nobody(op_create, case_path("d/sub/n"), NULL), 0);
	ck_assert_uint_eq(lst(case_path("d/sub/n")).st_uid, NOBODY);
	ck_assert_uint_eq(perms(case_path("d/sub/n")), 0644);
	expect_acl(case_path("d/sub/n"), ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 7, NOBODY}, {G_OBJ, 5, 0},
		       {MASK, 4, 0}, {O, 4, 0}));
	/* a default ACL of owner, group and other only: no access ACL */
	OK(mkdir(case_path("m"), 0755));
	set_acl(case_path("m"), DEFAULT,
		ACL({U_OBJ, 7, 0}, {G_OBJ, 0, 0}, {O, 0, 0}));
	umask(0);
	OK(fd = open(case_path("m/f"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	umask(022);
	ck_assert_uint_eq(perms(case_path("m/f")), 0600);
	expect_no_acl(case_path("m/f"), ACCESS);
	/* removed: the umask again */
	OK(removexattr(case_path("m"), DEFAULT));
	expect_no_acl(case_path("m"), DEFAULT);
	OK(fd = open(case_path("m/g"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	ck_assert_uint_eq(perms(case_path("m/g")), 0644);
}
END_TEST

START_TEST(acl_refused)
{
	struct blob x = ACL({U_OBJ, 6, 0}, {G_OBJ, 4, 0}, {O, 4, 0});
	const char *f;

	setup("acl_refused");
	f = case_path("f");
	put(f, "", 0);
	/* a default ACL only on a directory */
	FAILS(setxattr(f, DEFAULT, x.b, x.n, 0), EACCES);
	/* malformed: no other entry, a mask missing, a bad version */
	x = ACL({U_OBJ, 6, 0}, {G_OBJ, 4, 0});
	FAILS(setxattr(f, ACCESS, x.b, x.n, 0), EINVAL);
	x = ACL({U_OBJ, 6, 0}, {U, 6, NOBODY}, {G_OBJ, 4, 0}, {O, 4, 0});
	FAILS(setxattr(f, ACCESS, x.b, x.n, 0), EINVAL);
	x = ACL({U_OBJ, 6, 0}, {G_OBJ, 4, 0}, {O, 4, 0});
	FAILS(setxattr(f, ACCESS, x.b, 7, 0), EINVAL);
	x.b[0] = 3;
	FAILS(setxattr(f, ACCESS, x.b, x.n, 0), EOPNOTSUPP);
	/* only the owner (or CAP_FOWNER) sets an ACL */
	ck_assert_int_eq(as_nobody(op_set_acl, f, NULL), EPERM);
	OK(chown(f, NOBODY, NOBODY));
	ck_assert_int_eq(as_nobody(op_set_acl, f, NULL), 0);
	ck_assert_uint_eq(perms(f), 0660);
	ck_assert_int_eq(as_nobody(op_unlink, f, NULL), EACCES);
}
END_TEST

START_TEST(acl_setgid)
{
	const char *f;

	setup("acl_setgid");
	/* set by its owner outside its group: the set-group-ID bit goes */
	f = case_path("other_group");
	put(f, "", 0);
	OK(chown(f, NOBODY, 0));
	OK(chmod(f, 02750));
	ck_assert_int_eq(as_nobody(op_set_acl, f, NULL), 0);
	ck_assert_uint_eq(perms(f), 0660);
	/* ... in its group: it stays */
	f = case_path("own_group");
	put(f, "", 0);
	OK(chown(f, NOBODY, NOBODY));
	OK(chmod(f, 02750));
	ck_assert_int_eq(as_nobody(op_set_acl, f, NULL), 0);
	ck_assert_uint_eq(perms(f), 02660);
	/* ... by root (CAP_FSETID): it stays */
	f = case_path("by_root");
	put(f, "", 0);
	OK(chown(f, NOBODY, NOBODY));
	OK(chmod(f, 02750));
	ck_assert_int_eq(op_set_acl(f, NULL), 0);
	ck_assert_uint_eq(perms(f), 02660);
}
END_TEST

/* The persist phase: ACLs left for after the remount... */
void acl_persist_setup(void)
{
	OK(mkdir(tree_path("persist_acl"), 0755));
	set_acl(tree_path("persist_acl"), DEFAULT,
		ACL({U_OBJ, 7, 0}, {G_OBJ, 5, 0}, {G, 7, NOBODY}, {MASK, 7, 0},
		    {O, 0, 0}));
	put(tree_path("persist_acl/f"), "", 0);
	set_acl(tree_path("persist_acl/f"), ACCESS,
		ACL({U_OBJ, 6, 0}, {U, 4, NOBODY}, {G_OBJ, 4, 0}, {MASK, 4, 0},
		    {O, 0, 0}));
}

/* ... there after it, and still inherited by new files. */
void acl_persist_check(void)
{
	int fd;

	expect_acl(tree_path("persist_acl"), DEFAULT,
		   ACL({U_OBJ, 7, 0}, {G_OBJ, 5, 0}, {G, 7, NOBODY},
		       {MASK, 7, 0}, {O, 0, 0}));
	expect_acl(tree_path("persist_acl/f"), ACCESS,
		   ACL({U_OBJ, 6, 0}, {U, 4, NOBODY}, {G_OBJ, 4, 0},
		       {MASK, 4, 0}, {O, 0, 0}));
	ck_assert_uint_eq(perms(tree_path("persist_acl/f")), 0640);
	ck_assert_int_eq(
		as_nobody(op_open_read, tree_path("persist_acl/f"), NULL), 0);
	unlink(tree_path("persist_acl/new"));
	OK(fd = open(tree_path("persist_acl/new"), O_WRONLY | O_CREAT, 0666));
	close(fd);
	ck_assert_uint_eq(perms(tree_path("persist_acl/new")), 0660);
	expect_acl(tree_path("persist_acl/new"), ACCESS,
		   ACL({U_OBJ, 6, 0}, {G_OBJ, 5, 0}, {G, 7, NOBODY},
		       {MASK, 6, 0}, {O, 0, 0}));
}

Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");

	ADD(s, acl_access);
	ADD(s, acl_minimal);
	ADD(s, acl_chmod);
	ADD(s, acl_default);
	ADD(s, acl_refused);
	ADD(s, acl_setgid);
	return s;
}
