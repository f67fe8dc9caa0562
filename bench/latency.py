#!/usr/bin/env python3
"""latency.py - the processes of bench.py's latency group.

Each runs as a process of its own beside the others, on a mount:

  latency.py write DIR MIB          writes DIR/w0, DIR/w1, ... of MIB MiB
                                    each in 1 MiB write(2)s, fsync and
                                    close each, until SIGTERM; prints
                                    "ready" after its first 32 MiB, and at
                                    the end a JSON line {"mib", "seconds"}
  latency.py probe DIR SECONDS MS   every MS ms for SECONDS, from a pool
                                    of threads (see probe()): a lookup of
                                    a name never used (ENOENT), a getattr
                                    of an existing file, a readdir of an
                                    existing directory; prints a JSON line
                                    of the times of the calls (ms)
  latency.py read FILE SECONDS MS KIB
                                    every MS ms for SECONDS: one read(2)
                                    of KIB KiB of FILE, in order; prints a
                                    JSON line of the times of the reads
                                    (ms) and the rate (MiB/s)

Why each probe reaches the daemon whatever the kernel caches:
- lookup: the name has never existed, so the kernel has neither an entry
  nor a negative entry for it and must send LOOKUP;
- getattr: statx(2) with AT_STATX_FORCE_SYNC, which makes FUSE send
  GETATTR however long the attribute timeout;
- readdir: DIR/dirs/dNNNN, a directory made before the run (by bench.py,
  benchtool create) and never listed before, one per tick: the kernel
  caches listings per directory inode (sqlitefs refuses opendir, which
  lets the kernel keep them; passthrough_ll asks for cache_readdir), so a
  directory listed once would be answered from the cache.  The kernel
  knows its name since the mkdir: the time is the listing's.
"""
import concurrent.futures
import ctypes
import json
import os
import signal
import sys
import time

MiB = 1 << 20
POOL = 256  # probes in flight at most: 85 ticks of 3 (425 ms at 5 ms)
AT_FDCWD = -100
AT_STATX_FORCE_SYNC = 0x2000
STATX_BASIC_STATS = 0x7ff


def write(d, mib):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    buf = os.urandom(MiB)
    t0, done, i = time.monotonic(), 0, 0
    while not stop:
        fd = os.open(os.path.join(d, "w%d" % (i % 2)),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for _ in range(mib):
            if stop:
                break
            os.write(fd, buf)
            done += 1
            if done == 32:
                print("ready", flush=True)
        if not stop:
            os.fsync(fd)
        os.close(fd)
        i += 1
    print(json.dumps({"mib": done, "seconds": time.monotonic() - t0}),
          flush=True)


def ticks(seconds, interval_ms):
    """yields n = 0, 1, ... at each tick of the interval for seconds;
    a tick that passed while the caller worked is skipped"""
    step = interval_ms / 1e3
    start = time.monotonic()
    n, last = 0, int(round(seconds / step))
    while n < last:
        pause = start + n * step - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        yield n
        n = max(n + 1, int((time.monotonic() - start) / step) + 1)


def probe(d, seconds, interval_ms):
    """Each probe is made on schedule by a thread of a pool, whether or
    not earlier ones have been answered: a stall of the daemon delays
    every probe made during it, as it would requests of unrelated
    processes (a prober waiting for each answer would sample a stall
    once however long, and fall behind)."""
    libc = ctypes.CDLL(None, use_errno=True)
    files = sorted(os.listdir(os.path.join(d, "other")))
    dirs = os.path.join(d, "dirs")

    def lookup(n):
        try:
            os.stat(os.path.join(d, "fresh%d" % n))
        except FileNotFoundError:
            return
        raise RuntimeError("probe: a fresh name exists")

    def getattr(n):
        stx = ctypes.create_string_buffer(256)
        path = os.path.join(d, "other", files[n % len(files)]).encode()
        if libc.statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC,
                      STATX_BASIC_STATS, stx) != 0:
            raise OSError(ctypes.get_errno(), "statx", path)

    def readdir(n):
        os.listdir(os.path.join(dirs, "d%04d" % n))

    calls = {"lookup": lookup, "getattr": getattr, "readdir": readdir}
    out = {name: [] for name in calls}

    def timed(name, n):
        t0 = time.perf_counter_ns()
        calls[name](n)
        out[name].append((time.perf_counter_ns() - t0) / 1e6)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=POOL)
    done = []
    for n in ticks(seconds, interval_ms):
        done += [pool.submit(timed, name, n) for name in calls]
    for f in done:
        f.result()
    pool.shutdown()
    print(json.dumps(out), flush=True)


def read(path, seconds, interval_ms, kib):
    """One sequential reader: a read at each tick, or at once after a
    read that took longer than the interval (its ticks are skipped)."""
    fd = os.open(path, os.O_RDONLY)
    out, off, total = [], 0, 0
    start = time.monotonic()
    for _ in ticks(seconds, interval_ms):
        t0 = time.perf_counter_ns()
        got = os.pread(fd, kib * 1024, off)
        out.append((time.perf_counter_ns() - t0) / 1e6)
        off += len(got)
        total += len(got)
        if not got:
            # once through: drop the file's pages and read it again
            out.pop()
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            off = 0
    os.close(fd)
    mibs = total / MiB / (time.monotonic() - start)
    print(json.dumps({"read": out, "mibs": mibs}), flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "write":
        write(a[1], int(a[2]))
    elif len(a) == 4 and a[0] == "probe":
        probe(a[1], float(a[2]), float(a[3]))
    elif len(a) == 5 and a[0] == "read":
        read(a[1], float(a[2]), float(a[3]), int(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
