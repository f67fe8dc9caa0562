#!/usr/bin/env python3
"""sqlite_bound.py - what SQLite alone costs to store file data

    bench/sqlite_bound.py [--mib N] [--dir DIR] [--rounds N]

The bound under sqlitefs's sequential writes, measured without FUSE and
without the daemon: N MiB of data (default 512) stored as the daemon
stores it, 64 KiB blocks as rows of a table like `data` (ino, block,
bytes; the primary key (ino, block)) in a database of 16 KiB pages, with
synchronous = FULL and a commit every 64 MiB, then fsync'ed to the disk,
in several ways, taken in turn round by round:

  file         the same bytes written to a plain file in 1 MiB writes and
               fsync'ed: the reference, what passthrough_ll does
  wal          journal_mode = WAL, automatic checkpoints (1 000 pages),
               a TRUNCATE checkpoint at the end: as the daemon runs
  wal-late     WAL with no automatic checkpoint: one at the end
  rollback     journal_mode = DELETE: pages appended to the file are not
               journaled, so they are written once
  off          journal_mode = OFF: no journal at all, the floor of the
               page format itself

For each: MiB/s (median of the rounds), its ratio to `file`, and the bytes
written to the storage per byte of data (from /proc/self/io, which counts
a page when it is dirtied: exact whatever the machine's load).  Writes the
databases in DIR (default: a directory beside this script's repository,
build-bench/work/bound, on the same disk as the benchmark's mounts).
"""
import argparse
import os
import sqlite3
import statistics
import time

MiB = 1 << 20
BLOCK = 64 * 1024
PAGE = 16 * 1024
BATCH = 64 * MiB


def write_bytes():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    raise RuntimeError("no write_bytes in /proc/self/io")


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def plain_file(path, mib, payload):
    with open(path, "wb", buffering=0) as f:
        for _ in range(mib):
            f.write(payload)
        os.fsync(f.fileno())


def database(path, mib, payload, mode):
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA page_size = {PAGE}")
    journal = {"wal": "WAL", "wal-late": "WAL", "rollback": "DELETE",
               "off": "OFF"}[mode]
    con.execute(f"PRAGMA journal_mode = {journal}")
    con.execute("PRAGMA synchronous = FULL")
    if mode == "wal-late":
        con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("CREATE TABLE data (ino INTEGER NOT NULL, block INTEGER "
                "NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (ino, block))")
    blocks = mib * MiB // BLOCK
    per_batch = BATCH // BLOCK
    chunks = [payload[i:i + BLOCK] for i in range(0, MiB, BLOCK)]
    con.execute("BEGIN")
    for b in range(blocks):
        con.execute("INSERT INTO data VALUES (2, ?, ?)",
                    (b, chunks[b % len(chunks)]))
        if (b + 1) % per_batch == 0:
            con.execute("COMMIT")
            con.execute("BEGIN")
    con.execute("COMMIT")
    if journal == "WAL":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    fsync_path(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=3)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--dir", default=os.path.join(
        here, "..", "build-bench", "work", "bound"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    payload = os.urandom(MiB)
    modes = ["file", "wal", "wal-late", "rollback", "off"]
    speed = {m: [] for m in modes}
    written = {m: [] for m in modes}
    for r in range(a.rounds):
        order = modes[r % len(modes):] + modes[:r % len(modes)]
        for m in order:
            path = os.path.join(a.dir, "bound." + m)
            remove(path)
            w0, t0 = write_bytes(), time.monotonic()
            if m == "file":
                plain_file(path, a.mib, payload)
            else:
                database(path, a.mib, payload, m)
            t, w = time.monotonic() - t0, write_bytes() - w0
            speed[m].append(a.mib / t)
            written[m].append(w / (a.mib * MiB))
            remove(path)
    base = statistics.median(speed["file"])
    print(f"{a.mib} MiB in 64 KiB rows, 16 KiB pages, a commit every 64 "
          f"MiB, median of {a.rounds} rounds")
    print(f"{'mode':<10}{'MiB/s':>9}{'vs file':>9}{'bytes written':>15}")
    for m in modes:
        s = statistics.median(speed[m])
        print(f"{m:<10}{s:>9.1f}{s / base:>9.2f}"
              f"{statistics.median(written[m]):>15.3f}")
    print("(bytes written: to the storage, per byte of data)")


if __name__ == "__main__":
    main()
