/*
 * journal.h - the change journal and the search indexes as programs see
 * them: reason flags, settings keys, cursors, the control ioctl
 *
 * The journal lives in the database (table journal, src/schema.sql): one
 * row per inode changed in a batch, written in the batch's transaction, so
 * an event is there if and only if its change committed.  Event ids only
 * grow and are never reused; settings say which are retained:
 *
 *   journal_next   the id the next event gets (the newest is one less);
 *   journal_start  the oldest id not trimmed: every event from it to the
 *                  newest is in the table (ids have no gaps);
 *   uuid           the filesystem's identity, made at mkfs.
 *
 * A cursor names what a client has seen: "UUID:ID:STAMP", every event up
 * to ID of filesystem UUID, STAMP the time (ns, hex) of event ID (0 when
 * ID is 0), which tells a database restored from an older copy that has
 * since reached ID again apart from the one the client read.
 *
 * This header depends on nothing but libc: the tools use it too.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* What happened to an inode, or-ed together within one batch. */
#define JR_CREATED 0x01 /* made (mknod, mkdir, create, symlink) */
#define JR_REMOVED 0x02 /* lost a name (its last, or one of its links) */
#define JR_RENAMED 0x04 /* moved: old_parent/old_path to parent/path */
#define JR_DATA                                                                \
	0x08	       /* contents: write, truncate, fallocate, punch
			 * hole, copy target; data_start..data_end */
#define JR_ATTRIB 0x10 /* chmod, chown, utimens */
#define JR_XATTR 0x20  /* an extended attribute set or removed */
#define JR_LINK 0x40   /* gained a name (link) */
#define JR_ALL 0x7f

/* The settings keys of the journal (table settings). */
#define JR_KEY_UUID "uuid"
#define JR_KEY_NEXT "journal_next"
#define JR_KEY_START "journal_start"
#define JR_KEY_ENABLED "journal"	       /* 1 records events, 0 not */
#define JR_KEY_MAX_EVENTS "journal_max_events" /* 0: no limit */
#define JR_KEY_MAX_AGE "journal_max_age"       /* seconds, 0: no limit */

/* Retention chosen by mkfs (docs/performance.md: bytes per event). */
#define JR_DEFAULT_MAX_EVENTS 1000000
#define JR_DEFAULT_MAX_AGE 0

/* Length of a UUID in text form, without the NUL. */
#define JR_UUID_LEN 36
/* Room for a cursor, NUL included. */
#define JR_CURSOR_MAX 96

/* The name of one reason bit ("created", "removed", ...), NULL if none. */
const char *jr_reason_name(unsigned bit);

/*
 * Writes the names of reasons, comma-separated in bit order, into buf;
 * returns the length it needed (as snprintf).
 */
int jr_reasons_format(unsigned reasons, char *buf, size_t size);

/* Parses "created,data": the bits, or -1 for an unknown name. */
int jr_reasons_parse(const char *s);

/* Writes cursor uuid:id:stamp into buf (JR_CURSOR_MAX bytes). */
void jr_cursor_format(char *buf, const char *uuid, int64_t id, int64_t stamp);

/*
 * Parses a cursor: 0, or -1 when s is not one (uuid gets JR_UUID_LEN + 1
 * bytes).
 */
int jr_cursor_parse(const char *s, char *uuid, int64_t *id, int64_t *stamp);

/*
 * Exit statuses of the programs that read the journal (sqlitefs-changes(8),
 * sqlitefs-find(8) --since): the three answers to a cursor that cannot be
 * used are distinct, so that a client knows to rescan.
 */
enum jr_exit {
	JR_EXIT_OK = 0,
	JR_EXIT_ERROR = 1,	/* cannot open or read, I/O */
	JR_EXIT_USAGE = 2,	/* bad option, cursor, expression or path */
	JR_EXIT_INCOMPLETE = 3, /* events after the cursor were trimmed */
	JR_EXIT_OTHERFS = 4,	/* the cursor names another filesystem */
	JR_EXIT_AHEAD = 5,	/* the cursor is ahead: restored from a copy */
	JR_EXIT_NOJOURNAL = 6,	/* format 1, or the journal is off */
};

/*
 * Checks the cursor (uuid, id) against a journal: fs_uuid, start its oldest
 * id kept, next the id its next event gets.  0 when every event after id
 * is kept, else JR_EXIT_OTHERFS, JR_EXIT_AHEAD or JR_EXIT_INCOMPLETE with
 * msg saying why (no program name, no newline).  Whether the event id
 * itself is the one the cursor saw is jr_cursor_stamp()'s.
 */
int jr_cursor_check(const char *uuid, int64_t id, const char *fs_uuid,
		    int64_t start, int64_t next, char *msg, size_t size);

/*
 * The cursor's event id, kept, has time `time` where the cursor says stamp
 * (found 0: the event is gone): 0 when they agree, else JR_EXIT_AHEAD with
 * msg saying the database was restored from an older copy.
 */
int jr_cursor_stamp(int64_t id, int64_t stamp, int found, int64_t time,
		    char *msg, size_t size);

/* Whether s is a UUID in the form mkfs writes (lowercase hex, 8-4-4-4-12). */
int jr_uuid_valid(const char *s);

/*
 * The control request of a mounted filesystem: ioctl(2) on a directory of
 * the mount (its root), by root or the owner of the root directory.  Keys:
 * journal (on, off), journal_max_events (a count, 0 for no limit),
 * journal_max_age (seconds, 0 for no limit), index_add and index_drop
 * (an index name: see db_index_add() in db.h).  Fails with the errno of
 * db_set().
 */
struct sqlitefs_set {
	char key[64];
	char value[448];
};
#define SQLITEFS_IOC_SET _IOW('Q', 0x51, struct sqlitefs_set)

#endif
