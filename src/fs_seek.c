/*
 * fs_seek.c - the seeker: requests answered after the kernel wrote back a
 * file's pages
 *
 * The kernel holds the data of a file open for writing in its writeback
 * cache or a written shared mapping before it sends it.  Two requests must
 * not be answered before that data is in the database: SEEK_DATA and
 * SEEK_HOLE (a hole there would be data), and a chattr +i or +a (the data
 * written before would be refused).  The seeker thread has the kernel
 * write the pages back and then answers; it cannot be done in the session
 * loop, which must serve the write requests meanwhile.  fs->seek_lock
 * guards the queue and nests in nothing.
 */
#include "fs_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"

static void reply_seek(struct fs *fs, fuse_req_t req, fuse_ino_t ino, off_t off,
		       int whence)
{
	off_t rc = db_lseek(fs->db, ino, off, whence);

	if (rc < 0)
		fuse_reply_err(req, (int) -rc);
	else
		fuse_reply_lseek(req, rc);
}

/*
 * Answers the queued seeks and flag changes in order.  The kernel writes
 * back its dirty pages of the file from the offset on when told to drop
 * them (each is laundered: written and waited for), through write
 * requests that the session loop serves; then the database holds every
 * byte written, and a file made immutable or append-only keeps what was
 * written before.
 */
static void *seeker(void *arg)
{
	struct fs *fs = arg;
	struct seek_job *job;
	int stopping;

	pthread_mutex_lock(&fs->seek_lock);
	for (;;) {
		while (!fs->jobs && !fs->seek_stop)
			pthread_cond_wait(&fs->seek_wake, &fs->seek_lock);
		job = fs->jobs;
		if (!job)
			break;
		fs->jobs = job->next;
		if (!fs->jobs)
			fs->jobs_tail = &fs->jobs;
		stopping = fs->seek_stop;
		pthread_mutex_unlock(&fs->seek_lock);
		if (!stopping)
			fuse_lowlevel_notify_inval_inode(fs->se, job->ino,
							 job->off, 0);
		if (job->set_flags)
			fs_reply_set_flags(job->req, job->ino, job->flags);
		else
			reply_seek(fs, job->req, job->ino, job->off,
				   job->whence);
		free(job);
		pthread_mutex_lock(&fs->seek_lock);
		fs->seeks--;
	}
	pthread_mutex_unlock(&fs->seek_lock);
	return NULL;
}

void fs_seeker_start(struct fs *fs)
{
	if (loop_spawn(&fs->seeker, seeker, fs) == 0)
		fs->seeker_running = 1;
	else
		fuse_log(FUSE_LOG_ERR,
			 "sqlitefs: no seek thread: SEEK_DATA may "
			 "miss data not yet written back\n");
}

void fs_seeker_stop(struct fs *fs)
{
	if (!fs->seeker_running)
		return;
	pthread_mutex_lock(&fs->seek_lock);
	fs->seek_stop = 1;
	pthread_cond_signal(&fs->seek_wake);
	pthread_mutex_unlock(&fs->seek_lock);
	pthread_join(fs->seeker, NULL);
	fs->seeker_running = 0;
}

int fs_queue_job(struct fs *fs, const struct seek_job *model)
{
	struct seek_job *job;

	if (!fs->seeker_running || !fs->se || fs->draining)
		return -1;
	job = malloc(sizeof(*job));
	if (!job)
		return -1;
	*job = *model;
	job->next = NULL;
	pthread_mutex_lock(&fs->seek_lock);
	*fs->jobs_tail = job;
	fs->jobs_tail = &job->next;
	fs->seeks++;
	pthread_cond_signal(&fs->seek_wake);
	pthread_mutex_unlock(&fs->seek_lock);
	return 0;
}

/*
 * The kernel asks without writing back first: data in its writeback
 * cache or in a written shared mapping is not in the database yet, and
 * would be a hole here (or past the end).  A file nobody may write has
 * no such pages: it is answered at once.  Otherwise the seeker has the
 * kernel write them back first: it cannot be done here, since the kernel
 * holds the file's lock until the answer comes and the write requests
 * need this thread.
 */
void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	      struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);

	(void) fi;
	if (fs_writers(fs, ino) && off >= 0 &&
	    (whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    fs_queue_job(fs, &(struct seek_job){.req = req,
						.ino = ino,
						.off = off,
						.whence = whence}) == 0)
		return;
	reply_seek(fs, req, ino, off, whence);
}

unsigned fs_seeks_pending(struct fs *fs)
{
	unsigned n;

	pthread_mutex_lock(&fs->seek_lock);
	n = fs->seeks;
	pthread_mutex_unlock(&fs->seek_lock);
	return n;
}
