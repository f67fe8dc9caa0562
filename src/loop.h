/*
 * loop.h - the session loop, and the worker it hands slow requests to
 *
 * One thread, the loop, reads every request from /dev/fuse.  While the
 * worker is idle the loop handles each request itself, in order, as a
 * single-threaded daemon would: no hand-off costs a small request
 * anything.  A request that may wait for the disk (a large WRITE, FSYNC,
 * FSYNCDIR, a truncating SETATTR, COPY_FILE_RANGE, FALLOCATE) goes to the
 * worker; from then until the worker's queue is empty again, every
 * request that changes something goes to the queue behind it, in order.
 *
 * Meanwhile the loop answers the questions that change nothing (LOOKUP,
 * GETATTR, READLINK, READDIR, READDIRPLUS, GETXATTR, LISTXATTR, OPEN, and
 * READ unless it updates atime) itself, from the last commit, through a
 * second, read-only connection: the handler sees loop_snapshot() set,
 * reads there, and keeps the answer only if the open batch has not
 * touched what it depends on (db_snap_clean()).  Otherwise it calls
 * loop_defer(), and the request goes to the worker's queue as the others
 * do.  So a lookup of another directory no longer waits for a write, a
 * commit, a checkpoint or an fsync.  The same holds while another thread
 * (the committer) holds the database lock.
 */
#ifndef LOOP_H
#define LOOP_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>
#include <pthread.h>

struct db;
struct chan;
struct loop;

/*
 * A loop for session se; db is the database whose lock tells whether the
 * loop may wait for it (db_busy()), snapshot whether handlers can answer
 * from the last commit.  NULL when out of memory or when the worker cannot
 * start (the caller then runs fuse_session_loop()).
 */
struct loop *loop_new(struct fuse_session *se, struct db *db, int snapshot);

/*
 * Serves until the session exits; then waits until the worker has handled
 * every request handed to it.  Returns 0, or -errno when reading failed.
 */
int loop_run(struct loop *l);

/* Stops the worker (idle after loop_run()) and frees the loop. */
void loop_free(struct loop *l);

/*
 * In a handler: 1 if this request is to be answered from the last commit
 * (or deferred), 0 if from the database as usual.
 */
int loop_snapshot(void);

/*
 * In a handler with loop_snapshot() set: the answer from the last commit
 * may be stale; req is dropped unanswered and handed to the worker, which
 * handles it again from the start.
 */
void loop_defer(fuse_req_t req);

/*
 * In a handler: 0 if it must not wait for the database lock (a forget the
 * loop handles while the worker or the committer holds it), else 1.
 */
int loop_may_wait(void);

/* Starts a thread with every signal blocked: they are the loop's. */
int loop_spawn(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
