/*
 * loop.c - the session loop, and the worker it hands slow requests to:
 * see loop.h
 *
 * A request lives in a job, the buffer it was read into; the worker gets
 * the job, and the loop reads the next request into a spare one.  Lock
 * rules: l->lock guards the queue, the spares and the flags below; it is
 * never held while a request is handled.
 */
#include "loop.h"

#include "chan.h"
#include "db.h"

#include <errno.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The worker's queue holds at most this many requests (and buffers). */
#define LOOP_QUEUE_MAX 128

/* Buffers kept for reuse (each of the session's buffer size, ~1 MiB). */
#define LOOP_SPARES 4

/* A WRITE of at least this many bytes goes to the worker. */
#define LOOP_WRITE_SLOW (64 << 10)

struct job {
	struct job *next;
	struct fuse_buf buf;
};

struct loop {
	struct fuse_session *se;
	struct db *db;
	int snapshot; /* handlers can answer from the last commit */
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the worker: a job came, or stop */
	pthread_cond_t room; /* the loop: a job left the queue */
	struct job *head, **tail;
	unsigned queued;
	int busy; /* jobs queued or being handled */
	int stop; /* the worker should exit once the queue is empty */
	struct job *spare;
	unsigned spares;
};

/* The request the loop handles is answered from the last commit. */
static _Thread_local int snap_mode;
/* ... and its handler deferred it (loop_defer()). */
static _Thread_local int deferred;
/* The request the loop handles must not wait for the database lock. */
static _Thread_local int no_wait;

int loop_may_wait(void)
{
	return !no_wait;
}

int loop_snapshot(void)
{
	return snap_mode;
}

void loop_defer(fuse_req_t req)
{
	deferred = 1;
	fuse_reply_none(req); /* frees req: the worker makes a new one */
}

int loop_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void job_free(struct job *j)
{
	if (j) {
		free(j->buf.mem);
		free(j);
	}
}

/* A spare job, or a new one (its buffer made by the next read). */
static struct job *job_get(struct loop *l)
{
	struct job *j;

	pthread_mutex_lock(&l->lock);
	j = l->spare;
	if (j) {
		l->spare = j->next;
		l->spares--;
	}
	pthread_mutex_unlock(&l->lock);
	return j ? j : calloc(1, sizeof(*j));
}

/* Keeps j for reuse, or frees it; l->lock held. */
static void job_put_locked(struct loop *l, struct job *j)
{
	if (l->spares >= LOOP_SPARES) {
		job_free(j);
		return;
	}
	j->next = l->spare;
	l->spare = j;
	l->spares++;
}

