/*
 * acl.c - POSIX ACLs in their extended-attribute form
 *
 * The rules are the kernel's (fs/posix_acl.c), so that sqlitefs computes
 * the same modes and inherited ACLs as ext4: posix_acl_valid(),
 * posix_acl_equiv_mode(), posix_acl_chmod() and posix_acl_create().
 */
#include "acl.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define ACL_XATTR_VERSION 0x0002
#define ACL_HEADER_SIZE 4
#define ACL_ENTRY_SIZE 8
#define ACL_UNDEFINED_ID UINT32_MAX

int acl_name(const char *name)
{
	if (!strcmp(name, ACL_XATTR_ACCESS))
		return 1;
	if (!strcmp(name, ACL_XATTR_DEFAULT))
		return 2;
	return 0;
}

/* 0 if the entries of acl are in the kernel's order and complete. */
static int acl_valid(const struct acl *acl)
{
	enum { OWNER, NAMED_USERS, NAMED_GROUPS, OTHER, END } state = OWNER;
	int needs_mask = 0;
	size_t i;

	for (i = 0; i < acl->n; i++) {
		const struct acl_entry *e = &acl->e[i];

		if (e->perm & ~7u)
			return -EINVAL;
		switch (e->tag) {
		case ACL_TAG_USER_OBJ:
			if (state != OWNER)
				return -EINVAL;
			state = NAMED_USERS;
			break;
		case ACL_TAG_USER:
			if (state != NAMED_USERS)
				return -EINVAL;
			needs_mask = 1;
			break;
		case ACL_TAG_GROUP_OBJ:
			if (state != NAMED_USERS)
				return -EINVAL;
			state = NAMED_GROUPS;
			break;
		case ACL_TAG_GROUP:
			if (state != NAMED_GROUPS)
				return -EINVAL;
			needs_mask = 1;
			break;
		case ACL_TAG_MASK:
			if (state != NAMED_GROUPS)
				return -EINVAL;
			state = OTHER;
			break;
		case ACL_TAG_OTHER:
			if (state != OTHER &&
			    (state != NAMED_GROUPS || needs_mask))
				return -EINVAL;
			state = END;
			break;
		default:
			return -EINVAL;
		}
	}
	return state == END ? 0 : -EINVAL;
}

int acl_parse(const void *value, size_t size, struct acl *acl)
{
	const unsigned char *p = value;
	uint32_t version;
	size_t i;

	if (size < ACL_HEADER_SIZE ||
	    (size - ACL_HEADER_SIZE) % ACL_ENTRY_SIZE != 0)
		return -EINVAL;
	memcpy(&version, p, sizeof(version));
	if (le32toh(version) != ACL_XATTR_VERSION)
		return -EINVAL;
	acl->n = (size - ACL_HEADER_SIZE) / ACL_ENTRY_SIZE;
	if (acl->n > ACL_ENTRIES_MAX)
		return -E2BIG;
	for (i = 0; i < acl->n; i++) {
		const unsigned char *q =
			p + ACL_HEADER_SIZE + i * ACL_ENTRY_SIZE;
		uint16_t tag, perm;
		uint32_t id;

		memcpy(&tag, q, 2);
		memcpy(&perm, q + 2, 2);
		memcpy(&id, q + 4, 4);
		acl->e[i].tag = le16toh(tag);
		acl->e[i].perm = le16toh(perm);
		acl->e[i].id = le32toh(id);
	}
	return acl_valid(acl);
}

size_t acl_size(const struct acl *acl)
{
	return ACL_HEADER_SIZE + acl->n * ACL_ENTRY_SIZE;
}

void acl_encode(const struct acl *acl, void *buf)
{
	unsigned char *p = buf;
	uint32_t version = htole32(ACL_XATTR_VERSION);
	size_t i;

	memcpy(p, &version, sizeof(version));
	for (i = 0; i < acl->n; i++) {
		unsigned char *q = p + ACL_HEADER_SIZE + i * ACL_ENTRY_SIZE;
		const struct acl_entry *e = &acl->e[i];
		uint16_t tag = htole16(e->tag), perm = htole16(e->perm);
		uint32_t id = htole32(e->tag == ACL_TAG_USER ||
						      e->tag == ACL_TAG_GROUP
					      ? e->id
					      : ACL_UNDEFINED_ID);

		memcpy(q, &tag, 2);
		memcpy(q + 2, &perm, 2);
		memcpy(q + 4, &id, 4);
	}
}

int acl_equiv_mode(const struct acl *acl, mode_t *mode)
{
	mode_t bits = 0;
	int extended = 0;
	size_t i;

	for (i = 0; i < acl->n; i++) {
		const struct acl_entry *e = &acl->e[i];

		switch (e->tag) {
		case ACL_TAG_USER_OBJ:
			bits |= (mode_t) (e->perm & 7) << 6;
			break;
		case ACL_TAG_GROUP_OBJ:
			bits |= (mode_t) (e->perm & 7) << 3;
			break;
		case ACL_TAG_OTHER:
			bits |= e->perm & 7;
			break;
		case ACL_TAG_MASK:
			bits = (bits & ~(mode_t) 070) | (mode_t) (e->perm & 7)
								<< 3;
			extended = 1;
			break;
		default:
			extended = 1;
		}
	}
	*mode = (*mode & ~(mode_t) 0777) | bits;
	return extended;
}

/* The mask entry of acl, or else its group entry (NULL if damaged). */
static struct acl_entry *acl_group_class(struct acl *acl)
{
	struct acl_entry *group = NULL;
	size_t i;

	for (i = 0; i < acl->n; i++) {
		if (acl->e[i].tag == ACL_TAG_MASK)
			return &acl->e[i];
		if (acl->e[i].tag == ACL_TAG_GROUP_OBJ)
			group = &acl->e[i];
	}
	return group;
}

void acl_chmod(struct acl *acl, mode_t mode)
{
	struct acl_entry *group = acl_group_class(acl);
	size_t i;

	for (i = 0; i < acl->n; i++) {
		if (acl->e[i].tag == ACL_TAG_USER_OBJ)
			acl->e[i].perm = (mode >> 6) & 7;
		else if (acl->e[i].tag == ACL_TAG_OTHER)
			acl->e[i].perm = mode & 7;
	}
	if (group)
		group->perm = (mode >> 3) & 7;
}

int acl_create(struct acl *acl, mode_t *mode)
{
	struct acl_entry *group = acl_group_class(acl);
	mode_t m = *mode;
	int extended = 0;
	size_t i;

	for (i = 0; i < acl->n; i++) {
		struct acl_entry *e = &acl->e[i];

		switch (e->tag) {
		case ACL_TAG_USER_OBJ:
			e->perm &= (m >> 6) & 7;
			m &= (mode_t) (e->perm << 6) | ~(mode_t) 0700;
			break;
		case ACL_TAG_OTHER:
			e->perm &= m & 7;
			m &= (mode_t) e->perm | ~(mode_t) 07;
			break;
		case ACL_TAG_USER:
		case ACL_TAG_GROUP:
		case ACL_TAG_MASK:
			extended = 1;
			break;
		default:
			break;
		}
	}
	if (group) {
		group->perm &= (m >> 3) & 7;
		m &= (mode_t) (group->perm << 3) | ~(mode_t) 070;
	}
	*mode = m;
	return extended;
}
