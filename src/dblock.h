/*
 * dblock.h - the locks that keep sqlitefs programs off a database in use
 *
 * Every sqlitefs program that works on a database file (the daemon,
 * fsck.sqlitefs, mkfs.sqlitefs -f) takes two locks on a descriptor of
 * that file, with dblock_take():
 *   "in use"  flock(2), exclusive, held until the program exits;
 *   "busy"    an open-file-description read lock (F_OFD_SETLK) on byte
 *             DBLOCK_BUSY_BYTE, held while the program serves a mount or
 *             works on the file.
 * A daemon whose mount is gone gives "busy" up (dblock_finishing()) and
 * keeps "in use" while it commits, checkpoints and closes the database.
 * So a program that finds "in use" taken refuses at once when "busy" is
 * taken too and the database is mounted (a mount is served), and
 * otherwise waits, up to DBLOCK_WAIT_SECONDS, for the finishing daemon to
 * exit.  The kernel lets umount(2) return before the daemon learns of it:
 * "busy" held while no mount of the database is in /proc/self/mountinfo
 * is waited for DBLOCK_GRACE_MS at most (a mount in another mount
 * namespace, or fsck at work, are refused after that).
 *
 * Both kinds of lock belong to the open file description: they survive
 * the daemon's fork, and closing another descriptor of the file (SQLite
 * opens its own) drops neither, where it would drop POSIX record locks.
 * The busy byte is far from SQLite's lock bytes (at 1 GiB), and OFD read
 * locks work on descriptors opened read-only.  Daemons of versions
 * before the busy lock take only the flock: they look finishing, so a
 * program waits for them up to the bound, then refuses.
 */
#ifndef DBLOCK_H
#define DBLOCK_H

/* How long a program waits for a finishing daemon, in seconds. */
#define DBLOCK_WAIT_SECONDS 60

/* How long "busy" without a mount here is waited for, in milliseconds. */
#define DBLOCK_GRACE_MS 3000

/* The byte of the busy lock: 2^62, far past SQLite's lock bytes. */
#define DBLOCK_BUSY_BYTE ((long long) 1 << 62)

/*
 * Takes both locks on fd, an open descriptor of the database path.  When
 * a daemon is finishing with it, prints "PROG: waiting for the sqlitefs
 * daemon finishing with PATH" on stderr (unless prog is NULL) and waits.
 * Returns 0; -EBUSY when a mount of it is served or another program works
 * on it (see above); -ETIMEDOUT when it was still in use after DBLOCK_WAIT_SECONDS;
 * another -errno when flock fails.  On failure no lock is held.
 */
int dblock_take(int fd, const char *path, const char *prog);

/*
 * Gives the busy lock up, keeping "in use": the daemon calls it once its
 * mount is gone, before the last commit.
 */
void dblock_finishing(int fd);

/*
 * Waits until no program holds the "in use" lock of the database open on
 * fd (the daemon of an unmounted filesystem has exited), or a new program
 * has taken it after the one using it let "busy" go.  Prints "PROG:
 * waiting for the sqlitefs daemon finishing with PATH" once it has
 * waited notice_ms milliseconds.  Returns 0; -ETIMEDOUT after seconds,
 * -EBUSY instead when a mount of it is still served then (mounted in
 * another mount namespace, say); another -errno when flock fails.
 */
int dblock_wait_exit(int fd, const char *path, const char *prog, int seconds,
		     int notice_ms);

#endif
