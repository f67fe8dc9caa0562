/*
 * db_test_xattr.c - db_test cases: extended attributes (src/db_xattr.c)
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

/* --- extended attributes ----------------------------------------------- */

START_TEST(test_xattr_flags)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[16];

	ck_assert_int_eq(
		db_setxattr(db, f, "user.k", "v1", 2, DB_XATTR_REPLACE),
		-ENODATA);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)),
			 -ENODATA);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "v1", 2, DB_XATTR_CREATE),
			 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "v2", 2, DB_XATTR_CREATE),
			 -EEXIST);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "v1", 2);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.k", "v333", 4, DB_XATTR_REPLACE), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "v333", 4);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "4", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.j", "5", 1, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, sizeof(buf)), 1);
	ck_assert_mem_eq(buf, "4", 1);
	ck_assert_int_eq(db_getxattr(db, f, "user.j", buf, sizeof(buf)), 1);
	/* both flags, as ext4: EEXIST if present, ENODATA if absent */
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "x", 1,
				     DB_XATTR_CREATE | DB_XATTR_REPLACE),
			 -EEXIST);
	ck_assert_int_eq(db_setxattr(db, f, "user.none", "x", 1,
				     DB_XATTR_CREATE | DB_XATTR_REPLACE),
			 -ENODATA);
	ck_assert_int_eq(db_setxattr(db, f, "user.", "x", 1, 0), -EINVAL);
	ck_assert_int_eq(db_setxattr(db, 999999, "user.k", "x", 1, 0), -ENOENT);
}
END_TEST

START_TEST(test_xattr_sizes)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[16], *big = malloc(DB_XATTR_SIZE_MAX + 1);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(db_setxattr(db, f, "user.k", "abcdef", 6, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", NULL, 0), 6);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, 5), -ERANGE);
	ck_assert_int_eq(db_getxattr(db, f, "user.k", buf, 6), 6);
	ck_assert_mem_eq(buf, "abcdef", 6);
	ck_assert_int_eq(db_getxattr(db, f, "user.none", NULL, 0), -ENODATA);

	fill(big, DB_XATTR_SIZE_MAX + 1, 9);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX + 1, 0),
		-E2BIG);
	ck_assert_int_eq(
		db_setxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX, 0), 0);
	memset(big, 0, DB_XATTR_SIZE_MAX + 1);
	ck_assert_int_eq(
		db_getxattr(db, f, "user.big", big, DB_XATTR_SIZE_MAX + 1),
		DB_XATTR_SIZE_MAX);
	{
		char *want = malloc(DB_XATTR_SIZE_MAX);

		ck_assert_ptr_nonnull(want);
		fill(want, DB_XATTR_SIZE_MAX, 9);
		ck_assert_mem_eq(big, want, DB_XATTR_SIZE_MAX);
		free(want);
	}
	free(big);
}
END_TEST

