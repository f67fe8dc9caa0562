/*
 * chan.c - the /dev/fuse channel: see chan.h
 *
 * Only the fixed prefixes of the kernel's structures are read, with
 * lengths checked, so any protocol minor version works.
 */
#include "chan.h"

#include <linux/fuse.h>
#include <string.h>
#include <unistd.h>

ssize_t chan_read(struct chan *ch, int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);
	struct fuse_in_header h;
	const char *arg = (const char *) buf + sizeof(h);
	size_t argsz;
	uint32_t flags;

	ch->kill = 0;
	if (n < (ssize_t) sizeof(h))
		return n;
	memcpy(&h, buf, sizeof(h));
	argsz = (size_t) n - sizeof(h);
	switch (h.opcode) {
	case FUSE_INIT:
		if (argsz <
		    offsetof(struct fuse_init_in, flags) + sizeof(flags))
			break;
		memcpy(&flags, arg + offsetof(struct fuse_init_in, flags),
		       sizeof(flags));
		ch->init_unique = h.unique;
		ch->offered = !!(flags & FUSE_HANDLE_KILLPRIV_V2);
		break;
	case FUSE_WRITE:
		if (argsz < sizeof(struct fuse_write_in))
			break;
		memcpy(&flags,
		       arg + offsetof(struct fuse_write_in, write_flags),
		       sizeof(flags));
		ch->kill = !!(flags & FUSE_WRITE_KILL_SUIDGID);
		break;
	case FUSE_SETATTR:
		if (argsz < sizeof(struct fuse_setattr_in))
			break;
		memcpy(&flags, arg + offsetof(struct fuse_setattr_in, valid),
		       sizeof(flags));
		ch->kill = !!(flags & FATTR_KILL_SUIDGID);
		break;
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
