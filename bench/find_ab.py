#!/usr/bin/env python3
"""find_ab.py - sqlitefs-find builds compared on the million-file database

    bench/find_ab.py [-n COUNT] [--db PATH] [--mkfs MKFS] FIND [FIND...]

Makes the database of bench/search.py (1 000 000 files, the indexes
search_size and search_xattr:user.tag) at PATH if it is missing, then runs
COUNT queries of each kind (exact name, xattr equality, size range of
~1 000 matches; the glob '*.c' 3 times) with every build given, taking the
builds in turn query by query (alternating their order) so that a load on
the machine weighs on all of them alike.  Each query is a new process on
the database file.  Prints per build and kind the wall time (p50, p99),
the CPU time (user + system, p50, p99), the minor page faults (median: a
page of the file read through the memory map, or of memory allocated),
and the range of matches found, which must agree between the builds.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import search  # noqa: E402

EXTS = search.EXTS


def argv(tool, db, kind, rnd):
    if kind == "xattr":
        return [tool, db, "-xattr", f"{search.TAG}=tag{rnd.randrange(100)}"]
    if kind == "size":
        width = search.SIZE_MAX // 1000
        lo = rnd.randrange(search.SIZE_MAX - width)
        return [tool, db, "-size", f"+{lo - 1}c", "-size", f"-{lo + width}c"]
    if kind == "name":
        return [tool, db, "-name",
                f"n{rnd.randrange(500)}.{EXTS[rnd.randrange(len(EXTS))]}"]
    return [tool, db, "-name", "*.c"]


def run(a):
    t = time.monotonic()
    p = subprocess.Popen(a, stdout=subprocess.PIPE)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    if status:
        raise RuntimeError(f"{' '.join(a)}: status {status}")
    return (wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_minflt,
            out.count(b"\n"))


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--db", default="/tmp/find_ab1000000.db")
    ap.add_argument("--mkfs", default="build/src/mkfs.sqlitefs")
    ap.add_argument("tools", nargs="+")
    a = ap.parse_args()
    if not os.path.exists(a.db):
        subprocess.run([a.mkfs, a.db], check=True, stdout=subprocess.DEVNULL)
        search.make_db(a.db, 1000)
    res = {}
    rnd = random.Random(5)
    for kind, count in (("name", a.n), ("xattr", a.n), ("size", a.n),
                        ("glob", 3)):
        for i in range(count):
            state = rnd.getstate()
            order = a.tools if i % 2 == 0 else a.tools[::-1]
            for tool in order:
                rnd.setstate(state)
                res.setdefault((kind, tool), []).append(
                    run(argv(tool, a.db, kind, rnd)))
    print(f"{'kind':6} {'build':28} {'wall p50':>9} {'p99':>7} "
          f"{'cpu p50':>8} {'p99':>7} {'minflt':>7}  found")
    for kind in ("name", "xattr", "size", "glob"):
        for tool in a.tools:
            r = res[(kind, tool)]
            w, c = [x[0] for x in r], [x[1] for x in r]
            print(f"{kind:6} {tool[-28:]:28} {pct(w, .5):9.2f} "
                  f"{pct(w, .99):7.2f} {pct(c, .5):8.2f} {pct(c, .99):7.2f} "
                  f"{statistics.median(x[2] for x in r):7.0f}  "
                  f"{min(x[3] for x in r)}-{max(x[3] for x in r)}")


if __name__ == "__main__":
    main()