START_TEST(test_xattr_list)
{
	static const char want[] = "security.z\0trusted.x\0user.a\0user.b";
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[64];

	ck_assert_int_eq(db_listxattr(db, f, NULL, 0), 0);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.b", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.a", "2", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "trusted.x", "3", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.z", "4", 1, 0), 0);
	ck_assert_int_eq(db_listxattr(db, f, NULL, 0), sizeof(want));
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(want)), sizeof(want));
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(want) - 1), -ERANGE);
	ck_assert_int_eq(db_listxattr(db, f, buf, 3), -ERANGE);
	/* another inode's list is its own */
	ck_assert_int_eq(db_listxattr(db, DB_ROOT_INO, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_listxattr(db, 999999, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(test_xattr_remove)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[8];

	ck_assert_int_eq(db_setxattr(db, f, "user.a", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "user.b", "2", 1, 0), 0);
	age(f);
	ck_assert_int_eq(db_removexattr(db, f, "user.a"), 0);
	ck_assert(changed_since_age(attr(f).st_ctim));
	ck_assert_int_eq(db_getxattr(db, f, "user.a", buf, sizeof(buf)),
			 -ENODATA);
	ck_assert_int_eq(db_removexattr(db, f, "user.a"), -ENODATA);
	ck_assert_int_eq(db_removexattr(db, f, "user.zzz"), -ENODATA);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 7);
	ck_assert_mem_eq(buf, "user.b", 7);
	ck_assert_int_eq(db_getxattr(db, f, "user.b", buf, sizeof(buf)), 1);
}
END_TEST

/* The set-ID rule alone: which mode bits a kill mask takes. */
START_TEST(test_killed_mode)
{
	const mode_t reg = S_IFREG, dir = S_IFDIR;

	ck_assert_uint_eq(db_killed_mode(reg | 06755, 0), reg | 06755);
	ck_assert_uint_eq(db_killed_mode(reg | 06755, DB_KILL_CAPS),
			  reg | 06755);
	ck_assert_uint_eq(db_killed_mode(reg | 06755, DB_KILL_SUIDGID),
			  reg | 0755);
	/* set-group-ID without group execute stays, unless DB_KILL_SGID */
	ck_assert_uint_eq(db_killed_mode(reg | 06745, DB_KILL_SUIDGID),
			  reg | 02745);
	ck_assert_uint_eq(
		db_killed_mode(reg | 06745, DB_KILL_SUIDGID | DB_KILL_SGID),
		reg | 0745);
	/* DB_KILL_SGID alone drops nothing */
	ck_assert_uint_eq(db_killed_mode(reg | 06745, DB_KILL_SGID),
			  reg | 06745);
	/* a directory keeps its bits */
	ck_assert_uint_eq(db_killed_mode(dir | 07755,
					 DB_KILL_CAPS_SUIDGID | DB_KILL_SGID),
			  dir | 07755);
}
END_TEST

/* What a write or chown drops when the kernel leaves it to the daemon. */
START_TEST(test_kill_priv)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st = {.st_mode = 06777}, out;
	char buf[8];

	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	/* a plain write keeps both */
	ck_assert_int_eq(db_write(db, f, 0, "a", 1, 0, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06777);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8), 1);
	/* DB_KILL_CAPS drops the capabilities only */
	ck_assert_int_eq(db_write(db, f, 0, "b", 1, DB_KILL_CAPS, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06777);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	/* DB_KILL_SUIDGID the bits; set-group-ID only with group execute */
	ck_assert_int_eq(db_write(db, f, 0, "c", 1, DB_KILL_SUIDGID, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0777);
	st.st_mode = 06767;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_write(db, f, 0, "d", 1, DB_KILL_SUIDGID, NULL), 1);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 02767);
	/* chown drops capabilities; DB_SET_KILL_SUIDGID the bits too */
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	st.st_uid = 7;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_UID, &out), 0);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	st.st_mode = 06777;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(
		db_setattr(db, f, &st, DB_SET_UID | DB_SET_KILL_SUIDGID, &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 0777);
	assert_bytes(f, 0, "d", 1);
}
END_TEST

