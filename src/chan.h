/*
 * chan.h - the /dev/fuse channel, read and written here instead of inside
 * libfuse, for one thing libfuse 3.14 cannot negotiate
 *
 * With FUSE_HANDLE_KILLPRIV_V2 the filesystem, not the kernel, drops the
 * set-user-ID and set-group-ID bits and security.capability on write,
 * truncate and chown.  The kernel then marks inodes S_NOSEC after their
 * first write, and stops asking for security.capability before every
 * write(2): one round trip per write saved.  libfuse 3.14 neither accepts
 * that flag nor passes on the requests' kill flags, so this module amends
 * the INIT reply and keeps the flags of the request being handled, per
 * thread.  One thread reads (fs_loop()); a request it hands to another
 * goes through chan_handle() there.
 *
 * It also decides how the daemon waits for the next request.  A read(2)
 * that sleeps costs a context switch here and, worse, a wake-up (an
 * inter-processor interrupt, slow in a virtual machine) in the process
 * that sends the request: measured, an untar spent more than half its
 * time in those.  So while requests come in quick succession the daemon
 * polls /dev/fuse for up to spin_ns before it sleeps; once a request has
 * taken longer than that to come, it sleeps at once until one comes
 * quickly again.  An idle daemon uses no CPU.
 *
 * And it keeps the terminating signals from being lost.  libfuse's handler
 * (fuse_set_signal_handlers) only sets the session's exit flag, which the
 * loop tests before each read: a signal that came after that test, while
 * polling or just before read(2) went to sleep, left the daemon asleep
 * until the next request.  So SIGHUP, SIGINT and SIGTERM stay blocked in
 * the loop's thread, and are let in only inside ppoll(2), atomically with
 * the sleep: one that came earlier interrupts it at once.  Under a load
 * that never lets the daemon sleep, they are let in at least every
 * CHAN_SIGNAL_NS between requests.  They stay blocked to the end, so a
 * second signal cannot cut the last commit short.
 */
#ifndef CHAN_H
#define CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The channel's state; its fields are chan.c's. */
struct chan;

/* Let pending terminating signals in at least this often (ns) when busy */
#define CHAN_SIGNAL_NS 1000000

/*
 * A channel that asks for FUSE_HANDLE_KILLPRIV_V2 in the INIT reply when
 * want_killpriv is set and the kernel offers it, and reads with a plain
 * blocking read(2) until chan_setup().  NULL when out of memory.
 */
struct chan *chan_new(int want_killpriv);

/* Frees ch (NULL is allowed); the descriptor is the caller's. */
void chan_free(struct chan *ch);

/*
 * Sets how the loop waits on fd: polls for up to spin_ns before sleeping
 * (0: always sleeps), makes fd non-blocking and blocks the terminating
 * signals in the calling thread, which must be the loop's.  0, or -errno
 * (then nothing is changed: plain blocking read(2), as libfuse does).
 */
int chan_setup(struct chan *ch, int fd, int64_t spin_ns);

/*
 * read(2) of one request from fd, waiting as described above, noting what
 * this module needs.  -1 with errno as read(2) gives it (EINTR when a
 * signal came, ENODEV once unmounted).
 */
ssize_t chan_read(struct chan *ch, int fd, void *buf, size_t len);

/* writev(2) of one reply or notification, amending the INIT reply. */
ssize_t chan_writev(struct chan *ch, int fd, struct iovec *iov, int count);

/*
 * Whether the INIT reply accepted FUSE_HANDLE_KILLPRIV_V2: this daemon, not
 * the kernel, drops set-ID bits and capabilities on write, truncate and
 * chown.  0 until the INIT reply is sent.
 */
int chan_killpriv(const struct chan *ch);

/*
 * Whether the request this thread handles carries the kernel's flag asking
 * that set-ID bits be dropped: a WRITE's FUSE_WRITE_KILL_SUIDGID or a
 * SETATTR's FATTR_KILL_SUIDGID (what each means: fs_ops.c).  0 for other
 * requests.  The request is the one this thread read last, or the one
 * given to chan_handle().
 */
int chan_kill_suidgid(const struct chan *ch);

/* This thread handles request buf of n bytes, read by another one. */
void chan_handle(const void *buf, size_t n);

#endif