static void *worker(void *arg)
{
	struct loop *l = arg;
	struct job *j;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		while (!l->head && !l->stop)
			pthread_cond_wait(&l->wake, &l->lock);
		j = l->head;
		if (!j)
			break;
		l->head = j->next;
		if (!l->head)
			l->tail = &l->head;
		l->queued--;
		pthread_cond_broadcast(&l->room);
		pthread_mutex_unlock(&l->lock);

		chan_handle(j->buf.mem, j->buf.size);
		fuse_session_process_buf(l->se, &j->buf);

		pthread_mutex_lock(&l->lock);
		job_put_locked(l, j);
		if (!l->head) {
			l->busy = 0;
			pthread_cond_broadcast(&l->room);
		}
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

struct loop *loop_new(struct fuse_session *se, struct db *db, int snapshot)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->se = se;
	l->db = db;
	l->snapshot = snapshot;
	l->tail = &l->head;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	pthread_cond_init(&l->room, NULL);
	if (loop_spawn(&l->worker, worker, l) != 0) {
		pthread_cond_destroy(&l->room);
		pthread_cond_destroy(&l->wake);
		pthread_mutex_destroy(&l->lock);
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	struct job *j;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->worker, NULL);
	while ((j = l->spare)) {
		l->spare = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&l->room);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* Queues j for the worker; waits while the queue is full. */
static void enqueue(struct loop *l, struct job *j)
{
	pthread_mutex_lock(&l->lock);
	while (l->queued >= LOOP_QUEUE_MAX)
		pthread_cond_wait(&l->room, &l->lock);
	j->next = NULL;
	*l->tail = j;
	l->tail = &j->next;
	l->queued++;
	l->busy = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
}

/* A request that may wait for the disk: the worker's, even when idle. */
static int slow(const char *buf, size_t size, uint32_t opcode)
{
	struct fuse_setattr_in a;
	struct fuse_write_in w;

	switch (opcode) {
	case FUSE_WRITE:
		if (size < sizeof(struct fuse_in_header) + sizeof(w))
			return 0;
		memcpy(&w, buf + sizeof(struct fuse_in_header), sizeof(w));
		return w.size >= LOOP_WRITE_SLOW;
	case FUSE_SETATTR: /* a truncation deletes blocks */
		if (size < sizeof(struct fuse_in_header) + sizeof(a))
			return 0;
		memcpy(&a, buf + sizeof(struct fuse_in_header), sizeof(a));
		return !!(a.valid & FATTR_SIZE);
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_COPY_FILE_RANGE:
	case FUSE_FALLOCATE:
		return 1;
	}
	return 0;
}

/*
 * Handled in the loop even while the worker works: an interrupt, a
 * release (it only counts the file's writers: the kernel sends it once
 * the file's writes are answered), and forgets, which come in hundreds (the kernel dropping the inodes a
 * listing handed it) and mostly only drop counts.  The last forget of a
 * file without a name deletes it: loop_may_wait() tells the handler to
 * leave that to another thread.
 */
static int quick(uint32_t opcode)
{
	return opcode == FUSE_INTERRUPT || opcode == FUSE_FORGET ||
	       opcode == FUSE_BATCH_FORGET || opcode == FUSE_RELEASE;
}

/* A question that changes nothing, which the last commit may answer. */
static int asks(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_LOOKUP:
	case FUSE_GETATTR:
	case FUSE_READLINK:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR:
	case FUSE_READ:
	case FUSE_OPEN:
		return 1;
	}
	return 0;
}

/*
 * Handles j in the loop, from the last commit; 1 if deferred (j went to
 * the worker), 0 if answered.
 */
static int from_snapshot(struct loop *l, struct job *j)
{
	snap_mode = 1;
	deferred = 0;
	fuse_session_process_buf(l->se, &j->buf);
	snap_mode = 0;
	if (!deferred)
		return 0;
	enqueue(l, j);
	return 1;
}

/* Handles or hands over request j; 1 if the worker has it now. */
static int route(struct loop *l, struct job *j)
{
	struct fuse_in_header in;
	int busy;

	if (j->buf.size < sizeof(in)) {
		fuse_session_process_buf(l->se, &j->buf); /* libfuse says */
		return 0;
	}
	memcpy(&in, j->buf.mem, sizeof(in));
	pthread_mutex_lock(&l->lock);
	busy = l->busy;
	pthread_mutex_unlock(&l->lock);
	if (quick(in.opcode)) {
		no_wait = busy || db_busy(l->db);
		fuse_session_process_buf(l->se, &j->buf);
		no_wait = 0;
		return 0;
	}
	if (!busy && slow(j->buf.mem, j->buf.size, in.opcode)) {
		enqueue(l, j);
		return 1;
	}
	if (l->snapshot && asks(in.opcode) && (busy || db_busy(l->db)))
		return from_snapshot(l, j);
	if (busy) {
		enqueue(l, j);
		return 1;
	}
	fuse_session_process_buf(l->se, &j->buf);
	return 0;
}

int loop_run(struct loop *l)
{
	struct job *j = NULL;
	int res = 0;

	while (!fuse_session_exited(l->se)) {
		if (!j)
			j = job_get(l);
		if (!j) {
			res = -ENOMEM;
			break;
		}
		res = fuse_session_receive_buf(l->se, &j->buf);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res <= 0)
			break;
		if (route(l, j))
			j = NULL;
	}
	pthread_mutex_lock(&l->lock);
	if (j)
		job_put_locked(l, j);
	while (l->busy)
		pthread_cond_wait(&l->room, &l->lock);
	pthread_mutex_unlock(&l->lock);
	fuse_session_reset(l->se);
	return res < 0 ? res : 0;
}