/* fallocate, punch hole and copy drop what a write drops, and say so. */
START_TEST(test_kill_priv_fallocate_copy)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	struct stat st = {.st_mode = 06767}, out;
	unsigned changed;
	char buf[8];

	put(f, 0, "0123456789", 10);
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.capability", "c", 1, 0),
			 0);
	/* no kill: nothing dropped, nothing to tell */
	ck_assert_int_eq(db_fallocate(db, f, 0, 0, 20, 0, &changed), 0);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06767);
	/* a punch past EOF drops nothing either, as on ext4 */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     100, 10, DB_KILL_CAPS_SUIDGID, &changed),
		0);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 06767);
	/* set-group-ID stays without group execute, capabilities go */
	ck_assert_int_eq(
		db_fallocate(db, f, 0, 0, 30, DB_KILL_CAPS_SUIDGID, &changed),
		0);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 02767);
	ck_assert_int_eq(attr(f).st_size, 30);
	ck_assert_int_eq(db_getxattr(db, f, "security.capability", buf, 8),
			 -ENODATA);
	/* DB_KILL_SGID: the writer is outside the group */
	ck_assert_int_eq(
		db_fallocate(db, f, DB_FALLOC_PUNCH_HOLE | DB_FALLOC_KEEP_SIZE,
			     2, 3, DB_KILL_SUIDGID | DB_KILL_SGID, &changed),
		0);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
	assert_bytes(f, 0,
		     "01\0\0\0"
		     "56789",
		     10);
	/* a failed fallocate changes nothing */
	st.st_mode = 04777;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_fallocate(db, f, 0, INT64_MAX, 1,
				      DB_KILL_CAPS_SUIDGID, &changed),
			 -EFBIG);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);

	/* copy_file_range into a set-user-ID file, the source keeps its bits */
	ck_assert_int_eq(db_setattr(db, g, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(
		db_copy_range(db, g, 0, f, 0, 10, DB_KILL_SUIDGID, &changed),
		0); /* g is empty: nothing copied, nothing dropped */
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);
	put(g, 0, "abc", 3);
	ck_assert_int_eq(db_copy_range(db, g, 0, f, 0, 3, 0, &changed), 3);
	ck_assert_uint_eq(changed, 0);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 04777);
	ck_assert_int_eq(
		db_copy_range(db, g, 0, f, 4, 3, DB_KILL_SUIDGID, &changed), 3);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0777);
	ck_assert_uint_eq(attr(g).st_mode & 07777, 04777);
	assert_bytes(f, 0, "abc\0abc789", 10);
	/* and a write says when it dropped some */
	st.st_mode = 02767;
	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	ck_assert_int_eq(db_write(db, f, 0, "x", 1, DB_KILL_SUIDGID, &changed),
			 1);
	ck_assert_uint_eq(changed, 0);
	ck_assert_int_eq(db_write(db, f, 0, "y", 1,
				  DB_KILL_SUIDGID | DB_KILL_SGID, &changed),
			 1);
	ck_assert_uint_eq(changed, DB_CHANGED_MODE);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
}
END_TEST

/* Truncate by a caller outside the group drops set-group-ID too. */
START_TEST(test_kill_priv_truncate)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	struct stat st = {.st_mode = 06767}, out;

	ck_assert_int_eq(db_setattr(db, f, &st, DB_SET_MODE, &out), 0);
	st.st_size = 5;
	ck_assert_int_eq(
		db_setattr(db, f, &st, DB_SET_SIZE | DB_SET_KILL_SUIDGID, &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 02767);
	ck_assert_int_eq(
		db_setattr(db, f, &st,
			   DB_SET_SIZE | DB_SET_KILL_SUIDGID | DB_SET_KILL_SGID,
			   &out),
		0);
	ck_assert_uint_eq(out.st_mode & 07777, 0767);
	ck_assert_uint_eq(attr(f).st_mode & 07777, 0767);
}
END_TEST

/* The xattr form of an ACL: version 2, then (tag, perm, id) entries. */
static size_t acl_value(unsigned char *buf, const uint32_t (*e)[3], size_t n)
{
	uint32_t version = 2;
	size_t i;

	memcpy(buf, &version, 4);
	for (i = 0; i < n; i++) {
		uint16_t tag = (uint16_t) e[i][0], perm = (uint16_t) e[i][1];
		uint32_t id = e[i][2];

		memcpy(buf + 4 + 8 * i, &tag, 2);
		memcpy(buf + 6 + 8 * i, &perm, 2);
		memcpy(buf + 8 + 8 * i, &id, 4);
	}
	return 4 + 8 * n;
}

#define ACL_ACCESS "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define NO_ID UINT32_MAX

/*
 * ACLs in the db layer: the mode an access ACL sets, kept only if it says
 * more; chmod changing the mask; a default ACL inherited by db_mknod in
 * place of the cred's umask; the set-group-ID bit dropped on request;
 * refusals; db_set_acl(db, 0).
 */
