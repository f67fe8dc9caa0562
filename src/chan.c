/*
 * chan.c - the /dev/fuse channel: see chan.h
 *
 * Only the fixed prefixes of the kernel's structures are read, with
 * lengths checked, so any protocol minor version works.
 */
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct chan {
	int want;	      /* ask for the flag in the INIT reply */
	uint64_t init_unique; /* the INIT request, until it is answered */
	int offered;	      /* the kernel offered FUSE_HANDLE_KILLPRIV_V2 */
	int killpriv;	      /* accepted: this daemon drops privileges */
	int64_t spin_ns;      /* poll this long for the next request, 0:
			       * always sleep */
	int quick;	      /* requests in a row that came within
			       * spin_ns, up to 2: poll when 2 */
	int guard;	      /* signals blocked, fd non-blocking: wait
			       * in ppoll; 0: plain read(2) */
	sigset_t waitmask;    /* the signal mask while waiting */
	int64_t let_in;	      /* last time signals were let in (ns) */
};

struct chan *chan_new(int want_killpriv)
{
	struct chan *ch = calloc(1, sizeof(*ch));

	if (ch)
		ch->want = !!want_killpriv;
	return ch;
}

void chan_free(struct chan *ch)
{
	free(ch);
}

int chan_killpriv(const struct chan *ch)
{
	return ch->killpriv;
}

/*
 * The request this thread handles (WRITE, SETATTR) asks to drop set-ID
 * bits: set by chan_read() in the thread that read it, by chan_handle()
 * in another.
 */
static _Thread_local int kill_flag;

int chan_kill_suidgid(const struct chan *ch)
{
	(void) ch;
	return kill_flag;
}

/* The kill flag of request buf of n bytes (WRITE, SETATTR), else 0. */
static int request_kill(const void *buf, size_t n)
{
	struct fuse_in_header h;
	const char *arg = (const char *) buf + sizeof(h);
	size_t argsz;
	uint32_t flags;

	if (n < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	argsz = n - sizeof(h);
	if (h.opcode == FUSE_WRITE && argsz >= sizeof(struct fuse_write_in)) {
		memcpy(&flags,
		       arg + offsetof(struct fuse_write_in, write_flags),
		       sizeof(flags));
		return !!(flags & FUSE_WRITE_KILL_SUIDGID);
	}
	if (h.opcode == FUSE_SETATTR &&
	    argsz >= sizeof(struct fuse_setattr_in)) {
		memcpy(&flags, arg + offsetof(struct fuse_setattr_in, valid),
		       sizeof(flags));
		return !!(flags & FATTR_KILL_SUIDGID);
	}
	return 0;
}

void chan_handle(const void *buf, size_t n)
{
	kill_flag = request_kill(buf, n);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int chan_setup(struct chan *ch, int fd, int64_t spin_ns)
{
	int fl = fcntl(fd, F_GETFL);
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGHUP);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGTERM);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (pthread_sigmask(SIG_BLOCK, &term, &ch->waitmask) != 0) {
		fcntl(fd, F_SETFL, fl);
		return -EINVAL;
	}
	ch->spin_ns = spin_ns > 0 ? spin_ns : 0;
	ch->let_in = mono_ns();
	ch->guard = 1;
	return 0;
}

/*
 * Runs the handlers of the signals that came while they were blocked.
 * 0, or -1 with errno EINTR when one ran.
 */
static int let_signals_in(struct chan *ch, int64_t now)
{
	const struct timespec zero = {0, 0};

	ch->let_in = now;
	/* no descriptor: a pending signal always interrupts it */
	return ppoll(NULL, 0, &zero, &ch->waitmask) < 0 ? -1 : 0;
}

/* Reads one request: polls first while they come quickly (see chan.h). */
static ssize_t wait_read(struct chan *ch, int fd, void *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int64_t start;
	ssize_t n;

	if (!ch->guard)
		return read(fd, buf, len);
	start = mono_ns();
	if (start - ch->let_in >= CHAN_SIGNAL_NS &&
	    let_signals_in(ch, start) < 0)
		return -1; /* EINTR: the loop checks for exit */
	/* sleeping anyway: do not ask first */
	if (!ch->spin_ns && ppoll(&p, 1, NULL, &ch->waitmask) < 0)
		return -1;
	while ((n = read(fd, buf, len)) < 0 && errno == EAGAIN) {
		if (ch->quick < 2 || mono_ns() - start >= ch->spin_ns) {
			ch->quick = 0;
			/* the signals' only way in: see chan.h */
			if (ppoll(&p, 1, NULL, &ch->waitmask) < 0)
				return -1;
		} else {
			sched_yield(); /* the sender may want this CPU */
		}
	}
	if (n < 0)
		return n;
	if (mono_ns() - start < ch->spin_ns)
		ch->quick += ch->quick < 2;
	else
		ch->quick = 0;
	return n;
}

ssize_t chan_read(struct chan *ch, int fd, void *buf, size_t len)
{
	ssize_t n = wait_read(ch, fd, buf, len);
	struct fuse_in_header h;
	const char *arg = (const char *) buf + sizeof(h);
	size_t argsz;
	uint32_t flags;

	kill_flag = 0;
	if (n < (ssize_t) sizeof(h))
		return n;
	chan_handle(buf, (size_t) n);
	memcpy(&h, buf, sizeof(h));
	argsz = (size_t) n - sizeof(h);
	if (h.opcode == FUSE_INIT &&
	    argsz >= offsetof(struct fuse_init_in, flags) + sizeof(flags)) {
		memcpy(&flags, arg + offsetof(struct fuse_init_in, flags),
		       sizeof(flags));
		ch->init_unique = h.unique;
		ch->offered = !!(flags & FUSE_HANDLE_KILLPRIV_V2);
	}
	return n;
}

ssize_t chan_writev(struct chan *ch, int fd, struct iovec *iov, int count)
{
	struct fuse_out_header h;
	uint32_t flags;
	size_t at = offsetof(struct fuse_init_out, flags);

	if (ch->init_unique && count >= 2 && iov[0].iov_len >= sizeof(h)) {
		memcpy(&h, iov[0].iov_base, sizeof(h));
		if (h.unique == ch->init_unique) {
			ch->init_unique = 0;
			if (h.error == 0 && ch->want && ch->offered &&
			    iov[1].iov_len >= at + sizeof(flags)) {
				char *out = iov[1].iov_base;

				memcpy(&flags, out + at, sizeof(flags));
				flags |= FUSE_HANDLE_KILLPRIV_V2;
				memcpy(out + at, &flags, sizeof(flags));
				ch->killpriv = 1;
			}
		}
	}
	return writev(fd, iov, count);
}
