/*
 * journal.c - reason names, cursors and UUIDs of the change journal, for
 * the daemon and the tools (journal.h)
 */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[] = {
	"created", "removed", "renamed", "data", "attrib", "xattr", "link",
};

#define NREASONS (sizeof(reason_names) / sizeof(reason_names[0]))

const char *jr_reason_name(unsigned bit)
{
	unsigned i;

	for (i = 0; i < NREASONS; i++)
		if (bit == 1u << i)
			return reason_names[i];
	return NULL;
}

int jr_reasons_format(unsigned reasons, char *buf, size_t size)
{
	size_t len = 0;
	unsigned i;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < NREASONS; i++) {
		int n;

		if (!(reasons & (1u << i)))
			continue;
		n = snprintf(buf + (len < size ? len : size),
			     len < size ? size - len : 0, "%s%s",
			     len ? "," : "", reason_names[i]);
		len += (size_t) n;
	}
	return (int) len;
}

int jr_reasons_parse(const char *s)
{
	int bits = 0;

	while (*s) {
		size_t n = strcspn(s, ",");
		unsigned i;

		for (i = 0; i < NREASONS; i++)
			if (strlen(reason_names[i]) == n &&
			    !strncmp(s, reason_names[i], n))
				break;
		if (i == NREASONS)
			return -1;
		bits |= 1 << i;
		s += n;
		if (*s == ',')
			s++;
	}
	return bits;
}

void jr_cursor_format(char *buf, const char *uuid, int64_t id, int64_t stamp)
{
	snprintf(buf, JR_CURSOR_MAX, "%s:%" PRId64 ":%" PRIx64, uuid, id,
		 (uint64_t) stamp);
}

int jr_uuid_valid(const char *s)
{
	int i;

	if (strlen(s) != JR_UUID_LEN)
		return 0;
	for (i = 0; i < JR_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
			 : !strchr("0123456789abcdef", s[i]) || !s[i])
			return 0;
	}
	return 1;
}

int jr_cursor_parse(const char *s, char *uuid, int64_t *id, int64_t *stamp)
{
	char *end;
	long long v;
	unsigned long long t;

	if (strlen(s) < JR_UUID_LEN + 4 || s[JR_UUID_LEN] != ':')
		return -1;
	memcpy(uuid, s, JR_UUID_LEN);
	uuid[JR_UUID_LEN] = '\0';
	if (!jr_uuid_valid(uuid))
		return -1;
	s += JR_UUID_LEN + 1;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != ':' || v < 0 || v == INT64_MAX)
		return -1;
	s = end + 1;
	if (!*s || !strchr("0123456789abcdef", *s))
		return -1;
	t = strtoull(s, &end, 16);
	if (*end)
		return -1;
	*id = v;
	*stamp = (int64_t) t;
	return 0;
}

int jr_cursor_check(const char *uuid, int64_t id, const char *fs_uuid,
		    int64_t start, int64_t next, char *msg, size_t size)
{
	if (strcmp(uuid, fs_uuid)) {
		snprintf(msg, size,
			 "the cursor is of another filesystem (%s, this is %s)",
			 uuid, fs_uuid);
		return JR_EXIT_OTHERFS;
	}
	if (id >= next) {
		snprintf(msg, size,
			 "the cursor is ahead of the journal (newest %" PRId64
			 "): the database was restored from an older copy; "
			 "rescan",
			 next - 1);
		return JR_EXIT_AHEAD;
	}
	if (id + 1 < start) {
		snprintf(msg, size,
			 "history incomplete: the oldest event kept is %" PRId64
			 ", after %" PRId64 "; rescan",
			 start, id + 1);
		return JR_EXIT_INCOMPLETE;
	}
	return 0;
}

int jr_cursor_stamp(int64_t id, int64_t stamp, int found, int64_t time,
		    char *msg, size_t size)
{
	if (found && time == stamp)
		return 0;
	snprintf(msg, size,
		 "the cursor is ahead of the journal (event %" PRId64
		 " is another): the database was restored from an older "
		 "copy; rescan",
		 id);
	return JR_EXIT_AHEAD;
}