START_TEST(test_acl)
{
	static const uint32_t named[][3] = {{1, 6, NO_ID},
					    {2, 4, 1000},
					    {4, 0, NO_ID},
					    {0x10, 4, NO_ID},
					    {0x20, 0, NO_ID}};
	static const uint32_t plain[][3] = {
		{1, 7, NO_ID}, {4, 5, NO_ID}, {0x20, 0, NO_ID}};
	static const uint32_t dflt[][3] = {{1, 7, NO_ID},
					   {2, 7, 1000},
					   {4, 5, NO_ID},
					   {0x10, 7, NO_ID},
					   {0x20, 5, NO_ID}};
	struct db_cred masked = {.uid = 0, .gid = 0, .umask = 077};
	unsigned char v[128], got[128];
	size_t n;
	struct stat st, in;
	ino_t f = mkfile(DB_ROOT_INO, "f"), d = mkdir_in(DB_ROOT_INO, "d");

	ck_assert_int_eq(db_getattr(db, f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	n = acl_value(v, named, 5);
	ck_assert_int_eq(db_setxattr(db, f, ACL_ACCESS, v, n, 0), 0);
	ck_assert_int_eq(db_getattr(db, f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(db_getxattr(db, f, ACL_ACCESS, got, sizeof(got)),
			 (ssize_t) n);
	ck_assert_mem_eq(got, v, n);
	/* chmod: the mask follows the group bits */
	memset(&in, 0, sizeof(in));
	in.st_mode = 0604;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &st), 0);
	ck_assert_int_eq(db_getxattr(db, f, ACL_ACCESS, got, sizeof(got)),
			 (ssize_t) n);
	ck_assert_uint_eq(got[4 + 8 * 3 + 2], 0); /* the mask's perm */
	ck_assert_uint_eq(got[4 + 8 * 4 + 2], 4); /* other's */
	/* an ACL the mode says all of: the mode, no row */
	n = acl_value(v, plain, 3);
	ck_assert_int_eq(db_setxattr(db, f, ACL_ACCESS, v, n, 0), 0);
	ck_assert_int_eq(db_getattr(db, f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(db_getxattr(db, f, ACL_ACCESS, got, sizeof(got)),
			 -ENODATA);
	/* set-group-ID dropped when asked */
	in.st_mode = 02750;
	ck_assert_int_eq(db_setattr(db, f, &in, DB_SET_MODE, &st), 0);
	ck_assert_int_eq(db_setxattr(db, f, ACL_ACCESS, v, n, 0), 0);
	ck_assert_int_eq(db_getattr(db, f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 02750);
	ck_assert_int_eq(
		db_setxattr(db, f, ACL_ACCESS, v, n, DB_XATTR_ACL_KILL_SGID),
		0);
	ck_assert_int_eq(db_getattr(db, f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	/* refusals: a default ACL on a file, malformed, truncated */
	ck_assert_int_eq(db_setxattr(db, f, ACL_DEFAULT, v, n, 0), -EACCES);
	ck_assert_int_eq(db_setxattr(db, f, ACL_ACCESS, v, n - 8, 0), -EINVAL);
	ck_assert_int_eq(db_setxattr(db, f, ACL_ACCESS, v, n - 1, 0), -EINVAL);
	/* the umask without a default ACL, the default ACL without it */
	ck_assert_int_eq(
		db_mknod(db, d, "u", S_IFREG | 0666, 0, NULL, &masked, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	n = acl_value(v, dflt, 5);
	ck_assert_int_eq(db_setxattr(db, d, ACL_DEFAULT, v, n, 0), 0);
	ck_assert_int_eq(db_getattr(db, d, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(
		db_mknod(db, d, "g", S_IFREG | 0666, 0, NULL, &masked, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0664);
	ck_assert_int_eq(
		db_getxattr(db, st.st_ino, ACL_DEFAULT, got, sizeof(got)),
		-ENODATA);
	ck_assert_int_eq(
		db_getxattr(db, st.st_ino, ACL_ACCESS, got, sizeof(got)),
		(ssize_t) n);
	ck_assert_uint_eq(got[4 + 8 * 3 + 2], 6); /* the mask */
	ck_assert_int_eq(
		db_mknod(db, d, "s", S_IFDIR | 0777, 0, NULL, &masked, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0775);
	ck_assert_int_eq(
		db_getxattr(db, st.st_ino, ACL_DEFAULT, got, sizeof(got)),
		(ssize_t) n);
	ck_assert_mem_eq(got, v, n);
	/* noacl: refused, and not listed */
	db_set_acl(db, 0);
	ck_assert_int_eq(db_getxattr(db, d, ACL_DEFAULT, got, sizeof(got)),
			 -EOPNOTSUPP);
	ck_assert_int_eq(db_setxattr(db, d, ACL_DEFAULT, v, n, 0), -EOPNOTSUPP);
	ck_assert_int_eq(db_removexattr(db, d, ACL_DEFAULT), -EOPNOTSUPP);
	ck_assert_int_eq(db_listxattr(db, d, (char *) got, sizeof(got)), 0);
	ck_assert_int_eq(
		db_mknod(db, d, "n", S_IFREG | 0666, 0, NULL, &masked, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	db_set_acl(db, 1);
	ck_assert_int_eq(db_listxattr(db, d, (char *) got, sizeof(got)),
			 (ssize_t) sizeof(ACL_DEFAULT));
}
END_TEST

START_TEST(test_xattr_namespaces)
{
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[8], name[300];

	ck_assert_int_eq(db_setxattr(db, f, "system.x", "1", 1, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(
		db_setxattr(db, f, "system.posix_acl_access", "1", 1, 0),
		-EINVAL);
	ck_assert_int_eq(db_setxattr(db, f, "foo", "1", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(db_setxattr(db, f, "users.x", "1", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(db_getxattr(db, f, "system.x", buf, sizeof(buf)),
			 -EOPNOTSUPP);
	ck_assert_int_eq(
		db_getxattr(db, f, "system.posix_acl_access", buf, sizeof(buf)),
		-ENODATA);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_setxattr(db, f, "trusted.t", "1", 1, 0), 0);
	ck_assert_int_eq(db_setxattr(db, f, "security.s", "1", 1, 0), 0);
	/* names up to 255 bytes */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = '\0';
	ck_assert_int_eq(db_setxattr(db, f, name, "1", 1, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, name, buf, sizeof(buf)), 1);
	name[255] = 'n';
	name[256] = '\0';
	ck_assert_int_eq(db_setxattr(db, f, name, "1", 1, 0), -ERANGE);
}
END_TEST

START_TEST(test_xattr_binary_empty)
{
	static const char bin[] = {'a', 0, 'b', 0, 0, 'c', (char) 0xff, 0};
	ino_t f = mkfile(DB_ROOT_INO, "f");
	char buf[32];

	ck_assert_int_eq(db_setxattr(db, f, "user.bin", bin, sizeof(bin), 0),
			 0);
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(db_getxattr(db, f, "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert_mem_eq(buf, bin, sizeof(bin));
	ck_assert_int_eq(db_setxattr(db, f, "user.empty", "", 0, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", NULL, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", buf, sizeof(buf)), 0);
	ck_assert_int_eq(db_listxattr(db, f, buf, sizeof(buf)), 20);
	ck_assert_mem_eq(buf, "user.bin\0user.empty", 20);
	/* and both survive a reopen */
	close_db();
	open_db(0);
	ck_assert_int_eq(db_getxattr(db, f, "user.bin", buf, sizeof(buf)),
			 sizeof(bin));
	ck_assert_mem_eq(buf, bin, sizeof(bin));
	ck_assert_int_eq(db_getxattr(db, f, "user.empty", buf, sizeof(buf)), 0);
}
END_TEST

/*
 * getxattr of a security.* name, asked of every file by ls -l and the
 * kernel, while the filesystem has none: -ENODATA without a query (so
 * also for an inode that does not exist, where a query says -ENOENT).
 * Once one is set it is found at once; it survives a reopen, and so does
 * a row some other program wrote while the database was closed.
 */
START_TEST(test_xattr_security_fast)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), g = mkfile(DB_ROOT_INO, "g");
	char buf[8];

	ck_assert_int_eq(db_getxattr(db, f, "security.selinux", NULL, 0),
			 -ENODATA);
	ck_assert_int_eq(db_getxattr(db, f, "security.selinux", buf, 8),
			 -ENODATA);
	ck_assert_int_eq(db_getxattr(db, 999999, "security.x", buf, 8),
			 -ENODATA);
	ck_assert_int_eq(db_getxattr(db, 999999, "user.x", buf, 8), -ENOENT);

	ck_assert_int_eq(db_setxattr(db, f, "security.a", "v", 1, 0), 0);
	ck_assert_int_eq(db_getxattr(db, f, "security.a", NULL, 0), 1);
	ck_assert_int_eq(db_getxattr(db, f, "security.a", buf, 8), 1);
	ck_assert_mem_eq(buf, "v", 1);
	ck_assert_int_eq(db_getxattr(db, g, "security.a", buf, 8), -ENODATA);
	ck_assert_int_eq(db_getxattr(db, 999999, "security.x", buf, 8),
			 -ENOENT);
	close_db();
	open_db(0);
	ck_assert_int_eq(db_getxattr(db, f, "security.a", buf, 8), 1);
	ck_assert_int_eq(db_removexattr(db, f, "security.a"), 0);
	ck_assert_int_eq(db_getxattr(db, f, "security.a", buf, 8), -ENODATA);

	/* none left: the fast answer again after a reopen ... */
	close_db();
	open_db(0);
	ck_assert_int_eq(db_getxattr(db, 999999, "security.x", buf, 8),
			 -ENODATA);
	/* ... but not for a row stored behind the daemon's back */
	close_db();
	sql_exec(db_path, "INSERT INTO xattr (ino, name, value) "
			  "SELECT ino, 'security.ext', 'e' FROM dentry "
			  "WHERE name = 'g'");
	open_db(0);
	ck_assert_int_eq(db_getxattr(db, g, "security.ext", buf, 8), 1);
	ck_assert_mem_eq(buf, "e", 1);
	ck_assert_int_eq(db_getxattr(db, f, "security.ext", buf, 8), -ENODATA);
}
END_TEST

/*
 * A read-only database might be written by another program while open:
 * its security.* names are always looked up.
 */
START_TEST(test_xattr_security_readonly)
{
	char buf[8];

	mkfile(DB_ROOT_INO, "f");
	close_db();
	open_db(DB_OPEN_READONLY);
	ck_assert_int_eq(db_getxattr(db, 999999, "security.x", buf, 8),
			 -ENOENT);
}
END_TEST

/*
 * A batch SQLite rolls back brings back a security.* name it removed:
 * getxattr must find it again.
 */
START_TEST(test_xattr_security_lost_batch)
{
	ino_t f = mkfile(DB_ROOT_INO, "f"), big = mkfile(DB_ROOT_INO, "big");
	char buf[8], *data = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(db_setxattr(db, f, "security.keep", "k", 1, 0), 0);
	ck_assert_int_eq(db_sync(db), 0);
	reopen_failing();
	ck_assert_int_eq(db_setxattr(db, f, "security.gone", "g", 1, 0), 0);
	ck_assert_int_eq(db_removexattr(db, f, "security.keep"), 0);
	ck_assert_int_eq(db_getxattr(db, f, "security.keep", buf, 8), -ENODATA);
	ck_assert_int_eq(db_removexattr(db, f, "security.gone"), 0);
	put(big, 0, data, 1 << 20);
	writes_fail = 1;
	ck_assert_int_lt(db_sync(db), 0);
	writes_fail = 0;
	ck_assert_uint_eq(db_lost(db), 1);
	ck_assert_int_eq(db_getxattr(db, f, "security.keep", buf, 8), 1);
	ck_assert_mem_eq(buf, "k", 1);
	ck_assert_int_eq(db_getxattr(db, f, "security.gone", buf, 8), -ENODATA);
	free(data);
}
END_TEST

/* Adds the cases of the "xattr" test case, in their order. */
void add_xattr_cases(TCase *tc)
{
	tcase_add_test(tc, test_xattr_flags);
	tcase_add_test(tc, test_xattr_sizes);
	tcase_add_test(tc, test_xattr_list);
	tcase_add_test(tc, test_xattr_remove);
	tcase_add_test(tc, test_xattr_namespaces);
	tcase_add_test(tc, test_acl);
	tcase_add_test(tc, test_killed_mode);
	tcase_add_test(tc, test_kill_priv);
	tcase_add_test(tc, test_kill_priv_fallocate_copy);
	tcase_add_test(tc, test_kill_priv_truncate);
	tcase_add_test(tc, test_xattr_binary_empty);
	tcase_add_test(tc, test_xattr_security_fast);
	tcase_add_test(tc, test_xattr_security_readonly);
	tcase_add_test(tc, test_xattr_security_lost_batch);
}
