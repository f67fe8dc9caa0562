#!/usr/bin/env python3
"""treedesc.py - print a canonical description of a directory tree

One line per path (sorted, relative to the top, the top itself as "."):
type, mode, owner, link count, size, device, the three times in ns, the
hard-link group (first path of the inode), symlink target, extended
attributes (user, trusted, security; hex values) and a SHA-256 of the
contents.  Two trees with the same description are the same to every
tool.  Files and directories are opened with O_NOATIME, so describing a
tree does not change it.
"""
import hashlib
import os
import stat
import sys

NS = ('user.', 'trusted.', 'security.')


def content(path):
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOATIME | os.O_NOFOLLOW)
    except PermissionError:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def names(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME)
    except PermissionError:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)


def walk(top):
    """All paths, each stat()ed before anything under it is read."""
    out = []
    todo = ['.']
    while todo:
        rel = todo.pop()
        path = os.path.join(top, rel)
        st = os.lstat(path)
        out.append((rel, path, st))
        if stat.S_ISDIR(st.st_mode):
            todo.extend(os.path.normpath(os.path.join(rel, n))
                        for n in reversed(names(path)))
    return out


def main():
    top = sys.argv[1]
    entries = walk(top)
    # readlink moves a symlink's atime (relatime): read every target
    # first, then stat again, so that describing twice gives one answer
    for rel, path, st in entries:
        if stat.S_ISLNK(st.st_mode):
            os.readlink(path)
    entries = [(rel, path, os.lstat(path)) for rel, path, st in entries]
    groups = {}
    lines = []
    for rel, path, st in entries:
        key = (st.st_dev, st.st_ino)
        group = groups.setdefault(key, rel) if not stat.S_ISDIR(
            st.st_mode) else rel
        attrs = []
        for name in sorted(os.listxattr(path, follow_symlinks=False)):
            if name.startswith(NS):
                value = os.getxattr(path, name, follow_symlinks=False)
                attrs.append('%s=%s' % (name, value.hex()))
        target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ''
        dev = ('%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev))
               if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
               else '')
        lines.append([rel, stat.filemode(st.st_mode),
                      '%o' % stat.S_IMODE(st.st_mode),
                      '%d:%d' % (st.st_uid, st.st_gid),
                      'nlink=%d' % st.st_nlink,
                      'size=%d' % (st.st_size if not stat.S_ISDIR(
                          st.st_mode) else 0),
                      dev, 'atime=%d' % st.st_atime_ns,
                      'mtime=%d' % st.st_mtime_ns,
                      'ctime=%d' % st.st_ctime_ns,
                      'group=' + group, 'target=' + target,
                      ' '.join(attrs), path, st.st_mode])
    for line in lines:  # contents last: reading may not move atime
        mode = line.pop()
        path = line.pop()
        line.append(content(path) if stat.S_ISREG(mode) else '')
    for line in sorted(lines):
        print('|'.join(line))


main()
