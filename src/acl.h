/*
 * acl.h - POSIX ACLs in their extended-attribute form
 *
 * An ACL is stored as the value of the xattr system.posix_acl_access (the
 * access ACL, checked by the kernel) or system.posix_acl_default (a
 * directory's default ACL, inherited by what is made in it), in the form
 * the kernel passes: a little-endian header (version 2), then one 8-byte
 * entry (tag, permissions, id) per entry.  These functions only read,
 * check and compute; the db layer stores.
 */
#ifndef SQLITEFS_ACL_H
#define SQLITEFS_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ACL_XATTR_ACCESS "system.posix_acl_access"
#define ACL_XATTR_DEFAULT "system.posix_acl_default"

/*
 * The most entries: what the kernel's FUSE client reads back in one page
 * ((4096 - 4) / 8).
 */
#define ACL_ENTRIES_MAX 511

/* The longest value of an ACL xattr. */
#define ACL_VALUE_MAX (4 + 8 * ACL_ENTRIES_MAX)

/* Entry tags, as <linux/posix_acl.h> numbers them. */
#define ACL_TAG_USER_OBJ 0x01
#define ACL_TAG_USER 0x02
#define ACL_TAG_GROUP_OBJ 0x04
#define ACL_TAG_GROUP 0x08
#define ACL_TAG_MASK 0x10
#define ACL_TAG_OTHER 0x20

struct acl_entry {
	uint16_t tag;  /* ACL_TAG_* */
	uint16_t perm; /* rwx as 4, 2, 1 */
	uint32_t id;   /* uid or gid of a USER or GROUP entry */
};

struct acl {
	size_t n; /* entries used */
	struct acl_entry e[ACL_ENTRIES_MAX];
};

/*
 * 1 if name is one of the two ACL xattrs (ACL_XATTR_ACCESS: 1,
 * ACL_XATTR_DEFAULT: 2), else 0.
 */
int acl_name(const char *name);

/*
 * Reads the size bytes at value into acl, and checks it as the kernel's
 * posix_acl_valid() does: tags in order, one owner, group and other entry,
 * a mask where there are named entries, permissions within rwx.  Returns
 * 0, -EINVAL for a malformed or invalid value (also an empty one), or
 * -E2BIG for more than ACL_ENTRIES_MAX entries.
 */
int acl_parse(const void *value, size_t size, struct acl *acl);

/* The bytes of acl's xattr value: acl_size(acl) of them into buf. */
size_t acl_size(const struct acl *acl);
void acl_encode(const struct acl *acl, void *buf);

/*
 * The permission bits of *mode that access ACL acl stands for (owner,
 * the mask or else the group entry, other), set in *mode.  Returns 1 if
 * acl says more than those bits (it must be stored), 0 if not.
 */
int acl_equiv_mode(const struct acl *acl, mode_t *mode);

/* chmod of a file with access ACL acl: its entries follow mode's bits. */
void acl_chmod(struct acl *acl, mode_t mode);

/*
 * A new inode of permissions *mode in a directory with default ACL acl:
 * acl becomes the new inode's access ACL, its owner, mask (or group) and
 * other entries limited by *mode, and *mode limited by them (the umask is
 * not applied).  Returns 1 if the new ACL must be stored, 0 if the mode
 * says it all.
 */
int acl_create(struct acl *acl, mode_t *mode);

#endif
