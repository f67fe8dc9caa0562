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
 * the INIT reply and keeps the flags of the request being handled.  The
 * session loop must be single-threaded (it is: see main.c).
 */
#ifndef CHAN_H
#define CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct chan {
	int want;	      /* ask for the flag in the INIT reply */
	uint64_t init_unique; /* the INIT request, until it is answered */
	int offered;	      /* the kernel offered FUSE_HANDLE_KILLPRIV_V2 */
	int killpriv;	      /* accepted: this daemon drops privileges */
	int kill;	      /* the request being handled (WRITE, SETATTR)
			       * asks to drop set-ID bits */
};

/* read(2) of one request from fd, noting what this module needs. */
ssize_t chan_read(struct chan *ch, int fd, void *buf, size_t len);

/* writev(2) of one reply or notification, amending the INIT reply. */
ssize_t chan_writev(struct chan *ch, int fd, struct iovec *iov, int count);

#endif
